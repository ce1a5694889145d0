#pragma once

#include "console/Roles.h"
#include "model/Entry.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QTimer>

#include <deque>

namespace sd::console {

class Session;

// The session's watch events as a table (time, type, key, revision), newest
// last, in a bounded ring: past `capacity` the oldest go, so a long-running
// console never grows. Values are not kept (they may be secrets, and they
// are one `get` away). Events that arrive together are added as one block,
// so a storm of 10k events a second costs a few signals, not 20k.
//
// pause() freezes what the table shows; events keep being collected (still
// bounded) and appear on resume(). Filter it with FilterModel (KeyRole).
class EventLog : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TimeColumn, TypeColumn, KeyColumn, RevisionColumn, ColumnCount };
    enum ExtraRole { EventTypeRole = FirstCustomRole }; // Event::Type as int

    explicit EventLog(Session *session, int capacity = 10000, QObject *parent = nullptr);

    int capacity() const { return m_capacity; }
    void setCapacity(int capacity);
    void pause();
    void resume();
    bool paused() const { return m_paused; }
    void clear();
    // Events received in all, and those dropped off the ring.
    qint64 received() const { return m_received; }
    qint64 dropped() const { return m_dropped; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

public Q_SLOTS:
    void append(const sd::Event &event);

Q_SIGNALS:
    void countsChanged();

private:
    struct Row {
        QDateTime time;
        Event::Type type;
        QString key;
        QString revision;
    };
    void flush();

    int m_capacity;
    bool m_paused = false;
    std::deque<Row> m_rows;    // shown
    std::deque<Row> m_pending; // received, not yet shown
    qint64 m_received = 0;
    qint64 m_dropped = 0;
    QTimer m_flush;
};

} // namespace sd::console
