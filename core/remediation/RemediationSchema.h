#pragma once

#include "model/Entry.h"

#include <QStringList>

#include <optional>

namespace sd::remediation {

// Two systems write remediation state, in two shapes; both are contracts.
enum class Schema {
    // The design document (seed 002): ConfigMap task-{id}-state, labels
    // app=remediation-state, data state.json, last_update, task_id, iteration.
    Seed,
    // What the shipped controller writes: remediation-state-pr-{pr}-task-{id},
    // labels app=remediation-loop, data state.json, workflow_id, iteration,
    // status, updated_at.
    Controller,
};

QString schemaName(Schema s); // "seed", "controller"
std::optional<Schema> parseSchema(const QString &name);

inline constexpr int kSeedMaxIterations = 10;          // MAX_ITERATIONS
inline constexpr int kControllerDefaultMaxIterations = 10;
inline constexpr const char *kStateVersion = "v1";     // STATE_VERSION
inline constexpr qsizetype kCompressAbove = 950000;   // serialized state bytes
inline constexpr int kKeepRecentFeedback = 15;
// What the API server accepts in one ConfigMap: the bytes of its data keys
// and values together.
inline constexpr qsizetype kMaxConfigMapBytes = 1048576;

// The seed's StateError kinds, carried in Error::reason.
namespace reason {
inline const QString kubernetes = QStringLiteral("KubernetesError");
inline const QString serialization = QStringLiteral("SerializationError");
inline const QString deserialization = QStringLiteral("DeserializationError");
inline const QString notFound = QStringLiteral("StateNotFound");
inline const QString maxIterations = QStringLiteral("MaxIterationsReached");
inline const QString validation = QStringLiteral("ValidationError");
} // namespace reason

// The enum variants each schema's serde derives accept, in declaration order.
const QStringList &statuses(Schema s);
const QStringList &issueTypes(Schema s);
const QStringList &severities(); // Low, Medium, High, Critical (both schemas)
const QStringList &feedbackStatuses(); // controller only: Received ... Skipped

// Where a task's state lives.
QString configMapName(Schema s, const QString &taskId, qint64 prNumber = -1);
QString keyPrefix(Schema s); // "task-", "remediation-state-pr-"

// What a ConfigMap name says about the task in it.
struct NameParts {
    Schema schema;
    QString taskId;
    qint64 prNumber = -1;
};
std::optional<NameParts> parseConfigMapName(const QString &name);

// The labels and annotations each schema writes.
QMap<QString, QString> labelsFor(Schema s, const QString &taskId, qint64 prNumber);
QMap<QString, QString> annotationsFor(Schema s);

// Which schema an entry is in, from its labels, then its data keys, then its
// name; nothing when it is not remediation state.
std::optional<Schema> detectSchema(const Entry &entry);

} // namespace sd::remediation
