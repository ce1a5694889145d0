#include "console/KeyBindings.h"

#include "util/YamlJson.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QSet>

#include <yaml-cpp/yaml.h>

namespace sd::console {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Keys", text);
}

QString at(const QString &path, const YAML::Node &node)
{
    return QStringLiteral("%1:%2").arg(path).arg(node.Mark().line + 1);
}

// One section (`tui:` or `gui:`): action id -> key, with the line of each.
Result<QHash<QString, QString>> readSection(const YAML::Node &section, const QString &path, QHash<QString, int> *lines)
{
    QHash<QString, QString> out;
    if (!section)
        return out;
    if (!section.IsMap())
        return Error(ErrorKind::Invalid, tr("expected a mapping of action ids to keys"), at(path, section));
    for (auto it = section.begin(); it != section.end(); ++it) {
        const QString id = QString::fromStdString(it->first.as<std::string>());
        if (!Actions::find(id))
            return Error(ErrorKind::Invalid,
                         tr("unknown action \"%1\"; expected an id of the action table, such as keys.edit").arg(id),
                         at(path, it->first));
        if (!it->second.IsScalar() || it->second.Scalar().empty())
            return Error(ErrorKind::Invalid, tr("expected a key for %1").arg(id), at(path, it->first));
        out.insert(id, QString::fromStdString(it->second.Scalar()).trimmed());
        lines->insert(id, it->first.Mark().line + 1);
    }
    return out;
}

// No two actions live together (Actions::liveTogether: a view's with the
// global ones, and in the GUI the jobs ones with every view) on one key,
// GUI shortcuts compared in one spelling; in the TUI a view's own action
// may shadow global.back (Actions::mayShadow). Only clashes the file made
// count: the table's own keys are the table's business (and tested there).
Status checkClashes(const QString &path, const QString &section, bool gui, const QHash<QString, QString> &chosen,
                    const std::function<QString(const Action &)> &keyOf, const QHash<QString, int> &lines)
{
    const QList<Action> &all = Actions::all();
    for (qsizetype i = 0; i < all.size(); ++i) {
        const Action &other = all[i];
        const QString otherKey = keyOf(other);
        if (otherKey.isEmpty())
            continue;
        for (qsizetype j = i + 1; j < all.size(); ++j) {
            const Action &a = all[j];
            if (!chosen.contains(a.id) && !chosen.contains(other.id))
                continue;
            const QString key = keyOf(a);
            if (key.isEmpty() || !Actions::liveTogether(other, a, gui))
                continue;
            if (gui ? Actions::normalShortcut(key) != Actions::normalShortcut(otherKey) : key != otherKey)
                continue;
            if (!gui && (Actions::mayShadow(other, a) || Actions::mayShadow(a, other)))
                continue;
            // Named by the view where they meet, and by the key as the file wrote it.
            const QLatin1String global("global"), jobs("jobs");
            const QString view = a.view == global || (a.view == jobs && other.view != global) ? other.view : a.view;
            const QString written = chosen.contains(a.id) ? key : otherKey;
            const int line = std::max(lines.value(a.id), lines.value(other.id));
            return Error(ErrorKind::Invalid,
                         tr("%1 and %2 both take %3 \"%4\" in the %5 view").arg(other.id, a.id, section, written, view),
                         QStringLiteral("%1:%2").arg(path).arg(line));
        }
    }
    return {};
}

} // namespace

QString KeyBindings::defaultPath()
{
    QString base = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (base.isEmpty() || !QDir::isAbsolutePath(base))
        base = QDir::homePath() + QStringLiteral("/.config");
    return base + QStringLiteral("/statedeck/keys.yaml");
}

Result<KeyBindings> KeyBindings::load(const QString &path, bool required)
{
    KeyBindings b;
    QFile f(path);
    if (!f.exists() && !required)
        return b;
    if (!f.open(QIODevice::ReadOnly))
        return Error(ErrorKind::Invalid, tr("cannot read the key bindings: %1").arg(f.errorString()), path);
    YAML::Node root;
    try {
        root = YAML::Load(f.readAll().toStdString());
    } catch (const YAML::Exception &e) {
        return yamlError(e, path);
    }
    if (root.IsNull())
        return b;
    if (!root.IsMap())
        return Error(ErrorKind::Invalid, tr("expected the sections tui: and gui:"), at(path, root));
    QHash<QString, int> lines;
    for (auto it = root.begin(); it != root.end(); ++it) {
        const std::string name = it->first.as<std::string>();
        if (name != "tui" && name != "gui")
            return Error(ErrorKind::Invalid,
                         tr("unknown section \"%1\"; expected tui or gui").arg(QString::fromStdString(name)),
                         at(path, it->first));
    }
    auto tui = readSection(root["tui"], path, &lines);
    if (!tui.ok())
        return tui.error();
    auto gui = readSection(root["gui"], path, &lines);
    if (!gui.ok())
        return gui.error();
    b.m_tui = tui.value();
    b.m_gui = gui.value();
    if (Status s = checkClashes(path, QStringLiteral("key"), false, b.m_tui,
                                [&b](const Action &a) { return b.tuiKey(a); }, lines);
        !s.ok())
        return s.error();
    if (Status s = checkClashes(path, QStringLiteral("shortcut"), true, b.m_gui,
                                [&b](const Action &a) { return b.guiShortcut(a); }, lines);
        !s.ok())
        return s.error();
    return b;
}

QString KeyBindings::tuiKey(const Action &action) const
{
    return m_tui.value(action.id, action.tuiKey);
}

QString KeyBindings::guiShortcut(const Action &action) const
{
    return m_gui.value(action.id, action.guiShortcut);
}

const Action *KeyBindings::byTuiKey(const QString &view, const QString &key) const
{
    if (m_tui.isEmpty())
        return Actions::byTuiKey(view, key);
    for (const Action *a : Actions::forView(view))
        if (tuiKey(*a) == key)
            return a;
    return nullptr;
}

} // namespace sd::console
