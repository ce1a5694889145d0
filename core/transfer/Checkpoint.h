#pragma once

#include "model/Result.h"
#include "transfer/TransferTypes.h"
#include "util/StateDirectory.h"

#include <QDateTime>

#include <optional>

namespace sd {

// A backup snapshot's name: <dir>/<UTC YYYY-MM-DD_HH-MM-SS>_<reason>_<scheme>.jsonl
// (the seed's old_deployments/<id>_<date>_<reason> naming), and the hidden
// partial file it is written to first.
QString backupPathFor(const QString &directory, const QString &reason, const QString &targetScheme);
QString partialPathFor(const QString &path);

// Where a migration from `from` to `to` (Provider::describe(), no secrets)
// of `prefix` keeps its checkpoint:
// <stateDirectory>/migrations/<first 16 hex of SHA-256(from, to, prefix)>.json
QString migrationCheckpointPath(const QString &from, const QString &to, const QString &prefix);

// How far a migration got: everything the source lists before `cursor` is
// in the target (acknowledged by it). Saved after every page.
struct MigrationCheckpoint {
    QString from;
    QString to;
    QString prefix;
    QString keys;     // "auto" | "verbatim"
    QString policy;   // conflictPolicyName
    QString cursor;   // the source listing's cursor after the last acknowledged page
    QString lastKey;  // the last key of that page, for people
    bool complete = false; // every page is in; only the checkpoint's removal was left
    // counts.backedUp: the entries of the backup's partial file that belong
    // to the pages counted here; a resumed run knows the ones past it may be
    // backed up again by the page it writes again (BackupWriter).
    TransferReport counts;
    QString backupPath;
    QString backupPartial;
    QDateTime started;
    QDateTime updated;
};

// nullopt when there is none; Invalid (naming the file) when it is damaged.
Result<std::optional<MigrationCheckpoint>> loadCheckpoint(const QString &path);
// Atomic replace (temporary file, fsync, rename), so a kill leaves the old
// checkpoint or the new one.
Status saveCheckpoint(const QString &path, const MigrationCheckpoint &c);
Status removeCheckpoint(const QString &path);

} // namespace sd
