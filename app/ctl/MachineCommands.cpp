// `statedeckctl machines ...`: the XStateNet state-machine registry (seed 003).
#include "Cli.h"

#include "config/StoreUrl.h"
#include "kube/KubeClient.h"
#include "registry/Definition.h"
#include "registry/KubeMachines.h"
#include "registry/Registry.h"
#include "util/Duration.h"
#include "util/YamlJson.h"

#include <QCoreApplication>
#include <QFile>
#include <QTextStream>
#include <QTimer>

namespace sd::ctl {
namespace {

using namespace sd::registry;

const QString kSynopsis = QStringLiteral("machines SUBCOMMAND [ARGS]");

QString usageText()
{
    return QStringLiteral(
        "The XStateNet state-machine registry (seed 003): machines registered in Redis with their heartbeats, and "
        "StateMachine resources (statemachines.xstatenet.io/v1) in a cluster with what the operator created for "
        "them. A machine found in both is one row.\n\n"
        "Subcommands:\n"
        "  machines ls                  every machine: liveness, heartbeat age, status, current state, replicas\n"
        "  machines get ID              one machine: its registry entry (every field), resource and objects\n"
        "  machines watch               print each change of liveness, status or state as it happens\n"
        "  machines graph ID            its definition as Graphviz DOT, the current state filled (| dot -Tsvg)\n"
        "  machines scale NAME N        set the StateMachine's replicas through its scale subresource (asks "
        "first on a terminal unless --yes)\n\n"
        "Where to look: --redis URL (default $REDIS_URL) for the registry, and --kube (the kubeconfig's current "
        "context), --context CTX, --namespace NS or --kubeconfig FILE for the cluster; either or both.\n"
        "Liveness: alive while the heartbeat is younger than --stale-after (default 1m, as XStateNet's "
        "orchestrator judges it), stale when older, dead once the heartbeat key expired (30 s after the last "
        "beat); unknown for a machine found only in the cluster.\n"
        "Exit codes: 1 a source could not be read (what could be read is still shown), 3 no such machine.");
}

// The registry the options name; nullopt after printing a usage error.
std::optional<RegistryOptions> registryOptions(const QCommandLineParser &p, bool needKube)
{
    RegistryOptions o;
    QString redisUrl = p.value(QStringLiteral("redis"));
    if (redisUrl.isEmpty())
        redisUrl = qEnvironmentVariable("REDIS_URL");
    if (!redisUrl.isEmpty()) {
        if (!redisUrl.contains(QLatin1String("://")))
            redisUrl = QStringLiteral("redis://") + redisUrl; // StackExchange.Redis style "host:port"
        auto spec = parseStoreUrl(redisUrl);
        if (!spec.ok() || spec->backend != QLatin1String("redis")) {
            printError(spec.ok() ? Error(ErrorKind::Invalid,
                                         QStringLiteral("expected a Redis URL: redis://[user:password@]host[:port][/db]"),
                                         QStringLiteral("--redis ") + maskUrlPassword(redisUrl))
                                 : spec.error(),
                       false);
            return std::nullopt;
        }
        if (spec->options.value(QStringLiteral("tls")).toBool()) {
            printError(Error(ErrorKind::Unsupported,
                             QStringLiteral("rediss:// (TLS) needs hiredis 1.0; use a TLS tunnel to a redis:// address"),
                             spec->origin),
                       false);
            return std::nullopt;
        }
        RedisRegistryOptions r;
        r.connection.host = spec->options.value(QStringLiteral("host"), QStringLiteral("127.0.0.1")).toString();
        r.connection.port = spec->options.value(QStringLiteral("port"), 6379).toInt();
        r.connection.database = spec->options.value(QStringLiteral("database"), 0).toInt();
        r.connection.user = spec->options.value(QStringLiteral("user")).toString();
        r.connection.password = spec->options.value(QStringLiteral("password")).toString();
        r.prefix = p.isSet(QStringLiteral("prefix")) ? p.value(QStringLiteral("prefix")) : QStringLiteral("xstatenet");
        if (r.prefix.isEmpty()) {
            printError(Error(ErrorKind::Invalid, QStringLiteral("the key prefix may not be empty (XStateNet's default "
                                                                "is xstatenet)"),
                             QStringLiteral("--prefix")),
                       false);
            return std::nullopt;
        }
        o.redis = r;
    }
    const bool kube = p.isSet(QStringLiteral("kube")) || p.isSet(QStringLiteral("context")) ||
                      p.isSet(QStringLiteral("namespace")) || p.isSet(QStringLiteral("kubeconfig")) || needKube;
    if (kube) {
        kube::AccessRequest req;
        req.context = p.value(QStringLiteral("context"));
        req.kubeconfig = p.value(QStringLiteral("kubeconfig"));
        auto access = kube::resolveAccess(req);
        if (!access.ok()) {
            printError(access.error(), false);
            return std::nullopt;
        }
        o.kube = access.value();
        o.ns = p.value(QStringLiteral("namespace"));
    }
    if (!o.redis && !o.kube) {
        printErr(QStringLiteral("statedeckctl: error: machines needs a source: --redis URL (or $REDIS_URL) for the "
                                "registry, and/or --kube, --context or --namespace for the cluster"));
        printErr(QStringLiteral("Run 'statedeckctl help machines' for usage."));
        return std::nullopt;
    }
    const QString stale = p.value(QStringLiteral("stale-after"));
    if (!stale.isEmpty()) {
        auto seconds = parseDuration(stale, QStringLiteral("--stale-after ") + stale);
        if (!seconds.ok() || seconds.value() <= 0) {
            printError(seconds.ok() ? Error(ErrorKind::Invalid, QStringLiteral("expected a duration of at least 1s"),
                                            QStringLiteral("--stale-after ") + stale)
                                    : seconds.error(),
                       false);
            return std::nullopt;
        }
        o.staleAfterMs = seconds.value() * 1000;
    }
    return o;
}

QString replicasText(const Machine &m)
{
    if (!m.kube || m.kube->replicas < 0)
        return QStringLiteral("-");
    return QStringLiteral("%1/%2").arg(std::max<qint64>(m.kube->readyReplicas, 0)).arg(m.kube->replicas);
}

QStringList rowOf(const Machine &m, const QDateTime &now, qint64 staleAfterMs)
{
    const QString state = m.currentState();
    return {m.id,
            livenessName(m.liveness(now, staleAfterMs)).toUpper(),
            m.redis ? ageText(m.heartbeatAgeMs(now)) : QStringLiteral("-"),
            m.status().isEmpty() ? QStringLiteral("-") : m.status(),
            state.isEmpty() ? QStringLiteral("-") : state,
            m.node().isEmpty() ? QStringLiteral("-") : m.node(),
            replicasText(m),
            m.where()};
}

const QStringList kHeaders{QStringLiteral("ID"),     QStringLiteral("LIVENESS"), QStringLiteral("HEARTBEAT"),
                           QStringLiteral("STATUS"), QStringLiteral("STATE"),    QStringLiteral("NODE"),
                           QStringLiteral("REPLICAS"), QStringLiteral("SOURCE")};

void printJson(const Context &ctx, const Json &j)
{
    if (ctx.format == Format::Yaml)
        printOut(jsonToYaml(j));
    else
        printOut(toBytes(j.dump(2, ' ', false, Json::error_handler_t::replace)) + '\n');
}

// A Done that deletes `owner` first and gives the exit code once it is gone,
// while the event loop still runs: the network access managers and
// connections it owns (a KubeClient's TLS connection to the API server, Redis
// sockets) are freed then. Left to QCoreApplication's destructor, after the
// loop has returned, a connection was sometimes never freed: a LeakSanitizer
// report at exit (issue 18). Called from inside the owner's own handlers, so
// the owner is deleted later, never there.
Done afterDeleting(QObject *owner, Done done)
{
    return [owner, done](int code) {
        QObject::connect(owner, &QObject::destroyed, [done, code] { done(code); });
        owner->deleteLater();
    };
}

// Reads every source once, then calls `then` (errors already printed) with
// the Done to finish with: it deletes the registry first.
void readOnce(Context &ctx, const RegistryOptions &o, Done done,
              std::function<void(Registry *, bool ok, const Done &done)> then)
{
    auto *reg = new Registry(o, ctx.loop);
    QObject::connect(reg, &Registry::refreshed, ctx.loop, [reg, then, done = afterDeleting(reg, done)] {
        const QList<Error> errors = reg->errors();
        for (const Error &e : errors)
            printError(e, false);
        then(reg, errors.isEmpty(), done);
    }, Qt::SingleShotConnection);
    reg->refresh();
}

void runList(Context &ctx, const RegistryOptions &o, Done done)
{
    readOnce(ctx, o, done, [&ctx](Registry *reg, bool ok, const Done &done) {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const QList<Machine> all = reg->machines();
        if (ctx.format == Format::Table) {
            Table t(kHeaders);
            for (const Machine &m : all)
                t.addRow(rowOf(m, now, reg->staleAfterMs()));
            if (all.isEmpty())
                printErr(QStringLiteral("no machines"));
            else
                t.flush();
        } else {
            Json arr = Json::array();
            for (const Machine &m : all)
                arr.push_back(m.toJson(now, reg->staleAfterMs()));
            printJson(ctx, arr);
        }
        done(ok ? ExitOk : ExitError);
    });
}

void runGet(Context &ctx, const RegistryOptions &o, const QString &id, Done done)
{
    readOnce(ctx, o, done, [&ctx, id](Registry *reg, bool ok, const Done &done) {
        const auto m = reg->machine(id);
        if (!m) {
            if (ok)
                printError(Error(ErrorKind::NotFound, QStringLiteral("no machine with this id in %1")
                                                          .arg(reg->updateNote().isEmpty() ? QStringLiteral("the registry")
                                                                                           : QStringLiteral("the sources given")),
                                 id),
                           false);
            return done(ok ? ExitNotFound : ExitError);
        }
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const Json j = m->toJson(now, reg->staleAfterMs());
        if (ctx.format != Format::Table) {
            printJson(ctx, j);
            return done(ExitOk);
        }
        QString out;
        auto line = [&out](const QString &k, const QString &v) {
            out += QString(k + QLatin1Char(':')).leftJustified(17) + (v.isEmpty() ? QStringLiteral("-") : v) + QLatin1Char('\n');
        };
        line(QStringLiteral("ID"), m->id);
        line(QStringLiteral("Liveness"), livenessName(m->liveness(now, reg->staleAfterMs())));
        const auto hb = m->lastHeartbeat();
        line(QStringLiteral("Heartbeat"), hb ? QStringLiteral("%1 (%2 ago)").arg(hb->toString(Qt::ISODateWithMs),
                                                                             ageText(m->heartbeatAgeMs(now)))
                                             : QString());
        line(QStringLiteral("Status"), m->status());
        line(QStringLiteral("Current state"), m->currentState());
        line(QStringLiteral("Source"), m->where());
        if (m->redis) {
            line(QStringLiteral("Node"), m->node());
            line(QStringLiteral("Endpoint"), m->redis->field("Endpoint"));
            line(QStringLiteral("Heartbeat TTL"), m->redis->heartbeatTtlMs >= 0
                                                     ? QStringLiteral("%1 ms").arg(m->redis->heartbeatTtlMs)
                                                     : QStringLiteral("expired"));
            out += QStringLiteral("Registry entry:\n") +
                   toQString(m->redis->info.dump(2, ' ', false, Json::error_handler_t::replace)) + QLatin1Char('\n');
            if (m->redis->metadata)
                out += QStringLiteral("Metadata:\n") +
                       toQString(m->redis->metadata->dump(2, ' ', false, Json::error_handler_t::replace)) + QLatin1Char('\n');
        }
        if (m->kube) {
            line(QStringLiteral("Resource"), QStringLiteral("statemachine %1/%2").arg(m->kube->ns, m->kube->name));
            line(QStringLiteral("Phase"), m->kube->phase);
            line(QStringLiteral("Replicas"), replicasText(*m) + QStringLiteral(" ready"));
            line(QStringLiteral("Transport"), m->kube->transport);
            line(QStringLiteral("Last transition"), m->kube->lastTransition);
            out += QStringLiteral("Objects:\n");
            for (const auto &obj : m->kube->owned)
                out += QStringLiteral("  %1 %2 %3\n")
                           .arg(obj.kind.leftJustified(22), obj.name.leftJustified(32),
                                obj.present ? obj.detail : QStringLiteral("(missing)"));
        }
        printOut(out.toUtf8());
        done(ExitOk);
    });
}

void runGraph(Context &ctx, const QCommandLineParser &p, const RegistryOptions &o, const QString &id, Done done)
{
    auto render = [](const QByteArray &json, const QString &origin, const QString &current, const Done &done) {
        auto d = parseDefinition(json, origin);
        if (!d.ok()) {
            printError(d.error(), false);
            return done(ExitError);
        }
        printOut(toDot(d.value(), d->activeNodes(current)));
        done(ExitOk);
    };
    const QString file = p.value(QStringLiteral("file"));
    if (!file.isEmpty()) {
        QFile f;
        const bool ok = file == QLatin1String("-") ? f.open(stdin, QIODevice::ReadOnly) : (f.setFileName(file), f.open(QIODevice::ReadOnly));
        if (!ok) {
            printError(Error(ErrorKind::Io, QStringLiteral("cannot read the definition: %1").arg(f.errorString()), file), false);
            return done(ExitError);
        }
        return render(f.readAll(), file, p.value(QStringLiteral("current")), done);
    }
    readOnce(ctx, o, done, [id, render, p_current = p.value(QStringLiteral("current"))](Registry *reg, bool ok,
                                                                                        const Done &done) {
        const auto m = reg->machine(id);
        if (!m) {
            if (ok)
                printError(Error(ErrorKind::NotFound, QStringLiteral("no machine with this id"), id), false);
            return done(ok ? ExitNotFound : ExitError);
        }
        if (!m->kube || m->kube->definition.isEmpty()) {
            printError(Error(ErrorKind::NotFound,
                             QStringLiteral("no definition is known for this machine: the Redis registry holds none; "
                                            "it comes from its StateMachine resource (give --kube/--namespace) or "
                                            "--file FILE"),
                             id),
                       false);
            return done(ExitNotFound);
        }
        render(m->kube->definition, m->kube->definitionOrigin, p_current.isEmpty() ? m->currentState() : p_current, done);
    });
}

void runScale(Context &ctx, const RegistryOptions &o, const QString &name, const QString &countText, Done done)
{
    bool isNumber = false;
    const qint64 replicas = countText.toLongLong(&isNumber);
    if (!isNumber || replicas < 0 || replicas > 100000) {
        printError(Error(ErrorKind::Invalid, QStringLiteral("expected a number of replicas from 0 to 100000"),
                         QStringLiteral("N \"%1\"").arg(countText)),
                   false);
        return done(ExitUsage);
    }
    if (ctx.readOnly) {
        printError(Error(ErrorKind::Forbidden, QStringLiteral("--read-only: scaling writes to the cluster"), name), false);
        return done(ExitError);
    }
    auto *client = new kube::KubeClient(*o.kube, ctx.loop);
    auto *machines = new KubeMachines(client, o.ns, ctx.loop);
    // The machines go first (deleted in the order asked), then the client.
    done = [machines, done = afterDeleting(client, done)](int code) {
        machines->deleteLater();
        done(code);
    };
    const QString ns = machines->ns();
    client->get(KubeMachines::stateMachines(), ns, name).then(ctx.loop, [&ctx, machines, client, name, ns, replicas, done](Result<Json> got) {
        if (!got.ok()) {
            printError(got.error(), false);
            return done(exitCodeFor(got.error()));
        }
        const Json spec = got.value().contains("spec") ? got.value()["spec"] : Json::object();
        const qint64 before = spec.contains("replicas") && spec["replicas"].is_number_integer() ? spec["replicas"].get<qint64>() : 1;
        // Ask only a person: scripts and pipes never block on a prompt.
        if (!ctx.assumeYes && isTerminal(stdin) && isTerminal(stderr)) {
            std::fprintf(stderr, "Scale statemachine %s/%s from %lld to %lld replicas on %s? [y/N] ",
                         ns.toUtf8().constData(), name.toUtf8().constData(), before, replicas,
                         client->access().server.toUtf8().constData());
            std::fflush(stderr);
            QTextStream in(stdin);
            const QString answer = in.readLine().trimmed().toLower();
            if (answer != QLatin1String("y") && answer != QLatin1String("yes")) {
                printErr(QStringLiteral("not scaled"));
                return done(ExitError);
            }
        }
        machines->scale(name, replicas).then(ctx.loop, [&ctx, name, ns, before, done](Result<Json> scaled) {
            if (!scaled.ok()) {
                printError(scaled.error(), false);
                return done(exitCodeFor(scaled.error()));
            }
            if (ctx.format != Format::Table) {
                printJson(ctx, scaled.value());
            } else {
                const Json &s = scaled.value();
                const qint64 now = s.contains("spec") && s["spec"].contains("replicas") ? s["spec"]["replicas"].get<qint64>() : -1;
                printOut(QStringLiteral("statemachine %1/%2 scaled from %3 to %4 replicas\n")
                             .arg(ns, name)
                             .arg(before)
                             .arg(now)
                             .toUtf8());
            }
            done(ExitOk);
        });
    });
}

// One line per change of a machine's liveness, status or current state;
// liveness is re-judged every second, since a heartbeat goes stale with time
// alone.
void runWatch(Context &ctx, const QCommandLineParser &p, const RegistryOptions &o, Done done)
{
    const auto count = integerOption(p, QStringLiteral("count"), 1, std::numeric_limits<int>::max(), -1);
    const auto timeout = secondsOption(p, QStringLiteral("timeout"), 0.1, 1e7, -1);
    if (!count || !timeout)
        return done(ExitUsage);
    auto *reg = new Registry(o, ctx.loop);
    done = afterDeleting(reg, done);
    struct State {
        QHash<QString, QStringList> shown;
        qint64 printed = 0;
        bool finished = false;
        QString note;
    };
    auto st = std::make_shared<State>();
    const qint64 maxLines = *count;
    auto finish = [st, done](int code) {
        if (st->finished)
            return;
        st->finished = true;
        done(code);
    };
    auto emitLine = [&ctx, st, maxLines, finish](const QString &event, const Machine &m, const QDateTime &now, qint64 staleAfter) {
        if (st->finished)
            return;
        if (ctx.format == Format::Table) {
            const QStringList r = rowOf(m, now, staleAfter);
            printOut(QStringLiteral("%1 %2 %3 %4 %5 %6\n")
                         .arg(now.toString(QStringLiteral("HH:mm:ss")), event.leftJustified(8), r[0].leftJustified(20),
                              r[1].leftJustified(8), r[3].leftJustified(10), r[4])
                         .toUtf8());
        } else {
            Json j = m.toJson(now, staleAfter);
            j["event"] = toStd(event);
            if (ctx.format == Format::Yaml)
                printOut("---\n" + jsonToYaml(j));
            else
                printOut(toBytes(j.dump(-1, ' ', false, Json::error_handler_t::replace)) + '\n');
        }
        std::fflush(stdout);
        if (maxLines > 0 && ++st->printed >= maxLines)
            finish(ExitOk);
    };
    auto check = [reg, st, emitLine] {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QSet<QString> seen;
        for (const Machine &m : reg->machines()) {
            seen.insert(m.id);
            const QStringList r = rowOf(m, now, reg->staleAfterMs());
            // The age ticks: only what it means counts as a change.
            const QStringList key{r[1], r[3], r[4], r[6]};
            const auto it = st->shown.constFind(m.id);
            if (it == st->shown.cend())
                emitLine(QStringLiteral("ADDED"), m, now, reg->staleAfterMs());
            else if (it.value() != key)
                emitLine(QStringLiteral("CHANGED"), m, now, reg->staleAfterMs());
            st->shown.insert(m.id, key);
        }
        for (auto it = st->shown.begin(); it != st->shown.end();) {
            if (seen.contains(it.key())) {
                ++it;
                continue;
            }
            Machine gone;
            gone.id = it.key();
            emitLine(QStringLiteral("REMOVED"), gone, now, reg->staleAfterMs());
            it = st->shown.erase(it);
        }
    };
    QObject::connect(reg, &Registry::changed, ctx.loop, check);
    QObject::connect(reg, &Registry::failed, ctx.loop, [](const Error &e) { printError(e, false); });
    QObject::connect(reg, &Registry::updatesChanged, ctx.loop, [reg, st] {
        const QString note = reg->updateNote();
        if (note != st->note) {
            st->note = note;
            printErr(QStringLiteral("statedeckctl: ") + note);
        }
    });
    auto *tick = new QTimer(ctx.loop);
    QObject::connect(tick, &QTimer::timeout, ctx.loop, check);
    tick->start(1000);
    if (*timeout > 0)
        QTimer::singleShot(int(*timeout * 1000), ctx.loop, [finish] { finish(ExitOk); });
    reg->startLive();
}

void runMachines(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    const QString sub = args.value(0);
    auto need = [&](int count, const QString &synopsis) {
        if (args.size() == count)
            return true;
        printErr(QStringLiteral("statedeckctl: error: usage: statedeckctl %1").arg(synopsis));
        printErr(QStringLiteral("Run 'statedeckctl help machines' for usage."));
        done(ExitUsage);
        return false;
    };
    const bool known = sub == QLatin1String("ls") || sub == QLatin1String("list") || sub == QLatin1String("get") ||
                       sub == QLatin1String("watch") || sub == QLatin1String("graph") || sub == QLatin1String("scale");
    if (!known) {
        printErr(sub.isEmpty() ? QStringLiteral("statedeckctl: error: machines needs a subcommand")
                               : QStringLiteral("statedeckctl: error: unknown machines subcommand \"%1\"").arg(sub));
        printErr(QStringLiteral("Run 'statedeckctl help machines' for usage."));
        return done(ExitUsage);
    }
    if (sub == QLatin1String("ls") || sub == QLatin1String("list")) {
        if (!need(1, QStringLiteral("machines ls")))
            return;
    } else if (sub == QLatin1String("get")) {
        if (!need(2, QStringLiteral("machines get ID")))
            return;
    } else if (sub == QLatin1String("watch")) {
        if (!need(1, QStringLiteral("machines watch [--count N] [--timeout S]")))
            return;
    } else if (sub == QLatin1String("graph")) {
        // With --file the ID is optional (the registry is not read).
        if (p.isSet(QStringLiteral("file"))) {
            if (args.size() > 2)
                return (void)need(2, QStringLiteral("machines graph (ID | --file FILE) [--current STATE]"));
            return runGraph(ctx, p, RegistryOptions{}, QString(), done);
        }
        if (!need(2, QStringLiteral("machines graph (ID | --file FILE) [--current STATE]")))
            return;
    } else if (sub == QLatin1String("scale")) {
        if (!need(3, QStringLiteral("machines scale NAME N")))
            return;
    }
    const auto o = registryOptions(p, sub == QLatin1String("scale"));
    if (!o)
        return done(ExitUsage);
    if (sub == QLatin1String("ls") || sub == QLatin1String("list"))
        runList(ctx, *o, done);
    else if (sub == QLatin1String("get"))
        runGet(ctx, *o, args.at(1), done);
    else if (sub == QLatin1String("watch"))
        runWatch(ctx, p, *o, done);
    else if (sub == QLatin1String("graph"))
        runGraph(ctx, p, *o, args.at(1), done);
    else
        runScale(ctx, *o, args.at(1), args.at(2), done);
}

void addMachineOptions(QCommandLineParser &p)
{
    auto opt = [&p](const char *name, const char *help, const char *value = nullptr) {
        if (value)
            p.addOption({QLatin1String(name), QLatin1String(help), QLatin1String(value)});
        else
            p.addOption({QLatin1String(name), QLatin1String(help)});
    };
    opt("redis", "The Redis registry: redis://[user:password@]host[:port][/db] (default $REDIS_URL).", "URL");
    opt("prefix", "The registry's key prefix (default xstatenet).", "PREFIX");
    opt("kube", "Also read StateMachine resources from the kubeconfig's current context.");
    opt("context", "Read StateMachine resources through this kubeconfig context.", "CTX");
    opt("namespace", "The namespace of the StateMachine resources (default: the context's).", "NS");
    opt("kubeconfig", "A kubeconfig file instead of $KUBECONFIG / ~/.kube/config.", "FILE");
    opt("stale-after", "A heartbeat older than this is stale (default 1m; units s, m, h).", "DURATION");
    opt("count", "watch: exit after N lines.", "N");
    opt("timeout", "watch: exit after S seconds.", "S");
    opt("file", "graph: read the definition from FILE (- for stdin) instead of the cluster.", "FILE");
    opt("current", "graph: the state to mark as current (default: the machine's).", "STATE");
}

} // namespace

QList<Command> machineCommands()
{
    Command c{QStringLiteral("machines"), kSynopsis, usageText(), false, addMachineOptions, runMachines, 1, 3};
    return {c};
}

} // namespace sd::ctl
