#include "FirebaseTestServer.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QTest>
#include <QUrl>

namespace sd::test {

namespace {

QString randomToken()
{
    QByteArray bytes(24, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
    return QString::fromLatin1(bytes.toHex());
}

} // namespace

QString FirebaseTestServer::makePrivateKey(const QString &dir, const QString &name)
{
    const QString file = QDir(dir).filePath(name + QStringLiteral(".pem"));
    QProcess openssl;
    openssl.setProcessChannelMode(QProcess::MergedChannels);
    openssl.start(QStringLiteral("openssl"), {QStringLiteral("genpkey"), QStringLiteral("-algorithm"),
                                              QStringLiteral("RSA"), QStringLiteral("-pkeyopt"),
                                              QStringLiteral("rsa_keygen_bits:2048"), QStringLiteral("-out"), file});
    if (!openssl.waitForFinished(60000) || openssl.exitStatus() != QProcess::NormalExit || openssl.exitCode() != 0) {
        qWarning("FirebaseTestServer: openssl genpkey failed: %s", openssl.readAll().constData());
        return {};
    }
    QFile pem(file);
    if (!pem.open(QIODevice::ReadOnly))
        return {};
    return QString::fromLatin1(pem.readAll());
}

FirebaseTestServer::FirebaseTestServer() : FirebaseTestServer(Options{}) {}

FirebaseTestServer::FirebaseTestServer(Options options)
    : m_options(std::move(options)),
      m_process(std::make_unique<ServerProcess>(QStringLiteral(SD_FIREBASE_EMULATOR), QStringList{}))
{
}

FirebaseTestServer::~FirebaseTestServer()
{
    stop();
}

QString FirebaseTestServer::directory() const
{
    return m_process->directory();
}

QString FirebaseTestServer::log() const
{
    return m_process->log();
}

QString FirebaseTestServer::baseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_port);
}

QString FirebaseTestServer::serviceAccountFile() const
{
    return QDir(directory()).filePath(QStringLiteral("service-account.json"));
}

bool FirebaseTestServer::start()
{
    stop();
    m_port = freeLoopbackPort();
    if (m_port == 0)
        return false;
    m_adminToken = randomToken();
    m_readonlyToken = randomToken();
    if (m_privateKeyPem.isEmpty())
        m_privateKeyPem = makePrivateKey(directory(), QStringLiteral("service-account-key"));
    if (m_privateKeyPem.isEmpty())
        return false;
    // The JSON key file as the Firebase console hands it out, pointing at
    // this emulator's token endpoint.
    QJsonObject account{{QStringLiteral("type"), QStringLiteral("service_account")},
                        {QStringLiteral("project_id"), QStringLiteral("statedeck-test")},
                        {QStringLiteral("private_key_id"), QStringLiteral("test-key-1")},
                        {QStringLiteral("private_key"), m_privateKeyPem},
                        {QStringLiteral("client_email"), clientEmail()},
                        {QStringLiteral("token_uri"), tokenUri()}};
    QFile file(serviceAccountFile());
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(QJsonDocument(account).toJson()) <= 0)
        return false;
    file.close();
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QStringList args{QStringLiteral("--port"),          QString::number(m_port),
                     QStringLiteral("--admin-token"),   m_adminToken,
                     QStringLiteral("--readonly-token"), m_readonlyToken,
                     QStringLiteral("--service-account"), serviceAccountFile(),
                     QStringLiteral("--token-lifetime"), QString::number(m_options.tokenLifetimeSec),
                     QStringLiteral("--keep-alive-ms"), QString::number(m_options.keepAliveMs),
                     QStringLiteral("--dump"), QDir(directory()).filePath(QStringLiteral("dump.json"))};
    if (!m_options.loadFile.isEmpty())
        args << QStringLiteral("--load") << m_options.loadFile;
    if (!m_options.etagSalt.isEmpty())
        args << QStringLiteral("--etag-salt") << m_options.etagSalt;
    m_process->setArguments(args);
    return m_process->start(m_port);
}

void FirebaseTestServer::stop()
{
    if (m_process && m_process->isRunning())
        m_process->stop();
}

StoreSpec FirebaseTestServer::spec(const QString &ns, const QString &root) const
{
    StoreSpec s;
    s.backend = QStringLiteral("firebase");
    s.origin = url(ns, root);
    s.options.insert(QStringLiteral("databaseUrl"), baseUrl());
    s.options.insert(QStringLiteral("projectId"), ns);
    if (!root.isEmpty())
        s.options.insert(QStringLiteral("root"), root);
    s.options.insert(QStringLiteral("serviceAccount"), serviceAccountFile());
    return s;
}

QString FirebaseTestServer::url(const QString &ns, const QString &root) const
{
    return QStringLiteral("firebase://127.0.0.1:%1%2?ns=%3&tls=false")
        .arg(m_port)
        .arg(root.isEmpty() ? QString() : QLatin1Char('/') + root, ns);
}

std::pair<int, QByteArray> FirebaseTestServer::rest(const QByteArray &method, const QString &ns, const QString &path,
                                                    const QByteArray &body, const QString &query) const
{
    QString p = path;
    while (p.endsWith(QLatin1Char('/')))
        p.chop(1);
    QUrl u(baseUrl() + (p.isEmpty() ? QStringLiteral("/") : p) + QStringLiteral(".json"));
    QString q = QStringLiteral("ns=") + QString::fromLatin1(QUrl::toPercentEncoding(ns)) + QStringLiteral("&auth=")
                + m_adminToken;
    if (!query.isEmpty())
        q += QLatin1Char('&') + query;
    u.setQuery(q, QUrl::StrictMode);
    QNetworkAccessManager nam;
    QNetworkRequest request(u);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = nam.sendCustomRequest(request, method, body);
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 60000)) {
        reply->abort();
        delete reply;
        return {0, QByteArray("no answer")};
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray out = reply->readAll();
    delete reply;
    return {status, out};
}

bool FirebaseTestServer::emulatorAction(const QString &action) const
{
    QNetworkAccessManager nam;
    QNetworkRequest request(QUrl(baseUrl() + QStringLiteral("/.emulator/") + action + QStringLiteral("?auth=")
                                 + m_adminToken));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = nam.post(request, QByteArray());
    const bool done = QTest::qWaitFor([reply] { return reply->isFinished(); }, 30000);
    const bool ok = done && reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
    delete reply;
    return ok;
}

QJsonObject FirebaseTestServer::stats() const
{
    QNetworkAccessManager nam;
    QNetworkReply *reply =
        nam.get(QNetworkRequest(QUrl(baseUrl() + QStringLiteral("/.emulator/stats?auth=") + m_adminToken)));
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 30000)) {
        delete reply;
        return {};
    }
    const QJsonObject out = QJsonDocument::fromJson(reply->readAll()).object();
    delete reply;
    return out;
}

} // namespace sd::test
