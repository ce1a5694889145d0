#include "providers/redis/RedisConnection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <QPointer>
#include <QSocketNotifier>
#include <QTimer>

namespace sd::redis {
namespace {

// Our replacement for hiredis/adapters/qt.h (see RedisConnection.h for why):
// read and write readiness of the context's socket become calls into hiredis.
// hiredis tells us through the ev hooks when it wants to read or write.
class QtAdapter : public QObject {
public:
    explicit QtAdapter(redisAsyncContext *ac) : m_ac(ac)
    {
        const auto fd = qintptr(ac->c.fd);
        m_read = new QSocketNotifier(fd, QSocketNotifier::Read, this);
        m_write = new QSocketNotifier(fd, QSocketNotifier::Write, this);
        m_read->setEnabled(false);
        m_write->setEnabled(false);
        connect(m_read, &QSocketNotifier::activated, this, [this] {
            if (m_ac)
                redisAsyncHandleRead(m_ac);
        });
        connect(m_write, &QSocketNotifier::activated, this, [this] {
            if (m_ac)
                redisAsyncHandleWrite(m_ac);
        });
        ac->ev.data = this;
        ac->ev.addRead = [](void *d) { static_cast<QtAdapter *>(d)->m_read->setEnabled(true); };
        ac->ev.delRead = [](void *d) { static_cast<QtAdapter *>(d)->m_read->setEnabled(false); };
        ac->ev.addWrite = [](void *d) { static_cast<QtAdapter *>(d)->m_write->setEnabled(true); };
        ac->ev.delWrite = [](void *d) { static_cast<QtAdapter *>(d)->m_write->setEnabled(false); };
        // Called while hiredis frees the context, possibly from inside one of
        // our notifier handlers: detach now, delete later.
        ac->ev.cleanup = [](void *d) {
            auto *self = static_cast<QtAdapter *>(d);
            self->m_ac = nullptr;
            self->m_read->setEnabled(false);
            self->m_write->setEnabled(false);
            self->deleteLater();
        };
    }

private:
    redisAsyncContext *m_ac;
    QSocketNotifier *m_read;
    QSocketNotifier *m_write;
};

Reply copyReply(const redisReply *r)
{
    Reply out;
    switch (r->type) {
    case REDIS_REPLY_STRING:
        out.type = Reply::Type::String;
        out.str = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_STATUS:
        out.type = Reply::Type::Status;
        out.str = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_ERROR:
        out.type = Reply::Type::Error;
        out.str = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_INTEGER:
        out.type = Reply::Type::Integer;
        out.integer = r->integer;
        break;
    case REDIS_REPLY_ARRAY:
        out.type = Reply::Type::Array;
        for (size_t i = 0; i < r->elements; ++i)
            out.elements << copyReply(r->element[i]);
        break;
    default:
        out.type = Reply::Type::Nil;
    }
    return out;
}

} // namespace

struct Connection::CallbackBox {
    Callback cb;
    bool subscribe = false;
    bool handshake = false;
};

Connection::Connection(ConnectionOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options))
{
}

Connection::~Connection()
{
    m_closing = true;
    if (m_ctx) {
        redisAsyncContext *ac = m_ctx;
        m_ctx = nullptr;
        // Runs outstanding callbacks with no reply; onReply drops them.
        redisAsyncFree(ac);
    }
}

QString Connection::hostPort() const
{
    return m_options.host + QLatin1Char(':') + QString::number(m_options.port);
}

void Connection::connectNow()
{
    if (m_state == State::Idle)
        startConnect();
}

void Connection::disconnectNow()
{
    if (m_ctx)
        redisAsyncDisconnect(m_ctx);
}

void Connection::command(QList<QByteArray> argv, Callback cb)
{
    Pending p{std::move(argv), std::move(cb), false};
    if (m_state == State::Ready) {
        send(std::move(p));
        return;
    }
    m_queue << std::move(p);
    if (m_state == State::Idle)
        startConnect();
}

void Connection::psubscribe(const QByteArray &pattern, Callback cb)
{
    Pending p{{QByteArrayLiteral("PSUBSCRIBE"), pattern}, std::move(cb), true};
    if (m_state == State::Ready) {
        send(std::move(p));
        return;
    }
    m_queue << std::move(p);
    if (m_state == State::Idle)
        startConnect();
}

