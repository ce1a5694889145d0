#pragma once

#include "model/Result.h"
#include "remediation/RemediationSchema.h"
#include "util/UtcTime.h"

#include <optional>

namespace sd::remediation {

// One feedback entry, read the same way whichever schema wrote it.
struct FeedbackView {
    int index = 0;          // 1-based position in feedback_history
    QString id;             // controller: "feedback-12345-1"; seed: empty
    QString commentId;      // pr_comment_id (seed) or comment_id (controller)
    QString author;
    QString severity;       // Low, Medium, High, Critical
    QString issueType;
    QString description;
    QString status;         // controller: Received...; seed: Resolved or Open
    bool resolved = false;
    QString timestampText;  // as stored
    std::optional<UtcTime> timestamp;
    int iteration = -1;     // controller only
};

// A remediation task as stored: the entry (a ConfigMap, or its equivalent in
// another store) and its state.json, kept as the JSON document it is so that
// fields this build does not know survive an edit and an unedited task is
// written back byte-identical.
class RemediationTask {
public:
    RemediationTask() = default; // an empty task, for containers and futures
    // Reads an entry. Fails when it is not remediation state. A state.json
    // that does not parse still gives a task, with stateError() set.
    static Result<RemediationTask> fromEntry(const Entry &entry);
    // A new task in the initial state each system writes.
    static RemediationTask create(Schema schema, const QString &taskId, qint64 prNumber, int maxIterations,
                                  const UtcTime &now);

    Schema schema() const { return m_schema; }
    const Entry &entry() const { return m_entry; }
    QString name() const { return m_entry.key; }
    QString taskId() const { return m_taskId; }
    qint64 prNumber() const { return m_prNumber; }

    // Set when state.json is missing or does not parse; names the position.
    const std::optional<Error> &stateError() const { return m_stateError; }
    QString stateText() const { return m_stateText; }
    const Json &state() const { return m_state; }
    Json &state() { return m_state; }

    int iteration() const;
    int maxIterations() const;
    QString status() const;
    QString lastUpdateText() const; // last_update (seed) / updated_at (controller)
    std::optional<UtcTime> lastUpdate() const;
    QList<FeedbackView> feedback() const;

    // Checks the fields this build relies on have the types serde requires,
    // as the controller would when it reads the task.
    Status validateFields() const;

    // The entry to write: state.json re-serialized as serde_json's
    // to_string_pretty would (unless nothing changed), and the data keys
    // beside it refreshed as each system refreshes them. `now` is the write
    // time for last_update / updated_at in the data.
    Result<Entry> toEntry(const UtcTime &now) const;

    // The serialized size serde_json::to_string gives, which the seed
    // compares with 950,000 before compressing.
    qsizetype compactStateSize() const;

    // Replaces an unreadable state.json with a fresh initial state.
    void resetState(const UtcTime &now);

private:
    Entry m_entry;
    Schema m_schema = Schema::Seed;
    QString m_taskId;
    qint64 m_prNumber = -1;
    Json m_state;
    QString m_stateText;       // state.json as read
    Json m_stateAsRead;        // to tell whether it changed
    std::optional<Error> m_stateError;
};

// serde_json::to_string_pretty's text for a JSON value (two-space indent,
// "key": value, UTF-8 unescaped, [] and {} for empty containers).
QByteArray serdePretty(const Json &value);

// Total bytes of an entry's data as the API server counts them for the
// ConfigMap size limit (keys and values).
qsizetype configMapDataSize(const Entry &entry);

} // namespace sd::remediation
