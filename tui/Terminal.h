#pragma once

#include "console/Roles.h"

#include <QHash>
#include <QObject>
#include <QSocketNotifier>
#include <QString>

#include <memory>

namespace sd::tui {

struct ToneStyle;

// A key as the TUI names it: "a", "Enter", "Esc", "Up", "Ctrl-D", "F1".
// `text` holds a typed character for input lines.
struct Key {
    QString name;
    QString text;
};

// The terminal, through ncurses: set up and torn down, keys read from stdin
// on the Qt event loop (a QSocketNotifier, never a blocking read), resizes
// and SIGINT/SIGTERM delivered as signals through a self-pipe, and tones
// mapped to colour pairs (256 or 8 colours, or attributes only under
// NO_COLOR or on a monochrome terminal).
class Terminal : public QObject {
    Q_OBJECT
public:
    Terminal();
    ~Terminal() override;

    int rows() const;
    int columns() const;

    // Drawing, in the virtual screen; flush() sends only what changed.
    void clearScreen();
    void print(int row, int column, const QString &text, int width, console::Tone tone = console::Tone::Normal,
               bool reverse = false, bool bold = false);
    void fill(int row, int column, int width, console::Tone tone, bool reverse);
    void placeCursor(int row, int column, bool visible);
    void flush();

    // Leaves the screen to another program (an editor) and takes it back.
    void suspend();
    void resume();
    bool suspended() const { return m_suspended; }

    // The temporary file of an edit, removed by the crash handler too
    // (SIGSEGV, SIGABRT...); "" once it is gone. Set before the file holds
    // anything.
    static void setScratchFile(const QString &path);

    // Writes to the terminal directly, past ncurses (OSC 52 clipboard).
    void writeRaw(const QByteArray &bytes);

    bool colours() const { return m_colours; }
    // Colours from a theme file (TerminalTheme) over the built-in ones.
    void setTheme(const QHash<int, ToneStyle> &styles);
    // The locale is not UTF-8: only ASCII is drawn.
    bool asciiOnly() const { return m_ascii; }

Q_SIGNALS:
    void keyPressed(const sd::tui::Key &key);
    void resized();
    void interrupted(); // SIGINT or SIGTERM: leave cleanly

private:
    void readKeys();
    void readSignals();
    int attributesFor(console::Tone tone) const;

    std::unique_ptr<QSocketNotifier> m_input;
    std::unique_ptr<QSocketNotifier> m_signals;
    bool m_colours = false;
    QHash<int, bool> m_bold; // a theme's bold, by tone
    bool m_ascii = false;
    bool m_suspended = false;
};

} // namespace sd::tui
