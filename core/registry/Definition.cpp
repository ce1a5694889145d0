#include "registry/Definition.h"

#include "model/Json.h"

#include <QRegularExpression>

#include <functional>

namespace sd::registry {
namespace {

QString pathKey(const QString &base, const std::string &key)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z_$][A-Za-z0-9_$-]*$"));
    const QString k = toQString(key);
    if (plain.match(k).hasMatch())
        return base + QLatin1Char('.') + k;
    QString quoted = k;
    quoted.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('"'), QLatin1String("\\\""));
    return base + QStringLiteral("[\"") + quoted + QStringLiteral("\"]");
}

QString pathIndex(const QString &base, size_t i)
{
    return base + QLatin1Char('[') + QString::number(i) + QLatin1Char(']');
}

QString typeOf(const Json &j)
{
    switch (j.type()) {
    case Json::value_t::null: return QStringLiteral("null");
    case Json::value_t::boolean: return QStringLiteral("a boolean");
    case Json::value_t::string: return QStringLiteral("a string");
    case Json::value_t::array: return QStringLiteral("an array");
    case Json::value_t::object: return QStringLiteral("an object");
    default: return QStringLiteral("a number");
    }
}

// Thrown inside the parser only; parseDefinition turns it into an Error.
struct Malformed {
    QString path;
    QString message;
};

class Parser {
public:
    Definition def;

    void parseRoot(const Json &j)
    {
        if (!j.is_object())
            throw Malformed{QStringLiteral("$"), QStringLiteral("a machine definition is a JSON object, not %1").arg(typeOf(j))};
        QString id = QStringLiteral("(machine)");
        if (j.contains("id")) {
            if (!j["id"].is_string())
                throw Malformed{QStringLiteral("$.id"), QStringLiteral("expected a string, got %1").arg(typeOf(j["id"]))};
            id = toQString(j["id"].get<std::string>());
        }
        def.id = id;
        parseState(j, id, QString(), QStringLiteral("$"), -1, 0);
        resolveAll();
    }

private:
    struct Pending {
        int node;
        int transition;
    };

    QStringList actionList(const Json &j, const QString &path)
    {
        QStringList out;
        auto one = [&](const Json &a, const QString &at) {
            if (a.is_string())
                out << toQString(a.get<std::string>());
            else if (a.is_object() && a.contains("type") && a["type"].is_string())
                out << toQString(a["type"].get<std::string>());
            else
                throw Malformed{at, QStringLiteral("an action is a name or an object with a \"type\", not %1").arg(typeOf(a))};
        };
        if (j.is_array()) {
            for (size_t i = 0; i < j.size(); ++i)
                one(j[i], pathIndex(path, i));
        } else {
            one(j, path);
        }
        return out;
    }

    // One transition value: "target", {target, cond, actions}, or an array
    // of those (guarded alternatives, tried in order).
    void addTransitions(int node, Transition::Kind kind, const QString &event, const Json &j, const QString &path)
    {
        auto one = [&](const Json &t, const QString &at) {
            Transition tr;
            tr.kind = kind;
            tr.event = event;
            tr.path = at;
            if (t.is_string()) {
                tr.targets << toQString(t.get<std::string>());
            } else if (t.is_object()) {
                if (t.contains("target")) {
                    const Json &target = t["target"];
                    if (target.is_string()) {
                        tr.targets << toQString(target.get<std::string>());
                    } else if (target.is_array()) {
                        for (size_t i = 0; i < target.size(); ++i) {
                            if (!target[i].is_string())
                                throw Malformed{pathIndex(pathKey(at, "target"), i),
                                                QStringLiteral("a target is a state name, not %1").arg(typeOf(target[i]))};
                            tr.targets << toQString(target[i].get<std::string>());
                        }
                    } else if (!target.is_null()) {
                        throw Malformed{pathKey(at, "target"),
                                        QStringLiteral("a target is a state name or an array of them, not %1").arg(typeOf(target))};
                    }
                }
                for (const char *g : {"cond", "guard"}) {
                    if (!t.contains(g))
                        continue;
                    const Json &guard = t[g];
                    if (guard.is_string())
                        tr.guard = toQString(guard.get<std::string>());
                    else if (guard.is_object() && guard.contains("type") && guard["type"].is_string())
                        tr.guard = toQString(guard["type"].get<std::string>());
                    else
                        throw Malformed{pathKey(at, g), QStringLiteral("a guard is a name or an object with a \"type\", not %1").arg(typeOf(guard))};
                }
                if (t.contains("actions"))
                    tr.actions = actionList(t["actions"], pathKey(at, "actions"));
            } else {
                throw Malformed{at, QStringLiteral("a transition is a target name, an object or an array, not %1").arg(typeOf(t))};
            }
            def.nodes[node].transitions << tr;
        };
        if (j.is_array()) {
            for (size_t i = 0; i < j.size(); ++i)
                one(j[i], pathIndex(path, i));
        } else {
            one(j, path);
        }
    }

