// Takes a lock and then holds it until killed, never unlocking: the contract
// test kills it with SIGKILL to play a lock holder that dies.
//   sd-lock-holder BACKEND NAME TTL_MS [option=value ...]
// Prints "held <fencing token>" on stdout once the lock is held.
#include "providers/Backends.h"

#include <QCoreApplication>
#include <QTest>

#include <chrono>
#include <cstdio>

using namespace sd;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 4) {
        std::fprintf(stderr, "usage: sd-lock-holder BACKEND NAME TTL_MS [option=value ...]\n");
        return 2;
    }
    StoreSpec spec;
    spec.backend = args.at(1);
    for (const QString &kv : args.mid(4))
        spec.options.insert(kv.section(QLatin1Char('='), 0, 0), kv.section(QLatin1Char('='), 1));
    auto opened = openProvider(spec);
    if (!opened.ok()) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return 1;
    }
    std::unique_ptr<Provider> provider = std::move(opened).value();
    auto future = provider->lock(args.at(2), std::chrono::milliseconds(args.at(3).toLongLong()));
    if (!QTest::qWaitFor([&] { return future.isFinished(); }, 30000)) {
        std::fprintf(stderr, "lock: no answer within 30 s\n");
        return 1;
    }
    const Result<Lock> held = future.result();
    if (!held.ok()) {
        std::fprintf(stderr, "lock: %s\n", qPrintable(held.error().toString()));
        return 1;
    }
    std::printf("held %llu\n", static_cast<unsigned long long>(held->fencingToken));
    std::fflush(stdout);
    // Keep the connection (and any session the backend ties to it) alive
    // until the test kills us; never longer than five minutes.
    QTest::qWait(300000);
    return 0;
}
