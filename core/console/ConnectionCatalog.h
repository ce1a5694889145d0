#pragma once

#include "config/StoreSpec.h"
#include "console/Session.h"
#include "model/Result.h"

#include <QList>
#include <QStringList>

#include <memory>

namespace sd::console {

// One place a console can connect to.
struct ConnectionItem {
    enum class Kind {
        Connection,  // a connection of connections.yaml
        KubeContext, // a context of the user's kubeconfig: the ConfigMaps of its namespace
        Embedded,    // the embedded SQLite default store
        Demo,        // the demo's stores (DemoData), once made: "demo", "demo-state", "demo-secrets"
    };
    Kind kind = Kind::Connection;
    QString name;        // the connection's or context's name; "default" for the embedded store
    QString description; // where it points, fit to show (never a password or token)
    QString error;       // why it cannot be opened now; it is listed anyway
    bool current = false; // connections.yaml's `current:`, or the kubeconfig's current-context
    bool readOnly = false;   // connections.yaml's `readOnly: true`
    bool production = false; // `production: true`: destructive actions want the key's name typed
    bool sensitive = false;  // `sensitive: true` (and the demo's secrets): values masked until revealed
    QString color;           // `color: "#rrggbb"`, empty for none

    // Unique across kinds (a connection and a context may share a name):
    // "connection:NAME", "context:NAME", "embedded", "demo:NAME".
    QString id() const;
};

// The connections a console offers, in the order a sidebar or the TUI's
// `:ctx` lists them: connections.yaml's, the kubeconfig's contexts, then the
// embedded default store. A file that does not parse is no reason to offer
// nothing: its error is in errors() and the other sources are listed.
//
// The read-only and production markers and the colour of connections.yaml
// are on ConnectionItem, for a sidebar's badges and a pane's guards.
class ConnectionCatalog {
public:
    struct Sources {
        QString connectionsPath;      // empty: ConnectionsFile::defaultPath()
        QStringList kubeconfigFiles;  // with useKubeconfig: empty means KubeConfig::defaultFiles()
        bool useKubeconfig = true;
        QString demoDirectory;        // empty: DemoData::defaultDirectory()
    };

    static ConnectionCatalog load(const Sources &sources);
    static ConnectionCatalog load() { return load(Sources{}); }

    const QList<ConnectionItem> &items() const { return m_items; }
    const ConnectionItem *find(const QString &id) const;
    // Problems met while listing (a connections.yaml or kubeconfig that does
    // not parse), one sentence each, naming the file.
    const QStringList &errors() const { return m_errors; }
    QString connectionsPath() const { return m_connectionsPath; }
    // Where the demo is (or would be made).
    QString demoDirectory() const { return m_demoDirectory; }

    // The store an item stands for.
    Result<StoreSpec> spec(const ConnectionItem &item) const;
    // Opens a session on it (not started), named after the item.
    Result<std::unique_ptr<Session>> open(const ConnectionItem &item, SessionOptions options = {}) const;

private:
    QList<ConnectionItem> m_items;
    QStringList m_errors;
    QString m_connectionsPath;
    QString m_demoDirectory;
    QStringList m_kubeconfigFiles;
};

} // namespace sd::console
