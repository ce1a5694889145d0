// The `local` provider against the K8 Container Gate's file layout: the
// fixtures as the gate writes them, the multi-key statePath document, CRUD
// and preconditions, paging, keys, malformed files, watches and locks.
// Permissions, concurrent processes and crashes have suites of their own.

#include "LocalTestSupport.h"
#include "model/Codec.h"
#include "providers/Backends.h"

#include <QTest>

using namespace sd;
using namespace sd::test;
using namespace std::chrono_literals;

namespace {

Entry jsonEntry(const QString &key, const Json &value)
{
    Entry e;
    e.key = key;
    e.value = value;
    return e;
}

Json j(const char *text)
{
    return Json::parse(text);
}

// Collects a watch's events in arrival order.
struct EventLog {
    QList<Event> events;
    QString error;

    void attach(Watch *w)
    {
        QObject::connect(w, &Watch::event, w, [this](const Event &e) { events << e; });
        QObject::connect(w, &Watch::failed, w, [this](const Error &e) { error = e.toString(); });
    }
    // The last event about `key`, or a default one of type Resync.
    Event last(const QString &key) const
    {
        for (auto it = events.crbegin(); it != events.crend(); ++it) {
            if (it->entry.key == key)
                return *it;
        }
        return Event{Event::Type::Resync, {}, {}};
    }
    int count(const QString &key) const
    {
        int n = 0;
        for (const Event &e : events)
            n += e.entry.key == key ? 1 : 0;
        return n;
    }
};

QStringList listAll(Provider &p, const QString &prefix, int pageSize, int *pages = nullptr)
{
    QStringList keys;
    ListOptions o;
    o.prefix = prefix;
    o.limit = pageSize;
    o.keysOnly = true;
    for (int guard = 0; guard < 100000; ++guard) {
        auto page = await(p.list(o));
        if (!page.ok()) {
            qWarning("list failed: %s", qPrintable(why(page)));
            return {};
        }
        for (const Entry &e : page.value().entries)
            keys << e.key;
        if (pages)
            ++*pages;
        if (page.value().nextCursor.isEmpty())
            break;
        o.cursor = page.value().nextCursor;
    }
    return keys;
}

} // namespace

class TestLocalProvider : public QObject {
    Q_OBJECT
    std::unique_ptr<GateLayout> m_paging;

private Q_SLOTS:
    void cleanupTestCase() { m_paging.reset(); }

    // --- The fixtures, read and written back as they are -----------------

