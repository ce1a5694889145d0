#pragma once

#include "console/Roles.h"
#include "transfer/SnapshotWriter.h"
#include "transfer/TransferTypes.h"

#include <QAbstractTableModel>

#include <optional>

namespace sd::console {

// What a finished (or running) job did, in counts. Each job fills the parts
// it has: an export the snapshot, an import the snapshot and the transfer,
// a migration the transfer and (unless disabled) the verify pass, a verify
// the verify pass.
struct JobSummary {
    std::optional<SnapshotSummary> snapshot;
    std::optional<TransferReport> transfer;
    std::optional<VerifyReport> verify;

    // Nothing refused, conflicting, failed or different.
    bool clean() const;
    // One or two lines for a status bar, as the CLI words its summary:
    // "dry run: 3 to create, 1 to change, 2 unchanged; nothing was written".
    QString text() const;
};

// The per-key outcomes of an import, migration or verify, one row each, in
// the order they happened; and the job's summary counts.
//
// Which keys get a row: a dry run lists every key (what it would do); a
// real run lists every key whose outcome is not a plain create or an
// unchanged value (changed, skipped, conflicts, failures), exactly as the
// CLI prints them; those two are counted in summary(). A verify lists the
// keys that are missing, differ or are extra. At most maxRows() rows are
// kept (memory stays bounded on a million-key dry run); omitted() counts the
// rest, and the summary counts them all.
//
// Values are masked (the message shows paths, never values) unless the job
// reveals them: see Job::revealsValues().
class JobReportModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { KeyColumn, ActionColumn, MessageColumn, ColumnCount };
    enum Roles {
        KindRole = FirstCustomRole, // KeyOutcome::Kind, as int
        SourceKeyRole,              // the key in the source's form (QString)
        DiffRole,                   // QStringList: the change, one line each (masked unless revealed)
        ErrorKindRole,              // ErrorKind as int, for conflicts and failures; -1 otherwise
    };

    static constexpr int kDefaultMaxRows = 100000;

    explicit JobReportModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    const JobSummary &summary() const { return m_summary; }
    qint64 omitted() const { return m_omitted; }
    int maxRows() const { return m_maxRows; }
    void setMaxRows(int rows) { m_maxRows = rows; }
    bool isDryRun() const { return m_dryRun; }

    // The word for an outcome: "created", "changed", ... ("create", "change"
    // in a dry run).
    static QString actionName(KeyOutcome::Kind kind, bool dryRun);
    static Tone toneFor(KeyOutcome::Kind kind);

Q_SIGNALS:
    void summaryChanged();

private:
    friend class Job;
    struct Row {
        KeyOutcome::Kind kind;
        QString key;
        QString sourceKey;
        QString message;
        QStringList diff;
        int errorKind = -1;
        bool masked = false;
    };

    void setDryRun(bool dryRun) { m_dryRun = dryRun; }
    // Counts and keeps one outcome; rows reach views in batches (flush()).
    void add(const KeyOutcome &outcome, bool showValues);
    void flush();
    void setSummary(JobSummary summary);

    QList<Row> m_rows;
    QList<Row> m_pending;
    JobSummary m_summary;
    qint64 m_omitted = 0;
    int m_maxRows = kDefaultMaxRows;
    bool m_dryRun = false;
    bool m_flushQueued = false;
    bool m_countsChanged = false;
};

} // namespace sd::console
