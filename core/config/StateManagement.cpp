#include "config/StateManagement.h"

#include "config/ConfigNode.h"
#include "config/StoreOptions.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace sd {
namespace {

struct Key {
    const char *yaml;   // the key in the block
    const char *option; // the StoreSpec option it sets
};

struct Backend {
    const char *name;  // as written in `backend:`
    const char *store; // StoreSpec backend
    std::vector<Key> keys;
};

const std::vector<Backend> &backends()
{
    static const std::vector<Backend> table = {
        {"redis", "redis",
         {{"host", "host"}, {"port", "port"}, {"database", "database"}, {"username", "user"},
          {"password", "password"}, {"tls", "tls"}}},
        {"etcd", "etcd",
         {{"endpoints", "endpoints"}, {"host", nullptr}, {"port", nullptr}, {"username", "user"},
          {"password", "password"}, {"tls", "tls"}}},
        {"consul", "consul",
         {{"host", "host"}, {"port", "port"}, {"token", "token"}, {"datacenter", "datacenter"}, {"tls", "tls"}}},
        {"file", "yaml", {{"path", "path"}, {"backups", "backups"}}},
        {"sqlite", "sqlite", {{"path", "path"}}},
    };
    return table;
}

const Backend *findBackend(const QString &name)
{
    for (const Backend &b : backends())
        if (name == QLatin1String(b.name))
            return &b;
    return nullptr;
}

Error invalid(const QString &message, const QString &where)
{
    return Error(ErrorKind::Invalid, message, where);
}

Result<StoreSpec> buildSpec(const Backend &backend, const ConfigNode &block, const QString &origin,
                            const QString &baseDir, const EnvExpander &env)
{
    StoreSpec spec;
    spec.backend = QString::fromLatin1(backend.store);
    spec.origin = origin;
    const QString name = QString::fromLatin1(backend.name);

    QString etcdHost;
    QString etcdPort;
    QString etcdWhere;
    const ConfigNode *map = block.get(name);
    if (map && !map->isNull()) {
        if (Status s = expectMap(*map, QStringLiteral("\"state_management.%1\"").arg(name)); !s.ok())
            return s.error();
        QStringList accepted;
        for (const Key &k : backend.keys)
            accepted << QString::fromLatin1(k.yaml);
        if (Status s = expectKeys(*map, accepted, QStringLiteral("state_management.%1").arg(name)); !s.ok())
            return s.error();
        for (const ConfigNode &child : map->children) {
            const Key *key = nullptr;
            for (const Key &k : backend.keys)
                if (child.key == QLatin1String(k.yaml))
                    key = &k;
            if (child.key == QLatin1String("endpoints") && child.isSequence()) {
                Result<QVariant> v = storeOptionValue(spec.backend, child, env, baseDir);
                if (!v.ok())
                    return v.error();
                spec.options.insert(QStringLiteral("endpoints"), v.value());
                continue;
            }
            Result<QString> text = env.expand(child);
            if (!text.ok())
                return text.error();
            if (!key->option) { // etcd's host/port: combined below
                (child.key == QLatin1String("host") ? etcdHost : etcdPort) = text->trimmed();
                etcdWhere = child.where();
                continue;
            }
            // The seed writes `password: ""` for "no password"; an empty
            // value of any key means "not set".
            if (text->isEmpty())
                continue;
            Result<QVariant> v =
                storeOptionValue(spec.backend, QString::fromLatin1(key->option), text.value(), baseDir, child.where());
            if (!v.ok())
                return v.error();
            spec.options.insert(QString::fromLatin1(key->option), v.value());
        }
    }

    QVariantMap &o = spec.options;
    if (spec.backend == QLatin1String("redis") || spec.backend == QLatin1String("consul")) {
        if (o.value(QStringLiteral("host")).toString().isEmpty())
            o.insert(QStringLiteral("host"), QStringLiteral("localhost"));
    } else if (spec.backend == QLatin1String("etcd")) {
        const bool hasEndpoints = !o.value(QStringLiteral("endpoints")).toStringList().isEmpty();
        if (hasEndpoints && (!etcdHost.isEmpty() || !etcdPort.isEmpty()))
            return invalid(QStringLiteral("state_management.etcd gives both endpoints and host/port; expected one of "
                                          "them"),
                           etcdWhere);
        if (!hasEndpoints) {
            const QString host = etcdHost.isEmpty() ? QStringLiteral("localhost") : etcdHost;
            const QString port = etcdPort.isEmpty() ? QStringLiteral("2379") : etcdPort;
            bool ok = false;
            const int n = port.toInt(&ok);
            if (!ok || n < 1 || n > 65535)
                return invalid(QStringLiteral("state_management.etcd port \"%1\" is not a port number (1-65535)").arg(port),
                               etcdWhere);
            o.insert(QStringLiteral("endpoints"), QStringList{host + QLatin1Char(':') + port});
        }
    } else if (spec.backend == QLatin1String("yaml")) {
        // k0rdent keeps its state in state/ beside its configuration.
        if (o.value(QStringLiteral("path")).toString().isEmpty())
            o.insert(QStringLiteral("path"), QDir::cleanPath(baseDir + QStringLiteral("/state")));
    }
    if (Status s = finishStoreSpec(spec, origin); !s.ok())
        return s.error();
    return spec;
}

Result<QString> backendName(const ConfigNode &node, const QString &what, const EnvExpander &env)
{
    Result<QString> v = env.expand(node);
    if (!v.ok())
        return v;
    const QString name = v->trimmed();
    if (!findBackend(name))
        return invalid(QStringLiteral("%1 \"%2\" is not supported; expected one of: %3")
                           .arg(what, name, stateManagementBackends().join(QStringLiteral(", "))),
                       node.where());
    return name;
}

} // namespace

