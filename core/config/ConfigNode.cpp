#include "config/ConfigNode.h"

#include "util/YamlJson.h"

#include <yaml-cpp/yaml.h>

#include <QFile>
#include <QSet>

namespace sd {
namespace {

QString at(const QString &file, int line, int column)
{
    return QStringLiteral("%1:%2:%3").arg(file).arg(line).arg(column);
}

// Thrown inside the conversion only; turned into an Error at the boundary.
struct ConversionError {
    Error error;
};

ConfigNode convert(const YAML::Node &node, const QString &file, YamlExpansionBudget &budget, int depth)
{
    budget.enter(node, depth);
    ConfigNode out;
    out.file = file;
    const YAML::Mark mark = node.Mark();
    // yaml-cpp marks are 0-based; a node it synthesised has -1.
    out.line = mark.line >= 0 ? mark.line + 1 : 0;
    out.column = mark.column >= 0 ? mark.column + 1 : 0;

    switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
        out.kind = ConfigNode::Kind::Null;
        break;
    case YAML::NodeType::Scalar:
        out.kind = ConfigNode::Kind::Scalar;
        out.scalar = QString::fromStdString(node.Scalar());
        // "!" is the tag yaml-cpp gives every non-plain scalar (quoted, block).
        out.quoted = node.Tag() == "!";
        break;
    case YAML::NodeType::Sequence:
        out.kind = ConfigNode::Kind::Sequence;
        for (const YAML::Node &child : node)
            out.children.push_back(convert(child, file, budget, depth + 1));
        break;
    case YAML::NodeType::Map: {
        out.kind = ConfigNode::Kind::Map;
        QSet<QString> seen;
        for (auto it = node.begin(); it != node.end(); ++it) {
            const YAML::Mark km = it->first.Mark();
            const int kl = km.line + 1;
            const int kc = km.column + 1;
            if (!it->first.IsScalar())
                throw ConversionError{Error(ErrorKind::Invalid,
                                            QStringLiteral("a map key must be plain text, not a list or map"),
                                            at(file, kl, kc))};
            const QString key = QString::fromStdString(it->first.Scalar());
            if (seen.contains(key))
                throw ConversionError{Error(ErrorKind::Invalid,
                                            QStringLiteral("duplicate key \"%1\"; each key may appear once").arg(key),
                                            at(file, kl, kc))};
            seen.insert(key);
            ConfigNode child = convert(it->second, file, budget, depth + 1);
            child.key = key;
            child.keyLine = kl;
            child.keyColumn = kc;
            // An empty value ("key:") has no position of its own (yaml-cpp
            // reports wherever the parser stood): point at the key.
            if (child.isNull() || child.line == 0) {
                child.line = kl;
                child.column = kc;
            }
            out.children.push_back(std::move(child));
        }
        break;
    }
    }
    return out;
}

} // namespace

const ConfigNode *ConfigNode::get(const QString &name) const
{
    if (kind != Kind::Map)
        return nullptr;
    for (const ConfigNode &child : children)
        if (child.key == name)
            return &child;
    return nullptr;
}

QStringList ConfigNode::keys() const
{
    QStringList out;
    if (kind == Kind::Map)
        for (const ConfigNode &child : children)
            out << child.key;
    return out;
}

QString ConfigNode::where() const
{
    if (line <= 0)
        return file;
    return at(file, line, column);
}

QString ConfigNode::keyWhere() const
{
    if (keyLine <= 0)
        return where();
    return at(file, keyLine, keyColumn);
}

QString ConfigNode::kindName() const
{
    switch (kind) {
    case Kind::Null: return QStringLiteral("nothing");
    case Kind::Scalar: return QStringLiteral("\"%1\"").arg(scalar);
    case Kind::Sequence: return QStringLiteral("a list");
    case Kind::Map: return QStringLiteral("a map");
    }
    return QString();
}

Result<ConfigNode> parseConfigYaml(const QByteArray &text, const QString &file)
{
    try {
        const YAML::Node root = YAML::Load(std::string(text.constData(), size_t(text.size())));
        YamlExpansionBudget budget(text.size());
        ConfigNode node = convert(root, file, budget, 1);
        if (node.line == 0) {
            node.line = 1;
            node.column = 1;
        }
        return node;
    } catch (const ConversionError &e) {
        return e.error;
    } catch (const YAML::Exception &e) {
        return yamlError(e, file);
    }
}

Result<ConfigNode> loadConfigYaml(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error(ErrorKind::Io, QStringLiteral("cannot read the file: %1").arg(f.errorString()), path);
    return parseConfigYaml(f.readAll(), path);
}

Status expectMap(const ConfigNode &node, const QString &what)
{
    if (node.isMap())
        return {};
    return Error(ErrorKind::Invalid, QStringLiteral("%1 must be a map of settings, found %2").arg(what, node.kindName()),
                 node.where());
}

Status expectScalar(const ConfigNode &node, const QString &what)
{
    if (node.isScalar())
        return {};
    return Error(ErrorKind::Invalid, QStringLiteral("%1 must be a single value, found %2").arg(what, node.kindName()),
                 node.where());
}

Status expectKeys(const ConfigNode &map, const QStringList &accepted, const QString &what)
{
    for (const ConfigNode &child : map.children) {
        if (!accepted.contains(child.key))
            return Error(ErrorKind::Invalid,
                         QStringLiteral("unknown key \"%1\" in %2; accepted keys: %3")
                             .arg(child.key, what, accepted.join(QStringLiteral(", "))),
                         child.keyWhere());
    }
    return {};
}

} // namespace sd
