#include "store/RateLimiter.h"

#include "log/Log.h"
#include "util/AtomicFile.h"

#include <QDir>
#include <QFileInfo>

namespace sd {

RateLimitPolicy RateLimitPolicy::fromEnvironment(const QProcessEnvironment &env)
{
    RateLimitPolicy p;
    p.enforced = env.value(QStringLiteral("RATE_LIMIT_ENABLED")).trimmed().toLower() == QLatin1String("true");
    bool ok = false;
    const int n = env.value(QStringLiteral("RATE_LIMIT_KEY_ROTATION")).toInt(&ok);
    if (ok && n > 0)
        p.writesPerHour = n;
    return p;
}

namespace {
constexpr qint64 kHourMs = 3600 * 1000;
} // namespace

void RateLimiter::loadFromJournal(const QString &id)
{
    auto bytes = readWholeFile(m_policy.journalPath);
    if (!bytes.ok())
        return; // none yet
    const Json all = parseJsonOrDiscarded(bytes.value().constBegin(), bytes.value().constEnd());
    const auto it = all.is_object() ? all.find(toStd(id)) : all.end();
    if (it == all.end() || !it->is_array())
        return;
    QList<qint64> window;
    for (const Json &t : *it)
        if (t.is_number_integer())
            window.append(t.get<qint64>());
    std::sort(window.begin(), window.end());
    m_windows[id] = window;
}

void RateLimiter::saveToJournal(const QString &id)
{
    auto bytes = readWholeFile(m_policy.journalPath);
    Json all = bytes.ok() ? parseJsonOrDiscarded(bytes.value().constBegin(), bytes.value().constEnd()) : Json();
    if (!all.is_object())
        all = Json::object();
    // Windows that ended an hour ago go, so the file stays small.
    const qint64 cutoff = QDateTime::currentMSecsSinceEpoch() - kHourMs;
    for (auto it = all.begin(); it != all.end();) {
        const bool stale = !it->is_array() || it->empty() || !it->back().is_number_integer()
                           || it->back().get<qint64>() <= cutoff;
        it = stale ? all.erase(it) : std::next(it);
    }
    Json times = Json::array();
    for (qint64 t : m_windows.value(id))
        times.push_back(t);
    if (!times.empty())
        all[toStd(id)] = times;
    if (Status s = writeFileAtomically(m_policy.journalPath, toBytes(all.dump()) + '\n'); !s.ok())
        log::warn(QStringLiteral("rate_limit_journal"), {{QStringLiteral("error"), s.error().toString()}});
}

RateLimiter::Verdict RateLimiter::record(const QString &actor, const QString &key, const QDateTime &now)
{
    const qint64 hourMs = kHourMs;
    const qint64 t = now.toMSecsSinceEpoch();
    const QString id = actor + QLatin1Char(':') + key;
    std::unique_ptr<CrossProcessLock> guard;
    if (!m_policy.journalPath.isEmpty()) {
        QDir().mkpath(QFileInfo(m_policy.journalPath).absolutePath());
        guard = std::make_unique<CrossProcessLock>(m_policy.journalPath + QStringLiteral(".lock"));
        if (guard->acquire(std::chrono::seconds(2)).ok()) {
            loadFromJournal(id);
        } else {
            log::warn(QStringLiteral("rate_limit_journal"), {{QStringLiteral("error"), QStringLiteral("busy; counting in this process only")}});
            guard.reset();
        }
    }
    QList<qint64> &window = m_windows[id];
    while (!window.isEmpty() && window.first() <= t - hourMs)
        window.removeFirst();
    window.append(t);
    Verdict v;
    v.attempts = int(window.size());
    v.overLimit = v.attempts > m_policy.writesPerHour;
    v.refused = v.overLimit && m_policy.enforced;
    if (v.refused)
        window.removeLast(); // a refused write did not happen
    if (guard)
        saveToJournal(id);
    return v;
}

Json RateLimiter::stats() const
{
    Json out = Json::object();
    for (auto it = m_windows.cbegin(); it != m_windows.cend(); ++it) {
        if (it.value().isEmpty())
            continue;
        const QString &id = it.key();
        const qsizetype colon = id.indexOf(QLatin1Char(':'));
        out[toStd(id)] = Json{{"user", toStd(id.left(colon))},
                              {"repo", toStd(id.mid(colon + 1))},
                              {"attempts", it.value().size()},
                              {"oldest", it.value().first()},
                              {"newest", it.value().last()}};
    }
    return out;
}

} // namespace sd
