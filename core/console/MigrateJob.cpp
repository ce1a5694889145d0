#include "console/MigrateJob.h"

#include "providers/Provider.h"
#include "transfer/Checkpoint.h"

namespace sd::console {

MigrateJob::MigrateJob(Provider *source, Provider *target, MigrationOptions options, bool reveal, QObject *parent)
    : Job(options.dryRun, parent), m_source(source), m_target(target), m_options(std::move(options))
{
    m_checkpointPath = m_options.checkpointPath.isEmpty()
                           ? migrationCheckpointPath(source->describe(), target->describe(), m_options.prefix)
                           : m_options.checkpointPath;
    setShowValues(reveal || (!source->capabilities().sensitive && !target->capabilities().sensitive));
}

MigrateJob::~MigrateJob() = default;

QString MigrateJob::description() const
{
    return QStringLiteral("%1 %2 -> %3%4")
        .arg(isDryRun() ? QStringLiteral("dry run of migrating") : QStringLiteral("migrate"), m_source->describe(),
             m_target->describe(),
             m_options.prefix.isEmpty() ? QString() : QStringLiteral(" (under \"%1\")").arg(m_options.prefix));
}

void MigrateJob::begin()
{
    m_migrator = std::make_unique<Migrator>(m_source, m_target, m_options);
    connect(m_migrator.get(), &Migrator::checkpointSaved, this, &MigrateJob::checkpointSaved);
    connect(m_migrator.get(), &Migrator::verifying, this, &MigrateJob::verifying);
    connect(m_migrator.get(), &Migrator::resuming, this, [this](qint64 done, const QString &lastKey) {
        m_resumed = true;
        m_resumedAfter = done;
        addNotice(QStringLiteral("resuming the interrupted migration (checkpoint %1): %2 entries were copied, up "
                                 "to \"%3\"")
                      .arg(m_checkpointPath)
                      .arg(done)
                      .arg(lastKey));
        Q_EMIT resuming(done, lastKey);
    });
    runEngine(m_migrator.get(), [this](const MigrationReport &r) {
        if (r.restartedListing)
            addNotice(QStringLiteral("the saved listing position had expired; the listing started over and found "
                                     "what was copied unchanged"));
        return JobSummary{{}, r.transfer, r.verify};
    });
}

void MigrateJob::stop()
{
    m_migrator->cancel();
}

} // namespace sd::console
