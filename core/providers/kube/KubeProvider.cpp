#include "providers/kube/KubeProvider.h"

#include "kube/KubeClient.h"
#include "model/Codec.h"
#include "util/Async.h"

#include <QCoreApplication>
#include <QPointer>
#include <QPromise>
#include <QRegularExpression>
#include <QStringDecoder>
#include <QSysInfo>
#include <QTimer>
#include <QUuid>

#include <optional>

namespace sd {

using kube::KubeClient;
using kube::Resource;

namespace {

constexpr const char *kValueAnnotation = "statedeck.io/value";
constexpr const char *kWrappedKey = "value.json";
constexpr const char *kFencingAnnotation = "statedeck.io/fencing-token";
constexpr int kMaxWriteAttempts = 8;
// What the API server accepts across a Secret's data (decoded bytes).
constexpr qint64 kSecretMaxBytes = 1024 * 1024;

template <typename T>
using PromisePtr = std::shared_ptr<QPromise<T>>;

template <typename T>
PromisePtr<T> newPromise()
{
    auto p = std::make_shared<QPromise<T>>();
    p->start();
    return p;
}

template <typename T>
void fulfil(const PromisePtr<T> &p, T value)
{
    p->addResult(std::move(value));
    p->finish();
}

QString str(const Json &obj, const char *key)
{
    if (!obj.is_object())
        return {};
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? toQString(it->get<std::string>()) : QString();
}

const Json &member(const Json &obj, const char *key)
{
    static const Json empty = Json::object();
    if (!obj.is_object())
        return empty;
    auto it = obj.find(key);
    return it != obj.end() && it->is_object() ? *it : empty;
}

QString resourceVersionOf(const Json &obj)
{
    return str(member(obj, "metadata"), "resourceVersion");
}

bool isDnsSubdomain(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"));
    return s.size() <= 253 && re.match(s).hasMatch();
}

bool isDataKey(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^[-._a-zA-Z0-9]+$"));
    return s.size() <= 253 && re.match(s).hasMatch();
}

// The newest write the server recorded (managedFields), else creation.
QDateTime updatedOf(const Json &obj)
{
    const Json &meta = member(obj, "metadata");
    QDateTime newest = kube::parseKubeTime(str(meta, "creationTimestamp"));
    if (auto mf = meta.find("managedFields"); mf != meta.end() && mf->is_array())
        for (const Json &f : *mf) {
            const QDateTime t = kube::parseKubeTime(str(f, "time"));
            if (t.isValid() && (!newest.isValid() || t > newest))
                newest = t;
        }
    return newest;
}

QMap<QString, QString> stringMapOf(const Json &obj, const char *field)
{
    QMap<QString, QString> out;
    const Json &map = member(member(obj, "metadata"), field);
    for (auto it = map.begin(); it != map.end(); ++it)
        if (it.value().is_string())
            out.insert(toQString(it.key()), toQString(it.value().get<std::string>()));
    return out;
}

QMap<QString, QString> labelsOf(const Json &obj)
{
    return stringMapOf(obj, "labels");
}

// The object's annotations, less statedeck's own bookkeeping.
QMap<QString, QString> annotationsOf(const Json &obj)
{
    QMap<QString, QString> out = stringMapOf(obj, "annotations");
    out.remove(QLatin1String(kValueAnnotation));
    out.remove(QLatin1String(kFencingAnnotation));
    return out;
}

// Key, revision, time, labels and annotations of a ConfigMap or Secret.
Entry entryMetadata(const Json &obj)
{
    Entry e;
    const Json &meta = member(obj, "metadata");
    e.key = str(meta, "name");
    e.revision = str(meta, "resourceVersion");
    e.updated = updatedOf(obj);
    e.labels = labelsOf(obj);
    e.annotations = annotationsOf(obj);
    return e;
}

// Whether statedeck wrapped a value that is no object of strings as JSON
// in data["value.json"] (annotation statedeck.io/value=json).
bool isWrappedJson(const Json &obj)
{
    const Json &data = member(obj, "data");
    return str(member(member(obj, "metadata"), "annotations"), kValueAnnotation) == QLatin1String("json")
           && data.contains(kWrappedKey) && data.size() == 1 && member(obj, "binaryData").empty();
}

Entry entryFromConfigMap(const Json &obj)
{
    Entry e = entryMetadata(obj);
    const Json &data = member(obj, "data");
    const Json &binary = member(obj, "binaryData");
    if (isWrappedJson(obj)) {
        const std::string text = data[kWrappedKey].is_string() ? data[kWrappedKey].get<std::string>() : std::string();
        Json v = parseJsonOrDiscarded(text);
        if (!v.is_discarded()) {
            e.value = std::move(v);
            e.encoding = Encoding::Json;
            return e;
        }
    }
    e.value = Json::object();
    for (auto it = data.begin(); it != data.end(); ++it)
        e.value[it.key()] = it.value();
    for (auto it = binary.begin(); it != binary.end(); ++it)
        e.value[it.key()] = it.value();
    e.encoding = binary.empty() ? Encoding::Json : Encoding::Base64;
    return e;
}

// ---- the store of every Secret in a namespace ------------------------------
//
// One entry per Secret. Its value is an object of the Secret's data keys,
// decoded: text (valid UTF-8) as a string, other bytes as {"base64": "..."}
// (the marker fillSecretData reads back), so a value read and written back
// leaves the Secret byte-identical. A value that is no such object is kept
// as compact JSON in data["value.json"], as for ConfigMaps.

constexpr const char *kBytesMarker = "base64";

// {"base64": "<valid base64>"}: bytes that are not UTF-8 text.
std::optional<QByteArray> markedBytes(const Json &v)
{
    if (!v.is_object() || v.size() != 1 || !v.contains(kBytesMarker) || !v[kBytesMarker].is_string())
        return std::nullopt;
    auto decoded = QByteArray::fromBase64Encoding(toBytes(v[kBytesMarker].get<std::string>()),
                                                  QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    return *decoded;
}

// The value holds one member per data key: strings, or marked bytes.
bool isSecretData(const Json &v)
{
    if (!v.is_object())
        return false;
    for (const auto &m : v.items())
        if (!m.value().is_string() && !markedBytes(m.value()))
            return false;
    return true;
}

// Text when the bytes are UTF-8 that encodes back to the very same bytes (a
// byte order mark, for one, would not), else marked bytes.
Json decodedSecretValue(const QByteArray &bytes)
{
    QStringDecoder utf8(QStringDecoder::Utf8);
    const QString text = utf8.decode(bytes);
    if (!utf8.hasError() && text.toUtf8() == bytes)
        return toStd(text);
    return Json{{kBytesMarker, toStd(bytes.toBase64())}};
}

Entry entryFromSecret(const Json &obj)
{
    Entry e = entryMetadata(obj);
    e.encoding = Encoding::Json;
    const Json &data = member(obj, "data");
    if (isWrappedJson(obj)) {
        const QByteArray text = QByteArray::fromBase64(str(data, kWrappedKey).toLatin1());
        Json v = parseJsonOrDiscarded(text.toStdString());
        if (!v.is_discarded()) {
            e.value = std::move(v);
            return e;
        }
    }
    e.value = Json::object();
    for (auto it = data.begin(); it != data.end(); ++it)
        if (it.value().is_string())
            e.value[it.key()] = decodedSecretValue(QByteArray::fromBase64(toBytes(it.value().get<std::string>())));
    return e;
}

bool isObjectOfStrings(const Json &v)
{
    if (!v.is_object())
        return false;
    for (const auto &m : v.items())
        if (!m.value().is_string())
            return false;
    return true;
}

Error badDataKey(const QString &kind, const QString &dataKey, const QString &key)
{
    return Error(ErrorKind::Invalid,
                 QStringLiteral("\"%1\" cannot be a %2 data key: keys consist of letters, digits, '-', '_' and '.'")
                     .arg(dataKey, kind),
                 key);
}

// A ConfigMap's data for `e`: an object of strings as data (and binaryData
// for the keys that were binary), anything else wrapped. Answers whether it
// was wrapped.
Result<bool> fillConfigMapData(const Entry &e, const Json *current, Json &obj)
{
    static const Json none = Json::object();
    const Json &wasBinary = current ? member(*current, "binaryData") : none;
    if (!isObjectOfStrings(e.value)) {
        obj["data"] = Json{{kWrappedKey, toStd(compactJson(e.value))}};
        return true;
    }
    Json data = Json::object(), binary = Json::object();
    for (const auto &m : e.value.items()) {
        if (!isDataKey(toQString(m.key())))
            return badDataKey(QStringLiteral("ConfigMap"), toQString(m.key()), e.key);
        if (wasBinary.contains(m.key())) {
            const QByteArray b64 = toBytes(m.value().get<std::string>());
            if (!QByteArray::fromBase64Encoding(b64, QByteArray::AbortOnBase64DecodingErrors))
                return Error(ErrorKind::Invalid,
                             QStringLiteral("binaryData key \"%1\" must hold base64").arg(toQString(m.key())), e.key);
            binary[m.key()] = m.value();
        } else {
            data[m.key()] = m.value();
        }
    }
    if (!data.empty())
        obj["data"] = data;
    if (!binary.empty())
        obj["binaryData"] = binary;
    return false;
}

// A Secret's data for `e`, base64-encoded: strings as their UTF-8 bytes,
// {"base64": ...} as its bytes; anything else wrapped as JSON.
Result<bool> fillSecretData(const Entry &e, Json &obj)
{
    if (!isSecretData(e.value)) {
        obj["data"] = Json{{kWrappedKey, toStd(compactJson(e.value).toBase64())}};
        return true;
    }
    Json data = Json::object();
    for (const auto &m : e.value.items()) {
        if (!isDataKey(toQString(m.key())))
            return badDataKey(QStringLiteral("Secret"), toQString(m.key()), e.key);
        const QByteArray bytes =
            m.value().is_string() ? toBytes(m.value().get<std::string>()) : *markedBytes(m.value());
        data[m.key()] = toStd(bytes.toBase64());
    }
    if (!data.empty())
        obj["data"] = data;
    return false;
}

// The ConfigMap or Secret to write for `e`, starting from the current
// object so annotations (and everything else statedeck does not own, such
// as a Secret's type) survive.
Result<Json> objectFor(const Entry &e, const Json *current, bool secret)
{
    Json obj = current ? *current : Json::object();
    obj.erase("data");
    obj.erase("binaryData");
    obj.erase("stringData");
    if (secret && !obj.contains("type"))
        obj["type"] = "Opaque";
    Json &meta = obj["metadata"];
    if (!meta.is_object())
        meta = Json::object();
    meta["name"] = toStd(e.key);
    meta.erase("managedFields");
    if (!e.labels.isEmpty() || !current) {
        Json labels = Json::object();
        for (auto it = e.labels.cbegin(); it != e.labels.cend(); ++it)
            labels[toStd(it.key())] = toStd(it.value());
        if (labels.empty())
            meta.erase("labels");
        else
            meta["labels"] = labels;
    }
    Json annotations = meta.contains("annotations") && meta["annotations"].is_object() ? meta["annotations"] : Json::object();
    for (auto it = e.annotations.cbegin(); it != e.annotations.cend(); ++it)
        annotations[toStd(it.key())] = toStd(it.value());
    Result<bool> wrapped = secret ? fillSecretData(e, obj) : fillConfigMapData(e, current, obj);
    if (!wrapped.ok())
        return wrapped.error();
    if (wrapped.value())
        annotations[kValueAnnotation] = "json";
    else
        annotations.erase(kValueAnnotation);
    // Not `meta`: adding data to `obj` may have moved its members.
    Json &metaNow = obj["metadata"];
    if (annotations.empty())
        metaNow.erase("annotations");
    else
        metaNow["annotations"] = annotations;
    return obj;
}

// ---- the Secret shape (seed 000) -----------------------------------------

QString dataKeyIn(const Json &data, const QString &key)
{
    if (data.is_object() && data.contains(toStd(key)) && !key.endsWith(QLatin1String(".json")))
        return key; // a plain key of someone else's Secret, kept by its own name
    return key + QStringLiteral(".json");
}

QString secretDataKey(const Json &secret, const QString &key)
{
    return dataKeyIn(member(secret, "data"), key);
}

QString entryKeyFor(const QString &dataKey)
{
    return dataKey.endsWith(QLatin1String(".json")) ? dataKey.chopped(5) : dataKey;
}

Entry entryFromSecretData(const Json &secret, const QString &dataKey, const QString &b64)
{
    Entry e;
    e.key = entryKeyFor(dataKey);
    e.revision = resourceVersionOf(secret);
    e.updated = updatedOf(secret);
    const QByteArray bytes = QByteArray::fromBase64(b64.toLatin1());
    e.raw = bytes;
    if (dataKey.endsWith(QLatin1String(".json"))) {
        auto v = decodeValue(bytes, Encoding::Json, e.key);
        if (v.ok()) {
            e.value = v.value();
            e.encoding = Encoding::Json;
            return e;
        }
    }
    QStringDecoder utf8(QStringDecoder::Utf8);
    const QString text = utf8.decode(bytes);
    if (!utf8.hasError()) {
        e.encoding = Encoding::Text;
        e.value = toStd(text);
    } else {
        e.encoding = Encoding::Base64;
        e.value = toStd(bytes.toBase64());
    }
    return e;
}

QList<Entry> entriesOfSecret(const Json &secret)
{
    QList<Entry> out;
    const Json &data = member(secret, "data");
    for (auto it = data.begin(); it != data.end(); ++it)
        if (it.value().is_string())
            out << entryFromSecretData(secret, toQString(it.key()), toQString(it.value().get<std::string>()));
    std::sort(out.begin(), out.end(), [](const Entry &a, const Entry &b) { return a.key < b.key; });
    return out;
}

// Decoded bytes of one base64 data value, from its length.
qint64 base64Bytes(const Json &value)
{
    if (!value.is_string())
        return 0;
    const std::string &b64 = value.get_ref<const std::string &>();
    const qint64 padding = std::count(b64.end() - std::min<qsizetype>(2, qsizetype(b64.size())), b64.end(), '=');
    return qint64(b64.size()) / 4 * 3 - padding;
}

qint64 secretDataBytes(const Json &data)
{
    qint64 total = 0;
    for (auto it = data.begin(); it != data.end(); ++it)
        total += base64Bytes(it.value());
    return total;
}

Error secretTooLarge(qint64 total, const QString &secretName, const QString &key)
{
    return Error(ErrorKind::TooLarge,
                 QStringLiteral("Secret \"%1\" would hold %2 bytes with this value; a Secret holds at most %3 bytes "
                                "(1 MiB) across all its keys")
                     .arg(secretName)
                     .arg(total)
                     .arg(kSecretMaxBytes),
                 QStringLiteral("key \"%1\"").arg(key));
}

// Refuses a write that would take the Secret over what the API server
// accepts, before anything is sent, naming the key that did it.
Status checkSecretSize(const Json &data, const QString &secretName, const QString &key)
{
    const qint64 total = secretDataBytes(data);
    if (total <= kSecretMaxBytes)
        return {};
    return secretTooLarge(total, secretName, key);
}

QByteArray secretBytes(const Entry &e)
{
    if (!e.raw.isNull() && e.encoding == Encoding::Json) {
        auto decoded = decodeValue(e.raw, Encoding::Json, e.key);
        if (decoded.ok() && decoded.value() == e.value)
            return e.raw;
    }
    if (e.encoding == Encoding::Text && e.value.is_string())
        return toBytes(e.value.get<std::string>());
    if (e.encoding == Encoding::Base64 && e.value.is_string())
        return QByteArray::fromBase64(toBytes(e.value.get<std::string>()));
    return compactJson(e.value); // what the gate's JSON.stringify writes
}

} // namespace

// ---- state ----------------------------------------------------------------

struct KubeProvider::Private {
    KubeProvider *q = nullptr;
    KubeProviderOptions opt;
    std::unique_ptr<KubeClient> client;
    std::optional<Error> accessError;
    QString ns;
    QString identity;

