#include "KubeContract.h"

#include <QTest>

// The provider contract against the Kubernetes Secret store: every key in
// the one Secret seed 000's gate uses. One resourceVersion covers all keys
// (capabilities().perKeyRevisions is false) and the Secret holds at most
// 1 MiB (maxStoreBytes); the contract checks both as stated.
class KubeSecretContract : public sd::test::KubeContractBase {
    Q_OBJECT
public:
    KubeSecretContract() : KubeContractBase(Shape::OneSecret, QStringLiteral("k8-container-gate-keys")) {}

    // Secret data keys are letters, digits, '-', '_' and '.': other
    // characters are spelled as their code points, so distinct keys stay
    // distinct and a prefix stays a prefix.
    QString key(const QString &base) const override
    {
        QString out;
        for (const QChar c : base) {
            if (c.isLetterOrNumber() && c.unicode() < 0x80)
                out += c;
            else if (c == QLatin1Char('-') || c == QLatin1Char('.'))
                out += c;
            else
                out += QStringLiteral("_u%1_").arg(c.unicode(), 4, 16, QLatin1Char('0'));
        }
        return out;
    }

    // The Secret's data is the gate's base64 of JSON text: member order is kept.
    bool preservesKeyOrder() const override { return true; }

    // Ten thousand keys through put() would be ten thousand rewrites of one
    // Secret; the paging test gets them as the gate would have left them.
    bool seedDirectly(const QString &, const QList<QString> &keys) override
    {
        sd::Json data = sd::Json::object();
        for (const QString &k : keys) {
            const sd::Json value{{"k", sd::toStd(k)}};
            data[sd::toStd(k + QStringLiteral(".json"))] = sd::toStd(QString::fromLatin1(QByteArray::fromStdString(value.dump()).toBase64()));
        }
        auto client = sd::test::adminClient(*server());
        const sd::Json secret{{"metadata", {{"name", sd::toStd(secretName())}}}, {"type", "Opaque"}, {"data", data}};
        auto made = sd::test::await(client->create(sd::kube::Resource::secrets(), currentNamespace(), secret), 60000);
        if (!made.ok())
            qWarning("cannot seed the Secret: %s", qPrintable(made.error().toString()));
        return made.ok();
    }
};

QTEST_GUILESS_MAIN(KubeSecretContract)
#include "tst_contract_kube_secret.moc"
