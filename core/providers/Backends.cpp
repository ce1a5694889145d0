#include "providers/Backends.h"

#include "providers/kube/KubeProvider.h"
#include "providers/local/LocalProvider.h"
#include "providers/sqlite/SqliteProvider.h"
#include "providers/yaml/YamlProvider.h"

#include <QDir>

#include <functional>

namespace sd {
namespace {

using Factory = std::function<Result<std::unique_ptr<Provider>>(const StoreSpec &)>;

struct Backend {
    const char *name;
    Factory create;
};

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

Result<std::unique_ptr<Provider>> openKubernetes(const StoreSpec &spec)
{
    auto text = [&](const char *name) { return spec.options.value(QString::fromLatin1(name)).toString(); };
    KubeProviderOptions options;
    options.access.context = text("context");
    options.access.kubeconfig = text("kubeconfig");
    options.access.endpoint = text("endpoint");
    options.access.token = text("token").toUtf8();
    options.ns = text("namespace");
    if (text("resource") == QLatin1String("secrets") || !text("secretName").isEmpty()) {
        options.secretName = text("secretName");
        if (options.secretName.isEmpty())
            return Error(ErrorKind::Invalid,
                         QStringLiteral("the kubernetes store of secrets needs option \"secretName\""), spec.origin);
    }
    return std::unique_ptr<Provider>(std::make_unique<KubeProvider>(std::move(options)));
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
             return std::unique_ptr<Provider>(std::make_unique<SqliteProvider>(path));
         }},
        {"local", openLocal},
        {"kubernetes", openKubernetes},
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

Result<std::unique_ptr<Provider>> openProvider(const StoreSpec &spec)
{
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

} // namespace sd
