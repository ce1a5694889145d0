#include "providers/local/JsonMembers.h"

namespace sd::local {
namespace {

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

qsizetype skipSpace(const QByteArray &t, qsizetype i)
{
    while (i < t.size() && isSpace(t.at(i)))
        ++i;
    return i;
}

// `i` at an opening quote; returns one past the closing quote, or -1.
qsizetype skipString(const QByteArray &t, qsizetype i)
{
    for (++i; i < t.size(); ++i) {
        const char c = t.at(i);
        if (c == '\\')
            ++i;
        else if (c == '"')
            return i + 1;
    }
    return -1;
}

// `i` at the first byte of a value; returns one past its last byte, or -1.
qsizetype skipValue(const QByteArray &t, qsizetype i)
{
    if (i >= t.size())
        return -1;
    const char first = t.at(i);
    if (first == '"')
        return skipString(t, i);
    if (first == '{' || first == '[') {
        int depth = 0;
        while (i < t.size()) {
            const char c = t.at(i);
            if (c == '"') {
                i = skipString(t, i);
                if (i < 0)
                    return -1;
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            ++i;
        }
        return -1;
    }
    // A number or a literal runs to the next delimiter.
    while (i < t.size() && !isSpace(t.at(i)) && t.at(i) != ',' && t.at(i) != '}' && t.at(i) != ']')
        ++i;
    return i;
}

QByteArray lineIndent(const QByteArray &t, qsizetype at)
{
    qsizetype start = at;
    while (start > 0 && t.at(start - 1) != '\n')
        --start;
    qsizetype end = start;
    while (end < at && (t.at(end) == ' ' || t.at(end) == '\t'))
        ++end;
    return t.mid(start, end - start);
}

} // namespace

const MemberSpan *ObjectText::find(const QString &key) const
{
    for (auto it = members.crbegin(); it != members.crend(); ++it) {
        if (it->key == key)
            return &*it;
    }
    return nullptr;
}

std::optional<ObjectText> scanObjectText(const QByteArray &t)
{
    ObjectText out;
    qsizetype i = 0;
    if (t.startsWith("\xEF\xBB\xBF"))
        i = 3;
    i = skipSpace(t, i);
    if (i >= t.size() || t.at(i) != '{')
        return std::nullopt;
    out.open = i++;
    for (;;) {
        i = skipSpace(t, i);
        if (i >= t.size())
            return std::nullopt;
        if (t.at(i) == '}' && out.members.isEmpty()) {
            out.close = i;
            break;
        }
        if (t.at(i) != '"')
            return std::nullopt;
        MemberSpan m;
        m.keyStart = i;
        const qsizetype keyEnd = skipString(t, i);
        if (keyEnd < 0)
            return std::nullopt;
        try {
            // Let the JSON library undo escapes in the name.
            m.key = toQString(parseJson(t.constData() + m.keyStart, t.constData() + keyEnd).get<std::string>());
        } catch (const Json::exception &) {
            return std::nullopt;
        }
        i = skipSpace(t, keyEnd);
        if (i >= t.size() || t.at(i) != ':')
            return std::nullopt;
        m.valueStart = skipSpace(t, i + 1);
        m.valueEnd = skipValue(t, m.valueStart);
        if (m.valueEnd < 0)
            return std::nullopt;
        out.members << m;
        i = skipSpace(t, m.valueEnd);
        if (i >= t.size())
            return std::nullopt;
        if (t.at(i) == ',') {
            ++i;
            continue;
        }
        if (t.at(i) != '}')
            return std::nullopt;
        out.close = i;
        break;
    }
    out.multiline = t.mid(out.open, out.close - out.open).contains('\n');
    return out;
}

QByteArray memberValueText(const QByteArray &text, const ObjectText &object, const MemberSpan &span,
                           const Json &value)
{
    if (!object.multiline)
        return toBytes(value.dump(-1, ' ', false, Json::error_handler_t::replace));
    QByteArray pretty = toBytes(value.dump(2, ' ', false, Json::error_handler_t::replace));
    const QByteArray indent = lineIndent(text, span.keyStart);
    if (!indent.isEmpty()) {
        QByteArray newline("\n");
        newline += indent;
        pretty.replace(QByteArray("\n"), newline);
    }
    return pretty;
}

QByteArray replaceMemberText(const QByteArray &text, const MemberSpan &span, const QByteArray &valueText)
{
    QByteArray out = text;
    out.replace(span.valueStart, span.valueEnd - span.valueStart, valueText);
    return out;
}

QByteArray removeMemberText(const QByteArray &text, const ObjectText &object, const MemberSpan &span)
{
    const auto &ms = object.members;
    qsizetype index = -1;
    for (qsizetype i = 0; i < ms.size(); ++i) {
        if (ms[i].keyStart == span.keyStart)
            index = i;
    }
    QByteArray out = text;
    if (index < 0)
        return out;
    if (ms.size() == 1)
        out.remove(object.open + 1, object.close - object.open - 1); // "{}" as JSON.stringify writes it
    else if (index + 1 < ms.size())
        out.remove(ms[index].keyStart, ms[index + 1].keyStart - ms[index].keyStart);
    else
        out.remove(ms[index - 1].valueEnd, ms[index].valueEnd - ms[index - 1].valueEnd);
    return out;
}

} // namespace sd::local