void Connection::startConnect()
{
    m_subscriptions.clear(); // the context that called them is gone
    m_lastError = Error();
    m_handshakeFailed = false;
    m_state = State::Connecting;
    redisAsyncContext *ac = redisAsyncConnect(m_options.host.toUtf8().constData(), m_options.port);
    if (!ac || ac->err) {
        const QString why = ac ? QString::fromUtf8(ac->errstr) : QStringLiteral("out of memory");
        if (ac)
            redisAsyncFree(ac);
        m_state = State::Idle;
        // Report on the next turn of the event loop: callers expect to be
        // called back after command() returned.
        QTimer::singleShot(0, this, [this, why] {
            fail(Error(ErrorKind::Unavailable, QStringLiteral("cannot connect to Redis: %1").arg(why), hostPort()));
        });
        return;
    }
    m_ctx = ac;
    ac->data = this;
    new QtAdapter(ac);
    redisAsyncSetConnectCallback(ac, &Connection::onConnect);
    redisAsyncSetDisconnectCallback(ac, &Connection::onDisconnect);

    // The handshake goes out first; hiredis buffers it until the socket is
    // connected. PING last: its answer proves the server speaks Redis.
    QList<QList<QByteArray>> steps;
    if (!m_options.password.isEmpty()) {
        if (m_options.user.isEmpty())
            steps << QList<QByteArray>{"AUTH", m_options.password.toUtf8()};
        else
            steps << QList<QByteArray>{"AUTH", m_options.user.toUtf8(), m_options.password.toUtf8()};
    }
    if (m_options.database != 0)
        steps << QList<QByteArray>{"SELECT", QByteArray::number(m_options.database)};
    steps << QList<QByteArray>{"PING"};
    m_handshakeLeft = int(steps.size());
    for (const auto &argv : steps) {
        std::vector<const char *> ptrs;
        std::vector<size_t> lens;
        for (const QByteArray &a : argv) {
            ptrs.push_back(a.constData());
            lens.push_back(size_t(a.size()));
        }
        auto *box = new CallbackBox{[this](const Result<Reply> &r) { handshakeStep(r); }, false, true};
        redisAsyncCommandArgv(ac, &Connection::onReply, box, int(ptrs.size()), ptrs.data(), lens.data());
    }
    // hiredis 0.14 has no timers: a server that accepts but never answers
    // (not Redis, or hung) would leave us waiting forever.
    QPointer<Connection> self(this);
    QTimer::singleShot(10000, this, [self, ac] {
        if (self && self->m_ctx == ac && self->m_state == State::Connecting) {
            self->m_lastError = Error(ErrorKind::Timeout,
                                      QStringLiteral("no answer to the Redis handshake within 10 s; is this a Redis "
                                                     "server?"),
                                      self->hostPort());
            redisAsyncDisconnect(ac);
        }
    });
}

Error Connection::mapErrorReply(const QByteArray &text) const
{
    const QString t = QString::fromUtf8(text);
    if (t.startsWith(QLatin1String("NOAUTH")))
        return Error(ErrorKind::Unauthorized,
                     QStringLiteral("the Redis server requires a password: give one in the URL "
                                    "(redis://[user:]password@host:port/db) or the \"password\" option"),
                     hostPort());
    if (t.startsWith(QLatin1String("WRONGPASS")) || t.contains(QLatin1String("invalid password")) ||
        t.contains(QLatin1String("invalid username-password")))
        return Error(ErrorKind::Unauthorized,
                     QStringLiteral("the Redis server refused the user name or password; check them"), hostPort());
    if (t.contains(QLatin1String("without any password configured")) ||
        t.contains(QLatin1String("no password is set")))
        return Error(ErrorKind::Unauthorized,
                     QStringLiteral("a password was given but this Redis server has none set; remove it from the "
                                    "URL or configure requirepass on the server"),
                     hostPort());
    if (t.startsWith(QLatin1String("NOPERM")))
        return Error(ErrorKind::Forbidden,
                     QStringLiteral("the Redis user may not run this command: %1").arg(t), hostPort());
    if (t.startsWith(QLatin1String("LOADING")) || t.startsWith(QLatin1String("BUSY")) ||
        t.startsWith(QLatin1String("MASTERDOWN")))
        return Error(ErrorKind::Unavailable, QStringLiteral("the Redis server is not ready: %1").arg(t), hostPort());
    if (t.startsWith(QLatin1String("READONLY")))
        return Error(ErrorKind::Forbidden, QStringLiteral("the Redis server is a read-only replica"), hostPort());
    if (t.startsWith(QLatin1String("ERR DB index")) || t.contains(QLatin1String("invalid DB index")))
        return Error(ErrorKind::Invalid,
                     QStringLiteral("the Redis server has no database %1").arg(m_options.database), hostPort());
    return Error(ErrorKind::Internal, QStringLiteral("Redis answered with an error: %1").arg(t), hostPort());
}

void Connection::handshakeStep(const Result<Reply> &r)
{
    if (!m_handshakeFailed) {
        if (!r.ok()) {
            m_handshakeFailed = true;
            m_handshakeError = r.error();
        } else if (r->type == Reply::Type::Error) {
            m_handshakeFailed = true;
            m_handshakeError = mapErrorReply(r->str);
        }
    }
    if (--m_handshakeLeft > 0)
        return;
    if (m_handshakeFailed) {
        const Error e = m_handshakeError;
        m_lastError = e;
        if (m_ctx)
            redisAsyncDisconnect(m_ctx);
        m_ctx = nullptr;
        m_state = State::Idle;
        fail(e);
        return;
    }
    m_state = State::Ready;
    const QList<Pending> queued = std::exchange(m_queue, {});
    for (const Pending &p : queued)
        send(p);
    Q_EMIT ready();
}

