#include "console/Session.h"

#include "config/ConnectionsFile.h"
#include "config/StoreSpec.h"
#include "model/Codec.h"
#include "providers/Backends.h"

#include <QCoreApplication>

namespace sd::console {

QString freshnessName(Freshness f)
{
    switch (f) {
    case Freshness::Connecting: return QCoreApplication::translate("Freshness", "Connecting");
    case Freshness::Live: return QCoreApplication::translate("Freshness", "Live");
    case Freshness::Reconnecting: return QCoreApplication::translate("Freshness", "Reconnecting");
    case Freshness::Resyncing: return QCoreApplication::translate("Freshness", "Resyncing");
    case Freshness::Stale: return QCoreApplication::translate("Freshness", "Stale");
    case Freshness::Unwatched: return QCoreApplication::translate("Freshness", "Not watched");
    }
    return {};
}

Tone FreshnessState::tone() const
{
    switch (state) {
    case Freshness::Live: return Tone::Good;
    case Freshness::Connecting:
    case Freshness::Resyncing: return Tone::Warning;
    case Freshness::Reconnecting:
    case Freshness::Stale: return Tone::Stale;
    case Freshness::Unwatched: return Tone::Muted;
    }
    return Tone::Normal;
}

namespace {

QString clock(const QDateTime &t)
{
    return t.isValid() ? t.toLocalTime().toString(QStringLiteral("HH:mm:ss")) : QStringLiteral("?");
}

} // namespace

QString FreshnessState::text(const QDateTime &now) const
{
    const QString name = freshnessName(state);
    switch (state) {
    case Freshness::Live:
    case Freshness::Connecting:
        return name;
    case Freshness::Resyncing:
        return QCoreApplication::translate("Freshness", "%1 since %2").arg(name, clock(since));
    case Freshness::Reconnecting: {
        QString s = QCoreApplication::translate("Freshness", "%1 since %2").arg(name, clock(since));
        if (nextRetry.isValid()) {
            const qint64 secs = std::max<qint64>(0, (now.msecsTo(nextRetry) + 999) / 1000);
            s += QCoreApplication::translate("Freshness", " (next retry in %1 s)").arg(secs);
        }
        if (!lastError.message.isEmpty())
            s += QStringLiteral(": ") + lastError.message;
        return s;
    }
    case Freshness::Stale: {
        QString s = QCoreApplication::translate("Freshness", "%1 since %2").arg(name, clock(since));
        if (!lastRevision.isEmpty())
            s += QCoreApplication::translate("Freshness", " (last good revision %1)").arg(lastRevision);
        if (!lastError.message.isEmpty())
            s += QStringLiteral(": ") + lastError.message;
        return s;
    }
    case Freshness::Unwatched:
        return QCoreApplication::translate("Freshness", "%1: as read at %2").arg(name, clock(since));
    }
    return name;
}

Result<std::unique_ptr<Session>> Session::open(const QString &storeOrConnection, SessionOptions options, QObject *parent)
{
    Result<StoreSpec> spec = resolveStore(storeOrConnection);
    if (!spec.ok())
        return spec.error();
    const QString name = storeOrConnection.isEmpty() ? QString() : storeOrConnection;
    return open(spec.value(), name, std::move(options), parent);
}

Result<std::unique_ptr<Session>> Session::open(const StoreSpec &spec, const QString &name, SessionOptions options,
                                               QObject *parent)
{
    StoreSpec effective = spec;
    effective.readOnly = spec.readOnly || options.readOnly;
    // What a read-only refusal names: the connection as the user calls it.
    if (effective.connection.isEmpty() && !name.isEmpty())
        effective.connection = name;
    Result<std::unique_ptr<Provider>> provider = openProvider(effective);
    if (!provider.ok())
        return provider.error();
    std::unique_ptr<Provider> p = std::move(provider).value();
    const QString shown = name.isEmpty() ? p->describe() : name;
    auto session = std::make_unique<Session>(std::move(p), shown, std::move(options), parent);
    *session->m_spec = effective;
    return session;
}

QFuture<Result<QByteArray>> Session::valueBytes(const QString &key) const
{
    return m_provider->get(key).then([](Result<Entry> r) -> Result<QByteArray> {
        if (!r.ok())
            return r.error();
        return encodeValue(r.value());
    });
}

Result<std::unique_ptr<Session>> Session::reopenedWith(const QString &option, const QString &value) const
{
    if (m_spec->backend != QLatin1String("kubernetes"))
        return Error(ErrorKind::Invalid,
                     QCoreApplication::translate("Session", "%1 is not a Kubernetes connection").arg(m_name));
    if (value.isEmpty())
        return Error(ErrorKind::Invalid, QCoreApplication::translate("Session", "name a value for %1").arg(option));
    StoreSpec spec = *m_spec;
    spec.options.insert(option, value);
    // ConfigMaps of a namespace have no Secret name.
    if (option == QLatin1String("resource"))
        spec.options.remove(QStringLiteral("secretName"));
    SessionOptions o = m_options;
    o.readOnly = m_caps.readOnly;
    // A session named by its URL (k8s://CTX/NS/configmaps) takes the new
    // URL as its name: the old one would name what it no longer shows.
    if (m_name == describe()) {
        spec.connection.clear();
        return open(spec, QString(), o, parent());
    }
    return open(spec, m_name, o, parent());
}

Session::Session(std::unique_ptr<Provider> provider, QString name, SessionOptions options, QObject *parent)
    : QObject(parent), m_provider(std::move(provider)), m_caps(m_provider->capabilities()), m_name(std::move(name)),
      m_options(std::move(options)), m_backoff(m_options.firstBackoff)
{
    m_spec = std::make_unique<StoreSpec>();
    qRegisterMetaType<FreshnessState>();
    m_fresh.since = QDateTime::currentDateTimeUtc();
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] { openWatch(); });
}

