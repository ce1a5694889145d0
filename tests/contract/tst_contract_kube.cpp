#include "KubeContract.h"

#include <QTest>

// The provider contract against the Kubernetes ConfigMap store: one
// ConfigMap per key.
class KubeContract : public sd::test::KubeContractBase {
    Q_OBJECT
public:
    bool preservesKeyOrder() const override { return false; }
};

QTEST_GUILESS_MAIN(KubeContract)
#include "tst_contract_kube.moc"
