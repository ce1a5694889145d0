#include "kube/KubeConfig.h"
#include "util/YamlJson.h"

#include <yaml-cpp/yaml.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QUrl>

namespace sd::kube {
namespace {

// Every scalar as the text written: YAML 1.2 typing would read a token such
// as 0123 as the number 123.
Json yamlAsText(const YAML::Node &n, YamlExpansionBudget &budget, int depth)
{
    budget.enter(n, depth);
    switch (n.Type()) {
    case YAML::NodeType::Map: {
        Json o = Json::object();
        for (const auto &kv : n)
            o[kv.first.Scalar()] = yamlAsText(kv.second, budget, depth + 1);
        return o;
    }
    case YAML::NodeType::Sequence: {
        Json a = Json::array();
        for (const auto &item : n)
            a.push_back(yamlAsText(item, budget, depth + 1));
        return a;
    }
    case YAML::NodeType::Scalar:
        return n.Scalar();
    default:
        return Json();
    }
}

Result<Json> parseKubeconfig(const QByteArray &bytes, const QString &path)
{
    try {
        YamlExpansionBudget budget(bytes.size());
        return yamlAsText(YAML::Load(bytes.toStdString()), budget, 1);
    } catch (const YAML::Exception &e) {
        return Error(ErrorKind::Invalid, QStringLiteral("kubeconfig does not parse: %1").arg(toQString(e.msg)),
                     QStringLiteral("%1:%2:%3").arg(path).arg(e.mark.line + 1).arg(e.mark.column + 1));
    }
}

// yaml-cpp types plain scalars, so `token: 0123` may arrive as a number.
QString scalar(const Json &obj, const char *name)
{
    if (!obj.is_object())
        return {};
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null())
        return {};
    if (it->is_string())
        return toQString(it->get<std::string>());
    if (it->is_boolean())
        return it->get<bool>() ? QStringLiteral("true") : QStringLiteral("false");
    if (it->is_number())
        return toQString(it->dump());
    return {};
}

// scalar() reads a list or map as nothing; a field that must be one value
// but is not is an error naming it, not a silent "unset" (a `token: [x]`
// would otherwise turn into an anonymous request and a puzzling 401).
Status expectScalars(const Json &obj, std::initializer_list<const char *> names, const QString &what,
                     const QString &file)
{
    if (!obj.is_object())
        return {};
    for (const char *name : names) {
        auto it = obj.find(name);
        if (it != obj.end() && (it->is_array() || it->is_object()))
            return Error(ErrorKind::Invalid,
                         QStringLiteral("%1: \"%2\" must be a single value, found %3")
                             .arg(what, QLatin1String(name),
                                  it->is_array() ? QStringLiteral("a list") : QStringLiteral("a map")),
                         file);
    }
    return {};
}

bool flag(const Json &obj, const char *name)
{
    const QString v = scalar(obj, name).toLower();
    return v == QLatin1String("true") || v == QLatin1String("yes") || v == QLatin1String("1");
}

QString resolvePath(const QString &path, const QString &dir)
{
    if (path.isEmpty() || QDir::isAbsolutePath(path))
        return path;
    if (path.startsWith(QLatin1String("~/")))
        return QDir::homePath() + path.mid(1);
    return QDir::cleanPath(QDir(dir).absoluteFilePath(path));
}

// Kubeconfigs travel between people; a path in one may name a device or a
// huge file (/dev/zero, a log). Read at most this much instead of everything.
constexpr qint64 kMaxKubeFileBytes = 16 * 1024 * 1024;

Result<QByteArray> readBounded(QFile &f, const QString &what)
{
    QByteArray bytes = f.read(kMaxKubeFileBytes + 1);
    if (bytes.size() > kMaxKubeFileBytes)
        return Error(ErrorKind::TooLarge,
                     QStringLiteral("the %1 is larger than %2 MiB").arg(what).arg(kMaxKubeFileBytes / (1024 * 1024)),
                     f.fileName());
    return bytes;
}

Result<QByteArray> readSmallFile(const QString &path, const QString &what)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error(ErrorKind::Invalid, QStringLiteral("cannot read the %1: %2").arg(what, f.errorString()), path);
    return readBounded(f, what);
}

