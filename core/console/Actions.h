#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace sd::console {

class Session;

// What the user has selected when an action is asked for.
struct Selection {
    QString key;          // the selected key or prefix ("" for none)
    bool isPrefix = false;
    bool hasValue = false; // a key of the store, not only a prefix
    int count = 0;         // how many rows are selected
};

// How a renderer must confirm a destructive action before running it.
enum class Confirmation {
    None,
    YesNo,         // "Delete 3 keys? [y/N]"
    TypeKeyName,   // the user types the key's name (on production connections)
};

// One thing a user can do, as data: the GUI builds its QActions, menus and
// command palette from the table, the TUI its key map, hint bar, `?` help
// and `:` completion. Guards live here, so both refuse the same things for
// the same reasons, and a write on a read-only connection is refused
// before it reaches the core (which refuses it again: the provider is
// wrapped read-only).
struct Action {
    QString id;        // stable: "keys.edit"
    QString view;      // "global", "keys", "entry", "events", "tasks", "history", "jobs"
    QString label;     // "Edit", in the translation context "Action"
    QString help;      // one sentence
    QString guiShortcut; // portable text, as QKeySequence reads it ("Ctrl+S")
    QString tuiKey;      // as the TUI shows it: "e", "Ctrl-D", "Enter", "Esc", "?"
    QString command;     // the `:` command that runs it ("" for none)
    bool writes = false;
    bool destructive = false;
    Confirmation confirmation = Confirmation::None;
    // Why it cannot run now (nullopt: it can). Read-only refusals for
    // `writes` actions come before this.
    std::function<std::optional<QString>(const Session *, const Selection &)> guard;
};

class Actions {
public:
    static const QList<Action> &all();
    static const Action *find(const QString &id);
    // The actions of one view, followed by the global ones.
    static QList<const Action *> forView(const QString &view);
    // The action a TUI key or a `:` command stands for in a view.
    static const Action *byTuiKey(const QString &view, const QString &key);
    static const Action *byCommand(const QString &command);
    // Every `:` command, for completion.
    static QStringList commands();
    // nullopt when `action` may run; else the reason, for a greyed-out menu
    // entry or the TUI's message line.
    static std::optional<QString> whyNot(const Action &action, const Session *session, const Selection &selection);
    // The confirmation a renderer must get: TypeKeyName for destructive
    // actions on a production connection, the action's own otherwise.
    static Confirmation confirmationFor(const Action &action, bool production);

    // Which actions answer a key at the same time, and so must not share
    // one (the table's test and keys.yaml hold both front ends to this):
    //   - the GUI: a view's actions with the global ones, and the `jobs`
    //     actions with every view (jobs.cancel is live wherever the focus
    //     is while a job runs);
    //   - the TUI: a view's actions with the global ones; the `jobs` ones
    //     only in the job view.
    static bool liveTogether(const Action &a, const Action &b, bool gui);
    // In the TUI, a view's own action may take global.back's key (Esc): in
    // that view it shadows going back while it can run, and Esc goes back
    // once it cannot (jobs.cancel: Esc cancels a running job, then goes
    // back). No other global key may be shadowed.
    static bool mayShadow(const Action &own, const Action &global);
    // A GUI shortcut's portable text in one spelling, so that two spellings
    // of one key compare equal without QtGui: modifiers in the order Ctrl,
    // Alt, Shift, Meta, then the key in one case ("shift+ctrl+p" and
    // "Ctrl+Shift+P" are "Ctrl+Shift+P"; "Esc" and "Escape" are "Escape";
    // Del, Ins, PgUp and PgDown are Delete, Insert, PageUp and PageDown).
    static QString normalShortcut(const QString &portable);
};

} // namespace sd::console
