#pragma once

#include "model/Entry.h"
#include "model/Result.h"

#include <QFuture>
#include <QHash>
#include <QPointer>

namespace sd {

class Provider;

// Looks up many keys of a store in the order a source lists them, reading
// the store's own listing alongside instead of one get() per key when it
// can. Stores that list in byte order of keys (SQLite, etcd, yaml, local)
// then answer a page of lookups with about one page of listing: a verify or
// dry run of 100k keys against etcd costs 50 range reads, not 100k.
//
// It is never wrong, only slower, when the orders differ (Redis lists in
// SCAN order; a key translation can reorder): keys the listing has not
// produced (when it has read past them, or holds as many entries as it may)
// are read with get(), which is authoritative. Memory is bounded: at most
// 20,000 listed entries or 64 MiB are held; entries that sort before every
// key still asked for are dropped first.
//
// Answers come from a listing, so they can be older than a get() made now:
// use it for checks and comparisons, not to take a revision for a write.
class TargetLookup {
public:
    TargetLookup(Provider *store, QObject *context, QString prefix);

    // One call at a time. Answers in key order: the entry, NotFound, or the
    // store's error.
    QFuture<QList<Result<Entry>>> lookup(const QStringList &keys);

    // How many keys were answered from the listing, and by get().
    qint64 fromListing() const { return m_fromListing; }
    qint64 fromGets() const { return m_fromGets; }

private:
    struct Request;
    void step(std::shared_ptr<Request> r);
    void claim(Request &r);
    bool shouldRead(const Request &r) const;
    void evict(const Request &r);

    QPointer<Provider> m_store;
    QObject *m_context;
    QString m_prefix;
    QString m_cursor;
    bool m_exhausted = false;
    QHash<QString, Entry> m_window;
    qint64 m_windowBytes = 0;
    QByteArray m_lastListed; // UTF-8 of the last key the listing produced
    qint64 m_fromListing = 0;
    qint64 m_fromGets = 0;
};

} // namespace sd
