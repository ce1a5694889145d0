#pragma once

#include "Cli.h"

namespace sd::ctl {

// export, import, migrate, verify (issue 6; docs/cli.md, docs/snapshots.md,
// docs/migration.md).
QList<Command> transferCommands();

} // namespace sd::ctl
