#include "providers/local/LocalStore.h"

#include "model/Codec.h"
#include "providers/local/JsonMembers.h"
#include "util/AtomicFile.h"
#include "util/LockRecords.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

namespace sd::local {

namespace {

const QString kJsonSuffix = QStringLiteral(".json");
const QString kLockFileName = QStringLiteral(".statedeck.lock");
const QString kLockDirName = QStringLiteral(".statedeck-locks");
// A key becomes "<key>.json", written through ".<key>.json.tmp-<pid>-<random>"
// (up to 26 bytes more), and a file name holds at most 255 bytes.
constexpr qsizetype kMaxKeyBytes = 200;

QString parentDir(const QString &path)
{
    return QFileInfo(path).absolutePath();
}

QDateTime modifiedTime(const QString &path)
{
    return QFileInfo(path).lastModified().toUTC();
}

// A member's revision is the hash of its compact JSON, so reformatting the
// document around it does not change it.
QString memberRevision(const Json &value)
{
    return contentRevision(compactJson(value));
}

bool isPermissionErrno(int err)
{
    return err == EACCES || err == EPERM || err == EROFS;
}

Status checkDirWritable(const QString &dir)
{
    if (::access(QFile::encodeName(dir).constData(), W_OK | X_OK) == 0)
        return {};
    const int err = errno;
    if (isPermissionErrno(err))
        return Error(ErrorKind::Forbidden,
                     QStringLiteral("the directory is not writable (%1); nothing was changed")
                         .arg(QString::fromLocal8Bit(std::strerror(err))),
                     dir);
    return Error(ErrorKind::Io,
                 QStringLiteral("cannot use the directory: %1").arg(QString::fromLocal8Bit(std::strerror(err))), dir);
}

// Renaming over a read-only file would succeed (only the directory's mode
// counts), so a write-protected file is checked for explicitly: its owner
// meant it not to change.
Status checkFileWritable(const QString &path)
{
    if (::access(QFile::encodeName(path).constData(), W_OK) == 0)
        return {};
    const int err = errno;
    if (err == ENOENT)
        return {};
    if (isPermissionErrno(err))
        return Error(ErrorKind::Forbidden,
                     QStringLiteral("the file is read-only (%1); nothing was changed")
                         .arg(QString::fromLocal8Bit(std::strerror(err))),
                     path);
    return Error(ErrorKind::Io, QString::fromLocal8Bit(std::strerror(err)), path);
}

Status ensureDirectory(const QString &dir)
{
    const QFileInfo info(dir);
    if (info.isDir())
        return {};
    if (info.exists())
        return Error(ErrorKind::Io, QStringLiteral("exists but is not a directory"), dir);
    if (QDir().mkpath(dir))
        return {};
    QString existing = parentDir(dir);
    while (!QFileInfo::exists(existing) && existing != QLatin1String("/"))
        existing = parentDir(existing);
    if (::access(QFile::encodeName(existing).constData(), W_OK | X_OK) != 0 && isPermissionErrno(errno))
        return Error(ErrorKind::Forbidden,
                     QStringLiteral("cannot create the directory: %1 is not writable; nothing was changed")
                         .arg(existing),
                     dir);
    return Error(ErrorKind::Io, QStringLiteral("cannot create the directory"), dir);
}

Status syncDirectory(const QString &dir)
{
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)::fsync(fd);
        ::close(fd);
    }
    return {};
}

Status removeFile(const QString &path)
{
    if (::unlink(QFile::encodeName(path).constData()) != 0) {
        const int err = errno;
        return Error(isPermissionErrno(err) ? ErrorKind::Forbidden : ErrorKind::Io,
                     QStringLiteral("cannot remove: %1").arg(QString::fromLocal8Bit(std::strerror(err))), path);
    }
    return syncDirectory(parentDir(path));
}

Status checkPrecondition(const QString &key, const Precondition &pre, bool exists, const QString &current)
{
    switch (pre.kind) {
    case Precondition::Kind::None:
        return {};
    case Precondition::Kind::MustNotExist:
        if (exists)
            return Error(ErrorKind::AlreadyExists,
                         QStringLiteral("the key already exists (revision %1); nothing was written").arg(current), key);
        return {};
    case Precondition::Kind::Revision:
        if (!exists)
            return Error(ErrorKind::Conflict,
                         QStringLiteral("expected revision %1, but the key does not exist (it was removed); "
                                        "read it again and retry")
                             .arg(pre.revision),
                         key);
        if (pre.revision != current)
            return Error(ErrorKind::Conflict,
                         QStringLiteral("the key was changed by someone else: expected revision %1, found %2; "
                                        "read it again and retry")
                             .arg(pre.revision, current),
                         key);
        return {};
    }
    return {};
}

