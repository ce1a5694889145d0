// What the Kubernetes client and provider promise beyond the contract, on
// the API emulator: watches that survive dropped connections and relist on
// 410, conflicts and refusals that say what happened, exec plugin tokens
// refreshed on expiry and on 401, TLS that names the certificate problem,
// and Secret values masked in the CLI.
#include "TestSupport.h"
#include "log/Log.h"
#include "providers/KubeTestHelpers.h"
#include "providers/kube/KubeProvider.h"

#include <QProcess>
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

std::unique_ptr<KubeProvider> providerFor(const QString &kubeconfig, const QString &context = {},
                                          const QString &ns = QStringLiteral("default"),
                                          const QString &secretName = {}, bool secrets = false)
{
    KubeProviderOptions o;
    o.access.kubeconfig = kubeconfig;
    o.access.context = context;
    o.ns = ns;
    o.secretName = secretName;
    o.secrets = secrets || !secretName.isEmpty();
    return std::make_unique<KubeProvider>(o);
}

// The store of every Secret in `ns`.
std::unique_ptr<KubeProvider> secretsStoreFor(const QString &kubeconfig, const QString &ns)
{
    return providerFor(kubeconfig, {}, ns, {}, true);
}

std::string b64(const QByteArray &bytes)
{
    return bytes.toBase64().toStdString();
}

struct EventLog {
    QList<Event> events;
    explicit EventLog(Watch *w)
    {
        QObject::connect(w, &Watch::event, w, [this](const Event &e) { events << e; });
    }
    bool waitFor(int n, int ms = 15000)
    {
        return QTest::qWaitFor([&] { return events.size() >= n; }, ms);
    }
    QStringList summary() const
    {
        QStringList out;
        for (const Event &e : events)
            out << eventTypeName(e.type) + (e.entry.key.isEmpty() ? QString() : QLatin1Char(' ') + e.entry.key);
        return out;
    }
};

bool writeExecutable(const QString &path, const QByteArray &text)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    f.write(text);
    f.close();
    return f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
}

} // namespace

class TestKubeProvider : public QObject {
    Q_OBJECT
    // One emulator for the tests that can share one (a namespace each).
    std::unique_ptr<KubeTestServer> m_kube;
    int m_namespaces = 0;

    // A new namespace on the shared emulator (started the first time);
    // empty when either fails.
    QString freshNamespace()
    {
        if (!m_kube) {
            m_kube = std::make_unique<KubeTestServer>();
            if (!m_kube->start()) {
                qWarning("the Kubernetes emulator did not start: %s", qPrintable(m_kube->log()));
                m_kube.reset();
                return {};
            }
        }
        const QString ns = QStringLiteral("secrets-%1").arg(++m_namespaces);
        return createNamespace(*m_kube, ns) ? ns : QString();
    }

private Q_SLOTS:
    // A watch whose connection drops (and stays down while changes happen)
    // reopens from the last resourceVersion it saw: nothing is missed and no
    // Resync is needed while the server still has the history.
    void testWatchSurvivesDroppedConnection()
    {
        KubeTestServer kube;
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        TcpProxy proxy(portOf(kube.plainUrl()));
        QVERIFY(proxy.listen());
        auto watched = providerFor(writeKubeconfig(kube, QStringLiteral("via-proxy"), proxy.url(), tokenUser(kube.adminToken())));
        auto writer = providerFor(kube.kubeconfigPath());

        std::unique_ptr<Watch> watch = watched->watch(QStringLiteral("w-"), QString());
        EventLog log(watch.get());
        QSignalSpy ready(watch.get(), &Watch::ready);
        QSignalSpy failed(watch.get(), &Watch::failed);
        QVERIFY(ready.wait(15000));
        QVERIFY(await(writer->put(jsonEntry(QStringLiteral("w-a"), Json{{"v", "1"}}), {})).ok());
        QVERIFY(log.waitFor(1));

        proxy.setUp(false); // the stream is reset mid-flight; reconnects are refused for now
        QVERIFY(await(writer->put(jsonEntry(QStringLiteral("w-a"), Json{{"v", "2"}}), {})).ok());
        QVERIFY(await(writer->put(jsonEntry(QStringLiteral("w-b"), Json{{"v", "1"}}), {})).ok());
        QVERIFY(await(writer->remove(QStringLiteral("w-a"), {})).ok());
        QVERIFY(await(writer->put(jsonEntry(QStringLiteral("other"), Json{{"v", "1"}}), {})).ok());
        QTest::qWait(300); // let at least one reconnect attempt be refused
        const int before = proxy.connectionsAccepted();
        proxy.setUp(true);

        QVERIFY2(log.waitFor(4), qPrintable(log.summary().join(QStringLiteral(", "))));
        QVERIFY(proxy.connectionsAccepted() > before); // it really reconnected
        QCOMPARE(log.summary(), (QStringList{"ADDED w-a", "MODIFIED w-a", "ADDED w-b", "DELETED w-a"}));
        SD_COMPARE_JSON(log.events[1].entry.value, (Json{{"v", "2"}}));
        QCOMPARE(failed.count(), 0);
        // And it is live again.
        QVERIFY(await(writer->put(jsonEntry(QStringLiteral("w-c"), Json{{"v", "1"}}), {})).ok());
        QVERIFY(log.waitFor(5));
        QCOMPARE(log.summary().last(), QStringLiteral("ADDED w-c"));
    }