    int parseState(const Json &j, const QString &key, const QString &statePath, const QString &jsonPath, int parent,
                   int depth)
    {
        if (!j.is_object())
            throw Malformed{jsonPath, QStringLiteral("a state is a JSON object, not %1").arg(typeOf(j))};
        if (depth > 64)
            throw Malformed{jsonPath, QStringLiteral("states nest deeper than 64 levels")};
        const int index = int(def.nodes.size());
        StateNode n;
        n.key = key;
        n.path = statePath;
        n.jsonPath = jsonPath;
        n.parent = parent;
        n.depth = depth;
        if (j.contains("id") && parent >= 0) {
            if (!j["id"].is_string())
                throw Malformed{pathKey(jsonPath, "id"), QStringLiteral("expected a string, got %1").arg(typeOf(j["id"]))};
            n.id = toQString(j["id"].get<std::string>());
        } else {
            n.id = statePath.isEmpty() ? def.id : def.id + QLatin1Char('.') + statePath;
        }
        def.nodes << n;

        const bool hasStates = j.contains("states");
        if (hasStates && !j["states"].is_object())
            throw Malformed{pathKey(jsonPath, "states"),
                            QStringLiteral("\"states\" is an object of named states, not %1").arg(typeOf(j["states"]))};
        StateNode::Type type = hasStates && !j["states"].empty() ? StateNode::Type::Compound : StateNode::Type::Atomic;
        if (j.contains("type")) {
            const Json &t = j["type"];
            const QString name = t.is_string() ? toQString(t.get<std::string>()) : QString();
            if (name == QLatin1String("atomic"))
                type = StateNode::Type::Atomic;
            else if (name == QLatin1String("compound"))
                type = StateNode::Type::Compound;
            else if (name == QLatin1String("parallel"))
                type = StateNode::Type::Parallel;
            else if (name == QLatin1String("final"))
                type = StateNode::Type::Final;
            else if (name == QLatin1String("history"))
                type = StateNode::Type::History;
            else
                throw Malformed{pathKey(jsonPath, "type"),
                                QStringLiteral("expected atomic, compound, parallel, final or history, got %1")
                                    .arg(t.is_string() ? QLatin1Char('"') + name + QLatin1Char('"') : typeOf(t))};
        }
        def.nodes[index].type = type;

        for (const char *a : {"entry", "onEntry", "exit", "onExit"}) {
            if (!j.contains(a))
                continue;
            const QStringList actions = actionList(j[a], pathKey(jsonPath, a));
            const bool isEntry = QByteArray(a).toLower().endsWith("entry");
            (isEntry ? def.nodes[index].entry : def.nodes[index].exit) << actions;
        }

        if (j.contains("on")) {
            const Json &on = j["on"];
            const QString at = pathKey(jsonPath, "on");
            if (on.is_object()) {
                for (auto it = on.begin(); it != on.end(); ++it)
                    addTransitions(index, Transition::Kind::On, toQString(it.key()), it.value(), pathKey(at, it.key()));
            } else if (on.is_array()) {
                // XState's array form: [{event, target, ...}].
                for (size_t i = 0; i < on.size(); ++i) {
                    const Json &t = on[i];
                    if (!t.is_object() || !t.contains("event") || !t["event"].is_string())
                        throw Malformed{pathIndex(at, i), QStringLiteral("an entry of an \"on\" array is an object with an \"event\"")};
                    addTransitions(index, Transition::Kind::On, toQString(t["event"].get<std::string>()), t,
                                   pathIndex(at, i));
                }
            } else {
                throw Malformed{at, QStringLiteral("\"on\" maps event names to transitions, not %1").arg(typeOf(on))};
            }
        }
        if (j.contains("always"))
            addTransitions(index, Transition::Kind::Always, QString(), j["always"], pathKey(jsonPath, "always"));
        if (j.contains("after")) {
            const Json &after = j["after"];
            const QString at = pathKey(jsonPath, "after");
            if (after.is_object()) {
                for (auto it = after.begin(); it != after.end(); ++it)
                    addTransitions(index, Transition::Kind::After, toQString(it.key()), it.value(), pathKey(at, it.key()));
            } else if (after.is_array()) {
                for (size_t i = 0; i < after.size(); ++i) {
                    const Json &t = after[i];
                    if (!t.is_object() || !t.contains("delay"))
                        throw Malformed{pathIndex(at, i), QStringLiteral("an entry of an \"after\" array is an object with a \"delay\"")};
                    const Json &delay = t["delay"];
                    addTransitions(index, Transition::Kind::After,
                                   delay.is_string() ? toQString(delay.get<std::string>()) : toQString(delay.dump()), t,
                                   pathIndex(at, i));
                }
            } else {
                throw Malformed{at, QStringLiteral("\"after\" maps delays to transitions, not %1").arg(typeOf(after))};
            }
        }
        if (j.contains("onDone"))
            addTransitions(index, Transition::Kind::Done, QString(), j["onDone"], pathKey(jsonPath, "onDone"));
        if (j.contains("invoke")) {
            const Json &inv = j["invoke"];
            const QString at = pathKey(jsonPath, "invoke");
            auto one = [&](const Json &i, const QString &p) {
                if (!i.is_object())
                    throw Malformed{p, QStringLiteral("an invoked service is an object with a \"src\", not %1").arg(typeOf(i))};
                QString src;
                if (i.contains("src")) {
                    const Json &s = i["src"];
                    if (s.is_string())
                        src = toQString(s.get<std::string>());
                    else if (s.is_object() && s.contains("type") && s["type"].is_string())
                        src = toQString(s["type"].get<std::string>());
                    else
                        throw Malformed{pathKey(p, "src"), QStringLiteral("expected a service name, got %1").arg(typeOf(s))};
                }
                def.nodes[index].invoke << src;
                if (i.contains("onDone"))
                    addTransitions(index, Transition::Kind::InvokeDone, src, i["onDone"], pathKey(p, "onDone"));
                if (i.contains("onError"))
                    addTransitions(index, Transition::Kind::InvokeError, src, i["onError"], pathKey(p, "onError"));
            };
            if (inv.is_array()) {
                for (size_t k = 0; k < inv.size(); ++k)
                    one(inv[k], pathIndex(at, k));
            } else {
                one(inv, at);
            }
        }

        if (hasStates) {
            const Json &states = j["states"];
            const QString at = pathKey(jsonPath, "states");
            for (auto it = states.begin(); it != states.end(); ++it) {
                const QString childKey = toQString(it.key());
                if (childKey.isEmpty() || childKey.contains(QLatin1Char('.')))
                    throw Malformed{pathKey(at, it.key()), QStringLiteral("a state name may not be empty or contain \".\"")};
                const QString childPath = statePath.isEmpty() ? childKey : statePath + QLatin1Char('.') + childKey;
                const int child = parseState(it.value(), childKey, childPath, pathKey(at, it.key()), index, depth + 1);
                def.nodes[index].children << child;
            }
        }

        if (j.contains("initial")) {
            const Json &initial = j["initial"];
            const QString at = pathKey(jsonPath, "initial");
            if (!initial.is_string())
                throw Malformed{at, QStringLiteral("expected the name of a child state, got %1").arg(typeOf(initial))};
            const QString name = toQString(initial.get<std::string>());
            bool found = false;
            for (int c : def.nodes[index].children)
                found = found || def.nodes[c].key == name;
            if (!found)
                throw Malformed{at, QStringLiteral("\"%1\" is not a child state of this state%2")
                                        .arg(name, def.nodes[index].children.isEmpty()
                                                       ? QStringLiteral(" (it has none)")
                                                       : QStringLiteral(" (children: %1)").arg(childKeys(index)))};
            def.nodes[index].initial = name;
        } else if (def.nodes[index].type == StateNode::Type::Compound) {
            throw Malformed{jsonPath, QStringLiteral("a state with child states needs \"initial\" (one of: %1) or "
                                                     "\"type\": \"parallel\"")
                                          .arg(childKeys(index))};
        }
        return index;
    }

