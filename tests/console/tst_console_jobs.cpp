// The console's jobs (core/console: ExportJob, ImportJob, MigrateJob,
// VerifyJob) over real SQLite stores: driven to completion with their
// reports, progress and state signals; cancelled half-way (at a page
// boundary, from the job's own progress signal: no timing) with nothing
// half-written, then run again to completion (the migration resuming from
// its checkpoint); secret values kept out of the report unless revealed.
// Every report model runs under QAbstractItemModelTester.
#include "TestSupport.h"
#include "TransferTestSupport.h"
#include "console/ExportJob.h"
#include "console/ImportJob.h"
#include "console/MigrateJob.h"
#include "console/VerifyJob.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;
using namespace sd::test;

using State = Job::State;

class TestConsoleJobs : public QObject {
    Q_OBJECT

    TransferStores m_stores;
    QTemporaryDir m_files;
    int m_case = 0;

    QString file(const QString &name) { return m_files.filePath(QStringLiteral("%1-%2").arg(++m_case).arg(name)); }

    std::unique_ptr<Provider> sqlite() { return m_stores.open(m_stores.fresh(QStringLiteral("sqlite"))); }

    // `n` small JSON entries under app/ and one text entry.
    static QList<Entry> dataset(int n)
    {
        QList<Entry> out;
        for (int i = 0; i < n; ++i) {
            Entry e;
            e.key = QStringLiteral("app/k%1").arg(i, 5, 10, QLatin1Char('0'));
            e.value = Json{{"i", i}, {"name", "entry-" + std::to_string(i)}};
            out << e;
        }
        Entry text;
        text.key = QStringLiteral("app/note");
        text.encoding = Encoding::Text;
        text.value = "plain words";
        out << text;
        return out;
    }

    static Entry jsonEntry(const QString &key, Json value)
    {
        Entry e;
        e.key = key;
        e.value = std::move(value);
        return e;
    }

    // Starts the job and waits for finished(); `hook` sees every progress
    // signal (a test cancels from there, at a page boundary).
    static bool run(Job &job, std::function<void(Job &, const TransferProgress &)> hook = {})
    {
        QSignalSpy finished(&job, &Job::finished);
        if (hook)
            QObject::connect(&job, &Job::progressChanged, &job,
                             [&job, hook](const TransferProgress &p) { hook(job, p); });
        job.start();
        if (finished.isEmpty() && !finished.wait(120000))
            return false;
        return finished.size() == 1;
    }

    // Cancels on the first progress of `phase` with some work done and
    // some left; `atStart`: on its first progress, which a pass sends as it
    // begins, before any work.
    static std::function<void(Job &, const TransferProgress &)> cancelIn(const QString &phase, bool atStart = false)
    {
        return [phase, atStart](Job &job, const TransferProgress &p) {
            if (p.phase == phase && (atStart || p.done > 0) && (p.total < 0 || p.done < p.total))
                job.cancel();
        };
    }

    static QString exportSnapshot(Provider *source, const QString &path, const QByteArray &passphrase = {})
    {
        ExportOptions o;
        o.path = path;
        o.passphrase = passphrase;
        o.iterations = 1000; // fast in tests
        ExportJob job(source, o);
        if (!run(job) || job.state() != State::Succeeded) {
            qWarning("export failed: %s", job.error() ? qPrintable(job.error()->toString()) : "?");
            return {};
        }
        return path;
    }

    // How many entries the target holds, each the whole of the source's
    // value under its key (nothing half-written); -1 (with a warning) when
    // one is not.
    static qsizetype wholeEntries(Provider *source, Provider *target)
    {
        const QMap<QString, Entry> original = readStore(source);
        const QMap<QString, Entry> written = readStore(target);
        for (auto it = written.cbegin(); it != written.cend(); ++it)
            if (!sameContent(it.value(), original.value(it.key()))) {
                qWarning("%s is not the source's value", qPrintable(it.key()));
                return -1;
            }
        return written.size();
    }

    static QString why(const Job &job) { return job.error() ? job.error()->toString() : QString(); }

