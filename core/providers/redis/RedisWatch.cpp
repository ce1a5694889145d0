#include "providers/redis/RedisWatch.h"

#include "providers/redis/RedisProvider.h"

#include <QPointer>

namespace sd::redis {

RedisWatch::RedisWatch(ConnectionOptions options, QString prefix, bool resync, QObject *parent)
    : Watch(parent), m_options(std::move(options)), m_prefix(prefix.toUtf8()), m_needResync(resync)
{
    m_cmd = new Connection(m_options, this);
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &RedisWatch::connectSubscriber);
    m_poll.setInterval(1000);
    connect(&m_poll, &QTimer::timeout, this, &RedisWatch::poll);
    // Start on the next turn of the loop so the caller can connect to our
    // signals first.
    QTimer::singleShot(0, this, &RedisWatch::connectSubscriber);
}

RedisWatch::~RedisWatch() = default;

void RedisWatch::connectSubscriber()
{
    ++m_generation;
    delete m_sub;
    m_sub = new Connection(m_options, this);
    const int gen = m_generation;
    connect(m_sub, &Connection::lost, this, [this, gen](const Error &e) {
        if (gen == m_generation)
            onLost(e);
    });
    // Keyspace notifications are off by default. K = keyspace channel,
    // A = all commands. Servers that forbid CONFIG (managed Redis) get the
    // polling fallback.
    m_sub->command({"CONFIG", "SET", "notify-keyspace-events", "KA"}, [this, gen](const Result<Reply> &r) {
        if (gen != m_generation || !r.ok())
            return; // lost() reports connection failures
        if (r->type == Reply::Type::Error) {
            if (!m_polling)
                qWarning("redis watch: the server refused CONFIG SET notify-keyspace-events (%s); polling every "
                         "second instead",
                         r->str.constData());
            m_polling = true;
            m_backoffMs = 100;
            m_sub->disconnectNow();
            snapshot(m_needResync);
            return;
        }
        const QByteArray pattern = "__keyspace@" + QByteArray::number(m_options.database) + "__:" +
                                   globEscape(m_prefix) + '*';
        const int channelPrefix = int(pattern.size()) - int(globEscape(m_prefix).size()) - 1;
        m_sub->psubscribe(pattern, [this, gen, channelPrefix](const Result<Reply> &msg) {
            if (gen != m_generation || !msg.ok() || msg->type != Reply::Type::Array || msg->elements.size() < 3)
                return;
            const QByteArray kind = msg->elements[0].str;
            if (kind == "psubscribe") {
                onSubscribed();
            } else if (kind == "pmessage" && msg->elements.size() == 4) {
                const QByteArray event = msg->elements[3].str;
                // A TTL change is not a change of value.
                if (event == "expire" || event == "persist")
                    return;
                onNotification(msg->elements[2].str.mid(channelPrefix));
            }
        });
    });
    m_sub->connectNow();
}

void RedisWatch::onSubscribed()
{
    m_backoffMs = 100;
    // Anything committed from here on produces a notification we will see.
    snapshot(m_needResync);
}

void RedisWatch::onLost(const Error &e)
{
    if (e.kind == ErrorKind::Unauthorized || e.kind == ErrorKind::Forbidden || e.kind == ErrorKind::Invalid) {
        Q_EMIT failed(e);
        return;
    }
    if (m_polling)
        return;
    // Changes made while we were away are unknown: start over with a Resync.
    m_needResync = true;
    m_syncing = false;
    m_queue.clear();
    m_retry.start(m_backoffMs);
    m_backoffMs = std::min(m_backoffMs * 2, 2000);
}

