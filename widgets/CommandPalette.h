#pragma once

#include <QDialog>
#include <QList>

class QAction;
class QLabel;
class QLineEdit;
class QListView;
class QSortFilterProxyModel;
class QStandardItemModel;

namespace sd::widgets {

// Ctrl+K: every action of the table (and every connection), found by
// typing a few letters of its name, its view or its help. Enter runs it;
// an action that cannot run now is listed with the reason.
class CommandPalette : public QDialog {
    Q_OBJECT
public:
    struct Entry {
        QString id;      // an action id, or "connect:<connection id>"
        QString title;   // "Keys: Delete", "Connect: prod"
        QString detail;  // help, or why it cannot run now
        QString shortcut;
        bool enabled = true;
    };

    explicit CommandPalette(QWidget *parent = nullptr);

    void setEntries(const QList<Entry> &entries);
    QLineEdit *input() const { return m_input; }
    // The ids listed now, in order (after the filter).
    QStringList shownIds() const;

Q_SIGNALS:
    void chosen(const QString &id);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void runCurrent();

    QLineEdit *m_input;
    QListView *m_list;
    QLabel *m_hint;
    QStandardItemModel *m_model;
    QSortFilterProxyModel *m_proxy;
};

// F1: the keys of every view and what they do, generated from the action
// table, with whether each can run now.
class CheatSheet : public QDialog {
    Q_OBJECT
public:
    CheatSheet(const QList<QAction *> &actions, QWidget *parent = nullptr);
};

} // namespace sd::widgets
