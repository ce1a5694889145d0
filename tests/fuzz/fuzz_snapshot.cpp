// Snapshot files, plain, gzip and encrypted: the reader refuses anything an
// export did not write with an error, reading in bounded memory; it never
// crashes.
#include "FuzzTarget.h"

#include "snapshot/SnapshotCipher.h"
#include "transfer/SnapshotReader.h"
#include "transfer/SnapshotWriter.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

using namespace sd;

namespace {

// The seeds in tests/fuzz/corpus/snapshot were sealed with this passphrase at
// the lowest iteration count, so a run can unlock them quickly.
const QByteArray kPassphrase = "fuzz-passphrase";

QString scratchFile()
{
    static QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/sd-fuzz-snapshot-XXXXXX"));
    return dir.filePath(QStringLiteral("input.jsonl"));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString path = scratchFile();
    {
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            fuzz::fail("cannot write the scratch file", __FILE__, __LINE__);
        f.write(reinterpret_cast<const char *>(data), qint64(size));
    }
    auto reader = SnapshotReader::open(path);
    if (!reader.ok()) {
        FUZZ_CHECK(!reader.error().message.isEmpty());
        return 0;
    }
    std::shared_ptr<const SnapshotCipher> cipher;
    if (reader.value()->encrypted()) {
        // Deriving at a high count costs seconds a run: only the seeds' own.
        if (reader.value()->manifest().encryption->iterations != SnapshotCipher::kMinIterations)
            return 0;
        auto unlocked = reader.value()->unlock(kPassphrase);
        if (!unlocked.ok())
            return 0;
        cipher = unlocked.value();
        if (!reader.value()->setCipher(cipher).ok())
            return 0;
    }
    // Each entry line is one line of the input, so this bounds the loop.
    for (size_t i = 0; i <= size; ++i) {
        auto next = reader.value()->next();
        if (!next.ok() || !next.value())
            break;
    }
    (void)verifySnapshot(path, cipher);
    return 0;
}
