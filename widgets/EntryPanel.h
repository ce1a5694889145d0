#pragma once

#include "console/EntryDocument.h"
#include "console/Roles.h"

#include <QPointer>
#include <optional>
#include <QTimer>
#include <QWidget>

class QComboBox;
class QFormLayout;
class QFrame;
class QLabel;
class QLineEdit;
class QPushButton;
class QStackedWidget;
class QTableWidget;
class QToolButton;

namespace sd::console {
class Session;
}

namespace sd::widgets {

class CodeEditor;
class ConflictDialog;
class DiffDialog;
class Theme;

// One opened value (an EntryDocument): the editor with syntax colours and
// validation as you type (the error line marked, the message under it),
// JSON / YAML / text, pretty and compact, find; beside it the revision,
// update time, TTL, labels and annotations. Secrets stay masked until
// Reveal and are masked again when another key is opened.
//
// Save shows the diff and asks; a conflict opens the three-pane dialog and
// the choice is carried out here. Nothing typed is lost: taking theirs
// keeps the edit one click away ("Restore my edit").
class EntryPanel : public QWidget {
    Q_OBJECT
public:
    EntryPanel(console::Session *session, Theme *theme, QWidget *parent = nullptr);

    console::EntryDocument *document() const { return m_doc; }
    CodeEditor *editor() const { return m_editor; }

    void open(const QString &key);
    void openNew(const QString &key);
    // A prefix of the tree: nothing to edit, say what is under it.
    void showPrefix(const QString &prefix, int keys);
    // The key shown, "" for none (a prefix, nothing selected).
    QString key() const;
    bool hasEntry() const; // a key is open (loaded, not a prefix or a failure)
    bool hasUnsavedEdit() const;

    // What the actions do.
    void requestSave();
    void requestDelete(bool production);
    void toggleReveal();
    void toggleFormat();
    void pretty();
    void compact();
    void showFind();
    void showConflict();
    void resolve(int choice); // a ConflictDialog::Choice
    void restoreDiscarded();
    void focusEditor();

    // Why an action cannot run on this panel's state now (nullopt: it can),
    // beside the table's own guard: "nothing changed", "fix line 3 first".
    std::optional<QString> whyNot(const QString &actionId) const;

    // The validation line under the editor ("" when the text is valid).
    QString validationText() const;
    // The notice above the editor (conflict, masked, changed in the store).
    QString noticeText() const;
    // Dialogs open at the moment (null when none), for tests and screenshots.
    DiffDialog *saveDialog() const;
    ConflictDialog *conflictDialog() const;

    // The store changed the open key (a watch event): reload a clean value,
    // warn about an edited one.
    void keyChangedInStore(const QString &revision, bool deleted);

    // The text as the editor holds it, pushed into the document now.
    void flushEdits();

Q_SIGNALS:
    // For the notification area: what happened, in a tone; details on demand.
    void notify(sd::console::Tone tone, const QString &message, const QString &details = QString());
    // State, key or selection changed: action states need updating.
    void changed();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void buildUi();
    void onDocumentText();
    void onDocumentState(console::EntryDocument::State state);
    void onEditorText();
    void updateMeta();
    void updateValidation();
    void updateChrome();
    void setNotice(console::Tone tone, const QString &text, const QList<QWidget *> &buttons = {});
    QString editorText() const;

    QPointer<console::Session> m_session;
    QPointer<Theme> m_theme;
    console::EntryDocument *m_doc;
    bool m_applying = false;   // the document is writing into the editor
    bool m_showingDoc = false; // the editor page shows m_doc (not a prefix)
    QTimer m_push;             // big texts: edits reach the document after a pause

    QStackedWidget *m_pages;
    QLabel *m_placeholder;
    QLabel *m_keyLabel;
    QLabel *m_stateLabel;
    QFrame *m_notice;
    QLabel *m_noticeText;
    QPushButton *m_revealButton;
    QPushButton *m_conflictButton;
    QPushButton *m_restoreButton;
    QComboBox *m_format;
    QToolButton *m_prettyButton;
    QToolButton *m_compactButton;
    QToolButton *m_findButton;
    QToolButton *m_revertButton;
    QToolButton *m_saveButton;
    CodeEditor *m_editor;
    QLabel *m_validation;
    QWidget *m_findBar;
    QLineEdit *m_findEdit;
    QLabel *m_findStatus;
    QLabel *m_revision;
    QLabel *m_updated;
    QLabel *m_ttl;
    QLabel *m_encoding;
    QLabel *m_size;
    QTableWidget *m_labels;
    QTableWidget *m_annotations;
    QPointer<DiffDialog> m_saveDialog;
    QPointer<ConflictDialog> m_conflictDialog;
    QString m_changedInStore; // a revision the store has that the edit is not based on
};

} // namespace sd::widgets
