#pragma once

#include "providers/Provider.h"

#include <memory>

namespace sd {

class SerialWorker;
namespace local {
class LocalStore;
}

// seed 000's `state.options.local` block.
struct LocalOptions {
    QString statePath; // e.g. /var/lib/k8gate/state.json
    QString keysPath;  // e.g. /etc/ssh/authorized_keys.d; may be empty
};

// The K8 Container Gate's file layout (see local/LocalStore.h): key `keys`
// in <keysPath>/state.json, any other key K in dirname(statePath)/K.json,
// plus the members of the statePath document when it exists. Revisions are
// content hashes; writes are atomic replaces made under a cross-process
// lock; watches rescan on directory changes.
class LocalProvider : public Provider {
    Q_OBJECT
public:
    explicit LocalProvider(LocalOptions options, QObject *parent = nullptr);
    ~LocalProvider() override;

    QString scheme() const override;
    QString describe() const override;
    Capabilities capabilities() const override;

    QFuture<Result<ListPage>> list(const ListOptions &options) override;
    QFuture<Result<Entry>> get(const QString &key) override;
    QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre) override;
    QFuture<Status> remove(const QString &key, const Precondition &pre) override;
    // Changes made by anyone (the gate, an editor, another statedeck) show
    // up. The starting point is read on the worker before any operation
    // queued after this call, so changes made through this provider after
    // watch() returns are always seen. A non-empty fromRevision always
    // starts with a Resync: files keep no history.
    std::unique_ptr<Watch> watch(const QString &prefix, const QString &fromRevision) override;
    QFuture<Result<Lock>> lock(const QString &name, std::chrono::milliseconds ttl) override;
    QFuture<Status> unlock(const Lock &lock) override;

private:
    LocalOptions m_options;
    std::shared_ptr<const local::LocalStore> m_store;
    // Shared with live watches, which may outlive the provider.
    std::shared_ptr<SerialWorker> m_worker;
};

} // namespace sd
