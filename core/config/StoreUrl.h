#pragma once

#include "config/StoreSpec.h"
#include "model/Result.h"

#include <QStringList>

namespace sd {

// Parses a store URL (or a bare path) into a StoreSpec:
//
//   sqlite:///abs/path.db            sqlite:relative/path.db
//   local:///var/lib/k8gate/state.json[?keysPath=/etc/ssh/authorized_keys.d]
//   yaml:///srv/state[?backups=N]
//   redis://[user:password@]host[:port][/db]        rediss://... (TLS)
//   etcd://host[:port][,host2[:port]...][?root=/prefix]   etcds://...  (TLS)
//   k8s://CONTEXT/NAMESPACE/configmaps              (empty CONTEXT = current context)
//   k8s://CONTEXT/NAMESPACE/secrets                 (every Secret, one entry each)
//   k8s://CONTEXT/NAMESPACE/secrets/NAME            (seed 000's one Secret)
//   firebase://PROJECT.firebaseio.com[/root/path]   firebase://NAME.REGION.firebasedatabase.app[/root]
//   firebase://127.0.0.1:PORT[/root]?ns=NAME[&tls=false]   (an emulator; plain HTTP unless tls=true)
//   consul://host[:port]                            consuls://... (TLS)
//
// A bare path works too: *.db, *.sqlite, *.sqlite3 -> sqlite; *.json -> local
// (statePath); an existing directory -> yaml. Relative paths resolve against
// `baseDir` (the current directory when empty). Percent-encoding is decoded
// in user, password, paths and query values.
//
// The spec's origin is the URL with any password replaced by "***".
// Malformed input is Invalid, names the wrong part and the expected form, and
// never repeats a password.
Result<StoreSpec> parseStoreUrl(const QString &url, const QString &baseDir = QString());

// True when `text` starts with a URL scheme ("name:"), known or not, rather
// than being a path. Single letters are not schemes.
bool looksLikeStoreUrl(const QString &text);

// The URL with the password of its user info replaced by "***".
QString maskUrlPassword(const QString &url);

// The accepted forms, one per line, for help and error text.
QStringList storeUrlForms();

} // namespace sd
