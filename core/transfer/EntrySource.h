#pragma once

#include "model/Entry.h"
#include "model/Result.h"

#include <QFuture>
#include <QPointer>

#include <memory>

namespace sd {

class Provider;
class SerialWorker;
class SnapshotCipher;

// Listing pages are sized by bytes as well as entries, so memory does not
// grow with the size of the values: the first page is tiny (a store of
// 1 MiB values must not hand over hundreds of MiB at once), and each next
// one aims at kPageBytes of values, growing at most eightfold a page, up to
// kMaxPageEntries (small entries reach full pages after four).
constexpr int kFirstPageEntries = 2;
constexpr qint64 kPageBytes = 2 * 1024 * 1024;
constexpr int kMaxPageEntries = 2000;
int nextPageLimit(int current, qint64 pageBytes, qsizetype entries);

// A page of entries an import or migration reads.
struct SourcePage {
    QList<Entry> entries;
    // Where reading resumes after this page (a provider's list cursor);
    // empty on the last page.
    QString cursor;
    bool last = false;
    qint64 bytes = 0; // of a snapshot file: how far reading has got
};

// Where entries come from: a store's listing or a snapshot file. Pages are
// bounded in bytes as well as in entries, so memory does not grow with
// the size of the values.
class EntrySource {
public:
    virtual ~EntrySource() = default;
    // The next page; not called again before the previous future finished.
    virtual QFuture<Result<SourcePage>> next() = 0;
    // The source's key form (Capabilities::keySeparator, or the manifest's).
    virtual QString keySeparator() const = 0;
};

// A store's listing under a prefix, page by page, from a cursor (a
// checkpoint's) or the start. The page size adapts to about 2 MiB of
// values. If the store refuses a resume cursor (an expired Kubernetes
// continue token), the listing starts over: keys already copied are then
// found unchanged, so nothing is written twice.
class ProviderSource : public EntrySource {
public:
    ProviderSource(Provider *provider, QObject *context, QString prefix, QString startCursor = QString());
    QFuture<Result<SourcePage>> next() override;
    QString keySeparator() const override;
    bool restartedListing() const { return m_restarted; }

private:
    QPointer<Provider> m_provider;
    QObject *m_context;
    QString m_prefix;
    QString m_cursor;
    int m_limit = kFirstPageEntries;
    bool m_first = true;
    bool m_restarted = false;
};

// A snapshot read on a worker thread, after verifySnapshot() checked it.
// The write pass checks everything again as it goes (a file changed between
// the passes is an error, not a partial import of the new content).
class SnapshotSource : public EntrySource {
public:
    SnapshotSource(QString path, std::shared_ptr<const SnapshotCipher> cipher, QString expectedSha256,
                   QString keySeparator);
    ~SnapshotSource() override;
    QFuture<Result<SourcePage>> next() override;
    QString keySeparator() const override { return m_separator; }

private:
    struct State;
    std::shared_ptr<State> m_state;
    std::unique_ptr<SerialWorker> m_worker;
    QString m_separator;
};

// An approximate size of an entry's value, for page sizing.
qint64 entryBytes(const Entry &e);



} // namespace sd
