#pragma once

#include "config/EnvExpander.h"
#include "config/StoreSpec.h"
#include "model/Result.h"

#include <QStringList>

namespace sd {

// A seed 000 (k8-container-gate) worker.yml, reduced to the store it uses.
//
// With a `state:` block, `state.provider` (kubernetes | firebase | local)
// and `state.options.<provider>` decide, as in the seed:
//   kubernetes: secretName (default k8-container-gate-keys), namespace,
//               context, endpoint, token, certificateAuthority,
//               insecureSkipTlsVerify
//   firebase:   projectId, databaseUrl
//   local:      statePath (default /var/lib/k8gate/state.json),
//               keysPath (default /etc/ssh/authorized_keys.d)
// Without one (the gate's real worker.yml files), settings come from the
// gate's environment variables, each looked up first in `config.env` (its
// value expanded) and then in the process environment:
//   STATE_PROVIDER (default kubernetes);
//   kubernetes: KUBERNETES_CLUSTER_NAMESPACE, and when resolvable
//               KUBERNETES_CLUSTER_CONTEXT, _ENDPOINT, _USER_TOKEN,
//               _CERTIFICATE (certificateAuthority);
//   firebase:   FIREBASE_PROJECT_ID, FIREBASE_DATABASE_URL;
//   local:      CONTROLLER_KEYS_PATH (statePath), DIRECTORY_KEYS_BASE (keysPath).
// Only values that build the StoreSpec are expanded: an unset variable in an
// unrelated `config.env` entry, or in the options of a provider not chosen,
// is no error. Relative paths resolve against the worker.yml's directory.
struct WorkerConfig {
    QString path;        // the file read
    QString kind;        // "workerConfig", or empty for a bare `state:` document
    QString version;     // e.g. "udx.io/worker-v1/config"
    QString provider;    // kubernetes | firebase | local
    bool hasStateBlock = false;
    StoreSpec store;
    // Things that did not stop the load but that a user may want to fix
    // (ignored keys, optional settings whose variables are unset).
    QStringList warnings;
};

// The providers a worker.yml may name.
QStringList workerProviders();

Result<WorkerConfig> loadWorkerConfig(const QString &path, const EnvExpander &env = EnvExpander());
// `fileName` is used in errors and to resolve relative paths.
Result<WorkerConfig> parseWorkerConfig(const QByteArray &yaml, const QString &fileName,
                                       const EnvExpander &env = EnvExpander());

} // namespace sd
