#pragma once

#include "providers/Provider.h"
#include "providers/redis/RedisConnection.h"

#include <QHash>
#include <QTimer>

namespace sd::redis {

// A watch on keyspace notifications (see RedisProvider.h for the whole
// story). It owns two connections: a subscriber (which can run nothing but
// (P)SUBSCRIBE once subscribed) and one for reading the keys that changed.
// A notification only says "key K changed by command C", so each one is
// followed by a read of K, in order on one connection: events come in the
// order Redis committed them, and a burst of changes to one key may show as
// fewer events that still end at the final value.
class RedisWatch : public Watch {
public:
    RedisWatch(ConnectionOptions options, QString prefix, bool resync, QObject *parent = nullptr);
    ~RedisWatch() override;

    // For tests: whether the server refused CONFIG and we poll.
    bool polling() const { return m_polling; }

    // The notify-keyspace-events flags a watch must add to the server's
    // `current` ones to see every change: K (keyspace channel) and A (every
    // command class) if they are missing. Empty when nothing is, so the
    // server's setting is left alone; else the watch sets current + this.
    static QByteArray missingKeyspaceFlags(const QByteArray &current);

private:
    void connectSubscriber();
    void subscribe(int gen);
    void startPolling(const QByteArray &why);
    void onSubscribed();
    void onLost(const Error &e);
    void onNotification(const QByteArray &key);
    void snapshot(bool announce);
    void processQueue();
    void poll();
    void emitChange(const QByteArray &key, const std::optional<Entry> &entry);

    ConnectionOptions m_options;
    QByteArray m_prefix;
    Connection *m_sub = nullptr;
    Connection *m_cmd = nullptr;
    bool m_needResync;
    bool m_readySent = false;
    bool m_syncing = false;
    bool m_polling = false;
    bool m_failed = false;      // failed() was emitted: nothing more happens
    int m_generation = 0;       // bumped on every reconnect: stale callbacks drop out
    QList<QByteArray> m_queue;  // notifications that came while a snapshot ran
    QHash<QByteArray, QString> m_known; // key -> last revision delivered
    QTimer m_retry;
    QTimer m_poll;
    int m_backoffMs = 100;
};

} // namespace sd::redis
