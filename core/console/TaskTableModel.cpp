#include "console/TaskTableModel.h"

#include "console/TaskText.h"
#include "util/UtcTime.h"

namespace sd::console {

using namespace sd::remediation;

TaskTableModel::TaskTableModel(Provider *provider, QObject *parent)
    : TaskTableModel(new RemediationManager(provider), provider, parent)
{
    m_ownManager.reset(m_manager);
}

TaskTableModel::TaskTableModel(RemediationManager *manager, Provider *provider, QObject *parent)
    : RowTableModel<TaskRow>(parent), m_manager(manager), m_provider(provider)
{
    // This manager's own writes show at once, also on a store without a watch.
    connect(m_manager, &RemediationManager::taskChanged, this, [this](const RemediationTask &t) {
        ++m_generation[t.name()];
        if (m_loading)
            m_dirty.insert(t.name());
        apply(t);
    });
    m_ageTimer.setInterval(10000);
    connect(&m_ageTimer, &QTimer::timeout, this, &TaskTableModel::refreshAges);
    m_ageTimer.start();
}

TaskTableModel::~TaskTableModel() = default;


void TaskTableModel::setAgeRefreshInterval(int msecs)
{
    m_ageTimer.stop();
    if (msecs > 0) {
        m_ageTimer.setInterval(msecs);
        m_ageTimer.start();
    }
}

bool TaskTableModel::sameRow(const TaskRow &a, const TaskRow &b) const
{
    return a.task.entry().revision == b.task.entry().revision && a.task.entry().value == b.task.entry().value;
}

TaskRow TaskTableModel::rowFor(RemediationTask task)
{
    TaskRow row;
    const QList<FeedbackView> feedback = task.feedback();
    row.unresolved = unresolvedBySeverity(feedback);
    row.feedbackCount = int(feedback.size());
    row.task = std::move(task);
    return row;
}

namespace {

Tone statusTone(const TaskRow &r)
{
    if (r.task.stateError())
        return Tone::Error;
    const QString s = r.task.status();
    if (s == QLatin1String("Failed") || s == QLatin1String("MaxIterationsReached") || s == QLatin1String("Terminated"))
        return Tone::Error;
    if (s == QLatin1String("Completed"))
        return Tone::Good;
    if (r.unresolved.value(QStringLiteral("Critical")) > 0)
        return Tone::Warning;
    return Tone::Normal;
}

// Numeric task ids ("42") sort as numbers, before named ones ("task-2").
QString idSortKey(const QString &id)
{
    bool numeric = false;
    id.toULongLong(&numeric);
    return numeric ? id.rightJustified(20, QLatin1Char('0')) : QStringLiteral("~") + id;
}

} // namespace

QStringList TaskTableModel::columnTitles() const
{
    static const QStringList titles{QStringLiteral("Task"), QStringLiteral("PR"), QStringLiteral("Status"),
                                       QStringLiteral("Iteration"), QStringLiteral("Unresolved"), QStringLiteral("Age"),
                                       QStringLiteral("Updated")};
    return titles;
}

QVariant TaskTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TaskRow &r = rows().at(index.row());
    const RemediationTask &t = r.task;
    const int column = index.column();
    const std::optional<UtcTime> updated = t.lastUpdate();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case TaskColumn: return t.taskId();
        case PrColumn: return t.prNumber() >= 0 ? QString::number(t.prNumber()) : QStringLiteral("-");
        case StatusColumn: return t.stateError() ? QStringLiteral("unreadable") : t.status();
        case IterationColumn: return QStringLiteral("%1/%2").arg(t.iteration()).arg(t.maxIterations());
        case UnresolvedColumn: return unresolvedText(r.unresolved);
        case AgeColumn: return ageText(updated);
        case UpdatedColumn:
            return updated ? updated->toDateTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss'Z'")) : QStringLiteral("-");
        }
        return {};
    case Qt::ToolTipRole:
        if (t.stateError())
            return t.stateError()->toString();
        return column == UpdatedColumn ? t.lastUpdateText() : data(index, Qt::DisplayRole);
    case ToneRole:
        switch (column) {
        case TaskColumn:
        case StatusColumn: return int(statusTone(r));
        case IterationColumn: return int(t.iteration() >= t.maxIterations() ? Tone::Warning : Tone::Normal);
        case UnresolvedColumn:
            if (r.unresolved.value(QStringLiteral("Critical")) > 0)
                return int(Tone::Warning);
            return int(r.unresolved.isEmpty() ? Tone::Muted : Tone::Normal);
        default: return int(Tone::Muted);
        }
    case KeyRole: return t.name();
    case SortRole:
        switch (column) {
        case TaskColumn: return idSortKey(t.taskId());
        case PrColumn: return t.prNumber();
        case StatusColumn: return t.stateError() ? QString() : t.status();
        case IterationColumn: return t.iteration();
        case UnresolvedColumn: return severityWeight(r.unresolved);
        // The older the update, the greater the age.
        case AgeColumn: return updated ? -timeSortKey(updated) : std::numeric_limits<qint64>::min();
        case UpdatedColumn: return timeSortKey(updated);
        }
        return {};
    case RawRole:
        switch (column) {
        case TaskColumn: return t.taskId();
        case PrColumn: return t.prNumber();
        case StatusColumn: return t.status();
        case IterationColumn: return t.iteration();
        case UnresolvedColumn: return data(index, UnresolvedRole);
        case AgeColumn:
        case UpdatedColumn: return updated ? QVariant(updated->toDateTime()) : QVariant();
        }
        return {};
    case LabelsRole: {
        QVariantMap m;
        for (auto it = t.entry().labels.cbegin(); it != t.entry().labels.cend(); ++it)
            m.insert(it.key(), it.value());
        return m;
    }
    case SchemaRole: return schemaName(t.schema());
    case UnresolvedRole: {
        QVariantMap m;
        for (auto it = r.unresolved.cbegin(); it != r.unresolved.cend(); ++it)
            m.insert(it.key(), it.value());
        return m;
    }
    case FeedbackCountRole: return r.feedbackCount;
    case StateErrorRole: return t.stateError() ? t.stateError()->toString() : QString();
    default: return {};
    }
}