    // seed 000's one Secret, every key a data key of it.
    bool oneSecret() const { return !opt.secretName.isEmpty(); }
    // Else one entry per object: every Secret, or every ConfigMap.
    bool secretsStore() const { return opt.secrets && !oneSecret(); }
    Resource objects() const { return secretsStore() ? Resource::secrets() : Resource::configMaps(); }
    QString kind() const { return secretsStore() ? QStringLiteral("Secret") : QStringLiteral("ConfigMap"); }
    using ToEntry = Entry (*)(const Json &);
    ToEntry toEntry() const { return secretsStore() ? entryFromSecret : entryFromConfigMap; }
    Result<Json> toObject(const Entry &e, const Json *current) const { return objectFor(e, current, secretsStore()); }

    // Looks credentials up the first time they are needed.
    const Error *ensureClient()
    {
        if (client)
            return nullptr;
        if (accessError)
            return &*accessError;
        auto access = kube::resolveAccess(opt.access);
        if (!access.ok()) {
            accessError = access.error();
            return &*accessError;
        }
        ns = opt.ns.isEmpty() ? access->defaultNamespace : opt.ns;
        client = std::make_unique<KubeClient>(access.value());
        return nullptr;
    }

    Status checkKey(const QString &key) const
    {
        Capabilities caps = q->capabilities();
        if (Status s = validateKey(key, caps); !s.ok())
            return s;
        if (oneSecret()) {
            if (!isDataKey(key) || key.size() > 248)
                return Error(ErrorKind::Invalid,
                             QStringLiteral("a key of a Secret store may only hold letters, digits, '-', '_' and '.'"),
                             QStringLiteral("key \"%1\"").arg(key));
        } else if (!isDnsSubdomain(key)) {
            return Error(ErrorKind::Invalid,
                         QStringLiteral("a %1 name must be a lowercase RFC 1123 subdomain: lower-case letters, "
                                        "digits, '-' and '.', starting and ending with a letter or digit, at most 253 "
                                        "characters")
                             .arg(kind()),
                         QStringLiteral("key \"%1\"").arg(key));
        }
        return {};
    }

