#include "providers/etcd/EtcdProvider.h"
#include "providers/etcd/EtcdGrpc.h"
#include "providers/etcd/EtcdWatchResponse.h"

#include "providers/form/KeyForm.h"

#include "model/Codec.h"
#include "util/StreamFraming.h"

#include <QCoreApplication>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QPromise>
#include <QSet>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSysInfo>
#include <QTimer>
#include <QUuid>

#include <functional>

namespace sd {
namespace etcd {

using Callback = std::function<void(Result<Json>)>;

namespace {

// gRPC status codes, as gRPC gives them and the gateway reports them in
// {"code": N}.
constexpr int kInvalidArgument = 3;
constexpr int kDeadlineExceeded = 4;
constexpr int kPermissionDenied = 7;
constexpr int kResourceExhausted = 8;
constexpr int kOutOfRange = 11;
constexpr int kUnavailable = 14;
constexpr int kUnauthenticated = 16;

template <typename T>
struct Promise {
    std::shared_ptr<QPromise<T>> p = std::make_shared<QPromise<T>>();
    Promise() { p->start(); }
    QFuture<T> future() const { return p->future(); }
    void operator()(T value) const
    {
        p->addResult(std::move(value));
        p->finish();
    }
};

std::string b64(const QByteArray &bytes) { return toStd(bytes.toBase64()); }

QByteArray unb64(const Json &j)
{
    if (!j.is_string())
        return {};
    return QByteArray::fromBase64(toBytes(j.get<std::string>()));
}

// int64 fields arrive as JSON strings; proto3 leaves out zero values.
qint64 i64(const Json &obj, const char *field)
{
    if (!obj.is_object() || !obj.contains(field))
        return 0;
    const Json &v = obj[field];
    if (v.is_string())
        return QByteArray::fromStdString(v.get<std::string>()).toLongLong();
    if (v.is_number_integer())
        return v.get<qint64>();
    return 0;
}

bool flag(const Json &obj, const char *field)
{
    return obj.is_object() && obj.contains(field) && obj[field].is_boolean() && obj[field].get<bool>();
}

const Json &member(const Json &obj, const char *field)
{
    static const Json null;
    return obj.is_object() && obj.contains(field) ? obj[field] : null;
}

// The first key after every key starting with `prefix`; "\0" (to the end of
// the keyspace) when there is none.
QByteArray prefixEnd(QByteArray prefix)
{
    while (!prefix.isEmpty()) {
        if (quint8(prefix.back()) < 0xff) {
            prefix.back() = char(quint8(prefix.back()) + 1);
            return prefix;
        }
        prefix.chop(1);
    }
    return QByteArray(1, '\0');
}

} // namespace

WatchResponse parseWatchResponse(const Json &msg)
{
    WatchResponse out;
    if (msg.is_object() && msg.contains("error")) {
        out.isError = true;
        out.error = msg["error"];
        return out;
    }
    const Json &r = member(msg, "result");
    out.compactRevision = i64(r, "compact_revision");
    out.canceled = flag(r, "canceled");
    out.created = flag(r, "created");
    out.headerRevision = i64(member(r, "header"), "revision");
    const Json &events = member(r, "events");
    if (events.is_array()) {
        for (const Json &ev : events) {
            const Json &kv = member(ev, "kv");
            WatchKv k;
            const Json &type = member(ev, "type");
            k.deleted = type.is_string() && type.get<std::string>() == "DELETE";
            k.key = unb64(member(kv, "key"));
            if (!k.deleted)
                k.value = unb64(member(kv, "value"));
            k.modRevision = i64(kv, "mod_revision");
            k.createRevision = i64(kv, "create_revision");
            k.version = i64(kv, "version");
            k.lease = i64(kv, "lease");
            out.events << k;
        }
    }
    return out;
}

// Error::reason of a write whose fate is unknown: the request reached (or
// may have reached) etcd and no answer came back, so etcd may or may not
// have applied it. Writers settle it by reading the key back.
const QString kOutcomeUnknown = QStringLiteral("OutcomeUnknown");

// How a request may be sent again, to the next endpoint, when it got no
// clear answer.
enum class Resend {
    // Reads, and writes whose repetition is harmless (lease grant, revoke and
    // keepalive, authenticate): any missing answer moves on.
    Always,
    // Writes (txns, over gRPC): only when the request provably never reached
    // etcd (gRPC could not connect: refused, host not found, TLS handshake
    // failed) or etcd refused it before proposing it. Otherwise the caller
    // gets Unavailable with reason kOutcomeUnknown.
    IfNotDelivered,
};

// etcd answers "unavailable" both before proposing a request (nothing
// happened) and after a proposal timed out (it may still be applied).
bool refusedBeforeProposal(const QString &message)
{
    return message.contains(QLatin1String("no leader")) || message.contains(QLatin1String("too many requests"))
           || message.contains(QLatin1String("not capable"));
}

// Whether gRPC failed a call before sending any of it: with wait_for_ready
// off, a call on a channel that cannot connect fails at once, and calls
// that never left the client gRPC retries by itself (transparent retry).
// Any other UNAVAILABLE (a connection reset, closed or timed out mid-call)
// may come after etcd got the request.
bool grpcNeverSent(const QString &message)
{
    return message.contains(QLatin1String("failed to connect to all addresses"))
           || message.contains(QLatin1String("DNS resolution failed"))
           || message.contains(QLatin1String("empty address list"));
}

// One request in flight, over HTTP or gRPC. Owns its reply (or the means
// to cancel its gRPC call) and aborts it when destroyed (when its provider
// goes away), answering its callback with Cancelled so every future
// finishes.
class Call : public QObject {
public:
    using QObject::QObject;
    ~Call() override
    {
        if (reply) {
            reply->disconnect(this);
            reply->abort();
            delete reply;
        }
        if (grpcCancel)
            std::exchange(grpcCancel, {})();
        if (done)
            std::exchange(done, {})(Error(ErrorKind::Cancelled, QStringLiteral("the etcd store was closed")));
    }
    QNetworkReply *reply = nullptr;
    std::function<void()> grpcCancel;
    Callback done;
};

// Endpoints, failover, the auth token and the key mapping, shared by the
// provider and its watches (which may outlive it). Lives on the thread that
// created the provider.
class Client : public QObject {
public:
    explicit Client(EtcdOptions o)
        : opt(std::move(o)), grpc(opt.endpoints, GrpcTls{opt.caFile, opt.certFile, opt.keyFile})
    {
        QString root = opt.root;
        while (root.endsWith(QLatin1Char('/')))
            root.chop(1);
        keyPrefix = root.isEmpty() ? QByteArray() : (root + QLatin1Char('/')).toUtf8();
        if (opt.lockPrefix.isEmpty())
            opt.lockPrefix = QStringLiteral("statedeck-locks") + (root.startsWith(QLatin1Char('/')) ? root : QLatin1Char('/') + root);
        while (opt.lockPrefix.endsWith(QLatin1Char('/')))
            opt.lockPrefix.chop(1);
        nam.setAutoDeleteReplies(false);
    }
    // Calls go first: their replies belong to `nam`, which members outlive
    // only until this body ends.
    ~Client() override { abortAll(); }

    // Aborts every request in flight; their callbacks get Cancelled, and
    // whatever they try to send meanwhile is cancelled too.
    void abortAll()
    {
        closing = true;
        for (Call *call : findChildren<Call *>(QString(), Qt::FindDirectChildrenOnly))
            delete call;
        closing = false;
    }
    bool closing = false;

    EtcdOptions opt;
    QByteArray keyPrefix;
    QNetworkAccessManager nam;
    GrpcEndpoints grpc;
    int current = 0;
    QByteArray token; // a secret: never logged
    bool authenticating = false;
    QList<std::function<void(Status)>> tokenWaiters;

    QByteArray etcdKey(const QString &key) const { return keyPrefix + key.toUtf8(); }
    QString userKey(const QByteArray &k) const { return QString::fromUtf8(k.mid(keyPrefix.size())); }
    QByteArray lockKey(const QString &name) const { return (opt.lockPrefix + QLatin1Char('/') + name).toUtf8(); }
    QString endpointList() const { return opt.endpoints.join(QStringLiteral(", ")); }

