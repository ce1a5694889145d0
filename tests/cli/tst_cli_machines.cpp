// `statedeckctl machines ...` as a user runs it: against a real redis-server
// holding the seed 003 registry dump, and the Kubernetes emulator holding the
// fixture CRD and StateMachine resources.
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

class TestCliMachines : public QObject {
    Q_OBJECT

    struct Run {
        int code = -1;
        QByteArray out;
        QByteArray err;
        QByteArray describe() const { return "exit " + QByteArray::number(code) + "\nstdout: " + out + "\nstderr: " + err; }
    };

    QString m_ctl;
    QTemporaryDir m_home;
    RedisTestServer m_redis{{QStringLiteral("--notify-keyspace-events"), QStringLiteral("Ex")}};
    KubeTestServer m_kube;

    QProcessEnvironment env() const
    {
        QProcessEnvironment e = isolatedEnvironment(m_home.path());
        e.insert(QStringLiteral("KUBECONFIG"), m_kube.kubeconfigPath());
        e.remove(QStringLiteral("REDIS_URL"));
        for (const char *name : {"KUBERNETES_CLUSTER_ENDPOINT", "KUBERNETES_CLUSTER_USER_TOKEN",
                                 "KUBERNETES_CLUSTER_NAMESPACE", "KUBERNETES_CLUSTER_CERTIFICATE"})
            e.remove(QString::fromLatin1(name));
        return e;
    }

    Run ctl(const QStringList &args, const QByteArray &input = {})
    {
        const ProgramRun p = runProgram(m_ctl, args, env(), input, 45000);
        return Run{p.code, p.out, p.err};
    }

    QString redisUrl() const { return QStringLiteral("redis://127.0.0.1:%1/0").arg(m_redis.port()); }

    QStringList both(QStringList args) const
    {
        return args << QStringLiteral("--redis") << redisUrl() << QStringLiteral("--namespace") << QStringLiteral("default");
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_ctl = builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY2(!m_ctl.isEmpty(), "statedeckctl was not built");
        QVERIFY(m_home.isValid());
        QVERIFY(m_redis.start());
        QVERIFY(loadRegistryDump(m_redis));
        // The dump's heartbeat lives 30 s; the suite needs it longer to see
        // the machine stale rather than dead in every test.
        QCOMPARE(m_redis.command({"EXPIRE", "xstatenet:heartbeat:ping-pong-machine", "3600"}), QByteArray(":1"));
        // The same dump under the prefix "aged", its heartbeat ten minutes
        // old: stale by the default threshold, alive by an hour's.
        QVERIFY(loadRegistryDump(m_redis, QStringLiteral("aged")));
        QCOMPARE(m_redis.command({"SET", "aged:heartbeat:ping-pong-machine",
                                  QByteArray::number(registry::utcToTicks(QDateTime::currentDateTimeUtc().addSecs(-600))),
                                  "EX", "3600"}),
                 QByteArray("+OK"));
        QVERIFY2(m_kube.start(), "the Kubernetes emulator did not start");
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
        const QByteArray pingDoc = text.left(text.indexOf("\n---"));
        auto cr = yamlToJson(pingDoc, QStringLiteral("cr"));
        QVERIFY2(cr.ok(), qPrintable(cr.error().toString()));
        QVERIFY(await(admin->create(registry::KubeMachines::stateMachines(), QStringLiteral("default"), cr.value())).ok());
        const Json status{{"status", {{"phase", "Ready"}, {"readyReplicas", 3}, {"currentState", "pong"}}}};
        QVERIFY(await(admin->mergePatch(registry::KubeMachines::stateMachines(), QStringLiteral("default"),
                                        QStringLiteral("ping-pong-machine"), status, QStringLiteral("status")))
                    .ok());
    }

