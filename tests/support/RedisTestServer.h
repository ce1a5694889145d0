#pragma once

#include "ServerProcess.h"
#include "config/StoreSpec.h"

#include <QStandardPaths>
#include <QTcpSocket>

#include <memory>
#include <optional>

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
    qint64 processId() const { return m_server ? m_server->processId() : 0; }
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

    // Runs one command synchronously and returns its whole reply: a bulk or
    // simple string or an integer as one element, an array (of strings or
    // integers) as its elements; nullopt on an error reply or no answer.
    std::optional<QList<QByteArray>> query(const QList<QByteArray> &argv, const QByteArray &password = {}) const
    {
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        if (!s.waitForConnected(5000))
            return std::nullopt;
        QList<QList<QByteArray>> commands;
        if (!password.isEmpty())
            commands << QList<QByteArray>{"AUTH", password};
        commands << argv;
        QByteArray out;
        for (const QList<QByteArray> &a : commands) {
            out += "*" + QByteArray::number(a.size()) + "\r\n";
            for (const QByteArray &x : a)
                out += "$" + QByteArray::number(x.size()) + "\r\n" + x + "\r\n";
        }
        s.write(out);
        QByteArray buf;
        for (int i = 0; i < 100; ++i) {
            qsizetype pos = 0;
            std::optional<QList<QByteArray>> reply;
            bool complete = true;
            for (qsizetype c = 0; c < commands.size() && complete; ++c)
                complete = parseReply(buf, pos, &reply);
            if (complete)
                return reply;
            if (!s.waitForReadyRead(5000))
                return std::nullopt;
            buf += s.readAll();
        }
        return std::nullopt;
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
    // One RESP2 reply at `pos` in `buf`; false if it is not all there yet.
    static bool parseReply(const QByteArray &buf, qsizetype &pos, std::optional<QList<QByteArray>> *out)
    {
        auto line = [&](QByteArray *text) {
            const qsizetype eol = buf.indexOf("\r\n", pos);
            if (eol < 0)
                return false;
            *text = buf.mid(pos, eol - pos);
            pos = eol + 2;
            return true;
        };
        auto bulk = [&](const QByteArray &header, QByteArray *text) {
            const int len = header.mid(1).toInt();
            if (len < 0) {
                *text = QByteArray();
                return true;
            }
            if (buf.size() < pos + len + 2)
                return false;
            *text = buf.mid(pos, len);
            pos += len + 2;
            return true;
        };
        QByteArray head;
        if (!line(&head) || head.isEmpty())
            return false;
        switch (head[0]) {
        case '+':
        case ':':
            *out = QList<QByteArray>{head.mid(1)};
            return true;
        case '-':
            *out = std::nullopt;
            return true;
        case '$': {
            QByteArray text;
            if (!bulk(head, &text))
                return false;
            *out = QList<QByteArray>{text};
            return true;
        }
        case '*': {
            QList<QByteArray> items;
            for (int i = 0, n = head.mid(1).toInt(); i < n; ++i) {
                QByteArray header, item;
                if (!line(&header) || header.isEmpty())
                    return false;
                if (header[0] == '$') {
                    if (!bulk(header, &item))
                        return false;
                } else {
                    item = header.mid(1);
                }
                items << item;
            }
            *out = items;
            return true;
        }
        }
        return false;
    }

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
