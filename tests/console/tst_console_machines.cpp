// The console layer's registry models: MachinesModel over a live registry in
// a real redis-server (liveness as a tone, ages ticking, rows inserted and
// changed, never reset) and DefinitionModel (the state tree with its
// transitions, the current state marked), both under QAbstractItemModelTester.
#include "../registry/RegistryFixtures.h"
#include "console/DefinitionModel.h"
#include "console/MachinesModel.h"
#include "console/RegistrySession.h"
#include "registry/Registry.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace sd;
using namespace sd::console;
using namespace sd::registry;
using namespace sd::test;

namespace {

const char *const kPingPong = R"({
  "id": "ping-pong", "initial": "idle",
  "states": {
    "idle": { "on": { "START": "ping" } },
    "ping": { "entry": "sendPing", "on": { "PONG": "pong" }, "after": { "1000": "timeout" } },
    "pong": { "entry": "sendPong", "on": { "PING": "ping" }, "after": { "1000": "timeout" } },
    "timeout": { "type": "final" }
  }
})";

int rowOf(const QAbstractItemModel &m, const QString &id)
{
    for (int r = 0; r < m.rowCount(); ++r)
        if (m.index(r, 0).data().toString() == id)
            return r;
    return -1;
}

Tone toneAt(const QAbstractItemModel &m, int row, int column)
{
    return Tone(m.index(row, column).data(ToneRole).toInt());
}

} // namespace

