#include "Service.h"

#include <QDateTime>
#include <QFile>
#include <QSaveFile>

namespace femu {

namespace {

using Headers = QList<QPair<QByteArray, QByteArray>>;

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// The service writes its errors as a small pretty-printed object.
QByteArray errorBody(const std::string &message)
{
    return QByteArray("{\n  \"error\" : ") + QByteArray::fromStdString(Json(message).dump()) + "\n}\n";
}

void sendError(emu::HttpExchange *ex, int status, const std::string &message)
{
    ex->send(status, "application/json; charset=utf-8", errorBody(message));
}

QByteArray bytes(const std::string &s)
{
    return QByteArray(s.data(), qsizetype(s.size()));
}

Path relative(const Path &path, const Path &base)
{
    return Path(path.begin() + long(base.size()), path.end());
}

// A query value is JSON: orderBy="$key", startAt="a", limitToFirst=10.
std::optional<Json> jsonParam(const emu::HttpRequest &r, const char *name)
{
    if (!r.hasQuery(QString::fromLatin1(name)))
        return std::nullopt;
    Json v = Json::parse(r.queryValue(QString::fromLatin1(name)).toStdString(), nullptr, false);
    if (v.is_discarded())
        return Json::value_t::discarded;
    return v;
}

// Reads orderBy and its companions. Returns an error text, or empty.
std::string readQuery(const emu::HttpRequest &r, KeyQuery &q, bool &any)
{
    any = false;
    const auto orderBy = jsonParam(r, "orderBy");
    const char *others[] = {"startAt", "endAt", "limitToFirst", "limitToLast", "equalTo"};
    bool companion = false;
    for (const char *o : others)
        companion = companion || r.hasQuery(QString::fromLatin1(o));
    if (!orderBy) {
        if (companion)
            return "orderBy must be defined when other query parameters are defined";
        return {};
    }
    any = true;
    if (!orderBy->is_string())
        return "orderBy must be a valid JSON encoded path";
    if (*orderBy != "$key")
        return "the emulator orders by \"$key\" only (orderBy=\"$key\")";
    if (r.hasQuery(QStringLiteral("equalTo"))) {
        const auto eq = jsonParam(r, "equalTo");
        if (!eq || !eq->is_string())
            return "equalTo with orderBy=\"$key\" must be a string";
        q.startAt = q.endAt = eq->get<std::string>();
    }
    for (auto [name, slot] : {std::pair{"startAt", &q.startAt}, std::pair{"endAt", &q.endAt}}) {
        if (const auto v = jsonParam(r, name)) {
            if (!v->is_string())
                return std::string(name) + " with orderBy=\"$key\" must be a string";
            *slot = v->get<std::string>();
        }
    }
    for (auto [name, slot] : {std::pair{"limitToFirst", &q.limitToFirst}, std::pair{"limitToLast", &q.limitToLast}}) {
        if (const auto v = jsonParam(r, name)) {
            if (!v->is_number_unsigned() || v->get<unsigned long long>() == 0)
                return std::string(name) + " must be a positive integer";
            *slot = size_t(v->get<unsigned long long>());
        }
    }
    if (q.limitToFirst && q.limitToLast)
        return "limitToFirst and limitToLast cannot both be used";
    return {};
}

QString credentialOf(const emu::HttpRequest &r)
{
    if (r.hasQuery(QStringLiteral("auth")))
        return r.queryValue(QStringLiteral("auth"));
    if (r.hasQuery(QStringLiteral("access_token")))
        return r.queryValue(QStringLiteral("access_token"));
    const QByteArray h = r.header("authorization");
    if (h.startsWith("Bearer "))
        return QString::fromLatin1(h.mid(7).trimmed());
    return {};
}

// The database a request means: ?ns=, else the first label of a
// *.firebaseio.com or *.firebasedatabase.app host.
std::string namespaceOf(const emu::HttpRequest &r, const QString &fallback)
{
    if (r.hasQuery(QStringLiteral("ns")))
        return r.queryValue(QStringLiteral("ns")).toStdString();
    const QString host = QString::fromLatin1(r.header("host")).section(QLatin1Char(':'), 0, 0);
    if (host.endsWith(QLatin1String(".firebaseio.com")) || host.endsWith(QLatin1String(".firebasedatabase.app")))
        return host.section(QLatin1Char('.'), 0, 0).toStdString();
    return fallback.toStdString();
}

// How a request carried its credential, for /.emulator/stats.
std::string credentialKindOf(const emu::HttpRequest &r)
{
    if (r.hasQuery(QStringLiteral("auth")))
        return "auth";
    if (r.hasQuery(QStringLiteral("access_token")))
        return "access_token";
    if (r.header("authorization").startsWith("Bearer "))
        return "bearer";
    return "none";
}

// The request target without credentials, for /.emulator/stats.
std::string shownTarget(const emu::HttpRequest &r)
{
    QUrlQuery q = r.query;
    q.removeAllQueryItems(QStringLiteral("auth"));
    q.removeAllQueryItems(QStringLiteral("access_token"));
    std::string out = r.method.toStdString() + ' ' + r.path.toStdString();
    if (!q.isEmpty())
        out += '?' + q.toString(QUrl::FullyDecoded).toStdString();
    return out;
}

} // namespace

Service::Service(TokenAuth &auth, Options options, QObject *parent)
    : QObject(parent), m_auth(auth), m_options(std::move(options))
{
    m_keepAlive.setInterval(m_options.keepAliveMs);
    connect(&m_keepAlive, &QTimer::timeout, this, [this] {
        for (Stream &s : m_streams) {
            if (!s.exchange)
                continue;
            sendEvent(s, "keep-alive", Json());
            ++m_keepAlivesSent;
        }
    });
    m_keepAlive.start();
    m_expiry.setInterval(250);
    connect(&m_expiry, &QTimer::timeout, this, &Service::checkRevokedStreams);
    m_expiry.start();
}

Service::~Service()
{
    for (Stream &s : m_streams)
        if (s.exchange)
            s.exchange->disconnect(this);
}

bool Service::load(const QString &file, QString *error)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(file, f.errorString());
        return false;
    }
    const QByteArray text = f.readAll();
    Json parsed = Json::parse(text.toStdString(), nullptr, false);
    if (parsed.is_discarded()) {
        *error = QStringLiteral("%1: not JSON").arg(file);
        return false;
    }
    Json prepared;
    if (auto why = Database::prepare(parsed, prepared, nowMs())) {
        *error = QStringLiteral("%1: %2").arg(file, QString::fromStdString(*why));
        return false;
    }
    m_databases[m_options.defaultNamespace.toStdString()].replaceRoot(std::move(prepared));
    return true;
}

