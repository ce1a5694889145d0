#include "console/Job.h"

namespace sd::console {

Job::Job(bool dryRun, QObject *parent) : QObject(parent), m_report(new JobReportModel(this)), m_dryRun(dryRun)
{
    m_report->setDryRun(dryRun);
}

Job::~Job() = default;

QString Job::stateName(State state)
{
    switch (state) {
    case State::Pending: return QStringLiteral("pending");
    case State::Running: return QStringLiteral("running");
    case State::Succeeded: return QStringLiteral("succeeded");
    case State::Failed: return QStringLiteral("failed");
    case State::Cancelled: return QStringLiteral("cancelled");
    }
    return {};
}

bool Job::isFinished() const
{
    return m_state == State::Succeeded || m_state == State::Failed || m_state == State::Cancelled;
}

Tone Job::tone() const
{
    switch (m_state) {
    case State::Succeeded: return m_report->summary().clean() ? Tone::Good : Tone::Warning;
    case State::Failed: return Tone::Error;
    case State::Cancelled: return Tone::Muted;
    default: return Tone::Normal;
    }
}

QString Job::outcomeText() const
{
    QString kindTitle = kind();
    if (!kindTitle.isEmpty())
        kindTitle[0] = kindTitle.at(0).toUpper();
    switch (m_state) {
    case State::Succeeded: return m_report->summary().text();
    case State::Failed: return tr("%1 failed: %2").arg(kindTitle, m_error ? m_error->toString() : QString());
    // Every provider write is whole or absent, and a run again skips
    // what is already there: that is what a user needs to hear.
    case State::Cancelled:
        return tr("%1 cancelled: nothing is half-written; running it again completes it.").arg(kindTitle);
    default: return QString();
    }
}

namespace {
QString clock(double s)
{
    if (s < 0)
        return QStringLiteral("?");
    const qint64 n = qint64(s + 0.5);
    const QString mmss =
        QStringLiteral("%1:%2").arg(n / 60 % 60, n >= 3600 ? 2 : 1, 10, QLatin1Char('0')).arg(n % 60, 2, 10, QLatin1Char('0'));
    return n >= 3600 ? QStringLiteral("%1:%2").arg(n / 3600).arg(mmss) : mmss;
}
} // namespace

QString Job::policyText(ConflictPolicy policy)
{
    switch (policy) {
    case ConflictPolicy::Fail: return tr("write nothing if any of the keys exists there already");
    case ConflictPolicy::Skip: return tr("skip the keys the target holds already");
    case ConflictPolicy::Overwrite: return tr("overwrite what differs (the old values are backed up)");
    }
    return {};
}

QString Job::progressText(const TransferProgress &p)
{
    // Pass 1 of an import reads the file: bytes, not entries.
    const bool bytes = p.phase == QLatin1String("verify-file");
    auto amount = [bytes](double n) {
        return bytes ? QString::number(n / (1024.0 * 1024.0), 'f', 1) : QString::number(qint64(n));
    };
    QString s = QStringLiteral("%1 %2").arg(p.phase, amount(double(p.done)));
    const QString unit = bytes ? QStringLiteral("MiB") : QStringLiteral("entries");
    if (p.total >= 0)
        s += QStringLiteral("/%1 %2 (%3%)").arg(amount(double(p.total)), unit).arg(p.total > 0 ? p.done * 100 / p.total : 100);
    else
        s += QLatin1Char(' ') + unit;
    if (p.rate > 0)
        s += QStringLiteral("  %1%2/s").arg(amount(p.rate), bytes ? QStringLiteral(" MiB") : QString());
    if (p.eta >= 0)
        s += QStringLiteral("  ETA %1").arg(clock(p.eta));
    return s;
}

QString Job::progressLine() const
{
    TransferProgress p = m_progress;
    if (isFinished()) {
        p.rate = 0;
        p.eta = -1;
    }
    return progressText(p);
}

void Job::start()
{
    if (m_state != State::Pending)
        return;
    setState(State::Running);
    begin();
}

void Job::cancel()
{
    if (m_state == State::Pending) {
        m_error = Error(ErrorKind::Cancelled, QStringLiteral("cancelled before it started"));
        setState(State::Cancelled);
        Q_EMIT finished(m_state);
        return;
    }
    if (m_state != State::Running || m_cancelling)
        return;
    m_cancelling = true;
    stop();
}

void Job::onProgress(const TransferProgress &progress)
{
    m_progress = progress;
    Q_EMIT progressChanged(m_progress);
}

void Job::onOutcome(const KeyOutcome &outcome)
{
    m_report->add(outcome, m_showValues);
}

void Job::addNotice(const QString &text)
{
    m_notices << text;
    Q_EMIT notice(text);
}

void Job::succeed(JobSummary summary)
{
    if (isFinished())
        return;
    m_report->setSummary(std::move(summary));
    m_cancelling = false;
    setState(State::Succeeded);
    Q_EMIT finished(m_state);
}

void Job::fail(const Error &error)
{
    if (isFinished())
        return;
    m_report->flush();
    m_error = error;
    m_cancelling = false;
    setState(error.kind == ErrorKind::Cancelled ? State::Cancelled : State::Failed);
    Q_EMIT finished(m_state);
}

void Job::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace sd::console
