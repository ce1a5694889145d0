#include "config/ConnectionsFile.h"

#include "config/StateManagement.h"
#include "config/StoreOptions.h"
#include "config/StoreUrl.h"
#include "config/WorkerConfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>

#include <optional>

namespace sd {
namespace {

// The keys that say which store a connection is; exactly one per connection.
const QStringList kKinds = {QStringLiteral("url"), QStringLiteral("workerConfig"), QStringLiteral("state_management"),
                            QStringLiteral("backend")};
const QStringList kConnectionKeys = {QStringLiteral("description"), QStringLiteral("url"),
                                     QStringLiteral("workerConfig"), QStringLiteral("state_management"),
                                     QStringLiteral("backend"), QStringLiteral("options"),
                                     QStringLiteral("readOnly"), QStringLiteral("production"),
                                     QStringLiteral("sensitive"), QStringLiteral("color")};

Error invalid(const QString &message, const QString &where)
{
    return Error(ErrorKind::Invalid, message, where);
}

QString absolute(const QString &path, const QString &baseDir)
{
    return QDir::cleanPath(QDir(baseDir).absoluteFilePath(path));
}

// Names are typed on command lines next to URLs and paths: keep ":" and "/" out.
bool isValidName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]*$"));
    return re.match(name).hasMatch();
}

std::optional<bool> readOnlyValue(const ConfigNode &node);

Status checkConnection(const ConfigNode &c)
{
    if (!isValidName(c.key))
        return invalid(QStringLiteral("connection name \"%1\" is not valid; expected letters, digits, \".\", \"_\" "
                                      "and \"-\", starting with a letter or digit")
                           .arg(c.key),
                       c.keyWhere());
    const QString what = QStringLiteral("connection \"%1\"").arg(c.key);
    if (Status s = expectMap(c, what); !s.ok())
        return s;
    if (Status s = expectKeys(c, kConnectionKeys, what); !s.ok())
        return s;
    QStringList kinds;
    for (const QString &k : kKinds)
        if (c.get(k))
            kinds << k;
    if (kinds.isEmpty())
        return invalid(QStringLiteral("%1 does not say which store it is; expected one of: %2")
                           .arg(what, kKinds.join(QStringLiteral(", "))),
                       c.keyWhere());
    if (kinds.size() > 1)
        return invalid(QStringLiteral("%1 has both %2 and %3; expected exactly one of: %4")
                           .arg(what, kinds.at(0), kinds.at(1), kKinds.join(QStringLiteral(", "))),
                       c.get(kinds.at(1))->keyWhere());
    const ConfigNode *options = c.get(QStringLiteral("options"));
    if (options && kinds.first() != QLatin1String("backend"))
        return invalid(QStringLiteral("%1: \"options\" goes with \"backend\"; with %2 the options are part of it")
                           .arg(what, kinds.first()),
                       options->keyWhere());
    // `color: #c0392b` unquoted is a comment to YAML: say so, not "nothing".
    if (const ConfigNode *col = c.get(QStringLiteral("color")); col && col->isNull())
        return invalid(QStringLiteral("%1: \"color\" is empty; write a colour quoted, as color: \"#c0392b\" (unquoted, "
                                      "YAML reads # as the start of a comment)")
                           .arg(what),
                       col->where());
    for (const char *scalar :
         {"description", "url", "workerConfig", "backend", "readOnly", "production", "sensitive", "color"}) {
        const ConfigNode *n = c.get(QString::fromLatin1(scalar));
        if (n && !n->isScalar())
            return invalid(QStringLiteral("%1: \"%2\" must be a single value, found %3")
                               .arg(what, QString::fromLatin1(scalar), n->kindName()),
                           n->where());
    }
    if (options && !options->isNull())
        if (Status s = expectMap(*options, QStringLiteral("%1 options").arg(what)); !s.ok())
            return s;
    for (const char *flag : {"readOnly", "production", "sensitive"})
        if (const ConfigNode *f = c.get(QString::fromLatin1(flag)); f && !readOnlyValue(*f))
            return invalid(QStringLiteral("%1: \"%2\" is \"%3\"; expected true or false")
                               .arg(what, QString::fromLatin1(flag), f->scalar),
                           f->where());
    static const QRegularExpression colour(QStringLiteral("^#[0-9A-Fa-f]{6}$"));
    if (const ConfigNode *col = c.get(QStringLiteral("color")); col && !colour.match(col->scalar.trimmed()).hasMatch())
        return invalid(QStringLiteral("%1: \"color\" is \"%2\"; expected a colour as \"#rrggbb\" (quoted: YAML "
                                      "reads # as a comment)")
                           .arg(what, col->scalar),
                       col->where());
    const ConfigNode *sm = c.get(QStringLiteral("state_management"));
    if (sm && !sm->isMap() && !sm->isScalar())
        return invalid(QStringLiteral("%1: \"state_management\" must be a block (backend, fallback, ...) or the path "
                                      "of a file holding one, found %2")
                           .arg(what, sm->kindName()),
                       sm->where());
    return {};
}

