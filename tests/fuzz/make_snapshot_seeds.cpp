// Writes the seed snapshots of the `snapshot` fuzz target: plain, gzip,
// encrypted and encrypted+gzip, each with entries in every encoding, sealed
// (when encrypted) at the lowest PBKDF2 count so a fuzz run unlocks them in
// about a millisecond. Usage: sd-fuzz-snapshot-seeds OUTPUT_DIR
#include "model/Codec.h"
#include "snapshot/SnapshotCipher.h"
#include "snapshot/SnapshotFormat.h"
#include "transfer/SnapshotWriter.h"

#include <QDateTime>
#include <QDir>

#include <cstdio>

using namespace sd;

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: sd-fuzz-snapshot-seeds OUTPUT_DIR\n");
        return 2;
    }
    const QDir out(QString::fromLocal8Bit(argv[1]));
    QList<Entry> entries;
    entries << entryFromBytes(QStringLiteral("app/config"), R"({"replicas":3,"name":"web","tags":["a","b"]})");
    entries << entryFromBytes(QStringLiteral("app/text"), "plain text value");
    entries << entryFromBytes(QStringLiteral("app/binary"), QByteArray("\x00\xff\x10\x80", 4));
    Entry yaml;
    yaml.key = QStringLiteral("app/yaml");
    yaml.encoding = Encoding::Yaml;
    yaml.raw = "key: value\nlist:\n  - 1\n  - two\n";
    yaml.value = decodeValue(yaml.raw, Encoding::Yaml, yaml.key).value();
    entries << yaml;

    for (const bool encrypted : {false, true}) {
        for (const bool gzip : {false, true}) {
            SnapshotManifest m;
            m.source = QStringLiteral("sqlite:///fuzz/state.db");
            m.sourceScheme = QStringLiteral("sqlite");
            m.created = QDateTime::fromSecsSinceEpoch(1800000000, Qt::UTC);
            m.sensitive = encrypted;
            std::shared_ptr<const SnapshotCipher> cipher;
            if (encrypted) {
                auto key = newSnapshotKey("fuzz-passphrase", SnapshotCipher::kMinIterations);
                if (!key.ok()) {
                    std::fprintf(stderr, "%s\n", qPrintable(key.error().message));
                    return 1;
                }
                m.encryption = key->encryption;
                cipher = key->cipher;
            }
            const QString name = QStringLiteral("seed-%1%2").arg(encrypted ? QStringLiteral("encrypted") : QStringLiteral("plain"),
                                                                 gzip ? QStringLiteral(".jsonl.gz") : QStringLiteral(".jsonl"));
            auto w = SnapshotWriter::create(out.filePath(name), m, cipher);
            if (!w.ok() || !w.value()->append(entries).ok() || !w.value()->commit().ok()) {
                std::fprintf(stderr, "cannot write %s\n", qPrintable(name));
                return 1;
            }
        }
    }
    return 0;
}
