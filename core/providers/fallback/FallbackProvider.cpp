#include "providers/fallback/FallbackProvider.h"

#include "log/Log.h"
#include "providers/Backends.h"
#include "providers/fallback/WriteJournal.h"
#include "providers/form/EntryForm.h"
#include "util/AtomicFile.h"
#include "util/Async.h"
#include "util/StateDirectory.h"

#include <QCryptographicHash>
#include <QJsonObject>
#include <QPointer>

namespace sd {
namespace {

bool unreachable(const Error &e)
{
    return e.kind == ErrorKind::Unavailable || e.kind == ErrorKind::Timeout;
}

// A watch on the fallback whose events carry the primary's keys.
class MappedWatch : public Watch {
public:
    MappedWatch(std::unique_ptr<Watch> inner, std::function<QString(const QString &)> map)
        : m_inner(std::move(inner))
    {
        connect(m_inner.get(), &Watch::event, this, [this, map](Event e) {
            e.entry.key = map(e.entry.key);
            Q_EMIT event(e);
        });
        connect(m_inner.get(), &Watch::ready, this, &Watch::ready);
        connect(m_inner.get(), &Watch::progress, this, &Watch::progress);
        connect(m_inner.get(), &Watch::interrupted, this, &Watch::interrupted);
        connect(m_inner.get(), &Watch::resumed, this, &Watch::resumed);
        connect(m_inner.get(), &Watch::failed, this, &Watch::failed);
    }

private:
    std::unique_ptr<Watch> m_inner;
};

} // namespace

QString FallbackProvider::defaultJournalPath(const QString &primary, const QString &fallback)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(primary.toUtf8());
    h.addData(QByteArrayView("\0", 1));
    h.addData(fallback.toUtf8());
    return stateDirectory() + QStringLiteral("/fallback/") + QString::fromLatin1(h.result().toHex().left(16))
           + QStringLiteral(".jsonl");
}

FallbackProvider::FallbackProvider(std::unique_ptr<Provider> primary, std::unique_ptr<Provider> fallback,
                                   FallbackOptions options, QObject *parent)
    : Provider(parent), m_primary(std::move(primary)), m_fallback(std::move(fallback)), m_options(std::move(options)),
      m_worker(std::make_unique<SerialWorker>())
{
    if (m_options.journalPath.isEmpty())
        m_options.journalPath = defaultJournalPath(m_primary->describe(), m_fallback->describe());
    m_journal = std::make_unique<WriteJournal>(m_options.journalPath);
    m_sinceProbe.start();
}

FallbackProvider::~FallbackProvider()
{
    m_worker->waitForIdle();
}

QString FallbackProvider::journalPath() const
{
    return m_journal->path();
}

QString FallbackProvider::scheme() const
{
    return m_primary->scheme();
}

QString FallbackProvider::describe() const
{
    return QStringLiteral("%1 (fallback %2)").arg(m_primary->describe(), m_fallback->describe());
}

Capabilities FallbackProvider::capabilities() const
{
    Capabilities caps = m_primary->capabilities();
    // While the fallback serves, revisions are the fallback's (content hashes
    // of a file store): only a revision both stores could have is numeric.
    caps.numericRevisions = caps.numericRevisions && m_fallback->capabilities().numericRevisions;
    return caps;
}

Result<QString> FallbackProvider::toFallbackKey(const QString &key) const
{
    return translateKey(key, m_primary->capabilities(), m_fallback->capabilities(), m_options.keys);
}

QString FallbackProvider::fromFallbackKey(const QString &key) const
{
    Result<QString> k = translateKey(key, m_fallback->capabilities(), m_primary->capabilities(), m_options.keys);
    return k.ok() ? k.value() : key;
}

Entry FallbackProvider::fromFallback(Entry e) const
{
    e.key = fromFallbackKey(e.key);
    return e;
}

