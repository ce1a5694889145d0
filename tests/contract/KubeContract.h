#pragma once

// The provider contract on the Kubernetes API emulator over HTTPS
// (tests/servers/kube-emulator, KubeTestServer), one namespace per test, in
// any of the provider's shapes: ConfigMaps, every Secret, or seed 000's one
// Secret.

#include "ProviderContract.h"
#include "providers/KubeTestHelpers.h"

namespace sd::test {

class KubeContractBase : public ProviderContract {
public:
    enum class Shape { ConfigMaps, Secrets, OneSecret };
    // ConfigMaps; every Secret; or the Secret store of `secretName`.
    explicit KubeContractBase(Shape shape = Shape::ConfigMaps, QString secretName = {})
        : m_shape(shape), m_secretName(std::move(secretName))
    {
    }

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

    // ConfigMap and Secret names are RFC 1123 subdomains: other characters
    // are spelled as their code points, so distinct keys stay distinct. (The
    // one-Secret store's data keys have their own rule: it overrides this.)
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
        spec.options.insert(QStringLiteral("resource"), m_shape == Shape::ConfigMaps ? QStringLiteral("configmaps")
                                                                                      : QStringLiteral("secrets"));
        if (m_shape == Shape::OneSecret)
            spec.options.insert(QStringLiteral("secretName"), m_secretName);
        return spec;
    }

    Shape m_shape;
    QString m_secretName;
    std::unique_ptr<KubeTestServer> m_kube;
    QString m_namespace;
    int m_namespaces = 0;
};

} // namespace sd::test
