#include "remediation/RemediationManager.h"

#include "log/Log.h"
#include "util/AtomicFile.h"
#include "util/Async.h"

#include <QDir>
#include <QtConcurrent/QtConcurrentRun>
#include <QPromise>
#include <QRandomGenerator>

namespace sd::remediation {
namespace {

template <typename T>
void fulfil(const std::shared_ptr<QPromise<T>> &p, T value)
{
    p->addResult(std::move(value));
    p->finish();
}

// Backend errors are the seed's KubernetesError; the kind stays as it was.
Error backendError(Error e)
{
    if (e.reason.isEmpty())
        e.reason = reason::kubernetes;
    return e;
}

Error notFound(const TaskRef &ref, const QString &name)
{
    return Error(ErrorKind::NotFound,
                 name.isEmpty() ? QStringLiteral("no remediation state for task %1").arg(ref.id)
                                : QStringLiteral("no remediation state for task %1 (looked for %2)").arg(ref.id, name),
                 ref.id)
        .withReason(reason::notFound);
}

// Pages through every entry under `prefix`, calling `each` for each page's
// entries, then `done` with the first error or success.
void listAll(Provider *provider, QObject *context, const QString &prefix, bool keysOnly,
             std::function<void(const QList<Entry> &)> each, std::function<void(Status)> done, QString cursor = {})
{
    ListOptions o;
    o.prefix = prefix;
    o.limit = 500;
    o.cursor = cursor;
    o.keysOnly = keysOnly;
    provider->list(o).then(context, [=](Result<ListPage> page) {
        if (!page.ok())
            return done(backendError(page.error()));
        each(page->entries);
        if (page->nextCursor.isEmpty())
            return done(Status());
        listAll(provider, context, prefix, keysOnly, each, done, page->nextCursor);
    });
}

QString timestampForFile(const UtcTime &t)
{
    return t.toDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
}

} // namespace

int CleanupReport::deleted() const
{
    return int(std::count_if(items.cbegin(), items.cend(),
                             [](const CleanupItem &i) { return i.action == CleanupItem::Action::Deleted; }));
}

struct RemediationManager::Write {
    TaskRef ref;
    QString name;
    bool createIfMissing = false;
    Mutator mutate;
    int attempt = 0;
    std::shared_ptr<QPromise<Result<RemediationTask>>> promise;
};

RemediationManager::RemediationManager(Provider *provider, QObject *parent)
    : QObject(parent), m_provider(provider)
{
    qRegisterMetaType<sd::remediation::RemediationTask>();
    qRegisterMetaType<sd::remediation::CleanupReport>();
}

RemediationManager::~RemediationManager() = default;

QFuture<Result<QList<RemediationTask>>> RemediationManager::list()
{
    auto promise = std::make_shared<QPromise<Result<QList<RemediationTask>>>>();
    promise->start();
    auto tasks = std::make_shared<QList<RemediationTask>>();
    auto collect = [tasks](const QList<Entry> &entries) {
        for (const Entry &e : entries)
            if (auto t = RemediationTask::fromEntry(e); t.ok())
                tasks->append(std::move(t).value());
    };
    // Both naming schemes are prefixes, so the store filters for us where it can.
    listAll(m_provider, this, keyPrefix(Schema::Seed), false, collect, [=, this](Status s) {
        if (!s.ok())
            return fulfil(promise, Result<QList<RemediationTask>>(s.error()));
        listAll(m_provider, this, keyPrefix(Schema::Controller), false, collect, [=](Status s2) {
            if (!s2.ok())
                return fulfil(promise, Result<QList<RemediationTask>>(s2.error()));
            std::sort(tasks->begin(), tasks->end(),
                      [](const RemediationTask &a, const RemediationTask &b) { return a.name() < b.name(); });
            fulfil(promise, Result<QList<RemediationTask>>(*tasks));
        });
    });
    return promise->future();
}

QFuture<Result<QString>> RemediationManager::resolve(const TaskRef &ref)
{
    if (ref.id.isEmpty())
        return readyFuture(Result<QString>(Error(ErrorKind::Invalid, QStringLiteral("a task id is needed"))));
    // A ConfigMap name, or a ref that can only mean one name.
    if (ref.prNumber < 0 && !ref.schema) {
        if (const auto parts = parseConfigMapName(ref.id))
            return readyFuture(Result<QString>(ref.id));
    }
    if (ref.prNumber >= 0)
        return readyFuture(Result<QString>(configMapName(Schema::Controller, ref.id, ref.prNumber)));
    if (ref.schema == Schema::Seed)
        return readyFuture(Result<QString>(configMapName(Schema::Seed, ref.id)));

    // A bare task id: the seed's task-{id}-state, or any PR's controller map
    // for that task. More than one is for the user to choose.
    auto promise = std::make_shared<QPromise<Result<QString>>>();
    promise->start();
    auto candidates = std::make_shared<QStringList>();
    const QString id = ref.id;
    auto collect = [candidates, id](const QList<Entry> &entries) {
        for (const Entry &e : entries)
            if (const auto parts = parseConfigMapName(e.key);
                parts && parts->schema == Schema::Controller && parts->taskId == id)
                candidates->append(e.key);
    };
    const bool controllerOnly = ref.schema == Schema::Controller;
    listAll(m_provider, this, keyPrefix(Schema::Controller), true, collect, [=, this](Status s) {
        if (!s.ok())
            return fulfil(promise, Result<QString>(s.error()));
        auto decide = [=]() {
            if (candidates->isEmpty())
                return fulfil(promise, Result<QString>(notFound(ref, QString())));
            if (candidates->size() > 1)
                return fulfil(promise, Result<QString>(Error(ErrorKind::Invalid,
                                                              QStringLiteral("task %1 is ambiguous: %2. Name the "
                                                                             "ConfigMap, or pass --pr N or "
                                                                             "--schema seed")
                                                                  .arg(id, candidates->join(QStringLiteral(", "))),
                                                              id)));
            fulfil(promise, Result<QString>(candidates->first()));
        };
        if (controllerOnly)
            return decide();
        const QString seedName = configMapName(Schema::Seed, id);
        m_provider->get(seedName).then(this, [=](Result<Entry> e) {
            if (e.ok())
                candidates->prepend(seedName);
            else if (e.error().kind != ErrorKind::NotFound)
                return fulfil(promise, Result<QString>(backendError(e.error())));
            decide();
        });
    });
    return promise->future();
}

QFuture<Result<RemediationTask>> RemediationManager::get(const TaskRef &ref)
{
    auto promise = std::make_shared<QPromise<Result<RemediationTask>>>();
    promise->start();
    resolve(ref).then(this, [=, this](Result<QString> name) {
        if (!name.ok())
            return fulfil(promise, Result<RemediationTask>(name.error()));
        m_provider->get(name.value()).then(this, [=](Result<Entry> e) {
            if (!e.ok())
                return fulfil(promise, Result<RemediationTask>(e.error().kind == ErrorKind::NotFound
                                                                   ? notFound(ref, name.value())
                                                                   : backendError(e.error())));
            fulfil(promise, RemediationTask::fromEntry(e.value()));
        });
    });
    return promise->future();
}

QFuture<Result<RemediationTask>> RemediationManager::create(Schema schema, const QString &taskId, qint64 prNumber,
                                                            int maxIterations)
{
    if (schema == Schema::Controller && prNumber < 0)
        return readyFuture(Result<RemediationTask>(
            Error(ErrorKind::Invalid, QStringLiteral("the controller's schema needs a PR number (--pr N)"), taskId)));
    if (taskId.isEmpty())
        return readyFuture(Result<RemediationTask>(Error(ErrorKind::Invalid, QStringLiteral("a task id is needed"))));
    RemediationTask task = RemediationTask::create(schema, taskId, prNumber, maxIterations, UtcTime::now());
    auto entry = task.toEntry(UtcTime::now());
    if (!entry.ok())
        return readyFuture(Result<RemediationTask>(entry.error()));
    if (Status s = validateKey(entry->key, m_provider->capabilities()); !s.ok())
        return readyFuture(Result<RemediationTask>(s.error()));
    return m_provider->put(entry.value(), Precondition::mustNotExist())
        .then(this, [this, taskId](Result<Entry> written) -> Result<RemediationTask> {
            if (!written.ok()) {
                if (written.error().kind == ErrorKind::AlreadyExists)
                    return Error(ErrorKind::AlreadyExists,
                                 QStringLiteral("task %1 already has remediation state").arg(taskId),
                                 written.error().where);
                return backendError(written.error());
            }
            auto t = RemediationTask::fromEntry(written.value());
            if (t.ok()) {
                log::info(QStringLiteral("remediation_create"), {{QStringLiteral("key"), t->name()}});
                Q_EMIT taskChanged(t.value());
            }
            return t;
        });
}

QFuture<Result<RemediationTask>> RemediationManager::increment(const TaskRef &ref)
{
    return modify(ref, incrementIteration, true);
}

QFuture<Result<RemediationTask>> RemediationManager::addFeedback(const TaskRef &ref, const NewFeedback &feedback)
{
    return modify(ref, [feedback](RemediationTask &t, const UtcTime &now) { return appendFeedback(t, feedback, now); },
                  false);
}

QFuture<Result<RemediationTask>> RemediationManager::resolveFeedback(const TaskRef &ref, const QString &which,
                                                                     const QString &status)
{
    return modify(ref,
                  [which, status](RemediationTask &t, const UtcTime &now) {
                      return remediation::resolveFeedback(t, which, status, now);
                  },
                  false);
}

QFuture<Result<RemediationTask>> RemediationManager::setStatus(const TaskRef &ref, const QString &status)
{
    return modify(ref, [status](RemediationTask &t, const UtcTime &now) { return remediation::setStatus(t, status, now); },
                  false);
}

QFuture<Result<RecoverResult>> RemediationManager::recover(const TaskRef &ref, const RecoverOptions &options)
{
    auto promise = std::make_shared<QPromise<Result<RecoverResult>>>();
    promise->start();
    auto report = std::make_shared<RecoveryReport>();
    // `savedText`: the unreadable state.json already backed up, which the
    // write may replace; anything else found there means someone changed it
    // meanwhile, and it is left alone.
    auto run = [=, this](std::optional<QString> savedText) {
        auto mutate = [report, savedText, options](RemediationTask &t, const UtcTime &now) -> Result<Outcome> {
            const QString backupPath = report->backupPath;
            *report = RecoveryReport{};
            report->created = t.entry().revision.isEmpty();
            if (!t.stateError())
                return validateAndRepair(t, report.get(), now);
            if (!options.reset || !savedText)
                return t.stateError().value();
            if (t.stateText() != *savedText)
                return Error(ErrorKind::Conflict,
                             QStringLiteral("state.json changed while it was being backed up; nothing was reset. "
                                            "Run recover again."),
                             t.name());
            t.resetState(now);
            report->reset = true;
            report->backupPath = backupPath;
            report->repairs << QStringLiteral("state.json replaced by a new state (old content in %1)").arg(backupPath);
            return Outcome{};
        };
        modify(ref, mutate, true).then(this, [=](Result<RemediationTask> t) {
            if (!t.ok())
                return fulfil(promise, Result<RecoverResult>(t.error()));
            fulfil(promise, Result<RecoverResult>(RecoverResult{std::move(t).value(), *report}));
        });
    };
    if (!options.reset) {
        run(std::nullopt);
        return promise->future();
    }
    // Reset asked for: save what is there first, off the event loop, as the
    // one copy of a history that may still be readable by hand.
    get(ref).then(this, [=, this](Result<RemediationTask> t) {
        if (!t.ok() || !t->stateError())
            return run(std::nullopt);
        const QString path = QDir(options.backupDir)
                                 .filePath(QStringLiteral("%1.state.json.%2").arg(t->name(), timestampForFile(UtcTime::now())));
        const QString text = t->stateText();
        QtConcurrent::run([path, text, dir = options.backupDir] {
            QDir().mkpath(dir);
            return writeFileAtomically(path, text.toUtf8());
        }).then(this, [=](Status saved) {
            if (!saved.ok())
                return fulfil(promise, Result<RecoverResult>(Error(
                                           ErrorKind::Io,
                                           QStringLiteral("cannot save the old state.json before resetting it: %1; "
                                                          "nothing was changed")
                                               .arg(saved.error().message),
                                           path)));
            report->backupPath = path;
            run(text);
        });
    });
    return promise->future();
}

QFuture<Result<RemediationTask>> RemediationManager::modify(const TaskRef &ref, Mutator mutate, bool createIfMissing)
{
    auto w = std::make_shared<Write>();
    w->ref = ref;
    w->createIfMissing = createIfMissing;
    w->mutate = std::move(mutate);
    w->promise = std::make_shared<QPromise<Result<RemediationTask>>>();
    w->promise->start();
    resolve(ref).then(this, [this, w](Result<QString> name) {
        if (name.ok()) {
            w->name = name.value();
        } else if (name.error().kind == ErrorKind::NotFound && w->createIfMissing) {
            // The seed creates a missing task where it would have been.
            w->name = configMapName(w->ref.schema.value_or(Schema::Seed), w->ref.id, w->ref.prNumber);
        } else {
            return fulfil(w->promise, Result<RemediationTask>(name.error()));
        }
        attempt(w);
    });
    return w->promise->future();
}

void RemediationManager::attempt(std::shared_ptr<Write> w)
{
    ++w->attempt;
    m_provider->get(w->name).then(this, [this, w](Result<Entry> current) {
        RemediationTask task;
        Precondition pre;
        const UtcTime now = UtcTime::now();
        if (current.ok()) {
            auto t = RemediationTask::fromEntry(current.value());
            if (!t.ok())
                return fulfil(w->promise, Result<RemediationTask>(t.error()));
            task = std::move(t).value();
            pre = Precondition::atRevision(current->revision);
        } else if (current.error().kind == ErrorKind::NotFound && w->createIfMissing) {
            const auto parts = parseConfigMapName(w->name);
            const Schema schema = parts ? parts->schema : Schema::Seed;
            task = RemediationTask::create(schema, parts ? parts->taskId : w->ref.id, parts ? parts->prNumber : -1, 0,
                                           now);
            pre = Precondition::mustNotExist();
        } else if (current.error().kind == ErrorKind::NotFound) {
            return fulfil(w->promise, Result<RemediationTask>(notFound(w->ref, w->name)));
        } else {
            return fulfil(w->promise, Result<RemediationTask>(backendError(current.error())));
        }

        auto outcome = w->mutate(task, now);
        if (!outcome.ok())
            return fulfil(w->promise, Result<RemediationTask>(outcome.error()));
        if (!outcome->write && pre.kind != Precondition::Kind::MustNotExist) {
            if (outcome->afterWrite)
                return fulfil(w->promise, Result<RemediationTask>(*outcome->afterWrite));
            return fulfil(w->promise, Result<RemediationTask>(task));
        }
        auto entry = task.toEntry(now);
        if (!entry.ok())
            return fulfil(w->promise, Result<RemediationTask>(entry.error()));
        const std::optional<Error> afterWrite = outcome->afterWrite;
        m_provider->put(entry.value(), pre).then(this, [this, w, afterWrite](Result<Entry> written) {
            if (written.ok()) {
                auto t = RemediationTask::fromEntry(written.value());
                if (t.ok()) {
                    log::info(QStringLiteral("remediation_write"),
                              {{QStringLiteral("key"), t->name()}, {QStringLiteral("attempts"), w->attempt}});
                    Q_EMIT taskChanged(t.value());
                }
                if (afterWrite)
                    return fulfil(w->promise, Result<RemediationTask>(*afterWrite));
                return fulfil(w->promise, std::move(t));
            }
            const ErrorKind k = written.error().kind;
            const bool lostRace = k == ErrorKind::Conflict || k == ErrorKind::AlreadyExists;
            if (!lostRace)
                return fulfil(w->promise, Result<RemediationTask>(backendError(written.error())));
            if (w->attempt >= m_maxAttempts)
                return fulfil(w->promise,
                              Result<RemediationTask>(Error(ErrorKind::Conflict,
                                                            QStringLiteral("gave up after %1 attempts: other writers "
                                                                           "kept changing the task")
                                                                .arg(w->attempt),
                                                            w->name)));
            // Jittered, growing backoff: writers that collided spread out
            // instead of colliding again in lockstep.
            const int ceiling = qMin(5 << qMin(w->attempt, 6), 250);
            const int delay = int(QRandomGenerator::global()->bounded(ceiling)) + 1;
            QTimer::singleShot(delay, this, [this, w] { attempt(w); });
        });
    });
}

QFuture<Result<CleanupReport>> RemediationManager::cleanup(const CleanupOptions &options)
{
    auto promise = std::make_shared<QPromise<Result<CleanupReport>>>();
    promise->start();
    list().then(this, [=, this](Result<QList<RemediationTask>> tasks) {
        if (!tasks.ok())
            return fulfil(promise, Result<CleanupReport>(tasks.error()));
        const UtcTime now = UtcTime::now();
        const UtcTime cutoff{now.seconds - options.retentionSeconds, now.nanos};
        auto report = std::make_shared<CleanupReport>();
        report->examined = int(tasks->size());
        QList<std::pair<RemediationTask, int>> toDelete; // task, index in report
        for (const RemediationTask &t : tasks.value()) {
            const auto updated = t.lastUpdate();
            if (!updated || !(*updated < cutoff))
                continue;
            CleanupItem item{t.name(), t.taskId(), t.schema(), t.status(), t.lastUpdateText(), {}, {}};
            if (t.stateError()) {
                // The seed deletes these; without a readable status nobody
                // can tell it is not in progress.
                item.action = CleanupItem::Action::KeptUnreadable;
                item.detail = t.stateError()->toString();
            } else if (t.status() == QLatin1String("InProgress")) {
                item.action = CleanupItem::Action::KeptInProgress;
                item.detail = QStringLiteral("in progress");
            } else if (options.dryRun) {
                item.action = CleanupItem::Action::WouldDelete;
            } else {
                toDelete.append({t, int(report->items.size())});
            }
            report->items.append(item);
        }
        if (toDelete.isEmpty())
            return fulfil(promise, Result<CleanupReport>(*report));
        auto pending = std::make_shared<int>(int(toDelete.size()));
        for (const auto &[task, index] : std::as_const(toDelete)) {
            const int at = index;
            const QString name = task.name();
            m_provider->remove(name, Precondition::atRevision(task.entry().revision))
                .then(this, [=](Status s) {
                    CleanupItem &item = report->items[at];
                    if (s.ok()) {
                        item.action = CleanupItem::Action::Deleted;
                        log::info(QStringLiteral("remediation_cleanup"), {{QStringLiteral("key"), name}});
                    } else {
                        item.action = CleanupItem::Action::Failed;
                        item.detail = s.error().kind == ErrorKind::Conflict
                                          ? QStringLiteral("changed since it was read; kept")
                                          : s.error().toString();
                    }
                    if (--*pending == 0)
                        fulfil(promise, Result<CleanupReport>(*report));
                });
        }
    });
    return promise->future();
}

void RemediationManager::startPeriodicCleanup(const CleanupOptions &options, std::chrono::milliseconds interval)
{
    m_cleanupTimer.disconnect(this);
    m_cleanupTimer.setInterval(interval);
    auto tick = [this, options] {
        if (m_cleanupRunning)
            return;
        m_cleanupRunning = true;
        cleanup(options).then(this, [this](Result<CleanupReport> r) {
            m_cleanupRunning = false;
            if (r.ok())
                Q_EMIT cleanupFinished(r.value());
            else
                log::warn(QStringLiteral("remediation_cleanup_failed"), {{QStringLiteral("error"), r.error().toString()}});
        });
    };
    connect(&m_cleanupTimer, &QTimer::timeout, this, tick);
    m_cleanupTimer.start();
    // The first run now, as the seed's interval ticks at once.
    QTimer::singleShot(0, this, tick);
}

void RemediationManager::stopPeriodicCleanup()
{
    m_cleanupTimer.stop();
}

} // namespace sd::remediation