void FallbackProvider::switchToFallback(const Error &reason)
{
    if (m_mode == Mode::Fallback)
        return;
    m_mode = Mode::Fallback;
    m_sinceProbe.restart();
    log::warn(QStringLiteral("fallback.active"),
              QJsonObject{{QStringLiteral("primary"), m_primary->describe()},
                          {QStringLiteral("fallback"), m_fallback->describe()},
                          {QStringLiteral("reason"), reason.toString()},
                          {QStringLiteral("journal"), m_journal->path()}});
    Q_EMIT fallbackChanged(true, reason);
}

void FallbackProvider::switchToPrimary()
{
    const bool was = m_mode == Mode::Fallback;
    m_mode = Mode::Primary;
    if (was) {
        log::warn(QStringLiteral("fallback.inactive"), QJsonObject{{QStringLiteral("primary"), m_primary->describe()}});
        Q_EMIT fallbackChanged(false, Error());
    }
}

// A QFuture takes one continuation only, so callers waiting for the same
// probe and replay each get a promise of their own.
QFuture<bool> FallbackProvider::waitForTransition()
{
    auto p = std::make_shared<QPromise<bool>>();
    p->start();
    m_waiters << p;
    return p->future();
}

void FallbackProvider::endTransition()
{
    m_inTransition = false;
    const auto waiters = std::move(m_waiters);
    m_waiters.clear();
    for (const auto &p : waiters) {
        p->addResult(true);
        p->finish();
    }
}

QFuture<bool> FallbackProvider::ensureMode()
{
    if (m_mode == Mode::Primary)
        return readyFuture(true);
    if (m_inTransition)
        return waitForTransition();
    if (m_mode == Mode::Fallback
        && m_sinceProbe.elapsed() < std::chrono::duration_cast<std::chrono::milliseconds>(m_options.probeInterval).count())
        return readyFuture(true);
    m_sinceProbe.restart();
    m_inTransition = true;
    QFuture<bool> mine = waitForTransition();
    if (m_options.readOnly) {
        probeWithoutReplay();
        return mine;
    }
    const bool unknown = m_mode == Mode::Unknown;
    auto journal = m_journal.get();
    m_worker->run([journal] { return journal->hasRecords(); }).then(this, [this, unknown](bool pending) {
        if (unknown && !pending) {
            // Nothing to replay: use the primary, and fall back if it does
            // not answer.
            m_mode = Mode::Primary;
            return endTransition();
        }
        replayRecords().then(this, [this](Result<ReplayReport> r) {
            if (r.ok()) {
                switchToPrimary();
            } else if (unreachable(r.error()) || r.error().kind == ErrorKind::Busy) {
                // Busy: another process is replaying; stay on the fallback
                // until it is done.
                switchToFallback(r.error());
            } else {
                // A damaged journal: say so, and keep working on the primary.
                log::warn(QStringLiteral("fallback.journal"), QJsonObject{{QStringLiteral("error"), r.error().toString()}});
                switchToPrimary();
            }
            endTransition();
        });
    });
    return mine;
}

// A read-only connection's ensureMode(): the primary when it answers, and
// never a replay. At the first call it says in the log when the journal
// holds writes the primary does not have yet (reading its size writes
// nothing).
void FallbackProvider::probeWithoutReplay()
{
    if (m_mode == Mode::Unknown) {
        auto journal = m_journal.get();
        m_worker->run([journal] { return journal->hasRecords(); }).then(this, [this](bool pending) {
            if (pending)
                log::warn(QStringLiteral("fallback.pending"),
                          QJsonObject{{QStringLiteral("primary"), m_primary->describe()},
                                      {QStringLiteral("journal"), m_journal->path()},
                                      {QStringLiteral("reason"),
                                       QStringLiteral("the journal holds writes made on the fallback; a read-only "
                                                      "connection does not replay them, a writable one will")}});
            m_mode = Mode::Primary;
            endTransition();
        });
        return;
    }
    // On the fallback: back to the primary once it answers.
    ListOptions probe;
    probe.limit = 1;
    probe.keysOnly = true;
    m_primary->list(probe).then(this, [this](Result<ListPage> page) {
        if (page.ok() || !unreachable(page.error()))
            switchToPrimary();
        endTransition();
    });
}

