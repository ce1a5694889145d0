#pragma once

#include "model/IndexedOrderedMap.h"

#include <nlohmann/json.hpp>

#include <QByteArray>
#include <QString>

namespace sd {

// Key order is kept so an edit yields a minimal diff and files round-trip;
// members are found through an index, so a large object parses in linear time.
using Json = nlohmann::basic_json<IndexedOrderedMap>;

inline QString toQString(const std::string &s) { return QString::fromStdString(s); }
inline std::string toStd(const QString &s) { return s.toStdString(); }
inline QByteArray toBytes(const std::string &s) { return QByteArray(s.data(), qsizetype(s.size())); }
inline std::string toStd(const QByteArray &b) { return std::string(b.constData(), size_t(b.size())); }

// The deepest nesting of arrays and objects a value may have. Printing,
// copying and comparing a Json value recurse once per level, so a value
// nested 100,000 deep (which any client can write to a store) would overflow
// the stack of every reader; such text is refused where it is parsed.
constexpr int kMaxJsonDepth = 512;

// Offset of the bracket that opens level kMaxJsonDepth + 1 in JSON text, or
// -1 when the text nests no deeper than the limit. Strings are skipped.
qsizetype jsonTooDeepAt(const char *begin, const char *end);

// Json::parse with the depth limit: throws Json::parse_error (as a syntax
// error would) for text nested too deep.
Json parseJson(const char *begin, const char *end);
inline Json parseJson(const QByteArray &text) { return parseJson(text.constBegin(), text.constEnd()); }
inline Json parseJson(const std::string &text) { return parseJson(text.data(), text.data() + text.size()); }

// The same without exceptions: a discarded value (is_discarded()) for text
// that is not JSON or nests too deep.
Json parseJsonOrDiscarded(const char *begin, const char *end);
inline Json parseJsonOrDiscarded(const QByteArray &text)
{
    return parseJsonOrDiscarded(text.constBegin(), text.constEnd());
}
inline Json parseJsonOrDiscarded(const std::string &text)
{
    return parseJsonOrDiscarded(text.data(), text.data() + text.size());
}

} // namespace sd
