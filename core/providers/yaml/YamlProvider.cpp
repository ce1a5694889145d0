#include "providers/yaml/YamlProvider.h"

#include "model/Codec.h"
#include "providers/yaml/YamlDocumentEditor.h"
#include "util/Async.h"
#include "util/AtomicFile.h"
#include "util/LockRecords.h"
#include "util/DirectoryWatcher.h"
#include "util/SnapshotDiff.h"
#include "util/YamlJson.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QPointer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSysInfo>

#include <algorithm>
#include <optional>

#include <fcntl.h>
#include <sys/stat.h>

namespace sd {
namespace {

const QString kStateSuffix = QStringLiteral("-state.yaml");
const QString kYamlSuffix = QStringLiteral(".yaml");
const QString kEventsSuffix = QStringLiteral("-events.yaml");
const QString kLockFile = QStringLiteral(".statedeck.lock");
const QString kLocksDir = QStringLiteral(".statedeck-locks");

// What a provider job needs, copied into each job so a job never touches the
// provider object (which may be gone by the time a queued job runs).
struct Config {
    QString dir;
    QString backupDir;
    int maxBackups = 10;
    QString owner; // this provider instance, for lock files
};

Capabilities yamlCapabilities()
{
    Capabilities c = Capabilities::fileStore();
    c.keySeparator = QStringLiteral("."); // deployment.vm_states.w1.state
    return c;
}

// The name a state file answers to: "deployment" for deployment-state.yaml,
// "deployment-events" for deployment-events.yaml.
QString nameOfFile(const QString &fileName)
{
    if (fileName.endsWith(kStateSuffix) && fileName.size() > kStateSuffix.size())
        return fileName.chopped(kStateSuffix.size());
    return fileName.chopped(kYamlSuffix.size());
}

QString pathOf(const Config &c, const QString &fileName)
{
    return c.dir + QLatin1Char('/') + fileName;
}

// Can a file of this name hold keys under `prefix`?
bool mayHold(const QString &name, const QString &prefix)
{
    const QString keyPrefix = YamlProvider::joinKey({name}) + QLatin1Char('.');
    return keyPrefix.startsWith(prefix) || prefix.startsWith(keyPrefix);
}

struct FileScan {
    QString fileName;
    QString name;
    QString hash;
    QDateTime modified;
    QList<Entry> entries;
    std::optional<Error> error;
};
using Scan = QMap<QString, FileScan>; // by file name

Entry makeEntry(const QString &key, Json value, const QString &fileName, const QDateTime &modified)
{
    Entry e;
    e.key = key;
    e.value = std::move(value);
    e.encoding = Encoding::Yaml;
    e.revision = contentRevision(compactJson(e.value));
    e.updated = modified;
    e.labels.insert(QStringLiteral("file"), fileName);
    e.labels.insert(QStringLiteral("kind"),
                    fileName.endsWith(kEventsSuffix) ? QStringLiteral("events") : QStringLiteral("state"));
    return e;
}

// The state files of the directory: *.yaml, not hidden, and for a name with
// both <name>-state.yaml and <name>.yaml only the first (the one keys reach).
QStringList stateFiles(const Config &c)
{
    const QStringList all = QDir(c.dir).entryList({QStringLiteral("*.yaml")}, QDir::Files, QDir::Name);
    QStringList files;
    for (const QString &f : all) {
        if (f.startsWith(QLatin1Char('.')))
            continue;
        if (!f.endsWith(kStateSuffix) && all.contains(f.chopped(kYamlSuffix.size()) + kStateSuffix))
            continue;
        files << f;
    }
    return files;
}

// Reads one file into entries, reusing `previous` when the bytes are the same.
std::optional<FileScan> scanFile(const Config &c, const QString &fileName, const FileScan *previous)
{
    FileScan scan;
    scan.fileName = fileName;
    scan.name = nameOfFile(fileName);
    const QString path = pathOf(c, fileName);
    auto bytes = readWholeFile(path);
    if (!bytes.ok()) {
        if (bytes.error().kind == ErrorKind::NotFound)
            return std::nullopt; // removed while we looked
        scan.error = bytes.error();
        return scan;
    }
    scan.hash = contentRevision(bytes.value());
    if (previous && previous->hash == scan.hash && !previous->error)
        return *previous;
    scan.modified = QFileInfo(path).lastModified().toUTC();
    auto parsed = yamlToJson(bytes.value(), path);
    if (!parsed.ok()) {
        scan.error = parsed.error();
        return scan;
    }
    Json root = std::move(parsed).value();
    if (root.is_null())
        root = Json::object();
    if (!root.is_object()) {
        scan.error = Error(ErrorKind::Invalid, QStringLiteral("the top level of this file is not a map of keys"),
                           path + QStringLiteral(":1:1"));
        return scan;
    }
    const Capabilities caps = yamlCapabilities();
    for (auto it = root.begin(); it != root.end(); ++it) {
        const QString key = YamlProvider::joinKey({scan.name, toQString(it.key())});
        // A YAML key a statedeck key cannot spell ('/', control characters)
        // stays reachable through the whole-file key only.
        if (!validateKey(key, caps).ok())
            continue;
        scan.entries << makeEntry(key, it.value(), fileName, scan.modified);
    }
    std::sort(scan.entries.begin(), scan.entries.end(),
              [](const Entry &a, const Entry &b) { return a.key < b.key; });
    return scan;
}

Scan scanDirectory(const Config &c, const QString &prefix, const Scan &previous)
{
    Scan scan;
    for (const QString &f : stateFiles(c)) {
        if (!mayHold(nameOfFile(f), prefix))
            continue;
        const auto prev = previous.constFind(f);
        auto fs = scanFile(c, f, prev == previous.cend() ? nullptr : &prev.value());
        if (fs)
            scan.insert(f, *fs);
    }
    return scan;
}

Error noDirectory(const Config &c)
{
    // The store itself is missing, not a key: a mistyped path must not read
    // as "no such key".
    return Error(ErrorKind::Unavailable,
                 QStringLiteral("the state directory does not exist; create it or point the store at an existing "
                                "state/ directory"),
                 c.dir);
}

struct ResolvedFile {
    QString fileName;
    QString path;
    bool exists = false;
};

// <name>-state.yaml, then <name>.yaml; a new file is <name>-state.yaml (or
// <name>.yaml for an events history, "<x>-events").
ResolvedFile resolveFile(const Config &c, const QString &name)
{
    for (const QString &candidate : QStringList{name + kStateSuffix, name + kYamlSuffix}) {
        const QString path = pathOf(c, candidate);
        if (QFileInfo(path).isFile())
            return {candidate, path, true};
    }
    const QString fresh = name.endsWith(QLatin1String("-events")) ? name + kYamlSuffix : name + kStateSuffix;
    return {fresh, pathOf(c, fresh), false};
}

Error noFile(const QString &name, const QString &key)
{
    return Error(ErrorKind::NotFound,
                 QStringLiteral("no state file for \"%1\" (looked for %1%2 and %1%3)")
                     .arg(name, kStateSuffix, kYamlSuffix),
                 key);
}

QString describePath(const QStringList &path)
{
    return path.isEmpty() ? QStringLiteral("(whole file)") : YamlProvider::joinKey(path);
}

Result<Entry> getJob(const Config &c, const QString &key, const QStringList &segments)
{
    if (!QFileInfo(c.dir).isDir())
        return noDirectory(c);
    const ResolvedFile file = resolveFile(c, segments.first());
    if (!file.exists)
        return noFile(segments.first(), key);
    auto bytes = readWholeFile(file.path);
    if (!bytes.ok())
        return bytes.error().kind == ErrorKind::NotFound ? noFile(segments.first(), key) : bytes.error();
    auto editor = YamlDocumentEditor::open(bytes.value(), file.path);
    if (!editor.ok())
        return editor.error();
    const QStringList path = segments.mid(1);
    auto value = editor->valueAt(path);
    if (!value.ok())
        return Error(ErrorKind::NotFound,
                     QStringLiteral("no key %1 in %2").arg(describePath(path), file.fileName), key);
    return makeEntry(key, std::move(value).value(), file.fileName, QFileInfo(file.path).lastModified().toUTC());
}

Result<ListPage> listJob(const Config &c, const ListOptions &options)
{
    if (!QFileInfo(c.dir).isDir())
        return noDirectory(c);
    const Scan scan = scanDirectory(c, options.prefix, {});
    QList<Entry> entries;
    QByteArray hashes;
    for (const FileScan &f : scan) {
        if (f.error)
            return *f.error;
        hashes += f.fileName.toUtf8() + ' ' + f.hash.toLatin1() + '\n';
        for (const Entry &e : f.entries)
            if (e.key.startsWith(options.prefix) && (options.cursor.isEmpty() || e.key > options.cursor))
                entries << e;
    }
    std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) { return a.key < b.key; });
    const int limit = options.limit > 0 ? options.limit : 500;
    ListPage page;
    page.revision = contentRevision(hashes);
    for (const Entry &e : std::as_const(entries)) {
        if (page.entries.size() == limit) {
            // The cursor is the last key returned: paging stays stable when
            // keys are added or removed between pages.
            page.nextCursor = page.entries.last().key;
            break;
        }
        page.entries << e;
        if (options.keysOnly)
            page.entries.last().value = Json();
    }
    return page;
}

