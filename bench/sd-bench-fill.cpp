// Writes COUNT small JSON entries through a provider, all requests in flight
// at once (the provider's own queue orders them), and prints the rate.
//   sd-bench-fill BACKEND COUNT [option=value ...] [--prefix P]
#include "providers/Backends.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFutureSynchronizer>

#include <cstdio>

using namespace sd;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    QString prefix = QStringLiteral("bench/");
    if (const qsizetype i = args.indexOf(QStringLiteral("--prefix")); i > 0 && i + 1 < args.size()) {
        prefix = args.at(i + 1);
        args.remove(i, 2);
    }
    if (args.size() < 3) {
        std::fprintf(stderr, "usage: sd-bench-fill BACKEND COUNT [option=value ...] [--prefix P]\n");
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
    QElapsedTimer timer;
    timer.start();
    QList<QFuture<Result<Entry>>> pending;
    pending.reserve(count);
    for (int i = 0; i < count; ++i) {
        Entry e;
        e.key = prefix + QStringLiteral("%1").arg(i, 8, 10, QLatin1Char('0'));
        e.value = Json{{"id", i}, {"name", "entry-" + std::to_string(i)}, {"enabled", i % 2 == 0}};
        pending << provider->put(e, {});
    }
    int failures = 0;
    for (auto &f : pending) {
        f.waitForFinished();
        if (!f.result().ok() && failures++ == 0)
            std::fprintf(stderr, "first failure: %s\n", qPrintable(f.result().error().toString()));
    }
    const double secs = double(timer.nsecsElapsed()) / 1e9;
    std::printf("%d puts in %.2f s: %.0f puts/s (%d failed)\n", count, secs, count / secs, failures);
    return failures ? 1 : 0;
}
