#include "registry/RedisRegistry.h"

#include "providers/redis/RedisProvider.h"

#include <QPointer>

#include <memory>

namespace sd::registry {

using redis::Reply;

QString changeTypeName(int type)
{
    static const char *const names[] = {"Registered", "Unregistered", "StatusChanged", "HeartbeatUpdated",
                                        "MetadataUpdated"};
    if (type >= 0 && type < int(std::size(names)))
        return QString::fromLatin1(names[type]);
    return QString::number(type);
}

RedisRegistry::RedisRegistry(RedisRegistryOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options))
{
    qRegisterMetaType<sd::registry::RegistryChange>();
    m_cmd = new redis::Connection(m_options.connection, this);
    m_poll.setSingleShot(false);
    connect(&m_poll, &QTimer::timeout, this, &RedisRegistry::refresh);
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        subscribe();
        refresh();
    });
}

RedisRegistry::~RedisRegistry() = default;

QString RedisRegistry::describe() const
{
    return QStringLiteral("redis://%1:%2/%3 (prefix %4)")
        .arg(m_options.connection.host)
        .arg(m_options.connection.port)
        .arg(m_options.connection.database)
        .arg(m_options.prefix);
}

QByteArray RedisRegistry::key(const char *part) const
{
    return m_options.prefix.toUtf8() + ':' + part;
}

void RedisRegistry::refresh()
{
    if (m_reading) {
        m_readAgain = true;
        return;
    }
    readAll(m_generation);
}

void RedisRegistry::startLive()
{
    m_live = true;
    setUpdates(Updates::Starting, QStringLiteral("connecting to %1").arg(describe()));
    subscribe();
    refresh();
}

void RedisRegistry::setUpdates(Updates u, const QString &note)
{
    if (u == m_updates && note == m_note)
        return;
    m_updates = u;
    m_note = note;
    Q_EMIT updatesChanged();
}

void RedisRegistry::readAll(int gen)
{
    m_reading = true;
    QPointer<RedisRegistry> self(this);
    m_cmd->command({"HGETALL", key("machines")}, [self, gen](const Result<Reply> &r) {
        if (!self || gen != self->m_generation)
            return;
        auto fail = [&](const Error &e) {
            self->m_reading = false;
            self->onLost(e);
        };
        if (!r.ok())
            return fail(r.error());
        if (r->type == Reply::Type::Error)
            return fail(Error(ErrorKind::Invalid,
                              QStringLiteral("cannot read the registry hash: %1").arg(QString::fromUtf8(r->str)),
                              QString::fromUtf8(self->key("machines"))));
        QStringList ids;
        QHash<QString, QByteArray> infos;
        for (int i = 0; i + 1 < int(r->elements.size()); i += 2) {
            const QString id = QString::fromUtf8(r->elements[i].str);
            ids << id;
            infos.insert(id, r->elements[i + 1].str);
        }
        self->readDetails(ids, infos, [self, gen](QHash<QString, RedisMachine> machines) {
            if (!self || gen != self->m_generation)
                return;
            self->m_machines = std::move(machines);
            self->m_loaded = true;
            self->m_reading = false;
            Q_EMIT self->refreshed();
            if (std::exchange(self->m_readAgain, false))
                self->refresh();
        });
    });
}

