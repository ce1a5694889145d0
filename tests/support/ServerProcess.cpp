#include "ServerProcess.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <csignal>

#include <sys/prctl.h>
#include <unistd.h>

namespace sd::test {

quint16 freeLoopbackPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

bool portAcceptsConnections(quint16 port, int timeoutMs)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    return socket.waitForConnected(timeoutMs);
}

ServerProcess::ServerProcess(QString program, QStringList arguments)
    : m_program(std::move(program)), m_arguments(std::move(arguments))
{
}

ServerProcess::~ServerProcess()
{
    stop(2000);
}

bool ServerProcess::start(quint16 port, int timeoutMs)
{
    stop();
    m_process = std::make_unique<QProcess>();
    m_process->setWorkingDirectory(m_dir.path());
    m_process->setStandardOutputFile(m_dir.filePath(QStringLiteral("server.log")), QIODevice::Append);
    m_process->setStandardErrorFile(m_dir.filePath(QStringLiteral("server.log")), QIODevice::Append);
    // The destructor stops the server, but a test that dies (qFatal, a
    // crash, ctest's --timeout kill) runs no destructor. The kernel then
    // kills the server with the test: SIGKILL when the thread that started
    // it exits, which for these fixtures is the test's main thread.
    const pid_t parent = ::getpid();
    m_process->setChildProcessModifier([parent] {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        // The parent may have died between fork() and prctl().
        if (::getppid() != parent)
            ::_exit(127);
    });
    m_process->start(m_program, m_arguments);
    if (!m_process->waitForStarted(timeoutMs)) {
        qWarning("cannot start %s: %s", qPrintable(m_program), qPrintable(m_process->errorString()));
        return false;
    }
    QElapsedTimer waited;
    waited.start();
    while (waited.elapsed() < timeoutMs) {
        if (m_process->state() != QProcess::Running) {
            qWarning("%s exited before listening:\n%s", qPrintable(m_program), qPrintable(log()));
            return false;
        }
        if (portAcceptsConnections(port, 100))
            return true;
        QThread::msleep(20);
    }
    qWarning("%s did not listen on 127.0.0.1:%u within %d ms:\n%s", qPrintable(m_program), port, timeoutMs,
             qPrintable(log()));
    return false;
}

void ServerProcess::stop(int graceMs)
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(graceMs)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
    m_process.reset();
}

void ServerProcess::kill()
{
    if (!m_process)
        return;
    m_process->kill();
    m_process->waitForFinished(5000);
    m_process.reset();
}

qint64 ServerProcess::processId() const
{
    return m_process ? m_process->processId() : 0;
}

bool ServerProcess::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

QString ServerProcess::log() const
{
    QFile f(m_dir.filePath(QStringLiteral("server.log")));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray all = f.readAll();
    return QString::fromUtf8(all.right(4000));
}

} // namespace sd::test
