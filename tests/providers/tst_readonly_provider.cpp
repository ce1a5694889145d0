// Read-only connections, enforced in the core (issue 12): a store opened
// with StoreSpec::readOnly (connections.yaml `readOnly: true`, statedeckctl
// --read-only) is wrapped by ReadOnlyProvider. On every backend, each write
// operation is answered Forbidden, naming the connection, and the store is
// unchanged when read back through a writable provider; reads work, and
// capabilities() says readOnly.
#include "TestSupport.h"
#include "TransferTestSupport.h"
#include "console/Actions.h"
#include "console/EntryDocument.h"
#include "console/ExportJob.h"
#include "console/HistoryModel.h"
#include "console/ImportJob.h"
#include "console/Session.h"
#include "providers/fallback/FallbackProvider.h"
#include "providers/fallback/WriteJournal.h"
#include "providers/readonly/ReadOnlyProvider.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTest>

using namespace sd;
using namespace sd::console;
using namespace sd::test;

class TestReadOnlyProvider : public QObject {
    Q_OBJECT

    TransferStores m_stores;

    // A key in a store's own form. A Firebase listing is one level of its
    // tree ("app/one" would list as "app"), so its keys here have no
    // separator.
    static QString storeKey(const Provider *p, const QString &dotted)
    {
        if (p->scheme() == QLatin1String("firebase"))
            return QString(dotted).replace(QLatin1Char('.'), QLatin1Char('-'));
        return translateKey(dotted, QStringLiteral("."), p->capabilities().keySeparator).value();
    }

    static QList<Entry> seed(const Provider *p)
    {
        QList<Entry> out;
        for (const char *key : {"app.one", "app.two"}) {
            Entry e;
            e.key = storeKey(p, QString::fromLatin1(key));
            e.value = Json{{"v", key}};
            out << e;
        }
        return out;
    }

    // Runs the core operation behind a `writes` action of the table on a
    // session, as the front ends do, and answers its error; nullopt when
    // the console has no operation of its own for it here (the tasks
    // actions write through RemediationManager, whose puts
    // testWritesRefused covers) or it succeeded.
    static std::optional<Error> runBehind(const QString &id, Session *session, const QString &key,
                                          const QString &snapshot)
    {
        const auto failure = [](EntryDocument &doc, auto start) -> std::optional<Error> {
            QSignalSpy failed(&doc, &EntryDocument::failed);
            QSignalSpy saved(&doc, &EntryDocument::saved);
            QSignalSpy removed(&doc, &EntryDocument::removed);
            start();
            if (!QTest::qWaitFor([&] { return !failed.isEmpty() || !saved.isEmpty() || !removed.isEmpty(); }, 30000))
                return Error(ErrorKind::Timeout, QStringLiteral("the document neither failed nor wrote"));
            if (failed.isEmpty())
                return std::nullopt;
            return failed.first().first().value<Error>();
        };
        const auto opened = [key](EntryDocument &doc) {
            doc.open(key);
            return QTest::qWaitFor([&] { return doc.state() == EntryDocument::State::Clean; }, 30000);
        };
        if (id == QLatin1String("keys.edit") || id == QLatin1String("entry.edit") || id == QLatin1String("entry.save")
            || id == QLatin1String("entry.mine")) {
            EntryDocument doc(session);
            if (!opened(doc))
                return Error(ErrorKind::Timeout, QStringLiteral("%1 did not open").arg(key));
            doc.setText(QStringLiteral("{\"v\": \"edited\"}"));
            return failure(doc, [&] { doc.save(); });
        }
        if (id == QLatin1String("keys.new")) {
            EntryDocument doc(session);
            doc.openNew(key + QStringLiteral("-new"));
            doc.setText(QStringLiteral("{\"v\": \"new\"}"));
            return failure(doc, [&] { doc.save(); });
        }
        if (id == QLatin1String("keys.delete") || id == QLatin1String("entry.delete")) {
            EntryDocument doc(session);
            if (!opened(doc))
                return Error(ErrorKind::Timeout, QStringLiteral("%1 did not open").arg(key));
            return failure(doc, [&] { doc.remove(); });
        }
        if (id == QLatin1String("history.restore")) {
            if (!session->capabilities().keyHistory)
                return std::nullopt;
            HistoryModel history(session->provider(), key);
            if (Status loaded = await(history.reload()); !loaded.ok())
                return loaded.error();
            if (history.rowCount() < 2)
                return Error(ErrorKind::Invalid, QStringLiteral("%1 has no earlier version").arg(key));
            const Result<Entry> r = await(history.restore(1));
            return r.ok() ? std::nullopt : std::optional<Error>(r.error());
        }
        if (id == QLatin1String("global.import")) {
            ImportOptions o;
            o.path = snapshot;
            o.policy = ConflictPolicy::Overwrite;
            ImportJob job(session->provider(), o);
            QSignalSpy done(&job, &Job::finished);
            job.start();
            if (!job.isFinished() && !done.wait(60000))
                return Error(ErrorKind::Timeout, QStringLiteral("the import did not end"));
            return job.error();
        }
        return std::nullopt;
    }

