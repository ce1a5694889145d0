#pragma once

#include <Qt>

namespace sd::console {

// What a row or cell means, not how it looks: the GUI maps tones to its
// palette (light or dark), the TUI to colour pairs (256, 8 colours, or
// attributes alone under NO_COLOR). Models answer ToneRole with one.
enum class Tone {
    Normal,
    Added,    // appeared in the last few seconds
    Modified, // changed in the last few seconds
    Deleted,  // removed in the last few seconds (still shown briefly)
    Stale,    // shown data may be out of date (the watch dropped)
    Error,
    Warning,
    Muted,    // secondary: ages, revisions, disabled things
    Secret,   // a masked value
    Good,     // healthy: alive, completed, resolved
};

// Roles every console model answers beside Qt's own. Qt::DisplayRole is the
// text a renderer shows; these carry what it needs to decide how.
enum Role {
    ToneRole = Qt::UserRole + 1, // Tone, as int
    KeyRole,                     // the entry's full key (QString)
    SortRole,                    // a value that sorts right (numbers as numbers, times as msecs)
    RawRole,                     // the unformatted value behind the cell (QVariant)
    LabelsRole,                  // QVariantMap of a row's labels (what `-l` selects on)
    FirstCustomRole = Qt::UserRole + 64, // a model's own roles start here
};

} // namespace sd::console
