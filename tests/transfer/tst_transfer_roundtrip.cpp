// Round trips between every pair of backends: sqlite, local, yaml, redis,
// etcd and Kubernetes ConfigMaps (on the API emulator). Each row fills a
// source with 10k entries, a value of 1 MiB, binary bytes, text and unicode
// keys and values; migrates it to the target (checked entry by entry, and
// by the migration's own verify pass); exports the target to a gzip
// snapshot and imports that into a fresh store of the source's kind, which
// must then hold what the source held (as far as the middle store can keep
// it: a store of structured values keeps text and binary values as JSON
// strings).
#include "TestSupport.h"
#include "TransferTestSupport.h"
#include "transfer/Exporter.h"
#include "transfer/Importer.h"
#include "transfer/Migrator.h"

#include <QTest>

using namespace sd;
using namespace sd::test;

class TestTransferRoundTrip : public QObject {
    Q_OBJECT

    TransferStores m_stores;
    QTemporaryDir m_files;

    static bool structured(const Capabilities &c) { return c.structuredValues; }

    // Which pairs this executable runs (four executables, so each stays
    // well inside the ctest timeout on a loaded 2-core machine):
    // "kube-in" and "kube-out", the pairs into and out of Kubernetes;
    // "files", the others with local or yaml on one side; "servers", those
    // between sqlite, redis and etcd.
    static bool wanted(const QString &from, const QString &to)
    {
        auto either = [&](const char *b) { return from == QLatin1String(b) || to == QLatin1String(b); };
        const QString group = to == QLatin1String("kubernetes")           ? QStringLiteral("kube-in")
                              : from == QLatin1String("kubernetes")       ? QStringLiteral("kube-out")
                              : either("local") || either("yaml") ? QStringLiteral("files")
                                                                      : QStringLiteral("servers");
        return group == QLatin1String(SD_ROUNDTRIP_PAIRS);
    }

private Q_SLOTS:
    void testRoundTrip_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        for (const QString &from : TransferStores::backends())
            for (const QString &to : TransferStores::backends())
                if (from != to && wanted(from, to))
                    QTest::newRow(qPrintable(from + QStringLiteral(" to ") + to)) << from << to;
    }
    void testRoundTrip()
    {
        QFETCH(QString, from);
        QFETCH(QString, to);
        const bool kube = from == QLatin1String("kubernetes") || to == QLatin1String("kubernetes");
        const bool yaml = from == QLatin1String("yaml") || to == QLatin1String("yaml");
        const bool local = from == QLatin1String("local") || to == QLatin1String("local");
        // 10k entries between sqlite, redis, etcd and Kubernetes. Fewer
        // through the file stores, whose costs are per file, not per batch:
        // local writes each entry as its own file with two fsyncs (about
        // 70 files a second on a loaded 2-core machine: 500 there), and
        // every yaml call parses its state file (seed 004's files hold
        // dozens of keys; one of 10k keys takes a second to parse: 200
        // there).
        const int bulk = yaml ? 200 : local ? 500 : 10000;
        auto src = m_stores.open(m_stores.fresh(from));
        auto dst = m_stores.open(m_stores.fresh(to));
        const QList<Entry> data = inStoreForm(transferDataset(bulk, !kube), src->capabilities());
        QVERIFY(fillStore(src.get(), data));
        const QMap<QString, Entry> source = readStore(src.get());
        QCOMPARE(source.size(), data.size());

        // 1. migrate, with its verify pass
        MigrationOptions mo;
        mo.checkpointPath = m_files.filePath(QStringLiteral("cp-%1-%2.json").arg(from, to));
        Migrator migrator(src.get(), dst.get(), mo);
        auto migrated = await(migrator.run(), 300000);
        QVERIFY2(migrated.ok(), qPrintable(migrated.error().toString()));
        QCOMPARE(migrated->transfer.created, qint64(data.size()));
        QCOMPARE(migrated->transfer.failed, qint64(0));
        QVERIFY(migrated->verify);
        QVERIFY2(migrated->verify->clean(), qPrintable(QStringLiteral("%1 missing, %2 differ, %3 extra")
                                                           .arg(migrated->verify->missing)
                                                           .arg(migrated->verify->differs)
                                                           .arg(migrated->verify->extra)));
        QVERIFY(!QFile::exists(mo.checkpointPath));

        // The target holds exactly the source's entries, keys in its form.
        const TargetForm there = TargetForm::between(src->capabilities().keySeparator, dst->scheme(),
                                                     dst->capabilities(), KeyTranslation::Auto);
        const QMap<QString, Entry> target = readStore(dst.get());
        QCOMPARE(target.size(), source.size());
        for (const Entry &e : source) {
            const Entry expected = entryForTarget(e, there).value();
            QVERIFY2(target.contains(expected.key), qPrintable(expected.key));
            const Entry &got = target[expected.key];
            QVERIFY2(sameContent(got, expected), qPrintable(expected.key));
            // Stores of bytes keep text and binary values byte for byte.
            if (!structured(dst->capabilities()) && (e.encoding == Encoding::Text || e.encoding == Encoding::Base64))
                QCOMPARE(encodeValue(got), encodeValue(e));
        }

        // 2. export the target, import into a fresh store like the source
        const QString file = m_files.filePath(QStringLiteral("%1-%2.jsonl.gz").arg(from, to));
        ExportOptions eo;
        eo.path = file;
        Exporter exporter(dst.get(), eo);
        auto exported = await(exporter.run(), 300000);
        QVERIFY2(exported.ok(), qPrintable(exported.error().toString()));
        QCOMPARE(exported->entries, qint64(data.size()));
        auto back = m_stores.open(m_stores.fresh(from));
        ImportOptions io;
        io.path = file;
        Importer importer(back.get(), io);
        auto imported = await(importer.run(), 300000);
        QVERIFY2(imported.ok(), qPrintable(imported.error().toString()));
        QCOMPARE(imported->transfer.created, qint64(data.size()));
        const TargetForm home = TargetForm::between(dst->capabilities().keySeparator, back->scheme(),
                                                    back->capabilities(), KeyTranslation::Auto);
        const QMap<QString, Entry> returned = readStore(back.get());
        QCOMPARE(returned.size(), source.size());
        for (const Entry &e : source) {
            QVERIFY2(returned.contains(e.key), qPrintable(e.key));
            const Entry survived = entryForTarget(entryForTarget(e, there).value(), home).value();
            QCOMPARE(survived.key, e.key);
            QVERIFY2(sameContent(returned[e.key], survived), qPrintable(e.key));
            if (!structured(dst->capabilities()) && !structured(back->capabilities()))
                QVERIFY2(sameContent(returned[e.key], e), qPrintable(e.key));
        }
    }
};

QTEST_GUILESS_MAIN(TestTransferRoundTrip)
#include "tst_transfer_roundtrip.moc"
