#pragma once

// Shared by the tst_local_provider* suites: a temporary gate layout
// (<tmp>/state/state.json, <tmp>/keys/state.json) and plain file helpers
// that write the way other programs do, without statedeck's utilities.

#include "TestSupport.h"
#include "providers/local/LocalProvider.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <memory>

namespace sd::test {

// For QVERIFY2's message, which is evaluated even when the check passes.
template <typename T>
QString why(const Result<T> &r)
{
    return r.ok() ? QString() : r.error().toString();
}

inline QByteArray readBytes(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QByteArray();
    return f.readAll();
}

// A plain, non-atomic write (truncate, then write), as an editor or a
// careless script would do it.
inline bool writeBytes(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(bytes) == bytes.size();
}

struct GateLayout {
    QTemporaryDir tmp;
    QString stateDir = tmp.filePath(QStringLiteral("state"));
    QString keysDir = tmp.filePath(QStringLiteral("keys"));
    QString statePath = stateDir + QStringLiteral("/state.json");
    QString keysFile = keysDir + QStringLiteral("/state.json");

    QString fileOf(const QString &key) const { return stateDir + QLatin1Char('/') + key + QStringLiteral(".json"); }
    LocalOptions options() const { return {statePath, keysDir}; }
    std::unique_ptr<LocalProvider> open() const { return std::make_unique<LocalProvider>(options()); }
};

} // namespace sd::test
