#pragma once

#include "model/Entry.h"
#include "model/Result.h"

#include <QObject>
#include <QPointer>

#include <optional>

namespace sd::console {

class Session;

// One opened value, as an editor holds it:
//   base    the entry as read (its revision is the save's precondition);
//   mine    the text being edited, in JSON, YAML or plain text;
//   theirs  what the store holds after a save met someone else's change.
// Saving writes mine with atRevision(base). On a Conflict the document reads
// theirs and waits for a choice: take theirs, keep mine (written against
// theirs' revision), or merge (automatic where the two changes do not touch
// the same members, else text with conflict markers to resolve). The text
// being edited is never lost: takeTheirs() keeps it in discardedText().
//
// Values of a sensitive store (Secrets) are masked until reveal(): text()
// shows a placeholder and setText() is refused. Nothing here writes a file.
class EntryDocument : public QObject {
    Q_OBJECT
public:
    enum class State {
        Empty,    // nothing opened
        Loading,
        Clean,    // mine is base
        Modified, // mine differs from base
        Saving,
        Conflict, // a save found theirs; choose takeTheirs, keepMine or merge
        Failed,   // opening failed (error())
    };
    Q_ENUM(State)
    enum class Format { Json, Yaml, Text };
    Q_ENUM(Format)

    struct Validation {
        bool ok = true;
        int line = 0;   // 1-based, 0 when unknown
        int column = 0; // 1-based, 0 when unknown
        QString message;
    };

    explicit EntryDocument(Session *session, QObject *parent = nullptr);

    // Reads the key (async: Loading, then Clean or Failed).
    void open(const QString &key);
    // A key that does not exist yet: saving creates it (mustNotExist).
    void openNew(const QString &key, Format format = Format::Json);

    QString key() const { return m_key; }
    State state() const { return m_state; }
    bool isNew() const { return m_new; }
    const std::optional<Error> &error() const { return m_error; }
    const Entry &base() const { return m_base; }
    const std::optional<Entry> &theirs() const { return m_theirs; }

    Format format() const { return m_format; }
    // Converts mine to another form; refused (false, validation says why)
    // while mine does not parse.
    bool setFormat(Format format);

    bool sensitive() const;
    bool masked() const { return sensitive() && !m_revealed; }
    void reveal();
    void mask();

    // Mine, as edited (a placeholder while masked).
    QString text() const;
    QString baseText() const;
    QString theirsText() const;
    // False (and nothing changes) while masked.
    bool setText(const QString &text);
    bool dirty() const { return m_mineText != m_baseText; }
    Validation validation() const { return m_validation; }
    // A unified diff of base to mine ("" when equal); masked while masked.
    QString diff() const;
    // Mine as it would be written, or why it cannot be.
    Result<Json> parsedMine() const;

    // Writes mine with the base revision as precondition (async: Saving,
    // then Clean, Conflict, or back to Modified with error()).
    void save();
    // Deletes the key at the revision it was read at (async: Saving, then
    // Empty and removed()). When someone changed or deleted it meanwhile the
    // store refuses, failed() says so (Conflict or NotFound) and the
    // document stays as it was: nothing newer is deleted unseen.
    void remove();
    // Conflict resolutions.
    void takeTheirs();
    void keepMine();
    // True when merged without conflicts (mine holds the result, still to
    // be saved); false when mine now holds conflict markers to resolve.
    bool merge();
    bool hasConflictMarkers() const;
    // The text takeTheirs() replaced, so nothing typed is ever lost.
    QString discardedText() const { return m_discarded; }
    // Saves mine to a new file (mode 0600) under
    // $XDG_STATE_HOME/statedeck/edits/, so an edit that met a conflict
    // survives the editor and the program; answers its path. Refused
    // (Forbidden) for a secret, which never goes to a file in clear.
    Result<QString> keepMineAside() const;
    // The file name ending of a format: "json", "yaml", "txt".
    static QString fileExtension(Format format);

    static QString render(const Json &value, Format format);
    static Format naturalFormat(const Entry &e);

Q_SIGNALS:
    void stateChanged(sd::console::EntryDocument::State state);
    void textChanged();
    void saved(const sd::Entry &entry);
    void removed(const QString &key);
    // Opening or saving failed for a reason other than a conflict.
    void failed(const sd::Error &error);

private:
    void setState(State s);
    void loaded(const Entry &e);
    void validate();
    Result<Json> parseText(const QString &text) const;

    QPointer<Session> m_session;
    QString m_key;
    State m_state = State::Empty;
    bool m_new = false;
    bool m_revealed = false;
    Format m_format = Format::Json;
    Entry m_base;
    std::optional<Entry> m_theirs;
    QString m_baseText;
    QString m_mineText;
    QString m_discarded;
    Validation m_validation;
    std::optional<Error> m_error;
    quint64 m_generation = 0; // answers for an earlier open() drop out
};

} // namespace sd::console
