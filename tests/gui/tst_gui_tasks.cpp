// The desktop console's remediation view over SQLite, driven as an operator
// drives it: Go → Tasks shows the task table with the most urgent task's
// feedback, and each tasks.* action goes through its dialog (feedback,
// resolve, status, cleanup with its preview answered Cancel, then Delete)
// to the store; another process's change shows up without a refresh; a
// read-only connection refuses every task action before it runs.
#include "GuiTestSupport.h"
#include "FeedbackChart.h"
#include "TasksView.h"
#include "console/FeedbackModel.h"
#include "console/TaskTableModel.h"
#include "remediation/RemediationManager.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QTableView>

using namespace sd;
using namespace sd::console;
using namespace sd::remediation;
using namespace sd::widgets;
using namespace sd::test::gui;
using sd::test::await;

class TestGuiTasks : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_stores = 0;

    struct Fixture {
        std::unique_ptr<Provider> writer; // the other process's connection
        std::unique_ptr<RemediationManager> manager;
        std::unique_ptr<MainWindow> window;
        ConsolePane *pane = nullptr;
        TasksView *view = nullptr;
        QString path;
    };

    Fixture open(bool readOnly = false)
    {
        Fixture f;
        f.path = m_dir.filePath(QStringLiteral("tasks%1.db").arg(++m_stores));
        f.writer = std::move(openProvider(sqliteSpec(f.path)).value());
        f.manager = std::make_unique<RemediationManager>(f.writer.get());
        await(f.manager->create(Schema::Seed, QStringLiteral("calm")));
        await(f.manager->create(Schema::Seed, QStringLiteral("urgent")));
        NewFeedback fb;
        fb.author = QStringLiteral("ci");
        fb.severity = QStringLiteral("Critical");
        fb.issueType = QStringLiteral("Bug");
        fb.description = QStringLiteral("readiness probe fails");
        await(f.manager->addFeedback(TaskRef(QStringLiteral("urgent")), fb));
        f.window = makeWindow(testOptions(m_dir.filePath(QStringLiteral("connections.yaml")), readOnly));
        if (!f.window->openSpec(sqliteSpec(f.path), QStringLiteral("test")))
            return f;
        f.pane = f.window->currentPane();
        settled(f.pane);
        f.window->run(QStringLiteral("global.tasks"));
        f.view = f.pane->tasksView();
        return f;
    }

    static Result<RemediationTask> task(Fixture &f, const QString &name)
    {
        return await(f.manager->get(TaskRef(name)));
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(isolateHome(m_dir)); }

    void testTableAndFeedback()
    {
        Fixture f = open();
        QVERIFY(f.view);
        QVERIFY(f.pane->tasksShown());
        QTRY_COMPARE_WITH_TIMEOUT(f.view->tasks()->rowCount(), 2, 20000);
        // The task that needs attention is the one shown.
        QTRY_COMPARE_WITH_TIMEOUT(f.view->currentTask(), QStringLiteral("task-urgent-state"), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(f.view->feedback()->rowCount(), 1, 20000);
        f.view->feedbackTable()->setCurrentIndex(f.view->feedbackTable()->model()->index(0, 0));
        QTRY_VERIFY(f.view->detail()->toPlainText().contains(QLatin1String("readiness probe fails")));
        // Another process starts an iteration: the row follows.
        QVERIFY(await(f.manager->increment(TaskRef(QStringLiteral("calm")))).ok());
        QTRY_VERIFY_WITH_TIMEOUT(f.view->tasks()->task(QStringLiteral("task-calm-state"))->iteration() == 1, 20000);
        shot(f.window.get(), QStringLiteral("tasks"));
        // Ctrl+1 goes back to the keys.
        f.window->run(QStringLiteral("global.keys"));
        QVERIFY(!f.pane->tasksShown());
    }

    // The chart counts the selected task's feedback per iteration and
    // severity, and follows another process's feedback without a refresh.
    void testFeedbackChart_data()
    {
        QTest::addColumn<bool>("controller");
        QTest::addColumn<QStringList>("categories");
        QTest::newRow("controller schema: one bar an iteration") << true << QStringList{"#0", "#1"};
        QTest::newRow("seed schema: no iteration recorded") << false << QStringList{"not recorded"};
    }

    void testFeedbackChart()
    {
        QFETCH(bool, controller);
        QFETCH(QStringList, categories);
        Fixture f = open();
        QVERIFY(f.view);
        const Schema schema = controller ? Schema::Controller : Schema::Seed;
        const auto made = await(f.manager->create(schema, QStringLiteral("charted"), controller ? 7 : -1));
        QVERIFY2(made.ok(), qPrintable(made.error().toString()));
        const TaskRef ref(made->name());
        int comments = 100;
        auto add = [&](const char *severity) {
            NewFeedback fb;
            fb.author = QStringLiteral("ci");
            fb.severity = QLatin1String(severity);
            fb.issueType = QStringLiteral("Bug");
            fb.description = QStringLiteral("found in review");
            fb.commentId = QString::number(++comments);
            const auto r = await(f.manager->addFeedback(ref, fb));
            if (!r.ok())
                qWarning("%s", qPrintable(r.error().toString()));
            return r.ok();
        };
        QVERIFY(add("Critical"));
        QVERIFY(await(f.manager->increment(ref)).ok());
        QVERIFY(add("High"));
        QVERIFY(add("High"));
        QTRY_VERIFY_WITH_TIMEOUT(f.view->selectTask(made->name()), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(f.view->chart()->categories(), categories, 20000);
        QMap<QString, QList<int>> want;
        if (controller)
            want = {{QStringLiteral("Critical"), {1, 0}}, {QStringLiteral("High"), {0, 2}}};
        else
            want = {{QStringLiteral("Critical"), {1}}, {QStringLiteral("High"), {2}}};
        // Each write reaches the window as its own event: wait for the last.
        QTRY_COMPARE_WITH_TIMEOUT(f.view->chart()->bars(), want, 20000);
        // Another process adds feedback: the chart follows.
        QVERIFY(add("Low"));
        if (controller)
            want.insert(QStringLiteral("Low"), {0, 1});
        else
            want.insert(QStringLiteral("Low"), {1});
        QTRY_COMPARE_WITH_TIMEOUT(f.view->chart()->bars(), want, 20000);
        shot(f.window.get(), controller ? QStringLiteral("tasks-chart-controller") : QStringLiteral("tasks-chart-seed"));
        // Another task without feedback: an empty chart.
        QVERIFY(f.view->selectTask(QStringLiteral("task-calm-state")));
        QTRY_VERIFY_WITH_TIMEOUT(f.view->chart()->categories().isEmpty(), 20000);
    }

    void testActions()
    {
        Fixture f = open();
        QTRY_COMPARE_WITH_TIMEOUT(f.view->currentTask(), QStringLiteral("task-urgent-state"), 20000);
        const QString name = QStringLiteral("task-urgent-state");

        f.window->run(QStringLiteral("tasks.increment"));
        QTRY_VERIFY_WITH_TIMEOUT(task(f, name)->iteration() == 1, 20000);

        f.window->run(QStringLiteral("tasks.feedback"));
        auto *dialog = waitForDialog<QDialog>(f.view);
        QVERIFY(dialog);
        QCOMPARE(dialog->objectName(), QStringLiteral("feedbackDialog"));
        dialog->findChild<QComboBox *>(QStringLiteral("severity"))->setCurrentText(QStringLiteral("High"));
        dialog->findChild<QComboBox *>(QStringLiteral("issueType"))->setCurrentText(QStringLiteral("Performance"));
        dialog->findChild<QPlainTextEdit *>(QStringLiteral("description"))->setPlainText(QStringLiteral("p99 at 2 s"));
        dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
        QTRY_VERIFY_WITH_TIMEOUT(task(f, name)->feedback().size() == 2, 20000);
        QCOMPARE(task(f, name)->feedback().last().severity, QStringLiteral("High"));
        QCOMPARE(task(f, name)->feedback().last().issueType, QStringLiteral("Performance"));

        // Resolve the first entry: asked, then written.
        QTRY_COMPARE_WITH_TIMEOUT(f.view->feedback()->rowCount(), 2, 20000);
        f.view->feedbackTable()->sortByColumn(FeedbackModel::TimeColumn, Qt::AscendingOrder);
        f.view->feedbackTable()->setCurrentIndex(f.view->feedbackTable()->model()->index(0, 0));
        f.window->run(QStringLiteral("tasks.resolve"));
        auto *question = waitForDialog<QMessageBox>(f.view);
        QVERIFY(question);
        QVERIFY(question->text().contains(QLatin1String("Mark feedback 1 of task-urgent-state resolved?")));
        question->button(QMessageBox::Yes)->click();
        QTRY_VERIFY_WITH_TIMEOUT(task(f, name)->feedback().first().resolved, 20000);

        f.window->run(QStringLiteral("tasks.status"));
        auto *status = waitForDialog<QInputDialog>(f.view);
        QVERIFY(status);
        QVERIFY(status->comboBoxItems().contains(QStringLiteral("Completed")));
        status->setTextValue(QStringLiteral("Completed"));
        status->accept();
        QTRY_COMPARE_WITH_TIMEOUT(task(f, name)->status(), QStringLiteral("Completed"), 20000);

        // Cleanup: the preview's question answered Cancel deletes nothing.
        f.window->run(QStringLiteral("tasks.cleanup"));
        auto *retention = waitForDialog<QInputDialog>(f.view);
        QVERIFY(retention);
        QCOMPARE(retention->textValue(), QStringLiteral("7d"));
        retention->setTextValue(QStringLiteral("0s"));
        retention->accept();
        auto *confirm = waitForDialog<QMessageBox>(f.view);
        QVERIFY(confirm);
        QCOMPARE(confirm->objectName(), QStringLiteral("cleanupConfirm"));
        QVERIFY2(confirm->detailedText().contains(name), qPrintable(confirm->detailedText()));
        confirm->button(QMessageBox::Cancel)->click();
        QTest::qWait(200);
        QVERIFY(task(f, name).ok());
        // ... and Delete deletes what it showed, never the task InProgress.
        QVERIFY(await(f.manager->increment(TaskRef(QStringLiteral("calm")))).ok());
        f.window->run(QStringLiteral("tasks.cleanup"));
        retention = waitForDialog<QInputDialog>(f.view);
        QVERIFY(retention);
        retention->setTextValue(QStringLiteral("0s"));
        retention->accept();
        confirm = waitForDialog<QMessageBox>(f.view);
        QVERIFY(confirm);
        QPushButton *del = nullptr;
        for (QAbstractButton *b : confirm->buttons())
            if (confirm->buttonRole(b) == QMessageBox::DestructiveRole)
                del = qobject_cast<QPushButton *>(b);
        QVERIFY(del);
        del->click();
        QTRY_COMPARE_WITH_TIMEOUT(task(f, name).error().kind, ErrorKind::NotFound, 20000);
        QVERIFY(task(f, QStringLiteral("calm")).ok());
        QTRY_COMPARE_WITH_TIMEOUT(f.view->tasks()->rowCount(), 1, 20000);
    }

    // New task, as `statedeckctl task create`: typed input checked first.
    void testCreateTask()
    {
        Fixture f = open();
        QTRY_COMPARE_WITH_TIMEOUT(f.view->currentTask(), QStringLiteral("task-urgent-state"), 20000);
        const int before = f.view->tasks()->rowCount();
        f.window->run(QStringLiteral("tasks.create"));
        auto *ask = waitForDialog<QInputDialog>(f.view);
        QVERIFY(ask);
        QCOMPARE(ask->objectName(), QStringLiteral("createTask"));
        ask->setTextValue(QStringLiteral("1043 --pr many"));
        ask->accept();
        QTRY_VERIFY(said(f.window.get(), QStringLiteral("expected a PR number")));
        QVERIFY(said(f.window.get(), QStringLiteral("--pr many")));
        QCOMPARE(f.view->tasks()->rowCount(), before);

        f.window->run(QStringLiteral("tasks.create"));
        ask = waitForDialog<QInputDialog>(f.view);
        QVERIFY(ask);
        ask->setTextValue(QStringLiteral("1043"));
        ask->accept();
        QTRY_COMPARE_WITH_TIMEOUT(f.view->tasks()->rowCount(), before + 1, 20000);
        QVERIFY(task(f, QStringLiteral("task-1043-state")).ok());

        // Ctrl+F in the tasks view: its filter, which narrows the table.
        f.window->activateWindow(); // back from the dialogs
        QVERIFY(QTest::qWaitForWindowActive(f.window.get()));
        f.window->run(QStringLiteral("tasks.filter"));
        QTRY_VERIFY(f.view->filter()->hasFocus());
        QTest::keyClicks(f.view->filter(), QStringLiteral("1043"));
        QTRY_COMPARE(f.view->taskTable()->model()->rowCount(), 1);
    }

    void testReadOnlyRefusesTaskActions()
    {
        Fixture f = open(true);
        QTRY_COMPARE_WITH_TIMEOUT(f.view->currentTask(), QStringLiteral("task-urgent-state"), 20000);
        f.window->updateActions();
        for (const char *id : {"tasks.create", "tasks.increment", "tasks.feedback", "tasks.resolve", "tasks.status",
                               "tasks.recover", "tasks.cleanup"}) {
            QAction *a = f.window->action(QLatin1String(id));
            QVERIFY2(!a->isEnabled(), id);
            QVERIFY2(a->toolTip().contains(QLatin1String("read-only")), qPrintable(a->toolTip()));
        }
        const int iteration = task(f, QStringLiteral("task-urgent-state"))->iteration();
        f.window->run(QStringLiteral("tasks.increment"));
        QTest::qWait(200);
        QCOMPARE(task(f, QStringLiteral("task-urgent-state"))->iteration(), iteration);
    }
};

QTEST_MAIN(TestGuiTasks)
#include "tst_gui_tasks.moc"
