// The remediation views of the console layer (TaskTableModel,
// FeedbackModel) against real stores, SQLite and a real redis-server:
// another writer, a separate `statedeckctl` process, creates tasks, starts
// iterations, adds and resolves feedback, sets statuses and deletes a task,
// and the models follow through the store's watch with row inserts,
// dataChanged and removals (never a reset), under QAbstractItemModelTester.
#include "RedisTestServer.h"
#include "TestSupport.h"
#include "config/StoreUrl.h"
#include "console/FeedbackModel.h"
#include "console/TaskTableModel.h"
#include "console/TaskText.h"
#include "providers/Backends.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;
using namespace sd::remediation;
using namespace sd::test;

class TestConsoleTasks : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;
    std::unique_ptr<RedisTestServer> m_redis;
    int m_stores = 0;

    struct Store {
        QString url;
        std::unique_ptr<Provider> provider;
        std::unique_ptr<RemediationManager> manager;
    };

    Store openStore(const QString &kind)
    {
        Store s;
        const int n = ++m_stores;
        if (kind == QLatin1String("redis")) {
            if (!m_redis) {
                m_redis = std::make_unique<RedisTestServer>();
                if (!m_redis->start())
                    qFatal("cannot start redis-server: %s", qPrintable(m_redis->log()));
            }
            s.url = QStringLiteral("redis://127.0.0.1:%1/%2").arg(m_redis->port()).arg(n % 16);
        } else {
            s.url = QStringLiteral("sqlite://%1").arg(m_home.filePath(QStringLiteral("s%1.db").arg(n)));
        }
        auto parsed = parseStoreUrl(s.url);
        if (!parsed.ok())
            qFatal("bad test URL %s", qPrintable(s.url));
        auto p = openProvider(parsed.value());
        if (!p.ok())
            qFatal("cannot open %s: %s", qPrintable(s.url), qPrintable(p.error().toString()));
        s.provider = std::move(p).value();
        s.manager = std::make_unique<RemediationManager>(s.provider.get());
        return s;
    }

    // statedeckctl in its own process: the other writer.
    bool ctl(const Store &s, const QStringList &args)
    {
        const ProgramRun r = runProgram(builtProgram(QStringLiteral("statedeckctl")),
                                        QStringList{QStringLiteral("--store"), s.url} + args,
                                        isolatedEnvironment(m_home.path()));
        if (r.code != 0)
            qWarning("statedeckctl %s: %s", qPrintable(args.join(QLatin1Char(' '))), qPrintable(r.describe()));
        return r.code == 0;
    }

    static QString cell(const QAbstractItemModel &m, const QString &name, int column, int role = Qt::DisplayRole)
    {
        for (int r = 0; r < m.rowCount(); ++r)
            if (m.index(r, 0).data(KeyRole).toString() == name)
                return m.index(r, column).data(role).toString();
        return QStringLiteral("<no row %1>").arg(name);
    }

    static int toneOf(const QAbstractItemModel &m, const QString &name, int column)
    {
        for (int r = 0; r < m.rowCount(); ++r)
            if (m.index(r, 0).data(KeyRole).toString() == name)
                return m.index(r, column).data(ToneRole).toInt();
        return -1;
    }

    static bool load(TaskTableModel &model)
    {
        QSignalSpy loaded(&model, &TaskTableModel::loaded);
        model.reload();
        // A listing that finished before reload() attached its continuation
        // is delivered inside reload() itself (QFuture::then with a context
        // runs at once on a finished future): already counted, not awaited.
        return !loaded.isEmpty() || loaded.wait(30000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        QVERIFY2(!builtProgram(QStringLiteral("statedeckctl")).isEmpty(), "statedeckctl was not built");
    }

    void cleanupTestCase() { m_redis.reset(); }

    // Another process changes tasks; the table and a feedback view follow.
    void testFollowsAnotherWriter_data()
    {
        QTest::addColumn<QString>("store");
        QTest::addColumn<QString>("schema");
        QTest::newRow("sqlite, seed schema") << "sqlite" << "seed";
        QTest::newRow("sqlite, controller schema") << "sqlite" << "controller";
        QTest::newRow("redis, seed schema") << "redis" << "seed";
        QTest::newRow("redis, controller schema") << "redis" << "controller";
    }

    void testFollowsAnotherWriter()
    {
        QFETCH(QString, store);
        QFETCH(QString, schema);
        const bool controller = schema == QLatin1String("controller");
        const QStringList pr = controller ? QStringList{QStringLiteral("--pr"), QStringLiteral("678")} : QStringList();
        const QString name = configMapName(controller ? Schema::Controller : Schema::Seed, QStringLiteral("42"),
                                           controller ? 678 : -1);
        Store s = openStore(store);

        // One task is there before the view opens.
        QVERIFY(ctl(s, QStringList{QStringLiteral("task"), QStringLiteral("create"), QStringLiteral("7")} + pr));

        TaskTableModel tasks(s.manager.get(), s.provider.get());
        QAbstractItemModelTester tester(&tasks, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(&tasks, &QAbstractItemModel::modelReset);
        QSignalSpy layouts(&tasks, &QAbstractItemModel::layoutChanged);
        QVERIFY(load(tasks));
        QVERIFY(tasks.isLoaded());
        QCOMPARE(tasks.rowCount(), 1);
        QCOMPARE(tasks.index(0, TaskTableModel::TaskColumn).data().toString(), QStringLiteral("7"));
        QCOMPARE(tasks.index(0, TaskTableModel::IterationColumn).data().toString(), QStringLiteral("0/10"));
        QCOMPARE(tasks.index(0, 0).data(TaskTableModel::SchemaRole).toString(), schema);
        QCOMPARE(tasks.index(0, TaskTableModel::PrColumn).data().toString(),
                 controller ? QStringLiteral("678") : QStringLiteral("-"));

        // Created elsewhere: a row is inserted, in name order.
        QSignalSpy inserted(&tasks, &QAbstractItemModel::rowsInserted);
        QVERIFY(ctl(s, QStringList{QStringLiteral("task"), QStringLiteral("create"), QStringLiteral("42")} + pr));
        QTRY_COMPARE_WITH_TIMEOUT(tasks.rowCount(), 2, 20000);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(tasks.index(0, 0).data(KeyRole).toString(), name); // "…-42…" sorts before "…-7…"

        FeedbackModel feedback;
        QAbstractItemModelTester feedbackTester(&feedback, QAbstractItemModelTester::FailureReportingMode::QtTest);
        feedback.follow(&tasks, name);
        QVERIFY(feedback.hasTask());
        QCOMPARE(feedback.rowCount(), 0);
        QSignalSpy feedbackInserted(&feedback, &QAbstractItemModel::rowsInserted);
        QSignalSpy feedbackChanged(&feedback, &QAbstractItemModel::dataChanged);
        QSignalSpy gone(&feedback, &FeedbackModel::taskGone);

        // The next iteration: dataChanged on the row.
        QSignalSpy changed(&tasks, &QAbstractItemModel::dataChanged);
        QVERIFY(ctl(s, {QStringLiteral("task"), QStringLiteral("inc"), name}));
        QTRY_COMPARE_WITH_TIMEOUT(cell(tasks, name, TaskTableModel::IterationColumn), QStringLiteral("1/10"), 20000);
        QVERIFY(!changed.isEmpty());
        QCOMPARE(cell(tasks, name, TaskTableModel::StatusColumn), QStringLiteral("InProgress"));
        QCOMPARE(toneOf(tasks, name, TaskTableModel::StatusColumn), int(Tone::Normal));

        // Critical feedback: counted unresolved, a warning.
        QVERIFY(ctl(s, {QStringLiteral("task"), QStringLiteral("feedback"), QStringLiteral("add"), name,
                        QStringLiteral("--severity"), QStringLiteral("Critical"), QStringLiteral("--type"),
                        QStringLiteral("Bug"), QStringLiteral("--description"), QStringLiteral("Login button broken"),
                        QStringLiteral("--author"), QStringLiteral("5DLabs-Tess"), QStringLiteral("--comment-id"),
                        QStringLiteral("12345")}));
        QTRY_COMPARE_WITH_TIMEOUT(cell(tasks, name, TaskTableModel::UnresolvedColumn), QStringLiteral("1 Critical"),
                                  20000);
        QCOMPARE(toneOf(tasks, name, TaskTableModel::UnresolvedColumn), int(Tone::Warning));
        QCOMPARE(toneOf(tasks, name, TaskTableModel::TaskColumn), int(Tone::Warning));
        QCOMPARE(feedback.rowCount(), 1);
        QCOMPARE(feedbackInserted.size(), 1);
        const QModelIndex f = feedback.index(0, FeedbackModel::DescriptionColumn);
        QCOMPARE(f.data().toString(), QStringLiteral("Login button broken"));
        QCOMPARE(feedback.index(0, FeedbackModel::SeverityColumn).data().toString(), QStringLiteral("Critical"));
        QCOMPARE(feedback.index(0, FeedbackModel::SeverityColumn).data(ToneRole).toInt(), int(Tone::Error));
        QCOMPARE(feedback.index(0, FeedbackModel::TypeColumn).data().toString(), QStringLiteral("Bug"));
        QCOMPARE(feedback.index(0, 0).data(FeedbackModel::ResolvedRole).toBool(), false);
        QCOMPARE(feedback.index(0, 0).data(FeedbackModel::IndexRole).toInt(), 1);
        const QString detail = f.data(FeedbackModel::DetailRole).toString();
        QVERIFY2(detail.contains(QStringLiteral("5DLabs-Tess")) && detail.contains(QStringLiteral("12345"))
                     && detail.contains(QStringLiteral("Login button broken")),
                 qPrintable(detail));

        // Resolved: the same feedback row changes, nothing is inserted.
        QVERIFY(ctl(s, {QStringLiteral("task"), QStringLiteral("feedback"), QStringLiteral("resolve"), name,
                        QStringLiteral("12345")}));
        QTRY_COMPARE_WITH_TIMEOUT(cell(tasks, name, TaskTableModel::UnresolvedColumn), QStringLiteral("-"), 20000);
        QCOMPARE(toneOf(tasks, name, TaskTableModel::UnresolvedColumn), int(Tone::Muted));
        QCOMPARE(feedback.rowCount(), 1);
        QCOMPARE(feedbackInserted.size(), 1);
        QVERIFY(!feedbackChanged.isEmpty());
        QCOMPARE(feedback.index(0, FeedbackModel::StatusColumn).data().toString(), QStringLiteral("Resolved"));
        QCOMPARE(feedback.index(0, FeedbackModel::StatusColumn).data(ToneRole).toInt(), int(Tone::Good));

        // Statuses and their tones.
        QVERIFY(ctl(s, {QStringLiteral("task"), QStringLiteral("status"), name, QStringLiteral("Completed")}));
        QTRY_COMPARE_WITH_TIMEOUT(cell(tasks, name, TaskTableModel::StatusColumn), QStringLiteral("Completed"), 20000);
        QCOMPARE(toneOf(tasks, name, TaskTableModel::StatusColumn), int(Tone::Good));
        QVERIFY(ctl(s, {QStringLiteral("task"), QStringLiteral("status"), name, QStringLiteral("Failed")}));
        QTRY_COMPARE_WITH_TIMEOUT(cell(tasks, name, TaskTableModel::StatusColumn), QStringLiteral("Failed"), 20000);
        QCOMPARE(toneOf(tasks, name, TaskTableModel::StatusColumn), int(Tone::Error));
        QCOMPARE(toneOf(tasks, name, TaskTableModel::AgeColumn), int(Tone::Muted));

        // Deleted elsewhere: the row is removed, the feedback view emptied.
        QSignalSpy removed(&tasks, &QAbstractItemModel::rowsRemoved);
        QVERIFY(ctl(s, {QStringLiteral("rm"), name}));
        QTRY_COMPARE_WITH_TIMEOUT(tasks.rowCount(), 1, 20000);
        QCOMPARE(removed.size(), 1);
        QCOMPARE(gone.size(), 1);
        QVERIFY(!feedback.hasTask());
        QCOMPARE(feedback.rowCount(), 0);

        QCOMPARE(inserted.size(), 1);
        QCOMPARE(resets.size(), 0);
        QCOMPARE(layouts.size(), 0);
    }

    // Writes through the view's own manager show at once; the cap turns the
    // task into an error; a reload keeps rows in place.
    void testOwnWritesAndCap_data()
    {
        QTest::addColumn<QString>("schema");
        QTest::addColumn<QString>("capStatus");
        QTest::newRow("seed") << "seed" << "MaxIterationsReached";
        QTest::newRow("controller") << "controller" << "Terminated";
    }

    void testOwnWritesAndCap()
    {
        QFETCH(QString, schema);
        QFETCH(QString, capStatus);
        const Schema sc = *parseSchema(schema);
        const qint64 pr = sc == Schema::Controller ? 5 : -1;
        Store s = openStore(QStringLiteral("sqlite"));
        TaskTableModel tasks(s.manager.get(), s.provider.get());
        QAbstractItemModelTester tester(&tasks, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(&tasks, &QAbstractItemModel::modelReset);
        QVERIFY(load(tasks));
        QCOMPARE(tasks.rowCount(), 0);

        const auto made = await(s.manager->create(sc, QStringLiteral("3"), pr, 2));
        QVERIFY2(made.ok(), qPrintable(made.error().toString()));
        // The manager's signal puts it in before any watch event.
        QCOMPARE(tasks.rowCount(), 1);
        const QString name = made->name();
        const int max = made->maxIterations();
        for (int i = 0; i < max; ++i)
            QVERIFY(await(s.manager->increment(TaskRef(name))).ok());
        QCOMPARE(cell(tasks, name, TaskTableModel::IterationColumn), QStringLiteral("%1/%1").arg(max));
        QCOMPARE(toneOf(tasks, name, TaskTableModel::IterationColumn), int(Tone::Warning));
        const auto capped = await(s.manager->increment(TaskRef(name)));
        QVERIFY(!capped.ok());
        QTRY_COMPARE_WITH_TIMEOUT(cell(tasks, name, TaskTableModel::StatusColumn), capStatus, 20000);
        QCOMPARE(toneOf(tasks, name, TaskTableModel::StatusColumn), int(Tone::Error));
        QCOMPARE(toneOf(tasks, name, TaskTableModel::TaskColumn), int(Tone::Error));
        QCOMPARE(tasks.task(name)->status(), capStatus);
        // Its labels, for FilterModel's -l.
        const QVariantMap labels = tasks.index(0, 0).data(LabelsRole).toMap();
        QCOMPARE(labels.value(QStringLiteral("app")).toString(),
                 sc == Schema::Seed ? QStringLiteral("remediation-state") : QStringLiteral("remediation-loop"));
        QCOMPARE(labels.value(QStringLiteral("task-id")).toString(), QStringLiteral("3"));

        // A reload of the same tasks changes nothing at all.
        QSignalSpy inserted(&tasks, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&tasks, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&tasks, &QAbstractItemModel::dataChanged);
        QVERIFY(load(tasks));
        QCOMPARE(inserted.size(), 0);
        QCOMPARE(removed.size(), 0);
        QCOMPARE(changed.size(), 0);
        QCOMPARE(resets.size(), 0);
    }

    // The server goes away: the table says its rows may be stale at once;
    // back (empty: this redis-server keeps nothing on disk), the watch's
    // resync removes what is gone and the table is fresh again and follows
    // new writes.
    void testStaleWhileTheWatchIsDown()
    {
        RedisTestServer server;
        QVERIFY2(server.start(), qPrintable(server.log()));
        Store s;
        s.url = QStringLiteral("redis://127.0.0.1:%1/0").arg(server.port());
        auto p = openProvider(parseStoreUrl(s.url).value());
        QVERIFY(p.ok());
        s.provider = std::move(p).value();
        s.manager = std::make_unique<RemediationManager>(s.provider.get());
        QVERIFY(ctl(s, {QStringLiteral("task"), QStringLiteral("create"), QStringLiteral("1")}));

        TaskTableModel tasks(s.manager.get(), s.provider.get());
        QAbstractItemModelTester tester(&tasks, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(load(tasks));
        QCOMPARE(tasks.rowCount(), 1);
        QVERIFY(!tasks.isStale());
        QSignalSpy stale(&tasks, &TaskTableModel::staleChanged);

        server.stop();
        QTRY_VERIFY_WITH_TIMEOUT(tasks.isStale(), 20000);
        QCOMPARE(stale.constFirst().at(0).toBool(), true);
        QVERIFY(server.restart());
        QTRY_VERIFY_WITH_TIMEOUT(!tasks.isStale(), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(tasks.rowCount(), 0, 30000);
        QVERIFY(ctl(s, {QStringLiteral("task"), QStringLiteral("create"), QStringLiteral("2")}));
        QTRY_COMPARE_WITH_TIMEOUT(tasks.rowCount(), 1, 20000);
        QCOMPARE(tasks.index(0, TaskTableModel::TaskColumn).data().toString(), QStringLiteral("2"));
    }

    // A state.json that does not parse is a row, an error, not a gap.
    void testUnreadableTask()
    {
        Store s = openStore(QStringLiteral("sqlite"));
        Entry e;
        e.key = QStringLiteral("task-13-state");
        e.labels = labelsFor(Schema::Seed, QStringLiteral("13"), -1);
        e.value = Json{{"state.json", "{\"task_id\": "}, {"task_id", "13"}, {"iteration", "0"}};
        QVERIFY(await(s.provider->put(e, Precondition::none())).ok());
        TaskTableModel tasks(s.manager.get(), s.provider.get());
        QAbstractItemModelTester tester(&tasks, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(load(tasks));
        QCOMPARE(tasks.rowCount(), 1);
        QCOMPARE(tasks.index(0, TaskTableModel::StatusColumn).data().toString(), QStringLiteral("unreadable"));
        QCOMPARE(tasks.index(0, TaskTableModel::StatusColumn).data(ToneRole).toInt(), int(Tone::Error));
        QVERIFY(tasks.index(0, 0).data(TaskTableModel::StateErrorRole).toString().contains(QStringLiteral("task-13-state")));
    }

    // SortRole sorts ids as numbers, unresolved feedback by severity, times
    // as times, through a QSortFilterProxyModel; refreshing ages is a
    // dataChanged of that column only.
    void testSortRoleAndAges_data()
    {
        QTest::addColumn<int>("column");
        QTest::addColumn<QStringList>("order"); // task ids, ascending
        QTest::newRow("task id") << int(TaskTableModel::TaskColumn) << QStringList{"9", "10", "task-2"};
        QTest::newRow("unresolved") << int(TaskTableModel::UnresolvedColumn) << QStringList{"task-2", "10", "9"};
        QTest::newRow("iteration") << int(TaskTableModel::IterationColumn) << QStringList{"task-2", "9", "10"};
    }

    void testSortRoleAndAges()
    {
        QFETCH(int, column);
        QFETCH(QStringList, order);
        Store s = openStore(QStringLiteral("sqlite"));
        RemediationManager &m = *s.manager;
        QVERIFY(await(m.create(Schema::Seed, QStringLiteral("9"))).ok());
        QVERIFY(await(m.create(Schema::Seed, QStringLiteral("10"))).ok());
        QVERIFY(await(m.create(Schema::Controller, QStringLiteral("task-2"), 1)).ok());
        auto add = [&](const QString &id, const QString &severity, int n) {
            for (int i = 0; i < n; ++i) {
                NewFeedback f;
                f.severity = severity;
                f.issueType = QStringLiteral("Bug");
                f.description = QStringLiteral("d");
                f.author = QStringLiteral("a");
                f.commentId = QString::number(1000 + i);
                QVERIFY(await(m.addFeedback(TaskRef(id, -1, Schema::Seed), f)).ok());
            }
        };
        add(QStringLiteral("9"), QStringLiteral("Critical"), 1);
        add(QStringLiteral("10"), QStringLiteral("Low"), 3);
        QVERIFY(await(m.increment(TaskRef(QStringLiteral("10"), -1, Schema::Seed))).ok());
        QVERIFY(await(m.increment(TaskRef(QStringLiteral("10"), -1, Schema::Seed))).ok());
        QVERIFY(await(m.increment(TaskRef(QStringLiteral("9"), -1, Schema::Seed))).ok());

        TaskTableModel tasks(&m, s.provider.get());
        tasks.setAgeRefreshInterval(0); // only the explicit refresh below
        QVERIFY(load(tasks));
        QCOMPARE(tasks.rowCount(), 3);
        QSortFilterProxyModel sorted;
        sorted.setSourceModel(&tasks);
        sorted.setSortRole(SortRole);
        sorted.sort(column);
        QStringList got;
        for (int r = 0; r < sorted.rowCount(); ++r)
            got << sorted.index(r, TaskTableModel::TaskColumn).data().toString();
        QCOMPARE(got, order);

        QSignalSpy changed(&tasks, &QAbstractItemModel::dataChanged);
        tasks.refreshAges();
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.at(0).at(0).value<QModelIndex>().column(), int(TaskTableModel::AgeColumn));
        QCOMPARE(changed.at(0).at(1).value<QModelIndex>().column(), int(TaskTableModel::AgeColumn));
        QCOMPARE(changed.at(0).at(1).value<QModelIndex>().row(), 2);
    }

    void testUnresolvedText_data()
    {
        QTest::addColumn<QStringList>("severities"); // of unresolved entries
        QTest::addColumn<QString>("text");
        QTest::newRow("none") << QStringList() << "-";
        QTest::newRow("most severe first") << QStringList{"Low", "Critical", "Low"} << "1 Critical, 2 Low";
        QTest::newRow("unknown severity last") << QStringList{"", "High"} << "1 High, 1 ?";
    }

    void testUnresolvedText()
    {
        QFETCH(QStringList, severities);
        QFETCH(QString, text);
        QList<FeedbackView> views;
        for (const QString &sev : std::as_const(severities)) {
            FeedbackView v;
            v.severity = sev;
            views << v;
        }
        FeedbackView resolved;
        resolved.severity = QStringLiteral("Critical");
        resolved.resolved = true;
        views << resolved;
        QCOMPARE(unresolvedText(unresolvedBySeverity(views)), text);
    }

    // The chart's data: entries as "iteration:severity" (iteration -1 as
    // the seed's schema leaves it), counts as "iteration severity=n ...",
    // and the severities in stacking order.
    void testFeedbackByIteration_data()
    {
        QTest::addColumn<QStringList>("entries");
        QTest::addColumn<QStringList>("counts");
        QTest::addColumn<QStringList>("severities");
        QTest::newRow("none") << QStringList() << QStringList() << QStringList();
        QTest::newRow("controller, ascending iterations from 0")
            << QStringList{"2:High", "0:Critical", "2:High", "2:Low", "3:Medium"}
            << QStringList{"0 Critical=1", "2 High=2 Low=1", "3 Medium=1"}
            << QStringList{"Low", "Medium", "High", "Critical"};
        QTest::newRow("seed schema: not recorded is iteration -1")
            << QStringList{"-1:Low", "-1:Low", "-1:Critical"} << QStringList{"-1 Critical=1 Low=2"}
            << QStringList{"Low", "Critical"};
        QTest::newRow("no severity and an unknown one come first")
            << QStringList{"1:", "1:Blocker", "1:High"} << QStringList{"1 ?=1 Blocker=1 High=1"}
            << QStringList{"?", "Blocker", "High"};
    }

    void testFeedbackByIteration()
    {
        QFETCH(QStringList, entries);
        QFETCH(QStringList, counts);
        QFETCH(QStringList, severities);
        QList<FeedbackView> views;
        for (const QString &e : std::as_const(entries)) {
            FeedbackView v;
            v.iteration = e.section(QLatin1Char(':'), 0, 0).toInt();
            v.severity = e.section(QLatin1Char(':'), 1);
            views << v;
        }
        const QList<IterationFeedback> got = feedbackByIteration(views);
        QStringList text;
        int total = 0;
        for (const IterationFeedback &c : got) {
            QString line = QString::number(c.iteration);
            for (auto it = c.bySeverity.cbegin(); it != c.bySeverity.cend(); ++it)
                line += QStringLiteral(" %1=%2").arg(it.key()).arg(it.value());
            text << line;
            total += c.total();
        }
        QCOMPARE(text, counts);
        QCOMPARE(total, int(entries.size()));
        QCOMPARE(severitiesOf(got), severities);
    }
};

QTEST_GUILESS_MAIN(TestConsoleTasks)
#include "tst_console_tasks.moc"
