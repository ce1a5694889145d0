#include "MainWindow.h"

#include "CommandPalette.h"
#include "ConnectionDialog.h"
#include "Dialogs.h"
#include "ConnectionsSidebar.h"
#include "ConsolePane.h"
#include "EntryPanel.h"
#include "EventsPanel.h"
#include "FreshnessBanner.h"
#include "KeyBrowser.h"
#include "NotificationArea.h"
#include "RegistryView.h"
#include "TasksView.h"
#include "TransferDialog.h"
#include "Theme.h"
#include "console/ConnectionEditor.h"
#include "console/DemoData.h"
#include "console/EventLog.h"
#include "console/KeyModel.h"
#include "console/Session.h"
#include "console/RegistrySession.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QInputDialog>
#include <QPointer>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyleFactory>
#include <QTableView>
#include <QTreeView>

namespace sd::widgets {

using console::Action;
using console::Actions;
using console::Tone;

namespace {

// Where the actions of the table go in the menu bar. Global actions are
// spread over File, Go and Help; every other view has its own menu, so an
// action added to the table appears without touching this file.
QString fileMenu() { return MainWindow::tr("&File"); }
QString goMenu() { return MainWindow::tr("&Go"); }
QString helpMenu() { return MainWindow::tr("&Help"); }

QString menuForGlobal(const QString &id)
{
    static const QStringList file = {QStringLiteral("global.contexts"), QStringLiteral("global.refresh"),
                                     QStringLiteral("global.import"),   QStringLiteral("global.export"),
                                     QStringLiteral("global.migrate"),  QStringLiteral("global.verify"),
                                     QStringLiteral("global.quit")};
    static const QStringList help = {QStringLiteral("global.help"), QStringLiteral("global.command")};
    if (file.contains(id))
        return fileMenu();
    if (help.contains(id))
        return helpMenu();
    return goMenu();
}

QString menuForView(const QString &view)
{
    if (view == QLatin1String("keys"))
        return MainWindow::tr("&Keys");
    if (view == QLatin1String("entry"))
        return MainWindow::tr("&Entry");
    if (view == QLatin1String("events"))
        return MainWindow::tr("E&vents");
    if (view == QLatin1String("history"))
        return MainWindow::tr("Histor&y");
    if (view == QLatin1String("tasks"))
        return MainWindow::tr("&Tasks");
    if (view == QLatin1String("jobs"))
        return MainWindow::tr("&Jobs");
    QString title = view;
    if (!title.isEmpty())
        title[0] = title[0].toUpper();
    return title;
}

} // namespace

MainWindow::MainWindow() : MainWindow(Options{}) {}

MainWindow::MainWindow(const Options &options, QWidget *parent)
    : QMainWindow(parent), m_options(options), m_theme(new Theme(this)), m_systemPalette(QApplication::palette())
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(QStringLiteral("statedeck"));
    resize(1280, 800);

    // What the desktop console does not offer yet, and where to go instead.
    // Each comes out of this list when its view is built (issue 13).
    m_notBuilt = {
        {QStringLiteral("history.restore"), tr("open a key's history first (Ctrl+H); it restores from there")},
    };

    m_stack = new QStackedWidget(this);
    m_welcome = new QLabel(tr("<h2>statedeck</h2><p>Open a connection from the sidebar (Ctrl+K), or a store by URL "
                              "(File → Open store…).</p><p>F1 lists every key; Ctrl+K finds any action.</p>"),
                           m_stack);
    m_welcome->setAlignment(Qt::AlignCenter);
    m_welcome->setObjectName(QStringLiteral("welcome"));
    m_stack->addWidget(m_welcome);
    setCentralWidget(m_stack);

    m_sidebar = new ConnectionsSidebar(m_theme, this);
    m_sidebarDock = new QDockWidget(tr("Connections"), this);
    m_sidebarDock->setObjectName(QStringLiteral("connectionsDock"));
    m_sidebarDock->setWidget(m_sidebar);
    m_sidebarDock->setTitleBarWidget(new QWidget(m_sidebarDock)); // the sidebar has its own title
    m_sidebarDock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
    addDockWidget(Qt::LeftDockWidgetArea, m_sidebarDock);
    resizeDocks({m_sidebarDock}, {230}, Qt::Horizontal);
    connect(m_sidebar, &ConnectionsSidebar::openRequested, this, &MainWindow::openConnection);
    connect(m_sidebar, &ConnectionsSidebar::reloadRequested, this, &MainWindow::reloadCatalog);
    connect(m_sidebar, &ConnectionsSidebar::addRequested, this, [this] { editConnection(); });
    connect(m_sidebar, &ConnectionsSidebar::editRequested, this, &MainWindow::editConnection);
    connect(m_sidebar, &ConnectionsSidebar::removeRequested, this, &MainWindow::removeConnection);

