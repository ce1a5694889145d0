#pragma once

#include "model/Entry.h"
#include "model/Result.h"

#include <QDateTime>

#include <optional>

namespace sd {

// One write made on a connection's fallback store while its primary was
// unreachable: what was written and what the fallback held before (the base
// the writer saw), so replaying it can tell whether the primary changed
// meanwhile.
struct JournalRecord {
    enum class Op { Put, Remove };
    Op op = Op::Put;
    QString key;                 // in the primary's key form
    Entry after;                 // Put: the entry written (key in the primary's form)
    std::optional<Entry> before; // the fallback's entry before the write; nullopt: it did not exist
    QDateTime at;
};

// An append-only file of JournalRecords, one JSON object a line
// (docs/migration.md). Blocking: used on a worker thread. Appends and
// rewrites take a lock file beside it, so several processes on the same
// connection share one journal. The file is 0600: it holds values.
class WriteJournal {
public:
    explicit WriteJournal(QString path);

    QString path() const { return m_path; }
    QString conflictsPath() const;
    bool hasRecords() const;

    // Durable (fsync) before it returns.
    Status append(const JournalRecord &record);
    Result<QList<JournalRecord>> readAll() const;
    // Removes the first `count` records (those a replay dealt with),
    // keeping any appended since it read them (atomic rewrite, under the lock).
    Status dropFirst(qsizetype count);
    // Keeps records that could not be replayed, with why, in conflictsPath().
    Status recordConflict(const JournalRecord &record, const QString &reason);

private:
    QString m_path;
};

} // namespace sd
