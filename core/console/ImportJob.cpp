#include "console/ImportJob.h"

#include "providers/Provider.h"
#include "transfer/SnapshotReader.h"

namespace sd::console {

ImportJob::ImportJob(Provider *target, ImportOptions options, bool reveal, QObject *parent)
    : Job(options.dryRun, parent), m_target(target), m_options(std::move(options)), m_path(m_options.path),
      m_reveal(reveal)
{
    // Nothing is shown before pass 1 has read the manifest; until then,
    // masked unless revealed.
    setShowValues(reveal);
}

ImportJob::~ImportJob()
{
    m_options.passphrase.fill('\0'); // when it never started
}

QString ImportJob::description() const
{
    return QStringLiteral("%1 %2 into %3")
        .arg(isDryRun() ? QStringLiteral("dry run of importing") : QStringLiteral("import"), m_path,
             m_target->describe());
}

Result<SnapshotManifest> ImportJob::readManifest(const QString &path)
{
    auto reader = SnapshotReader::open(path);
    if (!reader.ok())
        return reader.error();
    return reader.value()->manifest();
}

ImportJob::PassphraseNeed ImportJob::passphraseNeed(const SnapshotManifest &manifest, const Provider *target,
                                                    const ImportOptions &options)
{
    if (manifest.encryption)
        return PassphraseNeed::ToOpen;
    const bool overwritesSecrets = options.policy == ConflictPolicy::Overwrite && !options.dryRun
                                   && (manifest.sensitive || target->capabilities().sensitive);
    return overwritesSecrets ? PassphraseNeed::ToSealBackup : PassphraseNeed::None;
}

void ImportJob::begin()
{
    m_importer = std::make_unique<Importer>(m_target, std::move(m_options));
    connect(m_importer.get(), &Importer::verified, this, [this](const SnapshotSummary &s) {
        m_snapshot = s;
        // Values are secret when they are on either side: a Secret store as
        // target, a snapshot exported from one, or sealed values.
        setShowValues(m_reveal
                      || (!m_target->capabilities().sensitive && !s.manifest.sensitive && !s.encrypted && !s.manifest.encryption));
    });
    runEngine(m_importer.get(),
              [](const ImportReport &r) { return JobSummary{r.snapshot, r.transfer, {}}; });
}

void ImportJob::stop()
{
    m_importer->cancel();
}

} // namespace sd::console
