#include "RegistryView.h"

#include "StateGraphView.h"
#include "Theme.h"
#include "ToneDelegate.h"
#include "console/DefinitionModel.h"
#include "console/MachinesModel.h"
#include "console/RegistrySession.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace sd::widgets {

using console::MachinesModel;
using console::Tone;

RegistryView::RegistryView(std::unique_ptr<console::RegistrySession> registry, Theme *theme, QWidget *parent)
    : QWidget(parent), m_registry(std::move(registry)), m_theme(theme)
{
    setObjectName(QStringLiteral("registryView"));
    setWindowTitle(tr("State-machine registry"));
    m_definition = std::make_unique<console::DefinitionModel>();

    m_banner = new QLabel(this);
    m_banner->setObjectName(QStringLiteral("registryBanner"));
    m_banner->setWordWrap(true);
    m_banner->setContentsMargins(6, 4, 6, 4);

    m_statusFilter = new QComboBox(this);
    m_statusFilter->setObjectName(QStringLiteral("statusFilter"));
    m_statusFilter->addItem(tr("All machines"), QString());
    for (const QString &l : {QStringLiteral("alive"), QStringLiteral("stale"), QStringLiteral("dead")})
        m_statusFilter->addItem(tr("Liveness: %1").arg(l), QString(QStringLiteral("liveness:") + l));
    for (const QString &s : console::RegistrySession::statusNames())
        m_statusFilter->addItem(tr("Status: %1").arg(s), QString(QStringLiteral("status:") + s));
    auto *count = new QLabel(this);
    count->setObjectName(QStringLiteral("registryCount"));

    m_filter = new QSortFilterProxyModel(this);
    m_filter->setSourceModel(machines());
    m_filter->setSortRole(console::SortRole);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("machinesTable"));
    m_table->setModel(m_filter);
    m_table->setItemDelegate(new ToneDelegate(theme, m_table));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(MachinesModel::IdColumn, Qt::AscendingOrder);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setAlternatingRowColors(true);

    m_graph = new StateGraphView(theme, this);
    m_tree = new QTreeView(this);
    m_tree->setObjectName(QStringLiteral("definitionTree"));
    m_tree->setModel(m_definition.get());
    m_tree->setItemDelegate(new ToneDelegate(theme, m_tree));
    m_tree->header()->setStretchLastSection(true);
    m_graphTitle = new QLabel(tr("Select a machine to see its state graph."), this);
    m_graphTitle->setObjectName(QStringLiteral("graphTitle"));

    auto *zoomIn = new QToolButton(this);
    zoomIn->setText(tr("Zoom in"));
    auto *zoomOut = new QToolButton(this);
    zoomOut->setText(tr("Zoom out"));
    auto *fit = new QToolButton(this);
    fit->setText(tr("Fit"));
    connect(zoomIn, &QToolButton::clicked, m_graph, &StateGraphView::zoomIn);
    connect(zoomOut, &QToolButton::clicked, m_graph, &StateGraphView::zoomOut);
    connect(fit, &QToolButton::clicked, m_graph, &StateGraphView::fitToView);

    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(new QLabel(tr("Show:"), this));
    filterRow->addWidget(m_statusFilter);
    filterRow->addStretch(1);
    filterRow->addWidget(count);

    auto *graphBar = new QHBoxLayout;
    graphBar->addWidget(m_graphTitle, 1);
    graphBar->addWidget(zoomIn);
    graphBar->addWidget(zoomOut);
    graphBar->addWidget(fit);
    auto *graphPane = new QWidget(this);
    auto *graphLayout = new QVBoxLayout(graphPane);
    graphLayout->setContentsMargins(0, 0, 0, 0);
    graphLayout->addLayout(graphBar);
    auto *lower = new QSplitter(Qt::Horizontal, graphPane);
    lower->addWidget(m_graph);
    lower->addWidget(m_tree);
    lower->setStretchFactor(0, 3);
    lower->setStretchFactor(1, 2);
    graphLayout->addWidget(lower, 1);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addLayout(filterRow);
    topLayout->addWidget(m_table, 1);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(graphPane);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_banner);
    layout->addWidget(split, 1);

    connect(m_statusFilter, &QComboBox::currentIndexChanged, this, &RegistryView::applyFilter);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &i) {
        m_selected = i.isValid() ? m_filter->data(i, console::KeyRole).toString() : QString();
        showSelected();
    });
    connect(m_registry.get(), &console::RegistrySession::changed, this, &RegistryView::showSelected);
    connect(m_registry.get(), &console::RegistrySession::updatesChanged, this, &RegistryView::updateBanner);
    connect(m_registry.get(), &console::RegistrySession::failed, this, [this](const Error &e) {
        m_banner->setText(e.toString());
        m_banner->setStyleSheet(m_theme ? m_theme->styleSheetFor(Tone::Error) : QString());
    });
    auto updateCount = [this, count] { count->setText(machines()->summary()); };
    connect(machines(), &QAbstractItemModel::rowsInserted, count, updateCount);
    connect(machines(), &QAbstractItemModel::rowsRemoved, count, updateCount);
    connect(machines(), &QAbstractItemModel::dataChanged, count, updateCount);
    if (m_theme)
        connect(m_theme, &Theme::changed, this, &RegistryView::updateBanner);
    updateBanner();
    m_registry->start();
}

