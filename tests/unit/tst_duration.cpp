#include "util/Duration.h"

#include <QTest>

using namespace sd;

// Durations people type (--retention, --every): every number has a unit,
// and nothing overflows into a small or negative number (issue 18: a
// retention of 2^63 seconds used to become 0 and made every task due).
class TestDuration : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testParse_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("seconds"); // -1: refused
        QTest::addColumn<QString>("messageHas");
        QTest::newRow("seconds") << "45s" << qint64(45) << QString();
        QTest::newRow("minutes") << "90m" << qint64(5400) << QString();
        QTest::newRow("hours") << "12h" << qint64(43200) << QString();
        QTest::newRow("days") << "7d" << qint64(604800) << QString();
        QTest::newRow("weeks") << "2w" << qint64(1209600) << QString();
        QTest::newRow("parts together") << "1h30m" << qint64(5400) << QString();
        QTest::newRow("zero") << "0s" << qint64(0) << QString();
        QTest::newRow("spaces around") << " 6h " << qint64(21600) << QString();
        QTest::newRow("100 years") << "36500d" << kMaxDurationSeconds << QString();
        QTest::newRow("a second past 100 years") << "36500d1s" << qint64(-1) << "out of range";
        QTest::newRow("2^63 seconds") << "9223372036854775808s" << qint64(-1) << "out of range";
        QTest::newRow("20 digits of days") << "99999999999999999999d" << qint64(-1) << "out of range";
        QTest::newRow("weeks past 64 bits") << "30500568904943w" << qint64(-1) << "out of range";
        QTest::newRow("a bare number") << "7" << qint64(-1) << "has no unit";
        QTest::newRow("an unknown unit") << "7y" << qint64(-1) << "not a unit";
        QTest::newRow("negative") << "-5m" << qint64(-1) << "not a number";
        QTest::newRow("empty") << "" << qint64(-1) << "empty";
        QTest::newRow("a fraction") << "1.5h" << qint64(-1) << "not a unit";
    }
    void testParse()
    {
        QFETCH(QString, text);
        QFETCH(qint64, seconds);
        QFETCH(QString, messageHas);
        const Result<qint64> r = parseDuration(text, QStringLiteral("--retention ") + text);
        QCOMPARE(r.ok(), seconds >= 0);
        if (r.ok()) {
            QCOMPARE(r.value(), seconds);
        } else {
            QVERIFY2(r.error().message.contains(messageHas), qPrintable(r.error().message));
            QCOMPARE(r.error().where, QStringLiteral("--retention ") + text);
            QCOMPARE(r.error().kind, ErrorKind::Invalid);
        }
    }

    void testShortDuration_data()
    {
        QTest::addColumn<qint64>("seconds");
        QTest::addColumn<QString>("text");
        QTest::newRow("negative") << qint64(-5) << "0s";
        QTest::newRow("zero") << qint64(0) << "0s";
        QTest::newRow("under two minutes") << qint64(119) << "119s";
        QTest::newRow("two minutes") << qint64(120) << "2m";
        QTest::newRow("under two hours") << qint64(7199) << "119m";
        QTest::newRow("two hours") << qint64(7200) << "2h";
        QTest::newRow("under two days") << qint64(2 * 86400 - 1) << "47h";
        QTest::newRow("days") << qint64(9 * 86400 + 5) << "9d";
    }
    void testShortDuration()
    {
        QFETCH(qint64, seconds);
        QFETCH(QString, text);
        QCOMPARE(shortDuration(seconds), text);
    }
};

QTEST_GUILESS_MAIN(TestDuration)
#include "tst_duration.moc"