    // ConfigMap and Secret writes, one object per entry.
    void putObject(Entry e, Precondition pre, PromisePtr<Result<Entry>> p, int attempt);
    void updateObject(Entry e, Precondition pre, PromisePtr<Result<Entry>> p, int attempt);
    // Secret writes: `edit` changes the Secret's data, or fails.
    using SecretEdit = std::function<Status(Json &data, const QString &revision, bool exists)>;
    void editSecret(SecretEdit edit, Precondition pre, QString key, PromisePtr<Result<Json>> p, int attempt);
    // A batch as one update of the Secret; `refused` holds the items that
    // failed their checks before any I/O.
    void secretBatch(QList<BatchItem> items, QList<std::optional<Error>> refused, PromisePtr<BatchResult> p,
                     int attempt);
    // Locks.
    void acquire(QString name, std::chrono::milliseconds ttl, PromisePtr<Result<Lock>> p, int attempt);
};

KubeProvider::KubeProvider(KubeProviderOptions options, QObject *parent)
    : Provider(parent), d(std::make_unique<Private>())
{
    d->q = this;
    d->opt = std::move(options);
    d->identity = QStringLiteral("%1-%2-%3")
                      .arg(QSysInfo::machineHostName())
                      .arg(QCoreApplication::applicationPid())
                      .arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
}

KubeProvider::~KubeProvider() = default;

QString KubeProvider::scheme() const
{
    return QStringLiteral("kubernetes");
}

QString KubeProvider::describe() const
{
    const QString ctx = d->opt.access.context.isEmpty() ? QString() : d->opt.access.context;
    const QString ns = d->ns.isEmpty() ? d->opt.ns : d->ns;
    const QString what = d->oneSecret()       ? QStringLiteral("secrets/%1").arg(d->opt.secretName)
                         : d->secretsStore() ? QStringLiteral("secrets")
                                             : QStringLiteral("configmaps");
    return QStringLiteral("k8s://%1/%2/%3").arg(ctx, ns, what);
}

Capabilities KubeProvider::capabilities() const
{
    Capabilities c;
    c.watch = WatchKind::Native;
    c.compareAndSwap = true;
    c.locks = true;
    // The API server replays from a resourceVersion; a Secret's keys have no
    // per-key history, so that shape resyncs instead.
    c.watchHistory = !d->oneSecret();
    c.sensitive = d->oneSecret() || d->secretsStore();
    // ConfigMap names are DNS subdomains and a Secret's data keys file
    // names: neither may hold '/', so their hierarchy is dotted, like seed
    // 004's keys (translateKey keeps them as they are).
    c.keySeparator = QStringLiteral(".");
    // A ConfigMap's value is its data: a text or binary value is kept as
    // JSON in data["value.json"]. A Secret keeps each key's bytes.
    c.structuredValues = !d->oneSecret();
    c.perKeyRevisions = !d->oneSecret();
    c.maxStoreBytes = d->oneSecret() ? kSecretMaxBytes : 0;
    return c;
}

// ---- reads ----------------------------------------------------------------

QFuture<Result<ListPage>> KubeProvider::list(const ListOptions &options)
{
    if (const Error *e = d->ensureClient())
        return readyFuture(Result<ListPage>(*e));
    const QString prefix = options.prefix;
    const bool keysOnly = options.keysOnly;
    if (d->oneSecret()) {
        const int limit = options.limit > 0 ? options.limit : 500;
        const int offset = options.cursor.toInt();
        return d->client->get(Resource::secrets(), d->ns, d->opt.secretName)
            .then(this, [prefix, keysOnly, limit, offset](Result<Json> secret) -> Result<ListPage> {
                ListPage page;
                if (!secret.ok()) {
                    if (secret.error().kind == ErrorKind::NotFound)
                        return page; // no Secret yet: no keys, as the gate sees it
                    return secret.error();
                }
                page.revision = resourceVersionOf(secret.value());
                QList<Entry> all;
                for (Entry &e : entriesOfSecret(secret.value()))
                    if (e.key.startsWith(prefix))
                        all << e;
                for (int i = offset; i < all.size() && page.entries.size() < limit; ++i) {
                    Entry e = all.at(i);
                    if (keysOnly) {
                        e.value = Json();
                        e.raw.clear();
                    }
                    page.entries << e;
                }
                if (offset + page.entries.size() < all.size())
                    page.nextCursor = QString::number(offset + page.entries.size());
                return page;
            });
    }
    kube::ListQuery q;
    q.limit = options.limit > 0 ? options.limit : 500;
    q.continueToken = options.cursor;
    // A keys-only page needs names, resourceVersions and labels, not the
    // data: 10k ConfigMaps are megabytes of it.
    q.metadataOnly = keysOnly;
    return d->client->list(d->objects(), d->ns, q)
        .then(this, [prefix, keysOnly, toEntry = d->toEntry()](Result<kube::ObjectList> list) -> Result<ListPage> {
            if (!list.ok())
                return list.error();
            ListPage page;
            page.revision = list->resourceVersion;
            page.nextCursor = list->continueToken;
            for (const Json &item : std::as_const(list->items)) {
                if (!str(member(item, "metadata"), "name").startsWith(prefix))
                    continue;
                Entry e = toEntry(item);
                if (keysOnly)
                    e.value = Json();
                page.entries << e;
            }
            return page;
        });
}

QFuture<Result<Entry>> KubeProvider::get(const QString &key)
{
    if (Status s = d->checkKey(key); !s.ok())
        return readyFuture(Result<Entry>(s.error()));
    if (const Error *e = d->ensureClient())
        return readyFuture(Result<Entry>(*e));
    if (d->oneSecret()) {
        const QString name = d->opt.secretName, ns = d->ns;
        return d->client->get(Resource::secrets(), d->ns, name)
            .then(this, [key, name, ns](Result<Json> secret) -> Result<Entry> {
                if (!secret.ok()) {
                    if (secret.error().kind == ErrorKind::NotFound)
                        return Error(ErrorKind::NotFound,
                                     QStringLiteral("no key \"%1\": Secret \"%2\" does not exist in namespace \"%3\"")
                                         .arg(key, name, ns),
                                     QStringLiteral("key \"%1\"").arg(key));
                    return secret.error();
                }
                const QString dataKey = secretDataKey(secret.value(), key);
                const Json &data = member(secret.value(), "data");
                auto it = data.find(toStd(dataKey));
                if (it == data.end() || !it->is_string())
                    return Error(ErrorKind::NotFound,
                                 QStringLiteral("Secret \"%1\" has no data key \"%2\"").arg(name, dataKey),
                                 QStringLiteral("key \"%1\"").arg(key));
                return entryFromSecretData(secret.value(), dataKey, toQString(it->get<std::string>()));
            });
    }
    return d->client->get(d->objects(), d->ns, key).then(this, [toEntry = d->toEntry()](Result<Json> obj) -> Result<Entry> {
        if (!obj.ok())
            return obj.error();
        return toEntry(obj.value());
    });
}

// ---- ConfigMap and Secret writes (one object per entry) --------------------

void KubeProvider::Private::putObject(Entry e, Precondition pre, PromisePtr<Result<Entry>> p, int attempt)
{
    if (pre.kind == Precondition::Kind::Revision)
        return updateObject(std::move(e), pre, p, attempt);
    auto obj = toObject(e, nullptr);
    if (!obj.ok())
        return fulfil(p, Result<Entry>(obj.error()));
    client->create(objects(), ns, obj.value()).then(q, [this, e, pre, p, attempt](Result<Json> created) {
        if (created.ok())
            return fulfil(p, Result<Entry>(toEntry()(created.value())));
        if (created.error().kind == ErrorKind::AlreadyExists && pre.kind == Precondition::Kind::None)
            return updateObject(e, pre, p, attempt);
        fulfil(p, Result<Entry>(created.error()));
    });
}

void KubeProvider::Private::updateObject(Entry e, Precondition pre, PromisePtr<Result<Entry>> p, int attempt)
{
    if (attempt >= kMaxWriteAttempts)
        return fulfil(p, Result<Entry>(Error(ErrorKind::Conflict,
                                             QStringLiteral("gave up after %1 attempts: other writers keep changing "
                                                            "%2 \"%3\"")
                                                 .arg(kMaxWriteAttempts)
                                                 .arg(kind(), e.key),
                                             QStringLiteral("key \"%1\"").arg(e.key))));
    client->get(objects(), ns, e.key).then(q, [this, e, pre, p, attempt](Result<Json> current) {
        const bool cas = pre.kind == Precondition::Kind::Revision;
        if (!current.ok()) {
            if (current.error().kind == ErrorKind::NotFound) {
                if (cas)
                    return fulfil(p, Result<Entry>(Error(
                                         ErrorKind::Conflict,
                                         QStringLiteral("%1 \"%2\" was deleted: expected revision %3, it no "
                                                        "longer exists")
                                             .arg(kind(), e.key, pre.revision),
                                         QStringLiteral("key \"%1\"").arg(e.key))));
                return putObject(e, pre, p, attempt + 1); // deleted meanwhile: create it
            }
            return fulfil(p, Result<Entry>(current.error()));
        }
        const QString rv = resourceVersionOf(current.value());
        if (cas && rv != pre.revision)
            return fulfil(p, Result<Entry>(Error(ErrorKind::Conflict,
                                                 QStringLiteral("%1 \"%2\" was modified: expected revision %3, "
                                                                "current is %4")
                                                     .arg(kind(), e.key, pre.revision, rv),
                                                 QStringLiteral("key \"%1\"").arg(e.key))));
        auto obj = toObject(e, &current.value());
        if (!obj.ok())
            return fulfil(p, Result<Entry>(obj.error()));
        obj.value()["metadata"]["resourceVersion"] = toStd(rv);
        client->update(objects(), ns, obj.value()).then(q, [this, e, pre, p, attempt](Result<Json> written) {
            if (written.ok())
                return fulfil(p, Result<Entry>(toEntry()(written.value())));
            if (written.error().kind == ErrorKind::Conflict && pre.kind != Precondition::Kind::Revision)
                return updateObject(e, pre, p, attempt + 1); // an unconditional write retries
            if (written.error().kind == ErrorKind::Conflict)
                // Changed between the read and the write: the API server's
                // answer names the object; name the key too.
                return fulfil(p, Result<Entry>(Error(ErrorKind::Conflict,
                                                     QStringLiteral("%1 \"%2\" was modified while it was written: "
                                                                    "expected revision %3")
                                                         .arg(kind(), e.key, pre.revision),
                                                     QStringLiteral("key \"%1\"").arg(e.key))));
            fulfil(p, Result<Entry>(written.error()));
        });
    });
}

// ---- Secret writes --------------------------------------------------------

void KubeProvider::Private::editSecret(SecretEdit edit, Precondition pre, QString key, PromisePtr<Result<Json>> p,
                                       int attempt)
{
    const QString where = QStringLiteral("key \"%1\"").arg(key);
    if (attempt >= kMaxWriteAttempts)
        return fulfil(p, Result<Json>(Error(ErrorKind::Conflict,
                                            QStringLiteral("gave up after %1 attempts: other writers keep changing "
                                                           "Secret \"%2\"")
                                                .arg(kMaxWriteAttempts)
                                                .arg(opt.secretName),
                                            where)));
    client->get(Resource::secrets(), ns, opt.secretName).then(q, [this, edit, pre, key, p, attempt, where](Result<Json> current) {
        const bool exists = current.ok();
        if (!exists && current.error().kind != ErrorKind::NotFound)
            return fulfil(p, Result<Json>(current.error()));
        Json secret = exists ? current.value() : Json{{"metadata", {{"name", toStd(opt.secretName)}}}, {"type", "Opaque"}};
        const QString rv = exists ? resourceVersionOf(secret) : QString();
        if (pre.kind == Precondition::Kind::Revision && rv != pre.revision)
            return fulfil(p, Result<Json>(Error(ErrorKind::Conflict,
                                                exists ? QStringLiteral("Secret \"%1\" was modified: expected revision "
                                                                        "%2, current is %3")
                                                             .arg(opt.secretName, pre.revision, rv)
                                                       : QStringLiteral("Secret \"%1\" does not exist: expected revision %2")
                                                             .arg(opt.secretName, pre.revision),
                                                where)));
        Json data = member(secret, "data");
        if (Status s = edit(data, rv, exists); !s.ok())
            return fulfil(p, Result<Json>(s.error()));
        secret["data"] = data;
        if (auto m = secret.find("metadata"); m != secret.end())
            m->erase("managedFields");
        auto written = exists ? client->update(Resource::secrets(), ns, secret) : client->create(Resource::secrets(), ns, secret);
        written.then(q, [this, edit, pre, key, p, attempt](Result<Json> w) {
            if (w.ok())
                return fulfil(p, std::move(w));
            const ErrorKind k = w.error().kind;
            // Another writer touched the Secret (maybe another key): re-read and
            // redo the edit, unless the caller pinned a revision.
            if ((k == ErrorKind::Conflict || k == ErrorKind::AlreadyExists) && pre.kind != Precondition::Kind::Revision)
                return editSecret(edit, pre, key, p, attempt + 1);
            fulfil(p, std::move(w));
        });
    });
}

QFuture<Result<Entry>> KubeProvider::put(const Entry &entry, const Precondition &pre)
{
    if (Status s = d->checkKey(entry.key); !s.ok())
        return readyFuture(Result<Entry>(s.error()));
    if (const Error *e = d->ensureClient())
        return readyFuture(Result<Entry>(*e));
    if (!d->oneSecret()) {
        auto p = newPromise<Result<Entry>>();
        d->putObject(entry, pre, p, 0);
        return p->future();
    }
    const QByteArray encoded = secretBytes(entry).toBase64();
    const QString key = entry.key;
    const QString name = d->opt.secretName;
    auto edit = [key, pre, encoded, name](Json &data, const QString &, bool) -> Status {
        const Json probe{{"data", data}};
        const QString dataKey = secretDataKey(probe, key);
        if (pre.kind == Precondition::Kind::MustNotExist && data.contains(toStd(dataKey)))
            return Error(ErrorKind::AlreadyExists, QStringLiteral("the key already exists in the Secret"),
                         QStringLiteral("key \"%1\"").arg(key));
        data[toStd(dataKey)] = toStd(encoded);
        return checkSecretSize(data, name, key);
    };
    auto p = newPromise<Result<Json>>();
    d->editSecret(edit, pre, key, p, 0);
    return p->future().then(this, [key](Result<Json> secret) -> Result<Entry> {
        if (!secret.ok())
            return secret.error();
        const QString dataKey = secretDataKey(secret.value(), key);
        return entryFromSecretData(secret.value(), dataKey, str(member(secret.value(), "data"), dataKey.toUtf8().constData()));
    });
}

void KubeProvider::Private::secretBatch(QList<BatchItem> items, QList<std::optional<Error>> refused,
                                        PromisePtr<BatchResult> p, int attempt)
{
    auto answer = [p](const QList<std::optional<Error>> &outcome, const std::function<Result<Entry>(int)> &written) {
        BatchResult out;
        for (int i = 0; i < outcome.size(); ++i)
            out.results << (outcome[i] ? Result<Entry>(*outcome[i]) : written(i));
        fulfil(p, out);
    };
    auto keyed = [](const Error &e, const QString &key) {
        Error out = e;
        out.where = QStringLiteral("key \"%1\"").arg(key) + (e.where.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(e.where));
        return out;
    };
    client->get(Resource::secrets(), ns, opt.secretName).then(q, [=, this](Result<Json> current) {
        const bool exists = current.ok();
        if (!exists && current.error().kind != ErrorKind::NotFound)
            return answer(refused, [&](int i) { return Result<Entry>(keyed(current.error(), items[i].entry.key)); });
        Json secret = exists ? current.value() : Json{{"metadata", {{"name", toStd(opt.secretName)}}}, {"type", "Opaque"}};
        const QString rv = exists ? resourceVersionOf(secret) : QString();
        Json data = member(secret, "data");
        qint64 total = secretDataBytes(data);
        QList<std::optional<Error>> outcome = refused;
        QStringList dataKeys;
        QList<QByteArray> values;
        bool any = false;
        // In order, each against the Secret as read: one revision covers
        // every key, so a batch's preconditions all meet the same one.
        for (int i = 0; i < items.size(); ++i) {
            dataKeys << QString();
            values << QByteArray();
            if (outcome[i])
                continue;
            const Entry &e = items[i].entry;
            const Precondition &pre = items[i].precondition;
            const QString where = QStringLiteral("key \"%1\"").arg(e.key);
            const QString dataKey = dataKeyIn(data, e.key);
            const std::string dk = toStd(dataKey);
            if (pre.kind == Precondition::Kind::Revision && pre.revision != rv) {
                outcome[i] = Error(ErrorKind::Conflict,
                                   exists ? QStringLiteral("Secret \"%1\" was modified: expected revision %2, current is %3")
                                                .arg(opt.secretName, pre.revision, rv)
                                          : QStringLiteral("Secret \"%1\" does not exist: expected revision %2")
                                                .arg(opt.secretName, pre.revision),
                                   where);
                continue;
            }
            if (pre.kind == Precondition::Kind::MustNotExist && data.contains(dk)) {
                outcome[i] = Error(ErrorKind::AlreadyExists, QStringLiteral("the key already exists in the Secret"), where);
                continue;
            }
            const QByteArray b64 = secretBytes(e).toBase64();
            const Json value = toStd(b64);
            const qint64 after = total - (data.contains(dk) ? base64Bytes(data[dk]) : 0) + base64Bytes(value);
            if (after > kSecretMaxBytes) {
                outcome[i] = secretTooLarge(after, opt.secretName, e.key);
                continue;
            }
            total = after;
            data[dk] = value;
            dataKeys[i] = dataKey;
            values[i] = b64;
            any = true;
        }
        if (!any)
            return answer(outcome, [](int) { return Result<Entry>(Error(ErrorKind::Internal, QStringLiteral("unreachable"))); });
        secret["data"] = data;
        if (auto m = secret.find("metadata"); m != secret.end())
            m->erase("managedFields");
        auto write = exists ? client->update(Resource::secrets(), ns, secret) : client->create(Resource::secrets(), ns, secret);
        write.then(q, [=, this](Result<Json> w) {
            if (w.ok())
                return answer(outcome, [&](int i) {
                    return Result<Entry>(entryFromSecretData(w.value(), dataKeys[i], QString::fromLatin1(values[i])));
                });
            const ErrorKind k = w.error().kind;
            // Someone else wrote the Secret meanwhile: read it again and
            // redo the batch, its preconditions against the new revision.
            if ((k == ErrorKind::Conflict || k == ErrorKind::AlreadyExists) && attempt + 1 < kMaxWriteAttempts)
                return secretBatch(items, refused, p, attempt + 1);
            answer(outcome, [&](int i) { return Result<Entry>(keyed(w.error(), items[i].entry.key)); });
        });
    });
}

QFuture<BatchResult> KubeProvider::putBatch(const QList<BatchItem> &items)
{
    if (!d->oneSecret())
        return Provider::putBatch(items);
    const Capabilities caps = capabilities();
    QList<std::optional<Error>> refused;
    bool anyValid = false;
    for (const BatchItem &item : items) {
        Status s = d->checkKey(item.entry.key);
        if (s.ok())
            s = validateBatchItem(item.entry, caps);
        refused << (s.ok() ? std::nullopt : std::optional<Error>(s.error()));
        anyValid = anyValid || s.ok();
    }
    const Error *unavailable = anyValid ? d->ensureClient() : nullptr;
    if (!anyValid || unavailable) {
        BatchResult out;
        for (const auto &r : std::as_const(refused))
            out.results << Result<Entry>(r ? *r : *unavailable);
        return readyFuture(out);
    }
    auto p = newPromise<BatchResult>();
    d->secretBatch(items, refused, p, 0);
    return p->future();
}

QFuture<Status> KubeProvider::remove(const QString &key, const Precondition &pre)
{
    if (Status s = d->checkKey(key); !s.ok())
        return readyFuture(Status(s.error()));
    if (pre.kind == Precondition::Kind::MustNotExist)
        return readyFuture(Status(Error(ErrorKind::Invalid, QStringLiteral("remove takes no must-not-exist condition"))));
    if (const Error *e = d->ensureClient())
        return readyFuture(Status(*e));
    if (!d->oneSecret()) {
        return d->client->remove(d->objects(), d->ns, key,
                                 pre.kind == Precondition::Kind::Revision ? pre.revision : QString());
    }
    const QString name = d->opt.secretName;
    auto edit = [key, name](Json &data, const QString &, bool exists) -> Status {
        const QString dataKey = secretDataKey(Json{{"data", data}}, key);
        if (!exists || !data.contains(toStd(dataKey)))
            return Error(ErrorKind::NotFound, QStringLiteral("Secret \"%1\" has no data key \"%2\"").arg(name, dataKey),
                         QStringLiteral("key \"%1\"").arg(key));
        data.erase(toStd(dataKey));
        return {};
    };
    auto p = newPromise<Result<Json>>();
    d->editSecret(edit, pre, key, p, 0);
    return p->future().then([](Result<Json> r) -> Status {
        if (!r.ok())
            return r.error();
        return {};
    });
}

// ---- watch ----------------------------------------------------------------

namespace {

// Turns the client's object events (ConfigMaps or Secrets) into entry
// events under a prefix.
class ObjectWatch : public Watch {
public:
    ObjectWatch(std::unique_ptr<kube::KubeWatch> w, QString prefix, Entry (*toEntry)(const Json &))
        : m_watch(std::move(w)), m_prefix(std::move(prefix))
    {
        connect(m_watch.get(), &kube::KubeWatch::ready, this, &Watch::ready);
        connect(m_watch.get(), &kube::KubeWatch::interrupted, this, &Watch::interrupted);
        connect(m_watch.get(), &kube::KubeWatch::resumed, this, &Watch::resumed);
        connect(m_watch.get(), &kube::KubeWatch::failed, this, &Watch::failed);
        connect(m_watch.get(), &kube::KubeWatch::event, this, [this, toEntry](const kube::WatchEvent &we) {
            Event ev;
            ev.revision = we.resourceVersion;
            switch (we.type) {
            case kube::WatchEvent::Type::Resync: ev.type = Event::Type::Resync; break;
            case kube::WatchEvent::Type::ResyncDone: ev.type = Event::Type::ResyncDone; break;
            case kube::WatchEvent::Type::Added: ev.type = Event::Type::Added; break;
            case kube::WatchEvent::Type::Modified: ev.type = Event::Type::Modified; break;
            case kube::WatchEvent::Type::Deleted: ev.type = Event::Type::Deleted; break;
            }
            if (ev.type != Event::Type::Resync && ev.type != Event::Type::ResyncDone) {
                ev.entry = toEntry(we.object);
                if (!ev.entry.key.startsWith(m_prefix))
                    return;
                if (ev.type == Event::Type::Deleted)
                    ev.entry.value = Json();
            }
            Q_EMIT event(ev);
        });
    }

private:
    std::unique_ptr<kube::KubeWatch> m_watch;
    QString m_prefix;
};

// A Secret's keys change together in one object: each new version is diffed
// against the last one seen.
class SecretWatch : public Watch {
public:
    SecretWatch(KubeClient *client, QString ns, QString name, QString prefix, QString fromRevision)
        : m_client(client), m_ns(std::move(ns)), m_name(std::move(name)), m_prefix(std::move(prefix))
    {
        QPointer<SecretWatch> self(this);
        client->get(Resource::secrets(), m_ns, m_name).then(this, [this, fromRevision](Result<Json> secret) {
            if (!secret.ok() && secret.error().kind != ErrorKind::NotFound)
                return Q_EMIT failed(secret.error());
            const Json current = secret.ok() ? secret.value() : Json();
            m_known = secret.ok() ? entriesOfSecret(current) : QList<Entry>();
            const QString rv = secret.ok() ? resourceVersionOf(current) : QString();
            if (!fromRevision.isEmpty() && fromRevision != rv)
                resync(current, secret.ok());
            if (!m_client)
                return;
            kube::WatchOptions o;
            o.fieldSelector = QStringLiteral("metadata.name=%1").arg(m_name);
            o.resourceVersion = rv;
            m_watch = m_client->watch(Resource::secrets(), m_ns, o);
            connect(m_watch.get(), &kube::KubeWatch::ready, this, &Watch::ready);
            connect(m_watch.get(), &kube::KubeWatch::interrupted, this, &Watch::interrupted);
            connect(m_watch.get(), &kube::KubeWatch::resumed, this, &Watch::resumed);
            connect(m_watch.get(), &kube::KubeWatch::failed, this, &Watch::failed);
            connect(m_watch.get(), &kube::KubeWatch::event, this, [this](const kube::WatchEvent &we) { onEvent(we); });
        });
    }

private:
    void resync(const Json &secret, bool exists)
    {
        Event r;
        r.type = Event::Type::Resync;
        Q_EMIT event(r);
        m_known = exists ? entriesOfSecret(secret) : QList<Entry>();
        for (const Entry &e : std::as_const(m_known)) {
            if (!e.key.startsWith(m_prefix))
                continue;
            Event a;
            a.type = Event::Type::Added;
            a.entry = e;
            a.revision = e.revision;
            Q_EMIT event(a);
        }
        Event done;
        done.type = Event::Type::ResyncDone;
        done.revision = exists ? resourceVersionOf(secret) : QString();
        Q_EMIT event(done);
    }

