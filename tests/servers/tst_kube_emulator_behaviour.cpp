// What the emulator must do beyond the recorded fixtures, where a client
// depends on it: size limits, watch semantics (selector transitions, resume,
// timeout), compare-and-swap on Leases, Secret stringData, forbidden writes
// naming the object, namespace lifecycle, keep-alive.

#include "KubeTestServer.h"
#include "TestSupport.h"

#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>
#include <QTimer>

#include <nlohmann/json.hpp>

using nlohmann::json;
using sd::test::KubeTestServer;

namespace {
struct Answer {
    int status = 0;
    json body;
    QByteArray raw;
};

std::string str(const json &value)
{
    return value.is_string() ? value.get<std::string>() : value.dump();
}
} // namespace

class KubeEmulatorBehaviour : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void configMapSizeLimit_data();
    void configMapSizeLimit();
    void oversizedBodyIs413();
    void createInMissingNamespaceIs404();
    void watchFollowsLabelSelector();
    void watchResumesFromResourceVersion();
    void leaseCompareAndSwap();
    void secretStringDataBecomesData();
    void readonlyPatchIsForbiddenByName();
    void deletingNamespaceDeletesItsObjects();
    void generateName();
    void deleteCollectionBySelector();
    void watchWithoutVersionStartsWithEveryObject();
    void eventsSelectByInvolvedObject();

private:
    Answer send(const QByteArray &method, const QString &path, const QByteArray &body = {},
                const QByteArray &contentType = "application/json", const QString &token = {});
    // Opens a watch and returns the reply; events are appended to `lines`.
    QNetworkReply *watch(const QString &path, QList<json> &lines);

    KubeTestServer m_server{KubeTestServer::Options{10000, 1, 5000}};
    QNetworkAccessManager m_nam;
};

Answer KubeEmulatorBehaviour::send(const QByteArray &method, const QString &path, const QByteArray &body,
                                   const QByteArray &contentType, const QString &token)
{
    QNetworkRequest request(QUrl(m_server.baseUrl() + path));
    request.setSslConfiguration(m_server.sslConfiguration());
    request.setRawHeader("Authorization", "Bearer " + (token.isEmpty() ? m_server.adminToken() : token).toLatin1());
    if (!body.isEmpty())
        request.setRawHeader("Content-Type", contentType);
    QNetworkReply *reply = m_nam.sendCustomRequest(request, method, body);
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(30000, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    Answer answer;
    if (!reply->isFinished())
        reply->abort();
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.raw = reply->readAll();
    answer.body = json::parse(answer.raw.toStdString(), nullptr, false);
    reply->deleteLater();
    return answer;
}

QNetworkReply *KubeEmulatorBehaviour::watch(const QString &path, QList<json> &lines)
{
    QNetworkRequest request(QUrl(m_server.baseUrl() + path));
    request.setSslConfiguration(m_server.sslConfiguration());
    request.setRawHeader("Authorization", "Bearer " + m_server.adminToken().toLatin1());
    QNetworkReply *reply = m_nam.get(request);
    auto buffer = std::make_shared<QByteArray>();
    connect(reply, &QNetworkReply::readyRead, reply, [reply, buffer, &lines] {
        *buffer += reply->readAll();
        // Bounded: each round consumes one complete line.
        for (qsizetype end = buffer->indexOf('\n'); end >= 0; end = buffer->indexOf('\n')) {
            lines << json::parse(buffer->left(end).toStdString(), nullptr, false);
            buffer->remove(0, end + 1);
        }
    });
    return reply;
}

void KubeEmulatorBehaviour::initTestCase()
{
    QVERIFY2(m_server.start(), "sd-kube-emulator did not start (see the warnings above)");
}

void KubeEmulatorBehaviour::configMapSizeLimit_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("status");
    QTest::newRow("exactly 1 MiB") << 1048576 << 201;
    QTest::newRow("1 MiB + 1") << 1048577 << 422;
}

