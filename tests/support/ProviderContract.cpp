#include "ProviderContract.h"

#include "TestSupport.h"
#include "model/Codec.h"
#include "providers/Backends.h"
#include "store/StateStore.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

namespace sd::test {

QStringList specArguments(const StoreSpec &spec)
{
    QStringList out;
    for (auto it = spec.options.cbegin(); it != spec.options.cend(); ++it)
        out << it.key() + QLatin1Char('=') + it.value().toString();
    return out;
}

std::unique_ptr<Provider> ProviderContract::open()
{
    auto p = openProvider(m_spec);
    if (!p.ok())
        qWarning("cannot open %s: %s", qPrintable(m_spec.backend), qPrintable(p.error().toString()));
    return p.ok() ? std::move(p).value() : nullptr;
}

void ProviderContract::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_spec = freshStore(m_dir->path());
}

void ProviderContract::cleanup()
{
    m_dir.reset();
}

namespace {

Entry jsonEntry(const QString &key, const Json &value)
{
    Entry e;
    e.key = key;
    e.value = value;
    return e;
}

// Collects watch events and waits for a given number of them.
struct EventLog {
    QList<Event> events;
    explicit EventLog(Watch *w)
    {
        QObject::connect(w, &Watch::event, w, [this](const Event &e) { events << e; });
    }
    bool waitFor(int n, int ms = 15000)
    {
        return QTest::qWaitFor([&] { return events.size() >= n; }, ms);
    }
    QList<Event> changes() const // without Resync markers
    {
        QList<Event> out;
        for (const Event &e : events)
            if (e.type != Event::Type::Resync && e.type != Event::Type::ResyncDone)
                out << e;
        return out;
    }
};

BatchItem batchItem(const QString &key, const Json &value, const Precondition &pre = {})
{
    return BatchItem{jsonEntry(key, value), pre};
}

// Every entry under `prefix`, page by page.
Result<QList<Entry>> listAll(Provider *provider, const QString &prefix)
{
    ListOptions options;
    options.prefix = prefix;
    options.limit = 300;
    QList<Entry> all;
    for (int pages = 0; pages < 1000; ++pages) {
        auto page = await(provider->list(options), 60000);
        if (!page.ok())
            return page.error();
        all << page->entries;
        if (page->nextCursor.isEmpty())
            return all;
        options.cursor = page->nextCursor;
    }
    return Error(ErrorKind::Internal, QStringLiteral("the listing never ended"), prefix);
}

QString describe(const Result<Entry> &r)
{
    return r.ok() ? QStringLiteral("ok at revision ") + r->revision : r.error().toString();
}

} // namespace

void ProviderContract::testRoundTrip_data()
{
    QTest::addColumn<QString>("base");
    QTest::addColumn<QString>("json");
    QTest::newRow("object") << "plain" << R"({"b": 1, "a": {"x": [1, 2, 3]}, "s": "text"})";
    QTest::newRow("unicode key and value") << QString::fromUtf8("clé_日本_ü") << R"({"msg": "héllo wörld ✓"})";
    QTest::newRow("colon key") << "user:123" << R"({"preferences": {"theme": "dark"}})";
    QTest::newRow("array") << "list" << R"([1, "two", {"three": 3}, null, true])";
    QTest::newRow("number-like strings stay strings") << "quoted" << R"({"port": "8080", "flag": "true"})";
}

void ProviderContract::testRoundTrip()
{
    QFETCH(QString, base);
    QFETCH(QString, json);
    auto provider = open();
    QVERIFY(provider);
    const Json value = Json::parse(json.toStdString());
    auto put = await(provider->put(jsonEntry(key(base), value), {}));
    QVERIFY2(put.ok(), qPrintable(put.error().toString()));
    QVERIFY(!put->revision.isEmpty());

    // A second provider on the same store reads what the first wrote.
    auto other = open();
    auto got = await(other->get(key(base)));
    QVERIFY2(got.ok(), qPrintable(got.error().toString()));
    if (preservesKeyOrder()) {
        SD_COMPARE_JSON(got->value, value);
    } else {
        // nlohmann::json keeps members sorted: equal members, any order.
        SD_COMPARE_JSON(nlohmann::json::parse(got->value.dump()), nlohmann::json::parse(value.dump()));
    }
    QCOMPARE(got->revision, put->revision);
    QCOMPARE(got->key, key(base));
}

void ProviderContract::testRevisionChangesOnWrite()
{
    auto provider = open();
    const QString k = key(QStringLiteral("rev"));
    auto first = await(provider->put(jsonEntry(k, Json{{"v", 1}}), {}));
    QVERIFY(first.ok());
    auto second = await(provider->put(jsonEntry(k, Json{{"v", 2}}), Precondition::atRevision(first->revision)));
    QVERIFY2(second.ok(), qPrintable(second.error().toString()));
    QVERIFY(second->revision != first->revision);
}

