#include "TransferDialog.h"

#include "Dialogs.h"
#include "Theme.h"
#include "ToneDelegate.h"
#include "console/Actions.h"
#include "console/ExportJob.h"
#include "console/ImportJob.h"
#include "console/JobReportModel.h"
#include "console/MigrateJob.h"
#include "console/Session.h"
#include "console/VerifyJob.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHeaderView>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <climits>

namespace sd::widgets {

using console::Job;
using console::Tone;

namespace {

QString actionId(TransferDialog::Kind kind)
{
    return QStringLiteral("global.") + TransferDialog::kindName(kind);
}

} // namespace

QString TransferDialog::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Export: return QStringLiteral("export");
    case Kind::Import: return QStringLiteral("import");
    case Kind::Migrate: return QStringLiteral("migrate");
    case Kind::Verify: return QStringLiteral("verify");
    }
    return {};
}

TransferDialog::TransferDialog(Kind kind, console::Session *source, const QStringList &stores, Theme *theme,
                               QWidget *parent)
    : QDialog(parent), m_kind(kind), m_source(source), m_theme(theme)
{
    setObjectName(QStringLiteral("transferDialog"));
    const console::Action *a = console::Actions::find(actionId(kind));
    setWindowTitle(tr("%1 — %2").arg(a ? a->label : kindName(kind), source->name()));
    auto *layout = new QVBoxLayout(this);
    m_pages = new QStackedWidget(this);
    layout->addWidget(m_pages);
    buildSetupPage();
    buildRunPage();
    if (m_store) {
        m_store->addItems(stores);
        m_store->setCurrentIndex(-1);
        m_store->setCurrentText(QString());
    }
    resize(820, 560);
    validate();
}

TransferDialog::~TransferDialog()
{
    // The report view goes before the model it shows.
    m_report->setModel(nullptr);
}

