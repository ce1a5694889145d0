#include "Theme.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>

namespace sd::widgets {

using console::Tone;

namespace {

const char *const kToneNames[] = {"Normal", "Added",  "Modified", "Deleted", "Stale",
                                  "Error",  "Warning", "Muted",   "Secret",  "Good"};
const char *const kSyntaxNames[] = {"key", "string", "number", "keyword", "comment", "punctuation", "anchor"};

bool readColor(const QJsonValue &v, QColor *out, const QString &what, QString *error)
{
    if (v.isUndefined() || v.isNull())
        return true;
    const QColor c = QColor::fromString(v.toString());
    if (!c.isValid()) {
        *error = Theme::tr("%1: \"%2\" is not a colour (expected #rrggbb)").arg(what, v.toString());
        return false;
    }
    *out = c;
    return true;
}

bool readPalette(const QJsonObject &o, QPalette::ColorGroup group, QPalette *palette, QString *error)
{
    const QMetaEnum roles = QMetaEnum::fromType<QPalette::ColorRole>();
    for (auto it = o.begin(); it != o.end(); ++it) {
        bool ok = false;
        const int role = roles.keyToValue(it.key().toLatin1().constData(), &ok);
        if (!ok) {
            *error = Theme::tr("palette: unknown colour role \"%1\"").arg(it.key());
            return false;
        }
        QColor c;
        if (!readColor(it.value(), &c, it.key(), error))
            return false;
        if (group == QPalette::All) {
            palette->setColor(QPalette::Active, QPalette::ColorRole(role), c);
            palette->setColor(QPalette::Inactive, QPalette::ColorRole(role), c);
            palette->setColor(QPalette::Disabled, QPalette::ColorRole(role), c);
        } else {
            palette->setColor(group, QPalette::ColorRole(role), c);
        }
    }
    return true;
}

} // namespace

Theme::Theme(QObject *parent) : QObject(parent)
{
    load(QStringLiteral("light"));
}

QStringList Theme::builtInNames()
{
    return {QStringLiteral("light"), QStringLiteral("dark")};
}

QString Theme::matching(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < 128 ? QStringLiteral("dark") : QStringLiteral("light");
}

bool Theme::load(const QString &nameOrPath, QString *error)
{
    QString ignored;
    QString &why = error ? *error : ignored;
    const QString path = builtInNames().contains(nameOrPath)
                             ? QStringLiteral(":/statedeck/themes/%1.json").arg(nameOrPath)
                             : nameOrPath;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        why = tr("cannot read the theme %1: %2 (built in: %3)")
                  .arg(nameOrPath, f.errorString(), builtInNames().join(QStringLiteral(", ")));
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parseError);
    if (!doc.isObject()) {
        why = tr("%1: not a theme (%2)").arg(path, parseError.errorString());
        return false;
    }
    const QJsonObject root = doc.object();

    QPalette palette;
    if (!readPalette(root.value(QLatin1String("palette")).toObject(), QPalette::All, &palette, &why)
        || !readPalette(root.value(QLatin1String("disabled")).toObject(), QPalette::Disabled, &palette, &why)) {
        why = path + QStringLiteral(": ") + why;
        return false;
    }
    QHash<int, ToneStyle> tones;
    const QJsonObject toneObject = root.value(QLatin1String("tones")).toObject();
    for (int i = 0; i < int(std::size(kToneNames)); ++i) {
        const QJsonObject t = toneObject.value(QLatin1String(kToneNames[i])).toObject();
        ToneStyle s;
        if (!readColor(t.value(QLatin1String("foreground")), &s.foreground, QLatin1String(kToneNames[i]), &why)
            || !readColor(t.value(QLatin1String("background")), &s.background, QLatin1String(kToneNames[i]), &why)) {
            why = path + QStringLiteral(": ") + why;
            return false;
        }
        s.bold = t.value(QLatin1String("bold")).toBool();
        s.italic = t.value(QLatin1String("italic")).toBool();
        s.strikeOut = t.value(QLatin1String("strikeOut")).toBool();
        tones.insert(i, s);
    }
    QHash<int, QColor> syntax;
    const QJsonObject syntaxObject = root.value(QLatin1String("syntax")).toObject();
    for (int i = 0; i < int(std::size(kSyntaxNames)); ++i) {
        QColor c;
        if (!readColor(syntaxObject.value(QLatin1String(kSyntaxNames[i])), &c, QLatin1String(kSyntaxNames[i]), &why)) {
            why = path + QStringLiteral(": ") + why;
            return false;
        }
        syntax.insert(i, c);
    }

    m_name = root.value(QLatin1String("name")).toString(nameOrPath);
    m_dark = root.value(QLatin1String("dark")).toBool();
    m_palette = palette;
    m_tones = tones;
    m_syntax = syntax;
    Q_EMIT changed();
    return true;
}

QTextCharFormat Theme::format(Tone tone) const
{
    const ToneStyle s = style(tone);
    QTextCharFormat f;
    if (s.foreground.isValid())
        f.setForeground(s.foreground);
    if (s.background.isValid())
        f.setBackground(s.background);
    if (s.bold)
        f.setFontWeight(QFont::Bold);
    f.setFontItalic(s.italic);
    f.setFontStrikeOut(s.strikeOut);
    return f;
}

QString Theme::styleSheetFor(Tone tone) const
{
    const ToneStyle s = style(tone);
    QString css;
    if (s.foreground.isValid())
        css += QStringLiteral("color: %1;").arg(s.foreground.name());
    if (s.background.isValid())
        css += QStringLiteral("background-color: %1;").arg(s.background.name());
    if (s.bold)
        css += QStringLiteral("font-weight: bold;");
    if (s.italic)
        css += QStringLiteral("font-style: italic;");
    return css;
}

} // namespace sd::widgets
