// translateKey (the one mapping of seed 004's dotted keys to each store's
// key form), entry shaping for a target, content comparison and diffs.
#include "model/Codec.h"
#include "providers/Provider.h"
#include "providers/form/EntryForm.h"
#include "providers/form/KeyForm.h"
#include "transfer/ProgressMeter.h"
#include "transfer/TargetLookup.h"
#include "TestSupport.h"
#include "providers/Backends.h"

#include <QTemporaryDir>
#include <QTest>

using namespace sd;

class TestTransferKeys : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void testTranslateKey_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("expected"); // empty: refused
        QTest::newRow("yaml to etcd") << "deployment.phase" << "." << "/" << "deployment/phase";
        QTest::newRow("yaml to redis, deep") << "deployment.vm_states.w1.state" << "." << ":" << "deployment:vm_states:w1:state";
        QTest::newRow("quoted dotted segment") << "deployment.config.\"a.b\"" << "." << "/" << "deployment/config/a.b";
        QTest::newRow("quoted file name") << "\"my.app\".x" << "." << "/" << "my.app/x";
        QTest::newRow("etcd to yaml") << "deployment/phase" << "/" << "." << "deployment.phase";
        QTest::newRow("etcd to yaml, dotted segment") << "deployment/config/a.b" << "/" << "." << "deployment.config.\"a.b\"";
        QTest::newRow("redis to etcd kept") << "app:session:1" << ":" << "/" << "app:session:1";
        QTest::newRow("same form kept") << "a/b" << "/" << "/" << "a/b";
        QTest::newRow("segment holds the target separator") << "a.\"x/y\"" << "." << "/" << "";
        QTest::newRow("one segment") << "phase" << "." << "/" << "phase";
        QTest::newRow("unicode") << "uni.\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87" << "." << ":" << "uni:\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87";
    }
    void testTranslateKey()
    {
        QFETCH(QString, key);
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, expected);
        const Result<QString> got = translateKey(key, from, to);
        if (expected.isEmpty()) {
            QVERIFY(!got.ok());
            QCOMPARE(got.error().kind, ErrorKind::Invalid);
            QCOMPARE(got.error().where, key);
            return;
        }
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        QCOMPARE(got.value(), expected);
        // And back again.
        QCOMPARE(translateKey(got.value(), to, from).value(), key);
        QCOMPARE(translateKey(key, from, to, KeyTranslation::Verbatim).value(), key);
    }

    void testTranslatePrefix_data()
    {
        QTest::addColumn<QString>("prefix");
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("expected");
        QTest::newRow("segment boundary") << "deployment." << "." << "/" << "deployment/";
        QTest::newRow("partial segment") << "deploy" << "." << "/" << "deploy";
        QTest::newRow("two segments") << "deployment.vm_states." << "." << ":" << "deployment:vm_states:";
        QTest::newRow("to dotted") << "app/" << "/" << "." << "app.";
        QTest::newRow("empty") << "" << "." << "/" << "";
    }
    void testTranslatePrefix()
    {
        QFETCH(QString, prefix);
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, expected);
        QCOMPARE(translatePrefix(prefix, from, to), expected);
    }

    void testEntryForTarget()
    {
        Capabilities yaml = Capabilities::fileStore();
        yaml.keySeparator = QStringLiteral(".");
        Capabilities redis;
        redis.keySeparator = QStringLiteral(":");
        Entry e;
        e.key = QStringLiteral("deployment.config");
        e.encoding = Encoding::Yaml;
        e.value = Json{{"a", "1"}};
        e.labels = {{QStringLiteral("file"), QStringLiteral("deployment-state.yaml")}, {QStringLiteral("kind"), QStringLiteral("state")},
                    {QStringLiteral("ttl"), QStringLiteral("5000")}};
        const Entry r = entryForTarget(e, TargetForm::between(QStringLiteral("."), QStringLiteral("redis"), redis, KeyTranslation::Auto)).value();
        QCOMPARE(r.key, QStringLiteral("deployment:config"));
        QCOMPARE(r.encoding, Encoding::Json);
        QCOMPARE(r.raw, QByteArray("{\"a\":\"1\"}"));
        QCOMPARE(r.labels.keys(), QStringList{QStringLiteral("ttl")});
        // Binary into a store of structured values: its base64 text.
        Entry bin;
        bin.key = QStringLiteral("b");
        bin.encoding = Encoding::Base64;
        bin.value = "AAE=";
        const Entry y = entryForTarget(bin, TargetForm::between(QStringLiteral(":"), QStringLiteral("yaml"), yaml, KeyTranslation::Auto)).value();
        QCOMPARE(y.encoding, Encoding::Json);
        QCOMPARE(QString::fromStdString(y.value.dump()), QStringLiteral("\"AAE=\""));
    }

    void testSameContent_data()
    {
        QTest::addColumn<QByteArray>("aBytes");
        QTest::addColumn<int>("aEnc");
        QTest::addColumn<QByteArray>("bBytes");
        QTest::addColumn<int>("bEnc");
        QTest::addColumn<bool>("same");
        const int json = int(Encoding::Json), text = int(Encoding::Text), yaml = int(Encoding::Yaml), b64 = int(Encoding::Base64);
        QTest::newRow("json, other spacing") << QByteArray("{\"a\":1}") << json << QByteArray("{ \"a\" : 1 }") << json << true;
        QTest::newRow("json vs yaml value") << QByteArray("{\"a\":\"1\"}") << json << QByteArray("a: \"1\"\n") << yaml << true;
        QTest::newRow("text 42 read back as JSON 42") << QByteArray("42") << text << QByteArray("42") << json << true;
        QTest::newRow("json string vs text") << QByteArray("\"hello\"") << json << QByteArray("hello") << text << false;
        QTest::newRow("binary equal") << QByteArray("\x00\x01", 2) << b64 << QByteArray("\x00\x01", 2) << b64 << true;
        QTest::newRow("binary differs") << QByteArray("\x00\x01", 2) << b64 << QByteArray("\x00\x02", 2) << b64 << false;
        QTest::newRow("values differ") << QByteArray("{\"a\":1}") << json << QByteArray("{\"a\":2}") << json << false;
    }
    void testSameContent()
    {
        QFETCH(QByteArray, aBytes);
        QFETCH(int, aEnc);
        QFETCH(QByteArray, bBytes);
        QFETCH(int, bEnc);
        QFETCH(bool, same);
        auto make = [](const QByteArray &bytes, int enc) {
            Entry e;
            e.key = QStringLiteral("k");
            e.encoding = Encoding(enc);
            e.raw = bytes;
            e.value = decodeValue(bytes, e.encoding, QStringLiteral("k")).value();
            return e;
        };
        QCOMPARE(sameContent(make(aBytes, aEnc), make(bBytes, bEnc)), same);
        QCOMPARE(sameContent(make(bBytes, bEnc), make(aBytes, aEnc)), same);
    }

    void testDescribeChange()
    {
        Entry before, after;
        before.value = Json{{"phase", "install"}, {"n", 1}, {"gone", true}};
        after.value = Json{{"phase", "done"}, {"n", 1}, {"new", Json::array({1})}};
        const QStringList lines = describeChange(before, after, true);
        QVERIFY(lines.contains(QStringLiteral("~ /phase: \"install\" -> \"done\"")));
        QVERIFY(lines.contains(QStringLiteral("- /gone (was true)")));
        QVERIFY(lines.contains(QStringLiteral("+ /new: [1]")));
        const QStringList hidden = describeChange(before, after, false);
        QVERIFY(hidden.contains(QStringLiteral("~ /phase: *** -> ***")));
        QVERIFY(!hidden.join(QLatin1Char(' ')).contains(QStringLiteral("install")));
    }

    // Lookups answered from the store's listing agree with get(), in order,
    // out of order, and for keys that are not there.
    void testTargetLookup()
    {
        QTemporaryDir dir;
        StoreSpec spec;
        spec.backend = QStringLiteral("sqlite");
        spec.options.insert(QStringLiteral("path"), dir.filePath(QStringLiteral("l.db")));
        auto store = openProvider(spec).value();
        QList<BatchItem> items;
        for (int i = 0; i < 3000; i += 2) {
            Entry e;
            e.key = QStringLiteral("k/%1").arg(i, 5, 10, QLatin1Char('0'));
            e.value = Json{{"i", i}};
            items << BatchItem{e, {}};
        }
        QCOMPARE(test::await(store->putBatch(items)).failed(), 0);
        TargetLookup lookup(store.get(), this, QStringLiteral("k/"));
        auto check = [&](QStringList keys) {
            const QList<Result<Entry>> got = test::await(lookup.lookup(keys));
            QCOMPARE(got.size(), keys.size());
            for (qsizetype i = 0; i < keys.size(); ++i) {
                const int n = keys[i].mid(2).toInt();
                if (n % 2 == 0) {
                    QVERIFY2(got[i].ok(), qPrintable(keys[i]));
                    QCOMPARE(got[i]->key, keys[i]);
                    QCOMPARE(got[i]->value["i"].get<int>(), n);
                } else {
                    QCOMPARE(got[i].error().kind, ErrorKind::NotFound);
                }
            }
        };
        for (int start = 0; start < 2000; start += 500) {
            QStringList keys; // every key, present or not, in order
            for (int i = start; i < start + 500; ++i)
                keys << QStringLiteral("k/%1").arg(i, 5, 10, QLatin1Char('0'));
            check(keys);
        }
        QVERIFY(lookup.fromListing() >= 900);
        QStringList back; // out of order, and behind the listing
        for (int i = 2999; i >= 0; i -= 7)
            back << QStringLiteral("k/%1").arg(i, 5, 10, QLatin1Char('0'));
        check(back);
        QVERIFY(lookup.fromGets() > 0);
    }

    void testProgressRateAndEta()
    {
        ProgressMeter m(QStringLiteral("write"));
        m.setTotal(1000);
        TransferProgress first = m.update(0);
        QCOMPARE(first.done, qint64(0));
        QTRY_VERIFY_WITH_TIMEOUT(m.update(100).rate > 0, 5000);
        const TransferProgress p = m.update(100);
        QVERIFY(p.eta > 0);
        QCOMPARE(p.total, qint64(1000));
        QCOMPARE(m.update(1000).eta, 0.0);
    }
};

QTEST_GUILESS_MAIN(TestTransferKeys)
#include "tst_transfer_keys.moc"
