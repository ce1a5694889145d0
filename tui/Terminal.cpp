#include "Terminal.h"

#include "TerminalTheme.h"

#include <QByteArray>

#include <clocale>
#include <cstring>
#include <langinfo.h>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

// ncurses defines function-like macros (timeout, clear, erase, refresh...)
// that collide with Qt's names: only this file includes it, last.
#define NCURSES_NOMACROS
#include <curses.h>

namespace sd::tui {

namespace {

int g_signalPipe[2] = {-1, -1};

// The terminal's modes before ncurses took it, for a crash: a fatal signal
// cannot run endwin() safely, so its handler puts these back with
// tcsetattr() and leaves the alternate screen with write(), both
// async-signal-safe, then dies of the signal as it would have.
struct termios g_savedModes;
bool g_haveSavedModes = false;

// The temporary file an edit is using (it may hold a secret decoded): a
// crash removes it with unlink(), async-signal-safe, from this buffer that
// is filled before the file gets any content and emptied once it is gone.
char g_scratchFile[4096] = {0};
volatile sig_atomic_t g_haveScratchFile = 0;

void onFatalSignal(int sig)
{
    if (g_haveScratchFile && g_scratchFile[0] != 0)
        ::unlink(g_scratchFile);
    if (g_haveSavedModes)
        ::tcsetattr(STDIN_FILENO, TCSANOW, &g_savedModes);
    static const char reset[] = "\033[0m\033[?25h\033[?1l\033>\033[?1049l\r\n";
    [[maybe_unused]] const ssize_t n = ::write(STDOUT_FILENO, reset, sizeof reset - 1);
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void onSignal(int sig)
{
    const char c = char(sig);
    // Only async-signal-safe work here: one byte into the pipe.
    [[maybe_unused]] const ssize_t n = ::write(g_signalPipe[1], &c, 1);
}

enum Pair : short {
    PairAdded = 1,
    PairModified,
    PairDeleted,
    PairStale,
    PairError,
    PairWarning,
    PairMuted,
    PairSecret,
    PairGood,
};
static_assert(int(PairAdded) == int(sd::console::Tone::Added) && int(PairGood) == int(sd::console::Tone::Good),
              "colour pairs are numbered as the tones are");

QString keyName(wint_t ch, int kind)
{
    if (kind == KEY_CODE_YES) {
        switch (ch) {
        case KEY_UP: return QStringLiteral("Up");
        case KEY_DOWN: return QStringLiteral("Down");
        case KEY_LEFT: return QStringLiteral("Left");
        case KEY_RIGHT: return QStringLiteral("Right");
        case KEY_PPAGE: return QStringLiteral("PgUp");
        case KEY_NPAGE: return QStringLiteral("PgDn");
        case KEY_HOME: return QStringLiteral("Home");
        case KEY_END: return QStringLiteral("End");
        case KEY_BACKSPACE: return QStringLiteral("Backspace");
        case KEY_DC: return QStringLiteral("Delete");
        case KEY_ENTER: return QStringLiteral("Enter");
        case KEY_BTAB: return QStringLiteral("BackTab");
        case KEY_RESIZE: return QStringLiteral("Resize");
        default:
            if (ch >= KEY_F(1) && ch <= KEY_F(12))
                return QStringLiteral("F%1").arg(int(ch - KEY_F0));
            return QString();
        }
    }
    switch (ch) {
    case 27: return QStringLiteral("Esc");
    case '\n':
    case '\r': return QStringLiteral("Enter");
    case '\t': return QStringLiteral("Tab");
    case 127:
    case 8: return QStringLiteral("Backspace");
    default: break;
    }
    if (ch >= 1 && ch <= 26)
        return QStringLiteral("Ctrl-") + QChar(char('A' + ch - 1));
    return QString(QChar(char32_t(ch)));
}

} // namespace

Terminal::Terminal()
{
    g_haveSavedModes = ::tcgetattr(STDIN_FILENO, &g_savedModes) == 0;
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) {
        struct sigaction fatal {};
        fatal.sa_handler = onFatalSignal;
        sigemptyset(&fatal.sa_mask);
        fatal.sa_flags = SA_RESETHAND;
        sigaction(sig, &fatal, nullptr);
    }
    std::setlocale(LC_ALL, "");
    const char *codeset = ::nl_langinfo(CODESET);
    m_ascii = !codeset || std::strcmp(codeset, "UTF-8") != 0;
    // Escape alone must not wait a second for a sequence that never comes.
    if (!qEnvironmentVariableIsSet("ESCDELAY"))
        set_escdelay(25);
    initscr();
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    const bool noColor = qEnvironmentVariableIsSet("NO_COLOR");
    m_colours = !noColor && has_colors();
    if (m_colours) {
        start_color();
        use_default_colors();
        const bool rich = COLORS >= 256;
        init_pair(PairAdded, COLOR_GREEN, -1);
        init_pair(PairModified, rich ? 214 : COLOR_YELLOW, -1);
        init_pair(PairDeleted, COLOR_RED, -1);
        init_pair(PairStale, rich ? 245 : COLOR_YELLOW, -1);
        init_pair(PairError, COLOR_RED, -1);
        init_pair(PairWarning, COLOR_YELLOW, -1);
        init_pair(PairMuted, rich ? 244 : COLOR_BLUE, -1);
        init_pair(PairSecret, COLOR_MAGENTA, -1);
        init_pair(PairGood, COLOR_GREEN, -1);
    }

