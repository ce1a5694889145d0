#include "TasksView.h"

#include "FeedbackChart.h"
#include "Theme.h"
#include "ToneDelegate.h"
#include "console/FeedbackModel.h"
#include "console/FilterModel.h"
#include "console/TaskOperations.h"
#include "console/TaskTableModel.h"
#include "util/Duration.h"

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace sd::widgets {

using console::Tone;
using console::TaskOperations;
using Field = console::TaskOperations::Field;

namespace {

// A question with the window blocked until it is answered, but no event
// loop of its own: open(), and the answer arrives as a signal.
QInputDialog *askChoice(QWidget *parent, const QString &title, const QString &label, const QStringList &items,
                        const QString &current)
{
    auto *d = new QInputDialog(parent);
    d->setAttribute(Qt::WA_DeleteOnClose);
    d->setWindowTitle(title);
    d->setLabelText(label);
    d->setComboBoxItems(items);
    d->setComboBoxEditable(false);
    if (!current.isEmpty())
        d->setTextValue(current);
    return d;
}

} // namespace

TasksView::TasksView(Provider *provider, Theme *theme, QWidget *parent)
    : QWidget(parent), m_tasks(std::make_unique<console::TaskTableModel>(provider)),
      m_taskFilter(std::make_unique<console::FilterModel>()), m_feedback(std::make_unique<console::FeedbackModel>()),
      m_feedbackFilter(std::make_unique<QSortFilterProxyModel>()),
      m_ops(std::make_unique<TaskOperations>(m_tasks->manager()))
{
    setObjectName(QStringLiteral("tasksView"));
    m_taskFilter->setSourceModel(m_tasks.get());
    m_taskFilter->setSortRole(console::SortRole);
    m_feedbackFilter->setSourceModel(m_feedback.get());
    m_feedbackFilter->setSortRole(console::SortRole);
    m_feedbackFilter->setFilterKeyColumn(-1);
    m_feedbackFilter->setFilterCaseSensitivity(Qt::CaseInsensitive);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *top = new QHBoxLayout;
    m_filterEdit = new QLineEdit(this);
    m_filterEdit->setObjectName(QStringLiteral("taskFilter"));
    m_filterEdit->setPlaceholderText(tr("Filter tasks: text, a regular expression, !text, -l app=remediation-loop"));
    m_filterEdit->setClearButtonEnabled(true);
    connect(m_filterEdit, &QLineEdit::textChanged, m_taskFilter.get(), &console::FilterModel::setFilterText);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("tasksStatus"));
    top->addWidget(m_filterEdit, 1);
    top->addWidget(m_status);
    layout->addLayout(top);

    auto *split = new QSplitter(Qt::Vertical, this);
    m_taskTable = makeToneTable(m_taskFilter.get(), theme, split, QStringLiteral("taskTable"));
    m_taskTable->sortByColumn(console::TaskTableModel::TaskColumn, Qt::AscendingOrder);
    auto *lower = new QSplitter(Qt::Horizontal, split);
    auto *feedbackBox = new QWidget(lower);
    auto *feedbackLayout = new QVBoxLayout(feedbackBox);
    feedbackLayout->setContentsMargins(0, 0, 0, 0);
    m_feedbackFilterEdit = new QLineEdit(feedbackBox);
    m_feedbackFilterEdit->setObjectName(QStringLiteral("feedbackFilter"));
    m_feedbackFilterEdit->setPlaceholderText(tr("Filter feedback"));
    m_feedbackFilterEdit->setClearButtonEnabled(true);
    connect(m_feedbackFilterEdit, &QLineEdit::textChanged, m_feedbackFilter.get(),
            &QSortFilterProxyModel::setFilterFixedString);
    m_feedbackTable = makeToneTable(m_feedbackFilter.get(), theme, feedbackBox, QStringLiteral("feedbackTable"));
    m_feedbackTable->horizontalHeader()->setStretchLastSection(false);
    m_feedbackTable->horizontalHeader()->setSectionResizeMode(console::FeedbackModel::DescriptionColumn,
                                                              QHeaderView::Stretch);
    m_feedbackTable->horizontalHeader()->setSectionResizeMode(console::FeedbackModel::TimeColumn,
                                                              QHeaderView::ResizeToContents);
    feedbackLayout->addWidget(m_feedbackFilterEdit);
    feedbackLayout->addWidget(m_feedbackTable, 1);
    auto *right = new QSplitter(Qt::Vertical, lower);
    m_chart = new FeedbackChart(theme, right);
    m_detail = new QPlainTextEdit(right);
    m_detail->setObjectName(QStringLiteral("feedbackDetail"));
    m_detail->setReadOnly(true);
    m_detail->setPlaceholderText(tr("Select a feedback entry to read it whole."));
    right->addWidget(m_chart);
    right->addWidget(m_detail);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);
    lower->addWidget(feedbackBox);
    lower->addWidget(right);
    lower->setStretchFactor(0, 3);
    lower->setStretchFactor(1, 2);
    split->addWidget(m_taskTable);
    split->addWidget(lower);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);

    auto updateStatus = [this] {
        QString s = tr("%n task(s)", nullptr, m_tasks->rowCount());
        if (m_tasks->isLoading())
            s += tr(", listing…");
        if (m_tasks->isStale())
            s += tr(", stale: the watch is down");
        m_status->setText(s);
        Q_EMIT changed();
    };
    connect(m_tasks.get(), &console::TaskTableModel::loaded, this, updateStatus);
    // First shown: the task that needs attention most (the heaviest
    // unresolved feedback), with its feedback below.
    connect(m_tasks.get(), &console::TaskTableModel::loaded, this, [this] {
        if (m_taskTable->currentIndex().isValid() || m_taskFilter->rowCount() == 0)
            return;
        int best = 0;
        qint64 weight = -1;
        for (int r = 0; r < m_taskFilter->rowCount(); ++r) {
            const qint64 w = m_taskFilter->index(r, console::TaskTableModel::UnresolvedColumn)
                                 .data(console::SortRole)
                                 .toLongLong();
            if (w > weight)
                weight = w, best = r;
        }
        m_taskTable->setCurrentIndex(m_taskFilter->index(best, 0));
    });
    connect(m_tasks.get(), &console::TaskTableModel::staleChanged, this, updateStatus);
    connect(m_tasks.get(), &QAbstractItemModel::rowsInserted, this, updateStatus);
    connect(m_tasks.get(), &QAbstractItemModel::rowsRemoved, this, updateStatus);
    connect(m_tasks.get(), &console::TaskTableModel::failed, this,
            [this](const Error &e) { Q_EMIT notify(Tone::Error, e.message, e.toString()); });
    connect(m_taskTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        showTask(currentTask());
        Q_EMIT changed();
    });
    connect(m_feedbackTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &TasksView::showDetail);
    connect(m_feedback.get(), &QAbstractItemModel::dataChanged, this, &TasksView::showDetail);
    // The chart follows the feedback shown, whatever changed it.
    for (const auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_feedback.get(), signal, this, &TasksView::updateChart);
    connect(m_feedback.get(), &QAbstractItemModel::dataChanged, this, &TasksView::updateChart);
    connect(m_feedback.get(), &QAbstractItemModel::modelReset, this, &TasksView::updateChart);
    m_tasks->reload();
}

