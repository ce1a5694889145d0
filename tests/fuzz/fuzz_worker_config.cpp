// worker.yml (seed 000) with ${VAR} expansion: either a WorkerConfig or an
// error naming where, never a crash.
#include "FuzzConfig.h"
#include "FuzzTarget.h"

#include "config/StoreOptions.h"
#include "config/WorkerConfig.h"

using namespace sd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    auto cfg = parseWorkerConfig(fuzz::bytes(data, size), QStringLiteral("/fuzz/worker.yml"), fuzz::fuzzEnv());
    if (!cfg.ok())
        FUZZ_CHECK(!cfg.error().message.isEmpty());
    return 0;
}
