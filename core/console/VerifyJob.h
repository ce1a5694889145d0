#pragma once

#include "console/Job.h"
#include "transfer/Verifier.h"

#include <memory>

namespace sd::console {

// `statedeckctl verify` as a job, through core/transfer's Verifier: every
// source entry under the prefix is looked up in the target (its key
// translated as a migration translates it) and compared (phase "compare");
// then, unless disabled, keys only the target holds are looked for. Rows:
// the keys missing, different (with a diff, masked unless revealed) or
// extra. It writes nothing; cancelling just stops it.
class VerifyJob : public Job {
    Q_OBJECT
public:
    VerifyJob(Provider *source, Provider *target, VerifyOptions options, bool reveal = false,
              QObject *parent = nullptr);
    ~VerifyJob() override;

    QString kind() const override { return QStringLiteral("verify"); }
    QString description() const override;

protected:
    void begin() override;
    void stop() override;

private:
    Provider *m_source;
    Provider *m_target;
    VerifyOptions m_options;
    std::unique_ptr<Verifier> m_verifier;
};

} // namespace sd::console
