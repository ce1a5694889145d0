#include "registry/Machine.h"

#include <QTimeZone>

namespace sd::registry {
namespace {

const char *const kStatusNames[] = {"Stopped", "Starting", "Running", "Paused",
                                    "Stopping", "Error", "Unhealthy", "Degraded"};

// 0001-01-01T00:00:00Z to 1970-01-01T00:00:00Z in ticks.
constexpr qint64 kUnixEpochTicks = 621355968000000000LL;

QString jsonString(const Json &j, const char *name)
{
    if (!j.is_object() || !j.contains(name))
        return {};
    const Json &v = j[name];
    if (v.is_string())
        return toQString(v.get<std::string>());
    if (v.is_null())
        return {};
    return toQString(v.dump());
}

} // namespace

QString statusName(int status)
{
    if (status >= 0 && status < int(std::size(kStatusNames)))
        return QString::fromLatin1(kStatusNames[status]);
    return QString::number(status);
}

int statusFromName(const QString &name)
{
    for (int i = 0; i < int(std::size(kStatusNames)); ++i)
        if (name.compare(QLatin1String(kStatusNames[i]), Qt::CaseInsensitive) == 0)
            return i;
    return -1;
}

QStringList statusNames()
{
    QStringList out;
    for (const char *n : kStatusNames)
        out << QString::fromLatin1(n);
    return out;
}

QString livenessName(Liveness l)
{
    switch (l) {
    case Liveness::Unknown: return QStringLiteral("unknown");
    case Liveness::Alive: return QStringLiteral("alive");
    case Liveness::Stale: return QStringLiteral("stale");
    case Liveness::Dead: return QStringLiteral("dead");
    }
    return {};
}

QDateTime ticksToUtc(qint64 ticks)
{
    return QDateTime::fromMSecsSinceEpoch((ticks - kUnixEpochTicks) / 10000, Qt::UTC);
}

qint64 utcToTicks(const QDateTime &t)
{
    return t.toMSecsSinceEpoch() * 10000 + kUnixEpochTicks;
}

QDateTime parseDotNetTime(const QString &text)
{
    // Qt reads at most milliseconds; .NET writes up to seven fraction digits.
    QString t = text.trimmed();
    const int dot = int(t.indexOf(QLatin1Char('.')));
    if (dot > 0) {
        int end = dot + 1;
        while (end < t.size() && t.at(end).isDigit())
            ++end;
        QString frac = t.mid(dot + 1, end - dot - 1).left(3);
        while (frac.size() < 3)
            frac += QLatin1Char('0');
        t = t.left(dot + 1) + frac + t.mid(end);
    }
    QDateTime d = QDateTime::fromString(t, Qt::ISODateWithMs);
    if (d.isValid() && d.timeSpec() == Qt::LocalTime && !t.endsWith(QLatin1Char('Z')))
        d.setTimeSpec(Qt::UTC); // DateTimeKind.Unspecified: the registry writes UTC
    return d.toUTC();
}

QString RedisMachine::field(const char *name) const
{
    return jsonString(info, name);
}

QString RedisMachine::status() const
{
    if (!statusKey.isEmpty())
        return statusKey;
    if (info.is_object() && info.contains("Status")) {
        const Json &s = info["Status"];
        if (s.is_number_integer())
            return statusName(s.get<int>());
        if (s.is_string())
            return toQString(s.get<std::string>());
    }
    return {};
}

QString RedisMachine::currentState() const
{
    return field("CurrentState");
}

std::optional<QDateTime> Machine::lastHeartbeat() const
{
    if (!redis)
        return std::nullopt;
    if (redis->heartbeat)
        return redis->heartbeat;
    const QDateTime t = parseDotNetTime(redis->field("LastHeartbeat"));
    if (t.isValid())
        return t;
    return std::nullopt;
}

qint64 Machine::heartbeatAgeMs(const QDateTime &now) const
{
    const auto hb = lastHeartbeat();
    if (!hb)
        return -1;
    return std::max<qint64>(0, hb->msecsTo(now));
}

Liveness Machine::liveness(const QDateTime &now, qint64 staleAfterMs) const
{
    if (!redis)
        return Liveness::Unknown;
    if (!redis->heartbeat)
        return Liveness::Dead;
    return redis->heartbeat->msecsTo(now) > staleAfterMs ? Liveness::Stale : Liveness::Alive;
}

QString Machine::status() const
{
    if (redis) {
        const QString s = redis->status();
        if (!s.isEmpty())
            return s;
    }
    return kube ? kube->phase : QString();
}

QString Machine::currentState() const
{
    if (redis) {
        const QString s = redis->currentState();
        if (!s.isEmpty())
            return s;
    }
    return kube ? kube->currentState : QString();
}

QString Machine::node() const
{
    return redis ? redis->field("NodeId") : QString();
}

QString Machine::where() const
{
    if (redis && kube)
        return QStringLiteral("redis+k8s");
    return redis ? QStringLiteral("redis") : QStringLiteral("k8s");
}

Json Machine::toJson(const QDateTime &now, qint64 staleAfterMs) const
{
    Json j = Json::object();
    j["id"] = toStd(id);
    j["liveness"] = toStd(livenessName(liveness(now, staleAfterMs)));
    const qint64 age = heartbeatAgeMs(now);
    j["heartbeatAgeMs"] = age >= 0 ? Json(age) : Json(nullptr);
    const auto hb = lastHeartbeat();
    j["lastHeartbeat"] = hb ? Json(toStd(hb->toString(Qt::ISODateWithMs))) : Json(nullptr);
    j["status"] = toStd(status());
    const QString cs = currentState();
    j["currentState"] = cs.isEmpty() ? Json(nullptr) : Json(toStd(cs));
    j["source"] = toStd(where());
    if (redis) {
        Json r = Json::object();
        r["info"] = redis->info;
        if (!redis->infoError.isEmpty())
            r["infoError"] = toStd(redis->infoError);
        r["heartbeatTtlMs"] = redis->heartbeatTtlMs >= 0 ? Json(redis->heartbeatTtlMs) : Json(nullptr);
        r["statusKey"] = redis->statusKey.isEmpty() ? Json(nullptr) : Json(toStd(redis->statusKey));
        r["metadata"] = redis->metadata ? *redis->metadata : Json(nullptr);
        j["redis"] = r;
    }
    if (kube) {
        Json k = Json::object();
        k["name"] = toStd(kube->name);
        k["namespace"] = toStd(kube->ns);
        k["spec"] = kube->object.contains("spec") ? kube->object["spec"] : Json::object();
        k["status"] = kube->object.contains("status") ? kube->object["status"] : Json::object();
        Json owned = Json::array();
        for (const auto &o : kube->owned)
            owned.push_back(Json{{"kind", toStd(o.kind)},
                                 {"name", toStd(o.name)},
                                 {"present", o.present},
                                 {"detail", toStd(o.detail)}});
        k["objects"] = owned;
        j["kubernetes"] = k;
    }
    return j;
}

QString ageText(qint64 ms)
{
    if (ms < 0)
        return QStringLiteral("-");
    qint64 s = ms / 1000;
    if (s < 60)
        return QString::number(s) + QLatin1Char('s');
    if (s < 3600)
        return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    if (s < 86400)
        return QStringLiteral("%1h%2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1d%2h").arg(s / 86400).arg((s % 86400) / 3600);
}

} // namespace sd::registry