    // When the server's history no longer reaches back to where the watch
    // stopped (410 Expired), the watch relists: Resync, the whole current
    // state, ResyncDone, then live events again.
    void testGoneRelists()
    {
        KubeTestServer::Options options;
        options.watchHistory = 5;
        KubeTestServer kube(options);
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        TcpProxy proxy(portOf(kube.plainUrl()));
        QVERIFY(proxy.listen());
        auto watched = providerFor(writeKubeconfig(kube, QStringLiteral("via-proxy"), proxy.url(), tokenUser(kube.adminToken())));
        auto writer = providerFor(kube.kubeconfigPath());
        QVERIFY(await(writer->put(jsonEntry(QStringLiteral("keep"), Json{{"v", "0"}}), {})).ok());

        std::unique_ptr<Watch> watch = watched->watch(QString(), QString());
        EventLog log(watch.get());
        QSignalSpy ready(watch.get(), &Watch::ready);
        QVERIFY(ready.wait(15000));
        proxy.setUp(false);
        for (int i = 0; i < 12; ++i) // more changes than the emulator keeps
            QVERIFY(await(writer->put(jsonEntry(QStringLiteral("keep"), Json{{"v", std::to_string(i + 1)}}), {})).ok());
        QVERIFY(await(writer->put(jsonEntry(QStringLiteral("new"), Json{{"v", "x"}}), {})).ok());
        proxy.setUp(true);

        QVERIFY2(QTest::qWaitFor([&] { return log.summary().contains(QStringLiteral("RESYNC_DONE")); }, 20000),
                 qPrintable(log.summary().join(QStringLiteral(", "))));
        QCOMPARE(log.summary(), (QStringList{"RESYNC", "ADDED keep", "ADDED new", "RESYNC_DONE"}));
        SD_COMPARE_JSON(log.events[1].entry.value, (Json{{"v", "12"}}));
        QVERIFY(await(writer->remove(QStringLiteral("new"), {})).ok());
        QVERIFY(log.waitFor(5));
        QCOMPARE(log.summary().last(), QStringLiteral("DELETED new"));
    }

    // A stale compare-and-swap names the revision expected and the current one,
    // through the provider and through the client's update().
    void testConflictNamesBothRevisions()
    {
        KubeTestServer kube;
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        auto p = providerFor(kube.kubeconfigPath());
        auto v1 = await(p->put(jsonEntry(QStringLiteral("cas"), Json{{"v", "1"}}), Precondition::mustNotExist()));
        QVERIFY(v1.ok());
        auto v2 = await(p->put(jsonEntry(QStringLiteral("cas"), Json{{"v", "2"}}), Precondition::atRevision(v1->revision)));
        QVERIFY(v2.ok());
        auto stale = await(p->put(jsonEntry(QStringLiteral("cas"), Json{{"v", "3"}}), Precondition::atRevision(v1->revision)));
        QVERIFY(!stale.ok());
        QCOMPARE(stale.error().kind, ErrorKind::Conflict);
        QVERIFY2(stale.error().message.contains(QStringLiteral("expected revision %1, current is %2").arg(v1->revision, v2->revision)),
                 qPrintable(stale.error().toString()));

        auto again = await(p->put(jsonEntry(QStringLiteral("cas"), Json{{"v", "1"}}), Precondition::mustNotExist()));
        QCOMPARE(again.error().kind, ErrorKind::AlreadyExists);
        QVERIFY2(again.error().message.contains(QLatin1String("already exists")), qPrintable(again.error().toString()));

        // The server's own 409 for a PUT with a stale resourceVersion.
        auto client = adminClient(kube);
        auto obj = await(client->get(kube::Resource::configMaps(), QStringLiteral("default"), QStringLiteral("cas")));
        QVERIFY(obj.ok());
        Json old = obj.value();
        old["metadata"]["resourceVersion"] = toStd(v1->revision);
        auto put = await(client->update(kube::Resource::configMaps(), QStringLiteral("default"), old));
        QCOMPARE(put.error().kind, ErrorKind::Conflict);
        QVERIFY2(put.error().message.contains(QLatin1String("the object has been modified")), qPrintable(put.error().message));
        QVERIFY2(put.error().message.contains(QStringLiteral("expected resourceVersion %1, current is %2").arg(v1->revision, v2->revision)),
                 qPrintable(put.error().message));
        // A delete precondition: the server's message names both already.
        const Status del = await(p->remove(QStringLiteral("cas"), Precondition::atRevision(v1->revision)));
        QCOMPARE(del.error().kind, ErrorKind::Conflict);
        QVERIFY2(del.error().message.contains(v1->revision) && del.error().message.contains(v2->revision),
                 qPrintable(del.error().toString()));
    }