// `readOnly:` (or `production:`, `sensitive:`) as a YAML boolean; nullopt for anything else.
std::optional<bool> readOnlyValue(const ConfigNode &node)
{
    const QString v = node.scalar.trimmed().toLower();
    if (node.quoted)
        return std::nullopt;
    if (v == QLatin1String("true") || v == QLatin1String("yes") || v == QLatin1String("on"))
        return true;
    if (v == QLatin1String("false") || v == QLatin1String("no") || v == QLatin1String("off"))
        return false;
    return std::nullopt;
}

// A file named by a connection that cannot be read: say which connection named it.
Error namedFileError(const Error &e, const QString &what, const ConfigNode &node)
{
    if (e.kind != ErrorKind::Io)
        return e;
    return Error(e.kind, QStringLiteral("%1 %2: %3").arg(what, e.where, e.message), node.where());
}

} // namespace

QString ConnectionsFile::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)
           + QStringLiteral("/statedeck/connections.yaml");
}

Result<ConnectionsFile> ConnectionsFile::load(const QString &path)
{
    QFile f(path);
    if (!f.exists()) {
        ConnectionsFile empty;
        empty.m_path = path;
        empty.m_baseDir = QFileInfo(path).absolutePath();
        return empty;
    }
    if (!f.open(QIODevice::ReadOnly))
        return Error(ErrorKind::Io, QStringLiteral("cannot read the connections file: %1").arg(f.errorString()), path);
    return parse(f.readAll(), path);
}

Result<ConnectionsFile> ConnectionsFile::parse(const QByteArray &yaml, const QString &path)
{
    ConnectionsFile out;
    out.m_path = path;
    out.m_baseDir = QFileInfo(path).absolutePath();
    Result<ConfigNode> root = parseConfigYaml(yaml, path);
    if (!root.ok())
        return root.error();
    if (root->isNull())
        return out; // an empty file: no connections yet
    if (Status s = expectMap(root.value(), QStringLiteral("connections.yaml")); !s.ok())
        return s.error();
    if (Status s = expectKeys(root.value(), {QStringLiteral("current"), QStringLiteral("connections")},
                              QStringLiteral("connections.yaml"));
        !s.ok())
        return s.error();

    if (const ConfigNode *current = root->get(QStringLiteral("current")); current && !current->isNull()) {
        if (Status s = expectScalar(*current, QStringLiteral("\"current\"")); !s.ok())
            return s.error();
        out.m_current = current->scalar.trimmed();
        out.m_currentWhere = current->where();
    }
    if (const ConfigNode *conns = root->get(QStringLiteral("connections")); conns && !conns->isNull()) {
        if (Status s = expectMap(*conns, QStringLiteral("\"connections\"")); !s.ok())
            return s.error();
        for (const ConfigNode &c : conns->children) {
            if (Status s = checkConnection(c); !s.ok())
                return s.error();
            out.m_connections.push_back(c);
        }
    }
    return out;
}