TasksView::~TasksView()
{
    // The tables hold the proxies, the proxies the models.
    m_taskTable->setModel(nullptr);
    m_feedbackTable->setModel(nullptr);
}

QString TasksView::currentTask() const
{
    const QModelIndex i = m_taskTable->currentIndex();
    return i.isValid() ? i.siblingAtColumn(0).data(console::KeyRole).toString() : QString();
}

bool TasksView::selectTask(const QString &name)
{
    for (int r = 0; r < m_taskFilter->rowCount(); ++r) {
        const QModelIndex i = m_taskFilter->index(r, 0);
        if (i.data(console::KeyRole).toString() == name) {
            m_taskTable->setCurrentIndex(i);
            return true;
        }
    }
    return false;
}

console::Selection TasksView::selection() const
{
    console::Selection s;
    s.key = currentTask();
    s.hasValue = !s.key.isEmpty();
    s.count = s.hasValue ? 1 : 0;
    return s;
}

void TasksView::showTask(const QString &name)
{
    m_detail->clear();
    if (!name.isEmpty())
        m_feedback->follow(m_tasks.get(), name);
    updateChart();
}

void TasksView::updateChart()
{
    QList<remediation::FeedbackView> views;
    for (const console::FeedbackRow &r : m_feedback->rows())
        views << r.view;
    m_chart->setFeedback(views);
}

void TasksView::showDetail()
{
    const QModelIndex i = m_feedbackTable->currentIndex();
    m_detail->setPlainText(i.isValid() ? i.data(console::FeedbackModel::DetailRole).toString() : QString());
}

void TasksView::report(QFuture<Result<QString>> outcome)
{
    outcome.then(this, [this](Result<QString> r) {
        if (!r.ok())
            return Q_EMIT notify(Tone::Error, r.error().message, r.error().toString());
        Q_EMIT notify(Tone::Good, r.value());
    });
}

void TasksView::reload()
{
    m_tasks->reload();
}

