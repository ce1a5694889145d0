// Started by tst_local_provider_processes: increments {"count": n} at one key
// of a `local` store `count` times, each as get + put at the revision read,
// retrying when another process got there first. Several of these running
// at once must end with every increment counted.
//
// Usage: local_cas_increment <statePath> <keysPath or ""> <key> <count>
// Prints "ok <conflicts>" and exits 0, or prints the error and exits 1.

#include "providers/local/LocalProvider.h"

#include <QCoreApplication>

#include <cstdio>

using namespace sd;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 5) {
        std::fprintf(stderr, "usage: local_cas_increment <statePath> <keysPath> <key> <count>\n");
        return 2;
    }
    LocalProvider store({args[1], args[2]});
    const QString key = args[3];
    const int count = args[4].toInt();
    int conflicts = 0;
    for (int i = 0; i < count; ++i) {
        bool done = false;
        for (int attempt = 0; attempt < 10000 && !done; ++attempt) {
            // Blocking on the futures is fine in a helper without a UI.
            Result<Entry> got = store.get(key).result();
            Entry next;
            Precondition pre;
            if (got.ok()) {
                next = got.value();
                pre = Precondition::atRevision(got->revision);
            } else if (got.error().kind == ErrorKind::NotFound) {
                next.key = key;
                next.value = Json::object({{"count", 0}});
                pre = Precondition::mustNotExist();
            } else {
                std::fprintf(stderr, "%s\n", qPrintable(got.error().toString()));
                return 1;
            }
            next.value["count"] = next.value.value("count", 0) + 1;
            Result<Entry> put = store.put(next, pre).result();
            if (put.ok()) {
                done = true;
            } else if (put.error().kind == ErrorKind::Conflict || put.error().kind == ErrorKind::AlreadyExists) {
                ++conflicts;
            } else {
                std::fprintf(stderr, "%s\n", qPrintable(put.error().toString()));
                return 1;
            }
        }
        if (!done) {
            std::fprintf(stderr, "gave up after 10000 conflicts in a row\n");
            return 1;
        }
    }
    std::printf("ok %d\n", conflicts);
    return 0;
}
