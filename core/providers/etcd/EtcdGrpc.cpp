#include "providers/etcd/EtcdGrpc.h"

// Generated from proto/etcd_kv.proto at build time.
#include "etcd_kv.grpc.pb.h"

#include <QFile>
#include <QLoggingCategory>
#include <QMetaObject>
#include <QPointer>
#include <QThread>
#include <QUrl>

#include <google/protobuf/util/json_util.h>
#include <grpc/support/log.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <array>
#include <chrono>
#include <climits>
#include <thread>

namespace sd::etcd {

namespace {

Q_LOGGING_CATEGORY(lcGrpc, "sd.etcd.grpc", QtWarningMsg)

// gRPC's own log lines (a refused TLS handshake, a failed connect) go to a
// logging category, off unless asked for (QT_LOGGING_RULES), instead of
// stderr: the errors that matter reach the user as the call's status.
void forwardGrpcLog(gpr_log_func_args *args)
{
    if (lcGrpc().isDebugEnabled())
        qCDebug(lcGrpc, "%s:%d: %s", args->file, args->line, args->message);
}

// Something a call hands to the completion queue, completed on its thread.
struct Tag {
    virtual ~Tag() = default;
    virtual void complete(bool ok) = 0;
};

// One completion queue for every call of the process, drained by one thread
// of its own that lives as long as the process: gRPC's callback API would
// do without it, but in grpc 1.51 its shared queue aborts
// ("assertion failed: prior > 0" in grpc_cq_internal_unref) when channels
// come and go, as they do with providers. Made on first use, never
// destroyed (the thread may be inside Next() at exit).
class CompletionThread {
public:
    static grpc::CompletionQueue *queue()
    {
        static CompletionThread *const one = new CompletionThread;
        return &one->m_queue;
    }

private:
    CompletionThread()
    {
        gpr_set_log_function(forwardGrpcLog);
        std::thread([this] {
            void *tag = nullptr;
            bool ok = false;
            while (m_queue.Next(&tag, &ok))
                static_cast<Tag *>(tag)->complete(ok);
        }).detach();
    }
    grpc::CompletionQueue m_queue;
};

// What one call keeps until the queue hands it back: the context and the
// status are gRPC's to use until then (the derived call adds its stub,
// which keeps the channel open, and its messages). It holds itself
// (`self`) while gRPC has it. `Derived` has deliver(), run on the owner's
// thread while the call's receiver lives.
template <typename Derived>
struct CallState : Tag {
    std::shared_ptr<Derived> self;
    std::shared_ptr<QObject> mailbox;
    QPointer<QObject> receiver;
    grpc::ClientContext context;
    grpc::Status status;

    static std::shared_ptr<Derived> make(std::shared_ptr<QObject> mailbox, QObject *receiver, const QByteArray &token,
                                         int timeoutMs)
    {
        auto state = std::make_shared<Derived>();
        state->self = state;
        state->mailbox = std::move(mailbox);
        state->receiver = receiver;
        if (!token.isEmpty())
            state->context.AddMetadata("token", token.toStdString());
        if (timeoutMs > 0)
            state->context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeoutMs));
        return state;
    }

    // A function that cancels the call (its answer is then CANCELLED, or
    // dropped with the receiver).
    static std::function<void()> canceller(const std::shared_ptr<Derived> &state)
    {
        std::weak_ptr<Derived> weak = state;
        return [weak] {
            if (auto s = weak.lock())
                s->context.TryCancel();
        };
    }

    // On the queue's thread: hand over to the owner's.
    void complete(bool) override { post(); }

    void post()
    {
        std::shared_ptr<Derived> me = std::move(self);
        QMetaObject::invokeMethod(
            mailbox.get(),
            [me] {
                if (me->receiver)
                    me->deliver();
            },
            Qt::QueuedConnection);
    }

    GrpcStatus grpcStatus() const
    {
        return GrpcStatus{int(status.error_code()), QString::fromStdString(status.error_message())};
    }
};