QFuture<Result<ReplayReport>> FallbackProvider::replay()
{
    if (m_options.readOnly)
        return readyFuture(Result<ReplayReport>(
            Error(ErrorKind::Forbidden,
                  QStringLiteral("a read-only connection does not replay the journal of its fallback"),
                  m_journal->path())));
    if (m_inTransition)
        return waitForTransition().then(this, [this](bool) { return replay(); }).unwrap();
    m_sinceProbe.restart();
    m_inTransition = true;
    return replayRecords().then(this, [this](Result<ReplayReport> r) {
        if (r.ok())
            switchToPrimary();
        else if (unreachable(r.error()))
            switchToFallback(r.error());
        endTransition();
        return r;
    });
}

// The replay itself; see the class comment for the three-way check.
QFuture<Result<ReplayReport>> FallbackProvider::replayRecords()
{
    struct Run : std::enable_shared_from_this<Run> {
        FallbackProvider *q = nullptr;
        QList<JournalRecord> records;
        qsizetype next = 0;
        ReplayReport report;
        std::shared_ptr<CrossProcessLock> lock;
        QPromise<Result<ReplayReport>> promise;

        void finish(std::optional<Error> error)
        {
            // Drop what was dealt with (keeping records other processes
            // appended meanwhile), then release the replay lock.
            auto journal = q->m_journal.get();
            const qsizetype done = next;
            auto self = shared_from_this();
            q->m_worker->run([journal, done, self]() -> Status {
                Status s = done > 0 ? journal->dropFirst(done) : Status();
                self->lock.reset();
                return s;
            }).then(q, [self, error](Status dropped) {
                if (!self->records.isEmpty() && self->next > 0) {
                    log::warn(QStringLiteral("fallback.replayed"),
                              QJsonObject{{QStringLiteral("applied"), self->report.applied},
                                          {QStringLiteral("alreadyThere"), self->report.alreadyThere},
                                          {QStringLiteral("conflicts"), int(self->report.conflicts.size())},
                                          {QStringLiteral("failed"), self->report.failed}});
                    Q_EMIT self->q->replayed(self->report);
                }
                if (error)
                    self->promise.addResult(Result<ReplayReport>(*error));
                else if (!dropped.ok())
                    self->promise.addResult(Result<ReplayReport>(dropped.error()));
                else
                    self->promise.addResult(Result<ReplayReport>(self->report));
                self->promise.finish();
            });
        }

        void conflict(const JournalRecord &r, const QString &why)
        {
            report.conflicts << std::make_pair(r.key, why);
            log::warn(QStringLiteral("fallback.conflict"),
                      QJsonObject{{QStringLiteral("key"), r.key}, {QStringLiteral("reason"), why}});
            auto journal = q->m_journal.get();
            q->m_worker->run([journal, r, why] { return journal->recordConflict(r, why); });
            ++next;
            step();
        }

        void applied(const Status &s, const JournalRecord &r, const QString &conflictWhy)
        {
            if (s.ok()) {
                ++report.applied;
                ++next;
                return step();
            }
            if (unreachable(s.error()))
                return finish(s.error());
            if (s.error().kind == ErrorKind::Conflict || s.error().kind == ErrorKind::AlreadyExists
                || s.error().kind == ErrorKind::NotFound)
                return conflict(r, conflictWhy);
            ++report.failed;
            conflict(r, QStringLiteral("the primary refused it: %1").arg(s.error().toString()));
        }

        void step()
        {
            if (next >= records.size())
                return finish(std::nullopt);
            const JournalRecord r = records[next];
            auto self = shared_from_this();
            q->m_primary->get(r.key).then(q, [self, r](Result<Entry> theirs) {
                Provider *primary = self->q->m_primary.get();
                if (!theirs.ok() && theirs.error().kind != ErrorKind::NotFound) {
                    if (unreachable(theirs.error()))
                        return self->finish(theirs.error());
                    ++self->report.failed;
                    return self->conflict(r, QStringLiteral("cannot read it on the primary: %1").arg(theirs.error().toString()));
                }
                const bool exists = theirs.ok();
                if (r.op == JournalRecord::Op::Put) {
                    if (exists && sameContent(theirs.value(), r.after)) {
                        ++self->report.alreadyThere;
                        ++self->next;
                        return self->step();
                    }
                    if (!r.before && !exists) {
                        primary->put(r.after, Precondition::mustNotExist()).then(self->q, [self, r](Result<Entry> w) {
                            self->applied(w.ok() ? Status() : Status(w.error()), r,
                                          QStringLiteral("it was created on the primary meanwhile"));
                        });
                        return;
                    }
                    if (r.before && exists && sameContent(theirs.value(), *r.before)) {
                        primary->put(r.after, Precondition::atRevision(theirs->revision))
                            .then(self->q, [self, r](Result<Entry> w) {
                                self->applied(w.ok() ? Status() : Status(w.error()), r,
                                              QStringLiteral("it changed on the primary during the replay"));
                            });
                        return;
                    }
                } else {
                    if (!exists) {
                        ++self->report.alreadyThere;
                        ++self->next;
                        return self->step();
                    }
                    if (r.before && sameContent(theirs.value(), *r.before)) {
                        primary->remove(r.key, Precondition::atRevision(theirs->revision)).then(self->q, [self, r](Status s) {
                            self->applied(s, r, QStringLiteral("it changed on the primary during the replay"));
                        });
                        return;
                    }
                }
                self->conflict(r, !exists     ? QStringLiteral("it was deleted on the primary meanwhile; the fallback's "
                                                               "write was not replayed")
                                  : r.before ? QStringLiteral("it changed on the primary meanwhile; the fallback's "
                                                              "write was not replayed over it")
                                             : QStringLiteral("it was created on the primary meanwhile; the "
                                                              "fallback's write was not replayed over it"));
            });
        }
    };

    auto run = std::make_shared<Run>();
    run->q = this;
    run->promise.start();
    QFuture<Result<ReplayReport>> out = run->promise.future();
    ListOptions probe;
    probe.limit = 1;
    probe.keysOnly = true;
    // Is the primary back?
    m_primary->list(probe).then(this, [this, run](Result<ListPage> page) {
        if (!page.ok() && unreachable(page.error())) {
            run->promise.addResult(Result<ReplayReport>(page.error()));
            run->promise.finish();
            return;
        }
        auto journal = m_journal.get();
        const QString lockPath = m_journal->path() + QStringLiteral(".replay.lock");
        m_worker->run([journal, lockPath, run]() -> Result<QList<JournalRecord>> {
            auto lock = std::make_shared<CrossProcessLock>(lockPath);
            // Another process replaying this journal: let it.
            if (Status s = lock->acquire(std::chrono::milliseconds(200)); !s.ok())
                return s.error();
            run->lock = lock;
            return journal->readAll();
        }).then(this, [run](Result<QList<JournalRecord>> records) {
            if (!records.ok()) {
                run->promise.addResult(Result<ReplayReport>(records.error()));
                run->promise.finish();
                run->q->m_worker->run([run] { run->lock.reset(); });
                return;
            }
            run->records = records.value();
            run->step();
        });
    });
    return out;
}