    QString childKeys(int index) const
    {
        QStringList keys;
        for (int c : def.nodes[index].children)
            keys << def.nodes[c].key;
        return keys.join(QStringLiteral(", "));
    }

    int childNamed(int node, const QString &key) const
    {
        for (int c : def.nodes[node].children)
            if (def.nodes[c].key == key)
                return c;
        return -1;
    }

    int descend(int from, const QString &dotted) const
    {
        int at = from;
        for (const QString &part : dotted.split(QLatin1Char('.'))) {
            at = childNamed(at, part);
            if (at < 0)
                return -1;
        }
        return at;
    }

    // XState's rules: "#id[.path]" by id; ".child" below the source; a plain
    // name (or dotted path) among the source's siblings, or below the root
    // when the source is the root.
    int resolve(int source, const QString &target) const
    {
        if (target.startsWith(QLatin1Char('#'))) {
            const QString ref = target.mid(1);
            for (int i = 0; i < int(def.nodes.size()); ++i) {
                const QString &id = def.nodes[i].id;
                if (ref == id)
                    return i;
                if (ref.startsWith(id + QLatin1Char('.'))) {
                    const int d = descend(i, ref.mid(id.size() + 1));
                    if (d >= 0)
                        return d;
                }
            }
            return -1;
        }
        if (target.startsWith(QLatin1Char('.')))
            return descend(source, target.mid(1));
        const int base = def.nodes[source].parent >= 0 ? def.nodes[source].parent : source;
        return descend(base, target);
    }

