#pragma once

#include "console/Roles.h"
#include "model/Result.h"

#include <QObject>

#include <memory>

namespace sd::registry {
class Registry;
}

namespace sd::console {

class MachinesModel;
class Session;

// The state-machine registry (seed 003) as both front ends open and show
// it: where it is read from (the `:machines` words, else the open
// connection), the machines model, how fresh the list is in one wording,
// and one machine's definition. The GUI and the TUI reach the registry
// through this only.
class RegistrySession : public QObject {
    Q_OBJECT
public:
    enum class Updates { Off, Starting, Live, Polling };

    // `args`: "redis://HOST:PORT/DB kube ns=NS prefix=P stale=1m", any of
    // them; none: the open connection's Redis server or cluster (`session`,
    // may be null), else $REDIS_URL. Invalid, saying what, otherwise.
    static Result<std::unique_ptr<RegistrySession>> open(const QString &args, const Session *session);
    explicit RegistrySession(std::unique_ptr<registry::Registry> registry, QObject *parent = nullptr);
    ~RegistrySession() override;

    MachinesModel *machines() const { return m_machines.get(); }
    // Tests reach the registry itself; views do not need to.
    registry::Registry *registry() const { return m_registry.get(); }

    // Live updates (notifications, or polling when the server has none).
    void start();
    void refresh();

    Updates updates() const;
    // "Live: …", "Polling, not live: …", "connecting…", and whether the
    // cluster is watched: the banner's text and tone.
    QString freshnessText() const;
    Tone freshnessTone() const;
    // Why polling, said once on a status line; empty when live.
    QString pollingReason() const;

    // The status names a filter offers.
    static QStringList statusNames();

    // One machine's definition (from its StateMachine resource) and
    // current state. `known` is false once the machine is gone.
    struct MachineDefinition {
        bool known = false;
        QString currentState;
        QByteArray json; // empty: no definition known
        QString origin;  // where it came from, for errors
    };
    MachineDefinition definitionOf(const QString &id) const;

Q_SIGNALS:
    void changed();
    void updatesChanged();
    void failed(const sd::Error &error);

private:
    std::unique_ptr<registry::Registry> m_registry;
    std::unique_ptr<MachinesModel> m_machines;
};

} // namespace sd::console