    void onEvent(const kube::WatchEvent &we)
    {
        switch (we.type) {
        case kube::WatchEvent::Type::Resync:
            m_resyncing = true;
            m_resyncObject = Json();
            return;
        case kube::WatchEvent::Type::Added:
            if (m_resyncing) {
                m_resyncObject = we.object;
                return;
            }
            break;
        case kube::WatchEvent::Type::ResyncDone:
            m_resyncing = false;
            return resync(m_resyncObject, !m_resyncObject.is_null());
        default:
            break;
        }
        const bool gone = we.type == kube::WatchEvent::Type::Deleted;
        const QList<Entry> now = gone ? QList<Entry>() : entriesOfSecret(we.object);
        QMap<QString, Entry> before;
        for (const Entry &e : std::as_const(m_known))
            before.insert(e.key, e);
        QPointer<SecretWatch> self(this);
        for (const Entry &e : now) {
            auto old = before.find(e.key);
            const bool added = old == before.end();
            const bool changed = !added && old->raw != e.raw;
            if (!added)
                before.erase(old);
            if ((!added && !changed) || !e.key.startsWith(m_prefix))
                continue;
            Event ev;
            ev.type = added ? Event::Type::Added : Event::Type::Modified;
            ev.entry = e;
            ev.revision = we.resourceVersion;
            Q_EMIT event(ev);
            if (!self)
                return;
        }
        for (const Entry &e : std::as_const(before)) {
            if (!e.key.startsWith(m_prefix))
                continue;
            Event ev;
            ev.type = Event::Type::Deleted;
            ev.entry.key = e.key;
            ev.revision = we.resourceVersion;
            Q_EMIT event(ev);
            if (!self)
                return;
        }
        m_known = now;
    }

