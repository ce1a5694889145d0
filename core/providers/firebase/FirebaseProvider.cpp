#include "providers/firebase/FirebaseProvider.h"

#include "log/Log.h"
#include "model/Codec.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QHostAddress>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QPromise>
#include <QRegularExpression>
#include <QSet>
#include <QSysInfo>
#include <QTimer>
#include <QUrl>
#include <QUuid>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <functional>
#include <map>

namespace sd {
namespace firebase {

namespace {

using Sorted = nlohmann::json; // members in byte order, as Firebase hashes and shows them

constexpr auto kGoogleTokenUri = "https://oauth2.googleapis.com/token";
constexpr auto kScopes = "https://www.googleapis.com/auth/firebase.database "
                         "https://www.googleapis.com/auth/userinfo.email";
// An access token is replaced this long before it expires.
constexpr qint64 kRefreshMarginMs = 5 * 60 * 1000;

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

// One JSON type into the other, member by member (no round trip through
// text): the key-sorted form Firebase's ETags are computed over, and back.
template <typename To, typename From>
To convertJson(const From &v)
{
    if (v.is_object()) {
        To out = To::object();
        for (auto it = v.begin(); it != v.end(); ++it)
            out[it.key()] = convertJson<To>(it.value());
        return out;
    }
    if (v.is_array()) {
        To out = To::array();
        for (const auto &e : v)
            out.push_back(convertJson<To>(e));
        return out;
    }
    if (v.is_string())
        return v.template get<std::string>();
    if (v.is_boolean())
        return v.template get<bool>();
    if (v.is_number_unsigned())
        return v.template get<std::uint64_t>();
    if (v.is_number_integer())
        return v.template get<std::int64_t>();
    if (v.is_number_float())
        return v.template get<double>();
    return nullptr;
}

Sorted toSorted(const Json &v)
{
    return convertJson<Sorted>(v);
}

Json toOrdered(const Sorted &v)
{
    return convertJson<Json>(v);
}

std::optional<long long> asIndex(const std::string &s)
{
    if (s.empty() || s.size() > 11)
        return std::nullopt;
    const size_t start = s[0] == '-' ? 1 : 0;
    if (start == s.size() || (s[start] == '0' && s.size() > start + 1) || s == "-0")
        return std::nullopt;
    for (size_t i = start; i < s.size(); ++i)
        if (s[i] < '0' || s[i] > '9')
            return std::nullopt;
    const long long v = std::stoll(s);
    if (v < -2147483648LL || v > 2147483647LL)
        return std::nullopt;
    return v;
}

// Firebase's key order: 32-bit integer keys first by value, then the rest by bytes.
bool keyLess(const std::string &a, const std::string &b)
{
    const auto ia = asIndex(a), ib = asIndex(b);
    if (ia && ib)
        return *ia < *ib;
    if (bool(ia) != bool(ib))
        return bool(ia);
    return a < b;
}

// As Firebase stores a value: arrays as objects with index keys, no nulls,
// no empty objects (null when nothing is left).
Sorted toStored(const Sorted &v)
{
    if (v.is_array() || v.is_object()) {
        Sorted out = Sorted::object();
        if (v.is_array()) {
            for (size_t i = 0; i < v.size(); ++i)
                if (Sorted c = toStored(v[i]); !c.is_null())
                    out[std::to_string(i)] = std::move(c);
        } else {
            for (auto it = v.begin(); it != v.end(); ++it)
                if (Sorted c = toStored(it.value()); !c.is_null())
                    out[it.key()] = std::move(c);
        }
        return out.empty() ? Sorted() : out;
    }
    return v;
}

// As Firebase shows a stored value: an object whose keys are all indices,
// more than half of them present up to the largest, is an array.
Sorted present(const Sorted &stored)
{
    if (!stored.is_object())
        return stored;
    long long maxIndex = -1;
    bool indices = !stored.empty();
    for (auto it = stored.begin(); it != stored.end() && indices; ++it) {
        const auto i = asIndex(it.key());
        if (!i || *i < 0)
            indices = false;
        else
            maxIndex = std::max(maxIndex, *i);
    }
    if (indices && static_cast<long long>(stored.size()) * 2 > maxIndex + 1) {
        Sorted array = Sorted::array();
        for (long long i = 0; i <= maxIndex; ++i) {
            const auto it = stored.find(std::to_string(i));
            array.push_back(it == stored.end() ? Sorted() : present(*it));
        }
        return array;
    }
    Sorted out = Sorted::object();
    for (auto it = stored.begin(); it != stored.end(); ++it)
        out[it.key()] = present(it.value());
    return out;
}

QString hashOf(const Sorted &shown)
{
    if (shown.is_null())
        return QStringLiteral("null_etag");
    const std::string text = shown.dump();
    return QString::fromLatin1(
        QCryptographicHash::hash(QByteArray::fromRawData(text.data(), qsizetype(text.size())), QCryptographicHash::Sha1)
            .toBase64());
}

// Sets (or with null deletes) the node at `path` inside a stored value, as
// Firebase would, pruning what becomes empty.
void setStored(Sorted &node, const QStringList &path, int at, const Sorted &value)
{
    if (at == path.size()) {
        node = value;
        return;
    }
    if (!node.is_object()) {
        if (value.is_null())
            return;
        node = Sorted::object();
    }
    const std::string seg = path.at(at).toStdString();
    Sorted &child = node[seg];
    setStored(child, path, at + 1, value);
    if (child.is_null())
        node.erase(seg);
    if (node.empty())
        node = Sorted();
}

QString percentPath(const QStringList &segments)
{
    QString out;
    for (const QString &s : segments)
        out += QLatin1Char('/') + QString::fromLatin1(QUrl::toPercentEncoding(s));
    return out;
}

QByteArray jsonParam(const QString &s)
{
    return QUrl::toPercentEncoding(QString::fromStdString(Sorted(s.toStdString()).dump()));
}

QByteArray bytesOf(const std::string &s)
{
    return QByteArray(s.data(), qsizetype(s.size()));
}

QString serverMessage(const QByteArray &body)
{
    const Sorted j = Sorted::parse(body.toStdString(), nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string()) {
        QString m = QString::fromStdString(j["error"].get<std::string>());
        if (j.contains("error_description") && j["error_description"].is_string())
            m += QStringLiteral(": ") + QString::fromStdString(j["error_description"].get<std::string>());
        return m;
    }
    return QString::fromUtf8(body.left(200)).trimmed();
}

} // namespace

struct Reply {
    int status = 0;
    QByteArray body;
    QByteArray etag;
    std::optional<Error> failure; // no HTTP answer (or no token to ask with)
};
using ReplyFn = std::function<void(const Reply &)>;

struct Request {
    QByteArray method = "GET";
    QStringList path; // segments from the database's top
    QList<QPair<QByteArray, QByteArray>> query; // already percent-encoded values
    QByteArray body;
    QByteArray ifMatch;
    bool etag = false;
    bool stream = false;
};

// The connection to one database, shared by the provider and its watches
// (which may outlive it).
class Client : public QObject {
public:
    FirebaseOptions opt;
    QStringList rootSegments;
    QStringList lockSegments;
    QNetworkAccessManager nam;

