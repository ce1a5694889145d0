#include "console/MachinesModel.h"

#include "registry/Registry.h"

namespace sd::console {

using registry::Liveness;
using registry::Machine;

Tone livenessTone(Liveness l)
{
    switch (l) {
    case Liveness::Alive: return Tone::Good;
    case Liveness::Stale: return Tone::Warning;
    case Liveness::Dead: return Tone::Error;
    case Liveness::Unknown: return Tone::Muted;
    }
    return Tone::Normal;
}

MachinesModel::MachinesModel(registry::Registry *registry, QObject *parent)
    : RowTableModel<Machine>(parent), m_registry(registry)
{
    connect(m_registry, &registry::Registry::changed, this, &MachinesModel::sync);
    connect(&m_tick, &QTimer::timeout, this, &MachinesModel::tick);
    m_tick.start(1000);
    sync();
}

MachinesModel::~MachinesModel() = default;

void MachinesModel::setTickInterval(int msecs)
{
    m_tick.stop();
    if (msecs > 0)
        m_tick.start(msecs);
}

void MachinesModel::setClock(std::function<QDateTime()> now)
{
    m_now = std::move(now);
    tick();
}

QDateTime MachinesModel::now() const
{
    return m_now ? m_now() : QDateTime::currentDateTimeUtc();
}

void MachinesModel::tick()
{
    columnChanged(LivenessColumn);
    columnChanged(HeartbeatColumn);
}

void MachinesModel::sync()
{
    syncRows(m_registry->machines());
}

QStringList MachinesModel::columnTitles() const
{
    return {tr("Machine"), tr("Liveness"), tr("Heartbeat"), tr("Status"), tr("State"), tr("Node"), tr("Replicas"),
            tr("Source")};
}

bool MachinesModel::sameRow(const Machine &a, const Machine &b) const
{
    const QDateTime t = now();
    return a.toJson(t, m_registry->staleAfterMs()) == b.toJson(t, m_registry->staleAfterMs());
}

QString MachinesModel::summary() const
{
    int counts[4] = {0, 0, 0, 0};
    const QDateTime t = now();
    for (const Machine &m : rows())
        ++counts[int(m.liveness(t, m_registry->staleAfterMs()))];
    QStringList parts;
    const char *names[] = {"unknown", "alive", "stale", "dead"};
    for (int i : {1, 2, 3, 0})
        if (counts[i] > 0)
            parts << QStringLiteral("%1 %2").arg(counts[i]).arg(QLatin1String(names[i]));
    const QString n = rows().size() == 1 ? tr("1 machine") : tr("%1 machines").arg(rows().size());
    return parts.isEmpty() ? n : n + QStringLiteral(": ") + parts.join(QStringLiteral(", "));
}

QVariant MachinesModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(rows().size()))
        return {};
    const Machine &m = rows().at(index.row());
    const QDateTime t = now();
    const Liveness live = m.liveness(t, m_registry->staleAfterMs());
    const qint64 age = m.heartbeatAgeMs(t);
    const QString status = m.status();
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case IdColumn: return m.id;
        case LivenessColumn: return registry::livenessName(live);
        case HeartbeatColumn: return m.redis ? registry::ageText(age) : QStringLiteral("-");
        case StatusColumn: return status.isEmpty() ? QStringLiteral("-") : status;
        case StateColumn: {
            const QString s = m.currentState();
            return s.isEmpty() ? QStringLiteral("-") : s;
        }
        case NodeColumn: return m.node().isEmpty() ? QStringLiteral("-") : m.node();
        case ReplicasColumn:
            if (!m.kube || m.kube->replicas < 0)
                return QStringLiteral("-");
            return QStringLiteral("%1/%2").arg(std::max<qint64>(m.kube->readyReplicas, 0)).arg(m.kube->replicas);
        case SourceColumn: return m.where();
        }
        return {};
    case ToneRole:
        switch (index.column()) {
        case LivenessColumn:
        case HeartbeatColumn: return int(livenessTone(live));
        case StatusColumn:
            if (status == QLatin1String("Error") || status == QLatin1String("Unhealthy"))
                return int(Tone::Error);
            if (status == QLatin1String("Degraded"))
                return int(Tone::Warning);
            if (status == QLatin1String("Stopped"))
                return int(Tone::Muted);
            return int(Tone::Normal);
        case NodeColumn:
        case SourceColumn: return int(Tone::Muted);
        default: return int(Tone::Normal);
        }
    case KeyRole: return m.id;
    case SortRole:
        switch (index.column()) {
        case HeartbeatColumn: return age;
        case LivenessColumn: return int(live);
        default: return data(index, Qt::DisplayRole);
        }
    case RawRole: return QVariant::fromValue(toQString(m.toJson(t, m_registry->staleAfterMs()).dump()));
    case LivenessRole: return registry::livenessName(live);
    case HeartbeatAgeRole: return age;
    case StatusRole: return status;
    case CurrentStateRole: return m.currentState();
    case Qt::ToolTipRole:
        if (index.column() == LivenessColumn && m.redis && !m.redis->heartbeat)
            return tr("the heartbeat key expired: the machine stopped beating");
        return {};
    default: return {};
    }
}

} // namespace sd::console