Status checkPrecondition(const Precondition &pre, const QString &key, const std::optional<QString> &current)
{
    switch (pre.kind) {
    case Precondition::Kind::None:
        return {};
    case Precondition::Kind::MustNotExist:
        if (current)
            return Error(ErrorKind::AlreadyExists,
                         QStringLiteral("the key already exists (revision %1)").arg(*current), key);
        return {};
    case Precondition::Kind::Revision:
        if (!current)
            return Error(ErrorKind::Conflict,
                         QStringLiteral("expected revision %1, but the key no longer exists").arg(pre.revision), key);
        if (*current != pre.revision)
            return Error(ErrorKind::Conflict,
                         QStringLiteral("someone else changed it first: expected revision %1, found %2")
                             .arg(pre.revision, *current),
                         key);
        return {};
    }
    return {};
}

// <stem>_<YYYY-MM-DD_HH-MM-SS>_<reason>.yaml, as the seed's old_deployments/
// habit names its copies. UTC, so names sort in time order across DST.
Status saveBackup(const Config &c, const QString &fileName, const QByteArray &bytes, const QString &reason)
{
    if (c.maxBackups <= 0)
        return {};
    if (!QDir().mkpath(c.backupDir))
        return Error(ErrorKind::Forbidden,
                     QStringLiteral("cannot create the backup directory, so nothing was written"), c.backupDir);
    const QString stem = fileName.chopped(kYamlSuffix.size());
    QString safeReason = reason;
    safeReason.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]")), QStringLiteral("_"));
    safeReason.truncate(80);

    // This file's backups so far, oldest first. Their modification times are
    // kept strictly increasing (below), so they order them even when several
    // writes land within one second or one clock tick.
    const QRegularExpression mine(QStringLiteral("^%1_\\d{4}-\\d{2}-\\d{2}_\\d{2}-\\d{2}-\\d{2}_.*\\.yaml$")
                                      .arg(QRegularExpression::escape(stem)));
    QFileInfoList backups;
    for (const QFileInfo &fi : QDir(c.backupDir).entryInfoList({QStringLiteral("*.yaml")}, QDir::Files)) {
        if (mine.match(fi.fileName()).hasMatch())
            backups << fi;
    }
    std::sort(backups.begin(), backups.end(), [](const QFileInfo &a, const QFileInfo &b) {
        if (a.lastModified() != b.lastModified())
            return a.lastModified() < b.lastModified();
        return a.fileName() < b.fileName();
    });

    const QString base = c.backupDir + QLatin1Char('/') + stem + QLatin1Char('_')
                         + QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyy-MM-dd_HH-mm-ss"))
                         + QLatin1Char('_') + safeReason;
    QString target = base + kYamlSuffix;
    for (int n = 2; QFileInfo::exists(target) && n < 1000; ++n)
        target = base + QLatin1Char('-') + QString::number(n) + kYamlSuffix;
    if (Status s = writeFileAtomically(target, bytes); !s.ok())
        return Error(s.error().kind,
                     QStringLiteral("cannot save a backup, so nothing was written: %1").arg(s.error().message),
                     s.error().where);
    if (!backups.isEmpty()) {
        const QDateTime newest = backups.last().lastModified();
        if (QFileInfo(target).lastModified() <= newest) {
            const qint64 ms = newest.toMSecsSinceEpoch() + 1;
            const struct timespec times[2] = {{0, UTIME_OMIT}, {time_t(ms / 1000), long(ms % 1000) * 1000000L}};
            (void)::utimensat(AT_FDCWD, QFile::encodeName(target).constData(), times, 0);
        }
    }

    // Keep the newest maxBackups, the one just written included.
    while (backups.size() > c.maxBackups - 1)
        QFile::remove(backups.takeFirst().absoluteFilePath());
    return {};
}

