#pragma once

#include "transfer/ProgressMeter.h"
#include "transfer/SnapshotWriter.h"
#include "transfer/TransferTypes.h"
#include "providers/form/KeyForm.h"

#include <QFuture>
#include <QObject>
#include <QPromise>

#include <atomic>
#include <memory>

namespace sd {

class Provider;
class SerialWorker;
class TransferEngine;

struct ImportOptions {
    QString path;
    QByteArray passphrase; // for an encrypted snapshot; cleared once the key is derived
    ConflictPolicy policy = ConflictPolicy::Fail;
    bool dryRun = false;
    KeyTranslation keys = KeyTranslation::Auto;
    QString backupDirectory; // empty: defaultBackupDirectory()
};

struct ImportReport {
    SnapshotSummary snapshot;
    TransferReport transfer;
};

// Imports a snapshot into a store in two passes over the file, both in
// constant memory:
//   1. verify: every line is read and checked (manifest, JSON, fields,
//      sealed values, entry count, SHA-256) on a worker thread; any fault
//      ends the import before anything is written;
//   2. write: the entries go through TransferEngine (conditional batched
//      writes, conflict policy, backup of what is overwritten).
// A dry run does pass 1 and then reports, key by key, what pass 2 would do.
class Importer : public QObject {
    Q_OBJECT
public:
    Importer(Provider *target, ImportOptions options, QObject *parent = nullptr);
    ~Importer() override;

    QFuture<Result<ImportReport>> run();
    void cancel();

Q_SIGNALS:
    void progress(const sd::TransferProgress &progress);
    void outcome(const sd::KeyOutcome &outcome);
    // Pass 1 passed: the file is sound; pass 2 starts.
    void verified(const sd::SnapshotSummary &summary);

private:
    void write(const SnapshotSummary &summary, std::shared_ptr<const SnapshotCipher> cipher);
    void finish(Result<ImportReport> r);

    Provider *m_target;
    ImportOptions m_options;
    std::optional<SnapshotKey> m_backupKey; // seals the backup of sensitive values
    std::unique_ptr<SerialWorker> m_worker;
    std::unique_ptr<TransferEngine> m_engine;
    QPromise<Result<ImportReport>> m_promise;
    ProgressMeter m_meter{QStringLiteral("verify-file")};
    std::shared_ptr<std::atomic<bool>> m_cancelled = std::make_shared<std::atomic<bool>>(false);
    bool m_finished = false;
};

} // namespace sd

Q_DECLARE_METATYPE(sd::SnapshotSummary)
