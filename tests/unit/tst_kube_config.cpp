// Kubeconfig loading and merging, credential sources, and how a store URL
// becomes a Kubernetes provider. Temporary kubeconfigs; no server.
#include "config/StoreUrl.h"
#include "kube/KubeConfig.h"
#include "TestSupport.h"
#include "providers/Backends.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::kube;

namespace {

QString writeFile(const QString &path, const QByteArray &text)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    f.write(text);
    return path;
}

using sd::test::EnvGuard;

const QByteArray kFirst = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c-dev
  cluster:
    server: https://dev.example:6443
    certificate-authority: certs/ca.pem
- name: c-shared
  cluster:
    server: https://first.example
contexts:
- name: dev
  context:
    cluster: c-dev
    user: u-token
    namespace: team-a
- name: shared
  context:
    cluster: c-shared
    user: u-token
users:
- name: u-token
  user:
    token: 0123
)";

const QByteArray kSecond = R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: c-shared
  cluster:
    server: https://second.example
- name: c-prod
  cluster:
    server: https://prod.example
    insecure-skip-tls-verify: true
contexts:
- name: shared
  context:
    cluster: c-prod
    user: u-cert
- name: prod
  context:
    cluster: c-prod
    user: u-cert
- name: tokenfile
  context:
    cluster: c-prod
    user: u-file
- name: exec
  context:
    cluster: c-prod
    user: u-exec
users:
- name: u-cert
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmNlcnQKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
    client-key: keys/client.key
- name: u-file
  user:
    tokenFile: tokens/t
- name: u-exec
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/get-token
      args: ["--cluster", "prod"]
      env:
      - name: PROFILE
        value: ops
      installHint: install get-token from the ops repo
)";

} // namespace

class TestKubeConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        writeFile(m_dir.filePath(QStringLiteral("a/certs/ca.pem")), "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n");
        writeFile(m_dir.filePath(QStringLiteral("b/keys/client.key")), "-----BEGIN EC PRIVATE KEY-----\nk\n-----END EC PRIVATE KEY-----\n");
        writeFile(m_dir.filePath(QStringLiteral("b/tokens/t")), "file-token\n");
        m_first = writeFile(m_dir.filePath(QStringLiteral("a/config")), kFirst);
        m_second = writeFile(m_dir.filePath(QStringLiteral("b/config")), kSecond);
    }

    // kubectl's rules: the first file to name a context, cluster or user
    // wins, and current-context comes from the first file that sets one.
    void testMergeRules()
    {
        auto cfg = KubeConfig::load({m_first, m_second});
        QVERIFY2(cfg.ok(), qPrintable(cfg.error().toString()));
        QCOMPARE(cfg->currentContext(), QStringLiteral("dev"));
        QCOMPARE(cfg->contextNames(), (QStringList{"dev", "exec", "prod", "shared", "tokenfile"}));
        auto shared = cfg->access(QStringLiteral("shared"));
        QVERIFY(shared.ok());
        QCOMPARE(shared->server, QStringLiteral("https://first.example")); // first file's context and cluster
        QCOMPARE(shared->token, QByteArray("0123"));                       // a YAML number read as text
        auto reversed = KubeConfig::load({m_second, m_first});
        QVERIFY(reversed.ok());
        QCOMPARE(reversed->currentContext(), QStringLiteral("prod"));
        QCOMPARE(reversed->access(QStringLiteral("shared"))->server, QStringLiteral("https://prod.example"));
    }

    void testContextDetails_data()
    {
        QTest::addColumn<QString>("context");
        QTest::addColumn<QString>("server");
        QTest::addColumn<QString>("ns");
        QTest::addColumn<QString>("auth");
        QTest::newRow("current: token, CA file relative to its kubeconfig")
            << "" << "https://dev.example:6443" << "team-a" << "bearer token";
        QTest::newRow("client certificate data and key file") << "prod" << "https://prod.example" << "default"
                                                                << "client certificate";
        QTest::newRow("token file") << "tokenfile" << "https://prod.example" << "default" << "token file";
        QTest::newRow("exec plugin") << "exec" << "https://prod.example" << "default" << "exec plugin";
    }

    void testContextDetails()
    {
        QFETCH(QString, context);
        QFETCH(QString, server);
        QFETCH(QString, ns);
        QFETCH(QString, auth);
        auto cfg = KubeConfig::load({m_first, m_second});
        QVERIFY(cfg.ok());
        auto a = cfg->access(context);
        QVERIFY2(a.ok(), qPrintable(a.error().toString()));
        QCOMPARE(a->server, server);
        QCOMPARE(a->defaultNamespace, ns);
        QVERIFY2(a->describe().contains(auth), qPrintable(a->describe()));
        QVERIFY(!a->describe().contains(QLatin1String("0123"))); // never the token itself
        if (context.isEmpty()) {
            QVERIFY(a->caPem.contains("BEGIN CERTIFICATE"));
            QCOMPARE(a->caOrigin, m_dir.filePath(QStringLiteral("a/certs/ca.pem")));
            QVERIFY(!a->insecureSkipTlsVerify);
        } else {
            QVERIFY(a->insecureSkipTlsVerify);
        }
        if (context == QLatin1String("prod")) {
            QVERIFY(a->clientCertPem.startsWith("-----BEGIN CERTIFICATE-----"));
            QVERIFY(a->clientKeyPem.contains("EC PRIVATE KEY"));
        }
        if (context == QLatin1String("tokenfile"))
            QCOMPARE(a->tokenFile, m_dir.filePath(QStringLiteral("b/tokens/t")));
        if (context == QLatin1String("exec")) {
            QVERIFY(a->exec.has_value());
            QCOMPARE(a->exec->command, m_dir.filePath(QStringLiteral("b/bin/get-token")));
            QCOMPARE(a->exec->args, (QStringList{"--cluster", "prod"}));
            QCOMPARE(a->exec->env.size(), 1);
            QCOMPARE(a->exec->env.first().first, QStringLiteral("PROFILE"));
            QCOMPARE(a->exec->installHint, QStringLiteral("install get-token from the ops repo"));
        }
    }

    void testErrorsNameTheProblem_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("context");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown context lists the known ones") << kFirst << "nope" << "known contexts: dev, shared";
        QTest::newRow("missing cluster")
            << QByteArray("contexts:\n- name: x\n  context: {cluster: gone, user: u}\ncurrent-context: x\n") << ""
            << "names cluster \"gone\"";
        QTest::newRow("no current context") << QByteArray("contexts: []\n") << "" << "sets no current-context";
        QTest::newRow("exec apiVersion")
            << QByteArray("clusters:\n- name: c\n  cluster: {server: https://x}\ncontexts:\n- name: x\n  context: "
                          "{cluster: c, user: u}\nusers:\n- name: u\n  user:\n    exec: {apiVersion: "
                          "client.authentication.k8s.io/v1alpha1, command: x}\ncurrent-context: x\n")
            << "" << "supported: client.authentication.k8s.io/v1 and v1beta1";
        QTest::newRow("certificate without key")
            << QByteArray("clusters:\n- name: c\n  cluster: {server: https://x}\ncontexts:\n- name: x\n  context: "
                          "{cluster: c, user: u}\nusers:\n- name: u\n  user: {client-certificate-data: "
                          "Y2VydA==}\ncurrent-context: x\n")
            << "" << "client certificate without its key";
        QTest::newRow("unreadable CA file")
            << QByteArray("clusters:\n- name: c\n  cluster: {server: https://x, certificate-authority: /nonexistent/ca}\n"
                          "contexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n")
            << "" << "cannot read the certificate authority";
        QTest::newRow("token a list")
            << QByteArray("clusters:\n- name: c\n  cluster: {server: https://x}\ncontexts:\n- name: x\n  context: "
                          "{cluster: c, user: u}\nusers:\n- name: u\n  user: {token: [x]}\ncurrent-context: x\n")
            << "" << "user \"u\": \"token\" must be a single value, found a list";
        // A path in a shared kubeconfig may name a huge file or a device:
        // it is refused, not read whole (a sparse file: no disk used).
        const QString huge = m_dir.filePath(QStringLiteral("huge/file"));
        writeFile(huge, QByteArray());
        QVERIFY(QFile::resize(huge, 17 * 1024 * 1024));
        QTest::newRow("CA file too large")
            << QByteArray("clusters:\n- name: c\n  cluster: {server: https://x, certificate-authority: " + huge.toUtf8()
                          + "}\ncontexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n")
            << "" << "larger than 16 MiB";
        QTest::newRow("client key file too large")
            << QByteArray("clusters:\n- name: c\n  cluster: {server: https://x}\ncontexts:\n- name: x\n  context: "
                          "{cluster: c, user: u}\nusers:\n- name: u\n  user: {client-certificate-data: Y2VydA==, client-key: "
                          + huge.toUtf8() + "}\ncurrent-context: x\n")
            << "" << "larger than 16 MiB";
        QTest::newRow("server a map")
            << QByteArray("clusters:\n- name: c\n  cluster: {server: {a: 1}}\ncontexts:\n- name: x\n  context: "
                          "{cluster: c}\ncurrent-context: x\n")
            << "" << "cluster \"c\": \"server\" must be a single value, found a map";
    }

    void testErrorsNameTheProblem()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, context);
        QFETCH(QString, expected);
        const QString path = writeFile(m_dir.filePath(QStringLiteral("bad/config")), yaml);
        auto cfg = KubeConfig::load({path});
        QVERIFY2(cfg.ok(), qPrintable(cfg.error().toString()));
        auto a = cfg->access(context);
        QVERIFY(!a.ok());
        QVERIFY2(a.error().toString().contains(expected), qPrintable(a.error().toString()));
    }

    void testUnparsableFileIsNamed()
    {
        const QString path = writeFile(m_dir.filePath(QStringLiteral("broken")), "clusters: [\n");
        auto cfg = KubeConfig::load({path});
        QVERIFY(!cfg.ok());
        QVERIFY2(cfg.error().toString().contains(path), qPrintable(cfg.error().toString()));
    }

    // Aliases copied into the parsed kubeconfig: six lines standing for a
    // million values are refused, naming the file.
    void testAliasExpansionRefused()
    {
        QByteArray yaml = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (int i = 1; i <= 5; ++i) {
            yaml += "l" + QByteArray::number(i) + ": &l" + QByteArray::number(i) + " [";
            for (int j = 0; j < 10; ++j)
                yaml += (j ? ", *l" : "*l") + QByteArray::number(i - 1);
            yaml += "]\n";
        }
        const QString path = writeFile(m_dir.filePath(QStringLiteral("laughs")), yaml);
        auto cfg = KubeConfig::load({path});
        QVERIFY(!cfg.ok());
        QVERIFY2(cfg.error().toString().contains(path), qPrintable(cfg.error().toString()));
        QVERIFY2(cfg.error().message.contains(QLatin1String("too many values")), qPrintable(cfg.error().message));
    }

    void testKubeconfigVariable()
    {
        EnvGuard env({"KUBECONFIG"});
        qputenv("KUBECONFIG", QString(m_second + QStringLiteral(":/nonexistent/config:") + m_first).toUtf8());
        QCOMPARE(KubeConfig::defaultFiles(), (QStringList{m_second, m_first})); // missing files skipped
    }

    // Seed 000's variables, explicit endpoints and in-cluster accounts.
    void testResolveOrder()
    {
        EnvGuard env({"KUBECONFIG", "KUBERNETES_CLUSTER_ENDPOINT", "KUBERNETES_CLUSTER_USER_TOKEN",
                      "KUBERNETES_CLUSTER_NAMESPACE", "KUBERNETES_CLUSTER_CERTIFICATE", "KUBERNETES_SERVICE_HOST",
                      "KUBERNETES_SERVICE_PORT"});
        qputenv("KUBECONFIG", m_first.toUtf8());
        auto fromKubeconfig = resolveAccess({});
        QVERIFY(fromKubeconfig.ok());
        QCOMPARE(fromKubeconfig->server, QStringLiteral("https://dev.example:6443"));

        qputenv("KUBERNETES_CLUSTER_ENDPOINT", "10.0.0.1:6443");
        qputenv("KUBERNETES_CLUSTER_USER_TOKEN", "seed-token");
        qputenv("KUBERNETES_CLUSTER_NAMESPACE", "gate");
        qputenv("KUBERNETES_CLUSTER_CERTIFICATE",
                QByteArray("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n").toBase64());
        auto seed = resolveAccess({});
        QVERIFY2(seed.ok(), qPrintable(seed.error().toString()));
        QCOMPARE(seed->server, QStringLiteral("https://10.0.0.1:6443"));
        QCOMPARE(seed->token, QByteArray("seed-token"));
        QCOMPARE(seed->defaultNamespace, QStringLiteral("gate"));
        QVERIFY(seed->caPem.startsWith("-----BEGIN CERTIFICATE-----"));

        // A named context is the user's explicit choice: kubeconfig, not the seed's variables.
        AccessRequest named;
        named.context = QStringLiteral("shared");
        QCOMPARE(resolveAccess(named)->server, QStringLiteral("https://first.example"));
        AccessRequest explicitEndpoint;
        explicitEndpoint.endpoint = QStringLiteral("https://127.0.0.1:1");
        explicitEndpoint.token = "t";
        QCOMPARE(resolveAccess(explicitEndpoint)->server, QStringLiteral("https://127.0.0.1:1"));

        qunsetenv("KUBERNETES_CLUSTER_ENDPOINT");
        qputenv("KUBECONFIG", "/nonexistent/config");
        auto none = resolveAccess({});
        QVERIFY(!none.ok());
        QVERIFY2(none.error().message.contains(QLatin1String("no Kubernetes credentials found")),
                 qPrintable(none.error().toString()));
    }

    void testInCluster()
    {
        EnvGuard env({"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"});
        const QString root = m_dir.filePath(QStringLiteral("sa"));
        writeFile(root + QStringLiteral("/token"), "pod-token");
        writeFile(root + QStringLiteral("/namespace"), "kube-apps\n");
        writeFile(root + QStringLiteral("/ca.crt"), "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
        QVERIFY(!inClusterAccess(root).ok()); // not in a pod without the service variables
        qputenv("KUBERNETES_SERVICE_HOST", "10.96.0.1");
        qputenv("KUBERNETES_SERVICE_PORT", "443");
        auto a = inClusterAccess(root);
        QVERIFY2(a.ok(), qPrintable(a.error().toString()));
        QCOMPARE(a->server, QStringLiteral("https://10.96.0.1:443"));
        QCOMPARE(a->defaultNamespace, QStringLiteral("kube-apps"));
        QCOMPARE(a->tokenFile, root + QStringLiteral("/token"));
        QCOMPARE(a->caOrigin, root + QStringLiteral("/ca.crt"));
    }

    void testUrlOpensKubernetesProvider_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("sensitive");
        QTest::addColumn<QString>("described");
        QTest::newRow("configmaps") << "k8s://dev/team-a/configmaps" << false << "k8s://dev/team-a/configmaps";
        QTest::newRow("current context") << "k8s:///team-a/configmaps" << false << "k8s:///team-a/configmaps";
        QTest::newRow("the gate's secret") << "k8s://prod/gate/secrets/k8-container-gate-keys" << true
                                           << "k8s://prod/gate/secrets/k8-container-gate-keys";
    }

    void testUrlOpensKubernetesProvider()
    {
        QFETCH(QString, url);
        QFETCH(bool, sensitive);
        QFETCH(QString, described);
        auto spec = parseStoreUrl(url);
        QVERIFY2(spec.ok(), qPrintable(spec.error().toString()));
        auto provider = openProvider(spec.value());
        QVERIFY2(provider.ok(), qPrintable(provider.error().toString()));
        QCOMPARE(provider.value()->scheme(), QStringLiteral("kubernetes"));
        QCOMPARE(provider.value()->capabilities().sensitive, sensitive);
        QCOMPARE(provider.value()->capabilities().watch, WatchKind::Native);
        QCOMPARE(provider.value()->describe(), described);
    }

private:
    QTemporaryDir m_dir;
    QString m_first, m_second;
};

QTEST_GUILESS_MAIN(TestKubeConfig)
#include "tst_kube_config.moc"
