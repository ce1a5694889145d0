#include "Http.h"

#include <QDateTime>
#include <QFile>
#include <QSslKey>
#include <QLocale>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

namespace emu {

namespace {
// The API server's own limit (3 MiB); anything bigger is refused with 413
// before it is buffered further.
constexpr qsizetype kMaxBody = 3 * 1024 * 1024;
constexpr qsizetype kMaxHeader = 1024 * 1024;

QByteArray httpDate()
{
    return QLocale::c()
        .toString(QDateTime::currentDateTimeUtc(), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"))
        .toLatin1();
}
} // namespace

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

HttpExchange::HttpExchange(HttpConnection *connection) : QObject(connection), m_connection(connection) {}

static QByteArray headBlock(int status, const QByteArray &contentType,
                            const QList<QPair<QByteArray, QByteArray>> &extra)
{
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    head += "Cache-Control: no-cache, private\r\n";
    if (!contentType.isEmpty())
        head += "Content-Type: " + contentType + "\r\n";
    head += "Date: " + httpDate() + "\r\n";
    for (const auto &h : extra)
        head += h.first + ": " + h.second + "\r\n";
    return head;
}

void HttpExchange::send(int status, const QByteArray &contentType, const QByteArray &body,
                        const QList<QPair<QByteArray, QByteArray>> &extraHeaders)
{
    if (m_started || !m_connection)
        return;
    m_started = true;
    m_finished = true;
    QByteArray head = headBlock(status, contentType, extraHeaders);
    head += "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n";
    m_connection->rawWrite(head + body);
    m_connection->exchangeFinished();
}

void HttpExchange::startStream(int status, const QByteArray &contentType,
                               const QList<QPair<QByteArray, QByteArray>> &extraHeaders)
{
    if (m_started || !m_connection)
        return;
    m_started = true;
    QByteArray head = headBlock(status, contentType, extraHeaders);
    head += "Transfer-Encoding: chunked\r\n\r\n";
    m_connection->rawWrite(head);
}

void HttpExchange::writeChunk(const QByteArray &data)
{
    if (!m_started || m_finished || !m_connection || data.isEmpty())
        return;
    m_connection->rawWrite(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
}

void HttpExchange::writeChunk(const std::string &data)
{
    writeChunk(QByteArray::fromRawData(data.data(), qsizetype(data.size())));
}

void HttpExchange::endStream()
{
    if (!m_started || m_finished || !m_connection)
        return;
    m_finished = true;
    m_connection->rawWrite("0\r\n\r\n");
    m_connection->exchangeFinished();
}

void HttpExchange::abort()
{
    if (m_connection)
        m_connection->socket()->abort();
}

qint64 HttpExchange::pendingBytes() const
{
    if (!m_connection)
        return 0;
    auto *ssl = qobject_cast<QSslSocket *>(m_connection->socket());
    return ssl ? ssl->encryptedBytesToWrite() + ssl->bytesToWrite() : m_connection->socket()->bytesToWrite();
}

bool HttpExchange::isOpen() const
{
    return m_connection && m_connection->socket()->state() == QAbstractSocket::ConnectedState;
}

HttpConnection::HttpConnection(QTcpSocket *socket, HttpHandler handler, QObject *parent)
    : QObject(parent), m_socket(socket), m_handler(std::move(handler))
{
    m_socket->setParent(this);
    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, [this] {
        if (m_current)
            Q_EMIT m_current->closed();
        deleteLater();
    });
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError) {
        if (m_socket->state() != QAbstractSocket::ConnectedState) {
            if (m_current)
                Q_EMIT m_current->closed();
            deleteLater();
        }
    });
    connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
        if (m_current && m_socket->bytesToWrite() < 256 * 1024)
            Q_EMIT m_current->drained();
    });
    if (auto *ssl = qobject_cast<QSslSocket *>(m_socket)) {
        connect(ssl, &QSslSocket::encryptedBytesWritten, this, [this, ssl] {
            if (m_current && ssl->encryptedBytesToWrite() + ssl->bytesToWrite() < 256 * 1024)
                Q_EMIT m_current->drained();
        });
    }
    if (m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
}

