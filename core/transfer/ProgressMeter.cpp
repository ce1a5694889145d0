#include "transfer/ProgressMeter.h"

namespace sd {
namespace {
constexpr qint64 kWindowMs = 5000;
}

ProgressMeter::ProgressMeter(QString phase) : m_phase(std::move(phase))
{
    m_clock.start();
    m_samples.emplace_back(0, 0);
}

TransferProgress ProgressMeter::update(qint64 done, qint64 bytes)
{
    const qint64 now = m_clock.elapsed();
    m_samples.emplace_back(now, done);
    while (m_samples.size() > 2 && now - m_samples[1].first >= kWindowMs)
        m_samples.pop_front();
    TransferProgress p;
    p.phase = m_phase;
    p.done = done;
    p.total = m_total;
    p.bytes = bytes;
    const auto &[t0, d0] = m_samples.front();
    const double seconds = double(now - t0) / 1000.0;
    if (seconds > 0.05)
        p.rate = double(done - d0) / seconds;
    if (m_total >= 0 && p.rate > 0)
        p.eta = double(std::max<qint64>(0, m_total - done)) / p.rate;
    else if (m_total >= 0 && done >= m_total)
        p.eta = 0;
    return p;
}

} // namespace sd
