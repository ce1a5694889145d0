#pragma once

#include "snapshot/SnapshotFormat.h"

#include <QCryptographicHash>

#include <functional>
#include <memory>

namespace sd {

class LineFileWriter;

// What a finished snapshot holds.
struct SnapshotSummary {
    QString path;
    qint64 entries = 0;
    QString sha256; // hex, over the entry lines
    qint64 bytes = 0; // on disk
    bool encrypted = false;
    SnapshotManifest manifest;
};

// Writes one snapshot. Blocking: it lives on a worker thread (Exporter and
// BackupWriter run it on a SerialWorker).
//
// Nothing appears at `path` until commit(): the lines go to a hidden
// temporary file beside it, which commit() syncs and renames over `path`
// (atomic on one file system), and which abandon() or the destructor
// removes. A kill -9 can leave that temporary file (".NAME.*.partial"),
// never a truncated snapshot at `path`.
class SnapshotWriter {
public:
    ~SnapshotWriter();
    SnapshotWriter(const SnapshotWriter &) = delete;
    SnapshotWriter &operator=(const SnapshotWriter &) = delete;

    // gzip when `path` ends in ".gz". `cipher` seals every value (the
    // manifest must then carry the encryption block it was derived for).
    // `partialPath` empty: a fresh hidden name beside `path`.
    static Result<std::unique_ptr<SnapshotWriter>> create(const QString &path, SnapshotManifest manifest,
                                                          std::shared_ptr<const SnapshotCipher> cipher,
                                                          const QString &partialPath = QString());

    // Continues a partial file an interrupted run left (plain files only:
    // backups). Its lines are read back and checked, the hash and count
    // recomputed, and a torn last line (or a trailer not yet renamed) cut
    // off. NotFound when there is no such file. `onEntry` sees every entry
    // kept, with its index (0 for the first).
    static Result<std::unique_ptr<SnapshotWriter>> resume(
        const QString &path, const QString &partialPath, std::shared_ptr<const SnapshotCipher> cipher,
        const std::function<void(qint64 index, const Entry &entry)> &onEntry = {});

    Status append(const QList<Entry> &entries);
    // Makes everything appended so far durable (fdatasync): a backup is
    // synced before the values it holds are overwritten.
    Status sync();
    Result<SnapshotSummary> commit();
    void abandon();
    // Closes the file and leaves the partial file where it is (a backup an
    // interrupted migration continues later).
    void keepPartial();

    qint64 entries() const { return m_count; }
    qint64 bytes() const;
    QString path() const { return m_path; }
    QString partialPath() const { return m_partial; }

private:
    SnapshotWriter() = default;

    QString m_path;
    QString m_partial;
    SnapshotManifest m_manifest;
    std::shared_ptr<const SnapshotCipher> m_cipher;
    std::unique_ptr<LineFileWriter> m_file;
    QCryptographicHash m_hash{QCryptographicHash::Sha256};
    qint64 m_count = 0;
    bool m_done = false;
};

} // namespace sd
