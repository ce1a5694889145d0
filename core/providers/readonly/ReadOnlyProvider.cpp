#include "providers/readonly/ReadOnlyProvider.h"

#include "util/Async.h"

namespace sd {

ReadOnlyProvider::ReadOnlyProvider(std::unique_ptr<Provider> inner, QString connectionName, QObject *parent)
    : ForwardingProvider(std::move(inner), parent), m_name(std::move(connectionName))
{
}

ReadOnlyProvider::~ReadOnlyProvider() = default;

Error ReadOnlyProvider::refusal(const QString &what, const QString &where) const
{
    return Error(ErrorKind::Forbidden,
                 QStringLiteral("connection \"%1\" is read-only: %2 refused, nothing was written").arg(m_name, what),
                 where);
}

Capabilities ReadOnlyProvider::capabilities() const
{
    Capabilities c = ForwardingProvider::capabilities();
    c.readOnly = true;
    return c;
}

QFuture<Result<Entry>> ReadOnlyProvider::put(const Entry &entry, const Precondition &)
{
    return readyFuture(Result<Entry>(refusal(QStringLiteral("put"), entry.key)));
}

QFuture<Status> ReadOnlyProvider::remove(const QString &key, const Precondition &)
{
    return readyFuture(Status(refusal(QStringLiteral("remove"), key)));
}

QFuture<BatchResult> ReadOnlyProvider::putBatch(const QList<BatchItem> &items)
{
    BatchResult out;
    out.results.reserve(items.size());
    for (const BatchItem &item : items)
        out.results << Result<Entry>(refusal(QStringLiteral("put"), item.entry.key));
    return readyFuture(out);
}

QFuture<Result<Lock>> ReadOnlyProvider::lock(const QString &name, std::chrono::milliseconds)
{
    return readyFuture(Result<Lock>(refusal(QStringLiteral("lock"), QStringLiteral("lock \"%1\"").arg(name))));
}

QFuture<Status> ReadOnlyProvider::unlock(const Lock &lock)
{
    return readyFuture(Status(refusal(QStringLiteral("unlock"), QStringLiteral("lock \"%1\"").arg(lock.name))));
}

QFuture<Result<Lock>> ReadOnlyProvider::renew(const Lock &lock, std::chrono::milliseconds)
{
    return readyFuture(Result<Lock>(refusal(QStringLiteral("renew"), QStringLiteral("lock \"%1\"").arg(lock.name))));
}

std::unique_ptr<Provider> makeReadOnly(std::unique_ptr<Provider> inner, const QString &connectionName)
{
    if (!inner || qobject_cast<ReadOnlyProvider *>(inner.get()))
        return inner;
    return std::make_unique<ReadOnlyProvider>(std::move(inner), connectionName);
}

Status checkWritable(Provider *provider, const QString &what)
{
    if (!provider->capabilities().readOnly)
        return {};
    if (auto *ro = qobject_cast<ReadOnlyProvider *>(provider))
        return ro->refusal(what, ro->describe());
    return Error(ErrorKind::Forbidden, QStringLiteral("the store is read-only: %1 refused, nothing was written").arg(what),
                 provider->describe());
}

} // namespace sd
