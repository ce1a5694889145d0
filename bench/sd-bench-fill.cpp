// Writes COUNT small JSON entries through a provider with at most WINDOW
// requests in flight (default 256), and prints the rate. The event loop runs
// throughout: network providers (redis, etcd) answer through it, so waiting
// on a future without it would never end.
//   sd-bench-fill BACKEND COUNT [option=value ...] [--prefix P] [--window N]
#include "providers/Backends.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFutureWatcher>

#include <cstdio>

using namespace sd;

namespace {

QString takeOption(QStringList &args, const QString &name, const QString &fallback)
{
    const qsizetype i = args.indexOf(name);
    if (i <= 0 || i + 1 >= args.size())
        return fallback;
    const QString value = args.at(i + 1);
    args.remove(i, 2);
    return value;
}

// Keeps `window` puts in flight until `count` have been answered.
class Filler : public QObject {
public:
    Filler(Provider &provider, QString prefix, int count, int window)
        : m_provider(provider), m_prefix(std::move(prefix)), m_count(count), m_window(window)
    {
    }

    void start()
    {
        m_timer.start();
        for (int i = 0; i < m_window && m_next < m_count; ++i)
            sendNext();
        if (m_count == 0)
            QCoreApplication::exit(0);
    }

    int failures() const { return m_failures; }
    double seconds() const { return double(m_timer.nsecsElapsed()) / 1e9; }

private:
    void sendNext()
    {
        const int i = m_next++;
        Entry e;
        e.key = m_prefix + QStringLiteral("%1").arg(i, 8, 10, QLatin1Char('0'));
        e.value = Json{{"id", i}, {"name", "entry-" + std::to_string(i)}, {"enabled", i % 2 == 0}};
        m_provider.put(e, {}).then(this, [this](const Result<Entry> &r) { answered(r); });
    }

    void answered(const Result<Entry> &r)
    {
        if (!r.ok() && m_failures++ == 0)
            std::fprintf(stderr, "first failure: %s\n", qPrintable(r.error().toString()));
        ++m_done;
        if (m_next < m_count)
            sendNext();
        else if (m_done == m_count)
            QCoreApplication::exit(m_failures ? 1 : 0);
    }

    Provider &m_provider;
    QString m_prefix;
    int m_count;
    int m_window;
    int m_next = 0;
    int m_done = 0;
    int m_failures = 0;
    QElapsedTimer m_timer;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    const QString prefix = takeOption(args, QStringLiteral("--prefix"), QStringLiteral("bench/"));
    const int window = qMax(1, takeOption(args, QStringLiteral("--window"), QStringLiteral("256")).toInt());
    if (args.size() < 3) {
        std::fprintf(stderr, "usage: sd-bench-fill BACKEND COUNT [option=value ...] [--prefix P] [--window N]\n");
        return 2;
    }
    const StoreSpec spec = StoreSpec::fromOptionWords(args.at(1), args.mid(3));
    const int count = args.at(2).toInt();
    auto opened = openProvider(spec);
    if (!opened.ok()) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return 1;
    }
    std::unique_ptr<Provider> provider = std::move(opened).value();
    Filler filler(*provider, prefix, count, window);
    filler.start();
    const int rc = count == 0 ? 0 : app.exec();
    const double secs = filler.seconds();
    std::printf("%d puts in %.2f s: %.0f puts/s (%d failed)\n", count, secs, secs > 0 ? count / secs : 0.0,
                filler.failures());
    return rc;
}
