#include "registry/KubeMachines.h"

#include <QPointer>

namespace sd::registry {
namespace {

const kube::Resource kDeployments{QStringLiteral("apps"), QStringLiteral("v1"), QStringLiteral("deployments"),
                                  QStringLiteral("Deployment"), true};
const kube::Resource kServices{QString(), QStringLiteral("v1"), QStringLiteral("services"), QStringLiteral("Service"),
                               true};
const kube::Resource kClaims{QString(), QStringLiteral("v1"), QStringLiteral("persistentvolumeclaims"),
                             QStringLiteral("PersistentVolumeClaim"), true};

const Json *at(const Json &j, std::initializer_list<const char *> path)
{
    const Json *cur = &j;
    for (const char *p : path) {
        if (!cur->is_object() || !cur->contains(p))
            return nullptr;
        cur = &(*cur)[p];
    }
    return cur;
}

QString str(const Json &j, std::initializer_list<const char *> path)
{
    const Json *v = at(j, path);
    if (!v || v->is_null())
        return {};
    return v->is_string() ? toQString(v->get<std::string>()) : toQString(v->dump());
}

qint64 num(const Json &j, std::initializer_list<const char *> path)
{
    const Json *v = at(j, path);
    return v && v->is_number_integer() ? v->get<qint64>() : -1;
}

QString nameOf(const Json &o)
{
    return str(o, {"metadata", "name"});
}

QString detailOf(const QString &kind, const Json &o)
{
    if (kind == QLatin1String("Deployment")) {
        const qint64 want = num(o, {"spec", "replicas"});
        const qint64 ready = num(o, {"status", "readyReplicas"});
        return QStringLiteral("%1/%2 ready").arg(std::max<qint64>(ready, 0)).arg(std::max<qint64>(want, 0));
    }
    if (kind == QLatin1String("Service")) {
        const QString type = str(o, {"spec", "type"});
        const QString ip = str(o, {"spec", "clusterIP"});
        return (type.isEmpty() ? QStringLiteral("ClusterIP") : type) + (ip.isEmpty() ? QString() : QLatin1Char(' ') + ip);
    }
    if (kind == QLatin1String("ConfigMap")) {
        QStringList keys;
        if (const Json *data = at(o, {"data"}); data && data->is_object())
            for (auto it = data->begin(); it != data->end(); ++it)
                keys << toQString(it.key());
        keys.sort(); // as the API server writes a map
        return keys.join(QStringLiteral(", "));
    }
    if (kind == QLatin1String("PersistentVolumeClaim")) {
        const QString phase = str(o, {"status", "phase"});
        const QString size = str(o, {"spec", "resources", "requests", "storage"});
        return QStringList{phase.isEmpty() ? QStringLiteral("Pending") : phase, size}.join(QLatin1Char(' ')).trimmed();
    }
    return {};
}

} // namespace

KubeMachines::KubeMachines(kube::KubeClient *client, QString ns, QObject *parent)
    : QObject(parent), m_client(client), m_ns(std::move(ns))
{
    if (m_ns.isEmpty())
        m_ns = m_client->defaultNamespace();
    m_soon.setSingleShot(true);
    m_soon.setInterval(50); // a burst of watch events is one read
    connect(&m_soon, &QTimer::timeout, this, &KubeMachines::refresh);
}

KubeMachines::~KubeMachines() = default;

kube::Resource KubeMachines::stateMachines()
{
    return {QStringLiteral("xstatenet.io"), QStringLiteral("v1"), QStringLiteral("statemachines"),
            QStringLiteral("StateMachine"), true};
}

QString KubeMachines::describe() const
{
    return QStringLiteral("%1 namespace %2").arg(m_client->access().server, m_ns);
}

void KubeMachines::refresh()
{
    if (m_reading) {
        m_readAgain = true;
        return;
    }
    read(m_generation);
}

void KubeMachines::startLive()
{
    refresh();
    m_watch = m_client->watch(stateMachines(), m_ns, kube::WatchOptions{});
    connect(m_watch.get(), &kube::KubeWatch::event, this, [this](const kube::WatchEvent &) { m_soon.start(); });
    connect(m_watch.get(), &kube::KubeWatch::failed, this, &KubeMachines::failed);
}

void KubeMachines::read(int gen)
{
    m_reading = true;
    QPointer<KubeMachines> self(this);
    auto fail = [self](const Error &e) {
        if (!self)
            return;
        self->m_reading = false;
        Q_EMIT self->failed(e);
    };
    m_client->list(stateMachines(), m_ns, kube::ListQuery{})
        .then(this, [self, gen, fail](Result<kube::ObjectList> crs) {
            if (!self || gen != self->m_generation)
                return;
            if (!crs.ok()) {
                Error e = crs.error();
                if (e.kind == ErrorKind::NotFound)
                    e.message = QStringLiteral("the cluster does not serve statemachines.xstatenet.io/v1: is the "
                                               "XStateNet CRD installed? (%1)")
                                    .arg(e.message);
                return fail(e);
            }
            struct Batch {
                QList<Json> machines;
                QHash<QString, QHash<QString, Json>> owned; // kind -> name -> object
                int left = 4;
                bool failed = false;
            };
            auto batch = std::make_shared<Batch>();
            batch->machines = crs->items;
            auto finish = [self, gen, batch, fail]() {
                if (!self || gen != self->m_generation)
                    return;
                QHash<QString, KubeMachine> out;
                for (const Json &o : std::as_const(batch->machines)) {
                    KubeMachine m;
                    m.name = nameOf(o);
                    m.ns = str(o, {"metadata", "namespace"});
                    if (m.ns.isEmpty())
                        m.ns = self->m_ns;
                    m.object = o;
                    m.replicas = num(o, {"spec", "replicas"});
                    m.readyReplicas = num(o, {"status", "readyReplicas"});
                    m.phase = str(o, {"status", "phase"});
                    m.currentState = str(o, {"status", "currentState"});
                    m.lastTransition = str(o, {"status", "lastTransition"});
                    m.transport = str(o, {"spec", "transport"});
                    const QString base = QStringLiteral("sm-") + m.name;
                    const QList<std::pair<QString, QString>> wanted{
                        {QStringLiteral("Deployment"), base},
                        {QStringLiteral("Service"), base + QStringLiteral("-svc")},
                        {QStringLiteral("ConfigMap"), base + QStringLiteral("-config")},
                        {QStringLiteral("PersistentVolumeClaim"), base + QStringLiteral("-pvc")}};
                    for (const auto &[kind, name] : wanted) {
                        KubeMachine::Owned owned;
                        owned.kind = kind;
                        owned.name = name;
                        const auto objects = batch->owned.value(kind);
                        if (objects.contains(name)) {
                            owned.present = true;
                            owned.detail = detailOf(kind, objects.value(name));
                        }
                        m.owned << owned;
                    }
                    const Json cm = batch->owned.value(QStringLiteral("ConfigMap")).value(base + QStringLiteral("-config"));
                    const QString fromConfig = str(cm, {"data", "definition.json"});
                    if (!fromConfig.isEmpty()) {
                        m.definition = fromConfig.toUtf8();
                        m.definitionOrigin = QStringLiteral("configmap %1/%2-config definition.json").arg(m.ns, base);
                    } else {
                        m.definition = str(o, {"spec", "definition"}).toUtf8();
                        m.definitionOrigin = QStringLiteral("statemachine %1/%2 spec.definition").arg(m.ns, m.name);
                    }
                    out.insert(m.name, m);
                }
                self->m_machines = std::move(out);
                self->m_loaded = true;
                self->m_reading = false;
                Q_EMIT self->refreshed();
                if (std::exchange(self->m_readAgain, false))
                    self->refresh();
            };
            const QList<kube::Resource> kinds{kDeployments, kServices, kube::Resource::configMaps(), kClaims};
            for (const kube::Resource &r : kinds) {
                self->m_client->list(r, self->m_ns, kube::ListQuery{})
                    .then(self, [self, gen, batch, fail, finish, kind = r.kind](Result<kube::ObjectList> l) {
                        if (!self || gen != self->m_generation || batch->failed)
                            return;
                        if (l.ok()) {
                            for (const Json &o : l->items) {
                                const QString n = nameOf(o);
                                if (n.startsWith(QLatin1String("sm-")))
                                    batch->owned[kind].insert(n, o);
                            }
                        } else if (l.error().kind != ErrorKind::NotFound && l.error().kind != ErrorKind::Forbidden) {
                            // A kind the cluster does not serve, or we may not
                            // list, shows as absent; anything else is a failure.
                            batch->failed = true;
                            return fail(l.error());
                        }
                        if (--batch->left == 0)
                            finish();
                    });
            }
        });
}

QFuture<Result<Json>> KubeMachines::scale(const QString &name, qint64 replicas)
{
    Json patch{{"spec", Json{{"replicas", replicas}}}};
    return m_client->mergePatch(stateMachines(), m_ns, name, patch, QStringLiteral("scale"));
}

} // namespace sd::registry
