#include "console/VerifyJob.h"

#include "providers/Provider.h"

namespace sd::console {

VerifyJob::VerifyJob(Provider *source, Provider *target, VerifyOptions options, bool reveal, QObject *parent)
    : Job(false, parent), m_source(source), m_target(target), m_options(std::move(options))
{
    setShowValues(reveal || (!source->capabilities().sensitive && !target->capabilities().sensitive));
}

VerifyJob::~VerifyJob() = default;

QString VerifyJob::description() const
{
    return QStringLiteral("verify %1 against %2%3")
        .arg(m_target->describe(), m_source->describe(),
             m_options.prefix.isEmpty() ? QString() : QStringLiteral(" (under \"%1\")").arg(m_options.prefix));
}

void VerifyJob::begin()
{
    m_verifier = std::make_unique<Verifier>(m_source, m_target, m_options);
    runEngine(m_verifier.get(), [](const VerifyReport &verify) { return JobSummary{{}, {}, verify}; });
}

void VerifyJob::stop()
{
    m_verifier->cancel();
}

} // namespace sd::console
