#pragma once

#include "providers/Provider.h"
#include "store/RateLimiter.h"

#include <QHash>
#include <QMap>

#include <memory>

namespace sd {

struct StoreOptions {
    RateLimitPolicy rateLimit;
    // How often update() re-reads and retries after losing a CAS race.
    int maxUpdateAttempts = 64;
    // Keep a read cache, invalidated by the provider's watch stream. Off for
    // providers that cannot watch, where a cache could only go stale.
    bool cache = true;
};

// seed 001's `state_change` event.
struct StateChange {
    enum class Kind { Set, Update, Delete };
    Kind kind = Kind::Set;
    QString key;
    QString revision;
    QString actor;
};

// seed 000's `rate_limit` event.
struct RateLimitEvent {
    QString actor;
    QString key;
    int attempts = 0;
    int limit = 0;
    bool refused = false;
};

// seed 001's StateManager, over any provider: get, set, update (RFC 7386
// merge patch in a read-modify-CAS-retry loop), delete. Values over 1 MiB are
// refused before anything is written. Results arrive on this object's thread.
class StateStore : public QObject {
    Q_OBJECT
public:
    explicit StateStore(std::unique_ptr<Provider> provider, StoreOptions options = {}, QObject *parent = nullptr);
    ~StateStore() override;

    Provider *provider() const { return m_provider.get(); }

    QFuture<Result<Entry>> get(const QString &key);
    // Stores `value` as JSON.
    QFuture<Result<Entry>> set(const QString &key, const Json &value, const Precondition &pre = {},
                               const QString &actor = {});
    // Stores an entry as given (encoding, raw bytes and labels kept).
    QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre = {}, const QString &actor = {});
    // Applies a JSON merge patch. A missing key starts from {}. With a
    // Revision precondition it makes exactly one attempt; otherwise it
    // retries lost races until it wins, so no concurrent update is lost.
    QFuture<Result<Entry>> update(const QString &key, const Json &mergePatch, const Precondition &pre = {},
                                  const QString &actor = {});
    QFuture<Status> remove(const QString &key, const Precondition &pre = {}, const QString &actor = {});

    // Operation counters and latencies in the Prometheus text format.
    QString metricsText() const;
    // Write counts per actor and key, in the gate's getStats() shape.
    Json rateLimitStats() const { return m_rateLimiter.stats(); }

    // Size of a value as the 1 MiB limit counts it.
    static qsizetype valueSize(const Entry &entry);

Q_SIGNALS:
    void stateChanged(const sd::StateChange &change);
    void rateLimited(const sd::RateLimitEvent &event);

private:
    struct OpStats {
        quint64 ok = 0;
        QMap<QString, quint64> errors; // by error kind
        double seconds = 0;
    };

    void ensureWatch();
    void onWatchEvent(const Event &event);
    Status admitWrite(const QString &key, const QString &actor);
    void record(const QString &op, const Error *error, qint64 nanos, const QString &key);
    void attemptUpdate(std::shared_ptr<QPromise<Result<Entry>>> promise, QString key, Json patch, Precondition pre,
                       QString actor, int attempt, qint64 startedNs);

    std::unique_ptr<Provider> m_provider;
    StoreOptions m_options;
    RateLimiter m_rateLimiter;
    std::unique_ptr<Watch> m_watch;
    bool m_cacheLive = false;
    QHash<QString, Entry> m_cache;
    QMap<QString, OpStats> m_stats;
    quint64 m_cacheHits = 0;
    quint64 m_casRetries = 0;
    quint64 m_rateLimitedCount = 0;
};

} // namespace sd

Q_DECLARE_METATYPE(sd::StateChange)
Q_DECLARE_METATYPE(sd::RateLimitEvent)
