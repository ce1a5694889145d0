#include "transfer/LineFile.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace sd {
namespace {

constexpr qsizetype kChunk = 256 * 1024;

Error ioError(const QString &what, const QString &path, int err = errno)
{
    const ErrorKind kind = (err == EACCES || err == EPERM || err == EROFS) ? ErrorKind::Forbidden
                           : err == ENOENT                                 ? ErrorKind::NotFound
                                                                           : ErrorKind::Io;
    return Error(kind, QStringLiteral("%1: %2").arg(what, QString::fromLocal8Bit(std::strerror(err))), path);
}

// One gzip member of stored blocks holding `line`: its size depends on the
// line's length only.
Result<QByteArray> storedMember(const QByteArray &line)
{
    z_stream z{};
    if (deflateInit2(&z, 0, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return Error(ErrorKind::Internal, QStringLiteral("zlib: deflateInit2 failed"));
    QByteArray out(qsizetype(deflateBound(&z, uLong(line.size()))) + 64, Qt::Uninitialized);
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(line.constData()));
    z.avail_in = uInt(line.size());
    z.next_out = reinterpret_cast<Bytef *>(out.data());
    z.avail_out = uInt(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(qsizetype(z.total_out));
    deflateEnd(&z);
    if (rc != Z_STREAM_END)
        return Error(ErrorKind::Internal, QStringLiteral("zlib: cannot compress the manifest line"));
    return out;
}

} // namespace

void syncDirectory(const QString &dir)
{
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

// ---- writer -----------------------------------------------------------------

struct LineFileWriter::Zip {
    z_stream z{};
    bool open = false;
    qint64 firstPieceSize = 0;
    QByteArray out = QByteArray(kChunk, Qt::Uninitialized);
    ~Zip()
    {
        if (open)
            deflateEnd(&z);
    }
};

LineFileWriter::~LineFileWriter()
{
    close();
}

Result<std::unique_ptr<LineFileWriter>> LineFileWriter::create(const QString &path, bool gzip,
                                                               const QByteArray &firstLine)
{
    std::unique_ptr<LineFileWriter> w(new LineFileWriter);
    w->m_path = path;
    // 0600: a snapshot holds the store's values, perhaps secrets.
    w->m_fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (w->m_fd < 0)
        return ioError(QStringLiteral("cannot create the file"), path);
    if (!gzip) {
        if (Status s = w->writeRaw(firstLine.constData(), firstLine.size()); !s.ok())
            return s.error();
        return w;
    }
    Result<QByteArray> member = storedMember(firstLine);
    if (!member.ok())
        return member.error();
    if (Status s = w->writeRaw(member->constData(), member->size()); !s.ok())
        return s.error();
    w->m_zip = std::make_unique<Zip>();
    w->m_zip->firstPieceSize = member->size();
    if (deflateInit2(&w->m_zip->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return Error(ErrorKind::Internal, QStringLiteral("zlib: deflateInit2 failed"), path);
    w->m_zip->open = true;
    return w;
}

Result<std::unique_ptr<LineFileWriter>> LineFileWriter::appendTo(const QString &path, qint64 keepBytes)
{
    std::unique_ptr<LineFileWriter> w(new LineFileWriter);
    w->m_path = path;
    w->m_fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CLOEXEC);
    if (w->m_fd < 0)
        return ioError(QStringLiteral("cannot open the file to continue it"), path);
    if (::ftruncate(w->m_fd, keepBytes) != 0 || ::lseek(w->m_fd, keepBytes, SEEK_SET) != keepBytes)
        return ioError(QStringLiteral("cannot cut the file's torn end"), path);
    w->m_onDisk = keepBytes;
    return w;
}

Status LineFileWriter::writeRaw(const char *data, qint64 size)
{
    while (size > 0) {
        const ssize_t n = ::write(m_fd, data, size_t(size));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ioError(QStringLiteral("cannot write"), m_path);
        }
        data += n;
        size -= n;
        m_onDisk += n;
    }
    return {};
}

Status LineFileWriter::deflateSome(const QByteArray &bytes, int flush)
{
    z_stream &z = m_zip->z;
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.constData()));
    z.avail_in = uInt(bytes.size());
    int rc = Z_OK;
    do {
        z.next_out = reinterpret_cast<Bytef *>(m_zip->out.data());
        z.avail_out = uInt(m_zip->out.size());
        rc = deflate(&z, flush);
        if (rc == Z_STREAM_ERROR)
            return Error(ErrorKind::Internal, QStringLiteral("zlib: deflate failed"), m_path);
        const qint64 produced = m_zip->out.size() - qint64(z.avail_out);
        if (Status s = writeRaw(m_zip->out.constData(), produced); !s.ok())
            return s;
    } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return {};
}

Status LineFileWriter::write(const QByteArray &bytes)
{
    if (m_zip)
        return deflateSome(bytes, Z_NO_FLUSH);
    return writeRaw(bytes.constData(), bytes.size());
}

Status LineFileWriter::sync()
{
    if (::fdatasync(m_fd) != 0)
        return ioError(QStringLiteral("cannot flush to disk"), m_path);
    return {};
}

Status LineFileWriter::finish()
{
    if (!m_zip || !m_zip->open)
        return {};
    Status s = deflateSome(QByteArray(), Z_FINISH);
    deflateEnd(&m_zip->z);
    m_zip->open = false;
    return s;
}

Status LineFileWriter::rewriteFirstLine(const QByteArray &firstLine)
{
    QByteArray piece = firstLine;
    if (m_zip) {
        Result<QByteArray> member = storedMember(firstLine);
        if (!member.ok())
            return member.error();
        piece = member.value();
        if (piece.size() != m_zip->firstPieceSize)
            return Error(ErrorKind::Internal, QStringLiteral("the manifest changed length"), m_path);
    }
    qint64 at = 0;
    while (at < piece.size()) {
        const ssize_t n = ::pwrite(m_fd, piece.constData() + at, size_t(piece.size() - at), off_t(at));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ioError(QStringLiteral("cannot rewrite the manifest"), m_path);
        }
        at += n;
    }
    return {};
}

