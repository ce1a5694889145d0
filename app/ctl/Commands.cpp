#include "Cli.h"
#include "StoreOpen.h"
#include "TransferCommands.h"

#include "model/Codec.h"
#include "util/YamlJson.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QTextStream>
#include <QTimer>

#include <cmath>
#include <limits>
#include <cstdio>

namespace sd::ctl {
namespace {

Result<QByteArray> readInput(const QString &source)
{
    if (source == QLatin1String("-")) {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly))
            return Error(ErrorKind::Io, QStringLiteral("cannot read standard input"), QStringLiteral("-"));
        return in.readAll();
    }
    QFile f(source);
    if (!f.exists())
        return Error(ErrorKind::Invalid, QStringLiteral("no such file"), source);
    if (!f.open(QIODevice::ReadOnly))
        return Error(ErrorKind::Io, QStringLiteral("cannot read: %1").arg(f.errorString()), source);
    return f.readAll();
}

} // namespace

namespace {

// An option's number in [min, max], or nullopt after a usage error that
// names the option, the range and `what` the number counts.
template <typename T, typename Parse>
std::optional<T> numberOption(const QCommandLineParser &p, const QString &name, T min, T max, T fallback,
                              const QString &what, Parse parse)
{
    if (!p.isSet(name))
        return fallback;
    const QString text = p.value(name);
    bool ok = false;
    const T n = parse(text.trimmed(), &ok);
    if (ok && n >= min && n <= max)
        return n;
    printError(Error(ErrorKind::Invalid, QStringLiteral("expected %1 from %2 to %3").arg(what).arg(min).arg(max),
                     QStringLiteral("--%1 %2").arg(name, text)),
               false);
    return std::nullopt;
}

} // namespace

std::optional<qint64> integerOption(const QCommandLineParser &p, const QString &name, qint64 min, qint64 max,
                                    qint64 fallback)
{
    return numberOption<qint64>(p, name, min, max, fallback, QStringLiteral("a whole number"),
                                [](const QString &t, bool *ok) { return t.toLongLong(ok); });
}

std::optional<double> secondsOption(const QCommandLineParser &p, const QString &name, double min, double max,
                                    double fallback)
{
    return numberOption<double>(p, name, min, max, fallback, QStringLiteral("a number of seconds"),
                                [](const QString &t, bool *ok) {
                                    const double s = t.toDouble(ok);
                                    *ok = *ok && std::isfinite(s);
                                    return s;
                                });
}

namespace {

// The write's precondition from --if-revision or --create; nothing (after a
// usage error) for a revision this store could never have, which is a typo,
// not a conflict.
std::optional<Precondition> preconditionFrom(const Context &ctx, const QCommandLineParser &p,
                                             bool hasCreateOption = false)
{
    if (p.isSet(QStringLiteral("if-revision"))) {
        const QString rev = p.value(QStringLiteral("if-revision"));
        bool numeric = false;
        rev.toULongLong(&numeric);
        if (rev.isEmpty() || (ctx.store->provider()->capabilities().numericRevisions && !numeric)) {
            printError(Error(ErrorKind::Invalid,
                             QStringLiteral("expected a revision as `get` shows it (a whole number on this store)"),
                             QStringLiteral("--if-revision %1").arg(rev)),
                       false);
            return std::nullopt;
        }
        return Precondition::atRevision(rev);
    }
    if (hasCreateOption && p.isSet(QStringLiteral("create")))
        return Precondition::mustNotExist();
    return Precondition::none();
}

void addWriteOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("if-revision"),
                 QStringLiteral("Write only if the key is still at revision R (compare-and-swap)."),
                 QStringLiteral("R")});
}

QString shortTime(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODate) : QStringLiteral("-");
}

} // namespace

// A Secret store's values stay hidden unless the user asked for them: a
// terminal scrollback or a CI log is no place for keys and tokens.
static bool masking(const Context &ctx)
{
    return !ctx.reveal && ctx.store && ctx.store->provider()->capabilities().sensitive;
}

Entry shown(const Context &ctx, const Entry &e)
{
    if (!masking(ctx) || e.value.is_null())
        return e;
    Entry out = e;
    out.value = "*** (hidden: a secret; pass --reveal to show it)";
    out.raw.clear();
    return out;
}

void addRevealOption(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("reveal"), QStringLiteral("Show the values of a Secret store (masked otherwise).")});
}

