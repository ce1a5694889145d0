#include "util/LockRecords.h"

#include "model/Codec.h"
#include "util/AtomicFile.h"

#include <QDir>
#include <QFileInfo>

#include <cstdio>
#include <optional>

namespace sd {
namespace {

struct Record {
    QString owner;
    quint64 token = 0;
    QDateTime expires;
};

// nullopt when there is no record.
Result<std::optional<Record>> readRecord(const QString &path)
{
    auto bytes = readWholeFile(path);
    if (!bytes.ok()) {
        if (bytes.error().kind == ErrorKind::NotFound)
            return std::optional<Record>();
        return bytes.error();
    }
    const QString malformed = QStringLiteral("the lock record is malformed; remove it if no process holds the lock");
    auto json = decodeValue(bytes.value(), Encoding::Json, path);
    if (!json.ok())
        return Error(ErrorKind::Invalid, malformed, json.error().where);
    try {
        const Json &r = json.value();
        Record rec;
        rec.owner = toQString(r.at("owner").get<std::string>());
        rec.token = r.at("token").get<quint64>();
        rec.expires = QDateTime::fromString(toQString(r.at("expires").get<std::string>()), Qt::ISODateWithMs);
        if (!rec.expires.isValid())
            return Error(ErrorKind::Invalid, malformed, path);
        return std::optional<Record>(rec);
    } catch (const Json::exception &) {
        return Error(ErrorKind::Invalid, malformed, path);
    }
}

} // namespace

LockRecords::LockRecords(QString directory, QString owner) : m_dir(std::move(directory)), m_owner(std::move(owner)) {}

QString LockRecords::recordPath(const QString &name) const
{
    return m_dir + QLatin1Char('/') + name + QStringLiteral(".json");
}

Status LockRecords::prepareDirectory() const
{
    if (!QFileInfo(m_dir).isDir()) {
        // Name the directory that stops us, not the one we wanted to make.
        const QString parent = QFileInfo(m_dir).absolutePath();
        if (QFileInfo(parent).isDir() && !QFileInfo(parent).isWritable())
            return Error(ErrorKind::Forbidden,
                         QStringLiteral("the directory is not writable, so the lock directory %1 cannot be created")
                             .arg(QFileInfo(m_dir).fileName()),
                         parent);
        if (!QDir().mkpath(m_dir))
            return Error(ErrorKind::Forbidden, QStringLiteral("cannot create the lock directory"), m_dir);
    }
    if (!QFileInfo(m_dir).isWritable())
        return Error(ErrorKind::Forbidden, QStringLiteral("the lock directory is not writable"), m_dir);
    return {};
}

Result<Lock> LockRecords::acquire(const QString &name, std::chrono::milliseconds ttl) const
{
    if (ttl.count() <= 0)
        return Error(ErrorKind::Invalid, QStringLiteral("a lock needs a time to live above zero"), name);
    if (Status s = prepareDirectory(); !s)
        return s.error();
    CrossProcessLock guard(m_dir + QStringLiteral("/.guard.lock"));
    if (Status s = guard.acquire(); !s)
        return s.error();
    const QString path = recordPath(name);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    auto record = readRecord(path);
    if (!record.ok())
        return record.error();
    quint64 previousToken = 0;
    if (const auto &held = record.value()) {
        previousToken = held->token;
        if (held->expires > now)
            return Error(ErrorKind::Busy,
                         QStringLiteral("the lock is held by %1 until %2 (fencing token %3)")
                             .arg(held->owner, held->expires.toString(Qt::ISODateWithMs))
                             .arg(held->token),
                         name);
    }
    // The counter only grows: a new holder's token is above every token ever
    // handed out here, so storage can refuse a holder that lost the lock
    // without knowing.
    const QString counterPath = m_dir + QStringLiteral("/fencing-token");
    quint64 counter = 0;
    if (auto bytes = readWholeFile(counterPath); bytes.ok()) {
        bool ok = false;
        counter = bytes.value().trimmed().toULongLong(&ok);
        if (!ok)
            return Error(ErrorKind::Invalid,
                         QStringLiteral("the fencing counter is not a number; put the highest token handed out in it"),
                         counterPath);
    } else if (bytes.error().kind != ErrorKind::NotFound) {
        return bytes.error();
    }
    const quint64 token = std::max(counter, previousToken) + 1;
    if (Status s = writeFileAtomically(counterPath, QByteArray::number(token) + '\n'); !s)
        return s.error();

    Lock lock;
    lock.name = name;
    lock.owner = m_owner;
    lock.fencingToken = token;
    lock.expires = now.addMSecs(ttl.count());
    Json written = Json::object();
    written["owner"] = toStd(lock.owner);
    written["token"] = token;
    written["acquired"] = toStd(now.toString(Qt::ISODateWithMs));
    written["expires"] = toStd(lock.expires.toString(Qt::ISODateWithMs));
    if (Status s = writeFileAtomically(path, toBytes(written.dump(2)) + '\n'); !s)
        return s.error();
    return lock;
}

Result<Lock> LockRecords::renew(const Lock &lock, std::chrono::milliseconds ttl) const
{
    if (ttl.count() <= 0)
        return Error(ErrorKind::Invalid, QStringLiteral("a lock needs a time to live above zero"), lock.name);
    CrossProcessLock guard(m_dir + QStringLiteral("/.guard.lock"));
    if (Status s = guard.acquire(); !s)
        return s.error();
    const QString path = recordPath(lock.name);
    auto record = readRecord(path);
    if (!record.ok())
        return record.error();
    const auto &held = record.value();
    if (!held || held->owner != lock.owner || held->token != lock.fencingToken)
        return Error(ErrorKind::Conflict,
                     held ? QStringLiteral("the lock was lost: it is held by %1 with fencing token %2 now")
                                .arg(held->owner)
                                .arg(held->token)
                          : QStringLiteral("the lock was lost: nobody holds it now"),
                     lock.name);
    Lock renewed = lock;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    renewed.expires = now.addMSecs(ttl.count());
    auto bytes = readWholeFile(path);
    if (!bytes.ok())
        return bytes.error();
    Json written = parseJsonOrDiscarded(bytes.value().constBegin(), bytes.value().constEnd());
    if (!written.is_object())
        written = Json::object();
    written["owner"] = toStd(lock.owner);
    written["token"] = lock.fencingToken;
    written["renewed"] = toStd(now.toString(Qt::ISODateWithMs));
    written["expires"] = toStd(renewed.expires.toString(Qt::ISODateWithMs));
    if (Status s = writeFileAtomically(path, toBytes(written.dump(2)) + '\n'); !s)
        return s.error();
    return renewed;
}

Status LockRecords::release(const Lock &lock) const
{
    CrossProcessLock guard(m_dir + QStringLiteral("/.guard.lock"));
    if (Status s = guard.acquire(); !s)
        return s;
    const QString path = recordPath(lock.name);
    auto record = readRecord(path);
    if (!record.ok())
        return record.error();
    const auto &held = record.value();
    if (!held)
        return Error(ErrorKind::NotFound, QStringLiteral("the lock is not held by anyone"), lock.name);
    if (held->owner != lock.owner || held->token != lock.fencingToken)
        return Error(ErrorKind::Conflict,
                     QStringLiteral("the lock is held by %1 with fencing token %2, not by %3 with token %4; it was "
                                    "not released")
                         .arg(held->owner)
                         .arg(held->token)
                         .arg(lock.owner)
                         .arg(lock.fencingToken),
                     lock.name);
    if (std::remove(QFile::encodeName(path).constData()) != 0)
        return Error(ErrorKind::Io, QStringLiteral("cannot remove the lock record"), path);
    return {};
}

} // namespace sd
