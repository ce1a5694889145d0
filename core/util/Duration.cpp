#include "util/Duration.h"

#include <algorithm>

namespace sd {

namespace {

qint64 unitSeconds(QChar unit)
{
    switch (unit.unicode()) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    case 'w': return 7 * 86400;
    default: return 0;
    }
}

} // namespace

QString shortDuration(qint64 seconds)
{
    const qint64 s = std::max<qint64>(seconds, 0);
    if (s < 120)
        return QStringLiteral("%1s").arg(s);
    if (s < 7200)
        return QStringLiteral("%1m").arg(s / 60);
    if (s < 2 * 86400)
        return QStringLiteral("%1h").arg(s / 3600);
    return QStringLiteral("%1d").arg(s / 86400);
}

QString durationUnitsHelp()
{
    return QStringLiteral("s, m, h, d or w, as in 90s, 30m, 12h, 7d, 2w or 1h30m");
}

Result<qint64> parseDuration(const QString &text, const QString &where)
{
    const QString t = text.trimmed();
    auto invalid = [&](const QString &why) {
        return Error(ErrorKind::Invalid, QStringLiteral("%1; expected a duration with a unit: %2")
                                             .arg(why, durationUnitsHelp()), where);
    };
    if (t.isEmpty())
        return invalid(QStringLiteral("the duration is empty"));
    qint64 total = 0;
    qsizetype i = 0;
    while (i < t.size()) {
        const qsizetype start = i;
        qint64 n = 0;
        while (i < t.size() && t.at(i).isDigit() && t.at(i).unicode() < 128) {
            // Stop accumulating once past the limit: no overflow, however long.
            if (n <= kMaxDurationSeconds)
                n = n * 10 + (t.at(i).unicode() - '0');
            ++i;
        }
        if (i == start)
            return invalid(QStringLiteral("\"%1\" is not a number").arg(t.mid(start)));
        if (i == t.size())
            return invalid(QStringLiteral("\"%1\" has no unit").arg(t.mid(start)));
        const qint64 scale = unitSeconds(t.at(i));
        if (scale == 0)
            return invalid(QStringLiteral("\"%1\" is not a unit").arg(t.at(i)));
        ++i;
        if (n > kMaxDurationSeconds / scale || total + n * scale > kMaxDurationSeconds)
            return Error(ErrorKind::Invalid,
                         QStringLiteral("the duration is out of range; at most %1 days").arg(kMaxDurationSeconds / 86400),
                         where);
        total += n * scale;
    }
    return total;
}

} // namespace sd