    m_events = new EventsPanel(m_theme, this);
    m_eventsDock = new QDockWidget(tr("Live events"), this);
    m_eventsDock->setObjectName(QStringLiteral("eventsDock"));
    m_eventsDock->setWidget(m_events);
    addDockWidget(Qt::BottomDockWidgetArea, m_eventsDock);
    resizeDocks({m_eventsDock}, {140}, Qt::Vertical);
    connect(m_events, &EventsPanel::changed, this, &MainWindow::updateActions);

    m_notifications = new NotificationArea(m_theme, this);
    m_freshness = new QLabel(this);
    m_freshness->setObjectName(QStringLiteral("freshnessIndicator"));
    m_freshness->setContentsMargins(6, 1, 6, 1);
    statusBar()->addWidget(m_notifications, 1);
    statusBar()->addPermanentWidget(m_freshness);

    buildHandlers();
    buildActions();
    buildMenus();

    QString theme = options.theme;
    if (theme.isEmpty() && options.useSettings)
        theme = QSettings().value(QStringLiteral("theme")).toString();
    setTheme(theme);
    connect(m_theme, &Theme::changed, this, &MainWindow::updateFreshnessIndicator);

    reloadCatalog();
    if (options.useSettings) {
        QSettings s;
        restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
        restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    }
    updateActions();
}

MainWindow::~MainWindow()
{
    // Panes own their sessions; they go before the docks that show their models.
    m_events->setLog(nullptr);
    for (ConsolePane *p : panes())
        delete p;
}

void MainWindow::buildHandlers()
{
    // What each action of the table does here. The pane is the current one;
    // whyNot() has made sure there is one where an action needs it.
    const auto entryResolve = [](ConflictDialog::Choice c) {
        return [c](ConsolePane *p) { p->entryPanel()->resolve(int(c)); };
    };
    const auto focusKeys = [](ConsolePane *p) {
        p->showKeys();
        p->keyBrowser()->view()->setFocus();
    };
    // The remediation view's actions, on the task selected there.
    const auto onTasks = [](void (TasksView::*what)()) {
        return [what](ConsolePane *p) {
            // From the key browser, the shortcut first shows the tasks.
            const bool shown = p->tasksShown();
            TasksView *v = p->showTasks();
            if (shown || what == &TasksView::cleanup)
                (v->*what)();
        };
    };
    const auto reveal = [](ConsolePane *p) { p->entryPanel()->toggleReveal(); };
    const auto transfer = [this](TransferDialog::Kind kind) {
        return [this, kind](ConsolePane *p) {
            QStringList stores;
            for (const console::ConnectionItem &c : m_catalog.items())
                if (c.kind == console::ConnectionItem::Kind::Connection && c.error.isEmpty() && c.name != p->session()->name())
                    stores << c.name;
            p->showTransfer(int(kind), stores);
        };
    };
    const auto history = [](bool previous) {
        return [previous](ConsolePane *p) { p->showHistory(p->selection().key, previous); };
    };
    m_handlers = {
        {QStringLiteral("global.help"), [this](ConsolePane *) { showCheatSheet(); }},
        {QStringLiteral("global.command"), [this](ConsolePane *) { showCommandPalette(); }},
        {QStringLiteral("global.quit"), [this](ConsolePane *) { close(); }},
        {QStringLiteral("global.refresh"), [](ConsolePane *p) { p->refresh(); }},
        {QStringLiteral("global.contexts"),
         [this](ConsolePane *) {
             m_sidebarDock->show();
             m_sidebar->view()->setFocus();
         }},
        {QStringLiteral("global.keys"), focusKeys},
        {QStringLiteral("global.back"), focusKeys},
        {QStringLiteral("global.events"),
         [this](ConsolePane *) {
             m_eventsDock->show();
             m_events->view()->setFocus();
         }},
        {QStringLiteral("keys.open"), [](ConsolePane *p) { p->keyBrowser()->openCurrent(); }},
        {QStringLiteral("keys.filter"), [](ConsolePane *p) { p->keyBrowser()->focusFilter(); }},
        {QStringLiteral("keys.edit"), [](ConsolePane *p) { p->entryPanel()->focusEditor(); }},
        {QStringLiteral("keys.new"), [](ConsolePane *p) { p->newKey(); }},
        {QStringLiteral("keys.delete"), [](ConsolePane *p) { p->entryPanel()->requestDelete(p->production()); }},
        {QStringLiteral("keys.copy"), [](ConsolePane *p) { p->copyValue(); }},
        {QStringLiteral("keys.copyKey"), [](ConsolePane *p) { p->keyBrowser()->copyKey(); }},
        {QStringLiteral("keys.reveal"), reveal},
        {QStringLiteral("global.export"), transfer(TransferDialog::Kind::Export)},
        {QStringLiteral("global.import"), transfer(TransferDialog::Kind::Import)},
        {QStringLiteral("global.migrate"), transfer(TransferDialog::Kind::Migrate)},
        {QStringLiteral("global.verify"), transfer(TransferDialog::Kind::Verify)},
        {QStringLiteral("jobs.cancel"),
         [this](ConsolePane *) {
             for (ConsolePane *p : panes())
                 for (TransferDialog *d : p->runningTransfers())
                     d->cancelJob();
         }},
        {QStringLiteral("keys.history"), history(false)},
        {QStringLiteral("keys.diff"), history(true)},
        {QStringLiteral("entry.history"), history(false)},
        {QStringLiteral("entry.diff"), history(true)},
        {QStringLiteral("keys.tree"), [](ConsolePane *p) { p->keyBrowser()->toggleTreeMode(); }},
        {QStringLiteral("keys.stop"), [](ConsolePane *p) { p->keyBrowser()->stopListing(); }},
        {QStringLiteral("keys.more"), [](ConsolePane *p) { p->keyBrowser()->listAll(); }},
        {QStringLiteral("entry.save"), [](ConsolePane *p) { p->entryPanel()->requestSave(); }},
        {QStringLiteral("entry.format"), [](ConsolePane *p) { p->entryPanel()->toggleFormat(); }},
        {QStringLiteral("entry.reveal"), reveal},
        {QStringLiteral("entry.theirs"), entryResolve(ConflictDialog::Choice::TakeTheirs)},
        {QStringLiteral("entry.mine"), entryResolve(ConflictDialog::Choice::KeepMine)},
        {QStringLiteral("entry.merge"), entryResolve(ConflictDialog::Choice::Merge)},
        {QStringLiteral("global.tasks"),
         [this](ConsolePane *p) {
             const bool first = !p->tasksView();
             TasksView *v = p->showTasks();
             if (first)
                 for (const Action &a : Actions::all())
                     if (a.view == QLatin1String("tasks"))
                         v->addAction(m_actions.value(a.id));
         }},
        {QStringLiteral("tasks.open"), [](ConsolePane *p) { p->showTasks()->feedbackTable()->setFocus(); }},
        {QStringLiteral("tasks.create"), onTasks(&TasksView::createTask)},
        {QStringLiteral("tasks.filter"), onTasks(&TasksView::focusFilter)},
        {QStringLiteral("tasks.increment"), onTasks(&TasksView::increment)},
        {QStringLiteral("tasks.feedback"), onTasks(&TasksView::addFeedback)},
        {QStringLiteral("tasks.resolve"), onTasks(&TasksView::resolveFeedback)},
        {QStringLiteral("tasks.status"), onTasks(&TasksView::setStatus)},
        {QStringLiteral("tasks.recover"), onTasks(&TasksView::recover)},
        {QStringLiteral("tasks.cleanup"), onTasks(&TasksView::cleanup)},
        {QStringLiteral("events.pause"), [this](ConsolePane *) { m_events->togglePause(); }},
        {QStringLiteral("events.clear"), [this](ConsolePane *) { m_events->clear(); }},
        {QStringLiteral("events.filter"), [this](ConsolePane *) { m_events->focusFilter(); }},
        {QStringLiteral("global.machines"), [this](ConsolePane *p) { openRegistry(p); }},
        {QStringLiteral("global.namespace"), [this](ConsolePane *p) { askNamespace(p); }},
        {QStringLiteral("global.configmaps"),
         [this](ConsolePane *p) { openKubeVariant(p, QStringLiteral("resource"), QStringLiteral("configmaps")); }},
        {QStringLiteral("global.secrets"),
         [this](ConsolePane *p) { openKubeVariant(p, QStringLiteral("resource"), QStringLiteral("secrets")); }},
    };
}

