#include "TestSupport.h"
#include "model/Json.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

// statedeckctl as a user runs it: a real process, a real store in a
// temporary XDG home, exit codes and messages checked.
class TestCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;
    QString m_ctl;

    QProcessEnvironment env() const
    {
        QProcessEnvironment e = sd::test::isolatedEnvironment(m_home.path());
        e.remove(QStringLiteral("RATE_LIMIT_ENABLED"));
        return e;
    }

    using Run = sd::test::ProgramRun;

    Run ctl(const QStringList &args, const QByteArray &input = {})
    {
        return sd::test::runProgram(m_ctl, args, env(), input, 30000);
    }

    void writeFile(const QString &path, const QByteArray &bytes)
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_ctl = sd::test::builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY2(!m_ctl.isEmpty(), "statedeckctl was not built");
    }

    void testExitCodesAndMessages_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("stderrHas");
        QTest::newRow("no such key") << QStringList{"get", "missing-key"} << QByteArray() << 3 << "missing-key";
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << QByteArray() << 2 << "unknown command";
        QTest::newRow("missing argument") << QStringList{"put", "k"} << QByteArray() << 2 << "usage: statedeckctl put";
        QTest::newRow("unknown option") << QStringList{"get", "k", "--frob"} << QByteArray() << 2 << "frob";
        QTest::newRow("bad output format") << QStringList{"ls", "-o", "xml"} << QByteArray() << 2 << "--output";
        QTest::newRow("malformed JSON names line:column")
            << QStringList{"put", "k", "-"} << QByteArray("{\n  \"a\": 1,\n  \"b\": }") << 1 << "<stdin>:3:8";
        QTest::newRow("missing input file") << QStringList{"put", "k", "/nonexistent/x.json"} << QByteArray() << 1
                                            << "/nonexistent/x.json: no such file";
        QTest::newRow("over 1 MiB refused")
            << QStringList{"put", "big", "-"} << (QByteArray("{\"x\":\"") + QByteArray(1 << 20, 'a') + "\"}") << 1
            << "limit is 1048576 bytes";
        QTest::newRow("backend not built") << QStringList{"--store", "consul://127.0.0.1:1", "get", "k"} << QByteArray()
                                           << 1 << "available: ";
        QTest::newRow("unknown URL scheme") << QStringList{"--store", "bogus://x", "ls"} << QByteArray() << 2 << "bogus";
        QTest::newRow("store and connection both") << QStringList{"--store", "a.db", "--connection", "b", "ls"}
                                                   << QByteArray() << 2 << "not both";
        QTest::newRow("unknown connection") << QStringList{"--connection", "nope", "ls"} << QByteArray() << 2 << "nope";
        QTest::newRow("bad label") << QStringList{"put", "k", "-", "--label", "novalue"} << QByteArray("{}") << 2
                                   << "NAME=VALUE";
    }
    void testExitCodesAndMessages()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, input);
        QFETCH(int, code);
        QFETCH(QString, stderrHas);
        const Run r = ctl(args, input);
        QVERIFY2(r.err.contains(stderrHas.toUtf8()), r.err.constData());
        QCOMPARE(r.code, code);
        if (args.contains(QStringLiteral("big")))
            QCOMPARE(ctl({QStringLiteral("get"), QStringLiteral("big")}).code, 3); // nothing written
    }

    void testPutGetRoundTrip_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("encoding");
        QTest::newRow("json kept byte-identical") << QByteArray("{ \"b\":1,  \"a\":[1,2] }") << "json";
        QTest::newRow("text") << QByteArray("plain words\nsecond line") << "text";
        QTest::newRow("binary") << QByteArray("\x00\xff\xfe\x01binary", 10) << "base64";
        QTest::newRow("unicode") << QByteArray("{\"msg\":\"h\xc3\xa9llo \xe2\x9c\x93\"}") << "json";
    }
    void testPutGetRoundTrip()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, encoding);
        const QString key = QStringLiteral("rt-") + QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('-'));
        const Run put = ctl({QStringLiteral("put"), key, QStringLiteral("-")}, bytes);
        QCOMPARE(put.code, 0);
        const Run get = ctl({QStringLiteral("get"), key, QStringLiteral("-o"), QStringLiteral("json")});
        QCOMPARE(get.code, 0);
        const sd::Json j = sd::Json::parse(get.out.toStdString());
        QCOMPARE(QString::fromStdString(j["encoding"].get<std::string>()), encoding);
        if (encoding == QLatin1String("json")) {
            QVERIFY(j["value"] == sd::Json::parse(bytes.toStdString()));
        } else if (encoding == QLatin1String("text")) {
            QCOMPARE(QByteArray::fromStdString(j["value"].get<std::string>()), bytes);
        } else {
            QCOMPARE(QByteArray::fromBase64(QByteArray::fromStdString(j["value"].get<std::string>())), bytes);
        }
    }

    void testCompareAndSwapFromTheCommandLine()
    {
        QCOMPARE(ctl({"put", "cas", "-", "--create"}, "{\"v\":1}").code, 0);
        QCOMPARE(ctl({"put", "cas", "-", "--create"}, "{\"v\":2}").code, 4);
        const sd::Json first = sd::Json::parse(ctl({"get", "cas", "-o", "json"}).out.toStdString());
        const QString rev = QString::fromStdString(first["revision"].get<std::string>());
        QCOMPARE(ctl({"patch", "cas", "-", "--if-revision", rev}, "{\"w\":1}").code, 0);
        // The same stale revision again: someone (us) changed it since.
        const Run stale = ctl({"put", "cas", "-", "--if-revision", rev}, "{\"v\":3}");
        QCOMPARE(stale.code, 4);
        QVERIFY(stale.err.contains("hint:"));
        QCOMPARE(ctl({"get", "cas", "-o", "value"}).out.simplified(), QByteArray("{ \"v\": 1, \"w\": 1 }"));
    }

    void testOutputFormats_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("value") << "value" << QByteArray("{\n  \"a\": 1\n}\n");
        QTest::newRow("yaml") << "yaml" << QByteArray("key: fmt\nvalue:\n  a: 1\n");
        QTest::newRow("table") << "table" << QByteArray("KEY ");
    }
    void testOutputFormats()
    {
        QFETCH(QString, format);
        QFETCH(QByteArray, expected);
        QCOMPARE(ctl({"put", "fmt", "-"}, "{\"a\":1}").code, 0);
        const Run r = ctl({QStringLiteral("get"), QStringLiteral("fmt"), QStringLiteral("-o"), format});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.startsWith(expected), r.out.constData());
    }

    void testListPagesEverything()
    {
        for (int i = 0; i < 30; ++i)
            QCOMPARE(ctl({QStringLiteral("put"), QStringLiteral("ls/%1").arg(i, 2, 10, QLatin1Char('0')), QStringLiteral("-")},
                         "{}").code,
                     0);
        const Run r = ctl({"ls", "ls/", "--page-size", "7", "-o", "json"});
        QCOMPARE(r.code, 0);
        const sd::Json list = sd::Json::parse(r.out.toStdString());
        QCOMPARE(int(list.size()), 30);
        QCOMPARE(QString::fromStdString(list[29]["key"].get<std::string>()), QStringLiteral("ls/29"));
        QVERIFY(r.err.isEmpty()); // no progress drawn into a pipe
        const Run few = ctl({"ls", "ls/", "--max", "5", "-o", "value"});
        QCOMPARE(few.out.count('\n'), 5);
    }

    // On a terminal a long listing shows a progress line on stderr (and
    // clears it); `script` gives the command a real pseudo-terminal.
    void testProgressOnATerminal()
    {
        for (int i = 0; i < 3; ++i)
            QCOMPARE(ctl({QStringLiteral("put"), QStringLiteral("tty/%1").arg(i), QStringLiteral("-")}, "{}").code, 0);
        QProcess script;
        script.setProcessEnvironment(env());
        script.start(QStringLiteral("script"), {QStringLiteral("-qec"),
                                                QStringLiteral("'%1' ls tty/ --page-size 1 -o value").arg(m_ctl),
                                                QStringLiteral("/dev/null")});
        QVERIFY(script.waitForFinished(30000));
        QCOMPARE(script.exitCode(), 0);
        const QByteArray tty = script.readAllStandardOutput();
        QVERIFY2(tty.contains("listed 1 keys...") && tty.contains("\r\033[K"), tty.constData());
        QVERIFY(tty.contains("tty/2"));
        // Asked for quiet, it draws nothing.
        script.start(QStringLiteral("script"), {QStringLiteral("-qec"),
                                                QStringLiteral("'%1' -q ls tty/ --page-size 1 -o value").arg(m_ctl),
                                                QStringLiteral("/dev/null")});
        QVERIFY(script.waitForFinished(30000));
        QVERIFY(!script.readAllStandardOutput().contains("listed"));
    }

    void testWatchPrintsChanges()
    {
        // Start from a known store revision, so the events are exactly the
        // ones written below however fast the watcher starts.
        const Run start = ctl({"put", "w/start", "-", "-o", "json"}, "{}");
        QCOMPARE(start.code, 0);
        const QString from = QString::fromStdString(sd::Json::parse(start.out.toStdString())["revision"].get<std::string>());
        QCOMPARE(ctl({"put", "w/a", "-"}, "{\"n\":1}").code, 0);
        QProcess watch;
        watch.setProcessEnvironment(env());
        watch.start(m_ctl, {"watch", "w/", "--from-revision", from, "--count", "3", "-o", "json", "--timeout", "30"});
        QVERIFY(watch.waitForStarted());
        QCOMPARE(ctl({"put", "w/a", "-"}, "{\"n\":2}").code, 0);
        QCOMPARE(ctl({"rm", "w/a"}).code, 0);
        QVERIFY(watch.state() == QProcess::NotRunning || watch.waitForFinished(30000));
        QCOMPARE(watch.exitCode(), 0);
        const QList<QByteArray> lines = watch.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        const QStringList expected{QStringLiteral("ADDED"), QStringLiteral("MODIFIED"), QStringLiteral("DELETED")};
        for (int i = 0; i < 3; ++i) {
            const sd::Json j = sd::Json::parse(lines[i].toStdString());
            QCOMPARE(QString::fromStdString(j["type"].get<std::string>()), expected[i]);
            QCOMPARE(QString::fromStdString(j["key"].get<std::string>()), QStringLiteral("w/a"));
        }
        QVERIFY(sd::Json::parse(lines[1].toStdString())["value"] == (sd::Json{{"n", 2}}));
    }

    // On a file store, whose events carry no store revision, the printed
    // revision is the entry's (what --if-revision takes); -o yaml gives one
    // YAML document an event.
    void testWatchYamlOnFileStore()
    {
        const QString dir = m_home.filePath(QStringLiteral("watched"));
        QDir().mkpath(dir);
        writeFile(dir + QStringLiteral("/state.json"), "{}\n");
        const QStringList store{QStringLiteral("--store"), QStringLiteral("local://") + dir + QStringLiteral("/state.json")};
        QProcess watch;
        watch.setProcessEnvironment(env());
        watch.start(m_ctl, store + QStringList{"watch", "--count", "1", "-o", "yaml", "--timeout", "30"});
        QVERIFY(watch.waitForStarted());
        // The watch reports ready on stderr only on a terminal: write until
        // seen, a new value each time (a file store reports only changes of
        // content, and the watch may not have started on the first write).
        Run put;
        int attempt = 0;
        QTRY_VERIFY_WITH_TIMEOUT((put = ctl(store + QStringList{"put", "cfg", "-", "-o", "json"},
                                            QByteArray("{\"a\":") + QByteArray::number(++attempt) + '}'))
                                         .code
                                     == 0
                                     && (watch.state() == QProcess::NotRunning || watch.waitForFinished(500)),
                                 30000);
        const QByteArray out = watch.readAllStandardOutput();
        QVERIFY2(out.startsWith("---\ntype: ADDED\nkey: cfg\n") || out.startsWith("---\ntype: MODIFIED\nkey: cfg\n"),
                 out.constData());
        QVERIFY2(out.contains("revision: "), out.constData());
        QVERIFY(!out.contains("revision: \"\""));
    }

    // A file that does not parse is listed and said loudly; the listing
    // fails. A listing that cannot start prints no empty result.
    void testLsReportsWhatItCannotRead()
    {
        const QString dir = m_home.filePath(QStringLiteral("brokenls"));
        QDir().mkpath(dir);
        writeFile(dir + QStringLiteral("/state.json"), "{}\n");
        writeFile(dir + QStringLiteral("/good.json"), "{\"ok\": true}\n");
        writeFile(dir + QStringLiteral("/bad.json"), "{\"ok\": tru\n");
        const QStringList store{QStringLiteral("--store"), QStringLiteral("local://") + dir + QStringLiteral("/state.json")};
        const Run ls = ctl(store + QStringList{"ls", "-o", "value"});
        QCOMPARE(ls.code, 1);
        QVERIFY(ls.out.contains("good") && ls.out.contains("bad"));
        QVERIFY2(ls.err.contains("warning: bad cannot be read") && ls.err.contains("bad.json:1:"), ls.err.constData());
        const Run down = ctl({"--store", QStringLiteral("redis://127.0.0.1:%1").arg(1), "ls", "-o", "json"});
        QCOMPARE(down.code, 1);
        QCOMPARE(down.out, QByteArray());
        const Run conns = ctl({"connections", "-o", "yaml"});
        QCOMPARE(conns.code, 0);
    }

    void testLockHoldsWhileCommandRuns()
    {
        // The first holder waits on its stdin, so the test decides when it ends.
        QProcess holder;
        holder.setProcessEnvironment(env());
        holder.start(m_ctl, {"lock", "deploy", "--", "sh", "-c", "echo token=$STATEDECK_FENCING_TOKEN; read line"});
        QVERIFY(holder.waitForStarted());
        // QTRY_* evaluates its expression again at the end: accumulate.
        QByteArray said;
        QTRY_VERIFY_WITH_TIMEOUT((said += holder.readAllStandardOutput()).startsWith("token="), 15000);
        const Run busy = ctl({"lock", "deploy", "--", "true"});
        QCOMPARE(busy.code, 4);
        QVERIFY2(busy.err.contains("deploy"), busy.err.constData());
        holder.write("done\n");
        holder.closeWriteChannel();
        QVERIFY(holder.waitForFinished(15000));
        QCOMPARE(holder.exitCode(), 0);
        const Run after = ctl({"lock", "deploy", "--", "sh", "-c", "echo $STATEDECK_FENCING_TOKEN; exit 7"});
        QCOMPARE(after.code, 7); // the command's own exit code
        QVERIFY(after.out.trimmed().toULongLong() > 1);
        QCOMPARE(ctl({"lock", "x", "--", "/nonexistent/cmd"}).code, 127);
    }

    // Seed 000's limits hold across runs: each statedeckctl is a new
    // process, so the counts are shared through a file.
    void testRateLimitAcrossRuns()
    {
        const QStringList store{QStringLiteral("--store"),
                                QStringLiteral("sqlite://") + m_home.filePath(QStringLiteral("limited.db"))};
        auto put = [&](const QString &actor, const QString &enabled) {
            QProcess p;
            QProcessEnvironment e = env();
            e.insert(QStringLiteral("RATE_LIMIT_ENABLED"), enabled);
            e.insert(QStringLiteral("RATE_LIMIT_KEY_ROTATION"), QStringLiteral("2"));
            p.setProcessEnvironment(e);
            p.start(m_ctl, store + QStringList{"--actor", actor, "put", "keys", "-"});
            p.write("{\"k\": 1}");
            p.closeWriteChannel();
            p.waitForFinished(30000);
            return std::make_pair(p.exitCode(), p.readAllStandardError());
        };
        QCOMPARE(put(QStringLiteral("octocat"), QStringLiteral("true")).first, 0);
        QCOMPARE(put(QStringLiteral("octocat"), QStringLiteral("true")).first, 0);
        const auto third = put(QStringLiteral("octocat"), QStringLiteral("true"));
        QCOMPARE(third.first, 1);
        QVERIFY2(third.second.contains("octocat wrote this key 3 times in the last hour; the limit is 2"),
                 third.second.constData());
        QCOMPARE(put(QStringLiteral("hubot"), QStringLiteral("true")).first, 0); // a budget of its own
        // Tracked but not enforced: the write goes through.
        QCOMPARE(put(QStringLiteral("octocat"), QStringLiteral("false")).first, 0);
    }

    // A command that outlives the TTL keeps the lock (it is renewed), and a
    // holder whose lock was taken from it is stopped instead of carrying on.
    void testLockRenewedAndLost()
    {
        const QString db = m_home.filePath(QStringLiteral("locks.db"));
        const QStringList store{QStringLiteral("--store"), QStringLiteral("sqlite://") + db};
        QProcess holder;
        holder.setProcessEnvironment(env());
        holder.start(m_ctl, store + QStringList{"lock", "job", "--ttl", "1", "--", "sh", "-c",
                                                "echo held; read line; echo finished"});
        QVERIFY(holder.waitForStarted());
        QByteArray said;
        QTRY_VERIFY_WITH_TIMEOUT((said += holder.readAllStandardOutput()).startsWith("held"), 15000);
        QElapsedTimer since;
        since.start();
        QTest::qWait(2500); // over twice the TTL
        QCOMPARE(ctl(store + QStringList{"lock", "job", "--", "true"}).code, 4);

        // Take it away behind the holder's back, as an expired lease taken
        // over would: its next renewal finds out and stops the command.
        QProcess sqlite;
        sqlite.start(QStringLiteral("sqlite3"), {db, QStringLiteral("DELETE FROM locks WHERE name = 'job'")});
        QVERIFY(sqlite.waitForFinished(10000));
        QCOMPARE(sqlite.exitCode(), 0);
        QProcess thief;
        thief.setProcessEnvironment(env());
        thief.start(m_ctl, store + QStringList{"lock", "job", "--ttl", "30", "--", "sh", "-c", "echo mine; read line"});
        QByteArray thiefSaid;
        QTRY_VERIFY_WITH_TIMEOUT((thiefSaid += thief.readAllStandardOutput()).startsWith("mine"), 15000);
        // It may have stopped already while the thief started.
        QVERIFY(holder.state() == QProcess::NotRunning || holder.waitForFinished(15000));
        QCOMPARE(holder.exitCode(), 1);
        said += holder.readAllStandardOutput();
        QVERIFY(!said.contains("finished"));
        const QByteArray err = holder.readAllStandardError();
        QVERIFY2(err.contains("the lock was lost") && !err.contains("--if-revision"), err.constData());
        thief.write("x\n");
        thief.closeWriteChannel();
        QVERIFY(thief.waitForFinished(15000));
        QCOMPARE(thief.exitCode(), 0);
    }

    void testConnectionsFile()
    {
        const QString cfg = m_home.filePath(QStringLiteral("config/statedeck/connections.yaml"));
        const QString db = m_home.filePath(QStringLiteral("named.db"));
        writeFile(cfg, QStringLiteral("current: named\n"
                                      "connections:\n"
                                      "  named:\n"
                                      "    url: \"sqlite://%1\"\n"
                                      "  broken:\n"
                                      "    url: \"sqlite:///${STATEDECK_TEST_UNSET_VAR}/x.db\"\n"
                                      "  future:\n"
                                      "    url: \"consul://127.0.0.1:1\"\n")
                           .arg(db)
                           .toUtf8());
        QCOMPARE(ctl({"put", "via-current", "-"}, "{\"c\":1}").code, 0); // the current connection
        QVERIFY(QFile::exists(db));
        QCOMPARE(ctl({"--connection", "named", "get", "via-current"}).code, 0);
        const Run broken = ctl({"--connection", "broken", "ls"});
        QVERIFY(broken.code != 0);
        QVERIFY2(broken.err.contains("STATEDECK_TEST_UNSET_VAR") && broken.err.contains("connections.yaml:6"),
                 broken.err.constData());
        const Run future = ctl({"-c", "future", "ls"});
        QCOMPARE(future.code, 1);
        QVERIFY2(future.err.contains("not available in this build"), future.err.constData());
        const Run list = ctl({"connections", "-o", "json"});
        QCOMPARE(list.code, 0);
        const sd::Json j = sd::Json::parse(list.out.toStdString());
        QCOMPARE(int(j.size()), 3);
        QFile::remove(cfg);
    }

    void testCorruptDatabaseIsReportedAndKept()
    {
        const QString path = m_home.filePath(QStringLiteral("corrupt.db"));
        const QByteArray garbage(4096, 'Q');
        writeFile(path, garbage);
        const Run r = ctl({QStringLiteral("--store"), QStringLiteral("sqlite://") + path, QStringLiteral("put"),
                           QStringLiteral("k"), QStringLiteral("-")},
                          "{}");
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("not a SQLite database"), r.err.constData());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), garbage);
    }

    void testLocalStateJsonFromTheGate()
    {
        // Seed 000's layout as the gate writes it: `keys` in keysPath/state.json.
        const QString root = m_home.filePath(QStringLiteral("gate"));
        QDir().mkpath(root + QStringLiteral("/state"));
        QDir().mkpath(root + QStringLiteral("/keys"));
        QFile fixture(sd::test::fixturePath(QStringLiteral("k8-container-gate/keys.json")));
        QVERIFY(fixture.open(QIODevice::ReadOnly));
        const QByteArray original = fixture.readAll();
        writeFile(root + QStringLiteral("/keys/state.json"), original);
        const QString store = QStringLiteral("local://%1/state/state.json?keysPath=%1/keys").arg(root);

        const Run got = ctl({QStringLiteral("--store"), store, QStringLiteral("get"), QStringLiteral("keys"),
                             QStringLiteral("-o"), QStringLiteral("value")});
        QCOMPARE(got.code, 0);
        QVERIFY(sd::Json::parse(got.out.toStdString()) == sd::Json::parse(original.toStdString()));

        const Run patched = ctl({QStringLiteral("--store"), store, QStringLiteral("patch"), QStringLiteral("keys"),
                                 QStringLiteral("-")},
                                "{\"newuser\": [\"ssh-ed25519 AAAAnew\"]}");
        QCOMPARE(patched.code, 0);
        QFile after(root + QStringLiteral("/keys/state.json"));
        QVERIFY(after.open(QIODevice::ReadOnly));
        const sd::Json now = sd::Json::parse(after.readAll().toStdString());
        QCOMPARE(int(now.size()), 4);
        QVERIFY(now["octocat"] == sd::Json::parse(original.toStdString())["octocat"]);

        // A state file broken by hand: the error says where, the file stays.
        const QByteArray broken("{\n  \"a\": [1, 2,\n}\n");
        writeFile(root + QStringLiteral("/state/stats.json"), broken);
        const Run bad = ctl({QStringLiteral("--store"), store, QStringLiteral("get"), QStringLiteral("stats")});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("stats.json:3:1"), bad.err.constData());
        const Run overwrite = ctl({QStringLiteral("--store"), store, QStringLiteral("put"), QStringLiteral("stats"),
                                   QStringLiteral("-")},
                                  "{}");
        QVERIFY(overwrite.code != 0);
        QFile still(root + QStringLiteral("/state/stats.json"));
        QVERIFY(still.open(QIODevice::ReadOnly));
        QCOMPARE(still.readAll(), broken);
    }

    void testYamlStateDirectoryFromK0rdent()
    {
        // Seed 004's state/ directory: one value edited, every other byte kept.
        const QString dir = m_home.filePath(QStringLiteral("k0rdent/state"));
        QDir().mkpath(dir);
        const QString fixtureDir = sd::test::fixturePath(QStringLiteral("k0rdent-azure-setup/state"));
        QFile src(fixtureDir + QStringLiteral("/deployment-state.initial.generated.yaml"));
        QVERIFY(src.open(QIODevice::ReadOnly));
        const QByteArray original = src.readAll();
        writeFile(dir + QStringLiteral("/deployment-state.yaml"), original);
        const QString store = QStringLiteral("yaml://") + dir;

        const Run phase = ctl({QStringLiteral("--store"), store, QStringLiteral("get"),
                               QStringLiteral("deployment.phase"), QStringLiteral("-o"), QStringLiteral("value")});
        QCOMPARE(phase.code, 0);
        QCOMPARE(phase.out.trimmed(), QByteArray("\"preparation\""));

        QCOMPARE(ctl({QStringLiteral("--store"), store, QStringLiteral("put"), QStringLiteral("deployment.phase"),
                      QStringLiteral("-")},
                     "\"network\"")
                     .code,
                 0);
        QFile edited(dir + QStringLiteral("/deployment-state.yaml"));
        QVERIFY(edited.open(QIODevice::ReadOnly));
        QByteArray expected = original;
        expected.replace("phase: \"preparation\"", "phase: \"network\"");
        QCOMPARE(edited.readAll(), expected); // comments, quoting and order untouched

        const Run keys = ctl({QStringLiteral("--store"), store, QStringLiteral("ls"), QStringLiteral("deployment."),
                              QStringLiteral("-o"), QStringLiteral("value")});
        QCOMPARE(keys.code, 0);
        QVERIFY(keys.out.contains("deployment.phases\n"));
        QVERIFY(keys.out.contains("deployment.vm_states\n"));

        const Run nested = ctl({QStringLiteral("--store"), store, QStringLiteral("get"),
                                QStringLiteral("deployment.phases.install_k0s.status"), QStringLiteral("-o"),
                                QStringLiteral("value")});
        QCOMPARE(nested.out.trimmed(), QByteArray("\"pending\""));

        // A broken YAML file is named with its position and never rewritten.
        const QByteArray broken("phase: \"x\"\nconfig: [unclosed\n");
        writeFile(dir + QStringLiteral("/azure-state.yaml"), broken);
        const Run bad = ctl({QStringLiteral("--store"), store, QStringLiteral("put"), QStringLiteral("azure.phase"),
                             QStringLiteral("-")},
                            "\"y\"");
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("azure-state.yaml:"), bad.err.constData());
        QFile still(dir + QStringLiteral("/azure-state.yaml"));
        QVERIFY(still.open(QIODevice::ReadOnly));
        QCOMPARE(still.readAll(), broken);
    }

    // `history` on the default (SQLite) store: values newest first in every
    // output format, --limit, and the errors a user can make.
    void testHistory_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QByteArray>("out");
        QTest::addColumn<QString>("stderrHas");
        QTest::newRow("json") << QStringList{"history", "hk", "-o", "json"} << 0
                              << QByteArray("[{\"key\":\"hk\",\"value\":{\"v\":3},\"encoding\":\"json\",\"revision\":\"R3\"},"
                                            "{\"key\":\"hk\",\"value\":\"two\",\"encoding\":\"text\",\"revision\":\"R2\"},"
                                            "{\"key\":\"hk\",\"value\":{\"v\":1},\"encoding\":\"json\",\"revision\":\"R1\"}]")
                              << QString();
        QTest::newRow("limit") << QStringList{"history", "hk", "--limit", "2", "-o", "value"} << 0
                               << QByteArray("{\"v\":3}\ntwo\n") << QString();
        QTest::newRow("table") << QStringList{"history", "hk", "-o", "table"} << 0
                               << QByteArray("REVISION|R3|{\"v\":3}|R2|two|R1|{\"v\":1}") << QString();
        QTest::newRow("yaml") << QStringList{"history", "hk", "-o", "yaml", "--limit", "1"} << 0
                              << QByteArray("- key: hk|value:|v: 3|revision: \"R3\"") << QString();
        QTest::newRow("no such key") << QStringList{"history", "nope"} << 3 << QByteArray() << "nope";
        QTest::newRow("limit 0") << QStringList{"history", "hk", "--limit", "0"} << 2 << QByteArray() << "--limit 0";
        QTest::newRow("limit not a number") << QStringList{"history", "hk", "--limit", "x"} << 2 << QByteArray()
                                            << "1 or more";
        QTest::newRow("no key") << QStringList{"history"} << 2 << QByteArray() << "usage: statedeckctl history";
        QTest::newRow("two keys") << QStringList{"history", "a", "b"} << 2 << QByteArray() << "usage";
    }
    void testHistory()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QByteArray, out);
        QFETCH(QString, stderrHas);
        // hk: {"v":1}, then the text "two", then {"v":3}; another key between.
        // Deleted first: the history starts again with each row.
        ctl({QStringLiteral("rm"), QStringLiteral("hk"), QStringLiteral("-y")});
        QStringList revisions;
        const QList<QPair<QByteArray, QStringList>> writes{
            {"{\"v\":1}", {}}, {"two", {"--encoding", "text"}}, {"{\"v\":3}", {}}};
        for (const auto &[bytes, extra] : writes) {
            const Run put = ctl(QStringList{"put", "hk", "-", "-o", "json"} + extra, bytes);
            QCOMPARE(put.code, 0);
            revisions << QString::fromStdString(sd::Json::parse(put.out.constData())["revision"].get<std::string>());
            QCOMPARE(ctl({QStringLiteral("put"), QStringLiteral("other"), QStringLiteral("-")}, "1").code, 0);
        }
        const Run r = ctl(args);
        QVERIFY2(r.err.contains(stderrHas.toUtf8()), r.err.constData());
        QCOMPARE(r.code, code);
        if (out.isEmpty())
            return;
        QByteArray expected = out;
        for (int i = 0; i < 3; ++i)
            expected.replace(QByteArray("R" + QByteArray::number(i + 1)), revisions[i].toUtf8());
        if (args.contains(QStringLiteral("json"))) {
            sd::Json got = sd::Json::parse(r.out.constData(), nullptr, false);
            QVERIFY2(got.is_array(), r.out.constData());
            for (sd::Json &e : got)
                e.erase("updated"); // a time: checked below
            QCOMPARE(QByteArray::fromStdString(got.dump()), expected);
            QVERIFY(sd::Json::parse(r.out.constData())[0].contains("updated"));
        } else if (args.contains(QStringLiteral("value"))) {
            QCOMPARE(r.out, expected);
        } else {
            // Table and yaml: these pieces, in this order.
            qsizetype at = 0;
            for (const QByteArray &piece : expected.split('|')) {
                const qsizetype found = r.out.indexOf(piece, at);
                QVERIFY2(found >= 0, qPrintable(QStringLiteral("\"%1\" missing after offset %2 in:\n%3")
                                                    .arg(QString::fromUtf8(piece)).arg(at)
                                                    .arg(QString::fromUtf8(r.out))));
                at = found + piece.size();
            }
        }
    }

    // A store that keeps no history says so, with exit code 1.
    void testHistoryUnsupported()
    {
        const QString state = m_home.filePath(QStringLiteral("gate/state.json"));
        writeFile(state, "{}");
        const QString store = QStringLiteral("local://") + state;
        QCOMPARE(ctl({QStringLiteral("--store"), store, QStringLiteral("put"), QStringLiteral("k"), QStringLiteral("-")},
                     "{\"a\":1}")
                     .code,
                 0);
        const Run r = ctl({QStringLiteral("--store"), store, QStringLiteral("history"), QStringLiteral("k")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("keeps no history"), r.err.constData());
        QVERIFY2(r.err.contains("k:"), r.err.constData());
        QVERIFY(r.out.isEmpty());
    }

    // `statedeckctl help` shows every command's one-line summary whole (the
    // first sentence of its description, never cut at a "." inside a word
    // such as ".gz" or "connections.yaml"), synopsis and summary never run
    // together, and no line is wider than the terminal ($COLUMNS here; 80
    // when stdout is no terminal).
    void testOverviewShowsWholeSummaries_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<int>("columns"); // 0: not set, so 80
        for (const char *c : {"ls", "get", "put", "patch", "rm", "watch", "lock", "history", "task", "export", "import",
                              "migrate", "verify", "machines", "connections"})
            for (int columns : {0, 40, 120})
                QTest::addRow("%s, %d columns", c, columns ? columns : 80) << QString::fromLatin1(c) << columns;
    }
    void testOverviewShowsWholeSummaries()
    {
        QFETCH(QString, command);
        QFETCH(int, columns);
        // The command's synopsis and description, from its own help, in one
        // line per paragraph.
        QProcessEnvironment wide = env();
        wide.insert(QStringLiteral("COLUMNS"), QStringLiteral("100000"));
        const Run help = sd::test::runProgram(m_ctl, {QStringLiteral("help"), command}, wide, {}, 30000);
        QCOMPARE(help.code, 0);
        const QStringList helpLines = QString::fromUtf8(help.out).split(QLatin1Char('\n'));
        QVERIFY(helpLines.size() > 3 && helpLines.at(0).startsWith(QLatin1String("Usage: statedeckctl ")));
        const QString synopsis = helpLines.at(0).mid(20).chopped(10);
        QVERIFY2(helpLines.at(0).endsWith(QLatin1String(" [OPTIONS]")), qPrintable(helpLines.at(0)));
        const QString description = helpLines.at(2);
        static const QRegularExpression firstSentence(QStringLiteral("^(.*?)\\.(\\s|$)"));
        const auto m = firstSentence.match(description);
        QVERIFY2(m.hasMatch(), qPrintable(description));
        const QString summary = m.captured(1);

        QProcessEnvironment e = env();
        e.remove(QStringLiteral("COLUMNS"));
        if (columns)
            e.insert(QStringLiteral("COLUMNS"), QString::number(columns));
        const int width = columns ? columns : 80;
        const Run overview = sd::test::runProgram(m_ctl, {QStringLiteral("help")}, e, {}, 30000);
        QCOMPARE(overview.code, 0);
        const QStringList lines = QString::fromUtf8(overview.out).split(QLatin1Char('\n'));
        for (const QString &line : lines)
            QVERIFY2(line.size() <= width, qPrintable(QStringLiteral("%1 columns: \"%2\"").arg(line.size()).arg(line)));
        // The rows under "Commands:": a row starts at column 2, its
        // continuation lines further in.
        QStringList rows;
        bool inCommands = false;
        for (const QString &line : lines) {
            if (line == QLatin1String("Commands:")) {
                inCommands = true;
                continue;
            }
            if (!inCommands)
                continue;
            if (line.isEmpty())
                break;
            if (line.startsWith(QLatin1String("  ")) && !line.at(2).isSpace())
                rows << line.simplified();
            else if (!rows.isEmpty())
                rows.last() += QLatin1Char(' ') + line.simplified();
        }
        QCOMPARE(rows.size(), 16); // the 15 commands and help
        const QString expected = QString(synopsis + QLatin1Char(' ') + summary).simplified();
        QVERIFY2(rows.contains(expected),
                 qPrintable(QStringLiteral("expected the row \"%1\" in:\n%2").arg(expected, rows.join(QLatin1Char('\n')))));
    }

    // `help COMMAND` wraps its description to the width as well.
    void testCommandHelpFitsTheWidth_data()
    {
        QTest::addColumn<QString>("command");
        for (const char *c : {"export", "task", "connections", "lock", "migrate", "machines"})
            QTest::newRow(c) << c;
    }
    void testCommandHelpFitsTheWidth()
    {
        QFETCH(QString, command);
        QProcessEnvironment e = env();
        e.remove(QStringLiteral("COLUMNS"));
        const Run r = sd::test::runProgram(m_ctl, {QStringLiteral("help"), command}, e, {}, 30000);
        QCOMPARE(r.code, 0);
        for (const QString &line : QString::fromUtf8(r.out).split(QLatin1Char('\n')))
            QVERIFY2(line.size() <= 80, qPrintable(QStringLiteral("%1 columns: \"%2\"").arg(line.size()).arg(line)));
    }

    // --read-only, and `readOnly: true` on a connection: every write exits
    // non-zero with `connection "NAME" is read-only`, and the store is as
    // it was; reads work. For migrate the target is read-only, so it is
    // refused before anything (a checkpoint, a backup) is made.
    void testReadOnly_data()
    {
        QTest::addColumn<QString>("how"); // "flag" or "connection"
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("input");
        for (const char *how : {"flag", "connection"}) {
            QTest::addRow("%s: put", how) << how << QStringList{"put", "k", "-"} << QByteArray(R"({"v":2})");
            QTest::addRow("%s: put --create", how) << how << QStringList{"put", "new", "-", "--create"} << QByteArray("{}");
            QTest::addRow("%s: patch", how) << how << QStringList{"patch", "k", "-"} << QByteArray(R"({"w":1})");
            QTest::addRow("%s: rm", how) << how << QStringList{"rm", "k", "--yes"} << QByteArray();
            QTest::addRow("%s: lock", how) << how << QStringList{"lock", "job", "--", "true"} << QByteArray();
            QTest::addRow("%s: import", how) << how << QStringList{"import", "SNAPSHOT", "--on-conflict", "overwrite"}
                                             << QByteArray();
            QTest::addRow("%s: migrate into it", how)
                << how << QStringList{"migrate", "--from", "OTHER", "--to", "STORE", "--on-conflict", "overwrite"}
                << QByteArray();
        }
    }
    void testReadOnly()
    {
        QFETCH(QString, how);
        QFETCH(QStringList, args);
        QFETCH(QByteArray, input);
        QTemporaryDir home;
        QProcessEnvironment e = sd::test::isolatedEnvironment(home.path());
        e.remove(QStringLiteral("RATE_LIMIT_ENABLED"));
        auto run = [&](const QStringList &a, const QByteArray &in = {}) {
            return sd::test::runProgram(m_ctl, a, e, in, 30000);
        };
        const QString url = QStringLiteral("sqlite://") + home.filePath(QStringLiteral("prod.db"));
        const QString other = QStringLiteral("sqlite://") + home.filePath(QStringLiteral("other.db"));
        QCOMPARE(run({"--store", url, "put", "k", "-"}, R"({"v":1})").code, 0);
        QCOMPARE(run({"--store", other, "put", "k", "-"}, R"({"v":"other"})").code, 0);
        const QString snapshot = home.filePath(QStringLiteral("other.jsonl"));
        QCOMPARE(run({"--store", other, "export", "-o", snapshot}).code, 0);
        const QByteArray before = run({"--store", url, "ls", "--values", "-o", "json"}).out;
        QVERIFY2(before.contains("\"v\":1"), before.constData());

        QString name;
        if (how == QLatin1String("flag")) {
            name = url;
        } else {
            writeFile(home.filePath(QStringLiteral("config/statedeck/connections.yaml")),
                      "connections:\n  prod:\n    url: " + url.toUtf8() + "\n    readOnly: true\n");
            name = QStringLiteral("prod");
        }
        const bool flag = how == QLatin1String("flag");
        const QStringList opened = flag ? QStringList{"--read-only", "--store", url} : QStringList{"--connection", name};
        QStringList command;
        for (const QString &a : args)
            command << (a == QLatin1String("SNAPSHOT") ? snapshot
                        : a == QLatin1String("OTHER")  ? other
                        : a == QLatin1String("STORE")  ? (flag ? url : name)
                                                       : a);
        const bool twoStores = args.first() == QLatin1String("migrate");
        const QStringList store = twoStores ? (flag ? QStringList{"--read-only"} : QStringList()) : opened;
        const Run r = run(store + command, input);
        QVERIFY2(r.code != 0, qPrintable(r.describe()));
        const QString refusal = QStringLiteral("connection \"%1\" is read-only").arg(name);
        QVERIFY2(r.err.contains(refusal.toUtf8()), qPrintable(r.describe()));
        QVERIFY2(!r.err.contains("resume"), qPrintable(r.describe())); // refused, not interrupted

        // Nothing changed; reads work on the read-only store.
        QCOMPARE(run({"--store", url, "ls", "--values", "-o", "json"}).out, before);
        const Run get = run(opened + QStringList{"get", "k", "-o", "value"});
        QVERIFY2(get.code == 0 && get.out.contains("\"v\": 1"), qPrintable(get.describe()));
        QVERIFY(!QDir(home.filePath(QStringLiteral("state/statedeck/migrations"))).exists()
                || QDir(home.filePath(QStringLiteral("state/statedeck/migrations"))).isEmpty());
        QVERIFY(!QDir(home.filePath(QStringLiteral("state/statedeck/backups"))).exists()
                || QDir(home.filePath(QStringLiteral("state/statedeck/backups"))).isEmpty());

        // verify only reads: it runs with --read-only (the stores differ: 8).
        if (flag) {
            const Run verify = run({"--read-only", "verify", "--from", url, "--to", other});
            QVERIFY2(verify.code == 8, qPrintable(verify.describe()));
        }
    }

    void testHelpForEveryCommand_data()
    {
        QTest::addColumn<QString>("command");
        for (const char *c : {"ls", "get", "put", "patch", "rm", "watch", "lock", "history", "task", "connections"})
            QTest::newRow(c) << c;
    }
    void testHelpForEveryCommand()
    {
        QFETCH(QString, command);
        const Run r = ctl({QStringLiteral("help"), command});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.startsWith(QByteArray("Usage: statedeckctl " + command.toUtf8())));
        QCOMPARE(ctl({command, QStringLiteral("--help")}).out, r.out);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
