#pragma once

#include "model/Result.h"

#include <QByteArray>
#include <QFuture>
#include <QList>
#include <QString>
#include <QStringList>

#include <chrono>

namespace sd::console {

// One connection as the add and edit dialogs show it. The store is a URL or
// path; a connection written another way (workerConfig, state_management,
// backend with options) keeps that as it is and only its other fields are
// edited here.
struct ConnectionDraft {
    QString name;
    QString url;        // as written: ${VAR} stays unexpanded
    QString otherStore; // "workerConfig: PATH" and the like, shown read-only; empty for a url connection
    QString description;
    bool readOnly = false;
    bool production = false;
    bool sensitive = false;
    QString color; // "#rrggbb" or empty
};

// What is wrong with one field of a draft, for a dialog to show beside it.
struct FieldProblem {
    QString field; // "name", "url", "color", or empty for the draft as a whole
    QString message;
};

// Adds, changes and removes connections in connections.yaml without
// disturbing the rest of the file: comments, blank lines, the order of
// connections and every field the dialogs do not show stay as written
// (YamlDocumentEditor does the edits; a renamed connection keeps its
// place). Every new text is read back with ConnectionsFile before it is
// written, and it is written atomically. If the file changed on disk since
// it was read (an editor, another statedeck), the write is refused: someone
// else's change is never overwritten.
class ConnectionEditor {
public:
    // Reads `path` (ConnectionsFile::defaultPath() when empty). A missing
    // file is an empty one; a file that does not parse is an error naming
    // FILE:LINE, and nothing can be edited until it is mended.
    static Result<ConnectionEditor> load(const QString &path = QString());

    QString path() const { return m_path; }
    QByteArray text() const { return m_text; }
    QStringList names() const;

    // The draft of an existing connection; NotFound naming it otherwise.
    Result<ConnectionDraft> draft(const QString &name) const;

    // Problems of `draft` as the dialog's fields would show them, checked as
    // the user types. `editing` is the connection being changed (empty when
    // adding one). Empty when the draft can be saved.
    QList<FieldProblem> check(const ConnectionDraft &draft, const QString &editing = QString()) const;

    // The file's new text with `draft` saved (added at the end when `editing`
    // is empty, else that connection changed in place, renamed when the name
    // differs; `current:` follows a rename). Invalid with the problem when
    // the draft does not check out.
    Result<QByteArray> textWith(const ConnectionDraft &draft, const QString &editing = QString()) const;
    // The file's new text without connection `name` (and without `current:`
    // when it named it).
    Result<QByteArray> textWithout(const QString &name) const;

    // textWith / textWithout, then write: the editor holds the new text.
    Status save(const ConnectionDraft &draft, const QString &editing = QString());
    Status remove(const QString &name);

    // Opens the store `draft` describes (as saved next to this file, so
    // relative paths and ${VAR} resolve as they will) and reads one page of
    // keys: a sentence saying what answered, or the error. Bounded by
    // `timeout`; never blocks the caller.
    QFuture<Result<QString>> test(const ConnectionDraft &draft, const QString &editing = QString(),
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

private:
    Status write(const QByteArray &text);

    QString m_path;
    QByteArray m_text;
    bool m_existed = false;
};

} // namespace sd::console
