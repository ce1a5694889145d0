#include "transfer/Migrator.h"

#include "providers/Provider.h"
#include "providers/readonly/ReadOnlyProvider.h"
#include "transfer/BackupWriter.h"
#include "transfer/EntrySource.h"
#include "transfer/Fetch.h"
#include "transfer/TransferEngine.h"
#include "transfer/Verifier.h"
#include "util/Async.h"

namespace sd {

Migrator::Migrator(Provider *source, Provider *target, MigrationOptions options, QObject *parent)
    : QObject(parent), m_source(source), m_target(target), m_options(std::move(options)),
      m_worker(std::make_unique<SerialWorker>())
{
    m_checkpointPath = m_options.checkpointPath.isEmpty()
                           ? migrationCheckpointPath(source->describe(), target->describe(), m_options.prefix)
                           : m_options.checkpointPath;
}

Migrator::~Migrator()
{
    m_worker->waitForIdle();
}

void Migrator::cancel()
{
    m_cancelled = true;
    if (m_engine)
        m_engine->cancel();
    if (m_verifier)
        m_verifier->cancel();
}

QFuture<Result<MigrationReport>> Migrator::run()
{
    m_promise.start();
    m_report.checkpointPath = m_checkpointPath;
    if (!m_options.dryRun) {
        // Before a checkpoint or a backup is made: nothing to resume.
        if (Status writable = checkWritable(m_target, QStringLiteral("migrate")); !writable.ok()) {
            finish(writable.error());
            return m_promise.future();
        }
    }
    if (m_options.dryRun) {
        start(std::nullopt);
        return m_promise.future();
    }
    const QString path = m_checkpointPath;
    m_worker->run([path] { return loadCheckpoint(path); })
        .then(this, [this](Result<std::optional<MigrationCheckpoint>> loaded) {
            if (!loaded.ok())
                return finish(loaded.error());
            std::optional<MigrationCheckpoint> previous = loaded.value();
            if (previous && !m_options.restart) {
                const QString keys = m_options.keys == KeyTranslation::Auto ? QStringLiteral("auto")
                                                                            : QStringLiteral("verbatim");
                if (previous->keys != keys || previous->policy != conflictPolicyName(m_options.policy))
                    return finish(Error(ErrorKind::Invalid,
                                        QStringLiteral("an interrupted migration of the same stores ran with "
                                                       "--on-conflict %1 --keys %2; resume it with the same options, "
                                                       "or pass --restart to start over")
                                            .arg(previous->policy, previous->keys),
                                        m_checkpointPath));
            }
            start(previous);
        });
    return m_promise.future();
}

void Migrator::start(std::optional<MigrationCheckpoint> previous)
{
    MigrationCheckpoint &cp = m_checkpoint;
    cp.from = m_source->describe();
    cp.to = m_target->describe();
    cp.prefix = m_options.prefix;
    cp.keys = m_options.keys == KeyTranslation::Auto ? QStringLiteral("auto") : QStringLiteral("verbatim");
    cp.policy = conflictPolicyName(m_options.policy);
    cp.started = QDateTime::currentDateTimeUtc();
    if (previous) {
        // A restart keeps the interrupted run's backup: values it overwrote
        // are only there.
        cp.backupPath = previous->backupPath;
        cp.backupPartial = previous->backupPartial;
        // A run that stopped before its first page has nothing to resume.
        const bool started = previous->counts.read > 0 || !previous->cursor.isEmpty() || previous->complete;
        if (!m_options.restart && started) {
            cp.cursor = previous->cursor;
            cp.lastKey = previous->lastKey;
            cp.counts = previous->counts;
            cp.complete = previous->complete;
            cp.started = previous->started;
            m_report.resumed = true;
            m_report.resumedAfter = previous->counts.read;
            Q_EMIT resuming(previous->counts.read, previous->lastKey);
        }
    }
    const bool backsUp = m_options.policy == ConflictPolicy::Overwrite && !m_options.dryRun;
    if (backsUp && (m_source->capabilities().sensitive || m_target->capabilities().sensitive)) {
        // A migration has no passphrase to seal a backup with, and secret
        // values are never backed up in clear.
        return finish(Error(ErrorKind::Invalid,
                            QStringLiteral("the values this migration would overwrite are secret, and their backup "
                                           "would be written in clear; to overwrite them, export the source with "
                                           "`statedeckctl export --encrypt` and import that snapshot with "
                                           "--on-conflict overwrite (the backup is sealed with its passphrase), or "
                                           "migrate with --on-conflict skip"),
                            m_target->describe()));
    }
    if (cp.backupPath.isEmpty() && backsUp) {
        const QString dir = m_options.backupDirectory.isEmpty() ? defaultBackupDirectory() : m_options.backupDirectory;
        cp.backupPath = backupPathFor(dir, QStringLiteral("migrate"), m_target->scheme());
        cp.backupPartial = partialPathFor(cp.backupPath);
    }

    EngineOptions o;
    o.policy = m_options.policy;
    o.dryRun = m_options.dryRun;
    o.form = TargetForm::between(m_source->capabilities().keySeparator, m_target->scheme(), m_target->capabilities(),
                                 m_options.keys);
    const QString cursor = cp.cursor;
    const QString prefix = m_options.prefix;
    o.openSource = [this, cursor, prefix] {
        auto s = std::make_unique<ProviderSource>(m_source, this, prefix, cursor);
        m_lastSource = s.get();
        return std::unique_ptr<EntrySource>(std::move(s));
    };
    o.targetPrefix = translatePrefix(prefix, o.form.sourceSeparator, o.form.targetSeparator, o.form.keys);
    o.backupPath = cp.backupPath;
    o.backupPartialPath = cp.backupPartial;
    o.backupManifest.source = m_target->describe();
    o.backupManifest.sourceScheme = m_target->scheme();
    o.backupManifest.prefix = translatePrefix(prefix, o.form.sourceSeparator, o.form.targetSeparator, o.form.keys);
    o.backupManifest.created = QDateTime::currentDateTimeUtc();
    o.backupManifest.keySeparator = m_target->capabilities().keySeparator;
    o.resumable = !m_options.dryRun;
    o.carried = cp.counts;
    o.stepHook = m_options.stepHook;
    if (!m_options.dryRun) {
        o.pageDone = [this](const SourcePage &page, const TransferReport &counts) -> QFuture<Status> {
            m_checkpoint.cursor = page.cursor;
            if (!page.entries.isEmpty())
                m_checkpoint.lastKey = page.entries.constLast().key;
            m_checkpoint.complete = page.last;
            m_checkpoint.counts = counts;
            m_checkpoint.counts.problems.clear();
            m_checkpoint.updated = QDateTime::currentDateTimeUtc();
            const MigrationCheckpoint snapshot = m_checkpoint;
            const QString path = m_checkpointPath;
            const qint64 done = counts.read;
            return m_worker->run([path, snapshot] { return saveCheckpoint(path, snapshot); })
                .then(this, [this, done](Status saved) {
                    if (saved.ok() && m_options.stepHook)
                        m_options.stepHook(TransferStep::CheckpointSaved);
                    if (saved.ok())
                        Q_EMIT checkpointSaved(done);
                    return saved;
                });
        };
    }

    m_engine = std::make_unique<TransferEngine>(m_target, std::move(o));
    connect(m_engine.get(), &TransferEngine::progress, this, &Migrator::progress);
    connect(m_engine.get(), &TransferEngine::outcome, this, &Migrator::outcome);
    if (m_cancelled)
        m_engine->cancel();

    auto begin = [this] {
        if (m_checkpoint.complete) {
            // Every page was in before the interruption; only the backup
            // may still need finishing.
            auto backup = std::make_shared<BackupWriter>(m_checkpoint.backupPath, m_checkpoint.backupPartial,
                                                         SnapshotManifest());
            backup->commit().then(this, [this, backup](Result<SnapshotSummary> saved) {
                TransferReport done = m_checkpoint.counts;
                if (saved.ok() && !saved->path.isEmpty()) {
                    done.backupPath = saved->path;
                    done.backedUp = saved->entries;
                }
                copied(done);
            });
            return;
        }
        countKeys(m_source, this, m_options.prefix).then(this, [this](Result<qint64> n) {
            if (n.ok() && m_engine)
                m_engine->setTotal(n.value());
        });
        m_engine->run().then(this, [this](Result<TransferReport> r) { copied(std::move(r)); });
    };
    if (m_options.dryRun)
        return begin();
    // The first checkpoint names the backup before anything can be
    // overwritten, so a kill at any moment leaves it findable.
    const MigrationCheckpoint first = m_checkpoint;
    const QString path = m_checkpointPath;
    m_worker->run([path, first] { return saveCheckpoint(path, first); }).then(this, [this, begin](Status saved) {
        if (!saved.ok())
            return finish(saved.error());
        begin();
    });
}

void Migrator::copied(Result<TransferReport> r)
{
    if (m_lastSource)
        m_report.restartedListing = m_lastSource->restartedListing();
    if (!r.ok()) {
        Error e = r.error();
        if (m_engine)
            m_report.transfer = m_engine->partialReport();
        if (!m_options.dryRun && e.kind != ErrorKind::Conflict)
            e.message += QStringLiteral("; the progress is saved in %1: run the same command again to resume")
                             .arg(m_checkpointPath);
        else if (!m_options.dryRun && e.kind == ErrorKind::Conflict)
            m_worker->run([path = m_checkpointPath] { return removeCheckpoint(path); });
        if (!m_report.transfer.backupPath.isEmpty())
            e.message += QStringLiteral(" (values overwritten so far are saved in %1)").arg(m_report.transfer.backupPath);
        return finish(e);
    }
    m_report.transfer = r.value();
    if (m_options.dryRun || !m_options.verify) {
        if (!m_options.dryRun)
            m_worker->run([path = m_checkpointPath] { return removeCheckpoint(path); });
        return finish(m_report);
    }
    m_worker->run([path = m_checkpointPath] { return removeCheckpoint(path); });
    Q_EMIT verifying();
    VerifyOptions vo;
    vo.prefix = m_options.prefix;
    vo.keys = m_options.keys;
    m_verifier = std::make_unique<Verifier>(m_source, m_target, vo);
    connect(m_verifier.get(), &Verifier::progress, this, &Migrator::progress);
    connect(m_verifier.get(), &Verifier::outcome, this, &Migrator::outcome);
    if (m_cancelled)
        m_verifier->cancel();
    m_verifier->run().then(this, [this](Result<VerifyReport> v) {
        if (!v.ok())
            return finish(v.error());
        m_report.verify = v.value();
        finish(m_report);
    });
}

void Migrator::finish(Result<MigrationReport> r)
{
    if (m_finished)
        return;
    m_finished = true;
    m_promise.addResult(std::move(r));
    m_promise.finish();
}

} // namespace sd
