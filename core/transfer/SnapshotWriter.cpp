#include "transfer/SnapshotWriter.h"

#include "transfer/LineFile.h"
#include "snapshot/SnapshotCipher.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sd {

SnapshotWriter::~SnapshotWriter()
{
    if (!m_done)
        abandon();
}

Result<std::unique_ptr<SnapshotWriter>> SnapshotWriter::create(const QString &path, SnapshotManifest manifest,
                                                               std::shared_ptr<const SnapshotCipher> cipher,
                                                               const QString &partialPath)
{
    const QFileInfo info(path);
    if (info.isDir())
        return Error(ErrorKind::Invalid, QStringLiteral("is a directory; give a file name for the snapshot"), path);
    if (!QFileInfo(info.absolutePath()).isDir())
        return Error(ErrorKind::NotFound, QStringLiteral("the directory does not exist"), info.absolutePath());
    std::unique_ptr<SnapshotWriter> w(new SnapshotWriter);
    w->m_path = info.absoluteFilePath();
    w->m_partial = partialPath.isEmpty()
                       ? QDir(info.absolutePath())
                             .filePath(QStringLiteral(".%1.%2.partial")
                                           .arg(info.fileName())
                                           .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0')))
                       : partialPath;
    w->m_cipher = std::move(cipher);
    manifest.entries = -1;
    w->m_manifest = std::move(manifest);
    const bool gzip = path.endsWith(QLatin1String(".gz"), Qt::CaseInsensitive);
    auto file = LineFileWriter::create(w->m_partial, gzip, manifestLine(w->m_manifest));
    if (!file.ok()) {
        w->m_done = true; // nothing of ours to remove
        // Name the file the user asked for, not our hidden temporary one.
        Error e = file.error();
        e.where = w->m_path;
        return e;
    }
    w->m_file = std::move(file).value();
    return w;
}

Result<std::unique_ptr<SnapshotWriter>> SnapshotWriter::resume(
    const QString &path, const QString &partialPath, std::shared_ptr<const SnapshotCipher> cipher,
    const std::function<void(qint64 index, const Entry &entry)> &onEntry)
{
    auto reader = LineFileReader::open(partialPath);
    if (!reader.ok())
        return reader.error();
    if (reader.value()->compressed())
        return Error(ErrorKind::Unsupported, QStringLiteral("a compressed snapshot cannot be continued"), partialPath);
    std::unique_ptr<SnapshotWriter> w(new SnapshotWriter);
    w->m_path = path;
    w->m_partial = partialPath;
    w->m_cipher = std::move(cipher);
    QByteArray line;
    bool complete = false;
    Result<bool> got = reader.value()->readLine(&line, &complete, kMaxSnapshotLine);
    if (!got.ok() || !got.value() || !complete) {
        w->m_done = true; // not ours to remove: the caller decides
        return Error(ErrorKind::Invalid, QStringLiteral("the partial snapshot has no manifest"), partialPath + ":1");
    }
    auto manifest = parseManifest(line, partialPath + QStringLiteral(":1"), true);
    if (!manifest.ok()) {
        w->m_done = true;
        return manifest.error();
    }
    w->m_manifest = manifest.value();
    w->m_manifest.entries = -1;
    // commit() rewrites the manifest in place: it must come out the same.
    if (manifestLine(w->m_manifest) != line + '\n') {
        w->m_done = true;
        return Error(ErrorKind::Invalid, QStringLiteral("the partial snapshot's manifest was not written by this "
                                                        "statedeck"),
                     partialPath + QStringLiteral(":1"));
    }
    qint64 keep = reader.value()->lineBytes();
    for (int n = 2;; ++n) {
        got = reader.value()->readLine(&line, &complete, kMaxSnapshotLine);
        if (!got.ok()) {
            w->m_done = true;
            return got.error();
        }
        if (!got.value() || !complete)
            break; // the end, or a line torn by the crash: cut it off
        auto record = parseRecord(line, w->m_cipher.get(), QStringLiteral("%1:%2").arg(partialPath).arg(n));
        if (!record.ok()) {
            w->m_done = true;
            return record.error();
        }
        if (record->trailer)
            break; // finished but not renamed: append after the last entry again
        if (onEntry && record->entry)
            onEntry(w->m_count, *record->entry);
        w->m_hash.addData(line);
        w->m_hash.addData(QByteArrayView("\n"));
        ++w->m_count;
        keep = reader.value()->lineBytes();
    }
    reader.value().reset();
    auto file = LineFileWriter::appendTo(partialPath, keep);
    if (!file.ok()) {
        w->m_done = true;
        return file.error();
    }
    w->m_file = std::move(file).value();
    return w;
}

Status SnapshotWriter::append(const QList<Entry> &entries)
{
    if (m_done)
        return Error(ErrorKind::Internal, QStringLiteral("the snapshot is already finished"), m_path);
    QByteArray block;
    for (const Entry &e : entries) {
        Result<QByteArray> line = entryLine(e, m_cipher.get());
        if (!line.ok())
            return line.error();
        m_hash.addData(line.value());
        block += line.value();
        ++m_count;
        // Bounded buffering: write out every few MiB.
        if (block.size() > 1024 * 1024) {
            if (Status s = m_file->write(block); !s.ok())
                return s;
            block.clear();
        }
    }
    return m_file->write(block);
}

Status SnapshotWriter::sync()
{
    return m_file->sync();
}

qint64 SnapshotWriter::bytes() const
{
    return m_file ? m_file->bytesOnDisk() : 0;
}

Result<SnapshotSummary> SnapshotWriter::commit()
{
    if (m_done)
        return Error(ErrorKind::Internal, QStringLiteral("the snapshot is already finished"), m_path);
    SnapshotSummary summary;
    summary.sha256 = QString::fromLatin1(m_hash.result().toHex());
    summary.entries = m_count;
    if (Status s = m_file->write(trailerLine({m_count, summary.sha256})); !s.ok())
        return s.error();
    if (Status s = m_file->finish(); !s.ok())
        return s.error();
    m_manifest.entries = m_count;
    if (Status s = m_file->rewriteFirstLine(manifestLine(m_manifest)); !s.ok())
        return s.error();
    if (Status s = m_file->sync(); !s.ok())
        return s.error();
    summary.bytes = m_file->bytesOnDisk();
    m_file->close();
    if (std::rename(QFile::encodeName(m_partial).constData(), QFile::encodeName(m_path).constData()) != 0) {
        const int err = errno;
        abandon();
        return Error(err == EACCES || err == EPERM ? ErrorKind::Forbidden : ErrorKind::Io,
                     QStringLiteral("cannot put the snapshot in place: %1").arg(QString::fromLocal8Bit(std::strerror(err))),
                     m_path);
    }
    syncDirectory(QFileInfo(m_path).absolutePath());
    m_done = true;
    summary.path = m_path;
    summary.encrypted = m_manifest.encryption.has_value();
    summary.manifest = m_manifest;
    return summary;
}

void SnapshotWriter::keepPartial()
{
    if (m_file)
        m_file->close();
    m_done = true;
}

void SnapshotWriter::abandon()
{
    if (m_file)
        m_file->close();
    if (!m_done && !m_partial.isEmpty())
        QFile::remove(m_partial);
    m_done = true;
}

} // namespace sd