void MainWindow::buildActions()
{
    for (const Action &a : Actions::all()) {
        auto *qa = new QAction(a.label, this);
        qa->setObjectName(a.id);
        qa->setData(a.id);
        qa->setStatusTip(a.help);
        if (const QString key = m_options.keys.guiShortcut(a); !key.isEmpty())
            qa->setShortcut(QKeySequence(key));
        // Global actions work anywhere in the window, and so do the jobs
        // ones (jobs.cancel, while a job runs: Actions::liveTogether); a
        // view's actions only while the focus is in that view (the window
        // adds them to it), so Ctrl+F filters keys in the key list and
        // events in the events dock.
        const bool windowWide = a.view == QLatin1String("global") || a.view == QLatin1String("jobs");
        qa->setShortcutContext(windowWide ? Qt::WindowShortcut : Qt::WidgetWithChildrenShortcut);
        const QString id = a.id;
        connect(qa, &QAction::triggered, this, [this, id] { run(id); });
        m_actions.insert(a.id, qa);
        if (windowWide)
            addAction(qa);
        else if (a.view == QLatin1String("events"))
            m_events->addAction(qa);
    }
}

void MainWindow::buildMenus()
{
    QHash<QString, QMenu *> menus;
    auto menu = [&](const QString &title) {
        QMenu *&m = menus[title];
        if (!m) {
            m = menuBar()->addMenu(title);
            m->setToolTipsVisible(true);
        }
        return m;
    };
    // Fixed order of the menu bar.
    menu(fileMenu());
    menu(goMenu());
    for (const char *view : {"keys", "entry", "events", "history", "tasks", "jobs"})
        menu(menuForView(QLatin1String(view)));
    QMenu *view = menuBar()->addMenu(tr("&View"));
    menu(helpMenu());

    QMenu *file = menu(fileMenu());
    auto *openStore = new QAction(tr("Open store…"), this);
    openStore->setObjectName(QStringLiteral("openStore"));
    openStore->setShortcut(QKeySequence::Open);
    openStore->setStatusTip(tr("Open a store by URL or path (sqlite:///…, redis://…, k8s://…) or a connection name."));
    connect(openStore, &QAction::triggered, this, &MainWindow::openStoreDialog);
    auto *closeConnection = new QAction(tr("Close connection"), this);
    closeConnection->setObjectName(QStringLiteral("closeConnection"));
    closeConnection->setShortcut(QKeySequence::Close);
    connect(closeConnection, &QAction::triggered, this, &MainWindow::closeCurrentConnection);
    file->addAction(openStore);
    file->addAction(closeConnection);
    file->addSeparator();

    QString lastMenu;
    for (const Action &a : Actions::all()) {
        const QString title = a.view == QLatin1String("global") ? menuForGlobal(a.id) : menuForView(a.view);
        QMenu *m = menu(title);
        if (a.id == QLatin1String("global.quit") || a.id == QLatin1String("global.import"))
            m->addSeparator();
        m->addAction(m_actions.value(a.id));
    }

    // View: docks and themes.
    view->setToolTipsVisible(true);
    QAction *sidebar = m_sidebarDock->toggleViewAction();
    sidebar->setText(tr("Connections sidebar"));
    view->addAction(sidebar);
    QAction *events = m_eventsDock->toggleViewAction();
    events->setText(tr("Live events"));
    view->addAction(events);
    view->addSeparator();
    QMenu *themes = view->addMenu(tr("Theme"));
    auto *group = new QActionGroup(this);
    const QList<QPair<QString, QString>> choices = {
        {QString(), tr("Follow the system")}, {QStringLiteral("light"), tr("Light")}, {QStringLiteral("dark"), tr("Dark")}};
    for (const auto &[name, label] : choices) {
        QAction *a = themes->addAction(label);
        a->setCheckable(true);
        a->setData(name);
        group->addAction(a);
        m_themeActions << a;
        connect(a, &QAction::triggered, this, [this, name = name] {
            setTheme(name);
            if (m_options.useSettings)
                QSettings().setValue(QStringLiteral("theme"), name);
        });
    }

    QMenu *help = menu(helpMenu());
    help->addSeparator();
    auto *about = help->addAction(tr("About statedeck"));
    about->setObjectName(QStringLiteral("about"));
    connect(about, &QAction::triggered, this, &MainWindow::showAbout);
}

