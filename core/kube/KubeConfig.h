#pragma once

#include "model/Json.h"
#include "model/Result.h"

#include <QList>
#include <QMap>
#include <QPair>
#include <QStringList>

#include <optional>

namespace sd::kube {

// A client.authentication.k8s.io exec credential plugin, as a kubeconfig
// user names it. `command` is already resolved against the kubeconfig's
// directory when it was written as a relative path.
struct ExecPlugin {
    QString apiVersion; // client.authentication.k8s.io/v1 or /v1beta1
    QString command;
    QStringList args;
    QList<QPair<QString, QString>> env;
    QString installHint;
};

// Everything needed to reach one cluster as one user. Token and key bytes
// are secrets: describe() never shows them and nothing logs them.
struct ClusterAccess {
    QString server; // https://host:port (or http:// for a local test server)
    QString defaultNamespace = QStringLiteral("default");
    QByteArray caPem;          // empty: the system's CAs
    QString caOrigin;          // where caPem came from, for TLS error messages
    bool insecureSkipTlsVerify = false;
    QByteArray token;          // a static bearer token
    QString tokenFile;         // re-read when used: projected tokens rotate
    QByteArray clientCertPem;
    QByteArray clientKeyPem;
    std::optional<ExecPlugin> exec;
    QString contextName; // empty outside kubeconfig
    QString source;      // "kubeconfig /path, context x", "in-cluster service account", ...

    QString describe() const;
};

// A kubeconfig as kubectl merges it from several files: the first file to
// define a cluster, user or context name wins, and current-context comes from
// the first file that sets one. Paths inside each file are relative to it.
class KubeConfig {
public:
    // KUBECONFIG's files (':'-separated, missing ones skipped as kubectl
    // does), else ~/.kube/config if it exists; empty when there is none.
    static QStringList defaultFiles();

    // Reads and merges `files`. A file that exists but does not parse is an
    // error naming it; an empty list is a config with no contexts.
    static Result<KubeConfig> load(const QStringList &files);

    QString currentContext() const { return m_currentContext; }
    QStringList contextNames() const;
    QStringList files() const { return m_files; }

    // The access a context gives (empty = the current context), with
    // certificate and token files read.
    Result<ClusterAccess> access(const QString &context = {}) const;

private:
    struct Named {
        Json value;
        QString dir; // the directory of the file that defined it
        QString file;
    };
    QMap<QString, Named> m_clusters, m_users, m_contexts;
    QString m_currentContext;
    QStringList m_files;
};

// The in-cluster service account (a pod's mounted token and CA, and
// KUBERNETES_SERVICE_HOST/PORT). `root` is the mount point, for tests.
Result<ClusterAccess> inClusterAccess(
    const QString &root = QStringLiteral("/var/run/secrets/kubernetes.io/serviceaccount"));

// What a store spec asks for.
struct AccessRequest {
    QString context;    // a kubeconfig context; empty = current
    QString kubeconfig; // a kubeconfig path instead of KUBECONFIG / ~/.kube/config
    // An API server named directly (connections.yaml, seed 000): a URL, or
    // host:port meaning https. The rest apply to it only.
    QString endpoint;
    QByteArray token;
    QString certificateAuthority; // a PEM file path, PEM text, or base64 of PEM
    bool insecureSkipTlsVerify = false;
};

// Finds credentials in this order: explicit endpoint (+token, CA); a named
// context in kubeconfig; seed 000's KUBERNETES_CLUSTER_ENDPOINT (with
// KUBERNETES_CLUSTER_USER_TOKEN, KUBERNETES_CLUSTER_NAMESPACE and an optional
// KUBERNETES_CLUSTER_CERTIFICATE CA); the kubeconfig's current context; the
// in-cluster service account. The error lists what was tried.
Result<ClusterAccess> resolveAccess(const AccessRequest &request);

// Whether a certificate setting holds the certificate itself (PEM, or base64
// of PEM as seed 000's KUBERNETES_CLUSTER_CERTIFICATE does) rather than the
// path of a PEM file.
bool isInlinePem(const QString &setting);

} // namespace sd::kube
