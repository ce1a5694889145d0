#include "kube/KubeClient.h"

#include "kube/KubeStatus.h"
#include "kube/WatchLine.h"
#include "log/Log.h"
#include "util/StreamFraming.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFutureWatcher>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QProcess>
#include <QSet>
#include <QPromise>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#include <QSslKey>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

#include <functional>

namespace sd::kube {

using namespace std::chrono_literals;

// ---- small helpers --------------------------------------------------------

QString Resource::path(const QString &ns, const QString &name, const QString &subresource) const
{
    QString p = group.isEmpty() ? QStringLiteral("/api/%1").arg(version)
                                : QStringLiteral("/apis/%1/%2").arg(group, version);
    if (namespaced && !ns.isEmpty())
        p += QStringLiteral("/namespaces/") + QString::fromUtf8(QUrl::toPercentEncoding(ns));
    p += QLatin1Char('/') + resource;
    if (!name.isEmpty()) {
        p += QLatin1Char('/') + QString::fromUtf8(QUrl::toPercentEncoding(name));
        if (!subresource.isEmpty())
            p += QLatin1Char('/') + subresource;
    }
    return p;
}

Resource Resource::configMaps()
{
    return {QString(), QStringLiteral("v1"), QStringLiteral("configmaps"), QStringLiteral("ConfigMap"), true};
}

Resource Resource::secrets()
{
    return {QString(), QStringLiteral("v1"), QStringLiteral("secrets"), QStringLiteral("Secret"), true};
}

Resource Resource::leases()
{
    return {QStringLiteral("coordination.k8s.io"), QStringLiteral("v1"), QStringLiteral("leases"), QStringLiteral("Lease"),
            true};
}

QString microTime(const QDateTime &t)
{
    const QDateTime u = t.toUTC();
    return u.toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz")) + QStringLiteral("000Z");
}

QDateTime parseKubeTime(const QString &text)
{
    // Qt reads at most milliseconds; MicroTime carries six digits.
    QString s = text.trimmed();
    const qsizetype dot = s.indexOf(QLatin1Char('.'));
    if (dot >= 0) {
        qsizetype end = dot + 1;
        while (end < s.size() && s.at(end).isDigit())
            ++end;
        s = s.left(dot) + s.mid(dot, std::min<qsizetype>(4, end - dot)) + s.mid(end);
    }
    QDateTime t = QDateTime::fromString(s, Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(s, Qt::ISODate);
    return t.toUTC();
}

namespace {

QString jsonString(const Json &obj, const char *key)
{
    if (!obj.is_object())
        return {};
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? toQString(it->get<std::string>()) : QString();
}

QString metaString(const Json &obj, const char *key)
{
    if (!obj.is_object())
        return {};
    auto m = obj.find("metadata");
    return m == obj.end() ? QString() : jsonString(*m, key);
}

Result<Json> parseJsonBody(const QByteArray &body, const QString &where)
{
    Json j = parseJsonOrDiscarded(body.constBegin(), body.constEnd());
    if (j.is_discarded())
        return Error(ErrorKind::Internal, QStringLiteral("the API server sent a body that is not JSON"), where);
    return j;
}

int retryAfter(QNetworkReply *reply)
{
    const QByteArray h = reply->rawHeader("Retry-After").trimmed();
    if (h.isEmpty())
        return -1;
    bool ok = false;
    const int s = h.toInt(&ok);
    return ok && s >= 0 ? s : 1;
}

} // namespace

// ---- the client's state ---------------------------------------------------

struct Auth {
    QByteArray authorization; // "Bearer ..." or empty
    QByteArray certPem, keyPem;
};

struct Request {
    QByteArray method;
    QString path;
    QUrlQuery query;
    QByteArray body;
    QByteArray contentType;
    QByteArray accept = "application/json";
    RequestInfo info;
    bool idempotent = true;
    bool stream = false;
};

struct Response {
    int status = 0;
    QByteArray body;
};

class Call;

struct KubeClient::Private {
    KubeClient *q = nullptr;
    ClusterAccess access;
    QNetworkAccessManager *nam = nullptr;
    QSslConfiguration baseSsl;
    QString caProblem; // a CA that did not parse: reported on first use
    int maxRetries = 3;
    std::chrono::milliseconds firstBackoff = 200ms;
    std::chrono::milliseconds timeout = 30s;

    // Exec plugin credentials, shared by every request of this client.
    Auth execAuth;
    QDateTime execExpiry; // invalid: no expiry
    bool execValid = false;
    QPointer<QProcess> execProcess;
    QList<std::function<void(Result<Auth>)>> execWaiters;
    // The calls in flight, so the destructor cancels exactly these (Call has
    // no Q_OBJECT, so findChildren<Call *> would match every child).
    QSet<Call *> calls;

    void credentials(bool refresh, std::function<void(Result<Auth>)> done);
    void runExecPlugin();
    void finishExec(Result<Auth> result);
    QNetworkRequest networkRequest(const Request &r, const Auth &auth) const;
    Error tlsError(const QList<QSslError> &errors, const QString &fallback) const;
    Error networkError(QNetworkReply *reply, const QList<QSslError> &ssl, const RequestInfo &info) const;
    Call *send(Request r, std::function<void(Result<Response>)> done);

    template <typename T>
    QFuture<Result<T>> call(Request r, std::function<Result<T>(const Response &)> convert);
};

// One request with its retries. Owned by the client; finishing it (or
// destroying the client) answers the caller exactly once.
class Call : public QObject {
public:
    Call(KubeClient::Private *d, Request r, std::function<void(Result<Response>)> done)
        : QObject(d->q), m_d(d), m_req(std::move(r)), m_done(std::move(done))
    {
        m_d->calls.insert(this);
    }
    ~Call() override
    {
        m_d->calls.remove(this);
        if (m_reply) {
            m_reply->disconnect(this);
            m_reply->abort();
            m_reply->deleteLater();
        }
        if (m_done)
            m_done(Error(ErrorKind::Cancelled, QStringLiteral("the request was cancelled"),
                         describeRequest(m_req.info)));
    }

    void start()
    {
        QPointer<Call> self(this);
        m_d->credentials(m_refreshAuth, [self](Result<Auth> auth) {
            if (!self)
                return;
            if (!auth.ok()) {
                self->finish(auth.error());
                return;
            }
            self->issue(auth.value());
        });
    }

    void cancel()
    {
        m_cancelled = true;
        if (m_reply)
            m_reply->abort();
        else
            finish(Error(ErrorKind::Cancelled, QStringLiteral("the request was cancelled"), describeRequest(m_req.info)));
    }

private:
    void issue(const Auth &auth)
    {
        if (m_cancelled)
            return finish(Error(ErrorKind::Cancelled, QStringLiteral("the request was cancelled")));
        m_sslErrors.clear();
        const QNetworkRequest nr = m_d->networkRequest(m_req, auth);
        m_reply = m_d->nam->sendCustomRequest(nr, m_req.method, m_req.body);
        connect(m_reply, &QNetworkReply::sslErrors, this, [this](const QList<QSslError> &e) { m_sslErrors += e; });
        connect(m_reply, &QNetworkReply::finished, this, &Call::onFinished);
    }

    void onFinished()
    {
        QNetworkReply *reply = m_reply;
        m_reply = nullptr;
        reply->deleteLater();
        if (m_cancelled)
            return finish(Error(ErrorKind::Cancelled, QStringLiteral("the request was cancelled"),
                                describeRequest(m_req.info)));
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->isOpen() ? reply->readAll() : QByteArray();
        if (status == 0) {
            const Error e = m_d->networkError(reply, m_sslErrors, m_req.info);
            const auto err = reply->error();
            const bool notSent = err == QNetworkReply::ConnectionRefusedError || err == QNetworkReply::HostNotFoundError;
            const bool transient = notSent || err == QNetworkReply::RemoteHostClosedError
                                   || err == QNetworkReply::TemporaryNetworkFailureError
                                   || err == QNetworkReply::TimeoutError || err == QNetworkReply::OperationCanceledError
                                   || err == QNetworkReply::UnknownNetworkError;
            if (transient && (notSent || m_req.idempotent) && retryLater(-1))
                return;
            return finish(e);
        }
        if (status >= 200 && status < 300)
            return finish(Response{status, body});
        if (status == 401 && m_d->access.exec && !m_refreshAuth) {
            // The plugin's token may have been revoked or expired early.
            m_refreshAuth = true;
            return start();
        }
        const int after = retryAfter(reply);
        if ((status == 429 || status == 503) && retryLater(after))
            return;
        if ((status == 500 || status == 502 || status == 504) && m_req.idempotent && retryLater(-1))
            return;
        finish(errorFromResponse(status, body, m_req.info, after).error);
    }

    // Schedules another attempt; false when the retry budget is spent.
    bool retryLater(int retryAfterSeconds)
    {
        if (m_attempt >= m_d->maxRetries)
            return false;
        std::chrono::milliseconds wait = m_d->firstBackoff * (1 << m_attempt);
        if (retryAfterSeconds >= 0)
            wait = std::chrono::milliseconds(1000LL * std::min(retryAfterSeconds, 10));
        ++m_attempt;
        log::debug(QStringLiteral("kube.retry"), {{QStringLiteral("request"), describeRequest(m_req.info)},
                                                  {QStringLiteral("attempt"), m_attempt},
                                                  {QStringLiteral("waitMs"), qint64(wait.count())}});
        // Precise: Qt's default for waits of 2 s and more is a coarse timer,
        // which may fire 5% early, before the Retry-After the server asked for.
        QTimer::singleShot(wait, Qt::PreciseTimer, this, [this] { start(); });
        return true;
    }

    void finish(Result<Response> r)
    {
        auto done = std::move(m_done);
        m_done = nullptr;
        if (done)
            done(std::move(r));
        deleteLater();
    }

    KubeClient::Private *m_d;
    Request m_req;
    std::function<void(Result<Response>)> m_done;
    QPointer<QNetworkReply> m_reply;
    QList<QSslError> m_sslErrors;
    int m_attempt = 0;
    bool m_refreshAuth = false;
    bool m_cancelled = false;
};

Call *KubeClient::Private::send(Request r, std::function<void(Result<Response>)> done)
{
    auto *c = new Call(this, std::move(r), std::move(done));
    c->start();
    return c;
}

template <typename T>
QFuture<Result<T>> KubeClient::Private::call(Request r, std::function<Result<T>(const Response &)> convert)
{
    auto promise = std::make_shared<QPromise<Result<T>>>();
    QFuture<Result<T>> future = promise->future();
    promise->start();
    QPointer<Call> c = send(std::move(r), [promise, convert = std::move(convert)](Result<Response> resp) {
        promise->addResult(resp.ok() ? convert(resp.value()) : Result<T>(resp.error()));
        promise->finish();
    });
    if (c) {
        // Cancelling the future aborts the request.
        auto *watcher = new QFutureWatcher<Result<T>>(c);
        QObject::connect(watcher, &QFutureWatcherBase::canceled, c, [c] {
            if (c)
                c->cancel();
        });
        watcher->setFuture(future);
    }
    return future;
}

QNetworkRequest KubeClient::Private::networkRequest(const Request &r, const Auth &auth) const
{
    QUrl url(access.server);
    QString basePath = url.path();
    if (basePath.endsWith(QLatin1Char('/')))
        basePath.chop(1);
    url.setPath(basePath + r.path, QUrl::TolerantMode);
    if (!r.query.isEmpty())
        url.setQuery(r.query);
    QNetworkRequest nr(url);
    nr.setRawHeader("Accept", r.accept);
    nr.setRawHeader("User-Agent", "statedeck/0.1");
    if (!r.contentType.isEmpty())
        nr.setRawHeader("Content-Type", r.contentType);
    if (!auth.authorization.isEmpty())
        nr.setRawHeader("Authorization", auth.authorization);
    if (!r.stream)
        nr.setTransferTimeout(int(timeout.count()));
    if (url.scheme() == QLatin1String("https")) {
        QSslConfiguration ssl = baseSsl;
        if (!auth.certPem.isEmpty()) {
            const auto certs = QSslCertificate::fromData(auth.certPem, QSsl::Pem);
            if (!certs.isEmpty())
                ssl.setLocalCertificate(certs.first());
            QSslKey key(auth.keyPem, QSsl::Rsa, QSsl::Pem);
            if (key.isNull())
                key = QSslKey(auth.keyPem, QSsl::Ec, QSsl::Pem);
            ssl.setPrivateKey(key);
        }
        nr.setSslConfiguration(ssl);
    }
    return nr;
}

Error KubeClient::Private::tlsError(const QList<QSslError> &errors, const QString &fallback) const
{
    QStringList problems;
    for (const QSslError &e : errors) {
        QString text = e.errorString();
        if (!e.certificate().isNull())
            text += QStringLiteral(" (certificate of \"%1\")")
                        .arg(e.certificate().subjectInfo(QSslCertificate::CommonName).join(QStringLiteral(", ")));
        if (!problems.contains(text))
            problems << text;
    }
    const QString ca = access.caPem.isEmpty() ? QStringLiteral("the system's CA certificates")
                                              : QStringLiteral("the CA from %1").arg(access.caOrigin);
    return Error(ErrorKind::Unavailable,
                 QStringLiteral("the TLS certificate of %1 was refused: %2; checked against %3")
                     .arg(access.server, problems.isEmpty() ? fallback : problems.join(QStringLiteral("; ")), ca),
                 access.server);
}

Error KubeClient::Private::networkError(QNetworkReply *reply, const QList<QSslError> &ssl, const RequestInfo &info) const
{
    const auto err = reply->error();
    if (!ssl.isEmpty() || err == QNetworkReply::SslHandshakeFailedError)
        return tlsError(ssl, reply->errorString());
    if (err == QNetworkReply::OperationCanceledError || err == QNetworkReply::TimeoutError)
        return Error(ErrorKind::Timeout,
                     QStringLiteral("no answer from the API server at %1 within %2 s")
                         .arg(access.server)
                         .arg(timeout.count() / 1000.0),
                     describeRequest(info));
    return Error(ErrorKind::Unavailable,
                 QStringLiteral("cannot reach the API server at %1: %2").arg(access.server, reply->errorString()),
                 describeRequest(info));
}

// ---- credentials ----------------------------------------------------------

void KubeClient::Private::credentials(bool refresh, std::function<void(Result<Auth>)> done)
{
    if (!caProblem.isEmpty())
        return done(Error(ErrorKind::Invalid, caProblem, access.caOrigin));
    if (!access.exec) {
        Auth a;
        QByteArray token = access.token;
        if (!access.tokenFile.isEmpty()) {
            QFile f(access.tokenFile);
            if (!f.open(QIODevice::ReadOnly))
                return done(Error(ErrorKind::Unauthorized,
                                  QStringLiteral("cannot read the token file: %1").arg(f.errorString()),
                                  access.tokenFile));
            // A token is a few KiB; never read a device or a huge file whole.
            constexpr qint64 kMaxTokenBytes = 1024 * 1024;
            token = f.read(kMaxTokenBytes + 1);
            if (token.size() > kMaxTokenBytes)
                return done(Error(ErrorKind::Unauthorized,
                                  QStringLiteral("the token file is larger than 1 MiB"), access.tokenFile));
            token = token.trimmed();
        }
        if (!token.isEmpty())
            a.authorization = "Bearer " + token;
        a.certPem = access.clientCertPem;
        a.keyPem = access.clientKeyPem;
        return done(a);
    }
    // kubectl treats a credential as expired at its expirationTimestamp; one
    // second of margin keeps a request from arriving just after it.
    const bool expired = execExpiry.isValid() && QDateTime::currentDateTimeUtc().addSecs(1) >= execExpiry;
    if (execValid && !expired && !refresh)
        return done(execAuth);
    execValid = false;
    execWaiters << std::move(done);
    if (!execProcess)
        runExecPlugin();
}

void KubeClient::Private::runExecPlugin()
{
    const ExecPlugin &p = *access.exec;
    auto *proc = new QProcess(q);
    execProcess = proc;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const auto &kv : p.env)
        env.insert(kv.first, kv.second);
    const Json info{{"apiVersion", toStd(p.apiVersion)},
                    {"kind", "ExecCredential"},
                    {"spec", {{"interactive", false}}}};
    env.insert(QStringLiteral("KUBERNETES_EXEC_INFO"), toQString(info.dump()));
    proc->setProcessEnvironment(env);
    proc->setProgram(p.command);
    proc->setArguments(p.args);
    proc->setStandardInputFile(QProcess::nullDevice());
    auto handled = std::make_shared<bool>(false);
    auto fail = [this, proc, handled](const QString &why) {
        if (*handled)
            return;
        *handled = true;
        proc->deleteLater();
        QString hint = access.exec->installHint.trimmed();
        finishExec(Error(ErrorKind::Unauthorized,
                         QStringLiteral("the exec credential plugin \"%1\" %2%3")
                             .arg(access.exec->command, why, hint.isEmpty() ? QString() : QStringLiteral("; ") + hint),
                         access.source));
    };
    auto *timer = new QTimer(proc);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, proc, [proc, fail] {
        fail(QStringLiteral("gave no answer within 60 s"));
        proc->kill();
    });
    timer->start(60s);
    connect(proc, &QProcess::errorOccurred, proc, [proc, fail](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            fail(QStringLiteral("could not be started: %1").arg(proc->errorString()));
    });
    connect(proc, &QProcess::finished, proc, [this, proc, handled, fail](int code, QProcess::ExitStatus st) {
        if (*handled)
            return;
        if (st != QProcess::NormalExit || code != 0) {
            // The plugin's own explanation, bounded; plugins print errors, not tokens, there.
            const QString err = QString::fromUtf8(proc->readAllStandardError().left(300)).trimmed();
            fail(QStringLiteral("failed (exit code %1)%2").arg(code).arg(err.isEmpty() ? QString() : QStringLiteral(": ") + err));
            return;
        }
        const QByteArray out = proc->readAllStandardOutput();
        const Json cred = parseJsonOrDiscarded(out.constBegin(), out.constEnd());
        if (!cred.is_object() || jsonString(cred, "kind") != QLatin1String("ExecCredential")) {
            fail(QStringLiteral("did not print an ExecCredential JSON object"));
            return;
        }
        auto status = cred.find("status");
        if (status == cred.end() || !status->is_object()) {
            fail(QStringLiteral("printed an ExecCredential without status"));
            return;
        }
        Auth a;
        const QString token = jsonString(*status, "token");
        if (!token.isEmpty())
            a.authorization = "Bearer " + token.toUtf8();
        a.certPem = jsonString(*status, "clientCertificateData").toUtf8();
        a.keyPem = jsonString(*status, "clientKeyData").toUtf8();
        if (a.authorization.isEmpty() && a.certPem.isEmpty()) {
            fail(QStringLiteral("returned neither a token nor a client certificate"));
            return;
        }
        const QString expiry = jsonString(*status, "expirationTimestamp");
        execExpiry = expiry.isEmpty() ? QDateTime() : parseKubeTime(expiry);
        *handled = true;
        proc->deleteLater();
        log::debug(QStringLiteral("kube.exec_credential"),
                   {{QStringLiteral("plugin"), access.exec->command},
                    {QStringLiteral("expires"), execExpiry.isValid() ? execExpiry.toString(Qt::ISODate) : QString()}});
        finishExec(a);
    });
    proc->start();
}

