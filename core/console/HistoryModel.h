#pragma once

#include "console/Roles.h"
#include "console/RowTableModel.h"
#include "providers/Provider.h"

#include <QFuture>
#include <QPointer>

#include <optional>

namespace sd::console {

struct HistoryRow {
    Entry entry;
    QStringList diff; // from the current value to this one (masked unless revealed)
    bool current = false;
};

// The values one key has held, newest first, where the store keeps them
// (capabilities().keyHistory: etcd's revisions, SQLite's change log): row 0
// is the current value, the rows under it the earlier ones, each with the
// revision it was written at, its time, and what restoring it would change.
//
// Columns: revision, time, change. The change cell is a one-line summary
// ("current value", "the same value", "3 changes: ~ /replicas: 5 -> 3; …");
// DiffRole has every line. Tones: the current row Good, a version that is
// the same as the current Muted, others Modified; time Muted.
//
// restore(row) writes that version's value back as a compare-and-swap on
// the current revision the model read: if another writer changed the key
// since, the answer is a Conflict error and nothing is written. The model
// does not follow the key by itself; reload() rereads it (it does after a
// restore, and after a conflict, so the rows show what is there now).
//
// Stores without history answer every call with an Unsupported error that
// says which stores have it.
class HistoryModel : public RowTableModel<HistoryRow> {
    Q_OBJECT
public:
    enum Column { RevisionColumn, TimeColumn, ChangeColumn };
    enum Roles {
        DiffRole = FirstCustomRole, // QStringList: the change from the current value, one line each
        CurrentRole,                // bool: the current value's row
        ValueRole,                  // QString: the value as text (masked unless revealed)
    };

    static constexpr int kDefaultLimit = 50;

    // `provider` is not owned and must outlive the model.
    HistoryModel(Provider *provider, QString key, QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    QString key() const { return m_key; }
    // At most this many values, the current one included (default 50).
    void setLimit(int limit) { m_limit = std::max(1, limit); }
    // Show values and value diffs even for a store of secrets.
    void setReveal(bool reveal);
    bool revealsValues() const;

    // Reads the history again. The future and loaded()/failed() tell the end.
    QFuture<Status> reload();
    bool isLoading() const { return m_loading; }
    const std::optional<Error> &error() const { return m_error; }
    // The current entry as last read (nullopt before the first load).
    const std::optional<Entry> &current() const { return m_current; }

    // Writes row `row`'s value as the key's value, on condition that the
    // key is still at the revision read. Keeps the key's current labels (a
    // TTL or lease belongs to the key's present life, not to the old value).
    // Errors: Conflict when the key changed meanwhile (nothing written);
    // Invalid for the current row or a row out of range; Unsupported on a
    // store without history; the store's own errors.
    QFuture<Result<Entry>> restore(int row);

Q_SIGNALS:
    void loaded();
    void failed(const sd::Error &error);
    void restored(const sd::Entry &entry);

protected:
    QStringList columnTitles() const override;
    QString rowKey(const HistoryRow &row) const override { return row.entry.revision; }
    bool sameRow(const HistoryRow &a, const HistoryRow &b) const override;

private:
    Error unsupported() const;
    QList<HistoryRow> rowsFor(const QList<Entry> &entries) const;

    QPointer<Provider> m_provider;
    QString m_key;
    int m_limit = kDefaultLimit;
    bool m_reveal = false;
    bool m_loading = false;
    std::optional<Error> m_error;
    std::optional<Entry> m_current;
    QList<Entry> m_entries; // as read, to recompute diffs when reveal changes
};

} // namespace sd::console
