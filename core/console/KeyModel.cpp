#include "console/KeyModel.h"

#include "console/Session.h"
#include "util/Duration.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLocale>

namespace sd::console {

struct KeyModel::Node {
    QString name;           // what the row shows in the key column
    QString path;           // the full key (a key row) or prefix (an inner row)
    Node *parent = nullptr;
    int row = 0;            // its index among its parent's children
    std::vector<std::unique_ptr<Node>> children;
    // Inner rows of a tree by name. Flat rows are found through m_leaves
    // instead: a second hash of every key would cost ~50 bytes a row.
    QHash<QString, Node *> childByName;
    bool hasValue = false;  // a key of the store (not only a prefix)
    QString revision;
    QDateTime updated;
    QMap<QString, QString> labels;
    Tone tone = Tone::Normal;
    qint64 toneUntil = 0;   // msecs since epoch
    bool deleted = false;   // removed from the store, still shown while highlighted
    quint64 eventSeq = 0;   // the last event that set it (pages read before it do not)
    int leaves = 0;         // keys at or under this node
};

namespace {

QString ttlText(const QString &ms)
{
    bool ok = false;
    const qint64 v = ms.toLongLong(&ok);
    if (!ok || v < 0)
        return QString();
    return shortDuration((v + 999) / 1000);
}

// Labels a store derives itself and shows in other columns.
bool shownElsewhere(const QString &label)
{
    return label == QLatin1String("ttl") || label == QLatin1String("type");
}

} // namespace

KeyModel::KeyModel(Session *session, QObject *parent)
    : QAbstractItemModel(parent), m_session(session), m_root(std::make_unique<Node>())
{
    m_highlightTimer.setInterval(250);
    connect(&m_highlightTimer, &QTimer::timeout, this, &KeyModel::expireHighlights);
    connect(m_session, &Session::event, this, &KeyModel::onEvent);
    connect(m_session, &Session::relistNeeded, this, &KeyModel::reload);
    connect(m_session, &Session::freshnessChanged, this, &KeyModel::onFreshness);
    m_fresh = m_session->freshness().fresh() || m_session->freshness().state == Freshness::Connecting;
}

KeyModel::~KeyModel() = default;

void KeyModel::setPrefix(const QString &prefix)
{
    if (prefix == m_prefix)
        return;
    m_prefix = prefix;
    startOver(true);
}

void KeyModel::setMode(Mode mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
    startOver(true);
}

void KeyModel::setPageSize(int keys)
{
    m_pageSize = std::max(1, keys);
}

void KeyModel::startOver(bool reset)
{
    if (reset)
        beginResetModel();
    m_root = std::make_unique<Node>();
    m_root->path = m_prefix;
    m_leaves.clear();
    m_highlighted.clear();
    m_highlightTimer.stop();
    m_keys = 0;
    m_cursor.clear();
    m_complete = false;
    m_inFlight = false;
    m_error.reset();
    m_deletedAt.clear();
    m_resyncing = false;
    m_seenInResync.clear();
    ++m_generation;
    if (reset)
        endResetModel();
    Q_EMIT listingChanged();
}

void KeyModel::reload()
{
    const bool wasStopped = m_stopped;
    m_stopped = false;
    startOver(true);
    m_stopped = wasStopped;
    if (!m_stopped)
        requestPage();
}

bool KeyModel::canFetchMore(const QModelIndex &parent) const
{
    // The listing is one for the whole model: its root asks for more.
    return !parent.isValid() && !m_complete && !m_stopped && !m_inFlight && !m_error;
}

void KeyModel::fetchMore(const QModelIndex &parent)
{
    if (canFetchMore(parent))
        requestPage();
}

void KeyModel::fetchAll()
{
    m_fetchAll = true;
    m_stopped = false;
    if (!m_inFlight && !m_complete)
        requestPage();
}

void KeyModel::stop()
{
    m_stopped = true;
    m_fetchAll = false;
    // A page on its way is still taken: it was asked for.
    Q_EMIT listingChanged();
}

void KeyModel::resume()
{
    m_stopped = false;
    m_error.reset();
    Q_EMIT listingChanged();
    if (!m_inFlight && !m_complete)
        requestPage();
}

void KeyModel::requestPage()
{
    if (m_inFlight || m_complete)
        return;
    m_inFlight = true;
    ListOptions options;
    options.prefix = m_prefix;
    options.limit = m_pageSize;
    options.cursor = m_cursor;
    options.keysOnly = true;
    const quint64 generation = m_generation;
    const quint64 issuedAt = m_eventSeq;
    m_session->provider()->list(options).then(this, [this, generation, issuedAt](Result<ListPage> page) {
        // Always from the event loop, never inside the call that asked: a
        // view may fetch more while it handles one of this model's signals.
        QMetaObject::invokeMethod(
            this, [this, generation, issuedAt, page = std::move(page)]() mutable {
                applyPage(generation, issuedAt, std::move(page));
            },
            Qt::QueuedConnection);
    });
    Q_EMIT listingChanged();
}

void KeyModel::applyPage(quint64 generation, quint64 issuedAt, Result<ListPage> page)
{
    if (generation != m_generation)
        return; // the listing started over meanwhile
    m_inFlight = false;
    if (!page.ok()) {
        m_error = page.error();
        m_fetchAll = false;
        Q_EMIT listingChanged();
        Q_EMIT listingFailed(page.error());
        return;
    }
    ListPage &p = page.value();
    m_cursor = p.nextCursor;
    m_complete = p.nextCursor.isEmpty();
    // Reading everything: the next page is on its way while this one is
    // taken in, so the store and the model work at the same time.
    if (m_fetchAll && !m_complete && !m_stopped)
        requestPage();
    // Flat rows that are new go in as one block.
    QList<Entry> fresh;
    for (Entry &e : p.entries) {
        // An event after the page was asked for knows better.
        if (const auto d = m_deletedAt.constFind(e.key); d != m_deletedAt.cend() && *d > issuedAt)
            continue;
        if (Node *known = m_leaves.value(e.key)) {
            if (known->eventSeq <= issuedAt && !known->deleted) {
                known->revision = e.revision;
                known->updated = e.updated;
                known->labels = e.labels;
            }
            continue;
        }
        if (m_mode == Flat)
            fresh.append(std::move(e));
        else
            upsert(e, Tone::Normal);
    }
    if (!fresh.isEmpty()) {
        const int first = int(m_root->children.size());
        beginInsertRows(QModelIndex(), first, first + int(fresh.size()) - 1);
        for (const Entry &e : std::as_const(fresh)) {
            auto node = std::make_unique<Node>();
            node->name = e.key;
            node->path = e.key;
            node->parent = m_root.get();
            node->row = int(m_root->children.size());
            node->hasValue = true;
            node->revision = e.revision;
            node->updated = e.updated;
            node->labels = e.labels;
            node->leaves = 1;
            m_leaves.insert(e.key, node.get());
            m_root->children.push_back(std::move(node));
        }
        m_root->leaves += int(fresh.size());
        m_keys += fresh.size();
        endInsertRows();
    }
    if (m_complete) {
        m_deletedAt.clear();
        m_fetchAll = false;
    }
    Q_EMIT listingChanged();
}

QStringList KeyModel::segmentsOf(const QString &key) const
{
    const QString rest = key.mid(m_prefix.size());
    const QString sep = m_session->capabilities().keySeparator;
    if (m_mode == Flat || sep.isEmpty())
        return {rest};
    return rest.split(sep);
}

KeyModel::Node *KeyModel::upsert(const Entry &e, Tone tone)
{
    Node *leaf = m_leaves.value(e.key);
    if (!leaf) {
        const QStringList segments = segmentsOf(e.key);
        const QString sep = m_session->capabilities().keySeparator;
        Node *at = m_root.get();
        QString path = m_prefix;
        for (int i = 0; i < segments.size(); ++i) {
            const bool last = i == segments.size() - 1;
            const QString &segment = segments.at(i);
            path += segment;
            if (!last && m_mode == Tree)
                path += sep;
            // An inner row is named with its separator ("app/"), so a key
            // "app" and the keys under "app/" are two rows.
            const QString name = m_mode == Flat ? e.key : segment + (last ? QString() : sep);
            // Flat: the key is new (m_leaves said so), so is its row.
            Node *child = m_mode == Flat ? nullptr : at->childByName.value(name);
            if (!child) {
                auto node = std::make_unique<Node>();
                node->name = name;
                node->path = m_mode == Flat ? e.key : path;
                node->parent = at;
                node->row = int(at->children.size());
                child = node.get();
                beginInsertRows(indexOf(at), node->row, node->row);
                if (m_mode == Tree)
                    at->childByName.insert(name, child);
                at->children.push_back(std::move(node));
                endInsertRows();
            }
            at = child;
        }
        leaf = at;
        leaf->hasValue = true;
        m_leaves.insert(e.key, leaf);
        for (Node *n = leaf; n; n = n->parent)
            ++n->leaves;
        ++m_keys;
    } else if (leaf->deleted) {
        leaf->deleted = false;
        ++m_keys;
    }
    leaf->revision = e.revision;
    leaf->updated = e.updated;
    leaf->labels = e.labels;
    if (tone != Tone::Normal)
        highlight(leaf, tone);
    else
        Q_EMIT dataChanged(indexOf(leaf, 0), indexOf(leaf, ColumnCount - 1));
    return leaf;
}

void KeyModel::highlight(Node *node, Tone tone)
{
    if (m_highlight.count() <= 0) {
        Q_EMIT dataChanged(indexOf(node, 0), indexOf(node, ColumnCount - 1));
        return;
    }
    node->tone = tone;
    node->toneUntil = QDateTime::currentMSecsSinceEpoch() + m_highlight.count();
    m_highlighted.insert(node);
    if (!m_highlightTimer.isActive())
        m_highlightTimer.start();
    Q_EMIT dataChanged(indexOf(node, 0), indexOf(node, ColumnCount - 1));
}

void KeyModel::expireHighlights()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QList<Node *> due;
    for (Node *n : std::as_const(m_highlighted))
        if (n->toneUntil <= now)
            due.append(n);
    for (Node *n : std::as_const(due)) {
        if (!m_highlighted.contains(n))
            continue; // removed with an earlier one's subtree
        m_highlighted.remove(n);
        n->toneUntil = 0;
        n->tone = Tone::Normal;
        if (n->deleted)
            removeKey(n);
        else
            Q_EMIT dataChanged(indexOf(n, 0), indexOf(n, ColumnCount - 1));
    }
    if (m_highlighted.isEmpty())
        m_highlightTimer.stop();
}