void KubeClient::Private::finishExec(Result<Auth> result)
{
    execProcess = nullptr;
    if (result.ok()) {
        execAuth = result.value();
        execValid = true;
    }
    const auto waiters = std::move(execWaiters);
    execWaiters.clear();
    for (const auto &w : waiters)
        w(result);
}

// ---- KubeClient -----------------------------------------------------------

KubeClient::KubeClient(ClusterAccess access, QObject *parent) : QObject(parent), d(std::make_unique<Private>())
{
    d->q = this;
    d->access = std::move(access);
    d->nam = new QNetworkAccessManager(this);
    d->nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    d->baseSsl = QSslConfiguration::defaultConfiguration();
    if (d->access.insecureSkipTlsVerify) {
        d->baseSsl.setPeerVerifyMode(QSslSocket::VerifyNone);
    } else if (!d->access.caPem.isEmpty()) {
        const auto cas = QSslCertificate::fromData(d->access.caPem, QSsl::Pem);
        if (cas.isEmpty())
            d->caProblem = QStringLiteral("the cluster's certificate authority is not a PEM certificate");
        // Only the cluster's CA is trusted, as kubectl does.
        d->baseSsl.setCaCertificates(cas);
    }
}

KubeClient::~KubeClient()
{
    // Calls answer Cancelled while the private part is still whole.
    // One at a time: a caller's callback may finish other calls.
    while (!d->calls.isEmpty())
        delete *d->calls.begin();
    d->execWaiters.clear();
    // A plugin still running must not report into a destroyed client.
    if (QProcess *p = d->execProcess) {
        p->disconnect();
        p->kill();
        p->waitForFinished(2000);
        delete p;
    }
}

