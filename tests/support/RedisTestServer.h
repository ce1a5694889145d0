#pragma once

#include "ServerProcess.h"
#include "config/StoreSpec.h"

#include <QStandardPaths>
#include <QTcpSocket>

#include <memory>

namespace sd::test {

// A redis-server for a test: loopback, a free port, no persistence, in its
// own temporary directory (ServerProcess stops it, also on failure).
class RedisTestServer {
public:
    explicit RedisTestServer(QStringList extraArgs = {}) : m_extra(std::move(extraArgs)) {}

    bool start()
    {
        m_port = freeLoopbackPort();
        m_server = std::make_unique<ServerProcess>(QStandardPaths::findExecutable(QStringLiteral("redis-server")),
                                                   arguments());
        return m_server->start(m_port);
    }
    // Same port, same arguments: what a restart by an operator looks like.
    bool restart()
    {
        m_server->stop();
        m_server->setArguments(arguments());
        return m_server->start(m_port);
    }
    void kill() { m_server->kill(); }
    void stop() { m_server->stop(); }
    quint16 port() const { return m_port; }
    QString log() const { return m_server ? m_server->log() : QString(); }

    StoreSpec spec(int database = 0) const
    {
        StoreSpec s;
        s.backend = QStringLiteral("redis");
        s.options.insert(QStringLiteral("host"), QStringLiteral("127.0.0.1"));
        s.options.insert(QStringLiteral("port"), int(m_port));
        s.options.insert(QStringLiteral("database"), database);
        return s;
    }

    // Runs one command synchronously (test set-up only; the provider never
    // blocks). Returns the raw first reply line, e.g. "+OK".
    QByteArray command(const QList<QByteArray> &argv, const QByteArray &password = {}) const
    {
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        if (!s.waitForConnected(5000))
            return {};
        auto send = [&](const QList<QByteArray> &a) {
            QByteArray out = "*" + QByteArray::number(a.size()) + "\r\n";
            for (const QByteArray &x : a)
                out += "$" + QByteArray::number(x.size()) + "\r\n" + x + "\r\n";
            s.write(out);
        };
        if (!password.isEmpty()) {
            send({"AUTH", password});
            if (!s.waitForReadyRead(5000))
                return {};
            s.readLine();
        }
        send(argv);
        if (!s.waitForReadyRead(5000))
            return {};
        return s.readLine().trimmed();
    }

    // GET through a plain socket: the bytes exactly as Redis holds them.
    QByteArray rawGet(const QByteArray &key) const
    {
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        if (!s.waitForConnected(5000))
            return {};
        s.write("*2\r\n$3\r\nGET\r\n$" + QByteArray::number(key.size()) + "\r\n" + key + "\r\n");
        QByteArray buf;
        for (int i = 0; i < 100 && s.waitForReadyRead(5000); ++i) {
            buf += s.readAll();
            const qsizetype eol = buf.indexOf("\r\n");
            if (eol < 0 || !buf.startsWith('$'))
                continue;
            const int len = buf.mid(1, eol - 1).toInt();
            if (buf.size() >= eol + 2 + len + 2)
                return buf.mid(eol + 2, len);
        }
        return {};
    }

private:
    QStringList arguments() const
    {
        return QStringList{QStringLiteral("--port"), QString::number(m_port), QStringLiteral("--bind"),
                           QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                           QStringLiteral("--appendonly"), QStringLiteral("no")} +
               m_extra;
    }

    QStringList m_extra;
    quint16 m_port = 0;
    std::unique_ptr<ServerProcess> m_server;
};

} // namespace sd::test
