#include "model/Codec.h"
#include "providers/Backends.h"
#include "providers/sqlite/SqliteProvider.h"
#include "support/TestSupport.h"

#include <sqlite3.h>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace sd;
using namespace std::chrono_literals;
using sd::test::await;

namespace {

template <typename R>
QByteArray why(const R &r)
{
    return r.ok() ? QByteArray() : (errorKindName(r.error().kind) + QStringLiteral(": ") + r.error().toString()).toUtf8();
}

#define SD_VERIFY_OK(expr)                                   \
    do {                                                     \
        const auto &sdResult_ = (expr);                      \
        QVERIFY2(sdResult_.ok(), why(sdResult_).constData()); \
    } while (false)

Entry makeEntry(const QString &key, Json value)
{
    Entry e;
    e.key = key;
    e.value = std::move(value);
    return e;
}

// Records what a watch emits, as "TYPE key @revision" lines a failing
// QCOMPARE can show whole.
struct Recorder {
    QList<Event> events;
    std::optional<Error> failure;

    void attach(Watch *w)
    {
        QObject::connect(w, &Watch::event, w, [this](const Event &e) { events.append(e); });
        QObject::connect(w, &Watch::failed, w, [this](const Error &e) { failure = e; });
    }

    QStringList lines() const
    {
        QStringList out;
        for (const Event &e : events) {
            QString line = eventTypeName(e.type);
            if (!e.entry.key.isEmpty())
                line += QLatin1Char(' ') + e.entry.key;
            if (!e.revision.isEmpty())
                line += QStringLiteral(" @") + e.revision;
            out << line;
        }
        return out;
    }
};

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

bool writeAll(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

// Runs a plain SQL statement outside the provider, to inspect or prepare a
// file the way another program would.
QString sqlScalar(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    QString out;
    if (sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr)
        == SQLITE_OK) {
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
            out = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0)));
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return out;
}

struct Finished {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// Starts the helper and waits on the event loop, so a watch in this process
// keeps running meanwhile.
std::unique_ptr<QProcess> startClient(const QStringList &args)
{
    auto proc = std::make_unique<QProcess>();
    proc->start(sd::test::builtProgram(QStringLiteral("sqlite_client")), args);
    return proc;
}

Finished waitFor(QProcess &proc, int timeoutMs)
{
    Finished f;
    if (proc.error() == QProcess::FailedToStart) {
        f.err = "sqlite_client did not start: " + proc.program().toUtf8();
        return f;
    }
    if (!QTest::qWaitFor([&] { return proc.state() == QProcess::NotRunning; }, timeoutMs)) {
        proc.kill();
        proc.waitForFinished();
        f.err = "timed out";
        return f;
    }
    f.exitCode = proc.exitStatus() == QProcess::NormalExit ? proc.exitCode() : -1;
    f.out = proc.readAllStandardOutput();
    f.err = proc.readAllStandardError();
    return f;
}

} // namespace

