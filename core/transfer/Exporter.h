#pragma once

#include "transfer/ProgressMeter.h"
#include "transfer/SnapshotWriter.h"

#include <QFuture>
#include <QObject>
#include <QPromise>

#include <atomic>
#include <memory>

namespace sd {

class Provider;
class SerialWorker;

struct ExportOptions {
    QString path;   // ".gz" at the end: gzip
    QString prefix; // only keys under it
    // Non-empty: every value is sealed with AES-256-GCM under a key derived
    // from it (PBKDF2, `iterations`, a fresh random salt). Cleared from
    // memory once the key is derived.
    QByteArray passphrase;
    int iterations = 0; // 0: SnapshotCipher::kDefaultIterations
};

// Writes a store's entries under a prefix to a snapshot file, in constant
// memory: the listing is read a page at a time on the event loop's thread
// while a worker thread serialises, seals, hashes, compresses and writes the
// previous page (at most two pages are ever held). A count of the keys runs
// beside it so progress has a total and an ETA. Nothing appears at the
// path unless the export completes (see SnapshotWriter).
class Exporter : public QObject {
    Q_OBJECT
public:
    Exporter(Provider *source, ExportOptions options, QObject *parent = nullptr);
    ~Exporter() override;

    QFuture<Result<SnapshotSummary>> run();
    // Stops soon; the temporary file is removed and the run fails with
    // Cancelled.
    void cancel();

Q_SIGNALS:
    void progress(const sd::TransferProgress &progress);

private:
    void listNext();
    void writePage(QList<Entry> entries, bool last);
    void fail(const Error &e);
    void succeed(const SnapshotSummary &s);

    struct State;
    Provider *m_source;
    ExportOptions m_options;
    std::shared_ptr<State> m_state;
    std::unique_ptr<SerialWorker> m_worker;
    QPromise<Result<SnapshotSummary>> m_promise;
    ProgressMeter m_meter{QStringLiteral("export")};
    QString m_cursor;
    int m_limit = 2; // kFirstPageEntries
    qint64 m_listed = 0;
    qint64 m_written = 0;
    int m_writesInFlight = 0;
    bool m_listing = false;
    bool m_listedAll = false;
    bool m_finished = false;
    std::atomic<bool> m_cancelled{false};
};

} // namespace sd