QList<QAction *> MainWindow::tableActions() const
{
    QList<QAction *> out;
    for (const Action &a : Actions::all())
        out << m_actions.value(a.id);
    return out;
}

bool MainWindow::setTheme(const QString &nameOrPath)
{
    const QString name = nameOrPath.isEmpty() ? Theme::matching(m_systemPalette) : nameOrPath;
    QString error;
    if (!m_theme->load(name, &error)) {
        m_notifications->post(Tone::Error, error);
        return false;
    }
    // Fusion draws every palette role the theme sets, on every platform.
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QApplication::setPalette(m_theme->palette());
    for (QAction *a : std::as_const(m_themeActions))
        a->setChecked(a->data().toString() == nameOrPath);
    return true;
}

void MainWindow::reloadCatalog()
{
    m_catalog = console::ConnectionCatalog::load(m_options.sources);
    m_sidebar->setCatalog(m_catalog);
    for (const QString &e : m_catalog.errors())
        m_notifications->post(Tone::Error, e);
    for (ConsolePane *p : panes()) {
        if (!m_catalog.find(p->id()))
            m_sidebar->addOpened(p->id(), p->session()->name(), p->session()->describe());
        onPaneChanged(p);
    }
    if (ConsolePane *p = currentPane())
        m_sidebar->setCurrent(p->id());
}

void MainWindow::editConnection(const QString &editing)
{
    auto editor = console::ConnectionEditor::load(m_catalog.connectionsPath());
    if (!editor.ok()) {
        m_notifications->post(Tone::Error, tr("Cannot edit connections: %1").arg(editor.error().toString()));
        return;
    }
    auto *dialog = new ConnectionDialog(std::move(editor).value(), editing, m_theme, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ConnectionDialog::saved, this, [this, editing](const QString &name) {
        reloadCatalog();
        m_sidebar->setCurrent(QStringLiteral("connection:") + name);
        m_notifications->post(Tone::Good, editing.isEmpty() ? tr("Connection %1 added to %2").arg(name, m_catalog.connectionsPath())
                                                            : tr("Connection %1 saved in %2").arg(name, m_catalog.connectionsPath()));
    });
    dialog->open();
}

