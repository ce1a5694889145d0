#pragma once

#include "console/Actions.h"
#include "console/ConnectionCatalog.h"
#include "console/KeyBindings.h"

#include <QHash>
#include <QMainWindow>
#include <QPalette>
#include <QPointer>

#include <functional>
#include <optional>

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QMessageBox;
class QStackedWidget;

namespace sd {
struct StoreSpec;
}

namespace sd::widgets {

class CommandPalette;
class ConnectionsSidebar;
class ConsolePane;
class EventsPanel;
class NotificationArea;
class Theme;

// The desktop console: the connections sidebar, one ConsolePane per open
// connection (banner, keys, entry), the live events dock, and the status
// bar (freshness, messages). Every QAction, menu entry, shortcut and
// command-palette entry comes from the console's action table; whether an
// action can run, and why not, from Actions::whyNot and the panes' state.
// Actions whose views are not built yet are listed, disabled, saying so.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    struct Options {
        console::ConnectionCatalog::Sources sources;
        // "light", "dark", a theme file, or "" to follow the system.
        QString theme;
        // Window geometry, splitters, column layouts, the last connection.
        bool useSettings = true;
        // --read-only: every connection this window opens is read-only.
        bool readOnly = false;
        // Shortcuts of keys.yaml's `gui:` section in place of the table's.
        console::KeyBindings keys;
    };

    MainWindow();
    explicit MainWindow(const Options &options, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a catalog item (ConnectionItem::id()), or shows it when open.
    bool openConnection(const QString &id);
    // A connection name, a store URL or a path, as statedeckctl takes them.
    bool openStore(const QString &storeOrConnection);
    bool openSpec(const StoreSpec &spec, const QString &name);
    // The connection opened last time (settings), else the current one of
    // connections.yaml, else the embedded store.
    void openStartupConnection();
    void closeCurrentConnection();
    // A first-time user's empty default store: offers demo data (once the
    // listing says it is empty), in connections of its own.
    void offerDemoWhenEmpty(ConsolePane *pane);
    QMessageBox *askForDemo();
    void makeDemo();

    ConsolePane *currentPane() const;
    QList<ConsolePane *> panes() const;
    void showPane(ConsolePane *pane);

    QAction *action(const QString &id) const { return m_actions.value(id); }
    QList<QAction *> tableActions() const;
    // Why an action of the table cannot run now, nullopt when it can.
    std::optional<QString> whyNot(const console::Action &action) const;
    void updateActions();
    // Runs an action of the table (a menu, a shortcut, the palette).
    void run(const QString &id);

    ConnectionsSidebar *sidebar() const { return m_sidebar; }
    EventsPanel *eventsPanel() const { return m_events; }
    QDockWidget *eventsDock() const { return m_eventsDock; }
    NotificationArea *notifications() const { return m_notifications; }
    Theme *theme() const { return m_theme; }
    CommandPalette *showCommandPalette();
    void showCheatSheet();
    bool setTheme(const QString &nameOrPath); // "" follows the system
    void reloadCatalog();
    // The connection editor: a ConnectionDialog to add a connection to
    // connections.yaml (empty `editing`) or change one; removing asks first
    // (the name typed on a production connection).
    void editConnection(const QString &editing = QString());
    void removeConnection(const QString &name);
    // The same Kubernetes connection with another namespace or resource
    // (ConfigMaps, every Secret), in a pane of its own beside the first.
    void askNamespace(ConsolePane *from);
    bool openKubeVariant(ConsolePane *from, const QString &option, const QString &value);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    using Handler = std::function<void(ConsolePane *)>;
    void buildHandlers();
    void buildActions();
    void buildMenus();
    void addPane(ConsolePane *pane);
    void onPaneChanged(ConsolePane *pane);
    void updateFreshnessIndicator();
    void openStoreDialog();
    // The state-machine registry of the open connection (or $REDIS_URL), in a window of its own.
    void openRegistry(ConsolePane *pane);
    void showAbout();

    Options m_options;
    Theme *m_theme;
    QPalette m_systemPalette;
    console::ConnectionCatalog m_catalog;
    ConnectionsSidebar *m_sidebar;
    QDockWidget *m_sidebarDock;
    EventsPanel *m_events;
    QDockWidget *m_eventsDock;
    QStackedWidget *m_stack;
    QLabel *m_welcome;
    NotificationArea *m_notifications;
    QLabel *m_freshness;
    QHash<QString, QAction *> m_actions;        // by action id
    QHash<QString, Handler> m_handlers;         // action id -> what it does; no handler: not built yet
    QHash<QString, QString> m_notBuilt;         // action id -> why it is not built, where to go instead
    QList<QAction *> m_themeActions;
    QPointer<CommandPalette> m_palette;
};

} // namespace sd::widgets
