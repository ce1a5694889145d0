#include "util/UtcTime.h"

#include <chrono>

namespace sd {
namespace {

constexpr qint64 kUnixEpochJulianDay = 2440588;

QString formatted(const UtcTime &t, QLatin1String zone)
{
    const qint64 day = t.seconds >= 0 ? t.seconds / 86400 : -((-t.seconds + 86399) / 86400);
    const qint64 secOfDay = t.seconds - day * 86400;
    const QDate date = QDate::fromJulianDay(kUnixEpochJulianDay + day);
    QString out = QStringLiteral("%1-%2-%3T%4:%5:%6")
                      .arg(date.year(), 4, 10, QLatin1Char('0'))
                      .arg(date.month(), 2, 10, QLatin1Char('0'))
                      .arg(date.day(), 2, 10, QLatin1Char('0'))
                      .arg(secOfDay / 3600, 2, 10, QLatin1Char('0'))
                      .arg(secOfDay / 60 % 60, 2, 10, QLatin1Char('0'))
                      .arg(secOfDay % 60, 2, 10, QLatin1Char('0'));
    if (t.nanos != 0) {
        if (t.nanos % 1000000 == 0)
            out += QStringLiteral(".%1").arg(t.nanos / 1000000, 3, 10, QLatin1Char('0'));
        else if (t.nanos % 1000 == 0)
            out += QStringLiteral(".%1").arg(t.nanos / 1000, 6, 10, QLatin1Char('0'));
        else
            out += QStringLiteral(".%1").arg(t.nanos, 9, 10, QLatin1Char('0'));
    }
    return out + zone;
}

// Reads `count` digits at `pos`; -1 when they are not all digits.
int digits(QStringView s, qsizetype pos, int count)
{
    if (pos + count > s.size())
        return -1;
    int v = 0;
    for (int i = 0; i < count; ++i) {
        const QChar c = s.at(pos + i);
        if (!c.isDigit())
            return -1;
        v = v * 10 + c.digitValue();
    }
    return v;
}

} // namespace

UtcTime UtcTime::now()
{
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    return {ns / 1000000000, int(ns % 1000000000)};
}

UtcTime UtcTime::fromDateTime(const QDateTime &t)
{
    const qint64 ms = t.toMSecsSinceEpoch();
    const qint64 s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    return {s, int(ms - s * 1000) * 1000000};
}

std::optional<UtcTime> UtcTime::parse(QStringView s)
{
    // YYYY-MM-DDTHH:MM:SS
    const int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
    const int hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || s.size() < 20)
        return std::nullopt;
    if (s.at(4) != QLatin1Char('-') || s.at(7) != QLatin1Char('-') || s.at(13) != QLatin1Char(':')
        || s.at(16) != QLatin1Char(':')
        || (s.at(10) != QLatin1Char('T') && s.at(10) != QLatin1Char('t') && s.at(10) != QLatin1Char(' ')))
        return std::nullopt;
    const QDate date(year, month, day);
    if (!date.isValid() || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    qsizetype pos = 19;
    int nanos = 0;
    if (s.at(pos) == QLatin1Char('.')) {
        ++pos;
        int n = 0;
        while (pos < s.size() && s.at(pos).isDigit()) {
            if (n < 9)
                nanos = nanos * 10 + s.at(pos).digitValue();
            ++n;
            ++pos;
        }
        if (n == 0)
            return std::nullopt;
        for (int i = n; i < 9; ++i)
            nanos *= 10;
    }
    if (pos >= s.size())
        return std::nullopt;
    int offset = 0;
    const QChar z = s.at(pos);
    if (z == QLatin1Char('Z') || z == QLatin1Char('z')) {
        ++pos;
    } else if (z == QLatin1Char('+') || z == QLatin1Char('-')) {
        const int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
        if (oh < 0 || om < 0 || s.at(pos + 3) != QLatin1Char(':'))
            return std::nullopt;
        offset = (oh * 3600 + om * 60) * (z == QLatin1Char('-') ? -1 : 1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size())
        return std::nullopt;
    const qint64 days = date.toJulianDay() - kUnixEpochJulianDay;
    return UtcTime{days * 86400 + hour * 3600 + minute * 60 + qMin(second, 59) - offset, nanos};
}

QString UtcTime::toSerde() const
{
    return formatted(*this, QLatin1String("Z"));
}

QString UtcTime::toRfc3339() const
{
    return formatted(*this, QLatin1String("+00:00"));
}

QDateTime UtcTime::toDateTime() const
{
    return QDateTime::fromMSecsSinceEpoch(seconds * 1000 + nanos / 1000000, Qt::UTC);
}

} // namespace sd
