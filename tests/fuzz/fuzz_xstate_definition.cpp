// XState machine definitions, as the registry reads them from any client
// (a StateMachine resource's spec.definition, a Redis value): parsing either
// refuses with an Invalid error naming the JSON path of the problem, or gives
// a state tree whose every index is in range and consistent. The tree then
// goes through what the front ends do with it: the active states of a
// reported current state (each state's own path, and the input itself as
// one), the Graphviz text, and the item model walked whole.
#include "FuzzTarget.h"

#include "console/DefinitionModel.h"
#include "registry/Definition.h"

using namespace sd;

namespace {

void checkTree(const registry::Definition &def)
{
    const int n = int(def.nodes.size());
    FUZZ_CHECK(n > 0);
    FUZZ_CHECK(def.nodes[0].parent == -1);
    FUZZ_CHECK(def.nodes[0].path.isEmpty());
    FUZZ_CHECK(def.nodes[0].depth == 0);
    for (int i = 0; i < n; ++i) {
        const registry::StateNode &node = def.nodes[i];
        if (i > 0) {
            // Listed parent first: a node's parent comes before it.
            FUZZ_CHECK(node.parent >= 0 && node.parent < i);
            FUZZ_CHECK(def.nodes[node.parent].children.contains(i));
            FUZZ_CHECK(node.depth == def.nodes[node.parent].depth + 1);
            FUZZ_CHECK(!node.key.isEmpty() && !node.key.contains(QLatin1Char('.')));
        }
        for (int c : node.children) {
            FUZZ_CHECK(c > i && c < n);
            FUZZ_CHECK(def.nodes[c].parent == i);
        }
        if (!node.initial.isEmpty()) {
            bool found = false;
            for (int c : node.children)
                found = found || def.nodes[c].key == node.initial;
            FUZZ_CHECK(found);
        }
        FUZZ_CHECK(!node.typeName().isEmpty());
        for (const registry::Transition &t : node.transitions) {
            FUZZ_CHECK(t.resolved.size() == t.targets.size());
            for (int r : t.resolved)
                FUZZ_CHECK(r >= 0 && r < n);
            (void)t.label();
        }
        // Every state is found by its path, and is active with its
        // ancestors when reported as the current state.
        const int found = def.findPath(node.path);
        FUZZ_CHECK(found >= 0 && def.nodes[found].path == node.path);
        const QSet<int> active = def.activeNodes(node.path.isEmpty() ? def.id : node.path);
        for (int a : active)
            FUZZ_CHECK(a >= 0 && a < n);
        if (!node.path.isEmpty() && found == i) {
            FUZZ_CHECK(active.contains(i));
            FUZZ_CHECK(active.contains(0));
        }
    }
}

// Every item of the model, its children and its data, as a view walks it.
int walk(const console::DefinitionModel &model, const QModelIndex &parent, int depth)
{
    FUZZ_CHECK(depth < 1000);
    int items = 0;
    const int rows = model.rowCount(parent);
    FUZZ_CHECK(rows >= 0);
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < model.columnCount(parent); ++c) {
            const QModelIndex i = model.index(r, c, parent);
            FUZZ_CHECK(i.isValid());
            FUZZ_CHECK(model.parent(i) == parent);
            for (int role : {int(Qt::DisplayRole), int(Qt::ToolTipRole), int(console::DefinitionModel::CurrentRole),
                             int(console::DefinitionModel::KindRole), int(console::DefinitionModel::StatePathRole),
                             int(console::DefinitionModel::StateTypeRole)})
                (void)model.data(i, role);
        }
        items += 1 + walk(model, model.index(r, 0, parent), depth + 1);
    }
    return items;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input = fuzz::bytes(data, size);
    auto parsed = console::DefinitionModel::parse(input, QStringLiteral("fuzz"));
    if (!parsed.ok()) {
        FUZZ_CHECK(parsed.error().kind == ErrorKind::Invalid);
        FUZZ_CHECK(!parsed.error().message.isEmpty());
        FUZZ_CHECK(parsed.error().where.startsWith(QLatin1String("fuzz: $")));
        return 0;
    }
    const registry::Definition &def = parsed.value();
    checkTree(def);

    // The input itself as a reported current state (any client writes it).
    const QSet<int> active = def.activeNodes(QString::fromUtf8(input));
    for (int a : active)
        FUZZ_CHECK(a >= 0 && a < int(def.nodes.size()));
    const QByteArray dot = registry::toDot(def, active);
    FUZZ_CHECK(dot.startsWith("digraph "));
    FUZZ_CHECK(dot.trimmed().endsWith('}'));

    console::DefinitionModel model;
    model.setDefinition(def);
    FUZZ_CHECK(!model.error());
    const int items = walk(model, QModelIndex(), 0);
    int transitions = 0;
    for (const registry::StateNode &node : def.nodes)
        transitions += int(node.transitions.size());
    // One item per state (the root the only top-level row) and per transition.
    FUZZ_CHECK(items == int(def.nodes.size()) + transitions);
    model.setCurrentState(def.nodes.last().path);
    for (int a : model.activeNodes())
        FUZZ_CHECK(a >= 0 && a < int(def.nodes.size()));
    const QModelIndex last = model.indexOfState(def.nodes.last().path);
    FUZZ_CHECK(last.isValid());
    FUZZ_CHECK(model.data(last, console::DefinitionModel::StatePathRole).toString() == def.nodes.last().path);
    return 0;
}