Error forbiddenDirectory(const Config &c, const Error &cause)
{
    return Error(ErrorKind::Forbidden,
                 QStringLiteral("cannot write in the state directory (%1); nothing was changed").arg(cause.message),
                 c.dir);
}

// put (value set) and remove (value empty), under the directory's lock.
Result<Entry> writeJob(const Config &c, const QString &key, const QStringList &segments,
                       const std::optional<Json> &value, const Precondition &pre)
{
    if (!QDir().mkpath(c.dir))
        return Error(ErrorKind::Forbidden, QStringLiteral("cannot create the state directory"), c.dir);
    CrossProcessLock lock(c.dir + QLatin1Char('/') + kLockFile);
    if (Status s = lock.acquire(); !s.ok())
        return s.error().kind == ErrorKind::Forbidden ? forbiddenDirectory(c, s.error()) : s.error();

    const QString name = segments.first();
    const QStringList path = segments.mid(1);
    ResolvedFile file = resolveFile(c, name);
    QByteArray before;
    if (file.exists) {
        auto bytes = readWholeFile(file.path);
        if (!bytes.ok() && bytes.error().kind != ErrorKind::NotFound)
            return bytes.error();
        file.exists = bytes.ok();
        if (bytes.ok())
            before = bytes.value();
    }
    if (!value && !file.exists)
        return noFile(name, key);
    if (file.exists && !QFileInfo(file.path).isWritable())
        return Error(ErrorKind::Forbidden, QStringLiteral("the state file is read-only; nothing was changed"),
                     file.path);

    auto editor = YamlDocumentEditor::open(before, file.path);
    if (!editor.ok())
        return editor.error();
    std::optional<QString> current;
    if (auto v = editor->valueAt(path); v.ok())
        current = contentRevision(compactJson(v.value()));
    if (Status s = checkPrecondition(pre, key, current); !s.ok())
        return s.error();
    if (!value && !current)
        return Error(ErrorKind::NotFound, QStringLiteral("no key %1 in %2").arg(describePath(path), file.fileName),
                     key);

    Json after;
    auto edited = value ? editor->set(path, *value, &after) : editor->remove(path, &after);
    if (!edited.ok())
        return edited.error();

    const QString reason = (value ? QStringLiteral("put-") : QStringLiteral("remove-"))
                           + (path.isEmpty() ? QStringLiteral("all") : path.join(QLatin1Char('.')));
    if (!file.exists || edited.value() != before) {
        if (file.exists) {
            if (Status s = saveBackup(c, file.fileName, before, reason); !s.ok())
                return s.error();
        }
        if (Status s = writeFileAtomically(file.path, edited.value()); !s.ok())
            return s.error().kind == ErrorKind::Forbidden && !file.exists ? forbiddenDirectory(c, s.error())
                                                                           : s.error();
    }
    if (!value) {
        Entry gone;
        gone.key = key;
        gone.encoding = Encoding::Yaml;
        return gone;
    }
    // The entry as stored: read back from the new text, in the file's order.
    const Json *stored = &after;
    for (const QString &seg : path) {
        const std::string k = toStd(seg);
        if (stored->is_object() && stored->contains(k))
            stored = &stored->at(k);
        else if (stored->is_array())
            stored = &(*stored)[seg.toULongLong()];
    }
    return makeEntry(key, *stored, file.fileName, QFileInfo(file.path).lastModified().toUTC());
}

