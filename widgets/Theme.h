#pragma once

#include "console/Roles.h"

#include <QColor>
#include <QHash>
#include <QObject>
#include <QPalette>
#include <QTextCharFormat>

namespace sd::widgets {

// How one tone looks. An invalid colour leaves the palette's own.
struct ToneStyle {
    QColor foreground;
    QColor background;
    bool bold = false;
    bool italic = false;
    bool strikeOut = false;
};

// The parts of a JSON or YAML text the editor colours.
enum class SyntaxRole { Key, String, Number, Keyword, Comment, Punctuation, Anchor };

// The one place tones become colours. A theme is data: a JSON file with an
// application palette, a style for each tone and the editor's syntax
// colours (widgets/themes/light.json and dark.json are built in; any file
// of that shape loads). Widgets are given the Theme and repaint on
// changed(): views through ToneDelegate, labels through styleSheetFor().
class Theme : public QObject {
    Q_OBJECT
public:
    explicit Theme(QObject *parent = nullptr);

    static QStringList builtInNames(); // "light", "dark"
    // The built-in theme that suits a palette: dark when its window is dark
    // (the system's palette at start, so the console follows the desktop).
    static QString matching(const QPalette &palette);

    // A built-in name or the path of a theme file. On failure nothing
    // changes and `error` says why.
    bool load(const QString &nameOrPath, QString *error = nullptr);

    QString name() const { return m_name; }
    bool isDark() const { return m_dark; }
    QPalette palette() const { return m_palette; }
    ToneStyle style(console::Tone tone) const { return m_tones.value(int(tone)); }
    QColor syntax(SyntaxRole role) const { return m_syntax.value(int(role)); }

    // A character format for text in a tone (editors, diffs).
    QTextCharFormat format(console::Tone tone) const;
    // "color: …; background-color: …" for a label or frame in a tone.
    QString styleSheetFor(console::Tone tone) const;

Q_SIGNALS:
    void changed();

private:
    QString m_name;
    bool m_dark = false;
    QPalette m_palette;
    QHash<int, ToneStyle> m_tones;
    QHash<int, QColor> m_syntax;
};

} // namespace sd::widgets