// Only an explicit revision may replace or remove a file that does not
// parse: whatever is in it may be the only copy of someone's state.
Error malformedRefusal(const Error &parseError, const QString &revision, const QString &what)
{
    return Error(ErrorKind::Invalid,
                 QStringLiteral("%1; the file was left untouched. To %2 it anyway, pass its current revision %3 "
                                "as the precondition")
                     .arg(parseError.message, what, revision),
                 parseError.where);
}

Entry errorEntry(const QString &key, const QString &path, const QString &revision, const Error &error)
{
    Entry e;
    e.key = key;
    e.value = Json();
    e.revision = revision;
    e.labels.insert(QStringLiteral("file"), path);
    e.labels.insert(QStringLiteral("error"), error.toString());
    return e;
}

Result<Entry> fileEntry(const QString &key, const QString &path, const QByteArray &bytes)
{
    auto value = decodeValue(bytes, Encoding::Json, path);
    if (!value.ok())
        return value.error();
    Entry e;
    e.key = key;
    e.value = std::move(value).value();
    e.encoding = Encoding::Json;
    e.revision = contentRevision(bytes);
    e.updated = modifiedTime(path);
    e.labels.insert(QStringLiteral("file"), path);
    e.raw = bytes;
    return e;
}

// For list and watch: a file that does not parse is shown as an entry
// carrying the parse error, so one bad file neither hides nor fails the rest.
Entry fileEntryOrError(const QString &key, const QString &path, const QByteArray &bytes)
{
    auto e = fileEntry(key, path, bytes);
    if (e.ok())
        return std::move(e).value();
    return errorEntry(key, path, contentRevision(bytes), e.error());
}

qint64 nowNs()
{
    timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

} // namespace

// ---------------------------------------------------------------------------

Layout Layout::from(const QString &statePath, const QString &keysPath)
{
    Layout l;
    l.statePath = QDir::cleanPath(QFileInfo(statePath).absoluteFilePath());
    l.stateDir = parentDir(l.statePath);
    if (!keysPath.isEmpty()) {
        l.keysPath = QDir::cleanPath(QFileInfo(keysPath).absoluteFilePath());
        l.keysFile = l.keysPath + QStringLiteral("/state.json");
    }
    const QString name = QFileInfo(l.statePath).fileName();
    if (name.endsWith(kJsonSuffix) && name.size() > kJsonSuffix.size()) {
        l.reservedKey = name.chopped(kJsonSuffix.size());
        // With keysPath set, key `keys` lives elsewhere: keys.json is free.
        if (l.reservedKey == QLatin1String("keys") && !l.keysFile.isEmpty())
            l.reservedKey.clear();
    }
    l.documentEnabled = l.statePath != l.keysFile;
    return l;
}

Capabilities localCapabilities()
{
    Capabilities c = Capabilities::fileStore();
    // Keys are file names, so '/' cannot split them; a hierarchy is dotted
    // (translateKey keeps seed 004's keys as they are).
    c.keySeparator = QStringLiteral(".");
    return c;
}

struct LocalStore::Document {
    bool exists = false;
    QString path;
    QByteArray bytes;
    Json json;                   // an object when `error` is empty
    std::optional<Error> error;  // unreadable, malformed, or not an object
    std::optional<ObjectText> text;
    QDateTime modified;

    bool has(const QString &key) const { return exists && !error && json.contains(toStd(key)); }
};

struct LocalStore::Source {
    enum class Kind { File, Member, DocumentError };
    Kind kind = Kind::File;
    QString path;
    bool shadowsMember = false;
};

class LocalStore::DirLocks {
public:
    bool holds(const QString &dir) const { return m_dirs.contains(dir); }
    void add(const QString &dir, std::unique_ptr<CrossProcessLock> lock)
    {
        m_dirs << dir;
        m_locks.push_back(std::move(lock));
    }

private:
    QStringList m_dirs;
    std::vector<std::unique_ptr<CrossProcessLock>> m_locks;
};

LocalStore::LocalStore(Layout layout, QString owner) : m_layout(std::move(layout)), m_owner(std::move(owner)) {}