const ClusterAccess &KubeClient::access() const
{
    return d->access;
}

QString KubeClient::defaultNamespace() const
{
    return d->access.defaultNamespace;
}

void KubeClient::setRetryPolicy(int maxRetries, std::chrono::milliseconds firstBackoff)
{
    d->maxRetries = std::max(0, maxRetries);
    d->firstBackoff = firstBackoff;
}

void KubeClient::setRequestTimeout(std::chrono::milliseconds timeout)
{
    d->timeout = timeout;
}

namespace {

RequestInfo infoFor(const QString &verb, const Resource &r, const QString &ns, const QString &name)
{
    return RequestInfo{verb, r.resource, r.group, r.namespaced ? ns : QString(), name};
}

std::function<Result<Json>(const Response &)> asJson(const QString &where)
{
    return [where](const Response &r) { return parseJsonBody(r.body, where); };
}

QByteArray compact(const Json &j)
{
    return toBytes(j.dump());
}

} // namespace

QFuture<Result<Json>> KubeClient::getPath(const QString &path)
{
    Request r;
    r.method = "GET";
    r.path = path;
    r.info = RequestInfo{QStringLiteral("get"), path, QString(), QString(), QString()};
    return d->call<Json>(std::move(r), asJson(path));
}

QFuture<Result<Json>> KubeClient::get(const Resource &res, const QString &ns, const QString &name)
{
    Request r;
    r.method = "GET";
    r.path = res.path(ns, name);
    r.info = infoFor(QStringLiteral("get"), res, ns, name);
    return d->call<Json>(std::move(r), asJson(r.path));
}

