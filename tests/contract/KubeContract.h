#pragma once

// The provider contract on the Kubernetes API emulator over HTTPS
// (tests/servers/kube-emulator, KubeTestServer), one namespace per test, in
// either of the provider's shapes: ConfigMaps, or seed 000's one Secret.

#include "ProviderContract.h"
#include "providers/KubeTestHelpers.h"

namespace sd::test {

class KubeContractBase : public ProviderContract {
public:
    // Empty: the ConfigMap store; else the Secret store of that name.
    explicit KubeContractBase(QString secretName = {}) : m_secretName(std::move(secretName)) {}

    StoreSpec freshStore(const QString &) override
    {
        if (!m_kube) {
            m_kube = std::make_unique<KubeTestServer>();
            if (!m_kube->start())
                qFatal("the Kubernetes emulator did not start: %s", qPrintable(m_kube->log()));
        }
        m_namespace = QStringLiteral("contract-%1").arg(++m_namespaces);
        if (!createNamespace(*m_kube, m_namespace))
            qFatal("cannot create namespace %s", qPrintable(m_namespace));
        StoreSpec spec = base();
        spec.options.insert(QStringLiteral("kubeconfig"), m_kube->kubeconfigPath());
        spec.options.insert(QStringLiteral("namespace"), m_namespace);
        return spec;
    }

    StoreSpec unavailableStore(const QString &) override
    {
        // Nothing listens there: the answer must be a clean Unavailable.
        StoreSpec spec = base();
        spec.options.insert(QStringLiteral("endpoint"), QStringLiteral("http://127.0.0.1:%1").arg(freeLoopbackPort()));
        spec.options.insert(QStringLiteral("token"), QStringLiteral("x"));
        spec.options.insert(QStringLiteral("namespace"), QStringLiteral("default"));
        return spec;
    }

protected:
    KubeTestServer *server() const { return m_kube.get(); }
    QString currentNamespace() const { return m_namespace; }
    QString secretName() const { return m_secretName; }

private:
    StoreSpec base() const
    {
        StoreSpec spec;
        spec.backend = QStringLiteral("kubernetes");
        if (m_secretName.isEmpty()) {
            spec.options.insert(QStringLiteral("resource"), QStringLiteral("configmaps"));
        } else {
            spec.options.insert(QStringLiteral("resource"), QStringLiteral("secrets"));
            spec.options.insert(QStringLiteral("secretName"), m_secretName);
        }
        return spec;
    }

    QString m_secretName;
    std::unique_ptr<KubeTestServer> m_kube;
    QString m_namespace;
    int m_namespaces = 0;
};

} // namespace sd::test
