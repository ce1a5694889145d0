#pragma once

#include "kube/KubeConfig.h"
#include "providers/Provider.h"

#include <memory>

namespace sd {

struct KubeProviderOptions {
    kube::AccessRequest access;
    QString ns;         // empty: the context's namespace
    QString secretName; // non-empty: seed 000's one Secret
    bool secrets = false; // without secretName: the store of every Secret, else of every ConfigMap
};

// Kubernetes as a store, in one of three shapes.
//
// ConfigMaps: one entry per ConfigMap (key = name). The value is the
// ConfigMap's `data` as a JSON object of strings, `binaryData` members as
// base64 strings (encoding base64); a value that is not an object of strings
// is kept as compact JSON in data["value.json"] and marked with the
// annotation statedeck.io/value=json. Labels are the ConfigMap's labels;
// annotations survive edits. The revision is the resourceVersion (opaque).
//
// Secrets: one entry per Secret (key = name), as for ConfigMaps. The value
// is an object of the Secret's data keys decoded from base64: text as
// strings, bytes that are not UTF-8 as {"base64": "..."}, which a write
// encodes back to the same bytes; a value that is no such object is kept as
// compact JSON in data["value.json"] (annotation statedeck.io/value=json).
// Labels and annotations as for ConfigMaps, the Secret's type kept (Opaque
// for a new one); revision = resourceVersion, the precondition of every
// conditional write; capabilities().sensitive.
//
// One Secret (seed 000): one Secret holds every key as data["<key>.json"] = base64(JSON),
// as seed 000's gate writes it. Values are decoded for editing and encoded
// back; capabilities().sensitive tells front ends to mask them. Every entry's
// revision is the Secret's resourceVersion (perKeyRevisions false), so a
// compare-and-swap fails when any key of the Secret changed; the Secret holds
// at most 1 MiB in all (maxStoreBytes), checked before anything is sent.
//
// Locks are coordination.k8s.io Leases in the same namespace; the fencing
// token is the annotation statedeck.io/fencing-token, raised by one on every
// acquisition under a resourceVersion precondition.
class KubeProvider : public Provider {
    Q_OBJECT
public:
    // No I/O happens here: credentials are looked up on the first operation.
    explicit KubeProvider(KubeProviderOptions options, QObject *parent = nullptr);
    ~KubeProvider() override;

    QString scheme() const override;
    QString describe() const override;
    Capabilities capabilities() const override;

    QFuture<Result<ListPage>> list(const ListOptions &options) override;
    QFuture<Result<Entry>> get(const QString &key) override;
    QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre) override;
    QFuture<Status> remove(const QString &key, const Precondition &pre) override;
    std::unique_ptr<Watch> watch(const QString &prefix, const QString &fromRevision) override;
    QFuture<Result<Lock>> lock(const QString &name, std::chrono::milliseconds ttl) override;
    QFuture<Status> unlock(const Lock &lock) override;
    QFuture<Result<Lock>> renew(const Lock &lock, std::chrono::milliseconds ttl) override;
    // The Secret store writes a batch as one update of its Secret.
    QFuture<BatchResult> putBatch(const QList<BatchItem> &items) override;

    struct Private;

private:
    std::unique_ptr<Private> d;
};

} // namespace sd
