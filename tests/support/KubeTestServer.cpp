#include "KubeTestServer.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSslCertificate>

namespace sd::test {

namespace {

QString randomToken()
{
    QByteArray bytes(24, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
    return QString::fromLatin1(bytes.toHex());
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(data) != data.size()) {
        qWarning("KubeTestServer: cannot write %s: %s", qPrintable(path), qPrintable(file.errorString()));
        return false;
    }
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return true;
}

// Runs openssl in `dir`; false with its output on failure.
bool openssl(const QString &dir, const QStringList &arguments)
{
    QProcess process;
    process.setWorkingDirectory(dir);
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(QStringLiteral("openssl"), arguments);
    if (!process.waitForStarted(10000)) {
        qWarning("KubeTestServer: cannot run openssl (scripts/install-deps.sh installs it): %s",
                 qPrintable(process.errorString()));
        return false;
    }
    process.waitForFinished(30000);
    if (process.state() != QProcess::NotRunning) {
        process.kill();
        process.waitForFinished(5000);
        qWarning("KubeTestServer: openssl %s timed out", qPrintable(arguments.value(0)));
        return false;
    }
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        qWarning("KubeTestServer: openssl %s failed:\n%s", qPrintable(arguments.join(QLatin1Char(' '))),
                 process.readAll().constData());
        return false;
    }
    return true;
}

} // namespace

KubeTestServer::KubeTestServer() : KubeTestServer(Options{}) {}

KubeTestServer::KubeTestServer(Options options)
    : m_options(options), m_process(std::make_unique<ServerProcess>(QStringLiteral(SD_KUBE_EMULATOR), QStringList{}))
{
}

KubeTestServer::~KubeTestServer()
{
    stop();
}

QString KubeTestServer::directory() const
{
    return m_process->directory();
}

QString KubeTestServer::caFile() const
{
    return QDir(directory()).filePath(QStringLiteral("ca.crt"));
}

QString KubeTestServer::kubeconfigPath() const
{
    return QDir(directory()).filePath(QStringLiteral("kubeconfig"));
}

QString KubeTestServer::baseUrl() const
{
    return QStringLiteral("https://127.0.0.1:%1").arg(m_tlsPort);
}

QString KubeTestServer::plainUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_plainPort);
}

QString KubeTestServer::log() const
{
    return m_process->log();
}

bool KubeTestServer::isRunning() const
{
    return m_process->isRunning();
}

void KubeTestServer::stop()
{
    m_process->stop();
}

QSslConfiguration KubeTestServer::sslConfiguration() const
{
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setCaCertificates(QSslCertificate::fromPath(caFile()));
    return config;
}

QString KubeTestServer::clientCaFile() const
{
    return QDir(directory()).filePath(QStringLiteral("client-ca.crt"));
}

std::optional<KubeTestServer::ClientCertificate>
KubeTestServer::issueClientCertificate(const QString &name, const QString &user, const QStringList &groups) const
{
    const QString dir = directory();
    // kube-apiserver reads the user from CN and each O as a group; '/' and
    // '=' would break openssl's -subj syntax, and no test needs them.
    QString subject = QStringLiteral("/CN=") + user;
    for (const QString &g : groups)
        subject += QStringLiteral("/O=") + g;
    const QString csr = name + QStringLiteral(".csr"), ext = name + QStringLiteral(".ext");
    ClientCertificate out{QDir(dir).filePath(name + QStringLiteral(".crt")), QDir(dir).filePath(name + QStringLiteral(".key"))};
    if (!openssl(dir, {QStringLiteral("req"), QStringLiteral("-newkey"), QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                       QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"), QStringLiteral("-keyout"),
                       out.keyFile, QStringLiteral("-out"), csr, QStringLiteral("-subj"), subject}))
        return std::nullopt;
    if (!writeFile(QDir(dir).filePath(ext), "extendedKeyUsage=clientAuth\n"
                                            "keyUsage=critical,digitalSignature\n"
                                            "basicConstraints=CA:FALSE\n"))
        return std::nullopt;
    if (!openssl(dir, {QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"), csr, QStringLiteral("-CA"),
                       QStringLiteral("client-ca.crt"), QStringLiteral("-CAkey"), QStringLiteral("client-ca.key"),
                       QStringLiteral("-CAcreateserial"), QStringLiteral("-out"), out.certFile, QStringLiteral("-days"),
                       QStringLiteral("2"), QStringLiteral("-extfile"), ext}))
        return std::nullopt;
    return out;
}

