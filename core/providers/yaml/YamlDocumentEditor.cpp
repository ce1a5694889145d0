#include "providers/yaml/YamlDocumentEditor.h"

#include "util/YamlJson.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <set>
#include <unordered_set>
#include <vector>

namespace sd {
namespace {

constexpr size_t npos = std::string::npos;
const std::string kBom = "\xEF\xBB\xBF";

// One node of the document with the places of its text. Built from yaml-cpp's
// nodes: their marks give where a node starts; where it ends is found by
// scanning the text (yaml-cpp does not record ends).
struct TNode {
    enum class Kind { Empty, Scalar, BlockMap, BlockSeq, Flow };
    Kind kind = Kind::Empty;
    size_t start = 0;
    size_t end = npos; // npos: unknown, so nothing may be placed after it
    char quote = 0;    // scalars: '"', '\'', '|', '>' or 0 for plain
    int col = 0;       // block collections: the column of their keys or dashes
    // Anchored, tagged or aliased: may be replaced whole, never edited inside,
    // since the text does not show everything the value means.
    bool opaque = false;
    bool duplicateKeys = false;
    size_t duplicateAt = 0;   // where the key appears the second time
    std::string duplicateKey;
    const Json *json = nullptr;

    struct Pair {
        std::string key;
        size_t keyStart = 0;
        size_t colon = 0;
        int col = 0;
        bool sharesDashLine = false; // the first key of a "- key: value" item
        std::unique_ptr<TNode> value;
    };
    struct Item {
        size_t dash = 0;
        std::unique_ptr<TNode> value;
    };
    std::vector<Pair> pairs;
    std::vector<Item> items;

    const TNode *pairValue(const std::string &key) const
    {
        for (const Pair &p : pairs)
            if (p.key == key)
                return p.value.get();
        return nullptr;
    }
};

bool isBlank(char c) { return c == ' ' || c == '\t'; }

// Text helpers over the document bytes.
struct Text {
    const std::string &s;
    std::string nl = "\n";

    explicit Text(const std::string &text) : s(text)
    {
        const size_t i = s.find('\n');
        if (i != npos && i > 0 && s[i - 1] == '\r')
            nl = "\r\n";
    }

    size_t lineStart(size_t p) const
    {
        p = std::min(p, s.size());
        if (p == 0)
            return 0;
        const size_t i = s.rfind('\n', p - 1);
        return i == npos ? 0 : i + 1;
    }
    // Where the line holding `p` ends: its '\r' or '\n', or the end of text.
    size_t lineEnd(size_t p) const
    {
        size_t i = s.find('\n', std::min(p, s.size()));
        if (i == npos)
            return s.size();
        if (i > p && s[i - 1] == '\r')
            --i;
        return i;
    }
    size_t nextLineStart(size_t p) const
    {
        const size_t i = s.find('\n', std::min(p, s.size()));
        return i == npos ? s.size() : i + 1;
    }
    // The line break before the line that starts at `ls` (npos on line 1).
    size_t breakBefore(size_t ls) const
    {
        if (ls == 0)
            return npos;
        if (ls >= 2 && s[ls - 2] == '\r')
            return ls - 2;
        return ls - 1;
    }
    int column(size_t p) const { return int(p - lineStart(p)); }
    int indentAt(size_t ls) const
    {
        int n = 0;
        while (ls + n < s.size() && s[ls + n] == ' ')
            ++n;
        return n;
    }
    bool lineIsBlank(size_t ls) const
    {
        for (size_t i = ls; i < s.size() && s[i] != '\n'; ++i)
            if (!isBlank(s[i]) && s[i] != '\r')
                return false;
        return true;
    }
    size_t skipBlanks(size_t p) const
    {
        while (p < s.size() && isBlank(s[p]))
            ++p;
        return p;
    }
    bool atLineEndOrComment(size_t p) const
    {
        p = skipBlanks(p);
        return p >= s.size() || s[p] == '\n' || s[p] == '\r' || s[p] == '#';
    }
    // The comment ("# ...") that ends the line after `p`, or empty.
    std::string trailingComment(size_t p) const
    {
        const size_t q = skipBlanks(p);
        const size_t e = lineEnd(p);
        if (q < e && s[q] == '#')
            return s.substr(q, e - q);
        return {};
    }