    QNetworkRequest request(int idx, const QString &path, int timeoutMs) const
    {
        QNetworkRequest req(QUrl(opt.endpoints.value(idx) + path));
        req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        req.setTransferTimeout(timeoutMs);
        if (!token.isEmpty() && path != QLatin1String("/v3/auth/authenticate"))
            req.setRawHeader("Authorization", token);
#if QT_CONFIG(ssl)
        if (req.url().scheme() == QLatin1String("https")
            && (!opt.certFile.isEmpty() || !opt.caFile.isEmpty())) {
            QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
            if (!opt.caFile.isEmpty())
                conf.setCaCertificates(QSslCertificate::fromPath(opt.caFile));
            if (!opt.certFile.isEmpty()) {
                const QList<QSslCertificate> certs = QSslCertificate::fromPath(opt.certFile);
                if (!certs.isEmpty())
                    conf.setLocalCertificate(certs.first());
                QFile keyFile(opt.keyFile);
                if (keyFile.open(QIODevice::ReadOnly)) {
                    const QByteArray pem = keyFile.readAll();
                    QSslKey key(pem, QSsl::Rsa);
                    if (key.isNull())
                        key = QSslKey(pem, QSsl::Ec);
                    conf.setPrivateKey(key);
                }
            }
            req.setSslConfiguration(conf);
        }
#endif
        return req;
    }

    static Error gatewayError(const Json &body, int httpStatus, const QString &where)
    {
        const int code = int(i64(body, "code"));
        QString msg = body.is_object() && body.contains("message") && body["message"].is_string()
                          ? toQString(body["message"].get<std::string>())
                          : QStringLiteral("HTTP status %1").arg(httpStatus);
        return etcdError(code, msg, where);
    }

    // etcd's refusal with gRPC status `code` (the gateway's "code" is the
    // same number) as an error a user can act on.
    static Error etcdError(int code, QString msg, const QString &where)
    {
        ErrorKind kind = ErrorKind::Unavailable;
        if (code == kUnauthenticated || msg.contains(QLatin1String("authentication failed"))
            || msg.contains(QLatin1String("user name is empty")) || msg.contains(QLatin1String("invalid auth token")))
            kind = ErrorKind::Unauthorized;
        else if (code == kPermissionDenied)
            kind = ErrorKind::Forbidden;
        else if (msg.contains(QLatin1String("too large")) || code == kResourceExhausted
                 || msg.contains(QLatin1String("larger than max")))
            // etcd's own limit ("request is too large"), or its gRPC
            // server's, a little above it ("received message larger than
            // max").
            kind = ErrorKind::TooLarge;
        else if (code == kOutOfRange && msg.contains(QLatin1String("compacted")))
            kind = ErrorKind::NotFound;
        else if (code == kInvalidArgument)
            kind = ErrorKind::Invalid;
        else if (code == kDeadlineExceeded)
            kind = ErrorKind::Timeout;
        if (kind == ErrorKind::Unauthorized)
            msg = QStringLiteral("etcd refused the credentials (%1); check the user and password").arg(msg);
        else
            msg = QStringLiteral("etcd: %1").arg(msg);
        return Error(kind, msg, where);
    }

    // Whether a call may go out now. Not when no endpoint is configured or
    // the store is closing (`fail` gets why), nor before the auth token is
    // fetched, when one is needed: then `again` runs once it is (or `fail`
    // if it cannot be). `isAuth`: the call that fetches it.
    template <typename Fail>
    bool mayCall(bool isAuth, const Fail &fail, std::function<void()> again)
    {
        if (opt.endpoints.isEmpty()) {
            fail(Error(ErrorKind::Invalid, QStringLiteral("no etcd endpoint is configured (option \"endpoints\")")));
            return false;
        }
        if (!isAuth && !opt.user.isEmpty() && token.isEmpty()) {
            withToken([fail, again = std::move(again)](Status s) {
                if (!s.ok())
                    fail(s.error());
                else
                    again();
            });
            return false;
        }
        if (closing) {
            fail(Error(ErrorKind::Cancelled, QStringLiteral("the etcd store was closed")));
            return false;
        }
        return true;
    }

    using RangeCallback = std::function<void(Result<RangeAnswer>)>;
    // A read over etcd's gRPC API, with the same failover and token
    // handling as post() gives a gateway read.
    void range(const RangeQuery &query, RangeCallback done)
    {
        rangeAt(std::make_shared<const RangeQuery>(query), std::move(done), current, 0, false);
    }

    void rangeAt(std::shared_ptr<const RangeQuery> query, RangeCallback done, int idx, int tried, bool authRetried)
    {
        if (!mayCall(false, done, [=, this] { rangeAt(query, done, idx, tried, true); }))
            return;
        auto *call = new Call(this);
        call->done = [done](Result<Json> cancelled) { done(cancelled.error()); };
        call->grpcCancel = grpc.range(idx, *query, token, opt.requestTimeoutMs, call,
                                      [=, this](GrpcStatus status, RangeAnswer answer) {
            call->grpcCancel = nullptr;
            call->done = nullptr;
            call->deleteLater();
            const QString endpoint = opt.endpoints.value(idx);
            if (status.ok()) {
                current = idx;
                done(std::move(answer));
                return;
            }
            if (status.code == kUnauthenticated && !opt.user.isEmpty() && !authRetried) {
                // Tokens expire (--auth-token-ttl); fetch a new one once.
                token.clear();
                rangeAt(query, done, idx, tried, true);
                return;
            }
            // Down, unreachable, no answer in time, or no leader: a read
            // can go to the next member.
            if (status.code == kUnavailable || status.code == kDeadlineExceeded) {
                const int n = int(opt.endpoints.size());
                if (tried + 1 < n) {
                    rangeAt(query, done, (idx + 1) % n, tried + 1, authRetried);
                    return;
                }
                if (!status.message.startsWith(QLatin1String("etcdserver:"))) {
                    done(noEndpointAnswered(endpoint + QStringLiteral(": ") + status.message));
                    return;
                }
            }
            done(etcdError(status.code, status.message, endpoint));
        });
    }

    // POSTs a gateway call, moving to the next endpoint when one cannot be
    // reached (for writes only when nothing reached etcd; see Resend),
    // fetching a token first when auth is configured.
    void post(const QString &path, Json body, Callback done, Resend resend = Resend::Always)
    {
        send(path, std::make_shared<Json>(std::move(body)), std::move(done), current, 0, false, QString(), resend);
    }

    // Every endpoint was tried and none answered; `last` is what the last
    // one's failure said.
    Error noEndpointAnswered(const QString &last) const
    {
        return Error(ErrorKind::Unavailable,
                     QStringLiteral("no etcd endpoint answered (last: %1); check that etcd runs and the endpoints "
                                    "are right")
                         .arg(last),
                     endpointList());
    }

    // The answer to a write whose request may have been applied without
    // its answer arriving.
    Error outcomeUnknown(const QString &endpoint, const QString &why) const
    {
        return Error(ErrorKind::Unavailable,
                     QStringLiteral("%1 lost the answer to a write after the request was sent (%2), so etcd may or "
                                    "may not have applied it")
                         .arg(endpoint, why),
                     endpointList())
            .withReason(kOutcomeUnknown);
    }

    void withToken(std::function<void(Status)> then)
    {
        if (opt.user.isEmpty() || !token.isEmpty()) {
            then(Status());
            return;
        }
        tokenWaiters << std::move(then);
        if (authenticating)
            return;
        authenticating = true;
        Json body{{"name", toStd(opt.user)}, {"password", toStd(opt.password)}};
        send(QStringLiteral("/v3/auth/authenticate"), std::make_shared<Json>(std::move(body)),
             [this](Result<Json> r) {
                 authenticating = false;
                 Status s;
                 if (r.ok() && member(r.value(), "token").is_string())
                     token = toBytes(r.value()["token"].get<std::string>());
                 else
                     s = r.ok() ? Status(Error(ErrorKind::Unauthorized, QStringLiteral("etcd gave no auth token"),
                                               endpointList()))
                                : Status(r.error());
                 const auto waiters = std::exchange(tokenWaiters, {});
                 for (const auto &w : waiters)
                     w(s);
             },
             current, 0, true, QString());
    }

