// The tasks.* actions as the console layer runs them for both front ends
// (TaskOperations), against a real SQLite store: what the user types is
// checked and spelled as the schema spells it before anything is written,
// each outcome is one line to show, an unreadable task is left alone unless
// reset (its text saved first), and cleanup previews before it deletes and
// never deletes a task InProgress.
#include "TestSupport.h"
#include "config/StoreUrl.h"
#include "console/TaskOperations.h"
#include "providers/Backends.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;
using namespace sd::remediation;

class TestConsoleTaskOperations : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;
    int m_stores = 0;
    std::unique_ptr<Provider> m_provider;
    std::unique_ptr<RemediationManager> m_manager;
    std::unique_ptr<TaskOperations> m_ops;

    template <typename T>
    static Result<T> await(QFuture<Result<T>> f)
    {
        if (!QTest::qWaitFor([&] { return f.isFinished(); }, 30000))
            return Error(ErrorKind::Unavailable, QStringLiteral("timed out"));
        return f.result();
    }

    RemediationTask task(const QString &name)
    {
        const Result<RemediationTask> t = await(m_manager->get(TaskRef(name)));
        if (!t.ok())
            qFatal("cannot read %s: %s", qPrintable(name), qPrintable(t.error().toString()));
        return t.value();
    }

    QString create(Schema schema, const QString &id)
    {
        const Result<RemediationTask> t = await(m_manager->create(schema, id, schema == Schema::Controller ? 7 : -1));
        if (!t.ok())
            qFatal("cannot create %s: %s", qPrintable(id), qPrintable(t.error().toString()));
        return t->name();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        qputenv("XDG_STATE_HOME", m_home.filePath(QStringLiteral("state")).toUtf8());
    }

    // Each test starts from an empty store.
    void init()
    {
        m_ops.reset();
        m_manager.reset();
        m_provider.reset();
        auto spec = parseStoreUrl(QStringLiteral("sqlite://%1").arg(m_home.filePath(QStringLiteral("t%1.db").arg(++m_stores))));
        QVERIFY(spec.ok());
        auto p = openProvider(spec.value());
        QVERIFY2(p.ok(), qPrintable(p.ok() ? QString() : p.error().toString()));
        m_provider = std::move(p).value();
        m_manager = std::make_unique<RemediationManager>(m_provider.get());
        m_ops = std::make_unique<TaskOperations>(m_manager.get());
    }

    void testCanonical_data()
    {
        QTest::addColumn<int>("field");
        QTest::addColumn<QString>("schema");
        QTest::addColumn<QString>("typed");
        QTest::addColumn<QString>("spelled"); // empty: refused
        QTest::addColumn<QString>("errorHas");
        const int severity = int(TaskOperations::Field::Severity);
        const int status = int(TaskOperations::Field::Status);
        const int type = int(TaskOperations::Field::IssueType);
        const int feedbackStatus = int(TaskOperations::Field::FeedbackStatus);
        QTest::newRow("exact") << severity << "seed" << "High" << "High" << "";
        QTest::newRow("any case") << severity << "seed" << "critical" << "Critical" << "";
        QTest::newRow("spaces around") << severity << "seed" << "  low " << "Low" << "";
        QTest::newRow("a beginning") << type << "seed" << "perf" << "Performance" << "";
        QTest::newRow("ambiguous") << status << "controller" << "waiting" << ""
                                   << "could be WaitingForFeedback or WaitingForAgent";
        QTest::newRow("unknown lists the choices") << severity << "seed" << "urgent" << ""
                                                   << "unknown severity \"urgent\"; expected one of Low, Medium, High, Critical";
        QTest::newRow("empty") << severity << "seed" << "" << "" << "no severity given";
        QTest::newRow("controller feedback status") << feedbackStatus << "controller" << "resolved" << "Resolved" << "";
        QTest::newRow("seed has no feedback status") << feedbackStatus << "seed" << "Resolved" << ""
                                                     << "tasks in the seed schema have no feedback status";
        QTest::newRow("a seed status") << status << "seed" << "maxiter" << "MaxIterationsReached" << "";
    }

    void testCanonical()
    {
        QFETCH(int, field);
        QFETCH(QString, schema);
        QFETCH(QString, typed);
        QFETCH(QString, spelled);
        QFETCH(QString, errorHas);
        const Result<QString> r = TaskOperations::canonical(TaskOperations::Field(field), *parseSchema(schema), typed);
        if (spelled.isEmpty()) {
            QVERIFY(!r.ok());
            QCOMPARE(r.error().kind, ErrorKind::Invalid);
            QVERIFY2(r.error().message.contains(errorHas), qPrintable(r.error().message));
        } else {
            QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
            QCOMPARE(r.value(), spelled);
        }
    }

    // Every write answers the line to show, and the store holds the change.
    void testWrites_data()
    {
        QTest::addColumn<QString>("schema");
        QTest::newRow("seed") << "seed";
        QTest::newRow("controller") << "controller";
    }

    void testWrites()
    {
        QFETCH(QString, schema);
        const Schema s = *parseSchema(schema);
        const QString name = create(s, QStringLiteral("w1"));
        QCOMPARE(TaskOperations::schemaOf(name), s);

        Result<QString> line = await(m_ops->increment(name));
        QVERIFY2(line.ok(), qPrintable(line.ok() ? QString() : line.error().toString()));
        QVERIFY2(line->startsWith(name + QStringLiteral(": next iteration started (iteration 1 of 10")), qPrintable(line.value()));
        QCOMPARE(task(name).iteration(), 1);

        NewFeedback f;
        f.author = QStringLiteral("sre");
        f.severity = QStringLiteral("crit");
        f.issueType = QStringLiteral("bug");
        f.description = QStringLiteral("pod restarts");
        if (TaskOperations::needsCommentId(s)) {
            line = await(m_ops->addFeedback(name, f));
            QVERIFY(!line.ok());
            QVERIFY2(line.error().message.contains(QLatin1String("numeric comment id")), qPrintable(line.error().message));
            f.commentId = QStringLiteral("12345");
        }
        line = await(m_ops->addFeedback(name, f));
        QVERIFY2(line.ok(), qPrintable(line.ok() ? QString() : line.error().toString()));
        QVERIFY(line->contains(QLatin1String("feedback added")));
        QCOMPARE(task(name).feedback().size(), 1);
        QCOMPARE(task(name).feedback().first().severity, QStringLiteral("Critical"));
        QCOMPARE(task(name).feedback().first().issueType, QStringLiteral("Bug"));

        line = await(m_ops->resolveFeedback(name, QStringLiteral("1"),
                                            s == Schema::Controller ? QStringLiteral("resolved") : QString()));
        QVERIFY2(line.ok(), qPrintable(line.ok() ? QString() : line.error().toString()));
        QVERIFY(task(name).feedback().first().resolved);

        const QString done = s == Schema::Controller ? QStringLiteral("completed") : QStringLiteral("Completed");
        line = await(m_ops->setStatus(name, done));
        QVERIFY2(line.ok(), qPrintable(line.ok() ? QString() : line.error().toString()));
        QVERIFY2(line->contains(QLatin1String("status set")), qPrintable(line.value()));
        QCOMPARE(task(name).status(), QStringLiteral("Completed"));
    }

    // Bad input is refused before anything is written, naming the problem.
    void testRefusedInput_data()
    {
        QTest::addColumn<QString>("operation");
        QTest::addColumn<QString>("errorHas");
        QTest::newRow("unknown severity") << "feedback-severity" << "unknown severity \"urgent\"";
        QTest::newRow("unknown type") << "feedback-type" << "unknown issue type \"typo\"";
        QTest::newRow("no description") << "feedback-description" << "feedback needs a description";
        QTest::newRow("unknown status") << "status" << "unknown status \"Done\"";
        QTest::newRow("no entry named") << "resolve-nothing" << "name the feedback entry";
        QTest::newRow("no such entry") << "resolve-missing" << "9";
    }

    void testRefusedInput()
    {
        QFETCH(QString, operation);
        QFETCH(QString, errorHas);
        const QString name = create(Schema::Seed, QStringLiteral("r1"));
        const QString revision = task(name).entry().revision;
        NewFeedback f;
        f.severity = QStringLiteral("High");
        f.issueType = QStringLiteral("Bug");
        f.description = QStringLiteral("d");
        Result<QString> r;
        if (operation == QLatin1String("feedback-severity"))
            f.severity = QStringLiteral("urgent"), r = await(m_ops->addFeedback(name, f));
        else if (operation == QLatin1String("feedback-type"))
            f.issueType = QStringLiteral("typo"), r = await(m_ops->addFeedback(name, f));
        else if (operation == QLatin1String("feedback-description"))
            f.description = QStringLiteral("  "), r = await(m_ops->addFeedback(name, f));
        else if (operation == QLatin1String("status"))
            r = await(m_ops->setStatus(name, QStringLiteral("Done")));
        else if (operation == QLatin1String("resolve-nothing"))
            r = await(m_ops->resolveFeedback(name, QStringLiteral(" ")));
        else
            r = await(m_ops->resolveFeedback(name, QStringLiteral("9")));
        QVERIFY(!r.ok());
        QVERIFY2(r.error().toString().contains(errorHas), qPrintable(r.error().toString()));
        QCOMPARE(task(name).entry().revision, revision);
    }

    // tasks.create reads the words of `statedeckctl task create` and
    // refuses what it refuses; the task made is the one named.
    void testCreate_data()
    {
        QTest::addColumn<QString>("line");
        QTest::addColumn<QString>("made");     // the ConfigMap name; empty: refused
        QTest::addColumn<QString>("errorHas"); // when refused
        QTest::addColumn<int>("maxIterations");
        QTest::addColumn<QString>("status");
        QTest::newRow("seed") << "web" << "task-web-state" << "" << 10 << "Initialized";
        QTest::newRow("controller") << "fix --pr 7 --max-iterations 3" << "remediation-state-pr-7-task-fix" << "" << 3
                                    << "WaitingForFeedback";
        QTest::newRow("a ConfigMap name") << "task-api-state" << "task-api-state" << "" << 10 << "Initialized";
        QTest::newRow("seed with a maximum") << "web --max-iterations 5" << ""
                                             << "the seed's schema has a fixed cap of 10 iterations" << 0 << "";
        QTest::newRow("no id") << "--pr 7" << "" << "name the new task" << 0 << "";
        QTest::newRow("PR not a number") << "fix --pr seven" << "" << "expected a PR number" << 0 << "";
        QTest::newRow("maximum not positive") << "fix --pr 7 --max-iterations 0" << "" << "expected a positive number" << 0 << "";
        QTest::newRow("a word too many") << "fix extra" << "" << "unexpected \"extra\"" << 0 << "";
        QTest::newRow("option without value") << "fix --pr" << "" << "--pr needs a number" << 0 << "";
    }

    void testCreate()
    {
        QFETCH(QString, line);
        QFETCH(QString, made);
        QFETCH(QString, errorHas);
        QFETCH(int, maxIterations);
        QFETCH(QString, status);
        const Result<TaskOperations::NewTask> parsed = TaskOperations::parseNewTask(line);
        if (made.isEmpty()) {
            QVERIFY(!parsed.ok());
            QVERIFY2(parsed.error().toString().contains(errorHas), qPrintable(parsed.error().toString()));
            return;
        }
        QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().toString()));
        const Result<QString> r = await(m_ops->create(parsed.value()));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r.value(), QStringLiteral("%1: created (iteration 0 of %2, %3)").arg(made).arg(maxIterations).arg(status));
        QCOMPARE(task(made).maxIterations(), maxIterations);
        // A second time: it exists.
        const Result<QString> again = await(m_ops->create(parsed.value()));
        QVERIFY(!again.ok());
        QCOMPARE(again.error().kind, ErrorKind::AlreadyExists);
    }

    // An unreadable state.json: recover reports where it breaks and leaves
    // it; reset saves the text, then writes a fresh state.
    void testRecoverUnreadable()
    {
        const QString name = create(Schema::Seed, QStringLiteral("bad"));
        Entry e = task(name).entry();
        e.value["state.json"] = "{\"task_id\": \"bad\", broken";
        const Result<Entry> written = await(m_provider->put(e, Precondition::atRevision(e.revision)));
        QVERIFY(written.ok());

        Result<QString> r = await(m_ops->recover(name, false));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().reason, reason::deserialization);
        QCOMPARE(task(name).entry().revision, written->revision);

        r = await(m_ops->recover(name, true));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QVERIFY2(r->contains(QLatin1String("reset to a fresh state")), qPrintable(r.value()));
        QVERIFY(!task(name).stateError());
        const QStringList backups = QDir(TaskOperations::backupDirectory()).entryList(QDir::Files);
        QVERIFY2(!backups.isEmpty(), qPrintable(TaskOperations::backupDirectory()));
        QVERIFY(TaskOperations::backupDirectory().startsWith(m_home.filePath(QStringLiteral("state/statedeck"))));
    }

    // The preview deletes nothing; the run deletes what it showed, never a
    // task InProgress; the words match the counts.
    void testCleanup()
    {
        const QString done = create(Schema::Seed, QStringLiteral("old-done"));
        const QString busy = create(Schema::Seed, QStringLiteral("old-busy"));
        QVERIFY(await(m_ops->setStatus(done, QStringLiteral("Completed"))).ok());
        QVERIFY(await(m_ops->increment(busy)).ok()); // InProgress
        // Retention 0: everything is past it.
        const Result<CleanupReport> preview = await(m_ops->cleanup(0, true));
        QVERIFY(preview.ok());
        QCOMPARE(TaskOperations::wouldDelete(preview.value()), 1);
        QCOMPARE(TaskOperations::cleanupSummary(preview.value(), true),
                 QStringLiteral("1 of 2 tasks would be deleted; nothing was changed"));
        const QStringList lines = TaskOperations::cleanupLines(preview.value());
        QCOMPARE(lines.size(), 2);
        QVERIFY(lines.filter(QStringLiteral("would delete")).first().contains(done));
        QVERIFY(lines.filter(QStringLiteral("kept (InProgress)")).first().contains(busy));
        QVERIFY(await(m_manager->get(TaskRef(done))).ok());

        const Result<CleanupReport> run = await(m_ops->cleanup(0, false));
        QVERIFY(run.ok());
        QCOMPARE(TaskOperations::cleanupSummary(run.value(), false), QStringLiteral("1 of 2 tasks deleted"));
        QCOMPARE(await(m_manager->get(TaskRef(done))).error().kind, ErrorKind::NotFound);
        QVERIFY(await(m_manager->get(TaskRef(busy))).ok());
    }
};

QTEST_GUILESS_MAIN(TestConsoleTaskOperations)
#include "tst_console_task_operations.moc"
