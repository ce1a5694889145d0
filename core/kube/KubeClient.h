#pragma once

#include "kube/KubeConfig.h"
#include "model/Json.h"
#include "model/Result.h"

#include <QFuture>
#include <QObject>

#include <chrono>
#include <memory>

namespace sd::kube {

// A resource type: group "" is the core group (/api/v1), any other group is
// served under /apis/GROUP/VERSION.
struct Resource {
    QString group;
    QString version;
    QString resource; // plural: configmaps
    QString kind;     // ConfigMap
    bool namespaced = true;

    QString apiVersion() const { return group.isEmpty() ? version : group + QLatin1Char('/') + version; }
    // /api/v1/namespaces/NS/configmaps[/NAME[/SUBRESOURCE]]
    QString path(const QString &ns, const QString &name = {}, const QString &subresource = {}) const;

    static Resource configMaps();
    static Resource secrets();
    static Resource leases(); // coordination.k8s.io/v1
};

struct ListQuery {
    QString labelSelector;
    QString fieldSelector;
    int limit = 0;              // 0: no paging (avoid for big collections)
    QString continueToken;      // from the previous page
    QString resourceVersion;    // "" = most recent
    // Metadata alone (names, resourceVersions, labels, annotations): the
    // server answers as PartialObjectMetadataList, or with whole objects if
    // it cannot; either way items are read for their metadata only.
    bool metadataOnly = false;
};

struct ObjectList {
    QList<Json> items;
    QString resourceVersion; // of the collection, to start a watch from
    QString continueToken;   // empty on the last page
    qint64 remainingItemCount = -1;
};

// One event of a watch. Resync says history was lost (410 Gone): Added
// events for every current object follow, then ResyncDone, and the stream
// goes on from there.
struct WatchEvent {
    enum class Type { Added, Modified, Deleted, Resync, ResyncDone };
    Type type = Type::Modified;
    Json object;
    QString resourceVersion;
};

struct WatchOptions {
    QString resourceVersion; // "" = from now (a list fixes the starting point)
    QString labelSelector;
    QString fieldSelector;
    int timeoutSeconds = 300; // the server ends each stream after this; it is reopened
    int pageSize = 500;       // for relists
};

class KubeClient;

// A watch that keeps itself alive: a stream that ends or drops is reopened
// from the last resourceVersion seen (bookmarks included), with backoff; a 410
// (HTTP or an ERROR event) becomes a relist reported as Resync ... ResyncDone.
// Destroying it stops it.
class KubeWatch : public QObject {
    Q_OBJECT
public:
    ~KubeWatch() override;
    QString lastResourceVersion() const;
    // How many times the stream was reopened (tests and diagnostics).
    int reconnects() const;

Q_SIGNALS:
    void event(const sd::kube::WatchEvent &event);
    // The first stream is open: every change after its starting point follows.
    void ready();
    // The stream dropped and is retried at `retryAt`; resumed() once open again.
    void interrupted(const sd::Error &why, const QDateTime &retryAt);
    void resumed();
    // Stopped for good: credentials refused, forbidden, or unreachable for too long.
    void failed(const sd::Error &error);

private:
    friend class KubeClient;
    struct Private;
    KubeWatch(KubeClient *client, Resource resource, QString ns, WatchOptions options);
    std::unique_ptr<Private> d;
};

// A Kubernetes API client. Requests share one QNetworkAccessManager (HTTP/2
// over TLS when the server offers it, else Qt's six HTTP/1.1 connections per
// host); each watch streams over a QNetworkAccessManager of its own, so open
// watches never hold the connections requests need (docs/kubernetes-provider.md).
// Every call returns at once; results arrive on the thread that owns the client. Cancelling a
// returned future aborts its request; destroying the client finishes every
// pending call with Cancelled. Rate limits (429) and unavailability (503) are
// retried after Retry-After, other 5xx and dropped connections of idempotent
// calls with exponential backoff, a bounded number of times. An exec
// credential plugin runs asynchronously, again when its token expires or the
// server answers 401.
class KubeClient : public QObject {
    Q_OBJECT
public:
    explicit KubeClient(ClusterAccess access, QObject *parent = nullptr);
    ~KubeClient() override;

    const ClusterAccess &access() const;
    QString defaultNamespace() const;

    // Retries after the first attempt, and the first backoff step.
    void setRetryPolicy(int maxRetries, std::chrono::milliseconds firstBackoff);
    // Per-request inactivity timeout (watches excepted).
    void setRequestTimeout(std::chrono::milliseconds timeout);

    // GET of any API path (discovery: /version, /api/v1, /apis, /apis/G/V).
    QFuture<Result<Json>> getPath(const QString &path);

    QFuture<Result<Json>> get(const Resource &r, const QString &ns, const QString &name);
    QFuture<Result<ObjectList>> list(const Resource &r, const QString &ns, const ListQuery &query);
    QFuture<Result<Json>> create(const Resource &r, const QString &ns, const Json &object);
    // PUT. metadata.resourceVersion, when set, is the precondition; a
    // conflict names the expected and the current version.
    QFuture<Result<Json>> update(const Resource &r, const QString &ns, const Json &object);
    // RFC 7386 JSON merge patch; `subresource` "status" patches a custom
    // resource's status (the main resource ignores status changes).
    QFuture<Result<Json>> mergePatch(const Resource &r, const QString &ns, const QString &name, const Json &patch,
                                     const QString &subresource = {});
    // Server-side apply (application/apply-patch+yaml; JSON is valid YAML).
    QFuture<Result<Json>> apply(const Resource &r, const QString &ns, const QString &name, const Json &object,
                                const QString &fieldManager, bool force = false);
    // resourceVersion non-empty: delete only that version.
    QFuture<Status> remove(const Resource &r, const QString &ns, const QString &name,
                           const QString &resourceVersion = {});

    std::unique_ptr<KubeWatch> watch(const Resource &r, const QString &ns, const WatchOptions &options);

    // Discovery: the resources GROUP/VERSION serves ("" is the core group),
    // subresources left out. An empty version means the group's preferred
    // version, found through /apis.
    QFuture<Result<QList<Resource>>> discover(const QString &group, const QString &version = {});
    // The resource serving `kind` in `group` (e.g. "xstatenet.io",
    // "StateMachine"), through discover(). NotFound names the kinds served.
    QFuture<Result<Resource>> resourceForKind(const QString &group, const QString &kind, const QString &version = {});

    struct Private;

private:
    friend class KubeWatch;
    std::unique_ptr<Private> d;
};

// RFC 3339 with microseconds, as metav1.MicroTime (Lease times) is written.
QString microTime(const QDateTime &t);
QDateTime parseKubeTime(const QString &text);

} // namespace sd::kube

Q_DECLARE_METATYPE(sd::kube::WatchEvent)
