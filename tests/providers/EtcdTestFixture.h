#pragma once

// Real etcd servers for tests: single members or a loopback cluster, each in
// its own temporary directory on free loopback ports, stopped with the
// fixture (also when a test fails halfway).

#include "ServerProcess.h"
#include "TestSupport.h"
#include "model/Json.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTest>

#include <memory>

namespace sd::test {

class EtcdMember {
public:
    explicit EtcdMember(QString name = QStringLiteral("m0"))
        : m_name(std::move(name)), m_port(freeLoopbackPort()), m_peerPort(freeLoopbackPort()),
          m_process(std::make_unique<ServerProcess>(QStringLiteral("/usr/bin/etcd"), QStringList()))
    {
    }

    QString name() const { return m_name; }
    quint16 port() const { return m_port; }
    QString endpoint() const
    {
        return QStringLiteral("%1://127.0.0.1:%2").arg(m_tls ? QStringLiteral("https") : QStringLiteral("http")).arg(m_port);
    }
    // Serve clients over TLS only, with these PEM files; `clientCa`: demand
    // client certificates signed by it.
    void setTls(const QString &cert, const QString &key, const QString &clientCa)
    {
        m_tls = true;
        m_extraArgs << QStringLiteral("--cert-file") << cert << QStringLiteral("--key-file") << key
                    << QStringLiteral("--client-cert-auth") << QStringLiteral("--trusted-ca-file") << clientCa;
    }
    QString peerUrl() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_peerPort); }
    ServerProcess &process() { return *m_process; }

    // `cluster`: "name=peerUrl,..." of every member (this one alone if empty).
    bool start(const QString &cluster = QString())
    {
        const QString initial = cluster.isEmpty() ? m_name + QLatin1Char('=') + peerUrl() : cluster;
        m_process->setArguments(QStringList{QStringLiteral("--name"), m_name,
                                 QStringLiteral("--data-dir"), m_process->directory() + QStringLiteral("/data"),
                                 QStringLiteral("--listen-client-urls"), endpoint(),
                                 QStringLiteral("--advertise-client-urls"), endpoint(),
                                 QStringLiteral("--listen-peer-urls"), peerUrl(),
                                 QStringLiteral("--initial-advertise-peer-urls"), peerUrl(),
                                 QStringLiteral("--initial-cluster"), initial,
                                 QStringLiteral("--initial-cluster-token"), QStringLiteral("statedeck-test"),
                                 QStringLiteral("--initial-cluster-state"), QStringLiteral("new"),
                                 QStringLiteral("--max-request-bytes"), QStringLiteral("2097152"),
                                 QStringLiteral("--heartbeat-interval"), QStringLiteral("50"),
                                 QStringLiteral("--election-timeout"), QStringLiteral("500"),
                                 QStringLiteral("--log-level"), QStringLiteral("warn")}
                                + m_extraArgs);
        return m_process->start(m_port);
    }
    void stop() { m_process->stop(); }
    void setExtraArguments(QStringList args) { m_extraArgs = std::move(args); }
    void kill() { m_process->kill(); }

    // etcdctl against this member; false (with the output logged) on failure.
    bool etcdctl(const QStringList &args, QString *output = nullptr, const QStringList &auth = {})
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("ETCDCTL_API"), QStringLiteral("3"));
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral("/usr/bin/etcdctl"),
                QStringList{QStringLiteral("--endpoints=") + endpoint(), QStringLiteral("--command-timeout=10s")} + auth
                    + args);
        if (!p.waitForFinished(20000)) {
            p.kill();
            p.waitForFinished(2000);
            qWarning("etcdctl %s timed out", qPrintable(args.join(QLatin1Char(' '))));
            return false;
        }
        const QString out = QString::fromUtf8(p.readAll());
        if (output)
            *output = out;
        if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            qWarning("etcdctl %s failed: %s", qPrintable(args.join(QLatin1Char(' '))), qPrintable(out));
            return false;
        }
        return true;
    }

    // Writes keys straight through the gateway, 100 per txn, each holding
    // {"k": key}; for tests that need many keys fast.
    bool seed(const QString &root, const QList<QString> &keys)
    {
        QNetworkAccessManager nam;
        int pending = 0;
        bool allOk = true;
        QString prefix = root;
        while (prefix.endsWith(QLatin1Char('/')))
            prefix.chop(1);
        if (!prefix.isEmpty())
            prefix += QLatin1Char('/');
        for (qsizetype i = 0; i < keys.size(); i += 100) {
            Json ops = Json::array();
            for (qsizetype j = i; j < std::min(keys.size(), i + 100); ++j) {
                const Json value{{"k", keys[j].toStdString()}};
                ops.push_back(Json{{"request_put",
                                    Json{{"key", toStd((prefix + keys[j]).toUtf8().toBase64())},
                                         {"value", toStd(QByteArray::fromStdString(value.dump()).toBase64())}}}});
            }
            QNetworkRequest req(QUrl(endpoint() + QStringLiteral("/v3/kv/txn")));
            req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
            QNetworkReply *reply = nam.post(req, toBytes(Json{{"success", ops}}.dump()));
            ++pending;
            QObject::connect(reply, &QNetworkReply::finished, reply, [&pending, &allOk, reply] {
                if (reply->error() != QNetworkReply::NoError) {
                    qWarning("seeding etcd: %s", qPrintable(reply->errorString()));
                    allOk = false;
                }
                --pending;
                reply->deleteLater();
            });
        }
        return QTest::qWaitFor([&] { return pending == 0; }, 60000) && allOk;
    }

private:
    QString m_name;
    quint16 m_port;
    quint16 m_peerPort;
    std::unique_ptr<ServerProcess> m_process;
    QStringList m_extraArgs;
    bool m_tls = false;
};

} // namespace sd::test
