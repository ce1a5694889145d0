// seed 004's fallback: a Redis primary with a yaml state/ directory as
// fallback. The primary goes down: reads and writes go to the fallback,
// loudly; writes are journaled; the primary comes back with one key changed
// meanwhile: the replay applies the rest and reports that one as a
// conflict without overwriting it.
#include "RedisTestServer.h"
#include "TestSupport.h"
#include "log/Log.h"
#include "providers/Backends.h"
#include "providers/fallback/FallbackProvider.h"
#include "providers/fallback/WriteJournal.h"

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::test;

namespace {

Entry json(const QString &key, const Json &v)
{
    Entry e;
    e.key = key;
    e.value = v;
    return e;
}

} // namespace

class TestTransferFallback : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<RedisTestServer> m_redis;
    QByteArrayList m_log;
    int m_case = 0;

    StoreSpec yamlSpec(const QString &name)
    {
        const QString d = m_dir.filePath(name);
        QDir().mkpath(d);
        StoreSpec s;
        s.backend = QStringLiteral("yaml");
        s.options.insert(QStringLiteral("path"), d);
        s.options.insert(QStringLiteral("backups"), 0);
        return s;
    }

    std::unique_ptr<FallbackProvider> open(const StoreSpec &primary, const StoreSpec &fallback, const QString &journal)
    {
        FallbackOptions o;
        o.journalPath = journal;
        o.probeInterval = std::chrono::milliseconds(0);
        return std::make_unique<FallbackProvider>(openProvider(primary).value(), openProvider(fallback).value(), o);
    }

    std::unique_ptr<Provider> direct(const StoreSpec &spec) { return openProvider(spec).value(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // Persistence off: a restart comes back empty, and the test writes
        // what "changed meanwhile" itself.
        m_redis = std::make_unique<RedisTestServer>();
        QVERIFY2(m_redis->start(), qPrintable(m_redis->log()));
        log::setSink([this](const QByteArray &line) { m_log << line; });
    }
    void cleanupTestCase()
    {
        log::setSink({});
        m_redis.reset();
    }
    void init()
    {
        m_log.clear();
        if (!m_redis->restart())
            QFAIL("redis did not restart");
    }

    void testReplayWithAConflictingChangeOnThePrimary()
    {
        const QString journal = m_dir.filePath(QStringLiteral("journal-%1.jsonl").arg(++m_case));
        const StoreSpec primarySpec = m_redis->spec(1);
        const StoreSpec fallbackSpec = yamlSpec(QStringLiteral("fb%1").arg(m_case));
        // Both hold the same state to begin with (as after a migration).
        auto seedPrimary = direct(primarySpec);
        auto seedFallback = direct(fallbackSpec);
        for (const char *k : {"a", "c", "d"}) {
            QVERIFY(await(seedPrimary->put(json(QStringLiteral("app:%1").arg(QLatin1String(k)), Json{{"v", 1}}), {})).ok());
            QVERIFY(await(seedFallback->put(json(QStringLiteral("app.%1").arg(QLatin1String(k)), Json{{"v", 1}}), {})).ok());
        }
        seedPrimary.reset();

        auto p = open(primarySpec, fallbackSpec, journal);
        QSignalSpy switched(p.get(), &FallbackProvider::fallbackChanged);
        QSignalSpy replayed(p.get(), &FallbackProvider::replayed);
        auto first = await(p->get(QStringLiteral("app:a")));
        QVERIFY2(first.ok(), qPrintable(first.error().toString()));
        QVERIFY(!p->onFallback());

        m_redis->stop();
        auto a = await(p->put(json(QStringLiteral("app:a"), Json{{"v", 2}}), {}));
        QVERIFY2(a.ok(), qPrintable(a.error().toString()));
        QVERIFY(p->onFallback());
        QCOMPARE(switched.size(), 1);
        QCOMPARE(switched.at(0).at(0).toBool(), true);
        QCOMPARE(switched.at(0).at(1).value<Error>().kind, ErrorKind::Unavailable);
        QVERIFY(await(p->put(json(QStringLiteral("app:b"), Json{{"v", 1}}), Precondition::mustNotExist())).ok());
        QVERIFY(await(p->put(json(QStringLiteral("app:c"), Json{{"v", 2}}), {})).ok());
        QVERIFY(await(p->remove(QStringLiteral("app:d"), {})).ok());
        // Reads come from the fallback, in the primary's key form.
        auto read = await(p->get(QStringLiteral("app:a")));
        QVERIFY(read.ok());
        QCOMPARE(read->key, QStringLiteral("app:a"));
        SD_COMPARE_JSON(read->value, (Json{{"v", 2}}));
        auto fbA = await(seedFallback->get(QStringLiteral("app.a")));
        SD_COMPARE_JSON(fbA->value, (Json{{"v", 2}}));
        // Loudly: a warning in the log naming both stores.
        bool warned = false;
        for (const QByteArray &l : std::as_const(m_log))
            warned |= l.contains("fallback.active") && l.contains("redis://");
        QVERIFY(warned);
        auto records = WriteJournal(journal).readAll();
        QVERIFY(records.ok());
        QCOMPARE(records->size(), 4);

        // The primary is back; meanwhile someone changed app:a there.
        QVERIFY(m_redis->restart());
        auto primary = direct(primarySpec);
        QVERIFY(await(primary->put(json(QStringLiteral("app:a"), Json{{"v", "theirs"}}), {})).ok());
        QVERIFY(await(primary->put(json(QStringLiteral("app:c"), Json{{"v", 1}}), {})).ok());
        QVERIFY(await(primary->put(json(QStringLiteral("app:d"), Json{{"v", 1}}), {})).ok());

        auto report = await(p->replay());
        QVERIFY2(report.ok(), qPrintable(report.error().toString()));
        QCOMPARE(report->applied, 3);
        QCOMPARE(report->conflicts.size(), 1);
        QCOMPARE(report->conflicts.first().first, QStringLiteral("app:a"));
        QVERIFY(report->conflicts.first().second.contains(QStringLiteral("changed on the primary")));
        QCOMPARE(replayed.size(), 1);
        QVERIFY(!p->onFallback());
        QCOMPARE(switched.size(), 2);
        QCOMPARE(switched.at(1).at(0).toBool(), false);

        // Not overwritten: theirs stays. The rest arrived.
        SD_COMPARE_JSON(await(primary->get(QStringLiteral("app:a")))->value, (Json{{"v", "theirs"}}));
        SD_COMPARE_JSON(await(primary->get(QStringLiteral("app:b")))->value, (Json{{"v", 1}}));
        SD_COMPARE_JSON(await(primary->get(QStringLiteral("app:c")))->value, (Json{{"v", 2}}));
        QCOMPARE(await(primary->get(QStringLiteral("app:d"))).error().kind, ErrorKind::NotFound);
        // The journal is empty; the conflict is kept beside it.
        QCOMPARE(WriteJournal(journal).readAll()->size(), 0);
        QFile conflicts(WriteJournal(journal).conflictsPath());
        QVERIFY(conflicts.open(QIODevice::ReadOnly));
        const QByteArray kept = conflicts.readAll();
        QVERIFY(kept.contains("\"key\":\"app:a\""));
        QVERIFY(kept.contains("changed on the primary"));
        // Back on the primary: calls go there.
        QVERIFY(await(p->put(json(QStringLiteral("app:e"), Json{{"v", 5}}), {})).ok());
        QVERIFY(await(primary->get(QStringLiteral("app:e"))).ok());
        // Keys are logged, values never.
        for (const QByteArray &l : std::as_const(m_log))
            QVERIFY2(!l.contains("theirs"), l.constData());
    }

    // A process that wrote to the fallback ends; the next one on the same
    // connection replays the journal before its first call.
    void testNextProcessReplaysFirst()
    {
        const QString journal = m_dir.filePath(QStringLiteral("journal-%1.jsonl").arg(++m_case));
        const StoreSpec primarySpec = m_redis->spec(2);
        const StoreSpec fallbackSpec = yamlSpec(QStringLiteral("fb%1").arg(m_case));
        {
            auto p = open(primarySpec, fallbackSpec, journal);
            m_redis->stop();
            QVERIFY(await(p->put(json(QStringLiteral("cfg:mode"), Json("offline")), {})).ok());
            QVERIFY(p->onFallback());
        }
        QVERIFY(WriteJournal(journal).hasRecords());
        QVERIFY(m_redis->restart());
        auto p = open(primarySpec, fallbackSpec, journal);
        QSignalSpy replayed(p.get(), &FallbackProvider::replayed);
        auto got = await(p->get(QStringLiteral("cfg:mode")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        SD_COMPARE_JSON(got->value, Json("offline"));
        QCOMPARE(replayed.size(), 1);
        QVERIFY(!p->onFallback());
        QVERIFY(!WriteJournal(journal).hasRecords());
    }

    // openProvider builds one from a spec with a fallback (a seed 004
    // state_management block with `fallback: file`).
    void testLockRenewedOnTheActiveStore_data()
    {
        QTest::addColumn<bool>("primaryDown");
        QTest::newRow("primary up") << false;
        QTest::newRow("on the fallback") << true;
    }
    void testLockRenewedOnTheActiveStore()
    {
        QFETCH(bool, primaryDown);
        const QString journal = m_dir.filePath(QStringLiteral("journal-%1.jsonl").arg(++m_case));
        auto p = open(m_redis->spec(2), yamlSpec(QStringLiteral("fb%1").arg(m_case)), journal);
        if (primaryDown)
            m_redis->stop();
        auto held = await(p->lock(QStringLiteral("deploy"), std::chrono::seconds(30)));
        QVERIFY2(held.ok(), qPrintable(held.error().toString()));
        QCOMPARE(p->onFallback(), primaryDown);
        auto renewed = await(p->renew(held.value(), std::chrono::seconds(30)));
        QVERIFY2(renewed.ok(), qPrintable(renewed.error().toString()));
        QCOMPARE(renewed->fencingToken, held->fencingToken);
        QVERIFY(await(p->unlock(renewed.value())).ok());
    }

    void testHistoryFromThePrimary()
    {
        const QString journal = m_dir.filePath(QStringLiteral("journal-%1.jsonl").arg(++m_case));
        StoreSpec sqlite;
        sqlite.backend = QStringLiteral("sqlite");
        sqlite.options.insert(QStringLiteral("path"), m_dir.filePath(QStringLiteral("h%1.db").arg(m_case)));
        auto p = open(sqlite, yamlSpec(QStringLiteral("fb%1").arg(m_case)), journal);
        QVERIFY(p->capabilities().keyHistory);
        for (int v = 1; v <= 3; ++v)
            QVERIFY(await(p->put(json(QStringLiteral("app/a"), Json{{"v", v}}), {})).ok());
        auto versions = await(p->history(QStringLiteral("app/a"), 10));
        QVERIFY2(versions.ok(), qPrintable(versions.error().toString()));
        QCOMPARE(versions->size(), 3);
        SD_COMPARE_JSON(versions->first().value, (Json{{"v", 3}}));
        SD_COMPARE_JSON(versions->last().value, (Json{{"v", 1}}));
        QCOMPARE(versions->first().key, QStringLiteral("app/a"));
    }

    void testOpenedFromSpec()
    {
        StoreSpec spec = m_redis->spec(3);
        spec.fallback = std::make_shared<StoreSpec>(yamlSpec(QStringLiteral("fb-spec")));
        auto p = openProvider(spec);
        QVERIFY(p.ok());
        auto *fb = qobject_cast<FallbackProvider *>(p.value().get());
        QVERIFY(fb);
        QVERIFY(fb->describe().contains(QStringLiteral("fallback yaml")));
        QVERIFY(fb->journalPath().contains(QStringLiteral("/statedeck/fallback/")));
    }
};

QTEST_GUILESS_MAIN(TestTransferFallback)
#include "tst_transfer_fallback.moc"