bool Service::dump(QString *error) const
{
    if (m_options.dumpFile.isEmpty()) {
        *error = QStringLiteral("no --dump file was given");
        return false;
    }
    const auto it = m_databases.find(m_options.defaultNamespace.toStdString());
    const Json shown = it == m_databases.end() ? Json() : Database::present(it->second.root());
    QSaveFile f(m_options.dumpFile);
    if (!f.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1: %2").arg(m_options.dumpFile, f.errorString());
        return false;
    }
    f.write(bytes(shown.dump(2)));
    f.write("\n");
    if (!f.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(m_options.dumpFile, f.errorString());
        return false;
    }
    return true;
}

void Service::handle(const emu::HttpRequest &request, emu::HttpExchange *exchange, bool tls)
{
    m_recent.push_back(shownTarget(request));
    while (m_recent.size() > 200)
        m_recent.pop_front();
    if (!request.path.startsWith(QLatin1String("/.emulator/")))
        ++m_credentialKinds[credentialKindOf(request)];
    QByteArray method = request.method;
    // Clients that cannot send PUT, PATCH or DELETE POST with this header.
    if (method == "POST" && !request.header("x-http-method-override").isEmpty())
        method = request.header("x-http-method-override").toUpper();
    if (request.path == QLatin1String("/token")) {
        if (method != "POST") {
            sendError(exchange, 405, "the token endpoint takes POST");
            return;
        }
        const QByteArray scheme = tls ? "https" : "http";
        const QString audience = QString::fromLatin1(scheme + "://" + request.header("host") + "/token");
        const auto [status, body] = m_auth.exchange(request.body, audience);
        exchange->send(status, "application/json; charset=utf-8", body);
        return;
    }
    if (request.path.startsWith(QLatin1String("/.emulator/"))) {
        serveAdmin(request, exchange);
        return;
    }
    serveData(request, exchange, method);
}

