#include "kube/KubeStatus.h"
#include "kube/WatchLine.h"

#include "model/Json.h"

namespace sd::kube {
namespace {

QString str(const Json &obj, const char *key)
{
    if (!obj.is_object())
        return {};
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? toQString(it->get<std::string>()) : QString();
}

QString resourceWithGroup(const RequestInfo &r)
{
    return r.group.isEmpty() ? r.resource : r.resource + QLatin1Char('.') + r.group;
}

} // namespace

QString describeRequest(const RequestInfo &r)
{
    QString s = r.verb + QLatin1Char(' ') + resourceWithGroup(r);
    if (!r.name.isEmpty())
        s += QStringLiteral(" \"%1\"").arg(r.name);
    if (!r.ns.isEmpty())
        s += QStringLiteral(" in namespace \"%1\"").arg(r.ns);
    return s;
}

ApiError errorFromResponse(int httpStatus, const QByteArray &body, const RequestInfo &request, int retryAfterSeconds)
{
    ApiError out;
    out.httpStatus = httpStatus;
    out.retryAfterSeconds = retryAfterSeconds;
    const Json status = parseJsonOrDiscarded(body.constBegin(), body.constEnd());
    const bool isStatus = status.is_object() && str(status, "kind") == QLatin1String("Status");
    QString message = isStatus ? str(status, "message") : QString();
    out.reason = isStatus ? str(status, "reason") : QString();
    if (isStatus) {
        if (auto code = status.find("code"); code != status.end() && code->is_number_integer() && httpStatus == 0)
            out.httpStatus = code->get<int>();
    }
    if (message.isEmpty()) {
        // Not the API server's words (a proxy, a load balancer): show a bounded excerpt.
        const QByteArray excerpt = body.left(200).trimmed();
        message = excerpt.isEmpty() ? QStringLiteral("HTTP %1 with no body").arg(out.httpStatus)
                                    : QStringLiteral("HTTP %1: %2").arg(out.httpStatus).arg(QString::fromUtf8(excerpt));
    }
    const QString what = describeRequest(request);
    const QString where = what;
    auto make = [&](ErrorKind kind, const QString &text) {
        out.error = Error(kind, text, where);
        return out;
    };

    switch (out.httpStatus) {
    case 400:
        return make(ErrorKind::Invalid, QStringLiteral("the API server refused the request as malformed (400 %1): %2")
                                            .arg(out.reason.isEmpty() ? QStringLiteral("BadRequest") : out.reason, message));
    case 401:
        return make(ErrorKind::Unauthorized,
                    QStringLiteral("the API server did not accept the credentials (401 Unauthorized: %1); the token "
                                   "or client certificate is missing, wrong or expired")
                        .arg(message));
    case 403: {
        QString target = QStringLiteral("%1 %2").arg(request.verb, resourceWithGroup(request));
        if (!request.name.isEmpty())
            target += QStringLiteral(" \"%1\"").arg(request.name);
        target += request.ns.isEmpty() ? QStringLiteral(" (cluster-wide)")
                                       : QStringLiteral(" in namespace \"%1\"").arg(request.ns);
        return make(ErrorKind::Forbidden,
                    QStringLiteral("not allowed to %1 (403 Forbidden: %2); ask for an RBAC role that grants it")
                        .arg(target, message));
    }
    case 404:
        return make(ErrorKind::NotFound, message);
    case 405:
        return make(ErrorKind::Unsupported, QStringLiteral("the API server does not allow this (405): %1").arg(message));
    case 409:
        if (out.reason == QLatin1String("AlreadyExists"))
            return make(ErrorKind::AlreadyExists, message);
        return make(ErrorKind::Conflict, message);
    case 410:
        return make(ErrorKind::Conflict,
                    QStringLiteral("the resource version is too old: the server's history no longer reaches back to "
                                   "it (410 %1: %2)")
                        .arg(out.reason.isEmpty() ? QStringLiteral("Gone") : out.reason, message));
    case 413:
        return make(ErrorKind::TooLarge, QStringLiteral("the object is too large for the API server (413): %1").arg(message));
    case 422: {
        QString text = message;
        QStringList fields;
        if (auto details = status.find("details"); isStatus && details != status.end() && details->is_object()) {
            if (auto causes = details->find("causes"); causes != details->end() && causes->is_array()) {
                QStringList lines;
                for (const Json &c : *causes) {
                    const QString field = str(c, "field");
                    if (!field.isEmpty())
                        fields << field;
                    lines << QStringLiteral("%1: %2").arg(field.isEmpty() ? QStringLiteral("(object)") : field,
                                                          str(c, "message"));
                }
                // The top-level message already quotes a single cause in full.
                if (lines.size() > 1 || (lines.size() == 1 && !message.contains(lines.first())))
                    text += QStringLiteral(" [") + lines.join(QStringLiteral("; ")) + QLatin1Char(']');
            }
        }
        out.error = Error(ErrorKind::Invalid, QStringLiteral("the API server rejected the object (422 Invalid): %1").arg(text),
                          fields.isEmpty() ? where : QStringLiteral("%1, field %2").arg(where, fields.join(QStringLiteral(", "))));
        return out;
    }
    case 429:
        return make(ErrorKind::RateLimited,
                    QStringLiteral("the API server is throttling requests (429 TooManyRequests): %1").arg(message));
    case 500:
    case 502:
    case 503:
        return make(ErrorKind::Unavailable,
                    QStringLiteral("the API server is unavailable (%1): %2").arg(out.httpStatus).arg(message));
    case 504:
        return make(ErrorKind::Timeout, QStringLiteral("the API server timed out (504): %1").arg(message));
    default:
        break;
    }
    if (out.httpStatus >= 500)
        return make(ErrorKind::Unavailable, QStringLiteral("the API server failed (%1): %2").arg(out.httpStatus).arg(message));
    return make(ErrorKind::Internal, QStringLiteral("unexpected answer %1: %2").arg(out.httpStatus).arg(message));
}

ApiError errorFromStatusObject(const QByteArray &statusJson, const RequestInfo &request)
{
    return errorFromResponse(0, statusJson, request);
}

WatchLine parseWatchLine(const QByteArray &line, const RequestInfo &request)
{
    WatchLine out;
    Json ev = parseJsonOrDiscarded(line.constBegin(), line.constEnd());
    if (!ev.is_object())
        return out;
    out.kind = WatchLine::Kind::Ignored;
    auto obj = ev.find("object");
    if (obj == ev.end())
        return out;
    const QString type = str(ev, "type");
    if (type == QLatin1String("ERROR")) {
        out.kind = WatchLine::Kind::Error;
        out.error = errorFromStatusObject(toBytes(obj->dump()), request);
        return out;
    }
    if (obj->is_object()) {
        auto meta = obj->find("metadata");
        if (meta != obj->end())
            out.resourceVersion = str(*meta, "resourceVersion");
    }
    if (type == QLatin1String("BOOKMARK"))
        out.kind = WatchLine::Kind::Bookmark;
    else if (type == QLatin1String("ADDED"))
        out.kind = WatchLine::Kind::Added;
    else if (type == QLatin1String("MODIFIED"))
        out.kind = WatchLine::Kind::Modified;
    else if (type == QLatin1String("DELETED"))
        out.kind = WatchLine::Kind::Deleted;
    else
        return out;
    if (out.kind != WatchLine::Kind::Bookmark)
        out.object = std::move(*obj);
    return out;
}

} // namespace sd::kube