    void resolveAll()
    {
        for (int n = 0; n < int(def.nodes.size()); ++n) {
            for (Transition &t : def.nodes[n].transitions) {
                for (int i = 0; i < int(t.targets.size()); ++i) {
                    const int r = resolve(n, t.targets[i]);
                    if (r < 0) {
                        const QString at = t.targets.size() > 1 ? pathIndex(pathKey(t.path, "target"), size_t(i)) : t.path;
                        throw Malformed{at, QStringLiteral("target \"%1\" names no state reachable from \"%2\"")
                                                .arg(t.targets[i], def.nodes[n].path.isEmpty() ? def.id : def.nodes[n].path)};
                    }
                    t.resolved << r;
                }
            }
        }
    }
};

QString dotId(const QString &s)
{
    QString out = s;
    out.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('"'), QLatin1String("\\\""));
    return QLatin1Char('"') + out + QLatin1Char('"');
}

} // namespace

QString Transition::label() const
{
    QString base;
    switch (kind) {
    case Kind::On: base = event; break;
    case Kind::Always: base = QStringLiteral("always"); break;
    case Kind::After: {
        bool numeric = false;
        event.toLongLong(&numeric);
        base = QStringLiteral("after ") + event + (numeric ? QStringLiteral("ms") : QString());
        break;
    }
    case Kind::Done: base = QStringLiteral("done"); break;
    case Kind::InvokeDone: base = QStringLiteral("done(%1)").arg(event); break;
    case Kind::InvokeError: base = QStringLiteral("error(%1)").arg(event); break;
    }
    if (!guard.isEmpty())
        base += QStringLiteral(" [") + guard + QLatin1Char(']');
    return base;
}

