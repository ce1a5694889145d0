// The real kubectl against sd-kube-emulator over HTTPS with a generated CA:
// if kubectl accepts the emulator, so will any client-go based tool, and the
// statedeck client is tested against the same answers.

#include "KubeTestServer.h"
#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

using nlohmann::json;
using sd::test::KubeTestServer;

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
    QString describe() const { return QStringLiteral("exit %1\nstdout: %2\nstderr: %3").arg(exitCode).arg(out, err); }
};

json fixtureRequestBody(const QString &name)
{
    QFile file(sd::test::fixturePath(QStringLiteral("kubernetes-api/") + name));
    if (!file.open(QIODevice::ReadOnly))
        return json();
    return json::parse(file.readAll().toStdString(), nullptr, false)["request"]["body"];
}

} // namespace

class KubectlInterop : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void getEmptyNamespace();
    void createAndGet();
    void mergePatch();
    void serverSideApplyAndConflict();
    void staleReplaceConflicts();
    void readonlyTokenIsForbiddenToWrite();
    void watchSeesOtherWriters();
    void kubectlSeesStatedeckWrites();
    void customResourceDefinition();
    void clientCertificateUsers();
    void deleteConfigMap();

private:
    QStringList baseArguments(const QString &context, const QString &kubeconfig = {}) const;
    QProcessEnvironment environment() const;
    Run kubectl(const QStringList &arguments, const QString &context = QStringLiteral("admin"),
                const QString &kubeconfig = {});
    Run statedeckctl(const QStringList &arguments, const QByteArray &input = {});
    QString writeFile(const QString &name, const QByteArray &data);

    QString m_kubectl;
    KubeTestServer m_server;
    QTemporaryDir m_home; // kubectl's HOME and discovery cache: nothing from the real user leaks in
};

QStringList KubectlInterop::baseArguments(const QString &context, const QString &kubeconfig) const
{
    return {QStringLiteral("--kubeconfig"), kubeconfig.isEmpty() ? m_server.kubeconfigPath() : kubeconfig,
            QStringLiteral("--context"), context,
            QStringLiteral("--cache-dir"), m_home.filePath(QStringLiteral("cache")),
            QStringLiteral("--request-timeout=20s")};
}

QProcessEnvironment KubectlInterop::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("KUBECONFIG"));
    env.insert(QStringLiteral("HOME"), m_home.path());
    return env;
}