    // After a quoted scalar that starts at `p`, or npos if unterminated.
    size_t scanQuoted(size_t p) const
    {
        const char q = s[p];
        size_t i = p + 1;
        while (i < s.size()) {
            const char c = s[i];
            if (q == '"' && c == '\\') {
                i += 2;
                continue;
            }
            if (c == q) {
                if (q == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            ++i;
        }
        return npos;
    }

    // The end of a plain scalar's text on one line: before " #" or the line
    // break, trailing blanks dropped.
    size_t plainLineEnd(size_t p) const
    {
        size_t i = p;
        while (i < s.size() && s[i] != '\n' && s[i] != '\r') {
            if (s[i] == '#' && i > p && isBlank(s[i - 1]))
                break;
            ++i;
        }
        while (i > p && isBlank(s[i - 1]))
            --i;
        return i;
    }

    // A plain scalar in block context continues on following lines indented
    // more than its parent (blank lines between are part of it).
    size_t scanPlain(size_t p, int parentIndent) const
    {
        size_t end = plainLineEnd(p);
        size_t ls = nextLineStart(end);
        while (ls < s.size() && end < s.size()) {
            if (lineIsBlank(ls)) {
                ls = nextLineStart(ls);
                continue;
            }
            const int ind = indentAt(ls);
            const size_t first = ls + ind;
            if (ind <= parentIndent || s[first] == '#' || s[first] == '\t')
                break;
            end = plainLineEnd(first);
            ls = nextLineStart(end);
        }
        return end;
    }

    // A block scalar ("|" or ">"): its header line, then every line that is
    // blank or indented more than the parent. Ends after the last text line.
    size_t scanBlockScalar(size_t p, int parentIndent) const
    {
        size_t end = lineEnd(p);
        while (end > p && isBlank(s[end - 1]))
            --end;
        size_t ls = nextLineStart(p);
        while (ls < s.size()) {
            if (lineIsBlank(ls)) {
                ls = nextLineStart(ls);
                continue;
            }
            if (indentAt(ls) <= parentIndent)
                break;
            end = lineEnd(ls);
            ls = nextLineStart(ls);
        }
        return end;
    }

    // After the bracket that closes the flow collection opening at `p`.
    size_t scanFlow(size_t p) const
    {
        int depth = 0;
        size_t i = p;
        auto quoteStarts = [&](size_t at) {
            size_t j = at;
            while (j > p && (isBlank(s[j - 1]) || s[j - 1] == '\n' || s[j - 1] == '\r'))
                --j;
            return j == p || std::string("[{,:").find(s[j - 1]) != npos;
        };
        while (i < s.size()) {
            const char c = s[i];
            if ((c == '"' || c == '\'') && quoteStarts(i)) {
                i = scanQuoted(i);
                if (i == npos)
                    return npos;
                continue;
            }
            if (c == '#' && i > 0 && (isBlank(s[i - 1]) || s[i - 1] == '\n')) {
                i = s.find('\n', i);
                if (i == npos)
                    return npos;
                continue;
            }
            if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return i + 1;
            }
            ++i;
        }
        return npos;
    }

    // A map key's text ends before its ':' (a plain key cannot hold ": ").
    size_t scanKey(size_t p) const
    {
        if (s[p] == '"' || s[p] == '\'')
            return scanQuoted(p);
        size_t i = p;
        while (i < s.size() && s[i] != '\n' && s[i] != '\r') {
            if (s[i] == ':' && (i + 1 >= s.size() || isBlank(s[i + 1]) || s[i + 1] == '\n' || s[i + 1] == '\r'))
                break;
            ++i;
        }
        while (i > p && isBlank(s[i - 1]))
            --i;
        return i;
    }
};

// Builds the TNode tree from yaml-cpp's nodes and the JSON of the document.
class Builder {
public:
    explicit Builder(const Text &text) : t(text) {}

    std::unique_ptr<TNode> build(const YAML::Node &node, const Json *json, int parentIndent, size_t slotMin)
    {
        auto n = std::make_unique<TNode>();
        n->json = json;
        const auto &s = t.s;

        if (node.IsNull()) {
            if (t.atLineEndOrComment(slotMin) && node.Mark().pos >= 0) {
                // "key:" and on a line below, indented, "null" or "~": a
                // null written as text, not an empty value. Taken for empty,
                // its text was left behind whatever was placed after the key
                // (a new key of the map landed between the two lines).
                const size_t m = size_t(node.Mark().pos);
                const size_t len = nullTokenAt(m);
                if (m > slotMin && len > 0 && t.column(m) > parentIndent) {
                    n->kind = TNode::Kind::Scalar;
                    n->start = m;
                    n->end = m + len;
                    return n;
                }
            }
            if (t.atLineEndOrComment(slotMin) || node.Mark().pos < 0) {
                n->kind = TNode::Kind::Empty;
                n->start = n->end = slotMin;
                return n;
            }
        }
        const int markPos = node.Mark().pos;
        size_t p = markPos < 0 ? t.skipBlanks(slotMin) : size_t(markPos);
        if (node.IsNull() || p < slotMin) {
            // A null written as text, or an alias whose mark is its anchor's.
            p = t.skipBlanks(slotMin);
            if (p < s.size() && s[p] == '*')
                n->opaque = true;
            n->kind = TNode::Kind::Scalar;
            n->start = p;
            n->end = t.plainLineEnd(p);
            if (n->opaque) {
                size_t e = p;
                while (e < s.size() && !isBlank(s[e]) && s[e] != '\n' && s[e] != '\r')
                    ++e;
                n->end = e;
            }
            return n;
        }
        if (p >= s.size())
            return unknown(std::move(n), p);
        // Properties (anchor, tag) before the content.
        size_t content = p;
        while (content < s.size() && (s[content] == '&' || s[content] == '!')) {
            n->opaque = true;
            while (content < s.size() && !isBlank(s[content]) && s[content] != '\n' && s[content] != '\r')
                ++content;
            content = t.skipBlanks(content);
        }
        n->start = p;

        switch (node.Type()) {
        case YAML::NodeType::Scalar: {
            n->kind = TNode::Kind::Scalar;
            if (content >= s.size() || s[content] == '\n' || s[content] == '\r')
                return unknown(std::move(n), p);
            const char c = s[content];
            n->start = content;
            if (c == '"' || c == '\'') {
                n->quote = c;
                n->end = t.scanQuoted(content);
            } else if (c == '|' || c == '>') {
                n->quote = c;
                n->end = t.scanBlockScalar(content, parentIndent);
            } else {
                n->end = t.scanPlain(content, parentIndent);
            }
            return n;
        }
        case YAML::NodeType::Map:
        case YAML::NodeType::Sequence:
            if (node.Style() == YAML::EmitterStyle::Flow) {
                n->kind = TNode::Kind::Flow;
                if (content >= s.size() || (s[content] != '{' && s[content] != '['))
                    return unknown(std::move(n), p);
                n->start = content;
                n->end = t.scanFlow(content);
                return n;
            }
            return node.IsMap() ? buildMap(std::move(n), node) : buildSeq(std::move(n), node);
        default:
            return unknown(std::move(n), p);
        }
    }

    bool keysUnderstood = true;

private:
    // The length of the null spelled at `p` ("null", "Null", "NULL", "~")
    // when nothing but blanks or a comment follows it on its line, else 0.
    size_t nullTokenAt(size_t p) const
    {
        const auto &s = t.s;
        if (p >= s.size())
            return 0;
        for (const char *word : {"null", "Null", "NULL", "~"}) {
            const size_t len = std::char_traits<char>::length(word);
            if (s.compare(p, len, word) == 0 && t.atLineEndOrComment(p + len))
                return len;
        }
        return 0;
    }

    std::unique_ptr<TNode> unknown(std::unique_ptr<TNode> n, size_t p)
    {
        n->kind = TNode::Kind::Scalar;
        n->opaque = true;
        n->start = p;
        n->end = npos;
        return n;
    }

