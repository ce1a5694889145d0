// statedeckctl export, import, migrate and verify as a user runs them: real
// processes, real stores in a temporary XDG home, exit codes, messages and
// output checked. Also the old YAML state/ layout (the k0rdent fixtures)
// migrated as it is, and a connection whose primary is down reading from
// its fallback, loudly.
#include "RedisTestServer.h"
#include "TestSupport.h"
#include "model/Json.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestTransferCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;
    QString m_ctl;

    QProcessEnvironment env() const
    {
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("XDG_DATA_HOME"), m_home.filePath(QStringLiteral("data")));
        e.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.filePath(QStringLiteral("config")));
        e.insert(QStringLiteral("XDG_STATE_HOME"), m_home.filePath(QStringLiteral("state")));
        e.insert(QStringLiteral("SD_TEST_SECRET"), QStringLiteral("env passphrase"));
        e.remove(QStringLiteral("RATE_LIMIT_ENABLED"));
        return e;
    }

    struct Run {
        int code = -1;
        QByteArray out;
        QByteArray err;
    };

    Run ctl(const QStringList &args, const QByteArray &input = {})
    {
        QProcess p;
        p.setProcessEnvironment(env());
        p.start(m_ctl, args);
        p.write(input);
        p.closeWriteChannel();
        Run r;
        if (!p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished();
            return r;
        }
        r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }

    QString db(const QString &name) const { return QStringLiteral("sqlite://") + m_home.filePath(name); }
    QString file(const QString &name) const { return m_home.filePath(name); }

    void fill(const QString &store, int n, const QString &prefix = QStringLiteral("app/"))
    {
        for (int i = 0; i < n; ++i)
            QCOMPARE(ctl({QStringLiteral("--store"), store, QStringLiteral("put"), prefix + QString::number(i),
                          QStringLiteral("-")},
                         QByteArray("{\"n\":") + QByteArray::number(i) + "}")
                         .code,
                     0);
    }

    static sd::Json json(const QByteArray &bytes) { return sd::Json::parse(bytes.toStdString()); }

