#include "Cli.h"
#include "Help.h"
#include "StoreOpen.h"
#include "TransferCommands.h"

#include "config/StoreUrl.h"
#include "providers/Backends.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>

#include <cstdio>

namespace sd::ctl {
namespace {

int usageError(const QString &message, const QString &command = {})
{
    printErr(QStringLiteral("statedeckctl: ") + message);
    printErr(command.isEmpty() ? QStringLiteral("Run 'statedeckctl help' for usage.")
                               : QStringLiteral("Run 'statedeckctl help %1' for usage.").arg(command));
    return ExitUsage;
}

const Command *findCommand(const QString &name)
{
    for (const Command &c : commands())
        if (c.name == name)
            return &c;
    return nullptr;
}

// The journal that shares rate-limit windows between runs against one store.
QString rateLimitJournalFor(const QString &storeDescription)
{
    QString stateHome = qEnvironmentVariable("XDG_STATE_HOME");
    if (stateHome.isEmpty())
        stateHome = QDir::homePath() + QStringLiteral("/.local/state");
    const QByteArray store =
        QCryptographicHash::hash(storeDescription.toUtf8(), QCryptographicHash::Sha256).toHex().left(16);
    return stateHome + QStringLiteral("/statedeck/rate-limits/") + QString::fromLatin1(store) + QStringLiteral(".json");
}
} // namespace

int runCli(const QStringList &arguments)
{
    // Pass 1: global options up to the command word.
    QCommandLineParser global;
    addGlobalOptions(global);
    global.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    if (!global.parse(arguments))
        return usageError(global.errorText());
    if (global.isSet(QStringLiteral("version"))) {
        printOut(QByteArray("statedeckctl ") + QCoreApplication::applicationVersion().toUtf8() + '\n');
        return ExitOk;
    }
    QStringList rest = global.positionalArguments();
    if (rest.isEmpty() || rest.first() == QLatin1String("help") || global.isSet(QStringLiteral("help"))) {
        const QString topic = rest.size() > 1 ? rest.at(1) : (rest.isEmpty() || rest.first() == QLatin1String("help") ? QString() : rest.first());
        if (const Command *c = findCommand(topic)) {
            printOut(commandHelpText(*c, helpWidth()).toUtf8());
            return ExitOk;
        }
        if (!topic.isEmpty())
            return usageError(QStringLiteral("unknown command \"%1\"").arg(topic));
        printOut(overviewText(helpWidth()).toUtf8());
        return ExitOk;
    }
    const QString name = rest.takeFirst();

    // Pass 2: the command's own options, global ones allowed anywhere.
    QCommandLineParser local;
    addGlobalOptions(local);
    const Command *command = findCommand(name);
    if (command && command->addOptions)
        command->addOptions(local);
    if (!command)
        return usageError(QStringLiteral("unknown command \"%1\"").arg(name));
    if (!local.parse(QStringList{arguments.first()} + rest))
        return usageError(local.errorText(), name);
    if (local.isSet(QStringLiteral("help"))) {
        if (command)
            printOut(commandHelpText(*command, helpWidth()).toUtf8());
        return ExitOk;
    }
    auto option = [&](const QString &n) { return local.isSet(n) ? local.value(n) : global.value(n); };
    auto flag = [&](const QString &n) { return local.isSet(n) || global.isSet(n); };

    Context ctx;
    const QString out = command && command->outputIsFile ? QString() : option(QStringLiteral("output"));
    if (out.isEmpty())
        ctx.format = isTerminal(stdout) ? Format::Table : Format::Json;
    else if (out == QLatin1String("table"))
        ctx.format = Format::Table;
    else if (out == QLatin1String("json"))
        ctx.format = Format::Json;
    else if (out == QLatin1String("yaml"))
        ctx.format = Format::Yaml;
    else if (out == QLatin1String("value"))
        ctx.valueOnly = true;
    else
        return usageError(QStringLiteral("--output: expected table, json, yaml or value, got \"%1\"").arg(out), name);

    if (name == QLatin1String("connections"))
        return listConnections(ctx.format);

    const QStringList args = local.positionalArguments();
    if (args.size() < command->minArgs || (command->maxArgs >= 0 && args.size() > command->maxArgs))
        return usageError(QStringLiteral("usage: statedeckctl %1").arg(command->synopsis), name);

    ctx.actor = option(QStringLiteral("actor"));
    if (ctx.actor.isEmpty())
        ctx.actor = qEnvironmentVariable("USER", QStringLiteral("anonymous"));
    ctx.assumeYes = flag(QStringLiteral("yes"));
    ctx.readOnly = flag(QStringLiteral("read-only"));
    ctx.progress = !flag(QStringLiteral("quiet")) && isTerminal(stderr);
    ctx.loop = QCoreApplication::instance();

    // Commands between two stores (migrate, verify) name them themselves.
    if (command->needsStore) {
        auto spec = storeSpecFor(option(QStringLiteral("store")), option(QStringLiteral("connection")));
        if (!spec.ok()) {
            printError(spec.error());
            // A store the user named wrongly (unknown connection, malformed URL)
            // is a usage error; a broken file behind a valid name is not.
            // A broken connections.yaml (read when no URL is given) is the
            // latter, whichever option led to it.
            const ErrorKind k = spec.error().kind;
            const QString store = option(QStringLiteral("store"));
            const bool bothGiven = !store.isEmpty() && !option(QStringLiteral("connection")).isEmpty();
            const bool misused = k == ErrorKind::Invalid && (looksLikeStoreUrl(store) || bothGiven);
            return (misused || k == ErrorKind::NotFound) ? ExitUsage : ExitError;
        }
        spec->readOnly = spec->readOnly || ctx.readOnly;
        auto provider = openProvider(spec.value());
        if (!provider.ok()) {
            printError(provider.error());
            return ExitError;
        }
        StoreOptions options;
        options.cache = false; // one-shot commands: a watch-backed cache would only cost
        options.rateLimit = RateLimitPolicy::fromEnvironment();
        // Each run is one process: counts are shared through a file per store,
        // so the limit holds across runs.
        options.rateLimit.journalPath = rateLimitJournalFor(provider.value()->describe());
        ctx.store = std::make_unique<StateStore>(std::move(provider).value(), options);
        announceFallback(ctx.store->provider());
    }

    int exitCode = ExitError;
    bool finished = false;
    command->run(ctx, local, args, [&](int code) {
        exitCode = code;
        finished = true;
        std::fflush(stdout);
        QCoreApplication::exit(code);
    });
    // A command that failed before any I/O finished already; exit() before
    // exec() would be lost and exec() would never return.
    if (!finished)
        QCoreApplication::exec();
    return exitCode;
}

} // namespace sd::ctl

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("statedeckctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(STATEDECK_VERSION));
    return sd::ctl::runCli(QCoreApplication::arguments());
}
