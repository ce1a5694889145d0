#include "transfer/TransferTypes.h"

namespace sd {

bool parseConflictPolicy(const QString &name, ConflictPolicy *out)
{
    if (name == QLatin1String("fail"))
        *out = ConflictPolicy::Fail;
    else if (name == QLatin1String("skip"))
        *out = ConflictPolicy::Skip;
    else if (name == QLatin1String("overwrite"))
        *out = ConflictPolicy::Overwrite;
    else
        return false;
    return true;
}

QString conflictPolicyName(ConflictPolicy p)
{
    switch (p) {
    case ConflictPolicy::Fail: return QStringLiteral("fail");
    case ConflictPolicy::Skip: return QStringLiteral("skip");
    case ConflictPolicy::Overwrite: return QStringLiteral("overwrite");
    }
    return QStringLiteral("fail");
}

QString transferStepName(TransferStep step)
{
    switch (step) {
    case TransferStep::BackupAppended: return QStringLiteral("backup-appended");
    case TransferStep::BackupSynced: return QStringLiteral("backup-synced");
    case TransferStep::PageWritten: return QStringLiteral("page-written");
    case TransferStep::CheckpointSaved: return QStringLiteral("checkpoint-saved");
    }
    return {};
}

bool parseTransferStep(const QString &name, TransferStep *out)
{
    for (TransferStep s : {TransferStep::BackupAppended, TransferStep::BackupSynced, TransferStep::PageWritten,
                           TransferStep::CheckpointSaved}) {
        if (transferStepName(s) == name) {
            *out = s;
            return true;
        }
    }
    return false;
}

QString outcomeKindName(KeyOutcome::Kind k)
{
    switch (k) {
    case KeyOutcome::Kind::Create: return QStringLiteral("create");
    case KeyOutcome::Kind::Change: return QStringLiteral("change");
    case KeyOutcome::Kind::Unchanged: return QStringLiteral("unchanged");
    case KeyOutcome::Kind::Skipped: return QStringLiteral("skipped");
    case KeyOutcome::Kind::Conflict: return QStringLiteral("conflict");
    case KeyOutcome::Kind::Failed: return QStringLiteral("failed");
    case KeyOutcome::Kind::Missing: return QStringLiteral("missing");
    case KeyOutcome::Kind::Differs: return QStringLiteral("differs");
    case KeyOutcome::Kind::Extra: return QStringLiteral("extra");
    }
    return {};
}

QString TransferReport::text() const
{
    if (dryRun)
        return QStringLiteral("dry run: %1 to create, %2 to change, %3 unchanged%4; nothing was written")
            .arg(created)
            .arg(changed)
            .arg(unchanged)
            .arg(failed ? QStringLiteral(", %1 refused by the target").arg(failed) : QString());
    QString s = QStringLiteral("%1 created, %2 overwritten, %3 unchanged, %4 skipped, %5 conflicts, %6 failed")
                    .arg(created)
                    .arg(changed)
                    .arg(unchanged)
                    .arg(skipped)
                    .arg(conflicts)
                    .arg(failed);
    if (!backupPath.isEmpty())
        s += QStringLiteral("\nbackup of the %1 overwritten value(s): %2").arg(backedUp).arg(backupPath);
    return s;
}

} // namespace sd
