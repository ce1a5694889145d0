#include "KeyBrowser.h"

#include "Theme.h"
#include "ToneDelegate.h"
#include "console/FilterModel.h"
#include "console/KeyModel.h"
#include "console/Session.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QPushButton>
#include <QScrollBar>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace sd::widgets {

using console::FilterModel;
using console::KeyModel;
using console::Tone;

namespace {

// The filter, asking the key model for more only when the view shows the
// end of what is loaded. QTreeView asks on every layout (a sort, a filter
// keystroke), which would read page after page nobody scrolled to.
class BrowserFilter : public FilterModel {
public:
    BrowserFilter(std::function<bool()> wantsMore, QObject *parent)
        : FilterModel(parent), m_wantsMore(std::move(wantsMore))
    {
    }
    bool canFetchMore(const QModelIndex &parent) const override
    {
        return m_wantsMore() && FilterModel::canFetchMore(parent);
    }

private:
    std::function<bool()> m_wantsMore;
};

} // namespace

KeyBrowser::KeyBrowser(console::Session *session, Theme *theme, QWidget *parent)
    : QWidget(parent), m_session(session), m_theme(theme), m_keys(new KeyModel(session, this)),
      m_filter(new BrowserFilter([this] { return showsEnd(); }, this))
{
    setObjectName(QStringLiteral("keyBrowser"));
    m_filter->setSourceModel(m_keys);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(4);

    auto *top = new QHBoxLayout;
    m_filterEdit = new QLineEdit(this);
    m_filterEdit->setObjectName(QStringLiteral("keyFilter"));
    m_filterEdit->setPlaceholderText(tr("Filter keys: text or regex, !text to invert, -l app=web for labels"));
    m_filterEdit->setClearButtonEnabled(true);
    m_treeToggle = new QToolButton(this);
    m_treeToggle->setObjectName(QStringLiteral("treeToggle"));
    m_treeToggle->setCheckable(true);
    m_treeToggle->setText(tr("Tree"));
    m_treeToggle->setToolTip(tr("Show keys as a tree of prefixes split on \"%1\", or as one list (Ctrl+T).")
                                 .arg(session->capabilities().keySeparator));
    m_treeToggle->setEnabled(!session->capabilities().keySeparator.isEmpty());
    top->addWidget(m_filterEdit, 1);
    top->addWidget(m_treeToggle);
    layout->addLayout(top);

    m_view = new QTreeView(this);
    m_view->setObjectName(QStringLiteral("keyView"));
    m_view->setModel(m_filter);
    m_view->setItemDelegate(new ToneDelegate(theme, m_view));
    m_view->setUniformRowHeights(true); // 100k rows lay out in constant time
    m_view->setRootIsDecorated(false);
    m_view->setAllColumnsShowFocus(true);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(KeyModel::KeyColumn, Qt::AscendingOrder);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->header()->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->header()->setStretchLastSection(true);
    m_view->header()->setSectionsMovable(true);
    m_view->setColumnWidth(KeyModel::KeyColumn, 200);
    m_view->setColumnWidth(KeyModel::TypeColumn, 60);
    m_view->setColumnWidth(KeyModel::RevisionColumn, 70);
    m_view->setColumnWidth(KeyModel::UpdatedColumn, 140);
    m_view->setColumnWidth(KeyModel::TtlColumn, 45);
    layout->addWidget(m_view, 1);

    auto *bottom = new QHBoxLayout;
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("listingStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setContentsMargins(4, 1, 4, 1);
    m_stop = new QPushButton(tr("Stop"), this);
    m_stop->setObjectName(QStringLiteral("stopListing"));
    m_stop->setToolTip(tr("Stop reading more keys (what is loaded stays)."));
    m_resume = new QPushButton(tr("Resume"), this);
    m_resume->setObjectName(QStringLiteral("resumeListing"));
    m_resume->setToolTip(tr("Go on reading keys where the listing stopped."));
    m_all = new QPushButton(tr("List all"), this);
    m_all->setObjectName(QStringLiteral("listAll"));
    m_all->setToolTip(tr("Read every remaining page of keys (Ctrl+L)."));
    bottom->addWidget(m_status, 1);
    bottom->addWidget(m_stop);
    bottom->addWidget(m_resume);
    bottom->addWidget(m_all);
    layout->addLayout(bottom);

    connect(m_filterEdit, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_filter->setFilterText(text);
        updateStatus();
    });
    connect(m_treeToggle, &QToolButton::toggled, this, &KeyBrowser::setTreeMode);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) { onCurrentChanged(current); });
    // A row replaced or filtered away under the cursor moves the current
    // index without currentChanged for the same key; rows removed do not.
    connect(m_filter, &QAbstractItemModel::modelReset, this,
            [this] { onCurrentChanged(m_view->currentIndex()); });
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this,
            [this] { onCurrentChanged(m_view->currentIndex()); });
    connect(m_view, &QTreeView::doubleClicked, this, [this](const QModelIndex &) { openCurrent(); });
    connect(m_view, &QWidget::customContextMenuRequested, this, &KeyBrowser::showContextMenu);
    connect(m_view->header(), &QWidget::customContextMenuRequested, this, &KeyBrowser::showColumnMenu);
    connect(m_keys, &KeyModel::listingChanged, this, &KeyBrowser::updateStatus);
    connect(m_keys, &KeyModel::listingFailed, this, [this](const Error &e) {
        Q_EMIT notify(Tone::Error, tr("Listing %1 failed: %2").arg(m_session ? m_session->name() : QString(), e.message),
                      e.toString());
    });
    // A listing that failed because the store was away goes on by itself
    // once the session is back.
    connect(session, &console::Session::freshnessChanged, this, [this](const console::FreshnessState &f) {
        if (f.fresh() && m_keys->listingError())
            m_keys->resume();
    });
    connect(m_stop, &QPushButton::clicked, this, &KeyBrowser::stopListing);
    connect(m_resume, &QPushButton::clicked, this, [this] { m_keys->resume(); });
    connect(m_all, &QPushButton::clicked, this, &KeyBrowser::listAll);
    if (m_theme)
        connect(m_theme, &Theme::changed, this, [this] {
            updateStatus();
            m_view->viewport()->update();
        });
    setFocusProxy(m_view);
    updateStatus();
    // The first page; the view asks for the next ones as it is scrolled.
    m_keys->fetchMore({});
}

