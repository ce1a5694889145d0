#pragma once

#include "transfer/SnapshotWriter.h"

#include <QCryptographicHash>

#include <atomic>
#include <functional>
#include <memory>

namespace sd {

class LineFileReader;

// Reads a snapshot line by line in constant memory and refuses anything that
// is not exactly what an export wrote: every error is Invalid (Unsupported
// for a newer format version, Unauthorized for a wrong passphrase) with
// `where` = "FILE:LINE", the line where it went wrong. Blocking: use it on a
// worker thread.
class SnapshotReader {
public:
    ~SnapshotReader();
    SnapshotReader(const SnapshotReader &) = delete;
    SnapshotReader &operator=(const SnapshotReader &) = delete;

    // Opens the file and reads the manifest.
    static Result<std::unique_ptr<SnapshotReader>> open(const QString &path);

    const SnapshotManifest &manifest() const { return m_manifest; }
    bool encrypted() const { return m_manifest.encryption.has_value(); }

    // For an encrypted snapshot: derives the key (slow: PBKDF2) and checks it
    // against the manifest. A wrong passphrase is Unauthorized.
    Result<std::shared_ptr<const SnapshotCipher>> unlock(const QByteArray &passphrase) const;
    // Uses a key unlocked before (the verify pass's, for the write pass).
    Status setCipher(std::shared_ptr<const SnapshotCipher> cipher);

    // The next entry, or nullopt once the trailer has been read and checked
    // (count, SHA-256, nothing after it).
    Result<std::optional<Entry>> next();

    int line() const { return m_line; }
    qint64 fileSize() const;
    qint64 position() const; // bytes of the file read so far
    // After next() returned nullopt: what the trailer vouched for.
    QString sha256() const { return m_sha; }
    qint64 entriesRead() const { return m_count; }

private:
    SnapshotReader() = default;
    QString where(int line) const;
    Error fail(ErrorKind kind, const QString &message, int line) const;

    QString m_path;
    std::unique_ptr<LineFileReader> m_file;
    SnapshotManifest m_manifest;
    std::shared_ptr<const SnapshotCipher> m_cipher;
    QCryptographicHash m_hash{QCryptographicHash::Sha256};
    int m_line = 1;
    qint64 m_count = 0;
    QString m_sha;
    bool m_ended = false;
};

// The first pass of an import: reads the whole file and checks everything
// (manifest, every line, every sealed value, trailer) without keeping
// anything. `progress(bytesRead, fileSize)` is called now and then;
// `cancelled` stops it with Cancelled.
Result<SnapshotSummary> verifySnapshot(const QString &path, std::shared_ptr<const SnapshotCipher> cipher,
                                       const std::function<void(qint64, qint64)> &progress = {},
                                       const std::atomic<bool> *cancelled = nullptr);

} // namespace sd
