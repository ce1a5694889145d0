#include "GuiTestSupport.h"
#include "console/KeyBindings.h"

#include "CodeEditor.h"
#include "CommandPalette.h"
#include "EventsPanel.h"
#include "NotificationArea.h"
#include "Theme.h"
#include "console/Actions.h"
#include "console/EventLog.h"

#include <QAbstractButton>
#include <QFile>
#include <QAction>
#include <QClipboard>
#include <QLabel>
#include <QLineEdit>
#include <QTableWidget>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;
using namespace sd::widgets;
using namespace sd::test::gui;
using sd::test::await;

// The desktop console over SQLite, driven as a user drives it: the key
// browser lists lazily and filters, selecting opens the value, an edit is
// validated as it is typed and saved after its diff, a conflict made by
// another process is resolved each way, deletes ask, the menus and the
// command palette hold every action of the table.
class TestGuiMainWindow : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_stores = 0;

    struct Fixture {
        std::unique_ptr<MainWindow> window;
        ConsolePane *pane = nullptr;
        std::unique_ptr<Provider> writer; // a second connection to the same database
        QString path;
    };

    // A fresh database holding `entries`, opened in a fresh window.
    Fixture open(const QList<QPair<QString, Json>> &entries)
    {
        Fixture f;
        f.path = m_dir.filePath(QStringLiteral("store%1.db").arg(++m_stores));
        f.writer = std::move(openProvider(sqliteSpec(f.path)).value());
        if (!fill(f.writer.get(), entries))
            qWarning("could not fill the store");
        f.window = makeWindow(m_dir.filePath(QStringLiteral("connections.yaml")));
        if (!f.window->openSpec(sqliteSpec(f.path), QStringLiteral("test")))
            return f;
        f.pane = f.window->currentPane();
        if (!settled(f.pane))
            qWarning("the window did not settle");
        return f;
    }

    static QList<QPair<QString, Json>> sample()
    {
        return {{QStringLiteral("app/config"), Json{{"replicas", 2}, {"image", "web:1.0"}}},
                {QStringLiteral("app/flags"), Json{{"beta", false}}},
                {QStringLiteral("db/primary"), Json{{"host", "db-1"}, {"port", 5432}}},
                {QStringLiteral("greeting"), Json("hello")}};
    }

    // Another process writes (statedeckctl), as a colleague would.
    bool writeFromOutside(const QString &path, const QString &key, const QByteArray &json)
    {
        const sd::test::ProgramRun r = sd::test::runProgram(
            QStringLiteral(SD_STATEDECKCTL),
            {QStringLiteral("--store"), QStringLiteral("sqlite://") + path, QStringLiteral("put"), key, QStringLiteral("-")},
            sd::test::isolatedEnvironment(m_dir.path()), json);
        if (r.code != 0)
            qWarning("%s", qPrintable(r.describe()));
        return r.code == 0;
    }

    static QStringList menuActionIds(QMenuBar *bar)
    {
        QStringList ids;
        std::function<void(QMenu *)> walk = [&](QMenu *m) {
            for (QAction *a : m->actions()) {
                if (a->menu())
                    walk(a->menu());
                else if (!a->data().toString().isEmpty())
                    ids << a->data().toString();
            }
        };
        for (QAction *a : bar->actions())
            if (a->menu())
                walk(a->menu());
        return ids;
    }

    // Saves through the diff dialog, as Ctrl+S then Write.
    static DiffDialog *saveWithDiff(EntryPanel *panel)
    {
        panel->requestSave();
        DiffDialog *d = waitForDialog<DiffDialog>(panel);
        if (d)
            d->writeButton()->click();
        return d;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(isolateHome(m_dir));
    }

    // 100k keys: the first screen comes from one page, scrolling reads the
    // next, "List all" the rest; the status line never calls a partial
    // listing complete, and the filter narrows at once.
    void testBrowseAndFilterHundredThousandKeys()
    {
        QList<QPair<QString, Json>> entries;
        for (int i = 0; i < 100000; ++i)
            entries.append({QStringLiteral("%1/key-%2").arg(i % 10 == 0 ? QStringLiteral("hot") : QStringLiteral("bulk"))
                                 .arg(i, 6, 10, QLatin1Char('0')),
                             Json(i)});
        Fixture f = open(entries);
        QVERIFY(f.pane);
        KeyBrowser *browser = f.pane->keyBrowser();
        KeyModel *keys = browser->keyModel();
        QCOMPARE(keys->loadedCount(), qint64(500));
        QVERIFY2(browser->statusText().contains(QLatin1String("still listing")), qPrintable(browser->statusText()));
        QVERIFY(browser->findChild<QPushButton *>(QStringLiteral("stopListing"))->isVisible());

        // Scrolling to the end reads the next page.
        browser->view()->scrollToBottom();
        QTRY_VERIFY_WITH_TIMEOUT(keys->loadedCount() >= 1000, 20000);
        QVERIFY(!keys->listingComplete());

        // Stop, then List all.
        f.window->action(QStringLiteral("keys.stop"))->trigger();
        QTRY_VERIFY(browser->statusText().contains(QLatin1String("stopped")));
        QVERIFY(browser->findChild<QPushButton *>(QStringLiteral("resumeListing"))->isVisible());
        browser->listAll();
        QTRY_VERIFY_WITH_TIMEOUT(keys->listingComplete(), 120000);
        QCOMPARE(keys->loadedCount(), qint64(100000));
        QVERIFY2(browser->statusText().contains(QLatin1String("100,000 keys loaded, listing complete")),
                 qPrintable(browser->statusText()));
        QVERIFY(!browser->findChild<QPushButton *>(QStringLiteral("stopListing"))->isVisible());

        // The filter box narrows, inverts, and says what it could not parse.
        QTest::keyClicks(browser->filterEdit(), QStringLiteral("^hot/"));
        QCOMPARE(browser->filterModel()->rowCount(), 10000);
        QVERIFY2(browser->statusText().startsWith(QLatin1String("10,000 matches")), qPrintable(browser->statusText()));
        browser->filterEdit()->setText(QStringLiteral("!^hot/"));
        QCOMPARE(browser->filterModel()->rowCount(), 90000);
        browser->filterEdit()->setText(QStringLiteral("-l =web"));
        QVERIFY2(browser->statusText().startsWith(QLatin1String("Filter ignored")), qPrintable(browser->statusText()));
        QCOMPARE(browser->filterModel()->rowCount(), 100000);
        browser->filterEdit()->clear();
        shot(f.window.get(), QStringLiteral("browse-100k"));
    }

    void testSelectingOpensTheEntry()
    {
        Fixture f = open(sample());
        QVERIFY(f.pane);
        KeyBrowser *browser = f.pane->keyBrowser();
        QTRY_COMPARE(browser->keyModel()->loadedCount(), qint64(4));
        QVERIFY(browser->statusText().contains(QLatin1String("4 keys loaded, listing complete")));
        // Sorted by key.
        QCOMPARE(browser->filterModel()->index(0, 0).data(KeyRole).toString(), QStringLiteral("app/config"));
        QCOMPARE(browser->filterModel()->index(3, 0).data(KeyRole).toString(), QStringLiteral("greeting"));

        QVERIFY(openKey(f.pane, QStringLiteral("db/primary")));
        EntryPanel *entry = f.pane->entryPanel();
        QCOMPARE(entry->editor()->toPlainText(), QStringLiteral("{\n  \"host\": \"db-1\",\n  \"port\": 5432\n}\n"));
        QVERIFY(entry->editor()->highlighting());
        QCOMPARE(entry->findChild<QLabel *>(QStringLiteral("metaRevision"))->text(),
                 entry->document()->base().revision);
        QVERIFY(!entry->document()->base().revision.isEmpty());
        QCOMPARE(entry->findChild<QLabel *>(QStringLiteral("entryKey"))->text(), QStringLiteral("db/primary"));

        // A string value is edited as the text it is.
        QVERIFY(openKey(f.pane, QStringLiteral("greeting")));
        QCOMPARE(entry->editor()->toPlainText(), QStringLiteral("hello"));
        shot(f.window.get(), QStringLiteral("entry-open"));

        // Copy key.
        f.window->action(QStringLiteral("keys.copyKey"))->trigger();
        QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("greeting"));
    }

    // Typing is validated at once: the error line is marked and the message
    // says where; Save is refused until the text parses, then shows the
    // diff and writes at the revision read.
    void testEditValidateAndSave()
    {
        Fixture f = open(sample());
        QVERIFY(f.pane);
        QVERIFY(openKey(f.pane, QStringLiteral("app/config")));
        EntryPanel *entry = f.pane->entryPanel();
        QAction *save = f.window->action(QStringLiteral("entry.save"));
        QVERIFY(!save->isEnabled());
        QCOMPARE(save->toolTip(), QStringLiteral("nothing changed"));
        const QString revision = entry->document()->base().revision;

        typeText(entry, QStringLiteral("{\n  \"replicas\": 3,\n  \"image\": \"web:1.1\"\n  \"extra\": true\n}\n"));
        QCOMPARE(entry->document()->validation().ok, false);
        QCOMPARE(entry->editor()->errorLine(), 4);
        QVERIFY2(entry->validationText().startsWith(QLatin1String("Line 4")), qPrintable(entry->validationText()));
        QVERIFY(!save->isEnabled());
        QVERIFY2(save->toolTip().startsWith(QLatin1String("fix line 4 first")), qPrintable(save->toolTip()));
        shot(f.window.get(), QStringLiteral("entry-invalid"));

        typeText(entry, QStringLiteral("{\n  \"replicas\": 3,\n  \"image\": \"web:1.1\"\n}\n"));
        QVERIFY(entry->document()->validation().ok);
        QCOMPARE(entry->editor()->errorLine(), 0);
        QVERIFY(save->isEnabled());

        save->trigger();
        DiffDialog *diff = waitForDialog<DiffDialog>(entry);
        QVERIFY(diff);
        QVERIFY2(diff->diffText().contains(QLatin1String("-  \"replicas\": 2,")), qPrintable(diff->diffText()));
        QVERIFY(diff->diffText().contains(QLatin1String("+  \"replicas\": 3,")));
        shot(diff, QStringLiteral("save-diff"));
        QSignalSpy saved(entry->document(), &EntryDocument::saved);
        diff->writeButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20000);
        const auto stored = await(f.writer->get(QStringLiteral("app/config")));
        QCOMPARE(stored->value, (Json{{"replicas", 3}, {"image", "web:1.1"}}));
        QVERIFY(stored->revision != revision);
        QCOMPARE(entry->document()->state(), EntryDocument::State::Clean);
        QVERIFY2(f.window->notifications()->currentText().startsWith(QLatin1String("Saved app/config")),
                 qPrintable(f.window->notifications()->currentText()));

        // YAML and back, pretty and compact.
        f.window->action(QStringLiteral("entry.format"))->trigger();
        QCOMPARE(entry->document()->format(), EntryDocument::Format::Yaml);
        QVERIFY2(entry->editor()->toPlainText().contains(QLatin1String("replicas: 3")),
                 qPrintable(entry->editor()->toPlainText()));
        f.window->action(QStringLiteral("entry.format"))->trigger();
        entry->compact();
        QCOMPARE(entry->editor()->toPlainText(), QStringLiteral("{\"replicas\":3,\"image\":\"web:1.1\"}\n"));
        entry->pretty();
        QCOMPARE(entry->document()->dirty(), false);

        // A new key is created once.
        entry->openNew(QStringLiteral("app/new"));
        typeText(entry, QStringLiteral("{\"created\": true}"));
        QSignalSpy created(entry->document(), &EntryDocument::saved);
        QVERIFY(saveWithDiff(entry));
        QTRY_COMPARE_WITH_TIMEOUT(created.count(), 1, 20000);
        QCOMPARE(await(f.writer->get(QStringLiteral("app/new")))->value, (Json{{"created", true}}));
        QTRY_VERIFY(f.pane->keyBrowser()->keyModel()->indexOfKey(QStringLiteral("app/new")).isValid());
        QTRY_COMPARE(f.pane->keyBrowser()->currentKey(), QStringLiteral("app/new"));
    }

    // Another process writes between open and save: the conflict dialog
    // shows base, theirs and mine, and each choice ends right.
    void testConflict_data()
    {
        QTest::addColumn<QString>("choice");
        QTest::addColumn<QByteArray>("theirs");
        QTest::addColumn<QString>("expected"); // in the store at the end; "" when nothing is written
        QTest::newRow("take theirs") << "theirs" << QByteArray(R"({"a":1,"b":20})") << R"({"a":1,"b":20})";
        QTest::newRow("keep mine") << "mine" << QByteArray(R"({"a":1,"b":20})") << R"({"a":10,"b":2})";
        QTest::newRow("merge apart") << "merge" << QByteArray(R"({"a":1,"b":20})") << R"({"a":10,"b":20})";
        QTest::newRow("merge, same member") << "clash" << QByteArray(R"({"a":99,"b":2})") << "";
    }
    void testConflict()
    {
        QFETCH(QString, choice);
        QFETCH(QByteArray, theirs);
        QFETCH(QString, expected);
        Fixture f = open({{QStringLiteral("conflicted"), Json{{"a", 1}, {"b", 2}}}});
        QVERIFY(f.pane);
        QVERIFY(openKey(f.pane, QStringLiteral("conflicted")));
        EntryPanel *entry = f.pane->entryPanel();
        const QString mine = QStringLiteral("{\n  \"a\": 10,\n  \"b\": 2\n}\n");
        typeText(entry, mine);
        QVERIFY(writeFromOutside(f.path, QStringLiteral("conflicted"), theirs));

        QVERIFY(saveWithDiff(entry));
        ConflictDialog *dialog = waitForDialog<ConflictDialog>(entry);
        QVERIFY(dialog);
        QCOMPARE(entry->document()->state(), EntryDocument::State::Conflict);
        QCOMPARE(dialog->basePane()->toPlainText(), QStringLiteral("{\n  \"a\": 1,\n  \"b\": 2\n}\n"));
        QCOMPARE(dialog->minePane()->toPlainText(), mine);
        QCOMPARE(EntryDocument::render(parseJson(dialog->theirsPane()->toPlainText().toUtf8()),
                                       EntryDocument::Format::Json),
                 EntryDocument::render(parseJson(theirs), EntryDocument::Format::Json));
        QVERIFY(entry->noticeText().contains(QLatin1String("Someone else changed")));
        QVERIFY(f.window->action(QStringLiteral("entry.merge"))->isEnabled());
        shot(dialog, QStringLiteral("conflict-") + choice);

        if (choice == QLatin1String("theirs")) {
            dialog->button(ConflictDialog::Choice::TakeTheirs)->click();
            QCOMPARE(entry->document()->state(), EntryDocument::State::Clean);
            QCOMPARE(entry->document()->parsedMine().value(), parseJson(theirs));
            QCOMPARE(entry->document()->discardedText(), mine); // nothing typed is lost
            QVERIFY(entry->noticeText().contains(QLatin1String("kept aside")));
            entry->restoreDiscarded();
            QCOMPARE(entry->editor()->toPlainText(), mine);
            QCOMPARE(entry->document()->state(), EntryDocument::State::Modified);
        } else if (choice == QLatin1String("mine")) {
            QSignalSpy saved(entry->document(), &EntryDocument::saved);
            dialog->button(ConflictDialog::Choice::KeepMine)->click();
            QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20000);
        } else if (choice == QLatin1String("merge")) {
            dialog->button(ConflictDialog::Choice::Merge)->click();
            QCOMPARE(entry->document()->state(), EntryDocument::State::Modified);
            QSignalSpy saved(entry->document(), &EntryDocument::saved);
            QVERIFY(saveWithDiff(entry));
            QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20000);
        } else {
            dialog->button(ConflictDialog::Choice::Merge)->click();
            QVERIFY(entry->document()->hasConflictMarkers());
            QVERIFY2(entry->editor()->toPlainText().contains(QLatin1String("<<<<<<< mine")),
                     qPrintable(entry->editor()->toPlainText()));
            QVERIFY(!f.window->action(QStringLiteral("entry.save"))->isEnabled());
            QVERIFY(f.window->action(QStringLiteral("entry.save"))->toolTip().contains(QLatin1String("conflict markers")));
            shot(f.window.get(), QStringLiteral("conflict-markers"));
        }
        const auto stored = await(f.writer->get(QStringLiteral("conflicted")));
        QVERIFY(stored.ok());
        if (!expected.isEmpty())
            QCOMPARE(stored->value, parseJson(expected.toUtf8()));
        else
            QCOMPARE(stored->value, parseJson(theirs)); // nothing of mine was written
    }

    // Delete asks (yes or no here: connections.yaml has no production
    // marker yet), and deletes only what was read.
    void testDelete()
    {
        Fixture f = open(sample());
        QVERIFY(f.pane);
        QAction *del = f.window->action(QStringLiteral("keys.delete"));
        QVERIFY(!del->isEnabled());
        QCOMPARE(del->toolTip(), QStringLiteral("select a key first"));
        QVERIFY(openKey(f.pane, QStringLiteral("app/flags")));
        QVERIFY(del->isEnabled());

        del->trigger();
        ConfirmDialog *ask = waitForDialog<ConfirmDialog>(f.pane->entryPanel());
        QVERIFY(ask);
        QVERIFY(!ask->typedName());
        ask->reject();
        QVERIFY(await(f.writer->get(QStringLiteral("app/flags"))).ok());

        del->trigger();
        ask = waitForDialog<ConfirmDialog>(f.pane->entryPanel());
        QVERIFY(ask);
        QSignalSpy removed(f.pane->entryPanel()->document(), &EntryDocument::removed);
        ask->confirmButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(removed.count(), 1, 20000);
        QCOMPARE(await(f.writer->get(QStringLiteral("app/flags"))).error().kind, ErrorKind::NotFound);
        QTRY_VERIFY(!f.pane->keyBrowser()->keyModel()->indexOfKey(QStringLiteral("app/flags")).isValid());
    }

    // On a production connection the key's name must be typed.
    void testConfirmTypedName()
    {
        const Action *del = Actions::find(QStringLiteral("keys.delete"));
        QVERIFY(del);
        QCOMPARE(Actions::confirmationFor(*del, true), Confirmation::TypeKeyName);
        ConfirmDialog dialog(*del, Confirmation::TypeKeyName, QStringLiteral("prod/key"), QString());
        QVERIFY(dialog.typedName());
        QVERIFY(!dialog.confirmButton()->isEnabled());
        QTest::keyClicks(dialog.typedName(), QStringLiteral("prod/ke"));
        QVERIFY(!dialog.confirmButton()->isEnabled());
        QTest::keyClicks(dialog.typedName(), QStringLiteral("y"));
        QVERIFY(dialog.confirmButton()->isEnabled());
    }

    // `statedeck --read-only`, the real binary on the offscreen platform:
    // the store it is given is opened read-only, so a SQLite database that
    // does not exist is not created (a writable window creates it and its
    // schema on first use: the control row), and an existing one's bytes
    // stay as they were.
    void testReadOnlyFlag_data()
    {
        QTest::addColumn<bool>("readOnly");
        QTest::addColumn<bool>("exists");
        QTest::newRow("--read-only, no database") << true << false;
        QTest::newRow("--read-only, a store") << true << true;
        QTest::newRow("writable, no database") << false << false;
    }
    void testReadOnlyFlag()
    {
        QFETCH(bool, readOnly);
        QFETCH(bool, exists);
        const QString gui = sd::test::builtProgram(QStringLiteral("statedeck"));
        QVERIFY2(!gui.isEmpty(), "build the statedeck target first");
        const QString path = m_dir.filePath(QStringLiteral("flag%1.db").arg(++m_stores));
        QByteArray before;
        if (exists) {
            QVERIFY(fill(openProvider(sqliteSpec(path)).value().get(), sample()));
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            before = f.readAll();
        }
        QStringList args{QStringLiteral("--no-settings"), QStringLiteral("--screenshot"),
                         m_dir.filePath(QStringLiteral("flag%1.png").arg(m_stores)), QStringLiteral("sqlite://") + path};
        if (readOnly)
            args.prepend(QStringLiteral("--read-only"));
        QProcessEnvironment env = sd::test::isolatedEnvironment(m_dir.path());
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        const sd::test::ProgramRun r = sd::test::runProgram(gui, args, env, {}, 60000);
        QVERIFY2(r.code == 0, qPrintable(r.describe()));
        QVERIFY2(r.err.contains("saved") && !r.err.contains("did not settle"), r.err.constData());
        QCOMPARE(QFile::exists(path), exists || !readOnly);
        if (exists) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            QVERIFY(f.readAll() == before);
        }
    }

    // A window opened read-only (what --read-only sets): every write action
    // is off with the reason naming the connection, running one anyway only
    // says so, and the store is as it was.
    void testReadOnlyWindowRefusesWrites()
    {
        const QString path = m_dir.filePath(QStringLiteral("store%1.db").arg(++m_stores));
        auto writer = openProvider(sqliteSpec(path)).value();
        QVERIFY(fill(writer.get(), sample()));
        const auto readAll = [&] {
            QMap<QString, QString> out;
            const Result<ListPage> page = await(writer->list({}));
            if (page.ok())
                for (const Entry &e : page->entries)
                    out.insert(e.key, e.revision);
            return out;
        };
        const QMap<QString, QString> before = readAll();
        auto w = makeWindow(testOptions(m_dir.filePath(QStringLiteral("connections.yaml")), true));
        QVERIFY(w->openSpec(sqliteSpec(path), QStringLiteral("prod")));
        ConsolePane *pane = w->currentPane();
        QVERIFY(pane && settled(pane));
        QVERIFY(pane->session()->readOnly());
        QVERIFY(openKey(pane, QStringLiteral("greeting")));
        w->updateActions();
        int writing = 0;
        for (const Action &a : Actions::all()) {
            if (!a.writes)
                continue;
            ++writing;
            QAction *qa = w->action(a.id);
            QVERIFY2(!qa->isEnabled(), qPrintable(a.id));
            if (a.id.startsWith(QLatin1String("keys.")) || a.id == QLatin1String("global.import"))
                QVERIFY2(qa->toolTip() == QStringLiteral("connection \"prod\" is read-only"),
                         qPrintable(a.id + QStringLiteral(": ") + qa->toolTip()));
        }
        QVERIFY(writing > 0);
        for (const char *id : {"keys.delete", "keys.edit", "keys.new", "global.import"}) {
            const Action *a = Actions::find(QLatin1String(id));
            const qsizetype said = w->notifications()->messages().size();
            w->run(a->id);
            QVERIFY2(w->notifications()->messages().size() > said, id);
            QCOMPARE(w->notifications()->messages().last().text,
                     a->label + QStringLiteral(": connection \"prod\" is read-only"));
            QVERIFY(!QApplication::activeModalWidget());
        }
        QCOMPARE(readAll(), before);
    }

    // connections.yaml's `production: true` and `color:`: badges in the
    // sidebar and the title, and a delete that wants the key's name typed.
    void testProductionConnection()
    {
        const QString db = m_dir.filePath(QStringLiteral("production.db"));
        QVERIFY(fill(openProvider(sqliteSpec(db)).value().get(), sample()));
        const QString yaml = m_dir.filePath(QStringLiteral("production-connections.yaml"));
        QFile file(yaml);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QStringLiteral("connections:\n  prod:\n    url: sqlite://%1\n    production: true\n"
                                  "    color: \"#c0392b\"\n  staging:\n    url: sqlite://%1\n    readOnly: true\n")
                       .arg(db)
                       .toUtf8());
        file.close();
        auto window = makeWindow(yaml);
        QCOMPARE(window->sidebar()->itemText(QStringLiteral("connection:prod")), QStringLiteral("prod [production]"));
        QCOMPARE(window->sidebar()->itemText(QStringLiteral("connection:staging")), QStringLiteral("staging [read-only]"));
        QVERIFY(window->openConnection(QStringLiteral("connection:prod")));
        ConsolePane *pane = window->currentPane();
        QVERIFY(settled(pane));
        QVERIFY(pane->production());
        QCOMPARE(pane->colour(), QStringLiteral("#c0392b"));
        QWidget *band = pane->findChild<QWidget *>(QStringLiteral("paneColour"));
        QVERIFY(band && band->isVisible());
        QCOMPARE(band->palette().color(QPalette::Window), QColor(0xc0, 0x39, 0x2b));
        QVERIFY(pane->findChild<QLabel *>(QStringLiteral("paneTitle"))->text().contains(QLatin1String("[production]")));
        QVERIFY(openKey(pane, QStringLiteral("greeting")));
        window->run(QStringLiteral("keys.delete"));
        auto *confirm = waitForDialog<ConfirmDialog>(pane);
        QVERIFY(confirm);
        QVERIFY(confirm->typedName());
        QVERIFY(!confirm->confirmButton()->isEnabled());
        shot(window.get(), QStringLiteral("production-delete"));
        QTest::keyClicks(confirm->typedName(), QStringLiteral("greeting"));
        QVERIFY(confirm->confirmButton()->isEnabled());
        confirm->confirmButton()->click();
        auto p = openProvider(sqliteSpec(db));
        QTRY_COMPARE_WITH_TIMEOUT(await(p.value()->get(QStringLiteral("greeting"))).error().kind, ErrorKind::NotFound, 20000);
    }

    // A value near 1 MiB opens, without colouring (kept cheap), whole.
    void testBigValueOpens()
    {
        Json big = Json::object();
        for (int i = 0; i < 20000; ++i)
            big[toStd(QStringLiteral("member-%1").arg(i, 5, 10, QLatin1Char('0')))] = std::string(30, 'x');
        Fixture f = open({{QStringLiteral("big"), big}, {QStringLiteral("small"), Json{{"a", 1}}}});
        QVERIFY(f.pane);
        QVERIFY(openKey(f.pane, QStringLiteral("big")));
        EntryPanel *entry = f.pane->entryPanel();
        QVERIFY(entry->editor()->document()->characterCount() > CodeEditor::kHighlightLimit);
        QVERIFY(!entry->editor()->highlighting());
        QCOMPARE(entry->editor()->blockCount(), 20003);
        // Typing in it reaches the document after a pause, still validated.
        QTextCursor c(entry->editor()->document());
        c.movePosition(QTextCursor::End);
        entry->editor()->setTextCursor(c);
        QTest::keyClicks(entry->editor(), QStringLiteral("oops"));
        QTRY_VERIFY(!entry->document()->validation().ok);
        QVERIFY(f.pane->keyBrowser()->selectKey(QStringLiteral("small"))); // asks about the edit first
        auto *question = waitForDialog<QMessageBox>(f.pane);
        QVERIFY(question);
        for (QAbstractButton *b : question->buttons())
            if (b->text() == QLatin1String("Drop the edit"))
                b->click();
        QTRY_VERIFY(entry->hasEntry() && entry->document()->key() == QLatin1String("small"));
        QVERIFY(entry->editor()->highlighting());
    }

    // Moving away from an unsaved edit asks; "Keep editing" goes back to it
    // with the text intact.
    void testUnsavedEditIsNotDropped()
    {
        Fixture f = open(sample());
        QVERIFY(f.pane);
        QVERIFY(openKey(f.pane, QStringLiteral("app/config")));
        EntryPanel *entry = f.pane->entryPanel();
        const QString edited = QStringLiteral("{\"replicas\": 7}\n");
        typeText(entry, edited);
        QVERIFY(f.pane->keyBrowser()->selectKey(QStringLiteral("db/primary")));
        auto *question = waitForDialog<QMessageBox>(f.pane);
        QVERIFY(question);
        shot(question, QStringLiteral("unsaved-question"));
        for (QAbstractButton *b : question->buttons())
            if (b->text() == QLatin1String("Keep editing"))
                b->click();
        QTRY_COMPARE(f.pane->keyBrowser()->currentKey(), QStringLiteral("app/config"));
        QCOMPARE(entry->document()->key(), QStringLiteral("app/config"));
        QCOMPARE(entry->editor()->toPlainText(), edited);
    }

    // The store changes the open key: a clean value is read again, an
    // edited one is told so.
    void testOpenKeyChangedInStore()
    {
        Fixture f = open(sample());
        QVERIFY(f.pane);
        QVERIFY(openKey(f.pane, QStringLiteral("db/primary")));
        EntryPanel *entry = f.pane->entryPanel();
        QTRY_VERIFY(f.pane->session()->freshness().fresh());
        QVERIFY(writeFromOutside(f.path, QStringLiteral("db/primary"), R"({"host":"db-2"})"));
        QTRY_VERIFY_WITH_TIMEOUT(entry->editor()->toPlainText().contains(QLatin1String("db-2")), 20000);

        typeText(entry, QStringLiteral("{\"host\": \"db-3\"}"));
        QVERIFY(writeFromOutside(f.path, QStringLiteral("db/primary"), R"({"host":"db-4"})"));
        QTRY_VERIFY_WITH_TIMEOUT(entry->noticeText().contains(QLatin1String("changed in the store")), 20000);
        QCOMPARE(entry->editor()->toPlainText(), QStringLiteral("{\"host\": \"db-3\"}"));
    }

    // Watch events: the events dock lists them (pause, clear, filter) and
    // the changed row flashes in its tone.
    void testLiveEvents()
    {
        Fixture f = open(sample());
        QVERIFY(f.pane);
        QTRY_VERIFY(f.pane->session()->freshness().fresh());
        EventsPanel *events = f.window->eventsPanel();
        QCOMPARE(events->log(), f.pane->eventLog());
        const int before = events->shownRows();
        QVERIFY(writeFromOutside(f.path, QStringLiteral("app/flags"), R"({"beta":true})"));
        QTRY_VERIFY_WITH_TIMEOUT(events->shownRows() > before, 20000);
        const QModelIndex row = f.pane->keyBrowser()->filterModel()->mapFromSource(
            f.pane->keyBrowser()->keyModel()->indexOfKey(QStringLiteral("app/flags")));
        QTRY_COMPARE(row.data(ToneRole).toInt(), int(Tone::Modified));

        f.window->action(QStringLiteral("events.pause"))->trigger();
        QVERIFY(f.pane->eventLog()->paused());
        const int paused = events->shownRows();
        QVERIFY(writeFromOutside(f.path, QStringLiteral("new/key"), R"(1)"));
        QTRY_VERIFY_WITH_TIMEOUT(f.pane->keyBrowser()->keyModel()->indexOfKey(QStringLiteral("new/key")).isValid(),
                                 20000);
        QCOMPARE(events->shownRows(), paused);
        QVERIFY2(events->countsText().contains(QLatin1String("paused")), qPrintable(events->countsText()));
        f.window->action(QStringLiteral("events.pause"))->trigger();
        QTRY_VERIFY(events->shownRows() > paused);

        events->filterEdit()->setText(QStringLiteral("^new/"));
        QCOMPARE(events->shownRows(), 1);
        events->filterEdit()->clear();
        shot(f.window.get(), QStringLiteral("events"));
        f.window->action(QStringLiteral("events.clear"))->trigger();
        QCOMPARE(events->shownRows(), 0);
    }

    void testTreeMode()
    {
        Fixture f = open(sample());
        QVERIFY(f.pane);
        KeyBrowser *browser = f.pane->keyBrowser();
        f.window->action(QStringLiteral("keys.tree"))->trigger();
        QVERIFY(browser->treeMode());
        QTRY_VERIFY(browser->keyModel()->listingComplete());
        // app/, db/, greeting
        QCOMPARE(browser->filterModel()->rowCount(), 3);
        QVERIFY(browser->selectKey(QStringLiteral("app/config")));
        QTRY_VERIFY(f.pane->entryPanel()->hasEntry());
        browser->view()->setCurrentIndex(browser->filterModel()->index(0, 0));
        QTRY_VERIFY(!f.pane->entryPanel()->hasEntry());
        QVERIFY(f.pane->entryPanel()->findChild<QLabel *>(QStringLiteral("entryPlaceholder"))->text().contains(
            QLatin1String("2 keys loaded under this prefix")));
        shot(f.window.get(), QStringLiteral("tree"));
    }

    // Every action of the table is in the menus, with its shortcut; the
    // enabled state and the tooltip come from Actions::whyNot.
    void testMenusHoldEveryAction()
    {
        Fixture f = open(sample());
        QVERIFY(f.pane);
        const QStringList inMenus = menuActionIds(f.window->menuBar());
        for (const Action &a : Actions::all()) {
            QVERIFY2(inMenus.contains(a.id), qPrintable(a.id));
            QAction *qa = f.window->action(a.id);
            QVERIFY(qa);
            if (a.id != QLatin1String("keys.tree") && a.id != QLatin1String("events.pause")) // they say their state
                QCOMPARE(qa->text(), a.label);
            QCOMPARE(qa->shortcut(), QKeySequence(a.guiShortcut));
            if (!qa->isEnabled())
                QVERIFY2(!qa->toolTip().isEmpty() && qa->toolTip() != a.help, qPrintable(a.id));
        }
        // No selection: the table's own reason.
        QCOMPARE(f.window->action(QStringLiteral("keys.edit"))->toolTip(), QStringLiteral("select a key first"));
        // SQLite keeps history: only the selection is missing.
        QCOMPARE(f.window->action(QStringLiteral("keys.history"))->toolTip(), QStringLiteral("select a key first"));
        QVERIFY(!f.window->action(QStringLiteral("keys.reveal"))->isEnabled());
        QVERIFY(openKey(f.pane, QStringLiteral("greeting")));
        QVERIFY(f.window->action(QStringLiteral("keys.edit"))->isEnabled());
        QVERIFY(f.window->action(QStringLiteral("keys.history"))->isEnabled());
        // No job runs: nothing to cancel, and it says so.
        QCOMPARE(f.window->action(QStringLiteral("jobs.cancel"))->toolTip(), QStringLiteral("no job is running"));
        QCOMPARE(f.window->action(QStringLiteral("keys.reveal"))->toolTip(),
                 QStringLiteral("the values of this store are not secret"));
        shot(f.window.get(), QStringLiteral("menus"));
    }

    // The table's shortcuts as Qt reads them: each one key, and no two that
    // are live at once (a view's with the global ones and, while a job
    // runs, jobs.cancel with every view) the same QKeySequence; the core's
    // spelling (Actions::normalShortcut, used by keys.yaml) agrees with Qt.
    void testShortcutsDistinct()
    {
        const QList<Action> &all = Actions::all();
        for (const Action &a : all) {
            const QKeySequence k(a.guiShortcut);
            QVERIFY2(k.count() == 1 && k[0].key() != Qt::Key_unknown, qPrintable(a.id + QLatin1Char(' ') + a.guiShortcut));
        }
        for (qsizetype i = 0; i < all.size(); ++i)
            for (qsizetype j = i + 1; j < all.size(); ++j) {
                const Action &a = all[i], &b = all[j];
                const bool same = QKeySequence(a.guiShortcut) == QKeySequence(b.guiShortcut);
                QCOMPARE(Actions::normalShortcut(a.guiShortcut) == Actions::normalShortcut(b.guiShortcut), same);
                const bool live = a.view == b.view || a.view == QLatin1String("global") || b.view == QLatin1String("global")
                                  || a.view == QLatin1String("jobs") || b.view == QLatin1String("jobs");
                QVERIFY2(!(live && same), qPrintable(QStringLiteral("%1 and %2 share %3").arg(a.id, b.id, a.guiShortcut)));
            }
    }

    // keys.yaml's gui: section changes the window's shortcuts (menus,
    // cheat sheet and palette follow); its tui: section does not.
    void testKeyBindings_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("id");
        QTest::addColumn<QString>("shortcut");
        QTest::newRow("gui key") << QByteArray("gui:\n  keys.edit: Ctrl+Alt+E\n") << "keys.edit" << "Ctrl+Alt+E";
        QTest::newRow("tui key only") << QByteArray("tui:\n  keys.edit: E\n") << "keys.edit" << "F2";
        QTest::newRow("another action") << QByteArray("gui:\n  global.tasks: Ctrl+Alt+4\n") << "global.tasks"
                                        << "Ctrl+Alt+4";
    }

    void testKeyBindings()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, id);
        QFETCH(QString, shortcut);
        const QString path = m_dir.filePath(QStringLiteral("keys-%1.yaml").arg(QString::fromLatin1(QTest::currentDataTag())).replace(QLatin1Char(' '), QLatin1Char('-')));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(yaml);
        file.close();
        auto keys = KeyBindings::load(path, true);
        QVERIFY2(keys.ok(), qPrintable(keys.error().toString()));
        MainWindow::Options o = testOptions(m_dir.filePath(QStringLiteral("none.yaml")));
        o.keys = std::move(keys).value();
        MainWindow w(o);
        QCOMPARE(w.action(id)->shortcut(), QKeySequence(shortcut));
    }

    // Ctrl+K finds any action by a few letters and runs it.
    void testCommandPalette()
    {
        Fixture f = open(sample());
        QVERIFY(f.pane);
        QCOMPARE(f.window->action(QStringLiteral("global.command"))->shortcut(), QKeySequence(QStringLiteral("Ctrl+K")));
        f.window->action(QStringLiteral("global.command"))->trigger();
        QPointer<CommandPalette> palette = waitForDialog<CommandPalette>(f.window.get());
        QVERIFY(palette);
        for (const Action &a : Actions::all())
            QVERIFY2(palette->shownIds().contains(a.id), qPrintable(a.id));
        QVERIFY(palette->shownIds().contains(QStringLiteral("connect:embedded")));
        QTest::keyClicks(palette->input(), QStringLiteral("tree list"));
        QCOMPARE(palette->shownIds().value(0), QStringLiteral("keys.tree"));
        shot(palette, QStringLiteral("palette"));
        QTest::keyClick(palette->input(), Qt::Key_Return);
        QTRY_VERIFY(f.pane->keyBrowser()->treeMode());
        QTRY_VERIFY(!palette || !palette->isVisible());
    }

    // The keys of the table reach the view that has the focus: Ctrl+F
    // filters keys in the key list and events in the events dock.
    void testShortcutsReachTheirViews()
    {
        Fixture f = open(sample());
        QVERIFY(f.pane);
        f.window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(f.window.get()));
        KeyBrowser *browser = f.pane->keyBrowser();
        QVERIFY(openKey(f.pane, QStringLiteral("app/config")));

        browser->view()->setFocus();
        QTest::keyClick(browser->view(), Qt::Key_T, Qt::ControlModifier);
        QVERIFY(browser->treeMode());
        QTest::keyClick(browser->view(), Qt::Key_T, Qt::ControlModifier);
        QVERIFY(!browser->treeMode());
        QTRY_VERIFY(browser->keyModel()->listingComplete());

        browser->view()->setFocus();
        QTest::keyClick(browser->view(), Qt::Key_F, Qt::ControlModifier);
        QVERIFY(browser->filterEdit()->hasFocus());
        f.window->eventsPanel()->view()->setFocus();
        QTest::keyClick(f.window->eventsPanel()->view(), Qt::Key_F, Qt::ControlModifier);
        QVERIFY(f.window->eventsPanel()->filterEdit()->hasFocus());
        QTest::keyClick(f.window->eventsPanel()->view(), Qt::Key_Space);
        QVERIFY(f.pane->eventLog()->paused());

        // Ctrl+S in the editor: the diff of the edit.
        QVERIFY(browser->selectKey(QStringLiteral("db/primary")));
        QTRY_COMPARE(f.pane->entryPanel()->document()->key(), QStringLiteral("db/primary"));
        QTRY_VERIFY(f.pane->entryPanel()->hasEntry());
        typeText(f.pane->entryPanel(), QStringLiteral("{\"host\": \"db-9\"}\n"));
        QTest::keyClick(f.pane->entryPanel()->editor(), Qt::Key_S, Qt::ControlModifier);
        DiffDialog *diff = waitForDialog<DiffDialog>(f.pane->entryPanel());
        QVERIFY(diff);
        diff->reject();

        // Ctrl+K from anywhere, the editor included (where Qt would delete
        // to the end of the line).
        const QString before = f.pane->entryPanel()->editor()->toPlainText();
        f.pane->entryPanel()->editor()->moveCursor(QTextCursor::Start);
        QTest::keyClick(f.pane->entryPanel()->editor(), Qt::Key_K, Qt::ControlModifier);
        QVERIFY(waitForDialog<CommandPalette>(f.window.get()));
        QCOMPARE(f.pane->entryPanel()->editor()->toPlainText(), before);
    }

    void testCheatSheetAndThemes()
    {
        Fixture f = open(sample());
        QVERIFY(f.pane);
        f.window->action(QStringLiteral("global.help"))->trigger();
        auto *sheet = waitForDialog<CheatSheet>(f.window.get());
        QVERIFY(sheet);
        auto *table = sheet->findChild<QTableWidget *>(QStringLiteral("cheatSheetTable"));
        QCOMPARE(table->rowCount(), int(Actions::all().size()));
        sheet->close();

        QVERIFY(f.window->setTheme(QStringLiteral("dark")));
        QVERIFY(f.window->theme()->isDark());
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 128);
        QVERIFY(openKey(f.pane, QStringLiteral("app/config")));
        shot(f.window.get(), QStringLiteral("dark"));
        QVERIFY(!f.window->setTheme(m_dir.filePath(QStringLiteral("missing.json"))));
        QVERIFY(f.window->theme()->isDark()); // a theme that does not load changes nothing
        QVERIFY(f.window->notifications()->currentText().contains(QLatin1String("cannot read the theme")));
        QVERIFY(f.window->setTheme(QStringLiteral("light")));
        QVERIFY(!f.window->theme()->isDark());
    }

    // The sidebar lists connections.yaml's connections (with their errors)
    // and the embedded store, and opens them.
    void testConnectionsSidebar()
    {
        const QString yaml = m_dir.filePath(QStringLiteral("sidebar-connections.yaml"));
        QFile file(yaml);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QStringLiteral("connections:\n  local-db:\n    url: sqlite://%1\n  broken:\n    url: "
                                  "nosuch://x\n")
                       .arg(m_dir.filePath(QStringLiteral("sidebar.db")))
                       .toUtf8());
        file.close();
        auto window = makeWindow(yaml);
        const QStringList ids = window->sidebar()->ids();
        QCOMPARE(ids, (QStringList{QStringLiteral("connection:local-db"), QStringLiteral("connection:broken"),
                                   QStringLiteral("embedded")}));
        QVERIFY(!window->openConnection(QStringLiteral("connection:broken")));
        QVERIFY(window->notifications()->currentText().contains(QLatin1String("broken")));
        QVERIFY(window->openConnection(QStringLiteral("connection:local-db")));
        QVERIFY(settled(window->currentPane()));
        QCOMPARE(window->windowTitle(), QStringLiteral("local-db — statedeck"));
        QTRY_VERIFY(window->sidebar()->itemText(QStringLiteral("connection:local-db")).contains(QLatin1String("Live")));
        QVERIFY(window->openConnection(QStringLiteral("embedded")));
        QCOMPARE(window->panes().size(), 2);
        QVERIFY(window->openConnection(QStringLiteral("connection:local-db")));
        QCOMPARE(window->panes().size(), 2); // shown again, not opened twice
        QCOMPARE(window->currentPane()->id(), QStringLiteral("connection:local-db"));
        shot(window.get(), QStringLiteral("sidebar"));
        window->closeCurrentConnection();
        QCOMPARE(window->panes().size(), 1);
    }
};

QTEST_MAIN(TestGuiMainWindow)
#include "tst_gui_mainwindow.moc"
