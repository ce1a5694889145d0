#pragma once

#include "model/Entry.h"
#include "model/Result.h"

namespace sd {

// Bytes -> JSON value according to an encoding. `where` names the source in
// errors (a file path, a key).
Result<Json> decodeValue(const QByteArray &bytes, Encoding encoding, const QString &where);

// JSON value -> bytes. Uses entry.raw when it still decodes to entry.value.
QByteArray encodeValue(const Entry &entry);

// Canonical compact serialisation, used for sizes and hashes.
QByteArray compactJson(const Json &value);

// Guess how to hold bytes that arrive without an encoding (CLI input):
// JSON if it parses, else text if valid UTF-8, else base64.
Entry entryFromBytes(const QString &key, const QByteArray &bytes);

// A short, stable content hash used as the revision of file-backed entries.
QString contentRevision(const QByteArray &bytes);

// The largest value a StateStore accepts (seed 001, and a ConfigMap's limit).
constexpr qsizetype kMaxValueBytes = 1024 * 1024;

} // namespace sd
