#pragma once

#include "console/Roles.h"

#include <QDialog>
#include <QPointer>

#include <memory>

class QCheckBox;
class QLabel;
class QPushButton;
class QTableView;

namespace sd {
struct Entry;
}

namespace sd::console {
class HistoryModel;
class Session;
} // namespace sd::console

namespace sd::widgets {

class CodeEditor;
class Theme;

// The earlier values of one key (stores that keep them: etcd, SQLite): the
// versions newest first over console::HistoryModel, and beside the selected
// one what restoring it would change, as a coloured unified diff from the
// current value. "Restore this version" asks first, then writes it back as
// a compare-and-swap on the revision read; a conflict reloads the list and
// says so, and nothing is written. Secret values stay masked until Reveal.
// Non-modal: the window keeps running, and each key gets its own dialog.
class HistoryDialog : public QDialog {
    Q_OBJECT
public:
    // `session` must outlive the dialog (the pane that opens it owns both).
    HistoryDialog(console::Session *session, const QString &key, Theme *theme, bool production,
                  QWidget *parent = nullptr);
    ~HistoryDialog() override;

    console::HistoryModel *model() const { return m_model.get(); }
    QTableView *table() const { return m_table; }
    CodeEditor *diffView() const { return m_diff; }
    QPushButton *restoreButton() const { return m_restore; }
    QCheckBox *revealBox() const { return m_reveal; }

    // Selects a version once the list is read ("diff with previous": 1).
    void selectRow(int row);
    // Asks, then restores the selected version.
    void restoreSelected();

Q_SIGNALS:
    void notify(sd::console::Tone tone, const QString &message, const QString &details = QString());
    void restored(const sd::Entry &entry);

private:
    void showSelected();
    void updateRestore();
    int currentRow() const;

    QPointer<console::Session> m_session;
    QString m_key;
    QPointer<Theme> m_theme;
    bool m_production;
    std::unique_ptr<console::HistoryModel> m_model;
    QLabel *m_status;
    QTableView *m_table;
    QLabel *m_change;
    CodeEditor *m_diff;
    QCheckBox *m_reveal;
    QPushButton *m_restore;
    int m_wantedRow = -1;
    QString m_outcome; // what the last restore did
};

} // namespace sd::widgets
