#include "TaskScreens.h"

#include "App.h"
#include "Views.h"
#include "console/FeedbackModel.h"
#include "console/FilterModel.h"
#include "console/TaskOperations.h"
#include "console/TaskTableModel.h"
#include "util/Duration.h"

#include <QCoreApplication>

namespace sd::tui {

using console::Tone;
using console::TaskOperations;
using Field = console::TaskOperations::Field;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("TUI", text);
}

// Asks for one of a field's choices; what is not one is said on the
// message line and asked again, with the text typed kept.
void askChoice(App *app, const QString &task, Field field, const QString &initial,
               std::function<void(const QString &)> done)
{
    const remediation::Schema schema = TaskOperations::schemaOf(task);
    const QString prompt = tr("%1 (%2): ")
                               .arg(TaskOperations::fieldName(field),
                                    TaskOperations::choices(field, schema).join(QStringLiteral(", ")));
    app->askText(prompt, [app, task, field, done](const QString &typed) {
        const Result<QString> spelled = TaskOperations::canonical(field, TaskOperations::schemaOf(task), typed);
        if (!spelled.ok()) {
            app->message(spelled.error().message, Tone::Error);
            askChoice(app, task, field, typed, done);
            return;
        }
        done(spelled.value());
    }, initial);
}

} // namespace

TaskScreens::TaskScreens(App *app, Provider *provider)
    : m_app(app), m_tasks(std::make_unique<console::TaskTableModel>(provider)),
      m_filter(std::make_unique<console::FilterModel>()), m_feedback(std::make_unique<console::FeedbackModel>()),
      m_ops(std::make_unique<TaskOperations>(m_tasks->manager()))
{
    m_filter->setSourceModel(m_tasks.get());
    for (QAbstractItemModel *m : std::initializer_list<QAbstractItemModel *>{m_filter.get(), m_feedback.get()}) {
        connect(m, &QAbstractItemModel::rowsInserted, app, &App::scheduleRepaint);
        connect(m, &QAbstractItemModel::rowsRemoved, app, &App::scheduleRepaint);
        connect(m, &QAbstractItemModel::dataChanged, app, &App::scheduleRepaint);
        connect(m, &QAbstractItemModel::modelReset, app, &App::scheduleRepaint);
    }
    connect(m_tasks.get(), &console::TaskTableModel::failed, this,
            [this](const Error &e) { m_app->message(e.toString(), Tone::Error); });
    connect(m_tasks.get(), &console::TaskTableModel::staleChanged, app, &App::scheduleRepaint);
    m_tasks->reload();
}

TaskScreens::~TaskScreens() = default;

void TaskScreens::show()
{
    using C = console::TaskTableModel;
    m_app->push(std::make_unique<ModelView>(
        m_app, m_filter.get(), QStringLiteral("tasks"), tr("tasks"),
        QList<int>{C::TaskColumn, C::StatusColumn, C::IterationColumn, C::UnresolvedColumn, C::AgeColumn},
        QList<int>{-1, 18, 9, 16, 5},
        [this]() -> QString {
            QString s = tr("%1 tasks").arg(m_tasks->rowCount());
            if (m_tasks->isLoading())
                s += tr(", listing");
            if (m_tasks->isStale())
                s += tr(", STALE: the watch is down");
            return s;
        },
        [this](const QModelIndex &i) { showFeedback(m_filter->data(i, console::KeyRole).toString()); }));
}

void TaskScreens::showFeedback(const QString &task)
{
    m_feedback->follow(m_tasks.get(), task);
    using F = console::FeedbackModel;
    m_app->push(std::make_unique<ModelView>(
        m_app, m_feedback.get(), QStringLiteral("tasks"), tr("feedback %1").arg(task),
        QList<int>{F::TimeColumn, F::SeverityColumn, F::DescriptionColumn, F::StatusColumn},
        QList<int>{19, 9, -1, 9}, [this]() -> QString { return tr("%1 entries").arg(m_feedback->rowCount()); },
        [this, task](const QModelIndex &f) {
            // The whole entry: a long description goes on over the next rows.
            auto detail = std::make_unique<TextView>(
                m_app, QStringLiteral("help"), tr("feedback of %1").arg(task),
                m_feedback->data(f, console::FeedbackModel::DetailRole).toString().split(QLatin1Char('\n')));
            detail->setWrap(true);
            m_app->push(std::move(detail));
        }));
}