HttpConnection::~HttpConnection()
{
    if (m_current)
        Q_EMIT m_current->closed();
}

void HttpConnection::rawWrite(const QByteArray &data)
{
    if (m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->write(data);
}

void HttpConnection::fail(int status, const QByteArray &message)
{
    // The API server's own answer to an oversized body is a Status object.
    const bool tooLarge = status == 413;
    QByteArray body = message + '\n';
    if (tooLarge)
        body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")" + message
            + R"(","reason":"RequestEntityTooLarge","code":413})";
    const QByteArray type = tooLarge ? "application/json" : "text/plain; charset=utf-8";
    rawWrite("HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\nContent-Type: " + type
             + "\r\nConnection: close\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    m_buffer.clear();
    if (m_discard > 0) {
        // Read the rest of the body before closing, so the client, still
        // sending, sees the answer instead of a reset connection. Bounded
        // in time in case it never finishes.
        QTimer::singleShot(10000, m_socket, [socket = m_socket] { socket->disconnectFromHost(); });
        return;
    }
    m_socket->disconnectFromHost();
}

void HttpConnection::onReadyRead()
{
    if (m_discard > 0) {
        m_discard -= m_socket->readAll().size();
        if (m_discard <= 0)
            m_socket->disconnectFromHost();
        return;
    }
    m_buffer += m_socket->readAll();
    processBuffer();
}

void HttpConnection::exchangeFinished()
{
    if (m_current) {
        m_current->deleteLater();
        m_current = nullptr;
    }
    if (m_closeAfter) {
        m_socket->disconnectFromHost();
        return;
    }
    // Pipelined requests wait in the buffer until the previous answer is done.
    if (!m_buffer.isEmpty())
        QMetaObject::invokeMethod(this, &HttpConnection::processBuffer, Qt::QueuedConnection);
}

bool HttpConnection::parseOne(HttpRequest &request, bool &bad)
{
    bad = false;
    const qsizetype headEnd = m_buffer.indexOf("\r\n\r\n");
    if (headEnd < 0) {
        if (m_buffer.size() > kMaxHeader)
            bad = true;
        return false;
    }
    const QList<QByteArray> lines = m_buffer.left(headEnd).split('\n');
    const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
    if (first.size() != 3 || !first[2].startsWith("HTTP/1.")) {
        bad = true;
        return false;
    }
    request.method = first[0];
    request.target = first[1];
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        request.headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed());
    }
    qsizetype bodyStart = headEnd + 4;
    if (request.header("transfer-encoding").toLower().contains("chunked")) {
        expectContinue(request);
        QByteArray body;
        qsizetype pos = bodyStart;
        for (;;) {
            const qsizetype lineEnd = m_buffer.indexOf("\r\n", pos);
            if (lineEnd < 0)
                return false;
            bool ok = false;
            const qsizetype size = m_buffer.mid(pos, lineEnd - pos).split(';').value(0).trimmed().toLongLong(&ok, 16);
            if (!ok || size < 0) {
                bad = true;
                return false;
            }
            if (body.size() + size > kMaxBody) {
                m_tooLarge = true;
                return false;
            }
            if (m_buffer.size() < lineEnd + 2 + size + 2)
                return false;
            if (size == 0) {
                // Trailers are not used by any client we serve; skip to the blank line.
                const qsizetype end = m_buffer.indexOf("\r\n", lineEnd + 2);
                if (end < 0)
                    return false;
                pos = end + 2;
                break;
            }
            body += m_buffer.mid(lineEnd + 2, size);
            pos = lineEnd + 2 + size + 2;
        }
        request.body = body;
        m_buffer.remove(0, pos);
    } else {
        bool ok = true;
        const QByteArray lengthText = request.header("content-length");
        const qsizetype length = lengthText.isEmpty() ? 0 : lengthText.toLongLong(&ok);
        if (!ok || length < 0) {
            bad = true;
            return false;
        }
        if (length > kMaxBody) {
            m_tooLarge = true;
            m_discard = bodyStart + length - m_buffer.size();
            return false;
        }
        if (m_buffer.size() < bodyStart + length) {
            expectContinue(request);
            return false;
        }
        request.body = m_buffer.mid(bodyStart, length);
        m_buffer.remove(0, bodyStart + length);
    }
    const qsizetype q = request.target.indexOf('?');
    request.path = QUrl::fromPercentEncoding(q < 0 ? request.target : request.target.left(q));
    if (q >= 0)
        request.query = QUrlQuery(QString::fromUtf8(request.target.mid(q + 1)));
    m_closeAfter = request.header("connection").toLower() == "close" || first[2] == "HTTP/1.0";
    m_continueSent = false;
    return true;
}

