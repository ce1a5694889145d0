// `statedeckctl task ...`: remediation tasks (seed 002) in either schema.
#include "Cli.h"

#include "console/TaskOperations.h"
#include "console/TaskText.h"
#include "remediation/RemediationManager.h"
#include "util/Duration.h"
#include "util/YamlJson.h"

#include <QCoreApplication>
#include <QDir>
#include <QRegularExpression>
#include <QTextStream>

namespace sd::ctl {
namespace {

using namespace sd::remediation;
// Worded as the GUI and the TUI word them.
using sd::console::ageText;
using sd::console::unresolvedBySeverity;
using sd::console::unresolvedText;

const QString kSynopsis = QStringLiteral("task SUBCOMMAND [ARGS]");

QString usageText()
{
    return QStringLiteral(
        "Remediation tasks and their feedback history (seed 002). ConfigMaps task-{id}-state (the design's schema) "
        "and remediation-state-pr-{pr}-task-{id} (the shipped controller's), listed together and written back in "
        "the schema they were read in. Every change is a compare-and-swap, retried when another writer wins.\n\n"
        "Subcommands:\n"
        "  task ls                          every task: status, iteration, feedback, age\n"
        "  task get ID                      one task and its state.json\n"
        "  task history ID                  its feedback (--severity, --type, --status, --resolved, --unresolved)\n"
        "  task create ID                   a new task (--pr N for the controller's schema, --max-iterations N)\n"
        "  task inc ID                      start the next iteration; exit 5 at the cap (10)\n"
        "  task feedback add ID             --author A --severity S --type T --description D [--comment-id C]\n"
        "  task feedback resolve ID ENTRY   ENTRY: an entry id, its number in `task history`, or a comment id\n"
        "  task status ID STATUS            set the status (the schema's own values)\n"
        "  task recover ID [--reset]        validate and repair; --reset replaces a state.json that does not "
        "parse, saving it first\n"
        "  task cleanup [--retention 7d] [--dry-run] [--every 6h]\n"
        "                                   delete tasks not updated within the retention, never one InProgress\n\n"
        "ID is a task id (42, task-2), or a ConfigMap name. A task id used by several PRs needs --pr N.\n"
        "Exit codes: 3 no such task, 4 another writer won every retry, 5 MaxIterationsReached, 6 state.json does "
        "not parse, 7 the change is not valid for the task.");
}

Json taskSummaryJson(const RemediationTask &t)
{
    Json j{{"name", toStd(t.name())},
           {"task_id", toStd(t.taskId())},
           {"schema", toStd(schemaName(t.schema()))}};
    if (t.prNumber() >= 0)
        j["pr_number"] = t.prNumber();
    j["revision"] = toStd(t.entry().revision);
    if (t.stateError()) {
        j["error"] = toStd(t.stateError()->toString());
    } else {
        j["status"] = toStd(t.status());
        j["iteration"] = t.iteration();
        j["max_iterations"] = t.maxIterations();
        j["feedback"] = t.feedback().size();
        Json unresolved = Json::object();
        const auto counts = unresolvedBySeverity(t.feedback());
        for (auto it = counts.cbegin(); it != counts.cend(); ++it)
            unresolved[toStd(it.key())] = it.value();
        j["unresolved"] = unresolved;
    }
    j["last_update"] = toStd(t.lastUpdateText());
    return j;
}

Json feedbackJson(const FeedbackView &f)
{
    Json j{{"index", f.index}};
    if (!f.id.isEmpty())
        j["id"] = toStd(f.id);
    j["time"] = toStd(f.timestampText);
    j["author"] = toStd(f.author);
    j["severity"] = toStd(f.severity);
    j["issue_type"] = toStd(f.issueType);
    j["status"] = toStd(f.status);
    j["resolved"] = f.resolved;
    j["comment_id"] = toStd(f.commentId);
    if (f.iteration >= 0)
        j["iteration"] = f.iteration;
    j["description"] = toStd(f.description);
    return j;
}

void printJsonOrYaml(const Context &ctx, const Json &j)
{
    if (ctx.format == Format::Yaml)
        printOut(jsonToYaml(j));
    else
        printOut(toBytes(j.dump(2, ' ', false, Json::error_handler_t::replace)) + '\n');
}

bool structured(const Context &ctx)
{
    return ctx.format == Format::Json || ctx.format == Format::Yaml;
}

// Every subcommand shares one manager, owned by the event loop's object.
RemediationManager *managerFor(Context &ctx)
{
    return new RemediationManager(ctx.store->provider(), ctx.loop);
}

Result<TaskRef> refFrom(const QCommandLineParser &p, const QString &id)
{
    TaskRef ref;
    ref.id = id;
    if (p.isSet(QStringLiteral("pr"))) {
        bool ok = false;
        ref.prNumber = p.value(QStringLiteral("pr")).toLongLong(&ok);
        if (!ok || ref.prNumber < 0)
            return Error(ErrorKind::Invalid, QStringLiteral("expected a PR number"),
                         QStringLiteral("--pr %1").arg(p.value(QStringLiteral("pr"))));
        ref.schema = Schema::Controller;
    }
    if (p.isSet(QStringLiteral("schema"))) {
        ref.schema = parseSchema(p.value(QStringLiteral("schema")));
        if (!ref.schema)
            return Error(ErrorKind::Invalid, QStringLiteral("expected seed or controller"),
                         QStringLiteral("--schema %1").arg(p.value(QStringLiteral("schema"))));
    }
    return ref;
}

// Ends a command on an error, with the exit code its reason maps to.
void fail(const Error &e, const Done &done)
{
    printError(e, false);
    done(exitCodeFor(e));
}

void printTaskLine(Context &ctx, const RemediationTask &t, const QString &what)
{
    if (structured(ctx))
        return printJsonOrYaml(ctx, taskSummaryJson(t));
    printOut(QStringLiteral("%1: %2 (iteration %3 of %4, %5, revision %6)\n")
                 .arg(t.name(), what)
                 .arg(t.iteration())
                 .arg(t.maxIterations())
                 .arg(t.status(), t.entry().revision)
                 .toUtf8());
}

// ---- subcommands --------------------------------------------------------

void runList(Context &ctx, const QCommandLineParser &p, Done done)
{
    const QString statusFilter = p.value(QStringLiteral("status"));
    const auto schemaFilter = p.isSet(QStringLiteral("schema")) ? parseSchema(p.value(QStringLiteral("schema")))
                                                                : std::nullopt;
    managerFor(ctx)->list().then(ctx.loop, [&ctx, done, statusFilter, schemaFilter](Result<QList<RemediationTask>> r) {
        if (!r.ok())
            return fail(r.error(), done);
        QList<RemediationTask> tasks;
        for (const RemediationTask &t : r.value())
            if ((statusFilter.isEmpty() || t.status() == statusFilter) && (!schemaFilter || t.schema() == *schemaFilter))
                tasks.append(t);
        if (structured(ctx)) {
            Json list = Json::array();
            for (const RemediationTask &t : std::as_const(tasks))
                list.push_back(taskSummaryJson(t));
            printJsonOrYaml(ctx, list);
            return done(ExitOk);
        }
        if (ctx.valueOnly) {
            for (const RemediationTask &t : std::as_const(tasks))
                printOut(t.name().toUtf8() + '\n');
            return done(ExitOk);
        }
        Table table({QStringLiteral("TASK"), QStringLiteral("PR"), QStringLiteral("SCHEMA"), QStringLiteral("STATUS"),
                     QStringLiteral("ITERATION"), QStringLiteral("FEEDBACK"), QStringLiteral("UNRESOLVED"),
                     QStringLiteral("LAST UPDATE"), QStringLiteral("AGE"), QStringLiteral("CONFIGMAP")});
        for (const RemediationTask &t : std::as_const(tasks)) {
            const QString pr = t.prNumber() >= 0 ? QString::number(t.prNumber()) : QStringLiteral("-");
            if (t.stateError()) {
                table.addRow({t.taskId(), pr, schemaName(t.schema()), QStringLiteral("<unreadable state.json>"),
                              QStringLiteral("-"), QStringLiteral("-"), QStringLiteral("-"), t.lastUpdateText(),
                              ageText(t.lastUpdate()), t.name()});
                continue;
            }
            table.addRow({t.taskId(), pr, schemaName(t.schema()), t.status(),
                          QStringLiteral("%1/%2").arg(t.iteration()).arg(t.maxIterations()),
                          QString::number(t.feedback().size()), unresolvedText(unresolvedBySeverity(t.feedback())),
                          t.lastUpdateText(), ageText(t.lastUpdate()), t.name()});
        }
        if (tasks.isEmpty())
            printErr(QStringLiteral("no remediation tasks in %1").arg(ctx.store->provider()->describe()));
        else
            table.flush();
        done(ExitOk);
    });
}

void runGet(Context &ctx, const TaskRef &ref, Done done)
{
    managerFor(ctx)->get(ref).then(ctx.loop, [&ctx, done](Result<RemediationTask> r) {
        if (!r.ok())
            return fail(r.error(), done);
        const RemediationTask &t = r.value();
        if (structured(ctx)) {
            Json j = taskSummaryJson(t);
            j["state"] = t.stateError() ? Json(toStd(t.stateText())) : t.state();
            printJsonOrYaml(ctx, j);
        } else {
            printOut(QStringLiteral("Task:        %1\nConfigMap:   %2 (revision %3)\nSchema:      %4\n")
                         .arg(t.taskId(), t.name(), t.entry().revision, schemaName(t.schema()))
                         .toUtf8());
            if (!t.stateError())
                printOut(QStringLiteral("Status:      %1\nIteration:   %2 of %3\nFeedback:    %4 (unresolved: %5)\n"
                                        "Last update: %6\n\n")
                             .arg(t.status())
                             .arg(t.iteration())
                             .arg(t.maxIterations())
                             .arg(t.feedback().size())
                             .arg(unresolvedText(unresolvedBySeverity(t.feedback())), t.lastUpdateText())
                             .toUtf8());
            else
                printOut("\n");
            QByteArray text = t.stateText().toUtf8();
            if (!text.endsWith('\n'))
                text += '\n';
            printOut(text);
        }
        if (t.stateError())
            return fail(*t.stateError(), done);
        done(ExitOk);
    });
}

void runHistory(Context &ctx, const QCommandLineParser &p, const TaskRef &ref, Done done)
{
    const QString severity = p.value(QStringLiteral("severity"));
    const QString type = p.value(QStringLiteral("type"));
    const QString status = p.value(QStringLiteral("status"));
    const bool onlyResolved = p.isSet(QStringLiteral("resolved"));
    const bool onlyOpen = p.isSet(QStringLiteral("unresolved"));
    managerFor(ctx)->get(ref).then(ctx.loop, [=, &ctx](Result<RemediationTask> r) {
        if (!r.ok())
            return fail(r.error(), done);
        const RemediationTask &t = r.value();
        if (t.stateError())
            return fail(*t.stateError(), done);
        QList<FeedbackView> rows;
        for (const FeedbackView &f : t.feedback()) {
            if ((!severity.isEmpty() && f.severity.compare(severity, Qt::CaseInsensitive) != 0)
                || (!type.isEmpty() && f.issueType.compare(type, Qt::CaseInsensitive) != 0)
                || (!status.isEmpty() && f.status.compare(status, Qt::CaseInsensitive) != 0)
                || (onlyResolved && !f.resolved) || (onlyOpen && f.resolved))
                continue;
            rows.append(f);
        }
        if (structured(ctx)) {
            Json list = Json::array();
            for (const FeedbackView &f : std::as_const(rows))
                list.push_back(feedbackJson(f));
            printJsonOrYaml(ctx, list);
            return done(ExitOk);
        }
        Table table({QStringLiteral("#"), QStringLiteral("TIME"), QStringLiteral("AUTHOR"), QStringLiteral("SEVERITY"),
                     QStringLiteral("TYPE"), QStringLiteral("STATUS"), QStringLiteral("COMMENT"),
                     QStringLiteral("DESCRIPTION")});
        for (const FeedbackView &f : std::as_const(rows)) {
            QString description = f.description.simplified();
            if (description.size() > 60)
                description = description.left(57) + QStringLiteral("...");
            table.addRow({QString::number(f.index), f.timestampText, f.author, f.severity, f.issueType, f.status,
                          f.commentId.isEmpty() ? QStringLiteral("-") : f.commentId, description});
        }
        if (rows.isEmpty())
            printErr(QStringLiteral("no feedback%1 for %2")
                         .arg(t.feedback().isEmpty() ? QString() : QStringLiteral(" matches the filters"), t.name()));
        else
            table.flush();
        done(ExitOk);
    });
}

void runCreate(Context &ctx, const QCommandLineParser &p, const TaskRef &ref, Done done)
{
    const Schema schema = ref.schema.value_or(Schema::Seed);
    int maxIterations = 0;
    if (p.isSet(QStringLiteral("max-iterations"))) {
        bool ok = false;
        maxIterations = p.value(QStringLiteral("max-iterations")).toInt(&ok);
        if (!ok || maxIterations <= 0) {
            printError(Error(ErrorKind::Invalid, QStringLiteral("expected a positive number"),
                             QStringLiteral("--max-iterations %1").arg(p.value(QStringLiteral("max-iterations")))),
                       false);
            return done(ExitUsage);
        }
        if (schema == Schema::Seed)
            return fail(Error(ErrorKind::Invalid,
                              QStringLiteral("the seed's schema has a fixed cap of 10 iterations; --max-iterations "
                                             "needs the controller's schema (--pr N)")),
                        done);
    }
    managerFor(ctx)->create(schema, ref.id, ref.prNumber, maxIterations).then(ctx.loop, [&ctx, done](Result<RemediationTask> r) {
        if (!r.ok())
            return fail(r.error(), done);
        printTaskLine(ctx, r.value(), QStringLiteral("created"));
        done(ExitOk);
    });
}

void finishWrite(Context &ctx, QFuture<Result<RemediationTask>> f, const QString &what, Done done)
{
    f.then(ctx.loop, [&ctx, what, done](Result<RemediationTask> r) {
        if (!r.ok())
            return fail(r.error(), done);
        printTaskLine(ctx, r.value(), what);
        done(ExitOk);
    });
}

void runFeedbackAdd(Context &ctx, const QCommandLineParser &p, const TaskRef &ref, Done done)
{
    NewFeedback f;
    f.author = p.isSet(QStringLiteral("author")) ? p.value(QStringLiteral("author")) : ctx.actor;
    f.severity = p.value(QStringLiteral("severity"));
    f.issueType = p.value(QStringLiteral("type"));
    f.description = p.value(QStringLiteral("description"));
    f.commentId = p.value(QStringLiteral("comment-id"));
    QStringList missing;
    for (const char *o : {"severity", "type", "description"})
        if (!p.isSet(QLatin1String(o)))
            missing << QStringLiteral("--%1").arg(QLatin1String(o));
    if (!missing.isEmpty()) {
        printErr(QStringLiteral("statedeckctl: error: task feedback add needs %1").arg(missing.join(QStringLiteral(", "))));
        return done(ExitUsage);
    }
    finishWrite(ctx, managerFor(ctx)->addFeedback(ref, f), QStringLiteral("feedback added"), done);
}

void runRecover(Context &ctx, const QCommandLineParser &p, const TaskRef &ref, Done done)
{
    RecoverOptions options;
    options.reset = p.isSet(QStringLiteral("reset"));
    options.backupDir = console::TaskOperations::backupDirectory();
    managerFor(ctx)->recover(ref, options).then(ctx.loop, [&ctx, done](Result<RecoverResult> r) {
        if (!r.ok()) {
            printError(r.error(), false);
            if (r.error().reason == reason::deserialization)
                printErr(QStringLiteral("hint: the task was left untouched. `task recover ID --reset` replaces "
                                        "it with a new state after saving the old content to a file."));
            return done(exitCodeFor(r.error()));
        }
        const RecoveryReport &report = r->report;
        if (structured(ctx)) {
            Json j = taskSummaryJson(r->task);
            j["created"] = report.created;
            j["reset"] = report.reset;
            Json repairs = Json::array();
            for (const QString &s : report.repairs)
                repairs.push_back(toStd(s));
            j["repairs"] = repairs;
            if (!report.backupPath.isEmpty())
                j["backup"] = toStd(report.backupPath);
            printJsonOrYaml(ctx, j);
            return done(ExitOk);
        }
        const QString what = report.created         ? QStringLiteral("created during recovery")
                             : report.repairs.isEmpty() ? QStringLiteral("recovered, nothing to repair")
                                                        : QStringLiteral("recovered");
        printTaskLine(ctx, r->task, what);
        for (const QString &line : report.repairs)
            printOut(QStringLiteral("  repaired: %1\n").arg(line).toUtf8());
        done(ExitOk);
    });
}

void printCleanup(Context &ctx, const CleanupReport &report, bool dryRun)
{
    if (structured(ctx)) {
        Json items = Json::array();
        for (const CleanupItem &i : report.items) {
            Json j{{"name", toStd(i.name)},
                   {"task_id", toStd(i.taskId)},
                   {"schema", toStd(schemaName(i.schema))},
                   {"status", toStd(i.status)},
                   {"last_update", toStd(i.lastUpdate)},
                   {"action", toStd(console::TaskOperations::cleanupActionText(i.action))}};
            if (!i.detail.isEmpty())
                j["detail"] = toStd(i.detail);
            items.push_back(j);
        }
        printJsonOrYaml(ctx, Json{{"examined", report.examined}, {"deleted", report.deleted()}, {"items", items}});
        return;
    }
    Table table({QStringLiteral("CONFIGMAP"), QStringLiteral("STATUS"), QStringLiteral("LAST UPDATE"),
                 QStringLiteral("ACTION")});
    for (const CleanupItem &i : report.items)
        table.addRow({i.name, i.status.isEmpty() ? QStringLiteral("-") : i.status, i.lastUpdate,
                      i.detail.isEmpty() || i.action != CleanupItem::Action::Failed
                          ? console::TaskOperations::cleanupActionText(i.action)
                          : console::TaskOperations::cleanupActionText(i.action) + QStringLiteral(": ") + i.detail});
    if (!report.items.isEmpty())
        table.flush();
    const QString summary = console::TaskOperations::cleanupSummary(report, dryRun);
    printErr(dryRun ? QStringLiteral("dry run: ") + summary : summary);
}

void runCleanup(Context &ctx, const QCommandLineParser &p, Done done)
{
    CleanupOptions options;
    const QString retention = p.isSet(QStringLiteral("retention")) ? p.value(QStringLiteral("retention"))
                                                                  : QStringLiteral("7d");
    const Result<qint64> seconds = parseDuration(retention, QStringLiteral("--retention %1").arg(retention));
    if (!seconds) {
        printError(seconds.error(), false);
        return done(ExitUsage);
    }
    options.retentionSeconds = seconds.value();
    options.dryRun = p.isSet(QStringLiteral("dry-run"));
    RemediationManager *manager = managerFor(ctx);

    if (p.isSet(QStringLiteral("every"))) {
        const QString everyText = p.value(QStringLiteral("every"));
        const Result<qint64> every = parseDuration(everyText, QStringLiteral("--every %1").arg(everyText));
        // A timer's interval is a 32-bit count of milliseconds: 24 days.
        const qint64 maxEvery = 24 * 86400;
        if (!every || every.value() <= 0 || every.value() > maxEvery) {
            printError(every ? Error(ErrorKind::Invalid, QStringLiteral("expected a duration between 1s and 24d"),
                                     QStringLiteral("--every %1").arg(everyText))
                             : every.error(),
                       false);
            return done(ExitUsage);
        }
        // A long-running cleaner: one report per run, until interrupted.
        QObject::connect(manager, &RemediationManager::cleanupFinished, ctx.loop,
                         [&ctx, options](const CleanupReport &report) {
                             printCleanup(ctx, report, options.dryRun);
                             std::fflush(stdout);
                         });
        manager->startPeriodicCleanup(options, std::chrono::seconds(every.value()));
        printErr(QStringLiteral("cleaning up every %1 (Ctrl-C to stop)").arg(p.value(QStringLiteral("every"))));
        return;
    }

    // Deleting asks first on a terminal, showing what would go.
    const bool ask = !options.dryRun && !ctx.assumeYes && isTerminal(stdin) && isTerminal(stderr);
    CleanupOptions preview = options;
    preview.dryRun = ask || options.dryRun;
    manager->cleanup(preview).then(ctx.loop, [&ctx, manager, options, ask, done](Result<CleanupReport> r) {
        if (!r.ok())
            return fail(r.error(), done);
        if (!ask) {
            printCleanup(ctx, r.value(), options.dryRun);
            return done(ExitOk);
        }
        printCleanup(ctx, r.value(), true);
        if (console::TaskOperations::wouldDelete(r.value()) == 0)
            return done(ExitOk);
        std::fprintf(stderr, "Delete these tasks from %s? [y/N] ",
                     ctx.store->provider()->describe().toUtf8().constData());
        std::fflush(stderr);
        QTextStream in(stdin);
        const QString answer = in.readLine().trimmed().toLower();
        if (answer != QLatin1String("y") && answer != QLatin1String("yes")) {
            printErr(QStringLiteral("nothing deleted"));
            return done(ExitError);
        }
        manager->cleanup(options).then(ctx.loop, [&ctx, done](Result<CleanupReport> again) {
            if (!again.ok())
                return fail(again.error(), done);
            printCleanup(ctx, again.value(), false);
            done(ExitOk);
        });
    });
}

void runTask(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    const QString sub = args.value(0);
    auto need = [&](int count, const QString &synopsis) {
        if (args.size() == count)
            return true;
        printErr(QStringLiteral("statedeckctl: error: usage: statedeckctl %1").arg(synopsis));
        printErr(QStringLiteral("Run 'statedeckctl help task' for usage."));
        done(ExitUsage);
        return false;
    };
    if (sub == QLatin1String("ls") || sub == QLatin1String("list")) {
        if (need(1, QStringLiteral("task ls")))
            runList(ctx, p, done);
        return;
    }
    if (sub == QLatin1String("cleanup")) {
        if (need(1, QStringLiteral("task cleanup [--retention 7d] [--dry-run] [--every 6h]")))
            runCleanup(ctx, p, done);
        return;
    }
    const bool feedback = sub == QLatin1String("feedback");
    const QString id = feedback ? args.value(2) : args.value(1);
    const auto parsedRef = refFrom(p, id);
    if (!parsedRef.ok()) {
        printError(parsedRef.error());
        return done(ExitUsage);
    }
    const TaskRef ref = parsedRef.value();
    if (sub == QLatin1String("get")) {
        if (need(2, QStringLiteral("task get ID")))
            runGet(ctx, ref, done);
    } else if (sub == QLatin1String("history")) {
        if (need(2, QStringLiteral("task history ID")))
            runHistory(ctx, p, ref, done);
    } else if (sub == QLatin1String("create")) {
        if (need(2, QStringLiteral("task create ID [--pr N] [--max-iterations N]")))
            runCreate(ctx, p, ref, done);
    } else if (sub == QLatin1String("inc")) {
        if (need(2, QStringLiteral("task inc ID")))
            finishWrite(ctx, managerFor(ctx)->increment(ref), QStringLiteral("next iteration started"), done);
    } else if (sub == QLatin1String("status")) {
        if (need(3, QStringLiteral("task status ID STATUS")))
            finishWrite(ctx, managerFor(ctx)->setStatus(ref, args.at(2)), QStringLiteral("status set"), done);
    } else if (sub == QLatin1String("recover")) {
        if (need(2, QStringLiteral("task recover ID [--reset]")))
            runRecover(ctx, p, ref, done);
    } else if (feedback && args.value(1) == QLatin1String("add")) {
        if (need(3, QStringLiteral("task feedback add ID --severity S --type T --description D")))
            runFeedbackAdd(ctx, p, ref, done);
    } else if (feedback && args.value(1) == QLatin1String("resolve")) {
        if (need(4, QStringLiteral("task feedback resolve ID ENTRY [--status S]")))
            finishWrite(ctx, managerFor(ctx)->resolveFeedback(ref, args.at(3), p.value(QStringLiteral("status"))),
                        QStringLiteral("feedback %1 updated").arg(args.at(3)), done);
    } else {
        printErr(sub.isEmpty() ? QStringLiteral("statedeckctl: error: task needs a subcommand")
                               : QStringLiteral("statedeckctl: error: unknown task subcommand \"%1\"").arg(sub));
        printErr(QStringLiteral("Run 'statedeckctl help task' for usage."));
        done(ExitUsage);
    }
}

void addTaskOptions(QCommandLineParser &p)
{
    auto opt = [&p](const char *name, const char *help, const char *value = nullptr) {
        if (value)
            p.addOption({QLatin1String(name), QLatin1String(help), QLatin1String(value)});
        else
            p.addOption({QLatin1String(name), QLatin1String(help)});
    };
    opt("pr", "The PR number of a controller-schema task (create, or to pick one of several).", "N");
    opt("schema", "seed or controller: which schema to create in or look for.", "SCHEMA");
    opt("max-iterations", "create: the iteration cap of a controller-schema task (default 10).", "N");
    opt("author", "feedback add: who gave it (default --actor / $USER).", "NAME");
    opt("severity", "feedback add, history: Low, Medium, High or Critical.", "S");
    opt("type", "feedback add, history: the issue type (Bug, Performance, ...).", "T");
    opt("description", "feedback add: what is wrong.", "TEXT");
    opt("comment-id", "feedback add: the PR comment it came from.", "ID");
    opt("status", "ls, history: only this status; feedback resolve: the status to set (controller schema).", "S");
    opt("resolved", "history: only resolved feedback.");
    opt("unresolved", "history: only unresolved feedback.");
    opt("reset", "recover: replace a state.json that does not parse (the old content is saved to a file first).");
    opt("retention", "cleanup: delete tasks not updated for this long (default 7d; units s, m, h, d, w).", "DURATION");
    opt("dry-run", "cleanup: list what would be deleted, change nothing.");
    opt("every", "cleanup: keep running, cleaning up at this interval (e.g. 6h; units s, m, h, d, w).", "DURATION");
}

} // namespace

QList<Command> taskCommands()
{
    return {{QStringLiteral("task"), kSynopsis, usageText(), true, addTaskOptions, runTask, 1, 4}};
}

} // namespace sd::ctl
