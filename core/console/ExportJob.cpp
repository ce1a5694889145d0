#include "console/ExportJob.h"

#include "providers/Provider.h"

namespace sd::console {

ExportJob::ExportJob(Provider *source, ExportOptions options, QObject *parent)
    : Job(false, parent), m_source(source), m_options(std::move(options)), m_path(m_options.path),
      m_prefix(m_options.prefix)
{
    setShowValues(false); // an export shows no values at all
}

ExportJob::~ExportJob()
{
    m_options.passphrase.fill('\0'); // when it never started
}

QString ExportJob::description() const
{
    return QStringLiteral("export %1%2 to %3")
        .arg(m_source->describe(),
             m_prefix.isEmpty() ? QString() : QStringLiteral(" (under \"%1\")").arg(m_prefix), m_path);
}

void ExportJob::begin()
{
    if (m_options.passphrase.isEmpty() && m_source->capabilities().sensitive)
        addNotice(QStringLiteral("%1 holds secrets and the snapshot is not encrypted; give a passphrase to seal "
                                 "its values")
                      .arg(m_source->describe()));
    m_exporter = std::make_unique<Exporter>(m_source, std::move(m_options));
    runEngine(m_exporter.get(), [](const SnapshotSummary &snapshot) { return JobSummary{snapshot, {}, {}}; });
}

void ExportJob::stop()
{
    m_exporter->cancel();
}

} // namespace sd::console