void MainWindow::removeConnection(const QString &name)
{
    const console::ConnectionItem *item = m_catalog.find(QStringLiteral("connection:") + name);
    console::Action remove;
    remove.label = tr("Remove connection");
    remove.destructive = true;
    auto *ask = new ConfirmDialog(
        remove, item && item->production ? console::Confirmation::TypeKeyName : console::Confirmation::YesNo, name,
        tr("It is removed from %1, whose comments and other connections stay as they are. The store and its data "
           "are not touched; a pane open on it stays open.")
            .arg(m_catalog.connectionsPath()),
        this);
    ask->setAttribute(Qt::WA_DeleteOnClose);
    connect(ask, &QDialog::accepted, this, [this, name] {
        auto editor = console::ConnectionEditor::load(m_catalog.connectionsPath());
        const Status s = editor.ok() ? editor->remove(name) : Status(editor.error());
        if (!s.ok()) {
            m_notifications->post(Tone::Error, tr("Connection %1 not removed: %2").arg(name, s.error().toString()));
            return;
        }
        reloadCatalog();
        m_notifications->post(Tone::Good, tr("Connection %1 removed from %2").arg(name, m_catalog.connectionsPath()));
    });
    ask->open();
}

void MainWindow::askNamespace(ConsolePane *from)
{
    auto *ask = new QInputDialog(this);
    ask->setObjectName(QStringLiteral("namespaceDialog"));
    ask->setAttribute(Qt::WA_DeleteOnClose);
    ask->setWindowTitle(tr("Namespace"));
    ask->setLabelText(tr("Namespace to browse with %1's context:").arg(from->session()->name()));
    ask->setTextValue(from->session()->spec().options.value(QStringLiteral("namespace")).toString());
    QPointer<ConsolePane> pane(from);
    connect(ask, &QInputDialog::textValueSelected, this, [this, pane](const QString &ns) {
        if (pane)
            openKubeVariant(pane, QStringLiteral("namespace"), ns.trimmed());
    });
    ask->open();
}

bool MainWindow::openKubeVariant(ConsolePane *from, const QString &option, const QString &value)
{
    const QVariantMap &now = from->session()->spec().options;
    const QString current =
        now.value(option, option == QLatin1String("resource") ? QStringLiteral("configmaps") : QString()).toString();
    if (current == value && !now.contains(QStringLiteral("secretName"))) {
        showPane(from); // already there
        return true;
    }
    auto session = from->session()->reopenedWith(option, value);
    if (!session.ok()) {
        m_notifications->post(Tone::Error, session.error().message, session.error().toString());
        return false;
    }
    const QVariantMap &opened = session.value()->spec().options;
    const QString where = QStringLiteral("%1/%2").arg(opened.value(QStringLiteral("namespace")).toString(),
                                                      opened.value(QStringLiteral("resource")).toString());
    const QString id = QStringLiteral("kube:%1:%2").arg(from->session()->name(), where);
    for (ConsolePane *p : panes()) {
        if (p->id() == id) {
            showPane(p);
            return true;
        }
    }
    const QString name = QStringLiteral("%1 %2").arg(from->session()->name(), where);
    m_sidebar->addOpened(id, name, session.value()->describe());
    auto *pane = new ConsolePane(std::move(session).value(), id, m_theme, m_stack);
    pane->setMarkers(from->production(), from->colour());
    addPane(pane);
    return true;
}

ConsolePane *MainWindow::currentPane() const
{
    return qobject_cast<ConsolePane *>(m_stack->currentWidget());
}

QList<ConsolePane *> MainWindow::panes() const
{
    QList<ConsolePane *> out;
    for (int i = 0; i < m_stack->count(); ++i)
        if (auto *p = qobject_cast<ConsolePane *>(m_stack->widget(i)))
            out << p;
    return out;
}

bool MainWindow::openConnection(const QString &id)
{
    for (ConsolePane *p : panes()) {
        if (p->id() == id) {
            showPane(p);
            return true;
        }
    }
    const console::ConnectionItem *item = m_catalog.find(id);
    if (!item) {
        m_notifications->post(Tone::Error, tr("No connection %1 (reload the sidebar?)").arg(id));
        return false;
    }
    auto session = m_catalog.open(*item);
    if (!session.ok()) {
        m_notifications->post(Tone::Error, tr("Cannot open %1: %2").arg(item->name, session.error().message),
                              session.error().toString());
        return false;
    }
    auto *pane = new ConsolePane(std::move(session).value(), id, m_theme, m_stack);
    pane->setMarkers(item->production, item->color);
    addPane(pane);
    return true;
}

bool MainWindow::openStore(const QString &storeOrConnection)
{
    const QString text = storeOrConnection.trimmed();
    if (m_catalog.find(QStringLiteral("connection:") + text))
        return openConnection(QStringLiteral("connection:") + text);
    const QString id = QStringLiteral("store:") + text;
    for (ConsolePane *p : panes()) {
        if (p->id() == id) {
            showPane(p);
            return true;
        }
    }
    console::SessionOptions sessionOptions;
    sessionOptions.readOnly = m_options.readOnly;
    auto session = console::Session::open(text, sessionOptions);
    if (!session.ok()) {
        m_notifications->post(Tone::Error, tr("Cannot open %1: %2").arg(text, session.error().message),
                              session.error().toString());
        return false;
    }
    m_sidebar->addOpened(id, session.value()->name(), session.value()->describe());
    addPane(new ConsolePane(std::move(session).value(), id, m_theme, m_stack));
    return true;
}

