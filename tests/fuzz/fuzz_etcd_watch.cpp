// The etcd gateway's watch stream: JSON messages one after another, cut
// into chunks anywhere. Framing gives the same messages whatever the
// chunking, in bounded memory; each message is read as the watch reads it
// (parseWatchResponse), revisions never overflow, and event values decode.
#include "FuzzTarget.h"

#include "model/Codec.h"
#include "model/Json.h"
#include "providers/etcd/EtcdWatchResponse.h"
#include "util/StreamFraming.h"

#include <QList>

using namespace sd;

namespace {

QList<QByteArray> frame(const QByteArray &stream, qsizetype chunk, qsizetype maxMessage, bool *overflow)
{
    JsonObjectFramer framer(maxMessage);
    QList<QByteArray> messages;
    for (qsizetype at = 0; at < stream.size(); at += chunk) {
        framer.append(stream.mid(at, chunk));
        while (auto msg = framer.next())
            messages << *msg;
    }
    *overflow = framer.overflowed();
    return messages;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t selector = fuzz::takeByte(data, size);
    const QByteArray stream = fuzz::bytes(data, size);

    const qsizetype maxMessage = 512;
    bool overflowWhole = false, overflowChunked = false;
    const QList<QByteArray> whole = frame(stream, qMax<qsizetype>(stream.size(), 1), maxMessage, &overflowWhole);
    const QList<QByteArray> chunked = frame(stream, (selector % 37) + 1, maxMessage, &overflowChunked);
    FUZZ_CHECK(overflowWhole == overflowChunked);
    FUZZ_CHECK(whole == chunked);
    for (const QByteArray &msg : whole)
        FUZZ_CHECK(msg.size() <= maxMessage && msg.startsWith('{') && msg.endsWith('}'));

    JsonObjectFramer framer(64 * 1024 * 1024);
    framer.append(stream);
    while (auto bytes = framer.next()) {
        const Json msg = parseJsonOrDiscarded(bytes->constBegin(), bytes->constEnd());
        if (msg.is_discarded())
            continue;
        const etcd::WatchResponse r = etcd::parseWatchResponse(msg);
        qint64 next = etcd::revisionAfter(r.headerRevision);
        for (const etcd::WatchKv &kv : r.events) {
            next = std::max(next, etcd::revisionAfter(kv.modRevision));
            const Entry e = entryFromBytes(QString::fromUtf8(kv.key), kv.value);
            (void)encodeValue(e);
        }
        FUZZ_CHECK(next >= r.headerRevision);
    }
    return 0;
}
