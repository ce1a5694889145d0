#include "providers/Backends.h"

#include "providers/etcd/EtcdProvider.h"
#include "providers/fallback/FallbackProvider.h"
#include "providers/firebase/FirebaseProvider.h"
#include "providers/kube/KubeProvider.h"
#include "providers/local/LocalProvider.h"
#include "providers/readonly/ReadOnlyProvider.h"
#include "providers/sensitive/SensitiveProvider.h"
#include "providers/redis/RedisProvider.h"
#include "providers/sqlite/SqliteProvider.h"
#include "providers/yaml/YamlProvider.h"

#include <QDir>
#include <QFileInfo>
#include <QHostAddress>
#include <QUrl>

#include <functional>
#include <utility>

namespace sd {
namespace {

using Factory = std::function<Result<std::unique_ptr<Provider>>(const StoreSpec &)>;

struct Backend {
    const char *name;
    Factory create;
};

Result<std::unique_ptr<Provider>> openRedis(const StoreSpec &spec)
{
    redis::ConnectionOptions options;
    const QVariantMap &o = spec.options;
    options.host = o.value(QStringLiteral("host"), QStringLiteral("127.0.0.1")).toString();
    bool ok = true;
    if (o.contains(QStringLiteral("port")))
        options.port = o.value(QStringLiteral("port")).toInt(&ok);
    if (!ok || options.port <= 0 || options.port > 65535)
        return Error(ErrorKind::Invalid, QStringLiteral("option \"port\" must be a TCP port number"), spec.origin);
    if (o.contains(QStringLiteral("database")))
        options.database = o.value(QStringLiteral("database")).toInt(&ok);
    if (!ok || options.database < 0)
        return Error(ErrorKind::Invalid, QStringLiteral("option \"database\" must be a database number (0, 1, ...)"),
                     spec.origin);
    options.user = o.value(QStringLiteral("user")).toString();
    options.password = o.value(QStringLiteral("password")).toString();
    if (o.contains(QStringLiteral("separator"))) {
        options.separator = o.value(QStringLiteral("separator")).toString();
        if (options.separator.isEmpty())
            return Error(ErrorKind::Invalid,
                         QStringLiteral("option \"separator\" must not be empty (it splits keys into a tree, "
                                        "\":\" by default)"),
                         spec.origin);
    }
    const QVariant tls = o.value(QStringLiteral("tls"));
    const QString tlsText = tls.toString().toLower();
    if (tls.isValid() && (tlsText == QLatin1String("true") || tlsText == QLatin1String("1") ||
                          tlsText == QLatin1String("yes") || tlsText == QLatin1String("on")))
        // Debian's hiredis 0.14 has no TLS support (hiredis_ssl came in 1.0).
        return Error(ErrorKind::Unsupported,
                     QStringLiteral("rediss:// (TLS) needs hiredis 1.0 or newer with hiredis_ssl; this build has "
                                    "hiredis 0.14. Use a TLS tunnel (stunnel, spiped) to a redis:// address"),
                     spec.origin);
    return std::unique_ptr<Provider>(std::make_unique<RedisProvider>(std::move(options)));
}

Result<std::unique_ptr<Provider>> openLocal(const StoreSpec &spec)
{
    LocalOptions options;
    options.statePath = spec.options.value(QStringLiteral("statePath")).toString();
    options.keysPath = spec.options.value(QStringLiteral("keysPath")).toString();
    if (options.statePath.isEmpty())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("the local backend needs the option \"statePath\" (the gate's state file, e.g. "
                                    "/var/lib/k8gate/state.json)"),
                     spec.origin.isEmpty() ? QStringLiteral("statePath") : spec.origin);
    return std::unique_ptr<Provider>(std::make_unique<LocalProvider>(std::move(options)));
}

// endpoints arrive as a list from core/config, or as one comma-separated
// string from `option=value` command lines (tests/helpers/sd-incrementer).
Result<std::unique_ptr<Provider>> openEtcd(const StoreSpec &spec)
{
    EtcdOptions options;
    const QVariant eps = spec.options.value(QStringLiteral("endpoints"));
    const QStringList items = eps.typeId() == QMetaType::QStringList
                                  ? eps.toStringList()
                                  : eps.toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &item : items) {
        QString e = item.trimmed();
        while (e.endsWith(QLatin1Char('/')))
            e.chop(1);
        if (!e.isEmpty())
            options.endpoints << e;
    }
    if (options.endpoints.isEmpty())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("the etcd backend needs option \"endpoints\": http(s)://host:port URLs, e.g. "
                                    "etcd://127.0.0.1:2379"),
                     spec.origin);
    for (const QString &e : options.endpoints)
        if (!e.startsWith(QLatin1String("http://")) && !e.startsWith(QLatin1String("https://")))
            return Error(ErrorKind::Invalid,
                         QStringLiteral("etcd endpoint \"%1\" is not an http:// or https:// URL").arg(e), spec.origin);
    options.user = spec.options.value(QStringLiteral("user")).toString();
    options.password = spec.options.value(QStringLiteral("password")).toString();
    options.root = spec.options.value(QStringLiteral("root")).toString();
    options.certFile = spec.options.value(QStringLiteral("cert")).toString();
    options.keyFile = spec.options.value(QStringLiteral("key")).toString();
    options.caFile = spec.options.value(QStringLiteral("cacert")).toString();
    // Both transports read these files themselves; one they cannot read would
    // otherwise surface only as a failed TLS handshake.
    for (const auto &[option, path] : {std::pair{QStringLiteral("cert"), options.certFile},
                                       std::pair{QStringLiteral("key"), options.keyFile},
                                       std::pair{QStringLiteral("cacert"), options.caFile}}) {
        if (!path.isEmpty() && !QFileInfo(path).isReadable())
            return Error(ErrorKind::Invalid,
                         QStringLiteral("etcd option \"%1\": cannot read the PEM file \"%2\"").arg(option, path),
                         spec.origin);
    }
    if (options.certFile.isEmpty() != options.keyFile.isEmpty())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("etcd options \"cert\" and \"key\" go together: the client certificate and "
                                    "its private key"),
                     spec.origin);
    if (const QVariant ops = spec.options.value(QStringLiteral("max-txn-ops")); ops.isValid()) {
        bool ok = false;
        options.maxTxnOps = ops.toString().toInt(&ok);
        if (!ok || options.maxTxnOps < 1)
            return Error(ErrorKind::Invalid,
                         QStringLiteral("etcd option \"max-txn-ops\" must be a whole number above zero (the "
                                        "server's --max-txn-ops), not \"%1\"")
                             .arg(ops.toString()),
                         spec.origin);
    }
    return std::unique_ptr<Provider>(std::make_unique<EtcdProvider>(std::move(options)));
}