QFuture<Result<ObjectList>> KubeClient::list(const Resource &res, const QString &ns, const ListQuery &query)
{
    Request r;
    r.method = "GET";
    r.path = res.path(ns);
    if (!query.labelSelector.isEmpty())
        r.query.addQueryItem(QStringLiteral("labelSelector"), QString::fromUtf8(QUrl::toPercentEncoding(query.labelSelector)));
    if (!query.fieldSelector.isEmpty())
        r.query.addQueryItem(QStringLiteral("fieldSelector"), QString::fromUtf8(QUrl::toPercentEncoding(query.fieldSelector)));
    if (query.limit > 0)
        r.query.addQueryItem(QStringLiteral("limit"), QString::number(query.limit));
    if (!query.continueToken.isEmpty())
        r.query.addQueryItem(QStringLiteral("continue"), QString::fromUtf8(QUrl::toPercentEncoding(query.continueToken)));
    if (!query.resourceVersion.isEmpty())
        r.query.addQueryItem(QStringLiteral("resourceVersion"), query.resourceVersion);
    // Plain JSON second: a server without the metadata view answers with it.
    if (query.metadataOnly)
        r.accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
    r.info = infoFor(QStringLiteral("list"), res, ns, QString());
    const QString where = r.path;
    return d->call<ObjectList>(std::move(r), [where](const Response &resp) -> Result<ObjectList> {
        auto j = parseJsonBody(resp.body, where);
        if (!j.ok())
            return j.error();
        ObjectList out;
        out.resourceVersion = metaString(j.value(), "resourceVersion");
        out.continueToken = metaString(j.value(), "continue");
        if (auto m = j->find("metadata"); m != j->end() && m->is_object())
            if (auto rem = m->find("remainingItemCount"); rem != m->end() && rem->is_number_integer())
                out.remainingItemCount = rem->get<qint64>();
        if (auto items = j->find("items"); items != j->end() && items->is_array()) {
            out.items.reserve(qsizetype(items->size()));
            for (auto &item : *items)
                out.items.append(std::move(item));
        }
        return out;
    });
}

