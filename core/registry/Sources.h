#pragma once

#include "config/StoreSpec.h"
#include "registry/Registry.h"

namespace sd::registry {

// Where the front ends find a registry: words a user types
// ("redis://HOST:PORT/DB", "kube", "ns=NAMESPACE", "prefix=PREFIX",
// "stale=DURATION"), then the connection they have open (its Redis server;
// a Kubernetes connection's cluster and namespace), then $REDIS_URL. An
// error says what to give when there is nothing to read.
Result<RegistryOptions> registryOptionsFor(const QString &args, const StoreSpec *open);

} // namespace sd::registry
