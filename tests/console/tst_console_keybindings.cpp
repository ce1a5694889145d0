// KeyBindings: a user's keys over the action table's, from a YAML file. A
// file with an unknown action, a key two actions of one view would share,
// or a shape that is not `tui:`/`gui:` mappings is refused as a whole,
// naming FILE:LINE; a missing default file is the table's keys.
#include "console/KeyBindings.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;

class TestConsoleKeyBindings : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    QString write(const QString &name, const QByteArray &text)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write %s", qPrintable(path));
        f.write(text);
        return path;
    }

private Q_SLOTS:
    void testRebinds()
    {
        const QString path = write(QStringLiteral("ok.yaml"), "# mine\n"
                                                              "tui:\n"
                                                              "  keys.edit: E\n"
                                                              "  global.help: F1\n"
                                                              "gui:\n"
                                                              "  keys.edit: Ctrl+Alt+E\n");
        const Result<KeyBindings> b = KeyBindings::load(path, true);
        QVERIFY2(b.ok(), qPrintable(b.ok() ? QString() : b.error().toString()));
        const Action *edit = Actions::find(QStringLiteral("keys.edit"));
        QCOMPARE(b->tuiKey(*edit), QStringLiteral("E"));
        QCOMPARE(b->guiShortcut(*edit), QStringLiteral("Ctrl+Alt+E"));
        // What the file leaves alone keeps the table's key.
        const Action *del = Actions::find(QStringLiteral("keys.delete"));
        QCOMPARE(b->tuiKey(*del), del->tuiKey);
        QCOMPARE(b->byTuiKey(QStringLiteral("keys"), QStringLiteral("E"))->id, QStringLiteral("keys.edit"));
        QVERIFY(!b->byTuiKey(QStringLiteral("keys"), QStringLiteral("e")));
        // A global action rebound is rebound in every view.
        QCOMPARE(b->byTuiKey(QStringLiteral("tasks"), QStringLiteral("F1"))->id, QStringLiteral("global.help"));
        QVERIFY(!b->byTuiKey(QStringLiteral("tasks"), QStringLiteral("?")));
    }

    // The table's own exceptions hold for a file too: a TUI view's own key
    // may shadow global.back (Esc), and the jobs keys of the TUI are the
    // job view's alone (Ctrl-X there does not clash with tasks.cleanup).
    void testShadowingBack()
    {
        const QString path = write(QStringLiteral("shadow.yaml"), "tui:\n"
                                                                  "  events.pause: Esc\n"
                                                                  "  jobs.cancel: Ctrl-X\n");
        const Result<KeyBindings> b = KeyBindings::load(path, true);
        QVERIFY2(b.ok(), qPrintable(b.ok() ? QString() : b.error().toString()));
        QCOMPARE(b->byTuiKey(QStringLiteral("events"), QStringLiteral("Esc"))->id, QStringLiteral("events.pause"));
        QCOMPARE(b->byTuiKey(QStringLiteral("keys"), QStringLiteral("Esc"))->id, QStringLiteral("global.back"));
        QCOMPARE(b->byTuiKey(QStringLiteral("jobs"), QStringLiteral("Esc"))->id, QStringLiteral("global.back"));
        QCOMPARE(b->byTuiKey(QStringLiteral("jobs"), QStringLiteral("Ctrl-X"))->id, QStringLiteral("jobs.cancel"));
        QCOMPARE(b->byTuiKey(QStringLiteral("tasks"), QStringLiteral("Ctrl-X"))->id, QStringLiteral("tasks.cleanup"));
    }

    void testDefaults()
    {
        const Result<KeyBindings> none = KeyBindings::load(m_dir.filePath(QStringLiteral("absent.yaml")), false);
        QVERIFY(none.ok());
        QVERIFY(none->isEmpty());
        QCOMPARE(none->byTuiKey(QStringLiteral("keys"), QStringLiteral("e"))->id, QStringLiteral("keys.edit"));
        const Result<KeyBindings> empty = KeyBindings::load(write(QStringLiteral("empty.yaml"), ""), true);
        QVERIFY(empty.ok());
        QVERIFY(empty->isEmpty());
    }

    void testRefused_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("where"); // FILE:LINE, after the file name
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown action") << QByteArray("tui:\n  keys.edit: E\n  keys.edt: x\n") << ":3"
                                        << "unknown action \"keys.edt\"";
        QTest::newRow("a key taken in the view") << QByteArray("tui:\n  keys.edit: d\n") << ":2"
                                                 << "both take key \"d\" in the keys view";
        QTest::newRow("a global key taken") << QByteArray("tui:\n  global.help: e\n") << ":2" << "take key \"e\"";
        QTest::newRow("a GUI shortcut taken") << QByteArray("gui:\n  keys.new: F2\n") << ":2"
                                              << "both take shortcut \"F2\"";
        // jobs.cancel is live in every view of the GUI while a job runs.
        QTest::newRow("a jobs shortcut taken in a view") << QByteArray("gui:\n  jobs.cancel: Ctrl+F\n") << ":2"
                                                         << "keys.filter and jobs.cancel both take shortcut \"Ctrl+F\" in the keys view";
        // Shortcuts compare in one spelling: this is keys.copyKey's Ctrl+Shift+C.
        QTest::newRow("a shortcut spelled otherwise") << QByteArray("gui:\n  keys.new: shift+ctrl+c\n") << ":2"
                                                      << "both take shortcut \"shift+ctrl+c\" in the keys view";
        // Only global.back may be shadowed by a view's own TUI key.
        QTest::newRow("a global TUI key shadowed") << QByteArray("tui:\n  jobs.cancel: \"?\"\n") << ":2"
                                                   << "take key \"?\" in the jobs view";
        QTest::newRow("unknown section") << QByteArray("tui:\n  keys.edit: E\nweb:\n  x: y\n") << ":3"
                                         << "unknown section \"web\"";
        QTest::newRow("not a mapping") << QByteArray("tui:\n  - keys.edit\n") << ":2" << "expected a mapping";
        QTest::newRow("no key") << QByteArray("tui:\n  keys.edit:\n") << ":2" << "expected a key for keys.edit";
        QTest::newRow("not YAML") << QByteArray("tui: [\n") << ":2" << "";
    }

    void testRefused()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, where);
        QFETCH(QString, message);
        const QString path = write(QStringLiteral("bad.yaml"), text);
        const Result<KeyBindings> b = KeyBindings::load(path, true);
        QVERIFY(!b.ok());
        const QString e = b.error().toString();
        QVERIFY2(e.contains(path + where), qPrintable(e));
        QVERIFY2(e.contains(message), qPrintable(e));
    }

    void testNamedFileMissing()
    {
        const QString path = m_dir.filePath(QStringLiteral("nope.yaml"));
        const Result<KeyBindings> b = KeyBindings::load(path, true);
        QVERIFY(!b.ok());
        QVERIFY2(b.error().toString().contains(path), qPrintable(b.error().toString()));
    }
};

QTEST_GUILESS_MAIN(TestConsoleKeyBindings)
#include "tst_console_keybindings.moc"
