#pragma once

#include "model/Entry.h"
#include "model/Result.h"

#include <QDateTime>

#include <memory>
#include <optional>

namespace sd {

class SnapshotCipher;

// The snapshot format, version 1 (docs/snapshots.md): JSON lines.
//   line 1      the manifest
//   lines 2..   one entry each
//   last line   the trailer: the entry count and a SHA-256 over the entry
//               lines (their bytes, newlines included)
inline constexpr char kSnapshotFormat[] = "statedeck-snapshot";
constexpr int kSnapshotVersion = 1;
// No line of a snapshot is longer: a 1 MiB value escaped as JSON, sealed and
// base64-encoded stays well below it.
constexpr qsizetype kMaxSnapshotLine = 64 * 1024 * 1024;

struct SnapshotEncryption {
    QString cipher = QStringLiteral("aes-256-gcm");
    QString kdf = QStringLiteral("pbkdf2-hmac-sha256");
    int iterations = 0;
    QByteArray salt;
    QByteArray check; // a known text sealed under the key (SnapshotCipher::makeCheck)
};

struct SnapshotManifest {
    QString source;       // the store, as Provider::describe() shows it (never a password)
    QString sourceScheme; // "redis", "yaml", ...
    QString prefix;       // the keys exported are those under it
    QDateTime created;
    qint64 entries = -1;  // -1 until the writer knows it
    QString keyEncoding = QStringLiteral("utf-8");
    QString keySeparator; // the source's form of hierarchical keys (translateKey)
    std::optional<SnapshotEncryption> encryption;
    // The source held secrets (a Kubernetes Secret store): whoever shows the
    // entries masks them, even when they are not sealed.
    bool sensitive = false;
};

class SnapshotCipher;

// A fresh key for sealing a snapshot: a random salt, the key derived from
// the passphrase (slow on purpose: call it off the event loop's thread), and
// the manifest's encryption block that lets a reader derive it again.
struct SnapshotKey {
    SnapshotEncryption encryption;
    std::shared_ptr<const SnapshotCipher> cipher;
};
Result<SnapshotKey> newSnapshotKey(const QByteArray &passphrase, int iterations);

// The manifest as its line (with '\n'). Its length does not depend on the
// entry count, so the count can be filled in when the export ends.
QByteArray manifestLine(const SnapshotManifest &m);
// `unfinished`: accept the count placeholder of a file still being written
// (a backup being continued after a crash).
Result<SnapshotManifest> parseManifest(const QByteArray &line, const QString &where, bool unfinished = false);

struct SnapshotTrailer {
    qint64 entries = 0;
    QString sha256; // hex
};
QByteArray trailerLine(const SnapshotTrailer &t);

// One entry as its line (with '\n'); values sealed when `cipher` is given.
Result<QByteArray> entryLine(const Entry &e, const SnapshotCipher *cipher);

// A parsed line after the manifest: an entry or the trailer.
struct SnapshotRecord {
    std::optional<Entry> entry;
    std::optional<SnapshotTrailer> trailer;
};
// `where` is "file:line". Every field is checked; a sealed value is opened
// (so a tampered ciphertext fails here, naming the key).
Result<SnapshotRecord> parseRecord(const QByteArray &line, const SnapshotCipher *cipher, const QString &where);

} // namespace sd