console::MachinesModel *RegistryView::machines() const
{
    return m_registry->machines();
}

RegistryView::~RegistryView()
{
    // The views go before the models they show.
    m_table->setModel(nullptr);
    m_tree->setModel(nullptr);
}

void RegistryView::updateBanner()
{
    m_banner->setText(m_registry->freshnessText());
    m_banner->setStyleSheet(m_theme ? m_theme->styleSheetFor(m_registry->freshnessTone()) : QString());
}

void RegistryView::applyFilter()
{
    const QString f = m_statusFilter->currentData().toString();
    if (f.isEmpty()) {
        m_filter->setFilterRegularExpression(QRegularExpression());
        return;
    }
    const QString kind = f.section(QLatin1Char(':'), 0, 0);
    const QString value = f.section(QLatin1Char(':'), 1);
    m_filter->setFilterRole(kind == QLatin1String("liveness") ? MachinesModel::LivenessRole : MachinesModel::StatusRole);
    m_filter->setFilterKeyColumn(MachinesModel::IdColumn);
    m_filter->setFilterRegularExpression(
        QRegularExpression(QLatin1Char('^') + QRegularExpression::escape(value) + QLatin1Char('$')));
}

bool RegistryView::selectMachine(const QString &id)
{
    for (int r = 0; r < m_filter->rowCount(); ++r) {
        const QModelIndex i = m_filter->index(r, 0);
        if (m_filter->data(i, console::KeyRole).toString() == id) {
            m_table->setCurrentIndex(i);
            m_table->selectRow(r);
            return true;
        }
    }
    return false;
}

void RegistryView::showSelected()
{
    if (m_selected.isEmpty())
        return;
    const console::RegistrySession::MachineDefinition m = m_registry->definitionOf(m_selected);
    if (!m.known) {
        m_graphTitle->setText(tr("%1 is no longer registered.").arg(m_selected));
        return;
    }
    m_graphTitle->setText(m.currentState.isEmpty() ? tr("%1 — current state unknown").arg(m_selected)
                                                   : tr("%1 — current state %2").arg(m_selected, m.currentState));
    if (!m.json.isEmpty()) {
        m_graph->setCurrentState(m.currentState);
        m_graph->setDefinitionJson(m.json, m.origin);
        if (m.json != m_treeJson) {
            m_treeJson = m.json;
            m_definition->setDefinitionJson(m_treeJson, m.origin);
            m_tree->expandAll();
            m_tree->resizeColumnToContents(console::DefinitionModel::NameColumn);
        }
        m_definition->setCurrentState(m.currentState);
    } else {
        m_graph->clear(tr("No definition is known for %1: the Redis registry holds none; it comes from the machine's "
                          "StateMachine resource.")
                           .arg(m_selected));
        m_definition->clear();
        m_treeJson.clear();
    }
}

} // namespace sd::widgets
