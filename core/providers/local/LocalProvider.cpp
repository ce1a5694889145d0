#include "providers/local/LocalProvider.h"

#include "providers/local/LocalStore.h"
#include "util/Async.h"
#include "util/DirectoryWatcher.h"
#include "util/SnapshotDiff.h"

#include <QPointer>
#include <QCoreApplication>
#include <QFutureWatcher>
#include <QRandomGenerator>
#include <QSysInfo>

#include <atomic>

namespace sd {
namespace {

// A watch over files: there is no change feed, so every hint from the
// DirectoryWatcher (inotify, or its slow poll) triggers a rescan on the
// provider's worker, and the difference to the previous scan becomes events.
class LocalWatch : public Watch {
public:
    LocalWatch(std::shared_ptr<SerialWorker> worker, std::shared_ptr<const local::LocalStore> store,
               const QString &prefix, bool resync)
        : m_worker(std::move(worker)), m_store(std::move(store)), m_state(std::make_shared<State>())
    {
        m_state->prefix = prefix;
        m_state->resyncFirst = resync;
        m_dirs = new DirectoryWatcher(this);
        connect(m_dirs, &DirectoryWatcher::changed, this, [this] { schedule(); });
        // Armed before the first scan, so nothing between the two is missed.
        m_dirs->setDirectories(m_store->watchedDirectories());
        schedule();
    }

private:
    // Touched only by jobs on the (serial) worker, except `queued`.
    struct State {
        QString prefix;
        bool started = false;
        bool resyncFirst = false;
        local::ScanCache cache;
        QHash<QString, QString> revisions;
        std::atomic<bool> queued{false};
    };

    struct Scan {
        QList<Event> events;
        // The files the entries live in, most important first.
        QStringList files;
        bool first = false; // the scan that fixed the watch's starting point
    };

    void schedule()
    {
        if (m_failed || m_state->queued.exchange(true))
            return; // a rescan that has not started yet will see this change too
        auto state = m_state;
        auto store = m_store;
        // A QFutureWatcher, not QFuture::then(this, ...): destroying the
        // watch while a rescan runs must be safe, and a future watcher
        // detaches from its future under the future's own lock. Results of
        // successive rescans arrive in order (one thread, posted events).
        auto *watcher = new QFutureWatcher<Result<Scan>>(this);
        connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
            watcher->deleteLater();
            deliver(watcher->result());
        });
        watcher->setFuture(m_worker->run([state, store]() -> Result<Scan> {
            state->queued = false;
            return rescan(*state, *store);
        }));
    }

    static Result<Scan> rescan(State &s, const local::LocalStore &store)
    {
        auto snapshot = store.snapshot(s.prefix, s.cache);
        if (!snapshot.ok())
            return snapshot.error();
        const QMap<QString, Entry> &now = snapshot.value();
        QHash<QString, QString> revisions;
        for (auto it = now.cbegin(); it != now.cend(); ++it)
            revisions.insert(it.key(), it.value().revision);

        QList<Event> events;
        const bool first = !s.started;
        if (!s.started) {
            s.started = true;
            if (s.resyncFirst) {
                // No history to resume from: the whole current truth.
                events << Event{Event::Type::Resync, {}, {}};
                for (const Entry &e : now)
                    events << Event{Event::Type::Added, e, {}};
                events << Event{Event::Type::ResyncDone, {}, {}};
            }
        } else {
            events = diffSnapshots(s.revisions, revisions);
            for (Event &e : events) {
                if (e.type != Event::Type::Deleted)
                    e.entry = now.value(e.entry.key);
            }
        }
        s.revisions = revisions;

        Scan scan;
        scan.events = events;
        scan.first = first;
        const local::Layout &layout = store.layout();
        QStringList others;
        for (const Entry &e : now) {
            const QString file = e.labels.value(QStringLiteral("file"));
            if (file == layout.statePath || file == layout.keysFile) {
                if (!scan.files.contains(file))
                    scan.files.prepend(file);
            } else if (!file.isEmpty()) {
                others << file;
            }
        }
        scan.files += others.mid(0, std::max<qsizetype>(0, kMaxWatchedFiles - scan.files.size()));
        return scan;
    }

