#pragma once

#include "console/Actions.h"
#include "model/Result.h"

#include <QHash>

namespace sd::console {

// The keys a user chose instead of the action table's, from a file
// (`$XDG_CONFIG_HOME/statedeck/keys.yaml` unless another is named):
//
//   tui:
//     keys.edit: E          # the key as the TUI names it
//     tasks.increment: i
//   gui:
//     keys.edit: Ctrl+E     # as QKeySequence reads it
//
// Every id must be an action of the table and no two actions live together
// (Actions::liveTogether; shortcuts compared as Actions::normalShortcut
// spells them) may share a key, except that a TUI view's own action may
// shadow global.back (Actions::mayShadow); a file that breaks either is
// refused as a whole, naming FILE:LINE, so a typo never leaves a key dead.
class KeyBindings {
public:
    static QString defaultPath();
    // A missing file gives the table's keys when `required` is false.
    static Result<KeyBindings> load(const QString &path, bool required);

    QString tuiKey(const Action &action) const;
    QString guiShortcut(const Action &action) const;
    // The action a TUI key stands for in a view (its own, then global).
    const Action *byTuiKey(const QString &view, const QString &key) const;
    bool isEmpty() const { return m_tui.isEmpty() && m_gui.isEmpty(); }

private:
    QHash<QString, QString> m_tui; // action id -> key
    QHash<QString, QString> m_gui;
};

} // namespace sd::console
