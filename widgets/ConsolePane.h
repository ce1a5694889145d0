#pragma once

#include "console/Actions.h"
#include "console/Roles.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <memory>

class QLabel;
class QMessageBox;
class QSplitter;
class QStackedWidget;

namespace sd {
struct Event;
}

namespace sd::console {
class EventLog;
class Session;
} // namespace sd::console

namespace sd::widgets {

class EntryPanel;
class FreshnessBanner;
class HistoryDialog;
class KeyBrowser;
class TasksView;
class TransferDialog;
class Theme;

// Everything shown for one open connection: its name and where it points,
// the freshness banner, the key browser and the entry panel side by side,
// and the event log the events dock shows while this connection is the
// current one. It owns the Session; closing the pane closes the connection.
//
// Moving to another key with an unsaved edit asks first: the edit is never
// dropped silently.
class ConsolePane : public QWidget {
    Q_OBJECT
public:
    ConsolePane(std::unique_ptr<console::Session> session, const QString &id, Theme *theme,
                QWidget *parent = nullptr);
    ~ConsolePane() override;

    QString id() const { return m_id; }
    console::Session *session() const { return m_session.get(); }
    KeyBrowser *keyBrowser() const { return m_browser; }
    EntryPanel *entryPanel() const { return m_entry; }
    FreshnessBanner *banner() const { return m_banner; }
    console::EventLog *eventLog() const { return m_events; }
    QSplitter *splitter() const { return m_splitter; }

    // The key browser's selection, or the task table's while it shows.
    console::Selection selection() const;

    // The remediation view, made the first time it is asked for (it lists
    // the whole store to find the tasks). The keys come back with showKeys().
    TasksView *showTasks();
    void showKeys();
    TasksView *tasksView() const { return m_tasks; }
    bool tasksShown() const;

    // connections.yaml's `production: true` (deletes and restores then want
    // the key's name typed) and `color:`: the title bar carries both, so
    // production is not mistaken for staging.
    bool production() const { return m_production; }
    QString colour() const { return m_colour; }
    void setMarkers(bool production, const QString &colour);

    // The earlier values of `key` in a dialog of their own; with
    // `previous`, the one before the current value is selected ("diff with
    // previous"). One dialog a key: asking again raises it.
    HistoryDialog *showHistory(const QString &key, bool previous);

    // The transfer wizard of this connection for one kind of job (one
    // dialog a kind: asking again raises it). `stores`: connection names
    // offered as the other store of a migration or a verify.
    TransferDialog *showTransfer(int kind, const QStringList &stores);
    // The wizards whose job is running, for jobs.cancel.
    QList<TransferDialog *> runningTransfers() const;

    // What the "keys" and "entry" actions do here.
    void newKey();
    void copyValue();
    void refresh();

Q_SIGNALS:
    void notify(sd::console::Tone tone, const QString &message, const QString &details = QString());
    // Selection, document or freshness changed: action states need updating.
    void changed();

private:
    void onCurrentChanged(const QString &key, bool hasValue, bool isPrefix, int leafCount);
    void onEvent(const Event &event);

    std::unique_ptr<console::Session> m_session;
    QString m_id;
    QPointer<Theme> m_theme;
    console::EventLog *m_events;
    QLabel *m_title;
    QWidget *m_band; // the connection's colour, under the title
    FreshnessBanner *m_banner;
    QSplitter *m_splitter;
    KeyBrowser *m_browser;
    EntryPanel *m_entry;
    QStackedWidget *m_pages;
    TasksView *m_tasks = nullptr;
    QPointer<QMessageBox> m_leaveQuestion;
    QString m_pendingSelect; // a key saved but not listed yet
    bool m_production = false;
    QString m_colour;
    QHash<QString, QPointer<HistoryDialog>> m_history;
    QHash<int, QPointer<TransferDialog>> m_transfers;
};

} // namespace sd::widgets
