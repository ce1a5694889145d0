#include "Json.h"

#include <QDateTime>
#include <QUuid>

#include <yaml-cpp/yaml.h>

#include <functional>
#include <regex>
#include <stdexcept>

namespace kemu {

void writeOrdered(std::string &out, const Json &value, const OrderSpec *spec)
{
    if (!spec || !(value.is_object() || value.is_array())) {
        out += value.dump(-1, ' ', false, Json::error_handler_t::replace);
        return;
    }
    if (value.is_array()) {
        out += '[';
        bool first = true;
        for (const Json &element : value) {
            if (!first)
                out += ',';
            first = false;
            writeOrdered(out, element, spec->elements.get());
        }
        out += ']';
        return;
    }
    out += '{';
    bool first = true;
    auto emit = [&](const std::string &key, const Json &member) {
        if (!first)
            out += ',';
        first = false;
        out += Json(key).dump();
        out += ':';
        const auto child = spec->children.find(key);
        writeOrdered(out, member, child == spec->children.end() ? nullptr : child->second.get());
    };
    for (const std::string &key : spec->keys) {
        const auto it = value.find(key);
        if (it != value.end())
            emit(key, *it);
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (std::find(spec->keys.begin(), spec->keys.end(), it.key()) == spec->keys.end())
            emit(it.key(), it.value());
    }
    out += '}';
}

namespace {
Json yamlToJson(const YAML::Node &node)
{
    switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        return nullptr;
    case YAML::NodeType::Sequence: {
        Json array = Json::array();
        for (const auto &item : node)
            array.push_back(yamlToJson(item));
        return array;
    }
    case YAML::NodeType::Map: {
        Json object = Json::object();
        for (const auto &item : node)
            object[item.first.as<std::string>()] = yamlToJson(item.second);
        return object;
    }
    case YAML::NodeType::Scalar:
        break;
    }
    const std::string text = node.Scalar();
    // A quoted scalar carries the "!" tag: always a string.
    if (node.Tag() != "?")
        return text;
    static const std::regex intRe("[-+]?[0-9]+");
    static const std::regex floatRe("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    if (text == "null" || text == "Null" || text == "NULL" || text == "~" || text.empty())
        return nullptr;
    if (text == "true" || text == "True" || text == "TRUE")
        return true;
    if (text == "false" || text == "False" || text == "FALSE")
        return false;
    if (std::regex_match(text, intRe)) {
        try {
            return std::stoll(text);
        } catch (...) {
            return text;
        }
    }
    if (std::regex_match(text, floatRe))
        return std::stod(text);
    return text;
}
} // namespace

Json parseYaml(const std::string &text)
{
    try {
        return yamlToJson(YAML::Load(text));
    } catch (const YAML::Exception &e) {
        throw std::runtime_error(e.what());
    }
}

std::string nowRfc3339()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toStdString();
}

std::string newUid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
}

OJson statusDetails(const std::string &name, const std::string &group, const std::string &kind)
{
    OJson details = OJson::object();
    if (!name.empty())
        details["name"] = name;
    if (!group.empty())
        details["group"] = group;
    if (!kind.empty())
        details["kind"] = kind;
    return details;
}

std::string statusText(const ApiError &error)
{
    OJson status = OJson::object();
    status["kind"] = "Status";
    status["apiVersion"] = "v1";
    status["metadata"] = error.listMeta;
    status["status"] = "Failure";
    if (!error.message.empty())
        status["message"] = error.message;
    if (!error.reason.empty())
        status["reason"] = error.reason;
    if (!error.details.empty() || error.code == 422)
        status["details"] = error.details;
    status["code"] = error.code;
    return status.dump();
}

void fieldSetUnion(Json &into, const Json &other)
{
    if (!other.is_object())
        return;
    if (!into.is_object())
        into = Json::object();
    for (auto it = other.begin(); it != other.end(); ++it) {
        Json &slot = into[it.key()];
        if (slot.is_null())
            slot = Json::object();
        fieldSetUnion(slot, it.value());
    }
}

void fieldSetSubtract(Json &set, const Json &remove)
{
    if (!set.is_object() || !remove.is_object())
        return;
    for (auto it = remove.begin(); it != remove.end(); ++it) {
        auto found = set.find(it.key());
        if (found == set.end())
            continue;
        if (it.value().empty()) {
            // A leaf to remove; a member that is itself a map stays, its
            // members belong to whoever set them.
            if (found->empty())
                set.erase(found);
            continue;
        }
        const bool wasMap = !found->empty();
        fieldSetSubtract(*found, it.value());
        if (wasMap && found->empty())
            set.erase(found);
        else if (wasMap && found->size() == 1 && found->contains("."))
            set.erase(found); // a map marker with nothing owned under it and the map gone
    }
}

bool fieldSetEmpty(const Json &set)
{
    return !set.is_object() || set.empty();
}

static void leaves(const Json &set, std::vector<std::string> &path,
                   const std::function<void(const std::vector<std::string> &)> &fn)
{
    for (auto it = set.begin(); it != set.end(); ++it) {
        if (it.key() == ".")
            continue;
        const std::string name = it.key().rfind("f:", 0) == 0 ? it.key().substr(2) : it.key();
        path.push_back(name);
        bool hasChildren = false;
        for (auto c = it.value().begin(); c != it.value().end(); ++c)
            if (c.key() != ".")
                hasChildren = true;
        if (!hasChildren)
            fn(path);
        else
            leaves(it.value(), path, fn);
        path.pop_back();
    }
}

void forEachLeaf(const Json &set, const std::function<void(const std::vector<std::string> &)> &fn)
{
    if (!set.is_object())
        return;
    std::vector<std::string> path;
    leaves(set, path, fn);
}

bool fieldSetHasLeaf(const Json &set, const std::vector<std::string> &path)
{
    const Json *node = &set;
    for (const std::string &name : path) {
        if (!node->is_object())
            return false;
        const auto it = node->find("f:" + name);
        if (it == node->end())
            return false;
        node = &*it;
    }
    return true;
}

const Json *valueAt(const Json &object, const std::vector<std::string> &path)
{
    const Json *node = &object;
    for (const std::string &name : path) {
        if (!node->is_object())
            return nullptr;
        const auto it = node->find(name);
        if (it == node->end())
            return nullptr;
        node = &*it;
    }
    return node;
}

void eraseAt(Json &object, const std::vector<std::string> &path)
{
    if (path.empty())
        return;
    Json *node = &object;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
        if (!node->is_object() || !node->contains(path[i]))
            return;
        node = &(*node)[path[i]];
    }
    if (node->is_object())
        node->erase(path.back());
}

std::string fieldPathText(const std::vector<std::string> &path)
{
    std::string text;
    for (const std::string &name : path)
        text += "." + name;
    return text;
}

} // namespace kemu
