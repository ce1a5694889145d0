#include "CodeEditor.h"

#include "Theme.h"

#include <QAction>
#include <QFontDatabase>
#include <QKeyEvent>
#include <QPainter>
#include <QScopedValueRollback>
#include <QTextBlock>

namespace sd::widgets {

using console::Tone;

class LineNumberArea : public QWidget {
public:
    explicit LineNumberArea(CodeEditor *editor) : QWidget(editor), m_editor(editor) {}
    QSize sizeHint() const override { return {m_editor->gutterWidth(), 0}; }

protected:
    void paintEvent(QPaintEvent *event) override { m_editor->paintGutter(event); }

private:
    CodeEditor *m_editor;
};

CodeEditor::CodeEditor(Theme *theme, QWidget *parent)
    : QPlainTextEdit(parent), m_theme(theme), m_highlighter(new SyntaxHighlighter(theme, this)),
      m_gutter(new LineNumberArea(this))
{
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    setFont(mono);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setTabStopDistance(fontMetrics().horizontalAdvance(QLatin1Char(' ')) * 2);
    connect(this, &QPlainTextEdit::blockCountChanged, this, [this] {
        setViewportMargins(gutterWidth(), 0, 0, 0);
    });
    connect(this, &QPlainTextEdit::updateRequest, this, &CodeEditor::updateGutter);
    connect(this, &QPlainTextEdit::cursorPositionChanged, this, &CodeEditor::updateSelections);
    // Typing past the limit turns colouring off (and back on below it).
    connect(document(), &QTextDocument::contentsChanged, this, &CodeEditor::updateHighlighting);
    if (m_theme)
        connect(m_theme, &Theme::changed, this, [this] {
            updateSelections();
            m_gutter->update();
        });
    setViewportMargins(gutterWidth(), 0, 0, 0);
}

void CodeEditor::setMode(SyntaxHighlighter::Mode mode)
{
    m_mode = mode;
    updateHighlighting();
}

bool CodeEditor::highlighting() const
{
    return m_highlighter->document() != nullptr;
}

void CodeEditor::updateHighlighting()
{
    // Colouring changes formats, and formats are contents too: the
    // highlighter's own changes come back here.
    if (m_updatingHighlighting)
        return;
    const QScopedValueRollback guard(m_updatingHighlighting, true);
    const bool wanted = document()->characterCount() <= kHighlightLimit && m_mode != SyntaxHighlighter::Mode::Plain;
    if (wanted == highlighting()) {
        if (wanted && m_highlighter->mode() != m_mode)
            m_highlighter->setMode(m_mode);
        return;
    }
    m_highlighter->setMode(m_mode);
    m_highlighter->setDocument(wanted ? document() : nullptr);
}

void CodeEditor::setContent(const QString &text)
{
    // Detach first: a highlighter attached while a megabyte goes in would
    // colour every line before the window could paint again.
    if (text.size() > kHighlightLimit)
        m_highlighter->setDocument(nullptr);
    m_errorLine = 0;
    m_marked.clear();
    setPlainText(text);
    updateHighlighting();
    updateSelections();
}

void CodeEditor::setErrorLine(int line, int column)
{
    Q_UNUSED(column);
    if (line == m_errorLine)
        return;
    m_errorLine = line;
    updateSelections();
    m_gutter->update();
}

void CodeEditor::setMarkedLines(const QList<int> &lines, Tone tone)
{
    m_marked = lines;
    m_markTone = tone;
    updateSelections();
}

void CodeEditor::updateSelections()
{
    QList<QTextEdit::ExtraSelection> selections;
    if (m_theme) {
        for (int line : std::as_const(m_marked)) {
            const QTextBlock block = document()->findBlockByNumber(line);
            if (!block.isValid())
                continue;
            QTextEdit::ExtraSelection s;
            s.format.setBackground(m_theme->style(m_markTone).background);
            s.format.setProperty(QTextFormat::FullWidthSelection, true);
            s.cursor = QTextCursor(block);
            selections << s;
        }
        if (m_errorLine > 0) {
            const QTextBlock block = document()->findBlockByNumber(m_errorLine - 1);
            if (block.isValid()) {
                QTextEdit::ExtraSelection s;
                s.format.setBackground(m_theme->style(Tone::Error).background);
                s.format.setProperty(QTextFormat::FullWidthSelection, true);
                s.cursor = QTextCursor(block);
                selections << s;
            }
        }
    }
    setExtraSelections(selections);
}

bool CodeEditor::findText(const QString &text, bool backward)
{
    if (text.isEmpty())
        return false;
    const QTextDocument::FindFlags flags = backward ? QTextDocument::FindBackward : QTextDocument::FindFlags();
    if (find(text, flags))
        return true;
    // Wrap around.
    QTextCursor c = textCursor();
    c.movePosition(backward ? QTextCursor::End : QTextCursor::Start);
    const QTextCursor found = document()->find(text, c, flags);
    if (found.isNull())
        return false;
    setTextCursor(found);
    return true;
}

void CodeEditor::goToLine(int line, int column)
{
    const QTextBlock block = document()->findBlockByNumber(std::max(0, line - 1));
    if (!block.isValid())
        return;
    QTextCursor c(block);
    if (column > 1)
        c.movePosition(QTextCursor::Right, QTextCursor::MoveAnchor, std::min(column - 1, block.length() - 1));
    setTextCursor(c);
    centerCursor();
}

int CodeEditor::gutterWidth() const
{
    int digits = 1;
    for (int max = std::max(1, blockCount()); max >= 10; max /= 10)
        ++digits;
    return 12 + fontMetrics().horizontalAdvance(QLatin1Char('9')) * std::max(3, digits);
}

void CodeEditor::updateGutter(const QRect &rect, int dy)
{
    if (dy)
        m_gutter->scroll(0, dy);
    else
        m_gutter->update(0, rect.y(), m_gutter->width(), rect.height());
}

void CodeEditor::resizeEvent(QResizeEvent *event)
{
    QPlainTextEdit::resizeEvent(event);
    const QRect cr = contentsRect();
    m_gutter->setGeometry(QRect(cr.left(), cr.top(), gutterWidth(), cr.height()));
}

void CodeEditor::paintGutter(QPaintEvent *event)
{
    QPainter p(m_gutter);
    const QPalette pal = palette();
    p.fillRect(event->rect(), pal.color(QPalette::AlternateBase));
    QTextBlock block = firstVisibleBlock();
    int number = block.blockNumber();
    int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
    int bottom = top + qRound(blockBoundingRect(block).height());
    const int width = m_gutter->width() - 6;
    while (block.isValid() && top <= event->rect().bottom()) {
        if (block.isVisible() && bottom >= event->rect().top()) {
            const bool error = number + 1 == m_errorLine;
            if (error && m_theme) {
                const ToneStyle s = m_theme->style(Tone::Error);
                p.fillRect(QRect(0, top, m_gutter->width(), bottom - top), s.background);
                p.setPen(s.foreground);
            } else {
                p.setPen(pal.color(QPalette::PlaceholderText));
            }
            p.drawText(0, top, width, fontMetrics().height(), Qt::AlignRight, QString::number(number + 1));
        }
        block = block.next();
        top = bottom;
        bottom = top + qRound(blockBoundingRect(block).height());
        ++number;
    }
}

bool CodeEditor::event(QEvent *e)
{
    if (e->type() == QEvent::ShortcutOverride) {
        auto *key = static_cast<QKeyEvent *>(e);
        // Plain typing is the editor's: only chords are looked up.
        const bool chord = key->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier);
        if (QWidget *w = chord ? window() : nullptr) {
            const auto *palette = w->findChild<QAction *>(QStringLiteral("global.command"), Qt::FindDirectChildrenOnly);
            const QKeySequence pressed(key->keyCombination());
            if (palette && palette->isEnabled() && !palette->shortcut().isEmpty() && palette->shortcut() == pressed) {
                e->ignore(); // not the editor's: the window's shortcut runs
                return false;
            }
        }
    }
    return QPlainTextEdit::event(e);
}

} // namespace sd::widgets