// One write of a batch, its key already split.
struct BatchWrite {
    QString key;
    QStringList segments;
    Json value;
    Precondition pre;
};

// putBatch on the worker: one lock for the whole batch, and per file one
// read, one backup and one rewrite, however many of the batch's items it
// holds. A file's items go to YamlDocumentEditor::setMany in order, each
// checked against the document as the items before it left it, so the
// answers are those of puts made one after another; but the text is parsed,
// rewritten and proven once for all of them (once per run of items between
// two writes of the same key), not once per item. A file that cannot be
// written fails its items and is left as it was.
QList<Result<Entry>> batchJob(const Config &c, const QList<BatchWrite> &writes)
{
    QList<Result<Entry>> results(writes.size());
    auto failAll = [&](const Error &e) {
        for (qsizetype i = 0; i < writes.size(); ++i)
            results[i] = Error(e.kind, e.message, e.where.isEmpty() ? writes[i].key : e.where);
        return results;
    };
    if (!QDir().mkpath(c.dir))
        return failAll(Error(ErrorKind::Forbidden, QStringLiteral("cannot create the state directory"), c.dir));
    CrossProcessLock lock(c.dir + QLatin1Char('/') + kLockFile);
    if (Status s = lock.acquire(); !s.ok())
        return failAll(s.error().kind == ErrorKind::Forbidden ? forbiddenDirectory(c, s.error()) : s.error());

    // The items of each file, in batch order.
    QMap<QString, QList<qsizetype>> byFile;
    for (qsizetype i = 0; i < writes.size(); ++i)
        byFile[writes[i].segments.first()] << i;

    for (auto it = byFile.cbegin(); it != byFile.cend(); ++it) {
        const QList<qsizetype> &items = it.value();
        ResolvedFile file = resolveFile(c, it.key());
        QByteArray before;
        std::optional<Error> unusable; // unreadable or read-only: its items fail
        if (file.exists) {
            auto bytes = readWholeFile(file.path);
            if (!bytes.ok() && bytes.error().kind != ErrorKind::NotFound)
                unusable = bytes.error();
            file.exists = bytes.ok();
            if (bytes.ok())
                before = bytes.value();
        }
        if (file.exists && !QFileInfo(file.path).isWritable())
            unusable = Error(ErrorKind::Forbidden, QStringLiteral("the state file is read-only; nothing was changed"),
                             file.path);
        auto editor = unusable ? Result<YamlDocumentEditor>(*unusable) : YamlDocumentEditor::open(before, file.path);
        if (!editor.ok()) {
            for (qsizetype i : items)
                results[i] = editor.error();
            continue;
        }

        QList<YamlDocumentEditor::Edit> edits;
        edits.reserve(items.size());
        for (qsizetype i : items)
            edits << YamlDocumentEditor::Edit{writes[i].segments.mid(1), writes[i].value};
        QList<Result<Json>> answers;
        auto text = editor->setMany(edits, &answers, [&](qsizetype j, const Json *current) -> Status {
            const BatchWrite &w = writes[items[j]];
            std::optional<QString> revision;
            if (current)
                revision = contentRevision(compactJson(*current));
            return checkPrecondition(w.pre, w.key, revision);
        });
        QList<qsizetype> written; // items answered ok, to fail if the write does
        QStringList reasons;
        for (qsizetype j = 0; j < items.size(); ++j) {
            const qsizetype i = items[j];
            if (!text.ok()) {
                results[i] = Error(text.error().kind, text.error().message, text.error().where);
                continue;
            }
            if (!answers[j].ok()) {
                results[i] = answers[j].error();
                continue;
            }
            results[i] = makeEntry(writes[i].key, std::move(answers[j]).value(), file.fileName, QDateTime());
            written << i;
            reasons << (edits[j].path.isEmpty() ? QStringLiteral("all") : edits[j].path.join(QLatin1Char('.')));
        }
        if (written.isEmpty())
            continue;
        const QByteArray &after = text.value();
        Status saved;
        if (file.exists && after != before) {
            const QString reason = reasons.size() == 1 ? QStringLiteral("put-") + reasons.first()
                                                       : QStringLiteral("batch-%1-keys").arg(reasons.size());
            saved = saveBackup(c, file.fileName, before, reason);
        }
        if (saved.ok() && (!file.exists || after != before)) {
            saved = writeFileAtomically(file.path, after);
            if (!saved.ok() && saved.error().kind == ErrorKind::Forbidden && !file.exists)
                saved = forbiddenDirectory(c, saved.error());
        }
        const QDateTime modified = QFileInfo(file.path).lastModified().toUTC();
        for (qsizetype i : written) {
            if (saved.ok())
                results[i]->updated = modified;
            else
                results[i] = Error(saved.error().kind, saved.error().message, writes[i].key);
        }
    }
    return results;
}

