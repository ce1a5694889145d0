#include "ServerProcess.h"
#include "TestSupport.h"

#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTest>

#include <csignal>

using namespace sd::test;

namespace {

// Whether the process runs: it exists and is not a zombie (an orphan's
// zombie lingers until init reaps it, and still answers kill(pid, 0)).
bool running(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = stat.readAll();
    const qsizetype close = text.lastIndexOf(')'); // the name may hold spaces
    return close > 0 && text.size() > close + 2 && text.at(close + 2) != 'Z' && text.at(close + 2) != 'X';
}

} // namespace

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
    // A test that dies without running destructors (killed by ctest
    // --timeout, crashed, or stopped by qFatal) takes its servers with it:
    // sd-server-starter starts one through the fixtures and is then killed.
    void testServerDiesWithItsTest_data()
    {
        QTest::addColumn<QString>("server");
        QTest::addColumn<QString>("death");
        QTest::newRow("redis, kill -9") << "redis" << "kill";
        QTest::newRow("redis, qFatal") << "redis" << "fatal";
        QTest::newRow("etcd, kill -9") << "etcd" << "kill";
    }
    void testServerDiesWithItsTest()
    {
        QFETCH(QString, server);
        QFETCH(QString, death);
        const QString helper = builtProgram(QStringLiteral("sd-server-starter"));
        QVERIFY2(!helper.isEmpty(), "sd-server-starter was not built");
        QProcess starter;
        starter.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        starter.start(helper, {server});
        QVERIFY(starter.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(starter.canReadLine() || starter.state() == QProcess::NotRunning, 30000);
        const QList<QByteArray> fields = starter.readLine().trimmed().split(' ');
        QCOMPARE(fields.size(), 2);
        const qint64 pid = fields[0].toLongLong();
        const auto port = quint16(fields[1].toUInt());
        QVERIFY(pid > 0);
        QVERIFY(running(pid));
        QVERIFY(portAcceptsConnections(port, 1000));
        // Whatever the outcome, this test leaves no server behind.
        const auto reap = qScopeGuard([pid] {
            if (running(pid))
                ::kill(pid_t(pid), SIGKILL);
        });

        if (death == QLatin1String("kill"))
            ::kill(pid_t(starter.processId()), SIGKILL);
        else
            starter.write("fatal\n");
        QVERIFY(starter.waitForFinished(10000));
        QCOMPARE(starter.exitStatus(), QProcess::CrashExit);
        QTRY_VERIFY_WITH_TIMEOUT(!running(pid), 10000);
        // The kernel releases a dead process's sockets a moment after it
        // becomes a zombie (the last close of a file is deferred work).
        QTRY_VERIFY_WITH_TIMEOUT(!portAcceptsConnections(port, 200), 5000);
    }

    void testProgramThatNeverListensIsReported()
    {
        ServerProcess sleeper(QStringLiteral("sleep"), {QStringLiteral("30")});
        QVERIFY(!sleeper.start(freeLoopbackPort(), 300));
    }
};

QTEST_GUILESS_MAIN(TestServerProcess)
#include "tst_serverprocess.moc"
