#include "config/StoreOptions.h"
#include "config/StoreUrl.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;

namespace {

QVariantMap opts(std::initializer_list<std::pair<const char *, QVariant>> list)
{
    QVariantMap m;
    for (const auto &[k, v] : list)
        m.insert(QString::fromLatin1(k), v);
    return m;
}

QString dump(const QVariantMap &m)
{
    QStringList parts;
    for (auto it = m.constBegin(); it != m.constEnd(); ++it)
        parts << it.key() + QLatin1Char('=')
                     + (it.value().typeId() == QMetaType::QStringList ? it.value().toStringList().join(QLatin1Char(','))
                                                                       : it.value().toString())
                     + QLatin1Char('(') + QString::fromLatin1(it.value().typeName()) + QLatin1Char(')');
    return parts.join(QLatin1Char(' '));
}

} // namespace

class TestConfigUrl : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void testParse_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QVariantMap>("options");
        QTest::addColumn<QString>("origin");

        const QStringList none;
        QTest::newRow("sqlite absolute") << "sqlite:///abs/path.db" << "sqlite"
                                         << opts({{"path", "/abs/path.db"}}) << "sqlite:///abs/path.db";
        QTest::newRow("sqlite relative") << "sqlite:rel/state.db" << "sqlite"
                                         << opts({{"path", "/base/rel/state.db"}}) << "sqlite:rel/state.db";
        QTest::newRow("sqlite one slash") << "sqlite:/abs.db" << "sqlite" << opts({{"path", "/abs.db"}})
                                          << "sqlite:/abs.db";
        QTest::newRow("sqlite percent-encoded") << "sqlite:///my%20dir/s.db" << "sqlite"
                                                << opts({{"path", "/my dir/s.db"}}) << "sqlite:///my%20dir/s.db";
        QTest::newRow("scheme is case-insensitive") << "SQLite:///x.db" << "sqlite" << opts({{"path", "/x.db"}})
                                                    << "SQLite:///x.db";
        QTest::newRow("local") << "local:///var/lib/k8gate/state.json" << "local"
                               << opts({{"statePath", "/var/lib/k8gate/state.json"}})
                               << "local:///var/lib/k8gate/state.json";
        QTest::newRow("local keysPath")
            << "local:///var/lib/k8gate/state.json?keysPath=/etc/ssh/authorized_keys.d" << "local"
            << opts({{"statePath", "/var/lib/k8gate/state.json"}, {"keysPath", "/etc/ssh/authorized_keys.d"}})
            << "local:///var/lib/k8gate/state.json?keysPath=/etc/ssh/authorized_keys.d";
        QTest::newRow("local relative keysPath") << "local:s.json?keysPath=keys" << "local"
                                                 << opts({{"statePath", "/base/s.json"}, {"keysPath", "/base/keys"}})
                                                 << "local:s.json?keysPath=keys";
        QTest::newRow("yaml") << "yaml:///srv/state" << "yaml" << opts({{"path", "/srv/state"}}) << "yaml:///srv/state";
        QTest::newRow("yaml backups") << "yaml:///srv/state/?backups=5" << "yaml"
                                      << opts({{"path", "/srv/state"}, {"backups", 5}}) << "yaml:///srv/state/?backups=5";
        QTest::newRow("redis") << "redis://localhost:6379/0" << "redis"
                               << opts({{"host", "localhost"}, {"port", 6379}, {"database", 0}, {"tls", false}})
                               << "redis://localhost:6379/0";
        QTest::newRow("redis defaults") << "redis://cache" << "redis"
                                        << opts({{"host", "cache"}, {"port", 6379}, {"database", 0}, {"tls", false}})
                                        << "redis://cache";
        QTest::newRow("redis user and password")
            << "redis://app:hunter2@db.example:6380/2" << "redis"
            << opts({{"host", "db.example"}, {"port", 6380}, {"database", 2}, {"user", "app"}, {"password", "hunter2"},
                     {"tls", false}})
            << "redis://app:***@db.example:6380/2";
        QTest::newRow("redis password only, encoded @")
            << "redis://:p%40hunter2@h/1" << "redis"
            << opts({{"host", "h"}, {"port", 6379}, {"database", 1}, {"password", "p@hunter2"}, {"tls", false}})
            << "redis://:***@h/1";
        QTest::newRow("redis password with raw slash")
            << "redis://u:hun/ter2@h/3" << "redis"
            << opts({{"host", "h"}, {"port", 6379}, {"database", 3}, {"user", "u"}, {"password", "hun/ter2"},
                     {"tls", false}})
            << "redis://u:***@h/3";
        QTest::newRow("redis separator")
            << "redis://h/0?separator=/" << "redis"
            << opts({{"host", "h"}, {"port", 6379}, {"database", 0}, {"separator", "/"}, {"tls", false}})
            << "redis://h/0?separator=/";
        QTest::newRow("rediss") << "rediss://h:6390" << "redis"
                                << opts({{"host", "h"}, {"port", 6390}, {"database", 0}, {"tls", true}})
                                << "rediss://h:6390";
        QTest::newRow("redis ipv6") << "redis://[::1]:7000/4" << "redis"
                                    << opts({{"host", "::1"}, {"port", 7000}, {"database", 4}, {"tls", false}})
                                    << "redis://[::1]:7000/4";
        QTest::newRow("etcd") << "etcd://host:2379" << "etcd"
                              << opts({{"endpoints", QStringList{"http://host:2379"}}, {"tls", false}})
                              << "etcd://host:2379";
        QTest::newRow("etcd default port") << "etcd://e1" << "etcd"
                                           << opts({{"endpoints", QStringList{"http://e1:2379"}}, {"tls", false}})
                                           << "etcd://e1";
        QTest::newRow("etcd cluster")
            << "etcd://e1:2379,e2:22379,[fd00::3]" << "etcd"
            << opts({{"endpoints", QStringList{"http://e1:2379", "http://e2:22379", "http://[fd00::3]:2379"}},
                     {"tls", false}})
            << "etcd://e1:2379,e2:22379,[fd00::3]";
        QTest::newRow("etcds") << "etcds://e1:2379,e2" << "etcd"
                               << opts({{"endpoints", QStringList{"https://e1:2379", "https://e2:2379"}}, {"tls", true}})
                               << "etcds://e1:2379,e2";
        QTest::newRow("etcd credentials")
            << "etcd://root:hunter2@e1:2379" << "etcd"
            << opts({{"endpoints", QStringList{"http://e1:2379"}}, {"tls", false}, {"user", "root"},
                     {"password", "hunter2"}})
            << "etcd://root:***@e1:2379";
        QTest::newRow("k8s configmaps")
            << "k8s://kind-dev/default/configmaps" << "kubernetes"
            << opts({{"context", "kind-dev"}, {"namespace", "default"}, {"resource", "configmaps"}})
            << "k8s://kind-dev/default/configmaps";
        QTest::newRow("k8s current context") << "k8s:///team-a/configmaps" << "kubernetes"
                                             << opts({{"namespace", "team-a"}, {"resource", "configmaps"}})
                                             << "k8s:///team-a/configmaps";
        QTest::newRow("k8s secret")
            << "k8s://prod/gate/secrets/k8-container-gate-keys" << "kubernetes"
            << opts({{"context", "prod"}, {"namespace", "gate"}, {"resource", "secrets"},
                     {"secretName", "k8-container-gate-keys"}})
            << "k8s://prod/gate/secrets/k8-container-gate-keys";
        // No name: the store of every Secret in the namespace.
        QTest::newRow("k8s secrets")
            << "k8s://prod/gate/secrets" << "kubernetes"
            << opts({{"context", "prod"}, {"namespace", "gate"}, {"resource", "secrets"}})
            << "k8s://prod/gate/secrets";
        QTest::newRow("k8s secrets, trailing slash")
            << "k8s://prod/gate/secrets/" << "kubernetes"
            << opts({{"context", "prod"}, {"namespace", "gate"}, {"resource", "secrets"}})
            << "k8s://prod/gate/secrets/";
        QTest::newRow("k8s context with @ and :")
            << "k8s://admin:x@cluster/ns/configmaps/" << "kubernetes"
            << opts({{"context", "admin:x@cluster"}, {"namespace", "ns"}, {"resource", "configmaps"}})
            << "k8s://admin:x@cluster/ns/configmaps/";
        QTest::newRow("k8s encoded EKS context")
            << "kubernetes://arn%3Aaws%3Aeks%3Aeu-west-1%3A1%3Acluster%2Fprod/ns/configmaps" << "kubernetes"
            << opts({{"context", "arn:aws:eks:eu-west-1:1:cluster/prod"}, {"namespace", "ns"}, {"resource", "configmaps"}})
            << "kubernetes://arn%3Aaws%3Aeks%3Aeu-west-1%3A1%3Acluster%2Fprod/ns/configmaps";
        QTest::newRow("firebase")
            << "firebase://my-proj.firebaseio.com" << "firebase"
            << opts({{"projectId", "my-proj"}, {"databaseUrl", "https://my-proj.firebaseio.com"}})
            << "firebase://my-proj.firebaseio.com";
        QTest::newRow("firebase regional")
            << "firebase://my-proj-default-rtdb.europe-west1.firebasedatabase.app/" << "firebase"
            << opts({{"projectId", "my-proj"},
                     {"databaseUrl", "https://my-proj-default-rtdb.europe-west1.firebasedatabase.app"}})
            << "firebase://my-proj-default-rtdb.europe-west1.firebasedatabase.app/";
        QTest::newRow("firebase project only")
            << "firebase://my-proj" << "firebase"
            << opts({{"projectId", "my-proj"}, {"databaseUrl", "https://my-proj.firebaseio.com"}})
            << "firebase://my-proj";
        QTest::newRow("firebase emulator")
            << "firebase://localhost:9000?ns=demo" << "firebase"
            << opts({{"projectId", "demo"}, {"databaseUrl", "http://localhost:9000"}})
            << "firebase://localhost:9000?ns=demo";
        QTest::newRow("firebase root path")
            << "firebase://my-proj.firebaseio.com/gate/state" << "firebase"
            << opts({{"projectId", "my-proj"}, {"databaseUrl", "https://my-proj.firebaseio.com"}, {"root", "gate/state"}})
            << "firebase://my-proj.firebaseio.com/gate/state";
        QTest::newRow("firebase emulator with root and tls=false")
            << "firebase://127.0.0.1:9000/gate?ns=gate&tls=false" << "firebase"
            << opts({{"projectId", "gate"}, {"databaseUrl", "http://127.0.0.1:9000"}, {"root", "gate"}})
            << "firebase://127.0.0.1:9000/gate?ns=gate&tls=false";
        // Not loopback: the host names the project, and ?ns= is kept (sent
        // on every request), never dropped.
        QTest::newRow("firebase remote emulator with ns")
            << "firebase://fb-emulator.ci.internal:9000/gate?ns=gate&tls=false" << "firebase"
            << opts({{"projectId", "fb-emulator"}, {"databaseUrl", "http://fb-emulator.ci.internal:9000"},
                     {"ns", "gate"}, {"root", "gate"}})
            << "firebase://fb-emulator.ci.internal:9000/gate?ns=gate&tls=false";
        QTest::newRow("firebase host with ns")
            << "firebase://my-proj.firebaseio.com?ns=other" << "firebase"
            << opts({{"projectId", "my-proj"}, {"databaseUrl", "https://my-proj.firebaseio.com"}, {"ns", "other"}})
            << "firebase://my-proj.firebaseio.com?ns=other";
        QTest::newRow("consul") << "consul://c1:8501" << "consul"
                                << opts({{"host", "c1"}, {"port", 8501}, {"tls", false}}) << "consul://c1:8501";
        QTest::newRow("consuls") << "consuls://c1" << "consul"
                                 << opts({{"host", "c1"}, {"port", 8500}, {"tls", true}}) << "consuls://c1";
        QTest::newRow("bare .db") << "/x/state.db" << "sqlite" << opts({{"path", "/x/state.db"}}) << "/x/state.db";
        QTest::newRow("bare relative .sqlite") << "data/s.sqlite" << "sqlite"
                                               << opts({{"path", "/base/data/s.sqlite"}}) << "/base/data/s.sqlite";
        QTest::newRow("bare .sqlite3") << "/x/s.sqlite3" << "sqlite" << opts({{"path", "/x/s.sqlite3"}}) << "/x/s.sqlite3";
        QTest::newRow("bare .json") << "/var/lib/k8gate/state.json" << "local"
                                    << opts({{"statePath", "/var/lib/k8gate/state.json"}})
                                    << "/var/lib/k8gate/state.json";
    }
    void testParse()
    {
        QFETCH(QString, url);
        QFETCH(QString, backend);
        QFETCH(QVariantMap, options);
        QFETCH(QString, origin);
        const Result<StoreSpec> r = parseStoreUrl(url, QStringLiteral("/base"));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r->backend, backend);
        QCOMPARE(dump(r->options), dump(options));
        QCOMPARE(r->origin, origin);
        QVERIFY(!r->origin.contains(QLatin1String("hunter2")));
        QVERIFY(!describeStore(r.value()).contains(QLatin1String("hunter2")));
        QVERIFY(!r->fallback);
    }

    void testExistingDirectoryIsYaml()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("state")));
        const Result<StoreSpec> abs = parseStoreUrl(dir.path() + QStringLiteral("/state"));
        QVERIFY(abs.ok());
        QCOMPARE(abs->backend, QStringLiteral("yaml"));
        QCOMPARE(abs->options.value(QStringLiteral("path")).toString(), dir.path() + QStringLiteral("/state"));
        const Result<StoreSpec> rel = parseStoreUrl(QStringLiteral("state/"), dir.path());
        QVERIFY(rel.ok());
        QCOMPARE(rel->backend, QStringLiteral("yaml"));
        QCOMPARE(rel->options.value(QStringLiteral("path")).toString(), dir.path() + QStringLiteral("/state"));
    }

    void testMalformed_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("empty") << "" << "empty";
        QTest::newRow("unknown scheme") << "http://example.com" << "unknown store URL scheme \"http:\"";
        QTest::newRow("sqlite with host") << "sqlite://rel.db" << "read as a host";
        QTest::newRow("sqlite without path") << "sqlite://" << "path is missing";
        QTest::newRow("sqlite with parameter") << "sqlite:///x.db?mode=ro" << "take no \"?\" parameters";
        QTest::newRow("fragment") << "sqlite:///x.db#top" << "fragment";
        QTest::newRow("local without path") << "local:" << "path is missing";
        QTest::newRow("local unknown parameter") << "local:///s.json?statepath=/x" << "unknown parameter \"statepath\"";
        QTest::newRow("local parameter without value") << "local:///s.json?keysPath" << "has no value";
        QTest::newRow("local parameter twice") << "local:///s.json?keysPath=/a&keysPath=/b" << "given twice";
        QTest::newRow("yaml negative backups") << "yaml:///srv/state?backups=-1" << "backups";
        QTest::newRow("yaml text backups") << "yaml:///srv/state?backups=many" << "whole number";
        QTest::newRow("redis without //") << "redis:localhost" << "\"//\" and a host must follow";
        QTest::newRow("redis without host") << "redis://" << "no host";
        QTest::newRow("redis port out of range") << "redis://h:99999/0" << "not a port number";
        QTest::newRow("redis port text") << "redis://u:hunter2@h:abc/0" << "not a port number";
        QTest::newRow("redis database text") << "redis://h:6379/zero" << "database \"zero\" is not a number";
        QTest::newRow("redis parameter") << "redis://h?db=1" << "unknown parameter \"db\" (accepted: separator)";
        QTest::newRow("etcd empty endpoint") << "etcd://e1:2379,,e2" << "empty";
        QTest::newRow("etcd path") << "etcd://e1:2379/prefix" << "unexpected path \"/prefix\"";
        QTest::newRow("etcd bad port") << "etcd://e1:2379,e2:x" << "not a port number";
        QTest::newRow("k8s without namespace") << "k8s://ctx" << "namespace is missing";
        QTest::newRow("k8s without resource") << "k8s://ctx/ns" << "resource (configmaps or secrets) is missing";
        QTest::newRow("k8s unknown resource") << "k8s://ctx/ns/pods" << "unknown resource \"pods\"";
        QTest::newRow("k8s empty secret name") << "k8s://ctx/ns/secrets//" << "name is empty";
        QTest::newRow("k8s secret and more") << "k8s://ctx/ns/secrets/keys/more" << "nothing may follow";
        QTest::newRow("k8s configmap name") << "k8s://ctx/ns/configmaps/one" << "nothing may follow";
        QTest::newRow("k8s bad namespace") << "k8s://ctx/Team_A/configmaps" << "namespace \"Team_A\" is not valid";
        QTest::newRow("k8s bad secret name") << "k8s://ctx/ns/secrets/Keys!" << "secret name \"Keys!\" is not valid";
        QTest::newRow("firebase without host") << "firebase://" << "no host";
        QTest::newRow("firebase credentials") << "firebase://u:hunter2@p.firebaseio.com" << "no user or password";
        QTest::newRow("firebase emulator without ns") << "firebase://localhost:9000" << "ns=PROJECT";
        QTest::newRow("firebase root with '.'") << "firebase://p.firebaseio.com/users/a.b" << "may not contain '.'";
        QTest::newRow("firebase unknown parameter") << "firebase://p.firebaseio.com?auth=secret" << "unknown parameter \"auth\"";
        QTest::newRow("consul bad port") << "consul://c1:0" << "not a port number";
        QTest::newRow("consul credentials") << "consul://t:hunter2@c1" << "token";
        QTest::newRow("unknown file type") << "/nonexistent/state.txt" << "cannot tell which store";
        QTest::newRow("worker.yml path") << "/nonexistent/worker.yml" << "connections.yaml";
        // Found by fuzzing: a typo in the scheme made the URL a bare path,
        // whose error echoed it, password included.
        QTest::newRow("scheme typo") << "r%dis://app:hunter2@cache:6380/2" << "cannot tell which store";
        QTest::newRow("scheme typo, password with @ and /") << "re dis://app:p@hunter2/x@cache/2" << "cannot tell which store";
    }
    void testMalformed()
    {
        QFETCH(QString, url);
        QFETCH(QString, mentions);
        const Result<StoreSpec> r = parseStoreUrl(url, QStringLiteral("/base"));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QVERIFY2(r.error().message.contains(mentions), qPrintable(r.error().toString()));
        // Every message says what was expected.
        QVERIFY2(r.error().message.contains(QLatin1String("expected")), qPrintable(r.error().toString()));
        QVERIFY2(!r.error().toString().contains(QLatin1String("hunter2")), qPrintable(r.error().toString()));
    }

    void testMask_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("masked");
        QTest::newRow("no user info") << "redis://h:6379/0" << "redis://h:6379/0";
        QTest::newRow("user only") << "redis://app@h" << "redis://app@h";
        QTest::newRow("user and password") << "redis://app:hunter2@h/0" << "redis://app:***@h/0";
        QTest::newRow("password only") << "rediss://:hunter2@h" << "rediss://:***@h";
        QTest::newRow("raw / ? in password") << "redis://u:a/b?c@h/0" << "redis://u:***@h/0";
        QTest::newRow("unknown scheme too") << "postgres://u:hunter2@h/db" << "postgres://u:***@h/db";
        QTest::newRow("k8s context kept") << "k8s://a:b@c/ns/configmaps" << "k8s://a:b@c/ns/configmaps";
        QTest::newRow("path with @ kept") << "sqlite:///me@host:x.db" << "sqlite:///me@host:x.db";
        QTest::newRow("one slash") << "redis:/u:PASS@127.0.0.1:16391/0" << "redis:/u:***@127.0.0.1:16391/0";
        QTest::newRow("no slash") << "redis:u:PASS@h/0" << "redis:u:***@h/0";
    }
    void testMask()
    {
        QFETCH(QString, url);
        QFETCH(QString, masked);
        QCOMPARE(maskUrlPassword(url), masked);
    }

    void testLooksLikeUrl_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("url");
        QTest::newRow("scheme") << "redis://h" << true;
        QTest::newRow("opaque") << "sqlite:x.db" << true;
        QTest::newRow("path") << "/x/y.db" << false;
        QTest::newRow("relative") << "state.db" << false;
        QTest::newRow("name") << "dev" << false;
        QTest::newRow("single letter") << "C:/x.db" << false;
    }
    void testLooksLikeUrl()
    {
        QFETCH(QString, text);
        QFETCH(bool, url);
        QCOMPARE(looksLikeStoreUrl(text), url);
    }

    void testFormsListEveryScheme()
    {
        const QString forms = storeUrlForms().join(QLatin1Char('\n'));
        for (const char *scheme : {"sqlite:", "local:", "yaml:", "redis:", "rediss:", "etcd:", "etcds:", "k8s:",
                                   "firebase:", "consul:"})
            QVERIFY2(forms.contains(QLatin1String(scheme)), scheme);
    }
};

QTEST_GUILESS_MAIN(TestConfigUrl)
#include "tst_config_url.moc"