    void send(const QString &path, std::shared_ptr<Json> body, Callback done, int idx, int tried, bool authRetried,
              QString lastError, Resend resend = Resend::Always)
    {
        if (GrpcEndpoints::hasMethodFor(path))
            return grpcSend(path, std::move(body), std::move(done), idx, tried, authRetried, resend);
        const bool isAuth = path == QLatin1String("/v3/auth/authenticate");
        if (!mayCall(isAuth, done, [=, this] { send(path, body, done, idx, tried, true, lastError, resend); }))
            return;
        auto *call = new Call(this);
        call->done = done;
        const QNetworkRequest req = request(idx, path, opt.requestTimeoutMs);
        call->reply = nam.post(req, toBytes(body->dump()));
        QObject::connect(call->reply, &QNetworkReply::finished, call, [=, this] {
            QNetworkReply *reply = call->reply;
            call->reply = nullptr;
            call->done = nullptr;
            reply->deleteLater();
            call->deleteLater();
            const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
            const QString endpoint = opt.endpoints.value(idx);
            const int n = int(opt.endpoints.size());
            if (!status.isValid()) {
                // No HTTP answer at all: this endpoint is down.
                const QString why = QStringLiteral("%1: %2").arg(endpoint, reply->errorString());
                if (resend == Resend::IfNotDelivered) {
                    // Every write goes over gRPC, which can tell a call that
                    // never left; here nothing can, so a write is not sent
                    // again (twice applied, a guarded write would report
                    // Conflict against itself).
                    done(outcomeUnknown(endpoint, reply->errorString()));
                    return;
                }
                if (tried + 1 < n) {
                    send(path, body, done, (idx + 1) % n, tried + 1, authRetried, why, resend);
                    return;
                }
                done(noEndpointAnswered(why));
                return;
            }
            const QByteArray bytes = reply->readAll();
            Json json = parseJsonOrDiscarded(bytes.constBegin(), bytes.constEnd());
            if (status.toInt() == 200 && !json.is_discarded()) {
                current = idx;
                done(std::move(json));
                return;
            }
            const int code = int(i64(json, "code"));
            if (code == kUnauthenticated && !isAuth && !opt.user.isEmpty() && !authRetried) {
                // Tokens expire (--auth-token-ttl); fetch a new one once.
                // etcd checks the token before proposing anything.
                token.clear();
                send(path, body, done, idx, tried, true, lastError, resend);
                return;
            }
            if (code == kUnavailable) {
                const Error e = gatewayError(json, status.toInt(), endpoint);
                if (resend == Resend::IfNotDelivered && !refusedBeforeProposal(e.message)) {
                    // "request timed out", "leader changed": the proposal may
                    // still be applied.
                    done(outcomeUnknown(endpoint, e.message));
                    return;
                }
                if (tried + 1 < n) {
                    send(path, body, done, (idx + 1) % n, tried + 1, authRetried, endpoint, resend);
                    return;
                }
            }
            done(gatewayError(json, status.toInt(), endpoint));
        });
    }

    // send() for a method etcd's gRPC API has as a unary call (txns,
    // leases but their keepalive, authenticate): the same token handling
    // and failover, with what a write may do next read from gRPC's status.
    void grpcSend(const QString &path, std::shared_ptr<Json> body, Callback done, int idx, int tried, bool authRetried,
                  Resend resend)
    {
        const bool isAuth = path == QLatin1String("/v3/auth/authenticate");
        if (!mayCall(isAuth, done, [=, this] { grpcSend(path, body, done, idx, tried, true, resend); }))
            return;
        auto *call = new Call(this);
        call->done = done;
        call->grpcCancel = grpc.unary(idx, path, toBytes(body->dump()), isAuth ? QByteArray() : token,
                                      opt.requestTimeoutMs, call, [=, this](GrpcStatus status, QByteArray answer) {
            call->grpcCancel = nullptr;
            call->done = nullptr;
            call->deleteLater();
            const QString endpoint = opt.endpoints.value(idx);
            const int n = int(opt.endpoints.size());
            if (status.ok()) {
                Json json = parseJsonOrDiscarded(answer.constBegin(), answer.constEnd());
                if (json.is_discarded()) {
                    done(Error(ErrorKind::Unavailable, QStringLiteral("etcd's answer could not be read"), endpoint));
                    return;
                }
                current = idx;
                done(std::move(json));
                return;
            }
            if (status.code == kUnauthenticated && !isAuth && !opt.user.isEmpty() && !authRetried) {
                // Tokens expire (--auth-token-ttl); fetch a new one once.
                // etcd checks the token before proposing anything.
                token.clear();
                grpcSend(path, body, done, idx, tried, true, resend);
                return;
            }
            // etcd's own refusals say "etcdserver: ..."; gRPC's are about
            // the connection.
            const bool fromEtcd = status.message.startsWith(QLatin1String("etcdserver:"));
            if (status.code == kUnavailable || status.code == kDeadlineExceeded) {
                if (resend == Resend::IfNotDelivered
                    && !(fromEtcd ? refusedBeforeProposal(status.message)
                                  : status.code == kUnavailable && grpcNeverSent(status.message))) {
                    // Sending it again could apply it twice: a guarded
                    // write would then report Conflict against itself.
                    done(outcomeUnknown(endpoint, status.message));
                    return;
                }
                if (tried + 1 < n) {
                    grpcSend(path, body, done, (idx + 1) % n, tried + 1, authRetried, resend);
                    return;
                }
                if (!fromEtcd) {
                    done(noEndpointAnswered(endpoint + QStringLiteral(": ") + status.message));
                    return;
                }
            }
            done(etcdError(status.code, status.message, endpoint));
        });
    }

    Entry entryFromKv(const WatchKv &kv, bool keysOnly = false) const
    {
        const QString key = userKey(kv.key);
        Entry e = kv.deleted || keysOnly ? Entry{} : entryFromBytes(key, kv.value);
        e.key = key;
        e.revision = QString::number(kv.modRevision);
        e.labels.insert(QStringLiteral("create_revision"), QString::number(kv.createRevision));
        e.labels.insert(QStringLiteral("version"), QString::number(kv.version));
        if (kv.lease)
            e.labels.insert(QStringLiteral("lease"), QString::number(kv.lease));
        return e;
    }
};

// The largest watch message read; a longer one ends the watch. etcd's own
// requests are at most 1.5 MiB, so this is far above any real message.
constexpr qsizetype kMaxWatchMessageBytes = 64 * 1024 * 1024;

// A watch stream: POST /v3/watch, one JSON message after another.
class EtcdWatch : public Watch {
public:
    EtcdWatch(std::shared_ptr<Client> client, QByteArray key, QByteArray end, qint64 next)
        : m_client(std::move(client)), m_key(std::move(key)), m_end(std::move(end)), m_next(next)
    {
        m_idx = m_client->current;
        m_retry.setSingleShot(true);
        connect(&m_retry, &QTimer::timeout, this, [this] { open(); });
        QTimer::singleShot(0, this, [this] { open(); });
    }
    ~EtcdWatch() override { closeStream(); }

private:
    void closeStream()
    {
        if (m_stream) {
            m_stream->disconnect(this);
            m_stream->abort();
            // Later, not now: this runs inside the reply's own readyRead and
            // finished signals, and deleting the sender there crashes when
            // the reply carries on emitting (seen as a SIGSEGV in
            // downloadProgress after an etcd restart).
            m_stream->deleteLater();
            m_stream = nullptr;
        }
        m_buffer.clear();
    }

    void open()
    {
        closeStream();
        const QPointer<EtcdWatch> self(this);
        m_client->withToken([self](Status s) {
            if (!self)
                return;
            if (!s.ok()) {
                if (s.error().kind == ErrorKind::Unavailable)
                    self->dropped();
                else
                    Q_EMIT self->failed(s.error());
                return;
            }
            self->openStream();
        });
    }

    void openStream()
    {
        Json create{{"key", b64(m_key)}, {"range_end", b64(m_end)}, {"progress_notify", true}};
        if (m_next > 0)
            create["start_revision"] = std::to_string(m_next);
        const Json body{{"create_request", create}};
        m_stream = m_client->nam.post(m_client->request(m_idx, QStringLiteral("/v3/watch"), 0), toBytes(body.dump()));
        connect(m_stream, &QNetworkReply::readyRead, this, [this] { readMessages(); });
        connect(m_stream, &QNetworkReply::finished, this, [this] {
            if (m_stream)
                readMessages();
            if (m_stream)
                dropped();
        });
    }

    // The stream ended or never started: reconnect (next endpoint, backing
    // off) from the last revision seen.
    void dropped()
    {
        closeStream();
        if (m_client->opt.endpoints.size() > 1)
            m_idx = (m_idx + 1) % int(m_client->opt.endpoints.size());
        m_failures = std::min(m_failures + 1, 5);
        const int ms = 50 << m_failures; // 100 ms .. 1.6 s
        m_retry.start(ms);
        Q_EMIT interrupted(Error(ErrorKind::Unavailable, QStringLiteral("the watch stream dropped"), m_client->opt.endpoints.value(m_idx)),
                           QDateTime::currentDateTimeUtc().addMSecs(ms));
    }

    void readMessages()
    {
        m_buffer.append(m_stream->readAll());
        while (std::optional<QByteArray> bytes = m_buffer.next()) {
            const Json msg = parseJsonOrDiscarded(bytes->constBegin(), bytes->constEnd());
            if (!msg.is_discarded() && !handle(msg))
                return; // the stream was replaced
        }
        if (m_buffer.overflowed()) {
            closeStream();
            Q_EMIT failed(Error(ErrorKind::TooLarge,
                                QStringLiteral("the watch stream sent a message larger than %1 MiB")
                                    .arg(kMaxWatchMessageBytes / (1024 * 1024)),
                                m_client->opt.endpoints.value(m_idx)));
        }
    }

