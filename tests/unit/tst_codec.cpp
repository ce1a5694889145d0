#include "model/Codec.h"
#include "providers/Provider.h"

#include <QTest>

using namespace sd;

class TestCodec : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void testDecodeJsonError_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("where");
        QTest::newRow("unterminated object") << QByteArray("{\n  \"a\": 1,\n  \"b\": \n") << "f.json:4:1";
        QTest::newRow("bad token on line 2") << QByteArray("{\n  \"a\": tru }") << "f.json:2:11";
        QTest::newRow("trailing garbage") << QByteArray("{} x") << "f.json:1:4";
    }
    void testDecodeJsonError()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, where);
        auto r = decodeValue(bytes, Encoding::Json, QStringLiteral("f.json"));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QCOMPARE(r.error().where, where);
        QVERIFY(r.error().message.startsWith(QStringLiteral("invalid JSON")));
    }

    void testRawKeptWhileUnedited_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::newRow("odd spacing") << QByteArray("{ \"b\":1,   \"a\" : [1,2] }");
        QTest::newRow("unicode escapes") << QByteArray("{\"k\":\"\\u00e9\"}");
    }
    void testRawKeptWhileUnedited()
    {
        QFETCH(QByteArray, raw);
        Entry e = entryFromBytes(QStringLiteral("k"), raw);
        QCOMPARE(e.encoding, Encoding::Json);
        QCOMPARE(encodeValue(e), raw);
        e.value["added"] = 1;
        QVERIFY(encodeValue(e) != raw);
        QVERIFY(Json::parse(encodeValue(e).toStdString())["added"] == Json(1));
    }

    void testEntryFromBytes_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("encoding");
        QTest::newRow("json") << QByteArray("[1]") << int(Encoding::Json);
        QTest::newRow("text") << QByteArray("hello world") << int(Encoding::Text);
        QTest::newRow("binary") << QByteArray("\xff\xfe\x00\x01", 4) << int(Encoding::Base64);
    }
    void testEntryFromBytes()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, encoding);
        Entry e = entryFromBytes(QStringLiteral("k"), bytes);
        QCOMPARE(int(e.encoding), encoding);
        const Json before = e.value;
        e.raw.clear(); // force re-encoding from the value
        const QByteArray again = encodeValue(e);
        if (e.encoding == Encoding::Json)
            QVERIFY(Json::parse(again.toStdString()) == before);
        else
            QCOMPARE(again, bytes);
    }

    void testValidateKey_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("fileBacked");
        QTest::addColumn<bool>("valid");
        QTest::newRow("plain") << "user:123" << false << true;
        QTest::newRow("unicode") << QString::fromUtf8("clé/日本") << false << true;
        QTest::newRow("empty") << "" << false << false;
        QTest::newRow("nul") << QString(QStringLiteral("a") + QChar(0) + QStringLiteral("b")) << false << false;
        QTest::newRow("newline") << "a\nb" << false << false;
        QTest::newRow("slash in sqlite") << "a/b" << false << true;
        QTest::newRow("slash in files") << "a/b" << true << false;
        QTest::newRow("dotdot in files") << ".." << true << false;
        QTest::newRow("dot in files") << "." << true << false;
        QTest::newRow("dots inside name") << "a..b" << true << true;
        QTest::newRow("too long") << QString(1025, QLatin1Char('x')) << false << false;
    }
    void testValidateKey()
    {
        QFETCH(QString, key);
        QFETCH(bool, fileBacked);
        QFETCH(bool, valid);
        Capabilities caps;
        caps.fileBacked = fileBacked;
        if (fileBacked)
            caps.forbiddenKeyChars = QStringLiteral("/\\");
        const Status s = validateKey(key, caps);
        QCOMPARE(s.ok(), valid);
        if (!valid)
            QCOMPARE(s.error().kind, ErrorKind::Invalid);
    }
};

QTEST_GUILESS_MAIN(TestCodec)
#include "tst_codec.moc"