QString TaskScreens::selectedFeedback() const
{
    auto *view = dynamic_cast<ModelView *>(m_app->top());
    if (!view || view->model() != m_feedback.get() || !view->currentIndex().isValid())
        return {};
    return QString::number(m_feedback->data(view->currentIndex(), console::FeedbackModel::IndexRole).toInt());
}

void TaskScreens::run(const console::Action &action, const console::Selection &selection, const QString &argument)
{
    const QString id = action.id;
    if (id == QLatin1String("tasks.cleanup"))
        return cleanup(argument);
    if (id == QLatin1String("tasks.create"))
        return create(argument);
    // A `:` command may name the task; a key works on the selected row.
    QString task = selection.key;
    QString rest;
    if (!argument.isEmpty()) {
        task = argument.section(QLatin1Char(' '), 0, 0);
        rest = argument.section(QLatin1Char(' '), 1).trimmed();
    }
    if (task.isEmpty())
        return m_app->message(tr("%1: select a task first, or name it: :%2 TASK").arg(action.label, action.command),
                              Tone::Warning);
    if (id == QLatin1String("tasks.open"))
        showFeedback(task);
    else if (id == QLatin1String("tasks.increment"))
        increment(task);
    else if (id == QLatin1String("tasks.feedback"))
        addFeedback(task);
    else if (id == QLatin1String("tasks.resolve"))
        resolve(task, rest.isEmpty() ? selectedFeedback() : rest);
    else if (id == QLatin1String("tasks.status"))
        setStatus(task);
    else if (id == QLatin1String("tasks.recover"))
        recover(task);
}

void TaskScreens::report(QFuture<Result<QString>> outcome)
{
    m_app->message(tr("writing..."), Tone::Muted);
    outcome.then(this, [this](Result<QString> r) {
        if (!r.ok())
            return m_app->message(r.error().toString(), Tone::Error);
        m_app->message(r.value(), Tone::Good);
    });
}

void TaskScreens::increment(const QString &task)
{
    report(m_ops->increment(task));
}

void TaskScreens::addFeedback(const QString &task)
{
    askChoice(m_app, task, Field::Severity, QString(), [this, task](const QString &severity) {
        askChoice(m_app, task, Field::IssueType, QString(), [this, task, severity](const QString &type) {
            m_app->askText(tr("Description: "), [this, task, severity, type](const QString &description) {
                remediation::NewFeedback f;
                f.author = qEnvironmentVariable("USER", QStringLiteral("statedeck"));
                f.severity = severity;
                f.issueType = type;
                f.description = description.trimmed();
                if (!TaskOperations::needsCommentId(TaskOperations::schemaOf(task)))
                    return report(m_ops->addFeedback(task, f));
                m_app->askText(tr("PR comment id (a number): "), [this, task, f](const QString &comment) mutable {
                    f.commentId = comment.trimmed();
                    report(m_ops->addFeedback(task, f));
                });
            });
        });
    });
}

void TaskScreens::resolve(const QString &task, const QString &which)
{
    auto go = [this, task](const QString &entry) {
        if (TaskOperations::schemaOf(task) == remediation::Schema::Controller)
            askChoice(m_app, task, Field::FeedbackStatus, QStringLiteral("Resolved"),
                      [this, task, entry](const QString &status) {
                          report(m_ops->resolveFeedback(task, entry, status));
                      });
        else
            m_app->ask(tr("Mark feedback %1 of %2 resolved? [y/N] ").arg(entry, task), [this, task, entry](bool yes) {
                if (yes)
                    report(m_ops->resolveFeedback(task, entry));
                else
                    m_app->message(tr("nothing changed"), Tone::Muted);
            });
    };
    if (!which.isEmpty())
        return go(which);
    m_app->askText(tr("Resolve which feedback of %1 (its number, id or comment id): ").arg(task),
                   [go](const QString &typed) {
                       if (!typed.trimmed().isEmpty())
                           go(typed.trimmed());
                   });
}

