#include "KubeTestServer.h"
#include "TestSupport.h"
#include "providers/KubeTestHelpers.h"
#include "registry/KubeMachines.h"
#include "../registry/RegistryFixtures.h"
#include "util/YamlJson.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::test;

// :machines in statedeck-tui, in a real terminal (tmux, 80x24), over a real
// redis-server with the seed 003 registry and the Kubernetes emulator with
// the fixture's StateMachine: liveness as it changes, live, and the
// definition tree with the current state marked and following the machine.
class TestTuiMachines : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;
    QString m_tui;
    QString m_socket;
    int m_sessions = 0;
    RedisTestServer m_redis{{QStringLiteral("--notify-keyspace-events"), QStringLiteral("Ex")}};
    KubeTestServer m_kube;

    QByteArray tmux(const QStringList &args)
    {
        QProcess p;
        p.start(QStringLiteral("tmux"), QStringList{QStringLiteral("-S"), m_socket} + args);
        p.waitForFinished(10000);
        return p.readAllStandardOutput();
    }

    QString start(const QString &store)
    {
        const QString name = QStringLiteral("m%1").arg(++m_sessions);
        QStringList assignments;
        const QProcessEnvironment e = isolatedEnvironment(m_home.path());
        for (const QString &k : e.keys())
            if (k.startsWith(QLatin1String("XDG_")) || k == QLatin1String("HOME") || k == QLatin1String("PATH")
                || k == QLatin1String("STATEDECK_TEST"))
                assignments << k + QLatin1Char('=') + e.value(k);
        assignments << QStringLiteral("KUBECONFIG=") + m_kube.kubeconfigPath();
        const QString command = QStringLiteral("env -u REDIS_URL TERM=xterm-256color %1 '%2' --store '%3'; echo EXITED $?; sleep 60")
                                    .arg(assignments.join(QLatin1Char(' ')), m_tui, store);
        tmux({QStringLiteral("new-session"), QStringLiteral("-d"), QStringLiteral("-s"), name, QStringLiteral("-x"),
              QStringLiteral("80"), QStringLiteral("-y"), QStringLiteral("24"), command});
        return name;
    }

    QString screen(const QString &session)
    {
        return QString::fromUtf8(tmux({QStringLiteral("capture-pane"), QStringLiteral("-p"), QStringLiteral("-t"), session}));
    }

    // The screen line that holds `needle`.
    QString lineWith(const QString &session, const QString &needle)
    {
        for (const QString &l : screen(session).split(QLatin1Char('\n')))
            if (l.contains(needle))
                return l;
        return {};
    }

    bool waitFor(const QString &session, const std::function<bool()> &ok, const QString &what, int timeoutMs = 20000)
    {
        const bool seen = QTest::qWaitFor(ok, timeoutMs);
        if (!seen)
            qWarning("never saw %s; the screen is:\n%s", qPrintable(what), qPrintable(screen(session)));
        return seen;
    }

    bool waitFor(const QString &session, const QString &text, int timeoutMs = 20000)
    {
        return waitFor(session, [&] { return screen(session).contains(text); }, QLatin1Char('"') + text + QLatin1Char('"'),
                       timeoutMs);
    }

    void keys(const QString &session, const QStringList &keys)
    {
        for (const QString &k : keys)
            tmux({QStringLiteral("send-keys"), QStringLiteral("-t"), session, k});
    }

    void type(const QString &session, const QString &text)
    {
        tmux({QStringLiteral("send-keys"), QStringLiteral("-t"), session, QStringLiteral("-l"), text});
    }

    QString sqliteStore() const { return QStringLiteral("sqlite://") + m_home.filePath(QStringLiteral("tui.db")); }

    QString redisUrl(const RedisTestServer &r) const { return QStringLiteral("redis://127.0.0.1:%1/0").arg(r.port()); }

