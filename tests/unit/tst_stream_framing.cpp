#include "providers/etcd/EtcdWatchResponse.h"
#include "util/StreamFraming.h"

#include <QTest>

#include <limits>

using namespace sd;

// Watch stream framing (Kubernetes: lines; etcd: JSON objects one after
// another). Whatever the chunking, the same messages come out, and a message
// that never ends stops the stream at the limit instead of growing the
// buffer without bound.
namespace {

template <class Framer>
QList<QByteArray> frame(const QByteArray &stream, qsizetype chunk, qsizetype max, bool *overflow)
{
    Framer framer(max);
    QList<QByteArray> out;
    for (qsizetype at = 0; at < stream.size(); at += chunk) {
        framer.append(stream.mid(at, chunk));
        while (auto m = framer.next())
            out << *m;
    }
    *overflow = framer.overflowed();
    return out;
}

} // namespace

class TestStreamFraming : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testLines_data()
    {
        QTest::addColumn<QByteArray>("stream");
        QTest::addColumn<QList<QByteArray>>("lines");
        QTest::addColumn<bool>("overflow");
        QTest::newRow("two events") << QByteArray("{\"a\":1}\n{\"b\":2}\n") << QList<QByteArray>{"{\"a\":1}", "{\"b\":2}"} << false;
        QTest::newRow("partial last line waits") << QByteArray("x\ny") << QList<QByteArray>{"x"} << false;
        QTest::newRow("empty lines kept") << QByteArray("\n\nz\n") << QList<QByteArray>{"", "", "z"} << false;
        QTest::newRow("line at the limit") << QByteArray(16, 'a') + "\n" << QList<QByteArray>{QByteArray(16, 'a')} << false;
        QTest::newRow("line past the limit") << "ok\n" + QByteArray(17, 'a') + "\nafter\n" << QList<QByteArray>{"ok"} << true;
        QTest::newRow("never-ending line") << "ok\n" + QByteArray(1000, 'a') << QList<QByteArray>{"ok"} << true;
    }

    void testLines()
    {
        QFETCH(QByteArray, stream);
        QFETCH(QList<QByteArray>, lines);
        QFETCH(bool, overflow);
        for (qsizetype chunk : {qsizetype(1), qsizetype(3), qMax<qsizetype>(stream.size(), 1)}) {
            bool over = false;
            QCOMPARE(frame<LineFramer>(stream, chunk, 16, &over), lines);
            QCOMPARE(over, overflow);
        }
    }

    void testObjects_data()
    {
        QTest::addColumn<QByteArray>("stream");
        QTest::addColumn<QList<QByteArray>>("messages");
        QTest::addColumn<bool>("overflow");
        QTest::newRow("back to back") << QByteArray("{\"a\":1}{\"b\":{}}") << QList<QByteArray>{"{\"a\":1}", "{\"b\":{}}"} << false;
        QTest::newRow("newlines between") << QByteArray("{}\n\n{\"x\":[1]}\n") << QList<QByteArray>{"{}", "{\"x\":[1]}"} << false;
        QTest::newRow("braces in strings") << QByteArray("{\"k\":\"}{\\\"}\"}") << QList<QByteArray>{"{\"k\":\"}{\\\"}\"}"} << false;
        QTest::newRow("partial waits") << QByteArray("{\"a\":1}{\"b\"") << QList<QByteArray>{"{\"a\":1}"} << false;
        QTest::newRow("object past the limit") << "{}" + QByteArray("{\"") + QByteArray(40, 'a') + "\"}{}" << QList<QByteArray>{"{}"} << true;
        QTest::newRow("never-ending object") << "{}{\"" + QByteArray(1000, 'a') << QList<QByteArray>{"{}"} << true;
        QTest::newRow("stray text between") << QByteArray("junk}{\"a\":2}") << QList<QByteArray>{"{\"a\":2}"} << false;
    }

    void testObjects()
    {
        QFETCH(QByteArray, stream);
        QFETCH(QList<QByteArray>, messages);
        QFETCH(bool, overflow);
        for (qsizetype chunk : {qsizetype(1), qsizetype(3), qMax<qsizetype>(stream.size(), 1)}) {
            bool over = false;
            QCOMPARE(frame<JsonObjectFramer>(stream, chunk, 32, &over), messages);
            QCOMPARE(over, overflow);
        }
    }

    // A stream of many small messages stays small: consumed bytes are dropped.
    void testLongStreamIsCompacted()
    {
        LineFramer lines(1024);
        JsonObjectFramer objects(1024);
        for (int i = 0; i < 100000; ++i) {
            lines.append("{\"n\":1}\n");
            objects.append("{\"n\":1}\n");
            QVERIFY(lines.next());
            QVERIFY(objects.next());
        }
        QVERIFY(!lines.next());
        QVERIFY(!objects.next());
    }

    // Revisions come from the server as any int64; the one after the largest
    // does not overflow (it used to be rev + 1: undefined behaviour).
    void testRevisionAfter()
    {
        QCOMPARE(etcd::revisionAfter(0), qint64(1));
        QCOMPARE(etcd::revisionAfter(41), qint64(42));
        QCOMPARE(etcd::revisionAfter(std::numeric_limits<qint64>::max()), std::numeric_limits<qint64>::max());
    }

    void testWatchResponse()
    {
        const etcd::WatchResponse r = etcd::parseWatchResponse(parseJson(QByteArray(
            "{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":[{\"kv\":{\"key\":\"L2E=\",\"mod_revision\":\"9\","
            "\"version\":\"1\",\"value\":\"eA==\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":\"L2I=\","
            "\"mod_revision\":\"9223372036854775807\"}}]}}")));
        QVERIFY(!r.isError);
        QCOMPARE(r.headerRevision, qint64(9));
        QCOMPARE(r.events.size(), 2);
        QCOMPARE(r.events[0].key, QByteArray("/a"));
        QCOMPARE(r.events[0].value, QByteArray("x"));
        QVERIFY(!r.events[0].deleted);
        QVERIFY(r.events[1].deleted);
        QCOMPARE(r.events[1].modRevision, std::numeric_limits<qint64>::max());
        const etcd::WatchResponse e = etcd::parseWatchResponse(parseJson(QByteArray("{\"error\":{\"code\":16}}")));
        QVERIFY(e.isError);
        const etcd::WatchResponse odd = etcd::parseWatchResponse(parseJson(QByteArray("{\"result\":{\"events\":{\"kv\":1}}}")));
        QVERIFY(odd.events.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestStreamFraming)
#include "tst_stream_framing.moc"