QStringList LocalStore::watchedDirectories() const
{
    QStringList dirs{m_layout.stateDir};
    if (!m_layout.keysPath.isEmpty() && m_layout.keysPath != m_layout.stateDir)
        dirs << m_layout.keysPath;
    return dirs;
}

Status LocalStore::checkKey(const QString &key) const
{
    if (Status s = validateKey(key, localCapabilities()); !s)
        return s;
    if (key.toUtf8().size() > kMaxKeyBytes)
        return Error(ErrorKind::Invalid,
                     QStringLiteral("a key may be at most %1 bytes long in the local store (it becomes a file name)")
                         .arg(kMaxKeyBytes),
                     QStringLiteral("key \"%1\"").arg(key));
    return {};
}

Error LocalStore::reservedError(const QString &key) const
{
    const QString role = m_layout.documentEnabled ? QStringLiteral("the multi-key state document, whose members are "
                                                                   "keys of their own")
                                                  : QStringLiteral("the file of key \"keys\"");
    return Error(ErrorKind::Invalid,
                 QStringLiteral("the key \"%1\" is reserved: its file would be %2, which is %3; choose another name")
                     .arg(key, m_layout.statePath, role),
                 key);
}

QString LocalStore::fileFor(const QString &key) const
{
    if (key == QLatin1String("keys") && !m_layout.keysFile.isEmpty())
        return m_layout.keysFile;
    return m_layout.stateDir + QLatin1Char('/') + key + kJsonSuffix;
}

LocalStore::Document LocalStore::loadDocument() const
{
    Document d;
    d.path = m_layout.statePath;
    if (!m_layout.documentEnabled)
        return d;
    auto bytes = readWholeFile(d.path);
    if (!bytes.ok()) {
        if (bytes.error().kind != ErrorKind::NotFound) {
            d.exists = true;
            d.error = bytes.error();
        }
        return d;
    }
    d.exists = true;
    d.bytes = std::move(bytes).value();
    d.modified = modifiedTime(d.path);
    auto json = decodeValue(d.bytes, Encoding::Json, d.path);
    if (!json.ok()) {
        d.error = json.error();
    } else if (!json.value().is_object()) {
        d.error = Error(ErrorKind::Invalid,
                        QStringLiteral("the state document holds a JSON %1, not an object of keys")
                            .arg(QString::fromLatin1(json.value().type_name())),
                        d.path);
    } else {
        d.json = std::move(json).value();
        d.text = scanObjectText(d.bytes);
    }
    return d;
}

Entry LocalStore::memberEntry(const Document &doc, const QString &key) const
{
    Entry e;
    e.key = key;
    e.value = doc.json.at(toStd(key));
    e.encoding = Encoding::Json;
    e.revision = memberRevision(e.value);
    e.updated = doc.modified;
    e.labels.insert(QStringLiteral("file"), doc.path);
    if (doc.text) {
        if (const MemberSpan *span = doc.text->find(key))
            e.raw = doc.bytes.mid(span->valueStart, span->valueEnd - span->valueStart);
    }
    return e;
}

// ---------------------------------------------------------------------------
// Reads

Result<Entry> LocalStore::get(const QString &key) const
{
    if (Status s = checkKey(key); !s)
        return s.error();
    const bool reserved = key == m_layout.reservedKey;
    if (!reserved) {
        const QString path = fileFor(key);
        auto bytes = readWholeFile(path);
        if (bytes.ok())
            return fileEntry(key, path, bytes.value());
        if (bytes.error().kind != ErrorKind::NotFound)
            return bytes.error();
    }
    const Document doc = loadDocument();
    if (doc.error)
        return Error(doc.error->kind,
                     doc.error->message
                         + QStringLiteral("; key \"%1\" may be one of this document's members, which cannot be read "
                                          "until it is fixed")
                               .arg(key),
                     doc.error->where);
    if (doc.has(key))
        return memberEntry(doc, key);
    if (reserved)
        return reservedError(key);
    QString looked = fileFor(key);
    if (doc.exists)
        looked += QStringLiteral(" and among the members of ") + doc.path;
    return Error(ErrorKind::NotFound, QStringLiteral("no such key (looked for %1)").arg(looked), key);
}