// Reads the whole prefix. With `announce` it is a Resync (history lost, or a
// resume we cannot honour); otherwise it just learns which keys exist so
// the first change to one of them is a Modified rather than an Added.
void RedisWatch::snapshot(bool announce)
{
    m_syncing = true;
    const int gen = m_generation;
    QPointer<RedisWatch> self(this);
    scanAll(m_cmd, m_prefix, [self, gen, announce](Result<QList<QByteArray>> keys) {
        if (!self || gen != self->m_generation)
            return;
        if (!keys.ok()) {
            self->onLost(keys.error());
            return;
        }
        fetchEntries(self->m_cmd, keys.value(), announce, [self, gen, announce](Result<QList<Entry>> entries) {
            if (!self || gen != self->m_generation)
                return;
            if (!entries.ok()) {
                self->onLost(entries.error());
                return;
            }
            if (self->m_polling && !announce && self->m_readySent) {
                // Polling: the diff against what we delivered is the change.
                QHash<QByteArray, QString> now;
                for (const Entry &e : entries.value())
                    now.insert(e.key.toUtf8(), e.revision);
                const QList<QByteArray> gone = [&] {
                    QList<QByteArray> out;
                    for (auto it = self->m_known.cbegin(); it != self->m_known.cend(); ++it)
                        if (!now.contains(it.key()))
                            out << it.key();
                    return out;
                }();
                for (const QByteArray &k : gone)
                    self->emitChange(k, std::nullopt);
                // Keys whose revision moved are read again with their value.
                QList<QByteArray> changed;
                for (auto it = now.cbegin(); it != now.cend(); ++it)
                    if (self->m_known.value(it.key()) != it.value() || it.value() == QLatin1String("0"))
                        changed << it.key();
                fetchEntries(self->m_cmd, changed, true, [self, gen](Result<QList<Entry>> full) {
                    if (!self || gen != self->m_generation || !full.ok())
                        return;
                    for (const Entry &e : full.value())
                        self->emitChange(e.key.toUtf8(), e);
                    self->m_syncing = false;
                });
                return;
            }
            self->m_known.clear();
            if (announce) {
                Event resync;
                resync.type = Event::Type::Resync;
                Q_EMIT self->event(resync);
            }
            for (const Entry &e : entries.value()) {
                self->m_known.insert(e.key.toUtf8(), e.revision);
                if (announce) {
                    Event added;
                    added.type = Event::Type::Added;
                    added.entry = e;
                    added.revision = e.revision;
                    Q_EMIT self->event(added);
                }
            }
            if (announce) {
                Event done;
                done.type = Event::Type::ResyncDone;
                Q_EMIT self->event(done);
            }
            self->m_needResync = false;
            self->m_syncing = false;
            if (!self->m_readySent) {
                self->m_readySent = true;
                Q_EMIT self->ready();
            }
            if (self->m_polling && !self->m_poll.isActive())
                self->m_poll.start();
            self->processQueue();
        });
    });
}

void RedisWatch::poll()
{
    if (!m_syncing)
        snapshot(false);
}

void RedisWatch::onNotification(const QByteArray &key)
{
    if (isReservedKey(key) || !key.startsWith(m_prefix))
        return;
    m_queue << key;
    if (!m_syncing)
        processQueue();
}

void RedisWatch::processQueue()
{
    const QList<QByteArray> keys = std::exchange(m_queue, {});
    const int gen = m_generation;
    QPointer<RedisWatch> self(this);
    // One read per notification, issued in order on one connection: the
    // answers come back in the same order.
    for (const QByteArray &key : keys) {
        fetchEntries(m_cmd, {key}, true, [self, gen, key](Result<QList<Entry>> r) {
            if (!self || gen != self->m_generation || !r.ok())
                return; // a lost connection is handled by the subscriber's retry
            self->emitChange(key, r->isEmpty() ? std::nullopt : std::optional<Entry>(r->first()));
        });
    }
}

void RedisWatch::emitChange(const QByteArray &key, const std::optional<Entry> &entry)
{
    Event ev;
    if (!entry) {
        if (!m_known.contains(key))
            return;
        m_known.remove(key);
        ev.type = Event::Type::Deleted;
        ev.entry.key = QString::fromUtf8(key);
    } else {
        const auto it = m_known.constFind(key);
        if (it != m_known.cend()) {
            // Several notifications for one write (a script's SET and its
            // TTL) read the same revision: deliver it once. Revision "0"
            // (written by another tool) cannot tell, so it always goes out.
            if (it.value() == entry->revision && entry->revision != QLatin1String("0"))
                return;
            ev.type = Event::Type::Modified;
        } else {
            ev.type = Event::Type::Added;
        }
        m_known.insert(key, entry->revision);
        ev.entry = *entry;
        ev.revision = entry->revision;
    }
    Q_EMIT event(ev);
}

} // namespace sd::redis
