#include "providers/ForwardingProvider.h"

namespace sd {

ForwardingProvider::ForwardingProvider(std::unique_ptr<Provider> inner, QObject *parent)
    : Provider(parent), m_inner(std::move(inner))
{
}

ForwardingProvider::~ForwardingProvider() = default;

QString ForwardingProvider::scheme() const
{
    return m_inner->scheme();
}

QString ForwardingProvider::describe() const
{
    return m_inner->describe();
}

Capabilities ForwardingProvider::capabilities() const
{
    return m_inner->capabilities();
}

QFuture<Result<ListPage>> ForwardingProvider::list(const ListOptions &options)
{
    return m_inner->list(options);
}

QFuture<Result<Entry>> ForwardingProvider::get(const QString &key)
{
    return m_inner->get(key);
}

std::unique_ptr<Watch> ForwardingProvider::watch(const QString &prefix, const QString &fromRevision)
{
    return m_inner->watch(prefix, fromRevision);
}

QFuture<Result<QList<Entry>>> ForwardingProvider::history(const QString &key, int limit)
{
    return m_inner->history(key, limit);
}

int ForwardingProvider::maxBatchSize() const
{
    return m_inner->maxBatchSize();
}

QFuture<Result<Entry>> ForwardingProvider::put(const Entry &entry, const Precondition &pre)
{
    return m_inner->put(entry, pre);
}

QFuture<Status> ForwardingProvider::remove(const QString &key, const Precondition &pre)
{
    return m_inner->remove(key, pre);
}

QFuture<BatchResult> ForwardingProvider::putBatch(const QList<BatchItem> &items)
{
    return m_inner->putBatch(items);
}

QFuture<Result<Lock>> ForwardingProvider::lock(const QString &name, std::chrono::milliseconds ttl)
{
    return m_inner->lock(name, ttl);
}

QFuture<Status> ForwardingProvider::unlock(const Lock &lock)
{
    return m_inner->unlock(lock);
}

QFuture<Result<Lock>> ForwardingProvider::renew(const Lock &lock, std::chrono::milliseconds ttl)
{
    return m_inner->renew(lock, ttl);
}

Provider *unwrapForwarding(Provider *provider)
{
    while (auto *w = qobject_cast<ForwardingProvider *>(provider))
        provider = w->inner();
    return provider;
}

} // namespace sd
