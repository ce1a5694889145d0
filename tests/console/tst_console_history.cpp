// The console's HistoryModel against the stores that keep key history, a
// real SQLite file and a real etcd: the versions newest first with their
// diff against the current value, restore as a compare-and-swap, and a
// restore that loses to a concurrent write reported as a Conflict with
// nothing overwritten. Stores without history give a clear Unsupported
// error. The model runs under QAbstractItemModelTester.
#include "TestSupport.h"
#include "TransferTestSupport.h"
#include "console/HistoryModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace sd;
using namespace sd::console;
using namespace sd::test;

class TestConsoleHistory : public QObject {
    Q_OBJECT

    TransferStores m_stores;

    static Json version(int replicas, const char *image) { return Json{{"replicas", replicas}, {"image", image}}; }

    static bool write(Provider *p, const QString &key, const Json &value)
    {
        Entry e;
        e.key = key;
        e.value = value;
        const Result<Entry> r = await(p->put(e, Precondition::none()));
        if (!r.ok())
            qWarning("put: %s", qPrintable(r.error().toString()));
        return r.ok();
    }

    static QString valueAt(const HistoryModel &m, int row)
    {
        return m.index(row, 0).data(HistoryModel::ValueRole).toString();
    }

private Q_SLOTS:
    void testListDiffRestore_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<bool>("times"); // etcd keeps no write times
        QTest::newRow("sqlite") << "sqlite" << true;
        QTest::newRow("etcd") << "etcd" << false;
    }

    void testListDiffRestore()
    {
        QFETCH(QString, backend);
        QFETCH(bool, times);
        const StoreSpec spec = m_stores.fresh(backend);
        auto store = m_stores.open(spec);
        const QString key = QStringLiteral("app/config");
        QVERIFY(write(store.get(), key, version(1, "web:1")));
        QVERIFY(write(store.get(), key, version(2, "web:1")));
        QVERIFY(write(store.get(), key, version(3, "web:2")));
        // Another key's writes are not this key's history.
        QVERIFY(write(store.get(), QStringLiteral("app/other"), version(9, "x")));

        HistoryModel history(store.get(), key);
        QAbstractItemModelTester tester(&history, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(&history, &QAbstractItemModel::modelReset);
        QSignalSpy loaded(&history, &HistoryModel::loaded);
        const Status first = await(history.reload());
        QVERIFY2(first.ok(), qPrintable(first.error().toString()));
        QCOMPARE(loaded.size(), 1);
        QCOMPARE(history.rowCount(), 3);
        QVERIFY(history.current());
        QVERIFY(history.revealsValues());

        // Newest first, revisions falling, the current value on top.
        qint64 previous = std::numeric_limits<qint64>::max();
        for (int r = 0; r < 3; ++r) {
            const qint64 rev = history.index(r, HistoryModel::RevisionColumn).data(SortRole).toLongLong();
            QVERIFY(rev < previous);
            previous = rev;
            const QString time = history.index(r, HistoryModel::TimeColumn).data().toString();
            QVERIFY2(times ? time.endsWith(QLatin1Char('Z')) : time == QLatin1String("-"), qPrintable(time));
            QCOMPARE(history.index(r, HistoryModel::TimeColumn).data(ToneRole).toInt(), int(Tone::Muted));
        }
        QCOMPARE(history.index(0, HistoryModel::RevisionColumn).data().toString(), history.current()->revision);
        QCOMPARE(history.index(0, 0).data(HistoryModel::CurrentRole).toBool(), true);
        QCOMPARE(history.index(0, HistoryModel::ChangeColumn).data().toString(), QStringLiteral("current value"));
        QCOMPARE(history.index(0, HistoryModel::ChangeColumn).data(ToneRole).toInt(), int(Tone::Good));
        // What restoring each would change, path by path.
        QCOMPARE(history.index(1, 0).data(HistoryModel::DiffRole).toStringList(),
                 (QStringList{"~ /replicas: 3 -> 2", "~ /image: \"web:2\" -> \"web:1\""}));
        QCOMPARE(history.index(1, HistoryModel::ChangeColumn).data().toString(),
                 QStringLiteral("2 changes: ~ /replicas: 3 -> 2; ~ /image: \"web:2\" -> \"web:1\""));
        QCOMPARE(history.index(1, HistoryModel::ChangeColumn).data(ToneRole).toInt(), int(Tone::Modified));
        QVERIFY(valueAt(history, 2).contains(QStringLiteral("\"replicas\": 1")));

        // The current row cannot be restored, nor a row that is not there.
        QCOMPARE(await(history.restore(0)).error().kind, ErrorKind::Invalid);
        QCOMPARE(await(history.restore(7)).error().kind, ErrorKind::Invalid);

        // Restoring the oldest: a new current value equal to it, and the
        // history grows by one (rows inserted, never a reset).
        QSignalSpy restored(&history, &HistoryModel::restored);
        QSignalSpy inserted(&history, &QAbstractItemModel::rowsInserted);
        const QString oldest = history.index(2, HistoryModel::RevisionColumn).data().toString();
        const Result<Entry> back = await(history.restore(2));
        QVERIFY2(back.ok(), qPrintable(back.error().toString()));
        QCOMPARE(restored.size(), 1);
        SD_COMPARE_JSON(back->value, version(1, "web:1"));
        SD_COMPARE_JSON(await(store->get(key))->value, version(1, "web:1"));
        QTRY_COMPARE(history.rowCount(), 4);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(history.current()->revision, back->revision);
        // The version restored now reads as the same value as the current.
        const int oldestRow = history.rowOf(oldest);
        QCOMPARE(oldestRow, 3);
        QCOMPARE(history.index(oldestRow, HistoryModel::ChangeColumn).data().toString(),
                 QStringLiteral("the same value"));
        QCOMPARE(history.index(oldestRow, HistoryModel::ChangeColumn).data(ToneRole).toInt(), int(Tone::Muted));

        // Another writer changes the key after the history was read: the
        // restore is refused as a Conflict and their value stays.
        auto other = m_stores.open(spec);
        QVERIFY(write(other.get(), key, version(4, "web:3")));
        const Result<Entry> lost = await(history.restore(1));
        QVERIFY(!lost.ok());
        QCOMPARE(lost.error().kind, ErrorKind::Conflict);
        QCOMPARE(lost.error().where, key);
        QCOMPARE(restored.size(), 1);
        SD_COMPARE_JSON(await(store->get(key))->value, version(4, "web:3"));
        // And the rows then show what is there now.
        QTRY_COMPARE(history.rowCount(), 5);
        QVERIFY(valueAt(history, 0).contains(QStringLiteral("\"replicas\": 4")));
        QCOMPARE(resets.size(), 0);
    }

    // Values written as text: a whole-value change line.
    void testTextValues()
    {
        auto store = m_stores.open(m_stores.fresh(QStringLiteral("sqlite")));
        for (const char *text : {"first words", "second words"}) {
            Entry e;
            e.key = QStringLiteral("note");
            e.encoding = Encoding::Text;
            e.value = text;
            QVERIFY(await(store->put(e, Precondition::none())).ok());
        }
        HistoryModel history(store.get(), QStringLiteral("note"));
        QAbstractItemModelTester tester(&history, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(await(history.reload()).ok());
        QCOMPARE(history.rowCount(), 2);
        QCOMPARE(history.index(1, HistoryModel::ChangeColumn).data().toString(),
                 QStringLiteral("~ (value): \"second words\" -> \"first words\""));
        QCOMPARE(valueAt(history, 1), QStringLiteral("first words"));
        const Result<Entry> back = await(history.restore(1));
        QVERIFY(back.ok());
        const Result<Entry> now = await(store->get(QStringLiteral("note")));
        QCOMPARE(now->encoding, Encoding::Text);
        QCOMPARE(now->raw, QByteArray("first words"));
    }

    // A key that is gone has no history to show; limits hold.
    void testDeletedKeyAndLimit()
    {
        auto store = m_stores.open(m_stores.fresh(QStringLiteral("sqlite")));
        for (int i = 0; i < 5; ++i)
            QVERIFY(write(store.get(), QStringLiteral("k"), Json{{"n", i}}));
        HistoryModel history(store.get(), QStringLiteral("k"));
        QAbstractItemModelTester tester(&history, QAbstractItemModelTester::FailureReportingMode::QtTest);
        history.setLimit(3);
        QVERIFY(await(history.reload()).ok());
        QCOMPARE(history.rowCount(), 3);

        QVERIFY(await(store->remove(QStringLiteral("k"), Precondition::none())).ok());
        QSignalSpy failed(&history, &HistoryModel::failed);
        const Status gone = await(history.reload());
        QCOMPARE(gone.error().kind, ErrorKind::NotFound);
        QCOMPARE(failed.size(), 1);
        QCOMPARE(history.rowCount(), 0);
        QVERIFY(!history.current());
        QVERIFY(history.error());
    }

    // Stores that keep no history say so, and which do.
    void testUnsupportedStores_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::newRow("local files") << "local";
        QTest::newRow("yaml files") << "yaml";
    }

    void testUnsupportedStores()
    {
        QFETCH(QString, backend);
        auto store = m_stores.open(m_stores.fresh(backend));
        // A dotted key: a value in the file cfg-state.yaml / cfg.json.
        const QString key = QStringLiteral("cfg.value");
        QVERIFY(write(store.get(), key, Json{{"n", 1}}));
        HistoryModel history(store.get(), key);
        QAbstractItemModelTester tester(&history, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy failed(&history, &HistoryModel::failed);
        const Status s = await(history.reload());
        QCOMPARE(s.error().kind, ErrorKind::Unsupported);
        QVERIFY2(s.error().message.contains(QStringLiteral("history is kept by etcd and SQLite")),
                 qPrintable(s.error().message));
        QCOMPARE(failed.size(), 1);
        QCOMPARE(history.rowCount(), 0);
        QCOMPARE(await(history.restore(0)).error().kind, ErrorKind::Unsupported);
    }
};

QTEST_GUILESS_MAIN(TestConsoleHistory)
#include "tst_console_history.moc"
