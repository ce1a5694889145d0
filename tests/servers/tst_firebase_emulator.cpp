// The Firebase emulator held to the REST reference on its own, with plain
// HTTP requests (no statedeck code): shapes, ETags and 412s, queries, server
// values, push IDs, auth answers, and the token endpoint's checks of a JWT
// signed here with the openssl command.

#include "FirebaseTestServer.h"
#include "TestSupport.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

using namespace sd::test;
using nlohmann::json;

namespace {

struct Answer {
    int status = 0;
    QByteArray body;
    QByteArray etag;
    json parsed() const { return json::parse(body.toStdString(), nullptr, false); }
};

} // namespace

class TestFirebaseEmulator : public QObject {
    Q_OBJECT

    Answer request(const QByteArray &method, const QString &pathAndQuery, const QByteArray &body = {},
                   const QList<QPair<QByteArray, QByteArray>> &headers = {})
    {
        QNetworkRequest r(QUrl(m_fb.baseUrl() + pathAndQuery));
        for (const auto &h : headers)
            r.setRawHeader(h.first, h.second);
        if (!body.isEmpty())
            r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QNetworkReply *reply = m_nam.sendCustomRequest(r, method, body);
        Answer a;
        if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 30000)) {
            delete reply;
            return a;
        }
        a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        a.body = reply->readAll();
        a.etag = reply->rawHeader("ETag");
        delete reply;
        return a;
    }

    QString admin() const { return QStringLiteral("auth=") + m_fb.adminToken(); }

    // A JWT signed RS256 with `keyFile` by the openssl command.
    QByteArray jwt(const json &claims, const QString &keyFile)
    {
        const auto b64 = [](const QByteArray &b) {
            return b.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
        };
        const QByteArray input = b64(QByteArrayLiteral(R"({"alg":"RS256","typ":"JWT"})")) + '.'
                                 + b64(QByteArray::fromStdString(claims.dump()));
        const QString in = m_dir.filePath(QStringLiteral("input.txt"));
        const QString sig = m_dir.filePath(QStringLiteral("sig.bin"));
        QFile f(in);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return {};
        f.write(input);
        f.close();
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
                      {QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-sign"), keyFile,
                       QStringLiteral("-out"), sig, in});
        if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0)
            return {};
        QFile s(sig);
        if (!s.open(QIODevice::ReadOnly))
            return {};
        return input + '.' + b64(s.readAll());
    }

    json claims(qint64 issuedAgo = 0) const
    {
        const qint64 now = QDateTime::currentSecsSinceEpoch() - issuedAgo;
        return {{"iss", m_fb.clientEmail().toStdString()},
                {"aud", m_fb.tokenUri().toStdString()},
                {"scope", "https://www.googleapis.com/auth/firebase.database"},
                {"iat", now},
                {"exp", now + 3600}};
    }

    Answer exchange(const QByteArray &assertion)
    {
        QUrlQuery form;
        form.addQueryItem(QStringLiteral("grant_type"), QStringLiteral("urn:ietf:params:oauth:grant-type:jwt-bearer"));
        form.addQueryItem(QStringLiteral("assertion"), QString::fromLatin1(assertion));
        return request("POST", QStringLiteral("/token"), form.toString(QUrl::FullyEncoded).toLatin1(),
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(m_fb.start(), qPrintable(m_fb.log()));
        m_key = m_dir.filePath(QStringLiteral("sa.pem"));
        QFile key(m_key);
        QVERIFY(key.open(QIODevice::WriteOnly));
        key.write(m_fb.privateKeyPem().toLatin1());
    }

    void testWriteAndReadShapes()
    {
        // Arrays are kept as index objects and shown as arrays again; nulls
        // and empty containers are not stored.
        Answer put = request("PUT", QStringLiteral("/a.json?") + admin(),
                             R"({"list": [1, "two", null, true], "empty": {}, "none": null, "n": 1.5})");
        QCOMPARE(put.status, 200);
        QCOMPARE(put.parsed(), json::parse(R"({"list": [1, "two", null, true], "n": 1.5})"));
        QCOMPARE(request("GET", QStringLiteral("/a/list/1.json?") + admin()).body, QByteArray("\"two\""));
        // Sparse indices are an object.
        QCOMPARE(request("PUT", QStringLiteral("/sparse.json?") + admin(), R"({"0": "a", "7": "b"})").parsed(),
                 json::parse(R"({"0": "a", "7": "b"})"));
        // Deleting the last child deletes the parent.
        QCOMPARE(request("DELETE", QStringLiteral("/a/list.json?") + admin()).body, QByteArray("null"));
        QCOMPARE(request("DELETE", QStringLiteral("/a/n.json?") + admin()).status, 200);
        QCOMPARE(request("GET", QStringLiteral("/a.json?") + admin()).body, QByteArray("null"));
        // print=silent: 204, no body.
        Answer silent = request("PUT", QStringLiteral("/s.json?print=silent&") + admin(), "1");
        QCOMPARE(silent.status, 204);
        QVERIFY(silent.body.isEmpty());
        // Forbidden key characters: 400 with the service's error shape.
        Answer bad = request("PUT", QStringLiteral("/b.json?") + admin(), R"({"a.b": 1})");
        QCOMPARE(bad.status, 400);
        QVERIFY(bad.parsed().contains("error"));
    }

    void testEtagsAndConditionalWrites()
    {
        QCOMPARE(request("PUT", QStringLiteral("/c.json?") + admin(), R"({"v": 1})").status, 200);
        Answer read = request("GET", QStringLiteral("/c.json?") + admin(), {}, {{"X-Firebase-ETag", "true"}});
        QVERIFY(!read.etag.isEmpty());
        Answer ok = request("PUT", QStringLiteral("/c.json?") + admin(), R"({"v": 2})", {{"if-match", read.etag}});
        QCOMPARE(ok.status, 200);
        // The old ETag no longer matches: 412 with the current value and ETag.
        Answer stale = request("PUT", QStringLiteral("/c.json?") + admin(), R"({"v": 3})", {{"if-match", read.etag}});
        QCOMPARE(stale.status, 412);
        QCOMPARE(stale.parsed(), json::parse(R"({"v": 2})"));
        QVERIFY(!stale.etag.isEmpty() && stale.etag != read.etag);
        // null_etag: only where nothing is.
        QCOMPARE(request("PUT", QStringLiteral("/c.json?") + admin(), "1", {{"if-match", "null_etag"}}).status, 412);
        QCOMPARE(request("PUT", QStringLiteral("/fresh.json?") + admin(), "1", {{"if-match", "null_etag"}}).status, 200);
        QCOMPARE(request("DELETE", QStringLiteral("/c.json?") + admin(), {}, {{"if-match", read.etag}}).status, 412);
        QCOMPARE(request("DELETE", QStringLiteral("/c.json?") + admin(), {}, {{"if-match", stale.etag}}).status, 200);
        // if-match is for PUT and DELETE only.
        QCOMPARE(request("PATCH", QStringLiteral("/c.json?") + admin(), R"({"x": 1})", {{"if-match", "null_etag"}}).status,
                 400);
    }

    void testQueriesAndShallow()
    {
        QCOMPARE(request("PUT", QStringLiteral("/q.json?") + admin(),
                         R"({"b": 1, "a": {"deep": true}, "10": "ten", "9": "nine", "c": "x"})")
                     .status,
                 200);
        Answer shallow = request("GET", QStringLiteral("/q.json?shallow=true&") + admin());
        QCOMPARE(shallow.parsed(), json::parse(R"({"a": true, "b": 1, "10": "ten", "9": "nine", "c": "x"})"));
        // Integer keys first (by value), then strings: 9, 10, a, b, c.
        Answer first = request("GET", QStringLiteral("/q.json?orderBy=%22%24key%22&limitToFirst=2&") + admin());
        QCOMPARE(first.parsed(), json::parse(R"({"9": "nine", "10": "ten"})"));
        Answer range = request("GET", QStringLiteral("/q.json?orderBy=%22%24key%22&startAt=%22a%22&endAt=%22b%22&") + admin());
        QCOMPARE(range.parsed(), json::parse(R"({"a": {"deep": true}, "b": 1})"));
        Answer last = request("GET", QStringLiteral("/q.json?orderBy=%22%24key%22&limitToLast=1&") + admin());
        QCOMPARE(last.parsed(), json::parse(R"({"c": "x"})"));
        QCOMPARE(request("GET", QStringLiteral("/q.json?shallow=true&orderBy=%22%24key%22&") + admin()).status, 400);
        QCOMPARE(request("GET", QStringLiteral("/q.json?limitToFirst=1&") + admin()).status, 400);
    }

    void testServerValuesAndPushIds()
    {
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        Answer put = request("PUT", QStringLiteral("/t.json?") + admin(), R"({"at": {".sv": "timestamp"}})");
        QCOMPARE(put.status, 200);
        const qint64 at = put.parsed()["at"].get<qint64>();
        QVERIFY(at >= before && at <= QDateTime::currentMSecsSinceEpoch());
        QStringList ids;
        for (int i = 0; i < 5; ++i) {
            Answer push = request("POST", QStringLiteral("/container.json?") + admin(), R"({"i": 1})");
            QCOMPARE(push.status, 200);
            ids << QString::fromStdString(push.parsed()["name"].get<std::string>());
            QCOMPARE(ids.last().size(), 20);
        }
        QStringList sorted = ids;
        sorted.sort();
        QCOMPARE(sorted, ids); // push IDs sort in the order they were made
    }

    void testAuthAnswers()
    {
        Answer none = request("GET", QStringLiteral("/x.json"));
        QCOMPARE(none.status, 401);
        QCOMPARE(none.parsed(), json::parse(R"({"error": "Permission denied"})"));
        const QString ro = QStringLiteral("auth=") + m_fb.readonlyToken();
        QCOMPARE(request("GET", QStringLiteral("/x.json?") + ro).status, 200);
        Answer write = request("PUT", QStringLiteral("/x.json?") + ro, "1");
        QCOMPARE(write.status, 401);
        QCOMPARE(write.parsed(), json::parse(R"({"error": "Permission denied"})"));
        QCOMPARE(request("GET", QStringLiteral("/x.json?auth=wrong")).status, 401);
        QCOMPARE(request("GET", QStringLiteral("/x.json"), {}, {{"Authorization", "Bearer " + m_fb.adminToken().toLatin1()}})
                     .status,
                 200);
        QCOMPARE(request("POST", QStringLiteral("/.emulator/revoke-tokens?auth=") + m_fb.readonlyToken()).status, 401);
    }

    // ?ns= chooses the database: what one namespace holds, another does not
    // see, and a write to one leaves the other alone.
    void testNamespaces_data()
    {
        QTest::addColumn<QString>("writeNs");
        QTest::addColumn<QString>("readNs");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("same namespace") << "nsa" << "nsa" << QByteArray(R"({"v":1})");
        QTest::newRow("another namespace") << "nsa" << "nsb" << QByteArray("null");
        QTest::newRow("the default database is one more") << "nsa" << "" << QByteArray("null");
        QTest::newRow("default, read by its name") << "" << "statedeck" << QByteArray(R"({"v":1})");
    }
    void testNamespaces()
    {
        QFETCH(QString, writeNs);
        QFETCH(QString, readNs);
        QFETCH(QByteArray, expected);
        const auto target = [this](const QString &ns) -> QString {
            return QStringLiteral("/nstest.json?") + (ns.isEmpty() ? QString() : QStringLiteral("ns=") + ns + '&')
                   + admin();
        };
        QCOMPARE(request("DELETE", target(QStringLiteral("nsa"))).status, 200);
        QCOMPARE(request("DELETE", target(QStringLiteral("nsb"))).status, 200);
        QCOMPARE(request("DELETE", target(QString())).status, 200);
        QCOMPARE(request("PUT", target(writeNs), R"({"v": 1})").status, 200);
        Answer read = request("GET", target(readNs));
        QCOMPARE(read.status, 200);
        QCOMPARE(read.body, expected);
    }

    // --etag-salt: the ETags are no longer the content hash a client can
    // compute (as with the real service), and still work for if-match.
    void testEtagSalt()
    {
        FirebaseTestServer::Options o;
        o.etagSalt = QStringLiteral("pepper");
        FirebaseTestServer salted(o);
        QVERIFY2(salted.start(), qPrintable(salted.log()));
        const QString auth = QStringLiteral("auth=") + salted.adminToken();
        const auto call = [&](const QByteArray &method, const QByteArray &body,
                              const QList<QPair<QByteArray, QByteArray>> &headers) {
            QNetworkRequest r(QUrl(salted.baseUrl() + QStringLiteral("/e.json?") + auth));
            for (const auto &h : headers)
                r.setRawHeader(h.first, h.second);
            QNetworkReply *reply = m_nam.sendCustomRequest(r, method, body);
            Answer a;
            if (QTest::qWaitFor([reply] { return reply->isFinished(); }, 30000)) {
                a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                a.body = reply->readAll();
                a.etag = reply->rawHeader("ETag");
            }
            delete reply;
            return a;
        };
        QCOMPARE(call("PUT", R"({"v":1})", {}).status, 200);
        const Answer read = call("GET", {}, {{"X-Firebase-ETag", "true"}});
        QCOMPARE(read.status, 200);
        const QByteArray contentHash = QCryptographicHash::hash(read.body, QCryptographicHash::Sha1).toBase64();
        QVERIFY(!read.etag.isEmpty());
        QVERIFY2(read.etag != contentHash, read.etag.constData());
        // The plain emulator's ETag for the same value is the content hash.
        QCOMPARE(request("PUT", QStringLiteral("/e.json?") + admin(), R"({"v":1})").status, 200);
        QCOMPARE(request("GET", QStringLiteral("/e.json?") + admin(), {}, {{"X-Firebase-ETag", "true"}}).etag, contentHash);
        // The content hash is refused, with the value and the server's ETag.
        const Answer refused = call("PUT", R"({"v":2})", {{"if-match", contentHash}});
        QCOMPARE(refused.status, 412);
        QCOMPARE(refused.body, QByteArray(R"({"v":1})"));
        QCOMPARE(refused.etag, read.etag);
        QCOMPARE(call("PUT", R"({"v":2})", {{"if-match", refused.etag}}).status, 200);
        QCOMPARE(call("PUT", "1", {{"if-match", "null_etag"}}).status, 412);
    }

    // Open streams get `event: keep-alive` every --keep-alive-ms, and the
    // stats count them.
    void testKeepAlive()
    {
        FirebaseTestServer::Options o;
        o.keepAliveMs = 200;
        FirebaseTestServer chatty(o);
        QVERIFY2(chatty.start(), qPrintable(chatty.log()));
        QNetworkRequest r(QUrl(chatty.baseUrl() + QStringLiteral("/k.json?auth=") + chatty.adminToken()));
        r.setRawHeader("Accept", "text/event-stream");
        QNetworkReply *reply = m_nam.get(r);
        QByteArray seen;
        QObject::connect(reply, &QNetworkReply::readyRead, reply, [&seen, reply] { seen += reply->readAll(); });
        QTRY_VERIFY_WITH_TIMEOUT(seen.contains("event: put\ndata: {\"data\":null,\"path\":\"/\"}\n\n"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(seen.count("event: keep-alive\ndata: null\n\n") >= 2, 10000);
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QVERIFY(reply->header(QNetworkRequest::ContentTypeHeader).toString().startsWith(QLatin1String("text/event-stream")));
        QVERIFY(chatty.stats().value(QStringLiteral("keepAlivesSent")).toInt() >= 2);
        reply->abort();
        delete reply;
        // The suite's own server (30 s, as the service) sent none meanwhile.
        QCOMPARE(m_fb.stats().value(QStringLiteral("keepAlivesSent")).toInt(), 0);
    }

    // POST /.emulator/dump writes the default database to --dump, the same
    // JSON a GET /.json gives; SIGTERM writes it too, at exit.
    void testDump_data()
    {
        QTest::addColumn<bool>("bySignal");
        QTest::newRow("POST /.emulator/dump") << false;
        QTest::newRow("SIGTERM") << true;
    }
    void testDump()
    {
        QFETCH(bool, bySignal);
        FirebaseTestServer fb;
        QVERIFY2(fb.start(), qPrintable(fb.log()));
        const QString file = QDir(fb.directory()).filePath(QStringLiteral("dump.json"));
        QVERIFY(!QFile::exists(file));
        const QByteArray data = R"({"keys": {"octocat": ["k1", "k2"]}, "container": {"-N1": {"at": 5}}, "n": 1.5})";
        QCOMPARE(fb.rest("PUT", QStringLiteral("statedeck"), QStringLiteral("/"), data).first, 200);
        // Another namespace is not in the default database's dump.
        QCOMPARE(fb.rest("PUT", QStringLiteral("other"), QStringLiteral("/x"), "1").first, 200);
        const auto [status, whole] = fb.rest("GET", QStringLiteral("statedeck"), QStringLiteral("/"));
        QCOMPARE(status, 200);
        if (bySignal)
            fb.stop(); // SIGTERM, then a wait for the exit
        else
            QVERIFY(fb.emulatorAction(QStringLiteral("dump")));
        QFile f(file);
        QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(file));
        const json dumped = json::parse(f.readAll().toStdString(), nullptr, false);
        QVERIFY(!dumped.is_discarded());
        QCOMPARE(dumped, json::parse(whole.toStdString()));
        QCOMPARE(dumped, json::parse(data.toStdString()));
    }

    void testTokenEndpoint_data()
    {
        QTest::addColumn<QString>("change");
        QTest::addColumn<QString>("description");
        QTest::newRow("valid") << "" << "";
        QTest::newRow("wrong issuer") << "iss" << "issuer";
        QTest::newRow("wrong audience") << "aud" << "audience";
        QTest::newRow("expired") << "exp" << "short-lived";
        QTest::newRow("no scope") << "scope" << "scope";
        QTest::newRow("wrong key") << "key" << "Invalid JWT Signature";
    }

    void testTokenEndpoint()
    {
        QFETCH(QString, change);
        QFETCH(QString, description);
        json c = claims();
        QString key = m_key;
        if (change == QLatin1String("iss"))
            c["iss"] = "someone-else@example.iam.gserviceaccount.com";
        else if (change == QLatin1String("aud"))
            c["aud"] = "https://oauth2.googleapis.com/token";
        else if (change == QLatin1String("exp"))
            c = claims(7200);
        else if (change == QLatin1String("scope"))
            c["scope"] = "https://www.googleapis.com/auth/devstorage.read_only";
        else if (change == QLatin1String("key")) {
            QVERIFY(!FirebaseTestServer::makePrivateKey(m_dir.path(), QStringLiteral("other")).isEmpty());
            key = QDir(m_dir.path()).filePath(QStringLiteral("other.pem"));
        }
        const QByteArray assertion = jwt(c, key);
        QVERIFY(!assertion.isEmpty());
        Answer a = exchange(assertion);
        if (change.isEmpty()) {
            QCOMPARE(a.status, 200);
            const json token = a.parsed();
            QCOMPARE(token["token_type"], "Bearer");
            QVERIFY(token["expires_in"].get<int>() > 0);
            const QString access = QString::fromStdString(token["access_token"].get<std::string>());
            QCOMPARE(request("PUT", QStringLiteral("/tok.json"), "1",
                             {{"Authorization", "Bearer " + access.toLatin1()}})
                         .status,
                     200);
            // Revoked: the documented 401, and the token endpoint gives a new one.
            QVERIFY(m_fb.emulatorAction(QStringLiteral("revoke-tokens")));
            Answer expired = request("GET", QStringLiteral("/tok.json?access_token=") + access);
            QCOMPARE(expired.status, 401);
            QCOMPARE(exchange(jwt(claims(), m_key)).status, 200);
            return;
        }
        QCOMPARE(a.status, 400);
        const json err = a.parsed();
        QVERIFY2(QString::fromStdString(err.dump()).contains(description), a.body.constData());
    }

private:
    QTemporaryDir m_dir;
    QString m_key;
    QNetworkAccessManager m_nam;
    FirebaseTestServer m_fb;
};

QTEST_GUILESS_MAIN(TestFirebaseEmulator)
#include "tst_firebase_emulator.moc"
