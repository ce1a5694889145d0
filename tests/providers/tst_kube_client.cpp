// KubeClient's verbs on the API emulator (paging, selectors, merge patch,
// server-side apply, delete preconditions, discovery, cancellation, watch
// reconnects and bookmarks), and its retry rules against a socket-level
// server that answers 429/503/500 the way an overloaded API server or a
// proxy in front of it does.
#include "TestSupport.h"
#include "kube/KubeClient.h"
#include "providers/KubeTestHelpers.h"

#include <QElapsedTimer>
#include <QSslCertificate>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace sd;
using namespace sd::kube;
using namespace sd::test;

namespace {

Json configMap(const QString &name, const Json &data, const Json &labels = Json::object())
{
    Json obj{{"metadata", {{"name", toStd(name)}}}, {"data", data}};
    if (!labels.empty())
        obj["metadata"]["labels"] = labels;
    return obj;
}

QString rvOf(const Json &obj)
{
    return toQString(obj["metadata"]["resourceVersion"].get<std::string>());
}

// Answers each HTTP request with the next canned response (the last one
// repeats), recording when each request arrived.
class CannedHttpServer {
public:
    explicit CannedHttpServer(QList<QByteArray> responses) : m_responses(std::move(responses))
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                QObject::connect(s, &QTcpSocket::readyRead, s, [this, s] { onData(s); });
                QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    QList<qint64> arrivals() const { return m_arrivals; }
    QList<QByteArray> requestLines() const { return m_lines; }

private:
    void onData(QTcpSocket *s)
    {
        QByteArray &buf = m_buffers[s];
        buf += s->readAll();
        for (;;) {
            const qsizetype end = buf.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            qsizetype length = 0;
            for (const QByteArray &line : buf.left(end).split('\n'))
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            if (buf.size() < end + 4 + length)
                return;
            m_lines << buf.left(buf.indexOf("\r\n"));
            buf.remove(0, end + 4 + length);
            if (!m_clock.isValid())
                m_clock.start();
            m_arrivals << m_clock.elapsed();
            const QByteArray &resp = m_responses.at(std::min<qsizetype>(m_next++, m_responses.size() - 1));
            s->write(resp);
        }
    }

    QTcpServer m_server;
    QList<QByteArray> m_responses;
    qsizetype m_next = 0;
    QMap<QTcpSocket *, QByteArray> m_buffers;
    QList<qint64> m_arrivals;
    QList<QByteArray> m_lines;
    QElapsedTimer m_clock;
};

QByteArray httpResponse(int code, const QByteArray &reason, const QByteArray &body, const QByteArray &extraHeaders = {})
{
    return "HTTP/1.1 " + QByteArray::number(code) + " " + reason + "\r\nContent-Type: application/json\r\nContent-Length: "
           + QByteArray::number(body.size()) + "\r\n" + extraHeaders + "\r\n" + body;
}

const QByteArray kOkBody = R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","resourceVersion":"7"}})";

std::unique_ptr<KubeClient> plainClient(const QString &url)
{
    ClusterAccess a;
    a.server = url;
    a.token = "t";
    auto c = std::make_unique<KubeClient>(a);
    c->setRetryPolicy(3, std::chrono::milliseconds(50));
    return c;
}

} // namespace

