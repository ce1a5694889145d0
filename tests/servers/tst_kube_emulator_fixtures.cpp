// Replays the requests recorded against a real kube-apiserver v1.28.7
// (../shared/fixtures/kubernetes-api) against sd-kube-emulator and checks
// that it answers the same way: status code, reason, Status fields, event
// framing and object shape. Server-chosen values (uid, resourceVersion,
// timestamps, continue tokens) are compared by position, not by value; ids
// that a later request reuses are translated from the recording's to ours.

#include "KubeTestServer.h"
#include "TestSupport.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>

#include <nlohmann/json.hpp>

#include <map>

using nlohmann::json;
using sd::test::KubeTestServer;

namespace {

struct Answer {
    int status = 0;
    QByteArray body;
    QByteArray contentType;
    bool hasFlowSchema = false;
    bool chunked = false;
};

QString fixtureDir()
{
    return sd::test::fixturePath(QStringLiteral("kubernetes-api"));
}

json readFixture(const QString &name)
{
    QFile file(QDir(fixtureDir()).filePath(name));
    if (!file.open(QIODevice::ReadOnly))
        return json();
    return json::parse(file.readAll().toStdString(), nullptr, false);
}

// Values the server chooses; equal shapes may differ in them.
json normalized(const json &value)
{
    static const QRegularExpression bigNumber(QStringLiteral("\\d{4,}"));
    if (value.is_object()) {
        json out = json::object();
        for (auto it = value.begin(); it != value.end(); ++it) {
            const std::string &key = it.key();
            if ((key == "uid" || key == "resourceVersion" || key == "creationTimestamp" || key == "time"
                 || key == "lastTransitionTime" || key == "continue" || key == "serverAddress")
                && it->is_string())
                out[key] = "<" + key + ">";
            else if (key == "message" && it->is_string())
                out[key] = QString::fromStdString(it->get<std::string>()).replace(bigNumber, QStringLiteral("N")).toStdString();
            else if (key == "cells" && it->is_array() && !it->empty()) {
                json cells = *it;
                cells.back() = "<age>";
                out[key] = cells;
            } else
                out[key] = normalized(*it);
        }
        return out;
    }
    if (value.is_array()) {
        json out = json::array();
        for (const json &item : value)
            out.push_back(normalized(item));
        return out;
    }
    return value;
}

QString show(const json &value)
{
    return QString::fromStdString(value.dump(1));
}

} // namespace

class KubeEmulatorFixtures : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void replay_data();
    void replay();
    void watchStream();
    void watchTooOld();
    void compactedExactList();
    void labelAndFieldSelectors_data();
    void labelAndFieldSelectors();
    void badSelectorIsBadRequest();
    void continueTokenTooOld();

private:
    enum class Token { Admin, NoAccess, None };
    Answer send(KubeTestServer &server, const QByteArray &method, const QString &pathAndQuery, const QByteArray &body,
                const QByteArray &contentType, Token token = Token::Admin, const QByteArray &accept = "application/json");
    QString translatePath(const QString &path) const;
    json translateBody(const json &body) const;
    void learn(const json &recorded, const json &ours);
    static QByteArray contentTypeFor(const QString &fixtureName);

    // A short history, so an id from early in the replay is compacted by
    // the time fixture 62 asks for it; bookmarks often, so the watch sees one.
    KubeTestServer m_server{KubeTestServer::Options{12, 10000, 400}};
    QNetworkAccessManager m_nam;
    std::map<std::string, std::string> m_ids; // recorded uid/resourceVersion/continue -> ours
};

QByteArray KubeEmulatorFixtures::contentTypeFor(const QString &name)
{
    // The recording kept bodies, not request headers; the file names say
    // which patch each one was.
    if (name.contains(QLatin1String("patch-merge")) || name.contains(QLatin1String("scale-patch")))
        return "application/merge-patch+json";
    if (name.contains(QLatin1String("patch-strategic")))
        return "application/strategic-merge-patch+json";
    if (name.contains(QLatin1String("patch-json")))
        return "application/json-patch+json";
    if (name.contains(QLatin1String("apply")))
        return "application/apply-patch+yaml";
    return "application/json";
}