Result<std::unique_ptr<Provider>> openKubernetes(const StoreSpec &spec)
{
    auto text = [&](const char *name) { return spec.options.value(QString::fromLatin1(name)).toString(); };
    KubeProviderOptions options;
    options.access.context = text("context");
    options.access.kubeconfig = text("kubeconfig");
    options.access.endpoint = text("endpoint");
    options.access.token = text("token").toUtf8();
    options.access.certificateAuthority = text("certificateAuthority");
    options.access.insecureSkipTlsVerify = spec.options.value(QStringLiteral("insecureSkipTlsVerify")).toBool();
    options.ns = text("namespace");
    // resource secrets: with secretName seed 000's one Secret, without it
    // every Secret of the namespace.
    options.secretName = text("secretName");
    options.secrets = text("resource") == QLatin1String("secrets");
    return std::unique_ptr<Provider>(std::make_unique<KubeProvider>(std::move(options)));
}

// Seed 000's firebase block gives projectId and databaseUrl; credentials come
// from the options or, as the gate reads them, from the environment.
Result<std::unique_ptr<Provider>> openFirebase(const StoreSpec &spec)
{
    auto text = [&](const char *name) { return spec.options.value(QString::fromLatin1(name)).toString(); };
    auto env = [](const char *name) { return qEnvironmentVariable(name); };
    FirebaseOptions options;
    options.databaseUrl = text("databaseUrl");
    const QString project = text("projectId");
    if (options.databaseUrl.isEmpty() && !project.isEmpty())
        options.databaseUrl = QStringLiteral("https://%1.firebaseio.com").arg(project);
    while (options.databaseUrl.endsWith(QLatin1Char('/')))
        options.databaseUrl.chop(1);
    const QUrl url(options.databaseUrl, QUrl::StrictMode);
    if (options.databaseUrl.isEmpty() || !url.isValid() || url.host().isEmpty()
        || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http")) || !url.path().isEmpty())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("the firebase backend needs option \"databaseUrl\" as "
                                    "https://PROJECT.firebaseio.com, https://NAME.REGION.firebasedatabase.app or "
                                    "http://127.0.0.1:PORT (an emulator), or option \"projectId\""),
                     spec.origin);
    options.ns = text("ns");
    // An emulator on loopback serves every project on one address and tells
    // them apart by ?ns=.
    const QHostAddress host(url.host());
    if (options.ns.isEmpty() && (url.host() == QLatin1String("localhost") || !host.isNull()))
        options.ns = project;
    options.root = text("root");
    options.auth = text("auth");
    options.serviceAccountFile = text("serviceAccount");
    options.clientEmail = text("clientEmail");
    options.privateKey = text("privateKey");
    options.tokenUri = text("tokenUri");
    if (options.serviceAccountFile.isEmpty() && options.clientEmail.isEmpty()) {
        options.clientEmail = env("FIREBASE_CLIENT_EMAIL");
        if (options.privateKey.isEmpty())
            options.privateKey = env("FIREBASE_PRIVATE_KEY");
        if (options.clientEmail.isEmpty() || options.privateKey.isEmpty()) {
            options.clientEmail.clear();
            options.privateKey.clear();
            // A service account comes before auth= (issue 16's order), from
            // the environment too.
            options.serviceAccountFile = env("GOOGLE_APPLICATION_CREDENTIALS");
        }
    }
    if (options.tokenUri.isEmpty())
        options.tokenUri = env("FIREBASE_TOKEN_URI");
    if (!options.clientEmail.isEmpty() && options.privateKey.isEmpty())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("a firebase service account needs its private key too (FIREBASE_PRIVATE_KEY or "
                                    "option \"privateKey\")"),
                     spec.origin);
    if (const QString lockPath = text("lockPath"); !lockPath.isEmpty())
        options.lockPath = lockPath;
    if (const QVariant timeout = spec.options.value(QStringLiteral("timeoutMs")); timeout.isValid()) {
        bool ok = false;
        options.requestTimeoutMs = timeout.toString().toInt(&ok);
        if (!ok || options.requestTimeoutMs < 100)
            return Error(ErrorKind::Invalid,
                         QStringLiteral("firebase option \"timeoutMs\" must be a whole number of milliseconds (at "
                                        "least 100)"),
                         spec.origin);
    }
    for (const QString &segment : options.root.split(QLatin1Char('/'), Qt::SkipEmptyParts)) {
        for (const QChar c : segment) {
            if (!QStringLiteral(".$#[]").contains(c) && c.unicode() >= 0x20 && c.unicode() != 0x7f)
                continue;
            const QString shown = c.unicode() < 0x20 || c.unicode() == 0x7f
                                      ? QStringLiteral("U+%1").arg(c.unicode(), 4, 16, QLatin1Char('0'))
                                      : QString(c);
            return Error(ErrorKind::Invalid,
                         QStringLiteral("the firebase root path \"%1\" may not contain '%2' (Firebase refuses "
                                        ". $ # [ ] and control characters in paths)")
                             .arg(options.root, shown),
                         spec.origin);
        }
    }
    return std::unique_ptr<Provider>(std::make_unique<FirebaseProvider>(std::move(options)));
}

