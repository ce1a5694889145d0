#include "RegistryFixtures.h"
#include "registry/Registry.h"

#include <QSignalSpy>
#include <QTest>

using namespace sd;
using namespace sd::registry;
using namespace sd::test;

namespace {

RegistryOptions optionsFor(const RedisTestServer &server, const QString &prefix = QStringLiteral("xstatenet"))
{
    RedisRegistryOptions r;
    r.connection.port = server.port();
    r.prefix = prefix;
    r.pollIntervalMs = 300;
    // Longer than any test waits: what a test sees came from a notification.
    r.refreshIntervalMs = 600000;
    RegistryOptions o;
    o.redis = r;
    return o;
}

Machine machineOf(const Registry &reg, const QString &id)
{
    return reg.machine(id).value_or(Machine{});
}

Liveness livenessOf(const Registry &reg, const QString &id)
{
    const auto m = reg.machine(id);
    return m ? m->liveness(QDateTime::currentDateTimeUtc(), reg.staleAfterMs()) : Liveness::Unknown;
}

} // namespace

// The registry as XStateNet's RedisStateMachineRegistry writes it, read from
// a real redis-server: PascalCase JSON with numeric enums, heartbeats in .NET
// ticks with a TTL, status names, metadata; live updates from the registry's
// channel and from expiry notifications, and polling where the server does
// not announce expiry.
class TestRegistryRedis : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testFixtureDump()
    {
        RedisTestServer server;
        QVERIFY(server.start());
        QVERIFY(loadRegistryDump(server));
        // A field this version of statedeck does not know is kept and shown.
        QVERIFY(registerMachine(server, QStringLiteral("worker-9"), 3, 30000, QStringLiteral("xstatenet"),
                                ",\"Zone\":\"eu-west-1\""));

        Registry reg(optionsFor(server));
        QSignalSpy refreshed(&reg, &Registry::refreshed);
        reg.refresh();
        QVERIFY(refreshed.wait(10000));
        QVERIFY2(reg.errors().isEmpty(), qPrintable(reg.errors().value(0).toString()));
        const QList<Machine> all = reg.machines();
        QCOMPARE(all.size(), 3);
        QCOMPARE(all[0].id, QStringLiteral("order-processing"));
        QCOMPARE(all[1].id, QStringLiteral("ping-pong-machine"));

        const QDateTime now = QDateTime::currentDateTimeUtc();
        const Machine ping = machineOf(reg, QStringLiteral("ping-pong-machine"));
        QVERIFY(ping.redis);
        QCOMPARE(ping.status(), QStringLiteral("Running"));
        QCOMPARE(ping.currentState(), QStringLiteral("ping"));
        QCOMPARE(ping.node(), QStringLiteral("node-a"));
        QCOMPARE(ping.redis->info["Tags"]["role"], Json("worker"));
        // The heartbeat key holds 2025-10-01T08:30:10.765Z in ticks: alive as
        // a key, far older than a minute.
        QVERIFY(ping.redis->heartbeat.has_value());
        QCOMPARE(ping.redis->heartbeat->toString(Qt::ISODateWithMs), QStringLiteral("2025-10-01T08:30:10.765Z"));
        QVERIFY(ping.redis->heartbeatTtlMs > 0 && ping.redis->heartbeatTtlMs <= 30000);
        QCOMPARE(ping.liveness(now, reg.staleAfterMs()), Liveness::Stale);

        // No heartbeat key: dead, aged from the JSON's LastHeartbeat; the
        // status key (Unhealthy) wins over the JSON's number.
        const Machine order = machineOf(reg, QStringLiteral("order-processing"));
        QCOMPARE(order.liveness(now, reg.staleAfterMs()), Liveness::Dead);
        QCOMPARE(order.lastHeartbeat()->toString(Qt::ISODate), QStringLiteral("2025-10-01T08:29:30Z"));
        QCOMPARE(order.status(), QStringLiteral("Unhealthy"));
        QCOMPARE(order.redis->metadata.value_or(Json()), Json({{"owner", "team-x"}}));
        QCOMPARE(order.redis->info["Resources"]["EventsProcessed"], Json(10452));
        QCOMPARE(order.currentState(), QString());

        const Machine worker = machineOf(reg, QStringLiteral("worker-9"));
        QCOMPARE(worker.liveness(now, reg.staleAfterMs()), Liveness::Alive);
        QCOMPARE(worker.status(), QStringLiteral("Paused"));
        const Json shown = worker.toJson(now, reg.staleAfterMs());
        QCOMPARE(shown["redis"]["info"]["Zone"], Json("eu-west-1"));
        QCOMPARE(shown["liveness"], Json("alive"));
        // Reading changed nothing on the server.
        QCOMPARE(server.query({"CONFIG", "GET", "notify-keyspace-events"})->value(1), QByteArray(""));
    }

    // Without a status key the JSON's number is shown by name.
    void testStatusNames_data()
    {
        QTest::addColumn<int>("number");
        QTest::addColumn<QString>("name");
        const QStringList names{QStringLiteral("Stopped"), QStringLiteral("Starting"), QStringLiteral("Running"),
                                QStringLiteral("Paused"), QStringLiteral("Stopping"), QStringLiteral("Error"),
                                QStringLiteral("Unhealthy"), QStringLiteral("Degraded")};
        for (int i = 0; i < int(names.size()); ++i)
            QTest::newRow(qPrintable(names[i])) << i << names[i];
        QTest::newRow("unknown number") << 42 << QStringLiteral("42");
    }
    void testStatusNames()
    {
        QFETCH(int, number);
        QFETCH(QString, name);
        RedisMachine m;
        m.info = Json{{"Status", number}};
        QCOMPARE(m.status(), name);
    }

    void testTicks()
    {
        QCOMPARE(ticksToUtc(638949042107654321LL).toString(Qt::ISODateWithMs), QStringLiteral("2025-10-01T08:30:10.765Z"));
        const QDateTime t = QDateTime::fromString(QStringLiteral("2026-01-02T03:04:05.678Z"), Qt::ISODateWithMs);
        QCOMPARE(ticksToUtc(utcToTicks(t)), t);
        QCOMPARE(parseDotNetTime(QStringLiteral("2025-10-01T08:00:00.1234567Z")).toString(Qt::ISODateWithMs),
                 QStringLiteral("2025-10-01T08:00:00.123Z"));
    }

    // A heartbeat that stops: alive, then stale past the threshold, then dead
    // when Redis expires the key, announced by an expiry notification.
    void testHeartbeatStops()
    {
        RedisTestServer server({QStringLiteral("--notify-keyspace-events"), QStringLiteral("Ex")});
        QVERIFY(server.start());
        QVERIFY(registerMachine(server, QStringLiteral("m1"), 2, 3000));
        RegistryOptions o = optionsFor(server);
        o.staleAfterMs = 1000;
        Registry reg(o);
        QSignalSpy changed(&reg, &Registry::changed);
        reg.startLive();
        QTRY_COMPARE_WITH_TIMEOUT(int(reg.redis()->updates()), int(RedisRegistry::Updates::Live), 10000);
        QVERIFY(reg.redis()->updateNote().contains(QLatin1String("expiry notifications")));
        QTRY_VERIFY_WITH_TIMEOUT(reg.machine(QStringLiteral("m1")).has_value(), 10000);
        // Alive by the minute XStateNet's orchestrator uses.
        QCOMPARE(machineOf(reg, QStringLiteral("m1")).liveness(QDateTime::currentDateTimeUtc(), 60000), Liveness::Alive);
        // Nothing is re-read for staleness: it is the heartbeat's age.
        QTRY_COMPARE_WITH_TIMEOUT(livenessOf(reg, QStringLiteral("m1")), Liveness::Stale, 10000);
        const int before = int(changed.size());
        QTRY_COMPARE_WITH_TIMEOUT(livenessOf(reg, QStringLiteral("m1")), Liveness::Dead, 15000);
        QVERIFY(changed.size() > before);
        QCOMPARE(reg.redis()->updates(), RedisRegistry::Updates::Live);
        // Its row stays, with the age of the last heartbeat it gave.
        QVERIFY(machineOf(reg, QStringLiteral("m1")).heartbeatAgeMs(QDateTime::currentDateTimeUtc()) >= 3000);

        // A heartbeat again (a restarted machine): alive.
        QVERIFY(registerMachine(server, QStringLiteral("m1"), 2, 60000));
        // The server does not announce SETs (flags Ex): the registry event
        // the real code publishes on registration brings it in.
        QTRY_VERIFY_WITH_TIMEOUT(server.command({"PUBLISH", "xstatenet:events", R"({"Type":0,"MachineId":"m1"})"}) != ":0",
                                 10000);
        QTRY_COMPARE_WITH_TIMEOUT(machineOf(reg, QStringLiteral("m1")).liveness(QDateTime::currentDateTimeUtc(), 60000),
                                  Liveness::Alive, 10000);
    }

    // The same with keyspace notifications (K) instead of keyevent ones (E):
    // the registry subscribes to __keyspace@0__:{prefix}:*, so the expiry of
    // m1's heartbeat arrives on its key's channel and turns it dead.
    void testHeartbeatStopsKeyspace_data()
    {
        QTest::addColumn<QString>("flags");
        QTest::addColumn<QString>("note");
        QTest::newRow("Kx") << QStringLiteral("Kx") << QStringLiteral("expiry notifications");
        // $ as well: heartbeat SETs are announced too.
        QTest::newRow("K$x") << QStringLiteral("K$x") << QStringLiteral("keyspace notifications");
    }
    void testHeartbeatStopsKeyspace()
    {
        QFETCH(QString, flags);
        QFETCH(QString, note);
        RedisTestServer server({QStringLiteral("--notify-keyspace-events"), flags});
        QVERIFY(server.start());
        QCOMPARE(server.query({"CONFIG", "GET", "notify-keyspace-events"})->value(1).contains('K'), true);
        QVERIFY(registerMachine(server, QStringLiteral("m1"), 2, 3000));
        RegistryOptions o = optionsFor(server);
        o.staleAfterMs = 1000;
        // Polling would also find the expiry; make it slower than any wait
        // below, so what the test sees came from the notification.
        o.redis->pollIntervalMs = 600000;
        Registry reg(o);
        QSignalSpy changed(&reg, &Registry::changed);
        reg.startLive();
        QTRY_COMPARE_WITH_TIMEOUT(int(reg.redis()->updates()), int(RedisRegistry::Updates::Live), 10000);
        QVERIFY2(reg.redis()->updateNote().contains(note), qPrintable(reg.redis()->updateNote()));
        QTRY_VERIFY_WITH_TIMEOUT(reg.machine(QStringLiteral("m1")).has_value(), 10000);
        QCOMPARE(machineOf(reg, QStringLiteral("m1")).liveness(QDateTime::currentDateTimeUtc(), 60000), Liveness::Alive);
        QTRY_COMPARE_WITH_TIMEOUT(livenessOf(reg, QStringLiteral("m1")), Liveness::Stale, 10000);
        const int before = int(changed.size());
        QTRY_COMPARE_WITH_TIMEOUT(livenessOf(reg, QStringLiteral("m1")), Liveness::Dead, 15000);
        QVERIFY(changed.size() > before);
        QCOMPARE(reg.redis()->updates(), RedisRegistry::Updates::Live);
    }

    // A server that refuses CONFIG GET (managed Redis renames or forbids
    // it): whether expiry is announced is unknown, so the registry polls and
    // says why, naming the refusal.
    void testConfigRefused_data()
    {
        QTest::addColumn<QStringList>("serverArgs");
        QTest::addColumn<QString>("refusal");
        QTest::newRow("CONFIG renamed")
            << QStringList{QStringLiteral("--rename-command"), QStringLiteral("CONFIG"),
                           QStringLiteral("sd-hidden-config")}
            << QStringLiteral("unknown command");
        QTest::newRow("ACL without config")
            << QStringList{QStringLiteral("--user"), QStringLiteral("default"), QStringLiteral("on"),
                           QStringLiteral("nopass"), QStringLiteral("~*"), QStringLiteral("&*"),
                           QStringLiteral("+@all"), QStringLiteral("-config")}
            << QStringLiteral("NOPERM");
    }
    void testConfigRefused()
    {
        QFETCH(QStringList, serverArgs);
        QFETCH(QString, refusal);
        // Expiry would be announced: only the refusal makes the registry poll.
        RedisTestServer server(serverArgs + QStringList{QStringLiteral("--notify-keyspace-events"), QStringLiteral("Ex")});
        QVERIFY(server.start());
        QVERIFY(!server.query({"CONFIG", "GET", "notify-keyspace-events"}).has_value());
        QVERIFY(registerMachine(server, QStringLiteral("m3"), 2, 1500));
        Registry reg(optionsFor(server));
        reg.startLive();
        QTRY_COMPARE_WITH_TIMEOUT(int(reg.redis()->updates()), int(RedisRegistry::Updates::Polling), 10000);
        const QString note = reg.redis()->updateNote();
        QVERIFY2(note.contains(QStringLiteral("127.0.0.1:%1 refused CONFIG GET notify-keyspace-events").arg(server.port())),
                 qPrintable(note));
        QVERIFY2(note.contains(refusal), qPrintable(note));
        QVERIFY2(note.contains(QLatin1String("every 0.3 s")), qPrintable(note));
        QVERIFY2(reg.updateNote().contains(QLatin1String("polling")), qPrintable(reg.updateNote()));
        // Polling still sees the heartbeat expire.
        QTRY_VERIFY_WITH_TIMEOUT(reg.machine(QStringLiteral("m3")).has_value(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(livenessOf(reg, QStringLiteral("m3")), Liveness::Dead, 15000);
    }

    // A RegistryChangeEvent on {prefix}:events arrives and the machine is read again.
    void testChangeEvent()
    {
        RedisTestServer server;
        QVERIFY(server.start());
        QVERIFY(loadRegistryDump(server));
        Registry reg(optionsFor(server));
        QSignalSpy arrived(&reg, &Registry::changeArrived);
        reg.startLive();
        QTRY_VERIFY_WITH_TIMEOUT(reg.machine(QStringLiteral("ping-pong-machine")).has_value(), 10000);
        QCOMPARE(machineOf(reg, QStringLiteral("ping-pong-machine")).status(), QStringLiteral("Running"));

        // UpdateStatusAsync: the status key, the hash, then the event.
        QCOMPARE(server.command({"SET", "xstatenet:status:ping-pong-machine", "Paused"}), QByteArray("+OK"));
        const QByteArray event =
            R"({"Type":2,"MachineId":"ping-pong-machine","MachineInfo":{"MachineId":"ping-pong-machine","Status":3},"Timestamp":"2025-10-01T08:31:00Z"})";
        // Published until the subscription is there to receive it.
        QTRY_VERIFY_WITH_TIMEOUT(server.command({"PUBLISH", "xstatenet:events", event}) != ":0", 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!arrived.isEmpty(), 10000);
        const auto change = arrived.first().first().value<RegistryChange>();
        QCOMPARE(change.type, 2);
        QCOMPARE(change.typeName, QStringLiteral("StatusChanged"));
        QCOMPARE(change.machineId, QStringLiteral("ping-pong-machine"));
        QCOMPARE(change.raw["MachineInfo"]["Status"], Json(3));
        QTRY_COMPARE_WITH_TIMEOUT(machineOf(reg, QStringLiteral("ping-pong-machine")).status(), QStringLiteral("Paused"),
                                  10000);

        // Unregistered: gone from the list.
        QCOMPARE(server.command({"HDEL", "xstatenet:machines", "ping-pong-machine"}), QByteArray(":1"));
        QVERIFY(server.command({"PUBLISH", "xstatenet:events", R"({"Type":1,"MachineId":"ping-pong-machine"})"}) != ":0");
        QTRY_VERIFY_WITH_TIMEOUT(!reg.machine(QStringLiteral("ping-pong-machine")).has_value(), 10000);
    }

    // The server's default (notify-keyspace-events ""): expiry is not
    // announced. The registry says so, reads again on a timer instead, and
    // still sees the heartbeat expire.
    void testWithoutKeyspaceNotifications()
    {
        RedisTestServer server;
        QVERIFY(server.start());
        QVERIFY(registerMachine(server, QStringLiteral("m2"), 2, 1500));
        Registry reg(optionsFor(server));
        reg.startLive();
        QTRY_COMPARE_WITH_TIMEOUT(int(reg.redis()->updates()), int(RedisRegistry::Updates::Polling), 10000);
        const QString note = reg.redis()->updateNote();
        QVERIFY2(note.contains(QLatin1String("notify-keyspace-events is \"\"")), qPrintable(note));
        QVERIFY2(note.contains(QLatin1String("expired heartbeats are not announced")), qPrintable(note));
        QVERIFY2(note.contains(QLatin1String("every 0.3 s")), qPrintable(note));
        QVERIFY2(reg.updateNote().contains(QLatin1String("polling")), qPrintable(reg.updateNote()));
        QTRY_VERIFY_WITH_TIMEOUT(reg.machine(QStringLiteral("m2")).has_value(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(livenessOf(reg, QStringLiteral("m2")), Liveness::Dead, 15000);
        // The server's setting is left as it was.
        QCOMPARE(server.query({"CONFIG", "GET", "notify-keyspace-events"})->value(1), QByteArray(""));
    }

    // The key prefix is configurable.
    void testPrefix()
    {
        RedisTestServer server;
        QVERIFY(server.start());
        QVERIFY(loadRegistryDump(server, QStringLiteral("acme")));
        Registry other(optionsFor(server));
        Registry acme(optionsFor(server, QStringLiteral("acme")));
        QSignalSpy a(&acme, &Registry::refreshed), o(&other, &Registry::refreshed);
        acme.refresh();
        other.refresh();
        QVERIFY(a.wait(10000));
        QVERIFY(o.count() > 0 || o.wait(10000));
        QCOMPARE(acme.machines().size(), 2);
        QCOMPARE(machineOf(acme, QStringLiteral("order-processing")).status(), QStringLiteral("Unhealthy"));
        QCOMPARE(other.machines().size(), 0);
    }

    void testServerDown()
    {
        RedisTestServer server;
        QVERIFY(server.start());
        const quint16 port = server.port();
        server.stop();
        RegistryOptions o = optionsFor(server);
        o.redis->connection.port = port;
        Registry reg(o);
        QSignalSpy refreshed(&reg, &Registry::refreshed);
        reg.refresh();
        QVERIFY(refreshed.wait(15000));
        QCOMPARE(reg.errors().size(), 1);
        QCOMPARE(reg.errors().first().kind, ErrorKind::Unavailable);
        QVERIFY(reg.errors().first().where.contains(QString::number(port)));
    }
};

QTEST_GUILESS_MAIN(TestRegistryRedis)
#include "tst_registry_redis.moc"
