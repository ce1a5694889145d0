#include "config/ConfigNode.h"

#include <QTest>

using namespace sd;

class TestConfigNode : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void testLocations_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("keyWhere");
        QTest::addColumn<QString>("valueWhere");
        QTest::newRow("top level") << QByteArray("a: 1\nbb: two\n") << "bb" << "f.yml:2:1" << "f.yml:2:5";
        QTest::newRow("after ---") << QByteArray("---\nkind: x\n") << "kind" << "f.yml:2:1" << "f.yml:2:7";
        QTest::newRow("empty value takes the key's place") << QByteArray("a:\n") << "a" << "f.yml:1:1" << "f.yml:1:1";
    }
    void testLocations()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, key);
        QFETCH(QString, keyWhere);
        QFETCH(QString, valueWhere);
        const Result<ConfigNode> root = parseConfigYaml(yaml, QStringLiteral("f.yml"));
        QVERIFY(root.ok());
        const ConfigNode *n = root->get(key);
        QVERIFY(n);
        QCOMPARE(n->keyWhere(), keyWhere);
        QCOMPARE(n->where(), valueWhere);
    }

    void testScalars_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("scalar");
        QTest::addColumn<bool>("quoted");
        QTest::newRow("plain") << QByteArray("v: redis\n") << "redis" << false;
        QTest::newRow("double quoted") << QByteArray("v: \"redis\"\n") << "redis" << true;
        QTest::newRow("single quoted") << QByteArray("v: '6379'\n") << "6379" << true;
        QTest::newRow("number stays text") << QByteArray("v: 0\n") << "0" << false;
    }
    void testScalars()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, scalar);
        QFETCH(bool, quoted);
        const Result<ConfigNode> root = parseConfigYaml(yaml, QStringLiteral("f.yml"));
        QVERIFY(root.ok());
        QCOMPARE(root->get(QStringLiteral("v"))->scalar, scalar);
        QCOMPARE(root->get(QStringLiteral("v"))->quoted, quoted);
    }

    void testErrors_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unclosed flow map") << QByteArray("a: {b: 1\n") << "f.yml:2:1" << "invalid YAML";
        QTest::newRow("bad indentation") << QByteArray("a:\n  b: 1\n c: 2\n") << "f.yml:3:2" << "invalid YAML";
        QTest::newRow("duplicate key") << QByteArray("a: 1\nb: 2\na: 3\n") << "f.yml:3:1" << "duplicate key \"a\"";
        QTest::newRow("nested duplicate") << QByteArray("m:\n  x: 1\n  x: 2\n") << "f.yml:3:3" << "duplicate key \"x\"";
    }
    void testErrors()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, where);
        QFETCH(QString, mentions);
        const Result<ConfigNode> root = parseConfigYaml(yaml, QStringLiteral("f.yml"));
        QVERIFY(!root.ok());
        QCOMPARE(root.error().kind, ErrorKind::Invalid);
        QCOMPARE(root.error().where, where);
        QVERIFY2(root.error().message.contains(mentions), qPrintable(root.error().message));
    }

    void testExpectKeysNamesKeyAndAccepted()
    {
        const Result<ConfigNode> root = parseConfigYaml("ok: 1\n  \nbogus: 2\n", QStringLiteral("f.yml"));
        QVERIFY(root.ok());
        const Status s = expectKeys(root.value(), {QStringLiteral("ok"), QStringLiteral("fine")}, QStringLiteral("x"));
        QVERIFY(!s.ok());
        QCOMPARE(s.error().where, QStringLiteral("f.yml:3:1"));
        QVERIFY(s.error().message.contains(QLatin1String("\"bogus\"")));
        QVERIFY(s.error().message.contains(QLatin1String("ok, fine")));
    }

    void testMissingFile()
    {
        const Result<ConfigNode> r = loadConfigYaml(QStringLiteral("/nonexistent/statedeck/x.yml"));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Io);
        QCOMPARE(r.error().where, QStringLiteral("/nonexistent/statedeck/x.yml"));
    }
};

QTEST_GUILESS_MAIN(TestConfigNode)
#include "tst_config_node.moc"