std::string readPem(const QString &path)
{
    if (path.isEmpty())
        return {};
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray pem = f.readAll();
    return std::string(pem.constData(), size_t(pem.size()));
}

// "http://127.0.0.1:2379" -> "127.0.0.1:2379"; a bare host:port stays.
std::string targetOf(const QString &endpoint, bool *tls)
{
    const QUrl url(endpoint);
    *tls = url.scheme() == QLatin1String("https");
    if (url.scheme().isEmpty() || url.host().isEmpty())
        return endpoint.toStdString();
    const int port = url.port(*tls ? 443 : 80);
    QString host = url.host();
    if (host.contains(QLatin1Char(':')))
        host = QLatin1Char('[') + host + QLatin1Char(']'); // IPv6 literal
    return QStringLiteral("%1:%2").arg(host).arg(port).toStdString();
}

WatchKv fromPb(const etcdserverpb::KeyValue &kv)
{
    WatchKv out;
    out.key = QByteArray(kv.key().data(), qsizetype(kv.key().size()));
    out.value = QByteArray(kv.value().data(), qsizetype(kv.value().size()));
    out.modRevision = kv.mod_revision();
    out.createRevision = kv.create_revision();
    out.version = kv.version();
    out.lease = kv.lease();
    return out;
}

// A unary method called through gRPC's generic stub, by the JSON gateway's
// path for it; its messages convert from and to the gateway's JSON.
struct UnaryMethod {
    const char *gatewayPath;
    const char *grpcPath;
    const google::protobuf::Message *request;
    const google::protobuf::Message *response;
};

const UnaryMethod *unaryMethod(const QString &gatewayPath)
{
    using namespace etcdserverpb;
    static const std::array<UnaryMethod, 7> methods{{
        // A single key's read (a write's read-back, a lock's renewal); a
        // listing uses range(), which reads protobuf straight.
        {"/v3/kv/range", "/etcdserverpb.KV/Range", &RangeRequest::default_instance(),
         &RangeResponse::default_instance()},
        {"/v3/kv/txn", "/etcdserverpb.KV/Txn", &TxnRequest::default_instance(), &TxnResponse::default_instance()},
        {"/v3/lease/grant", "/etcdserverpb.Lease/LeaseGrant", &LeaseGrantRequest::default_instance(),
         &LeaseGrantResponse::default_instance()},
        {"/v3/lease/revoke", "/etcdserverpb.Lease/LeaseRevoke", &LeaseRevokeRequest::default_instance(),
         &LeaseRevokeResponse::default_instance()},
        {"/v3/lease/timetolive", "/etcdserverpb.Lease/LeaseTimeToLive", &LeaseTimeToLiveRequest::default_instance(),
         &LeaseTimeToLiveResponse::default_instance()},
        {"/v3/kv/lease/timetolive", "/etcdserverpb.Lease/LeaseTimeToLive",
         &LeaseTimeToLiveRequest::default_instance(), &LeaseTimeToLiveResponse::default_instance()},
        {"/v3/auth/authenticate", "/etcdserverpb.Auth/Authenticate", &AuthenticateRequest::default_instance(),
         &AuthenticateResponse::default_instance()},
    }};
    for (const UnaryMethod &m : methods)
        if (gatewayPath == QLatin1String(m.gatewayPath))
            return &m;
    return nullptr;
}

// The gateway's JSON (etcd's field names, as the gateway takes them) as
// the request's bytes on the wire.
grpc::Status encodeRequest(const UnaryMethod &method, const QByteArray &json, grpc::ByteBuffer *out)
{
    std::unique_ptr<google::protobuf::Message> message(method.request->New());
    const auto parsed = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(json.constData(), size_t(json.size())), message.get(),
        google::protobuf::util::JsonParseOptions());
    if (!parsed.ok())
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "statedeck built a " + message->GetTypeName()
                                + " etcd's schema does not take: " + parsed.ToString());
    std::string bytes;
    message->SerializeToString(&bytes);
    grpc::Slice slice(std::move(bytes));
    *out = grpc::ByteBuffer(&slice, 1);
    return grpc::Status::OK;
}