Result<Lock> lockJob(const Config &c, const QString &name, std::chrono::milliseconds ttl)
{
    return LockRecords(c.dir + QLatin1Char('/') + kLocksDir, c.owner).acquire(name, ttl);
}

Status unlockJob(const Config &c, const Lock &lock)
{
    return LockRecords(c.dir + QLatin1Char('/') + kLocksDir, c.owner).release(lock);
}

} // namespace

struct YamlProvider::Shared {
    Config config;
    SerialWorker worker;
};

namespace {

// Rescans on every change the directory watcher reports (and its slow poll),
// diffs entry revisions, and emits what changed. Lives on the caller's
// thread; scans run on the provider's worker.
class YamlWatch : public Watch {
public:
    YamlWatch(std::shared_ptr<YamlProvider::Shared> shared, QString prefix, bool resync)
        : m_shared(std::move(shared)), m_prefix(std::move(prefix)), m_resync(resync),
          m_dirWatcher(new DirectoryWatcher(this)), m_futureWatcher(new QFutureWatcher<Scan>(this))
    {
        connect(m_dirWatcher, &DirectoryWatcher::changed, this, [this] { requestScan(); });
        // Results are handled from a queued call of our own, so a consumer
        // that destroys the watch in its slot never does so inside the
        // future watcher's signal.
        connect(m_futureWatcher, &QFutureWatcherBase::finished, this, [this] { onScanned(); },
                Qt::QueuedConnection);
        m_dirWatcher->setDirectories({m_shared->config.dir});
        requestScan();
    }

private:
    void requestScan()
    {
        if (m_scanning) {
            m_dirty = true;
            return;
        }
        m_scanning = true;
        const Config c = m_shared->config;
        const QString prefix = m_prefix;
        const Scan previous = m_files;
        m_futureWatcher->setFuture(
            m_shared->worker.run([c, prefix, previous] { return scanDirectory(c, prefix, previous); }));
    }

