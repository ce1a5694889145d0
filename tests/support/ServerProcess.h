#pragma once

#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace sd::test {

// A free TCP port on 127.0.0.1 (bound and released; the kernel will not hand
// it out again at once).
quint16 freeLoopbackPort();

// A real server (redis-server, etcd, an emulator) run for a test: in its own
// temporary directory, on loopback, stopped when this object goes away, also
// when the test fails halfway. If the test process dies without running
// destructors (qFatal, a crash, a kill by ctest --timeout), the kernel kills
// the server too (PR_SET_PDEATHSIG). Its output goes to <dir>/server.log,
// which failure messages quote.
class ServerProcess {
public:
    ServerProcess(QString program, QStringList arguments);
    ~ServerProcess();
    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;

    // Starts it and waits until `port` on 127.0.0.1 accepts connections.
    // Returns false (and logs why) if it exited or did not listen in time.
    bool start(quint16 port, int timeoutMs = 20000);
    // SIGTERM, then SIGKILL after `graceMs`.
    void stop(int graceMs = 5000);
    // SIGKILL at once, as a crash would.
    void kill();
    bool isRunning() const;
    // The server's process id while it runs, else 0.
    qint64 processId() const;

    QString directory() const { return m_dir.path(); }
    QString log() const;
    void setArguments(QStringList arguments) { m_arguments = std::move(arguments); }

private:
    QString m_program;
    QStringList m_arguments;
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
};

// Whether a TCP connection to 127.0.0.1:port succeeds now.
bool portAcceptsConnections(quint16 port, int timeoutMs = 200);

} // namespace sd::test
