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
//
// Rules a user meets:
// - A key's own file wins over a document member of the same name (it is
//   what the gate reads); such an entry carries the label `shadows`. New
//   keys get files of their own. Every entry carries the label `file`.
// - The stem of statePath (`state` for state.json) is reserved: its own file
//   would be the document. A member of that name is still served.
// - Keys are at most 200 bytes (they become file names, plus the temporary
//   name used while writing).
// - A file that does not parse: get fails with Invalid at file:line:column.
//   list and watch show it as an entry with a null value, the label `error`
//   ("file:line:column: message") and the hash of its bytes as revision;
//   a put or remove over it is refused unless that revision is named.
//   A malformed (or non-object) document shows up under the reserved key
//   the same way, and until it is fixed keys without a file of their own
//   can be neither read nor written (they may be its members).
// - Unedited values are written back byte-for-byte; edited ones as
//   JSON.stringify(v, null, 2), keeping the file's trailing-newline habit
//   (new files end with one). A member edit replaces only its own bytes.
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
    QFuture<Result<Lock>> renew(const Lock &lock, std::chrono::milliseconds ttl) override;

private:
    LocalOptions m_options;
    std::shared_ptr<const local::LocalStore> m_store;
    // Shared with live watches, which may outlive the provider.
    std::shared_ptr<SerialWorker> m_worker;
};

} // namespace sd
