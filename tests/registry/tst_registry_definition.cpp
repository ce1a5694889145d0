#include "TestSupport.h"
#include "registry/Definition.h"
#include "util/YamlJson.h"

#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

using namespace sd;
using namespace sd::registry;
using sd::test::fixturePath;

namespace {

// spec.definition of each StateMachine in the fixture (seed 003's example).
QByteArray fixtureDefinition(const QString &machine)
{
    QFile f(fixturePath(QStringLiteral("xstatenet/example-statemachine.yaml.real")));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QList<QByteArray> docs = f.readAll().split('\n');
    QList<QByteArray> current;
    QList<QByteArray> all;
    for (const QByteArray &line : docs) {
        if (line.trimmed() == "---") {
            all << current.join('\n');
            current.clear();
        } else {
            current << line;
        }
    }
    all << current.join('\n');
    for (const QByteArray &doc : all) {
        auto j = yamlToJson(doc, QStringLiteral("fixture"));
        if (j.ok() && j->is_object() && j.value()["metadata"]["name"] == Json(toStd(machine)))
            return toBytes(j.value()["spec"]["definition"].get<std::string>());
    }
    return {};
}

QString targetsOf(const Definition &d, const Transition &t)
{
    QStringList out;
    for (int r : t.resolved)
        out << d.nodes[r].path;
    return out.join(QLatin1Char(','));
}

// "label->targets" of every transition of the state at `path`.
QStringList transitionsAt(const Definition &d, const QString &path)
{
    QStringList out;
    const int n = d.findPath(path);
    if (n < 0)
        return {QStringLiteral("no state %1").arg(path)};
    for (const Transition &t : d.nodes[n].transitions)
        out << t.label() + QStringLiteral("->") + targetsOf(d, t);
    return out;
}

QStringList activePaths(const Definition &d, const QSet<int> &active)
{
    QStringList out;
    for (int n : active)
        out << (n == 0 ? QStringLiteral("<root>") : d.nodes[n].path);
    out.sort();
    return out;
}

} // namespace

