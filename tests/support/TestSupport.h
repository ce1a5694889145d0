#pragma once

#include <algorithm>

#include <QEventLoop>
#include <QFuture>
#include <QFutureWatcher>
#include <QProcessEnvironment>
#include <QString>
#include <QTest>
#include <QTimer>

namespace sd::test {

// How many times longer than usual a test should wait for something that is
// not its own subject (a process, a screen, a migration): 1 normally;
// scripts/check-sanitize.sh sets STATEDECK_TEST_TIME_SCALE, since under the
// sanitizers everything runs several times slower.
inline int timeScale()
{
    return std::max(1, qEnvironmentVariableIntValue("STATEDECK_TEST_TIME_SCALE"));
}

// Waits for a future while the event loop runs, so work that finishes on the
// event loop (network replies, watch timers) can complete. Wakes the moment
// the future finishes (QTest::qWaitFor would sleep 10 ms a check, which
// turns 10k awaited writes into 100 s). Warns and returns T() after
// `timeoutMs` (times timeScale()).
template <typename T>
T await(QFuture<T> future, int timeoutMs = 20000)
{
    timeoutMs *= timeScale();
    if (!future.isFinished()) {
        QEventLoop loop;
        QFutureWatcher<T> watcher;
        QObject::connect(&watcher, &QFutureWatcherBase::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        watcher.setFuture(future);
        if (!future.isFinished())
            loop.exec();
    }
    if (!future.isFinished()) {
        qWarning("await: future did not finish within %d ms", timeoutMs);
        return T();
    }
    return future.result();
}

// Environment variables a test changes: unset on construction, restored
// (or unset again) when it goes out of scope, also when the test fails.
class EnvGuard {
public:
    explicit EnvGuard(std::initializer_list<const char *> names)
    {
        for (const char *n : names) {
            m_saved.append({n, qgetenv(n), qEnvironmentVariableIsSet(n)});
            qunsetenv(n);
        }
    }
    ~EnvGuard()
    {
        for (const Saved &s : std::as_const(m_saved)) {
            if (s.was)
                qputenv(s.name, s.value);
            else
                qunsetenv(s.name);
        }
    }
    EnvGuard(const EnvGuard &) = delete;
    EnvGuard &operator=(const EnvGuard &) = delete;

private:
    struct Saved {
        const char *name;
        QByteArray value;
        bool was;
    };
    QList<Saved> m_saved;
};

// The path of a program built beside the tests (helpers, statedeckctl).
QString builtProgram(const QString &name);

// What a program run to its end said.
struct ProgramRun {
    int code = -1; // -1: did not start or did not finish in time; -2: crashed
    QByteArray out;
    QByteArray err;
    QString describe() const;
};

// Runs `program` with `input` on stdin until it exits; kills it after
// `timeoutMs` (times timeScale()).
ProgramRun runProgram(const QString &program, const QStringList &args, const QProcessEnvironment &env,
                      const QByteArray &input = {}, int timeoutMs = 60000);

// The system environment with the XDG homes (data, config, state) under
// `home`, so a test neither reads nor writes the user's.
QProcessEnvironment isolatedEnvironment(const QString &home);

// A fixture file from ../shared/fixtures.
QString fixturePath(const QString &relative);

// Permission tests mean nothing as root (it ignores file modes), and CI runs
// as root. Call this first in such a test process: when running as root it
// becomes `nobody` for the rest of the process (every thread), so a
// read-only directory really is read-only. Returns false if that failed.
bool dropRootPrivileges();

} // namespace sd::test

// Compare JSON values by their text, so a failure shows both sides.
#define SD_COMPARE_JSON(actual, expected) \
    QCOMPARE(QString::fromStdString((actual).dump()), QString::fromStdString((expected).dump()))
