#pragma once

#include "model/Entry.h"
#include "model/Result.h"

#include <QFuture>
#include <QObject>

#include <chrono>
#include <memory>

namespace sd {

// How a backend learns about changes.
enum class WatchKind { None, Native, Poll, File };

struct Capabilities {
    WatchKind watch = WatchKind::None;
    bool compareAndSwap = false;
    bool ttl = false;
    bool locks = false;
    bool transactions = false;
    bool readOnly = false;
    // A watch can resume from an older store revision (etcd, SQLite's change
    // log, Kubernetes); without history a resume is a Resync.
    bool watchHistory = false;
    // A key's revision changes only when that key is written. False where
    // one revision covers the whole store (a Kubernetes Secret's
    // resourceVersion): every write moves every key's revision, so a
    // compare-and-swap fails when any key changed meanwhile.
    bool perKeyRevisions = true;
    // Bytes of values the store holds in all; 0: no limit beyond kMaxValueBytes
    // per value. A Kubernetes Secret holds at most 1 MiB across its keys.
    qint64 maxStoreBytes = 0;
    // Keys are file names: '/' and the names '.' and '..' are refused.
    bool fileBacked = false;
    // Characters a key may not contain on this backend, besides the rules
    // every backend shares (see validateKey).
    QString forbiddenKeyChars;
    // Where front ends split keys to browse them as a tree ("a/b/c",
    // "app:session:42", "deployment.phase"); the store itself gives it no
    // meaning.
    QString keySeparator = QStringLiteral("/");
    // Values are secrets (Kubernetes Secrets): front ends mask them until the
    // user asks to reveal them, and nothing logs them.
    bool sensitive = false;
    // history() gives a key's earlier values (etcd's MVCC revisions,
    // SQLite's change log); elsewhere it answers Unsupported.
    bool keyHistory = false;
    // putBatch() writes all or nothing: when any item fails, every item of
    // the call fails (the others with Conflict naming the item that did) and
    // nothing is written. False for every backend in this build: a failed
    // item fails alone and the rest are written.
    bool atomicBatch = false;
    // The store keeps structured values (JSON or YAML), not bytes: a text
    // value is stored as a JSON string and a binary one as the JSON string
    // of its base64 text (files of local and yaml, Kubernetes ConfigMaps).
    // Migration and verification compare against what it can hold.
    bool structuredValues = false;
    // Revisions are whole numbers (SQLite and Redis counters, etcd's
    // mod_revision), so one that is not can never match: front ends refuse
    // it as a typo instead of reporting a conflict. Kubernetes
    // resourceVersions are opaque, and file stores use content hashes.
    bool numericRevisions = false;

    // What a store made of plain files offers (local, yaml): file watching
    // without history, CAS and locks under lock files, file-name keys.
    static Capabilities fileStore()
    {
        Capabilities c;
        c.watch = WatchKind::File;
        c.compareAndSwap = true;
        c.locks = true;
        c.fileBacked = true;
        c.forbiddenKeyChars = QStringLiteral("/\\");
        c.structuredValues = true;
        return c;
    }
};

struct ListOptions {
    QString prefix;
    int limit = 500;       // page size; 0 means the backend's default
    QString cursor;        // from a previous ListPage::nextCursor
    bool keysOnly = false; // entries carry key, revision and labels only
    // With keysOnly: the caller reads the keys alone. A backend that pays per
    // key for revision and labels (Redis: TYPE, revision, PTTL) may leave
    // them empty; others fill them as for keysOnly.
    bool namesOnly = false;
};

struct ListPage {
    QList<Entry> entries;
    QString nextCursor; // empty on the last page
    // The store revision the page was read at, for watch(prefix, revision).
    QString revision;
};

// One write of Provider::putBatch.
struct BatchItem {
    Entry entry;
    Precondition precondition; // as for put()
};

// One answer per item, in item order.
struct BatchResult {
    QList<Result<Entry>> results;
    int failed() const; // how many results are errors
};

// A held lock. `fencingToken` grows with every acquisition of the same name,
// so a storage write can refuse a holder that lost the lock without knowing.
struct Lock {
    QString name;
    QString owner;
    quint64 fencingToken = 0;
    QDateTime expires;
};

// A live stream of changes under a prefix. Destroying it stops it.
class Watch : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~Watch() override = default;

Q_SIGNALS:
    // Events arrive in store order. After a Resync, Added events for every
    // current entry follow, then ResyncDone.
    void event(const sd::Event &event);
    // Emitted once, when the watch has fixed its starting point: every change
    // committed after this is delivered. A consumer that writes and then
    // expects to see its own write waits for this (or resumes from a
    // ListPage::revision, where the store keeps history).
    void ready();
    // The store confirmed that every change up to `revision` has been
    // delivered, though none matched lately (etcd's progress notifications).
    // A consumer that saves a resume point may advance it to this.
    void progress(const QString &revision);
    // The connection behind the watch dropped and the watch is retrying
    // (the next attempt at `retryAt`). Front ends show "Reconnecting"; what
    // follows (resumed(), then a resume or a Resync) repairs what was missed.
    void interrupted(const sd::Error &why, const QDateTime &retryAt);
    // Connected again after interrupted(), with nothing missed: changes go
    // on from where they stopped. Where something may have been missed a
    // Resync comes instead (possibly after resumed()), and its ResyncDone
    // marks the return.
    void resumed();
    // The watch stopped for good (it retries transient failures itself).
    void failed(const sd::Error &error);
};

