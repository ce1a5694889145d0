#include "util/YamlJson.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <QUtf8StringView>

#include <cmath>
#include <regex>

namespace sd {
namespace {

// YAML is Unicode text; yaml-cpp passes other bytes through. A string that
// is not UTF-8 would not survive being written back (yaml-cpp escapes each
// byte as a code point) and makes nlohmann's dump() throw.
const std::string &utf8(const YAML::Node &node, const std::string &s)
{
    if (!QUtf8StringView(s.data(), qsizetype(s.size())).isValidUtf8())
        throw YAML::ParserException(node.Mark(), "the text is not UTF-8 (YAML files must be)");
    return s;
}

Json scalarToJson(const YAML::Node &node)
{
    const std::string &s = utf8(node, node.Scalar());
    // "!" is the tag yaml-cpp gives quoted scalars: they are strings.
    if (node.Tag() == "!")
        return s;
    if (s == "true" || s == "True" || s == "TRUE")
        return true;
    if (s == "false" || s == "False" || s == "FALSE")
        return false;
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
        return nullptr;
    static const std::regex intRe(R"([-+]?[0-9]+)");
    static const std::regex floatRe(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    if (std::regex_match(s, intRe)) {
        try {
            return Json(std::stoll(s));
        } catch (...) {
            return s; // out of range: keep the text
        }
    }
    if (std::regex_match(s, floatRe)) {
        try {
            return Json(std::stod(s));
        } catch (...) {
            return s;
        }
    }
    return s;
}

bool isMergeKey(const YAML::Node &key)
{
    // `<<` is a merge only as a plain scalar; a quoted "<<" is an ordinary key.
    return key.IsScalar() && key.Tag() != "!" && key.Scalar() == "<<";
}

Json nodeToJson(const YAML::Node &node, int depth, YamlExpansionBudget &budget);

// YAML merge keys (`<<: *base` or `<<: [*a, *b]`): the merged maps' members
// are added where the `<<` stands, except keys the map sets itself, which
// win wherever they appear; of several merged maps, the first wins.
void mergeInto(Json &obj, const YAML::Node &merged, const YAML::Node &owner, int depth, YamlExpansionBudget &budget)
{
    auto mergeOne = [&](const YAML::Node &source) {
        if (!source.IsMap())
            throw YAML::ParserException(source.Mark(), "a merge key (<<) takes a map or a list of maps");
        for (const auto &kv : source) {
            const std::string key = utf8(kv.first, kv.first.as<std::string>());
            if (obj.contains(key) || owner[key])
                continue;
            obj[key] = nodeToJson(kv.second, depth + 1, budget);
        }
    };
    if (merged.IsSequence()) {
        for (const auto &m : merged)
            mergeOne(m);
    } else {
        mergeOne(merged);
    }
}

Json nodeToJson(const YAML::Node &node, int depth, YamlExpansionBudget &budget)
{
    budget.enter(node, depth);
    switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        return nullptr;
    case YAML::NodeType::Scalar:
        return scalarToJson(node);
    case YAML::NodeType::Sequence: {
        Json arr = Json::array();
        for (const auto &child : node)
            arr.push_back(nodeToJson(child, depth + 1, budget));
        return arr;
    }
    case YAML::NodeType::Map: {
        Json obj = Json::object();
        for (const auto &kv : node) {
            if (isMergeKey(kv.first))
                mergeInto(obj, kv.second, node, depth, budget);
            else
                obj[utf8(kv.first, kv.first.as<std::string>())] = nodeToJson(kv.second, depth + 1, budget);
        }
        return obj;
    }
    }
    return nullptr;
}

bool needsQuotes(const std::string &s)
{
    static const std::regex plainWord(R"([A-Za-z_][A-Za-z0-9_./-]*)");
    if (!std::regex_match(s, plainWord))
        return true;
    // Words YAML would read as another type.
    static const char *reserved[] = {"true", "false", "True", "False", "TRUE", "FALSE", "null",
                                     "Null", "NULL", "yes", "no", "Yes", "No", "on", "off", "y", "n"};
    for (const char *r : reserved)
        if (s == r)
            return true;
    return false;
}

void emitJson(YAML::Emitter &out, const Json &v)
{
    switch (v.type()) {
    case Json::value_t::object:
        out << YAML::BeginMap;
        for (auto it = v.begin(); it != v.end(); ++it) {
            // A key "<<" written plain reads back as a merge key (and is
            // refused unless its value is a map); quoted it stays a key.
            if (it.key() == "<<")
                out << YAML::Key << YAML::DoubleQuoted << it.key() << YAML::Value;
            else
                out << YAML::Key << it.key() << YAML::Value;
            emitJson(out, it.value());
        }
        out << YAML::EndMap;
        break;
    case Json::value_t::array:
        out << YAML::BeginSeq;
        for (const auto &e : v)
            emitJson(out, e);
        out << YAML::EndSeq;
        break;
    case Json::value_t::string: {
        const auto &s = v.get_ref<const std::string &>();
        if (needsQuotes(s))
            out << YAML::DoubleQuoted << s;
        else
            out << s;
        break;
    }
    case Json::value_t::boolean:
        out << (v.get<bool>() ? "true" : "false");
        break;
    case Json::value_t::null:
    case Json::value_t::discarded:
        out << YAML::Null;
        break;
    default:
        out << v.dump();
        break;
    }
}

} // namespace

std::optional<Error> notUtf8Yaml(const QByteArray &yaml, const QString &where)
{
    // yaml-cpp reads UTF-16 and UTF-32 too, guessing from a byte-order mark
    // or from NUL bytes; what it makes of such bytes cannot be written back
    // as they were. YAML stored here is UTF-8 text, which has no NUL.
    const qsizetype nul = yaml.indexOf('\0');
    if (nul < 0 && !yaml.startsWith("\xff\xfe") && !yaml.startsWith("\xfe\xff"))
        return std::nullopt;
    const qsizetype at = nul < 0 ? 0 : nul;
    const qsizetype line = yaml.left(at).count('\n') + 1;
    const qsizetype column = at - (yaml.lastIndexOf('\n', at - 1) + 1) + 1;
    return Error(ErrorKind::Invalid,
                 QStringLiteral("invalid YAML: the text is not UTF-8 (a NUL byte or a UTF-16 byte-order mark)"),
                 QStringLiteral("%1:%2:%3").arg(where).arg(line).arg(column));
}

Result<Json> yamlToJson(const QByteArray &yaml, const QString &where)
{
    if (auto e = notUtf8Yaml(yaml, where))
        return *e;
    try {
        const YAML::Node root = YAML::Load(toStd(yaml));
        YamlExpansionBudget budget(yaml.size());
        return nodeToJson(root, 1, budget);
    } catch (const YAML::Exception &e) {
        return yamlError(e, where);
    }
}

Error yamlError(const YAML::Exception &e, const QString &where)
{
    const QString at = QStringLiteral("%1:%2:%3").arg(where).arg(e.mark.line + 1).arg(e.mark.column + 1);
    if (dynamic_cast<const YAML::DeepRecursion *>(&e))
        return Error(ErrorKind::Invalid,
                     QStringLiteral("invalid YAML: the document is nested too deep (more than %1 levels)")
                         .arg(static_cast<const YAML::DeepRecursion &>(e).depth() - 1),
                     at);
    return Error(ErrorKind::Invalid, QStringLiteral("invalid YAML: %1").arg(toQString(e.msg)), at);
}

Json yamlNodeToJson(const YAML::Node &node, qsizetype documentBytes)
{
    YamlExpansionBudget budget(documentBytes);
    return nodeToJson(node, 1, budget);
}

YamlExpansionBudget::YamlExpansionBudget(qsizetype documentBytes) : m_left(qint64(documentBytes) + 1000000) {}

void YamlExpansionBudget::enter(const YAML::Node &node, int depth)
{
    if (depth > kMaxJsonDepth)
        throw YAML::ParserException(node.Mark(), "values are nested more than "
                                                     + std::to_string(kMaxJsonDepth) + " levels deep");
    if (--m_left < 0)
        throw YAML::ParserException(node.Mark(), "anchors and aliases expand to too many values "
                                                 "(more than the document's size in bytes plus a million)");
}

QByteArray jsonToYaml(const Json &value)
{
    YAML::Emitter out;
    out.SetIndent(2);
    emitJson(out, value);
    QByteArray bytes = toBytes(out.c_str());
    if (!bytes.endsWith('\n'))
        bytes.append('\n');
    return bytes;
}

} // namespace sd