    static QByteArray fileBytes(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private Q_SLOTS:
    void initTestCase()
    {
        // The fallback journals live under the state directory: this
        // process's own.
        qputenv("XDG_STATE_HOME", QFile::encodeName(m_stores.dir() + QStringLiteral("/state")));
    }

    void testWritesRefused_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("operation");
        for (const QString &backend : TransferStores::allBackends())
            for (const char *op : {"put", "put must-not-exist", "put at revision", "remove", "remove at revision",
                                   "putBatch", "lock", "renew", "unlock"})
                QTest::addRow("%s: %s", qPrintable(backend), op) << backend << QString::fromLatin1(op);
    }
    void testWritesRefused()
    {
        QFETCH(QString, backend);
        QFETCH(QString, operation);
        StoreSpec spec = m_stores.fresh(backend);
        auto writable = m_stores.open(spec);
        const QList<Entry> data = seed(writable.get());
        QVERIFY(fillStore(writable.get(), data));
        const QMap<QString, Entry> before = readStore(writable.get());
        QCOMPARE(before.size(), data.size());
        // A lock held through the writable provider, for renew and unlock.
        std::optional<Lock> held;
        if (operation == QLatin1String("renew") || operation == QLatin1String("unlock")) {
            auto l = await(writable->lock(QStringLiteral("ro-job"), std::chrono::seconds(60)));
            QVERIFY2(l.ok(), qPrintable(l.error().toString()));
            held = l.value();
        }

        spec.readOnly = true;
        spec.connection = QStringLiteral("prod");
        auto opened = openProvider(spec);
        QVERIFY2(opened.ok(), qPrintable(opened.error().toString()));
        std::unique_ptr<Provider> ro = std::move(opened).value();
        QVERIFY(ro->capabilities().readOnly);
        QCOMPARE(ro->describe(), writable->describe());
        QCOMPARE(ro->scheme(), writable->scheme());

        const QString key = data.first().key;
        const QString revision = before.value(key).revision;
        Entry changed = data.first();
        changed.value = Json{{"v", "changed"}};
        Entry fresh = changed;
        fresh.key = storeKey(ro.get(), QStringLiteral("app.three"));
        Error refused;
        if (operation == QLatin1String("put"))
            refused = await(ro->put(changed, Precondition::none())).error();
        else if (operation == QLatin1String("put must-not-exist"))
            refused = await(ro->put(fresh, Precondition::mustNotExist())).error();
        else if (operation == QLatin1String("put at revision"))
            refused = await(ro->put(changed, Precondition::atRevision(revision))).error();
        else if (operation == QLatin1String("remove"))
            refused = await(ro->remove(key, Precondition::none())).error();
        else if (operation == QLatin1String("remove at revision"))
            refused = await(ro->remove(key, Precondition::atRevision(revision))).error();
        else if (operation == QLatin1String("putBatch")) {
            const BatchResult r = await(ro->putBatch({{changed, Precondition::none()}, {fresh, Precondition::mustNotExist()}}));
            QCOMPARE(r.results.size(), 2);
            QCOMPARE(r.failed(), 2);
            QCOMPARE(r.results[1].error().kind, ErrorKind::Forbidden);
            QCOMPARE(r.results[1].error().where, fresh.key);
            refused = r.results[0].error();
        } else if (operation == QLatin1String("lock"))
            refused = await(ro->lock(QStringLiteral("ro-job"), std::chrono::seconds(60))).error();
        else if (operation == QLatin1String("renew"))
            refused = await(ro->renew(*held, std::chrono::seconds(120))).error();
        else if (operation == QLatin1String("unlock"))
            refused = await(ro->unlock(*held)).error();
        QCOMPARE(refused.kind, ErrorKind::Forbidden);
        QVERIFY2(refused.message.startsWith(QLatin1String("connection \"prod\" is read-only")),
                 qPrintable(refused.toString()));

        // Nothing reached the store: the same keys, values and revisions.
        const QMap<QString, Entry> after = readStore(writable.get());
        QCOMPARE(after.keys(), before.keys());
        for (auto it = before.cbegin(); it != before.cend(); ++it) {
            QVERIFY2(sameContent(after.value(it.key()), it.value()), qPrintable(it.key()));
            QCOMPARE(after.value(it.key()).revision, it.value().revision);
        }
        if (operation == QLatin1String("lock")) {
            // Not taken: the writable provider gets it.
            auto l = await(writable->lock(QStringLiteral("ro-job"), std::chrono::seconds(60)));
            QVERIFY2(l.ok(), qPrintable(l.error().toString()));
            QVERIFY(await(writable->unlock(l.value())).ok());
        }
        if (held) {
            // Still held as it was: not released, and its holder can release it.
            QCOMPARE(await(writable->lock(QStringLiteral("ro-job"), std::chrono::seconds(60))).error().kind,
                     ErrorKind::Busy);
            QVERIFY(await(writable->unlock(*held)).ok());
        }

        // Reads go through.
        auto got = await(ro->get(key));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        QVERIFY(sameContent(got.value(), before.value(key)));
        QCOMPARE(readStore(ro.get()).keys(), before.keys());
    }