namespace {

void printEntry(Context &ctx, const Entry &shownEntry)
{
    const Entry e = shown(ctx, shownEntry);
    if (ctx.valueOnly) {
        printOut(valueForDisplay(e));
        return;
    }
    switch (ctx.format) {
    case Format::Json:
        printOut(toBytes(entryToJson(e, true).dump(2, ' ', false, Json::error_handler_t::replace)) + '\n');
        break;
    case Format::Yaml:
        printOut(jsonToYaml(entryToJson(e, true)));
        break;
    case Format::Table: {
        Table t({QStringLiteral("KEY"), QStringLiteral("REVISION"), QStringLiteral("ENCODING"),
                 QStringLiteral("UPDATED")});
        t.addRow({e.key, e.revision, encodingName(e.encoding), shortTime(e.updated)});
        t.flush();
        printOut("\n" + valueForDisplay(e));
        break;
    }
    }
}

void printWritten(Context &ctx, const Entry &e, const QString &verb)
{
    // Output of a write never reveals a secret, whatever was passed.
    ctx.reveal = false;
    if (ctx.format == Format::Json || ctx.format == Format::Yaml) {
        printEntry(ctx, e);
        return;
    }
    printOut(QStringLiteral("%1 %2 (revision %3)\n").arg(e.key, verb, e.revision).toUtf8());
}

// ---- ls ------------------------------------------------------------------

struct Lister {
    Context *ctx;
    ListOptions options;
    qint64 max = -1;
    qint64 seen = 0;
    qint64 unreadable = 0; // entries a store listed with an "error" label
    bool firstJson = true;
    Table table{{QStringLiteral("KEY"), QStringLiteral("REVISION"), QStringLiteral("ENCODING"),
                 QStringLiteral("UPDATED")}};
    Progress progress{false};
    Done done;

    void next()
    {
        ctx->store->provider()->list(options).then(ctx->loop, [this](Result<ListPage> page) {
            if (!page.ok()) {
                progress.done();
                printError(page.error());
                finish(exitCodeFor(page.error()), true);
                return;
            }
            for (const Entry &e : std::as_const(page->entries)) {
                if (max >= 0 && seen >= max)
                    break;
                ++seen;
                emitEntry(e);
            }
            if (ctx->format == Format::Table && !ctx->valueOnly)
                table.flush();
            progress.update(QStringLiteral("listed %1 keys...").arg(seen));
            if (page->nextCursor.isEmpty() || (max >= 0 && seen >= max)) {
                progress.done();
                if (unreadable > 0)
                    printErr(QStringLiteral("statedeckctl: error: %1 of %2 entries could not be read (see the warnings "
                                            "above)")
                                 .arg(unreadable)
                                 .arg(seen));
                finish(unreadable > 0 ? ExitError : ExitOk);
                return;
            }
            options.cursor = page->nextCursor;
            next();
        });
    }

    void emitEntry(const Entry &unmasked)
    {
        // A file that does not parse is listed (so it can be found and
        // fixed) but said loudly, whatever the output format.
        if (const QString problem = unmasked.labels.value(QStringLiteral("error")); !problem.isEmpty()) {
            ++unreadable;
            printErr(QStringLiteral("statedeckctl: warning: %1 cannot be read: %2").arg(unmasked.key, problem));
        }
        const Entry e = shown(*ctx, unmasked);
        if (ctx->valueOnly) {
            printOut(e.key.toUtf8() + '\n');
            return;
        }
        switch (ctx->format) {
        case Format::Table:
            table.addRow({e.key, e.revision, encodingName(e.encoding), shortTime(e.updated)});
            break;
        case Format::Json:
            printOut((firstJson ? QByteArray("[\n  ") : QByteArray(",\n  "))
                     + toBytes(entryToJson(e, !options.keysOnly).dump(-1, ' ', false, Json::error_handler_t::replace)));
            firstJson = false;
            break;
        case Format::Yaml:
            printOut("- " + jsonToYaml(entryToJson(e, !options.keysOnly)).replace("\n", "\n  ").trimmed() + "\n");
            break;
        }
    }

