#include "config/StoreUrl.h"

#include "config/StoreOptions.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QUrl>

namespace sd {
namespace {

struct Form {
    const char *scheme;
    const char *backend;
    const char *expected;
};

const std::vector<Form> &forms()
{
    static const std::vector<Form> table = {
        {"sqlite", "sqlite", "sqlite:///absolute/path.db or sqlite:relative/path.db"},
        {"local", "local", "local:///var/lib/k8gate/state.json[?keysPath=/etc/ssh/authorized_keys.d]"},
        {"yaml", "yaml", "yaml:///path/to/state[?backups=N]"},
        {"redis", "redis", "redis://[user:password@]host[:port][/db]"},
        {"rediss", "redis", "rediss://[user:password@]host[:port][/db]"},
        {"etcd", "etcd", "etcd://host[:port][,host2[:port]...]"},
        {"etcds", "etcd", "etcds://host[:port][,host2[:port]...]"},
        {"k8s", "kubernetes",
         "k8s://CONTEXT/NAMESPACE/configmaps, k8s://CONTEXT/NAMESPACE/secrets or k8s://CONTEXT/NAMESPACE/secrets/NAME"},
        {"kubernetes", "kubernetes",
         "kubernetes://CONTEXT/NAMESPACE/configmaps, kubernetes://CONTEXT/NAMESPACE/secrets or "
         "kubernetes://CONTEXT/NAMESPACE/secrets/NAME"},
        {"firebase", "firebase", "firebase://PROJECT.firebaseio.com[/root/path] (or firebase://127.0.0.1:PORT[/root]?ns=NAME&tls=false)"},
        {"consul", "consul", "consul://host[:port]"},
        {"consuls", "consul", "consuls://host[:port]"},
    };
    return table;
}

const Form *findForm(const QString &scheme)
{
    for (const Form &f : forms())
        if (scheme == QLatin1String(f.scheme))
            return &f;
    return nullptr;
}

QStringList schemeNames()
{
    QStringList names;
    for (const Form &f : forms())
        names << QString::fromLatin1(f.scheme);
    return names;
}

QString decode(const QString &s)
{
    return QUrl::fromPercentEncoding(s.toUtf8());
}

// Schemes whose authority is no user info (paths, a Kubernetes context).
bool hasUserInfo(const QString &scheme)
{
    static const QStringList none = {QStringLiteral("sqlite"), QStringLiteral("local"), QStringLiteral("yaml"),
                                     QStringLiteral("k8s"), QStringLiteral("kubernetes")};
    return !none.contains(scheme);
}

// Where user info ends (the last "@" after "//"), or -1. The last "@" of the
// whole URL counts, so a password holding an unencoded "/", "?" or "#" is still
// recognised as one (and masked) instead of leaking into a host or query.
qsizetype userInfoEnd(const QString &url, qsizetype start)
{
    const qsizetype at = url.lastIndexOf(QLatin1Char('@'));
    return at >= start ? at : -1;
}

// scheme:[//[userinfo@]authority]path[?query]
struct Parts {
    QString scheme;
    bool hasAuthority = false;
    QString userInfo;
    bool hasUserInfo = false;
    QString authority; // without the user info
    QString path;
    QString query;
    bool hasQuery = false;
};

Parts split(const QString &url)
{
    Parts p;
    const qsizetype colon = url.indexOf(QLatin1Char(':'));
    p.scheme = url.left(colon).toLower();
    QString rest = url.mid(colon + 1);
    if (rest.startsWith(QLatin1String("//")) && hasUserInfo(p.scheme)) {
        const qsizetype at = userInfoEnd(rest, 2);
        if (at >= 0) {
            p.hasUserInfo = true;
            p.userInfo = rest.mid(2, at - 2);
            rest = QStringLiteral("//") + rest.mid(at + 1);
        }
    }
    const qsizetype q = rest.indexOf(QLatin1Char('?'));
    if (q >= 0) {
        p.hasQuery = true;
        p.query = rest.mid(q + 1);
        rest = rest.left(q);
    }
    if (rest.startsWith(QLatin1String("//"))) {
        p.hasAuthority = true;
        rest = rest.mid(2);
        const qsizetype slash = rest.indexOf(QLatin1Char('/'));
        p.authority = slash < 0 ? rest : rest.left(slash);
        p.path = slash < 0 ? QString() : rest.mid(slash);
    } else {
        p.path = rest;
    }
    return p;
}

class UrlParser {
public:
    UrlParser(const QString &url, const QString &baseDir)
        : m_url(url.trimmed()), m_baseDir(baseDir), m_shown(maskUrlPassword(m_url))
    {
    }