bool KeyBrowser::showsEnd() const
{
    if (!m_view)
        return false;
    // Counted rather than read off the scroll bar, which lags a layout behind.
    const int rowHeight = std::max(1, m_view->fontMetrics().height());
    if (m_filter->rowCount() * rowHeight < m_view->viewport()->height())
        return true;
    const QScrollBar *bar = m_view->verticalScrollBar();
    return bar->maximum() > 0 && bar->value() >= bar->maximum() - bar->pageStep() / 4;
}

QString KeyBrowser::statusText() const
{
    return m_status->text();
}

void KeyBrowser::updateStatus()
{
    QString text = m_keys->statusText();
    if (!m_filter->spec().isEmpty() && m_filter->filterError().isEmpty()) {
        const int shown = m_filter->rowCount();
        const QString matched = treeMode()    ? tr("filtered")
                                : shown == 1 ? tr("1 match")
                                             : tr("%1 matches").arg(QLocale().toString(shown));
        text = matched + QStringLiteral(" · ") + text;
        if (!m_keys->listingComplete())
            text += tr(" (the filter sees loaded keys only)");
    }
    if (!m_filter->filterError().isEmpty())
        text = tr("Filter ignored: %1").arg(m_filter->filterError()) + QStringLiteral(" · ") + text;
    m_status->setText(text);
    Tone tone = Tone::Muted;
    if (m_keys->listingError() || !m_filter->filterError().isEmpty())
        tone = Tone::Error;
    else if (m_keys->listingStopped() && !m_keys->listingComplete())
        tone = Tone::Warning;
    if (m_theme) {
        m_status->setStyleSheet(m_theme->styleSheetFor(tone) + QStringLiteral("border-radius: 3px;"));
        m_filterEdit->setStyleSheet(m_filter->filterError().isEmpty()
                                        ? QString()
                                        : QStringLiteral("QLineEdit { %1 }").arg(m_theme->styleSheetFor(Tone::Error)));
    }
    m_filterEdit->setToolTip(m_filter->filterError());
    const bool complete = m_keys->listingComplete();
    const bool stopped = m_keys->listingStopped() || m_keys->listingError().has_value();
    m_stop->setVisible(!complete && !stopped);
    m_resume->setVisible(!complete && stopped);
    m_resume->setText(m_keys->listingError() ? tr("Retry") : tr("Resume"));
    m_all->setVisible(!complete && !stopped);
}

