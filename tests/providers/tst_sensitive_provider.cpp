// Sensitive connections (`sensitive: true` in connections.yaml): a store
// whose backend keeps ordinary values (SQLite, YAML, Redis...) is marked as
// holding secrets, so front ends mask its values and transfers treat them
// as they treat Kubernetes Secrets. The marker changes capabilities() only:
// reads and writes reach the store unchanged, and it combines with
// read-only.
#include "TestSupport.h"
#include "TransferTestSupport.h"
#include "providers/readonly/ReadOnlyProvider.h"
#include "providers/sensitive/SensitiveProvider.h"

#include <QTest>

using namespace sd;
using namespace sd::test;

class TestSensitiveProvider : public QObject {
    Q_OBJECT

    TransferStores m_stores;

private Q_SLOTS:
    void testMarker_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<bool>("sensitive");
        QTest::addColumn<bool>("readOnly");
        for (const char *backend : {"sqlite", "yaml"}) {
            const QByteArray b(backend);
            QTest::newRow(QByteArray(b + ", plain").constData()) << QString::fromLatin1(backend) << false << false;
            QTest::newRow(QByteArray(b + ", sensitive").constData()) << QString::fromLatin1(backend) << true << false;
            QTest::newRow(QByteArray(b + ", sensitive and read-only").constData()) << QString::fromLatin1(backend) << true << true;
        }
    }
    void testMarker()
    {
        QFETCH(QString, backend);
        QFETCH(bool, sensitive);
        QFETCH(bool, readOnly);
        StoreSpec spec = m_stores.fresh(backend);
        // A value to read, written through an unmarked provider.
        {
            auto writable = openProvider(spec);
            QVERIFY(writable.ok());
            Entry e;
            e.key = QStringLiteral("db.password");
            e.value = Json("hunter2");
            QVERIFY(await(writable.value()->put(e, {})).ok());
        }
        spec.sensitive = sensitive;
        spec.readOnly = readOnly;
        auto p = openProvider(spec);
        QVERIFY2(p.ok(), qPrintable(p.error().toString()));
        const Capabilities caps = p.value()->capabilities();
        QCOMPARE(caps.sensitive, sensitive);
        QCOMPARE(caps.readOnly, readOnly);
        QCOMPARE(caps.keySeparator, unwrapReadOnly(p.value().get())->capabilities().keySeparator);
        // The wrappers are peeled to the backend itself.
        QVERIFY(!qobject_cast<ForwardingProvider *>(unwrapReadOnly(p.value().get())));
        QCOMPARE(unwrapReadOnly(p.value().get())->scheme(), p.value()->scheme());
        // Reads reach the store: the value is there, in clear, for a front
        // end to mask.
        const auto got = await(p.value()->get(QStringLiteral("db.password")));
        QVERIFY2(got.ok(), qPrintable(got.error().toString()));
        QCOMPARE(got->value, Json("hunter2"));
        // Writes go through unless read-only says no.
        Entry e;
        e.key = QStringLiteral("api.token");
        e.value = Json("t0k3n");
        const auto put = await(p.value()->put(e, {}));
        QCOMPARE(put.ok(), !readOnly);
        if (readOnly)
            QCOMPARE(put.error().kind, ErrorKind::Forbidden);
    }

    // Marking twice wraps once.
    void testMarkedOnce()
    {
        StoreSpec spec = m_stores.fresh(QStringLiteral("sqlite"));
        spec.sensitive = true;
        auto p = openProvider(spec);
        QVERIFY(p.ok());
        Provider *raw = p.value().get();
        auto again = makeSensitive(std::move(p).value());
        QCOMPARE(again.get(), raw);
    }
};

QTEST_GUILESS_MAIN(TestSensitiveProvider)
#include "tst_sensitive_provider.moc"
