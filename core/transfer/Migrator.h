#pragma once

#include "transfer/Checkpoint.h"
#include "providers/form/KeyForm.h"
#include "transfer/TransferTypes.h"

#include <QFuture>
#include <QObject>
#include <QPromise>

#include <functional>
#include <memory>
#include <optional>

namespace sd {

class Provider;
class SerialWorker;
class TransferEngine;
class Verifier;

struct MigrationOptions {
    QString prefix; // in the source's key form
    ConflictPolicy policy = ConflictPolicy::Fail;
    bool dryRun = false;
    KeyTranslation keys = KeyTranslation::Auto;
    bool verify = true;
    // Start from the beginning even if a checkpoint says where an
    // interrupted run stopped (its backup is continued, never dropped).
    bool restart = false;
    QString checkpointPath;  // empty: migrationCheckpointPath(from, to, prefix)
    QString backupDirectory; // empty: defaultBackupDirectory()
    // Tests: EngineOptions::stepHook, and CheckpointSaved after each
    // checkpoint is on disk.
    std::function<void(TransferStep)> stepHook;
};

struct MigrationReport {
    TransferReport transfer;
    std::optional<VerifyReport> verify;
    bool resumed = false;
    qint64 resumedAfter = 0; // entries the interrupted run had done
    bool restartedListing = false;
    QString checkpointPath;
};

// Moves what a source store holds under a prefix to a target store (seed
// 004's migration), resumable:
//   - the source is read page by page in its listing order and written
//     through TransferEngine (batched conditional writes, the conflict
//     policy, a backup snapshot of every value it overwrites);
//   - after every page the target acknowledged, a checkpoint records the
//     listing cursor (see Checkpoint.h). Killed (kill -9, power cut) or
//     stopped by an unreachable target, the same migration run again
//     continues after the last acknowledged page; the page that was in
//     flight is written again, and what of it already arrived is found
//     unchanged, so nothing is duplicated or skipped;
//   - the checkpoint is removed when the copy completes; then (unless
//     disabled) a Verifier compares source and target.
class Migrator : public QObject {
    Q_OBJECT
public:
    Migrator(Provider *source, Provider *target, MigrationOptions options, QObject *parent = nullptr);
    ~Migrator() override;

    QFuture<Result<MigrationReport>> run();
    void cancel();
    QString checkpointPath() const { return m_checkpointPath; }

Q_SIGNALS:
    void progress(const sd::TransferProgress &progress);
    void outcome(const sd::KeyOutcome &outcome);
    // A checkpoint was saved: `done` entries are in the target for good.
    void checkpointSaved(qint64 done);
    // Starting from an interrupted run's checkpoint.
    void resuming(qint64 done, const QString &lastKey);
    // The copy is done; the verify pass starts.
    void verifying();

private:
    void start(std::optional<MigrationCheckpoint> previous);
    void copied(Result<TransferReport> r);
    void finish(Result<MigrationReport> r);

    Provider *m_source;
    Provider *m_target;
    MigrationOptions m_options;
    QString m_checkpointPath;
    MigrationCheckpoint m_checkpoint;
    MigrationReport m_report;
    std::unique_ptr<SerialWorker> m_worker;
    std::unique_ptr<TransferEngine> m_engine;
    std::unique_ptr<Verifier> m_verifier;
    class ProviderSource *m_lastSource = nullptr;
    QPromise<Result<MigrationReport>> m_promise;
    bool m_cancelled = false;
    bool m_finished = false;
};

} // namespace sd
