#pragma once

#include "console/Roles.h"
#include "model/Result.h"

#include <QHash>

namespace sd::tui {

// A tone's colour on a terminal: an xterm 256-colour index and the nearest
// of the 8 basic colours, for terminals with fewer.
struct ToneStyle {
    int colour256 = -1;
    int colour8 = -1;
    bool bold = false;
};

// A theme file of the desktop console's shape (widgets/themes/*.json), so
// one file colours both: `tones.<Tone>.foreground` "#rrggbb" and `bold`.
// The rest of it (palettes, syntax colours) is the GUI's and is ignored.
class TerminalTheme {
public:
    static Result<TerminalTheme> load(const QString &path);
    const QHash<int, ToneStyle> &styles() const { return m_styles; }

    // The nearest xterm-256 colour (its 6x6x6 cube or grey ramp), and the
    // nearest of black, red, green, yellow, blue, magenta, cyan and white.
    static int nearest256(int r, int g, int b);
    static int nearest8(int r, int g, int b);

private:
    QHash<int, ToneStyle> m_styles; // by console::Tone
};

} // namespace sd::tui
