#include "ServerProcess.h"

#include <QStandardPaths>
#include <QTest>

using namespace sd::test;

// The fixture every server-backed suite relies on, against a real
// redis-server: it listens on a free loopback port, and is gone after stop.
class TestServerProcess : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void testStartAndStopRealServer()
    {
        const QString redis = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
        QVERIFY2(!redis.isEmpty(), "redis-server is not installed (scripts/install-deps.sh installs it)");
        const quint16 port = freeLoopbackPort();
        QVERIFY(port > 0);
        ServerProcess server(redis, {QStringLiteral("--port"), QString::number(port), QStringLiteral("--bind"),
                                     QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                                     QStringLiteral("--appendonly"), QStringLiteral("no")});
        QVERIFY(server.start(port));
        QVERIFY(server.isRunning());
        QVERIFY(portAcceptsConnections(port));
        server.stop();
        QVERIFY(!server.isRunning());
        QVERIFY(!portAcceptsConnections(port));
    }
    void testProgramThatNeverListensIsReported()
    {
        ServerProcess sleeper(QStringLiteral("sleep"), {QStringLiteral("30")});
        QVERIFY(!sleeper.start(freeLoopbackPort(), 300));
    }
};

QTEST_GUILESS_MAIN(TestServerProcess)
#include "tst_serverprocess.moc"
