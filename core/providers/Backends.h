#pragma once

#include "config/StoreSpec.h"
#include "providers/Provider.h"

#include <memory>

namespace sd {

// The backends compiled into this build, in the order help text lists them.
QStringList builtBackends();

// Every backend name statedeck knows of, built or not.
QStringList knownBackends();

// Creates the provider a spec describes. An unknown or not-yet-built backend
// is an error that names the ones that exist. No I/O happens here: a store
// that cannot be opened reports that on its first operation. A spec with
// readOnly set is wrapped by makeReadOnly (providers/readonly), its refusals
// naming spec.connection (or, without one, the store's describe()).
Result<std::unique_ptr<Provider>> openProvider(const StoreSpec &spec);

} // namespace sd
