#pragma once

// Kubeconfigs for a KubeTestServer written the way a test needs them, an
// admin client, and (from TcpProxy.h) a TCP proxy that can cut connections
// the way a flaky network or a restarted load balancer does.

#include "KubeTestServer.h"
#include "TcpProxy.h"
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

} // namespace sd::test
