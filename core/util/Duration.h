#pragma once

#include "model/Result.h"

namespace sd {

// The longest duration accepted anywhere a person types one: 100 years.
// Anything longer is a typo, and seconds past it would overflow arithmetic
// on timestamps (a retention that wrapped to 0 would delete every task).
constexpr qint64 kMaxDurationSeconds = 36500LL * 86400;

// "90s", "30m", "12h", "7d", "2w", or parts together ("1h30m"). Every number
// needs its unit: a bare "7" is refused, since seconds is rarely what was
// meant. `where` names the option in errors ("--retention 7").
Result<qint64> parseDuration(const QString &text, const QString &where);

// A duration in its largest unit that keeps it readable, rounded down:
// "42s" (under 2 minutes), "17m" (under 2 hours), "5h" (under 2 days),
// "3d". For ages and TTLs in narrow columns; negative counts as 0.
QString shortDuration(qint64 seconds);

// The units as help texts name them.
QString durationUnitsHelp();

} // namespace sd
