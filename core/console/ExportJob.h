#pragma once

#include "console/Job.h"
#include "transfer/Exporter.h"

#include <memory>

namespace sd::console {

// `statedeckctl export` as a job: the store's entries under a prefix to a
// snapshot file, in constant memory, through core/transfer's Exporter. The
// file appears at its path only when the export completes; a cancel (or a
// failure) removes the temporary file, so there is never a partial snapshot
// under the name. The report has no rows; its summary has the snapshot
// (entries, bytes, SHA-256, encrypted).
class ExportJob : public Job {
    Q_OBJECT
public:
    // A non-empty options.passphrase seals every value (AES-256-GCM); it is
    // wiped from memory once the key is derived.
    ExportJob(Provider *source, ExportOptions options, QObject *parent = nullptr);
    ~ExportJob() override;

    QString kind() const override { return QStringLiteral("export"); }
    QString description() const override;

protected:
    void begin() override;
    void stop() override;

private:
    Provider *m_source;
    ExportOptions m_options;
    QString m_path;
    QString m_prefix;
    std::unique_ptr<Exporter> m_exporter;
};

} // namespace sd::console
