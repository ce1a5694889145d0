// The remediation rules as pure edits of one task: schemas, serde-compatible
// text, increment and its cap, feedback and its compression, resolve,
// status, recovery. No store is involved; tst_remediation_manager runs the
// same rules against real stores and processes.
#include "RemediationFixtures.h"
#include "remediation/RemediationOps.h"

#include <QTest>

using namespace sd;
using namespace sd::remediation;
using namespace sd::test;

namespace {

const UtcTime kNow = *UtcTime::parse(QStringLiteral("2026-01-02T03:04:05.123456789Z"));

RemediationTask taskFrom(const Entry &e)
{
    auto t = RemediationTask::fromEntry(e);
    if (!t.ok())
        qFatal("fixture is not a task: %s", qPrintable(t.error().toString()));
    return t.value();
}

RemediationTask fixtureTask(Schema s)
{
    return taskFrom(fixtureEntry(s == Schema::Seed ? kSeedFixture : kControllerFixture));
}

// A task with its state.json replaced by `state` (as serde would write it).
RemediationTask withState(Schema s, const Json &state)
{
    Entry e = fixtureEntry(s == Schema::Seed ? kSeedFixture : kControllerFixture);
    e.value["state.json"] = toStd(serdePretty(state));
    return taskFrom(e);
}

QString stateTextOf(const Entry &e)
{
    return toQString(e.value["state.json"].get<std::string>());
}

Json seedFeedback(int i, const QString &severity, bool resolved, const QString &padding = {})
{
    return Json{{"timestamp", toStd(UtcTime{1700000000 + i, 0}.toSerde())},
                {"author", "tess"},
                {"severity", toStd(severity)},
                {"issue_type", "Bug"},
                {"description", toStd(QStringLiteral("entry %1 %2").arg(i).arg(padding))},
                {"resolved", resolved},
                {"pr_comment_id", std::to_string(1000 + i)}};
}

} // namespace

Q_DECLARE_METATYPE(sd::remediation::Schema)