// "-data" fields hold base64 of PEM.
Result<QByteArray> pemField(const Json &obj, const char *fileKey, const char *dataKey, const QString &dir,
                            const QString &what, const QString &where, QString *origin = nullptr)
{
    const QString data = scalar(obj, dataKey);
    if (!data.isEmpty()) {
        auto decoded = QByteArray::fromBase64Encoding(data.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return Error(ErrorKind::Invalid, QStringLiteral("%1 is not valid base64").arg(QString::fromLatin1(dataKey)),
                         where);
        if (origin)
            *origin = QStringLiteral("%1 in %2").arg(QString::fromLatin1(dataKey), where);
        return *decoded;
    }
    const QString file = scalar(obj, fileKey);
    if (file.isEmpty())
        return QByteArray();
    const QString path = resolvePath(file, dir);
    if (origin)
        *origin = path;
    return readSmallFile(path, what);
}

} // namespace

QString ClusterAccess::describe() const
{
    QString auth;
    if (exec)
        auth = QStringLiteral("exec plugin %1").arg(QFileInfo(exec->command).fileName());
    else if (!clientCertPem.isEmpty())
        auth = QStringLiteral("client certificate");
    else if (!tokenFile.isEmpty())
        auth = QStringLiteral("token file %1").arg(tokenFile);
    else if (!token.isEmpty())
        auth = QStringLiteral("bearer token");
    else
        auth = QStringLiteral("no credentials");
    return QStringLiteral("%1 (%2; %3)").arg(server, source, auth);
}

QStringList KubeConfig::defaultFiles()
{
    const QString env = qEnvironmentVariable("KUBECONFIG");
    if (!env.isEmpty()) {
        QStringList out;
        for (const QString &p : env.split(QLatin1Char(':'), Qt::SkipEmptyParts))
            if (QFileInfo::exists(p) && !out.contains(p))
                out << p;
        return out;
    }
    const QString home = QDir::homePath() + QStringLiteral("/.kube/config");
    return QFileInfo::exists(home) ? QStringList{home} : QStringList{};
}

Result<KubeConfig> KubeConfig::load(const QStringList &files)
{
    KubeConfig cfg;
    for (const QString &path : files) {
        auto bytes = readSmallFile(path, QStringLiteral("kubeconfig"));
        if (!bytes.ok())
            return bytes.error();
        if (bytes->trimmed().isEmpty())
            continue;
        auto doc = parseKubeconfig(bytes.value(), path);
        if (!doc.ok())
            return doc.error();
        if (!doc->is_object())
            return Error(ErrorKind::Invalid, QStringLiteral("kubeconfig is not a YAML mapping"), path);
        cfg.m_files << path;
        const QString dir = QFileInfo(path).absolutePath();
        auto merge = [&](const char *listKey, const char *itemKey, QMap<QString, Named> &into) {
            auto it = doc->find(listKey);
            if (it == doc->end() || !it->is_array())
                return;
            for (const Json &item : *it) {
                const QString name = scalar(item, "name");
                if (name.isEmpty() || into.contains(name))
                    continue; // kubectl: the first file to define a name wins
                auto body = item.find(itemKey);
                into.insert(name, Named{body != item.end() ? *body : Json::object(), dir, path});
            }
        };
        merge("clusters", "cluster", cfg.m_clusters);
        merge("users", "user", cfg.m_users);
        merge("contexts", "context", cfg.m_contexts);
        if (cfg.m_currentContext.isEmpty())
            cfg.m_currentContext = scalar(doc.value(), "current-context");
    }
    return cfg;
}

QStringList KubeConfig::contextNames() const
{
    return m_contexts.keys();
}

