#include "KubeTestServer.h"
#include "TestSupport.h"
#include "config/StoreSpec.h"
#include "console/EntryDocument.h"
#include "console/LineDiff.h"
#include "console/Session.h"
#include "providers/KubeTestHelpers.h"

#include <QDirIterator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;
using sd::test::await;

// EntryDocument: validation with line and column, the diff, saving at the
// revision read, and every conflict path, against SQLite and the
// Kubernetes emulator (ConfigMaps, and a Secret store's masking).
class TestConsoleEntryDocument : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    sd::test::KubeTestServer m_kube;

    std::unique_ptr<Session> sqlite(const QString &name)
    {
        StoreSpec spec;
        spec.backend = QStringLiteral("sqlite");
        spec.options.insert(QStringLiteral("path"), m_dir.filePath(name));
        return std::move(Session::open(spec, name).value());
    }

    std::unique_ptr<Session> kube(const QString &resource)
    {
        StoreSpec spec;
        spec.backend = QStringLiteral("kubernetes");
        spec.options.insert(QStringLiteral("kubeconfig"), m_kube.kubeconfigPath());
        spec.options.insert(QStringLiteral("context"), QStringLiteral("admin"));
        spec.options.insert(QStringLiteral("namespace"), QStringLiteral("doc"));
        if (resource == QLatin1String("secrets")) {
            spec.options.insert(QStringLiteral("resource"), QStringLiteral("secrets"));
            spec.options.insert(QStringLiteral("secretName"), QStringLiteral("doc-keys"));
        } else {
            spec.options.insert(QStringLiteral("resource"), QStringLiteral("configmaps"));
        }
        auto s = Session::open(spec, resource);
        if (!s.ok())
            qWarning("%s", qPrintable(s.error().toString()));
        return s.ok() ? std::move(s).value() : nullptr;
    }

    std::unique_ptr<Session> store(const QString &which)
    {
        return which == QLatin1String("sqlite") ? sqlite(QStringLiteral("doc.db")) : kube(which);
    }

    static Entry put(Provider *p, const QString &key, const Json &value)
    {
        Entry e;
        e.key = key;
        e.value = value;
        auto r = await(p->put(e, {}));
        if (!r.ok())
            qWarning("%s", qPrintable(r.error().toString()));
        return r.ok() ? r.value() : Entry();
    }

    static bool opened(EntryDocument &doc, const QString &key)
    {
        doc.open(key);
        return QTest::qWaitFor([&] { return doc.state() != EntryDocument::State::Loading; }, 20000)
               && doc.state() == EntryDocument::State::Clean;
    }

    static bool settled(EntryDocument &doc)
    {
        return QTest::qWaitFor([&] { return doc.state() != EntryDocument::State::Saving; }, 20000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_kube.start(), qPrintable(m_kube.log()));
        QVERIFY(sd::test::createNamespace(m_kube, QStringLiteral("doc")));
    }

    void testDiffAndMerge_data()
    {
        QTest::addColumn<QString>("base");
        QTest::addColumn<QString>("mine");
        QTest::addColumn<QString>("theirs");
        QTest::addColumn<QString>("merged");
        QTest::addColumn<int>("conflicts");
        QTest::newRow("only mine changed") << "a\nb\nc\n" << "a\nB\nc\n" << "a\nb\nc\n" << "a\nB\nc\n" << 0;
        QTest::newRow("only theirs changed") << "a\nb\nc\n" << "a\nb\nc\n" << "a\nb\nC\n" << "a\nb\nC\n" << 0;
        QTest::newRow("apart") << "a\nb\nc\nd\ne\n" << "A\nb\nc\nd\ne\n" << "a\nb\nc\nd\nE\n" << "A\nb\nc\nd\nE\n" << 0;
        QTest::newRow("the same change") << "a\nb\n" << "a\nX\n" << "a\nX\n" << "a\nX\n" << 0;
        QTest::newRow("both changed one line") << "a\nb\nc\n" << "a\nmine\nc\n" << "a\ntheirs\nc\n"
                                               << "a\n<<<<<<< mine\nmine\n=======\ntheirs\n>>>>>>> theirs\nc\n" << 1;
    }
    void testDiffAndMerge()
    {
        QFETCH(QString, base);
        QFETCH(QString, mine);
        QFETCH(QString, theirs);
        QFETCH(QString, merged);
        QFETCH(int, conflicts);
        auto lines = [](const QString &t) {
            QStringList l = t.split(QLatin1Char('\n'));
            l.removeLast();
            return l;
        };
        const MergeResult r = merge3(lines(base), lines(mine), lines(theirs));
        QCOMPARE(r.lines.join(QLatin1Char('\n')) + QLatin1Char('\n'), merged);
        QCOMPARE(r.conflicts, conflicts);
        QCOMPARE(hasConflictMarkers(merged), conflicts > 0);
        const QString d = unifiedDiff(base, mine, QStringLiteral("a"), QStringLiteral("b"));
        QCOMPARE(d.isEmpty(), base == mine);
        // Applying the diff's +/- lines to base gives mine back.
        QStringList rebuilt;
        for (const DiffLine &l : diffLines(lines(base), lines(mine)))
            if (l.op != DiffLine::Op::Removed)
                rebuilt << l.text;
        QCOMPARE(rebuilt, lines(mine));
    }

    void testLargeDiffStaysExact()
    {
        QStringList a, b;
        for (int i = 0; i < 20000; ++i) {
            a << QStringLiteral("line %1").arg(i);
            b << (i % 1000 == 0 ? QStringLiteral("changed %1").arg(i) : QStringLiteral("line %1").arg(i));
        }
        int removed = 0, added = 0;
        for (const DiffLine &l : diffLines(a, b)) {
            removed += l.op == DiffLine::Op::Removed;
            added += l.op == DiffLine::Op::Added;
        }
        QCOMPARE(removed, 20);
        QCOMPARE(added, 20);
    }

    void testValidation_data()
    {
        QTest::addColumn<int>("format");
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("line");
        QTest::addColumn<int>("column");
        QTest::newRow("json ok") << int(EntryDocument::Format::Json) << "{\"a\": 1}" << 0 << 0;
        QTest::newRow("json error") << int(EntryDocument::Format::Json) << "{\n  \"a\": 1,\n  \"b\": }" << 3 << 8;
        QTest::newRow("yaml ok") << int(EntryDocument::Format::Yaml) << "a: 1\nb: [1, 2]\n" << 0 << 0;
        QTest::newRow("yaml error") << int(EntryDocument::Format::Yaml) << "a: 1\nb: [1, 2\nc: 3\n" << 3 << 2;
        QTest::newRow("markers") << int(EntryDocument::Format::Json) << "<<<<<<< mine\n1\n=======\n2\n>>>>>>> x\n"
                                 << 0 << 0;
    }
    void testValidation()
    {
        QFETCH(int, format);
        QFETCH(QString, text);
        QFETCH(int, line);
        QFETCH(int, column);
        auto s = sqlite(QStringLiteral("validation.db"));
        EntryDocument doc(s.get());
        doc.openNew(QStringLiteral("v"), EntryDocument::Format(format));
        QVERIFY(doc.setText(text));
        const bool markers = text.startsWith(QLatin1String("<<<<<<<"));
        QCOMPARE(doc.validation().ok, line == 0 && !markers);
        QCOMPARE(doc.validation().line, line);
        QCOMPARE(doc.validation().column, column);
        if (markers)
            QVERIFY(doc.validation().message.contains(QLatin1String("conflict markers")));
    }

    // Edit, see the diff, save at the revision read; a later save starts
    // from the new revision.
    void testSave_data()
    {
        QTest::addColumn<QString>("store");
        QTest::newRow("sqlite") << "sqlite";
        QTest::newRow("kubernetes") << "configmaps";
    }
    void testSave()
    {
        QFETCH(QString, store);
        auto s = this->store(store);
        QVERIFY(s);
        const Entry first = put(s->provider(), QStringLiteral("save-me"), Json{{"replicas", 1}, {"image", "a"}});
        EntryDocument doc(s.get());
        QVERIFY(opened(doc, QStringLiteral("save-me")));
        QCOMPARE(doc.base().revision, first.revision);
        QVERIFY(!doc.dirty());
        QVERIFY(doc.setText(QStringLiteral("{\n  \"replicas\": 3,\n  \"image\": \"a\"\n}\n")));
        QCOMPARE(doc.state(), EntryDocument::State::Modified);
        QVERIFY2(doc.diff().contains(QLatin1String("-  \"replicas\": 1,\n+  \"replicas\": 3,")), qPrintable(doc.diff()));
        QSignalSpy saved(&doc, &EntryDocument::saved);
        doc.save();
        QVERIFY(settled(doc));
        QCOMPARE(saved.count(), 1);
        QCOMPARE(doc.state(), EntryDocument::State::Clean);
        QVERIFY(doc.base().revision != first.revision);
        const auto now = await(s->provider()->get(QStringLiteral("save-me")));
        QCOMPARE(now->value, (Json{{"replicas", 3}, {"image", "a"}}));
        // YAML view of the same value, saved back as the store's own form.
        QVERIFY(doc.setFormat(EntryDocument::Format::Yaml));
        QVERIFY2(doc.text().contains(QLatin1String("replicas: 3")), qPrintable(doc.text()));
        QVERIFY(doc.setText(doc.text().replace(QLatin1String("replicas: 3"), QLatin1String("replicas: 4"))));
        doc.save();
        QVERIFY(settled(doc));
        QCOMPARE(doc.state(), EntryDocument::State::Clean);
        QCOMPARE(await(s->provider()->get(QStringLiteral("save-me")))->value["replicas"], Json(4));
    }

    // Someone writes between open and save: the save is a conflict, mine is
    // kept, and each way out leads to the right value in the store.
    void testConflicts_data()
    {
        QTest::addColumn<QString>("store");
        QTest::addColumn<QString>("choice");
        QTest::addColumn<QString>("expected"); // the value in the store at the end
        QTest::addColumn<bool>("cleanMerge");
        for (const char *store : {"sqlite", "configmaps"}) {
            const QString st = QLatin1String(store);
            QTest::addRow("%s: take theirs", store) << st << "theirs" << R"({"a":1,"b":20,"c":3})" << true;
            QTest::addRow("%s: keep mine", store) << st << "mine" << R"({"a":10,"b":2,"c":3})" << true;
            QTest::addRow("%s: merge apart", store) << st << "merge" << R"({"a":10,"b":20,"c":3})" << true;
            QTest::addRow("%s: merge the same member", store) << st << "merge-clash" << "" << false;
            QTest::addRow("%s: deleted meanwhile, keep mine", store) << st << "deleted" << R"({"a":10,"b":2,"c":3})"
                                                                     << true;
        }
    }
    void testConflicts()
    {
        QFETCH(QString, store);
        QFETCH(QString, choice);
        QFETCH(QString, expected);
        QFETCH(bool, cleanMerge);
        auto s = this->store(store);
        QVERIFY(s);
        const QString key = QStringLiteral("conflict-%1").arg(choice);
        put(s->provider(), key, Json{{"a", 1}, {"b", 2}, {"c", 3}});
        EntryDocument doc(s.get());
        QVERIFY(opened(doc, key));
        const bool clash = choice == QLatin1String("merge-clash");
        QVERIFY(doc.setText(QStringLiteral("{\n  \"a\": 10,\n  \"b\": 2,\n  \"c\": 3\n}\n")));
        // The other writer.
        if (choice == QLatin1String("deleted"))
            QVERIFY(await(s->provider()->remove(key, {})).ok());
        else
            put(s->provider(), key, clash ? Json{{"a", 99}, {"b", 2}, {"c", 3}} : Json{{"a", 1}, {"b", 20}, {"c", 3}});
        const QString mine = doc.text();
        doc.save();
        QVERIFY(settled(doc));
        QTRY_COMPARE(doc.state(), EntryDocument::State::Conflict);
        QVERIFY(doc.theirs().has_value());
        QCOMPARE(doc.text(), mine); // nothing typed is lost
        if (choice == QLatin1String("theirs")) {
            doc.takeTheirs();
            QCOMPARE(doc.discardedText(), mine);
            QCOMPARE(doc.state(), EntryDocument::State::Clean);
        } else if (choice == QLatin1String("mine") || choice == QLatin1String("deleted")) {
            doc.keepMine();
            QCOMPARE(doc.state(), EntryDocument::State::Modified);
            doc.save();
            QVERIFY(settled(doc));
        } else {
            QCOMPARE(doc.merge(), cleanMerge);
            if (!cleanMerge) {
                QVERIFY(doc.hasConflictMarkers());
                QVERIFY(!doc.validation().ok);
                QSignalSpy failed(&doc, &EntryDocument::failed);
                doc.save(); // refused: the markers must be resolved
                QCOMPARE(failed.count(), 1);
                QVERIFY(doc.setText(QStringLiteral("{\"a\": 50, \"b\": 2, \"c\": 3}")));
                expected = QStringLiteral(R"({"a":50,"b":2,"c":3})");
            }
            doc.save();
            QVERIFY(settled(doc));
        }
        QCOMPARE(doc.state(), EntryDocument::State::Clean);
        const auto now = await(s->provider()->get(key));
        QVERIFY2(now.ok(), qPrintable(now.error().toString()));
        QCOMPARE(now->value, Json::parse(expected.toStdString()));
    }

    // A Secret is masked until revealed, cannot be edited masked, and
    // nothing of it lands in a file.
    void testSecretMasked()
    {
        auto s = kube(QStringLiteral("secrets"));
        QVERIFY(s);
        QVERIFY(s->capabilities().sensitive);
        put(s->provider(), QStringLiteral("token"), Json("s3cr3t-value-XYZ"));
        const QString home = m_dir.filePath(QStringLiteral("secret-home"));
        QDir().mkpath(home);
        EntryDocument doc(s.get());
        QVERIFY(opened(doc, QStringLiteral("token")));
        QVERIFY(doc.masked());
        QVERIFY(!doc.text().contains(QLatin1String("s3cr3t")));
        QVERIFY(!doc.baseText().contains(QLatin1String("s3cr3t")));
        QVERIFY(!doc.setText(QStringLiteral("\"other\"")));
        doc.reveal();
        QVERIFY(doc.text().contains(QLatin1String("s3cr3t-value-XYZ")));
        QVERIFY(doc.setText(QStringLiteral("new-secret-ABC")));
        QVERIFY(!doc.diff().isEmpty());
        doc.mask();
        QVERIFY(!doc.diff().contains(QLatin1String("ABC")));
        doc.reveal();
        QVERIFY2(doc.validation().ok, qPrintable(doc.validation().message));
        doc.save();
        QVERIFY(settled(doc));
        QVERIFY2(doc.state() == EntryDocument::State::Clean, doc.error() ? qPrintable(doc.error()->toString()) : "");
        // Opening again (navigation) masks again.
        QVERIFY(opened(doc, QStringLiteral("token")));
        QVERIFY(doc.masked());
        // No file anywhere under the test's folders holds the value.
        QDirIterator it(m_dir.path(), QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QFile f(it.next());
            QVERIFY(f.open(QIODevice::ReadOnly));
            QVERIFY2(!f.readAll().contains("new-secret-ABC"), qPrintable(f.fileName()));
        }
    }

    // A read-only connection: the save is refused in the core, mine is
    // kept, and the store is unchanged.
    void testReadOnlySaveRefused()
    {
        put(sqlite(QStringLiteral("ro.db"))->provider(), QStringLiteral("k"), Json{{"n", 1}});
        StoreSpec spec;
        spec.backend = QStringLiteral("sqlite");
        spec.options.insert(QStringLiteral("path"), m_dir.filePath(QStringLiteral("ro.db")));
        SessionOptions o;
        o.readOnly = true;
        auto s = std::move(Session::open(spec, QStringLiteral("prod"), o).value());
        EntryDocument doc(s.get());
        QVERIFY(opened(doc, QStringLiteral("k")));
        QVERIFY(doc.setText(QStringLiteral("{\"n\": 2}")));
        QSignalSpy failed(&doc, &EntryDocument::failed);
        doc.save();
        QVERIFY(settled(doc));
        QTRY_COMPARE(failed.count(), 1);
        QCOMPARE(doc.error()->kind, ErrorKind::Forbidden);
        QVERIFY(doc.error()->message.contains(QLatin1String("\"prod\" is read-only")));
        QCOMPARE(doc.text(), QStringLiteral("{\"n\": 2}"));
        QCOMPARE(await(sqlite(QStringLiteral("ro.db"))->provider()->get(QStringLiteral("k")))->value, (Json{{"n", 1}}));
    }

    // The text of an edit that met a conflict can be saved aside: a new
    // 0600 file holding mine; never for a secret.
    void testKeepMineAside()
    {
        sd::test::EnvGuard guard({"XDG_STATE_HOME"});
        qputenv("XDG_STATE_HOME", m_dir.filePath(QStringLiteral("state")).toUtf8());
        auto s = sqlite(QStringLiteral("aside.db"));
        put(s->provider(), QStringLiteral("app/cfg"), Json{{"n", 1}});
        EntryDocument doc(s.get());
        QVERIFY(opened(doc, QStringLiteral("app/cfg")));
        QVERIFY(doc.setText(QStringLiteral("{\"n\": 5}")));
        const Result<QString> first = doc.keepMineAside();
        const Result<QString> second = doc.keepMineAside();
        QVERIFY2(first.ok(), qPrintable(first.error().toString()));
        QVERIFY(second.ok());
        QVERIFY(first.value() != second.value()); // never overwritten
        QVERIFY(first.value().startsWith(m_dir.filePath(QStringLiteral("state/statedeck/edits/app_cfg-"))));
        QVERIFY(first.value().endsWith(QLatin1String(".json")));
        QFile f(first.value());
        QCOMPARE(f.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther), QFileDevice::Permissions());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("{\"n\": 5}"));

        auto secrets = kube(QStringLiteral("secrets"));
        put(secrets->provider(), QStringLiteral("aside"), Json("hidden"));
        EntryDocument secret(secrets.get());
        QVERIFY(opened(secret, QStringLiteral("aside")));
        secret.reveal();
        const Result<QString> refused = secret.keepMineAside();
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().kind, ErrorKind::Forbidden);
    }

    // :ns, :cm and :secrets reopen a Kubernetes connection with one option
    // changed; other stores say they are not Kubernetes ones.
    void testReopenedWith()
    {
        auto cm = kube(QStringLiteral("configmaps"));
        auto secrets = cm->reopenedWith(QStringLiteral("resource"), QStringLiteral("secrets"));
        QVERIFY2(secrets.ok(), qPrintable(secrets.error().toString()));
        QVERIFY(secrets.value()->capabilities().sensitive);
        QCOMPARE(secrets.value()->name(), cm->name());
        auto other = sqlite(QStringLiteral("reopen.db"))->reopenedWith(QStringLiteral("namespace"), QStringLiteral("x"));
        QVERIFY(!other.ok());
        QVERIFY2(other.error().message.contains(QLatin1String("not a Kubernetes connection")),
                 qPrintable(other.error().message));
        QVERIFY(!cm->reopenedWith(QStringLiteral("namespace"), QString()).ok());
    }

    void testOpenMissingKeyFails()
    {
        auto s = sqlite(QStringLiteral("missing.db"));
        EntryDocument doc(s.get());
        QSignalSpy failed(&doc, &EntryDocument::failed);
        doc.open(QStringLiteral("nope"));
        QTRY_COMPARE(doc.state(), EntryDocument::State::Failed);
        QCOMPARE(failed.count(), 1);
        QCOMPARE(doc.error()->kind, ErrorKind::NotFound);
    }

    void testNewKeyIsCreatedOnce()
    {
        auto s = sqlite(QStringLiteral("new.db"));
        EntryDocument doc(s.get());
        doc.openNew(QStringLiteral("fresh"));
        QVERIFY(doc.setText(QStringLiteral("{\"n\": 1}")));
        put(s->provider(), QStringLiteral("fresh"), Json{{"n", 2}}); // someone was quicker
        doc.save();
        QVERIFY(settled(doc));
        QTRY_COMPARE(doc.state(), EntryDocument::State::Conflict);
        doc.takeTheirs();
        QCOMPARE(doc.parsedMine().value(), (Json{{"n", 2}}));
    }

    // Delete goes at the revision read: a value changed meanwhile is not
    // deleted unseen, and the document stays open on it.
    void testRemove_data()
    {
        QTest::addColumn<QString>("store");
        QTest::newRow("sqlite") << "sqlite";
        QTest::newRow("configmaps") << "configmaps";
    }
    void testRemove()
    {
        QFETCH(QString, store);
        auto s = this->store(store);
        QVERIFY(s);
        put(s->provider(), QStringLiteral("rm-me"), Json{{"v", 1}});
        put(s->provider(), QStringLiteral("rm-changed"), Json{{"v", 1}});
        EntryDocument doc(s.get());

        QVERIFY(opened(doc, QStringLiteral("rm-changed")));
        put(s->provider(), QStringLiteral("rm-changed"), Json{{"v", 2}});
        QSignalSpy failed(&doc, &EntryDocument::failed);
        doc.remove();
        QVERIFY(settled(doc));
        QCOMPARE(failed.count(), 1);
        QCOMPARE(doc.error()->kind, ErrorKind::Conflict);
        QCOMPARE(doc.state(), EntryDocument::State::Clean);
        QCOMPARE(doc.key(), QStringLiteral("rm-changed"));
        QVERIFY(await(s->provider()->get(QStringLiteral("rm-changed"))).ok());

        QVERIFY(opened(doc, QStringLiteral("rm-me")));
        QSignalSpy removed(&doc, &EntryDocument::removed);
        doc.remove();
        QVERIFY(settled(doc));
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed.first().first().toString(), QStringLiteral("rm-me"));
        QCOMPARE(doc.state(), EntryDocument::State::Empty);
        QCOMPARE(await(s->provider()->get(QStringLiteral("rm-me"))).error().kind, ErrorKind::NotFound);
    }
};

QTEST_GUILESS_MAIN(TestConsoleEntryDocument)
#include "tst_console_entrydocument.moc"
