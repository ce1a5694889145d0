#pragma once

// JSON helpers shared by the emulator: the wire form of objects (key order as
// the Go API server writes it), YAML input, Status objects, and the
// managedFields field sets.

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kemu {

using Json = nlohmann::json;           // storage and logic: keys sorted, as Go maps marshal
using OJson = nlohmann::ordered_json;  // hand-built answers whose key order is fixed

// Key order of a Go struct, level by level. Keys not named keep sorted order
// after the named ones; a null spec means "sorted", which is how Go writes
// maps and unstructured objects.
struct OrderSpec {
    std::vector<std::string> keys;
    std::map<std::string, std::shared_ptr<OrderSpec>> children;
    std::shared_ptr<OrderSpec> elements; // for arrays of structs
};

void writeOrdered(std::string &out, const Json &value, const OrderSpec *spec);

// Parses YAML (a superset of JSON) into JSON with YAML 1.2 core-schema
// scalars, as the API server does for apply-patch+yaml bodies. Throws
// std::runtime_error with the parser's message.
Json parseYaml(const std::string &text);

// RFC 3339 in UTC with second precision, as metav1.Time marshals.
std::string nowRfc3339();
std::string newUid();

// An API error: turned into a Status object by the server.
struct ApiError {
    int code = 500;
    std::string reason;
    std::string message;
    OJson details = OJson::object(); // name, group, kind, uid, causes in that order
    OJson listMeta = OJson::object();
};

OJson statusDetails(const std::string &name, const std::string &group, const std::string &kind);
std::string statusText(const ApiError &error);

// --- managedFields (FieldsV1) -------------------------------------------
// A field set is a JSON tree {"f:data": {".": {}, "f:a": {}}}; {} is a leaf.
void fieldSetUnion(Json &into, const Json &other);
// Removes from `set` every leaf of `remove`; maps that lose all their
// members go too.
void fieldSetSubtract(Json &set, const Json &remove);
bool fieldSetEmpty(const Json &set);
// Calls fn(path) for each leaf (path of field names, without "f:"),
// skipping the "." markers.
void forEachLeaf(const Json &set, const std::function<void(const std::vector<std::string> &)> &fn);
bool fieldSetHasLeaf(const Json &set, const std::vector<std::string> &path);
const Json *valueAt(const Json &object, const std::vector<std::string> &path);
void eraseAt(Json &object, const std::vector<std::string> &path);
std::string fieldPathText(const std::vector<std::string> &path);

} // namespace kemu
