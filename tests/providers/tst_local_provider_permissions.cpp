// The `local` provider where the file system says no: read-only and
// unreadable directories and files give Forbidden naming the path, and
// nothing changes. CI runs as root, which ignores file modes, so this
// process drops to `nobody` first (for good, hence a suite of its own).

#include "LocalTestSupport.h"

#include <QDirIterator>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTest>

#include <sys/stat.h>

using namespace sd;
using namespace sd::test;
using namespace std::chrono_literals;

namespace {

bool setMode(const QString &path, mode_t mode)
{
    return ::chmod(QFile::encodeName(path).constData(), mode) == 0;
}

// Every file under `dir` with its content, to prove nothing changed.
QMap<QString, QByteArray> contents(const QString &dir)
{
    QMap<QString, QByteArray> out;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        out.insert(path, readBytes(path));
    }
    return out;
}

Entry jsonEntry(const QString &key, const Json &value)
{
    Entry e;
    e.key = key;
    e.value = value;
    return e;
}

// Runs one write operation; returns its error (kind Internal if it worked).
Error runWrite(LocalProvider &p, const QString &op, const QString &key)
{
    if (op == QLatin1String("put")) {
        auto r = await(p.put(jsonEntry(key, Json::object({{"changed", true}})), Precondition::none()));
        return r.ok() ? Error() : r.error();
    }
    if (op == QLatin1String("put-unedited")) {
        auto got = await(p.get(key));
        if (!got.ok())
            return Error(ErrorKind::Internal, QStringLiteral("get failed: ") + got.error().toString());
        auto r = await(p.put(got.value(), Precondition::atRevision(got->revision)));
        return r.ok() ? Error() : r.error();
    }
    if (op == QLatin1String("remove")) {
        const Status s = await(p.remove(key, Precondition::none()));
        return s.ok() ? Error() : s.error();
    }
    auto r = await(p.lock(key, 10s));
    return r.ok() ? Error() : r.error();
}

} // namespace

