#include "providers/fallback/WriteJournal.h"

#include "snapshot/SnapshotFormat.h"
#include "util/AtomicFile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace sd {
namespace {

Json entryJson(const Entry &e)
{
    Result<QByteArray> line = entryLine(e, nullptr);
    if (!line.ok())
        return Json();
    return parseJsonOrDiscarded(line->constBegin(), line->constEnd() - 1);
}

std::optional<Entry> entryFrom(const Json &j, const QString &where)
{
    if (!j.is_object())
        return std::nullopt;
    auto r = parseRecord(toBytes(j.dump()), nullptr, where);
    if (!r.ok() || !r->entry)
        return std::nullopt;
    return *r->entry;
}

QByteArray recordLine(const JournalRecord &r, const QString &reason = QString())
{
    Json j{{"op", r.op == JournalRecord::Op::Put ? "put" : "remove"},
           {"key", toStd(r.key)},
           {"at", toStd(r.at.toUTC().toString(Qt::ISODateWithMs))},
           {"before", r.before ? entryJson(*r.before) : Json()}};
    if (r.op == JournalRecord::Op::Put)
        j["after"] = entryJson(r.after);
    if (!reason.isEmpty())
        j["conflict"] = toStd(reason);
    return toBytes(j.dump(-1, ' ', false, Json::error_handler_t::replace)) + '\n';
}

Status appendLine(const QString &path, const QByteArray &line)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    const int fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return Error(ErrorKind::Io, QStringLiteral("cannot open the journal: %1").arg(QString::fromLocal8Bit(std::strerror(errno))),
                     path);
    qsizetype done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(fd, line.constData() + done, size_t(line.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return Error(ErrorKind::Io, QStringLiteral("cannot write the journal: %1").arg(QString::fromLocal8Bit(std::strerror(err))),
                         path);
        }
        done += n;
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced)
        return Error(ErrorKind::Io, QStringLiteral("cannot flush the journal to disk"), path);
    return {};
}

} // namespace

WriteJournal::WriteJournal(QString path) : m_path(std::move(path)) {}

QString WriteJournal::conflictsPath() const
{
    QString p = m_path;
    if (p.endsWith(QLatin1String(".jsonl")))
        p.chop(6);
    return p + QStringLiteral(".conflicts.jsonl");
}

bool WriteJournal::hasRecords() const
{
    return QFileInfo(m_path).size() > 0;
}

Status WriteJournal::append(const JournalRecord &record)
{
    CrossProcessLock lock(m_path + QStringLiteral(".lock"));
    if (Status s = lock.acquire(); !s.ok())
        return s;
    return appendLine(m_path, recordLine(record));
}

Result<QList<JournalRecord>> WriteJournal::readAll() const
{
    Result<QByteArray> bytes = readWholeFile(m_path);
    if (!bytes.ok())
        return bytes.error().kind == ErrorKind::NotFound ? Result<QList<JournalRecord>>(QList<JournalRecord>())
                                                         : Result<QList<JournalRecord>>(bytes.error());
    QList<JournalRecord> out;
    int n = 0;
    for (const QByteArray &line : bytes->split('\n')) {
        ++n;
        if (line.trimmed().isEmpty())
            continue;
        const QString where = QStringLiteral("%1:%2").arg(m_path).arg(n);
        const Json j = parseJsonOrDiscarded(line.constBegin(), line.constEnd());
        if (!j.is_object() || !j.value("key", Json()).is_string())
            return Error(ErrorKind::Invalid, QStringLiteral("a journal line is damaged; fix or remove it"), where);
        JournalRecord r;
        r.op = j.value("op", std::string()) == "remove" ? JournalRecord::Op::Remove : JournalRecord::Op::Put;
        r.key = toQString(j["key"].get<std::string>());
        r.at = QDateTime::fromString(toQString(j.value("at", std::string())), Qt::ISODateWithMs);
        r.before = entryFrom(j.value("before", Json()), where);
        if (r.op == JournalRecord::Op::Put) {
            auto after = entryFrom(j.value("after", Json()), where);
            if (!after)
                return Error(ErrorKind::Invalid, QStringLiteral("a journal line has no written entry"), where);
            r.after = *after;
        }
        out << r;
    }
    return out;
}

Status WriteJournal::dropFirst(qsizetype count)
{
    CrossProcessLock lock(m_path + QStringLiteral(".lock"));
    if (Status s = lock.acquire(); !s.ok())
        return s;
    Result<QByteArray> bytes = readWholeFile(m_path);
    if (!bytes.ok())
        return bytes.error().kind == ErrorKind::NotFound ? Status() : Status(bytes.error());
    QByteArray kept;
    qsizetype seen = 0;
    for (const QByteArray &line : bytes->split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        if (seen++ < count)
            continue;
        kept += line + '\n';
    }
    return writeFileAtomically(m_path, kept);
}

Status WriteJournal::recordConflict(const JournalRecord &record, const QString &reason)
{
    return appendLine(conflictsPath(), recordLine(record, reason));
}

} // namespace sd
