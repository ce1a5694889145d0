#pragma once

#include "providers/form/EntryForm.h"
#include "transfer/EntrySource.h"
#include "transfer/ProgressMeter.h"
#include "snapshot/SnapshotFormat.h"
#include "transfer/TransferTypes.h"

#include <QFuture>
#include <QObject>
#include <QPromise>

#include <functional>
#include <memory>

namespace sd {

class BackupWriter;
class TargetLookup;
class Provider;

struct EngineOptions {
    ConflictPolicy policy = ConflictPolicy::Fail;
    bool dryRun = false;
    TargetForm form;
    // Opens the source from where this run starts; called once per pass
    // (a Fail policy reads the source twice: check, then write).
    std::function<std::unique_ptr<EntrySource>()> openSource;
    // Where the target's old values go before they are overwritten.
    QString backupPath;
    QString backupPartialPath;
    SnapshotManifest backupManifest;
    // Seals the backup's values (set with backupManifest.encryption).
    std::shared_ptr<const SnapshotCipher> backupCipher;
    // When the run fails, leave the backup's partial file for a resumed run
    // (a migration with a checkpoint) instead of finishing it.
    bool resumable = false;
    // After each page is written and acknowledged: save a checkpoint. The
    // next page is not written until the future finishes.
    std::function<QFuture<Status>(const SourcePage &page, const TransferReport &report)> pageDone;
    // The source's prefix in the target's form: when the target holds
    // nothing under it, a Fail policy has nothing to check before writing.
    QString targetPrefix;
    // Counts carried over from an interrupted run. Its backedUp is how many
    // entries of the backup's partial file belong to pages the target
    // acknowledged (see BackupWriter).
    TransferReport carried;
    qint64 total = -1;
    // Tests: called at each step of writing a page (TransferStep), on the
    // thread that does it; a test that kills the process there shows what a
    // crash at that moment leaves. Never set in production.
    std::function<void(TransferStep)> stepHook;
};

// Copies entries from a source to a target store: the one write path of
// import and migrate. Page by page (the next page is read while one is
// written), through Provider::putBatch in slices of maxBatchSize(), every
// write conditional:
//   - a key new to the target is written with mustNotExist;
//   - a key the target holds is read; the same value is "unchanged"; a
//     different one is skipped, refused or (Overwrite) saved to the backup,
//     synced, and then written with atRevision(the revision read); an old
//     value the backup holds already (a page written again after a crash)
//     is not backed up twice.
// So a concurrent writer's change is a Conflict, never silently lost, and a
// re-run after a crash writes nothing twice: what it already wrote is found
// unchanged. Errors of one key (a name the target refuses, a value too
// large) are reported and the rest goes on; errors of the store
// (unreachable, timeout, I/O) stop the run at the page, which a resumed
// migration writes again.
class TransferEngine : public QObject {
    Q_OBJECT
public:
    TransferEngine(Provider *target, EngineOptions options, QObject *parent = nullptr);
    ~TransferEngine() override;

    QFuture<Result<TransferReport>> run();
    // Stops after the writes in flight are answered; the run fails with
    // Cancelled (a migration's checkpoint is kept).
    void cancel();
    // The total becomes known later (a count running beside the copy).
    void setTotal(qint64 total);
    // The counts so far; after a failed run, how far it got (and where the
    // backup of what it overwrote is).
    const TransferReport &partialReport() const { return m_report; }

Q_SIGNALS:
    void progress(const sd::TransferProgress &progress);
    void outcome(const sd::KeyOutcome &outcome);

private:
    struct Item {
        Entry source;
        Entry target;
    };
    enum class Pass { Check, Write, DryRun };

    void startPass(Pass pass);
    void readNext();
    void onPage(Result<SourcePage> page);
    void checkPage(QList<Item> items);
    void writePage(QList<Item> items);
    void resolveExisting(QList<Item> existing);
    void overwrite(QList<std::pair<Item, Entry>> changes);
    void createAgain(QList<Item> items);
    void pageFinished();
    void report(KeyOutcome::Kind kind, const Item &item, const Entry &before = {}, const Error &error = {});
    bool fatal(const Error &e);
    void finish(std::optional<Error> error);
    void emitProgress();

    Provider *m_target;
    EngineOptions m_options;
    std::unique_ptr<EntrySource> m_source;
    std::unique_ptr<BackupWriter> m_backup;
    std::unique_ptr<TargetLookup> m_lookup; // check and dry-run passes
    QPromise<Result<TransferReport>> m_promise;
    TransferReport m_report;
    ProgressMeter m_meter;
    Pass m_pass = Pass::Write;
    std::unique_ptr<SourcePage> m_page;
    QFuture<Result<SourcePage>> m_nextPage;
    bool m_havePrefetch = false;
    int m_stagesLeft = 0;
    std::optional<Error> m_fatal;
    bool m_cancelled = false;
    bool m_finished = false;
    qint64 m_done = 0;
    qint64 m_checkConflicts = 0;
};

} // namespace sd