QFuture<Result<Json>> KubeClient::create(const Resource &res, const QString &ns, const Json &object)
{
    Json body = object;
    body["apiVersion"] = toStd(res.apiVersion());
    body["kind"] = toStd(res.kind);
    Request r;
    r.method = "POST";
    r.path = res.path(ns);
    r.body = compact(body);
    r.contentType = "application/json";
    r.idempotent = false;
    r.info = infoFor(QStringLiteral("create"), res, ns, metaString(object, "name"));
    return d->call<Json>(std::move(r), asJson(r.path));
}

QFuture<Result<Json>> KubeClient::update(const Resource &res, const QString &ns, const Json &object)
{
    Json body = object;
    body["apiVersion"] = toStd(res.apiVersion());
    body["kind"] = toStd(res.kind);
    const QString name = metaString(object, "name");
    const QString expected = metaString(object, "resourceVersion");
    Request r;
    r.method = "PUT";
    r.path = res.path(ns, name);
    r.body = compact(body);
    r.contentType = "application/json";
    // With a resourceVersion a repeated PUT cannot apply twice.
    r.idempotent = !expected.isEmpty();
    r.info = infoFor(QStringLiteral("update"), res, ns, name);
    auto promise = std::make_shared<QPromise<Result<Json>>>();
    QFuture<Result<Json>> future = promise->future();
    promise->start();
    QPointer<KubeClient> self(this);
    const QString where = r.path;
    d->send(std::move(r), [self, promise, res, ns, name, expected, where](Result<Response> resp) {
        if (resp.ok()) {
            promise->addResult(parseJsonBody(resp->body, where));
            promise->finish();
            return;
        }
        if (resp.error().kind != ErrorKind::Conflict || expected.isEmpty() || !self) {
            promise->addResult(resp.error());
            promise->finish();
            return;
        }
        // The server's Conflict does not say which version is current; ask.
        const Error conflict = resp.error();
        self->get(res, ns, name).then(self, [promise, conflict, expected](Result<Json> now) {
            QString current = now.ok() ? metaString(now.value(), "resourceVersion") : QString();
            QString text = conflict.message;
            if (now.ok())
                text += QStringLiteral(" (expected resourceVersion %1, current is %2)").arg(expected, current);
            else if (now.error().kind == ErrorKind::NotFound)
                text += QStringLiteral(" (expected resourceVersion %1; the object no longer exists)").arg(expected);
            promise->addResult(Error(ErrorKind::Conflict, text, conflict.where));
            promise->finish();
        });
    });
    return future;
}

QFuture<Result<Json>> KubeClient::mergePatch(const Resource &res, const QString &ns, const QString &name,
                                             const Json &patch, const QString &subresource)
{
    Request r;
    r.method = "PATCH";
    r.path = res.path(ns, name, subresource);
    r.body = compact(patch);
    r.contentType = "application/merge-patch+json";
    r.idempotent = false;
    r.info = infoFor(QStringLiteral("patch"), res, ns, name);
    return d->call<Json>(std::move(r), asJson(r.path));
}

QFuture<Result<Json>> KubeClient::apply(const Resource &res, const QString &ns, const QString &name, const Json &object,
                                        const QString &fieldManager, bool force)
{
    Json body = object;
    body["apiVersion"] = toStd(res.apiVersion());
    body["kind"] = toStd(res.kind);
    body["metadata"]["name"] = toStd(name);
    Request r;
    r.method = "PATCH";
    r.path = res.path(ns, name);
    r.query.addQueryItem(QStringLiteral("fieldManager"), fieldManager);
    if (force)
        r.query.addQueryItem(QStringLiteral("force"), QStringLiteral("true"));
    r.body = compact(body); // JSON is YAML
    r.contentType = "application/apply-patch+yaml";
    r.idempotent = true; // applying the same intent twice yields the same object
    r.info = infoFor(QStringLiteral("patch"), res, ns, name);
    return d->call<Json>(std::move(r), asJson(r.path));
}

QFuture<Status> KubeClient::remove(const Resource &res, const QString &ns, const QString &name,
                                   const QString &resourceVersion)
{
    Request r;
    r.method = "DELETE";
    r.path = res.path(ns, name);
    if (!resourceVersion.isEmpty()) {
        const Json opts{{"kind", "DeleteOptions"},
                        {"apiVersion", "v1"},
                        {"preconditions", {{"resourceVersion", toStd(resourceVersion)}}}};
        r.body = compact(opts);
        r.contentType = "application/json";
    }
    r.idempotent = !resourceVersion.isEmpty();
    r.info = infoFor(QStringLiteral("delete"), res, ns, name);
    auto future = d->call<bool>(std::move(r), [](const Response &) { return Result<bool>(true); });
    return future.then([](Result<bool> r) -> Status {
        if (!r.ok())
            return r.error();
        return {};
    });
}

