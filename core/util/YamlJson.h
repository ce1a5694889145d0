#pragma once

#include "model/Json.h"
#include "model/Result.h"

namespace sd {

// YAML text -> JSON, with YAML 1.2 core-schema typing of plain scalars
// (true/false, null, integers, floats); quoted scalars stay strings.
// Errors carry "where:line:column".
Result<Json> yamlToJson(const QByteArray &yaml, const QString &where);

// JSON -> block-style YAML text. Strings are double-quoted unless they are
// plain words, so a value never changes type on the way back.
QByteArray jsonToYaml(const Json &value);

} // namespace sd