class TestKubeClient : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_kube.start(), qPrintable(m_kube.log()));
        m_client = adminClient(m_kube);
        QVERIFY(createNamespace(m_kube, QStringLiteral("client")));
    }

    void testDiscovery()
    {
        auto core = await(m_client->getPath(QStringLiteral("/api/v1")));
        QVERIFY2(core.ok(), qPrintable(core.error().toString()));
        QCOMPARE(toQString(core.value()["kind"].get<std::string>()), QStringLiteral("APIResourceList"));
        auto coordination = await(m_client->getPath(QStringLiteral("/apis/coordination.k8s.io/v1")));
        QVERIFY2(coordination.ok(), qPrintable(coordination.error().toString()));
        bool leases = false;
        for (const Json &r : coordination.value()["resources"])
            leases = leases || r["name"] == "leases";
        QVERIFY(leases);
    }

    // 25 ConfigMaps read 7 at a time with continue tokens: every one exactly
    // once; selectors filter on the server. Asked for metadata only, the
    // server answers as PartialObjectMetadataList: the same pages, names,
    // labels and resourceVersions, and no data.
    void testListPagesAndSelectors_data()
    {
        QTest::addColumn<bool>("metadataOnly");
        QTest::newRow("whole objects") << false;
        QTest::newRow("metadata only") << true;
    }
    void testListPagesAndSelectors()
    {
        QFETCH(bool, metadataOnly);
        const QString ns = metadataOnly ? QStringLiteral("client-meta") : QStringLiteral("client");
        if (metadataOnly)
            QVERIFY(createNamespace(m_kube, ns));
        for (int i = 0; i < 25; ++i) {
            const Json labels{{"app", i % 5 == 0 ? "five" : "other"}};
            QVERIFY(await(m_client->create(Resource::configMaps(), ns,
                                           configMap(QStringLiteral("page-%1").arg(i, 2, 10, QLatin1Char('0')),
                                                     Json{{"i", std::to_string(i)}}, labels)))
                        .ok());
        }
        ListQuery q;
        q.limit = 7;
        q.metadataOnly = metadataOnly;
        QStringList names;
        int pages = 0;
        QString listRv;
        do {
            auto page = await(m_client->list(Resource::configMaps(), ns, q));
            QVERIFY2(page.ok(), qPrintable(page.error().toString()));
            QVERIFY(page->items.size() <= 7);
            if (pages == 0)
                listRv = page->resourceVersion;
            for (const Json &item : page->items) {
                names << toQString(item["metadata"]["name"].get<std::string>());
                QVERIFY(item["metadata"].contains("resourceVersion"));
                QVERIFY(item["metadata"]["labels"].contains("app"));
                QCOMPARE(item.contains("data"), !metadataOnly);
                if (metadataOnly)
                    QCOMPARE(item.value("kind", std::string()), std::string("PartialObjectMetadata"));
            }
            q.continueToken = page->continueToken;
            QVERIFY(++pages <= 5);
        } while (!q.continueToken.isEmpty());
        QCOMPARE(pages, 4);
        QCOMPARE(names.size(), 25);
        QCOMPARE(QSet<QString>(names.begin(), names.end()).size(), 25);
        QVERIFY(!listRv.isEmpty());

        ListQuery byLabel;
        byLabel.metadataOnly = metadataOnly;
        byLabel.labelSelector = QStringLiteral("app=five");
        auto five = await(m_client->list(Resource::configMaps(), ns, byLabel));
        QVERIFY(five.ok());
        QCOMPARE(five->items.size(), 5);
        ListQuery byField;
        byField.fieldSelector = QStringLiteral("metadata.name=page-03");
        auto one = await(m_client->list(Resource::configMaps(), ns, byField));
        QVERIFY(one.ok());
        QCOMPARE(one->items.size(), 1);
    }

    void testMergePatchApplyAndDelete()
    {
        const QString ns = QStringLiteral("client");
        auto made = await(m_client->create(Resource::configMaps(), ns,
                                           configMap(QStringLiteral("patched"), Json{{"a", "1"}, {"b", "2"}})));
        QVERIFY(made.ok());
        auto patched = await(m_client->mergePatch(Resource::configMaps(), ns, QStringLiteral("patched"),
                                                  Json{{"data", {{"a", nullptr}, {"c", "3"}}}}));
        QVERIFY2(patched.ok(), qPrintable(patched.error().toString()));
        SD_COMPARE_JSON(patched.value()["data"], (Json{{"b", "2"}, {"c", "3"}}));

        // Server-side apply: a field owned by one manager conflicts for another, until forced.
        const Json intent{{"data", {{"owner", "statedeck"}}}};
        auto applied = await(m_client->apply(Resource::configMaps(), ns, QStringLiteral("applied"), intent,
                                             QStringLiteral("statedeck")));
        QVERIFY2(applied.ok(), qPrintable(applied.error().toString()));
        const Json other{{"data", {{"owner", "other"}}}};
        auto conflict = await(m_client->apply(Resource::configMaps(), ns, QStringLiteral("applied"), other,
                                              QStringLiteral("other")));
        QCOMPARE(conflict.error().kind, ErrorKind::Conflict);
        QVERIFY2(conflict.error().message.contains(QLatin1String(".data.owner")), qPrintable(conflict.error().toString()));
        auto forced = await(m_client->apply(Resource::configMaps(), ns, QStringLiteral("applied"), other,
                                            QStringLiteral("other"), true));
        QVERIFY2(forced.ok(), qPrintable(forced.error().toString()));
        QCOMPARE(forced.value()["data"]["owner"], Json("other"));

        // Delete preconditions.
        const QString stale = rvOf(made.value());
        const Status refused = await(m_client->remove(Resource::configMaps(), ns, QStringLiteral("patched"), stale));
        QCOMPARE(refused.error().kind, ErrorKind::Conflict);
        QVERIFY(await(m_client->remove(Resource::configMaps(), ns, QStringLiteral("patched"), rvOf(patched.value()))).ok());
        auto gone = await(m_client->get(Resource::configMaps(), ns, QStringLiteral("patched")));
        QCOMPARE(gone.error().kind, ErrorKind::NotFound);
        QVERIFY2(gone.error().message.contains(QLatin1String("configmaps \"patched\" not found")), qPrintable(gone.error().message));
    }

    void testInvalidNamesFields()
    {
        auto bad = await(m_client->create(Resource::configMaps(), QStringLiteral("client"),
                                          configMap(QStringLiteral("Bad_Name!"), Json::object())));
        QCOMPARE(bad.error().kind, ErrorKind::Invalid);
        QVERIFY2(bad.error().where.contains(QLatin1String("metadata.name")), qPrintable(bad.error().toString()));
    }

    void testLeaseHelper()
    {
        const Json lease{{"metadata", {{"name", "typed"}}},
                         {"spec", {{"holderIdentity", "me"}, {"leaseDurationSeconds", 15}}}};
        auto made = await(m_client->create(Resource::leases(), QStringLiteral("client"), lease));
        QVERIFY2(made.ok(), qPrintable(made.error().toString()));
        QCOMPARE(toQString(made.value()["apiVersion"].get<std::string>()), QStringLiteral("coordination.k8s.io/v1"));
    }

    // Cancelling the future aborts the request; the caller sees it cancelled.
    void testCancel()
    {
        CannedHttpServer silent({QByteArray()}); // accepts, never answers
        QVERIFY(silent.listen());
        auto client = plainClient(silent.url());
        QFuture<Result<Json>> f = client->get(Resource::configMaps(), QStringLiteral("ns"), QStringLiteral("x"));
        QVERIFY(QTest::qWaitFor([&] { return !silent.arrivals().isEmpty(); }, 5000));
        f.cancel();
        QVERIFY(QTest::qWaitFor([&] { return f.isFinished(); }, 5000));
        QVERIFY(f.isCanceled());
        // Destroying the client answers what is still pending, as Cancelled.
        QFuture<Result<Json>> pending = client->get(Resource::configMaps(), QStringLiteral("ns"), QStringLiteral("y"));
        client.reset();
        QVERIFY(pending.isFinished());
        QCOMPARE(pending.result().error().kind, ErrorKind::Cancelled);
    }

    // 429 (too many requests) and 503 (unavailable, as an API server that
    // is starting or a proxy in front of it answers) wait for Retry-After,
    // then try again; when the retries run out the server's reason is kept.
    void testRetryAfter_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("retryAfter");
        QTest::addColumn<int>("retries");      // the client's budget
        QTest::addColumn<bool>("recovers");    // the server answers 200 on the second try
        QTest::addColumn<int>("kind");         // ErrorKind when it does not
        QTest::newRow("429, Retry-After: 1") << 429 << 1 << 3 << true << int(ErrorKind::RateLimited);
        QTest::newRow("503, Retry-After: 1") << 503 << 1 << 3 << true << int(ErrorKind::Unavailable);
        QTest::newRow("503, Retry-After: 2") << 503 << 2 << 3 << true << int(ErrorKind::Unavailable);
        QTest::newRow("503 until the budget is spent") << 503 << 1 << 1 << false << int(ErrorKind::Unavailable);
        QTest::newRow("429 until the budget is spent") << 429 << 1 << 1 << false << int(ErrorKind::RateLimited);
    }

    void testRetryAfter()
    {
        QFETCH(int, status);
        QFETCH(int, retryAfter);
        QFETCH(int, retries);
        QFETCH(bool, recovers);
        QFETCH(int, kind);
        const QByteArray reason = status == 429 ? "TooManyRequests" : "ServiceUnavailable";
        const QByteArray refusal = httpResponse(
            status, status == 429 ? "Too Many Requests" : "Service Unavailable",
            R"({"kind":"Status","status":"Failure","message":"the server is busy, try later","reason":")" + reason
                + R"(","code":)" + QByteArray::number(status) + "}",
            "Retry-After: " + QByteArray::number(retryAfter) + "\r\n");
        CannedHttpServer server(recovers ? QList<QByteArray>{refusal, httpResponse(200, "OK", kOkBody)} : QList<QByteArray>{refusal});
        QVERIFY(server.listen());
        auto client = plainClient(server.url());
        client->setRetryPolicy(retries, std::chrono::milliseconds(50));
        auto r = await(client->get(Resource::configMaps(), QStringLiteral("ns"), QStringLiteral("x")), 30000);
        QCOMPARE(server.arrivals().size(), recovers ? 2 : retries + 1);
        const QList<qint64> t = server.arrivals();
        for (int i = 1; i < t.size(); ++i)
            QVERIFY2(t[i] - t[i - 1] >= retryAfter * 1000 - 50,
                     qPrintable(QStringLiteral("retry %1 came %2 ms after the answer that said Retry-After: %3")
                                    .arg(i)
                                    .arg(t[i] - t[i - 1])
                                    .arg(retryAfter)));
        if (recovers) {
            QVERIFY2(r.ok(), qPrintable(r.error().toString()));
            return;
        }
        QVERIFY(!r.ok());
        QCOMPARE(int(r.error().kind), kind);
        QVERIFY2(r.error().message.contains(QLatin1String("the server is busy, try later")), qPrintable(r.error().toString()));
    }

    // A watch the server turns away with 429 or 503 reopens no sooner than
    // its Retry-After, then streams as usual.
    void testWatchRetryAfter_data()
    {
        QTest::addColumn<int>("status");
        QTest::newRow("429") << 429;
        QTest::newRow("503") << 503;
    }

    void testWatchRetryAfter()
    {
        QFETCH(int, status);
        const QByteArray refusal = httpResponse(
            status, status == 429 ? "Too Many Requests" : "Service Unavailable",
            R"({"kind":"Status","status":"Failure","message":"the server is busy, try later","code":)"
                + QByteArray::number(status) + "}",
            "Retry-After: 2\r\n");
        const QByteArray added = R"({"type":"ADDED","object":)" + kOkBody + "}\n";
        CannedHttpServer server({refusal, httpResponse(200, "OK", added)});
        QVERIFY(server.listen());
        auto client = plainClient(server.url());
        WatchOptions wo;
        wo.resourceVersion = QStringLiteral("5"); // opens the stream at once, no list first
        auto watch = client->watch(Resource::configMaps(), QStringLiteral("ns"), wo);
        QSignalSpy events(watch.get(), &KubeWatch::event);
        QVERIFY(events.wait(10000));
        const QList<qint64> t = server.arrivals();
        QVERIFY(t.size() >= 2);
        QVERIFY2(t[1] - t[0] >= 1950, qPrintable(QStringLiteral("the watch came back %1 ms after Retry-After: 2").arg(t[1] - t[0])));
        QCOMPARE(events.first().first().value<WatchEvent>().type, WatchEvent::Type::Added);
    }

    // Other 5xx back off, for idempotent requests only; the budget is bounded.
    void testRetries()
    {
        const QByteArray down = httpResponse(500, "Internal Server Error",
                                             R"({"kind":"Status","message":"etcdserver: leader changed","code":500})");
        CannedHttpServer failing({down});
        QVERIFY(failing.listen());
        auto c2 = plainClient(failing.url());
        auto gave = await(c2->get(Resource::configMaps(), QStringLiteral("ns"), QStringLiteral("x")));
        QCOMPARE(gave.error().kind, ErrorKind::Unavailable);
        QVERIFY(gave.error().message.contains(QLatin1String("leader changed")));
        QCOMPARE(failing.arrivals().size(), 4); // the first try and 3 retries
        const QList<qint64> t = failing.arrivals();
        QVERIFY2(t[3] - t[2] > t[1] - t[0], "the backoff grows");

        CannedHttpServer failingCreate({down});
        QVERIFY(failingCreate.listen());
        auto c3 = plainClient(failingCreate.url());
        auto created = await(c3->create(Resource::configMaps(), QStringLiteral("ns"), configMap(QStringLiteral("x"), Json::object())));
        QCOMPARE(created.error().kind, ErrorKind::Unavailable);
        QCOMPARE(failingCreate.arrivals().size(), 1); // a POST that may have happened is not repeated
    }

    void testTimeout()
    {
        CannedHttpServer silent({QByteArray()});
        QVERIFY(silent.listen());
        auto client = plainClient(silent.url());
        client->setRetryPolicy(0, std::chrono::milliseconds(10));
        client->setRequestTimeout(std::chrono::milliseconds(500));
        auto r = await(client->get(Resource::configMaps(), QStringLiteral("ns"), QStringLiteral("x")));
        QCOMPARE(r.error().kind, ErrorKind::Timeout);
        QVERIFY2(r.error().message.contains(QLatin1String("no answer from the API server")), qPrintable(r.error().message));
    }

    // Streams the server ends (timeoutSeconds) are reopened from the last
    // version; bookmarks move that version on; nothing is lost across ends.
    void testWatchReopensEndedStreams()
    {
        KubeTestServer::Options o;
        o.bookmarkIntervalMs = 200;
        KubeTestServer kube(o);
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        auto client = adminClient(kube);
        WatchOptions wo;
        wo.timeoutSeconds = 1;
        auto watch = client->watch(Resource::configMaps(), QStringLiteral("default"), wo);
        QList<WatchEvent> events;
        connect(watch.get(), &KubeWatch::event, this, [&](const WatchEvent &e) { events << e; });
        QSignalSpy ready(watch.get(), &KubeWatch::ready);
        QVERIFY(ready.wait(10000));
        QElapsedTimer t;
        t.start();
        int written = 0;
        while (t.elapsed() < 3500) { // spans several server-side stream ends
            QVERIFY(await(client->create(Resource::configMaps(), QStringLiteral("default"),
                                         configMap(QStringLiteral("w-%1").arg(written), Json{{"n", "1"}})))
                        .ok());
            ++written;
            QTest::qWait(100);
        }
        QVERIFY(QTest::qWaitFor([&] { return events.size() >= written; }, 10000));
        QCOMPARE(events.size(), written);
        for (int i = 0; i < written; ++i) {
            QCOMPARE(events[i].type, WatchEvent::Type::Added);
            QCOMPARE(toQString(events[i].object["metadata"]["name"].get<std::string>()), QStringLiteral("w-%1").arg(i));
        }
        QVERIFY2(watch->reconnects() >= 2, qPrintable(QString::number(watch->reconnects())));
        const QString last = watch->lastResourceVersion();
        QVERIFY(!last.isEmpty());
    }

    // A BOOKMARK carries the collection's newest resourceVersion while
    // nothing in the watched namespace changes; the watch resumes from it.
    // Resuming from the older version instead would hit 410 (the history
    // here keeps five events) and need a relist.
    void testBookmarkMovesResumeVersion()
    {
        KubeTestServer::Options o;
        o.bookmarkIntervalMs = 200;
        o.watchHistory = 5;
        KubeTestServer kube(o);
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        QVERIFY(createNamespace(kube, QStringLiteral("quiet")));
        QVERIFY(createNamespace(kube, QStringLiteral("busy")));
        TcpProxy proxy(portOf(kube.plainUrl()));
        QVERIFY(proxy.listen());
        ClusterAccess a;
        a.server = proxy.url();
        a.token = kube.adminToken().toUtf8();
        KubeClient client(a);
        auto watch = client.watch(Resource::configMaps(), QStringLiteral("quiet"), WatchOptions{});
        QList<WatchEvent> events;
        connect(watch.get(), &KubeWatch::event, this, [&](const WatchEvent &e) { events << e; });
        QSignalSpy ready(watch.get(), &KubeWatch::ready);
        QVERIFY(ready.wait(10000));
        const quint64 start = watch->lastResourceVersion().toULongLong();
        QVERIFY(start > 0);

        auto admin = adminClient(kube);
        QString newest;
        for (int i = 0; i < 20; ++i) {
            auto made = await(admin->create(Resource::configMaps(), QStringLiteral("busy"),
                                            configMap(QStringLiteral("b-%1").arg(i), Json{{"n", "1"}})));
            QVERIFY(made.ok());
            newest = rvOf(made.value());
        }
        QTRY_VERIFY2_WITH_TIMEOUT(watch->lastResourceVersion().toULongLong() >= newest.toULongLong(),
                                  qPrintable(watch->lastResourceVersion() + QLatin1String(" < ") + newest), 10000);
        QVERIFY(events.isEmpty()); // bookmarks are not events

        // The connection drops; the watch comes back from the bookmark.
        proxy.setUp(false);
        proxy.setUp(true);
        QTRY_VERIFY_WITH_TIMEOUT(watch->reconnects() >= 1, 10000);
        auto made = await(admin->create(Resource::configMaps(), QStringLiteral("quiet"),
                                        configMap(QStringLiteral("after-drop"), Json{{"n", "1"}})));
        QVERIFY(made.ok());
        QTRY_VERIFY_WITH_TIMEOUT(!events.isEmpty(), 10000);
        QCOMPARE(events.first().type, WatchEvent::Type::Added); // no Resync: nothing was lost
        QCOMPARE(toQString(events.first().object["metadata"]["name"].get<std::string>()), QStringLiteral("after-drop"));
    }

    // Every open watch streams on its own connection: with more watches than
    // the six HTTP/1.1 connections Qt opens per host, requests on the same
    // client still go through at once (the emulator offers no HTTP/2), and
    // every watch still sees every change.
    void testManyWatchesLeaveRoomForRequests_data()
    {
        QTest::addColumn<bool>("tls");
        QTest::newRow("https") << true;
        QTest::newRow("http") << false;
    }

    void testManyWatchesLeaveRoomForRequests()
    {
        QFETCH(bool, tls);
        constexpr int watches = 8;
        ClusterAccess a;
        a.server = tls ? m_kube.baseUrl() : m_kube.plainUrl();
        a.token = m_kube.adminToken().toUtf8();
        a.caPem = tls ? QSslCertificate::fromPath(m_kube.caFile()).value(0).toPem() : QByteArray();
        KubeClient client(a);
        client.setRequestTimeout(std::chrono::seconds(10));
        const QString ns = tls ? QStringLiteral("many-tls") : QStringLiteral("many-plain");
        QVERIFY(createNamespace(m_kube, ns));
        std::vector<std::unique_ptr<KubeWatch>> open;
        QList<int> seen(watches, 0);
        int readyCount = 0;
        for (int i = 0; i < watches; ++i) {
            open.push_back(client.watch(Resource::configMaps(), ns, WatchOptions{}));
            connect(open.back().get(), &KubeWatch::ready, this, [&readyCount] { ++readyCount; });
            connect(open.back().get(), &KubeWatch::event, this, [&seen, i] { ++seen[i]; });
        }
        QTRY_COMPARE_WITH_TIMEOUT(readyCount, watches, 15000);
        // Every stream is open and holding its connection; a request still goes.
        QElapsedTimer t;
        t.start();
        auto made = await(client.create(Resource::configMaps(), ns, configMap(QStringLiteral("beside-watches"), Json{{"a", "1"}})), 15000);
        QVERIFY2(made.ok(), qPrintable(made.error().toString()));
        auto got = await(client.get(Resource::configMaps(), ns, QStringLiteral("beside-watches")), 15000);
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        QVERIFY2(t.elapsed() < 5000, qPrintable(QStringLiteral("a get beside %1 watches took %2 ms").arg(watches).arg(t.elapsed())));
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }), 10000);
    }

    // A custom resource (seed 003's StateMachine) through the generic verbs,
    // with its status written through the status subresource, and its
    // resource found by kind through discovery once its CRD exists.
    void testCustomResourceByKind()
    {
        const QString ns = QStringLiteral("machines");
        QVERIFY(createNamespace(m_kube, ns));
        auto missing = await(m_client->resourceForKind(QStringLiteral("xstatenet.io"), QStringLiteral("StateMachine")));
        QCOMPARE(missing.error().kind, ErrorKind::NotFound);
        QVERIFY2(missing.error().message.contains(QLatin1String("no API group \"xstatenet.io\"")), qPrintable(missing.error().toString()));

        const Resource crds{QStringLiteral("apiextensions.k8s.io"), QStringLiteral("v1"), QStringLiteral("customresourcedefinitions"),
                            QStringLiteral("CustomResourceDefinition"), false};
        auto crd = await(m_client->create(crds, QString(), fixtureBody(QStringLiteral("50-crd-create.json"))));
        QVERIFY2(crd.ok(), qPrintable(crd.error().toString()));

        auto found = await(m_client->resourceForKind(QStringLiteral("xstatenet.io"), QStringLiteral("StateMachine")));
        QVERIFY2(found.ok(), qPrintable(found.error().toString()));
        QCOMPARE(found->group, QStringLiteral("xstatenet.io"));
        QCOMPARE(found->version, QStringLiteral("v1"));
        QCOMPARE(found->resource, QStringLiteral("statemachines"));
        QCOMPARE(found->kind, QStringLiteral("StateMachine"));
        QVERIFY(found->namespaced);
        const Resource machines = found.value();

        auto made = await(m_client->create(machines, ns, fixtureBody(QStringLiteral("52-statemachine-create.json"))));
        QVERIFY2(made.ok(), qPrintable(made.error().toString()));
        auto got = await(m_client->get(machines, ns, QStringLiteral("ping-pong")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        QCOMPARE(got.value()["spec"]["transport"], Json("rabbitmq"));
        auto listed = await(m_client->list(machines, ns, ListQuery{}));
        QVERIFY2(listed.ok(), qPrintable(listed.error().toString()));
        QCOMPARE(listed->items.size(), 1);

        // Status through the main resource is ignored, as on a real server...
        const Json status{{"status", {{"phase", "Running"}, {"currentState", "ping"}, {"readyReplicas", 1}}}};
        auto ignored = await(m_client->mergePatch(machines, ns, QStringLiteral("ping-pong"), status));
        QVERIFY2(ignored.ok(), qPrintable(ignored.error().toString()));
        QVERIFY(!ignored.value().contains("status") || !ignored.value()["status"].contains("phase"));
        // ... and written through /status.
        auto patched = await(m_client->mergePatch(machines, ns, QStringLiteral("ping-pong"), status, QStringLiteral("status")));
        QVERIFY2(patched.ok(), qPrintable(patched.error().toString()));
        auto after = await(m_client->get(machines, ns, QStringLiteral("ping-pong")));
        QVERIFY(after.ok());
        QCOMPARE(after.value()["status"]["phase"], Json("Running"));
        QCOMPARE(after.value()["status"]["currentState"], Json("ping"));
        QCOMPARE(after.value()["spec"]["replicas"], Json(1)); // the spec untouched
    }

    // Kinds are found in any served group, by the preferred version unless
    // one is named; what is not served is named with what is.
    void testResourceForKind_data()
    {
        QTest::addColumn<QString>("group");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("version");
        QTest::addColumn<QString>("resource"); // empty: NotFound
        QTest::addColumn<bool>("namespaced");
        QTest::newRow("core ConfigMap") << "" << "ConfigMap" << "" << "configmaps" << true;
        QTest::newRow("core Namespace") << "" << "Namespace" << "v1" << "namespaces" << false;
        QTest::newRow("Lease by preferred version") << "coordination.k8s.io" << "Lease" << "" << "leases" << true;
        QTest::newRow("lower-case kind") << "coordination.k8s.io" << "lease" << "" << "leases" << true;
        QTest::newRow("unknown kind") << "coordination.k8s.io" << "Pod" << "" << "" << true;
        QTest::newRow("unknown version") << "coordination.k8s.io" << "Lease" << "v7" << "" << true;
        QTest::newRow("unknown group") << "example.com" << "Widget" << "" << "" << true;
    }

    void testResourceForKind()
    {
        QFETCH(QString, group);
        QFETCH(QString, kind);
        QFETCH(QString, version);
        QFETCH(QString, resource);
        QFETCH(bool, namespaced);
        auto r = await(m_client->resourceForKind(group, kind, version));
        if (resource.isEmpty()) {
            QVERIFY(!r.ok());
            QCOMPARE(r.error().kind, ErrorKind::NotFound);
            QVERIFY2(r.error().message.contains(kind) || r.error().message.contains(group) || r.error().message.contains(version),
                     qPrintable(r.error().toString()));
            return;
        }
        QVERIFY2(r.ok(), qPrintable(r.error().toString()));
        QCOMPARE(r->resource, resource);
        QCOMPARE(r->group, group);
        QCOMPARE(r->version, QStringLiteral("v1"));
        QCOMPARE(r->namespaced, namespaced);
        auto listed = await(m_client->list(r.value(), namespaced ? QStringLiteral("default") : QString(), ListQuery{}));
        QVERIFY2(listed.ok(), qPrintable(listed.error().toString())); // the path it makes is served
    }

private:
    static Json fixtureBody(const QString &name)
    {
        QFile f(fixturePath(QStringLiteral("kubernetes-api/") + name));
        if (!f.open(QIODevice::ReadOnly))
            return Json();
        Json body = Json::parse(f.readAll().toStdString(), nullptr, false)["request"]["body"];
        return body;
    }

    KubeTestServer m_kube;
    std::unique_ptr<KubeClient> m_client;
};

QTEST_GUILESS_MAIN(TestKubeClient)
#include "tst_kube_client.moc"
