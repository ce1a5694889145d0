#include "FirebaseTestServer.h"
#include "RedisTestServer.h"
#include "TestSupport.h"
#include "config/StoreSpec.h"
#include "console/KeyModel.h"
#include "console/Session.h"
#include "providers/Backends.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QItemSelectionModel>
#include <QPointer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;
using sd::test::await;

namespace {

// A real SQLite store whose watch can be made to fail: every watch it gives
// forwards the store's own events, and fails with `failWith` at once when
// that is set, or when failAll() is called. The session's reactions
// (backoff, Stale) are what the tests look at; the store is real.
class FailingWatch : public Watch {
public:
    explicit FailingWatch(std::unique_ptr<Watch> inner) : m_inner(std::move(inner))
    {
        if (!m_inner)
            return;
        connect(m_inner.get(), &Watch::event, this, &Watch::event);
        connect(m_inner.get(), &Watch::ready, this, &Watch::ready);
        connect(m_inner.get(), &Watch::progress, this, &Watch::progress);
        connect(m_inner.get(), &Watch::interrupted, this, &Watch::interrupted);
        connect(m_inner.get(), &Watch::resumed, this, &Watch::resumed);
        connect(m_inner.get(), &Watch::failed, this, &Watch::failed);
    }
    void fail(const Error &e)
    {
        m_inner.reset();
        QMetaObject::invokeMethod(this, [this, e] { Q_EMIT failed(e); }, Qt::QueuedConnection);
    }

private:
    std::unique_ptr<Watch> m_inner;
};

class FailingWatchProvider : public Provider {
public:
    explicit FailingWatchProvider(std::unique_ptr<Provider> inner) : m_inner(std::move(inner)) {}
    std::optional<Error> failWith; // every new watch fails at once
    int watches = 0;
    void failAll(const Error &e)
    {
        for (const QPointer<FailingWatch> &w : std::as_const(m_watches))
            if (w)
                w->fail(e);
    }

    QString scheme() const override { return m_inner->scheme(); }
    QString describe() const override { return m_inner->describe(); }
    Capabilities capabilities() const override { return m_inner->capabilities(); }
    QFuture<Result<ListPage>> list(const ListOptions &o) override { return m_inner->list(o); }
    QFuture<Result<Entry>> get(const QString &k) override { return m_inner->get(k); }
    QFuture<Result<Entry>> put(const Entry &e, const Precondition &p) override { return m_inner->put(e, p); }
    QFuture<Status> remove(const QString &k, const Precondition &p) override { return m_inner->remove(k, p); }
    QFuture<Result<Lock>> lock(const QString &n, std::chrono::milliseconds ttl) override { return m_inner->lock(n, ttl); }
    QFuture<Status> unlock(const Lock &l) override { return m_inner->unlock(l); }
    std::unique_ptr<Watch> watch(const QString &prefix, const QString &from) override
    {
        ++watches;
        auto w = std::make_unique<FailingWatch>(failWith ? nullptr : m_inner->watch(prefix, from));
        if (failWith)
            w->fail(*failWith);
        m_watches << QPointer<FailingWatch>(w.get());
        return w;
    }

private:
    std::unique_ptr<Provider> m_inner;
    QList<QPointer<FailingWatch>> m_watches;
};

} // namespace

