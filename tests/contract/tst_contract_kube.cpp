#include "ProviderContract.h"
#include "providers/KubeTestHelpers.h"

#include <QTest>

// The provider contract against the Kubernetes ConfigMap store, on the API
// emulator over HTTPS (tests/servers/kube-emulator, KubeTestServer). Each
// test gets its own namespace.
class KubeContract : public sd::test::ProviderContract {
    Q_OBJECT
public:
    sd::StoreSpec freshStore(const QString &) override
    {
        if (!m_kube) {
            m_kube = std::make_unique<sd::test::KubeTestServer>();
            if (!m_kube->start())
                qFatal("the Kubernetes emulator did not start: %s", qPrintable(m_kube->log()));
        }
        const QString ns = QStringLiteral("contract-%1").arg(++m_namespaces);
        if (!sd::test::createNamespace(*m_kube, ns))
            qFatal("cannot create namespace %s", qPrintable(ns));
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("kubernetes");
        spec.options.insert(QStringLiteral("kubeconfig"), m_kube->kubeconfigPath());
        spec.options.insert(QStringLiteral("namespace"), ns);
        spec.options.insert(QStringLiteral("resource"), QStringLiteral("configmaps"));
        return spec;
    }

    sd::StoreSpec unavailableStore(const QString &) override
    {
        // Nothing listens there: the answer must be a clean Unavailable.
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("kubernetes");
        spec.options.insert(QStringLiteral("endpoint"),
                            QStringLiteral("http://127.0.0.1:%1").arg(sd::test::freeLoopbackPort()));
        spec.options.insert(QStringLiteral("token"), QStringLiteral("x"));
        spec.options.insert(QStringLiteral("namespace"), QStringLiteral("default"));
        spec.options.insert(QStringLiteral("resource"), QStringLiteral("configmaps"));
        return spec;
    }

    // ConfigMap names are RFC 1123 subdomains: other characters are spelled
    // as their code points, so distinct keys stay distinct.
    QString key(const QString &base) const override
    {
        QString out = QStringLiteral("k-");
        for (const QChar c : base) {
            if ((c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('0') && c <= QLatin1Char('9')))
                out += c;
            else
                out += QStringLiteral("-u%1-").arg(c.unicode(), 4, 16, QLatin1Char('0'));
        }
        while (out.endsWith(QLatin1Char('-')))
            out.chop(1);
        return out;
    }

    bool preservesKeyOrder() const override { return false; }

private:
    std::unique_ptr<sd::test::KubeTestServer> m_kube;
    int m_namespaces = 0;
};

QTEST_GUILESS_MAIN(KubeContract)
#include "tst_contract_kube.moc"
