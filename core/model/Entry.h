#pragma once

#include "model/Json.h"

#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>

namespace sd {

// How a backend holds a value. The value itself is always JSON in memory.
enum class Encoding {
    Json,   // UTF-8 JSON text
    Yaml,   // YAML text (files of seed 004)
    Text,   // arbitrary UTF-8 text; value is a JSON string
    Base64, // bytes that are not UTF-8; value is a JSON string of base64
};

QString encodingName(Encoding e);
bool parseEncoding(const QString &name, Encoding *out);

// One key and its value as a backend holds it.
struct Entry {
    QString key;
    Json value;
    Encoding encoding = Encoding::Json;
    // Opaque: compare for equality only (resourceVersion, mod_revision,
    // version counter, content hash, ETag).
    QString revision;
    QDateTime updated;
    QMap<QString, QString> labels;
    // Metadata beside the labels that only some backends keep (Kubernetes
    // annotations). A write sets the annotations given and keeps the others;
    // backends without them ignore this.
    QMap<QString, QString> annotations;
    // The bytes as read from the backend. While `value` still equals what
    // `raw` decodes to, writers store `raw` unchanged, so an unedited value
    // round-trips byte-identical.
    QByteArray raw;
};

// The condition a write is made under. A failed one is a Conflict (or
// AlreadyExists), never a silent overwrite.
struct Precondition {
    enum class Kind { None, MustNotExist, Revision };
    Kind kind = Kind::None;
    QString revision;

    static Precondition none() { return {}; }
    static Precondition mustNotExist() { return {Kind::MustNotExist, {}}; }
    static Precondition atRevision(const QString &rev) { return {Kind::Revision, rev}; }
};

// A change seen by a watch. Resync means history was lost: the consumer must
// treat what follows (Added events for every current entry, then
// `ResyncDone`) as the whole truth.
struct Event {
    enum class Type { Added, Modified, Deleted, Resync, ResyncDone };
    Type type = Type::Modified;
    Entry entry;       // key always; value for Added/Modified
    QString revision;  // store revision after this event, if the store has one
};

QString eventTypeName(Event::Type t);

} // namespace sd

Q_DECLARE_METATYPE(sd::Entry)
Q_DECLARE_METATYPE(sd::Event)