// One backend. Every call returns at once; results arrive through the
// future, on the thread that runs the event loop when chained with
// QFuture::then(context, ...). Implementations keep blocking work (files,
// SQLite) on their own worker thread.
class Provider : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~Provider() override = default;

    // "sqlite", "local", "yaml", ...
    virtual QString scheme() const = 0;
    // Where it points, fit to show a user: never a password or token.
    virtual QString describe() const = 0;
    virtual Capabilities capabilities() const = 0;

    virtual QFuture<Result<ListPage>> list(const ListOptions &options) = 0;
    virtual QFuture<Result<Entry>> get(const QString &key) = 0;
    // Returns the entry as stored, with its new revision.
    virtual QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre) = 0;
    virtual QFuture<Status> remove(const QString &key, const Precondition &pre) = 0;
    // fromRevision empty: changes from now on.
    virtual std::unique_ptr<Watch> watch(const QString &prefix, const QString &fromRevision) = 0;
    virtual QFuture<Result<Lock>> lock(const QString &name, std::chrono::milliseconds ttl) = 0;
    virtual QFuture<Status> unlock(const Lock &lock) = 0;
    // Extends a held lock so it expires `ttl` from now; the fencing token
    // stays. Conflict when the lock is no longer this holder's (it expired
    // and someone else took it, or it was released). Holders of long jobs
    // renew well before the TTL runs out. Default: Unsupported.
    virtual QFuture<Result<Lock>> renew(const Lock &lock, std::chrono::milliseconds ttl);

    // Writes many entries with as few round trips as the backend allows. Each
    // item keeps its own precondition and gets its own answer (a Conflict on
    // one item does not stop the others, unless the backend says otherwise in
    // capabilities().atomicBatch). The default implementation issues put() for
    // each with a bounded number in flight; backends override it natively.
    //
    // Items are applied in order, so a key given twice ends with the later
    // value. Every item is checked as put() checks it, and besides a value
    // over kMaxValueBytes (1 MiB) is refused with TooLarge: an import must
    // not store what StateStore would refuse. A refused or conflicting item
    // fails alone, its Error naming the key. Watches see one event per
    // written item, as for put(). Where capabilities().perKeyRevisions is
    // false, every item's revision precondition is checked against the
    // store's revision before the batch (a batch is one write there). Results arrive on the event loop of the
    // provider's thread, which must be running.
    virtual QFuture<BatchResult> putBatch(const QList<BatchItem> &items);
    // The largest batch the backend takes in one call (e.g. etcd's max txn ops,
    // 128 by default); callers split bigger work. 0 = no limit.
    virtual int maxBatchSize() const;

    // The values `key` has held, newest first, starting with the current
    // one, at most `limit` (at least 1). Each entry's revision is the one it
    // was written at. The history ends where the store stopped keeping it
    // (etcd's compaction, the end of SQLite's change log) and at the key's
    // last deletion: a key deleted and created again shows only its life
    // since. NotFound if the key does not exist now. Stores that keep no
    // history (capabilities().keyHistory false) answer Unsupported; that
    // is the default.
    virtual QFuture<Result<QList<Entry>>> history(const QString &key, int limit);
};

// The rules every backend shares: not empty, no NUL or other control
// characters, at most 1024 bytes of UTF-8; plus the backend's own forbidden
// characters, and for file-backed stores no "." or ".." names.
Status validateKey(const QString &key, const Capabilities &caps);

// What putBatch() checks before writing an item: validateKey and the 1 MiB
// value limit.
Status validateBatchItem(const Entry &entry, const Capabilities &caps);

} // namespace sd