class TestConsoleMachines : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testMachinesModel()
    {
        RedisTestServer server({QStringLiteral("--notify-keyspace-events"), QStringLiteral("Ex")});
        QVERIFY(server.start());
        QVERIFY(loadRegistryDump(server));
        // Stale for the whole test, not dead after the dump's 30 s.
        QCOMPARE(server.command({"EXPIRE", "xstatenet:heartbeat:ping-pong-machine", "3600"}), QByteArray(":1"));
        RegistryOptions o;
        RedisRegistryOptions r;
        r.connection.port = server.port();
        o.redis = r;
        o.staleAfterMs = 60000;
        Registry reg(o);
        MachinesModel model(&reg);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        reg.startLive();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2, 10000);
        QCOMPARE(model.columnCount(), 8);
        QCOMPARE(model.headerData(MachinesModel::LivenessColumn, Qt::Horizontal).toString(), QStringLiteral("Liveness"));

        const int order = rowOf(model, QStringLiteral("order-processing"));
        const int ping = rowOf(model, QStringLiteral("ping-pong-machine"));
        QCOMPARE(order, 0);
        QCOMPARE(ping, 1);
        QCOMPARE(model.index(order, MachinesModel::LivenessColumn).data().toString(), QStringLiteral("dead"));
        QCOMPARE(toneAt(model, order, MachinesModel::LivenessColumn), Tone::Error);
        QCOMPARE(toneAt(model, order, MachinesModel::StatusColumn), Tone::Error); // Unhealthy
        QCOMPARE(model.index(ping, MachinesModel::LivenessColumn).data().toString(), QStringLiteral("stale"));
        QCOMPARE(toneAt(model, ping, MachinesModel::LivenessColumn), Tone::Warning);
        QCOMPARE(toneAt(model, ping, MachinesModel::HeartbeatColumn), Tone::Warning);
        QCOMPARE(model.index(ping, MachinesModel::StateColumn).data().toString(), QStringLiteral("ping"));
        QCOMPARE(model.index(ping, MachinesModel::StatusColumn).data(MachinesModel::StatusRole).toString(),
                 QStringLiteral("Running"));

        // A machine registers: one row inserted where it sorts, alive.
        QVERIFY(registerMachine(server, QStringLiteral("new-one"), 2, 20000));
        QTRY_VERIFY_WITH_TIMEOUT(server.command({"PUBLISH", "xstatenet:events", R"({"Type":0,"MachineId":"new-one"})"}) != ":0",
                                 10000);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 3, 10000);
        QVERIFY(!inserted.isEmpty());
        const int fresh = rowOf(model, QStringLiteral("new-one"));
        QCOMPARE(fresh, 0);
        QCOMPARE(toneAt(model, fresh, MachinesModel::LivenessColumn), Tone::Good);
        QVERIFY(model.summary().startsWith(QStringLiteral("3 machines: 1 alive, 1 stale, 1 dead")));

        // The age ticks and liveness follows the clock alone: two minutes
        // on, the new machine is stale without any new data.
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        const QString ageBefore = model.index(fresh, MachinesModel::HeartbeatColumn).data().toString();
        const QDateTime later = QDateTime::currentDateTimeUtc().addSecs(120);
        model.setClock([later] { return later; });
        QVERIFY(!changed.isEmpty());
        QCOMPARE(toneAt(model, fresh, MachinesModel::LivenessColumn), Tone::Warning);
        QVERIFY(model.index(fresh, MachinesModel::HeartbeatColumn).data().toString() != ageBefore);
        QVERIFY(model.index(fresh, MachinesModel::HeartbeatColumn).data().toString().startsWith(QLatin1String("2m")));
        model.setClock({});

        // Its heartbeat key expires: dead, through the expiry notification.
        QCOMPARE(server.command({"PEXPIRE", "xstatenet:heartbeat:new-one", "200"}), QByteArray(":1"));
        QTRY_COMPARE_WITH_TIMEOUT(toneAt(model, rowOf(model, QStringLiteral("new-one")), MachinesModel::LivenessColumn),
                                  Tone::Error, 10000);
        QCOMPARE(resets.size(), 0);
    }

    // The words both front ends pass to RegistrySession::open (`:machines
    // redis://… stale=1h prefix=acme`): the threshold and the key prefix
    // reach the registry, and the rows are judged by that threshold. The
    // machine's heartbeat is ten minutes old: stale by the 1 minute
    // default, alive by an hour.
    void testOpenWithOptions_data()
    {
        QTest::addColumn<QString>("words");
        QTest::addColumn<qint64>("staleAfterMs");
        QTest::addColumn<QString>("prefix");
        QTest::addColumn<int>("tone"); // of ping-pong-machine's liveness
        QTest::newRow("defaults") << QString() << qint64(60000) << QStringLiteral("xstatenet") << int(Tone::Warning);
        QTest::newRow("stale=1h prefix=acme")
            << QStringLiteral("stale=1h prefix=acme") << qint64(3600000) << QStringLiteral("acme") << int(Tone::Good);
        QTest::newRow("prefix=acme stale=5m")
            << QStringLiteral("prefix=acme stale=5m") << qint64(300000) << QStringLiteral("acme") << int(Tone::Warning);
        QTest::newRow("stale=15m") << QStringLiteral("stale=15m") << qint64(900000) << QStringLiteral("xstatenet")
                                   << int(Tone::Good);
    }
    void testOpenWithOptions()
    {
        QFETCH(QString, words);
        QFETCH(qint64, staleAfterMs);
        QFETCH(QString, prefix);
        QFETCH(int, tone);
        RedisTestServer server;
        QVERIFY(server.start());
        // The same dump under both prefixes; only the named one has the
        // ten-minute-old heartbeat, the other keeps the dump's year-old one.
        QVERIFY(loadRegistryDump(server));
        QVERIFY(loadRegistryDump(server, QStringLiteral("acme")));
        const QByteArray tenMinutesAgo =
            QByteArray::number(utcToTicks(QDateTime::currentDateTimeUtc().addSecs(-600)));
        QCOMPARE(server.command({"SET", prefix.toUtf8() + ":heartbeat:ping-pong-machine", tenMinutesAgo, "EX", "3600"}),
                 QByteArray("+OK"));
        QCOMPARE(server.command({"HDEL", (prefix == QLatin1String("acme") ? "xstatenet" : "acme") + QByteArray(":machines"),
                                 "order-processing"}),
                 QByteArray(":1"));

        auto session = RegistrySession::open(
            QStringLiteral("redis://127.0.0.1:%1/0 %2").arg(server.port()).arg(words), nullptr);
        QVERIFY2(session.ok(), qPrintable(session.error().toString()));
        Registry *reg = session.value()->registry();
        QCOMPARE(reg->staleAfterMs(), staleAfterMs);
        QVERIFY(reg->redis());
        QCOMPARE(reg->redis()->options().prefix, prefix);

        MachinesModel *model = session.value()->machines();
        QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        session.value()->refresh();
        // The prefix is the one read: the other holds one machine fewer.
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 2, 10000);
        const int ping = rowOf(*model, QStringLiteral("ping-pong-machine"));
        QVERIFY(ping >= 0);
        QCOMPARE(int(toneAt(*model, ping, MachinesModel::LivenessColumn)), tone);
        QCOMPARE(model->index(ping, MachinesModel::LivenessColumn).data().toString(),
                 tone == int(Tone::Good) ? QStringLiteral("alive") : QStringLiteral("stale"));
    }

    void testDefinitionModel()
    {
        DefinitionModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setCurrentState(QStringLiteral("ping"));
        model.setDefinitionJson(kPingPong, QStringLiteral("test"));
        QVERIFY(!model.error());
        QCOMPARE(model.rowCount(), 1);
        const QModelIndex root = model.index(0, 0);
        QCOMPARE(root.data().toString(), QStringLiteral("ping-pong"));
        QCOMPARE(model.index(0, 1).data().toString(), QStringLiteral("initial idle"));
        QCOMPARE(model.rowCount(root), 4); // no transitions of its own, four states
        const QModelIndex ping = model.indexOfState(QStringLiteral("ping"));
        QVERIFY(ping.isValid());
        QCOMPARE(ping.data().toString(), QStringLiteral("ping"));
        QCOMPARE(ping.siblingAtColumn(1).data().toString(), QStringLiteral("entry sendPing"));
        QCOMPARE(model.rowCount(ping), 2);
        QCOMPARE(model.index(0, 0, ping).data().toString(), QStringLiteral("PONG"));
        QCOMPARE(model.index(0, 1, ping).data().toString(), QStringLiteral("→ pong"));
        QCOMPARE(model.index(1, 0, ping).data().toString(), QStringLiteral("after 1000ms"));
        QCOMPARE(model.index(1, 0, ping).data(DefinitionModel::KindRole).toString(), QStringLiteral("transition"));
        QCOMPARE(Tone(model.index(1, 0, ping).data(ToneRole).toInt()), Tone::Muted);
        QCOMPARE(model.indexOfState(QStringLiteral("timeout")).siblingAtColumn(1).data().toString(), QStringLiteral("final"));

        // The current state (and its ancestor, the root) is marked.
        QVERIFY(ping.data(DefinitionModel::CurrentRole).toBool());
        QCOMPARE(Tone(ping.data(ToneRole).toInt()), Tone::Good);
        QVERIFY(root.data(DefinitionModel::CurrentRole).toBool());
        QVERIFY(!model.indexOfState(QStringLiteral("pong")).data(DefinitionModel::CurrentRole).toBool());

        // A transition: only the two states change, no reset.
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setCurrentState(QStringLiteral("pong"));
        QCOMPARE(changed.size(), 2);
        QCOMPARE(resets.size(), 0);
        QVERIFY(model.indexOfState(QStringLiteral("pong")).data(DefinitionModel::CurrentRole).toBool());
        QVERIFY(!ping.data(DefinitionModel::CurrentRole).toBool());
        model.setCurrentState(QStringLiteral("pong"));
        QCOMPARE(changed.size(), 2);
    }

    void testDefinitionModelNestedAndMalformed()
    {
        DefinitionModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setDefinitionJson(R"({"id":"p","type":"parallel","states":{
            "a":{"initial":"x","states":{"x":{"on":{"GO":"y"}},"y":{}}},
            "b":{"initial":"u","states":{"u":{},"v":{}}}}})");
        QVERIFY(!model.error());
        model.setCurrentState(QStringLiteral(R"({"a":"y","b":"u"})"));
        QVERIFY(model.indexOfState(QStringLiteral("a.y")).data(DefinitionModel::CurrentRole).toBool());
        QVERIFY(model.indexOfState(QStringLiteral("b.u")).data(DefinitionModel::CurrentRole).toBool());
        QVERIFY(!model.indexOfState(QStringLiteral("a.x")).data(DefinitionModel::CurrentRole).toBool());
        QCOMPARE(model.index(0, 1).data().toString(), QStringLiteral("parallel"));
        const QModelIndex x = model.indexOfState(QStringLiteral("a.x"));
        QCOMPARE(model.index(0, 1, x).data().toString(), QStringLiteral("→ a.y"));

        model.setDefinitionJson(R"({"id":"m","initial":"a","states":{"a":{"on":{"GO":"b"}}}})", QStringLiteral("cm"));
        QVERIFY(model.error());
        QCOMPARE(model.error()->where, QStringLiteral("cm: $.states.a.on.GO"));
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestConsoleMachines)
#include "tst_console_machines.moc"