// One row per backend built into this binary.
const std::vector<Backend> &backends()
{
    static const std::vector<Backend> table = {
        {"sqlite",
         [](const StoreSpec &spec) -> Result<std::unique_ptr<Provider>> {
             QString path = spec.options.value(QStringLiteral("path")).toString();
             if (path.isEmpty())
                 path = SqliteProvider::defaultPath();
             else if (path == QLatin1String("~") || path.startsWith(QLatin1String("~/")))
                 path = QDir::homePath() + path.mid(1);
             auto sqlite = std::make_unique<SqliteProvider>(path);
             // A read-only connection's reads must not create the database.
             if (spec.readOnly)
                 sqlite->openReadOnly();
             return std::unique_ptr<Provider>(std::move(sqlite));
         }},
        {"local", openLocal},
        {"etcd", openEtcd},
        {"redis", openRedis},
        {"kubernetes", openKubernetes},
        {"firebase", openFirebase},
        {"yaml",
         [](const StoreSpec &spec) -> Result<std::unique_ptr<Provider>> {
             YamlOptions options;
             options.directory = spec.options.value(QStringLiteral("path")).toString();
             if (options.directory.isEmpty())
                 return Error(ErrorKind::Invalid,
                              QStringLiteral("the yaml backend needs option \"path\": the state/ directory"),
                              spec.origin);
             if (spec.options.contains(QStringLiteral("backups"))) {
                 bool ok = false;
                 options.maxBackups = spec.options.value(QStringLiteral("backups")).toInt(&ok);
                 if (!ok || options.maxBackups < 0)
                     return Error(ErrorKind::Invalid,
                                  QStringLiteral("option \"backups\" must be a whole number of backups to keep "
                                                 "(0 turns them off)"),
                                  spec.origin);
             }
             return std::unique_ptr<Provider>(std::make_unique<YamlProvider>(options));
         }},
    };
    return table;
}

} // namespace