bool MainWindow::openSpec(const StoreSpec &spec, const QString &name)
{
    const QString id = QStringLiteral("spec:") + name;
    console::SessionOptions sessionOptions;
    sessionOptions.readOnly = m_options.readOnly;
    auto session = console::Session::open(spec, name, sessionOptions);
    if (!session.ok()) {
        m_notifications->post(Tone::Error, tr("Cannot open %1: %2").arg(name, session.error().message),
                              session.error().toString());
        return false;
    }
    m_sidebar->addOpened(id, name, session.value()->describe());
    addPane(new ConsolePane(std::move(session).value(), id, m_theme, m_stack));
    return true;
}

void MainWindow::openStartupConnection()
{
    if (m_options.useSettings) {
        const QString last = QSettings().value(QStringLiteral("connection/last")).toString();
        if (!last.isEmpty() && m_catalog.find(last) && openConnection(last))
            return;
    }
    for (const console::ConnectionItem &c : m_catalog.items())
        if (c.kind == console::ConnectionItem::Kind::Connection && c.current && openConnection(c.id()))
            return;
    if (openConnection(QStringLiteral("embedded")))
        offerDemoWhenEmpty(currentPane());
}

void MainWindow::offerDemoWhenEmpty(ConsolePane *pane)
{
    // Only to a first-time user: an empty default store, no demo yet, and
    // not declined before.
    if (!pane || console::DemoData::exists(m_catalog.demoDirectory())
        || (m_options.useSettings && QSettings().value(QStringLiteral("demo/declined")).toBool()))
        return;
    const console::KeyModel *keys = pane->keyBrowser()->keyModel();
    auto check = std::make_shared<QMetaObject::Connection>();
    *check = connect(keys, &console::KeyModel::listingChanged, this, [this, keys, check] {
        if (!keys->listingComplete())
            return;
        disconnect(*check);
        if (keys->loadedCount() == 0)
            askForDemo();
    });
}

QMessageBox *MainWindow::askForDemo()
{
    auto *ask = new QMessageBox(QMessageBox::Question, tr("Demo data"),
                                tr("<p>The embedded store is empty.</p><p>Make demo data to look around? It goes into "
                                   "two connections of its own, <b>demo</b> (keys, remediation tasks with feedback, a "
                                   "key with history) and <b>demo-state</b> (a k0rdent-style YAML state folder), in "
                                   "<code>%1</code>. Your default store is not touched.</p>")
                                    .arg(QDir::toNativeSeparators(m_catalog.demoDirectory()).toHtmlEscaped()),
                                QMessageBox::NoButton, this);
    ask->setObjectName(QStringLiteral("demoOffer"));
    ask->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *yes = ask->addButton(tr("Make demo data"), QMessageBox::AcceptRole);
    yes->setObjectName(QStringLiteral("makeDemo"));
    ask->addButton(tr("Not now"), QMessageBox::RejectRole);
    ask->addButton(tr("Never ask again"), QMessageBox::DestructiveRole)->setObjectName(QStringLiteral("neverDemo"));
    connect(ask, &QMessageBox::buttonClicked, this, [this, yes](QAbstractButton *b) {
        if (b == yes)
            return makeDemo();
        if (b->objectName() == QLatin1String("neverDemo") && m_options.useSettings)
            QSettings().setValue(QStringLiteral("demo/declined"), true);
    });
    ask->open();
    return ask;
}

void MainWindow::makeDemo()
{
    m_notifications->post(Tone::Muted, tr("Making demo data…"));
    console::DemoData::create(m_catalog.demoDirectory()).then(this, [this](Status s) {
        if (!s.ok())
            return m_notifications->post(Tone::Error, s.error().message, s.error().toString());
        reloadCatalog();
        m_notifications->post(Tone::Good, tr("Demo data made: the demo, demo-state and demo-secrets connections"));
        openConnection(QStringLiteral("demo:demo"));
    });
}

void MainWindow::addPane(ConsolePane *pane)
{
    m_stack->addWidget(pane);
    for (const Action &a : Actions::all()) {
        if (a.view == QLatin1String("keys"))
            pane->keyBrowser()->addAction(m_actions.value(a.id));
        else if (a.view == QLatin1String("entry"))
            pane->entryPanel()->addAction(m_actions.value(a.id));
    }
    if (m_options.useSettings) {
        QSettings s;
        pane->keyBrowser()->restoreHeaderState(s.value(QStringLiteral("keys/header")).toByteArray());
        pane->splitter()->restoreState(s.value(QStringLiteral("pane/splitter")).toByteArray());
    }
    connect(pane, &ConsolePane::notify, m_notifications, &NotificationArea::post);
    connect(pane, &ConsolePane::changed, this, [this, pane] { onPaneChanged(pane); });
    showPane(pane);
    onPaneChanged(pane);
    pane->keyBrowser()->view()->setFocus();
}

