// The connection editor behind the add/edit/remove dialogs
// (console/ConnectionEditor): connections.yaml changed in place, comments and
// every other connection byte-identical, checked as the user types, proven
// by reading it back, written atomically, never over someone else's change;
// and a Test that opens the store and reads a page.
#include "TestSupport.h"
#include "config/ConnectionsFile.h"
#include "console/ConnectionEditor.h"
#include "providers/Backends.h"
#include "providers/Provider.h"
#include "util/AtomicFile.h"

#include <QFile>
#include <QFileInfo>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;
using sd::test::await;

namespace {

// The file as it is on disk (empty when missing), and a write as another
// program would make it, through the core's whole-file helpers.
QByteArray read(const QString &path)
{
    const Result<QByteArray> bytes = readWholeFile(path);
    return bytes.ok() ? bytes.value() : QByteArray();
}
bool write(const QString &path, const QByteArray &bytes) { return writeFileAtomically(path, bytes).ok(); }

const char *kCommented = "# connections of the payments team\n"
                         "current: staging   # the CLI's default\n"
                         "connections:\n"
                         "  # staging is shared: be nice\n"
                         "  staging:\n"
                         "    description: \"staging redis\"\n"
                         "    url: redis://localhost:6379/2   # db 2\n"
                         "    readOnly: true\n"
                         "\n"
                         "  # the gate's worker.yml\n"
                         "  gate:\n"
                         "    workerConfig: ./worker.yml\n"
                         "    color: \"#2980b9\"\n"
                         "# end of file\n";

// Every line of `before` that is a comment or blank is still in `after`, in
// order.
bool keepsComments(const QByteArray &before, const QByteArray &after)
{
    qsizetype from = 0;
    for (const QByteArray &line : before.split('\n')) {
        const QByteArray t = line.trimmed();
        if (!t.startsWith('#'))
            continue;
        const qsizetype at = after.indexOf(line, from);
        if (at < 0)
            return false;
        from = at + line.size();
    }
    return true;
}

QStringList fields(const QList<FieldProblem> &problems)
{
    QStringList out;
    for (const FieldProblem &p : problems)
        out << p.field;
    return out;
}

} // namespace

