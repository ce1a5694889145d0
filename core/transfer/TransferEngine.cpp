#include "transfer/TransferEngine.h"

#include "providers/Provider.h"
#include "transfer/BackupWriter.h"
#include "transfer/EntrySource.h"
#include "transfer/Fetch.h"
#include "transfer/TargetLookup.h"

namespace sd {

TransferEngine::TransferEngine(Provider *target, EngineOptions options, QObject *parent)
    : QObject(parent), m_target(target), m_options(std::move(options))
{
    m_report = m_options.carried;
    m_report.problems.clear();
    m_report.dryRun = m_options.dryRun;
    m_done = m_report.read;
    m_meter.setTotal(m_options.total);
}

TransferEngine::~TransferEngine() = default;

QFuture<Result<TransferReport>> TransferEngine::run()
{
    m_promise.start();
    if (m_options.dryRun) {
        startPass(Pass::DryRun);
    } else if (m_options.policy == ConflictPolicy::Fail) {
        // An empty target (the usual migration) cannot conflict: skip the
        // check pass and its lookup of every key.
        ListOptions probe;
        probe.prefix = m_options.targetPrefix;
        probe.limit = 1;
        probe.keysOnly = true;
        probe.namesOnly = true;
        // Shown at once: the job has left its earlier phase (an import's
        // read of the file) and now waits on the target.
        m_meter = ProgressMeter(QStringLiteral("check"));
        m_meter.setTotal(m_options.total);
        Q_EMIT progress(m_meter.update(m_done, 0));
        m_target->list(probe).then(this, [this](Result<ListPage> page) {
            if (m_cancelled)
                return finish(Error(ErrorKind::Cancelled, QStringLiteral("cancelled")));
            const bool empty = page.ok() && page->entries.isEmpty();
            startPass(empty ? Pass::Write : Pass::Check);
        });
    } else {
        startPass(Pass::Write);
    }
    return m_promise.future();
}

void TransferEngine::cancel()
{
    m_cancelled = true;
}

void TransferEngine::setTotal(qint64 total)
{
    m_options.total = total;
    m_meter.setTotal(total);
}

void TransferEngine::startPass(Pass pass)
{
    m_pass = pass;
    m_meter = ProgressMeter(pass == Pass::Check ? QStringLiteral("check") : pass == Pass::DryRun ? QStringLiteral("plan")
                                                                                                 : QStringLiteral("write"));
    m_meter.setTotal(m_options.total);
    m_done = m_options.carried.read;
    m_havePrefetch = false;
    m_source = m_options.openSource();
    m_lookup = pass == Pass::Write ? nullptr : std::make_unique<TargetLookup>(m_target, this, m_options.targetPrefix);
    if (pass == Pass::Write && m_options.policy == ConflictPolicy::Overwrite && !m_backup) {
        m_backup = std::make_unique<BackupWriter>(m_options.backupPath, m_options.backupPartialPath,
                                                  m_options.backupManifest, m_options.backupCipher,
                                                  m_options.carried.backedUp);
        if (m_options.stepHook)
            m_backup->setStepHook(m_options.stepHook);
    }
    // Each pass says it began before its first page is read or written, so
    // a slow or paused server shows as this phase at its start.
    Q_EMIT progress(m_meter.update(m_done, 0));
    readNext();
}

void TransferEngine::readNext()
{
    QFuture<Result<SourcePage>> f = m_havePrefetch ? m_nextPage : m_source->next();
    m_havePrefetch = false;
    f.then(this, [this](Result<SourcePage> page) { onPage(std::move(page)); });
}

void TransferEngine::onPage(Result<SourcePage> page)
{
    if (!page.ok())
        return finish(page.error());
    // A cancel that came while the page was read (or while the target was
    // probed) stops before any of it is written: "after the page in flight"
    // means one already sent, never one not yet begun.
    if (m_cancelled)
        return finish(Error(ErrorKind::Cancelled, QStringLiteral("cancelled")));
    m_page = std::make_unique<SourcePage>(std::move(page).value());
    // Read the next page while this one is written.
    if (!m_page->last && !m_cancelled) {
        m_nextPage = m_source->next();
        m_havePrefetch = true;
    }
    QList<Item> items;
    items.reserve(m_page->entries.size());
    for (const Entry &e : std::as_const(m_page->entries)) {
        Result<Entry> target = entryForTarget(e, m_options.form);
        if (!target.ok()) {
            if (m_pass != Pass::Check) {
                Entry named;
                named.key = e.key;
                report(KeyOutcome::Kind::Failed, Item{e, named}, {}, target.error());
            }
            continue;
        }
        items << Item{e, std::move(target).value()};
    }
    if (m_pass == Pass::Write)
        writePage(std::move(items));
    else
        checkPage(std::move(items));
}

bool TransferEngine::fatal(const Error &e)
{
    switch (e.kind) {
    case ErrorKind::Invalid:
    case ErrorKind::TooLarge:
    case ErrorKind::Unsupported:
        return false;
    default:
        if (!m_fatal)
            m_fatal = e;
        return true;
    }
}

void TransferEngine::report(KeyOutcome::Kind kind, const Item &item, const Entry &before, const Error &error)
{
    KeyOutcome o;
    o.kind = kind;
    o.key = item.target.key;
    o.sourceKey = item.source.key;
    o.after = item.target;
    o.before = before;
    o.error = error;
    switch (kind) {
    case KeyOutcome::Kind::Create: ++m_report.created; break;
    case KeyOutcome::Kind::Change: ++m_report.changed; break;
    case KeyOutcome::Kind::Unchanged: ++m_report.unchanged; break;
    case KeyOutcome::Kind::Skipped: ++m_report.skipped; break;
    case KeyOutcome::Kind::Conflict:
        ++m_report.conflicts;
        m_report.addProblem(o);
        break;
    case KeyOutcome::Kind::Failed:
        ++m_report.failed;
        m_report.addProblem(o);
        break;
    default: break;
    }
    // A real run reports what went differently from plain creation; a dry
    // run lists everything it would do.
    const bool quiet = m_pass == Pass::Write && (kind == KeyOutcome::Kind::Create || kind == KeyOutcome::Kind::Unchanged);
    if (!quiet)
        Q_EMIT outcome(o);
}

// A dry run, or the check a Fail policy makes before writing anything:
// read what the target holds for every key of the page.
void TransferEngine::checkPage(QList<Item> items)
{
    QStringList keys;
    for (const Item &i : std::as_const(items))
        keys << i.target.key;
    // What the target holds, from its listing where it can (a plan does
    // not need a revision to write with).
    m_lookup->lookup(keys).then(this, [this, items](const QList<Result<Entry>> &found) {
        for (qsizetype i = 0; i < items.size(); ++i) {
            const Result<Entry> &r = found[i];
            if (!r.ok()) {
                if (r.error().kind == ErrorKind::NotFound) {
                    if (m_pass == Pass::DryRun)
                        report(KeyOutcome::Kind::Create, items[i]);
                } else if (!fatal(r.error()) && m_pass == Pass::DryRun) {
                    report(KeyOutcome::Kind::Failed, items[i], {}, r.error());
                }
                continue;
            }
            const bool same = sameContent(r.value(), items[i].target);
            if (m_pass == Pass::DryRun) {
                report(same ? KeyOutcome::Kind::Unchanged : KeyOutcome::Kind::Change, items[i], r.value());
            } else if (!same) {
                ++m_checkConflicts;
                report(KeyOutcome::Kind::Conflict, items[i], r.value(),
                       Error(ErrorKind::Conflict, QStringLiteral("the target holds another value"), items[i].target.key));
            }
        }
        pageFinished();
    });
}

void TransferEngine::writePage(QList<Item> items)
{
    if (items.isEmpty())
        return pageFinished();
    QList<BatchItem> batch;
    batch.reserve(items.size());
    for (const Item &i : std::as_const(items))
        batch << BatchItem{i.target, Precondition::mustNotExist()};
    writeAll(m_target, this, batch).then(this, [this, items](const QList<Result<Entry>> &results) {
        QList<Item> existing;
        for (qsizetype i = 0; i < items.size(); ++i) {
            const Result<Entry> &r = results.value(i);
            if (r.ok())
                report(KeyOutcome::Kind::Create, items[i]);
            else if (r.error().kind == ErrorKind::AlreadyExists || r.error().kind == ErrorKind::Conflict)
                existing << items[i];
            else if (!fatal(r.error()))
                report(KeyOutcome::Kind::Failed, items[i], {}, r.error());
        }
        if (existing.isEmpty() || m_fatal)
            return pageFinished();
        resolveExisting(std::move(existing));
    });
}

void TransferEngine::resolveExisting(QList<Item> existing)
{
    QStringList keys;
    for (const Item &i : std::as_const(existing))
        keys << i.target.key;
    fetchAll(m_target, this, keys).then(this, [this, existing](const QList<Result<Entry>> &found) {
        QList<std::pair<Item, Entry>> changes;
        QList<Item> again;
        for (qsizetype i = 0; i < existing.size(); ++i) {
            const Result<Entry> &r = found[i];
            if (!r.ok()) {
                if (r.error().kind == ErrorKind::NotFound)
                    again << existing[i]; // deleted since: create it after all
                else if (!fatal(r.error()))
                    report(KeyOutcome::Kind::Failed, existing[i], {}, r.error());
                continue;
            }
            if (sameContent(r.value(), existing[i].target)) {
                report(KeyOutcome::Kind::Unchanged, existing[i], r.value());
                continue;
            }
            switch (m_options.policy) {
            case ConflictPolicy::Skip:
                report(KeyOutcome::Kind::Skipped, existing[i], r.value());
                break;
            case ConflictPolicy::Fail:
                // Checked before writing: someone wrote it since.
                report(KeyOutcome::Kind::Conflict, existing[i], r.value(),
                       Error(ErrorKind::Conflict, QStringLiteral("another writer created it while the copy ran"),
                             existing[i].target.key));
                break;
            case ConflictPolicy::Overwrite:
                changes << std::make_pair(existing[i], r.value());
                break;
            }
        }
        if (m_fatal)
            return pageFinished();
        if (changes.isEmpty())
            return createAgain(std::move(again));
        overwrite(std::move(changes));
        if (!again.isEmpty())
            createAgain(std::move(again)); // runs beside the overwrite; see pageFinished's count
    });
}

void TransferEngine::overwrite(QList<std::pair<Item, Entry>> changes)
{
    ++m_stagesLeft;
    QList<Entry> old;
    for (const auto &c : std::as_const(changes))
        old << c.second;
    // The old values reach the disk before anything replaces them.
    m_backup->append(old).then(this, [this, changes](Result<qint64> saved) {
        if (saved.ok())
            m_report.backedUp = saved.value();
        if (!saved.ok()) {
            m_fatal = Error(saved.error().kind,
                            QStringLiteral("cannot save the values about to be overwritten, so none was: %1")
                                .arg(saved.error().message),
                            saved.error().where);
            --m_stagesLeft;
            return pageFinished();
        }
        QList<BatchItem> batch;
        for (const auto &c : std::as_const(changes))
            batch << BatchItem{c.first.target, Precondition::atRevision(c.second.revision)};
        writeAll(m_target, this, batch).then(this, [this, changes](const QList<Result<Entry>> &results) {
            for (qsizetype i = 0; i < changes.size(); ++i) {
                const Result<Entry> &r = results.value(i);
                if (r.ok()) {
                    report(KeyOutcome::Kind::Change, changes[i].first, changes[i].second);
                } else if (r.error().kind == ErrorKind::Conflict || r.error().kind == ErrorKind::AlreadyExists
                           || r.error().kind == ErrorKind::NotFound) {
                    report(KeyOutcome::Kind::Conflict, changes[i].first, changes[i].second,
                           Error(ErrorKind::Conflict,
                                 QStringLiteral("another writer changed it while the copy ran; it was not overwritten"),
                                 changes[i].first.target.key));
                } else if (!fatal(r.error())) {
                    report(KeyOutcome::Kind::Failed, changes[i].first, changes[i].second, r.error());
                }
            }
            --m_stagesLeft;
            pageFinished();
        });
    });
}

void TransferEngine::createAgain(QList<Item> items)
{
    if (items.isEmpty())
        return pageFinished();
    ++m_stagesLeft;
    QList<BatchItem> batch;
    for (const Item &i : std::as_const(items))
        batch << BatchItem{i.target, Precondition::mustNotExist()};
    writeAll(m_target, this, batch).then(this, [this, items](const QList<Result<Entry>> &results) {
        for (qsizetype i = 0; i < items.size(); ++i) {
            const Result<Entry> &r = results.value(i);
            if (r.ok())
                report(KeyOutcome::Kind::Create, items[i]);
            else if (r.error().kind == ErrorKind::AlreadyExists || r.error().kind == ErrorKind::Conflict)
                report(KeyOutcome::Kind::Conflict, items[i], {},
                       Error(ErrorKind::Conflict, QStringLiteral("another writer created it while the copy ran"),
                             items[i].target.key));
            else if (!fatal(r.error()))
                report(KeyOutcome::Kind::Failed, items[i], {}, r.error());
        }
        --m_stagesLeft;
        pageFinished();
    });
}

void TransferEngine::emitProgress()
{
    Q_EMIT progress(m_meter.update(m_done, m_page ? m_page->bytes : 0));
}

void TransferEngine::pageFinished()
{
    // The overwrite and the re-creation of one page may run side by side;
    // the page is done when both are.
    if (m_stagesLeft > 0)
        return;
    m_done += m_page->entries.size();
    if (m_pass != Pass::Check)
        m_report.read += m_page->entries.size();
    emitProgress();
    if (m_fatal)
        return finish(m_fatal);
    if (m_cancelled)
        return finish(Error(ErrorKind::Cancelled, QStringLiteral("cancelled")));
    auto proceed = [this] {
        if (!m_page->last)
            return readNext();
        if (m_pass == Pass::Check) {
            if (m_checkConflicts > 0)
                return finish(Error(ErrorKind::Conflict,
                                    QStringLiteral("%1 key(s) already hold other values in the target, so nothing was "
                                                   "written; see them with --dry-run, or choose --on-conflict skip "
                                                   "or overwrite")
                                        .arg(m_checkConflicts)));
            return startPass(Pass::Write);
        }
        finish(std::nullopt);
    };
    if (m_pass == Pass::Write && m_options.stepHook)
        m_options.stepHook(TransferStep::PageWritten);
    if (m_pass == Pass::Write && m_options.pageDone) {
        m_options.pageDone(*m_page, m_report).then(this, [this, proceed](Status saved) {
            if (!saved.ok())
                return finish(saved.error());
            proceed();
        });
        return;
    }
    proceed();
}

void TransferEngine::finish(std::optional<Error> error)
{
    if (m_finished)
        return;
    m_finished = true;
    auto resolve = [this](std::optional<Error> e) {
        if (e)
            m_promise.addResult(Result<TransferReport>(*e));
        else
            m_promise.addResult(Result<TransferReport>(m_report));
        m_promise.finish();
    };
    if (!m_backup)
        return resolve(error);
    if (error && m_options.resumable) {
        m_report.backupPath = m_backup->partialPath();
        m_backup->detach();
        return resolve(error);
    }
    // Done (or failed with no run to come back): the backup is finished, so
    // the values overwritten so far are in a complete snapshot.
    m_backup->commit().then(this, [this, error, resolve](Result<SnapshotSummary> saved) {
        if (saved.ok()) {
            m_report.backupPath = saved->path;
            m_report.backedUp = saved->entries;
        } else if (!error) {
            return resolve(saved.error());
        }
        resolve(error);
    });
}

} // namespace sd
