#include "transfer/SnapshotReader.h"

#include "transfer/LineFile.h"
#include "snapshot/SnapshotCipher.h"

#include <QFileInfo>

namespace sd {

SnapshotReader::~SnapshotReader() = default;

QString SnapshotReader::where(int line) const
{
    return QStringLiteral("%1:%2").arg(m_path).arg(line);
}

Error SnapshotReader::fail(ErrorKind kind, const QString &message, int line) const
{
    return Error(kind, message, where(line));
}

Result<std::unique_ptr<SnapshotReader>> SnapshotReader::open(const QString &path)
{
    std::unique_ptr<SnapshotReader> r(new SnapshotReader);
    r->m_path = path;
    auto file = LineFileReader::open(path);
    if (!file.ok()) {
        Error e = file.error();
        if (e.kind == ErrorKind::NotFound)
            e.message = QStringLiteral("no such snapshot file");
        return e;
    }
    r->m_file = std::move(file).value();
    QByteArray line;
    bool complete = false;
    Result<bool> got = r->m_file->readLine(&line, &complete, kMaxSnapshotLine);
    if (!got.ok())
        return Error(got.error().kind, got.error().message, r->where(1));
    if (!got.value())
        return r->fail(ErrorKind::Invalid, QStringLiteral("the file is empty: not a statedeck snapshot"), 1);
    if (!complete)
        return r->fail(ErrorKind::Invalid,
                       QStringLiteral("line 1 is cut short (no line end): the snapshot is truncated"), 1);
    auto manifest = parseManifest(line, r->where(1));
    if (!manifest.ok())
        return manifest.error();
    r->m_manifest = manifest.value();
    return r;
}

Result<std::shared_ptr<const SnapshotCipher>> SnapshotReader::unlock(const QByteArray &passphrase) const
{
    if (!m_manifest.encryption)
        return fail(ErrorKind::Invalid, QStringLiteral("the snapshot is not encrypted"), 1);
    const SnapshotEncryption &enc = *m_manifest.encryption;
    auto cipher = SnapshotCipher::derive(passphrase, enc.salt, enc.iterations);
    if (!cipher.ok())
        return fail(cipher.error().kind, cipher.error().message, 1);
    if (!cipher.value()->passesCheck(enc.check, enc.salt))
        return fail(ErrorKind::Unauthorized,
                    QStringLiteral("wrong passphrase: it does not unlock this encrypted snapshot"), 1);
    return cipher;
}

Status SnapshotReader::setCipher(std::shared_ptr<const SnapshotCipher> cipher)
{
    if (!m_manifest.encryption)
        return {};
    if (!cipher || !cipher->passesCheck(m_manifest.encryption->check, m_manifest.encryption->salt))
        return fail(ErrorKind::Unauthorized,
                    QStringLiteral("wrong passphrase: it does not unlock this encrypted snapshot"), 1);
    m_cipher = std::move(cipher);
    return {};
}

qint64 SnapshotReader::fileSize() const
{
    return m_file->fileSize();
}

qint64 SnapshotReader::position() const
{
    return m_file->position();
}

Result<std::optional<Entry>> SnapshotReader::next()
{
    if (m_ended)
        return std::optional<Entry>();
    if (m_manifest.encryption && !m_cipher)
        return fail(ErrorKind::Unauthorized,
                    QStringLiteral("the snapshot is encrypted: give its passphrase (--passphrase-file or "
                                   "--passphrase-env, or type it at the prompt)"),
                    1);
    QByteArray line;
    bool complete = false;
    const int n = ++m_line;
    Result<bool> got = m_file->readLine(&line, &complete, kMaxSnapshotLine);
    if (!got.ok())
        return fail(got.error().kind, got.error().message + QStringLiteral(" (while reading this line)"), n);
    if (!got.value())
        return fail(ErrorKind::Invalid,
                    QStringLiteral("the snapshot is truncated: it ends after line %1 without its trailer").arg(n - 1),
                    n);
    if (!complete)
        return fail(ErrorKind::Invalid,
                    QStringLiteral("line %1 is cut short (no line end): the snapshot is truncated").arg(n), n);
    auto record = parseRecord(line, m_cipher.get(), where(n));
    if (!record.ok())
        return record.error();
    if (record->entry) {
        m_hash.addData(line);
        m_hash.addData(QByteArrayView("\n"));
        ++m_count;
        return std::optional<Entry>(std::move(*record->entry));
    }
    const SnapshotTrailer &t = *record->trailer;
    if (t.entries != m_count)
        return fail(ErrorKind::Invalid,
                    QStringLiteral("the trailer counts %1 entries but %2 precede it: lines are missing or were added")
                        .arg(t.entries)
                        .arg(m_count),
                    n);
    if (m_manifest.entries != m_count)
        return fail(ErrorKind::Invalid,
                    QStringLiteral("the manifest counts %1 entries but the file holds %2").arg(m_manifest.entries).arg(m_count),
                    n);
    const QString sha = QString::fromLatin1(m_hash.result().toHex());
    if (t.sha256 != sha)
        return fail(ErrorKind::Invalid,
                    QStringLiteral("checksum mismatch: the SHA-256 of the entry lines is %1, the trailer says %2; "
                                   "the snapshot was changed or corrupted after export")
                        .arg(sha, t.sha256),
                    n);
    got = m_file->readLine(&line, &complete, kMaxSnapshotLine);
    if (!got.ok())
        return fail(got.error().kind, got.error().message, n + 1);
    if (got.value())
        return fail(ErrorKind::Invalid, QStringLiteral("unexpected data after the trailer"), n + 1);
    m_sha = sha;
    m_ended = true;
    return std::optional<Entry>();
}

Result<SnapshotSummary> verifySnapshot(const QString &path, std::shared_ptr<const SnapshotCipher> cipher,
                                       const std::function<void(qint64, qint64)> &progress,
                                       const std::atomic<bool> *cancelled)
{
    auto reader = SnapshotReader::open(path);
    if (!reader.ok())
        return reader.error();
    SnapshotReader &r = *reader.value();
    if (Status s = r.setCipher(std::move(cipher)); !s.ok())
        return s.error();
    for (;;) {
        if (cancelled && cancelled->load())
            return Error(ErrorKind::Cancelled, QStringLiteral("cancelled"), path);
        auto next = r.next();
        if (!next.ok())
            return next.error();
        if (!next.value())
            break;
        if (progress && (r.entriesRead() & 255) == 0)
            progress(r.position(), r.fileSize());
    }
    if (progress)
        progress(r.fileSize(), r.fileSize());
    SnapshotSummary s;
    s.path = QFileInfo(path).absoluteFilePath();
    s.entries = r.entriesRead();
    s.sha256 = r.sha256();
    s.bytes = r.fileSize();
    s.encrypted = r.encrypted();
    s.manifest = r.manifest();
    return s;
}

} // namespace sd
