#include "Help.h"

#include "providers/Backends.h"

#include <QStringList>

#include <algorithm>

#include <cstdio>
#include <sys/ioctl.h>
#include <unistd.h>

namespace sd::ctl {

void addGlobalOptions(QCommandLineParser &p)
{
    p.addOption({{QStringLiteral("s"), QStringLiteral("store")},
                 QStringLiteral("Store URL or path (sqlite:///x.db, local:///…/state.json, yaml:///…/state, ...)."),
                 QStringLiteral("URL")});
    p.addOption({{QStringLiteral("c"), QStringLiteral("connection")},
                 QStringLiteral("A connection named in connections.yaml."), QStringLiteral("NAME")});
    p.addOption({{QStringLiteral("o"), QStringLiteral("output")},
                 QStringLiteral("table, json, yaml or value (table on a terminal, json otherwise)."),
                 QStringLiteral("FORMAT")});
    p.addOption({QStringLiteral("actor"), QStringLiteral("Who is writing, for rate limits and logs (default $USER)."),
                 QStringLiteral("NAME")});
    p.addOption({QStringLiteral("read-only"),
                 QStringLiteral("Open every store read-only: writes are refused and nothing reaches the store.")});
    p.addOption({{QStringLiteral("y"), QStringLiteral("yes")}, QStringLiteral("Do not ask before deleting.")});
    p.addOption({{QStringLiteral("q"), QStringLiteral("quiet")}, QStringLiteral("No progress output.")});
    p.addOption({{QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show help.")});
    p.addOption({QStringLiteral("version"), QStringLiteral("Show the version.")});
}

int helpWidth()
{
    bool ok = false;
    const int columns = qEnvironmentVariable("COLUMNS").toInt(&ok);
    if (ok && columns > 0)
        return std::max(20, columns);
    winsize ws{};
    if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return std::max(20, int(ws.ws_col));
    return 80;
}

namespace {

// Words of `text` laid out from column `indent` (the first line starting at
// `firstColumn`, already filled up to there by the caller) within `width`.
QString fill(const QString &text, int firstColumn, int indent, int width)
{
    const QStringList words = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    QString out;
    int column = firstColumn;
    bool lineEmpty = true;
    const QString pad(indent, QLatin1Char(' '));
    for (QString word : words) {
        const int room = width - column - (lineEmpty ? 0 : 1);
        if (word.size() > room && !lineEmpty) {
            out += QLatin1Char('\n') + pad;
            column = indent;
            lineEmpty = true;
        }
        // A word wider than any line (a long URL) is broken, not cut.
        while (word.size() > width - column) {
            const int take = std::max(1, width - column);
            out += word.left(take) + QLatin1Char('\n') + pad;
            word = word.mid(take);
            column = indent;
        }
        if (!lineEmpty) {
            out += QLatin1Char(' ');
            ++column;
        }
        out += word;
        column += int(word.size());
        lineEmpty = false;
    }
    return out;
}

int leadingSpaces(const QString &line)
{
    int n = 0;
    while (n < line.size() && line.at(n) == QLatin1Char(' '))
        ++n;
    return n;
}

} // namespace

QString wrapText(const QString &text, int width)
{
    QStringList out;
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        const int lead = leadingSpaces(line);
        if (lead == line.size()) {
            out << QString();
            continue;
        }
        int hang = lead;
        if (lead > 0) {
            // "  term   description": continue under the description.
            const int gap = int(line.indexOf(QLatin1String("  "), lead));
            if (gap > 0) {
                const int desc = leadingSpaces(line.mid(gap)) + gap;
                if (desc < line.size() && desc < width / 2)
                    hang = desc;
            }
        }
        if (hang > lead) {
            const QString term = line.mid(lead, line.indexOf(QLatin1String("  "), lead) - lead);
            out << QString(lead, QLatin1Char(' ')) + term + QString(hang - lead - term.size(), QLatin1Char(' '))
                       + fill(line.mid(hang), hang, hang, width);
        } else {
            out << QString(lead, QLatin1Char(' ')) + fill(line.mid(lead), lead, lead, width);
        }
    }
    return out.join(QLatin1Char('\n'));
}

QString twoColumns(const QList<std::pair<QString, QString>> &rows, int width, int column)
{
    // On a narrow screen the descriptions go under their terms.
    const int col = width >= 2 * column ? column : 6;
    QString out;
    for (const auto &[term, description] : rows) {
        const QString head = QStringLiteral("  ") + term;
        if (head.size() + 2 <= col) {
            out += head + QString(col - head.size(), QLatin1Char(' ')) + fill(description, col, col, width);
        } else {
            out += fill(term, 2, 4, width).prepend(QStringLiteral("  ")) + QLatin1Char('\n') + QString(col, QLatin1Char(' '))
                   + fill(description, col, col, width);
        }
        out += QLatin1Char('\n');
    }
    return out;
}

QString commandSummary(const Command &c)
{
    const QString &d = c.description;
    int depth = 0;
    for (qsizetype i = 0; i < d.size(); ++i) {
        const QChar ch = d.at(i);
        if (ch == QLatin1Char('('))
            ++depth;
        else if (ch == QLatin1Char(')'))
            depth = std::max(0, depth - 1);
        else if (ch == QLatin1Char('.') && depth == 0 && (i + 1 == d.size() || d.at(i + 1).isSpace()))
            return d.left(i).simplified();
    }
    return d.simplified();
}

namespace {

// "Usage: statedeckctl ...", continued under its first word after "Usage:".
QString usageLine(const QString &synopsis, int width)
{
    return QStringLiteral("Usage: ") + fill(QStringLiteral("statedeckctl ") + synopsis, 7, 7, width) + QLatin1Char('\n');
}

} // namespace

QString overviewText(int width)
{
    QString s = wrapText(QStringLiteral("statedeckctl - browse, edit and watch application state"), width);
    s += QStringLiteral("\n\n") + usageLine(QStringLiteral("[--store URL | --connection NAME] [--read-only] COMMAND "
                                                          "[ARGS] [OPTIONS]"),
                                           width);
    s += QStringLiteral("\nCommands:\n");
    QList<std::pair<QString, QString>> rows;
    for (const Command &c : commands())
        rows.append({c.synopsis, commandSummary(c)});
    rows.append({QStringLiteral("help [COMMAND]"), QStringLiteral("Show help for a command")});
    s += twoColumns(rows, width);
    s += QStringLiteral("\nGlobal options:\n");
    s += twoColumns(
        {{QStringLiteral("-s, --store URL"),
          QStringLiteral("sqlite:///path.db, local:///path/state.json, yaml:///path/state, redis://host:6379/0, "
                         "etcd://host:2379, k8s://CONTEXT/NAMESPACE/configmaps (or /secrets, /secrets/NAME), or a "
                         "path; default: the current connection, else the embedded SQLite store")},
         {QStringLiteral("-c, --connection NAME"), QStringLiteral("a connection from connections.yaml")},
         {QStringLiteral("--read-only"),
          QStringLiteral("open every store read-only: writes are refused (exit 1) and nothing reaches the store")},
         {QStringLiteral("-o, --output FORMAT"), QStringLiteral("table | json | yaml | value")},
         {QStringLiteral("--actor NAME"), QStringLiteral("who is writing (rate limits, logs)")},
         {QStringLiteral("-y, --yes"), QStringLiteral("do not ask before deleting")},
         {QStringLiteral("-q, --quiet"), QStringLiteral("no progress output")}},
        width, 25);
    s += QLatin1Char('\n');
    s += wrapText(QStringLiteral("Backends in this build: %1\n"
                                 "Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict (or lock busy); task "
                                 "also: 5 max iterations reached, 6 state.json unreadable, 7 change not valid; "
                                 "verify: 8 stores differ; export/import/migrate/verify: 130 interrupted\n")
                      .arg(builtBackends().join(QStringLiteral(", "))),
                  width);
    return s;
}

QString commandHelpText(const Command &c, int width)
{
    QCommandLineParser p;
    addGlobalOptions(p);
    if (c.addOptions)
        c.addOptions(p);
    // Qt formats the option list (to 79 columns); we supply the usage line
    // and the description, wrapped.
    QString options = p.helpText();
    options = options.mid(options.indexOf(QStringLiteral("Options:")));
    return usageLine(c.synopsis + QStringLiteral(" [OPTIONS]"), width) + QLatin1Char('\n')
           + wrapText(c.description, width) + QStringLiteral("\n\n") + options;
}

} // namespace sd::ctl