    // The read-only token may read but not write; the refusal names the
    // verb, the resource and the namespace.
    void testForbiddenNamesWhatWasRefused()
    {
        KubeTestServer kube;
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        auto admin = providerFor(kube.kubeconfigPath());
        QVERIFY(await(admin->put(jsonEntry(QStringLiteral("shared"), Json{{"v", "1"}}), {})).ok());
        auto ro = providerFor(kube.kubeconfigPath(), QStringLiteral("readonly"));
        auto read = await(ro->get(QStringLiteral("shared")));
        QVERIFY2(read.ok(), qPrintable(read.error().toString()));
        auto write = await(ro->put(jsonEntry(QStringLiteral("mine"), Json{{"v", "1"}}), {}));
        QCOMPARE(write.error().kind, ErrorKind::Forbidden);
        QVERIFY2(write.error().message.contains(QLatin1String("not allowed to create configmaps \"mine\" in namespace \"default\"")),
                 qPrintable(write.error().toString()));
        const Status del = await(ro->remove(QStringLiteral("shared"), {}));
        QCOMPARE(del.error().kind, ErrorKind::Forbidden);
        QVERIFY2(del.error().message.contains(QLatin1String("not allowed to delete configmaps \"shared\"")),
                 qPrintable(del.error().toString()));
        auto lock = await(ro->lock(QStringLiteral("deploy"), std::chrono::seconds(10)));
        QCOMPARE(lock.error().kind, ErrorKind::Forbidden);
        QVERIFY2(lock.error().message.contains(QLatin1String("leases.coordination.k8s.io")), qPrintable(lock.error().toString()));
    }

    // An exec credential plugin runs once, is reused until its token expires,
    // runs again after that, and again when the server answers 401.
    void testExecPluginTokenRefresh()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        KubeTestServer kube;
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        const QString goodToken = dir.filePath(QStringLiteral("good-token"));
        {
            QFile f(goodToken);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(kube.adminToken().toUtf8());
        }
        // Run 1 hands out a token the server does not know (revoked), valid
        // for an hour; run 2 a good one that expires in a few seconds; run 3
        // another good one. "A few": long enough for the put and the get
        // after it on a slow machine (the client counts a token expired a
        // second early, and the timestamp has whole seconds), so stretched
        // by the test time scale (under the sanitizers a fixed 2 s ran out
        // before the get, and the plugin ran a third time there).
        const int lifetime = 4 * sd::test::timeScale();
        const QString counter = dir.filePath(QStringLiteral("runs"));
        const QString plugin = dir.filePath(QStringLiteral("get-token.sh"));
        QByteArray script = R"SH(#!/bin/sh
n=$(cat "@COUNTER@" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "@COUNTER@"
case "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) echo "no exec info" >&2; exit 3 ;; esac
if [ "$n" = 1 ]; then token=revoked-token; exp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
else token=$(cat "@GOOD@"); exp=$(date -u -d '+@LIFETIME@ seconds' +%Y-%m-%dT%H:%M:%SZ); fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\n' "$token" "$exp"
)SH";
        script.replace("@COUNTER@", counter.toUtf8());
        script.replace("@GOOD@", goodToken.toUtf8());
        script.replace("@LIFETIME@", QByteArray::number(lifetime));
        QVERIFY(writeExecutable(plugin, script));
        const QString kubeconfig = writeKubeconfig(kube, QStringLiteral("exec-config"), kube.baseUrl(),
                                                   "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                                   "      command: " + plugin.toUtf8() + "\n      args: [\"--profile\", \"ops\"]\n");
        auto runs = [&] {
            QFile f(counter);
            return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toInt() : 0;
        };
        auto p = providerFor(kubeconfig);
        auto first = await(p->put(jsonEntry(QStringLiteral("via-exec"), Json{{"v", "1"}}), {}));
        QVERIFY2(first.ok(), qPrintable(first.error().toString()));
        QCOMPARE(runs(), 2); // 401 with the revoked token, then a fresh one
        QVERIFY(await(p->get(QStringLiteral("via-exec"))).ok());
        QCOMPARE(runs(), 2); // still valid: reused
        const QDateTime expired = QDateTime::currentDateTimeUtc().addSecs(lifetime + 1);
        QVERIFY(QTest::qWaitFor([&] { return QDateTime::currentDateTimeUtc() > expired; }, (lifetime + 3) * 1000));
        auto after = await(p->get(QStringLiteral("via-exec")));
        QVERIFY2(after.ok(), qPrintable(after.error().toString()));
        QCOMPARE(runs(), 3); // expired: the plugin ran again

        // A plugin that fails says so, with its own message and the install hint.
        const QString broken = dir.filePath(QStringLiteral("broken.sh"));
        QVERIFY(writeExecutable(broken, "#!/bin/sh\necho 'login required: run sso-login' >&2\nexit 4\n"));
        const QString brokenConfig = writeKubeconfig(kube, QStringLiteral("broken-config"), kube.baseUrl(),
                                                     "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
                                                     "      command: " + broken.toUtf8() + "\n      installHint: install sso-login\n");
        auto bad = await(providerFor(brokenConfig)->get(QStringLiteral("x")));
        QCOMPARE(bad.error().kind, ErrorKind::Unauthorized);
        QVERIFY2(bad.error().message.contains(QLatin1String("failed (exit code 4): login required: run sso-login"))
                     && bad.error().message.contains(QLatin1String("install sso-login")),
                 qPrintable(bad.error().toString()));
    }

