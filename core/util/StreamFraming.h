#pragma once

#include <QByteArray>
#include <optional>

namespace sd {

// Watch streams arrive in chunks that cut messages anywhere. These framers
// collect the chunks and hand out whole messages, in memory bounded by
// `maxMessage` (a server that never ends a message must not make the client
// grow without limit) and in time linear in the bytes received (a message
// sent one byte at a time is not rescanned from its start on every chunk).

// Newline-delimited messages (the Kubernetes watch stream: one JSON event a line).
class LineFramer {
public:
    explicit LineFramer(qsizetype maxMessage) : m_max(maxMessage) {}

    // Adds received bytes. False once a message has grown past maxMessage:
    // the stream is unusable and should be dropped (overflowed() stays true
    // until clear()).
    bool append(const QByteArray &bytes);
    // The next complete line without its '\n' (a '\r' before it is kept), or
    // nullopt when none is complete yet.
    std::optional<QByteArray> next();
    bool overflowed() const { return m_overflow; }
    void clear();

private:
    QByteArray m_buf;
    qsizetype m_pos = 0;  // start of the first line not handed out
    qsizetype m_scan = 0; // bytes from m_pos already known to hold no '\n'
    qsizetype m_max;
    bool m_overflow = false;
};

// JSON objects one after another, with anything (whitespace, commas) between
// them (the etcd gateway's watch stream). Objects are split at depth 0,
// skipping braces inside strings; they are not validated here.
class JsonObjectFramer {
public:
    explicit JsonObjectFramer(qsizetype maxMessage) : m_max(maxMessage) {}

    bool append(const QByteArray &bytes);
    // The next complete top-level object, or nullopt.
    std::optional<QByteArray> next();
    bool overflowed() const { return m_overflow; }
    void clear();

private:
    void overflow();

    QByteArray m_buf;
    qsizetype m_pos = 0;    // where scanning resumes
    qsizetype m_start = -1; // the '{' of the object being read, -1: between objects
    qint64 m_depth = 0;
    bool m_inString = false;
    bool m_escaped = false;
    qsizetype m_max;
    bool m_overflow = false;
};

} // namespace sd
