#include "util/StreamFraming.h"

namespace sd {

namespace {

// Drops the bytes before `from` once they are most of the buffer, so a long
// stream of small messages costs amortised O(1) per byte.
void compact(QByteArray &buf, qsizetype &from)
{
    if (from > 0 && from >= buf.size() / 2) {
        buf.remove(0, from);
        from = 0;
    }
}

} // namespace

bool LineFramer::append(const QByteArray &bytes)
{
    if (m_overflow)
        return false;
    compact(m_buf, m_pos);
    m_buf += bytes;
    return true;
}

std::optional<QByteArray> LineFramer::next()
{
    if (m_overflow)
        return std::nullopt;
    const qsizetype nl = m_buf.indexOf('\n', m_pos + m_scan);
    if (nl < 0) {
        m_scan = m_buf.size() - m_pos;
        if (m_scan > m_max) {
            m_overflow = true;
            m_buf.clear();
            m_pos = m_scan = 0;
        }
        return std::nullopt;
    }
    if (nl - m_pos > m_max) {
        m_overflow = true;
        m_buf.clear();
        m_pos = m_scan = 0;
        return std::nullopt;
    }
    QByteArray line = m_buf.mid(m_pos, nl - m_pos);
    m_pos = nl + 1;
    m_scan = 0;
    return line;
}

void LineFramer::clear()
{
    m_buf.clear();
    m_pos = m_scan = 0;
    m_overflow = false;
}

bool JsonObjectFramer::append(const QByteArray &bytes)
{
    if (m_overflow)
        return false;
    // Keep the object being read (or nothing, between objects).
    const qsizetype keep = m_start >= 0 ? m_start : m_pos;
    if (keep > 0 && keep >= m_buf.size() / 2) {
        m_buf.remove(0, keep);
        m_pos -= keep;
        if (m_start >= 0)
            m_start -= keep;
    }
    m_buf += bytes;
    return true;
}

std::optional<QByteArray> JsonObjectFramer::next()
{
    if (m_overflow)
        return std::nullopt;
    const qsizetype size = m_buf.size();
    const char *b = m_buf.constData();
    for (qsizetype i = m_pos; i < size; ++i) {
        const char c = b[i];
        if (m_inString) {
            if (m_escaped)
                m_escaped = false;
            else if (c == '\\')
                m_escaped = true;
            else if (c == '"')
                m_inString = false;
            continue;
        }
        if (m_depth == 0) {
            // Between objects only an object starts something; strings and
            // stray closing braces there are skipped.
            if (c == '{') {
                m_start = i;
                m_depth = 1;
            }
            continue;
        }
        if (c == '"') {
            m_inString = true;
        } else if (c == '{') {
            ++m_depth;
        } else if (c == '}' && --m_depth == 0) {
            if (i + 1 - m_start > m_max)
                break; // too large, even though complete
            QByteArray msg = m_buf.mid(m_start, i + 1 - m_start);
            m_start = -1;
            m_pos = i + 1;
            return msg;
        }
    }
    m_pos = size;
    if (m_start >= 0 && m_depth == 0) {
        overflow();
        return std::nullopt;
    }
    if (m_start < 0) {
        // Nothing worth keeping between objects.
        m_buf.clear();
        m_pos = 0;
    } else if (size - m_start > m_max) {
        overflow();
    }
    return std::nullopt;
}

void JsonObjectFramer::overflow()
{
    clear();
    m_overflow = true;
}

void JsonObjectFramer::clear()
{
    m_buf.clear();
    m_pos = 0;
    m_start = -1;
    m_depth = 0;
    m_inString = m_escaped = false;
    m_overflow = false;
}

} // namespace sd