QStringList ConnectionsFile::names() const
{
    QStringList out;
    for (const ConfigNode &c : m_connections)
        out << c.key;
    return out;
}

const ConfigNode *ConnectionsFile::find(const QString &name) const
{
    for (const ConfigNode &c : m_connections)
        if (c.key == name)
            return &c;
    return nullptr;
}

Result<StoreSpec> ConnectionsFile::spec(const QString &name, const EnvExpander &env) const
{
    const ConfigNode *c = find(name);
    if (!c) {
        const QStringList known = names();
        return Error(ErrorKind::NotFound,
                     QStringLiteral("no connection named \"%1\"; defined: %2")
                         .arg(name, known.isEmpty() ? QStringLiteral("none") : known.join(QStringLiteral(", "))),
                     m_path);
    }
    Result<StoreSpec> spec = storeOf(c, env);
    if (spec.ok()) {
        spec->connection = name;
        const ConfigNode *ro = c->get(QStringLiteral("readOnly"));
        spec->readOnly = ro && readOnlyValue(*ro).value_or(false);
        const ConfigNode *sensitive = c->get(QStringLiteral("sensitive"));
        spec->sensitive = spec->sensitive || (sensitive && readOnlyValue(*sensitive).value_or(false));
    }
    return spec;
}

Result<StoreSpec> ConnectionsFile::storeOf(const ConfigNode *c, const EnvExpander &env) const
{
    if (const ConfigNode *url = c->get(QStringLiteral("url"))) {
        Result<QString> text = env.expand(*url);
        if (!text.ok())
            return text.error();
        Result<StoreSpec> spec = parseStoreUrl(text.value(), m_baseDir);
        if (!spec.ok())
            return Error(spec.error().kind, spec.error().message, url->where());
        return spec;
    }

    if (const ConfigNode *worker = c->get(QStringLiteral("workerConfig"))) {
        Result<QString> text = env.expand(*worker);
        if (!text.ok())
            return text.error();
        if (text->trimmed().isEmpty())
            return invalid(QStringLiteral("workerConfig is empty; expected the path of a worker.yml"), worker->where());
        Result<WorkerConfig> wc = loadWorkerConfig(absolute(text->trimmed(), m_baseDir), env);
        if (!wc.ok())
            return namedFileError(wc.error(), QStringLiteral("workerConfig"), *worker);
        return wc->store;
    }

    if (const ConfigNode *sm = c->get(QStringLiteral("state_management"))) {
        if (sm->isMap())
            return stateManagementSpec(*sm, m_baseDir, env);
        Result<QString> text = env.expand(*sm);
        if (!text.ok())
            return text.error();
        if (text->trimmed().isEmpty())
            return invalid(QStringLiteral("state_management is empty; expected a block or the path of a file "
                                          "holding one"),
                           sm->where());
        Result<StoreSpec> spec = loadStateManagement(absolute(text->trimmed(), m_baseDir), env);
        if (!spec.ok())
            return namedFileError(spec.error(), QStringLiteral("state_management file"), *sm);
        return spec;
    }

    const ConfigNode *backendNode = c->get(QStringLiteral("backend"));
    Result<QString> backend = env.expand(*backendNode);
    if (!backend.ok())
        return backend.error();
    StoreSpec spec;
    spec.backend = backend->trimmed();
    spec.origin = c->keyWhere();
    if (!configBackends().contains(spec.backend))
        return invalid(QStringLiteral("unknown backend \"%1\"; expected one of: %2")
                           .arg(spec.backend, configBackends().join(QStringLiteral(", "))),
                       backendNode->where());
    if (const ConfigNode *options = c->get(QStringLiteral("options")); options && options->isMap()) {
        for (const ConfigNode &o : options->children) {
            Result<QVariant> v = storeOptionValue(spec.backend, o, env, m_baseDir);
            if (!v.ok())
                return v.error();
            spec.options.insert(o.key, v.value());
        }
    }
    if (Status s = finishStoreSpec(spec, c->keyWhere()); !s.ok())
        return s.error();
    return spec;
}

