#include "model/Error.h"

namespace sd {

QString errorKindName(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::NotFound: return QStringLiteral("NotFound");
    case ErrorKind::Conflict: return QStringLiteral("Conflict");
    case ErrorKind::AlreadyExists: return QStringLiteral("AlreadyExists");
    case ErrorKind::Invalid: return QStringLiteral("Invalid");
    case ErrorKind::TooLarge: return QStringLiteral("TooLarge");
    case ErrorKind::Unauthorized: return QStringLiteral("Unauthorized");
    case ErrorKind::Forbidden: return QStringLiteral("Forbidden");
    case ErrorKind::Unavailable: return QStringLiteral("Unavailable");
    case ErrorKind::Busy: return QStringLiteral("Busy");
    case ErrorKind::RateLimited: return QStringLiteral("RateLimited");
    case ErrorKind::Unsupported: return QStringLiteral("Unsupported");
    case ErrorKind::Io: return QStringLiteral("Io");
    case ErrorKind::Cancelled: return QStringLiteral("Cancelled");
    case ErrorKind::Timeout: return QStringLiteral("Timeout");
    case ErrorKind::Internal: return QStringLiteral("Internal");
    }
    return QStringLiteral("Internal");
}

QString Error::toString() const
{
    if (where.isEmpty())
        return message;
    return where + QStringLiteral(": ") + message;
}

} // namespace sd
