#include "console/EventLog.h"

#include "console/Session.h"
#include "model/Codec.h"

#include <QCoreApplication>

namespace sd::console {

EventLog::EventLog(Session *session, int capacity, QObject *parent)
    : QAbstractTableModel(parent), m_capacity(std::max(1, capacity))
{
    m_flush.setSingleShot(true);
    m_flush.setInterval(0);
    connect(&m_flush, &QTimer::timeout, this, &EventLog::flush);
    if (session)
        connect(session, &Session::event, this, &EventLog::append);
}

void EventLog::setCapacity(int capacity)
{
    m_capacity = std::max(1, capacity);
    flush();
}

void EventLog::append(const Event &event)
{
    ++m_received;
    m_pending.push_back(Row{QDateTime::currentDateTimeUtc(), event.type, event.entry.key, event.revision});
    // Held events are bounded too: only the newest `capacity` can ever show.
    while (int(m_pending.size()) > m_capacity) {
        m_pending.pop_front();
        ++m_dropped;
    }
    if (!m_paused && !m_flush.isActive())
        m_flush.start();
}

void EventLog::flush()
{
    if (m_paused || m_pending.empty()) {
        Q_EMIT countsChanged();
        return;
    }
    const int incoming = int(m_pending.size());
    // Make room first: the oldest shown rows go as one block.
    const int overflow = int(m_rows.size()) + incoming - m_capacity;
    if (overflow > 0) {
        const int n = std::min(overflow, int(m_rows.size()));
        if (n > 0) {
            beginRemoveRows(QModelIndex(), 0, n - 1);
            m_rows.erase(m_rows.begin(), m_rows.begin() + n);
            m_dropped += n;
            endRemoveRows();
        }
    }
    const int first = int(m_rows.size());
    beginInsertRows(QModelIndex(), first, first + incoming - 1);
    for (Row &r : m_pending)
        m_rows.push_back(std::move(r));
    m_pending.clear();
    endInsertRows();
    Q_EMIT countsChanged();
}

void EventLog::pause()
{
    m_paused = true;
}

void EventLog::resume()
{
    m_paused = false;
    flush();
}

void EventLog::clear()
{
    beginResetModel();
    m_rows.clear();
    m_pending.clear();
    endResetModel();
    Q_EMIT countsChanged();
}

int EventLog::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int EventLog::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

namespace {

Tone toneOf(Event::Type t)
{
    switch (t) {
    case Event::Type::Added: return Tone::Added;
    case Event::Type::Modified: return Tone::Modified;
    case Event::Type::Deleted: return Tone::Deleted;
    case Event::Type::Resync:
    case Event::Type::ResyncDone: return Tone::Warning;
    }
    return Tone::Normal;
}

} // namespace

QVariant EventLog::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row &r = m_rows[size_t(index.row())];
    switch (role) {
    case ToneRole: return int(toneOf(r.type));
    case KeyRole: return r.key;
    case EventTypeRole: return int(r.type);
    case SortRole:
        if (index.column() == TimeColumn)
            return r.time.toMSecsSinceEpoch();
        return data(index, Qt::DisplayRole);
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn: return r.time.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz"));
        case TypeColumn: return eventTypeName(r.type);
        case KeyColumn: return r.key;
        case RevisionColumn: return r.revision;
        default: return {};
        }
    default:
        return {};
    }
}

QVariant EventLog::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn: return QCoreApplication::translate("EventLog", "TIME");
    case TypeColumn: return QCoreApplication::translate("EventLog", "EVENT");
    case KeyColumn: return QCoreApplication::translate("EventLog", "KEY");
    case RevisionColumn: return QCoreApplication::translate("EventLog", "REVISION");
    default: return {};
    }
}

} // namespace sd::console
