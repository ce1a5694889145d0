#pragma once

#include <QFuture>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

namespace sd {

// A future that is already finished, for answers known without I/O.
template <typename T>
QFuture<T> readyFuture(T value)
{
    return QtFuture::makeReadyFuture(std::move(value));
}

// One dedicated thread that runs jobs in order. Backends with blocking I/O
// (SQLite, files) own one, so the event loop's thread never waits on disk and
// their handles are only ever used by one thread at a time.
class SerialWorker {
public:
    SerialWorker()
    {
        m_pool.setMaxThreadCount(1);
        m_pool.setExpiryTimeout(-1);
    }
    ~SerialWorker() { m_pool.waitForDone(); }
    SerialWorker(const SerialWorker &) = delete;
    SerialWorker &operator=(const SerialWorker &) = delete;

    template <typename F>
    auto run(F &&job)
    {
        return QtConcurrent::run(&m_pool, std::forward<F>(job));
    }

    void waitForIdle() { m_pool.waitForDone(); }

private:
    QThreadPool m_pool;
};

} // namespace sd
