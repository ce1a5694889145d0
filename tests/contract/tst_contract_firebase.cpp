#include "FirebaseTestServer.h"
#include "ProviderContract.h"

#include <QTest>

// The provider contract against the Firebase Realtime Database emulator
// (tests/servers/firebase-emulator), signed in with a service account whose
// key pair the suite makes with openssl. Each test gets its own database
// (?ns=), keys under the root "state" as a deployment would keep them.
class FirebaseContract : public sd::test::ProviderContract {
    Q_OBJECT
public:
    sd::StoreSpec freshStore(const QString &) override
    {
        if (!m_server) {
            m_server = std::make_unique<sd::test::FirebaseTestServer>();
            if (!m_server->start())
                qFatal("the Firebase emulator did not start: %s", qPrintable(m_server->log()));
        }
        m_ns = QStringLiteral("contract-%1").arg(++m_stores);
        return m_server->spec(m_ns, QStringLiteral("state"));
    }
    sd::StoreSpec unavailableStore(const QString &) override
    {
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("firebase");
        spec.options.insert(QStringLiteral("databaseUrl"),
                            QStringLiteral("http://127.0.0.1:%1").arg(sd::test::freeLoopbackPort()));
        spec.options.insert(QStringLiteral("projectId"), QStringLiteral("nowhere"));
        spec.options.insert(QStringLiteral("auth"), QStringLiteral("x"));
        return spec;
    }
    // Firebase keeps an object's members sorted by key.
    bool preservesKeyOrder() const override { return false; }
    // One multi-path PATCH, as an import would write them.
    bool seedDirectly(const QString &, const QList<QString> &keys) override
    {
        nlohmann::json patch = nlohmann::json::object();
        for (const QString &k : keys)
            patch[k.toStdString()] = {{"k", k.toStdString()}};
        const auto [status, body] = m_server->rest("PATCH", m_ns, QStringLiteral("/state"),
                                                   QByteArray::fromStdString(patch.dump()));
        if (status != 200)
            qWarning("seeding failed: %d %s", status, body.constData());
        return status == 200;
    }

private Q_SLOTS:
    void cleanupTestCase() { m_server.reset(); }

private:
    std::unique_ptr<sd::test::FirebaseTestServer> m_server;
    QString m_ns;
    int m_stores = 0;
};

QTEST_GUILESS_MAIN(FirebaseContract)
#include "tst_contract_firebase.moc"
