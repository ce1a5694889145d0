#pragma once

#include "console/JobReportModel.h"
#include "console/Roles.h"
#include "model/Error.h"
#include "transfer/TransferTypes.h"

#include <QFuture>
#include <QObject>

#include <optional>

namespace sd::console {

// A long piece of work a front end starts, watches and may stop: export,
// import, migrate, verify (one subclass each, over core/transfer's engines,
// with the CLI's rules). A job runs once: Pending, then Running, then one of
// Succeeded, Failed or Cancelled for good. To run it again (a migration
// resumed from its checkpoint, say), make a new job with the same options.
//
// The providers a job is given must outlive it. Destroying a running job
// stops its engine as cancel() does (an export removes its temporary file,
// a migration keeps its checkpoint).
class Job : public QObject {
    Q_OBJECT
public:
    enum class State { Pending, Running, Succeeded, Failed, Cancelled };
    Q_ENUM(State)

    ~Job() override;

    // "export", "import", "migrate", "verify".
    virtual QString kind() const = 0;
    // What it does, for a title: "migrate sqlite:///a.db -> etcd://…" (no
    // secrets: stores as Provider::describe() shows them).
    virtual QString description() const = 0;

    State state() const { return m_state; }
    static QString stateName(State state);
    bool isFinished() const;
    // cancel() was asked for while it runs; the engine stops at the next safe
    // point (a page boundary), then the state becomes Cancelled.
    bool isCancelling() const { return m_cancelling; }
    bool isDryRun() const { return m_dryRun; }
    // Whether the report shows values in its diffs: the job was made with
    // reveal, or nothing involved is secret (a Kubernetes Secret store on
    // either side, a snapshot exported from one, or an encrypted snapshot).
    bool revealsValues() const { return m_showValues; }

    // The latest progress: phase, done, total (-1 while unknown), rate
    // (entries a second; bytes a second in an import's "verify-file" phase),
    // ETA in seconds (-1 while unknown). See docs/console-jobs.md for phases.
    const TransferProgress &progress() const { return m_progress; }
    // Set when the state is Failed (or Cancelled: kind Cancelled).
    const std::optional<Error> &error() const { return m_error; }
    // The per-key outcomes and the summary; lives as long as the job.
    JobReportModel *report() const { return m_report; }
    // Things the user should know that are not errors ("the store holds
    // secrets and the snapshot is not encrypted", "resuming ...").
    const QStringList &notices() const { return m_notices; }
    // How the job as a whole went: Good (succeeded, nothing to look at),
    // Warning (succeeded with conflicts, skips, failures or differences),
    // Error (failed), Muted (cancelled), Normal (pending or running).
    Tone tone() const;
    // How a finished job ended, in the sentence both front ends show (the
    // GUI's summary, the TUI's message line), shortest news first: the
    // summary; "Import failed: <error>"; or, cancelled, what is left
    // behind. Empty while it runs.
    QString outcomeText() const;

    // "write 1200/5000 entries (24%)  830/s  ETA 0:05"
    static QString progressText(const TransferProgress &progress);
    // This job's progress in those words; once it has ended, only where it
    // stopped ("write 2000/20000 entries (10%)"), without the rate and ETA
    // it had then.
    QString progressLine() const;
    // What a conflict policy does, in the words both front ends show
    // before an import or a migration: "overwrite what differs (the old
    // values are backed up)".
    static QString policyText(ConflictPolicy policy);

public Q_SLOTS:
    // Pending -> Running; ignored in any other state.
    void start();
    // A pending job becomes Cancelled at once; a running one stops soon
    // (isCancelling() meanwhile). Nothing is ever half-written: see each
    // job. Ignored once finished.
    void cancel();

Q_SIGNALS:
    void stateChanged(sd::console::Job::State state);
    void progressChanged(const sd::TransferProgress &progress);
    void notice(const QString &text);
    // Once, with the final state; report() and error() are final by then.
    void finished(sd::console::Job::State state);

protected:
    Job(bool dryRun, QObject *parent);

    // Start the engine; call succeed() or fail() when it ends.
    virtual void begin() = 0;
    // Ask the engine to stop.
    virtual void stop() = 0;

    // Runs one of core/transfer's engines (Exporter, Importer, Migrator,
    // Verifier): its progress, and its per-key outcomes where it has them,
    // feed this job; its result ends it, made a summary by `summarize`.
    template <typename Engine, typename Summarize>
    void runEngine(Engine *engine, Summarize summarize)
    {
        connect(engine, &Engine::progress, this, &Job::onProgress);
        if constexpr (requires { &Engine::outcome; })
            connect(engine, &Engine::outcome, this, &Job::onOutcome);
        using Answer = typename FutureValue<decltype(engine->run())>::type;
        engine->run().then(this, [this, summarize](Answer r) {
            if (!r.ok())
                return fail(r.error());
            succeed(summarize(r.value()));
        });
    }

    void setShowValues(bool show) { m_showValues = show; }
    void onProgress(const TransferProgress &progress);
    void onOutcome(const KeyOutcome &outcome);
    void addNotice(const QString &text);
    void succeed(JobSummary summary);
    // An error of kind Cancelled makes the state Cancelled.
    void fail(const Error &error);

private:
    template <typename F>
    struct FutureValue;
    template <typename T>
    struct FutureValue<QFuture<T>> {
        using type = T;
    };

    void setState(State state);

    JobReportModel *m_report;
    State m_state = State::Pending;
    TransferProgress m_progress;
    std::optional<Error> m_error;
    QStringList m_notices;
    bool m_dryRun = false;
    bool m_showValues = false;
    bool m_cancelling = false;
};

} // namespace sd::console