    void onScanned()
    {
        Scan scan = m_futureWatcher->result();
        // A file that does not parse right now (a writer that does not
        // replace atomically, caught half-way) keeps its last good entries
        // instead of looking deleted.
        for (auto it = scan.begin(); it != scan.end(); ++it) {
            if (it->error) {
                const auto prev = m_files.constFind(it.key());
                if (prev != m_files.cend())
                    *it = prev.value();
            }
        }
        QMap<QString, Entry> current;
        for (const FileScan &f : std::as_const(scan))
            for (const Entry &e : f.entries)
                if (e.key.startsWith(m_prefix))
                    current.insert(e.key, e);
        m_files = scan;

        QList<Event> events;
        const bool first = !m_baseline;
        if (!m_baseline) {
            m_baseline = true;
            if (m_resync) {
                Event resync;
                resync.type = Event::Type::Resync;
                events << resync;
                for (const Entry &e : std::as_const(current)) {
                    Event added;
                    added.type = Event::Type::Added;
                    added.entry = e;
                    added.revision = e.revision;
                    events << added;
                }
                Event done;
                done.type = Event::Type::ResyncDone;
                events << done;
            }
        } else {
            QHash<QString, QString> before, after;
            for (const Entry &e : std::as_const(m_entries))
                before.insert(e.key, e.revision);
            for (const Entry &e : std::as_const(current))
                after.insert(e.key, e.revision);
            events = diffSnapshots(before, after);
            for (Event &ev : events) {
                if (ev.type == Event::Type::Deleted) {
                    ev.entry = m_entries.value(ev.entry.key);
                    ev.entry.value = Json();
                } else {
                    ev.entry = current.value(ev.entry.key);
                }
                ev.revision = ev.entry.revision;
            }
        }
        m_entries = current;
        m_scanning = false;

        // A consumer may delete the watch from its slot.
        QPointer<YamlWatch> self(this);
        for (const Event &ev : std::as_const(events)) {
            Q_EMIT event(ev);
            if (!self)
                return;
        }
        if (first) {
            Q_EMIT ready();
            if (!self)
                return;
        }
        if (m_dirty) {
            m_dirty = false;
            requestScan();
        }
    }

    std::shared_ptr<YamlProvider::Shared> m_shared;
    QString m_prefix;
    bool m_resync = false;
    DirectoryWatcher *m_dirWatcher;
    QFutureWatcher<Scan> *m_futureWatcher;
    bool m_scanning = false;
    bool m_dirty = false;
    bool m_baseline = false;
    Scan m_files;
    QMap<QString, Entry> m_entries;
};

} // namespace

