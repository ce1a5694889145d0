#pragma once

#include "console/Actions.h"
#include "console/Roles.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QModelIndex;
class QPushButton;
class QToolButton;
class QTreeView;

namespace sd::console {
class FilterModel;
class KeyModel;
class Session;
} // namespace sd::console

namespace sd::widgets {

class Theme;

// The keys of a session: a filter box (FilterModel: text, regex, !inverse,
// -l label selector), a sortable tree or table over KeyModel that reads
// pages as it is scrolled, and a status line that always says whether the
// listing is complete ("1,500 keys loaded, still listing") with Stop, Resume
// and List all. Changed rows flash in their tone (ToneDelegate).
//
// The actions of the "keys" view are added to this widget by the window, so
// their shortcuts work while the focus is here; the context menu lists them.
class KeyBrowser : public QWidget {
    Q_OBJECT
public:
    KeyBrowser(console::Session *session, Theme *theme, QWidget *parent = nullptr);

    console::KeyModel *keyModel() const { return m_keys; }
    console::FilterModel *filterModel() const { return m_filter; }
    QTreeView *view() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filterEdit; }
    QString statusText() const;

    console::Selection selection() const;
    QString currentKey() const;
    // Selects a loaded key (false when it is not loaded, or filtered out).
    bool selectKey(const QString &key);

    void setTreeMode(bool tree);
    bool treeMode() const;
    void toggleTreeMode() { setTreeMode(!treeMode()); }
    void focusFilter();
    void copyKey();
    // Return: a prefix opens or closes, a key is activated.
    void openCurrent();
    void stopListing();
    void listAll();

    QByteArray headerState() const;
    void restoreHeaderState(const QByteArray &state);

Q_SIGNALS:
    // The current row changed (key "" for none).
    void currentChanged(const QString &key, bool hasValue, bool isPrefix, int leafCount);
    // Return or double click on a key: go and edit it.
    void activated(const QString &key);
    void notify(sd::console::Tone tone, const QString &message, const QString &details = QString());

private:
    // The view shows the last loaded rows: time to read the next page.
    bool showsEnd() const;
    void updateStatus();
    void onCurrentChanged(const QModelIndex &current);
    void showContextMenu(const QPoint &pos);
    void showColumnMenu(const QPoint &pos);

    QPointer<console::Session> m_session;
    QPointer<Theme> m_theme;
    console::KeyModel *m_keys;
    console::FilterModel *m_filter;
    QLineEdit *m_filterEdit;
    QToolButton *m_treeToggle;
    QTreeView *m_view = nullptr;
    QLabel *m_status;
    QPushButton *m_stop;
    QPushButton *m_resume;
    QPushButton *m_all;
    QString m_current; // the key last announced by currentChanged
};

} // namespace sd::widgets
