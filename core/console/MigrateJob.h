#pragma once

#include "console/Job.h"
#include "transfer/Migrator.h"

#include <memory>

namespace sd::console {

// `statedeckctl migrate` as a job, through core/transfer's Migrator: the
// source read page by page and written to the target with conditional
// batched writes and the conflict policy (phases "check", "write"; "plan"
// in a dry run), a checkpoint after every page the target acknowledged, a
// backup of what it overwrites, then a verify pass (phase "compare"), whose
// missing or differing keys are report rows too.
//
// Cancelled, it stops after the page in flight and keeps its checkpoint:
// a new MigrateJob with the same stores, prefix and options resumes after
// the last acknowledged page (resuming() says so, and isResumed() is true),
// and what of the interrupted page had arrived is found unchanged. Nothing
// is written twice or skipped.
class MigrateJob : public Job {
    Q_OBJECT
public:
    // `reveal`: show values in the report's diffs even for a Secret store.
    MigrateJob(Provider *source, Provider *target, MigrationOptions options, bool reveal = false,
               QObject *parent = nullptr);
    ~MigrateJob() override;

    QString kind() const override { return QStringLiteral("migrate"); }
    QString description() const override;

    // Where the checkpoint is (or will be) kept.
    QString checkpointPath() const { return m_checkpointPath; }
    // After it finished: it continued an interrupted run that had done
    // resumedAfter() entries.
    bool isResumed() const { return m_resumed; }
    qint64 resumedAfter() const { return m_resumedAfter; }

Q_SIGNALS:
    void resuming(qint64 done, const QString &lastKey);
    // `done` entries are in the target for good.
    void checkpointSaved(qint64 done);
    // The copy is complete; the verify pass starts.
    void verifying();

protected:
    void begin() override;
    void stop() override;

private:
    Provider *m_source;
    Provider *m_target;
    MigrationOptions m_options;
    QString m_checkpointPath;
    bool m_resumed = false;
    qint64 m_resumedAfter = 0;
    std::unique_ptr<Migrator> m_migrator;
};

} // namespace sd::console