    // False when it closed the stream.
    bool handle(const Json &msg)
    {
        const WatchResponse r = parseWatchResponse(msg);
        if (r.isError) {
            const Error e = Client::gatewayError(r.error, 200, m_client->opt.endpoints.value(m_idx));
            if (i64(r.error, "code") == kUnauthenticated && !m_client->opt.user.isEmpty() && !m_authRetried) {
                m_authRetried = true;
                m_client->token.clear();
                dropped();
            } else if (e.kind == ErrorKind::Unavailable) {
                dropped();
            } else {
                closeStream();
                Q_EMIT failed(e);
            }
            return false;
        }
        if (m_failures > 0) {
            m_failures = 0;
            const QPointer<EtcdWatch> self(this);
            Q_EMIT resumed();
            if (!self)
                return false;
        }
        m_authRetried = false;
        m_client->current = m_idx;
        if (r.compactRevision) {
            // History from m_next is gone: start over from a full listing.
            closeStream();
            resync();
            return false;
        }
        if (r.canceled) {
            dropped();
            return false;
        }
        if (r.created) {
            if (m_next <= 0)
                m_next = revisionAfter(r.headerRevision);
            if (!m_readySent) {
                m_readySent = true;
                Q_EMIT ready();
            }
        }
        if (!r.events.isEmpty()) {
            for (const WatchKv &kv : r.events) {
                Event out;
                out.entry = m_client->entryFromKv(kv);
                out.type = kv.deleted ? Event::Type::Deleted
                                      : (kv.version == 1 ? Event::Type::Added : Event::Type::Modified);
                out.revision = QString::number(kv.modRevision);
                m_next = std::max(m_next, revisionAfter(kv.modRevision));
                Q_EMIT event(out);
            }
        } else if (!r.created && r.headerRevision > 0) {
            // A progress notification: every change up to headerRev was sent.
            // Advancing the resume point keeps a quiet watch resumable after
            // the store compacts the revisions it started from.
            m_next = std::max(m_next, revisionAfter(r.headerRevision));
            Q_EMIT progress(QString::number(r.headerRevision));
        }
        return true;
    }

    void resync()
    {
        Event marker;
        marker.type = Event::Type::Resync;
        Q_EMIT event(marker);
        m_resyncEntries.clear();
        readPage(m_key, 0);
    }

    void readPage(const QByteArray &from, qint64 atRevision)
    {
        RangeQuery q;
        q.key = from.isEmpty() ? QByteArray(1, '\0') : from;
        q.rangeEnd = m_end;
        q.limit = 1000;
        q.revision = atRevision;
        const QPointer<EtcdWatch> self(this);
        m_client->range(q, [self](Result<RangeAnswer> r) {
            if (!self)
                return;
            if (!r.ok()) {
                if (r.error().kind == ErrorKind::Unavailable) {
                    // Every endpoint is down for now: list again shortly.
                    self->m_resyncEntries.clear();
                    QTimer::singleShot(500, self.data(), [self] {
                        if (self)
                            self->readPage(self->m_key, 0);
                    });
                } else {
                    Q_EMIT self->failed(r.error());
                }
                return;
            }
            const qint64 rev = r->revision;
            for (const WatchKv &kv : std::as_const(r->kvs))
                self->m_resyncEntries << self->m_client->entryFromKv(kv);
            if (r->more && !r->kvs.isEmpty()) {
                self->readPage(QByteArray(r->kvs.constLast().key + '\0'), rev);
                return;
            }
            for (const Entry &e : std::exchange(self->m_resyncEntries, {})) {
                Event added;
                added.type = Event::Type::Added;
                added.entry = e;
                added.revision = e.revision;
                Q_EMIT self->event(added);
            }
            Event done;
            done.type = Event::Type::ResyncDone;
            done.revision = QString::number(rev);
            Q_EMIT self->event(done);
            self->m_next = revisionAfter(rev);
            self->open();
        });
    }

