// RemediationManager and `statedeckctl task` against real stores: the
// Kubernetes emulator (the tasks' home), etcd and SQLite. The fixtures
// round-trip, every operation works in both schemas, 16 processes
// incrementing one task lose nothing and the cap holds, cleanup never takes
// a task in progress, and a broken state.json is reported and kept.
#include "providers/KubeTestHelpers.h"
#include "RemediationFixtures.h"
#include "config/StoreUrl.h"
#include "providers/Backends.h"
#include "providers/EtcdTestFixture.h"
#include "remediation/RemediationManager.h"

#include <QDir>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::remediation;
using namespace sd::test;

using Run = ProgramRun;

class TestRemediationManager : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;
    std::unique_ptr<KubeTestServer> m_kube;
    std::unique_ptr<EtcdMember> m_etcd;
    int m_stores = 0;

    // One empty store of `kind`: its URL for statedeckctl and a provider.
    struct Store {
        QString url;
        std::unique_ptr<Provider> provider;
    };

    Store openStore(const QString &kind)
    {
        Store s;
        const int n = ++m_stores;
        StoreSpec spec;
        if (kind == QLatin1String("sqlite")) {
            s.url = QStringLiteral("sqlite://%1").arg(m_home.filePath(QStringLiteral("s%1.db").arg(n)));
        } else if (kind == QLatin1String("etcd")) {
            s.url = QStringLiteral("etcd://127.0.0.1:%1?root=/remediation%2").arg(m_etcd->port()).arg(n);
        } else {
            const QString ns = QStringLiteral("ns%1").arg(n);
            if (!createNamespace(*m_kube, ns))
                return s;
            s.url = QStringLiteral("k8s://admin/%1/configmaps").arg(ns);
        }
        auto parsed = parseStoreUrl(s.url);
        if (!parsed.ok())
            qFatal("bad test URL %s: %s", qPrintable(s.url), qPrintable(parsed.error().toString()));
        auto p = openProvider(parsed.value());
        if (p.ok())
            s.provider = std::move(p).value();
        return s;
    }

    QProcessEnvironment env() const
    {
        QProcessEnvironment e = isolatedEnvironment(m_home.path());
        e.insert(QStringLiteral("KUBECONFIG"), m_kube->kubeconfigPath());
        return e;
    }

    Run ctl(const QString &url, const QStringList &args)
    {
        return runProgram(builtProgram(QStringLiteral("statedeckctl")), QStringList{QStringLiteral("--store"), url} + args,
                          env());
    }

    static Entry entryWithState(const QString &name, Schema schema, const QString &stateText,
                                const QString &lastUpdate)
    {
        Entry e;
        e.key = name;
        const auto parts = parseConfigMapName(name);
        e.labels = labelsFor(schema, parts->taskId, parts->prNumber);
        e.value = Json::object();
        e.value["state.json"] = toStd(stateText);
        e.value[schema == Schema::Seed ? "last_update" : "updated_at"] = toStd(lastUpdate);
        if (schema == Schema::Controller)
            e.value["workflow_id"] = "w";
        return e;
    }

    static QString stateWithStatus(Schema schema, const QString &status)
    {
        const RemediationTask t = RemediationTask::create(schema, QStringLiteral("x"), 1, 0, UtcTime::now());
        Json state = t.state();
        state["status"] = toStd(status);
        return QString::fromUtf8(serdePretty(state));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        QVERIFY2(!builtProgram(QStringLiteral("statedeckctl")).isEmpty(), "statedeckctl was not built");
        m_kube = std::make_unique<KubeTestServer>();
        QVERIFY2(m_kube->start(), qPrintable(m_kube->log()));
        // k8s:// URLs find the cluster the way kubectl does.
        qputenv("KUBECONFIG", m_kube->kubeconfigPath().toUtf8());
        m_etcd = std::make_unique<EtcdMember>();
        QVERIFY(m_etcd->start());
    }

    void cleanupTestCase()
    {
        m_etcd.reset();
        m_kube.reset();
    }

    // The controller's and the design's ConfigMaps, as they are on a
    // cluster: listed together, unchanged by a no-op, and after an edit
    // written back in their own schema with labels and annotations kept.
    void testFixturesOnKubernetes()
    {
        Store store = openStore(QStringLiteral("kube"));
        QVERIFY(store.provider);
        const QString ns = store.url.section(QLatin1Char('/'), 3, 3);
        auto client = adminClient(*m_kube);
        for (const QString &f : {kControllerFixture, kSeedFixture})
            QVERIFY(await(client->create(kube::Resource::configMaps(), ns, fixtureForCreate(f))).ok());
        // Not a task, though its name looks like one.
        QVERIFY(await(client->create(kube::Resource::configMaps(), ns,
                                     Json{{"metadata", {{"name", "task-runner-state"}}}, {"data", {{"a", "b"}}}}))
                    .ok());

        RemediationManager manager(store.provider.get());
        auto tasks = await(manager.list());
        QVERIFY2(tasks.ok(), qPrintable(tasks.error().toString()));
        QCOMPARE(tasks->size(), 2);
        QCOMPARE(tasks->at(0).name(), QStringLiteral("remediation-state-pr-678-task-task-2"));
        QCOMPARE(tasks->at(0).schema(), Schema::Controller);
        QCOMPARE(tasks->at(1).name(), QStringLiteral("task-42-state"));
        QCOMPARE(tasks->at(1).schema(), Schema::Seed);

        // A change to what is already there writes nothing.
        const QString revision = tasks->at(0).entry().revision;
        auto same = await(manager.setStatus({QStringLiteral("task-2")}, QStringLiteral("WaitingForAgent")));
        QVERIFY2(same.ok(), qPrintable(same.error().toString()));
        QCOMPARE(same->entry().revision, revision);
        for (const QString &f : {kControllerFixture, kSeedFixture}) {
            const Json original = fixtureConfigMap(f);
            auto raw = await(client->get(kube::Resource::configMaps(), ns,
                                         toQString(original["metadata"]["name"].get<std::string>())));
            QVERIFY(raw.ok());
            // The API server keeps data keys sorted; compare as maps.
            SD_COMPARE_JSON(nlohmann::json(raw.value()["data"]), nlohmann::json(original["data"]));
        }

        // Edited: each in its own schema, byte-compatible with serde.
        QVERIFY(await(manager.increment({QStringLiteral("42")})).ok());
        QVERIFY(await(manager.increment({QStringLiteral("task-2"), 678})).ok());
        auto seedRaw = await(client->get(kube::Resource::configMaps(), ns, QStringLiteral("task-42-state")));
        QVERIFY(seedRaw.ok());
        const Json &seedData = seedRaw.value()["data"];
        QCOMPARE(seedData["iteration"], Json("4"));
        QCOMPARE(seedData["task_id"], Json("42"));
        QVERIFY(UtcTime::parse(toQString(seedData["last_update"].get<std::string>())).has_value());
        QVERIFY(seedData["last_update"].get<std::string>().ends_with("+00:00"));
        const std::string seedText = seedData["state.json"].get<std::string>();
        const Json seedState = Json::parse(seedText);
        QCOMPARE(toBytes(seedText), serdePretty(seedState) + '\n');
        QCOMPARE(seedState["status"], Json("InProgress"));
        QVERIFY(seedState["metadata"].contains("iteration_4_started"));
        QCOMPARE(seedRaw.value()["metadata"]["labels"]["app"], Json("remediation-state"));
        QCOMPARE(seedRaw.value()["metadata"]["annotations"]["remediation.5dlabs.com/version"], Json("v1"));

        auto ctlRaw = await(client->get(kube::Resource::configMaps(), ns,
                                        QStringLiteral("remediation-state-pr-678-task-task-2")));
        QVERIFY(ctlRaw.ok());
        const Json &ctlData = ctlRaw.value()["data"];
        QCOMPARE(ctlData["iteration"], Json("3"));
        QCOMPARE(ctlData["status"], Json("InProgress"));
        QCOMPARE(ctlData["workflow_id"], Json("remediation-678-task-2"));
        const Json ctlState = Json::parse(ctlData["state.json"].get<std::string>());
        QCOMPARE(toQString(ctlData["updated_at"].get<std::string>()),
                 UtcTime::parse(toQString(ctlState["updated_at"].get<std::string>()))->toRfc3339());
        QCOMPARE(ctlState["feedback_history"][0]["received_at"], Json("2025-09-01T10:05:00.000000001Z"));
        QCOMPARE(ctlRaw.value()["metadata"]["labels"]["pr-number"], Json("678"));
        QVERIFY(!ctlRaw.value()["metadata"].contains("annotations")
                || !ctlRaw.value()["metadata"]["annotations"].contains("remediation.5dlabs.com/version"));
    }

    // Every operation, both schemas, on each store.
    void testLifecycle_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("kubernetes") << QStringLiteral("kube");
        QTest::newRow("etcd") << QStringLiteral("etcd");
        QTest::newRow("sqlite") << QStringLiteral("sqlite");
    }
    void testLifecycle()
    {
        QFETCH(QString, kind);
        Store store = openStore(kind);
        QVERIFY(store.provider);
        RemediationManager manager(store.provider.get());
        QSignalSpy changed(&manager, &RemediationManager::taskChanged);

        auto seed = await(manager.create(Schema::Seed, QStringLiteral("7")));
        QVERIFY2(seed.ok(), qPrintable(seed.error().toString()));
        QCOMPARE(seed->status(), QStringLiteral("Initialized"));
        auto again = await(manager.create(Schema::Seed, QStringLiteral("7")));
        QCOMPARE(again.error().kind, ErrorKind::AlreadyExists);
        auto ctl = await(manager.create(Schema::Controller, QStringLiteral("task-7"), 55, 2));
        QVERIFY2(ctl.ok(), qPrintable(ctl.error().toString()));
        QCOMPARE(ctl->maxIterations(), 2);
        QCOMPARE(await(manager.create(Schema::Controller, QStringLiteral("task-8"))).error().kind, ErrorKind::Invalid);

        for (const TaskRef &ref : {TaskRef{QStringLiteral("7")}, TaskRef{QStringLiteral("task-7"), 55}}) {
            auto inc = await(manager.increment(ref));
            QVERIFY2(inc.ok(), qPrintable(inc.error().toString()));
            QCOMPARE(inc->iteration(), 1);
            QCOMPARE(inc->status(), QStringLiteral("InProgress"));
            auto fb = await(manager.addFeedback(ref, {QStringLiteral("tess"), QStringLiteral("High"),
                                                      QStringLiteral("Bug"), QStringLiteral("login broken"),
                                                      QStringLiteral("31")}));
            QVERIFY2(fb.ok(), qPrintable(fb.error().toString()));
            QCOMPARE(fb->feedback().size(), 1);
            auto resolved = await(manager.resolveFeedback(ref, QStringLiteral("31")));
            QVERIFY2(resolved.ok(), qPrintable(resolved.error().toString()));
            QVERIFY(resolved->feedback().first().resolved);
            auto status = await(manager.setStatus(ref, QStringLiteral("Completed")));
            QVERIFY(status.ok());
            auto got = await(manager.get(ref));
            QVERIFY(got.ok());
            QCOMPARE(got->status(), QStringLiteral("Completed"));
            QCOMPARE(got->entry().revision, status->entry().revision);
            auto recovered = await(manager.recover(ref));
            QVERIFY2(recovered.ok(), qPrintable(recovered.error().toString()));
            QVERIFY(recovered->report.repairs.isEmpty());
            QVERIFY(recovered->task.state()["metadata"].contains("last_recovery"));
        }
        // The controller task's cap is 2: one more works, then Terminated.
        QVERIFY(await(manager.increment({QStringLiteral("task-7"), 55})).ok());
        auto capped = await(manager.increment({QStringLiteral("task-7"), 55}));
        QCOMPARE(capped.error().reason, reason::maxIterations);
        QCOMPARE(await(manager.get({QStringLiteral("task-7")}))->status(), QStringLiteral("Terminated"));

        // Missing tasks: NotFound, except where the seed creates them.
        QCOMPARE(await(manager.get({QStringLiteral("nope")})).error().reason, reason::notFound);
        QCOMPARE(await(manager.addFeedback({QStringLiteral("nope")}, {})).error().kind, ErrorKind::NotFound);
        auto made = await(manager.increment({QStringLiteral("fresh")}));
        QVERIFY2(made.ok(), qPrintable(made.error().toString()));
        QCOMPARE(made->name(), QStringLiteral("task-fresh-state"));
        QCOMPARE(made->iteration(), 1);
        auto recoveredNew = await(manager.recover({QStringLiteral("other")}));
        QVERIFY(recoveredNew.ok());
        QVERIFY(recoveredNew->report.created);

        auto all = await(manager.list());
        QVERIFY(all.ok());
        QCOMPARE(all->size(), 4);
        QVERIFY(changed.size() >= 12);
    }

    // The same task id under two PRs and in the seed's schema: a bare id is
    // refused as ambiguous, and names what it could mean.
    void testAmbiguousTaskId()
    {
        Store store = openStore(QStringLiteral("sqlite"));
        RemediationManager manager(store.provider.get());
        QVERIFY(await(manager.create(Schema::Controller, QStringLiteral("a"), 1)).ok());
        QVERIFY(await(manager.create(Schema::Controller, QStringLiteral("a"), 2)).ok());
        QVERIFY(await(manager.create(Schema::Seed, QStringLiteral("a"))).ok());
        auto r = await(manager.get({QStringLiteral("a")}));
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QVERIFY2(r.error().message.contains(QLatin1String("task-a-state"))
                     && r.error().message.contains(QLatin1String("remediation-state-pr-2-task-a")),
                 qPrintable(r.error().message));
        QCOMPARE(await(manager.get({QStringLiteral("a"), 2}))->name(), QStringLiteral("remediation-state-pr-2-task-a"));
        QCOMPARE(await(manager.get({QStringLiteral("a"), -1, Schema::Seed}))->name(), QStringLiteral("task-a-state"));
        QCOMPARE(await(manager.get({QStringLiteral("remediation-state-pr-1-task-a")}))->prNumber(), qint64(1));
    }

    // 16 statedeckctl processes increment one task at once. Every increment
    // lands exactly once, and the seed's cap of 10 holds: exactly ten
    // succeed and the rest get MaxIterationsReached (exit 5).
    void testConcurrentIncrements_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("kubernetes") << QStringLiteral("kube");
        QTest::newRow("etcd") << QStringLiteral("etcd");
        QTest::newRow("sqlite") << QStringLiteral("sqlite");
    }
    void testConcurrentIncrements()
    {
        QFETCH(QString, kind);
        Store store = openStore(kind);
        QVERIFY(store.provider);
        RemediationManager manager(store.provider.get());
        const int processes = 16, rounds = 3;
        QVERIFY(await(manager.create(Schema::Controller, QStringLiteral("hot"), 1, 1000)).ok());
        QVERIFY(await(manager.create(Schema::Seed, QStringLiteral("capped"))).ok());

        // Each process increments the uncapped task `rounds` times, then the
        // capped one once.
        QList<QProcess *> running;
        for (int i = 0; i < processes; ++i) {
            auto *p = new QProcess(this);
            p->setProcessEnvironment(env());
            const QString ctlPath = builtProgram(QStringLiteral("statedeckctl"));
            p->start(QStringLiteral("/bin/sh"),
                     {QStringLiteral("-c"),
                      QStringLiteral("for i in $(seq %1); do \"$0\" --store \"$1\" -q task inc hot --pr 1 >/dev/null "
                                     "|| exit 90; done; \"$0\" --store \"$1\" -q task inc capped -o json >/dev/null")
                          .arg(rounds),
                      ctlPath, store.url});
            running.append(p);
        }
        int succeeded = 0, capped = 0;
        for (QProcess *p : std::as_const(running)) {
            QVERIFY2(p->state() == QProcess::NotRunning || p->waitForFinished(240000), "an incrementing process did not finish");
            const QByteArray err = p->readAllStandardError();
            QVERIFY2(p->exitCode() != 90, err.constData());
            if (p->exitCode() == 0)
                ++succeeded;
            else if (p->exitCode() == 5)
                ++capped;
            else
                QFAIL(qPrintable(QStringLiteral("exit %1: %2").arg(p->exitCode()).arg(QString::fromUtf8(err))));
            delete p;
        }
        auto hot = await(manager.get({QStringLiteral("hot"), 1}));
        QVERIFY(hot.ok());
        QCOMPARE(hot->iteration(), processes * rounds);
        for (int i = 1; i <= processes * rounds; ++i)
            QVERIFY(hot->state()["metadata"].contains("iteration_" + std::to_string(i) + "_started"));
        QCOMPARE(succeeded, 10);
        QCOMPARE(capped, processes - 10);
        auto cappedTask = await(manager.get({QStringLiteral("capped")}));
        QCOMPARE(cappedTask->iteration(), 10);
        QCOMPARE(cappedTask->status(), QStringLiteral("MaxIterationsReached"));
    }

    // Old tasks go, but never one in progress, one whose state cannot be
    // read, or a ConfigMap that is not a task. A dry run changes nothing.
    void testCleanup()
    {
        Store store = openStore(QStringLiteral("kube"));
        QVERIFY(store.provider);
        const QString old = QStringLiteral("2025-01-01T00:00:00+00:00");
        const QString recent = UtcTime::now().toRfc3339();
        struct Row {
            QString name;
            Schema schema;
            QString status; // empty: a state.json that does not parse
            QString updated;
            bool goes;
        };
        const QList<Row> rows = {
            {QStringLiteral("task-1-state"), Schema::Seed, QStringLiteral("Completed"), old, true},
            {QStringLiteral("task-2-state"), Schema::Seed, QStringLiteral("InProgress"), old, false},
            {QStringLiteral("task-3-state"), Schema::Seed, QStringLiteral("Failed"), recent, false},
            {QStringLiteral("task-4-state"), Schema::Seed, QString(), old, false},
            {QStringLiteral("remediation-state-pr-5-task-a"), Schema::Controller, QStringLiteral("Terminated"), old, true},
            {QStringLiteral("remediation-state-pr-5-task-b"), Schema::Controller, QStringLiteral("InProgress"), old, false},
        };
        for (const Row &r : rows) {
            const QString text = r.status.isEmpty() ? QStringLiteral("{ not json") : stateWithStatus(r.schema, r.status);
            QVERIFY(await(store.provider->put(entryWithState(r.name, r.schema, text, r.updated), {})).ok());
        }
        Entry unrelated;
        unrelated.key = QStringLiteral("task-9-state-notes");
        unrelated.value = Json{{"last_update", toStd(old)}};
        QVERIFY(await(store.provider->put(unrelated, {})).ok());

        RemediationManager manager(store.provider.get());
        auto dry = await(manager.cleanup({7 * 86400, true}));
        QVERIFY2(dry.ok(), qPrintable(dry.error().toString()));
        QCOMPARE(dry->examined, int(rows.size()));
        QCOMPARE(dry->deleted(), 0);
        QCOMPARE(await(manager.list())->size(), rows.size());

        // The CLI's dry run says the same, in JSON.
        Run cli = ctl(store.url, {QStringLiteral("task"), QStringLiteral("cleanup"), QStringLiteral("--dry-run"),
                                  QStringLiteral("-o"), QStringLiteral("json")});
        QCOMPARE(cli.code, 0);
        const Json report = Json::parse(cli.out.toStdString());
        QStringList would;
        for (const Json &i : report["items"])
            if (i["action"] == Json("would delete"))
                would << toQString(i["name"].get<std::string>());
        QCOMPARE(would, (QStringList{QStringLiteral("remediation-state-pr-5-task-a"), QStringLiteral("task-1-state")}));

        auto done = await(manager.cleanup({7 * 86400, false}));
        QVERIFY(done.ok());
        QCOMPARE(done->deleted(), 2);
        for (const Row &r : rows)
            QCOMPARE(await(store.provider->get(r.name)).ok(), !r.goes);
        QVERIFY(await(store.provider->get(unrelated.key)).ok());

        // The periodic mode runs at once, then on its interval.
        QSignalSpy finished(&manager, &RemediationManager::cleanupFinished);
        manager.startPeriodicCleanup({7 * 86400, false}, std::chrono::hours(6));
        QVERIFY(finished.wait(20000));
        QCOMPARE(finished.first().first().value<CleanupReport>().deleted(), 0);
        manager.stopPeriodicCleanup();
    }

    // A hand-corrupted state.json: reported with its position, nothing
    // written; --reset saves the old text to a file, then starts afresh.
    void testCorruptStateRecovery()
    {
        Store store = openStore(QStringLiteral("kube"));
        QVERIFY(store.provider);
        const QString broken = QStringLiteral("{\n  \"task_id\": \"13\",\n  \"iteration\": 3,\n  \"status\": \"InPro");
        QVERIFY(await(store.provider->put(entryWithState(QStringLiteral("task-13-state"), Schema::Seed, broken,
                                                         UtcTime::now().toRfc3339()),
                                          {}))
                    .ok());
        const QString revision = await(store.provider->get(QStringLiteral("task-13-state")))->revision;

        for (const QStringList &args : {QStringList{QStringLiteral("task"), QStringLiteral("recover"), QStringLiteral("13")},
                                        QStringList{QStringLiteral("task"), QStringLiteral("inc"), QStringLiteral("13")},
                                        QStringList{QStringLiteral("task"), QStringLiteral("get"), QStringLiteral("13")}}) {
            Run r = ctl(store.url, args);
            QCOMPARE(r.code, 6);
            QVERIFY2(r.err.contains("task-13-state/state.json:4:"), r.err.constData());
        }
        QCOMPARE(await(store.provider->get(QStringLiteral("task-13-state")))->revision, revision);
        // The listing shows it as unreadable rather than failing.
        Run ls = ctl(store.url, {QStringLiteral("task"), QStringLiteral("ls"), QStringLiteral("-o"), QStringLiteral("json")});
        QCOMPARE(ls.code, 0);
        QVERIFY(Json::parse(ls.out.toStdString())[0].contains("error"));

        Run reset = ctl(store.url, {QStringLiteral("task"), QStringLiteral("recover"), QStringLiteral("13"),
                                    QStringLiteral("--reset"), QStringLiteral("-o"), QStringLiteral("json")});
        QVERIFY2(reset.code == 0, reset.err.constData());
        const Json out = Json::parse(reset.out.toStdString());
        QCOMPARE(out["reset"], Json(true));
        const QString backup = toQString(out["backup"].get<std::string>());
        QVERIFY(backup.startsWith(m_home.filePath(QStringLiteral("state/statedeck/remediation-backups/task-13-state"))));
        QFile saved(backup);
        QVERIFY(saved.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(saved.readAll()), broken);
        auto now = await(RemediationManager(store.provider.get()).get({QStringLiteral("13")}));
        QVERIFY(now.ok());
        QVERIFY(!now->stateError());
        QCOMPARE(now->status(), QStringLiteral("Initialized"));
        QCOMPARE(now->iteration(), 0);
    }

    // A field a newer controller wrote survives statedeckctl's edits, on the
    // cluster, and the rest of the document keeps its order.
    void testUnknownFieldSurvivesCli()
    {
        Store store = openStore(QStringLiteral("kube"));
        const QString ns = store.url.section(QLatin1Char('/'), 3, 3);
        Json cm = fixtureForCreate(kControllerFixture);
        Json state = Json::parse(cm["data"]["state.json"].get<std::string>());
        state["escalation"] = Json{{"team", "platform"}, {"paged", true}};
        state["feedback_history"][1]["triage_notes"] = "see runbook";
        cm["data"]["state.json"] = toStd(serdePretty(state));
        auto client = adminClient(*m_kube);
        QVERIFY(await(client->create(kube::Resource::configMaps(), ns, cm)).ok());

        Run add = ctl(store.url, {QStringLiteral("task"), QStringLiteral("feedback"), QStringLiteral("add"),
                                  QStringLiteral("task-2"), QStringLiteral("--severity"), QStringLiteral("Low"),
                                  QStringLiteral("--type"), QStringLiteral("Performance"),
                                  QStringLiteral("--description"), QStringLiteral("slow"),
                                  QStringLiteral("--comment-id"), QStringLiteral("777")});
        QVERIFY2(add.code == 0, add.err.constData());
        Run res = ctl(store.url, {QStringLiteral("task"), QStringLiteral("feedback"), QStringLiteral("resolve"),
                                  QStringLiteral("task-2"), QStringLiteral("feedback-12399-2")});
        QVERIFY2(res.code == 0, res.err.constData());
        auto raw = await(client->get(kube::Resource::configMaps(), ns, QStringLiteral("remediation-state-pr-678-task-task-2")));
        const Json written = Json::parse(raw.value()["data"]["state.json"].get<std::string>());
        QCOMPARE(written["escalation"]["team"], Json("platform"));
        QCOMPARE(written["feedback_history"][1]["triage_notes"], Json("see runbook"));
        QCOMPARE(written["feedback_history"][1]["status"], Json("Resolved"));
        QCOMPARE(written["feedback_history"].size(), size_t(3));
        QCOMPARE(written.begin().key(), std::string("workflow_id"));
        QCOMPARE(std::prev(written.end()).key(), std::string("escalation"));
    }

    // What a user types and what comes back: exit codes and messages.
    void testCli_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("output"); // in stdout or stderr
        QTest::newRow("create") << QStringList{"task", "create", "5"} << 0 << "task-5-state: created";
        QTest::newRow("create again") << QStringList{"task", "create", "5"} << 4 << "already has remediation state";
        QTest::newRow("create controller") << QStringList{"task", "create", "t-5", "--pr", "9", "--max-iterations", "1"}
                                           << 0 << "remediation-state-pr-9-task-t-5: created";
        QTest::newRow("seed has a fixed cap") << QStringList{"task", "create", "6", "--max-iterations", "3"} << 1
                                              << "fixed cap of 10";
        QTest::newRow("inc") << QStringList{"task", "inc", "5"} << 0 << "iteration 1 of 10";
        QTest::newRow("inc to the cap") << QStringList{"task", "inc", "t-5"} << 0 << "iteration 1 of 1";
        QTest::newRow("past the cap") << QStringList{"task", "inc", "t-5"} << 5 << "maximum iterations reached";
        QTest::newRow("feedback needs options") << QStringList{"task", "feedback", "add", "5"} << 2
                                                << "--severity, --type, --description";
        QTest::newRow("feedback bad severity") << QStringList{"task", "feedback", "add", "5", "--severity", "Meh",
                                                              "--type", "Bug", "--description", "x"}
                                               << 7 << "severity \"Meh\" is not one of";
        QTest::newRow("feedback") << QStringList{"task", "feedback", "add", "5", "--severity", "Critical", "--type",
                                                 "Security", "--description", "token in logs", "--comment-id", "c1"}
                                  << 0 << "feedback added";
        QTest::newRow("ls") << QStringList{"task", "ls", "-o", "table"} << 0 << "1 Critical";
        QTest::newRow("history") << QStringList{"task", "history", "5", "--severity", "critical", "-o", "table"} << 0
                                 << "token in logs";
        QTest::newRow("history filtered out") << QStringList{"task", "history", "5", "--resolved", "-o", "json"} << 0
                                              << "[]";
        QTest::newRow("resolve") << QStringList{"task", "feedback", "resolve", "5", "c1"} << 0 << "feedback c1 updated";
        QTest::newRow("resolve missing") << QStringList{"task", "feedback", "resolve", "5", "c9"} << 3
                                         << "no feedback entry \"c9\"";
        QTest::newRow("status") << QStringList{"task", "status", "5", "Completed"} << 0 << "Completed";
        QTest::newRow("status bad") << QStringList{"task", "status", "5", "Paused"} << 7 << "is not one of";
        QTest::newRow("no such task") << QStringList{"task", "get", "404"} << 3 << "no remediation state for task 404";
        QTest::newRow("ls filtered") << QStringList{"task", "ls", "--status", "Terminated", "-o", "value"} << 0
                                     << "remediation-state-pr-9-task-t-5";
        QTest::newRow("unknown subcommand") << QStringList{"task", "explode"} << 2 << "unknown task subcommand";
        QTest::newRow("missing id") << QStringList{"task", "inc"} << 2 << "usage: statedeckctl task inc ID";
        QTest::newRow("bad retention") << QStringList{"task", "cleanup", "--retention", "soon"} << 2
                                       << "expected a duration";
        QTest::newRow("bad pr") << QStringList{"task", "get", "x", "--pr", "abc"} << 2 << "expected a PR number";
    }
    void testCli()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, output);
        static const QString url = QStringLiteral("sqlite://%1").arg(m_home.filePath(QStringLiteral("cli.db")));
        // As on a terminal: tables and sentences, unless the row asks otherwise.
        if (!args.contains(QLatin1String("-o")))
            args << QStringLiteral("-o") << QStringLiteral("table");
        Run r = ctl(url, args);
        const QString all = QString::fromUtf8(r.out + r.err);
        QVERIFY2(r.code == code, qPrintable(QStringLiteral("exit %1: %2").arg(r.code).arg(all)));
        QVERIFY2(all.contains(output), qPrintable(all));
    }
};

QTEST_GUILESS_MAIN(TestRemediationManager)
#include "tst_remediation_manager.moc"
