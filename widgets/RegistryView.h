#pragma once

#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QSortFilterProxyModel;
class QTableView;
class QTreeView;

namespace sd::console {
class DefinitionModel;
class MachinesModel;
class RegistrySession;
}

namespace sd::widgets {

class StateGraphView;
class Theme;

// The state-machine registry (seed 003): a banner saying how fresh the list
// is (live, or polling because the server does not announce expiry), a
// table of machines with liveness in colour and the heartbeat age ticking,
// filterable by status or liveness, and for the selected machine its state
// graph (StateGraphView) beside the definition tree. Everything follows the
// registry live: a machine that stops beating turns stale, then dead; the
// graph's highlight follows the current state.
class RegistryView : public QWidget {
    Q_OBJECT
public:
    // Takes the registry and starts it live.
    RegistryView(std::unique_ptr<console::RegistrySession> registry, Theme *theme, QWidget *parent = nullptr);
    ~RegistryView() override;

    console::RegistrySession *registry() const { return m_registry.get(); }
    console::MachinesModel *machines() const;
    QSortFilterProxyModel *filtered() const { return m_filter; }
    QTableView *table() const { return m_table; }
    QComboBox *statusFilter() const { return m_statusFilter; }
    StateGraphView *graph() const { return m_graph; }
    QTreeView *tree() const { return m_tree; }
    QLabel *banner() const { return m_banner; }
    QString selectedMachine() const { return m_selected; }

    // Selects a machine by id (false when it is not listed, or filtered out).
    bool selectMachine(const QString &id);

private:
    void updateBanner();
    void applyFilter();
    void showSelected();

    std::unique_ptr<console::RegistrySession> m_registry;
    std::unique_ptr<console::DefinitionModel> m_definition;
    Theme *m_theme;
    QSortFilterProxyModel *m_filter;
    QLabel *m_banner;
    QComboBox *m_statusFilter;
    QTableView *m_table;
    StateGraphView *m_graph;
    QTreeView *m_tree;
    QLabel *m_graphTitle;
    QString m_selected;
    QByteArray m_treeJson; // the definition the tree shows
};

} // namespace sd::widgets
