// The desktop console's registry view and state graph on the offscreen
// platform, over a real redis-server holding the seed 003 registry and the
// Kubernetes emulator holding the fixture's StateMachine resources.
#include "../registry/RegistryFixtures.h"
#include "GraphLayout.h"
#include "MainWindow.h"
#include "KubeTestServer.h"
#include "RegistryView.h"
#include "StateGraphView.h"
#include "Theme.h"
#include "console/DefinitionModel.h"
#include "console/MachinesModel.h"
#include "providers/KubeTestHelpers.h"
#include "registry/KubeMachines.h"
#include "registry/Registry.h"
#include "console/RegistrySession.h"
#include "util/YamlJson.h"

#include <QApplication>
#include <QComboBox>
#include <QGraphicsPathItem>
#include <QLabel>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTreeView>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::widgets;
using namespace sd::test;

namespace {

QByteArray orderProcessing()
{
    QFile f(fixturePath(QStringLiteral("xstatenet/example-statemachine.yaml.real")));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray text = f.readAll();
    const qsizetype first = text.indexOf("\n---");
    const qsizetype second = text.indexOf("\n---", first + 4);
    auto doc = yamlToJson(text.mid(first + 4, second - first - 4), QStringLiteral("fixture"));
    return doc.ok() ? toBytes(doc.value()["spec"]["definition"].get<std::string>()) : QByteArray();
}

} // namespace

class TestGuiRegistry : public QObject {
    Q_OBJECT

