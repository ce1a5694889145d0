// EtcdProvider against real etcd members on loopback: what the contract
// suite cannot show (failover, auth, restarts, compaction, lease expiry,
// history, the dotted-key mapping, a cluster losing the member in use).
#include "TestSupport.h"
#include "config/StoreUrl.h"
#include "providers/Backends.h"
#include "TcpProxy.h"
#include "providers/EtcdTestFixture.h"
#include "providers/etcd/EtcdProvider.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QDeadlineTimer>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <optional>

using namespace sd;
using namespace sd::test;

namespace {

Entry jsonEntry(const QString &key, const Json &value)
{
    Entry e;
    e.key = key;
    e.value = value;
    return e;
}

std::unique_ptr<EtcdProvider> provider(const QStringList &endpoints, const QString &root,
                                       const QString &user = {}, const QString &password = {})
{
    EtcdOptions o;
    o.endpoints = endpoints;
    o.root = root;
    o.user = user;
    o.password = password;
    o.requestTimeoutMs = 3000;
    return std::make_unique<EtcdProvider>(std::move(o));
}

struct EventLog {
    QList<Event> events;
    explicit EventLog(Watch *w)
    {
        QObject::connect(w, &Watch::event, w, [this](const Event &e) { events << e; });
    }
};

// Calls `attempt` (which starts one asynchronous try) again whenever the
// previous try failed, 200 ms after it, until one succeeds, `maxAttempts`
// were made or `timeoutMs` passed. Returns the last result. (QTRY_* would
// evaluate a try with side effects more than once after it succeeded.) The
// pause matters over gRPC: a channel whose connect failed fails calls at
// once until its reconnect backoff (200 ms to 2 s) runs out, so tries
// without it would all be spent in that time.
template <typename T>
Result<T> retryUntilOk(const std::function<QFuture<Result<T>>()> &attempt, int maxAttempts, int timeoutMs)
{
    Result<T> last(Error(ErrorKind::Timeout, QStringLiteral("no attempt finished")));
    std::optional<QFuture<Result<T>>> pending;
    int made = 0;
    QElapsedTimer sinceFailure;
    QTest::qWaitFor(
        [&] {
            if (pending && pending->isFinished()) {
                last = pending->result();
                pending.reset();
                if (last.ok())
                    return true;
                sinceFailure.start();
            }
            if (!pending && made < maxAttempts && (!sinceFailure.isValid() || sinceFailure.elapsed() >= 200)) {
                pending = attempt();
                ++made;
            }
            return !pending && made >= maxAttempts;
        },
        timeoutMs);
    return last;
}

QString deadEndpoint() { return QStringLiteral("http://127.0.0.1:%1").arg(freeLoopbackPort()); }

} // namespace

