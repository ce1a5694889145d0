#include "TestSupport.h"
#include "util/AtomicFile.h"
#include "util/DirectoryWatcher.h"
#include "util/SnapshotDiff.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace sd;

class TestFileUtil : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(test::dropRootPrivileges()); }

    void testAtomicWriteKeepsMode()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("state.json"));
        QVERIFY(writeFileAtomically(path, "{}").ok());
        ::chmod(QFile::encodeName(path).constData(), 0600);
        QVERIFY(writeFileAtomically(path, "{\"a\":1}").ok());
        struct stat st {};
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0600);
        QCOMPARE(readWholeFile(path).value(), QByteArray("{\"a\":1}"));
        // No temporary file is left behind.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
    }

    void testReadErrors_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("kind");
        QTest::newRow("missing") << "nope.json" << int(ErrorKind::NotFound);
    }
    void testReadErrors()
    {
        QFETCH(QString, name);
        QFETCH(int, kind);
        QTemporaryDir dir;
        auto r = readWholeFile(dir.filePath(name));
        QVERIFY(!r.ok());
        QCOMPARE(int(r.error().kind), kind);
        QVERIFY(r.error().where.endsWith(name));
    }

    void testWriteIntoReadOnlyDirectory()
    {
        QTemporaryDir dir;
        ::chmod(QFile::encodeName(dir.path()).constData(), 0500);
        const Status s = writeFileAtomically(dir.filePath(QStringLiteral("x")), "1");
        ::chmod(QFile::encodeName(dir.path()).constData(), 0700);
        QVERIFY(!s.ok());
        QCOMPARE(s.error().kind, ErrorKind::Forbidden);
    }

    void testLockIsExclusive()
    {
        QTemporaryDir dir;
        const QString lockPath = dir.filePath(QStringLiteral(".lock"));
        CrossProcessLock a(lockPath);
        CrossProcessLock b(lockPath);
        QVERIFY(a.acquire().ok());
        const Status s = b.acquire(std::chrono::milliseconds(50));
        QVERIFY(!s.ok());
        QCOMPARE(s.error().kind, ErrorKind::Busy);
        a.release();
        QVERIFY(b.acquire().ok());
    }

    void testDiffSnapshots()
    {
        const QHash<QString, QString> before{{QStringLiteral("a"), QStringLiteral("1")},
                                             {QStringLiteral("b"), QStringLiteral("1")}};
        const QHash<QString, QString> after{{QStringLiteral("b"), QStringLiteral("2")},
                                            {QStringLiteral("c"), QStringLiteral("1")}};
        const QList<Event> events = diffSnapshots(before, after);
        QCOMPARE(events.size(), 3);
        QCOMPARE(events[0].entry.key, QStringLiteral("a"));
        QCOMPARE(events[0].type, Event::Type::Deleted);
        QCOMPARE(events[1].type, Event::Type::Modified);
        QCOMPARE(events[2].type, Event::Type::Added);
    }

    void testDirectoryWatcherSeesAtomicReplace()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("f.json"));
        QVERIFY(writeFileAtomically(path, "1").ok());
        DirectoryWatcher watcher;
        watcher.setPollIntervalMs(60000); // prove inotify alone is enough
        watcher.setDirectories({dir.path()});
        QSignalSpy spy(&watcher, &DirectoryWatcher::changed);
        for (int i = 0; i < 3; ++i) {
            spy.clear();
            QVERIFY(writeFileAtomically(path, QByteArray::number(i)).ok());
            QVERIFY(spy.wait(5000));
        }
    }
};

QTEST_GUILESS_MAIN(TestFileUtil)
#include "tst_fileutil.moc"
