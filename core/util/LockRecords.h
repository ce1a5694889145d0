#pragma once

#include "providers/Provider.h"

#include <chrono>

namespace sd {

// Named leases for stores made of files (local, yaml): one JSON record per
// name in `directory` (owner, token, acquired, expires) plus a fencing
// counter file that only grows, so every acquisition's token is above every
// token handed out before, even after records are removed. Every read and
// write happens under a CrossProcessLock in that directory. Blocking: call
// from a provider's worker thread. Names are validated by the caller.
class LockRecords {
public:
    LockRecords(QString directory, QString owner);

    // Busy (naming the holder and until when) while an unexpired record exists.
    Result<Lock> acquire(const QString &name, std::chrono::milliseconds ttl) const;
    // Conflict when the record is no longer this holder's; NotFound when none.
    Status release(const Lock &lock) const;
    // Moves the record's expiry to `ttl` from now; Conflict when the record
    // is no longer this holder's.
    Result<Lock> renew(const Lock &lock, std::chrono::milliseconds ttl) const;

private:
    QString recordPath(const QString &name) const;
    Status prepareDirectory() const;

    QString m_dir;
    QString m_owner;
};

} // namespace sd
