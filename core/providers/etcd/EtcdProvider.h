#pragma once

#include "providers/Provider.h"

#include <QStringList>

#include <memory>

namespace sd {

namespace etcd {
class Client;
}

struct EtcdOptions {
    // http(s)://host:port, tried in order; the one that last answered is
    // used first next time.
    QStringList endpoints;
    QString user;
    QString password; // a secret: never logged, never in describe()
    // Every key of this store lives under `root` + "/" (empty: the whole
    // keyspace). Keys shown to users have the root stripped.
    QString root;
    // Where lock keys live (outside the data root, so listings never show
    // them). Empty: "statedeck-locks" + root.
    QString lockPrefix;
    // TLS client certificate, key and CA bundle (PEM files) for https
    // endpoints. Empty: QtNetwork's defaults (system CAs, no client cert).
    QString certFile;
    QString keyFile;
    QString caFile;
    // Per request; a watch stream has no overall timeout.
    int requestTimeoutMs = 5000;
    // The server's --max-txn-ops (etcd's default is 128): the most puts one
    // batch txn holds, and so maxBatchSize().
    int maxTxnOps = 128;
};

// etcd v3, over two transports on the same port while the move to gRPC
// (issue 17) is under way:
// - list, get, history and a watch's relisting read over etcd's native gRPC
//   API (KV.Range, EtcdGrpc.h): the JSON gateway's translation cost 2.5x
//   etcdctl's time on its own for a big listing;
// - writes (txns) and the read-back after a lost answer, watch streams,
//   leases, locks and authentication still go through the JSON gateway
//   (grpc-gateway, /v3/...) over QtNetwork, where keys and values are base64
//   and int64s are strings.
// Both share the endpoint list, the failover rules below and the auth token.
//
// Entry revision = the key's mod_revision (decimal). put/remove run in a txn
// comparing mod_revision (Precondition::mustNotExist compares
// create_revision == 0), so a concurrent writer gets Conflict, naming the
// expected and the actual revision.
//
// list: a range over root+prefix with `limit`; the cursor is the next key
// after the last one returned (base64url). ListPage::revision is the
// header revision, which a watch can resume from.
//
// watch(prefix, R): events after R (start_revision R+1), with progress
// notifications; a dropped stream reconnects (to the next endpoint if need
// be) from the last revision seen. If etcd has compacted past that revision
// the watch sends Resync, Added for every current entry, ResyncDone, and
// carries on from the revision of that listing.
//
// lock(name, ttl): grants a lease of `ttl` (rounded up to whole seconds,
// kept alive only by renew(): the lock expires like a Redis PX lock unless renewed or unlocked),
// then creates lockPrefix/name with that lease if its create_revision is 0.
// The fencing token is the revision that created the lock key, so it grows
// with every acquisition. unlock deletes the key only if its create_revision
// and value (owner) are still ours, then revokes the lease.
//
// Endpoints: a connection failure (refused, host not found, timeout, closed)
// or an etcd "unavailable" answer moves a read on to the next endpoint; the
// one that answers is remembered. A write (txn) moves on only when it never
// reached etcd; when its answer is lost after it was sent, the key is read
// back: if it holds what the write would have left, the write is reported
// done, else Unavailable with reason "OutcomeUnknown" (sending it again
// could apply it twice, or report Conflict against itself). With
// user/password, a token from /v3/auth/authenticate goes in the
// Authorization header (in gRPC calls, the "token" metadata) and is fetched
// again when etcd says it is invalid or expired.
class EtcdProvider : public Provider {
    Q_OBJECT
public:
    explicit EtcdProvider(EtcdOptions options, QObject *parent = nullptr);
    ~EtcdProvider() override;

    QString scheme() const override;
    QString describe() const override;
    Capabilities capabilities() const override;

    QFuture<Result<ListPage>> list(const ListOptions &options) override;
    QFuture<Result<Entry>> get(const QString &key) override;
    QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre) override;
    QFuture<Status> remove(const QString &key, const Precondition &pre) override;
    // One /v3/kv/txn per up to maxTxnOps items (and 1 MiB of keys and
    // values): the compares are the items' preconditions, the success branch
    // their puts, the failure branch reads every compared key. When the txn
    // fails, those reads say exactly which items conflict; they get their
    // Conflict or AlreadyExists and the others go again in a new txn (after
    // three rounds, one txn per item). Items of one txn share its revision.
    // A bigger batch is split into several txns, up to four in flight (one
    // at a time when a key appears twice, since a txn takes a key once).
    QFuture<BatchResult> putBatch(const QList<BatchItem> &items) override;
    int maxBatchSize() const override;
    std::unique_ptr<Watch> watch(const QString &prefix, const QString &fromRevision) override;
    QFuture<Result<Lock>> lock(const QString &name, std::chrono::milliseconds ttl) override;
    QFuture<Status> unlock(const Lock &lock) override;
    QFuture<Result<Lock>> renew(const Lock &lock, std::chrono::milliseconds ttl) override;

    // Older values of `key`, newest first, starting with the current one, at
    // most `limit`. etcd keeps every revision until it is compacted: this
    // walks back with range reads at `revision = mod_revision - 1` and stops
    // at the compaction point, at a revision where the key did not exist
    // (history before a delete is not followed), or at `limit`. Each entry's
    // revision is its mod_revision. NotFound if the key does not exist now.
    QFuture<Result<QList<Entry>>> history(const QString &key, int limit) override;

    // The endpoint requests go to first (the one that answered last).
    QString currentEndpoint() const;

private:
    std::shared_ptr<etcd::Client> m_client;
};

// Seed 004's hierarchical keys ("deployment.phase") as etcd keys: the dotted
// path's segments joined by "/" under `root` (a trailing "/" on root is
// ignored): dottedToEtcdKey("/apps/web", "deployment.phase") ==
// "/apps/web/deployment/phase". An EtcdProvider whose root is "/apps/web"
// therefore shows the key as "deployment/phase".
QString dottedToEtcdKey(const QString &root, const QString &dotted);

} // namespace sd