    explicit Client(FirebaseOptions o) : opt(std::move(o))
    {
        rootSegments = opt.root.split(QLatin1Char('/'), Qt::SkipEmptyParts);
        lockSegments = opt.lockPath.split(QLatin1Char('/'), Qt::SkipEmptyParts);
        while (opt.databaseUrl.endsWith(QLatin1Char('/')))
            opt.databaseUrl.chop(1);
        nam.setAutoDeleteReplies(false);
    }
    ~Client() override
    {
        for (QNetworkReply *r : std::as_const(inFlight)) {
            r->disconnect();
            r->abort();
            r->deleteLater();
        }
    }

    QString where(const QStringList &path) const { return percentPath(path).mid(1); }

    bool usesServiceAccount() const
    {
        return !opt.serviceAccountFile.isEmpty() || (!opt.clientEmail.isEmpty() && !opt.privateKey.isEmpty());
    }

    QNetworkRequest networkRequest(const Request &r) const
    {
        QByteArray target = opt.databaseUrl.toUtf8()
                            + (r.path.isEmpty() ? QByteArray("/") : percentPath(r.path).toUtf8()) + ".json";
        QList<QPair<QByteArray, QByteArray>> query = r.query;
        if (!opt.ns.isEmpty())
            query.append({"ns", QUrl::toPercentEncoding(opt.ns)});
        if (!usesServiceAccount() && !opt.auth.isEmpty())
            query.append({"auth", QUrl::toPercentEncoding(opt.auth)});
        for (qsizetype i = 0; i < query.size(); ++i)
            target += (i == 0 ? '?' : '&') + query[i].first + '=' + query[i].second;
        QNetworkRequest nr(QUrl::fromEncoded(target, QUrl::StrictMode));
        if (usesServiceAccount() && !accessToken.isEmpty())
            nr.setRawHeader("Authorization", "Bearer " + accessToken);
        if (r.stream) {
            nr.setRawHeader("Accept", "text/event-stream");
            nr.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
        } else {
            nr.setTransferTimeout(opt.requestTimeoutMs);
        }
        if (r.etag)
            nr.setRawHeader("X-Firebase-ETag", "true");
        if (!r.ifMatch.isEmpty())
            nr.setRawHeader("if-match", r.ifMatch);
        if (!r.body.isEmpty() || r.method != "GET")
            nr.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json; charset=utf-8"));
        return nr;
    }

    Error networkError(QNetworkReply *reply) const
    {
        const auto e = reply->error();
        if (e == QNetworkReply::OperationCanceledError || e == QNetworkReply::TimeoutError)
            return Error(ErrorKind::Timeout,
                         QStringLiteral("no answer from the Firebase database at %1 within %2 s")
                             .arg(opt.databaseUrl)
                             .arg(opt.requestTimeoutMs / 1000.0),
                         opt.databaseUrl);
        return Error(ErrorKind::Unavailable,
                     QStringLiteral("cannot reach the Firebase database at %1: %2")
                         .arg(opt.databaseUrl, reply->errorString().remove(QRegularExpression(QStringLiteral(
                                                   "[?&](auth|access_token)=[^ &]*")))),
                     opt.databaseUrl);
    }

    // An HTTP answer that is not a success, as an Error about `where`.
    Error httpError(const Reply &r, const QString &where) const
    {
        if (r.failure)
            return *r.failure;
        const QString msg = serverMessage(r.body);
        switch (r.status) {
        case 400:
            return Error(ErrorKind::Invalid, QStringLiteral("Firebase refused the request: %1").arg(msg), where);
        case 401:
        case 403: {
            const bool credentials = usesServiceAccount() || !opt.auth.isEmpty();
            if (credentials && msg.contains(QLatin1String("Permission denied")))
                return Error(ErrorKind::Forbidden,
                             QStringLiteral("Firebase denied this (%1): the credentials may not do it").arg(msg), where);
            return Error(ErrorKind::Unauthorized,
                         credentials ? QStringLiteral("Firebase refused the credentials: %1").arg(msg)
                                     : QStringLiteral("Firebase refused an unauthenticated request (%1); give a "
                                                      "service account (FIREBASE_CLIENT_EMAIL and "
                                                      "FIREBASE_PRIVATE_KEY, or GOOGLE_APPLICATION_CREDENTIALS) or "
                                                      "auth=")
                                           .arg(msg),
                         where);
        }
        case 404:
            return Error(ErrorKind::Unavailable,
                         QStringLiteral("no Firebase database at %1 (%2)").arg(opt.databaseUrl, msg), where);
        case 413:
            return Error(ErrorKind::TooLarge, QStringLiteral("Firebase refused the size: %1").arg(msg), where);
        case 423:
        case 429:
            return Error(ErrorKind::RateLimited, QStringLiteral("Firebase is limiting requests: %1").arg(msg), where);
        default:
            return Error(ErrorKind::Unavailable,
                         QStringLiteral("Firebase answered HTTP %1: %2").arg(r.status).arg(msg), where);
        }
    }

    // Sends one request; with a service account, after making sure there is
    // a fresh access token, and once more with a new one if the server
    // answers 401 (the token ran out or was revoked on the way).
    void send(const Request &r, ReplyFn done, bool retried = false)
    {
        if (!usesServiceAccount())
            return transmit(r, std::move(done));
        ensureToken(
            [this, r, done = std::move(done), retried](const Status &token) mutable {
                if (!token.ok()) {
                    Reply failed;
                    failed.failure = token.error();
                    return done(failed);
                }
                transmit(r, [this, r, done = std::move(done), retried](const Reply &reply) mutable {
                    if (reply.status == 401 && !retried) {
                        invalidateToken();
                        return send(r, std::move(done), true);
                    }
                    done(reply);
                });
            },
            false);
    }

    void transmit(const Request &r, ReplyFn done)
    {
        QNetworkReply *reply = nam.sendCustomRequest(networkRequest(r), r.method, r.body);
        inFlight.insert(reply);
        connect(reply, &QNetworkReply::finished, this, [this, reply, done = std::move(done)] {
            inFlight.remove(reply);
            reply->deleteLater();
            Reply out;
            out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            out.body = reply->readAll();
            out.etag = reply->rawHeader("ETag");
            if (out.status == 0)
                out.failure = networkError(reply);
            done(out);
        });
    }

