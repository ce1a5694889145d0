#pragma once

#include "providers/Provider.h"

#include <memory>

namespace sd {

namespace sqlite {
struct Shared;
}

// The embedded default store: one SQLite file in WAL mode.
//
// Revisions are one store-wide counter: every put or remove takes the next
// one (like etcd's mod_revision) and an entry's revision is that of its last
// write. Every write is also appended to a bounded change log, so a watch can
// resume from a past revision as long as the log still reaches back that far;
// otherwise it gets a Resync. A watch sees events with a revision greater
// than the one it was given (the revision of a ListPage or of the last event
// it handled). Keys sort by their UTF-8 bytes; a list page holds at most
// 10,000 entries whatever the limit asks for.
//
// Several providers, in this process or others, may share one file: writers
// serialise on SQLite's write lock, so preconditions hold across processes.
class SqliteProvider : public Provider {
    Q_OBJECT
public:
    // No I/O happens here; the first operation opens the file, creating it,
    // its directory and the schema as needed.
    explicit SqliteProvider(QString path, QObject *parent = nullptr);
    ~SqliteProvider() override;

    // $XDG_DATA_HOME/statedeck/state.db
    static QString defaultPath();

    static constexpr int kDefaultHistoryLimit = 10000;

    QString path() const;

    // Opens the file read-only from the first operation on (a read-only
    // connection; call before any): reads write nothing, not even a missing
    // database (NotFound) or its schema. Writes fail at SQLite as well as at
    // the ReadOnlyProvider around it.
    void openReadOnly();

    // How many changes the log keeps for watches to resume from. Older ones
    // are compacted away as writes happen. Tests lower it to reach compaction
    // without writing thousands of entries.
    void setHistoryLimit(int changes);

    // How often watches created afterwards look for changes made by other
    // processes (200 ms by default). Writes through any SqliteProvider of
    // this process on the same file wake them at once regardless.
    void setPollInterval(std::chrono::milliseconds interval);

    QString scheme() const override;
    QString describe() const override;
    Capabilities capabilities() const override;

    QFuture<Result<ListPage>> list(const ListOptions &options) override;
    QFuture<Result<Entry>> get(const QString &key) override;
    QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre) override;
    QFuture<Status> remove(const QString &key, const Precondition &pre) override;
    // One write transaction per call on the worker thread: preconditions are
    // checked per item inside it; an item that fails gets its Conflict or
    // AlreadyExists and the rest commit. Each written item takes its own
    // revision and change-log row, as a put would. No size limit per call.
    QFuture<BatchResult> putBatch(const QList<BatchItem> &items) override;
    std::unique_ptr<Watch> watch(const QString &prefix, const QString &fromRevision) override;
    QFuture<Result<Lock>> lock(const QString &name, std::chrono::milliseconds ttl) override;
    QFuture<Status> unlock(const Lock &lock) override;
    QFuture<Result<Lock>> renew(const Lock &lock, std::chrono::milliseconds ttl) override;
    // From the change log, which keeps values: the current entry and its
    // earlier values still in the log (the last 10,000 changes of the whole
    // store, at most 64 MiB), back to the key's last deletion.
    QFuture<Result<QList<Entry>>> history(const QString &key, int limit) override;

private:
    // Shared with the watches, which may outlive the provider.
    std::shared_ptr<sqlite::Shared> m_shared;
};

} // namespace sd