class TestRegistryDefinition : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testPingPongFixture()
    {
        const QByteArray json = fixtureDefinition(QStringLiteral("ping-pong-machine"));
        QVERIFY(!json.isEmpty());
        auto d = parseDefinition(json, QStringLiteral("fixture"));
        QVERIFY2(d.ok(), qPrintable(d.error().toString()));
        QCOMPARE(d->id, QStringLiteral("ping-pong"));
        QCOMPARE(d->nodes.size(), 5);
        QCOMPARE(d->root().initial, QStringLiteral("idle"));
        QCOMPARE(d->root().type, StateNode::Type::Compound);
        QCOMPARE(transitionsAt(d.value(), QStringLiteral("idle")), QStringList{QStringLiteral("START->ping")});
        QCOMPARE(transitionsAt(d.value(), QStringLiteral("ping")),
                 (QStringList{QStringLiteral("PONG->pong"), QStringLiteral("after 1000ms->timeout")}));
        QCOMPARE(d->nodes[d->findPath(QStringLiteral("ping"))].entry, QStringList{QStringLiteral("sendPing")});
        QCOMPARE(d->nodes[d->findPath(QStringLiteral("timeout"))].type, StateNode::Type::Final);
        QCOMPARE(activePaths(d.value(), d->activeNodes(QStringLiteral("pong"))),
                 (QStringList{QStringLiteral("<root>"), QStringLiteral("pong")}));
    }

    void testOrderProcessingFixture()
    {
        const QByteArray json = fixtureDefinition(QStringLiteral("order-processing"));
        QVERIFY(!json.isEmpty());
        auto d = parseDefinition(json);
        QVERIFY2(d.ok(), qPrintable(d.error().toString()));
        const int processing = d->findPath(QStringLiteral("processing"));
        QVERIFY(processing > 0);
        QCOMPARE(d->nodes[processing].type, StateNode::Type::Parallel);
        QCOMPARE(d->nodes[processing].children.size(), 2);
        QCOMPARE(d->nodes[d->findPath(QStringLiteral("processing.payment"))].initial, QStringLiteral("charging"));
        QCOMPARE(transitionsAt(d.value(), QStringLiteral("processing")), QStringList{QStringLiteral("done->shipping")});
        QCOMPARE(transitionsAt(d.value(), QStringLiteral("validating")),
                 (QStringList{QStringLiteral("done(validateOrder)->processing"),
                              QStringLiteral("error(validateOrder)->failed")}));
        // Targets inside a region resolve among its own states.
        QCOMPARE(transitionsAt(d.value(), QStringLiteral("processing.inventory.reserving")),
                 (QStringList{QStringLiteral("done(reserveInventory)->processing.inventory.reserved"),
                              QStringLiteral("error(reserveInventory)->processing.inventory.inventoryFailed")}));
        QCOMPARE(d->nodes[d->findPath(QStringLiteral("processing.payment.charging"))].invoke,
                 QStringList{QStringLiteral("chargePayment")});
        QCOMPARE(d->nodes[d->findPath(QStringLiteral("failed"))].entry, QStringList{QStringLiteral("notifyFailure")});
    }

    // Current states as XStateNet and XState report them.
    void testActiveNodes_data()
    {
        QTest::addColumn<QString>("current");
        QTest::addColumn<QStringList>("active");
        const QStringList charging{QStringLiteral("<root>"), QStringLiteral("processing"),
                                   QStringLiteral("processing.payment"), QStringLiteral("processing.payment.charging")};
        QTest::newRow("dotted path") << "processing.payment.charging" << charging;
        QTest::newRow("below the machine id") << "order-processing.processing.payment.charging" << charging;
        QTest::newRow("#id form") << "#order-processing.processing.payment.charging" << charging;
        QTest::newRow("unique key") << "charging" << charging;
        QTest::newRow("top-level key") << "shipping" << QStringList{QStringLiteral("<root>"), QStringLiteral("shipping")};
        QTest::newRow("XState value of a parallel state")
            << R"({"processing":{"payment":"charged","inventory":"reserving"}})"
            << QStringList{QStringLiteral("<root>"), QStringLiteral("processing"), QStringLiteral("processing.inventory"),
                           QStringLiteral("processing.inventory.reserving"), QStringLiteral("processing.payment"),
                           QStringLiteral("processing.payment.charged")};
        QTest::newRow("unknown") << "nowhere" << QStringList();
        QTest::newRow("empty") << "" << QStringList();
    }
    void testActiveNodes()
    {
        QFETCH(QString, current);
        QFETCH(QStringList, active);
        auto d = parseDefinition(fixtureDefinition(QStringLiteral("order-processing")));
        QVERIFY2(d.ok(), qPrintable(d.error().toString()));
        QCOMPARE(activePaths(d.value(), d->activeNodes(current)), active);
    }

    // A state's own path wins over the other forms: a name with blanks at
    // its ends or that starts with '#', and a path from the root whose first
    // state is named like the machine. Found by fuzzing
    // (xstate_definition/crash-2b28...: a state named " ok" was never active).
    void testActiveNodesOwnPathFirst_data()
    {
        QTest::addColumn<QString>("current");
        QTest::addColumn<QStringList>("active");
        QTest::newRow("name with a leading blank") << " ok" << QStringList{QStringLiteral(" ok"), QStringLiteral("<root>")};
        QTest::newRow("name starting with #") << "#x" << QStringList{QStringLiteral("#x"), QStringLiteral("<root>")};
        QTest::newRow("path from the root, first state named like the machine")
            << "a.b" << QStringList{QStringLiteral("<root>"), QStringLiteral("a"), QStringLiteral("a.b")};
        QTest::newRow("#id form still below the machine id")
            << "#a.b" << QStringList{QStringLiteral("<root>"), QStringLiteral("b")};
        QTest::newRow("trimmed when no state has the name as given")
            << " b " << QStringList{QStringLiteral("<root>"), QStringLiteral("b")};
    }
    void testActiveNodesOwnPathFirst()
    {
        QFETCH(QString, current);
        QFETCH(QStringList, active);
        const QByteArray json("{\"id\": \"a\", \"initial\": \"a\", \"states\": {"
                              "\"a\": {\"initial\": \"b\", \"states\": {\"b\": {}}}, \"b\": {}, "
                              "\" ok\": {}, \"\x23x\": {}}}");
        auto d = parseDefinition(json);
        QVERIFY2(d.ok(), qPrintable(d.error().toString()));
        QCOMPARE(activePaths(d.value(), d->activeNodes(current)), active);
    }

    // Nested states, every target form, always, array transitions with guards.
    void testNestedTargets()
    {
        const char *json = R"({
          "id": "door",
          "initial": "closed",
          "on": { "RESET": ".closed" },
          "states": {
            "closed": {
              "id": "shut",
              "initial": "locked",
              "states": {
                "locked": { "on": { "UNLOCK": "unlocked" }, "exit": ["beep", {"type": "log"}] },
                "unlocked": { "on": { "LOCK": "locked", "OPEN": "@door.open" } }
              }
            },
            "open": {
              "always": [ { "target": "@shut", "cond": "isWindy" }, { "target": "open.ajar" } ],
              "initial": "wide",
              "states": { "wide": { "on": { "PUSH": { "target": "ajar", "actions": "creak" } } }, "ajar": {} }
            }
          }
        })";
        // '@' stands for '#' (moc skips files whose raw strings hold one).
        auto d = parseDefinition(QByteArray(json).replace('@', '#'));
        QVERIFY2(d.ok(), qPrintable(d.error().toString()));
        QCOMPARE(transitionsAt(d.value(), QString()), QStringList{QStringLiteral("RESET->closed")});
        QCOMPARE(transitionsAt(d.value(), QStringLiteral("closed.locked")), QStringList{QStringLiteral("UNLOCK->closed.unlocked")});
        QCOMPARE(transitionsAt(d.value(), QStringLiteral("closed.unlocked")),
                 (QStringList{QStringLiteral("LOCK->closed.locked"), QStringLiteral("OPEN->open")}));
        QCOMPARE(transitionsAt(d.value(), QStringLiteral("open")),
                 (QStringList{QStringLiteral("always [isWindy]->closed"), QStringLiteral("always->open.ajar")}));
        QCOMPARE(transitionsAt(d.value(), QStringLiteral("open.wide")), QStringList{QStringLiteral("PUSH->open.ajar")});
        QCOMPARE(d->nodes[d->findPath(QStringLiteral("open.wide"))].transitions.first().actions,
                 QStringList{QStringLiteral("creak")});
        QCOMPARE(d->nodes[d->findPath(QStringLiteral("closed"))].id, QStringLiteral("shut"));
        QCOMPARE(d->nodes[d->findPath(QStringLiteral("closed.locked"))].exit,
                 (QStringList{QStringLiteral("beep"), QStringLiteral("log")}));
        QCOMPARE(d->nodes[d->findPath(QStringLiteral("closed.locked"))].depth, 2);
    }

    // `on` transitions written as arrays: guarded alternatives tried in
    // order, string elements, XState's array form of `on`, and one
    // transition with several targets into the regions of a parallel state.
    // Each transition keeps its own JSON path (errors point at it).
    void testArrayTransitions_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("state");
        QTest::addColumn<QStringList>("transitions"); // label->resolved targets
        QTest::addColumn<QStringList>("jsonPaths");
        // '@' stands for '#' (moc skips files whose raw strings hold one).
        QTest::newRow("guarded alternatives")
            << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": [{"target": "b", "cond": "g"}, {"target": "c"}]}}, "b": {}, "c": {}}})")
            << "a" << QStringList{QStringLiteral("GO [g]->b"), QStringLiteral("GO->c")}
            << QStringList{QStringLiteral("$.states.a.on.GO[0]"), QStringLiteral("$.states.a.on.GO[1]")};
        QTest::newRow("guard objects and strings in one array")
            << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": [{"target": "b", "guard": {"type": "isB"}}, "c"]}}, "b": {}, "c": {}}})")
            << "a" << QStringList{QStringLiteral("GO [isB]->b"), QStringLiteral("GO->c")}
            << QStringList{QStringLiteral("$.states.a.on.GO[0]"), QStringLiteral("$.states.a.on.GO[1]")};
        QTest::newRow("an internal alternative without a target")
            << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": [{"target": "b", "cond": "g"}, {"actions": "log"}]}}, "b": {}}})")
            << "a" << QStringList{QStringLiteral("GO [g]->b"), QStringLiteral("GO->")}
            << QStringList{QStringLiteral("$.states.a.on.GO[0]"), QStringLiteral("$.states.a.on.GO[1]")};
        QTest::newRow("the array form of on")
            << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"on": [{"event": "GO", "target": "b", "cond": "g"}, {"event": "GO", "target": "c"}, {"event": "STOP", "target": ".x"}], "initial": "x", "states": {"x": {}}}, "b": {}, "c": {}}})")
            << "a" << QStringList{QStringLiteral("GO [g]->b"), QStringLiteral("GO->c"), QStringLiteral("STOP->a.x")}
            << QStringList{QStringLiteral("$.states.a.on[0]"), QStringLiteral("$.states.a.on[1]"),
                           QStringLiteral("$.states.a.on[2]")};
        QTest::newRow("multi-target into parallel regions")
            << QByteArray(R"({"id": "m", "initial": "p", "states": {"p": {"id": "p", "type": "parallel", "states": {)"
                          R"("r1": {"initial": "x", "states": {"x": {"on": {"SPLIT": {"target": ["@p.r1.y", "@p.r2.v"]}}}, "y": {}}},)"
                          R"("r2": {"initial": "u", "states": {"u": {}, "v": {}}}}}}})")
            << "p.r1.x" << QStringList{QStringLiteral("SPLIT->p.r1.y,p.r2.v")}
            << QStringList{QStringLiteral("$.states.p.states.r1.states.x.on.SPLIT")};
        QTest::newRow("multi-target alternatives in an array")
            << QByteArray(R"({"id": "m", "initial": "p", "states": {"p": {"id": "p", "type": "parallel", "on": {"GO": [)"
                          R"({"target": ["@p.r1.y", "@p.r2.v"], "cond": "both"}, {"target": ".r2.v"}]}, "states": {)"
                          R"("r1": {"initial": "x", "states": {"x": {}, "y": {}}},)"
                          R"("r2": {"initial": "u", "states": {"u": {}, "v": {}}}}}}})")
            << "p" << QStringList{QStringLiteral("GO [both]->p.r1.y,p.r2.v"), QStringLiteral("GO->p.r2.v")}
            << QStringList{QStringLiteral("$.states.p.on.GO[0]"), QStringLiteral("$.states.p.on.GO[1]")};
    }
    void testArrayTransitions()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, state);
        QFETCH(QStringList, transitions);
        QFETCH(QStringList, jsonPaths);
        auto d = parseDefinition(json.replace('@', '#'), QStringLiteral("def.json"));
        QVERIFY2(d.ok(), qPrintable(d.error().toString()));
        QCOMPARE(transitionsAt(d.value(), state), transitions);
        QStringList paths;
        for (const Transition &t : d->nodes[d->findPath(state)].transitions)
            paths << t.path;
        QCOMPARE(paths, jsonPaths);
        // The graph has one edge per resolved target; a transition without
        // a target (internal) is a loop on its state.
        int targets = 0;
        for (const Transition &t : d->nodes[d->findPath(state)].transitions) {
            QCOMPARE(t.resolved.size(), t.targets.size());
            targets += std::max(1, int(t.resolved.size()));
        }
        const QByteArray dot = toDot(d.value());
        int edges = 0;
        const QByteArray from = "\"s:" + state.toUtf8() + "\" -> ";
        for (qsizetype at = dot.indexOf(from); at >= 0; at = dot.indexOf(from, at + 1))
            ++edges;
        if (d->nodes[d->findPath(state)].children.isEmpty())
            QCOMPARE(edges, targets);
    }

    // Each malformed part is named by its JSON path.
    void testMalformed_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("messageHas");
        QTest::newRow("not JSON") << QByteArray(R"({"id": "m", "initial": )") << "def.json: $" << "not valid JSON";
        QTest::newRow("not an object") << QByteArray("[1, 2]") << "def.json: $" << "not an array";
        QTest::newRow("id not a string") << QByteArray(R"({"id": 7})") << "def.json: $.id" << "expected a string";
        QTest::newRow("states not an object") << QByteArray(R"({"id": "m", "initial": "a", "states": ["a"]})")
                                              << "def.json: $.states" << "not an array";
        QTest::newRow("a state not an object") << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": "b"}})")
                                               << "def.json: $.states.a" << "a state is a JSON object";
        QTest::newRow("initial names no child") << QByteArray(R"({"id": "m", "initial": "b", "states": {"a": {}}})")
                                                << "def.json: $.initial" << "\"b\" is not a child state";
        QTest::newRow("initial missing") << QByteArray(R"({"id": "m", "states": {"a": {}}})") << "def.json: $"
                                         << "needs \"initial\"";
        QTest::newRow("nested initial missing")
            << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"states": {"x": {}}}}})")
            << "def.json: $.states.a" << "needs \"initial\"";
        QTest::newRow("unknown type") << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"type": "paralel"}}})")
                                      << "def.json: $.states.a.type" << "got \"paralel\"";
        QTest::newRow("on not an object") << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"on": "GO"}}})")
                                          << "def.json: $.states.a.on" << "maps event names";
        QTest::newRow("transition a number") << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": 5}}}})")
                                             << "def.json: $.states.a.on.GO" << "not a number";
        QTest::newRow("unknown target") << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": "b"}}}})")
                                        << "def.json: $.states.a.on.GO" << "target \"b\" names no state";
        QTest::newRow("unknown target in an array")
            << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"on": {"GO": [{"target": "a", "cond": "ok"}, {"target": "zz"}]}}}})")
            << "def.json: $.states.a.on.GO[1]" << "target \"zz\"";
        QTest::newRow("target a number")
            << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"always": {"target": 7}}}})")
            << "def.json: $.states.a.always.target" << "not a number";
        QTest::newRow("after with an unknown target")
            << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"after": {"1000": "late"}}}})")
            << "def.json: $.states.a.after[\"1000\"]" << "target \"late\"";
        QTest::newRow("entry a number") << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"entry": 5}}})")
                                        << "def.json: $.states.a.entry" << "an action is a name";
        QTest::newRow("invoke onError to nowhere")
            << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {"invoke": {"src": "s", "onError": "oops"}}}})")
            << "def.json: $.states.a.invoke.onError" << "target \"oops\"";
        QTest::newRow("a state name with a dot")
            << QByteArray(R"({"id": "m", "initial": "a", "states": {"a": {}, "b.c": {}}})")
            << "def.json: $.states[\"b.c\"]" << "may not be empty or contain";
        QTest::newRow("deep in a parallel region")
            << QByteArray(R"({"id": "m", "initial": "p", "states": {"p": {"type": "parallel", "states": {"r": {"initial": "x", "states": {"x": {"on": {"E": {"target": ["y", "q"]}}}, "y": {}}}}}}})")
            << "def.json: $.states.p.states.r.states.x.on.E.target[1]" << "target \"q\"";
    }
    void testMalformed()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, where);
        QFETCH(QString, messageHas);
        auto d = parseDefinition(json, QStringLiteral("def.json"));
        QVERIFY(!d.ok());
        QCOMPARE(d.error().kind, ErrorKind::Invalid);
        QCOMPARE(d.error().where, where);
        QVERIFY2(d.error().message.contains(messageHas), qPrintable(d.error().message));
    }

    // The DOT text is what Graphviz itself accepts, with the parallel state
    // as a cluster and the current state filled.
    void testDot()
    {
        auto d = parseDefinition(fixtureDefinition(QStringLiteral("order-processing")));
        QVERIFY2(d.ok(), qPrintable(d.error().toString()));
        const QByteArray dot = toDot(d.value(), d->activeNodes(QStringLiteral("processing.payment.charging")));
        QVERIFY(dot.startsWith("digraph \"order-processing\" {"));
        QVERIFY(dot.contains("subgraph \"cluster_processing\""));
        QVERIFY(dot.contains("subgraph \"cluster_processing.payment\""));
        QCOMPARE(dot.count("fillcolor"), 1);
        QVERIFY(dot.contains("\"s:processing.payment.charging\" [label=\"charging\", style=\"rounded,filled,bold\""));
        QVERIFY(dot.contains("label=\"done(validateOrder)\""));

        const QString dotTool = QStandardPaths::findExecutable(QStringLiteral("dot"));
        QVERIFY2(!dotTool.isEmpty(), "graphviz's dot is needed (scripts/install-deps.sh installs it)");
        QProcess p;
        p.start(dotTool, {QStringLiteral("-Tsvg")});
        QVERIFY(p.waitForStarted());
        p.write(dot);
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        const QByteArray svg = p.readAllStandardOutput();
        QVERIFY(svg.contains("<svg"));
        QVERIFY(svg.contains(">charging<"));
        QVERIFY2(!p.readAllStandardError().contains("syntax error"), "dot refused the graph");
    }
};

QTEST_GUILESS_MAIN(TestRegistryDefinition)
#include "tst_registry_definition.moc"