Session::~Session()
{
    // The watch belongs to the provider's connections: it goes first.
    dropWatch();
}

void Session::start()
{
    if (m_caps.watch == WatchKind::None) {
        setState(Freshness::Unwatched);
        return;
    }
    openWatch();
}

void Session::reconnect()
{
    if (m_caps.watch == WatchKind::None) {
        // "As read at" now: the views read again.
        m_fresh.state = Freshness::Connecting;
        setState(Freshness::Unwatched);
        Q_EMIT relistNeeded();
        return;
    }
    m_retry.stop();
    m_backoff = m_options.firstBackoff;
    m_fresh.attempts = 0;
    dropWatch();
    setState(Freshness::Connecting);
    openWatch();
}

void Session::dropWatch()
{
    if (m_watch) {
        m_watch->disconnect(this);
        m_watch.reset();
    }
}

void Session::openWatch()
{
    dropWatch();
    // From the last revision seen, so a store that keeps history resumes
    // (or says Resync); with none, the watch starts from now and whatever
    // happened meanwhile is unknown, unless this is the first start.
    const bool firstStart = m_fresh.state == Freshness::Connecting && m_fresh.attempts == 0;
    m_relistOnReady = !firstStart && m_fresh.lastRevision.isEmpty();
    m_watch = m_provider->watch(m_options.watchPrefix, m_fresh.lastRevision);
    if (!m_watch) {
        setState(Freshness::Unwatched);
        return;
    }
    Watch *w = m_watch.get();
    connect(w, &Watch::ready, this, [this] {
        m_backoff = m_options.firstBackoff;
        m_fresh.attempts = 0;
        if (m_fresh.state != Freshness::Resyncing)
            setState(Freshness::Live);
        if (m_relistOnReady) {
            m_relistOnReady = false;
            Q_EMIT relistNeeded();
        }
    });
    connect(w, &Watch::event, this, &Session::onEvent);
    connect(w, &Watch::progress, this, [this](const QString &revision) { m_fresh.lastRevision = revision; });
    connect(w, &Watch::interrupted, this, &Session::onInterrupted);
    connect(w, &Watch::resumed, this, [this] {
        m_backoff = m_options.firstBackoff;
        m_fresh.attempts = 0;
        if (m_fresh.state == Freshness::Reconnecting)
            setState(Freshness::Live);
    });
    connect(w, &Watch::failed, this, &Session::onFailed);
}

void Session::setState(Freshness f, const Error &why)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (f == Freshness::Live)
        m_fresh.lastGood = now;
    // A state that goes on (Reconnecting after another failed attempt)
    // keeps its start: the banner says since when it has been so.
    if (f != m_fresh.state)
        m_fresh.since = now;
    m_fresh.state = f;
    m_fresh.lastError = why;
    if (f != Freshness::Reconnecting) {
        m_fresh.nextRetry = QDateTime();
        m_fresh.retryDelay = std::chrono::milliseconds(0);
    }
    Q_EMIT freshnessChanged(m_fresh);
}

void Session::onEvent(const Event &e)
{
    if (!e.revision.isEmpty())
        m_fresh.lastRevision = e.revision;
    if (e.type == Event::Type::Resync)
        setState(Freshness::Resyncing);
    // Events flowing mean the watch is connected, whatever it said before.
    else if (e.type == Event::Type::ResyncDone || m_fresh.state == Freshness::Reconnecting)
        setState(Freshness::Live);
    Q_EMIT event(e);
}

void Session::onInterrupted(const Error &why, const QDateTime &retryAt)
{
    ++m_fresh.attempts;
    m_fresh.nextRetry = retryAt;
    m_fresh.retryDelay = std::chrono::milliseconds(0);
    setState(Freshness::Reconnecting, why);
}

void Session::onFailed(const Error &why)
{
    dropWatch();
    switch (why.kind) {
    case ErrorKind::Unauthorized:
    case ErrorKind::Forbidden:
    case ErrorKind::Invalid:
    case ErrorKind::Unsupported:
        // Retrying would fail the same way: the user acts (reconnect()).
        setState(Freshness::Stale, why);
        return;
    default:
        scheduleReconnect(why);
    }
}

void Session::scheduleReconnect(const Error &why)
{
    ++m_fresh.attempts;
    m_fresh.nextRetry = QDateTime::currentDateTimeUtc().addMSecs(m_backoff.count());
    m_fresh.retryDelay = m_backoff;
    setState(Freshness::Reconnecting, why);
    m_retry.start(m_backoff);
    m_backoff = std::min(m_backoff * 2, m_options.maxBackoff);
}

} // namespace sd::console
