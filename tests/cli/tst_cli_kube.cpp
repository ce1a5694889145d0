// statedeckctl on k8s:// stores, as a user runs it, against the Kubernetes
// API emulator over HTTPS: compare-and-swap conflicts with both revisions,
// live watches (Secret values masked unless --reveal), locks held as Leases
// while a command runs, a seed 000 endpoint connection, and failures that
// print no result.
#include "TestSupport.h"
#include "providers/KubeTestHelpers.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::test;

namespace {

const QString kSecretName = QStringLiteral("k8-container-gate-keys");
const QString kNamespace = QStringLiteral("cli");
const QString kSecretsNamespace = QStringLiteral("cli-secrets");

QList<Json> jsonLines(const QByteArray &out)
{
    QList<Json> lines;
    for (const QByteArray &line : out.split('\n'))
        if (!line.trimmed().isEmpty())
            lines << Json::parse(line.toStdString(), nullptr, false);
    return lines;
}

std::string b64(const QByteArray &bytes)
{
    return bytes.toBase64().toStdString();
}

QString str(const Json &j, const char *key)
{
    return j.is_object() && j.contains(key) && j[key].is_string() ? toQString(j[key].get<std::string>()) : QString();
}

} // namespace

class TestCliKube : public QObject {
    Q_OBJECT

    struct Run {
        int code = -1;
        QByteArray out;
        QByteArray err;
        QByteArray describe() const { return "exit " + QByteArray::number(code) + "\nstdout: " + out + "\nstderr: " + err; }
    };

    QProcessEnvironment env(const QString &kubeconfig = {}) const
    {
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(QStringLiteral("KUBECONFIG"), kubeconfig.isEmpty() ? m_kube.kubeconfigPath() : kubeconfig);
        e.insert(QStringLiteral("XDG_DATA_HOME"), m_home.filePath(QStringLiteral("data")));
        e.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.filePath(QStringLiteral("config")));
        for (const char *name : {"KUBERNETES_CLUSTER_ENDPOINT", "KUBERNETES_CLUSTER_USER_TOKEN",
                                 "KUBERNETES_CLUSTER_NAMESPACE", "KUBERNETES_CLUSTER_CERTIFICATE", "RATE_LIMIT_ENABLED"})
            e.remove(QString::fromLatin1(name));
        return e;
    }

    Run ctl(const QStringList &args, const QByteArray &input = {}, const QString &kubeconfig = {})
    {
        QProcess p;
        p.setProcessEnvironment(env(kubeconfig));
        p.start(m_ctl, args);
        p.write(input);
        p.closeWriteChannel();
        Run r;
        if (!p.waitForFinished(45000)) {
            p.kill();
            p.waitForFinished(5000);
            r.err = "statedeckctl did not finish within 45 s";
            return r;
        }
        r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }

    // A namespace of Secrets as others left them: text, bytes that are no
    // text, a label, a type.
    bool seedSecretsNamespace()
    {
        if (m_secretsSeeded)
            return true;
        if (!createNamespace(m_kube, kSecretsNamespace))
            return false;
        auto admin = adminClient(m_kube);
        const Json creds{{"metadata", {{"name", "db-creds"}, {"labels", {{"app", "db"}}}}},
                         {"type", "Opaque"},
                         {"data", {{"password", b64("hunter2-SecretText")},
                                   {"blob", "/wD+"}}}};
        const Json tls{{"metadata", {{"name", "tls-pair"}}},
                       {"type", "kubernetes.io/tls"},
                       {"data", {{"tls.crt", "LS0tLS1CRUdJTg=="}, {"tls.key", "LS0tLS1CRUdJTg=="}}}};
        for (const Json &secret : {creds, tls})
            if (!await(admin->create(kube::Resource::secrets(), kSecretsNamespace, secret)).ok())
                return false;
        m_secretsSeeded = true;
        return true;
    }

    static QString configMaps() { return QStringLiteral("k8s://admin/%1/configmaps").arg(kNamespace); }
    static QString secret() { return QStringLiteral("k8s://admin/%1/secrets/%2").arg(kNamespace, kSecretName); }
    // Every Secret of the namespace, one entry each.
    static QString secrets() { return QStringLiteral("k8s://admin/%1/secrets").arg(kNamespace); }