Answer KubeEmulatorFixtures::send(KubeTestServer &server, const QByteArray &method, const QString &pathAndQuery,
                                  const QByteArray &body, const QByteArray &contentType, Token token,
                                  const QByteArray &accept)
{
    QNetworkRequest request(QUrl(server.baseUrl() + pathAndQuery));
    request.setSslConfiguration(server.sslConfiguration());
    request.setRawHeader("Accept", accept);
    // The recorder sent no User-Agent, so the real server named the field
    // manager "unknown"; Qt always sends one, so name it the same way.
    request.setRawHeader("User-Agent", "unknown");
    if (!contentType.isEmpty() && !body.isEmpty())
        request.setRawHeader("Content-Type", contentType);
    if (token == Token::Admin)
        request.setRawHeader("Authorization", "Bearer " + server.adminToken().toLatin1());
    else if (token == Token::NoAccess)
        request.setRawHeader("Authorization", "Bearer " + server.noAccessToken().toLatin1());
    QNetworkReply *reply = m_nam.sendCustomRequest(request, method, body);
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(20000, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    Answer answer;
    if (!reply->isFinished()) {
        reply->abort();
        qWarning("no answer to %s %s within 20 s", method.constData(), qPrintable(pathAndQuery));
    }
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.body = reply->readAll();
    answer.contentType = reply->rawHeader("Content-Type");
    answer.hasFlowSchema = reply->hasRawHeader("X-Kubernetes-Pf-Flowschema-Uid");
    answer.chunked = reply->rawHeader("Transfer-Encoding").contains("chunked");
    reply->deleteLater();
    return answer;
}

QString KubeEmulatorFixtures::translatePath(const QString &pathAndQuery) const
{
    const qsizetype q = pathAndQuery.indexOf(QLatin1Char('?'));
    if (q < 0)
        return pathAndQuery;
    QUrlQuery query(pathAndQuery.mid(q + 1));
    for (const QString &key : {QStringLiteral("resourceVersion"), QStringLiteral("continue")}) {
        const std::string value = query.queryItemValue(key, QUrl::FullyDecoded).toStdString();
        const auto it = m_ids.find(value);
        if (it != m_ids.end()) {
            query.removeAllQueryItems(key);
            query.addQueryItem(key, QString::fromStdString(it->second));
        }
    }
    return pathAndQuery.left(q + 1) + query.toString(QUrl::FullyEncoded);
}

json KubeEmulatorFixtures::translateBody(const json &body) const
{
    if (body.is_object()) {
        json out = json::object();
        for (auto it = body.begin(); it != body.end(); ++it) {
            if ((it.key() == "resourceVersion" || it.key() == "uid") && it->is_string()) {
                const auto found = m_ids.find(it->get<std::string>());
                out[it.key()] = found == m_ids.end() ? *it : json(found->second);
            } else {
                out[it.key()] = translateBody(*it);
            }
        }
        return out;
    }
    if (body.is_array()) {
        json out = json::array();
        for (const json &item : body)
            out.push_back(translateBody(item));
        return out;
    }
    return body;
}

void KubeEmulatorFixtures::learn(const json &recorded, const json &ours)
{
    if (recorded.is_object() && ours.is_object()) {
        for (auto it = recorded.begin(); it != recorded.end(); ++it) {
            const auto mine = ours.find(it.key());
            if (mine == ours.end())
                continue;
            if ((it.key() == "resourceVersion" || it.key() == "uid" || it.key() == "continue") && it->is_string()
                && mine->is_string())
                m_ids[it->get<std::string>()] = mine->get<std::string>();
            else
                learn(*it, *mine);
        }
    } else if (recorded.is_array() && ours.is_array()) {
        for (size_t i = 0; i < std::min(recorded.size(), ours.size()); ++i)
            learn(recorded[i], ours[i]);
    }
}

void KubeEmulatorFixtures::initTestCase()
{
    QVERIFY2(QDir(fixtureDir()).exists(), qPrintable(fixtureDir()));
    QVERIFY2(m_server.start(), "sd-kube-emulator did not start (see the warnings above)");
    // The recording ran in namespace "capture", created before it began.
    const Answer ns = send(m_server, "POST", QStringLiteral("/api/v1/namespaces"),
                           R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"capture"}})", "application/json");
    QCOMPARE(ns.status, 201);
}

