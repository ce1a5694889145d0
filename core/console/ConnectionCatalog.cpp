#include "console/ConnectionCatalog.h"

#include "console/DemoData.h"

#include "config/ConnectionsFile.h"
#include "kube/KubeConfig.h"
#include "providers/sqlite/SqliteProvider.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>

namespace sd::console {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ConnectionCatalog", text);
}

StoreSpec contextSpec(const QString &context, const QStringList &kubeconfigFiles)
{
    StoreSpec spec;
    spec.backend = QStringLiteral("kubernetes");
    spec.origin = QStringLiteral("kubeconfig context %1").arg(context);
    spec.options.insert(QStringLiteral("context"), context);
    spec.options.insert(QStringLiteral("resource"), QStringLiteral("configmaps"));
    // No namespace: the context's own. One file named explicitly is passed
    // on; KUBECONFIG's list is what the provider reads by itself.
    if (kubeconfigFiles.size() == 1)
        spec.options.insert(QStringLiteral("kubeconfig"), kubeconfigFiles.first());
    return spec;
}

} // namespace

QString ConnectionItem::id() const
{
    switch (kind) {
    case Kind::Connection: return QStringLiteral("connection:") + name;
    case Kind::KubeContext: return QStringLiteral("context:") + name;
    case Kind::Embedded: return QStringLiteral("embedded");
    case Kind::Demo: return QStringLiteral("demo:") + name;
    }
    return name;
}

ConnectionCatalog ConnectionCatalog::load(const Sources &sources)
{
    ConnectionCatalog out;
    out.m_connectionsPath =
        sources.connectionsPath.isEmpty() ? ConnectionsFile::defaultPath() : sources.connectionsPath;

    Result<ConnectionsFile> file = ConnectionsFile::load(out.m_connectionsPath);
    if (file.ok()) {
        for (const ConnectionInfo &info : file->list()) {
            ConnectionItem item;
            item.kind = ConnectionItem::Kind::Connection;
            item.name = info.name;
            item.description = info.description;
            item.error = info.error;
            item.current = info.current;
            item.readOnly = info.readOnly;
            item.production = info.production;
            item.sensitive = info.sensitive;
            item.color = info.color;
            out.m_items << item;
        }
    } else {
        out.m_errors << file.error().toString();
    }

    if (sources.useKubeconfig) {
        out.m_kubeconfigFiles =
            sources.kubeconfigFiles.isEmpty() ? kube::KubeConfig::defaultFiles() : sources.kubeconfigFiles;
        if (!out.m_kubeconfigFiles.isEmpty()) {
            Result<kube::KubeConfig> config = kube::KubeConfig::load(out.m_kubeconfigFiles);
            if (config.ok()) {
                for (const QString &context : config->contextNames()) {
                    ConnectionItem item;
                    item.kind = ConnectionItem::Kind::KubeContext;
                    item.name = context;
                    item.description = tr("ConfigMaps of the context's namespace");
                    item.current = context == config->currentContext();
                    out.m_items << item;
                }
            } else {
                out.m_errors << config.error().toString();
            }
        }
    }

    ConnectionItem embedded;
    embedded.kind = ConnectionItem::Kind::Embedded;
    embedded.name = QStringLiteral("default");
    embedded.description =
        tr("embedded SQLite store (%1)").arg(QDir::toNativeSeparators(SqliteProvider::defaultPath()));
    out.m_items << embedded;

    out.m_demoDirectory = sources.demoDirectory.isEmpty() ? DemoData::defaultDirectory() : sources.demoDirectory;
    if (DemoData::exists(out.m_demoDirectory)) {
        ConnectionItem demo;
        demo.kind = ConnectionItem::Kind::Demo;
        demo.name = QStringLiteral("demo");
        demo.description = tr("demo data: keys and remediation tasks (%1)")
                               .arg(QDir::toNativeSeparators(DemoData::storePath(out.m_demoDirectory)));
        out.m_items << demo;
        demo.name = QStringLiteral("demo-state");
        demo.description = tr("demo data: a k0rdent-style YAML state folder (%1)")
                               .arg(QDir::toNativeSeparators(DemoData::stateDirectory(out.m_demoDirectory)));
        out.m_items << demo;
        if (QFile::exists(DemoData::secretsPath(out.m_demoDirectory))) { // demos made before it have none
            demo.name = QStringLiteral("demo-secrets");
            demo.description = tr("demo data: tokens and passwords, masked until revealed (%1)")
                                   .arg(QDir::toNativeSeparators(DemoData::secretsPath(out.m_demoDirectory)));
            demo.sensitive = true;
            out.m_items << demo;
        }
    }
    return out;
}

const ConnectionItem *ConnectionCatalog::find(const QString &id) const
{
    for (const ConnectionItem &item : m_items)
        if (item.id() == id)
            return &item;
    return nullptr;
}

Result<StoreSpec> ConnectionCatalog::spec(const ConnectionItem &item) const
{
    switch (item.kind) {
    case ConnectionItem::Kind::Connection: {
        Result<ConnectionsFile> file = ConnectionsFile::load(m_connectionsPath);
        if (!file.ok())
            return file.error();
        return file->spec(item.name);
    }
    case ConnectionItem::Kind::KubeContext:
        return contextSpec(item.name, m_kubeconfigFiles);
    case ConnectionItem::Kind::Embedded: {
        StoreSpec spec;
        spec.backend = QStringLiteral("sqlite");
        spec.origin = QStringLiteral("default");
        return spec;
    }
    case ConnectionItem::Kind::Demo: {
        StoreSpec spec;
        spec.origin = QStringLiteral("demo");
        if (item.name == QLatin1String("demo-state")) {
            spec.backend = QStringLiteral("yaml");
            spec.options.insert(QStringLiteral("path"), DemoData::stateDirectory(m_demoDirectory));
        } else if (item.name == QLatin1String("demo-secrets")) {
            spec.backend = QStringLiteral("sqlite");
            spec.options.insert(QStringLiteral("path"), DemoData::secretsPath(m_demoDirectory));
            spec.sensitive = true;
        } else {
            spec.backend = QStringLiteral("sqlite");
            spec.options.insert(QStringLiteral("path"), DemoData::storePath(m_demoDirectory));
        }
        return spec;
    }
    }
    return Error(ErrorKind::Internal, QStringLiteral("unknown connection kind"));
}

Result<std::unique_ptr<Session>> ConnectionCatalog::open(const ConnectionItem &item, SessionOptions options) const
{
    Result<StoreSpec> s = spec(item);
    if (!s.ok())
        return s.error();
    return Session::open(s.value(), item.name, std::move(options));
}

} // namespace sd::console