// capabilities().perKeyRevisions says what a revision covers; check it.
void ProviderContract::testRevisionScope()
{
    auto provider = open();
    const QString a = key(QStringLiteral("scope-a")), b = key(QStringLiteral("scope-b"));
    auto wroteA = await(provider->put(jsonEntry(a, Json{{"v", 1}}), {}));
    QVERIFY(wroteA.ok());
    auto wroteB = await(provider->put(jsonEntry(b, Json{{"v", 1}}), {}));
    QVERIFY(wroteB.ok());
    auto readA = await(provider->get(a));
    QVERIFY(readA.ok());
    if (provider->capabilities().perKeyRevisions) {
        QCOMPARE(readA->revision, wroteA->revision); // b's write left a alone
    } else {
        QCOMPARE(readA->revision, wroteB->revision); // one revision for the store
        auto stale = await(provider->put(jsonEntry(a, Json{{"v", 2}}), Precondition::atRevision(wroteA->revision)));
        QVERIFY(!stale.ok());
        QCOMPARE(stale.error().kind, ErrorKind::Conflict);
    }
}

void ProviderContract::testCompareAndSwapConflict()
{
    auto provider = open();
    const QString k = key(QStringLiteral("cas"));
    auto v1 = await(provider->put(jsonEntry(k, Json{{"v", 1}}), {}));
    QVERIFY(v1.ok());
    auto v2 = await(provider->put(jsonEntry(k, Json{{"v", 2}}), Precondition::atRevision(v1->revision)));
    QVERIFY(v2.ok());
    // A writer still holding v1's revision must not overwrite v2.
    auto stale = await(provider->put(jsonEntry(k, Json{{"v", 3}}), Precondition::atRevision(v1->revision)));
    QVERIFY(!stale.ok());
    QCOMPARE(stale.error().kind, ErrorKind::Conflict);
    QVERIFY2(stale.error().message.contains(v1->revision) && stale.error().message.contains(v2->revision),
             qPrintable(QStringLiteral("the conflict should name both revisions: ") + stale.error().toString()));
    auto now = await(provider->get(k));
    SD_COMPARE_JSON(now->value, (Json{{"v", 2}}));
}

void ProviderContract::testMustNotExist()
{
    auto provider = open();
    const QString k = key(QStringLiteral("create"));
    QVERIFY(await(provider->put(jsonEntry(k, Json{{"v", 1}}), Precondition::mustNotExist())).ok());
    auto again = await(provider->put(jsonEntry(k, Json{{"v", 2}}), Precondition::mustNotExist()));
    QVERIFY(!again.ok());
    QCOMPARE(again.error().kind, ErrorKind::AlreadyExists);
    SD_COMPARE_JSON(await(provider->get(k))->value, (Json{{"v", 1}}));
}

void ProviderContract::testRemove()
{
    auto provider = open();
    const QString k = key(QStringLiteral("gone"));
    auto v1 = await(provider->put(jsonEntry(k, Json{{"v", 1}}), {}));
    auto v2 = await(provider->put(jsonEntry(k, Json{{"v", 2}}), {}));
    QVERIFY(v1.ok() && v2.ok());
    const Status stale = await(provider->remove(k, Precondition::atRevision(v1->revision)));
    QVERIFY(!stale.ok());
    QCOMPARE(stale.error().kind, ErrorKind::Conflict);
    QVERIFY(await(provider->remove(k, Precondition::atRevision(v2->revision))).ok());
    auto after = await(provider->get(k));
    QVERIFY(!after.ok());
    QCOMPARE(after.error().kind, ErrorKind::NotFound);
    const Status missing = await(provider->remove(k, {}));
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().kind, ErrorKind::NotFound);
}

void ProviderContract::testBadKeys_data()
{
    QTest::addColumn<QString>("badKey");
    QTest::newRow("empty") << QString();
    QTest::newRow("NUL") << (key(QStringLiteral("a")) + QChar(0) + QStringLiteral("b"));
    QTest::newRow("newline") << (key(QStringLiteral("a")) + QStringLiteral("\nb"));
}

void ProviderContract::testBadKeys()
{
    QFETCH(QString, badKey);
    auto provider = open();
    auto put = await(provider->put(jsonEntry(badKey, Json{{"v", 1}}), {}));
    QVERIFY(!put.ok());
    QCOMPARE(put.error().kind, ErrorKind::Invalid);
    auto get = await(provider->get(badKey));
    QVERIFY(!get.ok());
    QCOMPARE(get.error().kind, ErrorKind::Invalid);
}

void ProviderContract::testSizeLimitBoundary_data()
{
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("exactly 1 MiB") << kMaxValueBytes << true;
    QTest::newRow("1 MiB + 1 byte") << (kMaxValueBytes + 1) << false;
}