    // `failed`: the listing broke off; an empty result is then not printed,
    // since nothing was listed, not an empty store.
    void finish(int code, bool failed = false)
    {
        // A listing that broke off is not closed: an empty "[]" would read as
        // "no keys", and a closed partial array as the whole list.
        if (!failed) {
            if (ctx->format == Format::Json && !ctx->valueOnly)
                printOut(firstJson ? QByteArray("[]\n") : QByteArray("\n]\n"));
            else if (ctx->format == Format::Yaml && seen == 0)
                printOut("[]\n");
        }
        Done d = done;
        delete this;
        d(code);
    }
};

void runLs(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    const auto pageSize = integerOption(p, QStringLiteral("page-size"), 1, 100000, 500);
    const auto max = integerOption(p, QStringLiteral("max"), 1, std::numeric_limits<qint64>::max(), -1);
    if (!pageSize || !max)
        return done(ExitUsage);
    auto *l = new Lister;
    l->ctx = &ctx;
    l->done = std::move(done);
    l->options.prefix = args.value(0);
    l->options.limit = int(*pageSize);
    l->options.keysOnly = !p.isSet(QStringLiteral("values"));
    // `-o value` prints the keys alone: no revision or labels to fetch.
    l->options.namesOnly = l->options.keysOnly && ctx.valueOnly;
    ctx.reveal = p.isSet(QStringLiteral("reveal"));
    if (*max > 0)
        l->max = *max;
    l->progress = Progress(ctx.progress);
    l->next();
}

// ---- get / put / patch / rm -------------------------------------------------

void runGet(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    ctx.reveal = p.isSet(QStringLiteral("reveal"));
    ctx.store->get(args.at(0)).then(ctx.loop, [&ctx, done](Result<Entry> r) {
        if (!r.ok()) {
            printError(r.error());
            done(exitCodeFor(r.error()));
            return;
        }
        printEntry(ctx, r.value());
        done(ExitOk);
    });
}

void runPut(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    const QString key = args.at(0);
    auto bytes = readInput(args.at(1));
    if (!bytes.ok()) {
        printError(bytes.error());
        return done(ExitError);
    }
    Entry entry;
    if (p.isSet(QStringLiteral("encoding"))) {
        Encoding enc;
        if (!parseEncoding(p.value(QStringLiteral("encoding")), &enc)) {
            printError(Error(ErrorKind::Invalid, QStringLiteral("expected one of json, yaml, text, base64"),
                             QStringLiteral("--encoding %1").arg(p.value(QStringLiteral("encoding")))));
            return done(ExitUsage);
        }
        const QString where = args.at(1) == QLatin1String("-") ? QStringLiteral("<stdin>") : args.at(1);
        auto value = decodeValue(bytes.value(), enc, where);
        if (!value.ok()) {
            printError(value.error());
            return done(ExitError);
        }
        entry.key = key;
        entry.encoding = enc;
        entry.value = std::move(value).value();
        entry.raw = bytes.value();
    } else {
        // Input meant as JSON (a .json file, or text opening with { or [) must
        // parse: storing a broken document as text would hide the mistake.
        const QString where = args.at(1) == QLatin1String("-") ? QStringLiteral("<stdin>") : args.at(1);
        const QByteArray trimmed = bytes.value().trimmed();
        const bool meantAsJson = where.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)
                                 || trimmed.startsWith('{') || trimmed.startsWith('[');
        if (meantAsJson) {
            auto value = decodeValue(bytes.value(), Encoding::Json, where);
            if (!value.ok()) {
                printError(value.error());
                printErr(QStringLiteral("hint: to store it as plain text anyway, add --encoding text"));
                return done(ExitError);
            }
        }
        entry = entryFromBytes(key, bytes.value());
    }
    for (const QString &label : p.values(QStringLiteral("label"))) {
        const qsizetype eq = label.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            printError(Error(ErrorKind::Invalid, QStringLiteral("expected NAME=VALUE"),
                             QStringLiteral("--label %1").arg(label)));
            return done(ExitUsage);
        }
        entry.labels.insert(label.left(eq), label.mid(eq + 1));
    }
    const auto precondition = preconditionFrom(ctx, p, true);
    if (!precondition)
        return done(ExitUsage);
    ctx.store->put(entry, *precondition, ctx.actor).then(ctx.loop, [&ctx, done](Result<Entry> r) {
        if (!r.ok()) {
            printError(r.error());
            done(exitCodeFor(r.error()));
            return;
        }
        printWritten(ctx, r.value(), QStringLiteral("written"));
        done(ExitOk);
    });
}

