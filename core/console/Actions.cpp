#include "console/Actions.h"

#include "config/StoreSpec.h"
#include "console/Session.h"

#include <QCoreApplication>
#include <QHash>

namespace sd::console {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Action", text);
}

using Guard = std::function<std::optional<QString>(const Session *, const Selection &)>;

std::optional<QString> needsKey(const Session *, const Selection &s)
{
    if (!s.hasValue)
        return tr("select a key first");
    return std::nullopt;
}

std::optional<QString> needsSelection(const Session *, const Selection &s)
{
    if (s.key.isEmpty() && s.count == 0)
        return tr("select a key or a prefix first");
    return std::nullopt;
}

std::optional<QString> needsHistory(const Session *session, const Selection &s)
{
    if (auto why = needsKey(session, s))
        return why;
    if (session && !session->capabilities().keyHistory)
        return tr("this store keeps no history of its keys");
    return std::nullopt;
}

std::optional<QString> needsSensitive(const Session *session, const Selection &s)
{
    if (auto why = needsKey(session, s))
        return why;
    if (session && !session->capabilities().sensitive)
        return tr("the values of this store are not secret");
    return std::nullopt;
}

std::optional<QString> needsWatch(const Session *session, const Selection &)
{
    if (session && session->capabilities().watch == WatchKind::None)
        return tr("this store cannot be watched");
    return std::nullopt;
}

// Namespaces, ConfigMaps and Secrets are a Kubernetes connection's.
std::optional<QString> needsKube(const Session *session, const Selection &)
{
    if (session && session->spec().backend != QLatin1String("kubernetes"))
        return tr("the open connection is not a Kubernetes one");
    return std::nullopt;
}

Action make(const char *id, const char *view, const char *label, const char *help, const char *gui, const char *tui,
            const char *command = "", Guard guard = {})
{
    Action a;
    a.id = QLatin1String(id);
    a.view = QLatin1String(view);
    a.label = tr(label);
    a.help = tr(help);
    a.guiShortcut = QLatin1String(gui);
    a.tuiKey = QLatin1String(tui);
    a.command = QLatin1String(command);
    a.guard = std::move(guard);
    return a;
}

Action writing(Action a, bool destructive = false)
{
    a.writes = true;
    a.destructive = destructive;
    a.confirmation = destructive ? Confirmation::YesNo : Confirmation::None;
    return a;
}

