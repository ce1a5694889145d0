#pragma once

#include "kube/KubeClient.h"
#include "registry/Machine.h"

#include <QHash>
#include <QObject>
#include <QTimer>

#include <memory>

namespace sd::registry {

// The Kubernetes side of XStateNet: StateMachine custom resources
// (statemachines.xstatenet.io/v1) in one namespace, with the objects
// KubernetesStateMachineOperator creates for each (sm-{name} Deployment,
// sm-{name}-svc Service, sm-{name}-config ConfigMap with definition.json,
// sm-{name}-pvc claim). Reads through core/kube's generic resources.
class KubeMachines : public QObject {
    Q_OBJECT
public:
    // `client` must outlive this object.
    KubeMachines(kube::KubeClient *client, QString ns, QObject *parent = nullptr);
    ~KubeMachines() override;

    static kube::Resource stateMachines();

    // One read; refreshed() or failed() follows.
    void refresh();
    // Reads, then watches the resources and reads again on every change.
    void startLive();

    const QHash<QString, KubeMachine> &machines() const { return m_machines; }
    bool loaded() const { return m_loaded; }
    QString ns() const { return m_ns; }
    QString describe() const;

    // Sets spec.replicas through the scale subresource (what `kubectl scale`
    // does); answers the Scale object the server returned.
    QFuture<Result<Json>> scale(const QString &name, qint64 replicas);

Q_SIGNALS:
    void refreshed();
    void failed(const sd::Error &error);

private:
    void read(int gen);

    kube::KubeClient *m_client;
    QString m_ns;
    QHash<QString, KubeMachine> m_machines;
    bool m_loaded = false;
    bool m_reading = false;
    bool m_readAgain = false;
    int m_generation = 0;
    std::unique_ptr<kube::KubeWatch> m_watch;
    QTimer m_soon;
};

} // namespace sd::registry