QString StateNode::typeName() const
{
    switch (type) {
    case Type::Atomic: return QStringLiteral("atomic");
    case Type::Compound: return QStringLiteral("compound");
    case Type::Parallel: return QStringLiteral("parallel");
    case Type::Final: return QStringLiteral("final");
    case Type::History: return QStringLiteral("history");
    }
    return {};
}

int Definition::findPath(const QString &path) const
{
    for (int i = 0; i < int(nodes.size()); ++i)
        if (nodes[i].path == path)
            return i;
    return -1;
}

QSet<int> Definition::activeNodes(const QString &currentState) const
{
    QSet<int> out;
    if (nodes.isEmpty())
        return out;
    auto withAncestors = [&](int n) {
        for (; n >= 0; n = nodes[n].parent)
            out.insert(n);
    };
    QString s = currentState.trimmed();
    if (s.isEmpty())
        return out;
    // A state's own dotted path first, as given: a state may be named
    // " ok", "#x" or "{a}", which the forms below would trim or read as
    // something else, and "m.b" below the machine "m" may be a path from
    // the root while "b" is also a top-level state.
    if (const int own = findPath(currentState); own > 0) {
        withAncestors(own);
        return out;
    }
    if (s.startsWith(QLatin1Char('{')) || s.startsWith(QLatin1Char('"'))) {
        const Json value = parseJsonOrDiscarded(s.toUtf8());
        if (!value.is_discarded()) {
            // {"a":{"b":"c"}} or "a": walk it from the root.
            std::function<void(int, const Json &)> walk = [&](int node, const Json &v) {
                if (v.is_string()) {
                    for (int c : nodes[node].children)
                        if (nodes[c].key == toQString(v.get<std::string>()))
                            withAncestors(c);
                } else if (v.is_object()) {
                    for (auto it = v.begin(); it != v.end(); ++it)
                        for (int c : nodes[node].children)
                            if (nodes[c].key == toQString(it.key())) {
                                withAncestors(c);
                                walk(c, it.value());
                            }
                }
            };
            walk(0, value);
            return out;
        }
    }
    if (s.startsWith(QLatin1Char('#')))
        s = s.mid(1);
    if (s.startsWith(id + QLatin1Char('.')))
        s = s.mid(id.size() + 1);
    else if (s == id)
        s.clear();
    const int exact = findPath(s);
    if (exact >= 0) {
        withAncestors(exact);
        return out;
    }
    int only = -1;
    for (int i = 1; i < int(nodes.size()); ++i) {
        if (nodes[i].key == s || nodes[i].id == s) {
            if (only >= 0)
                return {}; // ambiguous: mark nothing rather than the wrong state
            only = i;
        }
    }
    if (only >= 0)
        withAncestors(only);
    return out;
}

Result<Definition> parseDefinition(const QByteArray &json, const QString &origin)
{
    auto where = [&origin](const QString &path) {
        return origin.isEmpty() ? path : origin + QStringLiteral(": ") + path;
    };
    Json j;
    try {
        j = parseJson(json);
    } catch (const Json::parse_error &e) {
        return Error(ErrorKind::Invalid,
                     QStringLiteral("the definition is not valid JSON (at byte %1): %2")
                         .arg(qulonglong(e.byte))
                         .arg(QString::fromUtf8(e.what()).section(QStringLiteral(": "), -1)),
                     where(QStringLiteral("$")));
    }
    Parser p;
    try {
        p.parseRoot(j);
    } catch (const Malformed &m) {
        return Error(ErrorKind::Invalid, m.message, where(m.path));
    }
    return p.def;
}