void TransferDialog::buildSetupPage()
{
    auto *page = new QWidget(m_pages);
    auto *layout = new QVBoxLayout(page);
    auto *intro = new QLabel(page);
    intro->setWordWrap(true);
    auto *form = new QFormLayout;
    const QString here = m_source->describe();
    auto fileRow = [this, page, form](const QString &label, const QString &placeholder) {
        auto *row = new QHBoxLayout;
        m_path = new QLineEdit(page);
        m_path->setObjectName(QStringLiteral("transferPath"));
        m_path->setPlaceholderText(placeholder);
        auto *browse = new QPushButton(tr("Browse…"), page);
        connect(browse, &QPushButton::clicked, this, &TransferDialog::chooseFile);
        row->addWidget(m_path, 1);
        row->addWidget(browse);
        form->addRow(label, row);
        connect(m_path, &QLineEdit::textChanged, this, &TransferDialog::validate);
    };
    auto prefixRow = [this, page, form] {
        m_prefix = new QLineEdit(page);
        m_prefix->setObjectName(QStringLiteral("transferPrefix"));
        m_prefix->setPlaceholderText(tr("every key"));
        form->addRow(tr("Keys under the prefix"), m_prefix);
    };
    auto storeRow = [this, page, form](const QString &label) {
        m_store = new QComboBox(page);
        m_store->setObjectName(QStringLiteral("transferStore"));
        m_store->setEditable(true);
        m_store->setInsertPolicy(QComboBox::NoInsert);
        m_store->lineEdit()->setPlaceholderText(tr("a connection, or a URL: sqlite:///path.db, redis://host:6379/0, …"));
        form->addRow(label, m_store);
        connect(m_store, &QComboBox::currentTextChanged, this, &TransferDialog::validate);
    };
    auto policyRow = [this, page, form](const QString &label) {
        m_policy = new QComboBox(page);
        m_policy->setObjectName(QStringLiteral("transferPolicy"));
        for (ConflictPolicy p : {ConflictPolicy::Fail, ConflictPolicy::Skip, ConflictPolicy::Overwrite})
            m_policy->addItem(Job::policyText(p), int(p));
        form->addRow(label, m_policy);
    };

    switch (m_kind) {
    case Kind::Export:
        intro->setText(tr("Write the keys of <b>%1</b> to a snapshot file (gzip when it ends in .gz). Nothing "
                          "appears at the path unless the export completes.")
                           .arg(here.toHtmlEscaped()));
        fileRow(tr("Snapshot file"), tr("/path/to/snapshot.jsonl.gz"));
        prefixRow();
        m_encrypt = new QCheckBox(tr("Seal every value with a passphrase (AES-256-GCM)"), page);
        m_encrypt->setObjectName(QStringLiteral("transferEncrypt"));
        m_encrypt->setChecked(m_source->capabilities().sensitive);
        form->addRow(QString(), m_encrypt);
        break;
    case Kind::Import:
        intro->setText(tr("Write a snapshot's entries into <b>%1</b>. The whole file is checked before anything is "
                          "written; a dry run shows what would happen, key by key.")
                           .arg(here.toHtmlEscaped()));
        fileRow(tr("Snapshot file"), tr("/path/to/snapshot.jsonl.gz"));
        m_snapshotInfo = new QLabel(page);
        m_snapshotInfo->setObjectName(QStringLiteral("transferSnapshot"));
        m_snapshotInfo->setWordWrap(true);
        form->addRow(QString(), m_snapshotInfo);
        policyRow(tr("Keys that exist"));
        connect(m_path, &QLineEdit::textChanged, this, &TransferDialog::readSnapshotManifest);
        break;
    case Kind::Migrate:
        intro->setText(tr("Copy the keys of <b>%1</b> into another store, then compare the two key by key. An "
                          "interrupted migration continues where it stopped when run again.")
                           .arg(here.toHtmlEscaped()));
        storeRow(tr("Into"));
        prefixRow();
        policyRow(tr("Keys that exist"));
        m_restart = new QCheckBox(tr("Start from the beginning, even if an earlier run was interrupted"), page);
        m_restart->setObjectName(QStringLiteral("transferRestart"));
        form->addRow(QString(), m_restart);
        break;
    case Kind::Verify:
        intro->setText(tr("Compare the keys of <b>%1</b> with another store: what is missing there, what differs, "
                          "and what only the other holds. Nothing is written.")
                           .arg(here.toHtmlEscaped()));
        storeRow(tr("Compare with"));
        prefixRow();
        break;
    }
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addStretch(1);
    m_problem = new QLabel(page);
    m_problem->setObjectName(QStringLiteral("transferProblem"));
    m_problem->setWordWrap(true);
    layout->addWidget(m_problem);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, page);
    if (m_kind == Kind::Import || m_kind == Kind::Migrate) {
        m_dryRun = buttons->addButton(tr("Dry run"), QDialogButtonBox::ActionRole);
        m_dryRun->setObjectName(QStringLiteral("transferDryRun"));
        m_dryRun->setToolTip(tr("Show what would be written, key by key; write nothing."));
        connect(m_dryRun, &QPushButton::clicked, this, &TransferDialog::startDryRun);
    }
    const console::Action *a = console::Actions::find(actionId(m_kind));
    m_start = buttons->addButton(a ? a->label : kindName(m_kind), QDialogButtonBox::AcceptRole);
    m_start->setObjectName(QStringLiteral("transferStart"));
    // The dry run is the default where there is one: Enter never writes.
    (m_dryRun ? m_dryRun : m_start)->setDefault(true);
    connect(m_start, &QPushButton::clicked, this, &TransferDialog::start);
    connect(buttons, &QDialogButtonBox::rejected, this, &TransferDialog::reject);
    layout->addWidget(buttons);
    m_pages->addWidget(page);
}