    std::shared_ptr<Client> m_client;
    QByteArray m_key, m_end;
    qint64 m_next = 0; // the revision the next stream starts at; 0: now
    int m_idx = 0;
    int m_failures = 0;
    bool m_readySent = false;
    bool m_authRetried = false;
    QNetworkReply *m_stream = nullptr;
    JsonObjectFramer m_buffer{kMaxWatchMessageBytes};
    QTimer m_retry;
    QList<Entry> m_resyncEntries;
};

} // namespace etcd

using etcd::Client;
using etcd::Promise;

EtcdProvider::EtcdProvider(EtcdOptions options, QObject *parent)
    : Provider(parent), m_client(std::make_shared<Client>(std::move(options)))
{
}

// Requests of this provider still in flight are aborted (their futures get
// Cancelled). Watches keep the connection state and go on; one that was
// re-listing after a compaction at this moment reports failed(Cancelled).
EtcdProvider::~EtcdProvider()
{
    m_client->abortAll();
}

QString EtcdProvider::scheme() const { return QStringLiteral("etcd"); }

QString EtcdProvider::describe() const
{
    QString d = QStringLiteral("etcd ") + m_client->endpointList();
    if (!m_client->opt.root.isEmpty())
        d += QStringLiteral(" root ") + m_client->opt.root;
    if (!m_client->opt.user.isEmpty())
        d += QStringLiteral(" as ") + m_client->opt.user;
    return d;
}

QString EtcdProvider::currentEndpoint() const { return m_client->opt.endpoints.value(m_client->current); }

Capabilities EtcdProvider::capabilities() const
{
    Capabilities caps;
    caps.watch = WatchKind::Native;
    caps.compareAndSwap = true;
    caps.numericRevisions = true;
    caps.ttl = true;
    caps.locks = true;
    caps.transactions = true;
    caps.watchHistory = true;
    caps.keyHistory = true;
    return caps;
}

QFuture<Result<ListPage>> EtcdProvider::list(const ListOptions &options)
{
    Promise<Result<ListPage>> done;
    Client *c = m_client.get();
    const QByteArray prefix = c->etcdKey(options.prefix);
    QByteArray from = prefix;
    if (!options.cursor.isEmpty()) {
        from = QByteArray::fromBase64(options.cursor.toLatin1(), QByteArray::Base64UrlEncoding);
        if (from.isEmpty() || !from.startsWith(prefix)) {
            done(Error(ErrorKind::Invalid,
                       QStringLiteral("this cursor does not belong to a listing of \"%1\"; start the listing again")
                           .arg(options.prefix),
                       options.prefix));
            return done.future();
        }
    }
    const int limit = options.limit <= 0 ? 500 : std::min(options.limit, 10000);
    etcd::RangeQuery q;
    q.key = from.isEmpty() ? QByteArray(1, '\0') : from;
    q.rangeEnd = etcd::prefixEnd(prefix);
    q.limit = limit;
    q.keysOnly = options.keysOnly;
    const bool keysOnly = options.keysOnly;
    c->range(q, [c, done, keysOnly](Result<etcd::RangeAnswer> r) {
        if (!r.ok())
            return done(r.error());
        ListPage page;
        page.revision = QString::number(r->revision);
        page.entries.reserve(r->kvs.size());
        for (const etcd::WatchKv &kv : std::as_const(r->kvs))
            page.entries << c->entryFromKv(kv, keysOnly);
        if (r->more && !r->kvs.isEmpty())
            page.nextCursor = QString::fromLatin1(QByteArray(r->kvs.constLast().key + '\0')
                                                      .toBase64(QByteArray::Base64UrlEncoding
                                                                | QByteArray::OmitTrailingEquals));
        done(std::move(page));
    });
    return done.future();
}

QFuture<Result<Entry>> EtcdProvider::get(const QString &key)
{
    Promise<Result<Entry>> done;
    if (Status v = validateKey(key, capabilities()); !v.ok()) {
        done(v.error());
        return done.future();
    }
    Client *c = m_client.get();
    etcd::RangeQuery q;
    q.key = c->etcdKey(key);
    c->range(q, [c, done, key](Result<etcd::RangeAnswer> r) {
                if (!r.ok())
                    return done(r.error());
                if (r->kvs.isEmpty())
                    return done(Error(ErrorKind::NotFound, QStringLiteral("no key \"%1\"").arg(key), key));
                Entry e = c->entryFromKv(r->kvs.constFirst());
                const qint64 lease = r->kvs.constFirst().lease;
                if (lease == 0)
                    return done(std::move(e));
                // A key on a lease shows its remaining time to live, in
                // milliseconds like Redis's label, so front ends edit one form.
                c->post(QStringLiteral("/v3/kv/lease/timetolive"), Json{{"ID", std::to_string(lease)}},
                        [done, e](Result<Json> ttl) mutable {
                            if (ttl.ok() && etcd::i64(ttl.value(), "TTL") >= 0)
                                e.labels.insert(QStringLiteral("ttl"),
                                                QString::number(etcd::i64(ttl.value(), "TTL") * 1000));
                            done(std::move(e));
                        });
            });
    return done.future();
}

namespace {

Result<Json> revisionCompare(const QByteArray &key, const QString &revision, const QString &where)
{
    bool ok = false;
    const qint64 rev = revision.toLongLong(&ok);
    if (!ok || rev <= 0)
        return Error(ErrorKind::Invalid,
                     QStringLiteral("\"%1\" is not an etcd revision (a positive mod_revision); read the key again")
                         .arg(revision),
                     where);
    return Json{{"key", etcd::b64(key)}, {"target", "MOD"}, {"result", "EQUAL"}, {"mod_revision", std::to_string(rev)}};
}

// Why a write under `pre` failed, given the key's kv as the failed txn read
// it (null: the key does not exist).
Error preconditionError(const QString &key, const Precondition &pre, const Json &kv)
{
    const QString actual = kv.is_null() ? QString() : QString::number(etcd::i64(kv, "mod_revision"));
    if (pre.kind == Precondition::Kind::MustNotExist)
        return Error(ErrorKind::AlreadyExists, QStringLiteral("\"%1\" already exists (revision %2)").arg(key, actual),
                     key);
    return Error(ErrorKind::Conflict,
                 actual.isEmpty()
                     ? QStringLiteral("\"%1\" changed: expected revision %2, but the key no longer exists")
                           .arg(key, pre.revision)
                     : QStringLiteral("\"%1\" changed: expected revision %2, found revision %3; read it again and "
                                      "retry")
                           .arg(key, pre.revision, actual),
                 key);
}

// Whether `pre` holds for a key whose kv is `kv` (null: absent).
bool preconditionHolds(const Precondition &pre, const Json &kv)
{
    switch (pre.kind) {
    case Precondition::Kind::None:
        return true;
    case Precondition::Kind::MustNotExist:
        return kv.is_null();
    case Precondition::Kind::Revision:
        return !kv.is_null() && QString::number(etcd::i64(kv, "mod_revision")) == pre.revision;
    }
    return false;
}

// The kv a failed txn read back with its request_range, or null.
Json failedKv(const Json &txn)
{
    const Json &responses = etcd::member(txn, "responses");
    if (!responses.is_array() || responses.empty())
        return {};
    const Json &kvs = etcd::member(etcd::member(responses[0], "response_range"), "kvs");
    return kvs.is_array() && !kvs.empty() ? kvs[0] : Json();
}

} // namespace

namespace etcd {

bool isOutcomeUnknown(const Error &e)
{
    return e.reason == kOutcomeUnknown;
}

// Whether a key read back after a write whose answer was lost holds what
// that write left: its bytes, on its lease, and a revision other than the
// one the write started from (the precondition's, or the revision the entry
// was read at). Someone else writing the very same bytes meanwhile cannot be
// told apart, and is taken as this write.
bool holdsWrite(const Json &kv, const QByteArray &bytes, const Precondition &pre, const QString &readAt, qint64 lease)
{
    if (kv.is_null() || unb64(member(kv, "value")) != bytes)
        return false;
    const QString now = QString::number(i64(kv, "mod_revision"));
    const QString before = pre.kind == Precondition::Kind::Revision ? pre.revision : readAt;
    if (!before.isEmpty() && now == before)
        return false;
    return lease == 0 || i64(kv, "lease") == lease;
}

// What a key read back shows, for a message.
QString describeKv(const Json &kv)
{
    return kv.is_null() ? QStringLiteral("no such key")
                        : QStringLiteral("it at revision %1 with another value").arg(i64(kv, "mod_revision"));
}

// The answer when reading back did not settle a write's fate.
Error stillUnknown(const Error &why, const QString &key, const QString &seen)
{
    return Error(ErrorKind::Unavailable,
                 QStringLiteral("%1; reading the key back found %2, so whether this write took effect is unknown: "
                                "read the key and decide before writing it again")
                     .arg(why.message, seen),
                 key)
        .withReason(kOutcomeUnknown);
}

// Reads `key` (at the latest revision, failing over freely: a read is safe
// to repeat) and hands its kv (null: absent) or the read's error on.
void readBack(Client *c, const QByteArray &key, std::function<void(Result<Json>)> then)
{
    c->post(QStringLiteral("/v3/kv/range"), Json{{"key", b64(key)}}, [then](Result<Json> r) {
        if (!r.ok())
            return then(r.error());
        const Json &kvs = member(r.value(), "kvs");
        then(kvs.is_array() && !kvs.empty() ? kvs[0] : Json());
    });
}

} // namespace etcd

QFuture<Result<Entry>> EtcdProvider::put(const Entry &entry, const Precondition &pre)
{
    Promise<Result<Entry>> done;
    if (Status v = validateKey(entry.key, capabilities()); !v.ok()) {
        done(v.error());
        return done.future();
    }
    Client *c = m_client.get();
    const QByteArray key = c->etcdKey(entry.key);
    const QByteArray bytes = encodeValue(entry);
    // Label "ttl" (milliseconds, as Redis's) puts the key on a new lease of
    // that many seconds, rounded up; label "lease" (as read) keeps the key on
    // its lease; neither detaches it, as etcd's put does.
    // "ttl" = 0 writes the key without a lease, as for Redis.
    qint64 ttlSeconds = 0;
    bool noLease = false;
    if (entry.labels.contains(QStringLiteral("ttl"))) {
        bool ok = false;
        const qint64 ms = entry.labels.value(QStringLiteral("ttl")).toLongLong(&ok);
        if (!ok || ms < 0) {
            done(Error(ErrorKind::Invalid,
                       QStringLiteral("label \"ttl\" must be a number of milliseconds (the time to live, or 0 for "
                                      "none), not \"%1\"")
                           .arg(entry.labels.value(QStringLiteral("ttl"))),
                       entry.key));
            return done.future();
        }
        ttlSeconds = (ms + 999) / 1000;
        noLease = ms == 0;
    }
    const qint64 keptLease = ttlSeconds || noLease ? 0 : entry.labels.value(QStringLiteral("lease")).toLongLong();
    Json compare = Json::array();
    if (pre.kind == Precondition::Kind::Revision) {
        Result<Json> cmp = revisionCompare(key, pre.revision, entry.key);
        if (!cmp.ok()) {
            done(cmp.error());
            return done.future();
        }
        compare.push_back(cmp.value());
    } else if (pre.kind == Precondition::Kind::MustNotExist) {
        compare.push_back(Json{{"key", etcd::b64(key)}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}});
    }
    Entry stored = entry;
    stored.raw = bytes;
    stored.labels.remove(QStringLiteral("lease"));
    if (noLease)
        stored.labels.remove(QStringLiteral("ttl"));
    auto write = [c, key, bytes, compare, done, stored, pre](qint64 lease) mutable {
        Json request{{"key", etcd::b64(key)}, {"value", etcd::b64(bytes)}};
        if (lease)
            request["lease"] = std::to_string(lease);
        const Json body{{"compare", compare},
                        {"success", Json::array({Json{{"request_put", request}}})},
                        {"failure", Json::array({Json{{"request_range", Json{{"key", etcd::b64(key)}}}}})}};
        // A lease granted for this write alone goes back at once when the
        // write did not happen (a late txn on a revoked lease fails, too).
        const bool ownLease = lease && stored.labels.contains(QStringLiteral("ttl"));
        auto revokeOwnLease = [c, lease, ownLease] {
            if (ownLease)
                c->post(QStringLiteral("/v3/lease/revoke"), Json{{"ID", std::to_string(lease)}}, [](Result<Json>) {});
        };
        auto written = [done, stored, lease](const QString &revision) mutable {
            stored.revision = revision;
            stored.updated = QDateTime::currentDateTimeUtc();
            if (lease)
                stored.labels.insert(QStringLiteral("lease"), QString::number(lease));
            done(std::move(stored));
        };
        c->post(QStringLiteral("/v3/kv/txn"), body, [c, key, bytes, done, stored, pre, lease, revokeOwnLease,
                                                     written](Result<Json> r) mutable {
        if (!r.ok() && etcd::isOutcomeUnknown(r.error())) {
            // Sending it again could apply it twice (and a guarded write
            // would report Conflict against itself): read what etcd holds.
            const QString readAt = stored.revision;
            etcd::readBack(c, key, [=](Result<Json> kv) mutable {
                if (kv.ok() && etcd::holdsWrite(kv.value(), bytes, pre, readAt, lease))
                    return written(QString::number(etcd::i64(kv.value(), "mod_revision")));
                revokeOwnLease();
                done(etcd::stillUnknown(r.error(), stored.key,
                                        kv.ok() ? etcd::describeKv(kv.value())
                                                : QStringLiteral("nothing (%1)").arg(kv.error().message)));
            });
            return;
        }
        if (!r.ok() || !etcd::flag(r.value(), "succeeded"))
            revokeOwnLease();
        if (!r.ok()) {
            if (lease && r.error().message.contains(QLatin1String("lease not found")))
                return done(Error(ErrorKind::Conflict,
                                  QStringLiteral("the lease of \"%1\" expired meanwhile (so did the key); write "
                                                 "it again without label \"lease\", or with a new \"ttl\"")
                                      .arg(stored.key),
                                  stored.key));
            if (r.error().kind == ErrorKind::TooLarge)
                // What is too large is this key's value: say so, and where.
                return done(Error(ErrorKind::TooLarge,
                                  QStringLiteral("\"%1\" (%2 bytes) is more than this etcd takes in one request (%3); "
                                                 "its --max-request-bytes sets the limit")
                                      .arg(stored.key)
                                      .arg(bytes.size())
                                      .arg(r.error().message),
                                  stored.key));
            return done(r.error());
        }
        if (!etcd::flag(r.value(), "succeeded"))
            return done(preconditionError(stored.key, pre, failedKv(r.value())));
        written(QString::number(etcd::i64(etcd::member(r.value(), "header"), "revision")));
        }, etcd::Resend::IfNotDelivered);
    };
    if (!ttlSeconds) {
        write(keptLease);
        return done.future();
    }
    c->post(QStringLiteral("/v3/lease/grant"), Json{{"TTL", std::to_string(ttlSeconds)}},
            [done, write](Result<Json> grant) mutable {
                if (!grant.ok())
                    return done(grant.error());
                write(etcd::i64(grant.value(), "ID"));
            });
    return done.future();
}

