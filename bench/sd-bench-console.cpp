// Measures the console layer the way a front end uses it (issue 12):
//   keys URL              KeyModel over a store: time to the first page,
//                         time until the whole listing is loaded, peak RSS
//   filter URL            FilterModel over a fully loaded KeyModel: the
//                         event loop's longest stall while a filter is
//                         typed one character at a time
//   storm URL RATE SECS   synthetic watch events at RATE a second for SECS
//                         seconds into a loaded KeyModel, while a 1 ms timer
//                         measures the event loop's longest stall; checks
//                         that every event was applied
//   writes URL RATE SECS KEYS
//                         real writes through the provider at RATE a
//                         second for SECS seconds, cycling over KEYS keys
//                         storm:0..KEYS-1: a storm another process sees
// Prints one line of "name=value" pairs. Never used by tests.
#include "config/ConnectionsFile.h"
#include "console/FilterModel.h"
#include "console/KeyModel.h"
#include "console/Session.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTimer>

#include <cstdio>

using namespace sd;
using namespace sd::console;

namespace {

long peakRssKib()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLong();
    return -1;
}

// The longest gap between ticks of a 1 ms timer: how long the event loop
// was kept from anything else (a keypress, a repaint).
class StallMeter : public QObject {
public:
    StallMeter()
    {
        m_timer.setInterval(1);
        m_timer.setTimerType(Qt::PreciseTimer);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            if (m_last.isValid())
                m_worst = std::max(m_worst, m_last.nsecsElapsed() / 1000000.0);
            m_last.start();
        });
    }
    void start()
    {
        m_worst = 0;
        m_last.invalidate();
        m_timer.start();
    }
    double stop()
    {
        m_timer.stop();
        return m_worst;
    }

private:
    QTimer m_timer;
    QElapsedTimer m_last;
    double m_worst = 0;
};

std::unique_ptr<Session> openSession(const QString &url)
{
    auto s = Session::open(url);
    if (!s.ok()) {
        std::fprintf(stderr, "sd-bench-console: %s\n", qPrintable(s.error().toString()));
        std::exit(1);
    }
    return std::move(s).value();
}

bool loadAll(KeyModel &model, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    model.fetchAll();
    while (!model.listingComplete() && !model.listingError() && t.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    return model.listingComplete();
}

int keys(const QString &url, int pageSize)
{
    auto session = openSession(url);
    KeyModel model(session.get());
    model.setPageSize(pageSize);
    QElapsedTimer t;
    t.start();
    model.fetchMore({});
    while (model.rowCount() == 0 && !model.listingComplete() && t.elapsed() < 60000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    const double first = t.nsecsElapsed() / 1e9;
    if (!loadAll(model, 600000)) {
        std::fprintf(stderr, "sd-bench-console: listing did not complete\n");
        return 1;
    }
    const double all = t.nsecsElapsed() / 1e9;
    std::printf("keys=%lld first_page_s=%.3f complete_s=%.3f peak_rss_kib=%ld\n", model.loadedCount(), first, all,
                peakRssKib());
    return 0;
}

int filter(const QString &url)
{
    auto session = openSession(url);
    KeyModel model(session.get());
    model.setPageSize(5000);
    if (!loadAll(model, 600000))
        return 1;
    FilterModel proxy;
    proxy.setSourceModel(&model);
    proxy.sort(KeyModel::KeyColumn);
    StallMeter stall;
    double worstKey = 0;
    const QString typed = QStringLiteral("key:9999");
    for (int i = 1; i <= typed.size(); ++i) {
        stall.start();
        QElapsedTimer t;
        t.start();
        // One keystroke: the filter is applied, then the loop runs.
        QTimer::singleShot(0, &proxy, [&proxy, &typed, i] { proxy.setFilterText(typed.left(i)); });
        while (t.elapsed() < 30)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        worstKey = std::max(worstKey, stall.stop());
    }
    std::printf("rows=%lld shown=%d worst_keystroke_stall_ms=%.1f\n", model.loadedCount(), proxy.rowCount(),
                worstKey);
    return 0;
}

int storm(const QString &url, int rate, int seconds)
{
    auto session = openSession(url);
    KeyModel model(session.get());
    model.setPageSize(5000);
    if (!loadAll(model, 600000))
        return 1;
    const qint64 rows = model.loadedCount();
    // Events go through the session's own signal, as a watch delivers them:
    // new keys, so every one must end up as a row.
    const int total = rate * seconds;
    int sent = 0;
    QTimer feeder;
    feeder.setInterval(10);
    const int perTick = std::max(1, rate / 100);
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        for (int i = 0; i < perTick && sent < total; ++i, ++sent) {
            Event e;
            e.type = Event::Type::Added;
            e.entry.key = QStringLiteral("storm:%1").arg(sent);
            e.revision = QString::number(sent);
            Q_EMIT session->event(e);
        }
        if (sent >= total)
            feeder.stop();
    });
    StallMeter stall;
    QElapsedTimer t;
    t.start();
    stall.start();
    feeder.start();
    while ((feeder.isActive() || model.loadedCount() < rows + total) && t.elapsed() < 10000LL * seconds)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    const double worst = stall.stop();
    const double secs = t.nsecsElapsed() / 1e9;
    const qint64 applied = model.loadedCount() - rows;
    std::printf("rows=%lld events=%d applied=%lld lost=%lld events_per_s=%.0f worst_stall_ms=%.1f\n", rows, total,
                applied, qint64(total) - applied, applied / secs, worst);
    return applied == total ? 0 : 1;
}

