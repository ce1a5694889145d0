#include "ConfigTestHelpers.h"
#include "config/StateManagement.h"
#include "config/StoreOptions.h"
#include "support/TestSupport.h"

#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using sd::test::envOf;

namespace {

const QString kSeed004 = QStringLiteral("004_5bc74ee82f3c545d.txt");

QString dump(const QVariantMap &m)
{
    QStringList parts;
    for (auto it = m.constBegin(); it != m.constEnd(); ++it)
        parts << it.key() + QLatin1Char('=')
                     + (it.value().typeId() == QMetaType::QStringList ? it.value().toStringList().join(QLatin1Char(','))
                                                                       : it.value().toString());
    return parts.join(QLatin1Char(' '));
}

} // namespace

class TestConfigStateManagement : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // The seed's example, cut from the seed document at test time.
    void testSeedExample()
    {
        const QByteArray yaml = sd::test::seedYamlBlock(kSeed004, "state_management:");
        QVERIFY(!yaml.isEmpty());
        const QString file = sd::test::seedPath(kSeed004);
        const Result<StoreSpec> r = parseStateManagement(yaml, file, EnvExpander(envOf({})));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r->backend, QStringLiteral("redis"));
        QCOMPARE(r->options.value(QStringLiteral("host")).toString(), QStringLiteral("localhost"));
        QCOMPARE(r->options.value(QStringLiteral("port")).toInt(), 6379);
        QCOMPARE(r->options.value(QStringLiteral("database")).toInt(), 0);
        // `password: ""` means no password.
        QVERIFY(!r->options.contains(QStringLiteral("password")));
        // `backend:` is on line 86 of the seed document.
        QCOMPARE(r->origin, file + QStringLiteral(":86:3"));
        QVERIFY(r->fallback);
        QCOMPARE(r->fallback->backend, QStringLiteral("yaml"));
        QCOMPARE(r->fallback->options.value(QStringLiteral("path")).toString(),
                 QFileInfo(file).absolutePath() + QStringLiteral("/state"));
        QCOMPARE(r->fallback->origin, file + QStringLiteral(":92:3"));
        QVERIFY(!r->fallback->fallback);
    }

    void testBlocks_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("options");
        QTest::addColumn<QString>("fallback"); // "backend options", or empty
        QTest::newRow("redis defaults") << QByteArray("state_management:\n  backend: redis\n") << QStringList{}
                                        << "redis" << "database=0 host=localhost port=6379 tls=false" << "";
        QTest::newRow("redis everything")
            << QByteArray("state_management:\n  backend: redis\n  redis:\n    host: r1\n    port: \"6380\"\n"
                          "    database: 3\n    username: app\n    password: ${REDIS_PASSWORD}\n    tls: true\n")
            << QStringList{"REDIS_PASSWORD=hunter2"} << "redis"
            << "database=3 host=r1 password=hunter2 port=6380 tls=true user=app" << "";
        QTest::newRow("etcd endpoints list")
            << QByteArray("state_management:\n  backend: etcd\n  etcd:\n    endpoints:\n      - e1:2379\n"
                          "      - https://e2:2379\n")
            << QStringList{} << "etcd" << "endpoints=http://e1:2379,https://e2:2379 tls=false" << "";
        QTest::newRow("etcd endpoints text")
            << QByteArray("state_management:\n  backend: etcd\n  etcd:\n    endpoints: \"e1:2379, e2\"\n    tls: yes\n")
            << QStringList{} << "etcd" << "endpoints=https://e1:2379,https://e2:2379 tls=true" << "";
        QTest::newRow("etcd host and port")
            << QByteArray("state_management:\n  backend: etcd\n  etcd:\n    host: etcd.local\n    port: 12379\n")
            << QStringList{} << "etcd" << "endpoints=http://etcd.local:12379 tls=false" << "";
        QTest::newRow("etcd defaults") << QByteArray("state_management:\n  backend: etcd\n") << QStringList{}
                                       << "etcd" << "endpoints=http://localhost:2379 tls=false" << "";
        QTest::newRow("consul")
            << QByteArray("state_management:\n  backend: consul\n  consul:\n    token: ${CONSUL_TOKEN:-}\n"
                          "    datacenter: dc1\n")
            << QStringList{} << "consul" << "datacenter=dc1 host=localhost port=8500 tls=false" << "";
        QTest::newRow("file default path") << QByteArray("state_management:\n  backend: file\n") << QStringList{}
                                           << "yaml" << "path=/srv/k0rdent/state" << "";
        QTest::newRow("file relative path and backups")
            << QByteArray("state_management:\n  backend: \"file\"\n  file:\n    path: ../shared/state\n    backups: 3\n")
            << QStringList{} << "yaml" << "backups=3 path=/srv/shared/state" << "";
        QTest::newRow("sqlite") << QByteArray("state_management:\n  backend: sqlite\n  sqlite:\n    path: s.db\n")
                                << QStringList{} << "sqlite" << "path=/srv/k0rdent/s.db" << "";
        QTest::newRow("fallback none") << QByteArray("state_management:\n  backend: redis\n  fallback: none\n")
                                       << QStringList{} << "redis" << "database=0 host=localhost port=6379 tls=false"
                                       << "";
        QTest::newRow("fallback to etcd")
            << QByteArray("state_management:\n  backend: redis\n  fallback: etcd\n  etcd:\n    host: e1\n")
            << QStringList{} << "redis" << "database=0 host=localhost port=6379 tls=false"
            << "etcd endpoints=http://e1:2379 tls=false";
        QTest::newRow("fallback file with path")
            << QByteArray("state_management:\n  backend: etcd\n  fallback: file\n  file:\n    path: /var/state\n")
            << QStringList{} << "etcd" << "endpoints=http://localhost:2379 tls=false" << "yaml path=/var/state";
        QTest::newRow("backend from the environment")
            << QByteArray("state_management:\n  backend: ${STATE_BACKEND:-file}\n") << QStringList{"STATE_BACKEND=redis"}
            << "redis" << "database=0 host=localhost port=6379 tls=false" << "";
        // Maps of backends not chosen are not expanded: their unset variables do not matter.
        QTest::newRow("unused map not expanded")
            << QByteArray("state_management:\n  backend: file\n  redis:\n    password: ${UNSET_PASSWORD}\n")
            << QStringList{} << "yaml" << "path=/srv/k0rdent/state" << "";
        QTest::newRow("other top-level keys ignored")
            << QByteArray("azure:\n  location: westeurope\nstate_management:\n  backend: file\n")
            << QStringList{} << "yaml" << "path=/srv/k0rdent/state" << "";
    }
    void testBlocks()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QStringList, env);
        QFETCH(QString, backend);
        QFETCH(QString, options);
        QFETCH(QString, fallback);
        const Result<StoreSpec> r =
            parseStateManagement(yaml, QStringLiteral("/srv/k0rdent/config.yaml"), EnvExpander(envOf(env)));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r->backend, backend);
        QCOMPARE(dump(r->options), options);
        if (fallback.isEmpty()) {
            QVERIFY(!r->fallback);
        } else {
            QVERIFY(r->fallback);
            QCOMPARE(r->fallback->backend + QLatin1Char(' ') + dump(r->fallback->options), fallback);
        }
        QVERIFY(!describeStore(r.value()).contains(QLatin1String("hunter2")));
    }

    void testErrors_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("no block") << QByteArray("azure: {}\n") << "c.yaml:1:1" << "no \"state_management:\" block";
        QTest::newRow("block not a map") << QByteArray("state_management: redis\n") << "c.yaml:1:19" << "must be a map";
        QTest::newRow("no backend") << QByteArray("state_management:\n  fallback: file\n") << "c.yaml:1:1"
                                    << "needs \"backend\"; expected one of: redis, etcd, consul, file, sqlite";
        QTest::newRow("unknown backend") << QByteArray("state_management:\n  backend: mongodb\n") << "c.yaml:2:12"
                                         << "backend \"mongodb\" is not supported; expected one of";
        QTest::newRow("unknown top key") << QByteArray("state_management:\n  backend: redis\n  redsi: {}\n")
                                         << "c.yaml:3:3" << "unknown key \"redsi\" in state_management; accepted keys";
        QTest::newRow("unknown redis key")
            << QByteArray("state_management:\n  backend: redis\n  redis:\n    hostname: r1\n") << "c.yaml:4:5"
            << "unknown key \"hostname\" in state_management.redis; accepted keys: host, port, database";
        QTest::newRow("bad port") << QByteArray("state_management:\n  backend: redis\n  redis:\n    port: sixty\n")
                                  << "c.yaml:4:11" << "\"port\" is \"sixty\"; expected a port number";
        QTest::newRow("bad database") << QByteArray("state_management:\n  backend: redis\n  redis:\n    database: -1\n")
                                      << "c.yaml:4:15" << "expected a whole number";
        QTest::newRow("redis map not a map") << QByteArray("state_management:\n  backend: redis\n  redis: localhost\n")
                                             << "c.yaml:3:10" << "must be a map";
        QTest::newRow("unset password")
            << QByteArray("state_management:\n  backend: redis\n  redis:\n    password: ${REDIS_PASSWORD}\n")
            << "c.yaml:4:15" << "REDIS_PASSWORD is not set";
        QTest::newRow("fallback same as backend")
            << QByteArray("state_management:\n  backend: file\n  fallback: file\n") << "c.yaml:3:13"
            << "fallback is the same as the backend";
        QTest::newRow("unknown fallback") << QByteArray("state_management:\n  backend: redis\n  fallback: disk\n")
                                          << "c.yaml:3:13" << "fallback \"disk\" is not supported";
        QTest::newRow("fallback map broken")
            << QByteArray("state_management:\n  backend: redis\n  fallback: file\n  file:\n    backups: many\n")
            << "c.yaml:5:14" << "\"backups\" is \"many\"";
        QTest::newRow("etcd endpoints and host")
            << QByteArray("state_management:\n  backend: etcd\n  etcd:\n    endpoints: [e1]\n    host: e2\n")
            << "c.yaml:5:11" << "both endpoints and host/port";
        QTest::newRow("malformed YAML") << QByteArray("state_management:\n  backend: [redis\n") << "c.yaml:3:1"
                                        << "invalid YAML";
    }
    void testErrors()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, where);
        QFETCH(QString, mentions);
        const Result<StoreSpec> r = parseStateManagement(yaml, QStringLiteral("c.yaml"), EnvExpander(envOf({})));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QCOMPARE(r.error().where, where);
        QVERIFY2(r.error().message.contains(mentions), qPrintable(r.error().message));
    }

    // The real k0rdent state/ directory, named as a file backend.
    void testK0rdentFixtureDirectory()
    {
        const QString dir = sd::test::fixturePath(QStringLiteral("k0rdent-azure-setup"));
        const Result<StoreSpec> r = parseStateManagement("state_management:\n  backend: file\n",
                                                         dir + QStringLiteral("/config.yaml"), EnvExpander(envOf({})));
        QVERIFY(r.ok());
        const QString path = r->options.value(QStringLiteral("path")).toString();
        QCOMPARE(path, dir + QStringLiteral("/state"));
        QVERIFY(QFileInfo::exists(path + QStringLiteral("/azure-state.yaml")));
    }

    void testLoadFromFile()
    {
        QTemporaryDir dir;
        const QString path = dir.path() + QStringLiteral("/k0rdent.yaml");
        QVERIFY(sd::test::writeFile(path, "state_management:\n  backend: file\n"));
        const Result<StoreSpec> r = loadStateManagement(path, EnvExpander(envOf({})));
        QVERIFY(r.ok());
        QCOMPARE(r->options.value(QStringLiteral("path")).toString(), dir.path() + QStringLiteral("/state"));
        const Result<StoreSpec> missing = loadStateManagement(dir.path() + QStringLiteral("/none.yaml"));
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().kind, ErrorKind::Io);
        QCOMPARE(missing.error().where, dir.path() + QStringLiteral("/none.yaml"));
    }
};

QTEST_GUILESS_MAIN(TestConfigStateManagement)
#include "tst_config_statemanagement.moc"
