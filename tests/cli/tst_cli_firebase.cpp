// statedeckctl on firebase:// stores, as a user runs it, against the
// Firebase emulator: seed 000's gate layout (keys, container/<push id>),
// seen by curl in the shape the gate writes; a conflict; migrate and verify
// with SQLite both ways. Credentials come from GOOGLE_APPLICATION_CREDENTIALS
// as in a deployment.

#include "FirebaseTestServer.h"
#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::test;

namespace {

nlohmann::json fixtureKeys()
{
    QFile f(QStringLiteral(SD_FIXTURES_DIR "/k8-container-gate/keys.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return nlohmann::json::parse(f.readAll().toStdString(), nullptr, false);
}

} // namespace

class TestCliFirebase : public QObject {
    Q_OBJECT

    struct Run {
        int code = -1;
        QByteArray out;
        QByteArray err;
        QByteArray describe() const { return "exit " + QByteArray::number(code) + "\nstdout: " + out + "\nstderr: " + err; }
    };

    Run run(const QString &program, const QStringList &args, const QByteArray &input = {},
            const QMap<QString, QString> &extraEnv = {})
    {
        QProcess p;
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), m_fb.serviceAccountFile());
        e.insert(QStringLiteral("XDG_DATA_HOME"), m_home.filePath(QStringLiteral("data")));
        e.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.filePath(QStringLiteral("config")));
        for (const char *name : {"FIREBASE_CLIENT_EMAIL", "FIREBASE_PRIVATE_KEY", "FIREBASE_TOKEN_URI",
                                 "FIREBASE_PROJECT_ID", "FIREBASE_DATABASE_URL", "STATE_PROVIDER", "RATE_LIMIT_ENABLED"})
            e.remove(QString::fromLatin1(name));
        for (auto it = extraEnv.cbegin(); it != extraEnv.cend(); ++it)
            e.insert(it.key(), it.value());
        p.setProcessEnvironment(e);
        p.start(program, args);
        p.write(input);
        p.closeWriteChannel();
        Run r;
        if (!p.waitForFinished(90000)) {
            p.kill();
            p.waitForFinished(5000);
            r.err = "did not finish within 90 s";
            return r;
        }
        r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }

    Run ctl(const QStringList &args, const QByteArray &input = {}) { return run(m_ctl, args, input); }

    // A plain REST GET, as the gate's own code or an operator with curl reads it.
    nlohmann::json curlGet(const QString &ns, const QString &path)
    {
        const QString url = QStringLiteral("%1%2.json?ns=%3&auth=%4").arg(m_fb.baseUrl(), path, ns, m_fb.adminToken());
        const Run r = run(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("--fail"), url});
        if (r.code != 0)
            qWarning("curl failed: %s", r.describe().constData());
        return nlohmann::json::parse(r.out.toStdString(), nullptr, false);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_ctl = builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY2(!m_ctl.isEmpty(), "statedeckctl was not built");
        QVERIFY(m_home.isValid());
        QVERIFY2(m_fb.start(), qPrintable(m_fb.log()));
    }

    // `keys` written by statedeckctl from the gate's fixture, read back by
    // curl in the same shape (less the empty list, which Firebase never
    // stores) and by statedeckctl.
    void testGateKeys()
    {
        const QString store = m_fb.url(QStringLiteral("gate"), QStringLiteral("k8gate"));
        const Run put = ctl({QStringLiteral("--store"), store, QStringLiteral("put"), QStringLiteral("keys"),
                             QStringLiteral(SD_FIXTURES_DIR "/k8-container-gate/keys.json")});
        QVERIFY2(put.code == 0, put.describe().constData());
        nlohmann::json expected = fixtureKeys();
        QVERIFY(expected.is_object());
        expected.erase("user-without-keys");
        QCOMPARE(curlGet(QStringLiteral("gate"), QStringLiteral("/k8gate/keys")), expected);
        const Run get = ctl({QStringLiteral("--store"), store, QStringLiteral("get"), QStringLiteral("keys"),
                             QStringLiteral("-o"), QStringLiteral("value")});
        QVERIFY2(get.code == 0, get.describe().constData());
        QCOMPARE(nlohmann::json::parse(get.out.toStdString(), nullptr, false), expected);
        // A bad key names the character and writes nothing.
        const Run bad = ctl({QStringLiteral("--store"), store, QStringLiteral("put"), QStringLiteral("user.keys"),
                             QStringLiteral("-")},
                            "{\"a\": 1}");
        QVERIFY2(bad.code != 0, bad.describe().constData());
        QVERIFY2(bad.err.contains("'.'"), bad.describe().constData());
        QCOMPARE(curlGet(QStringLiteral("gate"), QStringLiteral("/k8gate/user")), nlohmann::json());
    }

    // A database as the gate leaves it (loaded from a dump): `keys` is one
    // entry, and container/<push id> records are browsed under container/.
    void testGateLayoutFromDump()
    {
        QTemporaryDir dir;
        const QString dump = dir.filePath(QStringLiteral("gate.json"));
        nlohmann::json db{{"keys", fixtureKeys()},
                          {"container", {{"-NxA1", {{"user", "octocat"}, {"image", "alpine:3.19"}}},
                                         {"-NxB2", {{"user", "hubot"}, {"image", "debian:12"}}}}}};
        QFile f(dump);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray::fromStdString(db.dump(2)));
        f.close();
        FirebaseTestServer::Options o;
        o.loadFile = dump;
        FirebaseTestServer loaded(o);
        QVERIFY2(loaded.start(), qPrintable(loaded.log()));
        const QString store = loaded.url(QStringLiteral("statedeck"));
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        QProcess p;
        e.insert(QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), loaded.serviceAccountFile());
        p.setProcessEnvironment(e);
        p.start(m_ctl, {QStringLiteral("--store"), store, QStringLiteral("ls"), QStringLiteral("-o"), QStringLiteral("json")});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        const nlohmann::json top = nlohmann::json::parse(p.readAllStandardOutput().toStdString(), nullptr, false);
        QVERIFY(top.is_array());
        QStringList keys;
        for (const auto &e2 : top)
            keys << QString::fromStdString(e2.value("key", std::string()));
        QCOMPARE(keys, (QStringList{QStringLiteral("container"), QStringLiteral("keys")}));
        p.start(m_ctl, {QStringLiteral("--store"), store, QStringLiteral("ls"), QStringLiteral("container/"),
                        QStringLiteral("-o"), QStringLiteral("value")});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(p.readAllStandardOutput().trimmed(), QByteArray("container/-NxA1\ncontainer/-NxB2"));
    }

    // Seed 000's worker.yml with its firebase block, and the gate's four
    // FIREBASE_* variables as its env files write them (the key quoted,
    // newlines as \n), open the store as they are.
    void testWorkerYmlAndGateVariables()
    {
        QTemporaryDir dir;
        const QString worker = dir.filePath(QStringLiteral("worker.yml"));
        QFile w(worker);
        QVERIFY(w.open(QIODevice::WriteOnly));
        w.write("kind: workerConfig\n"
                "version: udx.io/worker-v1/config\n"
                "state:\n"
                "  provider: firebase\n"
                "  options:\n"
                "    firebase:\n"
                "      projectId: ${FIREBASE_PROJECT_ID}\n"
                "      databaseUrl: ${FIREBASE_DATABASE_URL}\n");
        w.close();
        const QString connections = m_home.filePath(QStringLiteral("config/statedeck/connections.yaml"));
        QVERIFY(QDir().mkpath(QFileInfo(connections).absolutePath()));
        QFile c(connections);
        QVERIFY(c.open(QIODevice::WriteOnly));
        c.write("connections:\n  gate:\n    workerConfig: " + worker.toUtf8() + "\n");
        c.close();
        QString key = m_fb.privateKeyPem();
        key.replace(QLatin1Char('\n'), QLatin1String("\\n"));
        const QMap<QString, QString> env{{QStringLiteral("FIREBASE_PROJECT_ID"), QStringLiteral("worker")},
                                         {QStringLiteral("FIREBASE_DATABASE_URL"), m_fb.baseUrl()},
                                         {QStringLiteral("FIREBASE_CLIENT_EMAIL"), m_fb.clientEmail()},
                                         {QStringLiteral("FIREBASE_PRIVATE_KEY"), QLatin1Char('"') + key + QLatin1Char('"')},
                                         {QStringLiteral("FIREBASE_TOKEN_URI"), m_fb.tokenUri()},
                                         {QStringLiteral("GOOGLE_APPLICATION_CREDENTIALS"), QStringLiteral("/nonexistent")}};
        const Run put = run(m_ctl, {QStringLiteral("--connection"), QStringLiteral("gate"), QStringLiteral("put"),
                                    QStringLiteral("keys"), QStringLiteral("-")},
                            R"({"octocat": ["ssh-ed25519 AAAA"]})", env);
        QVERIFY2(put.code == 0, put.describe().constData());
        QCOMPARE(curlGet(QStringLiteral("worker"), QStringLiteral("/keys")),
                 nlohmann::json::parse(R"({"octocat": ["ssh-ed25519 AAAA"]})"));
        // Without the key: a clear error, and the key never shows.
        QMap<QString, QString> noKey = env;
        noKey.remove(QStringLiteral("FIREBASE_PRIVATE_KEY"));
        noKey.insert(QStringLiteral("FIREBASE_PRIVATE_KEY"), QStringLiteral("not-a-key"));
        const Run bad = run(m_ctl, {QStringLiteral("--connection"), QStringLiteral("gate"), QStringLiteral("get"),
                                    QStringLiteral("keys")},
                            {}, noKey);
        QVERIFY2(bad.code == 1, bad.describe().constData());
        QVERIFY2(bad.err.contains("not an unencrypted RSA private key"), bad.describe().constData());
        QVERIFY(!bad.err.contains("not-a-key"));
    }

    // A stale --if-revision exits 4 and names the key; the other writer's
    // value stays.
    void testConflictExitCode()
    {
        const QString store = m_fb.url(QStringLiteral("conflict"));
        QVERIFY(ctl({QStringLiteral("--store"), store, QStringLiteral("put"), QStringLiteral("keys"), QStringLiteral("-")},
                    R"({"octocat": ["k1"]})")
                    .code
                == 0);
        const Run got = ctl({QStringLiteral("--store"), store, QStringLiteral("get"), QStringLiteral("keys"),
                             QStringLiteral("-o"), QStringLiteral("json")});
        QVERIFY2(got.code == 0, got.describe().constData());
        const std::string revision = nlohmann::json::parse(got.out.toStdString()).value("revision", std::string());
        QVERIFY(!revision.empty());
        QCOMPARE(m_fb.rest("PUT", QStringLiteral("conflict"), QStringLiteral("/keys/hubot"), R"(["k2"])").first, 200);
        const Run stale = ctl({QStringLiteral("--store"), store, QStringLiteral("put"), QStringLiteral("keys"),
                               QStringLiteral("-"), QStringLiteral("--if-revision"), QString::fromStdString(revision)},
                              R"({"octocat": ["k3"]})");
        QVERIFY2(stale.code == 4, stale.describe().constData());
        QVERIFY2(stale.err.contains("keys"), stale.describe().constData());
        QCOMPARE(curlGet(QStringLiteral("conflict"), QStringLiteral("/keys")),
                 nlohmann::json::parse(R"({"hubot": ["k2"], "octocat": ["k1"]})"));
    }

    // Firebase to SQLite and back, each verified.
    void testMigrateBothWays()
    {
        const QString from = m_fb.url(QStringLiteral("migrate-src"), QStringLiteral("state"));
        nlohmann::json patch{{"keys", {{"octocat", {"k1", "k2"}}}},
                             {"rate-limit", {{"octocat:repo", {{"attempts", 3}}}}},
                             {"container/-NxA1", {{"image", "alpine"}}}};
        QCOMPARE(m_fb.rest("PATCH", QStringLiteral("migrate-src"), QStringLiteral("/state"),
                           QByteArray::fromStdString(patch.dump()))
                     .first,
                 200);
        QTemporaryDir dir;
        const QString sqlite = QStringLiteral("sqlite://") + dir.filePath(QStringLiteral("state.db"));
        const Run there = ctl({QStringLiteral("migrate"), QStringLiteral("--from"), from, QStringLiteral("--to"), sqlite,
                               QStringLiteral("--checkpoint"), dir.filePath(QStringLiteral("ck1"))});
        QVERIFY2(there.code == 0, there.describe().constData());
        const Run verify = ctl({QStringLiteral("verify"), QStringLiteral("--from"), from, QStringLiteral("--to"), sqlite});
        QVERIFY2(verify.code == 0, verify.describe().constData());
        const Run gotKeys = ctl({QStringLiteral("--store"), sqlite, QStringLiteral("get"), QStringLiteral("keys"),
                                 QStringLiteral("-o"), QStringLiteral("value")});
        QCOMPARE(nlohmann::json::parse(gotKeys.out.toStdString(), nullptr, false), patch["keys"]);

        const QString back = m_fb.url(QStringLiteral("migrate-back"), QStringLiteral("state"));
        const Run again = ctl({QStringLiteral("migrate"), QStringLiteral("--from"), sqlite, QStringLiteral("--to"), back,
                               QStringLiteral("--checkpoint"), dir.filePath(QStringLiteral("ck2"))});
        QVERIFY2(again.code == 0, again.describe().constData());
        const Run verifyBack = ctl({QStringLiteral("verify"), QStringLiteral("--from"), sqlite, QStringLiteral("--to"), back});
        QVERIFY2(verifyBack.code == 0, verifyBack.describe().constData());
        QCOMPARE(curlGet(QStringLiteral("migrate-back"), QStringLiteral("/state")),
                 curlGet(QStringLiteral("migrate-src"), QStringLiteral("/state")));
        // A difference is found.
        QCOMPARE(m_fb.rest("PUT", QStringLiteral("migrate-back"), QStringLiteral("/state/keys/hubot"), R"(["x"])").first,
                 200);
        const Run differs = ctl({QStringLiteral("verify"), QStringLiteral("--from"), sqlite, QStringLiteral("--to"), back});
        QVERIFY2(differs.code == 8, differs.describe().constData());
    }

private:
    QString m_ctl;
    QTemporaryDir m_home;
    FirebaseTestServer m_fb;
};

QTEST_GUILESS_MAIN(TestCliFirebase)
#include "tst_cli_firebase.moc"
