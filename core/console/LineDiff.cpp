#include "console/LineDiff.h"

#include <algorithm>
#include <vector>

namespace sd::console {

namespace {

// Past this many differences the exact shortest script costs too much
// memory (D² traces); the rest is reported as one replaced block.
constexpr int kMaxEditDistance = 4000;

// Pairs (oldIndex, newIndex) of lines kept, in order, from Myers' greedy
// algorithm with its trace of V arrays for the way back.
std::vector<std::pair<int, int>> commonLines(const QStringList &a, const QStringList &b)
{
    // Common head and tail first: the usual edit touches a few lines.
    int head = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head])
        ++head;
    int tail = 0;
    while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
        ++tail;
    const int n = int(a.size()) - head - tail;
    const int m = int(b.size()) - head - tail;
    std::vector<std::pair<int, int>> out;
    for (int i = 0; i < head; ++i)
        out.emplace_back(i, i);

    if (n > 0 && m > 0) {
        const int max = n + m;
        const int offset = max + 1;
        std::vector<int> v(size_t(2 * max + 3), 0);
        std::vector<std::vector<int>> trace;
        int found = -1;
        for (int d = 0; d <= std::min(max, kMaxEditDistance) && found < 0; ++d) {
            trace.push_back(v);
            for (int k = -d; k <= d; k += 2) {
                int x = (k == -d || (k != d && v[size_t(offset + k - 1)] < v[size_t(offset + k + 1)]))
                            ? v[size_t(offset + k + 1)]
                            : v[size_t(offset + k - 1)] + 1;
                int y = x - k;
                while (x < n && y < m && a[head + x] == b[head + y]) {
                    ++x;
                    ++y;
                }
                v[size_t(offset + k)] = x;
                if (x >= n && y >= m) {
                    found = d;
                    break;
                }
            }
        }
        if (found >= 0) {
            // Walk the trace back, collecting the diagonal (kept) moves.
            std::vector<std::pair<int, int>> kept;
            int x = n, y = m;
            for (int d = found; d > 0; --d) {
                const std::vector<int> &pv = trace[size_t(d)];
                const int k = x - y;
                const bool down = k == -d || (k != d && pv[size_t(offset + k - 1)] < pv[size_t(offset + k + 1)]);
                const int prevK = down ? k + 1 : k - 1;
                const int prevX = pv[size_t(offset + prevK)];
                const int prevY = prevX - prevK;
                const int startX = down ? prevX : prevX + 1;
                const int startY = down ? prevY + 1 : prevY;
                while (x > startX && y > startY) {
                    --x;
                    --y;
                    kept.emplace_back(head + x, head + y);
                }
                x = prevX;
                y = prevY;
            }
            while (x > 0 && y > 0) {
                --x;
                --y;
                kept.emplace_back(head + x, head + y);
            }
            std::reverse(kept.begin(), kept.end());
            out.insert(out.end(), kept.begin(), kept.end());
        }
        // Not found within the bound: no common lines in the middle.
    }
    for (int i = 0; i < tail; ++i)
        out.emplace_back(int(a.size()) - tail + i, int(b.size()) - tail + i);
    return out;
}

} // namespace

QList<DiffLine> diffLines(const QStringList &oldLines, const QStringList &newLines)
{
    QList<DiffLine> out;
    int i = 0, j = 0;
    for (const auto &[ki, kj] : commonLines(oldLines, newLines)) {
        for (; i < ki; ++i)
            out.append({DiffLine::Op::Removed, oldLines[i], i, -1});
        for (; j < kj; ++j)
            out.append({DiffLine::Op::Added, newLines[j], -1, j});
        out.append({DiffLine::Op::Equal, oldLines[i], i, j});
        ++i;
        ++j;
    }
    for (; i < oldLines.size(); ++i)
        out.append({DiffLine::Op::Removed, oldLines[i], i, -1});
    for (; j < newLines.size(); ++j)
        out.append({DiffLine::Op::Added, newLines[j], -1, j});
    return out;
}

namespace {

QStringList linesOf(const QString &text)
{
    if (text.isEmpty())
        return {};
    QStringList lines = text.split(QLatin1Char('\n'));
    if (text.endsWith(QLatin1Char('\n')))
        lines.removeLast();
    return lines;
}

} // namespace