QStringList builtBackends()
{
    QStringList names;
    for (const Backend &b : backends())
        names << QString::fromLatin1(b.name);
    return names;
}

QStringList knownBackends()
{
    return {QStringLiteral("sqlite"), QStringLiteral("local"), QStringLiteral("yaml"), QStringLiteral("kubernetes"),
            QStringLiteral("etcd"), QStringLiteral("redis"), QStringLiteral("firebase"), QStringLiteral("consul")};
}

namespace {

// The provider a spec describes, not yet wrapped read-only (a backend may
// still look at spec.readOnly to open its store read-only too).
Result<std::unique_ptr<Provider>> openBackend(const StoreSpec &spec)
{
    // seed 004's `fallback:`: the primary, backed by the fallback while it
    // cannot be reached; wrapped as a whole. A read-only pair opens its two
    // stores read-only too and never replays its journal into the primary
    // (a read would otherwise write it).
    if (spec.fallback)
        return openWithFallback(spec);
    for (const Backend &b : backends()) {
        if (spec.backend == QLatin1String(b.name))
            return b.create(spec);
    }
    const QString built = builtBackends().join(QStringLiteral(", "));
    if (knownBackends().contains(spec.backend))
        return Error(ErrorKind::Unsupported,
                     QStringLiteral("backend \"%1\" is not available in this build of statedeck; available: %2")
                         .arg(spec.backend, built),
                     spec.origin);
    return Error(ErrorKind::Invalid,
                 QStringLiteral("unknown backend \"%1\"; available: %2").arg(spec.backend, built), spec.origin);
}

} // namespace

Result<std::unique_ptr<Provider>> openProvider(const StoreSpec &spec)
{
    auto opened = openBackend(spec);
    if (opened.ok() && spec.sensitive)
        opened = Result<std::unique_ptr<Provider>>(makeSensitive(std::move(opened).value()));
    if (!opened.ok() || !spec.readOnly)
        return opened;
    const QString name = spec.connection.isEmpty() ? opened.value()->describe() : spec.connection;
    return makeReadOnly(std::move(opened).value(), name);
}

} // namespace sd
