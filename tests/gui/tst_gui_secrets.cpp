#include "GuiTestSupport.h"

#include "CodeEditor.h"
#include "KubeTestServer.h"
#include "providers/KubeTestHelpers.h"

#include <QAction>
#include <QInputDialog>
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

    // Ctrl+2, Ctrl+3 and Ctrl+Shift+N on a Kubernetes connection: its
    // ConfigMaps, every Secret of the namespace, another namespace, each in
    // a pane of its own; refused, saying why, on any other store.
    void testNamespaceAndResources()
    {
        QVERIFY(sd::test::createNamespace(m_kube, QStringLiteral("gui-other")));
        {
            auto other = openProvider(kubeSpec(m_kube.kubeconfigPath(), QStringLiteral("gui-other"),
                                               QStringLiteral("configmaps")));
            QVERIFY(other.ok());
            QVERIFY(fill(other->get(), {{QStringLiteral("elsewhere"), Json{{"n", 1}}}}));
            auto secret = openProvider(secretSpec());
            QVERIFY(secret.ok());
            QVERIFY(fill(secret->get(), {{QStringLiteral("token"), Json("t")}}));
        }
        auto window = makeWindow(m_dir.filePath(QStringLiteral("connections.yaml")));
        QVERIFY(window->openSpec(kubeSpec(m_kube.kubeconfigPath(), QStringLiteral("gui"), QStringLiteral("configmaps")),
                                 QStringLiteral("cluster")));
        ConsolePane *cms = window->currentPane();
        QVERIFY(settled(cms));

        // Every Secret of the namespace: one entry per Secret, masked.
        window->action(QStringLiteral("global.secrets"))->trigger();
        QTRY_VERIFY(window->currentPane() != cms);
        ConsolePane *secrets = window->currentPane();
        QVERIFY(settled(secrets));
        QCOMPARE(secrets->session()->spec().options.value(QStringLiteral("resource")).toString(), QStringLiteral("secrets"));
        QVERIFY(!secrets->session()->spec().options.contains(QStringLiteral("secretName")));
        QVERIFY(secrets->session()->capabilities().sensitive);
        QTRY_VERIFY(secrets->keyBrowser()->keyModel()->loadedCount() >= 1);
        QVERIFY(window->sidebar()->ids().contains(QStringLiteral("kube:cluster:gui/secrets")));

        // Back to the ConfigMaps: the pane there already.
        window->action(QStringLiteral("global.configmaps"))->trigger();
        QTRY_VERIFY(window->currentPane() != secrets);
        QCOMPARE(window->currentPane()->session()->spec().options.value(QStringLiteral("resource")).toString(),
                 QStringLiteral("configmaps"));

        // Another namespace, asked for.
        window->action(QStringLiteral("global.namespace"))->trigger();
        QInputDialog *ask = waitForDialog<QInputDialog>(window.get());
        QVERIFY(ask);
        QCOMPARE(ask->textValue(), QStringLiteral("gui"));
        ask->setTextValue(QStringLiteral("gui-other"));
        ask->accept();
        QTRY_VERIFY(window->currentPane()->session()->spec().options.value(QStringLiteral("namespace")).toString()
                    == QLatin1String("gui-other"));
        ConsolePane *other = window->currentPane();
        QVERIFY(settled(other));
        QTRY_VERIFY(other->keyBrowser()->keyModel()->loadedCount() >= 1);
        QVERIFY(window->sidebar()->ids().contains(QStringLiteral("kube:cluster:gui-other/configmaps")));

        // Not a Kubernetes connection: greyed out, with the reason.
        QVERIFY(window->openSpec(sqliteSpec(m_dir.filePath(QStringLiteral("plain.db"))), QStringLiteral("plain")));
        QVERIFY(settled(window->currentPane()));
        const auto why = window->whyNot(*Actions::find(QStringLiteral("global.namespace")));
        QVERIFY(why);
        QVERIFY2(why->contains(QLatin1String("not a Kubernetes")), qPrintable(*why));
    }
};

QTEST_MAIN(TestGuiSecrets)
#include "tst_gui_secrets.moc"