QString unifiedDiff(const QString &oldText, const QString &newText, const QString &oldName, const QString &newName,
                    int context)
{
    const QList<DiffLine> d = diffLines(linesOf(oldText), linesOf(newText));
    QString out;
    int at = 0;
    while (at < d.size()) {
        // The next change, and the hunk around it (changes closer than two
        // contexts apart share one hunk).
        int change = at;
        while (change < d.size() && d[change].op == DiffLine::Op::Equal)
            ++change;
        if (change == d.size())
            break;
        const int start = std::max(at, change - context);
        int end = change;
        int equalRun = 0;
        for (int k = change; k < d.size(); ++k) {
            if (d[k].op == DiffLine::Op::Equal) {
                if (++equalRun > 2 * context)
                    break;
            } else {
                equalRun = 0;
                end = k + 1;
            }
        }
        const int stop = std::min(int(d.size()), end + context);
        int oldStart = -1, newStart = -1, oldCount = 0, newCount = 0;
        for (int k = start; k < stop; ++k) {
            if (d[k].op != DiffLine::Op::Added) {
                if (oldStart < 0)
                    oldStart = d[k].oldLine;
                ++oldCount;
            }
            if (d[k].op != DiffLine::Op::Removed) {
                if (newStart < 0)
                    newStart = d[k].newLine;
                ++newCount;
            }
        }
        if (out.isEmpty())
            out += QStringLiteral("--- %1\n+++ %2\n").arg(oldName, newName);
        out += QStringLiteral("@@ -%1,%2 +%3,%4 @@\n")
                   .arg(oldStart < 0 ? 0 : oldStart + 1)
                   .arg(oldCount)
                   .arg(newStart < 0 ? 0 : newStart + 1)
                   .arg(newCount);
        for (int k = start; k < stop; ++k) {
            const QChar mark = d[k].op == DiffLine::Op::Equal ? QLatin1Char(' ')
                               : d[k].op == DiffLine::Op::Removed ? QLatin1Char('-')
                                                                  : QLatin1Char('+');
            out += mark + d[k].text + QLatin1Char('\n');
        }
        at = stop;
    }
    return out;
}

MergeResult merge3(const QStringList &base, const QStringList &mine, const QStringList &theirs,
                   const QString &mineLabel, const QString &theirsLabel)
{
    // For every base line, where it stands in mine and in theirs (or -1).
    std::vector<int> inMine(size_t(base.size()), -1), inTheirs(size_t(base.size()), -1);
    for (const auto &[b, m] : commonLines(base, mine))
        inMine[size_t(b)] = m;
    for (const auto &[b, t] : commonLines(base, theirs))
        inTheirs[size_t(b)] = t;

    MergeResult r;
    int b = 0, m = 0, t = 0;
    auto slice = [](const QStringList &l, int from, int to) { return l.mid(from, to - from); };
    while (true) {
        // The next base line kept by both sides: everything before it is a
        // region that one or both changed.
        int nb = b;
        while (nb < base.size() && (inMine[size_t(nb)] < m || inTheirs[size_t(nb)] < t))
            ++nb;
        const bool end = nb >= base.size();
        const int nm = end ? int(mine.size()) : inMine[size_t(nb)];
        const int nt = end ? int(theirs.size()) : inTheirs[size_t(nb)];
        const QStringList baseChunk = slice(base, b, end ? int(base.size()) : nb);
        const QStringList mineChunk = slice(mine, m, nm);
        const QStringList theirsChunk = slice(theirs, t, nt);
        if (mineChunk == baseChunk)
            r.lines += theirsChunk;
        else if (theirsChunk == baseChunk || theirsChunk == mineChunk)
            r.lines += mineChunk;
        else {
            ++r.conflicts;
            r.lines << QStringLiteral("<<<<<<< ") + mineLabel;
            r.lines += mineChunk;
            r.lines << QStringLiteral("=======");
            r.lines += theirsChunk;
            r.lines << QStringLiteral(">>>>>>> ") + theirsLabel;
        }
        if (end)
            break;
        r.lines << base[nb];
        b = nb + 1;
        m = nm + 1;
        t = nt + 1;
    }
    return r;
}

bool hasConflictMarkers(const QString &text)
{
    for (const QStringView line : QStringView(text).split(QLatin1Char('\n'))) {
        if (line.startsWith(QLatin1String("<<<<<<< ")) || line.startsWith(QLatin1String(">>>>>>> "))
            || line == QLatin1String("======="))
            return true;
    }
    return false;
}

} // namespace sd::console