    void testFixtureRoundTrip_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("where"); // relative to the temporary root
        QTest::newRow("keys in keysPath/state.json") << "keys.json" << "keys" << "keys/state.json";
        QTest::newRow("rate-limit stats as a per-key file")
            << "rate-limit-getStats.json" << "rate-limit-getStats" << "state/rate-limit-getStats.json";
    }
    void testFixtureRoundTrip()
    {
        QFETCH(QString, fixture);
        QFETCH(QString, key);
        QFETCH(QString, where);
        GateLayout g;
        const QByteArray original = readBytes(fixturePath(QStringLiteral("k8-container-gate/") + fixture));
        QVERIFY(!original.isEmpty());
        const QString path = g.tmp.filePath(where);
        QVERIFY(writeBytes(path, original));
        auto p = g.open();

        auto got = await(p->get(key));
        QVERIFY2(got.ok(), qPrintable(why(got)));
        QVERIFY(got->value == parseJson(original));
        QCOMPARE(got->labels.value(QStringLiteral("file")), path);
        QCOMPARE(got->revision, contentRevision(original));

        // Unedited: the very same bytes.
        auto put = await(p->put(got.value(), Precondition::atRevision(got->revision)));
        QVERIFY2(put.ok(), qPrintable(why(put)));
        QCOMPARE(readBytes(path), original);
        QCOMPARE(put->revision, got->revision);

        // Edited: pretty JSON as the gate writes it, and it reads back.
        Entry edited = put.value();
        edited.value["added-by-test"] = Json::array({1, "two"});
        auto put2 = await(p->put(edited, Precondition::atRevision(put->revision)));
        QVERIFY2(put2.ok(), qPrintable(why(put2)));
        const QByteArray written = readBytes(path);
        QCOMPARE(written, toBytes(edited.value.dump(2)) + '\n');
        QVERIFY(parseJson(written) == edited.value);
        QVERIFY(put2->revision != put->revision);

        auto page = await(p->list({}));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 1);
        QCOMPARE(page->entries[0].key, key);
    }

    // The gate writes JSON.stringify(v, null, 2): no trailing newline. An
    // edit keeps the convention the file already has.
    void testNewlineConventionKept_data()
    {
        QTest::addColumn<QByteArray>("before");
        QTest::addColumn<QByteArray>("after");
        QTest::newRow("gate-written, no newline")
            << QByteArray("{\n  \"a\": 1\n}") << QByteArray("{\n  \"a\": 1,\n  \"b\": [\n    true\n  ]\n}");
        QTest::newRow("with newline")
            << QByteArray("{\"a\":1}\n") << QByteArray("{\n  \"a\": 1,\n  \"b\": [\n    true\n  ]\n}\n");
    }
    void testNewlineConventionKept()
    {
        QFETCH(QByteArray, before);
        QFETCH(QByteArray, after);
        GateLayout g;
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("k")), before));
        auto p = g.open();
        auto got = await(p->get(QStringLiteral("k")));
        QVERIFY(got.ok());
        got->value["b"] = Json::array({true});
        auto put = await(p->put(got.value(), Precondition::atRevision(got->revision)));
        QVERIFY2(put.ok(), qPrintable(why(put)));
        QCOMPARE(readBytes(g.fileOf(QStringLiteral("k"))), after);
        QCOMPARE(put->revision, contentRevision(after));
    }

    void testKeysWithoutKeysPath()
    {
        GateLayout g;
        LocalProvider p({g.statePath, QString()});
        auto put = await(p.put(jsonEntry(QStringLiteral("keys"), j(R"({"octocat":[]})")), Precondition::none()));
        QVERIFY2(put.ok(), qPrintable(why(put)));
        QVERIFY(QFile::exists(g.fileOf(QStringLiteral("keys"))));
        QVERIFY(!QFile::exists(g.keysFile));
    }

    // When keysPath is set the gate never reads dirname(statePath)/keys.json.
    void testKeysFileWinsOverStrayKeysJson()
    {
        GateLayout g;
        QVERIFY(writeBytes(g.keysFile, R"({"a":["ssh-ed25519 A"]})"));
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("keys")), R"({"stray":[]})"));
        auto p = g.open();
        auto got = await(p->get(QStringLiteral("keys")));
        QVERIFY(got.ok());
        QVERIFY(got->value.contains("a"));
        const QStringList keys = listAll(*p, QString(), 10);
        QCOMPARE(keys, QStringList{QStringLiteral("keys")});
    }

    // --- The multi-key statePath document ---------------------------------

    void testDocumentMembers_data()
    {
        QTest::addColumn<QByteArray>("doc");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QByteArray>("value"); // JSON; empty means remove
        QTest::addColumn<QByteArray>("expected");
        const QByteArray pretty = "{\n  \"a\": 1,\n  \"b\": {\n    \"x\": true\n  },\n  \"c\": \"z\"\n}\n";
        QTest::newRow("pretty, replace the middle member")
            << pretty << "b" << QByteArray(R"({"x":false,"y":[1]})")
            << QByteArray("{\n  \"a\": 1,\n  \"b\": {\n    \"x\": false,\n    \"y\": [\n      1\n    ]\n  },\n"
                          "  \"c\": \"z\"\n}\n");
        QTest::newRow("pretty, replace the last member with a scalar")
            << pretty << "c" << QByteArray("42")
            << QByteArray("{\n  \"a\": 1,\n  \"b\": {\n    \"x\": true\n  },\n  \"c\": 42\n}\n");
        QTest::newRow("compact stays compact")
            << QByteArray(R"({"a":1,"b":2})") << "a" << QByteArray(R"({"s":[1,2]})")
            << QByteArray(R"({"a":{"s":[1,2]},"b":2})");
        QTest::newRow("odd spacing elsewhere kept")
            << QByteArray("{ \"a\" : [1,  2] ,\n\t\"b\":[1, 2] }") << "b" << QByteArray("3")
            << QByteArray("{ \"a\" : [1,  2] ,\n\t\"b\":3 }");
        QTest::newRow("escaped names")
            << QByteArray("{\"q\\\"x\": \"\\u00e9\", \"k\": 1}") << "k" << QByteArray("2")
            << QByteArray("{\"q\\\"x\": \"\\u00e9\", \"k\": 2}");
        QTest::newRow("remove the first member")
            << pretty << "a" << QByteArray()
            << QByteArray("{\n  \"b\": {\n    \"x\": true\n  },\n  \"c\": \"z\"\n}\n");
        QTest::newRow("remove the last member")
            << pretty << "c" << QByteArray() << QByteArray("{\n  \"a\": 1,\n  \"b\": {\n    \"x\": true\n  }\n}\n");
        // JSON.parse and nlohmann take the last of repeated names.
        QTest::newRow("repeated name, the one read is edited")
            << QByteArray(R"({"a":1,"a":2,"b":3})") << "a" << QByteArray("5") << QByteArray(R"({"a":1,"a":5,"b":3})");
        QTest::newRow("repeated name removed entirely (document rewritten)")
            << QByteArray(R"({"a":1,"a":2,"b":3})") << "a" << QByteArray() << QByteArray("{\n  \"b\": 3\n}\n");
        QTest::newRow("remove the only member")
            << QByteArray("{\n  \"only\": [1]\n}\n") << "only" << QByteArray() << QByteArray("{}\n");
    }
    void testDocumentMembers()
    {
        QFETCH(QByteArray, doc);
        QFETCH(QString, key);
        QFETCH(QByteArray, value);
        QFETCH(QByteArray, expected);
        GateLayout g;
        QVERIFY(writeBytes(g.statePath, doc));
        auto p = g.open();

        const Json before = parseJson(doc);
        for (auto it = before.cbegin(); it != before.cend(); ++it) {
            auto member = await(p->get(toQString(it.key())));
            QVERIFY2(member.ok(), qPrintable(why(member)));
            QVERIFY(member->value == it.value());
            QCOMPARE(member->labels.value(QStringLiteral("file")), g.statePath);
        }
        auto got = await(p->get(key));
        QVERIFY(got.ok());

        // An unedited write changes nothing at all.
        auto same = await(p->put(got.value(), Precondition::atRevision(got->revision)));
        QVERIFY2(same.ok(), qPrintable(why(same)));
        QCOMPARE(readBytes(g.statePath), doc);
        QCOMPARE(same->revision, got->revision);

        if (value.isEmpty()) {
            const Status s = await(p->remove(key, Precondition::atRevision(got->revision)));
            QVERIFY2(s.ok(), qPrintable(why(s)));
            QCOMPARE(await(p->get(key)).error().kind, ErrorKind::NotFound);
        } else {
            Entry e = got.value();
            e.value = parseJson(value);
            auto put = await(p->put(e, Precondition::atRevision(got->revision)));
            QVERIFY2(put.ok(), qPrintable(why(put)));
            auto again = await(p->get(key));
            QVERIFY(again.ok());
            QVERIFY(again->value == e.value);
            QCOMPARE(again->revision, put->revision);
        }
        QCOMPARE(readBytes(g.statePath), expected);
        // No per-key file appeared for a member.
        QVERIFY(!QFile::exists(g.fileOf(key)));
    }

    void testDocumentListedWithFiles()
    {
        GateLayout g;
        QVERIFY(writeBytes(g.statePath, R"({"m1": 1, "shared": "member", "m2": [2]})"));
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("f1")), "{}"));
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("shared")), R"("file")"));
        QVERIFY(writeBytes(g.keysFile, R"({"octocat":[]})"));
        auto p = g.open();
        auto page = await(p->list({}));
        QVERIFY(page.ok());
        QStringList keys;
        for (const Entry &e : page->entries)
            keys << e.key;
        QCOMPARE(keys, (QStringList{"f1", "keys", "m1", "m2", "shared"}));
        // The gate reads a key's own file, so it shadows a member of the
        // same name, and statedeck says so.
        const Entry shared = page->entries[4];
        QVERIFY(shared.value == Json("file"));
        QCOMPARE(shared.labels.value(QStringLiteral("file")), g.fileOf(QStringLiteral("shared")));
        QCOMPARE(shared.labels.value(QStringLiteral("shadows")), g.statePath);
        QCOMPARE(page->entries[2].labels.value(QStringLiteral("file")), g.statePath);

        // Writes go where reads come from; new keys get a file of their own.
        const QByteArray docBefore = readBytes(g.statePath);
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("shared"), Json("file 2")), Precondition::none())).ok());
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("new"), Json(1)), Precondition::mustNotExist())).ok());
        QCOMPARE(readBytes(g.statePath), docBefore);
        QCOMPARE(readBytes(g.fileOf(QStringLiteral("new"))), QByteArray("1\n"));
    }

    void testReservedKey_data()
    {
        QTest::addColumn<bool>("documentExists");
        QTest::newRow("no document") << false;
        QTest::newRow("with a document") << true;
    }
    void testReservedKey()
    {
        QFETCH(bool, documentExists);
        GateLayout g;
        if (documentExists)
            QVERIFY(writeBytes(g.statePath, R"({"a":1})"));
        auto p = g.open();
        const QString key = QStringLiteral("state"); // statePath is state.json
        auto got = await(p->get(key));
        auto put = await(p->put(jsonEntry(key, Json(1)), Precondition::none()));
        const Status removed = await(p->remove(key, Precondition::none()));
        for (const Error &e : {got.error(), put.error(), removed.error()}) {
            QCOMPARE(e.kind, ErrorKind::Invalid);
            QVERIFY2(e.message.contains(QStringLiteral("reserved")), qPrintable(e.message));
            QVERIFY2(e.message.contains(g.statePath), qPrintable(e.message));
        }
        QCOMPARE(QFile::exists(g.statePath), documentExists);
        if (documentExists)
            QCOMPARE(readBytes(g.statePath), QByteArray(R"({"a":1})"));
    }

    // --- CRUD and preconditions --------------------------------------------

    void testCrud_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("file"); // relative to the temporary root
        QTest::newRow("per-key file") << "rate-limit-getStats" << "state/rate-limit-getStats.json";
        QTest::newRow("keys") << "keys" << "keys/state.json";
    }
    void testCrud()
    {
        QFETCH(QString, key);
        QFETCH(QString, file);
        GateLayout g;
        const QString path = g.tmp.filePath(file);
        auto p = g.open();
        QCOMPARE(await(p->get(key)).error().kind, ErrorKind::NotFound);

        auto created = await(p->put(jsonEntry(key, j(R"({"b":1,"a":[]})")), Precondition::mustNotExist()));
        QVERIFY2(created.ok(), qPrintable(why(created)));
        QCOMPARE(readBytes(path), QByteArray("{\n  \"b\": 1,\n  \"a\": []\n}\n"));
        QCOMPARE(created->revision, contentRevision(readBytes(path)));

        auto got = await(p->get(key));
        QVERIFY(got.ok());
        SD_COMPARE_JSON(got->value, j(R"({"b":1,"a":[]})"));
        QCOMPARE(got->revision, created->revision);
        QVERIFY(got->updated.isValid());

        Entry edited = got.value();
        edited.value["a"].push_back("x");
        auto updated = await(p->put(edited, Precondition::atRevision(got->revision)));
        QVERIFY(updated.ok());
        QVERIFY(updated->revision != got->revision);

        const Status removed = await(p->remove(key, Precondition::atRevision(updated->revision)));
        QVERIFY2(removed.ok(), qPrintable(why(removed)));
        QVERIFY(!QFile::exists(path));
        QCOMPARE(await(p->get(key)).error().kind, ErrorKind::NotFound);
        // No lock or temporary file is left among the state files.
        const QStringList left = QDir(QFileInfo(path).absolutePath()).entryList(QDir::Files | QDir::Hidden);
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QLatin1Char(' '))));
    }

    void testPreconditions_data()
    {
        QTest::addColumn<QString>("op");
        QTest::addColumn<bool>("member"); // the key is a member of the document
        QTest::addColumn<bool>("exists");
        QTest::addColumn<int>("pre"); // 0 none, 1 must-not-exist, 2 stale revision, 3 current revision
        QTest::addColumn<int>("kind"); // -1: success
        for (bool member : {false, true}) {
            const char *m = member ? "member: " : "file: ";
            auto row = [&](const char *name) -> QTestData & {
                return QTest::newRow(qPrintable(QString::fromLatin1(m) + QString::fromLatin1(name)));
            };
            row("put must-not-exist over existing") << "put" << member << true << 1 << int(ErrorKind::AlreadyExists);
            row("put stale revision") << "put" << member << true << 2 << int(ErrorKind::Conflict);
            row("put current revision") << "put" << member << true << 3 << -1;
            row("remove stale revision") << "remove" << member << true << 2 << int(ErrorKind::Conflict);
            row("remove current revision") << "remove" << member << true << 3 << -1;
        }
        QTest::newRow("put revision on missing") << "put" << false << false << 2 << int(ErrorKind::Conflict);
        QTest::newRow("put must-not-exist on missing") << "put" << false << false << 1 << -1;
        QTest::newRow("remove missing") << "remove" << false << false << 0 << int(ErrorKind::NotFound);
        QTest::newRow("remove revision on missing") << "remove" << false << false << 2 << int(ErrorKind::Conflict);
    }
    void testPreconditions()
    {
        QFETCH(QString, op);
        QFETCH(bool, member);
        QFETCH(bool, exists);
        QFETCH(int, pre);
        QFETCH(int, kind);
        GateLayout g;
        const QString key = QStringLiteral("k");
        QVERIFY(writeBytes(g.statePath, member && exists ? R"({"k": {"v": 1}, "o": 2})" : R"({"o": 2})"));
        if (!member && exists)
            QVERIFY(writeBytes(g.fileOf(key), R"({"v": 1})"));
        const QByteArray docBefore = readBytes(g.statePath);
        const QByteArray fileBefore = readBytes(g.fileOf(key));
        auto p = g.open();
        QString current;
        if (exists)
            current = await(p->get(key))->revision;
        const QString stale = QStringLiteral("0123456789abcdef");
        const Precondition precondition = pre == 0   ? Precondition::none()
                                          : pre == 1 ? Precondition::mustNotExist()
                                          : pre == 2 ? Precondition::atRevision(stale)
                                                     : Precondition::atRevision(current);
        Error error;
        bool ok = false;
        if (op == QLatin1String("put")) {
            auto r = await(p->put(jsonEntry(key, j(R"({"v": 2})")), precondition));
            ok = r.ok();
            if (!ok)
                error = r.error();
        } else {
            const Status s = await(p->remove(key, precondition));
            ok = s.ok();
            if (!ok)
                error = s.error();
        }
        if (kind < 0) {
            QVERIFY2(ok, qPrintable(error.toString()));
            return;
        }
        QVERIFY(!ok);
        QCOMPARE(int(error.kind), kind);
        QCOMPARE(error.where, key);
        if (error.kind == ErrorKind::Conflict) {
            // The message names the expected and the actual revision.
            QVERIFY2(error.message.contains(stale), qPrintable(error.message));
            if (exists)
                QVERIFY2(error.message.contains(current), qPrintable(error.message));
        }
        // Nothing changed.
        QCOMPARE(readBytes(g.statePath), docBefore);
        QCOMPARE(readBytes(g.fileOf(key)), fileBefore);
        QCOMPARE(QFile::exists(g.fileOf(key)), !member && exists);
    }

    // --- Paging ------------------------------------------------------------

    void testPaging_data()
    {
        QTest::addColumn<int>("pageSize");
        QTest::addColumn<QString>("prefix");
        QTest::addColumn<int>("expected");
        // 3000 files k00000..k02999, 100 files other-*, 50 document members doc-*.
        QTest::newRow("everything, pages of 500") << 500 << "" << 3150;
        QTest::newRow("everything, one page") << 5000 << "" << 3150;
        QTest::newRow("prefix k0, pages of 97") << 97 << "k0" << 3000;
        QTest::newRow("prefix k001, pages of 7") << 7 << "k001" << 100;
        QTest::newRow("document members only") << 9 << "doc-" << 50;
        QTest::newRow("no match") << 10 << "zzz" << 0;
        QTest::newRow("default page size") << 0 << "" << 3150;
    }
    void testPaging()
    {
        QFETCH(int, pageSize);
        QFETCH(QString, prefix);
        QFETCH(int, expected);
        if (!m_paging) {
            // Shared by the rows; written with plain files (fast, no fsync).
            m_paging = std::make_unique<GateLayout>();
            GateLayout *g = m_paging.get();
            for (int i = 0; i < 3000; ++i)
                QVERIFY(writeBytes(g->fileOf(QStringLiteral("k%1").arg(i, 5, 10, QLatin1Char('0'))),
                                   QByteArray::number(i)));
            for (int i = 0; i < 100; ++i)
                QVERIFY(writeBytes(g->fileOf(QStringLiteral("other-%1").arg(i)), "{}"));
            Json doc = Json::object();
            for (int i = 0; i < 50; ++i)
                doc[toStd(QStringLiteral("doc-%1").arg(i))] = i;
            QVERIFY(writeBytes(g->statePath, toBytes(doc.dump(2))));
        }
        LocalProvider p(m_paging->options());
        int pages = 0;
        const QStringList keys = listAll(p, prefix, pageSize, &pages);
        QCOMPARE(keys.size(), expected);
        for (int i = 1; i < keys.size(); ++i)
            QVERIFY2(keys[i - 1] < keys[i], qPrintable(keys[i - 1] + QStringLiteral(" >= ") + keys[i]));
        for (const QString &k : keys)
            QVERIFY(k.startsWith(prefix));
        const int size = pageSize > 0 ? pageSize : 500;
        QCOMPARE(pages, std::max(1, (expected + size - 1) / size));
    }

    // The cursor is the last key returned: keys added before it or removed
    // after it neither repeat nor skip anything.
    void testCursorIsStable()
    {
        GateLayout g;
        for (const char *k : {"b", "d", "f", "h", "j"})
            QVERIFY(writeBytes(g.fileOf(QString::fromLatin1(k)), "1"));
        auto p = g.open();
        ListOptions o;
        o.limit = 2;
        auto first = await(p->list(o));
        QVERIFY(first.ok());
        QCOMPARE(first->entries.size(), 2);
        QCOMPARE(first->nextCursor, QStringLiteral("d"));
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("a")), "1"));
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("e")), "1"));
        QVERIFY(QFile::remove(g.fileOf(QStringLiteral("f"))));
        o.cursor = first->nextCursor;
        auto second = await(p->list(o));
        QVERIFY(second.ok());
        QCOMPARE(second->entries.size(), 2);
        QCOMPARE(second->entries[0].key, QStringLiteral("e"));
        QCOMPARE(second->entries[1].key, QStringLiteral("h"));
        o.cursor = second->nextCursor;
        auto third = await(p->list(o));
        QCOMPARE(third->entries.size(), 1);
        QCOMPARE(third->entries[0].key, QStringLiteral("j"));
        QVERIFY(third->nextCursor.isEmpty());
    }

    // --- Keys ----------------------------------------------------------------

    void testUnicodeKeys_data()
    {
        QTest::addColumn<QString>("key");
        QTest::newRow("latin") << QString::fromUtf8("clé");
        QTest::newRow("cjk") << QString::fromUtf8("日本語のキー");
        QTest::newRow("emoji") << QString::fromUtf8("rocket 🚀");
        QTest::newRow("user:repo") << "octocat:docker-sftp";
        QTest::newRow("spaces and quotes") << "with space \"quoted\"";
        QTest::newRow("hidden") << ".hidden";
        QTest::newRow("ends in .json") << "a.json";
        QTest::newRow("200 bytes") << QString(200, QLatin1Char('x'));
    }
    void testUnicodeKeys()
    {
        QFETCH(QString, key);
        GateLayout g;
        auto p = g.open();
        auto put = await(p->put(jsonEntry(key, Json(toStd(key))), Precondition::mustNotExist()));
        QVERIFY2(put.ok(), qPrintable(why(put)));
        QVERIFY(QFile::exists(g.fileOf(key)));
        auto got = await(p->get(key));
        QVERIFY(got.ok());
        QVERIFY(got->value == Json(toStd(key)));
        QCOMPARE(listAll(*p, QString(), 10), QStringList{key});
        QCOMPARE(listAll(*p, key.left(2), 10), QStringList{key});
        QVERIFY(await(p->remove(key, Precondition::atRevision(got->revision))).ok());
        QVERIFY(!QFile::exists(g.fileOf(key)));
    }

    void testBadKeys_data()
    {
        QTest::addColumn<QString>("key");
        QTest::newRow("empty") << "";
        QTest::newRow("slash") << "a/b";
        QTest::newRow("backslash") << "a\\b";
        QTest::newRow("dotdot") << "..";
        QTest::newRow("dot") << ".";
        QTest::newRow("escape upwards") << "../etc/passwd";
        QTest::newRow("nul") << QString(QStringLiteral("a") + QChar(0) + QStringLiteral("b"));
        QTest::newRow("newline") << "a\nb";
        QTest::newRow("too long for a file name") << QString(201, QLatin1Char('x'));
    }
    void testBadKeys()
    {
        QFETCH(QString, key);
        GateLayout g;
        auto p = g.open();
        auto got = await(p->get(key));
        auto put = await(p->put(jsonEntry(key, Json(1)), Precondition::none()));
        const Status removed = await(p->remove(key, Precondition::none()));
        auto locked = await(p->lock(key, 10s));
        for (const Error &e : {got.error(), put.error(), removed.error(), locked.error()}) {
            QCOMPARE(e.kind, ErrorKind::Invalid);
            QVERIFY(!e.message.isEmpty());
        }
        // Nothing was created anywhere.
        QCOMPARE(QDir(g.tmp.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList());
    }

    void testLargeValue_data()
    {
        QTest::addColumn<int>("shape");
        QTest::newRow("1 MiB string") << 0;
        QTest::newRow("1 MiB of object") << 1;
    }
    void testLargeValue()
    {
        QFETCH(int, shape);
        GateLayout g;
        auto p = g.open();
        Json value;
        if (shape == 0) {
            value = Json(std::string(1024 * 1024, 'v'));
        } else {
            value = Json::object();
            // Like a big `keys` map: 2048 users with 512 bytes of keys each
            // (ordered_json looks names up linearly, so not 20k tiny ones).
            for (int i = 0; i < 2048; ++i)
                value[toStd(QStringLiteral("user-%1").arg(i))] =
                    Json::array({"ssh-ed25519 " + std::string(500, char('A' + i % 26)), i});
            QVERIFY(compactJson(value).size() >= 1024 * 1024);
        }
        auto put = await(p->put(jsonEntry(QStringLiteral("big"), value), Precondition::mustNotExist()));
        QVERIFY2(put.ok(), qPrintable(why(put)));
        auto got = await(p->get(QStringLiteral("big")));
        QVERIFY(got.ok());
        QVERIFY(got->value == value);
        QVERIFY(parseJson(readBytes(g.fileOf(QStringLiteral("big")))) == value);
    }

    // --- Malformed files: located, reported, never overwritten by accident ---

    void testMalformedFile_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("position");
        QTest::newRow("unterminated object") << QByteArray("{\n  \"a\": 1,\n  \"b\": \n") << "4:1";
        QTest::newRow("bad literal") << QByteArray("{\n  \"a\": tru }") << "2:11";
        QTest::newRow("trailing garbage") << QByteArray("{} x") << "1:4";
        QTest::newRow("empty file") << QByteArray() << "1:1";
        QTest::newRow("truncated by a crash") << QByteArray("{\n  \"octocat\": [\n    \"ssh-ed25") << "3:14";
    }
    void testMalformedFile()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, position);
        GateLayout g;
        const QString path = g.fileOf(QStringLiteral("bad"));
        QVERIFY(writeBytes(path, bytes));
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("good")), "[1]"));
        auto p = g.open();
        const QString where = path + QLatin1Char(':') + position;

        auto got = await(p->get(QStringLiteral("bad")));
        QVERIFY(!got.ok());
        QCOMPARE(got.error().kind, ErrorKind::Invalid);
        QCOMPARE(got.error().where, where);

        // A listing shows the bad key with its error instead of failing.
        auto page = await(p->list({}));
        QVERIFY2(page.ok(), qPrintable(why(page)));
        QCOMPARE(page->entries.size(), 2);
        const Entry bad = page->entries[0];
        QCOMPARE(bad.key, QStringLiteral("bad"));
        QVERIFY(bad.value.is_null());
        QVERIFY2(bad.labels.value(QStringLiteral("error")).startsWith(where),
                 qPrintable(bad.labels.value(QStringLiteral("error"))));
        QCOMPARE(bad.revision, contentRevision(bytes));
        QVERIFY(page->entries[1].value == Json::array({1}));

        // Refused without explicit intent, and the file stays as it was.
        auto put = await(p->put(jsonEntry(QStringLiteral("bad"), Json(1)), Precondition::none()));
        QCOMPARE(put.error().kind, ErrorKind::Invalid);
        QCOMPARE(put.error().where, where);
        QVERIFY2(put.error().message.contains(bad.revision), qPrintable(why(put)));
        QCOMPARE(await(p->put(jsonEntry(QStringLiteral("bad"), Json(1)), Precondition::mustNotExist())).error().kind,
                 ErrorKind::AlreadyExists);
        QCOMPARE(await(p->remove(QStringLiteral("bad"), Precondition::none())).error().kind, ErrorKind::Invalid);
        QCOMPARE(readBytes(path), bytes);

        // Naming its current revision is the explicit intent to replace it.
        auto fixed = await(p->put(jsonEntry(QStringLiteral("bad"), j(R"({"fixed":true})")),
                                  Precondition::atRevision(bad.revision)));
        QVERIFY2(fixed.ok(), qPrintable(why(fixed)));
        QVERIFY(await(p->get(QStringLiteral("bad")))->value == j(R"({"fixed":true})"));
    }

    void testMalformedDocument_data()
    {
        QTest::addColumn<QByteArray>("doc");
        QTest::addColumn<QString>("where"); // after the path
        QTest::newRow("syntax error") << QByteArray("{\n  \"a\": 1,\n  \"b\": }\n") << ":3:8";
        QTest::newRow("not an object") << QByteArray("[1, 2]\n") << "";
    }
    void testMalformedDocument()
    {
        QFETCH(QByteArray, doc);
        QFETCH(QString, where);
        GateLayout g;
        QVERIFY(writeBytes(g.statePath, doc));
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("c")), "1"));
        auto p = g.open();

        auto member = await(p->get(QStringLiteral("a")));
        QCOMPARE(member.error().kind, ErrorKind::Invalid);
        QCOMPARE(member.error().where, g.statePath + where);
        // Writes that might touch a member are refused, the document kept.
        for (const char *key : {"a", "new"}) {
            auto put = await(p->put(jsonEntry(QString::fromLatin1(key), Json(2)), Precondition::none()));
            QCOMPARE(put.error().kind, ErrorKind::Invalid);
            QCOMPARE(put.error().where, g.statePath + where);
            QCOMPARE(await(p->remove(QString::fromLatin1(key), Precondition::none())).error().kind,
                     ErrorKind::Invalid);
        }
        QCOMPARE(readBytes(g.statePath), doc);
        QVERIFY(!QFile::exists(g.fileOf(QStringLiteral("new"))));
        // Keys with files of their own carry on.
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("c"), Json(2)), Precondition::none())).ok());
        // The listing shows the document's error under its reserved key.
        auto page = await(p->list({}));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 2);
        QCOMPARE(page->entries[1].key, QStringLiteral("state"));
        QVERIFY(page->entries[1].labels.value(QStringLiteral("error")).startsWith(g.statePath + where));
        QCOMPARE(await(p->get(QStringLiteral("state"))).error().where, g.statePath + where);
    }

    // --- Watch -------------------------------------------------------------

    void testWatchSeesChanges_data()
    {
        QTest::addColumn<QString>("how");
        QTest::addColumn<QString>("key");
        QTest::addColumn<int>("type");
        QTest::addColumn<QByteArray>("value"); // expected, for Added/Modified
        QTest::newRow("plain write") << "plain" << "a" << int(Event::Type::Modified) << QByteArray(R"({"v":2})");
        QTest::newRow("atomic replace like the gate")
            << "rename" << "a" << int(Event::Type::Modified) << QByteArray(R"({"v":2})");
        QTest::newRow("new file") << "create" << "b" << int(Event::Type::Added) << QByteArray(R"({"v":2})");
        QTest::newRow("delete") << "delete" << "a" << int(Event::Type::Deleted) << QByteArray();
        QTest::newRow("keys file") << "keys" << "keys" << int(Event::Type::Modified) << QByteArray(R"({"v":2})");
        QTest::newRow("document member") << "member" << "m" << int(Event::Type::Modified) << QByteArray(R"({"v":2})");
        QTest::newRow("through the provider") << "put" << "a" << int(Event::Type::Modified) << QByteArray(R"({"v":2})");
    }
    void testWatchSeesChanges()
    {
        QFETCH(QString, how);
        QFETCH(QString, key);
        QFETCH(int, type);
        QFETCH(QByteArray, value);
        GateLayout g;
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("a")), R"({"v":1})"));
        QVERIFY(writeBytes(g.keysFile, R"({"v":1})"));
        QVERIFY(writeBytes(g.statePath, R"({"m": {"v":1}, "n": 0})"));
        auto p = g.open();
        auto watch = p->watch(QString(), QString());
        EventLog log;
        log.attach(watch.get());
        // The worker is serial: once this returns, the watch has its
        // starting point.
        QVERIFY(await(p->get(QStringLiteral("a"))).ok());
        QVERIFY(log.events.isEmpty());

        const QByteArray v2 = R"({"v":2})";
        if (how == QLatin1String("plain")) {
            QVERIFY(writeBytes(g.fileOf(key), v2));
        } else if (how == QLatin1String("rename")) {
            QVERIFY(writeBytes(g.fileOf(key) + QStringLiteral(".tmp"), v2));
            QVERIFY(::rename(QFile::encodeName(g.fileOf(key) + QStringLiteral(".tmp")).constData(),
                             QFile::encodeName(g.fileOf(key)).constData())
                    == 0);
        } else if (how == QLatin1String("create")) {
            QVERIFY(writeBytes(g.fileOf(key), v2));
        } else if (how == QLatin1String("delete")) {
            QVERIFY(QFile::remove(g.fileOf(key)));
        } else if (how == QLatin1String("keys")) {
            QVERIFY(writeBytes(g.keysFile, v2));
        } else if (how == QLatin1String("member")) {
            QVERIFY(writeBytes(g.statePath, R"({"m": {"v":2}, "n": 0})"));
        } else {
            QVERIFY(await(p->put(jsonEntry(key, parseJson(v2)), Precondition::none())).ok());
        }

        // A plain write may be seen half-done first; what counts is where
        // it settles.
        QTRY_VERIFY_WITH_TIMEOUT(log.last(key).type == Event::Type(type)
                                     && (value.isEmpty() || log.last(key).entry.value == parseJson(value)),
                                 10000);
        QVERIFY(log.error.isEmpty());
        if (type != int(Event::Type::Deleted)) {
            QVERIFY(!log.last(key).entry.revision.isEmpty());
            QVERIFY(!log.last(key).entry.labels.value(QStringLiteral("file")).isEmpty());
        }
        // Nothing else changed, so nothing else was reported.
        for (const Event &e : std::as_const(log.events))
            QCOMPARE(e.entry.key, key);
        if (how != QLatin1String("plain"))
            QCOMPARE(log.count(key), 1);
    }

    void testWatchResyncAndPrefix()
    {
        GateLayout g;
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("p2")), "2"));
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("p1")), "1"));
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("q1")), "1"));
        QVERIFY(writeBytes(g.statePath, R"({"p3": 3})"));
        auto p = g.open();
        auto watch = p->watch(QStringLiteral("p"), QStringLiteral("list-0123"));
        EventLog log;
        log.attach(watch.get());
        QTRY_VERIFY_WITH_TIMEOUT(log.events.size() >= 5, 10000);
        QCOMPARE(log.events.size(), 5);
        QCOMPARE(log.events[0].type, Event::Type::Resync);
        QStringList added;
        for (int i = 1; i < 4; ++i) {
            QCOMPARE(log.events[i].type, Event::Type::Added);
            added << log.events[i].entry.key;
        }
        QCOMPARE(added, (QStringList{"p1", "p2", "p3"}));
        QVERIFY(log.events[3].entry.value == Json(3));
        QCOMPARE(log.events[4].type, Event::Type::ResyncDone);

        // Live from here; q1 is outside the prefix. q1 changes first, so
        // by the time p1's event arrives its rescan has been done.
        log.events.clear();
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("q1")), "11"));
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("p1"), Json(11)), Precondition::none())).ok());
        QTRY_VERIFY_WITH_TIMEOUT(log.last(QStringLiteral("p1")).type == Event::Type::Modified, 10000);
        QCOMPARE(log.count(QStringLiteral("q1")), 0);
    }

    // A watch keeps working when its provider is gone (they share a worker).
    void testWatchOutlivesProvider()
    {
        GateLayout g;
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("a")), "1"));
        auto p = g.open();
        auto watch = p->watch(QString(), QString());
        EventLog log;
        log.attach(watch.get());
        QVERIFY(await(p->get(QStringLiteral("a"))).ok());
        p.reset();
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("a")), "2"));
        QTRY_VERIFY_WITH_TIMEOUT(log.last(QStringLiteral("a")).entry.value == Json(2), 10000);
    }

    // Watches destroyed while their first rescan is queued or running.
    void testWatchDestroyedMidRescan()
    {
        GateLayout g;
        for (int i = 0; i < 300; ++i)
            QVERIFY(writeBytes(g.fileOf(QStringLiteral("f%1").arg(i)), "1"));
        auto p = g.open();
        for (int i = 0; i < 20; ++i) {
            auto w = p->watch(QString(), i % 2 ? QStringLiteral("old") : QString());
            EventLog log;
            log.attach(w.get());
            if (i % 4 == 0)
                QCoreApplication::processEvents();
        }
        // Every queued rescan has run once this returns; nothing was
        // delivered to a destroyed watch.
        QVERIFY(await(p->get(QStringLiteral("f0"))).ok());
        QCoreApplication::processEvents();
    }

    // --- Locks -------------------------------------------------------------

    void testLocks()
    {
        GateLayout g;
        auto alice = g.open();
        auto bob = g.open();
        auto first = await(alice->lock(QStringLiteral("deploy"), 30s));
        QVERIFY2(first.ok(), qPrintable(why(first)));
        QVERIFY(first->fencingToken > 0);
        QVERIFY(QFile::exists(g.stateDir + QStringLiteral("/.statedeck-locks/deploy.json")));

        // Held: Busy, naming the holder.
        auto busy = await(bob->lock(QStringLiteral("deploy"), 30s));
        QCOMPARE(busy.error().kind, ErrorKind::Busy);
        QVERIFY2(busy.error().message.contains(first->owner), qPrintable(why(busy)));
        QCOMPARE(busy.error().where, QStringLiteral("deploy"));

        // Only the holder may release it.
        Lock forged = first.value();
        forged.owner = QStringLiteral("someone-else");
        QCOMPARE(await(bob->unlock(forged)).error().kind, ErrorKind::Conflict);
        QVERIFY(await(alice->unlock(first.value())).ok());
        QCOMPARE(await(alice->unlock(first.value())).error().kind, ErrorKind::NotFound);

        // Every acquisition gets a larger token.
        auto second = await(bob->lock(QStringLiteral("deploy"), 30s));
        QVERIFY(second.ok());
        QVERIFY(second->fencingToken > first->fencingToken);
        QVERIFY(second->owner != first->owner);
        auto other = await(alice->lock(QStringLiteral("other"), 30s));
        QVERIFY(other.ok());
        QVERIFY(other->fencingToken > second->fencingToken);

        // Lock records are not state keys.
        QCOMPARE(listAll(*alice, QString(), 10), QStringList());
    }

    void testExpiredLockCanBeTaken()
    {
        GateLayout g;
        auto alice = g.open();
        auto bob = g.open();
        auto first = await(alice->lock(QStringLiteral("short"), 100ms));
        QVERIFY(first.ok());
        QCOMPARE(await(bob->lock(QStringLiteral("short"), 30s)).error().kind, ErrorKind::Busy);
        // Retried until the 100 ms have passed (QTRY_* would evaluate the
        // successful attempt twice).
        Result<Lock> taken;
        QVERIFY(QTest::qWaitFor(
            [&] {
                taken = await(bob->lock(QStringLiteral("short"), 30s));
                return taken.ok();
            },
            5000));
        QVERIFY(taken->fencingToken > first->fencingToken);
        // The old holder lost it and cannot release the new holder's lock.
        QCOMPARE(await(alice->unlock(first.value())).error().kind, ErrorKind::Conflict);
        QVERIFY(await(bob->unlock(taken.value())).ok());
    }

    void testLockArguments_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("ttlMs");
        QTest::newRow("zero ttl") << "a" << 0;
        QTest::newRow("negative ttl") << "a" << -5;
        QTest::newRow("slash in name") << "a/b" << 1000;
    }
    void testLockArguments()
    {
        QFETCH(QString, name);
        QFETCH(int, ttlMs);
        GateLayout g;
        auto p = g.open();
        QCOMPARE(await(p->lock(name, std::chrono::milliseconds(ttlMs))).error().kind, ErrorKind::Invalid);
    }

    // --- Construction and registration --------------------------------------

    void testNoIoUntilUsed()
    {
        GateLayout g;
        auto p = g.open();
        QCOMPARE(p->scheme(), QStringLiteral("local"));
        QVERIFY(p->describe().contains(g.statePath));
        const Capabilities c = p->capabilities();
        QCOMPARE(c.watch, WatchKind::File);
        QVERIFY(c.compareAndSwap && c.locks && c.fileBacked && !c.watchHistory && !c.readOnly);
        QCOMPARE(c.forbiddenKeyChars, QStringLiteral("/\\"));
        // Nothing exists yet; reading creates nothing.
        auto page = await(p->list({}));
        QVERIFY(page.ok());
        QVERIFY(page->entries.isEmpty());
        QCOMPARE(await(p->get(QStringLiteral("keys"))).error().kind, ErrorKind::NotFound);
        QVERIFY(!QFileInfo::exists(g.stateDir));
        QVERIFY(!QFileInfo::exists(g.keysDir));
    }

    void testBackendRegistration_data()
    {
        QTest::addColumn<QVariantMap>("options");
        QTest::addColumn<bool>("ok");
        QTest::newRow("statePath and keysPath")
            << QVariantMap{{"statePath", "/var/lib/k8gate/state.json"}, {"keysPath", "/etc/ssh/authorized_keys.d"}}
            << true;
        QTest::newRow("statePath only") << QVariantMap{{"statePath", "/var/lib/k8gate/state.json"}} << true;
        QTest::newRow("no statePath") << QVariantMap{{"keysPath", "/etc/ssh/authorized_keys.d"}} << false;
    }
    void testBackendRegistration()
    {
        QFETCH(QVariantMap, options);
        QFETCH(bool, ok);
        QVERIFY(builtBackends().contains(QStringLiteral("local")));
        StoreSpec spec;
        spec.backend = QStringLiteral("local");
        spec.options = options;
        spec.origin = QStringLiteral("worker.yml:24");
        auto provider = openProvider(spec);
        QCOMPARE(provider.ok(), ok);
        if (ok) {
            QCOMPARE(provider.value()->scheme(), QStringLiteral("local"));
        } else {
            QCOMPARE(provider.error().kind, ErrorKind::Invalid);
            QVERIFY(provider.error().message.contains(QStringLiteral("statePath")));
            QCOMPARE(provider.error().where, spec.origin);
        }
    }
};

QTEST_GUILESS_MAIN(TestLocalProvider)
#include "tst_local_provider.moc"