// ---- KubeWatch ------------------------------------------------------------

struct KubeWatch::Private {
    KubeWatch *q = nullptr;
    QPointer<KubeClient> client;
    Resource res;
    QString ns;
    WatchOptions opt;
    QString rv;
    // A connection pool of the watch's own: a stream holds its connection
    // for minutes, and six of them would take every HTTP/1.1 connection
    // Qt opens to a host, stalling the client's other requests.
    QNetworkAccessManager *nam = nullptr;
    QPointer<QNetworkReply> reply;
    LineFramer buffer{kMaxWatchLineBytes};
    QList<QSslError> sslErrors;
    QByteArray errorBody;
    bool readyEmitted = false;
    bool refreshAuth = false;
    bool needRelist = false;
    int failures = 0;
    int reconnects = 0;
    QElapsedTimer failingSince;
    QTimer *retry = nullptr;
    RequestInfo info;

    void start();
    void open();
    void closeReply();
    bool onHeaders();
    void onData();
    void onFinished();
    void handleLine(const QByteArray &line);
    void relist();
    void relistPage(const QString &continueToken, const QString &snapshotRv);
    // Waits before trying again: the server's Retry-After when it gave one,
    // else an exponential backoff up to 5 s.
    void backoff(const Error &why, int retryAfterSeconds = -1);
    void fail(const Error &e);
};

KubeWatch::KubeWatch(KubeClient *client, Resource resource, QString ns, WatchOptions options)
    : d(std::make_unique<Private>())
{
    d->q = this;
    d->client = client;
    d->res = std::move(resource);
    d->ns = std::move(ns);
    d->opt = std::move(options);
    d->rv = d->opt.resourceVersion;
    d->info = infoFor(QStringLiteral("watch"), d->res, d->ns, QString());
    d->retry = new QTimer(this);
    d->retry->setSingleShot(true);
    // Never before a Retry-After: a coarse timer may fire 5% early.
    d->retry->setTimerType(Qt::PreciseTimer);
    // Starting from the event loop lets the caller connect its slots first.
    QTimer::singleShot(0, this, [this] { d->start(); });
}

KubeWatch::~KubeWatch()
{
    d->closeReply();
    if (d->nam) {
        // Replies still waiting for deleteLater go with their manager, silently.
        const auto replies = d->nam->findChildren<QNetworkReply *>();
        for (QNetworkReply *r : replies)
            r->disconnect(this);
        delete d->nam;
    }
}

QString KubeWatch::lastResourceVersion() const
{
    return d->rv;
}

int KubeWatch::reconnects() const
{
    return d->reconnects;
}

void KubeWatch::Private::closeReply()
{
    if (reply) {
        reply->disconnect(q);
        reply->abort();
        reply->deleteLater();
        reply = nullptr;
    }
}

void KubeWatch::Private::start()
{
    if (!client)
        return fail(Error(ErrorKind::Cancelled, QStringLiteral("the client was closed")));
    if (!rv.isEmpty())
        return open();
    // "From now": a one-item list fixes the collection's current version.
    ListQuery lq;
    lq.labelSelector = opt.labelSelector;
    lq.fieldSelector = opt.fieldSelector;
    lq.limit = 1;
    client->list(res, ns, lq).then(q, [this](Result<ObjectList> page) {
        if (!page.ok()) {
            if (page.error().kind == ErrorKind::Unavailable || page.error().kind == ErrorKind::Timeout
                || page.error().kind == ErrorKind::RateLimited)
                return backoff(page.error());
            return fail(page.error());
        }
        rv = page->resourceVersion;
        open();
    });
}

void KubeWatch::Private::open()
{
    if (!client)
        return fail(Error(ErrorKind::Cancelled, QStringLiteral("the client was closed")));
    QPointer<KubeWatch> self(q);
    client->d->credentials(refreshAuth, [this, self](Result<Auth> auth) {
        if (!self)
            return;
        refreshAuth = false;
        if (!auth.ok())
            return fail(auth.error());
        Request r;
        r.method = "GET";
        r.path = res.path(ns);
        r.stream = true;
        r.query.addQueryItem(QStringLiteral("watch"), QStringLiteral("1"));
        r.query.addQueryItem(QStringLiteral("allowWatchBookmarks"), QStringLiteral("true"));
        if (!rv.isEmpty())
            r.query.addQueryItem(QStringLiteral("resourceVersion"), rv);
        r.query.addQueryItem(QStringLiteral("timeoutSeconds"), QString::number(opt.timeoutSeconds));
        if (!opt.labelSelector.isEmpty())
            r.query.addQueryItem(QStringLiteral("labelSelector"), QString::fromUtf8(QUrl::toPercentEncoding(opt.labelSelector)));
        if (!opt.fieldSelector.isEmpty())
            r.query.addQueryItem(QStringLiteral("fieldSelector"), QString::fromUtf8(QUrl::toPercentEncoding(opt.fieldSelector)));
        QNetworkRequest nr = client->d->networkRequest(r, auth.value());
        // A stream that stays silent well past the server's own timeout is dead.
        nr.setTransferTimeout((opt.timeoutSeconds + 60) * 1000);
        buffer.clear();
        errorBody.clear();
        sslErrors.clear();
        if (!nam) {
            nam = new QNetworkAccessManager;
            nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
        }
        reply = nam->get(nr);
        QObject::connect(reply, &QNetworkReply::sslErrors, q, [this](const QList<QSslError> &e) { sslErrors += e; });
        QObject::connect(reply, &QNetworkReply::metaDataChanged, q, [this] { onHeaders(); });
        QObject::connect(reply, &QNetworkReply::readyRead, q, [this] { onData(); });
        QObject::connect(reply, &QNetworkReply::finished, q, [this] { onFinished(); });
    });
}