QStringList stateManagementBackends()
{
    QStringList names;
    for (const Backend &b : backends())
        names << QString::fromLatin1(b.name);
    return names;
}

Result<StoreSpec> stateManagementSpec(const ConfigNode &block, const QString &baseDir, const EnvExpander &env)
{
    if (Status s = expectMap(block, QStringLiteral("\"state_management\"")); !s.ok())
        return s.error();
    QStringList accepted{QStringLiteral("backend"), QStringLiteral("fallback")};
    accepted << stateManagementBackends();
    if (Status s = expectKeys(block, accepted, QStringLiteral("state_management")); !s.ok())
        return s.error();

    const ConfigNode *backendNode = block.get(QStringLiteral("backend"));
    if (!backendNode || backendNode->isNull())
        return invalid(QStringLiteral("state_management needs \"backend\"; expected one of: %1")
                           .arg(stateManagementBackends().join(QStringLiteral(", "))),
                       block.keyWhere());
    Result<QString> name = backendName(*backendNode, QStringLiteral("state_management backend"), env);
    if (!name.ok())
        return name.error();
    Result<StoreSpec> spec = buildSpec(*findBackend(name.value()), block, backendNode->keyWhere(), baseDir, env);
    if (!spec.ok())
        return spec;

    const ConfigNode *fallbackNode = block.get(QStringLiteral("fallback"));
    if (fallbackNode && !fallbackNode->isNull()) {
        Result<QString> text = env.expand(*fallbackNode);
        if (!text.ok())
            return text.error();
        if (!text->trimmed().isEmpty() && text->trimmed() != QLatin1String("none")) {
            Result<QString> fb = backendName(*fallbackNode, QStringLiteral("state_management fallback"), env);
            if (!fb.ok())
                return fb.error();
            if (fb.value() == name.value())
                return invalid(QStringLiteral("state_management fallback is the same as the backend (\"%1\"); expected "
                                              "another backend, usually file, or none")
                                   .arg(fb.value()),
                               fallbackNode->where());
            Result<StoreSpec> fallback =
                buildSpec(*findBackend(fb.value()), block, fallbackNode->keyWhere(), baseDir, env);
            if (!fallback.ok())
                return fallback;
            spec->fallback = std::make_shared<StoreSpec>(std::move(fallback).value());
        }
    }
    return spec;
}

Result<StoreSpec> parseStateManagement(const QByteArray &yaml, const QString &fileName, const EnvExpander &env)
{
    Result<ConfigNode> root = parseConfigYaml(yaml, fileName);
    if (!root.ok())
        return root.error();
    const ConfigNode *block = root->get(QStringLiteral("state_management"));
    if (!block)
        return invalid(QStringLiteral("no \"state_management:\" block at the top level of the file; expected "
                                      "state_management: { backend: ..., fallback: ... }"),
                       root->where());
    return stateManagementSpec(*block, QFileInfo(fileName).absolutePath(), env);
}

Result<StoreSpec> loadStateManagement(const QString &path, const EnvExpander &env)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error(ErrorKind::Io, QStringLiteral("cannot read the file: %1").arg(f.errorString()), path);
    return parseStateManagement(f.readAll(), path, env);
}

} // namespace sd