void RedisRegistry::readDetails(const QStringList &ids, const QHash<QString, QByteArray> &infos,
                                std::function<void(QHash<QString, RedisMachine>)> done)
{
    struct Batch {
        QHash<QString, RedisMachine> machines;
        int left = 0;
        bool failed = false;
        std::function<void(QHash<QString, RedisMachine>)> done;
    };
    auto batch = std::make_shared<Batch>();
    batch->done = std::move(done);
    for (const QString &id : ids) {
        RedisMachine m;
        m.id = id;
        const QByteArray text = infos.value(id);
        const Json info = parseJsonOrDiscarded(text);
        if (info.is_discarded()) {
            m.info = Json(nullptr);
            m.infoError = QStringLiteral("the registry entry is not JSON");
        } else {
            m.info = info;
        }
        batch->machines.insert(id, m);
    }
    if (ids.isEmpty()) {
        QTimer::singleShot(0, this, [batch] { batch->done(batch->machines); });
        return;
    }
    const int gen = m_generation;
    QPointer<RedisRegistry> self(this);
    auto finishOne = [self, batch, gen](const Result<Reply> &r, const std::function<void(const Reply &)> &use) {
        if (!self || gen != self->m_generation || batch->failed)
            return;
        if (!r.ok()) {
            batch->failed = true;
            self->m_reading = false;
            self->onLost(r.error());
            return;
        }
        if (r->type != Reply::Type::Error)
            use(r.value());
        if (--batch->left == 0)
            batch->done(batch->machines);
    };
    for (const QString &id : ids) {
        const QByteArray idBytes = id.toUtf8();
        const QByteArray hb = key("heartbeat:") + idBytes;
        batch->left += 4;
        // Pipelined: four commands per machine, answers in order.
        m_cmd->command({"GET", hb}, [batch, id, finishOne](const Result<Reply> &r) {
            finishOne(r, [&](const Reply &rep) {
                if (rep.type != Reply::Type::String)
                    return;
                bool ok = false;
                const qint64 ticks = rep.str.trimmed().toLongLong(&ok);
                // A heartbeat that is not a tick count still proves the key
                // lives; its age is unknown then.
                batch->machines[id].heartbeat = ok ? ticksToUtc(ticks) : QDateTime();
            });
        });
        m_cmd->command({"PTTL", hb}, [batch, id, finishOne](const Result<Reply> &r) {
            finishOne(r, [&](const Reply &rep) {
                if (rep.type == Reply::Type::Integer)
                    batch->machines[id].heartbeatTtlMs = rep.integer;
            });
        });
        m_cmd->command({"GET", key("status:") + idBytes}, [batch, id, finishOne](const Result<Reply> &r) {
            finishOne(r, [&](const Reply &rep) {
                if (rep.type == Reply::Type::String)
                    batch->machines[id].statusKey = QString::fromUtf8(rep.str).trimmed();
            });
        });
        m_cmd->command({"GET", key("metadata:") + idBytes}, [batch, id, finishOne](const Result<Reply> &r) {
            finishOne(r, [&](const Reply &rep) {
                if (rep.type != Reply::Type::String)
                    return;
                const Json j = parseJsonOrDiscarded(rep.str);
                batch->machines[id].metadata = j.is_discarded() ? Json(toStd(rep.str)) : j;
            });
        });
    }
}

