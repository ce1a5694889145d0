// Separate processes writing one key of a `local` store at once: with
// compare-and-swap retries under the cross-process lock no increment is
// lost, whichever file holds the key.

#include "LocalTestSupport.h"

#include <QProcess>
#include <QTest>

#include <memory>
#include <vector>

using namespace sd;
using namespace sd::test;

class TestLocalProviderProcesses : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY2(!builtProgram(QStringLiteral("local_cas_increment")).isEmpty(), "helper not built"); }

    void testConcurrentIncrements_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QByteArray>("document"); // statePath's content; empty: none
        QTest::addColumn<QString>("file");        // where the count ends up, relative to the root
        QTest::addColumn<int>("processes");
        QTest::addColumn<int>("increments");
        QTest::newRow("per-key file, 2 processes") << "counter" << QByteArray() << "state/counter.json" << 2 << 100;
        QTest::newRow("keys file, 2 processes") << "keys" << QByteArray() << "keys/state.json" << 2 << 60;
        QTest::newRow("document member, 2 processes")
            << "counter" << QByteArray("{\n  \"before\": 1,\n  \"counter\": {\n    \"count\": 0\n  },\n  \"after\": 2\n}\n")
            << "state/state.json" << 2 << 60;
        QTest::newRow("per-key file, 4 processes") << "counter" << QByteArray() << "state/counter.json" << 4 << 25;
    }
    void testConcurrentIncrements()
    {
        QFETCH(QString, key);
        QFETCH(QByteArray, document);
        QFETCH(QString, file);
        QFETCH(int, processes);
        QFETCH(int, increments);
        GateLayout g;
        if (!document.isEmpty())
            QVERIFY(writeBytes(g.statePath, document));

        std::vector<std::unique_ptr<QProcess>> procs;
        for (int i = 0; i < processes; ++i) {
            auto p = std::make_unique<QProcess>();
            p->start(builtProgram(QStringLiteral("local_cas_increment")),
                     {g.statePath, g.keysDir, key, QString::number(increments)});
            procs.push_back(std::move(p));
        }
        int conflicts = 0;
        for (auto &p : procs) {
            QVERIFY(p->waitForFinished(30000));
            const QByteArray out = p->readAllStandardOutput();
            QVERIFY2(p->exitStatus() == QProcess::NormalExit && p->exitCode() == 0,
                     p->readAllStandardError().constData());
            QVERIFY2(out.startsWith("ok "), out.constData());
            conflicts += out.mid(3).trimmed().toInt();
        }
        qInfo("%d conflicts were retried", conflicts);

        LocalProvider store(g.options());
        auto got = await(store.get(key));
        QVERIFY2(got.ok(), qPrintable(why(got)));
        QCOMPARE(got->value.at("count").get<int>(), processes * increments);
        const Json onDisk = parseJson(readBytes(g.tmp.filePath(file)));
        if (!document.isEmpty()) {
            // The other members came through every rewrite.
            QVERIFY(onDisk.at("before") == Json(1));
            QVERIFY(onDisk.at("after") == Json(2));
            QCOMPARE(onDisk.at(toStd(key)).at("count").get<int>(), processes * increments);
        } else {
            QCOMPARE(onDisk.at("count").get<int>(), processes * increments);
        }
    }
};

QTEST_GUILESS_MAIN(TestLocalProviderProcesses)
#include "tst_local_provider_processes.moc"