std::optional<RemediationTask> TaskTableModel::task(const QString &name) const
{
    const int at = rowOf(name);
    if (at < 0)
        return std::nullopt;
    return rows().at(at).task;
}

// ---- loading and following -------------------------------------------------

void TaskTableModel::reload()
{
    if (m_loading) {
        m_reloadAgain = true;
        return;
    }
    m_loading = true;
    m_reloadAgain = false;
    startWatching();
    // A change committed before the watches fixed their starting point and
    // after the listing read the key would be missed: a listing that ends
    // before they are ready is made again once they are.
    bool ready = true;
    for (const auto &w : std::as_const(m_watches))
        ready = ready && w->ready;
    m_listedBeforeReady = !ready;
    m_manager->list().then(this, [this](Result<QList<RemediationTask>> tasks) { listed(std::move(tasks)); });
}

void TaskTableModel::startWatching()
{
    if (!m_watches.isEmpty() || m_provider->capabilities().watch == WatchKind::None)
        return;
    for (const Schema s : {Schema::Seed, Schema::Controller}) {
        auto w = std::make_shared<WatchState>();
        w->prefix = keyPrefix(s);
        w->watch = m_provider->watch(w->prefix, QString());
        const int which = int(m_watches.size());
        m_watches << w;
        connect(w->watch.get(), &Watch::event, this, [this, which](const Event &e) { onEvent(which, e); });
        connect(w->watch.get(), &Watch::ready, this, [this, which] {
            m_watches[which]->ready = true;
            for (const auto &x : std::as_const(m_watches))
                if (!x->ready)
                    return;
            if (m_listedBeforeReady) {
                m_listedBeforeReady = false;
                reload();
            }
        });
        connect(w->watch.get(), &Watch::interrupted, this, [this] { setStale(true); });
        connect(w->watch.get(), &Watch::resumed, this, [this] { setStale(false); });
        connect(w->watch.get(), &Watch::failed, this, [this](const Error &e) {
            m_error = e;
            Q_EMIT failed(e);
        });
    }
}

