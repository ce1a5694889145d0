#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace sd::console {

// Line diffs and three-way merges of text, for the editor's "what will
// change" and for conflicts. Myers' O((N+M)D) algorithm: fast when the two
// texts are alike, which edited values are.
struct DiffLine {
    enum class Op { Equal, Removed, Added };
    Op op = Op::Equal;
    QString text;
    int oldLine = -1; // 0-based line in the old text (Equal, Removed)
    int newLine = -1; // 0-based line in the new text (Equal, Added)
};

QList<DiffLine> diffLines(const QStringList &oldLines, const QStringList &newLines);

// A unified diff ("--- old", "+++ new", "@@ -a,b +c,d @@", then lines with
// ' ', '-' or '+'), `context` lines around each change. Empty when equal.
QString unifiedDiff(const QString &oldText, const QString &newText, const QString &oldName, const QString &newName,
                    int context = 3);

// Three-way merge of mine and theirs, both edited from base. Regions changed
// on one side only take that side; regions changed alike on both take it
// once; regions changed differently become a conflict between markers:
//   <<<<<<< mine
//   (mine's lines)
//   =======
//   (theirs' lines)
//   >>>>>>> theirs
struct MergeResult {
    QStringList lines;
    int conflicts = 0;
};
MergeResult merge3(const QStringList &base, const QStringList &mine, const QStringList &theirs,
                   const QString &mineLabel = QStringLiteral("mine"),
                   const QString &theirsLabel = QStringLiteral("theirs"));

// Whether a text still holds merge conflict markers (a line starting with
// "<<<<<<< ", "=======" alone, or ">>>>>>> ").
bool hasConflictMarkers(const QString &text);

} // namespace sd::console
