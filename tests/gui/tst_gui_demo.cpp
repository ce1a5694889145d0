// A first-time user: the window opens on the empty embedded store and
// offers demo data; accepting makes it in connections of its own and opens
// it, the default store untouched; "Never ask again" is remembered; a
// store with keys is never offered anything.
#include "GuiTestSupport.h"
#include "console/DemoData.h"
#include "console/EntryDocument.h"

#include <QMessageBox>
#include <QSettings>

using namespace sd;
using namespace sd::console;
using namespace sd::widgets;
using namespace sd::test::gui;
using sd::test::await;

class TestGuiDemo : public QObject {
    Q_OBJECT

    int m_round = 0;
    std::unique_ptr<QTemporaryDir> m_home;

    // A new user each time: settings, data and the embedded store fresh.
    std::unique_ptr<MainWindow> firstStart(bool useSettings = false)
    {
        m_home = std::make_unique<QTemporaryDir>();
        if (!isolateHome(*m_home))
            return nullptr;
        MainWindow::Options o = testOptions(m_home->filePath(QStringLiteral("none.yaml")));
        o.sources.demoDirectory = m_home->filePath(QStringLiteral("demo%1").arg(++m_round));
        o.useSettings = useSettings;
        auto w = makeWindow(o);
        w->openStartupConnection();
        return w;
    }

    static QMessageBox *offer(MainWindow *w)
    {
        QMessageBox *box = waitForDialog<QMessageBox>(w);
        return box && box->objectName() == QLatin1String("demoOffer") ? box : nullptr;
    }

private Q_SLOTS:
    void testAcceptOpensTheDemo()
    {
        auto w = firstStart();
        QVERIFY(w);
        ConsolePane *embedded = w->currentPane();
        QVERIFY(embedded);
        QMessageBox *box = offer(w.get());
        QVERIFY(box);
        shot(box, QStringLiteral("demo-offer"));
        box->findChild<QPushButton *>(QStringLiteral("makeDemo"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(w->currentPane() != embedded, 60000);
        ConsolePane *demo = w->currentPane();
        QCOMPARE(demo->session()->name(), QStringLiteral("demo"));
        QVERIFY(settled(demo));
        QTRY_VERIFY_WITH_TIMEOUT(demo->keyBrowser()->keyModel()->loadedCount() > 10, 20000);
        QVERIFY(said(w.get(), QStringLiteral("Demo data made")));
        // The default store stays empty; the YAML demo opens too.
        QCOMPARE(embedded->keyBrowser()->keyModel()->loadedCount(), 0);
        shot(w.get(), QStringLiteral("demo-opened"));
        QVERIFY(w->openConnection(QStringLiteral("demo:demo-state")));
        QVERIFY(settled(w->currentPane()));
        QVERIFY(w->currentPane()->keyBrowser()->keyModel()->loadedCount() > 0);
        // The demo's secrets: listed with a badge, masked until revealed.
        QVERIFY2(w->sidebar()->itemText(QStringLiteral("demo:demo-secrets")).contains(QLatin1String("[secrets]")),
                 qPrintable(w->sidebar()->itemText(QStringLiteral("demo:demo-secrets"))));
        QVERIFY(w->openConnection(QStringLiteral("demo:demo-secrets")));
        ConsolePane *secrets = w->currentPane();
        QVERIFY(settled(secrets));
        QVERIFY(secrets->session()->capabilities().sensitive);
        QVERIFY(openKey(secrets, QStringLiteral("gate/api-token")));
        QVERIFY(secrets->entryPanel()->document()->masked());
        QVERIFY(!secrets->entryPanel()->editor()->toPlainText().contains(QLatin1String("sd-demo-7f3a")));
        shot(w.get(), QStringLiteral("demo-secrets"));
    }

    void testNeverAskAgainIsRemembered()
    {
        {
            auto w = firstStart(true);
            QVERIFY(w);
            QMessageBox *box = offer(w.get());
            QVERIFY(box);
            box->findChild<QPushButton *>(QStringLiteral("neverDemo"))->click();
            QTRY_VERIFY(!box->isVisible());
            QVERIFY(QSettings().value(QStringLiteral("demo/declined")).toBool());
        }
        // The same user starts again: no question.
        MainWindow::Options o = testOptions(m_home->filePath(QStringLiteral("none.yaml")));
        o.sources.demoDirectory = m_home->filePath(QStringLiteral("demo%1").arg(m_round));
        o.useSettings = true;
        MainWindow w(o);
        w.show();
        w.openStartupConnection();
        QVERIFY(settled(w.currentPane()));
        QTest::qWait(0);
        QVERIFY(w.findChildren<QMessageBox *>().isEmpty());
        QVERIFY(!DemoData::exists(o.sources.demoDirectory));
    }

    // A store with keys is somebody's: nothing is offered.
    void testNotOfferedOverData()
    {
        m_home = std::make_unique<QTemporaryDir>();
        QVERIFY(isolateHome(*m_home));
        {
            StoreSpec embedded; // the default store, as the catalog opens it
            embedded.backend = QStringLiteral("sqlite");
            embedded.origin = QStringLiteral("default");
            auto p = openProvider(embedded);
            QVERIFY(p.ok());
            QVERIFY(fill(p.value().get(), {{QStringLiteral("mine"), Json{{"a", 1}}}}));
        }
        MainWindow::Options o = testOptions(m_home->filePath(QStringLiteral("none.yaml")));
        o.sources.demoDirectory = m_home->filePath(QStringLiteral("demo-none"));
        MainWindow w(o);
        w.show();
        w.openStartupConnection();
        QVERIFY(settled(w.currentPane()));
        QTRY_COMPARE(w.currentPane()->keyBrowser()->keyModel()->loadedCount(), 1);
        QVERIFY(w.currentPane()->keyBrowser()->keyModel()->listingComplete());
        QVERIFY(w.findChildren<QMessageBox *>().isEmpty());
    }
};

QTEST_MAIN(TestGuiDemo)
#include "tst_gui_demo.moc"