    // ---- the service account's access token ------------------------------

    QByteArray accessToken;
    qint64 refreshAtMs = 0;
    bool fetching = false;
    QList<std::function<void(const Status &)>> waiters;
    struct Account {
        QString email;
        QByteArray keyPem;
        QString tokenUri;
        QString keyId;
    };
    std::optional<Account> account;

    void invalidateToken()
    {
        accessToken.clear();
        refreshAtMs = 0;
    }

    Result<Account> loadAccount() const
    {
        Account a;
        if (!opt.serviceAccountFile.isEmpty()) {
            QFile f(opt.serviceAccountFile);
            if (!f.open(QIODevice::ReadOnly))
                return Error(ErrorKind::Io,
                             QStringLiteral("cannot read the service account file: %1").arg(f.errorString()),
                             opt.serviceAccountFile);
            const Sorted doc = Sorted::parse(f.readAll().toStdString(), nullptr, false);
            const auto text = [&](const char *name) {
                return doc.is_object() && doc.contains(name) && doc[name].is_string()
                           ? QString::fromStdString(doc[name].get<std::string>())
                           : QString();
            };
            a.email = text("client_email");
            a.keyPem = text("private_key").toUtf8();
            a.tokenUri = text("token_uri");
            a.keyId = text("private_key_id");
            if (a.email.isEmpty() || a.keyPem.isEmpty())
                return Error(ErrorKind::Invalid,
                             QStringLiteral("a service account file needs \"client_email\" and \"private_key\" (the "
                                            "JSON key file the Firebase console downloads)"),
                             opt.serviceAccountFile);
        } else {
            a.email = opt.clientEmail;
            QString pem = opt.privateKey.trimmed();
            // Env files quote the key and write its newlines as \n.
            if (pem.size() >= 2 && pem.startsWith(QLatin1Char('"')) && pem.endsWith(QLatin1Char('"')))
                pem = pem.mid(1, pem.size() - 2);
            pem.replace(QLatin1String("\\n"), QLatin1String("\n"));
            a.keyPem = pem.toUtf8();
        }
        if (a.tokenUri.isEmpty())
            a.tokenUri = opt.tokenUri.isEmpty() ? QString::fromLatin1(kGoogleTokenUri) : opt.tokenUri;
        return a;
    }

    // The JWT assertion of RFC 7523, signed RS256 with the account's key.
    Result<QByteArray> assertion(const Account &a) const
    {
        const QString keyName = opt.serviceAccountFile.isEmpty() ? QStringLiteral("FIREBASE_PRIVATE_KEY")
                                                                 : opt.serviceAccountFile;
        BIO *bio = BIO_new_mem_buf(a.keyPem.constData(), int(a.keyPem.size()));
        // No passphrase prompt on the terminal: an encrypted key is refused.
        EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, nullptr, [](char *, int, int, void *) { return 0; }, nullptr);
        BIO_free(bio);
        ERR_clear_error();
        if (!key || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
            EVP_PKEY_free(key);
            return Error(ErrorKind::Invalid,
                         QStringLiteral("the service account's private key is not an unencrypted RSA private key in "
                                        "PEM form (\"-----BEGIN PRIVATE KEY-----\" ...; \\n escapes are allowed)"),
                         keyName);
        }
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        Sorted header{{"alg", "RS256"}, {"typ", "JWT"}};
        if (!a.keyId.isEmpty())
            header["kid"] = a.keyId.toStdString();
        const Sorted claims{{"iss", a.email.toStdString()},
                            {"scope", kScopes},
                            {"aud", a.tokenUri.toStdString()},
                            {"iat", now},
                            {"exp", now + 3600}};
        const auto b64 = [](const std::string &s) {
            return bytesOf(s).toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
        };
        const QByteArray signingInput = b64(header.dump()) + '.' + b64(claims.dump());
        QByteArray signature;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t length = 0;
        bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1
                  && EVP_DigestSign(ctx, nullptr, &length,
                                    reinterpret_cast<const unsigned char *>(signingInput.constData()),
                                    size_t(signingInput.size()))
                         == 1;
        if (ok) {
            signature.resize(qsizetype(length));
            ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(signature.data()), &length,
                                reinterpret_cast<const unsigned char *>(signingInput.constData()),
                                size_t(signingInput.size()))
                 == 1;
            signature.resize(qsizetype(length));
        }
        EVP_MD_CTX_free(ctx);
        EVP_PKEY_free(key);
        ERR_clear_error();
        if (!ok)
            return Error(ErrorKind::Internal, QStringLiteral("OpenSSL could not sign the token request"), keyName);
        return QByteArray(signingInput + '.'
                          + signature.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    }

