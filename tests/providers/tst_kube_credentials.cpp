// Every way of reaching a cluster, over real TLS against the API emulator:
// seed 000's endpoint (environment, worker.yml, connections.yaml) with its
// CA in every form, kubeconfig client certificates (files and -data),
// certificate-authority-data, insecure-skip-tls-verify, and exec plugins of
// client.authentication.k8s.io/v1beta1 answering with a token or a client
// certificate.
#include "TestSupport.h"
#include "config/ConnectionsFile.h"
#include "config/StoreOptions.h"
#include "config/WorkerConfig.h"
#include "providers/Backends.h"
#include "providers/KubeTestHelpers.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::test;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QString writeText(const QString &path, const QByteArray &text)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    f.write(text);
    return path;
}

bool writeExecutable(const QString &path, const QByteArray &text)
{
    if (writeText(path, text).isEmpty())
        return false;
    return QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
}

Entry jsonEntry(const QString &key, const Json &value)
{
    Entry e;
    e.key = key;
    e.value = value;
    return e;
}

// A write and a read through the store; an error is returned as it came.
Result<Entry> roundTrip(const StoreSpec &spec, const QString &key)
{
    auto provider = openProvider(spec);
    if (!provider.ok())
        return provider.error();
    const Json value{{"via", toStd(key)}};
    auto put = await(provider.value()->put(jsonEntry(key, value), {}));
    if (!put.ok())
        return put.error();
    auto got = await(provider.value()->get(key));
    if (got.ok() && got->value != value)
        return Error(ErrorKind::Internal, QStringLiteral("read back something else"), key);
    return got;
}

StoreSpec kubeconfigSpec(const QString &kubeconfig)
{
    StoreSpec spec;
    spec.backend = QStringLiteral("kubernetes");
    spec.origin = kubeconfig;
    spec.options.insert(QStringLiteral("kubeconfig"), kubeconfig);
    spec.options.insert(QStringLiteral("namespace"), QStringLiteral("default"));
    spec.options.insert(QStringLiteral("resource"), QStringLiteral("configmaps"));
    return spec;
}

// The lines of a kubeconfig user for a client certificate, as files or -data.
QByteArray certificateUser(const KubeTestServer::ClientCertificate &cert, bool inlineData)
{
    if (inlineData)
        return "    client-certificate-data: " + readAll(cert.certFile).toBase64() + "\n    client-key-data: "
               + readAll(cert.keyFile).toBase64() + "\n";
    return "    client-certificate: " + cert.certFile.toUtf8() + "\n    client-key: " + cert.keyFile.toUtf8() + "\n";
}

} // namespace

