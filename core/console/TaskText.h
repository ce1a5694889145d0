#pragma once

#include "remediation/RemediationTask.h"

#include <QMap>

#include <optional>

namespace sd::console {

// How the task views word what they show, one way for the GUI and the TUI.

// Unresolved feedback by severity ("?" for none given): entries neither
// resolved nor skipped.
QMap<QString, int> unresolvedBySeverity(const QList<remediation::FeedbackView> &feedback);
// Most severe first: "1 Critical, 2 Low"; "-" for none.
QString unresolvedText(const QMap<QString, int> &counts);
// A number that sorts tasks by what is unresolved: any Critical above any
// number of High, and so on down.
qint64 severityWeight(const QMap<QString, int> &counts);
// Rank of a severity: Low 0 ... Critical 3; -1 when unknown.
int severityRank(const QString &severity);
// Feedback counted per iteration and severity, for the chart of a task's
// feedback: ascending by iteration, one entry per iteration that has any.
// The seed's schema records no iteration per entry: its entries count under
// iteration -1, which a view names "not recorded". Severity "?" for none.
struct IterationFeedback {
    int iteration = -1;
    QMap<QString, int> bySeverity;
    int total() const;
};
QList<IterationFeedback> feedbackByIteration(const QList<remediation::FeedbackView> &feedback);
// Every severity that occurs in `counts`, least severe first (the order a
// stacked chart piles them up), unknown ones first by name.
QStringList severitiesOf(const QList<IterationFeedback> &counts);
// A time as SortRole gives it: msecs since the epoch; -1 without one.
qint64 timeSortKey(const std::optional<UtcTime> &t);
// "42s", "17m", "5h", "3d" since `t`; "-" without one.
QString ageText(const std::optional<UtcTime> &t);

} // namespace sd::console
