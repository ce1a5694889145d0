#pragma once

#include "model/Entry.h"

#include <QHash>

namespace sd {

// What changed between two views of a store without history (files): key ->
// revision before and after. Returns key-only events in key order: Added,
// Modified (revision differs) and Deleted. The caller fills in values.
QList<Event> diffSnapshots(const QHash<QString, QString> &before, const QHash<QString, QString> &after);

} // namespace sd
