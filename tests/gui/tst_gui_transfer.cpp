// The desktop console's transfer wizard over real SQLite stores, driven as
// a user drives it: File → Export writes a snapshot; File → Import checks
// it, shows the dry run key by key, then imports for real; a cancel
// half-way leaves every key whole or untouched; File → Migrate asks before
// it writes into another store and verifies after; File → Verify finds the
// key that differs. A read-only connection cannot import.
#include "GuiTestSupport.h"

#include <QInputDialog>
#include <QLineEdit>
#include "TransferDialog.h"
#include "console/Actions.h"
#include "console/ExportJob.h"
#include "console/JobReportModel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QSignalSpy>
#include <QTableView>

using namespace sd;
using namespace sd::console;
using namespace sd::widgets;
using namespace sd::test::gui;
using sd::test::await;

class TestGuiTransfer : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_stores = 0;

    QString newStorePath() { return m_dir.filePath(QStringLiteral("store%1.db").arg(++m_stores)); }

    static QList<QPair<QString, Json>> entries(int n)
    {
        QList<QPair<QString, Json>> out;
        for (int i = 0; i < n; ++i)
            out.append({QStringLiteral("app/key%1").arg(i, 5, 10, QLatin1Char('0')),
                        Json{{"n", i}, {"payload", std::string(64, 'x')}}});
        return out;
    }

    static std::unique_ptr<Provider> store(const QString &path)
    {
        return std::move(openProvider(sqliteSpec(path)).value());
    }

    static int countKeys(Provider *p)
    {
        int n = 0;
        ListOptions o;
        o.keysOnly = true;
        do {
            const auto page = await(p->list(o), 60000);
            if (!page.ok())
                return -1;
            n += int(page->entries.size());
            o.cursor = page->nextCursor;
        } while (!o.cursor.isEmpty());
        return n;
    }

    std::unique_ptr<MainWindow> window(bool readOnly = false)
    {
        return makeWindow(testOptions(m_dir.filePath(QStringLiteral("connections.yaml")), readOnly));
    }

    // A window open on `path` (a SQLite store filled with `n` entries first)
    // as connection `name`, its first listing settled; null if set-up failed.
    std::unique_ptr<MainWindow> windowOn(const QString &path, int n, const QString &name, bool readOnly = false)
    {
        if (!fill(store(path).get(), entries(n)))
            return nullptr;
        auto w = window(readOnly);
        if (!w->openSpec(sqliteSpec(path), name) || !settled(w->currentPane()))
            return nullptr;
        return w;
    }

    static TransferDialog *openWizard(MainWindow *w, const QString &action)
    {
        w->updateActions();
        if (!w->action(action)->isEnabled()) {
            qWarning("%s: %s", qPrintable(action), qPrintable(w->action(action)->toolTip()));
            return nullptr;
        }
        w->run(action);
        return waitForDialog<TransferDialog>(w->currentPane());
    }

    static bool finished(TransferDialog *d, Job::State state)
    {
        const bool done =
            QTest::qWaitFor([d] { return d->job() && d->job()->isFinished(); }, 120000);
        if (!done || d->job()->state() != state)
            qWarning("job %s: %s", done ? qPrintable(Job::stateName(d->job()->state())) : "still running",
                     qPrintable(d->summaryLabel()->text()));
        return done && d->job()->state() == state;
    }

    // A snapshot of `n` entries, made with the console's export job.
    QString snapshotOf(int n)
    {
        const QString source = newStorePath();
        auto p = store(source);
        if (!fill(p.get(), entries(n)))
            return {};
        ExportOptions o;
        o.path = m_dir.filePath(QStringLiteral("snap%1.jsonl.gz").arg(m_stores));
        ExportJob job(p.get(), o);
        QSignalSpy done(&job, &Job::finished);
        job.start();
        if (!done.wait(120000) || job.state() != Job::State::Succeeded)
            return {};
        return o.path;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(isolateHome(m_dir)); }

    // Export from one store, import into another: the file is checked and
    // described, the dry run lists every key and writes nothing, the import
    // writes them all.
    void testExportThenImport()
    {
        const QString sourcePath = newStorePath();
        auto w = windowOn(sourcePath, 300, QStringLiteral("source"));
        QVERIFY(w);

        TransferDialog *ex = openWizard(w.get(), QStringLiteral("global.export"));
        QVERIFY(ex);
        QCOMPARE(ex->kind(), TransferDialog::Kind::Export);
        QVERIFY(!ex->startButton()->isEnabled());
        QCOMPARE(ex->problemLabel()->text(), QStringLiteral("name the snapshot file to write"));
        ex->pathEdit()->setText(m_dir.filePath(QStringLiteral("no/such/folder/s.jsonl")));
        QVERIFY(ex->problemLabel()->text().startsWith(QLatin1String("the folder")));
        const QString snapshot = m_dir.filePath(QStringLiteral("export.jsonl.gz"));
        ex->pathEdit()->setText(snapshot);
        QVERIFY(!ex->encryptBox()->isChecked()); // SQLite values are not secret
        QVERIFY(ex->startButton()->isEnabled());
        ex->startButton()->click();
        QVERIFY(ex->onRunPage());
        QVERIFY(finished(ex, Job::State::Succeeded));
        QVERIFY(QFileInfo(snapshot).size() > 0);
        QVERIFY(ex->summaryLabel()->text().contains(QLatin1String("300")));
        shot(ex, QStringLiteral("transfer-export"));
        ex->close();

        const QString targetPath = newStorePath();
        auto target = store(targetPath);
        QVERIFY(w->openSpec(sqliteSpec(targetPath), QStringLiteral("target")));
        QVERIFY(settled(w->currentPane()));
        TransferDialog *im = openWizard(w.get(), QStringLiteral("global.import"));
        QVERIFY(im);
        QCOMPARE(im->problemLabel()->text(), QStringLiteral("choose the snapshot to import"));
        im->pathEdit()->setText(snapshot);
        QVERIFY2(im->snapshotLabel()->text().startsWith(QLatin1String("300 entries")), qPrintable(im->snapshotLabel()->text()));
        QVERIFY(im->dryRunButton()->isDefault()); // Enter never writes
        im->dryRunButton()->click();
        QVERIFY(finished(im, Job::State::Succeeded));
        QVERIFY(im->job()->isDryRun());
        QCOMPARE(im->reportTable()->model()->rowCount(), 300);
        QCOMPARE(im->reportTable()->model()->index(0, JobReportModel::ActionColumn).data().toString(),
                 QStringLiteral("create"));
        QCOMPARE(countKeys(target.get()), 0);
        QVERIFY(im->runForRealButton()->isVisible());
        shot(im, QStringLiteral("transfer-import-dry-run"));
        im->runForRealButton()->click();
        QVERIFY(finished(im, Job::State::Succeeded));
        QVERIFY(!im->job()->isDryRun());
        QCOMPARE(countKeys(target.get()), 300);
        QCOMPARE(await(target->get(QStringLiteral("app/key00042")))->value.value("n", -1), 42);
        QVERIFY(!im->runForRealButton()->isVisible());
        QVERIFY(said(w.get(), QStringLiteral("import: ")));
    }

    // Cancel while it writes: the job ends Cancelled, part of the snapshot
    // is in the store, and every key there holds its whole value.
    void testImportCancelHalfWay()
    {
        const int total = 20000;
        const QString snapshot = snapshotOf(total);
        QVERIFY(!snapshot.isEmpty());
        const QString targetPath = newStorePath();
        auto target = store(targetPath);
        auto w = window();
        QVERIFY(w->openSpec(sqliteSpec(targetPath), QStringLiteral("target")));
        QVERIFY(settled(w->currentPane()));
        TransferDialog *im = openWizard(w.get(), QStringLiteral("global.import"));
        QVERIFY(im);
        im->pathEdit()->setText(snapshot);
        // The first page written: Cancel, as a user watching the bar would.
        bool clicked = false;
        connect(im, &TransferDialog::jobStarted, this, [&](Job *job) {
            connect(job, &Job::progressChanged, this, [&, im](const TransferProgress &p) {
                if (!clicked && p.phase == QLatin1String("write") && p.done > 0) {
                    clicked = true;
                    QVERIFY(im->cancelButton()->isVisible());
                    im->cancelButton()->click();
                }
            });
        });
        im->startButton()->click();
        QVERIFY(finished(im, Job::State::Cancelled));
        QVERIFY(clicked);
        // The console's sentence, as the TUI shows it; the progress line
        // keeps where it stopped.
        QCOMPARE(im->summaryLabel()->text(), im->job()->outcomeText());
        QVERIFY2(im->summaryLabel()->text().startsWith(QLatin1String("Import cancelled: nothing is half-written")),
                 qPrintable(im->summaryLabel()->text()));
        QVERIFY2(im->progressLabel()->text().startsWith(QLatin1String("write ")), qPrintable(im->progressLabel()->text()));
        QVERIFY2(!im->progressLabel()->text().contains(QLatin1String("ETA")), qPrintable(im->progressLabel()->text()));
        QVERIFY(im->backButton()->isVisible());
        const int written = countKeys(target.get());
        QVERIFY2(written > 0 && written < total, qPrintable(QString::number(written)));
        ListOptions o;
        o.limit = 0;
        QString cursor;
        int checked = 0;
        do {
            o.cursor = cursor;
            const auto page = await(target->list(o), 60000);
            QVERIFY(page.ok());
            for (const Entry &e : page->entries) {
                const int n = QStringView(e.key).mid(7).toInt();
                QCOMPARE(e.value, (Json{{"n", n}, {"payload", std::string(64, 'x')}}));
                ++checked;
            }
            cursor = page->nextCursor;
        } while (!cursor.isEmpty());
        QCOMPARE(checked, written);
        shot(im, QStringLiteral("transfer-import-cancelled"));
        // Closing while nothing runs closes.
        im->close();
        QTRY_VERIFY(!im->isVisible());
    }

    // While a job runs, Esc stays the focused view's (it stops a listing in
    // the key browser; the job goes on) and the table's jobs.cancel
    // shortcut cancels the job from there. Escape was both once, so
    // neither ran.
    void testCancelShortcutFromAnyView()
    {
        const QString snapshot = snapshotOf(20000);
        QVERIFY(!snapshot.isEmpty());
        const QString targetPath = newStorePath();
        auto w = window();
        QVERIFY(w->openSpec(sqliteSpec(targetPath), QStringLiteral("target")));
        QVERIFY(settled(w->currentPane()));
        TransferDialog *im = openWizard(w.get(), QStringLiteral("global.import"));
        QVERIFY(im);
        im->pathEdit()->setText(snapshot);
        // The user goes back to the main window and the key list while it runs.
        w->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(w.get()));
        QWidget *keys = w->currentPane()->keyBrowser()->view();
        keys->setFocus();
        const QKeySequence cancel(Actions::find(QStringLiteral("jobs.cancel"))->guiShortcut);
        bool pressed = false, activeThen = false, escapeCancelled = true, shortcutCancelled = false;
        connect(im, &TransferDialog::jobStarted, this, [&](Job *job) {
            connect(job, &Job::progressChanged, this, [&, job](const TransferProgress &p) {
                if (pressed || p.phase != QLatin1String("write") || p.done == 0)
                    return;
                pressed = true;
                activeThen = w->isActiveWindow();
                QTest::keyClick(keys, Qt::Key_Escape);
                escapeCancelled = job->isCancelling();
                QTest::keyClick(keys, cancel[0].key(), cancel[0].keyboardModifiers());
                shortcutCancelled = job->isCancelling();
            });
        });
        im->startButton()->click();
        QVERIFY(finished(im, Job::State::Cancelled));
        QVERIFY(pressed);
        QVERIFY(activeThen);
        QVERIFY(!escapeCancelled);
        QVERIFY(shortcutCancelled);
        QTRY_VERIFY(!w->action(QStringLiteral("jobs.cancel"))->isEnabled());
        im->close();
    }

    // Migrate into a store named by URL: a dry run, then a confirmation,
    // then the copy and its verify; then Verify finds a key changed there.
    void testMigrateAndVerify()
    {
        const QString sourcePath = newStorePath();
        QVERIFY(fill(store(sourcePath).get(), entries(200)));
        const QString targetPath = newStorePath();
        auto target = store(targetPath);
        auto w = window();
        QVERIFY(w->openSpec(sqliteSpec(sourcePath), QStringLiteral("source")));
        QVERIFY(settled(w->currentPane()));

        TransferDialog *mi = openWizard(w.get(), QStringLiteral("global.migrate"));
        QVERIFY(mi);
        QCOMPARE(mi->problemLabel()->text(), QStringLiteral("choose the store to migrate into"));
        mi->storeBox()->setCurrentText(QStringLiteral("sqlite://") + targetPath);
        mi->prefixEdit()->setText(QStringLiteral("app/"));
        QVERIFY(mi->startButton()->isEnabled());
        mi->dryRunButton()->click();
        QVERIFY(finished(mi, Job::State::Succeeded));
        QCOMPARE(mi->reportTable()->model()->rowCount(), 200);
        QCOMPARE(countKeys(target.get()), 0);
        mi->runForRealButton()->click();
        // It writes into another store: asked first; Cancel writes nothing.
        auto *confirm = waitForDialog<ConfirmDialog>(mi);
        QVERIFY(confirm);
        QVERIFY(confirm->windowTitle().contains(QLatin1String("app/*")));
        shot(confirm, QStringLiteral("transfer-migrate-confirm"));
        confirm->reject();
        QVERIFY(mi->job()->isDryRun());
        mi->runForRealButton()->click();
        confirm = waitForDialog<ConfirmDialog>(mi);
        QVERIFY(confirm);
        confirm->confirmButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(mi->job() && !mi->job()->isDryRun(), 20000);
        QVERIFY(finished(mi, Job::State::Succeeded));
        QCOMPARE(countKeys(target.get()), 200);
        shot(mi, QStringLiteral("transfer-migrate-done"));
        mi->close();

        // Someone changes one key in the target: Verify names it.
        QVERIFY(fill(target.get(), {{QStringLiteral("app/key00007"), Json{{"n", -7}}}}));
        TransferDialog *ve = openWizard(w.get(), QStringLiteral("global.verify"));
        QVERIFY(ve);
        QVERIFY(!ve->dryRunButton());
        ve->storeBox()->setCurrentText(QStringLiteral("sqlite://") + targetPath);
        ve->startButton()->click();
        QVERIFY(finished(ve, Job::State::Succeeded));
        QCOMPARE(ve->reportTable()->model()->rowCount(), 1);
        QCOMPARE(ve->reportTable()->model()->index(0, JobReportModel::KeyColumn).data().toString(),
                 QStringLiteral("app/key00007"));
        QCOMPARE(int(ve->job()->tone()), int(Tone::Warning));
    }

    // Set-up errors are named before anything starts.
    void testSetupProblems_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("problem");
        QTest::newRow("import: no such file") << "global.import" << "/no/such/snapshot.jsonl" << "/no/such/snapshot.jsonl does not exist";
        QTest::newRow("export: a folder") << "global.export" << "/" << "/ is a folder; name a file in it";
        QTest::newRow("verify: nothing chosen") << "global.verify" << "" << "choose the store to compare with";
    }

    void testSetupProblems()
    {
        QFETCH(QString, action);
        QFETCH(QString, input);
        QFETCH(QString, problem);
        const QString path = newStorePath();
        auto w = windowOn(path, 3, QStringLiteral("s"));
        QVERIFY(w);
        TransferDialog *d = openWizard(w.get(), action);
        QVERIFY(d);
        if (d->pathEdit())
            d->pathEdit()->setText(input);
        else
            d->storeBox()->setCurrentText(input);
        QCOMPARE(d->problemLabel()->text(), problem);
        QVERIFY(!d->startButton()->isEnabled());
        d->startButton()->click(); // disabled: nothing happens
        QVERIFY(!d->onRunPage());
        QVERIFY(!d->job());
    }

    // A store that cannot be opened is named with the reason when Start is
    // pressed, on the set-up page; nothing runs.
    void testTargetThatCannotOpen()
    {
        const QString path = newStorePath();
        auto w = windowOn(path, 3, QStringLiteral("s"));
        QVERIFY(w);
        TransferDialog *d = openWizard(w.get(), QStringLiteral("global.migrate"));
        QVERIFY(d);
        d->storeBox()->setCurrentText(QStringLiteral("nosuch://x"));
        QVERIFY(d->startButton()->isEnabled());
        d->dryRunButton()->click();
        QVERIFY2(d->problemLabel()->text().startsWith(QLatin1String("cannot open nosuch://x: ")),
                 qPrintable(d->problemLabel()->text()));
        QVERIFY(!d->onRunPage());
        QVERIFY(!d->job());
    }

    // Read-only: nothing is imported into it; exporting from it is fine.
    void testReadOnly()
    {
        const QString path = newStorePath();
        auto w = windowOn(path, 3, QStringLiteral("prod"), true);
        QVERIFY(w);
        w->updateActions();
        QVERIFY(!w->action(QStringLiteral("global.import"))->isEnabled());
        QVERIFY2(w->action(QStringLiteral("global.import"))->toolTip().contains(QLatin1String("read-only")),
                 qPrintable(w->action(QStringLiteral("global.import"))->toolTip()));
        QVERIFY(w->action(QStringLiteral("global.export"))->isEnabled());
        QVERIFY(w->action(QStringLiteral("global.verify"))->isEnabled());
    }

    // Answers the wizard's next passphrase question.
    static bool answerPassphrase(TransferDialog *d, const QString &text)
    {
        QInputDialog *ask = nullptr;
        (void)QTest::qWaitFor( // ask stays null on a timeout
            [&] {
                for (QInputDialog *i : d->findChildren<QInputDialog *>())
                    if (i->isVisible() && i->objectName() == QLatin1String("passphraseDialog"))
                        ask = i;
                return ask != nullptr;
            },
            20000);
        if (!ask || ask->textEchoMode() != QLineEdit::Password)
            return false;
        ask->setTextValue(text);
        ask->accept();
        return true;
    }

    // A sealed export asks the passphrase twice; two that differ write
    // nothing. Replacing an existing file asks first, and No keeps it. The
    // sealed snapshot then imports only with its passphrase.
    void testSealedExportAndReplace()
    {
        const QString sourcePath = newStorePath();
        auto w = windowOn(sourcePath, 20, QStringLiteral("source"));
        QVERIFY(w);
        const QString snapshot = m_dir.filePath(QStringLiteral("sealed.jsonl"));

        TransferDialog *ex = openWizard(w.get(), QStringLiteral("global.export"));
        QVERIFY(ex);
        ex->pathEdit()->setText(snapshot);
        ex->encryptBox()->setChecked(true);
        ex->startButton()->click();
        QVERIFY(answerPassphrase(ex, QStringLiteral("correct horse")));
        QVERIFY(answerPassphrase(ex, QStringLiteral("correct hose")));
        QTRY_VERIFY(said(w.get(), QStringLiteral("The two passphrases differ; nothing done.")));
        QVERIFY(!ex->job());
        QVERIFY(!QFileInfo::exists(snapshot));

        ex->startButton()->click();
        QVERIFY(answerPassphrase(ex, QStringLiteral("correct horse")));
        QVERIFY(answerPassphrase(ex, QStringLiteral("correct horse")));
        QVERIFY(finished(ex, Job::State::Succeeded));
        QFile sealed(snapshot);
        QVERIFY(sealed.open(QIODevice::ReadOnly));
        const QByteArray bytes = sealed.readAll();
        QVERIFY(bytes.contains("app/key00007"));                     // keys stay readable
        QVERIFY(!bytes.contains(QByteArray(64, 'x')));                // values do not
        // Closed, the wizard goes (WA_DeleteOnClose); the next is a new one.
        QPointer<TransferDialog> closed(ex);
        ex->close();
        QTRY_VERIFY(!closed);

        // The file exists now: replacing it asks, and No leaves it alone.
        ex = openWizard(w.get(), QStringLiteral("global.export"));
        QVERIFY(ex);
        ex->pathEdit()->setText(snapshot);
        ex->encryptBox()->setChecked(false);
        QVERIFY(!ex->job());
        ex->startButton()->click();
        ConfirmDialog *replace = waitForDialog<ConfirmDialog>(ex);
        QVERIFY(replace);
        QVERIFY(replace->windowTitle().contains(QLatin1String("sealed.jsonl")));
        replace->reject();
        QTRY_VERIFY(!replace->isVisible());
        QVERIFY(!ex->job());
        QFile still(snapshot);
        QVERIFY(still.open(QIODevice::ReadOnly));
        QCOMPARE(still.readAll(), bytes);
        ex->close();

        // Importing the sealed snapshot: its passphrase is asked, a wrong
        // one writes nothing and says so, the right one imports all.
        const QString targetPath = newStorePath();
        auto target = store(targetPath);
        QVERIFY(w->openSpec(sqliteSpec(targetPath), QStringLiteral("target")));
        QVERIFY(settled(w->currentPane()));
        TransferDialog *im = openWizard(w.get(), QStringLiteral("global.import"));
        QVERIFY(im);
        im->pathEdit()->setText(snapshot);
        im->startButton()->click();
        QVERIFY(answerPassphrase(im, QStringLiteral("battery staple")));
        QVERIFY(finished(im, Job::State::Failed));
        QVERIFY2(im->summaryLabel()->text().contains(QLatin1String("passphrase"), Qt::CaseInsensitive),
                 qPrintable(im->summaryLabel()->text()));
        QCOMPARE(countKeys(target.get()), 0);
        // Back to the set-up, as a user would after a failure, and again.
        QVERIFY(im->backButton()->isVisible());
        im->backButton()->click();
        QVERIFY(!im->onRunPage());
        const Job *failed = im->job();
        im->startButton()->click();
        QVERIFY(answerPassphrase(im, QStringLiteral("correct horse")));
        QTRY_VERIFY(im->job() != failed);
        QVERIFY(finished(im, Job::State::Succeeded));
        QCOMPARE(countKeys(target.get()), 20);
        QCOMPARE(await(target->get(QStringLiteral("app/key00007")))->value.value("n", -1), 7);
    }
};

QTEST_MAIN(TestGuiTransfer)
#include "tst_gui_transfer.moc"