// Gone from the store: shown a little longer with the Deleted tone, or
// removed at once when nothing is highlighted.
void KeyModel::markDeleted(Node *leaf)
{
    if (m_highlight.count() <= 0) {
        removeKey(leaf);
        return;
    }
    leaf->deleted = true;
    --m_keys;
    highlight(leaf, Tone::Deleted);
}

void KeyModel::forget(Node *subtree)
{
    m_highlighted.remove(subtree);
    if (subtree->hasValue && m_leaves.value(subtree->path) == subtree)
        m_leaves.remove(subtree->path);
    for (const auto &c : subtree->children)
        forget(c.get());
}

void KeyModel::removeKey(Node *leaf)
{
    if (!leaf->deleted)
        --m_keys;
    leaf->deleted = false;
    leaf->hasValue = false;
    m_leaves.remove(leaf->path);
    m_highlighted.remove(leaf);
    for (Node *n = leaf; n; n = n->parent)
        --n->leaves;
    if (!leaf->children.empty()) {
        // Still a prefix of other keys: the row stays, as a prefix only.
        Q_EMIT dataChanged(indexOf(leaf, 0), indexOf(leaf, ColumnCount - 1));
        return;
    }
    pruneEmpty(leaf);
}

// Removes `node` and every ancestor left with no key under it.
void KeyModel::pruneEmpty(Node *node)
{
    while (node && node != m_root.get() && node->leaves == 0 && !node->hasValue) {
        Node *parent = node->parent;
        const int row = node->row;
        beginRemoveRows(indexOf(parent), row, row);
        forget(node);
        parent->childByName.remove(node->name);
        parent->children.erase(parent->children.begin() + row);
        for (int i = row; i < int(parent->children.size()); ++i)
            parent->children[size_t(i)]->row = i;
        endRemoveRows();
        node = parent;
    }
}

