#include "KubeContract.h"

#include <QTest>

// The provider contract against the Kubernetes ConfigMap store: one
// ConfigMap per key.
class KubeContract : public sd::test::KubeContractBase {
    Q_OBJECT
public:
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
};

QTEST_GUILESS_MAIN(KubeContract)
#include "tst_contract_kube.moc"