    void testListTable()
    {
        const Run r = ctl(both({QStringLiteral("machines"), QStringLiteral("ls"), QStringLiteral("-o"), QStringLiteral("table")}));
        QVERIFY2(r.code == 0, r.describe());
        const QList<QByteArray> lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QVERIFY2(lines[0].startsWith("ID") && lines[0].contains("LIVENESS") && lines[0].contains("HEARTBEAT"), r.describe());
        QVERIFY2(lines[1].startsWith("order-processing") && lines[1].contains("DEAD") && lines[1].contains("Unhealthy")
                     && lines[1].contains("redis"),
                 r.describe());
        QVERIFY2(lines[2].startsWith("ping-pong-machine") && lines[2].contains("STALE") && lines[2].contains("Running")
                     && lines[2].contains(" ping ") && lines[2].contains("3/3") && lines[2].contains("redis+k8s"),
                 r.describe());
    }

    void testListJsonAndYaml()
    {
        const Run r = ctl(both({QStringLiteral("machines"), QStringLiteral("ls"), QStringLiteral("-o"), QStringLiteral("json")}));
        QVERIFY2(r.code == 0, r.describe());
        const Json j = Json::parse(r.out.toStdString());
        QCOMPARE(j.size(), size_t(2));
        QCOMPARE(j[1]["id"], Json("ping-pong-machine"));
        QCOMPARE(j[1]["liveness"], Json("stale"));
        QCOMPARE(j[1]["redis"]["info"]["Tags"]["role"], Json("worker"));
        QCOMPARE(j[1]["kubernetes"]["status"]["currentState"], Json("pong"));
        QCOMPARE(j[0]["redis"]["metadata"]["owner"], Json("team-x"));
        QVERIFY(j[0]["heartbeatAgeMs"].get<qint64>() > 0);

        const Run y = ctl({QStringLiteral("machines"), QStringLiteral("ls"), QStringLiteral("-o"), QStringLiteral("yaml"),
                           QStringLiteral("--redis"), redisUrl()});
        QVERIFY2(y.code == 0, y.describe());
        auto parsed = yamlToJson(y.out, QStringLiteral("stdout"));
        QVERIFY2(parsed.ok(), y.describe());
        QCOMPARE(parsed->size(), size_t(2));
        QCOMPARE(parsed.value()[0]["status"], Json("Unhealthy"));
    }

