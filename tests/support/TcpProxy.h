#pragma once

// A TCP proxy on loopback that fails the way networks and servers do: it
// resets every connection, refuses new ones, or loses the answer to a
// request the server has already carried out.

#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

#include <functional>
#include <memory>

namespace sd::test {

// Forwards loopback TCP connections to a target port. setUp(false) resets
// every open connection and refuses new ones until setUp(true).
// cutAnswerTo(marker) loses the answer to the next request that contains
// `marker`: the request reaches the target, which carries it out, and the
// client's connection is reset instead of getting the answer.
class TcpProxy {
public:
    explicit TcpProxy(quint16 target) : m_target(target)
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] { accept(); });
    }
    ~TcpProxy() { cut(); }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    int connectionsAccepted() const { return m_accepted; }

    void setUp(bool up)
    {
        m_up = up;
        if (!up)
            cut();
    }

    // Loses the answer to the next request whose bytes contain `marker`
    // (say "POST /v3/kv/txn"). `before` runs just before the cut (say, to
    // change the key behind the client's back). With `goDown` the proxy then
    // refuses connections, as a server that dies right after doing the work
    // would; otherwise only that connection is reset.
    void cutAnswerTo(const QByteArray &marker, bool goDown = false, std::function<void()> before = {})
    {
        m_marker = marker;
        m_downAfterCut = goDown;
        m_beforeCut = std::move(before);
    }
    int answersCut() const { return m_cut; }

private:
    void accept()
    {
        while (QTcpSocket *client = m_server.nextPendingConnection()) {
            if (!m_up) {
                client->abort();
                client->deleteLater();
                continue;
            }
            ++m_accepted;
            auto *upstream = new QTcpSocket(client);
            m_clients << client;
            // Whether the answer coming back on this connection is to be lost.
            auto armed = std::make_shared<bool>(false);
            auto forward = [this, client, upstream, armed] {
                const QByteArray request = client->readAll();
                if (!m_marker.isEmpty() && request.contains(m_marker)) {
                    m_marker.clear();
                    *armed = true;
                }
                upstream->write(request);
            };
            QObject::connect(upstream, &QTcpSocket::connected, client, [client, upstream, forward] {
                QObject::connect(client, &QTcpSocket::readyRead, upstream, forward);
                if (client->bytesAvailable())
                    forward();
            });
            QObject::connect(upstream, &QTcpSocket::readyRead, client, [this, client, upstream, armed] {
                const QByteArray answer = upstream->readAll();
                if (*armed) {
                    ++m_cut;
                    if (m_beforeCut)
                        m_beforeCut();
                    if (m_downAfterCut)
                        setUp(false);
                    else
                        reset(client);
                    return;
                }
                client->write(answer);
            });
            QObject::connect(upstream, &QTcpSocket::disconnected, client, [client] { client->disconnectFromHost(); });
            QObject::connect(client, &QTcpSocket::disconnected, client, [this, client, upstream] {
                upstream->disconnectFromHost();
                m_clients.removeAll(client);
                client->deleteLater();
            });
            upstream->connectToHost(QHostAddress::LocalHost, m_target);
        }
    }

    // RST: the client sees the connection drop mid-stream.
    void reset(QTcpSocket *c)
    {
        m_clients.removeAll(c);
        // The rest of an answer being cut must not reach the client either.
        for (QTcpSocket *upstream : c->findChildren<QTcpSocket *>(QString(), Qt::FindDirectChildrenOnly)) {
            upstream->disconnect();
            upstream->abort();
        }
        c->disconnect();
        c->abort();
        c->deleteLater();
    }

    void cut()
    {
        const auto clients = m_clients;
        for (QTcpSocket *c : clients)
            reset(c);
    }

    QTcpServer m_server;
    quint16 m_target;
    bool m_up = true;
    int m_accepted = 0;
    QByteArray m_marker;
    int m_cut = 0;
    bool m_downAfterCut = false;
    std::function<void()> m_beforeCut;
    QList<QTcpSocket *> m_clients;
};

inline quint16 portOf(const QString &url)
{
    return quint16(QUrl(url).port());
}

} // namespace sd::test
