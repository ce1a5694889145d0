#include "console/TaskOperations.h"

#include "transfer/Checkpoint.h"

#include <QCoreApplication>

#include <algorithm>

namespace sd::console {

using namespace sd::remediation;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Tasks", text);
}

QString taskLine(const RemediationTask &t, const QString &what)
{
    return tr("%1: %2 (iteration %3 of %4, %5)")
        .arg(t.name(), what)
        .arg(t.iteration())
        .arg(t.maxIterations())
        .arg(t.status());
}

} // namespace

TaskOperations::TaskOperations(RemediationManager *manager, QObject *parent) : QObject(parent), m_manager(manager) {}

QString TaskOperations::fieldName(Field field)
{
    switch (field) {
    case Field::Status: return tr("status");
    case Field::Severity: return tr("severity");
    case Field::IssueType: return tr("issue type");
    case Field::FeedbackStatus: return tr("feedback status");
    }
    return {};
}

QStringList TaskOperations::choices(Field field, Schema schema)
{
    switch (field) {
    case Field::Status: return statuses(schema);
    case Field::Severity: return severities();
    case Field::IssueType: return issueTypes(schema);
    case Field::FeedbackStatus: return schema == Schema::Controller ? feedbackStatuses() : QStringList();
    }
    return {};
}

Result<QString> TaskOperations::canonical(Field field, Schema schema, const QString &typed)
{
    const QStringList options = choices(field, schema);
    const QString want = typed.trimmed();
    if (options.isEmpty())
        return Error(ErrorKind::Invalid, tr("tasks in the %1 schema have no %2").arg(schemaName(schema), fieldName(field)));
    if (want.isEmpty())
        return Error(ErrorKind::Invalid,
                     tr("no %1 given; expected one of %2").arg(fieldName(field), options.join(QStringLiteral(", "))));
    QStringList starting;
    for (const QString &o : options) {
        if (o.compare(want, Qt::CaseInsensitive) == 0)
            return o;
        if (o.startsWith(want, Qt::CaseInsensitive))
            starting << o;
    }
    if (starting.size() == 1)
        return starting.first();
    if (starting.size() > 1)
        return Error(ErrorKind::Invalid, tr("%1 \"%2\" could be %3")
                                             .arg(fieldName(field), want, starting.join(QStringLiteral(" or "))));
    return Error(ErrorKind::Invalid, tr("unknown %1 \"%2\"; expected one of %3")
                                         .arg(fieldName(field), want, options.join(QStringLiteral(", "))));
}

Schema TaskOperations::schemaOf(const QString &task)
{
    const auto parts = parseConfigMapName(task);
    return parts ? parts->schema : Schema::Seed;
}

QFuture<Result<QString>> TaskOperations::worded(QFuture<Result<RemediationTask>> write, const QString &what)
{
    return write.then(this, [what](Result<RemediationTask> r) -> Result<QString> {
        if (!r.ok())
            return r.error();
        return taskLine(r.value(), what);
    });
}

Result<TaskOperations::NewTask> TaskOperations::parseNewTask(const QString &line)
{
    const QStringList words = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    NewTask t;
    for (qsizetype i = 0; i < words.size(); ++i) {
        const QString &w = words.at(i);
        if (w == QLatin1String("--pr") || w == QLatin1String("--max-iterations")) {
            if (i + 1 >= words.size())
                return Error(ErrorKind::Invalid, tr("%1 needs a number").arg(w));
            bool ok = false;
            const QString &value = words.at(++i);
            if (w == QLatin1String("--pr")) {
                t.prNumber = value.toLongLong(&ok);
                if (!ok || t.prNumber < 0)
                    return Error(ErrorKind::Invalid, tr("expected a PR number"), w + QLatin1Char(' ') + value);
                t.schema = Schema::Controller;
            } else {
                t.maxIterations = value.toInt(&ok);
                if (!ok || t.maxIterations <= 0)
                    return Error(ErrorKind::Invalid, tr("expected a positive number"), w + QLatin1Char(' ') + value);
            }
        } else if (t.id.isEmpty() && !w.startsWith(QLatin1Char('-'))) {
            t.id = w;
        } else {
            return Error(ErrorKind::Invalid,
                         tr("unexpected \"%1\"; expected ID [--pr N] [--max-iterations N]").arg(w));
        }
    }
    if (t.id.isEmpty())
        return Error(ErrorKind::Invalid, tr("name the new task: ID [--pr N] [--max-iterations N]"));
    // A ConfigMap name says its schema (and PR) itself.
    if (const auto parts = parseConfigMapName(t.id)) {
        if (t.schema && *t.schema != parts->schema)
            return Error(ErrorKind::Invalid, tr("%1 is a task of the seed's schema; --pr is for the controller's")
                                                 .arg(t.id));
        t.schema = parts->schema;
        t.id = parts->taskId;
        if (parts->prNumber >= 0)
            t.prNumber = parts->prNumber;
    }
    if (t.maxIterations > 0 && t.schema.value_or(Schema::Seed) == Schema::Seed)
        return Error(ErrorKind::Invalid, tr("the seed's schema has a fixed cap of 10 iterations; --max-iterations "
                                            "needs the controller's schema (--pr N)"));
    return t;
}

