#include "transfer/Fetch.h"

#include "util/ReentrantPump.h"

#include <QPointer>

namespace sd {
namespace {

struct FetchRun : std::enable_shared_from_this<FetchRun> {
    QPointer<Provider> provider;
    QObject *context = nullptr;
    QStringList keys;
    QList<Result<Entry>> results;
    QPromise<QList<Result<Entry>>> promise;
    qsizetype next = 0;
    qsizetype answered = 0;
    int inFlight = 0;
    int window = 64;
    ReentrantPump pumping;

    void pump()
    {
        const bool outermost = pumping.run([this] {
            while (provider && inFlight < window && next < keys.size()) {
                const qsizetype i = next++;
                ++inFlight;
                provider->get(keys[i]).then(context, [self = shared_from_this(), i](Result<Entry> r) {
                    --self->inFlight;
                    self->results[i] = std::move(r);
                    ++self->answered;
                    self->pump();
                });
            }
            if (!provider) {
                // The store is gone: what was not asked fails.
                for (; next < keys.size(); ++next, ++answered)
                    results[next] = Error(ErrorKind::Cancelled, QStringLiteral("the store went away"), keys[next]);
            }
        });
        if (outermost && answered == keys.size() && !promise.future().isFinished()) {
            promise.addResult(std::move(results));
            promise.finish();
        }
    }
};

} // namespace

QFuture<QList<Result<Entry>>> fetchAll(Provider *provider, QObject *context, const QStringList &keys, int window)
{
    auto run = std::make_shared<FetchRun>();
    run->provider = provider;
    run->context = context;
    run->keys = keys;
    run->window = std::max(1, window);
    run->results.resize(keys.size());
    run->promise.start();
    QFuture<QList<Result<Entry>>> future = run->promise.future();
    run->pump();
    return future;
}

QFuture<QList<Result<Entry>>> writeAll(Provider *provider, QObject *context, const QList<BatchItem> &items)
{
    const int max = provider->maxBatchSize();
    QList<QFuture<BatchResult>> calls;
    if (max <= 0 || items.size() <= max) {
        if (!items.isEmpty())
            calls << provider->putBatch(items);
    } else {
        for (qsizetype i = 0; i < items.size(); i += max)
            calls << provider->putBatch(items.mid(i, max));
    }
    return gatherAll(context, calls).then(context, [](const QList<BatchResult> &answers) {
        QList<Result<Entry>> out;
        for (const BatchResult &b : answers)
            out += b.results;
        return out;
    });
}

QFuture<Result<qint64>> countKeys(Provider *provider, QObject *context, const QString &prefix)
{
    struct Count : std::enable_shared_from_this<Count> {
        QPointer<Provider> provider;
        QObject *context = nullptr;
        ListOptions options;
        qint64 n = 0;
        QPromise<Result<qint64>> promise;
        void step()
        {
            if (!provider) {
                promise.addResult(Error(ErrorKind::Cancelled, QStringLiteral("the store went away")));
                promise.finish();
                return;
            }
            provider->list(options).then(context, [self = shared_from_this()](Result<ListPage> page) {
                if (!page.ok()) {
                    self->promise.addResult(page.error());
                    self->promise.finish();
                    return;
                }
                self->n += page->entries.size();
                if (page->nextCursor.isEmpty()) {
                    self->promise.addResult(self->n);
                    self->promise.finish();
                    return;
                }
                self->options.cursor = page->nextCursor;
                self->step();
            });
        }
    };
    auto c = std::make_shared<Count>();
    c->provider = provider;
    c->context = context;
    c->options.prefix = prefix;
    c->options.keysOnly = true;
    c->options.namesOnly = true;
    c->options.limit = 5000;
    c->promise.start();
    QFuture<Result<qint64>> f = c->promise.future();
    c->step();
    return f;
}

} // namespace sd