    std::unique_ptr<TNode> buildMap(std::unique_ptr<TNode> n, const YAML::Node &node)
    {
        const auto &s = t.s;
        n->kind = TNode::Kind::BlockMap;
        std::set<std::string> seen;
        bool first = true;
        for (const auto &kv : node) {
            TNode::Pair pair;
            const int kpos = kv.first.Mark().pos;
            if (!kv.first.IsScalar() || kpos < 0 || size_t(kpos) >= s.size() || s[size_t(kpos)] == '?'
                || s[size_t(kpos)] == '&' || s[size_t(kpos)] == '!' || s[size_t(kpos)] == '*') {
                // Complex or decorated keys: the map can be read, not edited.
                n->opaque = true;
                n->end = npos;
                return n;
            }
            pair.key = kv.first.Scalar();
            pair.keyStart = size_t(kpos);
            pair.col = t.column(pair.keyStart);
            const size_t keyEnd = t.scanKey(pair.keyStart);
            const size_t colon = keyEnd == npos ? npos : t.skipBlanks(keyEnd);
            if (colon == npos || colon >= s.size() || s[colon] != ':') {
                n->opaque = true;
                n->end = npos;
                return n;
            }
            pair.colon = colon;
            const size_t ls = t.lineStart(pair.keyStart);
            pair.sharesDashLine = t.skipBlanks(ls) != pair.keyStart && s[t.skipBlanks(ls)] != '\t';
            if (!seen.insert(pair.key).second && !n->duplicateKeys) {
                n->duplicateKeys = true;
                n->duplicateAt = pair.keyStart;
                n->duplicateKey = pair.key;
            }
            const Json *child = nullptr;
            if (n->json && n->json->is_object()) {
                const auto it = n->json->find(pair.key);
                if (it != n->json->end())
                    child = &*it;
            }
            if (!child) {
                n->opaque = true;
                n->end = npos;
                return n;
            }
            pair.value = build(kv.second, child, pair.col, colon + 1);
            if (first) {
                n->start = pair.keyStart;
                n->col = pair.col;
                first = false;
            }
            n->pairs.push_back(std::move(pair));
        }
        n->end = n->pairs.empty() ? npos : n->pairs.back().value->end;
        return n;
    }

    std::unique_ptr<TNode> buildSeq(std::unique_ptr<TNode> n, const YAML::Node &node)
    {
        const auto &s = t.s;
        n->kind = TNode::Kind::BlockSeq;
        const int mpos = node.Mark().pos;
        if (mpos < 0 || size_t(mpos) >= s.size() || s[size_t(mpos)] != '-') {
            n->opaque = true;
            n->end = npos;
            return n;
        }
        n->start = size_t(mpos);
        n->col = t.column(n->start);
        size_t index = 0;
        size_t prevEnd = npos;
        for (const auto &child : node) {
            size_t dash = npos;
            if (index == 0) {
                dash = n->start;
            } else if (prevEnd != npos) {
                // The next line whose first character is a dash at our column.
                size_t ls = t.nextLineStart(prevEnd);
                while (ls < s.size()) {
                    const int ind = t.indentAt(ls);
                    if (!t.lineIsBlank(ls) && s[ls + ind] != '#') {
                        if (ind == n->col && s[ls + ind] == '-')
                            dash = ls + ind;
                        break;
                    }
                    ls = t.nextLineStart(ls);
                }
            }
            const Json *childJson = (n->json && n->json->is_array() && index < n->json->size()) ? &(*n->json)[index]
                                                                                              : nullptr;
            if (dash == npos || !childJson) {
                n->opaque = true;
                n->end = npos;
                return n;
            }
            TNode::Item item;
            item.dash = dash;
            item.value = build(child, childJson, n->col, dash + 1);
            prevEnd = item.value->end;
            n->items.push_back(std::move(item));
            ++index;
        }
        n->end = n->items.empty() ? npos : n->items.back().value->end;
        return n;
    }

    const Text &t;
};

// ---- rendering -------------------------------------------------------------

bool hasControl(const std::string &s, bool allowNewline)
{
    for (unsigned char c : s) {
        if (c == '\n' && allowNewline)
            continue;
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    // NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR break lines in YAML 1.1.
    return s.find("\xC2\x85") != npos || s.find("\xE2\x80\xA8") != npos || s.find("\xE2\x80\xA9") != npos;
}

// Can `s` be written as a plain scalar and read back as the same string, by
// YAML 1.1 readers (yq, PyYAML) as well as 1.2 ones?
bool plainSafe(const std::string &s)
{
    if (s.empty() || isBlank(s.front()) || isBlank(s.back()) || hasControl(s, false))
        return false;
    const unsigned char f = static_cast<unsigned char>(s.front());
    if (std::string("-?:,[]{}#&*!|>'\"%@`<=~+.").find(char(f)) != npos || (f >= '0' && f <= '9'))
        return false;
    if (s.find(": ") != npos || s.find(" #") != npos || s.find("\t#") != npos || s.back() == ':')
        return false;
    std::string lower = s;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    static const char *words[] = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf"};
    for (const char *w : words)
        if (lower == w)
            return false;
    return true;
}

std::string doubleQuoted(const std::string &s)
{
    std::string out = "\"";
    for (size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02X", c);
                out += buf;
            } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) {
                out += "\\N";
                ++i;
            } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80
                       && (static_cast<unsigned char>(s[i + 2]) == 0xA8
                           || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
                out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\L" : "\\P";
                i += 2;
            } else {
                out += char(c);
            }
        }
    }
    out += '"';
    return out;
}

std::string singleQuoted(const std::string &s)
{
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "''";
        else
            out += c;
    }
    out += '\'';
    return out;
}

// A scalar in the preferred style (0 plain, '"' or '\''), falling back to
// double quotes whenever that style could not carry the value.
std::string renderScalar(const Json &v, char preferred)
{
    switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case Json::value_t::string: {
        const auto &s = v.get_ref<const std::string &>();
        if (preferred == 0 && plainSafe(s))
            return s;
        if (preferred == '\'' && !hasControl(s, false))
            return singleQuoted(s);
        return doubleQuoted(s);
    }
    default: return v.dump();
    }
}

