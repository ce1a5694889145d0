#pragma once

#include "transfer/SnapshotWriter.h"
#include "transfer/TransferTypes.h"

#include <QFuture>

#include <functional>
#include <memory>

namespace sd {

class SerialWorker;

// The target's old values, saved before an import or migration overwrites
// them: a snapshot (plain, never compressed, so an interrupted run can
// continue it) written on a worker thread. Every append() is on disk
// (fdatasync) before its future finishes, so no value is overwritten before
// its backup is durable. Nothing is created until the first append().
//
// Until commit() the lines live in `partialPath`; a migration that is
// interrupted continues the same partial file when it resumes (the
// checkpoint names it), and commit() renames it to `path`.
//
// Each overwritten value is held once, however a crash falls. A page is
// backed up, synced, written, then checkpointed; a run killed after the
// backup of a page but before its checkpoint writes that page again when it
// resumes, and finds the same old values to back up. So the entries of the
// partial file past `acknowledged` (what the last checkpoint counted, see
// TransferReport::backedUp) are read back when it is continued, and an
// append() skips an old value the file holds already for the same key (one
// skip per line). Entries up to `acknowledged` belong to pages the target
// acknowledged, which a resumed run does not write again; they are not
// kept in memory.
class BackupWriter {
public:
    // `cipher` seals every value (the backup of sensitive values); the
    // manifest's encryption block must be the one it was derived for.
    BackupWriter(QString path, QString partialPath, SnapshotManifest manifest,
                 std::shared_ptr<const SnapshotCipher> cipher = nullptr, qint64 acknowledged = 0);
    ~BackupWriter();

    // Appends the old values the backup does not hold yet and syncs. Answers
    // how many entries the backup holds then (all runs together).
    QFuture<Result<qint64>> append(const QList<Entry> &oldEntries);
    // Finishes the snapshot; NotFound-free: with nothing appended it
    // returns an empty path.
    QFuture<Result<SnapshotSummary>> commit();
    // Leaves the partial file for a later run to continue.
    void detach();
    // Tests: called on the worker thread after each append, before its
    // sync (BackupAppended), and after the sync (BackupSynced).
    void setStepHook(std::function<void(TransferStep)> hook);

    QString path() const { return m_path; }
    QString partialPath() const { return m_partial; }
    qint64 appended() const { return m_appended; }

private:
    struct State;
    QString m_path;
    QString m_partial;
    std::shared_ptr<State> m_state;
    std::unique_ptr<SerialWorker> m_worker;
    qint64 m_appended = 0;
};

} // namespace sd