class TestRemediationOps : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testUtcTime_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("serde");
        QTest::addColumn<QString>("rfc3339");
        QTest::newRow("nanoseconds") << "2025-09-01T11:15:42.987654321Z" << "2025-09-01T11:15:42.987654321Z"
                                     << "2025-09-01T11:15:42.987654321+00:00";
        QTest::newRow("one nanosecond") << "2025-09-01T10:05:00.000000001Z" << "2025-09-01T10:05:00.000000001Z"
                                        << "2025-09-01T10:05:00.000000001+00:00";
        QTest::newRow("whole seconds") << "2025-09-01T11:10:00Z" << "2025-09-01T11:10:00Z"
                                       << "2025-09-01T11:10:00+00:00";
        QTest::newRow("milliseconds shortest") << "2025-09-01T11:10:00.120000000Z" << "2025-09-01T11:10:00.120Z"
                                               << "2025-09-01T11:10:00.120+00:00";
        QTest::newRow("microseconds shortest") << "2025-09-01T11:10:00.123450Z" << "2025-09-01T11:10:00.123450Z"
                                               << "2025-09-01T11:10:00.123450+00:00";
        QTest::newRow("offset to utc") << "2025-09-01T13:15:42.5+02:00" << "2025-09-01T11:15:42.500Z"
                                       << "2025-09-01T11:15:42.500+00:00";
        QTest::newRow("before the epoch") << "1969-12-31T23:59:59Z" << "1969-12-31T23:59:59Z"
                                          << "1969-12-31T23:59:59+00:00";
        QTest::newRow("no zone") << "2025-09-01T11:15:42" << "" << "";
        QTest::newRow("bad month") << "2025-13-01T11:15:42Z" << "" << "";
        QTest::newRow("trailing text") << "2025-09-01T11:15:42Zx" << "" << "";
        QTest::newRow("empty fraction") << "2025-09-01T11:15:42.Z" << "" << "";
    }
    void testUtcTime()
    {
        QFETCH(QString, input);
        QFETCH(QString, serde);
        QFETCH(QString, rfc3339);
        const auto t = UtcTime::parse(input);
        QCOMPARE(t.has_value(), !serde.isEmpty());
        if (!t)
            return;
        QCOMPARE(t->toSerde(), serde);
        QCOMPARE(t->toRfc3339(), rfc3339);
        QCOMPARE(UtcTime::parse(t->toSerde()), t);
    }

    // serde_json::to_string_pretty's text, reproduced: the fixture's
    // state.json re-serialized is the same bytes.
    void testSerdePrettyMatchesFixtures_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::newRow("controller state.json") << QStringLiteral("5dlabs-remediation/state.json");
        QTest::newRow("controller configmap") << kControllerFixture;
        QTest::newRow("seed configmap") << kSeedFixture;
    }
    void testSerdePrettyMatchesFixtures()
    {
        QFETCH(QString, fixture);
        QByteArray text;
        if (fixture.endsWith(QLatin1String(".json"))) {
            QFile f(fixturePath(fixture));
            QVERIFY(f.open(QIODevice::ReadOnly));
            text = f.readAll();
        } else {
            text = toBytes(fixtureConfigMap(fixture)["data"]["state.json"].get<std::string>());
        }
        QVERIFY(!text.isEmpty());
        const QByteArray body = text.endsWith('\n') ? text.chopped(1) : text;
        QCOMPARE(serdePretty(Json::parse(body.constBegin(), body.constEnd())), body);
    }

    void testDetectSchema_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QStringList>("labels"); // name=value
        QTest::addColumn<QStringList>("dataKeys");
        QTest::addColumn<QString>("expected"); // seed, controller, or empty
        QTest::newRow("seed labels") << "anything" << QStringList{"app=remediation-state"} << QStringList{}
                                     << "seed";
        QTest::newRow("seed managed-by") << "anything" << QStringList{"managed-by=agent-remediation-controller"}
                                         << QStringList{} << "seed";
        QTest::newRow("controller labels") << "anything" << QStringList{"app=remediation-loop"} << QStringList{}
                                           << "controller";
        QTest::newRow("controller data, no labels") << "x" << QStringList{}
                                                    << QStringList{"state.json", "workflow_id", "updated_at"}
                                                    << "controller";
        QTest::newRow("seed data, no labels") << "x" << QStringList{} << QStringList{"state.json", "last_update"}
                                              << "seed";
        QTest::newRow("name only with state.json") << "remediation-state-pr-1-task-a" << QStringList{}
                                                   << QStringList{"state.json"} << "controller";
        QTest::newRow("other configmap named task-") << "task-runner-state" << QStringList{"app=runner"}
                                                     << QStringList{"config"} << "";
        QTest::newRow("state.json alone, plain name") << "settings" << QStringList{} << QStringList{"state.json"}
                                                      << "";
    }
    void testDetectSchema()
    {
        QFETCH(QString, key);
        QFETCH(QStringList, labels);
        QFETCH(QStringList, dataKeys);
        QFETCH(QString, expected);
        Entry e;
        e.key = key;
        e.value = Json::object();
        for (const QString &l : labels)
            e.labels.insert(l.section(QLatin1Char('='), 0, 0), l.section(QLatin1Char('='), 1));
        for (const QString &d : dataKeys)
            e.value[toStd(d)] = "{}";
        const auto s = detectSchema(e);
        QCOMPARE(s ? schemaName(*s) : QString(), expected);
    }

    void testReadsFixtures_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<Schema>("schema");
        QTest::addColumn<QString>("taskId");
        QTest::addColumn<qint64>("pr");
        QTest::addColumn<QString>("status");
        QTest::addColumn<int>("iteration");
        QTest::addColumn<int>("maxIterations");
        QTest::addColumn<int>("feedback");
        QTest::addColumn<QString>("lastUpdate");
        QTest::newRow("controller") << kControllerFixture << Schema::Controller << "task-2" << qint64(678)
                                    << "WaitingForAgent" << 2 << 10 << 2 << "2025-09-01T11:15:42.987654321+00:00";
        QTest::newRow("seed") << kSeedFixture << Schema::Seed << "42" << qint64(-1) << "InProgress" << 3 << 10 << 1
                              << "2025-09-01T11:15:42.987654321+00:00";
    }
    void testReadsFixtures()
    {
        QFETCH(QString, fixture);
        QFETCH(Schema, schema);
        QFETCH(QString, taskId);
        QFETCH(qint64, pr);
        QFETCH(QString, status);
        QFETCH(int, iteration);
        QFETCH(int, maxIterations);
        QFETCH(int, feedback);
        QFETCH(QString, lastUpdate);
        const RemediationTask t = taskFrom(fixtureEntry(fixture));
        QVERIFY(!t.stateError());
        QVERIFY2(t.validateFields().ok(), qPrintable(t.validateFields().error().toString()));
        QCOMPARE(t.schema(), schema);
        QCOMPARE(t.taskId(), taskId);
        QCOMPARE(t.prNumber(), pr);
        QCOMPARE(t.status(), status);
        QCOMPARE(t.iteration(), iteration);
        QCOMPARE(t.maxIterations(), maxIterations);
        QCOMPARE(t.feedback().size(), feedback);
        QCOMPARE(t.lastUpdateText(), lastUpdate);
        QVERIFY(t.lastUpdate().has_value());
        // Unchanged, it is written back byte-identical, labels and annotations kept.
        const Entry original = fixtureEntry(fixture);
        auto back = t.toEntry(kNow);
        QVERIFY(back.ok());
        QCOMPARE(stateTextOf(back.value()), stateTextOf(original));
        QCOMPARE(back->labels, original.labels);
        QCOMPARE(back->annotations, original.annotations);
    }

    void testFeedbackViews()
    {
        const QList<FeedbackView> c = fixtureTask(Schema::Controller).feedback();
        QCOMPARE(c.size(), 2);
        QCOMPARE(c[0].id, QStringLiteral("feedback-12345-1"));
        QCOMPARE(c[0].commentId, QStringLiteral("12345"));
        QCOMPARE(c[0].severity, QStringLiteral("High"));
        QCOMPARE(c[0].issueType, QStringLiteral("Bug"));
        QCOMPARE(c[0].status, QStringLiteral("Resolved"));
        QVERIFY(c[0].resolved);
        QCOMPARE(c[0].iteration, 1);
        QCOMPARE(c[0].timestamp->nanos, 1);
        QCOMPARE(c[1].issueType, QStringLiteral("MissingFeature"));
        QVERIFY(!c[1].resolved);
        const QList<FeedbackView> s = fixtureTask(Schema::Seed).feedback();
        QCOMPARE(s.size(), 1);
        QCOMPARE(s[0].commentId, QStringLiteral("12345"));
        QCOMPARE(s[0].status, QStringLiteral("Open"));
    }

    void testCreate_data()
    {
        QTest::addColumn<Schema>("schema");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("state");
        QTest::addColumn<QStringList>("dataKeys");
        QTest::newRow("seed") << Schema::Seed << "task-7-state"
                              << R"({"task_id":"7","iteration":0,"status":"Initialized","feedback_history":[],)"
                                 R"("last_update":"2026-01-02T03:04:05.123456789Z","error_messages":[],"metadata":{},)"
                                 R"("version":"v1"})"
                              << QStringList{"iteration", "last_update", "state.json", "task_id"};
        QTest::newRow("controller") << Schema::Controller << "remediation-state-pr-9-task-7"
                                    << R"({"workflow_id":"remediation-9-7","pr_number":9,"task_id":"7","iteration":0,)"
                                       R"("max_iterations":4,"status":"WaitingForFeedback",)"
                                       R"("started_at":"2026-01-02T03:04:05.123456789Z",)"
                                       R"("updated_at":"2026-01-02T03:04:05.123456789Z","feedback_history":[],)"
                                       R"("active_run":null,"metadata":{}})"
                                    << QStringList{"iteration", "state.json", "status", "updated_at", "workflow_id"};
    }
    void testCreate()
    {
        QFETCH(Schema, schema);
        QFETCH(QString, name);
        QFETCH(QString, state);
        QFETCH(QStringList, dataKeys);
        const RemediationTask t = RemediationTask::create(schema, QStringLiteral("7"), 9, 4, kNow);
        QCOMPARE(t.name(), name);
        auto e = t.toEntry(kNow);
        QVERIFY(e.ok());
        QCOMPARE(toQString(Json::parse(stateTextOf(e.value()).toStdString()).dump()), state);
        QStringList keys;
        for (const auto &m : e->value.items())
            keys << toQString(m.key());
        QCOMPARE(keys, dataKeys); // sorted, as the API server keeps them
        QCOMPARE(e->labels, labelsFor(schema, QStringLiteral("7"), 9));
        QCOMPARE(e->annotations, annotationsFor(schema));
        // What it wrote reads back as the same task.
        const RemediationTask again = taskFrom(e.value());
        QCOMPARE(again.schema(), schema);
        QCOMPARE(again.iteration(), 0);
        QVERIFY(again.validateFields().ok());
    }

    void testIncrement_data()
    {
        QTest::addColumn<Schema>("schema");
        QTest::addColumn<int>("start");
        QTest::addColumn<QString>("startStatus");
        QTest::addColumn<bool>("write");
        QTest::addColumn<int>("iteration");
        QTest::addColumn<QString>("status");
        QTest::addColumn<bool>("maxReached");
        QTest::newRow("seed 3 -> 4") << Schema::Seed << 3 << "InProgress" << true << 4 << "InProgress" << false;
        QTest::newRow("seed 9 -> 10") << Schema::Seed << 9 << "InProgress" << true << 10 << "InProgress" << false;
        QTest::newRow("seed at 10 records the cap") << Schema::Seed << 10 << "InProgress" << true << 10
                                                    << "MaxIterationsReached" << true;
        QTest::newRow("seed capped already: no write") << Schema::Seed << 10 << "MaxIterationsReached" << false << 10
                                                       << "MaxIterationsReached" << true;
        QTest::newRow("controller 2 -> 3") << Schema::Controller << 2 << "WaitingForAgent" << true << 3
                                           << "InProgress" << false;
        QTest::newRow("controller at max terminates") << Schema::Controller << 10 << "InProgress" << true << 10
                                                      << "Terminated" << true;
        QTest::newRow("controller terminated already") << Schema::Controller << 10 << "Terminated" << false << 10
                                                       << "Terminated" << true;
    }
    void testIncrement()
    {
        QFETCH(Schema, schema);
        QFETCH(int, start);
        QFETCH(QString, startStatus);
        QFETCH(bool, write);
        QFETCH(int, iteration);
        QFETCH(QString, status);
        QFETCH(bool, maxReached);
        RemediationTask base = fixtureTask(schema);
        Json state = base.state();
        state["iteration"] = start;
        state["status"] = toStd(startStatus);
        RemediationTask t = withState(schema, state);
        auto o = incrementIteration(t, kNow);
        QVERIFY(o.ok());
        QCOMPARE(o->write, write);
        QCOMPARE(o->afterWrite.has_value(), maxReached);
        if (maxReached)
            QCOMPARE(o->afterWrite->reason, reason::maxIterations);
        QCOMPARE(t.iteration(), iteration);
        QCOMPARE(t.status(), status);
        const Json &meta = t.state()["metadata"];
        if (!maxReached) {
            const std::string key = "iteration_" + std::to_string(iteration) + "_started";
            QCOMPARE(meta[key], Json(toStd(kNow.toRfc3339())));
            QCOMPARE(t.state()[schema == Schema::Seed ? "last_update" : "updated_at"], Json(toStd(kNow.toSerde())));
        } else if (schema == Schema::Controller && write) {
            QCOMPARE(meta["termination_reason"], Json("max iterations reached"));
        }
        // Written back: data keys follow the state.
        auto e = t.toEntry(kNow);
        QVERIFY(e.ok());
        QCOMPARE(e->value["iteration"], Json(std::to_string(iteration)));
        if (schema == Schema::Controller)
            QCOMPARE(e->value["status"], Json(toStd(status)));
    }

    void testAppendFeedback_data()
    {
        QTest::addColumn<Schema>("schema");
        QTest::addColumn<QString>("severity");
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("commentId");
        QTest::addColumn<QString>("error"); // part of the message; empty: accepted
        QTest::newRow("seed") << Schema::Seed << "Critical" << "Security" << "c-77" << "";
        QTest::newRow("controller") << Schema::Controller << "Low" << "Regression" << "4242" << "";
        QTest::newRow("unknown severity") << Schema::Seed << "Urgent" << "Bug" << "1" << "severity \"Urgent\"";
        QTest::newRow("seed type in controller") << Schema::Controller << "Low" << "Security" << "1"
                                                 << "issue type \"Security\"";
        QTest::newRow("controller type in seed") << Schema::Seed << "Low" << "MissingFeature" << "1"
                                                 << "issue type \"MissingFeature\"";
        QTest::newRow("controller needs numeric comment") << Schema::Controller << "Low" << "Bug" << "abc"
                                                          << "numeric comment id";
    }
    void testAppendFeedback()
    {
        QFETCH(Schema, schema);
        QFETCH(QString, severity);
        QFETCH(QString, type);
        QFETCH(QString, commentId);
        QFETCH(QString, error);
        RemediationTask t = fixtureTask(schema);
        const int before = int(t.feedback().size());
        auto o = appendFeedback(t, {QStringLiteral("rex"), severity, type, QStringLiteral("it broke"), commentId}, kNow);
        if (!error.isEmpty()) {
            QVERIFY(!o.ok());
            QVERIFY2(o.error().message.contains(error), qPrintable(o.error().message));
            QCOMPARE(o.error().reason, reason::validation);
            QCOMPARE(t.feedback().size(), before);
            return;
        }
        QVERIFY2(o.ok(), qPrintable(o.error().toString()));
        const QList<FeedbackView> views = t.feedback();
        QCOMPARE(views.size(), before + 1);
        const FeedbackView &f = views.last();
        QCOMPARE(f.severity, severity);
        QCOMPARE(f.issueType, type);
        QCOMPARE(f.commentId, commentId);
        QCOMPARE(f.author, QStringLiteral("rex"));
        QVERIFY(!f.resolved);
        QCOMPARE(f.timestampText, kNow.toSerde());
        const Json &last = t.state()["feedback_history"].back();
        if (schema == Schema::Seed) {
            QCOMPARE(toQString(last.dump()),
                     QStringLiteral(R"({"timestamp":"%1","author":"rex","severity":"Critical","issue_type":"Security",)"
                                    R"("description":"it broke","resolved":false,"pr_comment_id":"c-77"})")
                         .arg(kNow.toSerde()));
        } else {
            QCOMPARE(last["id"], Json("feedback-4242-2"));
            QCOMPARE(last["comment_id"], Json(4242));
            QCOMPARE(last["status"], Json("Received"));
            QCOMPARE(last["feedback"]["metadata"]["pr_number"], Json(678));
            QCOMPARE(last["feedback"]["metadata"]["task_id"], Json("task-2"));
        }
    }

    // The seed compresses once the serialized state passes 950,000 bytes:
    // resolved High/Critical entries and the 15 newest stay, by time.
    void testCompressionBoundary_data()
    {
        QTest::addColumn<int>("margin"); // bytes under the threshold before the append
        QTest::addColumn<bool>("compressed");
        QTest::newRow("stays under") << 2000 << false;
        QTest::newRow("crosses") << 50 << true;
    }
    void testCompressionBoundary()
    {
        QFETCH(int, margin);
        QFETCH(bool, compressed);
        Json state = fixtureTask(Schema::Seed).state();
        Json history = Json::array();
        const QString pad(3000, QLatin1Char('x'));
        // 250 entries; every 10th resolved Critical, every 7th resolved Low.
        for (int i = 0; i < 250; ++i) {
            const bool critical = i % 10 == 0;
            history.push_back(seedFeedback(i, critical ? QStringLiteral("Critical") : QStringLiteral("Low"),
                                           critical || i % 7 == 0, pad));
        }
        state["feedback_history"] = history;
        state["metadata"] = Json::object();
        // Pad the last entry so the state sits `margin` bytes under the threshold.
        RemediationTask probe = withState(Schema::Seed, state);
        const NewFeedback add{QStringLiteral("rex"), QStringLiteral("Medium"), QStringLiteral("Bug"),
                              QStringLiteral("new"), QStringLiteral("9")};
        const qsizetype appended = [&] {
            RemediationTask t = probe;
            Json &h = t.state()["feedback_history"];
            h.push_back(Json{{"timestamp", toStd(kNow.toSerde())}, {"author", "rex"}, {"severity", "Medium"},
                             {"issue_type", "Bug"}, {"description", "new"}, {"resolved", false},
                             {"pr_comment_id", "9"}});
            t.state()["last_update"] = toStd(kNow.toSerde());
            return t.compactStateSize();
        }();
        const qsizetype grow = kCompressAbove - margin - appended;
        QVERIFY(grow > 0);
        std::string &desc = state["feedback_history"].back()["description"].get_ref<std::string &>();
        desc += std::string(size_t(grow + (compressed ? margin + 1 : 0)), 'y');
        RemediationTask t = withState(Schema::Seed, state);
        auto o = appendFeedback(t, add, kNow);
        QVERIFY(o.ok());
        const QList<FeedbackView> views = t.feedback();
        if (!compressed) {
            QCOMPARE(views.size(), 251);
            QVERIFY(t.compactStateSize() <= kCompressAbove);
            QVERIFY(!t.state()["metadata"].contains("feedback_compressed_at"));
            return;
        }
        // Critical resolved: 0,10,...,240 = 25 entries, one of them (240)
        // also among the newest 15 (236..249 and the new one).
        QCOMPARE(views.size(), 25 + 15 - 1);
        QCOMPARE(t.state()["metadata"]["original_feedback_count"], Json("251"));
        QCOMPARE(t.state()["metadata"]["feedback_compressed_at"], Json(toStd(kNow.toRfc3339())));
        for (int i = 1; i < views.size(); ++i)
            QVERIFY(*views[i - 1].timestamp <= *views[i].timestamp);
        QCOMPARE(views.last().description, QStringLiteral("new"));
        for (const FeedbackView &v : views)
            QVERIFY(v.severity == QLatin1String("Critical") || v.index > views.size() - 15);
        QVERIFY(t.toEntry(kNow).ok());
    }

    // When compression cannot bring it under a ConfigMap's 1 MiB, nothing
    // may be written.
    void testTooLargeAfterCompression()
    {
        Json state = fixtureTask(Schema::Seed).state();
        Json history = Json::array();
        const QString pad(80000, QLatin1Char('z'));
        for (int i = 0; i < 14; ++i)
            history.push_back(seedFeedback(i, QStringLiteral("Critical"), true, pad));
        state["feedback_history"] = history;
        RemediationTask t = withState(Schema::Seed, state);
        auto o = appendFeedback(t, {QStringLiteral("rex"), QStringLiteral("High"), QStringLiteral("Bug"),
                                    QString(80000, QLatin1Char('w')), QStringLiteral("1")},
                                kNow);
        QVERIFY(o.ok());
        QCOMPARE(t.feedback().size(), 15); // every entry is kept
        auto e = t.toEntry(kNow);
        QVERIFY(!e.ok());
        QCOMPARE(e.error().kind, ErrorKind::TooLarge);
        QVERIFY(e.error().message.contains(QLatin1String("Nothing was written")));
    }

    void testResolve_data()
    {
        QTest::addColumn<Schema>("schema");
        QTest::addColumn<QString>("which");
        QTest::addColumn<QString>("status");
        QTest::addColumn<int>("index");     // the entry changed, 1-based; 0: error
        QTest::addColumn<bool>("write");
        QTest::newRow("controller by id") << Schema::Controller << "feedback-12399-2" << "" << 2 << true;
        QTest::newRow("controller by number") << Schema::Controller << "2" << "Skipped" << 2 << true;
        QTest::newRow("controller by comment id") << Schema::Controller << "12399" << "Processing" << 2 << true;
        QTest::newRow("controller already resolved") << Schema::Controller << "1" << "" << 1 << false;
        QTest::newRow("controller bad status") << Schema::Controller << "1" << "Done" << 0 << false;
        QTest::newRow("seed by comment id") << Schema::Seed << "12345" << "" << 1 << true;
        QTest::newRow("seed cannot skip") << Schema::Seed << "1" << "Skipped" << 0 << false;
        QTest::newRow("no such entry") << Schema::Seed << "77" << "" << 0 << false;
    }
    void testResolve()
    {
        QFETCH(Schema, schema);
        QFETCH(QString, which);
        QFETCH(QString, status);
        QFETCH(int, index);
        QFETCH(bool, write);
        RemediationTask t = fixtureTask(schema);
        const QString before = toQString(t.state().dump());
        auto o = resolveFeedback(t, which, status, kNow);
        if (index == 0) {
            QVERIFY(!o.ok());
            QCOMPARE(toQString(t.state().dump()), before);
            return;
        }
        QVERIFY2(o.ok(), qPrintable(o.error().toString()));
        QCOMPARE(o->write, write);
        const FeedbackView f = t.feedback().at(index - 1);
        QCOMPARE(f.status, status.isEmpty() ? QStringLiteral("Resolved") : status);
    }

    void testSetStatus_data()
    {
        QTest::addColumn<Schema>("schema");
        QTest::addColumn<QString>("status");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<bool>("write");
        QTest::newRow("seed completed") << Schema::Seed << "Completed" << true << true;
        QTest::newRow("seed same") << Schema::Seed << "InProgress" << true << false;
        QTest::newRow("seed has no Paused") << Schema::Seed << "Paused" << false << false;
        QTest::newRow("controller paused") << Schema::Controller << "Paused" << true << true;
        QTest::newRow("controller has no Initialized") << Schema::Controller << "Initialized" << false << false;
        QTest::newRow("case matters") << Schema::Controller << "paused" << false << false;
    }
    void testSetStatus()
    {
        QFETCH(Schema, schema);
        QFETCH(QString, status);
        QFETCH(bool, ok);
        QFETCH(bool, write);
        RemediationTask t = fixtureTask(schema);
        auto o = setStatus(t, status, kNow);
        QCOMPARE(o.ok(), ok);
        if (!ok) {
            QCOMPARE(o.error().reason, reason::validation);
            return;
        }
        QCOMPARE(o->write, write);
        QCOMPARE(t.status(), status);
    }

    void testRecover_data()
    {
        QTest::addColumn<Schema>("schema");
        QTest::addColumn<QString>("change"); // what to break first
        QTest::addColumn<int>("repairs");
        QTest::addColumn<int>("iteration");
        QTest::addColumn<QString>("status");
        QTest::addColumn<int>("feedback");
        QTest::newRow("seed clean") << Schema::Seed << "" << 0 << 3 << "InProgress" << 1;
        QTest::newRow("seed old version") << Schema::Seed << "version" << 1 << 3 << "InProgress" << 1;
        QTest::newRow("seed over the cap") << Schema::Seed << "iteration" << 1 << 10 << "MaxIterationsReached" << 1;
        QTest::newRow("seed duplicates, not adjacent") << Schema::Seed << "duplicates" << 1 << 3 << "InProgress" << 2;
        QTest::newRow("controller over its cap") << Schema::Controller << "iteration" << 1 << 10 << "Terminated" << 2;
        QTest::newRow("controller duplicates") << Schema::Controller << "duplicates" << 1 << 2 << "WaitingForAgent"
                                               << 2;
    }
    void testRecover()
    {
        QFETCH(Schema, schema);
        QFETCH(QString, change);
        QFETCH(int, repairs);
        QFETCH(int, iteration);
        QFETCH(QString, status);
        QFETCH(int, feedback);
        Json state = fixtureTask(schema).state();
        if (change == QLatin1String("version"))
            state["version"] = "v0";
        if (change == QLatin1String("iteration"))
            state["iteration"] = 14;
        if (change == QLatin1String("duplicates")) {
            Json &h = state["feedback_history"];
            if (schema == Schema::Seed) {
                Json other = h[0];
                other["pr_comment_id"] = "999";
                h.push_back(other);
            }
            h.push_back(h[0]); // a repeat two entries after the original
        }
        RemediationTask t = withState(schema, state);
        RecoveryReport report;
        auto o = validateAndRepair(t, &report, kNow);
        QVERIFY(o.ok());
        QCOMPARE(report.repairs.size(), repairs);
        QCOMPARE(t.iteration(), iteration);
        QCOMPARE(t.status(), status);
        QCOMPARE(t.feedback().size(), feedback);
        const Json &meta = t.state()["metadata"];
        QCOMPARE(meta["last_recovery"], Json(toStd(kNow.toRfc3339())));
        QCOMPARE(meta.contains("state_repaired_at"), repairs > 0);
        if (schema == Schema::Seed)
            QCOMPARE(t.state()["version"], Json("v1"));
    }

    // A state.json that does not parse is reported with its position, and
    // every operation refuses to touch it.
    void testCorruptState_data()
    {
        QTest::addColumn<QString>("stateText");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing comma") << "{\n  \"task_id\": \"42\"\n  \"iteration\": 3\n}"
                                       << "task-42-state/state.json:3:13" << "does not parse";
        QTest::newRow("truncated") << "{\n  \"task_id\": \"42\",\n  \"iter" << "task-42-state/state.json:3:8"
                                   << "does not parse";
        QTest::newRow("an array") << "[1, 2]" << "task-42-state/state.json:1:1" << "holds an array";
        QTest::newRow("wrong type") << R"({"task_id":"42","iteration":"three","status":"InProgress",)"
                                       R"("feedback_history":[],"metadata":{}})"
                                    << "task-42-state/state.json" << "field iteration: expected a non-negative";
        QTest::newRow("unknown status") << R"({"task_id":"42","iteration":1,"status":"Exploded",)"
                                           R"("feedback_history":[],"metadata":{}})"
                                        << "task-42-state/state.json" << "unknown variant \"Exploded\"";
    }
    void testCorruptState()
    {
        QFETCH(QString, stateText);
        QFETCH(QString, where);
        QFETCH(QString, message);
        Entry e = fixtureEntry(kSeedFixture);
        e.value["state.json"] = toStd(stateText);
        RemediationTask t = taskFrom(e);
        const Status valid = t.validateFields();
        QVERIFY(!valid.ok());
        QCOMPARE(valid.error().where, where);
        QVERIFY2(valid.error().message.contains(message), qPrintable(valid.error().message));
        QCOMPARE(valid.error().reason, reason::deserialization);
        QCOMPARE(t.lastUpdateText(), QStringLiteral("2025-09-01T11:15:42.987654321+00:00")); // from the data
        QVERIFY(!incrementIteration(t, kNow).ok());
        QVERIFY(!appendFeedback(t, {QStringLiteral("a"), QStringLiteral("Low"), QStringLiteral("Bug"),
                                    QStringLiteral("d"), QStringLiteral("1")},
                                kNow)
                     .ok());
        RecoveryReport report;
        QVERIFY(!validateAndRepair(t, &report, kNow).ok());
        QCOMPARE(t.stateText(), stateText);
    }

    // A field a newer controller writes, in the state and in an entry, stays
    // where it was through an edit.
    void testUnknownFieldsSurvive()
    {
        Json state = fixtureTask(Schema::Controller).state();
        Json edited = Json::object();
        for (const auto &m : state.items()) {
            edited[m.key()] = m.value();
            if (m.key() == "status")
                edited["review_summary"] = Json{{"approvals", 2}, {"reviewers", {"a", "b"}}};
        }
        edited["feedback_history"][0]["confidence"] = 0.75;
        RemediationTask t = withState(Schema::Controller, edited);
        QVERIFY(incrementIteration(t, kNow).ok());
        QVERIFY(appendFeedback(t, {QStringLiteral("a"), QStringLiteral("Low"), QStringLiteral("Bug"),
                                   QStringLiteral("d"), QStringLiteral("5")},
                               kNow)
                    .ok());
        auto e = t.toEntry(kNow);
        QVERIFY(e.ok());
        const QString text = stateTextOf(e.value());
        const Json written = Json::parse(text.toStdString());
        QCOMPARE(written["review_summary"]["approvals"], Json(2));
        QCOMPARE(written["feedback_history"][0]["confidence"], Json(0.75));
        QVERIFY(text.indexOf(QLatin1String("\"status\"")) < text.indexOf(QLatin1String("\"review_summary\"")));
        QVERIFY(text.indexOf(QLatin1String("\"review_summary\"")) < text.indexOf(QLatin1String("\"started_at\"")));
    }

    // The ConfigMap names both systems use, read back into their parts.
    void testNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("schema");
        QTest::addColumn<QString>("taskId");
        QTest::addColumn<qint64>("pr");
        QTest::newRow("seed") << "task-42-state" << "seed" << "42" << qint64(-1);
        QTest::newRow("controller") << "remediation-state-pr-678-task-task-2" << "controller" << "task-2"
                                    << qint64(678);
        QTest::newRow("neither") << "task-42" << "" << "" << qint64(-1);
        QTest::newRow("pr not a number") << "remediation-state-pr-x-task-1" << "" << "" << qint64(-1);
    }
    void testNames()
    {
        QFETCH(QString, name);
        QFETCH(QString, schema);
        QFETCH(QString, taskId);
        QFETCH(qint64, pr);
        const auto parts = parseConfigMapName(name);
        QCOMPARE(parts ? schemaName(parts->schema) : QString(), schema);
        if (!parts)
            return;
        QCOMPARE(parts->taskId, taskId);
        QCOMPARE(parts->prNumber, pr);
        QCOMPARE(configMapName(parts->schema, taskId, pr), name);
    }
};

QTEST_GUILESS_MAIN(TestRemediationOps)
#include "tst_remediation_ops.moc"