void KeyModel::onEvent(const Event &e)
{
    ++m_eventSeq;
    switch (e.type) {
    case Event::Type::Resync:
        m_resyncing = true;
        m_seenInResync.clear();
        return;
    case Event::Type::ResyncDone: {
        // The Added events of the Resync were the whole truth: a loaded key
        // that was not among them is gone.
        m_resyncing = false;
        QList<Node *> gone;
        for (auto it = m_leaves.cbegin(); it != m_leaves.cend(); ++it)
            if (!m_seenInResync.contains(it.key()) && !it.value()->deleted)
                gone.append(it.value());
        m_seenInResync.clear();
        for (Node *n : std::as_const(gone))
            markDeleted(n);
        Q_EMIT listingChanged();
        return;
    }
    default:
        break;
    }
    if (!e.entry.key.startsWith(m_prefix))
        return;
    const QString &key = e.entry.key;
    if (e.type == Event::Type::Deleted) {
        m_deletedAt.insert(key, m_eventSeq);
        Node *leaf = m_leaves.value(key);
        if (!leaf || leaf->deleted)
            return;
        markDeleted(leaf);
        Q_EMIT listingChanged();
        return;
    }
    if (m_resyncing) {
        m_seenInResync.insert(key);
        // Unloaded keys of an unfinished listing come with their page.
        if (!m_leaves.contains(key) && !m_complete)
            return;
        Node *leaf = m_leaves.value(key);
        const bool changed = !leaf || leaf->deleted || leaf->revision != e.entry.revision;
        if (changed)
            upsert(e.entry, leaf && !leaf->deleted ? Tone::Modified : Tone::Added)->eventSeq = m_eventSeq;
        return;
    }
    m_deletedAt.remove(key);
    const bool known = m_leaves.contains(key) && !m_leaves.value(key)->deleted;
    const qint64 before = m_keys;
    upsert(e.entry, known ? Tone::Modified : Tone::Added)->eventSeq = m_eventSeq;
    if (m_keys != before)
        Q_EMIT listingChanged();
}

