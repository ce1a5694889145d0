#include "CodeEditor.h"
#include "SyntaxHighlighter.h"
#include "Theme.h"
#include "ToneDelegate.h"

#include <QApplication>
#include <QFile>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextLayout>

using namespace sd::console;
using namespace sd::widgets;

namespace {

class ExposedDelegate : public ToneDelegate {
public:
    using ToneDelegate::ToneDelegate;
    using ToneDelegate::initStyleOption;
};

} // namespace

// The pieces under the window: themes as data, the delegate that paints
// tones, the editor's colouring (and its limit), the error-line mark.
class TestGuiWidgets : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    // The colour the highlighter gave the first character of `what` on a line.
    static QColor colourOf(CodeEditor &editor, int line, const QString &what)
    {
        const QTextBlock block = editor.document()->findBlockByNumber(line);
        const int at = int(block.text().indexOf(what));
        for (const QTextLayout::FormatRange &r : block.layout()->formats())
            if (r.start <= at && at < r.start + r.length)
                return r.format.foreground().color();
        return {};
    }

private Q_SLOTS:
    void testThemesAreData()
    {
        Theme theme;
        for (const QString &name : Theme::builtInNames()) {
            QString error;
            QVERIFY2(theme.load(name, &error), qPrintable(error));
            QCOMPARE(theme.name(), name);
            QCOMPARE(theme.isDark(), name == QLatin1String("dark"));
            // Every tone that marks something has a colour, readable on its background.
            for (Tone t : {Tone::Added, Tone::Modified, Tone::Deleted, Tone::Stale, Tone::Error, Tone::Warning,
                           Tone::Secret, Tone::Good}) {
                const ToneStyle s = theme.style(t);
                QVERIFY(s.foreground.isValid());
                QVERIFY(s.background.isValid());
                QVERIFY2(std::abs(s.foreground.lightness() - s.background.lightness()) > 90,
                         qPrintable(QStringLiteral("%1 tone %2").arg(name).arg(int(t))));
            }
            QVERIFY(theme.syntax(SyntaxRole::Key).isValid());
        }
        QCOMPARE(Theme::matching(theme.palette()), QStringLiteral("dark"));

        // A theme file of one's own.
        const QString path = m_dir.filePath(QStringLiteral("mine.json"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"name\": \"mine\", \"palette\": {\"Window\": \"#102030\"}, "
                "\"tones\": {\"Error\": {\"foreground\": \"#ff0000\"}}}");
        f.close();
        QVERIFY(theme.load(path));
        QCOMPARE(theme.name(), QStringLiteral("mine"));
        QCOMPARE(theme.palette().color(QPalette::Window), QColor(QStringLiteral("#102030")));
        QCOMPARE(theme.style(Tone::Error).foreground, QColor(Qt::red));

        // Mistakes are named; nothing changes.
        QFile bad(m_dir.filePath(QStringLiteral("bad.json")));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{\"palette\": {\"Windw\": \"#000000\"}}");
        bad.close();
        QString error;
        QVERIFY(!theme.load(bad.fileName(), &error));
        QVERIFY2(error.contains(QLatin1String("Windw")), qPrintable(error));
        QCOMPARE(theme.name(), QStringLiteral("mine"));
        QVERIFY(!theme.load(QStringLiteral("no-such-theme"), &error));
        QVERIFY2(error.contains(QLatin1String("light, dark")), qPrintable(error));
    }

    void testDelegatePaintsTones()
    {
        Theme theme;
        QStandardItemModel model(2, 1);
        model.setData(model.index(0, 0), int(Tone::Added), ToneRole);
        model.setData(model.index(1, 0), int(Tone::Deleted), ToneRole);
        ExposedDelegate delegate(&theme);
        QStyleOptionViewItem added;
        delegate.initStyleOption(&added, model.index(0, 0));
        QCOMPARE(added.backgroundBrush.color(), theme.style(Tone::Added).background);
        QCOMPARE(added.palette.color(QPalette::Text), theme.style(Tone::Added).foreground);
        QStyleOptionViewItem deleted;
        delegate.initStyleOption(&deleted, model.index(1, 0));
        QVERIFY(deleted.font.strikeOut());
        QVERIFY(theme.load(QStringLiteral("dark")));
        delegate.initStyleOption(&added, model.index(0, 0));
        QCOMPARE(added.backgroundBrush.color(), theme.style(Tone::Added).background);
    }

    void testEditorColoursAndMarks()
    {
        Theme theme;
        CodeEditor editor(&theme);
        editor.setMode(SyntaxHighlighter::Mode::Json);
        editor.setContent(QStringLiteral("{\n  \"name\": \"web\",\n  \"replicas\": 3,\n  \"on\": true\n}\n"));
        QVERIFY(editor.highlighting());
        QCOMPARE(colourOf(editor, 1, QStringLiteral("\"name\"")), theme.syntax(SyntaxRole::Key));
        QCOMPARE(colourOf(editor, 1, QStringLiteral("\"web\"")), theme.syntax(SyntaxRole::String));
        QCOMPARE(colourOf(editor, 2, QStringLiteral("3")), theme.syntax(SyntaxRole::Number));
        QCOMPARE(colourOf(editor, 3, QStringLiteral("true")), theme.syntax(SyntaxRole::Keyword));

        editor.setMode(SyntaxHighlighter::Mode::Yaml);
        editor.setContent(QStringLiteral("# a comment\nphase: \"deploying\"\nworkers:\n  - name: w1\n    count: 2\n"));
        QCOMPARE(colourOf(editor, 0, QStringLiteral("#")), theme.syntax(SyntaxRole::Comment));
        QCOMPARE(colourOf(editor, 1, QStringLiteral("phase")), theme.syntax(SyntaxRole::Key));
        QCOMPARE(colourOf(editor, 1, QStringLiteral("\"deploying\"")), theme.syntax(SyntaxRole::String));
        QCOMPARE(colourOf(editor, 3, QStringLiteral("name")), theme.syntax(SyntaxRole::Key));
        QCOMPARE(colourOf(editor, 4, QStringLiteral("2")), theme.syntax(SyntaxRole::Number));

        // Conflict markers stand out in any mode.
        editor.setContent(QStringLiteral("a: 1\n<<<<<<< mine\nb: 2\n=======\nb: 3\n>>>>>>> theirs\n"));
        QCOMPARE(colourOf(editor, 1, QStringLiteral("<<<")), theme.style(Tone::Error).foreground);

        // The error line is marked.
        editor.setErrorLine(2);
        bool marked = false;
        for (const QTextEdit::ExtraSelection &s : editor.extraSelections())
            if (s.cursor.blockNumber() == 1 && s.format.background().color() == theme.style(Tone::Error).background)
                marked = true;
        QVERIFY(marked);
        editor.setErrorLine(0);
        QVERIFY(editor.extraSelections().isEmpty());

        // Past the limit: no colouring (and back when small again).
        editor.setContent(QString(CodeEditor::kHighlightLimit + 10, QLatin1Char('x')));
        QVERIFY(!editor.highlighting());
        editor.setContent(QStringLiteral("a: 1\n"));
        QVERIFY(editor.highlighting());

        // Find wraps around.
        editor.setContent(QStringLiteral("alpha\nbeta\nalpha\n"));
        QVERIFY(editor.findText(QStringLiteral("alpha")));
        QCOMPARE(editor.textCursor().blockNumber(), 0);
        QVERIFY(editor.findText(QStringLiteral("alpha")));
        QCOMPARE(editor.textCursor().blockNumber(), 2);
        QVERIFY(editor.findText(QStringLiteral("alpha")));
        QCOMPARE(editor.textCursor().blockNumber(), 0);
        QVERIFY(!editor.findText(QStringLiteral("gamma")));
    }
};

QTEST_MAIN(TestGuiWidgets)
#include "tst_gui_widgets.moc"
