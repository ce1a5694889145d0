#pragma once

#include <QPointer>
#include <QSyntaxHighlighter>

namespace sd::widgets {

class Theme;

// Colours JSON, YAML and unified diffs line by line, in the theme's syntax
// colours; merge conflict markers stand out in every mode. Each line is
// scanned once with no state carried between lines, so editing one line
// re-highlights that line only.
class SyntaxHighlighter : public QSyntaxHighlighter {
    Q_OBJECT
public:
    enum class Mode { Plain, Json, Yaml, Diff };

    SyntaxHighlighter(Theme *theme, QObject *parent = nullptr);

    void setMode(Mode mode);
    Mode mode() const { return m_mode; }

protected:
    void highlightBlock(const QString &text) override;

private:
    void highlightJson(const QString &text);
    void highlightYaml(const QString &text);
    void highlightDiff(const QString &text);
    // Strings, numbers and keywords of a JSON or YAML value from `from` on.
    void highlightScalars(const QString &text, int from, bool yaml);

    QPointer<Theme> m_theme;
    Mode m_mode = Mode::Plain;
};

} // namespace sd::widgets