void TransferDialog::buildRunPage()
{
    auto *page = new QWidget(m_pages);
    auto *layout = new QVBoxLayout(page);
    m_title = new QLabel(page);
    m_title->setObjectName(QStringLiteral("transferTitle"));
    m_title->setWordWrap(true);
    layout->addWidget(m_title);
    m_bar = new QProgressBar(page);
    m_bar->setObjectName(QStringLiteral("transferProgress"));
    layout->addWidget(m_bar);
    m_progressText = new QLabel(page);
    m_progressText->setObjectName(QStringLiteral("transferProgressText"));
    layout->addWidget(m_progressText);
    m_notices = new QLabel(page);
    m_notices->setWordWrap(true);
    m_notices->setVisible(false);
    layout->addWidget(m_notices);
    m_report = makeToneTable(nullptr, m_theme, page, QStringLiteral("transferReport"));
    m_report->setSortingEnabled(false);
    m_report->verticalHeader()->setDefaultSectionSize(m_report->fontMetrics().height() + 6);
    layout->addWidget(m_report, 1);
    m_summary = new QLabel(page);
    m_summary->setObjectName(QStringLiteral("transferSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);

    auto *buttons = new QDialogButtonBox(page);
    m_back = buttons->addButton(tr("Back"), QDialogButtonBox::ResetRole);
    m_back->setObjectName(QStringLiteral("transferBack"));
    m_cancel = buttons->addButton(QDialogButtonBox::Cancel);
    m_cancel->setObjectName(QStringLiteral("transferCancel"));
    m_again = buttons->addButton(tr("Start"), QDialogButtonBox::AcceptRole);
    m_again->setObjectName(QStringLiteral("transferRunForReal"));
    m_close = buttons->addButton(QDialogButtonBox::Close);
    connect(m_back, &QPushButton::clicked, this, [this] {
        m_pages->setCurrentIndex(0);
        validate();
    });
    connect(m_cancel, &QPushButton::clicked, this, &TransferDialog::cancelJob);
    connect(m_again, &QPushButton::clicked, this, &TransferDialog::start);
    connect(m_close, &QPushButton::clicked, this, &TransferDialog::reject);
    layout->addWidget(buttons);
    m_pages->addWidget(page);
}

bool TransferDialog::onRunPage() const
{
    return m_pages->currentIndex() == 1;
}

bool TransferDialog::isRunning() const
{
    return m_job && !m_job->isFinished();
}

QString TransferDialog::target() const
{
    return m_store ? m_store->currentText().trimmed() : QString();
}

std::optional<QString> TransferDialog::problem() const
{
    if (!m_source)
        return tr("the connection is closed");
    if (isRunning())
        return tr("a %1 is running").arg(m_job->kind());
    if (const console::Action *a = console::Actions::find(actionId(m_kind)))
        if (auto why = console::Actions::whyNot(*a, m_source, console::Selection{}))
            return why;
    if (m_path) {
        const QString path = m_path->text().trimmed();
        if (path.isEmpty())
            return m_kind == Kind::Export ? tr("name the snapshot file to write") : tr("choose the snapshot to import");
        const QFileInfo info(path);
        if (m_kind == Kind::Import && !info.isFile())
            return tr("%1 does not exist").arg(path);
        if (m_kind == Kind::Export && info.isDir())
            return tr("%1 is a folder; name a file in it").arg(path);
        if (m_kind == Kind::Export && !QFileInfo(info.absolutePath()).isDir())
            return tr("the folder %1 does not exist").arg(info.absolutePath());
    }
    if (m_store && target().isEmpty())
        return m_kind == Kind::Migrate ? tr("choose the store to migrate into") : tr("choose the store to compare with");
    return std::nullopt;
}

void TransferDialog::validate()
{
    const std::optional<QString> why = problem();
    m_start->setEnabled(!why);
    if (m_dryRun)
        m_dryRun->setEnabled(!why);
    m_problem->setText(why ? *why : QString());
    m_problem->setStyleSheet(m_theme ? m_theme->styleSheetFor(Tone::Muted) : QString());
}

void TransferDialog::refuse(const QString &why)
{
    // Where the user is looking: the set-up page, or the report of the dry
    // run whose "now" button was pressed.
    QLabel *label = onRunPage() ? m_summary : m_problem;
    label->setText(why);
    label->setStyleSheet(m_theme ? m_theme->styleSheetFor(Tone::Error) : QString());
    Q_EMIT notify(Tone::Error, why);
}

void TransferDialog::readSnapshotManifest()
{
    const QString path = m_path->text().trimmed();
    if (path.isEmpty() || !QFileInfo(path).isFile()) {
        m_snapshotInfo->clear();
        return;
    }
    const Result<SnapshotManifest> m = console::ImportJob::readManifest(path);
    if (!m.ok()) {
        m_snapshotInfo->setText(m.error().toString());
        m_snapshotInfo->setStyleSheet(m_theme ? m_theme->styleSheetFor(Tone::Error) : QString());
        return;
    }
    const SnapshotManifest &s = m.value();
    QStringList parts;
    parts << (s.entries >= 0 ? tr("%n entries", nullptr, int(std::min<qint64>(s.entries, INT_MAX))) : tr("entries not counted"));
    parts << tr("from %1").arg(s.source);
    if (!s.prefix.isEmpty())
        parts << tr("under %1").arg(s.prefix);
    if (s.created.isValid())
        parts << tr("made %1").arg(s.created.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")));
    if (s.encryption)
        parts << tr("values sealed with a passphrase");
    else if (s.sensitive)
        parts << tr("secret values, not sealed");
    m_snapshotInfo->setText(parts.join(QStringLiteral(", ")));
    m_snapshotInfo->setStyleSheet(m_theme ? m_theme->styleSheetFor(Tone::Muted) : QString());
}

void TransferDialog::chooseFile()
{
    auto *d = new QFileDialog(this, m_kind == Kind::Export ? tr("Write the snapshot to") : tr("Snapshot to import"));
    d->setAttribute(Qt::WA_DeleteOnClose);
    d->setAcceptMode(m_kind == Kind::Export ? QFileDialog::AcceptSave : QFileDialog::AcceptOpen);
    d->setFileMode(m_kind == Kind::Export ? QFileDialog::AnyFile : QFileDialog::ExistingFile);
    d->setNameFilters({tr("Snapshots (*.jsonl *.jsonl.gz *.gz)"), tr("Every file (*)")});
    connect(d, &QFileDialog::fileSelected, m_path, &QLineEdit::setText);
    d->open();
}

void TransferDialog::startDryRun()
{
    prepare(true);
}

void TransferDialog::start()
{
    prepare(false);
}

void TransferDialog::ask(const QString &label, bool twice, std::function<void(QByteArray)> then)
{
    auto *d = new QInputDialog(this);
    d->setAttribute(Qt::WA_DeleteOnClose);
    d->setObjectName(QStringLiteral("passphraseDialog"));
    d->setWindowTitle(tr("Passphrase"));
    d->setLabelText(label);
    d->setTextEchoMode(QLineEdit::Password);
    connect(d, &QInputDialog::textValueSelected, this, [this, twice, then](const QString &first) {
        if (first.isEmpty())
            return Q_EMIT notify(Tone::Muted, tr("No passphrase given; nothing done."));
        if (!twice)
            return then(first.toUtf8());
        // Asked twice: a mistyped one would seal the values for good.
        ask(tr("The same passphrase again:"), false, [this, first, then](const QByteArray &second) {
            if (second != first.toUtf8())
                return Q_EMIT notify(Tone::Error, tr("The two passphrases differ; nothing done."));
            then(second);
        });
    });
    d->open();
}

void TransferDialog::prepare(bool dryRun)
{
    if (m_pages->currentIndex() == 0) {
        validate();
        if (problem())
            return;
    } else if (isRunning()) {
        return;
    }
    // The other store, opened again for each run (its connection may have
    // changed in between).
    if (m_store) {
        auto other = console::Session::open(target());
        if (!other.ok()) {
            refuse(tr("cannot open %1: %2").arg(target(), other.error().toString()));
            return;
        }
        m_other = std::move(other).value();
        if (m_kind == Kind::Migrate && m_other->readOnly()) {
            refuse(tr("%1 is read-only: nothing can be migrated into it").arg(m_other->name()));
            return;
        }
    }
    switch (m_kind) {
    case Kind::Export: {
        auto go = [this] {
            if (m_encrypt->isChecked())
                return ask(tr("A passphrase to seal the values with:"), true,
                           [this](const QByteArray &p) { run(false, p); });
            run(false, {});
        };
        const QString path = m_path->text().trimmed();
        if (!QFileInfo::exists(path))
            return go();
        // Someone's file: replaced only when asked (and only once the export is whole).
        auto *confirm = new ConfirmDialog(*console::Actions::find(actionId(m_kind)), console::Confirmation::YesNo,
                                          QFileInfo(path).fileName(),
                                          tr("%1 exists. It is replaced once the export completes; until then it "
                                             "stays as it is.")
                                              .arg(path),
                                          this);
        confirm->setAttribute(Qt::WA_DeleteOnClose);
        connect(confirm, &QDialog::accepted, this, go);
        confirm->open();
        return;
    }
    case Kind::Import: {
        const Result<SnapshotManifest> manifest = console::ImportJob::readManifest(m_path->text().trimmed());
        if (!manifest.ok()) {
            refuse(manifest.error().toString());
            return;
        }
        ImportOptions o;
        o.policy = ConflictPolicy(m_policy->currentData().toInt());
        o.dryRun = dryRun;
        switch (console::ImportJob::passphraseNeed(manifest.value(), m_source->provider(), o)) {
        case console::ImportJob::PassphraseNeed::None: return run(dryRun, {});
        case console::ImportJob::PassphraseNeed::ToOpen:
            return ask(tr("The passphrase of %1:").arg(QFileInfo(m_path->text()).fileName()), false,
                       [this, dryRun](const QByteArray &p) { run(dryRun, p); });
        case console::ImportJob::PassphraseNeed::ToSealBackup:
            return ask(tr("The values this import overwrites are secret; their backup is sealed.\nA new passphrase:"),
                       true, [this, dryRun](const QByteArray &p) { run(dryRun, p); });
        }
        return;
    }
    case Kind::Migrate: {
        if (dryRun)
            return run(true, {});
        // It writes into another store: asked first.
        const console::Action *a = console::Actions::find(actionId(m_kind));
        const QString prefix = m_prefix->text();
        auto *confirm = new ConfirmDialog(
            *a, console::Confirmation::YesNo,
            prefix.isEmpty() ? tr("every key") : prefix + QLatin1Char('*'),
            tr("From %1 into %2: %3.").arg(m_source->describe(), m_other->describe(),
                                            Job::policyText(ConflictPolicy(m_policy->currentData().toInt()))),
            this);
        confirm->setAttribute(Qt::WA_DeleteOnClose);
        connect(confirm, &QDialog::accepted, this, [this] { run(false, {}); });
        confirm->open();
        return;
    }
    case Kind::Verify: return run(false, {});
    }
}

void TransferDialog::run(bool dryRun, QByteArray passphrase)
{
    if (!m_source || isRunning())
        return;
    std::unique_ptr<Job> job;
    const ConflictPolicy policy = m_policy ? ConflictPolicy(m_policy->currentData().toInt()) : ConflictPolicy::Fail;
    switch (m_kind) {
    case Kind::Export: {
        ExportOptions o;
        o.path = m_path->text().trimmed();
        o.prefix = m_prefix->text();
        o.passphrase = std::move(passphrase);
        job = std::make_unique<console::ExportJob>(m_source->provider(), std::move(o));
        break;
    }
    case Kind::Import: {
        ImportOptions o;
        o.path = m_path->text().trimmed();
        o.passphrase = std::move(passphrase);
        o.policy = policy;
        o.dryRun = dryRun;
        job = std::make_unique<console::ImportJob>(m_source->provider(), std::move(o));
        break;
    }
    case Kind::Migrate: {
        MigrationOptions o;
        o.prefix = m_prefix->text();
        o.policy = policy;
        o.dryRun = dryRun;
        o.restart = m_restart->isChecked();
        job = std::make_unique<console::MigrateJob>(m_source->provider(), m_other->provider(), std::move(o));
        break;
    }
    case Kind::Verify: {
        VerifyOptions o;
        o.prefix = m_prefix->text();
        job = std::make_unique<console::VerifyJob>(m_source->provider(), m_other->provider(), std::move(o));
        break;
    }
    }
    m_lastWasDryRun = dryRun;
    // The view shows the new report before the old job (and its model) goes.
    m_report->setModel(job->report());
    m_job = std::move(job);
    Job *j = m_job.get();
    connect(j, &Job::progressChanged, this, &TransferDialog::onProgress);
    connect(j, &Job::finished, this, &TransferDialog::onFinished);
    connect(j, &Job::notice, this, [this](const QString &text) {
        m_notices->setVisible(true);
        m_notices->setText(m_notices->text().isEmpty() ? text : m_notices->text() + QLatin1Char('\n') + text);
        m_notices->setStyleSheet(m_theme ? m_theme->styleSheetFor(Tone::Warning) : QString());
    });

    m_title->setText(j->description()); // it says "dry run of …" itself
    m_notices->clear();
    m_notices->setVisible(false);
    m_summary->clear();
    m_bar->setRange(0, 0); // busy until the first progress says how much
    m_progressText->setText(tr("starting…"));
    m_cancel->setEnabled(true);
    m_cancel->setVisible(true);
    m_back->setVisible(false);
    m_again->setVisible(false);
    m_close->setVisible(false);
    m_pages->setCurrentIndex(1);
    Q_EMIT jobStarted(j);
    j->start();
}

void TransferDialog::onProgress(const TransferProgress &progress)
{
    if (progress.total > 0) {
        // QProgressBar counts in int: large totals are scaled.
        const double scale = progress.total > INT_MAX ? double(INT_MAX) / double(progress.total) : 1.0;
        m_bar->setRange(0, int(double(progress.total) * scale));
        m_bar->setValue(int(double(std::min(progress.done, progress.total)) * scale));
    } else {
        m_bar->setRange(0, 0);
    }
    m_progressText->setText(Job::progressText(progress));
}

void TransferDialog::onFinished(Job::State state)
{
    Job *j = m_job.get();
    const bool ok = state == Job::State::Succeeded;
    if (ok) {
        m_bar->setRange(0, 1);
        m_bar->setValue(1);
    } else if (m_bar->maximum() == 0) {
        m_bar->setRange(0, 1);
        m_bar->setValue(0);
    }
    // The same sentence the terminal UI shows; the bar and the progress line
    // below keep where it stopped.
    QString text = j->outcomeText();
    if (j->report()->omitted() > 0)
        text += QLatin1Char('\n') + tr("%n more key(s) not listed above (the summary counts them).", nullptr,
                                      int(std::min<qint64>(j->report()->omitted(), INT_MAX)));
    m_summary->setText(text);
    // Keys whole where the window allows it; the message takes the rest.
    for (int column : {int(console::JobReportModel::KeyColumn), int(console::JobReportModel::ActionColumn)}) {
        m_report->resizeColumnToContents(column);
        m_report->setColumnWidth(column, std::min(m_report->columnWidth(column), width() / 2));
    }
    m_summary->setStyleSheet(m_theme ? m_theme->styleSheetFor(j->tone()) : QString());
    m_progressText->setText(j->progressLine());
    m_cancel->setVisible(false);
    m_back->setVisible(true);
    m_close->setVisible(true);
    // After a clean dry run, the real run is one click away.
    const bool again = ok && m_lastWasDryRun;
    m_again->setVisible(again);
    if (again) {
        const console::Action *a = console::Actions::find(actionId(m_kind));
        m_again->setText(tr("%1 now").arg(a ? a->label : kindName(m_kind)));
        m_again->setDefault(false);
    }
    m_close->setDefault(true);
    Q_EMIT notify(Tone(int(j->tone())), j->kind() + QStringLiteral(": ") + m_summary->text().section(QLatin1Char('\n'), 0, 0));
    Q_EMIT jobFinished(state);
    if (m_closeWhenStopped)
        reject();
}

void TransferDialog::cancelJob()
{
    if (!isRunning())
        return;
    m_cancel->setEnabled(false);
    m_progressText->setText(tr("cancelling at the next safe point…"));
    m_job->cancel();
}

void TransferDialog::reject()
{
    if (isRunning()) {
        m_closeWhenStopped = true;
        cancelJob();
        return;
    }
    QDialog::reject();
}

} // namespace sd::widgets
