#pragma once

#include "console/Actions.h"

#include <QDialog>
#include <QPointer>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace sd::console {
class EntryDocument;
}

namespace sd::widgets {

class CodeEditor;
class Theme;

// Asks before a destructive action, the way Actions::confirmationFor says:
// yes or no, or the key's name typed (production connections). Opened with
// open(), never exec(): the window keeps running while it asks.
class ConfirmDialog : public QDialog {
    Q_OBJECT
public:
    ConfirmDialog(const console::Action &action, console::Confirmation confirmation, const QString &key,
                  const QString &detail, QWidget *parent = nullptr);

    QLineEdit *typedName() const { return m_typed; } // null unless TypeKeyName
    QPushButton *confirmButton() const { return m_confirm; }

private:
    QString m_key;
    QLineEdit *m_typed = nullptr;
    QPushButton *m_confirm;
};

// "What will change": the unified diff of a save, coloured, with Write and
// Cancel. Write is the default button, so Ctrl+S then Enter saves.
class DiffDialog : public QDialog {
    Q_OBJECT
public:
    DiffDialog(const QString &title, const QString &summary, const QString &diff, Theme *theme,
               QWidget *parent = nullptr);

    QString diffText() const;
    QPushButton *writeButton() const { return m_write; }

private:
    CodeEditor *m_view;
    QPushButton *m_write;
};

// A save met someone else's change: base (as read), theirs (in the store
// now) and mine (the edit) side by side, each changed line marked against
// base, and the three ways out. Closing it decides nothing: the edit stays,
// the document stays in Conflict, and the entry panel offers the same
// choices.
class ConflictDialog : public QDialog {
    Q_OBJECT
public:
    enum class Choice { TakeTheirs, KeepMine, Merge };
    Q_ENUM(Choice)

    ConflictDialog(console::EntryDocument *document, Theme *theme, QWidget *parent = nullptr);

    CodeEditor *basePane() const { return m_base; }
    CodeEditor *theirsPane() const { return m_theirs; }
    CodeEditor *minePane() const { return m_mine; }
    QPushButton *button(Choice choice) const;

Q_SIGNALS:
    void chosen(sd::widgets::ConflictDialog::Choice choice);

private:
    CodeEditor *m_base;
    CodeEditor *m_theirs;
    CodeEditor *m_mine;
    QPushButton *m_takeTheirs;
    QPushButton *m_keepMine;
    QPushButton *m_merge;
};

} // namespace sd::widgets
