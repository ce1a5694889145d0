// connections.yaml with ${VAR} expansion: a broken file is an error naming
// where; every connection of a file that loads either resolves or says why
// not, and no error message repeats a password.
#include "FuzzConfig.h"
#include "FuzzTarget.h"

#include "config/ConnectionsFile.h"
#include "config/StoreOptions.h"

using namespace sd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray yaml = fuzz::bytes(data, size);
    auto file = ConnectionsFile::parse(yaml, QStringLiteral("/fuzz/connections.yaml"));
    if (!file.ok()) {
        FUZZ_CHECK(!file.error().message.isEmpty());
        return 0;
    }
    const auto &env = fuzz::fuzzEnv();
    (void)file->list(env);
    for (const QString &name : file->names()) {
        auto spec = file->spec(name, env);
        if (spec.ok()) {
            (void)describeStore(spec.value());
        } else {
            FUZZ_CHECK(!spec.error().message.contains(env.value(QStringLiteral("REDIS_PASSWORD"))));
            FUZZ_CHECK(!spec.error().where.contains(env.value(QStringLiteral("REDIS_PASSWORD"))));
        }
    }
    return 0;
}
