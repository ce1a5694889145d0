// Increments {"n": N} under a key TIMES times with read-modify-compare-and-
// swap, retrying lost races. Two of these running at once against one store
// must end at exactly the sum: that is the provider's CAS proven across
// processes.
//   sd-incrementer BACKEND KEY TIMES [option=value ...]
#include "providers/Backends.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTest>

#include <cstdio>

using namespace sd;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 4) {
        std::fprintf(stderr, "usage: sd-incrementer BACKEND KEY TIMES [option=value ...]\n");
        return 2;
    }
    auto opened = openProvider(StoreSpec::fromOptionWords(args.at(1), args.mid(4)));
    if (!opened.ok()) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return 1;
    }
    std::unique_ptr<Provider> provider = std::move(opened).value();
    const QString key = args.at(2);
    const int times = args.at(3).toInt();
    auto wait = [](auto future) {
        using R = decltype(future.result());
        if (!QTest::qWaitFor([&] { return future.isFinished(); }, 30000))
            return R(Error(ErrorKind::Timeout, QStringLiteral("no answer within 30 s")));
        return future.result();
    };
    QElapsedTimer budget;
    budget.start();
    for (int done = 0; done < times;) {
        if (budget.elapsed() > 120000) {
            std::fprintf(stderr, "gave up after 120 s with %d of %d increments\n", done, times);
            return 1;
        }
        Result<Entry> current = wait(provider->get(key));
        Entry next;
        Precondition pre;
        if (current.ok()) {
            next = current.value();
            next.raw.clear();
            next.value["n"] = next.value.value("n", 0) + 1;
            pre = Precondition::atRevision(next.revision);
        } else if (current.error().kind == ErrorKind::NotFound) {
            next.key = key;
            next.value = Json{{"n", 1}};
            pre = Precondition::mustNotExist();
        } else {
            std::fprintf(stderr, "get: %s\n", qPrintable(current.error().toString()));
            return 1;
        }
        Result<Entry> written = wait(provider->put(next, pre));
        if (written.ok()) {
            ++done;
            continue;
        }
        const ErrorKind k = written.error().kind;
        if (k != ErrorKind::Conflict && k != ErrorKind::AlreadyExists && k != ErrorKind::Busy) {
            std::fprintf(stderr, "put: %s\n", qPrintable(written.error().toString()));
            return 1;
        }
    }
    return 0;
}
