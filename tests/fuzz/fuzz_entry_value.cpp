// Entry values in every encoding: whatever bytes a backend holds, decoding
// either refuses them or gives a value that encodes and decodes back to
// itself.
#include "FuzzTarget.h"

#include "model/Codec.h"
#include "model/Entry.h"

using namespace sd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t selector = fuzz::takeByte(data, size);
    const QByteArray input = fuzz::bytes(data, size);

    // Bytes that arrive without an encoding (Redis, etcd, the CLI).
    const Entry guessed = entryFromBytes(QStringLiteral("fuzz"), input);
    const QByteArray reencoded = encodeValue(guessed);
    auto back = decodeValue(reencoded, guessed.encoding, QStringLiteral("fuzz"));
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(back.value() == guessed.value);

    static const Encoding encodings[] = {Encoding::Json, Encoding::Yaml, Encoding::Text, Encoding::Base64};
    const Encoding encoding = encodings[selector % 4];
    auto decoded = decodeValue(input, encoding, QStringLiteral("fuzz"));
    if (!decoded.ok()) {
        FUZZ_CHECK(!decoded.error().message.isEmpty());
        return 0;
    }
    (void)compactJson(decoded.value());
    (void)contentRevision(input);

    // The value written back in the same encoding reads as the same value
    // (without `raw`, so the encoder really serialises it).
    Entry e;
    e.key = QStringLiteral("fuzz");
    e.encoding = encoding;
    e.value = decoded.value();
    const QByteArray written = encodeValue(e);
    auto reread = decodeValue(written, encoding, QStringLiteral("fuzz"));
    FUZZ_CHECK(reread.ok());
    FUZZ_CHECK(reread.value() == decoded.value());
    return 0;
}