    // Every row of a report: "key action".
    static QStringList rowsOf(const JobReportModel *m)
    {
        QStringList out;
        for (int r = 0; r < m->rowCount(); ++r)
            out << m->index(r, JobReportModel::KeyColumn).data().toString() + QLatin1Char(' ')
                       + m->index(r, JobReportModel::ActionColumn).data().toString();
        return out;
    }

    static QStringList messagesOf(const JobReportModel *m)
    {
        QStringList out;
        for (int r = 0; r < m->rowCount(); ++r)
            out << m->index(r, JobReportModel::MessageColumn).data().toString()
                       + m->index(r, 0).data(JobReportModel::DiffRole).toStringList().join(QLatin1Char('|'));
        return out;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_files.isValid()); }

    // An import into SQLite driven to completion: what it writes, what its
    // report lists and counts, for each conflict policy and a dry run.
    void testImport_data()
    {
        QTest::addColumn<QString>("policy");
        QTest::addColumn<bool>("dryRun");
        QTest::addColumn<bool>("targetHasOther"); // app/k00001 differs, app/k00002 is the same
        QTest::addColumn<qint64>("created");
        QTest::addColumn<qint64>("changed");
        QTest::addColumn<qint64>("unchanged");
        QTest::addColumn<qint64>("skipped");
        QTest::addColumn<QStringList>("rows");
        QTest::addColumn<QString>("k1After");

        // 20 JSON entries and a text one.
        QTest::newRow("into an empty store") << "fail" << false << false << qint64(21) << qint64(0) << qint64(0)
                                             << qint64(0) << QStringList() << "1";
        QTest::newRow("dry run") << "fail" << true << true << qint64(19) << qint64(1) << qint64(1) << qint64(0)
                                 << QStringList{"app/k00001 change", "app/k00002 unchanged"} << "other";
        QTest::newRow("skip") << "skip" << false << true << qint64(19) << qint64(0) << qint64(1) << qint64(1)
                              << QStringList{"app/k00001 skipped"} << "other";
        QTest::newRow("overwrite") << "overwrite" << false << true << qint64(19) << qint64(1) << qint64(1)
                                   << qint64(0) << QStringList{"app/k00001 changed"} << "1";
    }

    void testImport()
    {
        QFETCH(QString, policy);
        QFETCH(bool, dryRun);
        QFETCH(bool, targetHasOther);
        QFETCH(qint64, created);
        QFETCH(qint64, changed);
        QFETCH(qint64, unchanged);
        QFETCH(qint64, skipped);
        QFETCH(QStringList, rows);
        QFETCH(QString, k1After);

        auto source = sqlite();
        const QList<Entry> data = dataset(20);
        QVERIFY(fillStore(source.get(), data));
        const QString snapshot = exportSnapshot(source.get(), file(QStringLiteral("app.jsonl.gz")));
        QVERIFY(!snapshot.isEmpty());

        auto target = sqlite();
        if (targetHasOther)
            QVERIFY(fillStore(target.get(), {jsonEntry(QStringLiteral("app/k00001"), Json{{"i", "other"}}),
                                             data.at(2)}));

        ImportOptions o;
        o.path = snapshot;
        QVERIFY(parseConflictPolicy(policy, &o.policy));
        o.dryRun = dryRun;
        o.backupDirectory = m_files.filePath(QStringLiteral("backups-%1").arg(m_case));
        ImportJob job(target.get(), o);
        QAbstractItemModelTester tester(job.report(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy states(&job, &Job::stateChanged);
        QCOMPARE(job.kind(), QStringLiteral("import"));
        QVERIFY(job.description().contains(snapshot));

        QVERIFY(run(job));
        QVERIFY2(job.state() == State::Succeeded, qPrintable(why(job)));
        QCOMPARE(states.size(), 2);
        QCOMPARE(states.at(0).at(0).value<State>(), State::Running);
        QCOMPARE(states.at(1).at(0).value<State>(), State::Succeeded);
        QVERIFY(!job.error());
        QVERIFY(job.snapshot());
        QCOMPARE(job.snapshot()->entries, qint64(data.size()));

        const JobSummary &s = job.report()->summary();
        QVERIFY(s.transfer);
        QCOMPARE(s.transfer->dryRun, dryRun);
        QCOMPARE(s.transfer->created, created);
        QCOMPARE(s.transfer->changed, changed);
        QCOMPARE(s.transfer->unchanged, unchanged);
        QCOMPARE(s.transfer->skipped, skipped);
        QCOMPARE(job.tone(), skipped ? Tone::Warning : Tone::Good);
        // A dry run lists every key; a real run what was not a plain create.
        QStringList listed = rowsOf(job.report());
        if (dryRun) {
            QCOMPARE(listed.size(), data.size());
            listed = listed.filter(QRegularExpression(QStringLiteral(" (change|unchanged)$")));
            QVERIFY(s.text().startsWith(QStringLiteral("dry run: 19 to create, 1 to change, 1 unchanged")));
        }
        QCOMPARE(listed, rows);
        if (policy == QLatin1String("overwrite"))
            QVERIFY(QFile::exists(s.transfer->backupPath));

        const QMap<QString, Entry> after = readStore(target.get());
        QCOMPARE(after.size(), dryRun ? 2 : data.size());
        const Json k1 = after.value(QStringLiteral("app/k00001")).value;
        QCOMPARE(QString::fromStdString(k1["i"].dump()).remove(QLatin1Char('"')), k1After);
    }

    // Cancelled while it checks the file, nothing is written; cancelled
    // after the first page of writes, every key is either absent or whole,
    // and the same import run again completes.
    void testImportCancelled_data()
    {
        QTest::addColumn<QString>("phase");
        QTest::addColumn<bool>("atStart");
        QTest::addColumn<bool>("wroteSome");
        QTest::newRow("while checking the file") << "verify-file" << false << false;
        // The target answers after the cancel: no page is begun after it.
        QTest::newRow("while the target is looked at") << "check" << true << false;
        QTest::newRow("as the writes begin") << "write" << true << false;
        QTest::newRow("after the first page") << "write" << false << true;
    }

    void testImportCancelled()
    {
        QFETCH(QString, phase);
        QFETCH(bool, atStart);
        QFETCH(bool, wroteSome);

        auto source = sqlite();
        // Snapshot pages hold at most 2,000 entries: three pages.
        const QList<Entry> data = dataset(4500);
        QVERIFY(fillStore(source.get(), data));
        const QString snapshot = exportSnapshot(source.get(), file(QStringLiteral("big.jsonl")));
        QVERIFY(!snapshot.isEmpty());
        auto target = sqlite();

        ImportOptions o;
        o.path = snapshot;
        ImportJob job(target.get(), o);
        QAbstractItemModelTester tester(job.report(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(run(job, cancelIn(phase, atStart)));
        QCOMPARE(job.state(), State::Cancelled);
        QVERIFY(job.error());
        QCOMPARE(job.error()->kind, ErrorKind::Cancelled);
        QCOMPARE(job.tone(), Tone::Muted);
        QVERIFY(!job.isCancelling());
        // What both front ends show: cancelled, and what that leaves; the
        // progress says where it stopped, not the speed and ETA it had.
        QCOMPARE(job.outcomeText(),
                 QStringLiteral("Import cancelled: nothing is half-written; running it again completes it."));
        QVERIFY2(job.progressLine().startsWith(job.progress().phase + QLatin1Char(' ')), qPrintable(job.progressLine()));
        QVERIFY2(!job.progressLine().contains(QLatin1String("ETA")) && !job.progressLine().contains(QLatin1String("/s")),
                 qPrintable(job.progressLine()));

        const qsizetype written = wholeEntries(source.get(), target.get());
        if (!wroteSome) {
            QCOMPARE(written, 0);
        } else {
            QVERIFY(written > 0);
            QVERIFY(written < data.size());
        }

        ImportJob again(target.get(), o);
        QVERIFY(run(again));
        QVERIFY2(again.state() == State::Succeeded, qPrintable(why(again)));
        QCOMPARE(again.report()->summary().transfer->unchanged, qint64(written));
        QCOMPARE(again.report()->summary().transfer->created, qint64(data.size() - written));
        QCOMPARE(wholeEntries(source.get(), target.get()), data.size());
    }

    // A migration between SQLite stores to completion, with its verify pass.
    void testMigrate_data()
    {
        QTest::addColumn<QString>("policy");
        QTest::addColumn<bool>("dryRun");
        QTest::addColumn<QStringList>("rows");
        QTest::addColumn<bool>("clean");

        QTest::newRow("into an empty store") << "fail" << false << QStringList() << true;
        QTest::newRow("dry run") << "fail" << true << QStringList{"app/k00001 change"} << true;
        // The skipped key then verifies as different.
        QTest::newRow("skip") << "skip" << false << QStringList{"app/k00001 skipped", "app/k00001 differs"} << false;
        QTest::newRow("overwrite") << "overwrite" << false << QStringList{"app/k00001 changed"} << true;
    }

    void testMigrate()
    {
        QFETCH(QString, policy);
        QFETCH(bool, dryRun);
        QFETCH(QStringList, rows);
        QFETCH(bool, clean);

        auto source = sqlite();
        auto target = sqlite();
        const QList<Entry> data = dataset(300);
        QVERIFY(fillStore(source.get(), data));
        if (!rows.isEmpty())
            QVERIFY(fillStore(target.get(), {jsonEntry(QStringLiteral("app/k00001"), Json{{"i", "other"}})}));

        MigrationOptions o;
        o.prefix = QStringLiteral("app/");
        QVERIFY(parseConflictPolicy(policy, &o.policy));
        o.dryRun = dryRun;
        o.checkpointPath = file(QStringLiteral("checkpoint.json"));
        o.backupDirectory = file(QStringLiteral("backups"));
        MigrateJob job(source.get(), target.get(), o);
        QAbstractItemModelTester tester(job.report(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy verifying(&job, &MigrateJob::verifying);
        QSignalSpy checkpoints(&job, &MigrateJob::checkpointSaved);
        QVERIFY(run(job));
        QVERIFY2(job.state() == State::Succeeded, qPrintable(why(job)));
        QCOMPARE(job.checkpointPath(), o.checkpointPath);
        QTRY_VERIFY(!QFile::exists(o.checkpointPath)); // removed on the migration's worker
        QVERIFY(!job.isResumed());

        const JobSummary &s = job.report()->summary();
        QVERIFY(s.transfer);
        QCOMPARE(s.transfer->read, qint64(data.size()));
        QCOMPARE(s.clean(), clean);
        QCOMPARE(job.tone(), clean ? Tone::Good : Tone::Warning);
        if (dryRun) {
            QCOMPARE(verifying.size(), 0);
            QCOMPARE(checkpoints.size(), 0);
            QVERIFY(!s.verify);
            QCOMPARE(job.report()->rowCount(), data.size());
            QCOMPARE(rowsOf(job.report()).filter(QRegularExpression(QStringLiteral(" change$"))), rows);
            QCOMPARE(readStore(target.get()).size(), 1);
            return;
        }
        QCOMPARE(verifying.size(), 1);
        QVERIFY(checkpoints.size() > 1);
        QVERIFY(s.verify);
        QCOMPARE(s.verify->compared, qint64(data.size()));
        QCOMPARE(rowsOf(job.report()), rows);
        QCOMPARE(readStore(target.get()).size(), data.size());
    }

    // Cancelled after a page, the migration keeps its checkpoint and the
    // target holds whole entries only; a new job with the same options
    // resumes there and completes, verified.
    void testMigrateCancelledAndResumed_data()
    {
        QTest::addColumn<QString>("policy");
        QTest::newRow("fail") << "fail";
        QTest::newRow("overwrite") << "overwrite";
    }

    void testMigrateCancelledAndResumed()
    {
        QFETCH(QString, policy);
        auto source = sqlite();
        auto target = sqlite();
        // Pages grow from 2 entries eightfold: 2, 16, 128, 1024, ...
        const QList<Entry> data = dataset(1500);
        QVERIFY(fillStore(source.get(), data));

        MigrationOptions o;
        QVERIFY(parseConflictPolicy(policy, &o.policy));
        o.checkpointPath = file(QStringLiteral("checkpoint.json"));
        o.backupDirectory = file(QStringLiteral("backups"));
        MigrateJob first(source.get(), target.get(), o);
        QAbstractItemModelTester tester(first.report(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        // Cancel once more than one page is in.
        QVERIFY(run(first, [](Job &job, const TransferProgress &p) {
            if (p.phase == QLatin1String("write") && p.done > 2 && (p.total < 0 || p.done < p.total))
                job.cancel();
        }));
        QCOMPARE(first.state(), State::Cancelled);
        QCOMPARE(first.error()->kind, ErrorKind::Cancelled);
        QVERIFY(QFile::exists(o.checkpointPath));

        const qsizetype written = wholeEntries(source.get(), target.get());
        QVERIFY(written > 2);
        QVERIFY(written < data.size());

        MigrateJob second(source.get(), target.get(), o);
        QAbstractItemModelTester tester2(second.report(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resuming(&second, &MigrateJob::resuming);
        QVERIFY(run(second));
        QVERIFY2(second.state() == State::Succeeded, qPrintable(why(second)));
        QCOMPARE(resuming.size(), 1);
        QVERIFY(second.isResumed());
        QVERIFY(second.resumedAfter() > 0);
        QVERIFY(second.notices().join(QLatin1Char('\n')).contains(QStringLiteral("resuming")));
        const JobSummary &s = second.report()->summary();
        QCOMPARE(s.transfer->read, qint64(data.size()));
        QCOMPARE(s.transfer->created + s.transfer->unchanged, qint64(data.size()));
        QCOMPARE(s.transfer->changed, qint64(0));
        QVERIFY(s.verify && s.verify->clean());
        QTRY_VERIFY(!QFile::exists(o.checkpointPath)); // removed on the migration's worker
        QCOMPARE(wholeEntries(source.get(), target.get()), data.size());
    }

    // Export, import elsewhere, verify: clean; then with the target changed,
    // the verify job lists what is missing, different and extra.
    void testExportThenVerify_data()
    {
        QTest::addColumn<bool>("tamper");
        QTest::addColumn<QStringList>("rows");
        QTest::newRow("identical") << false << QStringList();
        QTest::newRow("changed target") << true
                                        << QStringList{"app/k00003 differs", "app/k00004 missing", "app/zz extra"};
    }

    void testExportThenVerify()
    {
        QFETCH(bool, tamper);
        QFETCH(QStringList, rows);
        auto source = sqlite();
        const QList<Entry> data = dataset(50);
        QVERIFY(fillStore(source.get(), data));

        ExportOptions eo;
        eo.path = file(QStringLiteral("app.jsonl.gz"));
        eo.prefix = QStringLiteral("app/");
        ExportJob exporter(source.get(), eo);
        QAbstractItemModelTester tester(exporter.report(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy progress(&exporter, &Job::progressChanged);
        QVERIFY(run(exporter));
        QCOMPARE(exporter.state(), State::Succeeded);
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.constLast().at(0).value<TransferProgress>().phase, QStringLiteral("export"));
        const JobSummary &es = exporter.report()->summary();
        QVERIFY(es.snapshot);
        QCOMPARE(es.snapshot->entries, qint64(data.size()));
        QCOMPARE(es.snapshot->path, eo.path);
        QVERIFY(QFile::exists(eo.path));
        QCOMPARE(exporter.report()->rowCount(), 0);
        QVERIFY2(es.text().startsWith(QStringLiteral("51 entries in ")), qPrintable(es.text()));

        auto target = sqlite();
        ImportOptions io;
        io.path = eo.path;
        ImportJob importer(target.get(), io);
        QVERIFY(run(importer));
        QCOMPARE(importer.state(), State::Succeeded);

        if (tamper) {
            QVERIFY(fillStore(target.get(), {jsonEntry(QStringLiteral("app/k00003"), Json{{"i", 33}}),
                                             jsonEntry(QStringLiteral("app/zz"), Json{{"x", 1}})}));
            QVERIFY(await(target->remove(QStringLiteral("app/k00004"), Precondition::none())).ok());
        }
        VerifyOptions vo;
        vo.prefix = QStringLiteral("app/");
        VerifyJob verify(source.get(), target.get(), vo);
        QAbstractItemModelTester tester2(verify.report(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(verify.report(), &QAbstractItemModel::rowsInserted);
        QVERIFY(run(verify));
        QCOMPARE(verify.state(), State::Succeeded);
        QStringList listed = rowsOf(verify.report());
        listed.sort();
        QCOMPARE(listed, rows);
        QCOMPARE(inserted.isEmpty(), rows.isEmpty());
        const JobSummary &vs = verify.report()->summary();
        QVERIFY(vs.verify);
        QCOMPARE(vs.verify->clean(), !tamper);
        QCOMPARE(vs.verify->compared, qint64(data.size()));
        QCOMPARE(verify.tone(), tamper ? Tone::Warning : Tone::Good);
        if (tamper) {
            QCOMPARE(vs.verify->missing, qint64(1));
            QCOMPARE(vs.verify->differs, qint64(1));
            QCOMPARE(vs.verify->extra, qint64(1));
            // The differing key's diff, values shown (nothing is secret).
            const int row = verify.report()->match(verify.report()->index(0, 0), KeyRole, QStringLiteral("app/k00003"))
                                .constFirst()
                                .row();
            const QModelIndex message = verify.report()->index(row, JobReportModel::MessageColumn);
            QCOMPARE(message.data().toString(), QStringLiteral("~ /i: 33 -> 3; + /name: \"entry-3\""));
            QCOMPARE(message.data(ToneRole).toInt(), int(Tone::Warning));
            QCOMPARE(verify.report()->index(row, 0).data(JobReportModel::KindRole).toInt(),
                     int(KeyOutcome::Kind::Differs));
        }
    }

    // A cancelled export leaves no file, not even its temporary one.
    void testExportCancelled()
    {
        auto source = sqlite();
        QVERIFY(fillStore(source.get(), dataset(3000)));
        const QString dir = file(QStringLiteral("exports"));
        QVERIFY(QDir().mkpath(dir));
        ExportOptions o;
        o.path = dir + QStringLiteral("/all.jsonl");
        ExportJob job(source.get(), o);
        QVERIFY(run(job, cancelIn(QStringLiteral("export"))));
        QCOMPARE(job.state(), State::Cancelled);
        QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
    }

    // Progress arrives as signals with a phase, counts, rate and ETA, and
    // ends at the total; the state goes Pending, Running, Succeeded once.
    void testProgressSignals_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QStringList>("phases");
        // "check": the look at whether the target is empty, before writing.
        QTest::newRow("import") << "import" << QStringList{"verify-file", "check", "write"};
        QTest::newRow("migrate") << "migrate" << QStringList{"check", "write", "compare"};
        QTest::newRow("verify") << "verify" << QStringList{"compare"};
    }

    void testProgressSignals()
    {
        QFETCH(QString, kind);
        QFETCH(QStringList, phases);
        auto source = sqlite();
        auto target = sqlite();
        const QList<Entry> data = dataset(500);
        QVERIFY(fillStore(source.get(), data));
        std::unique_ptr<Job> job;
        if (kind == QLatin1String("import")) {
            ImportOptions o;
            o.path = exportSnapshot(source.get(), file(QStringLiteral("p.jsonl")));
            job = std::make_unique<ImportJob>(target.get(), o);
        } else if (kind == QLatin1String("migrate")) {
            MigrationOptions o;
            o.checkpointPath = file(QStringLiteral("checkpoint.json"));
            job = std::make_unique<MigrateJob>(source.get(), target.get(), o);
        } else {
            QVERIFY(fillStore(target.get(), data));
            job = std::make_unique<VerifyJob>(source.get(), target.get(), VerifyOptions());
        }
        QCOMPARE(job->state(), State::Pending);
        QSignalSpy progress(job.get(), &Job::progressChanged);
        QSignalSpy states(job.get(), &Job::stateChanged);
        QSignalSpy finished(job.get(), &Job::finished);
        QVERIFY(run(*job));
        QCOMPARE(job->state(), State::Succeeded);
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.at(0).at(0).value<State>(), State::Succeeded);
        QCOMPARE(states.size(), 2);

        QStringList seen;
        qint64 lastDone = -1;
        QString lastPhase;
        for (const QList<QVariant> &args : std::as_const(progress)) {
            const auto p = args.at(0).value<TransferProgress>();
            if (!seen.contains(p.phase)) {
                seen << p.phase;
                // A pass of writes says it began before its first page.
                if (p.phase == QLatin1String("write") || p.phase == QLatin1String("check"))
                    QVERIFY2(p.done == 0, qPrintable(Job::progressText(p)));
            }
            if (p.phase == lastPhase)
                QVERIFY2(p.done >= lastDone, qPrintable(p.phase)); // never goes back within a phase
            lastPhase = p.phase;
            lastDone = p.done;
            QVERIFY(!Job::progressText(p).isEmpty());
        }
        for (const QString &phase : std::as_const(phases))
            QVERIFY2(seen.contains(phase), qPrintable(seen.join(QLatin1Char(','))));
        // The total comes from a count running beside the work, which may
        // still be out at the end; when known, the end is at it.
        const TransferProgress last = job->progress();
        QCOMPARE(last.done, qint64(data.size()));
        if (last.total >= 0)
            QCOMPARE(last.done, last.total);

        // A finished job starts no more.
        job->start();
        job->cancel();
        QCOMPARE(job->state(), State::Succeeded);
        QCOMPARE(finished.size(), 1);
    }

    void testProgressText_data()
    {
        QTest::addColumn<QString>("phase");
        QTest::addColumn<qint64>("done");
        QTest::addColumn<qint64>("total");
        QTest::addColumn<double>("rate");
        QTest::addColumn<double>("eta");
        QTest::addColumn<QString>("text");
        QTest::newRow("unknown total") << "write" << qint64(12) << qint64(-1) << 0.0 << -1.0 << "write 12 entries";
        QTest::newRow("rate and ETA") << "write" << qint64(1200) << qint64(5000) << 830.4 << 4.6
                                      << "write 1200/5000 entries (24%)  830/s  ETA 0:05";
        QTest::newRow("hours") << "compare" << qint64(1) << qint64(100000) << 10.0 << 3725.0
                               << "compare 1/100000 entries (0%)  10/s  ETA 1:02:05";
        QTest::newRow("bytes") << "verify-file" << qint64(3 * 1048576) << qint64(6 * 1048576) << 1048576.0 << 3.0
                               << "verify-file 3.0/6.0 MiB (50%)  1.0 MiB/s  ETA 0:03";
    }

    void testProgressText()
    {
        QFETCH(QString, phase);
        QFETCH(qint64, done);
        QFETCH(qint64, total);
        QFETCH(double, rate);
        QFETCH(double, eta);
        QFETCH(QString, text);
        TransferProgress p;
        p.phase = phase;
        p.done = done;
        p.total = total;
        p.rate = rate;
        p.eta = eta;
        QCOMPARE(Job::progressText(p), text);
    }

    // Values in a report's diffs are masked when secret (here: an encrypted
    // snapshot) unless the job was made with reveal; plain values show.
    void testSecretsMasked_data()
    {
        QTest::addColumn<bool>("encrypted");
        QTest::addColumn<bool>("reveal");
        QTest::addColumn<bool>("shown");
        QTest::newRow("plain snapshot") << false << false << true;
        QTest::newRow("encrypted snapshot") << true << false << false;
        QTest::newRow("encrypted snapshot, revealed") << true << true << true;
    }

    void testSecretsMasked()
    {
        QFETCH(bool, encrypted);
        QFETCH(bool, reveal);
        QFETCH(bool, shown);
        auto source = sqlite();
        QVERIFY(fillStore(source.get(), {jsonEntry(QStringLiteral("db/password"), Json{{"pw", "hunter2-source"}})}));
        const QByteArray passphrase = encrypted ? QByteArray("correct horse") : QByteArray();
        const QString snapshot = exportSnapshot(source.get(), file(QStringLiteral("secret.jsonl")), passphrase);
        QVERIFY(!snapshot.isEmpty());
        auto target = sqlite();
        QVERIFY(fillStore(target.get(), {jsonEntry(QStringLiteral("db/password"), Json{{"pw", "swordfish-target"}})}));

        ImportOptions o;
        o.path = snapshot;
        o.passphrase = passphrase;
        o.dryRun = true;
        QCOMPARE(ImportJob::passphraseNeed(ImportJob::readManifest(snapshot).value(), target.get(), o),
                 encrypted ? ImportJob::PassphraseNeed::ToOpen : ImportJob::PassphraseNeed::None);
        ImportJob job(target.get(), o, reveal);
        QVERIFY(run(job));
        QVERIFY2(job.state() == State::Succeeded, qPrintable(why(job)));
        QCOMPARE(job.revealsValues(), shown);
        QCOMPARE(rowsOf(job.report()), QStringList{"db/password change"});
        const QString text = messagesOf(job.report()).join(QLatin1Char('\n'))
                             + job.report()->index(0, JobReportModel::MessageColumn).data(Qt::ToolTipRole).toString();
        QVERIFY2(text.contains(QStringLiteral("/pw")), qPrintable(text));
        QCOMPARE(text.contains(QStringLiteral("hunter2-source")), shown);
        QCOMPARE(text.contains(QStringLiteral("swordfish-target")), shown);
        QCOMPARE(job.report()->index(0, JobReportModel::MessageColumn).data(ToneRole).toInt(),
                 int(shown ? Tone::Modified : Tone::Secret));
    }

    // An encrypted snapshot without its passphrase fails before writing.
    void testImportNeedsPassphrase()
    {
        auto source = sqlite();
        QVERIFY(fillStore(source.get(), dataset(3)));
        const QString snapshot = exportSnapshot(source.get(), file(QStringLiteral("sealed.jsonl")), "pass phrase");
        auto target = sqlite();
        ImportOptions o;
        o.path = snapshot;
        ImportJob job(target.get(), o);
        QVERIFY(run(job));
        QCOMPARE(job.state(), State::Failed);
        QCOMPARE(job.error()->kind, ErrorKind::Unauthorized);
        QCOMPARE(job.tone(), Tone::Error);
        QVERIFY(readStore(target.get()).isEmpty());
    }

    // A running job destroyed (a window closed): an export leaves no file;
    // a migration leaves whole entries and a checkpoint that a new job
    // resumes from.
    void testDestroyedWhileRunning_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("export") << "export";
        QTest::newRow("migrate") << "migrate";
    }

    void testDestroyedWhileRunning()
    {
        QFETCH(QString, kind);
        auto source = sqlite();
        auto target = sqlite();
        const QList<Entry> data = dataset(3000);
        QVERIFY(fillStore(source.get(), data));
        const QString dir = file(QStringLiteral("out"));
        QVERIFY(QDir().mkpath(dir));
        MigrationOptions mo;
        mo.checkpointPath = dir + QStringLiteral("/checkpoint.json");
        Job *job = nullptr;
        if (kind == QLatin1String("export")) {
            ExportOptions eo;
            eo.path = dir + QStringLiteral("/all.jsonl.gz");
            job = new ExportJob(source.get(), eo);
        } else {
            job = new MigrateJob(source.get(), target.get(), mo);
        }
        QSignalSpy destroyed(job, &QObject::destroyed);
        QSignalSpy finished(job, &Job::finished);
        connect(job, &Job::progressChanged, job, [job](const TransferProgress &p) {
            if (p.done > 2 && (p.total < 0 || p.done < p.total))
                job->deleteLater();
        });
        job->start();
        QVERIFY(destroyed.wait(60000));
        QCOMPARE(finished.size(), 0);

        if (kind == QLatin1String("export")) {
            QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
            return;
        }
        QVERIFY(QFile::exists(mo.checkpointPath));
        QVERIFY(wholeEntries(source.get(), target.get()) >= 0);
        MigrateJob again(source.get(), target.get(), mo);
        QVERIFY(run(again));
        QVERIFY2(again.state() == State::Succeeded, qPrintable(why(again)));
        QVERIFY(again.isResumed());
        QVERIFY(again.report()->summary().verify->clean());
        QCOMPARE(wholeEntries(source.get(), target.get()), data.size());
    }

    // A job cancelled before it starts never runs.
    void testCancelPending()
    {
        auto source = sqlite();
        auto target = sqlite();
        VerifyJob job(source.get(), target.get(), VerifyOptions());
        QSignalSpy finished(&job, &Job::finished);
        job.cancel();
        QCOMPARE(job.state(), State::Cancelled);
        QCOMPARE(finished.size(), 1);
        job.start();
        QCOMPARE(job.state(), State::Cancelled);
        QCOMPARE(finished.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestConsoleJobs)
#include "tst_console_jobs.moc"