void KubeEmulatorBehaviour::configMapSizeLimit()
{
    QFETCH(int, size);
    QFETCH(int, status);
    // Two keys whose values add up to `size` bytes: the limit is on the total.
    const std::string name = "big-" + std::to_string(size);
    json body = {{"metadata", {{"name", name}}},
                 {"data", {{"a", std::string(size / 2, 'a')}, {"b", std::string(size - size / 2, 'b')}}}};
    const Answer answer = send("POST", QStringLiteral("/api/v1/namespaces/default/configmaps"),
                               QByteArray::fromStdString(body.dump()));
    QCOMPARE(answer.status, status);
    if (status == 422) {
        QCOMPARE(str(answer.body["reason"]), std::string("Invalid"));
        QCOMPARE(str(answer.body["message"]),
                 "ConfigMap \"" + name + "\" is invalid: []: Too long: must have at most 1048576 bytes");
        QCOMPARE(str(answer.body["details"]["causes"][0]["reason"]), std::string("FieldValueTooLong"));
        QCOMPARE(send("GET", QStringLiteral("/api/v1/namespaces/default/configmaps/") + QString::fromStdString(name)).status, 404);
    }
}

void KubeEmulatorBehaviour::oversizedBodyIs413()
{
    json body = {{"metadata", {{"name", "huge"}}}, {"data", {{"a", std::string(3 * 1024 * 1024 + 10, 'a')}}}};
    const Answer answer = send("POST", QStringLiteral("/api/v1/namespaces/default/configmaps"),
                               QByteArray::fromStdString(body.dump()));
    QCOMPARE(answer.status, 413);
    QCOMPARE(str(answer.body["reason"]), std::string("RequestEntityTooLarge"));
    // The server is still there for the next request.
    QCOMPARE(send("GET", QStringLiteral("/api/v1/namespaces/default/configmaps/huge")).status, 404);
}

void KubeEmulatorBehaviour::createInMissingNamespaceIs404()
{
    const Answer answer = send("POST", QStringLiteral("/api/v1/namespaces/nope/configmaps"),
                               R"({"metadata":{"name":"x"}})");
    QCOMPARE(answer.status, 404);
    QCOMPARE(str(answer.body["message"]), std::string("namespaces \"nope\" not found"));
    QVERIFY(answer.body["details"] == json({{"name", "nope"}, {"kind", "namespaces"}}));
}

void KubeEmulatorBehaviour::watchFollowsLabelSelector()
{
    QList<json> events;
    std::unique_ptr<QNetworkReply> reply(
        watch(QStringLiteral("/api/v1/namespaces/default/configmaps?watch=1&labelSelector=app%3Dwatched&timeoutSeconds=30"), events));
    QTRY_VERIFY_WITH_TIMEOUT(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200, 10000);
    const QString item = QStringLiteral("/api/v1/namespaces/default/configmaps/sel");
    auto relabel = [&](const char *app) {
        return send("PATCH", item, QByteArray::fromStdString(json{{"metadata", {{"labels", {{"app", app}}}}}}.dump()),
                    "application/merge-patch+json").status;
    };
    QCOMPARE(send("POST", QStringLiteral("/api/v1/namespaces/default/configmaps"),
                  R"({"metadata":{"name":"sel","labels":{"app":"watched"}}})").status, 201);
    QCOMPARE(relabel("other"), 200);   // leaves the selection: DELETED for this watcher
    QCOMPARE(relabel("other"), 200);   // no change at all: nothing
    QCOMPARE(send("PATCH", item, R"({"data":{"x":"1"}})", "application/merge-patch+json").status, 200); // outside: nothing
    QCOMPARE(relabel("watched"), 200); // back in: ADDED
    QCOMPARE(send("DELETE", item).status, 200);
    QTRY_COMPARE_WITH_TIMEOUT(events.size(), 4, 10000);
    QStringList types;
    for (const json &e : events)
        types << QString::fromStdString(str(e["type"]));
    QCOMPARE(types, (QStringList{"ADDED", "DELETED", "ADDED", "DELETED"}));
    QCOMPARE(str(events[1]["object"]["metadata"]["labels"]["app"]), std::string("other"));
    QVERIFY(!reply->isFinished());
}

void KubeEmulatorBehaviour::watchResumesFromResourceVersion()
{
    const Answer created = send("POST", QStringLiteral("/api/v1/namespaces/default/configmaps"),
                                R"({"metadata":{"name":"resume"},"data":{"n":"0"}})");
    QCOMPARE(created.status, 201);
    const std::string from = str(created.body["metadata"]["resourceVersion"]);
    for (int i = 1; i <= 2; ++i)
        QCOMPARE(send("PATCH", QStringLiteral("/api/v1/namespaces/default/configmaps/resume"),
                      QByteArray::fromStdString(json{{"data", {{"n", std::to_string(i)}}}}.dump()),
                      "application/merge-patch+json").status, 200);
    QList<json> events;
    std::unique_ptr<QNetworkReply> reply(watch(
        QStringLiteral("/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dresume&timeoutSeconds=1&resourceVersion=")
            + QString::fromStdString(from), events));
    // timeoutSeconds ends the stream cleanly.
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 5000);
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    QCOMPARE(events.size(), 2);
    QCOMPARE(str(events[0]["type"]), std::string("MODIFIED"));
    QCOMPARE(str(events[0]["object"]["data"]["n"]), std::string("1"));
    QCOMPARE(str(events[1]["object"]["data"]["n"]), std::string("2"));
}

