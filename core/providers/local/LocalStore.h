#pragma once

#include "providers/Provider.h"

#include <QHash>
#include <QMap>
#include <QMutex>
#include <QSet>

#include <chrono>

namespace sd::local {

// Where seed 000's gate keeps its state (lib/providers/LocalProvider.js):
// key `keys` in <keysPath>/state.json, every other key K in
// dirname(statePath)/K.json. The statePath file itself, which the seed's
// prose describes as "the" state file, may hold many keys as members of one
// JSON object; those are served too.
struct Layout {
    QString statePath;   // absolute
    QString stateDir;    // dirname(statePath)
    QString keysPath;    // absolute, or empty when not configured
    QString keysFile;    // <keysPath>/state.json, or empty
    // The key whose own file would be statePath (the stem of state.json):
    // it cannot be a per-key file, so it is reserved.
    QString reservedKey;
    // False when statePath is the keys file itself; then it is only `keys`.
    bool documentEnabled = true;

    static Layout from(const QString &statePath, const QString &keysPath);
};

Capabilities localCapabilities();

// What a watch remembers between rescans: file stat results with the entry
// read from them (so unchanged files are not read again), and the last
// members of the multi-key document (kept while it is malformed, so a
// half-written document does not look like every member was deleted).
struct ScanCache {
    struct FileState {
        quint64 dev = 0, ino = 0;
        qint64 size = 0, mtimeNs = 0, ctimeNs = 0, readAtNs = 0;
        Entry entry;
    };
    QHash<QString, FileState> files;
    QMap<QString, Entry> members;
};

// The synchronous file operations. Runs on the provider's worker thread;
// every read-check-write holds a CrossProcessLock on the directory's
// `.statedeck.lock`, so preconditions hold against other statedeck processes.
class LocalStore {
public:
    LocalStore(Layout layout, QString owner);

    const Layout &layout() const { return m_layout; }
    QStringList watchedDirectories() const;

    Result<Entry> get(const QString &key) const;
    Result<ListPage> list(const ListOptions &options) const;
    Result<Entry> put(const Entry &entry, const Precondition &pre) const;
    Status remove(const QString &key, const Precondition &pre) const;
    Result<Lock> lock(const QString &name, std::chrono::milliseconds ttl) const;
    Status unlock(const Lock &lock) const;
    Result<Lock> renew(const Lock &lock, std::chrono::milliseconds ttl) const;

    // Every entry under `prefix`, with values, for a watch's diff.
    Result<QMap<QString, Entry>> snapshot(const QString &prefix, ScanCache &cache) const;

private:
    struct Document;
    struct Source;
    class DirLocks;

    Status checkKey(const QString &key) const;
    Error reservedError(const QString &key) const;
    QString fileFor(const QString &key) const;
    Document loadDocument() const;
    Result<QMap<QString, Source>> gather(const QString &prefix, Document &doc) const;
    Entry memberEntry(const Document &doc, const QString &key) const;
    Result<Entry> writeKeyFile(const Entry &in, const Precondition &pre, const QString &path,
                               const QByteArray *current) const;
    Result<Entry> writeMember(const Entry &in, const Precondition &pre, const Document &doc) const;
    Status removeMember(const QString &key, const Precondition &pre, const Document &doc) const;
    Status takeDirLock(DirLocks &locks, const QString &dir) const;
    void removeStaleTemporaries(const QString &dir) const;

    Layout m_layout;
    QString m_owner;
    // Directories already cleared of temporaries left by crashed writers.
    mutable QMutex m_cleanedMutex;
    mutable QSet<QString> m_cleanedDirs;
};

} // namespace sd::local