template <typename R>
QFuture<R> FallbackProvider::route(std::function<QFuture<R>(bool onFallback)> op)
{
    return ensureMode()
        .then(this,
              [this, op](bool) -> QFuture<R> {
                  if (m_mode == Mode::Fallback)
                      return op(true);
                  return op(false)
                      .then(this,
                            [this, op](R r) -> QFuture<R> {
                                if (r.ok() || !unreachable(r.error()))
                                    return readyFuture(std::move(r));
                                switchToFallback(r.error());
                                return op(true);
                            })
                      .unwrap();
              })
        .unwrap();
}

QFuture<Result<ListPage>> FallbackProvider::list(const ListOptions &options)
{
    return route<Result<ListPage>>([this, options](bool fb) -> QFuture<Result<ListPage>> {
        if (!fb)
            return m_primary->list(options);
        ListOptions o = options;
        o.prefix = translatePrefix(options.prefix, m_primary->capabilities().keySeparator,
                                   m_fallback->capabilities().keySeparator, m_options.keys);
        return m_fallback->list(o).then(this, [this](Result<ListPage> page) {
            if (page.ok())
                for (Entry &e : page->entries)
                    e.key = fromFallbackKey(e.key);
            return page;
        });
    });
}

QFuture<Result<Entry>> FallbackProvider::get(const QString &key)
{
    return route<Result<Entry>>([this, key](bool fb) -> QFuture<Result<Entry>> {
        if (!fb)
            return m_primary->get(key);
        Result<QString> k = toFallbackKey(key);
        if (!k.ok())
            return readyFuture(Result<Entry>(k.error()));
        return m_fallback->get(k.value()).then(this, [key](Result<Entry> e) {
            if (e.ok())
                e->key = key;
            return e;
        });
    });
}

