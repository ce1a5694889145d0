#pragma once

#include "console/Actions.h"
#include "model/Result.h"

#include <QFuture>

#include <QObject>

#include <memory>

namespace sd::console {
class FeedbackModel;
class FilterModel;
class TaskOperations;
class TaskTableModel;
}

namespace sd {
class Provider;
}

namespace sd::tui {

class App;

// `:tasks`: the remediation task table, a task's feedback history with its
// detail pane, and the tasks.* actions (next iteration, feedback add and
// resolve, status, recover, cleanup) as prompts on the message line. The
// wording and the checks of what is typed are the console layer's
// (TaskOperations), so the GUI refuses the same input the same way.
class TaskScreens : public QObject {
    Q_OBJECT
public:
    TaskScreens(App *app, Provider *provider);
    ~TaskScreens() override;

    void show();
    // Runs a tasks.* action on `selection` (a task's ConfigMap name), or on
    // `argument` when the `:` command named one.
    void run(const console::Action &action, const console::Selection &selection, const QString &argument);

private:
    void increment(const QString &task);
    void addFeedback(const QString &task);
    void resolve(const QString &task, const QString &which);
    void setStatus(const QString &task);
    void recover(const QString &task);
    void cleanup(const QString &retention);
    void create(const QString &line);
    void showFeedback(const QString &task);
    // Shows the outcome of a write on the message line.
    void report(QFuture<Result<QString>> outcome);
    // The selected feedback entry's number when the feedback view is on top.
    QString selectedFeedback() const;

    App *m_app;
    std::unique_ptr<console::TaskTableModel> m_tasks;
    std::unique_ptr<console::FilterModel> m_filter;
    std::unique_ptr<console::FeedbackModel> m_feedback;
    std::unique_ptr<console::TaskOperations> m_ops;
};

} // namespace sd::tui
