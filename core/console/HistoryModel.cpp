#include "console/HistoryModel.h"

#include "providers/form/EntryForm.h"
#include "util/Async.h"

namespace sd::console {

HistoryModel::HistoryModel(Provider *provider, QString key, QObject *parent)
    : RowTableModel<HistoryRow>(parent), m_provider(provider), m_key(std::move(key))
{
}


bool HistoryModel::sameRow(const HistoryRow &a, const HistoryRow &b) const
{
    return a.current == b.current && a.diff == b.diff && a.entry.updated == b.entry.updated;
}

bool HistoryModel::revealsValues() const
{
    return m_reveal || !m_provider || !m_provider->capabilities().sensitive;
}

void HistoryModel::setReveal(bool reveal)
{
    if (m_reveal == reveal)
        return;
    m_reveal = reveal;
    syncRows(rowsFor(m_entries));
    // The value text is not part of sameRow; every row may show it anew.
    columnChanged(ChangeColumn);
}

Error HistoryModel::unsupported() const
{
    return Error(ErrorKind::Unsupported,
                 QStringLiteral("%1 keeps no earlier values of a key; history is kept by etcd and SQLite stores")
                     .arg(m_provider ? m_provider->describe() : QStringLiteral("the store")),
                 m_key);
}

// The change is shown as JSON-pointer paths with old and new values (RFC
// 6902 from nlohmann::json::diff, through describeChange: "~ /spec/replicas:
// 5 -> 3", "+ /labels/tier: \"web\""), not as a line diff of pretty-printed
// JSON. The values people keep here are small documents edited a field at a
// time: a path names the field that changed however deep it is, where a
// line diff shows a bare `"replicas": 3,` among braces, and one value moved
// or re-indented does not turn into a screen of changed lines. It is also
// the form the CLI's verify and dry runs print, so the three front ends
// read alike. Text and binary values, which have no paths, show as one
// "~ (value): old -> new" line.
QList<HistoryRow> HistoryModel::rowsFor(const QList<Entry> &entries) const
{
    QList<HistoryRow> out;
    if (entries.isEmpty())
        return out;
    const Entry &current = entries.constFirst();
    const bool show = revealsValues();
    for (qsizetype i = 0; i < entries.size(); ++i) {
        HistoryRow r;
        r.entry = entries[i];
        r.current = i == 0;
        if (!r.current && !sameContent(current, r.entry))
            r.diff = describeChange(current, r.entry, show);
        out << std::move(r);
    }
    return out;
}

QStringList HistoryModel::columnTitles() const
{
    static const QStringList titles{QStringLiteral("Revision"), QStringLiteral("Time"), QStringLiteral("Change")};
    return titles;
}

QVariant HistoryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const HistoryRow &r = rows().at(index.row());
    const int column = index.column();
    auto change = [&r]() -> QString {
        if (r.current)
            return QStringLiteral("current value");
        if (r.diff.isEmpty())
            return QStringLiteral("the same value");
        const QString head = r.diff.size() == 1 ? QString() : QStringLiteral("%1 changes: ").arg(r.diff.size());
        return head + r.diff.join(QStringLiteral("; "));
    };
    auto valueText = [this, &r]() -> QString {
        if (!revealsValues())
            return QStringLiteral("***");
        const Entry &e = r.entry;
        if ((e.encoding == Encoding::Text || e.encoding == Encoding::Base64) && e.value.is_string())
            return toQString(e.value.get<std::string>());
        return toQString(e.value.dump(2, ' ', false, Json::error_handler_t::replace));
    };
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case RevisionColumn: return r.entry.revision;
        case TimeColumn:
            return r.entry.updated.isValid() ? r.entry.updated.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss'Z'"))
                                             : QStringLiteral("-");
        case ChangeColumn: return change();
        }
        return {};
    case Qt::ToolTipRole:
        return column == ChangeColumn && !r.diff.isEmpty() ? r.diff.join(QLatin1Char('\n')) : data(index, Qt::DisplayRole);
    case ToneRole:
        if (column == TimeColumn)
            return int(Tone::Muted);
        if (r.current)
            return int(Tone::Good);
        if (column == ChangeColumn && !revealsValues())
            return int(Tone::Secret);
        return int(r.diff.isEmpty() ? Tone::Muted : Tone::Modified);
    case KeyRole: return m_key;
    case SortRole:
        switch (column) {
        case RevisionColumn: {
            bool numeric = false;
            const qint64 n = r.entry.revision.toLongLong(&numeric);
            return numeric ? QVariant(n) : QVariant(r.entry.revision);
        }
        case TimeColumn: return r.entry.updated.isValid() ? r.entry.updated.toMSecsSinceEpoch() : qint64(-1);
        case ChangeColumn: return qint64(r.diff.size());
        }
        return {};
    case RawRole:
        switch (column) {
        case RevisionColumn: return r.entry.revision;
        case TimeColumn: return r.entry.updated;
        case ChangeColumn: return r.diff;
        }
        return {};
    case DiffRole: return r.diff;
    case CurrentRole: return r.current;
    case ValueRole: return valueText();
    default: return {};
    }
}


QFuture<Status> HistoryModel::reload()
{
    if (!m_provider || !m_provider->capabilities().keyHistory) {
        m_error = unsupported();
        Q_EMIT failed(*m_error);
        return readyFuture(Status(*m_error));
    }
    m_loading = true;
    return m_provider->history(m_key, m_limit).then(this, [this](Result<QList<Entry>> r) -> Status {
        m_loading = false;
        if (!r.ok()) {
            m_error = r.error();
            if (r.error().kind == ErrorKind::NotFound) {
                // Deleted: it has no history to show (a key made again
                // starts a new one).
                m_entries.clear();
                m_current.reset();
                syncRows({});
            }
            Q_EMIT failed(*m_error);
            return r.error();
        }
        m_error.reset();
        m_entries = std::move(r).value();
        m_current = m_entries.isEmpty() ? std::nullopt : std::optional<Entry>(m_entries.constFirst());
        syncRows(rowsFor(m_entries));
        Q_EMIT loaded();
        return {};
    });
}

QFuture<Result<Entry>> HistoryModel::restore(int row)
{
    using R = Result<Entry>;
    if (!m_provider || !m_provider->capabilities().keyHistory)
        return readyFuture(R(unsupported()));
    if (row < 0 || row >= rowCount())
        return readyFuture(R(Error(ErrorKind::Invalid, QStringLiteral("no version at row %1").arg(row), m_key)));
    const HistoryRow &version = rows().at(row);
    if (version.current || !m_current)
        return readyFuture(R(Error(ErrorKind::Invalid, QStringLiteral("that is the current value already"), m_key)));
    Entry e;
    e.key = m_key;
    e.value = version.entry.value;
    e.encoding = version.entry.encoding;
    e.raw = version.entry.raw; // written back byte for byte
    e.labels = m_current->labels;
    const QString base = m_current->revision;
    const QString from = version.entry.revision;
    return m_provider->put(e, Precondition::atRevision(base)).then(this, [this, base, from](R written) -> R {
        if (!written.ok()) {
            Error err = written.error();
            if (err.kind == ErrorKind::Conflict || err.kind == ErrorKind::NotFound) {
                // Never an overwrite: the user restores against what they saw.
                err = Error(ErrorKind::Conflict,
                            QStringLiteral("the key changed after its history was read at revision %1, so revision "
                                           "%2 was not restored; compare again with what it holds now")
                                .arg(base, from),
                            m_key);
            }
            reload();
            return err;
        }
        Q_EMIT restored(written.value());
        reload();
        return written;
    });
}

} // namespace sd::console
