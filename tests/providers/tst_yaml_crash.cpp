#include "TestSupport.h"
#include "helpers/CrashValue.h"
#include "providers/YamlTestFixture.h"
#include "providers/yaml/YamlProvider.h"
#include "util/YamlJson.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace sd;

// A writer killed with SIGKILL at any moment leaves the state file either as
// it was or with the new value complete: it always parses, every other key
// (and comment) is byte-identical, and the big key holds one whole
// generation, never an older one than a write that reported success.
class TestYamlCrash : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void testKillDuringWrites()
    {
        const QString program = test::builtProgram(QStringLiteral("yaml_crash_writer"));
        QVERIFY2(!program.isEmpty(), "yaml_crash_writer is not built");
        test::YamlStateCopy copy;
        const QString file = QStringLiteral("deployment-state.yaml");
        const QString key = QStringLiteral("deployment.source_config_file");
        const QByteArray needle("source_config_file: \"./config/k0rdent.yaml\"");
        const QByteArray original = copy.read(file);
        QCOMPARE(original.count(needle), 1);
        const size_t size = 3 * 1024 * 1024;

        // Fixed seed: the kill moments vary from kill to kill, and a failure
        // can be replayed.
        QRandomGenerator rng(20261122);
        QElapsedTimer budget;
        budget.start();
        long long lastGeneration = 0;
        long long lastReportedDone = 0;
        int kills = 0;
        int killedMidWrite = 0;
        static const QRegularExpression line(QStringLiteral("^(start|done) (\\d+)$"));

        while (kills < 20 && budget.elapsed() < 30000) {
            QProcess writer;
            writer.setProgram(program);
            writer.setArguments({copy.dir, key, QString::number(size), QStringLiteral("2")});
            writer.start();
            QVERIFY(writer.waitForStarted(10000));
            // Its first "start": it has read the file and is writing now.
            QTRY_VERIFY_WITH_TIMEOUT(writer.canReadLine() || writer.state() != QProcess::Running, 20000);
            QVERIFY2(writer.state() == QProcess::Running, writer.readAllStandardError().constData());

            // Then SIGKILL somewhere in the next ~1.3 writes.
            QSignalSpy finished(&writer, &QProcess::finished);
            QTimer::singleShot(int(rng.bounded(900)), &writer, [&writer] { writer.kill(); });
            QVERIFY(finished.wait(20000));
            QCOMPARE(writer.exitStatus(), QProcess::CrashExit);
            ++kills;

            QString last;
            for (const QByteArray &l : writer.readAllStandardOutput().split('\n')) {
                const auto m = line.match(QString::fromUtf8(l));
                if (!m.hasMatch())
                    continue;
                last = m.captured(1);
                if (last == QLatin1String("done"))
                    lastReportedDone = std::max(lastReportedDone, m.captured(2).toLongLong());
            }
            if (last == QLatin1String("start"))
                ++killedMidWrite;

            const QByteArray bytes = copy.read(file);
            auto parsed = yamlToJson(bytes, file);
            QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.error().toString()));
            const Json &value = parsed.value()["source_config_file"];
            QVERIFY(value.is_string());
            const std::string &text = value.get_ref<const std::string &>();
            long long generation = 0;
            if (text != "./config/k0rdent.yaml") {
                const auto m = QRegularExpression(QStringLiteral("^gen-(\\d+):"))
                                   .match(QString::fromStdString(text.substr(0, 32)));
                QVERIFY2(m.hasMatch(), "the big value is not one of the writer's");
                generation = m.captured(1).toLongLong();
                QVERIFY2(text == test::crashValue(generation, size), "the big value is torn");
            }
            // Never older than what was on disk before, or than a write that
            // said it was done.
            QVERIFY(generation >= lastGeneration);
            QVERIFY(generation >= lastReportedDone);
            lastGeneration = generation;

            // Everything else, comments included, is byte-identical.
            QByteArray expected = original;
            if (generation > 0) {
                const QByteArray written = "source_config_file: \"" + QByteArray::fromStdString(text) + '"';
                expected.replace(needle, written);
            }
            QVERIFY2(bytes == expected, "bytes outside the big value changed");
        }
        qInfo("%d kills (%d during a write), generation %lld, %lld ms", kills, killedMidWrite, lastGeneration,
              budget.elapsed());
        QVERIFY(kills >= 10);
        QVERIFY(killedMidWrite >= 5);
        QVERIFY(lastGeneration > 0);

        // Left-over temporary files and lock files do not show as keys, and
        // the next writer is not blocked by a dead one's lock.
        YamlOptions o;
        o.directory = copy.dir;
        o.maxBackups = 2;
        YamlProvider provider(o);
        ListOptions list;
        list.prefix = QStringLiteral("deployment.");
        list.keysOnly = true;
        auto page = test::await(provider.list(list));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 21);
        Entry e;
        e.key = QStringLiteral("deployment.phase");
        e.value = "network";
        QVERIFY(test::await(provider.put(e, {})).ok());
    }
};

QTEST_GUILESS_MAIN(TestYamlCrash)
#include "tst_yaml_crash.moc"
