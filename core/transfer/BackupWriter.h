#pragma once

#include "transfer/SnapshotWriter.h"

#include <QFuture>

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
class BackupWriter {
public:
    // `cipher` seals every value (the backup of sensitive values); the
    // manifest's encryption block must be the one it was derived for.
    BackupWriter(QString path, QString partialPath, SnapshotManifest manifest,
                 std::shared_ptr<const SnapshotCipher> cipher = nullptr);
    ~BackupWriter();

    QFuture<Status> append(const QList<Entry> &oldEntries);
    // Finishes the snapshot; NotFound-free: with nothing appended it
    // returns an empty path.
    QFuture<Result<SnapshotSummary>> commit();
    // Leaves the partial file for a later run to continue.
    void detach();

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
