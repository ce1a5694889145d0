#include "snapshot/SnapshotFormat.h"

#include "model/Codec.h"
#include "snapshot/SnapshotCipher.h"

namespace sd {
namespace {

// Wide enough for any qint64, so the manifest keeps its length.
constexpr int kCountWidth = 20;

QString isoTime(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}

Error invalid(const QString &message, const QString &where)
{
    return Error(ErrorKind::Invalid, message, where);
}

std::string b64(const QByteArray &b)
{
    return toStd(b.toBase64());
}

std::optional<QByteArray> unb64(const Json &j)
{
    if (!j.is_string())
        return std::nullopt;
    auto r = QByteArray::fromBase64Encoding(toBytes(j.get<std::string>()), QByteArray::AbortOnBase64DecodingErrors);
    if (!r)
        return std::nullopt;
    return *r;
}

Result<Json> parseJsonLine(const QByteArray &line, const QString &where, const QString &what)
{
    try {
        return parseJson(line.constBegin(), line.constEnd());
    } catch (const Json::parse_error &e) {
        QString msg = toQString(e.what());
        const auto cut = msg.indexOf(QStringLiteral(": "), msg.indexOf(QStringLiteral("parse error")));
        if (cut > 0)
            msg = msg.mid(cut + 2);
        return invalid(QStringLiteral("%1 is not valid JSON (column %2): %3").arg(what).arg(e.byte).arg(msg), where);
    }
}

// What encodeValue writes for a JSON value without raw bytes.
QByteArray prettyJson(const Json &v)
{
    Entry e;
    e.value = v;
    return encodeValue(e);
}

// The value part of an entry line: what is sealed when encrypting.
Json valuePart(const Entry &e)
{
    Json part = Json::object();
    part["value"] = e.value;
    // JSON values are kept as values, and the text they had comes back byte
    // for byte: the compact form is the default, `"pretty": true` marks the
    // 2-space form statedeck writes (encodeValue), and any other text (hand
    // formatting) travels as it is in "text".
    if (e.encoding == Encoding::Json && !e.raw.isNull() && e.raw != compactJson(e.value)) {
        if (e.raw == prettyJson(e.value)) {
            part["pretty"] = true;
        } else {
            Result<Json> decoded = decodeValue(e.raw, Encoding::Json, e.key);
            if (decoded.ok() && decoded.value() == e.value)
                part["text"] = toStd(e.raw);
        }
    }
    return part;
}

Status applyValuePart(const Json &part, Entry *e, const QString &where)
{
    if (!part.is_object() || !part.contains("value"))
        return invalid(QStringLiteral("the entry of key \"%1\" has no \"value\"").arg(e->key), where);
    e->value = part["value"];
    if (e->encoding == Encoding::Text || e->encoding == Encoding::Base64) {
        if (!e->value.is_string())
            return invalid(QStringLiteral("the %1 value of key \"%2\" must be a JSON string")
                               .arg(encodingName(e->encoding), e->key),
                           where);
        if (e->encoding == Encoding::Base64
            && !QByteArray::fromBase64Encoding(toBytes(e->value.get<std::string>()),
                                              QByteArray::AbortOnBase64DecodingErrors))
            return invalid(QStringLiteral("the base64 value of key \"%1\" is not valid base64").arg(e->key), where);
    }
    if (part.contains("text")) {
        if (!part["text"].is_string() || e->encoding != Encoding::Json)
            return invalid(QStringLiteral("\"text\" of key \"%1\" must be a string, and only for json values")
                               .arg(e->key),
                           where);
        const QByteArray text = toBytes(part["text"].get<std::string>());
        Result<Json> decoded = decodeValue(text, Encoding::Json, where);
        if (!decoded.ok() || decoded.value() != e->value)
            return invalid(QStringLiteral("\"text\" of key \"%1\" does not hold its value").arg(e->key), where);
        e->raw = text;
    } else if (part.value("pretty", false) && e->encoding == Encoding::Json) {
        e->raw = prettyJson(e->value);
    } else if (e->encoding == Encoding::Json) {
        e->raw = compactJson(e->value);
    }
    return {};
}

// Labels and annotations: a JSON object of strings.
Json stringMapJson(const QMap<QString, QString> &map)
{
    Json out = Json::object();
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        out[toStd(it.key())] = toStd(it.value());
    return out;
}

Status readStringMap(const Json &j, const char *field, const QString &key, const QString &where,
                     QMap<QString, QString> *out)
{
    if (!j.contains(field))
        return {};
    const Json &map = j[field];
    if (!map.is_object())
        return invalid(QStringLiteral("\"%1\" of key \"%2\" must be an object of strings")
                           .arg(QLatin1String(field), key),
                       where);
    for (auto it = map.begin(); it != map.end(); ++it) {
        if (!it.value().is_string())
            return invalid(QStringLiteral("\"%1\" of key \"%2\": \"%3\" must be a string")
                               .arg(QLatin1String(field), key, toQString(it.key())),
                           where);
        out->insert(toQString(it.key()), toQString(it.value().get<std::string>()));
    }
    return {};
}

} // namespace

QByteArray manifestLine(const SnapshotManifest &m)
{
    Json j = Json::object();
    j["format"] = kSnapshotFormat;
    j["version"] = kSnapshotVersion;
    j["created"] = toStd(isoTime(m.created));
    j["source"] = Json{{"store", toStd(m.source)}, {"scheme", toStd(m.sourceScheme)}, {"prefix", toStd(m.prefix)}};
    if (m.sensitive)
        j["source"]["sensitive"] = true;
    j["keys"] = Json{{"encoding", toStd(m.keyEncoding)}, {"separator", toStd(m.keySeparator)}};
    if (m.encryption) {
        const SnapshotEncryption &e = *m.encryption;
        j["encryption"] = Json{{"cipher", toStd(e.cipher)},
                               {"kdf", toStd(e.kdf)},
                               {"iterations", e.iterations},
                               {"salt", b64(e.salt)},
                               {"check", b64(e.check)}};
    } else {
        j["encryption"] = nullptr;
    }
    QByteArray line = toBytes(j.dump(-1, ' ', false, Json::error_handler_t::replace));
    line.chop(1); // the closing brace: "entries" goes last, padded
    const QByteArray count = m.entries >= 0 ? QByteArray::number(m.entries) : QByteArrayLiteral("null");
    line += ",\"entries\":" + count + QByteArray(kCountWidth - count.size(), ' ') + "}\n";
    return line;
}

Result<SnapshotManifest> parseManifest(const QByteArray &line, const QString &where, bool unfinished)
{
    Result<Json> parsed = parseJsonLine(line, where, QStringLiteral("the manifest (line 1)"));
    if (!parsed.ok()) {
        Error e = parsed.error();
        e.message = QStringLiteral("not a statedeck snapshot: ") + e.message;
        return e;
    }
    const Json &j = parsed.value();
    if (!j.is_object() || j.value("format", Json()) != Json(kSnapshotFormat))
        return invalid(QStringLiteral("not a statedeck snapshot: line 1 has no \"format\": \"%1\"")
                           .arg(QLatin1String(kSnapshotFormat)),
                       where);
    if (!j.contains("version") || !j["version"].is_number_integer())
        return invalid(QStringLiteral("the manifest has no format version"), where);
    const qint64 version = j["version"].get<qint64>();
    if (version != kSnapshotVersion)
        return Error(ErrorKind::Unsupported,
                     QStringLiteral("snapshot format version %1 is not supported; this statedeck reads version %2")
                         .arg(version)
                         .arg(kSnapshotVersion),
                     where);
    SnapshotManifest m;
    auto text = [&](const Json &obj, const char *name) -> QString {
        return obj.is_object() && obj.contains(name) && obj[name].is_string() ? toQString(obj[name].get<std::string>())
                                                                              : QString();
    };
    m.created = QDateTime::fromString(text(j, "created"), Qt::ISODateWithMs);
    const Json source = j.value("source", Json::object());
    m.source = text(source, "store");
    m.sourceScheme = text(source, "scheme");
    m.prefix = text(source, "prefix");
    m.sensitive = source.is_object() && source.value("sensitive", Json(false)) == Json(true);
    const Json keys = j.value("keys", Json::object());
    m.keyEncoding = text(keys, "encoding");
    m.keySeparator = text(keys, "separator");
    if (m.keyEncoding != QLatin1String("utf-8"))
        return invalid(QStringLiteral("the manifest's key encoding \"%1\" is not supported (expected utf-8)")
                           .arg(m.keyEncoding),
                       where);
    if (unfinished && j.contains("entries") && j["entries"].is_null())
        m.entries = -1;
    else if (!j.contains("entries") || !j["entries"].is_number_integer() || j["entries"].get<qint64>() < 0)
        return invalid(QStringLiteral("the manifest has no entry count (a snapshot whose export did not finish?)"),
                       where);
    else
        m.entries = j["entries"].get<qint64>();
    const Json enc = j.value("encryption", Json());
    if (!enc.is_null()) {
        SnapshotEncryption e;
        e.cipher = text(enc, "cipher");
        e.kdf = text(enc, "kdf");
        if (e.cipher != QLatin1String("aes-256-gcm") || e.kdf != QLatin1String("pbkdf2-hmac-sha256"))
            return Error(ErrorKind::Unsupported,
                         QStringLiteral("the snapshot is encrypted with %1/%2; this statedeck knows "
                                        "aes-256-gcm/pbkdf2-hmac-sha256")
                             .arg(e.cipher, e.kdf),
                         where);
        const auto salt = unb64(enc.value("salt", Json()));
        const auto check = unb64(enc.value("check", Json()));
        const Json iterations = enc.value("iterations", Json());
        if (!salt || salt->isEmpty() || !check || !iterations.is_number_integer())
            return invalid(QStringLiteral("the manifest's encryption block needs salt, check and iterations"), where);
        e.salt = *salt;
        e.check = *check;
        e.iterations = int(std::clamp<qint64>(iterations.get<qint64>(), 0, std::numeric_limits<int>::max()));
        m.encryption = e;
    }
    return m;
}

Result<SnapshotKey> newSnapshotKey(const QByteArray &passphrase, int iterations)
{
    SnapshotKey key;
    key.encryption.iterations = iterations;
    key.encryption.salt = SnapshotCipher::randomSalt();
    auto derived = SnapshotCipher::derive(passphrase, key.encryption.salt, iterations);
    if (!derived.ok())
        return derived.error();
    key.cipher = derived.value();
    auto check = key.cipher->makeCheck(key.encryption.salt);
    if (!check.ok())
        return check.error();
    key.encryption.check = check.value();
    return key;
}

QByteArray trailerLine(const SnapshotTrailer &t)
{
    const Json j{{"end", kSnapshotFormat}, {"entries", t.entries}, {"sha256", toStd(t.sha256)}};
    return toBytes(j.dump()) + '\n';
}

Result<QByteArray> entryLine(const Entry &e, const SnapshotCipher *cipher)
{
    Json j = Json::object();
    j["key"] = toStd(e.key);
    j["encoding"] = toStd(encodingName(e.encoding));
    Json part = valuePart(e);
    if (cipher) {
        QByteArray plain;
        try {
            plain = toBytes(part.dump(-1, ' ', false, Json::error_handler_t::strict));
        } catch (const Json::type_error &) {
            return invalid(QStringLiteral("the value holds text that is not UTF-8"), e.key);
        }
        Result<QByteArray> sealed = cipher->seal(plain, e.key.toUtf8());
        plain.fill('\0');
        if (!sealed.ok())
            return Error(sealed.error().kind, sealed.error().message, e.key);
        j["sealed"] = b64(sealed.value());
    } else {
        for (auto it = part.begin(); it != part.end(); ++it)
            j[it.key()] = std::move(it.value());
    }
    if (!e.revision.isEmpty())
        j["revision"] = toStd(e.revision);
    if (e.updated.isValid())
        j["updated"] = toStd(isoTime(e.updated));
    if (!e.labels.isEmpty())
        j["labels"] = stringMapJson(e.labels);
    if (!e.annotations.isEmpty())
        j["annotations"] = stringMapJson(e.annotations);
    try {
        return QByteArray(toBytes(j.dump(-1, ' ', false, Json::error_handler_t::strict)) + '\n');
    } catch (const Json::type_error &) {
        return invalid(QStringLiteral("the value holds text that is not UTF-8"), e.key);
    }
}

Result<SnapshotRecord> parseRecord(const QByteArray &line, const SnapshotCipher *cipher, const QString &where)
{
    Result<Json> parsed = parseJsonLine(line, where, QStringLiteral("the line"));
    if (!parsed.ok())
        return parsed.error();
    const Json &j = parsed.value();
    if (!j.is_object())
        return invalid(QStringLiteral("expected a JSON object (an entry or the trailer)"), where);
    SnapshotRecord record;
    if (j.contains("end")) {
        if (j["end"] != Json(kSnapshotFormat) || !j.value("entries", Json()).is_number_integer()
            || !j.value("sha256", Json()).is_string())
            return invalid(QStringLiteral("the trailer needs \"end\", \"entries\" and \"sha256\""), where);
        SnapshotTrailer t;
        t.entries = j["entries"].get<qint64>();
        t.sha256 = toQString(j["sha256"].get<std::string>());
        record.trailer = t;
        return record;
    }
    if (!j.contains("key") || !j["key"].is_string())
        return invalid(QStringLiteral("an entry needs \"key\" (a string)"), where);
    Entry e;
    e.key = toQString(j["key"].get<std::string>());
    if (e.key.isEmpty())
        return invalid(QStringLiteral("an entry's key may not be empty"), where);
    if (!j.contains("encoding") || !j["encoding"].is_string()
        || !parseEncoding(toQString(j["encoding"].get<std::string>()), &e.encoding))
        return invalid(QStringLiteral("the entry of key \"%1\" needs \"encoding\": json, yaml, text or base64")
                           .arg(e.key),
                       where);
    if (j.contains("sealed")) {
        if (!cipher)
            return invalid(QStringLiteral("the entry of key \"%1\" is encrypted, but the manifest says the snapshot "
                                          "is not")
                               .arg(e.key),
                           where);
        const auto sealed = unb64(j["sealed"]);
        if (!sealed)
            return invalid(QStringLiteral("\"sealed\" of key \"%1\" is not base64").arg(e.key), where);
        Result<QByteArray> plain = cipher->open(*sealed, e.key.toUtf8());
        if (!plain.ok())
            return invalid(QStringLiteral("the encrypted value of key \"%1\" does not decrypt: it was changed after "
                                          "export (or moved from another key)")
                               .arg(e.key),
                           where);
        Result<Json> part = parseJsonLine(plain.value(), where, QStringLiteral("the decrypted value"));
        if (!part.ok())
            return part.error();
        if (Status s = applyValuePart(part.value(), &e, where); !s.ok())
            return s.error();
    } else {
        if (cipher)
            return invalid(QStringLiteral("the value of key \"%1\" is not encrypted, but the manifest says every "
                                          "value is")
                               .arg(e.key),
                           where);
        if (Status s = applyValuePart(j, &e, where); !s.ok())
            return s.error();
    }
    if (j.contains("revision")) {
        if (!j["revision"].is_string())
            return invalid(QStringLiteral("\"revision\" of key \"%1\" must be a string").arg(e.key), where);
        e.revision = toQString(j["revision"].get<std::string>());
    }
    if (j.contains("updated") && j["updated"].is_string())
        e.updated = QDateTime::fromString(toQString(j["updated"].get<std::string>()), Qt::ISODateWithMs);
    if (Status s = readStringMap(j, "labels", e.key, where, &e.labels); !s.ok())
        return s.error();
    if (Status s = readStringMap(j, "annotations", e.key, where, &e.annotations); !s.ok())
        return s.error();
    record.entry = std::move(e);
    return record;
}

} // namespace sd