void Service::serveAdmin(const emu::HttpRequest &request, emu::HttpExchange *exchange)
{
    if (m_auth.roleOf(credentialOf(request)) != Role::Admin || m_auth.adminToken.isEmpty()
        || credentialOf(request) != m_auth.adminToken) {
        sendError(exchange, 401, "Permission denied");
        return;
    }
    const QString what = request.path.mid(int(qstrlen("/.emulator/")));
    const auto ok = [exchange] { exchange->send(200, "application/json", "{}"); };
    if (what == QLatin1String("stats")) {
        Json recent = Json::array();
        for (const std::string &r : m_recent)
            recent.push_back(r);
        Json credentials = Json::object();
        for (const auto &[kind, n] : m_credentialKinds)
            credentials[kind] = n;
        const Json body{{"tokensIssued", m_auth.issued()}, {"streams", m_streams.size()},
                        {"keepAlivesSent", m_keepAlivesSent}, {"authRevokedSent", m_authRevokedSent},
                        {"credentials", credentials}, {"requests", recent}};
        exchange->send(200, "application/json", bytes(body.dump()));
    } else if (request.method != "POST") {
        sendError(exchange, 405, "emulator actions take POST");
    } else if (what == QLatin1String("revoke-tokens")) {
        m_auth.revokeAll();
        checkRevokedStreams();
        ok();
    } else if (what == QLatin1String("drop-streams")) {
        Streams dropped;
        dropped.swap(m_streams);
        for (Stream &s : dropped)
            if (s.exchange) {
                s.exchange->disconnect(this);
                s.exchange->abort();
            }
        ok();
    } else if (what == QLatin1String("cancel-streams")) {
        while (!m_streams.empty())
            closeStream(m_streams.begin(), "cancel", Json("Permission denied"));
        ok();
    } else if (what == QLatin1String("clear-recent")) {
        m_recent.clear();
        m_credentialKinds.clear();
        ok();
    } else if (what == QLatin1String("dump")) {
        QString error;
        if (dump(&error))
            ok();
        else
            sendError(exchange, 500, error.toStdString());
    } else {
        sendError(exchange, 404, "no such emulator action");
    }
}