    void deliver(const Result<Scan> &scan)
    {
        if (m_failed)
            return;
        if (!scan.ok()) {
            // Unreadable directory: a watch that silently saw nothing would
            // be worse than one that says it stopped.
            m_failed = true;
            m_dirs->deleteLater(); // stop its polling too
            m_dirs = nullptr;
            Q_EMIT failed(scan.error());
            return;
        }
        // inotify reports files added, removed and renamed in a directory,
        // but not writes into a file; the files themselves are watched too
        // (the QFileSystemWatcher underneath takes files as well), so an
        // in-place edit shows up at once rather than at the next poll.
        const QStringList paths = m_store->watchedDirectories() + scan.value().files;
        if (paths != m_paths) {
            m_paths = paths;
            m_dirs->setDirectories(paths);
        }
        // A consumer may delete the watch from its slot.
        const QPointer<LocalWatch> self(this);
        for (const Event &e : scan.value().events) {
            Q_EMIT event(e);
            if (!self)
                return;
        }
        if (scan.value().first)
            Q_EMIT ready();
    }

    // Past this many files (inotify watches are a per-user resource), the
    // rest are seen by directory events and the DirectoryWatcher's poll.
    static constexpr qsizetype kMaxWatchedFiles = 256;
    QStringList m_paths;

    std::shared_ptr<SerialWorker> m_worker;
    std::shared_ptr<const local::LocalStore> m_store;
    std::shared_ptr<State> m_state;
    DirectoryWatcher *m_dirs = nullptr;
    bool m_failed = false;
};

} // namespace

LocalProvider::LocalProvider(LocalOptions options, QObject *parent)
    : Provider(parent), m_options(std::move(options)), m_worker(std::make_shared<SerialWorker>())
{
    // The owner names this provider instance in lock records and Busy
    // errors: host, process, and a random part for two stores in one process.
    const QString owner = QStringLiteral("%1:%2:%3")
                              .arg(QSysInfo::machineHostName())
                              .arg(QCoreApplication::applicationPid())
                              .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'));
    m_store = std::make_shared<const local::LocalStore>(
        local::Layout::from(m_options.statePath, m_options.keysPath), owner);
}

LocalProvider::~LocalProvider() = default;

QString LocalProvider::scheme() const
{
    return QStringLiteral("local");
}

QString LocalProvider::describe() const
{
    const local::Layout &l = m_store->layout();
    if (l.keysPath.isEmpty())
        return QStringLiteral("local %1").arg(l.statePath);
    return QStringLiteral("local %1 (keys in %2)").arg(l.statePath, l.keysPath);
}

Capabilities LocalProvider::capabilities() const
{
    return local::localCapabilities();
}

QFuture<Result<ListPage>> LocalProvider::list(const ListOptions &options)
{
    auto store = m_store;
    return m_worker->run([store, options] { return store->list(options); });
}

QFuture<Result<Entry>> LocalProvider::get(const QString &key)
{
    auto store = m_store;
    return m_worker->run([store, key] { return store->get(key); });
}

QFuture<Result<Entry>> LocalProvider::put(const Entry &entry, const Precondition &pre)
{
    auto store = m_store;
    return m_worker->run([store, entry, pre] { return store->put(entry, pre); });
}

QFuture<Status> LocalProvider::remove(const QString &key, const Precondition &pre)
{
    auto store = m_store;
    return m_worker->run([store, key, pre] { return store->remove(key, pre); });
}

std::unique_ptr<Watch> LocalProvider::watch(const QString &prefix, const QString &fromRevision)
{
    return std::make_unique<LocalWatch>(m_worker, m_store, prefix, !fromRevision.isEmpty());
}

QFuture<Result<Lock>> LocalProvider::lock(const QString &name, std::chrono::milliseconds ttl)
{
    auto store = m_store;
    return m_worker->run([store, name, ttl] { return store->lock(name, ttl); });
}

QFuture<Status> LocalProvider::unlock(const Lock &lock)
{
    auto store = m_store;
    return m_worker->run([store, lock] { return store->unlock(lock); });
}

QFuture<Result<Lock>> LocalProvider::renew(const Lock &lock, std::chrono::milliseconds ttl)
{
    auto store = m_store;
    return m_worker->run([store, lock, ttl] { return store->renew(lock, ttl); });
}

} // namespace sd
