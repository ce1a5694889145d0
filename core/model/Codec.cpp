#include "model/Codec.h"

#include "util/YamlJson.h"

#include <QCryptographicHash>
#include <QStringDecoder>

namespace sd {

QString encodingName(Encoding e)
{
    switch (e) {
    case Encoding::Json: return QStringLiteral("json");
    case Encoding::Yaml: return QStringLiteral("yaml");
    case Encoding::Text: return QStringLiteral("text");
    case Encoding::Base64: return QStringLiteral("base64");
    }
    return QStringLiteral("json");
}

bool parseEncoding(const QString &name, Encoding *out)
{
    static const std::pair<const char *, Encoding> names[] = {
        {"json", Encoding::Json}, {"yaml", Encoding::Yaml}, {"text", Encoding::Text}, {"base64", Encoding::Base64}};
    for (const auto &[n, e] : names) {
        if (name == QLatin1String(n)) {
            *out = e;
            return true;
        }
    }
    return false;
}

QString eventTypeName(Event::Type t)
{
    switch (t) {
    case Event::Type::Added: return QStringLiteral("ADDED");
    case Event::Type::Modified: return QStringLiteral("MODIFIED");
    case Event::Type::Deleted: return QStringLiteral("DELETED");
    case Event::Type::Resync: return QStringLiteral("RESYNC");
    case Event::Type::ResyncDone: return QStringLiteral("RESYNC_DONE");
    }
    return {};
}

namespace {

// 1-based line and column of a byte offset, for "file:line:column" errors.
QString position(const QByteArray &bytes, qsizetype offset)
{
    offset = std::clamp<qsizetype>(offset, 0, bytes.size());
    int line = 1;
    qsizetype lineStart = 0;
    for (qsizetype i = 0; i < offset; ++i) {
        if (bytes.at(i) == '\n') {
            ++line;
            lineStart = i + 1;
        }
    }
    return QStringLiteral("%1:%2").arg(line).arg(offset - lineStart + 1);
}

bool isUtf8(const QByteArray &bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8);
    // decode() is lazy: the conversion (and the error check) happens only
    // when its result becomes a QString.
    const QString text = decoder.decode(bytes);
    Q_UNUSED(text);
    return !decoder.hasError();
}

} // namespace

Result<Json> decodeValue(const QByteArray &bytes, Encoding encoding, const QString &where)
{
    switch (encoding) {
    case Encoding::Json:
        try {
            return parseJson(bytes.constBegin(), bytes.constEnd());
        } catch (const Json::parse_error &e) {
            // nlohmann reports the 1-based byte where parsing stopped.
            const qsizetype at = e.byte > 0 ? qsizetype(e.byte) - 1 : 0;
            QString msg = toQString(e.what());
            const auto cut = msg.indexOf(QStringLiteral(": "), msg.indexOf(QStringLiteral("parse error")));
            if (cut > 0)
                msg = msg.mid(cut + 2);
            return Error(ErrorKind::Invalid, QStringLiteral("invalid JSON: %1").arg(msg),
                         where + QLatin1Char(':') + position(bytes, at));
        }
    case Encoding::Yaml:
        return yamlToJson(bytes, where);
    case Encoding::Text:
        return Json(toStd(bytes));
    case Encoding::Base64:
        return Json(toStd(bytes.toBase64()));
    }
    return Error(ErrorKind::Internal, QStringLiteral("unknown encoding"), where);
}

QByteArray compactJson(const Json &value)
{
    return toBytes(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

QByteArray encodeValue(const Entry &entry)
{
    if (!entry.raw.isNull()) {
        auto decoded = decodeValue(entry.raw, entry.encoding, entry.key);
        if (decoded.ok() && decoded.value() == entry.value)
            return entry.raw;
    }
    switch (entry.encoding) {
    case Encoding::Json:
        return toBytes(entry.value.dump(2, ' ', false, Json::error_handler_t::replace)) + '\n';
    case Encoding::Yaml:
        return jsonToYaml(entry.value);
    case Encoding::Text:
        if (entry.value.is_string())
            return toBytes(entry.value.get<std::string>());
        return compactJson(entry.value);
    case Encoding::Base64:
        if (entry.value.is_string())
            return QByteArray::fromBase64(toBytes(entry.value.get<std::string>()));
        return compactJson(entry.value);
    }
    return compactJson(entry.value);
}

Entry entryFromBytes(const QString &key, const QByteArray &bytes)
{
    Entry e;
    e.key = key;
    e.raw = bytes;
    if (auto json = decodeValue(bytes, Encoding::Json, key); json.ok()) {
        e.encoding = Encoding::Json;
        e.value = std::move(json).value();
    } else if (isUtf8(bytes)) {
        e.encoding = Encoding::Text;
        e.value = toStd(bytes);
    } else {
        e.encoding = Encoding::Base64;
        e.value = toStd(bytes.toBase64());
    }
    return e;
}

QString contentRevision(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex().left(16));
}

} // namespace sd
