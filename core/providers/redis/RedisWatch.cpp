#include "providers/redis/RedisWatch.h"

#include "providers/redis/RedisProvider.h"

#include <QPointer>

namespace sd::redis {

RedisWatch::RedisWatch(ConnectionOptions options, QString prefix, bool resync, QObject *parent)
    : Watch(parent), m_options(std::move(options)), m_prefix(prefix.toUtf8()), m_needResync(resync)
{
    m_cmd = new Connection(m_options, this);
    // The reading connection dropping (a server restart between two polls,
    // or under a burst of notifications) loses changes as surely as the
    // subscriber dropping: both lead to a Resync.
    connect(m_cmd, &Connection::lost, this, &RedisWatch::onLost);
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &RedisWatch::connectSubscriber);
    m_poll.setInterval(1000);
    connect(&m_poll, &QTimer::timeout, this, &RedisWatch::poll);
    // Start on the next turn of the loop so the caller can connect to our
    // signals first.
    QTimer::singleShot(0, this, &RedisWatch::connectSubscriber);
}

RedisWatch::~RedisWatch() = default;

QByteArray RedisWatch::missingKeyspaceFlags(const QByteArray &current)
{
    QByteArray missing;
    if (!current.contains('K'))
        missing += 'K';
    // 'A' is Redis's alias for every command class (g$lshzxet, and d since
    // 7.0); a server may also list the classes one by one.
    if (!current.contains('A')) {
        for (char c : QByteArrayLiteral("g$lshzxet")) {
            if (!current.contains(c)) {
                missing += 'A';
                break;
            }
        }
    }
    return missing;
}

void RedisWatch::connectSubscriber()
{
    if (m_failed)
        return;
    ++m_generation;
    delete m_sub;
    m_sub = new Connection(m_options, this);
    const int gen = m_generation;
    connect(m_sub, &Connection::lost, this, [this, gen](const Error &e) {
        if (gen == m_generation)
            onLost(e);
    });
    // Keyspace notifications are off by default. The server's flags are read
    // first and only what is missing is added: other applications rely on
    // theirs (a blind "KA" would turn a server's "xE" into "AK" and silence
    // their keyevent channel). Servers that forbid CONFIG (managed Redis)
    // get the polling fallback.
    m_sub->command({"CONFIG", "GET", "notify-keyspace-events"}, [this, gen](const Result<Reply> &r) {
        if (gen != m_generation || !r.ok())
            return; // lost() reports connection failures
        if (r->type == Reply::Type::Error) {
            startPolling(r->str);
            return;
        }
        if (r->type != Reply::Type::Array || r->elements.size() != 2) {
            startPolling("unexpected answer to CONFIG GET notify-keyspace-events");
            return;
        }
        const QByteArray current = r->elements[1].str;
        const QByteArray missing = missingKeyspaceFlags(current);
        if (missing.isEmpty()) {
            subscribe(gen);
            return;
        }
        m_sub->command({"CONFIG", "SET", "notify-keyspace-events", current + missing},
                       [this, gen](const Result<Reply> &set) {
                           if (gen != m_generation || !set.ok())
                               return;
                           if (set->type == Reply::Type::Error) {
                               startPolling(set->str);
                               return;
                           }
                           subscribe(gen);
                       });
    });
    m_sub->connectNow();
}

void RedisWatch::startPolling(const QByteArray &why)
{
    if (!m_polling)
        qWarning("redis watch: cannot enable keyspace notifications (%s); polling every second instead. Set "
                 "notify-keyspace-events to include K and A on the server for immediate events",
                 why.constData());
    m_polling = true;
    // The subscriber has nothing left to do; its going away is no loss.
    QObject::disconnect(m_sub, nullptr, this, nullptr);
    m_sub->disconnectNow();
    snapshot(m_needResync);
}

void RedisWatch::subscribe(int gen)
{
    // A server that refused CONFIG before may allow it after a restart.
    m_polling = false;
    m_poll.stop();
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
}

void RedisWatch::onSubscribed()
{
    // Anything committed from here on produces a notification we will see.
    snapshot(m_needResync);
}

void RedisWatch::onLost(const Error &e)
{
    if (m_failed)
        return;
    if (e.kind == ErrorKind::Unauthorized || e.kind == ErrorKind::Forbidden || e.kind == ErrorKind::Invalid) {
        m_failed = true;
        ++m_generation;
        m_retry.stop();
        m_poll.stop();
        Q_EMIT failed(e);
        return;
    }
    // One outage is reported by both connections and by the requests that
    // were in flight: one retry is enough.
    if (m_retry.isActive())
        return;
    // Answers still on their way belong to the lost round.
    ++m_generation;
    // Changes made while we were away are unknown: start over with a Resync.
    // Polling too: a restarted server without persistence hands out the same
    // revisions again, so a diff by revision could miss a change.
    m_needResync = true;
    m_syncing = false;
    m_queue.clear();
    m_poll.stop();
    m_retry.start(m_backoffMs);
    const QDateTime retryAt = QDateTime::currentDateTimeUtc().addMSecs(m_backoffMs);
    m_backoffMs = std::min(m_backoffMs * 2, 2000);
    // No resumed() follows: after a loss the watch always comes back with a
    // Resync, and its ResyncDone marks the return.
    Q_EMIT interrupted(e, retryAt);
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
                    if (!self || gen != self->m_generation)
                        return;
                    if (!full.ok()) {
                        self->onLost(full.error());
                        return;
                    }
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
            self->m_backoffMs = 100;
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
            if (!self || gen != self->m_generation)
                return;
            if (!r.ok()) {
                // The change is unknown now: start over with a Resync.
                self->onLost(r.error());
                return;
            }
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
