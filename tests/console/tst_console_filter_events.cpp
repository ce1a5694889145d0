#include "TestSupport.h"
#include "config/StoreSpec.h"
#include "console/Actions.h"
#include "console/EventLog.h"
#include "console/FilterModel.h"
#include "console/KeyModel.h"
#include "console/Session.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;
using sd::test::await;

// FilterModel's syntax over KeyModel, EventLog's ring, and the action table.
class TestConsoleFilterEvents : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    std::unique_ptr<Session> session(const QString &name)
    {
        StoreSpec spec;
        spec.backend = QStringLiteral("sqlite");
        spec.options.insert(QStringLiteral("path"), m_dir.filePath(name));
        return std::move(Session::open(spec, name).value());
    }

    static void put(Provider *p, const QString &key, const QMap<QString, QString> &labels = {})
    {
        Entry e;
        e.key = key;
        e.value = Json{{"k", toStd(key)}};
        e.labels = labels;
        QVERIFY(await(p->put(e, {})).ok());
    }

    static QStringList shownKeys(const QAbstractItemModel &m, const QModelIndex &parent = {})
    {
        QStringList out;
        for (int r = 0; r < m.rowCount(parent); ++r) {
            const QModelIndex i = m.index(r, 0, parent);
            if (m.data(i, KeyModel::HasValueRole).toBool())
                out << m.data(i, KeyRole).toString();
            out += shownKeys(m, i);
        }
        out.sort();
        return out;
    }