int writes(const QString &url, int rate, int seconds, int keys)
{
    auto session = openSession(url);
    Provider *provider = session->provider();
    const int total = rate * seconds;
    const int perTick = std::max(1, rate / 100);
    int sent = 0, acked = 0, failed = 0;
    QTimer pacer;
    pacer.setInterval(10);
    QElapsedTimer t;
    QObject::connect(&pacer, &QTimer::timeout, [&] {
        // Paced by the clock, not by ticks: a late tick sends what is due.
        const qint64 due = std::min<qint64>(total, t.elapsed() * rate / 1000 + perTick);
        for (; sent < due && sent - acked - failed < 4096; ++sent) {
            Entry e;
            e.key = QStringLiteral("storm:%1").arg(sent % keys);
            e.value = Json{{"n", sent}};
            provider->put(e, Precondition::none()).then(QCoreApplication::instance(), [&](Result<Entry> r) {
                (r.ok() ? acked : failed) += 1;
            });
        }
        if (sent >= total)
            pacer.stop();
    });
    t.start();
    pacer.start();
    while ((pacer.isActive() || acked + failed < sent) && t.elapsed() < 3000LL * seconds)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    const double secs = t.nsecsElapsed() / 1e9;
    std::printf("writes=%d acked=%d failed=%d writes_per_s=%.0f\n", sent, acked, failed, acked / secs);
    return failed == 0 && acked == total ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList a = app.arguments();
    if (a.size() >= 3 && a[1] == QLatin1String("keys"))
        return keys(a[2], a.size() > 3 ? a[3].toInt() : 500);
    if (a.size() >= 3 && a[1] == QLatin1String("filter"))
        return filter(a[2]);
    if (a.size() >= 5 && a[1] == QLatin1String("storm"))
        return storm(a[2], a[3].toInt(), a[4].toInt());
    if (a.size() >= 6 && a[1] == QLatin1String("writes"))
        return writes(a[2], a[3].toInt(), a[4].toInt(), a[5].toInt());
    std::fprintf(stderr, "usage: sd-bench-console keys URL [PAGE] | filter URL | storm URL RATE SECONDS"
                         " | writes URL RATE SECONDS KEYS\n");
    return 2;
}