void Service::serveData(const emu::HttpRequest &request, emu::HttpExchange *exchange, QByteArray method)
{
    QString pathText = request.path;
    if (!pathText.endsWith(QLatin1String(".json"))) {
        sendError(exchange, 404, "Not found: REST requests name /<path>.json");
        return;
    }
    pathText.chop(5);
    const Path path = splitPath(pathText.toStdString());
    for (const std::string &segment : path) {
        if (std::string why = checkKey(segment); !why.empty()) {
            sendError(exchange, 400, "Invalid path: " + why);
            return;
        }
    }
    const std::string ns = namespaceOf(request, m_options.defaultNamespace);
    const QString credential = credentialOf(request);
    bool expired = false;
    const Role role = m_auth.roleOf(credential, &expired);
    if (!credential.isEmpty() && role == Role::None) {
        sendError(exchange, 401, expired ? "Auth token is expired" : "Could not parse auth token.");
        return;
    }
    const bool write = method != "GET";
    if (role == Role::None || (write && role != Role::Admin)) {
        sendError(exchange, 401, "Permission denied");
        return;
    }
    Database &db = m_databases[ns];
    const bool silent = request.queryValue(QStringLiteral("print")) == QLatin1String("silent");
    const bool pretty = request.queryValue(QStringLiteral("print")) == QLatin1String("pretty");
    const bool wantsEtag = request.header("x-firebase-etag") == "true";
    const auto answer = [&](const Json &value, const Headers &extra = {}) {
        if (silent) {
            exchange->send(204, QByteArray(), QByteArray(), extra);
            return;
        }
        exchange->send(200, "application/json; charset=utf-8", bytes(pretty ? value.dump(2) : value.dump()), extra);
    };

    if (method == "GET") {
        if (request.header("accept").contains("text/event-stream")) {
            openStream(request, exchange, ns, path, credential);
            return;
        }
        const bool shallow = request.queryValue(QStringLiteral("shallow")) == QLatin1String("true");
        KeyQuery q;
        bool isQuery = false;
        if (std::string why = readQuery(request, q, isQuery); !why.empty()) {
            sendError(exchange, 400, why);
            return;
        }
        if (shallow && isQuery) {
            sendError(exchange, 400, "Mixing 'shallow' and other query parameters is not allowed");
            return;
        }
        if (wantsEtag && (shallow || isQuery)) {
            sendError(exchange, 400, "ETag is only supported for non-query reads");
            return;
        }
        const Json value = shallow ? db.shallow(path) : isQuery ? db.query(path, q) : db.get(path);
        Headers extra;
        if (wantsEtag)
            extra << qMakePair(QByteArray("ETag"), bytes(Database::etagOf(value)));
        answer(value, extra);
        return;
    }

    const QByteArray ifMatch = request.header("if-match");
    if (!ifMatch.isEmpty() && method != "PUT" && method != "DELETE") {
        sendError(exchange, 400, "if-match is only supported for PUT and DELETE requests");
        return;
    }
    if (!ifMatch.isEmpty()) {
        const Json current = db.get(path);
        const std::string etag = Database::etagOf(current);
        if (bytes(etag) != ifMatch) {
            // The answer carries what is there now, so the writer can retry.
            exchange->send(412, "application/json; charset=utf-8", bytes(current.dump()),
                           {qMakePair(QByteArray("ETag"), bytes(etag))});
            return;
        }
    }
    Json body;
    if (method == "PUT" || method == "PATCH" || method == "POST") {
        body = Json::parse(request.body.toStdString(), nullptr, false);
        if (body.is_discarded()) {
            sendError(exchange, 400, "Invalid data; couldn't parse JSON object, array, or value.");
            return;
        }
    }
    const long long now = nowMs();
    if (method == "PUT" || method == "DELETE") {
        Json prepared;
        if (method == "PUT") {
            if (auto why = Database::prepare(body, prepared, now)) {
                sendError(exchange, 400, *why);
                return;
            }
        }
        const std::vector<Path> written{path};
        const auto before = snapshotBelow(ns, written);
        const bool changed = db.set(path, prepared);
        const Json shown = db.get(path);
        if (changed)
            notify(ns, path, written, nullptr, before);
        Headers extra;
        if (wantsEtag || !ifMatch.isEmpty())
            extra << qMakePair(QByteArray("ETag"), bytes(Database::etagOf(shown)));
        answer(method == "PUT" ? shown : Json(), extra);
        return;
    }
    if (method == "POST") {
        Json prepared;
        if (auto why = Database::prepare(body, prepared, now)) {
            sendError(exchange, 400, *why);
            return;
        }
        const std::string id = newPushId(now);
        Path child = path;
        child.push_back(id);
        const std::vector<Path> written{child};
        const auto before = snapshotBelow(ns, written);
        if (db.set(child, prepared))
            notify(ns, child, written, nullptr, before);
        answer(Json{{"name", id}});
        return;
    }
    if (method == "PATCH") {
        if (!body.is_object()) {
            sendError(exchange, 400, "Invalid data; PATCH takes a JSON object of the children to update");
            return;
        }
        std::vector<Path> written;
        std::vector<Json> values;
        Json shownPatch = Json::object();
        for (auto it = body.begin(); it != body.end(); ++it) {
            Path child = path;
            const Path rel = splitPath(it.key());
            if (rel.empty()) {
                sendError(exchange, 400, "Invalid data; a PATCH key may not be empty");
                return;
            }
            for (const std::string &segment : rel) {
                if (std::string why = checkKey(segment); !why.empty()) {
                    sendError(exchange, 400, why);
                    return;
                }
            }
            child.insert(child.end(), rel.begin(), rel.end());
            Json prepared;
            if (auto why = Database::prepare(it.value(), prepared, now)) {
                sendError(exchange, 400, *why);
                return;
            }
            for (const Path &w : written)
                if (isPrefixOf(w, child) || isPrefixOf(child, w)) {
                    sendError(exchange, 400, "Invalid data; PATCH paths may not overlap");
                    return;
                }
            written.push_back(child);
            shownPatch[joinPath(rel).substr(1)] = Database::present(prepared);
            values.push_back(std::move(prepared));
        }
        const auto before = snapshotBelow(ns, written);
        bool changed = false;
        for (size_t i = 0; i < written.size(); ++i)
            changed = db.set(written[i], values[i]) || changed;
        if (changed)
            notify(ns, path, written, &shownPatch, before);
        answer(shownPatch);
        return;
    }
    sendError(exchange, 405, "Method not allowed");
}

std::map<const Service::Stream *, std::string> Service::snapshotBelow(const std::string &ns,
                                                                       const std::vector<Path> &written)
{
    std::map<const Stream *, std::string> out;
    Database &db = m_databases[ns];
    for (const Stream &s : m_streams) {
        if (s.ns != ns)
            continue;
        for (const Path &w : written)
            if (isPrefixOf(w, s.path) && w.size() < s.path.size()) {
                out[&s] = Database::etagOf(filtered(s, db.get(s.path)));
                break;
            }
    }
    return out;
}