    if (::pipe(g_signalPipe) == 0) {
        for (int fd : g_signalPipe)
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        struct sigaction sa {};
        sa.sa_handler = onSignal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        sigaction(SIGWINCH, &sa, nullptr);
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);
        sigaction(SIGHUP, &sa, nullptr);
        m_signals = std::make_unique<QSocketNotifier>(g_signalPipe[0], QSocketNotifier::Read);
        connect(m_signals.get(), &QSocketNotifier::activated, this, &Terminal::readSignals);
    }
    m_input = std::make_unique<QSocketNotifier>(STDIN_FILENO, QSocketNotifier::Read);
    connect(m_input.get(), &QSocketNotifier::activated, this, &Terminal::readKeys);
}

void Terminal::setScratchFile(const QString &path)
{
    g_haveScratchFile = 0;
    const QByteArray bytes = path.toLocal8Bit();
    if (bytes.isEmpty() || bytes.size() >= qsizetype(sizeof g_scratchFile)) {
        g_scratchFile[0] = 0;
        return;
    }
    std::memcpy(g_scratchFile, bytes.constData(), size_t(bytes.size()));
    g_scratchFile[bytes.size()] = 0;
    g_haveScratchFile = 1;
}

Terminal::~Terminal()
{
    m_input.reset();
    m_signals.reset();
    if (!isendwin())
        endwin();
    for (int &fd : g_signalPipe) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
}

int Terminal::rows() const
{
    return LINES;
}

int Terminal::columns() const
{
    return COLS;
}

void Terminal::readKeys()
{
    if (m_suspended)
        return;
    wint_t ch = 0;
    int kind = 0;
    while ((kind = get_wch(&ch)) != ERR) {
        if (kind == KEY_CODE_YES && ch == KEY_RESIZE) {
            Q_EMIT resized();
            continue;
        }
        Key k;
        k.name = keyName(ch, kind);
        if (kind == OK && ch >= 32 && ch != 127)
            k.text = QString(QChar(char32_t(ch)));
        // Alt-x arrives as Esc followed by x.
        if (k.name == QLatin1String("Esc")) {
            wint_t next = 0;
            const int nk = get_wch(&next);
            if (nk == OK && next >= 32 && next != 127) {
                k.name = QStringLiteral("Alt-") + QString(QChar(char32_t(next))).toUpper();
                k.text.clear();
            } else if (nk != ERR) {
                unget_wch(next);
            }
        }
        if (!k.name.isEmpty())
            Q_EMIT keyPressed(k);
        if (m_suspended)
            return;
    }
}

