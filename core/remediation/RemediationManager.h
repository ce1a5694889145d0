#pragma once

#include "providers/Provider.h"
#include "remediation/RemediationOps.h"

#include <QTimer>

#include <chrono>
#include <functional>

namespace sd::remediation {

// How a user names a task: a ConfigMap name, or a task id with an optional
// PR number (controller schema) or schema.
struct TaskRef {
    TaskRef() = default;
    TaskRef(QString taskId, qint64 pr = -1, std::optional<Schema> s = std::nullopt)
        : id(std::move(taskId)), prNumber(pr), schema(s) {}

    QString id;
    qint64 prNumber = -1;
    std::optional<Schema> schema;
};

struct CleanupOptions {
    qint64 retentionSeconds = 7 * 24 * 3600; // the seed's 7 days
    bool dryRun = false;
};

struct CleanupItem {
    QString name;
    QString taskId;
    Schema schema = Schema::Seed;
    QString status;
    QString lastUpdate;
    enum class Action { Deleted, WouldDelete, KeptInProgress, KeptUnreadable, Failed } action = Action::Deleted;
    QString detail; // why kept, or the error
};

struct CleanupReport {
    QList<CleanupItem> items; // only tasks past the retention
    int examined = 0;         // remediation tasks looked at
    int deleted() const;
};

struct RecoverOptions {
    // Replace a state.json that does not parse with a fresh state, after
    // saving the old content to a file in backupDir.
    bool reset = false;
    QString backupDir;
};

struct RecoverResult {
    RemediationTask task;
    RecoveryReport report;
};

// seed 002's StateManager over any provider, Kubernetes ConfigMaps first.
// Every read-modify-write is a compare-and-swap on the entry's revision,
// retried with jittered backoff when another writer got there first, so N
// processes incrementing one task never lose an increment (the seed's
// get-then-apply does). Results arrive on this object's thread.
class RemediationManager : public QObject {
    Q_OBJECT
public:
    explicit RemediationManager(Provider *provider, QObject *parent = nullptr);
    ~RemediationManager() override;

    // How many times a write is retried after losing a race (default 200;
    // 16 writers on one task need well under that).
    void setMaxAttempts(int attempts) { m_maxAttempts = attempts; }

    // Every remediation task in the store, both schemas, in key order.
    QFuture<Result<QList<RemediationTask>>> list();
    QFuture<Result<RemediationTask>> get(const TaskRef &ref);

    // Fails with AlreadyExists when the task is there.
    QFuture<Result<RemediationTask>> create(Schema schema, const QString &taskId, qint64 prNumber = -1,
                                            int maxIterations = 0);
    // A missing task is created first (in the seed's schema unless the ref
    // names a PR), as the seed's increment_iteration does.
    QFuture<Result<RemediationTask>> increment(const TaskRef &ref);
    QFuture<Result<RemediationTask>> addFeedback(const TaskRef &ref, const NewFeedback &feedback);
    QFuture<Result<RemediationTask>> resolveFeedback(const TaskRef &ref, const QString &which,
                                                     const QString &status = {});
    QFuture<Result<RemediationTask>> setStatus(const TaskRef &ref, const QString &status);
    // Validates and repairs; a missing task is created, as the seed does. A
    // state.json that does not parse is reported with its position and left
    // untouched unless options.reset.
    QFuture<Result<RecoverResult>> recover(const TaskRef &ref, const RecoverOptions &options = {});

    // Deletes tasks whose last update is older than the retention, never one
    // InProgress, each under a revision precondition so a task updated
    // meanwhile stays.
    QFuture<Result<CleanupReport>> cleanup(const CleanupOptions &options);
    // Runs cleanup every `interval` (the seed's 6 hours) until stopped or
    // destroyed; each run's report comes as cleanupFinished. A run is
    // skipped while the previous one is still going.
    void startPeriodicCleanup(const CleanupOptions &options, std::chrono::milliseconds interval);
    void stopPeriodicCleanup();

    // What the front ends use to address a task: resolves a ref to the one
    // entry it names, or fails (NotFound, or Invalid when ambiguous).
    QFuture<Result<QString>> resolve(const TaskRef &ref);

Q_SIGNALS:
    void taskChanged(const sd::remediation::RemediationTask &task);
    void cleanupFinished(const sd::remediation::CleanupReport &report);

private:
    using Mutator = std::function<Result<Outcome>(RemediationTask &, const UtcTime &now)>;
    struct Write;
    // Resolves `ref`, then applies `mutate` in a CAS loop. When the task is
    // missing and `createSchema` is set, it starts from a new task.
    QFuture<Result<RemediationTask>> modify(const TaskRef &ref, Mutator mutate, bool createIfMissing);
    void attempt(std::shared_ptr<Write> w);

    Provider *m_provider;
    int m_maxAttempts = 200;
    QTimer m_cleanupTimer;
    bool m_cleanupRunning = false;
};

} // namespace sd::remediation

Q_DECLARE_METATYPE(sd::remediation::RemediationTask)
Q_DECLARE_METATYPE(sd::remediation::CleanupReport)
