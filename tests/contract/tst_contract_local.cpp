#include "ProviderContract.h"

#include <QDir>
#include <QFile>
#include <QTest>

// The provider contract against seed 000's file layout (K8 Container Gate).
class LocalContract : public sd::test::ProviderContract {
    Q_OBJECT
public:
    sd::StoreSpec freshStore(const QString &dir) override
    {
        QDir(dir).mkpath(QStringLiteral("state"));
        QDir(dir).mkpath(QStringLiteral("keys"));
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("local");
        spec.options.insert(QStringLiteral("statePath"), QString(dir + QStringLiteral("/state/state.json")));
        spec.options.insert(QStringLiteral("keysPath"), QString(dir + QStringLiteral("/keys")));
        return spec;
    }
    sd::StoreSpec unavailableStore(const QString &dir) override
    {
        // The state directory is a regular file.
        const QString blocker = dir + QStringLiteral("/not-a-directory");
        QFile f(blocker);
        if (f.open(QIODevice::WriteOnly))
            f.write("x");
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("local");
        spec.options.insert(QStringLiteral("statePath"), QString(blocker + QStringLiteral("/state.json")));
        return spec;
    }
    // One file a key, as the gate writes them (without fsync: test set-up).
    bool seedDirectly(const QString &dir, const QList<QString> &keys) override
    {
        for (const QString &k : keys) {
            QFile f(dir + QStringLiteral("/state/") + k + QStringLiteral(".json"));
            if (!f.open(QIODevice::WriteOnly) || f.write("{\"seeded\": true}\n") < 0)
                return false;
        }
        return true;
    }
};

QTEST_GUILESS_MAIN(LocalContract)
#include "tst_contract_local.moc"
