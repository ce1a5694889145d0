#include "GuiTestSupport.h"

#include "ConnectionsSidebar.h"
#include "FreshnessBanner.h"
#include "RedisTestServer.h"

#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;
using namespace sd::widgets;
using namespace sd::test::gui;

// The freshness banner over a real redis-server: hidden while Live, shown
// the moment the server goes away (Reconnecting, counting down to the next
// retry, rows marked stale), gone again when the server is back.
class TestGuiFreshness : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(isolateHome(m_dir));
    }

    void testBannerFollowsTheWatch()
    {
        sd::test::RedisTestServer redis;
        QVERIFY(redis.start());
        auto writer = openProvider(redis.spec());
        QVERIFY(writer.ok());
        QVERIFY(fill(writer->get(), {{QStringLiteral("session:1"), Json{{"user", "ada"}}},
                                     {QStringLiteral("session:2"), Json{{"user", "bob"}}}}));

        auto window = makeWindow(m_dir.filePath(QStringLiteral("connections.yaml")));
        QVERIFY(window->openSpec(redis.spec(), QStringLiteral("redis")));
        ConsolePane *pane = window->currentPane();
        QVERIFY(settled(pane));
        FreshnessBanner *banner = pane->banner();
        QTRY_VERIFY_WITH_TIMEOUT(pane->session()->freshness().fresh(), 20000);
        QVERIFY(!banner->isVisible());
        QTRY_VERIFY(window->sidebar()->itemText(QStringLiteral("spec:redis")).contains(QLatin1String("Live")));

        redis.kill();
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), 20000);
        QVERIFY2(banner->text().startsWith(QLatin1String("Reconnecting since")), qPrintable(banner->text()));
        QCOMPARE(banner->tone(), Tone::Stale);
        QTRY_VERIFY_WITH_TIMEOUT(banner->text().contains(QLatin1String("next retry in")), 20000);
        const QModelIndex row = pane->keyBrowser()->filterModel()->index(0, 0);
        QCOMPARE(row.data(ToneRole).toInt(), int(Tone::Stale));
        QVERIFY(window->sidebar()->itemText(QStringLiteral("spec:redis")).contains(QLatin1String("Reconnecting")));
        shot(window.get(), QStringLiteral("reconnecting"));

        QVERIFY(redis.restart());
        QTRY_VERIFY_WITH_TIMEOUT(pane->session()->freshness().fresh(), 60000);
        QTRY_VERIFY(!banner->isVisible());
        QTRY_VERIFY(window->sidebar()->itemText(QStringLiteral("spec:redis")).contains(QLatin1String("Live")));
        redis.stop();
    }

    // Opened while the server is down: the window opens at once, says the
    // listing failed and why, and lists by itself once the server is back.
    void testOpenedWhileTheStoreIsDown()
    {
        sd::test::RedisTestServer redis;
        QVERIFY(redis.start());
        redis.stop();
        auto window = makeWindow(m_dir.filePath(QStringLiteral("connections.yaml")));
        QVERIFY(window->openSpec(redis.spec(), QStringLiteral("down")));
        ConsolePane *pane = window->currentPane();
        KeyBrowser *browser = pane->keyBrowser();
        QTRY_VERIFY_WITH_TIMEOUT(browser->statusText().contains(QLatin1String("listing failed")), 20000);
        QVERIFY(browser->findChild<QPushButton *>(QStringLiteral("resumeListing"))->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(pane->banner()->isVisible(), 20000);
        shot(window.get(), QStringLiteral("store-down"));

        QVERIFY(redis.restart());
        QTRY_VERIFY_WITH_TIMEOUT(pane->session()->freshness().fresh(), 60000);
        QTRY_VERIFY_WITH_TIMEOUT(browser->statusText().contains(QLatin1String("listing complete")), 20000);
        QVERIFY(!pane->banner()->isVisible());
        redis.stop();
    }
};

QTEST_MAIN(TestGuiFreshness)
#include "tst_gui_freshness.moc"
