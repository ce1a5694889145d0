// The connection editor of the desktop console: add, edit (and rename),
// test and remove connections of connections.yaml from the sidebar. Fields
// are checked as the user types; the file keeps its comments; a production
// connection wants its name typed before it goes; a file changed meanwhile
// is never overwritten, and the dialog keeps the user's input.
#include "ConnectionDialog.h"
#include "GuiTestSupport.h"
#include "util/AtomicFile.h"

#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QToolButton>

using namespace sd;
using namespace sd::widgets;
using namespace sd::test::gui;

namespace {

// The file as it is on disk (empty when missing), and a write as another
// program would make it, through the core's whole-file helpers.
QByteArray read(const QString &path)
{
    const Result<QByteArray> bytes = readWholeFile(path);
    return bytes.ok() ? bytes.value() : QByteArray();
}
bool write(const QString &path, const QByteArray &bytes) { return writeFileAtomically(path, bytes).ok(); }

const char *kFile = "# team connections: keep this comment\n"
                    "connections:\n"
                    "  # the shared one\n"
                    "  shared:\n"
                    "    url: %1\n"
                    "    production: true\n"
                    "# trailing comment\n";

QAction *sidebarAction(MainWindow *w, const char *name)
{
    for (QAction *a : w->sidebar()->view()->actions())
        if (a->objectName() == QLatin1String(name))
            return a;
    return nullptr;
}

// Types into a field as a user would (so it counts as edited).
void retype(QLineEdit *edit, const QString &text)
{
    edit->setFocus();
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}

} // namespace