void LineFileWriter::close()
{
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
}

qint64 LineFileWriter::bytesOnDisk() const
{
    return m_onDisk;
}

// ---- reader -----------------------------------------------------------------

struct LineFileReader::Unzip {
    z_stream z{};
    bool open = false;
    bool streamEnded = false; // the current member ended; another may follow
    QByteArray in = QByteArray(kChunk, Qt::Uninitialized);
    ~Unzip()
    {
        if (open)
            inflateEnd(&z);
    }
};

LineFileReader::~LineFileReader()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

Result<std::unique_ptr<LineFileReader>> LineFileReader::open(const QString &path)
{
    std::unique_ptr<LineFileReader> r(new LineFileReader);
    r->m_path = path;
    r->m_fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (r->m_fd < 0)
        return ioError(QStringLiteral("cannot open"), path);
    struct stat st {};
    if (::fstat(r->m_fd, &st) != 0)
        return ioError(QStringLiteral("cannot read"), path);
    if (S_ISDIR(st.st_mode))
        return Error(ErrorKind::Invalid, QStringLiteral("is a directory, not a snapshot file"), path);
    r->m_size = st.st_size;
    unsigned char magic[2] = {0, 0};
    const ssize_t n = ::pread(r->m_fd, magic, 2, 0);
    if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        r->m_unzip = std::make_unique<Unzip>();
        if (inflateInit2(&r->m_unzip->z, 15 + 16) != Z_OK)
            return Error(ErrorKind::Internal, QStringLiteral("zlib: inflateInit2 failed"), path);
        r->m_unzip->open = true;
    }
    return r;
}

