#pragma once

#include "config/StoreSpec.h"
#include "model/Result.h"

#include <QStringList>
#include <QVariant>

namespace sd {

struct ConfigNode;
class EnvExpander;

// The backends a configuration may name, in the order help text lists them.
QStringList configBackends();

// The options `backend` accepts (see StoreSpec.h); empty for an unknown backend.
QStringList storeOptionNames(const QString &backend);

// Options whose values are secrets: never printed, logged or put in `origin`.
bool isSecretOption(const QString &name);

// Converts option text to the type the backend expects: ints (port,
// database, backups) checked for range, booleans (tls), lists (endpoints,
// comma-separated), paths made absolute against `baseDir` (the directory of
// the file that named them; the current directory when empty). Errors are
// Invalid, name the option and the expected form, and carry `where`.
Result<QVariant> storeOptionValue(const QString &backend, const QString &name, const QString &text,
                                  const QString &baseDir, const QString &where);

// The same for an option written in YAML: the value is expanded with `env`
// first; a list is accepted where the option is a list (endpoints).
Result<QVariant> storeOptionValue(const QString &backend, const ConfigNode &node, const EnvExpander &env,
                                  const QString &baseDir);

// Fills the defaults a backend implies (redis port 6379 and database 0,
// etcd endpoint URLs, kubernetes resource, firebase databaseUrl from
// projectId...) and checks that what a backend needs is there. `where` names
// the place in errors.
Status finishStoreSpec(StoreSpec &spec, const QString &where);

// "host:port" or "[v6]:port" with an optional port. Errors name `what` and
// `expected`.
struct HostPort {
    QString host;
    int port = 0;
};
Result<HostPort> parseHostPort(const QString &text, int defaultPort, const QString &what, const QString &expected,
                               const QString &where);

// One line for lists and logs: the backend and its options, secrets left out
// ("redis host=db port=6379 database=0 password=***").
QString describeStore(const StoreSpec &spec);

} // namespace sd
