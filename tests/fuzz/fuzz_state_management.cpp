// A `state_management:` block (seed 004) with ${VAR} expansion: a StoreSpec
// or an error naming where, never a crash.
#include "FuzzConfig.h"
#include "FuzzTarget.h"

#include "config/StateManagement.h"
#include "config/StoreOptions.h"

using namespace sd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    auto spec = parseStateManagement(fuzz::bytes(data, size), QStringLiteral("/fuzz/config.yaml"), fuzz::fuzzEnv());
    if (spec.ok())
        (void)describeStore(spec.value());
    else
        FUZZ_CHECK(!spec.error().message.isEmpty());
    return 0;
}