QFuture<Result<QString>> TaskOperations::create(const NewTask &task)
{
    return worded(m_manager->create(task.schema.value_or(Schema::Seed), task.id, task.prNumber, task.maxIterations),
                  tr("created"));
}

QFuture<Result<QString>> TaskOperations::increment(const QString &task)
{
    return worded(m_manager->increment(TaskRef(task)), tr("next iteration started"));
}

QFuture<Result<QString>> TaskOperations::addFeedback(const QString &task, NewFeedback feedback)
{
    const Schema schema = schemaOf(task);
    const Result<QString> severity = canonical(Field::Severity, schema, feedback.severity);
    if (!severity.ok())
        return QtFuture::makeReadyFuture(Result<QString>(severity.error()));
    const Result<QString> type = canonical(Field::IssueType, schema, feedback.issueType);
    if (!type.ok())
        return QtFuture::makeReadyFuture(Result<QString>(type.error()));
    if (feedback.description.trimmed().isEmpty())
        return QtFuture::makeReadyFuture(
            Result<QString>(Error(ErrorKind::Invalid, tr("feedback needs a description"), task)));
    feedback.severity = severity.value();
    feedback.issueType = type.value();
    return worded(m_manager->addFeedback(TaskRef(task), feedback), tr("feedback added"));
}

QFuture<Result<QString>> TaskOperations::resolveFeedback(const QString &task, const QString &which, const QString &status)
{
    QString spelled;
    if (!status.trimmed().isEmpty()) {
        const Result<QString> s = canonical(Field::FeedbackStatus, schemaOf(task), status);
        if (!s.ok())
            return QtFuture::makeReadyFuture(Result<QString>(s.error()));
        spelled = s.value();
    }
    if (which.trimmed().isEmpty())
        return QtFuture::makeReadyFuture(Result<QString>(
            Error(ErrorKind::Invalid, tr("name the feedback entry: its number, id or comment id"), task)));
    return worded(m_manager->resolveFeedback(TaskRef(task), which.trimmed(), spelled),
                  tr("feedback %1 %2").arg(which.trimmed(), spelled.isEmpty() ? tr("resolved") : spelled));
}

QFuture<Result<QString>> TaskOperations::setStatus(const QString &task, const QString &status)
{
    const Result<QString> s = canonical(Field::Status, schemaOf(task), status);
    if (!s.ok())
        return QtFuture::makeReadyFuture(Result<QString>(s.error()));
    return worded(m_manager->setStatus(TaskRef(task), s.value()), tr("status set"));
}

QFuture<Result<QString>> TaskOperations::recover(const QString &task, bool reset)
{
    RecoverOptions options;
    options.reset = reset;
    options.backupDir = backupDirectory();
    return m_manager->recover(TaskRef(task), options).then(this, [](Result<RecoverResult> r) -> Result<QString> {
        if (!r.ok())
            return r.error();
        const RecoveryReport &report = r->report;
        QString what = report.created ? tr("created during recovery")
                       : report.reset ? tr("reset to a fresh state; the old one is in %1").arg(report.backupPath)
                       : report.repairs.isEmpty() ? tr("recovered, nothing to repair")
                                                  : tr("recovered: %1").arg(report.repairs.join(QStringLiteral("; ")));
        return taskLine(r->task, what);
    });
}

QFuture<Result<CleanupReport>> TaskOperations::cleanup(qint64 retentionSeconds, bool dryRun)
{
    CleanupOptions options;
    options.retentionSeconds = retentionSeconds;
    options.dryRun = dryRun;
    return m_manager->cleanup(options);
}

QString TaskOperations::cleanupActionText(CleanupItem::Action action)
{
    switch (action) {
    case CleanupItem::Action::Deleted: return tr("deleted");
    case CleanupItem::Action::WouldDelete: return tr("would delete");
    case CleanupItem::Action::KeptInProgress: return tr("kept (InProgress)");
    case CleanupItem::Action::KeptUnreadable: return tr("kept (state.json unreadable)");
    case CleanupItem::Action::Failed: return tr("failed");
    }
    return {};
}

int TaskOperations::wouldDelete(const CleanupReport &report)
{
    return int(std::count_if(report.items.cbegin(), report.items.cend(),
                             [](const CleanupItem &i) { return i.action == CleanupItem::Action::WouldDelete; }));
}

QStringList TaskOperations::cleanupLines(const CleanupReport &report)
{
    QStringList lines;
    for (const CleanupItem &i : report.items) {
        QString action = cleanupActionText(i.action);
        if (i.action == CleanupItem::Action::Failed && !i.detail.isEmpty())
            action += QStringLiteral(": ") + i.detail;
        // What happens first: the names are long and get cut on 80 columns.
        lines << QStringLiteral("%1  %2  %3  %4")
                     .arg(action, -12)
                     .arg(i.name, i.status.isEmpty() ? QStringLiteral("-") : i.status, i.lastUpdate);
    }
    return lines;
}

QString TaskOperations::cleanupSummary(const CleanupReport &report, bool dryRun)
{
    if (dryRun)
        return tr("%1 of %2 tasks would be deleted; nothing was changed").arg(wouldDelete(report)).arg(report.examined);
    return tr("%1 of %2 tasks deleted").arg(report.deleted()).arg(report.examined);
}

QString TaskOperations::backupDirectory()
{
    return stateDirectory() + QStringLiteral("/remediation-backups");
}

} // namespace sd::console
