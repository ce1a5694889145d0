#include "providers/Provider.h"

namespace sd {

Status validateKey(const QString &key, const Capabilities &caps)
{
    const QString shown = QStringLiteral("key \"%1\"").arg(QString(key).replace(QChar(0), QStringLiteral("\\0")));
    if (key.isEmpty())
        return Error(ErrorKind::Invalid, QStringLiteral("a key may not be empty"), QStringLiteral("key"));
    for (QChar c : key) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return Error(ErrorKind::Invalid,
                         QStringLiteral("a key may not contain control characters (found U+%1)")
                             .arg(c.unicode(), 4, 16, QLatin1Char('0')),
                         shown);
        if (caps.forbiddenKeyChars.contains(c))
            return Error(ErrorKind::Invalid,
                         QStringLiteral("this store does not allow '%1' in a key").arg(c), shown);
    }
    if (key.toUtf8().size() > 1024)
        return Error(ErrorKind::Invalid, QStringLiteral("a key may be at most 1024 bytes long"), shown);
    if (caps.fileBacked) {
        const QStringList segments = key.split(QLatin1Char('/'));
        for (const QString &s : segments) {
            if (s == QLatin1String(".") || s == QLatin1String(".."))
                return Error(ErrorKind::Invalid,
                             QStringLiteral("'.' and '..' are not allowed as key names in a file store"), shown);
        }
    }
    return {};
}

} // namespace sd
