// Started (and killed with SIGKILL) by tst_local_provider_crash: writes a
// large value to one key of a `local` store, generation after generation,
// until it is killed. Each generation's content is derived from its number,
// so a reader can tell a complete generation from a torn one.
//
// Usage: local_crash_writer <statePath> <key> <bytes> [die-at-temporary N]
// Prints "begin <g>" before and "done <g>" after writing generation g. It
// continues from the generation it finds, so generations only grow.
//
// With `die-at-temporary N`, a thread watches the state folder with inotify
// and sends this process SIGKILL the moment the Nth write's temporary file
// is created: a kill between the temporary's creation and its rename, the
// most dangerous moment, every time (a kill sent from the test process can
// arrive after the rename once writes are fast).

#include "providers/local/LocalProvider.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include <sys/inotify.h>
#include <unistd.h>

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

// Counts the writes begun; the watcher kills at the Nth one's temporary.
static std::atomic<int> g_begun{0};

// The temporaries of writeFileAtomically: ".NAME.tmp-PID-RANDOM".
static bool isTemporary(const char *name)
{
    return name[0] == '.' && std::strstr(name, ".tmp-") != nullptr;
}

static void dieAtTemporary(const QByteArray &dir, int nth)
{
    const int fd = inotify_init1(IN_CLOEXEC);
    if (fd < 0 || inotify_add_watch(fd, dir.constData(), IN_CREATE) < 0) {
        std::fprintf(stderr, "inotify: %s\n", std::strerror(errno));
        std::_Exit(3);
    }
    std::thread([fd, nth] {
        alignas(inotify_event) char buf[4096];
        for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0)
                continue;
            for (ssize_t at = 0; at < n;) {
                const auto *ev = reinterpret_cast<const inotify_event *>(buf + at);
                if (ev->len > 0 && isTemporary(ev->name) && g_begun.load() >= nth)
                    ::kill(::getpid(), SIGKILL);
                at += ssize_t(sizeof(inotify_event) + ev->len);
            }
        }
    }).detach();
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const bool dies = args.size() == 6 && args[4] == QLatin1String("die-at-temporary");
    if (args.size() != 4 && !dies) {
        std::fprintf(stderr, "usage: local_crash_writer <statePath> <key> <bytes> [die-at-temporary N]\n");
        return 2;
    }
    if (dies)
        dieAtTemporary(QFile::encodeName(QFileInfo(args[1]).absolutePath()), args[5].toInt());
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
        ++g_begun;
        Result<Entry> put = store.put(e, Precondition::none()).result();
        if (!put.ok()) {
            std::fprintf(stderr, "%s\n", qPrintable(put.error().toString()));
            return 1;
        }
        std::printf("done %lld\n", static_cast<long long>(generation));
        std::fflush(stdout);
    }
}