void runPatch(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    const QString source = args.at(1);
    auto bytes = readInput(source);
    if (!bytes.ok()) {
        printError(bytes.error());
        return done(ExitError);
    }
    auto patch = decodeValue(bytes.value(), Encoding::Json, source == QLatin1String("-") ? QStringLiteral("<stdin>") : source);
    if (!patch.ok()) {
        printError(patch.error());
        return done(ExitError);
    }
    const auto precondition = preconditionFrom(ctx, p);
    if (!precondition)
        return done(ExitUsage);
    ctx.store->update(args.at(0), patch.value(), *precondition, ctx.actor)
        .then(ctx.loop, [&ctx, done](Result<Entry> r) {
            if (!r.ok()) {
                printError(r.error());
                done(exitCodeFor(r.error()));
                return;
            }
            printWritten(ctx, r.value(), QStringLiteral("patched"));
            done(ExitOk);
        });
}

void runRm(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    const QString key = args.at(0);
    // Ask only a person: scripts and pipes never block on a prompt.
    if (!ctx.assumeYes && isTerminal(stdin) && isTerminal(stderr)) {
        std::fprintf(stderr, "Delete \"%s\" from %s? [y/N] ", key.toUtf8().constData(),
                     ctx.store->provider()->describe().toUtf8().constData());
        std::fflush(stderr);
        QTextStream in(stdin);
        const QString answer = in.readLine().trimmed().toLower();
        if (answer != QLatin1String("y") && answer != QLatin1String("yes")) {
            printErr(QStringLiteral("not deleted"));
            return done(ExitError);
        }
    }
    const auto precondition = preconditionFrom(ctx, p);
    if (!precondition)
        return done(ExitUsage);
    ctx.store->remove(key, *precondition, ctx.actor).then(ctx.loop, [key, done](Status s) {
        if (!s.ok()) {
            printError(s.error());
            done(exitCodeFor(s.error()));
            return;
        }
        printOut(QStringLiteral("%1 deleted\n").arg(key).toUtf8());
        done(ExitOk);
    });
}

// ---- watch -----------------------------------------------------------------

void runWatch(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    const auto maxEventsOption = integerOption(p, QStringLiteral("count"), 1, std::numeric_limits<qint64>::max(), -1);
    // A timer counts milliseconds in 32 bits: 24 days at most.
    const auto timeout = secondsOption(p, QStringLiteral("timeout"), 0.001, 24 * 86400.0, -1);
    if (!maxEventsOption || !timeout)
        return done(ExitUsage);
    const qint64 maxEvents = *maxEventsOption;
    ctx.reveal = p.isSet(QStringLiteral("reveal"));
    std::shared_ptr<Watch> watch(
        ctx.store->provider()->watch(args.value(0), p.value(QStringLiteral("from-revision"))).release());
    if (!watch) {
        printError(Error(ErrorKind::Unsupported, QStringLiteral("this store cannot be watched"),
                         ctx.store->provider()->describe()));
        return done(ExitError);
    }
    auto count = std::make_shared<qint64>(0);
    auto finished = std::make_shared<bool>(false);
    auto finish = [watch, finished, done](int code) mutable {
        if (*finished)
            return;
        *finished = true;
        QObject::disconnect(watch.get(), nullptr, nullptr, nullptr);
        done(code);
    };
    const bool table = ctx.format == Format::Table;
    if (table)
        printOut(QByteArray("EVENT      KEY   REVISION\n"));
    std::fflush(stdout);
    QObject::connect(watch.get(), &Watch::event, ctx.loop, [&ctx, watch, count, maxEvents, finish, table](const Event &e) mutable {
        // The store's revision where it has one (for --from-revision), else
        // the entry's own (file stores; what --if-revision takes).
        const QString revision = e.revision.isEmpty() ? e.entry.revision : e.revision;
        if (table) {
            printOut(QStringLiteral("%1 %2   %3\n")
                         .arg(eventTypeName(e.type).leftJustified(10), e.entry.key, revision)
                         .toUtf8());
        } else {
            Json j{{"type", toStd(eventTypeName(e.type))}, {"key", toStd(e.entry.key)}, {"revision", toStd(revision)}};
            if (e.type == Event::Type::Added || e.type == Event::Type::Modified)
                j["value"] = shown(ctx, e.entry).value;
            if (ctx.format == Format::Yaml)
                printOut("---\n" + jsonToYaml(j)); // one YAML document an event
            else
                printOut(toBytes(j.dump(-1, ' ', false, Json::error_handler_t::replace)) + '\n');
        }
        std::fflush(stdout);
        if (e.type != Event::Type::Resync && e.type != Event::Type::ResyncDone && maxEvents >= 0
            && ++*count >= maxEvents)
            finish(ExitOk);
    });
    if (isTerminal(stderr)) {
        const QString where = ctx.store->provider()->describe();
        QObject::connect(watch.get(), &Watch::ready, ctx.loop, [where] {
            printErr(QStringLiteral("watching %1 (Ctrl-C to stop)").arg(where));
        });
    }
    QObject::connect(watch.get(), &Watch::failed, ctx.loop, [finish](const Error &e) mutable {
        printError(e);
        finish(exitCodeFor(e));
    });
    if (*timeout > 0) {
        QTimer::singleShot(std::max(1, int(*timeout * 1000)), ctx.loop,
                           [finish]() mutable { finish(ExitOk); });
    }
}