QList<Action> buildTable()
{
    QList<Action> t;
    // Global: every view has them.
    t << make("global.help", "global", "Help", "Show every key of this view and what it does.", "F1", "?", "help");
    t << make("global.command", "global", "Command", "Run a command (:ctx, :keys, :tasks, :export, ...).",
              "Ctrl+K", ":");
    t << make("global.back", "global", "Back", "Go back to the previous view.", "Alt+Left", "Esc");
    t << make("global.quit", "global", "Quit", "Leave statedeck.", "Ctrl+Q", "Ctrl-C", "q");
    t << make("global.refresh", "global", "Refresh", "Read the store again and reconnect a dropped watch.", "F5",
              "Ctrl-R");
    t << make("global.contexts", "global", "Connections", "Switch to another connection or Kubernetes context.",
              "Ctrl+Shift+K", "Ctrl-K", "ctx");
    t << make("global.namespace", "global", "Namespace", "Switch the Kubernetes namespace.", "Ctrl+Shift+N", "Ctrl-N",
              "ns", needsKube);
    t << make("global.keys", "global", "Keys", "Browse the keys of the store.", "Ctrl+1", "Alt-1", "keys");
    t << make("global.configmaps", "global", "ConfigMaps", "Browse the ConfigMaps of the namespace.", "Ctrl+2",
              "Alt-2", "cm", needsKube);
    t << make("global.secrets", "global", "Secrets", "Browse the Secrets of the namespace.", "Ctrl+3", "Alt-3",
              "secrets", needsKube);
    t << make("global.tasks", "global", "Tasks", "Remediation tasks and their feedback.", "Ctrl+4", "Alt-4", "tasks");
    t << make("global.events", "global", "Events", "The live events of the store.", "Ctrl+5", "Alt-5", "events",
              needsWatch);
    t << make("global.machines", "global", "Machines", "The state-machine registry.", "Ctrl+6", "Alt-6", "machines");
    t << writing(make("global.import", "global", "Import", "Import a snapshot into this store.", "Ctrl+I", "Alt-I",
                      "import"));
    t << make("global.export", "global", "Export", "Export the keys under a prefix to a snapshot.", "Ctrl+E", "Alt-E",
              "export");
    t << make("global.migrate", "global", "Migrate", "Copy state from this store to another, with a verify pass.",
              "Ctrl+M", "Alt-M", "migrate");
    t << make("global.verify", "global", "Verify", "Compare this store with another, key by key.", "Ctrl+Shift+V",
              "Alt-V", "verify");

    // The key browser.
    t << make("keys.open", "keys", "Open", "Open the key, or go into the prefix.", "Return", "Enter", "", needsSelection);
    t << make("keys.filter", "keys", "Filter",
              "Filter keys: text or a regular expression, !text to invert, -l app=x for labels.", "Ctrl+F", "/");
    t << writing(make("keys.edit", "keys", "Edit", "Edit the value, with a diff before saving.", "F2", "e", "edit",
                      needsKey));
    t << writing(make("keys.new", "keys", "New key", "Create a key.", "Ctrl+N", "n", "new"));
    t << writing(make("keys.delete", "keys", "Delete", "Delete the key (asks first).", "Delete", "Ctrl-D", "delete",
                      needsKey),
                 true);
    t << make("keys.diff", "keys", "Diff with previous",
              "Show how the value differs from its previous revision.", "Ctrl+D", "d", "diff", needsHistory);
    t << make("keys.history", "keys", "History", "Earlier values of the key.", "Ctrl+H", "h", "history", needsHistory);
    t << make("keys.copy", "keys", "Copy value", "Copy the value to the clipboard (OSC 52 in a terminal).",
              "Ctrl+C", "y", "", needsKey);
    t << make("keys.copyKey", "keys", "Copy key", "Copy the key's name.", "Ctrl+Shift+C", "Y", "", needsSelection);
    t << make("keys.reveal", "keys", "Reveal", "Show the secret value (masked again when you move on).", "Ctrl+R",
              "x", "", needsSensitive);
    t << make("keys.tree", "keys", "Tree or list", "Show keys as a tree of prefixes, or as one list.", "Ctrl+T", "t");
    t << make("keys.stop", "keys", "Stop listing", "Stop reading more keys (what is loaded stays).", "Escape", "s");
    t << make("keys.more", "keys", "List all", "Read every remaining page of keys.", "Ctrl+L", "L");

    // The entry editor: what the key browser does to the selected key, it
    // does to the open one, with the same keys.
    t << writing(make("entry.edit", "entry", "Edit", "Edit the value, with a diff before saving.", "F2", "e", "",
                      needsKey));
    t << writing(make("entry.delete", "entry", "Delete", "Delete the key (asks first).", "Delete", "Ctrl-D", "",
                      needsKey),
                 true);
    t << make("entry.diff", "entry", "Diff with previous", "Show how the value differs from its previous revision.",
              "Ctrl+D", "d", "", needsHistory);
    t << make("entry.history", "entry", "History", "Earlier values of the key.", "Ctrl+H", "h", "", needsHistory);
    t << make("entry.copy", "entry", "Copy value", "Copy the value to the clipboard (OSC 52 in a terminal).", "Ctrl+C",
              "y", "", needsKey);
    t << writing(make("entry.save", "entry", "Save", "Show the diff, then write the value at the revision it was read at.",
                      "Ctrl+S", "Ctrl-S", "w"));
    t << make("entry.format", "entry", "JSON or YAML", "Edit the value as JSON or as YAML.", "Ctrl+Shift+Y", "F");
    t << make("entry.reveal", "entry", "Reveal", "Show and edit the secret value.", "Ctrl+R", "x", "",
              needsSensitive);
    t << make("entry.theirs", "entry", "Take theirs", "Drop my edit and take the value the store holds now.",
              "Ctrl+Alt+T", "T");
    t << writing(make("entry.mine", "entry", "Keep mine", "Write my edit over theirs (their revision as precondition).",
                      "Ctrl+Alt+M", "M"));
    t << make("entry.merge", "entry", "Merge", "Merge my edit with theirs; conflicts are marked to resolve.",
              "Ctrl+Alt+G", "G");

    // The event log.
    t << make("events.pause", "events", "Pause", "Freeze the list; events keep being collected.", "Space", "p");
    t << make("events.clear", "events", "Clear", "Empty the list.", "Ctrl+Shift+X", "c");
    t << make("events.filter", "events", "Filter", "Filter events by key.", "Ctrl+F", "/");

    // History of one key.
    t << writing(make("history.restore", "history", "Restore", "Write this earlier value back (compare-and-swap).",
                      "Ctrl+Shift+R", "r", "restore", needsKey));

    // Remediation tasks.
    t << make("tasks.open", "tasks", "Feedback", "The task's feedback history.", "Return", "Enter", "", needsKey);
    t << make("tasks.filter", "tasks", "Filter",
              "Filter tasks: text or a regular expression, !text to invert, -l app=x for labels.", "Ctrl+F", "/");
    t << writing(make("tasks.increment", "tasks", "Next iteration",
                      "Count one more iteration (stops at the task's maximum).", "Ctrl+Shift+Up", "+", "inc",
                      needsKey));
    t << writing(make("tasks.feedback", "tasks", "Add feedback", "Add feedback to the task.", "Ctrl+Shift+F", "f",
                      "feedback", needsKey));
    t << writing(make("tasks.resolve", "tasks", "Resolve feedback", "Mark feedback as resolved.", "Ctrl+Shift+D", "r",
                      "resolve", needsKey));
    t << writing(make("tasks.status", "tasks", "Set status", "Set the task's status.", "Ctrl+Shift+S", "S", "status",
                      needsKey));
    t << writing(make("tasks.recover", "tasks", "Recover", "Repair a task whose state does not parse.", "Ctrl+Shift+E",
                      "R", "recover", needsKey));
    t << writing(make("tasks.create", "tasks", "New task",
                      "Create a remediation task (ID [--pr N] [--max-iterations N], as statedeckctl task create).",
                      "Ctrl+Shift+T", "n", "create"));
    t << writing(make("tasks.cleanup", "tasks", "Clean up", "Delete tasks past their retention (never one InProgress).",
                      "Ctrl+Shift+Delete", "Ctrl-X", "cleanup"),
                 true);

    // Jobs (export, import, migrate, verify in progress).
    // Live in every view of the desktop console while a job runs, so a
    // shortcut no view uses; in the TUI's job view Esc, shadowing Back
    // while the job runs (see mayShadow).
    t << make("jobs.cancel", "jobs", "Cancel", "Stop the job; nothing is left half-written.", "Ctrl+Alt+X", "Esc");
    return t;
}

} // namespace

