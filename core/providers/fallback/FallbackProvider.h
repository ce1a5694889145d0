#pragma once

#include "config/StoreSpec.h"
#include "providers/Provider.h"
#include "providers/form/KeyForm.h"

#include <QElapsedTimer>
#include <QPromise>

#include <chrono>
#include <memory>

namespace sd {

class SerialWorker;
class WriteJournal;
struct JournalRecord;

// What a replay of the fallback's journal did.
struct ReplayReport {
    int applied = 0;      // written to the primary
    int alreadyThere = 0; // the primary held the journaled value already
    // Records not replayed because the primary changed meanwhile: the key
    // and why. They are kept in the journal's conflicts file.
    QList<std::pair<QString, QString>> conflicts;
    int failed = 0;
};

struct FallbackOptions {
    QString journalPath;
    // While on the fallback, how often an operation first checks whether the
    // primary is back (0: every operation).
    std::chrono::milliseconds probeInterval{5000};
    KeyTranslation keys = KeyTranslation::Auto;
    // A read-only connection: the journal is never replayed (nothing is
    // written to the primary, the journal or its conflicts and lock files);
    // the primary serves while it answers, the fallback while it does not.
    bool readOnly = false;
};

// seed 004's `fallback:` (state_management.fallback: file): a connection
// whose primary store is unreachable keeps working on the fallback store.
//
//   - Every call goes to the primary. When it answers Unavailable or Timeout,
//     the provider switches to the fallback, says so loudly (a warning in the
//     log, fallbackChanged(true, reason) for front ends, onFallback()), and
//     answers from the fallback.
//   - Writes made on the fallback are journaled (WriteJournal): the entry
//     written and what the fallback held before.
//   - While on the fallback, a call first checks (at most every
//     probeInterval) whether the primary answers again; if so the journal is
//     replayed, record by record, as a three-way check: when the primary
//     already holds the journaled value, nothing is written; when it still
//     holds the value the write was based on, the write is applied with the
//     primary's revision as precondition; otherwise the primary changed
//     meanwhile, and the record is reported as a conflict (replayed(),
//     the log, the journal's conflicts file) and not written.
//   - A connection opened with records in its journal (from an earlier
//     process) replays them before its first call.
//   - A read-only one (FallbackOptions::readOnly) never replays: it reads
//     the primary while it answers (without the journaled writes, which a
//     warning in the log says are pending) and the fallback while it does
//     not; replay() answers Forbidden.
// Keys are always in the primary's form; the fallback's are translated with
// translateKey (redis "deployment:phase" is yaml "deployment.phase").
class FallbackProvider : public Provider {
    Q_OBJECT
public:
    FallbackProvider(std::unique_ptr<Provider> primary, std::unique_ptr<Provider> fallback, FallbackOptions options,
                     QObject *parent = nullptr);
    ~FallbackProvider() override;

    Provider *primary() const { return m_primary.get(); }
    Provider *fallback() const { return m_fallback.get(); }
    bool onFallback() const { return m_mode == Mode::Fallback; }
    QString journalPath() const;
    // Checks the primary and replays the journal now. Unavailable when the
    // primary still cannot be reached (the journal is kept).
    QFuture<Result<ReplayReport>> replay();

    QString scheme() const override;
    QString describe() const override;
    Capabilities capabilities() const override;
    QFuture<Result<ListPage>> list(const ListOptions &options) override;
    QFuture<Result<Entry>> get(const QString &key) override;
    QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre) override;
    QFuture<Status> remove(const QString &key, const Precondition &pre) override;
    std::unique_ptr<Watch> watch(const QString &prefix, const QString &fromRevision) override;
    QFuture<Result<Lock>> lock(const QString &name, std::chrono::milliseconds ttl) override;
    QFuture<Status> unlock(const Lock &lock) override;
    QFuture<Result<Lock>> renew(const Lock &lock, std::chrono::milliseconds ttl) override;
    QFuture<Result<QList<Entry>>> history(const QString &key, int limit) override;

    // The journal for a primary and fallback (their describe()):
    // <stateDirectory>/fallback/<first 16 hex of SHA-256(primary, fallback)>.jsonl
    static QString defaultJournalPath(const QString &primary, const QString &fallback);

Q_SIGNALS:
    // Switched to the fallback (active, with why) or back to the primary.
    void fallbackChanged(bool active, const sd::Error &reason);
    void replayed(const sd::ReplayReport &report);

private:
    enum class Mode { Unknown, Primary, Fallback };
    template <typename R>
    QFuture<R> route(std::function<QFuture<R>(bool onFallback)> op);
    QFuture<bool> ensureMode();
    QFuture<bool> waitForTransition();
    void endTransition();
    QFuture<Result<ReplayReport>> replayRecords();
    void probeWithoutReplay();
    void switchToFallback(const Error &reason);
    void switchToPrimary();
    Result<QString> toFallbackKey(const QString &key) const;
    QString fromFallbackKey(const QString &key) const;
    Entry fromFallback(Entry e) const;
    QFuture<Result<Entry>> putOnFallback(const Entry &entry, const Precondition &pre);
    QFuture<Status> removeOnFallback(const QString &key, const Precondition &pre);

    std::unique_ptr<Provider> m_primary;
    std::unique_ptr<Provider> m_fallback;
    FallbackOptions m_options;
    std::unique_ptr<WriteJournal> m_journal;
    std::unique_ptr<SerialWorker> m_worker;
    Mode m_mode = Mode::Unknown;
    QElapsedTimer m_sinceProbe;
    bool m_inTransition = false; // a probe and replay in progress
    QList<std::shared_ptr<QPromise<bool>>> m_waiters;
};

// Opens a spec with a `fallback` as a FallbackProvider (openProvider calls
// this for such specs).
Result<std::unique_ptr<Provider>> openWithFallback(const StoreSpec &spec);

} // namespace sd

Q_DECLARE_METATYPE(sd::ReplayReport)
