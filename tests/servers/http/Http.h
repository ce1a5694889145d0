#pragma once

// The HTTP/1.1 server the protocol emulators in tests/servers/ share (the
// Kubernetes and the Firebase one): keep-alive, Content-Length and chunked
// request bodies, and responses that are either complete or streamed as
// chunks.
//
// A small HTTP/1.1 server: keep-alive, Content-Length and chunked request
// bodies, and responses that are either complete or streamed as chunks.
// Watch needs long-lived chunked responses, which is why this is not a
// request/response library with a fixed body.

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QUrlQuery>

#include <functional>
#include <memory>

namespace emu {

struct HttpRequest {
    QByteArray method;
    QByteArray target; // path and query, as sent
    QString path;      // percent-decoded path
    QUrlQuery query;
    QHash<QByteArray, QByteArray> headers; // names lower-cased
    QByteArray body;
    // The TLS client certificate, only when it verified against the CAs of
    // the server's TLS configuration (null otherwise, or over plain HTTP).
    QSslCertificate clientCertificate;

    QByteArray header(const QByteArray &lowerName) const { return headers.value(lowerName); }
    QString queryValue(const QString &name) const
    {
        return query.queryItemValue(name, QUrl::FullyDecoded);
    }
    bool hasQuery(const QString &name) const { return query.hasQueryItem(name); }
};

class HttpConnection;

// A response in progress. A handler either calls send() once, or
// startStream() then any number of writeChunk() and finally endStream().
// Streams may outlive the handler call (watch); the connection owns the
// exchange and tells the producer through onClosed() when the peer goes away.
class HttpExchange : public QObject {
    Q_OBJECT
public:
    explicit HttpExchange(HttpConnection *connection);

    void send(int status, const QByteArray &contentType, const QByteArray &body,
              const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {});
    void startStream(int status, const QByteArray &contentType,
                     const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {});
    void writeChunk(const QByteArray &data);
    void writeChunk(const std::string &data);
    void endStream();
    // Drops the connection at once, as a network failure would (tests of
    // clients that must reconnect).
    void abort();

    // Bytes queued on the socket and not yet sent; producers of big bodies
    // wait for it to drain instead of queueing everything at once.
    qint64 pendingBytes() const;
    bool isOpen() const;

Q_SIGNALS:
    void drained(); // the socket sent what was queued
    void closed();  // the peer closed or the connection failed

private:
    friend class HttpConnection;
    QPointer<HttpConnection> m_connection;
    bool m_started = false;
    bool m_finished = false;
};

using HttpHandler = std::function<void(const HttpRequest &, HttpExchange *)>;

class HttpConnection : public QObject {
    Q_OBJECT
public:
    HttpConnection(QTcpSocket *socket, HttpHandler handler, QObject *parent);
    ~HttpConnection() override;

    QTcpSocket *socket() const { return m_socket; }

private:
    friend class HttpExchange;
    void onReadyRead();
    void processBuffer();
    bool parseOne(HttpRequest &request, bool &bad);
    void exchangeFinished();
    void rawWrite(const QByteArray &data);
    void fail(int status, const QByteArray &message);
    void expectContinue(const HttpRequest &request);

    QTcpSocket *m_socket;
    HttpHandler m_handler;
    QByteArray m_buffer;
    HttpExchange *m_current = nullptr;
    bool m_closeAfter = false;
    bool m_continueSent = false;
    bool m_tooLarge = false;
    qint64 m_discard = 0; // body bytes still to read and drop after a 413
};

// Listens on one address; with a TLS configuration every connection is
// QSslSocket (ALPN offers only http/1.1, so Go clients never try HTTP/2).
// With peer verify mode QueryPeer, clients are asked for a certificate but
// need not send one, as kube-apiserver's tls.RequestClientCert.
class HttpServer : public QObject {
    Q_OBJECT
public:
    explicit HttpServer(HttpHandler handler, QObject *parent = nullptr);
    bool listen(const QHostAddress &address, quint16 port, const QSslConfiguration *tls, QString *error);
    quint16 port() const;

private:
    void onPending();
    HttpHandler m_handler;
    std::unique_ptr<QTcpServer> m_server;
};

QByteArray reasonPhrase(int status);

// A server TLS configuration from a PEM certificate chain and its private key
// (RSA or EC), offering only http/1.1 over ALPN. False with `error` set when
// a file cannot be read or holds no certificate or key.
bool loadTlsConfiguration(const QString &certFile, const QString &keyFile, QSslConfiguration *tls, QString *error);

} // namespace emu