    void ensureToken(std::function<void(const Status &)> done, bool force)
    {
        if (!force && !accessToken.isEmpty() && QDateTime::currentMSecsSinceEpoch() < refreshAtMs)
            return done(Status());
        waiters << std::move(done);
        if (fetching)
            return;
        fetching = true;
        const auto finish = [this](const Status &s) {
            fetching = false;
            const auto all = std::exchange(waiters, {});
            for (const auto &w : all)
                w(s);
        };
        if (!account) {
            Result<Account> a = loadAccount();
            if (!a.ok())
                return finish(a.error());
            account = a.value();
        }
        Result<QByteArray> jwt = assertion(*account);
        if (!jwt.ok())
            return finish(jwt.error());
        QNetworkRequest nr{QUrl(account->tokenUri)};
        nr.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/x-www-form-urlencoded"));
        nr.setTransferTimeout(opt.requestTimeoutMs);
        const QByteArray form = "grant_type=" + QUrl::toPercentEncoding(QStringLiteral(
                                                    "urn:ietf:params:oauth:grant-type:jwt-bearer"))
                                + "&assertion=" + jwt.value();
        QNetworkReply *reply = nam.post(nr, form);
        inFlight.insert(reply);
        const QString uri = account->tokenUri;
        const QString email = account->email;
        connect(reply, &QNetworkReply::finished, this, [this, reply, finish, uri, email] {
            inFlight.remove(reply);
            reply->deleteLater();
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QByteArray body = reply->readAll();
            if (status == 0)
                return finish(Error(ErrorKind::Unavailable,
                                    QStringLiteral("cannot reach the token endpoint %1: %2")
                                        .arg(uri, reply->errorString()),
                                    uri));
            const Sorted j = Sorted::parse(body.toStdString(), nullptr, false);
            if (status != 200 || !j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
                return finish(Error(ErrorKind::Unauthorized,
                                    QStringLiteral("the token endpoint %1 refused the service account %2 (HTTP %3: "
                                                   "%4); is the private key the one issued for this account?")
                                        .arg(uri, email)
                                        .arg(status)
                                        .arg(serverMessage(body)),
                                    uri));
            accessToken = QByteArray::fromStdString(j["access_token"].get<std::string>());
            const qint64 lifetimeMs = 1000 * (j.contains("expires_in") && j["expires_in"].is_number()
                                                  ? j["expires_in"].get<qint64>()
                                                  : 3600);
            refreshAtMs = QDateTime::currentMSecsSinceEpoch()
                          + std::max<qint64>(lifetimeMs / 2, lifetimeMs - kRefreshMarginMs);
            log::info(QStringLiteral("firebase.token_refreshed"), {{QStringLiteral("account"), email}});
            finish(Status());
        });
    }

    QSet<QNetworkReply *> inFlight;
};

} // namespace firebase

using firebase::Client;
using firebase::Promise;
using firebase::Reply;
using firebase::Request;
using firebase::Sorted;

namespace {

const Capabilities &firebaseCapabilities()
{
    static const Capabilities caps = [] {
        Capabilities c;
        c.watch = WatchKind::Native; // the event stream
        c.compareAndSwap = true;     // ETags with if-match
        c.ttl = false;               // Firebase expires nothing by itself
        c.locks = true;              // lock nodes written with if-match
        c.transactions = false;      // the REST API has conditional writes of one node only
        c.watchHistory = false;      // a stream starts from the current state
        c.perKeyRevisions = true;
        c.forbiddenKeyChars = QStringLiteral(".$#[]");
        c.keySeparator = QStringLiteral("/");
        c.structuredValues = true;
        c.numericRevisions = false;
        return c;
    }();
    return caps;
}

QStringList keySegments(const QString &key)
{
    return key.split(QLatin1Char('/'));
}

Status checkKey(const QString &key)
{
    if (Status s = validateKey(key, firebaseCapabilities()); !s.ok())
        return s;
    for (const QString &seg : keySegments(key))
        if (seg.isEmpty())
            return Error(ErrorKind::Invalid,
                         QStringLiteral("a Firebase key's \"/\"-separated parts may not be empty (no leading, "
                                        "trailing or double \"/\")"),
                         QStringLiteral("key \"%1\"").arg(key));
    return {};
}

Sorted normalized(const Json &value)
{
    return firebase::present(firebase::toStored(firebase::toSorted(value)));
}

Entry entryOf(const QString &key, const Sorted &shown)
{
    Entry e;
    e.key = key;
    e.value = firebase::toOrdered(shown);
    e.encoding = Encoding::Json;
    e.revision = firebase::hashOf(shown);
    return e;
}

Sorted parseBody(const QByteArray &body)
{
    return Sorted::parse(body.toStdString(), nullptr, false);
}

// What is sent for an entry: its JSON value (text and base64 values are
// JSON strings already).
Result<QByteArray> bodyOf(const Entry &entry)
{
    const Sorted stored = firebase::toStored(firebase::toSorted(entry.value));
    if (stored.is_null())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("Firebase stores nothing for null, {} or [] (writing one deletes the key); "
                                    "use remove to delete it"),
                     entry.key);
    return compactJson(entry.value);
}

template <typename T>
QFuture<T> ready(T value)
{
    return QtFuture::makeReadyFuture(std::move(value));
}

QString hostOwner()
{
    return QSysInfo::machineHostName() + QLatin1Char(':') + QString::number(QCoreApplication::applicationPid()) +
           QLatin1Char(':') + QUuid::createUuid().toString(QUuid::WithoutBraces).left(8);
}

} // namespace

FirebaseProvider::FirebaseProvider(FirebaseOptions options, QObject *parent)
    : Provider(parent), m_client(std::make_shared<Client>(std::move(options)))
{
}

FirebaseProvider::~FirebaseProvider() = default;

QString FirebaseProvider::scheme() const
{
    return QStringLiteral("firebase");
}

QString FirebaseProvider::describe() const
{
    QString out = QStringLiteral("firebase ") + m_client->opt.databaseUrl;
    if (!m_client->rootSegments.isEmpty())
        out += QLatin1Char('/') + m_client->rootSegments.join(QLatin1Char('/'));
    if (!m_client->opt.ns.isEmpty())
        out += QStringLiteral(" (ns=") + m_client->opt.ns + QLatin1Char(')');
    return out;
}

Capabilities FirebaseProvider::capabilities() const
{
    return firebaseCapabilities();
}

QString FirebaseProvider::revisionOf(const Json &value)
{
    return firebase::hashOf(normalized(value));
}

QFuture<Result<ListPage>> FirebaseProvider::list(const ListOptions &options)
{
    const int slash = int(options.prefix.lastIndexOf(QLatin1Char('/')));
    const QString parentKey = slash >= 0 ? options.prefix.left(slash + 1) : QString();
    const QString childPrefix = options.prefix.mid(slash + 1);
    QStringList parent = m_client->rootSegments;
    if (!parentKey.isEmpty()) {
        if (Status s = checkKey(parentKey.chopped(1)); !s.ok())
            return ready(Result<ListPage>(s.error()));
        parent << keySegments(parentKey.chopped(1));
    }
    const int limit = options.limit > 0 ? std::min(options.limit, 5000) : 500;
    const QString startAt = !options.cursor.isEmpty() && options.cursor > childPrefix ? options.cursor : childPrefix;
    Request r;
    r.path = parent;
    r.query.append({"orderBy", firebase::jsonParam(QStringLiteral("$key"))});
    if (!startAt.isEmpty())
        r.query.append({"startAt", firebase::jsonParam(startAt)});
    if (!childPrefix.isEmpty())
        r.query.append({"endAt", firebase::jsonParam(childPrefix + QChar(0xf8ff))});
    // One more than asked (and the cursor's own key) says whether a page follows.
    r.query.append({"limitToFirst", QByteArray::number(limit + (options.cursor.isEmpty() ? 1 : 2))});
    // Lock nodes are not keys when the root is the whole database.
    const QString hidden = parent.isEmpty() && m_client->lockSegments.size() >= 1 ? m_client->lockSegments.first()
                                                                                   : QString();
    Promise<Result<ListPage>> promise;
    const bool keysOnly = options.keysOnly;
    const QString cursor = options.cursor;
    const QString where = options.prefix.isEmpty() ? m_client->opt.databaseUrl : options.prefix;
    m_client->send(r, [client = m_client.get(), promise, parentKey, childPrefix, cursor, limit, hidden, keysOnly,
                       where](const Reply &reply) {
        if (reply.failure || reply.status != 200)
            return promise(client->httpError(reply, where));
        const Sorted data = parseBody(reply.body);
        ListPage page;
        if (!data.is_object())
            return promise(std::move(page)); // nothing there, or a single value without children
        std::vector<std::string> keys;
        for (auto it = data.begin(); it != data.end(); ++it)
            keys.push_back(it.key());
        std::sort(keys.begin(), keys.end(), firebase::keyLess);
        const std::string after = cursor.toStdString();
        int taken = 0;
        size_t i = 0;
        for (; i < keys.size() && taken < limit; ++i) {
            const std::string &k = keys[i];
            if (!after.empty() && !firebase::keyLess(after, k))
                continue; // the cursor's own key, listed on the page before
            const QString name = QString::fromStdString(k);
            // Integer keys sort apart from strings, so the range can hold
            // keys without the prefix.
            if (!name.startsWith(childPrefix) || (!hidden.isEmpty() && name == hidden))
                continue;
            Entry e = entryOf(parentKey + name, data[k]);
            if (keysOnly)
                e.value = Json();
            page.entries << e;
            ++taken;
        }
        if (i < keys.size() && taken > 0)
            page.nextCursor = page.entries.last().key.mid(parentKey.size());
        else if (i < keys.size())
            page.nextCursor = QString::fromStdString(keys[i - 1]);
        promise(std::move(page));
    });
    return promise.future();
}

