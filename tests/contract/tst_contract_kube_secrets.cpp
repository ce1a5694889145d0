#include "KubeContract.h"

#include <QTest>

// The provider contract against the Kubernetes store of every Secret in a
// namespace (k8s://CONTEXT/NAMESPACE/secrets): one Secret per key, its
// value the Secret's data decoded, written back base64-encoded with the
// Secret's resourceVersion as the precondition.
class KubeSecretsContract : public sd::test::KubeContractBase {
    Q_OBJECT
public:
    KubeSecretsContract() : KubeContractBase(Shape::Secrets) {}

    // The API server returns a Secret's data as a map sorted by key.
    bool preservesKeyOrder() const override { return false; }
};

QTEST_GUILESS_MAIN(KubeSecretsContract)
#include "tst_contract_kube_secrets.moc"
