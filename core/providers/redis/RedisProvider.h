#pragma once

#include "providers/Provider.h"
#include "providers/redis/RedisConnection.h"

#include <functional>
#include <memory>

namespace sd {

// Redis (`redis://[user:password@]host:port/db`), over hiredis's asynchronous
// API on the event loop: no call blocks.
//
// Layout (keys addressed directly; nothing is added to the user's keys):
// - a string key holds the value bytes: JSON, raw UTF-8 text kept
//   byte-identical, or other bytes (shown base64, written back as bytes);
// - a hash is shown as a JSON object of its fields (read-only: put refuses
//   it); lists, sets, sorted sets and streams are listed read-only with the
//   label `type` and a null value;
// - revisions: one store-wide counter `__statedeck:seq` (INCR on every put
//   and remove made through statedeck) and the hash `__statedeck:rev`
//   mapping each key to the counter value of its last write. A key written by
//   another tool has no field there and reads as revision "0"; a write by
//   another tool to a key statedeck wrote keeps the old revision (Redis has
//   no per-key version), so CAS protects statedeck writers from each other.
//   Revisions are never reused, even after a delete and re-create.
// - put/remove check their precondition and write in one Lua script (EVAL),
//   so a concurrent writer gets Conflict, never a lost update;
//   Fields of keys that vanished without statedeck (expired, evicted,
//   deleted by another client) are dropped by a bounded sweep (HSCAN of
//   100 fields after each put or remove, 1000 after each putBatch, its
//   cursor in `__statedeck:sweep`), pipelined behind the write. Reads never
//   write: list, get and watch read values with EVAL_RO scripts (EVAL on
//   servers before 7.0), and a watch changes the server's
//   notify-keyspace-events only when flags it needs are missing.
// - TTL: label `ttl` holds the remaining time to live in milliseconds on
//   read; a put with label `ttl` sets it (PX), `ttl` = 0 removes it (like
//   PERSIST), and a put without the label keeps the key's TTL (KEEPTTL);
// - locks: `__statedeck:lock:<name>` set with `SET key token NX PX ttl`
//   (in a script that also INCRs `__statedeck:fence:<name>`, the fencing
//   token); unlock and renew() check the token in a script.
// Keys starting with `__statedeck:` are reserved: hidden from listings and
// watches, refused by put.
//
// list() uses SCAN cursor MATCH prefix* COUNT (never KEYS). A page cursor is
// "<scan cursor>/<skip>": the SCAN batch the page stopped in and how many of
// its (sorted, deduplicated) keys were already returned, so pages hold at
// most `limit` entries. Redis's SCAN returns every key present for the whole
// iteration at least once; it may return one twice only when the key table
// shrinks between pages (then a key can appear on two pages). Within a page
// keys are deduplicated. Values of a page are read with pipelined scripts.
//
// watch() subscribes (own connection) to keyspace notifications after
// `CONFIG SET notify-keyspace-events KA`; if the server refuses CONFIG, it
// polls every second instead (a full listing of the prefix, diffed). There
// is no history: a non-empty fromRevision, and every reconnect, give Resync,
// Added for all current keys, ResyncDone.
class RedisProvider : public Provider {
    Q_OBJECT
public:
    static constexpr const char *kReservedPrefix = "__statedeck:";

    explicit RedisProvider(redis::ConnectionOptions options, QObject *parent = nullptr);
    ~RedisProvider() override;

    QString scheme() const override;
    QString describe() const override;
    Capabilities capabilities() const override;

    QFuture<Result<ListPage>> list(const ListOptions &options) override;
    QFuture<Result<Entry>> get(const QString &key) override;
    QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre) override;
    QFuture<Status> remove(const QString &key, const Precondition &pre) override;
    // The put script over up to 256 items (4 MiB) per EVAL, all calls sent
    // back to back without waiting (pipelined). Each item takes its own
    // revision from the counter, as put() does. No limit per call.
    QFuture<BatchResult> putBatch(const QList<BatchItem> &items) override;
    std::unique_ptr<Watch> watch(const QString &prefix, const QString &fromRevision) override;
    QFuture<Result<Lock>> lock(const QString &name, std::chrono::milliseconds ttl) override;
    QFuture<Status> unlock(const Lock &lock) override;
    // Pushes the expiry of a held lock to now + ttl; fails if it is no longer
    // held by this token.
    QFuture<Result<Lock>> renew(const Lock &lock, std::chrono::milliseconds ttl) override;

private:
    struct ScanAhead;
    redis::ConnectionOptions m_options;
    redis::Connection *m_conn;
    // The SCAN batch after the last page handed out, asked for while that
    // page went to the caller (RedisProvider.cpp).
    std::shared_ptr<ScanAhead> m_ahead;
};

namespace redis {
// Shared by the provider and its watches (RedisProvider.cpp).
bool isReservedKey(const QByteArray &key);
QByteArray globEscape(const QByteArray &s);
// Reads the given keys with pipelined scripts; entries of keys that vanished
// meanwhile are left out. Order is kept.
void fetchEntries(Connection *conn, const QList<QByteArray> &keys, bool withValue,
                  std::function<void(Result<QList<Entry>>)> done);
// Every key under `prefix` (SCAN to the end), sorted and deduplicated.
void scanAll(Connection *conn, const QByteArray &prefix, std::function<void(Result<QList<QByteArray>>)> done);
} // namespace redis

} // namespace sd