Result<ClusterAccess> KubeConfig::access(const QString &context) const
{
    const QString name = context.isEmpty() ? m_currentContext : context;
    const QString filesText = m_files.isEmpty() ? QStringLiteral("no kubeconfig") : m_files.join(QLatin1Char(':'));
    if (name.isEmpty())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("the kubeconfig sets no current-context; name one (k8s://CONTEXT/...) from: %1")
                         .arg(contextNames().join(QStringLiteral(", "))),
                     filesText);
    auto ctx = m_contexts.constFind(name);
    if (ctx == m_contexts.cend())
        return Error(ErrorKind::NotFound,
                     QStringLiteral("no context \"%1\" in the kubeconfig; known contexts: %2")
                         .arg(name, contextNames().isEmpty() ? QStringLiteral("(none)")
                                                             : contextNames().join(QStringLiteral(", "))),
                     filesText);
    if (Status s = expectScalars(ctx->value, {"cluster", "user", "namespace"},
                                 QStringLiteral("context \"%1\"").arg(name), ctx->file);
        !s.ok())
        return s.error();
    const QString clusterName = scalar(ctx->value, "cluster");
    const QString userName = scalar(ctx->value, "user");
    auto cluster = m_clusters.constFind(clusterName);
    if (cluster == m_clusters.cend())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("context \"%1\" names cluster \"%2\", which no kubeconfig file defines")
                         .arg(name, clusterName),
                     ctx->file);

    ClusterAccess a;
    a.contextName = name;
    a.source = QStringLiteral("kubeconfig %1, context %2").arg(ctx->file, name);
    const QString ns = scalar(ctx->value, "namespace");
    if (!ns.isEmpty())
        a.defaultNamespace = ns;
    if (Status s = expectScalars(cluster->value,
                                 {"server", "certificate-authority", "certificate-authority-data",
                                  "insecure-skip-tls-verify", "tls-server-name", "proxy-url"},
                                 QStringLiteral("cluster \"%1\"").arg(clusterName), cluster->file);
        !s.ok())
        return s.error();
    a.server = scalar(cluster->value, "server");
    if (a.server.isEmpty())
        return Error(ErrorKind::Invalid, QStringLiteral("cluster \"%1\" has no server").arg(clusterName), cluster->file);
    a.insecureSkipTlsVerify = flag(cluster->value, "insecure-skip-tls-verify");
    auto ca = pemField(cluster->value, "certificate-authority", "certificate-authority-data", cluster->dir,
                       QStringLiteral("certificate authority of cluster \"%1\"").arg(clusterName), cluster->file,
                       &a.caOrigin);
    if (!ca.ok())
        return ca.error();
    a.caPem = ca.value();

    if (userName.isEmpty())
        return a; // anonymous
    auto user = m_users.constFind(userName);
    if (user == m_users.cend())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("context \"%1\" names user \"%2\", which no kubeconfig file defines")
                         .arg(name, userName),
                     ctx->file);
    const Json &u = user->value;
    if (Status s = expectScalars(u,
                                 {"token", "tokenFile", "client-certificate", "client-certificate-data", "client-key",
                                  "client-key-data", "username", "password"},
                                 QStringLiteral("user \"%1\"").arg(userName), user->file);
        !s.ok())
        return s.error();
    a.token = scalar(u, "token").toUtf8();
    a.tokenFile = resolvePath(scalar(u, "tokenFile"), user->dir);
    auto cert = pemField(u, "client-certificate", "client-certificate-data", user->dir,
                         QStringLiteral("client certificate of user \"%1\"").arg(userName), user->file);
    if (!cert.ok())
        return cert.error();
    auto key = pemField(u, "client-key", "client-key-data", user->dir,
                        QStringLiteral("client key of user \"%1\"").arg(userName), user->file);
    if (!key.ok())
        return key.error();
    a.clientCertPem = cert.value();
    a.clientKeyPem = key.value();
    if (a.clientCertPem.isEmpty() != a.clientKeyPem.isEmpty())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("user \"%1\" has a client certificate without its key, or a key without its "
                                    "certificate")
                         .arg(userName),
                     user->file);
    auto exec = u.find("exec");
    if (exec != u.end() && exec->is_object()) {
        ExecPlugin p;
        p.apiVersion = scalar(*exec, "apiVersion");
        p.command = scalar(*exec, "command");
        // kubectl resolves a command with a path separator against the file.
        if (p.command.contains(QLatin1Char('/')))
            p.command = resolvePath(p.command, user->dir);
        p.installHint = scalar(*exec, "installHint");
        if (auto args = exec->find("args"); args != exec->end() && args->is_array())
            for (const Json &arg : *args)
                p.args << (arg.is_string() ? toQString(arg.get<std::string>()) : toQString(arg.dump()));
        if (auto env = exec->find("env"); env != exec->end() && env->is_array())
            for (const Json &e : *env)
                p.env.append({scalar(e, "name"), scalar(e, "value")});
        if (p.command.isEmpty())
            return Error(ErrorKind::Invalid, QStringLiteral("the exec plugin of user \"%1\" has no command").arg(userName),
                         user->file);
        if (p.apiVersion != QLatin1String("client.authentication.k8s.io/v1")
            && p.apiVersion != QLatin1String("client.authentication.k8s.io/v1beta1"))
            return Error(ErrorKind::Unsupported,
                         QStringLiteral("the exec plugin of user \"%1\" asks for apiVersion \"%2\"; supported: "
                                        "client.authentication.k8s.io/v1 and v1beta1")
                             .arg(userName, p.apiVersion),
                         user->file);
        a.exec = p;
    }
    return a;
}