    QPointer<KubeClient> m_client;
    QString m_ns, m_name, m_prefix;
    std::unique_ptr<kube::KubeWatch> m_watch;
    QList<Entry> m_known;
    bool m_resyncing = false;
    Json m_resyncObject;
};

// A watch that can only report why it cannot start.
class FailedWatch : public Watch {
public:
    explicit FailedWatch(Error e)
    {
        QTimer::singleShot(0, this, [this, e] { Q_EMIT failed(e); });
    }
};

} // namespace

std::unique_ptr<Watch> KubeProvider::watch(const QString &prefix, const QString &fromRevision)
{
    if (const Error *e = d->ensureClient())
        return std::make_unique<FailedWatch>(*e);
    if (d->oneSecret())
        return std::make_unique<SecretWatch>(d->client.get(), d->ns, d->opt.secretName, prefix, fromRevision);
    kube::WatchOptions o;
    o.resourceVersion = fromRevision;
    return std::make_unique<ObjectWatch>(d->client->watch(d->objects(), d->ns, o), prefix, d->toEntry());
}

// ---- locks ----------------------------------------------------------------

namespace {

quint64 fencingTokenOf(const Json &lease)
{
    return str(member(member(lease, "metadata"), "annotations"), kFencingAnnotation).toULongLong();
}

Lock lockFromLease(const Json &lease, const QString &name)
{
    Lock l;
    l.name = name;
    const Json &spec = member(lease, "spec");
    l.owner = str(spec, "holderIdentity");
    l.fencingToken = fencingTokenOf(lease);
    const int secs = spec.contains("leaseDurationSeconds") && spec["leaseDurationSeconds"].is_number_integer()
                         ? spec["leaseDurationSeconds"].get<int>()
                         : 0;
    l.expires = kube::parseKubeTime(str(spec, "renewTime")).addSecs(secs);
    return l;
}

Json leaseSpec(const QString &holder, std::chrono::milliseconds ttl, const QDateTime &now, qint64 transitions)
{
    const qint64 secs = std::max<qint64>(1, (ttl.count() + 999) / 1000);
    return Json{{"holderIdentity", toStd(holder)},
                {"leaseDurationSeconds", secs},
                {"acquireTime", toStd(kube::microTime(now))},
                {"renewTime", toStd(kube::microTime(now))},
                {"leaseTransitions", transitions}};
}

} // namespace

void KubeProvider::Private::acquire(QString name, std::chrono::milliseconds ttl, PromisePtr<Result<Lock>> p, int attempt)
{
    const QString where = QStringLiteral("lock \"%1\"").arg(name);
    if (attempt >= 3)
        return fulfil(p, Result<Lock>(Error(ErrorKind::Busy, QStringLiteral("another holder took the lease first"), where)));
    client->get(Resource::leases(), ns, name).then(q, [this, name, ttl, p, attempt, where](Result<Json> current) {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        if (!current.ok() && current.error().kind != ErrorKind::NotFound)
            return fulfil(p, Result<Lock>(current.error()));
        if (!current.ok()) {
            Json lease{{"metadata", {{"name", toStd(name)}, {"annotations", {{kFencingAnnotation, "1"}}}}},
                       {"spec", leaseSpec(identity, ttl, now, 0)}};
            client->create(Resource::leases(), ns, lease).then(q, [this, name, ttl, p, attempt](Result<Json> made) {
                if (made.ok())
                    return fulfil(p, Result<Lock>(lockFromLease(made.value(), name)));
                if (made.error().kind == ErrorKind::AlreadyExists)
                    return acquire(name, ttl, p, attempt + 1);
                fulfil(p, Result<Lock>(made.error()));
            });
            return;
        }
        Json lease = current.value();
        const Lock held = lockFromLease(lease, name);
        if (!held.owner.isEmpty() && held.expires > now)
            return fulfil(p, Result<Lock>(Error(ErrorKind::Busy,
                                                QStringLiteral("held by %1 until %2")
                                                    .arg(held.owner, held.expires.toString(Qt::ISODate)),
                                                where)));
        const Json &spec = member(lease, "spec");
        const qint64 transitions = spec.contains("leaseTransitions") && spec["leaseTransitions"].is_number_integer()
                                       ? spec["leaseTransitions"].get<qint64>()
                                       : 0;
        lease["spec"] = leaseSpec(identity, ttl, now, transitions + 1);
        lease["metadata"].erase("managedFields");
        lease["metadata"]["annotations"][kFencingAnnotation] = toStd(QString::number(fencingTokenOf(lease) + 1));
        client->update(Resource::leases(), ns, lease).then(q, [this, name, ttl, p, attempt](Result<Json> taken) {
            if (taken.ok())
                return fulfil(p, Result<Lock>(lockFromLease(taken.value(), name)));
            if (taken.error().kind == ErrorKind::Conflict)
                return acquire(name, ttl, p, attempt + 1); // someone else moved first: look again
            fulfil(p, Result<Lock>(taken.error()));
        });
    });
}

QFuture<Result<Lock>> KubeProvider::lock(const QString &name, std::chrono::milliseconds ttl)
{
    if (!isDnsSubdomain(name))
        return readyFuture(Result<Lock>(Error(ErrorKind::Invalid,
                                              QStringLiteral("a lock is a Lease: its name must be a lowercase RFC "
                                                             "1123 subdomain"),
                                              QStringLiteral("lock \"%1\"").arg(name))));
    if (const Error *e = d->ensureClient())
        return readyFuture(Result<Lock>(*e));
    auto p = newPromise<Result<Lock>>();
    d->acquire(name, ttl, p, 0);
    return p->future();
}

QFuture<Status> KubeProvider::unlock(const Lock &lock)
{
    if (const Error *e = d->ensureClient())
        return readyFuture(Status(*e));
    auto p = newPromise<Status>();
    const QString where = QStringLiteral("lock \"%1\"").arg(lock.name);
    d->client->get(Resource::leases(), d->ns, lock.name).then(this, [this, lock, p, where](Result<Json> current) {
        if (!current.ok())
            return fulfil(p, Status(current.error()));
        Json lease = current.value();
        const Lock now = lockFromLease(lease, lock.name);
        if (now.owner != lock.owner || now.fencingToken != lock.fencingToken)
            return fulfil(p, Status(Error(ErrorKind::Conflict,
                                          QStringLiteral("the lock is no longer held with fencing token %1 (now %2, "
                                                         "holder \"%3\")")
                                              .arg(lock.fencingToken)
                                              .arg(now.fencingToken)
                                              .arg(now.owner),
                                          where)));
        // Releasing keeps the Lease and its counter; only the holder goes.
        lease["spec"].erase("holderIdentity");
        lease["metadata"].erase("managedFields");
        d->client->update(Resource::leases(), d->ns, lease).then(this, [p](Result<Json> r) {
            fulfil(p, r.ok() ? Status() : Status(r.error()));
        });
    });
    return p->future();
}

// What leader election does: the holder moves renewTime (and the duration)
// forward under the Lease's resourceVersion, so a holder that lost the Lease
// to a takeover finds out instead of overwriting the new holder.
QFuture<Result<Lock>> KubeProvider::renew(const Lock &lock, std::chrono::milliseconds ttl)
{
    if (const Error *e = d->ensureClient())
        return readyFuture(Result<Lock>(*e));
    auto p = newPromise<Result<Lock>>();
    const QString where = QStringLiteral("lock \"%1\"").arg(lock.name);
    d->client->get(Resource::leases(), d->ns, lock.name).then(this, [this, lock, ttl, p, where](Result<Json> current) {
        if (!current.ok())
            return fulfil(p, Result<Lock>(current.error().kind == ErrorKind::NotFound
                                              ? Error(ErrorKind::Conflict,
                                                      QStringLiteral("the lock was lost: its Lease is gone"), where)
                                              : current.error()));
        Json lease = current.value();
        const Lock now = lockFromLease(lease, lock.name);
        if (now.owner != lock.owner || now.fencingToken != lock.fencingToken)
            return fulfil(p, Result<Lock>(Error(ErrorKind::Conflict,
                                                QStringLiteral("the lock was lost: it is held by \"%1\" with fencing "
                                                               "token %2 now")
                                                    .arg(now.owner)
                                                    .arg(now.fencingToken),
                                                where)));
        const qint64 secs = std::max<qint64>(1, (ttl.count() + 999) / 1000);
        lease["spec"]["renewTime"] = toStd(kube::microTime(QDateTime::currentDateTimeUtc()));
        lease["spec"]["leaseDurationSeconds"] = secs;
        lease["metadata"].erase("managedFields");
        d->client->update(Resource::leases(), d->ns, lease).then(this, [p, lock, where](Result<Json> r) {
            if (!r.ok())
                return fulfil(p, Result<Lock>(r.error().kind == ErrorKind::Conflict
                                                  ? Error(ErrorKind::Conflict,
                                                          QStringLiteral("the lock was lost: the Lease changed while "
                                                                         "it was being renewed"),
                                                          where)
                                                  : r.error()));
            fulfil(p, Result<Lock>(lockFromLease(r.value(), lock.name)));
        });
    });
    return p->future();
}

} // namespace sd
