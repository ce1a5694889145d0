#include "CommandPalette.h"

#include "console/Actions.h"

#include <QAction>
#include <QCoreApplication>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace sd::widgets {

namespace {

enum { IdRole = Qt::UserRole + 1, SearchRole, EnabledRole };

// Every typed word must appear in the entry's title, id or help.
class PaletteFilter : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setWords(const QString &text)
    {
        m_words = text.toLower().split(QLatin1Char(' '), Qt::SkipEmptyParts);
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex &parent) const override
    {
        const QString hay = sourceModel()->index(row, 0, parent).data(SearchRole).toString();
        for (const QString &w : m_words)
            if (!hay.contains(w))
                return false;
        return true;
    }

private:
    QStringList m_words;
};

} // namespace

CommandPalette::CommandPalette(QWidget *parent)
    : QDialog(parent), m_input(new QLineEdit(this)), m_list(new QListView(this)), m_hint(new QLabel(this)),
      m_model(new QStandardItemModel(this)), m_proxy(new PaletteFilter(this))
{
    setObjectName(QStringLiteral("commandPalette"));
    setWindowTitle(tr("Command palette"));
    auto *layout = new QVBoxLayout(this);
    m_input->setObjectName(QStringLiteral("paletteInput"));
    m_input->setPlaceholderText(tr("Type an action or a connection: \"delete\", \"save\", \"connect prod\""));
    m_proxy->setSourceModel(m_model);
    m_list->setModel(m_proxy);
    m_list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_list->setUniformItemSizes(true);
    m_hint->setWordWrap(true);
    layout->addWidget(m_input);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_hint);
    m_input->installEventFilter(this);
    connect(m_input, &QLineEdit::textChanged, this, [this](const QString &text) {
        static_cast<PaletteFilter *>(m_proxy)->setWords(text);
        m_list->setCurrentIndex(m_proxy->index(0, 0));
    });
    connect(m_input, &QLineEdit::returnPressed, this, &CommandPalette::runCurrent);
    connect(m_list, &QListView::activated, this, &CommandPalette::runCurrent);
    connect(m_list->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &i) {
        m_hint->setText(i.data(Qt::ToolTipRole).toString());
    });
    resize(620, 420);
}

void CommandPalette::setEntries(const QList<Entry> &entries)
{
    m_model->clear();
    for (const Entry &e : entries) {
        QString text = e.title;
        if (!e.shortcut.isEmpty())
            text += QStringLiteral("    ") + e.shortcut;
        auto *item = new QStandardItem(text);
        item->setData(e.id, IdRole);
        item->setData(QString(e.title + QLatin1Char(' ') + e.id + QLatin1Char(' ') + e.detail).toLower(), SearchRole);
        item->setData(e.enabled, EnabledRole);
        item->setToolTip(e.enabled ? e.detail : tr("Cannot run now: %1").arg(e.detail));
        if (!e.enabled)
            item->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
        m_model->appendRow(item);
    }
    m_list->setCurrentIndex(m_proxy->index(0, 0));
}

QStringList CommandPalette::shownIds() const
{
    QStringList out;
    for (int r = 0; r < m_proxy->rowCount(); ++r)
        out << m_proxy->index(r, 0).data(IdRole).toString();
    return out;
}

bool CommandPalette::eventFilter(QObject *watched, QEvent *event)
{
    // Up and Down move in the list while the typing stays in the box.
    if (watched == m_input && event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent *>(event)->key();
        if (key == Qt::Key_Up || key == Qt::Key_Down || key == Qt::Key_PageUp || key == Qt::Key_PageDown) {
            QCoreApplication::sendEvent(m_list, event);
            return true;
        }
    }
    return QDialog::eventFilter(watched, event);
}

void CommandPalette::runCurrent()
{
    const QModelIndex i = m_list->currentIndex();
    if (!i.isValid())
        return;
    if (!i.data(EnabledRole).toBool()) {
        m_hint->setText(i.data(Qt::ToolTipRole).toString());
        return;
    }
    const QString id = i.data(IdRole).toString();
    accept();
    Q_EMIT chosen(id);
}

CheatSheet::CheatSheet(const QList<QAction *> &actions, QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("cheatSheet"));
    setWindowTitle(tr("Keys and actions"));
    auto *layout = new QVBoxLayout(this);
    auto *table = new QTableWidget(0, 4, this);
    table->setObjectName(QStringLiteral("cheatSheetTable"));
    table->setHorizontalHeaderLabels({tr("Where"), tr("Action"), tr("Shortcut"), tr("What it does")});
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setWordWrap(false);
    for (const console::Action &a : console::Actions::all()) {
        QAction *qa = nullptr;
        for (QAction *x : actions)
            if (x->data().toString() == a.id)
                qa = x;
        const int row = table->rowCount();
        table->insertRow(row);
        table->setItem(row, 0, new QTableWidgetItem(a.view));
        table->setItem(row, 1, new QTableWidgetItem(a.label));
        // The key in force: keys.yaml's `gui:` section may have changed it.
        const QKeySequence key = qa ? qa->shortcut() : QKeySequence(a.guiShortcut);
        table->setItem(row, 2, new QTableWidgetItem(key.toString(QKeySequence::NativeText)));
        QString what = a.help;
        if (qa && !qa->isEnabled())
            what += QStringLiteral("  (") + tr("now: %1").arg(qa->toolTip()) + QLatin1Char(')');
        auto *help = new QTableWidgetItem(what);
        help->setToolTip(what);
        table->setItem(row, 3, help);
    }
    table->resizeColumnsToContents();
    table->setColumnWidth(3, std::max(table->columnWidth(3), 360));
    layout->addWidget(table);
    resize(900, 600);
}

} // namespace sd::widgets
