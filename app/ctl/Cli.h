#pragma once

#include "Output.h"
#include "store/StateStore.h"

#include <QCommandLineParser>

#include <functional>
#include <memory>

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

// The entry as a command may print it: on a sensitive store (a Kubernetes
// Secret) the value is masked unless --reveal was given (ctx.reveal).
Entry shown(const Context &ctx, const Entry &e);
// Adds --reveal.
void addRevealOption(QCommandLineParser &p);

// The whole program, minus QCoreApplication: returns the exit code.
int runCli(const QStringList &arguments);

} // namespace sd::ctl
