#include "store/RateLimiter.h"

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

RateLimiter::Verdict RateLimiter::record(const QString &actor, const QString &key, const QDateTime &now)
{
    constexpr qint64 hourMs = 3600 * 1000;
    const qint64 t = now.toMSecsSinceEpoch();
    QList<qint64> &window = m_windows[actor + QLatin1Char(':') + key];
    while (!window.isEmpty() && window.first() <= t - hourMs)
        window.removeFirst();
    window.append(t);
    Verdict v;
    v.attempts = int(window.size());
    v.overLimit = v.attempts > m_policy.writesPerHour;
    v.refused = v.overLimit && m_policy.enforced;
    if (v.refused)
        window.removeLast(); // a refused write did not happen
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
