#include "transfer/BackupWriter.h"

#include "providers/form/EntryForm.h"
#include "util/Async.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>

namespace sd {

struct BackupWriter::State {
    QString path;
    QString partial;
    SnapshotManifest manifest;
    std::shared_ptr<const SnapshotCipher> cipher;
    std::unique_ptr<SnapshotWriter> writer;
    qint64 acknowledged = 0;
    // Entries of a continued partial file past `acknowledged`, by key: the
    // page a crash interrupted, which the resumed run writes again.
    QHash<QString, QList<Entry>> unacknowledged;
    std::function<void(TransferStep)> hook;

    Status ensureOpen()
    {
        if (writer)
            return {};
        if (!QDir().mkpath(QFileInfo(path).absolutePath()))
            return Error(ErrorKind::Io, QStringLiteral("cannot create the backup directory"),
                         QFileInfo(path).absolutePath());
        // A run that was interrupted left its backup here: go on with it.
        if (QFileInfo::exists(partial)) {
            auto resumed = SnapshotWriter::resume(path, partial, cipher, [this](qint64 index, const Entry &e) {
                if (index >= acknowledged)
                    unacknowledged[e.key] << e;
            });
            if (!resumed.ok())
                return resumed.error();
            writer = std::move(resumed).value();
            return {};
        }
        auto created = SnapshotWriter::create(path, manifest, cipher, partial);
        if (!created.ok())
            return created.error();
        writer = std::move(created).value();
        return {};
    }

    // Whether the file holds this old value already (from a page an
    // earlier run backed up but did not get acknowledged); each line
    // answers for one value.
    bool alreadyHeld(const Entry &old)
    {
        auto it = unacknowledged.find(old.key);
        if (it == unacknowledged.end())
            return false;
        for (qsizetype i = 0; i < it->size(); ++i) {
            if (sameContent(it->at(i), old)) {
                it->removeAt(i);
                if (it->isEmpty())
                    unacknowledged.erase(it);
                return true;
            }
        }
        return false;
    }

    void step(TransferStep s) const
    {
        if (hook)
            hook(s);
    }
};

BackupWriter::BackupWriter(QString path, QString partialPath, SnapshotManifest manifest,
                           std::shared_ptr<const SnapshotCipher> cipher, qint64 acknowledged)
    : m_path(std::move(path)), m_partial(std::move(partialPath)), m_state(std::make_shared<State>()),
      m_worker(std::make_unique<SerialWorker>())
{
    m_state->path = m_path;
    m_state->partial = m_partial;
    m_state->manifest = std::move(manifest);
    m_state->cipher = std::move(cipher);
    m_state->acknowledged = acknowledged;
}

BackupWriter::~BackupWriter()
{
    m_worker->waitForIdle();
    // A backup of values already overwritten must not vanish: an unfinished
    // one stays as its partial file (named in the report and checkpoint).
    if (m_state->writer) {
        m_state->writer->keepPartial();
        m_state->writer.reset();
    }
}

void BackupWriter::setStepHook(std::function<void(TransferStep)> hook)
{
    auto st = m_state;
    m_worker->run([st, hook = std::move(hook)] { st->hook = hook; });
}

QFuture<Result<qint64>> BackupWriter::append(const QList<Entry> &oldEntries)
{
    m_appended += oldEntries.size();
    auto st = m_state;
    return m_worker->run([st, oldEntries]() -> Result<qint64> {
        if (Status s = st->ensureOpen(); !s.ok())
            return s.error();
        QList<Entry> fresh;
        fresh.reserve(oldEntries.size());
        for (const Entry &e : oldEntries)
            if (!st->alreadyHeld(e))
                fresh << e;
        if (Status s = st->writer->append(fresh); !s.ok())
            return s.error();
        st->step(TransferStep::BackupAppended);
        if (Status s = st->writer->sync(); !s.ok())
            return s.error();
        st->step(TransferStep::BackupSynced);
        return st->writer->entries();
    });
}

QFuture<Result<SnapshotSummary>> BackupWriter::commit()
{
    auto st = m_state;
    return m_worker->run([st]() -> Result<SnapshotSummary> {
        if (!st->writer) {
            // Nothing appended in this run; an earlier run's partial backup
            // is finished now.
            if (!QFileInfo::exists(st->partial))
                return SnapshotSummary();
            if (Status s = st->ensureOpen(); !s.ok())
                return s.error();
        }
        Result<SnapshotSummary> done = st->writer->commit();
        st->writer.reset();
        return done;
    });
}

void BackupWriter::detach()
{
    auto st = m_state;
    m_worker->run([st] {
        if (st->writer) {
            st->writer->keepPartial();
            st->writer.reset();
        }
    });
}

} // namespace sd
