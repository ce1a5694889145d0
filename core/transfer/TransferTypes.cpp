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

} // namespace sd
