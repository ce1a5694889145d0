#pragma once

#include <QString>

namespace sd {

// $XDG_STATE_HOME/statedeck (default ~/.local/state/statedeck): where
// migration checkpoints, backups and the fallback journals live. Qt 6.4 has
// no StateLocation, so the XDG rule is applied here.
QString stateDirectory();
// <stateDirectory>/backups
QString defaultBackupDirectory();

} // namespace sd