void ProviderContract::testSizeLimitBoundary()
{
    QFETCH(qsizetype, size);
    QFETCH(bool, accepted);
    StateStore store(open());
    const QString k = key(QStringLiteral("big"));
    // {"blob":"xxxx"}: 11 bytes of structure around the payload.
    const Json value{{"blob", std::string(size_t(size - 11), 'x')}};
    QCOMPARE(compactJson(value).size(), size);
    auto r = await(store.set(k, value));
    QCOMPARE(r.ok(), accepted);
    auto got = await(store.get(k));
    if (accepted) {
        QVERIFY(got.ok());
        QVERIFY(got->value == value);
    } else {
        QCOMPARE(r.error().kind, ErrorKind::TooLarge);
        QVERIFY(!got.ok()); // nothing was written
        QCOMPARE(got.error().kind, ErrorKind::NotFound);
    }
}

void ProviderContract::testPaging()
{
    const int count = pagingKeyCount();
    QList<QString> keys;
    for (int i = 0; i < count; ++i)
        keys << key(QStringLiteral("page%1").arg(i, 6, 10, QLatin1Char('0')));
    // A few keys outside the prefix that must not show up.
    const QList<QString> others{key(QStringLiteral("other1")), key(QStringLiteral("other2"))};
    if (!seedDirectly(m_dir->path(), keys + others)) {
        // Many writes in flight, but a bounded number: 10,000 sent at once
        // would queue behind each other long enough (on a slow or sanitized
        // build) to outlive a provider's per-request timeout.
        constexpr qsizetype kInFlight = 64;
        auto provider = open();
        QList<QFuture<Result<Entry>>> pending;
        auto settleOldest = [&]() -> bool {
            Result<Entry> r = await(pending.takeFirst(), 60000);
            if (!r.ok())
                qWarning("put failed: %s", qPrintable(r.error().toString()));
            return r.ok();
        };
        for (const QString &k : keys + others) {
            pending << provider->put(jsonEntry(k, Json{{"k", k.toStdString()}}), {});
            if (pending.size() >= kInFlight)
                QVERIFY(settleOldest());
        }
        while (!pending.isEmpty())
            QVERIFY(settleOldest());
    }
    auto provider = open();
    QStringList expected(keys.begin(), keys.end());
    expected.sort();
    // Keys-only pages, then names-only ones (what `ls -o value` and counts
    // ask for): the same keys, each once, whatever a backend leaves out.
    for (const bool namesOnly : {false, true}) {
        ListOptions options;
        options.prefix = key(QStringLiteral("page"));
        options.limit = 777; // not a divisor of the count: the last page is partial
        options.keysOnly = true;
        options.namesOnly = namesOnly;
        QStringList seen;
        int pages = 0;
        for (;;) {
            auto page = await(provider->list(options), 60000);
            QVERIFY2(page.ok(), qPrintable(page.error().toString()));
            QVERIFY(page->entries.size() <= options.limit);
            for (const Entry &e : page->entries)
                seen << e.key;
            ++pages;
            QVERIFY(pages <= count / options.limit + 2);
            if (page->nextCursor.isEmpty())
                break;
            options.cursor = page->nextCursor;
        }
        QCOMPARE(seen.size(), count);
        QStringList sorted = seen;
        sorted.sort();
        QCOMPARE(sorted, expected); // every key exactly once
    }
}

void ProviderContract::testWatchOrder()
{
    auto provider = open();
    if (provider->capabilities().watch == WatchKind::None)
        QFAIL("every provider in this build must support watch");
    const QString a = key(QStringLiteral("wa")), b = key(QStringLiteral("wb"));
    std::unique_ptr<Watch> watch = provider->watch(key(QStringLiteral("w")), QString());
    QVERIFY(watch);
    EventLog log(watch.get());
    QSignalSpy ready(watch.get(), &Watch::ready);
    QVERIFY2(ready.wait(15000), "the watch never said it was ready");
    auto writer = open();
    // Each change waits for its event: a file store may coalesce changes that
    // land between two scans, and order is only promised between observations.
    QVERIFY(await(writer->put(jsonEntry(a, Json{{"v", 1}}), {})).ok());
    QVERIFY2(log.waitFor(1), "no event for the first write");
    QVERIFY(await(writer->put(jsonEntry(b, Json{{"v", 1}}), {})).ok());
    QVERIFY(log.waitFor(2));
    QVERIFY(await(writer->put(jsonEntry(a, Json{{"v", 2}}), {})).ok());
    QVERIFY(log.waitFor(3));
    QVERIFY(await(writer->remove(b, {})).ok());
    QVERIFY(log.waitFor(4));
    const QList<Event> ev = log.changes();
    QCOMPARE(ev.size(), 4);
    QCOMPARE(ev[0].type, Event::Type::Added);
    QCOMPARE(ev[0].entry.key, a);
    QCOMPARE(ev[1].type, Event::Type::Added);
    QCOMPARE(ev[1].entry.key, b);
    QCOMPARE(ev[2].type, Event::Type::Modified);
    QCOMPARE(ev[2].entry.key, a);
    SD_COMPARE_JSON(ev[2].entry.value, (Json{{"v", 2}}));
    QCOMPARE(ev[3].type, Event::Type::Deleted);
    QCOMPARE(ev[3].entry.key, b);
}

