#include "console/DefinitionModel.h"

#include <functional>

namespace sd::console {

using registry::Definition;
using registry::StateNode;
using registry::Transition;

DefinitionModel::DefinitionModel(QObject *parent) : QAbstractItemModel(parent) {}

DefinitionModel::~DefinitionModel() = default;

void DefinitionModel::setDefinitionJson(const QByteArray &json, const QString &origin)
{
    auto d = registry::parseDefinition(json, origin);
    if (!d.ok()) {
        beginResetModel();
        m_def.reset();
        m_error = d.error();
        m_items.clear();
        m_itemOfNode.clear();
        m_active.clear();
        endResetModel();
        Q_EMIT definitionChanged();
        return;
    }
    setDefinition(std::move(d).value());
}

void DefinitionModel::setDefinition(Definition definition)
{
    beginResetModel();
    m_def = std::move(definition);
    m_error.reset();
    build();
    m_active = m_def->activeNodes(m_current);
    endResetModel();
    Q_EMIT definitionChanged();
}

void DefinitionModel::clear()
{
    beginResetModel();
    m_def.reset();
    m_error.reset();
    m_items.clear();
    m_itemOfNode.clear();
    m_active.clear();
    endResetModel();
    Q_EMIT definitionChanged();
}

void DefinitionModel::build()
{
    m_items.clear();
    m_itemOfNode = QList<int>(m_def->nodes.size(), -1);
    std::function<int(int, int, int)> add = [&](int node, int parentItem, int row) {
        const int at = int(m_items.size());
        Item state;
        state.node = node;
        state.parent = parentItem;
        state.row = row;
        m_items << state;
        m_itemOfNode[node] = at;
        const StateNode &n = m_def->nodes[node];
        int r = 0;
        for (int t = 0; t < int(n.transitions.size()); ++t) {
            Item tr;
            tr.node = node;
            tr.transition = t;
            tr.parent = at;
            tr.row = r++;
            m_items[at].children << int(m_items.size());
            m_items << tr;
        }
        for (int c : n.children) {
            const int child = add(c, at, r++);
            m_items[at].children << child;
        }
        return at;
    };
    if (!m_def->nodes.isEmpty())
        add(0, -1, 0);
}

void DefinitionModel::setCurrentState(const QString &currentState)
{
    m_current = currentState;
    if (!m_def)
        return;
    const QSet<int> next = m_def->activeNodes(currentState);
    if (next == m_active)
        return;
    const QSet<int> changed = (next - m_active) + (m_active - next);
    m_active = next;
    for (int node : changed) {
        const int item = m_itemOfNode.value(node, -1);
        if (item < 0)
            continue;
        const Item &it = m_items[item];
        Q_EMIT dataChanged(createIndex(it.row, 0, quintptr(item)), createIndex(it.row, 1, quintptr(item)));
    }
}

QModelIndex DefinitionModel::indexOfState(const QString &path) const
{
    if (!m_def)
        return {};
    const int node = m_def->findPath(path);
    if (node < 0)
        return {};
    const int item = m_itemOfNode.value(node, -1);
    return item < 0 ? QModelIndex() : createIndex(m_items[item].row, 0, quintptr(item));
}

int DefinitionModel::itemOf(const QModelIndex &index) const
{
    return index.isValid() ? int(index.internalId()) : -1;
}

QModelIndex DefinitionModel::index(int row, int column, const QModelIndex &parent) const
{
    if (column < 0 || column > 1 || row < 0)
        return {};
    if (!parent.isValid())
        return row == 0 && !m_items.isEmpty() ? createIndex(0, column, quintptr(0)) : QModelIndex();
    if (parent.column() != 0)
        return {};
    const int p = itemOf(parent);
    if (p < 0 || p >= int(m_items.size()) || row >= int(m_items[p].children.size()))
        return {};
    return createIndex(row, column, quintptr(m_items[p].children[row]));
}

QModelIndex DefinitionModel::parent(const QModelIndex &child) const
{
    const int i = itemOf(child);
    if (i < 0 || i >= int(m_items.size()))
        return {};
    const int p = m_items[i].parent;
    if (p < 0)
        return {};
    return createIndex(m_items[p].row, 0, quintptr(p));
}

int DefinitionModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return m_items.isEmpty() ? 0 : 1;
    if (parent.column() != 0)
        return 0;
    const int p = itemOf(parent);
    return p >= 0 && p < int(m_items.size()) ? int(m_items[p].children.size()) : 0;
}

int DefinitionModel::columnCount(const QModelIndex &) const
{
    return 2;
}

QVariant DefinitionModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole)
        return section == NameColumn ? tr("State / event") : tr("Detail");
    return {};
}

QString DefinitionModel::detail(const Item &item) const
{
    const StateNode &n = m_def->nodes[item.node];
    if (item.transition >= 0) {
        const Transition &t = n.transitions[item.transition];
        QStringList targets;
        for (int r : t.resolved)
            targets << (r == 0 ? m_def->id : m_def->nodes[r].path);
        QString s = targets.isEmpty() ? tr("(internal, no target)") : QStringLiteral("→ ") + targets.join(QStringLiteral(", "));
        if (!t.actions.isEmpty())
            s += QStringLiteral("  do ") + t.actions.join(QStringLiteral(", "));
        return s;
    }
    QStringList parts;
    if (n.type != StateNode::Type::Atomic && n.type != StateNode::Type::Compound)
        parts << n.typeName();
    if (!n.initial.isEmpty())
        parts << QStringLiteral("initial ") + n.initial;
    if (!n.entry.isEmpty())
        parts << QStringLiteral("entry ") + n.entry.join(QStringLiteral(", "));
    if (!n.exit.isEmpty())
        parts << QStringLiteral("exit ") + n.exit.join(QStringLiteral(", "));
    if (!n.invoke.isEmpty())
        parts << QStringLiteral("invokes ") + n.invoke.join(QStringLiteral(", "));
    return parts.join(QStringLiteral("; "));
}

QVariant DefinitionModel::data(const QModelIndex &index, int role) const
{
    const int i = itemOf(index);
    if (i < 0 || i >= int(m_items.size()) || !m_def)
        return {};
    const Item &item = m_items[i];
    const StateNode &n = m_def->nodes[item.node];
    const bool isTransition = item.transition >= 0;
    const bool current = !isTransition && m_active.contains(item.node);
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == DetailColumn)
            return detail(item);
        if (isTransition)
            return n.transitions[item.transition].label();
        return item.node == 0 ? m_def->id : n.key;
    case ToneRole:
        if (current)
            return int(Tone::Good);
        if (isTransition || index.column() == DetailColumn)
            return int(Tone::Muted);
        return int(Tone::Normal);
    case CurrentRole: return current;
    case KindRole: return isTransition ? QStringLiteral("transition") : QStringLiteral("state");
    case StatePathRole: return n.path;
    case StateTypeRole: return n.typeName();
    case KeyRole: return n.path;
    case Qt::ToolTipRole:
        return isTransition ? n.transitions[item.transition].path : n.jsonPath;
    default: return {};
    }
}

Result<registry::Definition> DefinitionModel::parse(const QByteArray &json, const QString &origin)
{
    return registry::parseDefinition(json, origin);
}

QByteArray DefinitionModel::dot(const registry::Definition &definition)
{
    return registry::toDot(definition);
}

} // namespace sd::console