private Q_SLOTS:
    void initTestCase()
    {
        m_ctl = builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY2(!m_ctl.isEmpty(), "statedeckctl was not built");
        QVERIFY(m_home.isValid());
        QVERIFY2(m_kube.start(), qPrintable(m_kube.log()));
        QVERIFY(createNamespace(m_kube, kNamespace));
    }

    // put --if-revision against a stale revision exits 4 and says both the
    // revision the writer held and the one the store has; nothing changes.
    void testPutIfRevisionConflict_data()
    {
        QTest::addColumn<QString>("store");
        QTest::addColumn<QString>("key");
        QTest::newRow("ConfigMap") << configMaps() << "cas-deploy";
        QTest::newRow("Secret") << secret() << "cas-keys";
        QTest::newRow("Secrets") << secrets() << "cas-secret";
    }

    void testPutIfRevisionConflict()
    {
        QFETCH(QString, store);
        QFETCH(QString, key);
        Run r = ctl({"--store", store, "put", key, "-", "-o", "json"}, R"({"v":"1"})");
        QVERIFY2(r.code == 0, r.describe().constData());
        const QString first = str(Json::parse(r.out.toStdString()), "revision");
        r = ctl({"--store", store, "put", key, "-", "--if-revision", first, "-o", "json"}, R"({"v":"2"})");
        QVERIFY2(r.code == 0, r.describe().constData());
        const QString second = str(Json::parse(r.out.toStdString()), "revision");
        QVERIFY(!first.isEmpty() && !second.isEmpty() && first != second);

        for (const QString &verb : {QStringLiteral("put"), QStringLiteral("patch")}) {
            r = ctl({"--store", store, verb, key, "-", "--if-revision", first}, R"({"v":"3"})");
            QVERIFY2(r.code == 4, r.describe().constData());
            QVERIFY2(r.out.isEmpty(), r.describe().constData());
            const QString err = QString::fromUtf8(r.err);
            const QRegularExpression both(QStringLiteral("expected revision %1\\b.*\\b%2\\b").arg(first, second));
            QVERIFY2(err.contains(both), r.describe().constData());
            QVERIFY2(err.contains(QLatin1String("hint: read the key again")), r.describe().constData());
        }
        r = ctl({"--store", store, "get", key, "--reveal", "-o", "json"});
        QVERIFY2(r.code == 0, r.describe().constData());
        const Json now = Json::parse(r.out.toStdString());
        QCOMPARE(now["value"], (Json{{"v", "2"}}));
        QCOMPARE(str(now, "revision"), second);
    }

    // `watch -o json` prints each change as it happens. A ConfigMap watch
    // from a revision replays exactly what followed it; a Secret's values
    // stay masked unless --reveal is given.
    void testWatchSeesWrites_data()
    {
        QTest::addColumn<QString>("store");
        QTest::addColumn<bool>("reveal");
        QTest::newRow("ConfigMaps") << configMaps() << false;
        QTest::newRow("Secret, masked") << secret() << false;
        QTest::newRow("Secret, --reveal") << secret() << true;
        QTest::newRow("Secrets, masked") << secrets() << false;
        QTest::newRow("Secrets, --reveal") << secrets() << true;
    }

    void testWatchSeesWrites()
    {
        QFETCH(QString, store);
        QFETCH(bool, reveal);
        // Both Secret stores mask values; the store of every Secret replays
        // history from a revision as the ConfigMap store does, the one-Secret
        // store resyncs.
        const bool isSecret = store.contains(QLatin1String("/secrets"));
        const bool replays = !store.contains(QLatin1String("/secrets/"));
        const QString key = QStringLiteral("watched-")
                            + QString::fromLatin1(QTest::currentDataTag()).toLower().remove(QRegularExpression(QStringLiteral("[^a-z]")));
        const QByteArray plaintext = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIWatch";
        // A known starting point: an entry written before the watch starts.
        Run r = ctl({"--store", store, "put", QStringLiteral("before-") + key, "-", "-o", "json"}, R"({"n":"0"})");
        QVERIFY2(r.code == 0, r.describe().constData());
        const QString from = str(Json::parse(r.out.toStdString()), "revision");

        QStringList args{"--store", store, "watch", key, "--from-revision", from, "-o", "json", "--timeout", "60"};
        if (reveal)
            args << QStringLiteral("--reveal");
        QProcess watch;
        watch.setProcessEnvironment(env());
        watch.start(m_ctl, args);
        QVERIFY(watch.waitForStarted(10000));
        auto stop = qScopeGuard([&] {
            watch.kill();
            watch.waitForFinished(5000);
        });
        QByteArray out;
        auto eventFor = [&](const QString &type) -> Json {
            out += watch.readAllStandardOutput();
            for (const Json &j : jsonLines(out))
                if (str(j, "key") == key && str(j, "type") == type)
                    return j;
            return Json();
        };
        auto writeAndSee = [&](const QStringList &command, const QByteArray &input, const QStringList &types) -> Json {
            const Run w = ctl(QStringList{"--store", store} + command, input);
            if (w.code != 0)
                qWarning("%s", w.describe().constData());
            Json seen;
            // A Secret watch that starts after a write shows it as ADDED in
            // its resync; one that was already open, as the write itself.
            (void)QTest::qWaitFor([&] { // the caller checks what was seen
                for (const QString &t : types)
                    if (!(seen = eventFor(t)).is_null())
                        return true;
                return false;
            }, 20000);
            return seen;
        };
        const Json v1{{"keys", {{"octocat", {toStd(QString::fromLatin1(plaintext))}}}}};
        const Json added = writeAndSee({"put", key, "-"}, QByteArray::fromStdString(v1.dump()), {"ADDED", "MODIFIED"});
        QVERIFY2(!added.is_null(), out.constData());
        const Json v2{{"keys", {{"octocat", {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISecond"}}}}};
        const Json modified = writeAndSee({"put", key, "-"}, QByteArray::fromStdString(v2.dump()), {"MODIFIED"});
        QVERIFY2(!modified.is_null(), out.constData());
        const Json deleted = writeAndSee({"rm", key, "--yes"}, {}, {"DELETED"});
        QVERIFY2(!deleted.is_null(), out.constData());
        QVERIFY(!deleted.contains("value"));

        const bool masked = isSecret && !reveal;
        if (masked) {
            for (const Json &j : {added, modified})
                QVERIFY2(str(j, "value").startsWith(QLatin1String("*** (hidden: a secret; pass --reveal")), out.constData());
            QVERIFY2(!out.contains("ssh-ed25519"), out.constData());
        } else {
            QCOMPARE(added["value"], v1);
            QCOMPARE(modified["value"], v2);
        }
        // The watch is still running: it ends on --timeout or a signal only.
        QCOMPARE(watch.state(), QProcess::Running);
        if (replays) {
            // A ConfigMap watch from a revision replays history exactly: the
            // three writes, in order, and nothing else under the prefix.
            QStringList types;
            for (const Json &j : jsonLines(out))
                types << str(j, "type");
            QCOMPARE(types, (QStringList{"ADDED", "MODIFIED", "DELETED"}));
        }
    }

    // The store of every Secret (k8s://CONTEXT/NAMESPACE/secrets): `ls` and
    // `get` show one entry per Secret with its data keys decoded (bytes that
    // are not text as {"base64": ...}), masked unless --reveal.
    void testSecretsStoreMasksValues_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("reveal");
        const QList<QStringList> commands{{"ls", "--values", "-o", "json"}, {"ls", "--values", "-o", "yaml"},
                                          {"ls"}, {"get", "db-creds", "-o", "json"}, {"get", "db-creds", "-o", "yaml"},
                                          {"get", "db-creds", "-o", "value"}};
        for (const QStringList &c : commands) {
            QTest::addRow("%s", qPrintable(c.join(QLatin1Char(' ')))) << c << false;
            QTest::addRow("%s --reveal", qPrintable(c.join(QLatin1Char(' ')))) << c << true;
        }
    }

    void testSecretsStoreMasksValues()
    {
        QFETCH(QStringList, args);
        QFETCH(bool, reveal);
        QVERIFY(seedSecretsNamespace());
        const QString store = QStringLiteral("k8s://admin/%1/secrets").arg(kSecretsNamespace);
        const Run r = ctl(QStringList{"--store", store} + args + (reveal ? QStringList{"--reveal"} : QStringList{}));
        QVERIFY2(r.code == 0, r.describe().constData());
        if (args.first() == QLatin1String("ls"))
            QVERIFY2(r.out.contains("db-creds") && r.out.contains("tls-pair"), r.describe().constData());
        const bool showsValues = args.contains(QLatin1String("--values")) || args.first() == QLatin1String("get");
        if (reveal && showsValues) {
            QVERIFY2(r.out.contains("hunter2-SecretText"), r.describe().constData());
            QVERIFY2(r.out.contains("/wD+"), r.describe().constData()); // the binary key, base64-marked
        } else {
            QVERIFY2(!r.out.contains("hunter2-SecretText") && !r.err.contains("hunter2-SecretText"),
                     r.describe().constData());
        }
        if (!reveal && showsValues)
            QVERIFY2(r.out.contains("--reveal"), r.describe().constData());
    }

    // A Secret's value read with --reveal and written back unchanged (a
    // compare-and-swap on its resourceVersion) leaves the Secret's bytes,
    // binary data, type and labels as they were; a stale revision is a
    // conflict that names the key.
    void testSecretsStoreRoundTrip()
    {
        QVERIFY(seedSecretsNamespace());
        const QString store = QStringLiteral("k8s://admin/%1/secrets").arg(kSecretsNamespace);
        auto admin = adminClient(m_kube);
        auto before = await(admin->get(kube::Resource::secrets(), kSecretsNamespace, QStringLiteral("db-creds")));
        QVERIFY(before.ok());
        Run r = ctl({"--store", store, "get", "db-creds", "--reveal", "-o", "json"});
        QVERIFY2(r.code == 0, r.describe().constData());
        const Json got = Json::parse(r.out.toStdString());
        QCOMPARE(str(got, "revision"), toQString(before.value()["metadata"]["resourceVersion"].get<std::string>()));
        QCOMPARE(got["value"]["blob"], (Json{{"base64", "/wD+"}}));
        r = ctl({"--store", store, "put", "db-creds", "-", "--if-revision", str(got, "revision"), "-o", "json"},
                QByteArray::fromStdString(got["value"].dump()));
        QVERIFY2(r.code == 0, r.describe().constData());
        auto after = await(admin->get(kube::Resource::secrets(), kSecretsNamespace, QStringLiteral("db-creds")));
        QVERIFY(after.ok());
        QCOMPARE(after.value()["data"], before.value()["data"]);
        QCOMPARE(after.value()["type"], before.value()["type"]);
        QCOMPARE(after.value()["metadata"]["labels"], before.value()["metadata"]["labels"]);

        // Another writer changes the Secret: the revision read is stale.
        Json theirs = after.value();
        theirs["data"]["note"] = b64("theirs");
        auto changed = await(admin->update(kube::Resource::secrets(), kSecretsNamespace, theirs));
        QVERIFY2(changed.ok(), qPrintable(changed.error().toString()));
        r = ctl({"--store", store, "put", "db-creds", "-", "--if-revision", str(got, "revision")}, R"({"password":"x"})");
        QVERIFY2(r.code == 4, r.describe().constData());
        QVERIFY2(r.err.contains("key \"db-creds\""), r.describe().constData());
        auto unchanged = await(admin->get(kube::Resource::secrets(), kSecretsNamespace, QStringLiteral("db-creds")));
        QCOMPARE(unchanged.value()["data"], changed.value()["data"]);
    }

    // `lock NAME -- CMD` holds the Lease NAME while CMD runs: the holder,
    // duration and fencing token are on the server, a second `lock` gets
    // exit 4 naming the holder, and the Lease is released with CMD's exit code.
    void testLockHoldsLeaseWhileCommandRuns()
    {
        const QString lease = QStringLiteral("nightly-backup");
        QProcess holder;
        holder.setProcessEnvironment(env());
        holder.start(m_ctl, {"--store", configMaps(), "lock", lease, "--ttl", "30", "--", "sh", "-c",
                             "echo token=$STATEDECK_FENCING_TOKEN name=$STATEDECK_LOCK_NAME; read line; exit 7"});
        QVERIFY(holder.waitForStarted(10000));
        auto stop = qScopeGuard([&] {
            holder.kill();
            holder.waitForFinished(5000);
        });
        QByteArray said;
        QTRY_VERIFY_WITH_TIMEOUT((said += holder.readAllStandardOutput()).contains('\n'), 20000);
        static const QRegularExpression line(QStringLiteral("^token=(\\d+) name=(\\S+)\n"));
        const auto m = line.match(QString::fromUtf8(said));
        QVERIFY2(m.hasMatch(), said.constData());
        const quint64 token = m.captured(1).toULongLong();
        QCOMPARE(m.captured(2), lease);

        auto admin = adminClient(m_kube);
        auto held = await(admin->get(kube::Resource::leases(), kNamespace, lease));
        QVERIFY2(held.ok(), qPrintable(held.error().toString()));
        const QString holderIdentity = str(held.value()["spec"], "holderIdentity");
        QVERIFY(!holderIdentity.isEmpty());
        QCOMPARE(held.value()["spec"]["leaseDurationSeconds"], Json(30));
        QCOMPARE(str(held.value()["metadata"]["annotations"], "statedeck.io/fencing-token"), QString::number(token));

        const Run busy = ctl({"--store", configMaps(), "lock", lease, "--", "true"});
        QVERIFY2(busy.code == 4, busy.describe().constData());
        QVERIFY2(busy.err.contains(QByteArray("held by " + holderIdentity.toUtf8())), busy.describe().constData());

        holder.write("done\n");
        holder.closeWriteChannel();
        QVERIFY(holder.waitForFinished(20000));
        QCOMPARE(holder.exitCode(), 7); // the command's own exit code
        auto released = await(admin->get(kube::Resource::leases(), kNamespace, lease));
        QVERIFY(released.ok());
        QVERIFY(str(released.value()["spec"], "holderIdentity").isEmpty());

        const Run next = ctl({"--store", configMaps(), "lock", lease, "--", "sh", "-c", "echo $STATEDECK_FENCING_TOKEN"});
        QVERIFY2(next.code == 0, next.describe().constData());
        QVERIFY(next.out.trimmed().toULongLong() > token);
    }

    // A failed `ls` says why on stderr and prints nothing on stdout: an
    // empty "[]" would read as "no keys".
    void testFailedListPrintsNoResult_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("cause");
        QTest::newRow("json, forbidden") << "json" << "forbidden";
        QTest::newRow("yaml, forbidden") << "yaml" << "forbidden";
        QTest::newRow("table, forbidden") << "table" << "forbidden";
        QTest::newRow("json, unreachable") << "json" << "unreachable";
        QTest::newRow("yaml, unreachable") << "yaml" << "unreachable";
    }

    void testFailedListPrintsNoResult()
    {
        QFETCH(QString, format);
        QFETCH(QString, cause);
        const QString server = cause == QLatin1String("forbidden")
                                   ? m_kube.baseUrl()
                                   : QStringLiteral("https://127.0.0.1:%1").arg(freeLoopbackPort());
        const QString kubeconfig = writeKubeconfig(m_kube, QStringLiteral("ls-%1").arg(cause), server,
                                                   tokenUser(m_kube.noAccessToken()));
        const Run r = ctl({"--store", configMaps().replace(QLatin1String("k8s://admin/"), QLatin1String("k8s:///")), "ls",
                           "--values", "-o", format},
                          {}, kubeconfig);
        QVERIFY2(r.code == 1, r.describe().constData());
        QVERIFY2(r.out.isEmpty(), r.describe().constData());
        QVERIFY2(r.err.contains("statedeckctl: error:"), r.describe().constData());
        if (cause == QLatin1String("forbidden"))
            QVERIFY2(r.err.contains("not allowed to list configmaps"), r.describe().constData());
        else
            QVERIFY2(r.err.contains("cannot reach the API server"), r.describe().constData());

        // An empty listing that worked is still an empty result.
        const QString emptyNs = QStringLiteral("empty-%1-%2").arg(format, cause);
        QVERIFY(createNamespace(m_kube, emptyNs));
        const Run empty = ctl({"--store", QStringLiteral("k8s://admin/%1/configmaps").arg(emptyNs), "ls", "-o", format});
        QVERIFY2(empty.code == 0, empty.describe().constData());
        if (format != QLatin1String("table"))
            QCOMPARE(empty.out, QByteArray("[]\n"));
    }

    // A connections.yaml entry with seed 000's endpoint, token and the
    // cluster's CA reaches the gate's Secret over verified TLS.
    // Secret values never reach a terminal or a backup in clear (issue 18):
    // a dry run of an encrypted snapshot masks its diff, and the values an
    // import overwrites in a Secret are backed up sealed with the snapshot's
    // passphrase, or not overwritten at all.
    void testSecretValuesStayMaskedAndSealed()
    {
        const QString store = QStringLiteral("k8s://admin/%1/secrets/hardening-keys").arg(kNamespace);
        const QString local = QStringLiteral("sqlite://") + m_home.filePath(QStringLiteral("hardening.db"));
        const QString pass = m_home.filePath(QStringLiteral("hardening-pass.txt"));
        QFile pf(pass);
        QVERIFY(pf.open(QIODevice::WriteOnly));
        pf.write("correct horse\n");
        pf.close();
        Run r = ctl({"--store", store, "put", "a", "-"}, R"({"token":"SecretInJsonAAA"})");
        QVERIFY2(r.code == 0, r.describe().constData());
        const QString snap = m_home.filePath(QStringLiteral("hardening.snap"));
        r = ctl({"--store", store, "export", "-o", snap, "--passphrase-file", pass});
        QVERIFY2(r.code == 0, r.describe().constData());
        r = ctl({"--store", local, "put", "a", "-"}, R"({"token":"DifferentLocalCCC"})");
        QVERIFY2(r.code == 0, r.describe().constData());

        // The dry run into a store that is not secret still masks both sides.
        r = ctl({"--store", local, "import", snap, "--dry-run", "--on-conflict", "overwrite", "--passphrase-file", pass});
        QVERIFY2(r.code == 0, r.describe().constData());
        QVERIFY2(r.out.contains("a"), r.describe().constData());
        QVERIFY2(!r.out.contains("SecretInJsonAAA") && !r.err.contains("SecretInJsonAAA"), r.describe().constData());
        QVERIFY2(!r.out.contains("DifferentLocalCCC") && !r.err.contains("DifferentLocalCCC"), r.describe().constData());
        // A plain export of a Secret is marked so, and masked the same way.
        const QString plain = m_home.filePath(QStringLiteral("hardening-plain.snap"));
        r = ctl({"--store", store, "export", "-o", plain});
        QVERIFY2(r.code == 0, r.describe().constData());
        r = ctl({"--store", local, "import", plain, "--dry-run", "--on-conflict", "overwrite"});
        QVERIFY2(r.code == 0, r.describe().constData());
        QVERIFY2(!r.out.contains("SecretInJsonAAA") && !r.out.contains("DifferentLocalCCC"), r.describe().constData());

        // Overwriting the Secret: the backup is sealed with the passphrase.
        r = ctl({"--store", store, "put", "a", "-"}, R"({"token":"OldSecretBBB"})");
        QVERIFY2(r.code == 0, r.describe().constData());
        const QString backups = m_home.filePath(QStringLiteral("hardening-backups"));
        r = ctl({"--store", store, "import", snap, "--on-conflict", "overwrite", "--passphrase-file", pass,
                 "--backup-dir", backups});
        QVERIFY2(r.code == 0, r.describe().constData());
        const QStringList files = QDir(backups).entryList(QDir::Files);
        QCOMPARE(files.size(), 1);
        QFile backup(QDir(backups).filePath(files.first()));
        QVERIFY(backup.open(QIODevice::ReadOnly));
        const QByteArray sealed = backup.readAll();
        QVERIFY2(!sealed.contains("OldSecretBBB"), sealed.constData());
        QVERIFY(sealed.contains("aes-256-gcm"));
        // ... and opens with the same passphrase.
        const QString restored = QStringLiteral("sqlite://") + m_home.filePath(QStringLiteral("restored.db"));
        r = ctl({"--store", restored, "import", backup.fileName(), "--passphrase-file", pass});
        QVERIFY2(r.code == 0, r.describe().constData());
        r = ctl({"--store", restored, "get", "a", "-o", "value"});
        QVERIFY2(r.out.contains("OldSecretBBB"), r.describe().constData());

        // A plain snapshot and no passphrase: refused, and nothing changes.
        const QString clear = m_home.filePath(QStringLiteral("hardening-clear.snap"));
        r = ctl({"--store", local, "export", "-o", clear});
        QVERIFY2(r.code == 0, r.describe().constData());
        r = ctl({"--store", store, "import", clear, "--on-conflict", "overwrite", "--backup-dir", backups});
        QVERIFY2(r.code != 0, r.describe().constData());
        QVERIFY2(r.err.contains("written in clear") && r.err.contains("--passphrase-file"), r.describe().constData());
        r = ctl({"--store", store, "get", "a", "--reveal", "-o", "value"});
        QVERIFY2(r.out.contains("SecretInJsonAAA"), r.describe().constData());
        QCOMPARE(QDir(backups).entryList(QDir::Files).size(), 1);

        // A migration has no passphrase: it refuses to overwrite secrets.
        r = ctl({"migrate", "--from", local, "--to", store, "--on-conflict", "overwrite"});
        QVERIFY2(r.code != 0, r.describe().constData());
        QVERIFY2(r.err.contains("written in clear"), r.describe().constData());
    }

    void testEndpointConnection()
    {
        const QString config = m_home.filePath(QStringLiteral("config/statedeck/connections.yaml"));
        QDir().mkpath(QFileInfo(config).absolutePath());
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("connections:\n  gate:\n    backend: kubernetes\n    options:\n"
                "      secretName: " + kSecretName.toUtf8() + "\n      namespace: " + kNamespace.toUtf8()
                + "\n      endpoint: 127.0.0.1:" + QByteArray::number(portOf(m_kube.baseUrl()))
                + "\n      token: ${GATE_TOKEN}\n      certificateAuthority: " + m_kube.caFile().toUtf8() + "\n");
        f.close();
        QProcessEnvironment e = env(QStringLiteral("/nonexistent/kubeconfig"));
        e.insert(QStringLiteral("GATE_TOKEN"), m_kube.adminToken());
        QProcess p;
        p.setProcessEnvironment(e);
        p.start(m_ctl, {"--connection", "gate", "put", "via-endpoint", "-"});
        p.write(R"({"ok":true})");
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(30000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        auto got = await(adminClient(m_kube)->get(kube::Resource::secrets(), kNamespace, kSecretName));
        QVERIFY(got.ok());
        QVERIFY(got.value()["data"].contains("via-endpoint.json"));
    }

private:
    QTemporaryDir m_home;
    QString m_ctl;
    KubeTestServer m_kube;
    bool m_secretsSeeded = false;
};

QTEST_GUILESS_MAIN(TestCliKube)
#include "tst_cli_kube.moc"