namespace etcd {
namespace {

// Key and value bytes per batch txn. etcd refuses requests over
// --max-request-bytes (1.5 MiB by default); this leaves room for the
// compares and the protobuf framing. An item bigger than this goes alone.
constexpr qsizetype kTxnBytes = 1024 * 1024;
// Txns of one batch in flight at once (QNetworkAccessManager opens up to six
// connections per host).
constexpr int kTxnWindow = 4;
// Rounds a txn is retried after failed compares before its items go one
// txn each (where a failed compare settles the item at once).
constexpr int kTxnRounds = 3;

// One putBatch: its items split into txns, a few in flight at once.
struct BatchRun : std::enable_shared_from_this<BatchRun> {
    std::shared_ptr<Client> client;
    QList<BatchItem> items;
    QList<QByteArray> keys;   // etcd keys, per item
    QList<QByteArray> values; // encoded values, per item
    BatchResult answer;
    QPromise<BatchResult> promise;
    QList<QList<qsizetype>> chunks;
    qsizetype nextChunk = 0;
    int window = kTxnWindow;
    int running = 0; // txns in flight or about to be posted
    bool cancelled = false;
    bool pumping = false;
    bool done = false;

    void pump()
    {
        // A txn answered at once (the store is closing) would re-enter here.
        if (pumping)
            return;
        pumping = true;
        while (running < window && nextChunk < chunks.size()) {
            ++running;
            post(chunks[nextChunk++], 0);
        }
        pumping = false;
        if (running == 0 && nextChunk == chunks.size() && !done) {
            done = true;
            promise.addResult(std::move(answer));
            promise.finish();
        }
    }

    // A txn's work is over (it ended or handed its items on).
    void ended()
    {
        --running;
        pump();
    }

    void post(const QList<qsizetype> &idx, int round)
    {
        if (cancelled) {
            for (qsizetype i : idx)
                answer.results[i] = Error(ErrorKind::Cancelled, QStringLiteral("the etcd store was closed"),
                                          items[i].entry.key);
            ended();
            return;
        }
        Json compare = Json::array(), success = Json::array(), failure = Json::array();
        QList<qsizetype> checked; // items with a compare, in compare order
        for (qsizetype i : idx) {
            const Precondition &pre = items[i].precondition;
            const std::string key = etcd::b64(keys[i]);
            if (pre.kind == Precondition::Kind::Revision)
                compare.push_back(Json{{"key", key}, {"target", "MOD"}, {"result", "EQUAL"},
                                       {"mod_revision", toStd(pre.revision)}});
            else if (pre.kind == Precondition::Kind::MustNotExist)
                compare.push_back(Json{{"key", key}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}});
            if (pre.kind != Precondition::Kind::None) {
                checked << i;
                failure.push_back(Json{{"request_range", Json{{"key", key}, {"keys_only", true}}}});
            }
            success.push_back(Json{{"request_put", Json{{"key", key}, {"value", etcd::b64(values[i])}}}});
        }
        const Json body{{"compare", std::move(compare)}, {"success", std::move(success)}, {"failure", std::move(failure)}};
        client->post(QStringLiteral("/v3/kv/txn"), body,
                     [self = shared_from_this(), idx, checked, round](Result<Json> r) {
                         self->answered(idx, checked, round, r);
                     },
                     Resend::IfNotDelivered);
    }

    // A txn whose answer was lost: read its keys back in one read-only txn.
    // A txn applies all or nothing, so it was applied if every key holds its
    // item's value (each answered with the revision it holds); otherwise its
    // items are reported as of unknown outcome.
    void readBack(const QList<qsizetype> &idx, const Error &why)
    {
        Json ranges = Json::array();
        for (qsizetype i : idx)
            ranges.push_back(Json{{"request_range", Json{{"key", etcd::b64(keys[i])}}}});
        client->post(QStringLiteral("/v3/kv/txn"), Json{{"success", std::move(ranges)}},
                     [self = shared_from_this(), idx, why](Result<Json> r) {
                         QList<Json> kvs;
                         bool applied = r.ok();
                         for (qsizetype j = 0; applied && j < idx.size(); ++j) {
                             const Json &responses = member(r.value(), "responses");
                             Json kv;
                             if (responses.is_array() && size_t(j) < responses.size()) {
                                 const Json &found = member(member(responses[j], "response_range"), "kvs");
                                 if (found.is_array() && !found.empty())
                                     kv = found[0];
                             }
                             const BatchItem &item = self->items[idx[j]];
                             applied = holdsWrite(kv, self->values[idx[j]], item.precondition, item.entry.revision, 0);
                             kvs << kv;
                         }
                         const QDateTime now = QDateTime::currentDateTimeUtc();
                         for (qsizetype j = 0; j < idx.size(); ++j) {
                             const qsizetype i = idx[j];
                             if (applied) {
                                 Entry stored = self->items[i].entry;
                                 stored.raw = self->values[i];
                                 stored.revision = QString::number(i64(kvs[j], "mod_revision"));
                                 stored.updated = now;
                                 self->answer.results[i] = std::move(stored);
                             } else {
                                 self->answer.results[i] = stillUnknown(
                                     why, self->items[i].entry.key,
                                     r.ok() ? QStringLiteral("the batch's keys not all holding its values")
                                            : QStringLiteral("nothing (%1)").arg(r.error().message));
                             }
                         }
                         self->ended();
                     });
    }

    void answered(const QList<qsizetype> &idx, const QList<qsizetype> &checked, int round, const Result<Json> &r)
    {
        if (!r.ok() && isOutcomeUnknown(r.error())) {
            readBack(idx, r.error());
            return;
        }
        if (!r.ok()) {
            // A txn etcd finds too big (a lower --max-request-bytes, or a
            // lower --max-txn-ops than the option says) is split until it
            // fits or holds one item.
            const bool tooBig = r.error().kind == ErrorKind::TooLarge
                || r.error().message.contains(QLatin1String("too many operations"));
            if (tooBig && idx.size() > 1) {
                ++running;
                post(idx.mid(0, idx.size() / 2), round);
                post(idx.mid(idx.size() / 2), round);
                return;
            }
            cancelled = cancelled || r.error().kind == ErrorKind::Cancelled;
            const Error &e = r.error();
            for (qsizetype i : idx) {
                const QString &key = items[i].entry.key;
                answer.results[i] = Error(e.kind, e.where.isEmpty() || e.where == key
                                                      ? e.message
                                                      : QStringLiteral("%1 (%2)").arg(e.message, e.where),
                                          key);
            }
            ended();
            return;
        }
        if (etcd::flag(r.value(), "succeeded")) {
            const QString revision = QString::number(etcd::i64(etcd::member(r.value(), "header"), "revision"));
            const QDateTime now = QDateTime::currentDateTimeUtc();
            for (qsizetype i : idx) {
                Entry stored = items[i].entry;
                stored.raw = values[i];
                stored.revision = revision;
                stored.updated = now;
                answer.results[i] = std::move(stored);
            }
            ended();
            return;
        }
        // Some compare failed. The failure branch read every checked key at
        // the txn's revision, so the items at fault are known exactly; the
        // others go again without them.
        const Json &responses = etcd::member(r.value(), "responses");
        QSet<qsizetype> failed;
        for (qsizetype j = 0; j < checked.size(); ++j) {
            const qsizetype i = checked[j];
            Json kv;
            if (responses.is_array() && size_t(j) < responses.size()) {
                const Json &kvs = etcd::member(etcd::member(responses[j], "response_range"), "kvs");
                if (kvs.is_array() && !kvs.empty())
                    kv = kvs[0];
            }
            if (!preconditionHolds(items[i].precondition, kv)) {
                answer.results[i] = preconditionError(items[i].entry.key, items[i].precondition, kv);
                failed.insert(i);
            }
        }
        QList<qsizetype> rest;
        for (qsizetype i : idx)
            if (!failed.contains(i))
                rest << i;
        if (rest.isEmpty()) {
            ended();
            return;
        }
        if (failed.isEmpty() && rest.size() == 1) {
            // Cannot happen with etcd's atomic txns; settle rather than loop.
            answer.results[rest[0]] = Error(ErrorKind::Conflict, QStringLiteral("the write's precondition failed"),
                                            items[rest[0]].entry.key);
            ended();
            return;
        }
        if (round + 1 < kTxnRounds) {
            post(rest, round + 1);
            return;
        }
        // Others keep changing these keys: one txn per item settles each in
        // one round trip.
        running += int(rest.size()) - 1;
        for (qsizetype i : rest)
            post({i}, round + 1);
    }
};

} // namespace
} // namespace etcd

