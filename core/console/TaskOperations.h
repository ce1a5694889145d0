#pragma once

#include "remediation/RemediationManager.h"

#include <QObject>

namespace sd::console {

// What a front end does to remediation tasks (the action table's tasks.*),
// with what the user typed checked and spelled as the schema spells it
// first, and each outcome worded once as a line a person reads. The GUI's
// task view and the TUI's :tasks run these, so both accept and refuse the
// same input with the same words. Tasks are named by ConfigMap name.
class TaskOperations : public QObject {
    Q_OBJECT
public:
    // `manager` is not owned and must outlive this.
    explicit TaskOperations(remediation::RemediationManager *manager, QObject *parent = nullptr);

    enum class Field { Status, Severity, IssueType, FeedbackStatus };
    static QString fieldName(Field field); // "status", "severity", ...
    // What a prompt offers for a field of a task in `schema`.
    static QStringList choices(Field field, remediation::Schema schema);
    // The choice the user meant: any case, or an unambiguous beginning
    // ("crit" is Critical). Invalid, naming the field and listing the
    // choices, otherwise.
    static Result<QString> canonical(Field field, remediation::Schema schema, const QString &typed);
    // The schema a task's ConfigMap name says; the seed's when it says none.
    static remediation::Schema schemaOf(const QString &task);
    // The controller's feedback carries the PR comment it came from (a
    // number); the seed's may leave it empty.
    static bool needsCommentId(remediation::Schema schema) { return schema == remediation::Schema::Controller; }

    // `:create` and `statedeckctl task create`: "ID [--pr N] [--max-iterations
    // N]". A PR number means the controller's schema; a ConfigMap name
    // (task-ops-state) says its own schema and PR.
    struct NewTask {
        QString id;
        std::optional<remediation::Schema> schema;
        qint64 prNumber = -1;
        int maxIterations = 0;
    };
    // Invalid, naming the word, for anything else.
    static Result<NewTask> parseNewTask(const QString &line);

    // Each answers the line to show: "task-42-state: iteration 4 of 10,
    // InProgress". Errors are the manager's (MaxIterationsReached, Conflict
    // after the retries, ValidationError), or Invalid for typed input.
    // A new task; AlreadyExists when it is there. The seed's schema has a
    // fixed cap of 10 iterations, so a maximum needs the controller's.
    QFuture<Result<QString>> create(const NewTask &task);
    QFuture<Result<QString>> increment(const QString &task);
    QFuture<Result<QString>> addFeedback(const QString &task, remediation::NewFeedback feedback);
    // `which`: an entry's 1-based index, id or comment id. `status` (the
    // controller's schema only) defaults to Resolved.
    QFuture<Result<QString>> resolveFeedback(const QString &task, const QString &which, const QString &status = {});
    QFuture<Result<QString>> setStatus(const QString &task, const QString &status);
    // Repairs what validation can repair. A state.json that does not parse
    // fails with reason DeserializationError and stays untouched unless
    // `reset`, which replaces it after saving it to backupDirectory().
    QFuture<Result<QString>> recover(const QString &task, bool reset);
    // Tasks past `retentionSeconds` since their last update, never one
    // InProgress. A front end previews (dryRun) and asks before deleting.
    QFuture<Result<remediation::CleanupReport>> cleanup(qint64 retentionSeconds, bool dryRun);

    // One line per task the cleanup looked at past the retention, and the
    // summary: "2 of 7 tasks would be deleted; nothing was changed".
    static QStringList cleanupLines(const remediation::CleanupReport &report);
    static QString cleanupSummary(const remediation::CleanupReport &report, bool dryRun);
    static QString cleanupActionText(remediation::CleanupItem::Action action);
    static int wouldDelete(const remediation::CleanupReport &report);

    // Where recover --reset saves an unreadable state first (under
    // $XDG_STATE_HOME/statedeck), shared with statedeckctl.
    static QString backupDirectory();

private:
    QFuture<Result<QString>> worded(QFuture<Result<remediation::RemediationTask>> write, const QString &what);

    remediation::RemediationManager *m_manager;
};

} // namespace sd::console