QByteArray toDot(const Definition &d, const QSet<int> &active)
{
    QString out;
    out += QStringLiteral("digraph %1 {\n").arg(dotId(d.id));
    out += QStringLiteral("  compound=true;\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
                          "  edge [fontname=\"Helvetica\", fontsize=10];\n");
    auto nodeName = [&](int n) { return dotId(QStringLiteral("s:") + (n == 0 ? QString() : d.nodes[n].path)); };
    auto isCluster = [&](int n) { return !d.nodes[n].children.isEmpty(); };
    auto within = [&](int n, int ancestor) {
        for (int p = d.nodes[n].parent; p >= 0; p = d.nodes[p].parent)
            if (p == ancestor)
                return true;
        return false;
    };
    // An edge into or out of a cluster attaches to a node inside it (its
    // start point) and is clipped at the cluster's border.
    auto anchor = [&](int n) { return isCluster(n) ? dotId(QStringLiteral("start:") + d.nodes[n].path) : nodeName(n); };
    std::function<void(int, int)> write = [&](int n, int indent) {
        const StateNode &s = d.nodes[n];
        const QString pad(indent * 2, QLatin1Char(' '));
        const bool on = active.contains(n);
        if (isCluster(n)) {
            out += pad + QStringLiteral("subgraph %1 {\n").arg(dotId(QStringLiteral("cluster_") + s.path));
            QString label = s.key;
            if (s.type == StateNode::Type::Parallel)
                label += QStringLiteral(" (parallel)");
            out += pad + QStringLiteral("  label=%1;\n").arg(dotId(label));
            out += pad + (s.type == StateNode::Type::Parallel ? QStringLiteral("  style=\"rounded,dashed\";\n")
                                                               : QStringLiteral("  style=rounded;\n"));
            if (on)
                out += pad + QStringLiteral("  color=\"#1f6feb\"; penwidth=2;\n");
            // A parallel state has no start; its anchor only holds edges.
            out += pad + QStringLiteral("  %1 [shape=point, width=0.12, label=\"\"%2];\n")
                             .arg(anchor(n), s.initial.isEmpty() ? QStringLiteral(", style=invis") : QString());
            for (int c : s.children)
                write(c, indent + 1);
            if (!s.initial.isEmpty())
                for (int c : s.children)
                    if (d.nodes[c].key == s.initial)
                        out += pad + QStringLiteral("  %1 -> %2%3;\n")
                                         .arg(anchor(n), anchor(c),
                                              isCluster(c) ? QStringLiteral(" [lhead=%1]").arg(dotId(QStringLiteral("cluster_") + d.nodes[c].path))
                                                           : QString());
            out += pad + QStringLiteral("}\n");
            return;
        }
        QStringList attrs;
        attrs << QStringLiteral("label=%1").arg(dotId(s.key));
        if (s.type == StateNode::Type::Final)
            attrs << QStringLiteral("peripheries=2");
        if (s.type == StateNode::Type::History)
            attrs << QStringLiteral("shape=circle");
        if (on)
            attrs << QStringLiteral("style=\"rounded,filled,bold\", fillcolor=\"#cfe3ff\", color=\"#1f6feb\"");
        out += pad + QStringLiteral("%1 [%2];\n").arg(nodeName(n), attrs.join(QStringLiteral(", ")));
    };
    write(0, 1);
    for (int n = 0; n < int(d.nodes.size()); ++n) {
        for (const Transition &t : d.nodes[n].transitions) {
            const QList<int> targets = t.resolved.isEmpty() ? QList<int>{n} : t.resolved;
            for (int to : targets) {
                QStringList attrs{QStringLiteral("label=%1").arg(dotId(t.label()))};
                // Clipping at a cluster that holds the other end would cut
                // the edge away (dot warns and ignores it).
                if (isCluster(n) && !within(to, n))
                    attrs << QStringLiteral("ltail=%1").arg(dotId(QStringLiteral("cluster_") + d.nodes[n].path));
                if (isCluster(to) && to != n && !within(n, to))
                    attrs << QStringLiteral("lhead=%1").arg(dotId(QStringLiteral("cluster_") + d.nodes[to].path));
                if (t.kind == Transition::Kind::Always || t.kind == Transition::Kind::After)
                    attrs << QStringLiteral("style=dashed");
                out += QStringLiteral("  %1 -> %2 [%3];\n").arg(anchor(n), anchor(to), attrs.join(QStringLiteral(", ")));
            }
        }
    }
    out += QStringLiteral("}\n");
    return out.toUtf8();
}

} // namespace sd::registry
