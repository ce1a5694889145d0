// The demo a first-time user is offered (console/DemoData): its own folder,
// three connections the catalog lists once it exists, every view with
// something to show (nested keys, a key with history, remediation tasks in
// both schemas with feedback over iterations, a k0rdent-style YAML state
// folder, a store of secrets masked until revealed), made once, and nothing
// left behind when it cannot be made.
#include "TestSupport.h"
#include "console/ConnectionCatalog.h"
#include "console/DemoData.h"
#include "console/Session.h"
#include "remediation/RemediationManager.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;
using namespace sd::remediation;
using sd::test::await;

class TestConsoleDemo : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    ConnectionCatalog catalog(const QString &demo)
    {
        ConnectionCatalog::Sources s;
        s.connectionsPath = m_dir.filePath(QStringLiteral("none.yaml"));
        s.useKubeconfig = false;
        s.demoDirectory = demo;
        return ConnectionCatalog::load(s);
    }

    std::unique_ptr<Session> open(const ConnectionCatalog &c, const QString &id)
    {
        const ConnectionItem *item = c.find(id);
        if (!item)
            return nullptr;
        auto s = c.open(*item);
        return s.ok() ? std::move(s).value() : nullptr;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void testMadeOnceAndListed()
    {
        const QString demo = m_dir.filePath(QStringLiteral("demo"));
        QVERIFY(!DemoData::exists(demo));
        QVERIFY(!catalog(demo).find(QStringLiteral("demo:demo")));

        const Status made = await(DemoData::create(demo), 60000);
        QVERIFY2(made.ok(), qPrintable(made.error().toString()));
        QVERIFY(DemoData::exists(demo));
        const ConnectionCatalog c = catalog(demo);
        QVERIFY(c.find(QStringLiteral("demo:demo")));
        QVERIFY(c.find(QStringLiteral("demo:demo-state")));
        QVERIFY(c.find(QStringLiteral("demo:demo-secrets")));
        QVERIFY(c.find(QStringLiteral("demo:demo-secrets"))->sensitive);
        QVERIFY(!c.find(QStringLiteral("demo:demo"))->sensitive);
        // After the embedded store, so a sidebar groups them with it.
        QCOMPARE(c.items().last().id(), QStringLiteral("demo:demo-secrets"));

        // Made once: a second time is refused, and the first is intact.
        const Status again = await(DemoData::create(demo), 60000);
        QVERIFY(!again.ok());
        QCOMPARE(again.error().kind, ErrorKind::Invalid);
        QVERIFY(again.error().message.contains(QLatin1String("exists already")));
        QVERIFY(DemoData::exists(demo));
    }

    // Every view has something to show.
    void testContent_data()
    {
        QTest::addColumn<QString>("connection");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("member"); // a JSON pointer into the value, "" for the whole
        QTest::addColumn<QString>("expected");
        QTest::newRow("nested key") << "demo:demo" << "app/web/config" << "/replicas" << "3";
        QTest::newRow("labels on keys") << "demo:demo" << "db/primary" << "/port" << "5432";
        QTest::newRow("text value") << "demo:demo" << "greeting" << "" << "\"hello from the statedeck demo\"";
        QTest::newRow("yaml state: phase") << "demo:demo-state" << "deployment.phase" << "" << "\"cluster_deployment\"";
        QTest::newRow("yaml state: nested") << "demo:demo-state" << "deployment.vm_states" << "/k0s-worker-2/state"
                                            << "\"provisioning\"";
        QTest::newRow("yaml state: azure") << "demo:demo-state" << "azure.azure_credentials_configured" << "" << "true";
        QTest::newRow("secret: token") << "demo:demo-secrets" << "gate/api-token" << "" << "\"sd-demo-7f3a9c0e51b24d6a8e2f\"";
        QTest::newRow("secret: nested") << "demo:demo-secrets" << "registry/credentials" << "/username"
                                        << "\"deploy-bot\"";
    }

    void testContent()
    {
        QFETCH(QString, connection);
        QFETCH(QString, key);
        QFETCH(QString, member);
        QFETCH(QString, expected);
        const QString demo = m_dir.filePath(QStringLiteral("content"));
        if (!DemoData::exists(demo))
            QVERIFY(await(DemoData::create(demo), 60000).ok());
        auto s = open(catalog(demo), connection);
        QVERIFY(s);
        // Only the secrets are masked: the store says so, whatever its backend.
        QCOMPARE(s->provider()->capabilities().sensitive, connection == QLatin1String("demo:demo-secrets"));
        const auto e = await(s->provider()->get(key));
        QVERIFY2(e.ok(), qPrintable(e.error().toString()));
        const Json v = member.isEmpty() ? e->value : e->value.at(Json::json_pointer(member.toStdString()));
        QCOMPARE(QString::fromStdString(v.dump()), expected);
    }

    void testTasksAndHistory()
    {
        const QString demo = m_dir.filePath(QStringLiteral("tasks"));
        QVERIFY(await(DemoData::create(demo), 60000).ok());
        auto s = open(catalog(demo), QStringLiteral("demo:demo"));
        QVERIFY(s);
        RemediationManager m(s->provider());
        const auto tasks = await(m.list());
        QVERIFY(tasks.ok());
        QCOMPARE(tasks->size(), 3);
        const auto controller = await(m.get(TaskRef(QStringLiteral("7"), 311)));
        QVERIFY(controller.ok());
        QCOMPARE(controller->iteration(), 2);
        QList<int> iterations;
        for (const FeedbackView &f : controller->feedback())
            iterations << f.iteration;
        QCOMPARE(iterations, (QList<int>{0, 1, 1, 2}));
        const auto done = await(m.get(TaskRef(QStringLiteral("988"))));
        QVERIFY(done.ok());
        QCOMPARE(done->status(), QStringLiteral("Completed"));
        // A key with an earlier value, for the history view.
        const auto versions = await(s->provider()->history(QStringLiteral("app/web/config"), 10));
        QVERIFY(versions.ok());
        QCOMPARE(versions->size(), 2);
    }

    // A folder that cannot be made: an error naming it, and nothing left.
    void testCannotBeMade()
    {
        const QString blocker = m_dir.filePath(QStringLiteral("a-file"));
        QFile f(blocker);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        const QString demo = blocker + QStringLiteral("/demo");
        const Status s = await(DemoData::create(demo), 60000);
        QVERIFY(!s.ok());
        QVERIFY2(s.error().message.contains(demo), qPrintable(s.error().toString()));
        QVERIFY(!DemoData::exists(demo));
        QVERIFY(!catalog(demo).find(QStringLiteral("demo:demo")));
    }
};

QTEST_GUILESS_MAIN(TestConsoleDemo)
#include "tst_console_demo.moc"
