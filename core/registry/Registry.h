#pragma once

#include "kube/KubeConfig.h"
#include "registry/RedisRegistry.h"

#include <QObject>

#include <memory>
#include <optional>

namespace sd::kube {
class KubeClient;
}

namespace sd::registry {

class KubeMachines;

struct RegistryOptions {
    std::optional<RedisRegistryOptions> redis;
    std::optional<kube::ClusterAccess> kube;
    QString ns; // empty: the access's default namespace
    // A heartbeat older than this is stale (XStateNet's orchestrator treats
    // one older than a minute as unhealthy).
    qint64 staleAfterMs = 60000;
};

// The state-machine registry as one list: machines from Redis and from the
// cluster, one row per machine id (a StateMachine resource named like a
// registered machine is the same machine).
class Registry : public QObject {
    Q_OBJECT
public:
    explicit Registry(RegistryOptions options, QObject *parent = nullptr);
    ~Registry() override;

    // Reads every side once; refreshed() follows when all answered.
    void refresh();
    // Reads, then keeps every side current (changed() on each change).
    void startLive();

    QList<Machine> machines() const; // sorted by id
    std::optional<Machine> machine(const QString &id) const;
    qint64 staleAfterMs() const { return m_options.staleAfterMs; }
    // Errors of the last read of each side (empty when all went well).
    QList<Error> errors() const;
    // How fresh the rows are: "live: ...", "polling: ...", per side.
    QString updateNote() const;
    bool hasRedis() const { return m_redis != nullptr; }
    bool hasKube() const { return m_kube != nullptr; }

    RedisRegistry *redis() const { return m_redis; }
    KubeMachines *kube() const { return m_kube; }

Q_SIGNALS:
    void refreshed();
    void changed();
    void changeArrived(const sd::registry::RegistryChange &change);
    void updatesChanged();
    void failed(const sd::Error &error);

private:
    void sideDone();

    RegistryOptions m_options;
    std::unique_ptr<kube::KubeClient> m_client;
    RedisRegistry *m_redis = nullptr;
    KubeMachines *m_kube = nullptr;
    std::optional<Error> m_redisError, m_kubeError;
    int m_pending = 0;
};

} // namespace sd::registry