    Result<StoreSpec> run()
    {
        m_parts = split(m_url);
        m_form = findForm(m_parts.scheme);
        if (!m_form)
            return Error(ErrorKind::Invalid,
                         QStringLiteral("unknown store URL scheme \"%1:\"; expected one of: %2")
                             .arg(m_parts.scheme, schemeNames().join(QStringLiteral(", "))),
                         m_shown);
        m_spec.backend = QString::fromLatin1(m_form->backend);
        m_spec.origin = m_shown;
        if (QString(m_parts.authority + m_parts.path + m_parts.query).contains(QLatin1Char('#')))
            return fail(QStringLiteral("store URLs take no \"#fragment\" (write %23 for a literal #)"));

        Status s;
        const QString &scheme = m_parts.scheme;
        if (m_spec.backend == QLatin1String("sqlite"))
            s = file("path", {});
        else if (m_spec.backend == QLatin1String("local"))
            s = file("statePath", {QStringLiteral("keysPath")});
        else if (m_spec.backend == QLatin1String("yaml"))
            s = file("path", {QStringLiteral("backups")});
        else if (m_spec.backend == QLatin1String("redis"))
            s = redis(scheme == QLatin1String("rediss"));
        else if (m_spec.backend == QLatin1String("etcd"))
            s = etcd(scheme == QLatin1String("etcds"));
        else if (m_spec.backend == QLatin1String("kubernetes"))
            s = kubernetes();
        else if (m_spec.backend == QLatin1String("firebase"))
            s = firebase();
        else if (m_spec.backend == QLatin1String("consul"))
            s = consul(scheme == QLatin1String("consuls"));
        if (!s.ok())
            return s.error();
        if (Status f = finishStoreSpec(m_spec, m_shown); !f.ok())
            return f.error();
        return m_spec;
    }

private:
    Error fail(const QString &problem) const
    {
        const QString expected = m_form ? QString::fromLatin1(m_form->expected) : storeUrlForms().join(QStringLiteral(", "));
        const QString what = m_form ? QStringLiteral("malformed %1 URL").arg(m_parts.scheme) : QStringLiteral("malformed store URL");
        // Option errors already say what they expected; once is enough.
        if (problem.contains(QLatin1String("; expected")))
            return Error(ErrorKind::Invalid, QStringLiteral("%1: %2").arg(what, problem), m_shown);
        return Error(ErrorKind::Invalid, QStringLiteral("%1: %2; expected %3").arg(what, problem, expected), m_shown);
    }

    Status setOption(const QString &name, const QString &text)
    {
        Result<QVariant> v = storeOptionValue(m_spec.backend, name, text, m_baseDir, m_shown);
        if (!v.ok())
            return fail(v.error().message);
        m_spec.options.insert(name, v.value());
        return {};
    }

    Status query(const QStringList &accepted)
    {
        if (!m_parts.hasQuery)
            return {};
        if (accepted.isEmpty())
            return fail(QStringLiteral("%1 URLs take no \"?\" parameters").arg(m_parts.scheme));
        QStringList seen;
        for (const QString &pair : m_parts.query.split(QLatin1Char('&'), Qt::SkipEmptyParts)) {
            const qsizetype eq = pair.indexOf(QLatin1Char('='));
            const QString name = decode(eq < 0 ? pair : pair.left(eq));
            if (!accepted.contains(name))
                return fail(QStringLiteral("unknown parameter \"%1\" (accepted: %2)")
                                .arg(name, accepted.join(QStringLiteral(", "))));
            if (eq < 0 || eq == pair.size() - 1)
                return fail(QStringLiteral("parameter \"%1\" has no value").arg(name));
            if (seen.contains(name))
                return fail(QStringLiteral("parameter \"%1\" is given twice").arg(name));
            seen << name;
            if (Status s = setOption(name, decode(pair.mid(eq + 1))); !s.ok())
                return s;
        }
        return {};
    }

