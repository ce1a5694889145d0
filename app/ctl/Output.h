#pragma once

#include "model/Entry.h"
#include "model/Error.h"

#include <QStringList>

#include <cstdio>

namespace sd::ctl {

enum class Format { Table, Json, Yaml };

// Exit codes, documented in docs/cli.md.
enum ExitCode {
    ExitOk = 0,
    ExitError = 1,
    ExitUsage = 2,
    ExitNotFound = 3,
    ExitConflict = 4,
    // Remediation tasks (the seed's StateError kinds that are not the above):
    ExitMaxIterations = 5, // MaxIterationsReached
    ExitBadState = 6,      // DeserializationError: state.json does not parse
    ExitInvalidState = 7,  // ValidationError: the change is not allowed
    // verify (and migrate's verify pass): the two stores differ.
    ExitDiffers = 8,
    // export, import, migrate or verify stopped by Ctrl-C or SIGTERM, after cleaning up.
    ExitInterrupted = 130,
};
int exitCodeFor(const Error &e);

bool isTerminal(FILE *f);

void printOut(const QByteArray &bytes);
void printErr(const QString &line);
// "statedeckctl: error: where: message" plus, with `hints`, a hint for the
// kinds that have one (the key-level ones: a lock or a task needs others).
void printError(const Error &e, bool hints = true);

Json entryToJson(const Entry &e, bool withValue);

// A value the way `get` shows it by default: text as is, JSON pretty.
QByteArray valueForDisplay(const Entry &e);

// A plain-text table whose column widths come from the rows it is given.
class Table {
public:
    explicit Table(QStringList headers) : m_headers(std::move(headers)) {}
    void addRow(QStringList cells) { m_rows << std::move(cells); }
    // Prints the header only with the first call, so pages stream.
    void flush();

private:
    QStringList m_headers;
    QList<QStringList> m_rows;
    QList<int> m_widths;
    bool m_headerDone = false;
};

// A one-line progress counter on stderr, only on a terminal, at most ten
// redraws a second; silent in pipes and CI logs.
class Progress {
public:
    explicit Progress(bool enabled);
    ~Progress();
    void update(const QString &text);
    void done();

private:
    bool m_enabled;
    qint64 m_lastDrawMs = 0;
    bool m_drawn = false;
};

} // namespace sd::ctl
