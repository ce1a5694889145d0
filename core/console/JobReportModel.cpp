#include "console/JobReportModel.h"

#include "providers/form/EntryForm.h"

namespace sd::console {

bool JobSummary::clean() const
{
    if (transfer && (transfer->conflicts > 0 || transfer->failed > 0 || transfer->skipped > 0))
        return false;
    return !verify || verify->clean();
}

QString JobSummary::text() const
{
    QStringList lines;
    if (snapshot && !transfer)
        lines << QStringLiteral("%1 entries in %2 (%3 bytes%4)")
                     .arg(snapshot->entries)
                     .arg(snapshot->path)
                     .arg(snapshot->bytes)
                     .arg(snapshot->encrypted ? QStringLiteral(", values encrypted") : QString());
    if (transfer)
        lines << transfer->text();
    if (verify)
        lines << QStringLiteral("verify: %1 compared, %2 the same, %3 missing, %4 differ, %5 extra%6")
                     .arg(verify->compared)
                     .arg(verify->same)
                     .arg(verify->missing)
                     .arg(verify->differs)
                     .arg(verify->extra)
                     .arg(verify->extrasChecked ? QString() : QStringLiteral(" (extra keys not checked)"));
    return lines.join(QLatin1Char('\n'));
}

JobReportModel::JobReportModel(QObject *parent) : QAbstractTableModel(parent) {}

int JobReportModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int JobReportModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString JobReportModel::actionName(KeyOutcome::Kind kind, bool dryRun)
{
    switch (kind) {
    case KeyOutcome::Kind::Create: return dryRun ? QStringLiteral("create") : QStringLiteral("created");
    case KeyOutcome::Kind::Change: return dryRun ? QStringLiteral("change") : QStringLiteral("changed");
    default: return outcomeKindName(kind);
    }
}

Tone JobReportModel::toneFor(KeyOutcome::Kind kind)
{
    switch (kind) {
    case KeyOutcome::Kind::Create: return Tone::Added;
    case KeyOutcome::Kind::Change: return Tone::Modified;
    case KeyOutcome::Kind::Unchanged: return Tone::Muted;
    case KeyOutcome::Kind::Skipped:
    case KeyOutcome::Kind::Differs:
    case KeyOutcome::Kind::Extra: return Tone::Warning;
    case KeyOutcome::Kind::Conflict:
    case KeyOutcome::Kind::Failed:
    case KeyOutcome::Kind::Missing: return Tone::Error;
    }
    return Tone::Normal;
}

QVariant JobReportModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        if (column == KeyColumn)
            return r.key;
        if (column == ActionColumn)
            return actionName(r.kind, m_dryRun);
        if (role == Qt::ToolTipRole && !r.diff.isEmpty())
            return r.diff.join(QLatin1Char('\n'));
        return r.message;
    case ToneRole:
        if (column == MessageColumn && r.masked)
            return int(Tone::Secret);
        return int(toneFor(r.kind));
    case KeyRole: return r.key;
    case SortRole:
        if (column == ActionColumn)
            return int(r.kind);
        return column == KeyColumn ? r.key : r.message;
    case RawRole:
        if (column == ActionColumn)
            return int(r.kind);
        return column == KeyColumn ? r.key : r.message;
    case KindRole: return int(r.kind);
    case SourceKeyRole: return r.sourceKey;
    case DiffRole: return r.diff;
    case ErrorKindRole: return r.errorKind;
    default: return {};
    }
}

QVariant JobReportModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    static const QStringList titles{QStringLiteral("Key"), QStringLiteral("Action"), QStringLiteral("Message")};
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole)
        return titles.value(section);
    return QAbstractTableModel::headerData(section, orientation, role);
}

QHash<int, QByteArray> JobReportModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(ToneRole, "tone");
    names.insert(KeyRole, "key");
    names.insert(SortRole, "sort");
    names.insert(RawRole, "raw");
    names.insert(KindRole, "kind");
    names.insert(SourceKeyRole, "sourceKey");
    names.insert(DiffRole, "diff");
    names.insert(ErrorKindRole, "errorKind");
    return names;
}

void JobReportModel::add(const KeyOutcome &o, bool showValues)
{
    // The counts so far; the job replaces them with its engine's own when it
    // ends (a real run does not report its plain creates one by one).
    using K = KeyOutcome::Kind;
    const bool verifyKind = o.kind == K::Missing || o.kind == K::Differs || o.kind == K::Extra;
    if (verifyKind) {
        if (!m_summary.verify)
            m_summary.verify = VerifyReport();
        VerifyReport &v = *m_summary.verify;
        if (o.kind == K::Extra) {
            ++v.extra;
        } else {
            ++v.compared; // a source key looked up in the target
            ++(o.kind == K::Missing ? v.missing : v.differs);
        }
    } else {
        if (!m_summary.transfer) {
            m_summary.transfer = TransferReport();
            m_summary.transfer->dryRun = m_dryRun;
        }
        TransferReport &t = *m_summary.transfer;
        ++t.read;
        switch (o.kind) {
        case K::Create: ++t.created; break;
        case K::Change: ++t.changed; break;
        case K::Unchanged: ++t.unchanged; break;
        case K::Skipped: ++t.skipped; break;
        case K::Conflict: ++t.conflicts; break;
        case K::Failed: ++t.failed; break;
        default: break;
        }
    }

    if (m_rows.size() + m_pending.size() >= m_maxRows) {
        ++m_omitted;
    } else {
        Row r;
        r.kind = o.kind;
        r.key = o.key;
        r.sourceKey = o.sourceKey.isEmpty() ? o.key : o.sourceKey;
        const bool hasBoth = !o.before.key.isEmpty() && !o.after.key.isEmpty();
        if (hasBoth && (o.kind == K::Change || o.kind == K::Differs || o.kind == K::Skipped || o.kind == K::Conflict)) {
            r.diff = describeChange(o.before, o.after, showValues);
            r.masked = !showValues;
        }
        switch (o.kind) {
        case K::Conflict:
        case K::Failed:
            r.message = o.error.message.isEmpty() ? QStringLiteral("the target holds another value") : o.error.message;
            r.errorKind = int(o.error.kind);
            break;
        case K::Skipped: r.message = QStringLiteral("the target holds another value; kept"); break;
        case K::Missing: r.message = QStringLiteral("not in the target"); break;
        case K::Extra: r.message = QStringLiteral("not in the source"); break;
        default: r.message = r.diff.join(QStringLiteral("; ")); break;
        }
        m_pending << std::move(r);
    }
    m_countsChanged = true;
    if (!m_flushQueued) {
        m_flushQueued = true;
        QMetaObject::invokeMethod(this, &JobReportModel::flush, Qt::QueuedConnection);
    }
}

void JobReportModel::flush()
{
    m_flushQueued = false;
    if (!m_pending.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows(QModelIndex(), first, first + int(m_pending.size()) - 1);
        m_rows += m_pending;
        m_pending.clear();
        endInsertRows();
    }
    if (m_countsChanged) {
        m_countsChanged = false;
        Q_EMIT summaryChanged();
    }
}

void JobReportModel::setSummary(JobSummary summary)
{
    flush();
    m_summary = std::move(summary);
    m_countsChanged = false;
    Q_EMIT summaryChanged();
}

} // namespace sd::console
