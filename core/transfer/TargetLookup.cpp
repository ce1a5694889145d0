#include "transfer/TargetLookup.h"

#include "providers/Provider.h"
#include "transfer/EntrySource.h"
#include "transfer/Fetch.h"

#include <QPromise>

namespace sd {
namespace {
constexpr qsizetype kMaxWindow = 20000;
constexpr qint64 kMaxWindowBytes = 64 * 1024 * 1024;
constexpr int kPage = 1000;
} // namespace

struct TargetLookup::Request {
    QStringList keys;
    QList<Result<Entry>> results;
    QList<qsizetype> remaining; // indexes not answered yet
    QByteArray minKey;          // UTF-8 bounds of the keys asked for
    QByteArray maxKey;
    QPromise<QList<Result<Entry>>> promise;
};

TargetLookup::TargetLookup(Provider *store, QObject *context, QString prefix)
    : m_store(store), m_context(context), m_prefix(std::move(prefix))
{
}

QFuture<QList<Result<Entry>>> TargetLookup::lookup(const QStringList &keys)
{
    auto r = std::make_shared<Request>();
    r->keys = keys;
    r->results.resize(keys.size());
    for (qsizetype i = 0; i < keys.size(); ++i) {
        r->remaining << i;
        const QByteArray k = keys[i].toUtf8();
        if (i == 0 || k < r->minKey)
            r->minKey = k;
        if (i == 0 || k > r->maxKey)
            r->maxKey = k;
    }
    r->promise.start();
    QFuture<QList<Result<Entry>>> f = r->promise.future();
    evict(*r);
    claim(*r);
    step(r);
    return f;
}

void TargetLookup::claim(Request &r)
{
    QList<qsizetype> still;
    for (qsizetype i : std::as_const(r.remaining)) {
        auto it = m_window.find(r.keys[i]);
        if (it == m_window.end()) {
            still << i;
            continue;
        }
        m_windowBytes -= entryBytes(it.value());
        r.results[i] = std::move(it.value());
        m_window.erase(it);
        ++m_fromListing;
    }
    r.remaining = std::move(still);
}

bool TargetLookup::shouldRead(const Request &r) const
{
    if (r.remaining.isEmpty() || m_exhausted || !m_store)
        return false;
    if (m_window.size() >= kMaxWindow || m_windowBytes >= kMaxWindowBytes)
        return false;
    // A listing in byte order that has gone past every key still asked for
    // will not produce them any more.
    return m_lastListed.isEmpty() || m_lastListed < r.maxKey;
}

void TargetLookup::evict(const Request &r)
{
    if (m_window.size() < kMaxWindow && m_windowBytes < kMaxWindowBytes)
        return;
    // Entries sorting before every key asked for now were skipped by a
    // source that lists in order: they will not be asked for again.
    for (auto it = m_window.begin(); it != m_window.end();) {
        if (it.key().toUtf8() < r.minKey) {
            m_windowBytes -= entryBytes(it.value());
            it = m_window.erase(it);
        } else {
            ++it;
        }
    }
}

void TargetLookup::step(std::shared_ptr<Request> r)
{
    if (shouldRead(*r)) {
        ListOptions o;
        o.prefix = m_prefix;
        o.cursor = m_cursor;
        o.limit = kPage;
        m_store->list(o).then(m_context, [this, r](Result<ListPage> page) {
            if (!page.ok()) {
                // The listing failed: get() answers instead (and reports
                // the store's error itself if it persists).
                m_exhausted = true;
                return step(r);
            }
            for (Entry &e : page->entries) {
                m_lastListed = e.key.toUtf8();
                m_windowBytes += entryBytes(e);
                m_window.insert(e.key, std::move(e));
            }
            m_cursor = page->nextCursor;
            m_exhausted = m_cursor.isEmpty();
            claim(*r);
            evict(*r);
            step(r);
        });
        return;
    }
    if (r->remaining.isEmpty()) {
        r->promise.addResult(std::move(r->results));
        r->promise.finish();
        return;
    }
    QStringList keys;
    for (qsizetype i : std::as_const(r->remaining))
        keys << r->keys[i];
    m_fromGets += keys.size();
    fetchAll(m_store, m_context, keys).then(m_context, [r](const QList<Result<Entry>> &found) {
        for (qsizetype j = 0; j < r->remaining.size(); ++j)
            r->results[r->remaining[j]] = found[j];
        r->promise.addResult(std::move(r->results));
        r->promise.finish();
    });
}

} // namespace sd