const QList<Action> &Actions::all()
{
    static const QList<Action> table = buildTable();
    return table;
}

const Action *Actions::find(const QString &id)
{
    for (const Action &a : all())
        if (a.id == id)
            return &a;
    return nullptr;
}

QList<const Action *> Actions::forView(const QString &view)
{
    QList<const Action *> out;
    for (const Action &a : all())
        if (a.view == view)
            out << &a;
    for (const Action &a : all())
        if (a.view == QLatin1String("global") && view != QLatin1String("global"))
            out << &a;
    return out;
}

const Action *Actions::byTuiKey(const QString &view, const QString &key)
{
    for (const Action *a : forView(view))
        if (a->tuiKey == key)
            return a;
    return nullptr;
}

const Action *Actions::byCommand(const QString &command)
{
    for (const Action &a : all())
        if (!a.command.isEmpty() && a.command == command)
            return &a;
    return nullptr;
}

QStringList Actions::commands()
{
    QStringList out;
    for (const Action &a : all())
        if (!a.command.isEmpty() && !out.contains(a.command))
            out << a.command;
    out.sort();
    return out;
}

std::optional<QString> Actions::whyNot(const Action &action, const Session *session, const Selection &selection)
{
    if (action.writes && session && session->readOnly())
        return QCoreApplication::translate("Action", "connection \"%1\" is read-only").arg(session->name());
    if (action.guard)
        return action.guard(session, selection);
    return std::nullopt;
}

bool Actions::liveTogether(const Action &a, const Action &b, bool gui)
{
    const QLatin1String global("global"), jobs("jobs");
    if (a.view == b.view || a.view == global || b.view == global)
        return true;
    return gui && (a.view == jobs || b.view == jobs);
}

bool Actions::mayShadow(const Action &own, const Action &global)
{
    return own.view != QLatin1String("global") && global.id == QLatin1String("global.back");
}

QString Actions::normalShortcut(const QString &portable)
{
    static const QStringList order{QStringLiteral("Ctrl"), QStringLiteral("Alt"), QStringLiteral("Shift"),
                                   QStringLiteral("Meta")};
    QString text = portable.trimmed();
    // "Ctrl++" is Ctrl and the plus key.
    QString key;
    if (text.endsWith(QLatin1String("++")) || text == QLatin1String("+")) {
        key = QStringLiteral("+");
        text.chop(text == QLatin1String("+") ? 1 : 2);
    }
    QStringList parts = text.split(QLatin1Char('+'), Qt::SkipEmptyParts);
    if (key.isEmpty() && !parts.isEmpty())
        key = parts.takeLast().trimmed();
    QList<bool> mods(order.size(), false);
    for (const QString &part : std::as_const(parts)) {
        QString m = part.trimmed();
        if (m.compare(QLatin1String("Control"), Qt::CaseInsensitive) == 0)
            m = QStringLiteral("Ctrl");
        bool known = false;
        for (qsizetype i = 0; i < order.size(); ++i)
            if (m.compare(order[i], Qt::CaseInsensitive) == 0)
                mods[i] = known = true;
        if (!known)
            return portable; // not a shortcut this spelling knows; compared as written
    }
    static const QHash<QString, QString> aliases{
        {QStringLiteral("esc"), QStringLiteral("escape")}, {QStringLiteral("del"), QStringLiteral("delete")},
        {QStringLiteral("ins"), QStringLiteral("insert")}, {QStringLiteral("pgup"), QStringLiteral("pageup")},
        {QStringLiteral("pgdown"), QStringLiteral("pagedown")},
    };
    const QString lower = key.toLower();
    const QString name = aliases.value(lower, lower);
    key = name.left(1).toUpper() + name.mid(1); // "Escape", "F2", "P", "Pageup"
    QStringList out;
    for (qsizetype i = 0; i < order.size(); ++i)
        if (mods[i])
            out << order[i];
    out << key;
    return out.join(QLatin1Char('+'));
}

Confirmation Actions::confirmationFor(const Action &action, bool production)
{
    if (action.destructive && production)
        return Confirmation::TypeKeyName;
    return action.confirmation;
}

} // namespace sd::console
