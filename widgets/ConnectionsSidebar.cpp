#include "ConnectionsSidebar.h"

#include "Theme.h"
#include "ToneDelegate.h"

#include <QAction>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPixmap>
#include <QStandardItemModel>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace sd::widgets {

using console::ConnectionItem;
using console::Tone;

namespace {

QStandardItem *makeGroup(const QString &title)
{
    auto *g = new QStandardItem(title);
    g->setSelectable(false);
    QFont f = g->font();
    f.setBold(true);
    g->setFont(f);
    g->setData(int(Tone::Muted), console::ToneRole);
    return g;
}

} // namespace

ConnectionsSidebar::ConnectionsSidebar(Theme *theme, QWidget *parent)
    : QWidget(parent), m_theme(theme), m_model(new QStandardItemModel(this)), m_view(new QTreeView(this))
{
    setObjectName(QStringLiteral("connectionsSidebar"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 0, 6);
    layout->setSpacing(4);
    auto *top = new QHBoxLayout;
    auto *title = new QLabel(QStringLiteral("<b>%1</b>").arg(tr("Connections")), this);
    auto *reload = new QToolButton(this);
    reload->setText(tr("Reload"));
    reload->setAutoRaise(true);
    reload->setToolTip(tr("Read connections.yaml and the kubeconfig again."));
    auto *add = new QToolButton(this);
    add->setObjectName(QStringLiteral("addConnection"));
    add->setText(tr("+"));
    add->setAutoRaise(true);
    add->setToolTip(tr("Add a connection to connections.yaml (Insert)."));
    top->addWidget(title, 1);
    top->addWidget(add);
    top->addWidget(reload);
    layout->addLayout(top);

    m_view->setObjectName(QStringLiteral("connectionView"));
    m_view->setModel(m_model);
    m_view->setHeaderHidden(true);
    m_view->setItemDelegate(new ToneDelegate(theme, m_view));
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setTextElideMode(Qt::ElideMiddle);
    layout->addWidget(m_view, 1);
    connect(reload, &QToolButton::clicked, this, &ConnectionsSidebar::reloadRequested);
    connect(add, &QToolButton::clicked, this, &ConnectionsSidebar::addRequested);

    // Keys while the list has the focus, and the same in a context menu.
    auto *addAction = new QAction(tr("Add connection…"), this);
    addAction->setShortcut(QKeySequence(Qt::Key_Insert));
    auto *editAction = new QAction(tr("Edit connection…"), this);
    editAction->setObjectName(QStringLiteral("editConnection"));
    editAction->setShortcut(QKeySequence(Qt::Key_F2));
    auto *removeAction = new QAction(tr("Remove connection…"), this);
    removeAction->setObjectName(QStringLiteral("removeConnection"));
    removeAction->setShortcut(QKeySequence(QKeySequence::Delete));
    for (QAction *a : {addAction, editAction, removeAction}) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        m_view->addAction(a);
    }
    connect(addAction, &QAction::triggered, this, &ConnectionsSidebar::addRequested);
    connect(editAction, &QAction::triggered, this, [this] {
        if (const QString name = selectedConnection(); !name.isEmpty())
            Q_EMIT editRequested(name);
    });
    connect(removeAction, &QAction::triggered, this, [this] {
        if (const QString name = selectedConnection(); !name.isEmpty())
            Q_EMIT removeRequested(name);
    });
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view, &QWidget::customContextMenuRequested, this,
            [this, addAction, editAction, removeAction](const QPoint &at) {
                const bool onConnection = !selectedConnection().isEmpty();
                editAction->setEnabled(onConnection);
                removeAction->setEnabled(onConnection);
                auto *menu = new QMenu(this);
                menu->setAttribute(Qt::WA_DeleteOnClose);
                menu->addAction(addAction);
                menu->addAction(editAction);
                menu->addAction(removeAction);
                menu->popup(m_view->viewport()->mapToGlobal(at));
            });
    connect(m_view, &QTreeView::activated, this, [this](const QModelIndex &index) {
        const QString id = index.data(IdRole).toString();
        if (!id.isEmpty())
            Q_EMIT openRequested(id);
    });
}

