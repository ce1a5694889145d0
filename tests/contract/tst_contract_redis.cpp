#include "ProviderContract.h"
#include "RedisTestServer.h"
#include "ServerProcess.h"

#include <QTest>

// The provider contract against a real redis-server, started once for the
// suite; every test case starts from an empty database (FLUSHALL). The
// server has KEYS renamed away, as hardened production servers do, so the
// whole suite also proves that statedeck never sends KEYS (it would fail
// with "unknown command").
class RedisContract : public sd::test::ProviderContract {
    Q_OBJECT
public:
    sd::StoreSpec freshStore(const QString &) override
    {
        if (!m_server) {
            m_server = std::make_unique<sd::test::RedisTestServer>(
                QStringList{QStringLiteral("--rename-command"), QStringLiteral("KEYS"), QString()});
            if (!m_server->start())
                qFatal("cannot start redis-server: %s", qPrintable(m_server->log()));
            if (m_server->query({"KEYS", "*"}))
                qFatal("redis-server still answers KEYS; the suite would not show that statedeck avoids it");
        }
        if (m_server->command({"FLUSHALL"}) != "+OK")
            qWarning("FLUSHALL failed");
        // A database other than 0, so SELECT is part of every run.
        return m_server->spec(3);
    }
    sd::StoreSpec unavailableStore(const QString &) override
    {
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("redis");
        spec.options.insert(QStringLiteral("host"), QStringLiteral("127.0.0.1"));
        spec.options.insert(QStringLiteral("port"), int(sd::test::freeLoopbackPort())); // nobody listens
        return spec;
    }

private:
    std::unique_ptr<sd::test::RedisTestServer> m_server;
};

QTEST_GUILESS_MAIN(RedisContract)
#include "tst_contract_redis.moc"
