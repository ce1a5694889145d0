// Migrations interrupted by kill -9 resume without duplicating or skipping
// anything: a helper process (tests/helpers/sd-migrate-crash) migrates and
// SIGKILLs itself at a chosen step of the write of a page (after the backup
// append, after its sync, after the write, after the checkpoint: no
// timing); the same migration run again continues from the checkpoint, and
// the target then holds exactly the source's entries. With --on-conflict
// overwrite, the backup holds each overwritten value exactly once, wherever
// the kill fell. The last case kills statedeckctl itself from outside and
// reruns the command.
#include "TestSupport.h"
#include "TransferTestSupport.h"
#include "ProviderContract.h"
#include "transfer/Migrator.h"
#include "transfer/SnapshotReader.h"

#include <QProcess>

#include <csignal>
#include <QTest>

using namespace sd;
using namespace sd::test;

class TestTransferResume : public QObject {
    Q_OBJECT

    TransferStores m_stores;
    QTemporaryDir m_files;
    QString m_helper;
    int m_case = 0;

    // Runs the helper, killed at `killAt` (STEP:N); returns whether it died
    // of SIGKILL.
    bool crashRun(const QString &checkpoint, const QString &killAt, const QString &policy, const QString &backups,
                  const StoreSpec &from, const StoreSpec &to)
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        p.start(m_helper, QStringList{checkpoint, killAt, policy, backups, from.backend}
                              + specArguments(from) + QStringList{QStringLiteral("--"), to.backend}
                              + specArguments(to));
        if (!p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished();
            return false;
        }
        return p.exitStatus() == QProcess::CrashExit;
    }

    // A migration's two stores: a SQLite source of `n` entries and an empty
    // `target`; with `overwriteEvery` > 0 every such entry's key is in the
    // target already, with another value (`old`, by target key).
    struct Stores {
        StoreSpec fromSpec, toSpec;
        std::unique_ptr<Provider> src, dst;
        QList<Entry> data;
        TargetForm form;
        QMap<QString, Json> old;
        QString checkpoint, backups;
    };
    void prepare(Stores &m, const QString &target, int n, bool unicodeKeys, int overwriteEvery)
    {
        m.fromSpec = m_stores.fresh(QStringLiteral("sqlite"));
        m.toSpec = m_stores.fresh(target);
        m.src = m_stores.open(m.fromSpec);
        m.dst = m_stores.open(m.toSpec);
        m.data = inStoreForm(transferDataset(n, unicodeKeys), m.src->capabilities());
        QVERIFY(fillStore(m.src.get(), m.data));
        m.form = TargetForm::between(m.src->capabilities().keySeparator, m.dst->scheme(), m.dst->capabilities(),
                                     KeyTranslation::Auto);
        if (overwriteEvery > 0) {
            QList<Entry> theirs;
            for (int i = 0; i < n; i += overwriteEvery) {
                Entry e = entryForTarget(m.data[i], m.form).value();
                e.raw.clear();
                e.value = Json{{"old", i}};
                theirs << e;
                m.old.insert(e.key, e.value);
            }
            QVERIFY(fillStore(m.dst.get(), theirs));
        }
        m.checkpoint = m_files.filePath(QStringLiteral("cp%1.json").arg(++m_case));
        m.backups = m_files.filePath(QStringLiteral("backups%1").arg(m_case));
    }

    // The interrupted migration, run again in this process to the end.
    static Result<MigrationReport> resume(const Stores &m, ConflictPolicy policy)
    {
        MigrationOptions o;
        o.policy = policy;
        o.checkpointPath = m.checkpoint;
        o.backupDirectory = m.backups;
        Migrator migrator(m.src.get(), m.dst.get(), o);
        return await(migrator.run(), 300000);
    }

    // The target holds exactly the source's values.
    static void checkTarget(const Stores &m)
    {
        const QMap<QString, Entry> got = readStore(m.dst.get());
        QCOMPARE(got.size(), m.data.size());
        for (const Entry &e : m.data) {
            const Entry expected = entryForTarget(e, m.form).value();
            QVERIFY2(got.contains(expected.key), qPrintable(expected.key));
            QVERIFY2(sameContent(got[expected.key], expected), qPrintable(expected.key));
        }
    }

    // The backup holds every overwritten value, each exactly once.
    static void checkBackup(const Stores &m, const TransferReport &report)
    {
        QCOMPARE(report.backedUp, qint64(m.old.size()));
        auto reader = SnapshotReader::open(report.backupPath);
        QVERIFY2(reader.ok(), qPrintable(reader.error().toString()));
        QMap<QString, Json> backedUp;
        for (int i = 0; i < 100000; ++i) {
            auto next = reader.value()->next();
            QVERIFY2(next.ok(), qPrintable(next.error().toString()));
            if (!next.value())
                break;
            QVERIFY2(!backedUp.contains(next.value()->key),
                     qPrintable(QStringLiteral("%1 is backed up twice").arg(next.value()->key)));
            backedUp.insert(next.value()->key, next.value()->value);
        }
        QCOMPARE(backedUp.keys(), m.old.keys());
        for (auto it = m.old.cbegin(); it != m.old.cend(); ++it)
            SD_COMPARE_JSON(backedUp[it.key()], it.value());
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_helper = builtProgram(QStringLiteral("sd-migrate-crash"));
        QVERIFY2(!m_helper.isEmpty(), "sd-migrate-crash was not built");
    }

    void testResumeAfterKill_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("policy");
        QTest::newRow("into etcd") << "etcd" << "fail";
        QTest::newRow("into redis") << "redis" << "fail";
        QTest::newRow("into sqlite") << "sqlite" << "fail";
        QTest::newRow("into etcd, overwriting") << "etcd" << "overwrite";
        QTest::newRow("into redis, overwriting") << "redis" << "overwrite";
    }
    void testResumeAfterKill()
    {
        QFETCH(QString, target);
        QFETCH(QString, policy);
        // For overwrite: every 100th key already in the target with another value.
        Stores m;
        prepare(m, target, 12000, true, policy == QLatin1String("overwrite") ? 100 : 0);
        if (QTest::currentTestFailed())
            return;

        // Two crashes, each while a page is written but not checkpointed
        // (its writes are found unchanged on resume), then a run to the end.
        QVERIFY(crashRun(m.checkpoint, QStringLiteral("page-written:3"), policy, m.backups, m.fromSpec, m.toSpec));
        auto cp1 = loadCheckpoint(m.checkpoint);
        QVERIFY(cp1.ok() && cp1.value());
        const qint64 firstStop = cp1.value()->counts.read;
        QVERIFY(firstStop > 0 && firstStop < m.data.size());
        QVERIFY(crashRun(m.checkpoint, QStringLiteral("page-written:4"), policy, m.backups, m.fromSpec, m.toSpec));
        auto cp2 = loadCheckpoint(m.checkpoint);
        QVERIFY(cp2.ok() && cp2.value());
        QVERIFY(cp2.value()->counts.read > firstStop);
        const qint64 secondStop = cp2.value()->counts.read;
        QVERIFY(secondStop < m.data.size());

        ConflictPolicy conflicts = ConflictPolicy::Fail;
        parseConflictPolicy(policy, &conflicts);
        const auto done = resume(m, conflicts);
        QVERIFY2(done.ok(), qPrintable(done.error().toString()));
        QVERIFY(done->resumed);
        QCOMPARE(done->resumedAfter, secondStop);
        QCOMPARE(done->transfer.read, qint64(m.data.size()));
        QCOMPARE(done->transfer.failed, qint64(0));
        QCOMPARE(done->transfer.conflicts, qint64(0));
        // Every entry arrived once: created, overwritten, or (the pages
        // written again after a crash) found unchanged.
        QCOMPARE(done->transfer.created + done->transfer.changed + done->transfer.unchanged, qint64(m.data.size()));
        QVERIFY(done->verify);
        QVERIFY2(done->verify->clean(),
                 qPrintable(QStringLiteral("%1 missing, %2 differ, %3 extra; first: %4")
                                .arg(done->verify->missing)
                                .arg(done->verify->differs)
                                .arg(done->verify->extra)
                                .arg(done->verify->problems.isEmpty() ? QString() : done->verify->problems.first().key)));
        QVERIFY(!QFile::exists(m.checkpoint));

        checkTarget(m);
        // Across the crashes, the backup holds each overwritten value once.
        if (policy == QLatin1String("overwrite") && !QTest::currentTestFailed())
            checkBackup(m, done->transfer);
    }

    // The backup holds each overwritten value exactly once, wherever a kill
    // falls in the write of a page (issue 12: a kill between backing up a
    // page and writing it once backed the page up twice on resume). Each
    // row kills the migration at one step of a page that overwrites values,
    // some of them twice at the same page, then resumes it to the end.
    void testBackupHoldsEachValueOnce_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QStringList>("kills");
        for (const char *target : {"redis", "sqlite"}) {
            for (const char *step : {"backup-appended", "backup-synced", "page-written", "checkpoint-saved"})
                QTest::addRow("%s, killed at %s", target, step)
                    << QString::fromLatin1(target) << QStringList{QStringLiteral("%1:2").arg(QLatin1String(step))};
            // The resumed run is killed again at the same page, before its
            // write: the page is written a third time.
            QTest::addRow("%s, killed twice after the backup sync", target)
                << QString::fromLatin1(target)
                << QStringList{QStringLiteral("backup-synced:2"), QStringLiteral("backup-synced:1")};
            QTest::addRow("%s, killed after the backup, then after the write", target)
                << QString::fromLatin1(target)
                << QStringList{QStringLiteral("backup-appended:2"), QStringLiteral("page-written:1")};
        }
    }
    void testBackupHoldsEachValueOnce()
    {
        QFETCH(QString, target);
        QFETCH(QStringList, kills);
        // Every 7th key is in the target with another value: every page
        // overwrites some.
        Stores m;
        prepare(m, target, 3000, false, 7);
        if (QTest::currentTestFailed())
            return;
        const QString policy = QStringLiteral("overwrite");
        for (const QString &killAt : kills) {
            QVERIFY2(crashRun(m.checkpoint, killAt, policy, m.backups, m.fromSpec, m.toSpec),
                     qPrintable(QStringLiteral("the run was not killed at %1").arg(killAt)));
            auto cp = loadCheckpoint(m.checkpoint);
            QVERIFY(cp.ok() && cp.value());
            QVERIFY2(cp.value()->counts.read < m.data.size(), qPrintable(killAt));
        }

        const auto done = resume(m, ConflictPolicy::Overwrite);
        QVERIFY2(done.ok(), qPrintable(done.error().toString()));
        QVERIFY(done->resumed);
        QCOMPARE(done->transfer.failed, qint64(0));
        QCOMPARE(done->transfer.conflicts, qint64(0));
        QVERIFY(done->verify && done->verify->clean());
        checkTarget(m);
        if (!QTest::currentTestFailed())
            checkBackup(m, done->transfer);
    }

    // statedeckctl migrate, killed from outside, then run again.
    void testCliResumesAfterKill()
    {
        const QString ctl = builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY(!ctl.isEmpty());
        const StoreSpec fromSpec = m_stores.fresh(QStringLiteral("sqlite"));
        const StoreSpec toSpec = m_stores.fresh(QStringLiteral("etcd"));
        auto src = m_stores.open(fromSpec);
        const QList<Entry> data = inStoreForm(transferDataset(20000, true), src->capabilities());
        QVERIFY(fillStore(src.get(), data));
        const QString from = QStringLiteral("sqlite://") + fromSpec.options.value(QStringLiteral("path")).toString();
        const QString to = QStringLiteral("etcd://127.0.0.1:%1?root=%2")
                               .arg(QUrl(m_stores.etcd()->endpoint()).port())
                               .arg(toSpec.options.value(QStringLiteral("root")).toString());
        QTemporaryDir home;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_STATE_HOME"), home.filePath(QStringLiteral("state")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral("config")));
        const QString migrations = home.filePath(QStringLiteral("state/statedeck/migrations"));

        QProcess first;
        first.setProcessEnvironment(env);
        first.start(ctl, {QStringLiteral("migrate"), QStringLiteral("--from"), from, QStringLiteral("--to"), to});
        QVERIFY(first.waitForStarted());
        // Kill it once a page is in for good (the checkpoint says so).
        auto progressed = [&] {
            const QStringList files = QDir(migrations).entryList({QStringLiteral("*.json")}, QDir::Files);
            if (files.isEmpty())
                return false;
            auto cp = loadCheckpoint(QDir(migrations).filePath(files.first()));
            return cp.ok() && cp.value() && cp.value()->counts.read > 0;
        };
        QTRY_VERIFY_WITH_TIMEOUT(progressed() || first.state() == QProcess::NotRunning, 60000);
        QVERIFY2(first.state() == QProcess::Running, "the migration ended before it could be killed");
        ::kill(pid_t(first.processId()), SIGKILL);
        QVERIFY(first.waitForFinished(10000));
        QCOMPARE(first.exitStatus(), QProcess::CrashExit);
        auto dst = m_stores.open(toSpec);
        QVERIFY(readStore(dst.get()).size() < data.size());

        QProcess second;
        second.setProcessEnvironment(env);
        second.start(ctl, {QStringLiteral("migrate"), QStringLiteral("--from"), from, QStringLiteral("--to"), to,
                           QStringLiteral("-o"), QStringLiteral("json")});
        // STATEDECK_TEST_TIME_SCALE (scripts/check-sanitize.sh): the whole
        // migration under the sanitizers takes several times longer.
        QVERIFY(second.waitForFinished(180000 * sd::test::timeScale()));
        const QByteArray err = second.readAllStandardError();
        QCOMPARE(second.exitCode(), 0);
        QVERIFY2(err.contains("resuming the interrupted migration"), err.constData());
        const Json report = Json::parse(second.readAllStandardOutput().toStdString());
        QCOMPARE(report["resumed"].get<bool>(), true);
        QCOMPARE(report["verify"]["missing"].get<qint64>(), qint64(0));
        QCOMPARE(report["verify"]["differs"].get<qint64>(), qint64(0));
        QCOMPARE(report["verify"]["extra"].get<qint64>(), qint64(0));
        const QMap<QString, Entry> got = readStore(dst.get());
        QCOMPARE(got.size(), data.size());
        for (const Entry &e : data)
            QVERIFY2(got.contains(e.key) && sameContent(got[e.key], e), qPrintable(e.key));
        QCOMPARE(QDir(migrations).entryList({QStringLiteral("*.json")}, QDir::Files), QStringList());
    }
};

QTEST_GUILESS_MAIN(TestTransferResume)
#include "tst_transfer_resume.moc"