// On the fallback, the history is the fallback's (Unsupported where it keeps
// none), under the primary's key.
QFuture<Result<QList<Entry>>> FallbackProvider::history(const QString &key, int limit)
{
    return route<Result<QList<Entry>>>([this, key, limit](bool fb) -> QFuture<Result<QList<Entry>>> {
        if (!fb)
            return m_primary->history(key, limit);
        Result<QString> k = toFallbackKey(key);
        if (!k.ok())
            return readyFuture(Result<QList<Entry>>(k.error()));
        return m_fallback->history(k.value(), limit).then(this, [key](Result<QList<Entry>> versions) {
            if (versions.ok())
                for (Entry &e : versions.value())
                    e.key = key;
            return versions;
        });
    });
}

QFuture<Result<Entry>> FallbackProvider::put(const Entry &entry, const Precondition &pre)
{
    return route<Result<Entry>>([this, entry, pre](bool fb) -> QFuture<Result<Entry>> {
        return fb ? putOnFallback(entry, pre) : m_primary->put(entry, pre);
    });
}

QFuture<Status> FallbackProvider::remove(const QString &key, const Precondition &pre)
{
    return route<Status>([this, key, pre](bool fb) -> QFuture<Status> {
        return fb ? removeOnFallback(key, pre) : m_primary->remove(key, pre);
    });
}

QFuture<Result<Entry>> FallbackProvider::putOnFallback(const Entry &entry, const Precondition &pre)
{
    const TargetForm form = TargetForm::between(m_primary->capabilities().keySeparator, m_fallback->scheme(),
                                                m_fallback->capabilities(), m_options.keys);
    Result<Entry> shaped = entryForTarget(entry, form);
    if (!shaped.ok())
        return readyFuture(Result<Entry>(shaped.error()));
    const Entry target = shaped.value();
    // What the fallback holds now is the base the replay checks against.
    return m_fallback->get(target.key)
        .then(this,
              [this, entry, target, pre](Result<Entry> base) -> QFuture<Result<Entry>> {
                  if (!base.ok() && base.error().kind != ErrorKind::NotFound)
                      return readyFuture(Result<Entry>(base.error()));
                  std::optional<Entry> before;
                  if (base.ok())
                      before = fromFallback(base.value());
                  return m_fallback->put(target, pre)
                      .then(this,
                            [this, entry, before](Result<Entry> written) -> QFuture<Result<Entry>> {
                                if (!written.ok())
                                    return readyFuture(written);
                                JournalRecord r;
                                r.op = JournalRecord::Op::Put;
                                r.key = entry.key;
                                r.after = entry;
                                r.before = before;
                                r.at = QDateTime::currentDateTimeUtc();
                                auto journal = m_journal.get();
                                Entry out = written.value();
                                out.key = entry.key;
                                return m_worker->run([journal, r] { return journal->append(r); })
                                    .then(this, [out](Status saved) -> Result<Entry> {
                                        if (!saved.ok())
                                            return Error(saved.error().kind,
                                                         QStringLiteral("written to the fallback, but not journaled for "
                                                                        "the primary: %1")
                                                             .arg(saved.error().message),
                                                         saved.error().where);
                                        return out;
                                    });
                            })
                      .unwrap();
              })
        .unwrap();
}

