#include "transfer/BackupWriter.h"

#include "util/Async.h"

#include <QDir>
#include <QFileInfo>

namespace sd {

struct BackupWriter::State {
    QString path;
    QString partial;
    SnapshotManifest manifest;
    std::shared_ptr<const SnapshotCipher> cipher;
    std::unique_ptr<SnapshotWriter> writer;
    bool detached = false;

    Status ensureOpen()
    {
        if (writer)
            return {};
        if (!QDir().mkpath(QFileInfo(path).absolutePath()))
            return Error(ErrorKind::Io, QStringLiteral("cannot create the backup directory"),
                         QFileInfo(path).absolutePath());
        // A run that was interrupted left its backup here: go on with it.
        if (QFileInfo::exists(partial)) {
            auto resumed = SnapshotWriter::resume(path, partial, cipher);
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
};

BackupWriter::BackupWriter(QString path, QString partialPath, SnapshotManifest manifest,
                           std::shared_ptr<const SnapshotCipher> cipher)
    : m_path(std::move(path)), m_partial(std::move(partialPath)), m_state(std::make_shared<State>()),
      m_worker(std::make_unique<SerialWorker>())
{
    m_state->path = m_path;
    m_state->partial = m_partial;
    m_state->manifest = std::move(manifest);
    m_state->cipher = std::move(cipher);
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

QFuture<Status> BackupWriter::append(const QList<Entry> &oldEntries)
{
    m_appended += oldEntries.size();
    auto st = m_state;
    return m_worker->run([st, oldEntries]() -> Status {
        if (Status s = st->ensureOpen(); !s.ok())
            return s;
        if (Status s = st->writer->append(oldEntries); !s.ok())
            return s;
        return st->writer->sync();
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