    // Every `writes` action of the action table on a read-only session of
    // each backend: its guard refuses it naming the connection (with a
    // selection and without), the console operation behind it is refused
    // by the store the same way, and the store reads back unchanged.
    void testWriteActionsRefused_data()
    {
        QTest::addColumn<QString>("backend");
        for (const QString &backend : TransferStores::allBackends())
            QTest::newRow(qPrintable(backend)) << backend;
    }
    void testWriteActionsRefused()
    {
        QFETCH(QString, backend);
        const StoreSpec spec = m_stores.fresh(backend);
        auto writable = m_stores.open(spec);
        const Capabilities caps = writable->capabilities();
        const QList<Entry> data = seed(writable.get());
        QVERIFY(fillStore(writable.get(), data));
        const QString key = data.first().key;
        if (caps.keyHistory) { // an earlier version for history.restore
            Entry second = data.first();
            second.value = Json{{"v", "second"}};
            QVERIFY(await(writable->put(second, {})).ok());
        }
        const QMap<QString, Entry> before = readStore(writable.get());
        QCOMPARE(before.size(), data.size());
        // A snapshot of the store, for global.import.
        const QString snapshot = m_stores.dir() + QStringLiteral("/actions-%1.jsonl").arg(backend);
        {
            ExportOptions o;
            o.path = snapshot;
            ExportJob job(writable.get(), o);
            QSignalSpy done(&job, &Job::finished);
            job.start();
            QVERIFY(job.isFinished() || done.wait(60000));
            QCOMPARE(job.state(), Job::State::Succeeded);
        }

        SessionOptions options;
        options.readOnly = true;
        auto opened = Session::open(spec, QStringLiteral("prod"), options);
        QVERIFY2(opened.ok(), qPrintable(opened.error().toString()));
        std::unique_ptr<Session> session = std::move(opened).value();
        QVERIFY(session->readOnly());
        const QString refusal = QStringLiteral("connection \"prod\" is read-only");
        Selection selected;
        selected.key = key;
        selected.hasValue = true;
        selected.count = 1;
        int writing = 0, ran = 0;
        for (const Action &a : Actions::all()) {
            if (!a.writes) {
                // Reads stay allowed on a read-only connection as far as
                // the read-only rule goes: their refusals are their own.
                QVERIFY2(Actions::whyNot(a, session.get(), selected).value_or(QString()) != refusal, qPrintable(a.id));
                continue;
            }
            ++writing;
            QCOMPARE(Actions::whyNot(a, session.get(), selected).value_or(QStringLiteral("(may run)")), refusal);
            QCOMPARE(Actions::whyNot(a, session.get(), Selection{}).value_or(QStringLiteral("(may run)")), refusal);
            const std::optional<Error> e = runBehind(a.id, session.get(), key, snapshot);
            if (e) {
                ++ran;
                QVERIFY2(e->kind == ErrorKind::Forbidden && e->message.contains(refusal),
                         qPrintable(a.id + QStringLiteral(": ") + e->toString()));
            }
            // Nothing reached the store.
            const QMap<QString, Entry> after = readStore(writable.get());
            QVERIFY2(after.keys() == before.keys(), qPrintable(a.id));
            for (auto it = before.cbegin(); it != before.cend(); ++it) {
                QVERIFY2(sameContent(after.value(it.key()), it.value()), qPrintable(a.id + QLatin1Char(' ') + it.key()));
                QCOMPARE(after.value(it.key()).revision, it.value().revision);
            }
        }
        QVERIFY(writing >= 15);
        // Edit, new, delete, save, keep mine, import (and restore where
        // the store keeps history) went as far as the store.
        QVERIFY2(ran >= (caps.keyHistory ? 9 : 8), qPrintable(QString::number(ran)));
    }