// The answer's bytes as the gateway would give them: etcd's field names,
// 64-bit numbers and bytes as strings, fields at their defaults left out.
grpc::Status decodeResponse(const UnaryMethod &method, grpc::ByteBuffer &in, QByteArray *json)
{
    std::vector<grpc::Slice> slices;
    if (!in.Dump(&slices).ok())
        return grpc::Status(grpc::StatusCode::INTERNAL, "etcd's answer could not be read");
    std::string bytes;
    for (const grpc::Slice &s : slices)
        bytes.append(reinterpret_cast<const char *>(s.begin()), s.size());
    std::unique_ptr<google::protobuf::Message> message(method.response->New());
    if (!message->ParseFromString(bytes))
        return grpc::Status(grpc::StatusCode::INTERNAL, "etcd's answer is not a " + message->GetTypeName());
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string text;
    const auto printed = google::protobuf::util::MessageToJsonString(*message, &text, options);
    if (!printed.ok())
        return grpc::Status(grpc::StatusCode::INTERNAL, printed.ToString());
    *json = QByteArray(text.data(), qsizetype(text.size()));
    return grpc::Status::OK;
}

} // namespace

struct GrpcEndpoints::Impl {
    // Where answers are posted from gRPC's threads: an object of the
    // owner's thread that every call in flight keeps alive, so it is never
    // posted to after it is gone (a QPointer read on another thread could
    // not promise that). The receiver is checked on the owner's thread.
    // When the last owner lets go no answer is queued for it any more (each
    // holds it), so on its own thread it can go at once; a deleteLater()
    // there could outlive the event loop and leak.
    std::shared_ptr<QObject> mailbox{new QObject, [](QObject *o) {
                                         if (o->thread() == QThread::currentThread())
                                             delete o;
                                         else
                                             o->deleteLater();
                                     }};
    QStringList endpoints;
    GrpcTls tls;
    // One channel per endpoint, with a stub of KV and the generic one for
    // the other methods. Made on first use; only the owner's thread asks.
    struct Stubs {
        std::shared_ptr<etcdserverpb::KV::Stub> kv;
        std::shared_ptr<grpc::GenericStub> generic;
    };
    std::vector<Stubs> stubs;

    std::shared_ptr<etcdserverpb::KV::Stub> stub(int index) { return channel(index).kv; }
    std::shared_ptr<grpc::GenericStub> generic(int index) { return channel(index).generic; }

    Stubs &channel(int index)
    {
        if (stubs.empty())
            stubs.resize(size_t(endpoints.size()));
        Stubs &s = stubs[size_t(index)];
        if (!s.kv) {
            bool secure = false;
            const std::string target = targetOf(endpoints.value(index), &secure);
            std::shared_ptr<grpc::ChannelCredentials> creds;
            if (secure) {
                grpc::SslCredentialsOptions o;
                o.pem_root_certs = readPem(tls.caFile);
                o.pem_private_key = readPem(tls.keyFile);
                o.pem_cert_chain = readPem(tls.certFile);
                creds = grpc::SslCredentials(o);
            } else {
                creds = grpc::InsecureChannelCredentials();
            }
            grpc::ChannelArguments args;
            // A page is bounded by its limit, not by gRPC's 4 MiB default
            // (etcdctl lifts it the same way).
            args.SetMaxReceiveMessageSize(INT_MAX);
            // gRPC's default backoff grows to two minutes: a member that
            // was down would be skipped that long after it is back. The
            // "min" backoff is left alone: grpc core takes it as the least
            // time a connect (TCP, TLS, HTTP/2 SETTINGS) may take, and at
            // 200 ms a member just started, or a loaded machine, timed out
            // "before receiving SETTINGS frame" (grpc/grpc#33423).
            args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
            args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
            const auto channel = grpc::CreateCustomChannel(target, creds, args);
            s.kv = etcdserverpb::KV::NewStub(channel);
            s.generic = std::make_shared<grpc::GenericStub>(channel);
        }
        return s;
    }
};

