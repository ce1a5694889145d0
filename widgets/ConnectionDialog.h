#pragma once

#include "console/ConnectionEditor.h"
#include "console/Roles.h"

#include <QDialog>
#include <QHash>
#include <QPointer>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace sd::widgets {

class Theme;

// Adds a connection to connections.yaml, or changes one: name, store URL,
// description, the read-only, production and sensitive markers and a
// colour. Each field is checked as the user types, its problem written
// beside it (console::ConnectionEditor::check); Save stays disabled until
// there is none. Test opens the store and reads a page without saving.
// Save writes the file through the editor (comments kept, atomically, never
// over a change made meanwhile); a refusal is shown in the dialog, which
// stays open with the user's input.
class ConnectionDialog : public QDialog {
    Q_OBJECT
public:
    // `editing`: the connection to change; empty to add one.
    ConnectionDialog(console::ConnectionEditor editor, const QString &editing, Theme *theme,
                     QWidget *parent = nullptr);

    console::ConnectionDraft draft() const;
    QLineEdit *field(const QString &name) const; // "name", "url", "description", "color"
    QCheckBox *flag(const QString &name) const;  // "readOnly", "production", "sensitive"
    QLabel *problemLabel(const QString &field) const;
    QPushButton *saveButton() const { return m_save; }
    QPushButton *testButton() const { return m_test; }
    QLabel *resultLabel() const { return m_result; }
    // The connection's name once saved.
    QString savedName() const { return m_savedName; }

Q_SIGNALS:
    // The file was written; the catalog should be read again.
    void saved(const QString &name);

private:
    void recheck();
    void runTest();
    void trySave();
    void say(console::Tone tone, const QString &text);

    console::ConnectionEditor m_editor;
    QString m_editing;
    QString m_otherStore;
    QPointer<Theme> m_theme;
    QHash<QString, QLineEdit *> m_fields;
    QHash<QString, QCheckBox *> m_flags;
    QHash<QString, QLabel *> m_problems;
    QPushButton *m_save = nullptr;
    QPushButton *m_test = nullptr;
    QLabel *m_result = nullptr;
    QString m_savedName;
    int m_testRun = 0;
};

} // namespace sd::widgets
