#include "console/TaskText.h"

#include "remediation/RemediationSchema.h"
#include "util/Duration.h"

#include <algorithm>

namespace sd::console {

QMap<QString, int> unresolvedBySeverity(const QList<remediation::FeedbackView> &feedback)
{
    QMap<QString, int> counts;
    for (const remediation::FeedbackView &f : feedback)
        if (!f.resolved && f.status != QLatin1String("Skipped"))
            ++counts[f.severity.isEmpty() ? QStringLiteral("?") : f.severity];
    return counts;
}

QString unresolvedText(const QMap<QString, int> &counts)
{
    QStringList parts;
    const QStringList &order = remediation::severities();
    for (auto it = order.crbegin(); it != order.crend(); ++it)
        if (counts.value(*it))
            parts << QStringLiteral("%1 %2").arg(counts.value(*it)).arg(*it);
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        if (!order.contains(it.key()) && it.value())
            parts << QStringLiteral("%1 %2").arg(it.value()).arg(it.key());
    return parts.isEmpty() ? QStringLiteral("-") : parts.join(QStringLiteral(", "));
}

int severityRank(const QString &severity)
{
    return int(remediation::severities().indexOf(severity));
}

qint64 severityWeight(const QMap<QString, int> &counts)
{
    // Four decimal places a severity: 9,999 entries of one severity still
    // weigh less than one of the next.
    qint64 weight = 0;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        const int rank = severityRank(it.key());
        qint64 unit = 1;
        for (int i = 0; i < rank; ++i)
            unit *= 10000;
        weight += unit * std::min(it.value(), 9999);
    }
    return weight;
}

qint64 timeSortKey(const std::optional<UtcTime> &t)
{
    return t ? t->seconds * 1000 + t->nanos / 1000000 : -1;
}

QString ageText(const std::optional<UtcTime> &t)
{
    return t ? shortDuration(UtcTime::now().seconds - t->seconds) : QStringLiteral("-");
}

int IterationFeedback::total() const
{
    int n = 0;
    for (int c : bySeverity)
        n += c;
    return n;
}

QList<IterationFeedback> feedbackByIteration(const QList<remediation::FeedbackView> &feedback)
{
    QMap<int, QMap<QString, int>> counts;
    for (const remediation::FeedbackView &f : feedback)
        ++counts[std::max(-1, f.iteration)][f.severity.isEmpty() ? QStringLiteral("?") : f.severity];
    QList<IterationFeedback> out;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        out << IterationFeedback{it.key(), it.value()};
    return out;
}

QStringList severitiesOf(const QList<IterationFeedback> &counts)
{
    QStringList all;
    for (const IterationFeedback &c : counts)
        for (auto it = c.bySeverity.cbegin(); it != c.bySeverity.cend(); ++it)
            if (!all.contains(it.key()))
                all << it.key();
    std::sort(all.begin(), all.end(), [](const QString &a, const QString &b) {
        const int ra = severityRank(a), rb = severityRank(b);
        return ra != rb ? ra < rb : a < b;
    });
    return all;
}

} // namespace sd::console