    // sqlite:, local:, yaml:  — a path, absolute (///) or relative (no //).
    Status file(const char *pathOption, const QStringList &params)
    {
        if (m_parts.hasAuthority && !m_parts.authority.isEmpty())
            return fail(QStringLiteral("\"%1\" is read as a host, but %2 URLs have none (use three slashes for an "
                                       "absolute path)")
                            .arg(m_parts.authority, m_parts.scheme));
        const QString path = decode(m_parts.path);
        if (path.isEmpty() || path == QLatin1String("/"))
            return fail(QStringLiteral("the path is missing"));
        if (Status s = setOption(QString::fromLatin1(pathOption), path); !s.ok())
            return s;
        return query(params);
    }

    struct Credentials {
        QString user, password;
        bool hasPassword = false;
    };
    Credentials credentials() const
    {
        Credentials c;
        if (!m_parts.hasUserInfo)
            return c;
        const qsizetype colon = m_parts.userInfo.indexOf(QLatin1Char(':'));
        c.user = decode(colon < 0 ? m_parts.userInfo : m_parts.userInfo.left(colon));
        if (colon >= 0) {
            c.hasPassword = true;
            c.password = decode(m_parts.userInfo.mid(colon + 1));
        }
        return c;
    }

    Status needAuthority(const QString &what)
    {
        if (!m_parts.hasAuthority)
            return fail(QStringLiteral("\"//\" and a %1 must follow \"%2:\"").arg(what, m_parts.scheme));
        return {};
    }

    Status noPath()
    {
        if (!m_parts.path.isEmpty() && m_parts.path != QLatin1String("/"))
            return fail(QStringLiteral("unexpected path \"%1\"").arg(m_parts.path));
        return {};
    }

    Status redis(bool tls)
    {
        if (Status s = needAuthority(QStringLiteral("host")); !s.ok())
            return s;
        const Credentials c = credentials();
        Result<HostPort> hp = parseHostPort(m_parts.authority, 6379, QStringLiteral("the address"), QString(), m_shown);
        if (!hp.ok())
            return fail(hp.error().message);
        m_spec.options.insert(QStringLiteral("host"), hp->host);
        m_spec.options.insert(QStringLiteral("port"), hp->port);
        if (!c.user.isEmpty())
            m_spec.options.insert(QStringLiteral("user"), c.user);
        if (c.hasPassword && !c.password.isEmpty())
            m_spec.options.insert(QStringLiteral("password"), c.password);
        QString db = m_parts.path.mid(1);
        if (db.endsWith(QLatin1Char('/')))
            db.chop(1);
        if (!db.isEmpty()) {
            bool ok = false;
            const int n = db.toInt(&ok);
            if (!ok || n < 0)
                return fail(QStringLiteral("the database \"%1\" is not a number").arg(db));
            m_spec.options.insert(QStringLiteral("database"), n);
        }
        m_spec.options.insert(QStringLiteral("tls"), tls);
        return query({QStringLiteral("separator")});
    }

    Status etcd(bool tls)
    {
        if (Status s = needAuthority(QStringLiteral("host")); !s.ok())
            return s;
        const Credentials c = credentials();
        if (!c.user.isEmpty())
            m_spec.options.insert(QStringLiteral("user"), c.user);
        if (c.hasPassword && !c.password.isEmpty())
            m_spec.options.insert(QStringLiteral("password"), c.password);
        QStringList hosts;
        for (const QString &h : m_parts.authority.split(QLatin1Char(','))) {
            if (h.trimmed().isEmpty())
                return fail(QStringLiteral("an endpoint in the host list is empty"));
            Result<HostPort> hp = parseHostPort(h.trimmed(), 2379, QStringLiteral("endpoint"), QString(), m_shown);
            if (!hp.ok())
                return fail(hp.error().message);
            hosts << h.trimmed();
        }
        if (Status s = noPath(); !s.ok())
            return s;
        m_spec.options.insert(QStringLiteral("tls"), tls);
        m_spec.options.insert(QStringLiteral("endpoints"), hosts);
        return query({QStringLiteral("root")});
    }