    // --stale-after moves the line between alive and stale: the "aged"
    // registry's heartbeat is ten minutes old.
    void testStaleAfter_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("liveness");
        QTest::newRow("default 1m") << QStringList() << QStringLiteral("stale");
        QTest::newRow("1h") << QStringList{QStringLiteral("--stale-after"), QStringLiteral("1h")} << QStringLiteral("alive");
        QTest::newRow("5m") << QStringList{QStringLiteral("--stale-after"), QStringLiteral("5m")} << QStringLiteral("stale");
        QTest::newRow("15m") << QStringList{QStringLiteral("--stale-after"), QStringLiteral("15m")} << QStringLiteral("alive");
    }
    void testStaleAfter()
    {
        QFETCH(QStringList, extra);
        QFETCH(QString, liveness);
        const Run r = ctl(QStringList{QStringLiteral("machines"), QStringLiteral("ls"), QStringLiteral("--redis"), redisUrl(),
                                      QStringLiteral("--prefix"), QStringLiteral("aged"), QStringLiteral("-o"),
                                      QStringLiteral("json")}
                          + extra);
        QVERIFY2(r.code == 0, r.describe());
        const Json j = Json::parse(r.out.toStdString());
        QCOMPARE(j.size(), size_t(2));
        QCOMPARE(j[1]["id"], Json("ping-pong-machine"));
        QCOMPARE(j[1]["liveness"], Json(liveness.toStdString()));
        const qint64 age = j[1]["heartbeatAgeMs"].get<qint64>();
        QVERIFY2(age >= 600000 && age < 3600000, r.describe());
        // The machine without a heartbeat key is dead whatever the threshold.
        QCOMPARE(j[0]["liveness"], Json("dead"));
    }

    void testGet()
    {
        const Run r = ctl(both({QStringLiteral("machines"), QStringLiteral("get"), QStringLiteral("ping-pong-machine"),
                                QStringLiteral("-o"), QStringLiteral("table")}));
        QVERIFY2(r.code == 0, r.describe());
        QVERIFY2(r.out.contains("Liveness:        stale"), r.describe());
        QVERIFY2(r.out.contains("\"Endpoint\": \"tcp://10.0.0.12:5555\""), r.describe());
        QVERIFY2(r.out.contains("Deployment") && r.out.contains("sm-ping-pong-machine-pvc") && r.out.contains("(missing)"),
                 r.describe());
        const Run missing = ctl(both({QStringLiteral("machines"), QStringLiteral("get"), QStringLiteral("nope")}));
        QCOMPARE(missing.code, 3);
        QVERIFY2(missing.err.contains("nope") && missing.out.isEmpty(), missing.describe());
    }

    void testGraph()
    {
        const Run r = ctl(both({QStringLiteral("machines"), QStringLiteral("graph"), QStringLiteral("ping-pong-machine")}));
        QVERIFY2(r.code == 0, r.describe());
        QVERIFY2(r.out.startsWith("digraph \"ping-pong\" {"), r.describe());
        // Redis's current state (ping) is the one filled.
        QVERIFY2(r.out.contains("\"s:ping\" [label=\"ping\", style=\"rounded,filled,bold\""), r.describe());
        QProcess dot;
        dot.start(QStandardPaths::findExecutable(QStringLiteral("dot")), {QStringLiteral("-Tsvg")});
        QVERIFY(dot.waitForStarted());
        dot.write(r.out);
        dot.closeWriteChannel();
        QVERIFY(dot.waitForFinished(30000));
        QCOMPARE(dot.exitCode(), 0);
        QVERIFY(dot.readAllStandardOutput().contains("<svg"));

        // Only in Redis: no definition anywhere.
        const Run none = ctl(both({QStringLiteral("machines"), QStringLiteral("graph"), QStringLiteral("order-processing")}));
        QCOMPARE(none.code, 3);
        QVERIFY2(none.err.contains("no definition is known"), none.describe());

        // A definition from a file, malformed: the JSON path, exit 1, no output.
        const Run bad = ctl({QStringLiteral("machines"), QStringLiteral("graph"), QStringLiteral("--file"), QStringLiteral("-")},
                            R"({"id":"m","initial":"a","states":{"a":{"on":{"GO":"b"}}}})");
        QCOMPARE(bad.code, 1);
        QVERIFY(bad.out.isEmpty());
        QVERIFY2(bad.err.contains("-: $.states.a.on.GO") && bad.err.contains("target \"b\""), bad.describe());
    }

    void testScale()
    {
        // No terminal: no question; --read-only refuses.
        const Run ro = ctl({QStringLiteral("machines"), QStringLiteral("scale"), QStringLiteral("ping-pong-machine"),
                            QStringLiteral("4"), QStringLiteral("--namespace"), QStringLiteral("default"),
                            QStringLiteral("--read-only")});
        QCOMPARE(ro.code, 1);
        const Run r = ctl({QStringLiteral("machines"), QStringLiteral("scale"), QStringLiteral("ping-pong-machine"),
                           QStringLiteral("4"), QStringLiteral("--namespace"), QStringLiteral("default"), QStringLiteral("-o"),
                           QStringLiteral("table")});
        QVERIFY2(r.code == 0, r.describe());
        QVERIFY2(r.out.contains("scaled from 3 to 4 replicas"), r.describe());
        auto admin = adminClient(m_kube);
        auto got = await(admin->get(registry::KubeMachines::stateMachines(), QStringLiteral("default"),
                                    QStringLiteral("ping-pong-machine")));
        QCOMPARE(got.value()["spec"]["replicas"], Json(4));

        // On a terminal it asks; "n" leaves the replicas alone.
        QProcess script;
        script.setProcessEnvironment(env());
        script.start(QStringLiteral("script"),
                     {QStringLiteral("-qec"),
                      QStringLiteral("'%1' machines scale ping-pong-machine 9 --namespace default").arg(m_ctl),
                      QStringLiteral("/dev/null")});
        QVERIFY(script.waitForStarted());
        QByteArray tty;
        QTRY_VERIFY2_WITH_TIMEOUT((tty += script.readAllStandardOutput() + script.readAllStandardError()).contains("[y/N]")
                                      || script.state() != QProcess::Running,
                                  tty.constData(), 20000);
        QVERIFY2(tty.contains("from 4 to 9 replicas"), tty.constData());
        script.write("n\n");
        QVERIFY(script.waitForFinished(30000));
        QCOMPARE(script.exitCode(), 1);
        got = await(admin->get(registry::KubeMachines::stateMachines(), QStringLiteral("default"),
                               QStringLiteral("ping-pong-machine")));
        QCOMPARE(got.value()["spec"]["replicas"], Json(4));

        const Run badCount = ctl({QStringLiteral("machines"), QStringLiteral("scale"), QStringLiteral("ping-pong-machine"),
                                  QStringLiteral("-2"), QStringLiteral("--namespace"), QStringLiteral("default")});
        QCOMPARE(badCount.code, 2);
        const Run missing = ctl({QStringLiteral("machines"), QStringLiteral("scale"), QStringLiteral("nope"),
                                 QStringLiteral("2"), QStringLiteral("--namespace"), QStringLiteral("default")});
        QCOMPARE(missing.code, 3);
    }

    // watch prints the machines, then a heartbeat that expires.
    void testWatch()
    {
        QVERIFY(registerMachine(m_redis, QStringLiteral("w1"), 2, 3000, QStringLiteral("watched")));
        const Run r = ctl({QStringLiteral("machines"), QStringLiteral("watch"), QStringLiteral("--redis"), redisUrl(),
                           QStringLiteral("--prefix"), QStringLiteral("watched"), QStringLiteral("-o"),
                           QStringLiteral("json"), QStringLiteral("--count"), QStringLiteral("2"),
                           QStringLiteral("--timeout"), QStringLiteral("30")});
        QVERIFY2(r.code == 0, r.describe());
        QList<Json> lines;
        for (const QByteArray &l : r.out.split('\n'))
            if (!l.trimmed().isEmpty())
                lines << Json::parse(l.toStdString());
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[0]["id"], Json("w1"));
        QCOMPARE(lines[0]["event"], Json("ADDED"));
        QCOMPARE(lines[1]["id"], Json("w1"));
        QCOMPARE(lines[1]["event"], Json("CHANGED"));
        QCOMPARE(lines[1]["liveness"], Json("dead"));
        QVERIFY2(r.err.contains("live: registry events and expiry notifications"), r.describe());
    }

    void testUsage_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("errHas");
        QTest::newRow("no source") << QStringList{QStringLiteral("machines"), QStringLiteral("ls")} << "needs a source";
        QTest::newRow("unknown subcommand") << QStringList{QStringLiteral("machines"), QStringLiteral("rm")}
                                            << "unknown machines subcommand";
        QTest::newRow("get without id") << QStringList{QStringLiteral("machines"), QStringLiteral("get")} << "machines get ID";
        QTest::newRow("not a redis url") << QStringList{QStringLiteral("machines"), QStringLiteral("ls"), QStringLiteral("--redis"),
                                                        QStringLiteral("etcd://x:2379")}
                                         << "expected a Redis URL";
        QTest::newRow("bad stale-after") << QStringList{QStringLiteral("machines"), QStringLiteral("ls"), QStringLiteral("--redis"),
                                                        QStringLiteral("redis://127.0.0.1:1"), QStringLiteral("--stale-after"),
                                                        QStringLiteral("soon")}
                                         << "--stale-after soon";
    }
    void testUsage()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, errHas);
        const Run r = ctl(args);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(errHas.toUtf8()), r.describe());
        QVERIFY(r.out.isEmpty());
    }

    void testHelp()
    {
        const Run r = ctl({QStringLiteral("help"), QStringLiteral("machines")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("machines graph ID"));
        QVERIFY(r.out.contains("--stale-after"));
        const Run overview = ctl({QStringLiteral("help")});
        QVERIFY(overview.out.contains("machines SUBCOMMAND"));
    }

    void testRedisDown()
    {
        const Run r = ctl({QStringLiteral("machines"), QStringLiteral("ls"), QStringLiteral("--redis"),
                           QStringLiteral("redis://127.0.0.1:1/0"), QStringLiteral("-o"), QStringLiteral("json")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("cannot connect to Redis"), r.describe());
    }
};

QTEST_GUILESS_MAIN(TestCliMachines)
#include "tst_cli_machines.moc"
