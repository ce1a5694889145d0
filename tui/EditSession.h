#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>

class QProcess;
class QTemporaryFile;

namespace sd::console {
class EntryDocument;
}

namespace sd::tui {

class App;

// `e`: the value in $VISUAL or $EDITOR, the way `kubectl edit` does it.
//   - a temporary file, mode 0600, with a header of '#' lines (ignored) that
//     names the key and revision, and on a second round the error;
//   - the editor runs with the terminal handed over; the event loop goes on
//     (the watch keeps the models current meanwhile);
//   - an unchanged or empty file cancels; invalid text reopens the editor
//     with the error at the top; valid text shows the diff and asks, then
//     saves at the revision the value was read at;
//   - on a conflict the user's text is kept in a file whose path is shown
//     (in memory only, for a secret), and the entry view offers theirs,
//     mine or a merge;
//   - a secret is edited decoded only after the user agrees, and the
//     temporary file is removed on every way out (the editor failing to
//     start, the app quitting while it runs included).
class EditSession : public QObject {
    Q_OBJECT
public:
    EditSession(App *app, console::EntryDocument *doc);
    ~EditSession() override;

    void start();
    // Where the text of an edit that met a conflict was kept ("" if none).
    QString keptPath() const { return m_kept; }

    // The header's last line: everything up to it is dropped on reading.
    static QString marker();
    static QString stripHeader(const QString &text);

private:
    void begin();
    void launch(const QString &problem);
    void finished(int exitCode);
    void confirmAndSave();
    void keepText();
    void dropFile();

    App *m_app;
    QPointer<console::EntryDocument> m_doc;
    std::unique_ptr<QTemporaryFile> m_file;
    QProcess *m_editor = nullptr;
    QString m_original;
    QString m_written; // the text the editor was last given
    QString m_kept;
    bool m_started = false;
};

} // namespace sd::tui