void Connection::fail(const Error &error)
{
    const QList<Pending> queued = std::exchange(m_queue, {});
    for (const Pending &p : queued)
        p.cb(error);
    Q_EMIT lost(error);
}

void Connection::send(Pending p)
{
    std::vector<const char *> ptrs;
    std::vector<size_t> lens;
    for (const QByteArray &a : p.argv) {
        ptrs.push_back(a.constData());
        lens.push_back(size_t(a.size()));
    }
    auto box = std::make_unique<CallbackBox>(CallbackBox{std::move(p.cb), p.subscribe, false});
    CallbackBox *raw = box.get();
    if (p.subscribe)
        m_subscriptions.push_back(std::move(box));
    else
        box.release(); // onReply deletes it
    if (redisAsyncCommandArgv(m_ctx, &Connection::onReply, raw, int(ptrs.size()), ptrs.data(), lens.data()) !=
        REDIS_OK) {
        // The context is shutting down; hiredis did not take the callback.
        const Error e(ErrorKind::Unavailable, QStringLiteral("the connection to Redis is closing"), hostPort());
        Callback cb = raw->cb;
        if (!p.subscribe)
            delete raw;
        QTimer::singleShot(0, this, [cb, e] { cb(e); });
    }
}

void Connection::onConnect(const redisAsyncContext *ac, int status)
{
    auto *self = static_cast<Connection *>(ac->data);
    if (!self || status == REDIS_OK)
        return;
    // hiredis frees the context right after this returns and then calls the
    // queued callbacks (the handshake) with no reply: they report this.
    self->m_lastError = Error(ErrorKind::Unavailable,
                              QStringLiteral("cannot connect to Redis: %1").arg(QString::fromUtf8(ac->errstr)),
                              self->hostPort());
    self->m_ctx = nullptr;
    self->m_state = State::Idle;
    // m_handshakeLeft callbacks still to come will call fail() at the end.
}

void Connection::onDisconnect(const redisAsyncContext *ac, int status)
{
    auto *self = static_cast<Connection *>(ac->data);
    if (!self || self->m_closing)
        return;
    if (self->m_ctx == ac)
        self->m_ctx = nullptr;
    const bool wasReady = self->m_state == State::Ready;
    self->m_state = State::Idle;
    if (wasReady) {
        Error e = self->m_lastError.message.isEmpty()
                      ? Error(ErrorKind::Unavailable, QStringLiteral("lost the connection to Redis"), self->hostPort())
                      : self->m_lastError;
        QPointer<Connection> guard(self);
        // Queued commands issued after the loss start a new connection.
        QTimer::singleShot(0, self, [guard, e] {
            if (guard)
                Q_EMIT guard->lost(e);
        });
    }
}

void Connection::onReply(redisAsyncContext *ac, void *reply, void *privdata)
{
    auto *box = static_cast<CallbackBox *>(privdata);
    auto *self = static_cast<Connection *>(ac->data);
    if (!box)
        return;
    const bool own = !box->subscribe;
    if (!self || self->m_closing) {
        if (own)
            delete box;
        return;
    }
    if (reply) {
        const Reply copy = copyReply(static_cast<redisReply *>(reply));
        Callback cb = box->cb;
        if (own)
            delete box;
        cb(copy);
        return;
    }
    Error e;
    if (!self->m_lastError.message.isEmpty()) {
        e = self->m_lastError;
    } else if (ac->err == REDIS_ERR_PROTOCOL) {
        e = Error(ErrorKind::Unavailable,
                  QStringLiteral("the server does not speak the Redis protocol (is this port a Redis server?): %1")
                      .arg(QString::fromUtf8(ac->errstr)),
                  self->hostPort());
    } else if (ac->err == REDIS_ERR_EOF) {
        e = Error(ErrorKind::Unavailable, QStringLiteral("the server closed the connection"), self->hostPort());
    } else if (ac->err) {
        e = Error(ErrorKind::Unavailable,
                  QStringLiteral("connection to Redis failed: %1").arg(QString::fromUtf8(ac->errstr)),
                  self->hostPort());
    } else {
        e = Error(ErrorKind::Unavailable, QStringLiteral("the connection to Redis was closed"), self->hostPort());
    }
    if (self->m_lastError.message.isEmpty())
        self->m_lastError = e;
    Callback cb = box->cb;
    if (own)
        delete box;
    cb(e);
}

} // namespace sd::redis