Run KubectlInterop::kubectl(const QStringList &arguments, const QString &context, const QString &kubeconfig)
{
    QProcess process;
    process.setProcessEnvironment(environment());
    process.start(m_kubectl, baseArguments(context, kubeconfig) + arguments);
    Run run;
    if (!process.waitForStarted(10000)) {
        run.err = process.errorString();
        return run;
    }
    process.waitForFinished(45000);
    if (process.state() != QProcess::NotRunning) {
        process.kill();
        process.waitForFinished(5000);
        run.err = QStringLiteral("kubectl %1 did not finish within 45 s").arg(arguments.join(QLatin1Char(' ')));
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

QString KubectlInterop::writeFile(const QString &name, const QByteArray &data)
{
    const QString path = m_home.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    file.write(data);
    return path;
}

void KubectlInterop::initTestCase()
{
    m_kubectl = QStandardPaths::findExecutable(QStringLiteral("kubectl"));
    QVERIFY2(!m_kubectl.isEmpty(),
             "kubectl is not on PATH: run scripts/install-deps.sh, which installs Debian's kubernetes-client");
    QVERIFY(m_home.isValid());
    QVERIFY2(m_server.start(), "sd-kube-emulator did not start (see the warnings above)");
}

void KubectlInterop::getEmptyNamespace()
{
    const Run run = kubectl({QStringLiteral("get"), QStringLiteral("configmaps")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.err.contains(QLatin1String("No resources found in default namespace")), qPrintable(run.describe()));
}

void KubectlInterop::createAndGet()
{
    Run run = kubectl({QStringLiteral("create"), QStringLiteral("configmap"), QStringLiteral("x"),
                       QStringLiteral("--from-literal=a=b")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.out.contains(QLatin1String("configmap/x created")), qPrintable(run.describe()));

    run = kubectl({QStringLiteral("get"), QStringLiteral("cm")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    static const QRegularExpression row(QStringLiteral("(?m)^x\\s+1\\s+\\d+s$"));
    QVERIFY2(run.out.contains(QLatin1String("NAME")) && run.out.contains(row), qPrintable(run.describe()));

    // --raw: the object as served, managedFields included, with any kubectl
    // (1.21 and later hide them from -o json; Debian's 1.20 has no flag for it).
    run = kubectl({QStringLiteral("get"), QStringLiteral("--raw"), QStringLiteral("/api/v1/namespaces/default/configmaps/x")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    const json object = json::parse(run.out.toStdString(), nullptr, false);
    QVERIFY2(object.is_object() && object["metadata"]["managedFields"].is_array(), qPrintable(run.out));
    QVERIFY(object["data"] == json({{"a", "b"}}));
    QCOMPARE(QString::fromStdString(object["metadata"]["managedFields"][0]["manager"].get<std::string>()),
             QStringLiteral("kubectl-create"));
    QVERIFY(!object["metadata"]["uid"].get<std::string>().empty());

    // describe also lists the object's events (by field selector).
    run = kubectl({QStringLiteral("describe"), QStringLiteral("cm"), QStringLiteral("x")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    static const QRegularExpression name(QStringLiteral("(?m)^Name:\\s+x$"));
    static const QRegularExpression events(QStringLiteral("(?m)^Events:\\s+<none>$"));
    QVERIFY2(run.out.contains(name) && run.out.contains(events), qPrintable(run.describe()));
}

void KubectlInterop::mergePatch()
{
    Run run = kubectl({QStringLiteral("patch"), QStringLiteral("cm"), QStringLiteral("x"), QStringLiteral("--type"),
                       QStringLiteral("merge"), QStringLiteral("-p"), QStringLiteral(R"({"data":{"c":"d"}})")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.out.contains(QLatin1String("configmap/x patched")), qPrintable(run.describe()));
    run = kubectl({QStringLiteral("get"), QStringLiteral("cm"), QStringLiteral("x"), QStringLiteral("-o"),
                   QStringLiteral("jsonpath={.data.a},{.data.c}")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QCOMPARE(run.out, QStringLiteral("b,d"));
}

void KubectlInterop::serverSideApplyAndConflict()
{
    const QString mine = writeFile(QStringLiteral("applied.yaml"),
                                   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels:\n    app: demo\n"
                                   "data:\n  owner: statedeck\n  shared: one\n");
    Run run = kubectl({QStringLiteral("apply"), QStringLiteral("--server-side"), QStringLiteral("--field-manager=statedeck"),
                       QStringLiteral("-f"), mine});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.out.contains(QLatin1String("configmap/applied serverside-applied")), qPrintable(run.describe()));

    // Another manager changing an owned field is refused, naming both.
    const QString theirs = writeFile(QStringLiteral("other.yaml"),
                                     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n"
                                     "data:\n  owner: other\n");
    run = kubectl({QStringLiteral("apply"), QStringLiteral("--server-side"), QStringLiteral("--field-manager=other"),
                   QStringLiteral("-f"), theirs});
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.err.contains(QLatin1String("Apply failed with 1 conflict: conflict with \"statedeck\": .data.owner")),
             qPrintable(run.describe()));

    // Applying the same value is shared ownership, not a conflict.
    const QString same = writeFile(QStringLiteral("same.yaml"),
                                   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  shared: one\n");
    run = kubectl({QStringLiteral("apply"), QStringLiteral("--server-side"), QStringLiteral("--field-manager=other"),
                   QStringLiteral("-f"), same});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));

    run = kubectl({QStringLiteral("apply"), QStringLiteral("--server-side"), QStringLiteral("--field-manager=other"),
                   QStringLiteral("--force-conflicts"), QStringLiteral("-f"), theirs});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    run = kubectl({QStringLiteral("get"), QStringLiteral("--raw"), QStringLiteral("/api/v1/namespaces/default/configmaps/applied")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    const json object = json::parse(run.out.toStdString(), nullptr, false);
    QVERIFY2(object.is_object() && object["metadata"]["managedFields"].is_array(), qPrintable(run.out));
    QVERIFY(object["data"] == json({{"owner", "other"}, {"shared", "one"}}));
    // "other" now owns .data.owner (it no longer applies .data.shared, which
    // stays with statedeck), and statedeck keeps its label and .data.shared.
    json owners = json::object();
    for (const json &entry : object["metadata"]["managedFields"])
        owners[entry["manager"].get<std::string>()] = entry["fieldsV1"];
    QVERIFY2(owners["other"] == json::parse(R"({"f:data":{"f:owner":{}}})"), qPrintable(run.out));
    QVERIFY2(owners["statedeck"] == json::parse(R"({"f:data":{"f:shared":{}},"f:metadata":{"f:labels":{"f:app":{}}}})"),
             qPrintable(run.out));
}

void KubectlInterop::staleReplaceConflicts()
{
    Run run = kubectl({QStringLiteral("get"), QStringLiteral("cm"), QStringLiteral("x"), QStringLiteral("-o"), QStringLiteral("yaml")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    const QString stale = writeFile(QStringLiteral("stale.yaml"), run.out.toUtf8());
    run = kubectl({QStringLiteral("patch"), QStringLiteral("cm"), QStringLiteral("x"), QStringLiteral("--type"),
                   QStringLiteral("merge"), QStringLiteral("-p"), QStringLiteral(R"({"data":{"a":"newer"}})")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    run = kubectl({QStringLiteral("replace"), QStringLiteral("-f"), stale});
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.err.contains(QLatin1String("Error from server (Conflict)"))
                 && run.err.contains(QLatin1String("Operation cannot be fulfilled on configmaps \"x\": the object has been modified")),
             qPrintable(run.describe()));
    run = kubectl({QStringLiteral("get"), QStringLiteral("cm"), QStringLiteral("x"), QStringLiteral("-o"), QStringLiteral("jsonpath={.data.a}")});
    QCOMPARE(run.out, QStringLiteral("newer"));
}

void KubectlInterop::readonlyTokenIsForbiddenToWrite()
{
    const QString readonly = QStringLiteral("readonly");
    Run run = kubectl({QStringLiteral("get"), QStringLiteral("cm"), QStringLiteral("x")}, readonly);
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));

    run = kubectl({QStringLiteral("create"), QStringLiteral("configmap"), QStringLiteral("y"), QStringLiteral("--from-literal=a=b")}, readonly);
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.err.contains(QLatin1String("configmaps is forbidden: User \"statedeck-readonly\" cannot create resource "
                                            "\"configmaps\" in API group \"\" in the namespace \"default\"")),
             qPrintable(run.describe()));

    run = kubectl({QStringLiteral("delete"), QStringLiteral("cm"), QStringLiteral("x")}, readonly);
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.err.contains(QLatin1String("Error from server (Forbidden): configmaps \"x\" is forbidden: User "
                                            "\"statedeck-readonly\" cannot delete resource \"configmaps\"")),
             qPrintable(run.describe()));
    run = kubectl({QStringLiteral("get"), QStringLiteral("cm"), QStringLiteral("x")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
}

void KubectlInterop::watchSeesOtherWriters()
{
    Run run = kubectl({QStringLiteral("create"), QStringLiteral("namespace"), QStringLiteral("watched")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    run = kubectl({QStringLiteral("-n"), QStringLiteral("watched"), QStringLiteral("create"), QStringLiteral("configmap"),
                   QStringLiteral("seed"), QStringLiteral("--from-literal=k=v")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));

    QProcess watcher;
    watcher.setProcessEnvironment(environment());
    QString output;
    connect(&watcher, &QProcess::readyReadStandardOutput, this,
            [&] { output += QString::fromUtf8(watcher.readAllStandardOutput()); });
    watcher.start(m_kubectl, baseArguments(QStringLiteral("admin"))
                                 + QStringList{QStringLiteral("-n"), QStringLiteral("watched"), QStringLiteral("get"),
                                               QStringLiteral("cm"), QStringLiteral("--watch"),
                                               QStringLiteral("--output-watch-events")});
    QVERIFY(watcher.waitForStarted(10000));
    // Whatever happens below, the watcher does not outlive this test.
    auto stopWatcher = qScopeGuard([&] {
        watcher.kill();
        watcher.waitForFinished(5000);
    });
    // The initial list is printed once kubectl is about to watch; writes from
    // then on arrive as events (the watch resumes from the list's version).
    QTRY_VERIFY2_WITH_TIMEOUT(output.contains(QRegularExpression(QStringLiteral("(?m)^ADDED\\s+seed\\b"))), qPrintable(output), 20000);

    run = kubectl({QStringLiteral("-n"), QStringLiteral("watched"), QStringLiteral("create"), QStringLiteral("configmap"),
                   QStringLiteral("w1"), QStringLiteral("--from-literal=a=1")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    run = kubectl({QStringLiteral("-n"), QStringLiteral("watched"), QStringLiteral("patch"), QStringLiteral("cm"),
                   QStringLiteral("w1"), QStringLiteral("--type"), QStringLiteral("merge"), QStringLiteral("-p"),
                   QStringLiteral(R"({"data":{"b":"2"}})")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    run = kubectl({QStringLiteral("-n"), QStringLiteral("watched"), QStringLiteral("delete"), QStringLiteral("cm"), QStringLiteral("w1")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));

    QTRY_VERIFY2_WITH_TIMEOUT(output.contains(QRegularExpression(QStringLiteral("(?m)^DELETED\\s+w1\\b"))), qPrintable(output), 20000);
    static const QRegularExpression order(
        QStringLiteral("(?s)ADDED\\s+w1\\s+1\\s.*MODIFIED\\s+w1\\s+2\\s.*DELETED\\s+w1\\s+2\\s"));
    QVERIFY2(output.contains(order), qPrintable(output));
    QVERIFY2(watcher.state() == QProcess::Running, qPrintable(output)); // the watch is still open
}

// statedeckctl writes through its own client; kubectl, watching the same
// namespace, sees every change in order, and reads back the same data.
Run KubectlInterop::statedeckctl(const QStringList &arguments, const QByteArray &input)
{
    QProcess process;
    QProcessEnvironment env = environment();
    env.insert(QStringLiteral("KUBECONFIG"), m_server.kubeconfigPath());
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_home.filePath(QStringLiteral("data")));
    process.setProcessEnvironment(env);
    process.start(sd::test::builtProgram(QStringLiteral("statedeckctl")),
                  QStringList{QStringLiteral("--store"), QStringLiteral("k8s://admin/sdwrites/configmaps")} + arguments);
    Run run;
    if (!process.waitForStarted(10000)) {
        run.err = process.errorString();
        return run;
    }
    process.write(input);
    process.closeWriteChannel();
    process.waitForFinished(45000);
    if (process.state() != QProcess::NotRunning) {
        process.kill();
        process.waitForFinished(5000);
        run.err = QStringLiteral("statedeckctl %1 did not finish within 45 s").arg(arguments.join(QLatin1Char(' ')));
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

void KubectlInterop::kubectlSeesStatedeckWrites()
{
    QVERIFY2(!sd::test::builtProgram(QStringLiteral("statedeckctl")).isEmpty(), "statedeckctl was not built");
    Run run = kubectl({QStringLiteral("create"), QStringLiteral("namespace"), QStringLiteral("sdwrites")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));

    QProcess watcher;
    watcher.setProcessEnvironment(environment());
    QString output;
    connect(&watcher, &QProcess::readyReadStandardOutput, this,
            [&] { output += QString::fromUtf8(watcher.readAllStandardOutput()); });
    watcher.start(m_kubectl, baseArguments(QStringLiteral("admin"))
                                 + QStringList{QStringLiteral("-n"), QStringLiteral("sdwrites"), QStringLiteral("get"),
                                               QStringLiteral("cm"), QStringLiteral("--watch"),
                                               QStringLiteral("--output-watch-events")});
    QVERIFY(watcher.waitForStarted(10000));
    auto stopWatcher = qScopeGuard([&] {
        watcher.kill();
        watcher.waitForFinished(5000);
    });
    // A ConfigMap written first tells us kubectl's watch is open.
    run = statedeckctl({QStringLiteral("put"), QStringLiteral("marker"), QStringLiteral("-")}, R"({"ready":"yes"})");
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QTRY_VERIFY2_WITH_TIMEOUT(output.contains(QRegularExpression(QStringLiteral("(?m)^ADDED\\s+marker\\b"))),
                              qPrintable(output), 20000);

    run = statedeckctl({QStringLiteral("put"), QStringLiteral("deploy"), QStringLiteral("-")}, R"({"phase":"blue"})");
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    run = statedeckctl({QStringLiteral("patch"), QStringLiteral("deploy"), QStringLiteral("-")},
                       R"({"phase":"green","replicas":"3"})");
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));

    // kubectl reads what statedeck wrote.
    run = kubectl({QStringLiteral("-n"), QStringLiteral("sdwrites"), QStringLiteral("get"), QStringLiteral("cm"),
                   QStringLiteral("deploy"), QStringLiteral("-o"), QStringLiteral("json")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    const json object = json::parse(run.out.toStdString(), nullptr, false);
    QVERIFY2(object.is_object(), qPrintable(run.out));
    QVERIFY2(object["data"] == json({{"phase", "green"}, {"replicas", "3"}}), qPrintable(run.out));

    run = statedeckctl({QStringLiteral("rm"), QStringLiteral("deploy")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QTRY_VERIFY2_WITH_TIMEOUT(output.contains(QRegularExpression(QStringLiteral("(?m)^DELETED\\s+deploy\\b"))),
                              qPrintable(output), 20000);
    static const QRegularExpression order(
        QStringLiteral("(?s)ADDED\\s+deploy\\s+1\\s.*MODIFIED\\s+deploy\\s+2\\s.*DELETED\\s+deploy\\s"));
    QVERIFY2(output.contains(order), qPrintable(output));

    // And statedeck reads what kubectl writes.
    run = kubectl({QStringLiteral("-n"), QStringLiteral("sdwrites"), QStringLiteral("create"), QStringLiteral("configmap"),
                   QStringLiteral("from-kubectl"), QStringLiteral("--from-literal=owner=ops")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    run = statedeckctl({QStringLiteral("get"), QStringLiteral("from-kubectl"), QStringLiteral("-o"), QStringLiteral("json")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.out.contains(QLatin1String("\"owner\"")) && run.out.contains(QLatin1String("\"ops\"")),
             qPrintable(run.describe()));
}

void KubectlInterop::customResourceDefinition()
{
    const json crd = fixtureRequestBody(QStringLiteral("50-crd-create.json"));
    QVERIFY(crd.is_object());
    Run run = kubectl({QStringLiteral("apply"), QStringLiteral("--server-side"), QStringLiteral("-f"),
                       writeFile(QStringLiteral("crd.json"), QByteArray::fromStdString(crd.dump()))});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.out.contains(QLatin1String("customresourcedefinition.apiextensions.k8s.io/statemachines.xstatenet.io serverside-applied")),
             qPrintable(run.describe()));

    run = kubectl({QStringLiteral("get"), QStringLiteral("statemachines")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.err.contains(QLatin1String("No resources found in default namespace")), qPrintable(run.describe()));

    const json machine = fixtureRequestBody(QStringLiteral("52-statemachine-create.json"));
    run = kubectl({QStringLiteral("create"), QStringLiteral("-f"),
                   writeFile(QStringLiteral("sm.json"), QByteArray::fromStdString(machine.dump()))});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.out.contains(QLatin1String("statemachine.xstatenet.io/ping-pong created")), qPrintable(run.describe()));

    run = kubectl({QStringLiteral("get"), QStringLiteral("sm")}); // the CRD's short name
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    static const QRegularExpression row(QStringLiteral("(?m)^ping-pong\\s+\\d+s$"));
    QVERIFY2(run.out.contains(row), qPrintable(run.describe()));

    run = kubectl({QStringLiteral("scale"), QStringLiteral("statemachine"), QStringLiteral("ping-pong"), QStringLiteral("--replicas=3")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    run = kubectl({QStringLiteral("get"), QStringLiteral("statemachine.xstatenet.io"), QStringLiteral("ping-pong"),
                   QStringLiteral("-o"), QStringLiteral("jsonpath={.spec.transport} {.spec.replicas} {.metadata.generation}")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QCOMPARE(run.out, QStringLiteral("rabbitmq 3 2"));
}

// kubectl (Go's TLS stack) presenting client certificates signed by the
// emulator's --client-ca: the CN is the user, each O a group, as with
// kube-apiserver's --client-ca-file.
void KubectlInterop::clientCertificateUsers()
{
    const auto admin = m_server.issueClientCertificate(QStringLiteral("kubectl-admin"), QStringLiteral("cert-admin"),
                                                       {QStringLiteral("system:masters")});
    const auto reader = m_server.issueClientCertificate(QStringLiteral("kubectl-reader"), QStringLiteral("cert-reader"),
                                                        {QStringLiteral("statedeck:readonly"), QStringLiteral("ops")});
    QVERIFY(admin && reader);
    const QString kubeconfig = writeFile(
        QStringLiteral("certs.kubeconfig"),
        QStringLiteral("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: %1\n"
                       "    certificate-authority: %2\nusers:\n"
                       "- name: a\n  user:\n    client-certificate: %3\n    client-key: %4\n"
                       "- name: r\n  user:\n    client-certificate: %5\n    client-key: %6\n"
                       "contexts:\n- name: cert-admin\n  context: {cluster: c, user: a, namespace: default}\n"
                       "- name: cert-reader\n  context: {cluster: c, user: r, namespace: default}\n")
            .arg(m_server.baseUrl(), m_server.caFile(), admin->certFile, admin->keyFile, reader->certFile, reader->keyFile)
            .toUtf8());
    Run run = kubectl({QStringLiteral("create"), QStringLiteral("configmap"), QStringLiteral("from-cert"),
                       QStringLiteral("--from-literal=a=b")},
                      QStringLiteral("cert-admin"), kubeconfig);
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    run = kubectl({QStringLiteral("get"), QStringLiteral("cm"), QStringLiteral("from-cert"), QStringLiteral("-o"),
                   QStringLiteral("jsonpath={.data.a}")},
                  QStringLiteral("cert-reader"), kubeconfig);
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QCOMPARE(run.out, QStringLiteral("b"));
    run = kubectl({QStringLiteral("delete"), QStringLiteral("cm"), QStringLiteral("from-cert")}, QStringLiteral("cert-reader"),
                  kubeconfig);
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.err.contains(QLatin1String("configmaps \"from-cert\" is forbidden: User \"cert-reader\" cannot delete")),
             qPrintable(run.describe()));
    run = kubectl({QStringLiteral("delete"), QStringLiteral("cm"), QStringLiteral("from-cert")}, QStringLiteral("cert-admin"),
                  kubeconfig);
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
}

void KubectlInterop::deleteConfigMap()
{
    Run run = kubectl({QStringLiteral("delete"), QStringLiteral("cm"), QStringLiteral("x")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.out.contains(QLatin1String("configmap \"x\" deleted")), qPrintable(run.describe()));
    run = kubectl({QStringLiteral("get"), QStringLiteral("cm"), QStringLiteral("x")});
    QVERIFY2(run.exitCode != 0, qPrintable(run.describe()));
    QVERIFY2(run.err.contains(QLatin1String("Error from server (NotFound): configmaps \"x\" not found")), qPrintable(run.describe()));
}

QTEST_GUILESS_MAIN(KubectlInterop)
#include "tst_kubectl_interop.moc"