class TestLocalProviderPermissions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(dropRootPrivileges()); }

    void testReadOnlyDirectory_data()
    {
        QTest::addColumn<QString>("op");
        QTest::addColumn<QString>("key");
        QTest::newRow("put over a file") << "put" << "a";
        QTest::newRow("put unedited") << "put-unedited" << "a";
        QTest::newRow("put a new key") << "put" << "new";
        QTest::newRow("put a document member") << "put" << "m";
        QTest::newRow("remove a file") << "remove" << "a";
        QTest::newRow("remove a document member") << "remove" << "m";
        QTest::newRow("lock") << "lock" << "deploy";
    }
    void testReadOnlyDirectory()
    {
        QFETCH(QString, op);
        QFETCH(QString, key);
        GateLayout g;
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("a")), R"({"a": 1})"));
        QVERIFY(writeBytes(g.statePath, R"({"m": 1, "n": 2})"));
        const auto before = contents(g.tmp.path());
        QVERIFY(setMode(g.stateDir, 0555));
        auto restore = qScopeGuard([&] { setMode(g.stateDir, 0755); });
        LocalProvider p(g.options());

        const Error e = runWrite(p, op, key);
        QCOMPARE(e.kind, ErrorKind::Forbidden);
        QCOMPARE(e.where, g.stateDir);
        QVERIFY2(e.message.contains(QStringLiteral("not writable")), qPrintable(e.message));
        QCOMPARE(contents(g.tmp.path()), before);
        // Reading still works.
        QVERIFY(await(p.get(QStringLiteral("a"))).ok());
        QVERIFY(await(p.get(QStringLiteral("m"))).ok());
        auto page = await(p.list({}));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 3);
    }

    void testReadOnlyFile_data()
    {
        QTest::addColumn<QString>("op");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("file"); // relative to the root; made read-only
        QTest::newRow("put a file") << "put" << "a" << "state/a.json";
        QTest::newRow("put unedited") << "put-unedited" << "a" << "state/a.json";
        QTest::newRow("remove a file") << "remove" << "a" << "state/a.json";
        QTest::newRow("put a member") << "put" << "m" << "state/state.json";
        QTest::newRow("remove a member") << "remove" << "m" << "state/state.json";
        QTest::newRow("put keys") << "put" << "keys" << "keys/state.json";
    }
    void testReadOnlyFile()
    {
        QFETCH(QString, op);
        QFETCH(QString, key);
        QFETCH(QString, file);
        GateLayout g;
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("a")), R"({"a": 1})"));
        QVERIFY(writeBytes(g.statePath, R"({"m": 1, "n": 2})"));
        QVERIFY(writeBytes(g.keysFile, R"({"octocat": []})"));
        const QString path = g.tmp.filePath(file);
        QVERIFY(setMode(path, 0444));
        const auto before = contents(g.tmp.path());
        LocalProvider p(g.options());

        const Error e = runWrite(p, op, key);
        QCOMPARE(e.kind, ErrorKind::Forbidden);
        QCOMPARE(e.where, path);
        QVERIFY2(e.message.contains(QStringLiteral("read-only")), qPrintable(e.message));
        // The lock file came and went; everything else is as it was.
        QCOMPARE(contents(g.tmp.path()), before);
    }

    void testUnreadableFile()
    {
        GateLayout g;
        const QString path = g.fileOf(QStringLiteral("secret"));
        QVERIFY(writeBytes(path, R"({"s": 1})"));
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("plain")), "1"));
        QVERIFY(setMode(path, 0000));
        LocalProvider p(g.options());

        auto got = await(p.get(QStringLiteral("secret")));
        QCOMPARE(got.error().kind, ErrorKind::Forbidden);
        QCOMPARE(got.error().where, path);
        // The listing names the problem on that key and goes on.
        auto page = await(p.list({}));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 2);
        QCOMPARE(page->entries[1].key, QStringLiteral("secret"));
        QVERIFY(page->entries[1].labels.value(QStringLiteral("error")).startsWith(path));
        QVERIFY(page->entries[0].value == Json(1));
        // And a blind overwrite is refused too.
        auto put = await(p.put(jsonEntry(QStringLiteral("secret"), Json(2)), Precondition::none()));
        QCOMPARE(put.error().kind, ErrorKind::Forbidden);
    }

    void testUnreadableDirectory()
    {
        GateLayout g;
        QVERIFY(writeBytes(g.fileOf(QStringLiteral("a")), "1"));
        QVERIFY(setMode(g.stateDir, 0311));
        auto restore = qScopeGuard([&] { setMode(g.stateDir, 0755); });
        LocalProvider p(g.options());
        auto page = await(p.list({}));
        QCOMPARE(page.error().kind, ErrorKind::Forbidden);
        QCOMPARE(page.error().where, g.stateDir);

        // A watch that cannot see says so instead of staying silent.
        QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(QStringLiteral("inotify_add_watch.*Permission denied")));
        auto watch = p.watch(QString(), QString());
        Error failure;
        connect(watch.get(), &Watch::failed, this, [&](const Error &e) { failure = e; });
        QTRY_COMPARE_WITH_TIMEOUT(failure.kind, ErrorKind::Forbidden, 10000);
        QCOMPARE(failure.where, g.stateDir);
    }

    void testDirectoryCannotBeCreated()
    {
        QTemporaryDir tmp;
        const QString parent = tmp.filePath(QStringLiteral("locked"));
        QVERIFY(QDir().mkpath(parent));
        QVERIFY(setMode(parent, 0555));
        auto restore = qScopeGuard([&] { setMode(parent, 0755); });
        LocalProvider p({parent + QStringLiteral("/k8gate/state.json"), QString()});
        auto put = await(p.put(jsonEntry(QStringLiteral("a"), Json(1)), Precondition::none()));
        QCOMPARE(put.error().kind, ErrorKind::Forbidden);
        QCOMPARE(put.error().where, parent + QStringLiteral("/k8gate"));
        QVERIFY2(put.error().message.contains(parent), qPrintable(put.error().message));
        QVERIFY(!QFileInfo::exists(parent + QStringLiteral("/k8gate")));
    }
};

QTEST_GUILESS_MAIN(TestLocalProviderPermissions)
#include "tst_local_provider_permissions.moc"
