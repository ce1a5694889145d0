#pragma once

#include "model/Result.h"

#include <QFuture>
#include <QObject>
#include <QString>

#include <memory>

namespace sd {
class Provider;
}

namespace sd::console {

// The demo offered to a first-time user, so every view has something to
// show: stores of its own in a folder of its own, never the user's default
// store. Three connections (ConnectionCatalog lists them once the folder
// exists):
//   - "demo": a SQLite store with nested keys (app/web/config, db/primary,
//     sessions/…, labels on some), remediation tasks in seed 002's and the
//     controller's shapes with feedback history, and a key with history;
//   - "demo-state": a k0rdent-style `state/` folder of YAML files
//     (deployment-state.yaml, azure-state.yaml, events), as seed 004's
//     scripts write them, with their comments;
//   - "demo-secrets": a SQLite store marked sensitive (StoreSpec::sensitive),
//     tokens and passwords a front end masks until revealed, as it does a
//     Kubernetes Secret's.
// Made once; made again only after the folder is removed.
class DemoData : public QObject {
    Q_OBJECT
public:
    // $XDG_DATA_HOME/statedeck/demo.
    static QString defaultDirectory();
    static QString storePath(const QString &directory);
    static QString stateDirectory(const QString &directory);
    static QString secretsPath(const QString &directory);
    // Whether a demo was made there (its store exists).
    static bool exists(const QString &directory);

    // Writes the demo into `directory` (created). Invalid when a demo is
    // there already; the store's own errors otherwise, and then nothing is
    // left half-made: the folder is removed again.
    static QFuture<Status> create(const QString &directory);
};

} // namespace sd::console
