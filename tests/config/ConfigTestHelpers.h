#pragma once

// Helpers shared by the tests/config suites (header-only: each suite is its
// own executable and tests/support stays generic).

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace sd::test {

// The first ```yaml fenced block of a seed document that contains `marker`,
// preceded by as many empty lines as the text before it, so YAML marks (and
// therefore error locations) are line numbers of the seed file itself.
inline QByteArray seedYamlBlock(const QString &seedFile, const QByteArray &marker)
{
    QFile f(QStringLiteral(SD_SEEDS_DIR) + QLatin1Char('/') + seedFile);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (lines.at(i).trimmed() != "```yaml")
            continue;
        QByteArray block(i + 1, '\n');
        qsizetype j = i + 1;
        for (; j < lines.size() && lines.at(j).trimmed() != "```"; ++j)
            block += lines.at(j) + '\n';
        if (block.contains(marker))
            return block;
        i = j;
    }
    return {};
}

inline QString seedPath(const QString &seedFile)
{
    return QStringLiteral(SD_SEEDS_DIR) + QLatin1Char('/') + seedFile;
}

// An environment holding exactly `vars` ("NAME=value"; "NAME=" is set but empty).
inline QProcessEnvironment envOf(const QStringList &vars)
{
    QProcessEnvironment env;
    for (const QString &v : vars) {
        const qsizetype eq = v.indexOf(QLatin1Char('='));
        env.insert(v.left(eq), v.mid(eq + 1));
    }
    return env;
}

inline bool writeFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(bytes) == bytes.size();
}

} // namespace sd::test
