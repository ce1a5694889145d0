#include "ConfigTestHelpers.h"
#include "config/ConfigNode.h"
#include "config/EnvExpander.h"

#include <QTest>

using namespace sd;
using sd::test::envOf;

namespace {
const QStringList kEnv = {QStringLiteral("A=x"), QStringLiteral("B=yy"), QStringLiteral("EMPTY="),
                          QStringLiteral("DOLLAR=$HOME")};
}

class TestConfigEnv : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void testExpand_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no reference") << "plain text" << "plain text";
        QTest::newRow("set") << "${A}" << "x";
        QTest::newRow("text around") << "pre-${A}-post" << "pre-x-post";
        QTest::newRow("two references") << "${A}${B}" << "xyy";
        QTest::newRow("url around") << "redis://${A}:6379/${B}" << "redis://x:6379/yy";
        QTest::newRow("set but empty") << "[${EMPTY}]" << "[]";
        QTest::newRow("default when unset") << "${NOPE:-fallback}" << "fallback";
        QTest::newRow("default not used") << "${A:-fallback}" << "x";
        QTest::newRow("empty default") << "[${NOPE:-}]" << "[]";
        QTest::newRow(":- treats empty as unset") << "${EMPTY:-d}" << "d";
        QTest::newRow("- keeps empty") << "[${EMPTY-d}]" << "[]";
        QTest::newRow("- default when unset") << "${NOPE-d}" << "d";
        QTest::newRow("default with text and spaces") << "${NOPE:-a b/c:d}" << "a b/c:d";
        QTest::newRow("nested default") << "${NOPE:-${A}}" << "x";
        QTest::newRow("nested default with text") << "${NOPE:-<${B}>}" << "<yy>";
        QTest::newRow("32 levels of defaults")
            << QString(QStringLiteral("${NOPE:-").repeated(32) + QStringLiteral("deep") + QStringLiteral("}").repeated(32)) << "deep";
        QTest::newRow("unused default may name unset") << "${A:-${NOPE}}" << "x";
        QTest::newRow("unused :? is no error") << "${A:?must be set}" << "x";
        QTest::newRow("$$ is a dollar") << "a$$b" << "a$b";
        QTest::newRow("$$ before a reference") << "$$${A}" << "$x";
        QTest::newRow("$${A} is literal") << "$${A}" << "${A}";
        QTest::newRow("bare $NAME untouched") << "$A and $" << "$A and $";
        QTest::newRow("lone dollar") << "cost $5" << "cost $5";
        QTest::newRow("value is not re-expanded") << "${DOLLAR}" << "$HOME";
        QTest::newRow("gate pattern") << "ssh:*" << "ssh:*";
    }
    void testExpand()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const EnvExpander env(envOf(kEnv));
        const Result<QString> r = env.expand(text, QStringLiteral("f.yml:3:7"));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r.value(), expected);
    }

    void testExpandError_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unset") << "${NOPE}" << "NOPE is not set";
        QTest::newRow("unset inside text") << "a-${NOPE}-b" << "NOPE is not set";
        QTest::newRow("unset in a used default") << "${NOPE:-${NOPE2}}" << "NOPE2 is not set";
        QTest::newRow(":? unset") << "${NOPE:?give the namespace}" << "give the namespace";
        QTest::newRow(":? empty") << "${EMPTY:?give it}" << "EMPTY is empty";
        QTest::newRow("? unset") << "${NOPE?}" << "NOPE is not set";
        QTest::newRow("unterminated") << "${A" << "unterminated";
        QTest::newRow("unterminated default") << "${NOPE:-x" << "unterminated";
        QTest::newRow("empty name") << "${}" << "invalid variable name";
        QTest::newRow("name starts with digit") << "${1A}" << "invalid variable name";
        QTest::newRow("unsupported operator") << "${A:+x}" << "unsupported";
        QTest::newRow("space in name") << "${A B}" << "unsupported";
        // Defaults nest by recursion; 200,000 levels used to overflow the stack.
        QTest::newRow("nested too deep") << QString(QStringLiteral("${NOPE:-").repeated(200000) + QStringLiteral("}").repeated(200000))
                                         << "nested more than 32 deep";
    }
    void testExpandError()
    {
        QFETCH(QString, text);
        QFETCH(QString, mentions);
        const EnvExpander env(envOf(kEnv));
        const Result<QString> r = env.expand(text, QStringLiteral("f.yml:3:7"));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QCOMPARE(r.error().where, QStringLiteral("f.yml:3:7"));
        QVERIFY2(r.error().message.contains(mentions), qPrintable(r.error().message));
    }

    // A value may be a password: errors describe it, never repeat it.
    void testErrorDoesNotEchoValue_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("unterminated") << "hunter2${A";
        QTest::newRow("bad name") << "hunter2${-}";
        QTest::newRow("unset") << "hunter2${NOPE}";
    }
    void testErrorDoesNotEchoValue()
    {
        QFETCH(QString, text);
        const Result<QString> r = EnvExpander(envOf(kEnv)).expand(text, QStringLiteral("f"));
        QVERIFY(!r.ok());
        QVERIFY(!r.error().toString().contains(QLatin1String("hunter2")));
    }

    // Errors from YAML values name the scalar's file:line:column.
    void testNodeLocation_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("where");
        QTest::newRow("plain") << QByteArray("a:\n  b: ${NOPE}\n") << "cfg.yml:2:6";
        QTest::newRow("quoted") << QByteArray("a:\n  b: \"x-${NOPE}\"\n") << "cfg.yml:2:6";
        QTest::newRow("document start") << QByteArray("---\nkind: x\nb:   ${NOPE:?}\n") << "cfg.yml:3:6";
    }
    void testNodeLocation()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, where);
        const Result<ConfigNode> root = parseConfigYaml(yaml, QStringLiteral("cfg.yml"));
        QVERIFY(root.ok());
        const ConfigNode *b = root->get(QStringLiteral("a")) ? root->get(QStringLiteral("a"))->get(QStringLiteral("b"))
                                                             : root->get(QStringLiteral("b"));
        QVERIFY(b);
        const Result<QString> r = EnvExpander(envOf(kEnv)).expand(*b);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().where, where);
        QVERIFY(r.error().message.contains(QLatin1String("NOPE")));
    }

    void testNodeValues_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("expected");
        QTest::newRow("null is empty") << QByteArray("b:\n") << "";
        QTest::newRow("number text") << QByteArray("b: 6379\n") << "6379";
        QTest::newRow("quoted reference") << QByteArray("b: \"${A}\"\n") << "x";
        QTest::newRow("single-quoted reference") << QByteArray("b: '${B:-z}'\n") << "yy";
    }
    void testNodeValues()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, expected);
        const Result<ConfigNode> root = parseConfigYaml(yaml, QStringLiteral("cfg.yml"));
        QVERIFY(root.ok());
        const Result<QString> r = EnvExpander(envOf(kEnv)).expand(*root->get(QStringLiteral("b")));
        QVERIFY(r.ok());
        QCOMPARE(r.value(), expected);
    }

    void testProcessEnvironmentIsDefault()
    {
        qputenv("SD_TST_CONFIG_ENV", "from-process");
        const Result<QString> r = EnvExpander().expand(QStringLiteral("${SD_TST_CONFIG_ENV}"), QString());
        qunsetenv("SD_TST_CONFIG_ENV");
        QVERIFY(r.ok());
        QCOMPARE(r.value(), QStringLiteral("from-process"));
    }
};

QTEST_GUILESS_MAIN(TestConfigEnv)
#include "tst_config_env.moc"
