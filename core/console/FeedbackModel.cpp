#include "console/FeedbackModel.h"

#include "console/TaskTableModel.h"
#include "console/TaskText.h"

namespace sd::console {

using namespace sd::remediation;

FeedbackModel::FeedbackModel(QObject *parent) : RowTableModel<FeedbackRow>(parent) {}


bool FeedbackModel::sameRow(const FeedbackRow &a, const FeedbackRow &b) const
{
    const FeedbackView &x = a.view;
    const FeedbackView &y = b.view;
    return x.index == y.index && x.status == y.status && x.resolved == y.resolved && x.severity == y.severity
           && x.issueType == y.issueType && x.description == y.description && x.author == y.author
           && x.timestampText == y.timestampText && x.commentId == y.commentId && x.iteration == y.iteration;
}

namespace {

Tone severityTone(const QString &severity)
{
    switch (severityRank(severity)) {
    case 3: return Tone::Error;   // Critical
    case 2: return Tone::Warning; // High
    case 0: return Tone::Muted;   // Low
    default: return Tone::Normal;
    }
}

QString detail(const FeedbackView &f)
{
    QStringList head{QStringLiteral("#%1").arg(f.index), f.timestampText, f.severity, f.issueType, f.status};
    head.removeAll(QString());
    QStringList who;
    if (!f.author.isEmpty())
        who << QStringLiteral("author: %1").arg(f.author);
    if (!f.commentId.isEmpty())
        who << QStringLiteral("comment: %1").arg(f.commentId);
    if (f.iteration >= 0)
        who << QStringLiteral("iteration: %1").arg(f.iteration);
    if (!f.id.isEmpty())
        who << QStringLiteral("id: %1").arg(f.id);
    QStringList lines{head.join(QStringLiteral("  "))};
    if (!who.isEmpty())
        lines << who.join(QStringLiteral("  "));
    lines << QString() << f.description;
    return lines.join(QLatin1Char('\n'));
}

} // namespace

QStringList FeedbackModel::columnTitles() const
{
    static const QStringList titles{QStringLiteral("Time"), QStringLiteral("Severity"), QStringLiteral("Type"),
                                       QStringLiteral("Description"), QStringLiteral("Status")};
    return titles;
}

QVariant FeedbackModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const FeedbackView &f = rows().at(index.row()).view;
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case TimeColumn:
            return f.timestamp ? f.timestamp->toDateTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss'Z'"))
                               : f.timestampText;
        case SeverityColumn: return f.severity;
        case TypeColumn: return f.issueType;
        // One line in a table; DetailRole has it whole.
        case DescriptionColumn: return QString(f.description).replace(QLatin1Char('\n'), QLatin1Char(' '));
        case StatusColumn: return f.status;
        }
        return {};
    case Qt::ToolTipRole:
    case DetailRole: return detail(f);
    case ToneRole:
        switch (column) {
        case TimeColumn: return int(Tone::Muted);
        case SeverityColumn: return int(severityTone(f.severity));
        case DescriptionColumn: return int(f.resolved ? Tone::Muted : Tone::Normal);
        case StatusColumn:
            if (f.resolved)
                return int(Tone::Good);
            return int(f.status == QLatin1String("Skipped") ? Tone::Muted : Tone::Normal);
        default: return int(Tone::Normal);
        }
    case KeyRole: return m_name;
    case SortRole:
        switch (column) {
        case TimeColumn: return timeSortKey(f.timestamp);
        case SeverityColumn: return severityRank(f.severity);
        case TypeColumn: return f.issueType;
        case DescriptionColumn: return f.description;
        case StatusColumn: return f.status;
        }
        return {};
    case RawRole:
        switch (column) {
        case TimeColumn: return f.timestampText;
        case SeverityColumn: return f.severity;
        case TypeColumn: return f.issueType;
        case DescriptionColumn: return f.description;
        case StatusColumn: return f.resolved;
        }
        return {};
    case IndexRole: return f.index;
    case ResolvedRole: return f.resolved;
    case CommentIdRole: return f.commentId;
    case AuthorRole: return f.author;
    case FeedbackIdRole: return f.id;
    default: return {};
    }
}


void FeedbackModel::setTask(const RemediationTask &task)
{
    m_name = task.name();
    m_hasTask = true;
    QList<FeedbackRow> next;
    QHash<QString, int> seen;
    for (const FeedbackView &f : task.feedback()) {
        QString id = !f.id.isEmpty() ? f.id : QStringLiteral("%1|%2").arg(f.commentId, f.timestampText);
        const int n = seen[id]++;
        if (n > 0)
            id += QStringLiteral("#%1").arg(n);
        next << FeedbackRow{f, id};
    }
    syncRows(std::move(next));
}

void FeedbackModel::clear()
{
    syncRows({});
    m_hasTask = false;
}

void FeedbackModel::follow(TaskTableModel *tasks, const QString &name)
{
    disconnect(m_updated);
    disconnect(m_removed);
    m_tasks = tasks;
    m_name = name;
    if (const auto t = tasks->task(name))
        setTask(*t);
    else
        clear();
    m_updated = connect(tasks, &TaskTableModel::taskUpdated, this, [this](const RemediationTask &t) {
        if (t.name() == m_name)
            setTask(t);
    });
    m_removed = connect(tasks, &TaskTableModel::taskRemoved, this, [this](const QString &gone) {
        if (gone != m_name)
            return;
        clear();
        Q_EMIT taskGone();
    });
}

} // namespace sd::console
