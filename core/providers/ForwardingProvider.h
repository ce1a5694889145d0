#pragma once

#include "providers/Provider.h"

#include <memory>

namespace sd {

// A provider that hands every call to the one it wraps. The wrappers a
// connection's markers add (ReadOnlyProvider, SensitiveProvider) derive from
// it and override only what the marker changes, so a new Provider method is
// forwarded in one place.
class ForwardingProvider : public Provider {
    Q_OBJECT
public:
    explicit ForwardingProvider(std::unique_ptr<Provider> inner, QObject *parent = nullptr);
    ~ForwardingProvider() override;

    Provider *inner() const { return m_inner.get(); }

    QString scheme() const override;
    QString describe() const override;
    Capabilities capabilities() const override;

    QFuture<Result<ListPage>> list(const ListOptions &options) override;
    QFuture<Result<Entry>> get(const QString &key) override;
    std::unique_ptr<Watch> watch(const QString &prefix, const QString &fromRevision) override;
    QFuture<Result<QList<Entry>>> history(const QString &key, int limit) override;
    int maxBatchSize() const override;

    QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre) override;
    QFuture<Status> remove(const QString &key, const Precondition &pre) override;
    QFuture<BatchResult> putBatch(const QList<BatchItem> &items) override;
    QFuture<Result<Lock>> lock(const QString &name, std::chrono::milliseconds ttl) override;
    QFuture<Status> unlock(const Lock &lock) override;
    QFuture<Result<Lock>> renew(const Lock &lock, std::chrono::milliseconds ttl) override;

private:
    std::unique_ptr<Provider> m_inner;
};

// The provider under every forwarding wrapper (for code that looks for a
// particular backend, such as a FallbackProvider's signals).
Provider *unwrapForwarding(Provider *provider);

} // namespace sd