void MainWindow::showPane(ConsolePane *pane)
{
    m_stack->setCurrentWidget(pane);
    m_events->setLog(pane->eventLog());
    m_sidebar->setCurrent(pane->id());
    setWindowTitle(tr("%1 — statedeck").arg(pane->session()->name()));
    if (m_options.useSettings && m_catalog.find(pane->id()))
        QSettings().setValue(QStringLiteral("connection/last"), pane->id());
    updateFreshnessIndicator();
    updateActions();
}

void MainWindow::closeCurrentConnection()
{
    ConsolePane *pane = currentPane();
    if (!pane)
        return;
    if (pane->entryPanel()->hasUnsavedEdit()) {
        m_notifications->post(Tone::Warning, tr("%1 has an unsaved edit: save or revert it before closing %2.")
                                                 .arg(pane->entryPanel()->key(), pane->session()->name()));
        return;
    }
    m_sidebar->setOpenState(pane->id(), Tone::Normal, QString(), false);
    if (m_events->log() == pane->eventLog())
        m_events->setLog(nullptr);
    delete pane;
    if (ConsolePane *next = currentPane())
        showPane(next);
    else {
        m_stack->setCurrentWidget(m_welcome);
        setWindowTitle(QStringLiteral("statedeck"));
        updateFreshnessIndicator();
        updateActions();
    }
}

void MainWindow::onPaneChanged(ConsolePane *pane)
{
    const console::FreshnessState &f = pane->session()->freshness();
    m_sidebar->setOpenState(pane->id(), f.tone(), console::freshnessName(f.state), pane->session()->readOnly());
    if (pane == currentPane()) {
        updateFreshnessIndicator();
        updateActions();
    }
}

void MainWindow::updateFreshnessIndicator()
{
    ConsolePane *pane = currentPane();
    if (!pane) {
        m_freshness->clear();
        m_freshness->setStyleSheet(QString());
        return;
    }
    const console::FreshnessState &f = pane->session()->freshness();
    m_freshness->setText(QStringLiteral("● ") + console::freshnessName(f.state));
    m_freshness->setToolTip(f.text(QDateTime::currentDateTimeUtc()));
    m_freshness->setStyleSheet(m_theme->styleSheetFor(f.tone()) + QStringLiteral("border-radius: 3px;"));
}

std::optional<QString> MainWindow::whyNot(const Action &action) const
{
    if (!m_handlers.contains(action.id))
        return m_notBuilt.value(action.id, tr("not built in the desktop console yet"));
    ConsolePane *pane = currentPane();
    const bool needsConnection = action.view != QLatin1String("global") || action.id == QLatin1String("global.refresh")
                                 || action.id == QLatin1String("global.keys")
                                 || action.id == QLatin1String("global.events")
                                 || action.id == QLatin1String("global.back")
                                 || action.id == QLatin1String("global.import") || action.id == QLatin1String("global.export")
                                 || action.id == QLatin1String("global.migrate")
                                 || action.id == QLatin1String("global.verify")
                                 || action.id == QLatin1String("global.namespace")
                                 || action.id == QLatin1String("global.configmaps")
                                 || action.id == QLatin1String("global.secrets");
    if (needsConnection && !pane)
        return tr("open a connection first");
    if (action.id == QLatin1String("jobs.cancel")) {
        for (ConsolePane *p : panes())
            if (!p->runningTransfers().isEmpty())
                return std::nullopt;
        return tr("no job is running");
    }
    const console::Selection selection = pane ? pane->selection() : console::Selection{};
    if (auto why = Actions::whyNot(action, pane ? pane->session() : nullptr, selection))
        return why;
    if (pane)
        if (auto why = pane->entryPanel()->whyNot(action.id))
            return why;
    return std::nullopt;
}

void MainWindow::updateActions()
{
    for (const Action &a : Actions::all()) {
        QAction *qa = m_actions.value(a.id);
        const std::optional<QString> why = whyNot(a);
        qa->setEnabled(!why);
        qa->setToolTip(why ? *why : a.help);
    }
    if (ConsolePane *pane = currentPane()) {
        QAction *tree = m_actions.value(QStringLiteral("keys.tree"));
        tree->setText(pane->keyBrowser()->treeMode() ? tr("Show as a list") : tr("Show as a tree"));
        QAction *pause = m_actions.value(QStringLiteral("events.pause"));
        pause->setText(m_events->log() && m_events->log()->paused() ? tr("Resume") : Actions::find(QStringLiteral("events.pause"))->label);
    }
}

void MainWindow::run(const QString &id)
{
    const Action *a = Actions::find(id);
    if (!a)
        return;
    if (const auto why = whyNot(*a)) {
        m_notifications->post(Tone::Muted, tr("%1: %2").arg(a->label, *why));
        return;
    }
    if (const Handler handler = m_handlers.value(id))
        handler(currentPane());
    updateActions();
}

