#include "RedisTestServer.h"
#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

// What an independent probe of statedeckctl found (issue 18): option values
// nobody checked, a retention that overflowed to zero, values nested so deep
// that every reader crashed, a password echoed from a malformed URL. Each
// row failed before its fix.
class TestCliHardening : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;
    QString m_ctl;
    QString m_db;

    QProcessEnvironment env() const
    {
        QProcessEnvironment e = sd::test::isolatedEnvironment(m_home.path());
        e.remove(QStringLiteral("RATE_LIMIT_ENABLED"));
        return e;
    }

    sd::test::ProgramRun ctl(QStringList args, const QByteArray &input = {})
    {
        if (!args.contains(QStringLiteral("--store")) && !args.contains(QStringLiteral("--connection")))
            args = QStringList{QStringLiteral("--store"), QStringLiteral("sqlite://") + m_db} + args;
        return sd::test::runProgram(m_ctl, args, env(), input, 60000);
    }

    static QByteArray nested(int depth)
    {
        return QByteArray(depth, '[') + QByteArray(depth, ']');
    }

    void writeFile(const QString &path, const QByteArray &bytes)
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(bytes);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_ctl = sd::test::builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY2(!m_ctl.isEmpty(), "statedeckctl was not built");
        m_db = m_home.filePath(QStringLiteral("probe.db"));
        QCOMPARE(ctl({QStringLiteral("put"), QStringLiteral("k"), QStringLiteral("-")}, "{\"a\":1}").code, 0);
        QCOMPARE(ctl({QStringLiteral("task"), QStringLiteral("create"), QStringLiteral("fresh")}).code, 0);
    }

    void testOptionValuesAreChecked_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("stderrHas");
        QTest::newRow("page size not a number") << QStringList{"ls", "--page-size", "abc"} << "--page-size abc";
        QTest::newRow("page size zero") << QStringList{"ls", "--page-size", "0"} << "from 1 to 100000";
        QTest::newRow("page size negative") << QStringList{"ls", "--page-size", "-5"} << "--page-size -5";
        QTest::newRow("max negative") << QStringList{"ls", "--max", "-1"} << "--max -1";
        QTest::newRow("watch timeout not a number") << QStringList{"watch", "--timeout", "abc"} << "--timeout abc";
        QTest::newRow("watch timeout negative") << QStringList{"watch", "--timeout", "-1"} << "--timeout -1";
        QTest::newRow("watch count zero") << QStringList{"watch", "--count", "0"} << "--count 0";
        QTest::newRow("lock ttl not a number") << QStringList{"lock", "l", "--ttl", "x", "true"} << "--ttl x";
        QTest::newRow("revision a typo") << QStringList{"rm", "k", "--if-revision", "abc"} << "--if-revision abc";
        QTest::newRow("revision a typo on put")
            << QStringList{"put", "k", "-", "--if-revision", "1x"} << "--if-revision 1x";
        QTest::newRow("max iterations negative")
            << QStringList{"task", "create", "t1", "--pr", "7", "--max-iterations", "-1"} << "--max-iterations -1";
        QTest::newRow("retention past 64 bits")
            << QStringList{"task", "cleanup", "--dry-run", "--retention", "9223372036854775808s"} << "out of range";
        QTest::newRow("retention of 20 digits")
            << QStringList{"task", "cleanup", "--dry-run", "--retention", "99999999999999999999d"} << "out of range";
        QTest::newRow("retention of weeks that overflow")
            << QStringList{"task", "cleanup", "--dry-run", "--retention", "30500568904943w"} << "out of range";
        QTest::newRow("retention without a unit")
            << QStringList{"task", "cleanup", "--dry-run", "--retention", "7"} << "has no unit";
        QTest::newRow("retention with an unknown unit")
            << QStringList{"task", "cleanup", "--dry-run", "--retention", "7y"} << "not a unit";
        QTest::newRow("every too long")
            << QStringList{"task", "cleanup", "--every", "30d"} << "between 1s and 24d";
    }
    void testOptionValuesAreChecked()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, stderrHas);
        const auto r = ctl(args, "{\"a\":2}");
        QVERIFY2(r.err.contains(stderrHas.toUtf8()), r.err.constData());
        QCOMPARE(r.code, 2);
        // Nothing was written or deleted on the way.
        const auto get = ctl({QStringLiteral("get"), QStringLiteral("k"), QStringLiteral("-o"), QStringLiteral("value")});
        QCOMPARE(get.code, 0);
        QVERIFY2(get.out.contains("\"a\": 1") || get.out.contains("\"a\":1"), get.out.constData());
        QCOMPARE(ctl({QStringLiteral("task"), QStringLiteral("get"), QStringLiteral("fresh")}).code, 0);
    }

    void testRetentionKeepsRecentTasks()
    {
        // A task updated seconds ago is never due, however long the retention.
        const auto r = ctl({QStringLiteral("task"), QStringLiteral("cleanup"), QStringLiteral("--dry-run"),
                            QStringLiteral("--retention"), QStringLiteral("36500d")});
        QCOMPARE(r.code, 0);
        QVERIFY2(!r.out.contains("fresh"), r.out.constData());
        QVERIFY(ctl({QStringLiteral("task"), QStringLiteral("cleanup"), QStringLiteral("--help")})
                    .out.contains("units s, m, h, d, w"));
    }

    void testDeepJsonIsRefusedNamingTheKey_data()
    {
        QTest::addColumn<int>("depth");
        QTest::addColumn<int>("code");
        QTest::newRow("at the limit") << 512 << 0;
        QTest::newRow("one past it") << 513 << 1;
        QTest::newRow("70,000 deep") << 70000 << 1;
    }
    void testDeepJsonIsRefusedNamingTheKey()
    {
        QFETCH(int, depth);
        QFETCH(int, code);
        const QString file = m_home.filePath(QStringLiteral("deep.json"));
        writeFile(file, nested(depth));
        const auto r = ctl({QStringLiteral("put"), QStringLiteral("deep"), file});
        QCOMPARE(r.code, code);
        if (code != 0) {
            QVERIFY2(r.err.contains("nested more than 512 levels"), r.err.constData());
            QVERIFY2(r.err.contains(QByteArray(file.toUtf8() + ":1:513")), r.err.constData());
            QCOMPARE(ctl({QStringLiteral("get"), QStringLiteral("deep")}).code, 3); // nothing written
        } else {
            const auto get = ctl({QStringLiteral("get"), QStringLiteral("deep"), QStringLiteral("-o"),
                                  QStringLiteral("json")});
            QCOMPARE(get.code, 0);
            QCOMPARE(ctl({QStringLiteral("rm"), QStringLiteral("deep")}).code, 0);
        }
    }

    // A value another client wrote can be read, listed and exported by
    // everyone: it is held as the text it is, byte for byte.
    void testDeepValueWrittenByAnotherClient()
    {
        sd::test::RedisTestServer redis;
        QVERIFY(redis.start());
        const QByteArray deep = nested(100000);
        QCOMPARE(redis.command({"SET", "deep", deep}), QByteArray("+OK"));
        QCOMPARE(redis.command({"SET", "plain", "{\"x\":1}"}), QByteArray("+OK"));
        const QString url = QStringLiteral("redis://127.0.0.1:%1/0").arg(redis.port());
        const auto get = ctl({QStringLiteral("--store"), url, QStringLiteral("get"), QStringLiteral("deep"),
                              QStringLiteral("-o"), QStringLiteral("value")});
        QCOMPARE(get.code, 0);
        QVERIFY(get.out.startsWith(deep));
        const auto ls = ctl({QStringLiteral("--store"), url, QStringLiteral("ls"), QStringLiteral("--values")});
        QCOMPARE(ls.code, 0);
        QVERIFY2(ls.out.contains("plain"), ls.out.constData());
        const QString snap = m_home.filePath(QStringLiteral("deep.snap"));
        QCOMPARE(ctl({QStringLiteral("--store"), url, QStringLiteral("export"), QStringLiteral("-o"), snap}).code, 0);
        const QString copy = m_home.filePath(QStringLiteral("copy.db"));
        QCOMPARE(ctl({QStringLiteral("--store"), QStringLiteral("sqlite://") + copy, QStringLiteral("import"), snap}).code,
                 0);
        const auto back = ctl({QStringLiteral("--store"), QStringLiteral("sqlite://") + copy, QStringLiteral("get"),
                               QStringLiteral("deep"), QStringLiteral("-o"), QStringLiteral("value")});
        QCOMPARE(back.code, 0);
        QVERIFY(back.out.startsWith(deep));
        redis.stop();
    }

    // A value stored as JSON that is nested too deep (written by another
    // program into the database): `get` refuses it naming the key, a listing
    // carries on past it with a warning, and an export stops rather than
    // write a snapshot without it.
    void testDeepValueInTheDatabase()
    {
        const QString path = m_home.filePath(QStringLiteral("deep-in-db.db"));
        const QString store = QStringLiteral("sqlite://") + path;
        QCOMPARE(ctl({QStringLiteral("--store"), store, QStringLiteral("put"), QStringLiteral("deep"), QStringLiteral("-"),
                      QStringLiteral("--encoding"), QStringLiteral("text")},
                     nested(2000))
                     .code,
                 0);
        QCOMPARE(ctl({QStringLiteral("--store"), store, QStringLiteral("put"), QStringLiteral("fine"), QStringLiteral("-")},
                     "{\"ok\":true}")
                     .code,
                 0);
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(path.toUtf8().constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "UPDATE entries SET encoding = 'json' WHERE key = 'deep'", nullptr, nullptr, nullptr),
                 SQLITE_OK);
        sqlite3_close(db);

        const auto get = ctl({QStringLiteral("--store"), store, QStringLiteral("get"), QStringLiteral("deep")});
        QCOMPARE(get.code, 1);
        QVERIFY2(get.err.contains("deep") && get.err.contains("nested more than 512 levels"), get.err.constData());
        const auto ls = ctl({QStringLiteral("--store"), store, QStringLiteral("ls"), QStringLiteral("--values"),
                             QStringLiteral("-o"), QStringLiteral("json")});
        QCOMPARE(ls.code, 1);
        QVERIFY2(ls.err.contains("warning: deep cannot be read"), ls.err.constData());
        QVERIFY2(ls.out.contains("\"fine\""), ls.out.constData());
        const QString snap = m_home.filePath(QStringLiteral("deep-in-db.snap"));
        const auto exported = ctl({QStringLiteral("--store"), store, QStringLiteral("export"), QStringLiteral("-o"), snap});
        QCOMPARE(exported.code, 1);
        QVERIFY2(exported.err.contains("deep") && exported.err.contains("cannot read this value"),
                 exported.err.constData());
        QVERIFY(!QFile::exists(snap));
        // It can still be deleted.
        QCOMPARE(ctl({QStringLiteral("--store"), store, QStringLiteral("rm"), QStringLiteral("deep")}).code, 0);
    }

    void testBrokenConnectionsFile_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("stderrHas");
        QByteArray deep = "connections:\n";
        for (int i = 0; i < 1000; ++i)
            deep += QByteArray(2 * (i + 1), ' ') + "k:\n";
        QTest::newRow("broken YAML") << QByteArray("connections: [\n") << "connections.yaml:";
        QTest::newRow("1000 levels deep") << deep << "nested too deep";
    }
    void testBrokenConnectionsFile()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, stderrHas);
        const QString path = m_home.filePath(QStringLiteral("config/statedeck/connections.yaml"));
        writeFile(path, yaml);
        const auto r = sd::test::runProgram(m_ctl, {QStringLiteral("ls")}, env(), {}, 30000);
        QFile::remove(path);
        QVERIFY2(r.err.contains(stderrHas.toUtf8()), r.err.constData());
        QCOMPARE(r.code, 1); // a broken file, not a usage mistake
    }

    void testMalformedUrlMasksThePassword_data()
    {
        QTest::addColumn<QString>("url");
        QTest::newRow("one slash") << "redis:/u:PASS@127.0.0.1:16391/0";
        QTest::newRow("no slash") << "redis:u:PASS@127.0.0.1:16391/0";
        QTest::newRow("two slashes, bad port") << "redis://u:PASS@127.0.0.1:notaport/0";
    }
    void testMalformedUrlMasksThePassword()
    {
        QFETCH(QString, url);
        const auto r = ctl({QStringLiteral("--store"), url, QStringLiteral("ls")});
        QVERIFY(r.code != 0);
        QVERIFY2(!r.err.contains("PASS") && !r.out.contains("PASS"), r.err.constData());
    }
};

QTEST_MAIN(TestCliHardening)
#include "tst_cli_hardening.moc"
