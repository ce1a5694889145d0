#include "util/StateDirectory.h"

#include <QDir>

namespace sd {

QString stateDirectory()
{
    QString base = qEnvironmentVariable("XDG_STATE_HOME");
    if (base.isEmpty() || !QDir::isAbsolutePath(base))
        base = QDir::homePath() + QStringLiteral("/.local/state");
    return base + QStringLiteral("/statedeck");
}

QString defaultBackupDirectory()
{
    return stateDirectory() + QStringLiteral("/backups");
}

} // namespace sd