class TestSqliteProvider : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    // Ten thousand keys are written once and paged several ways.
    QTemporaryDir m_pagingDir;
    QStringList m_pagingKeys; // the keys under the prefix, in UTF-8 byte order
    int m_pagingWrites = 0;

    QString dbPath() const { return m_dir->filePath(QStringLiteral("state.db")); }

    void fillPagingStore();

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }
    void cleanup()
    {
        // A permission test may have left a directory unwritable.
        QDirIterator it(m_dir->path(), QDir::Dirs | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
        while (it.hasNext())
            QFile::setPermissions(it.next(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        m_dir.reset();
    }

    void testCapabilitiesAndRegistration()
    {
        SqliteProvider p(dbPath());
        const Capabilities caps = p.capabilities();
        QCOMPARE(caps.watch, WatchKind::Poll);
        QVERIFY(caps.compareAndSwap);
        QVERIFY(caps.locks);
        QVERIFY(caps.transactions);
        QVERIFY(caps.watchHistory);
        QVERIFY(!caps.ttl);
        QVERIFY(!caps.readOnly);
        QVERIFY(!caps.fileBacked);
        QCOMPARE(p.scheme(), QStringLiteral("sqlite"));
        QCOMPARE(p.describe(), QStringLiteral("sqlite://") + dbPath());

        QVERIFY(builtBackends().contains(QStringLiteral("sqlite")));
        StoreSpec spec;
        spec.backend = QStringLiteral("sqlite");
        spec.options.insert(QStringLiteral("path"), dbPath());
        auto opened = openProvider(spec);
        SD_VERIFY_OK(opened);
        QCOMPARE(opened.value()->describe(), QStringLiteral("sqlite://") + dbPath());

        // No path: the XDG data directory.
        const QByteArray saved = qgetenv("XDG_DATA_HOME");
        qputenv("XDG_DATA_HOME", QFile::encodeName(m_dir->path()));
        spec.options.clear();
        auto fallback = openProvider(spec);
        QCOMPARE(SqliteProvider::defaultPath(), m_dir->path() + QStringLiteral("/statedeck/state.db"));
        if (saved.isNull())
            qunsetenv("XDG_DATA_HOME");
        else
            qputenv("XDG_DATA_HOME", saved);
        SD_VERIFY_OK(fallback);
        QCOMPARE(fallback.value()->describe(),
                 QStringLiteral("sqlite://") + m_dir->path() + QStringLiteral("/statedeck/state.db"));
    }

    void testFirstOperationCreatesStore()
    {
        const QString dir = m_dir->filePath(QStringLiteral("a/b"));
        const QString path = dir + QStringLiteral("/state.db");
        {
            SqliteProvider p(path);
            QVERIFY(!p.describe().isEmpty());
        }
        QVERIFY2(!QFileInfo::exists(m_dir->filePath(QStringLiteral("a"))), "the constructor must not touch the disk");

        SqliteProvider p(path);
        auto missing = await(p.get(QStringLiteral("k")));
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().kind, ErrorKind::NotFound);
        QVERIFY(readAll(path).startsWith(QByteArray("SQLite format 3\0", 16)));
        QCOMPARE(sqlScalar(path, "PRAGMA journal_mode"), QStringLiteral("wal"));
        QCOMPARE(sqlScalar(path, "SELECT value FROM meta WHERE name = 'schema'"), QStringLiteral("1"));
    }

    void testCrudAndRevisions()
    {
        SqliteProvider p(dbPath());
        const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-1);

        auto a1 = await(p.put(makeEntry(QStringLiteral("a"), Json{{"n", 1}}), Precondition::none()));
        SD_VERIFY_OK(a1);
        QCOMPARE(a1->revision, QStringLiteral("1"));
        auto a2 = await(p.put(makeEntry(QStringLiteral("a"), Json{{"n", 2}}), Precondition::none()));
        SD_VERIFY_OK(a2);
        QCOMPARE(a2->revision, QStringLiteral("2"));
        SD_COMPARE_JSON(a2->value, (Json{{"n", 2}}));

        Entry b = makeEntry(QStringLiteral("b"), Json("plain text"));
        b.encoding = Encoding::Text;
        b.labels = {{QStringLiteral("team"), QStringLiteral("core")}, {QStringLiteral("tier"), QStringLiteral("1")}};
        auto b1 = await(p.put(b, Precondition::none()));
        SD_VERIFY_OK(b1);
        QCOMPARE(b1->revision, QStringLiteral("3"));

        auto gotA = await(p.get(QStringLiteral("a")));
        SD_VERIFY_OK(gotA);
        QCOMPARE(gotA->key, QStringLiteral("a"));
        QCOMPARE(gotA->revision, QStringLiteral("2"));
        QCOMPARE(gotA->encoding, Encoding::Json);
        SD_COMPARE_JSON(gotA->value, (Json{{"n", 2}}));
        QVERIFY(gotA->updated >= before && gotA->updated <= QDateTime::currentDateTimeUtc().addSecs(1));

        auto gotB = await(p.get(QStringLiteral("b")));
        SD_VERIFY_OK(gotB);
        QCOMPARE(gotB->encoding, Encoding::Text);
        QCOMPARE(gotB->raw, QByteArray("plain text"));
        QCOMPARE(gotB->labels, b.labels);

        auto page = await(p.list({}));
        SD_VERIFY_OK(page);
        QCOMPARE(page->revision, QStringLiteral("3"));
        QCOMPARE(page->entries.size(), 2);
        QCOMPARE(page->entries.at(0).revision, QStringLiteral("2"));
        QCOMPARE(page->entries.at(1).labels, b.labels);

        SD_VERIFY_OK(await(p.remove(QStringLiteral("a"), Precondition::none())));
        auto gone = await(p.get(QStringLiteral("a")));
        QVERIFY(!gone.ok());
        QCOMPARE(gone.error().kind, ErrorKind::NotFound);
        QVERIFY(gone.error().where.contains(QStringLiteral("\"a\"")));
        auto again = await(p.remove(QStringLiteral("a"), Precondition::none()));
        QVERIFY(!again.ok());
        QCOMPARE(again.error().kind, ErrorKind::NotFound);

        auto recreated = await(p.put(makeEntry(QStringLiteral("a"), Json(3)), Precondition::mustNotExist()));
        SD_VERIFY_OK(recreated);
        QCOMPARE(recreated->revision, QStringLiteral("5"));

        // Another connection sees the same store.
        SqliteProvider other(dbPath());
        auto seen = await(other.get(QStringLiteral("a")));
        SD_VERIFY_OK(seen);
        QCOMPARE(seen->revision, QStringLiteral("5"));
        auto otherPage = await(other.list({}));
        SD_VERIFY_OK(otherPage);
        QCOMPARE(otherPage->revision, QStringLiteral("5"));
    }

    // A blocking wait on a QtConcurrent future may run a job that has not
    // started yet on the waiting thread, ahead of the jobs queued before it
    // and beside the worker. The CLI waits like this.
    void testBlockingWaitKeepsSubmissionOrder()
    {
        SqliteProvider p(dbPath());
        const int writes = 2000;
        QList<QFuture<Result<Entry>>> puts;
        for (int i = 0; i < writes; ++i)
            puts << p.put(makeEntry(QStringLiteral("order/%1").arg(i % 50), Json(i)), Precondition::none());
        auto page = p.list({}).result();
        SD_VERIFY_OK(page);
        QCOMPARE(page->revision, QString::number(writes));
        QCOMPARE(page->entries.size(), 50);
        for (const Entry &e : page->entries)
            QCOMPARE(e.value.get<int>() % 50, e.key.mid(6).toInt());
        SD_COMPARE_JSON(page->entries.at(0).value, Json(writes - 50));
        for (int i = 0; i < writes; ++i)
            QCOMPARE(puts.at(i).result()->revision, QString::number(i + 1));
    }

    void testPreconditions_data()
    {
        QTest::addColumn<QString>("op");
        QTest::addColumn<bool>("exists");
        QTest::addColumn<QString>("pre"); // none, mustNotExist, or a revision
        QTest::addColumn<int>("expected"); // -1: success, else ErrorKind

        // When the key exists it is at revision 2; revision 1 is stale.
        const int ok = -1;
        QTest::newRow("put, absent, none") << "put" << false << "none" << ok;
        QTest::newRow("put, present, none") << "put" << true << "none" << ok;
        QTest::newRow("put, absent, must not exist") << "put" << false << "mustNotExist" << ok;
        QTest::newRow("put, present, must not exist") << "put" << true << "mustNotExist" << int(ErrorKind::AlreadyExists);
        QTest::newRow("put, present, current revision") << "put" << true << "2" << ok;
        QTest::newRow("put, present, stale revision") << "put" << true << "1" << int(ErrorKind::Conflict);
        QTest::newRow("put, present, foreign revision") << "put" << true << "abc" << int(ErrorKind::Conflict);
        QTest::newRow("put, absent, revision") << "put" << false << "1" << int(ErrorKind::Conflict);
        QTest::newRow("remove, present, none") << "remove" << true << "none" << ok;
        QTest::newRow("remove, absent, none") << "remove" << false << "none" << int(ErrorKind::NotFound);
        QTest::newRow("remove, present, current revision") << "remove" << true << "2" << ok;
        QTest::newRow("remove, present, stale revision") << "remove" << true << "1" << int(ErrorKind::Conflict);
        QTest::newRow("remove, absent, revision") << "remove" << false << "1" << int(ErrorKind::Conflict);
        QTest::newRow("remove, present, must not exist")
            << "remove" << true << "mustNotExist" << int(ErrorKind::AlreadyExists);
    }
    void testPreconditions()
    {
        QFETCH(QString, op);
        QFETCH(bool, exists);
        QFETCH(QString, pre);
        QFETCH(int, expected);

        SqliteProvider p(dbPath());
        const QString key = QStringLiteral("task/1");
        if (exists) {
            SD_VERIFY_OK(await(p.put(makeEntry(key, Json{{"v", 1}}), Precondition::none())));
            SD_VERIFY_OK(await(p.put(makeEntry(key, Json{{"v", 2}}), Precondition::none())));
        } else {
            // Revision 1 and 2 exist in the store, just not for this key.
            SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("other"), Json(1)), Precondition::none())));
            SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("other"), Json(2)), Precondition::none())));
        }
        const Precondition precondition = pre == QLatin1String("none") ? Precondition::none()
            : pre == QLatin1String("mustNotExist")                     ? Precondition::mustNotExist()
                                                                       : Precondition::atRevision(pre);
        Status result;
        if (op == QLatin1String("put")) {
            auto r = await(p.put(makeEntry(key, Json{{"v", 3}}), precondition));
            if (!r.ok())
                result = r.error();
            else
                QCOMPARE(r->revision, QStringLiteral("3"));
        } else {
            result = await(p.remove(key, precondition));
        }

        if (expected < 0) {
            SD_VERIFY_OK(result);
            auto page = await(p.list({}));
            SD_VERIFY_OK(page);
            QCOMPARE(page->revision, QStringLiteral("3"));
            return;
        }
        QVERIFY2(!result.ok(), "the write should have been refused");
        QCOMPARE(int(result.error().kind), expected);
        QVERIFY(result.error().where.contains(key));
        if (result.error().kind == ErrorKind::Conflict) {
            QVERIFY2(result.error().message.contains(QStringLiteral("expected revision %1").arg(pre)),
                     qPrintable(result.error().message));
            if (exists)
                QVERIFY2(result.error().message.contains(QStringLiteral("revision 2")),
                         qPrintable(result.error().message));
        }
        // Nothing changed and no revision was used up.
        auto page = await(p.list({}));
        SD_VERIFY_OK(page);
        QCOMPARE(page->revision, QStringLiteral("2"));
        auto now = await(p.get(key));
        if (exists) {
            SD_VERIFY_OK(now);
            QCOMPARE(now->revision, QStringLiteral("2"));
            SD_COMPARE_JSON(now->value, (Json{{"v", 2}}));
        } else {
            QVERIFY(!now.ok());
            QCOMPARE(now.error().kind, ErrorKind::NotFound);
        }
    }

    void testRoundTrip_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("encoding"); // -1: guessed as the CLI does

        QTest::newRow("json with odd spacing") << QByteArray("{ \"b\":1,   \"a\" : [1,2] }\n") << -1;
        QTest::newRow("json unicode escapes") << QByteArray("{\"k\":\"\\u00e9\", \"z\": \"\xc3\xa9\"}") << -1;
        QTest::newRow("text") << QByteArray("hello world") << -1;
        QTest::newRow("empty text") << QByteArray("") << -1;
        QTest::newRow("binary") << QByteArray("\xff\xfe\x00\x01", 4) << -1;
        QTest::newRow("yaml with comment") << QByteArray("# keep me\nphase: 'Running'  # quoted\nn: 1\n")
                                           << int(Encoding::Yaml);

        QByteArray big = "{\"blob\":\"";
        big += QByteArray(kMaxValueBytes - big.size() - 2, 'x');
        big += "\"}";
        QTest::newRow("1 MiB json") << big << -1;

        QByteArray random(kMaxValueBytes, Qt::Uninitialized);
        QRandomGenerator gen(42);
        gen.fillRange(reinterpret_cast<quint32 *>(random.data()), random.size() / 4);
        random[0] = char(0xff); // not UTF-8, so held as base64
        QTest::newRow("1 MiB binary") << random << -1;
    }
    void testRoundTrip()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, encoding);

        Entry e = entryFromBytes(QStringLiteral("rt"), bytes);
        if (encoding >= 0) {
            e.encoding = Encoding(encoding);
            auto decoded = decodeValue(bytes, e.encoding, QStringLiteral("rt"));
            SD_VERIFY_OK(decoded);
            e.value = decoded.value();
        }
        SqliteProvider p(dbPath());
        auto put = await(p.put(e, Precondition::none()));
        SD_VERIFY_OK(put);
        QCOMPARE(put->raw.size(), bytes.size());

        SqliteProvider reader(dbPath());
        auto got = await(reader.get(QStringLiteral("rt")));
        SD_VERIFY_OK(got);
        QCOMPARE(got->encoding, e.encoding);
        QVERIFY(!got->raw.isNull());
        QVERIFY2(got->raw == bytes, "stored bytes differ from the bytes written");
        QVERIFY(got->value == e.value);
        // Unedited, it is written back byte-identical.
        QVERIFY(encodeValue(got.value()) == bytes);
    }

    void testUnicodeKeys_data()
    {
        QTest::addColumn<QString>("key");
        QTest::newRow("latin and cjk") << QString::fromUtf8("clé/日本語");
        QTest::newRow("cyrillic") << QString::fromUtf8("ключ/значение");
        QTest::newRow("right to left") << QString::fromUtf8("שלום/עולם");
        QTest::newRow("combining mark") << QString::fromUtf8("cafe\xcc\x81/x");
        QTest::newRow("astral plane") << QString::fromUtf8("music/\xf0\x9d\x84\x9e/\xf0\x9f\x99\x82");
        QTest::newRow("spaces and quotes") << QStringLiteral("a key/with \"quotes\" and 'spaces'");
    }
    void testUnicodeKeys()
    {
        QFETCH(QString, key);
        SqliteProvider p(dbPath());
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("zzz/unrelated"), Json(0)), Precondition::none())));
        SD_VERIFY_OK(await(p.put(makeEntry(key, Json{{"key", toStd(key)}}), Precondition::none())));

        auto got = await(p.get(key));
        SD_VERIFY_OK(got);
        QCOMPARE(got->key, key);
        SD_COMPARE_JSON(got->value, (Json{{"key", toStd(key)}}));

        ListOptions options;
        options.prefix = key.left(key.indexOf(QLatin1Char('/')) + 1);
        auto page = await(p.list(options));
        SD_VERIFY_OK(page);
        QCOMPARE(page->entries.size(), 1);
        QCOMPARE(page->entries.at(0).key, key);

        SD_VERIFY_OK(await(p.remove(key, Precondition::none())));
    }

    void testBadKeys_data()
    {
        QTest::addColumn<QString>("key");
        QTest::newRow("empty") << QString();
        QTest::newRow("nul") << QString(QStringLiteral("a") + QChar(0) + QStringLiteral("b"));
        QTest::newRow("newline") << QStringLiteral("a\nb");
        QTest::newRow("delete character") << QStringLiteral("a\x7f");
        QTest::newRow("too long") << QString(1025, QLatin1Char('k'));
    }
    void testBadKeys()
    {
        QFETCH(QString, key);
        SqliteProvider p(dbPath());

        auto put = p.put(makeEntry(key, Json(1)), Precondition::none());
        auto get = p.get(key);
        auto remove = p.remove(key, Precondition::none());
        // Refused before any work is queued.
        QVERIFY(put.isFinished() && get.isFinished() && remove.isFinished());
        for (const Error &e : {put.result().error(), get.result().error(), remove.result().error()}) {
            QCOMPARE(e.kind, ErrorKind::Invalid);
            QVERIFY(!e.message.isEmpty());
        }
        QVERIFY2(!QFileInfo::exists(dbPath()), "a refused key must not even open the store");
    }

    void testPaging_data()
    {
        QTest::addColumn<int>("limit");
        QTest::addColumn<bool>("keysOnly");
        QTest::newRow("pages of 997 with values") << 997 << false;
        QTest::newRow("pages of 2500, keys only") << 2500 << true;
        QTest::newRow("default page size") << 0 << true;
    }
    void testPaging()
    {
        QFETCH(int, limit);
        QFETCH(bool, keysOnly);
        fillPagingStore();
        if (QTest::currentTestFailed())
            return;

        SqliteProvider p(m_pagingDir.filePath(QStringLiteral("paging.db")));
        ListOptions options;
        options.prefix = QStringLiteral("page/");
        options.limit = limit;
        options.keysOnly = keysOnly;
        const int pageSize = limit > 0 ? limit : 500;

        QStringList seen;
        QByteArray previous;
        for (int pages = 0;; ++pages) {
            QVERIFY2(pages <= m_pagingKeys.size() / pageSize + 1, "paging does not end");
            auto page = await(p.list(options));
            SD_VERIFY_OK(page);
            QCOMPARE(page->revision, QString::number(m_pagingWrites));
            QVERIFY(page->entries.size() <= pageSize);
            for (const Entry &e : page->entries) {
                const QByteArray utf8 = e.key.toUtf8();
                QVERIFY2(utf8 > previous, qPrintable(QStringLiteral("out of order: %1").arg(e.key)));
                previous = utf8;
                seen << e.key;
                QVERIFY(!e.revision.isEmpty());
                if (keysOnly) {
                    QVERIFY(e.value.is_null());
                    QVERIFY(e.raw.isEmpty());
                } else {
                    QVERIFY(e.value.is_number());
                }
            }
            if (page->nextCursor.isEmpty())
                break;
            QCOMPARE(page->entries.size(), pageSize);
            options.cursor = page->nextCursor;
        }
        QCOMPARE(seen.size(), m_pagingKeys.size());
        QCOMPARE(seen, m_pagingKeys);
    }

    void testBadCursor()
    {
        SqliteProvider p(dbPath());
        ListOptions options;
        options.cursor = QStringLiteral("not a cursor!");
        auto page = await(p.list(options));
        QVERIFY(!page.ok());
        QCOMPARE(page.error().kind, ErrorKind::Invalid);
        QCOMPARE(page.error().where, QStringLiteral("cursor"));
    }

    void testWatchOrder()
    {
        SqliteProvider p(dbPath());
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("w/before"), Json(0)), Precondition::none())));
        auto watch = p.watch(QStringLiteral("w/"), QString());
        Recorder rec;
        rec.attach(watch.get());

        const auto put = [&](const char *key, Json v) {
            return p.put(makeEntry(QString::fromUtf8(key), std::move(v)), Precondition::none());
        };
        put("w/a", 1);
        put("x/ignored", 1);
        put("w/b", 1);
        put("w/a", 2);
        p.remove(QStringLiteral("w/b"), Precondition::none());
        Entry labelled = makeEntry(QStringLiteral("w/c"), Json{{"deep", {1, 2}}});
        labelled.labels.insert(QStringLiteral("app"), QStringLiteral("remediation-state"));
        p.put(labelled, Precondition::none());
        SD_VERIFY_OK(await(put("w/zz-sentinel", 0)));

        QTRY_VERIFY_WITH_TIMEOUT(rec.events.size() >= 6 || rec.failure, 10000);
        QVERIFY(!rec.failure);
        const QStringList expected = {
            QStringLiteral("ADDED w/a @2"),    QStringLiteral("ADDED w/b @4"),
            QStringLiteral("MODIFIED w/a @5"), QStringLiteral("DELETED w/b @6"),
            QStringLiteral("ADDED w/c @7"),    QStringLiteral("ADDED w/zz-sentinel @8"),
        };
        QCOMPARE(rec.lines(), expected);

        for (const Event &e : rec.events)
            QCOMPARE(e.entry.revision, e.revision);
        SD_COMPARE_JSON(rec.events.at(2).entry.value, Json(2));
        QVERIFY(rec.events.at(3).entry.value.is_null());
        SD_COMPARE_JSON(rec.events.at(4).entry.value, (Json{{"deep", {1, 2}}}));
        QCOMPARE(rec.events.at(4).entry.labels, labelled.labels);
    }

    void testWatchResume_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QStringList>("expected");
        // Revisions: 1 r/a, 2 r/b, 3 other, 4 r/a, 5 r/b deleted, then 6 r/live.
        QTest::newRow("from the beginning")
            << "0"
            << QStringList{"ADDED r/a @1", "ADDED r/b @2", "MODIFIED r/a @4", "DELETED r/b @5", "ADDED r/live @6"};
        QTest::newRow("after the second event")
            << "2" << QStringList{"MODIFIED r/a @4", "DELETED r/b @5", "ADDED r/live @6"};
        QTest::newRow("from an unrelated revision") << "3" << QStringList{"MODIFIED r/a @4", "DELETED r/b @5", "ADDED r/live @6"};
        QTest::newRow("from the latest revision") << "5" << QStringList{"ADDED r/live @6"};
    }
    void testWatchResume()
    {
        QFETCH(QString, from);
        QFETCH(QStringList, expected);
        SqliteProvider p(dbPath());
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("r/a"), Json(1)), Precondition::none())));
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("r/b"), Json(1)), Precondition::none())));
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("other"), Json(1)), Precondition::none())));
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("r/a"), Json(2)), Precondition::none())));
        SD_VERIFY_OK(await(p.remove(QStringLiteral("r/b"), Precondition::none())));

        auto watch = p.watch(QStringLiteral("r/"), from);
        Recorder rec;
        rec.attach(watch.get());
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("r/live"), Json(1)), Precondition::none())));
        QTRY_VERIFY_WITH_TIMEOUT(rec.events.size() >= expected.size() || rec.failure, 10000);
        QVERIFY(!rec.failure);
        QCOMPARE(rec.lines(), expected);
    }

    void testWatchBadRevision()
    {
        SqliteProvider p(dbPath());
        auto watch = p.watch(QString(), QStringLiteral("yesterday"));
        Recorder rec;
        rec.attach(watch.get());
        QTRY_VERIFY_WITH_TIMEOUT(rec.failure.has_value(), 5000);
        QCOMPARE(rec.failure->kind, ErrorKind::Invalid);
        QVERIFY(rec.failure->message.contains(QStringLiteral("yesterday")));
        QVERIFY(rec.events.isEmpty());
    }

    void testCompactionResync_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QStringList>("expected");
        // r/i is put at revision i+1, s/other at 11, r/3 removed at 12; the
        // log keeps the last 5 changes (8..12). Then r/new at 13.
        const QStringList resync = {"RESYNC",   "ADDED r/0", "ADDED r/1", "ADDED r/2",       "ADDED r/4",
                                    "ADDED r/5", "ADDED r/6", "ADDED r/7", "ADDED r/8",       "ADDED r/9",
                                    "RESYNC_DONE @12",        "ADDED r/new @13"};
        QTest::newRow("compacted away") << "1" << resync;
        QTest::newRow("just before the log") << "6" << resync;
        QTest::newRow("ahead of the store") << "1000" << resync;
        QTest::newRow("oldest kept") << "7" << QStringList{"ADDED r/7 @8", "ADDED r/8 @9", "ADDED r/9 @10", "DELETED r/3 @12", "ADDED r/new @13"};
        QTest::newRow("within the log") << "10" << QStringList{"DELETED r/3 @12", "ADDED r/new @13"};
    }
    void testCompactionResync()
    {
        QFETCH(QString, from);
        QFETCH(QStringList, expected);
        SqliteProvider p(dbPath());
        p.setHistoryLimit(5);
        for (int i = 0; i < 10; ++i)
            p.put(makeEntry(QStringLiteral("r/%1").arg(i), Json(i)), Precondition::none());
        p.put(makeEntry(QStringLiteral("s/other"), Json(0)), Precondition::none());
        SD_VERIFY_OK(await(p.remove(QStringLiteral("r/3"), Precondition::none())));
        QCOMPARE(sqlScalar(dbPath(), "SELECT count(*) FROM changes"), QStringLiteral("5"));

        auto watch = p.watch(QStringLiteral("r/"), from);
        Recorder rec;
        rec.attach(watch.get());
        // Wait for the catch-up first, so the live write lands after it.
        QTRY_VERIFY_WITH_TIMEOUT(rec.events.size() >= expected.size() - 1 || rec.failure, 10000);
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("r/new"), Json(1)), Precondition::none())));
        QTRY_VERIFY_WITH_TIMEOUT(rec.events.size() >= expected.size() || rec.failure, 10000);
        QVERIFY(!rec.failure);
        QCOMPARE(rec.lines(), expected);
        for (const Event &e : rec.events) {
            if (e.type == Event::Type::Added)
                QVERIFY(e.entry.value.is_number());
        }
    }

    // history() reads the change log: it reaches back as far as the log
    // does (the current value always comes from the entry itself, even when
    // its change-log row is gone), keeps each value's encoding, labels and
    // update time, and stops at the key's last deletion.
    void testHistoryFromTheChangeLog()
    {
        SqliteProvider p(dbPath());
        p.setHistoryLimit(5);
        QCOMPARE(p.capabilities().keyHistory, true);
        // h at revisions 1..4 (text at 3), then six writes of others.
        Entry text = makeEntry(QStringLiteral("h"), Json("plain words"));
        text.encoding = Encoding::Text;
        text.labels.insert(QStringLiteral("owner"), QStringLiteral("ops"));
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("h"), Json{{"v", 1}}), Precondition::none())));
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("h"), Json{{"v", 2}}), Precondition::none())));
        SD_VERIFY_OK(await(p.put(text, Precondition::none())));
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("h"), Json{{"v", 4}}), Precondition::none())));
        auto all = await(p.history(QStringLiteral("h"), 10));
        SD_VERIFY_OK(all);
        QCOMPARE(all->size(), 4);
        QCOMPARE(all->at(1).revision, QStringLiteral("3"));
        QCOMPARE(all->at(1).encoding, Encoding::Text);
        SD_COMPARE_JSON(all->at(1).value, Json("plain words"));
        QCOMPARE(all->at(1).labels.value(QStringLiteral("owner")), QStringLiteral("ops"));
        QVERIFY(all->at(1).updated.isValid());

        // The log keeps the last 5 changes: after 6 more writes elsewhere,
        // only h's current value is left.
        for (int i = 0; i < 3; ++i)
            SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("o/%1").arg(i), Json(i)), Precondition::none())));
        auto partial = await(p.history(QStringLiteral("h"), 10));
        SD_VERIFY_OK(partial);
        QCOMPARE(partial->size(), 2); // revisions 4 and 3 (changes 3..7 kept)
        for (int i = 3; i < 6; ++i)
            SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("o/%1").arg(i), Json(i)), Precondition::none())));
        auto current = await(p.history(QStringLiteral("h"), 10));
        SD_VERIFY_OK(current);
        QCOMPARE(current->size(), 1);
        SD_COMPARE_JSON(current->at(0).value, (Json{{"v", 4}}));

        auto bad = await(p.history(QStringLiteral(""), 10));
        QCOMPARE(bad.error().kind, ErrorKind::Invalid);
    }

    void testChangeLogStaysBounded()
    {
        SqliteProvider p(dbPath());
        p.setHistoryLimit(64);
        QFuture<Result<Entry>> last;
        for (int i = 0; i < 1000; ++i)
            last = p.put(makeEntry(QStringLiteral("k/%1").arg(i % 10), Json(i)), Precondition::none());
        SD_VERIFY_OK(await(last));
        const int kept = sqlScalar(dbPath(), "SELECT count(*) FROM changes").toInt();
        QVERIFY2(kept >= 64 && kept <= 65, qPrintable(QString::number(kept)));
        QCOMPARE(sqlScalar(dbPath(), "SELECT max(revision) FROM changes"), QStringLiteral("1000"));
    }

    void testTwoProvidersOnOneFile()
    {
        SqliteProvider writer(dbPath());
        SqliteProvider watcher(dbPath());
        auto start = await(watcher.list({}));
        SD_VERIFY_OK(start);
        auto watch = watcher.watch(QStringLiteral("shared/"), start->revision);
        Recorder rec;
        rec.attach(watch.get());

        SD_VERIFY_OK(await(writer.put(makeEntry(QStringLiteral("shared/x"), Json{{"v", 1}}), Precondition::none())));
        SD_VERIFY_OK(await(writer.put(makeEntry(QStringLiteral("shared/x"), Json{{"v", 2}}), Precondition::none())));
        SD_VERIFY_OK(await(writer.remove(QStringLiteral("shared/x"), Precondition::none())));
        QTRY_VERIFY_WITH_TIMEOUT(rec.events.size() >= 3 || rec.failure, 10000);
        QVERIFY(!rec.failure);
        QCOMPARE(rec.lines(), (QStringList{"ADDED shared/x @1", "MODIFIED shared/x @2", "DELETED shared/x @3"}));
        SD_COMPARE_JSON(rec.events.at(1).entry.value, (Json{{"v", 2}}));
    }

    void testWatchWakesOnWriteInThisProcess()
    {
        SqliteProvider writer(dbPath());
        SqliteProvider watcher(dbPath());
        // Far longer than the wait below: only the in-process wake-up can
        // deliver the event in time.
        watcher.setPollInterval(60s);
        auto start = await(watcher.list({}));
        SD_VERIFY_OK(start);
        auto watch = watcher.watch(QString(), start->revision);
        Recorder rec;
        rec.attach(watch.get());
        for (int i = 0; i < 3; ++i) {
            SD_VERIFY_OK(await(writer.put(makeEntry(QStringLiteral("k%1").arg(i), Json(i)), Precondition::none())));
            QTRY_VERIFY_WITH_TIMEOUT(rec.events.size() == i + 1 || rec.failure, 10000);
        }
        QVERIFY(!rec.failure);
        QCOMPARE(rec.lines(), (QStringList{"ADDED k0 @1", "ADDED k1 @2", "ADDED k2 @3"}));
    }

    void testWatchDestroyedFromSlot()
    {
        SqliteProvider p(dbPath());
        for (int i = 0; i < 5; ++i)
            SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("d/%1").arg(i), Json(i)), Precondition::none())));
        std::unique_ptr<Watch> watch = p.watch(QStringLiteral("d/"), QStringLiteral("0"));
        QStringList seen;
        connect(watch.get(), &Watch::event, this, [&](const Event &e) {
            seen << e.entry.key;
            watch.reset();
        });
        QTRY_VERIFY_WITH_TIMEOUT(!watch, 10000);
        // The other four events of the batch were dropped with the watch.
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("d/late"), Json(0)), Precondition::none())));
        QCOMPARE(seen, QStringList{"d/0"});
    }

    void testWatchOutlivesProvider()
    {
        auto owner = std::make_unique<SqliteProvider>(dbPath());
        auto start = await(owner->list({}));
        SD_VERIFY_OK(start);
        auto watch = owner->watch(QString(), start->revision);
        Recorder rec;
        rec.attach(watch.get());
        owner.reset();

        SqliteProvider writer(dbPath());
        SD_VERIFY_OK(await(writer.put(makeEntry(QStringLiteral("after"), Json(1)), Precondition::none())));
        QTRY_VERIFY_WITH_TIMEOUT(!rec.events.isEmpty() || rec.failure, 10000);
        QVERIFY(!rec.failure);
        QCOMPARE(rec.lines(), QStringList{"ADDED after @1"});
    }

    void testWatchSeesOtherProcess()
    {
        SqliteProvider p(dbPath());
        SD_VERIFY_OK(await(p.put(makeEntry(QStringLiteral("seed"), Json(0)), Precondition::none())));
        auto watch = p.watch(QString(), QStringLiteral("1"));
        Recorder rec;
        rec.attach(watch.get());

        auto proc = startClient({QStringLiteral("put"), dbPath(), QStringLiteral("from/elsewhere"),
                                 QStringLiteral("{\"pid\": \"other\"}")});
        const Finished done = waitFor(*proc, 20000);
        QVERIFY2(done.exitCode == 0, done.err.constData());
        QTRY_VERIFY_WITH_TIMEOUT(!rec.events.isEmpty() || rec.failure, 10000);
        QVERIFY(!rec.failure);
        QCOMPARE(rec.lines(), QStringList{"ADDED from/elsewhere @2"});
        SD_COMPARE_JSON(rec.events.at(0).entry.value, (Json{{"pid", "other"}}));
        QCOMPARE(rec.events.at(0).entry.raw, QByteArray("{\"pid\": \"other\"}"));
    }

    void testTwoProcessesNoLostUpdate()
    {
        const int perProcess = 200;
        const QString key = QStringLiteral("task/counter");
        std::vector<std::unique_ptr<QProcess>> procs;
        for (int i = 0; i < 2; ++i)
            procs.push_back(
                startClient({QStringLiteral("increment"), dbPath(), key, QString::number(perProcess)}));
        for (auto &proc : procs) {
            const Finished done = waitFor(*proc, 60000);
            QVERIFY2(done.exitCode == 0, done.err.constData());
            QVERIFY(done.out.contains("\"done\":200"));
        }
        SqliteProvider p(dbPath());
        auto counter = await(p.get(key));
        SD_VERIFY_OK(counter);
        SD_COMPARE_JSON(counter->value, Json(2 * perProcess));
        QCOMPARE(counter->revision, QString::number(2 * perProcess));
    }

    void testNotADatabase_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("text") << QByteArray("this is a note, not a database\n");
        QTest::newRow("json") << QByteArray("{\"state\": {\"phase\": \"Running\"}}\n");
        QByteArray random(8192, Qt::Uninitialized);
        QRandomGenerator gen(7);
        gen.fillRange(reinterpret_cast<quint32 *>(random.data()), random.size() / 4);
        QTest::newRow("8 KiB of random bytes") << random;
    }
    void testNotADatabase()
    {
        QFETCH(QByteArray, bytes);
        QVERIFY(writeAll(dbPath(), bytes));
        SqliteProvider p(dbPath());

        const auto check = [&](const Error &e) {
            QCOMPARE(e.kind, ErrorKind::Unavailable);
            QVERIFY2(e.message.contains(QStringLiteral("is not a SQLite database (file is corrupt or of another kind)")),
                     qPrintable(e.message));
            QCOMPARE(e.where, dbPath());
        };
        auto put = await(p.put(makeEntry(QStringLiteral("k"), Json(1)), Precondition::none()));
        QVERIFY(!put.ok());
        check(put.error());
        if (QTest::currentTestFailed())
            return;
        auto get = await(p.get(QStringLiteral("k")));
        QVERIFY(!get.ok());
        check(get.error());
        auto list = await(p.list({}));
        QVERIFY(!list.ok());
        check(list.error());
        auto lock = await(p.lock(QStringLiteral("l"), 1s));
        QVERIFY(!lock.ok());
        check(lock.error());
        auto watch = p.watch(QString(), QString());
        Recorder rec;
        rec.attach(watch.get());
        QTRY_VERIFY_WITH_TIMEOUT(rec.failure.has_value(), 5000);
        check(*rec.failure);
        watch.reset();

        QVERIFY2(readAll(dbPath()) == bytes, "the file was modified");
        QCOMPARE(QDir(m_dir->path()).entryList(QDir::Files), QStringList{"state.db"});
    }

    void testForeignSqliteDatabase()
    {
        QCOMPARE(sqlScalar(dbPath(), "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT)"), QString());
        QCOMPARE(sqlScalar(dbPath(), "SELECT count(*) FROM sqlite_master"), QStringLiteral("1"));
        const QByteArray before = readAll(dbPath());

        SqliteProvider p(dbPath());
        auto put = await(p.put(makeEntry(QStringLiteral("k"), Json(1)), Precondition::none()));
        QVERIFY(!put.ok());
        QCOMPARE(put.error().kind, ErrorKind::Unavailable);
        QVERIFY2(put.error().message.contains(QStringLiteral("not a statedeck store")), qPrintable(put.error().message));
        QCOMPARE(put.error().where, dbPath());
        QVERIFY(readAll(dbPath()) == before);
        QCOMPARE(sqlScalar(dbPath(), "SELECT group_concat(name) FROM sqlite_master"), QStringLiteral("users"));
    }

    void testUnwritableLocation_data()
    {
        QTest::addColumn<QString>("layout");
        QTest::addColumn<QString>("relativePath");
        QTest::addColumn<int>("putKind");
        QTest::addColumn<bool>("readable");
        QTest::addColumn<bool>("fileExistsAfter");
        QTest::newRow("read-only directory") << "ro-dir" << "ro/state.db" << int(ErrorKind::Forbidden) << false
                                             << false;
        QTest::newRow("directory to create under a read-only one")
            << "ro-dir" << "ro/sub/state.db" << int(ErrorKind::Forbidden) << false << false;
        QTest::newRow("read-only file") << "ro-file" << "rw/state.db" << int(ErrorKind::Forbidden) << true << true;
        // Reading WAL needs a -shm file beside the database.
        QTest::newRow("read-only file in a read-only directory")
            << "ro-file-ro-dir" << "ro/state.db" << int(ErrorKind::Forbidden) << false << true;
        QTest::newRow("a file where the directory should be")
            << "file-parent" << "plain.txt/state.db" << int(ErrorKind::Io) << false << false;
    }
    void testUnwritableLocation()
    {
        QFETCH(QString, layout);
        QFETCH(QString, relativePath);
        QFETCH(int, putKind);
        QFETCH(bool, readable);
        QFETCH(bool, fileExistsAfter);

        // The helper drops to an unprivileged user when run as root; every
        // directory on the way must let that user through.
        const QFile::Permissions traversable = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup
            | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther;
        const QFile::Permissions readOnly = QFile::ReadOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup
            | QFile::ReadOther | QFile::ExeOther;
        QVERIFY(QFile::setPermissions(m_dir->path(), traversable));
        const QString path = m_dir->filePath(relativePath);
        if (layout == QLatin1String("ro-dir")) {
            QVERIFY(QDir(m_dir->path()).mkdir(QStringLiteral("ro")));
            QVERIFY(QFile::setPermissions(m_dir->filePath(QStringLiteral("ro")), readOnly));
        } else if (layout.startsWith(QLatin1String("ro-file"))) {
            const QString dir = QFileInfo(path).absolutePath();
            QVERIFY(QDir().mkdir(dir));
            {
                SqliteProvider owner(path);
                SD_VERIFY_OK(await(owner.put(makeEntry(QStringLiteral("k"), Json(1)), Precondition::none())));
            }
            QVERIFY(QFile::setPermissions(path, QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther));
            const bool dirWritable = layout == QLatin1String("ro-file");
            QVERIFY(QFile::setPermissions(dir, dirWritable ? traversable | QFile::WriteGroup | QFile::WriteOther
                                                           : readOnly));
        } else {
            QVERIFY(writeAll(m_dir->filePath(QStringLiteral("plain.txt")), "not a directory"));
        }
        const QByteArray before = readAll(path);

        auto proc = startClient({QStringLiteral("probe"), path, QStringLiteral("k")});
        const Finished done = waitFor(*proc, 20000);
        QVERIFY2(done.exitCode == 0, done.err.constData());
        const Json report = Json::parse(done.out.constBegin(), done.out.constEnd(), nullptr, false);
        QVERIFY2(report.is_object(), done.out.constData());

        const Json &put = report["put"];
        QVERIFY2(!put["ok"].get<bool>(), "the write should have failed");
        QCOMPARE(toQString(put["kind"].get<std::string>()), errorKindName(ErrorKind(putKind)));
        QCOMPARE(toQString(put["where"].get<std::string>()), path);
        const QString message = toQString(put["message"].get<std::string>());
        QVERIFY2(message.size() > 20, qPrintable(message));
        QCOMPARE(report["get"]["ok"].get<bool>(), readable);
        QCOMPARE(QFileInfo::exists(path), fileExistsAfter);
        QVERIFY(readAll(path) == before);
    }

    void testLockBusyAndFencing()
    {
        SqliteProvider a(dbPath());
        SqliteProvider b(dbPath());
        auto held = await(a.lock(QStringLiteral("deploy"), 30s));
        SD_VERIFY_OK(held);
        QCOMPARE(held->name, QStringLiteral("deploy"));
        QVERIFY(!held->owner.isEmpty());
        QVERIFY(held->fencingToken > 0);
        QVERIFY(held->expires > QDateTime::currentDateTimeUtc());

        auto busy = await(b.lock(QStringLiteral("deploy"), 30s));
        QVERIFY(!busy.ok());
        QCOMPARE(busy.error().kind, ErrorKind::Busy);
        QVERIFY2(busy.error().message.contains(held->owner), qPrintable(busy.error().message));
        QVERIFY(busy.error().where.contains(QStringLiteral("deploy")));
        // Not re-entrant, even for the holder.
        auto twice = await(a.lock(QStringLiteral("deploy"), 30s));
        QVERIFY(!twice.ok());
        QCOMPARE(twice.error().kind, ErrorKind::Busy);

        Lock forged = held.value();
        forged.owner = QStringLiteral("intruder");
        auto refused = await(b.unlock(forged));
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().kind, ErrorKind::Conflict);
        Lock staleToken = held.value();
        staleToken.fencingToken += 1;
        auto refusedToken = await(a.unlock(staleToken));
        QVERIFY(!refusedToken.ok());
        QCOMPARE(refusedToken.error().kind, ErrorKind::Conflict);

        SD_VERIFY_OK(await(a.unlock(held.value())));
        auto released = await(a.unlock(held.value()));
        QVERIFY(!released.ok());
        QCOMPARE(released.error().kind, ErrorKind::Conflict);

        auto next = await(b.lock(QStringLiteral("deploy"), 30s));
        SD_VERIFY_OK(next);
        QVERIFY(next->fencingToken > held->fencingToken);
        QVERIFY(next->owner != held->owner);
        auto other = await(a.lock(QStringLiteral("backup"), 30s));
        SD_VERIFY_OK(other);
        QVERIFY(other->fencingToken > next->fencingToken);
    }

    void testLockExpiry()
    {
        SqliteProvider a(dbPath());
        SqliteProvider b(dbPath());
        auto held = await(a.lock(QStringLiteral("job"), 1000ms));
        SD_VERIFY_OK(held);
        auto busy = await(b.lock(QStringLiteral("job"), 30s));
        QVERIFY(!busy.ok());
        QCOMPARE(busy.error().kind, ErrorKind::Busy);

        Result<Lock> taken;
        // QTRY evaluates its condition once more after success: try only
        // until the lock is taken.
        const auto takeOver = [&] {
            if (!taken.ok())
                taken = await(b.lock(QStringLiteral("job"), 30s));
            return taken.ok();
        };
        QTRY_VERIFY_WITH_TIMEOUT(takeOver(), 10000);
        QVERIFY(taken->fencingToken > held->fencingToken);
        QVERIFY(QDateTime::currentDateTimeUtc() >= held->expires);

        // The old holder finds out it lost the lock.
        auto late = await(a.unlock(held.value()));
        QVERIFY(!late.ok());
        QCOMPARE(late.error().kind, ErrorKind::Conflict);
        QVERIFY2(late.error().message.contains(taken->owner), qPrintable(late.error().message));
        SD_VERIFY_OK(await(b.unlock(taken.value())));
    }

    void testLockArguments_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("ttlMs");
        QTest::newRow("empty name") << QString() << 1000;
        QTest::newRow("nul in name") << QString(QStringLiteral("a") + QChar(0)) << 1000;
        QTest::newRow("zero ttl") << QStringLiteral("l") << 0;
        QTest::newRow("negative ttl") << QStringLiteral("l") << -5;
    }
    void testLockArguments()
    {
        QFETCH(QString, name);
        QFETCH(int, ttlMs);
        SqliteProvider p(dbPath());
        auto r = await(p.lock(name, std::chrono::milliseconds(ttlMs)));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
    }
};