QFuture<Result<Entry>> FirebaseProvider::get(const QString &key)
{
    if (Status s = checkKey(key); !s.ok())
        return ready(Result<Entry>(s.error()));
    Request r;
    r.path = m_client->rootSegments + keySegments(key);
    Promise<Result<Entry>> promise;
    m_client->send(r, [client = m_client.get(), promise, key](const Reply &reply) {
        if (reply.failure || reply.status != 200)
            return promise(client->httpError(reply, key));
        const Sorted data = parseBody(reply.body);
        if (data.is_discarded())
            return promise(Error(ErrorKind::Unavailable, QStringLiteral("Firebase answered with something not JSON"), key));
        if (data.is_null())
            return promise(Error(ErrorKind::NotFound, QStringLiteral("no such key"), key));
        promise(entryOf(key, data));
    });
    return promise.future();
}

namespace {

// A conditional write (PUT or DELETE under if-match), retried with the
// server's own ETag when its 412 shows the value the caller expects.
struct ConditionalWrite : std::enable_shared_from_this<ConditionalWrite> {
    std::shared_ptr<Client> client;
    QString key;
    Request request;
    Precondition pre;
    std::function<void(const Reply &)> succeeded;
    std::function<void(const Error &)> failed;
    int attempts = 0;

    void run()
    {
        ++attempts;
        client->send(request, [self = shared_from_this()](const Reply &reply) { self->answered(reply); });
    }

    void answered(const Reply &reply)
    {
        if (!reply.failure && reply.status == 200)
            return succeeded(reply);
        if (reply.failure || reply.status != 412)
            return failed(client->httpError(reply, key));
        const Sorted current = parseBody(reply.body);
        const QString now = firebase::hashOf(current);
        if (pre.kind == Precondition::Kind::MustNotExist)
            return failed(Error(ErrorKind::AlreadyExists,
                                QStringLiteral("the key already exists (at revision %1)").arg(now), key));
        if (now == pre.revision && attempts < 3 && !reply.etag.isEmpty()) {
            // The value is the one expected; the server names it differently.
            request.ifMatch = reply.etag;
            return run();
        }
        if (current.is_null())
            return failed(Error(ErrorKind::Conflict,
                                QStringLiteral("the key was deleted since revision %1 was read").arg(pre.revision),
                                key));
        failed(Error(ErrorKind::Conflict,
                     QStringLiteral("the key changed since it was read: expected revision %1, it is now at %2")
                         .arg(pre.revision, now),
                     key));
    }
};

} // namespace

QFuture<Result<Entry>> FirebaseProvider::put(const Entry &entry, const Precondition &pre)
{
    if (Status s = checkKey(entry.key); !s.ok())
        return ready(Result<Entry>(s.error()));
    Result<QByteArray> body = bodyOf(entry);
    if (!body.ok())
        return ready(Result<Entry>(body.error()));
    Request r;
    r.method = "PUT";
    r.path = m_client->rootSegments + keySegments(entry.key);
    r.body = body.value();
    Promise<Result<Entry>> promise;
    const QString key = entry.key;
    const auto done = [promise, key](const Reply &reply) {
        // The answer is the value as stored (server values resolved).
        const Sorted stored = parseBody(reply.body);
        promise(entryOf(key, firebase::present(firebase::toStored(stored))));
    };
    if (pre.kind == Precondition::Kind::None) {
        m_client->send(r, [client = m_client.get(), promise, key, done](const Reply &reply) {
            if (reply.failure || reply.status != 200)
                return promise(client->httpError(reply, key));
            done(reply);
        });
        return promise.future();
    }
    r.ifMatch = pre.kind == Precondition::Kind::MustNotExist ? QByteArrayLiteral("null_etag") : pre.revision.toUtf8();
    auto write = std::make_shared<ConditionalWrite>();
    write->client = m_client;
    write->key = key;
    write->request = r;
    write->pre = pre;
    write->succeeded = done;
    write->failed = [promise](const Error &e) { promise(e); };
    write->run();
    return promise.future();
}

QFuture<Status> FirebaseProvider::remove(const QString &key, const Precondition &pre)
{
    if (Status s = checkKey(key); !s.ok())
        return ready(s);
    Promise<Status> promise;
    const QStringList path = m_client->rootSegments + keySegments(key);
    auto deleteAt = [client = m_client, key, path, promise](const Precondition &p) {
        Request r;
        r.method = "DELETE";
        r.path = path;
        r.ifMatch = p.revision.toUtf8();
        auto write = std::make_shared<ConditionalWrite>();
        write->client = client;
        write->key = key;
        write->request = r;
        write->pre = p;
        write->succeeded = [promise](const Reply &) { promise(Status()); };
        write->failed = [promise, key](const Error &e) {
            // A key deleted meanwhile is gone either way.
            if (e.kind == ErrorKind::Conflict && e.message.contains(QLatin1String("was deleted")))
                return promise(Error(ErrorKind::NotFound, QStringLiteral("no such key"), key));
            promise(e);
        };
        write->run();
    };
    if (pre.kind == Precondition::Kind::Revision) {
        deleteAt(pre);
        return promise.future();
    }
    // Without a revision: read it first, so a missing key is NotFound, and
    // delete exactly what was read.
    Request r;
    r.path = path;
    m_client->send(r, [client = m_client.get(), promise, key, pre, deleteAt](const Reply &reply) {
        if (reply.failure || reply.status != 200)
            return promise(client->httpError(reply, key));
        const Sorted current = parseBody(reply.body);
        if (current.is_null())
            return promise(Error(ErrorKind::NotFound, QStringLiteral("no such key"), key));
        if (pre.kind == Precondition::Kind::MustNotExist)
            return promise(Error(ErrorKind::AlreadyExists, QStringLiteral("the key exists"), key));
        deleteAt(Precondition::atRevision(firebase::hashOf(current)));
    });
    return promise.future();
}

