// The remediation view over Kubernetes ConfigMaps, as seed 002's tasks and
// the controller's live in a cluster: the Kubernetes emulator (the one the
// real kubectl is tested against) holds them; the window lists both shapes,
// shows a task's feedback and its chart, runs an action through the API
// server, and follows another process's change by the watch.
#include "FeedbackChart.h"
#include "GuiTestSupport.h"
#include "KubeTestServer.h"
#include "TasksView.h"
#include "console/FeedbackModel.h"
#include "console/TaskTableModel.h"
#include "providers/KubeTestHelpers.h"
#include "remediation/RemediationManager.h"

#include <QTableView>

using namespace sd;
using namespace sd::console;
using namespace sd::remediation;
using namespace sd::widgets;
using namespace sd::test::gui;
using sd::test::await;

class TestGuiTasksKube : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    sd::test::KubeTestServer m_kube;

    StoreSpec configMaps() const
    {
        return kubeSpec(m_kube.kubeconfigPath(), QStringLiteral("remediation"), QStringLiteral("configmaps"));
    }

    static NewFeedback feedback(const char *severity, const char *text, const char *comment)
    {
        NewFeedback fb;
        fb.author = QStringLiteral("5DLabs-Tess");
        fb.severity = QLatin1String(severity);
        fb.issueType = QStringLiteral("Bug");
        fb.description = QLatin1String(text);
        fb.commentId = QLatin1String(comment);
        return fb;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(isolateHome(m_dir));
        QVERIFY2(m_kube.start(), qPrintable(m_kube.log()));
        QVERIFY(sd::test::createNamespace(m_kube, QStringLiteral("remediation")));
    }

    void testTasksInConfigMaps()
    {
        auto writer = openProvider(configMaps());
        QVERIFY2(writer.ok(), qPrintable(writer.error().toString()));
        RemediationManager manager(writer->get());
        const TaskRef controller(QStringLiteral("7"), 311);
        QVERIFY(await(manager.create(Schema::Controller, QStringLiteral("7"), 311)).ok());
        QVERIFY(await(manager.addFeedback(controller, feedback("Critical", "login fails with SSO", "12345"))).ok());
        QVERIFY(await(manager.create(Schema::Seed, QStringLiteral("1042"))).ok());

        auto window = makeWindow(m_dir.filePath(QStringLiteral("connections.yaml")));
        QVERIFY(window->openSpec(configMaps(), QStringLiteral("cluster")));
        ConsolePane *pane = window->currentPane();
        QVERIFY(settled(pane));
        window->run(QStringLiteral("global.tasks"));
        TasksView *view = pane->tasksView();
        QVERIFY(view);
        QTRY_COMPARE_WITH_TIMEOUT(view->tasks()->rowCount(), 2, 20000);
        // Both ConfigMap names, as the seed and the controller write them.
        QVERIFY(view->tasks()->task(QStringLiteral("remediation-state-pr-311-task-7")));
        QVERIFY(view->tasks()->task(QStringLiteral("task-1042-state")));
        // The one with Critical feedback is shown first, with its feedback and chart.
        QTRY_COMPARE_WITH_TIMEOUT(view->currentTask(), QStringLiteral("remediation-state-pr-311-task-7"), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(view->feedback()->rowCount(), 1, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(view->chart()->categories(), QStringList{QStringLiteral("#0")}, 20000);

        // An action through the window reaches the API server.
        window->run(QStringLiteral("tasks.increment"));
        QTRY_VERIFY_WITH_TIMEOUT(await(manager.get(controller))->iteration() == 1, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(view->tasks()->task(QStringLiteral("remediation-state-pr-311-task-7"))->iteration(), 1,
                                  20000);

        // Another process's feedback arrives by the watch.
        QVERIFY(await(manager.addFeedback(controller, feedback("High", "cookie not renewed", "12399"))).ok());
        QTRY_COMPARE_WITH_TIMEOUT(view->feedback()->rowCount(), 2, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(view->chart()->categories(), (QStringList{QStringLiteral("#0"), QStringLiteral("#1")}),
                                  20000);
        shot(window.get(), QStringLiteral("tasks-kube"));
    }
};

QTEST_MAIN(TestGuiTasksKube)
#include "tst_gui_tasks_kube.moc"
