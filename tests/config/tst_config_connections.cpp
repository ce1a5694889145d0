#include "ConfigTestHelpers.h"
#include "config/ConnectionsFile.h"
#include "support/TestSupport.h"

#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using sd::test::envOf;

namespace {

QString dump(const QVariantMap &m)
{
    QStringList parts;
    for (auto it = m.constBegin(); it != m.constEnd(); ++it)
        parts << it.key() + QLatin1Char('=')
                     + (it.value().typeId() == QMetaType::QStringList ? it.value().toStringList().join(QLatin1Char(','))
                                                                       : it.value().toString());
    return parts.join(QLatin1Char(' '));
}

// One connections.yaml holding every kind of connection; @DIR@ is the
// temporary directory, @FIX@ the fixtures directory.
// (Plain literals: moc cannot read raw strings whose lines start with "#".)
const QByteArray kFile =
    "# statedeck connections\n"
    "current: dev\n"
    "connections:\n"
    "  dev:\n"
    "    url: \"sqlite:///home/me/.local/share/statedeck/state.db\"\n"
    "  relative-sqlite:\n"
    "    url: data/state.db\n"
    "  cache:\n"
    "    description: \"shared cache\"\n"
    "    url: redis://app:${REDIS_PASSWORD}@cache.internal:6380/2\n"
    "  gate:\n"
    "    workerConfig: gate/worker.yml\n"
    "  gate-real:\n"
    "    workerConfig: @FIX@/k8-container-gate/worker.yml.real\n"
    "  k0rdent:\n"
    "    state_management: { backend: file, file: { path: /srv/k0rdent/state }, fallback: none }\n"
    "  k0rdent-redis:\n"
    "    state_management:\n"
    "      backend: redis\n"
    "      redis: { host: r1, password: \"${K0RDENT_REDIS_PASSWORD:-}\" }\n"
    "      fallback: file\n"
    "  k0rdent-file:\n"
    "    state_management: k0rdent/config.yaml\n"
    "  files:\n"
    "    backend: local\n"
    "    options: { statePath: /var/lib/k8gate/state.json, keysPath: /etc/ssh/authorized_keys.d }\n"
    "  files-relative:\n"
    "    backend: local\n"
    "    options:\n"
    "      statePath: gate-state/state.json\n"
    "  cluster:\n"
    "    backend: etcd\n"
    "    options:\n"
    "      endpoints: [e1:2379, e2:2379]\n"
    "      tls: true\n"
    "  prod-secret:\n"
    "    url: k8s://prod/gate/secrets/k8-container-gate-keys\n";

} // namespace

