#pragma once

#include "providers/Provider.h"

#include <memory>

namespace sd {

struct YamlOptions {
    // The state/ directory (seed 004: k0rdent-azure-setup).
    QString directory;
    // Backups kept per state file; 0 turns them off.
    int maxBackups = 10;
    // Empty: <directory>/../old_deployments/statedeck, beside the seed's own
    // old_deployments/ backups.
    QString backupDirectory;
};

// A directory of YAML state files, edited in place (see docs/yaml-provider.md).
//
// Key `<name>.<path>` is `path` inside `<name>-state.yaml`, else `<name>.yaml`:
// `deployment.phase`, `deployment.vm_states.k0s-worker-1.state`,
// `deployment-events.events`. A segment holding a '.' (or starting with '"',
// or empty) is written in double quotes, a '"' inside doubled:
// `deployment.config."a.b"`. list() shows each file's top-level keys; get(),
// put() and remove() take any depth (a list item by its index). A key naming
// a file only (`deployment`) reads the whole document.
//
// Each write takes a lock file for the directory, checks the precondition
// against what is on disk under that lock, saves the previous file under
// backupDirectory, rewrites only the value's text (YamlDocumentEditor) and
// replaces the file atomically. Revision of an entry: the content hash of its
// value's compact JSON, so edits of different keys of one file never conflict.
class YamlProvider : public Provider {
    Q_OBJECT
public:
    explicit YamlProvider(YamlOptions options, QObject *parent = nullptr);
    ~YamlProvider() override;

    QString scheme() const override;
    QString describe() const override;
    Capabilities capabilities() const override;

    QFuture<Result<ListPage>> list(const ListOptions &options) override;
    QFuture<Result<Entry>> get(const QString &key) override;
    QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre) override;
    QFuture<Status> remove(const QString &key, const Precondition &pre) override;
    // One lock for the batch and, per state file, one backup and one
    // rewrite: the items are applied in order to the file's text in memory
    // (each checked against what the items before it left), so the answers
    // are those of puts made one after another. If a file cannot be written,
    // all its items fail.
    QFuture<BatchResult> putBatch(const QList<BatchItem> &items) override;
    // The first scan is queued on the provider's worker when watch() is
    // called, so any provider call made after watch() completes after it.
    std::unique_ptr<Watch> watch(const QString &prefix, const QString &fromRevision) override;
    QFuture<Result<Lock>> lock(const QString &name, std::chrono::milliseconds ttl) override;
    QFuture<Status> unlock(const Lock &lock) override;
    QFuture<Result<Lock>> renew(const Lock &lock, std::chrono::milliseconds ttl) override;

    // Key <-> segments ([file name, path...]), with the quoting rule above.
    static Result<QStringList> splitKey(const QString &key);
    static QString joinKey(const QStringList &segments);

    struct Shared;

private:
    std::shared_ptr<Shared> d;
};

} // namespace sd