// Session and KeyModel against real stores: lazy pages, the tree, a writer
// in another process, a Redis restart, and the freshness a banner shows.
class TestConsoleKeyModel : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_ctl;

    std::unique_ptr<Session> sqliteSession(const QString &name)
    {
        StoreSpec spec;
        spec.backend = QStringLiteral("sqlite");
        spec.options.insert(QStringLiteral("path"), m_dir.filePath(name));
        auto s = Session::open(spec, name);
        if (!s.ok())
            qWarning("%s", qPrintable(s.error().toString()));
        return s.ok() ? std::move(s).value() : nullptr;
    }

    static void fill(Provider *p, const QStringList &keys)
    {
        QList<BatchItem> items;
        for (const QString &k : keys) {
            BatchItem item;
            item.entry.key = k;
            item.entry.value = Json{{"k", toStd(k)}};
            items << item;
            if (items.size() == 1000) {
                QCOMPARE(await(p->putBatch(items), 60000).failed(), 0);
                items.clear();
            }
        }
        if (!items.isEmpty())
            QCOMPARE(await(p->putBatch(items), 60000).failed(), 0);
    }

    static Entry entryOf(const QString &key, const Json &value)
    {
        Entry e;
        e.key = key;
        e.value = value;
        return e;
    }

    static QStringList allKeys(const KeyModel &m)
    {
        QStringList keys;
        std::function<void(const QModelIndex &)> walk = [&](const QModelIndex &parent) {
            for (int r = 0; r < m.rowCount(parent); ++r) {
                const QModelIndex i = m.index(r, 0, parent);
                if (m.data(i, KeyModel::HasValueRole).toBool())
                    keys << m.keyAt(i);
                walk(i);
            }
        };
        walk({});
        keys.sort();
        return keys;
    }

    sd::test::ProgramRun ctl(const QString &db, const QStringList &args, const QByteArray &input = {})
    {
        return ctlOn(QStringLiteral("sqlite://") + db, args, input);
    }
    sd::test::ProgramRun ctlOn(const QString &store, const QStringList &args, const QByteArray &input = {})
    {
        return sd::test::runProgram(m_ctl, QStringList{QStringLiteral("--store"), store} + args,
                                    sd::test::isolatedEnvironment(m_dir.path()), input, 30000);
    }

    // One Redis server for the suite's Redis rows, emptied for each.
    std::unique_ptr<sd::test::RedisTestServer> m_redis;

    // A session on an empty store of `backend` ("sqlite" or "redis") and
    // the URL another process reaches the same store by.
    struct Opened {
        std::unique_ptr<Session> session;
        QString url;
    };
    Opened openStore(const QString &backend, const QString &name)
    {
        Opened o;
        if (backend == QLatin1String("redis")) {
            if (!m_redis) {
                m_redis = std::make_unique<sd::test::RedisTestServer>();
                if (!m_redis->start())
                    qFatal("redis-server did not start: %s", qPrintable(m_redis->log()));
            }
            if (m_redis->command({"FLUSHALL"}) != "+OK")
                qWarning("FLUSHALL failed");
            auto s = Session::open(m_redis->spec(0), name);
            if (!s.ok())
                qWarning("%s", qPrintable(s.error().toString()));
            o.session = s.ok() ? std::move(s).value() : nullptr;
            o.url = QStringLiteral("redis://127.0.0.1:%1/0").arg(m_redis->port());
            return o;
        }
        const QString file = name + QStringLiteral(".db");
        QFile::remove(m_dir.filePath(file));
        o.session = sqliteSession(file);
        o.url = QStringLiteral("sqlite://") + m_dir.filePath(file);
        return o;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_ctl = sd::test::builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY(!m_ctl.isEmpty());
    }

    void testFreshnessText_data()
    {
        QTest::addColumn<int>("state");
        QTest::addColumn<QString>("revision");
        QTest::addColumn<QString>("error");
        QTest::addColumn<int>("retryInMs");
        QTest::addColumn<QString>("textHas");
        QTest::addColumn<int>("tone");
        QTest::newRow("live") << int(Freshness::Live) << "" << "" << -1 << "Live" << int(Tone::Good);
        QTest::newRow("reconnecting") << int(Freshness::Reconnecting) << "" << "connection refused" << 4000
                                      << "(next retry in 4 s): connection refused" << int(Tone::Stale);
        QTest::newRow("resyncing") << int(Freshness::Resyncing) << "" << "" << -1 << "Resyncing since"
                                   << int(Tone::Warning);
        QTest::newRow("stale") << int(Freshness::Stale) << "42" << "forbidden" << -1
                               << "(last good revision 42): forbidden" << int(Tone::Stale);
        QTest::newRow("unwatched") << int(Freshness::Unwatched) << "" << "" << -1 << "Not watched: as read at"
                                   << int(Tone::Muted);
    }
    void testFreshnessText()
    {
        QFETCH(int, state);
        QFETCH(QString, revision);
        QFETCH(QString, error);
        QFETCH(int, retryInMs);
        QFETCH(QString, textHas);
        QFETCH(int, tone);
        const QDateTime now = QDateTime::currentDateTimeUtc();
        FreshnessState f;
        f.state = Freshness(state);
        f.since = now.addSecs(-10);
        f.lastRevision = revision;
        if (!error.isEmpty())
            f.lastError = Error(ErrorKind::Unavailable, error);
        if (retryInMs >= 0)
            f.nextRetry = now.addMSecs(retryInMs);
        QVERIFY2(f.text(now).contains(textHas), qPrintable(f.text(now)));
        QCOMPARE(int(f.tone()), tone);
    }

    // Pages come only when asked for; the status never calls a partial
    // listing complete.
    void testLazyPages_data()
    {
        QTest::addColumn<int>("keys");
        QTest::addColumn<int>("pageSize");
        QTest::newRow("empty") << 0 << 100;
        QTest::newRow("one partial page") << 37 << 100;
        QTest::newRow("exact pages") << 300 << 100;
        QTest::newRow("many pages") << 2345 << 500;
    }
    void testLazyPages()
    {
        QFETCH(int, keys);
        QFETCH(int, pageSize);
        auto session = sqliteSession(QStringLiteral("lazy-%1.db").arg(keys));
        QVERIFY(session);
        QStringList names;
        for (int i = 0; i < keys; ++i)
            names << QStringLiteral("app/k%1").arg(i, 5, 10, QLatin1Char('0'));
        fill(session->provider(), names);
        KeyModel model(session.get());
        model.setPageSize(pageSize);
        QVERIFY(model.canFetchMore({}) || keys == 0);
        model.fetchMore({});
        QVERIFY(model.listingInFlight());
        QVERIFY(!model.canFetchMore({})); // one page at a time
        QTRY_VERIFY(!model.listingInFlight());
        QCOMPARE(model.loadedCount(), qint64(std::min(keys, pageSize)));
        QCOMPARE(model.listingComplete(), keys < pageSize);
        QVERIFY2(model.statusText().contains(model.listingComplete() ? QLatin1String("listing complete")
                                                                     : QLatin1String("still listing")),
                 qPrintable(model.statusText()));
        // The rest under the tester (which fetches more itself, as views do).
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.fetchAll();
        QTRY_VERIFY_WITH_TIMEOUT(model.listingComplete(), 30000);
        QCOMPARE(model.loadedCount(), qint64(keys));
        QCOMPARE(allKeys(model), names);
        QVERIFY(!model.canFetchMore({}));
    }

    void testStopKeepsWhatWasLoaded()
    {
        auto session = sqliteSession(QStringLiteral("stop.db"));
        QStringList names;
        for (int i = 0; i < 1000; ++i)
            names << QStringLiteral("s%1").arg(i, 4, 10, QLatin1Char('0'));
        fill(session->provider(), names);
        KeyModel model(session.get());
        model.setPageSize(100);
        model.fetchMore({});
        QTRY_VERIFY(!model.listingInFlight());
        model.stop();
        QVERIFY(!model.canFetchMore({}));
        QVERIFY(model.statusText().contains(QLatin1String("stopped")));
        QCOMPARE(model.loadedCount(), qint64(100));
        model.resume();
        QTRY_VERIFY(!model.listingInFlight());
        QCOMPARE(model.loadedCount(), qint64(200));
    }

    void testTree_data()
    {
        QTest::addColumn<QStringList>("keys");
        QTest::addColumn<QStringList>("topRows");
        QTest::newRow("nested") << QStringList{"app/a", "app/b/c", "app/b/d", "top"}
                                << QStringList{"app/", "top"};
        QTest::newRow("a key that is also a prefix") << QStringList{"a", "a/b"} << QStringList{"a", "a/"};
    }
    void testTree()
    {
        QFETCH(QStringList, keys);
        QFETCH(QStringList, topRows);
        auto session = sqliteSession(QStringLiteral("tree-%1.db").arg(QTest::currentDataTag()));
        fill(session->provider(), keys);
        KeyModel model(session.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setMode(KeyModel::Tree);
        model.setHighlightDuration(std::chrono::milliseconds(0));
        model.fetchAll();
        QTRY_VERIFY(model.listingComplete());
        QStringList top;
        for (int r = 0; r < model.rowCount(); ++r)
            top << model.data(model.index(r, 0)).toString();
        top.sort();
        QCOMPARE(top, topRows);
        QCOMPARE(allKeys(model), keys);
        // A prefix row counts the keys under it.
        const QModelIndex app = model.indexOfKey(keys.first()).parent();
        if (app.isValid())
            QVERIFY(model.data(app, KeyModel::LeafCountRole).toInt() >= 1);
        // Removing the last key under a prefix removes the prefix row.
        session->start();
        QTRY_VERIFY(session->freshness().fresh());
        for (const QString &k : keys)
            QVERIFY(await(session->provider()->remove(k, {})).ok());
        QTRY_COMPARE(model.rowCount(), 0);
        QCOMPARE(model.loadedCount(), qint64(0));
    }

    // The columns besides the key, as a store gives them: TYPE (Redis's
    // type for what is not a string), UPDATED (the store's time, local),
    // TTL (what is left of a Redis expiry, short) and LABELS (the labels
    // not shown in another column), each with the SortRole that sorts it.
    void testColumns_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("ttl");
        QTest::addColumn<QString>("labels");
        QTest::addColumn<bool>("updated");
        QTest::newRow("sqlite: labels and time") << "sqlite" << "cfg" << "" << "" << "app=web, tier=db" << true;
        QTest::newRow("redis: a key with a TTL") << "redis" << "session:1" << "" << "5h" << "" << false;
        QTest::newRow("redis: a hash") << "redis" << "profile" << "hash" << "" << "" << false;
    }
    void testColumns()
    {
        QFETCH(QString, backend);
        QFETCH(QString, key);
        QFETCH(QString, type);
        QFETCH(QString, ttl);
        QFETCH(QString, labels);
        QFETCH(bool, updated);
        Opened store = openStore(backend, QStringLiteral("columns"));
        QVERIFY(store.session);
        if (backend == QLatin1String("sqlite")) {
            Entry e = entryOf(key, Json{{"replicas", 2}});
            e.labels.insert(QStringLiteral("tier"), QStringLiteral("db"));
            e.labels.insert(QStringLiteral("app"), QStringLiteral("web"));
            QVERIFY(await(store.session->provider()->put(e, {})).ok());
        } else if (key == QLatin1String("profile")) {
            QCOMPARE(m_redis->command({"HSET", "profile", "name", "ada"}), QByteArray(":1"));
        } else {
            // Five and a half hours: "5h" however long the test takes.
            QCOMPARE(m_redis->command({"SET", key.toUtf8(), "{\"user\":1}", "PX", "19800000"}), QByteArray("+OK"));
        }
        const Result<Entry> stored = await(store.session->provider()->get(key));
        QVERIFY2(stored.ok(), qPrintable(stored.error().toString()));

        KeyModel model(store.session.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.fetchAll();
        QTRY_VERIFY(model.listingComplete());
        const QModelIndex row = model.indexOfKey(key);
        QVERIFY(row.isValid());
        const auto cell = [&](int column, int role = Qt::DisplayRole) { return model.data(row.siblingAtColumn(column), role); };
        QCOMPARE(model.headerData(KeyModel::TtlColumn, Qt::Horizontal).toString(), QStringLiteral("TTL"));
        QCOMPARE(cell(KeyModel::TypeColumn).toString(), type);
        QCOMPARE(cell(KeyModel::TtlColumn).toString(), ttl);
        QCOMPARE(cell(KeyModel::LabelsColumn).toString(), labels);
        QCOMPARE(cell(KeyModel::RevisionColumn).toString(), stored->revision);
        if (ttl.isEmpty()) {
            QCOMPARE(cell(KeyModel::TtlColumn, SortRole).toLongLong(), qint64(-1));
        } else {
            const qint64 left = cell(KeyModel::TtlColumn, SortRole).toLongLong();
            QVERIFY2(left > 5 * 3600 * 1000 && left <= 19800000, qPrintable(QString::number(left)));
        }
        if (updated) {
            QVERIFY(stored->updated.isValid());
            QCOMPARE(cell(KeyModel::UpdatedColumn).toString(),
                     stored->updated.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
            QCOMPARE(cell(KeyModel::UpdatedColumn, SortRole).toLongLong(), stored->updated.toMSecsSinceEpoch());
        } else {
            QCOMPARE(cell(KeyModel::UpdatedColumn).toString(), QString());
        }
        // LabelsRole has every label, those shown in other columns too.
        const QVariantMap all = cell(KeyModel::KeyColumn, LabelsRole).toMap();
        QCOMPARE(all.value(QStringLiteral("type")).toString(), type);
        QCOMPARE(all.contains(QStringLiteral("ttl")), !ttl.isEmpty());
    }

    // Another process adds, changes and deletes keys; the model follows
    // with inserts, dataChanged and removes, never a reset.
    void testWriterInAnotherProcess_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::newRow("sqlite") << QStringLiteral("sqlite");
        QTest::newRow("redis") << QStringLiteral("redis");
    }
    void testWriterInAnotherProcess()
    {
        QFETCH(QString, backend);
        Opened store = openStore(backend, QStringLiteral("other"));
        auto &session = store.session;
        QVERIFY(session);
        fill(session->provider(), {QStringLiteral("keep"), QStringLiteral("change"), QStringLiteral("drop")});
        KeyModel model(session.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setHighlightDuration(std::chrono::milliseconds(300));
        session->start();
        model.fetchAll();
        QTRY_VERIFY(model.listingComplete());
        QTRY_VERIFY(session->freshness().fresh());
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        const QModelIndex keep = model.indexOfKey(QStringLiteral("keep"));
        QCOMPARE(ctlOn(store.url, {"put", "added", "-"}, "{\"n\":1}").code, 0);
        QCOMPARE(ctlOn(store.url, {"put", "change", "-"}, "{\"n\":2}").code, 0);
        QCOMPARE(ctlOn(store.url, {"rm", "drop", "--yes"}).code, 0);
        QTRY_VERIFY_WITH_TIMEOUT(model.indexOfKey(QStringLiteral("added")).isValid(), 10000);
        QCOMPARE(model.data(model.indexOfKey(QStringLiteral("added")), ToneRole).toInt(), int(Tone::Added));
        QTRY_COMPARE(model.data(model.indexOfKey(QStringLiteral("change")), ToneRole).toInt(), int(Tone::Modified));
        // A deleted row shows as such for a moment, then goes.
        QTRY_VERIFY_WITH_TIMEOUT(!model.indexOfKey(QStringLiteral("drop")).isValid(), 10000);
        QCOMPARE(allKeys(model), (QStringList{"added", "change", "keep"}));
        QCOMPARE(model.loadedCount(), qint64(3));
        QCOMPARE(resets.count(), 0);
        QVERIFY(inserted.count() >= 1);
        QVERIFY(removed.count() >= 1);
        QVERIFY(changed.count() >= 1);
        QVERIFY(keep.isValid()); // untouched rows keep their index
        // Highlights fade.
        QTRY_COMPARE(model.data(model.indexOfKey(QStringLiteral("added")), ToneRole).toInt(), int(Tone::Normal));
    }

    // Redis restarted under a live session: Reconnecting, Resyncing, Live,
    // and the rows are what the store holds afterwards.
    void testRedisRestart()
    {
        sd::test::RedisTestServer redis;
        QVERIFY(redis.start());
        auto opened = Session::open(redis.spec(), QStringLiteral("redis"));
        QVERIFY2(opened.ok(), qPrintable(opened.error().toString()));
        std::unique_ptr<Session> session = std::move(opened).value();
        fill(session->provider(), {QStringLiteral("before:1"), QStringLiteral("before:2")});
        KeyModel model(session.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setHighlightDuration(std::chrono::milliseconds(0));
        QList<Freshness> states;
        connect(session.get(), &Session::freshnessChanged, this,
                [&](const FreshnessState &f) { states << f.state; });
        session->start();
        model.fetchAll();
        QTRY_VERIFY(model.listingComplete());
        QTRY_VERIFY(session->freshness().fresh());
        QCOMPARE(model.loadedCount(), qint64(2));
        states.clear();
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);

        QVERIFY(redis.restart()); // no persistence: the keys are gone
        QTRY_VERIFY_WITH_TIMEOUT(states.contains(Freshness::Reconnecting), 20000);
        QVERIFY(!model.data(model.index(0, 0), ToneRole).isNull());
        QTRY_VERIFY_WITH_TIMEOUT(states.contains(Freshness::Resyncing), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(session->freshness().fresh(), 20000);
        QVERIFY(states.indexOf(Freshness::Reconnecting) < states.indexOf(Freshness::Resyncing));
        QTRY_COMPARE(model.loadedCount(), qint64(0));
        // Writes after the restart arrive as usual.
        QVERIFY(await(session->provider()->put(Entry{QStringLiteral("after:1"), Json(1)}, {})).ok());
        QTRY_COMPARE(allKeys(model), QStringList{QStringLiteral("after:1")});
        QCOMPARE(resets.count(), 0);
        redis.stop();
    }

    // Redis restarted with its data kept (an append-only file): the keys
    // that survive keep their rows, so persistent indexes stay valid and
    // the selection stays; a key written after the file stopped recording
    // is gone after the restart and its row goes. A Resync reconciles in
    // place: no modelReset.
    void testResyncKeepsSurvivingRows()
    {
        sd::test::RedisTestServer redis({QStringLiteral("--appendonly"), QStringLiteral("yes"),
                                         QStringLiteral("--appendfsync"), QStringLiteral("always")});
        QVERIFY2(redis.start(), qPrintable(redis.log()));
        auto opened = Session::open(redis.spec(), QStringLiteral("redis"));
        QVERIFY2(opened.ok(), qPrintable(opened.error().toString()));
        std::unique_ptr<Session> session = std::move(opened).value();
        const QStringList kept{QStringLiteral("keep:1"), QStringLiteral("keep:2"), QStringLiteral("keep:3")};
        fill(session->provider(), kept);
        KeyModel model(session.get());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setHighlightDuration(std::chrono::milliseconds(0));
        QList<Freshness> states;
        connect(session.get(), &Session::freshnessChanged, this,
                [&](const FreshnessState &f) { states << f.state; });
        session->start();
        model.fetchAll();
        QTRY_VERIFY(model.listingComplete());
        QTRY_VERIFY(session->freshness().fresh());
        // From here on the server keeps nothing new: this key will not
        // survive the restart.
        QCOMPARE(redis.command({"CONFIG", "SET", "appendonly", "no"}), QByteArray("+OK"));
        QVERIFY(await(session->provider()->put(entryOf(QStringLiteral("lost:1"), Json(1)), {})).ok());
        QTRY_VERIFY_WITH_TIMEOUT(model.indexOfKey(QStringLiteral("lost:1")).isValid(), 10000);

        const QPersistentModelIndex first = model.indexOfKey(QStringLiteral("keep:1"));
        const QPersistentModelIndex third = model.indexOfKey(QStringLiteral("keep:3"));
        const QPersistentModelIndex lost = model.indexOfKey(QStringLiteral("lost:1"));
        QVERIFY(first.isValid() && third.isValid() && lost.isValid());
        QItemSelectionModel selection(&model);
        selection.select(model.indexOfKey(QStringLiteral("keep:2")),
                         QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        selection.setCurrentIndex(model.indexOfKey(QStringLiteral("keep:2")), QItemSelectionModel::NoUpdate);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        states.clear();

        QVERIFY(redis.restart());
        QTRY_VERIFY_WITH_TIMEOUT(states.contains(Freshness::Resyncing), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(session->freshness().fresh(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(!lost.isValid(), 10000);
        QCOMPARE(allKeys(model), kept);
        QCOMPARE(resets.count(), 0);
        // The surviving rows are the same rows.
        QVERIFY(first.isValid() && third.isValid());
        QCOMPARE(model.keyAt(first), QStringLiteral("keep:1"));
        QCOMPARE(model.keyAt(third), QStringLiteral("keep:3"));
        const QModelIndexList selected = selection.selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(model.keyAt(selected.first()), QStringLiteral("keep:2"));
        QCOMPARE(model.keyAt(selection.currentIndex()), QStringLiteral("keep:2"));
        redis.stop();
    }

    // The session's own reconnections (a watch that failed on a transient
    // error) wait firstBackoff, then twice as long each time up to
    // maxBackoff; a user's reconnect starts again from the first delay.
    void testBackoffDoublesAndCaps()
    {
        StoreSpec spec;
        spec.backend = QStringLiteral("sqlite");
        spec.options.insert(QStringLiteral("path"), m_dir.filePath(QStringLiteral("backoff.db")));
        auto inner = openProvider(spec);
        QVERIFY(inner.ok());
        auto *flaky = new FailingWatchProvider(std::move(inner).value());
        flaky->failWith = Error(ErrorKind::Unavailable, QStringLiteral("connection refused"));
        SessionOptions o;
        o.firstBackoff = std::chrono::milliseconds(20);
        o.maxBackoff = std::chrono::milliseconds(80);
        Session session(std::unique_ptr<Provider>(flaky), QStringLiteral("flaky"), o);
        QList<FreshnessState> retries;
        connect(&session, &Session::freshnessChanged, this, [&](const FreshnessState &f) {
            if (f.state == Freshness::Reconnecting)
                retries << f;
        });
        session.start();
        QTRY_VERIFY_WITH_TIMEOUT(retries.size() >= 5, 20000);
        const QList<qint64> expected{20, 40, 80, 80, 80};
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(qint64(retries[i].retryDelay.count()), expected[i]);
            QCOMPARE(retries[i].attempts, i + 1);
            QCOMPARE(retries[i].lastError.kind, ErrorKind::Unavailable);
            QVERIFY(retries[i].nextRetry.isValid());
            QCOMPARE(retries[i].since, retries[0].since); // Reconnecting since the first failure
        }
        QVERIFY(flaky->watches >= 5);
        QVERIFY(session.freshness().text(QDateTime::currentDateTimeUtc()).contains(QLatin1String("connection refused")));

        retries.clear();
        session.reconnect();
        QTRY_VERIFY(!retries.isEmpty());
        QCOMPARE(qint64(retries.first().retryDelay.count()), qint64(20));
        QCOMPARE(retries.first().attempts, 1);
    }

    // A watch that stops for good on its credentials or permissions turns
    // the session Stale, with the last revision it saw and when it was last
    // good; it does not retry by itself, and a user's reconnect brings it
    // back. Firebase cancelling the stream (the emulator, as a revoked
    // rule does) is Forbidden; an Unauthorized end the same.
    void testWatchFailureTurnsStale_data()
    {
        QTest::addColumn<QString>("how");
        QTest::newRow("firebase cancels the stream (Forbidden)") << QStringLiteral("firebase");
        QTest::newRow("unauthorized") << QStringLiteral("unauthorized");
        QTest::newRow("forbidden") << QStringLiteral("forbidden");
    }
    void testWatchFailureTurnsStale()
    {
        QFETCH(QString, how);
        std::unique_ptr<sd::test::FirebaseTestServer> fb;
        std::unique_ptr<Session> session;
        FailingWatchProvider *flaky = nullptr;
        if (how == QLatin1String("firebase")) {
            fb = std::make_unique<sd::test::FirebaseTestServer>();
            QVERIFY2(fb->start(), qPrintable(fb->log()));
            auto opened = Session::open(fb->spec(QStringLiteral("stale"), QStringLiteral("root")), QStringLiteral("fb"));
            QVERIFY2(opened.ok(), qPrintable(opened.error().toString()));
            session = std::move(opened).value();
        } else {
            StoreSpec spec;
            spec.backend = QStringLiteral("sqlite");
            spec.options.insert(QStringLiteral("path"), m_dir.filePath(QStringLiteral("stale-%1.db").arg(how)));
            flaky = new FailingWatchProvider(openProvider(spec).value());
            session = std::make_unique<Session>(std::unique_ptr<Provider>(flaky), QStringLiteral("sqlite"));
        }
        QString lastSeen;
        bool sawB = false;
        connect(session.get(), &Session::event, this, [&](const Event &e) {
            if (!e.revision.isEmpty())
                lastSeen = e.revision;
            sawB |= e.entry.key == QLatin1String("b");
        });
        session->start();
        QTRY_VERIFY_WITH_TIMEOUT(session->freshness().fresh(), 20000);
        QVERIFY(await(session->provider()->put(entryOf(QStringLiteral("a"), Json(1)), {})).ok());
        QVERIFY(await(session->provider()->put(entryOf(QStringLiteral("b"), Json(2)), {})).ok());
        QTRY_VERIFY_WITH_TIMEOUT(sawB, 10000);
        const QString revision = session->freshness().lastRevision;
        QCOMPARE(revision, lastSeen);
        if (flaky)
            QVERIFY(!revision.isEmpty()); // SQLite's events carry revisions
        const QDateTime lastGood = session->freshness().lastGood;
        QVERIFY(lastGood.isValid());

        if (fb)
            QVERIFY(fb->emulatorAction(QStringLiteral("cancel-streams")));
        else
            flaky->failAll(how == QLatin1String("unauthorized")
                               ? Error(ErrorKind::Unauthorized, QStringLiteral("the token expired"))
                               : Error(ErrorKind::Forbidden, QStringLiteral("no longer allowed to watch")));
        QTRY_COMPARE_WITH_TIMEOUT(session->freshness().state, Freshness::Stale, 20000);
        const FreshnessState f = session->freshness();
        QCOMPARE(f.lastError.kind, how == QLatin1String("unauthorized") ? ErrorKind::Unauthorized : ErrorKind::Forbidden);
        QCOMPARE(f.lastRevision, revision);
        QCOMPARE(f.lastGood, lastGood);
        QVERIFY(!f.nextRetry.isValid());
        QCOMPARE(f.tone(), Tone::Stale);
        const QString text = f.text(QDateTime::currentDateTimeUtc());
        QVERIFY2(text.startsWith(QLatin1String("Stale since")), qPrintable(text));
        if (!revision.isEmpty())
            QVERIFY2(text.contains(QStringLiteral("last good revision %1").arg(revision)), qPrintable(text));
        // No retry of its own is planned: Stale stays until the user acts.
        QVERIFY(f.retryDelay.count() == 0);
        session->reconnect();
        QTRY_VERIFY_WITH_TIMEOUT(session->freshness().fresh(), 20000);
    }

    // While the session is not Live, every row says it may be stale.
    void testRowsMarkedStaleWhileNotLive()
    {
        sd::test::RedisTestServer redis;
        QVERIFY(redis.start());
        auto session = std::move(Session::open(redis.spec(), QStringLiteral("redis")).value());
        fill(session->provider(), {QStringLiteral("x")});
        KeyModel model(session.get());
        session->start();
        model.fetchAll();
        QTRY_VERIFY(model.listingComplete());
        QTRY_VERIFY(session->freshness().fresh());
        QCOMPARE(model.data(model.index(0, 0), ToneRole).toInt(), int(Tone::Normal));
        redis.kill();
        QTRY_COMPARE_WITH_TIMEOUT(session->freshness().state, Freshness::Reconnecting, 20000);
        QCOMPARE(model.data(model.index(0, 0), ToneRole).toInt(), int(Tone::Stale));
        QVERIFY(session->freshness().text(QDateTime::currentDateTimeUtc()).contains(QLatin1String("Reconnecting since")));
    }

    // 100k keys: the first screen comes from the first page alone, and the
    // rest pages in on demand, under QAbstractItemModelTester. The tester
    // walks every loaded row at each change, so it watches in pages of
    // 10,000 (ten walks, not two hundred) to stay bounded in time.
    void testHundredThousandKeysLazily_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::newRow("sqlite") << QStringLiteral("sqlite");
        QTest::newRow("redis") << QStringLiteral("redis");
    }
    void testHundredThousandKeysLazily()
    {
        QFETCH(QString, backend);
        Opened store = openStore(backend, QStringLiteral("big"));
        QVERIFY(store.session);
        QStringList names;
        for (int i = 0; i < 100000; ++i)
            names << QStringLiteral("big/%1").arg(i, 6, 10, QLatin1Char('0'));
        fill(store.session->provider(), names);
        KeyModel model(store.session.get());
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        model.fetchMore({});
        QTRY_VERIFY(!model.listingInFlight());
        QCOMPARE(model.loadedCount(), qint64(500));
        QCOMPARE(model.rowCount(), 500);
        QVERIFY(!model.listingComplete());
        QVERIFY(model.canFetchMore({}));
        {
            model.setPageSize(10000);
            QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
            model.fetchAll();
            QTRY_VERIFY_WITH_TIMEOUT(model.listingComplete(), 120000);
        }
        QCOMPARE(model.loadedCount(), qint64(100000));
        QCOMPARE(model.rowCount(), 100000);
        QVERIFY(!model.canFetchMore({}));
        QCOMPARE(resets.count(), 0);
        QStringList loaded;
        loaded.reserve(100000);
        for (int r = 0; r < model.rowCount(); ++r)
            loaded << model.keyAt(model.index(r, 0));
        loaded.sort();
        QCOMPARE(loaded, names);
    }
};

QTEST_GUILESS_MAIN(TestConsoleKeyModel)
#include "tst_console_keymodel.moc"
