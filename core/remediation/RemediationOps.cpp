#include "remediation/RemediationOps.h"

#include <QSet>

#include <algorithm>

namespace sd::remediation {
namespace {

Error invalid(const RemediationTask &task, const QString &message)
{
    return Error(ErrorKind::Invalid, message, task.name()).withReason(reason::validation);
}

// The time of the last change, in the field each schema keeps it.
void touch(RemediationTask &task, const UtcTime &now)
{
    task.state()[task.schema() == Schema::Seed ? "last_update" : "updated_at"] = toStd(now.toSerde());
}

Json &metadata(RemediationTask &task)
{
    Json &m = task.state()["metadata"];
    if (!m.is_object())
        m = Json::object();
    return m;
}

Status requireOneOf(const RemediationTask &task, const QString &what, const QString &value, const QStringList &allowed)
{
    if (allowed.contains(value))
        return {};
    return invalid(task, QStringLiteral("%1 \"%2\" is not one of %3").arg(what, value, allowed.join(QStringLiteral(", "))));
}

// The key two entries are duplicates by, per schema.
QString duplicateKey(const RemediationTask &task, const Json &entry)
{
    auto field = [&entry](const char *name) {
        const auto it = entry.find(name);
        return it == entry.end() ? std::string("null") : it->dump();
    };
    if (task.schema() == Schema::Seed)
        return toQString(field("pr_comment_id") + '\x1f' + field("timestamp"));
    return toQString(field("comment_id") + '\x1f' + field("received_at"));
}

} // namespace

Result<Outcome> incrementIteration(RemediationTask &task, const UtcTime &now)
{
    if (Status s = task.validateFields(); !s.ok())
        return s.error();
    const int iteration = task.iteration();
    const int max = task.maxIterations();
    if (iteration >= max) {
        const QString capped = task.schema() == Schema::Seed ? QStringLiteral("MaxIterationsReached")
                                                             : QStringLiteral("Terminated");
        Outcome o;
        o.afterWrite = Error(ErrorKind::Invalid,
                             QStringLiteral("maximum iterations reached: %1 of %2; the status is now %3")
                                 .arg(iteration)
                                 .arg(max)
                                 .arg(capped),
                             task.name())
                           .withReason(reason::maxIterations);
        o.write = task.status() != capped;
        if (o.write) {
            task.state()["status"] = toStd(capped);
            if (task.schema() == Schema::Controller) {
                // As the controller's terminate_remediation records it.
                metadata(task)["termination_reason"] = "max iterations reached";
                metadata(task)["terminated_at"] = toStd(now.toRfc3339());
                touch(task, now);
            }
        }
        return o;
    }
    task.state()["iteration"] = unsigned(iteration + 1);
    touch(task, now);
    task.state()["status"] = "InProgress";
    metadata(task)[toStd(QStringLiteral("iteration_%1_started").arg(iteration + 1))] = toStd(now.toRfc3339());
    return Outcome{};
}

Result<Outcome> appendFeedback(RemediationTask &task, const NewFeedback &f, const UtcTime &now)
{
    if (Status s = task.validateFields(); !s.ok())
        return s.error();
    if (f.author.trimmed().isEmpty())
        return invalid(task, QStringLiteral("feedback needs an author (--author)"));
    if (f.description.trimmed().isEmpty())
        return invalid(task, QStringLiteral("feedback needs a description (--description)"));
    if (Status s = requireOneOf(task, QStringLiteral("severity"), f.severity, severities()); !s.ok())
        return s.error();
    if (Status s = requireOneOf(task, QStringLiteral("issue type"), f.issueType, issueTypes(task.schema())); !s.ok())
        return s.error();

    Json entry;
    if (task.schema() == Schema::Seed) {
        entry = Json{{"timestamp", toStd(now.toSerde())},
                     {"author", toStd(f.author)},
                     {"severity", toStd(f.severity)},
                     {"issue_type", toStd(f.issueType)},
                     {"description", toStd(f.description)},
                     {"resolved", false},
                     {"pr_comment_id", toStd(f.commentId)}};
    } else {
        bool ok = false;
        const quint64 commentId = f.commentId.toULongLong(&ok);
        if (!ok)
            return invalid(task, QStringLiteral("the controller's schema needs a numeric comment id (--comment-id), "
                                                "got \"%1\"")
                                     .arg(f.commentId));
        const int iteration = task.iteration();
        entry = Json{{"id", toStd(QStringLiteral("feedback-%1-%2").arg(commentId).arg(iteration))},
                     {"iteration", unsigned(iteration)},
                     {"comment_id", commentId},
                     {"author", toStd(f.author)},
                     {"received_at", toStd(now.toSerde())},
                     {"feedback",
                      {{"issue_type", toStd(f.issueType)},
                       {"severity", toStd(f.severity)},
                       {"description", toStd(f.description)},
                       {"criteria_not_met", Json::array()},
                       {"reproduction_steps", nullptr},
                       {"expected_behavior", nullptr},
                       {"actual_behavior", nullptr},
                       {"metadata",
                        {{"author", toStd(f.author)},
                         {"timestamp", toStd(now.toSerde())},
                         {"comment_id", commentId},
                         {"pr_number", task.prNumber() < 0 ? 0 : task.prNumber()},
                         {"task_id", toStd(task.taskId())}}}}},
                     {"actions_taken", Json::array()},
                     {"status", "Received"}};
    }
    task.state()["feedback_history"].push_back(std::move(entry));
    touch(task, now);
    if (task.compactStateSize() > kCompressAbove)
        compressFeedback(task, now);
    return Outcome{};
}

bool compressFeedback(RemediationTask &task, const UtcTime &now)
{
    const QList<FeedbackView> views = task.feedback();
    Json &history = task.state()["feedback_history"];
    const int count = int(views.size());
    QList<int> keep;
    for (const FeedbackView &v : views)
        if (v.resolved && (v.severity == QLatin1String("High") || v.severity == QLatin1String("Critical")))
            keep.append(v.index - 1);
    for (int i = qMax(0, count - kKeepRecentFeedback); i < count; ++i)
        if (!keep.contains(i))
            keep.append(i);
    // By time; entries whose time does not parse keep their relative order.
    std::stable_sort(keep.begin(), keep.end(), [&views](int a, int b) {
        const auto &ta = views.at(a).timestamp, &tb = views.at(b).timestamp;
        if (ta && tb)
            return *ta < *tb;
        return false;
    });
    Json compressed = Json::array();
    for (int i : std::as_const(keep))
        compressed.push_back(history.at(size_t(i)));
    metadata(task)["feedback_compressed_at"] = toStd(now.toRfc3339());
    metadata(task)["original_feedback_count"] = std::to_string(count);
    const bool dropped = compressed.size() < history.size();
    history = std::move(compressed);
    return dropped;
}

Result<Outcome> resolveFeedback(RemediationTask &task, const QString &which, const QString &statusIn,
                                const UtcTime &now)
{
    if (Status s = task.validateFields(); !s.ok())
        return s.error();
    const QString status = statusIn.isEmpty() ? QStringLiteral("Resolved") : statusIn;
    if (task.schema() == Schema::Seed && status != QLatin1String("Resolved"))
        return invalid(task, QStringLiteral("the seed's schema records only whether feedback is resolved; "
                                            "--status %1 needs the controller's schema")
                                 .arg(status));
    if (Status s = requireOneOf(task, QStringLiteral("feedback status"), status, feedbackStatuses()); !s.ok())
        return s.error();

    const QList<FeedbackView> views = task.feedback();
    QList<int> matches;
    for (const FeedbackView &v : views)
        if (!v.id.isEmpty() && v.id == which)
            matches.append(v.index - 1);
    bool isNumber = false;
    const int n = which.toInt(&isNumber);
    if (matches.isEmpty() && isNumber && n >= 1 && n <= views.size())
        matches.append(n - 1);
    if (matches.isEmpty())
        for (const FeedbackView &v : views)
            if (v.commentId == which)
                matches.append(v.index - 1);
    if (matches.isEmpty())
        return Error(ErrorKind::NotFound,
                     QStringLiteral("no feedback entry \"%1\" (give an entry id, a number from 1 to %2, or a "
                                    "comment id; see `task history`)")
                         .arg(which)
                         .arg(views.size()),
                     task.name());
    if (matches.size() > 1)
        return invalid(task, QStringLiteral("comment id %1 matches %2 entries; name one by its number from "
                                            "`task history`")
                                 .arg(which)
                                 .arg(matches.size()));
    Json &entry = task.state()["feedback_history"][size_t(matches.first())];
    const bool already = task.schema() == Schema::Seed ? entry.value("resolved", false)
                                                       : entry.value("status", std::string()) == toStd(status);
    if (already)
        return Outcome{false, {}};
    if (task.schema() == Schema::Seed)
        entry["resolved"] = true;
    else
        entry["status"] = toStd(status);
    touch(task, now);
    return Outcome{};
}

Result<Outcome> setStatus(RemediationTask &task, const QString &status, const UtcTime &now)
{
    if (Status s = task.validateFields(); !s.ok())
        return s.error();
    if (Status s = requireOneOf(task, QStringLiteral("status"), status, statuses(task.schema())); !s.ok())
        return s.error();
    if (task.status() == status)
        return Outcome{false, {}};
    task.state()["status"] = toStd(status);
    touch(task, now);
    return Outcome{};
}

Result<Outcome> validateAndRepair(RemediationTask &task, RecoveryReport *report, const UtcTime &now)
{
    if (Status s = task.validateFields(); !s.ok())
        return s.error();
    QStringList repairs;
    if (task.schema() == Schema::Seed) {
        const Json &v = task.state()["version"];
        if (v != Json(kStateVersion)) {
            repairs << QStringLiteral("version %1 set to %2")
                           .arg(v.is_string() ? toQString(v.get<std::string>()) : toQString(v.dump()),
                                QLatin1String(kStateVersion));
            task.state()["version"] = kStateVersion;
        }
    }
    const int max = task.maxIterations();
    if (task.iteration() > max) {
        const QString capped = task.schema() == Schema::Seed ? QStringLiteral("MaxIterationsReached")
                                                             : QStringLiteral("Terminated");
        repairs << QStringLiteral("iteration %1 capped at %2, status %3").arg(task.iteration()).arg(max).arg(capped);
        task.state()["iteration"] = unsigned(max);
        task.state()["status"] = toStd(capped);
    }
    Json &history = task.state()["feedback_history"];
    Json unique = Json::array();
    QSet<QString> seen;
    int removed = 0;
    for (const Json &entry : history) {
        const QString key = duplicateKey(task, entry);
        if (seen.contains(key)) {
            ++removed;
            continue;
        }
        seen.insert(key);
        unique.push_back(entry);
    }
    if (removed > 0) {
        repairs << QStringLiteral("%1 duplicate feedback entries removed").arg(removed);
        history = std::move(unique);
    }
    if (!repairs.isEmpty())
        metadata(task)["state_repaired_at"] = toStd(now.toRfc3339());
    metadata(task)["last_recovery"] = toStd(now.toRfc3339());
    if (report) {
        report->repairs = repairs;
        report->duplicatesRemoved = removed;
    }
    return Outcome{};
}

} // namespace sd::remediation
