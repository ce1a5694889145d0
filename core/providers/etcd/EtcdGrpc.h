#pragma once

#include "providers/etcd/EtcdWatchResponse.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

class QObject;

namespace sd::etcd {

// A range read: keys in [key, rangeEnd), at most `limit` (0: all), at
// `revision` (0: the latest).
struct RangeQuery {
    QByteArray key;
    QByteArray rangeEnd;
    qint64 limit = 0;
    qint64 revision = 0;
    bool keysOnly = false;
};

struct RangeAnswer {
    qint64 revision = 0; // the store's revision when it answered
    QList<WatchKv> kvs;  // never `deleted`
    bool more = false;
    qint64 count = 0;
};

// How a call ended. `code` is the gRPC status code (0: OK), the same number
// etcd's JSON gateway reports as "code"; `message` is etcd's text, or
// gRPC's when the call never reached etcd.
struct GrpcStatus {
    int code = 0;
    QString message;
    bool ok() const { return code == 0; }
};

// PEM files for https endpoints. Empty: the system's roots, no client
// certificate.
struct GrpcTls {
    QString caFile;
    QString certFile;
    QString keyFile;
};

// etcd's native gRPC API on a list of endpoints (http(s)://host:port, as
// EtcdOptions takes them; etcd serves gRPC and its gateway on one port).
// One channel per endpoint, opened when first used, reconnecting on its own
// with a short backoff so a restarted member is used again within seconds.
//
// Calls run on gRPC's own threads; each answer is handed to the thread that
// made this object, through its event loop, and is dropped if the call's
// `receiver` (an object of that thread) is gone by then. Nothing here blocks
// the caller.
class GrpcEndpoints {
public:
    GrpcEndpoints(QStringList endpoints, GrpcTls tls);
    ~GrpcEndpoints();
    GrpcEndpoints(const GrpcEndpoints &) = delete;
    GrpcEndpoints &operator=(const GrpcEndpoints &) = delete;

    using RangeDone = std::function<void(GrpcStatus, RangeAnswer)>;
    // KV.Range on endpoint `index` (one of the list's), with the auth token (empty: none) and a
    // deadline. Returns a function that cancels the call (its answer is
    // then CANCELLED, or dropped with the receiver).
    std::function<void()> range(int index, const RangeQuery &query, const QByteArray &token, int timeoutMs,
                                QObject *receiver, RangeDone done);

    // etcd's unary calls, named by the JSON gateway's path for them
    // ("/v3/kv/range", "/v3/kv/txn", "/v3/lease/grant", "/v3/lease/revoke",
    // "/v3/lease/timetolive" and its older "/v3/kv/lease/timetolive",
    // "/v3/auth/authenticate").
    static bool hasMethodFor(const QString &gatewayPath);
    using JsonDone = std::function<void(GrpcStatus, QByteArray json)>;
    // Calls that method with `json` (the request as the gateway takes it)
    // and answers with the response as the gateway would give it: etcd's
    // field names, 64-bit numbers and bytes as strings, defaults left out. A
    // request that does not convert is answered INVALID_ARGUMENT without a
    // call. Otherwise as range().
    std::function<void()> unary(int index, const QString &gatewayPath, const QByteArray &json, const QByteArray &token,
                                int timeoutMs, QObject *receiver, JsonDone done);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace sd::etcd