std::string renderKey(const std::string &k)
{
    if (plainSafe(k) && k.find(':') == npos && k.find('#') == npos)
        return k;
    return doubleQuoted(k);
}

bool isContainer(const Json &v) { return v.is_object() || v.is_array(); }

// The style a new string takes when `example` shows one: only a string
// example tells how this file writes strings.
char styleFrom(const TNode *example)
{
    if (example && example->kind == TNode::Kind::Scalar && !example->opaque && example->json
        && example->json->is_string() && (example->quote == 0 || example->quote == '\'' || example->quote == '"'))
        return example->quote;
    return '"';
}

struct Splice {
    size_t pos;
    size_t len;
    std::string text;
};

// Where a value sits: how to replace it whole, and what to copy styles from.
struct Slot {
    enum class Kind { Root, MapValue, SeqItem };
    Kind kind = Kind::Root;
    size_t regionStart = 0; // after the key's ':' or the item's '-'
    int parentCol = 0;      // the key's or the dash's column
};

class Editor {
public:
    Editor(const Text &text, const QString &where) : t(text), m_where(where) {}

    void detectStyle(const TNode &n)
    {
        for (const auto &p : n.pairs) {
            const TNode &v = *p.value;
            if (!m_stepKnown && v.kind == TNode::Kind::BlockMap && !v.pairs.empty() && v.col > p.col
                && !v.pairs.front().sharesDashLine) {
                m_step = v.col - p.col;
                m_stepKnown = true;
            }
            if (!m_seqKnown && v.kind == TNode::Kind::BlockSeq && v.col >= p.col) {
                m_seqOffset = v.col - p.col;
                m_seqKnown = true;
            }
            detectStyle(v);
        }
        for (const auto &i : n.items)
            detectStyle(*i.value);
    }

    void edit(const TNode &n, const Json &nv, const Slot &slot, const TNode *example)
    {
        if (m_error)
            return;
        if (n.json && YamlDocumentEditor::sameJson(*n.json, nv))
            return;
        switch (n.kind) {
        case TNode::Kind::BlockMap:
            // The top level may lose its last key: what is left (comments)
            // reads as an empty map.
            if (nv.is_object() && (!nv.empty() || slot.kind == Slot::Kind::Root) && !n.opaque) {
                editMap(n, nv, slot, example);
                return;
            }
            break;
        case TNode::Kind::BlockSeq:
            if (nv.is_array() && !nv.empty() && !n.opaque) {
                editSeq(n, nv);
                return;
            }
            break;
        case TNode::Kind::Flow: {
            const bool emptyFlow = n.json && isContainer(*n.json) && n.json->empty();
            if (n.end == npos)
                break;
            if (!isContainer(nv)) {
                splice(n.start, n.end - n.start, renderScalar(nv, styleFrom(example)));
                return;
            }
            if (nv.empty() || !emptyFlow || slot.kind == Slot::Kind::Root) {
                // A populated flow collection stays flow: its author chose it.
                splice(n.start, n.end - n.start, renderFlow(nv));
                return;
            }
            break;
        }
        case TNode::Kind::Scalar:
            if (!isContainer(nv) && !n.opaque && n.end != npos) {
                splice(n.start, n.end - n.start, renderLike(n, nv, slot));
                return;
            }
            break;
        case TNode::Kind::Empty:
            break;
        }
        replaceWhole(n, nv, slot, example);
    }

    const std::vector<Splice> &splices() const { return m_splices; }
    const std::optional<Error> &error() const { return m_error; }

private:
    void fail(ErrorKind kind, const QString &message, size_t at)
    {
        if (m_error)
            return;
        QString place = m_where;
        if (at != npos) {
            const size_t ls = t.lineStart(at);
            const int line = int(std::count(t.s.begin(), t.s.begin() + qsizetype(ls), '\n')) + 1;
            place = QStringLiteral("%1:%2:%3").arg(m_where).arg(line).arg(at - ls + 1);
        }
        m_error = Error(kind, message, place);
    }

    void splice(size_t pos, size_t len, std::string text) { m_splices.push_back({pos, len, std::move(text)}); }

    std::string spaces(int n) const { return std::string(size_t(std::max(n, 0)), ' '); }

    std::string renderLike(const TNode &n, const Json &nv, const Slot &slot)
    {
        char style = n.quote;
        // A bare boolean, number or null says nothing about how strings are
        // written here: the file's convention (double quotes) applies.
        if (nv.is_string() && n.json && !n.json->is_string())
            style = '"';
        if (style == '|' || style == '>') {
            if (nv.is_string()) {
                const std::string lit = renderLiteral(nv.get_ref<const std::string &>(), slot.parentCol + m_step);
                if (!lit.empty())
                    return lit;
            }
            style = '"';
        }
        return renderScalar(nv, style);
    }

    // A literal block scalar ("|"), or empty when the string cannot be one.
    std::string renderLiteral(const std::string &s, int indent)
    {
        if (s.empty() || s.find('\n') == npos || hasControl(s, true) || isBlank(s.front()) || s.front() == '\n')
            return {};
        size_t trailing = 0;
        while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n')
            ++trailing;
        if (trailing > 1)
            return {};
        const std::string body = s.substr(0, s.size() - trailing);
        std::string out = trailing == 0 ? "|-" : "|";
        size_t from = 0;
        for (;;) {
            const size_t nlAt = body.find('\n', from);
            const std::string line = body.substr(from, nlAt == npos ? npos : nlAt - from);
            out += t.nl;
            if (!line.empty())
                out += spaces(indent) + line;
            if (nlAt == npos)
                break;
            from = nlAt + 1;
        }
        return out;
    }

    std::string renderFlow(const Json &v)
    {
        if (v.is_object()) {
            std::string out = "{";
            bool first = true;
            for (auto it = v.begin(); it != v.end(); ++it) {
                out += first ? "" : ", ";
                first = false;
                out += renderKey(it.key()) + ": " + renderFlow(it.value());
            }
            return out + "}";
        }
        if (v.is_array()) {
            std::string out = "[";
            bool first = true;
            for (const auto &e : v) {
                out += first ? "" : ", ";
                first = false;
                out += renderFlow(e);
            }
            return out + "]";
        }
        // Inside flow collections a plain scalar may not hold ",[]{}".
        return renderScalar(v, '"');
    }