void KubeEmulatorFixtures::replay_data()
{
    QTest::addColumn<QString>("file");
    const QStringList files = QDir(fixtureDir()).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    QVERIFY(files.size() >= 30);
    for (const QString &file : files) {
        if (file.startsWith(QLatin1String("6"))) // streams and compaction: their own tests below
            continue;
        QTest::newRow(qPrintable(file)) << file;
    }
}

void KubeEmulatorFixtures::replay()
{
    QFETCH(QString, file);
    const json fixture = readFixture(file);
    QVERIFY2(fixture.is_object() && fixture.contains("request"), qPrintable(file));
    const json &req = fixture["request"];

    if (file.startsWith(QLatin1String("24"))) {
        // page-0..page-4 were created between fixtures 23 and 24 without
        // being recorded; fixture 26 shows them. Create them the same way.
        const json listed = readFixture(QStringLiteral("26-configmap-list-labelselector.json"));
        for (const json &item : listed["body"]["items"]) {
            json body = {{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                         {"metadata", {{"name", item["metadata"]["name"]}, {"labels", item["metadata"]["labels"]}}},
                         {"data", item["data"]}};
            const Answer created = send(m_server, "POST", QStringLiteral("/api/v1/namespaces/capture/configmaps"),
                                        QByteArray::fromStdString(body.dump()), "application/json");
            QCOMPARE(created.status, 201);
            learn(item, json::parse(created.body.toStdString()));
        }
    }

    QByteArray body;
    if (req.contains("body"))
        body = req["body"].is_string() ? QByteArray::fromStdString(req["body"].get<std::string>())
                                       : QByteArray::fromStdString(translateBody(req["body"]).dump());
    const Token token = file.startsWith(QLatin1String("32")) ? Token::None
        : (file.startsWith(QLatin1String("31")) || file.startsWith(QLatin1String("33"))) ? Token::NoAccess
                                                                                        : Token::Admin;
    // kubectl's Accept header for `kubectl get` (Table first, JSON as fallback).
    const QByteArray accept = file.contains(QLatin1String("as-table"))
        ? "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
        : "application/json";
    const QString path = translatePath(QString::fromStdString(req["path"].get<std::string>()));
    const Answer answer = send(m_server, QByteArray::fromStdString(req["method"].get<std::string>()), path, body,
                               contentTypeFor(file), token, accept);

    const json ours = json::parse(answer.body.toStdString(), nullptr, false);
    QVERIFY2(!ours.is_discarded(), answer.body.constData());
    QCOMPARE(answer.status, fixture["status"].get<int>());
    QCOMPARE(answer.contentType.split(';').value(0), QByteArray("application/json"));
    QCOMPARE(answer.hasFlowSchema, fixture["headers"].contains("X-Kubernetes-Pf-Flowschema-Uid"));
    const json &recorded = fixture["body"];

    if (file.startsWith(QLatin1String("02")) || file.startsWith(QLatin1String("03"))) {
        // Discovery: the emulator serves fewer resources and groups than a
        // cluster. Each one it does serve must be described exactly as the
        // real server describes it.
        const char *listKey = file.startsWith(QLatin1String("02")) ? "resources" : "groups";
        const char *idKey = file.startsWith(QLatin1String("02")) ? "name" : "name";
        QCOMPARE(QString::fromStdString(ours["kind"].get<std::string>()),
                 QString::fromStdString(recorded["kind"].get<std::string>()));
        QVERIFY(ours[listKey].size() >= 2);
        for (const json &entry : ours[listKey]) {
            bool found = false;
            for (const json &real : recorded[listKey]) {
                if (real[idKey] == entry[idKey]) {
                    found = true;
                    SD_COMPARE_JSON(entry, real);
                }
            }
            QVERIFY2(found, qPrintable(show(entry)));
        }
        json withoutList = ours, recordedWithoutList = recorded;
        withoutList.erase(listKey);
        recordedWithoutList.erase(listKey);
        SD_COMPARE_JSON(withoutList, recordedWithoutList);
        return;
    }
    // The JSON patch from the recording to ours names each difference.
    const json difference = json::diff(normalized(recorded), normalized(ours));
    QVERIFY2(difference.empty(), qPrintable(show(difference)));
    learn(recorded, ours);
}

void KubeEmulatorFixtures::watchStream()
{
    const json fixture = readFixture(QStringLiteral("60-configmap-watch-stream.json"));
    const json &events = fixture["response"];
    // The recording watched from the resourceVersion fixture 55 answered.
    QString path = translatePath(QString::fromStdString(fixture["request"]["path"].get<std::string>()));
    QVERIFY2(path != QString::fromStdString(fixture["request"]["path"].get<std::string>()),
             "the watch's resourceVersion was not translated: did replay() run?");
    path.replace(QStringLiteral("timeoutSeconds=6"), QStringLiteral("timeoutSeconds=3"));

    QNetworkRequest request(QUrl(m_server.baseUrl() + path));
    request.setSslConfiguration(m_server.sslConfiguration());
    request.setRawHeader("User-Agent", "unknown");
    request.setRawHeader("Authorization", "Bearer " + m_server.adminToken().toLatin1());
    std::unique_ptr<QNetworkReply> reply(m_nam.get(request));
    QByteArray stream;
    connect(reply.get(), &QNetworkReply::readyRead, this, [&] { stream += reply->readAll(); });
    QTRY_VERIFY_WITH_TIMEOUT(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 0, 10000);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), events[0]["status"].get<int>());
    QVERIFY(reply->rawHeader("Transfer-Encoding").contains("chunked"));
    QCOMPARE(reply->rawHeader("Content-Type"), QByteArray("application/json"));

    // The writes the recorder made while it watched: create, merge patch, delete.
    const json &added = events[1]["object"];
    json create = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", added["metadata"]["name"]}}},
                   {"data", added["data"]}};
    QCOMPARE(send(m_server, "POST", QStringLiteral("/api/v1/namespaces/capture/configmaps"),
                  QByteArray::fromStdString(create.dump()), "application/json").status, 201);
    const QString item = QStringLiteral("/api/v1/namespaces/capture/configmaps/")
        + QString::fromStdString(added["metadata"]["name"].get<std::string>());
    json patch = {{"data", events[2]["object"]["data"]}};
    QCOMPARE(send(m_server, "PATCH", item, QByteArray::fromStdString(patch.dump()), "application/merge-patch+json").status, 200);
    QCOMPARE(send(m_server, "DELETE", item, {}, {}).status, 200);

    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 15000);
    stream += reply->readAll();
    QVERIFY2(stream.endsWith('\n'), stream.constData());
    std::vector<json> ours;
    for (const QByteArray &line : stream.split('\n')) {
        if (line.isEmpty())
            continue;
        const json event = json::parse(line.toStdString(), nullptr, false);
        QVERIFY2(event.is_object() && event.size() == 2, line.constData()); // one event per line
        ours.push_back(event);
    }
    std::vector<json> recorded, recordedBookmarks, ourBookmarks, changes;
    for (size_t i = 1; i < events.size(); ++i)
        if (events[i].contains("type"))
            (events[i]["type"] == "BOOKMARK" ? recordedBookmarks : recorded).push_back(events[i]);
    for (const json &event : ours)
        (event["type"] == "BOOKMARK" ? ourBookmarks : changes).push_back(event);
    QCOMPARE(changes.size(), recorded.size());
    for (size_t i = 0; i < changes.size(); ++i)
        SD_COMPARE_JSON(normalized(changes[i]), normalized(recorded[i]));
    QVERIFY2(!ourBookmarks.empty(), stream.constData());
    SD_COMPARE_JSON(normalized(ourBookmarks.back()), normalized(recordedBookmarks.back()));
    // Resource versions grow along the stream, and a bookmark names the newest.
    const std::string deletedRv = changes.back()["object"]["metadata"]["resourceVersion"].get<std::string>();
    QCOMPARE(ourBookmarks.back()["object"]["metadata"]["resourceVersion"].get<std::string>(), deletedRv);
    QVERIFY(std::stoull(changes[0]["object"]["metadata"]["resourceVersion"].get<std::string>())
            < std::stoull(deletedRv));
}

