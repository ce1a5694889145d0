#include "Api.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QRandomGenerator>

#include <algorithm>
#include <regex>
#include <set>

namespace kemu {

namespace {

// "configmaps", "leases.coordination.k8s.io": how messages name a resource.
std::string qualified(const ResourceType &type)
{
    return type.group.empty() ? type.plural : type.plural + "." + type.group;
}

ApiError notFoundError(const ResourceType &type, const std::string &name)
{
    return {404, "NotFound", qualified(type) + " \"" + name + "\" not found",
            statusDetails(name, type.group, type.plural)};
}

ApiError badRequest(const std::string &message)
{
    return {400, "BadRequest", message, OJson::object()};
}

ApiError invalid(const ResourceType &type, const std::string &name,
                 const std::vector<std::tuple<std::string, std::string, std::string>> &causes)
{
    // causes: (reason, field, message-without-field)
    ApiError error{422, "Invalid", {}, statusDetails(name, type.group, type.kind)};
    std::string joined;
    OJson list = OJson::array();
    for (const auto &[reason, field, message] : causes) {
        if (!joined.empty())
            joined += ", ";
        joined += field + ": " + message;
        OJson cause = OJson::object();
        cause["reason"] = reason;
        cause["message"] = message;
        cause["field"] = field;
        list.push_back(cause);
    }
    error.message = type.kind + " \"" + name + "\" is invalid: "
        + (causes.size() > 1 ? "[" + joined + "]" : joined);
    error.details["causes"] = list;
    return error;
}

ApiError conflictModified(const ResourceType &type, const std::string &name)
{
    return {409, "Conflict",
            "Operation cannot be fulfilled on " + qualified(type) + " \""
                + name + "\": the object has been modified; please apply your changes to the latest version and try again",
            statusDetails(name, type.group, type.plural)};
}

const std::regex &subdomainRe()
{
    static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    return re;
}
const std::regex &labelRe()
{
    static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    return re;
}

const std::string kSubdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const std::string kLabelMessage =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

std::string quoteGo(const std::string &text)
{
    return Json(text).dump();
}

std::string strOr(const Json &object, const char *key, const std::string &fallback = {})
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

const Json &metaOf(const Json &object)
{
    static const Json empty = Json::object();
    const auto it = object.find("metadata");
    return it != object.end() && it->is_object() ? *it : empty;
}

uint64_t parseRv(const std::string &text, bool *ok)
{
    try {
        size_t used = 0;
        const unsigned long long value = std::stoull(text, &used);
        *ok = used == text.size() && !text.empty() && text[0] != '-';
        return value;
    } catch (...) {
        *ok = false;
        return 0;
    }
}

std::string base64Url(const std::string &raw)
{
    return QByteArray::fromStdString(raw)
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)
        .toStdString();
}

// Go's duration.HumanDuration, which kubectl shows as AGE.
std::string humanAge(const std::string &timestamp)
{
    const QDateTime created = QDateTime::fromString(QString::fromStdString(timestamp), Qt::ISODate);
    if (!created.isValid())
        return "<unknown>";
    qint64 s = std::max<qint64>(0, created.secsTo(QDateTime::currentDateTimeUtc()));
    auto n = [](qint64 v) { return std::to_string(v); };
    if (s < 120)
        return n(s) + "s";
    const qint64 m = s / 60;
    if (m < 10)
        return s % 60 == 0 ? n(m) + "m" : n(m) + "m" + n(s % 60) + "s";
    if (m < 180)
        return n(m) + "m";
    const qint64 h = s / 3600;
    if (h < 8)
        return m % 60 == 0 ? n(h) + "h" : n(h) + "h" + n(m % 60) + "m";
    if (h < 48)
        return n(h) + "h";
    if (h < 192)
        return h % 24 == 0 ? n(h / 24) + "d" : n(h / 24) + "d" + n(h % 24) + "h";
    if (h < 24 * 365 * 2)
        return n(h / 24) + "d";
    return n(h / 24 / 365) + "y";
}

std::shared_ptr<OrderSpec> spec(std::vector<std::string> keys,
                                std::map<std::string, std::shared_ptr<OrderSpec>> children = {},
                                std::shared_ptr<OrderSpec> elements = nullptr)
{
    auto s = std::make_shared<OrderSpec>();
    s->keys = std::move(keys);
    s->children = std::move(children);
    s->elements = std::move(elements);
    return s;
}

std::shared_ptr<OrderSpec> metadataSpec()
{
    static const auto m = spec(
        {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
         "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
         "ownerReferences", "finalizers", "managedFields"},
        {{"managedFields",
          spec({}, {}, spec({"manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource"}))}});
    return m;
}

std::shared_ptr<OrderSpec> typedSpec(std::vector<std::string> after,
                                     std::map<std::string, std::shared_ptr<OrderSpec>> children = {})
{
    std::vector<std::string> keys{"kind", "apiVersion", "metadata"};
    keys.insert(keys.end(), after.begin(), after.end());
    children["metadata"] = metadataSpec();
    return spec(keys, std::move(children));
}

bool isDataKey(const std::string &key)
{
    static const std::regex re("[-._a-zA-Z0-9]+");
    return !key.empty() && key.size() <= 253 && std::regex_match(key, re);
}

bool parseLabelSelector(const std::string &text, std::vector<LabelRequirement> &out, std::string &error)
{
    static const std::regex setRe(R"(^\s*(!?)\s*([A-Za-z0-9][-A-Za-z0-9_./]*)\s+(in|notin)\s*\(([^)]*)\)\s*$)");
    static const std::regex keyRe(R"(^([A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?)$)");
    std::vector<std::string> terms;
    std::string current;
    int depth = 0;
    for (char c : text) {
        if (c == '(')
            ++depth;
        if (c == ')')
            --depth;
        if (c == ',' && depth == 0) {
            terms.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    terms.push_back(current);
    auto trim = [](std::string s) {
        const auto b = s.find_first_not_of(" \t");
        const auto e = s.find_last_not_of(" \t");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    for (std::string term : terms) {
        term = trim(term);
        if (term.empty()) {
            if (terms.size() == 1)
                return true;
            error = "unable to parse requirement: found '', expected: identifier";
            return false;
        }
        LabelRequirement r;
        std::smatch m;
        if (std::regex_match(term, m, setRe) && m[1].str().empty()) {
            r.key = m[2];
            r.op = m[3] == "in" ? LabelRequirement::In : LabelRequirement::NotIn;
            std::string values = m[4];
            size_t start = 0;
            for (;;) {
                const size_t comma = values.find(',', start);
                r.values.push_back(trim(values.substr(start, comma - start)));
                if (comma == std::string::npos)
                    break;
                start = comma + 1;
            }
        } else if (term[0] == '!') {
            r.key = trim(term.substr(1));
            r.op = LabelRequirement::NotExists;
        } else if (const size_t ne = term.find("!="); ne != std::string::npos) {
            r.key = trim(term.substr(0, ne));
            r.op = LabelRequirement::NotEquals;
            r.values = {trim(term.substr(ne + 2))};
        } else if (const size_t eq2 = term.find("=="); eq2 != std::string::npos) {
            r.key = trim(term.substr(0, eq2));
            r.op = LabelRequirement::Equals;
            r.values = {trim(term.substr(eq2 + 2))};
        } else if (const size_t eq = term.find('='); eq != std::string::npos) {
            r.key = trim(term.substr(0, eq));
            r.op = LabelRequirement::Equals;
            r.values = {trim(term.substr(eq + 1))};
        } else {
            r.key = term;
            r.op = LabelRequirement::Exists;
        }
        if (!std::regex_match(r.key, keyRe)) {
            error = "unable to parse requirement: invalid label key \"" + r.key + "\"";
            return false;
        }
        out.push_back(std::move(r));
    }
    return true;
}

bool parseFieldSelector(const std::string &text, const ResourceType &type, std::vector<FieldRequirement> &out,
                        std::string &error)
{
    if (text.empty())
        return true;
    size_t start = 0;
    for (;;) {
        const size_t comma = text.find(',', start);
        const std::string term = text.substr(start, comma - start);
        FieldRequirement r;
        size_t op = term.find("!=");
        size_t skip = 2;
        if (op != std::string::npos) {
            r.negate = true;
        } else if ((op = term.find("==")) == std::string::npos) {
            op = term.find('=');
            skip = 1;
        }
        if (op == std::string::npos) {
            error = "invalid selector: '" + text + "'; can't understand '" + term + "'";
            return false;
        }
        r.field = term.substr(0, op);
        r.value = term.substr(op + skip);
        // The fields each kind's field selector supports on a real server.
        static const std::set<std::string> eventFields{
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
            "reason", "reportingComponent", "source", "type"};
        const bool supported = r.field == "metadata.name" || r.field == "metadata.namespace"
            || (type.kind == "Secret" && r.field == "type")
            || (type.kind == "Namespace" && r.field == "status.phase")
            || (type.kind == "Event" && eventFields.count(r.field));
        if (!supported) {
            error = "field label not supported: " + r.field;
            return false;
        }
        out.push_back(std::move(r));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return true;
}

// The continue token the API server writes: base64url of
// {"v":"meta.k8s.io/v1","rv":N,"start":"<next key>\u0000"}.
std::string encodeContinue(int64_t rv, const std::string &lastKey)
{
    OJson token = OJson::object();
    token["v"] = "meta.k8s.io/v1";
    token["rv"] = rv;
    token["start"] = lastKey + std::string(1, '\0');
    return base64Url(token.dump());
}

bool decodeContinue(const std::string &text, int64_t &rv, std::string &start)
{
    const auto decoded = QByteArray::fromBase64Encoding(QByteArray::fromStdString(text),
                                                       QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return false;
    const Json token = Json::parse(decoded.decoded.toStdString(), nullptr, false);
    if (!token.is_object() || strOr(token, "v") != "meta.k8s.io/v1" || !token.contains("rv")
        || !token["rv"].is_number_integer() || !token.contains("start") || !token["start"].is_string())
        return false;
    rv = token["rv"].get<int64_t>();
    start = token["start"].get<std::string>();
    return true;
}

const std::set<std::string> &systemMetadata()
{
    static const std::set<std::string> names{"name", "namespace", "uid", "resourceVersion", "generation",
                                             "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp",
                                             "deletionGracePeriodSeconds"};
    return names;
}

} // namespace

std::string ResourceType::storageVersionHash() const
{
    const QByteArray digest = QCryptographicHash::hash(QByteArray::fromStdString(group + "/" + version + "/" + kind),
                                                       QCryptographicHash::Sha256);
    return digest.left(8).toBase64().toStdString();
}

bool Filter::matches(const Json &object) const
{
    const Json &meta = metaOf(object);
    if (!ns.empty() && strOr(meta, "namespace") != ns)
        return false;
    const auto labelsIt = meta.find("labels");
    const Json empty = Json::object();
    const Json &labelMap = labelsIt != meta.end() && labelsIt->is_object() ? *labelsIt : empty;
    for (const LabelRequirement &r : labels) {
        const auto it = labelMap.find(r.key);
        const bool has = it != labelMap.end() && it->is_string();
        const std::string value = has ? it->get<std::string>() : std::string();
        const bool inValues = has && std::find(r.values.begin(), r.values.end(), value) != r.values.end();
        switch (r.op) {
        case LabelRequirement::Exists: if (!has) return false; break;
        case LabelRequirement::NotExists: if (has) return false; break;
        case LabelRequirement::Equals:
        case LabelRequirement::In: if (!inValues) return false; break;
        case LabelRequirement::NotEquals:
        case LabelRequirement::NotIn: if (inValues) return false; break;
        }
    }
    for (const FieldRequirement &f : fields) {
        std::string actual;
        if (f.field == "source") {
            // An Event's "source" selects on source.component.
            const Json *value = valueAt(object, {"source", "component"});
            actual = value && value->is_string() ? value->get<std::string>() : "";
        } else {
            std::vector<std::string> path;
            const QStringList parts = QString::fromStdString(f.field).split(QLatin1Char('.'));
            for (const QString &part : parts)
                path.push_back(part.toStdString());
            const Json *value = valueAt(object, path);
            actual = value && value->is_string() ? value->get<std::string>() : "";
        }
        if ((actual == f.value) == f.negate)
            return false;
    }
    return true;
}

// ---------------------------------------------------------------------------
// Watch

Watch::Watch(Api *api, HttpExchange *ex) : QObject(api), exchange(ex), m_api(api)
{
    timeout.setSingleShot(true);
    connect(&timeout, &QTimer::timeout, this, &Watch::finish);
    connect(&bookmark, &QTimer::timeout, this, [this] {
        if (!exchange)
            return;
        std::string line = R"({"type":"BOOKMARK","object":)";
        OJson object = OJson::object();
        if (type->custom) {
            object["apiVersion"] = type->apiVersion();
            object["kind"] = type->kind;
            object["metadata"] = {{"resourceVersion", std::to_string(m_api->currentRv())}};
        } else {
            object["kind"] = type->kind;
            object["apiVersion"] = type->apiVersion();
            object["metadata"] = {{"resourceVersion", std::to_string(m_api->currentRv())}, {"creationTimestamp", nullptr}};
        }
        line += object.dump() + "}\n";
        exchange->writeChunk(line);
    });
    connect(ex, &HttpExchange::closed, this, [this] { finish(); });
}

Watch::~Watch() = default;

void Watch::deliver(const Event &event)
{
    if (!exchange || event.typeId != type->id() || event.rv <= lastRv)
        return;
    lastRv = event.rv;
    const bool now = filter.matches(*event.obj.obj);
    const bool before = event.prev && filter.matches(*event.prev->obj);
    const char *kind = event.type;
    if (std::string(kind) == "MODIFIED") {
        if (now && !before)
            kind = "ADDED";
        else if (!now && before)
            kind = "DELETED";
        else if (!now)
            return;
    } else if (!now) {
        return;
    }
    // A watcher that cannot keep up is dropped, as the API server does; it
    // resumes from its last resourceVersion.
    if (exchange->pendingBytes() > 64 * 1024 * 1024) {
        finish();
        return;
    }
    std::string line = std::string(R"({"type":")") + kind + R"(","object":)";
    if (table) {
        std::vector<const Stored *> items{&event.obj};
        line += m_api->tableFor(*type, items, includeObject, !sentColumns, OJson::object());
        sentColumns = true;
    } else {
        line += *event.obj.text;
    }
    line += "}\n";
    exchange->writeChunk(line);
}

void Watch::finish()
{
    timeout.stop();
    bookmark.stop();
    if (exchange) {
        exchange->endStream();
        exchange = nullptr;
    }
    m_api->removeWatch(this);
    deleteLater();
}

// ---------------------------------------------------------------------------
// Api: types and storage

Role roleFor(const QStringList &groups)
{
    if (groups.contains(QStringLiteral("system:masters")))
        return Role::Admin;
    if (groups.contains(QStringLiteral("statedeck:readonly")))
        return Role::ReadOnly;
    return Role::None;
}

Api::Api(Options options, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_rv(m_options.firstResourceVersion),
      m_floor(m_options.firstResourceVersion), m_flowSchemaUid(newUid())
{
    const std::vector<std::string> allVerbs{"create", "delete", "deletecollection", "get",
                                            "list", "patch", "update", "watch"};
    auto add = [this](ResourceType t) {
        const std::string id = t.id(); // before the move below
        m_types[id] = std::make_shared<ResourceType>(std::move(t));
    };

    ResourceType ns;
    ns.version = "v1"; ns.plural = "namespaces"; ns.singular = "namespace"; ns.kind = "Namespace";
    ns.namespaced = false; ns.shortNames = {"ns"};
    ns.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
    ns.order = typedSpec({"spec", "status"});
    add(ns);

    ResourceType cm;
    cm.version = "v1"; cm.plural = "configmaps"; cm.singular = "configmap"; cm.kind = "ConfigMap";
    cm.shortNames = {"cm"}; cm.verbs = allVerbs;
    cm.order = typedSpec({"immutable", "data", "binaryData"});
    add(cm);

    ResourceType secret;
    secret.version = "v1"; secret.plural = "secrets"; secret.singular = "secret"; secret.kind = "Secret";
    secret.verbs = allVerbs;
    secret.order = typedSpec({"immutable", "data", "stringData", "type"});
    add(secret);

    // Events exist so that kubectl describe, which lists them, works.
    ResourceType ev;
    ev.version = "v1"; ev.plural = "events"; ev.singular = "event"; ev.kind = "Event";
    ev.shortNames = {"ev"}; ev.verbs = allVerbs;
    ev.order = typedSpec({"involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count",
                          "type", "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance"});
    add(ev);

    ResourceType lease;
    lease.group = "coordination.k8s.io"; lease.version = "v1"; lease.plural = "leases"; lease.singular = "lease";
    lease.kind = "Lease"; lease.verbs = allVerbs;
    lease.order = typedSpec({"spec"}, {{"spec", spec({"holderIdentity", "leaseDurationSeconds", "acquireTime",
                                                      "renewTime", "leaseTransitions", "strategy", "preferredHolder"})}});
    add(lease);

    // What an operator creates beside its custom resources (seed 003's
    // sm-{name} Deployment, -svc Service and -pvc claim). Stored as given:
    // no controller runs them, so their status is what a test writes.
    ResourceType deploy;
    deploy.group = "apps"; deploy.version = "v1"; deploy.plural = "deployments"; deploy.singular = "deployment";
    deploy.kind = "Deployment"; deploy.shortNames = {"deploy"}; deploy.categories = {"all"}; deploy.verbs = allVerbs;
    deploy.hasStatus = true; deploy.hasGeneration = true;
    deploy.specReplicasPath = ".spec.replicas"; deploy.statusReplicasPath = ".status.replicas";
    deploy.order = typedSpec({"spec", "status"});
    add(deploy);

    ResourceType svc;
    svc.version = "v1"; svc.plural = "services"; svc.singular = "service"; svc.kind = "Service";
    svc.shortNames = {"svc"}; svc.categories = {"all"}; svc.verbs = allVerbs; svc.hasStatus = true;
    svc.order = typedSpec({"spec", "status"});
    add(svc);

    ResourceType pvc;
    pvc.version = "v1"; pvc.plural = "persistentvolumeclaims"; pvc.singular = "persistentvolumeclaim";
    pvc.kind = "PersistentVolumeClaim"; pvc.shortNames = {"pvc"}; pvc.verbs = allVerbs; pvc.hasStatus = true;
    pvc.order = typedSpec({"spec", "status"});
    add(pvc);

    ResourceType crd;
    crd.group = "apiextensions.k8s.io"; crd.version = "v1"; crd.plural = "customresourcedefinitions";
    crd.singular = "customresourcedefinition"; crd.kind = "CustomResourceDefinition"; crd.namespaced = false;
    crd.shortNames = {"crd", "crds"}; crd.categories = {"api-extensions"}; crd.verbs = allVerbs;
    crd.hasStatus = true; crd.hasGeneration = true;
    auto names = spec({"plural", "singular", "shortNames", "kind", "listKind", "categories"});
    auto version = spec({"name", "served", "storage", "deprecated", "deprecationWarning", "schema", "subresources",
                         "additionalPrinterColumns", "selectableFields"},
                        {{"subresources", spec({"status", "scale"}, {{"scale", spec({"specReplicasPath", "statusReplicasPath", "labelSelectorPath"})}})}});
    crd.order = typedSpec(
        {"spec", "status"},
        {{"spec", spec({"group", "names", "scope", "versions", "conversion", "preserveUnknownFields"},
                       {{"names", names}, {"versions", spec({}, {}, version)}})},
         {"status", spec({"conditions", "acceptedNames", "storedVersions"},
                         {{"acceptedNames", names},
                          {"conditions", spec({}, {}, spec({"type", "status", "lastTransitionTime", "reason", "message"}))}})}});
    add(crd);

    // The namespaces every cluster has.
    for (const char *name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
        Json object = {{"kind", "Namespace"}, {"apiVersion", "v1"}, {"metadata", {{"name", name}}}};
        defaults(*m_types["/namespaces"], object);
        Json &meta = object["metadata"];
        meta["uid"] = newUid();
        meta["creationTimestamp"] = nowRfc3339();
        recordManager(*m_types["/namespaces"], object, nullptr, "kube-apiserver", "");
        commit(*m_types["/namespaces"], name, object, "ADDED", std::nullopt);
    }
}

std::shared_ptr<ResourceType> Api::findType(const std::string &group, const std::string &version,
                                            const std::string &plural) const
{
    const auto it = m_types.find(group + "/" + plural);
    if (it == m_types.end() || it->second->version != version)
        return nullptr;
    return it->second;
}

Stored Api::makeStored(const ResourceType &type, Json object) const
{
    Stored s;
    auto text = std::make_shared<std::string>();
    if (type.custom || !type.order) {
        *text = object.dump(-1, ' ', false, Json::error_handler_t::replace);
        s.itemOffset = 0;
    } else {
        text->reserve(512);
        writeOrdered(*text, object, type.order.get());
        // Typed objects start {"kind":"..","apiVersion":"..", and list items omit both.
        const std::string prefix = R"({"kind":)" + Json(type.kind).dump() + R"(,"apiVersion":)" + Json(type.apiVersion()).dump() + ",";
        s.itemOffset = text->rfind(prefix, 0) == 0 ? prefix.size() : 0;
    }
    bool ok = false;
    s.rv = parseRv(strOr(metaOf(object), "resourceVersion"), &ok);
    auto metaText = std::make_shared<std::string>();
    writeOrdered(*metaText, metaOf(object), metadataSpec().get());
    s.metaText = std::move(metaText);
    s.obj = std::make_shared<const Json>(std::move(object));
    s.text = std::move(text);
    return s;
}

Stored Api::commit(const ResourceType &type, const std::string &key, Json object, const char *eventType,
                   const std::optional<Stored> &previous)
{
    const uint64_t rv = ++m_rv;
    object["metadata"]["resourceVersion"] = std::to_string(rv);
    Stored stored = makeStored(type, std::move(object));
    auto &objects = bucket(type);
    if (std::string(eventType) == "DELETED")
        objects.erase(key);
    else
        objects[key] = stored;
    Event event{rv, eventType, type.id(), key, stored, previous};
    m_history.push_back(event);
    while (m_history.size() > std::max<size_t>(1, m_options.historySize)) {
        m_floor = m_history.front().rv;
        m_history.pop_front();
    }
    afterWrite(type, event);
    return stored;
}

void Api::afterWrite(const ResourceType &type, const Event &event)
{
    const std::list<Watch *> watches = m_watches;
    for (Watch *w : watches)
        w->deliver(event);
}

void Api::removeWatch(Watch *watch)
{
    m_watches.remove(watch);
}

// Rebuilds the objects of `type` as they were at `rv` from the history:
// key -> object (or nullopt when it did not exist then), only for keys that
// changed since. Callers check rv >= m_floor first.
std::map<std::string, std::optional<Stored>> Api::stateAt(const ResourceType &type, uint64_t rv) const
{
    std::map<std::string, std::optional<Stored>> overlay;
    const std::string id = type.id();
    for (auto it = m_history.rbegin(); it != m_history.rend() && it->rv > rv; ++it) {
        if (it->typeId != id)
            continue;
        // Walking backwards, the earliest change after rv is written last.
        overlay[it->key] = std::string(it->type) == "ADDED" ? std::nullopt : it->prev;
    }
    return overlay;
}

void Api::ensureNamespace(const std::string &ns) const
{
    const auto it = m_objects.find("/namespaces");
    if (it == m_objects.end() || !it->second.count(ns))
        throw ApiError{404, "NotFound", "namespaces \"" + ns + "\" not found", statusDetails(ns, "", "namespaces")};
}

void Api::defaults(const ResourceType &type, Json &object) const
{
    if (type.kind == "Namespace") {
        object["spec"] = {{"finalizers", {"kubernetes"}}};
        object["status"] = {{"phase", "Active"}};
        object["metadata"]["labels"]["kubernetes.io/metadata.name"] = object["metadata"]["name"];
    } else if (type.kind == "Secret") {
        if (!object.contains("type") || !object["type"].is_string() || object["type"].get<std::string>().empty())
            object["type"] = "Opaque";
        if (object.contains("stringData") && object["stringData"].is_object()) {
            for (auto it = object["stringData"].begin(); it != object["stringData"].end(); ++it) {
                if (it->is_string())
                    object["data"][it.key()] = QByteArray::fromStdString(it->get<std::string>()).toBase64().toStdString();
            }
        }
        object.erase("stringData");
    } else if (type.kind == "CustomResourceDefinition") {
        Json &spec = object["spec"];
        if (spec.is_object() && spec.contains("names") && spec["names"].is_object()) {
            Json &names = spec["names"];
            if (!names.contains("listKind") && names.contains("kind") && names["kind"].is_string())
                names["listKind"] = names["kind"].get<std::string>() + "List";
            if (!names.contains("singular") && names.contains("kind") && names["kind"].is_string())
                names["singular"] = QString::fromStdString(names["kind"].get<std::string>()).toLower().toStdString();
        }
        if (spec.is_object() && !spec.contains("conversion"))
            spec["conversion"] = {{"strategy", "None"}};
    }
}

void Api::validate(const ResourceType &type, const Json &object, bool creating) const
{
    const Json &meta = metaOf(object);
    const std::string name = strOr(meta, "name");
    std::vector<std::tuple<std::string, std::string, std::string>> causes;
    if (name.empty()) {
        causes.emplace_back("FieldValueRequired", "metadata.name", "Required value: name or generateName is required");
    } else if (type.kind == "Namespace") {
        if (name.size() > 63 || !std::regex_match(name, labelRe()))
            causes.emplace_back("FieldValueInvalid", "metadata.name",
                                "Invalid value: " + quoteGo(name) + ": " + kLabelMessage);
    } else if (name.size() > 253 || !std::regex_match(name, subdomainRe())) {
        causes.emplace_back("FieldValueInvalid", "metadata.name",
                            "Invalid value: " + quoteGo(name) + ": " + kSubdomainMessage);
    }
    if (type.kind == "ConfigMap" || type.kind == "Secret") {
        size_t total = 0;
        for (const char *field : {"data", "binaryData"}) {
            if (!object.contains(field) || !object[field].is_object())
                continue;
            for (auto it = object[field].begin(); it != object[field].end(); ++it) {
                if (!isDataKey(it.key()))
                    causes.emplace_back("FieldValueInvalid", std::string(field) + "[" + it.key() + "]",
                                        "Invalid value: " + quoteGo(it.key())
                                            + ": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
                if (it->is_string()) {
                    if (type.kind == "Secret" || std::string(field) == "binaryData")
                        total += QByteArray::fromBase64(QByteArray::fromStdString(it->get<std::string>())).size();
                    else
                        total += it->get<std::string>().size();
                }
            }
        }
        if (total > 1024 * 1024)
            causes.emplace_back("FieldValueTooLong", type.kind == "Secret" ? "data" : "[]",
                                "Too long: must have at most 1048576 bytes");
    }
    if (type.kind == "CustomResourceDefinition" && !name.empty()) {
        const Json spec = object.value("spec", Json::object());
        const std::string plural = spec.is_object() && spec.contains("names") ? strOr(spec["names"], "plural") : "";
        const std::string group = spec.is_object() ? strOr(spec, "group") : "";
        if (name != plural + "." + group)
            causes.emplace_back("FieldValueInvalid", "metadata.name",
                                "Invalid value: " + quoteGo(name) + ": must be spec.names.plural+\".\"+spec.group");
    }
    if (!causes.empty())
        throw invalid(type, name, causes);
    (void)creating;
}

// The fields an object sets, as a FieldsV1 set. `markers` adds the "."
// entry that Update operations write for maps and optional structs; struct
// members that are always present (metadata, a Lease's spec) get none.
Json Api::fieldsOf(const ResourceType &type, const Json &object, const std::string &subresource, bool markers) const
{
    std::function<Json(const Json &, const std::string &)> walk = [&](const Json &value, const std::string &path) {
        Json set = Json::object();
        const bool isStruct = path == "metadata" || (!type.custom && (path == "spec" || path == "spec.names"
                                                                       || (type.kind == "CustomResourceDefinition" && path == "status")));
        if (markers && !isStruct && !path.empty())
            set["."] = Json::object();
        for (auto it = value.begin(); it != value.end(); ++it) {
            const std::string childPath = path.empty() ? it.key() : path + "." + it.key();
            if (path.empty() && (it.key() == "apiVersion" || it.key() == "kind"))
                continue;
            if (path.empty() && it.key() == "status" && type.hasStatus && subresource != "status")
                continue;
            if (path.empty() && subresource == "status" && it.key() != "status")
                continue;
            if (path == "metadata" && systemMetadata().count(it.key()))
                continue;
            if (it->is_object() && !it->empty())
                set["f:" + it.key()] = walk(*it, childPath);
            else if (it->is_object() && markers)
                set["f:" + it.key()] = Json{{".", Json::object()}};
            else if (!it->is_null())
                set["f:" + it.key()] = Json::object();
        }
        if (markers && path == "metadata" && set.empty())
            return Json::object();
        return set;
    };
    Json set = walk(object, "");
    if (set.contains("f:metadata") && set["f:metadata"].empty())
        set.erase("f:metadata");
    return set;
}

// Fields whose value `after` sets differently from `before` (with map markers
// for maps that appear).
Json Api::changedFields(const ResourceType &type, const Json &before, const Json &after,
                        const std::string &subresource) const
{
    const Json all = fieldsOf(type, after, subresource, true);
    std::function<Json(const Json &, const Json *, const Json *)> walk = [&](const Json &set, const Json *b,
                                                                             const Json *a) {
        Json out = Json::object();
        for (auto it = set.begin(); it != set.end(); ++it) {
            if (it.key() == ".") {
                if (!b)
                    out["."] = Json::object();
                continue;
            }
            const std::string name = it.key().substr(2);
            const Json *bv = b && b->is_object() && b->contains(name) ? &(*b)[name] : nullptr;
            const Json *av = a && a->is_object() && a->contains(name) ? &(*a)[name] : nullptr;
            if (!av)
                continue;
            if (it->empty() || !av->is_object()) {
                if (!bv || *bv != *av)
                    out[it.key()] = Json::object();
            } else {
                Json child = walk(*it, bv && bv->is_object() ? bv : nullptr, av);
                if (!child.empty())
                    out[it.key()] = child;
            }
        }
        return out;
    };
    return walk(all, &before, &after);
}

// Records an Update by `manager`: it gains the fields it changed, others
// lose them, and everyone loses fields that are gone.
void Api::recordManager(const ResourceType &type, Json &object, const Json *before, const std::string &manager,
                        const std::string &subresource) const
{
    Json managed = before && metaOf(*before).contains("managedFields") ? metaOf(*before)["managedFields"]
                                                                        : Json::array();
    if (!managed.is_array())
        managed = Json::array();
    const Json changed = before ? changedFields(type, *before, object, subresource)
                                : fieldsOf(type, object, subresource, true);
    Json removed = Json::object();
    if (before) {
        const Json afterSet = fieldsOf(type, object, subresource, false);
        forEachLeaf(fieldsOf(type, *before, subresource, false), [&](const std::vector<std::string> &path) {
            if (!fieldSetHasLeaf(afterSet, path)) {
                Json *node = &removed;
                for (const std::string &name : path)
                    node = &(*node)["f:" + name];
                if (node->is_null())
                    *node = Json::object();
            }
        });
    }
    const std::string apiVersion = type.apiVersion();
    bool found = false;
    Json result = Json::array();
    for (Json entry : managed) {
        Json &fields = entry["fieldsV1"];
        fieldSetSubtract(fields, removed);
        const bool mine = strOr(entry, "manager") == manager && strOr(entry, "operation") == "Update"
            && strOr(entry, "subresource") == subresource;
        if (mine) {
            found = true;
            if (!changed.empty()) {
                fieldSetUnion(fields, changed);
                entry["time"] = nowRfc3339();
            }
        } else {
            Json leavesOnly = Json::object();
            forEachLeaf(changed, [&](const std::vector<std::string> &path) {
                Json *node = &leavesOnly;
                for (const std::string &name : path)
                    node = &(*node)["f:" + name];
                if (node->is_null())
                    *node = Json::object();
            });
            fieldSetSubtract(fields, leavesOnly);
        }
        if (!fieldSetEmpty(fields))
            result.push_back(entry);
    }
    if (!found && !changed.empty()) {
        Json entry = {{"manager", manager}, {"operation", "Update"}, {"apiVersion", apiVersion},
                      {"time", nowRfc3339()}, {"fieldsType", "FieldsV1"}, {"fieldsV1", changed}};
        if (!subresource.empty())
            entry["subresource"] = subresource;
        result.push_back(entry);
    }
    if (result.empty())
        object["metadata"].erase("managedFields");
    else
        object["metadata"]["managedFields"] = result;
}

void Api::registerCrd(const Json &crd)
{
    const Json &spec = crd["spec"];
    const Json &names = spec["names"];
    for (const Json &version : spec.value("versions", Json::array())) {
        if (!version.value("served", false))
            continue;
        ResourceType t;
        t.group = strOr(spec, "group");
        t.version = strOr(version, "name");
        t.plural = strOr(names, "plural");
        t.singular = strOr(names, "singular");
        t.kind = strOr(names, "kind");
        t.listKind = strOr(names, "listKind");
        t.namespaced = strOr(spec, "scope") != "Cluster";
        if (names.contains("shortNames") && names["shortNames"].is_array())
            for (const Json &s : names["shortNames"])
                if (s.is_string())
                    t.shortNames.push_back(s.get<std::string>());
        if (names.contains("categories") && names["categories"].is_array())
            for (const Json &s : names["categories"])
                if (s.is_string())
                    t.categories.push_back(s.get<std::string>());
        t.verbs = {"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"};
        t.custom = true;
        t.hasGeneration = true;
        const Json sub = version.value("subresources", Json::object());
        t.hasStatus = sub.is_object() && sub.contains("status");
        if (sub.is_object() && sub.contains("scale") && sub["scale"].is_object()) {
            t.specReplicasPath = strOr(sub["scale"], "specReplicasPath");
            t.statusReplicasPath = strOr(sub["scale"], "statusReplicasPath");
        }
        t.crdName = strOr(metaOf(crd), "name");
        const std::string id = t.id();
        m_types[id] = std::make_shared<ResourceType>(std::move(t));
        break; // one served version per group and resource is all the emulator keeps
    }
}

void Api::unregisterCrd(const std::string &crdName)
{
    for (auto it = m_types.begin(); it != m_types.end();) {
        if (it->second->crdName == crdName) {
            m_objects.erase(it->first);
            it = m_types.erase(it);
        } else {
            ++it;
        }
    }
}

// ---------------------------------------------------------------------------
// Requests

namespace {

Json parseBody(const HttpRequest &request)
{
    const QByteArray type = request.header("content-type").split(';').value(0).trimmed().toLower();
    const std::string text = request.body.toStdString();
    if (text.empty())
        throw badRequest("the body of the request was empty");
    if (type == "application/yaml" || type == "application/apply-patch+yaml") {
        try {
            return parseYaml(text);
        } catch (const std::exception &e) {
            throw badRequest(std::string("error converting YAML to JSON: ") + e.what());
        }
    }
    Json value = Json::parse(text, nullptr, false);
    if (value.is_discarded())
        throw badRequest("couldn't get version/kind; json parse error: invalid JSON body");
    return value;
}

std::string managerFor(const HttpRequest &request)
{
    const QString param = request.queryValue(QStringLiteral("fieldManager"));
    if (!param.isEmpty())
        return param.toStdString();
    const QByteArray agent = request.header("user-agent");
    const QByteArray prefix = agent.split('/').value(0).trimmed();
    return prefix.isEmpty() ? "unknown" : prefix.toStdString();
}

// As kube-apiserver negotiates: the first acceptable media type of Accept
// wins. Table is what kubectl asks for; PartialObjectMetadataList is the
// metadata-only view client-go's metadata client (and statedeck's keys-only
// listings) ask for; plain JSON is the fallback both list after it.
enum class ListView { Json, Table, PartialMetadata };

ListView listViewWanted(const HttpRequest &request)
{
    const QByteArray accept = request.header("accept");
    for (const QByteArray &part : accept.split(',')) {
        const QByteArray p = part.trimmed();
        const bool meta = p.contains("g=meta.k8s.io") && p.contains("v=v1");
        if (meta && p.contains("as=Table"))
            return ListView::Table;
        if (meta && p.contains("as=PartialObjectMetadataList"))
            return ListView::PartialMetadata;
        if (p.startsWith("application/json") && !p.contains("as="))
            return ListView::Json;
    }
    return ListView::Json;
}

bool wantsTable(const HttpRequest &request)
{
    const QByteArray accept = request.header("accept");
    // The first acceptable media type wins; kubectl lists Table first and
    // plain JSON as the fallback.
    for (const QByteArray &part : accept.split(',')) {
        const QByteArray p = part.trimmed();
        if (p.contains("as=Table") && p.contains("g=meta.k8s.io") && p.contains("v=v1"))
            return true;
        if (p.startsWith("application/json") && !p.contains("as="))
            return false;
    }
    return false;
}

QList<QPair<QByteArray, QByteArray>> apiHeaders(const std::string &flowSchema)
{
    return {{"Audit-Id", QByteArray::fromStdString(newUid())},
            {"X-Kubernetes-Pf-Flowschema-Uid", QByteArray::fromStdString(flowSchema)},
            {"X-Kubernetes-Pf-Prioritylevel-Uid", QByteArray::fromStdString(flowSchema)}};
}

const QByteArray kTableType = "application/json;as=Table;v=v1;g=meta.k8s.io";

// Streams a list body without copying the objects: a snapshot of shared
// pointers is written in slices as the socket drains.
class ListStream : public QObject {
public:
    ListStream(HttpExchange *exchange, std::string head, std::vector<Stored> items, bool typed)
        : QObject(exchange), m_exchange(exchange), m_head(std::move(head)), m_items(std::move(items)), m_typed(typed)
    {
        connect(exchange, &HttpExchange::drained, this, &ListStream::pump);
    }
    void pump()
    {
        // Bounded: each call writes at most until the socket holds 4 MiB.
        while (m_exchange && m_exchange->isOpen() && m_exchange->pendingBytes() < 4 * 1024 * 1024) {
            if (!m_head.empty()) {
                m_exchange->writeChunk(m_head);
                m_head.clear();
            }
            if (m_index >= m_items.size()) {
                m_exchange->writeChunk(std::string("]}"));
                m_exchange->endStream();
                m_exchange = nullptr;
                return;
            }
            std::string slice;
            slice.reserve(256 * 1024 + 4096);
            while (m_index < m_items.size() && slice.size() < 256 * 1024) {
                const Stored &s = m_items[m_index];
                if (m_index > 0)
                    slice += ',';
                if (m_typed && s.itemOffset > 0) {
                    slice += '{';
                    slice.append(*s.text, s.itemOffset, std::string::npos);
                } else {
                    slice += *s.text;
                }
                ++m_index;
            }
            m_exchange->writeChunk(slice);
        }
    }

private:
    QPointer<HttpExchange> m_exchange;
    std::string m_head;
    std::vector<Stored> m_items;
    bool m_typed;
    size_t m_index = 0;
};

} // namespace

static Filter filterFor(const std::string &ns, const ResourceType &type, const HttpRequest &request);

void Api::sendJson(HttpExchange *exchange, int status, const std::string &text)
{
    exchange->send(status, "application/json", QByteArray::fromStdString(text), apiHeaders(m_flowSchemaUid));
}

void Api::sendError(HttpExchange *exchange, const ApiError &error)
{
    auto headers = error.code == 401 ? QList<QPair<QByteArray, QByteArray>>{{"Audit-Id", QByteArray::fromStdString(newUid())}}
                                     : apiHeaders(m_flowSchemaUid);
    exchange->send(error.code, "application/json", QByteArray::fromStdString(statusText(error)), headers);
}

void Api::handle(const HttpRequest &request, HttpExchange *exchange)
{
    if (request.path == QLatin1String("/healthz") || request.path == QLatin1String("/livez")
        || request.path == QLatin1String("/readyz")) {
        exchange->send(200, "text/plain; charset=utf-8", "ok");
        return;
    }
    // kube-apiserver tries the client certificate before bearer tokens.
    std::optional<User> user;
    if (!request.clientCertificate.isNull()) {
        const QStringList cn = request.clientCertificate.subjectInfo(QSslCertificate::CommonName);
        if (!cn.isEmpty() && !cn.first().isEmpty())
            user = User{cn.first().toStdString(),
                        roleFor(request.clientCertificate.subjectInfo(QSslCertificate::Organization))};
    }
    if (!user) {
        const QByteArray authorization = request.header("authorization");
        const auto found = authorization.left(7).toLower() == "bearer "
            ? m_options.tokens.find(authorization.mid(7).trimmed().toStdString())
            : m_options.tokens.end();
        if (found != m_options.tokens.end())
            user = found->second;
    }
    if (!user) {
        sendError(exchange, {401, "Unauthorized", "Unauthorized", OJson::object()});
        return;
    }
    try {
        serve(request, exchange, *user);
    } catch (const ApiError &error) {
        sendError(exchange, error);
    } catch (const std::exception &e) {
        sendError(exchange, {500, "InternalError", std::string("Internal error occurred: ") + e.what(),
                             OJson::object()});
    }
}

void Api::serve(const HttpRequest &request, HttpExchange *exchange, const User &user)
{
    if (request.method == "GET" && discovery(request, exchange))
        return;
    QStringList parts = request.path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    const ApiError noRoute{404, "NotFound", "the server could not find the requested resource", OJson::object()};
    std::string group, version;
    if (parts.size() >= 2 && parts[0] == QLatin1String("api")) {
        version = parts[1].toStdString();
        parts = parts.mid(2);
    } else if (parts.size() >= 3 && parts[0] == QLatin1String("apis")) {
        group = parts[1].toStdString();
        version = parts[2].toStdString();
        parts = parts.mid(3);
    } else {
        throw noRoute;
    }
    Route route;
    if (parts.size() >= 3 && parts[0] == QLatin1String("namespaces")) {
        route.ns = parts[1].toStdString();
        route.type = findType(group, version, parts[2].toStdString());
        route.name = parts.value(3).toStdString();
        route.sub = parts.value(4).toStdString();
        if (parts.size() > 5)
            throw noRoute;
        if (route.type && !route.type->namespaced)
            throw noRoute;
    } else if (!parts.isEmpty()) {
        route.type = findType(group, version, parts[0].toStdString());
        route.name = parts.value(1).toStdString();
        route.sub = parts.value(2).toStdString();
        if (parts.size() > 3)
            throw noRoute;
    }
    if (!route.type)
        throw noRoute;
    if (!route.sub.empty() && route.sub != "status" && !(route.sub == "scale" && !route.type->specReplicasPath.empty()))
        throw noRoute;
    if (route.sub == "status" && !route.type->hasStatus)
        throw noRoute;
    const bool watch = request.queryValue(QStringLiteral("watch")) == QLatin1String("1")
        || request.queryValue(QStringLiteral("watch")) == QLatin1String("true");
    const QByteArray m = request.method;
    if (m == "GET")
        route.verb = watch ? "watch" : route.name.empty() ? "list" : "get";
    else if (m == "POST")
        route.verb = "create";
    else if (m == "PUT")
        route.verb = "update";
    else if (m == "PATCH")
        route.verb = "patch";
    else if (m == "DELETE")
        route.verb = route.name.empty() ? "deletecollection" : "delete";
    else
        throw ApiError{405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                       OJson::object()};
    const bool read = route.verb == "get" || route.verb == "list" || route.verb == "watch";
    if (user.role == Role::None || (user.role == Role::ReadOnly && !read)) {
        const std::string resource = route.type->plural + (route.sub.empty() ? "" : "/" + route.sub);
        std::string message = qualified(*route.type) + (route.name.empty() ? "" : " \"" + route.name + "\"")
            + " is forbidden: User \"" + user.name + "\" cannot " + route.verb + " resource \"" + resource
            + "\" in API group \"" + route.type->group + "\"";
        message += route.ns.empty() ? " at the cluster scope" : " in the namespace \"" + route.ns + "\"";
        throw ApiError{403, "Forbidden", message, statusDetails(route.name, route.type->group, route.type->plural)};
    }
    if (route.type->namespaced && route.ns.empty() && !(route.verb == "list" || route.verb == "watch"))
        throw noRoute;
    if (route.verb == "create" && !route.name.empty())
        throw ApiError{405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                       OJson::object()};
    if (route.sub == "scale") {
        doScale(route, request, exchange);
        return;
    }
    if (route.verb == "watch")
        doWatch(route, request, exchange);
    else if (route.verb == "list")
        doList(route, request, exchange);
    else if (route.verb == "get")
        doGet(route, request, exchange);
    else if (route.verb == "create")
        doCreate(route, request, exchange);
    else if (route.verb == "update")
        doUpdate(route, request, exchange);
    else if (route.verb == "patch")
        doPatch(route, request, exchange);
    else if (route.verb == "delete")
        doDelete(route, request, exchange);
    else
        doDeleteCollection(route, request, exchange);
}

// DELETE on a collection: every object matching the selectors goes, and the
// answer is the list of what was deleted, as the API server returns it.
void Api::doDeleteCollection(const Route &route, const HttpRequest &request, HttpExchange *exchange)
{
    const ResourceType &type = *route.type;
    if (std::find(type.verbs.begin(), type.verbs.end(), "deletecollection") == type.verbs.end())
        throw ApiError{405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                       OJson::object()};
    const Filter filter = filterFor(route.ns, type, request);
    auto &objects = bucket(type);
    std::vector<std::string> keys;
    for (const auto &[key, stored] : objects)
        if (filter.matches(*stored.obj))
            keys.push_back(key);
    std::vector<Stored> deleted;
    for (const std::string &key : keys) {
        const Stored current = objects.at(key);
        deleted.push_back(commit(type, key, *current.obj, "DELETED", current));
    }
    sendList(route, exchange, std::move(deleted), OJson{{"resourceVersion", std::to_string(m_rv)}});
}

bool Api::discovery(const HttpRequest &request, HttpExchange *exchange)
{
    const QString path = request.path.endsWith(QLatin1Char('/')) && request.path.size() > 1
        ? request.path.chopped(1)
        : request.path;
    auto resourceList = [this](const std::string &group, const std::string &version, bool legacy) {
        OJson list = OJson::object();
        list["kind"] = "APIResourceList";
        if (!legacy)
            list["apiVersion"] = "v1";
        list["groupVersion"] = group.empty() ? version : group + "/" + version;
        OJson resources = OJson::array();
        for (const auto &[id, t] : m_types) {
            if (t->group != group || t->version != version)
                continue;
            OJson r = OJson::object();
            r["name"] = t->plural;
            r["singularName"] = t->singular;
            r["namespaced"] = t->namespaced;
            r["kind"] = t->kind;
            r["verbs"] = t->verbs;
            if (!t->shortNames.empty())
                r["shortNames"] = t->shortNames;
            if (!t->categories.empty())
                r["categories"] = t->categories;
            r["storageVersionHash"] = t->storageVersionHash();
            resources.push_back(r);
            if (t->hasStatus) {
                OJson s = OJson::object();
                s["name"] = t->plural + "/status";
                s["singularName"] = "";
                s["namespaced"] = t->namespaced;
                s["kind"] = t->kind;
                s["verbs"] = {"get", "patch", "update"};
                resources.push_back(s);
            }
            if (!t->specReplicasPath.empty()) {
                OJson s = OJson::object();
                s["name"] = t->plural + "/scale";
                s["singularName"] = "";
                s["namespaced"] = t->namespaced;
                s["group"] = "autoscaling";
                s["version"] = "v1";
                s["kind"] = "Scale";
                s["verbs"] = {"get", "patch", "update"};
                resources.push_back(s);
            }
        }
        list["resources"] = resources;
        return list;
    };
    auto groups = [this] {
        std::vector<std::pair<std::string, std::string>> out; // group, version, in first-seen order
        for (const char *builtin : {"apiextensions.k8s.io", "coordination.k8s.io"})
            for (const auto &[id, t] : m_types)
                if (t->group == builtin && std::find(out.begin(), out.end(), std::make_pair(t->group, t->version)) == out.end())
                    out.emplace_back(t->group, t->version);
        for (const auto &[id, t] : m_types)
            if (!t->group.empty() && std::find(out.begin(), out.end(), std::make_pair(t->group, t->version)) == out.end())
                out.emplace_back(t->group, t->version);
        return out;
    };
    auto groupJson = [](const std::string &group, const std::string &version) {
        OJson gv = OJson::object();
        gv["groupVersion"] = group + "/" + version;
        gv["version"] = version;
        OJson g = OJson::object();
        g["name"] = group;
        g["versions"] = OJson::array({gv});
        g["preferredVersion"] = gv;
        return g;
    };

    if (path == QLatin1String("/version")) {
        OJson v = OJson::object();
        v["major"] = "1";
        v["minor"] = "28";
        v["gitVersion"] = "v1.28.7";
        v["gitCommit"] = "c8dcb00be9961ec36d141d2e4103f85f92bcf291";
        v["gitTreeState"] = "clean";
        v["buildDate"] = "2026-11-22T13:11:11Z";
        v["goVersion"] = "go1.21.13";
        v["compiler"] = "gc";
        v["platform"] = "linux/amd64";
        sendJson(exchange, 200, v.dump());
        return true;
    }
    if (path == QLatin1String("/api")) {
        OJson v = OJson::object();
        v["kind"] = "APIVersions";
        v["versions"] = {"v1"};
        QByteArray host = request.header("host");
        if (host.isEmpty())
            host = "127.0.0.1";
        v["serverAddressByClientCIDRs"] = OJson::array({OJson{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", host.toStdString()}}});
        sendJson(exchange, 200, v.dump());
        return true;
    }
    if (path == QLatin1String("/api/v1")) {
        sendJson(exchange, 200, resourceList("", "v1", true).dump());
        return true;
    }
    if (path == QLatin1String("/apis")) {
        OJson v = OJson::object();
        v["kind"] = "APIGroupList";
        v["apiVersion"] = "v1";
        OJson list = OJson::array();
        for (const auto &[group, version] : groups())
            list.push_back(groupJson(group, version));
        v["groups"] = list;
        sendJson(exchange, 200, v.dump());
        return true;
    }
    const QStringList parts = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    if (parts.size() == 2 && parts[0] == QLatin1String("apis")) {
        for (const auto &[group, version] : groups()) {
            if (group == parts[1].toStdString()) {
                OJson g = groupJson(group, version);
                OJson v = OJson::object();
                v["kind"] = "APIGroup";
                v["apiVersion"] = "v1";
                for (auto it = g.begin(); it != g.end(); ++it)
                    v[it.key()] = it.value();
                sendJson(exchange, 200, v.dump());
                return true;
            }
        }
        throw ApiError{404, "NotFound", "the server could not find the requested resource", OJson::object()};
    }
    if (parts.size() == 3 && parts[0] == QLatin1String("apis")) {
        for (const auto &[group, version] : groups()) {
            if (group == parts[1].toStdString() && version == parts[2].toStdString()) {
                sendJson(exchange, 200, resourceList(group, version, false).dump());
                return true;
            }
        }
        throw ApiError{404, "NotFound", "the server could not find the requested resource", OJson::object()};
    }
    if (path == QLatin1String("/openapi/v2")) {
        // kubectl asks for protobuf only. A document with no paths and no
        // definitions is valid and makes kubectl skip client-side schema
        // checks; field validation is learned from /openapi/v3 instead.
        if (request.header("accept").contains("protobuf")) {
            auto field = [](char tag, const QByteArray &value) -> QByteArray {
                return QByteArray(1, tag) + QByteArray(1, char(value.size())) + value;
            };
            const QByteArray info = field(0x0a, "Kubernetes") + field(0x12, "v1.28.7");
            exchange->send(200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
                           field(0x0a, "2.0") + field(0x12, info), apiHeaders(m_flowSchemaUid));
            return true;
        }
        OJson doc = OJson::object();
        doc["swagger"] = "2.0";
        doc["info"] = {{"title", "Kubernetes"}, {"version", "v1.28.7"}};
        doc["paths"] = OJson::object();
        doc["definitions"] = OJson::object();
        sendJson(exchange, 200, doc.dump());
        return true;
    }
    if (path == QLatin1String("/openapi/v3")) {
        OJson paths = OJson::object();
        paths["api/v1"] = {{"serverRelativeURL", "/openapi/v3/api/v1?hash=" + std::to_string(m_types.size())}};
        for (const auto &[group, version] : groups())
            paths["apis/" + group + "/" + version] = {
                {"serverRelativeURL", "/openapi/v3/apis/" + group + "/" + version + "?hash=" + std::to_string(m_types.size())}};
        sendJson(exchange, 200, OJson{{"paths", paths}}.dump());
        return true;
    }
    if (path.startsWith(QLatin1String("/openapi/v3/"))) {
        // Only what kubectl's field-validation probe reads: each kind's
        // PATCH operation and its fieldValidation parameter. No schemas.
        const QStringList gv = path.mid(12).split(QLatin1Char('/'), Qt::SkipEmptyParts);
        std::string group, version;
        if (gv.size() == 2 && gv[0] == QLatin1String("api")) {
            version = gv[1].toStdString();
        } else if (gv.size() == 3 && gv[0] == QLatin1String("apis")) {
            group = gv[1].toStdString();
            version = gv[2].toStdString();
        } else {
            throw ApiError{404, "NotFound", "the server could not find the requested resource", OJson::object()};
        }
        OJson paths = OJson::object();
        bool any = false;
        for (const auto &[id, t] : m_types) {
            if (t->group != group || t->version != version)
                continue;
            any = true;
            const std::string base = (group.empty() ? "/api/" + version : "/apis/" + group + "/" + version)
                + (t->namespaced ? "/namespaces/{namespace}/" : "/") + t->plural;
            OJson gvk = {{"group", group}, {"kind", t->kind}, {"version", version}};
            OJson param = {{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
            OJson op = {{"x-kubernetes-group-version-kind", gvk}, {"parameters", OJson::array({param})}, {"responses", OJson::object()}};
            paths[base] = {{"post", op}};
            paths[base + "/{name}"] = {{"put", op}, {"patch", op}};
        }
        if (!any)
            throw ApiError{404, "NotFound", "the server could not find the requested resource", OJson::object()};
        OJson doc = OJson::object();
        doc["openapi"] = "3.0.0";
        doc["info"] = {{"title", "Kubernetes"}, {"version", "v1.28.7"}};
        doc["paths"] = paths;
        doc["components"] = {{"schemas", OJson::object()}};
        sendJson(exchange, 200, doc.dump());
        return true;
    }
    return false;
}

std::string Api::tableFor(const ResourceType &type, const std::vector<const Stored *> &items,
                          const std::string &includeObject, bool withColumns, const OJson &listMeta) const
{
    auto column = [](const char *name, const char *ctype, const char *format, const char *description) {
        OJson c = OJson::object();
        c["name"] = name;
        c["type"] = ctype;
        c["format"] = format;
        c["description"] = description;
        c["priority"] = 0;
        return c;
    };
    static const char *nameDoc = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
    static const char *ageDoc = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
    OJson columns = OJson::array();
    columns.push_back(column("Name", "string", "name", nameDoc));
    if (type.kind == "ConfigMap") {
        columns.push_back(column("Data", "string", "", "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."));
    } else if (type.kind == "Secret") {
        columns.push_back(column("Type", "string", "", "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"));
        columns.push_back(column("Data", "string", "", "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"));
    } else if (type.kind == "Namespace") {
        columns.push_back(column("Status", "string", "", "The status of the namespace"));
    } else if (type.kind == "Lease") {
        columns.push_back(column("Holder", "string", "", "holderIdentity contains the identity of the holder of a current lease."));
    }
    if (type.kind == "CustomResourceDefinition")
        columns.push_back(column("Created At", "date", "", ageDoc));
    else
        columns.push_back(column("Age", "string", "", ageDoc));

    OJson table = OJson::object();
    table["kind"] = "Table";
    table["apiVersion"] = "meta.k8s.io/v1";
    table["metadata"] = listMeta;
    table["columnDefinitions"] = withColumns ? columns : OJson::array();
    OJson rows = OJson::array();
    for (const Stored *s : items) {
        const Json &o = *s->obj;
        const Json &meta = metaOf(o);
        OJson cells = OJson::array();
        cells.push_back(strOr(meta, "name"));
        auto count = [&](const char *a, const char *b) {
            size_t n = 0;
            for (const char *f : {a, b})
                if (f && o.contains(f) && o[f].is_object())
                    n += o[f].size();
            return n;
        };
        if (type.kind == "ConfigMap") {
            cells.push_back(count("data", "binaryData"));
        } else if (type.kind == "Secret") {
            cells.push_back(strOr(o, "type"));
            cells.push_back(count("data", nullptr));
        } else if (type.kind == "Namespace") {
            cells.push_back(o.contains("status") ? strOr(o["status"], "phase") : "");
        } else if (type.kind == "Lease") {
            cells.push_back(o.contains("spec") ? strOr(o["spec"], "holderIdentity") : "");
        }
        if (type.kind == "CustomResourceDefinition")
            cells.push_back(strOr(meta, "creationTimestamp"));
        else
            cells.push_back(humanAge(strOr(meta, "creationTimestamp")));
        OJson row = OJson::object();
        row["cells"] = cells;
        if (includeObject == "Object") {
            row["object"] = OJson::parse(*s->text);
        } else if (includeObject != "None") {
            OJson partial = OJson::object();
            partial["kind"] = "PartialObjectMetadata";
            partial["apiVersion"] = "meta.k8s.io/v1";
            std::string metaText;
            writeOrdered(metaText, meta, metadataSpec().get());
            partial["metadata"] = OJson::parse(metaText);
            row["object"] = partial;
        }
        rows.push_back(row);
    }
    table["rows"] = rows;
    return table.dump();
}

void Api::doGet(const Route &route, const HttpRequest &request, HttpExchange *exchange)
{
    auto &objects = bucket(*route.type);
    const auto it = objects.find(route.key());
    if (it == objects.end())
        throw notFoundError(*route.type, route.name);
    if (wantsTable(request)) {
        std::vector<const Stored *> items{&it->second};
        exchange->send(200, kTableType,
                       QByteArray::fromStdString(tableFor(*route.type, items,
                                                          request.queryValue(QStringLiteral("includeObject")).isEmpty()
                                                              ? "Metadata"
                                                              : request.queryValue(QStringLiteral("includeObject")).toStdString(),
                                                          true, OJson{{"resourceVersion", std::to_string(m_rv)}})),
                       apiHeaders(m_flowSchemaUid));
        return;
    }
    sendJson(exchange, 200, *it->second.text);
}

static Filter filterFor(const std::string &ns, const ResourceType &type, const HttpRequest &request)
{
    Filter filter;
    filter.ns = ns;
    std::string error;
    if (!parseLabelSelector(request.queryValue(QStringLiteral("labelSelector")).toStdString(), filter.labels, error))
        throw badRequest(error);
    if (!parseFieldSelector(request.queryValue(QStringLiteral("fieldSelector")).toStdString(), type, filter.fields, error))
        throw badRequest(error);
    return filter;
}

void Api::doList(const Route &route, const HttpRequest &request, HttpExchange *exchange)
{
    const ResourceType &type = *route.type;
    const Filter filter = filterFor(route.ns, type, request);
    const bool selective = !filter.labels.empty() || !filter.fields.empty();
    const QString limitText = request.queryValue(QStringLiteral("limit"));
    const long long limit = limitText.isEmpty() ? 0 : limitText.toLongLong();
    const std::string cont = request.queryValue(QStringLiteral("continue")).toStdString();
    const std::string rvText = request.queryValue(QStringLiteral("resourceVersion")).toStdString();
    const std::string rvMatch = request.queryValue(QStringLiteral("resourceVersionMatch")).toStdString();
    const std::string prefix = route.ns.empty() ? std::string() : route.ns + "/";

    uint64_t listRv = m_rv;
    std::string start;
    if (!cont.empty()) {
        if (!rvText.empty() && rvText != "0")
            throw badRequest("specifying resource version is not allowed when using continue");
        int64_t tokenRv = 0;
        if (!decodeContinue(cont, tokenRv, start))
            throw badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        if (tokenRv >= 0 && uint64_t(tokenRv) < m_floor) {
            ApiError expired{410, "Expired",
                             "The provided continue parameter is too old to display a consistent list result. You can "
                             "start a new list without the continue parameter, or use the continue token in this "
                             "response to retrieve the remainder of the results. Continuing with the provided token "
                             "results in an inconsistent list - objects that were created, modified, or deleted "
                             "between the time the first chunk was returned and now may show up in the list.",
                             OJson::object()};
            expired.listMeta["continue"] = encodeContinue(-1, start.empty() ? start : start.substr(0, start.size() - 1));
            throw expired;
        }
        if (tokenRv > 0)
            listRv = uint64_t(tokenRv);
    } else if (rvMatch == "Exact") {
        bool ok = false;
        const uint64_t rv = parseRv(rvText, &ok);
        if (!ok)
            throw badRequest("resourceVersionMatch: Exact requires a resourceVersion");
        if (rv < m_floor)
            throw ApiError{410, "Expired", "The resourceVersion for the provided list is too old.", OJson::object()};
        listRv = std::min(rv, m_rv);
    } else if (!rvMatch.empty() && rvMatch != "NotOlderThan") {
        throw badRequest("resourceVersionMatch: Unsupported value: \"" + rvMatch + "\"");
    }

    const auto &objects = bucket(type);
    const auto overlay = listRv < m_rv ? stateAt(type, listRv) : std::map<std::string, std::optional<Stored>>{};
    std::vector<Stored> items;
    std::string lastKey;
    bool more = false;
    long long remaining = 0;
    auto cur = objects.lower_bound(prefix + start);
    auto old = overlay.lower_bound(prefix + start);
    // A merge of the live map and the keys that changed after listRv.
    for (;;) {
        const bool curOk = cur != objects.end() && cur->first.compare(0, prefix.size(), prefix) == 0;
        const bool oldOk = old != overlay.end() && old->first.compare(0, prefix.size(), prefix) == 0;
        if (!curOk && !oldOk)
            break;
        std::string key;
        const Stored *value = nullptr;
        if (oldOk && (!curOk || old->first <= cur->first)) {
            key = old->first;
            value = old->second ? &*old->second : nullptr;
            if (curOk && cur->first == old->first)
                ++cur;
            ++old;
        } else {
            key = cur->first;
            value = &cur->second;
            ++cur;
        }
        if (!value)
            continue;
        if (more) {
            ++remaining;
            if (selective)
                break;
            continue;
        }
        if (!filter.matches(*value->obj))
            continue;
        if (limit > 0 && (long long)items.size() >= limit) {
            more = true;
            ++remaining;
            if (selective)
                break;
            continue;
        }
        items.push_back(*value);
        lastKey = key.substr(prefix.size());
    }
    OJson listMeta = OJson::object();
    listMeta["resourceVersion"] = std::to_string(listRv);
    if (more) {
        listMeta["continue"] = encodeContinue(int64_t(listRv), lastKey);
        if (!selective)
            listMeta["remainingItemCount"] = remaining;
    }
    if (listViewWanted(request) == ListView::PartialMetadata) {
        // Each item is the object's metadata, as kube-apiserver writes it,
        // from the text written with the object.
        std::string body = R"({"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":)";
        body += listMeta.dump();
        body += R"(,"items":[)";
        for (size_t i = 0; i < items.size(); ++i) {
            if (i)
                body += ',';
            body += R"({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":)";
            if (items[i].metaText)
                body += *items[i].metaText;
            else
                writeOrdered(body, metaOf(*items[i].obj), metadataSpec().get());
            body += '}';
        }
        body += "]}";
        exchange->send(200, "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
                       QByteArray::fromStdString(body), apiHeaders(m_flowSchemaUid));
        return;
    }
    if (wantsTable(request)) {
        std::vector<const Stored *> pointers;
        pointers.reserve(items.size());
        for (const Stored &s : items)
            pointers.push_back(&s);
        const QString include = request.queryValue(QStringLiteral("includeObject"));
        exchange->send(200, kTableType,
                       QByteArray::fromStdString(tableFor(type, pointers, include.isEmpty() ? "Metadata" : include.toStdString(),
                                                          true, listMeta)),
                       apiHeaders(m_flowSchemaUid));
        return;
    }
    sendList(route, exchange, std::move(items), listMeta);
}

void Api::sendList(const Route &route, HttpExchange *exchange, std::vector<Stored> items, const OJson &listMeta)
{
    const ResourceType &type = *route.type;
    std::string head;
    if (type.custom) {
        // Unstructured lists marshal like Go maps: keys sorted, and an empty
        // continue is still written.
        OJson meta = OJson::object();
        meta["continue"] = listMeta.contains("continue") ? listMeta["continue"].get<std::string>() : "";
        if (listMeta.contains("remainingItemCount"))
            meta["remainingItemCount"] = listMeta["remainingItemCount"];
        meta["resourceVersion"] = listMeta["resourceVersion"];
        head = R"({"apiVersion":)" + Json(type.apiVersion()).dump() + R"(,"items":[)";
        std::string tail = R"(],"kind":)" + Json(type.listKind).dump() + R"(,"metadata":)" + meta.dump() + "}";
        std::string body = head;
        for (size_t i = 0; i < items.size(); ++i) {
            if (i)
                body += ',';
            body += *items[i].text;
        }
        body += tail;
        sendJson(exchange, 200, body);
        return;
    }
    head = R"({"kind":)" + Json(type.kind + "List").dump() + R"(,"apiVersion":)" + Json(type.apiVersion()).dump()
        + R"(,"metadata":)" + listMeta.dump() + R"(,"items":[)";
    size_t total = head.size();
    for (const Stored &s : items)
        total += s.text->size();
    if (total < 256 * 1024) {
        std::string body = head;
        body.reserve(total + items.size() + 4);
        for (size_t i = 0; i < items.size(); ++i) {
            if (i)
                body += ',';
            body += '{';
            body.append(*items[i].text, items[i].itemOffset, std::string::npos);
        }
        body += "]}";
        sendJson(exchange, 200, body);
        return;
    }
    exchange->startStream(200, "application/json", apiHeaders(m_flowSchemaUid));
    auto *stream = new ListStream(exchange, std::move(head), std::move(items), true);
    stream->pump();
}

void Api::doWatch(const Route &route, const HttpRequest &request, HttpExchange *exchange)
{
    const ResourceType &type = *route.type;
    Filter filter = filterFor(route.ns, type, request);
    if (!route.name.empty())
        filter.fields.push_back({"metadata.name", route.name, false});
    const std::string rvText = request.queryValue(QStringLiteral("resourceVersion")).toStdString();
    const bool table = wantsTable(request);
    exchange->startStream(200, table ? kTableType : QByteArray("application/json"), apiHeaders(m_flowSchemaUid));

    uint64_t from = 0;
    bool ok = false;
    if (!rvText.empty() && rvText != "0") {
        from = parseRv(rvText, &ok);
        if (!ok || from < m_floor) {
            ApiError expired{410, "Expired",
                             ok ? "too old resource version: " + rvText + " (" + std::to_string(m_floor + 1) + ")"
                                : "invalid resource version: " + rvText,
                             OJson::object()};
            if (!ok) {
                expired.code = 400;
                expired.reason = "BadRequest";
            }
            exchange->writeChunk(R"({"type":"ERROR","object":)" + statusText(expired) + "}\n");
            exchange->endStream();
            return;
        }
    }
    auto *watch = new Watch(this, exchange);
    watch->type = route.type;
    watch->filter = filter;
    watch->table = table;
    const QString include = request.queryValue(QStringLiteral("includeObject"));
    watch->includeObject = include.isEmpty() ? "Metadata" : include.toStdString();
    watch->bookmarks = request.queryValue(QStringLiteral("allowWatchBookmarks")) == QLatin1String("true");
    const QString timeoutText = request.queryValue(QStringLiteral("timeoutSeconds"));
    const int asked = timeoutText.toInt();
    const int timeoutSeconds = asked > 0 ? asked : m_options.defaultWatchTimeoutSeconds;
    watch->timeout.start(std::min(timeoutSeconds, 7 * 24 * 3600) * 1000);
    if (watch->bookmarks)
        watch->bookmark.start(m_options.bookmarkIntervalMs);
    m_watches.push_back(watch);

    if (rvText.empty() || rvText == "0") {
        // No starting point: the current state as ADDED events, then changes.
        const auto &objects = bucket(type);
        const std::string prefix = route.ns.empty() ? std::string() : route.ns + "/";
        for (auto it = objects.lower_bound(prefix); it != objects.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
            // Key order is not version order: each current object is sent.
            watch->lastRv = 0;
            watch->deliver(Event{it->second.rv, "ADDED", type.id(), it->first, it->second, std::nullopt});
        }
        watch->lastRv = m_rv;
    } else {
        watch->lastRv = 0;
        for (const Event &event : m_history)
            if (event.rv > from)
                watch->deliver(event);
        watch->lastRv = std::max(watch->lastRv, from);
    }
}

Stored Api::finishUpdate(const ResourceType &type, const Stored &current, Json next, const std::string &manager,
                         const std::string &subresource, bool *changedOut)
{
    const Json &old = *current.obj;
    const Json &oldMeta = metaOf(old);
    if (subresource == "status") {
        Json merged = old;
        if (next.contains("status"))
            merged["status"] = next["status"];
        else
            merged.erase("status");
        next = std::move(merged);
    } else if (type.hasStatus) {
        if (old.contains("status"))
            next["status"] = old["status"];
        else
            next.erase("status");
    }
    next["kind"] = type.kind;
    next["apiVersion"] = type.apiVersion();
    Json &meta = next["metadata"];
    if (!meta.is_object())
        meta = Json::object();
    for (const char *keep : {"name", "namespace", "uid", "creationTimestamp", "generation", "managedFields"}) {
        if (oldMeta.contains(keep))
            meta[keep] = oldMeta[keep];
        else
            meta.erase(keep);
    }
    meta["resourceVersion"] = oldMeta.value("resourceVersion", Json(""));
    defaults(type, next);
    if (type.kind == "Namespace" && old.contains("status"))
        next["status"] = old["status"];
    validate(type, next, false);
    if (type.hasGeneration) {
        Json a = old, b = next;
        for (Json *j : {&a, &b}) {
            j->erase("metadata");
            j->erase("status");
        }
        if (a != b)
            meta["generation"] = oldMeta.value("generation", Json(0)).get<int64_t>() + 1;
    }
    recordManager(type, next, &old, manager, subresource);
    if (next == old) {
        if (changedOut)
            *changedOut = false;
        return current;
    }
    if (changedOut)
        *changedOut = true;
    const std::string key = strOr(meta, "namespace").empty() ? strOr(meta, "name")
                                                              : strOr(meta, "namespace") + "/" + strOr(meta, "name");
    Stored stored = commit(type, key, std::move(next), "MODIFIED", current);
    if (type.kind == "CustomResourceDefinition")
        registerCrd(*stored.obj);
    return stored;
}

void Api::doCreate(const Route &route, const HttpRequest &request, HttpExchange *exchange)
{
    const ResourceType &type = *route.type;
    Json body = parseBody(request);
    if (!body.is_object())
        throw badRequest("the body of the request was in an unknown format");
    if (body.contains("kind") && body["kind"].is_string() && body["kind"].get<std::string>() != type.kind)
        throw badRequest("the server could not find the requested resource (kind " + body["kind"].get<std::string>() + ")");
    body["kind"] = type.kind;
    body["apiVersion"] = type.apiVersion();
    if (!body.contains("metadata") || !body["metadata"].is_object())
        body["metadata"] = Json::object();
    Json &meta = body["metadata"];
    if (type.namespaced) {
        const std::string given = strOr(meta, "namespace");
        if (!given.empty() && given != route.ns)
            throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
        meta["namespace"] = route.ns;
    } else {
        meta.erase("namespace");
    }
    if (strOr(meta, "name").empty() && !strOr(meta, "generateName").empty()) {
        static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
        std::string suffix;
        for (int i = 0; i < 5; ++i)
            suffix += alphabet[QRandomGenerator::global()->bounded(int(sizeof(alphabet) - 1))];
        meta["name"] = strOr(meta, "generateName") + suffix;
    }
    for (const char *drop : {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
                             "deletionTimestamp", "selfLink"})
        meta.erase(drop);
    if (type.hasStatus && type.custom)
        body.erase("status");
    if (type.kind == "CustomResourceDefinition")
        body["status"] = {{"conditions", nullptr}, {"acceptedNames", {{"plural", ""}, {"kind", ""}}},
                          {"storedVersions", Json::array()}};
    defaults(type, body);
    if (type.kind == "CustomResourceDefinition" && body["spec"].contains("versions") && body["spec"]["versions"].is_array())
        for (const Json &v : body["spec"]["versions"])
            if (v.value("storage", false) && v.contains("name"))
                body["status"]["storedVersions"].push_back(v["name"]);
    validate(type, body, true);
    if (type.namespaced)
        ensureNamespace(route.ns);
    const std::string name = strOr(meta, "name");
    const std::string key = type.namespaced ? route.ns + "/" + name : name;
    if (bucket(type).count(key))
        throw ApiError{409, "AlreadyExists", qualified(type) + " \"" + name + "\" already exists",
                       statusDetails(name, type.group, type.plural)};
    meta["uid"] = newUid();
    meta["creationTimestamp"] = nowRfc3339();
    if (type.hasGeneration)
        meta["generation"] = 1;
    recordManager(type, body, nullptr, managerFor(request), "");
    const Stored stored = commit(type, key, std::move(body), "ADDED", std::nullopt);
    sendJson(exchange, 201, *stored.text);
    if (type.kind == "CustomResourceDefinition") {
        registerCrd(*stored.obj);
        establishCrd(name);
    }
}

// What the apiextensions controllers do right after a CRD is created:
// accept its names and mark it Established.
void Api::establishCrd(const std::string &name)
{
    const auto type = m_types["apiextensions.k8s.io/customresourcedefinitions"];
    auto &objects = bucket(*type);
    const auto it = objects.find(name);
    if (it == objects.end())
        return;
    Json next = *it->second.obj;
    const std::string now = nowRfc3339();
    next["status"]["acceptedNames"] = next["spec"]["names"];
    next["status"]["conditions"] = Json::array(
        {Json{{"type", "NamesAccepted"}, {"status", "True"}, {"lastTransitionTime", now}, {"reason", "NoConflicts"},
              {"message", "no conflicts found"}},
         Json{{"type", "Established"}, {"status", "True"}, {"lastTransitionTime", now}, {"reason", "InitialNamesAccepted"},
              {"message", "the initial names have been accepted"}}});
    finishUpdate(*type, it->second, next, "kube-apiserver", "status", nullptr);
}

void Api::doUpdate(const Route &route, const HttpRequest &request, HttpExchange *exchange)
{
    const ResourceType &type = *route.type;
    Json body = parseBody(request);
    if (!body.is_object())
        throw badRequest("the body of the request was in an unknown format");
    const Json meta = metaOf(body);
    if (strOr(meta, "name") != route.name)
        throw badRequest("the name of the object (" + strOr(meta, "name") + ") does not match the name on the URL ("
                         + route.name + ")");
    if (type.namespaced && !strOr(meta, "namespace").empty() && strOr(meta, "namespace") != route.ns)
        throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    auto &objects = bucket(type);
    const auto it = objects.find(route.key());
    if (it == objects.end())
        throw notFoundError(type, route.name);
    const std::string rv = strOr(meta, "resourceVersion");
    if (!rv.empty() && rv != strOr(metaOf(*it->second.obj), "resourceVersion"))
        throw conflictModified(type, route.name);
    const Stored current = it->second;
    const Stored stored = finishUpdate(type, current, std::move(body), managerFor(request), route.sub, nullptr);
    sendJson(exchange, 200, *stored.text);
}

void Api::doPatch(const Route &route, const HttpRequest &request, HttpExchange *exchange)
{
    const ResourceType &type = *route.type;
    const QByteArray contentType = request.header("content-type").split(';').value(0).trimmed().toLower();
    auto &objects = bucket(type);
    const auto it = objects.find(route.key());
    if (contentType == "application/apply-patch+yaml") {
        doApply(route, request, exchange, it == objects.end() ? nullptr : &it->second);
        return;
    }
    const bool merge = contentType == "application/merge-patch+json";
    const bool strategic = contentType == "application/strategic-merge-patch+json";
    const bool jsonPatch = contentType == "application/json-patch+json";
    if (!merge && !jsonPatch && !(strategic && !type.custom)) {
        throw ApiError{415, "UnsupportedMediaType",
                       "the body of the request was in an unknown format - accepted media types include: "
                       "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                           + std::string(type.custom ? "" : ", application/strategic-merge-patch+json"),
                       OJson::object()};
    }
    if (it == objects.end())
        throw notFoundError(type, route.name);
    const Stored current = it->second;
    const Json patch = parseBody(request);
    Json next = *current.obj;
    if (jsonPatch) {
        if (!patch.is_array())
            throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        try {
            next = next.patch(patch);
        } catch (const std::exception &) {
            throw ApiError{422, "Invalid", "the server rejected our request due to an error in our request",
                           OJson::object()};
        }
    } else {
        if (!patch.is_object())
            throw badRequest("json: cannot unmarshal array into Go value of type map[string]interface {}");
        Json cleaned = patch;
        if (strategic) {
            // Directives only matter for lists with merge keys, which the
            // emulated kinds do not have; drop them so they are not stored.
            std::function<void(Json &)> strip = [&](Json &j) {
                if (!j.is_object())
                    return;
                for (auto k = j.begin(); k != j.end();) {
                    if (k.key().rfind("$", 0) == 0)
                        k = j.erase(k);
                    else {
                        strip(*k);
                        ++k;
                    }
                }
            };
            strip(cleaned);
        }
        next.merge_patch(cleaned);
    }
    const std::string rv = strOr(metaOf(next), "resourceVersion");
    if (!rv.empty() && rv != strOr(metaOf(*current.obj), "resourceVersion"))
        throw conflictModified(type, route.name);
    const Stored stored = finishUpdate(type, current, std::move(next), managerFor(request), route.sub, nullptr);
    sendJson(exchange, 200, *stored.text);
}

void Api::doApply(const Route &route, const HttpRequest &request, HttpExchange *exchange, const Stored *current)
{
    const ResourceType &type = *route.type;
    const std::string manager = request.queryValue(QStringLiteral("fieldManager")).toStdString();
    if (manager.empty())
        throw ApiError{422, "Invalid",
                       "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                       statusDetails("", "meta.k8s.io", "PatchOptions")};
    const bool force = request.queryValue(QStringLiteral("force")) == QLatin1String("true");
    Json applied = parseBody(request);
    if (!applied.is_object())
        throw badRequest("error decoding YAML: the applied configuration is not an object");
    const Json appliedMeta = metaOf(applied);
    if (!strOr(appliedMeta, "name").empty() && strOr(appliedMeta, "name") != route.name)
        throw badRequest("the name of the object (" + strOr(appliedMeta, "name") + ") does not match the name on the URL ("
                         + route.name + ")");
    const std::string sub = route.sub;
    const Json appliedSet = fieldsOf(type, applied, sub, false);
    const std::string now = nowRfc3339();
    Json myEntry = {{"manager", manager}, {"operation", "Apply"}, {"apiVersion", type.apiVersion()},
                    {"time", now}, {"fieldsType", "FieldsV1"}, {"fieldsV1", appliedSet}};
    if (!sub.empty())
        myEntry["subresource"] = sub;

    if (!current) {
        if (!sub.empty())
            throw notFoundError(type, route.name);
        Json body = applied;
        body["kind"] = type.kind;
        body["apiVersion"] = type.apiVersion();
        Json &meta = body["metadata"];
        if (!meta.is_object())
            meta = Json::object();
        meta["name"] = route.name;
        if (type.namespaced)
            meta["namespace"] = route.ns;
        for (const char *drop : {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"})
            meta.erase(drop);
        if (type.hasStatus)
            body.erase("status");
        defaults(type, body);
        validate(type, body, true);
        if (type.namespaced)
            ensureNamespace(route.ns);
        meta["uid"] = newUid();
        meta["creationTimestamp"] = now;
        if (type.hasGeneration)
            meta["generation"] = 1;
        if (!fieldSetEmpty(appliedSet))
            meta["managedFields"] = Json::array({myEntry});
        const Stored stored = commit(type, route.key(), std::move(body), "ADDED", std::nullopt);
        sendJson(exchange, 201, *stored.text);
        if (type.kind == "CustomResourceDefinition") {
            registerCrd(*stored.obj);
            establishCrd(route.name);
        }
        return;
    }

    const Json &old = *current->obj;
    Json managed = metaOf(old).value("managedFields", Json::array());
    auto isMine = [&](const Json &entry) {
        return strOr(entry, "manager") == manager && strOr(entry, "operation") == "Apply"
            && strOr(entry, "subresource") == sub;
    };
    auto managerText = [](const Json &entry) {
        std::string text = quoteGo(strOr(entry, "manager"));
        if (!strOr(entry, "subresource").empty())
            text += " with subresource " + quoteGo(strOr(entry, "subresource"));
        if (strOr(entry, "operation") == "Update")
            text += " using " + strOr(entry, "apiVersion") + (entry.contains("time") ? " at " + strOr(entry, "time") : "");
        return text;
    };
    std::vector<std::pair<std::vector<std::string>, size_t>> conflicts; // path, entry index
    forEachLeaf(appliedSet, [&](const std::vector<std::string> &path) {
        const Json *want = valueAt(applied, path);
        const Json *have = valueAt(old, path);
        if (want && have && *want == *have)
            return;
        for (size_t i = 0; i < managed.size(); ++i)
            if (!isMine(managed[i]) && fieldSetHasLeaf(managed[i].value("fieldsV1", Json::object()), path))
                conflicts.emplace_back(path, i);
    });
    if (!conflicts.empty() && !force) {
        ApiError error{409, "Conflict", {}, OJson::object()};
        OJson causes = OJson::array();
        for (const auto &[path, index] : conflicts) {
            OJson cause = OJson::object();
            cause["reason"] = "FieldManagerConflict";
            cause["message"] = "conflict with " + managerText(managed[index]);
            cause["field"] = fieldPathText(path);
            causes.push_back(cause);
        }
        error.details["causes"] = causes;
        if (conflicts.size() == 1) {
            error.message = "Apply failed with 1 conflict: conflict with " + managerText(managed[conflicts[0].second])
                + ": " + fieldPathText(conflicts[0].first);
        } else {
            std::map<std::string, std::vector<std::string>> byManager;
            for (const auto &[path, index] : conflicts)
                byManager[managerText(managed[index])].push_back(fieldPathText(path));
            std::string text;
            for (const auto &[who, paths] : byManager) {
                text += (text.empty() ? "" : "\n") + std::string("conflicts with ") + who + ":";
                for (const std::string &p : paths)
                    text += "\n- " + p;
            }
            error.message = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: " + text;
        }
        throw error;
    }
    Json next = old;
    // Maps merge key by key; lists and scalars are replaced, as for the
    // atomic lists of the emulated kinds.
    std::function<void(Json &, const Json &)> mergeInto = [&](Json &into, const Json &from) {
        for (auto it = from.begin(); it != from.end(); ++it) {
            if (it->is_object() && into.contains(it.key()) && into[it.key()].is_object())
                mergeInto(into[it.key()], *it);
            else if (it->is_null())
                into.erase(it.key());
            else
                into[it.key()] = *it;
        }
    };
    Json appliedBody = applied;
    appliedBody.erase("kind");
    appliedBody.erase("apiVersion");
    if (appliedBody.contains("metadata") && appliedBody["metadata"].is_object())
        for (const std::string &k : systemMetadata())
            appliedBody["metadata"].erase(k);
    mergeInto(next, appliedBody);
    // Fields this manager applied before and no longer applies go, unless
    // someone else also owns them.
    Json newManaged = Json::array();
    for (size_t i = 0; i < managed.size(); ++i) {
        Json entry = managed[i];
        if (isMine(entry)) {
            forEachLeaf(entry.value("fieldsV1", Json::object()), [&](const std::vector<std::string> &path) {
                if (fieldSetHasLeaf(appliedSet, path))
                    return;
                for (size_t j = 0; j < managed.size(); ++j)
                    if (j != i && fieldSetHasLeaf(managed[j].value("fieldsV1", Json::object()), path))
                        return;
                eraseAt(next, path);
            });
            continue;
        }
        Json lost = Json::object();
        for (const auto &[path, index] : conflicts) {
            if (index != i)
                continue;
            Json *node = &lost;
            for (const std::string &name : path)
                node = &(*node)["f:" + name];
            if (node->is_null())
                *node = Json::object();
        }
        if (!lost.empty()) {
            Json fields = entry.value("fieldsV1", Json::object());
            fieldSetSubtract(fields, lost);
            entry["fieldsV1"] = fields;
        }
        if (!fieldSetEmpty(entry.value("fieldsV1", Json::object())))
            newManaged.push_back(entry);
    }
    // The previous entry's time stays when nothing it owns changed.
    for (const Json &entry : managed)
        if (isMine(entry) && entry.value("fieldsV1", Json::object()) == appliedSet)
            myEntry["time"] = entry.value("time", Json(now));
    if (!fieldSetEmpty(appliedSet))
        newManaged.insert(newManaged.begin(), myEntry);
    next["metadata"]["managedFields"] = newManaged;
    if (newManaged.empty())
        next["metadata"].erase("managedFields");
    if (type.kind == "Secret" || type.kind == "ConfigMap")
        validate(type, next, false);
    // Not finishUpdate: that would record an Update by the applier, and
    // apply has already decided every manager's fields above.
    const Json keepManaged = next["metadata"].value("managedFields", Json::array());
    Json candidate = next;
    if (sub == "status") {
        Json merged = old;
        merged["status"] = next.value("status", Json::object());
        candidate = merged;
    } else if (type.hasStatus && old.contains("status")) {
        candidate["status"] = old["status"];
    }
    candidate["metadata"]["resourceVersion"] = metaOf(old).value("resourceVersion", Json(""));
    if (type.hasGeneration) {
        Json a = old, b = candidate;
        for (Json *j : {&a, &b}) {
            j->erase("metadata");
            j->erase("status");
        }
        if (a != b)
            candidate["metadata"]["generation"] = metaOf(old).value("generation", Json(0)).get<int64_t>() + 1;
    }
    if (keepManaged.empty())
        candidate["metadata"].erase("managedFields");
    else
        candidate["metadata"]["managedFields"] = keepManaged;
    Stored stored = *current;
    // An apply that changes nothing writes nothing: same resourceVersion.
    if (candidate != old) {
        stored = commit(type, route.key(), std::move(candidate), "MODIFIED", *current);
        if (type.kind == "CustomResourceDefinition")
            registerCrd(*stored.obj);
    }
    sendJson(exchange, 200, *stored.text);
}

void Api::doDelete(const Route &route, const HttpRequest &request, HttpExchange *exchange)
{
    const ResourceType &type = *route.type;
    auto &objects = bucket(type);
    const auto it = objects.find(route.key());
    if (it == objects.end())
        throw notFoundError(type, route.name);
    const Stored current = it->second;
    const Json &meta = metaOf(*current.obj);
    if (!request.body.trimmed().isEmpty()) {
        const Json options = parseBody(request);
        const Json pre = options.is_object() ? options.value("preconditions", Json::object()) : Json::object();
        const std::string wantRv = pre.is_object() ? strOr(pre, "resourceVersion") : "";
        const std::string wantUid = pre.is_object() ? strOr(pre, "uid") : "";
        OJson details = statusDetails(route.name, type.group, type.kind);
        if (!wantUid.empty() && wantUid != strOr(meta, "uid"))
            throw ApiError{409, "Conflict",
                           "Operation cannot be fulfilled on " + type.kind + " \"" + route.name
                               + "\": Precondition failed: UID in precondition: " + wantUid
                               + ", UID in object meta: " + strOr(meta, "uid"),
                           details};
        if (!wantRv.empty() && wantRv != strOr(meta, "resourceVersion"))
            throw ApiError{409, "Conflict",
                           "Operation cannot be fulfilled on " + type.kind + " \"" + route.name
                               + "\": the ResourceVersion in the precondition (" + wantRv
                               + ") does not match the ResourceVersion in record (" + strOr(meta, "resourceVersion")
                               + "). The object might have been modified",
                           details};
    }
    // Namespaces and CRDs take what they contain with them at once (a real
    // server finalizes them in the background).
    if (type.kind == "Namespace") {
        for (auto &[id, t] : m_types) {
            if (!t->namespaced)
                continue;
            auto &inner = bucket(*t);
            std::vector<std::string> keys;
            for (auto o = inner.lower_bound(route.name + "/"); o != inner.end() && o->first.rfind(route.name + "/", 0) == 0; ++o)
                keys.push_back(o->first);
            for (const std::string &k : keys) {
                const Stored s = inner[k];
                commit(*t, k, *s.obj, "DELETED", s);
            }
        }
    } else if (type.kind == "CustomResourceDefinition") {
        for (auto &[id, t] : m_types) {
            if (t->crdName != route.name)
                continue;
            auto &inner = bucket(*t);
            std::vector<std::string> keys;
            for (const auto &[k, v] : inner)
                keys.push_back(k);
            for (const std::string &k : keys) {
                const Stored s = inner[k];
                commit(*t, k, *s.obj, "DELETED", s);
            }
        }
    }
    const Stored deleted = commit(type, route.key(), *current.obj, "DELETED", current);
    if (type.kind == "CustomResourceDefinition") {
        for (Watch *w : std::list<Watch *>(m_watches))
            if (w->type->crdName == route.name)
                w->finish();
        unregisterCrd(route.name);
    }
    if (type.custom || type.kind == "Namespace" || type.kind == "CustomResourceDefinition") {
        sendJson(exchange, 200, *deleted.text);
        return;
    }
    OJson status = OJson::object();
    status["kind"] = "Status";
    status["apiVersion"] = "v1";
    status["metadata"] = OJson::object();
    status["status"] = "Success";
    OJson details = statusDetails(route.name, type.group, type.plural);
    details["uid"] = strOr(meta, "uid");
    status["details"] = details;
    sendJson(exchange, 200, status.dump());
}

void Api::doScale(const Route &route, const HttpRequest &request, HttpExchange *exchange)
{
    const ResourceType &type = *route.type;
    auto &objects = bucket(type);
    const auto it = objects.find(route.key());
    if (it == objects.end())
        throw notFoundError(type, route.name);
    auto pathOf = [](const std::string &jsonPath) {
        std::vector<std::string> path;
        const QStringList parts = QString::fromStdString(jsonPath).split(QLatin1Char('.'), Qt::SkipEmptyParts);
        for (const QString &p : parts)
            path.push_back(p.toStdString());
        return path;
    };
    const auto specPath = pathOf(type.specReplicasPath);
    const auto statusPath = pathOf(type.statusReplicasPath);
    auto scaleOf = [&](const Json &object) {
        const Json &meta = metaOf(object);
        OJson scale = OJson::object();
        scale["kind"] = "Scale";
        scale["apiVersion"] = "autoscaling/v1";
        OJson m = OJson::object();
        for (const char *k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
            if (meta.contains(k))
                m[k] = meta[k];
        scale["metadata"] = m;
        const Json *spec = valueAt(object, specPath);
        const Json *status = statusPath.empty() ? nullptr : valueAt(object, statusPath);
        scale["spec"] = {{"replicas", spec && spec->is_number_integer() ? spec->get<int64_t>() : 0}};
        scale["status"] = {{"replicas", status && status->is_number_integer() ? status->get<int64_t>() : 0}};
        return scale;
    };
    const Stored current = it->second;
    if (route.verb == "get") {
        sendJson(exchange, 200, scaleOf(*current.obj).dump());
        return;
    }
    Json scale = Json::parse(scaleOf(*current.obj).dump());
    const Json body = parseBody(request);
    if (route.verb == "update") {
        scale = body;
    } else {
        const QByteArray contentType = request.header("content-type").split(';').value(0).trimmed().toLower();
        if (contentType == "application/json-patch+json") {
            try {
                scale = scale.patch(body);
            } catch (const std::exception &) {
                throw ApiError{422, "Invalid", "the server rejected our request due to an error in our request", OJson::object()};
            }
        } else {
            scale.merge_patch(body);
        }
    }
    const Json *replicas = valueAt(scale, {"spec", "replicas"});
    if (!replicas || !replicas->is_number_integer() || replicas->get<int64_t>() < 0)
        throw invalid(type, route.name, {{"FieldValueInvalid", "spec.replicas", "Invalid value: must be a non-negative integer"}});
    const std::string rv = strOr(metaOf(scale), "resourceVersion");
    if (!rv.empty() && rv != strOr(metaOf(*current.obj), "resourceVersion"))
        throw conflictModified(type, route.name);
    Json next = *current.obj;
    Json *node = &next;
    for (size_t i = 0; i + 1 < specPath.size(); ++i)
        node = &(*node)[specPath[i]];
    (*node)[specPath.back()] = *replicas;
    const Stored stored = finishUpdate(type, current, std::move(next), managerFor(request), "", nullptr);
    sendJson(exchange, 200, scaleOf(*stored.obj).dump());
}

} // namespace kemu