    Status kubernetes()
    {
        if (Status s = needAuthority(QStringLiteral("context (may be empty)")); !s.ok())
            return s;
        // The whole authority is the context: names like "admin@cluster" are common.
        const QString context = decode(m_parts.authority);
        QStringList segs = m_parts.path.split(QLatin1Char('/'));
        if (!segs.isEmpty() && segs.first().isEmpty())
            segs.removeFirst();
        if (!segs.isEmpty() && segs.last().isEmpty())
            segs.removeLast();
        for (QString &s : segs)
            s = decode(s);
        if (segs.isEmpty() || segs.first().isEmpty())
            return fail(QStringLiteral("the namespace is missing"));
        if (segs.size() < 2)
            return fail(QStringLiteral("the resource (configmaps or secrets) is missing after the namespace"));
        const QString resource = segs.at(1);
        if (resource == QLatin1String("configmaps")) {
            if (segs.size() != 2)
                return fail(QStringLiteral("nothing may follow \"configmaps\""));
        } else if (resource == QLatin1String("secrets")) {
            // secrets: every Secret; secrets/NAME: seed 000's one Secret.
            if (segs.size() > 3)
                return fail(QStringLiteral("nothing may follow the Secret's name"));
            if (segs.size() == 3 && segs.at(2).isEmpty())
                return fail(QStringLiteral("the Secret's name is empty after \"secrets/\""));
            if (segs.size() == 3)
                m_spec.options.insert(QStringLiteral("secretName"), segs.at(2));
        } else {
            return fail(QStringLiteral("unknown resource \"%1\"").arg(resource));
        }
        if (!context.isEmpty())
            m_spec.options.insert(QStringLiteral("context"), context);
        m_spec.options.insert(QStringLiteral("namespace"), segs.at(0));
        m_spec.options.insert(QStringLiteral("resource"), resource);
        return query({});
    }

    // firebase://HOST[:PORT][/root/path][?ns=NAME][&tls=false]: HOST is
    // PROJECT.firebaseio.com, NAME.REGION.firebasedatabase.app, a bare PROJECT,
    // or a loopback emulator (plain HTTP unless tls=true, and it needs ns=).
    Status firebase()
    {
        if (Status s = needAuthority(QStringLiteral("database host")); !s.ok())
            return s;
        if (m_parts.hasUserInfo)
            return fail(QStringLiteral("firebase URLs take no user or password (credentials come from the "
                                       "service account)"));
        Result<HostPort> hp = parseHostPort(m_parts.authority, 443, QStringLiteral("the database address"), QString(),
                                            m_shown);
        if (!hp.ok())
            return fail(hp.error().message);
        if (Status s = query({QStringLiteral("ns"), QStringLiteral("tls")}); !s.ok())
            return s;
        QString host = hp->host;
        const bool local = host == QLatin1String("localhost") || host == QLatin1String("127.0.0.1")
                           || host == QLatin1String("::1");
        if (!local && !host.contains(QLatin1Char('.')) && !host.contains(QLatin1Char(':')))
            host += QLatin1String(".firebaseio.com"); // firebase://PROJECT
        const bool tls = m_spec.options.contains(QStringLiteral("tls")) ? m_spec.options.take(QStringLiteral("tls")).toBool()
                                                                        : !local;
        QString url = (tls ? QStringLiteral("https://") : QStringLiteral("http://"))
                      + (host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host);
        if (m_parts.authority.contains(QLatin1Char(':')) && hp->port != 443)
            url += QLatin1Char(':') + QString::number(hp->port);
        m_spec.options.insert(QStringLiteral("databaseUrl"), url);
        // The emulator serves every project on one host and tells them apart
        // by ?ns=. On a loopback host ns is the project; on any other host
        // (an emulator in another container, or the service) the host names
        // the project and ?ns= is kept as it is, sent on every request.
        if (m_spec.options.contains(QStringLiteral("ns"))) {
            if (local)
                m_spec.options.insert(QStringLiteral("projectId"), m_spec.options.take(QStringLiteral("ns")));
        } else if (local) {
            return fail(QStringLiteral("a local emulator needs ?ns=PROJECT"));
        }
        const QStringList root = decode(m_parts.path).split(QLatin1Char('/'), Qt::SkipEmptyParts);
        for (const QString &segment : root)
            for (const QChar c : segment)
                if (QStringLiteral(".$#[]").contains(c) || c.unicode() < 0x20 || c.unicode() == 0x7f)
                    return fail(QStringLiteral("the root path may not contain '%1' (Firebase refuses . $ # [ ] and "
                                               "control characters in paths)")
                                    .arg(c.unicode() < 0x20 ? QStringLiteral("U+%1").arg(c.unicode(), 4, 16, QLatin1Char('0'))
                                                            : QString(c)));
        if (!root.isEmpty())
            m_spec.options.insert(QStringLiteral("root"), root.join(QLatin1Char('/')));
        return {};
    }

