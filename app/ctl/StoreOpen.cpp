#include "StoreOpen.h"

#include "Output.h"
#include "config/ConnectionsFile.h"
#include "util/YamlJson.h"

namespace sd::ctl {

Result<StoreSpec> storeSpecFor(const QString &store, const QString &connection)
{
    if (!store.isEmpty() && !connection.isEmpty())
        return Error(ErrorKind::Invalid, QStringLiteral("give --store or --connection, not both"),
                     QStringLiteral("--connection %1").arg(connection));
    // A URL never needs connections.yaml, so a broken file cannot block it.
    return resolveStore(connection.isEmpty() ? store : connection);
}

int listConnections(Format format)
{
    auto file = ConnectionsFile::load();
    if (!file.ok()) {
        printError(file.error());
        return ExitError;
    }
    const QList<ConnectionInfo> list = file->list(EnvExpander());
    if (format == Format::Json || format == Format::Yaml) {
        Json out = Json::array();
        for (const ConnectionInfo &c : list) {
            Json j{{"name", toStd(c.name)},
                   {"backend", toStd(c.backend)},
                   {"description", toStd(c.description)},
                   {"where", toStd(c.where)},
                   {"current", c.current}};
            if (c.readOnly)
                j["readOnly"] = true;
            if (!c.error.isEmpty())
                j["error"] = toStd(c.error);
            out.push_back(j);
        }
        printOut(format == Format::Yaml ? jsonToYaml(out) : toBytes(out.dump(2)) + '\n');
        return ExitOk;
    }
    if (list.isEmpty()) {
        printOut(QStringLiteral("No connections in %1; the embedded SQLite store is used.\n")
                     .arg(file->path())
                     .toUtf8());
        return ExitOk;
    }
    Table t({QStringLiteral("CURRENT"), QStringLiteral("NAME"), QStringLiteral("BACKEND"), QStringLiteral("WHERE IT POINTS")});
    for (const ConnectionInfo &c : list)
        t.addRow({c.current ? QStringLiteral("*") : QString(), c.name,
                  c.backend.isEmpty() ? QStringLiteral("?") : c.backend,
                  c.error.isEmpty() ? c.description + (c.readOnly ? QStringLiteral(" (read-only)") : QString())
                                    : QStringLiteral("error: ") + c.error});
    t.flush();
    return ExitOk;
}

} // namespace sd::ctl
