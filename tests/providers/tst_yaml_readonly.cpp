#include "TestSupport.h"
#include "providers/YamlTestFixture.h"
#include "providers/yaml/YamlProvider.h"

#include <QDir>
#include <QTest>

#include <sys/stat.h>

using namespace sd;

namespace {

// Every file under `root` (hidden ones included) with its bytes.
QMap<QString, QByteArray> snapshot(const QString &root)
{
    QMap<QString, QByteArray> files;
    const QString base = QDir(root).absolutePath();
    std::function<void(const QString &)> walk = [&](const QString &dir) {
        for (const QFileInfo &fi :
             QDir(dir).entryInfoList(QDir::Files | QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot)) {
            if (fi.isDir())
                walk(fi.absoluteFilePath());
            else
                files.insert(fi.absoluteFilePath().mid(base.size()), readWholeFile(fi.absoluteFilePath()).value());
        }
    };
    walk(base);
    return files;
}

void setMode(const QString &path, mode_t mode)
{
    ::chmod(QFile::encodeName(path).constData(), mode);
}

} // namespace

// Runs as `nobody` (CI runs as root, which ignores file modes), so it has its
// own executable.
class TestYamlReadOnly : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(test::dropRootPrivileges()); }

    void testReadOnlyDirectory_data()
    {
        QTest::addColumn<QString>("op");
        QTest::addColumn<QString>("key");
        QTest::newRow("put existing key") << "put" << "deployment.phase";
        QTest::newRow("put new key") << "put" << "deployment.kof_installed";
        QTest::newRow("put new file") << "put" << "kof.mothership_installed";
        QTest::newRow("remove") << "remove" << "deployment.phase";
    }
    void testReadOnlyDirectory()
    {
        QFETCH(QString, op);
        QFETCH(QString, key);
        test::YamlStateCopy copy;
        YamlOptions o;
        o.directory = copy.dir;
        YamlProvider p(o);
        const auto before = snapshot(copy.tmp.path());
        setMode(copy.dir, 0555);

        Error error;
        if (op == QLatin1String("put")) {
            Entry e;
            e.key = key;
            e.value = "network";
            auto r = test::await(p.put(e, {}));
            QVERIFY(!r.ok());
            error = r.error();
        } else {
            auto r = test::await(p.remove(key, {}));
            QVERIFY(!r.ok());
            error = r.error();
        }
        // Reading still works.
        QVERIFY(test::await(p.get(QStringLiteral("deployment.phase"))).ok());
        setMode(copy.dir, 0755);

        QCOMPARE(error.kind, ErrorKind::Forbidden);
        QCOMPARE(error.where, copy.dir);
        QVERIFY(error.message.contains(QLatin1String("nothing was changed")));
        QCOMPARE(snapshot(copy.tmp.path()), before); // no file, backup or lock left
    }

    void testReadOnlyFile()
    {
        test::YamlStateCopy copy;
        YamlOptions o;
        o.directory = copy.dir;
        YamlProvider p(o);
        const QString file = copy.path(QStringLiteral("azure-state.yaml"));
        setMode(file, 0444);
        const auto before = snapshot(copy.tmp.path());
        Entry e;
        e.key = QStringLiteral("azure.last_updated");
        e.value = "now";
        auto r = test::await(p.put(e, {}));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Forbidden);
        QCOMPARE(r.error().where, file);
        QCOMPARE(snapshot(copy.tmp.path()), before);
        // Other files of the directory are still writable.
        e.key = QStringLiteral("deployment.phase");
        QVERIFY(test::await(p.put(e, {})).ok());
    }

    void testReadOnlyBackupDirectory()
    {
        test::YamlStateCopy copy;
        const QString backups = copy.tmp.path() + QStringLiteral("/backups");
        QDir().mkpath(backups);
        setMode(backups, 0555);
        YamlOptions o;
        o.directory = copy.dir;
        o.backupDirectory = backups;
        YamlProvider p(o);
        const QByteArray state = copy.read(QStringLiteral("deployment-state.yaml"));
        Entry e;
        e.key = QStringLiteral("deployment.phase");
        e.value = "network";
        auto r = test::await(p.put(e, {}));
        setMode(backups, 0755);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Forbidden);
        QVERIFY(r.error().message.contains(QLatin1String("backup")));
        // No backup, no write.
        QCOMPARE(copy.read(QStringLiteral("deployment-state.yaml")), state);
    }
};

QTEST_GUILESS_MAIN(TestYamlReadOnly)
#include "tst_yaml_readonly.moc"
