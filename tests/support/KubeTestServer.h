#pragma once

#include "ServerProcess.h"

#include <QSslConfiguration>
#include <QString>

#include <memory>
#include <optional>

namespace sd::test {

// A Kubernetes API server for one test: sd-kube-emulator (see
// docs/kube-emulator.md) on free loopback ports, in its own temporary
// directory, stopped when this object goes away (also when the test fails).
//
//   KubeTestServer kube;
//   QVERIFY(kube.start());
//   // HTTPS with a CA made for this server:
//   kube.baseUrl()        "https://127.0.0.1:PORT"
//   kube.caFile()         PEM of the CA that signed the server certificate
//   kube.kubeconfigPath() kubeconfig with contexts "admin" (current) and
//                         "readonly", both on namespace "default"
//   kube.adminToken()     every verb (user "statedeck-admin")
//   kube.readonlyToken()  get, list, watch only (user "statedeck-readonly");
//                         writes get 403 Forbidden
//   kube.noAccessToken()  authenticated, no permissions (user
//                         "limited-user"): every resource request is 403
//   kube.issueClientCertificate(...)  TLS client certificates it accepts
//
// The server starts with namespaces default, kube-system, kube-public and
// kube-node-lease and nothing else. Tokens are random per instance; they
// are written to files in directory() and never logged.
class KubeTestServer {
public:
    struct Options {
        // Events kept for watch resume, continue tokens and exact-version
        // lists; anything older gets 410 Expired. Small values force 410.
        int watchHistory = 10000;
        // The first resourceVersion the server hands out.
        quint64 firstResourceVersion = 1;
        // How often watches that allow bookmarks receive one.
        int bookmarkIntervalMs = 5000;
    };

    KubeTestServer();
    explicit KubeTestServer(Options options);
    ~KubeTestServer();
    KubeTestServer(const KubeTestServer &) = delete;
    KubeTestServer &operator=(const KubeTestServer &) = delete;

    // Makes the CA, server certificate, tokens and kubeconfig, then starts
    // the emulator. Returns false (and logs why with qWarning) on failure.
    bool start();
    void stop();
    bool isRunning() const;

    QString baseUrl() const;  // HTTPS
    QString plainUrl() const; // the same API over plain HTTP, for tools without TLS
    QString caFile() const;
    QString kubeconfigPath() const;
    QString adminToken() const { return m_adminToken; }
    QString readonlyToken() const { return m_readonlyToken; }
    QString noAccessToken() const { return m_noAccessToken; }

    // A TLS configuration that trusts caFile(), for QNetworkRequest.
    QSslConfiguration sslConfiguration() const;

    // The CA whose client certificates the server accepts (--client-ca): a
    // certificate it signed authenticates as its CN, groups from its O.
    QString clientCaFile() const;
    // Issues a client certificate for `user` in `groups` (system:masters is
    // admin, statedeck:readonly read-only), signed by this server's client
    // CA, as `name`.crt and `name`.key (EC, PEM) in directory().
    struct ClientCertificate {
        QString certFile, keyFile;
    };
    std::optional<ClientCertificate> issueClientCertificate(const QString &name, const QString &user,
                                                            const QStringList &groups) const;

    QString directory() const;
    QString log() const; // the emulator's output, for failure messages

private:
    bool makeCertificates();
    bool writeKubeconfig();

    Options m_options;
    std::unique_ptr<ServerProcess> m_process;
    quint16 m_tlsPort = 0;
    quint16 m_plainPort = 0;
    QString m_adminToken;
    QString m_readonlyToken;
    QString m_noAccessToken;
};

} // namespace sd::test
