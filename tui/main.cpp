// statedeck-tui: the terminal console. Opens the store the way statedeckctl
// does (--store URL|PATH or --connection NAME; neither: the current
// connection, else the embedded SQLite store) before taking the terminal,
// so a mistake is reported as plain text with a non-zero exit.
#include "App.h"
#include "Terminal.h"
#include "TerminalTheme.h"
#include "console/Session.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>
#include <optional>
#include <unistd.h>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("statedeck-tui"));
    QCoreApplication::setApplicationVersion(QStringLiteral(STATEDECK_VERSION));
    QCommandLineParser p;
    p.setApplicationDescription(QCoreApplication::translate(
        "TUI", "The statedeck console in a terminal: browse, watch and edit application state over SSH."));
    p.addHelpOption();
    p.addVersionOption();
    p.addOption({{QStringLiteral("s"), QStringLiteral("store")},
                 QCoreApplication::translate("TUI", "The store: a URL or a path."), QStringLiteral("URL")});
    p.addOption({{QStringLiteral("c"), QStringLiteral("connection")},
                 QCoreApplication::translate("TUI", "A connection of connections.yaml."), QStringLiteral("NAME")});
    p.addOption({QStringLiteral("prefix"), QCoreApplication::translate("TUI", "Start browsing under this prefix."),
                 QStringLiteral("PREFIX")});
    p.addOption({QStringLiteral("read-only"),
                 QCoreApplication::translate("TUI", "Open the store read-only: every write is refused.")});
    p.addOption({QStringLiteral("theme"),
                 QCoreApplication::translate("TUI", "Colours from a theme file (the desktop console's shape)."),
                 QStringLiteral("FILE")});
    p.addOption({QStringLiteral("keys"),
                 QCoreApplication::translate("TUI", "Key bindings from FILE instead of keys.yaml in the "
                                                    "configuration directory."),
                 QStringLiteral("FILE")});
    p.process(app);

    const QString store = p.value(QStringLiteral("store"));
    const QString connection = p.value(QStringLiteral("connection"));
    if (!store.isEmpty() && !connection.isEmpty()) {
        std::fprintf(stderr, "statedeck-tui: give --store or --connection, not both\n");
        return 2;
    }
    // The user's files are read before the terminal is taken: a mistake in
    // them is plain text naming FILE:LINE.
    const bool keysNamed = p.isSet(QStringLiteral("keys"));
    auto keys = sd::console::KeyBindings::load(
        keysNamed ? p.value(QStringLiteral("keys")) : sd::console::KeyBindings::defaultPath(), keysNamed);
    if (!keys.ok()) {
        std::fprintf(stderr, "statedeck-tui: error: %s\n", qPrintable(keys.error().toString()));
        return 2;
    }
    std::optional<sd::tui::TerminalTheme> theme;
    if (p.isSet(QStringLiteral("theme"))) {
        auto loaded = sd::tui::TerminalTheme::load(p.value(QStringLiteral("theme")));
        if (!loaded.ok()) {
            std::fprintf(stderr, "statedeck-tui: error: %s\n", qPrintable(loaded.error().toString()));
            return 2;
        }
        theme = std::move(loaded).value();
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        std::fprintf(stderr, "statedeck-tui: needs a terminal; for scripts use statedeckctl\n");
        return 2;
    }
    const QString name = connection.isEmpty() ? store : connection;
    sd::console::SessionOptions sessionOptions;
    sessionOptions.readOnly = p.isSet(QStringLiteral("read-only"));
    auto session = sd::console::Session::open(name, sessionOptions);
    if (!session.ok()) {
        // A name or URL the user got wrong is a usage error; a store that
        // cannot be reached is not.
        const sd::ErrorKind k = session.error().kind;
        std::fprintf(stderr, "statedeck-tui: error: %s\n", qPrintable(session.error().toString()));
        return k == sd::ErrorKind::NotFound || k == sd::ErrorKind::Invalid ? 2 : 1;
    }

    sd::tui::AppOptions options;
    options.prefix = p.value(QStringLiteral("prefix"));
    options.readOnly = sessionOptions.readOnly;
    options.keys = std::move(keys).value();
    int code = 0;
    {
        sd::tui::Terminal terminal;
        if (theme)
            terminal.setTheme(theme->styles());
        sd::tui::App tui(terminal, options);
        QObject::connect(&tui, &sd::tui::App::quit, &app, [&app] { app.quit(); });
        tui.show(std::move(session).value(), name);
        tui.paintNow();
        code = app.exec();
    } // the terminal is restored here, before anything is printed
    return code;
}