void ConnectionsSidebar::setCatalog(const console::ConnectionCatalog &catalog)
{
    m_model->clear();
    m_names.clear();
    auto group = [this](const QString &title) {
        QStandardItem *g = makeGroup(title);
        m_model->appendRow(g);
        return g;
    };
    QStandardItem *connections = group(tr("connections.yaml"));
    QStandardItem *contexts = group(tr("Kubernetes contexts"));
    QStandardItem *embedded = group(tr("Embedded"));
    for (const ConnectionItem &c : catalog.items()) {
        // Badges before the connection is opened: production is never
        // mistaken for staging in the list either.
        QString shown = c.name;
        if (c.readOnly)
            shown += QLatin1Char(' ') + tr("[read-only]");
        if (c.production)
            shown += QLatin1Char(' ') + tr("[production]");
        if (c.sensitive)
            shown += QLatin1Char(' ') + tr("[secrets]");
        auto *item = new QStandardItem(shown);
        item->setData(c.id(), IdRole);
        m_names.insert(c.id(), shown);
        if (const QColor colour(c.color); colour.isValid()) {
            QPixmap swatch(12, 12);
            swatch.fill(colour);
            item->setData(swatch, Qt::DecorationRole);
        }
        QString tip = c.description;
        if (c.current)
            tip += QLatin1Char('\n') + tr("(the current connection)");
        if (!c.error.isEmpty()) {
            tip = c.error;
            item->setData(int(Tone::Error), console::ToneRole);
        }
        item->setToolTip(tip);
        if (c.current) {
            QFont f = item->font();
            f.setBold(true);
            item->setFont(f);
        }
        switch (c.kind) {
        case ConnectionItem::Kind::Connection: connections->appendRow(item); break;
        case ConnectionItem::Kind::KubeContext: contexts->appendRow(item); break;
        case ConnectionItem::Kind::Embedded:
        case ConnectionItem::Kind::Demo: embedded->appendRow(item); break;
        }
    }
    auto none = [](QStandardItem *g, const QString &text) {
        if (g->rowCount() > 0)
            return;
        auto *item = new QStandardItem(text);
        item->setSelectable(false);
        item->setData(int(Tone::Muted), console::ToneRole);
        g->appendRow(item);
    };
    none(connections, tr("none yet"));
    none(contexts, tr("no kubeconfig"));
    if (connections->rowCount() == 1 && !connections->child(0)->data(IdRole).isValid())
        connections->child(0)->setToolTip(
            tr("Name connections in %1 (see docs/configuration.md).").arg(catalog.connectionsPath()));
    for (const QString &e : catalog.errors()) {
        auto *item = new QStandardItem(e);
        item->setSelectable(false);
        item->setToolTip(e);
        item->setData(int(Tone::Error), console::ToneRole);
        (e.contains(QLatin1String("kube")) ? contexts : connections)->appendRow(item);
    }
    m_view->expandAll();
}

void ConnectionsSidebar::addOpened(const QString &id, const QString &name, const QString &description)
{
    if (itemOf(id))
        return;
    QStandardItem *group = nullptr;
    const QString title = tr("Opened");
    for (int g = 0; g < m_model->rowCount(); ++g)
        if (m_model->item(g)->text() == title)
            group = m_model->item(g);
    if (!group) {
        group = makeGroup(title);
        m_model->insertRow(0, group);
    }
    auto *item = new QStandardItem(name);
    item->setData(id, IdRole);
    item->setToolTip(description);
    m_names.insert(id, name);
    group->appendRow(item);
    m_view->expand(group->index());
}

QStandardItem *ConnectionsSidebar::itemOf(const QString &id) const
{
    for (int g = 0; g < m_model->rowCount(); ++g) {
        QStandardItem *group = m_model->item(g);
        for (int r = 0; r < group->rowCount(); ++r)
            if (group->child(r)->data(IdRole).toString() == id)
                return group->child(r);
    }
    return nullptr;
}

void ConnectionsSidebar::setOpenState(const QString &id, Tone tone, const QString &text, bool readOnly)
{
    QStandardItem *item = itemOf(id);
    if (!item)
        return;
    QString shown = m_names.value(id);
    if (readOnly && !shown.contains(tr("[read-only]")))
        shown += QLatin1Char(' ') + tr("[read-only]");
    if (!text.isEmpty())
        shown += QStringLiteral("  · ") + text;
    item->setText(shown);
    item->setData(text.isEmpty() ? QVariant() : QVariant(int(tone)), console::ToneRole);
}

QString ConnectionsSidebar::selectedConnection() const
{
    const QString id = m_view->currentIndex().data(IdRole).toString();
    static const QString prefix = QStringLiteral("connection:");
    return id.startsWith(prefix) ? id.mid(prefix.size()) : QString();
}

void ConnectionsSidebar::setCurrent(const QString &id)
{
    if (QStandardItem *item = itemOf(id))
        m_view->setCurrentIndex(item->index());
}

QStringList ConnectionsSidebar::ids() const
{
    QStringList out;
    for (int g = 0; g < m_model->rowCount(); ++g) {
        QStandardItem *group = m_model->item(g);
        for (int r = 0; r < group->rowCount(); ++r) {
            const QString id = group->child(r)->data(IdRole).toString();
            if (!id.isEmpty())
                out << id;
        }
    }
    return out;
}

QString ConnectionsSidebar::itemText(const QString &id) const
{
    QStandardItem *item = itemOf(id);
    return item ? item->text() : QString();
}

} // namespace sd::widgets
