#pragma once

#include "console/ConnectionCatalog.h"
#include "console/Roles.h"

#include <QPointer>
#include <QWidget>

class QStandardItem;
class QStandardItemModel;
class QTreeView;

namespace sd::widgets {

class Theme;

// Where the user connects: the connections of connections.yaml, the
// contexts of their kubeconfig, and the embedded default store (a
// ConnectionCatalog). Activating one opens it; open ones show how fresh
// they are, in their tone, and a read-only badge. A connection that cannot
// be resolved is listed with its error, not hidden. Connections of
// connections.yaml are added, edited and removed from here (the requests
// go to the window, which runs the ConnectionDialog).
class ConnectionsSidebar : public QWidget {
    Q_OBJECT
public:
    enum { IdRole = console::FirstCustomRole };

    explicit ConnectionsSidebar(Theme *theme, QWidget *parent = nullptr);

    void setCatalog(const console::ConnectionCatalog &catalog);
    // A store opened by URL or path (the command line, File > Open store),
    // listed under "Opened" until the catalog is read again.
    void addOpened(const QString &id, const QString &name, const QString &description);
    // An open connection's state beside its name; an empty text marks it closed.
    void setOpenState(const QString &id, console::Tone tone, const QString &text, bool readOnly);
    void setCurrent(const QString &id);
    QTreeView *view() const { return m_view; }
    // Every item's id, in order; and the text shown for one.
    QStringList ids() const;
    QString itemText(const QString &id) const;

    // The connections.yaml name of the selected item; empty when it is not
    // a connections.yaml connection (a context, the embedded store).
    QString selectedConnection() const;

Q_SIGNALS:
    void openRequested(const QString &id);
    void reloadRequested();
    // The connection editor's requests: Add (the + button, Insert), Edit
    // (context menu, F2) and Remove (context menu, Delete) of a
    // connections.yaml connection, by name.
    void addRequested();
    void editRequested(const QString &name);
    void removeRequested(const QString &name);

private:
    QStandardItem *itemOf(const QString &id) const;

    QPointer<Theme> m_theme;
    QStandardItemModel *m_model;
    QTreeView *m_view;
    QHash<QString, QString> m_names; // id -> the name shown
};

} // namespace sd::widgets