Result<ClusterAccess> inClusterAccess(const QString &root)
{
    const QString host = qEnvironmentVariable("KUBERNETES_SERVICE_HOST");
    const QString port = qEnvironmentVariable("KUBERNETES_SERVICE_PORT");
    const QString tokenPath = root + QStringLiteral("/token");
    if (host.isEmpty() || port.isEmpty() || !QFileInfo::exists(tokenPath))
        return Error(ErrorKind::NotFound,
                     QStringLiteral("not running in a pod (KUBERNETES_SERVICE_HOST/PORT unset or no %1)").arg(tokenPath));
    ClusterAccess a;
    a.source = QStringLiteral("in-cluster service account");
    a.server = QStringLiteral("https://%1:%2")
                   .arg(host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host, port);
    a.tokenFile = tokenPath;
    auto ca = readSmallFile(root + QStringLiteral("/ca.crt"), QStringLiteral("service account CA"));
    if (ca.ok()) {
        a.caPem = ca.value();
        a.caOrigin = root + QStringLiteral("/ca.crt");
    }
    QFile ns(root + QStringLiteral("/namespace"));
    if (ns.open(QIODevice::ReadOnly)) {
        const QString text = QString::fromUtf8(ns.read(4096)).trimmed();
        if (!text.isEmpty())
            a.defaultNamespace = text;
    }
    return a;
}

