// Started (and killed with SIGKILL) by tst_local_provider_crash: writes a
// large value to one key of a `local` store, generation after generation,
// until it is killed. Each generation's content is derived from its number,
// so a reader can tell a complete generation from a torn one.
//
// Usage: local_crash_writer <statePath> <key> <bytes>
// Prints "begin <g>" before and "done <g>" after writing generation g. It
// continues from the generation it finds, so generations only grow.

#include "providers/local/LocalProvider.h"

#include <QCoreApplication>

#include <cstdio>

using namespace sd;

// Shared with the test: the payload generation g must carry.
static std::string payload(qint64 generation, qsizetype bytes)
{
    const std::string unit = "generation " + std::to_string(generation) + "; ";
    std::string out;
    out.reserve(size_t(bytes) + unit.size());
    while (qsizetype(out.size()) < bytes)
        out += unit;
    out.resize(size_t(bytes));
    return out;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 4) {
        std::fprintf(stderr, "usage: local_crash_writer <statePath> <key> <bytes>\n");
        return 2;
    }
    LocalProvider store({args[1], QString()});
    const QString key = args[2];
    const qsizetype bytes = args[3].toLongLong();

    qint64 generation = 0;
    Result<Entry> current = store.get(key).result();
    if (current.ok())
        generation = current->value.value("generation", qint64(0));
    else if (current.error().kind != ErrorKind::NotFound) {
        std::fprintf(stderr, "%s\n", qPrintable(current.error().toString()));
        return 1;
    }
    for (;;) {
        ++generation;
        Entry e;
        e.key = key;
        e.value = Json::object();
        e.value["generation"] = generation;
        e.value["payload"] = payload(generation, bytes);
        e.value["check"] = generation;
        std::printf("begin %lld\n", static_cast<long long>(generation));
        std::fflush(stdout);
        Result<Entry> put = store.put(e, Precondition::none()).result();
        if (!put.ok()) {
            std::fprintf(stderr, "%s\n", qPrintable(put.error().toString()));
            return 1;
        }
        std::printf("done %lld\n", static_cast<long long>(generation));
        std::fflush(stdout);
    }
}
