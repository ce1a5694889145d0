#pragma once

#include "Cli.h"

namespace sd::ctl {

// export, import, migrate, verify (issue 6; docs/cli.md, docs/snapshots.md,
// docs/migration.md).
QList<Command> transferCommands();

// When `provider` is a connection with a fallback (seed 004), say on stderr
// when it switches to the fallback, and what a replay did.
void announceFallback(Provider *provider);

} // namespace sd::ctl
