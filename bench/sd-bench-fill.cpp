// Writes COUNT small JSON entries through a provider and prints the rate.
//   sd-bench-fill BACKEND COUNT [option=value ...] [--prefix P] [--batch N] [--window N]
// Without --batch: one put() per entry, at most --window (default 256) in
// flight. With --batch N: putBatch() calls of N
// entries (at most the backend's maxBatchSize()), a few calls in flight at
// once, as an import would write.
#include "providers/Backends.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QTimer>

#include <cstdio>

using namespace sd;

namespace {

// Batch calls in flight at once: enough to keep a network backend busy
// while the previous answer travels back.
constexpr int kBatchesInFlight = 8;

Entry benchEntry(const QString &prefix, int i)
{
    Entry e;
    e.key = prefix + QStringLiteral("%1").arg(i, 8, 10, QLatin1Char('0'));
    e.value = Json{{"id", i}, {"name", "entry-" + std::to_string(i)}, {"enabled", i % 2 == 0}};
    return e;
}

QString takeOption(QStringList &args, const QString &name, const QString &fallback)
{
    const qsizetype i = args.indexOf(name);
    if (i <= 0 || i + 1 >= args.size())
        return fallback;
    const QString value = args.at(i + 1);
    args.remove(i, 2);
    return value;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    const QString prefix = takeOption(args, QStringLiteral("--prefix"), QStringLiteral("bench/"));
    int batch = takeOption(args, QStringLiteral("--batch"), QStringLiteral("0")).toInt();
    const int window = qMax(1, takeOption(args, QStringLiteral("--window"), QStringLiteral("256")).toInt());
    if (args.size() < 3 || batch < 0) {
        std::fprintf(stderr, "usage: sd-bench-fill BACKEND COUNT [option=value ...] [--prefix P] [--batch N] [--window N]\n");
        return 2;
    }
    const StoreSpec spec = StoreSpec::fromOptionWords(args.at(1), args.mid(3));
    const int count = args.at(2).toInt();
    auto opened = openProvider(spec);
    if (!opened.ok()) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return 1;
    }
    std::unique_ptr<Provider> provider = std::move(opened).value();
    if (batch > 0 && provider->maxBatchSize() > 0)
        batch = std::min(batch, provider->maxBatchSize());

    // Everything finishes on the event loop: network providers need it.
    int failures = 0;
    int answered = 0;
    auto failure = [&](const Error &e) {
        if (failures++ == 0)
            std::fprintf(stderr, "first failure: %s\n", qPrintable(e.toString()));
    };
    // Out here: the callbacks run later, in app.exec().
    int next = 0;
    std::function<void()> sendOne;
    QElapsedTimer timer;
    timer.start();
    if (batch == 0) {
        // A bounded window of puts in flight: all 100k at once would sit in
        // the provider's queue (etcd: past their request timeout).
        sendOne = [&] {
            if (next >= count)
                return;
            auto *w = new QFutureWatcher<Result<Entry>>(&app);
            QObject::connect(w, &QFutureWatcherBase::finished, &app, [&, w] {
                if (w->isCanceled() || !w->result().ok())
                    failure(w->isCanceled() ? Error(ErrorKind::Cancelled, QStringLiteral("cancelled"))
                                            : w->result().error());
                w->deleteLater();
                if (++answered == count)
                    app.quit();
                else
                    sendOne();
            });
            w->setFuture(provider->put(benchEntry(prefix, next++), {}));
        };
        for (int i = 0; i < window; ++i)
            sendOne();
    } else {
        sendOne = [&] {
            if (next >= count)
                return;
            QList<BatchItem> items;
            const int end = std::min(count, next + batch);
            for (; next < end; ++next)
                items << BatchItem{benchEntry(prefix, next), {}};
            auto *w = new QFutureWatcher<BatchResult>(&app);
            QObject::connect(w, &QFutureWatcherBase::finished, &app, [&, w] {
                const BatchResult r = w->isCanceled() ? BatchResult() : w->result();
                for (const Result<Entry> &one : r.results)
                    if (!one.ok())
                        failure(one.error());
                answered += int(r.results.size());
                w->deleteLater();
                if (answered >= count || r.results.isEmpty())
                    app.quit();
                else
                    sendOne();
            });
            w->setFuture(provider->putBatch(items));
        };
        for (int i = 0; i < kBatchesInFlight; ++i)
            sendOne();
    }
    if (count > 0)
        app.exec();
    const double secs = double(timer.nsecsElapsed()) / 1e9;
    if (answered < count)
        failures += count - answered;
    std::printf("%d %s in %.2f s: %.0f entries/s (%d failed)\n", count,
                batch ? qPrintable(QStringLiteral("entries in batches of %1").arg(batch)) : "puts", secs, count / secs,
                failures);
    return failures ? 1 : 0;
}