YamlProvider::YamlProvider(YamlOptions options, QObject *parent) : Provider(parent), d(std::make_shared<Shared>())
{
    // Path arithmetic only: no I/O until the first call.
    Config &c = d->config;
    c.dir = QDir::cleanPath(QDir::isAbsolutePath(options.directory)
                                ? options.directory
                                : QDir::currentPath() + QLatin1Char('/') + options.directory);
    c.backupDir = options.backupDirectory.isEmpty()
                      ? QDir::cleanPath(c.dir + QStringLiteral("/../old_deployments/statedeck"))
                      : QDir::cleanPath(QDir::isAbsolutePath(options.backupDirectory)
                                            ? options.backupDirectory
                                            : QDir::currentPath() + QLatin1Char('/') + options.backupDirectory);
    c.maxBackups = options.maxBackups;
    c.owner = QStringLiteral("%1:%2/%3")
                  .arg(QSysInfo::machineHostName())
                  .arg(QCoreApplication::applicationPid())
                  .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'));
}

YamlProvider::~YamlProvider() = default;

QString YamlProvider::scheme() const
{
    return QStringLiteral("yaml");
}

QString YamlProvider::describe() const
{
    return QStringLiteral("yaml:%1").arg(d->config.dir);
}

Capabilities YamlProvider::capabilities() const
{
    return yamlCapabilities();
}

Result<QStringList> YamlProvider::splitKey(const QString &key)
{
    QStringList segments;
    qsizetype i = 0;
    const qsizetype n = key.size();
    for (;;) {
        QString seg;
        if (i < n && key[i] == QLatin1Char('"')) {
            ++i;
            bool closed = false;
            while (i < n) {
                if (key[i] == QLatin1Char('"')) {
                    if (i + 1 < n && key[i + 1] == QLatin1Char('"')) {
                        seg += QLatin1Char('"');
                        i += 2;
                        continue;
                    }
                    closed = true;
                    ++i;
                    break;
                }
                seg += key[i++];
            }
            if (!closed || (i < n && key[i] != QLatin1Char('.')))
                return Error(ErrorKind::Invalid,
                             QStringLiteral("a quoted part of a key must end with '\"' before the next '.'"),
                             QStringLiteral("key \"%1\"").arg(key));
        } else {
            const qsizetype dot = key.indexOf(QLatin1Char('.'), i);
            seg = key.mid(i, dot < 0 ? -1 : dot - i);
            if (seg.isEmpty())
                return Error(ErrorKind::Invalid,
                             QStringLiteral("a key has the form <file name>.<path> with no empty parts "
                                            "(write an empty or dotted YAML key in double quotes)"),
                             QStringLiteral("key \"%1\"").arg(key));
            i = dot < 0 ? n : dot;
        }
        segments << seg;
        if (i >= n)
            break;
        ++i; // the '.'
        if (i >= n)
            return Error(ErrorKind::Invalid, QStringLiteral("a key may not end with '.'"),
                         QStringLiteral("key \"%1\"").arg(key));
    }
    return segments;
}

QString YamlProvider::joinKey(const QStringList &segments)
{
    QStringList parts;
    for (const QString &s : segments) {
        if (s.isEmpty() || s.contains(QLatin1Char('.')) || s.startsWith(QLatin1Char('"')))
            parts << QLatin1Char('"') + QString(s).replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
        else
            parts << s;
    }
    return parts.join(QLatin1Char('.'));
}

namespace {

Result<QStringList> checkKey(const QString &key)
{
    if (Status s = validateKey(key, yamlCapabilities()); !s.ok())
        return s.error();
    auto segments = YamlProvider::splitKey(key);
    if (!segments.ok())
        return segments;
    if (segments->first().startsWith(QLatin1Char('.')))
        return Error(ErrorKind::Invalid, QStringLiteral("a state file name may not start with '.' (hidden files)"),
                     QStringLiteral("key \"%1\"").arg(key));
    return segments;
}

} // namespace

QFuture<Result<ListPage>> YamlProvider::list(const ListOptions &options)
{
    const Config c = d->config;
    return d->worker.run([c, options] { return listJob(c, options); });
}

QFuture<Result<Entry>> YamlProvider::get(const QString &key)
{
    auto segments = checkKey(key);
    if (!segments.ok())
        return readyFuture(Result<Entry>(segments.error()));
    const Config c = d->config;
    const QStringList segs = segments.value();
    return d->worker.run([c, key, segs] { return getJob(c, key, segs); });
}

