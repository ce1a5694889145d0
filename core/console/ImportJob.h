#pragma once

#include "console/Job.h"
#include "transfer/Importer.h"

#include <memory>

namespace sd::console {

// `statedeckctl import` as a job, through core/transfer's Importer: the
// whole snapshot is checked first (pass 1, phase "verify-file", in bytes)
// and a damaged file is refused before anything is written; then the
// entries are written (phase "write") with conditional batched writes, the
// conflict policy, and a backup of every value it overwrites. A dry run
// (phase "plan") writes nothing and lists, key by key, what it would do.
//
// Cancelled in pass 1, nothing was written. Cancelled in pass 2, it stops
// after the page in flight: each key of the snapshot is then either
// untouched or holds its whole new value, never part of one, and the same
// import run again finds what was written unchanged and completes.
class ImportJob : public Job {
    Q_OBJECT
public:
    // What a front end must ask for before it starts an import.
    enum class PassphraseNeed {
        None,
        ToOpen,       // the snapshot is encrypted
        ToSealBackup, // a plain snapshot overwriting secret values: their backup is sealed with it (ask twice)
    };

    // `reveal`: show values in the report's diffs even when they are secret.
    ImportJob(Provider *target, ImportOptions options, bool reveal = false, QObject *parent = nullptr);
    ~ImportJob() override;

    QString kind() const override { return QStringLiteral("import"); }
    QString description() const override;

    // The snapshot's manifest (its first line, read here: fast, but file
    // I/O). Invalid, naming FILE:1, when it is not a snapshot.
    static Result<SnapshotManifest> readManifest(const QString &path);
    // As the CLI decides it.
    static PassphraseNeed passphraseNeed(const SnapshotManifest &manifest, const Provider *target,
                                         const ImportOptions &options);

    // After pass 1: what the file holds (entries, SHA-256, manifest).
    const std::optional<SnapshotSummary> &snapshot() const { return m_snapshot; }

protected:
    void begin() override;
    void stop() override;

private:
    Provider *m_target;
    ImportOptions m_options;
    QString m_path;
    bool m_reveal = false;
    std::optional<SnapshotSummary> m_snapshot;
    std::unique_ptr<Importer> m_importer;
};

} // namespace sd::console