void TestSqliteProvider::fillPagingStore()
{
    if (!m_pagingKeys.isEmpty())
        return;
    QVERIFY(m_pagingDir.isValid());
    QStringList inside;
    for (int i = 0; i < 10000; ++i)
        inside << QStringLiteral("page/%1").arg(i, 5, 10, QLatin1Char('0'));
    // UTF-8 and UTF-16 order disagree on these two: U+FFFD sorts first in
    // UTF-8, the surrogate pair of U+1D11E first in UTF-16.
    inside << QString::fromUtf8("page/\xef\xbf\xbd") << QString::fromUtf8("page/\xf0\x9d\x84\x9e")
           << QString::fromUtf8("page/00042/é");
    // Neighbours of the prefix on both sides.
    const QStringList outside = {QStringLiteral("page"), QStringLiteral("page.x"), QStringLiteral("page0"),
                                 QStringLiteral("pagd/1"), QStringLiteral("a"), QStringLiteral("zzz")};

    SqliteProvider p(m_pagingDir.filePath(QStringLiteral("paging.db")));
    QList<QFuture<Result<Entry>>> writes;
    int n = 0;
    for (const QString &key : outside + inside)
        writes << p.put(makeEntry(key, Json(n++)), Precondition::none());
    SD_VERIFY_OK(await(writes.last(), 60000));
    for (const auto &w : writes)
        SD_VERIFY_OK(w.result());
    m_pagingWrites = n;

    std::sort(inside.begin(), inside.end(),
              [](const QString &x, const QString &y) { return x.toUtf8() < y.toUtf8(); });
    m_pagingKeys = inside;
}

QTEST_GUILESS_MAIN(TestSqliteProvider)
#include "tst_sqlite_provider.moc"
