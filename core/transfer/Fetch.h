#pragma once

#include "providers/Provider.h"

#include <QPromise>

#include <memory>

namespace sd {

// Waits for every future of a list; the results come back in list order, on
// `context`'s thread.
template <typename T>
QFuture<QList<T>> gatherAll(QObject *context, const QList<QFuture<T>> &futures)
{
    auto promise = std::make_shared<QPromise<QList<T>>>();
    promise->start();
    QFuture<QList<T>> out = promise->future();
    if (futures.isEmpty()) {
        promise->addResult(QList<T>());
        promise->finish();
        return out;
    }
    auto results = std::make_shared<QList<T>>(futures.size());
    auto left = std::make_shared<qsizetype>(futures.size());
    for (qsizetype i = 0; i < futures.size(); ++i) {
        QFuture<T>(futures[i]).then(context, [promise, results, left, i](T value) {
            (*results)[i] = std::move(value);
            if (--*left == 0) {
                promise->addResult(std::move(*results));
                promise->finish();
            }
        });
    }
    return out;
}

// get() for every key, at most `window` in flight (Provider has no multi-get;
// a window hides the round trips without flooding the store). Answers in key
// order, on `context`'s thread.
QFuture<QList<Result<Entry>>> fetchAll(Provider *provider, QObject *context, const QStringList &keys,
                                       int window = 64);

// putBatch() in slices of the target's maxBatchSize(), all in flight at once
// (the keys of one page are distinct, so order between slices does not
// matter); answers in item order.
QFuture<QList<Result<Entry>>> writeAll(Provider *provider, QObject *context, const QList<BatchItem> &items);

// How many keys the store holds under `prefix` (a keys-only listing), for
// progress totals.
QFuture<Result<qint64>> countKeys(Provider *provider, QObject *context, const QString &prefix);

} // namespace sd
