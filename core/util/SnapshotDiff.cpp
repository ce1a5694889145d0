#include "util/SnapshotDiff.h"

#include <algorithm>

namespace sd {

QList<Event> diffSnapshots(const QHash<QString, QString> &before, const QHash<QString, QString> &after)
{
    QList<Event> events;
    auto make = [](Event::Type type, const QString &key, const QString &rev) {
        Event e;
        e.type = type;
        e.entry.key = key;
        e.entry.revision = rev;
        return e;
    };
    for (auto it = after.cbegin(); it != after.cend(); ++it) {
        const auto old = before.constFind(it.key());
        if (old == before.cend())
            events << make(Event::Type::Added, it.key(), it.value());
        else if (old.value() != it.value())
            events << make(Event::Type::Modified, it.key(), it.value());
    }
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        if (!after.contains(it.key()))
            events << make(Event::Type::Deleted, it.key(), it.value());
    }
    std::sort(events.begin(), events.end(), [](const Event &a, const Event &b) {
        return a.entry.key < b.entry.key;
    });
    return events;
}

} // namespace sd
