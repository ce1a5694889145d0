#include "providers/form/EntryForm.h"

#include "model/Codec.h"
#include "providers/Provider.h"

namespace sd {
namespace {

// Labels a store derives from where it keeps an entry; meaningless
// anywhere else, and some (an etcd lease ID) harmful.
const char *const kDerivedLabels[] = {"file", "kind", "lease", "type", "error", "shadows"};

bool isStructured(Encoding e)
{
    return e == Encoding::Json || e == Encoding::Yaml;
}

// The bytes an application reading a bytes store would get.
QByteArray contentBytes(const Entry &e)
{
    switch (e.encoding) {
    case Encoding::Text:
    case Encoding::Base64:
        return encodeValue(e);
    case Encoding::Json:
        if (!e.raw.isNull()) {
            Result<Json> decoded = decodeValue(e.raw, Encoding::Json, e.key);
            if (decoded.ok() && decoded.value() == e.value)
                return e.raw;
        }
        return compactJson(e.value);
    case Encoding::Yaml:
        return compactJson(e.value);
    }
    return compactJson(e.value);
}

QString shortJson(const Json &v)
{
    QString s = toQString(v.dump(-1, ' ', false, Json::error_handler_t::replace));
    if (s.size() > 120)
        s = s.left(117) + QStringLiteral("...");
    return s;
}

} // namespace

TargetForm TargetForm::between(const QString &sourceSeparator, const QString &targetScheme, const Capabilities &target,
                               KeyTranslation keys)
{
    TargetForm f;
    f.sourceSeparator = sourceSeparator;
    f.keys = keys;
    f.targetScheme = targetScheme;
    f.targetSeparator = target.keySeparator;
    f.structuredValues = target.structuredValues;
    return f;
}

Result<Entry> entryForTarget(const Entry &source, const TargetForm &form)
{
    // A value the source could not read (a file that does not parse, a
    // value nested too deep) is never copied as the null it is listed with.
    if (const QString problem = source.labels.value(QStringLiteral("error")); !problem.isEmpty())
        return Error(ErrorKind::Invalid, QStringLiteral("the source cannot read this value: %1").arg(problem),
                     source.key);
    Result<QString> key = translateKey(source.key, form.sourceSeparator, form.targetSeparator, form.keys);
    if (!key.ok())
        return key.error();
    Entry e = source;
    e.key = key.value();
    if (e.encoding == Encoding::Yaml && form.targetScheme != QLatin1String("yaml")) {
        e.encoding = Encoding::Json;
        e.raw = compactJson(e.value);
    }
    if (form.structuredValues && !isStructured(e.encoding)) {
        e.encoding = Encoding::Json;
        e.raw.clear();
    }
    for (const char *label : kDerivedLabels)
        e.labels.remove(QLatin1String(label));
    return e;
}

Result<QString> sourceKeyFor(const QString &targetKey, const TargetForm &form)
{
    return translateKey(targetKey, form.targetSeparator, form.sourceSeparator, form.keys);
}

bool sameContent(const Entry &a, const Entry &b)
{
    if (a.value == b.value && (a.encoding == b.encoding || (isStructured(a.encoding) && isStructured(b.encoding))))
        return true;
    if (isStructured(a.encoding) && isStructured(b.encoding))
        return false;
    return contentBytes(a) == contentBytes(b);
}

QStringList describeChange(const Entry &before, const Entry &after, bool showValues, int maxLines)
{
    QStringList lines;
    auto value = [&](const Json &v) { return showValues ? shortJson(v) : QStringLiteral("***"); };
    if (!isStructured(before.encoding) || !isStructured(after.encoding) || !before.value.is_structured()
        || !after.value.is_structured()) {
        if (before.encoding != after.encoding)
            lines << QStringLiteral("encoding: %1 -> %2").arg(encodingName(before.encoding), encodingName(after.encoding));
        lines << QStringLiteral("~ (value): %1 -> %2").arg(value(before.value), value(after.value));
        return lines;
    }
    const Json patch = Json::diff(before.value, after.value);
    int shown = 0;
    for (const Json &op : patch) {
        if (shown == maxLines) {
            lines << QStringLiteral("... %1 more changes").arg(patch.size() - size_t(shown));
            break;
        }
        const QString path = toQString(op.value("path", std::string()));
        const std::string kind = op.value("op", std::string());
        if (kind == "add") {
            lines << QStringLiteral("+ %1: %2").arg(path, value(op["value"]));
        } else if (kind == "remove") {
            const Json old = before.value.contains(Json::json_pointer(toStd(path)))
                                 ? before.value.at(Json::json_pointer(toStd(path)))
                                 : Json();
            lines << QStringLiteral("- %1 (was %2)").arg(path, value(old));
        } else {
            const Json old = before.value.contains(Json::json_pointer(toStd(path)))
                                 ? before.value.at(Json::json_pointer(toStd(path)))
                                 : Json();
            lines << QStringLiteral("~ %1: %2 -> %3").arg(path, value(old), value(op.value("value", Json())));
        }
        ++shown;
    }
    if (lines.isEmpty())
        lines << QStringLiteral("(the same value, held differently: %1 -> %2)")
                     .arg(encodingName(before.encoding), encodingName(after.encoding));
    return lines;
}

} // namespace sd
