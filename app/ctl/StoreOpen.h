#pragma once

#include "config/StoreSpec.h"
#include "Output.h"
#include "model/Result.h"

namespace sd::ctl {

// --store URL|PATH or --connection NAME (both empty: the current connection,
// else the embedded SQLite default) to a StoreSpec.
Result<StoreSpec> storeSpecFor(const QString &store, const QString &connection);

// `statedeckctl connections`
int listConnections(Format format);

} // namespace sd::ctl
