#pragma once

#include "model/Error.h"

#include <QByteArray>
#include <QString>

namespace sd::kube {

// What a request was doing, so an error can say what was refused.
struct RequestInfo {
    QString verb;      // get, list, watch, create, update, patch, delete
    QString resource;  // configmaps, secrets, leases, ...
    QString group;     // "" for the core group
    QString ns;        // empty for cluster-scoped
    QString name;      // empty for collections
};

// A failed API call: the core error plus what the server said, so callers
// can tell a 410 Expired from other conflicts and honour Retry-After.
struct ApiError {
    Error error;
    int httpStatus = 0;  // 0: no HTTP answer (network, TLS, timeout)
    QString reason;      // Status.reason: NotFound, AlreadyExists, Conflict, Expired, Invalid, ...
    int retryAfterSeconds = -1;

    bool isGone() const { return httpStatus == 410 || reason == QLatin1String("Expired") || reason == QLatin1String("Gone"); }
};

// Maps an HTTP status and its body (a metav1 Status object when the API
// server wrote it, anything else when a proxy did) to an error a user can act
// on: the server's message, the verb, resource and namespace for 403, field
// causes for 422.
ApiError errorFromResponse(int httpStatus, const QByteArray &body, const RequestInfo &request,
                           int retryAfterSeconds = -1);

// The same for an ERROR event of a watch stream (its object is a Status).
ApiError errorFromStatusObject(const QByteArray &statusJson, const RequestInfo &request);

// "get configmaps \"x\" in namespace \"ns\"": the request as a phrase.
QString describeRequest(const RequestInfo &request);

} // namespace sd::kube
