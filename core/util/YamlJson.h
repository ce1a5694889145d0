#pragma once

#include "model/Json.h"
#include "model/Result.h"

namespace YAML {
class Node;
class Exception;
}

namespace sd {

// YAML text -> JSON, with YAML 1.2 core-schema typing of plain scalars
// (true/false, null, integers, floats); quoted scalars stay strings.
// Errors carry "where:line:column".
Result<Json> yamlToJson(const QByteArray &yaml, const QString &where);

// The same typing for a node the caller has already loaded, so a document
// needed both as nodes and as JSON is parsed once. Callers include yaml-cpp
// themselves (only .cpp files of core do); this header does not.
Json yamlNodeToJson(const YAML::Node &node);

// The error a yaml-cpp exception stands for, as "file:line:column" and a
// message a person can act on (yaml-cpp calls a document nested too deep a
// "bad file").
Error yamlError(const YAML::Exception &e, const QString &where);

// JSON -> block-style YAML text. Strings are double-quoted unless they are
// plain words, so a value never changes type on the way back.
QByteArray jsonToYaml(const Json &value);

} // namespace sd