class TestKubeCredentials : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(m_kube.start(), qPrintable(m_kube.log()));
        // A second cluster: its CAs are the "wrong" ones.
        QVERIFY2(m_other.start(), qPrintable(m_other.log()));
    }

    // Seed 000's KUBERNETES_CLUSTER_ENDPOINT (a URL, or host:port meaning
    // https), _USER_TOKEN and _CERTIFICATE (PEM, base64 of PEM, or a file)
    // reach the cluster over verified TLS however they are given: as the
    // process environment, through a worker.yml's config.env or state
    // options, or as connections.yaml options.
    void testSeedEndpoint_data()
    {
        QTest::addColumn<QString>("source");
        QTest::addColumn<bool>("bareHostPort");
        QTest::addColumn<QString>("ca");
        QTest::addColumn<bool>("accepted");
        // source: environment | worker.yml (config.env) | state options | connection
        // ca: pem | base64 | file | relative file | insecure | none | wrong
        QTest::newRow("environment, host:port, PEM") << "environment" << true << "pem" << true;
        QTest::newRow("environment, URL, base64") << "environment" << false << "base64" << true;
        QTest::newRow("environment, host:port, file") << "environment" << true << "file" << true;
        QTest::newRow("environment, no CA: refused") << "environment" << true << "none" << false;
        QTest::newRow("environment, wrong CA: refused") << "environment" << true << "wrong" << false;
        QTest::newRow("worker.yml config.env, host:port, base64") << "worker.yml" << true << "base64" << true;
        QTest::newRow("worker.yml config.env, URL, PEM") << "worker.yml" << false << "pem" << true;
        QTest::newRow("worker.yml config.env, no CA: refused") << "worker.yml" << true << "none" << false;
        QTest::newRow("state options, host:port, relative file") << "state options" << true << "relative file" << true;
        QTest::newRow("state options, insecureSkipTlsVerify") << "state options" << true << "insecure" << true;
        QTest::newRow("connection, host:port, file") << "connection" << true << "file" << true;
        QTest::newRow("connection, URL, base64") << "connection" << false << "base64" << true;
        QTest::newRow("connection, insecureSkipTlsVerify") << "connection" << true << "insecure" << true;
        QTest::newRow("connection, no CA: refused") << "connection" << true << "none" << false;
        QTest::newRow("connection, wrong CA: refused") << "connection" << false << "wrong" << false;
    }

    void testSeedEndpoint()
    {
        QFETCH(QString, source);
        QFETCH(bool, bareHostPort);
        QFETCH(QString, ca);
        QFETCH(bool, accepted);
        EnvGuard guard({"KUBECONFIG", "KUBERNETES_CLUSTER_ENDPOINT", "KUBERNETES_CLUSTER_USER_TOKEN",
                        "KUBERNETES_CLUSTER_NAMESPACE", "KUBERNETES_CLUSTER_CERTIFICATE", "KUBERNETES_CLUSTER_CONTEXT",
                        "STATE_PROVIDER"});
        qputenv("KUBECONFIG", "/nonexistent/kubeconfig"); // nothing of the user's may decide

        const QString endpoint = bareHostPort ? QStringLiteral("127.0.0.1:%1").arg(portOf(m_kube.baseUrl())) : m_kube.baseUrl();
        const QByteArray pem = readAll(m_kube.caFile());
        QByteArray caSetting;
        if (ca == QLatin1String("pem"))
            caSetting = pem;
        else if (ca == QLatin1String("base64"))
            caSetting = pem.toBase64();
        else if (ca == QLatin1String("file"))
            caSetting = m_kube.caFile().toUtf8();
        else if (ca == QLatin1String("relative file"))
            caSetting = "ca.crt"; // beside the worker.yml, in the server's directory
        else if (ca == QLatin1String("wrong"))
            caSetting = readAll(m_other.caFile()).toBase64();

        QProcessEnvironment env;
        env.insert(QStringLiteral("KUBERNETES_CLUSTER_ENDPOINT"), endpoint);
        env.insert(QStringLiteral("KUBERNETES_CLUSTER_USER_TOKEN"), m_kube.adminToken());
        env.insert(QStringLiteral("KUBERNETES_CLUSTER_NAMESPACE"), QStringLiteral("default"));
        if (!caSetting.isEmpty())
            env.insert(QStringLiteral("KUBERNETES_CLUSTER_CERTIFICATE"), QString::fromUtf8(caSetting));

        StoreSpec spec;
        if (source == QLatin1String("environment")) {
            for (const QString &name : env.keys())
                qputenv(name.toLatin1(), env.value(name).toUtf8());
            spec.backend = QStringLiteral("kubernetes");
            spec.options.insert(QStringLiteral("secretName"), QStringLiteral("k8-container-gate-keys"));
            spec.options.insert(QStringLiteral("resource"), QStringLiteral("secrets"));
        } else if (source == QLatin1String("worker.yml")) {
            // The gate's real worker.yml, as it is.
            auto wc = loadWorkerConfig(fixturePath(QStringLiteral("k8-container-gate/worker.yml.real")), EnvExpander(env));
            QVERIFY2(wc.ok(), qPrintable(wc.error().toString()));
            QCOMPARE(wc->store.options.value(QStringLiteral("endpoint")).toString(), endpoint);
            spec = wc->store;
        } else if (source == QLatin1String("state options")) {
            QByteArray yaml = "state:\n  provider: kubernetes\n  options:\n    kubernetes:\n"
                              "      secretName: k8-container-gate-keys\n      namespace: default\n"
                              "      endpoint: " + endpoint.toUtf8() + "\n      token: ${KUBERNETES_CLUSTER_USER_TOKEN}\n";
            if (ca == QLatin1String("insecure"))
                yaml += "      insecureSkipTlsVerify: true\n";
            else
                yaml += "      certificateAuthority: " + caSetting + "\n";
            const QString path = writeText(QDir(m_kube.directory()).filePath(QStringLiteral("worker.yml")), yaml);
            auto wc = loadWorkerConfig(path, EnvExpander(env));
            QVERIFY2(wc.ok(), qPrintable(wc.error().toString()));
            spec = wc->store;
        } else {
            QByteArray yaml = "connections:\n  gate:\n    backend: kubernetes\n    options:\n"
                              "      secretName: k8-container-gate-keys\n      namespace: default\n"
                              "      endpoint: " + endpoint.toUtf8() + "\n      token: " + m_kube.adminToken().toUtf8() + "\n";
            if (ca == QLatin1String("insecure"))
                yaml += "      insecureSkipTlsVerify: true\n";
            else if (!caSetting.isEmpty())
                yaml += "      certificateAuthority: \"" + caSetting.replace("\n", "\\n") + "\"\n";
            auto file = ConnectionsFile::parse(yaml, m_dir.filePath(QStringLiteral("connections.yaml")));
            QVERIFY2(file.ok(), qPrintable(file.error().toString()));
            auto s = file->spec(QStringLiteral("gate"), EnvExpander(env));
            QVERIFY2(s.ok(), qPrintable(s.error().toString()));
            spec = s.value();
        }
        // Nothing about the CA may show up where a store is described.
        QVERIFY(!describeStore(spec).contains(QLatin1String("BEGIN")));
        QVERIFY(!describeStore(spec).contains(m_kube.adminToken()));

        const QString key = QStringLiteral("k%1").arg(QTest::currentDataTag()).replace(QRegularExpression(QStringLiteral("[^a-z0-9]")), QString());
        const Result<Entry> r = roundTrip(spec, key);
        if (accepted) {
            QVERIFY2(r.ok(), qPrintable(r.error().toString()));
            // It really is the gate's Secret on that cluster.
            auto secret = await(adminClient(m_kube)->get(kube::Resource::secrets(), QStringLiteral("default"),
                                                        QStringLiteral("k8-container-gate-keys")));
            QVERIFY(secret.ok());
            QVERIFY(secret.value()["data"].contains(toStd(key + QStringLiteral(".json"))));
        } else {
            QVERIFY(!r.ok());
            QCOMPARE(r.error().kind, ErrorKind::Unavailable);
            QVERIFY2(r.error().message.contains(QLatin1String("TLS certificate of https://127.0.0.1:")),
                     qPrintable(r.error().toString()));
            QVERIFY(!r.error().toString().contains(m_kube.adminToken()));
        }
    }

    // What cannot work is said before anything is sent, naming the setting.
    void testSeedEndpointMistakes_data()
    {
        QTest::addColumn<QByteArray>("options");
        QTest::addColumn<QString>("messageHas");
        QTest::newRow("CA and insecure") << QByteArray("endpoint: 127.0.0.1:6443\n      certificateAuthority: /x/ca.pem\n"
                                                       "      insecureSkipTlsVerify: true\n")
                                         << "exclude each other";
        QTest::newRow("CA without endpoint") << QByteArray("context: admin\n      certificateAuthority: /x/ca.pem\n")
                                             << "applies only with option \"endpoint\"";
        QTest::newRow("unreadable CA file") << QByteArray("endpoint: 127.0.0.1:6443\n      certificateAuthority: /nonexistent/ca.pem\n")
                                            << "not a readable PEM file";
        QTest::newRow("not an address") << QByteArray("endpoint: \"https://\"\n") << "is not valid; expected https://HOST";
        QTest::newRow("other scheme") << QByteArray("endpoint: ftp://127.0.0.1:6443\n") << "is not valid";
    }

    void testSeedEndpointMistakes()
    {
        QFETCH(QByteArray, options);
        QFETCH(QString, messageHas);
        const QByteArray yaml = "connections:\n  gate:\n    backend: kubernetes\n    options:\n      namespace: default\n      "
                                + options;
        auto file = ConnectionsFile::parse(yaml, m_dir.filePath(QStringLiteral("connections.yaml")));
        QVERIFY2(file.ok(), qPrintable(file.error().toString()));
        auto spec = file->spec(QStringLiteral("gate"));
        Error error;
        if (!spec.ok()) {
            error = spec.error();
        } else {
            auto provider = openProvider(spec.value());
            QVERIFY(provider.ok());
            auto got = await(provider.value()->get(QStringLiteral("x")));
            QVERIFY(!got.ok());
            error = got.error();
        }
        QCOMPARE(error.kind, ErrorKind::Invalid);
        QVERIFY2(error.message.contains(messageHas), qPrintable(error.toString()));
        QVERIFY(!error.where.isEmpty());
    }

    // A kubeconfig user with a client certificate signed by the cluster's
    // client CA is its CN, in the groups of its O; the emulator grants as
    // kube-apiserver would. Certificates from another CA are nobody: 401.
    void testClientCertificate_data()
    {
        QTest::addColumn<bool>("inlineData");
        QTest::addColumn<QString>("group");
        QTest::addColumn<bool>("trusted");
        QTest::newRow("files, system:masters") << false << "system:masters" << true;
        QTest::newRow("-data, system:masters") << true << "system:masters" << true;
        QTest::newRow("files, statedeck:readonly") << false << "statedeck:readonly" << true;
        QTest::newRow("-data, signed by another CA") << true << "system:masters" << false;
    }

    void testClientCertificate()
    {
        QFETCH(bool, inlineData);
        QFETCH(QString, group);
        QFETCH(bool, trusted);
        const QString name = QStringLiteral("cert-%1").arg(QTest::currentDataTag()).replace(QRegularExpression(QStringLiteral("[^a-z0-9-]")), QString());
        const QString user = QStringLiteral("user-") + name;
        auto cert = (trusted ? m_kube : m_other).issueClientCertificate(name, user, {group});
        QVERIFY(cert);
        const QString config = writeKubeconfig(m_kube, name + QStringLiteral(".kubeconfig"), m_kube.baseUrl(),
                                               certificateUser(*cert, inlineData));
        auto provider = openProvider(kubeconfigSpec(config));
        QVERIFY(provider.ok());
        auto put = await(provider.value()->put(jsonEntry(name, Json{{"v", "1"}}), {}));
        if (!trusted) {
            QCOMPARE(put.error().kind, ErrorKind::Unauthorized);
            return;
        }
        if (group == QLatin1String("statedeck:readonly")) {
            // Known, but only allowed to read: the refusal names the user from the CN.
            QCOMPARE(put.error().kind, ErrorKind::Forbidden);
            QVERIFY2(put.error().message.contains(QStringLiteral("User \"%1\"").arg(user)), qPrintable(put.error().toString()));
            auto listed = await(provider.value()->list({}));
            QVERIFY2(listed.ok(), qPrintable(listed.error().toString()));
            return;
        }
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        // The server recorded the write under the certificate's user.
        auto written = await(adminClient(m_kube)->get(kube::Resource::configMaps(), QStringLiteral("default"), name));
        QVERIFY(written.ok());
        QVERIFY(written.value()["metadata"]["managedFields"].is_array());
    }

    // The cluster's CA inline (certificate-authority-data) is trusted alone;
    // insecure-skip-tls-verify talks to any certificate; neither lets a
    // client trust a server the configuration does not vouch for.
    void testClusterTls_data()
    {
        QTest::addColumn<QByteArray>("clusterYaml"); // lines under cluster: besides server
        QTest::addColumn<bool>("accepted");
        QTest::newRow("certificate-authority-data") << QByteArray("certificate-authority-data: @CA@") << true;
        QTest::newRow("certificate-authority-data of another cluster") << QByteArray("certificate-authority-data: @OTHER@") << false;
        QTest::newRow("insecure-skip-tls-verify") << QByteArray("insecure-skip-tls-verify: true") << true;
        QTest::newRow("no CA: the system's, which never signed it") << QByteArray() << false;
    }

    void testClusterTls()
    {
        QFETCH(QByteArray, clusterYaml);
        QFETCH(bool, accepted);
        clusterYaml.replace("@CA@", readAll(m_kube.caFile()).toBase64());
        clusterYaml.replace("@OTHER@", readAll(m_other.caFile()).toBase64());
        const QString path = writeText(
            m_dir.filePath(QStringLiteral("tls-%1").arg(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('-'))),
            "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: c\n  cluster:\n    server: "
                + m_kube.baseUrl().toUtf8() + "\n" + (clusterYaml.isEmpty() ? QByteArray() : "    " + clusterYaml + "\n")
                + "contexts:\n- name: t\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user:\n    token: "
                + m_kube.adminToken().toUtf8() + "\n");
        const Result<Entry> r = roundTrip(kubeconfigSpec(path), QStringLiteral("tls-check"));
        QCOMPARE(r.ok(), accepted);
        if (!accepted) {
            QCOMPARE(r.error().kind, ErrorKind::Unavailable);
            QVERIFY2(r.error().message.contains(QLatin1String("was refused")), qPrintable(r.error().toString()));
        }
    }

    // An exec plugin speaking client.authentication.k8s.io/v1beta1 is run
    // with that apiVersion in KUBERNETES_EXEC_INFO, and what it prints is
    // used: a bearer token, or a client certificate and key.
    void testExecPluginV1beta1_data()
    {
        QTest::addColumn<QString>("answer");
        QTest::newRow("token") << "token";
        QTest::newRow("clientCertificateData") << "certificate";
    }

    void testExecPluginV1beta1()
    {
        QFETCH(QString, answer);
        const QString tag = QString::fromLatin1(QTest::currentDataTag()).toLower();
        QByteArray status;
        if (answer == QLatin1String("token")) {
            status = Json{{"token", toStd(m_kube.adminToken())}}.dump().c_str();
        } else {
            auto cert = m_kube.issueClientCertificate(QStringLiteral("exec-") + tag, QStringLiteral("exec-user"),
                                                      {QStringLiteral("system:masters")});
            QVERIFY(cert);
            status = Json{{"clientCertificateData", readAll(cert->certFile).toStdString()},
                          {"clientKeyData", readAll(cert->keyFile).toStdString()}}
                         .dump()
                         .c_str();
        }
        const QString answerFile = writeText(m_dir.filePath(QStringLiteral("exec-%1.json").arg(tag)),
                                             R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":)"
                                                 + status + "}\n");
        const QString plugin = m_dir.filePath(QStringLiteral("exec-%1.sh").arg(tag));
        // Refuses to answer unless asked in v1beta1, as a real plugin would.
        QVERIFY(writeExecutable(plugin, "#!/bin/sh\ncase \"$KUBERNETES_EXEC_INFO\" in\n"
                                        "  *client.authentication.k8s.io/v1beta1*) cat '" + answerFile.toUtf8() + "' ;;\n"
                                        "  *) echo \"expected v1beta1, got $KUBERNETES_EXEC_INFO\" >&2; exit 3 ;;\nesac\n"));
        const QString config = writeKubeconfig(m_kube, QStringLiteral("exec-%1.kubeconfig").arg(tag), m_kube.baseUrl(),
                                               "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
                                               "      command: " + plugin.toUtf8() + "\n");
        const Result<Entry> r = roundTrip(kubeconfigSpec(config), QStringLiteral("exec-") + tag);
        QVERIFY2(r.ok(), qPrintable(r.error().toString()));
    }

private:
    QTemporaryDir m_dir;
    KubeTestServer m_kube, m_other;
};

QTEST_GUILESS_MAIN(TestKubeCredentials)
#include "tst_kube_credentials.moc"
