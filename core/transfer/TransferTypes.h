#pragma once

#include "model/Entry.h"
#include "model/Error.h"

#include <QList>
#include <QMetaType>
#include <QString>

namespace sd {

// What an import or migration does with a key the target already holds
// with a different value. A key holding the same value is left alone in
// every case ("unchanged").
enum class ConflictPolicy {
    Fail,      // write nothing at all when any such key exists (checked before writing)
    Skip,      // keep the target's value
    Overwrite, // save the target's value to a backup snapshot, then replace it
};
bool parseConflictPolicy(const QString &name, ConflictPolicy *out);
QString conflictPolicyName(ConflictPolicy p);

// The steps of writing one page of an import or migration, in the order
// they happen, each durable before the next starts: the target's old values
// are appended to the backup, the backup is synced (fdatasync), the page is
// written to the target, the checkpoint is saved. Tests stop a migration at
// each (EngineOptions::stepHook) to show that a resumed run neither loses
// nor duplicates anything, wherever a crash falls.
enum class TransferStep { BackupAppended, BackupSynced, PageWritten, CheckpointSaved };
QString transferStepName(TransferStep step); // "backup-appended", ...
bool parseTransferStep(const QString &name, TransferStep *out);

// A progress event: what front ends draw as a bar with rate and ETA.
struct TransferProgress {
    QString phase;     // "count", "verify-file", "plan", "write", "export", "compare"
    qint64 done = 0;   // entries
    qint64 total = -1; // -1 while unknown
    qint64 bytes = 0;  // bytes of the snapshot file read or written, when there is one
    double rate = 0;   // entries per second, over the last few seconds
    double eta = -1;   // seconds left; -1 while unknown
};

// What happened, or would happen, to one key.
struct KeyOutcome {
    enum class Kind {
        Create,    // new in the target
        Change,    // the target holds another value (a dry run, or overwritten)
        Unchanged, // the target already holds this value
        Skipped,   // --on-conflict skip kept the target's value
        Conflict,  // the target holds another value and the policy refused, or it changed meanwhile
        Failed,    // the target refused the entry (bad key there, too large...)
        Missing,   // verify: in the source, not in the target
        Differs,   // verify: the values differ
        Extra,     // verify: in the target, not in the source
    };
    Kind kind = Kind::Create;
    QString key;       // in the target's form
    QString sourceKey; // in the source's form
    Entry before;      // the target's entry (Change, Conflict, Differs, Extra)
    Entry after;       // the source's entry (Create, Change, Conflict, Differs, Missing)
    Error error;       // Conflict and Failed
};
QString outcomeKindName(KeyOutcome::Kind k);

// Counts of a finished import or migration (a dry run counts what it would do).
struct TransferReport {
    bool dryRun = false;
    qint64 read = 0; // source entries seen
    qint64 created = 0;
    qint64 changed = 0; // overwritten (or, in a dry run, that would differ)
    qint64 unchanged = 0;
    qint64 skipped = 0;
    qint64 conflicts = 0;
    qint64 failed = 0;
    // The snapshot holding the target's values from before they were
    // overwritten; empty when nothing was.
    QString backupPath;
    qint64 backedUp = 0;
    // The first conflicts and failures, for the final message (all of them
    // were emitted as outcome events as they happened).
    QList<KeyOutcome> problems;
    static constexpr int kMaxProblems = 100;

    void addProblem(const KeyOutcome &o)
    {
        if (problems.size() < kMaxProblems)
            problems << o;
    }
    // The counts for a person, worded once for the CLI and the consoles:
    // "3 created, 1 overwritten, ..." (and the backup's path on a line of
    // its own), or what a dry run would do.
    QString text() const;
};

// Counts of a verify pass.
struct VerifyReport {
    qint64 compared = 0; // source entries looked up in the target
    qint64 same = 0;
    qint64 missing = 0;
    qint64 differs = 0;
    qint64 extra = 0;
    bool extrasChecked = false;
    QList<KeyOutcome> problems;
    bool clean() const { return missing == 0 && differs == 0 && extra == 0; }
};

} // namespace sd

Q_DECLARE_METATYPE(sd::TransferProgress)
Q_DECLARE_METATYPE(sd::KeyOutcome)