    // Lines of a block map at `col`, joined by line breaks, no final break.
    std::string renderBlockMap(const Json &obj, int col, const TNode *example)
    {
        std::string out;
        bool first = true;
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            if (!first)
                out += t.nl;
            first = false;
            const TNode *ex = (example && example->kind == TNode::Kind::BlockMap) ? example->pairValue(it.key())
                                                                                  : nullptr;
            out += spaces(col) + renderKey(it.key()) + ":" + place(it.value(), Slot::Kind::MapValue, col, ex);
        }
        return out;
    }

    std::string renderBlockSeq(const Json &arr, int col, const TNode *example)
    {
        std::string out;
        bool first = true;
        const TNode *ex = (example && example->kind == TNode::Kind::BlockSeq && !example->items.empty())
                              ? example->items.back().value.get()
                              : nullptr;
        for (const auto &item : arr) {
            if (!first)
                out += t.nl;
            first = false;
            out += spaces(col) + "-" + place(item, Slot::Kind::SeqItem, col, ex);
        }
        return out;
    }

    // The text that follows a key's ':' or an item's '-' to hold `v`.
    std::string place(const Json &v, Slot::Kind kind, int parentCol, const TNode *example)
    {
        if (!isContainer(v))
            return " " + renderScalar(v, styleFrom(example));
        if (v.empty())
            return v.is_object() ? " {}" : " []";
        if (kind == Slot::Kind::SeqItem) {
            // "- key: value" / "- - item": the first line shares the dash's.
            const std::string block = v.is_object() ? renderBlockMap(v, parentCol + 2, example)
                                                    : renderBlockSeq(v, parentCol + 2, example);
            return " " + block.substr(size_t(parentCol + 2));
        }
        if (v.is_object())
            return t.nl + renderBlockMap(v, parentCol + m_step, example);
        return t.nl + renderBlockSeq(v, parentCol + m_seqOffset, example);
    }

    void replaceWhole(const TNode &n, const Json &nv, const Slot &slot, const TNode *example)
    {
        if (slot.kind == Slot::Kind::Root) {
            if (n.kind != TNode::Kind::Empty || !nv.is_object()) {
                fail(ErrorKind::Unsupported, QStringLiteral("the top level of the document is not a map"), n.start);
                return;
            }
            std::string text;
            if (!t.s.empty() && t.s.back() != '\n')
                text += t.nl;
            text += renderBlockMap(nv, 0, nullptr) + t.nl;
            splice(t.s.size(), 0, text);
            return;
        }
        if (n.end == npos) {
            fail(ErrorKind::Unsupported,
                 QStringLiteral("cannot tell where the value here ends (complex keys, anchors or tags); "
                                "edit this part of the file by hand"),
                 n.start);
            return;
        }
        const Slot::Kind kind = slot.kind;
        std::string text = place(nv, kind, slot.parentCol, example);
        const bool multiline = text.compare(0, t.nl.size(), t.nl) == 0;
        size_t from = slot.regionStart;
        size_t to = n.end;
        const size_t firstLineEnd = t.lineEnd(from);
        if (to <= firstLineEnd) {
            // The value is on the key's line; a comment after it stays on
            // that line.
            const std::string comment = t.trailingComment(to);
            if (multiline && !comment.empty()) {
                to = firstLineEnd;
                text = " " + comment + text;
            }
        } else {
            // A value over several lines is replaced with its lines, comments
            // at their ends included: they described what is being replaced.
            to = t.lineEnd(to);
            const std::string comment = t.trailingComment(from);
            if (!comment.empty()) {
                if (multiline)
                    from = firstLineEnd;
                else
                    text += " " + comment;
            }
        }
        splice(from, to - from, text);
    }

    void editMap(const TNode &n, const Json &nv, const Slot &slot, const TNode *example)
    {
        if (n.duplicateKeys) {
            fail(ErrorKind::Unsupported,
                 QStringLiteral("the key \"%1\" appears twice in this map; fix that by hand first")
                     .arg(toQString(n.duplicateKey)),
                 n.duplicateAt);
            return;
        }
        const TNode *sibling = (example && example != &n && example->kind == TNode::Kind::BlockMap) ? example : nullptr;
        std::vector<bool> keep(n.pairs.size());
        size_t survivors = 0;
        for (size_t i = 0; i < n.pairs.size(); ++i) {
            keep[i] = nv.contains(n.pairs[i].key);
            survivors += keep[i] ? 1 : 0;
        }
        if (survivors == 0 && n.pairs.front().sharesDashLine && slot.kind != Slot::Kind::Root) {
            // "- a: 1" losing every key: rewrite the item.
            replaceWhole(n, nv, slot, sibling);
            return;
        }
        for (size_t i = 0; i < n.pairs.size(); ++i) {
            if (!keep[i])
                continue;
            const auto &p = n.pairs[i];
            const TNode *ex = sibling ? sibling->pairValue(p.key) : p.value.get();
            edit(*p.value, nv.at(p.key), Slot{Slot::Kind::MapValue, p.colon + 1, p.col}, ex ? ex : p.value.get());
        }
        // Removed keys, in runs of neighbours so the cut ranges never overlap.
        for (size_t i = 0; i < n.pairs.size();) {
            if (keep[i]) {
                ++i;
                continue;
            }
            size_t j = i;
            while (j + 1 < n.pairs.size() && !keep[j + 1])
                ++j;
            const auto &first = n.pairs[i];
            const auto &last = n.pairs[j];
            if (last.value->end == npos) {
                fail(ErrorKind::Unsupported, QStringLiteral("cannot tell where this value ends"), last.keyStart);
                return;
            }
            if (first.sharesDashLine) {
                // Keep "- " and move the next surviving key up onto its line.
                splice(first.keyStart, n.pairs[j + 1].keyStart - first.keyStart, {});
            } else {
                const size_t ls = t.lineStart(first.keyStart);
                const size_t le = t.lineEnd(last.value->end);
                const size_t br = t.breakBefore(ls);
                if (br != npos)
                    splice(br, le - br, {});
                else if (j + 1 == n.pairs.size())
                    splice(ls, le - ls, {}); // new keys may be appended at le
                else
                    splice(ls, t.nextLineStart(le) - ls, {});
            }
            i = j + 1;
        }
        // New keys go after the last child, in the order they were given.
        // (A set: a batch may add thousands of keys to a map of thousands.)
        std::unordered_set<std::string> knownKeys;
        for (const auto &p : n.pairs)
            knownKeys.insert(p.key);
        std::string added;
        for (auto it = nv.begin(); it != nv.end(); ++it) {
            if (knownKeys.count(it.key()) != 0)
                continue;
            const TNode *ex = sibling ? sibling->pairValue(it.key()) : nullptr;
            added += t.nl + spaces(n.col) + renderKey(it.key()) + ":"
                     + place(it.value(), Slot::Kind::MapValue, n.col, ex);
        }
        if (!added.empty()) {
            const size_t lastEnd = n.pairs.back().value->end;
            if (lastEnd == npos) {
                fail(ErrorKind::Unsupported, QStringLiteral("cannot tell where this map ends"), n.start);
                return;
            }
            splice(t.lineEnd(lastEnd), 0, added);
        }
    }

    void editSeq(const TNode &n, const Json &nv)
    {
        const size_t m = n.items.size();
        const size_t k = nv.size();
        for (size_t i = 0; i < std::min(m, k); ++i) {
            const TNode *ex = i > 0 ? n.items[i - 1].value.get() : (m > 1 ? n.items[1].value.get() : nullptr);
            edit(*n.items[i].value, nv[i], Slot{Slot::Kind::SeqItem, n.items[i].dash + 1, n.col}, ex);
        }
        const TNode &lastItem = *n.items.back().value;
        if (lastItem.end == npos) {
            if (k != m)
                fail(ErrorKind::Unsupported, QStringLiteral("cannot tell where this list ends"), n.start);
            return;
        }
        if (k > m) {
            std::string added;
            for (size_t i = m; i < k; ++i)
                added += t.nl + spaces(n.col) + "-" + place(nv[i], Slot::Kind::SeqItem, n.col, &lastItem);
            splice(t.lineEnd(lastItem.end), 0, added);
        } else if (k < m) {
            const size_t dash = n.items[k].dash;
            const size_t ls = t.lineStart(dash);
            if (t.skipBlanks(ls) != dash) {
                fail(ErrorKind::Unsupported, QStringLiteral("cannot remove this item in place"), dash);
                return;
            }
            const size_t br = t.breakBefore(ls);
            const size_t le = t.lineEnd(lastItem.end);
            if (br != npos)
                splice(br, le - br, {});
            else
                splice(ls, t.nextLineStart(le) - ls, {});
        }
    }

    const Text &t;
    QString m_where;
    std::vector<Splice> m_splices;
    std::optional<Error> m_error;
    int m_step = 2;
    int m_seqOffset = 2;
    bool m_stepKnown = false;
    bool m_seqKnown = false;
};