void KeyModel::onFreshness(const FreshnessState &state)
{
    const bool fresh = state.fresh() || state.state == Freshness::Connecting;
    if (fresh == m_fresh)
        return;
    m_fresh = fresh;
    if (!m_root->children.empty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_root->children.size()) - 1, ColumnCount - 1), {ToneRole});
}

QString KeyModel::statusText() const
{
    const QString n = QLocale().toString(m_keys);
    QString s = m_keys == 1 ? QCoreApplication::translate("KeyModel", "1 key loaded")
                            : QCoreApplication::translate("KeyModel", "%1 keys loaded").arg(n);
    if (m_error)
        return s + QCoreApplication::translate("KeyModel", ", listing failed: %1").arg(m_error->message);
    if (m_complete)
        return s + QCoreApplication::translate("KeyModel", ", listing complete");
    if (m_stopped)
        return s + QCoreApplication::translate("KeyModel", ", listing stopped (not complete)");
    return s + QCoreApplication::translate("KeyModel", ", still listing");
}

KeyModel::Node *KeyModel::nodeOf(const QModelIndex &index) const
{
    return index.isValid() ? static_cast<Node *>(index.internalPointer()) : m_root.get();
}

QModelIndex KeyModel::indexOf(const Node *node, int column) const
{
    if (!node || node == m_root.get())
        return {};
    return createIndex(node->row, column, const_cast<Node *>(node));
}

QModelIndex KeyModel::indexOfKey(const QString &key, int column) const
{
    return indexOf(m_leaves.value(key), column);
}

QString KeyModel::keyAt(const QModelIndex &index) const
{
    const Node *n = nodeOf(index);
    return n == m_root.get() ? QString() : n->path;
}

bool KeyModel::isPrefix(const QModelIndex &index) const
{
    const Node *n = nodeOf(index);
    return n != m_root.get() && !n->children.empty();
}

