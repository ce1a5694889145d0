#pragma once

#include "model/Json.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QProcessEnvironment>

namespace sd {

// Seed 000's rate limiting, applied to state writes: every write is counted
// per actor and key; past the limit a `rate_limit` event fires, and the write
// is refused only when enforcement is on (RATE_LIMIT_ENABLED=true).
struct RateLimitPolicy {
    bool enforced = false;  // RATE_LIMIT_ENABLED
    int writesPerHour = 10; // RATE_LIMIT_KEY_ROTATION: the gate's writes of state are key rotations
    // A file the windows are shared through, so short-lived processes (each
    // statedeckctl run) count together; empty: this process alone.
    QString journalPath;

    static RateLimitPolicy fromEnvironment(const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());
};

class RateLimiter {
public:
    explicit RateLimiter(RateLimitPolicy policy = {}) : m_policy(policy) {}

    struct Verdict {
        bool overLimit = false; // tracked: more than writesPerHour in the last hour
        bool refused = false;   // overLimit and enforced
        int attempts = 0;       // in the current window, this one included
    };

    // Counts one write by `actor` to `key` at `now`.
    Verdict record(const QString &actor, const QString &key, const QDateTime &now = QDateTime::currentDateTimeUtc());

    // The shape of the gate's getStats(): {"actor:key": {user, repo, attempts, oldest, newest}}
    // (the gate's "user" and "repo" are our actor and key), times in ms since the epoch.
    Json stats() const;

    const RateLimitPolicy &policy() const { return m_policy; }

private:
    // Under the journal's lock: the window as every process recorded it.
    void loadFromJournal(const QString &id);
    void saveToJournal(const QString &id);

    RateLimitPolicy m_policy;
    QHash<QString, QList<qint64>> m_windows; // "actor:key" -> write times (ms)
};

} // namespace sd
