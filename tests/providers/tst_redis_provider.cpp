#include "ProviderContract.h"
#include "RedisTestServer.h"
#include "TestSupport.h"
#include "config/StoreUrl.h"
#include "providers/Backends.h"
#include "providers/redis/RedisProvider.h"
#include "providers/redis/RedisWatch.h"

#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using sd::test::await;
using sd::test::RedisTestServer;

// What the contract suite does not cover: authentication, servers that are
// not Redis, values written by other tools, Redis types, TTL, watches across
// a server restart, and locks whose holder dies.
class TestRedisProvider : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<RedisTestServer> m_server;

    std::unique_ptr<Provider> open(const StoreSpec &spec)
    {
        auto p = openProvider(spec);
        return p.ok() ? std::move(p).value() : nullptr;
    }
    // What a write would move: the number of keys, the changes since the
    // last save (every command that modified the dataset counts), and the
    // calls of every command in Redis's @write category, of the script
    // commands that may write (EVAL, EVALSHA, FCALL; reads go by EVAL_RO)
    // and of CONFIG SET. Commands run by a script count as calls too.
    QMap<QString, qint64> writeCounters() const
    {
        QMap<QString, qint64> out;
        out.insert(QStringLiteral("dbsize"), m_server->command({"DBSIZE"}).mid(1).toLongLong());
        QSet<QByteArray> writes{"eval", "evalsha", "fcall", "config|set"};
        if (auto names = m_server->query({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "write"}))
            for (const QByteArray &n : *names)
                writes.insert(n.toLower());
        const auto persistence = m_server->query({"INFO", "persistence"});
        const auto stats = m_server->query({"INFO", "commandstats"});
        if (!persistence || !stats || writes.size() < 10) {
            qWarning("cannot read the server's counters");
            return out;
        }
        for (const QByteArray &line : persistence->first().split('\n'))
            if (line.startsWith("rdb_changes_since_last_save:"))
                out.insert(QStringLiteral("changes"), line.mid(28).trimmed().toLongLong());
        for (const QByteArray &line : stats->first().split('\n')) {
            // cmdstat_hset:calls=3,usec=...
            if (!line.startsWith("cmdstat_"))
                continue;
            const QByteArray name = line.mid(8, line.indexOf(':') - 8);
            if (!writes.contains(name))
                continue;
            const QByteArray calls = line.mid(line.indexOf("calls=") + 6).split(',').first();
            out.insert(QString::fromLatin1(name), calls.toLongLong());
        }
        return out;
    }

    static Entry jsonEntry(const QString &key, const Json &value)
    {
        Entry e;
        e.key = key;
        e.value = value;
        return e;
    }

    // Calls per command since the last CONFIG RESETSTAT (INFO commandstats;
    // the commands a script runs count too).
    QMap<QByteArray, qint64> commandCalls() const
    {
        QMap<QByteArray, qint64> calls;
        if (const auto stats = m_server->query({"INFO", "commandstats"}); stats && !stats->isEmpty())
            for (const QByteArray &line : stats->first().split('\n'))
                if (line.startsWith("cmdstat_"))
                    calls.insert(line.mid(8, line.indexOf(':') - 8),
                                 line.mid(line.indexOf("calls=") + 6).split(',').first().toLongLong());
        return calls;
    }

    static ListOptions namesOnly(const QString &prefix, int limit)
    {
        ListOptions o;
        o.prefix = prefix;
        o.limit = limit;
        o.keysOnly = true;
        o.namesOnly = true;
        return o;
    }

