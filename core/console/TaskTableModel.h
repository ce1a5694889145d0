#pragma once

#include "console/Roles.h"
#include "console/RowTableModel.h"
#include "remediation/RemediationManager.h"

#include <QHash>
#include <QTimer>

#include <memory>
#include <optional>

namespace sd::console {

struct TaskRow {
    remediation::RemediationTask task;
    QMap<QString, int> unresolved; // severity -> unresolved feedback entries
    int feedbackCount = 0;
};

// Every remediation task of a store (seed 002's ConfigMaps and the shipped
// controller's, together), one row each in ConfigMap-name order, kept
// current: by the store's watch (another process's `task inc` shows up on
// its own), by the manager's own writes, and by reload(). Changes arrive as
// row inserts, removals and dataChanged, never a reset.
//
// Columns: task id, PR, status, iteration "n/max", unresolved feedback by
// severity ("1 Critical, 2 Low"), age of the last update, the last update.
// Rows also answer LabelsRole (the ConfigMap's labels), so FilterModel's
// `-l app=remediation-loop` selects on them. Tones: the task and status cells are Error for Failed,
// MaxIterationsReached or Terminated (and a state.json that does not
// parse), Good for Completed, Warning when Critical feedback is unresolved;
// the iteration is Warning at the cap; the unresolved cell Warning with
// unresolved Critical feedback and Muted with none; age and time Muted.
class TaskTableModel : public RowTableModel<TaskRow> {
    Q_OBJECT
public:
    enum Column {
        TaskColumn,
        PrColumn,
        StatusColumn,
        IterationColumn,
        UnresolvedColumn,
        AgeColumn,
        UpdatedColumn,
    };
    enum Roles {
        SchemaRole = FirstCustomRole, // "seed" or "controller"
        UnresolvedRole,               // QVariantMap severity -> count
        FeedbackCountRole,            // int: every feedback entry
        StateErrorRole,               // QString: why state.json cannot be read; empty when it can
    };

    // Neither is owned; both must outlive the model. `manager` is over
    // `provider`.
    TaskTableModel(remediation::RemediationManager *manager, Provider *provider, QObject *parent = nullptr);
    // The same with a manager of its own over `provider` (a front end that
    // only shows tasks has no manager to share).
    explicit TaskTableModel(Provider *provider, QObject *parent = nullptr);
    remediation::RemediationManager *manager() const { return m_manager; }
    ~TaskTableModel() override;

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // Lists every task (the first call also starts watching). Rows that
    // stay keep their place. Call again at will (a "refresh" key).
    void reload();
    bool isLoading() const { return m_loading; }
    bool isLoaded() const { return m_loaded; }
    // The last listing's or watch's failure, until a listing succeeds.
    const std::optional<Error> &error() const { return m_error; }
    // The watch dropped and is reconnecting: the rows may be out of date
    // until it resumes (or its resync completes). A front end says so.
    bool isStale() const { return m_stale; }

    std::optional<remediation::RemediationTask> task(const QString &name) const;
    remediation::RemediationTask taskAt(int row) const { return rows().at(row).task; }

    // Ages are relative to now: the age column is refreshed this often
    // (dataChanged on that column; 10 s by default; 0 stops it).
    void setAgeRefreshInterval(int msecs);
    void refreshAges() { columnChanged(AgeColumn); }

Q_SIGNALS:
    // A listing finished and the rows are the store's.
    void loaded();
    void failed(const sd::Error &error);
    // A task's row appeared or changed; gone.
    void taskUpdated(const sd::remediation::RemediationTask &task);
    void taskRemoved(const QString &name);
    void staleChanged(bool stale);

protected:
    QStringList columnTitles() const override;
    QString rowKey(const TaskRow &row) const override { return row.task.name(); }
    bool sameRow(const TaskRow &a, const TaskRow &b) const override;
    bool rowBefore(const TaskRow &a, const TaskRow &b) const override { return a.task.name() < b.task.name(); }

private:
    void startWatching();
    void onEvent(int watch, const Event &event);
    void listed(Result<QList<remediation::RemediationTask>> tasks);
    void apply(const remediation::RemediationTask &task);
    void applyEntry(const Entry &entry);
    void remove(const QString &name);
    void setStale(bool stale);
    void fetch(const QString &name);
    bool olderThanShown(const remediation::RemediationTask &task) const;
    static TaskRow rowFor(remediation::RemediationTask task);

    std::unique_ptr<remediation::RemediationManager> m_ownManager;
    remediation::RemediationManager *m_manager;
    Provider *m_provider;
    struct WatchState {
        QString prefix;
        std::unique_ptr<Watch> watch;
        bool ready = false;
        bool resyncing = false;
        QSet<QString> seen; // keys the resync listed
    };
    QList<std::shared_ptr<WatchState>> m_watches;
    // Bumped by every change seen for a key: a fetch answers only if no
    // later change came meanwhile.
    QHash<QString, quint64> m_generation;
    QSet<QString> m_dirty; // changed while a listing ran: fetched after it
    std::optional<Error> m_error;
    QTimer m_ageTimer;
    bool m_loading = false;
    bool m_loaded = false;
    bool m_reloadAgain = false;
    bool m_listedBeforeReady = false;
    bool m_stale = false;
};

} // namespace sd::console
