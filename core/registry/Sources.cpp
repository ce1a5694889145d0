#include "registry/Sources.h"

#include "config/StoreUrl.h"
#include "util/Duration.h"

namespace sd::registry {
namespace {

std::optional<RedisRegistryOptions> redisFrom(const StoreSpec &spec)
{
    if (spec.backend != QLatin1String("redis"))
        return std::nullopt;
    RedisRegistryOptions r;
    r.connection.host = spec.options.value(QStringLiteral("host"), QStringLiteral("127.0.0.1")).toString();
    r.connection.port = spec.options.value(QStringLiteral("port"), 6379).toInt();
    r.connection.database = spec.options.value(QStringLiteral("database"), 0).toInt();
    r.connection.user = spec.options.value(QStringLiteral("user")).toString();
    r.connection.password = spec.options.value(QStringLiteral("password")).toString();
    return r;
}

} // namespace

Result<RegistryOptions> registryOptionsFor(const QString &args, const StoreSpec *spec)
{
    RegistryOptions o;
    QString prefix = QStringLiteral("xstatenet");
    bool kube = false;
    QString ns;
    for (const QString &word : args.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        if (word.startsWith(QLatin1String("redis://"))) {
            auto url = parseStoreUrl(word);
            if (!url.ok())
                return url.error();
            o.redis = redisFrom(url.value());
        } else if (word == QLatin1String("kube") || word == QLatin1String("k8s")) {
            kube = true;
        } else if (word.startsWith(QLatin1String("ns="))) {
            kube = true;
            ns = word.mid(3);
        } else if (word.startsWith(QLatin1String("prefix="))) {
            prefix = word.mid(7);
        } else if (word.startsWith(QLatin1String("stale="))) {
            auto s = parseDuration(word.mid(6), word);
            if (!s.ok())
                return s.error();
            o.staleAfterMs = std::max<qint64>(1, s.value()) * 1000;
        } else {
            return Error(ErrorKind::Invalid,
                         QStringLiteral("expected redis://HOST:PORT/DB, kube, ns=NAMESPACE, prefix=PREFIX or stale=DURATION"), word);
        }
    }
    if (!o.redis && spec)
        o.redis = redisFrom(*spec);
    if (!o.redis && !qEnvironmentVariableIsEmpty("REDIS_URL")) {
        QString url = qEnvironmentVariable("REDIS_URL");
        if (!url.contains(QLatin1String("://")))
            url = QStringLiteral("redis://") + url;
        auto parsed = parseStoreUrl(url);
        if (parsed.ok())
            o.redis = redisFrom(parsed.value());
    }
    if (o.redis)
        o.redis->prefix = prefix;
    const bool kubeSession = spec && spec->backend == QLatin1String("kubernetes");
    if (kube || kubeSession) {
        kube::AccessRequest req;
        if (kubeSession) {
            req.context = spec->options.value(QStringLiteral("context")).toString();
            req.kubeconfig = spec->options.value(QStringLiteral("kubeconfig")).toString();
            req.endpoint = spec->options.value(QStringLiteral("endpoint")).toString();
            req.token = spec->options.value(QStringLiteral("token")).toString().toUtf8();
            req.certificateAuthority = spec->options.value(QStringLiteral("certificateAuthority")).toString();
            req.insecureSkipTlsVerify = spec->options.value(QStringLiteral("insecureSkipTlsVerify")).toBool();
            if (ns.isEmpty())
                ns = spec->options.value(QStringLiteral("namespace")).toString();
        }
        auto access = kube::resolveAccess(req);
        if (!access.ok())
            return access.error();
        o.kube = access.value();
        o.ns = ns;
    }
    if (!o.redis && !o.kube)
        return Error(ErrorKind::Invalid,
                     QStringLiteral("no registry here: open a Redis or Kubernetes connection, set $REDIS_URL, or give one: "
                        ":machines redis://HOST:PORT/DB [kube] [ns=NAMESPACE]"),
                     QStringLiteral(":machines"));
    return o;
}

} // namespace sd::registry
