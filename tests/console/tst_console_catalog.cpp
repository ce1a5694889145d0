#include "TestSupport.h"
#include "console/ConnectionCatalog.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::console;

// ConnectionCatalog: what the GUI sidebar and the TUI's :ctx offer, in
// order: connections.yaml's connections (with the error of one that cannot
// be resolved), the kubeconfig's contexts, then the embedded store.
class TestConsoleCatalog : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    QString write(const QString &name, const QByteArray &text)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return {};
        f.write(text);
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qputenv("XDG_DATA_HOME", m_dir.filePath(QStringLiteral("data")).toUtf8());
    }

    void testEverySource()
    {
        const QString connections = write(QStringLiteral("connections.yaml"),
                                          "current: dev\n"
                                          "connections:\n"
                                          "  dev:\n"
                                          "    description: the dev database\n"
                                          "    url: sqlite:///tmp/dev.db\n"
                                          "  broken:\n"
                                          "    url: nosuch://x\n");
        const QString kubeconfig = write(QStringLiteral("kubeconfig"),
                                         "apiVersion: v1\nkind: Config\ncurrent-context: staging\n"
                                         "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n"
                                         "users:\n- name: u\n  user:\n    token: t\n"
                                         "contexts:\n"
                                         "- name: staging\n  context:\n    cluster: c\n    user: u\n"
                                         "- name: prod\n  context:\n    cluster: c\n    user: u\n    namespace: apps\n");
        ConnectionCatalog::Sources sources;
        sources.connectionsPath = connections;
        sources.kubeconfigFiles = {kubeconfig};
        const ConnectionCatalog catalog = ConnectionCatalog::load(sources);
        QVERIFY2(catalog.errors().isEmpty(), qPrintable(catalog.errors().join(QLatin1Char('\n'))));
        QStringList ids;
        for (const ConnectionItem &i : catalog.items())
            ids << i.id();
        QCOMPARE(ids, (QStringList{QStringLiteral("connection:dev"), QStringLiteral("connection:broken"),
                                   QStringLiteral("context:prod"), QStringLiteral("context:staging"),
                                   QStringLiteral("embedded")}));
        const ConnectionItem *dev = catalog.find(QStringLiteral("connection:dev"));
        QVERIFY(dev);
        QVERIFY(dev->current);
        QCOMPARE(dev->description, QStringLiteral("the dev database"));
        QVERIFY(dev->error.isEmpty());
        const ConnectionItem *broken = catalog.find(QStringLiteral("connection:broken"));
        QVERIFY(broken && !broken->error.isEmpty());
        QVERIFY(!catalog.spec(*broken).ok());
        QVERIFY(catalog.find(QStringLiteral("context:staging"))->current);

        // A context is the ConfigMaps of its namespace, through that kubeconfig.
        const Result<StoreSpec> prod = catalog.spec(*catalog.find(QStringLiteral("context:prod")));
        QVERIFY(prod.ok());
        QCOMPARE(prod->backend, QStringLiteral("kubernetes"));
        QCOMPARE(prod->options.value(QStringLiteral("context")).toString(), QStringLiteral("prod"));
        QCOMPARE(prod->options.value(QStringLiteral("resource")).toString(), QStringLiteral("configmaps"));
        QCOMPARE(prod->options.value(QStringLiteral("kubeconfig")).toString(), kubeconfig);
        QVERIFY(!prod->options.contains(QStringLiteral("namespace")));

        // The embedded store opens (in this test's XDG_DATA_HOME).
        const ConnectionItem *embedded = catalog.find(QStringLiteral("embedded"));
        QVERIFY(embedded);
        auto session = catalog.open(*embedded);
        QVERIFY2(session.ok(), qPrintable(session.error().toString()));
        QCOMPARE(session.value()->name(), QStringLiteral("default"));
        QCOMPARE(session.value()->provider()->scheme(), QStringLiteral("sqlite"));
    }

    // A file that does not parse lists its error; the other sources stay.
    void testBrokenFilesStillListTheRest()
    {
        ConnectionCatalog::Sources sources;
        sources.connectionsPath = write(QStringLiteral("bad.yaml"), "connections: [1, 2\n");
        sources.kubeconfigFiles = {write(QStringLiteral("bad-kubeconfig"), "contexts: {\n")};
        const ConnectionCatalog catalog = ConnectionCatalog::load(sources);
        QCOMPARE(catalog.errors().size(), 2);
        QVERIFY2(catalog.errors().at(0).contains(QLatin1String("bad.yaml")), qPrintable(catalog.errors().at(0)));
        QCOMPARE(catalog.items().size(), 1);
        QCOMPARE(catalog.items().first().kind, ConnectionItem::Kind::Embedded);

        // No connections.yaml and no kubeconfig: the embedded store alone.
        sources.connectionsPath = m_dir.filePath(QStringLiteral("missing.yaml"));
        sources.useKubeconfig = false;
        const ConnectionCatalog empty = ConnectionCatalog::load(sources);
        QVERIFY(empty.errors().isEmpty());
        QCOMPARE(empty.items().size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestConsoleCatalog)
#include "tst_console_catalog.moc"