QFuture<BatchResult> FirebaseProvider::putBatch(const QList<BatchItem> &items)
{
    for (const BatchItem &item : items)
        if (item.precondition.kind != Precondition::Kind::None)
            return Provider::putBatch(items);
    // Unconditional: multi-path PATCHes at the root, in order, 500 items each.
    struct Run {
        QList<BatchItem> items;
        BatchResult result;
        qsizetype next = 0;
        QPromise<BatchResult> promise;
    };
    auto run = std::make_shared<Run>();
    run->items = items;
    run->result.results.resize(items.size());
    run->promise.start();
    QFuture<BatchResult> future = run->promise.future();
    auto step = std::make_shared<std::function<void()>>();
    *step = [run, step, client = m_client] {
        if (run->next >= run->items.size()) {
            run->promise.addResult(std::move(run->result));
            run->promise.finish();
            *step = nullptr; // breaks the cycle
            return;
        }
        Sorted patch = Sorted::object();
        std::map<std::string, Sorted> shown;
        QList<qsizetype> sent;
        QSet<QString> keys;
        qsizetype bytes = 0;
        while (run->next < run->items.size() && sent.size() < 500 && bytes < 8 * 1024 * 1024) {
            const qsizetype i = run->next;
            const Entry &e = run->items[i].entry;
            Status valid = validateBatchItem(e, firebaseCapabilities());
            if (valid.ok())
                valid = checkKey(e.key);
            Result<QByteArray> body = valid.ok() ? bodyOf(e) : Result<QByteArray>(valid.error());
            if (!body.ok()) {
                run->result.results[i] = body.error();
                ++run->next;
                continue;
            }
            // Paths of one PATCH may not overlap; a key under (or over) one
            // already in this request waits for the next.
            bool overlaps = false;
            for (const QString &k : std::as_const(keys))
                if (k.startsWith(e.key + QLatin1Char('/')) || e.key.startsWith(k + QLatin1Char('/')))
                    overlaps = true;
            if (overlaps)
                break;
            keys.insert(e.key);
            const Sorted value = firebase::toSorted(e.value);
            patch[e.key.toStdString()] = value; // a key given twice: the later value
            shown[e.key.toStdString()] = firebase::present(firebase::toStored(value));
            sent << i;
            bytes += body->size();
            ++run->next;
        }
        if (sent.isEmpty())
            return (*step)();
        Request r;
        r.method = "PATCH";
        r.path = client->rootSegments;
        r.body = firebase::bytesOf(patch.dump());
        client->send(r, [run, step, client, sent, shown](const Reply &reply) {
            const bool ok = !reply.failure && reply.status == 200;
            for (qsizetype i : sent) {
                const Entry &e = run->items[i].entry;
                if (ok)
                    run->result.results[i] = entryOf(e.key, shown.at(e.key.toStdString()));
                else
                    run->result.results[i] = client->httpError(reply, e.key);
            }
            (*step)();
        });
    };
    (*step)();
    return future;
}

// ---- watch ------------------------------------------------------------------

namespace {

class FirebaseWatch : public Watch {
public:
    FirebaseWatch(std::shared_ptr<Client> client, QString prefix, bool resync)
        : m_client(std::move(client)), m_resyncFirst(resync)
    {
        const int slash = int(prefix.lastIndexOf(QLatin1Char('/')));
        m_parentKey = slash >= 0 ? prefix.left(slash + 1) : QString();
        m_childPrefix = prefix.mid(slash + 1);
        m_parent = m_client->rootSegments;
        if (!m_parentKey.isEmpty())
            m_parent << keySegments(m_parentKey.chopped(1));
        if (m_parent.isEmpty() && !m_client->lockSegments.isEmpty())
            m_hidden = m_client->lockSegments.first();
        m_retry.setSingleShot(true);
        connect(&m_retry, &QTimer::timeout, this, [this] { open(); });
        // Firebase sends a keep-alive every 30 s; silence for longer means a
        // dead connection that TCP has not noticed yet.
        m_watchdog.setSingleShot(true);
        m_watchdog.setInterval(m_client->opt.streamSilenceMs);
        connect(&m_watchdog, &QTimer::timeout, this, [this] {
            dropped(Error(ErrorKind::Timeout, QStringLiteral("the Firebase event stream went silent")));
        });
        QMetaObject::invokeMethod(this, [this] { open(); }, Qt::QueuedConnection);
    }

    ~FirebaseWatch() override { closeReply(); }

private:
    void closeReply()
    {
        if (m_reply) {
            QNetworkReply *r = std::exchange(m_reply, nullptr);
            r->disconnect(this);
            r->abort();
            r->deleteLater();
        }
    }

    void open()
    {
        if (m_client->usesServiceAccount()) {
            m_client->ensureToken(
                [self = QPointer<FirebaseWatch>(this)](const Status &s) {
                    if (!self)
                        return;
                    if (!s.ok()) {
                        if (s.error().kind == ErrorKind::Unauthorized || s.error().kind == ErrorKind::Invalid)
                            return self->stop(s.error());
                        return self->dropped(s.error());
                    }
                    self->connectStream();
                },
                false);
            return;
        }
        connectStream();
    }

    void connectStream()
    {
        closeReply();
        Request r;
        r.path = m_parent;
        r.stream = true;
        if (!m_childPrefix.isEmpty()) {
            r.query.append({"orderBy", firebase::jsonParam(QStringLiteral("$key"))});
            r.query.append({"startAt", firebase::jsonParam(m_childPrefix)});
            r.query.append({"endAt", firebase::jsonParam(m_childPrefix + QChar(0xf8ff))});
        }
        m_buffer.clear();
        m_gotSnapshot = false;
        // Its own manager: a stream holds its connection for good, and six
        // watches on the shared one would leave no connection for requests.
        m_reply = m_nam.get(m_client->networkRequest(r));
        connect(m_reply, &QNetworkReply::readyRead, this, [this] { onData(); });
        connect(m_reply, &QNetworkReply::finished, this, [this] { onFinished(); });
        m_watchdog.start();
    }

    void onFinished()
    {
        QNetworkReply *r = std::exchange(m_reply, nullptr);
        if (!r)
            return;
        r->deleteLater();
        const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 401 && m_client->usesServiceAccount() && !m_reauthorized) {
            // The token ran out between the check and the request.
            m_reauthorized = true;
            m_client->invalidateToken();
            return open();
        }
        if (status != 0 && status != 200) {
            Reply reply;
            reply.status = status;
            reply.body = r->readAll();
            const Error e = m_client->httpError(reply, m_parentKey.isEmpty() ? QStringLiteral("/") : m_parentKey);
            if (status >= 500 || status == 429)
                return dropped(e);
            return stop(e);
        }
        dropped(status == 0 ? m_client->networkError(r)
                            : Error(ErrorKind::Unavailable, QStringLiteral("the Firebase event stream ended")));
    }

