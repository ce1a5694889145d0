#pragma once

#include "console/Roles.h"
#include "console/RowTableModel.h"
#include "remediation/RemediationTask.h"

#include <QPointer>

namespace sd::console {

class TaskTableModel;

struct FeedbackRow {
    remediation::FeedbackView view;
    // Which entry it is across edits: the controller's id, else comment id
    // and time (what the seed's recover deduplicates on), numbered when
    // repeated.
    QString identity;
};

// One task's feedback history, oldest first, as it is in state.json (either
// schema). Follows the task: a new entry is a row insert, a resolved one a
// dataChanged, entries dropped by the seed's compression row removals.
//
// Columns: time, severity, issue type, description, status ("Open" or
// "Resolved" in the seed's schema; Received, Processing, Resolved, Failed,
// Skipped in the controller's). Tones: severity Error for Critical,
// Warning for High, Muted for Low; status Good when resolved, Muted when
// skipped; time Muted; the description Muted once resolved.
class FeedbackModel : public RowTableModel<FeedbackRow> {
    Q_OBJECT
public:
    enum Column { TimeColumn, SeverityColumn, TypeColumn, DescriptionColumn, StatusColumn };
    enum Roles {
        DetailRole = FirstCustomRole, // QString: every field, several lines, for a detail pane
        IndexRole,                    // int: 1-based position, what `task feedback resolve` takes
        ResolvedRole,                 // bool
        CommentIdRole,                // QString
        AuthorRole,                   // QString
        FeedbackIdRole,               // QString: the controller's entry id; empty in the seed's schema
    };

    explicit FeedbackModel(QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // Shows this task's feedback (rows that stay keep their place).
    void setTask(const remediation::RemediationTask &task);
    // Shows the task named `name` (its ConfigMap name) as `tasks` has it,
    // and keeps following it there; empty until the table has it.
    void follow(TaskTableModel *tasks, const QString &name);
    void clear();

    QString taskName() const { return m_name; }
    // Whether the task is there (false before it is found and after it was
    // deleted).
    bool hasTask() const { return m_hasTask; }

Q_SIGNALS:
    // The task followed was deleted.
    void taskGone();

protected:
    QStringList columnTitles() const override;
    QString rowKey(const FeedbackRow &row) const override { return row.identity; }
    bool sameRow(const FeedbackRow &a, const FeedbackRow &b) const override;

private:
    QPointer<TaskTableModel> m_tasks;
    QMetaObject::Connection m_updated;
    QMetaObject::Connection m_removed;
    QString m_name;
    bool m_hasTask = false;
};

} // namespace sd::console