QList<ConnectionInfo> ConnectionsFile::list(const EnvExpander &env) const
{
    QList<ConnectionInfo> out;
    for (const ConfigNode &c : m_connections) {
        ConnectionInfo info;
        info.name = c.key;
        info.where = c.keyWhere();
        info.current = c.key == m_current;
        if (const ConfigNode *d = c.get(QStringLiteral("description")); d && d->isScalar())
            info.description = d->scalar;
        if (const ConfigNode *p = c.get(QStringLiteral("production")))
            info.production = readOnlyValue(*p).value_or(false);
        if (const ConfigNode *col = c.get(QStringLiteral("color")))
            info.color = col->scalar.trimmed().toLower();
        Result<StoreSpec> spec = this->spec(c.key, env);
        if (spec.ok()) {
            info.backend = spec->backend;
            info.readOnly = spec->readOnly;
            info.sensitive = spec->sensitive;
            info.origin = spec->origin;
            if (info.description.isEmpty())
                info.description = describeStore(spec.value());
        } else {
            info.error = spec.error().toString();
        }
        out << info;
    }
    return out;
}

Result<StoreSpec> resolveStore(const QString &urlOrConnectionName, const ConnectionsFile &connections,
                               const EnvExpander &env)
{
    const QString arg = urlOrConnectionName.trimmed();
    if (arg.isEmpty()) {
        const QString current = connections.current();
        if (current.isEmpty()) {
            StoreSpec spec;
            spec.backend = QStringLiteral("sqlite");
            spec.origin = QStringLiteral("default");
            return spec;
        }
        if (!connections.contains(current)) {
            const QStringList known = connections.names();
            return Error(ErrorKind::NotFound,
                         QStringLiteral("the current connection \"%1\" is not defined; defined: %2")
                             .arg(current, known.isEmpty() ? QStringLiteral("none") : known.join(QStringLiteral(", "))),
                         connections.currentWhere());
        }
        return connections.spec(current, env);
    }
    if (connections.contains(arg))
        return connections.spec(arg, env);
    // A plain word that is no file is a mistyped or missing connection name;
    // saying so beats explaining file suffixes.
    if (isValidName(arg) && !arg.contains(QLatin1Char('.')) && !QFileInfo::exists(arg)) {
        const QStringList known = connections.names();
        return Error(ErrorKind::NotFound,
                     QStringLiteral("no connection named \"%1\" (defined: %2); expected a connection name, a store "
                                    "URL such as sqlite:///path.db, or a path")
                         .arg(arg, known.isEmpty() ? QStringLiteral("none") : known.join(QStringLiteral(", "))),
                     connections.path());
    }
    Result<StoreSpec> spec = parseStoreUrl(arg);
    if (!spec.ok() && !looksLikeStoreUrl(arg) && !connections.names().isEmpty()) {
        Error e = spec.error();
        e.message += QStringLiteral(" (connections in %1: %2)")
                         .arg(connections.path(), connections.names().join(QStringLiteral(", ")));
        return e;
    }
    return spec;
}

Result<StoreSpec> resolveStore(const QString &urlOrConnectionName, const QString &connectionsPath,
                               const EnvExpander &env)
{
    // Names never hold ":", so a URL needs no connections file: a broken one
    // does not get in the way of an explicit URL.
    if (looksLikeStoreUrl(urlOrConnectionName.trimmed()))
        return parseStoreUrl(urlOrConnectionName.trimmed());
    Result<ConnectionsFile> file =
        ConnectionsFile::load(connectionsPath.isEmpty() ? ConnectionsFile::defaultPath() : connectionsPath);
    if (!file.ok())
        return file.error();
    return resolveStore(urlOrConnectionName, file.value(), env);
}

} // namespace sd
