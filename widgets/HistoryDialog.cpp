#include "HistoryDialog.h"

#include "CodeEditor.h"
#include "Dialogs.h"
#include "Theme.h"
#include "ToneDelegate.h"
#include "console/Actions.h"
#include "console/HistoryModel.h"
#include "console/LineDiff.h"
#include "console/Session.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace sd::widgets {

using console::HistoryModel;
using console::Tone;

HistoryDialog::HistoryDialog(console::Session *session, const QString &key, Theme *theme, bool production,
                             QWidget *parent)
    : QDialog(parent), m_session(session), m_key(key), m_theme(theme), m_production(production),
      m_model(std::make_unique<HistoryModel>(session->provider(), key))
{
    setObjectName(QStringLiteral("historyDialog"));
    setWindowTitle(tr("History of %1").arg(key));
    auto *layout = new QVBoxLayout(this);
    m_status = new QLabel(tr("Reading the history of %1…").arg(key), this);
    m_status->setObjectName(QStringLiteral("historyStatus"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    auto *split = new QSplitter(Qt::Horizontal, this);
    m_table = makeToneTable(m_model.get(), theme, split, QStringLiteral("historyTable"));
    // Newest first is the order that makes sense; the row is what restore() takes.
    m_table->setSortingEnabled(false);
    split->addWidget(m_table);
    auto *right = new QWidget(split);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    m_change = new QLabel(right);
    m_change->setObjectName(QStringLiteral("historyChange"));
    m_change->setWordWrap(true);
    rightLayout->addWidget(m_change);
    m_diff = new CodeEditor(theme, right);
    m_diff->setObjectName(QStringLiteral("historyDiff"));
    m_diff->setReadOnly(true);
    m_diff->setMode(SyntaxHighlighter::Mode::Diff);
    rightLayout->addWidget(m_diff, 1);
    split->addWidget(right);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    layout->addWidget(split, 1);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_reveal = new QCheckBox(tr("Reveal values"), this);
    m_reveal->setObjectName(QStringLiteral("historyReveal"));
    buttons->addButton(m_reveal, QDialogButtonBox::ActionRole);
    m_reveal->setVisible(session->capabilities().sensitive);
    auto *reload = buttons->addButton(tr("Reload"), QDialogButtonBox::ActionRole);
    reload->setObjectName(QStringLiteral("historyReload"));
    m_restore = buttons->addButton(tr("Restore this version…"), QDialogButtonBox::ActionRole);
    m_restore->setObjectName(QStringLiteral("historyRestore"));
    m_restore->setEnabled(false);
    // Enter closes; it never restores.
    reload->setAutoDefault(false);
    m_restore->setAutoDefault(false);
    buttons->button(QDialogButtonBox::Close)->setDefault(true);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(reload, &QPushButton::clicked, this, [this] { m_model->reload(); });
    connect(m_restore, &QPushButton::clicked, this, &HistoryDialog::restoreSelected);
    connect(m_reveal, &QCheckBox::toggled, this, [this](bool on) {
        m_model->setReveal(on);
        showSelected();
    });

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &HistoryDialog::showSelected);
    connect(m_model.get(), &HistoryModel::loaded, this, [this] {
        const int n = m_model->rowCount();
        QString text = n <= 1 ? tr("%1 has no earlier value kept by the store.").arg(m_key)
                              : tr("%n version(s) of %1, newest first; the first is the current value.", nullptr, n)
                                    .arg(m_key);
        // What the last restore did stays in view after the list is read again.
        if (!m_outcome.isEmpty())
            text = m_outcome + QLatin1Char('\n') + text;
        m_status->setText(text);
        const int row = m_wantedRow >= 0 ? std::min(m_wantedRow, n - 1) : std::min(1, n - 1);
        m_wantedRow = -1;
        if (row >= 0)
            m_table->selectionModel()->setCurrentIndex(m_model->index(row, 0),
                                                       QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        m_table->resizeColumnToContents(HistoryModel::RevisionColumn);
        m_table->resizeColumnToContents(HistoryModel::TimeColumn);
        showSelected();
    });
    connect(m_model.get(), &HistoryModel::failed, this, [this](const Error &e) {
        m_status->setText(e.toString());
        Q_EMIT notify(Tone::Error, e.toString());
        updateRestore();
    });
    resize(980, 560);
    m_model->reload();
}

HistoryDialog::~HistoryDialog() = default;

int HistoryDialog::currentRow() const
{
    const QModelIndex i = m_table->selectionModel()->currentIndex();
    return i.isValid() ? i.row() : -1;
}

void HistoryDialog::selectRow(int row)
{
    if (m_model->rowCount() > row && !m_model->isLoading())
        m_table->selectionModel()->setCurrentIndex(m_model->index(row, 0),
                                                   QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    else
        m_wantedRow = row;
}

void HistoryDialog::showSelected()
{
    const int row = currentRow();
    updateRestore();
    if (row < 0) {
        m_change->clear();
        m_diff->setContent(QString());
        return;
    }
    const QModelIndex at = m_model->index(row, 0);
    const QString revision = at.data().toString();
    if (at.data(HistoryModel::CurrentRole).toBool()) {
        m_change->setText(tr("Revision %1 is the current value.").arg(revision));
        m_diff->setMode(SyntaxHighlighter::Mode::Json);
        m_diff->setContent(at.data(HistoryModel::ValueRole).toString());
        return;
    }
    const QStringList changes = at.data(HistoryModel::DiffRole).toStringList();
    if (changes.isEmpty()) {
        m_change->setText(tr("Revision %1 holds the same value as the current one: restoring it changes nothing.")
                              .arg(revision));
        m_diff->setContent(QString());
        return;
    }
    m_change->setText(tr("Restoring revision %1 would make these %n change(s) to the current value:", nullptr,
                         int(changes.size()))
                          .arg(revision));
    m_diff->setMode(SyntaxHighlighter::Mode::Diff);
    if (!m_model->revealsValues()) {
        // Paths only: the values are secret until revealed.
        m_diff->setContent(changes.join(QLatin1Char('\n')));
        return;
    }
    const QModelIndex current = m_model->index(0, 0);
    m_diff->setContent(console::unifiedDiff(current.data(HistoryModel::ValueRole).toString(),
                                            at.data(HistoryModel::ValueRole).toString(),
                                            tr("current (revision %1)").arg(current.data().toString()),
                                            tr("revision %1").arg(revision)));
}

void HistoryDialog::updateRestore()
{
    const console::Action *a = console::Actions::find(QStringLiteral("history.restore"));
    const int row = currentRow();
    std::optional<QString> why;
    if (!m_session)
        why = tr("the connection is closed");
    else if (m_model->isLoading())
        why = tr("still reading the history");
    else if (row < 0)
        why = tr("select a version first");
    else if (m_model->index(row, 0).data(HistoryModel::CurrentRole).toBool())
        why = tr("this is the current value");
    else if (m_model->index(row, 0).data(HistoryModel::DiffRole).toStringList().isEmpty())
        why = tr("this version holds the current value already");
    else
        why = console::Actions::whyNot(*a, m_session, console::Selection{m_key, false, true, 1});
    m_restore->setEnabled(!why);
    m_restore->setToolTip(why ? *why : a->help);
}

void HistoryDialog::restoreSelected()
{
    updateRestore();
    if (!m_restore->isEnabled())
        return;
    const int row = currentRow();
    const console::Action *a = console::Actions::find(QStringLiteral("history.restore"));
    const QModelIndex at = m_model->index(row, 0);
    const QString revision = at.data().toString();
    const QString current = m_model->index(0, 0).data().toString();
    auto *confirm = new ConfirmDialog(
        *a, console::Actions::confirmationFor(*a, m_production), m_key,
        tr("Write the value of revision %1 back over the current revision %2. If someone changes the key "
           "meanwhile, nothing is written.")
            .arg(revision, current),
        this);
    confirm->setAttribute(Qt::WA_DeleteOnClose);
    connect(confirm, &QDialog::accepted, this, [this, row, revision] {
        m_restore->setEnabled(false);
        m_outcome.clear();
        m_model->restore(row).then(this, [this, revision](Result<Entry> r) {
            if (!r.ok()) {
                Q_EMIT notify(r.error().kind == ErrorKind::Conflict ? Tone::Warning : Tone::Error,
                              tr("%1 not restored: %2").arg(m_key, r.error().toString()));
                m_outcome = r.error().kind == ErrorKind::Conflict
                                ? tr("Not restored: the key changed since it was read (%1). Nothing was written; the "
                                     "list below is what the store holds now.")
                                      .arg(r.error().message)
                                : tr("Not restored: %1").arg(r.error().toString());
                m_status->setText(m_outcome);
                return;
            }
            m_outcome = tr("Revision %1 restored: %2 is now at revision %3.").arg(revision, m_key, r->revision);
            m_status->setText(m_outcome);
            Q_EMIT notify(Tone::Good, tr("%1 restored to the value of revision %2").arg(m_key, revision));
            Q_EMIT restored(r.value());
        });
    });
    confirm->open();
}

} // namespace sd::widgets
