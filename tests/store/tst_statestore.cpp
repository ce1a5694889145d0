#include "TestSupport.h"
#include "log/Log.h"
#include "providers/sqlite/SqliteProvider.h"
#include "store/StateStore.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using test::await;

// StateStore over the real embedded backend (SQLite): merge patches, limits,
// events, the watch-invalidated cache, metrics, rate limits and what logs hold.
class TestStateStore : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_db = 0;
    QString m_path;

    std::unique_ptr<Provider> provider() { return std::make_unique<SqliteProvider>(m_path); }

private Q_SLOTS:
    void init() { m_path = m_dir.filePath(QStringLiteral("s%1.db").arg(++m_db)); }

    void testUpdateIsMergePatch_data()
    {
        QTest::addColumn<QString>("initial"); // empty: key absent
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("expected");
        // Cases from RFC 7386, appendix A, and the seed's partial update.
        QTest::newRow("add member") << R"({"a":"b"})" << R"({"c":"d"})" << R"({"a":"b","c":"d"})";
        QTest::newRow("replace member") << R"({"a":"b"})" << R"({"a":"c"})" << R"({"a":"c"})";
        QTest::newRow("null removes") << R"({"a":"b","b":"c"})" << R"({"a":null})" << R"({"b":"c"})";
        QTest::newRow("arrays are replaced") << R"({"a":["b"]})" << R"({"a":["c"]})" << R"({"a":["c"]})";
        QTest::newRow("nested merge") << R"({"preferences":{"theme":"dark"}})" << R"({"preferences":{"font_size":14}})"
                                      << R"({"preferences":{"theme":"dark","font_size":14}})";
        QTest::newRow("missing key starts empty") << "" << R"({"a":1})" << R"({"a":1})";
        QTest::newRow("non-object replaced") << R"([1,2])" << R"({"a":1})" << R"({"a":1})";
    }
    void testUpdateIsMergePatch()
    {
        QFETCH(QString, initial);
        QFETCH(QString, patch);
        QFETCH(QString, expected);
        StateStore store(provider());
        if (!initial.isEmpty())
            QVERIFY(await(store.set(QStringLiteral("k"), Json::parse(initial.toStdString()))).ok());
        auto r = await(store.update(QStringLiteral("k"), Json::parse(patch.toStdString())));
        QVERIFY2(r.ok(), qPrintable(r.error().toString()));
        SD_COMPARE_JSON(r->value, Json::parse(expected.toStdString()));
        SD_COMPARE_JSON(await(store.get(QStringLiteral("k")))->value, Json::parse(expected.toStdString()));
    }

    void testUpdateWithStaleRevisionConflicts()
    {
        StateStore store(provider());
        auto v1 = await(store.set(QStringLiteral("k"), Json{{"a", 1}}));
        QVERIFY(await(store.set(QStringLiteral("k"), Json{{"a", 2}})).ok());
        auto r = await(store.update(QStringLiteral("k"), Json{{"b", 1}}, Precondition::atRevision(v1->revision)));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Conflict);
        SD_COMPARE_JSON(await(store.get(QStringLiteral("k")))->value, (Json{{"a", 2}}));
    }

    void testInterleavedUpdatesLoseNothing()
    {
        // Two stores (two connections) patch distinct fields of one key at
        // once; CAS retries must keep every field.
        StateStore a(provider()), b(provider());
        QList<QFuture<Result<Entry>>> pending;
        constexpr int each = 40;
        for (int i = 0; i < each; ++i) {
            pending << a.update(QStringLiteral("shared"), Json{{"a" + std::to_string(i), i}});
            pending << b.update(QStringLiteral("shared"), Json{{"b" + std::to_string(i), i}});
        }
        for (auto &f : pending) {
            auto r = await(f, 60000);
            QVERIFY2(r.ok(), qPrintable(r.error().toString()));
        }
        const Json final = await(a.get(QStringLiteral("shared")))->value;
        QCOMPARE(int(final.size()), 2 * each);
    }

    void testStateChangeEvents()
    {
        StateStore store(provider());
        QSignalSpy spy(&store, &StateStore::stateChanged);
        QVERIFY(await(store.set(QStringLiteral("k"), Json{{"a", 1}}, {}, QStringLiteral("alice"))).ok());
        QVERIFY(await(store.update(QStringLiteral("k"), Json{{"b", 1}}, {}, QStringLiteral("bob"))).ok());
        QVERIFY(await(store.remove(QStringLiteral("k"), {}, QStringLiteral("carol"))).ok());
        QCOMPARE(spy.size(), 3);
        const auto kinds = QList<StateChange::Kind>{StateChange::Kind::Set, StateChange::Kind::Update,
                                                    StateChange::Kind::Delete};
        const QStringList actors{QStringLiteral("alice"), QStringLiteral("bob"), QStringLiteral("carol")};
        for (int i = 0; i < 3; ++i) {
            const auto change = spy.at(i).at(0).value<StateChange>();
            QCOMPARE(change.kind, kinds[i]);
            QCOMPARE(change.key, QStringLiteral("k"));
            QCOMPARE(change.actor, actors[i]);
        }
    }

    void testRateLimit_data()
    {
        QTest::addColumn<bool>("enforced");
        QTest::newRow("tracked only") << false;
        QTest::newRow("enforced") << true;
    }
    void testRateLimit()
    {
        QFETCH(bool, enforced);
        StoreOptions options;
        options.rateLimit.enforced = enforced;
        options.rateLimit.writesPerHour = 3;
        StateStore store(provider(), options);
        QSignalSpy spy(&store, &StateStore::rateLimited);
        for (int i = 1; i <= 3; ++i)
            QVERIFY(await(store.set(QStringLiteral("keys"), Json{{"n", i}}, {}, QStringLiteral("octocat"))).ok());
        QCOMPARE(spy.size(), 0);
        auto fourth = await(store.set(QStringLiteral("keys"), Json{{"n", 4}}, {}, QStringLiteral("octocat")));
        QCOMPARE(spy.size(), 1);
        const auto ev = spy.at(0).at(0).value<RateLimitEvent>();
        QCOMPARE(ev.actor, QStringLiteral("octocat"));
        QCOMPARE(ev.attempts, 4);
        QCOMPARE(ev.refused, enforced);
        QCOMPARE(fourth.ok(), !enforced);
        if (enforced)
            QCOMPARE(fourth.error().kind, ErrorKind::RateLimited);
        SD_COMPARE_JSON(await(store.get(QStringLiteral("keys")))->value, (Json{{"n", enforced ? 3 : 4}}));
        // Another actor has a budget of its own.
        QVERIFY(await(store.set(QStringLiteral("keys"), Json{{"n", 5}}, {}, QStringLiteral("hubot"))).ok());
        // Stats come out in the gate's getStats() shape.
        const Json stats = store.rateLimitStats();
        QCOMPARE(stats["octocat:keys"]["attempts"].get<int>(), enforced ? 3 : 4);
        QCOMPARE(stats["octocat:keys"]["user"].get<std::string>(), std::string("octocat"));
    }

    // Two limiters sharing a journal count as one, as two CLI runs must.
    void testRateLimitJournal()
    {
        QTemporaryDir dir;
        RateLimitPolicy policy;
        policy.enforced = true;
        policy.writesPerHour = 2;
        policy.journalPath = dir.filePath(QStringLiteral("state/limits.json"));
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QVERIFY(!RateLimiter(policy).record(QStringLiteral("a"), QStringLiteral("k"), now).overLimit);
        QVERIFY(!RateLimiter(policy).record(QStringLiteral("a"), QStringLiteral("k"), now).overLimit);
        const auto third = RateLimiter(policy).record(QStringLiteral("a"), QStringLiteral("k"), now);
        QVERIFY(third.refused);
        QCOMPARE(third.attempts, 3);
        QVERIFY(!RateLimiter(policy).record(QStringLiteral("b"), QStringLiteral("k"), now).overLimit);
        // An hour later the window is empty again.
        QVERIFY(!RateLimiter(policy).record(QStringLiteral("a"), QStringLiteral("k"), now.addSecs(3601)).overLimit);
        // Without a journal, each limiter counts alone.
        policy.journalPath.clear();
        QVERIFY(!RateLimiter(policy).record(QStringLiteral("a"), QStringLiteral("k"), now).overLimit);
    }

    void testRateLimitPolicyFromEnvironment_data()
    {
        QTest::addColumn<QString>("enabled");
        QTest::addColumn<QString>("perHour");
        QTest::addColumn<bool>("enforced");
        QTest::addColumn<int>("limit");
        QTest::newRow("defaults") << "" << "" << false << 10;
        QTest::newRow("enabled") << "true" << "25" << true << 25;
        QTest::newRow("not exactly true") << "yes" << "oops" << false << 10;
    }
    void testRateLimitPolicyFromEnvironment()
    {
        QFETCH(QString, enabled);
        QFETCH(QString, perHour);
        QFETCH(bool, enforced);
        QFETCH(int, limit);
        QProcessEnvironment env;
        if (!enabled.isEmpty())
            env.insert(QStringLiteral("RATE_LIMIT_ENABLED"), enabled);
        if (!perHour.isEmpty())
            env.insert(QStringLiteral("RATE_LIMIT_KEY_ROTATION"), perHour);
        const RateLimitPolicy p = RateLimitPolicy::fromEnvironment(env);
        QCOMPARE(p.enforced, enforced);
        QCOMPARE(p.writesPerHour, limit);
    }

    void testCacheIsInvalidatedByTheWatch()
    {
        StateStore cached(provider());
        StateStore other(provider(), StoreOptions{{}, 64, false});
        QVERIFY(await(other.set(QStringLiteral("k"), Json{{"v", 1}})).ok());
        SD_COMPARE_JSON(await(cached.get(QStringLiteral("k")))->value, (Json{{"v", 1}}));
        SD_COMPARE_JSON(await(cached.get(QStringLiteral("k")))->value, (Json{{"v", 1}}));
        QVERIFY(cached.metricsText().contains(QStringLiteral("statedeck_cache_hits_total{store=\"sqlite\"} 1")));
        // A write through another connection reaches the cache through the
        // watch stream; the stale value must not survive it.
        QVERIFY(await(other.set(QStringLiteral("k"), Json{{"v", 2}})).ok());
        QTRY_VERIFY_WITH_TIMEOUT(await(cached.get(QStringLiteral("k")))->value == (Json{{"v", 2}}), 10000);
    }

    void testMetricsText()
    {
        StateStore store(provider());
        QVERIFY(await(store.set(QStringLiteral("a"), Json{{"v", 1}})).ok());
        QVERIFY(!await(store.get(QStringLiteral("missing"))).ok());
        const QString text = store.metricsText();
        QVERIFY(text.contains(QStringLiteral("# TYPE statedeck_operations_total counter")));
        QVERIFY(text.contains(QStringLiteral("statedeck_operations_total{store=\"sqlite\",op=\"set\",result=\"ok\"} 1")));
        QVERIFY(text.contains(
            QStringLiteral("statedeck_operations_total{store=\"sqlite\",op=\"get\",result=\"NotFound\"} 1")));
    }

    void testLogsNameKeysButNeverValues()
    {
        QList<QByteArray> lines;
        log::setThreshold(log::Level::Debug);
        log::setSink([&](const QByteArray &l) { lines << l; });
        const std::string secret = "s3cr3t-token-value";
        {
            StoreOptions options;
            options.rateLimit.writesPerHour = 1; // also log a rate_limit event
            StateStore store(provider(), options);
            QVERIFY(await(store.set(QStringLiteral("gate/keys"), Json{{"token", secret}})).ok());
            QVERIFY(await(store.update(QStringLiteral("gate/keys"), Json{{"other", secret}})).ok());
            QVERIFY(await(store.get(QStringLiteral("gate/keys"))).ok());
            QVERIFY(!await(store.set(QStringLiteral("big"), Json{{"x", std::string(2 << 20, 'x')}})).ok());
        }
        log::setSink({});
        log::setThreshold(log::Level::Warn);
        QVERIFY(lines.size() >= 4);
        bool keyLogged = false;
        for (const QByteArray &l : std::as_const(lines)) {
            QVERIFY2(!l.contains(secret.c_str()), l.constData());
            QVERIFY2(!l.contains("xxxxxxxx"), "a value reached the log");
            keyLogged = keyLogged || l.contains("gate/keys");
        }
        QVERIFY(keyLogged);
    }
};

QTEST_GUILESS_MAIN(TestStateStore)
#include "tst_statestore.moc"