class TestGuiConnections : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;
    int m_round = 0;
    QString m_path;
    QString m_db;

    std::unique_ptr<MainWindow> window()
    {
        const QString dir = m_home.filePath(QStringLiteral("r%1").arg(++m_round));
        QDir().mkpath(dir);
        m_path = dir + QStringLiteral("/connections.yaml");
        m_db = dir + QStringLiteral("/shared.db");
        auto p = openProvider(sqliteSpec(m_db));
        if (!p.ok() || !fill(p->get(), {{QStringLiteral("a"), Json(1)}, {QStringLiteral("b"), Json(2)}}))
            return nullptr;
        if (!write(m_path, QByteArray(kFile).replace("%1", m_db.toUtf8())))
            return nullptr;
        return makeWindow(m_path);
    }

    ConnectionDialog *select(MainWindow *w, const QString &name)
    {
        w->sidebar()->setCurrent(QStringLiteral("connection:") + name);
        if (w->sidebar()->selectedConnection() != name)
            return nullptr;
        sidebarAction(w, "editConnection")->trigger();
        return waitForDialog<ConnectionDialog>(w);
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(isolateHome(m_home)); }

    void testAdd()
    {
        auto w = window();
        QVERIFY(w);
        w->sidebar()->findChild<QToolButton *>(QStringLiteral("addConnection"))->click();
        ConnectionDialog *d = waitForDialog<ConnectionDialog>(w.get());
        QVERIFY(d);
        QVERIFY(!d->saveButton()->isEnabled()); // nothing typed yet
        QVERIFY(!d->problemLabel(QStringLiteral("name"))->isVisible()); // and no scolding for it

        // Problems appear beside their field as the user types.
        retype(d->field(QStringLiteral("name")), QStringLiteral("shared"));
        QTRY_VERIFY(d->problemLabel(QStringLiteral("name"))->isVisible());
        QVERIFY(d->problemLabel(QStringLiteral("name"))->text().contains(QLatin1String("exists already")));
        retype(d->field(QStringLiteral("name")), QStringLiteral("laptop"));
        QVERIFY(!d->problemLabel(QStringLiteral("name"))->isVisible());
        retype(d->field(QStringLiteral("url")), QStringLiteral("redis://localhost:port"));
        QVERIFY(d->problemLabel(QStringLiteral("url"))->isVisible());
        QVERIFY(!d->saveButton()->isEnabled());
        retype(d->field(QStringLiteral("url")), QStringLiteral("sqlite://") + m_db);
        QVERIFY(!d->problemLabel(QStringLiteral("url"))->isVisible());
        retype(d->field(QStringLiteral("color")), QStringLiteral("green"));
        QVERIFY(d->problemLabel(QStringLiteral("color"))->isVisible());
        QVERIFY(!d->saveButton()->isEnabled());
        retype(d->field(QStringLiteral("color")), QStringLiteral("#27ae60"));
        d->flag(QStringLiteral("readOnly"))->setChecked(true);
        QVERIFY(d->saveButton()->isEnabled());

        // Test reads the store without saving anything.
        d->testButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(d->resultLabel()->text().contains(QLatin1String("answered with 2 keys")), 20000);
        QVERIFY(!read(m_path).contains("laptop"));
        shot(d, QStringLiteral("connection-dialog"));

        d->saveButton()->click();
        QTRY_VERIFY(!d->isVisible());
        const QByteArray after = read(m_path);
        QVERIFY(after.startsWith("# team connections: keep this comment\n"));
        QVERIFY(after.contains("  # the shared one\n"));
        QVERIFY(after.contains("laptop:"));
        QVERIFY(w->sidebar()->ids().contains(QStringLiteral("connection:laptop")));
        QVERIFY(w->sidebar()->itemText(QStringLiteral("connection:laptop")).contains(QLatin1String("[read-only]")));
        QVERIFY(said(w.get(), QStringLiteral("Connection laptop added")));
        // The new connection opens, read-only as saved.
        QVERIFY(w->openConnection(QStringLiteral("connection:laptop")));
        QVERIFY(settled(w->currentPane()));
        QVERIFY(w->currentPane()->session()->readOnly());
    }

    void testEditAndRename()
    {
        auto w = window();
        QVERIFY(w);
        ConnectionDialog *d = select(w.get(), QStringLiteral("shared"));
        QVERIFY(d);
        QCOMPARE(d->field(QStringLiteral("url"))->text(), m_db);
        QVERIFY(d->flag(QStringLiteral("production"))->isChecked());
        retype(d->field(QStringLiteral("name")), QStringLiteral("shared-eu"));
        retype(d->field(QStringLiteral("description")), QStringLiteral("the EU copy"));
        d->flag(QStringLiteral("sensitive"))->setChecked(true);
        QVERIFY(d->saveButton()->isEnabled());
        d->saveButton()->click();
        QTRY_VERIFY(!d->isVisible());
        QVERIFY(w->sidebar()->ids().contains(QStringLiteral("connection:shared-eu")));
        QVERIFY(!w->sidebar()->ids().contains(QStringLiteral("connection:shared")));
        const QString shown = w->sidebar()->itemText(QStringLiteral("connection:shared-eu"));
        QVERIFY2(shown.contains(QLatin1String("[production]")) && shown.contains(QLatin1String("[secrets]")),
                 qPrintable(shown));
        const QByteArray after = read(m_path);
        QVERIFY(after.contains("  # the shared one\n  shared-eu:\n"));
        QVERIFY(after.contains("# trailing comment"));
    }

    // Someone edits the file while the dialog is open: nothing is
    // overwritten and the dialog keeps what the user typed.
    void testChangedMeanwhile()
    {
        auto w = window();
        QVERIFY(w);
        ConnectionDialog *d = select(w.get(), QStringLiteral("shared"));
        QVERIFY(d);
        retype(d->field(QStringLiteral("description")), QStringLiteral("mine"));
        const QByteArray theirs = read(m_path) + "# someone else was here\n";
        QVERIFY(write(m_path, theirs));
        d->saveButton()->click();
        QVERIFY(d->isVisible());
        QVERIFY2(d->resultLabel()->text().contains(QLatin1String("changed on disk")), qPrintable(d->resultLabel()->text()));
        QCOMPARE(d->field(QStringLiteral("description"))->text(), QStringLiteral("mine"));
        QCOMPARE(read(m_path), theirs);
        d->reject();
    }

    // A production connection wants its name typed before it is removed.
    void testRemoveProduction()
    {
        auto w = window();
        QVERIFY(w);
        w->sidebar()->setCurrent(QStringLiteral("connection:shared"));
        sidebarAction(w.get(), "removeConnection")->trigger();
        ConfirmDialog *ask = waitForDialog<ConfirmDialog>(w.get());
        QVERIFY(ask);
        QVERIFY(ask->typedName());
        QVERIFY(!ask->confirmButton()->isEnabled());
        QTest::keyClicks(ask->typedName(), QStringLiteral("share"));
        QVERIFY(!ask->confirmButton()->isEnabled());
        QTest::keyClicks(ask->typedName(), QStringLiteral("d"));
        QVERIFY(ask->confirmButton()->isEnabled());
        ask->confirmButton()->click();
        QTRY_VERIFY(!w->sidebar()->ids().contains(QStringLiteral("connection:shared")));
        const QByteArray after = read(m_path);
        QVERIFY(!after.contains("shared:"));
        QVERIFY(after.startsWith("# team connections: keep this comment\n"));
        // The store itself is untouched.
        auto p = openProvider(sqliteSpec(m_db));
        QVERIFY(p.ok());
        QVERIFY(sd::test::await(p.value()->get(QStringLiteral("a"))).ok());
    }

    // A file that does not parse: said where, and no dialog over it.
    void testBrokenFile()
    {
        auto w = window();
        QVERIFY(w);
        QVERIFY(write(m_path, "connections:\n  a: {url: [\n"));
        w->sidebar()->findChild<QToolButton *>(QStringLiteral("addConnection"))->click();
        QTRY_VERIFY(said(w.get(), m_path + QLatin1Char(':')));
        QVERIFY(said(w.get(), QStringLiteral("Cannot edit connections")));
        for (ConnectionDialog *d : w->findChildren<ConnectionDialog *>())
            QVERIFY(!d->isVisible());
    }
};

QTEST_MAIN(TestGuiConnections)
#include "tst_gui_connections.moc"
