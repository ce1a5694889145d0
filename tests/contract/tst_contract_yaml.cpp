#include "ProviderContract.h"

#include <QDir>
#include <QFile>
#include <QTest>

// The provider contract against seed 004's state/ directory of YAML files.
class YamlContract : public sd::test::ProviderContract {
    Q_OBJECT
public:
    sd::StoreSpec freshStore(const QString &dir) override
    {
        QDir(dir).mkpath(QStringLiteral("state"));
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("yaml");
        spec.options.insert(QStringLiteral("path"), QString(dir + QStringLiteral("/state")));
        return spec;
    }
    sd::StoreSpec unavailableStore(const QString &dir) override
    {
        // The "directory" is a regular file: nothing can be read or written.
        const QString blocker = dir + QStringLiteral("/not-a-directory");
        QFile f(blocker);
        if (f.open(QIODevice::WriteOnly))
            f.write("x");
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("yaml");
        spec.options.insert(QStringLiteral("path"), QString(blocker + QStringLiteral("/state")));
        return spec;
    }
    // Every key lives in contract-state.yaml: `<name>.<path>`.
    QString key(const QString &base) const override { return QStringLiteral("contract.") + base; }
    bool seedDirectly(const QString &dir, const QList<QString> &keys) override
    {
        QByteArray doc("# written by the contract suite\n");
        for (const QString &k : keys)
            doc += k.mid(int(qstrlen("contract."))).toUtf8() + ": \"" + k.toUtf8() + "\"\n";
        QFile f(dir + QStringLiteral("/state/contract-state.yaml"));
        return f.open(QIODevice::WriteOnly) && f.write(doc) == doc.size();
    }
};

QTEST_GUILESS_MAIN(YamlContract)
#include "tst_contract_yaml.moc"
