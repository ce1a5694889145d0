#include "TestSupport.h"

#include <QDirIterator>
#include <QFileInfo>

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

} // namespace sd::test
