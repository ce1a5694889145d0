#pragma once

#include "console/Roles.h"
#include "model/Entry.h"
#include "model/Result.h"
#include "providers/Provider.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QSet>
#include <QTimer>

#include <chrono>
#include <memory>
#include <vector>

namespace sd::console {

class Session;
struct FreshnessState;

// The keys of a store under a prefix, for a table or a tree. Pages are read
// lazily (canFetchMore/fetchMore, keys only: values are read when an entry
// is opened), so memory grows with what was loaded, never with the whole
// keyspace; a listing can be stopped. The model always knows whether what
// it holds is the whole listing ("N keys loaded, listing complete") or not.
//
// The session's watch events patch it in place (rows inserted, changed,
// removed; never a reset), and rows changed in the last few seconds carry a
// tone. After a Resync the rows the store no longer has are removed and the
// others stay, so selections survive. Only relistNeeded() (changes missed
// with no Resync to say which) and reload() start over with a reset.
//
// In Tree mode keys are split on the store's keySeparator: inner rows are
// prefixes ("app/"), a key that is also a prefix is both. Flat mode is one
// row a key. Rows keep the order they arrived in; sort with FilterModel.
class KeyModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { KeyColumn, TypeColumn, RevisionColumn, UpdatedColumn, TtlColumn, LabelsColumn, ColumnCount };
    enum Mode { Flat, Tree };
    enum ExtraRole {
        IsPrefixRole = FirstCustomRole, // bool: an inner row of the tree
        HasValueRole,                   // bool: the row is a key (a prefix may be one too)
        RevisionRole,                   // QString
        LeafCountRole,                  // int: keys at or under this row
    };

    explicit KeyModel(Session *session, QObject *parent = nullptr);
    ~KeyModel() override;

    // Changing any of these starts the listing over.
    void setPrefix(const QString &prefix);
    QString prefix() const { return m_prefix; }
    void setMode(Mode mode);
    Mode mode() const { return m_mode; }
    void setPageSize(int keys);
    int pageSize() const { return m_pageSize; }
    // How long a changed row keeps its tone (and a deleted row stays shown).
    // Zero: no highlight, deleted rows go at once.
    void setHighlightDuration(std::chrono::milliseconds d) { m_highlight = d; }

    // The listing.
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;
    // Stops listing: no more pages until resume() (a user's "Stop").
    void stop();
    void resume();
    // Starts over from the first page (Ctrl-R), with a reset.
    void reload();
    // Reads pages until the listing is complete (or stopped, or failed).
    void fetchAll();

    qint64 loadedCount() const { return m_keys; }
    bool listingComplete() const { return m_complete; }
    bool listingInFlight() const { return m_inFlight; }
    bool listingStopped() const { return m_stopped; }
    // The last listing error; the listing stops on an error until resume().
    const std::optional<Error> &listingError() const { return m_error; }
    // "1,500 keys loaded, still listing", "…, listing complete", "…, stopped".
    QString statusText() const;

    QModelIndex indexOfKey(const QString &key, int column = 0) const;
    QString keyAt(const QModelIndex &index) const;
    bool isPrefix(const QModelIndex &index) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    // Loaded count, completeness, in-flight or stopped changed.
    void listingChanged();
    void listingFailed(const sd::Error &error);

private:
    struct Node;
    Node *nodeOf(const QModelIndex &index) const;
    QModelIndex indexOf(const Node *node, int column = 0) const;
    void startOver(bool reset);
    void requestPage();
    void applyPage(quint64 generation, quint64 issuedAt, Result<ListPage> page);
    void onEvent(const Event &e);
    void onFreshness(const FreshnessState &state);
    // Adds or updates a key's row; `fromEvent` marks it recently changed.
    Node *upsert(const Entry &e, Tone tone);
    void removeKey(Node *leaf);
    void markDeleted(Node *leaf);
    void pruneEmpty(Node *node);
    void highlight(Node *node, Tone tone);
    void expireHighlights();
    QStringList segmentsOf(const QString &key) const;
    void forget(Node *subtree);

    Session *m_session;
    QString m_prefix;
    Mode m_mode = Flat;
    int m_pageSize = 500;
    std::chrono::milliseconds m_highlight{3000};
    std::unique_ptr<Node> m_root;
    QHash<QString, Node *> m_leaves; // key -> its row
    qint64 m_keys = 0;               // keys shown, not counting deleted ones still highlighted

    QString m_cursor;
    bool m_complete = false;
    bool m_inFlight = false;
    bool m_stopped = false;
    bool m_fetchAll = false;
    std::optional<Error> m_error;
    quint64 m_generation = 0; // bumped on every start-over: late pages drop out
    // Every event gets a sequence number; a page issued before an event must
    // not undo what the event said (a deleted key, a newer revision).
    quint64 m_eventSeq = 0;
    QHash<QString, quint64> m_deletedAt;
    bool m_resyncing = false;
    QSet<QString> m_seenInResync;
    bool m_fresh = true;

    QSet<Node *> m_highlighted;
    QTimer m_highlightTimer;
};

} // namespace sd::console
