#include "config/StoreOptions.h"

#include "config/ConfigNode.h"
#include "config/EnvExpander.h"
#include "kube/KubeConfig.h"

#include <QDir>
#include <QFileInfo>
#include <QUrl>

namespace sd {
namespace {

// Certificate: a PEM file's path (made absolute like Path), or the PEM
// itself / base64 of PEM, kept as written.
enum class Type { Text, Path, Port, Count, Bool, List, Resource, Certificate };

struct Option {
    const char *backend;
    const char *name;
    Type type;
};

// One row per option a backend accepts; StoreSpec.h documents the same table.
const std::vector<Option> &optionTable()
{
    static const std::vector<Option> table = {
        {"sqlite", "path", Type::Path},
        {"local", "statePath", Type::Path},
        {"local", "keysPath", Type::Path},
        {"yaml", "path", Type::Path},
        {"yaml", "backups", Type::Count},
        {"redis", "host", Type::Text},
        {"redis", "port", Type::Port},
        {"redis", "database", Type::Count},
        {"redis", "user", Type::Text},
        {"redis", "password", Type::Text},
        {"redis", "tls", Type::Bool},
        {"redis", "separator", Type::Text},
        {"etcd", "endpoints", Type::List},
        {"etcd", "user", Type::Text},
        {"etcd", "password", Type::Text},
        {"etcd", "tls", Type::Bool},
        {"etcd", "root", Type::Text},
        {"etcd", "cert", Type::Path},
        {"etcd", "key", Type::Path},
        {"etcd", "cacert", Type::Path},
        {"kubernetes", "context", Type::Text},
        {"kubernetes", "namespace", Type::Text},
        {"kubernetes", "resource", Type::Resource},
        {"kubernetes", "secretName", Type::Text},
        {"kubernetes", "endpoint", Type::Text},
        {"kubernetes", "token", Type::Text},
        {"kubernetes", "certificateAuthority", Type::Certificate},
        {"kubernetes", "insecureSkipTlsVerify", Type::Bool},
        {"kubernetes", "kubeconfig", Type::Path},
        {"firebase", "projectId", Type::Text},
        {"firebase", "databaseUrl", Type::Text},
        {"firebase", "root", Type::Text},
        {"firebase", "ns", Type::Text},
        {"firebase", "tls", Type::Bool},
        {"firebase", "auth", Type::Text},
        {"firebase", "serviceAccount", Type::Path},
        {"firebase", "clientEmail", Type::Text},
        {"firebase", "privateKey", Type::Text},
        {"firebase", "tokenUri", Type::Text},
        {"firebase", "lockPath", Type::Text},
        {"firebase", "timeoutMs", Type::Count},
        {"consul", "host", Type::Text},
        {"consul", "port", Type::Port},
        {"consul", "token", Type::Text},
        {"consul", "datacenter", Type::Text},
        {"consul", "tls", Type::Bool},
    };
    return table;
}

const Option *findOption(const QString &backend, const QString &name)
{
    for (const Option &o : optionTable())
        if (backend == QLatin1String(o.backend) && name == QLatin1String(o.name))
            return &o;
    return nullptr;
}

Error invalid(const QString &message, const QString &where)
{
    return Error(ErrorKind::Invalid, message, where);
}

QString absolutePath(const QString &path, const QString &baseDir)
{
    if (QDir::isAbsolutePath(path))
        return QDir::cleanPath(path);
    const QString base = baseDir.isEmpty() ? QDir::currentPath() : baseDir;
    return QDir::cleanPath(QDir(base).absoluteFilePath(path));
}

// RFC 1123 label, as Kubernetes requires of namespaces.
bool isDnsLabel(const QString &s)
{
    if (s.isEmpty() || s.size() > 63)
        return false;
    for (qsizetype i = 0; i < s.size(); ++i) {
        const QChar c = s.at(i);
        const bool alnum = (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('0') && c <= QLatin1Char('9'));
        if (!alnum && !(c == QLatin1Char('-') && i > 0 && i < s.size() - 1))
            return false;
    }
    return true;
}

// RFC 1123 subdomain, as Kubernetes requires of object names.
bool isDnsSubdomain(const QString &s)
{
    if (s.isEmpty() || s.size() > 253)
        return false;
    const QStringList labels = s.split(QLatin1Char('.'));
    for (const QString &l : labels)
        if (!isDnsLabel(l))
            return false;
    return true;
}

Result<QStringList> etcdEndpoints(const QStringList &items, bool tls, const QString &where)
{
    const QString expected = QStringLiteral("host:port or http(s)://host:port");
    QStringList out;
    for (QString item : items) {
        item = item.trimmed();
        if (item.isEmpty())
            continue;
        QString scheme = tls ? QStringLiteral("https") : QStringLiteral("http");
        const qsizetype sep = item.indexOf(QStringLiteral("://"));
        if (sep >= 0) {
            scheme = item.left(sep);
            if (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
                return invalid(QStringLiteral("etcd endpoint \"%1\" has scheme \"%2\"; expected %3")
                                   .arg(item, scheme, expected),
                               where);
            item = item.mid(sep + 3);
            if (item.endsWith(QLatin1Char('/')))
                item.chop(1);
        }
        Result<HostPort> hp = parseHostPort(item, 2379, QStringLiteral("etcd endpoint"), expected, where);
        if (!hp.ok())
            return hp.error();
        const QString host = hp->host.contains(QLatin1Char(':')) ? QLatin1Char('[') + hp->host + QLatin1Char(']')
                                                                  : hp->host;
        out << QStringLiteral("%1://%2:%3").arg(scheme, host).arg(hp->port);
    }
    if (out.isEmpty())
        return invalid(QStringLiteral("etcd needs at least one endpoint; expected %1").arg(expected), where);
    return out;
}

} // namespace

QStringList configBackends()
{
    return {QStringLiteral("sqlite"), QStringLiteral("local"), QStringLiteral("yaml"), QStringLiteral("kubernetes"),
            QStringLiteral("etcd"), QStringLiteral("redis"), QStringLiteral("firebase"), QStringLiteral("consul")};
}

QStringList storeOptionNames(const QString &backend)
{
    QStringList names;
    for (const Option &o : optionTable())
        if (backend == QLatin1String(o.backend))
            names << QString::fromLatin1(o.name);
    return names;
}

bool isSecretOption(const QString &name)
{
    return name == QLatin1String("password") || name == QLatin1String("token") || name == QLatin1String("auth")
           || name == QLatin1String("privateKey");
}

Result<HostPort> parseHostPort(const QString &text, int defaultPort, const QString &what, const QString &expected,
                               const QString &where)
{
    const QString tail = expected.isEmpty() ? QString() : QStringLiteral("; expected ") + expected;
    auto bad = [&](const QString &problem) { return invalid(problem + tail, where); };
    HostPort out;
    QString rest;
    if (text.startsWith(QLatin1Char('['))) {
        const qsizetype close = text.indexOf(QLatin1Char(']'));
        if (close < 0)
            return bad(QStringLiteral("%1 \"%2\" has an unclosed \"[\"").arg(what, text));
        out.host = text.mid(1, close - 1);
        rest = text.mid(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(QLatin1Char(':')))
            return bad(QStringLiteral("%1 \"%2\" has text after \"]\"").arg(what, text));
    } else {
        const qsizetype colon = text.indexOf(QLatin1Char(':'));
        out.host = colon < 0 ? text : text.left(colon);
        rest = colon < 0 ? QString() : text.mid(colon);
    }
    if (out.host.isEmpty())
        return bad(QStringLiteral("%1 has no host").arg(what));
    for (const QChar c : std::as_const(out.host)) {
        if (c.isSpace() || c == QLatin1Char('/') || c == QLatin1Char('@') || c == QLatin1Char(',')
            || c == QLatin1Char('[') || c == QLatin1Char(']'))
            return bad(QStringLiteral("%1 host \"%2\" contains \"%3\"").arg(what, out.host, c));
    }
    out.port = defaultPort;
    if (!rest.isEmpty()) {
        bool ok = false;
        const int port = rest.mid(1).toInt(&ok);
        if (!ok || port < 1 || port > 65535)
            return bad(QStringLiteral("%1 port \"%2\" is not a port number (1-65535)").arg(what, rest.mid(1)));
        out.port = port;
    }
    return out;
}

Result<QVariant> storeOptionValue(const QString &backend, const QString &name, const QString &text,
                                  const QString &baseDir, const QString &where)
{
    const Option *opt = findOption(backend, name);
    if (!opt) {
        const QStringList accepted = storeOptionNames(backend);
        if (accepted.isEmpty())
            return invalid(QStringLiteral("unknown backend \"%1\"; expected one of: %2")
                               .arg(backend, configBackends().join(QStringLiteral(", "))),
                           where);
        return invalid(QStringLiteral("unknown %1 option \"%2\"; accepted options: %3")
                           .arg(backend, name, accepted.join(QStringLiteral(", "))),
                       where);
    }
    const QString value = text.trimmed();
    switch (opt->type) {
    case Type::Text:
        // Text is kept verbatim: a password may start or end with a space.
        return QVariant(text);
    case Type::Path:
        if (value.isEmpty())
            return invalid(QStringLiteral("%1 option \"%2\" is empty; expected a path").arg(backend, name), where);
        return QVariant(absolutePath(value, baseDir));
    case Type::Port: {
        bool ok = false;
        const int port = value.toInt(&ok);
        if (!ok || port < 1 || port > 65535)
            return invalid(QStringLiteral("%1 option \"%2\" is \"%3\"; expected a port number (1-65535)")
                               .arg(backend, name, value),
                           where);
        return QVariant(port);
    }
    case Type::Count: {
        bool ok = false;
        const int n = value.toInt(&ok);
        if (!ok || n < 0)
            return invalid(QStringLiteral("%1 option \"%2\" is \"%3\"; expected a whole number, 0 or more")
                               .arg(backend, name, value),
                           where);
        return QVariant(n);
    }
    case Type::Bool: {
        const QString v = value.toLower();
        if (v == QLatin1String("true") || v == QLatin1String("yes") || v == QLatin1String("on") || v == QLatin1String("1"))
            return QVariant(true);
        if (v == QLatin1String("false") || v == QLatin1String("no") || v == QLatin1String("off") || v == QLatin1String("0"))
            return QVariant(false);
        return invalid(QStringLiteral("%1 option \"%2\" is \"%3\"; expected true or false").arg(backend, name, value),
                       where);
    }
    case Type::List: {
        QStringList items;
        for (const QString &item : value.split(QLatin1Char(','), Qt::SkipEmptyParts))
            items << item.trimmed();
        return QVariant(items);
    }
    case Type::Certificate:
        if (value.isEmpty() || kube::isInlinePem(value))
            return QVariant(value);
        return QVariant(absolutePath(value, baseDir));
    case Type::Resource:
        if (value != QLatin1String("configmaps") && value != QLatin1String("secrets"))
            return invalid(QStringLiteral("kubernetes option \"resource\" is \"%1\"; expected configmaps or secrets")
                               .arg(value),
                           where);
        return QVariant(value);
    }
    return QVariant(text);
}

Result<QVariant> storeOptionValue(const QString &backend, const ConfigNode &node, const EnvExpander &env,
                                  const QString &baseDir)
{
    const Option *opt = findOption(backend, node.key);
    if (opt && opt->type == Type::List && node.isSequence()) {
        QStringList items;
        for (const ConfigNode &item : node.children) {
            Result<QString> text = env.expand(item);
            if (!text.ok())
                return text.error();
            items << text->trimmed();
        }
        return QVariant(items);
    }
    if (!opt) // an unknown key is reported at the key, before its value is looked at
        return storeOptionValue(backend, node.key, QString(), baseDir, node.keyWhere());
    Result<QString> text = env.expand(node);
    if (!text.ok())
        return text.error();
    return storeOptionValue(backend, node.key, text.value(), baseDir, node.where());
}

Status finishStoreSpec(StoreSpec &spec, const QString &where)
{
    QVariantMap &o = spec.options;
    auto text = [&](const char *name) { return o.value(QString::fromLatin1(name)).toString(); };
    auto needs = [&](const char *name, const QString &expected) -> Status {
        if (!text(name).isEmpty())
            return {};
        return invalid(QStringLiteral("the %1 store needs option \"%2\" (%3)").arg(spec.backend, QString::fromLatin1(name), expected),
                       where);
    };

    const QString &b = spec.backend;
    if (b == QLatin1String("sqlite")) {
        return {}; // no path: the default database
    }
    if (b == QLatin1String("local"))
        return needs("statePath", QStringLiteral("the gate's state.json, e.g. /var/lib/k8gate/state.json"));
    if (b == QLatin1String("yaml"))
        return needs("path", QStringLiteral("the state/ directory"));
    if (b == QLatin1String("redis") || b == QLatin1String("consul")) {
        if (Status s = needs("host", QStringLiteral("a host name or address")); !s.ok())
            return s;
        if (!o.contains(QStringLiteral("port")))
            o.insert(QStringLiteral("port"), b == QLatin1String("redis") ? 6379 : 8500);
        if (b == QLatin1String("redis") && !o.contains(QStringLiteral("database")))
            o.insert(QStringLiteral("database"), 0);
        if (!o.contains(QStringLiteral("tls")))
            o.insert(QStringLiteral("tls"), false);
        return {};
    }
    if (b == QLatin1String("etcd")) {
        Result<QStringList> eps = etcdEndpoints(o.value(QStringLiteral("endpoints")).toStringList(),
                                                o.value(QStringLiteral("tls")).toBool(), where);
        if (!eps.ok())
            return eps.error();
        o.insert(QStringLiteral("endpoints"), eps.value());
        if (!o.contains(QStringLiteral("tls")))
            o.insert(QStringLiteral("tls"), eps->first().startsWith(QLatin1String("https:")));
        return {};
    }
    if (b == QLatin1String("kubernetes")) {
        const QString ns = text("namespace");
        if (!ns.isEmpty() && !isDnsLabel(ns))
            return invalid(QStringLiteral("kubernetes namespace \"%1\" is not valid; expected lower-case letters, "
                                          "digits and \"-\", at most 63 characters")
                               .arg(ns),
                           where);
        // An empty namespace or context means "the kubeconfig's": drop it.
        if (ns.isEmpty())
            o.remove(QStringLiteral("namespace"));
        if (text("context").isEmpty())
            o.remove(QStringLiteral("context"));
        for (const char *optional : {"endpoint", "token", "kubeconfig", "certificateAuthority"})
            if (text(optional).isEmpty())
                o.remove(QString::fromLatin1(optional));
        if (!o.value(QStringLiteral("insecureSkipTlsVerify")).toBool())
            o.remove(QStringLiteral("insecureSkipTlsVerify"));
        // A kubeconfig context carries its own CA and TLS settings.
        if (text("endpoint").isEmpty()) {
            for (const char *tls : {"certificateAuthority", "insecureSkipTlsVerify"})
                if (o.contains(QString::fromLatin1(tls)))
                    return invalid(QStringLiteral("kubernetes option \"%1\" applies only with option \"endpoint\" "
                                                  "(a kubeconfig context has its own CA and TLS settings)")
                                       .arg(QString::fromLatin1(tls)),
                                   where);
        }
        const QString secret = text("secretName");
        if (!o.contains(QStringLiteral("resource")))
            o.insert(QStringLiteral("resource"), secret.isEmpty() ? QStringLiteral("configmaps") : QStringLiteral("secrets"));
        if (text("resource") == QLatin1String("secrets")) {
            // Without secretName: every Secret of the namespace.
            if (!secret.isEmpty() && !isDnsSubdomain(secret))
                return invalid(QStringLiteral("kubernetes secret name \"%1\" is not valid; expected lower-case "
                                              "letters, digits, \"-\" and \".\"")
                                   .arg(secret),
                               where);
        } else if (!secret.isEmpty()) {
            return invalid(QStringLiteral("option \"secretName\" only applies to resource secrets"), where);
        }
        return {};
    }
    if (b == QLatin1String("firebase")) {
        QString project = text("projectId");
        QString url = text("databaseUrl");
        if (project.isEmpty() && url.isEmpty())
            return invalid(QStringLiteral("the firebase store needs option \"projectId\" or \"databaseUrl\" "
                                          "(e.g. https://PROJECT.firebaseio.com)"),
                           where);
        if (url.isEmpty()) {
            // The Realtime Database's classic address for a project's default database.
            url = QStringLiteral("https://%1.firebaseio.com").arg(project);
            o.insert(QStringLiteral("databaseUrl"), url);
        }
        const QUrl parsed(url, QUrl::StrictMode);
        if (!parsed.isValid() || parsed.host().isEmpty()
            || (parsed.scheme() != QLatin1String("https") && parsed.scheme() != QLatin1String("http")))
            return invalid(QStringLiteral("firebase databaseUrl \"%1\" is not valid; expected "
                                          "https://PROJECT.firebaseio.com")
                               .arg(url),
                           where);
        if (project.isEmpty()) {
            // "PROJECT-default-rtdb.region.firebasedatabase.app" names PROJECT's default database.
            project = parsed.host().section(QLatin1Char('.'), 0, 0);
            if (project.endsWith(QLatin1String("-default-rtdb")))
                project.chop(int(qstrlen("-default-rtdb")));
            o.insert(QStringLiteral("projectId"), project);
        }
        return {};
    }
    return invalid(QStringLiteral("unknown backend \"%1\"; expected one of: %2")
                       .arg(b, configBackends().join(QStringLiteral(", "))),
                   where);
}

QString describeStore(const StoreSpec &spec)
{
    QStringList parts{spec.backend};
    for (auto it = spec.options.constBegin(); it != spec.options.constEnd(); ++it) {
        QString value;
        if (isSecretOption(it.key()))
            value = it.value().toString().isEmpty() ? QString() : QStringLiteral("***");
        else if (it.key() == QLatin1String("certificateAuthority") && kube::isInlinePem(it.value().toString()))
            value = QStringLiteral("(PEM)"); // a CA is public, but a page of base64 helps nobody
        else if (it.value().typeId() == QMetaType::QStringList)
            value = it.value().toStringList().join(QLatin1Char(','));
        else if (it.value().typeId() == QMetaType::Bool)
            value = it.value().toBool() ? QStringLiteral("true") : QStringLiteral("false");
        else
            value = it.value().toString();
        if (value.isEmpty())
            continue;
        parts << it.key() + QLatin1Char('=') + value;
    }
    QString line = parts.join(QLatin1Char(' '));
    if (spec.fallback)
        line += QStringLiteral(" (fallback: %1)").arg(describeStore(*spec.fallback));
    return line;
}

} // namespace sd
