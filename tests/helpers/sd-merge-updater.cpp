// Applies TIMES merge patches {"<ID>-<j>": j} to one key through
// StateStore::update (read, merge, compare-and-swap, retry on a lost race).
// Many of these at once against one store must leave every field in place:
// that is issue 4's contention test.
//   sd-merge-updater BACKEND KEY ID TIMES [option=value ...]
#include "providers/Backends.h"
#include "store/StateStore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTest>

#include <cstdio>

using namespace sd;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 5) {
        std::fprintf(stderr, "usage: sd-merge-updater BACKEND KEY ID TIMES [option=value ...]\n");
        return 2;
    }
    StoreSpec spec;
    spec.backend = args.at(1);
    for (const QString &kv : args.mid(5))
        spec.options.insert(kv.section(QLatin1Char('='), 0, 0), kv.section(QLatin1Char('='), 1));
    auto opened = openProvider(spec);
    if (!opened.ok()) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return 1;
    }
    StoreOptions options;
    options.cache = false;         // every update reads the store itself
    options.maxUpdateAttempts = 1000; // 16 writers on one key lose many races
    StateStore store(std::move(opened).value(), options);
    const QString key = args.at(2);
    const QString id = args.at(3);
    const int times = args.at(4).toInt();
    for (int j = 0; j < times; ++j) {
        auto future = store.update(key, Json{{QString(id + QLatin1Char('-') + QString::number(j)).toStdString(), j}});
        if (!QTest::qWaitFor([&] { return future.isFinished(); }, 60000)) {
            std::fprintf(stderr, "update %d: no answer within 60 s\n", j);
            return 1;
        }
        const Result<Entry> r = future.result();
        if (!r.ok()) {
            std::fprintf(stderr, "update %d: %s\n", j, qPrintable(r.error().toString()));
            return 1;
        }
    }
    return 0;
}
