#include "TerminalTheme.h"

#include "model/Json.h"

#include <QCoreApplication>
#include <QFile>

#include <array>
#include <cstdlib>

namespace sd::tui {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("TUI", text);
}

const std::array<std::pair<const char *, console::Tone>, 9> kTones{{
    {"Added", console::Tone::Added},
    {"Modified", console::Tone::Modified},
    {"Deleted", console::Tone::Deleted},
    {"Stale", console::Tone::Stale},
    {"Error", console::Tone::Error},
    {"Warning", console::Tone::Warning},
    {"Muted", console::Tone::Muted},
    {"Secret", console::Tone::Secret},
    {"Good", console::Tone::Good},
}};

int distance(int r1, int g1, int b1, int r2, int g2, int b2)
{
    return (r1 - r2) * (r1 - r2) + (g1 - g2) * (g1 - g2) + (b1 - b2) * (b1 - b2);
}

} // namespace

int TerminalTheme::nearest256(int r, int g, int b)
{
    // The cube's levels, and the grey ramp 232..255 (8, 18, ... 238).
    static constexpr std::array<int, 6> levels{0, 95, 135, 175, 215, 255};
    auto level = [](int v) {
        int best = 0;
        for (int i = 1; i < 6; ++i)
            if (std::abs(levels[i] - v) < std::abs(levels[best] - v))
                best = i;
        return best;
    };
    const int ri = level(r), gi = level(g), bi = level(b);
    const int cube = 16 + 36 * ri + 6 * gi + bi;
    const int cubeDistance = distance(r, g, b, levels[ri], levels[gi], levels[bi]);
    const int grey = std::clamp((((r + g + b) / 3) - 8 + 5) / 10, 0, 23);
    const int greyValue = 8 + 10 * grey;
    const int greyDistance = distance(r, g, b, greyValue, greyValue, greyValue);
    return greyDistance < cubeDistance ? 232 + grey : cube;
}

int TerminalTheme::nearest8(int r, int g, int b)
{
    // ncurses' COLOR_BLACK..COLOR_WHITE are 0..7 in this order.
    static constexpr std::array<std::array<int, 3>, 8> basic{
        {{0, 0, 0}, {205, 0, 0}, {0, 205, 0}, {205, 205, 0}, {0, 0, 238}, {205, 0, 205}, {0, 205, 205}, {229, 229, 229}}};
    int best = 0;
    for (int i = 1; i < 8; ++i)
        if (distance(r, g, b, basic[i][0], basic[i][1], basic[i][2])
            < distance(r, g, b, basic[best][0], basic[best][1], basic[best][2]))
            best = i;
    return best;
}

Result<TerminalTheme> TerminalTheme::load(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error(ErrorKind::Invalid, tr("cannot read the theme: %1").arg(f.errorString()), path);
    Json root;
    try {
        root = parseJson(f.readAll());
    } catch (const Json::parse_error &e) {
        return Error(ErrorKind::Invalid, tr("not JSON: %1").arg(QString::fromUtf8(e.what())), path);
    }
    if (!root.is_object() || !root.contains("tones") || !root["tones"].is_object())
        return Error(ErrorKind::Invalid, tr("a theme needs a \"tones\" object, as widgets/themes/dark.json has"), path);
    TerminalTheme theme;
    for (const auto &[name, tone] : kTones) {
        if (!root["tones"].contains(name))
            continue;
        const Json &t = root["tones"][name];
        const QString where = QStringLiteral("%1: tones.%2").arg(path, QLatin1String(name));
        if (!t.is_object())
            return Error(ErrorKind::Invalid, tr("expected an object with \"foreground\""), where);
        ToneStyle style;
        if (t.contains("foreground")) {
            const Json &fg = t["foreground"];
            const QString text = fg.is_string() ? QString::fromStdString(fg.get<std::string>()) : QString();
            bool ok = text.size() == 7 && text.startsWith(QLatin1Char('#'));
            const uint rgb = ok ? text.mid(1).toUInt(&ok, 16) : 0;
            if (!ok)
                return Error(ErrorKind::Invalid, tr("expected a colour as \"#rrggbb\""), where + QStringLiteral(".foreground"));
            const int r = int(rgb >> 16) & 0xff, g = int(rgb >> 8) & 0xff, b = int(rgb) & 0xff;
            style.colour256 = nearest256(r, g, b);
            style.colour8 = nearest8(r, g, b);
        }
        if (t.contains("bold")) {
            if (!t["bold"].is_boolean())
                return Error(ErrorKind::Invalid, tr("expected true or false"), where + QStringLiteral(".bold"));
            style.bold = t["bold"].get<bool>();
        }
        theme.m_styles.insert(int(tone), style);
    }
    return theme;
}

} // namespace sd::tui
