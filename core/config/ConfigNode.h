#pragma once

#include "model/Result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <vector>

namespace sd {

// A YAML document as the configuration readers need it: scalars kept as the
// text the user wrote, and every node remembering where it was written. It
// keeps yaml-cpp out of the headers and lets every reader (worker.yml,
// state_management, connections.yaml) report "file:line:column".
struct ConfigNode {
    enum class Kind { Null, Scalar, Sequence, Map };

    Kind kind = Kind::Null;
    QString scalar;      // Scalar: the text, unquoted
    bool quoted = false; // Scalar: written in quotes (so always a string)
    // Sequence items, or Map values in document order (each carries its key).
    std::vector<ConfigNode> children;
    // Set on Map values: the key, and where the key itself was written.
    QString key;
    int keyLine = 0;
    int keyColumn = 0;

    QString file;
    int line = 0;   // 1-based
    int column = 0; // 1-based

    bool isNull() const { return kind == Kind::Null; }
    bool isScalar() const { return kind == Kind::Scalar; }
    bool isMap() const { return kind == Kind::Map; }
    bool isSequence() const { return kind == Kind::Sequence; }

    // The Map value under `name`, or nullptr.
    const ConfigNode *get(const QString &name) const;
    QStringList keys() const;

    // "file:line:column" of the value, and of its key in the parent map.
    QString where() const;
    QString keyWhere() const;

    // "a map", "a list", "a scalar", "empty": for "expected X, found Y".
    QString kindName() const;
};

// Parses the first YAML document of `text` (a leading `---` is fine).
// Errors are Invalid with `where` = "file:line:column"; duplicate keys in a
// map are errors too, because YAML readers disagree on which one wins.
Result<ConfigNode> parseConfigYaml(const QByteArray &text, const QString &file);

// Reads and parses a file. A missing or unreadable file is an Io error
// naming the path.
Result<ConfigNode> loadConfigYaml(const QString &path);

// Common checks, each an Invalid error naming the place and what was expected.
Status expectMap(const ConfigNode &node, const QString &what);
Status expectScalar(const ConfigNode &node, const QString &what);
// Every key of `map` must be one of `accepted`.
Status expectKeys(const ConfigNode &map, const QStringList &accepted, const QString &what);

} // namespace sd
