#pragma once

// A writable copy of the k0rdent-azure-setup state/ fixtures, under the names
// the real tool uses (deployment-state.yaml, deployment-events.yaml, ...).

#include "TestSupport.h"
#include "util/AtomicFile.h"

#include <QDir>
#include <QTemporaryDir>

namespace sd::test {

struct YamlStateCopy {
    QTemporaryDir tmp;
    QString dir;

    YamlStateCopy()
    {
        dir = tmp.path() + QStringLiteral("/state");
        QDir().mkpath(dir);
        const QString src = fixturePath(QStringLiteral("k0rdent-azure-setup/state"));
        for (const QString &f : QDir(src).entryList(QDir::Files)) {
            QString target = f;
            target.replace(QStringLiteral(".initial.generated"), QString());
            // Written fresh (not copied) so the copies are writable.
            auto bytes = readWholeFile(src + QLatin1Char('/') + f);
            if (!bytes.ok() || !writeFileAtomically(dir + QLatin1Char('/') + target, bytes.value()).ok())
                qFatal("cannot copy fixture %s", qPrintable(f));
        }
    }

    QString path(const QString &file) const { return dir + QLatin1Char('/') + file; }
    QByteArray read(const QString &file) const
    {
        auto r = readWholeFile(path(file));
        return r.ok() ? r.value() : QByteArray();
    }
    QString backupDir() const { return tmp.path() + QStringLiteral("/old_deployments/statedeck"); }
};

} // namespace sd::test