class TestEtcdProvider : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_server = std::make_unique<EtcdMember>();
        QVERIFY2(m_server->start(), qPrintable(m_server->process().log()));
    }
    void cleanupTestCase() { m_server.reset(); }
    void init() { m_root = QStringLiteral("/p/%1").arg(++m_count); }

    void testDottedKeyMapping_data()
    {
        QTest::addColumn<QString>("root");
        QTest::addColumn<QString>("dotted");
        QTest::addColumn<QString>("expected");
        QTest::newRow("two levels") << "/apps/web" << "deployment.phase" << "/apps/web/deployment/phase";
        QTest::newRow("root with trailing slash") << "/apps/web/" << "deployment.phase" << "/apps/web/deployment/phase";
        QTest::newRow("one level") << "/r" << "phase" << "/r/phase";
        QTest::newRow("deep") << "/r" << "a.b.c.d" << "/r/a/b/c/d";
        QTest::newRow("empty root") << "" << "deployment.phase" << "/deployment/phase";
    }
    void testDottedKeyMapping()
    {
        QFETCH(QString, root);
        QFETCH(QString, dotted);
        QFETCH(QString, expected);
        QCOMPARE(dottedToEtcdKey(root, dotted), expected);
    }

    // The mapped key, written through etcdctl, is what a provider with that
    // root shows as "deployment/phase".
    void testDottedKeyReadThroughRoot()
    {
        const QString etcdKey = dottedToEtcdKey(m_root, QStringLiteral("deployment.phase"));
        QVERIFY(m_server->etcdctl({QStringLiteral("put"), etcdKey, QStringLiteral("\"rolling\"")}));
        auto p = provider({m_server->endpoint()}, m_root);
        auto got = await(p->get(QStringLiteral("deployment/phase")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        SD_COMPARE_JSON(got->value, Json("rolling"));
    }

    void testFailover_data()
    {
        QTest::addColumn<int>("deadBefore");
        QTest::newRow("first endpoint dead") << 1;
        QTest::newRow("two dead endpoints first") << 2;
    }
    void testFailover()
    {
        QFETCH(int, deadBefore);
        QStringList endpoints;
        for (int i = 0; i < deadBefore; ++i)
            endpoints << deadEndpoint();
        endpoints << m_server->endpoint();
        auto p = provider(endpoints, m_root);
        auto put = await(p->put(jsonEntry(QStringLiteral("k"), Json{{"v", 1}}), {}));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        // The endpoint that answered is remembered.
        QCOMPARE(p->currentEndpoint(), m_server->endpoint());
        auto got = await(p->get(QStringLiteral("k")));
        QVERIFY(got.ok());
        QCOMPARE(got->revision, put->revision);
        // Reads over gRPC fail over the same way, from a fresh provider.
        auto fresh = provider(endpoints, m_root);
        ListOptions o;
        o.keysOnly = true;
        auto listed = await(fresh->list(o));
        QVERIFY2(listed.ok(), qPrintable(listed.error().toString()));
        QCOMPARE(listed->entries.size(), 1);
        QCOMPARE(listed->entries.first().key, QStringLiteral("k"));
        QCOMPARE(listed->entries.first().revision, put->revision);
        QCOMPARE(fresh->currentEndpoint(), m_server->endpoint());
    }

    // Requests still in flight when the provider goes away are aborted and
    // their futures cancelled; nothing runs afterwards.
    void testDestroyWithRequestsInFlight()
    {
        auto p = provider({m_server->endpoint()}, m_root);
        QList<QFuture<Result<Entry>>> pending;
        QList<QFuture<Result<ListPage>>> lists;
        for (int i = 0; i < 50; ++i) {
            pending << p->put(jsonEntry(QStringLiteral("f%1").arg(i), Json{{"v", i}}), {});
            pending << p->get(QStringLiteral("f%1").arg(i));
            lists << p->list({});
        }
        auto w = p->watch(QStringLiteral("f"), QString());
        p.reset();
        for (const auto &f : pending)
            QVERIFY(f.isFinished());
        for (const auto &f : lists)
            QVERIFY(f.isFinished());
        w.reset();
        QCoreApplication::processEvents();
    }

    // The URL form reaches a working provider through openProvider.
    void testOpenFromUrl()
    {
        auto spec = parseStoreUrl(QStringLiteral("etcd://127.0.0.1:%1?root=%2").arg(m_server->port()).arg(m_root));
        QVERIFY2(spec.ok(), qPrintable(spec.error().toString()));
        auto opened = openProvider(spec.value());
        QVERIFY2(opened.ok(), qPrintable(opened.error().toString()));
        QCOMPARE(opened.value()->scheme(), QStringLiteral("etcd"));
        QVERIFY(await(opened.value()->put(jsonEntry(QStringLiteral("u"), Json{{"v", 1}}), {})).ok());
        auto direct = provider({m_server->endpoint()}, m_root);
        auto got = await(direct->get(QStringLiteral("u")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
    }

    // TLS files are read when the store is opened: one that cannot be read
    // is refused then, naming the option and the file, not left to fail as
    // a TLS handshake later.
    void testUnreadableTlsFile_data()
    {
        QTest::addColumn<QVariantMap>("tls");
        QTest::addColumn<QString>("named");
        const QString missing = QDir::temp().filePath(QStringLiteral("statedeck-no-such.pem"));
        const QString readable = QCoreApplication::applicationFilePath();
        QTest::newRow("cacert missing") << QVariantMap{{QStringLiteral("cacert"), missing}}
                                        << QStringLiteral("\"cacert\": cannot read the PEM file \"") + missing;
        QTest::newRow("key missing") << QVariantMap{{QStringLiteral("cert"), readable}, {QStringLiteral("key"), missing}}
                                     << QStringLiteral("\"key\": cannot read the PEM file \"") + missing;
        QTest::newRow("cert without key") << QVariantMap{{QStringLiteral("cert"), readable}}
                                          << QStringLiteral("\"cert\" and \"key\" go together");
    }
    void testUnreadableTlsFile()
    {
        QFETCH(QVariantMap, tls);
        QFETCH(QString, named);
        StoreSpec spec;
        spec.backend = QStringLiteral("etcd");
        spec.origin = QStringLiteral("connections.yaml:3:5");
        spec.options = tls;
        spec.options.insert(QStringLiteral("endpoints"), QStringList{QStringLiteral("https://127.0.0.1:2379")});
        auto opened = openProvider(spec);
        QVERIFY(!opened.ok());
        QCOMPARE(opened.error().kind, ErrorKind::Invalid);
        QVERIFY2(opened.error().message.contains(named), qPrintable(opened.error().message));
        QCOMPARE(opened.error().where, spec.origin);
    }

    // A batch bigger than max-txn-ops goes as several txns of at most that
    // many puts (items of one txn share its revision), a repeated key starts
    // a new txn, and a conflicting item fails alone.
    void testBatchSplitsIntoTxns()
    {
        StoreSpec spec;
        spec.backend = QStringLiteral("etcd");
        spec.options.insert(QStringLiteral("endpoints"), m_server->endpoint());
        spec.options.insert(QStringLiteral("root"), m_root);
        spec.options.insert(QStringLiteral("max-txn-ops"), QStringLiteral("3"));
        auto opened = openProvider(spec);
        QVERIFY2(opened.ok(), qPrintable(opened.error().toString()));
        Provider *p = opened.value().get();
        QCOMPARE(p->maxBatchSize(), 3);
        auto old = await(p->put(jsonEntry(QStringLiteral("c"), Json{{"v", 0}}), {}));
        QVERIFY(old.ok());
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("c"), Json{{"v", 1}}), {})).ok());

        QList<BatchItem> items;
        for (const char *k : {"a", "b", "d", "e", "f", "g", "h"})
            items << BatchItem{jsonEntry(QString::fromLatin1(k), Json{{"v", k}}), {}};
        items.insert(1, BatchItem{jsonEntry(QStringLiteral("c"), Json{{"v", 2}}), Precondition::atRevision(old->revision)});
        items << BatchItem{jsonEntry(QStringLiteral("a"), Json{{"v", "again"}}), {}};
        const BatchResult batch = await(p->putBatch(items));
        QCOMPARE(batch.results.size(), items.size());
        QCOMPARE(batch.failed(), 1);
        QCOMPARE(batch.results[1].error().kind, ErrorKind::Conflict);
        QCOMPARE(batch.results[1].error().where, QStringLiteral("c"));
        // Txns: [a c b] (fails on c; a b go again together), [d e f], [g h a]
        // (the second a is not in a txn with the first, and txns of a batch
        // with a repeated key run one after another).
        QMap<QString, int> perRevision;
        for (const Result<Entry> &r : batch.results)
            if (r.ok())
                ++perRevision[r->revision];
        QCOMPARE(perRevision.size(), 3);
        for (int n : perRevision)
            QVERIFY(n <= 3);
        auto a = await(p->get(QStringLiteral("a")));
        QVERIFY(a.ok());
        SD_COMPARE_JSON(a->value, (Json{{"v", "again"}}));
        QCOMPARE(a->revision, batch.results.last()->revision);
        SD_COMPARE_JSON(await(p->get(QStringLiteral("c")))->value, (Json{{"v", 1}}));

        spec.options.insert(QStringLiteral("max-txn-ops"), QStringLiteral("0"));
        auto bad = openProvider(spec);
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().kind, ErrorKind::Invalid);
        QVERIFY2(bad.error().message.contains(QLatin1String("max-txn-ops")), qPrintable(bad.error().toString()));
    }

    // A server with lower limits than the provider assumes: txns etcd
    // refuses as too large or too many operations are halved until they
    // pass, and every item is written.
    void testBatchAgainstLowerServerLimits()
    {
        EtcdMember small(QStringLiteral("small"));
        small.setExtraArguments({QStringLiteral("--max-txn-ops"), QStringLiteral("4"),
                                 QStringLiteral("--max-request-bytes"), QStringLiteral("65536")});
        QVERIFY2(small.start(), qPrintable(small.process().log()));
        auto p = provider({small.endpoint()}, m_root);
        QCOMPARE(p->maxBatchSize(), 128);
        QList<BatchItem> items;
        for (int i = 0; i < 20; ++i)
            items << BatchItem{jsonEntry(QStringLiteral("s%1").arg(i), Json{{"i", i}}), {}};
        for (int i = 0; i < 3; ++i) // 40 KB each: two do not fit one request
            items << BatchItem{jsonEntry(QStringLiteral("big%1").arg(i), Json{{"b", std::string(40000, 'x')}}), {}};
        const BatchResult batch = await(p->putBatch(items));
        QCOMPARE(batch.results.size(), items.size());
        for (const Result<Entry> &r : batch.results)
            QVERIFY2(r.ok(), qPrintable(r.error().toString()));
        QMap<QString, int> perRevision;
        for (const Result<Entry> &r : batch.results)
            ++perRevision[r->revision];
        for (int n : perRevision)
            QVERIFY(n <= 4);
        ListOptions options;
        options.limit = 100;
        auto page = await(p->list(options));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), items.size());

        // Past etcd's own limit ("request is too large"), and past its gRPC
        // server's, 512 KiB above it (RESOURCE_EXHAUSTED, "larger than
        // max"): both are TooLarge, naming the key.
        for (const int bytes : {100000, 700000}) {
            auto big = await(p->put(jsonEntry(QStringLiteral("huge"), Json{{"b", std::string(size_t(bytes), 'x')}}), {}));
            QVERIFY(!big.ok());
            QVERIFY2(big.error().kind == ErrorKind::TooLarge, qPrintable(big.error().toString()));
            QCOMPARE(big.error().where, QStringLiteral("huge"));
            QVERIFY2(big.error().message.contains(QLatin1String("--max-request-bytes")), qPrintable(big.error().toString()));
        }
    }

    void testAllEndpointsDown()
    {
        auto p = provider({deadEndpoint(), deadEndpoint()}, m_root);
        auto got = await(p->get(QStringLiteral("k")));
        QVERIFY(!got.ok());
        QCOMPARE(got.error().kind, ErrorKind::Unavailable);
        QVERIFY2(got.error().message.contains(QLatin1String("no etcd endpoint answered")),
                 qPrintable(got.error().message));
        auto listed = await(p->list({}));
        QVERIFY(!listed.ok());
        QCOMPARE(listed.error().kind, ErrorKind::Unavailable);
        // A write no endpoint took was never sent: a plain refusal, not a
        // write whose fate is unknown.
        auto put = await(p->put(jsonEntry(QStringLiteral("k"), Json{{"v", 1}}), {}));
        QVERIFY(!put.ok());
        QCOMPARE(put.error().kind, ErrorKind::Unavailable);
        QVERIFY2(put.error().message.contains(QLatin1String("no etcd endpoint answered")),
                 qPrintable(put.error().message));
        QCOMPARE(put.error().reason, QString());
    }

    // Built in code with no endpoint: reads refuse with a clear error
    // rather than reaching for an endpoint that is not there.
    void testNoEndpoints()
    {
        auto p = provider({}, m_root);
        auto listed = await(p->list({}));
        QVERIFY(!listed.ok());
        QCOMPARE(listed.error().kind, ErrorKind::Invalid);
        QVERIFY2(listed.error().message.contains(QLatin1String("endpoint")), qPrintable(listed.error().message));
        auto got = await(p->get(QStringLiteral("k")));
        QVERIFY(!got.ok());
        QCOMPARE(got.error().kind, ErrorKind::Invalid);
    }

    void testAuth()
    {
        EtcdMember server(QStringLiteral("auth"));
        QVERIFY(server.start());
        QVERIFY(server.etcdctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("root"),
                                QStringLiteral("--new-user-password=s3cret-pw")}));
        QVERIFY(server.etcdctl({QStringLiteral("auth"), QStringLiteral("enable")}));
        const QStringList rootAuth{QStringLiteral("--user=root:s3cret-pw")};

        auto good = provider({server.endpoint()}, m_root, QStringLiteral("root"), QStringLiteral("s3cret-pw"));
        QVERIFY(!good->describe().contains(QLatin1String("s3cret-pw")));
        auto put = await(good->put(jsonEntry(QStringLiteral("k"), Json{{"v", 1}}), {}));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));

        auto wrong = provider({server.endpoint()}, m_root, QStringLiteral("root"), QStringLiteral("nope"));
        auto denied = await(wrong->get(QStringLiteral("k")));
        QVERIFY(!denied.ok());
        QCOMPARE(denied.error().kind, ErrorKind::Unauthorized);
        QVERIFY(!denied.error().message.contains(QLatin1String("nope")));
        auto deniedList = await(wrong->list({}));
        QVERIFY(!deniedList.ok());
        QCOMPARE(deniedList.error().kind, ErrorKind::Unauthorized);

        auto anonymous = provider({server.endpoint()}, m_root);
        auto anon = await(anonymous->get(QStringLiteral("k")));
        QVERIFY(!anon.ok());
        QCOMPARE(anon.error().kind, ErrorKind::Unauthorized);
        auto anonList = await(anonymous->list({}));
        QVERIFY(!anonList.ok());
        QCOMPARE(anonList.error().kind, ErrorKind::Unauthorized);

        // Turning auth off and on drops every simple token: the provider's
        // next call is refused, and it fetches a new token by itself.
        QVERIFY(server.etcdctl({QStringLiteral("auth"), QStringLiteral("disable")}, nullptr, rootAuth));
        QVERIFY(server.etcdctl({QStringLiteral("auth"), QStringLiteral("enable")}));
        auto again = await(good->get(QStringLiteral("k")));
        QVERIFY2(again.ok(), qPrintable(again.error().toString()));
        SD_COMPARE_JSON(again->value, (Json{{"v", 1}}));
        QVERIFY(server.etcdctl({QStringLiteral("auth"), QStringLiteral("disable")}, nullptr, rootAuth));
        QVERIFY(server.etcdctl({QStringLiteral("auth"), QStringLiteral("enable")}));
        auto listedAgain = await(good->list({}));
        QVERIFY2(listedAgain.ok(), qPrintable(listedAgain.error().toString()));
        QCOMPARE(listedAgain->entries.size(), 1);

        // A watch authenticates too.
        auto w = good->watch(QStringLiteral("w"), QString());
        EventLog log(w.get());
        QSignalSpy ready(w.get(), &Watch::ready);
        QVERIFY(ready.wait(10000));
        QVERIFY(await(good->put(jsonEntry(QStringLiteral("w1"), Json{{"v", 1}}), {})).ok());
        QTRY_COMPARE_WITH_TIMEOUT(log.events.size(), 1, 10000);
        server.stop();
    }

    void testWatchResumesAfterRestart()
    {
        EtcdMember server(QStringLiteral("restart"));
        QVERIFY(server.start());
        auto p = provider({server.endpoint()}, m_root);
        auto w = p->watch(QStringLiteral("job/"), QString());
        EventLog log(w.get());
        QSignalSpy ready(w.get(), &Watch::ready);
        QVERIFY(ready.wait(10000));
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("job/a"), Json{{"v", 1}}), {})).ok());
        QTRY_COMPARE_WITH_TIMEOUT(log.events.size(), 1, 10000);

        server.stop();
        QVERIFY2(server.start(), qPrintable(server.process().log()));
        // Writes after the restart reach the same watch, in order.
        auto writer = provider({server.endpoint()}, m_root);
        const Result<Entry> put = retryUntilOk<Entry>(
            [&] { return writer->put(jsonEntry(QStringLiteral("job/a"), Json{{"v", 2}}), {}); }, 50, 15000);
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        QVERIFY(await(writer->put(jsonEntry(QStringLiteral("job/b"), Json{{"v", 1}}), {})).ok());
        QTRY_COMPARE_WITH_TIMEOUT(log.events.size(), 3, 15000);
        QCOMPARE(log.events[1].type, Event::Type::Modified);
        SD_COMPARE_JSON(log.events[1].entry.value, (Json{{"v", 2}}));
        QCOMPARE(log.events[2].type, Event::Type::Added);
        QCOMPARE(log.events[2].entry.key, QStringLiteral("job/b"));
        w.reset();
        server.stop();
    }

    // A watch on a quiet prefix follows etcd's progress notifications, so
    // after other keys' revisions are compacted and the member restarts it
    // resumes from a revision etcd still has: no Resync, no missed event.
    void testProgressNotificationsKeepQuietWatchResumable()
    {
        EtcdMember server(QStringLiteral("progress"));
        server.setExtraArguments({QStringLiteral("--experimental-watch-progress-notify-interval=300ms")});
        QVERIFY(server.start());
        auto p = provider({server.endpoint()}, m_root);
        auto w = p->watch(QStringLiteral("quiet/"), QString());
        EventLog log(w.get());
        QSignalSpy ready(w.get(), &Watch::ready);
        QVERIFY(ready.wait(10000));
        Result<Entry> busy = Error(ErrorKind::Internal, QString());
        for (int i = 0; i < 5; ++i) {
            busy = await(p->put(jsonEntry(QStringLiteral("busy/x"), Json(i)), {}));
            QVERIFY2(busy.ok(), qPrintable(busy.error().toString()));
        }
        // Wait for a notification that covers the last busy write.
        QSignalSpy progress(w.get(), &Watch::progress);
        const qint64 lastBusy = busy->revision.toLongLong();
        QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().at(0).toString().toLongLong() >= lastBusy,
                                 15000);
        QVERIFY(server.etcdctl({QStringLiteral("compact"), busy->revision}));
        server.stop();
        QVERIFY2(server.start(), qPrintable(server.process().log()));
        auto writer = provider({server.endpoint()}, m_root);
        const Result<Entry> put = retryUntilOk<Entry>(
            [&] { return writer->put(jsonEntry(QStringLiteral("quiet/a"), Json{{"v", 1}}), {}); }, 50, 15000);
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        QTRY_VERIFY_WITH_TIMEOUT(!log.events.isEmpty(), 15000);
        QCOMPARE(log.events.first().type, Event::Type::Added);
        QCOMPARE(log.events.first().entry.key, QStringLiteral("quiet/a"));
        w.reset();
        server.stop();
    }

    void testResyncAfterCompaction()
    {
        auto p = provider({m_server->endpoint()}, m_root);
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("c/k"), Json{{"v", 1}}), {})).ok());
        auto page = await(p->list({}));
        QVERIFY(page.ok());
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("c/k"), Json{{"v", 2}}), {})).ok());
        auto last = await(p->put(jsonEntry(QStringLiteral("c/k"), Json{{"v", 3}}), {}));
        QVERIFY(last.ok());
        QVERIFY(m_server->etcdctl({QStringLiteral("compact"), last->revision}));

        auto w = p->watch(QStringLiteral("c/"), page->revision);
        EventLog log(w.get());
        QTRY_VERIFY_WITH_TIMEOUT(log.events.size() >= 3, 10000);
        QCOMPARE(log.events[0].type, Event::Type::Resync);
        QCOMPARE(log.events[1].type, Event::Type::Added);
        QCOMPARE(log.events[1].entry.key, QStringLiteral("c/k"));
        SD_COMPARE_JSON(log.events[1].entry.value, (Json{{"v", 3}}));
        QCOMPARE(log.events[2].type, Event::Type::ResyncDone);
        // Live changes follow the resync.
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("c/k"), Json{{"v", 4}}), {})).ok());
        QTRY_COMPARE_WITH_TIMEOUT(log.events.size(), 4, 10000);
        QCOMPARE(log.events[3].type, Event::Type::Modified);
        SD_COMPARE_JSON(log.events[3].entry.value, (Json{{"v", 4}}));
    }

    void testLockHolderDies()
    {
        auto holder = provider({m_server->endpoint()}, m_root);
        auto first = await(holder->lock(QStringLiteral("job"), std::chrono::seconds(2)));
        QVERIFY2(first.ok(), qPrintable(first.error().toString()));
        holder.reset(); // dies without unlocking

        auto next = provider({m_server->endpoint()}, m_root);
        auto busy = await(next->lock(QStringLiteral("job"), std::chrono::seconds(30)));
        QVERIFY(!busy.ok());
        QCOMPARE(busy.error().kind, ErrorKind::Busy);
        QVERIFY2(busy.error().message.contains(first->owner), qPrintable(busy.error().toString()));

        // The lease runs out within its TTL (plus etcd's expiry check).
        const Result<Lock> second = retryUntilOk<Lock>(
            [&] { return next->lock(QStringLiteral("job"), std::chrono::seconds(30)); }, 500, 15000);
        QVERIFY2(second.ok(), qPrintable(second.error().toString()));
        QVERIFY2(second->fencingToken > first->fencingToken,
                 qPrintable(QStringLiteral("%1 !> %2").arg(second->fencingToken).arg(first->fencingToken)));
        QVERIFY(await(next->unlock(second.value())).ok());
    }

    // Label "ttl" puts a key on a lease; a read shows the lease and the time
    // left; writing the read entry back keeps it on that lease; when the
    // lease runs out the key is gone.
    void testTtlThroughLeases()
    {
        auto p = provider({m_server->endpoint()}, m_root);
        Entry e = jsonEntry(QStringLiteral("session"), Json{{"user", "ana"}});
        e.labels.insert(QStringLiteral("ttl"), QStringLiteral("3000"));
        auto put = await(p->put(e, {}));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        auto got = await(p->get(QStringLiteral("session")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        QVERIFY(got->labels.contains(QStringLiteral("lease")));
        const qint64 left = got->labels.value(QStringLiteral("ttl")).toLongLong();
        QVERIFY2(left > 0 && left <= 3000, qPrintable(got->labels.value(QStringLiteral("ttl"))));

        Entry edited = got.value();
        edited.labels.remove(QStringLiteral("ttl"));
        edited.value = Json{{"user", "bo"}};
        auto rewritten = await(p->put(edited, Precondition::atRevision(got->revision)));
        QVERIFY2(rewritten.ok(), qPrintable(rewritten.error().toString()));
        auto again = await(p->get(QStringLiteral("session")));
        QVERIFY(again.ok());
        QCOMPARE(again->labels.value(QStringLiteral("lease")), got->labels.value(QStringLiteral("lease")));

        QDeadlineTimer deadline(20000);
        Result<Entry> last = again;
        while (last.ok() && !deadline.hasExpired()) {
            QTest::qWait(250);
            last = await(p->get(QStringLiteral("session")));
        }
        QVERIFY(!last.ok());
        QCOMPARE(last.error().kind, ErrorKind::NotFound);
    }

    void testBadTtlLabel_data()
    {
        QTest::addColumn<QString>("ttl");
        QTest::newRow("negative") << QStringLiteral("-5");
        QTest::newRow("words") << QStringLiteral("soon");
    }

    void testBadTtlLabel()
    {
        QFETCH(QString, ttl);
        auto p = provider({m_server->endpoint()}, m_root);
        Entry e = jsonEntry(QStringLiteral("bad-ttl"), Json(1));
        e.labels.insert(QStringLiteral("ttl"), ttl);
        auto put = await(p->put(e, {}));
        QVERIFY(!put.ok());
        QCOMPARE(put.error().kind, ErrorKind::Invalid);
        QVERIFY2(put.error().message.contains(QLatin1String("milliseconds")), qPrintable(put.error().toString()));
        QCOMPARE(await(p->get(QStringLiteral("bad-ttl"))).error().kind, ErrorKind::NotFound);
    }

    // ttl=0 takes a key off its lease, as it removes a Redis key's TTL
    // (PERSIST): the key outlives the lease, even with the read entry's
    // "lease" label written back.
    void testTtlZeroDetachesFromLease()
    {
        auto p = provider({m_server->endpoint()}, m_root);
        Entry e = jsonEntry(QStringLiteral("kept"), Json{{"v", 1}});
        e.labels.insert(QStringLiteral("ttl"), QStringLiteral("2000"));
        QVERIFY(await(p->put(e, {})).ok());
        auto got = await(p->get(QStringLiteral("kept")));
        QVERIFY(got.ok());
        QVERIFY(got->labels.contains(QStringLiteral("lease")));

        Entry persisted = got.value();
        persisted.value = Json{{"v", 2}};
        persisted.labels.insert(QStringLiteral("ttl"), QStringLiteral("0"));
        auto put = await(p->put(persisted, Precondition::atRevision(got->revision)));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        QVERIFY(!put->labels.contains(QStringLiteral("ttl")));
        QVERIFY(!put->labels.contains(QStringLiteral("lease")));
        auto after = await(p->get(QStringLiteral("kept")));
        QVERIFY(after.ok());
        QVERIFY(!after->labels.contains(QStringLiteral("lease")));
        QVERIFY(!after->labels.contains(QStringLiteral("ttl")));
        // Past the old lease's end the key is still there.
        QTest::qWait(4000);
        auto later = await(p->get(QStringLiteral("kept")));
        QVERIFY2(later.ok(), qPrintable(later.error().toString()));
        SD_COMPARE_JSON(later->value, (Json{{"v", 2}}));
    }

    void testHistory()
    {
        auto p = provider({m_server->endpoint()}, m_root);
        QList<QString> revisions;
        for (int v = 1; v <= 4; ++v) {
            auto put = await(p->put(jsonEntry(QStringLiteral("h"), Json{{"v", v}}), {}));
            QVERIFY(put.ok());
            revisions << put->revision;
            // Another key's writes in between do not show up.
            QVERIFY(await(p->put(jsonEntry(QStringLiteral("other"), Json{{"v", v}}), {})).ok());
        }
        auto all = await(p->history(QStringLiteral("h"), 10));
        QVERIFY2(all.ok(), qPrintable(all.error().toString()));
        QCOMPARE(all->size(), 4);
        for (int i = 0; i < 4; ++i) {
            SD_COMPARE_JSON(all->at(i).value, (Json{{"v", 4 - i}}));
            QCOMPARE(all->at(i).revision, revisions[3 - i]);
        }
        auto two = await(p->history(QStringLiteral("h"), 2));
        QVERIFY(two.ok());
        QCOMPARE(two->size(), 2);

        // Compaction ends the history etcd can give.
        QVERIFY(m_server->etcdctl({QStringLiteral("compact"), revisions[2]}));
        auto kept = await(p->history(QStringLiteral("h"), 10));
        QVERIFY2(kept.ok(), qPrintable(kept.error().toString()));
        QCOMPARE(kept->size(), 2);
        SD_COMPARE_JSON(kept->at(1).value, (Json{{"v", 3}}));

        auto missing = await(p->history(QStringLiteral("nope"), 10));
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().kind, ErrorKind::NotFound);
    }

    // A write whose answer is lost after etcd carried it out: a proxy in
    // front of etcd forwards the txn and then, instead of the answer, either
    // refuses connections from then on (a member dying right after applying
    // it: the provider fails over) or resets the connection and stays up.
    // The txn goes over gRPC (HTTP/2): the proxy cuts the answer on its
    // stream, so gRPC's status is all the provider learns. Sending the
    // write again made a guarded write report Conflict against itself and
    // applied an unguarded one twice. Now it is read back and reported as
    // written, and etcd applied it once (the key's version counts writes).
    void testLostAnswerToAppliedWrite_data()
    {
        QTest::addColumn<QString>("write");
        QTest::addColumn<bool>("goDown");
        for (const char *write : {"revision", "absent", "none", "remove", "batch", "lock", "unlock"}) {
            QTest::addRow("%s, endpoint dies", write) << QString::fromLatin1(write) << true;
            QTest::addRow("%s, connection reset", write) << QString::fromLatin1(write) << false;
        }
    }
    void testLostAnswerToAppliedWrite()
    {
        QFETCH(QString, write);
        QFETCH(bool, goDown);
        TcpProxy proxy(m_server->port());
        QVERIFY(proxy.listen());
        auto p = provider({proxy.url(), m_server->endpoint()}, m_root);
        auto direct = provider({m_server->endpoint()}, m_root);
        const QString k = QStringLiteral("lost"), k2 = QStringLiteral("lost2");
        auto version = [&](const QString &key) {
            auto got = await(direct->get(key));
            return got.ok() ? got->labels.value(QStringLiteral("version")) : got.error().toString();
        };
        QString before;
        if (write != QLatin1String("absent") && !write.contains(QLatin1String("lock"))) {
            auto first = await(direct->put(jsonEntry(k, Json{{"v", 1}}), {}));
            QVERIFY(first.ok());
            before = first->revision;
        }
        Lock held;
        if (write == QLatin1String("unlock")) {
            auto l = await(p->lock(QStringLiteral("lost-lock"), std::chrono::seconds(30)));
            QVERIFY2(l.ok(), qPrintable(l.error().toString()));
            held = l.value();
        }
        // Writes go over gRPC: the txn is the first request naming a "lost"
        // key (lost, lost2, the lock's lost-lock) after this.
        proxy.cutAnswerTo("lost", goDown);

        if (write == QLatin1String("revision") || write == QLatin1String("none")) {
            const Precondition pre = write == QLatin1String("none") ? Precondition() : Precondition::atRevision(before);
            auto put = await(p->put(jsonEntry(k, Json{{"v", 2}}), pre));
            QVERIFY2(put.ok(), qPrintable(put.error().toString()));
            auto got = await(direct->get(k));
            QVERIFY(got.ok());
            SD_COMPARE_JSON(got->value, (Json{{"v", 2}}));
            QCOMPARE(got->revision, put->revision);
            QCOMPARE(version(k), QStringLiteral("2"));
        } else if (write == QLatin1String("absent")) {
            auto put = await(p->put(jsonEntry(k, Json{{"v", 2}}), Precondition::mustNotExist()));
            QVERIFY2(put.ok(), qPrintable(put.error().toString()));
            QCOMPARE(version(k), QStringLiteral("1"));
        } else if (write == QLatin1String("remove")) {
            const Status removed = await(p->remove(k, Precondition::atRevision(before)));
            QVERIFY2(removed.ok(), qPrintable(removed.error().toString()));
            QCOMPARE(await(direct->get(k)).error().kind, ErrorKind::NotFound);
        } else if (write == QLatin1String("batch")) {
            const BatchResult batch = await(p->putBatch({{jsonEntry(k, Json{{"v", 2}}), Precondition::atRevision(before)},
                                                         {jsonEntry(k2, Json{{"v", 2}}), Precondition::mustNotExist()}}));
            QCOMPARE(batch.results.size(), 2);
            for (const Result<Entry> &r : batch.results)
                QVERIFY2(r.ok(), qPrintable(r.error().toString()));
            QCOMPARE(version(k), QStringLiteral("2"));
            QCOMPARE(version(k2), QStringLiteral("1"));
            QCOMPARE(batch.results[0]->revision, await(direct->get(k))->revision);
        } else if (write == QLatin1String("lock")) {
            auto l = await(p->lock(QStringLiteral("lost-lock"), std::chrono::seconds(30)));
            QVERIFY2(l.ok(), qPrintable(l.error().toString()));
            // It is really held, by this lock, whose token is the right one.
            QCOMPARE(await(direct->lock(QStringLiteral("lost-lock"), std::chrono::seconds(30))).error().kind,
                     ErrorKind::Busy);
            QVERIFY(await(direct->unlock(l.value())).ok());
        } else if (write == QLatin1String("unlock")) {
            const Status released = await(p->unlock(held));
            QVERIFY2(released.ok(), qPrintable(released.error().toString()));
            auto next = await(direct->lock(QStringLiteral("lost-lock"), std::chrono::seconds(30)));
            QVERIFY2(next.ok(), qPrintable(next.error().toString()));
            QVERIFY(next->fencingToken > held.fencingToken);
            QVERIFY(await(direct->unlock(next.value())).ok());
        }
        QCOMPARE(proxy.answersCut(), 1);
    }

    // When the key read back does not hold what the write would have left
    // (someone changed it right after), the provider cannot tell whether the
    // write took effect, and says so instead of guessing.
    void testLostAnswerThenChangedByOthers()
    {
        TcpProxy proxy(m_server->port());
        QVERIFY(proxy.listen());
        auto p = provider({proxy.url(), m_server->endpoint()}, m_root);
        auto first = await(p->put(jsonEntry(QStringLiteral("contested"), Json{{"v", 1}}), {}));
        QVERIFY(first.ok());
        proxy.cutAnswerTo("contested", false, [this] {
            QVERIFY(m_server->etcdctl({QStringLiteral("put"), m_root + QStringLiteral("/contested"),
                                       QStringLiteral("{\"v\":\"theirs\"}")}));
        });
        auto put = await(p->put(jsonEntry(QStringLiteral("contested"), Json{{"v", 2}}),
                                Precondition::atRevision(first->revision)));
        QVERIFY(!put.ok());
        QCOMPARE(put.error().kind, ErrorKind::Unavailable);
        QCOMPARE(put.error().reason, QStringLiteral("OutcomeUnknown"));
        QCOMPARE(put.error().where, QStringLiteral("contested"));
        QVERIFY2(put.error().message.contains(QLatin1String("may or may not")), qPrintable(put.error().toString()));
        QVERIFY2(put.error().message.contains(proxy.url()), qPrintable(put.error().toString()));
        QCOMPARE(proxy.answersCut(), 1);
    }

    // statedeckctl history over etcd: the values newest first, json and
    // table, and --limit.
    void testHistoryFromTheCommandLine()
    {
        const QString ctl = builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY2(!ctl.isEmpty(), "statedeckctl was not built");
        auto p = provider({m_server->endpoint()}, m_root);
        QStringList revisions;
        for (int v = 1; v <= 3; ++v) {
            auto put = await(p->put(jsonEntry(QStringLiteral("cli/h"), Json{{"v", v}}), {}));
            QVERIFY(put.ok());
            revisions.prepend(put->revision);
        }
        const QString url = QStringLiteral("etcd://127.0.0.1:%1?root=%2").arg(m_server->port()).arg(m_root);
        auto run = [&](const QStringList &args, QByteArray *out) {
            QProcess proc;
            proc.start(ctl, QStringList{QStringLiteral("--store"), url} + args);
            if (!proc.waitForFinished(30000)) {
                proc.kill();
                proc.waitForFinished();
                return -1;
            }
            *out = proc.readAllStandardOutput();
            return proc.exitStatus() == QProcess::NormalExit ? proc.exitCode() : -2;
        };
        QByteArray out;
        QCOMPARE(run({QStringLiteral("history"), QStringLiteral("cli/h"), QStringLiteral("-o"), QStringLiteral("json")},
                     &out),
                 0);
        const Json list = Json::parse(out.constData(), nullptr, false);
        QVERIFY2(list.is_array() && list.size() == 3, out.constData());
        for (int i = 0; i < 3; ++i) {
            SD_COMPARE_JSON(list[i]["value"], (Json{{"v", 3 - i}}));
            QCOMPARE(QString::fromStdString(list[i]["revision"].get<std::string>()), revisions[i]);
        }
        QCOMPARE(run({QStringLiteral("history"), QStringLiteral("cli/h"), QStringLiteral("--limit"), QStringLiteral("2"),
                      QStringLiteral("-o"), QStringLiteral("table")},
                     &out),
                 0);
        const QList<QByteArray> lines = out.trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QVERIFY2(lines[0].startsWith("REVISION"), out.constData());
        QVERIFY2(lines[1].startsWith(revisions[0].toUtf8()) && lines[1].contains("{\"v\":3}"), out.constData());
        QCOMPARE(run({QStringLiteral("history"), QStringLiteral("cli/none")}, &out), 3);
    }

    // The fault test: three members on loopback; the member the
    // client uses is killed during a stream of writes. Every acknowledged
    // write is still readable afterwards and the client carries on against
    // the other two.
    void testClusterLosesMemberInUse()
    {
        std::vector<std::unique_ptr<EtcdMember>> members;
        QStringList cluster, endpoints;
        for (int i = 0; i < 3; ++i) {
            members.push_back(std::make_unique<EtcdMember>(QStringLiteral("m%1").arg(i)));
            cluster << members.back()->name() + QLatin1Char('=') + members.back()->peerUrl();
            endpoints << members.back()->endpoint();
        }
        for (auto &m : members)
            QVERIFY2(m->start(cluster.join(QLatin1Char(','))), qPrintable(m->process().log()));
        auto p = provider(endpoints, m_root);
        // Wait for the cluster to elect a leader and take writes.
        const Result<Entry> first = retryUntilOk<Entry>(
            [&] { return p->put(jsonEntry(QStringLiteral("ready"), Json{{"v", 1}}), {}); }, 100, 20000);
        QVERIFY2(first.ok(), qPrintable(first.error().toString()));

        // A watch that lives through the kill, whichever member it streams from.
        auto watcher = provider(endpoints, m_root);
        auto w = watcher->watch(QStringLiteral("w/"), QString());
        EventLog log(w.get());
        QSignalSpy ready(w.get(), &Watch::ready);
        QVERIFY(ready.wait(15000));

        constexpr int kWrites = 60, kKillAt = 20;
        QList<int> acknowledged;
        int failedWrites = 0;
        QElapsedTimer budget;
        budget.start();
        QString killedEndpoint;
        for (int i = 0; i < kWrites && budget.elapsed() < 45000; ++i) {
            // Guarded writes: one sent again after etcd applied it would
            // answer Conflict against itself.
            auto pending = p->put(jsonEntry(QStringLiteral("w/%1").arg(i), Json{{"i", i}}), Precondition::mustNotExist());
            if (i == kKillAt) {
                // Killed while this write is in flight to it.
                killedEndpoint = p->currentEndpoint();
                for (auto &m : members)
                    if (m->endpoint() == killedEndpoint)
                        m->kill();
            }
            auto r = await(pending, 15000);
            if (r.ok()) {
                acknowledged << i;
            } else {
                // A lost answer is Unavailable, never a Conflict with itself.
                QVERIFY2(r.error().kind == ErrorKind::Unavailable, qPrintable(r.error().toString()));
                ++failedWrites;
            }
        }
        QVERIFY(!killedEndpoint.isEmpty());
        QVERIFY(p->currentEndpoint() != killedEndpoint);
        qInfo("%d writes acknowledged, %d failed, in %lld ms", int(acknowledged.size()), failedWrites,
              budget.elapsed());
        QVERIFY2(failedWrites <= 10, qPrintable(QStringLiteral("%1 writes failed").arg(failedWrites)));
        // The client carried on: most writes after the kill were acknowledged.
        const auto afterKill = std::count_if(acknowledged.begin(), acknowledged.end(), [](int i) { return i >= kKillAt; });
        QVERIFY2(afterKill >= kWrites - kKillAt - 10, qPrintable(QString::number(afterKill)));

        // Every acknowledged write is there, read by a fresh client.
        auto reader = provider(endpoints, m_root);
        for (int i : acknowledged) {
            auto got = await(reader->get(QStringLiteral("w/%1").arg(i)));
            QVERIFY2(got.ok(), qPrintable(QStringLiteral("write %1: ").arg(i) + got.error().toString()));
            SD_COMPARE_JSON(got->value, (Json{{"i", i}}));
            // Written once: no write was applied twice.
            QCOMPARE(got->labels.value(QStringLiteral("version")), QStringLiteral("1"));
        }
        // The watch reconnected and saw every acknowledged write.
        auto seenAll = [&] {
            QSet<QString> seen;
            for (const Event &e : log.events)
                seen.insert(e.entry.key);
            for (int i : acknowledged)
                if (!seen.contains(QStringLiteral("w/%1").arg(i)))
                    return false;
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(seenAll(), 20000);
        w.reset();
        for (auto &m : members)
            m->stop();
    }

    // TLS with client certificates, on loopback with a throw-away CA: the
    // provider's cert/key/cacert reach gRPC and QtNetwork alike, and a client without a
    // certificate is turned away.
    void testTlsClientCertificate()
    {
        QTemporaryDir pki;
        QVERIFY(pki.isValid());
        auto openssl = [&](const QStringList &args) {
            QProcess p;
            p.setWorkingDirectory(pki.path());
            p.setProcessChannelMode(QProcess::MergedChannels);
            p.start(QStringLiteral("openssl"), args);
            const bool ok = p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
            if (!ok)
                qWarning("openssl %s: %s", qPrintable(args.join(QLatin1Char(' '))), p.readAll().constData());
            return ok;
        };
        auto write = [&](const QString &name, const QByteArray &text) {
            QFile f(pki.filePath(name));
            return f.open(QIODevice::WriteOnly) && f.write(text) == text.size();
        };
        QVERIFY(write(QStringLiteral("server.ext"),
                      "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n"));
        QVERIFY(write(QStringLiteral("client.ext"), "extendedKeyUsage=clientAuth\n"));
        QVERIFY(openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
                         "-days", "1", "-subj", "/CN=statedeck-test-ca"}));
        for (const QString name : {QStringLiteral("server"), QStringLiteral("client")}) {
            QVERIFY(openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + "-key.pem", "-out",
                             name + ".csr", "-subj", name == QLatin1String("server") ? "/CN=127.0.0.1" : "/CN=root"}));
            QVERIFY(openssl({"x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                             "-CAcreateserial", "-out", name + ".pem", "-days", "1", "-extfile", name + ".ext"}));
        }
        EtcdMember server(QStringLiteral("tls"));
        server.setTls(pki.filePath(QStringLiteral("server.pem")), pki.filePath(QStringLiteral("server-key.pem")),
                      pki.filePath(QStringLiteral("ca.pem")));
        QVERIFY2(server.start(), qPrintable(server.process().log()));

        EtcdOptions o;
        o.endpoints = {server.endpoint()};
        o.root = m_root;
        o.caFile = pki.filePath(QStringLiteral("ca.pem"));
        o.certFile = pki.filePath(QStringLiteral("client.pem"));
        o.keyFile = pki.filePath(QStringLiteral("client-key.pem"));
        EtcdProvider withCert(o);
        const Result<Entry> put = retryUntilOk<Entry>(
            [&] { return withCert.put(jsonEntry(QStringLiteral("k"), Json{{"v", 1}}), {}); }, 20, 15000);
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        auto got = await(withCert.get(QStringLiteral("k")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        SD_COMPARE_JSON(got->value, (Json{{"v", 1}}));

        o.certFile.clear();
        o.keyFile.clear();
        EtcdProvider withoutCert(o);
        auto listed = await(withCert.list({}));
        QVERIFY2(listed.ok(), qPrintable(listed.error().toString()));
        QCOMPARE(listed->entries.size(), 1);

        auto refused = await(withoutCert.get(QStringLiteral("k")));
        QVERIFY(!refused.ok());
        QVERIFY(!await(withoutCert.list({})).ok());
        server.stop();
    }

    // Contention: 16 processes incrementing one key with read-modify-CAS
    // (tests/helpers/sd-incrementer, which uses the provider directly, not
    // StateStore.update): the final count has every increment.
    void testSixteenProcessesLoseNoUpdate()
    {
        const QString program = builtProgram(QStringLiteral("sd-incrementer"));
        QVERIFY2(!program.isEmpty(), "sd-incrementer was not built");
        constexpr int kProcesses = 16, kEach = 10;
        std::vector<std::unique_ptr<QProcess>> procs;
        for (int i = 0; i < kProcesses; ++i) {
            auto proc = std::make_unique<QProcess>();
            proc->setProcessChannelMode(QProcess::ForwardedErrorChannel);
            proc->start(program, {QStringLiteral("etcd"), QStringLiteral("counter"), QString::number(kEach),
                                  QStringLiteral("endpoints=") + m_server->endpoint(), QStringLiteral("root=") + m_root});
            procs.push_back(std::move(proc));
        }
        for (auto &proc : procs) {
            QVERIFY(proc->waitForFinished(80000));
            QCOMPARE(proc->exitStatus(), QProcess::NormalExit);
            QCOMPARE(proc->exitCode(), 0);
        }
        auto p = provider({m_server->endpoint()}, m_root);
        auto final = await(p->get(QStringLiteral("counter")));
        QVERIFY2(final.ok(), qPrintable(final.error().toString()));
        QCOMPARE(final->value.value("n", 0), kProcesses * kEach);
    }

    // issue 4's contention test proper: 16 processes updating one key through
    // StateStore::update (merge patch in a CAS retry loop); the final value
    // holds every process's every field.
    void testSixteenProcessesUpdateThroughStateStore()
    {
        const QString program = builtProgram(QStringLiteral("sd-merge-updater"));
        QVERIFY2(!program.isEmpty(), "sd-merge-updater was not built");
        constexpr int kProcesses = 16, kEach = 10;
        std::vector<std::unique_ptr<QProcess>> procs;
        for (int i = 0; i < kProcesses; ++i) {
            auto proc = std::make_unique<QProcess>();
            proc->setProcessChannelMode(QProcess::ForwardedErrorChannel);
            proc->start(program, {QStringLiteral("etcd"), QStringLiteral("merged"), QStringLiteral("p%1").arg(i),
                                  QString::number(kEach), QStringLiteral("endpoints=") + m_server->endpoint(),
                                  QStringLiteral("root=") + m_root});
            procs.push_back(std::move(proc));
        }
        for (auto &proc : procs) {
            const bool finished = proc->waitForFinished(80000);
            if (!finished)
                proc->kill();
            QVERIFY(finished);
            QCOMPARE(proc->exitStatus(), QProcess::NormalExit);
            QCOMPARE(proc->exitCode(), 0);
        }
        auto p = provider({m_server->endpoint()}, m_root);
        auto final = await(p->get(QStringLiteral("merged")));
        QVERIFY2(final.ok(), qPrintable(final.error().toString()));
        QCOMPARE(int(final->value.size()), kProcesses * kEach);
        for (int i = 0; i < kProcesses; ++i)
            for (int j = 0; j < kEach; ++j)
                QVERIFY(final->value.contains(QStringLiteral("p%1-%2").arg(i).arg(j).toStdString()));
    }

private:
    std::unique_ptr<EtcdMember> m_server;
    QString m_root;
    int m_count = 0;
};

QTEST_GUILESS_MAIN(TestEtcdProvider)
#include "tst_etcd_provider.moc"