void KubeEmulatorFixtures::watchTooOld()
{
    const json fixture = readFixture(QStringLiteral("61-configmap-watch-too-old-410.json"));
    QNetworkRequest request(QUrl(m_server.baseUrl() + QString::fromStdString(fixture["request"]["path"].get<std::string>())));
    request.setSslConfiguration(m_server.sslConfiguration());
    request.setRawHeader("Authorization", "Bearer " + m_server.adminToken().toLatin1());
    std::unique_ptr<QNetworkReply> reply(m_nam.get(request));
    // The stream ends by itself right after the error, well before timeoutSeconds.
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 2500);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), fixture["response"][0]["status"].get<int>());
    const QByteArray stream = reply->readAll();
    QVERIFY2(stream.endsWith('\n') && stream.count('\n') == 1, stream.constData());
    const json event = json::parse(stream.toStdString(), nullptr, false);
    SD_COMPARE_JSON(normalized(event), normalized(fixture["response"][1]));
}

void KubeEmulatorFixtures::compactedExactList()
{
    const json fixture = readFixture(QStringLiteral("62-configmap-list-exact-compacted-410.json"));
    const QString recordedPath = QString::fromStdString(fixture["request"]["path"].get<std::string>());
    const QString path = translatePath(recordedPath);
    QVERIFY2(path != recordedPath, "the listed resourceVersion was not translated: did replay() run?");
    const Answer answer = send(m_server, "GET", path, {}, {});
    QCOMPARE(answer.status, fixture["status"].get<int>());
    SD_COMPARE_JSON(normalized(json::parse(answer.body.toStdString())), normalized(fixture["body"]));
}

