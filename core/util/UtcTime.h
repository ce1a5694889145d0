#pragma once

#include <QDateTime>
#include <QString>

#include <optional>

namespace sd {

// An instant in UTC with nanoseconds, written the way Rust's chrono writes
// it: other systems' JSON (serde) and ConfigMap data (`to_rfc3339()`) hold
// nanosecond timestamps that QDateTime would round to milliseconds, and
// statedeck must write the same text those systems do.
struct UtcTime {
    qint64 seconds = 0; // since the Unix epoch
    int nanos = 0;      // 0..999,999,999

    static UtcTime now();
    static UtcTime fromDateTime(const QDateTime &t);
    // RFC 3339: "2025-09-01T11:15:42.987654321Z", any fraction length, "Z"
    // or a numeric offset (converted to UTC). Nothing on malformed text.
    static std::optional<UtcTime> parse(QStringView text);

    // chrono's AutoSi form: no fraction, or 3, 6 or 9 digits, whichever is
    // the shortest exact one.
    QString toSerde() const;    // "...Z", what serde writes for DateTime<Utc>
    QString toRfc3339() const;  // "...+00:00", what to_rfc3339() writes
    QDateTime toDateTime() const;

    auto operator<=>(const UtcTime &) const = default;
};

} // namespace sd
