#pragma once

#include "model/Result.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <vector>

struct redisAsyncContext;

namespace sd::redis {

// A reply of the RESP2 protocol, copied out of hiredis's redisReply so it can
// outlive the callback it arrived in.
struct Reply {
    enum class Type { Nil, Status, Error, Integer, String, Array };
    Type type = Type::Nil;
    QByteArray str;
    long long integer = 0;
    QList<Reply> elements;

    bool isNil() const { return type == Type::Nil; }
};

struct ConnectionOptions {
    QString host = QStringLiteral("127.0.0.1");
    int port = 6379;
    int database = 0;
    QString user;
    QString password; // never logged, never part of an error message
    // How keys split into a tree for browsing (Capabilities::keySeparator).
    QString separator = QStringLiteral(":");
};

// One hiredis asynchronous connection driven by the Qt event loop of the
// thread that owns it.
//
// hiredis ships adapters/qt.h, but it declares a Q_OBJECT class in a system
// header, which AUTOMOC never sees (and which would need moc run on
// /usr/include). We use our own adapter instead (RedisConnection.cpp):
// two QSocketNotifiers on the context's socket, which is all that adapter
// does.
//
// The connection is lazy: the first command connects, authenticates (AUTH
// [user] password), selects the database and PINGs; commands issued meanwhile
// wait in a queue and are sent once that handshake succeeded, or fail with
// its error. After the server goes away the next command connects again.
class Connection : public QObject {
    Q_OBJECT
public:
    using Callback = std::function<void(const Result<Reply> &)>;

    explicit Connection(ConnectionOptions options, QObject *parent = nullptr);
    ~Connection() override;

    // Sends one command. `cb` runs exactly once on this thread (unless the
    // connection is destroyed first). Replies come in the order commands were
    // issued, so several commands in a row are pipelined.
    void command(QList<QByteArray> argv, Callback cb);
    // PSUBSCRIBE: `cb` runs for the confirmation and every message after it,
    // until the connection drops (then once more with an Unavailable error).
    void psubscribe(const QByteArray &pattern, Callback cb);

    // Starts connecting now (a subscriber wants to know when it is up).
    void connectNow();
    // Drops the connection; the next command reconnects.
    void disconnectNow();
    bool isReady() const { return m_state == State::Ready; }

    QString hostPort() const;

    // The server has no EVAL_RO (Redis before 7.0): read scripts go by EVAL.
    bool lacksEvalRo() const { return m_lacksEvalRo; }
    void setLacksEvalRo() { m_lacksEvalRo = true; }

Q_SIGNALS:
    // The handshake succeeded.
    void ready();
    // The connection failed or was lost; `error` says why.
    void lost(const sd::Error &error);

private:
    enum class State { Idle, Connecting, Ready };
    struct Pending {
        QList<QByteArray> argv;
        Callback cb;
        bool subscribe = false;
    };
    struct CallbackBox; // what hiredis carries as privdata

    void startConnect();
    void send(Pending p);
    void handshakeStep(const Result<Reply> &r);
    void fail(const Error &error);
    Error mapErrorReply(const QByteArray &text) const;

    static void onConnect(const redisAsyncContext *ac, int status);
    static void onDisconnect(const redisAsyncContext *ac, int status);
    static void onReply(redisAsyncContext *ac, void *reply, void *privdata);

    ConnectionOptions m_options;
    redisAsyncContext *m_ctx = nullptr;
    State m_state = State::Idle;
    QList<Pending> m_queue;
    int m_handshakeLeft = 0;
    Error m_handshakeError;
    bool m_handshakeFailed = false;
    Error m_lastError;
    bool m_closing = false;
    bool m_lacksEvalRo = false;
    // Subscription callbacks live as long as the context that calls them.
    std::vector<std::unique_ptr<CallbackBox>> m_subscriptions;
};

} // namespace sd::redis
