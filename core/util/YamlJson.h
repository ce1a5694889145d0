#pragma once

#include <optional>

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

// An error when `yaml` is not UTF-8 text (a NUL byte, a UTF-16 byte-order
// mark), which yaml-cpp would decode as UTF-16 or UTF-32.
std::optional<Error> notUtf8Yaml(const QByteArray &yaml, const QString &where);

// The same typing for a node the caller has already loaded, so a document
// needed both as nodes and as JSON is parsed once. Callers include yaml-cpp
// themselves (only .cpp files of core do); this header does not.
Json yamlNodeToJson(const YAML::Node &node, qsizetype documentBytes);

// The error a yaml-cpp exception stands for, as "file:line:column" and a
// message a person can act on (yaml-cpp calls a document nested too deep a
// "bad file").
Error yamlError(const YAML::Exception &e, const QString &where);

// Converting a loaded YAML tree copies what anchors and aliases share: nine
// lines of "&a [*b, *b, ...]" stand for a billion values, and "&a [*a]" for
// an endless list. Every converter of a yaml-cpp tree counts the nodes it
// makes with one of these, which throws a YAML::ParserException (so it is
// reported like any YAML error, with its line) past kMaxJsonDepth levels or
// past `documentBytes` + 1,000,000 values: a document without aliases never
// makes more values than it has bytes.
class YamlExpansionBudget {
public:
    explicit YamlExpansionBudget(qsizetype documentBytes);
    void enter(const YAML::Node &node, int depth);

private:
    qint64 m_left;
};

// JSON -> block-style YAML text. Strings are double-quoted unless they are
// plain words, so a value never changes type on the way back.
QByteArray jsonToYaml(const Json &value);

} // namespace sd
