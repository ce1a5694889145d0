#pragma once

#include <QFuture>
#include <QString>
#include <QTest>

namespace sd::test {

// Waits for a future while the event loop runs, so work that finishes on the
// event loop (network replies, watch timers) can complete. Fails the test
// after `timeoutMs`.
template <typename T>
T await(QFuture<T> future, int timeoutMs = 20000)
{
    const bool done = QTest::qWaitFor([&] { return future.isFinished(); }, timeoutMs);
    if (!done) {
        qWarning("await: future did not finish within %d ms", timeoutMs);
        return T();
    }
    return future.result();
}

// The path of a program built beside the tests (helpers, statedeckctl).
QString builtProgram(const QString &name);

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