QFuture<BatchResult> EtcdProvider::putBatch(const QList<BatchItem> &items)
{
    auto run = std::make_shared<etcd::BatchRun>();
    run->client = m_client;
    run->items = items;
    run->keys.resize(items.size());
    run->values.resize(items.size());
    run->answer.results.resize(items.size());
    run->promise.start();
    QFuture<BatchResult> future = run->promise.future();

    // A key may appear once per txn (etcd refuses duplicates); a key given
    // twice starts a new txn, and then txns run one after another so the
    // later value wins.
    const Capabilities caps = capabilities();
    const int maxOps = maxBatchSize();
    QSet<QByteArray> inChunk;
    qsizetype chunkBytes = 0;
    bool duplicates = false;
    QSet<QByteArray> all;
    for (qsizetype i = 0; i < items.size(); ++i) {
        const Entry &e = items[i].entry;
        Status valid = validateBatchItem(e, caps);
        if (valid.ok() && items[i].precondition.kind == Precondition::Kind::Revision) {
            bool ok = false;
            if (items[i].precondition.revision.toLongLong(&ok) <= 0 || !ok)
                valid = Error(ErrorKind::Invalid,
                              QStringLiteral("\"%1\" is not an etcd revision (a positive mod_revision); read the key "
                                             "again")
                                  .arg(items[i].precondition.revision),
                              e.key);
        }
        if (!valid.ok()) {
            run->answer.results[i] = valid.error();
            continue;
        }
        run->keys[i] = m_client->etcdKey(e.key);
        run->values[i] = encodeValue(e);
        const qsizetype bytes = run->keys[i].size() + run->values[i].size();
        if (run->chunks.isEmpty() || run->chunks.last().size() >= maxOps || inChunk.contains(run->keys[i])
            || chunkBytes + bytes > etcd::kTxnBytes) {
            run->chunks.append(QList<qsizetype>());
            inChunk.clear();
            chunkBytes = 0;
        }
        duplicates = duplicates || all.contains(run->keys[i]);
        all.insert(run->keys[i]);
        inChunk.insert(run->keys[i]);
        chunkBytes += bytes;
        run->chunks.last() << i;
    }
    if (duplicates)
        run->window = 1;
    run->pump();
    return future;
}

int EtcdProvider::maxBatchSize() const
{
    return m_client->opt.maxTxnOps;
}

QFuture<Status> EtcdProvider::remove(const QString &userKey, const Precondition &pre)
{
    Promise<Status> done;
    if (Status v = validateKey(userKey, capabilities()); !v.ok()) {
        done(v);
        return done.future();
    }
    if (pre.kind == Precondition::Kind::MustNotExist) {
        done(Error(ErrorKind::Invalid, QStringLiteral("removing a key on condition that it does not exist means nothing"),
                   userKey));
        return done.future();
    }
    Client *c = m_client.get();
    const QByteArray key = c->etcdKey(userKey);
    Json compare = Json::array();
    if (pre.kind == Precondition::Kind::Revision) {
        Result<Json> cmp = revisionCompare(key, pre.revision, userKey);
        if (!cmp.ok()) {
            done(cmp.error());
            return done.future();
        }
        compare.push_back(cmp.value());
    }
    const Json body{{"compare", compare},
                    {"success", Json::array({Json{{"request_delete_range", Json{{"key", etcd::b64(key)}}}}})},
                    {"failure", Json::array({Json{{"request_range", Json{{"key", etcd::b64(key)}}}}})}};
    c->post(QStringLiteral("/v3/kv/txn"), body, [c, key, done, userKey, pre](Result<Json> r) {
        if (!r.ok() && etcd::isOutcomeUnknown(r.error())) {
            // The key gone is what this delete leaves.
            etcd::readBack(c, key, [=](Result<Json> kv) {
                if (kv.ok() && kv.value().is_null())
                    return done(Status());
                done(etcd::stillUnknown(r.error(), userKey,
                                        kv.ok() ? QStringLiteral("it still there at revision %1")
                                                      .arg(etcd::i64(kv.value(), "mod_revision"))
                                                : QStringLiteral("nothing (%1)").arg(kv.error().message)));
            });
            return;
        }
        if (!r.ok())
            return done(r.error());
        const Error missing(ErrorKind::NotFound, QStringLiteral("no key \"%1\"").arg(userKey), userKey);
        if (etcd::flag(r.value(), "succeeded")) {
            const Json &responses = etcd::member(r.value(), "responses");
            const qint64 deleted = responses.is_array() && !responses.empty()
                                       ? etcd::i64(etcd::member(responses[0], "response_delete_range"), "deleted")
                                       : 0;
            return done(deleted > 0 ? Status() : Status(missing));
        }
        const Json kv = failedKv(r.value());
        if (kv.is_null())
            return done(missing);
        done(Error(ErrorKind::Conflict,
                   QStringLiteral("\"%1\" changed: expected revision %2, found revision %3; read it again and retry")
                       .arg(userKey, pre.revision, QString::number(etcd::i64(kv, "mod_revision"))),
                   userKey));
    }, etcd::Resend::IfNotDelivered);
    return done.future();
}

std::unique_ptr<Watch> EtcdProvider::watch(const QString &prefix, const QString &fromRevision)
{
    const QByteArray key = m_client->etcdKey(prefix);
    // "Events after R": etcd's start_revision is inclusive.
    const qint64 from = fromRevision.isEmpty() ? 0 : etcd::revisionAfter(fromRevision.toLongLong());
    return std::make_unique<etcd::EtcdWatch>(m_client, key.isEmpty() ? QByteArray(1, '\0') : key,
                                             etcd::prefixEnd(key), from);
}

QFuture<Result<Lock>> EtcdProvider::lock(const QString &name, std::chrono::milliseconds ttl)
{
    Promise<Result<Lock>> done;
    if (Status v = validateKey(name, capabilities()); !v.ok()) {
        done(v.error());
        return done.future();
    }
    Client *c = m_client.get();
    const qint64 seconds = std::max<qint64>(1, (ttl.count() + 999) / 1000);
    const QString owner = QStringLiteral("%1:%2:%3")
                              .arg(QSysInfo::machineHostName(), QString::number(QCoreApplication::applicationPid()),
                                   QUuid::createUuid().toString(QUuid::WithoutBraces).left(8));
    const QByteArray key = c->lockKey(name);
    c->post(QStringLiteral("/v3/lease/grant"), Json{{"TTL", std::to_string(seconds)}},
            [c, done, name, owner, key, seconds](Result<Json> grant) {
                if (!grant.ok())
                    return done(grant.error());
                const qint64 lease = etcd::i64(grant.value(), "ID");
                const Json body{
                    {"compare", Json::array({Json{{"key", etcd::b64(key)}, {"target", "CREATE"}, {"result", "EQUAL"},
                                                  {"create_revision", "0"}}})},
                    {"success", Json::array({Json{{"request_put", Json{{"key", etcd::b64(key)},
                                                                       {"value", etcd::b64(owner.toUtf8())},
                                                                       {"lease", std::to_string(lease)}}}}})},
                    {"failure", Json::array({Json{{"request_range", Json{{"key", etcd::b64(key)}}}}})}};
                c->post(QStringLiteral("/v3/kv/txn"), body, [c, done, name, owner, key, lease, seconds](Result<Json> r) {
                    auto held = [done, name, owner, seconds](quint64 token) {
                        Lock l;
                        l.name = name;
                        l.owner = owner;
                        l.fencingToken = token;
                        l.expires = QDateTime::currentDateTimeUtc().addSecs(seconds);
                        done(std::move(l));
                    };
                    if (!r.ok() && etcd::isOutcomeUnknown(r.error())) {
                        // Ours if the key holds our name on our lease; the
                        // revision that created it is the fencing token.
                        etcd::readBack(c, key, [=](Result<Json> kv) {
                            if (kv.ok() && !kv.value().is_null() && etcd::i64(kv.value(), "lease") == lease
                                && etcd::unb64(etcd::member(kv.value(), "value")) == owner.toUtf8())
                                return held(quint64(etcd::i64(kv.value(), "create_revision")));
                            // Revoking the lease settles it: a txn still on
                            // its way fails, a key already made goes away.
                            c->post(QStringLiteral("/v3/lease/revoke"), Json{{"ID", std::to_string(lease)}},
                                    [](Result<Json>) {});
                            done(Error(ErrorKind::Unavailable,
                                       QStringLiteral("%1; the lock was not taken; try again").arg(r.error().message),
                                       name));
                        });
                        return;
                    }
                    if (!r.ok() || !etcd::flag(r.value(), "succeeded")) {
                        // Not ours: give the lease back at once.
                        c->post(QStringLiteral("/v3/lease/revoke"), Json{{"ID", std::to_string(lease)}},
                                [](Result<Json>) {});
                        if (!r.ok())
                            return done(r.error());
                        const Json kv = failedKv(r.value());
                        const QString holder = QString::fromUtf8(etcd::unb64(etcd::member(kv, "value")));
                        return done(Error(ErrorKind::Busy,
                                          QStringLiteral("lock \"%1\" is held by %2; it is released when its holder "
                                                         "unlocks or its lease expires")
                                              .arg(name, holder.isEmpty() ? QStringLiteral("another client") : holder),
                                          name));
                    }
                    held(quint64(etcd::i64(etcd::member(r.value(), "header"), "revision")));
                }, etcd::Resend::IfNotDelivered);
            });
    return done.future();
}