void KubeEmulatorFixtures::labelAndFieldSelectors_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QStringList>("names");
    QTest::newRow("equals") << "labelSelector=env%3Dprod" << QStringList{"a"};
    QTest::newRow("double equals") << "labelSelector=env%3D%3Dprod" << QStringList{"a"};
    QTest::newRow("not equals") << "labelSelector=env!%3Dprod" << QStringList{"b", "c", "d"};
    QTest::newRow("in") << "labelSelector=env%20in%20(prod,dev)" << QStringList{"a", "b"};
    QTest::newRow("notin") << "labelSelector=env%20notin%20(prod)" << QStringList{"b", "c", "d"};
    QTest::newRow("exists") << "labelSelector=tier" << QStringList{"a", "c"};
    QTest::newRow("not exists") << "labelSelector=!tier" << QStringList{"b", "d"};
    QTest::newRow("and") << "labelSelector=env%3Dprod,tier" << QStringList{"a"};
    QTest::newRow("field name") << "fieldSelector=metadata.name%3Db" << QStringList{"b"};
    QTest::newRow("field name not") << "fieldSelector=metadata.name!%3Db" << QStringList{"a", "c", "d"};
    QTest::newRow("field namespace") << "fieldSelector=metadata.namespace%3Dselectors" << QStringList{"a", "b", "c", "d"};
    QTest::newRow("both") << "fieldSelector=metadata.name!%3Da&labelSelector=tier" << QStringList{"c"};
    QTest::newRow("paged") << "labelSelector=!tier&limit=1" << QStringList{"b"};
}

void KubeEmulatorFixtures::labelAndFieldSelectors()
{
    QFETCH(QString, query);
    QFETCH(QStringList, names);
    static bool created = false;
    if (!created) {
        QCOMPARE(send(m_server, "POST", QStringLiteral("/api/v1/namespaces"),
                      R"({"metadata":{"name":"selectors"}})", "application/json").status, 201);
        const std::map<std::string, json> labels{{"a", {{"env", "prod"}, {"tier", "web"}}},
                                                 {"b", {{"env", "dev"}}},
                                                 {"c", {{"tier", "db"}}},
                                                 {"d", json::object()}};
        for (const auto &[name, set] : labels) {
            json body = {{"metadata", {{"name", name}, {"labels", set}}}};
            QCOMPARE(send(m_server, "POST", QStringLiteral("/api/v1/namespaces/selectors/configmaps"),
                          QByteArray::fromStdString(body.dump()), "application/json").status, 201);
        }
        created = true;
    }
    const Answer answer = send(m_server, "GET", QStringLiteral("/api/v1/namespaces/selectors/configmaps?") + query, {}, {});
    QCOMPARE(answer.status, 200);
    const json list = json::parse(answer.body.toStdString());
    QStringList got;
    for (const json &item : list["items"])
        got << QString::fromStdString(item["metadata"]["name"].get<std::string>());
    QCOMPARE(got, names);
}

