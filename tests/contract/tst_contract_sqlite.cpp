#include "ProviderContract.h"

#include <QFile>
#include <QTest>

// The provider contract against the embedded SQLite backend.
class SqliteContract : public sd::test::ProviderContract {
    Q_OBJECT
public:
    sd::StoreSpec freshStore(const QString &dir) override
    {
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("sqlite");
        spec.options.insert(QStringLiteral("path"), QString(dir + QStringLiteral("/state.db")));
        return spec;
    }
    sd::StoreSpec unavailableStore(const QString &dir) override
    {
        // A file that is not a database: reported, never overwritten.
        const QString path = dir + QStringLiteral("/garbage.db");
        QFile f(path);
        if (f.open(QIODevice::WriteOnly))
            f.write(QByteArray(8192, 'Z'));
        sd::StoreSpec spec;
        spec.backend = QStringLiteral("sqlite");
        spec.options.insert(QStringLiteral("path"), path);
        return spec;
    }
};

QTEST_GUILESS_MAIN(SqliteContract)
#include "tst_contract_sqlite.moc"
