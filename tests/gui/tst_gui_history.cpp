// The desktop console's history of a key over SQLite (a store that keeps
// earlier values): Ctrl+H lists the versions newest first with what
// restoring each would change; "Diff with previous" selects the one before
// the current value; Restore asks, then writes the old value back at the
// revision read, and refuses (writing nothing) when another process
// changed the key meanwhile. Read-only connections and stores without
// history say why the actions are off.
#include "GuiTestSupport.h"
#include "HistoryDialog.h"
#include "console/HistoryModel.h"

#include <QCheckBox>
#include <QLabel>
#include <QTableView>

using namespace sd;
using namespace sd::console;
using namespace sd::widgets;
using namespace sd::test::gui;
using sd::test::await;

class TestGuiHistory : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_stores = 0;

    struct Fixture {
        std::unique_ptr<Provider> writer; // another process's connection
        std::unique_ptr<MainWindow> window;
        ConsolePane *pane = nullptr;
        QString path;
    };

    // A key written three times: replicas 1, 2, then 3 (current).
    Fixture open(bool readOnly = false)
    {
        Fixture f;
        f.path = m_dir.filePath(QStringLiteral("history%1.db").arg(++m_stores));
        f.writer = std::move(openProvider(sqliteSpec(f.path)).value());
        if (!fill(f.writer.get(), {{QStringLiteral("once"), Json{{"n", 1}}}}))
            return f;
        for (int replicas = 1; replicas <= 3; ++replicas)
            if (!fill(f.writer.get(), {{QStringLiteral("app/config"), Json{{"replicas", replicas}, {"image", "web:1"}}}}))
                return f;
        f.window = makeWindow(testOptions(m_dir.filePath(QStringLiteral("connections.yaml")), readOnly));
        if (!f.window->openSpec(sqliteSpec(f.path), QStringLiteral("test")))
            return f;
        f.pane = f.window->currentPane();
        settled(f.pane);
        return f;
    }

    static bool loaded(HistoryDialog *d, int rows)
    {
        return QTest::qWaitFor([&] { return !d->model()->isLoading() && d->model()->rowCount() == rows; }, 20000);
    }

    static int selectedRow(HistoryDialog *d)
    {
        const QModelIndex i = d->table()->selectionModel()->currentIndex();
        return i.isValid() ? i.row() : -1;
    }

    static Json valueOf(Fixture &f, const QString &key)
    {
        const auto e = await(f.writer->get(key));
        return e.ok() ? e->value : Json();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(isolateHome(m_dir)); }

    // History and "diff with previous": the versions newest first, and the
    // change restoring the selected one would make, as a coloured diff.
    void testListAndDiff_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<int>("selected");
        QTest::newRow("history: the current value first") << "keys.history" << 0;
        QTest::newRow("diff with previous") << "keys.diff" << 1;
    }

    void testListAndDiff()
    {
        QFETCH(QString, action);
        QFETCH(int, selected);
        Fixture f = open();
        QVERIFY(f.pane);
        QVERIFY(openKey(f.pane, QStringLiteral("app/config")));
        QVERIFY(f.window->action(action)->isEnabled());
        f.window->run(action);
        auto *d = waitForDialog<HistoryDialog>(f.pane);
        QVERIFY(d);
        QVERIFY(loaded(d, 3));
        QTRY_COMPARE(selectedRow(d), selected);
        QVERIFY(d->model()->index(0, 0).data(HistoryModel::CurrentRole).toBool());
        d->selectRow(1);
        // Restoring revision "replicas 2" over "replicas 3".
        const QString diff = d->diffView()->toPlainText();
        QVERIFY2(diff.contains(QLatin1String("-  \"replicas\": 3")), qPrintable(diff));
        QVERIFY2(diff.contains(QLatin1String("+  \"replicas\": 2")), qPrintable(diff));
        QVERIFY(d->restoreButton()->isEnabled());
        // The current value is not something to restore.
        d->selectRow(0);
        QVERIFY(!d->restoreButton()->isEnabled());
        QCOMPARE(d->restoreButton()->toolTip(), QStringLiteral("this is the current value"));
        QVERIFY(d->diffView()->toPlainText().contains(QLatin1String("\"replicas\": 3")));
        shot(d, QStringLiteral("history-") + QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('-')));
        // Asking again raises the same dialog.
        f.window->run(action);
        QCOMPARE(f.pane->findChildren<HistoryDialog *>().size(), 1);
    }

    // Restore asks first; then writes the old value back, or, when another
    // process wrote in between, writes nothing and says so.
    void testRestore_data()
    {
        QTest::addColumn<int>("row");
        QTest::addColumn<bool>("changedMeanwhile");
        QTest::addColumn<int>("replicasAfter");
        QTest::newRow("the oldest") << 2 << false << 1;
        QTest::newRow("the previous") << 1 << false << 2;
        QTest::newRow("changed meanwhile: nothing written") << 2 << true << 9;
    }

    void testRestore()
    {
        QFETCH(int, row);
        QFETCH(bool, changedMeanwhile);
        QFETCH(int, replicasAfter);
        Fixture f = open();
        QVERIFY(f.pane);
        QVERIFY(openKey(f.pane, QStringLiteral("app/config")));
        HistoryDialog *d = f.pane->showHistory(QStringLiteral("app/config"), false);
        QVERIFY(loaded(d, 3));
        d->selectRow(row);
        if (changedMeanwhile)
            QVERIFY(fill(f.writer.get(), {{QStringLiteral("app/config"), Json{{"replicas", 9}, {"image", "web:1"}}}}));
        d->restoreButton()->click();
        auto *confirm = waitForDialog<ConfirmDialog>(d);
        QVERIFY(confirm);
        QVERIFY(confirm->windowTitle().contains(QLatin1String("app/config")));
        confirm->confirmButton()->click();
        if (changedMeanwhile) {
            // The list is read again and shows the change that won.
            QTRY_VERIFY_WITH_TIMEOUT(said(f.window.get(), QStringLiteral("not restored")), 20000);
            QVERIFY(loaded(d, 4));
            const QString status = d->findChild<QLabel *>(QStringLiteral("historyStatus"))->text();
            QVERIFY2(status.startsWith(QLatin1String("Not restored: the key changed")), qPrintable(status));
        } else {
            QTRY_COMPARE_WITH_TIMEOUT(valueOf(f, QStringLiteral("app/config")).value("replicas", -1), replicasAfter, 20000);
            QTRY_VERIFY_WITH_TIMEOUT(said(f.window.get(), QStringLiteral("restored to the value of revision")), 20000);
            // The restore is a new version on top.
            QVERIFY(loaded(d, 4));
        }
        QCOMPARE(valueOf(f, QStringLiteral("app/config")).value("replicas", -1), replicasAfter);
        QCOMPARE(valueOf(f, QStringLiteral("app/config")).value("image", std::string()), std::string("web:1"));
    }

    // A read-only connection shows history but does not restore, and says why.
    void testReadOnly()
    {
        Fixture f = open(true);
        QVERIFY(f.pane);
        QVERIFY(openKey(f.pane, QStringLiteral("app/config")));
        HistoryDialog *d = f.pane->showHistory(QStringLiteral("app/config"), true);
        QVERIFY(loaded(d, 3));
        QTRY_COMPARE(selectedRow(d), 1);
        QVERIFY(!d->restoreButton()->isEnabled());
        QVERIFY2(d->restoreButton()->toolTip().contains(QLatin1String("read-only")), qPrintable(d->restoreButton()->toolTip()));
        d->restoreSelected(); // refused before it asks
        QVERIFY(d->findChildren<ConfirmDialog *>().isEmpty());
    }

    // A key written once has nothing earlier; a store that keeps no history
    // (YAML files) has the actions off, saying why.
    void testNothingEarlier()
    {
        Fixture f = open();
        QVERIFY(f.pane);
        QVERIFY(openKey(f.pane, QStringLiteral("once")));
        HistoryDialog *d = f.pane->showHistory(QStringLiteral("once"), true);
        QVERIFY(loaded(d, 1));
        QVERIFY(d->findChild<QLabel *>(QStringLiteral("historyStatus"))->text().contains(QLatin1String("no earlier value")));
        QVERIFY(!d->restoreButton()->isEnabled());

        const QString yamlDir = m_dir.filePath(QStringLiteral("yaml-state"));
        QVERIFY(QDir().mkpath(yamlDir));
        QFile file(yamlDir + QStringLiteral("/app.yaml"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("replicas: 2\n");
        file.close();
        QVERIFY(f.window->openStore(QStringLiteral("yaml://") + yamlDir));
        ConsolePane *yaml = f.window->currentPane();
        QVERIFY(yaml != f.pane);
        QVERIFY(settled(yaml));
        QVERIFY(yaml->keyBrowser()->keyModel()->loadedCount() > 0);
        const QString key = yaml->keyBrowser()->keyModel()->index(0, 0).data(KeyRole).toString();
        QVERIFY(openKey(yaml, key));
        f.window->updateActions();
        QCOMPARE(f.window->action(QStringLiteral("keys.history"))->toolTip(),
                 QStringLiteral("this store keeps no history of its keys"));
    }
};

QTEST_MAIN(TestGuiHistory)
#include "tst_gui_history.moc"
