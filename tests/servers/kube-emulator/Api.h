#pragma once

// The emulated Kubernetes API: resource types, the object store with one
// global resourceVersion counter and a bounded event history, and the REST
// verbs, each answering in the shapes a v1.28 kube-apiserver uses.

#include "Http.h"
#include "Json.h"

#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>

#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kemu {

// The shared emulator HTTP server (tests/servers/http).
using namespace emu;

struct ResourceType {
    std::string group, version, plural, singular, kind, listKind;
    bool namespaced = true;
    std::vector<std::string> shortNames, categories, verbs;
    bool custom = false;       // unstructured (a CRD's resource): Go writes every map sorted
    bool hasStatus = false;    // status subresource: the main resource ignores status
    bool hasGeneration = false;
    std::string specReplicasPath, statusReplicasPath; // scale subresource when set
    std::shared_ptr<OrderSpec> order;                 // typed kinds' key order
    std::string crdName;                              // the CRD that defined it

    std::string id() const { return group + "/" + plural; }
    std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
    std::string storageVersionHash() const;
};

// One stored object version: the JSON, its wire text (computed once, at
// write time, so lists and watches only copy bytes), and the offset in that
// text after `"kind":..,"apiVersion":..,` so a typed list item can be written
// without them, as the real server does.
struct Stored {
    std::shared_ptr<const Json> obj;
    std::shared_ptr<const std::string> text;
    // The object's metadata as text, for PartialObjectMetadataList answers:
    // written once with the object, as its text is.
    std::shared_ptr<const std::string> metaText;
    size_t itemOffset = 0;
    uint64_t rv = 0;
};

struct Event {
    uint64_t rv = 0;
    const char *type = "";
    std::string typeId;
    std::string key;
    Stored obj;
    std::optional<Stored> prev;
};

struct LabelRequirement {
    enum Op { Exists, NotExists, Equals, NotEquals, In, NotIn } op = Exists;
    std::string key;
    std::vector<std::string> values;
};

struct FieldRequirement {
    std::string field;
    std::string value;
    bool negate = false;
};

struct Filter {
    std::string ns; // empty: all namespaces
    std::vector<LabelRequirement> labels;
    std::vector<FieldRequirement> fields;
    bool matches(const Json &object) const;
};

enum class Role { None, ReadOnly, Admin };
struct User {
    std::string name;
    Role role = Role::None;
};

// The only roles there are: group system:masters may do everything,
// statedeck:readonly may get, list and watch; other groups nothing.
Role roleFor(const QStringList &groups);

struct Options {
    std::map<std::string, User> tokens;
    size_t historySize = 10000;
    uint64_t firstResourceVersion = 1;
    int bookmarkIntervalMs = 5000;
    int defaultWatchTimeoutSeconds = 1800;
};

class Api;

class Watch : public QObject {
    Q_OBJECT
public:
    Watch(Api *api, HttpExchange *exchange);
    ~Watch() override;
    std::shared_ptr<ResourceType> type;
    Filter filter;
    bool bookmarks = false;
    bool table = false;
    std::string includeObject = "Metadata";
    bool sentColumns = false;
    uint64_t lastRv = 0;
    QPointer<HttpExchange> exchange;
    QTimer timeout;
    QTimer bookmark;
    void deliver(const Event &event);
    void finish();

private:
    Api *m_api;
};

class Api : public QObject {
    Q_OBJECT
public:
    explicit Api(Options options, QObject *parent = nullptr);
    void handle(const HttpRequest &request, HttpExchange *exchange);

    // Used by Watch.
    std::string tableFor(const ResourceType &type, const std::vector<const Stored *> &items,
                         const std::string &includeObject, bool withColumns, const OJson &listMeta) const;
    void removeWatch(Watch *watch);
    uint64_t currentRv() const { return m_rv; }

private:
    struct Route {
        std::shared_ptr<ResourceType> type;
        std::string ns, name, sub, verb;
        std::string key() const { return ns.empty() ? name : ns + "/" + name; }
    };

    void serve(const HttpRequest &request, HttpExchange *exchange, const User &user);
    bool discovery(const HttpRequest &request, HttpExchange *exchange);
    void sendJson(HttpExchange *exchange, int status, const std::string &text);
    void sendError(HttpExchange *exchange, const ApiError &error);

    void doGet(const Route &route, const HttpRequest &request, HttpExchange *exchange);
    void doList(const Route &route, const HttpRequest &request, HttpExchange *exchange);
    void doWatch(const Route &route, const HttpRequest &request, HttpExchange *exchange);
    void doCreate(const Route &route, const HttpRequest &request, HttpExchange *exchange);
    void doUpdate(const Route &route, const HttpRequest &request, HttpExchange *exchange);
    void doPatch(const Route &route, const HttpRequest &request, HttpExchange *exchange);
    void doApply(const Route &route, const HttpRequest &request, HttpExchange *exchange, const Stored *current);
    void doDelete(const Route &route, const HttpRequest &request, HttpExchange *exchange);
    void doDeleteCollection(const Route &route, const HttpRequest &request, HttpExchange *exchange);
    void doScale(const Route &route, const HttpRequest &request, HttpExchange *exchange);
    Stored finishUpdate(const ResourceType &type, const Stored &current, Json next, const std::string &manager,
                        const std::string &subresource, bool *changed);
    void establishCrd(const std::string &name);
    void sendList(const Route &route, HttpExchange *exchange, std::vector<Stored> items, const OJson &listMeta);

    // Storage.
    std::map<std::string, Stored> &bucket(const ResourceType &type) { return m_objects[type.id()]; }
    Stored makeStored(const ResourceType &type, Json object) const;
    Stored commit(const ResourceType &type, const std::string &key, Json object, const char *eventType,
                  const std::optional<Stored> &previous);
    void validate(const ResourceType &type, const Json &object, bool creating) const;
    void defaults(const ResourceType &type, Json &object) const;
    void afterWrite(const ResourceType &type, const Event &event);
    void registerCrd(const Json &crd);
    void unregisterCrd(const std::string &crdName);
    void ensureNamespace(const std::string &ns) const;
    std::map<std::string, std::optional<Stored>> stateAt(const ResourceType &type, uint64_t rv) const;

    Json fieldsOf(const ResourceType &type, const Json &object, const std::string &subresource, bool markers) const;
    Json changedFields(const ResourceType &type, const Json &before, const Json &after,
                       const std::string &subresource) const;
    void recordManager(const ResourceType &type, Json &object, const Json *before, const std::string &manager,
                       const std::string &subresource) const;

    std::shared_ptr<ResourceType> findType(const std::string &group, const std::string &version,
                                           const std::string &plural) const;

    Options m_options;
    uint64_t m_rv;
    uint64_t m_floor; // the newest resourceVersion no longer in the history
    std::deque<Event> m_history;
    std::map<std::string, std::shared_ptr<ResourceType>> m_types; // by id
    std::map<std::string, std::map<std::string, Stored>> m_objects;
    std::list<Watch *> m_watches;
    std::string m_flowSchemaUid;
};

} // namespace kemu