bool LineFileReader::compressed() const
{
    return m_unzip != nullptr;
}

Result<bool> LineFileReader::fill()
{
    if (m_eof)
        return false;
    // Drop what was handed out, so the buffer stays about one chunk big.
    if (m_bufferPos > 0) {
        m_buffer.remove(0, m_bufferPos);
        m_bufferPos = 0;
    }
    const qsizetype before = m_buffer.size();
    if (!m_unzip) {
        m_buffer.resize(before + kChunk);
        ssize_t n;
        do {
            n = ::read(m_fd, m_buffer.data() + before, size_t(kChunk));
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            m_buffer.resize(before);
            return ioError(QStringLiteral("cannot read"), m_path);
        }
        m_buffer.resize(before + n);
        m_position += n;
        if (n == 0)
            m_eof = true;
        return n > 0;
    }
    z_stream &z = m_unzip->z;
    while (m_buffer.size() == before) {
        if (z.avail_in == 0) {
            ssize_t n;
            do {
                n = ::read(m_fd, m_unzip->in.data(), size_t(m_unzip->in.size()));
            } while (n < 0 && errno == EINTR);
            if (n < 0)
                return ioError(QStringLiteral("cannot read"), m_path);
            m_position += n;
            if (n == 0) {
                m_eof = true;
                if (!m_unzip->streamEnded)
                    return Error(ErrorKind::Invalid,
                                 QStringLiteral("the compressed data ends early: the file is truncated"), m_path);
                return false;
            }
            z.next_in = reinterpret_cast<Bytef *>(m_unzip->in.data());
            z.avail_in = uInt(n);
        }
        if (m_unzip->streamEnded) {
            // Another gzip member follows the one that ended.
            inflateReset(&z);
            m_unzip->streamEnded = false;
        }
        m_buffer.resize(before + kChunk);
        z.next_out = reinterpret_cast<Bytef *>(m_buffer.data() + before);
        z.avail_out = uInt(kChunk);
        const int rc = inflate(&z, Z_NO_FLUSH);
        m_buffer.resize(before + (kChunk - qsizetype(z.avail_out)));
        if (rc == Z_STREAM_END) {
            m_unzip->streamEnded = true;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            const QString why = z.msg ? QString::fromLatin1(z.msg) : QStringLiteral("error %1").arg(rc);
            return Error(ErrorKind::Invalid, QStringLiteral("the compressed data is corrupt (zlib: %1)").arg(why),
                         m_path);
        }
    }
    return true;
}

Result<bool> LineFileReader::readLine(QByteArray *line, bool *complete, qsizetype maxLine)
{
    qsizetype searchFrom = m_bufferPos;
    for (;;) {
        const qsizetype nl = m_buffer.indexOf('\n', searchFrom);
        if (nl >= 0) {
            if (nl - m_bufferPos > maxLine)
                break;
            *line = m_buffer.mid(m_bufferPos, nl - m_bufferPos);
            *complete = true;
            m_lineBytes += nl - m_bufferPos + 1;
            m_bufferPos = nl + 1;
            return true;
        }
        if (m_buffer.size() - m_bufferPos > maxLine)
            break;
        const qsizetype pending = m_buffer.size() - m_bufferPos;
        Result<bool> more = fill();
        if (!more.ok())
            return more.error();
        searchFrom = pending; // fill() moved what is pending to the front
        if (!more.value()) {
            if (m_buffer.size() == m_bufferPos)
                return false;
            *line = m_buffer.mid(m_bufferPos);
            *complete = false;
            m_lineBytes += line->size();
            m_bufferPos = m_buffer.size();
            return true;
        }
    }
    return Error(ErrorKind::Invalid,
                 QStringLiteral("a line is longer than %1 MiB: this is not a statedeck snapshot, or it is corrupt")
                     .arg(maxLine / (1024 * 1024)),
                 m_path);
}

} // namespace sd