void TasksView::focusFilter()
{
    m_filterEdit->setFocus(Qt::ShortcutFocusReason);
    m_filterEdit->selectAll();
}

void TasksView::createTask()
{
    auto *d = new QInputDialog(this);
    d->setObjectName(QStringLiteral("createTask"));
    d->setAttribute(Qt::WA_DeleteOnClose);
    d->setWindowTitle(tr("New task"));
    d->setLabelText(tr("Task ID, and for the controller's schema its PR:\n"
                       "  ID [--pr N] [--max-iterations N]    e.g. 1043, or 7 --pr 311"));
    connect(d, &QInputDialog::textValueSelected, this, [this](const QString &line) {
        const Result<TaskOperations::NewTask> task = TaskOperations::parseNewTask(line);
        if (!task.ok())
            return Q_EMIT notify(Tone::Error, task.error().toString());
        report(m_ops->create(task.value()));
    });
    d->open();
}

void TasksView::increment()
{
    if (currentTask().isEmpty())
        return Q_EMIT notify(Tone::Warning, tr("Select a task first."));
    report(m_ops->increment(currentTask()));
}

void TasksView::addFeedback()
{
    if (currentTask().isEmpty())
        return Q_EMIT notify(Tone::Warning, tr("Select a task first."));
    const QString task = currentTask();
    const remediation::Schema schema = TaskOperations::schemaOf(task);
    auto *d = new QDialog(this);
    d->setObjectName(QStringLiteral("feedbackDialog"));
    d->setAttribute(Qt::WA_DeleteOnClose);
    d->setWindowTitle(tr("Add feedback to %1").arg(task));
    auto *form = new QFormLayout(d);
    auto *severity = new QComboBox(d);
    severity->setObjectName(QStringLiteral("severity"));
    severity->addItems(TaskOperations::choices(Field::Severity, schema));
    auto *type = new QComboBox(d);
    type->setObjectName(QStringLiteral("issueType"));
    type->addItems(TaskOperations::choices(Field::IssueType, schema));
    auto *description = new QPlainTextEdit(d);
    description->setObjectName(QStringLiteral("description"));
    auto *comment = new QLineEdit(d);
    comment->setObjectName(QStringLiteral("commentId"));
    comment->setPlaceholderText(TaskOperations::needsCommentId(schema) ? tr("the PR comment (a number)")
                                                                       : tr("optional"));
    auto *author = new QLineEdit(qEnvironmentVariable("USER", QStringLiteral("statedeck")), d);
    author->setObjectName(QStringLiteral("author"));
    form->addRow(tr("Severity"), severity);
    form->addRow(tr("Issue type"), type);
    form->addRow(tr("Description"), description);
    form->addRow(tr("PR comment id"), comment);
    form->addRow(tr("Author"), author);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, d);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::rejected, d, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, d, [=, this] {
        remediation::NewFeedback f;
        f.author = author->text().trimmed();
        f.severity = severity->currentText();
        f.issueType = type->currentText();
        f.description = description->toPlainText().trimmed();
        f.commentId = comment->text().trimmed();
        report(m_ops->addFeedback(task, f));
        d->accept();
    });
    d->open();
}

void TasksView::resolveFeedback()
{
    if (currentTask().isEmpty())
        return Q_EMIT notify(Tone::Warning, tr("Select a task first."));
    const QString task = currentTask();
    const QModelIndex i = m_feedbackTable->currentIndex();
    if (!i.isValid())
        return Q_EMIT notify(Tone::Warning, tr("Select the feedback entry to resolve below the task table."));
    const QString which = QString::number(i.data(console::FeedbackModel::IndexRole).toInt());
    const remediation::Schema schema = TaskOperations::schemaOf(task);
    if (TaskOperations::choices(Field::FeedbackStatus, schema).isEmpty()) {
        auto *q = new QMessageBox(QMessageBox::Question, tr("Resolve feedback"),
                                  tr("Mark feedback %1 of %2 resolved?").arg(which, task),
                                  QMessageBox::Yes | QMessageBox::No, this);
        q->setAttribute(Qt::WA_DeleteOnClose);
        connect(q, &QMessageBox::finished, this, [this, q, task, which](int) {
            if (q->clickedButton() == q->button(QMessageBox::Yes))
                report(m_ops->resolveFeedback(task, which));
        });
        q->open();
        return;
    }
    auto *d = askChoice(this, tr("Resolve feedback"), tr("Status of feedback %1 of %2:").arg(which, task),
                        TaskOperations::choices(Field::FeedbackStatus, schema), QStringLiteral("Resolved"));
    connect(d, &QInputDialog::textValueSelected, this,
            [this, task, which](const QString &status) { report(m_ops->resolveFeedback(task, which, status)); });
    d->open();
}

