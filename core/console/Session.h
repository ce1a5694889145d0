#pragma once

#include "console/Roles.h"
#include "model/Entry.h"
#include "model/Result.h"
#include "providers/Provider.h"

#include <QDateTime>
#include <QObject>
#include <QTimer>

#include <chrono>
#include <memory>

namespace sd {
struct StoreSpec;
}

namespace sd::console {

// How fresh what a session shows is. Every banner comes from this.
enum class Freshness {
    Connecting,   // opened; the watch has not fixed its starting point yet
    Live,         // every change is being delivered
    Reconnecting, // the watch dropped; retrying (since, nextRetry)
    Resyncing,    // back, but history was lost: the whole state is being read again
    Stale,        // the watch stopped for good (credentials, permissions): data as of lastGood
    Unwatched,    // the store cannot be watched: data as of the last read
};

QString freshnessName(Freshness f);

struct FreshnessState {
    Freshness state = Freshness::Connecting;
    QDateTime since;        // when this state began (UTC)
    QDateTime nextRetry;    // Reconnecting: the next attempt (UTC); may be invalid
    QString lastRevision;   // the last store revision seen (events, progress)
    QDateTime lastGood;     // the last moment the data was known fresh (UTC)
    Error lastError;        // why it is not Live (Reconnecting, Stale)
    int attempts = 0;       // reconnection attempts since the last Live
    // Reconnecting by the session's own backoff: the wait before nextRetry
    // (firstBackoff, doubling to maxBackoff); 0 when the provider retries.
    std::chrono::milliseconds retryDelay{0};

    bool fresh() const { return state == Freshness::Live; }
    Tone tone() const;
    // One line for a banner or a header, relative to `now`:
    // "Live", "Reconnecting since 12:01:03 (next retry in 4 s): <why>",
    // "Resyncing since 12:01:09", "Stale since 12:01:03 (last good revision 42)".
    QString text(const QDateTime &now) const;
};

struct SessionOptions {
    // Open the store read-only whatever its connection says (--read-only):
    // the provider is wrapped so every write is refused in the core.
    bool readOnly = false;
    // Watch only under this prefix ("" for the whole store).
    QString watchPrefix;
    // Backoff of the session's own reconnections (a watch that failed for
    // good on a transient error): doubling from the first to the maximum.
    std::chrono::milliseconds firstBackoff{500};
    std::chrono::milliseconds maxBackoff{30000};
};

// One open connection: the provider, what it can do, whether it may be
// written, and how fresh the data shown from it is. It owns the one watch
// of the store and hands its events to every model (KeyModel, EventLog), so
// all views of a session agree on what happened.
class Session : public QObject {
    Q_OBJECT
public:
    // Opens a store the way statedeckctl does: a connections.yaml name, a
    // URL or a path, or "" for the current connection (else the embedded
    // SQLite store). The error names the problem as the CLI's does.
    static Result<std::unique_ptr<Session>> open(const QString &storeOrConnection, SessionOptions options = {},
                                                 QObject *parent = nullptr);
    static Result<std::unique_ptr<Session>> open(const StoreSpec &spec, const QString &name,
                                                 SessionOptions options = {}, QObject *parent = nullptr);

    Session(std::unique_ptr<Provider> provider, QString name, SessionOptions options = {}, QObject *parent = nullptr);
    ~Session() override;

    Provider *provider() const { return m_provider.get(); }
    Capabilities capabilities() const { return m_caps; }
    // The connection's name, or the store as describe() shows it.
    QString name() const { return m_name; }
    QString describe() const { return m_provider->describe(); }
    // What it was opened from (empty for a session made from a provider).
    const StoreSpec &spec() const { return *m_spec; }
    // The same connection with one option changed, as a new session: a
    // Kubernetes connection's `namespace` (:ns) or `resource`
    // (configmaps or secrets: :cm, :secrets). Invalid, saying so, for
    // other backends or an empty value.
    Result<std::unique_ptr<Session>> reopenedWith(const QString &option, const QString &value) const;
    // A key's value as the store holds its bytes (what a clipboard gets).
    QFuture<Result<QByteArray>> valueBytes(const QString &key) const;
    bool readOnly() const { return m_caps.readOnly; }

    const FreshnessState &freshness() const { return m_fresh; }

    // Starts watching (Connecting, then Live once the watch is ready).
    // Stores without a watch are Unwatched from the start.
    void start();
    // Drops the watch and starts again now (a user's "reconnect"), keeping
    // the last revision so nothing is missed where the store keeps history.
    void reconnect();

Q_SIGNALS:
    void freshnessChanged(const sd::console::FreshnessState &state);
    // Every watch event, in store order (Resync, Added..., ResyncDone included).
    void event(const sd::Event &event);
    // Changes may have been missed and no Resync will say so (a watch
    // started again from now): models read the store again.
    void relistNeeded();

private:
    void openWatch();
    void dropWatch();
    void setState(Freshness f, const Error &why = Error(ErrorKind::Internal, QString()));
    void onEvent(const Event &e);
    void onInterrupted(const Error &why, const QDateTime &retryAt);
    void onFailed(const Error &why);
    void scheduleReconnect(const Error &why);

    std::unique_ptr<Provider> m_provider;
    std::unique_ptr<StoreSpec> m_spec;
    Capabilities m_caps;
    QString m_name;
    SessionOptions m_options;
    FreshnessState m_fresh;
    std::unique_ptr<Watch> m_watch;
    QTimer m_retry;
    std::chrono::milliseconds m_backoff;
    bool m_relistOnReady = false; // the next watch starts from now: models relist when it is ready
};

} // namespace sd::console

Q_DECLARE_METATYPE(sd::console::FreshnessState)
