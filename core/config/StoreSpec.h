#pragma once

#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <memory>

namespace sd {

// A store described independently of where the description came from (a
// URL, connections.yaml, a seed 000 worker.yml, a seed 004
// state_management block). Options use the backend's own option names
// (core/config/StoreOptions.h checks and converts them; docs/configuration.md
// lists them for users):
//   sqlite:     path (absent = the default database)
//   local:      statePath, keysPath                      (seed 000)
//   yaml:       path (the state/ directory), backups (int, how many to keep)
//   redis:      host, port (int), database (int), user, password, tls (bool)   (seed 004)
//   etcd:       endpoints (QStringList of http(s)://host:port), user, password, tls (bool),
//               root (key prefix), cert, key, cacert (PEM paths for TLS)
//   kubernetes: context (absent = current), namespace, resource ("configmaps" | "secrets"),
//               secretName (with secrets: seed 000's one Secret; absent: every Secret),
//               endpoint, token, kubeconfig (a path),   (seed 000)
//               certificateAuthority (a PEM path, PEM or base64 of PEM) and
//               insecureSkipTlsVerify (bool), both only with endpoint
//   firebase:   projectId, databaseUrl
//   consul:     host, port (int), token, datacenter, tls (bool)
// Paths are absolute by the time a spec is built. `password` and `token` are
// secrets: describeStore() and `origin` never show them.
struct StoreSpec {
    QString backend;
    QVariantMap options;
    // Where this spec was read from, for errors: "file:line:column" or the
    // URL with any password masked.
    QString origin;
    // seed 004's `fallback:` backend, used while the primary is unreachable.
    std::shared_ptr<StoreSpec> fallback;
    // `readOnly: true` on a connection (or statedeckctl --read-only):
    // openProvider wraps the provider so that every write is refused.
    bool readOnly = false;
    // `sensitive: true` on a connection: openProvider marks the store's
    // values as secrets (Capabilities::sensitive), masked until revealed,
    // as a Kubernetes Secret's are.
    bool sensitive = false;
    // The connection's name in connections.yaml; empty for a store named by
    // URL or path. A read-only store's refusals name it.
    QString connection;

    // A spec from a backend name and "option=value" words, as test and
    // benchmark programs take them on their command lines.
    static StoreSpec fromOptionWords(const QString &backend, const QStringList &words)
    {
        StoreSpec spec;
        spec.backend = backend;
        spec.origin = backend;
        for (const QString &kv : words)
            spec.options.insert(kv.section(QLatin1Char('='), 0, 0), kv.section(QLatin1Char('='), 1));
        return spec;
    }
};

} // namespace sd