QFuture<Result<Entry>> YamlProvider::put(const Entry &entry, const Precondition &pre)
{
    auto segments = checkKey(entry.key);
    if (!segments.ok())
        return readyFuture(Result<Entry>(segments.error()));
    if (segments->size() == 1 && !entry.value.is_object())
        return readyFuture(Result<Entry>(Error(ErrorKind::Invalid,
                                               QStringLiteral("a whole state file must be a map of keys"),
                                               QStringLiteral("key \"%1\"").arg(entry.key))));
    const Config c = d->config;
    const QStringList segs = segments.value();
    const QString key = entry.key;
    const Json value = entry.value;
    return d->worker.run([c, key, segs, value, pre] { return writeJob(c, key, segs, value, pre); });
}

QFuture<BatchResult> YamlProvider::putBatch(const QList<BatchItem> &items)
{
    BatchResult answer;
    answer.results.resize(items.size());
    QList<BatchWrite> writes;
    QList<qsizetype> slots;
    for (qsizetype i = 0; i < items.size(); ++i) {
        const Entry &e = items[i].entry;
        Status valid = validateBatchItem(e, capabilities());
        auto segments = valid.ok() ? checkKey(e.key) : Result<QStringList>(valid.error());
        if (segments.ok() && segments->size() == 1 && !e.value.is_object())
            segments = Error(ErrorKind::Invalid, QStringLiteral("a whole state file must be a map of keys"),
                             QStringLiteral("key \"%1\"").arg(e.key));
        if (!segments.ok()) {
            answer.results[i] = segments.error();
            continue;
        }
        writes << BatchWrite{e.key, segments.value(), e.value, items[i].precondition};
        slots << i;
    }
    if (writes.isEmpty())
        return readyFuture(std::move(answer));
    const Config c = d->config;
    return d->worker.run([c, writes = std::move(writes), slots = std::move(slots), answer = std::move(answer)]() mutable {
        const QList<Result<Entry>> written = batchJob(c, writes);
        for (qsizetype j = 0; j < slots.size(); ++j)
            answer.results[slots[j]] = written[j];
        return answer;
    });
}

QFuture<Status> YamlProvider::remove(const QString &key, const Precondition &pre)
{
    auto segments = checkKey(key);
    if (!segments.ok())
        return readyFuture(Status(segments.error()));
    if (segments->size() == 1)
        return readyFuture(Status(Error(ErrorKind::Unsupported,
                                        QStringLiteral("statedeck removes keys, not whole state files"),
                                        QStringLiteral("key \"%1\"").arg(key))));
    const Config c = d->config;
    const QStringList segs = segments.value();
    return d->worker.run([c, key, segs, pre]() -> Status {
        auto r = writeJob(c, key, segs, std::nullopt, pre);
        if (!r.ok())
            return r.error();
        return {};
    });
}

std::unique_ptr<Watch> YamlProvider::watch(const QString &prefix, const QString &fromRevision)
{
    // No history: any resume point is answered with a Resync and a relist.
    return std::make_unique<YamlWatch>(d, prefix, !fromRevision.isEmpty());
}

QFuture<Result<Lock>> YamlProvider::lock(const QString &name, std::chrono::milliseconds ttl)
{
    if (Status s = validateKey(name, yamlCapabilities()); !s.ok())
        return readyFuture(Result<Lock>(s.error()));
    if (name.startsWith(QLatin1Char('.')))
        return readyFuture(Result<Lock>(
            Error(ErrorKind::Invalid, QStringLiteral("a lock name may not start with '.'"), name)));
    if (ttl.count() <= 0)
        return readyFuture(Result<Lock>(
            Error(ErrorKind::Invalid, QStringLiteral("a lock needs a positive time to live"), name)));
    const Config c = d->config;
    return d->worker.run([c, name, ttl] { return lockJob(c, name, ttl); });
}

QFuture<Status> YamlProvider::unlock(const Lock &lock)
{
    const Config c = d->config;
    return d->worker.run([c, lock] { return unlockJob(c, lock); });
}

QFuture<Result<Lock>> YamlProvider::renew(const Lock &lock, std::chrono::milliseconds ttl)
{
    const Config c = d->config;
    return d->worker.run([c, lock, ttl] {
        return LockRecords(c.dir + QLatin1Char('/') + kLocksDir, c.owner).renew(lock, ttl);
    });
}

} // namespace sd
