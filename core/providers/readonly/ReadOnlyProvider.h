#pragma once

#include "providers/Provider.h"

#include <memory>

namespace sd {

// A store opened read-only (`readOnly: true` in connections.yaml,
// statedeckctl --read-only): every read goes to the wrapped provider, every
// write is answered Forbidden here, naming the connection, and never
// reaches the store. Enforced in the core so that no front end can forget
// it: put, remove, putBatch, lock, renew and unlock are refused.
// capabilities() is the wrapped store's with readOnly set.
class ReadOnlyProvider : public Provider {
    Q_OBJECT
public:
    ReadOnlyProvider(std::unique_ptr<Provider> inner, QString connectionName, QObject *parent = nullptr);
    ~ReadOnlyProvider() override;

    Provider *inner() const { return m_inner.get(); }
    QString connectionName() const { return m_name; }
    // The error every write gets: Forbidden, `connection "NAME" is
    // read-only...`, where = `where`.
    Error refusal(const QString &what, const QString &where) const;

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

// The provider under any read-only wrapper (for front ends that look for a
// particular backend, such as a FallbackProvider's signals).
Provider *unwrapReadOnly(Provider *provider);

} // namespace sd
