#pragma once

// A TCP proxy on loopback that fails the way networks and servers do: it
// resets every connection, refuses new ones, or loses the answer to a
// request the server has already carried out.

#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

#include <algorithm>

#include <functional>
#include <memory>

namespace sd::test {

// HTTP/2 frames (RFC 9113, section 4.1) read off a byte stream as it
// passes: a 9-byte header (payload length, type, flags, stream) and the
// payload. A connection from the client begins with the 24-byte preface.
class Http2Frames {
public:
    struct Frame {
        quint8 type = 0; // 0 DATA, 1 HEADERS
        quint32 stream = 0;
        QByteArray bytes; // header and payload, as they came
        QByteArray payload() const { return bytes.mid(9); }
    };
    static constexpr qsizetype kPrefaceBytes = 24;
    static bool isPreface(const QByteArray &start) { return start.startsWith("PRI * HTTP/2.0\r\n"); }

    explicit Http2Frames(qsizetype skip = 0) : m_skip(skip) {}

    // The preface bytes (once) and the frames `bytes` completes, in order;
    // the rest waits for more.
    QList<Frame> feed(const QByteArray &bytes, QByteArray *preface = nullptr)
    {
        m_buffer += bytes;
        QList<Frame> frames;
        if (m_skip > 0) {
            const qsizetype n = std::min(m_skip, m_buffer.size());
            if (preface)
                *preface += m_buffer.left(n);
            m_buffer.remove(0, n);
            m_skip -= n;
        }
        while (m_buffer.size() >= 9) {
            const auto *h = reinterpret_cast<const uchar *>(m_buffer.constData());
            const qsizetype length = (qsizetype(h[0]) << 16) | (qsizetype(h[1]) << 8) | qsizetype(h[2]);
            if (m_buffer.size() < 9 + length)
                break;
            Frame f;
            f.type = h[3];
            f.stream = ((quint32(h[5]) << 24) | (quint32(h[6]) << 16) | (quint32(h[7]) << 8) | quint32(h[8])) & 0x7fffffffu;
            f.bytes = m_buffer.left(9 + length);
            m_buffer.remove(0, 9 + length);
            frames << f;
        }
        return frames;
    }

private:
    qsizetype m_skip;
    QByteArray m_buffer;
};

// Forwards loopback TCP connections to a target port. setUp(false) resets
// every open connection and refuses new ones until setUp(true).
// cutAnswerTo(marker) loses the answer to the next request that contains
// `marker`: the request reaches the target, which carries it out, and the
// client's connection is reset instead of getting the answer. HTTP/1 and
// HTTP/2 (gRPC) alike: over HTTP/2 the marker is looked for in DATA frames
// (a gRPC request's message, say a key it names), and the connection is cut
// when the answer's first frame on that stream comes, so other streams'
// frames (flow control, pings, other calls) pass as before.
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
            auto conn = std::make_shared<Connection>();
            auto forward = [this, client, upstream, conn] {
                const QByteArray request = client->readAll();
                if (!conn->decided && !request.isEmpty()) {
                    conn->decided = true;
                    conn->http2 = Http2Frames::isPreface(request);
                }
                if (conn->http2) {
                    for (const Http2Frames::Frame &f : conn->fromClient.feed(request))
                        if (f.type == 0 && !m_marker.isEmpty() && f.payload().contains(m_marker)) {
                            m_marker.clear();
                            conn->armed = true;
                            conn->armedStream = f.stream;
                        }
                } else if (!m_marker.isEmpty() && request.contains(m_marker)) {
                    m_marker.clear();
                    conn->armed = true;
                }
                upstream->write(request);
            };
            QObject::connect(upstream, &QTcpSocket::connected, client, [client, upstream, forward] {
                QObject::connect(client, &QTcpSocket::readyRead, upstream, forward);
                if (client->bytesAvailable())
                    forward();
            });
            QObject::connect(upstream, &QTcpSocket::readyRead, client, [this, client, upstream, conn] {
                const QByteArray answer = upstream->readAll();
                if (!conn->http2) {
                    if (conn->armed)
                        return cutAnswer(client);
                    client->write(answer);
                    return;
                }
                // Whole frames only, so the one that answers the marked
                // request is never half through.
                QByteArray out;
                for (const Http2Frames::Frame &f : conn->fromServer.feed(answer)) {
                    if (conn->armed && f.stream == conn->armedStream && (f.type == 0 || f.type == 1)) {
                        client->write(out);
                        return cutAnswer(client);
                    }
                    out += f.bytes;
                }
                client->write(out);
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

    // What one connection's bytes are, and whether its answer is to be lost.
    struct Connection {
        bool decided = false;
        bool http2 = false;
        Http2Frames fromClient{Http2Frames::kPrefaceBytes};
        Http2Frames fromServer;
        bool armed = false;
        quint32 armedStream = 0;
    };

    void cutAnswer(QTcpSocket *client)
    {
        ++m_cut;
        if (m_beforeCut)
            m_beforeCut();
        if (m_downAfterCut)
            setUp(false);
        else
            reset(client);
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
