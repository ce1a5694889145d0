// ${VAR} expansion on its own: any text expands or is refused; the message
// of a refusal never repeats the text (it may hold a password).
#include "FuzzConfig.h"
#include "FuzzTarget.h"

using namespace sd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(fuzz::bytes(data, size));
    auto out = fuzz::fuzzEnv().expand(text, QStringLiteral("/fuzz/config.yaml:1:1"));
    if (!out.ok())
        FUZZ_CHECK(!out.error().message.isEmpty());
    return 0;
}