GrpcEndpoints::GrpcEndpoints(QStringList endpoints, GrpcTls tls) : d(std::make_unique<Impl>())
{
    CompletionThread::queue(); // gRPC's log goes to lcGrpc from now on
    d->endpoints = std::move(endpoints);
    d->tls = std::move(tls);
}

GrpcEndpoints::~GrpcEndpoints() = default;

std::function<void()> GrpcEndpoints::range(int index, const RangeQuery &query, const QByteArray &token, int timeoutMs,
                                           QObject *receiver, RangeDone done)
{
    struct State : CallState<State> {
        std::shared_ptr<etcdserverpb::KV::Stub> stub; // keeps the channel open
        etcdserverpb::RangeRequest request;
        etcdserverpb::RangeResponse response;
        std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::RangeResponse>> reader;
        RangeDone done;

        void deliver()
        {
            const GrpcStatus s = grpcStatus();
            RangeAnswer a;
            if (s.ok()) {
                a.revision = response.header().revision();
                a.more = response.more();
                a.count = response.count();
                a.kvs.reserve(response.kvs_size());
                for (const auto &kv : response.kvs())
                    a.kvs.append(fromPb(kv));
            }
            done(s, std::move(a));
        }
    };
    auto state = State::make(d->mailbox, receiver, token, timeoutMs);
    state->stub = d->stub(index);
    state->done = std::move(done);
    auto &r = state->request;
    r.set_key(query.key.constData(), size_t(query.key.size()));
    r.set_range_end(query.rangeEnd.constData(), size_t(query.rangeEnd.size()));
    r.set_limit(query.limit);
    r.set_revision(query.revision);
    r.set_keys_only(query.keysOnly);
    state->reader = state->stub->AsyncRange(&state->context, state->request, CompletionThread::queue());
    state->reader->Finish(&state->response, &state->status, static_cast<Tag *>(state.get()));
    return State::canceller(state);
}

bool GrpcEndpoints::hasMethodFor(const QString &gatewayPath)
{
    return unaryMethod(gatewayPath) != nullptr;
}

std::function<void()> GrpcEndpoints::unary(int index, const QString &gatewayPath, const QByteArray &json,
                                           const QByteArray &token, int timeoutMs, QObject *receiver, JsonDone done)
{
    struct State : CallState<State> {
        std::shared_ptr<grpc::GenericStub> stub; // keeps the channel open
        const UnaryMethod *method = nullptr;
        grpc::ByteBuffer request;
        grpc::ByteBuffer response;
        std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> reader;
        QByteArray answer;
        JsonDone done;

        // The answer is converted here, on the queue's thread.
        void complete(bool) override
        {
            if (status.ok())
                status = decodeResponse(*method, response, &answer);
            post();
        }

        void deliver() { done(grpcStatus(), std::move(answer)); }
    };
    auto state = State::make(d->mailbox, receiver, token, timeoutMs);
    state->done = std::move(done);
    state->method = unaryMethod(gatewayPath);
    state->status = state->method ? encodeRequest(*state->method, json, &state->request)
                                  : grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                                 "no gRPC method for " + gatewayPath.toStdString());
    if (!state->status.ok()) {
        state->post(); // answered as any call is: later, on the owner's thread
        return [] {};
    }
    state->stub = d->generic(index);
    state->reader = state->stub->PrepareUnaryCall(&state->context, state->method->grpcPath, state->request,
                                                  CompletionThread::queue());
    state->reader->StartCall();
    state->reader->Finish(&state->response, &state->status, static_cast<Tag *>(state.get()));
    return State::canceller(state);
}

} // namespace sd::etcd
