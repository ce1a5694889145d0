#pragma once

#include <QString>

namespace sd {

// What went wrong, in terms a front end can act on (exit code, colour, retry).
enum class ErrorKind {
    NotFound,
    Conflict,       // a precondition failed: someone else changed it first
    AlreadyExists,  // must-not-exist failed
    Invalid,        // the input is malformed (bad key, bad JSON, bad URL...)
    TooLarge,
    Unauthorized,
    Forbidden,
    Unavailable,    // the store cannot be reached or is corrupt
    Busy,           // a lock is held by someone else
    RateLimited,
    Unsupported,    // the backend cannot do this (or is not built)
    Io,
    Cancelled,
    Timeout,
    Internal,
};

QString errorKindName(ErrorKind kind);

// An error value. `message` is a sentence for a person; `where` names the
// place (file:line:column, a key, a URL) when there is one.
struct Error {
    ErrorKind kind = ErrorKind::Internal;
    QString message;
    QString where;
    // A finer cause within the kind, for front ends that map it (a
    // remediation StateError name such as "MaxIterationsReached"); empty for
    // most errors.
    QString reason;

    Error() = default;
    Error(ErrorKind k, QString msg, QString at = {})
        : kind(k), message(std::move(msg)), where(std::move(at)) {}

    Error withReason(QString r) const
    {
        Error e = *this;
        e.reason = std::move(r);
        return e;
    }

    // "where: message", the form every front end prints.
    QString toString() const;
};

} // namespace sd