    void dropped(const Error &why)
    {
        closeReply();
        m_watchdog.stop();
        const int ms = std::min(5000, 100 * (1 << std::min(m_failures, 6)));
        ++m_failures;
        // No history: whatever happened meanwhile comes back as a Resync.
        m_resyncNext = true;
        log::info(QStringLiteral("firebase.watch_retry"), {{QStringLiteral("waitMs"), ms}, {QStringLiteral("reason"), why.message}});
        m_retry.start(ms);
        Q_EMIT interrupted(why, QDateTime::currentDateTimeUtc().addMSecs(ms));
    }

    void stop(const Error &why)
    {
        closeReply();
        m_watchdog.stop();
        m_retry.stop();
        Q_EMIT failed(why);
    }

    void onData()
    {
        if (!m_reply)
            return;
        m_watchdog.start();
        m_buffer += m_reply->readAll();
        m_buffer.replace("\r\n", "\n");
        for (;;) {
            const qsizetype end = m_buffer.indexOf("\n\n");
            if (end < 0)
                break;
            const QByteArray block = m_buffer.left(end);
            m_buffer.remove(0, end + 2);
            QByteArray type, data;
            for (const QByteArray &line : block.split('\n')) {
                if (line.startsWith("event:"))
                    type = line.mid(6).trimmed();
                else if (line.startsWith("data:"))
                    data += line.mid(5).trimmed();
            }
            if (!handle(type, data))
                return; // stopped or reconnecting
        }
    }

    // False when the stream ends here.
    bool handle(const QByteArray &type, const QByteArray &data)
    {
        if (type == "keep-alive")
            return true;
        if (type == "cancel") {
            stop(Error(ErrorKind::Forbidden,
                       QStringLiteral("Firebase cancelled the event stream (%1): the credentials may no longer "
                                      "read this location")
                           .arg(QString::fromUtf8(data).remove(QLatin1Char('"'))),
                       m_parentKey.isEmpty() ? QStringLiteral("/") : m_parentKey));
            return false;
        }
        if (type == "auth_revoked") {
            // A new token, then a new stream; changes in between come as a Resync.
            log::info(QStringLiteral("firebase.watch_auth_revoked"));
            closeReply();
            m_client->invalidateToken();
            m_resyncNext = true;
            QMetaObject::invokeMethod(this, [this] { open(); }, Qt::QueuedConnection);
            return false;
        }
        if (type != "put" && type != "patch")
            return true;
        const Sorted event = parseBody(data);
        if (!event.is_object() || !event.contains("path") || !event["path"].is_string())
            return true;
        const QStringList path =
            QString::fromStdString(event["path"].get<std::string>()).split(QLatin1Char('/'), Qt::SkipEmptyParts);
        const Sorted payload = event.contains("data") ? event["data"] : Sorted();
        if (type == "put" && path.isEmpty()) {
            snapshot(payload);
            return true;
        }
        if (!m_gotSnapshot)
            return true;
        if (type == "put") {
            apply(path, payload);
        } else if (payload.is_object()) {
            for (auto it = payload.begin(); it != payload.end(); ++it)
                apply(path + QString::fromStdString(it.key()).split(QLatin1Char('/'), Qt::SkipEmptyParts),
                      it.value());
        }
        return true;
    }

    bool watched(const QString &child) const
    {
        return child.startsWith(m_childPrefix) && (m_hidden.isEmpty() || child != m_hidden);
    }

    void emitChange(const QString &child, const Sorted &before, const Sorted &after)
    {
        Event e;
        if (after.is_null()) {
            e.type = Event::Type::Deleted;
            e.entry.key = m_parentKey + child;
            e.entry.revision = QStringLiteral("null_etag");
        } else {
            e.type = before.is_null() ? Event::Type::Added : Event::Type::Modified;
            e.entry = entryOf(m_parentKey + child, firebase::present(after));
        }
        Q_EMIT event(e);
    }

    // The whole watched node: the first answer of a stream, or a write that
    // replaced it.
    void snapshot(const Sorted &shown)
    {
        std::map<QString, Sorted> now;
        const Sorted stored = firebase::toStored(shown);
        if (stored.is_object())
            for (auto it = stored.begin(); it != stored.end(); ++it) {
                const QString child = QString::fromStdString(it.key());
                if (watched(child))
                    now[child] = it.value();
            }
        const bool first = !m_gotSnapshot;
        m_gotSnapshot = true;
        m_failures = 0;
        m_reauthorized = false;
        if (first && (m_resyncNext || m_resyncFirst)) {
            m_resyncNext = m_resyncFirst = false;
            Event r;
            r.type = Event::Type::Resync;
            Q_EMIT event(r);
            for (const auto &[child, value] : now)
                emitChange(child, Sorted(), value);
            m_children = std::move(now);
            Event done;
            done.type = Event::Type::ResyncDone;
            Q_EMIT event(done);
            announce();
            return;
        }
        if (first) {
            m_children = std::move(now);
            announce();
            return;
        }
        for (auto it = m_children.begin(); it != m_children.end();) {
            if (!now.count(it->first)) {
                emitChange(it->first, it->second, Sorted());
                it = m_children.erase(it);
            } else {
                ++it;
            }
        }
        for (const auto &[child, value] : now) {
            const auto old = m_children.find(child);
            const Sorted before = old == m_children.end() ? Sorted() : old->second;
            if (before != value)
                emitChange(child, before, value);
            m_children[child] = value;
        }
    }

    void announce()
    {
        if (!m_ready) {
            m_ready = true;
            Q_EMIT ready();
        } else {
            Q_EMIT resumed();
        }
    }

    // A write at `path` (below the watched node) to `shown`.
    void apply(const QStringList &path, const Sorted &shown)
    {
        const QString child = path.first();
        if (!watched(child))
            return;
        const auto old = m_children.find(child);
        const Sorted before = old == m_children.end() ? Sorted() : old->second;
        Sorted after = before;
        firebase::setStored(after, path, 1, firebase::toStored(shown));
        if (after == before)
            return;
        if (after.is_null())
            m_children.erase(child);
        else
            m_children[child] = after;
        emitChange(child, before, after);
    }

    std::shared_ptr<Client> m_client;
    QNetworkAccessManager m_nam;
    QString m_parentKey, m_childPrefix, m_hidden;
    QStringList m_parent;
    QNetworkReply *m_reply = nullptr;
    QByteArray m_buffer;
    QTimer m_retry, m_watchdog;
    std::map<QString, Sorted> m_children; // stored form
    bool m_resyncFirst = false;
    bool m_resyncNext = false;
    bool m_gotSnapshot = false;
    bool m_ready = false;
    bool m_reauthorized = false;
    int m_failures = 0;
};

