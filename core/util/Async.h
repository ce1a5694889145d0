#pragma once

#include <QFuture>
#include <QPromise>
#include <QThreadPool>

#include <memory>
#include <type_traits>

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

    // The future is backed by a QPromise rather than QtConcurrent::run: a
    // QtConcurrent future lets a caller that blocks on it steal the queued
    // job and run it on its own thread, out of order and concurrently with
    // the worker, which breaks both ordering and single-thread handles.
    template <typename F>
    auto run(F job) -> QFuture<std::invoke_result_t<F>>
    {
        using T = std::invoke_result_t<F>;
        auto promise = std::make_shared<QPromise<T>>();
        QFuture<T> future = promise->future();
        promise->start();
        m_pool.start([promise, job = std::move(job)]() mutable {
            if constexpr (std::is_void_v<T>) {
                job();
            } else {
                promise->addResult(job());
            }
            promise->finish();
        });
        return future;
    }

    void waitForIdle() { m_pool.waitForDone(); }

private:
    QThreadPool m_pool;
};

} // namespace sd
