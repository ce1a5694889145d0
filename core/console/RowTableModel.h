#pragma once

#include <QAbstractTableModel>
#include <QList>
#include <QSet>

#include <algorithm>
#include <functional>

namespace sd::console {

// A flat table over a list of rows that each have a key, kept current by
// whole new lists (a relist) or single rows (a watch event), with the
// smallest row signals that say what happened: rows that stay keep their
// place and get dataChanged only when they changed; new rows are inserted,
// gone rows removed, reordered rows moved. Never a reset, so a view keeps
// its selection and scroll position across a refresh.
//
// Subclasses name their columns, say how to key and compare rows (and, for
// insertSorted, how to order them), and answer data() themselves.
template <typename Row>
class RowTableModel : public QAbstractTableModel {
public:
    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override
    {
        return parent.isValid() ? 0 : int(m_rows.size());
    }

    int columnCount(const QModelIndex &parent = QModelIndex()) const override
    {
        return parent.isValid() ? 0 : int(columnTitles().size());
    }

    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override
    {
        if (orientation == Qt::Horizontal && role == Qt::DisplayRole)
            return columnTitles().value(section);
        return QAbstractTableModel::headerData(section, orientation, role);
    }

    const QList<Row> &rows() const { return m_rows; }

    // The row with this key, or -1.
    int rowOf(const QString &key) const
    {
        for (int i = 0; i < int(m_rows.size()); ++i)
            if (rowKey(m_rows[i]) == key)
                return i;
        return -1;
    }

protected:
    // The header of each column, in order; their number is columnCount().
    virtual QStringList columnTitles() const = 0;
    virtual QString rowKey(const Row &row) const = 0;
    // Whether a row shows anything different (dataChanged when it does).
    virtual bool sameRow(const Row &a, const Row &b) const = 0;
    // For insertSorted: whether `a` comes before `b`.
    virtual bool rowBefore(const Row &, const Row &) const { return false; }

    // Makes the rows `next`. Keys must be unique within `next`.
    void syncRows(QList<Row> next)
    {
        QSet<QString> wanted;
        for (const Row &r : std::as_const(next))
            wanted.insert(rowKey(r));
        // Rows that went away, in ranges from the end so indexes hold.
        for (int end = int(m_rows.size()) - 1; end >= 0;) {
            if (wanted.contains(rowKey(m_rows[end]))) {
                --end;
                continue;
            }
            int first = end;
            while (first > 0 && !wanted.contains(rowKey(m_rows[first - 1])))
                --first;
            beginRemoveRows(QModelIndex(), first, end);
            m_rows.remove(first, end - first + 1);
            endRemoveRows();
            end = first - 1;
        }
        // Now every row is in `next`: walk `next`, keeping rows[0..j) equal
        // to next[0..j). Moves and inserts do not change which keys the
        // rows not yet walked have.
        QSet<QString> present;
        for (const Row &r : std::as_const(m_rows))
            present.insert(rowKey(r));
        for (int j = 0; j < int(next.size());) {
            const QString key = rowKey(next[j]);
            if (j < int(m_rows.size()) && rowKey(m_rows[j]) == key) {
                replaceAt(j, std::move(next[j]));
                ++j;
                continue;
            }
            int at = -1;
            for (int k = j + 1; k < int(m_rows.size()); ++k)
                if (rowKey(m_rows[k]) == key) {
                    at = k;
                    break;
                }
            if (at >= 0) {
                beginMoveRows(QModelIndex(), at, at, QModelIndex(), j);
                m_rows.move(at, j);
                endMoveRows();
                replaceAt(j, std::move(next[j]));
                ++j;
                continue;
            }
            // A run of new rows goes in with one signal.
            int last = j;
            while (last + 1 < int(next.size()) && !present.contains(rowKey(next[last + 1])))
                ++last;
            beginInsertRows(QModelIndex(), j, last);
            for (int k = j; k <= last; ++k)
                m_rows.insert(k, std::move(next[k]));
            endInsertRows();
            j = last + 1;
        }
    }

    // Puts one row in: replaces the row with its key, or inserts it where
    // rowBefore() places it. Returns its index.
    int insertSorted(Row row)
    {
        const int at = rowOf(rowKey(row));
        if (at >= 0) {
            replaceAt(at, std::move(row));
            return at;
        }
        const auto pos = std::upper_bound(m_rows.cbegin(), m_rows.cend(), row,
                                          [this](const Row &a, const Row &b) { return rowBefore(a, b); });
        const int index = int(pos - m_rows.cbegin());
        beginInsertRows(QModelIndex(), index, index);
        m_rows.insert(index, std::move(row));
        endInsertRows();
        return index;
    }

    // Removes the row with this key; false when there is none.
    bool removeKey(const QString &key)
    {
        const int at = rowOf(key);
        if (at < 0)
            return false;
        beginRemoveRows(QModelIndex(), at, at);
        m_rows.removeAt(at);
        endRemoveRows();
        return true;
    }

    void replaceAt(int index, Row row)
    {
        const bool same = sameRow(m_rows[index], row);
        m_rows[index] = std::move(row);
        if (!same)
            Q_EMIT this->dataChanged(this->index(index, 0), this->index(index, columnCount() - 1));
    }

    // Every cell of one column changed (a time-relative column such as an age).
    void columnChanged(int column)
    {
        if (!m_rows.isEmpty())
            Q_EMIT this->dataChanged(this->index(0, column), this->index(int(m_rows.size()) - 1, column));
    }

    QList<Row> m_rows;
};

} // namespace sd::console
