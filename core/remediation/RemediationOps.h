#pragma once

#include "remediation/RemediationTask.h"

namespace sd::remediation {

// What an operation decided: whether to write, and an error to report once
// the write is done (the seed records MaxIterationsReached, then fails).
struct Outcome {
    bool write = true;
    std::optional<Error> afterWrite;
};

// A feedback entry to append. `commentId` is the PR comment (a string in
// the seed's schema, a number in the controller's).
struct NewFeedback {
    QString author;
    QString severity;
    QString issueType;
    QString description;
    QString commentId;
};

// What recover() found and did.
struct RecoveryReport {
    QStringList repairs;        // one line per repair, for a person
    int duplicatesRemoved = 0;
    bool created = false;       // no state existed; a new one was written
    bool reset = false;         // an unreadable state.json was replaced
    QString backupPath;         // where the old content was saved first
};

// The operations of seed 002's StateManager, as pure edits of one task. Each
// is applied to a freshly read task inside a compare-and-swap loop, so they
// may run many times; none does I/O.

// One more iteration, or MaxIterationsReached: at the cap the status is
// recorded (MaxIterationsReached in the seed's schema, Terminated with a
// termination_reason in the controller's) and the operation fails.
Result<Outcome> incrementIteration(RemediationTask &task, const UtcTime &now);

// Appends feedback; past 950,000 serialized bytes the history is compressed
// as the seed does (resolved High/Critical and the newest 15 kept, sorted by
// time, feedback_compressed_at and original_feedback_count recorded).
Result<Outcome> appendFeedback(RemediationTask &task, const NewFeedback &feedback, const UtcTime &now);

// Marks one entry resolved (seed) or sets its status (controller; Resolved
// by default). `which` is an entry id, a 1-based index or a comment id.
Result<Outcome> resolveFeedback(RemediationTask &task, const QString &which, const QString &status,
                                const UtcTime &now);

Result<Outcome> setStatus(RemediationTask &task, const QString &status, const UtcTime &now);

// The seed's validate_state: version repaired, iteration capped, duplicate
// feedback removed (every repeat, not only adjacent ones as the seed's
// dedup_by does); last_recovery always and state_repaired_at on repairs.
Result<Outcome> validateAndRepair(RemediationTask &task, RecoveryReport *report, const UtcTime &now);

// The seed's compress_feedback_history. Returns false when there was
// nothing to drop.
bool compressFeedback(RemediationTask &task, const UtcTime &now);

} // namespace sd::remediation