class TestConfigConnections : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_file;

    QByteArray fileText() const
    {
        QByteArray text = kFile;
        text.replace("@DIR@", m_dir.path().toUtf8());
        text.replace("@FIX@", QByteArray(SD_FIXTURES_DIR));
        return text;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_file = m_dir.path() + QStringLiteral("/statedeck/connections.yaml");
        QVERIFY(sd::test::writeFile(m_file, fileText()));
        QVERIFY(sd::test::writeFile(m_dir.path() + QStringLiteral("/statedeck/gate/worker.yml"),
                                    "---\nkind: workerConfig\nstate:\n  provider: local\n  options:\n    local:\n"
                                    "      statePath: state/state.json\n      keysPath: keys\n"));
        QVERIFY(sd::test::writeFile(m_dir.path() + QStringLiteral("/statedeck/k0rdent/config.yaml"),
                                    "state_management:\n  backend: etcd\n  etcd: { host: e9 }\n  fallback: file\n"));
    }

    void testEachKindResolves_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("options");
        QTest::addColumn<QString>("fallback");
        const QString d = m_dir.path() + QStringLiteral("/statedeck");
        QTest::newRow("url") << "dev" << "sqlite" << "path=/home/me/.local/share/statedeck/state.db" << "";
        QTest::newRow("relative url path") << "relative-sqlite" << "sqlite" << "path=" + d + "/data/state.db" << "";
        QTest::newRow("url with expanded password")
            << "cache" << "redis" << "database=2 host=cache.internal password=hunter2 port=6380 tls=false user=app" << "";
        QTest::newRow("workerConfig relative")
            << "gate" << "local" << "keysPath=" + d + "/gate/keys statePath=" + d + "/gate/state/state.json" << "";
        QTest::newRow("workerConfig real fixture")
            << "gate-real" << "kubernetes" << "namespace=gate-system resource=secrets secretName=k8-container-gate-keys"
            << "";
        QTest::newRow("state_management inline") << "k0rdent" << "yaml" << "path=/srv/k0rdent/state" << "";
        QTest::newRow("state_management with fallback")
            << "k0rdent-redis" << "redis" << "database=0 host=r1 port=6379 tls=false" << "yaml path=" + d + "/state";
        QTest::newRow("state_management file")
            << "k0rdent-file" << "etcd" << "endpoints=http://e9:2379 tls=false" << "yaml path=" + d + "/k0rdent/state";
        QTest::newRow("backend and options")
            << "files" << "local" << "keysPath=/etc/ssh/authorized_keys.d statePath=/var/lib/k8gate/state.json" << "";
        QTest::newRow("backend with relative path") << "files-relative" << "local"
                                                    << "statePath=" + d + "/gate-state/state.json" << "";
        QTest::newRow("backend with list option")
            << "cluster" << "etcd" << "endpoints=https://e1:2379,https://e2:2379 tls=true" << "";
        QTest::newRow("kubernetes url") << "prod-secret" << "kubernetes"
                                        << "context=prod namespace=gate resource=secrets secretName=k8-container-gate-keys"
                                        << "";
    }
    void testEachKindResolves()
    {
        QFETCH(QString, name);
        QFETCH(QString, backend);
        QFETCH(QString, options);
        QFETCH(QString, fallback);
        const EnvExpander env(envOf({"REDIS_PASSWORD=hunter2", "KUBERNETES_CLUSTER_NAMESPACE=gate-system"}));
        const Result<ConnectionsFile> file = ConnectionsFile::load(m_file);
        QVERIFY2(file.ok(), qPrintable(file.ok() ? QString() : file.error().toString()));
        // Through resolveStore, as the front ends call it.
        const Result<StoreSpec> r = resolveStore(name, file.value(), env);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r->backend, backend);
        QCOMPARE(dump(r->options), options);
        QVERIFY(!r->origin.contains(QLatin1String("hunter2")));
        if (fallback.isEmpty()) {
            QVERIFY(!r->fallback);
        } else {
            QVERIFY(r->fallback);
            QCOMPARE(r->fallback->backend + QLatin1Char(' ') + dump(r->fallback->options), fallback);
        }
    }

    void testOrigins_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("origin");
        QTest::newRow("url: the URL, password masked") << "cache" << "redis://app:***@cache.internal:6380/2";
        QTest::newRow("backend: the connection's line") << "files" << "@FILE@:24:3";
        QTest::newRow("inline block: its backend line") << "k0rdent" << "@FILE@:16:25";
        QTest::newRow("worker.yml: its state block") << "gate" << "@DIR@/statedeck/gate/worker.yml:3:1";
    }
    void testOrigins()
    {
        QFETCH(QString, name);
        QFETCH(QString, origin);
        origin.replace(QLatin1String("@FILE@"), m_file).replace(QLatin1String("@DIR@"), m_dir.path());
        const Result<ConnectionsFile> file = ConnectionsFile::load(m_file);
        QVERIFY(file.ok());
        const Result<StoreSpec> r = file->spec(name, EnvExpander(envOf({"REDIS_PASSWORD=hunter2"})));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r->origin, origin);
    }

    void testResolveArguments_data()
    {
        QTest::addColumn<QString>("arg");
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("origin");
        QTest::newRow("empty: the current connection") << "" << "sqlite" << "sqlite:///home/me/.local/share/statedeck/state.db";
        QTest::newRow("blank: the current connection") << "  " << "sqlite" << "sqlite:///home/me/.local/share/statedeck/state.db";
        QTest::newRow("a name") << "prod-secret" << "kubernetes" << "k8s://prod/gate/secrets/k8-container-gate-keys";
        QTest::newRow("a URL") << "etcd://e5:2379" << "etcd" << "etcd://e5:2379";
        QTest::newRow("a bare path") << "/tmp/x.db" << "sqlite" << "/tmp/x.db";
    }
    void testResolveArguments()
    {
        QFETCH(QString, arg);
        QFETCH(QString, backend);
        QFETCH(QString, origin);
        const Result<StoreSpec> r = resolveStore(arg, m_file, EnvExpander(envOf({})));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r->backend, backend);
        QCOMPARE(r->origin, origin);
    }

    // An unset variable in one connection does not break the others, and is
    // reported (by name and place) when that connection is used.
    void testUnsetVariableOnlyWhereUsed()
    {
        const Result<ConnectionsFile> file = ConnectionsFile::load(m_file);
        QVERIFY(file.ok());
        const EnvExpander env(envOf({"KUBERNETES_CLUSTER_NAMESPACE=gate-system"}));
        QVERIFY(file->spec(QStringLiteral("dev"), env).ok());
        const Result<StoreSpec> r = file->spec(QStringLiteral("cache"), env);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QCOMPARE(r.error().where, m_file + QStringLiteral(":10:10"));
        QVERIFY(r.error().message.contains(QLatin1String("REDIS_PASSWORD is not set")));
    }

    void testList()
    {
        const Result<ConnectionsFile> file = ConnectionsFile::load(m_file);
        QVERIFY(file.ok());
        QCOMPARE(file->current(), QStringLiteral("dev"));
        const QList<ConnectionInfo> list = file->list(EnvExpander(envOf({"REDIS_PASSWORD=hunter2"})));
        QStringList names;
        for (const ConnectionInfo &c : list) {
            names << c.name;
            QVERIFY2(!QString(c.description + c.origin + c.error).contains(QLatin1String("hunter2")), qPrintable(c.name));
            QCOMPARE(c.current, c.name == QLatin1String("dev"));
        }
        QCOMPARE(names, file->names());
        QCOMPARE(names.first(), QStringLiteral("dev"));
        QCOMPARE(names.size(), 12);

        auto find = [&](const QString &n) {
            for (const ConnectionInfo &c : list)
                if (c.name == n)
                    return c;
            return ConnectionInfo();
        };
        QCOMPARE(find(QStringLiteral("cache")).description, QStringLiteral("shared cache"));
        QCOMPARE(find(QStringLiteral("cache")).backend, QStringLiteral("redis"));
        QCOMPARE(find(QStringLiteral("cache")).origin, QStringLiteral("redis://app:***@cache.internal:6380/2"));
        QCOMPARE(find(QStringLiteral("files")).description,
                 QStringLiteral("local keysPath=/etc/ssh/authorized_keys.d statePath=/var/lib/k8gate/state.json"));
        QCOMPARE(find(QStringLiteral("files")).where, m_file + QStringLiteral(":24:3"));
        // KUBERNETES_CLUSTER_NAMESPACE is unset here: that row says why, the others are fine.
        const ConnectionInfo real = find(QStringLiteral("gate-real"));
        QVERIFY(real.backend.isEmpty());
        QVERIFY2(real.error.contains(QLatin1String("KUBERNETES_CLUSTER_NAMESPACE is not set")), qPrintable(real.error));
        QVERIFY(find(QStringLiteral("dev")).error.isEmpty());
    }

    // `readOnly:` on any kind of connection sets StoreSpec::readOnly, and
    // the spec names its connection (the refusals of writes name it).
    void testReadOnly_data()
    {
        QTest::addColumn<QByteArray>("connection");
        QTest::addColumn<bool>("readOnly");
        QTest::newRow("url, true") << QByteArray("url: x.db\n    readOnly: true") << true;
        QTest::newRow("url, yes") << QByteArray("url: x.db\n    readOnly: yes") << true;
        QTest::newRow("url, false") << QByteArray("url: x.db\n    readOnly: false") << false;
        QTest::newRow("url, absent") << QByteArray("url: x.db") << false;
        QTest::newRow("backend, true") << QByteArray("backend: sqlite\n    options: { path: x.db }\n    readOnly: true") << true;
        QTest::newRow("state_management, true")
            << QByteArray("state_management: { backend: file, file: { path: /srv/state } }\n    readOnly: true") << true;
    }
    void testReadOnly()
    {
        QFETCH(QByteArray, connection);
        QFETCH(bool, readOnly);
        QTemporaryDir dir;
        const QString path = dir.path() + QStringLiteral("/connections.yaml");
        QVERIFY(sd::test::writeFile(path, "connections:\n  prod:\n    " + connection + "\n"));
        const Result<ConnectionsFile> file = ConnectionsFile::load(path);
        QVERIFY2(file.ok(), qPrintable(file.error().toString()));
        const Result<StoreSpec> spec = file->spec(QStringLiteral("prod"), EnvExpander(envOf({})));
        QVERIFY2(spec.ok(), qPrintable(spec.error().toString()));
        QCOMPARE(spec->readOnly, readOnly);
        QCOMPARE(spec->connection, QStringLiteral("prod"));
        const QList<ConnectionInfo> list = file->list(EnvExpander(envOf({})));
        QCOMPARE(list.size(), 1);
        QCOMPARE(list.first().readOnly, readOnly);
        // A URL names no connection.
        const Result<StoreSpec> byUrl = resolveStore(QStringLiteral("sqlite:///x.db"), path, EnvExpander(envOf({})));
        QVERIFY(byUrl.ok());
        QVERIFY(!byUrl->readOnly);
        QVERIFY(byUrl->connection.isEmpty());
    }

    // `production:`, `sensitive:` and `color:` mark a connection for the
    // front ends (sensitive also reaches the store's spec).
    void testMarkers_data()
    {
        QTest::addColumn<QByteArray>("markers");
        QTest::addColumn<bool>("production");
        QTest::addColumn<QString>("color");
        QTest::addColumn<bool>("sensitive");
        QTest::newRow("none") << QByteArray() << false << QString() << false;
        QTest::newRow("production") << QByteArray("\n    production: true") << true << QString() << false;
        QTest::newRow("colour, upper case") << QByteArray("\n    color: \"#C0392B\"") << false << "#c0392b" << false;
        QTest::newRow("both") << QByteArray("\n    production: yes\n    color: '#2e86c1'") << true << "#2e86c1" << false;
        QTest::newRow("sensitive") << QByteArray("\n    sensitive: true") << false << QString() << true;
        QTest::newRow("sensitive: false") << QByteArray("\n    sensitive: false") << false << QString() << false;
    }
    void testMarkers()
    {
        QFETCH(QByteArray, markers);
        QFETCH(bool, production);
        QFETCH(QString, color);
        QFETCH(bool, sensitive);
        QTemporaryDir dir;
        const QString path = dir.path() + QStringLiteral("/connections.yaml");
        QVERIFY(sd::test::writeFile(path, "connections:\n  prod:\n    url: x.db" + markers + "\n"));
        const Result<ConnectionsFile> file = ConnectionsFile::load(path);
        QVERIFY2(file.ok(), qPrintable(file.error().toString()));
        const QList<ConnectionInfo> list = file->list(EnvExpander(envOf({})));
        QCOMPARE(list.size(), 1);
        QCOMPARE(list.first().production, production);
        QCOMPARE(list.first().color, color);
        QCOMPARE(list.first().sensitive, sensitive);
        const Result<StoreSpec> spec = file->spec(QStringLiteral("prod"), EnvExpander(envOf({})));
        QVERIFY(spec.ok());
        QCOMPARE(spec->sensitive, sensitive);
    }

    void testMalformed_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("bad YAML") << QByteArray("connections:\n  dev: { url: x\n") << ":3:1" << "invalid YAML";
        QTest::newRow("tab indentation") << QByteArray("connections:\n\tdev:\n") << ":2:5" << "invalid YAML";
        QTest::newRow("duplicate connection")
            << QByteArray("connections:\n  a: { url: x.db }\n  a: { url: y.db }\n") << ":3:3" << "duplicate key \"a\"";
        QTest::newRow("not a map") << QByteArray("- dev\n") << ":1:1" << "must be a map";
        QTest::newRow("unknown top-level key") << QByteArray("current: a\nconection: {}\n") << ":2:1"
                                               << "unknown key \"conection\" in connections.yaml; accepted keys: current, connections";
        QTest::newRow("connections not a map") << QByteArray("connections: [a, b]\n") << ":1:14" << "must be a map";
        QTest::newRow("unknown connection key")
            << QByteArray("connections:\n  dev:\n    url: x.db\n    readonly: true\n") << ":4:5"
            << "unknown key \"readonly\" in connection \"dev\"; accepted keys: description, url, workerConfig, "
               "state_management, backend, options, readOnly, production, sensitive, color";
        QTest::newRow("readOnly not a boolean")
            << QByteArray("connections:\n  dev:\n    url: x.db\n    readOnly: maybe\n") << ":4:15"
            << "\"readOnly\" is \"maybe\"; expected true or false";
        QTest::newRow("readOnly quoted")
            << QByteArray("connections:\n  dev:\n    url: x.db\n    readOnly: \"true\"\n") << ":4:15"
            << "expected true or false";
        QTest::newRow("readOnly a list")
            << QByteArray("connections:\n  dev:\n    url: x.db\n    readOnly: [true]\n") << ":4:15"
            << "\"readOnly\" must be a single value";
        QTest::newRow("production not a boolean")
            << QByteArray("connections:\n  prod:\n    url: x.db\n    production: sure\n") << ":4:17"
            << "\"production\" is \"sure\"; expected true or false";
        QTest::newRow("sensitive not a boolean")
            << QByteArray("connections:\n  vault:\n    url: x.db\n    sensitive: very\n") << ":4:16"
            << "\"sensitive\" is \"very\"; expected true or false";
        QTest::newRow("color not #rrggbb")
            << QByteArray("connections:\n  prod:\n    url: x.db\n    color: red\n") << ":4:12"
            << "\"color\" is \"red\"; expected a colour as \"#rrggbb\"";
        QTest::newRow("color unquoted: a comment to YAML")
            << QByteArray("connections:\n  prod:\n    url: x.db\n    color: #c0392b\n") << ":4:5"
            << "\"color\" is empty; write a colour quoted, as color: \"#c0392b\"";
        QTest::newRow("no kind") << QByteArray("connections:\n  dev:\n    description: x\n") << ":2:3"
                                 << "does not say which store it is; expected one of: url, workerConfig";
        QTest::newRow("two kinds") << QByteArray("connections:\n  dev:\n    url: x.db\n    backend: sqlite\n") << ":4:5"
                                   << "has both url and backend";
        QTest::newRow("options without backend")
            << QByteArray("connections:\n  dev:\n    url: x.db\n    options: {}\n") << ":4:5"
            << "\"options\" goes with \"backend\"";
        QTest::newRow("connection not a map") << QByteArray("connections:\n  dev: sqlite:///x.db\n") << ":2:8"
                                              << "must be a map";
        QTest::newRow("url not a scalar") << QByteArray("connections:\n  dev:\n    url: [a]\n") << ":3:10"
                                          << "\"url\" must be a single value";
        QTest::newRow("bad name") << QByteArray("connections:\n  \"my:db\": { url: x.db }\n") << ":2:3"
                                  << "connection name \"my:db\" is not valid";
        QTest::newRow("current not a scalar") << QByteArray("current: [a]\n") << ":1:10" << "must be a single value";
    }
    void testMalformed()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, where);
        QFETCH(QString, mentions);
        QTemporaryDir dir;
        const QString path = dir.path() + QStringLiteral("/connections.yaml");
        QVERIFY(sd::test::writeFile(path, yaml));
        const Result<ConnectionsFile> r = ConnectionsFile::load(path);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QCOMPARE(r.error().where, path + where);
        QVERIFY2(r.error().message.contains(mentions), qPrintable(r.error().message));
        // Commands given a connection name fail the same way.
        const Result<StoreSpec> s = resolveStore(QStringLiteral("dev"), path, EnvExpander(envOf({})));
        QVERIFY(!s.ok());
        QCOMPARE(s.error().where, path + where);
    }

    // Errors found only when a connection is used still point into connections.yaml.
    void testResolveErrors_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("arg");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("bad url") << QByteArray("connections:\n  dev:\n    url: \"redis://h:0\"\n") << "dev" << ":3:10"
                                 << "not a port number";
        QTest::newRow("unknown backend") << QByteArray("connections:\n  dev:\n    backend: mongo\n") << "dev" << ":3:14"
                                         << "unknown backend \"mongo\"; expected one of: sqlite";
        QTest::newRow("unknown option")
            << QByteArray("connections:\n  dev:\n    backend: redis\n    options: { host: h, db: 1 }\n") << "dev"
            << ":4:25" << "unknown redis option \"db\"; accepted options: host, port, database";
        QTest::newRow("missing required option") << QByteArray("connections:\n  dev:\n    backend: local\n") << "dev"
                                                 << ":2:3" << "needs option \"statePath\"";
        QTest::newRow("missing worker.yml")
            << QByteArray("connections:\n  gate:\n    workerConfig: nope/worker.yml\n") << "gate" << ":3:19"
            << "nope/worker.yml: cannot read the file";
        QTest::newRow("missing state_management file")
            << QByteArray("connections:\n  k:\n    state_management: nope.yaml\n") << "k" << ":3:23" << "nope.yaml";
        QTest::newRow("current undefined") << QByteArray("current: prod\nconnections:\n  dev: { url: x.db }\n") << ""
                                           << ":1:10" << "current connection \"prod\" is not defined; defined: dev";
        QTest::newRow("unknown name") << QByteArray("connections:\n  dev: { url: x.db }\n") << "dve" << ""
                                      << "no connection named \"dve\" (defined: dev)";
        QTest::newRow("unknown file, connections listed")
            << QByteArray("connections:\n  dev: { url: x.db }\n") << "/nonexistent/x.txt" << "" << "connections in";
    }
    void testResolveErrors()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, arg);
        QFETCH(QString, where);
        QFETCH(QString, mentions);
        QTemporaryDir dir;
        const QString path = dir.path() + QStringLiteral("/connections.yaml");
        QVERIFY(sd::test::writeFile(path, yaml));
        const Result<StoreSpec> r = resolveStore(arg, path, EnvExpander(envOf({})));
        QVERIFY(!r.ok());
        if (!where.isEmpty())
            QCOMPARE(r.error().where, path + where);
        QVERIFY2(r.error().message.contains(mentions), qPrintable(r.error().toString()));
    }

    void testMissingFileMeansNoConnections()
    {
        QTemporaryDir dir;
        const QString path = dir.path() + QStringLiteral("/statedeck/connections.yaml");
        const Result<ConnectionsFile> file = ConnectionsFile::load(path);
        QVERIFY(file.ok());
        QVERIFY(file->names().isEmpty());
        QVERIFY(file->current().isEmpty());
        QVERIFY(file->list(EnvExpander(envOf({}))).isEmpty());
        // No current connection: the embedded default store.
        const Result<StoreSpec> r = resolveStore(QString(), path, EnvExpander(envOf({})));
        QVERIFY(r.ok());
        QCOMPARE(r->backend, QStringLiteral("sqlite"));
        QVERIFY(r->options.value(QStringLiteral("path")).toString().isEmpty());
        QCOMPARE(r->origin, QStringLiteral("default"));
        const Result<StoreSpec> unknown = file->spec(QStringLiteral("dev"), EnvExpander(envOf({})));
        QVERIFY(!unknown.ok());
        QCOMPARE(unknown.error().kind, ErrorKind::NotFound);
    }

    void testEmptyFile_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("comments only") << QByteArray("# nothing yet\n");
        QTest::newRow("empty sections") << QByteArray("current:\nconnections:\n");
    }
    void testEmptyFile()
    {
        QFETCH(QByteArray, yaml);
        const Result<ConnectionsFile> file = ConnectionsFile::parse(yaml, QStringLiteral("/x/connections.yaml"));
        QVERIFY(file.ok());
        QVERIFY(file->names().isEmpty());
        const Result<StoreSpec> r = resolveStore(QString(), file.value(), EnvExpander(envOf({})));
        QVERIFY(r.ok());
        QCOMPARE(r->backend, QStringLiteral("sqlite"));
    }

    // A URL never needs connections.yaml, so a broken one does not block it.
    void testUrlDespiteBrokenFile()
    {
        QTemporaryDir dir;
        const QString path = dir.path() + QStringLiteral("/connections.yaml");
        QVERIFY(sd::test::writeFile(path, "connections: {\n"));
        const Result<StoreSpec> r = resolveStore(QStringLiteral("redis://h/1"), path, EnvExpander(envOf({})));
        QVERIFY(r.ok());
        QCOMPARE(r->backend, QStringLiteral("redis"));
    }

    void testDefaultPathFollowsXdg()
    {
        const QByteArray saved = qgetenv("XDG_CONFIG_HOME");
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_dir.path() + QStringLiteral("/xdg")));
        const QString path = ConnectionsFile::defaultPath();
        if (saved.isNull())
            qunsetenv("XDG_CONFIG_HOME");
        else
            qputenv("XDG_CONFIG_HOME", saved);
        QCOMPARE(path, m_dir.path() + QStringLiteral("/xdg/statedeck/connections.yaml"));
    }
};

QTEST_GUILESS_MAIN(TestConfigConnections)
#include "tst_config_connections.moc"
