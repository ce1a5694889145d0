#pragma once

#include "registry/Machine.h"
#include "providers/redis/RedisConnection.h"

#include <QHash>
#include <QObject>
#include <QTimer>

namespace sd::registry {

// A change announced on `{prefix}:events` (XStateNet's RegistryChangeEvent:
// {"Type": 0..4, "MachineId": ..., "MachineInfo": ...}).
struct RegistryChange {
    int type = -1;     // RegistryChangeType
    QString typeName;  // Registered, Unregistered, StatusChanged, HeartbeatUpdated, MetadataUpdated
    QString machineId;
    QDateTime at;      // when it arrived here
    Json raw;          // the message as published
};
QString changeTypeName(int type);

struct RedisRegistryOptions {
    redis::ConnectionOptions connection;
    QString prefix = QStringLiteral("xstatenet");
    int pollIntervalMs = 2000;     // full re-read when notifications are unavailable
    int refreshIntervalMs = 15000; // heartbeat refreshes when the server does not announce SETs
};

// XStateNet's Redis registry, read as RedisStateMachineRegistry writes it:
// HASH {prefix}:machines (id -> StateMachineInfo JSON), {prefix}:heartbeat:{id}
// (DateTime.Ticks, 30 s TTL), {prefix}:status:{id} (MachineStatus name),
// {prefix}:metadata:{id} (JSON). Never writes anything, server settings
// included.
//
// Live updates (startLive): a subscription to {prefix}:events (the
// registry's own change channel) and, when the server's
// notify-keyspace-events announces them (flags E and x, or E and A), to
// keyevent notifications, filtered to the registry's keys, so an expired
// heartbeat turns its machine dead at once. A server whose flags do not
// announce expiry (the default is ""), or that refuses CONFIG GET, is read
// again every pollIntervalMs instead; updateNote() says which and why.
class RedisRegistry : public QObject {
    Q_OBJECT
public:
    enum class Updates { Off, Starting, Live, Polling };

    explicit RedisRegistry(RedisRegistryOptions options, QObject *parent = nullptr);
    ~RedisRegistry() override;

    // One full read; refreshed() or failed() follows.
    void refresh();
    // Reads, then keeps current.
    void startLive();

    const QHash<QString, RedisMachine> &machines() const { return m_machines; }
    bool loaded() const { return m_loaded; }
    Updates updates() const { return m_updates; }
    QString updateNote() const { return m_note; }
    QString describe() const;
    const RedisRegistryOptions &options() const { return m_options; }

Q_SIGNALS:
    // A full read finished; machines() holds it.
    void refreshed();
    // One machine was read again (or is gone: machines() lacks it).
    void machineChanged(const QString &id);
    void changeArrived(const sd::registry::RegistryChange &change);
    void updatesChanged();
    void failed(const sd::Error &error);

private:
    void readAll(int gen);
    void readOne(const QString &id);
    void readDetails(const QStringList &ids, const QHash<QString, QByteArray> &infos,
                     std::function<void(QHash<QString, RedisMachine>)> done);
    void subscribe();
    void setUpdates(Updates u, const QString &note);
    void onKeyEvent(const QByteArray &event, const QByteArray &key);
    void onLost(const Error &e);

    QByteArray key(const char *part) const;

    RedisRegistryOptions m_options;
    redis::Connection *m_cmd;
    redis::Connection *m_sub = nullptr;
    QHash<QString, RedisMachine> m_machines;
    bool m_loaded = false;
    bool m_live = false;
    bool m_reading = false;
    bool m_readAgain = false;
    bool m_setsAnnounced = false;
    int m_generation = 0;
    Updates m_updates = Updates::Off;
    QString m_note;
    QTimer m_poll;
    QTimer m_retry;
};

} // namespace sd::registry

Q_DECLARE_METATYPE(sd::registry::RegistryChange)