// The API server sends the headers of a watch at once and the first event
// only when something changes, so the stream is open (ready) at the headers.
// Returns false when the watch was destroyed or replaced meanwhile.
bool KubeWatch::Private::onHeaders()
{
    QPointer<QNetworkReply> current = reply;
    if (!current || current->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200)
        return true;
    const bool wasInterrupted = failures > 0;
    failures = 0;
    failingSince.invalidate();
    if (wasInterrupted && readyEmitted) {
        QPointer<KubeWatch> self(q);
        Q_EMIT q->resumed();
        if (!self || reply != current)
            return false;
    }
    if (!readyEmitted) {
        readyEmitted = true;
        QPointer<KubeWatch> self(q);
        Q_EMIT q->ready();
        if (!self || reply != current)
            return false;
    }
    return true;
}

void KubeWatch::Private::onData()
{
    QPointer<QNetworkReply> current = reply;
    if (!current)
        return;
    const int status = current->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 200) {
        errorBody += current->readAll().left(64 * 1024);
        return;
    }
    if (!onHeaders())
        return;
    buffer.append(current->readAll());
    while (std::optional<QByteArray> line = buffer.next()) {
        QPointer<KubeWatch> self(q);
        if (!line->trimmed().isEmpty())
            handleLine(*line);
        if (!self || reply != current)
            return; // destroyed, or the stream was replaced (410 relist)
    }
    if (buffer.overflowed()) {
        // Reconnecting would only read the same event again.
        closeReply();
        fail(Error(ErrorKind::TooLarge,
                   QStringLiteral("the API server sent a watch event larger than %1 MiB")
                       .arg(kMaxWatchLineBytes / (1024 * 1024)),
                   describeRequest(info)));
    }
}

void KubeWatch::Private::handleLine(const QByteArray &line)
{
    WatchLine parsed = parseWatchLine(line, info);
    switch (parsed.kind) {
    case WatchLine::Kind::Bad:
        log::warn(QStringLiteral("kube.watch_bad_line"), {{QStringLiteral("resource"), res.resource}});
        return;
    case WatchLine::Kind::Ignored:
        if (!parsed.resourceVersion.isEmpty())
            rv = parsed.resourceVersion; // an event type this client does not know
        return;
    case WatchLine::Kind::Error: {
        const ApiError &e = parsed.error;
        if (e.isGone())
            return relist();
        if (e.error.kind == ErrorKind::Unavailable || e.error.kind == ErrorKind::Timeout
            || e.error.kind == ErrorKind::RateLimited || e.error.kind == ErrorKind::Internal) {
            closeReply();
            return backoff(e.error);
        }
        closeReply();
        return fail(e.error);
    }
    case WatchLine::Kind::Bookmark:
    case WatchLine::Kind::Added:
    case WatchLine::Kind::Modified:
    case WatchLine::Kind::Deleted:
        break;
    }
    if (!parsed.resourceVersion.isEmpty())
        rv = parsed.resourceVersion;
    if (parsed.kind == WatchLine::Kind::Bookmark)
        return;
    WatchEvent we;
    we.type = parsed.kind == WatchLine::Kind::Added      ? WatchEvent::Type::Added
              : parsed.kind == WatchLine::Kind::Modified ? WatchEvent::Type::Modified
                                                         : WatchEvent::Type::Deleted;
    we.resourceVersion = parsed.resourceVersion;
    we.object = std::move(parsed.object);
    Q_EMIT q->event(we);
}

void KubeWatch::Private::onFinished()
{
    QNetworkReply *r = reply;
    if (!r)
        return;
    reply = nullptr;
    r->deleteLater();
    const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 200) {
        // The server ended the stream (timeoutSeconds) or the connection
        // dropped: reopen from the last version seen, which loses nothing.
        ++reconnects;
        if (r->error() == QNetworkReply::NoError)
            return open();
        return backoff(Error(ErrorKind::Unavailable, r->errorString()));
    }
    if (status == 0) {
        Error e = client ? client->d->networkError(r, sslErrors, info)
                         : Error(ErrorKind::Cancelled, QStringLiteral("the client was closed"));
        if (!sslErrors.isEmpty())
            return fail(e); // a certificate does not fix itself
        ++reconnects;
        return backoff(e);
    }
    if (r->isOpen())
        errorBody += r->readAll();
    const ApiError e = errorFromResponse(status, errorBody, info, retryAfter(r));
    if (e.isGone())
        return relist();
    if (status == 401 && client && client->d->access.exec && !refreshAuth) {
        refreshAuth = true;
        return open();
    }
    if (status == 429 || status >= 500) {
        ++reconnects;
        return backoff(e.error, e.retryAfterSeconds);
    }
    fail(e.error);
}

void KubeWatch::Private::backoff(const Error &why, int retryAfterSeconds)
{
    if (!failingSince.isValid())
        failingSince.start();
    // Give up after a minute of failures in a row: the consumer is told, not left waiting.
    if (failingSince.elapsed() > 60000)
        return fail(why);
    const int ms = retryAfterSeconds >= 0 ? 1000 * std::min(retryAfterSeconds, 10)
                                          : std::min(5000, 100 * (1 << std::min(failures, 6)));
    ++failures;
    log::info(QStringLiteral("kube.watch_retry"),
              {{QStringLiteral("resource"), res.resource}, {QStringLiteral("waitMs"), ms}, {QStringLiteral("reason"), why.message}});
    retry->disconnect();
    QObject::connect(retry, &QTimer::timeout, q, [this] {
        if (needRelist) {
            needRelist = false;
            relist();
        } else if (rv.isEmpty())
            start();
        else
            open();
    });
    retry->start(ms);
    Q_EMIT q->interrupted(why, QDateTime::currentDateTimeUtc().addMSecs(ms));
}

void KubeWatch::Private::relist()
{
    closeReply();
    log::info(QStringLiteral("kube.watch_relist"), {{QStringLiteral("resource"), res.resource}, {QStringLiteral("from"), rv}});
    WatchEvent resync;
    resync.type = WatchEvent::Type::Resync;
    QPointer<KubeWatch> self(q);
    Q_EMIT q->event(resync);
    if (!self)
        return;
    relistPage(QString(), QString());
}

