#include "providers/form/KeyForm.h"

#include "providers/Provider.h"
#include "providers/yaml/YamlProvider.h"

namespace sd {
namespace {

const QString kDot = QStringLiteral(".");

Result<QStringList> segmentsOf(const QString &key, const QString &separator)
{
    if (separator == kDot)
        return YamlProvider::splitKey(key);
    return key.split(separator);
}

// Whether keys change at all between these two forms.
bool translates(const QString &fromSeparator, const QString &toSeparator, KeyTranslation mode)
{
    if (mode == KeyTranslation::Verbatim || fromSeparator == toSeparator || fromSeparator.isEmpty()
        || toSeparator.isEmpty())
        return false;
    // Only seed 004's dotted hierarchy is translated; redis "a:b" into etcd
    // stays "a:b", because there the separator is a browsing aid, not part
    // of a layout someone else reads.
    return fromSeparator == kDot || toSeparator == kDot;
}

} // namespace

Result<QString> translateKey(const QString &key, const QString &fromSeparator, const QString &toSeparator,
                             KeyTranslation mode)
{
    if (!translates(fromSeparator, toSeparator, mode))
        return key;
    Result<QStringList> segments = segmentsOf(key, fromSeparator);
    if (!segments.ok())
        return segments.error();
    if (toSeparator == kDot)
        return YamlProvider::joinKey(segments.value());
    for (const QString &s : segments.value()) {
        if (s.contains(toSeparator))
            return Error(ErrorKind::Invalid,
                         QStringLiteral("the segment \"%1\" holds '%2', the target's key separator, so this key "
                                        "cannot be spelled there without changing its meaning; use --keys verbatim "
                                        "or rename the key")
                             .arg(s, toSeparator),
                         key);
    }
    return segments->join(toSeparator);
}

Result<QString> translateKey(const QString &key, const Capabilities &from, const Capabilities &to,
                             KeyTranslation mode)
{
    return translateKey(key, from.keySeparator, to.keySeparator, mode);
}

QString translatePrefix(const QString &prefix, const QString &fromSeparator, const QString &toSeparator,
                        KeyTranslation mode)
{
    if (prefix.isEmpty() || !translates(fromSeparator, toSeparator, mode))
        return prefix;
    // A trailing separator marks a segment boundary: translate what is
    // before it and put the target's separator back.
    const bool boundary = prefix.endsWith(fromSeparator) && prefix.size() > fromSeparator.size();
    const QString head = boundary ? prefix.chopped(fromSeparator.size()) : prefix;
    Result<QString> translated = translateKey(head, fromSeparator, toSeparator, mode);
    if (!translated.ok())
        return prefix;
    return boundary ? translated.value() + toSeparator : translated.value();
}

bool parseKeyTranslation(const QString &name, KeyTranslation *out)
{
    if (name == QLatin1String("auto")) {
        *out = KeyTranslation::Auto;
        return true;
    }
    if (name == QLatin1String("verbatim")) {
        *out = KeyTranslation::Verbatim;
        return true;
    }
    return false;
}

} // namespace sd
