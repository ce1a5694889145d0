#pragma once

#include "model/Result.h"

#include <QByteArray>
#include <QString>

#include <chrono>
#include <memory>

class QLockFile;

namespace sd {

// Reads a whole file. A missing file is NotFound; other failures are Io and
// name the path and the system's reason.
Result<QByteArray> readWholeFile(const QString &path);

// Replaces `path` with `bytes` so that a reader, or a crash at any moment,
// sees the old file or the new one, never a mix: write a temporary file in
// the same directory, fsync it, rename it over the target, fsync the
// directory. The target's permissions are kept.
Status writeFileAtomically(const QString &path, const QByteArray &bytes);

// A lock held against other processes (and other threads) that write the same
// files. Built on QLockFile, so a lock left by a crashed process is taken over.
class CrossProcessLock {
public:
    explicit CrossProcessLock(const QString &lockFilePath);
    ~CrossProcessLock();
    CrossProcessLock(const CrossProcessLock &) = delete;
    CrossProcessLock &operator=(const CrossProcessLock &) = delete;

    // Busy (naming the holder's pid) if not acquired within `timeout`.
    Status acquire(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    void release();

private:
    QString m_path;
    std::unique_ptr<QLockFile> m_lock;
};

} // namespace sd