QModelIndex KeyModel::index(int row, int column, const QModelIndex &parent) const
{
    const Node *p = nodeOf(parent);
    if (row < 0 || column < 0 || column >= ColumnCount || row >= int(p->children.size()))
        return {};
    return createIndex(row, column, p->children[size_t(row)].get());
}

QModelIndex KeyModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    return indexOf(nodeOf(child)->parent);
}

int KeyModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(nodeOf(parent)->children.size());
}

int KeyModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

bool KeyModel::hasChildren(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return !m_root->children.empty() || canFetchMore(parent);
    return parent.column() == 0 && !nodeOf(parent)->children.empty();
}

QVariant KeyModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const Node *n = nodeOf(index);
    switch (role) {
    case ToneRole:
        if (n->tone != Tone::Normal)
            return int(n->tone);
        return int(m_fresh ? (n->hasValue ? Tone::Normal : Tone::Muted) : Tone::Stale);
    case KeyRole:
        return n->path;
    case IsPrefixRole:
        return !n->children.empty();
    case HasValueRole:
        return n->hasValue;
    case LabelsRole: {
        QVariantMap m;
        for (auto it = n->labels.cbegin(); it != n->labels.cend(); ++it)
            m.insert(it.key(), it.value());
        return m;
    }
    case RevisionRole:
        return n->revision;
    case LeafCountRole:
        return n->leaves;
    case SortRole:
        switch (index.column()) {
        case UpdatedColumn: return n->updated.isValid() ? n->updated.toMSecsSinceEpoch() : qint64(0);
        case TtlColumn: return n->labels.value(QStringLiteral("ttl"), QStringLiteral("-1")).toLongLong();
        case RevisionColumn: {
            bool ok = false;
            const qint64 v = n->revision.toLongLong(&ok);
            return ok ? QVariant(v) : QVariant(n->revision);
        }
        default: return data(index, Qt::DisplayRole);
        }
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    switch (index.column()) {
    case KeyColumn:
        return n->name;
    case TypeColumn:
        if (!n->children.empty() && !n->hasValue)
            return n->leaves == 1 ? QCoreApplication::translate("KeyModel", "1 key")
                                  : QCoreApplication::translate("KeyModel", "%1 keys").arg(n->leaves);
        return n->labels.value(QStringLiteral("type"), n->labels.value(QStringLiteral("kind")));
    case RevisionColumn:
        return n->revision;
    case UpdatedColumn:
        return n->updated.isValid() ? n->updated.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                                    : QString();
    case TtlColumn:
        return ttlText(n->labels.value(QStringLiteral("ttl")));
    case LabelsColumn: {
        QStringList parts;
        for (auto it = n->labels.cbegin(); it != n->labels.cend(); ++it)
            if (!shownElsewhere(it.key()))
                parts << it.key() + QLatin1Char('=') + it.value();
        return parts.join(QStringLiteral(", "));
    }
    default:
        return {};
    }
}

QVariant KeyModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case KeyColumn: return QCoreApplication::translate("KeyModel", "KEY");
    case TypeColumn: return QCoreApplication::translate("KeyModel", "TYPE");
    case RevisionColumn: return QCoreApplication::translate("KeyModel", "REVISION");
    case UpdatedColumn: return QCoreApplication::translate("KeyModel", "UPDATED");
    case TtlColumn: return QCoreApplication::translate("KeyModel", "TTL");
    case LabelsColumn: return QCoreApplication::translate("KeyModel", "LABELS");
    default: return {};
    }
}

QHash<int, QByteArray> KeyModel::roleNames() const
{
    QHash<int, QByteArray> r = QAbstractItemModel::roleNames();
    r.insert(ToneRole, "tone");
    r.insert(KeyRole, "key");
    r.insert(SortRole, "sort");
    r.insert(IsPrefixRole, "isPrefix");
    r.insert(HasValueRole, "hasValue");
    r.insert(LabelsRole, "labels");
    r.insert(RevisionRole, "revision");
    r.insert(LeafCountRole, "leafCount");
    return r;
}

} // namespace sd::console