QFuture<Status> EtcdProvider::unlock(const Lock &lock)
{
    Promise<Status> done;
    Client *c = m_client.get();
    const QByteArray key = c->lockKey(lock.name);
    const Json body{
        {"compare",
         Json::array({Json{{"key", etcd::b64(key)}, {"target", "CREATE"}, {"result", "EQUAL"},
                           {"create_revision", std::to_string(lock.fencingToken)}},
                      Json{{"key", etcd::b64(key)}, {"target", "VALUE"}, {"result", "EQUAL"},
                           {"value", etcd::b64(lock.owner.toUtf8())}}})},
        {"success", Json::array({Json{{"request_range", Json{{"key", etcd::b64(key)}}}},
                                 Json{{"request_delete_range", Json{{"key", etcd::b64(key)}}}}})},
        {"failure", Json::array({Json{{"request_range", Json{{"key", etcd::b64(key)}}}}})}};
    const QString name = lock.name;
    c->post(QStringLiteral("/v3/kv/txn"), body, [c, done, name, key, lock](Result<Json> r) {
        if (!r.ok() && etcd::isOutcomeUnknown(r.error())) {
            // Released if the key is no longer this lock's. Its lease then
            // holds no key and runs out by itself.
            etcd::readBack(c, key, [=](Result<Json> kv) {
                if (kv.ok()
                    && (kv.value().is_null() || quint64(etcd::i64(kv.value(), "create_revision")) != lock.fencingToken))
                    return done(Status());
                done(Error(ErrorKind::Unavailable,
                           kv.ok() ? QStringLiteral("%1; the lock is still held by this holder: unlock it again")
                                         .arg(r.error().message)
                                   : QStringLiteral("%1; reading the lock back failed too (%2)")
                                         .arg(r.error().message, kv.error().message),
                           name));
            });
            return;
        }
        if (!r.ok())
            return done(r.error());
        const Json kv = failedKv(r.value());
        if (!etcd::flag(r.value(), "succeeded")) {
            if (kv.is_null())
                return done(Error(ErrorKind::NotFound,
                                  QStringLiteral("lock \"%1\" is not held (its lease may have expired)").arg(name), name));
            return done(Error(ErrorKind::Conflict,
                              QStringLiteral("lock \"%1\" is now held by %2, not by this lock")
                                  .arg(name, QString::fromUtf8(etcd::unb64(etcd::member(kv, "value")))),
                              name));
        }
        const qint64 lease = etcd::i64(kv, "lease");
        if (lease == 0)
            return done(Status());
        c->post(QStringLiteral("/v3/lease/revoke"), Json{{"ID", std::to_string(lease)}}, [done](Result<Json> revoked) {
            // The key is gone already; a lease that expired meanwhile is fine.
            done(revoked.ok() || revoked.error().kind == ErrorKind::NotFound ? Status() : Status(revoked.error()));
        });
    }, etcd::Resend::IfNotDelivered);
    return done.future();
}

// A lease keeps the TTL it was granted with, so renewing restarts that TTL;
// `ttl` only matters to stores that can change it.
QFuture<Result<Lock>> EtcdProvider::renew(const Lock &lock, std::chrono::milliseconds)
{
    Promise<Result<Lock>> done;
    Client *c = m_client.get();
    const QByteArray key = c->lockKey(lock.name);
    c->post(QStringLiteral("/v3/kv/range"), Json{{"key", etcd::b64(key)}}, [c, done, lock](Result<Json> r) {
        if (!r.ok())
            return done(r.error());
        const Json &kvs = etcd::member(r.value(), "kvs");
        const Json kv = kvs.is_array() && !kvs.empty() ? kvs[0] : Json();
        const QString holder = QString::fromUtf8(etcd::unb64(etcd::member(kv, "value")));
        if (kv.is_null() || quint64(etcd::i64(kv, "create_revision")) != lock.fencingToken || holder != lock.owner)
            return done(Error(ErrorKind::Conflict,
                              kv.is_null() ? QStringLiteral("the lock was lost: its lease expired and nobody holds it now")
                                           : QStringLiteral("the lock was lost: it is held by %1 now").arg(holder),
                              lock.name));
        const qint64 lease = etcd::i64(kv, "lease");
        c->post(QStringLiteral("/v3/lease/keepalive"), Json{{"ID", std::to_string(lease)}},
                [done, lock](Result<Json> kept) {
                    if (!kept.ok())
                        return done(kept.error());
                    const qint64 ttl = etcd::i64(etcd::member(kept.value(), "result"), "TTL");
                    if (ttl <= 0)
                        return done(Error(ErrorKind::Conflict, QStringLiteral("the lock was lost: its lease expired"),
                                          lock.name));
                    Lock l = lock;
                    l.expires = QDateTime::currentDateTimeUtc().addSecs(ttl);
                    done(std::move(l));
                });
    });
    return done.future();
}

QFuture<Result<QList<Entry>>> EtcdProvider::history(const QString &key, int limit)
{
    Promise<Result<QList<Entry>>> done;
    if (Status v = validateKey(key, capabilities()); !v.ok()) {
        done(v.error());
        return done.future();
    }
    struct Walk {
        Client *c;
        QByteArray key;
        QString userKey;
        int limit;
        QList<Entry> found;
        Promise<Result<QList<Entry>>> done;
        void step(qint64 atRevision, std::shared_ptr<Walk> self)
        {
            etcd::RangeQuery q;
            q.key = key;
            q.revision = atRevision;
            c->range(q, [self, atRevision](Result<etcd::RangeAnswer> r) {
                if (!r.ok()) {
                    // Compacted: what is left is the whole history etcd kept.
                    if (atRevision > 0 && r.error().kind == ErrorKind::NotFound)
                        return self->done(std::move(self->found));
                    return self->done(r.error());
                }
                if (r->kvs.isEmpty()) {
                    if (atRevision == 0)
                        return self->done(
                            Error(ErrorKind::NotFound, QStringLiteral("no key \"%1\"").arg(self->userKey), self->userKey));
                    return self->done(std::move(self->found));
                }
                const etcd::WatchKv &kv = r->kvs.constFirst();
                self->found << self->c->entryFromKv(kv);
                if (self->found.size() >= self->limit || kv.modRevision <= 1)
                    return self->done(std::move(self->found));
                self->step(kv.modRevision - 1, self);
            });
        }
    };
    auto walk = std::make_shared<Walk>(Walk{m_client.get(), m_client->etcdKey(key), key, std::max(1, limit), {}, done});
    walk->step(0, walk);
    return done.future();
}

QString dottedToEtcdKey(const QString &root, const QString &dotted)
{
    QString base = root;
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    // The mapping itself is translateKey's (core/providers/form/KeyForm.h), the one
    // every migration uses; a key it cannot spell keeps its dots.
    const Result<QString> key = translateKey(dotted, QStringLiteral("."), QStringLiteral("/"));
    return base + QLatin1Char('/') + (key.ok() ? key.value() : dotted);
}

} // namespace sd
