// The Firebase provider against the emulator, beyond the contract: what a
// real Realtime Database does to a client now and then (a 412, another
// client's write on the stream, a dropped stream, an access token that runs
// out in flight, a revoked stream, a wrong private key) and the REST shapes.

#include "FirebaseTestServer.h"
#include "TestSupport.h"
#include "log/Log.h"
#include "providers/Backends.h"
#include "providers/firebase/FirebaseProvider.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::test;

namespace {

Entry jsonEntry(const QString &key, const Json &value)
{
    Entry e;
    e.key = key;
    e.value = value;
    return e;
}

struct Events {
    QList<Event> all;
    explicit Events(Watch *w)
    {
        QObject::connect(w, &Watch::event, w, [this](const Event &e) { all << e; });
    }
    int count(Event::Type t) const
    {
        int n = 0;
        for (const Event &e : all)
            n += e.type == t ? 1 : 0;
        return n;
    }
    bool sawValue(const QString &key, const Json &value) const
    {
        for (const Event &e : all)
            if (e.entry.key == key && e.type != Event::Type::Deleted && e.entry.value == value)
                return true;
        return false;
    }
};

} // namespace

class TestFirebaseProvider : public QObject {
    Q_OBJECT

    std::unique_ptr<Provider> open(const StoreSpec &spec)
    {
        auto p = openProvider(spec);
        if (!p.ok())
            qWarning("%s", qPrintable(p.error().toString()));
        return p.ok() ? std::move(p).value() : nullptr;
    }

    StoreSpec fresh(const QString &root = QStringLiteral("state"))
    {
        return m_fb.spec(QStringLiteral("db%1").arg(++m_databases), root);
    }

    QString nsOf(const StoreSpec &spec) const { return spec.options.value(QStringLiteral("projectId")).toString(); }

