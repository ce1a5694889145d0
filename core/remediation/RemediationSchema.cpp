#include "remediation/RemediationSchema.h"

#include <QRegularExpression>

namespace sd::remediation {

QString schemaName(Schema s)
{
    return s == Schema::Seed ? QStringLiteral("seed") : QStringLiteral("controller");
}

std::optional<Schema> parseSchema(const QString &name)
{
    if (name == QLatin1String("seed"))
        return Schema::Seed;
    if (name == QLatin1String("controller"))
        return Schema::Controller;
    return std::nullopt;
}

const QStringList &statuses(Schema s)
{
    static const QStringList seed = {QStringLiteral("Initialized"), QStringLiteral("InProgress"),
                                     QStringLiteral("Completed"), QStringLiteral("Failed"),
                                     QStringLiteral("MaxIterationsReached")};
    static const QStringList controller = {QStringLiteral("WaitingForFeedback"), QStringLiteral("InProgress"),
                                           QStringLiteral("WaitingForAgent"), QStringLiteral("Completed"),
                                           QStringLiteral("Failed"), QStringLiteral("Terminated"),
                                           QStringLiteral("Paused")};
    return s == Schema::Seed ? seed : controller;
}

const QStringList &issueTypes(Schema s)
{
    static const QStringList seed = {QStringLiteral("Bug"), QStringLiteral("Enhancement"),
                                     QStringLiteral("Documentation"), QStringLiteral("Performance"),
                                     QStringLiteral("Security")};
    static const QStringList controller = {QStringLiteral("Bug"), QStringLiteral("MissingFeature"),
                                           QStringLiteral("Regression"), QStringLiteral("Performance")};
    return s == Schema::Seed ? seed : controller;
}

const QStringList &severities()
{
    static const QStringList list = {QStringLiteral("Low"), QStringLiteral("Medium"), QStringLiteral("High"),
                                     QStringLiteral("Critical")};
    return list;
}

const QStringList &feedbackStatuses()
{
    static const QStringList list = {QStringLiteral("Received"), QStringLiteral("Processing"),
                                     QStringLiteral("Resolved"), QStringLiteral("Failed"), QStringLiteral("Skipped")};
    return list;
}

QString configMapName(Schema s, const QString &taskId, qint64 prNumber)
{
    if (s == Schema::Seed)
        return QStringLiteral("task-%1-state").arg(taskId);
    return QStringLiteral("remediation-state-pr-%1-task-%2").arg(prNumber).arg(taskId);
}

QString keyPrefix(Schema s)
{
    return s == Schema::Seed ? QStringLiteral("task-") : QStringLiteral("remediation-state-pr-");
}

std::optional<NameParts> parseConfigMapName(const QString &name)
{
    static const QRegularExpression controller(QStringLiteral("^remediation-state-pr-(\\d+)-task-(.+)$"));
    static const QRegularExpression seed(QStringLiteral("^task-(.+)-state$"));
    if (const auto m = controller.match(name); m.hasMatch())
        return NameParts{Schema::Controller, m.captured(2), m.captured(1).toLongLong()};
    if (const auto m = seed.match(name); m.hasMatch())
        return NameParts{Schema::Seed, m.captured(1), -1};
    return std::nullopt;
}

QMap<QString, QString> labelsFor(Schema s, const QString &taskId, qint64 prNumber)
{
    if (s == Schema::Seed)
        return {{QStringLiteral("app"), QStringLiteral("remediation-state")},
                {QStringLiteral("task-id"), taskId},
                {QStringLiteral("managed-by"), QStringLiteral("agent-remediation-controller")}};
    return {{QStringLiteral("app"), QStringLiteral("remediation-loop")},
            {QStringLiteral("component"), QStringLiteral("state-manager")},
            {QStringLiteral("pr-number"), QString::number(prNumber)},
            {QStringLiteral("task-id"), taskId}};
}

QMap<QString, QString> annotationsFor(Schema s)
{
    if (s == Schema::Seed)
        return {{QStringLiteral("kubectl.kubernetes.io/last-applied-configuration"),
                 QStringLiteral("managed-by-controller")},
                {QStringLiteral("remediation.5dlabs.com/version"), QString::fromLatin1(kStateVersion)}};
    return {};
}

std::optional<Schema> detectSchema(const Entry &entry)
{
    const QString app = entry.labels.value(QStringLiteral("app"));
    if (app == QLatin1String("remediation-state")
        || entry.labels.value(QStringLiteral("managed-by")) == QLatin1String("agent-remediation-controller"))
        return Schema::Seed;
    if (app == QLatin1String("remediation-loop"))
        return Schema::Controller;
    // Stores that keep no labels (etcd, files): the data keys tell.
    if (entry.value.is_object() && entry.value.contains("state.json")) {
        if (entry.value.contains("workflow_id") || entry.value.contains("updated_at"))
            return Schema::Controller;
        if (entry.value.contains("last_update") || entry.value.contains("task_id"))
            return Schema::Seed;
        if (const auto parts = parseConfigMapName(entry.key))
            return parts->schema;
    }
    return std::nullopt;
}

} // namespace sd::remediation