QString pathText(const QStringList &path)
{
    return path.isEmpty() ? QStringLiteral("(the whole document)") : path.join(QLatin1Char('.'));
}

bool isIndex(const QString &segment, size_t *out)
{
    if (segment.isEmpty() || segment.size() > 9)
        return false;
    for (QChar c : segment)
        if (!c.isDigit() || c.unicode() > 127)
            return false;
    *out = segment.toULongLong();
    return true;
}

std::atomic<quint64> g_parses{0};

QString typeName(const Json &v);

// Sets `value` at `path` in `root` (set()'s rules: missing maps are created,
// a null becomes a map, one index past a sequence's end appends). Fails only
// before changing anything: once a segment creates or replaces a value,
// every segment after it walks a map.
Status applySet(Json &root, const QStringList &path, const Json &value, const QString &where)
{
    if (path.isEmpty()) {
        if (!value.is_object())
            return Error(ErrorKind::Invalid,
                         QStringLiteral("a whole document must be a map, not %1").arg(typeName(value)), where);
        root = value;
        return {};
    }
    if (!root.is_object())
        return Error(ErrorKind::Unsupported, QStringLiteral("the top level of the document is not a map"), where);
    Json *cur = &root;
    for (qsizetype i = 0; i < path.size(); ++i) {
        const bool last = i + 1 == path.size();
        const std::string seg = toStd(path[i]);
        size_t index = 0;
        if (cur->is_null())
            *cur = Json::object();
        if (cur->is_object()) {
            if (last) {
                (*cur)[seg] = value;
            } else {
                if (!cur->contains(seg))
                    (*cur)[seg] = Json::object();
                cur = &(*cur)[seg];
            }
        } else if (cur->is_array() && isIndex(path[i], &index) && index <= cur->size()) {
            if (index == cur->size()) {
                if (!last)
                    cur->push_back(Json::object());
                else
                    cur->push_back(value);
            } else if (last) {
                (*cur)[index] = value;
            }
            cur = &(*cur)[index];
        } else {
            return Error(ErrorKind::Invalid,
                         QStringLiteral("%1 is %2, so it has no \"%3\" inside")
                             .arg(pathText(path.mid(0, i)), typeName(*cur), path[i]),
                         where);
        }
    }
    return {};
}

// The value at `path`, or nullptr (valueAt()'s rules).
const Json *lookup(const Json &root, const QStringList &path)
{
    const Json *cur = &root;
    for (const QString &segment : path) {
        const std::string seg = toStd(segment);
        size_t index = 0;
        if (cur->is_object() && cur->contains(seg))
            cur = &cur->at(seg);
        else if (cur->is_array() && isIndex(segment, &index) && index < cur->size())
            cur = &(*cur)[index];
        else
            return nullptr;
    }
    return cur;
}

QString typeName(const Json &v)
{
    switch (v.type()) {
    case Json::value_t::object: return QStringLiteral("a map");
    case Json::value_t::array: return QStringLiteral("a list");
    case Json::value_t::string: return QStringLiteral("a string");
    case Json::value_t::boolean: return QStringLiteral("a boolean");
    case Json::value_t::null: return QStringLiteral("null");
    default: return QStringLiteral("a number");
    }
}

} // namespace

