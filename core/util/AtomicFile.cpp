#include "util/AtomicFile.h"

#include <QDir>
#include <QFileInfo>
#include <QLockFile>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QThread>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sd {
namespace {

Error ioError(const QString &what, const QString &path, int err)
{
    const ErrorKind kind = (err == EACCES || err == EPERM || err == EROFS) ? ErrorKind::Forbidden : ErrorKind::Io;
    return Error(kind, QStringLiteral("%1: %2").arg(what, QString::fromLocal8Bit(std::strerror(err))), path);
}

bool writeAll(int fd, const char *data, qsizetype size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size_t(size));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += n;
        size -= n;
    }
    return true;
}

// QLockFile creates its lock file and then writes its pid into it. A writer
// killed between the two leaves an empty file that QLockFile only calls
// stale after 30 s (it cannot tell whose it is), and CrossProcessLock gives
// up after 10. Such debris is recognised as: empty, older than 2 s (a live
// creator writes its pid within microseconds), and not flock()ed by anyone
// (QLockFile holders keep an flock on it for as long as they live). It is
// removed the way QLockFile removes stale locks: under that flock, and only
// if the path still names the same, still empty file.
bool clearAbandonedLockFile(const QString &lockPath)
{
    const QByteArray native = QFile::encodeName(lockPath);
    struct stat st {};
    if (::stat(native.constData(), &st) != 0 || st.st_size != 0 || ::time(nullptr) - st.st_mtime < 2)
        return false;
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool removed = false;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
        struct stat held {}, now {};
        if (::fstat(fd, &held) == 0 && ::stat(native.constData(), &now) == 0 && held.st_dev == now.st_dev
            && held.st_ino == now.st_ino && now.st_size == 0)
            removed = ::unlink(native.constData()) == 0;
    }
    ::close(fd);
    return removed;
}

} // namespace

Result<QByteArray> readWholeFile(const QString &path)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return Error(ErrorKind::NotFound, QStringLiteral("no such file"), path);
        return ioError(QStringLiteral("cannot read"), path, errno);
    }
    QByteArray bytes;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            ::close(fd);
            return ioError(QStringLiteral("cannot read"), path, err);
        }
        if (n == 0)
            break;
        bytes.append(buf, n);
    }
    ::close(fd);
    return bytes;
}

Status writeFileAtomically(const QString &path, const QByteArray &bytes)
{
    const QFileInfo info(path);
    const QString dir = info.absolutePath();
    const QString temp = dir + QStringLiteral("/.") + info.fileName() + QStringLiteral(".tmp-")
                         + QString::number(::getpid()) + QLatin1Char('-')
                         + QString::number(QRandomGenerator::global()->generate(), 36);
    const QByteArray nativeTemp = QFile::encodeName(temp);
    const QByteArray nativePath = QFile::encodeName(path);

    mode_t mode = 0666;
    struct stat st {};
    if (::stat(nativePath.constData(), &st) == 0)
        mode = st.st_mode & 07777;

    const int fd = ::open(nativeTemp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return ioError(QStringLiteral("cannot write in directory"), dir, errno);
    // open() applies the umask; an existing file's mode is restored exactly.
    if (st.st_mode != 0)
        (void)::fchmod(fd, mode);

    if (!writeAll(fd, bytes.constData(), bytes.size()) || ::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(nativeTemp.constData());
        return ioError(QStringLiteral("cannot write"), path, err);
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(nativeTemp.constData());
        return ioError(QStringLiteral("cannot write"), path, err);
    }
    if (::rename(nativeTemp.constData(), nativePath.constData()) != 0) {
        const int err = errno;
        ::unlink(nativeTemp.constData());
        return ioError(QStringLiteral("cannot replace"), path, err);
    }
    // Make the rename itself durable.
    const int dfd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

CrossProcessLock::CrossProcessLock(const QString &lockFilePath)
    : m_path(lockFilePath), m_lock(std::make_unique<QLockFile>(lockFilePath))
{
}

CrossProcessLock::~CrossProcessLock()
{
    release();
}

Status CrossProcessLock::acquire(std::chrono::milliseconds timeout)
{
    if (m_lock->isLocked())
        return {};
    // QLockFile's own wait sleeps 100 ms, then 200, 400...; statedeck holds
    // these locks for one small read-check-write, so short randomised
    // retries keep concurrent writers moving.
    QElapsedTimer waited;
    waited.start();
    for (int delayUs = 200;; delayUs = std::min(delayUs * 2, 20000)) {
        if (m_lock->tryLock(0))
            return {};
        if (m_lock->error() != QLockFile::LockFailedError || waited.elapsed() >= timeout.count())
            break;
        if (clearAbandonedLockFile(m_path))
            continue;
        QThread::usleep(ulong(delayUs + QRandomGenerator::global()->bounded(delayUs)));
    }
    switch (m_lock->error()) {
    case QLockFile::LockFailedError: {
        qint64 pid = 0;
        QString host, app;
        m_lock->getLockInfo(&pid, &host, &app);
        return Error(ErrorKind::Busy,
                     QStringLiteral("another writer (pid %1 on %2) holds the lock; try again, or remove the lock "
                                    "file if that process is gone")
                         .arg(pid)
                         .arg(host.isEmpty() ? QStringLiteral("this host") : host),
                     m_path);
    }
    case QLockFile::PermissionError:
        return Error(ErrorKind::Forbidden, QStringLiteral("cannot create the lock file: permission denied"), m_path);
    default:
        return Error(ErrorKind::Io, QStringLiteral("cannot create the lock file"), m_path);
    }
}

void CrossProcessLock::release()
{
    if (m_lock && m_lock->isLocked())
        m_lock->unlock();
}

} // namespace sd
