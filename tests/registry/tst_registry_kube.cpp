#include "KubeTestServer.h"
#include "RegistryFixtures.h"
#include "providers/KubeTestHelpers.h"
#include "registry/KubeMachines.h"
#include "registry/Registry.h"
#include "util/YamlJson.h"

#include <QSignalSpy>
#include <QTest>

using namespace sd;
using namespace sd::registry;
using namespace sd::test;

namespace {

// Every document of a fixture YAML file.
QList<Json> yamlDocuments(const QString &relative)
{
    QFile f(fixturePath(relative));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QList<Json> out;
    QList<QByteArray> current;
    auto flush = [&] {
        auto j = yamlToJson(current.join('\n'), relative);
        if (j.ok() && j->is_object())
            out << j.value();
        current.clear();
    };
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.trimmed() == "---")
            flush();
        else
            current << line;
    }
    flush();
    return out;
}

kube::ClusterAccess adminAccess(const KubeTestServer &kube)
{
    kube::ClusterAccess a;
    a.server = kube.baseUrl();
    a.token = kube.adminToken().toUtf8();
    QFile ca(kube.caFile());
    if (ca.open(QIODevice::ReadOnly))
        a.caPem = ca.readAll();
    a.caOrigin = kube.caFile();
    return a;
}

const kube::Resource kDeployments{QStringLiteral("apps"), QStringLiteral("v1"), QStringLiteral("deployments"),
                                  QStringLiteral("Deployment"), true};
const kube::Resource kServices{QString(), QStringLiteral("v1"), QStringLiteral("services"), QStringLiteral("Service"), true};
const kube::Resource kClaims{QString(), QStringLiteral("v1"), QStringLiteral("persistentvolumeclaims"),
                             QStringLiteral("PersistentVolumeClaim"), true};

} // namespace

// The Kubernetes side of the registry against the emulator: the fixture CRD,
// the fixture's StateMachine resources with a status, the objects the
// operator creates, the scale subresource, and one row per machine when
// Redis knows it too.
class TestRegistryKube : public QObject {
    Q_OBJECT

private:
    KubeTestServer m_kube;
    std::unique_ptr<kube::KubeClient> m_client;

