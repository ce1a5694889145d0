#include "store/StateStore.h"

#include "log/Log.h"
#include "model/Codec.h"
#include "util/Async.h"

#include <QElapsedTimer>
#include <QPromise>

namespace sd {
namespace {

qint64 nowNs()
{
    static QElapsedTimer clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return clock.nsecsElapsed();
}

template <typename T>
QFuture<T> failed(Error e)
{
    return readyFuture(T(std::move(e)));
}

} // namespace

StateStore::StateStore(std::unique_ptr<Provider> provider, StoreOptions options, QObject *parent)
    : QObject(parent), m_provider(std::move(provider)), m_options(options), m_rateLimiter(options.rateLimit)
{
    qRegisterMetaType<sd::StateChange>();
    qRegisterMetaType<sd::RateLimitEvent>();
}

StateStore::~StateStore() = default;

qsizetype StateStore::valueSize(const Entry &entry)
{
    if (entry.encoding == Encoding::Json)
        return compactJson(entry.value).size();
    return encodeValue(entry).size();
}

void StateStore::ensureWatch()
{
    if (m_watch || !m_options.cache || m_provider->capabilities().watch == WatchKind::None)
        return;
    m_watch = m_provider->watch(QString(), QString());
    if (!m_watch)
        return;
    connect(m_watch.get(), &Watch::event, this, &StateStore::onWatchEvent);
    connect(m_watch.get(), &Watch::failed, this, [this](const Error &e) {
        // Without the stream the cache can only go stale: drop it for good.
        m_cacheLive = false;
        m_cache.clear();
        log::warn(QStringLiteral("cache_disabled"), {{QStringLiteral("reason"), e.message}});
    });
    m_cacheLive = true;
}

void StateStore::onWatchEvent(const Event &event)
{
    if (event.type == Event::Type::Resync) {
        m_cache.clear();
        return;
    }
    if (event.type == Event::Type::ResyncDone)
        return;
    // Invalidate rather than fill: the next get re-reads the whole entry.
    m_cache.remove(event.entry.key);
}

void StateStore::record(const QString &op, const Error *error, qint64 nanos, const QString &key)
{
    OpStats &s = m_stats[op];
    s.seconds += double(nanos) / 1e9;
    QJsonObject fields{{QStringLiteral("op"), op},
                       {QStringLiteral("key"), key},
                       {QStringLiteral("store"), m_provider->describe()},
                       {QStringLiteral("ms"), double(nanos) / 1e6}};
    if (error) {
        s.errors[errorKindName(error->kind)]++;
        fields.insert(QStringLiteral("result"), errorKindName(error->kind));
        log::info(QStringLiteral("state_op"), fields);
    } else {
        s.ok++;
        fields.insert(QStringLiteral("result"), QStringLiteral("ok"));
        log::debug(QStringLiteral("state_op"), fields);
    }
}

Status StateStore::admitWrite(const QString &key, const QString &actor)
{
    const QString who = actor.isEmpty() ? QStringLiteral("anonymous") : actor;
    const RateLimiter::Verdict v = m_rateLimiter.record(who, key);
    if (!v.overLimit)
        return {};
    ++m_rateLimitedCount;
    Q_EMIT rateLimited({who, key, v.attempts, m_rateLimiter.policy().writesPerHour, v.refused});
    log::warn(QStringLiteral("rate_limit"), {{QStringLiteral("actor"), who},
                                              {QStringLiteral("key"), key},
                                              {QStringLiteral("attempts"), v.attempts},
                                              {QStringLiteral("refused"), v.refused}});
    if (!v.refused)
        return {};
    return Error(ErrorKind::RateLimited,
                 QStringLiteral("%1 wrote this key %2 times in the last hour; the limit is %3 "
                                "(RATE_LIMIT_KEY_ROTATION, enforced because RATE_LIMIT_ENABLED=true)")
                     .arg(who)
                     .arg(v.attempts)
                     .arg(m_rateLimiter.policy().writesPerHour),
                 key);
}

QFuture<Result<Entry>> StateStore::get(const QString &key)
{
    ensureWatch();
    if (m_cacheLive) {
        const auto it = m_cache.constFind(key);
        if (it != m_cache.cend()) {
            ++m_cacheHits;
            return readyFuture(Result<Entry>(it.value()));
        }
    }
    const qint64 started = nowNs();
    return m_provider->get(key).then(this, [this, key, started](Result<Entry> r) {
        record(QStringLiteral("get"), r.ok() ? nullptr : &r.error(), nowNs() - started, key);
        if (r.ok() && m_cacheLive)
            m_cache.insert(key, r.value());
        return r;
    });
}

QFuture<Result<Entry>> StateStore::set(const QString &key, const Json &value, const Precondition &pre,
                                       const QString &actor)
{
    Entry e;
    e.key = key;
    e.value = value;
    e.encoding = Encoding::Json;
    return put(e, pre, actor);
}

QFuture<Result<Entry>> StateStore::put(const Entry &entry, const Precondition &pre, const QString &actor)
{
    const qsizetype size = valueSize(entry);
    if (size > kMaxValueBytes) {
        Error e(ErrorKind::TooLarge,
                QStringLiteral("the value is %1 bytes; the limit is %2 bytes (1 MiB). Nothing was written.")
                    .arg(size)
                    .arg(kMaxValueBytes),
                entry.key);
        record(QStringLiteral("set"), &e, 0, entry.key);
        return failed<Result<Entry>>(e);
    }
    if (Status admitted = admitWrite(entry.key, actor); !admitted.ok())
        return failed<Result<Entry>>(admitted.error());
    const qint64 started = nowNs();
    const QString key = entry.key;
    return m_provider->put(entry, pre).then(this, [this, key, actor, started](Result<Entry> r) {
        record(QStringLiteral("set"), r.ok() ? nullptr : &r.error(), nowNs() - started, key);
        if (r.ok()) {
            if (m_cacheLive)
                m_cache.insert(key, r.value());
            Q_EMIT stateChanged({StateChange::Kind::Set, key, r->revision, actor});
        }
        return r;
    });
}

QFuture<Result<Entry>> StateStore::update(const QString &key, const Json &mergePatch, const Precondition &pre,
                                          const QString &actor)
{
    if (Status admitted = admitWrite(key, actor); !admitted.ok())
        return failed<Result<Entry>>(admitted.error());
    auto promise = std::make_shared<QPromise<Result<Entry>>>();
    QFuture<Result<Entry>> future = promise->future();
    promise->start();
    attemptUpdate(promise, key, mergePatch, pre, actor, 1, nowNs());
    return future;
}

void StateStore::attemptUpdate(std::shared_ptr<QPromise<Result<Entry>>> promise, QString key, Json patch,
                               Precondition pre, QString actor, int attempt, qint64 startedNs)
{
    auto finish = [this, promise, key, startedNs](Result<Entry> r) {
        record(QStringLiteral("update"), r.ok() ? nullptr : &r.error(), nowNs() - startedNs, key);
        promise->addResult(std::move(r));
        promise->finish();
    };
    // Always read from the backend: a cached copy would only lose the race again.
    m_provider->get(key).then(this, [=, this](Result<Entry> current) mutable {
        Entry next;
        Precondition cas;
        if (current.ok()) {
            next = current.value();
            if (pre.kind == Precondition::Kind::Revision && pre.revision != next.revision) {
                finish(Error(ErrorKind::Conflict,
                             QStringLiteral("the value changed: expected revision %1, found %2")
                                 .arg(pre.revision, next.revision),
                             key));
                return;
            }
            if (pre.kind == Precondition::Kind::MustNotExist) {
                finish(Error(ErrorKind::AlreadyExists, QStringLiteral("the key already exists"), key));
                return;
            }
            cas = Precondition::atRevision(next.revision);
        } else if (current.error().kind == ErrorKind::NotFound) {
            if (pre.kind == Precondition::Kind::Revision) {
                finish(Error(ErrorKind::Conflict,
                             QStringLiteral("expected revision %1, but the key does not exist").arg(pre.revision),
                             key));
                return;
            }
            next.key = key;
            next.value = Json::object();
            next.encoding = Encoding::Json;
            cas = Precondition::mustNotExist();
        } else {
            finish(current.error());
            return;
        }
        next.value.merge_patch(patch);
        next.raw.clear();
        if (next.encoding != Encoding::Json && next.encoding != Encoding::Yaml)
            next.encoding = Encoding::Json; // a patched value is structured JSON now
        if (const qsizetype size = valueSize(next); size > kMaxValueBytes) {
            finish(Error(ErrorKind::TooLarge,
                         QStringLiteral("the patched value would be %1 bytes; the limit is %2 bytes (1 MiB). "
                                        "Nothing was written.")
                             .arg(size)
                             .arg(kMaxValueBytes),
                         key));
            return;
        }
        m_provider->put(next, cas).then(this, [=, this](Result<Entry> written) mutable {
            if (written.ok()) {
                if (m_cacheLive)
                    m_cache.insert(key, written.value());
                Q_EMIT stateChanged({StateChange::Kind::Update, key, written->revision, actor});
                finish(std::move(written));
                return;
            }
            const ErrorKind kind = written.error().kind;
            const bool lostRace = kind == ErrorKind::Conflict || kind == ErrorKind::AlreadyExists;
            if (lostRace && pre.kind != Precondition::Kind::Revision && attempt < m_options.maxUpdateAttempts) {
                ++m_casRetries;
                attemptUpdate(promise, key, patch, pre, actor, attempt + 1, startedNs);
                return;
            }
            if (lostRace && pre.kind != Precondition::Kind::Revision)
                finish(Error(ErrorKind::Conflict,
                             QStringLiteral("gave up after %1 attempts: other writers kept changing the key")
                                 .arg(attempt),
                             key));
            else
                finish(std::move(written));
        });
    });
}

QFuture<Status> StateStore::remove(const QString &key, const Precondition &pre, const QString &actor)
{
    if (Status admitted = admitWrite(key, actor); !admitted.ok())
        return readyFuture(admitted);
    const qint64 started = nowNs();
    return m_provider->remove(key, pre).then(this, [this, key, actor, started](Status s) {
        record(QStringLiteral("delete"), s.ok() ? nullptr : &s.error(), nowNs() - started, key);
        if (s.ok()) {
            m_cache.remove(key);
            Q_EMIT stateChanged({StateChange::Kind::Delete, key, QString(), actor});
        }
        return s;
    });
}

QString StateStore::metricsText() const
{
    QString out;
    const QString store = m_provider->scheme();
    out += QStringLiteral("# HELP statedeck_operations_total State operations by outcome.\n"
                          "# TYPE statedeck_operations_total counter\n");
    for (auto it = m_stats.cbegin(); it != m_stats.cend(); ++it) {
        out += QStringLiteral("statedeck_operations_total{store=\"%1\",op=\"%2\",result=\"ok\"} %3\n")
                   .arg(store, it.key())
                   .arg(it->ok);
        for (auto e = it->errors.cbegin(); e != it->errors.cend(); ++e)
            out += QStringLiteral("statedeck_operations_total{store=\"%1\",op=\"%2\",result=\"%3\"} %4\n")
                       .arg(store, it.key(), e.key())
                       .arg(e.value());
    }
    out += QStringLiteral("# HELP statedeck_operation_seconds_total Time spent in state operations.\n"
                          "# TYPE statedeck_operation_seconds_total counter\n");
    for (auto it = m_stats.cbegin(); it != m_stats.cend(); ++it)
        out += QStringLiteral("statedeck_operation_seconds_total{store=\"%1\",op=\"%2\"} %3\n")
                   .arg(store, it.key())
                   .arg(it->seconds, 0, 'g', 9);
    out += QStringLiteral("# HELP statedeck_cache_hits_total Reads answered from the watch-invalidated cache.\n"
                          "# TYPE statedeck_cache_hits_total counter\n"
                          "statedeck_cache_hits_total{store=\"%1\"} %2\n")
               .arg(store)
               .arg(m_cacheHits);
    out += QStringLiteral("# HELP statedeck_cas_retries_total Updates retried after losing a compare-and-swap race.\n"
                          "# TYPE statedeck_cas_retries_total counter\n"
                          "statedeck_cas_retries_total{store=\"%1\"} %2\n")
               .arg(store)
               .arg(m_casRetries);
    out += QStringLiteral("# HELP statedeck_rate_limited_total Writes over the per-actor limit.\n"
                          "# TYPE statedeck_rate_limited_total counter\n"
                          "statedeck_rate_limited_total{store=\"%1\"} %2\n")
               .arg(store)
               .arg(m_rateLimitedCount);
    return out;
}

} // namespace sd