class FailedWatch : public Watch {
public:
    explicit FailedWatch(Error e)
    {
        QMetaObject::invokeMethod(this, [this, e] { Q_EMIT failed(e); }, Qt::QueuedConnection);
    }
};

} // namespace

std::unique_ptr<Watch> FirebaseProvider::watch(const QString &prefix, const QString &fromRevision)
{
    const int slash = int(prefix.lastIndexOf(QLatin1Char('/')));
    if (slash >= 0) {
        if (Status s = checkKey(prefix.left(slash)); !s.ok())
            return std::make_unique<FailedWatch>(s.error());
    }
    return std::make_unique<FirebaseWatch>(m_client, prefix, !fromRevision.isEmpty());
}

// ---- locks ------------------------------------------------------------------

namespace {

// One step of a lock operation: read the node with its ETag, decide, write
// it under if-match; a 412 (someone else wrote meanwhile) starts over.
struct LockStep : std::enable_shared_from_this<LockStep> {
    std::shared_ptr<Client> client;
    QString name;
    QStringList path;
    // Given the node's current value, the node to write, or an error.
    std::function<Result<Sorted>(const Sorted &current)> decide;
    std::function<void(Result<Sorted>)> done;
    int attempts = 0;

    void run()
    {
        Request r;
        r.path = path;
        r.etag = true;
        client->send(r, [self = shared_from_this()](const Reply &reply) {
            if (reply.failure || reply.status != 200)
                return self->done(self->client->httpError(reply, self->name));
            const Sorted current = parseBody(reply.body);
            Result<Sorted> next = self->decide(current);
            if (!next.ok())
                return self->done(next.error());
            Request w;
            w.method = "PUT";
            w.path = self->path;
            w.ifMatch = reply.etag.isEmpty() ? firebase::hashOf(current).toUtf8() : reply.etag;
            w.body = firebase::bytesOf(next.value().dump());
            self->client->send(w, [self, written = next.value()](const Reply &answer) {
                if (!answer.failure && answer.status == 200)
                    return self->done(written);
                if (!answer.failure && answer.status == 412 && ++self->attempts < 10)
                    return self->run();
                self->done(self->client->httpError(answer, self->name));
            });
        });
    }
};

quint64 fencingOf(const Sorted &node)
{
    return node.is_object() && node.contains("fencing") && node["fencing"].is_number_unsigned()
               ? node["fencing"].get<quint64>()
               : 0;
}

QString ownerOf(const Sorted &node)
{
    return node.is_object() && node.contains("owner") && node["owner"].is_string()
               ? QString::fromStdString(node["owner"].get<std::string>())
               : QString();
}

qint64 expiresOf(const Sorted &node)
{
    return node.is_object() && node.contains("expires") && node["expires"].is_number() ? node["expires"].get<qint64>()
                                                                                      : 0;
}

} // namespace

QFuture<Result<Lock>> FirebaseProvider::lock(const QString &name, std::chrono::milliseconds ttl)
{
    if (Status s = checkKey(name); !s.ok())
        return ready(Result<Lock>(s.error()));
    Promise<Result<Lock>> promise;
    auto step = std::make_shared<LockStep>();
    step->client = m_client;
    step->name = name;
    step->path = m_client->lockSegments + keySegments(name);
    const QString owner = hostOwner();
    const qint64 ttlMs = std::max<qint64>(1, ttl.count());
    step->decide = [name, owner, ttlMs](const Sorted &current) -> Result<Sorted> {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (!ownerOf(current).isEmpty() && expiresOf(current) > now)
            return Error(ErrorKind::Busy,
                         QStringLiteral("the lock is held by %1 until %2")
                             .arg(ownerOf(current),
                                  QDateTime::fromMSecsSinceEpoch(expiresOf(current), Qt::UTC)
                                      .toString(Qt::ISODateWithMs)),
                         name);
        return Sorted{{"owner", owner.toStdString()}, {"expires", now + ttlMs}, {"fencing", fencingOf(current) + 1}};
    };
    step->done = [promise, name](Result<Sorted> r) {
        if (!r.ok())
            return promise(r.error());
        Lock l;
        l.name = name;
        l.owner = ownerOf(r.value());
        l.fencingToken = fencingOf(r.value());
        l.expires = QDateTime::fromMSecsSinceEpoch(expiresOf(r.value()), Qt::UTC);
        promise(l);
    };
    step->run();
    return promise.future();
}

QFuture<Status> FirebaseProvider::unlock(const Lock &lock)
{
    Promise<Status> promise;
    auto step = std::make_shared<LockStep>();
    step->client = m_client;
    step->name = lock.name;
    step->path = m_client->lockSegments + keySegments(lock.name);
    step->decide = [lock](const Sorted &current) -> Result<Sorted> {
        if (ownerOf(current) != lock.owner || fencingOf(current) != lock.fencingToken)
            return Error(ErrorKind::Conflict,
                         QStringLiteral("the lock was lost: it is no longer held with fencing token %1")
                             .arg(lock.fencingToken),
                         lock.name);
        // The counter stays, so the next holder's token is higher.
        return Sorted{{"fencing", lock.fencingToken}};
    };
    step->done = [promise](Result<Sorted> r) { promise(r.ok() ? Status() : Status(r.error())); };
    step->run();
    return promise.future();
}

QFuture<Result<Lock>> FirebaseProvider::renew(const Lock &lock, std::chrono::milliseconds ttl)
{
    Promise<Result<Lock>> promise;
    auto step = std::make_shared<LockStep>();
    step->client = m_client;
    step->name = lock.name;
    step->path = m_client->lockSegments + keySegments(lock.name);
    const qint64 ttlMs = std::max<qint64>(1, ttl.count());
    step->decide = [lock, ttlMs](const Sorted &current) -> Result<Sorted> {
        if (ownerOf(current) != lock.owner || fencingOf(current) != lock.fencingToken)
            return Error(ErrorKind::Conflict,
                         QStringLiteral("the lock was lost: it is no longer held with fencing token %1")
                             .arg(lock.fencingToken),
                         lock.name);
        return Sorted{{"owner", lock.owner.toStdString()},
                      {"expires", QDateTime::currentMSecsSinceEpoch() + ttlMs},
                      {"fencing", lock.fencingToken}};
    };
    step->done = [promise, lock](Result<Sorted> r) {
        if (!r.ok())
            return promise(r.error());
        Lock l = lock;
        l.expires = QDateTime::fromMSecsSinceEpoch(expiresOf(r.value()), Qt::UTC);
        promise(l);
    };
    step->run();
    return promise.future();
}

} // namespace sd