void ProviderContract::testWatchResume()
{
    auto provider = open();
    const QString k = key(QStringLiteral("resume"));
    QVERIFY(await(provider->put(jsonEntry(k, Json{{"v", 1}}), {})).ok());
    auto page = await(provider->list({}));
    QVERIFY(page.ok());
    const QString resumeFrom = page->revision.isEmpty() ? QStringLiteral("1") : page->revision;
    QVERIFY(await(provider->put(jsonEntry(k, Json{{"v", 2}}), {})).ok());
    QVERIFY(await(provider->put(jsonEntry(k, Json{{"v", 3}}), {})).ok());

    std::unique_ptr<Watch> watch = provider->watch(k, resumeFrom);
    EventLog log(watch.get());
    if (provider->capabilities().watchHistory) {
        // The two writes after the listing are replayed, in order.
        QVERIFY(log.waitFor(2));
        const QList<Event> ev = log.changes();
        QCOMPARE(ev[0].type, Event::Type::Modified);
        SD_COMPARE_JSON(ev[0].entry.value, (Json{{"v", 2}}));
        SD_COMPARE_JSON(ev[1].entry.value, (Json{{"v", 3}}));
    } else {
        // No history: the consumer is told so, then given the whole state.
        QVERIFY(log.waitFor(3));
        QCOMPARE(log.events[0].type, Event::Type::Resync);
        QCOMPARE(log.events[1].type, Event::Type::Added);
        SD_COMPARE_JSON(log.events[1].entry.value, (Json{{"v", 3}}));
        QCOMPARE(log.events[2].type, Event::Type::ResyncDone);
    }
    // And live changes follow.
    const int before = int(log.events.size());
    QVERIFY(await(provider->put(jsonEntry(k, Json{{"v", 4}}), {})).ok());
    QVERIFY(log.waitFor(before + 1));
    SD_COMPARE_JSON(log.events.last().entry.value, (Json{{"v", 4}}));
}

void ProviderContract::testTwoProcessesLoseNoUpdate()
{
    const QString program = builtProgram(QStringLiteral("sd-incrementer"));
    QVERIFY2(!program.isEmpty(), "sd-incrementer was not built");
    const QString k = key(QStringLiteral("counter"));
    constexpr int each = 100;
    QList<QProcess *> procs;
    for (int i = 0; i < 2; ++i) {
        auto *p = new QProcess(this);
        p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        p->start(program, QStringList{m_spec.backend, k, QString::number(each)} + specArguments(m_spec));
        procs << p;
    }
    for (QProcess *p : procs) {
        QVERIFY(p->waitForFinished(150000));
        QCOMPARE(p->exitStatus(), QProcess::NormalExit);
        QCOMPARE(p->exitCode(), 0);
        delete p;
    }
    auto provider = open();
    auto final = await(provider->get(k));
    QVERIFY(final.ok());
    QCOMPARE(final->value.value("n", 0), 2 * each);
}

void ProviderContract::testLocks()
{
    auto a = open();
    auto b = open();
    if (!a->capabilities().locks)
        QFAIL("every provider in this build must support locks");
    auto first = await(a->lock(QStringLiteral("deploy"), std::chrono::seconds(30)));
    QVERIFY2(first.ok(), qPrintable(first.error().toString()));
    auto contender = await(b->lock(QStringLiteral("deploy"), std::chrono::seconds(30)));
    QVERIFY(!contender.ok());
    QCOMPARE(contender.error().kind, ErrorKind::Busy);
    QVERIFY(await(a->unlock(first.value())).ok());
    auto second = await(b->lock(QStringLiteral("deploy"), std::chrono::seconds(30)));
    QVERIFY(second.ok());
    QVERIFY(second->fencingToken > first->fencingToken);
    // The old holder cannot release what it no longer holds.
    QVERIFY(!await(a->unlock(first.value())).ok());
    QVERIFY(await(b->unlock(second.value())).ok());
}