private Q_SLOTS:
    void initTestCase()
    {
        m_tui = builtProgram(QStringLiteral("statedeck-tui"));
        QVERIFY2(!m_tui.isEmpty(), "statedeck-tui must be built");
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("tmux")).isEmpty(), "tmux is needed");
        m_socket = m_home.filePath(QStringLiteral("tmux.sock"));
        QVERIFY(m_redis.start());
        QVERIFY(loadRegistryDump(m_redis));
        // Stale for the whole suite, not dead after the dump's 30 s.
        QCOMPARE(m_redis.command({"EXPIRE", "xstatenet:heartbeat:ping-pong-machine", "3600"}), QByteArray(":1"));
        QVERIFY(m_kube.start());
        auto admin = adminClient(m_kube);
        QFile crdFile(fixturePath(QStringLiteral("xstatenet/crd-statemachines.xstatenet.io.yaml")));
        QVERIFY(crdFile.open(QIODevice::ReadOnly));
        auto crd = yamlToJson(crdFile.readAll(), QStringLiteral("crd"));
        QVERIFY(crd.ok());
        const kube::Resource crds{QStringLiteral("apiextensions.k8s.io"), QStringLiteral("v1"),
                                  QStringLiteral("customresourcedefinitions"), QStringLiteral("CustomResourceDefinition"),
                                  false};
        QVERIFY(await(admin->create(crds, QString(), crd.value())).ok());
        QFile crFile(fixturePath(QStringLiteral("xstatenet/example-statemachine.yaml.real")));
        QVERIFY(crFile.open(QIODevice::ReadOnly));
        const QByteArray text = crFile.readAll();
        auto cr = yamlToJson(text.left(text.indexOf("\n---")), QStringLiteral("cr"));
        QVERIFY(cr.ok());
        QVERIFY(await(admin->create(registry::KubeMachines::stateMachines(), QStringLiteral("default"), cr.value())).ok());
    }

    void cleanupTestCase()
    {
        tmux({QStringLiteral("kill-server")});
    }

    void testMachinesLive()
    {
        const QString s = start(sqliteStore());
        QVERIFY(waitFor(s, QStringLiteral("Live")));
        type(s, QStringLiteral(":machines kube ") + redisUrl(m_redis));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("ping-pong-machine")));
        QVERIFY(waitFor(s, [&] { return lineWith(s, QStringLiteral("ping-pong-machine")).contains(QLatin1String("stale")); },
                        QStringLiteral("ping-pong-machine stale")));
        QVERIFY(lineWith(s, QStringLiteral("order-processing")).contains(QLatin1String("dead")));
        QVERIFY(lineWith(s, QStringLiteral("order-processing")).contains(QLatin1String("Unhealthy")));
        QVERIFY(waitFor(s, QStringLiteral("· live")));

        // A machine registers and beats for 3 s, then stops.
        QVERIFY(registerMachine(m_redis, QStringLiteral("beat-1"), 2, 3000));
        QVERIFY(m_redis.command({"PUBLISH", "xstatenet:events", R"({"Type":0,"MachineId":"beat-1"})"}) == ":1");
        QVERIFY(waitFor(s, [&] { return lineWith(s, QStringLiteral("beat-1")).contains(QLatin1String("alive")); },
                        QStringLiteral("beat-1 alive")));
        QVERIFY(waitFor(s, [&] { return lineWith(s, QStringLiteral("beat-1")).contains(QLatin1String("dead")); },
                        QStringLiteral("beat-1 dead")));

        // The definition of ping-pong-machine (third row), current state
        // from Redis marked.
        keys(s, {QStringLiteral("Down"), QStringLiteral("Down"), QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("definition ping-pong-machine")));
        QVERIFY(waitFor(s, QStringLiteral("* ping  (entry sendPing)")));
        const QString tree = screen(s);
        QVERIFY2(tree.contains(QLatin1String("  idle")) && tree.contains(QLatin1String("START -> ping")), qPrintable(tree));
        QVERIFY2(tree.contains(QLatin1String("after 1000ms -> timeout")), qPrintable(tree));
        QVERIFY2(tree.contains(QLatin1String("  timeout  (final)")), qPrintable(tree));

        // The machine moves: the mark follows without a key press.
        QByteArray info = m_redis.query({"HGET", "xstatenet:machines", "ping-pong-machine"})->value(0);
        info.replace("\"CurrentState\":\"ping\"", "\"CurrentState\":\"pong\"");
        QVERIFY(m_redis.command({"HSET", "xstatenet:machines", "ping-pong-machine", info}) == ":0");
        QVERIFY(m_redis.command({"PUBLISH", "xstatenet:events", R"({"Type":2,"MachineId":"ping-pong-machine"})"}) == ":1");
        QVERIFY(waitFor(s, QStringLiteral("* pong  (entry sendPong)")));
        QVERIFY(!screen(s).contains(QLatin1String("* ping  (")));

        keys(s, {QStringLiteral("Escape")});
        QVERIFY(waitFor(s, QStringLiteral("beat-1")));
        type(s, QStringLiteral(":q"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("EXITED 0")));
    }

    // The heartbeat age ticks on screen with no new data: two captures of
    // an alive machine's row differ, and only in its age.
    void testHeartbeatAgeTicks()
    {
        QVERIFY(registerMachine(m_redis, QStringLiteral("tick-1"), 2, 600000));
        const QString s = start(sqliteStore());
        QVERIFY(waitFor(s, QStringLiteral("Live")));
        type(s, QStringLiteral(":machines ") + redisUrl(m_redis));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, [&] { return lineWith(s, QStringLiteral("tick-1")).contains(QLatin1String("alive")); },
                        QStringLiteral("tick-1 alive")));
        const QString first = lineWith(s, QStringLiteral("tick-1"));
        QString second;
        QVERIFY(waitFor(s,
                        [&] {
                            second = lineWith(s, QStringLiteral("tick-1"));
                            return !second.isEmpty() && second != first;
                        },
                        QStringLiteral("tick-1's age change")));
        QVERIFY2(second.contains(QLatin1String("alive")), qPrintable(second));
        // The same row but for the age: same length, and the columns before
        // the age (id, liveness) unchanged.
        const qsizetype liveness = first.indexOf(QLatin1String("alive"));
        QCOMPARE(second.left(liveness + 5), first.left(liveness + 5));
        // ...and after the age's nine columns (status, state) too.
        QCOMPARE(second.mid(liveness + 8 + 10), first.mid(liveness + 8 + 10));
        type(s, QStringLiteral(":q"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("EXITED 0")));
        QCOMPARE(m_redis.command({"DEL", "xstatenet:heartbeat:tick-1"}), QByteArray(":1"));
        QCOMPARE(m_redis.command({"HDEL", "xstatenet:machines", "tick-1"}), QByteArray(":1"));
    }

    // A server that does not announce expiry: the view says it polls.
    void testPollingSaid()
    {
        RedisTestServer plain;
        QVERIFY(plain.start());
        QVERIFY(loadRegistryDump(plain));
        // The session is SQLite: nothing else touches this server's settings.
        const QString s = start(sqliteStore());
        QVERIFY(waitFor(s, QStringLiteral("Live")));
        type(s, QStringLiteral(":machines ") + redisUrl(plain));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("order-processing")));
        QVERIFY(waitFor(s, QStringLiteral("POLLING")));
        QVERIFY(waitFor(s, QStringLiteral("notify-keyspace-events")));
        type(s, QStringLiteral(":q"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("EXITED 0")));
    }
};

QTEST_GUILESS_MAIN(TestTuiMachines)
#include "tst_tui_machines.moc"
