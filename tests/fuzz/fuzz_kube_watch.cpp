// The Kubernetes watch stream: framing (lines cut into chunks anywhere), the
// event on each line, and Status bodies (of ERROR events and of failed
// responses). Framing gives the same lines whatever the chunking, in bounded
// memory.
#include "FuzzTarget.h"

#include "kube/WatchLine.h"
#include "util/StreamFraming.h"

#include <QList>

using namespace sd;

namespace {

QList<QByteArray> frame(const QByteArray &stream, qsizetype chunk, qsizetype maxLine, bool *overflow)
{
    LineFramer framer(maxLine);
    QList<QByteArray> lines;
    for (qsizetype at = 0; at < stream.size(); at += chunk) {
        framer.append(stream.mid(at, chunk));
        while (auto line = framer.next())
            lines << *line;
    }
    *overflow = framer.overflowed();
    return lines;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t selector = fuzz::takeByte(data, size);
    const QByteArray stream = fuzz::bytes(data, size);
    const kube::RequestInfo request{QStringLiteral("watch"), QStringLiteral("configmaps"), QString(),
                                    QStringLiteral("default"), QString()};

    // A small limit, so the fuzzer reaches the overflow path too.
    const qsizetype maxLine = 256;
    bool overflowWhole = false, overflowChunked = false;
    const QList<QByteArray> whole = frame(stream, qMax<qsizetype>(stream.size(), 1), maxLine, &overflowWhole);
    const QList<QByteArray> chunked = frame(stream, (selector % 37) + 1, maxLine, &overflowChunked);
    FUZZ_CHECK(overflowWhole == overflowChunked);
    FUZZ_CHECK(whole == chunked);
    for (const QByteArray &line : whole)
        FUZZ_CHECK(line.size() <= maxLine && !line.contains('\n'));

    // Every line, as the watch reads it (with the real limit).
    LineFramer framer(kube::kMaxWatchLineBytes);
    framer.append(stream);
    while (auto line = framer.next()) {
        const kube::WatchLine parsed = kube::parseWatchLine(*line, request);
        if (parsed.kind == kube::WatchLine::Kind::Error)
            FUZZ_CHECK(!parsed.error.error.message.isEmpty());
    }
    // The whole input as the body of a failed response.
    static const int statuses[] = {400, 401, 403, 404, 409, 410, 422, 429, 500, 503, 504};
    const kube::ApiError e = kube::errorFromResponse(statuses[selector % 11], stream, request, selector % 3 - 1);
    FUZZ_CHECK(!e.error.message.isEmpty());
    return 0;
}