    // TLS is verified: a server whose certificate the configured CA did not
    // sign is refused, and the error says which check failed.
    void testWrongCaRefused()
    {
        KubeTestServer kube, other; // each with a CA of its own
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        QVERIFY2(other.start(), qPrintable(other.log()));
        auto good = await(providerFor(kube.kubeconfigPath())->put(jsonEntry(QStringLiteral("tls"), Json{{"v", "1"}}), {}));
        QVERIFY2(good.ok(), qPrintable(good.error().toString()));

        const QString wrongCa = other.caFile();
        const QString config = writeKubeconfig(kube, QStringLiteral("wrong-ca"), kube.baseUrl(), tokenUser(kube.adminToken()), wrongCa);
        auto bad = await(providerFor(config)->get(QStringLiteral("tls")));
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().kind, ErrorKind::Unavailable);
        const QString msg = bad.error().message;
        QVERIFY2(msg.contains(QLatin1String("TLS certificate of ") + kube.baseUrl() + QLatin1String(" was refused"))
                     && msg.contains(wrongCa),
                 qPrintable(msg));
        // QSslError's own words for the failed check (issuer not found / not trusted).
        QVERIFY2(msg.contains(QLatin1String("issuer"), Qt::CaseInsensitive)
                     || msg.contains(QLatin1String("not trusted"), Qt::CaseInsensitive)
                     || msg.contains(QLatin1String("self signed"), Qt::CaseInsensitive),
                 qPrintable(msg));
        QVERIFY(!msg.contains(kube.adminToken()));
    }

    // The gate's Secret: values decoded for editing and written back as
    // base64 of compact JSON; statedeckctl masks them unless --reveal; nothing
    // logs them (or the token).
    void testSecretValuesMaskedWithoutReveal()
    {
        KubeTestServer kube;
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        QByteArray logged;
        log::setThreshold(log::Level::Debug);
        log::setSink([&](const QByteArray &line) { logged += line; });
        const QString secretName = QStringLiteral("k8-container-gate-keys");
        auto p = providerFor(kube.kubeconfigPath(), QString(), QStringLiteral("default"), secretName);
        QVERIFY(p->capabilities().sensitive);
        const Json keys{{"octocat", {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake"}}};
        auto put = await(p->put(jsonEntry(QStringLiteral("keys"), keys), {}));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        auto client = adminClient(kube);
        auto secret = await(client->get(kube::Resource::secrets(), QStringLiteral("default"), secretName));
        QVERIFY(secret.ok());
        const std::string stored = secret.value()["data"]["keys.json"].get<std::string>();
        QCOMPARE(QByteArray::fromBase64(QByteArray::fromStdString(stored)), QByteArray(keys.dump().c_str()));
        auto got = await(p->get(QStringLiteral("keys")));
        QVERIFY(got.ok());
        SD_COMPARE_JSON(got->value, keys);
        log::setSink({});
        QVERIFY(!logged.contains("ssh-ed25519"));
        QVERIFY(!logged.contains(kube.adminToken().toUtf8()));

        const QString ctl = builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY(!ctl.isEmpty());
        const QString url = QStringLiteral("k8s://admin/default/secrets/%1").arg(secretName);
        auto runOn = [&](const QString &store, const QStringList &args) {
            QProcess proc;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("KUBECONFIG"), kube.kubeconfigPath());
            env.insert(QStringLiteral("STATEDECK_LOG"), QStringLiteral("debug"));
            env.remove(QStringLiteral("KUBERNETES_CLUSTER_ENDPOINT"));
            proc.setProcessEnvironment(env);
            proc.start(ctl, QStringList{QStringLiteral("--store"), store} + args);
            if (!proc.waitForFinished(30000))
                return QByteArray("timeout");
            return QByteArray(proc.readAllStandardOutput() + "\n--stderr--\n" + proc.readAllStandardError());
        };
        auto run = [&](const QStringList &args) { return runOn(url, args); };
        for (const QStringList &args : {QStringList{"get", "keys"}, QStringList{"get", "keys", "-o", "json"},
                                        QStringList{"get", "keys", "-o", "value"}, QStringList{"ls", "--values", "-o", "json"},
                                        QStringList{"ls", "--values", "-o", "yaml"}}) {
            const QByteArray out = run(args);
            QVERIFY2(!out.contains("ssh-ed25519"), out.constData());
            QVERIFY2(!out.contains(kube.adminToken().toUtf8()), out.constData());
            QVERIFY2(out.contains("--reveal"), out.constData());
        }
        const QByteArray revealed = run({"get", "keys", "--reveal", "-o", "json"});
        QVERIFY2(revealed.contains("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake"), revealed.constData());
        QVERIFY2(run({"ls", "--values", "--reveal", "-o", "json"}).contains("ssh-ed25519"), "ls --reveal shows values");
        // A ConfigMap store is not masked.
        const QByteArray plain = runOn(QStringLiteral("k8s://admin/default/configmaps"), {"ls"});
        QVERIFY(!plain.contains("hidden"));
    }

    // The store of every Secret: each Secret is an entry whose value is its
    // data keys decoded, text as strings and other bytes as {"base64": ...};
    // written back as read it leaves the Secret's data byte-identical, and
    // a value put through the store reads back the same.
    void testSecretsStoreValues_data()
    {
        QTest::addColumn<QByteArray>("data");  // the Secret's data, as the API server holds it
        QTest::addColumn<QByteArray>("value"); // the entry's value
        auto row = [](const char *name, const Json &data, const Json &value) {
            QTest::newRow(name) << QByteArray::fromStdString(data.dump()) << QByteArray::fromStdString(value.dump());
        };
        row("text", Json{{"password", b64("hunter2")}, {"user", b64("admin")}},
            Json{{"password", "hunter2"}, {"user", "admin"}});
        row("bytes that are not UTF-8", Json{{"blob", "/wD+"}, {"note", b64("text")}},
            Json{{"blob", {{"base64", "/wD+"}}}, {"note", "text"}});
        row("unicode text", Json{{"greeting", b64("h\xc3\xa9llo \xe2\x9c\x93")}}, Json{{"greeting", "h\xc3\xa9llo \xe2\x9c\x93"}});
        row("an empty value", Json{{"empty", ""}}, Json{{"empty", ""}});
        // Decoding would drop a byte order mark: kept as bytes instead.
        row("text with a byte order mark", Json{{"bom", b64("\xef\xbb\xbftext")}},
            Json{{"bom", {{"base64", b64("\xef\xbb\xbftext")}}}});
        row("a NUL byte", Json{{"nul", b64(QByteArray("a\0b", 3))}}, Json{{"nul", std::string("a\0b", 3)}});
        row("no data", Json::object(), Json::object());
        row("a data key named base64", Json{{"base64", b64("AAAA")}}, Json{{"base64", "AAAA"}});
        row("PEM with newlines", Json{{"tls.crt", b64("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")}},
            Json{{"tls.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}});
    }

    void testSecretsStoreValues()
    {
        QFETCH(QByteArray, data);
        QFETCH(QByteArray, value);
        const Json stored = Json::parse(data.toStdString());
        const Json expected = Json::parse(value.toStdString());
        const QString ns = freshNamespace();
        QVERIFY(!ns.isEmpty());
        auto client = adminClient(*m_kube);
        Json secret{{"metadata", {{"name", "given"}, {"labels", {{"app", "db"}}}, {"annotations", {{"owner", "team-a"}}}}},
                    {"type", "kubernetes.io/basic-auth"}};
        if (!stored.empty())
            secret["data"] = stored;
        auto made = await(client->create(kube::Resource::secrets(), ns, secret));
        QVERIFY2(made.ok(), qPrintable(made.error().toString()));
        auto p = secretsStoreFor(m_kube->kubeconfigPath(), ns);
        QVERIFY(p->capabilities().sensitive);
        QVERIFY(p->capabilities().perKeyRevisions);
        QCOMPARE(p->describe(), QStringLiteral("k8s:///%1/secrets").arg(ns));

        auto got = await(p->get(QStringLiteral("given")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        SD_COMPARE_JSON(got->value, expected);
        QCOMPARE(got->revision, toQString(made.value()["metadata"]["resourceVersion"].get<std::string>()));
        QCOMPARE(got->labels.value(QStringLiteral("app")), QStringLiteral("db"));
        QCOMPARE(got->annotations.value(QStringLiteral("owner")), QStringLiteral("team-a"));
        auto page = await(p->list({}));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 1);
        SD_COMPARE_JSON(page->entries.first().value, expected);

        // Written back as read: the same bytes, type, labels, annotations.
        auto put = await(p->put(got.value(), Precondition::atRevision(got->revision)));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        auto raw = await(client->get(kube::Resource::secrets(), ns, QStringLiteral("given")));
        QVERIFY(raw.ok());
        QCOMPARE(raw.value().value("data", Json::object()), stored);
        QCOMPARE(raw.value()["type"], Json("kubernetes.io/basic-auth"));
        QCOMPARE(raw.value()["metadata"]["labels"], (Json{{"app", "db"}}));
        QCOMPARE(raw.value()["metadata"]["annotations"]["owner"], Json("team-a"));

        // The same value put as a new Secret reads back the same, as an
        // Opaque Secret with the same data.
        auto created = await(p->put(jsonEntry(QStringLiteral("copy"), expected), Precondition::mustNotExist()));
        QVERIFY2(created.ok(), qPrintable(created.error().toString()));
        SD_COMPARE_JSON(await(p->get(QStringLiteral("copy")))->value, expected);
        raw = await(client->get(kube::Resource::secrets(), ns, QStringLiteral("copy")));
        QCOMPARE(raw.value().value("data", Json::object()), stored);
        QCOMPARE(raw.value()["type"], Json("Opaque"));
    }

    // A keys-only page is read as metadata only (PartialObjectMetadataList:
    // no data crosses the wire), and its entries are the entries of a full
    // listing without their values: the same keys in the same order,
    // revisions, labels, annotations and times, across pages.
    void testKeysOnlyPagesAreMetadata_data()
    {
        QTest::addColumn<bool>("secrets");
        QTest::newRow("ConfigMaps") << false;
        QTest::newRow("Secrets") << true;
    }
    void testKeysOnlyPagesAreMetadata()
    {
        QFETCH(bool, secrets);
        const QString ns = freshNamespace();
        QVERIFY(!ns.isEmpty());
        auto client = adminClient(*m_kube);
        const kube::Resource resource = secrets ? kube::Resource::secrets() : kube::Resource::configMaps();
        for (int i = 0; i < 12; ++i) {
            const std::string name = "meta-" + std::to_string(100 + i);
            Json object{{"metadata", {{"name", name}, {"labels", {{"app", "shop"}, {"i", std::to_string(i)}}},
                                      {"annotations", {{"owner", "team-" + std::to_string(i % 3)}}}}}};
            object["data"] = secrets ? Json{{"password", b64(QByteArray(2000, 'x'))}}
                                     : Json{{"settings", std::string(2000, 'y')}};
            auto made = await(client->create(resource, ns, object));
            QVERIFY2(made.ok(), qPrintable(made.error().toString()));
        }
        auto p = secrets ? secretsStoreFor(m_kube->kubeconfigPath(), ns) : providerFor(m_kube->kubeconfigPath(), {}, ns);
        auto listAll = [&](bool keysOnly) {
            QList<Entry> all;
            ListOptions o;
            o.limit = 5;
            o.keysOnly = keysOnly;
            for (int pages = 0; pages < 10; ++pages) {
                auto page = await(p->list(o));
                if (!page.ok()) {
                    qWarning("%s", qPrintable(page.error().toString()));
                    return QList<Entry>();
                }
                all += page->entries;
                if (page->nextCursor.isEmpty())
                    break;
                o.cursor = page->nextCursor;
            }
            return all;
        };
        const QList<Entry> full = listAll(false);
        const QList<Entry> keys = listAll(true);
        QCOMPARE(full.size(), 12);
        QCOMPARE(keys.size(), 12);
        for (qsizetype i = 0; i < keys.size(); ++i) {
            QCOMPARE(keys[i].key, full[i].key);
            QCOMPARE(keys[i].revision, full[i].revision);
            QCOMPARE(keys[i].labels, full[i].labels);
            QCOMPARE(keys[i].annotations, full[i].annotations);
            QCOMPARE(keys[i].updated, full[i].updated);
            QVERIFY(keys[i].value.is_null());
            QVERIFY(!full[i].value.is_null());
        }
        QCOMPARE(keys.first().labels.value(QStringLiteral("app")), QStringLiteral("shop"));
    }

    // Values that are no object of data keys (a list, a number, an object
    // with nested members) are kept as compact JSON in data["value.json"];
    // a data key a Secret cannot have is refused naming it; a stale revision
    // is a Conflict naming the key; a watch reports Secrets as entries.
    void testSecretsStoreWritesAndWatch()
    {
        const QString ns = freshNamespace();
        QVERIFY(!ns.isEmpty());
        auto client = adminClient(*m_kube);
        auto p = secretsStoreFor(m_kube->kubeconfigPath(), ns);
        auto watch = p->watch(QString(), QString());
        QSignalSpy ready(watch.get(), &Watch::ready);
        EventLog log(watch.get());
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() > 0, 15000);

        const Json nested{{"db", {{"host", "x"}, {"port", 5432}}}, {"list", {1, 2}}};
        auto put = await(p->put(jsonEntry(QStringLiteral("nested"), nested), {}));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        auto raw = await(client->get(kube::Resource::secrets(), ns, QStringLiteral("nested")));
        QCOMPARE(raw.value()["metadata"]["annotations"]["statedeck.io/value"], Json("json"));
        QCOMPARE(QByteArray::fromBase64(toBytes(raw.value()["data"]["value.json"].get<std::string>())),
                 QByteArray::fromStdString(nested.dump()));
        SD_COMPARE_JSON(await(p->get(QStringLiteral("nested")))->value, nested);

        auto bad = await(p->put(jsonEntry(QStringLiteral("bad"), Json{{"no spaces", "x"}}), {}));
        QCOMPARE(bad.error().kind, ErrorKind::Invalid);
        QVERIFY2(bad.error().message.contains(QLatin1String("no spaces")), qPrintable(bad.error().toString()));

        auto second = await(p->put(jsonEntry(QStringLiteral("nested"), Json{{"v", "2"}}), Precondition::atRevision(put->revision)));
        QVERIFY2(second.ok(), qPrintable(second.error().toString()));
        auto stale = await(p->put(jsonEntry(QStringLiteral("nested"), Json{{"v", "3"}}), Precondition::atRevision(put->revision)));
        QCOMPARE(stale.error().kind, ErrorKind::Conflict);
        QVERIFY2(stale.error().where.contains(QLatin1String("nested")), qPrintable(stale.error().toString()));
        QVERIFY2(stale.error().message.contains(QLatin1String("Secret")), qPrintable(stale.error().toString()));
        QVERIFY(await(p->remove(QStringLiteral("nested"), Precondition::atRevision(second->revision))).ok());

        QVERIFY2(log.waitFor(3), qPrintable(log.summary().join(QLatin1String(", "))));
        QCOMPARE(log.summary(), (QStringList{"ADDED nested", "MODIFIED nested", "DELETED nested"}));
        SD_COMPARE_JSON(log.events.at(1).entry.value, (Json{{"v", "2"}}));
    }

    // Locks are Leases: the holder, duration and renew time are on the
    // server; a lapsed lease can be taken over and the fencing token grows.
    void testLockIsALease()
    {
        KubeTestServer kube;
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        auto a = providerFor(kube.kubeconfigPath());
        auto b = providerFor(kube.kubeconfigPath());
        auto first = await(a->lock(QStringLiteral("nightly-job"), std::chrono::seconds(1)));
        QVERIFY2(first.ok(), qPrintable(first.error().toString()));
        auto client = adminClient(kube);
        auto lease = await(client->get(kube::Resource::leases(), QStringLiteral("default"), QStringLiteral("nightly-job")));
        QVERIFY(lease.ok());
        const Json &spec = lease.value()["spec"];
        QCOMPARE(toQString(spec["holderIdentity"].get<std::string>()), first->owner);
        QCOMPARE(spec["leaseDurationSeconds"].get<int>(), 1);
        QVERIFY(spec.contains("renewTime") && spec.contains("acquireTime"));
        QCOMPARE(lease.value()["metadata"]["annotations"]["statedeck.io/fencing-token"], Json("1"));

        auto busy = await(b->lock(QStringLiteral("nightly-job"), std::chrono::seconds(30)));
        QCOMPARE(busy.error().kind, ErrorKind::Busy);
        QVERIFY2(busy.error().message.contains(first->owner), qPrintable(busy.error().toString()));

        // The holder "died": once its lease lapses, another takes over.
        const QDateTime lapsed = first->expires.addMSecs(200);
        QVERIFY(QTest::qWaitFor([&] { return QDateTime::currentDateTimeUtc() > lapsed; }, 5000));
        auto second = await(b->lock(QStringLiteral("nightly-job"), std::chrono::seconds(30)));
        QVERIFY2(second.ok(), qPrintable(second.error().toString()));
        QCOMPARE(second->fencingToken, first->fencingToken + 1);
        lease = await(client->get(kube::Resource::leases(), QStringLiteral("default"), QStringLiteral("nightly-job")));
        QCOMPARE(lease.value()["spec"]["leaseTransitions"].get<int>(), 1);
        QCOMPARE(await(a->unlock(first.value())).error().kind, ErrorKind::Conflict); // it lost the lock
        QVERIFY(await(b->unlock(second.value())).ok());
    }

    // A ConfigMap written by someone else keeps what statedeck does not own:
    // annotations, and binaryData members stay binary.
    void testConfigMapEditsKeepAnnotationsAndBinaryData()
    {
        KubeTestServer kube;
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        auto client = adminClient(kube);
        const Json cm{{"metadata",
                       {{"name", "task-42-state"},
                        {"labels", {{"app", "remediation-state"}, {"task-id", "42"}}},
                        {"annotations", {{"remediation.5dlabs.com/version", "v1"}}}}},
                      {"data", {{"iteration", "1"}, {"state.json", "{\"task_id\":\"42\"}"}}},
                      {"binaryData", {{"blob", "AAEC"}}}};
        QVERIFY(await(client->create(kube::Resource::configMaps(), QStringLiteral("default"), cm)).ok());
        auto p = providerFor(kube.kubeconfigPath());
        auto got = await(p->get(QStringLiteral("task-42-state")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        QCOMPARE(got->encoding, Encoding::Base64);
        QCOMPARE(got->labels.value(QStringLiteral("task-id")), QStringLiteral("42"));
        QCOMPARE(got->value["blob"], Json("AAEC"));
        QCOMPARE(got->value["iteration"], Json("1"));
        QCOMPARE(got->annotations.value(QStringLiteral("remediation.5dlabs.com/version")), QStringLiteral("v1"));
        Entry edited = got.value();
        edited.value["iteration"] = "2";
        // Annotations named in the entry are set; the others stay.
        edited.annotations = {{QStringLiteral("statedeck.io/edited-by"), QStringLiteral("test")}};
        auto put = await(p->put(edited, Precondition::atRevision(got->revision)));
        QVERIFY2(put.ok(), qPrintable(put.error().toString()));
        auto raw = await(client->get(kube::Resource::configMaps(), QStringLiteral("default"), QStringLiteral("task-42-state")));
        QVERIFY(raw.ok());
        QCOMPARE(raw.value()["metadata"]["annotations"]["remediation.5dlabs.com/version"], Json("v1"));
        QCOMPARE(raw.value()["metadata"]["annotations"]["statedeck.io/edited-by"], Json("test"));
        QCOMPARE(raw.value()["metadata"]["labels"]["app"], Json("remediation-state"));
        QCOMPARE(raw.value()["binaryData"]["blob"], Json("AAEC"));
        QCOMPARE(raw.value()["data"]["iteration"], Json("2"));
        QVERIFY(!raw.value()["data"].contains("blob"));

        // A value that is not an object of strings is kept as JSON text.
        const Json list = Json::array({1, "two", Json{{"three", 3}}});
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("a-list"), list), {})).ok());
        raw = await(client->get(kube::Resource::configMaps(), QStringLiteral("default"), QStringLiteral("a-list")));
        QCOMPARE(raw.value()["metadata"]["annotations"]["statedeck.io/value"], Json("json"));
        QCOMPARE(raw.value()["data"]["value.json"], Json(list.dump()));
        SD_COMPARE_JSON(await(p->get(QStringLiteral("a-list")))->value, list);
    }

    // The gate's own Secret, as its code writes it, reads as its keys; an
    // unedited value is written back byte-identical; a watch reports per key.
    void testGateSecret()
    {
        KubeTestServer kube;
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        QFile fixture(fixturePath(QStringLiteral("k8-container-gate/secret-k8-container-gate-keys.yaml")));
        QVERIFY(fixture.open(QIODevice::ReadOnly));
        const QByteArray yaml = fixture.readAll();
        const qsizetype at = yaml.indexOf("keys.json: ") + 11;
        const QByteArray b64 = yaml.mid(at, yaml.indexOf('\n', at) - at).trimmed();
        auto client = adminClient(kube);
        const Json secret{{"metadata", {{"name", "k8-container-gate-keys"}}},
                          {"type", "Opaque"},
                          {"data", {{"keys.json", toStd(b64)}}}};
        QVERIFY(await(client->create(kube::Resource::secrets(), QStringLiteral("default"), secret)).ok());
        auto p = providerFor(kube.kubeconfigPath(), QString(), QStringLiteral("default"),
                             QStringLiteral("k8-container-gate-keys"));
        QFile keysFile(fixturePath(QStringLiteral("k8-container-gate/keys.json")));
        QVERIFY(keysFile.open(QIODevice::ReadOnly));
        const QByteArray keysText = keysFile.readAll();
        auto keys = await(p->get(QStringLiteral("keys")));
        QVERIFY2(keys.ok(), qPrintable(keys.error().toString()));
        QVERIFY(keys->value == Json::parse(keysText.toStdString()));
        auto page = await(p->list({}));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 1);
        QCOMPARE(page->entries.first().key, QStringLiteral("keys"));

        std::unique_ptr<Watch> watch = p->watch(QString(), QString());
        EventLog log(watch.get());
        QSignalSpy ready(watch.get(), &Watch::ready);
        QVERIFY(ready.wait(15000));
        QVERIFY(await(p->put(keys.value(), Precondition::atRevision(keys->revision))).ok()); // unedited
        auto after = await(client->get(kube::Resource::secrets(), QStringLiteral("default"), QStringLiteral("k8-container-gate-keys")));
        QCOMPARE(toQString(after.value()["data"]["keys.json"].get<std::string>()), QString::fromLatin1(b64));
        QVERIFY(await(p->put(jsonEntry(QStringLiteral("rate-limits"), Json{{"alice:repo", {{"attempts", 1}}}}), {})).ok());
        QVERIFY(log.waitFor(1));
        Entry edited = await(p->get(QStringLiteral("keys"))).value();
        edited.value["hubot"] = Json::array();
        QVERIFY(await(p->put(edited, Precondition::atRevision(edited.revision))).ok());
        QVERIFY(await(p->remove(QStringLiteral("rate-limits"), {})).ok());
        QVERIFY2(log.waitFor(3), qPrintable(log.summary().join(QStringLiteral(", "))));
        QCOMPARE(log.summary(), (QStringList{"ADDED rate-limits", "MODIFIED keys", "DELETED rate-limits"}));
        // A stale revision of any key conflicts: the Secret moved on.
        auto stale = await(p->put(edited, Precondition::atRevision(keys->revision)));
        QCOMPARE(stale.error().kind, ErrorKind::Conflict);
        QVERIFY2(stale.error().message.contains(keys->revision), qPrintable(stale.error().toString()));
    }

    // The API server holds a Secret to 1 MiB across all its keys; a put or a
    // batch item that would pass that is refused before anything is sent,
    // naming the key, and the Secret stays as it was.
    void testSecretStoreLimit_data()
    {
        QTest::addColumn<bool>("batch");
        QTest::newRow("put") << false;
        QTest::newRow("putBatch") << true;
    }

    void testSecretStoreLimit()
    {
        QFETCH(bool, batch);
        KubeTestServer kube;
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        auto p = providerFor(kube.kubeconfigPath(), QString(), QStringLiteral("default"), QStringLiteral("gate"));
        QCOMPARE(p->capabilities().maxStoreBytes, qint64(1024 * 1024));
        QVERIFY(!p->capabilities().perKeyRevisions);
        const Json half{{"blob", std::string(600 * 1024, 'a')}};
        auto first = await(p->put(jsonEntry(QStringLiteral("first"), half), {}));
        QVERIFY2(first.ok(), qPrintable(first.error().toString()));
        const Json small{{"v", 1}};
        Result<Entry> refused;
        if (batch) {
            const BatchResult r = await(p->putBatch({BatchItem{jsonEntry(QStringLiteral("small"), small), {}},
                                                     BatchItem{jsonEntry(QStringLiteral("second"), half), {}}}));
            QCOMPARE(r.results.size(), 2);
            QVERIFY2(r.results[0].ok(), qPrintable(r.results[0].error().toString())); // fits, so it is written
            refused = r.results[1];
        } else {
            refused = await(p->put(jsonEntry(QStringLiteral("second"), half), {}));
        }
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().kind, ErrorKind::TooLarge);
        QVERIFY2(refused.error().where.contains(QLatin1String("second")) && refused.error().message.contains(QLatin1String("1 MiB")),
                 qPrintable(refused.error().toString()));
        auto secret = await(adminClient(kube)->get(kube::Resource::secrets(), QStringLiteral("default"), QStringLiteral("gate")));
        QVERIFY(secret.ok());
        QVERIFY(!secret.value()["data"].contains("second.json"));
        QCOMPARE(secret.value()["data"].contains("small.json"), batch);
    }
};

QTEST_GUILESS_MAIN(TestKubeProvider)
#include "tst_kube_provider.moc"