void TaskTableModel::listed(Result<QList<RemediationTask>> tasks)
{
    m_loading = false;
    if (!tasks.ok()) {
        m_error = tasks.error();
        Q_EMIT failed(tasks.error());
    } else {
        m_error.reset();
        // A key that changed while the listing ran shows what the change
        // said, not what the (possibly older) listing read; it is fetched
        // again below to be sure.
        const QSet<QString> dirty = std::exchange(m_dirty, {});
        QList<TaskRow> next;
        next.reserve(tasks->size());
        for (RemediationTask &t : tasks.value())
            if (!dirty.contains(t.name()))
                next << rowFor(std::move(t));
        for (const QString &key : dirty)
            if (const int at = rowOf(key); at >= 0)
                next << rows().at(at);
        std::sort(next.begin(), next.end(), [this](const TaskRow &a, const TaskRow &b) { return rowBefore(a, b); });
        QSet<QString> before;
        for (const TaskRow &r : rows())
            before.insert(r.task.name());
        QList<QString> changed;
        for (const TaskRow &r : std::as_const(next)) {
            const int at = rowOf(r.task.name());
            if (at < 0 || !sameRow(rows().at(at), r))
                changed << r.task.name();
            before.remove(r.task.name());
        }
        syncRows(std::move(next));
        for (const QString &name : std::as_const(before))
            Q_EMIT taskRemoved(name);
        for (const QString &name : std::as_const(changed))
            if (const auto t = task(name))
                Q_EMIT taskUpdated(*t);
        for (const QString &key : dirty)
            fetch(key);
        m_loaded = true;
        Q_EMIT loaded();
    }
    if (m_reloadAgain)
        reload();
}

void TaskTableModel::onEvent(int which, const Event &e)
{
    WatchState &w = *m_watches[which];
    switch (e.type) {
    case Event::Type::Resync:
        w.resyncing = true;
        w.seen.clear();
        return;
    case Event::Type::ResyncDone: {
        w.resyncing = false;
        setStale(false);
        if (m_loading)
            return; // the listing under way decides
        QStringList gone;
        for (const TaskRow &r : rows())
            if (r.task.name().startsWith(w.prefix) && !w.seen.contains(r.task.name()))
                gone << r.task.name();
        for (const QString &name : std::as_const(gone)) {
            ++m_generation[name];
            remove(name);
        }
        w.seen.clear();
        return;
    }
    default: break;
    }
    const QString key = e.entry.key;
    if (w.resyncing)
        w.seen.insert(key);
    ++m_generation[key];
    if (m_loading)
        m_dirty.insert(key);
    if (e.type == Event::Type::Deleted)
        return remove(key);
    if (e.entry.value.is_null())
        return fetch(key); // a store whose events carry only the key
    applyEntry(e.entry);
}

void TaskTableModel::applyEntry(const Entry &entry)
{
    Result<RemediationTask> t = RemediationTask::fromEntry(entry);
    if (!t.ok())
        return remove(entry.key); // not (or no longer) remediation state
    apply(t.value());
}

bool TaskTableModel::olderThanShown(const RemediationTask &task) const
{
    // Whole-number revisions tell order; an event queued behind the
    // manager's own write must not take the row back. Opaque ones
    // (Kubernetes) only tell difference: the watch delivers in order there.
    if (!m_provider->capabilities().numericRevisions)
        return false;
    const int at = rowOf(task.name());
    if (at < 0)
        return false;
    bool okNew = false, okOld = false;
    const qint64 fresh = task.entry().revision.toLongLong(&okNew);
    const qint64 shown = rows().at(at).task.entry().revision.toLongLong(&okOld);
    return okNew && okOld && fresh < shown;
}

void TaskTableModel::apply(const RemediationTask &task)
{
    if (olderThanShown(task))
        return;
    const int at = rowOf(task.name());
    TaskRow row = rowFor(task);
    if (at >= 0 && sameRow(rows().at(at), row))
        return;
    insertSorted(std::move(row));
    Q_EMIT taskUpdated(task);
}

void TaskTableModel::setStale(bool stale)
{
    if (m_stale == stale)
        return;
    m_stale = stale;
    Q_EMIT staleChanged(stale);
}

void TaskTableModel::remove(const QString &name)
{
    if (removeKey(name))
        Q_EMIT taskRemoved(name);
}

void TaskTableModel::fetch(const QString &name)
{
    const quint64 generation = ++m_generation[name];
    m_provider->get(name).then(this, [this, name, generation](Result<Entry> e) {
        if (m_generation.value(name) != generation)
            return; // a later change is (or will be) applied instead
        if (e.ok())
            applyEntry(e.value());
        else if (e.error().kind == ErrorKind::NotFound)
            remove(name);
    });
}

} // namespace sd::console