bool KubeTestServer::makeCertificates()
{
    const QString dir = directory();
    // EC keys: generated in milliseconds, and Go and Qt both accept them.
    const QStringList ec{QStringLiteral("-newkey"), QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                         QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes")};
    if (!openssl(dir, QStringList{QStringLiteral("req"), QStringLiteral("-x509")} + ec
                          + QStringList{QStringLiteral("-keyout"), QStringLiteral("ca.key"), QStringLiteral("-out"),
                                        QStringLiteral("ca.crt"), QStringLiteral("-days"), QStringLiteral("2"),
                                        QStringLiteral("-subj"), QStringLiteral("/CN=statedeck-test-ca"),
                                        QStringLiteral("-addext"), QStringLiteral("basicConstraints=critical,CA:TRUE"),
                                        QStringLiteral("-addext"), QStringLiteral("keyUsage=critical,keyCertSign,cRLSign")}))
        return false;
    if (!openssl(dir, QStringList{QStringLiteral("req")} + ec
                          + QStringList{QStringLiteral("-keyout"), QStringLiteral("server.key"), QStringLiteral("-out"),
                                        QStringLiteral("server.csr"), QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1")}))
        return false;
    // A CA of its own for client certificates, as kube-apiserver's --client-ca-file.
    if (!openssl(dir, QStringList{QStringLiteral("req"), QStringLiteral("-x509")} + ec
                          + QStringList{QStringLiteral("-keyout"), QStringLiteral("client-ca.key"), QStringLiteral("-out"),
                                        QStringLiteral("client-ca.crt"), QStringLiteral("-days"), QStringLiteral("2"),
                                        QStringLiteral("-subj"), QStringLiteral("/CN=statedeck-test-client-ca"),
                                        QStringLiteral("-addext"), QStringLiteral("basicConstraints=critical,CA:TRUE"),
                                        QStringLiteral("-addext"), QStringLiteral("keyUsage=critical,keyCertSign,cRLSign")}))
        return false;
    // Go verifies names only through subjectAltName.
    if (!writeFile(QDir(dir).filePath(QStringLiteral("server.ext")),
                   "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                   "extendedKeyUsage=serverAuth\n"
                   "keyUsage=critical,digitalSignature,keyEncipherment\n"
                   "basicConstraints=CA:FALSE\n"))
        return false;
    return openssl(dir, {QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"), QStringLiteral("server.csr"),
                         QStringLiteral("-CA"), QStringLiteral("ca.crt"), QStringLiteral("-CAkey"), QStringLiteral("ca.key"),
                         QStringLiteral("-CAcreateserial"), QStringLiteral("-out"), QStringLiteral("server.crt"),
                         QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-extfile"), QStringLiteral("server.ext")});
}

bool KubeTestServer::writeKubeconfig()
{
    const QString kubeconfig = QStringLiteral(
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        "- name: statedeck-emulator\n"
        "  cluster:\n"
        "    server: %1\n"
        "    certificate-authority: %2\n"
        "users:\n"
        "- name: statedeck-admin\n"
        "  user:\n"
        "    token: %3\n"
        "- name: statedeck-readonly\n"
        "  user:\n"
        "    token: %4\n"
        "contexts:\n"
        "- name: admin\n"
        "  context:\n"
        "    cluster: statedeck-emulator\n"
        "    user: statedeck-admin\n"
        "    namespace: default\n"
        "- name: readonly\n"
        "  context:\n"
        "    cluster: statedeck-emulator\n"
        "    user: statedeck-readonly\n"
        "    namespace: default\n"
        "current-context: admin\n")
                                   .arg(baseUrl(), caFile(), m_adminToken, m_readonlyToken);
    return writeFile(kubeconfigPath(), kubeconfig.toUtf8());
}

bool KubeTestServer::start()
{
    stop();
    m_adminToken = randomToken();
    m_readonlyToken = randomToken();
    m_noAccessToken = randomToken();
    m_tlsPort = freeLoopbackPort();
    // Bounded: the kernel hands out a different free port within a few tries.
    for (int i = 0; i < 20 && (m_plainPort == 0 || m_plainPort == m_tlsPort); ++i)
        m_plainPort = freeLoopbackPort();
    if (m_tlsPort == 0 || m_plainPort == 0 || m_plainPort == m_tlsPort) {
        qWarning("KubeTestServer: no free loopback ports");
        return false;
    }
    if (!makeCertificates())
        return false;
    const QString tokens = QDir(directory()).filePath(QStringLiteral("tokens.csv"));
    // kube-apiserver's --token-auth-file format: token,user,uid,"groups".
    const QString tokenFile = QStringLiteral("%1,statedeck-admin,uid-admin,\"system:masters\"\n"
                                             "%2,statedeck-readonly,uid-readonly,\"statedeck:readonly\"\n"
                                             "%3,limited-user,uid-limited\n")
                                  .arg(m_adminToken, m_readonlyToken, m_noAccessToken);
    if (!writeFile(tokens, tokenFile.toUtf8()) || !writeKubeconfig())
        return false;
    const QString dir = directory();
    m_process->setArguments({QStringLiteral("--port"), QString::number(m_plainPort), QStringLiteral("--tls-port"),
                             QString::number(m_tlsPort), QStringLiteral("--cert"), QDir(dir).filePath(QStringLiteral("server.crt")),
                             QStringLiteral("--key"), QDir(dir).filePath(QStringLiteral("server.key")),
                             QStringLiteral("--token-auth-file"), tokens, QStringLiteral("--client-ca"), clientCaFile(),
                             QStringLiteral("--watch-history"),
                             QString::number(m_options.watchHistory), QStringLiteral("--first-resource-version"),
                             QString::number(m_options.firstResourceVersion), QStringLiteral("--bookmark-interval-ms"),
                             QString::number(m_options.bookmarkIntervalMs)});
    // The emulator binds the plain port first, so once TLS answers both do.
    return m_process->start(m_tlsPort);
}

} // namespace sd::test