CommandPalette *MainWindow::showCommandPalette()
{
    if (!m_palette) {
        m_palette = new CommandPalette(this);
        m_palette->setAttribute(Qt::WA_DeleteOnClose);
        connect(m_palette, &CommandPalette::chosen, this, [this](const QString &id) {
            if (id.startsWith(QLatin1String("connect:")))
                openConnection(id.mid(8));
            else
                run(id);
        });
    }
    updateActions();
    QList<CommandPalette::Entry> entries;
    for (const Action &a : Actions::all()) {
        QAction *qa = m_actions.value(a.id);
        const QString where = a.view == QLatin1String("global") ? QString() : menuForView(a.view).remove(QLatin1Char('&'));
        entries.append({a.id, where.isEmpty() ? a.label : where + QStringLiteral(": ") + a.label,
                        qa->isEnabled() ? a.help : qa->toolTip(), qa->shortcut().toString(QKeySequence::NativeText),
                        qa->isEnabled()});
    }
    for (const console::ConnectionItem &c : m_catalog.items())
        entries.append({QStringLiteral("connect:") + c.id(), tr("Connect: %1").arg(c.name),
                        c.error.isEmpty() ? c.description : c.error, QString(), true});
    m_palette->setEntries(entries);
    m_palette->input()->clear();
    m_palette->show();
    m_palette->raise();
    m_palette->activateWindow();
    m_palette->input()->setFocus();
    return m_palette;
}

void MainWindow::showCheatSheet()
{
    updateActions();
    auto *sheet = new CheatSheet(tableActions(), this);
    sheet->setAttribute(Qt::WA_DeleteOnClose);
    sheet->show();
}

void MainWindow::openRegistry(ConsolePane *pane)
{
    // The open connection's Redis server or cluster, else $REDIS_URL.
    auto registry = console::RegistrySession::open(QString(), pane ? pane->session() : nullptr);
    if (!registry.ok()) {
        m_notifications->post(Tone::Warning, registry.error().toString());
        return;
    }
    auto *view = new RegistryView(std::move(registry).value(), m_theme);
    view->setAttribute(Qt::WA_DeleteOnClose);
    view->setWindowFlag(Qt::Window);
    view->resize(1200, 800);
    view->show();
}

void MainWindow::openStoreDialog()
{
    auto *ask = new QInputDialog(this);
    ask->setAttribute(Qt::WA_DeleteOnClose);
    ask->setWindowTitle(tr("Open store"));
    ask->setLabelText(tr("A store URL or path (sqlite:///path.db, redis://host:6379/0, etcd://host:2379,\n"
                         "k8s://CONTEXT/NAMESPACE/configmaps, yaml:///srv/state) or a connection name:"));
    ask->resize(560, ask->height());
    connect(ask, &QInputDialog::textValueSelected, this, [this](const QString &text) {
        if (!text.trimmed().isEmpty())
            openStore(text);
    });
    ask->open();
}

void MainWindow::showAbout()
{
    auto *box = new QMessageBox(QMessageBox::Information, tr("About statedeck"),
                                tr("<b>statedeck %1</b><p>An administration console for application state: "
                                   "Kubernetes ConfigMaps and Secrets, etcd, Redis, SQLite, JSON and YAML files.</p>"
                                   "<p>Qt %2</p>")
                                    .arg(QStringLiteral(STATEDECK_VERSION), QString::fromLatin1(qVersion())),
                                QMessageBox::Close, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    for (ConsolePane *p : panes()) {
        if (p->entryPanel()->hasUnsavedEdit()) {
            showPane(p);
            auto *box = new QMessageBox(QMessageBox::Question, tr("Unsaved edit"),
                                        tr("%1 has an unsaved edit. Quit and drop it?").arg(p->entryPanel()->key()),
                                        QMessageBox::NoButton, this);
            QPushButton *stay = box->addButton(tr("Keep editing"), QMessageBox::RejectRole);
            box->addButton(tr("Quit"), QMessageBox::DestructiveRole);
            box->setDefaultButton(stay);
            box->setAttribute(Qt::WA_DeleteOnClose);
            connect(box, &QMessageBox::finished, this, [this, box, stay] {
                if (box->clickedButton() != stay) {
                    for (ConsolePane *pane : panes())
                        delete pane; // nothing is asked twice
                    close();
                }
            });
            box->open();
            event->ignore();
            return;
        }
    }
    if (m_options.useSettings) {
        QSettings s;
        s.setValue(QStringLiteral("window/geometry"), saveGeometry());
        s.setValue(QStringLiteral("window/state"), saveState());
        if (ConsolePane *p = currentPane()) {
            s.setValue(QStringLiteral("keys/header"), p->keyBrowser()->headerState());
            s.setValue(QStringLiteral("pane/splitter"), p->splitter()->saveState());
        }
    }
    event->accept();
}

} // namespace sd::widgets