struct YamlDocumentEditor::Impl {
    std::string text; // without a byte-order mark
    bool bom = false;
    QString where;
    Json root;
    std::unique_ptr<Text> view;
    std::unique_ptr<TNode> tree;
};

YamlDocumentEditor::YamlDocumentEditor(std::shared_ptr<const Impl> impl) : d(std::move(impl)) {}

Result<YamlDocumentEditor> YamlDocumentEditor::open(const QByteArray &document, const QString &where)
{
    if (auto e = notUtf8Yaml(document, where))
        return *e;
    g_parses.fetch_add(1, std::memory_order_relaxed);
    auto impl = std::make_shared<Impl>();
    impl->where = where;
    impl->text = toStd(document);
    // yaml-cpp's marks do not count a byte-order mark.
    if (impl->text.compare(0, kBom.size(), kBom) == 0) {
        impl->bom = true;
        impl->text.erase(0, kBom.size());
    }
    // One parse gives both the nodes (for their marks) and the JSON; values
    // of several MB make every parse count.
    YAML::Node node;
    try {
        node = YAML::Load(impl->text);
    } catch (const YAML::Exception &e) {
        return yamlError(e, where); // the same error yamlToJson gives
    }
    try {
        impl->root = yamlNodeToJson(node, qsizetype(impl->text.size()));
    } catch (const YAML::Exception &e) {
        return yamlError(e, where);
    }
    if (impl->root.is_null())
        impl->root = Json::object();
    impl->view = std::make_unique<Text>(impl->text);
    Builder builder(*impl->view);
    impl->tree = builder.build(node, &impl->root, -1, 0);
    if (node.IsNull()) {
        impl->tree->kind = TNode::Kind::Empty;
        impl->tree->start = impl->tree->end = impl->text.size();
    }
    return YamlDocumentEditor(std::move(impl));
}

const Json &YamlDocumentEditor::root() const
{
    return d->root;
}

Result<Json> YamlDocumentEditor::valueAt(const QStringList &path) const
{
    const Json *cur = &d->root;
    for (qsizetype i = 0; i < path.size(); ++i) {
        const std::string seg = toStd(path[i]);
        size_t index = 0;
        if (cur->is_object() && cur->contains(seg)) {
            cur = &cur->at(seg);
        } else if (cur->is_array() && isIndex(path[i], &index) && index < cur->size()) {
            cur = &(*cur)[index];
        } else {
            return Error(ErrorKind::NotFound, QStringLiteral("no value at %1").arg(pathText(path.mid(0, i + 1))),
                         d->where);
        }
    }
    return *cur;
}

Result<QByteArray> YamlDocumentEditor::set(const QStringList &path, const Json &value, Json *reread) const
{
    if (path.isEmpty()) {
        if (!value.is_object())
            return Error(ErrorKind::Invalid,
                         QStringLiteral("a whole document must be a map, not %1").arg(typeName(value)), d->where);
        return rewrite(value, pathText(path), reread);
    }
    Json newRoot = d->root;
    if (Status s = applySet(newRoot, path, value, d->where); !s.ok())
        return s.error();
    return rewrite(newRoot, pathText(path), reread);
}

Result<QByteArray> YamlDocumentEditor::remove(const QStringList &path, Json *reread) const
{
    if (path.isEmpty())
        return Error(ErrorKind::Invalid, QStringLiteral("name a key to remove"), d->where);
    Json newRoot = d->root;
    Json *cur = &newRoot;
    for (qsizetype i = 0; i < path.size(); ++i) {
        const bool last = i + 1 == path.size();
        const std::string seg = toStd(path[i]);
        size_t index = 0;
        if (cur->is_object() && cur->contains(seg)) {
            if (last)
                cur->erase(seg);
            else
                cur = &(*cur)[seg];
        } else if (cur->is_array() && isIndex(path[i], &index) && index < cur->size()) {
            if (last)
                cur->erase(cur->begin() + std::ptrdiff_t(index));
            else
                cur = &(*cur)[index];
        } else {
            return Error(ErrorKind::NotFound, QStringLiteral("no value at %1").arg(pathText(path.mid(0, i + 1))),
                         d->where);
        }
    }
    return rewrite(newRoot, pathText(path), reread);
}

Result<QByteArray> YamlDocumentEditor::rewrite(const Json &newRoot, const QString &what, Json *reread) const
{
    Editor editor(*d->view, d->where);
    editor.detectStyle(*d->tree);
    editor.edit(*d->tree, newRoot, Slot{}, nullptr);
    if (editor.error())
        return *editor.error();

    // Applied from the end of the text backwards. At one position a cut goes
    // first, then insertions, the earliest made (the innermost: a new key of
    // a list's last item) last, so it ends up first (before a new item).
    std::vector<std::pair<size_t, Splice>> ordered;
    for (const Splice &sp : editor.splices())
        ordered.emplace_back(ordered.size(), sp);
    std::sort(ordered.begin(), ordered.end(), [](const auto &a, const auto &b) {
        if (a.second.pos != b.second.pos)
            return a.second.pos > b.second.pos;
        if (a.second.len != b.second.len)
            return a.second.len > b.second.len;
        return a.first > b.first;
    });
    // Checked from the end backwards, then copied forwards: one pass over
    // the text however many splices a batch makes (replacing them in place
    // one by one moved the rest of the text each time).
    size_t limit = npos;
    size_t added = 0;
    for (const auto &o : ordered) {
        const Splice &sp = o.second;
        if (sp.pos + sp.len > limit || sp.pos + sp.len > d->text.size())
            return Error(ErrorKind::Internal,
                         QStringLiteral("the edit of %1 overlaps itself; nothing was changed").arg(what), d->where);
        limit = sp.pos;
        added += sp.text.size();
    }
    std::string out;
    out.reserve((d->bom ? kBom.size() : 0) + d->text.size() + added);
    if (d->bom)
        out += kBom;
    size_t from = 0;
    for (auto it = ordered.rbegin(); it != ordered.rend(); ++it) {
        const Splice &sp = it->second;
        out.append(d->text, from, sp.pos - from);
        out += sp.text;
        from = sp.pos + sp.len;
    }
    out.append(d->text, from, npos);

    // Prove the result: it must read back as exactly the expected document.
    const QByteArray bytes = toBytes(out);
    g_parses.fetch_add(1, std::memory_order_relaxed);
    auto parsed = yamlToJson(bytes, d->where);
    Json got = parsed.ok() ? std::move(parsed).value() : Json();
    if (got.is_null())
        got = Json::object();
    if (!parsed.ok() || !sameJson(got, newRoot))
        return Error(ErrorKind::Unsupported,
                     QStringLiteral("%1 cannot be rewritten in place without changing other values (the file's "
                                    "layout is beyond what statedeck edits); nothing was changed")
                         .arg(what),
                     d->where);
    if (reread)
        *reread = std::move(got);
    return bytes;
}

