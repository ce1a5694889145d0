#pragma once

#include "model/Result.h"

#include <QByteArray>
#include <QList>
#include <QSet>
#include <QStringList>

namespace sd::registry {

// One outgoing transition of a state, as XState JSON writes it: an `on`
// event, an eventless `always`, a delayed `after`, or the done/error
// transitions of a state (`onDone`) or of an invoked service.
struct Transition {
    enum class Kind { On, Always, After, Done, InvokeDone, InvokeError };
    Kind kind = Kind::On;
    QString event;        // the event name; the delay for After; empty otherwise
    QStringList targets;  // as written ("ping", "#id", ".child"); empty: internal
    QList<int> resolved;  // node indexes of the targets, same order
    QString guard;        // `cond` / `guard`, when named
    QStringList actions;
    QString path;         // JSON path of the transition, for messages

    // "START", "always", "after 1000ms", "done", "done(validateOrder)"...
    QString label() const;
};

struct StateNode {
    enum class Type { Atomic, Compound, Parallel, Final, History };
    QString key;      // its name among its siblings; the machine id for the root
    QString id;       // explicit `id`, else the dotted path from the root's id
    QString path;     // dotted keys below the root ("processing.payment"); "" for the root
    QString jsonPath; // "$.states.processing.states.payment"
    Type type = Type::Atomic;
    QString initial;  // key of the initial child (compound)
    QStringList entry, exit;
    QStringList invoke; // `src` of each invoked service
    QList<Transition> transitions;
    QList<int> children;
    int parent = -1;
    int depth = 0;

    QString typeName() const;
};

// A parsed XState machine definition: the state tree (node 0 is the root,
// children listed in the order the JSON gives them) with every transition
// resolved to its target nodes.
struct Definition {
    QString id;
    QList<StateNode> nodes;

    const StateNode &root() const { return nodes.first(); }
    // The node at a dotted path below the root ("" = root), or -1.
    int findPath(const QString &path) const;

    // The nodes that are active when the machine reports `currentState`, the
    // leaf and every ancestor (the root included). Accepted forms: a dotted
    // path ("processing.payment.charging"), a path below the machine id
    // ("ping-pong.ping", "#ping-pong.ping"), a state key that is unique in the
    // tree ("charging"), and an XState state value as JSON
    // ({"processing":{"payment":"charging","inventory":"reserving"}}).
    // A state's exact dotted path is tried first, untrimmed. Empty when it
    // names no state.
    QSet<int> activeNodes(const QString &currentState) const;
};

// Parses XState JSON. A definition that is not valid JSON, or whose parts
// have the wrong shape (a transition that is neither a string, an object nor
// an array; a target naming no state; an `initial` naming no child; ...), is
// an Invalid error whose `where` is `origin` followed by the JSON path of
// the problem ("sm-ping-pong-config definition.json: $.states.ping.on.PONG").
Result<Definition> parseDefinition(const QByteArray &json, const QString &origin = {});

// Graphviz DOT text of the state graph: compound and parallel states are
// clusters, initial states get a start point, nodes in `active` are filled.
// Feeds `dot -Tsvg` as is.
QByteArray toDot(const Definition &d, const QSet<int> &active = {});

} // namespace sd::registry
