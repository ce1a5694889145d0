#pragma once

#include <QObject>
#include <QStringList>

class QFileSystemWatcher;
class QTimer;

namespace sd {

// Tells when anything in a set of directories may have changed. Bursts are
// coalesced into one `changed()`; a slow periodic tick catches what inotify
// misses (network filesystems, a directory created after the watch). The
// listener rescans and diffs (see SnapshotDiff.h), so spurious ticks are
// harmless.
class DirectoryWatcher : public QObject {
    Q_OBJECT
public:
    explicit DirectoryWatcher(QObject *parent = nullptr);
    ~DirectoryWatcher() override;

    // Directories that do not exist yet are polled until they appear.
    void setDirectories(const QStringList &dirs);
    void setCoalesceMs(int ms);
    void setPollIntervalMs(int ms);

Q_SIGNALS:
    void changed();

private:
    void rearm();
    void onSomethingChanged();

    QStringList m_dirs;
    QFileSystemWatcher *m_fsw = nullptr;
    QTimer *m_coalesce = nullptr;
    QTimer *m_poll = nullptr;
};

} // namespace sd
