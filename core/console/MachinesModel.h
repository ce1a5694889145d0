#pragma once

#include "console/Roles.h"
#include "console/RowTableModel.h"
#include "registry/Machine.h"

#include <QTimer>

#include <functional>

namespace sd::registry {
class Registry;
}

namespace sd::console {

// Every machine of a state-machine registry, one row each in id order, kept
// current by the registry (its live updates), never reset.
//
// Columns: id, liveness, heartbeat age, status, current state, node,
// replicas (ready/wanted), source. Liveness is judged against the clock, so
// the liveness and heartbeat columns are re-evaluated every second
// (setTickInterval): a machine whose heartbeat stopped turns stale on screen
// with no new data, and dead once the registry sees its key expire.
// Tones: liveness and heartbeat cells Good (alive), Warning (stale), Error
// (dead), Muted (unknown: only in the cluster); the status cell Error for
// Error and Unhealthy, Warning for Degraded, Muted for Stopped.
class MachinesModel : public RowTableModel<registry::Machine> {
    Q_OBJECT
public:
    enum Column {
        IdColumn,
        LivenessColumn,
        HeartbeatColumn,
        StatusColumn,
        StateColumn,
        NodeColumn,
        ReplicasColumn,
        SourceColumn,
    };
    enum Roles {
        LivenessRole = FirstCustomRole, // QString: alive, stale, dead, unknown
        HeartbeatAgeRole,               // qint64 ms, -1 unknown
        StatusRole,                     // QString: the status name (what a status filter matches)
        CurrentStateRole,               // QString
    };

    // `registry` is not owned and must outlive the model.
    explicit MachinesModel(registry::Registry *registry, QObject *parent = nullptr);
    ~MachinesModel() override;

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    registry::Registry *registry() const { return m_registry; }
    const registry::Machine &machineAt(int row) const { return rows().at(row); }
    // "3 machines: 1 alive, 1 stale, 1 dead" for a status line.
    QString summary() const;

    // How often liveness and ages are re-judged (1 s by default; 0 stops it).
    void setTickInterval(int msecs);
    // Re-judges now: dataChanged for the liveness and heartbeat columns.
    void tick();
    // The clock liveness is judged against (tests pin it).
    void setClock(std::function<QDateTime()> now);
    QDateTime now() const;

protected:
    QStringList columnTitles() const override;
    QString rowKey(const registry::Machine &row) const override { return row.id; }
    bool sameRow(const registry::Machine &a, const registry::Machine &b) const override;

private:
    void sync();

    registry::Registry *m_registry;
    QTimer m_tick;
    std::function<QDateTime()> m_now;
};

// The tone of a liveness, as every machines view shows it.
Tone livenessTone(registry::Liveness l);

} // namespace sd::console
