#include "transfer/Exporter.h"

#include "providers/Provider.h"
#include "transfer/EntrySource.h"
#include "transfer/Fetch.h"
#include "snapshot/SnapshotCipher.h"
#include "util/Async.h"

namespace sd {
namespace {
// Pages handed to the writer and not yet written: the bound on memory.
constexpr int kMaxWritesInFlight = 2;
} // namespace

struct Exporter::State {
    std::unique_ptr<SnapshotWriter> writer;
};

Exporter::Exporter(Provider *source, ExportOptions options, QObject *parent)
    : QObject(parent), m_source(source), m_options(std::move(options)), m_state(std::make_shared<State>()),
      m_worker(std::make_unique<SerialWorker>())
{
}

Exporter::~Exporter()
{
    m_cancelled = true;
    m_worker->waitForIdle();
}

QFuture<Result<SnapshotSummary>> Exporter::run()
{
    m_promise.start();
    SnapshotManifest manifest;
    manifest.source = m_source->describe();
    manifest.sourceScheme = m_source->scheme();
    manifest.prefix = m_options.prefix;
    manifest.created = QDateTime::currentDateTimeUtc();
    manifest.keySeparator = m_source->capabilities().keySeparator;
    manifest.sensitive = m_source->capabilities().sensitive;
    QByteArray passphrase = m_options.passphrase;
    m_options.passphrase.fill('\0');
    m_options.passphrase.clear();
    const int iterations = m_options.iterations > 0 ? m_options.iterations : SnapshotCipher::kDefaultIterations;
    auto st = m_state;
    const QString path = m_options.path;
    // Open on the worker: deriving the key takes a noticeable time.
    m_worker->run([st, manifest, passphrase, iterations, path]() mutable -> Status {
        std::shared_ptr<const SnapshotCipher> cipher;
        if (!passphrase.isEmpty()) {
            auto key = newSnapshotKey(passphrase, iterations);
            passphrase.fill('\0');
            if (!key.ok())
                return key.error();
            cipher = key->cipher;
            manifest.encryption = key->encryption;
        }
        auto writer = SnapshotWriter::create(path, manifest, cipher);
        if (!writer.ok())
            return writer.error();
        st->writer = std::move(writer).value();
        return {};
    }).then(this, [this](Status opened) {
        if (!opened.ok())
            return fail(opened.error());
        countKeys(m_source, this, m_options.prefix).then(this, [this](Result<qint64> n) {
            if (n.ok())
                m_meter.setTotal(n.value());
        });
        listNext();
    });
    return m_promise.future();
}

void Exporter::cancel()
{
    m_cancelled = true;
}

void Exporter::listNext()
{
    if (m_finished || m_listing || m_listedAll || m_writesInFlight >= kMaxWritesInFlight)
        return;
    if (m_cancelled)
        return fail(Error(ErrorKind::Cancelled, QStringLiteral("cancelled"), m_options.path));
    m_listing = true;
    ListOptions options;
    options.prefix = m_options.prefix;
    options.cursor = m_cursor;
    options.limit = m_limit;
    m_source->list(options).then(this, [this](Result<ListPage> page) {
        m_listing = false;
        if (m_finished)
            return;
        if (m_cancelled)
            return fail(Error(ErrorKind::Cancelled, QStringLiteral("cancelled"), m_options.path));
        if (!page.ok())
            return fail(page.error());
        qint64 bytes = 0;
        for (const Entry &e : std::as_const(page->entries)) {
            // A snapshot holding null where the store has a value it cannot
            // read would restore as data loss: the export stops instead.
            if (const QString problem = e.labels.value(QStringLiteral("error")); !problem.isEmpty())
                return fail(Error(ErrorKind::Invalid,
                                  QStringLiteral("the store cannot read this value (%1); fix or remove it, or export "
                                                 "a prefix that leaves it out")
                                      .arg(problem),
                                  e.key));
            bytes += entryBytes(e);
        }
        m_limit = nextPageLimit(m_limit, bytes, page->entries.size());
        m_cursor = page->nextCursor;
        m_listedAll = m_cursor.isEmpty();
        m_listed += page->entries.size();
        writePage(std::move(page->entries), m_listedAll);
        listNext();
    });
}

void Exporter::writePage(QList<Entry> entries, bool last)
{
    ++m_writesInFlight;
    auto st = m_state;
    const qint64 n = entries.size();
    m_worker
        ->run([st, entries = std::move(entries)]() -> Result<qint64> {
            if (Status s = st->writer->append(entries); !s.ok())
                return s.error();
            return st->writer->bytes();
        })
        .then(this, [this, n, last, st](Result<qint64> written) {
            --m_writesInFlight;
            if (m_finished)
                return;
            if (!written.ok())
                return fail(written.error());
            m_written += n;
            Q_EMIT progress(m_meter.update(m_written, written.value()));
            if (m_cancelled)
                return fail(Error(ErrorKind::Cancelled, QStringLiteral("cancelled"), m_options.path));
            if (!last)
                return listNext();
            m_worker->run([st]() { return st->writer->commit(); }).then(this, [this](Result<SnapshotSummary> done) {
                if (!done.ok())
                    return fail(done.error());
                succeed(done.value());
            });
        });
}

void Exporter::fail(const Error &e)
{
    if (m_finished)
        return;
    m_finished = true;
    auto st = m_state;
    // Remove the temporary file after every queued write has run.
    m_worker->run([st] {
        if (st->writer)
            st->writer->abandon();
    }).then(this, [this, e] {
        m_promise.addResult(Result<SnapshotSummary>(e));
        m_promise.finish();
    });
}

void Exporter::succeed(const SnapshotSummary &s)
{
    m_finished = true;
    m_promise.addResult(Result<SnapshotSummary>(s));
    m_promise.finish();
}

} // namespace sd