    // seed 004's `fallback:` pair, read-only: a journal left by a writable
    // process that ran on the fallback is never replayed by a read (a list,
    // a get), so the primary, the journal and the files beside it are as
    // they were. The writable row is the control: the same reads replay it.
    void testFallbackNeverReplays_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<bool>("readOnly");
        for (const char *backend : {"sqlite", "redis"}) {
            QTest::addRow("%s primary, read-only", backend) << QString::fromLatin1(backend) << true;
            QTest::addRow("%s primary, writable", backend) << QString::fromLatin1(backend) << false;
        }
    }
    void testFallbackNeverReplays()
    {
        QFETCH(QString, backend);
        QFETCH(bool, readOnly);
        const StoreSpec primarySpec = m_stores.fresh(backend);
        const StoreSpec fallbackSpec = m_stores.fresh(QStringLiteral("yaml"));
        auto writable = m_stores.open(primarySpec);
        const QList<Entry> data = seed(writable.get());
        QVERIFY(fillStore(writable.get(), data));
        const QMap<QString, Entry> before = readStore(writable.get());
        QCOMPARE(before.size(), 2);

        // What a writable process left on the fallback while the primary
        // was down: a new key and a delete, each based on what the primary
        // still holds, so a replay would apply both.
        const QString journalPath =
            FallbackProvider::defaultJournalPath(writable->describe(), m_stores.open(fallbackSpec)->describe());
        QFile::remove(journalPath);
        const QString added = storeKey(writable.get(), QStringLiteral("app.three"));
        const QString removed = data.last().key;
        JournalRecord put;
        put.op = JournalRecord::Op::Put;
        put.key = added;
        put.after.key = added;
        put.after.value = Json{{"v", "journaled"}};
        put.at = QDateTime::currentDateTimeUtc();
        JournalRecord remove;
        remove.op = JournalRecord::Op::Remove;
        remove.key = removed;
        remove.before = before.value(removed);
        remove.at = put.at;
        WriteJournal journal(journalPath);
        QVERIFY(QDir().mkpath(QFileInfo(journalPath).absolutePath()));
        for (const JournalRecord &r : {put, remove}) {
            const Status appended = journal.append(r);
            QVERIFY2(appended.ok(), qPrintable(appended.error().toString()));
        }
        const QByteArray journalBefore = fileBytes(journalPath);
        const QDir journalDir = QFileInfo(journalPath).dir();
        const QStringList filesBefore = journalDir.entryList(QDir::Files | QDir::Hidden);
        QVERIFY(!journalBefore.isEmpty());

        StoreSpec spec = primarySpec;
        spec.fallback = std::make_shared<StoreSpec>(fallbackSpec);
        spec.connection = QStringLiteral("prod");
        spec.readOnly = readOnly;
        auto opened = openProvider(spec);
        QVERIFY2(opened.ok(), qPrintable(opened.error().toString()));
        std::unique_ptr<Provider> p = std::move(opened).value();
        auto *pair = qobject_cast<FallbackProvider *>(unwrapReadOnly(p.get()));
        QVERIFY(pair);
        QCOMPARE(pair->journalPath(), journalPath);
        QCOMPARE(p->capabilities().readOnly, readOnly);

        const QMap<QString, Entry> listed = readStore(p.get());
        auto got = await(p->get(data.first().key));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        QVERIFY(sameContent(got.value(), before.value(data.first().key)));
        QVERIFY(!pair->onFallback());

        const QMap<QString, Entry> after = readStore(writable.get());
        if (!readOnly) {
            // The control: a writable connection replays at its first call.
            QVERIFY(after.contains(added));
            QVERIFY(!after.contains(removed));
            QVERIFY(!WriteJournal(journalPath).hasRecords());
            return;
        }
        // Read-only: the primary as it was, key by key and revision by
        // revision, and that is what the reads answered.
        QCOMPARE(after.keys(), before.keys());
        for (auto it = before.cbegin(); it != before.cend(); ++it) {
            QVERIFY2(sameContent(after.value(it.key()), it.value()), qPrintable(it.key()));
            QCOMPARE(after.value(it.key()).revision, it.value().revision);
        }
        QCOMPARE(listed.keys(), before.keys());
        // The journal byte for byte, and nothing written beside it.
        QCOMPARE(fileBytes(journalPath), journalBefore);
        QVERIFY(!QFile::exists(journal.conflictsPath()));
        QCOMPARE(journalDir.entryList(QDir::Files | QDir::Hidden), filesBefore);
        // Asked outright, it refuses.
        const auto replay = await(pair->replay());
        QVERIFY(!replay.ok());
        QCOMPARE(replay.error().kind, ErrorKind::Forbidden);
        QCOMPARE(fileBytes(journalPath), journalBefore);
        QCOMPARE(readStore(writable.get()).keys(), before.keys());
    }

    // A read-only SQLite connection opens its file read-only: a missing
    // database is NotFound and is not created (a writable one would create
    // it and its schema), and an existing one's bytes stay as they were.
    void testSqliteOpenedReadOnly_data()
    {
        QTest::addColumn<bool>("exists");
        QTest::newRow("missing database") << false;
        QTest::newRow("existing store") << true;
    }
    void testSqliteOpenedReadOnly()
    {
        QFETCH(bool, exists);
        StoreSpec spec = m_stores.fresh(QStringLiteral("sqlite"));
        const QString path = spec.options.value(QStringLiteral("path")).toString();
        QByteArray before;
        if (exists) {
            auto writable = m_stores.open(spec);
            QVERIFY(fillStore(writable.get(), seed(writable.get())));
            writable.reset();
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            before = f.readAll();
        }
        spec.readOnly = true;
        auto ro = openProvider(spec).value();
        auto page = await(ro->list({}));
        auto got = await(ro->get(QStringLiteral("app/one")));
        if (!exists) {
            QCOMPARE(page.error().kind, ErrorKind::NotFound);
            QVERIFY2(page.error().message.contains(QLatin1String("does not create")), qPrintable(page.error().toString()));
            QCOMPARE(got.error().kind, ErrorKind::NotFound);
            QVERIFY(!QFile::exists(path));
            return;
        }
        QVERIFY2(page.ok(), qPrintable(page.error().toString()));
        QCOMPARE(page->entries.size(), 2);
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        QCOMPARE(await(ro->put(got.value(), {})).error().kind, ErrorKind::Forbidden);
        ro.reset();
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll() == before);
    }

    // makeReadOnly wraps once, and a spec without readOnly is not wrapped.
    void testWrapping_data()
    {
        QTest::addColumn<bool>("readOnly");
        QTest::newRow("read-only") << true;
        QTest::newRow("writable") << false;
    }
    void testWrapping()
    {
        QFETCH(bool, readOnly);
        StoreSpec spec = m_stores.fresh(QStringLiteral("sqlite"));
        spec.readOnly = readOnly;
        auto p = openProvider(spec);
        QVERIFY(p.ok());
        QCOMPARE(qobject_cast<ReadOnlyProvider *>(p.value().get()) != nullptr, readOnly);
        QCOMPARE(p.value()->capabilities().readOnly, readOnly);
        Provider *raw = p.value().get();
        auto again = makeReadOnly(std::move(p).value(), QStringLiteral("x"));
        QVERIFY(qobject_cast<ReadOnlyProvider *>(again.get()));
        if (readOnly)
            QCOMPARE(again.get(), raw); // already wrapped: the same object
        QCOMPARE(unwrapReadOnly(again.get())->scheme(), QStringLiteral("sqlite"));
        QVERIFY(!qobject_cast<ReadOnlyProvider *>(unwrapReadOnly(again.get())));
        // Without a connection name, the refusal names the store.
        StoreSpec unnamed = m_stores.fresh(QStringLiteral("sqlite"));
        unnamed.readOnly = true;
        auto byUrl = openProvider(unnamed).value();
        const Error e = await(byUrl->remove(QStringLiteral("k"), {})).error();
        QVERIFY2(e.message.contains(QStringLiteral("connection \"%1\"").arg(byUrl->describe())), qPrintable(e.toString()));
    }
};

QTEST_GUILESS_MAIN(TestReadOnlyProvider)
#include "tst_readonly_provider.moc"