Result<QMap<QString, LocalStore::Source>> LocalStore::gather(const QString &prefix, Document &doc) const
{
    QMap<QString, Source> sources;
    const QFileInfo dirInfo(m_layout.stateDir);
    if (dirInfo.exists()) {
        if (::access(QFile::encodeName(m_layout.stateDir).constData(), R_OK | X_OK) != 0)
            return Error(ErrorKind::Forbidden,
                         QStringLiteral("cannot list the directory: %1").arg(QString::fromLocal8Bit(std::strerror(errno))),
                         m_layout.stateDir);
        QDirIterator it(m_layout.stateDir, QDir::Files | QDir::Hidden);
        while (it.hasNext()) {
            const QString path = it.next();
            const QString name = it.fileName();
            if (!name.endsWith(kJsonSuffix) || path == m_layout.statePath || path == m_layout.keysFile)
                continue;
            const QString key = name.chopped(kJsonSuffix.size());
            // keys.json is never read when key `keys` lives in keysPath, and
            // names that are not valid keys cannot be addressed.
            if ((key == QLatin1String("keys") && !m_layout.keysFile.isEmpty()) || key == m_layout.reservedKey
                || !key.startsWith(prefix) || !checkKey(key).ok())
                continue;
            sources.insert(key, Source{Source::Kind::File, path});
        }
    }
    if (!m_layout.keysFile.isEmpty() && QStringLiteral("keys").startsWith(prefix)
        && QFileInfo::exists(m_layout.keysFile))
        sources.insert(QStringLiteral("keys"), Source{Source::Kind::File, m_layout.keysFile});

    doc = loadDocument();
    if (doc.error) {
        const QString key = m_layout.reservedKey.isEmpty() ? QFileInfo(doc.path).fileName() : m_layout.reservedKey;
        if (key.startsWith(prefix))
            sources.insert(key, Source{Source::Kind::DocumentError, doc.path});
    } else if (doc.exists) {
        for (auto it = doc.json.cbegin(); it != doc.json.cend(); ++it) {
            const QString key = toQString(it.key());
            if (!key.startsWith(prefix) || !checkKey(key).ok())
                continue;
            // The gate reads a key's own file; a member of the same name is
            // shadowed by it.
            auto existing = sources.find(key);
            if (existing != sources.end())
                existing->shadowsMember = true;
            else
                sources.insert(key, Source{Source::Kind::Member, doc.path});
        }
    }
    return sources;
}

Result<ListPage> LocalStore::list(const ListOptions &options) const
{
    Document doc;
    auto gathered = gather(options.prefix, doc);
    if (!gathered.ok())
        return gathered.error();
    const QMap<QString, Source> &sources = gathered.value();
    const int limit = options.limit > 0 ? options.limit : 500;

    ListPage page;
    auto it = options.cursor.isEmpty() ? sources.cbegin() : sources.upperBound(options.cursor);
    QByteArray fingerprint;
    for (; it != sources.cend() && page.entries.size() < limit; ++it) {
        const QString &key = it.key();
        const Source &src = it.value();
        Entry e;
        switch (src.kind) {
        case Source::Kind::File: {
            auto bytes = readWholeFile(src.path);
            if (!bytes.ok()) {
                if (bytes.error().kind == ErrorKind::NotFound)
                    continue; // removed since the directory was read
                e = errorEntry(key, src.path, QString(), bytes.error());
            } else {
                e = fileEntryOrError(key, src.path, bytes.value());
            }
            if (src.shadowsMember)
                e.labels.insert(QStringLiteral("shadows"), doc.path);
            break;
        }
        case Source::Kind::Member:
            e = memberEntry(doc, key);
            break;
        case Source::Kind::DocumentError:
            e = errorEntry(key, doc.path, contentRevision(doc.bytes), *doc.error);
            break;
        }
        if (options.keysOnly) {
            e.value = Json();
            e.raw = QByteArray();
        }
        fingerprint += key.toUtf8() + '\0' + e.revision.toLatin1() + '\0';
        page.entries << e;
    }
    // The cursor is the last key returned: the next page starts after it,
    // whatever was added or removed meanwhile.
    if (it != sources.cend())
        page.nextCursor = page.entries.constLast().key;
    // There is no store-wide revision; this token only marks the read. A
    // watch from it (from any revision) starts with a Resync.
    page.revision = QStringLiteral("list-") + contentRevision(fingerprint);
    return page;
}