// A holder that renews keeps its lock past the first TTL, with the same
// fencing token; once the lock went to someone else, renewing fails.
void ProviderContract::testLockRenewal()
{
    auto a = open();
    auto b = open();
    // etcd renews a lease to the TTL it was granted with, so the renewal
    // proves itself inside one TTL after it: checked 2.3 s into the first
    // TTL's successor, with 1.7 s to spare on a slow machine.
    constexpr auto ttl = std::chrono::milliseconds(4000);
    auto held = await(a->lock(QStringLiteral("renewed"), ttl));
    QVERIFY2(held.ok(), qPrintable(held.error().toString()));
    QElapsedTimer since;
    since.start();
    QTest::qWait(2200); // past half the TTL, as a holder renews
    const qint64 renewedAt = since.elapsed();
    auto renewed = await(a->renew(held.value(), ttl));
    QVERIFY2(renewed.ok(), qPrintable(renewed.error().toString()));
    QCOMPARE(renewed->fencingToken, held->fencingToken);
    QVERIFY(renewed->expires > held->expires);
    // Past the first TTL; the renewed one still runs.
    QTest::qWait(int(qMax<qint64>(0, ttl.count() + 500 - since.elapsed())));
    auto contender = await(b->lock(QStringLiteral("renewed"), ttl));
    QVERIFY2(since.elapsed() < renewedAt + ttl.count(), "the machine was too slow to show the renewal");
    QVERIFY(!contender.ok());
    QCOMPARE(contender.error().kind, ErrorKind::Busy);

    QVERIFY(await(a->unlock(renewed.value())).ok());
    auto next = await(b->lock(QStringLiteral("renewed"), std::chrono::seconds(30)));
    QVERIFY2(next.ok(), qPrintable(next.error().toString()));
    auto stale = await(a->renew(renewed.value(), ttl));
    QVERIFY(!stale.ok());
    QCOMPARE(stale.error().kind, ErrorKind::Conflict);
    QVERIFY2(stale.error().message.contains(QLatin1String("lost")), qPrintable(stale.error().message));
    QVERIFY(await(b->unlock(next.value())).ok());
}

// A holder process killed with SIGKILL never unlocks: the lock must free
// itself when its TTL (or lease) runs out, and the next holder's fencing
// token must be higher than the dead one's.
void ProviderContract::testLockHolderProcessDies()
{
    const QString program = builtProgram(QStringLiteral("sd-lock-holder"));
    QVERIFY2(!program.isEmpty(), "sd-lock-holder was not built");
    constexpr int ttlMs = 2000;
    QProcess holder;
    holder.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    holder.start(program, QStringList{m_spec.backend, QStringLiteral("job"), QString::number(ttlMs)} +
                              specArguments(m_spec));
    QByteArray line;
    QDeadlineTimer startDeadline(30000);
    while (!line.contains('\n') && !startDeadline.hasExpired() && holder.state() != QProcess::NotRunning) {
        holder.waitForReadyRead(200);
        line += holder.readAllStandardOutput();
    }
    QElapsedTimer sinceHeld;
    sinceHeld.start();
    QVERIFY2(line.startsWith("held "), line.constData());
    const quint64 deadToken = line.mid(5).trimmed().toULongLong();
    holder.kill();
    holder.waitForFinished(5000);

    auto contender = open();
    auto early = await(contender->lock(QStringLiteral("job"), std::chrono::seconds(30)));
    // Only meaningful while the dead holder's TTL surely still runs; a slow
    // machine may already be past it.
    if (sinceHeld.elapsed() < ttlMs / 2) {
        QVERIFY2(!early.ok(), "a lock was granted while its dead holder's TTL still ran");
        QCOMPARE(early.error().kind, ErrorKind::Busy);
    }
    Result<Lock> taken = early;
    QDeadlineTimer deadline(60000);
    while (!taken.ok() && taken.error().kind == ErrorKind::Busy && !deadline.hasExpired()) {
        QTest::qWait(200);
        taken = await(contender->lock(QStringLiteral("job"), std::chrono::seconds(30)));
    }
    QVERIFY2(taken.ok(), qPrintable(taken.error().toString()));
    QVERIFY2(taken->fencingToken > deadToken,
             qPrintable(QStringLiteral("token %1 after dead holder's %2").arg(taken->fencingToken).arg(deadToken)));
    QVERIFY(await(contender->unlock(taken.value())).ok());
}

void ProviderContract::testUnavailableStore()
{
    auto p = openProvider(unavailableStore(m_dir->path()));
    QVERIFY(p.ok()); // opening does no I/O; the first operation reports
    auto got = await(p.value()->get(key(QStringLiteral("x"))));
    QVERIFY(!got.ok());
    QVERIFY2(got.error().kind != ErrorKind::NotFound && got.error().kind != ErrorKind::Internal,
             qPrintable(got.error().toString()));
    QVERIFY(!got.error().message.isEmpty());
    auto put = await(p.value()->put(jsonEntry(key(QStringLiteral("x")), Json{{"v", 1}}), {}));
    QVERIFY(!put.ok());
}

