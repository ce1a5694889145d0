#pragma once

#include "model/Json.h"

#include <QList>

#include <limits>

namespace sd::etcd {

// One event of a watch response, its key and value already base64-decoded.
struct WatchKv {
    bool deleted = false;
    QByteArray key; // with the store's key prefix
    QByteArray value;
    qint64 modRevision = 0;
    qint64 createRevision = 0;
    qint64 version = 0;
    qint64 lease = 0;
};

// One message of the gateway's watch stream, read without trusting it: any
// field may be missing or of the wrong type (proto3 leaves zeros out).
struct WatchResponse {
    bool isError = false;
    Json error; // the gateway's {"error": {...}} body, when isError
    qint64 compactRevision = 0;
    qint64 headerRevision = 0;
    bool canceled = false;
    bool created = false;
    QList<WatchKv> events;
};

WatchResponse parseWatchResponse(const Json &message);

// The revision after `rev`. Revisions come from the server as any int64; the
// largest stays as it is rather than overflow.
inline qint64 revisionAfter(qint64 rev)
{
    return rev < std::numeric_limits<qint64>::max() ? rev + 1 : rev;
}

} // namespace sd::etcd