// curl asks before sending bodies over 1 MiB; answering at once saves it a
// one-second wait.
void HttpConnection::expectContinue(const HttpRequest &request)
{
    if (!m_continueSent && request.header("expect").toLower() == "100-continue") {
        m_continueSent = true;
        rawWrite("HTTP/1.1 100 Continue\r\n\r\n");
    }
}

void HttpConnection::processBuffer()
{
    // Bounded: each round consumes one request from the buffer.
    while (!m_current && !m_buffer.isEmpty() && m_socket->state() == QAbstractSocket::ConnectedState) {
        HttpRequest request;
        bool bad = false;
        if (!parseOne(request, bad)) {
            if (m_tooLarge)
                fail(413, "Request entity too large: limit is 3145728");
            else if (bad)
                fail(400, "malformed HTTP request");
            return;
        }
        if (auto *ssl = qobject_cast<QSslSocket *>(m_socket)) {
            // QueryPeer lets a certificate that failed verification through
            // the handshake; such a certificate authenticates nobody.
            if (!ssl->peerCertificate().isNull() && ssl->sslHandshakeErrors().isEmpty())
                request.clientCertificate = ssl->peerCertificate();
        }
        m_current = new HttpExchange(this);
        m_handler(request, m_current);
    }
}

HttpServer::HttpServer(HttpHandler handler, QObject *parent) : QObject(parent), m_handler(std::move(handler)) {}

bool HttpServer::listen(const QHostAddress &address, quint16 port, const QSslConfiguration *tls, QString *error)
{
    if (tls) {
        auto server = std::make_unique<QSslServer>();
        server->setSslConfiguration(*tls);
        m_server = std::move(server);
    } else {
        m_server = std::make_unique<QTcpServer>();
    }
    connect(m_server.get(), &QTcpServer::pendingConnectionAvailable, this, &HttpServer::onPending);
    if (!m_server->listen(address, port)) {
        if (error)
            *error = m_server->errorString();
        return false;
    }
    return true;
}

quint16 HttpServer::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

void HttpServer::onPending()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection())
        new HttpConnection(socket, m_handler, this);
}

bool loadTlsConfiguration(const QString &certFile, const QString &keyFile, QSslConfiguration *tls, QString *error)
{
    QFile cert(certFile);
    QFile key(keyFile);
    if (!cert.open(QIODevice::ReadOnly) || !key.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("--tls-port needs readable --cert and --key");
        return false;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromData(cert.readAll(), QSsl::Pem);
    const QByteArray keyPem = key.readAll();
    QSslKey privateKey(keyPem, QSsl::Ec, QSsl::Pem);
    if (privateKey.isNull())
        privateKey = QSslKey(keyPem, QSsl::Rsa, QSsl::Pem);
    if (chain.isEmpty() || privateKey.isNull()) {
        *error = QStringLiteral("cannot load the certificate or key");
        return false;
    }
    *tls = QSslConfiguration::defaultConfiguration();
    tls->setLocalCertificateChain(chain);
    tls->setPrivateKey(privateKey);
    tls->setPeerVerifyMode(QSslSocket::VerifyNone);
    tls->setAllowedNextProtocols({QByteArrayLiteral("http/1.1")});
    return true;
}

} // namespace emu