private Q_SLOTS:
    void initTestCase()
    {
        // KEYS renamed away, as on hardened servers: every test below would
        // fail with "unknown command" if statedeck sent it.
        m_server = std::make_unique<RedisTestServer>(
            QStringList{QStringLiteral("--rename-command"), QStringLiteral("KEYS"), QString()});
        QVERIFY2(m_server->start(), qPrintable(m_server->log()));
        QVERIFY2(!m_server->query({"KEYS", "*"}), "the server still answers KEYS");
    }
    void init() { QCOMPARE(m_server->command({"FLUSHALL"}), QByteArray("+OK")); }
    void cleanupTestCase() { m_server.reset(); }

    // Front ends split keys at the separator to show a tree: ":" unless the
    // connection says otherwise; an empty one is refused.
    void testKeySeparator_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("separator");
        QTest::newRow("default") << QStringLiteral("redis://127.0.0.1:6379/0") << QStringLiteral(":");
        QTest::newRow("slash") << QStringLiteral("redis://127.0.0.1:6379/0?separator=/") << QStringLiteral("/");
        QTest::newRow("double colon") << QStringLiteral("redis://127.0.0.1:6379/0?separator=%3A%3A")
                                      << QStringLiteral("::");
    }

    void testKeySeparator()
    {
        QFETCH(QString, url);
        QFETCH(QString, separator);
        auto spec = parseStoreUrl(url);
        QVERIFY2(spec.ok(), qPrintable(spec.error().toString()));
        auto p = openProvider(spec.value());
        QVERIFY2(p.ok(), qPrintable(p.error().toString()));
        QCOMPARE(p.value()->capabilities().keySeparator, separator);
    }

    void testEmptyKeySeparatorRefused()
    {
        StoreSpec spec;
        spec.backend = QStringLiteral("redis");
        spec.options.insert(QStringLiteral("separator"), QString());
        auto p = openProvider(spec);
        QVERIFY(!p.ok());
        QCOMPARE(p.error().kind, ErrorKind::Invalid);
        QVERIFY(p.error().message.contains(QLatin1String("separator")));
    }

    void testAuth_data()
    {
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<bool>("accepted");
        QTest::addColumn<QString>("says");
        QTest::newRow("no password given") << QString() << QString() << false << "requires a password";
        QTest::newRow("wrong password") << QString() << "nope" << false << "refused";
        QTest::newRow("right password") << QString() << "s3cret" << true << QString();
        QTest::newRow("ACL user, right password") << "alice" << "wonder" << true << QString();
        QTest::newRow("ACL user, wrong password") << "alice" << "s3cret" << false << "refused";
    }
    void testAuth()
    {
        QFETCH(QString, user);
        QFETCH(QString, password);
        QFETCH(bool, accepted);
        QFETCH(QString, says);
        RedisTestServer secured({QStringLiteral("--requirepass"), QStringLiteral("s3cret")});
        QVERIFY2(secured.start(), qPrintable(secured.log()));
        QCOMPARE(secured.command({"ACL", "SETUSER", "alice", "on", ">wonder", "~*", "+@all"}, "s3cret"),
                 QByteArray("+OK"));
        StoreSpec spec = secured.spec();
        if (!user.isEmpty())
            spec.options.insert(QStringLiteral("user"), user);
        if (!password.isEmpty())
            spec.options.insert(QStringLiteral("password"), password);
        auto provider = open(spec);
        QVERIFY(provider);
        auto put = await(provider->put(jsonEntry(QStringLiteral("k"), Json{{"v", 1}}), {}));
        QCOMPARE(put.ok(), accepted);
        if (!accepted) {
            QCOMPARE(put.error().kind, ErrorKind::Unauthorized);
            QVERIFY2(put.error().message.contains(says), qPrintable(put.error().toString()));
            QVERIFY(!put.error().toString().contains(QStringLiteral("s3cret")));
            QVERIFY(!put.error().toString().contains(QStringLiteral("nope")));
        }
    }

    void testConnectionRefused()
    {
        const quint16 port = sd::test::freeLoopbackPort();
        StoreSpec spec = m_server->spec();
        spec.options.insert(QStringLiteral("port"), int(port));
        auto provider = open(spec);
        auto got = await(provider->get(QStringLiteral("k")));
        QVERIFY(!got.ok());
        QCOMPARE(got.error().kind, ErrorKind::Unavailable);
        QVERIFY2(got.error().toString().contains(QStringLiteral("127.0.0.1:%1").arg(port)),
                 qPrintable(got.error().toString()));
    }

    void testBadOptions_data()
    {
        QTest::addColumn<QString>("option");
        QTest::addColumn<QVariant>("value");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("says");
        QTest::newRow("database the server lacks")
            << "database" << QVariant(99) << int(ErrorKind::Invalid) << "has no database 99";
        QTest::newRow("TLS without hiredis_ssl") << "tls" << QVariant(true) << int(ErrorKind::Unsupported) << "TLS";
    }
    void testBadOptions()
    {
        QFETCH(QString, option);
        QFETCH(QVariant, value);
        QFETCH(int, kind);
        QFETCH(QString, says);
        StoreSpec spec = m_server->spec();
        spec.options.insert(option, value);
        auto opened = openProvider(spec);
        Error error;
        if (!opened.ok()) {
            error = opened.error();
        } else {
            auto got = await(opened.value()->get(QStringLiteral("k")));
            QVERIFY(!got.ok());
            error = got.error();
        }
        QCOMPARE(int(error.kind), kind);
        QVERIFY2(error.message.contains(says), qPrintable(error.toString()));
    }

    void testNotRedis()
    {
        // A server that answers anything with an HTTP error, as a web server
        // on the wrong port would.
        QTcpServer http;
        QVERIFY(http.listen(QHostAddress::LocalHost));
        connect(&http, &QTcpServer::newConnection, &http, [&http] {
            while (QTcpSocket *s = http.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [s] {
                    s->readAll();
                    s->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                });
            }
        });
        StoreSpec spec = m_server->spec();
        spec.options.insert(QStringLiteral("port"), int(http.serverPort()));
        auto provider = open(spec);
        auto got = await(provider->get(QStringLiteral("k")));
        QVERIFY(!got.ok());
        QCOMPARE(got.error().kind, ErrorKind::Unavailable);
        QVERIFY2(got.error().message.contains(QStringLiteral("Redis protocol")), qPrintable(got.error().toString()));
    }

    void testValuesWrittenByOthers_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("encoding");
        QTest::newRow("JSON with its own spacing") << QByteArray("{ \"b\" : 1,\n  \"a\" : [ 1 , 2 ] }") << "json";
        QTest::newRow("plain text") << QByteArray("hello world, not JSON\n") << "text";
        QTest::newRow("binary") << QByteArray("\x00\xff\xfe\x80 bin", 9) << "base64";
    }
    void testValuesWrittenByOthers()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, encoding);
        QCOMPARE(m_server->command({"SET", "foreign", bytes}), QByteArray("+OK"));
        auto provider = open(m_server->spec());
        auto got = await(provider->get(QStringLiteral("foreign")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        QCOMPARE(encodingName(got->encoding), encoding);
        QCOMPARE(got->revision, QStringLiteral("0")); // no statedeck revision yet
        QCOMPARE(got->raw, bytes);
        // Written back unedited, under CAS: the bytes stay exactly as they were.
        auto put = await(provider->put(got.value(), Precondition::atRevision(got->revision)));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        QVERIFY(put->revision != QStringLiteral("0"));
        QCOMPARE(m_server->rawGet("foreign"), bytes);
    }

    void testOtherTypes()
    {
        QCOMPARE(m_server->command({"HSET", "user:1", "name", "Ada", "role", "admin"}), QByteArray(":2"));
        QCOMPARE(m_server->command({"RPUSH", "user:queue", "a", "b"}), QByteArray(":2"));
        auto provider = open(m_server->spec());
        auto hash = await(provider->get(QStringLiteral("user:1")));
        QVERIFY2(hash.ok(), qPrintable(hash.error().toString()));
        SD_COMPARE_JSON(hash->value, (Json{{"name", "Ada"}, {"role", "admin"}}));
        QCOMPARE(hash->labels.value(QStringLiteral("type")), QStringLiteral("hash"));
        // Hashes are read-only through statedeck.
        auto put = await(provider->put(jsonEntry(QStringLiteral("user:1"), Json{{"name", "Bob"}}), {}));
        QVERIFY(!put.ok());
        QCOMPARE(put.error().kind, ErrorKind::Unsupported);

        ListOptions options;
        options.prefix = QStringLiteral("user:");
        auto page = await(provider->list(options));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 2);
        QCOMPARE(page->entries[1].key, QStringLiteral("user:queue"));
        QCOMPARE(page->entries[1].labels.value(QStringLiteral("type")), QStringLiteral("list"));
        // Reserved keys (revisions, locks) never show.
        QVERIFY(await(provider->put(jsonEntry(QStringLiteral("x"), Json(1)), {})).ok());
        auto all = await(provider->list({}));
        QVERIFY(all.ok());
        for (const Entry &e : all->entries)
            QVERIFY2(!e.key.startsWith(QLatin1String("__statedeck:")), qPrintable(e.key));
        QCOMPARE(all->entries.size(), 3);
    }

    // The batch script takes the paths of the put script that the contract
    // suite cannot reach: Redis types, TTLs, reserved and foreign keys.
    void testBatchAnswersAsPut()
    {
        QCOMPARE(m_server->command({"HSET", "b:hash", "f", "1"}), QByteArray(":1"));
        QCOMPARE(m_server->command({"SET", "b:foreign", "plain", "PX", "60000"}), QByteArray("+OK"));
        auto provider = open(m_server->spec());
        Entry withTtl = jsonEntry(QStringLiteral("b:ttl"), Json{{"v", 1}});
        withTtl.labels.insert(QStringLiteral("ttl"), QStringLiteral("60000"));
        Entry badTtl = jsonEntry(QStringLiteral("b:badttl"), Json(1));
        badTtl.labels.insert(QStringLiteral("ttl"), QStringLiteral("soon"));
        const QList<BatchItem> items{
            {jsonEntry(QStringLiteral("b:hash"), Json{{"f", 2}}), {}},
            {withTtl, {}},
            {jsonEntry(QStringLiteral("b:foreign"), Json{{"v", 2}}), Precondition::atRevision(QStringLiteral("0"))},
            {jsonEntry(QStringLiteral("__statedeck:seq"), Json(1)), {}},
            {badTtl, {}},
            {jsonEntry(QStringLiteral("b:plain"), Json{{"v", 3}}), {}},
        };
        const BatchResult batch = await(provider->putBatch(items));
        QCOMPARE(batch.results.size(), items.size());
        QCOMPARE(batch.results[0].error().kind, ErrorKind::Unsupported);
        QCOMPARE(batch.results[0].error().where, QStringLiteral("b:hash"));
        QVERIFY2(batch.results[1].ok(), qPrintable(batch.results[1].error().toString()));
        QCOMPARE(batch.results[1]->labels.value(QStringLiteral("ttl")), QStringLiteral("60000"));
        // A key another tool wrote is at revision 0 and keeps its TTL.
        QVERIFY2(batch.results[2].ok(), qPrintable(batch.results[2].error().toString()));
        QVERIFY(batch.results[2]->labels.value(QStringLiteral("ttl")).toLongLong() > 50000);
        QCOMPARE(batch.results[3].error().kind, ErrorKind::Invalid);
        QCOMPARE(batch.results[4].error().kind, ErrorKind::Invalid);
        QVERIFY2(batch.results[5].ok(), qPrintable(batch.results[5].error().toString()));
        QVERIFY(!batch.results[5]->labels.contains(QStringLiteral("ttl")));
        // Revisions come from the one counter, in item order.
        QVERIFY(batch.results[1]->revision.toLongLong() < batch.results[2]->revision.toLongLong());
        QVERIFY(batch.results[2]->revision.toLongLong() < batch.results[5]->revision.toLongLong());

        QCOMPARE(m_server->command({"TYPE", "b:hash"}), QByteArray("+hash"));
        auto ttl = await(provider->get(QStringLiteral("b:ttl")));
        QVERIFY(ttl.ok());
        QCOMPARE(ttl->revision, batch.results[1]->revision);
        QVERIFY(ttl->labels.value(QStringLiteral("ttl")).toLongLong() > 50000);
        auto foreign = await(provider->get(QStringLiteral("b:foreign")));
        QVERIFY(foreign.ok());
        SD_COMPARE_JSON(foreign->value, (Json{{"v", 2}}));
        QVERIFY(foreign->labels.value(QStringLiteral("ttl")).toLongLong() > 50000);
        auto plain = await(provider->get(QStringLiteral("b:plain")));
        QVERIFY(plain.ok());
        QCOMPARE(plain->revision, batch.results[5]->revision);
        QVERIFY(!plain->labels.contains(QStringLiteral("ttl")));
    }

    // What a batch's checks cost Redis, from its command statistics
    // (commands a script runs count there too): keys of which none exists
    // (a snapshot loaded into an empty prefix) are checked by one EXISTS per
    // script call, with no TYPE or revision read per key; once one exists,
    // every key's TYPE is read and the revisions with one HMGET per call.
    void testBatchCheckCalls_data()
    {
        QTest::addColumn<int>("existing");
        QTest::addColumn<int>("types");
        QTest::addColumn<int>("hmgets");
        // 600 items: three script calls of at most 256 keys.
        QTest::newRow("none exists") << 0 << 0 << 0;
        QTest::newRow("one exists") << 1 << 256 << 1;
        QTest::newRow("all exist") << 600 << 600 << 3;
    }
    void testBatchCheckCalls()
    {
        QFETCH(int, existing);
        QFETCH(int, types);
        QFETCH(int, hmgets);
        auto provider = open(m_server->spec());
        for (int i = 0; i < existing; ++i)
            QCOMPARE(m_server->command({"SET", QStringLiteral("c:%1").arg(i, 3, 10, QLatin1Char('0')).toUtf8(), "1"}),
                     QByteArray("+OK"));
        QList<BatchItem> items;
        for (int i = 0; i < 600; ++i)
            items.append({jsonEntry(QStringLiteral("c:%1").arg(i, 3, 10, QLatin1Char('0')), Json(i)),
                          i < existing ? Precondition{} : Precondition::mustNotExist()});
        QCOMPARE(m_server->command({"CONFIG", "RESETSTAT"}), QByteArray("+OK"));
        const BatchResult batch = await(provider->putBatch(items));
        QCOMPARE(batch.failed(), 0);
        const QMap<QByteArray, qint64> calls = commandCalls();
        // Three batch calls and the sweep step every batch ends with (its
        // EXISTS per revision field make "exists" no count of the checks).
        QCOMPARE(calls.value("eval") + calls.value("evalsha"), 4);
        QVERIFY(calls.value("exists") >= 3);
        QCOMPARE(calls.value("type"), types);
        QCOMPARE(calls.value("hmget"), hmgets);
        QCOMPARE(calls.value("hget"), 0);
        for (int i = 0; i < 600; i += 97) {
            auto e = await(provider->get(QStringLiteral("c:%1").arg(i, 3, 10, QLatin1Char('0'))));
            QVERIFY(e.ok());
            SD_COMPARE_JSON(e->value, Json(i));
        }
    }

    void testGlobCharactersInPrefix()
    {
        auto provider = open(m_server->spec());
        QVERIFY(await(provider->put(jsonEntry(QStringLiteral("a*b:1"), Json(1)), {})).ok());
        QVERIFY(await(provider->put(jsonEntry(QStringLiteral("axb:1"), Json(2)), {})).ok());
        ListOptions options;
        options.prefix = QStringLiteral("a*b");
        auto page = await(provider->list(options));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 1);
        QCOMPARE(page->entries[0].key, QStringLiteral("a*b:1"));
    }

    // Listing walks the keyspace with SCAN, a page at a time, and never
    // sends KEYS (which blocks Redis for the whole keyspace): the server
    // here has KEYS renamed away, and its command statistics show what a
    // paged listing really sent.
    void testListUsesScanOnly()
    {
        auto provider = open(m_server->spec());
        QList<BatchItem> items;
        for (int i = 0; i < 250; ++i)
            items.append({jsonEntry(QStringLiteral("scan:%1").arg(i, 3, 10, QLatin1Char('0')), Json(i)), {}});
        QCOMPARE(await(provider->putBatch(items)).failed(), 0);
        QCOMPARE(m_server->command({"CONFIG", "RESETSTAT"}), QByteArray("+OK"));

        ListOptions options;
        options.prefix = QStringLiteral("scan:");
        options.limit = 100;
        QSet<QString> seen;
        int pages = 0;
        do {
            auto page = await(provider->list(options));
            QVERIFY2(page.ok(), qPrintable(page.error().toString()));
            for (const Entry &e : page->entries)
                seen.insert(e.key);
            options.cursor = page->nextCursor;
            ++pages;
        } while (!options.cursor.isEmpty() && pages < 10);
        QCOMPARE(seen.size(), 250);
        QVERIFY2(pages >= 3, qPrintable(QString::number(pages)));

        const auto stats = m_server->query({"INFO", "commandstats"});
        QVERIFY(stats && !stats->isEmpty());
        const QByteArray text = stats->first();
        QVERIFY2(text.contains("cmdstat_scan:"), text.constData());
        QVERIFY2(!text.contains("cmdstat_keys:"), text.constData());
    }

    // A names-only listing (`ls -o value`, counts, the verify pass) reads
    // SCAN alone: no script per key for type, revision and TTL. It lists the
    // same keys as a keys-only listing, page after page, with the next SCAN
    // sent ahead; a listing of another prefix between two pages drops what
    // was sent ahead instead of mixing it in.
    void testNamesOnlyListing_data()
    {
        QTest::addColumn<int>("pageSize");
        QTest::addColumn<bool>("interleaved");
        QTest::newRow("pages of 1") << 1 << false;
        QTest::newRow("pages of 7") << 7 << false;
        QTest::newRow("pages of 1000 (one SCAN batch)") << 1000 << false;
        QTest::newRow("pages of 1500 (across SCAN batches)") << 1500 << false;
        QTest::newRow("pages of 400, another listing between pages") << 400 << true;
    }
    void testNamesOnlyListing()
    {
        QFETCH(int, pageSize);
        QFETCH(bool, interleaved);
        auto provider = open(m_server->spec());
        const int n = pageSize < 10 ? 40 : 2600;
        QList<BatchItem> items;
        for (int i = 0; i < n; ++i)
            items.append({jsonEntry(QStringLiteral("names:%1").arg(i, 4, 10, QLatin1Char('0')), Json(i)), {}});
        for (int i = 0; i < 300; ++i)
            items.append({jsonEntry(QStringLiteral("other:%1").arg(i), Json(i)), {}});
        QCOMPARE(await(provider->putBatch(items)).failed(), 0);
        QCOMPARE(m_server->command({"SET", "names:plain", "by another tool"}), QByteArray("+OK"));

        auto listAll = [&](bool names, QStringList *keys) {
            ListOptions o = namesOnly(QStringLiteral("names:"), pageSize);
            o.namesOnly = names;
            int pages = 0;
            do {
                auto page = await(provider->list(o));
                QVERIFY2(page.ok(), qPrintable(page.error().toString()));
                for (const Entry &e : std::as_const(page->entries)) {
                    *keys << e.key;
                    if (names) {
                        QVERIFY2(e.revision.isEmpty() && e.labels.isEmpty(), qPrintable(e.key));
                    } else {
                        QVERIFY2(!e.revision.isEmpty() || e.key == QLatin1String("names:plain"), qPrintable(e.key));
                    }
                }
                o.cursor = page->nextCursor;
                if (interleaved && !o.cursor.isEmpty()) {
                    auto between = await(provider->list(namesOnly(QStringLiteral("other:"), 50)));
                    QVERIFY2(between.ok(), qPrintable(between.error().toString()));
                    for (const Entry &e : std::as_const(between->entries))
                        QVERIFY2(e.key.startsWith(QLatin1String("other:")), qPrintable(e.key));
                }
            } while (!o.cursor.isEmpty() && ++pages < 5000);
            QVERIFY(o.cursor.isEmpty());
        };
        QStringList full;
        listAll(false, &full);
        QCOMPARE(m_server->command({"CONFIG", "RESETSTAT"}), QByteArray("+OK"));
        QStringList names;
        listAll(true, &names);
        QCOMPARE(names.size(), n + 1);
        QCOMPARE(QSet<QString>(names.begin(), names.end()).size(), names.size()); // no key twice
        std::sort(names.begin(), names.end());
        std::sort(full.begin(), full.end());
        QCOMPARE(names, full);

        const QMap<QByteArray, qint64> calls = commandCalls();
        for (const char *perKey : {"eval", "eval_ro", "evalsha", "evalsha_ro", "type", "pttl"})
            QVERIFY2(!calls.contains(perKey), perKey);
        const qint64 scans = calls.value("scan");
        QVERIFY(scans > 0);
        if (interleaved)
            return;
        // A page that stopped inside a SCAN batch left it to the next page:
        // the pages sent as many SCANs as one listing of every key in a
        // single page does.
        QCOMPARE(m_server->command({"CONFIG", "RESETSTAT"}), QByteArray("+OK"));
        auto all = await(provider->list(namesOnly(QStringLiteral("names:"), 100000)));
        QVERIFY2(all.ok(), qPrintable(all.error().toString()));
        QCOMPARE(all->entries.size(), n + 1);
        QCOMPARE(scans, commandCalls().value("scan"));
    }

    void testTtl()
    {
        auto provider = open(m_server->spec());
        Entry e = jsonEntry(QStringLiteral("session"), Json{{"user", 1}});
        e.labels.insert(QStringLiteral("ttl"), QStringLiteral("60000"));
        auto put = await(provider->put(e, {}));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        auto got = await(provider->get(QStringLiteral("session")));
        QVERIFY(got.ok());
        const qint64 ttl = got->labels.value(QStringLiteral("ttl")).toLongLong();
        QVERIFY2(ttl > 50000 && ttl <= 60000, qPrintable(QString::number(ttl)));
        // A write without the label keeps the TTL.
        auto again = await(provider->put(jsonEntry(QStringLiteral("session"), Json{{"user", 2}}), {}));
        QVERIFY(again.ok());
        QVERIFY(await(provider->get(QStringLiteral("session")))->labels.contains(QStringLiteral("ttl")));
        // No TTL, no label.
        QVERIFY(await(provider->put(jsonEntry(QStringLiteral("forever"), Json(1)), {})).ok());
        QVERIFY(!await(provider->get(QStringLiteral("forever")))->labels.contains(QStringLiteral("ttl")));
        auto bad = jsonEntry(QStringLiteral("x"), Json(1));
        bad.labels.insert(QStringLiteral("ttl"), QStringLiteral("soon"));
        QCOMPARE(await(provider->put(bad, {})).error().kind, ErrorKind::Invalid);
        bad.labels.insert(QStringLiteral("ttl"), QStringLiteral("-5"));
        QCOMPARE(await(provider->put(bad, {})).error().kind, ErrorKind::Invalid);
    }

    // ttl=0 removes a key's time to live (as PERSIST does), through put,
    // through a batch, and from the command line.
    void testTtlZeroRemovesIt()
    {
        auto provider = open(m_server->spec());
        auto withTtl = [](const QString &key, int v, const QString &ttl) {
            Entry e = jsonEntry(key, Json{{"v", v}});
            e.labels.insert(QStringLiteral("ttl"), ttl);
            return e;
        };
        QVERIFY(await(provider->put(withTtl(QStringLiteral("s1"), 1, QStringLiteral("60000")), {})).ok());
        QVERIFY(m_server->command({"PTTL", "s1"}).mid(1).toLongLong() > 50000);
        auto persisted = await(provider->put(withTtl(QStringLiteral("s1"), 2, QStringLiteral("0")), {}));
        QVERIFY2(persisted.ok(), qPrintable(persisted.error().toString()));
        QVERIFY(!persisted->labels.contains(QStringLiteral("ttl")));
        QCOMPARE(m_server->command({"PTTL", "s1"}), QByteArray(":-1"));
        auto got = await(provider->get(QStringLiteral("s1")));
        QVERIFY(got.ok());
        SD_COMPARE_JSON(got->value, (Json{{"v", 2}}));
        QVERIFY(!got->labels.contains(QStringLiteral("ttl")));
        // ttl=0 on a new key is a key without a TTL.
        QVERIFY(await(provider->put(withTtl(QStringLiteral("s0"), 1, QStringLiteral("0")), {})).ok());
        QCOMPARE(m_server->command({"PTTL", "s0"}), QByteArray(":-1"));

        // In a batch: an existing key with a TTL, and a key another tool set.
        QVERIFY(await(provider->put(withTtl(QStringLiteral("s2"), 1, QStringLiteral("60000")), {})).ok());
        QCOMPARE(m_server->command({"SET", "s3", "x", "PX", "60000"}), QByteArray("+OK"));
        const BatchResult batch = await(provider->putBatch(
            {{withTtl(QStringLiteral("s2"), 2, QStringLiteral("0")), {}},
             {withTtl(QStringLiteral("s3"), 2, QStringLiteral("0")), Precondition::atRevision(QStringLiteral("0"))},
             {withTtl(QStringLiteral("s4"), 2, QStringLiteral("60000")), {}}}));
        QCOMPARE(batch.failed(), 0);
        QVERIFY(!batch.results[0]->labels.contains(QStringLiteral("ttl")));
        QVERIFY(!batch.results[1]->labels.contains(QStringLiteral("ttl")));
        QCOMPARE(m_server->command({"PTTL", "s2"}), QByteArray(":-1"));
        QCOMPARE(m_server->command({"PTTL", "s3"}), QByteArray(":-1"));
        QVERIFY(m_server->command({"PTTL", "s4"}).mid(1).toLongLong() > 50000);

        // statedeckctl put --label ttl=0, as docs/cli.md shows it.
        const QString ctl = sd::test::builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY2(!ctl.isEmpty(), "statedeckctl was not built");
        const QString url = QStringLiteral("redis://127.0.0.1:%1/0").arg(m_server->port());
        auto run = [&](const QString &ttl) {
            QProcess p;
            p.start(ctl, {QStringLiteral("--store"), url, QStringLiteral("put"), QStringLiteral("s5"), QStringLiteral("-"),
                          QStringLiteral("--label"), QStringLiteral("ttl=") + ttl});
            p.write("{\"v\":1}");
            p.closeWriteChannel();
            if (!p.waitForFinished(30000)) {
                p.kill();
                p.waitForFinished();
                return -1;
            }
            return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
        };
        QCOMPARE(run(QStringLiteral("60000")), 0);
        QVERIFY(m_server->command({"PTTL", "s5"}).mid(1).toLongLong() > 50000);
        QCOMPARE(run(QStringLiteral("0")), 0);
        QCOMPARE(m_server->command({"PTTL", "s5"}), QByteArray(":-1"));
        QCOMPARE(run(QStringLiteral("-1")), 1);
    }

    // __statedeck:rev holds a field per key statedeck wrote. Keys that go
    // away without statedeck (expired, deleted by another client) leave a
    // field behind; writes sweep them away a bounded step at a time (100
    // fields after a put or remove, 1000 after a batch), never reads.
    void testWritesSweepStaleRevisionFields_data()
    {
        QTest::addColumn<QString>("write");
        QTest::addColumn<int>("maxWrites"); // enough steps to sweep 1500 fields, with room
        QTest::newRow("put") << "put" << 60;
        QTest::newRow("remove") << "remove" << 60;
        QTest::newRow("putBatch") << "putBatch" << 60; // one item: a step as for a put
    }
    void testWritesSweepStaleRevisionFields()
    {
        QFETCH(QString, write);
        QFETCH(int, maxWrites);
        auto provider = open(m_server->spec());
        auto keep = await(provider->put(jsonEntry(QStringLiteral("keep"), Json(1)), {}));
        QVERIFY(keep.ok());
        QList<BatchItem> removable;
        for (int i = 0; i < maxWrites; ++i)
            removable.append({jsonEntry(QStringLiteral("rm:%1").arg(i), Json(i)), {}});
        QCOMPARE(await(provider->putBatch(removable)).failed(), 0);
        QVERIFY(await(provider->put(jsonEntry(QStringLiteral("dropped"), Json(1)), {})).ok());
        QVERIFY(await(provider->get(QStringLiteral("keep"))).ok()); // the sweeps sent so far have run
        QCOMPARE(m_server->command({"DEL", "dropped"}), QByteArray(":1")); // another client
        // Keys that expire once the sweep step after their own batch ran.
        constexpr int kExpiring = 1500; // more than one step of any write
        QList<BatchItem> items;
        for (int i = 0; i < kExpiring; ++i) {
            Entry e = jsonEntry(QStringLiteral("gone:%1").arg(i), Json(i));
            e.labels.insert(QStringLiteral("ttl"), QStringLiteral("500"));
            items.append({e, {}});
        }
        QCOMPARE(await(provider->putBatch(items)).failed(), 0);
        QVERIFY(await(provider->get(QStringLiteral("keep"))).ok());
        QTRY_COMPARE_WITH_TIMEOUT(m_server->command({"EXISTS", "gone:0", "gone:1499"}), QByteArray(":0"), 10000);
        auto fields = [&] { return m_server->command({"HLEN", "__statedeck:rev"}).mid(1).toInt(); };
        const int all = fields();
        QVERIFY2(all >= kExpiring + maxWrites + 1, qPrintable(QString::number(all)));

        // Listings do not sweep.
        for (int i = 0; i < 3; ++i)
            QVERIFY(await(provider->list({})).ok());
        QCOMPARE(fields(), all);

        // Writes do, a bounded step each, until only live keys are left.
        int live = 1 + maxWrites; // keep, rm:*
        int left = all;
        int writes = 0;
        for (; writes < maxWrites && left != live; ++writes) {
            if (write == QLatin1String("put")) {
                QVERIFY(await(provider->put(jsonEntry(QStringLiteral("keep"), Json(writes)), {})).ok());
            } else if (write == QLatin1String("remove")) {
                QVERIFY(await(provider->remove(QStringLiteral("rm:%1").arg(writes), {})).ok());
                --live;
            } else {
                QCOMPARE(await(provider->putBatch({{jsonEntry(QStringLiteral("keep"), Json(writes)), {}}})).failed(), 0);
            }
            QVERIFY(await(provider->get(QStringLiteral("keep"))).ok()); // the step sent after the write has run
            const int now = fields();
            QVERIFY2(now <= left, qPrintable(QStringLiteral("%1 fields after %2, %3 before").arg(now).arg(write).arg(left)));
            left = now;
        }
        QCOMPARE(left, live);
        QVERIFY2(writes > 1, qPrintable(QStringLiteral("one write swept everything (%1 fields before, %2 live): the step is not bounded").arg(all).arg(live)));
        QCOMPARE(m_server->command({"HEXISTS", "__statedeck:rev", "keep"}), QByteArray(":1"));
        QCOMPARE(m_server->command({"HEXISTS", "__statedeck:rev", "dropped"}), QByteArray(":0"));
    }

    // Reads never write (issue 12): a listing, a get, a watch and
    // `statedeckctl ls`/`get` leave the key count, the changes since the
    // last save and every write command's count in INFO commandstats
    // (writing scripts included: reads go by EVAL_RO) as they were, even
    // with a stale revision field a sweep would drop.
    void testReadsNeverWrite_data()
    {
        QTest::addColumn<QString>("read");
        for (const char *read : {"list", "list keys only", "list names only", "list in pages", "get", "get a missing key",
                                 "watch", "watch with resync", "statedeckctl ls", "statedeckctl ls --values",
                                 "statedeckctl get"})
            QTest::newRow(read) << QString::fromLatin1(read);
    }
    void testReadsNeverWrite()
    {
        QFETCH(QString, read);
        // As an administrator who wants live watches sets it; a watch then
        // has nothing to change.
        QCOMPARE(m_server->command({"CONFIG", "SET", "notify-keyspace-events", "KA"}), QByteArray("+OK"));
        auto provider = open(m_server->spec());
        QList<BatchItem> items;
        for (int i = 0; i < 20; ++i)
            items.append({jsonEntry(QStringLiteral("app:%1").arg(i), Json{{"i", i}}), {}});
        Entry session = jsonEntry(QStringLiteral("app:session"), Json(1));
        session.labels.insert(QStringLiteral("ttl"), QStringLiteral("600000"));
        items.append({session, {}});
        QCOMPARE(await(provider->putBatch(items)).failed(), 0);
        QVERIFY(await(provider->put(jsonEntry(QStringLiteral("app:dropped"), Json(1)), {})).ok());
        QVERIFY(await(provider->get(QStringLiteral("app:0"))).ok()); // the sweeps sent so far have run
        QCOMPARE(m_server->command({"DEL", "app:dropped"}), QByteArray(":1")); // a stale field a sweep would drop
        QCOMPARE(m_server->command({"SET", "app:other-tool", "plain"}), QByteArray("+OK"));

        const QMap<QString, qint64> before = writeCounters();
        QVERIFY2(before.value(QStringLiteral("dbsize")) > 20, qPrintable(QString::number(before.value(QStringLiteral("dbsize")))));
        const QByteArray revFields = m_server->command({"HLEN", "__statedeck:rev"});

        std::unique_ptr<Provider> reader = open(m_server->spec()); // a fresh connection, as a new session has
        if (read == QLatin1String("list") || read.endsWith(QLatin1String("only"))) {
            ListOptions o;
            o.keysOnly = read.endsWith(QLatin1String("only"));
            o.namesOnly = read == QLatin1String("list names only");
            auto page = await(reader->list(o));
            QVERIFY2(page.ok(), qPrintable(page.error().toString()));
            QCOMPARE(page->entries.size(), 22);
        } else if (read == QLatin1String("list in pages")) {
            ListOptions o;
            o.limit = 3;
            int seen = 0;
            do {
                auto page = await(reader->list(o));
                QVERIFY2(page.ok(), qPrintable(page.error().toString()));
                seen += int(page->entries.size());
                o.cursor = page->nextCursor;
            } while (!o.cursor.isEmpty());
            QVERIFY(seen >= 22);
        } else if (read == QLatin1String("get")) {
            QVERIFY(await(reader->get(QStringLiteral("app:session"))).ok());
        } else if (read == QLatin1String("get a missing key")) {
            QCOMPARE(await(reader->get(QStringLiteral("app:none"))).error().kind, ErrorKind::NotFound);
        } else if (read.startsWith(QLatin1String("watch"))) {
            const bool resync = read.endsWith(QLatin1String("resync"));
            auto watch = reader->watch(QStringLiteral("app:"), resync ? QStringLiteral("1") : QString());
            QSignalSpy ready(watch.get(), &Watch::ready);
            QSignalSpy events(watch.get(), &Watch::event);
            QTRY_VERIFY_WITH_TIMEOUT(ready.count() > 0, 15000);
            if (resync) // Resync, every entry, ResyncDone
                QTRY_VERIFY_WITH_TIMEOUT(events.count() >= 24, 15000);
        } else {
            const QString ctl = sd::test::builtProgram(QStringLiteral("statedeckctl"));
            QVERIFY2(!ctl.isEmpty(), "statedeckctl was not built");
            QStringList args{QStringLiteral("--store"), QStringLiteral("redis://127.0.0.1:%1/0").arg(m_server->port())};
            if (read == QLatin1String("statedeckctl get"))
                args << QStringLiteral("get") << QStringLiteral("app:1") << QStringLiteral("-o") << QStringLiteral("json");
            else if (read.endsWith(QLatin1String("--values")))
                args << QStringLiteral("ls") << QStringLiteral("--values") << QStringLiteral("-o") << QStringLiteral("json");
            else
                args << QStringLiteral("ls");
            QTemporaryDir home;
            const auto r = sd::test::runProgram(ctl, args, sd::test::isolatedEnvironment(home.path()), {}, 30000);
            QVERIFY2(r.code == 0, qPrintable(r.describe()));
            QVERIFY2(r.out.contains("app:1"), qPrintable(r.describe()));
        }
        reader.reset();

        const QMap<QString, qint64> after = writeCounters();
        QCOMPARE(after, before);
        QCOMPARE(m_server->command({"HLEN", "__statedeck:rev"}), revFields);
    }

    void testWatchSeesOtherTools()
    {
        auto provider = open(m_server->spec());
        auto watch = provider->watch(QStringLiteral("app:"), QString());
        QList<Event> events;
        connect(watch.get(), &Watch::event, this, [&](const Event &e) { events << e; });
        QSignalSpy ready(watch.get(), &Watch::ready);
        QVERIFY(ready.wait(10000));
        QCOMPARE(m_server->command({"SET", "app:flag", "on"}), QByteArray("+OK"));
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 1, 10000);
        QCOMPARE(events[0].type, Event::Type::Added);
        SD_COMPARE_JSON(events[0].entry.value, Json("on"));
        QCOMPARE(m_server->command({"HSET", "app:h", "f", "1"}), QByteArray(":1"));
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 2, 10000);
        SD_COMPARE_JSON(events[1].entry.value, (Json{{"f", "1"}}));
        QCOMPARE(m_server->command({"SET", "other", "x"}), QByteArray("+OK")); // outside the prefix
        // Expiry is a deletion.
        QCOMPARE(m_server->command({"PEXPIRE", "app:flag", "100"}), QByteArray(":1"));
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 3, 10000);
        QCOMPARE(events[2].type, Event::Type::Deleted);
        QCOMPARE(events[2].entry.key, QStringLiteral("app:flag"));
    }

    // issue 4's fault test: the server restarts under a watch. The watch
    // reconnects, says Resync, and the state written after the restart is
    // delivered, whether it landed before or after the watch came back.
    void testWatchSurvivesServerRestart()
    {
        auto provider = open(m_server->spec());
        auto watch = provider->watch(QStringLiteral("svc:"), QString());
        QList<Event> events;
        connect(watch.get(), &Watch::event, this, [&](const Event &e) { events << e; });
        QSignalSpy ready(watch.get(), &Watch::ready);
        QSignalSpy failed(watch.get(), &Watch::failed);
        QVERIFY(ready.wait(10000));
        QVERIFY(await(provider->put(jsonEntry(QStringLiteral("svc:state"), Json{{"v", 1}}), {})).ok());
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 1, 10000);

        QVERIFY2(m_server->restart(), qPrintable(m_server->log()));
        // The new server starts empty (no persistence): write the final state
        // at once, racing the watch's reconnection. Retried briefly because
        // the writer's own connection may still be the dead one.
        auto writer = open(m_server->spec());
        Result<Entry> put;
        auto write = [&] {
            if (!put.ok())
                put = await(writer->put(jsonEntry(QStringLiteral("svc:state"), Json{{"v", 2}}), {}));
            return put.ok();
        };
        QTRY_VERIFY_WITH_TIMEOUT(write(), 5000);

        auto lastValue = [&] {
            for (qsizetype i = events.size() - 1; i >= 0; --i)
                if (events[i].entry.key == QLatin1String("svc:state"))
                    return QString::fromStdString(events[i].entry.value.dump());
            return QString();
        };
        auto sawType = [&](Event::Type t) {
            return std::any_of(events.cbegin(), events.cend(), [t](const Event &e) { return e.type == t; });
        };
        QTRY_VERIFY_WITH_TIMEOUT(sawType(Event::Type::ResyncDone), 15000);
        QVERIFY(sawType(Event::Type::Resync));
        QTRY_COMPARE_WITH_TIMEOUT(lastValue(), QStringLiteral("{\"v\":2}"), 15000);
        QCOMPARE(failed.count(), 0);

        // And it carries on live.
        QVERIFY(await(writer->put(jsonEntry(QStringLiteral("svc:state"), Json{{"v", 3}}), {})).ok());
        QTRY_COMPARE_WITH_TIMEOUT(lastValue(), QStringLiteral("{\"v\":3}"), 10000);
    }

    void testWatchPollsWhenConfigIsForbidden()
    {
        RedisTestServer locked({QStringLiteral("--rename-command"), QStringLiteral("CONFIG"), QString()});
        QVERIFY2(locked.start(), qPrintable(locked.log()));
        auto provider = open(locked.spec());
        auto watch = provider->watch(QStringLiteral("p:"), QString());
        QList<Event> events;
        connect(watch.get(), &Watch::event, this, [&](const Event &e) { events << e; });
        QSignalSpy ready(watch.get(), &Watch::ready);
        QVERIFY(ready.wait(10000));
        QVERIFY(static_cast<redis::RedisWatch *>(watch.get())->polling());
        QVERIFY(await(provider->put(jsonEntry(QStringLiteral("p:a"), Json(1)), {})).ok());
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 1, 10000);
        QCOMPARE(events[0].type, Event::Type::Added);
        QVERIFY(await(provider->remove(QStringLiteral("p:a"), {})).ok());
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 2, 10000);
        QCOMPARE(events[1].type, Event::Type::Deleted);

        // The server restarts (empty: no persistence). The polling watch
        // notices, says Resync, and then sees the state written afterwards;
        // it used to stop polling for good after the first failed round.
        QSignalSpy failed(watch.get(), &Watch::failed);
        QVERIFY2(locked.restart(), qPrintable(locked.log()));
        auto writer = open(locked.spec());
        Result<Entry> put;
        auto write = [&] {
            if (!put.ok())
                put = await(writer->put(jsonEntry(QStringLiteral("p:final"), Json{{"v", 2}}), {}));
            return put.ok();
        };
        QTRY_VERIFY_WITH_TIMEOUT(write(), 5000);
        auto indexOf = [&](Event::Type type, qsizetype from = 0) {
            for (qsizetype i = from; i < events.size(); ++i)
                if (events[i].type == type)
                    return i;
            return qsizetype(-1);
        };
        auto lastValue = [&] {
            for (qsizetype i = events.size() - 1; i >= 2; --i)
                if (events[i].entry.key == QLatin1String("p:final"))
                    return events[i].type == Event::Type::Deleted ? QStringLiteral("deleted")
                                                                  : QString::fromStdString(events[i].entry.value.dump());
            return QString();
        };
        QTRY_VERIFY_WITH_TIMEOUT(indexOf(Event::Type::ResyncDone, 2) > 0, 15000);
        QVERIFY(indexOf(Event::Type::Resync, 2) > 0);
        QVERIFY(indexOf(Event::Type::Resync, 2) < indexOf(Event::Type::ResyncDone, 2));
        QTRY_COMPARE_WITH_TIMEOUT(lastValue(), QStringLiteral("{\"v\":2}"), 15000);
        QVERIFY(static_cast<redis::RedisWatch *>(watch.get())->polling());

        // And it keeps polling after that.
        QVERIFY(await(writer->put(jsonEntry(QStringLiteral("p:final"), Json{{"v", 3}}), {})).ok());
        QTRY_COMPARE_WITH_TIMEOUT(lastValue(), QStringLiteral("{\"v\":3}"), 10000);
        QCOMPARE(failed.count(), 0);
    }

    // Which notify-keyspace-events flags a watch adds to the server's: none
    // when K and every command class are on already.
    void testMissingKeyspaceFlags_data()
    {
        QTest::addColumn<QByteArray>("current");
        QTest::addColumn<QByteArray>("missing");
        QTest::newRow("off") << QByteArray() << QByteArray("KA");
        QTest::newRow("keyevent for expiry only") << QByteArray("xE") << QByteArray("KA");
        QTest::newRow("keyspace, no classes") << QByteArray("K") << QByteArray("A");
        QTest::newRow("all classes, keyevent only") << QByteArray("AE") << QByteArray("K");
        QTest::newRow("on") << QByteArray("AK") << QByteArray();
        QTest::newRow("on, with more") << QByteArray("AKEmn") << QByteArray();
        QTest::newRow("classes one by one") << QByteArray("Kg$lshzxet") << QByteArray();
        QTest::newRow("one class short") << QByteArray("Kg$lshzxt") << QByteArray("A");
    }
    void testMissingKeyspaceFlags()
    {
        QFETCH(QByteArray, current);
        QFETCH(QByteArray, missing);
        QCOMPARE(redis::RedisWatch::missingKeyspaceFlags(current), missing);
    }

    // A watch leaves the server's notify-keyspace-events flags as they were
    // and only adds what it needs (other applications rely on theirs), and
    // does not write them at all when they suffice, so a user without
    // CONFIG SET still gets notifications there.
    void testWatchKeepsServerKeyspaceFlags_data()
    {
        QTest::addColumn<QByteArray>("before");
        QTest::addColumn<bool>("configSetAllowed");
        QTest::addColumn<bool>("polls");
        QTest::newRow("off") << QByteArray() << true << false;
        QTest::newRow("another app's xE") << QByteArray("xE") << true << false;
        QTest::newRow("another app's Kl") << QByteArray("Kl") << true << false;
        QTest::newRow("already on, CONFIG SET forbidden") << QByteArray("AKE") << false << false;
        QTest::newRow("off, CONFIG SET forbidden") << QByteArray() << false << true;
    }
    void testWatchKeepsServerKeyspaceFlags()
    {
        QFETCH(QByteArray, before);
        QFETCH(bool, configSetAllowed);
        QFETCH(bool, polls);
        // Redis's own expansion of a flag string into the events it enables.
        auto enabled = [](const QByteArray &flags) {
            QSet<char> out;
            for (char c : flags) {
                if (c == 'A')
                    for (char a : QByteArrayLiteral("g$lshzxetd"))
                        out.insert(a);
                else
                    out.insert(c);
            }
            return out;
        };
        auto flagsNow = [&] {
            const auto r = m_server->query({"CONFIG", "GET", "notify-keyspace-events"});
            return r && r->size() == 2 ? r->at(1) : QByteArray("?");
        };
        QCOMPARE(m_server->command({"CONFIG", "SET", "notify-keyspace-events", before}), QByteArray("+OK"));
        const QByteArray normalised = flagsNow();
        QList<QByteArray> acl{"ACL", "SETUSER", "watcher", "reset", "on", ">w4tch", "~*", "&*", "+@all"};
        if (!configSetAllowed)
            acl << "-config|set";
        QCOMPARE(m_server->command(acl), QByteArray("+OK"));
        StoreSpec spec = m_server->spec();
        spec.options.insert(QStringLiteral("user"), QStringLiteral("watcher"));
        spec.options.insert(QStringLiteral("password"), QStringLiteral("w4tch"));
        auto provider = open(spec);
        auto watch = provider->watch(QStringLiteral("flags:"), QString());
        QList<Event> events;
        connect(watch.get(), &Watch::event, this, [&](const Event &e) { events << e; });
        QSignalSpy ready(watch.get(), &Watch::ready);
        QVERIFY(ready.wait(10000));
        QCOMPARE(static_cast<redis::RedisWatch *>(watch.get())->polling(), polls);

        const QByteArray after = flagsNow();
        if (polls || redis::RedisWatch::missingKeyspaceFlags(normalised).isEmpty()) {
            QCOMPARE(after, normalised); // untouched
        } else {
            const QSet<char> was = enabled(normalised), now = enabled(after);
            for (char c : was)
                QVERIFY2(now.contains(c), qPrintable(QStringLiteral("flag %1 was dropped: %2 became %3")
                                                         .arg(QLatin1Char(c))
                                                         .arg(QString::fromLatin1(normalised), QString::fromLatin1(after))));
            QVERIFY2(redis::RedisWatch::missingKeyspaceFlags(after).isEmpty(), after.constData());
        }
        // Either way the watch works.
        QVERIFY(await(provider->put(jsonEntry(QStringLiteral("flags:k"), Json(1)), {})).ok());
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 1, 10000);
        QCOMPARE(events[0].type, Event::Type::Added);
        watch.reset();
        QCOMPARE(m_server->command({"ACL", "DELUSER", "watcher"}), QByteArray(":1"));
    }

    // issue 4's contention test: 16 processes updating one key through
    // StateStore::update; the final value holds every update.
    void testSixteenProcessesUpdateOneKey()
    {
        const QString program = sd::test::builtProgram(QStringLiteral("sd-merge-updater"));
        QVERIFY2(!program.isEmpty(), "sd-merge-updater was not built");
        constexpr int processes = 16, each = 10;
        const StoreSpec spec = m_server->spec();
        QList<QProcess *> procs;
        for (int i = 0; i < processes; ++i) {
            auto *p = new QProcess(this);
            p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
            p->start(program, QStringList{spec.backend, QStringLiteral("shared"), QStringLiteral("p%1").arg(i),
                                          QString::number(each)} +
                                  sd::test::specArguments(spec));
            procs << p;
        }
        for (QProcess *p : procs) {
            const bool finished = p->waitForFinished(50000);
            if (!finished)
                p->kill();
            QVERIFY(finished);
            QCOMPARE(p->exitStatus(), QProcess::NormalExit);
            QCOMPARE(p->exitCode(), 0);
        }
        qDeleteAll(procs);
        auto provider = open(spec);
        auto final = await(provider->get(QStringLiteral("shared")));
        QVERIFY2(final.ok(), qPrintable(final.error().toString()));
        QCOMPARE(int(final->value.size()), processes * each);
        for (int i = 0; i < processes; ++i)
            for (int j = 0; j < each; ++j)
                QVERIFY(final->value.contains(QStringLiteral("p%1-%2").arg(i).arg(j).toStdString()));
    }

    // A holder that dies without unlocking loses the lock when its TTL runs
    // out; the next holder's fencing token is higher.
    void testLockHolderDies()
    {
        auto contender = open(m_server->spec());
        quint64 deadToken = 0;
        {
            auto holder = open(m_server->spec());
            auto held = await(holder->lock(QStringLiteral("job"), std::chrono::milliseconds(300)));
            QVERIFY2(held.ok(), qPrintable(held.error().toString()));
            deadToken = held->fencingToken;
            QCOMPARE(await(contender->lock(QStringLiteral("job"), std::chrono::seconds(10))).error().kind,
                     ErrorKind::Busy);
        } // the holder is gone without unlocking
        // Retried (QTRY: bounded in time) until the TTL ran out; once taken
        // it is kept, since QTRY evaluates its condition once more at the end.
        Result<Lock> next;
        auto take = [&] {
            if (!next.ok())
                next = await(contender->lock(QStringLiteral("job"), std::chrono::seconds(10)));
            return next.ok();
        };
        QTRY_VERIFY_WITH_TIMEOUT(take(), 5000);
        QVERIFY(next->fencingToken > deadToken);

        // Extending checks the token, too.
        auto *redisProvider = static_cast<RedisProvider *>(contender.get());
        QVERIFY(await(redisProvider->renew(next.value(), std::chrono::seconds(20))).ok());
        Lock stale = next.value();
        stale.owner = QStringLiteral("someone-else");
        QCOMPARE(await(redisProvider->renew(stale, std::chrono::seconds(20))).error().kind, ErrorKind::Conflict);
        QVERIFY(await(contender->unlock(next.value())).ok());
    }
};

QTEST_GUILESS_MAIN(TestRedisProvider)
#include "tst_redis_provider.moc"
