// Status objects -> core errors, driven by the real API server's answers
// recorded in ../shared/fixtures/kubernetes-api.
#include "TestSupport.h"
#include "kube/KubeStatus.h"
#include "model/Json.h"

#include <QDir>
#include <QFile>
#include <QTest>

using namespace sd;
using namespace sd::kube;

Q_DECLARE_METATYPE(sd::ErrorKind)

namespace {

Json readFixture(const QString &file)
{
    QFile f(QDir(sd::test::fixturePath(QStringLiteral("kubernetes-api"))).filePath(file));
    if (!f.open(QIODevice::ReadOnly))
        return Json();
    const QByteArray b = f.readAll();
    return Json::parse(b.constBegin(), b.constEnd(), nullptr, false);
}

// The request a fixture recorded, as the client would describe it.
RequestInfo requestOf(const Json &fixture)
{
    const Json &req = fixture["request"];
    const QString method = toQString(req["method"].get<std::string>());
    QString path = toQString(req["path"].get<std::string>());
    const QString query = path.section(QLatin1Char('?'), 1);
    path = path.section(QLatin1Char('?'), 0, 0);
    const QStringList seg = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    RequestInfo info;
    int i = seg.value(0) == QLatin1String("api") ? 2 : 3;
    if (seg.value(0) == QLatin1String("apis"))
        info.group = seg.value(1);
    if (seg.value(i) == QLatin1String("namespaces")) {
        info.ns = seg.value(i + 1);
        i += 2;
    }
    info.resource = seg.value(i);
    info.name = seg.value(i + 1);
    if (method == QLatin1String("GET"))
        info.verb = query.contains(QLatin1String("watch=")) ? QStringLiteral("watch")
                    : info.name.isEmpty()                   ? QStringLiteral("list")
                                                            : QStringLiteral("get");
    else if (method == QLatin1String("POST"))
        info.verb = QStringLiteral("create");
    else if (method == QLatin1String("PUT"))
        info.verb = QStringLiteral("update");
    else if (method == QLatin1String("PATCH"))
        info.verb = QStringLiteral("patch");
    else
        info.verb = QStringLiteral("delete");
    return info;
}

} // namespace

