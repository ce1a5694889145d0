#include "ConsolePane.h"

#include "EntryPanel.h"
#include "FreshnessBanner.h"
#include "HistoryDialog.h"
#include "KeyBrowser.h"
#include "TasksView.h"
#include "TransferDialog.h"
#include "Theme.h"
#include "console/EventLog.h"
#include "console/KeyModel.h"
#include "console/Session.h"

#include <QApplication>
#include <QClipboard>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace sd::widgets {

using console::Tone;

ConsolePane::ConsolePane(std::unique_ptr<console::Session> session, const QString &id, Theme *theme, QWidget *parent)
    : QWidget(parent), m_session(std::move(session)), m_id(id), m_theme(theme),
      m_events(new console::EventLog(m_session.get(), 10000, this))
{
    setObjectName(QStringLiteral("consolePane"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);

    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("paneTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setContentsMargins(8, 4, 8, 0);
    m_band = new QWidget(this);
    m_band->setObjectName(QStringLiteral("paneColour"));
    m_band->setFixedHeight(4);
    m_band->setAutoFillBackground(true);
    setMarkers(false, QString());
    layout->addWidget(m_title);
    layout->addWidget(m_band);

    m_banner = new FreshnessBanner(m_session.get(), theme, this);
    layout->addWidget(m_banner);

    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("paneSplitter"));
    m_browser = new KeyBrowser(m_session.get(), theme, m_splitter);
    m_entry = new EntryPanel(m_session.get(), theme, m_splitter);
    m_splitter->addWidget(m_browser);
    m_splitter->addWidget(m_entry);
    m_splitter->setStretchFactor(0, 2);
    m_splitter->setStretchFactor(1, 3);
    m_splitter->setSizes({500, 600});
    m_pages = new QStackedWidget(this);
    m_pages->addWidget(m_splitter);
    layout->addWidget(m_pages, 1);

    connect(m_browser, &KeyBrowser::currentChanged, this, &ConsolePane::onCurrentChanged);
    connect(m_browser, &KeyBrowser::activated, this, [this](const QString &key) {
        if (m_entry->key() != key)
            m_entry->open(key);
        m_entry->focusEditor();
    });
    connect(m_browser, &KeyBrowser::notify, this, &ConsolePane::notify);
    connect(m_entry, &EntryPanel::notify, this, &ConsolePane::notify);
    connect(m_entry, &EntryPanel::changed, this, &ConsolePane::changed);
    connect(m_browser->keyModel(), &console::KeyModel::listingChanged, this, &ConsolePane::changed);
    connect(m_session.get(), &console::Session::freshnessChanged, this, &ConsolePane::changed);
    connect(m_session.get(), &console::Session::event, this, &ConsolePane::onEvent);
    connect(m_entry->document(), &console::EntryDocument::saved, this, [this](const Entry &e) {
        // A key just created is selected once the watch (or a reload) lists it.
        if (!m_browser->selectKey(e.key))
            m_pendingSelect = e.key;
    });
    connect(m_browser->keyModel(), &QAbstractItemModel::rowsInserted, this, [this] {
        if (!m_pendingSelect.isEmpty() && m_browser->selectKey(m_pendingSelect))
            m_pendingSelect.clear();
    }, Qt::QueuedConnection); // the model knows the key's row only once the insertion is over

    // The models listen to the session already: start the watch.
    m_session->start();
}

ConsolePane::~ConsolePane()
{
    // The views and models hold the session: they go first.
    delete m_leaveQuestion;
    delete m_tasks;
    delete m_splitter;
    delete m_banner;
    delete m_events;
    m_session.reset();
}

console::Selection ConsolePane::selection() const
{
    return tasksShown() ? m_tasks->selection() : m_browser->selection();
}

bool ConsolePane::tasksShown() const
{
    return m_tasks && m_pages->currentWidget() == m_tasks;
}

void ConsolePane::setMarkers(bool production, const QString &colour)
{
    m_production = production;
    m_colour = colour;
    QString title = QStringLiteral("<b>%1</b>").arg(m_session->name().toHtmlEscaped());
    if (m_session->describe() != m_session->name())
        title += QStringLiteral("&nbsp;&nbsp;%1").arg(m_session->describe().toHtmlEscaped());
    if (m_session->readOnly())
        title += QStringLiteral("&nbsp;&nbsp;<b>[%1]</b>").arg(tr("read-only"));
    if (production)
        title += QStringLiteral("&nbsp;&nbsp;<b>[%1]</b>").arg(tr("production"));
    m_title->setText(title);
    // The connection's colour as a band under the title: seen whatever the view.
    const QColor c(colour);
    m_band->setVisible(c.isValid());
    if (c.isValid()) {
        QPalette p = m_band->palette();
        p.setColor(QPalette::Window, c);
        m_band->setPalette(p);
    }
}

HistoryDialog *ConsolePane::showHistory(const QString &key, bool previous)
{
    QPointer<HistoryDialog> &d = m_history[key];
    if (!d) {
        d = new HistoryDialog(m_session.get(), key, m_theme, production(), this);
        d->setAttribute(Qt::WA_DeleteOnClose);
        d->setWindowFlag(Qt::Window);
        connect(d, &HistoryDialog::notify, this, &ConsolePane::notify);
    }
    d->selectRow(previous ? 1 : 0);
    d->show();
    d->raise();
    d->activateWindow();
    return d;
}

TransferDialog *ConsolePane::showTransfer(int kind, const QStringList &stores)
{
    QPointer<TransferDialog> &d = m_transfers[kind];
    if (!d) {
        d = new TransferDialog(TransferDialog::Kind(kind), m_session.get(), stores, m_theme, this);
        d->setAttribute(Qt::WA_DeleteOnClose);
        d->setWindowFlag(Qt::Window);
        connect(d, &TransferDialog::notify, this, &ConsolePane::notify);
        connect(d, &TransferDialog::jobStarted, this, &ConsolePane::changed);
        connect(d, &TransferDialog::jobFinished, this, &ConsolePane::changed);
    }
    d->show();
    d->raise();
    d->activateWindow();
    return d;
}

QList<TransferDialog *> ConsolePane::runningTransfers() const
{
    QList<TransferDialog *> out;
    for (const QPointer<TransferDialog> &d : m_transfers)
        if (d && d->isRunning())
            out << d;
    return out;
}

TasksView *ConsolePane::showTasks()
{
    if (!m_tasks) {
        m_tasks = new TasksView(m_session->provider(), m_theme, m_pages);
        m_pages->addWidget(m_tasks);
        connect(m_tasks, &TasksView::notify, this, &ConsolePane::notify);
        connect(m_tasks, &TasksView::changed, this, &ConsolePane::changed);
    }
    m_pages->setCurrentWidget(m_tasks);
    m_tasks->taskTable()->setFocus();
    Q_EMIT changed();
    return m_tasks;
}

void ConsolePane::showKeys()
{
    m_pages->setCurrentWidget(m_splitter);
    Q_EMIT changed();
}

void ConsolePane::onCurrentChanged(const QString &key, bool hasValue, bool isPrefix, int leafCount)
{
    if (key == m_entry->key() && !key.isEmpty())
        return; // back on the key being edited (the question below undid a move)
    if (m_entry->hasUnsavedEdit() && !m_leaveQuestion) {
        const QString editing = m_entry->key();
        m_leaveQuestion = new QMessageBox(QMessageBox::Question, tr("Unsaved edit"),
                                          tr("%1 has an unsaved edit. Leave it and drop the edit?").arg(editing),
                                          QMessageBox::NoButton, this);
        QPushButton *stay = m_leaveQuestion->addButton(tr("Keep editing"), QMessageBox::RejectRole);
        m_leaveQuestion->addButton(tr("Drop the edit"), QMessageBox::DestructiveRole);
        m_leaveQuestion->setDefaultButton(stay);
        m_leaveQuestion->setAttribute(Qt::WA_DeleteOnClose);
        m_leaveQuestion->setWindowModality(Qt::WindowModal);
        connect(m_leaveQuestion, &QMessageBox::finished, this, [this, editing, stay, leafCount] {
            const bool keep = m_leaveQuestion && m_leaveQuestion->clickedButton() == stay;
            if (keep) {
                m_browser->selectKey(editing);
                m_entry->focusEditor();
                return;
            }
            // Dropped: show what the user moved to (the current row now).
            const console::Selection s = m_browser->selection();
            if (s.hasValue)
                m_entry->open(s.key);
            else if (!s.key.isEmpty())
                m_entry->showPrefix(s.key, leafCount);
        });
        m_leaveQuestion->open();
        return;
    }
    if (m_leaveQuestion)
        return; // answered when the question closes
    if (key.isEmpty())
        return;
    if (hasValue)
        m_entry->open(key);
    else if (isPrefix)
        m_entry->showPrefix(key, leafCount);
    Q_EMIT changed();
}

void ConsolePane::onEvent(const Event &event)
{
    if (event.type == Event::Type::Resync || event.type == Event::Type::ResyncDone)
        return;
    if (event.entry.key != m_entry->key() || m_entry->key().isEmpty())
        return;
    m_entry->keyChangedInStore(event.entry.revision, event.type == Event::Type::Deleted);
}

void ConsolePane::newKey()
{
    const console::Selection s = selection();
    QString prefix;
    if (s.isPrefix && !s.hasValue)
        prefix = s.key;
    auto *ask = new QInputDialog(this);
    ask->setAttribute(Qt::WA_DeleteOnClose);
    ask->setWindowTitle(tr("New key"));
    ask->setLabelText(tr("Name of the new key in %1:").arg(m_session->name()));
    ask->setTextValue(prefix);
    ask->setWindowModality(Qt::WindowModal);
    connect(ask, &QInputDialog::textValueSelected, this, [this](const QString &key) {
        if (key.trimmed().isEmpty())
            return;
        m_entry->openNew(key.trimmed());
    });
    ask->open();
}

void ConsolePane::copyValue()
{
    if (const auto why = m_entry->whyNot(QStringLiteral("keys.copy"))) {
        Q_EMIT notify(Tone::Muted, tr("Nothing copied: %1").arg(*why));
        return;
    }
    m_entry->flushEdits();
    QApplication::clipboard()->setText(m_entry->document()->text());
    Q_EMIT notify(Tone::Muted, tr("Copied the value of %1").arg(m_entry->key()));
}

void ConsolePane::refresh()
{
    m_session->reconnect();
    m_browser->keyModel()->reload();
    if (m_entry->hasEntry() && !m_entry->hasUnsavedEdit())
        m_entry->open(m_entry->key());
}

} // namespace sd::widgets
