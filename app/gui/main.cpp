// statedeck: the desktop console (widgets/ does the work; this parses the
// command line, opens the first connection and shows the window).
#include "ConsolePane.h"
#include "EntryPanel.h"
#include "KeyBrowser.h"
#include "MainWindow.h"
#include "NotificationArea.h"
#include "RegistryView.h"
#include "StateGraphView.h"
#include "Theme.h"
#include "TransferDialog.h"
#include "console/EventLog.h"
#include "console/KeyModel.h"
#include "console/Session.h"
#include "console/MachinesModel.h"
#include "console/RegistrySession.h"
#include "util/Interrupts.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QComboBox>
#include <QDialog>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QTimer>
#include <QTreeView>

#include "console/Actions.h"

#include <cstdio>

using namespace sd;
using namespace sd::widgets;

namespace {

// --screenshot: waits until the window shows something settled (the first
// page of keys read, the watch live, the --select'ed key open), then saves
// a picture of the window and quits. For docs/images and for looking at the
// window on a machine without a screen.
void scheduleScreenshot(MainWindow *window, const QString &file, const QString &select, int minimumMs)
{
    auto *timer = new QTimer(window);
    auto *elapsed = new QElapsedTimer;
    elapsed->start();
    auto selected = std::make_shared<bool>(select.isEmpty());
    auto settledSince = std::make_shared<qint64>(-1);
    QObject::connect(timer, &QTimer::timeout, window, [=] {
        ConsolePane *pane = window->currentPane();
        bool ready = false;
        if (pane) {
            const console::KeyModel *keys = pane->keyBrowser()->keyModel();
            const auto state = pane->session()->freshness().state;
            // A listing that failed (a read-only store that does not
            // exist) is what there is to show, too.
            const bool listed = !keys->listingInFlight()
                                && (keys->loadedCount() > 0 || keys->listingComplete() || keys->listingError());
            const bool fresh = state != console::Freshness::Connecting;
            if (listed && fresh && !*selected)
                *selected = pane->keyBrowser()->selectKey(select);
            ready = listed && fresh && *selected && (select.isEmpty() || pane->entryPanel()->hasEntry());
        }
        // A wizard's job is part of the picture: it finishes first.
        if (pane && !pane->runningTransfers().isEmpty())
            ready = false;
        if ((!ready || elapsed->elapsed() < minimumMs) && elapsed->elapsed() < 20000) {
            *settledSince = -1;
            return;
        }
        // A moment for the last layout and paint.
        if (*settledSince < 0) {
            *settledSince = elapsed->elapsed();
            return;
        }
        if (elapsed->elapsed() - *settledSince < 400)
            return;
        timer->stop();
        delete elapsed;
        // A dialog the run opened (the transfer wizard, say) is what to show.
        QWidget *shown = window;
        for (QWidget *w : QApplication::topLevelWidgets())
            if (w != window && w->isVisible() && qobject_cast<QDialog *>(w))
                shown = w;
        const bool saved = shown->grab().save(file);
        std::fprintf(stderr, "statedeck: %s %s%s\n", saved ? "saved" : "could not save", qPrintable(file),
                     ready ? "" : " (the window did not settle within 20 s)");
        QApplication::exit(saved ? 0 : 1);
    });
    timer->start(100);
}

// --bench-report FILE (bench/gui.sh): what DESIGN.md's GUI targets are
// measured by, written as "name value" lines, flushed as they happen:
//   first_paint_epoch_ms  wall clock (ms since the epoch) of the window's first paint,
//                         so the script subtracts its own launch time
//   listed_all_ms         with --run keys.more: the whole listing read and
//                         the view scrolled to its last row, since start
//   max_stall_ms          at exit: the longest the event loop was late for a
//                         10 ms timer, from one second after the first paint
//   events                at exit: watch events the window received
class BenchReport : public QObject {
public:
    BenchReport(MainWindow *window, const QString &path) : QObject(window), m_window(window), m_file(path)
    {
        m_started.start();
        if (!m_file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            std::fprintf(stderr, "statedeck: cannot write %s\n", qPrintable(path));
        window->installEventFilter(this);
        m_tick.setInterval(10);
        m_tick.setTimerType(Qt::PreciseTimer);
        connect(&m_tick, &QTimer::timeout, this, [this] {
            const qint64 now = m_started.elapsed();
            if (m_lastTick >= 0 && m_measureFrom >= 0 && now >= m_measureFrom)
                m_maxStall = std::max(m_maxStall, now - m_lastTick - 10);
            m_lastTick = now;
            watchListing();
        });
        m_tick.start();
        // At quit, while the panes (and their event logs) are still there.
        connect(qApp, &QCoreApplication::aboutToQuit, this, &BenchReport::finish);
    }

private:
    void finish()
    {
        qint64 events = 0;
        for (ConsolePane *p : m_window->panes())
            events += p->eventLog()->received();
        line("max_stall_ms", std::max<qint64>(0, m_maxStall));
        line("events", events);
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (watched == m_window && event->type() == QEvent::Paint && m_measureFrom < 0) {
            line("first_paint_epoch_ms", QDateTime::currentMSecsSinceEpoch());
            m_measureFrom = m_started.elapsed() + 1000;
        }
        return false;
    }

private:
    void line(const char *name, qint64 value)
    {
        m_file.write(QByteArray(name) + ' ' + QByteArray::number(value) + '\n');
        m_file.flush();
    }
    void watchListing()
    {
        ConsolePane *pane = m_window->currentPane();
        if (m_listedAll || !pane)
            return;
        const console::KeyModel *keys = pane->keyBrowser()->keyModel();
        if (!keys->listingComplete() || keys->loadedCount() == 0)
            return;
        m_listedAll = true;
        pane->keyBrowser()->view()->scrollToBottom();
        QTimer::singleShot(0, this, [this] { line("listed_all_ms", m_started.elapsed()); });
    }

    MainWindow *m_window;
    QFile m_file;
    QElapsedTimer m_started;
    QTimer m_tick;
    qint64 m_lastTick = -1;
    qint64 m_measureFrom = -1;
    qint64 m_maxStall = 0;
    bool m_listedAll = false;
};

// --machines: the registry view alone (for its screenshot); with
// --screenshot it waits for the rows, the banner and, with --select, the
// selected machine's graph, then saves the window.
int runRegistry(const QString &args, const QString &themeName, const QString &select, const QString &file,
                const QString &size)
{
    auto registry = console::RegistrySession::open(args, nullptr);
    if (!registry.ok()) {
        std::fprintf(stderr, "statedeck: %s\n", qPrintable(registry.error().toString()));
        return 2;
    }
    Theme theme;
    QString error;
    if (!theme.load(themeName.isEmpty() ? Theme::matching(QApplication::palette()) : themeName, &error)) {
        std::fprintf(stderr, "statedeck: %s\n", qPrintable(error));
        return 2;
    }
    QApplication::setPalette(theme.palette());
    RegistryView view(std::move(registry).value(), &theme);
    const QStringList wh = size.split(QLatin1Char('x'));
    view.resize(wh.size() == 2 ? wh.at(0).toInt() : 1200, wh.size() == 2 ? wh.at(1).toInt() : 800);
    view.show();
    if (file.isEmpty() && !select.isEmpty()) {
        auto *poll = new QTimer(&view);
        QObject::connect(poll, &QTimer::timeout, &view, [&view, poll, select] {
            if (view.selectMachine(select))
                poll->stop();
        });
        poll->start(100);
    }
    if (!file.isEmpty()) {
        auto *timer = new QTimer(&view);
        auto *elapsed = new QElapsedTimer;
        elapsed->start();
        auto settled = std::make_shared<int>(0);
        QObject::connect(timer, &QTimer::timeout, &view, [&view, timer, elapsed, settled, select, file] {
            const bool rows = view.machines()->rowCount() > 0;
            const bool chosen = select.isEmpty() || view.selectMachine(select) || view.selectedMachine() == select;
            const bool drawn = select.isEmpty() || view.graph()->stateCount() > 0;
            const bool ready = rows && chosen && drawn;
            if (!ready && elapsed->elapsed() < 20000)
                return;
            // A few ticks for the last layout and paint.
            if (++*settled < 8)
                return;
            timer->stop();
            view.graph()->fitToView();
            const bool saved = view.grab().save(file);
            std::fprintf(stderr, "statedeck: %s %s%s\n", saved ? "saved" : "could not save", qPrintable(file),
                         ready ? "" : " (the view did not settle within 20 s)");
            delete elapsed;
            QApplication::exit(saved ? 0 : 1);
        });
        timer->start(150);
    }
    return QApplication::exec();
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("statedeck"));
    QApplication::setApplicationName(QStringLiteral("statedeck"));
    QApplication::setApplicationVersion(QStringLiteral(STATEDECK_VERSION));
    QApplication::setApplicationDisplayName(QStringLiteral("statedeck"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate(
        "main", "The statedeck desktop console: browse, edit and watch application state."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        QStringLiteral("store"),
        QApplication::translate("main", "A connection name, store URL or path to open (default: the last one, the "
                                        "current connection, or the embedded store)."),
        QStringLiteral("[store]"));
    const QCommandLineOption theme(QStringLiteral("theme"),
                                   QApplication::translate("main", "light, dark, or a theme file (default: follow the "
                                                                   "system)."),
                                   QStringLiteral("name"));
    const QCommandLineOption noSettings(QStringLiteral("no-settings"),
                                        QApplication::translate("main", "Neither read nor write saved window state."));
    const QCommandLineOption select(QStringLiteral("select"),
                                    QApplication::translate("main", "Select and open this key once it is listed."),
                                    QStringLiteral("key"));
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QApplication::translate("main", "Save a picture of the window to this PNG once it has settled, then quit."),
        QStringLiteral("file"));
    const QCommandLineOption wait(QStringLiteral("wait"),
                                  QApplication::translate("main", "With --screenshot: take it no sooner than this "
                                                                  "many milliseconds after start."),
                                  QStringLiteral("ms"), QStringLiteral("0"));
    const QCommandLineOption size(QStringLiteral("size"),
                                  QApplication::translate("main", "Window size, WIDTHxHEIGHT."),
                                  QStringLiteral("size"));
    const QCommandLineOption readOnly(QStringLiteral("read-only"),
                                      QApplication::translate("main", "Open every store read-only: writes are refused."));
    const QCommandLineOption run(QStringLiteral("run"),
                                 QApplication::translate("main", "Run an action of the table once the connection is "
                                                                 "open (global.tasks shows the remediation view)."),
                                 QStringLiteral("id"));
    const QCommandLineOption machines(
        QStringLiteral("machines"),
        QApplication::translate("main", "Show the state-machine registry alone: \"redis://HOST:PORT/DB [kube] "
                                        "[ns=NAMESPACE] [prefix=PREFIX]\" (--select picks a machine)."),
        QStringLiteral("sources"));
    const QCommandLineOption keys(QStringLiteral("keys"),
                                  QApplication::translate("main", "Shortcuts from FILE (its gui: section) instead of "
                                                                  "keys.yaml in the configuration folder."),
                                  QStringLiteral("file"));
    const QCommandLineOption transferTarget(
        QStringLiteral("transfer-target"),
        QApplication::translate("main", "With --run global.migrate or global.verify: the other store, and start "
                                        "(a migration as a dry run)."),
        QStringLiteral("store"));
    const QCommandLineOption benchReport(
        QStringLiteral("bench-report"),
        QApplication::translate("main", "Write start-up, listing and stall figures to FILE (bench/gui.sh)."),
        QStringLiteral("file"));
    parser.addOptions(
        {theme, noSettings, select, screenshot, wait, size, readOnly, machines, run, keys, transferTarget, benchReport});
    parser.process(app);
    if (parser.isSet(machines))
        return runRegistry(parser.value(machines), parser.value(theme), parser.value(select), parser.value(screenshot),
                           parser.value(size));

    // A file named on the command line must load; the default one, when it
    // is broken, is reported in the window and the table's keys are used.
    const bool keysNamed = parser.isSet(keys);
    auto bindings = console::KeyBindings::load(keysNamed ? parser.value(keys) : console::KeyBindings::defaultPath(),
                                               keysNamed);
    if (!bindings.ok() && keysNamed) {
        std::fprintf(stderr, "statedeck: error: %s\n", qPrintable(bindings.error().toString()));
        return 2;
    }
    MainWindow::Options options;
    if (bindings.ok())
        options.keys = std::move(bindings).value();
    options.theme = parser.value(theme);
    options.readOnly = parser.isSet(readOnly);
    options.useSettings = !parser.isSet(noSettings) && !parser.isSet(screenshot);
    MainWindow window(options);
    if (parser.isSet(benchReport))
        new BenchReport(&window, parser.value(benchReport)); // owned by the window
    if (parser.isSet(size)) {
        const QStringList wh = parser.value(size).split(QLatin1Char('x'));
        if (wh.size() == 2)
            window.resize(wh.at(0).toInt(), wh.at(1).toInt());
    }
    // SIGTERM (a session ending, a script) and Ctrl-C in the terminal that
    // started it close the window as Ctrl+Q does: settings saved, an unsaved
    // edit asked about, jobs stopped at a safe point. A second one ends it.
    // Installed before the window shows: whoever sees the window may send
    // SIGTERM at once (the smoke test does; under the sanitizers opening the
    // store took long enough for it to land before the handler and kill).
    Interrupts interrupts([&window] { window.close(); });
    window.show();
    if (!bindings.ok())
        window.notifications()->post(console::Tone::Error,
                                     QApplication::translate("main", "keys.yaml is not used: %1")
                                         .arg(bindings.error().toString()));

    const QStringList args = parser.positionalArguments();
    if (!args.isEmpty())
        window.openStore(args.first());
    else
        window.openStartupConnection();

    if (parser.isSet(select) && !parser.isSet(screenshot)) {
        // Select the key as soon as its page is listed.
        auto *poll = new QTimer(&window);
        QObject::connect(poll, &QTimer::timeout, &window, [&window, poll, key = parser.value(select)] {
            if (ConsolePane *pane = window.currentPane(); pane && pane->keyBrowser()->selectKey(key))
                poll->stop();
        });
        poll->start(100);
        QTimer::singleShot(20000, poll, &QTimer::stop);
    }
    if (parser.isSet(run)) {
        const QString id = parser.value(run);
        if (!console::Actions::find(id)) {
            std::fprintf(stderr, "statedeck: --run %s: no such action (F1 lists them)\n", qPrintable(id));
            return 2;
        }
        window.run(id);
        ConsolePane *pane = window.currentPane();
        if (parser.isSet(transferTarget) && pane)
            for (TransferDialog *d : pane->findChildren<TransferDialog *>())
                if (d->storeBox()) {
                    d->storeBox()->setCurrentText(parser.value(transferTarget));
                    d->dryRunButton() ? d->startDryRun() : d->start();
                }
    }
    if (parser.isSet(screenshot))
        scheduleScreenshot(&window, parser.value(screenshot), parser.value(select), parser.value(wait).toInt());
    return app.exec();
}
