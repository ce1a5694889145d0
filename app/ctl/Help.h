#pragma once

#include "Cli.h"

#include <QCommandLineParser>
#include <QList>
#include <QString>

#include <utility>

namespace sd::ctl {

// The options every command takes (--store, --connection, --read-only...).
void addGlobalOptions(QCommandLineParser &p);

// Columns to format help for: $COLUMNS when set, else the terminal's width
// when stdout is one, else 80. Never below 20.
int helpWidth();

// `text` wrapped to `width` columns, words never cut (a word longer than a
// line gets a line of its own, broken only if it exceeds the width). Blank
// lines stay. A line that starts with spaces keeps them, and its
// continuation lines are indented as far; an indented "term  description"
// line (two or more spaces between) continues under its description.
QString wrapText(const QString &text, int width);

// Rows of "term  description": terms indented by 2, descriptions from
// column `column` (or on the next line there when the term is too long),
// wrapped with a hanging indent.
QString twoColumns(const QList<std::pair<QString, QString>> &rows, int width, int column = 30);

// A command's one-line summary: the first sentence of its description,
// whole, without its full stop. A '.' ends a sentence when whitespace or
// the end follows and it is outside parentheses (".gz" and
// "connections.yaml" do not).
QString commandSummary(const Command &c);

// `statedeckctl help`, and `statedeckctl help COMMAND`, for `width` columns.
QString overviewText(int width);
QString commandHelpText(const Command &c, int width);

} // namespace sd::ctl