void RedisRegistry::subscribe()
{
    ++m_generation;
    m_reading = false;
    delete m_sub;
    m_sub = new redis::Connection(m_options.connection, this);
    const int gen = m_generation;
    connect(m_sub, &redis::Connection::lost, this, [this, gen](const Error &e) {
        if (gen == m_generation)
            onLost(e);
    });
    QPointer<RedisRegistry> self(this);
    // The registry's own channel needs no server setting.
    const QByteArray channel = key("events");
    m_sub->psubscribe(redis::globEscape(channel), [self, gen](const Result<Reply> &msg) {
        if (!self || gen != self->m_generation || !msg.ok() || msg->type != Reply::Type::Array ||
            msg->elements.size() != 4 || msg->elements[0].str != "pmessage")
            return;
        RegistryChange c;
        c.at = QDateTime::currentDateTimeUtc();
        c.raw = parseJsonOrDiscarded(msg->elements[3].str);
        if (c.raw.is_discarded())
            c.raw = Json(toStd(msg->elements[3].str));
        if (c.raw.is_object()) {
            const Json type = c.raw.contains("Type") ? c.raw["Type"] : Json();
            if (type.is_number_integer()) {
                c.type = type.get<int>();
                c.typeName = changeTypeName(c.type);
            } else if (type.is_string()) {
                c.typeName = toQString(type.get<std::string>());
            }
            if (c.raw.contains("MachineId") && c.raw["MachineId"].is_string())
                c.machineId = toQString(c.raw["MachineId"].get<std::string>());
        }
        Q_EMIT self->changeArrived(c);
        self->refresh();
    });

    // Expiry is only announced when the server is told to; we read its
    // setting and never change it (other clients rely on theirs). Asked on
    // the command connection: a subscribed one may run nothing else.
    m_cmd->command({"CONFIG", "GET", "notify-keyspace-events"}, [self, gen](const Result<Reply> &r) {
        if (!self || gen != self->m_generation || !r.ok())
            return;
        const QString where = self->m_sub->hostPort();
        auto poll = [&](const QString &why) {
            self->m_poll.start(self->m_options.pollIntervalMs);
            self->setUpdates(Updates::Polling,
                             QStringLiteral("%1; reading the registry every %2 s instead of live updates. For live "
                                            "updates set notify-keyspace-events to include E (or K) and x "
                                            "(CONFIG SET notify-keyspace-events Ex)")
                                 .arg(why)
                                 .arg(self->m_options.pollIntervalMs / 1000.0));
        };
        if (r->type == Reply::Type::Error) {
            poll(QStringLiteral("%1 refused CONFIG GET notify-keyspace-events (%2), so whether expired heartbeats "
                                "are announced is unknown")
                     .arg(where, QString::fromUtf8(r->str)));
            return;
        }
        const QByteArray flags = r->type == Reply::Type::Array && r->elements.size() == 2 ? r->elements[1].str
                                                                                            : QByteArray();
        const bool all = flags.contains('A');
        const bool expiry = all || flags.contains('x');
        const bool keyspace = flags.contains('K') && expiry;
        if (!keyspace && !(flags.contains('E') && expiry)) {
            poll(QStringLiteral("notify-keyspace-events is \"%1\" on %2: expired heartbeats are not announced")
                     .arg(QString::fromLatin1(flags), where));
            return;
        }
        self->m_setsAnnounced = all || flags.contains('$');
        auto onSubscribed = [self] {
            self->m_poll.stop();
            if (!self->m_setsAnnounced)
                self->m_poll.start(self->m_options.refreshIntervalMs);
            self->setUpdates(Updates::Live,
                             self->m_setsAnnounced
                                 ? QStringLiteral("live: registry events and keyspace notifications")
                                 : QStringLiteral("live: registry events and expiry notifications; heartbeat "
                                                  "refreshes read every %1 s (notify-keyspace-events lacks $)")
                                       .arg(self->m_options.refreshIntervalMs / 1000.0));
            // Changes made before the subscription took hold are read now.
            self->refresh();
        };
        const QByteArray db = QByteArray::number(self->m_options.connection.database);
        if (keyspace) {
            // The keyspace channel names the key: the server filters by prefix.
            const QByteArray prefix = self->m_options.prefix.toUtf8() + ':';
            const QByteArray pattern = "__keyspace@" + db + "__:" + redis::globEscape(prefix) + '*';
            const int keyAt = int(("__keyspace@" + db + "__:").size());
            self->m_sub->psubscribe(pattern, [self, gen, keyAt, onSubscribed](const Result<Reply> &msg) {
                if (!self || gen != self->m_generation || !msg.ok() || msg->type != Reply::Type::Array ||
                    msg->elements.isEmpty())
                    return;
                if (msg->elements[0].str == "psubscribe")
                    onSubscribed();
                else if (msg->elements.size() == 4 && msg->elements[0].str == "pmessage" &&
                         msg->elements[3].str != "expire")
                    self->onKeyEvent(msg->elements[3].str, msg->elements[2].str.mid(keyAt));
            });
            return;
        }
        // Only the events the registry's writes cause: a busy server's other
        // traffic stays on the server.
        QList<QByteArray> events{"expired"};
        if (self->m_setsAnnounced)
            events << "set";
        if (all || flags.contains('h'))
            events << "hset" << "hdel";
        if (all || flags.contains('g'))
            events << "del";
        const QByteArray channel = "__keyevent@" + db + "__:";
        for (const QByteArray &event : std::as_const(events)) {
            const bool first = event == events.first();
            self->m_sub->psubscribe(channel + event, [self, gen, first, onSubscribed](const Result<Reply> &msg) {
                if (!self || gen != self->m_generation || !msg.ok() || msg->type != Reply::Type::Array ||
                    msg->elements.isEmpty())
                    return;
                if (msg->elements[0].str == "psubscribe") {
                    if (first)
                        onSubscribed();
                    return;
                }
                if (msg->elements.size() == 4 && msg->elements[0].str == "pmessage")
                    self->onKeyEvent(msg->elements[2].str, msg->elements[3].str);
            });
        }
    });
    m_sub->connectNow();
}

void RedisRegistry::onKeyEvent(const QByteArray &event, const QByteArray &k)
{
    Q_UNUSED(event)
    if (!k.startsWith(QByteArray(m_options.prefix.toUtf8() + ':')))
        return;
    refresh();
}

void RedisRegistry::onLost(const Error &e)
{
    Q_EMIT failed(e);
    if (!m_live || m_retry.isActive())
        return;
    ++m_generation;
    m_reading = false;
    m_poll.stop();
    setUpdates(Updates::Starting, QStringLiteral("%1; retrying in 2 s").arg(e.toString()));
    m_retry.start(2000);
}

} // namespace sd::registry