    Status consul(bool tls)
    {
        if (Status s = needAuthority(QStringLiteral("host")); !s.ok())
            return s;
        if (m_parts.hasUserInfo)
            return fail(QStringLiteral("consul URLs take no user or password (put the ACL token in "
                                       "connections.yaml as option token)"));
        Result<HostPort> hp = parseHostPort(m_parts.authority, 8500, QStringLiteral("the address"), QString(), m_shown);
        if (!hp.ok())
            return fail(hp.error().message);
        if (Status s = noPath(); !s.ok())
            return s;
        m_spec.options.insert(QStringLiteral("host"), hp->host);
        m_spec.options.insert(QStringLiteral("port"), hp->port);
        m_spec.options.insert(QStringLiteral("tls"), tls);
        return query({});
    }

    QString m_url;
    QString m_baseDir;
    QString m_shown;
    Parts m_parts;
    const Form *m_form = nullptr;
    StoreSpec m_spec;
};

Result<StoreSpec> parseBarePath(const QString &text, const QString &baseDir)
{
    const QString base = baseDir.isEmpty() ? QDir::currentPath() : baseDir;
    const QString path = QDir::cleanPath(QDir(base).absoluteFilePath(text));
    const QFileInfo info(path);
    const QString suffix = info.suffix().toLower();
    StoreSpec spec;
    spec.origin = path;
    if (suffix == QLatin1String("db") || suffix == QLatin1String("sqlite") || suffix == QLatin1String("sqlite3")) {
        spec.backend = QStringLiteral("sqlite");
        spec.options.insert(QStringLiteral("path"), path);
    } else if (suffix == QLatin1String("json")) {
        spec.backend = QStringLiteral("local");
        spec.options.insert(QStringLiteral("statePath"), path);
    } else if (info.isDir()) {
        spec.backend = QStringLiteral("yaml");
        spec.options.insert(QStringLiteral("path"), path);
    } else {
        // A URL with a typo in its scheme ("r%dis://u:PASS@h") lands here:
        // never echo its password.
        const QString shownPath = maskUrlPassword(path);
        QString hint;
        if (suffix == QLatin1String("yml") || suffix == QLatin1String("yaml"))
            hint = QStringLiteral(" (a worker.yml or a file with state_management: is named in connections.yaml, "
                                  "see docs/configuration.md)");
        else if (!info.exists() && suffix.isEmpty())
            hint = QStringLiteral(" (it does not exist; for a new YAML state directory write yaml://%1)").arg(shownPath);
        return Error(ErrorKind::Invalid,
                     QStringLiteral("cannot tell which store \"%1\" is%2; expected a connection name, a store URL "
                                    "such as sqlite:///path.db or redis://host:6379/0, or a path ending in .db, "
                                    ".sqlite (SQLite) or .json (gate state file), or an existing state/ directory")
                         .arg(maskUrlPassword(text), hint),
                     shownPath);
    }
    return spec;
}

} // namespace

Result<StoreSpec> parseStoreUrl(const QString &url, const QString &baseDir)
{
    const QString text = url.trimmed();
    if (text.isEmpty())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("the store is empty; expected a store URL such as sqlite:///path.db or a path"));
    if (looksLikeStoreUrl(text))
        return UrlParser(text, baseDir).run();
    return parseBarePath(text, baseDir);
}

bool looksLikeStoreUrl(const QString &text)
{
    static const QRegularExpression scheme(QStringLiteral("^[A-Za-z][A-Za-z0-9+.-]+:"));
    return scheme.match(text).hasMatch();
}

QString maskUrlPassword(const QString &url)
{
    // Any number of slashes after the scheme: a malformed "redis:/u:PASS@h"
    // is echoed in its error, and its password must not be.
    const qsizetype sep = url.indexOf(QLatin1Char(':'));
    if (sep <= 0 || !hasUserInfo(url.left(sep).toLower()))
        return url;
    qsizetype start = sep + 1;
    while (start < url.size() && url.at(start) == QLatin1Char('/'))
        ++start;
    const qsizetype at = userInfoEnd(url, start);
    if (at < 0)
        return url;
    const qsizetype colon = url.indexOf(QLatin1Char(':'), start);
    if (colon < 0 || colon > at)
        return url;
    return url.left(colon + 1) + QStringLiteral("***") + url.mid(at);
}

QStringList storeUrlForms()
{
    QStringList out;
    for (const Form &f : forms())
        out << QString::fromLatin1(f.expected);
    return out;
}

} // namespace sd
