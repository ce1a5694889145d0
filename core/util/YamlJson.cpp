#include "util/YamlJson.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <regex>

namespace sd {
namespace {

Json scalarToJson(const YAML::Node &node)
{
    const std::string &s = node.Scalar();
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

Json nodeToJson(const YAML::Node &node)
{
    switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        return nullptr;
    case YAML::NodeType::Scalar:
        return scalarToJson(node);
    case YAML::NodeType::Sequence: {
        Json arr = Json::array();
        for (const auto &child : node)
            arr.push_back(nodeToJson(child));
        return arr;
    }
    case YAML::NodeType::Map: {
        Json obj = Json::object();
        for (const auto &kv : node)
            obj[kv.first.as<std::string>()] = nodeToJson(kv.second);
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

Result<Json> yamlToJson(const QByteArray &yaml, const QString &where)
{
    try {
        const YAML::Node root = YAML::Load(toStd(yaml));
        return nodeToJson(root);
    } catch (const YAML::Exception &e) {
        return Error(ErrorKind::Invalid,
                     QStringLiteral("invalid YAML: %1").arg(toQString(e.msg)),
                     QStringLiteral("%1:%2:%3").arg(where).arg(e.mark.line + 1).arg(e.mark.column + 1));
    }
}

Json yamlNodeToJson(const YAML::Node &node)
{
    return nodeToJson(node);
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