// ---- lock ------------------------------------------------------------------

void runLock(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    const QString name = args.at(0);
    const QStringList command = args.mid(1);
    const auto ttlSeconds = secondsOption(p, QStringLiteral("ttl"), 1, 24 * 86400.0, 300);
    if (!ttlSeconds)
        return done(ExitUsage);
    const auto ttl = std::chrono::milliseconds(qint64(*ttlSeconds * 1000));
    Provider *provider = ctx.store->provider();
    provider->lock(name, ttl).then(ctx.loop, [&ctx, provider, command, ttl, done](Result<Lock> held) {
        if (!held.ok()) {
            printError(held.error(), false);
            if (held.error().kind == ErrorKind::Busy)
                printErr(QStringLiteral("hint: another holder has it; retry later"));
            done(exitCodeFor(held.error()));
            return;
        }
        auto lock = std::make_shared<Lock>(held.value());
        auto *proc = new QProcess(ctx.loop);
        proc->setProcessChannelMode(QProcess::ForwardedChannels);
        proc->setInputChannelMode(QProcess::ForwardedInputChannel);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("STATEDECK_LOCK_NAME"), lock->name);
        env.insert(QStringLiteral("STATEDECK_FENCING_TOKEN"), QString::number(lock->fencingToken));
        proc->setProcessEnvironment(env);

        // Renewed at a third of the TTL while CMD runs, as leader election
        // does: the TTL only bounds how long a holder that died keeps it.
        auto *renewal = new QTimer(proc);
        renewal->setInterval(std::max<qint64>(100, ttl.count() / 3));
        auto lost = std::make_shared<bool>(false);
        QObject::connect(renewal, &QTimer::timeout, proc, [provider, lock, ttl, proc, renewal, lost] {
            renewal->stop(); // one renewal in flight at a time
            provider->renew(*lock, ttl).then(proc, [lock, proc, renewal, lost](Result<Lock> r) {
                if (r.ok()) {
                    *lock = r.value();
                    renewal->start();
                    return;
                }
                if (r.error().kind != ErrorKind::Conflict) {
                    // A blip (store unreachable): try again soon; the TTL
                    // still covers us until it runs out.
                    printErr(QStringLiteral("statedeckctl: warning: cannot renew the lock: %1").arg(r.error().toString()));
                    renewal->start();
                    return;
                }
                // Someone else holds it now: CMD must not go on believing
                // it is alone.
                *lost = true;
                printError(r.error(), false);
                printErr(QStringLiteral("statedeckctl: the lock was lost; stopping the command"));
                proc->terminate();
                QTimer::singleShot(10000, proc, [proc] { proc->kill(); });
            });
        });

        auto release = [provider, lock, proc, lost, done](int code) {
            proc->deleteLater();
            if (*lost)
                return done(code == 0 ? ExitError : code);
            provider->unlock(*lock).then(proc->parent(), [code, done](Status s) {
                if (!s.ok()) {
                    printError(s.error(), false);
                    done(code == 0 ? ExitError : code);
                    return;
                }
                done(code);
            });
        };
        QObject::connect(proc, &QProcess::finished, proc, [release, renewal](int code, QProcess::ExitStatus status) {
            renewal->stop();
            release(status == QProcess::NormalExit ? code : ExitError);
        });
        QObject::connect(proc, &QProcess::errorOccurred, proc, [proc, release, renewal](QProcess::ProcessError err) {
            if (err != QProcess::FailedToStart)
                return;
            renewal->stop();
            printError(Error(ErrorKind::Invalid, QStringLiteral("cannot start: %1").arg(proc->errorString()),
                             proc->program()));
            release(127);
        });
        proc->start(command.first(), command.mid(1));
        renewal->start();
    });
}

} // namespace