console::Selection KeyBrowser::selection() const
{
    console::Selection s;
    const QModelIndex current = m_view->currentIndex();
    if (current.isValid()) {
        s.key = current.data(console::KeyRole).toString();
        s.hasValue = current.data(KeyModel::HasValueRole).toBool();
        s.isPrefix = current.data(KeyModel::IsPrefixRole).toBool();
    }
    s.count = int(m_view->selectionModel()->selectedRows().size());
    if (s.count == 0 && current.isValid())
        s.count = 1;
    return s;
}

QString KeyBrowser::currentKey() const
{
    return m_current;
}

bool KeyBrowser::selectKey(const QString &key)
{
    const QModelIndex source = m_keys->indexOfKey(key);
    if (!source.isValid())
        return false;
    const QModelIndex index = m_filter->mapFromSource(source);
    if (!index.isValid())
        return false;
    for (QModelIndex p = index.parent(); p.isValid(); p = p.parent())
        m_view->expand(p);
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index);
    return true;
}

void KeyBrowser::onCurrentChanged(const QModelIndex &current)
{
    const QString key = current.isValid() ? current.data(console::KeyRole).toString() : QString();
    if (key == m_current)
        return;
    m_current = key;
    Q_EMIT currentChanged(key, current.data(KeyModel::HasValueRole).toBool(),
                         current.data(KeyModel::IsPrefixRole).toBool(),
                         current.data(KeyModel::LeafCountRole).toInt());
}

void KeyBrowser::setTreeMode(bool tree)
{
    if (tree == treeMode())
        return;
    const QSignalBlocker block(m_treeToggle);
    m_treeToggle->setChecked(tree);
    m_view->setRootIsDecorated(tree);
    m_keys->setMode(tree ? KeyModel::Tree : KeyModel::Flat);
    m_keys->fetchMore({});
}

bool KeyBrowser::treeMode() const
{
    return m_keys->mode() == KeyModel::Tree;
}

void KeyBrowser::focusFilter()
{
    m_filterEdit->setFocus();
    m_filterEdit->selectAll();
}

void KeyBrowser::copyKey()
{
    QStringList keys;
    for (const QModelIndex &i : m_view->selectionModel()->selectedRows())
        keys << i.data(console::KeyRole).toString();
    if (keys.isEmpty() && !m_current.isEmpty())
        keys << m_current;
    if (keys.isEmpty())
        return;
    QApplication::clipboard()->setText(keys.join(QLatin1Char('\n')));
    Q_EMIT notify(Tone::Muted, keys.size() == 1 ? tr("Copied the key %1").arg(keys.first())
                                                : tr("Copied %1 keys").arg(keys.size()));
}

void KeyBrowser::openCurrent()
{
    const QModelIndex current = m_view->currentIndex();
    if (!current.isValid())
        return;
    if (current.data(KeyModel::IsPrefixRole).toBool() && !current.data(KeyModel::HasValueRole).toBool()) {
        m_view->setExpanded(current.siblingAtColumn(0), !m_view->isExpanded(current.siblingAtColumn(0)));
        return;
    }
    Q_EMIT activated(current.data(console::KeyRole).toString());
}

void KeyBrowser::stopListing()
{
    m_keys->stop();
}

void KeyBrowser::listAll()
{
    m_keys->fetchAll();
}

QByteArray KeyBrowser::headerState() const
{
    return m_view->header()->saveState();
}

void KeyBrowser::restoreHeaderState(const QByteArray &state)
{
    if (!state.isEmpty())
        m_view->header()->restoreState(state);
}

void KeyBrowser::showContextMenu(const QPoint &pos)
{
    if (actions().isEmpty())
        return;
    // popup(), not exec(): no event loop inside this call.
    auto *menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    for (QAction *a : actions())
        menu->addAction(a);
    menu->setToolTipsVisible(true);
    menu->popup(m_view->viewport()->mapToGlobal(pos));
}

void KeyBrowser::showColumnMenu(const QPoint &pos)
{
    auto *menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    QHeaderView *header = m_view->header();
    for (int c = 0; c < m_filter->columnCount(); ++c) {
        QAction *a = menu->addAction(m_filter->headerData(c, Qt::Horizontal).toString());
        a->setCheckable(true);
        a->setChecked(!header->isSectionHidden(c));
        a->setEnabled(c != KeyModel::KeyColumn); // the key always shows
        connect(a, &QAction::toggled, header, [header, c](bool on) { header->setSectionHidden(c, !on); });
    }
    menu->popup(header->mapToGlobal(pos));
}

} // namespace sd::widgets
