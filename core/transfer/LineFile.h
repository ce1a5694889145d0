#pragma once

#include "model/Result.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace sd {

// The byte layer of a snapshot file: plain text, or gzip (zlib with gzip
// framing, readable by `gzip -d`). Blocking; used on a worker thread.
//
// The first line (the manifest) is kept in its own piece: in a plain file,
// simply the first line; in a gzip file, its own gzip member of stored
// (uncompressed) blocks, whose size depends only on the line's length. So
// the manifest can be rewritten in place once the entry count is known, as
// long as the new line has the same length (SnapshotFormat pads the count).
// gzip readers concatenate members, so the file is one ordinary stream.
class LineFileWriter {
public:
    ~LineFileWriter();
    LineFileWriter(const LineFileWriter &) = delete;
    LineFileWriter &operator=(const LineFileWriter &) = delete;

    // Creates `path` (it must not exist) and writes `firstLine` (with its
    // '\n').
    static Result<std::unique_ptr<LineFileWriter>> create(const QString &path, bool gzip, const QByteArray &firstLine);
    // Opens an existing plain file to append after its first `keepBytes`
    // bytes (what is beyond is cut off: a torn last line).
    static Result<std::unique_ptr<LineFileWriter>> appendTo(const QString &path, qint64 keepBytes);

    Status write(const QByteArray &bytes);
    // Everything written so far reaches the disk (fdatasync).
    Status sync();
    // Ends the compressed stream, if any.
    Status finish();
    // Replaces the first line by one of exactly the same length.
    Status rewriteFirstLine(const QByteArray &firstLine);
    void close();

    qint64 bytesOnDisk() const;
    QString path() const { return m_path; }

private:
    LineFileWriter() = default;
    Status writeRaw(const char *data, qint64 size);
    Status deflateSome(const QByteArray &bytes, int flush);

    struct Zip;
    QString m_path;
    int m_fd = -1;
    std::unique_ptr<Zip> m_zip;
    qint64 m_onDisk = 0;
};

// Reads lines back from a file LineFileWriter wrote (or any text or gzip
// file: gzip is recognised by its magic bytes, not the name; concatenated
// gzip members are read as one stream).
class LineFileReader {
public:
    ~LineFileReader();
    LineFileReader(const LineFileReader &) = delete;
    LineFileReader &operator=(const LineFileReader &) = delete;

    static Result<std::unique_ptr<LineFileReader>> open(const QString &path);

    // The next line without its '\n'. Returns false at the end of the data.
    // `complete` says whether the line ended with '\n' (a last line without
    // one means the file was cut short). Lines longer than `maxLine` bytes
    // are an error (a corrupted file must not exhaust memory). Errors are
    // Invalid (corrupt or truncated compressed data) or Io.
    Result<bool> readLine(QByteArray *line, bool *complete, qsizetype maxLine);

    bool compressed() const;
    qint64 fileSize() const { return m_size; }
    // How far into the file (compressed bytes) reading has got.
    qint64 position() const { return m_position; }
    // Uncompressed bytes handed out as lines so far, newlines included.
    qint64 lineBytes() const { return m_lineBytes; }

private:
    LineFileReader() = default;
    Result<bool> fill(); // more decoded bytes into m_buffer; false at the end

    struct Unzip;
    QString m_path;
    int m_fd = -1;
    std::unique_ptr<Unzip> m_unzip;
    QByteArray m_buffer;
    qsizetype m_bufferPos = 0;
    qint64 m_size = 0;
    qint64 m_position = 0;
    qint64 m_lineBytes = 0;
    bool m_eof = false;
};

// fsync of a directory, so a rename in it survives a power cut.
void syncDirectory(const QString &dir);

} // namespace sd
