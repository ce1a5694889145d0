#include "registry/Registry.h"

#include "kube/KubeClient.h"
#include "registry/KubeMachines.h"

#include <QMap>

namespace sd::registry {

Registry::Registry(RegistryOptions options, QObject *parent) : QObject(parent), m_options(std::move(options))
{
    if (m_options.redis) {
        m_redis = new RedisRegistry(*m_options.redis, this);
        connect(m_redis, &RedisRegistry::refreshed, this, [this] {
            m_redisError.reset();
            Q_EMIT changed();
            sideDone();
        });
        connect(m_redis, &RedisRegistry::failed, this, [this](const Error &e) {
            m_redisError = e;
            Q_EMIT failed(e);
            sideDone();
        });
        connect(m_redis, &RedisRegistry::changeArrived, this, &Registry::changeArrived);
        connect(m_redis, &RedisRegistry::updatesChanged, this, &Registry::updatesChanged);
    }
    if (m_options.kube) {
        m_client = std::make_unique<kube::KubeClient>(*m_options.kube);
        m_kube = new KubeMachines(m_client.get(), m_options.ns, this);
        connect(m_kube, &KubeMachines::refreshed, this, [this] {
            m_kubeError.reset();
            Q_EMIT changed();
            sideDone();
        });
        connect(m_kube, &KubeMachines::failed, this, [this](const Error &e) {
            m_kubeError = e;
            Q_EMIT failed(e);
            sideDone();
        });
    }
}

Registry::~Registry()
{
    // The sides use the client: they go first.
    delete m_kube;
    delete m_redis;
}

void Registry::sideDone()
{
    if (m_pending > 0 && --m_pending == 0)
        Q_EMIT refreshed();
}

void Registry::refresh()
{
    m_pending = (m_redis ? 1 : 0) + (m_kube ? 1 : 0);
    if (m_pending == 0) {
        Q_EMIT refreshed();
        return;
    }
    if (m_redis)
        m_redis->refresh();
    if (m_kube)
        m_kube->refresh();
}

void Registry::startLive()
{
    m_pending = (m_redis ? 1 : 0) + (m_kube ? 1 : 0);
    if (m_redis)
        m_redis->startLive();
    if (m_kube)
        m_kube->startLive();
}

QList<Machine> Registry::machines() const
{
    QMap<QString, Machine> byId;
    if (m_redis) {
        for (auto it = m_redis->machines().cbegin(); it != m_redis->machines().cend(); ++it) {
            Machine &m = byId[it.key()];
            m.id = it.key();
            m.redis = it.value();
        }
    }
    if (m_kube) {
        for (auto it = m_kube->machines().cbegin(); it != m_kube->machines().cend(); ++it) {
            Machine &m = byId[it.key()];
            m.id = it.key();
            m.kube = it.value();
        }
    }
    return byId.values();
}

std::optional<Machine> Registry::machine(const QString &id) const
{
    for (const Machine &m : machines())
        if (m.id == id)
            return m;
    return std::nullopt;
}

QList<Error> Registry::errors() const
{
    QList<Error> out;
    if (m_redisError)
        out << *m_redisError;
    if (m_kubeError)
        out << *m_kubeError;
    return out;
}

QString Registry::updateNote() const
{
    QStringList parts;
    if (m_redis) {
        switch (m_redis->updates()) {
        case RedisRegistry::Updates::Off: parts << QStringLiteral("redis: read once"); break;
        case RedisRegistry::Updates::Starting:
        case RedisRegistry::Updates::Live: parts << QStringLiteral("redis: ") + m_redis->updateNote(); break;
        case RedisRegistry::Updates::Polling: parts << QStringLiteral("redis: polling: ") + m_redis->updateNote(); break;
        }
    }
    if (m_kube)
        parts << QStringLiteral("kubernetes: %1").arg(m_kube->describe());
    return parts.join(QStringLiteral("; "));
}

} // namespace sd::registry