void TasksView::setStatus()
{
    if (currentTask().isEmpty())
        return Q_EMIT notify(Tone::Warning, tr("Select a task first."));
    const QString task = currentTask();
    const auto current = m_tasks->task(task);
    auto *d = askChoice(this, tr("Set status"), tr("Status of %1:").arg(task),
                        TaskOperations::choices(Field::Status, TaskOperations::schemaOf(task)),
                        current ? current->status() : QString());
    connect(d, &QInputDialog::textValueSelected, this,
            [this, task](const QString &status) { report(m_ops->setStatus(task, status)); });
    d->open();
}

void TasksView::recover()
{
    if (currentTask().isEmpty())
        return Q_EMIT notify(Tone::Warning, tr("Select a task first."));
    const QString task = currentTask();
    m_ops->recover(task, false).then(this, [this, task](Result<QString> r) {
        if (r.ok())
            return Q_EMIT notify(Tone::Good, r.value());
        if (r.error().reason != remediation::reason::deserialization)
            return Q_EMIT notify(Tone::Error, r.error().message, r.error().toString());
        // Replacing what cannot be read loses it (a copy is kept), so the
        // name is typed, as for a delete on production.
        auto *d = new QInputDialog(this);
        d->setAttribute(Qt::WA_DeleteOnClose);
        d->setObjectName(QStringLiteral("resetTask"));
        d->setWindowTitle(tr("Reset %1").arg(task));
        d->setLabelText(tr("%1\n\nReset it to a fresh state? Its text is saved under %2 first.\nType the task's name "
                           "to confirm:")
                            .arg(r.error().toString(), TaskOperations::backupDirectory()));
        connect(d, &QInputDialog::textValueSelected, this, [this, task](const QString &typed) {
            if (typed.trimmed() != task)
                return Q_EMIT notify(Tone::Muted, tr("%1 left untouched: the name typed was not its name").arg(task));
            report(m_ops->recover(task, true));
        });
        d->open();
    });
}

void TasksView::cleanup()
{
    auto *d = new QInputDialog(this);
    d->setAttribute(Qt::WA_DeleteOnClose);
    d->setObjectName(QStringLiteral("cleanupRetention"));
    d->setWindowTitle(tr("Clean up tasks"));
    d->setLabelText(tr("Delete tasks not updated for (never one InProgress):"));
    d->setTextValue(QStringLiteral("7d"));
    connect(d, &QInputDialog::textValueSelected, this, [this](const QString &text) {
        const Result<qint64> seconds = parseDuration(text.trimmed(), tr("retention %1").arg(text.trimmed()));
        if (!seconds.ok())
            return Q_EMIT notify(Tone::Error, seconds.error().message, seconds.error().toString());
        // The preview first; the question shows what it found.
        m_ops->cleanup(seconds.value(), true).then(this, [this, seconds](Result<remediation::CleanupReport> r) {
            if (!r.ok())
                return Q_EMIT notify(Tone::Error, r.error().message, r.error().toString());
            const int count = TaskOperations::wouldDelete(r.value());
            if (count == 0)
                return Q_EMIT notify(Tone::Muted, TaskOperations::cleanupSummary(r.value(), true));
            auto *q = new QMessageBox(QMessageBox::Warning, tr("Clean up tasks"),
                                      tr("Delete %n task(s)? %1", nullptr, count)
                                          .arg(TaskOperations::cleanupSummary(r.value(), true)),
                                      QMessageBox::NoButton, this);
            q->setObjectName(QStringLiteral("cleanupConfirm"));
            q->setAttribute(Qt::WA_DeleteOnClose);
            q->setDetailedText(TaskOperations::cleanupLines(r.value()).join(QLatin1Char('\n')));
            QPushButton *del = q->addButton(tr("Delete"), QMessageBox::DestructiveRole);
            q->addButton(QMessageBox::Cancel);
            q->setDefaultButton(QMessageBox::Cancel);
            connect(q, &QMessageBox::finished, this, [this, q, del, seconds](int) {
                if (q->clickedButton() != static_cast<QAbstractButton *>(del))
                    return Q_EMIT notify(Tone::Muted, tr("Nothing deleted."));
                m_ops->cleanup(seconds.value(), false).then(this, [this](Result<remediation::CleanupReport> done) {
                    if (!done.ok())
                        return Q_EMIT notify(Tone::Error, done.error().message, done.error().toString());
                    Q_EMIT notify(Tone::Good, TaskOperations::cleanupSummary(done.value(), false));
                    m_tasks->reload();
                });
            });
            q->open();
        });
    });
    d->open();
}

} // namespace sd::widgets