void Terminal::readSignals()
{
    char buf[32];
    ssize_t n = 0;
    bool resize = false, stop = false;
    while ((n = ::read(g_signalPipe[0], buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; ++i) {
            if (buf[i] == SIGWINCH)
                resize = true;
            else
                stop = true;
        }
    }
    if (stop) {
        Q_EMIT interrupted();
        return;
    }
    if (resize && !m_suspended) {
        // ncurses learns the new size from the terminal itself.
        endwin();
        ::refresh();
        Q_EMIT resized();
    }
}

void Terminal::setTheme(const QHash<int, ToneStyle> &styles)
{
    for (auto it = styles.cbegin(); it != styles.cend(); ++it) {
        m_bold.insert(it.key(), it->bold);
        const int colour = COLORS >= 256 ? it->colour256 : it->colour8;
        // Pairs are numbered as the tones are (PairAdded is Tone::Added).
        if (m_colours && colour >= 0)
            init_pair(short(it.key()), short(colour), -1);
    }
}

int Terminal::attributesFor(console::Tone tone) const
{
    if (m_colours && m_bold.contains(int(tone)))
        return COLOR_PAIR(int(tone)) | (m_bold.value(int(tone)) ? A_BOLD : 0);
    using console::Tone;
    if (!m_colours) {
        // Monochrome: what matters stays visible through attributes.
        switch (tone) {
        case Tone::Added:
        case Tone::Modified:
        case Tone::Error:
        case Tone::Good: return A_BOLD;
        case Tone::Deleted:
        case Tone::Stale:
        case Tone::Muted: return A_DIM;
        case Tone::Warning: return A_UNDERLINE;
        case Tone::Secret: return A_DIM;
        case Tone::Normal: return A_NORMAL;
        }
        return A_NORMAL;
    }
    switch (tone) {
    case Tone::Normal: return A_NORMAL;
    case Tone::Added: return COLOR_PAIR(PairAdded) | A_BOLD;
    case Tone::Modified: return COLOR_PAIR(PairModified) | A_BOLD;
    case Tone::Deleted: return COLOR_PAIR(PairDeleted);
    case Tone::Stale: return COLOR_PAIR(PairStale);
    case Tone::Error: return COLOR_PAIR(PairError) | A_BOLD;
    case Tone::Warning: return COLOR_PAIR(PairWarning);
    case Tone::Muted: return COLOR_PAIR(PairMuted);
    case Tone::Secret: return COLOR_PAIR(PairSecret);
    case Tone::Good: return COLOR_PAIR(PairGood);
    }
    return A_NORMAL;
}

void Terminal::clearScreen()
{
    ::erase();
}

void Terminal::print(int row, int column, const QString &text, int width, console::Tone tone, bool reverse, bool bold)
{
    if (row < 0 || row >= LINES || column >= COLS || width <= 0)
        return;
    width = std::min(width, COLS - column);
    // Cut to the width in characters (wide characters count as they print).
    std::wstring w;
    int used = 0;
    for (const char32_t cp : text.toUcs4()) {
        if (cp == U'\n' || cp == U'\r' || cp == U'\t') {
            if (used + 1 > width)
                break;
            w.push_back(L' ');
            ++used;
            continue;
        }
        if (m_ascii && cp > 0x7e) {
            // A locale that is not UTF-8 (LANG=C): what it cannot show is
            // said in ASCII, never sent as bytes the terminal garbles.
            const char fallback = cp == U'\u2022' ? '*' : '?';
            if (used + 1 > width)
                break;
            w.push_back(wchar_t(fallback));
            ++used;
            continue;
        }
        const int cw = std::max(0, ::wcwidth(wchar_t(cp)));
        if (used + cw > width)
            break;
        w.push_back(wchar_t(cp));
        used += cw;
    }
    int attrs = attributesFor(tone);
    if (reverse)
        attrs |= A_REVERSE;
    if (bold)
        attrs |= A_BOLD;
    attron(attrs);
    mvaddnwstr(row, column, w.c_str(), int(w.size()));
    if (reverse)
        for (int i = used; i < width; ++i)
            addch(' ');
    attroff(attrs);
}

void Terminal::fill(int row, int column, int width, console::Tone tone, bool reverse)
{
    print(row, column, QString(width, QLatin1Char(' ')), width, tone, reverse);
}

void Terminal::placeCursor(int row, int column, bool visible)
{
    curs_set(visible ? 1 : 0);
    if (visible)
        ::move(row, column);
}

void Terminal::flush()
{
    if (!m_suspended)
        ::refresh();
}

void Terminal::suspend()
{
    m_suspended = true;
    m_input->setEnabled(false);
    def_prog_mode();
    endwin();
}

void Terminal::resume()
{
    reset_prog_mode();
    ::refresh();
    m_suspended = false;
    m_input->setEnabled(true);
    Q_EMIT resized(); // the editor may have left anything on the screen
}

void Terminal::writeRaw(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

} // namespace sd::tui