const QList<Command> &commands()
{
    static const QList<Command> list = {
        {QStringLiteral("ls"), QStringLiteral("ls [PREFIX]"),
         QStringLiteral("List keys under PREFIX, page by page (a namespace of 100k keys never loads at once)."),
         true,
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("page-size"), QStringLiteral("Keys fetched per request (default 500)."),
                          QStringLiteral("N"), QStringLiteral("500")});
             p.addOption({QStringLiteral("max"), QStringLiteral("Stop after N keys."), QStringLiteral("N")});
             p.addOption({QStringLiteral("values"), QStringLiteral("Include values in json/yaml output.")});
             addRevealOption(p);
         },
         runLs, 0, 1},
        {QStringLiteral("get"), QStringLiteral("get KEY"),
         QStringLiteral("Show one entry: its value, revision, encoding and update time. A Secret store's value "
                        "is masked unless --reveal is given."),
         true, addRevealOption, runGet, 1, 1},
        {QStringLiteral("put"), QStringLiteral("put KEY (FILE|-)"),
         QStringLiteral("Store the contents of FILE (or standard input) under KEY. JSON is stored as JSON, other "
                        "UTF-8 text as text, anything else as base64."),
         true,
         [](QCommandLineParser &p) {
             addWriteOptions(p);
             p.addOption({QStringLiteral("create"), QStringLiteral("Fail if the key already exists.")});
             p.addOption({QStringLiteral("encoding"), QStringLiteral("Force json, yaml, text or base64."),
                          QStringLiteral("ENC")});
             p.addOption({QStringLiteral("label"), QStringLiteral("Attach a label (repeatable, where supported)."),
                          QStringLiteral("NAME=VALUE")});
         },
         runPut, 2, 2},
        {QStringLiteral("patch"), QStringLiteral("patch KEY (FILE|-)"),
         QStringLiteral("Apply a JSON merge patch (RFC 7386) to KEY. Concurrent writers are handled by re-reading "
                        "and retrying, so no update is lost; with --if-revision exactly one attempt is made."),
         true, addWriteOptions, runPatch, 2, 2},
        {QStringLiteral("rm"), QStringLiteral("rm KEY"),
         QStringLiteral("Delete KEY. On a terminal it asks first unless --yes is given."), true,
         [](QCommandLineParser &p) {
             addWriteOptions(p);
         },
         runRm, 1, 1},
        {QStringLiteral("watch"), QStringLiteral("watch [PREFIX]"),
         QStringLiteral("Print changes under PREFIX as they happen: ADDED, MODIFIED, DELETED, and RESYNC when the "
                        "store lost history and the full current state follows."),
         true,
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("from-revision"),
                          QStringLiteral("Replay changes after store revision R first."), QStringLiteral("R")});
             p.addOption({QStringLiteral("count"), QStringLiteral("Exit after N change events."), QStringLiteral("N")});
             p.addOption({QStringLiteral("timeout"), QStringLiteral("Exit after S seconds."), QStringLiteral("S")});
             addRevealOption(p);
         },
         runWatch, 0, 1},
        {QStringLiteral("lock"), QStringLiteral("lock NAME -- CMD [ARGS...]"),
         QStringLiteral("Hold the lock NAME while CMD runs, renewing it, then release it. CMD gets "
                        "STATEDECK_LOCK_NAME and STATEDECK_FENCING_TOKEN in its environment; the exit code is CMD's. "
                        "If the lock is lost (another holder took it), CMD is stopped and the exit code is 1."),
         true,
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("ttl"),
                          QStringLiteral("Seconds after which a holder that died loses the lock (default 300); renewed every "
                                            "third of it while CMD runs."),
                          QStringLiteral("S"), QStringLiteral("300")});
         },
         runLock, 2, -1},
    };
    static const QList<Command> connections = {
        {QStringLiteral("connections"), QStringLiteral("connections"),
         QStringLiteral("List the connections in connections.yaml ($XDG_CONFIG_HOME/statedeck/): name, backend and "
                        "where each points (never a password or token); * marks the current one. A connection that "
                        "cannot be resolved (an unset ${VAR}, an unknown backend) is listed with its error."),
         false, nullptr, [](Context &ctx, const QCommandLineParser &, const QStringList &, Done done) {
             done(listConnections(ctx.format));
         }, 0, 0}};
    static const QList<Command> all = list + historyCommands() + taskCommands() + transferCommands() + machineCommands() + connections;
    return all;
}

} // namespace sd::ctl
