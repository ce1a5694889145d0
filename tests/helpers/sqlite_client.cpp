// A second process for tst_sqlite_provider: it opens the same database file
// through its own SqliteProvider, so the tests can check what holds across
// processes (preconditions, watches) and what an unprivileged user sees.
//
//   sqlite_client increment PATH KEY COUNT   read-modify-write COUNT times with CAS retry
//   sqlite_client put PATH KEY JSON          one unconditional put
//   sqlite_client probe PATH KEY             get and put as an unprivileged user; prints JSON
//
// Futures are waited for with result(): this process has no event loop to
// keep responsive.

#include "model/Codec.h"
#include "providers/sqlite/SqliteProvider.h"

#include <QCoreApplication>

#include <grp.h>
#include <unistd.h>

#include <cstdio>

using namespace sd;

namespace {

int usage()
{
    std::fprintf(stderr, "usage: sqlite_client increment PATH KEY COUNT | put PATH KEY JSON | probe PATH KEY\n");
    return 2;
}

void printError(const char *what, const Error &e)
{
    std::fprintf(stderr, "%s failed: %s: %s\n", what, qPrintable(errorKindName(e.kind)), qPrintable(e.toString()));
}

int increment(SqliteProvider &p, const QString &key, int count)
{
    // Bounded so a broken CAS cannot spin forever.
    const int maxAttempts = count * 50;
    int attempts = 0;
    int conflicts = 0;
    for (int done = 0; done < count;) {
        if (++attempts > maxAttempts) {
            std::fprintf(stderr, "gave up after %d attempts (%d done)\n", attempts, done);
            return 1;
        }
        Result<Entry> current = p.get(key).result();
        Entry next;
        next.key = key;
        Precondition pre;
        if (current) {
            next.value = Json(current->value.get<int>() + 1);
            pre = Precondition::atRevision(current->revision);
        } else if (current.error().kind == ErrorKind::NotFound) {
            next.value = Json(1);
            pre = Precondition::mustNotExist();
        } else {
            printError("get", current.error());
            return 1;
        }
        Result<Entry> written = p.put(next, pre).result();
        if (written) {
            ++done;
        } else if (written.error().kind == ErrorKind::Conflict || written.error().kind == ErrorKind::AlreadyExists) {
            ++conflicts;
        } else {
            printError("put", written.error());
            return 1;
        }
    }
    std::printf("{\"done\":%d,\"conflicts\":%d}\n", count, conflicts);
    return 0;
}

int put(SqliteProvider &p, const QString &key, const QByteArray &json)
{
    Entry e = entryFromBytes(key, json);
    Result<Entry> written = p.put(e, Precondition::none()).result();
    if (!written) {
        printError("put", written.error());
        return 1;
    }
    std::printf("{\"revision\":\"%s\"}\n", qPrintable(written->revision));
    return 0;
}

Json outcome(const Error *e)
{
    Json j = Json::object();
    j["ok"] = e == nullptr;
    if (e) {
        j["kind"] = toStd(errorKindName(e->kind));
        j["message"] = toStd(e->message);
        j["where"] = toStd(e->where);
    }
    return j;
}

// Root writes anywhere whatever the permissions say, so a permission test
// run as root would prove nothing: drop to nobody first.
bool dropPrivileges()
{
    if (geteuid() != 0)
        return true;
    const gid_t nogroup = 65534;
    const uid_t nobody = 65534;
    return setgroups(0, nullptr) == 0 && setgid(nogroup) == 0 && setuid(nobody) == 0 && geteuid() == nobody;
}

int probe(const QString &path, const QString &key)
{
    if (!dropPrivileges()) {
        std::fprintf(stderr, "cannot drop root privileges\n");
        return 1;
    }
    SqliteProvider p(path);
    Json report = Json::object();
    Result<Entry> got = p.get(key).result();
    report["get"] = outcome(got || got.error().kind == ErrorKind::NotFound ? nullptr : &got.error());
    Entry e;
    e.key = key;
    e.value = Json::object({{"probe", true}});
    Result<Entry> written = p.put(e, Precondition::none()).result();
    report["put"] = outcome(written ? nullptr : &written.error());
    std::printf("%s\n", report.dump().c_str());
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 4)
        return usage();
    const QString &command = args.at(1);
    if (command == QLatin1String("increment") && args.size() == 5) {
        SqliteProvider p(args.at(2));
        return increment(p, args.at(3), args.at(4).toInt());
    }
    if (command == QLatin1String("put") && args.size() == 5) {
        SqliteProvider p(args.at(2));
        return put(p, args.at(3), args.at(4).toUtf8());
    }
    if (command == QLatin1String("probe") && args.size() == 4)
        return probe(args.at(2), args.at(3));
    return usage();
}