void Service::notify(const std::string &ns, const Path &at, const std::vector<Path> &written, const Json *patch,
                     const std::map<const Stream *, std::string> &before)
{
    Database &db = m_databases[ns];
    for (Stream &s : m_streams) {
        if (s.ns != ns)
            continue;
        if (const auto b = before.find(&s); b != before.end()) {
            // Something above this stream's location was replaced.
            const Json now = filtered(s, db.get(s.path));
            if (Database::etagOf(now) != b->second)
                sendEvent(s, "put", Json{{"path", "/"}, {"data", now}});
            continue;
        }
        if (patch && isPrefixOf(s.path, at)) {
            Json data = Json::object();
            for (auto it = patch->begin(); it != patch->end(); ++it) {
                // A filtered stream hears only about its children.
                const Path rel = relative(at, s.path);
                const std::string child = rel.empty() ? splitPath(it.key()).front() : rel.front();
                if (inFilter(s, child))
                    data[it.key()] = it.value();
            }
            if (!data.empty())
                sendEvent(s, "patch", Json{{"path", joinPath(relative(at, s.path))}, {"data", data}});
            continue;
        }
        for (const Path &w : written) {
            if (!isPrefixOf(s.path, w))
                continue;
            const Path rel = relative(w, s.path);
            if (rel.empty()) {
                sendEvent(s, "put", Json{{"path", "/"}, {"data", filtered(s, db.get(w))}});
            } else if (inFilter(s, rel.front())) {
                sendEvent(s, "put", Json{{"path", joinPath(rel)}, {"data", db.get(w)}});
            }
        }
    }
}

bool Service::inFilter(const Stream &s, const std::string &child) const
{
    if (!s.filtered)
        return true;
    if (s.filter.startAt && keyLess(child, *s.filter.startAt))
        return false;
    if (s.filter.endAt && keyLess(*s.filter.endAt, child))
        return false;
    return true;
}

Json Service::filtered(const Stream &s, const Json &value) const
{
    if (!s.filtered || !value.is_object())
        return value;
    Json out = Json::object();
    for (auto it = value.begin(); it != value.end(); ++it)
        if (inFilter(s, it.key()))
            out[it.key()] = it.value();
    return out.empty() ? Json() : out;
}

void Service::openStream(const emu::HttpRequest &request, emu::HttpExchange *exchange, const std::string &ns,
                         const Path &path, const QString &credential)
{
    KeyQuery q;
    bool isQuery = false;
    if (std::string why = readQuery(request, q, isQuery); !why.empty()) {
        sendError(exchange, 400, why);
        return;
    }
    if (q.limitToFirst || q.limitToLast) {
        sendError(exchange, 400, "the emulator streams orderBy=\"$key\" with startAt and endAt only");
        return;
    }
    Stream s;
    s.exchange = exchange;
    s.ns = ns;
    s.path = path;
    s.filter = q;
    s.filtered = isQuery;
    s.credential = credential;
    m_streams.push_back(s);
    auto it = std::prev(m_streams.end());
    connect(exchange, &emu::HttpExchange::closed, this, [this, exchange] {
        for (auto i = m_streams.begin(); i != m_streams.end(); ++i)
            if (i->exchange == exchange) {
                m_streams.erase(i);
                return;
            }
    });
    exchange->startStream(200, "text/event-stream; charset=utf-8");
    sendEvent(*it, "put", Json{{"path", "/"}, {"data", filtered(*it, m_databases[ns].get(path))}});
}

void Service::sendEvent(Stream &stream, const char *event, const Json &data)
{
    if (!stream.exchange)
        return;
    stream.exchange->writeChunk(QByteArray("event: ") + event + "\ndata: " + bytes(data.dump()) + "\n\n");
}

void Service::closeStream(Streams::iterator it, const char *event, const Json &data)
{
    QPointer<emu::HttpExchange> ex = it->exchange;
    sendEvent(*it, event, data);
    m_streams.erase(it);
    if (ex) {
        ex->disconnect(this);
        ex->endStream();
    }
}

void Service::checkRevokedStreams()
{
    for (auto it = m_streams.begin(); it != m_streams.end();) {
        auto next = std::next(it);
        bool expired = false;
        if (m_auth.roleOf(it->credential, &expired) == Role::None && expired) {
            if (it->exchange)
                ++m_authRevokedSent;
            closeStream(it, "auth_revoked", Json("credential is no longer valid"));
        }
        it = next;
    }
}

} // namespace femu