void ProviderContract::testBatchMixedPreconditions()
{
    auto provider = open();
    QVERIFY(provider);
    const QString fresh1 = key(QStringLiteral("b-fresh1")), fresh2 = key(QStringLiteral("b-fresh2"));
    const QString stale = key(QStringLiteral("b-stale")), current = key(QStringLiteral("b-current"));
    const QString existing = key(QStringLiteral("b-existing")), gone = key(QStringLiteral("b-gone"));
    auto s1 = await(provider->put(jsonEntry(stale, Json{{"v", 1}}), {}));
    QVERIFY(s1.ok());
    auto s2 = await(provider->put(jsonEntry(stale, Json{{"v", 2}}), Precondition::atRevision(s1->revision)));
    QVERIFY(s2.ok());
    auto c1 = await(provider->put(jsonEntry(current, Json{{"v", 1}}), {}));
    QVERIFY(c1.ok());
    auto e1 = await(provider->put(jsonEntry(existing, Json{{"v", 1}}), {}));
    QVERIFY(e1.ok());
    auto g1 = await(provider->put(jsonEntry(gone, Json{{"v", 1}}), {}));
    QVERIFY(g1.ok());
    QVERIFY(await(provider->remove(gone, {})).ok());

    // Where one revision covers the whole store, the writes above moved
    // "current" on too: the revision a writer holds is the one it last read.
    const bool perKey = provider->capabilities().perKeyRevisions;
    QString currentRevision = c1->revision;
    if (!perKey) {
        auto reread = await(provider->get(current));
        QVERIFY(reread.ok());
        currentRevision = reread->revision;
        QVERIFY(currentRevision != c1->revision);
    }
    // What the stale writer lost to: its key's newer revision, or the store's.
    const QString staleNow = perKey ? s2->revision : currentRevision;

    const QList<BatchItem> items{
        batchItem(fresh1, Json{{"v", "new1"}}),
        batchItem(stale, Json{{"v", "lost"}}, Precondition::atRevision(s1->revision)),
        batchItem(fresh2, Json{{"v", "new2"}}, Precondition::mustNotExist()),
        batchItem(existing, Json{{"v", "lost"}}, Precondition::mustNotExist()),
        batchItem(current, Json{{"v", "cas"}}, Precondition::atRevision(currentRevision)),
        batchItem(gone, Json{{"v", "lost"}}, Precondition::atRevision(g1->revision)),
    };
    const BatchResult batch = await(provider->putBatch(items), 60000);
    QCOMPARE(batch.results.size(), items.size());
    QCOMPARE(batch.failed(), 3);
    const QList<bool> expectOk{true, false, true, false, true, false};
    for (qsizetype i = 0; i < items.size(); ++i) {
        const Result<Entry> &r = batch.results[i];
        QVERIFY2(r.ok() == expectOk[i], qPrintable(QStringLiteral("item %1 (%2): %3").arg(i).arg(items[i].entry.key,
                                                                                          describe(r))));
        if (r.ok()) {
            QCOMPARE(r->key, items[i].entry.key);
            SD_COMPARE_JSON(r->value, items[i].entry.value);
            QVERIFY(!r->revision.isEmpty());
        } else {
            // Whoever reads a failure can tell which key it was.
            QVERIFY2(r.error().toString().contains(items[i].entry.key), qPrintable(r.error().toString()));
        }
    }
    QCOMPARE(batch.results[1].error().kind, ErrorKind::Conflict);
    // As put() answers a failed must-not-exist.
    QCOMPARE(batch.results[3].error().kind, ErrorKind::AlreadyExists);
    QCOMPARE(batch.results[5].error().kind, ErrorKind::Conflict);
    // The stale writer still sees the revision it lost to.
    QVERIFY2(batch.results[1].error().message.contains(staleNow), qPrintable(batch.results[1].error().toString()));
    QVERIFY(batch.results[4]->revision != currentRevision);

    // The store holds exactly the successful writes, at the revisions answered.
    auto all = listAll(provider.get(), key(QStringLiteral("b-")));
    QVERIFY2(all.ok(), qPrintable(all.error().toString()));
    QMap<QString, Entry> stored;
    for (const Entry &e : all.value())
        stored.insert(e.key, e);
    QCOMPARE(stored.keys(), (QList<QString>{current, existing, fresh1, fresh2, stale}));
    SD_COMPARE_JSON(stored[fresh1].value, (Json{{"v", "new1"}}));
    QCOMPARE(stored[fresh1].revision, batch.results[0]->revision);
    SD_COMPARE_JSON(stored[fresh2].value, (Json{{"v", "new2"}}));
    QCOMPARE(stored[fresh2].revision, batch.results[2]->revision);
    SD_COMPARE_JSON(stored[current].value, (Json{{"v", "cas"}}));
    QCOMPARE(stored[current].revision, batch.results[4]->revision);
    SD_COMPARE_JSON(stored[stale].value, (Json{{"v", 2}}));
    SD_COMPARE_JSON(stored[existing].value, (Json{{"v", 1}}));
    if (perKey) {
        QCOMPARE(stored[stale].revision, s2->revision);
        QCOMPARE(stored[existing].revision, e1->revision);
    } else {
        // Untouched keys share the store's new revision.
        QCOMPARE(stored[stale].revision, batch.results[0]->revision);
        QCOMPARE(stored[existing].revision, batch.results[0]->revision);
    }
}

