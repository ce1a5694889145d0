#include "console/RegistrySession.h"

#include "console/MachinesModel.h"
#include "console/Session.h"
#include "registry/KubeMachines.h"
#include "registry/Registry.h"
#include "registry/Sources.h"

#include <QCoreApplication>

namespace sd::console {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Registry", text);
}

} // namespace

Result<std::unique_ptr<RegistrySession>> RegistrySession::open(const QString &args, const Session *session)
{
    auto options = registry::registryOptionsFor(args, session ? &session->spec() : nullptr);
    if (!options.ok())
        return options.error();
    return std::make_unique<RegistrySession>(std::make_unique<registry::Registry>(options.value()));
}

RegistrySession::RegistrySession(std::unique_ptr<registry::Registry> registry, QObject *parent)
    : QObject(parent), m_registry(std::move(registry)), m_machines(std::make_unique<MachinesModel>(m_registry.get()))
{
    connect(m_registry.get(), &registry::Registry::changed, this, &RegistrySession::changed);
    connect(m_registry.get(), &registry::Registry::updatesChanged, this, &RegistrySession::updatesChanged);
    connect(m_registry.get(), &registry::Registry::failed, this, &RegistrySession::failed);
}

RegistrySession::~RegistrySession()
{
    m_machines.reset(); // it watches the registry
}

void RegistrySession::start()
{
    m_registry->startLive();
}

void RegistrySession::refresh()
{
    m_registry->refresh();
}

RegistrySession::Updates RegistrySession::updates() const
{
    const auto *redis = m_registry->redis();
    if (!redis)
        return Updates::Off;
    switch (redis->updates()) {
    case registry::RedisRegistry::Updates::Live: return Updates::Live;
    case registry::RedisRegistry::Updates::Polling: return Updates::Polling;
    case registry::RedisRegistry::Updates::Starting: return Updates::Starting;
    case registry::RedisRegistry::Updates::Off: break;
    }
    return Updates::Off;
}

QString RegistrySession::freshnessText() const
{
    QString text;
    const auto *redis = m_registry->redis();
    switch (updates()) {
    case Updates::Live: text = tr("Live: %1").arg(redis->updateNote().section(QStringLiteral(": "), 1)); break;
    case Updates::Polling: text = tr("Polling, not live: %1").arg(redis->updateNote()); break;
    case Updates::Starting: text = redis->updateNote(); break;
    case Updates::Off: break;
    }
    if (m_registry->kube())
        text += (text.isEmpty() ? QString() : QStringLiteral("  ·  ")) + tr("Kubernetes: StateMachine resources watched");
    return text;
}

Tone RegistrySession::freshnessTone() const
{
    switch (updates()) {
    case Updates::Live: return Tone::Good;
    case Updates::Polling: return Tone::Warning;
    case Updates::Starting: return Tone::Stale;
    case Updates::Off: break;
    }
    return Tone::Normal;
}

QString RegistrySession::pollingReason() const
{
    return updates() == Updates::Polling ? m_registry->redis()->updateNote() : QString();
}

QStringList RegistrySession::statusNames()
{
    return registry::statusNames();
}

RegistrySession::MachineDefinition RegistrySession::definitionOf(const QString &id) const
{
    MachineDefinition out;
    const auto m = m_registry->machine(id);
    if (!m)
        return out;
    out.known = true;
    out.currentState = m->currentState();
    if (m->kube) {
        out.json = m->kube->definition;
        out.origin = m->kube->definitionOrigin;
    }
    return out;
}

} // namespace sd::console