Result<QMap<QString, Entry>> LocalStore::snapshot(const QString &prefix, ScanCache &cache) const
{
    Document doc;
    auto gathered = gather(prefix, doc);
    if (!gathered.ok())
        return gathered.error();
    QMap<QString, Entry> out;
    QHash<QString, ScanCache::FileState> seen;
    QMap<QString, Entry> members;
    const QMap<QString, Source> &sources = gathered.value();
    for (auto it = sources.cbegin(); it != sources.cend(); ++it) {
        const QString &key = it.key();
        const Source &src = it.value();
        if (src.kind == Source::Kind::Member) {
            members.insert(key, memberEntry(doc, key));
            out.insert(key, members.value(key));
            continue;
        }
        if (src.kind == Source::Kind::DocumentError) {
            out.insert(key, errorEntry(key, doc.path, contentRevision(doc.bytes), *doc.error));
            continue;
        }
        struct stat st {};
        if (::stat(QFile::encodeName(src.path).constData(), &st) != 0)
            continue;
        ScanCache::FileState state;
        state.dev = st.st_dev;
        state.ino = st.st_ino;
        state.size = st.st_size;
        state.mtimeNs = qint64(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        state.ctimeNs = qint64(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
        const auto cached = cache.files.constFind(src.path);
        // A file changed twice within one timestamp tick keeps its stat; so
        // like git's "racily clean" rule, a stat is only trusted once the
        // file was read well after its last change.
        const bool trusted = cached != cache.files.cend() && cached->dev == state.dev && cached->ino == state.ino
                             && cached->size == state.size && cached->mtimeNs == state.mtimeNs
                             && cached->ctimeNs == state.ctimeNs
                             && cached->readAtNs - std::max(state.mtimeNs, state.ctimeNs) > 2'000'000'000;
        if (trusted) {
            state.readAtNs = cached->readAtNs;
            state.entry = cached->entry;
        } else {
            state.readAtNs = nowNs();
            auto bytes = readWholeFile(src.path);
            if (!bytes.ok()) {
                if (bytes.error().kind == ErrorKind::NotFound)
                    continue;
                state.entry = errorEntry(key, src.path, QString(), bytes.error());
            } else {
                state.entry = fileEntryOrError(key, src.path, bytes.value());
            }
        }
        Entry e = state.entry;
        if (src.shadowsMember)
            e.labels.insert(QStringLiteral("shadows"), doc.path);
        seen.insert(src.path, state);
        out.insert(key, e);
    }
    if (doc.error) {
        // Members are unknown while the document does not parse (perhaps a
        // writer is halfway through it): assume they did not change.
        for (auto it = cache.members.cbegin(); it != cache.members.cend(); ++it) {
            if (!out.contains(it.key()))
                out.insert(it.key(), it.value());
        }
    } else {
        cache.members = members;
    }
    cache.files = seen;
    return out;
}

// ---------------------------------------------------------------------------
// Writes

void LocalStore::removeStaleTemporaries(const QString &dir) const
{
    {
        QMutexLocker guard(&m_cleanedMutex);
        if (m_cleanedDirs.contains(dir))
            return;
        m_cleanedDirs.insert(dir);
    }
    // writeFileAtomically names its temporary ".<name>.tmp-<pid>-<random>".
    // One left by a writer killed mid-write is never renamed; once its
    // process is gone it is garbage (several MB for a large value). Done
    // once per directory and store, under the directory's lock.
    QDirIterator it(dir, QDir::Files | QDir::Hidden);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString name = it.fileName();
        if (!name.startsWith(QLatin1Char('.')))
            continue;
        const qsizetype tmp = name.lastIndexOf(QStringLiteral(".tmp-"));
        if (tmp < 0)
            continue;
        const QString rest = name.mid(tmp + 5);
        const qsizetype dash = rest.indexOf(QLatin1Char('-'));
        bool ok = false;
        const qint64 pid = rest.left(dash).toLongLong(&ok);
        if (!ok || dash < 0 || pid <= 0)
            continue;
        if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
            (void)::unlink(QFile::encodeName(path).constData());
    }
}

Status LocalStore::takeDirLock(DirLocks &locks, const QString &dir) const
{
    if (locks.holds(dir))
        return {};
    if (Status s = ensureDirectory(dir); !s)
        return s;
    if (Status s = checkDirWritable(dir); !s)
        return s;
    auto lock = std::make_unique<CrossProcessLock>(dir + QLatin1Char('/') + kLockFileName);
    if (Status s = lock->acquire(); !s)
        return s;
    locks.add(dir, std::move(lock));
    removeStaleTemporaries(dir);
    return {};
}

Result<Entry> LocalStore::put(const Entry &in, const Precondition &pre) const
{
    const QString &key = in.key;
    if (Status s = checkKey(key); !s)
        return s.error();
    const bool reserved = key == m_layout.reservedKey;
    const QString path = fileFor(key);
    DirLocks locks;
    if (!reserved) {
        if (Status s = takeDirLock(locks, parentDir(path)); !s)
            return s.error();
        auto current = readWholeFile(path);
        if (current.ok())
            return writeKeyFile(in, pre, path, &current.value());
        if (current.error().kind != ErrorKind::NotFound)
            return current.error();
    }
    // A key without a file of its own may be a member of the document. Lock
    // order is always the keys directory, then the state directory; the
    // latter is not even created when there is no document.
    if (m_layout.documentEnabled && QFileInfo::exists(m_layout.statePath)) {
        if (Status s = takeDirLock(locks, m_layout.stateDir); !s)
            return s.error();
        const Document doc = loadDocument();
        if (doc.error)
            return Error(doc.error->kind,
                         doc.error->message
                             + QStringLiteral("; until the state document is fixed, statedeck cannot tell whether key "
                                              "\"%1\" is one of its members, so nothing was written")
                                   .arg(key),
                         doc.error->where);
        if (doc.has(key))
            return writeMember(in, pre, doc);
    }
    if (reserved)
        return reservedError(key);
    return writeKeyFile(in, pre, path, nullptr);
}

Result<Entry> LocalStore::writeKeyFile(const Entry &in, const Precondition &pre, const QString &path,
                                       const QByteArray *current) const
{
    const bool exists = current != nullptr;
    const QString currentRev = exists ? contentRevision(*current) : QString();
    std::optional<Error> malformed;
    if (exists) {
        if (auto parsed = decodeValue(*current, Encoding::Json, path); !parsed.ok())
            malformed = parsed.error();
    }
    if (Status s = checkPrecondition(in.key, pre, exists, currentRev); !s)
        return s.error();
    if (malformed && pre.kind != Precondition::Kind::Revision)
        return malformedRefusal(*malformed, currentRev, QStringLiteral("replace"));
    if (Status s = checkFileWritable(path); !s)
        return s.error();

    Entry out = in;
    out.encoding = Encoding::Json; // the gate's files are JSON, whatever the entry came from
    QByteArray bytes = encodeValue(out);
    // encodeValue ends pretty JSON with a newline; the gate's
    // JSON.stringify(v, null, 2) does not. Keep whichever convention the
    // file already has so an edit changes only what was edited.
    if (exists && bytes != out.raw && !current->isEmpty() && !current->endsWith('\n') && bytes.endsWith('\n'))
        bytes.chop(1);
    if (!exists || bytes != *current) {
        if (Status s = writeFileAtomically(path, bytes); !s)
            return s.error();
    }
    out.raw = bytes;
    out.revision = contentRevision(bytes);
    out.updated = modifiedTime(path);
    out.labels.insert(QStringLiteral("file"), path);
    return out;
}

Result<Entry> LocalStore::writeMember(const Entry &in, const Precondition &pre, const Document &doc) const
{
    const std::string stdKey = toStd(in.key);
    const QString currentRev = memberRevision(doc.json.at(stdKey));
    if (Status s = checkPrecondition(in.key, pre, true, currentRev); !s)
        return s.error();
    if (Status s = checkFileWritable(doc.path); !s)
        return s.error();

    Json expected = doc.json;
    expected[stdKey] = in.value;
    QByteArray bytes;
    QByteArray valueText;
    if (doc.text) {
        if (const MemberSpan *span = doc.text->find(in.key)) {
            const QByteArray currentText = doc.bytes.mid(span->valueStart, span->valueEnd - span->valueStart);
            const bool unedited = in.raw == currentText && doc.json.at(stdKey) == in.value;
            valueText = unedited ? currentText : memberValueText(doc.bytes, *doc.text, *span, in.value);
            bytes = replaceMemberText(doc.bytes, *span, valueText);
        }
    }
    // The splice leaves every other member byte-identical; should it ever
    // not reproduce the expected document, rewrite the whole document.
    Json reread;
    try {
        reread = parseJson(bytes.constBegin(), bytes.constEnd());
    } catch (const Json::exception &) {
        reread = Json();
    }
    if (bytes.isEmpty() || reread != expected) {
        bytes = toBytes(expected.dump(2, ' ', false, Json::error_handler_t::replace)) + '\n';
        valueText = toBytes(in.value.dump(2, ' ', false, Json::error_handler_t::replace));
        reread = expected;
    }
    if (bytes != doc.bytes) {
        if (Status s = writeFileAtomically(doc.path, bytes); !s)
            return s.error();
    }
    Entry out = in;
    out.encoding = Encoding::Json;
    out.raw = valueText;
    out.revision = memberRevision(reread.at(stdKey));
    out.updated = modifiedTime(doc.path);
    out.labels.insert(QStringLiteral("file"), doc.path);
    return out;
}

Status LocalStore::remove(const QString &key, const Precondition &pre) const
{
    if (Status s = checkKey(key); !s)
        return s;
    const bool reserved = key == m_layout.reservedKey;
    const QString path = fileFor(key);
    DirLocks locks;
    if (!reserved) {
        if (Status s = takeDirLock(locks, parentDir(path)); !s)
            return s;
        auto current = readWholeFile(path);
        if (current.ok()) {
            const QString currentRev = contentRevision(current.value());
            if (Status s = checkPrecondition(key, pre, true, currentRev); !s)
                return s;
            if (auto parsed = decodeValue(current.value(), Encoding::Json, path);
                !parsed.ok() && pre.kind != Precondition::Kind::Revision)
                return malformedRefusal(parsed.error(), currentRev, QStringLiteral("remove"));
            if (Status s = checkFileWritable(path); !s)
                return s;
            return removeFile(path);
        }
        if (current.error().kind != ErrorKind::NotFound)
            return current.error();
    }
    if (m_layout.documentEnabled && QFileInfo::exists(m_layout.statePath)) {
        if (Status s = takeDirLock(locks, m_layout.stateDir); !s)
            return s;
        const Document doc = loadDocument();
        if (doc.error)
            return Error(doc.error->kind,
                         doc.error->message
                             + QStringLiteral("; until the state document is fixed, statedeck cannot tell whether key "
                                              "\"%1\" is one of its members, so nothing was removed")
                                   .arg(key),
                         doc.error->where);
        if (doc.has(key))
            return removeMember(key, pre, doc);
    }
    if (reserved)
        return reservedError(key);
    if (Status s = checkPrecondition(key, pre, false, QString()); !s)
        return s;
    return Error(ErrorKind::NotFound, QStringLiteral("no such key; nothing was removed"), key);
}

Status LocalStore::removeMember(const QString &key, const Precondition &pre, const Document &doc) const
{
    const std::string stdKey = toStd(key);
    if (Status s = checkPrecondition(key, pre, true, memberRevision(doc.json.at(stdKey))); !s)
        return s;
    if (Status s = checkFileWritable(doc.path); !s)
        return s;
    Json expected = doc.json;
    expected.erase(stdKey);
    QByteArray bytes;
    if (doc.text) {
        if (const MemberSpan *span = doc.text->find(key))
            bytes = removeMemberText(doc.bytes, *doc.text, *span);
    }
    bool same = false;
    try {
        same = !bytes.isEmpty() && parseJson(bytes.constBegin(), bytes.constEnd()) == expected;
    } catch (const Json::exception &) {
    }
    if (!same)
        bytes = toBytes(expected.dump(2, ' ', false, Json::error_handler_t::replace)) + '\n';
    return writeFileAtomically(doc.path, bytes);
}

// ---------------------------------------------------------------------------
// Locks: records in <stateDir>/.statedeck-locks/ (util/LockRecords.h).

Result<Lock> LocalStore::lock(const QString &name, std::chrono::milliseconds ttl) const
{
    if (Status s = checkKey(name); !s)
        return s.error();
    return LockRecords(m_layout.stateDir + QLatin1Char('/') + kLockDirName, m_owner).acquire(name, ttl);
}

Status LocalStore::unlock(const Lock &lock) const
{
    if (Status s = checkKey(lock.name); !s)
        return s;
    return LockRecords(m_layout.stateDir + QLatin1Char('/') + kLockDirName, m_owner).release(lock);
}

Result<Lock> LocalStore::renew(const Lock &lock, std::chrono::milliseconds ttl) const
{
    if (Status s = checkKey(lock.name); !s)
        return s.error();
    return LockRecords(m_layout.stateDir + QLatin1Char('/') + kLockDirName, m_owner).renew(lock, ttl);
}

} // namespace sd::local
