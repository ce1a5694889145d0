#include "util/DirectoryWatcher.h"

#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QTimer>

namespace sd {

DirectoryWatcher::DirectoryWatcher(QObject *parent)
    : QObject(parent), m_fsw(new QFileSystemWatcher(this)), m_coalesce(new QTimer(this)), m_poll(new QTimer(this))
{
    m_coalesce->setSingleShot(true);
    m_coalesce->setInterval(30);
    m_poll->setInterval(2000);
    connect(m_fsw, &QFileSystemWatcher::directoryChanged, this, &DirectoryWatcher::onSomethingChanged);
    connect(m_fsw, &QFileSystemWatcher::fileChanged, this, &DirectoryWatcher::onSomethingChanged);
    connect(m_coalesce, &QTimer::timeout, this, [this] {
        rearm();
        Q_EMIT changed();
    });
    connect(m_poll, &QTimer::timeout, this, [this] {
        rearm();
        Q_EMIT changed();
    });
}

DirectoryWatcher::~DirectoryWatcher() = default;

void DirectoryWatcher::setDirectories(const QStringList &dirs)
{
    m_dirs = dirs;
    rearm();
    m_poll->start();
}

void DirectoryWatcher::setCoalesceMs(int ms)
{
    m_coalesce->setInterval(ms);
}

void DirectoryWatcher::setPollIntervalMs(int ms)
{
    m_poll->setInterval(ms);
}

void DirectoryWatcher::rearm()
{
    // A rename over a watched path drops inotify's watch on it; re-adding
    // what exists now keeps the watch alive across atomic replaces.
    QStringList existing;
    for (const QString &d : std::as_const(m_dirs)) {
        if (QFileInfo::exists(d) && !m_fsw->directories().contains(d))
            existing << d;
    }
    if (!existing.isEmpty())
        m_fsw->addPaths(existing);
}

void DirectoryWatcher::onSomethingChanged()
{
    if (!m_coalesce->isActive())
        m_coalesce->start();
}

} // namespace sd