namespace {

// The paths of one run of setMany(): none is a prefix of another, so no edit
// of the run changes the value another one reads or answers. Indexes are
// compared as numbers ("03" is item 3), which may only split a run sooner.
class RunPaths {
public:
    bool overlaps(const QStringList &path) const
    {
        const QStringList p = canonical(path);
        if (m_inner.count(p) != 0)
            return true; // a value inside this one is set in the run
        for (qsizetype n = 0; n <= p.size(); ++n)
            if (m_paths.count(p.mid(0, n)) != 0)
                return true; // this one, or a value it is inside
        return false;
    }
    void add(const QStringList &path)
    {
        const QStringList p = canonical(path);
        m_paths.insert(p);
        for (qsizetype n = 0; n < p.size(); ++n)
            m_inner.insert(p.mid(0, n));
    }

private:
    static QStringList canonical(QStringList path)
    {
        for (QString &segment : path) {
            size_t index = 0;
            if (isIndex(segment, &index))
                segment = QString::number(index);
        }
        return path;
    }
    std::set<QStringList> m_paths;
    std::set<QStringList> m_inner; // every proper prefix of m_paths
};

} // namespace

Result<QByteArray> YamlDocumentEditor::setMany(const QList<Edit> &edits, QList<Result<Json>> *answers,
                                               const std::function<Status(qsizetype, const Json *)> &check) const
{
    answers->clear();
    answers->resize(edits.size());

    // The document as the runs so far left it: an open editor, or the text
    // of the last rewrite, opened only if another run needs it.
    YamlDocumentEditor doc = *this;
    std::optional<QByteArray> pending;
    auto current = [&]() -> Result<YamlDocumentEditor> {
        if (pending) {
            auto reopened = open(*pending, d->where);
            if (!reopened.ok())
                return reopened.error();
            doc = std::move(reopened).value();
            pending.reset();
        }
        return doc;
    };

    // Applies `run` (paths that do not overlap) to the document as one
    // rewrite. When the text cannot take them all, the run is halved, so the
    // edit it cannot take is found in a few rewrites and fails alone, as it
    // would after set() one at a time.
    std::function<void(const QList<qsizetype> &)> applyRun = [&](const QList<qsizetype> &run) {
        auto base = current();
        if (!base.ok()) {
            for (qsizetype i : run)
                (*answers)[i] = base.error();
            return;
        }
        Json model = base->root();
        QList<qsizetype> applied;
        for (qsizetype i : run) {
            const Edit &e = edits[i];
            if (check) {
                if (Status s = check(i, lookup(model, e.path)); !s.ok()) {
                    (*answers)[i] = s.error();
                    continue;
                }
            }
            if (Status s = applySet(model, e.path, e.value, d->where); !s.ok()) {
                (*answers)[i] = s.error();
                continue;
            }
            applied << i;
        }
        if (applied.isEmpty())
            return;
        const QString what = applied.size() == 1 ? pathText(edits[applied.first()].path)
                                                 : QStringLiteral("%1 values").arg(applied.size());
        Json reread;
        auto text = base->rewrite(model, what, &reread);
        if (!text.ok()) {
            if (applied.size() == 1) {
                (*answers)[applied.first()] = text.error();
                return;
            }
            const qsizetype half = applied.size() / 2;
            applyRun(applied.mid(0, half));
            applyRun(applied.mid(half));
            return;
        }
        for (qsizetype i : applied) {
            const Json *stored = lookup(reread, edits[i].path);
            (*answers)[i] = stored ? *stored : Json();
        }
        pending = std::move(text).value();
    };

    QList<qsizetype> run;
    RunPaths paths;
    for (qsizetype i = 0; i < edits.size(); ++i) {
        if (paths.overlaps(edits[i].path)) {
            applyRun(run);
            run.clear();
            paths = RunPaths();
        }
        run << i;
        paths.add(edits[i].path);
    }
    if (!run.isEmpty())
        applyRun(run);
    if (pending)
        return *pending;
    QByteArray unchanged = toBytes(doc.d->text);
    if (doc.d->bom)
        unchanged.prepend(QByteArray::fromStdString(kBom));
    return unchanged;
}

quint64 YamlDocumentEditor::parseCount()
{
    return g_parses.load(std::memory_order_relaxed);
}

Result<QByteArray> YamlDocumentEditor::set(const QByteArray &document, const QStringList &path, const Json &value,
                                           const QString &where)
{
    auto editor = open(document, where);
    if (!editor.ok())
        return editor.error();
    return editor->set(path, value);
}

Result<QByteArray> YamlDocumentEditor::remove(const QByteArray &document, const QStringList &path,
                                              const QString &where)
{
    auto editor = open(document, where);
    if (!editor.ok())
        return editor.error();
    return editor->remove(path);
}

bool YamlDocumentEditor::sameJson(const Json &a, const Json &b)
{
    if (a.is_object() && b.is_object()) {
        if (a.size() != b.size())
            return false;
        for (auto it = a.begin(); it != a.end(); ++it) {
            const auto other = b.find(it.key());
            if (other == b.end() || !sameJson(it.value(), *other))
                return false;
        }
        return true;
    }
    if (a.is_array() && b.is_array()) {
        if (a.size() != b.size())
            return false;
        for (size_t i = 0; i < a.size(); ++i)
            if (!sameJson(a[i], b[i]))
                return false;
        return true;
    }
    return a == b;
}

} // namespace sd