    Theme m_theme;

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_theme.load(QStringLiteral("light"))); }

    // Graphviz lays out the DOT of the fixture's parallel machine.
    void testLayout()
    {
        auto d = registry::parseDefinition(orderProcessing());
        QVERIFY2(d.ok(), qPrintable(d.error().toString()));
        const GraphLayout layout = layoutDot(registry::toDot(d.value()));
        QVERIFY2(layout.error.isEmpty(), qPrintable(layout.error));
        QVERIFY(layout.bounds.width() > 100 && layout.bounds.height() > 50);
        QStringList clusters;
        for (const auto &c : layout.clusters)
            clusters << c.name;
        QVERIFY2(clusters.contains(QLatin1String("cluster_processing")), qPrintable(clusters.join(',')));
        QVERIFY(clusters.contains(QLatin1String("cluster_processing.payment")));
        // Every node lies inside the graph, and nested ones inside their cluster.
        QRectF payment;
        for (const auto &c : layout.clusters)
            if (c.name == QLatin1String("cluster_processing.payment"))
                payment = c.rect;
        for (const auto &n : layout.nodes) {
            QVERIFY(layout.bounds.adjusted(-1, -1, 1, 1).contains(n.rect));
            if (n.name == QLatin1String("s:processing.payment.charging"))
                QVERIFY(payment.adjusted(-1, -1, 1, 1).contains(n.rect));
        }
        int labelled = 0;
        for (const auto &e : layout.edges)
            labelled += !e.label.isEmpty() && !e.path.isEmpty() ? 1 : 0;
        QVERIFY(labelled >= 9);
    }

    // The graph: states drawn, clusters for the nested states, the current
    // state (and the states holding it) highlighted, following the machine.
    void testGraphView()
    {
        StateGraphView view(&m_theme);
        view.resize(900, 600);
        view.show();
        view.setCurrentState(QStringLiteral("processing.payment.charging"));
        view.setDefinitionJson(orderProcessing(), QStringLiteral("fixture"));
        QVERIFY2(view.errorText().isEmpty(), qPrintable(view.errorText()));
        QCOMPARE(view.stateCount(), 15); // root + 14 states
        QCOMPARE(view.clusterCount(), 4); // the machine, processing, payment, inventory
        QVERIFY(view.transitionCount() >= 12);
        QCOMPARE(view.highlightedStates(),
                 (QStringList{QString(), QStringLiteral("processing"), QStringLiteral("processing.payment"),
                              QStringLiteral("processing.payment.charging")}));
        const QImage before = view.grab().toImage();

        view.setCurrentState(QStringLiteral("shipping"));
        QCOMPARE(view.highlightedStates(), (QStringList{QString(), QStringLiteral("shipping")}));
        QVERIFY(view.grab().toImage() != before);

        // Zoom and fit.
        const qreal z = view.zoom();
        view.zoomIn();
        QVERIFY(view.zoom() > z);
        view.zoomOut();
        view.zoomOut();
        QVERIFY(view.zoom() < z);
        QTest::keyClick(&view, Qt::Key_0);
        QVERIFY(view.zoom() <= 1.0);

        // A malformed definition shows its JSON path instead of a graph.
        view.setDefinitionJson(R"({"id":"m","initial":"a","states":{"a":{"on":{"GO":"nowhere"}}}})",
                               QStringLiteral("cm"));
        QVERIFY(view.errorText().contains(QLatin1String("cm: $.states.a.on.GO")));
        QCOMPARE(view.stateCount(), 0);
    }

    // Pan: once zoomed in, a drag (left or middle button) or an arrow key
    // moves the graph under the viewport, as the scroll bars show. Fitted, the
    // whole graph is on screen and there is nothing to pan.
    void testGraphPan_data()
    {
        QTest::addColumn<int>("zoomSteps");
        QTest::addColumn<int>("button"); // Qt::MouseButton, or 0 for a key
        QTest::addColumn<int>("key");
        QTest::addColumn<QPoint>("move");
        QTest::addColumn<bool>("pans");

        const QPoint leftUp(-120, -90);
        QTest::newRow("zoomed, left drag") << 4 << int(Qt::LeftButton) << 0 << leftUp << true;
        QTest::newRow("zoomed, middle drag") << 4 << int(Qt::MiddleButton) << 0 << leftUp << true;
        QTest::newRow("zoomed, right arrow") << 4 << 0 << int(Qt::Key_Right) << QPoint() << true;
        QTest::newRow("zoomed, down arrow") << 4 << 0 << int(Qt::Key_Down) << QPoint() << true;
        QTest::newRow("one step in, left drag") << 1 << int(Qt::LeftButton) << 0 << leftUp << true;
        QTest::newRow("fitted, left drag") << 0 << int(Qt::LeftButton) << 0 << leftUp << false;
    }

    void testGraphPan()
    {
        QFETCH(int, zoomSteps);
        QFETCH(int, button);
        QFETCH(int, key);
        QFETCH(QPoint, move);
        QFETCH(bool, pans);

        StateGraphView view(&m_theme);
        view.resize(900, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setDefinitionJson(orderProcessing(), QStringLiteral("fixture"));
        QVERIFY2(view.errorText().isEmpty(), qPrintable(view.errorText()));
        view.fitToView();
        for (int i = 0; i < zoomSteps; ++i)
            view.zoomIn();
        QScrollBar *h = view.horizontalScrollBar();
        QScrollBar *v = view.verticalScrollBar();
        if (!pans) {
            // The fitted graph: no scroll range at all.
            QCOMPARE(h->maximum() - h->minimum(), 0);
            QCOMPARE(v->maximum() - v->minimum(), 0);
        } else {
            QVERIFY2(h->maximum() > h->minimum() || v->maximum() > v->minimum(), "zoomed in, but nothing to scroll");
        }
        const QPointF centreBefore = view.mapToScene(view.viewport()->rect().center());
        const int h0 = h->value();
        const int v0 = v->value();

        if (button) {
            const auto b = Qt::MouseButton(button);
            const QPoint start = view.viewport()->rect().center();
            QTest::mousePress(view.viewport(), b, {}, start);
            QTest::mouseMove(view.viewport(), start + move / 2);
            QTest::mouseMove(view.viewport(), start + move);
            QTest::mouseRelease(view.viewport(), b, {}, start + move);
        } else {
            view.setFocus();
            QTest::keyClick(&view, Qt::Key(key));
        }

        const bool moved = h->value() != h0 || v->value() != v0;
        QCOMPARE(moved, pans);
        if (pans && button) {
            // Dragging up and left brings the graph's lower right part into
            // view: the scene point in the middle moves right and down.
            const QPointF centreAfter = view.mapToScene(view.viewport()->rect().center());
            QVERIFY2(centreAfter.x() > centreBefore.x() || centreAfter.y() > centreBefore.y(),
                     qPrintable(QStringLiteral("centre %1,%2 -> %3,%4")
                                    .arg(centreBefore.x())
                                    .arg(centreBefore.y())
                                    .arg(centreAfter.x())
                                    .arg(centreAfter.y())));
        }
        if (pans && zoomSteps >= 4) {
            // The pan area reaches half a viewport past the graph: its
            // bottom right corner can be brought to the middle.
            h->setValue(h->maximum());
            v->setValue(v->maximum());
            const QPointF centre = view.mapToScene(view.viewport()->rect().center());
            const QRectF graph = view.scene()->sceneRect();
            const bool wide = graph.width() * view.zoom() > view.viewport()->width();
            const bool tall = graph.height() * view.zoom() > view.viewport()->height();
            QVERIFY(wide || tall);
            QVERIFY2((!wide || centre.x() >= graph.right() - 2) && (!tall || centre.y() >= graph.bottom() - 2),
                     qPrintable(QStringLiteral("centre %1,%2, graph ends at %3,%4")
                                    .arg(centre.x())
                                    .arg(centre.y())
                                    .arg(graph.right())
                                    .arg(graph.bottom())));
        }
        // Zooming back to fit removes the pan area again.
        QTest::keyClick(&view, Qt::Key_0);
        QCOMPARE(h->maximum() - h->minimum(), 0);
        QCOMPARE(v->maximum() - v->minimum(), 0);
    }

    // The registry view end to end: liveness colours, status filter, a
    // machine's graph with its current state, live when it moves.
    void testRegistryView()
    {
        RedisTestServer redis({QStringLiteral("--notify-keyspace-events"), QStringLiteral("Ex")});
        QVERIFY(redis.start());
        QVERIFY(loadRegistryDump(redis));
        QCOMPARE(redis.command({"EXPIRE", "xstatenet:heartbeat:ping-pong-machine", "3600"}), QByteArray(":1"));
        KubeTestServer kube;
        QVERIFY(kube.start());
        auto admin = adminClient(kube);
        QFile crdFile(fixturePath(QStringLiteral("xstatenet/crd-statemachines.xstatenet.io.yaml")));
        QVERIFY(crdFile.open(QIODevice::ReadOnly));
        auto crd = yamlToJson(crdFile.readAll(), QStringLiteral("crd"));
        QVERIFY(crd.ok());
        QVERIFY(await(admin->create({QStringLiteral("apiextensions.k8s.io"), QStringLiteral("v1"),
                                     QStringLiteral("customresourcedefinitions"),
                                     QStringLiteral("CustomResourceDefinition"), false},
                                    QString(), crd.value()))
                    .ok());
        QFile crFile(fixturePath(QStringLiteral("xstatenet/example-statemachine.yaml.real")));
        QVERIFY(crFile.open(QIODevice::ReadOnly));
        const QByteArray text = crFile.readAll();
        auto cr = yamlToJson(text.left(text.indexOf("\n---")), QStringLiteral("cr"));
        QVERIFY(cr.ok());
        QVERIFY(await(admin->create(registry::KubeMachines::stateMachines(), QStringLiteral("default"), cr.value())).ok());

        registry::RegistryOptions o;
        registry::RedisRegistryOptions r;
        r.connection.port = redis.port();
        o.redis = r;
        kube::ClusterAccess access;
        access.server = kube.baseUrl();
        access.token = kube.adminToken().toUtf8();
        QFile ca(kube.caFile());
        QVERIFY(ca.open(QIODevice::ReadOnly));
        access.caPem = ca.readAll();
        o.kube = access;
        o.ns = QStringLiteral("default");
        RegistryView view(std::make_unique<console::RegistrySession>(std::make_unique<registry::Registry>(o)), &m_theme);
        view.resize(1200, 800);
        view.show();
        QTRY_COMPARE_WITH_TIMEOUT(view.filtered()->rowCount(), 2, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(view.banner()->text().startsWith(QLatin1String("Live")), 10000);

        // Liveness in its colour: dead in the Error tone's, stale in Warning's.
        using M = console::MachinesModel;
        const int dead = view.machines()->rowOf(QStringLiteral("order-processing"));
        const QModelIndex deadCell = view.machines()->index(dead, M::LivenessColumn);
        QCOMPARE(deadCell.data().toString(), QStringLiteral("dead"));
        QCOMPARE(console::Tone(deadCell.data(console::ToneRole).toInt()), console::Tone::Error);
        const QRect deadRect = view.table()->visualRect(view.filtered()->mapFromSource(deadCell));
        const QImage shot = view.table()->viewport()->grab().toImage();
        const QColor errorColour = m_theme.style(console::Tone::Error).foreground;
        QVERIFY(errorColour.isValid());
        bool found = false;
        for (int x = deadRect.left(); x < deadRect.right() && !found; ++x)
            for (int y = deadRect.top(); y < deadRect.bottom() && !found; ++y)
            {
                // Glyph edges are antialiased; their cores carry the colour.
                const QColor c = shot.pixelColor(x, y);
                auto near = [&c](const QColor &want) {
                    return want.isValid()
                           && std::abs(c.red() - want.red()) + std::abs(c.green() - want.green())
                                      + std::abs(c.blue() - want.blue())
                                  < 40;
                };
                found = near(errorColour);
            }
        QVERIFY2(found, "the dead machine's liveness is not drawn in the Error colour");

        // The filter by status.
        view.statusFilter()->setCurrentIndex(view.statusFilter()->findData(QStringLiteral("status:Running")));
        QCOMPARE(view.filtered()->rowCount(), 1);
        QCOMPARE(view.filtered()->index(0, 0).data().toString(), QStringLiteral("ping-pong-machine"));
        view.statusFilter()->setCurrentIndex(view.statusFilter()->findData(QStringLiteral("liveness:dead")));
        QCOMPARE(view.filtered()->rowCount(), 1);
        QCOMPARE(view.filtered()->index(0, 0).data().toString(), QStringLiteral("order-processing"));
        view.statusFilter()->setCurrentIndex(0);
        QCOMPARE(view.filtered()->rowCount(), 2);

        // The age ticks on its own.
        const int ping = view.machines()->rowOf(QStringLiteral("ping-pong-machine"));
        QSignalSpy ticks(view.machines(), &QAbstractItemModel::dataChanged);
        QVERIFY(ticks.wait(5000));

        // Its graph, current state (Redis: ping) highlighted.
        QVERIFY(view.selectMachine(QStringLiteral("ping-pong-machine")));
        QTRY_COMPARE_WITH_TIMEOUT(view.graph()->highlightedStates(), (QStringList{QString(), QStringLiteral("ping")}),
                                  10000);
        QCOMPARE(view.graph()->stateCount(), 5);
        QVERIFY(view.tree()->model()->rowCount() == 1);

        // The machine moves: the highlight follows.
        QByteArray info = redis.query({"HGET", "xstatenet:machines", "ping-pong-machine"})->value(0);
        info.replace("\"CurrentState\":\"ping\"", "\"CurrentState\":\"pong\"");
        QCOMPARE(redis.command({"HSET", "xstatenet:machines", "ping-pong-machine", info}), QByteArray(":0"));
        QVERIFY(redis.command({"PUBLISH", "xstatenet:events", R"({"Type":2,"MachineId":"ping-pong-machine"})"}) == ":1");
        QTRY_COMPARE_WITH_TIMEOUT(view.graph()->highlightedStates(), (QStringList{QString(), QStringLiteral("pong")}),
                                  10000);
        QVERIFY(view.machines()->index(ping, M::StateColumn).data().toString() == QStringLiteral("pong"));

        // Its heartbeat stops: dead on screen.
        QCOMPARE(redis.command({"PEXPIRE", "xstatenet:heartbeat:ping-pong-machine", "100"}), QByteArray(":1"));
        QTRY_COMPARE_WITH_TIMEOUT(view.machines()->index(ping, M::LivenessColumn).data().toString(), QStringLiteral("dead"),
                                  10000);
    }

    // In the window: Machines (Ctrl+6) on a Redis connection opens the
    // registry of that server in a window of its own.
    void testFromMainWindow()
    {
        QTemporaryDir home;
        QVERIFY(home.isValid());
        qputenv("XDG_CONFIG_HOME", home.filePath(QStringLiteral("config")).toUtf8());
        qputenv("XDG_DATA_HOME", home.filePath(QStringLiteral("data")).toUtf8());
        qunsetenv("REDIS_URL");
        RedisTestServer redis;
        QVERIFY(redis.start());
        QVERIFY(loadRegistryDump(redis));
        MainWindow::Options options;
        options.sources.connectionsPath = home.filePath(QStringLiteral("connections.yaml"));
        options.sources.useKubeconfig = false;
        options.useSettings = false;
        options.theme = QStringLiteral("light");
        MainWindow window(options);
        window.show();
        QVERIFY(window.openStore(QStringLiteral("redis://127.0.0.1:%1/0").arg(redis.port())));
        window.run(QStringLiteral("global.machines"));
        RegistryView *view = nullptr;
        for (QWidget *w : QApplication::topLevelWidgets())
            if (auto *r = qobject_cast<RegistryView *>(w))
                view = r;
        QVERIFY2(view, "no registry window opened");
        QTRY_COMPARE_WITH_TIMEOUT(view->machines()->rowCount(), 2, 10000);
        QCOMPARE(view->registry()->registry()->redis()->options().connection.port, int(redis.port()));
        view->close(); // deletes itself
    }

    // A server without keyspace notifications: the banner says polling.
    void testPollingBanner()
    {
        RedisTestServer redis;
        QVERIFY(redis.start());
        QVERIFY(loadRegistryDump(redis));
        registry::RegistryOptions o;
        registry::RedisRegistryOptions r;
        r.connection.port = redis.port();
        o.redis = r;
        RegistryView view(std::make_unique<console::RegistrySession>(std::make_unique<registry::Registry>(o)), &m_theme);
        view.show();
        QTRY_VERIFY_WITH_TIMEOUT(view.banner()->text().startsWith(QLatin1String("Polling, not live")), 10000);
        QVERIFY(view.banner()->text().contains(QLatin1String("notify-keyspace-events")));
        QVERIFY(view.banner()->styleSheet().contains(m_theme.style(console::Tone::Warning).foreground.name(),
                                                    Qt::CaseInsensitive)
                || view.banner()->styleSheet().contains(m_theme.style(console::Tone::Warning).background.name(),
                                                        Qt::CaseInsensitive));
    }
};

QTEST_MAIN(TestGuiRegistry)
#include "tst_gui_registry.moc"
