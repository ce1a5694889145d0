#include "SyntaxHighlighter.h"

#include "Theme.h"

#include <QRegularExpression>

namespace sd::widgets {

using console::Tone;

namespace {

bool isMarker(const QString &text)
{
    return text.startsWith(QLatin1String("<<<<<<< ")) || text == QLatin1String("=======")
           || text.startsWith(QLatin1String(">>>>>>> "));
}

bool isWordChar(QChar c)
{
    return c.isLetterOrNumber() || c == QLatin1Char('_') || c == QLatin1Char('-') || c == QLatin1Char('.');
}

// The end of a quoted string starting at `from` (one past the closing quote,
// or the end of the line when it does not close there).
int stringEnd(const QString &text, int from)
{
    const QChar quote = text.at(from);
    const bool escapes = quote == QLatin1Char('"');
    for (int i = from + 1; i < text.size(); ++i) {
        if (escapes && text.at(i) == QLatin1Char('\\')) {
            ++i;
            continue;
        }
        if (text.at(i) == quote)
            return i + 1;
    }
    return int(text.size());
}

} // namespace

SyntaxHighlighter::SyntaxHighlighter(Theme *theme, QObject *parent) : QSyntaxHighlighter(parent), m_theme(theme)
{
    if (m_theme)
        connect(m_theme, &Theme::changed, this, &QSyntaxHighlighter::rehighlight);
}

void SyntaxHighlighter::setMode(Mode mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
    rehighlight();
}

void SyntaxHighlighter::highlightBlock(const QString &text)
{
    if (!m_theme || text.isEmpty())
        return;
    if (isMarker(text)) {
        setFormat(0, int(text.size()), m_theme->format(Tone::Error));
        return;
    }
    switch (m_mode) {
    case Mode::Plain: return;
    case Mode::Json: highlightJson(text); return;
    case Mode::Yaml: highlightYaml(text); return;
    case Mode::Diff: highlightDiff(text); return;
    }
}

void SyntaxHighlighter::highlightJson(const QString &text)
{
    highlightScalars(text, 0, false);
}

void SyntaxHighlighter::highlightYaml(const QString &text)
{
    QTextCharFormat punctuation;
    punctuation.setForeground(m_theme->syntax(SyntaxRole::Punctuation));
    if (text == QLatin1String("---") || text == QLatin1String("...")) {
        setFormat(0, int(text.size()), punctuation);
        return;
    }
    // "key:", "- key:", "\"quoted key\":" at the start of a line.
    static const QRegularExpression keyLine(
        QStringLiteral(R"(^(\s*(?:-\s+)*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s#'"\-][^#]*?|-[^\s#][^#]*?)\s*(:)(?=\s|$))"));
    const QRegularExpressionMatch m = keyLine.match(text);
    int from = 0;
    if (m.hasMatch()) {
        QTextCharFormat key;
        key.setForeground(m_theme->syntax(SyntaxRole::Key));
        setFormat(int(m.capturedStart(2)), int(m.capturedLength(2)), key);
        setFormat(int(m.capturedStart(3)), 1, punctuation);
        for (int i = 0; i < m.capturedLength(1); ++i)
            if (text.at(i) == QLatin1Char('-'))
                setFormat(i, 1, punctuation);
        from = int(m.capturedEnd(3));
    } else {
        // "- value" list items.
        int i = 0;
        while (i < text.size() && (text.at(i).isSpace() || text.at(i) == QLatin1Char('-'))) {
            if (text.at(i) == QLatin1Char('-') && (i + 1 == text.size() || text.at(i + 1).isSpace()))
                setFormat(i, 1, punctuation);
            else if (text.at(i) == QLatin1Char('-'))
                break;
            ++i;
        }
        from = i;
    }
    highlightScalars(text, from, true);
}

void SyntaxHighlighter::highlightScalars(const QString &text, int from, bool yaml)
{
    QTextCharFormat key, string, number, keyword, comment, punctuation, anchor;
    key.setForeground(m_theme->syntax(SyntaxRole::Key));
    string.setForeground(m_theme->syntax(SyntaxRole::String));
    number.setForeground(m_theme->syntax(SyntaxRole::Number));
    keyword.setForeground(m_theme->syntax(SyntaxRole::Keyword));
    keyword.setFontWeight(QFont::DemiBold);
    comment.setForeground(m_theme->syntax(SyntaxRole::Comment));
    comment.setFontItalic(true);
    punctuation.setForeground(m_theme->syntax(SyntaxRole::Punctuation));
    anchor.setForeground(m_theme->syntax(SyntaxRole::Anchor));

    static const QStringList jsonWords = {QStringLiteral("true"), QStringLiteral("false"), QStringLiteral("null")};
    static const QStringList yamlWords = {QStringLiteral("true"), QStringLiteral("false"), QStringLiteral("null"),
                                          QStringLiteral("yes"),  QStringLiteral("no"),    QStringLiteral("on"),
                                          QStringLiteral("off"),  QStringLiteral("~")};
    const int n = int(text.size());
    int i = from;
    while (i < n) {
        const QChar c = text.at(i);
        const bool atStart = i == 0 || !isWordChar(text.at(i - 1));
        if (c == QLatin1Char('"') || (yaml && c == QLatin1Char('\''))) {
            const int end = stringEnd(text, i);
            int j = end;
            while (j < n && text.at(j).isSpace())
                ++j;
            const bool isKey = j < n && text.at(j) == QLatin1Char(':');
            setFormat(i, end - i, isKey ? key : string);
            i = end;
            continue;
        }
        if (yaml && c == QLatin1Char('#') && (i == 0 || text.at(i - 1).isSpace())) {
            setFormat(i, n - i, comment);
            return;
        }
        if (yaml && atStart && (c == QLatin1Char('&') || c == QLatin1Char('*') || c == QLatin1Char('!'))) {
            int j = i + 1;
            while (j < n && !text.at(j).isSpace() && text.at(j) != QLatin1Char(','))
                ++j;
            setFormat(i, j - i, anchor);
            i = j;
            continue;
        }
        if (atStart && (c.isDigit() || (c == QLatin1Char('-') && i + 1 < n && text.at(i + 1).isDigit()))) {
            int j = i + 1;
            while (j < n && (text.at(j).isDigit() || text.at(j) == QLatin1Char('.') || text.at(j) == QLatin1Char('e')
                             || text.at(j) == QLatin1Char('E') || text.at(j) == QLatin1Char('+')
                             || text.at(j) == QLatin1Char('-')))
                ++j;
            if (j == n || !isWordChar(text.at(j)))
                setFormat(i, j - i, number);
            i = j;
            continue;
        }
        if (c.isLetter() || c == QLatin1Char('~')) {
            int j = i + 1;
            while (j < n && isWordChar(text.at(j)))
                ++j;
            const QString word = text.mid(i, j - i);
            const QStringList &words = yaml ? yamlWords : jsonWords;
            if (atStart && words.contains(yaml ? word.toLower() : word))
                setFormat(i, j - i, keyword);
            i = j;
            continue;
        }
        if (QStringLiteral("{}[],:").contains(c))
            setFormat(i, 1, punctuation);
        ++i;
    }
}

void SyntaxHighlighter::highlightDiff(const QString &text)
{
    // The tones' colours without their decorations: a removed line is
    // red, not struck out, so it stays readable.
    auto plain = [this](Tone tone) {
        const ToneStyle s = m_theme->style(tone);
        QTextCharFormat f;
        if (s.foreground.isValid())
            f.setForeground(s.foreground);
        if (s.background.isValid())
            f.setBackground(s.background);
        return f;
    };
    if (text.startsWith(QLatin1String("+++")) || text.startsWith(QLatin1String("---"))) {
        QTextCharFormat f = plain(Tone::Muted);
        f.setFontWeight(QFont::Bold);
        setFormat(0, int(text.size()), f);
    } else if (text.startsWith(QLatin1String("@@"))) {
        setFormat(0, int(text.size()), plain(Tone::Muted));
    } else if (text.startsWith(QLatin1Char('+'))) {
        setFormat(0, int(text.size()), plain(Tone::Added));
    } else if (text.startsWith(QLatin1Char('-'))) {
        setFormat(0, int(text.size()), plain(Tone::Deleted));
    }
}

} // namespace sd::widgets
