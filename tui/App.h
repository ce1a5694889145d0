#pragma once

#include "Terminal.h"
#include "console/Actions.h"
#include "console/KeyBindings.h"
#include "model/Result.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

namespace sd::console {
class Job;
class EntryDocument;
class EventLog;
class FilterModel;
class KeyModel;
class Session;
}

namespace sd::tui {

class View;
class EditSession;
class TaskScreens;

struct AppOptions {
    QString prefix;     // start browsing under it
    bool readOnly = false; // --read-only: every session it opens is
    console::KeyBindings keys; // the user's keys over the action table's
};

// The TUI: a header (connection, freshness, listing progress), a stack of
// views, a hint bar built from the action table, and a line for messages,
// `:` commands (with completion and history), `/` filters and prompts.
// Repaints are coalesced to at most ~30 frames a second, so a storm of
// watch events never delays a keypress; a keypress repaints at once.
class App : public QObject {
    Q_OBJECT
public:
    App(Terminal &terminal, AppOptions options);
    ~App() override;

    // Opens the connection (a connections.yaml name, URL or path; "" for the
    // current one) and shows its keys. False, with the error, when it fails.
    Result<bool> open(const QString &storeOrConnection);
    // Shows a session already opened.
    void show(std::unique_ptr<console::Session> session, const QString &name);

    Terminal &terminal() { return m_terminal; }
    console::Session *session() const { return m_session.get(); }
    console::KeyModel *keys() const { return m_keys.get(); }
    // The keys in force (keys.yaml's tui: section over the action table's).
    const console::KeyBindings &keyBindings() const { return m_options.keys; }

    void push(std::unique_ptr<View> view);
    void pop();
    View *top() const;

    void message(const QString &text, console::Tone tone = console::Tone::Normal);
    void scheduleRepaint();
    void paintNow();

    void runAction(const console::Action &action);
    void openEntry(const QString &key, bool reveal = false);
    // Edits the document's value in $EDITOR, kubectl-edit style.
    void edit(console::EntryDocument *doc);

    // A yes/no question on the message line; `done(true)` on y.
    void ask(const QString &question, std::function<void(bool)> done);
    // A line of text; Esc gives up (done is not called).
    void askText(const QString &question, std::function<void(const QString &)> done, const QString &initial = {});
    // The same, shown as '*' and kept out of the command history.
    void askSecret(const QString &question, std::function<void(const QString &)> done);

    // Copies text to the clipboard of the terminal the user sits at (OSC 52:
    // through SSH and tmux).
    void copyToClipboard(const QString &what, const QByteArray &bytes);

Q_SIGNALS:
    void quit();

private:
    enum class Mode { Normal, Command, Filter, Question, Text, Secret };
    void onKey(const Key &key);
    bool editLine(const Key &key); // input line editing; true if used
    void runCommand(const QString &line);
    void completeCommand();
    void paint();
    void drawHeader(int width);
    void drawFooter(int width);
    void replaceSession(std::unique_ptr<console::Session> session, const QString &name);
    void deleteSelected();
    void showHistory(const QString &key, bool diffOnly);
    void switchKube(const QString &option, const QString &value);
    void showTasks();
    // Runs a job; `other` is the second store of a migrate or verify,
    // kept open as long as the job.
    void startJob(std::unique_ptr<console::Job> job, std::unique_ptr<console::Session> other = {});
    void runTransfer(const QString &kind, const QStringList &args);
    void runImport(const QStringList &args);
    void runBetweenStores(const QString &kind, const QStringList &args);

    Terminal &m_terminal;
    AppOptions m_options;
    QString m_connection;
    std::unique_ptr<console::Session> m_session;
    std::unique_ptr<console::KeyModel> m_keys;
    std::unique_ptr<console::FilterModel> m_filter;
    std::unique_ptr<console::EventLog> m_events;
    std::unique_ptr<console::FilterModel> m_eventFilter;
    std::vector<std::unique_ptr<View>> m_views;
    std::unique_ptr<EditSession> m_edit;
    // Remediation tasks, made when :tasks is first asked for.
    std::unique_ptr<TaskScreens> m_tasks;
    // Export, import, migrate and verify jobs; they run on when their
    // view is left. The job goes before the store it writes to.
    struct RunningJob {
        std::unique_ptr<console::Session> other;
        std::unique_ptr<console::Job> job;
    };
    std::vector<RunningJob> m_jobs;

    Mode m_mode = Mode::Normal;
    QString m_prompt;
    QString m_input;
    int m_inputCursor = 0;
    QStringList m_history;
    int m_historyAt = -1;
    std::function<void(bool)> m_onAnswer;
    std::function<void(const QString &)> m_onText;

    QString m_message;
    console::Tone m_messageTone = console::Tone::Normal;
    QDateTime m_messageUntil;

    QTimer m_repaint;      // coalesces repaints
    QTimer m_clock;        // the freshness countdown and message expiry
    QElapsedTimer m_sinceFrame;
};

} // namespace sd::tui
