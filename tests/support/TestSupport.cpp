#include "TestSupport.h"

#include <QDirIterator>
#include <QFileInfo>

#include <grp.h>
#include <unistd.h>

namespace sd::test {

QString builtProgram(const QString &name)
{
    QDirIterator it(QStringLiteral(SD_BINARY_DIR), {name}, QDir::Files | QDir::Executable,
                    QDirIterator::Subdirectories);
    return it.hasNext() ? it.next() : QString();
}

QString fixturePath(const QString &relative)
{
    return QFileInfo(QStringLiteral(SD_FIXTURES_DIR) + QLatin1Char('/') + relative).absoluteFilePath();
}

bool dropRootPrivileges()
{
    if (::geteuid() != 0)
        return true;
    const uid_t nobody = 65534;
    if (::setgroups(0, nullptr) != 0 || ::setresgid(nobody, nobody, nobody) != 0
        || ::setresuid(nobody, nobody, nobody) != 0)
        return false;
    return ::geteuid() == nobody;
}

} // namespace sd::test
