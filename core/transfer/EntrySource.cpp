#include "transfer/EntrySource.h"

#include "model/Codec.h"
#include "providers/Provider.h"
#include "transfer/SnapshotReader.h"
#include "util/Async.h"

namespace sd {
int nextPageLimit(int current, qint64 pageBytes, qsizetype entries)
{
    if (entries <= 0)
        return current;
    const qint64 perEntry = std::max<qint64>(64, pageBytes / entries);
    const qint64 fit = kPageBytes / perEntry;
    return int(std::clamp<qint64>(std::min<qint64>(fit, qint64(current) * 8), 1, kMaxPageEntries));
}

qint64 entryBytes(const Entry &e)
{
    if (!e.raw.isNull())
        return e.raw.size() + e.key.size();
    if (e.value.is_string())
        return qint64(e.value.get_ref<const std::string &>().size()) + e.key.size();
    if (!e.value.is_structured())
        return 16 + e.key.size();
    return compactJson(e.value).size() + e.key.size();
}

// ---- ProviderSource ---------------------------------------------------------

ProviderSource::ProviderSource(Provider *provider, QObject *context, QString prefix, QString startCursor)
    : m_provider(provider), m_context(context), m_prefix(std::move(prefix)), m_cursor(std::move(startCursor))
{
}

QString ProviderSource::keySeparator() const
{
    return m_provider ? m_provider->capabilities().keySeparator : QString();
}

QFuture<Result<SourcePage>> ProviderSource::next()
{
    if (!m_provider)
        return readyFuture(Result<SourcePage>(Error(ErrorKind::Cancelled, QStringLiteral("the store went away"))));
    ListOptions options;
    options.prefix = m_prefix;
    options.cursor = m_cursor;
    options.limit = m_limit;
    const bool resuming = m_first && !m_cursor.isEmpty();
    m_first = false;
    return m_provider->list(options).then(m_context, [this, resuming](Result<ListPage> page) -> QFuture<Result<SourcePage>> {
        if (!page.ok()) {
            if (resuming) {
                // The saved cursor no longer works: start over (see above).
                m_restarted = true;
                m_cursor.clear();
                return next();
            }
            return readyFuture(Result<SourcePage>(page.error()));
        }
        SourcePage out;
        out.entries = std::move(page->entries);
        out.cursor = page->nextCursor;
        out.last = page->nextCursor.isEmpty();
        m_cursor = page->nextCursor;
        qint64 bytes = 0;
        for (const Entry &e : std::as_const(out.entries))
            bytes += entryBytes(e);
        m_limit = nextPageLimit(m_limit, bytes, out.entries.size());
        return readyFuture(Result<SourcePage>(std::move(out)));
    }).unwrap();
}

// ---- SnapshotSource ---------------------------------------------------------

struct SnapshotSource::State {
    QString path;
    std::shared_ptr<const SnapshotCipher> cipher;
    QString expectedSha;
    std::unique_ptr<SnapshotReader> reader;
    bool ended = false;
};

SnapshotSource::SnapshotSource(QString path, std::shared_ptr<const SnapshotCipher> cipher, QString expectedSha256,
                               QString keySeparator)
    : m_state(std::make_shared<State>()), m_worker(std::make_unique<SerialWorker>()),
      m_separator(std::move(keySeparator))
{
    m_state->path = std::move(path);
    m_state->cipher = std::move(cipher);
    m_state->expectedSha = std::move(expectedSha256);
}

SnapshotSource::~SnapshotSource()
{
    m_worker->waitForIdle();
}

QFuture<Result<SourcePage>> SnapshotSource::next()
{
    auto st = m_state;
    return m_worker->run([st]() -> Result<SourcePage> {
        if (!st->reader) {
            auto reader = SnapshotReader::open(st->path);
            if (!reader.ok())
                return reader.error();
            st->reader = std::move(reader).value();
            if (Status s = st->reader->setCipher(st->cipher); !s.ok())
                return s.error();
        }
        SourcePage page;
        qint64 bytes = 0;
        while (page.entries.size() < kMaxPageEntries && bytes < kPageBytes) {
            auto next = st->reader->next();
            if (!next.ok())
                return next.error();
            if (!next.value()) {
                if (!st->expectedSha.isEmpty() && st->reader->sha256() != st->expectedSha)
                    return Error(ErrorKind::Invalid,
                                 QStringLiteral("the snapshot changed while it was being imported (its SHA-256 is "
                                                "no longer the one checked first)"),
                                 st->path);
                page.last = true;
                break;
            }
            bytes += entryBytes(*next.value());
            page.entries << std::move(*next.value());
        }
        page.cursor = page.last ? QString() : QString::number(st->reader->line());
        page.bytes = st->reader->position();
        return page;
    });
}

} // namespace sd