void ProviderContract::testBatchThousand()
{
    auto provider = open();
    QVERIFY(provider);
    QVERIFY(provider->maxBatchSize() >= 0);
    constexpr int count = 1000;
    QList<BatchItem> items;
    for (int i = 0; i < count; ++i)
        items << batchItem(key(QStringLiteral("many%1").arg(i, 4, 10, QLatin1Char('0'))),
                           Json{{"i", i}, {"name", "entry " + std::to_string(i)}});
    // Split as callers are told to; a backend without a limit takes it whole.
    const int step = provider->maxBatchSize() > 0 ? provider->maxBatchSize() : count;
    QList<Result<Entry>> results;
    for (qsizetype from = 0; from < items.size(); from += step) {
        const BatchResult part = await(provider->putBatch(items.mid(from, step)), 120000);
        QCOMPARE(part.results.size(), std::min<qsizetype>(step, items.size() - from));
        QCOMPARE(part.failed(), 0);
        results << part.results;
    }
    QMap<QString, QString> answered;
    for (const Result<Entry> &r : results)
        answered.insert(r->key, r->revision);
    QCOMPARE(answered.size(), count);

    auto other = open();
    auto all = listAll(other.get(), key(QStringLiteral("many")));
    QVERIFY2(all.ok(), qPrintable(all.error().toString()));
    QCOMPARE(all->size(), count);
    for (const Entry &e : all.value()) {
        QVERIFY2(answered.contains(e.key), qPrintable(e.key));
        QCOMPARE(e.revision, answered.value(e.key));
        const int i = e.key.right(4).toInt();
        SD_COMPARE_JSON(e.value, (Json{{"i", i}, {"name", "entry " + std::to_string(i)}}));
    }
}

void ProviderContract::testBatchDuplicateKeyLastWins()
{
    auto provider = open();
    const QString k = key(QStringLiteral("twice"));
    const BatchResult batch = await(provider->putBatch({batchItem(k, Json{{"v", 1}}), batchItem(k, Json{{"v", 2}})}));
    QCOMPARE(batch.results.size(), 2);
    QCOMPARE(batch.failed(), 0);
    auto got = await(provider->get(k));
    QVERIFY(got.ok());
    SD_COMPARE_JSON(got->value, (Json{{"v", 2}}));
    QCOMPARE(got->revision, batch.results[1]->revision);
}

void ProviderContract::testBatchWatchSeesEveryEntry()
{
    auto provider = open();
    std::unique_ptr<Watch> watch = provider->watch(key(QStringLiteral("bw")), QString());
    QVERIFY(watch);
    EventLog log(watch.get());
    QSignalSpy ready(watch.get(), &Watch::ready);
    QVERIFY2(ready.wait(15000), "the watch never said it was ready");
    constexpr int count = 50;
    QList<BatchItem> items;
    for (int i = 0; i < count; ++i)
        items << batchItem(key(QStringLiteral("bw%1").arg(i, 2, 10, QLatin1Char('0'))), Json{{"i", i}});
    auto writer = open();
    const BatchResult batch = await(writer->putBatch(items), 60000);
    QCOMPARE(batch.failed(), 0);
    QVERIFY2(QTest::qWaitFor([&] { return log.changes().size() >= count; }, 20000),
             "the watch missed entries of the batch");
    QMap<QString, Event> seen;
    for (const Event &e : log.changes()) {
        QCOMPARE(e.type, Event::Type::Added);
        QVERIFY2(!seen.contains(e.entry.key), qPrintable(e.entry.key));
        seen.insert(e.entry.key, e);
    }
    QCOMPARE(seen.size(), count);
    for (int i = 0; i < count; ++i) {
        const QString k = items[i].entry.key;
        QVERIFY2(seen.contains(k), qPrintable(k));
        SD_COMPARE_JSON(seen[k].entry.value, (Json{{"i", i}}));
    }
}

void ProviderContract::testBatchBadItemFailsAlone_data()
{
    QTest::addColumn<QString>("badKey");
    QTest::addColumn<qsizetype>("valueBytes");
    QTest::addColumn<ErrorKind>("kind");
    QTest::newRow("value of 1 MiB + 1 byte") << key(QStringLiteral("bad-big")) << (kMaxValueBytes + 1)
                                             << ErrorKind::TooLarge;
    QTest::newRow("empty key") << QString() << qsizetype(20) << ErrorKind::Invalid;
    QTest::newRow("NUL in key") << (key(QStringLiteral("bad")) + QChar(0) + QStringLiteral("nul")) << qsizetype(20)
                                << ErrorKind::Invalid;
    QTest::newRow("newline in key") << (key(QStringLiteral("bad")) + QStringLiteral("\nline")) << qsizetype(20)
                                    << ErrorKind::Invalid;
}

