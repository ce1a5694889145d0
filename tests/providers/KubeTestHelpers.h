#pragma once

// Kubeconfigs for a KubeTestServer written the way a test needs them, an
// admin client, and a TCP proxy that can cut connections the way a flaky
// network or a restarted load balancer does.

#include "KubeTestServer.h"
#include "TestSupport.h"
#include "kube/KubeClient.h"

#include <QDir>
#include <QFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

#include <memory>

namespace sd::test {

// A kubeconfig in the server's directory: one cluster at `server` (the
// server's HTTPS URL with its CA unless `caFile` says otherwise; an http://
// URL needs none), and one context "test" whose user is written as `userYaml`
// (the lines under `user:`, indented by four spaces).
inline QString writeKubeconfig(const KubeTestServer &kube, const QString &name, const QString &server,
                               const QByteArray &userYaml, const QString &caFile = QString())
{
    const QString path = QDir(kube.directory()).filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    QByteArray cluster = "    server: " + server.toUtf8() + "\n";
    if (server.startsWith(QLatin1String("https:")))
        cluster += "    certificate-authority: " + (caFile.isEmpty() ? kube.caFile() : caFile).toUtf8() + "\n";
    f.write("apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: c\n  cluster:\n" + cluster
            + "contexts:\n- name: test\n  context: {cluster: c, user: u, namespace: default}\nusers:\n- name: u\n  user:\n"
            + userYaml);
    return path;
}

inline QByteArray tokenUser(const QString &token)
{
    return "    token: " + token.toUtf8() + "\n";
}

inline std::unique_ptr<kube::KubeClient> adminClient(const KubeTestServer &kube)
{
    kube::ClusterAccess a;
    a.server = kube.baseUrl();
    a.token = kube.adminToken().toUtf8();
    QFile ca(kube.caFile());
    if (ca.open(QIODevice::ReadOnly))
        a.caPem = ca.readAll();
    a.caOrigin = kube.caFile();
    return std::make_unique<kube::KubeClient>(a);
}

// Namespaces must exist before anything is created in them, as on a real cluster.
inline bool createNamespace(const KubeTestServer &kube, const QString &ns)
{
    auto client = adminClient(kube);
    const kube::Resource namespaces{QString(), QStringLiteral("v1"), QStringLiteral("namespaces"),
                                    QStringLiteral("Namespace"), false};
    auto made = await(client->create(namespaces, QString(), Json{{"metadata", {{"name", toStd(ns)}}}}));
    if (!made.ok())
        qWarning("cannot create namespace %s: %s", qPrintable(ns), qPrintable(made.error().toString()));
    return made.ok();
}

// Forwards loopback TCP connections to a target port. setUp(false) resets
// every open connection and refuses new ones until setUp(true).
class TcpProxy {
public:
    explicit TcpProxy(quint16 target) : m_target(target)
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] { accept(); });
    }
    ~TcpProxy() { cut(); }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    int connectionsAccepted() const { return m_accepted; }

    void setUp(bool up)
    {
        m_up = up;
        if (!up)
            cut();
    }

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
            QObject::connect(upstream, &QTcpSocket::connected, client, [client, upstream] {
                QObject::connect(client, &QTcpSocket::readyRead, upstream, [client, upstream] { upstream->write(client->readAll()); });
                QObject::connect(upstream, &QTcpSocket::readyRead, client, [client, upstream] { client->write(upstream->readAll()); });
                if (client->bytesAvailable())
                    upstream->write(client->readAll());
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

    void cut()
    {
        const auto clients = m_clients;
        m_clients.clear();
        for (QTcpSocket *c : clients) {
            c->disconnect();
            c->abort(); // RST: the client sees the connection drop mid-stream
            c->deleteLater();
        }
    }

    QTcpServer m_server;
    quint16 m_target;
    bool m_up = true;
    int m_accepted = 0;
    QList<QTcpSocket *> m_clients;
};

inline quint16 portOf(const QString &url)
{
    return quint16(QUrl(url).port());
}

} // namespace sd::test