void KubeWatch::Private::relistPage(const QString &continueToken, const QString &snapshotRv)
{
    if (!client)
        return fail(Error(ErrorKind::Cancelled, QStringLiteral("the client was closed")));
    ListQuery lq;
    lq.labelSelector = opt.labelSelector;
    lq.fieldSelector = opt.fieldSelector;
    lq.limit = opt.pageSize;
    lq.continueToken = continueToken;
    client->list(res, ns, lq).then(q, [this, snapshotRv](Result<ObjectList> page) {
        if (!page.ok()) {
            const ErrorKind k = page.error().kind;
            if (k == ErrorKind::Conflict) // the continue token expired: start the relist again
                return relist();
            if (k == ErrorKind::Unavailable || k == ErrorKind::Timeout || k == ErrorKind::RateLimited) {
                needRelist = true;
                return backoff(page.error());
            }
            return fail(page.error());
        }
        const QString snapshot = snapshotRv.isEmpty() ? page->resourceVersion : snapshotRv;
        QPointer<KubeWatch> self(q);
        for (Json &item : page->items) {
            WatchEvent we;
            we.type = WatchEvent::Type::Added;
            we.resourceVersion = metaString(item, "resourceVersion");
            we.object = std::move(item);
            Q_EMIT q->event(we);
            if (!self)
                return;
        }
        if (!page->continueToken.isEmpty())
            return relistPage(page->continueToken, snapshot);
        WatchEvent done;
        done.type = WatchEvent::Type::ResyncDone;
        done.resourceVersion = snapshot;
        rv = snapshot;
        Q_EMIT q->event(done);
        if (!self)
            return;
        open();
    });
}

void KubeWatch::Private::fail(const Error &e)
{
    closeReply();
    retry->stop();
    Q_EMIT q->failed(e);
}

std::unique_ptr<KubeWatch> KubeClient::watch(const Resource &r, const QString &ns, const WatchOptions &options)
{
    return std::unique_ptr<KubeWatch>(new KubeWatch(this, r, ns, options));
}

// ---- discovery --------------------------------------------------------------

QFuture<Result<QList<Resource>>> KubeClient::discover(const QString &group, const QString &version)
{
    auto promise = std::make_shared<QPromise<Result<QList<Resource>>>>();
    promise->start();
    auto answer = [promise](Result<QList<Resource>> r) {
        promise->addResult(std::move(r));
        promise->finish();
    };
    QPointer<KubeClient> self(this);
    auto fetch = [self, group, answer](const QString &v) {
        if (!self)
            return answer(Error(ErrorKind::Cancelled, QStringLiteral("the client was closed")));
        const QString path = group.isEmpty() ? QStringLiteral("/api/") + v : QStringLiteral("/apis/%1/%2").arg(group, v);
        self->getPath(path).then(self, [group, v, path, answer](Result<Json> doc) {
            if (!doc.ok()) {
                if (doc.error().kind == ErrorKind::NotFound)
                    return answer(Error(ErrorKind::NotFound,
                                        QStringLiteral("the API server does not serve %1")
                                            .arg(group.isEmpty() ? v : group + QLatin1Char('/') + v),
                                        path));
                return answer(doc.error());
            }
            QList<Resource> out;
            if (auto list = doc->find("resources"); list != doc->end() && list->is_array())
                for (const Json &r : *list) {
                    const QString name = jsonString(r, "name");
                    if (name.isEmpty() || name.contains(QLatin1Char('/')))
                        continue; // configmaps/status and the like are subresources
                    auto ns = r.find("namespaced");
                    out << Resource{group, v, name, jsonString(r, "kind"), ns != r.end() && ns->is_boolean() && ns->get<bool>()};
                }
            answer(out);
        });
    };
    if (!version.isEmpty())
        fetch(version);
    else if (group.isEmpty())
        fetch(QStringLiteral("v1")); // the core group has had one version since 1.0
    else
        getPath(QStringLiteral("/apis")).then(this, [group, fetch, answer](Result<Json> groups) {
            if (!groups.ok())
                return answer(groups.error());
            QStringList served;
            if (auto list = groups->find("groups"); list != groups->end() && list->is_array())
                for (const Json &g : *list) {
                    const QString name = jsonString(g, "name");
                    served << name;
                    if (name != group)
                        continue;
                    QString v = jsonString(g.value("preferredVersion", Json::object()), "version");
                    if (v.isEmpty() && g.contains("versions") && g["versions"].is_array() && !g["versions"].empty())
                        v = jsonString(g["versions"][0], "version");
                    if (!v.isEmpty())
                        return fetch(v);
                }
            answer(Error(ErrorKind::NotFound,
                         QStringLiteral("the API server serves no API group \"%1\" (is its CRD installed?); it serves: %2")
                             .arg(group, served.join(QStringLiteral(", "))),
                         QStringLiteral("/apis")));
        });
    return promise->future();
}

QFuture<Result<Resource>> KubeClient::resourceForKind(const QString &group, const QString &kind, const QString &version)
{
    return discover(group, version).then(this, [group, kind](Result<QList<Resource>> resources) -> Result<Resource> {
        if (!resources.ok())
            return resources.error();
        QStringList kinds;
        for (const Resource &r : resources.value()) {
            if (r.kind == kind)
                return r;
            kinds << r.kind;
        }
        // As kubectl does, a lower-case kind or the plural name also names it.
        for (const Resource &r : resources.value())
            if (r.kind.compare(kind, Qt::CaseInsensitive) == 0 || r.resource == kind)
                return r;
        kinds.removeDuplicates();
        return Error(ErrorKind::NotFound,
                     QStringLiteral("API group \"%1\" serves no kind \"%2\"; it serves: %3")
                         .arg(group.isEmpty() ? QStringLiteral("core") : group, kind, kinds.join(QStringLiteral(", "))),
                     group.isEmpty() ? QStringLiteral("/api/v1") : QStringLiteral("/apis/") + group);
    });
}

} // namespace sd::kube
