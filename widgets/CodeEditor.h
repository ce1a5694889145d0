#pragma once

#include "SyntaxHighlighter.h"
#include "console/Roles.h"

#include <QPlainTextEdit>
#include <QPointer>

namespace sd::widgets {

class Theme;

// A QPlainTextEdit for values: line numbers, syntax colours, the line of a
// validation error marked (in the text and in the gutter), lines marked in
// a tone (a conflict's changed lines), and find.
//
// Big texts stay responsive: above kHighlightLimit characters there is no
// syntax colouring (QSyntaxHighlighter would colour every line up front).
class CodeEditor : public QPlainTextEdit {
    Q_OBJECT
public:
    static constexpr int kHighlightLimit = 256 * 1024;

    explicit CodeEditor(Theme *theme, QWidget *parent = nullptr);

    void setMode(SyntaxHighlighter::Mode mode);
    // Replaces the whole text (a value opened, converted or merged).
    void setContent(const QString &text);
    bool highlighting() const;

    // 1-based; 0 clears the mark.
    void setErrorLine(int line, int column = 0);
    int errorLine() const { return m_errorLine; }
    // Whole lines (0-based) painted in a tone; replaces the previous marks.
    void setMarkedLines(const QList<int> &lines, console::Tone tone);

    // Finds the next (or previous) occurrence from the cursor, wrapping
    // around; false when the text has none.
    bool findText(const QString &text, bool backward = false);
    void goToLine(int line, int column = 0);

    int gutterWidth() const;

protected:
    void resizeEvent(QResizeEvent *event) override;
    // The command palette's key (Ctrl+K, which Qt's editors take for "delete
    // to the end of the line") goes to the window: the palette opens from
    // everywhere, as the action table says.
    bool event(QEvent *event) override;

private:
    friend class LineNumberArea;
    void paintGutter(QPaintEvent *event);
    void updateGutter(const QRect &rect, int dy);
    void updateSelections();
    void updateHighlighting();

    QPointer<Theme> m_theme;
    SyntaxHighlighter *m_highlighter;
    SyntaxHighlighter::Mode m_mode = SyntaxHighlighter::Mode::Plain;
    QWidget *m_gutter;
    bool m_updatingHighlighting = false;
    int m_errorLine = 0;
    QList<int> m_marked;
    console::Tone m_markTone = console::Tone::Modified;
};

} // namespace sd::widgets
