#pragma once

#include "config/ConfigNode.h"
#include "config/EnvExpander.h"
#include "config/StoreSpec.h"
#include "model/Result.h"

#include <QList>
#include <QStringList>

#include <vector>

namespace sd {

// One row of `statedeckctl connections`. Never holds a secret.
struct ConnectionInfo {
    QString name;
    QString backend;     // empty when the connection cannot be resolved now
    QString description; // the connection's own description, else describeStore()
    QString origin;      // where the spec comes from (a URL with *** for the password, file:line:column)
    QString where;       // where the connection is written in connections.yaml
    bool current = false;
    bool readOnly = false; // `readOnly: true`: every write is refused
    bool production = false; // `production: true`: destructive actions want the key's name typed
    bool sensitive = false;  // `sensitive: true`: values are secrets, masked until revealed
    QString color;       // `color: "#rrggbb"`: how front ends mark the connection; empty for none
    QString error;       // why it cannot be resolved now (missing file, unset variable...)
};

// $XDG_CONFIG_HOME/statedeck/connections.yaml (schema in docs/configuration.md):
//
//   current: dev                  # optional: used when no store is named
//   connections:
//     NAME:
//       description: text         # optional
//       # exactly one of:
//       url: STORE-URL-OR-PATH
//       workerConfig: PATH        # a seed 000 worker.yml
//       state_management: {...}   # a seed 004 block, or the PATH of a file holding one
//       backend: NAME             # with options: {...}, as in StoreSpec.h
//       readOnly: true            # optional: every write is refused (StoreSpec::readOnly)
//       production: true          # optional: deletes and restores want the key's name typed
//       sensitive: true           # optional: values are secrets, masked until revealed
//       color: "#c0392b"          # optional: the connection's colour in the front ends
//
// The file's structure is checked when it is loaded; values are expanded
// (${VAR}) and turned into StoreSpecs only when a connection is used, so an
// unset variable in one connection does not break the others. Relative paths
// resolve against the file's directory.
class ConnectionsFile {
public:
    // QStandardPaths::GenericConfigLocation + "/statedeck/connections.yaml".
    static QString defaultPath();

    // A missing file is no error: it has no connections.
    static Result<ConnectionsFile> load(const QString &path = defaultPath());
    static Result<ConnectionsFile> parse(const QByteArray &yaml, const QString &path);

    QString path() const { return m_path; }
    // The `current:` connection's name, empty when none is set.
    QString current() const { return m_current; }
    // Where `current:` is written ("file:line:column"), for errors.
    QString currentWhere() const { return m_currentWhere; }
    QStringList names() const;
    bool contains(const QString &name) const { return find(name) != nullptr; }

    // The store a connection describes; NotFound for an unknown name.
    Result<StoreSpec> spec(const QString &name, const EnvExpander &env = EnvExpander()) const;

    // Every connection, in file order, for `statedeckctl connections`.
    QList<ConnectionInfo> list(const EnvExpander &env = EnvExpander()) const;

private:
    const ConfigNode *find(const QString &name) const;
    // The store a connection's url, workerConfig, state_management or
    // backend describes.
    Result<StoreSpec> storeOf(const ConfigNode *c, const EnvExpander &env) const;

    QString m_path;
    QString m_baseDir;
    QString m_current;
    QString m_currentWhere;
    std::vector<ConfigNode> m_connections;
};

// The store a command works on:
//   - a connection name from `connections`;
//   - else a store URL or bare path (parseStoreUrl, relative to the current
//     directory);
//   - an empty argument: the `current` connection, else the embedded default
//     store: backend "sqlite" with no path option (the sqlite backend picks
//     its default database), origin "default".
Result<StoreSpec> resolveStore(const QString &urlOrConnectionName, const ConnectionsFile &connections,
                               const EnvExpander &env = EnvExpander());

// The same, loading connections.yaml from `connectionsPath` (the default
// path when empty) first.
Result<StoreSpec> resolveStore(const QString &urlOrConnectionName, const QString &connectionsPath = QString(),
                               const EnvExpander &env = EnvExpander());

} // namespace sd