void KubeEmulatorBehaviour::leaseCompareAndSwap()
{
    const QString leases = QStringLiteral("/apis/coordination.k8s.io/v1/namespaces/default/leases");
    Answer answer = send("POST", leases,
                         R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"lock"},"spec":{"holderIdentity":"a","leaseDurationSeconds":15}})");
    QCOMPARE(answer.status, 201);
    json lease = answer.body;
    json takeover = lease;
    takeover["spec"]["holderIdentity"] = "b";
    answer = send("PUT", leases + QStringLiteral("/lock"), QByteArray::fromStdString(takeover.dump()));
    QCOMPARE(answer.status, 200);
    QCOMPARE(str(answer.body["spec"]["holderIdentity"]), std::string("b"));
    // "a" still holds the old resourceVersion: its renewal must fail.
    lease["spec"]["renewTime"] = "2026-11-22T10:00:05.000000Z";
    answer = send("PUT", leases + QStringLiteral("/lock"), QByteArray::fromStdString(lease.dump()));
    QCOMPARE(answer.status, 409);
    QCOMPARE(str(answer.body["reason"]), std::string("Conflict"));
    QCOMPARE(str(answer.body["message"]),
             std::string("Operation cannot be fulfilled on leases.coordination.k8s.io \"lock\": the object has been "
                         "modified; please apply your changes to the latest version and try again"));
    QVERIFY(answer.body["details"] == json({{"name", "lock"}, {"group", "coordination.k8s.io"}, {"kind", "leases"}}));
    answer = send("POST", leases, QByteArray::fromStdString(takeover.dump()));
    QCOMPARE(answer.status, 409);
    QCOMPARE(str(answer.body["message"]), std::string("leases.coordination.k8s.io \"lock\" already exists"));
}

void KubeEmulatorBehaviour::secretStringDataBecomesData()
{
    const Answer answer = send("POST", QStringLiteral("/api/v1/namespaces/default/secrets"),
                               R"({"metadata":{"name":"s"},"stringData":{"k":"value"}})");
    QCOMPARE(answer.status, 201);
    QVERIFY(answer.body["data"] == json({{"k", "dmFsdWU="}}));
    QVERIFY(!answer.body.contains("stringData"));
    QCOMPARE(str(answer.body["type"]), std::string("Opaque"));
}

void KubeEmulatorBehaviour::readonlyPatchIsForbiddenByName()
{
    QCOMPARE(send("POST", QStringLiteral("/api/v1/namespaces/default/configmaps"), R"({"metadata":{"name":"ro"}})").status, 201);
    const QString path = QStringLiteral("/api/v1/namespaces/default/configmaps/ro");
    QCOMPARE(send("GET", path, {}, {}, m_server.readonlyToken()).status, 200);
    const Answer answer = send("PATCH", path, R"({"data":{"a":"b"}})", "application/merge-patch+json",
                               m_server.readonlyToken());
    QCOMPARE(answer.status, 403);
    QCOMPARE(str(answer.body["message"]),
             std::string("configmaps \"ro\" is forbidden: User \"statedeck-readonly\" cannot patch resource "
                         "\"configmaps\" in API group \"\" in the namespace \"default\""));
    QVERIFY(answer.body["details"] == json({{"name", "ro"}, {"kind", "configmaps"}}));
    const Answer unknown = send("GET", path, {}, {}, QStringLiteral("not-a-token"));
    QCOMPARE(unknown.status, 401);
}

void KubeEmulatorBehaviour::deletingNamespaceDeletesItsObjects()
{
    QCOMPARE(send("POST", QStringLiteral("/api/v1/namespaces"), R"({"metadata":{"name":"gone"}})").status, 201);
    QCOMPARE(send("POST", QStringLiteral("/api/v1/namespaces/gone/configmaps"), R"({"metadata":{"name":"inside"}})").status, 201);
    const Answer deleted = send("DELETE", QStringLiteral("/api/v1/namespaces/gone"));
    QCOMPARE(deleted.status, 200);
    QCOMPARE(str(deleted.body["kind"]), std::string("Namespace"));
    QCOMPARE(send("GET", QStringLiteral("/api/v1/namespaces/gone/configmaps/inside")).status, 404);
    QCOMPARE(send("GET", QStringLiteral("/api/v1/namespaces/gone")).status, 404);
}

