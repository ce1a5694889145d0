#include "TestSupport.h"

#include <QProcess>

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

QString ProgramRun::describe() const
{
    return QStringLiteral("exit %1\nstdout: %2\nstderr: %3")
        .arg(code)
        .arg(QString::fromUtf8(out), QString::fromUtf8(err));
}

ProgramRun runProgram(const QString &program, const QStringList &args, const QProcessEnvironment &env,
                      const QByteArray &input, int timeoutMs)
{
    timeoutMs *= timeScale();
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    ProgramRun r;
    if (!p.waitForStarted(10000)) {
        r.err = p.errorString().toUtf8();
        return r;
    }
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs) && p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished(5000);
        r.err = QStringLiteral("%1 %2 did not finish within %3 ms")
                    .arg(program, args.join(QLatin1Char(' ')))
                    .arg(timeoutMs)
                    .toUtf8();
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QProcessEnvironment isolatedEnvironment(const QString &home)
{
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/data"));
    e.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    e.insert(QStringLiteral("XDG_STATE_HOME"), home + QStringLiteral("/state"));
    return e;
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
