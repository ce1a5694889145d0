// Crash safety of the `local` provider: a writer of multi-megabyte values is
// killed with SIGKILL at varied moments (while encoding, writing, syncing,
// renaming, or between writes). After every kill the file parses and holds
// one complete generation, never a torn one, never an older one than the
// last write that returned; the lock it held does not block the next
// writer; and the next writer clears the temporaries the dead one left.

#include "LocalTestSupport.h"
#include "util/AtomicFile.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTest>
#include <QTimer>

#include <array>

using namespace sd;
using namespace sd::test;

namespace {

constexpr qsizetype kPayloadBytes = 3 * 1024 * 1024;

// Must match local_crash_writer's payload().
std::string payload(qint64 generation, qsizetype bytes)
{
    const std::string unit = "generation " + std::to_string(generation) + "; ";
    std::string out;
    out.reserve(size_t(bytes) + unit.size());
    while (qsizetype(out.size()) < bytes)
        out += unit;
    out.resize(size_t(bytes));
    return out;
}

QStringList temporaries(const QString &dir)
{
    return QDir(dir).entryList({QStringLiteral(".*.tmp-*")}, QDir::Files | QDir::Hidden);
}

} // namespace

class TestLocalProviderCrash : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY2(!builtProgram(QStringLiteral("local_crash_writer")).isEmpty(), "helper not built"); }

    void testKillDuringLargeWrites_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("member"); // the key is a member of the statePath document
        QTest::addColumn<int>("kills");
        QTest::newRow("per-key file") << "big" << false << 12;
        QTest::newRow("document member") << "big" << true << 8;
        // 20 kills in all, each row bounded to 15 s.
    }
    void testKillDuringLargeWrites()
    {
        QFETCH(QString, key);
        QFETCH(bool, member);
        QFETCH(int, kills);
        GateLayout g;
        QVERIFY(QDir().mkpath(g.stateDir)); // to be watched from the start
        const QString path = member ? g.statePath : g.fileOf(key);
        Json neighbours = Json::object();
        if (member) {
            neighbours["before"] = Json::array({"kept", 1});
            neighbours["after"] = Json::object({{"kept", true}});
            Json doc = Json::object();
            doc["before"] = neighbours["before"];
            doc[toStd(key)] = Json::object({{"generation", 0}, {"payload", ""}, {"check", 0}});
            doc["after"] = neighbours["after"];
            QVERIFY(writeBytes(path, toBytes(doc.dump(2)) + '\n'));
        }

        qint64 lastDone = 0;
        qint64 writeMs = 100; // measured as the writers report progress
        int killedMidWrite = 0;
        int killedMidWriteOnPurpose = 0;
        QElapsedTimer budget;
        budget.start();
        for (int round = 0; round < kills && budget.elapsed() < 15000; ++round) {
            QProcess proc;
            qint64 lastBegin = lastDone;
            qint64 doneThisRun = lastDone;
            int begins = 0;
            int dones = 0;
            bool killed = false;
            // Varied moments: right at the nth "begin" (reading the old
            // value), some fraction of a write's duration after it (parsing,
            // encoding, writing the temporary, fsync, rename), or right after
            // the nth "done" (between two writes).
            // Mode 3: the writer kills itself the moment the nth write's
            // temporary file appears (die-at-temporary), so some kills
            // surely land between its creation and the rename, however fast
            // writes are.
            const int mode = std::array{0, 3, 1, 2, 3, 1}[round % 6];
            const int nth = 1 + round % 3;
            // Most of a write is reading and encoding; the temporary file
            // exists only near its end, so delays favour the second half.
            const int delayMs = int(writeMs * (50 + (round * 37) % 50) / 100);
            QElapsedTimer sinceBegin;
            auto killNow = [&] {
                if (!killed) {
                    killed = true;
                    proc.kill(); // SIGKILL
                }
            };
            connect(&proc, &QProcess::readyReadStandardOutput, &proc, [&] {
                while (proc.canReadLine()) {
                    const QByteArray line = proc.readLine().trimmed();
                    const qint64 gen = line.mid(line.indexOf(' ') + 1).toLongLong();
                    if (line.startsWith("begin ")) {
                        sinceBegin.start();
                        lastBegin = gen;
                        if (++begins == nth && mode == 0)
                            killNow();
                        else if (begins == nth && mode == 1)
                            QTimer::singleShot(delayMs, &proc, killNow);
                    } else if (line.startsWith("done ")) {
                        writeMs = std::max<qint64>(1, sinceBegin.elapsed());
                        doneThisRun = gen;
                        if (++dones == nth && mode == 2)
                            killNow();
                    }
                }
            });
            QStringList writerArgs{g.statePath, key, QString::number(kPayloadBytes)};
            if (mode == 3)
                writerArgs << QStringLiteral("die-at-temporary") << QString::number(nth);
            proc.start(builtProgram(QStringLiteral("local_crash_writer")), writerArgs);
            QVERIFY(proc.waitForStarted(5000));
            // Generous: under the sanitizers one large write of the
            // document-member store takes seconds (10 s was too short there).
            QTRY_VERIFY2_WITH_TIMEOUT(killed || proc.state() == QProcess::NotRunning,
                                      "the writer neither progressed nor stopped", 60000);
            if (proc.state() != QProcess::NotRunning)
                QVERIFY(proc.waitForFinished(5000));
            QVERIFY2(proc.exitStatus() == QProcess::CrashExit, proc.readAllStandardError().constData());
            lastDone = doneThisRun;
            if (!temporaries(g.stateDir).isEmpty()) {
                ++killedMidWrite; // a temporary file was left: the kill hit a write
                if (mode == 3)
                    ++killedMidWriteOnPurpose;
            }

            // The file holds one whole generation: at least the last one
            // reported written, at most the one being written.
            if (!QFile::exists(path)) {
                QCOMPARE(lastDone, 0); // killed before the first write landed
                continue;
            }
            const QByteArray bytes = readBytes(path);
            Json doc;
            try {
                doc = parseJson(bytes);
            } catch (const Json::exception &e) {
                QFAIL(qPrintable(QStringLiteral("round %1: %2 does not parse: %3").arg(round).arg(path, e.what())));
            }
            const Json value = member ? doc.at(toStd(key)) : doc;
            const qint64 gen = value.at("generation").get<qint64>();
            QVERIFY2(gen >= lastDone && gen <= lastBegin,
                     qPrintable(QStringLiteral("round %1: generation %2, expected %3..%4")
                                    .arg(round)
                                    .arg(gen)
                                    .arg(lastDone)
                                    .arg(lastBegin)));
            QCOMPARE(value.at("check").get<qint64>(), gen);
            if (gen > 0)
                QVERIFY2(value.at("payload").get<std::string>() == payload(gen, kPayloadBytes),
                         qPrintable(QStringLiteral("round %1: payload of generation %2 is torn").arg(round).arg(gen)));
            if (member) {
                QVERIFY(doc.at("before") == neighbours["before"]);
                QVERIFY(doc.at("after") == neighbours["after"]);
            }
            lastDone = gen;
        }
        qInfo("%d of %d kills hit a write (%d of them waited for its temporary file)", killedMidWrite, kills,
              killedMidWriteOnPurpose);
        // Proof that the dangerous moment was really exercised.
        QVERIFY(killedMidWriteOnPurpose >= 1);

        // The dead writers' lock does not block, and their temporaries go.
        LocalProvider store(g.options());
        auto got = await(store.get(key));
        QVERIFY2(got.ok(), qPrintable(why(got)));
        got->value["generation"] = got->value.at("generation").get<qint64>() + 1;
        got->value["check"] = got->value["generation"];
        got->value["payload"] = payload(got->value["generation"].get<qint64>(), 16);
        auto put = await(store.put(got.value(), Precondition::atRevision(got->revision)));
        QVERIFY2(put.ok(), qPrintable(why(put)));
        QCOMPARE(temporaries(g.stateDir), QStringList());
    }
};

QTEST_GUILESS_MAIN(TestLocalProviderCrash)
#include "tst_local_provider_crash.moc"
