#pragma once

#include "console/Actions.h"
#include "console/Roles.h"
#include "model/Result.h"

#include <QFuture>

#include <QPointer>
#include <QWidget>

#include <memory>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSortFilterProxyModel;
class QTableView;

namespace sd {
class Provider;
}

namespace sd::console {
class FeedbackModel;
class FilterModel;
class TaskOperations;
class TaskTableModel;
} // namespace sd::console

namespace sd::widgets {

class FeedbackChart;
class Theme;

// The remediation view of one connection: the task table (status coloured,
// iteration n/max, unresolved feedback by severity, age), the selected
// task's feedback history (sortable, filterable) with the whole entry
// beside it, and the tasks.* actions through console::TaskOperations, so
// the GUI accepts and refuses what the TUI does, with the same words.
// Dialogs are window-modal and opened, never exec()'d.
class TasksView : public QWidget {
    Q_OBJECT
public:
    TasksView(Provider *provider, Theme *theme, QWidget *parent = nullptr);
    ~TasksView() override;

    console::TaskTableModel *tasks() const { return m_tasks.get(); }
    console::FeedbackModel *feedback() const { return m_feedback.get(); }
    QTableView *taskTable() const { return m_taskTable; }
    QTableView *feedbackTable() const { return m_feedbackTable; }
    QPlainTextEdit *detail() const { return m_detail; }
    QLineEdit *filter() const { return m_filterEdit; }
    FeedbackChart *chart() const { return m_chart; }

    // The task selected (its ConfigMap name), for the action guards.
    QString currentTask() const;
    bool selectTask(const QString &name);
    console::Selection selection() const;

    // The tasks.* actions on the selected task.
    // Asks "ID [--pr N] [--max-iterations N]", as `statedeckctl task create`.
    void createTask();
    // The task table's filter box, focused with its text selected.
    void focusFilter();
    void increment();
    void addFeedback();
    void resolveFeedback();
    void setStatus();
    void recover();
    void cleanup();
    void reload();

Q_SIGNALS:
    void notify(sd::console::Tone tone, const QString &message, const QString &details = QString());
    void changed();

private:
    void report(QFuture<Result<QString>> outcome);
    void showTask(const QString &name);
    void showDetail();
    void updateChart();

    std::unique_ptr<console::TaskTableModel> m_tasks;
    std::unique_ptr<console::FilterModel> m_taskFilter;
    std::unique_ptr<console::FeedbackModel> m_feedback;
    std::unique_ptr<QSortFilterProxyModel> m_feedbackFilter;
    std::unique_ptr<console::TaskOperations> m_ops;
    QLineEdit *m_filterEdit;
    QLabel *m_status;
    QTableView *m_taskTable;
    QLineEdit *m_feedbackFilterEdit;
    QTableView *m_feedbackTable;
    QPlainTextEdit *m_detail;
    FeedbackChart *m_chart;
};

} // namespace sd::widgets