private Q_SLOTS:
    void testFilterSpec_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QVariantMap>("labels");
        QTest::addColumn<bool>("matches");
        const QVariantMap web{{"app", "web"}, {"tier", "front"}};
        QTest::newRow("empty matches all") << "" << "anything" << QVariantMap() << true;
        QTest::newRow("substring") << "sess" << "app:session:1" << QVariantMap() << true;
        QTest::newRow("case-insensitive") << "SESS" << "app:session:1" << QVariantMap() << true;
        QTest::newRow("regex") << "^app:.*:1$" << "app:session:1" << QVariantMap() << true;
        QTest::newRow("regex miss") << "^session" << "app:session:1" << QVariantMap() << false;
        QTest::newRow("inverse") << "!session" << "app:session:1" << QVariantMap() << false;
        QTest::newRow("inverse keeps others") << "!session" << "app:user:1" << QVariantMap() << true;
        QTest::newRow("invalid regex is literal") << "a[1" << "x/a[1]" << QVariantMap() << true;
        QTest::newRow("label equals") << "-l app=web" << "k" << web << true;
        QTest::newRow("label equals, other value") << "-l app=db" << "k" << web << false;
        QTest::newRow("label not equal") << "-l tier!=back" << "k" << web << true;
        QTest::newRow("label not equal, missing label") << "-l zone!=a" << "k" << web << true;
        QTest::newRow("label exists") << "-l app" << "k" << web << true;
        QTest::newRow("label does not exist") << "-l !app" << "k" << web << false;
        QTest::newRow("all requirements") << "-l app=web,tier=back" << "k" << web << false;
        QTest::newRow("double equals") << "-l app==web" << "k" << web << true;
    }
    void testFilterSpec()
    {
        QFETCH(QString, filter);
        QFETCH(QString, key);
        QFETCH(QVariantMap, labels);
        QFETCH(bool, matches);
        const FilterSpec f = FilterSpec::parse(filter);
        QVERIFY2(f.error.isEmpty(), qPrintable(f.error));
        const bool got = f.labels.isEmpty() ? f.matchesKey(key) : f.matchesLabels(labels);
        QCOMPARE(got, matches);
    }

    void testFilterSpecErrors_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QString>("errorHas");
        QTest::newRow("no selector") << "-l" << "needs a label selector";
        QTest::newRow("bad requirement") << "-l app=a b" << "is not a label requirement";
        QTest::newRow("empty name") << "-l =x" << "is not a label requirement";
    }
    void testFilterSpecErrors()
    {
        QFETCH(QString, filter);
        QFETCH(QString, errorHas);
        const FilterSpec f = FilterSpec::parse(filter);
        QVERIFY2(f.error.contains(errorHas), qPrintable(f.error));
    }

    // Over a live KeyModel, flat and as a tree: prefixes stay to reach
    // their matching keys; rows arriving later are filtered too.
    void testFilterOverKeys_data()
    {
        QTest::addColumn<int>("mode");
        QTest::newRow("flat") << int(KeyModel::Flat);
        QTest::newRow("tree") << int(KeyModel::Tree);
    }
    void testFilterOverKeys()
    {
        QFETCH(int, mode);
        auto s = session(QStringLiteral("filter-%1.db").arg(mode));
        put(s->provider(), QStringLiteral("app/web/config"), {{"app", "web"}});
        put(s->provider(), QStringLiteral("app/db/config"), {{"app", "db"}});
        put(s->provider(), QStringLiteral("other"));
        KeyModel keys(s.get());
        keys.setMode(KeyModel::Mode(mode));
        keys.setHighlightDuration(std::chrono::milliseconds(0));
        FilterModel filter;
        filter.setSourceModel(&keys);
        QAbstractItemModelTester tester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
        s->start();
        keys.fetchAll();
        QTRY_VERIFY(keys.listingComplete());
        QTRY_VERIFY(s->freshness().fresh());
        filter.setFilterText(QStringLiteral("config"));
        QCOMPARE(shownKeys(filter), (QStringList{"app/db/config", "app/web/config"}));
        filter.setFilterText(QStringLiteral("-l app=web"));
        QCOMPARE(shownKeys(filter), QStringList{"app/web/config"});
        filter.setFilterText(QStringLiteral("!app/"));
        QCOMPARE(shownKeys(filter), QStringList{"other"});
        filter.setFilterText(QStringLiteral("config"));
        put(s->provider(), QStringLiteral("app/cache/config"));
        put(s->provider(), QStringLiteral("unrelated"));
        QTRY_COMPARE(shownKeys(filter), (QStringList{"app/cache/config", "app/db/config", "app/web/config"}));
        filter.setFilterText(QString());
        QTRY_COMPARE(shownKeys(filter).size(), 5);
    }

    // Sorting goes by SortRole: revisions as numbers, not text.
    void testSortByRevision()
    {
        auto s = session(QStringLiteral("sort.db"));
        for (int i = 0; i < 12; ++i)
            put(s->provider(), QStringLiteral("k%1").arg(i));
        KeyModel keys(s.get());
        keys.fetchAll();
        QTRY_VERIFY(keys.listingComplete());
        FilterModel filter;
        filter.setSourceModel(&keys);
        filter.sort(KeyModel::RevisionColumn, Qt::DescendingOrder);
        QCOMPARE(filter.data(filter.index(0, KeyModel::KeyColumn)).toString(), QStringLiteral("k11"));
        QCOMPARE(filter.data(filter.index(11, KeyModel::KeyColumn)).toString(), QStringLiteral("k0"));
    }

    // The ring keeps the newest `capacity` events; a storm becomes a few
    // block inserts; pause holds, resume shows; clear empties.
    void testEventLogRing()
    {
        EventLog log(nullptr, 100);
        QAbstractItemModelTester tester(&log, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserts(&log, &QAbstractItemModel::rowsInserted);
        for (int i = 0; i < 1000; ++i) {
            Event e;
            e.type = i % 3 == 0 ? Event::Type::Added : i % 3 == 1 ? Event::Type::Modified : Event::Type::Deleted;
            e.entry.key = QStringLiteral("k%1").arg(i);
            e.revision = QString::number(i);
            log.append(e);
        }
        QTRY_COMPARE(log.rowCount(), 100);
        QVERIFY2(inserts.count() <= 2, qPrintable(QString::number(inserts.count())));
        QCOMPARE(log.data(log.index(0, EventLog::KeyColumn)).toString(), QStringLiteral("k900"));
        QCOMPARE(log.data(log.index(99, EventLog::KeyColumn)).toString(), QStringLiteral("k999"));
        QCOMPARE(log.data(log.index(99, EventLog::TypeColumn)).toString(), QStringLiteral("ADDED"));
        QCOMPARE(log.data(log.index(99, 0), ToneRole).toInt(), int(Tone::Added));
        QCOMPARE(log.received(), qint64(1000));
        QCOMPARE(log.dropped(), qint64(900));
        log.pause();
        Event late;
        late.type = Event::Type::Modified;
        late.entry.key = QStringLiteral("late");
        log.append(late);
        QTest::qWait(20); // a flush would have happened by now
        QCOMPARE(log.data(log.index(99, EventLog::KeyColumn)).toString(), QStringLiteral("k999"));
        log.resume();
        QCOMPARE(log.data(log.index(99, EventLog::KeyColumn)).toString(), QStringLiteral("late"));
        log.clear();
        QCOMPARE(log.rowCount(), 0);
    }

    void testEventLogFollowsSession()
    {
        auto s = session(QStringLiteral("events.db"));
        EventLog log(s.get());
        s->start();
        QTRY_VERIFY(s->freshness().fresh());
        put(s->provider(), QStringLiteral("a"));
        QVERIFY(await(s->provider()->remove(QStringLiteral("a"), {})).ok());
        QTRY_COMPARE(log.rowCount(), 2);
        QCOMPARE(log.data(log.index(1, EventLog::TypeColumn)).toString(), QStringLiteral("DELETED"));
    }

    // The events view's filter: FilterModel over an EventLog filled by a
    // real store's watch, on the event's key; events that arrive while it
    // filters are shown only if they match, and the log itself keeps all.
    void testFilterEventLog_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QStringList>("shown"); // KEY of each row shown, in order
        QTest::addColumn<QStringList>("typesShown");
        QTest::newRow("none") << "" << QStringList{"app/a", "app/b", "db/x", "app/a", "app/c", "db/y"}
                              << QStringList{"ADDED", "ADDED", "ADDED", "DELETED", "ADDED", "ADDED"};
        QTest::newRow("substring") << "app/" << QStringList{"app/a", "app/b", "app/a", "app/c"}
                                   << QStringList{"ADDED", "ADDED", "DELETED", "ADDED"};
        QTest::newRow("inverse") << "!app" << QStringList{"db/x", "db/y"} << QStringList{"ADDED", "ADDED"};
        QTest::newRow("regular expression") << "^app/[ab]$" << QStringList{"app/a", "app/b", "app/a"}
                                            << QStringList{"ADDED", "ADDED", "DELETED"};
        QTest::newRow("any case") << "DB/" << QStringList{"db/x", "db/y"} << QStringList{"ADDED", "ADDED"};
        QTest::newRow("nothing matches") << "nope" << QStringList{} << QStringList{};
    }
    void testFilterEventLog()
    {
        QFETCH(QString, filter);
        QFETCH(QStringList, shown);
        QFETCH(QStringList, typesShown);
        auto s = session(QStringLiteral("event-filter-%1.db").arg(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('-')));
        EventLog log(s.get());
        FilterModel view;
        view.setSourceModel(&log);
        QAbstractItemModelTester tester(&view, QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setFilterText(filter);
        QCOMPARE(view.filterError(), QString());
        s->start();
        QTRY_VERIFY(s->freshness().fresh());
        put(s->provider(), QStringLiteral("app/a"));
        put(s->provider(), QStringLiteral("app/b"));
        put(s->provider(), QStringLiteral("db/x"));
        QVERIFY(await(s->provider()->remove(QStringLiteral("app/a"), {})).ok());
        QTRY_COMPARE(log.rowCount(), 4);
        // While it filters, more events come.
        put(s->provider(), QStringLiteral("app/c"));
        put(s->provider(), QStringLiteral("db/y"));
        QTRY_COMPARE(log.rowCount(), 6);
        QStringList keys, types;
        for (int r = 0; r < view.rowCount(); ++r) {
            keys << view.data(view.index(r, EventLog::KeyColumn)).toString();
            types << view.data(view.index(r, EventLog::TypeColumn)).toString();
        }
        QCOMPARE(keys, shown);
        QCOMPARE(types, typesShown);
        // Clearing the filter shows every event again; the log lost none.
        view.setFilterText(QString());
        QCOMPARE(view.rowCount(), 6);
        QCOMPARE(log.received(), qint64(6));
    }

    // The table the GUI and the TUI are built from.
    void testActionTable()
    {
        QSet<QString> ids;
        QSet<QString> views;
        for (const Action &a : Actions::all()) {
            QVERIFY2(!ids.contains(a.id), qPrintable(a.id));
            ids.insert(a.id);
            views.insert(a.view);
            QVERIFY2(!a.label.isEmpty(), qPrintable(a.id));
            QVERIFY2(!a.help.isEmpty(), qPrintable(a.id));
            QVERIFY2(!a.tuiKey.isEmpty(), qPrintable(a.id));
            QVERIFY2(!a.guiShortcut.isEmpty(), qPrintable(a.id));
            QVERIFY2(!a.destructive || a.confirmation != Confirmation::None, qPrintable(a.id));
        }
        // No two actions that answer keys at the same time share one: in
        // each view its own actions and the global ones, and in the GUI the
        // jobs ones too (jobs.cancel is live in every view while a job
        // runs). TUI keys compare as the exact tokens the TUI reads; GUI
        // shortcuts in one spelling (tst_gui_mainwindow compares them as
        // QKeySequence). The one exception, documented: in the TUI a view's
        // own action may shadow global.back's Esc (jobs.cancel).
        views.remove(QStringLiteral("global"));
        const auto ofView = [](const QString &view) {
            QList<const Action *> out;
            for (const Action &a : Actions::all())
                if (a.view == view)
                    out << &a;
            return out;
        };
        const QList<const Action *> global = ofView(QStringLiteral("global"));
        const QList<const Action *> jobs = ofView(QStringLiteral("jobs"));
        for (const QString &view : std::as_const(views)) {
            const QList<const Action *> own = ofView(view);
            QList<const Action *> tuiLive = own + global;
            QList<const Action *> guiLive = own + global;
            if (view != QLatin1String("jobs"))
                guiLive += jobs;
            for (qsizetype i = 0; i < tuiLive.size(); ++i)
                for (qsizetype j = i + 1; j < tuiLive.size(); ++j) {
                    const Action *a = tuiLive[i], *b = tuiLive[j];
                    if (a->tuiKey != b->tuiKey)
                        continue;
                    const bool shadowsBack = a->view == view && b->id == QLatin1String("global.back");
                    QVERIFY2(shadowsBack, qPrintable(QStringLiteral("TUI, %1 view: %2 and %3 share %4")
                                                         .arg(view, a->id, b->id, a->tuiKey)));
                    QVERIFY(Actions::mayShadow(*a, *b));
                    QCOMPARE(Actions::byTuiKey(view, a->tuiKey)->id, a->id);
                }
            for (qsizetype i = 0; i < guiLive.size(); ++i)
                for (qsizetype j = i + 1; j < guiLive.size(); ++j) {
                    const Action *a = guiLive[i], *b = guiLive[j];
                    QVERIFY2(Actions::normalShortcut(a->guiShortcut) != Actions::normalShortcut(b->guiShortcut),
                             qPrintable(QStringLiteral("GUI, %1 view: %2 and %3 share %4")
                                            .arg(view, a->id, b->id, a->guiShortcut)));
                    QVERIFY(Actions::liveTogether(*a, *b, true));
                }
        }
        // The rule the table, keys.yaml and both front ends share.
        const Action *cancel = Actions::find(QStringLiteral("jobs.cancel"));
        const Action *back = Actions::find(QStringLiteral("global.back"));
        const Action *cleanup = Actions::find(QStringLiteral("tasks.cleanup"));
        const Action *stop = Actions::find(QStringLiteral("keys.stop"));
        QVERIFY(cancel && back && cleanup && stop);
        QVERIFY(Actions::liveTogether(*cancel, *stop, true));
        QVERIFY(!Actions::liveTogether(*cancel, *stop, false));
        QVERIFY(!Actions::liveTogether(*cleanup, *stop, true));
        QVERIFY(Actions::mayShadow(*cancel, *back));
        QVERIFY(!Actions::mayShadow(*back, *cancel));
        QVERIFY(!Actions::mayShadow(*cancel, *Actions::find(QStringLiteral("global.help"))));
        // In the TUI's job view Esc is jobs.cancel; everywhere else Back.
        QCOMPARE(Actions::byTuiKey(QStringLiteral("jobs"), QStringLiteral("Esc"))->id, cancel->id);
        QCOMPARE(Actions::byTuiKey(QStringLiteral("keys"), QStringLiteral("Esc"))->id, back->id);
        for (const char *command : {"ctx", "ns", "keys", "cm", "secrets", "tasks", "events", "history", "export",
                                    "import", "migrate", "verify", "q"})
            QVERIFY2(Actions::byCommand(QLatin1String(command)), command);
    }

    // Two spellings of one GUI shortcut compare equal, different keys do not.
    void testNormalShortcut_data()
    {
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<bool>("same");
        QTest::newRow("modifier order") << "Shift+Ctrl+P" << "Ctrl+Shift+P" << true;
        QTest::newRow("case") << "ctrl+shift+p" << "Ctrl+Shift+P" << true;
        QTest::newRow("Esc") << "Esc" << "Escape" << true;
        QTest::newRow("Del") << "Ctrl+Del" << "Ctrl+Delete" << true;
        QTest::newRow("PgUp") << "PgUp" << "PageUp" << true;
        QTest::newRow("Control") << "Control+K" << "Ctrl+K" << true;
        QTest::newRow("plus key") << "Ctrl++" << "Ctrl++" << true;
        QTest::newRow("another modifier") << "Ctrl+Shift+X" << "Ctrl+Alt+X" << false;
        QTest::newRow("a modifier more") << "Ctrl+K" << "Ctrl+Shift+K" << false;
        QTest::newRow("function keys") << "F1" << "F11" << false;
        QTest::newRow("Return is not Enter") << "Return" << "Enter" << false;
    }
    void testNormalShortcut()
    {
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(bool, same);
        QCOMPARE(Actions::normalShortcut(a) == Actions::normalShortcut(b), same);
    }

    void testActionGuards_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<bool>("readOnly");
        QTest::addColumn<bool>("hasValue");
        QTest::addColumn<QString>("whyHas"); // empty: may run
        QTest::newRow("edit a key") << "keys.edit" << false << true << "";
        QTest::newRow("edit without a key") << "keys.edit" << false << false << "select a key";
        QTest::newRow("delete a key") << "keys.delete" << false << true << "";
        QTest::newRow("history on sqlite") << "keys.history" << false << true << "";
        QTest::newRow("reveal on sqlite") << "keys.reveal" << false << true << "not secret";
        QTest::newRow("edit, read-only") << "keys.edit" << true << true << "is read-only";
        QTest::newRow("delete, read-only") << "keys.delete" << true << true << "is read-only";
        QTest::newRow("import, read-only") << "global.import" << true << false << "is read-only";
        QTest::newRow("copy, read-only") << "keys.copy" << true << true << "";
        QTest::newRow("history, read-only") << "keys.history" << true << true << "";
    }
    void testActionGuards()
    {
        QFETCH(QString, action);
        QFETCH(bool, readOnly);
        QFETCH(bool, hasValue);
        QFETCH(QString, whyHas);
        StoreSpec spec;
        spec.backend = QStringLiteral("sqlite");
        spec.options.insert(QStringLiteral("path"), m_dir.filePath(QStringLiteral("guards.db")));
        { auto create = session(QStringLiteral("guards.db")); } // the file exists before a read-only open
        SessionOptions o;
        o.readOnly = readOnly;
        auto opened = Session::open(spec, QStringLiteral("guards"), o);
        QVERIFY2(opened.ok(), qPrintable(opened.error().toString()));
        auto s = std::move(opened).value();
        QCOMPARE(s->readOnly(), readOnly);
        Selection sel;
        sel.key = QStringLiteral("k");
        sel.hasValue = hasValue;
        sel.count = 1;
        const Action *a = Actions::find(action);
        QVERIFY(a);
        const std::optional<QString> why = Actions::whyNot(*a, s.get(), sel);
        QCOMPARE(why.has_value(), !whyHas.isEmpty());
        if (why)
            QVERIFY2(why->contains(whyHas), qPrintable(*why));
        QCOMPARE(Actions::confirmationFor(*a, true) == Confirmation::TypeKeyName, a->destructive);
    }
};

QTEST_GUILESS_MAIN(TestConsoleFilterEvents)
#include "tst_console_filter_events.moc"
