#pragma once

#include "console/Roles.h"
#include "registry/Definition.h"

#include <QAbstractItemModel>

#include <optional>

namespace sd::console {

// A machine's XState definition as a tree: each state is an item whose
// children are first its transitions, then its child states. Two columns:
// the name (state key, or the transition's event) and the detail (a state's
// type, initial child and actions; a transition's targets and actions).
//
// The current state and its ancestors answer CurrentRole true and tone
// Good; transitions are Muted. setCurrentState() changes only those items
// (dataChanged), so a view keeps its expansion and selection; a new
// definition is a reset.
class DefinitionModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, DetailColumn };
    enum Roles {
        CurrentRole = FirstCustomRole, // bool
        KindRole,                      // "state" or "transition"
        StatePathRole,                 // the state's dotted path ("" for the root)
        StateTypeRole,                 // atomic, compound, parallel, final, history
    };

    explicit DefinitionModel(QObject *parent = nullptr);
    ~DefinitionModel() override;

    // Parses `json`; on a malformed definition the model is empty and
    // error() says what and where (the JSON path).
    void setDefinitionJson(const QByteArray &json, const QString &origin = {});
    void setDefinition(registry::Definition definition);
    void clear();
    const std::optional<registry::Definition> &definition() const { return m_def; }
    // What a graph view needs without a model: the parse (error with the
    // JSON path) and the Graphviz DOT text of a definition.
    static Result<registry::Definition> parse(const QByteArray &json, const QString &origin = {});
    static QByteArray dot(const registry::Definition &definition);
    const std::optional<Error> &error() const { return m_error; }

    void setCurrentState(const QString &currentState);
    QString currentState() const { return m_current; }
    const QSet<int> &activeNodes() const { return m_active; }

    // The item of the state at `path`, or an invalid index.
    QModelIndex indexOfState(const QString &path) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = QModelIndex()) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void definitionChanged();

private:
    struct Item {
        int node = -1;       // the state (for a transition: its source)
        int transition = -1; // index in the node's transitions, -1 for a state item
        int parent = -1;     // item index, -1 for the root item
        int row = 0;         // its row under its parent
        QList<int> children; // item indexes
    };
    void build();
    int itemOf(const QModelIndex &index) const;
    QString detail(const Item &item) const;

    std::optional<registry::Definition> m_def;
    std::optional<Error> m_error;
    QList<Item> m_items;     // 0 is the root state (when there is a definition)
    QList<int> m_itemOfNode; // node index -> item index
    QString m_current;
    QSet<int> m_active;
};

} // namespace sd::console