void TaskScreens::setStatus(const QString &task)
{
    const auto current = m_tasks->task(task);
    askChoice(m_app, task, Field::Status, current ? current->status() : QString(),
              [this, task](const QString &status) { report(m_ops->setStatus(task, status)); });
}

void TaskScreens::recover(const QString &task)
{
    m_app->message(tr("checking %1...").arg(task), Tone::Muted);
    m_ops->recover(task, false).then(this, [this, task](Result<QString> r) {
        if (r.ok())
            return m_app->message(r.value(), Tone::Good);
        if (r.error().reason != remediation::reason::deserialization)
            return m_app->message(r.error().toString(), Tone::Error);
        // Replacing unreadable state loses what is in it (a backup is
        // kept), so the name is typed, as for a delete.
        m_app->message(r.error().toString(), Tone::Error);
        m_app->askText(tr("Reset %1, saving its old text first? Type the name: ").arg(task),
                       [this, task](const QString &typed) {
                           if (typed.trimmed() != task)
                               return m_app->message(tr("left untouched: the name typed was not %1").arg(task),
                                                     Tone::Muted);
                           report(m_ops->recover(task, true));
                       });
    });
}

void TaskScreens::create(const QString &line)
{
    if (line.trimmed().isEmpty()) {
        // The key: the same words as the command, asked for.
        m_app->askText(tr("New task: ID [--pr N] [--max-iterations N]: "), [this](const QString &typed) {
            if (!typed.trimmed().isEmpty())
                create(typed);
        });
        return;
    }
    const Result<TaskOperations::NewTask> task = TaskOperations::parseNewTask(line);
    if (!task.ok())
        return m_app->message(task.error().toString(), Tone::Error);
    m_app->message(tr("writing..."), Tone::Muted);
    m_ops->create(task.value()).then(this, [this](Result<QString> r) {
        if (!r.ok())
            return m_app->message(r.error().toString(), Tone::Error);
        m_app->message(r.value(), Tone::Good);
        m_tasks->reload();
    });
}

void TaskScreens::cleanup(const QString &retention)
{
    const QString text = retention.isEmpty() ? QStringLiteral("7d") : retention;
    const Result<qint64> seconds = parseDuration(text, QStringLiteral(":cleanup %1").arg(text));
    if (!seconds.ok())
        return m_app->message(seconds.error().toString(), Tone::Error);
    m_app->message(tr("looking for tasks not updated for %1...").arg(text), Tone::Muted);
    // A preview first: what would go, then one question.
    m_ops->cleanup(seconds.value(), true).then(this, [this, seconds, text](Result<remediation::CleanupReport> r) {
        if (!r.ok())
            return m_app->message(r.error().toString(), Tone::Error);
        const int count = TaskOperations::wouldDelete(r.value());
        QStringList lines{tr("Tasks not updated for %1 (InProgress ones are always kept):").arg(text), QString()};
        lines << TaskOperations::cleanupLines(r.value());
        lines << QString() << TaskOperations::cleanupSummary(r.value(), true);
        m_app->push(std::make_unique<TextView>(m_app, QStringLiteral("help"), tr("cleanup"), lines));
        if (count == 0)
            return m_app->message(TaskOperations::cleanupSummary(r.value(), true), Tone::Muted);
        const QString question = count == 1 ? tr("Delete this task? [y/N] ") : tr("Delete these %1 tasks? [y/N] ").arg(count);
        m_app->ask(question, [this, seconds](bool yes) {
            if (!yes)
                return m_app->message(tr("nothing deleted"), Tone::Muted);
            m_ops->cleanup(seconds.value(), false).then(this, [this](Result<remediation::CleanupReport> done) {
                if (!done.ok())
                    return m_app->message(done.error().toString(), Tone::Error);
                if (m_app->top() && m_app->top()->title() == tr("cleanup"))
                    m_app->pop();
                m_app->message(TaskOperations::cleanupSummary(done.value(), false), Tone::Good);
                m_tasks->reload();
            });
        });
    });
}

} // namespace sd::tui
