// The desktop console's everyday jobs on every backend a user can open
// (issue 13, "done when"): SQLite, the seed 000 local store, a YAML state
// folder, a real redis-server, a real etcd and the Kubernetes emulator. On
// each: the keys are listed, the filter narrows them, a value is opened,
// edited and saved through the diff at the revision it was read at (another
// client reads the new value back), and a key written by another client
// appears without a refresh.
#include "GuiTestSupport.h"
#include "TransferTestSupport.h"
#include "console/EntryDocument.h"

#include <QLineEdit>
#include <QSignalSpy>

using namespace sd;
using namespace sd::console;
using namespace sd::widgets;
using namespace sd::test::gui;
using sd::test::await;

class TestGuiEveryStore : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;
    sd::test::TransferStores m_stores;

private Q_SLOTS:
    void initTestCase() { QVERIFY(isolateHome(m_home)); }

    void testEverydayJobs_data()
    {
        QTest::addColumn<QString>("backend");
        for (const QString &b : sd::test::TransferStores::backends())
            QTest::newRow(qPrintable(b)) << b;
    }

    void testEverydayJobs()
    {
        QFETCH(QString, backend);
        const StoreSpec spec = m_stores.fresh(backend);
        auto writer = m_stores.open(spec);
        // A YAML state folder lists the leaves of its documents as keys
        // ("FILE.path"), so its keys are paths to scalars.
        const bool yaml = backend == QLatin1String("yaml");
        const QString alpha = yaml ? QStringLiteral("alpha.replicas") : QStringLiteral("alpha");
        const QString beta = yaml ? QStringLiteral("beta.enabled") : QStringLiteral("beta");
        const QString gamma = yaml ? QStringLiteral("gamma.fresh") : QStringLiteral("gamma");
        QVERIFY(fill(writer.get(), {{alpha, Json(2)}, {beta, Json(false)}}));

        auto window = makeWindow(testOptions(m_home.filePath(QStringLiteral("none.yaml"))));
        QVERIFY(window->openSpec(spec, backend));
        ConsolePane *pane = window->currentPane();
        QVERIFY(settled(pane));
        KeyBrowser *browser = pane->keyBrowser();
        QTRY_COMPARE_WITH_TIMEOUT(browser->keyModel()->loadedCount(), qint64(2), 20000);
        QTRY_VERIFY(browser->keyModel()->listingComplete());

        // Filter.
        QTest::keyClicks(browser->filterEdit(), QStringLiteral("alp"));
        QTRY_COMPARE(browser->filterModel()->rowCount(), 1);
        browser->filterEdit()->clear();
        QTRY_COMPARE(browser->filterModel()->rowCount(), 2);

        // Open, edit, save through the diff; another client reads it back.
        QVERIFY(openKey(pane, alpha));
        EntryPanel *entry = pane->entryPanel();
        QCOMPARE(entry->editor()->toPlainText().trimmed(), QStringLiteral("2"));
        typeText(entry, QStringLiteral("5\n"));
        QVERIFY(entry->document()->validation().ok);
        QSignalSpy saved(entry->document(), &EntryDocument::saved);
        entry->requestSave();
        DiffDialog *diff = waitForDialog<DiffDialog>(entry);
        QVERIFY(diff);
        QVERIFY2(diff->diffText().contains(QLatin1String("5")), qPrintable(diff->diffText()));
        diff->writeButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20000);
        const auto stored = await(writer->get(alpha));
        QVERIFY2(stored.ok(), qPrintable(stored.error().toString()));
        QCOMPARE(stored->value, Json(5));

        // Live: another client's key appears without a refresh.
        QVERIFY(fill(writer.get(), {{gamma, Json(true)}}));
        QTRY_COMPARE_WITH_TIMEOUT(browser->keyModel()->loadedCount(), qint64(3), 20000);
        shot(window.get(), QStringLiteral("store-") + backend);
    }
};

QTEST_MAIN(TestGuiEveryStore)
#include "tst_gui_every_store.moc"