void KubeEmulatorBehaviour::generateName()
{
    const Answer answer = send("POST", QStringLiteral("/api/v1/namespaces/default/configmaps"),
                               R"({"metadata":{"generateName":"gen-"}})");
    QCOMPARE(answer.status, 201);
    const std::string name = str(answer.body["metadata"]["name"]);
    QVERIFY2(name.rfind("gen-", 0) == 0 && name.size() == 9, name.c_str());
}

void KubeEmulatorBehaviour::deleteCollectionBySelector()
{
    QCOMPARE(send("POST", QStringLiteral("/api/v1/namespaces"), R"({"metadata":{"name":"bulk"}})").status, 201);
    for (const char *object : {R"({"metadata":{"name":"keep","labels":{"t":"keep"}}})",
                               R"({"metadata":{"name":"d1","labels":{"t":"drop"}}})",
                               R"({"metadata":{"name":"d2","labels":{"t":"drop"}}})"})
        QCOMPARE(send("POST", QStringLiteral("/api/v1/namespaces/bulk/configmaps"), object).status, 201);
    const Answer answer = send("DELETE", QStringLiteral("/api/v1/namespaces/bulk/configmaps?labelSelector=t%3Ddrop"));
    QCOMPARE(answer.status, 200);
    QCOMPARE(str(answer.body["kind"]), std::string("ConfigMapList"));
    QCOMPARE(answer.body["items"].size(), size_t(2));
    const Answer left = send("GET", QStringLiteral("/api/v1/namespaces/bulk/configmaps"));
    QCOMPARE(left.body["items"].size(), size_t(1));
    QCOMPARE(str(left.body["items"][0]["metadata"]["name"]), std::string("keep"));
    // Namespaces do not offer deletecollection, as on a real server.
    QCOMPARE(send("DELETE", QStringLiteral("/api/v1/namespaces")).status, 405);
}

void KubeEmulatorBehaviour::watchWithoutVersionStartsWithEveryObject()
{
    QCOMPARE(send("POST", QStringLiteral("/api/v1/namespaces"), R"({"metadata":{"name":"initial"}})").status, 201);
    // Created in the reverse of key order, so versions and names disagree.
    for (const char *name : {"c", "b", "a"})
        QCOMPARE(send("POST", QStringLiteral("/api/v1/namespaces/initial/configmaps"),
                      QByteArray::fromStdString(json{{"metadata", {{"name", name}}}}.dump())).status, 201);
    QList<json> events;
    std::unique_ptr<QNetworkReply> reply(
        watch(QStringLiteral("/api/v1/namespaces/initial/configmaps?watch=1&timeoutSeconds=1"), events));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 5000);
    QStringList seen;
    for (const json &e : events)
        seen << QString::fromStdString(str(e["type"]) + " " + str(e["object"]["metadata"]["name"]));
    QCOMPARE(seen, (QStringList{"ADDED a", "ADDED b", "ADDED c"}));
}

void KubeEmulatorBehaviour::eventsSelectByInvolvedObject()
{
    for (const char *target : {"one", "two"}) {
        json event = {{"metadata", {{"name", std::string("ev-") + target}}},
                      {"involvedObject", {{"kind", "ConfigMap"}, {"namespace", "default"}, {"name", target}}},
                      {"reason", "Changed"}, {"type", "Normal"}, {"source", {{"component", "statedeck"}}}};
        QCOMPARE(send("POST", QStringLiteral("/api/v1/namespaces/default/events"),
                      QByteArray::fromStdString(event.dump())).status, 201);
    }
    const Answer answer = send("GET", QStringLiteral("/api/v1/namespaces/default/events?fieldSelector=")
                                          + QStringLiteral("involvedObject.kind%3DConfigMap,involvedObject.name%3Dtwo,source%3Dstatedeck"));
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.body["items"].size(), size_t(1));
    QCOMPARE(str(answer.body["items"][0]["metadata"]["name"]), std::string("ev-two"));
}

QTEST_GUILESS_MAIN(KubeEmulatorBehaviour)
#include "tst_kube_emulator_behaviour.moc"
