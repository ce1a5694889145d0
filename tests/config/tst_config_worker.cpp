#include "ConfigTestHelpers.h"
#include "support/TestSupport.h"
#include "config/StoreOptions.h"
#include "config/WorkerConfig.h"

#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using sd::test::envOf;

namespace {

const QString kSeed000 = QStringLiteral("000_b82aa9980bde0616.txt");

QString dump(const QVariantMap &m)
{
    QStringList parts;
    for (auto it = m.constBegin(); it != m.constEnd(); ++it)
        parts << it.key() + QLatin1Char('=') + it.value().toString();
    return parts.join(QLatin1Char(' '));
}

QString real(const QString &name)
{
    return sd::test::fixturePath(QStringLiteral("k8-container-gate/") + name);
}

} // namespace

class TestConfigWorker : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // The gate's own worker.yml files, exactly as the project ships them.
    void testRealFixtures_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("options");
        for (const char *file : {"worker.yml.real", "cd-worker.yml.real"}) {
            const QString f = QString::fromLatin1(file);
            QTest::addRow("%s, STATE_PROVIDER unset", file)
                << f << QStringList{"KUBERNETES_CLUSTER_NAMESPACE=gate-system"} << "kubernetes"
                << "namespace=gate-system resource=secrets secretName=k8-container-gate-keys";
            QTest::addRow("%s, STATE_PROVIDER empty", file)
                << f << QStringList{"STATE_PROVIDER=", "KUBERNETES_CLUSTER_NAMESPACE=ns1"} << "kubernetes"
                << "namespace=ns1 resource=secrets secretName=k8-container-gate-keys";
            QTest::addRow("%s, kubeconfig context from env", file)
                << f << QStringList{"KUBERNETES_CLUSTER_NAMESPACE=ns1", "KUBERNETES_CLUSTER_CONTEXT=aks-prod"}
                << "kubernetes" << "context=aks-prod namespace=ns1 resource=secrets secretName=k8-container-gate-keys";
            QTest::addRow("%s, STATE_PROVIDER=local", file)
                << f << QStringList{"STATE_PROVIDER=local"} << "local"
                << "keysPath=/etc/ssh/authorized_keys.d statePath=/var/lib/k8gate/state.json";
            QTest::addRow("%s, STATE_PROVIDER=local with gate paths", file)
                << f
                << QStringList{"STATE_PROVIDER=local", "CONTROLLER_KEYS_PATH=/var/lib/rabbit-ssh/state.json",
                               "DIRECTORY_KEYS_BASE=/srv/keys"}
                << "local" << "keysPath=/srv/keys statePath=/var/lib/rabbit-ssh/state.json";
            QTest::addRow("%s, STATE_PROVIDER=firebase", file)
                << f << QStringList{"STATE_PROVIDER=firebase", "FIREBASE_PROJECT_ID=rabbit"} << "firebase"
                << "databaseUrl=https://rabbit.firebaseio.com projectId=rabbit";
        }
    }
    void testRealFixtures()
    {
        QFETCH(QString, file);
        QFETCH(QStringList, env);
        QFETCH(QString, backend);
        QFETCH(QString, options);
        const Result<WorkerConfig> r = loadWorkerConfig(real(file), EnvExpander(envOf(env)));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r->kind, QStringLiteral("workerConfig"));
        QCOMPARE(r->version, QStringLiteral("udx.io/worker-v1/config"));
        QVERIFY(!r->hasStateBlock);
        QCOMPARE(r->provider, backend);
        QCOMPARE(r->store.backend, backend);
        QCOMPARE(dump(r->store.options), options);
        QCOMPARE(r->store.origin, real(file));
    }

    // The real worker.yml passes the cluster token through config.env: it
    // reaches the spec (the gate uses it) but never a description.
    void testTokenIsKeptButNotShown()
    {
        const EnvExpander env(envOf({"KUBERNETES_CLUSTER_NAMESPACE=ns1",
                                     "KUBERNETES_CLUSTER_ENDPOINT=https://10.0.0.1:6443",
                                     "KUBERNETES_CLUSTER_USER_TOKEN=hunter2-token"}));
        const Result<WorkerConfig> r = loadWorkerConfig(real(QStringLiteral("worker.yml.real")), env);
        QVERIFY(r.ok());
        QCOMPARE(r->store.options.value(QStringLiteral("endpoint")).toString(), QStringLiteral("https://10.0.0.1:6443"));
        QCOMPARE(r->store.options.value(QStringLiteral("token")).toString(), QStringLiteral("hunter2-token"));
        const QString line = describeStore(r->store);
        QVERIFY2(!line.contains(QLatin1String("hunter2")), qPrintable(line));
        QVERIFY(line.contains(QLatin1String("token=***")));
        QVERIFY(!r->warnings.join(QLatin1Char('\n')).contains(QLatin1String("hunter2")));
    }

    // Only values that build the spec are expanded: the fixture's many other
    // ${...} (NODE_ENV, ACCESS_TOKEN...) are unset here and that is fine, but
    // the namespace is used and must resolve.
    void testUnsetNamespaceIsNamed_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("where");
        QTest::newRow("worker.yml") << "worker.yml.real" << ":20:35";
        QTest::newRow("cd-worker.yml") << "cd-worker.yml.real" << ":16:35";
    }
    void testUnsetNamespaceIsNamed()
    {
        QFETCH(QString, file);
        QFETCH(QString, where);
        const Result<WorkerConfig> r = loadWorkerConfig(real(file), EnvExpander(envOf({})));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QCOMPARE(r.error().where, real(file) + where);
        QVERIFY2(r.error().message.contains(QLatin1String("KUBERNETES_CLUSTER_NAMESPACE is not set")),
                 qPrintable(r.error().message));
    }

    void testBadStateProvider()
    {
        const Result<WorkerConfig> r =
            loadWorkerConfig(real(QStringLiteral("worker.yml.real")), EnvExpander(envOf({"STATE_PROVIDER=mongo"})));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QCOMPARE(r.error().where, QStringLiteral("environment variable STATE_PROVIDER"));
        QVERIFY(r.error().message.contains(QLatin1String("\"mongo\"")));
        QVERIFY(r.error().message.contains(QLatin1String("kubernetes, firebase, local")));
    }

    // The seed's `state:` block, cut from the seed document at test time.
    void testSeedStateBlock_data()
    {
        QTest::addColumn<QString>("provider");
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("options");
        QTest::newRow("as written: kubernetes")
            << "kubernetes" << QStringList{"KUBERNETES_CLUSTER_NAMESPACE=gate-system"} << "kubernetes"
            << "namespace=gate-system resource=secrets secretName=k8-container-gate-keys";
        QTest::newRow("local")
            << "local" << QStringList{} << "local"
            << "keysPath=/etc/ssh/authorized_keys.d statePath=/var/lib/k8gate/state.json";
        QTest::newRow("firebase")
            << "firebase"
            << QStringList{"FIREBASE_PROJECT_ID=rabbit", "FIREBASE_DATABASE_URL=https://rabbit-default-rtdb.firebaseio.com"}
            << "firebase" << "databaseUrl=https://rabbit-default-rtdb.firebaseio.com projectId=rabbit";
        QTest::newRow("from STATE_PROVIDER")
            << "${STATE_PROVIDER:-kubernetes}" << QStringList{"STATE_PROVIDER=local"} << "local"
            << "keysPath=/etc/ssh/authorized_keys.d statePath=/var/lib/k8gate/state.json";
    }
    void testSeedStateBlock()
    {
        QFETCH(QString, provider);
        QFETCH(QStringList, env);
        QFETCH(QString, backend);
        QFETCH(QString, options);
        QByteArray yaml = sd::test::seedYamlBlock(kSeed000, "state:");
        QVERIFY(!yaml.isEmpty());
        QVERIFY(yaml.contains("provider: kubernetes"));
        yaml.replace("provider: kubernetes", QByteArray("provider: " + provider.toUtf8()));
        const Result<WorkerConfig> r = parseWorkerConfig(yaml, sd::test::seedPath(kSeed000), EnvExpander(envOf(env)));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QVERIFY(r->hasStateBlock);
        QVERIFY(r->kind.isEmpty());
        QCOMPARE(r->store.backend, backend);
        QCOMPARE(dump(r->store.options), options);
        // The `state:` key is on line 10 of the seed document.
        QCOMPARE(r->store.origin, sd::test::seedPath(kSeed000) + QStringLiteral(":10:1"));
        QVERIFY2(r->warnings.isEmpty(), qPrintable(r->warnings.join(QLatin1Char('\n'))));
    }

    void testSeedStateBlockErrors_data()
    {
        QTest::addColumn<QString>("provider");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("namespace unset") << "kubernetes" << ":18:18" << "KUBERNETES_CLUSTER_NAMESPACE is not set";
        QTest::newRow("firebase project unset") << "firebase" << ":22:18" << "FIREBASE_PROJECT_ID is not set";
        QTest::newRow("unknown provider") << "consul" << ":12:13" << "\"consul\" is not supported";
    }
    void testSeedStateBlockErrors()
    {
        QFETCH(QString, provider);
        QFETCH(QString, where);
        QFETCH(QString, mentions);
        QByteArray yaml = sd::test::seedYamlBlock(kSeed000, "state:");
        yaml.replace("provider: kubernetes", QByteArray("provider: " + provider.toUtf8()));
        const Result<WorkerConfig> r = parseWorkerConfig(yaml, sd::test::seedPath(kSeed000), EnvExpander(envOf({})));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QCOMPARE(r.error().where, sd::test::seedPath(kSeed000) + where);
        QVERIFY2(r.error().message.contains(mentions), qPrintable(r.error().message));
    }

    void testDocuments_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<QString>("options");
        QTest::addColumn<int>("warnings");
        QTest::newRow("relative local paths resolve beside the file")
            << QByteArray("---\nkind: workerConfig\nstate:\n  provider: local\n  options:\n    local:\n"
                          "      statePath: data/state.json\n      keysPath: ./keys\n")
            << QStringList{} << "keysPath=/etc/k8gate/keys statePath=/etc/k8gate/data/state.json" << 0;
        QTest::newRow("STATE_PROVIDER in config.env")
            << QByteArray("kind: workerConfig\nconfig:\n  env:\n    STATE_PROVIDER: \"${STATE_PROVIDER:-local}\"\n")
            << QStringList{} << "keysPath=/etc/ssh/authorized_keys.d statePath=/var/lib/k8gate/state.json" << 0;
        QTest::newRow("config.env wins over the process")
            << QByteArray("kind: workerConfig\nconfig:\n  env:\n    KUBERNETES_CLUSTER_NAMESPACE: fixed\n")
            << QStringList{"KUBERNETES_CLUSTER_NAMESPACE=other"}
            << "namespace=fixed resource=secrets secretName=k8-container-gate-keys" << 0;
        QTest::newRow("unresolvable optional setting is a warning")
            << QByteArray("kind: workerConfig\nconfig:\n  env:\n    KUBERNETES_CLUSTER_CONTEXT: ${CTX}\n")
            << QStringList{} << "resource=secrets secretName=k8-container-gate-keys" << 1;
        QTest::newRow("custom secret name")
            << QByteArray("state:\n  provider: kubernetes\n  options:\n    kubernetes:\n      secretName: keys-2\n"
                          "      namespace: gate\n")
            << QStringList{} << "namespace=gate resource=secrets secretName=keys-2" << 0;
        QTest::newRow("no namespace in block: the gate's variable")
            << QByteArray("state:\n  provider: kubernetes\n")
            << QStringList{"KUBERNETES_CLUSTER_NAMESPACE=envns"}
            << "namespace=envns resource=secrets secretName=k8-container-gate-keys" << 0;
        QTest::newRow("unused option is a warning")
            << QByteArray("state:\n  provider: kubernetes\n  options:\n    kubernetes:\n      pollInterval: 30\n")
            << QStringList{} << "resource=secrets secretName=k8-container-gate-keys" << 1;
    }
    void testDocuments()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QStringList, env);
        QFETCH(QString, options);
        QFETCH(int, warnings);
        const Result<WorkerConfig> r =
            parseWorkerConfig(yaml, QStringLiteral("/etc/k8gate/worker.yml"), EnvExpander(envOf(env)));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(dump(r->store.options), options);
        QCOMPARE(r->warnings.size(), warnings);
        for (const QString &w : r->warnings)
            QVERIFY2(w.startsWith(QLatin1String("/etc/k8gate/worker.yml:")), qPrintable(w));
    }

    void testDocumentErrors_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("another kind") << QByteArray("---\nkind: Deployment\n") << "w.yml:2:7"
                                      << "\"Deployment\" document, not a worker.yml; expected kind: workerConfig";
        QTest::newRow("neither kind nor state") << QByteArray("foo: 1\n") << "w.yml:1:1" << "not a worker.yml";
        QTest::newRow("empty file") << QByteArray("") << "w.yml:1:1" << "empty";
        QTest::newRow("not a map") << QByteArray("- a\n- b\n") << "w.yml:1:1" << "must be a map";
        QTest::newRow("malformed YAML") << QByteArray("kind: workerConfig\nstate: {provider: local\n") << "w.yml:3:1"
                                        << "invalid YAML";
        QTest::newRow("state not a map") << QByteArray("state: local\n") << "w.yml:1:8" << "must be a map";
        QTest::newRow("options not a map") << QByteArray("state:\n  provider: local\n  options: [1]\n") << "w.yml:3:12"
                                           << "\"state.options\" must be a map";
        QTest::newRow("empty local path")
            << QByteArray("state:\n  provider: local\n  options:\n    local:\n      statePath: \"\"\n") << "w.yml:5:18"
            << "\"statePath\" is empty; expected a path";
        QTest::newRow("bad namespace") << QByteArray("state:\n  provider: kubernetes\n  options:\n    kubernetes:\n"
                                                     "      namespace: Not_Valid\n")
                                       << "w.yml:1:1" << "namespace \"Not_Valid\" is not valid";
        QTest::newRow("firebase without project")
            << QByteArray("state:\n  provider: firebase\n") << "w.yml:1:1" << "needs option \"projectId\"";
    }
    void testDocumentErrors()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, where);
        QFETCH(QString, mentions);
        const Result<WorkerConfig> r = parseWorkerConfig(yaml, QStringLiteral("w.yml"), EnvExpander(envOf({})));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QCOMPARE(r.error().where, where);
        QVERIFY2(r.error().message.contains(mentions), qPrintable(r.error().message));
    }

    void testMissingFile()
    {
        QTemporaryDir dir;
        const QString path = dir.path() + QStringLiteral("/nope/worker.yml");
        const Result<WorkerConfig> r = loadWorkerConfig(path, EnvExpander(envOf({})));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Io);
        QCOMPARE(r.error().where, path);
    }
};

QTEST_GUILESS_MAIN(TestConfigWorker)
#include "tst_config_worker.moc"