class TestConsoleConnectionEditor : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_n = 0;

    QString fresh(const QByteArray &content = QByteArray(), bool create = true)
    {
        const QString path = m_dir.filePath(QStringLiteral("c%1/connections.yaml").arg(++m_n));
        QDir().mkpath(QFileInfo(path).absolutePath());
        if (create)
            write(path, content);
        return path;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void testAdd_data()
    {
        QTest::addColumn<QByteArray>("before");
        QTest::addColumn<bool>("exists");
        QTest::newRow("no file yet") << QByteArray() << false;
        QTest::newRow("empty file") << QByteArray() << true;
        QTest::newRow("only comments") << QByteArray("# nothing here yet\n") << true;
        QTest::newRow("connections: with nothing under it") << QByteArray("# mine\nconnections:\n") << true;
        QTest::newRow("commented file") << QByteArray(kCommented) << true;
    }

    void testAdd()
    {
        QFETCH(QByteArray, before);
        QFETCH(bool, exists);
        const QString path = fresh(before, exists);
        auto editor = ConnectionEditor::load(path);
        QVERIFY2(editor.ok(), qPrintable(editor.error().toString()));
        ConnectionDraft d;
        d.name = QStringLiteral("local-db");
        d.url = QStringLiteral("sqlite:///tmp/state.db");
        d.description = QStringLiteral("my laptop's store");
        d.production = true;
        d.sensitive = true;
        d.color = QStringLiteral("#C0392B");
        const Status saved = editor->save(d);
        QVERIFY2(saved.ok(), qPrintable(saved.error().toString()));

        const QByteArray after = read(path);
        QVERIFY2(keepsComments(before, after), after.constData());
        auto file = ConnectionsFile::load(path);
        QVERIFY2(file.ok(), qPrintable(file.error().toString()));
        QVERIFY(file->names().contains(QStringLiteral("local-db")));
        const QList<ConnectionInfo> infos = file->list();
        const ConnectionInfo &info = infos.last();
        QCOMPARE(info.name, QStringLiteral("local-db"));
        QCOMPARE(info.description, d.description);
        QVERIFY(info.production);
        QVERIFY(info.sensitive);
        QVERIFY(!info.readOnly);
        QCOMPARE(info.color, QStringLiteral("#c0392b"));
        auto spec = file->spec(QStringLiteral("local-db"));
        QVERIFY(spec.ok());
        QCOMPARE(spec->backend, QStringLiteral("sqlite"));
        QVERIFY(spec->sensitive);
        // What was there is still there.
        if (before.contains("staging"))
            QVERIFY(file->names().contains(QStringLiteral("staging")));
        // The draft reads back as it was given.
        auto again = ConnectionEditor::load(path);
        QVERIFY(again.ok());
        auto back = again->draft(QStringLiteral("local-db"));
        QVERIFY(back.ok());
        QCOMPARE(back->url, d.url);
        QVERIFY(back->production && back->sensitive && !back->readOnly);
    }

    // Changing a connection touches its own lines only.
    void testEditInPlace_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QByteArray>("expectedLine"); // "" when the field's line must be gone
        // Its own quoting and trailing comment kept.
        QTest::newRow("url") << "url" << QByteArray("    url: redis://localhost:6379/3   # db 2");
        QTest::newRow("read-only off") << "readOnly" << QByteArray();
        QTest::newRow("description cleared") << "description" << QByteArray();
        QTest::newRow("colour added") << "color" << QByteArray("    color: \"#27ae60\"");
        QTest::newRow("production added") << "production" << QByteArray("    production: true");
    }

    void testEditInPlace()
    {
        QFETCH(QString, field);
        QFETCH(QByteArray, expectedLine);
        const QString path = fresh(kCommented);
        auto editor = ConnectionEditor::load(path);
        QVERIFY(editor.ok());
        auto d = editor->draft(QStringLiteral("staging"));
        QVERIFY2(d.ok(), qPrintable(d.error().toString()));
        QCOMPARE(d->url, QStringLiteral("redis://localhost:6379/2"));
        QVERIFY(d->readOnly);
        ConnectionDraft changed = d.value();
        if (field == QLatin1String("url"))
            changed.url = QStringLiteral("redis://localhost:6379/3");
        else if (field == QLatin1String("readOnly"))
            changed.readOnly = false;
        else if (field == QLatin1String("description"))
            changed.description.clear();
        else if (field == QLatin1String("color"))
            changed.color = QStringLiteral("#27ae60");
        else if (field == QLatin1String("production"))
            changed.production = true;
        const Status saved = editor->save(changed, QStringLiteral("staging"));
        QVERIFY2(saved.ok(), qPrintable(saved.error().toString()));

        const QByteArray after = read(path);
        QVERIFY2(keepsComments(kCommented, after), after.constData());
        // The other connection is byte-identical.
        QVERIFY(after.contains("  # the gate's worker.yml\n  gate:\n    workerConfig: ./worker.yml\n    color: \"#2980b9\"\n"));
        if (expectedLine.isEmpty()) {
            const QByteArray key = "    " + field.toUtf8() + ':';
            QVERIFY2(!after.contains(key), after.constData());
        } else {
            QVERIFY2(after.contains(QByteArray(expectedLine + '\n')) || after.contains(QByteArray(expectedLine + ' ')), after.constData());
        }
        auto file = ConnectionsFile::load(path);
        QVERIFY2(file.ok(), qPrintable(file.error().toString()));
        QCOMPARE(file->names(), (QStringList{QStringLiteral("staging"), QStringLiteral("gate")}));
    }

    // A renamed connection keeps its place, and `current:` follows it.
    void testRename()
    {
        const QString path = fresh(kCommented);
        auto editor = ConnectionEditor::load(path);
        QVERIFY(editor.ok());
        ConnectionDraft d = editor->draft(QStringLiteral("staging")).value();
        d.name = QStringLiteral("staging-eu");
        QVERIFY(editor->save(d, QStringLiteral("staging")).ok());
        auto file = ConnectionsFile::load(path);
        QVERIFY(file.ok());
        QCOMPARE(file->names(), (QStringList{QStringLiteral("staging-eu"), QStringLiteral("gate")}));
        QCOMPARE(file->current(), QStringLiteral("staging-eu"));
        QVERIFY(keepsComments(kCommented, read(path)));
    }

    void testRemove_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QStringList>("left");
        QTest::addColumn<QString>("current");
        QTest::newRow("the current one") << "staging" << QStringList{QStringLiteral("gate")} << QString();
        QTest::newRow("another") << "gate" << QStringList{QStringLiteral("staging")} << "staging";
    }

    void testRemove()
    {
        QFETCH(QString, name);
        QFETCH(QStringList, left);
        QFETCH(QString, current);
        const QString path = fresh(kCommented);
        auto editor = ConnectionEditor::load(path);
        QVERIFY(editor.ok());
        const Status removed = editor->remove(name);
        QVERIFY2(removed.ok(), qPrintable(removed.error().toString()));
        auto file = ConnectionsFile::load(path);
        QVERIFY2(file.ok(), qPrintable(file.error().toString()));
        QCOMPARE(file->names(), left);
        QCOMPARE(file->current(), current);
        const QByteArray after = read(path);
        QVERIFY(after.startsWith("# connections of the payments team\n"));
        QVERIFY(after.contains("# end of file"));
        // Unknown names are refused and nothing is written.
        const Status again = editor->remove(name);
        QVERIFY(!again.ok());
        QCOMPARE(again.error().kind, ErrorKind::NotFound);
        QCOMPARE(read(path), after);
    }

    // What the dialog shows beside each field, as the user types.
    void testCheck_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("color");
        QTest::addColumn<QStringList>("problems");
        QTest::newRow("fine") << "dev" << "redis://localhost:6379" << "" << QStringList{};
        QTest::newRow("a variable is checked when used") << "dev" << "redis://${REDIS_HOST}:6379" << ""
                                                         << QStringList{};
        QTest::newRow("no name") << "" << "redis://localhost" << "" << QStringList{QStringLiteral("name")};
        QTest::newRow("name with a slash") << "a/b" << "redis://localhost" << "" << QStringList{QStringLiteral("name")};
        QTest::newRow("name taken") << "gate" << "redis://localhost" << "" << QStringList{QStringLiteral("name")};
        QTest::newRow("no store") << "dev" << "" << "" << QStringList{QStringLiteral("url")};
        QTest::newRow("unknown scheme") << "dev" << "mongodb://x" << "" << QStringList{QStringLiteral("url")};
        QTest::newRow("bad port") << "dev" << "redis://localhost:notaport" << ""
                                  << QStringList{QStringLiteral("url")};
        QTest::newRow("colour without #") << "dev" << "redis://localhost" << "c0392b"
                                          << QStringList{QStringLiteral("color")};
        QTest::newRow("everything wrong") << "" << "" << "red"
                                          << QStringList{QStringLiteral("name"), QStringLiteral("url"),
                                                         QStringLiteral("color")};
    }

    void testCheck()
    {
        QFETCH(QString, name);
        QFETCH(QString, url);
        QFETCH(QString, color);
        QFETCH(QStringList, problems);
        const QString path = fresh(kCommented);
        auto editor = ConnectionEditor::load(path);
        QVERIFY(editor.ok());
        ConnectionDraft d;
        d.name = name;
        d.url = url;
        d.color = color;
        const QList<FieldProblem> found = editor->check(d);
        QCOMPARE(fields(found), problems);
        for (const FieldProblem &p : found)
            QVERIFY2(!p.message.isEmpty(), qPrintable(p.field));
        // A draft with problems is never written.
        if (!problems.isEmpty()) {
            QVERIFY(!editor->save(d).ok());
            QCOMPARE(read(path), QByteArray(kCommented));
        }
    }

    // A connection written another way keeps its store as written.
    void testOtherStoreKept()
    {
        const QString path = fresh(kCommented);
        auto editor = ConnectionEditor::load(path);
        QVERIFY(editor.ok());
        ConnectionDraft d = editor->draft(QStringLiteral("gate")).value();
        QCOMPARE(d.otherStore, QStringLiteral("workerConfig: ./worker.yml"));
        QVERIFY(d.url.isEmpty());
        d.readOnly = true;
        QVERIFY2(editor->check(d, QStringLiteral("gate")).isEmpty(), "a workerConfig connection needs no URL");
        const Status saved = editor->save(d, QStringLiteral("gate"));
        QVERIFY2(saved.ok(), qPrintable(saved.error().toString()));
        const QByteArray after = read(path);
        QVERIFY(after.contains("    workerConfig: ./worker.yml\n"));
        QVERIFY(!after.contains("gate:\n    url"));
    }

    // Someone else's change is never overwritten.
    void testChangedOnDisk_data()
    {
        QTest::addColumn<bool>("removeInstead");
        QTest::newRow("edited meanwhile") << false;
        QTest::newRow("created meanwhile") << true;
    }

    void testChangedOnDisk()
    {
        QFETCH(bool, removeInstead);
        const QString path = fresh(kCommented, !removeInstead);
        auto editor = ConnectionEditor::load(path);
        QVERIFY(editor.ok());
        const QByteArray theirs = "connections:\n  theirs:\n    url: redis://localhost\n";
        QVERIFY(write(path, theirs));
        ConnectionDraft d;
        d.name = QStringLiteral("mine");
        d.url = QStringLiteral("redis://localhost:6380");
        const Status saved = editor->save(d);
        QVERIFY(!saved.ok());
        QCOMPARE(saved.error().kind, ErrorKind::Conflict);
        QVERIFY(saved.error().message.contains(QLatin1String("changed on disk")));
        QCOMPARE(read(path), theirs);
    }

    // A file that does not parse is named, and cannot be edited until mended.
    void testBrokenFileRefused()
    {
        const QString path = fresh("connections:\n  a:\n    url: [unclosed\n");
        auto editor = ConnectionEditor::load(path);
        QVERIFY(!editor.ok());
        QVERIFY2(editor.error().where.startsWith(path + QLatin1Char(':')), qPrintable(editor.error().toString()));
        QVERIFY(editor.error().message.contains(QLatin1String("mend")));
    }

    // A new file may come to hold passwords: its owner's only.
    void testNewFileIsPrivate()
    {
        const QString path = fresh(QByteArray(), false);
        auto editor = ConnectionEditor::load(path);
        QVERIFY(editor.ok());
        ConnectionDraft d;
        d.name = QStringLiteral("prod");
        d.url = QStringLiteral("redis://:s3cret@localhost:6379");
        QVERIFY(editor->save(d).ok());
        QCOMPARE(QFileInfo(path).permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther),
                 QFileDevice::Permissions());
    }

    // Test opens the store the draft describes and reads a page.
    void testProbe_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<bool>("reachable");
        QTest::addColumn<QString>("says");
        QTest::newRow("sqlite with keys") << "sqlite" << true << "answered with 2 keys";
        QTest::newRow("sqlite, empty") << "empty" << true << "holds no keys yet";
        QTest::newRow("redis on a closed port") << "closed" << false << "";
        QTest::newRow("a variable that is not set") << "unset" << false << "STATEDECK_TEST_UNSET";
    }

    void testProbe()
    {
        QFETCH(QString, kind);
        QFETCH(bool, reachable);
        QFETCH(QString, says);
        const QString path = fresh();
        auto editor = ConnectionEditor::load(path);
        QVERIFY(editor.ok());
        ConnectionDraft d;
        d.name = QStringLiteral("probe");
        const QString db = m_dir.filePath(QStringLiteral("probe-%1.db").arg(kind));
        if (kind == QLatin1String("sqlite")) {
            StoreSpec spec;
            spec.backend = QStringLiteral("sqlite");
            spec.options.insert(QStringLiteral("path"), db);
            auto p = openProvider(spec);
            QVERIFY(p.ok());
            for (const char *k : {"a", "b"}) {
                Entry e;
                e.key = QString::fromLatin1(k);
                e.value = Json(1);
                QVERIFY(await(p.value()->put(e, Precondition{})).ok());
            }
        }
        if (kind == QLatin1String("closed")) {
            QTcpServer s; // a port nobody listens on once it is closed
            QVERIFY(s.listen(QHostAddress::LocalHost));
            const quint16 port = s.serverPort();
            s.close();
            d.url = QStringLiteral("redis://127.0.0.1:%1").arg(port);
        } else if (kind == QLatin1String("unset")) {
            d.url = QStringLiteral("redis://${STATEDECK_TEST_UNSET}:6379");
        } else {
            d.url = QStringLiteral("sqlite://") + db;
        }
        const Result<QString> r = await(editor->test(d, QString(), std::chrono::seconds(10)), 15000);
        QCOMPARE(r.ok(), reachable);
        const QString text = r.ok() ? r.value() : r.error().toString();
        if (!says.isEmpty())
            QVERIFY2(text.contains(says), qPrintable(text));
        // Testing writes nothing: not the file, not the store.
        QCOMPARE(read(path), QByteArray());
    }
};

QTEST_GUILESS_MAIN(TestConsoleConnectionEditor)
#include "tst_console_connection_editor.moc"
