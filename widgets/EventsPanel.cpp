#include "EventsPanel.h"

#include "ToneDelegate.h"
#include "console/EventLog.h"
#include "console/FilterModel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QScrollBar>
#include <QTableView>
#include <QVBoxLayout>

namespace sd::widgets {

using console::EventLog;

EventsPanel::EventsPanel(Theme *theme, QWidget *parent)
    : QWidget(parent), m_filter(new console::FilterModel(this)), m_view(new QTableView(this))
{
    setObjectName(QStringLiteral("eventsPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->setSpacing(4);
    auto *top = new QHBoxLayout;
    m_pause = new QPushButton(tr("Pause"), this);
    m_pause->setObjectName(QStringLiteral("pauseEvents"));
    m_pause->setCheckable(true);
    m_pause->setToolTip(tr("Freeze the list; events keep being collected and appear on resume (Space)."));
    m_clear = new QPushButton(tr("Clear"), this);
    m_clear->setToolTip(tr("Empty the list (Ctrl+Shift+X)."));
    m_filterEdit = new QLineEdit(this);
    m_filterEdit->setObjectName(QStringLiteral("eventFilter"));
    m_filterEdit->setPlaceholderText(tr("Filter events by key (text, regex, !inverse)"));
    m_filterEdit->setClearButtonEnabled(true);
    m_counts = new QLabel(this);
    m_counts->setObjectName(QStringLiteral("eventCounts"));
    top->addWidget(m_pause);
    top->addWidget(m_clear);
    top->addWidget(m_filterEdit, 1);
    top->addWidget(m_counts);
    layout->addLayout(top);

    m_view->setObjectName(QStringLiteral("eventView"));
    m_view->setModel(m_filter);
    m_view->setItemDelegate(new ToneDelegate(theme, m_view));
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 4);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setWordWrap(false);
    m_view->setShowGrid(false);
    m_view->setAlternatingRowColors(true);
    m_view->setColumnWidth(EventLog::TimeColumn, 110);
    m_view->setColumnWidth(EventLog::TypeColumn, 90);
    m_view->setColumnWidth(EventLog::KeyColumn, 420);
    layout->addWidget(m_view, 1);

    connect(m_pause, &QPushButton::clicked, this, &EventsPanel::togglePause);
    connect(m_clear, &QPushButton::clicked, this, &EventsPanel::clear);
    connect(m_filterEdit, &QLineEdit::textChanged, m_filter, &console::FilterModel::setFilterText);
    // Follow the newest event while the user has not scrolled away from it.
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this,
            [this](int value) { m_follow = value == m_view->verticalScrollBar()->maximum(); });
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_follow)
            m_view->scrollToBottom();
    });
    setLog(nullptr);
}

void EventsPanel::setLog(EventLog *log)
{
    if (m_log)
        m_log->disconnect(this);
    m_log = log;
    m_filter->setSourceModel(log);
    if (log) {
        m_view->setColumnWidth(EventLog::TimeColumn, 110);
        m_view->setColumnWidth(EventLog::TypeColumn, 90);
        m_view->setColumnWidth(EventLog::KeyColumn, 420);
        connect(log, &EventLog::countsChanged, this, &EventsPanel::updateCounts);
        m_view->scrollToBottom();
        m_follow = true;
    }
    const QSignalBlocker block(m_pause);
    m_pause->setChecked(log && log->paused());
    m_pause->setEnabled(log != nullptr);
    m_pause->setText(log && log->paused() ? tr("Resume") : tr("Pause"));
    m_clear->setEnabled(log != nullptr);
    updateCounts();
}

int EventsPanel::shownRows() const
{
    return m_filter->rowCount();
}

QString EventsPanel::countsText() const
{
    return m_counts->text();
}

void EventsPanel::togglePause()
{
    if (!m_log)
        return;
    if (m_log->paused())
        m_log->resume();
    else
        m_log->pause();
    const QSignalBlocker block(m_pause);
    m_pause->setChecked(m_log->paused());
    m_pause->setText(m_log->paused() ? tr("Resume") : tr("Pause"));
    updateCounts();
}

void EventsPanel::clear()
{
    if (m_log)
        m_log->clear();
    updateCounts();
}

void EventsPanel::focusFilter()
{
    m_filterEdit->setFocus();
    m_filterEdit->selectAll();
}

void EventsPanel::updateCounts()
{
    if (!m_log) {
        m_counts->setText(tr("no connection"));
    } else {
        const QLocale l;
        QString text = tr("%1 shown, %2 received").arg(l.toString(m_log->rowCount()), l.toString(m_log->received()));
        if (m_log->dropped() > 0)
            text += tr(", %1 oldest dropped").arg(l.toString(m_log->dropped()));
        if (m_log->paused())
            text += tr(" · paused");
        m_counts->setText(text);
    }
    Q_EMIT changed();
}

} // namespace sd::widgets