QFuture<Status> FallbackProvider::removeOnFallback(const QString &key, const Precondition &pre)
{
    Result<QString> k = toFallbackKey(key);
    if (!k.ok())
        return readyFuture(Status(k.error()));
    const QString fkey = k.value();
    return m_fallback->get(fkey)
        .then(this,
              [this, key, fkey, pre](Result<Entry> base) -> QFuture<Status> {
                  if (!base.ok())
                      return readyFuture(Status(base.error()));
                  const Entry before = fromFallback(base.value());
                  return m_fallback->remove(fkey, pre)
                      .then(this,
                            [this, key, before](Status removed) -> QFuture<Status> {
                                if (!removed.ok())
                                    return readyFuture(removed);
                                JournalRecord r;
                                r.op = JournalRecord::Op::Remove;
                                r.key = key;
                                r.before = before;
                                r.at = QDateTime::currentDateTimeUtc();
                                auto journal = m_journal.get();
                                return m_worker->run([journal, r] { return journal->append(r); });
                            })
                      .unwrap();
              })
        .unwrap();
}

std::unique_ptr<Watch> FallbackProvider::watch(const QString &prefix, const QString &fromRevision)
{
    if (m_mode != Mode::Fallback)
        return m_primary->watch(prefix, fromRevision);
    const QString p = translatePrefix(prefix, m_primary->capabilities().keySeparator,
                                      m_fallback->capabilities().keySeparator, m_options.keys);
    auto inner = m_fallback->watch(p, fromRevision);
    if (!inner)
        return inner;
    return std::make_unique<MappedWatch>(std::move(inner), [this](const QString &k) { return fromFallbackKey(k); });
}

QFuture<Result<Lock>> FallbackProvider::lock(const QString &name, std::chrono::milliseconds ttl)
{
    return route<Result<Lock>>([this, name, ttl](bool fb) { return (fb ? m_fallback : m_primary)->lock(name, ttl); });
}

QFuture<Status> FallbackProvider::unlock(const Lock &lock)
{
    return route<Status>([this, lock](bool fb) { return (fb ? m_fallback : m_primary)->unlock(lock); });
}

QFuture<Result<Lock>> FallbackProvider::renew(const Lock &lock, std::chrono::milliseconds ttl)
{
    return route<Result<Lock>>([this, lock, ttl](bool fb) { return (fb ? m_fallback : m_primary)->renew(lock, ttl); });
}

// A read-only spec opens both stores read-only as well (each wrapped, a
// SQLite file opened read-only), and the pair never replays its journal.
Result<std::unique_ptr<Provider>> openWithFallback(const StoreSpec &spec)
{
    StoreSpec primarySpec = spec;
    primarySpec.fallback.reset();
    auto primary = openProvider(primarySpec);
    if (!primary.ok())
        return primary.error();
    StoreSpec fallbackSpec = *spec.fallback;
    if (spec.readOnly) {
        fallbackSpec.readOnly = true;
        if (fallbackSpec.connection.isEmpty())
            fallbackSpec.connection = spec.connection;
    }
    auto fallback = openProvider(fallbackSpec);
    if (!fallback.ok())
        return fallback.error();
    FallbackOptions options;
    options.readOnly = spec.readOnly;
    return std::unique_ptr<Provider>(
        std::make_unique<FallbackProvider>(std::move(primary).value(), std::move(fallback).value(), options));
}

} // namespace sd