void ProviderContract::testBatchBadItemFailsAlone()
{
    QFETCH(QString, badKey);
    QFETCH(qsizetype, valueBytes);
    QFETCH(ErrorKind, kind);
    auto provider = open();
    const QString before = key(QStringLiteral("ok-before")), after = key(QStringLiteral("ok-after"));
    const Json bad{{"blob", std::string(size_t(valueBytes - 11), 'x')}};
    QCOMPARE(compactJson(bad).size(), valueBytes);
    // A big good item beside the bad one: a backend that sends the batch in
    // one request must still keep it. A store with a limit across all its
    // values (a Secret's 1 MiB) gets one that fits beside "before".
    const qint64 storeLimit = provider->capabilities().maxStoreBytes;
    const qsizetype bigBytes = storeLimit > 0 ? qsizetype(std::min<qint64>(kMaxValueBytes, storeLimit - 1024))
                                              : kMaxValueBytes;
    const Json bigGood{{"blob", std::string(size_t(bigBytes - 11), 'y')}};
    const BatchResult batch = await(provider->putBatch({batchItem(before, Json{{"v", "before"}}), batchItem(badKey, bad),
                                                        batchItem(after, bigGood)}),
                                    60000);
    QCOMPARE(batch.results.size(), 3);
    QCOMPARE(batch.failed(), 1);
    QVERIFY2(batch.results[0].ok(), qPrintable(describe(batch.results[0])));
    QVERIFY2(batch.results[2].ok(), qPrintable(describe(batch.results[2])));
    const Error &e = batch.results[1].error();
    QCOMPARE(e.kind, kind);
    if (kind == ErrorKind::TooLarge) // an invalid key is shown escaped, or as "key" when empty
        QVERIFY2(e.where.contains(badKey), qPrintable(e.toString()));
    QVERIFY(!e.message.isEmpty());

    SD_COMPARE_JSON(await(provider->get(before))->value, (Json{{"v", "before"}}));
    QVERIFY(await(provider->get(after))->value == bigGood);
    if (kind == ErrorKind::TooLarge) {
        auto got = await(provider->get(badKey));
        QVERIFY(!got.ok());
        QCOMPARE(got.error().kind, ErrorKind::NotFound); // nothing was written
    }
}

void ProviderContract::testBatchEmpty()
{
    auto provider = open();
    QFuture<BatchResult> f = provider->putBatch({});
    const BatchResult batch = await(f);
    QVERIFY(f.isFinished());
    QVERIFY(batch.results.isEmpty());
    QCOMPARE(batch.failed(), 0);
    auto all = listAll(provider.get(), QString());
    QVERIFY(all.ok());
    QVERIFY(all->isEmpty());
}

// history(): a key's values newest first where the store keeps them
// (capabilities().keyHistory), a clean Unsupported naming the key where it
// does not.
void ProviderContract::testKeyHistory()
{
    auto p = open();
    QVERIFY(p);
    const QString k = key(QStringLiteral("hist")), other = key(QStringLiteral("histother"));
    QList<QString> revisions;
    for (int v = 1; v <= 3; ++v) {
        auto put = await(p->put(jsonEntry(k, Json{{"v", v}}), {}));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        revisions << put->revision;
        // Writes to another key in between are not part of it.
        QVERIFY(await(p->put(jsonEntry(other, Json{{"v", v}}), {})).ok());
    }
    auto all = await(p->history(k, 10));
    if (!p->capabilities().keyHistory) {
        QVERIFY(!all.ok());
        QCOMPARE(all.error().kind, ErrorKind::Unsupported);
        QCOMPARE(all.error().where, k);
        return;
    }
    QVERIFY2(all.ok(), qPrintable(all.error().toString()));
    QCOMPARE(all->size(), 3);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(all->at(i).key, k);
        SD_COMPARE_JSON(all->at(i).value, (Json{{"v", 3 - i}}));
        QCOMPARE(all->at(i).revision, revisions[2 - i]);
    }
    auto two = await(p->history(k, 2));
    QVERIFY(two.ok());
    QCOMPARE(two->size(), 2);
    QCOMPARE(two->at(1).revision, revisions[1]);
    auto one = await(p->history(k, 0)); // at least the current value
    QVERIFY(one.ok());
    QCOMPARE(one->size(), 1);

    // A key deleted and created again shows its new life only.
    QVERIFY(await(p->remove(k, {})).ok());
    auto again = await(p->put(jsonEntry(k, Json{{"v", 9}}), {}));
    QVERIFY(again.ok());
    auto since = await(p->history(k, 10));
    QVERIFY2(since.ok(), qPrintable(since.error().toString()));
    QCOMPARE(since->size(), 1);
    QCOMPARE(since->at(0).revision, again->revision);

    auto missing = await(p->history(key(QStringLiteral("histnone")), 10));
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().kind, ErrorKind::NotFound);
}

} // namespace sd::test