void KubeEmulatorFixtures::badSelectorIsBadRequest()
{
    for (const QString &query : {QStringLiteral("labelSelector=a%20in%20(b"), QStringLiteral("fieldSelector=data.x%3D1")}) {
        const Answer answer = send(m_server, "GET", QStringLiteral("/api/v1/namespaces/selectors/configmaps?") + query, {}, {});
        QCOMPARE(answer.status, 400);
        const json status = json::parse(answer.body.toStdString());
        QCOMPARE(QString::fromStdString(status["reason"].get<std::string>()), QStringLiteral("BadRequest"));
        QCOMPARE(status["code"].get<int>(), 400);
    }
}

void KubeEmulatorFixtures::continueTokenTooOld()
{
    KubeTestServer server(KubeTestServer::Options{3, 1, 5000});
    QVERIFY(server.start());
    for (int i = 0; i < 5; ++i) {
        json body = {{"metadata", {{"name", "cm-" + std::to_string(i)}}}, {"data", {{"i", std::to_string(i)}}}};
        QCOMPARE(send(server, "POST", QStringLiteral("/api/v1/namespaces/default/configmaps"),
                      QByteArray::fromStdString(body.dump()), "application/json").status, 201);
    }
    const Answer first = send(server, "GET", QStringLiteral("/api/v1/namespaces/default/configmaps?limit=2"), {}, {});
    QCOMPARE(first.status, 200);
    const json page = json::parse(first.body.toStdString());
    QCOMPARE(page["metadata"]["remainingItemCount"].get<int>(), 3);
    const QString token = QString::fromStdString(page["metadata"]["continue"].get<std::string>());

    // Still in the history: the next page is consistent with the first.
    const Answer second = send(server, "GET", QStringLiteral("/api/v1/namespaces/default/configmaps?limit=2&continue=") + token, {}, {});
    QCOMPARE(second.status, 200);
    QCOMPARE(json::parse(second.body.toStdString())["items"][0]["metadata"]["name"].get<std::string>(), std::string("cm-2"));

    // Four more writes push the token's version out of a 3-event history.
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(send(server, "PATCH", QStringLiteral("/api/v1/namespaces/default/configmaps/cm-4"),
                      QByteArray::fromStdString(json{{"data", {{"n", std::to_string(i)}}}}.dump()),
                      "application/merge-patch+json").status, 200);
    }
    const Answer expired = send(server, "GET", QStringLiteral("/api/v1/namespaces/default/configmaps?limit=2&continue=") + token, {}, {});
    QCOMPARE(expired.status, 410);
    const json status = json::parse(expired.body.toStdString());
    QCOMPARE(QString::fromStdString(status["reason"].get<std::string>()), QStringLiteral("Expired"));
    // The Status carries a token that continues at the newest version.
    const QString inconsistent = QString::fromStdString(status["metadata"]["continue"].get<std::string>());
    QVERIFY(!inconsistent.isEmpty());
    const Answer rest = send(server, "GET", QStringLiteral("/api/v1/namespaces/default/configmaps?limit=10&continue=") + inconsistent, {}, {});
    QCOMPARE(rest.status, 200);
    QStringList names;
    const json remainder = json::parse(rest.body.toStdString());
    for (const json &item : remainder["items"])
        names << QString::fromStdString(item["metadata"]["name"].get<std::string>());
    QCOMPARE(names, (QStringList{"cm-2", "cm-3", "cm-4"}));
}

QTEST_GUILESS_MAIN(KubeEmulatorFixtures)
#include "tst_kube_emulator_fixtures.moc"
