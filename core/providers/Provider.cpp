#include "providers/Provider.h"

#include "model/Codec.h"
#include "util/ReentrantPump.h"

#include <QSet>
#include <QPointer>
#include <QPromise>

namespace sd {

Status validateKey(const QString &key, const Capabilities &caps)
{
    const QString shown = QStringLiteral("key \"%1\"").arg(QString(key).replace(QChar(0), QStringLiteral("\\0")));
    if (key.isEmpty())
        return Error(ErrorKind::Invalid, QStringLiteral("a key may not be empty"), QStringLiteral("key"));
    for (QChar c : key) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return Error(ErrorKind::Invalid,
                         QStringLiteral("a key may not contain control characters (found U+%1)")
                             .arg(c.unicode(), 4, 16, QLatin1Char('0')),
                         shown);
        if (caps.forbiddenKeyChars.contains(c))
            return Error(ErrorKind::Invalid,
                         QStringLiteral("this store does not allow '%1' in a key").arg(c), shown);
    }
    if (key.toUtf8().size() > 1024)
        return Error(ErrorKind::Invalid, QStringLiteral("a key may be at most 1024 bytes long"), shown);
    if (caps.fileBacked) {
        const QStringList segments = key.split(QLatin1Char('/'));
        for (const QString &s : segments) {
            if (s == QLatin1String(".") || s == QLatin1String(".."))
                return Error(ErrorKind::Invalid,
                             QStringLiteral("'.' and '..' are not allowed as key names in a file store"), shown);
        }
    }
    return {};
}

Status validateBatchItem(const Entry &entry, const Capabilities &caps)
{
    if (Status valid = validateKey(entry.key, caps); !valid)
        return valid;
    // Measured as StateStore measures it, so both refuse the same values.
    const qsizetype size =
        entry.encoding == Encoding::Json ? compactJson(entry.value).size() : encodeValue(entry).size();
    if (size > kMaxValueBytes)
        return Error(ErrorKind::TooLarge,
                     QStringLiteral("the value is %1 bytes; the limit is %2 bytes (1 MiB). This item was not "
                                    "written; the others of the batch were.")
                         .arg(size)
                         .arg(kMaxValueBytes),
                     entry.key);
    return {};
}

QFuture<Result<QList<Entry>>> Provider::history(const QString &key, int)
{
    return QtFuture::makeReadyFuture(Result<QList<Entry>>(
        Error(ErrorKind::Unsupported,
              QStringLiteral("this %1 store keeps no history of a key's values (etcd and sqlite stores do)")
                  .arg(scheme()),
              key)));
}

QFuture<Result<Lock>> Provider::renew(const Lock &lock, std::chrono::milliseconds)
{
    return QtFuture::makeReadyFuture(Result<Lock>(
        Error(ErrorKind::Unsupported, QStringLiteral("this store cannot renew a lock"), lock.name)));
}

int BatchResult::failed() const
{
    int n = 0;
    for (const Result<Entry> &r : results)
        n += r.ok() ? 0 : 1;
    return n;
}

namespace {

// Enough puts in flight to hide a network round trip, few enough that a
// batch of 100k items does not queue 100k requests at once.
constexpr int kBatchWindow = 64;

// The default putBatch: put() per item, a window of them in flight; each
// answer is handled on the provider's thread and starts the next put.
struct BatchRun : std::enable_shared_from_this<BatchRun> {
    QPointer<Provider> provider;
    QList<BatchItem> items;
    BatchResult result;
    QPromise<BatchResult> promise;
    // Keys with a put in flight: a later item for the same key waits for it,
    // since puts in flight together may land in any order.
    QSet<QString> busy;
    qsizetype next = 0;
    qsizetype answered = 0;
    int inFlight = 0;
    ReentrantPump pumping;

    void pump()
    {
        const bool outermost = pumping.run([this] {
            while (provider && inFlight < kBatchWindow && next < items.size()
                   && !busy.contains(items[next].entry.key)) {
                const qsizetype i = next++;
                if (Status valid = validateBatchItem(items[i].entry, provider->capabilities()); !valid) {
                    answer(i, valid.error());
                    continue;
                }
                ++inFlight;
                busy.insert(items[i].entry.key);
                provider->put(items[i].entry, items[i].precondition)
                    .then(provider.data(), [self = shared_from_this(), i](const Result<Entry> &r) {
                        --self->inFlight;
                        self->busy.remove(self->items[i].entry.key);
                        self->answer(i, r);
                        self->pump();
                    });
            }
        });
        if (outermost && answered == items.size() && !promise.future().isFinished()) {
            promise.addResult(std::move(result));
            promise.finish();
        }
    }

    void answer(qsizetype i, Result<Entry> r)
    {
        result.results[i] = std::move(r);
        ++answered;
    }
};

} // namespace

QFuture<BatchResult> Provider::putBatch(const QList<BatchItem> &items)
{
    auto run = std::make_shared<BatchRun>();
    run->provider = this;
    run->items = items;
    run->result.results.resize(items.size());
    run->promise.start();
    QFuture<BatchResult> future = run->promise.future();
    run->pump();
    return future;
}

int Provider::maxBatchSize() const
{
    return 0;
}

} // namespace sd
