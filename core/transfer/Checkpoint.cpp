#include "transfer/Checkpoint.h"

#include "model/Json.h"
#include "util/AtomicFile.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace sd {

QString backupPathFor(const QString &directory, const QString &reason, const QString &targetScheme)
{
    const QString stamp = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyy-MM-dd_HH-mm-ss"));
    QString path = QDir(directory).filePath(QStringLiteral("%1_%2_%3.jsonl").arg(stamp, reason, targetScheme));
    // Two runs within a second get -2, -3... as yaml backups do.
    for (int n = 2; QFileInfo::exists(path) || QFileInfo::exists(partialPathFor(path)); ++n)
        path = QDir(directory).filePath(QStringLiteral("%1_%2_%3-%4.jsonl").arg(stamp, reason, targetScheme).arg(n));
    return path;
}

QString partialPathFor(const QString &path)
{
    const QFileInfo info(path);
    return info.absoluteDir().filePath(QStringLiteral(".%1.partial").arg(info.fileName()));
}

QString migrationCheckpointPath(const QString &from, const QString &to, const QString &prefix)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    for (const QString &part : {from, to, prefix}) {
        h.addData(part.toUtf8());
        h.addData(QByteArrayView("\0", 1));
    }
    return stateDirectory() + QStringLiteral("/migrations/") + QString::fromLatin1(h.result().toHex().left(16))
           + QStringLiteral(".json");
}

namespace {

Json countsToJson(const TransferReport &r)
{
    return Json{{"read", r.read},         {"created", r.created},     {"changed", r.changed},
                {"unchanged", r.unchanged}, {"skipped", r.skipped}, {"conflicts", r.conflicts},
                {"failed", r.failed},     {"backedUp", r.backedUp}};
}

QString text(const Json &j, const char *name)
{
    return j.contains(name) && j[name].is_string() ? toQString(j[name].get<std::string>()) : QString();
}

qint64 number(const Json &j, const char *name)
{
    return j.contains(name) && j[name].is_number_integer() ? j[name].get<qint64>() : 0;
}

} // namespace

Result<std::optional<MigrationCheckpoint>> loadCheckpoint(const QString &path)
{
    Result<QByteArray> bytes = readWholeFile(path);
    if (!bytes.ok()) {
        if (bytes.error().kind == ErrorKind::NotFound)
            return std::optional<MigrationCheckpoint>();
        return bytes.error();
    }
    Json j;
    try {
        j = parseJson(bytes->constBegin(), bytes->constEnd());
    } catch (const Json::parse_error &e) {
        return Error(ErrorKind::Invalid,
                     QStringLiteral("the migration checkpoint is damaged (%1); delete it or pass --restart")
                         .arg(toQString(e.what())),
                     path);
    }
    if (!j.is_object() || number(j, "version") != 1)
        return Error(ErrorKind::Invalid,
                     QStringLiteral("not a statedeck migration checkpoint (version 1); delete it or pass --restart"),
                     path);
    MigrationCheckpoint c;
    c.from = text(j, "from");
    c.to = text(j, "to");
    c.prefix = text(j, "prefix");
    c.keys = text(j, "keys");
    c.policy = text(j, "onConflict");
    c.cursor = text(j, "cursor");
    c.lastKey = text(j, "lastKey");
    c.complete = j.value("complete", false);
    const Json counts = j.value("counts", Json::object());
    c.counts.read = number(counts, "read");
    c.counts.created = number(counts, "created");
    c.counts.changed = number(counts, "changed");
    c.counts.unchanged = number(counts, "unchanged");
    c.counts.skipped = number(counts, "skipped");
    c.counts.conflicts = number(counts, "conflicts");
    c.counts.failed = number(counts, "failed");
    c.counts.backedUp = number(counts, "backedUp");
    const Json backup = j.value("backup", Json::object());
    c.backupPath = text(backup, "path");
    c.backupPartial = text(backup, "partial");
    c.started = QDateTime::fromString(text(j, "started"), Qt::ISODateWithMs);
    c.updated = QDateTime::fromString(text(j, "updated"), Qt::ISODateWithMs);
    return std::optional<MigrationCheckpoint>(c);
}

Status saveCheckpoint(const QString &path, const MigrationCheckpoint &c)
{
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        return Error(ErrorKind::Io, QStringLiteral("cannot create the checkpoint directory"),
                     QFileInfo(path).absolutePath());
    const Json j{{"version", 1},
                 {"from", toStd(c.from)},
                 {"to", toStd(c.to)},
                 {"prefix", toStd(c.prefix)},
                 {"keys", toStd(c.keys)},
                 {"onConflict", toStd(c.policy)},
                 {"cursor", toStd(c.cursor)},
                 {"lastKey", toStd(c.lastKey)},
                 {"complete", c.complete},
                 {"counts", countsToJson(c.counts)},
                 {"backup", Json{{"path", toStd(c.backupPath)}, {"partial", toStd(c.backupPartial)}}},
                 {"started", toStd(c.started.toUTC().toString(Qt::ISODateWithMs))},
                 {"updated", toStd(c.updated.toUTC().toString(Qt::ISODateWithMs))}};
    return writeFileAtomically(path, toBytes(j.dump(2, ' ', false, Json::error_handler_t::replace)) + '\n');
}

Status removeCheckpoint(const QString &path)
{
    if (QFile::exists(path) && !QFile::remove(path))
        return Error(ErrorKind::Io, QStringLiteral("cannot remove the checkpoint"), path);
    return {};
}

} // namespace sd