    bool installCrd()
    {
        const QList<Json> crd = yamlDocuments(QStringLiteral("xstatenet/crd-statemachines.xstatenet.io.yaml"));
        if (crd.size() != 1)
            return false;
        const kube::Resource crds{QStringLiteral("apiextensions.k8s.io"), QStringLiteral("v1"),
                                  QStringLiteral("customresourcedefinitions"), QStringLiteral("CustomResourceDefinition"),
                                  false};
        auto made = await(m_client->create(crds, QString(), crd.first()));
        if (!made.ok())
            qWarning("%s", qPrintable(made.error().toString()));
        return made.ok();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_kube.start());
        m_client = adminClient(m_kube);
    }

    void testWithoutCrd()
    {
        kube::KubeClient client(adminAccess(m_kube));
        KubeMachines machines(&client, QStringLiteral("default"));
        QSignalSpy failed(&machines, &KubeMachines::failed);
        machines.refresh();
        QVERIFY(failed.wait(15000));
        const Error e = failed.first().first().value<Error>();
        QCOMPARE(e.kind, ErrorKind::NotFound);
        QVERIFY2(e.message.contains(QLatin1String("is the XStateNet CRD installed")), qPrintable(e.message));
    }

    void testMachinesAndOwnedObjects()
    {
        QVERIFY(installCrd());
        const QList<Json> docs = yamlDocuments(QStringLiteral("xstatenet/example-statemachine.yaml.real"));
        QCOMPARE(docs.size(), 3);
        for (int i = 0; i < 2; ++i) {
            auto made = await(m_client->create(KubeMachines::stateMachines(), QStringLiteral("default"), docs[i]));
            QVERIFY2(made.ok(), qPrintable(made.error().toString()));
        }
        // What the operator writes back (UpdateStatusAsync).
        const Json status{{"status",
                           {{"phase", "Ready"},
                            {"readyReplicas", 2},
                            {"currentState", "pong"},
                            {"lastTransition", "2025-10-01T08:30:12.3456789Z"}}}};
        auto st = await(m_client->mergePatch(KubeMachines::stateMachines(), QStringLiteral("default"),
                                             QStringLiteral("ping-pong-machine"), status, QStringLiteral("status")));
        QVERIFY2(st.ok(), qPrintable(st.error().toString()));

        // The operator's objects for ping-pong-machine.
        const QString ns = QStringLiteral("default");
        auto dep = await(m_client->create(kDeployments, ns,
                                          Json{{"metadata", {{"name", "sm-ping-pong-machine"}}},
                                               {"spec", {{"replicas", 3}, {"selector", {{"matchLabels", {{"statemachine", "ping-pong-machine"}}}}}}}}));
        QVERIFY2(dep.ok(), qPrintable(dep.error().toString()));
        auto depStatus = await(m_client->mergePatch(kDeployments, ns, QStringLiteral("sm-ping-pong-machine"),
                                                    Json{{"status", {{"replicas", 3}, {"readyReplicas", 2}}}},
                                                    QStringLiteral("status")));
        QVERIFY2(depStatus.ok(), qPrintable(depStatus.error().toString()));
        auto svc = await(m_client->create(kServices, ns,
                                          Json{{"metadata", {{"name", "sm-ping-pong-machine-svc"}}},
                                               {"spec", {{"type", "ClusterIP"}, {"clusterIP", "10.96.0.12"}}}}));
        QVERIFY2(svc.ok(), qPrintable(svc.error().toString()));
        const std::string configDefinition =
            R"({"id":"ping-pong","initial":"idle","states":{"idle":{"on":{"START":"ping"}},"ping":{"on":{"PONG":"pong"}},"pong":{"on":{"PING":"ping"}}}})";
        auto cm = await(m_client->create(kube::Resource::configMaps(), ns,
                                         Json{{"metadata", {{"name", "sm-ping-pong-machine-config"}}},
                                              {"data", {{"definition.json", configDefinition}, {"config.json", "{}"}}}}));
        QVERIFY2(cm.ok(), qPrintable(cm.error().toString()));
        auto pvc = await(m_client->create(kClaims, ns,
                                          Json{{"metadata", {{"name", "sm-ping-pong-machine-pvc"}}},
                                               {"spec", {{"accessModes", {"ReadWriteOnce"}},
                                                         {"resources", {{"requests", {{"storage", "5Gi"}}}}}}}}));
        QVERIFY2(pvc.ok(), qPrintable(pvc.error().toString()));

        RegistryOptions o;
        o.kube = adminAccess(m_kube);
        o.ns = ns;
        Registry reg(o);
        QSignalSpy refreshed(&reg, &Registry::refreshed);
        reg.refresh();
        QVERIFY(refreshed.wait(15000));
        QVERIFY2(reg.errors().isEmpty(), qPrintable(reg.errors().value(0).toString()));
        QCOMPARE(reg.machines().size(), 2);

        const Machine ping = reg.machine(QStringLiteral("ping-pong-machine")).value();
        QVERIFY(ping.kube && !ping.redis);
        QCOMPARE(ping.kube->replicas, 3);
        QCOMPARE(ping.kube->readyReplicas, 2);
        QCOMPARE(ping.kube->phase, QStringLiteral("Ready"));
        QCOMPARE(ping.kube->transport, QStringLiteral("rabbitmq"));
        QCOMPARE(ping.kube->lastTransition, QStringLiteral("2025-10-01T08:30:12.3456789Z"));
        QCOMPARE(ping.currentState(), QStringLiteral("pong"));
        QCOMPARE(ping.liveness(QDateTime::currentDateTimeUtc(), 60000), Liveness::Unknown);
        QCOMPARE(ping.kube->owned.size(), 4);
        QStringList owned;
        for (const auto &obj : ping.kube->owned)
            owned << QStringLiteral("%1 %2 %3 %4").arg(obj.kind, obj.name, obj.present ? QStringLiteral("yes") : QStringLiteral("no"), obj.detail);
        QCOMPARE(owned, (QStringList{QStringLiteral("Deployment sm-ping-pong-machine yes 2/3 ready"),
                                     QStringLiteral("Service sm-ping-pong-machine-svc yes ClusterIP 10.96.0.12"),
                                     QStringLiteral("ConfigMap sm-ping-pong-machine-config yes config.json, definition.json"),
                                     QStringLiteral("PersistentVolumeClaim sm-ping-pong-machine-pvc yes Pending 5Gi")}));
        // The definition the pods run is the ConfigMap's.
        QCOMPARE(ping.kube->definition, QByteArray::fromStdString(configDefinition));
        QVERIFY(ping.kube->definitionOrigin.contains(QLatin1String("sm-ping-pong-machine-config definition.json")));

        const Machine order = reg.machine(QStringLiteral("order-processing")).value();
        QCOMPARE(order.kube->replicas, 5);
        QCOMPARE(order.kube->phase, QString());
        for (const auto &obj : order.kube->owned)
            QVERIFY(!obj.present);
        QVERIFY(order.kube->definition.contains("\"order-processing\""));
        QVERIFY(order.kube->definitionOrigin.contains(QLatin1String("spec.definition")));
        QCOMPARE(order.toJson(QDateTime::currentDateTimeUtc(), 60000)["kubernetes"]["spec"]["transport"], Json("kafka"));
    }

    // A machine in Redis and in the cluster is one row; Redis's current state
    // (written by the machine itself) is shown over the resource's copy.
    void testMergedWithRedis()
    {
        RedisTestServer redis;
        QVERIFY(redis.start());
        QVERIFY(loadRegistryDump(redis));
        RegistryOptions o;
        o.kube = adminAccess(m_kube);
        o.ns = QStringLiteral("default");
        RedisRegistryOptions r;
        r.connection.port = redis.port();
        o.redis = r;
        Registry reg(o);
        QSignalSpy refreshed(&reg, &Registry::refreshed);
        reg.refresh();
        QVERIFY(refreshed.wait(15000));
        QVERIFY2(reg.errors().isEmpty(), qPrintable(reg.errors().value(0).toString()));
        QCOMPARE(reg.machines().size(), 2);
        const Machine ping = reg.machine(QStringLiteral("ping-pong-machine")).value();
        QVERIFY(ping.redis && ping.kube);
        QCOMPARE(ping.where(), QStringLiteral("redis+k8s"));
        QCOMPARE(ping.currentState(), QStringLiteral("ping"));
        QCOMPARE(ping.status(), QStringLiteral("Running"));
        const Machine order = reg.machine(QStringLiteral("order-processing")).value();
        QVERIFY(order.redis && order.kube);
    }

    void testScale()
    {
        KubeMachines machines(m_client.get(), QStringLiteral("default"));
        auto scaled = await(machines.scale(QStringLiteral("ping-pong-machine"), 7));
        QVERIFY2(scaled.ok(), qPrintable(scaled.error().toString()));
        QCOMPARE(scaled.value()["kind"], Json("Scale"));
        QCOMPARE(scaled.value()["spec"]["replicas"], Json(7));
        auto got = await(m_client->get(KubeMachines::stateMachines(), QStringLiteral("default"),
                                       QStringLiteral("ping-pong-machine")));
        QVERIFY(got.ok());
        QCOMPARE(got.value()["spec"]["replicas"], Json(7));
        QCOMPARE(got.value()["status"]["readyReplicas"], Json(2)); // the status untouched

        auto missing = await(machines.scale(QStringLiteral("no-such-machine"), 1));
        QCOMPARE(missing.error().kind, ErrorKind::NotFound);
    }

    // A watch on the resources: a status change shows without a refresh.
    void testLive()
    {
        RegistryOptions o;
        o.kube = adminAccess(m_kube);
        o.ns = QStringLiteral("default");
        Registry reg(o);
        reg.startLive();
        QTRY_VERIFY_WITH_TIMEOUT(reg.machine(QStringLiteral("ping-pong-machine")).has_value(), 15000);
        const Json status{{"status", {{"currentState", "ping"}}}};
        auto st = await(m_client->mergePatch(KubeMachines::stateMachines(), QStringLiteral("default"),
                                             QStringLiteral("ping-pong-machine"), status, QStringLiteral("status")));
        QVERIFY2(st.ok(), qPrintable(st.error().toString()));
        QTRY_COMPARE_WITH_TIMEOUT(reg.machine(QStringLiteral("ping-pong-machine"))->currentState(), QStringLiteral("ping"),
                                  15000);
    }
};

QTEST_GUILESS_MAIN(TestRegistryKube)
#include "tst_registry_kube.moc"