private Q_SLOTS:
    void initTestCase()
    {
        m_ctl = sd::test::builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY2(!m_ctl.isEmpty(), "statedeckctl was not built");
        fill(db(QStringLiteral("src.db")), 5);
        QCOMPARE(ctl({"--store", db("src.db"), "put", "other/x", "-"}, "{\"x\":1}").code, 0);
    }

    void testHelpNamesEveryCommand_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("export") << "export" << "--passphrase-file";
        QTest::newRow("import") << "import" << "--on-conflict";
        QTest::newRow("migrate") << "migrate" << "--checkpoint";
        QTest::newRow("verify") << "verify" << "--no-extras";
    }
    void testHelpNamesEveryCommand()
    {
        QFETCH(QString, command);
        QFETCH(QString, mentions);
        const Run r = ctl({QStringLiteral("help"), command});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(mentions.toUtf8()), r.out.constData());
        QVERIFY(ctl({QStringLiteral("help")}).out.contains(command.toUtf8()));
    }

    void testUsageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("stderrHas");
        QTest::newRow("export without -o") << QStringList{"export"} << 2 << "-o FILE";
        QTest::newRow("import without file") << QStringList{"import"} << 2 << "usage: statedeckctl import";
        QTest::newRow("bad policy") << QStringList{"import", "x.jsonl", "--on-conflict", "merge"} << 2 << "--on-conflict merge";
        QTest::newRow("migrate without --to") << QStringList{"migrate", "--from", "a.db"} << 2 << "--to";
        QTest::newRow("migrate same store") << QStringList{"migrate", "--from", "s.db", "--to", "s.db"} << 2 << "same store";
        QTest::newRow("verify bad keys mode") << QStringList{"verify", "--from", "a.db", "--to", "b.db", "--keys", "x"} << 2 << "--keys x";
        QTest::newRow("missing snapshot") << QStringList{"import", "/nonexistent/s.jsonl"} << 1 << "no such snapshot file";
    }
    void testUsageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, stderrHas);
        const Run r = ctl(args);
        QVERIFY2(r.err.contains(stderrHas.toUtf8()), r.err.constData());
        QCOMPARE(r.code, code);
    }

    void testExportImportDryRunAndConflicts()
    {
        const QString snap = file(QStringLiteral("app.jsonl.gz"));
        const Run exported = ctl({"--store", db("src.db"), "export", "app/", "-o", snap});
        QCOMPARE(exported.code, 0);
        const sd::Json summary = json(exported.out);
        QCOMPARE(summary["entries"].get<int>(), 5);
        QVERIFY(exported.err.isEmpty()); // no progress drawn into a pipe
        QVERIFY(QFile::exists(snap));

        // A target with one equal key and one different key.
        QCOMPARE(ctl({"--store", db("t1.db"), "put", "app/0", "-"}, "{\"n\":0}").code, 0);
        QCOMPARE(ctl({"--store", db("t1.db"), "put", "app/1", "-"}, "{\"n\":\"theirs\"}").code, 0);
        const Run before = ctl({"--store", db("t1.db"), "ls", "-o", "json"});

        const Run dry = ctl({"--store", db("t1.db"), "import", snap, "--dry-run", "-o", "table"});
        QCOMPARE(dry.code, 0);
        QVERIFY2(dry.out.contains("create    app/2"), dry.out.constData());
        QVERIFY(dry.out.contains("unchanged app/0"));
        QVERIFY(dry.out.contains("change    app/1"));
        QVERIFY2(dry.out.contains("~ /n: \"theirs\" -> 1"), dry.out.constData());
        QVERIFY(dry.out.contains("dry run: 3 to create, 1 to change, 1 unchanged"));
        QCOMPARE(ctl({"--store", db("t1.db"), "ls", "-o", "json"}).out, before.out); // nothing changed

        // The default policy refuses: exit 4, nothing written.
        const Run refused = ctl({"--store", db("t1.db"), "import", snap});
        QCOMPARE(refused.code, 4);
        QVERIFY2(refused.err.contains("conflict  app/1"), refused.err.constData());
        QVERIFY(refused.err.contains("nothing was written"));
        QCOMPARE(ctl({"--store", db("t1.db"), "ls", "-o", "json"}).out, before.out);

        const Run skipped = ctl({"--store", db("t1.db"), "import", snap, "--on-conflict", "skip", "-o", "json"});
        QCOMPARE(skipped.code, 0);
        QCOMPARE(json(skipped.out)["skipped"].get<int>(), 1);
        QCOMPARE(json(skipped.out)["created"].get<int>(), 3);

        const Run overwritten = ctl({"--store", db("t1.db"), "import", snap, "--on-conflict", "overwrite", "-o", "json"});
        QCOMPARE(overwritten.code, 0);
        const sd::Json o = json(overwritten.out);
        QCOMPARE(o["changed"].get<int>(), 1);
        const QString backup = QString::fromStdString(o["backup"]["path"].get<std::string>());
        QVERIFY(backup.startsWith(m_home.filePath(QStringLiteral("state/statedeck/backups/"))));
        // The backup is a snapshot: it imports like any other.
        const Run restore = ctl({"--store", db("t1.db"), "import", backup, "--on-conflict", "overwrite", "-o", "json"});
        QCOMPARE(restore.code, 0);
        QCOMPARE(ctl({"--store", db("t1.db"), "get", "app/1", "-o", "value"}).out.simplified(),
                 QByteArray("{ \"n\": \"theirs\" }"));
    }

    void testEncryptedSnapshots()
    {
        const QString snap = file(QStringLiteral("secret.jsonl"));
        QFile pass(file(QStringLiteral("pass.txt")));
        QVERIFY(pass.open(QIODevice::WriteOnly));
        pass.write("file passphrase\n");
        pass.close();
        QCOMPARE(ctl({"--store", db("src.db"), "export", "-o", snap, "--passphrase-file", pass.fileName()}).code, 0);
        QFile f(snap);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        QVERIFY(bytes.contains("\"cipher\":\"aes-256-gcm\""));
        QVERIFY(!bytes.contains("\"n\":3"));
        // No passphrase and no terminal: a usage error that says what to give.
        const Run none = ctl({"--store", db("e1.db"), "import", snap});
        QCOMPARE(none.code, 2);
        QVERIFY2(none.err.contains("--passphrase-file"), none.err.constData());
        const Run wrong = ctl({"--store", db("e1.db"), "import", snap, "--passphrase-env", "SD_TEST_SECRET"});
        QCOMPARE(wrong.code, 1);
        QVERIFY2(wrong.err.contains(QByteArray(snap.toUtf8() + ":1: wrong passphrase")), wrong.err.constData());
        QVERIFY(!wrong.err.contains("env passphrase")); // never echoed
        QCOMPARE(ctl({"--store", db("e1.db"), "ls", "-o", "value"}).out, QByteArray());
        const Run right = ctl({"--store", db("e1.db"), "import", snap, "--passphrase-file", pass.fileName(), "-o", "json"});
        QCOMPARE(right.code, 0);
        QCOMPARE(json(right.out)["created"].get<int>(), 6);
    }

    void testCorruptSnapshotNamesTheLine()
    {
        const QString snap = file(QStringLiteral("corrupt.jsonl"));
        QCOMPARE(ctl({"--store", db("src.db"), "export", "-o", snap}).code, 0);
        QFile f(snap);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QList<QByteArray> lines = f.readAll().split('\n');
        f.close();
        lines[3] = "{\"key\": broken";
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(lines.join('\n'));
        f.close();
        const Run r = ctl({"--store", db("c1.db"), "import", snap});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QByteArray(snap.toUtf8() + ":4: the line is not valid JSON")), r.err.constData());
        QCOMPARE(ctl({"--store", db("c1.db"), "ls", "-o", "value"}).out, QByteArray());
    }

    // The k0rdent state/ directory, as the scripts write it, migrated to
    // SQLite: dotted keys become '/' keys; verify agrees; a changed value
    // then shows as a difference (exit 5).
    void testMigrateK0rdentStateDirectory()
    {
        const QString state = file(QStringLiteral("k0rdent/state"));
        QVERIFY(QDir().mkpath(state));
        const QString fixtures = sd::test::fixturePath(QStringLiteral("k0rdent-azure-setup/state"));
        QVERIFY(QFile::copy(fixtures + QStringLiteral("/deployment-state.initial.generated.yaml"),
                            state + QStringLiteral("/deployment-state.yaml")));
        QVERIFY(QFile::copy(fixtures + QStringLiteral("/azure-state.yaml"), state + QStringLiteral("/azure-state.yaml")));
        QVERIFY(QFile::copy(fixtures + QStringLiteral("/deployment-events.initial.generated.yaml"),
                            state + QStringLiteral("/deployment-events.yaml")));
        const QString from = QStringLiteral("yaml://") + state;
        const Run dry = ctl({"migrate", "--from", from, "--to", db("k0.db"), "--dry-run", "-o", "table"});
        QCOMPARE(dry.code, 0);
        QVERIFY2(dry.out.contains("create    deployment/phase  (from deployment.phase)"), dry.out.constData());
        QVERIFY(!QFile::exists(m_home.filePath(QStringLiteral("k0.db"))) || ctl({"--store", db("k0.db"), "ls", "-o", "value"}).out.isEmpty());

        const Run run = ctl({"migrate", "--from", from, "--to", db("k0.db"), "-o", "json"});
        QCOMPARE(run.code, 0);
        const sd::Json report = json(run.out);
        QVERIFY(report["created"].get<int>() > 20);
        QCOMPARE(report["verify"]["differs"].get<int>(), 0);
        QCOMPARE(ctl({"--store", db("k0.db"), "get", "deployment/phase", "-o", "value"}).out.trimmed(), QByteArray("\"preparation\""));
        const Run phases = ctl({"--store", db("k0.db"), "get", "deployment/phases", "-o", "json"});
        QCOMPARE(json(phases.out)["value"]["prepare_deployment"]["status"].get<std::string>(), std::string("pending"));
        const Run events = ctl({"--store", db("k0.db"), "get", "deployment-events/events", "-o", "json"});
        QVERIFY(json(events.out)["value"].is_array());
        // The files were only read.
        QFile original(fixtures + QStringLiteral("/azure-state.yaml"));
        QFile copy(state + QStringLiteral("/azure-state.yaml"));
        QVERIFY(original.open(QIODevice::ReadOnly) && copy.open(QIODevice::ReadOnly));
        QCOMPARE(copy.readAll(), original.readAll());

        QCOMPARE(ctl({"verify", "--from", from, "--to", db("k0.db")}).code, 0);
        QCOMPARE(ctl({"--store", db("k0.db"), "put", "deployment/phase", "-"}, "\"done\"").code, 0);
        const Run differs = ctl({"verify", "--from", from, "--to", db("k0.db"), "-o", "table"});
        QCOMPARE(differs.code, 8);
        QVERIFY2(differs.out.contains("differs   deployment/phase"), differs.out.constData());
        QVERIFY(differs.out.contains("1 differ"));
    }

    // A seed 004 connection (state_management with fallback: file) whose
    // Redis is down: reads come from the state/ files, with a warning.
    void testFallbackConnectionWarnsAndReads()
    {
        const QString state = file(QStringLiteral("fb/state"));
        QVERIFY(QDir().mkpath(state));
        QFile yaml(state + QStringLiteral("/deployment-state.yaml"));
        QVERIFY(yaml.open(QIODevice::WriteOnly));
        yaml.write("phase: \"install_k0s\"\n");
        yaml.close();
        QVERIFY(QDir().mkpath(m_home.filePath(QStringLiteral("config/statedeck"))));
        QFile conf(m_home.filePath(QStringLiteral("config/statedeck/connections.yaml")));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write(QStringLiteral("connections:\n"
                                  "  k0:\n"
                                  "    state_management:\n"
                                  "      backend: redis\n"
                                  "      redis: { host: 127.0.0.1, port: %1 }\n"
                                  "      fallback: file\n"
                                  "      file: { path: %2 }\n")
                       .arg(sd::test::freeLoopbackPort())
                       .arg(state)
                       .toUtf8());
        conf.close();
        const Run r = ctl({"--connection", "k0", "get", "deployment:phase", "-o", "value"});
        QCOMPARE(r.code, 0);
        QCOMPARE(r.out.trimmed(), QByteArray("\"install_k0s\""));
        QVERIFY2(r.err.contains("WARNING") && r.err.contains("cannot be reached") && r.err.contains("fallback"),
                 r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestTransferCli)
#include "tst_transfer_cli.moc"