    // What the log sink saw; checked for secrets.
    QByteArray m_logged;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_fb.start(), qPrintable(m_fb.log()));
        log::setThreshold(log::Level::Debug);
        log::setSink([this](const QByteArray &line) { m_logged += line; });
    }

    void cleanupTestCase()
    {
        log::setSink({});
        // Nothing secret was logged by any test of this suite.
        QVERIFY(!m_logged.contains(m_fb.adminToken().toUtf8()));
        QVERIFY(!m_logged.contains(m_fb.readonlyToken().toUtf8()));
        QVERIFY(!m_logged.contains("ya29."));
        QVERIFY(!m_logged.contains("PRIVATE KEY"));
    }

    // The provider's writes are plain Firebase data, read back by a plain
    // REST GET, and its revisions are the emulator's ETags.
    void testRestShape()
    {
        const StoreSpec spec = fresh();
        auto p = open(spec);
        QVERIFY(p);
        const Json value = Json::parse(R"({"octocat": ["ssh-ed25519 AAAA1", "ssh-rsa BBBB2"], "hubot": ["k"]})");
        auto put = await(p->put(jsonEntry(QStringLiteral("keys"), value), {}));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        const auto [status, body] = m_fb.rest("GET", nsOf(spec), QStringLiteral("/state/keys"));
        QCOMPARE(status, 200);
        QCOMPARE(nlohmann::json::parse(body.toStdString()), nlohmann::json::parse(value.dump()));
        QCOMPARE(put->revision, FirebaseProvider::revisionOf(value));
        // A key with "/" reaches a deeper node, as push IDs under container/ are.
        auto deep = await(p->put(jsonEntry(QStringLiteral("container/-Nabc"), Json{{"image", "alpine"}}), {}));
        QVERIFY2(deep.ok(), qPrintable(deep.error().toString()));
        const auto [s2, b2] = m_fb.rest("GET", nsOf(spec), QStringLiteral("/state/container/-Nabc/image"));
        QCOMPARE(s2, 200);
        QCOMPARE(b2, QByteArray("\"alpine\""));
        ListOptions under;
        under.prefix = QStringLiteral("container/");
        auto page = await(p->list(under));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 1);
        QCOMPARE(page->entries[0].key, QStringLiteral("container/-Nabc"));
    }

    void testForbiddenKeyCharacters_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("named");
        QTest::newRow(".") << "user.name" << "'.'";
        QTest::newRow("$") << "cost$" << "'$'";
        QTest::newRow("#") << "a#b" << "'#'";
        QTest::newRow("[") << "a[0" << "'['";
        QTest::newRow("]") << "a]" << "']'";
        QTest::newRow("tab") << "a\tb" << "U+0009";
        QTest::newRow("empty part") << "a//b" << "may not be empty";
    }

    void testForbiddenKeyCharacters()
    {
        QFETCH(QString, key);
        QFETCH(QString, named);
        auto p = open(fresh());
        auto put = await(p->put(jsonEntry(key, Json{{"v", 1}}), {}));
        QVERIFY(!put.ok());
        QCOMPARE(put.error().kind, ErrorKind::Invalid);
        QVERIFY2(put.error().toString().contains(named), qPrintable(put.error().toString()));
    }

    // Nothing Firebase would drop silently: a value that stores nothing is refused.
    void testEmptyValueRefused()
    {
        auto p = open(fresh());
        for (const Json &v : {Json(), Json::object(), Json::array()}) {
            auto put = await(p->put(jsonEntry(QStringLiteral("nothing"), v), {}));
            QVERIFY(!put.ok());
            QCOMPARE(put.error().kind, ErrorKind::Invalid);
        }
    }

    // A 412 is a Conflict naming the key, and the value stays.
    void testConflictFrom412()
    {
        const StoreSpec spec = fresh();
        auto a = open(spec);
        auto first = await(a->put(jsonEntry(QStringLiteral("counter"), Json{{"n", 1}}), {}));
        QVERIFY(first.ok());
        // Another client (plain REST) writes in between.
        QCOMPARE(m_fb.rest("PUT", nsOf(spec), QStringLiteral("/state/counter"), R"({"n": 7})").first, 200);
        auto stale = await(a->put(jsonEntry(QStringLiteral("counter"), Json{{"n", 2}}),
                                  Precondition::atRevision(first->revision)));
        QVERIFY(!stale.ok());
        QCOMPARE(stale.error().kind, ErrorKind::Conflict);
        QCOMPARE(stale.error().where, QStringLiteral("counter"));
        QCOMPARE(m_fb.rest("GET", nsOf(spec), QStringLiteral("/state/counter/n")).second, QByteArray("7"));
        const QJsonArray recent = m_fb.stats().value(QStringLiteral("requests")).toArray();
        QVERIFY(!recent.isEmpty());
    }

    // A server whose ETags are not statedeck's content hash (the real
    // service's algorithm is unpublished; the emulator salts its hash here):
    // a write at the revision statedeck read gets a 412 whose body is the
    // expected value, and goes again with the server's ETag. A write at a
    // stale revision is still a Conflict, and a stale delete too.
    void testEtagFallback_data()
    {
        QTest::addColumn<QString>("op"); // put or remove
        QTest::addColumn<bool>("stale");
        QTest::addColumn<int>("kind"); // ErrorKind, or -1: success
        QTest::addColumn<int>("attempts"); // conditional requests on the key
        QTest::newRow("put at the current revision") << "put" << false << -1 << 2;
        QTest::newRow("put at a stale revision") << "put" << true << int(ErrorKind::Conflict) << 1;
        QTest::newRow("remove at the current revision") << "remove" << false << -1 << 2;
        QTest::newRow("remove at a stale revision") << "remove" << true << int(ErrorKind::Conflict) << 1;
    }
    void testEtagFallback()
    {
        QFETCH(QString, op);
        QFETCH(bool, stale);
        QFETCH(int, kind);
        QFETCH(int, attempts);
        FirebaseTestServer::Options o;
        o.etagSalt = QStringLiteral("not-a-content-hash");
        FirebaseTestServer salted(o);
        QVERIFY2(salted.start(), qPrintable(salted.log()));
        const StoreSpec spec = salted.spec(QStringLiteral("salted"), QStringLiteral("state"));
        auto p = open(spec);
        QVERIFY(p);
        auto first = await(p->put(jsonEntry(QStringLiteral("counter"), Json{{"n", 1}}), {}));
        QVERIFY2(first.ok(), qPrintable(first.error().toString()));
        QString revision = first->revision;
        if (stale) {
            // Another client writes in between.
            QCOMPARE(salted.rest("PUT", QStringLiteral("salted"), QStringLiteral("/state/counter"), R"({"n": 7})").first,
                     200);
        }
        QVERIFY(salted.emulatorAction(QStringLiteral("clear-recent")));
        Result<Entry> put = Error(ErrorKind::Internal, QStringLiteral("not run"));
        Status removed;
        if (op == QLatin1String("put"))
            put = await(p->put(jsonEntry(QStringLiteral("counter"), Json{{"n", 2}}), Precondition::atRevision(revision)));
        else
            removed = await(p->remove(QStringLiteral("counter"), Precondition::atRevision(revision)));
        const bool ok = op == QLatin1String("put") ? put.ok() : removed.ok();
        const Error error = op == QLatin1String("put") ? (put.ok() ? Error() : put.error())
                                                       : (removed.ok() ? Error() : removed.error());
        if (kind < 0) {
            QVERIFY2(ok, qPrintable(error.toString()));
        } else {
            QVERIFY(!ok);
            QCOMPARE(int(error.kind), kind);
            QCOMPARE(error.where, QStringLiteral("counter"));
        }
        // The first conditional request was refused (412) and, where the
        // value was the expected one, retried with the server's ETag.
        int conditional = 0;
        const QString method = op == QLatin1String("put") ? QStringLiteral("PUT ") : QStringLiteral("DELETE ");
        for (const QJsonValue &r : salted.stats().value(QStringLiteral("requests")).toArray())
            conditional += r.toString().startsWith(method + QStringLiteral("/state/counter.json")) ? 1 : 0;
        QCOMPARE(conditional, attempts);
        const QByteArray now = salted.rest("GET", QStringLiteral("salted"), QStringLiteral("/state/counter/n")).second;
        if (stale)
            QCOMPARE(now, QByteArray("7")); // the other writer's value stays
        else
            QCOMPARE(now, op == QLatin1String("put") ? QByteArray("2") : QByteArray("null"));
    }

    // A stream that goes silent for longer than the watchdog allows (no
    // event, not even a keep-alive) is taken for dead: interrupted, then a
    // new stream and a Resync. Keep-alives more often than that keep it up.
    void testSilentStream_data()
    {
        QTest::addColumn<int>("keepAliveMs");
        QTest::addColumn<bool>("interrupts");
        QTest::newRow("silent") << 600000 << true;
        QTest::newRow("keep-alives") << 100 << false;
    }
    void testSilentStream()
    {
        QFETCH(int, keepAliveMs);
        QFETCH(bool, interrupts);
        FirebaseTestServer::Options o;
        o.keepAliveMs = keepAliveMs;
        FirebaseTestServer server(o);
        QVERIFY2(server.start(), qPrintable(server.log()));
        FirebaseOptions fo;
        fo.databaseUrl = server.baseUrl();
        fo.ns = QStringLiteral("quiet");
        fo.root = QStringLiteral("state");
        fo.serviceAccountFile = server.serviceAccountFile();
        fo.streamSilenceMs = 2000;
        FirebaseProvider p(fo);
        QVERIFY(await(p.put(jsonEntry(QStringLiteral("a"), Json{{"v", 1}}), {})).ok());
        std::unique_ptr<Watch> w = p.watch(QString(), QString());
        Events events(w.get());
        QSignalSpy ready(w.get(), &Watch::ready);
        QSignalSpy interrupted(w.get(), &Watch::interrupted);
        QSignalSpy failed(w.get(), &Watch::failed);
        QVERIFY(ready.wait(15000));
        if (interrupts) {
            QTRY_VERIFY_WITH_TIMEOUT(interrupted.count() > 0, 15000);
            const Error why = interrupted.first().first().value<Error>();
            QCOMPARE(why.kind, ErrorKind::Timeout);
            QVERIFY2(why.message.contains(QLatin1String("went silent")), qPrintable(why.message));
            QTRY_VERIFY_WITH_TIMEOUT(events.count(Event::Type::ResyncDone) >= 1, 15000);
            QVERIFY(events.count(Event::Type::Resync) >= 1);
            QVERIFY(events.sawValue(QStringLiteral("a"), Json{{"v", 1}}));
        } else {
            // Five times the watchdog's limit in keep-alives.
            QTRY_VERIFY_WITH_TIMEOUT(server.stats().value(QStringLiteral("keepAlivesSent")).toInt() >= 100, 30000);
            QCOMPARE(interrupted.count(), 0);
            QCOMPARE(events.count(Event::Type::Resync), 0);
        }
        QCOMPARE(failed.count(), 0);
        // Live either way.
        QCOMPARE(server.rest("PUT", QStringLiteral("quiet"), QStringLiteral("/state/b"), R"({"v": 2})").first, 200);
        QTRY_VERIFY_WITH_TIMEOUT(events.sawValue(QStringLiteral("b"), Json{{"v", 2}}), 15000);
    }

    // The order of credentials (issue 16): a service account, from options
    // or the environment, comes before auth=. Here auth= is the read-only
    // token: had it been used, the write would be Forbidden. The emulator's
    // stats say how the requests carried their credential.
    void testServiceAccountBeforeAuth_data()
    {
        QTest::addColumn<QString>("account"); // option, file-env, key-env, none
        QTest::addColumn<bool>("bearer");
        QTest::newRow("serviceAccount option and auth") << "option" << true;
        QTest::newRow("GOOGLE_APPLICATION_CREDENTIALS and auth") << "file-env" << true;
        QTest::newRow("FIREBASE_CLIENT_EMAIL/KEY and auth") << "key-env" << true;
        QTest::newRow("auth alone") << "none" << false;
    }
    void testServiceAccountBeforeAuth()
    {
        QFETCH(QString, account);
        QFETCH(bool, bearer);
        StoreSpec spec = fresh();
        QCOMPARE(m_fb.rest("PUT", nsOf(spec), QStringLiteral("/state/a"), R"({"v": 1})").first, 200);
        spec.options.insert(QStringLiteral("auth"), m_fb.readonlyToken());
        if (account != QLatin1String("option"))
            spec.options.remove(QStringLiteral("serviceAccount"));
        QString escaped = m_fb.privateKeyPem();
        escaped.replace(QLatin1Char('\n'), QLatin1String("\\n"));
        if (account == QLatin1String("file-env")) {
            qputenv("GOOGLE_APPLICATION_CREDENTIALS", m_fb.serviceAccountFile().toUtf8());
        } else if (account == QLatin1String("key-env")) {
            qputenv("FIREBASE_CLIENT_EMAIL", m_fb.clientEmail().toUtf8());
            qputenv("FIREBASE_PRIVATE_KEY", escaped.toUtf8());
            qputenv("FIREBASE_TOKEN_URI", m_fb.tokenUri().toUtf8());
        }
        auto p = open(spec);
        for (const char *name : {"GOOGLE_APPLICATION_CREDENTIALS", "FIREBASE_CLIENT_EMAIL", "FIREBASE_PRIVATE_KEY",
                                 "FIREBASE_TOKEN_URI"})
            qunsetenv(name);
        QVERIFY(p);
        QVERIFY(m_fb.emulatorAction(QStringLiteral("clear-recent")));
        auto got = await(p->get(QStringLiteral("a")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        auto put = await(p->put(jsonEntry(QStringLiteral("a"), Json{{"v", 2}}), {}));
        const QJsonObject credentials = m_fb.stats().value(QStringLiteral("credentials")).toObject();
        if (bearer) {
            QVERIFY2(put.ok(), qPrintable(put.error().toString()));
            QVERIFY(credentials.value(QStringLiteral("bearer")).toInt() >= 2);
            QCOMPARE(credentials.value(QStringLiteral("auth")).toInt(), 0);
        } else {
            QVERIFY(!put.ok());
            QCOMPARE(put.error().kind, ErrorKind::Forbidden);
            QCOMPARE(credentials.value(QStringLiteral("auth")).toInt(), 2);
            QCOMPARE(credentials.value(QStringLiteral("bearer")).toInt(), 0);
        }
        QCOMPARE(credentials.value(QStringLiteral("access_token")).toInt(), 0);
    }

    // The stream shows another client's change as an event of the key.
    void testStreamSeesAnotherClient()
    {
        const StoreSpec spec = fresh();
        auto p = open(spec);
        std::unique_ptr<Watch> w = p->watch(QString(), QString());
        Events events(w.get());
        QSignalSpy ready(w.get(), &Watch::ready);
        QVERIFY(ready.wait(15000));
        QCOMPARE(m_fb.rest("PUT", nsOf(spec), QStringLiteral("/state/keys"), R"({"octocat": ["k1"]})").first, 200);
        QTRY_VERIFY_WITH_TIMEOUT(events.sawValue(QStringLiteral("keys"), Json::parse(R"({"octocat": ["k1"]})")), 15000);
        QCOMPARE(events.all.first().type, Event::Type::Added);
        // A deeper write (one login's keys) is a Modified of "keys" with the whole value.
        QCOMPARE(m_fb.rest("PUT", nsOf(spec), QStringLiteral("/state/keys/hubot"), R"(["k2"])").first, 200);
        QTRY_VERIFY_WITH_TIMEOUT(events.sawValue(QStringLiteral("keys"),
                                                 Json::parse(R"({"hubot": ["k2"], "octocat": ["k1"]})")),
                                 15000);
        QCOMPARE(events.all.last().type, Event::Type::Modified);
        QCOMPARE(m_fb.rest("DELETE", nsOf(spec), QStringLiteral("/state/keys")).first, 200);
        QTRY_COMPARE_WITH_TIMEOUT(events.all.last().type, Event::Type::Deleted, 15000);
        QCOMPARE(events.all.last().entry.key, QStringLiteral("keys"));
    }

    // A dropped stream reconnects by itself; having no history, it says
    // Resync and gives the current entries, including what was written
    // while it was away.
    void testDroppedStreamResyncs()
    {
        const StoreSpec spec = fresh();
        auto p = open(spec);
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("a"), Json{{"v", 1}}), {})).ok());
        std::unique_ptr<Watch> w = p->watch(QString(), QString());
        Events events(w.get());
        QSignalSpy ready(w.get(), &Watch::ready);
        QSignalSpy interrupted(w.get(), &Watch::interrupted);
        QVERIFY(ready.wait(15000));
        QVERIFY(m_fb.emulatorAction(QStringLiteral("drop-streams")));
        // It may come while the request above still waits for its answer.
        QTRY_VERIFY_WITH_TIMEOUT(interrupted.count() > 0, 15000);
        QCOMPARE(m_fb.rest("PUT", nsOf(spec), QStringLiteral("/state/b"), R"({"v": 2})").first, 200);
        QTRY_VERIFY_WITH_TIMEOUT(events.count(Event::Type::ResyncDone) >= 1, 20000);
        QCOMPARE(events.count(Event::Type::Resync), 1);
        QVERIFY(events.sawValue(QStringLiteral("a"), Json{{"v", 1}}));
        QTRY_VERIFY_WITH_TIMEOUT(events.sawValue(QStringLiteral("b"), Json{{"v", 2}}), 15000);
        // And it is live again.
        QCOMPARE(m_fb.rest("PUT", nsOf(spec), QStringLiteral("/state/c"), R"({"v": 3})").first, 200);
        QTRY_VERIFY_WITH_TIMEOUT(events.sawValue(QStringLiteral("c"), Json{{"v", 3}}), 15000);
    }

    // Access tokens revoked (run out) between two requests: the next
    // request gets 401, a new token is fetched, and the request goes
    // through; a stream gets auth_revoked and comes back with a Resync.
    void testExpiredTokenRefreshedInFlight()
    {
        const StoreSpec spec = fresh();
        auto p = open(spec);
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("a"), Json{{"v", 1}}), {})).ok());
        std::unique_ptr<Watch> w = p->watch(QString(), QString());
        Events events(w.get());
        QSignalSpy ready(w.get(), &Watch::ready);
        QSignalSpy failed(w.get(), &Watch::failed);
        QVERIFY(ready.wait(15000));
        const int issuedBefore = m_fb.stats().value(QStringLiteral("tokensIssued")).toInt();
        const int revokedBefore = m_fb.stats().value(QStringLiteral("authRevokedSent")).toInt();
        QVERIFY(m_fb.emulatorAction(QStringLiteral("revoke-tokens")));
        // The stream was told (auth_revoked), not merely cut.
        QVERIFY(m_fb.stats().value(QStringLiteral("authRevokedSent")).toInt() > revokedBefore);
        auto put = await(p->put(jsonEntry(QStringLiteral("a"), Json{{"v", 2}}), {}));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        QVERIFY(m_fb.stats().value(QStringLiteral("tokensIssued")).toInt() > issuedBefore);
        QTRY_VERIFY_WITH_TIMEOUT(events.count(Event::Type::ResyncDone) >= 1, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(events.sawValue(QStringLiteral("a"), Json{{"v", 2}}), 15000);
        QCOMPARE(failed.count(), 0);
    }

    // A token that runs out by itself (a short lifetime) is replaced before
    // requests fail.
    void testShortLivedTokens()
    {
        FirebaseTestServer::Options o;
        o.tokenLifetimeSec = 2;
        FirebaseTestServer shortLived(o);
        QVERIFY2(shortLived.start(), qPrintable(shortLived.log()));
        auto p = open(shortLived.spec(QStringLiteral("short")));
        // Writes go on while the first token's lifetime passes; every one
        // succeeds, and a second token is fetched on the way.
        int written = 0;
        QString failure;
        const auto write = [&] {
            auto put = await(p->put(jsonEntry(QStringLiteral("k"), Json{{"i", ++written}}), {}));
            if (!put.ok())
                failure = put.error().toString();
            return put.ok();
        };
        QTRY_VERIFY_WITH_TIMEOUT(write() && shortLived.stats().value(QStringLiteral("tokensIssued")).toInt() >= 2,
                                 20000);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        QVERIFY(shortLived.stats().value(QStringLiteral("tokensIssued")).toInt() >= 2);
    }

    // The stream cancelled by the server stops the watch with Forbidden.
    void testCancelledStream()
    {
        auto p = open(fresh());
        std::unique_ptr<Watch> w = p->watch(QString(), QString());
        QSignalSpy ready(w.get(), &Watch::ready);
        QSignalSpy failed(w.get(), &Watch::failed);
        QVERIFY(ready.wait(15000));
        QVERIFY(m_fb.emulatorAction(QStringLiteral("cancel-streams")));
        QTRY_VERIFY_WITH_TIMEOUT(failed.count() > 0, 15000);
        const Error why = failed.first().first().value<Error>();
        QCOMPARE(why.kind, ErrorKind::Forbidden);
    }

    // A private key that is not the service account's: the token endpoint
    // refuses the signature, the error says so without the key, nothing is
    // written.
    void testWrongPrivateKey()
    {
        QTemporaryDir dir;
        const QString wrong = FirebaseTestServer::makePrivateKey(dir.path(), QStringLiteral("wrong"));
        QVERIFY(!wrong.isEmpty());
        StoreSpec spec = fresh();
        spec.options.remove(QStringLiteral("serviceAccount"));
        spec.options.insert(QStringLiteral("clientEmail"), m_fb.clientEmail());
        spec.options.insert(QStringLiteral("privateKey"), wrong);
        spec.options.insert(QStringLiteral("tokenUri"), m_fb.tokenUri());
        auto p = open(spec);
        auto put = await(p->put(jsonEntry(QStringLiteral("keys"), Json{{"octocat", {"k"}}}), {}));
        QVERIFY(!put.ok());
        QCOMPARE(put.error().kind, ErrorKind::Unauthorized);
        const QString text = put.error().toString();
        QVERIFY2(text.contains(QLatin1String("Invalid JWT Signature")), qPrintable(text));
        QVERIFY2(text.contains(m_fb.clientEmail()), qPrintable(text));
        QVERIFY(!text.contains(QLatin1String("PRIVATE KEY")));
        QVERIFY(!text.contains(wrong.mid(40, 40)));
        QCOMPARE(m_fb.rest("GET", nsOf(spec), QStringLiteral("/")).second, QByteArray("null"));
    }

    // FIREBASE_CLIENT_EMAIL and FIREBASE_PRIVATE_KEY as the gate's env files
    // write them: the key quoted, its newlines as \n.
    void testEnvironmentCredentials()
    {
        QString escaped = m_fb.privateKeyPem();
        escaped.replace(QLatin1Char('\n'), QLatin1String("\\n"));
        qputenv("FIREBASE_CLIENT_EMAIL", m_fb.clientEmail().toUtf8());
        qputenv("FIREBASE_PRIVATE_KEY", '"' + escaped.toUtf8() + '"');
        qputenv("FIREBASE_TOKEN_URI", m_fb.tokenUri().toUtf8());
        StoreSpec spec = fresh();
        spec.options.remove(QStringLiteral("serviceAccount"));
        auto p = open(spec);
        qunsetenv("FIREBASE_CLIENT_EMAIL");
        qunsetenv("FIREBASE_PRIVATE_KEY");
        qunsetenv("FIREBASE_TOKEN_URI");
        auto put = await(p->put(jsonEntry(QStringLiteral("keys"), Json{{"octocat", {"k"}}}), {}));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
    }

    // auth= with a read-only credential reads, and its writes are refused.
    void testReadOnlyCredential()
    {
        StoreSpec spec = fresh();
        QCOMPARE(m_fb.rest("PUT", nsOf(spec), QStringLiteral("/state/a"), R"({"v": 1})").first, 200);
        spec.options.remove(QStringLiteral("serviceAccount"));
        spec.options.insert(QStringLiteral("auth"), m_fb.readonlyToken());
        auto p = open(spec);
        auto got = await(p->get(QStringLiteral("a")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        auto put = await(p->put(jsonEntry(QStringLiteral("a"), Json{{"v", 2}}), {}));
        QVERIFY(!put.ok());
        QCOMPARE(put.error().kind, ErrorKind::Forbidden);
        QVERIFY(!put.error().toString().contains(m_fb.readonlyToken()));
        // Without any credential: Unauthorized, with what to give.
        spec.options.remove(QStringLiteral("auth"));
        auto anonymous = open(spec);
        auto denied = await(anonymous->get(QStringLiteral("a")));
        QVERIFY(!denied.ok());
        QCOMPARE(denied.error().kind, ErrorKind::Unauthorized);
        QVERIFY(denied.error().message.contains(QLatin1String("FIREBASE_PRIVATE_KEY")));
    }

    // A listing asks for one page at a time ($key with limitToFirst), never
    // the whole node.
    void testListingIsPaged()
    {
        const StoreSpec spec = fresh();
        nlohmann::json patch = nlohmann::json::object();
        for (int i = 0; i < 50; ++i)
            patch["k" + std::to_string(100 + i)] = {{"i", i}};
        QCOMPARE(m_fb.rest("PATCH", nsOf(spec), QStringLiteral("/state"), QByteArray::fromStdString(patch.dump())).first,
                 200);
        QVERIFY(m_fb.emulatorAction(QStringLiteral("clear-recent")));
        auto p = open(spec);
        ListOptions o;
        o.limit = 20;
        QStringList keys;
        for (int pages = 0; pages < 10; ++pages) {
            auto page = await(p->list(o));
            QVERIFY2(page.ok(), qPrintable(page.error().toString()));
            QVERIFY(page->entries.size() <= 20);
            for (const Entry &e : page->entries)
                keys << e.key;
            if (page->nextCursor.isEmpty())
                break;
            o.cursor = page->nextCursor;
        }
        QCOMPARE(keys.size(), 50);
        QCOMPARE(keys.first(), QStringLiteral("k100"));
        QCOMPARE(keys.last(), QStringLiteral("k149"));
        const QJsonArray recent = m_fb.stats().value(QStringLiteral("requests")).toArray();
        int listings = 0;
        for (const QJsonValue &r : recent) {
            const QString line = r.toString();
            if (!line.startsWith(QLatin1String("GET /state.json")))
                continue;
            ++listings;
            QVERIFY2(line.contains(QLatin1String("orderBy=\"$key\"")) && line.contains(QLatin1String("limitToFirst=")),
                     qPrintable(line));
        }
        QCOMPARE(listings, 3);
    }

    // Seed 000's firebase block and variables open the store as they are.
    void testWorkerYmlSettings()
    {
        StoreSpec spec;
        spec.backend = QStringLiteral("firebase");
        spec.options.insert(QStringLiteral("projectId"), QStringLiteral("gate-prod"));
        auto p = open(spec);
        QVERIFY(p);
        QCOMPARE(p->describe(), QStringLiteral("firebase https://gate-prod.firebaseio.com"));
        spec.options.insert(QStringLiteral("databaseUrl"), QStringLiteral("https://gate-prod-default-rtdb.europe-west1.firebasedatabase.app"));
        p = open(spec);
        QVERIFY(p);
        QVERIFY(p->describe().contains(QLatin1String("europe-west1.firebasedatabase.app")));
        const Capabilities caps = p->capabilities();
        QCOMPARE(caps.ttl, false);
        QCOMPARE(caps.watch, WatchKind::Native);
        QCOMPARE(caps.watchHistory, false);
        QVERIFY(caps.compareAndSwap && caps.locks);
    }

private:
    FirebaseTestServer m_fb;
    int m_databases = 0;
};

QTEST_GUILESS_MAIN(TestFirebaseProvider)
#include "tst_firebase_provider.moc"
