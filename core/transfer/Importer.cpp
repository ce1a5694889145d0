#include "transfer/Importer.h"

#include "providers/Provider.h"
#include "providers/readonly/ReadOnlyProvider.h"
#include "transfer/Checkpoint.h"
#include "transfer/EntrySource.h"
#include "snapshot/SnapshotCipher.h"
#include "transfer/SnapshotReader.h"
#include "transfer/TransferEngine.h"
#include "util/Async.h"

#include <QPointer>

namespace sd {

Importer::Importer(Provider *target, ImportOptions options, QObject *parent)
    : QObject(parent), m_target(target), m_options(std::move(options)), m_worker(std::make_unique<SerialWorker>())
{
}

Importer::~Importer()
{
    *m_cancelled = true;
    m_worker->waitForIdle();
}

void Importer::cancel()
{
    *m_cancelled = true;
    if (m_engine)
        m_engine->cancel();
}

QFuture<Result<ImportReport>> Importer::run()
{
    m_promise.start();
    if (!m_options.dryRun) {
        if (Status writable = checkWritable(m_target, QStringLiteral("import")); !writable.ok()) {
            finish(writable.error());
            return m_promise.future();
        }
    }
    QByteArray passphrase = m_options.passphrase;
    m_options.passphrase.fill('\0');
    m_options.passphrase.clear();
    const QString path = m_options.path;
    auto cancelled = m_cancelled;
    QPointer<Importer> self(this);
    // Progress of pass 1 arrives from the worker; it is forwarded to this
    // object's thread, a few times a second at most.
    auto lastReport = std::make_shared<qint64>(0);
    auto report = [self, lastReport](qint64 done, qint64 total) {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (now - *lastReport < 100 && done < total)
            return;
        *lastReport = now;
        QMetaObject::invokeMethod(self.data(), [self, done, total] {
            if (!self)
                return;
            self->m_meter.setTotal(total);
            TransferProgress p = self->m_meter.update(done, done);
            // Pass 1 counts bytes; the rate is in bytes a second.
            Q_EMIT self->progress(p);
        }, Qt::QueuedConnection);
    };
    using Verified = std::pair<SnapshotSummary, std::shared_ptr<const SnapshotCipher>>;
    // The backup of overwritten values is sealed when they are sensitive: with
    // the snapshot's own key, or for a plain snapshot with a new key from the
    // passphrase given for it.
    const bool mayBackUp = m_options.policy == ConflictPolicy::Overwrite && !m_options.dryRun;
    auto backupKey = std::make_shared<std::optional<SnapshotKey>>();
    m_worker->run([path, passphrase, cancelled, report, mayBackUp, backupKey]() mutable -> Result<Verified> {
        auto reader = SnapshotReader::open(path);
        if (!reader.ok())
            return reader.error();
        std::shared_ptr<const SnapshotCipher> cipher;
        if (reader.value()->encrypted()) {
            if (passphrase.isEmpty())
                return Error(ErrorKind::Unauthorized,
                             QStringLiteral("the snapshot is encrypted: give its passphrase (--passphrase-file, "
                                            "--passphrase-env, or at the prompt on a terminal)"),
                             path + QStringLiteral(":1"));
            auto unlocked = reader.value()->unlock(passphrase);
            passphrase.fill('\0');
            if (!unlocked.ok())
                return unlocked.error();
            cipher = unlocked.value();
            *backupKey = SnapshotKey{*reader.value()->manifest().encryption, cipher};
        } else if (mayBackUp && !passphrase.isEmpty()) {
            auto key = newSnapshotKey(passphrase, SnapshotCipher::kDefaultIterations);
            passphrase.fill('\0');
            if (!key.ok())
                return key.error();
            *backupKey = key.value();
        }
        reader.value().reset();
        auto summary = verifySnapshot(path, cipher, report, cancelled.get());
        if (!summary.ok())
            return summary.error();
        return Verified{summary.value(), cipher};
    }).then(this, [this, backupKey](Result<Verified> checked) {
        if (!checked.ok())
            return finish(checked.error());
        m_backupKey = *backupKey;
        Q_EMIT verified(checked->first);
        write(checked->first, checked->second);
    });
    return m_promise.future();
}

void Importer::write(const SnapshotSummary &summary, std::shared_ptr<const SnapshotCipher> cipher)
{
    if (*m_cancelled)
        return finish(Error(ErrorKind::Cancelled, QStringLiteral("cancelled")));
    EngineOptions o;
    o.policy = m_options.policy;
    o.dryRun = m_options.dryRun;
    o.total = summary.entries;
    o.form = TargetForm::between(summary.manifest.keySeparator, m_target->scheme(), m_target->capabilities(),
                                 m_options.keys);
    o.targetPrefix = translatePrefix(summary.manifest.prefix, o.form.sourceSeparator, o.form.targetSeparator, o.form.keys);
    const QString path = summary.path;
    const QString sha = summary.sha256;
    const QString separator = summary.manifest.keySeparator;
    o.openSource = [path, cipher, sha, separator] {
        return std::unique_ptr<EntrySource>(std::make_unique<SnapshotSource>(path, cipher, sha, separator));
    };
    if (o.policy == ConflictPolicy::Overwrite && !o.dryRun) {
        const QString dir = m_options.backupDirectory.isEmpty() ? defaultBackupDirectory() : m_options.backupDirectory;
        o.backupPath = backupPathFor(dir, QStringLiteral("import"), m_target->scheme());
        o.backupPartialPath = partialPathFor(o.backupPath);
        o.backupManifest.source = m_target->describe();
        o.backupManifest.sourceScheme = m_target->scheme();
        o.backupManifest.created = QDateTime::currentDateTimeUtc();
        o.backupManifest.keySeparator = m_target->capabilities().keySeparator;
        // Values that are secret where they come from or where they go are
        // never written to a backup in clear.
        const bool sensitive = m_target->capabilities().sensitive || summary.manifest.sensitive
                               || summary.manifest.encryption.has_value();
        if (sensitive) {
            if (!m_backupKey)
                return finish(Error(ErrorKind::Invalid,
                                    QStringLiteral("the values this import would overwrite are secret, and their backup "
                                                   "would be written in clear; give a passphrase to seal the backup "
                                                   "with (--passphrase-file FILE or --passphrase-env VAR), or import "
                                                   "with --on-conflict skip"),
                                    m_target->describe()));
            o.backupManifest.sensitive = true;
            o.backupManifest.encryption = m_backupKey->encryption;
            o.backupCipher = m_backupKey->cipher;
        }
    }
    m_engine = std::make_unique<TransferEngine>(m_target, std::move(o));
    connect(m_engine.get(), &TransferEngine::progress, this, &Importer::progress);
    connect(m_engine.get(), &TransferEngine::outcome, this, &Importer::outcome);
    m_engine->run().then(this, [this, summary](Result<TransferReport> done) {
        if (!done.ok()) {
            Error e = done.error();
            const TransferReport &so = m_engine->partialReport();
            if (!so.backupPath.isEmpty())
                e.message += QStringLiteral(" (the values overwritten before it stopped are saved in %1)").arg(so.backupPath);
            return finish(e);
        }
        finish(ImportReport{summary, done.value()});
    });
}

void Importer::finish(Result<ImportReport> r)
{
    if (m_finished)
        return;
    m_finished = true;
    m_promise.addResult(std::move(r));
    m_promise.finish();
}

} // namespace sd
