#pragma once

#include "providers/ForwardingProvider.h"

#include <memory>

namespace sd {

// A store opened read-only (`readOnly: true` in connections.yaml,
// statedeckctl --read-only): every read goes to the wrapped provider, every
// write is answered Forbidden here, naming the connection, and never
// reaches the store. Enforced in the core so that no front end can forget
// it: put, remove, putBatch, lock, renew and unlock are refused.
// capabilities() is the wrapped store's with readOnly set.
class ReadOnlyProvider : public ForwardingProvider {
    Q_OBJECT
public:
    ReadOnlyProvider(std::unique_ptr<Provider> inner, QString connectionName, QObject *parent = nullptr);
    ~ReadOnlyProvider() override;

    QString connectionName() const { return m_name; }
    // The error every write gets: Forbidden, `connection "NAME" is
    // read-only...`, where = `where`.
    Error refusal(const QString &what, const QString &where) const;

    Capabilities capabilities() const override;

    QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre) override;
    QFuture<Status> remove(const QString &key, const Precondition &pre) override;
    QFuture<BatchResult> putBatch(const QList<BatchItem> &items) override;
    QFuture<Result<Lock>> lock(const QString &name, std::chrono::milliseconds ttl) override;
    QFuture<Status> unlock(const Lock &lock) override;
    QFuture<Result<Lock>> renew(const Lock &lock, std::chrono::milliseconds ttl) override;

private:
    QString m_name;
};

// `inner`, wrapped read-only. `connectionName` is what the refusal names: a
// connection's name, or the store's URL when it was opened by one. A
// provider that is already a ReadOnlyProvider is returned as it is.
std::unique_ptr<Provider> makeReadOnly(std::unique_ptr<Provider> inner, const QString &connectionName);

// Forbidden when `provider` is read-only (its capabilities() say so), with
// the wrapper's refusal of `what` ("import", "migrate") naming the
// connection: work that writes checks this before it starts, so it fails at
// once instead of at its first write.
Status checkWritable(Provider *provider, const QString &what);

// The provider under any read-only (or other forwarding) wrapper, for front
// ends that look for a particular backend, such as a FallbackProvider's
// signals.
inline Provider *unwrapReadOnly(Provider *provider)
{
    return unwrapForwarding(provider);
}

} // namespace sd
