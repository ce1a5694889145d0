#include "GuiTestSupport.h"

#include "CodeEditor.h"
#include "KubeTestServer.h"
#include "providers/KubeTestHelpers.h"

#include <QAction>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;
using namespace sd::widgets;
using namespace sd::test::gui;
using sd::test::await;

// A Secret-like store (the Kubernetes emulator's Secret, whose capabilities
// say sensitive): values are masked until Reveal, masked again on moving to
// another key, and editing and saving a revealed value works.
class TestGuiSecrets : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    sd::test::KubeTestServer m_kube;

    StoreSpec secretSpec() const
    {
        StoreSpec spec = kubeSpec(m_kube.kubeconfigPath(), QStringLiteral("gui"), QStringLiteral("secrets"));
        spec.options.insert(QStringLiteral("secretName"), QStringLiteral("gui-keys"));
        return spec;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(isolateHome(m_dir));
        QVERIFY2(m_kube.start(), qPrintable(m_kube.log()));
        QVERIFY(sd::test::createNamespace(m_kube, QStringLiteral("gui")));
    }

    void testMaskedUntilRevealed()
    {
        auto writer = openProvider(secretSpec());
        QVERIFY2(writer.ok(), qPrintable(writer.error().toString()));
        QVERIFY(fill(writer->get(), {{QStringLiteral("api-token"), Json("s3cr3t-token-XYZ")},
                                     {QStringLiteral("db-password"), Json("hunter2-ABC")}}));

        auto window = makeWindow(m_dir.filePath(QStringLiteral("connections.yaml")));
        QVERIFY(window->openSpec(secretSpec(), QStringLiteral("secret")));
        ConsolePane *pane = window->currentPane();
        QVERIFY(settled(pane));
        QVERIFY(pane->session()->capabilities().sensitive);
        QTRY_COMPARE(pane->keyBrowser()->keyModel()->loadedCount(), qint64(2));

        EntryPanel *entry = pane->entryPanel();
        QVERIFY(openKey(pane, QStringLiteral("api-token")));
        QVERIFY(entry->document()->masked());
        QVERIFY(!entry->editor()->toPlainText().contains(QLatin1String("s3cr3t")));
        QVERIFY(entry->editor()->isReadOnly());
        QVERIFY2(entry->noticeText().contains(QLatin1String("secret value")), qPrintable(entry->noticeText()));
        QVERIFY(!window->action(QStringLiteral("keys.copy"))->isEnabled());
        QCOMPARE(window->action(QStringLiteral("keys.copy"))->toolTip(), QStringLiteral("reveal the value first"));
        QVERIFY(!window->action(QStringLiteral("entry.format"))->isEnabled());
        QAction *reveal = window->action(QStringLiteral("keys.reveal"));
        QVERIFY(reveal->isEnabled());
        shot(window.get(), QStringLiteral("secret-masked"));

        reveal->trigger();
        QVERIFY(!entry->document()->masked());
        QCOMPARE(entry->editor()->toPlainText(), QStringLiteral("s3cr3t-token-XYZ"));
        QVERIFY(!entry->editor()->isReadOnly());
        QVERIFY(entry->findChild<QPushButton *>(QStringLiteral("reveal"))->text() == QLatin1String("Hide"));

        // Moving on masks again, and coming back does not reveal.
        QVERIFY(openKey(pane, QStringLiteral("db-password")));
        QVERIFY(entry->document()->masked());
        QVERIFY(!entry->editor()->toPlainText().contains(QLatin1String("hunter2")));
        QVERIFY(openKey(pane, QStringLiteral("api-token")));
        QVERIFY(entry->document()->masked());
        QVERIFY(!entry->editor()->toPlainText().contains(QLatin1String("s3cr3t")));

        // Revealed, edited, saved.
        entry->toggleReveal();
        typeText(entry, QStringLiteral("new-token-123"));
        QSignalSpy saved(entry->document(), &EntryDocument::saved);
        entry->requestSave();
        DiffDialog *diff = waitForDialog<DiffDialog>(entry);
        QVERIFY(diff);
        diff->writeButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20000);
        QCOMPARE(await(writer.value()->get(QStringLiteral("api-token")))->value, Json("new-token-123"));
    }
};

QTEST_MAIN(TestGuiSecrets)
#include "tst_gui_secrets.moc"
