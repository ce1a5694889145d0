#pragma once

#include "console/Job.h"
#include "console/Roles.h"

#include <QDialog>
#include <QPointer>

#include <functional>
#include <memory>
#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTableView;

namespace sd::console {
class Session;
}

namespace sd::widgets {

class Theme;

// The transfer wizard: export, import, migrate or verify the open
// connection, over the console layer's jobs (the CLI's and the TUI's rules).
//
//   1. Set-up: the snapshot file or the other store (a connection name or a
//      URL), the prefix, what to do with keys that exist; checked as you
//      type, with the reason Start is not possible yet beside it.
//   2. Dry run (import, migrate): what would be created, changed, skipped
//      or refused, key by key, and the summary; then Start for real, or
//      Back to change the set-up.
//   3. The run: progress with rate and ETA, Cancel (the job stops at a
//      safe point: nothing half-written), then the final report.
//
// A migration writes into another store, so it asks first. Passphrases
// (an encrypted snapshot, or a backup of secret values to seal) are asked
// in password fields, never shown. Nothing blocks the window: dialogs are
// opened, jobs signal. Closing the wizard while a job runs cancels it and
// closes once the job has stopped.
class TransferDialog : public QDialog {
    Q_OBJECT
public:
    enum class Kind { Export, Import, Migrate, Verify };
    Q_ENUM(Kind)

    // `source` is the open connection (the target of an import) and must
    // outlive the dialog. `stores`: connection names offered as the other
    // store of a migration or a verify.
    TransferDialog(Kind kind, console::Session *source, const QStringList &stores, Theme *theme,
                   QWidget *parent = nullptr);
    ~TransferDialog() override;

    Kind kind() const { return m_kind; }
    static QString kindName(Kind kind);

    // The set-up page.
    QLineEdit *pathEdit() const { return m_path; }
    QComboBox *storeBox() const { return m_store; }
    QLineEdit *prefixEdit() const { return m_prefix; }
    QComboBox *policyBox() const { return m_policy; }
    QCheckBox *encryptBox() const { return m_encrypt; }
    QLabel *problemLabel() const { return m_problem; }
    QLabel *snapshotLabel() const { return m_snapshotInfo; }
    QPushButton *dryRunButton() const { return m_dryRun; }
    QPushButton *startButton() const { return m_start; }
    // Why Start cannot be pressed yet (nullopt: it can).
    std::optional<QString> problem() const;

    // The run page.
    QProgressBar *progressBar() const { return m_bar; }
    QLabel *progressLabel() const { return m_progressText; }
    QLabel *summaryLabel() const { return m_summary; }
    QTableView *reportTable() const { return m_report; }
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *backButton() const { return m_back; }
    QPushButton *runForRealButton() const { return m_again; }
    bool onRunPage() const;

    // The job of the run page (null before the first); lives until the
    // next one starts or the dialog goes.
    console::Job *job() const { return m_job.get(); }
    bool isRunning() const;

    // What the buttons do.
    void startDryRun();
    void start();
    void cancelJob();

Q_SIGNALS:
    void notify(sd::console::Tone tone, const QString &message, const QString &details = QString());
    void jobStarted(sd::console::Job *job);
    void jobFinished(sd::console::Job::State state);

public Q_SLOTS:
    // Esc, Close and the title bar's close: while a job runs, cancel it and
    // close once it has stopped.
    void reject() override;

private:
    void buildSetupPage();
    void buildRunPage();
    void validate();
    // A problem met when starting: said where the user looks, nothing runs.
    void refuse(const QString &why);
    void readSnapshotManifest();
    void chooseFile();
    // Asks what must be asked (confirmation, passphrases), then runs.
    void prepare(bool dryRun);
    void ask(const QString &label, bool twice, std::function<void(QByteArray)> then);
    void run(bool dryRun, QByteArray passphrase);
    void onProgress(const TransferProgress &progress);
    void onFinished(console::Job::State state);
    QString target() const;

    Kind m_kind;
    QPointer<console::Session> m_source;
    QPointer<Theme> m_theme;
    std::unique_ptr<console::Session> m_other; // the other store of a migration or a verify
    std::unique_ptr<console::Job> m_job;
    bool m_closeWhenStopped = false;
    bool m_lastWasDryRun = false;

    QStackedWidget *m_pages;
    QLineEdit *m_path = nullptr;
    QComboBox *m_store = nullptr;
    QLineEdit *m_prefix = nullptr;
    QComboBox *m_policy = nullptr;
    QCheckBox *m_encrypt = nullptr;
    QCheckBox *m_restart = nullptr;
    QLabel *m_snapshotInfo = nullptr;
    QLabel *m_problem;
    QPushButton *m_dryRun = nullptr;
    QPushButton *m_start;

    QLabel *m_title;
    QProgressBar *m_bar;
    QLabel *m_progressText;
    QLabel *m_notices;
    QLabel *m_summary;
    QTableView *m_report;
    QPushButton *m_cancel;
    QPushButton *m_back;
    QPushButton *m_again;
    QPushButton *m_close;
};

} // namespace sd::widgets
