#pragma once

#include <QString>
#include <QVariantMap>

#include <memory>

namespace sd {

// A store described independently of where the description came from (a
// URL, connections.yaml, a seed 000 worker.yml, a seed 004
// state_management block). Options use the backend's own option names:
//   sqlite: path
//   local:  statePath, keysPath            (seed 000)
//   yaml:   path (the state/ directory), backups (how many to keep)
//   redis:  host, port, database, password (seed 004)
//   kubernetes: namespace, secretName, context (seed 000)
struct StoreSpec {
    QString backend;
    QVariantMap options;
    // Where this spec was read from ("connections.yaml:12", a URL), for errors.
    QString origin;
    // seed 004's `fallback:` backend, used while the primary is unreachable.
    std::shared_ptr<StoreSpec> fallback;
};

} // namespace sd
