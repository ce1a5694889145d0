#pragma once

#include "config/EnvExpander.h"
#include "config/StoreSpec.h"
#include "model/Result.h"

#include <QStringList>

namespace sd {

struct ConfigNode;

// seed 004's `state_management:` block (k0rdent-azure-setup):
//
//   state_management:
//     backend: "redis"   # redis, etcd, consul, file (and sqlite)
//     redis:  { host: localhost, port: 6379, database: 0, password: "", username, tls }
//     etcd:   { endpoints: [host:2379, ...] | "a:2379,b:2379", host, port, username, password, tls }
//     consul: { host: localhost, port: 8500, token, datacenter, tls }
//     file:   { path: <dir of the config file>/state, backups }
//     sqlite: { path }
//     fallback: "file"   # or another backend, or "none"
//
// Backend "file" is StoreSpec backend "yaml" with option path. Every
// per-backend map is optional; its values default as shown. Only the maps of
// `backend` and `fallback` are read (and expanded). Unknown keys are errors
// naming the accepted ones.
QStringList stateManagementBackends();

// Reads a block already parsed; `baseDir` is the directory relative paths
// (and the default file path `state/`) resolve against.
Result<StoreSpec> stateManagementSpec(const ConfigNode &block, const QString &baseDir,
                                      const EnvExpander &env = EnvExpander());

// A YAML file with a top-level `state_management:` key (other keys are the
// file's own business and are ignored).
Result<StoreSpec> loadStateManagement(const QString &path, const EnvExpander &env = EnvExpander());
Result<StoreSpec> parseStateManagement(const QByteArray &yaml, const QString &fileName,
                                       const EnvExpander &env = EnvExpander());

} // namespace sd
