// Starts a test server the way a suite does (ServerProcess), prints
// "<server pid> <port>" and waits. The test then kills this process with a
// signal, or makes it die through qFatal ("fatal" on stdin), to show that
// the server dies with its test even when no destructor runs.
//   sd-server-starter redis|etcd
#include "RedisTestServer.h"
#include "providers/EtcdTestFixture.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <cstdio>
#include <memory>

#include <sys/resource.h>
#include <unistd.h>

using namespace sd::test;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString kind = app.arguments().value(1);
    std::unique_ptr<RedisTestServer> redis;
    std::unique_ptr<EtcdMember> etcd;
    qint64 pid = 0;
    quint16 port = 0;
    if (kind == QLatin1String("redis")) {
        redis = std::make_unique<RedisTestServer>();
        if (!redis->start()) {
            std::fprintf(stderr, "cannot start redis-server: %s\n", qPrintable(redis->log()));
            return 1;
        }
        pid = redis->processId();
        port = redis->port();
    } else if (kind == QLatin1String("etcd")) {
        etcd = std::make_unique<EtcdMember>();
        if (!etcd->start()) {
            std::fprintf(stderr, "cannot start etcd: %s\n", qPrintable(etcd->process().log()));
            return 1;
        }
        pid = etcd->process().processId();
        port = etcd->port();
    } else {
        std::fprintf(stderr, "usage: sd-server-starter redis|etcd\n");
        return 2;
    }
    std::printf("%lld %u\n", pid, unsigned(port));
    std::fflush(stdout);

    QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&input, &QSocketNotifier::activated, &app, [] {
        char line[64] = {};
        const ssize_t n = ::read(STDIN_FILENO, line, sizeof line - 1);
        if (n > 0 && QByteArray(line, int(n)).trimmed() == "fatal") {
            // An abort, as a failed test's qFatal is; no core file for it.
            const rlimit none{0, 0};
            ::setrlimit(RLIMIT_CORE, &none);
            qFatal("sd-server-starter: dying through qFatal, as asked");
        }
        if (n == 0)
            QCoreApplication::quit(); // stdin closed: the test is done with us
    });
    return app.exec();
}
