#include "ProviderContract.h"
#include "providers/EtcdTestFixture.h"

#include <QTest>

// The provider contract against one real etcd member on loopback, started
// once for the suite. Each test gets its own root (key prefix), which is an
// empty logical store; the two-process test's helpers get the same options.
class EtcdContract : public sd::test::ProviderContract {
    Q_OBJECT
public:
    sd::StoreSpec freshStore(const QString &) override
    {
        if (!m_server) {
            m_server = std::make_unique<sd::test::EtcdMember>();
            if (!m_server->start())
                qFatal("cannot start etcd for the contract suite");
        }
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("etcd");
        spec.options.insert(QStringLiteral("endpoints"), m_server->endpoint());
        spec.options.insert(QStringLiteral("root"), QStringLiteral("/contract/t%1").arg(++m_stores));
        m_root = spec.options.value(QStringLiteral("root")).toString();
        return spec;
    }
    sd::StoreSpec unavailableStore(const QString &) override
    {
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("etcd");
        spec.options.insert(QStringLiteral("endpoints"),
                            QStringLiteral("http://127.0.0.1:%1").arg(sd::test::freeLoopbackPort()));
        return spec;
    }
    bool seedDirectly(const QString &, const QList<QString> &keys) override
    {
        return m_server && m_server->seed(m_root, keys);
    }

private Q_SLOTS:
    void cleanupTestCase() { m_server.reset(); }

private:
    std::unique_ptr<sd::test::EtcdMember> m_server;
    QString m_root;
    int m_stores = 0;
};

QTEST_GUILESS_MAIN(EtcdContract)
#include "tst_contract_etcd.moc"