class TestKubeStatus : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Every recorded failure, one row each: the kind it must map to.
    void testRecordedFailures_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<sd::ErrorKind>("kind");
        const QMap<QString, ErrorKind> byReason = {
            {QStringLiteral("AlreadyExists"), ErrorKind::AlreadyExists}, {QStringLiteral("Conflict"), ErrorKind::Conflict},
            {QStringLiteral("NotFound"), ErrorKind::NotFound},           {QStringLiteral("Invalid"), ErrorKind::Invalid},
            {QStringLiteral("Forbidden"), ErrorKind::Forbidden},         {QStringLiteral("Unauthorized"), ErrorKind::Unauthorized},
            {QStringLiteral("Expired"), ErrorKind::Conflict},
        };
        const QDir dir(sd::test::fixturePath(QStringLiteral("kubernetes-api")));
        int rows = 0;
        for (const QString &file : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
            const Json f = readFixture(file);
            if (!f.contains("status") || f["status"].get<int>() < 400)
                continue;
            const QString reason = toQString(f["body"]["reason"].get<std::string>());
            QVERIFY2(byReason.contains(reason), qPrintable(file + QStringLiteral(": unexpected reason ") + reason));
            QTest::newRow(qPrintable(file)) << file << byReason.value(reason);
            ++rows;
        }
        QVERIFY(rows >= 11); // 401, 403 x2, 404, 409 x4, 410, 422 x2
    }

    void testRecordedFailures()
    {
        QFETCH(QString, file);
        QFETCH(sd::ErrorKind, kind);
        const Json f = readFixture(file);
        const int status = f["status"].get<int>();
        const QByteArray body = toBytes(f["body"].dump());
        const RequestInfo req = requestOf(f);
        const ApiError e = errorFromResponse(status, body, req);
        QCOMPARE(e.error.kind, kind);
        QCOMPARE(e.httpStatus, status);
        QCOMPARE(e.reason, toQString(f["body"]["reason"].get<std::string>()));
        // The server's own words are always kept.
        const QString serverMessage = toQString(f["body"]["message"].get<std::string>());
        QVERIFY2(e.error.message.contains(serverMessage), qPrintable(e.error.toString()));
        QCOMPARE(e.isGone(), status == 410);
        // The request is named, so a user sees what was refused and where.
        QVERIFY2(e.error.where.contains(req.resource), qPrintable(e.error.where));
        if (!req.ns.isEmpty())
            QVERIFY2(e.error.toString().contains(req.ns), qPrintable(e.error.toString()));
        if (status == 403) {
            const QString phrase = QStringLiteral("not allowed to %1 %2 in namespace \"%3\"").arg(req.verb, req.resource, req.ns);
            QVERIFY2(e.error.message.contains(phrase), qPrintable(e.error.message));
        }
        if (status == 401)
            QVERIFY(e.error.message.contains(QLatin1String("token or client certificate")));
        if (status == 409 && e.reason == QLatin1String("AlreadyExists"))
            QVERIFY(e.error.message.contains(QLatin1String("already exists")));
    }

    // 422 causes name the fields.
    void testInvalidNamesFields()
    {
        const Json f = readFixture(QStringLiteral("16-configmap-create-invalid-name-422.json"));
        const ApiError e = errorFromResponse(422, toBytes(f["body"].dump()), requestOf(f));
        QCOMPARE(e.error.kind, ErrorKind::Invalid);
        QVERIFY2(e.error.where.contains(QLatin1String("field metadata.name")), qPrintable(e.error.where));
        const Json apply = readFixture(QStringLiteral("22-configmap-apply-conflict-409.json"));
        const ApiError c = errorFromResponse(409, toBytes(apply["body"].dump()), requestOf(apply));
        QCOMPARE(c.error.kind, ErrorKind::Conflict);
        QVERIFY(c.error.message.contains(QLatin1String(".data.owner")));
    }

    // A watch from a too-old version answers 200, then an ERROR event with a 410 Status.
    void testWatchErrorEventIsGone()
    {
        const Json f = readFixture(QStringLiteral("61-configmap-watch-too-old-410.json"));
        const Json &event = f["response"][1];
        QCOMPARE(toQString(event["type"].get<std::string>()), QStringLiteral("ERROR"));
        const ApiError e = errorFromStatusObject(toBytes(event["object"].dump()), requestOf(f));
        QVERIFY(e.isGone());
        QCOMPARE(e.httpStatus, 410);
        QVERIFY(e.error.message.contains(QLatin1String("too old resource version: 100 (10243)")));
    }

    void testOtherAnswers_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<sd::ErrorKind>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("429 with Status") << 429
                                         << QByteArray(R"({"kind":"Status","status":"Failure","message":"storage is (re)initializing","reason":"TooManyRequests","code":429})")
                                         << ErrorKind::RateLimited << "storage is (re)initializing";
        QTest::newRow("503 from a proxy, HTML") << 503 << QByteArray("<html>Service Unavailable</html>")
                                                << ErrorKind::Unavailable << "HTTP 503: <html>Service Unavailable</html>";
        QTest::newRow("500") << 500 << QByteArray(R"({"kind":"Status","message":"etcdserver: leader changed","code":500})")
                             << ErrorKind::Unavailable << "etcdserver: leader changed";
        QTest::newRow("504") << 504 << QByteArray() << ErrorKind::Timeout << "HTTP 504 with no body";
        QTest::newRow("413") << 413 << QByteArray(R"({"kind":"Status","message":"Request entity too large","code":413})")
                             << ErrorKind::TooLarge << "Request entity too large";
    }

    void testOtherAnswers()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(sd::ErrorKind, kind);
        QFETCH(QString, expected);
        RequestInfo req{QStringLiteral("list"), QStringLiteral("configmaps"), QString(), QStringLiteral("ns"), QString()};
        const ApiError e = errorFromResponse(status, body, req, 7);
        QCOMPARE(e.error.kind, kind);
        QCOMPARE(e.retryAfterSeconds, 7);
        QVERIFY2(e.error.message.contains(expected), qPrintable(e.error.message));
    }
};

QTEST_GUILESS_MAIN(TestKubeStatus)
#include "tst_kube_status.moc"