namespace {

// base64 of PEM, with any line breaks a tool added; empty when it is not.
QByteArray base64Pem(const QString &setting)
{
    QByteArray compact = setting.toLatin1();
    compact.replace('\n', QByteArray()).replace('\r', QByteArray()).replace(' ', QByteArray());
    auto decoded = QByteArray::fromBase64Encoding(compact, QByteArray::AbortOnBase64DecodingErrors);
    return decoded && decoded.decoded.trimmed().startsWith("-----BEGIN") ? decoded.decoded : QByteArray();
}

// A certificate authority given as PEM, base64 of PEM, or a PEM file's path.
// `name` says where the setting came from, for errors and TLS messages.
Result<QByteArray> certificateFromSetting(const QString &setting, const QString &name, QString *origin)
{
    const QString text = setting.trimmed();
    if (text.startsWith(QLatin1String("-----BEGIN"))) {
        *origin = name;
        return QByteArray(text.toLatin1() + '\n');
    }
    if (const QByteArray pem = base64Pem(text); !pem.isEmpty()) {
        *origin = name;
        return pem;
    }
    QFile f(text);
    if (!f.open(QIODevice::ReadOnly))
        return Error(ErrorKind::Invalid,
                     QStringLiteral("%1 is not PEM, not base64 of PEM, and not a readable PEM file (%2)")
                         .arg(name, f.errorString()),
                     text);
    *origin = QStringLiteral("%1 (%2)").arg(text, name);
    return readBounded(f, name);
}

// A cluster named directly rather than through a kubeconfig: seed 000's
// variables and a connection's endpoint options go through here alike.
Result<ClusterAccess> directAccess(const AccessRequest &request, const QString &source, const QString &caName)
{
    ClusterAccess a;
    a.source = source;
    a.server = request.endpoint.trimmed();
    // The gate's KUBERNETES_CLUSTER_ENDPOINT is often a bare host:port.
    if (!a.server.contains(QStringLiteral("://")))
        a.server.prepend(QStringLiteral("https://"));
    while (a.server.endsWith(QLatin1Char('/')))
        a.server.chop(1);
    const QUrl url(a.server, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty()
        || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http")))
        return Error(ErrorKind::Invalid,
                     QStringLiteral("the API server address \"%1\" is not valid; expected https://HOST[:PORT] or "
                                    "HOST:PORT (meaning https)")
                         .arg(request.endpoint),
                     source);
    a.token = request.token.trimmed();
    a.insecureSkipTlsVerify = request.insecureSkipTlsVerify;
    if (!request.certificateAuthority.trimmed().isEmpty()) {
        // kubectl refuses the same combination.
        if (request.insecureSkipTlsVerify)
            return Error(ErrorKind::Invalid,
                         QStringLiteral("%1 and insecureSkipTlsVerify exclude each other: give the cluster's CA, or "
                                        "turn verification off, not both")
                             .arg(caName),
                         source);
        auto ca = certificateFromSetting(request.certificateAuthority, caName, &a.caOrigin);
        if (!ca.ok())
            return ca.error();
        a.caPem = ca.value();
    }
    return a;
}

Result<ClusterAccess> seedEnvironmentAccess()
{
    AccessRequest r;
    r.endpoint = qEnvironmentVariable("KUBERNETES_CLUSTER_ENDPOINT");
    r.token = qgetenv("KUBERNETES_CLUSTER_USER_TOKEN");
    // The gate's worker.yml also carries the cluster's CA certificate.
    r.certificateAuthority = qEnvironmentVariable("KUBERNETES_CLUSTER_CERTIFICATE");
    auto a = directAccess(r, QStringLiteral("KUBERNETES_CLUSTER_ENDPOINT"), QStringLiteral("KUBERNETES_CLUSTER_CERTIFICATE"));
    if (!a.ok())
        return a;
    const QString ns = qEnvironmentVariable("KUBERNETES_CLUSTER_NAMESPACE").trimmed();
    if (!ns.isEmpty())
        a->defaultNamespace = ns;
    return a;
}

} // namespace

bool isInlinePem(const QString &setting)
{
    const QString text = setting.trimmed();
    return text.startsWith(QLatin1String("-----BEGIN")) || !base64Pem(text).isEmpty();
}

Result<ClusterAccess> resolveAccess(const AccessRequest &request)
{
    if (!request.endpoint.trimmed().isEmpty())
        return directAccess(request, QStringLiteral("connection option endpoint"),
                            QStringLiteral("connection option certificateAuthority"));
    const QStringList files = request.kubeconfig.isEmpty() ? KubeConfig::defaultFiles() : QStringList{request.kubeconfig};
    auto fromKubeconfig = [&]() -> Result<ClusterAccess> {
        auto cfg = KubeConfig::load(files);
        if (!cfg.ok())
            return cfg.error();
        return cfg->access(request.context);
    };
    if (!request.context.isEmpty() || !request.kubeconfig.isEmpty())
        return fromKubeconfig();
    if (!qEnvironmentVariableIsEmpty("KUBERNETES_CLUSTER_ENDPOINT"))
        return seedEnvironmentAccess();
    if (!files.isEmpty())
        return fromKubeconfig();
    auto pod = inClusterAccess();
    if (pod.ok())
        return pod;
    return Error(ErrorKind::Invalid,
                 QStringLiteral("no Kubernetes credentials found: KUBERNETES_CLUSTER_ENDPOINT is unset, there is no "
                                "kubeconfig (KUBECONFIG or ~/.kube/config), and %1")
                     .arg(pod.error().message));
}

} // namespace sd::kube
