#pragma once

#include "Output.h"
#include "store/StateStore.h"

#include <QCommandLineParser>

#include <functional>
#include <memory>
#include <optional>

namespace sd::ctl {

// What every command gets: the opened store and the global options.
struct Context {
    std::unique_ptr<StateStore> store;
    Format format = Format::Table;
    bool valueOnly = false; // -o value
    QString actor;
    bool assumeYes = false;
    bool progress = false;
    bool reveal = false; // --reveal: show a Secret store's values
    bool readOnly = false; // --read-only: every store the command opens refuses writes
    QObject *loop = nullptr; // the application: continuations run on its thread
};

using Done = std::function<void(int exitCode)>;

struct Command {
    QString name;
    QString synopsis;    // "get KEY"
    QString description; // one paragraph for `help COMMAND`
    bool needsStore = true;
    std::function<void(QCommandLineParser &)> addOptions;
    // Returns at once; calls `done` exactly once when finished.
    std::function<void(Context &, const QCommandLineParser &, const QStringList &args, Done)> run;
    // How many positional arguments it takes; maxArgs -1: any number.
    int minArgs = 0;
    int maxArgs = 0;
    // -o/--output names the file the command writes (export), not a format.
    bool outputIsFile = false;
};

const QList<Command> &commands();
// Command groups defined in their own files.
QList<Command> taskCommands();
QList<Command> historyCommands();
QList<Command> machineCommands();

// The entry as a command may print it: on a sensitive store (a Kubernetes
// Secret) the value is masked unless --reveal was given (ctx.reveal).
Entry shown(const Context &ctx, const Entry &e);
// Adds --reveal.
void addRevealOption(QCommandLineParser &p);

// The value of a whole-number option, checked to lie in [min, max]; the
// fallback when it is not given. On a bad value it prints a usage error that
// names the option and the range, and answers nothing: the caller exits 2.
std::optional<qint64> integerOption(const QCommandLineParser &p, const QString &name, qint64 min, qint64 max,
                                    qint64 fallback);

// The same for a number of seconds that may have a fraction ("0.5").
std::optional<double> secondsOption(const QCommandLineParser &p, const QString &name, double min, double max,
                                    double fallback);

// The whole program, minus QCoreApplication: returns the exit code.
int runCli(const QStringList &arguments);

} // namespace sd::ctl
