#pragma once

#include "transfer/TransferTypes.h"

#include <QElapsedTimer>

#include <deque>
#include <utility>

namespace sd {

// Turns "N entries done" into a TransferProgress with a rate over the last
// few seconds (so a slow start or a pause does not distort it for long) and
// the ETA that rate gives.
class ProgressMeter {
public:
    explicit ProgressMeter(QString phase = {});
    void setPhase(const QString &phase) { m_phase = phase; }
    void setTotal(qint64 total) { m_total = total; }
    qint64 total() const { return m_total; }
    TransferProgress update(qint64 done, qint64 bytes = 0);

private:
    QString m_phase;
    qint64 m_total = -1;
    QElapsedTimer m_clock;
    std::deque<std::pair<qint64, qint64>> m_samples; // (ms, done)
};

} // namespace sd
