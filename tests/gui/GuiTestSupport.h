#pragma once

// Helpers of the desktop console's suites (tests/gui/tst_gui_*.cpp): a
// window over a store of the test's own, and ways to drive it as a user
// would (select, type, answer dialogs), waiting on signals and QTRY_*,
// never on fixed sleeps.

#include "CodeEditor.h"
#include "ConnectionsSidebar.h"
#include "ConsolePane.h"
#include "Dialogs.h"
#include "EntryPanel.h"
#include "KeyBrowser.h"
#include "MainWindow.h"
#include "NotificationArea.h"
#include "TestSupport.h"
#include "config/StoreSpec.h"
#include "console/FilterModel.h"
#include "console/KeyModel.h"
#include "console/Session.h"
#include "providers/Backends.h"

#include <QApplication>
#include <QDir>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <memory>

namespace sd::test::gui {

// Settings, connections.yaml and the embedded store of this test process
// under its own folder, never the user's.
inline bool isolateHome(const QTemporaryDir &dir)
{
    if (!dir.isValid())
        return false;
    qputenv("XDG_CONFIG_HOME", dir.filePath(QStringLiteral("config")).toUtf8());
    qputenv("XDG_DATA_HOME", dir.filePath(QStringLiteral("data")).toUtf8());
    return true;
}

// The options of a window that reads no user settings, no kubeconfig and a
// connections.yaml of the test's own (`connectionsPath`, may not exist).
inline widgets::MainWindow::Options testOptions(const QString &connectionsPath, bool readOnly = false)
{
    widgets::MainWindow::Options o;
    o.sources.connectionsPath = connectionsPath;
    o.sources.useKubeconfig = false;
    o.useSettings = false;
    o.theme = QStringLiteral("light");
    o.readOnly = readOnly;
    return o;
}

// Such a window, shown at the size the suites' pictures have.
inline std::unique_ptr<widgets::MainWindow> makeWindow(const widgets::MainWindow::Options &options)
{
    auto w = std::make_unique<widgets::MainWindow>(options);
    w->resize(1280, 800);
    w->show();
    return w;
}

inline std::unique_ptr<widgets::MainWindow> makeWindow(const QString &connectionsPath, const QString &theme = {})
{
    widgets::MainWindow::Options o = testOptions(connectionsPath);
    if (!theme.isEmpty())
        o.theme = theme;
    return makeWindow(o);
}

inline StoreSpec sqliteSpec(const QString &path)
{
    StoreSpec spec;
    spec.backend = QStringLiteral("sqlite");
    spec.origin = QStringLiteral("test");
    spec.options.insert(QStringLiteral("path"), path);
    return spec;
}

// A store of the Kubernetes emulator: `resource` ("configmaps", "secrets")
// in `ns`, as the admin context of the emulator's kubeconfig.
inline StoreSpec kubeSpec(const QString &kubeconfig, const QString &ns, const QString &resource)
{
    StoreSpec spec;
    spec.backend = QStringLiteral("kubernetes");
    spec.origin = QStringLiteral("test");
    spec.options.insert(QStringLiteral("kubeconfig"), kubeconfig);
    spec.options.insert(QStringLiteral("context"), QStringLiteral("admin"));
    spec.options.insert(QStringLiteral("namespace"), ns);
    spec.options.insert(QStringLiteral("resource"), resource);
    return spec;
}

// Writes keys straight into a store (set-up, before or beside the window).
inline bool fill(Provider *p, const QList<QPair<QString, Json>> &entries)
{
    QList<BatchItem> items;
    for (const auto &[key, value] : entries) {
        BatchItem item;
        item.entry.key = key;
        item.entry.value = value;
        items << item;
        if (items.size() == 1000) {
            if (await(p->putBatch(items), 60000).failed() != 0)
                return false;
            items.clear();
        }
    }
    return items.isEmpty() || await(p->putBatch(items), 60000).failed() == 0;
}

// The first page listed and the watch live.
inline bool settled(widgets::ConsolePane *pane)
{
    return QTest::qWaitFor(
        [pane] {
            const auto *keys = pane->keyBrowser()->keyModel();
            return !keys->listingInFlight() && (keys->loadedCount() > 0 || keys->listingComplete())
                   && pane->session()->freshness().state != console::Freshness::Connecting;
        },
        20000);
}

// Selects a key the way a click does and waits until its value is open.
inline bool openKey(widgets::ConsolePane *pane, const QString &key)
{
    if (!QTest::qWaitFor([&] { return pane->keyBrowser()->selectKey(key); }, 20000))
        return false;
    return QTest::qWaitFor(
        [&] { return pane->entryPanel()->hasEntry() && pane->entryPanel()->document()->key() == key; }, 20000);
}

// Replaces the editor's text as typing would (through the editor, so the
// panel's own path from editor to document is what is tested).
inline void typeText(widgets::EntryPanel *panel, const QString &text)
{
    widgets::CodeEditor *editor = panel->editor();
    editor->setFocus();
    editor->selectAll();
    editor->insertPlainText(text);
    panel->flushEdits();
}

template <typename Dialog>
Dialog *waitForDialog(QWidget *parent)
{
    Dialog *found = nullptr;
    (void)QTest::qWaitFor( // found stays null on a timeout
        [&] {
            for (Dialog *d : parent->findChildren<Dialog *>())
                if (d->isVisible())
                    found = d;
            return found != nullptr;
        },
        20000);
    return found;
}

// Whether any message of the window's session says `text` (a later one may
// have replaced it in the status bar).
inline bool said(widgets::MainWindow *w, const QString &text)
{
    for (const widgets::NotificationArea::Message &m : w->notifications()->messages())
        if (m.text.contains(text))
            return true;
    return false;
}

// With STATEDECK_SCREENSHOTS=DIR set, saves a picture of a widget there:
// a way to look at dialogs and states the window reaches only in a test.
inline void shot(QWidget *w, const QString &name)
{
    const QString dir = qEnvironmentVariable("STATEDECK_SCREENSHOTS");
    if (dir.isEmpty() || !w)
        return;
    QDir().mkpath(dir);
    QApplication::processEvents(); // pending layouts first
    w->grab().save(dir + QLatin1Char('/') + name + QStringLiteral(".png"));
}

} // namespace sd::test::gui
