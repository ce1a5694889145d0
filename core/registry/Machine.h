#pragma once

#include "model/Json.h"

#include <QDateTime>
#include <QList>
#include <QStringList>

#include <optional>

namespace sd::registry {

// XStateNet's MachineStatus, as its JSON carries it (a number) and its
// status keys do (the name).
QString statusName(int status);        // "Running"; "7?" style for numbers it does not know
int statusFromName(const QString &name); // -1 when unknown
QStringList statusNames();

// Liveness from the heartbeat key: Alive while younger than the stale
// threshold, Stale when older (the orchestrator's "unhealthy" judgement),
// Dead once the key expired. Unknown: the machine is not in the Redis
// registry at all (only its StateMachine resource was found).
enum class Liveness { Unknown, Alive, Stale, Dead };
QString livenessName(Liveness l);

// .NET DateTime.Ticks: 100 ns units since 0001-01-01T00:00:00 UTC.
QDateTime ticksToUtc(qint64 ticks);
qint64 utcToTicks(const QDateTime &t);
// The ISO 8601 timestamps System.Text.Json writes ("2025-10-01T08:00:00.1234567Z").
QDateTime parseDotNetTime(const QString &text);

// One machine as the Redis registry holds it.
struct RedisMachine {
    QString id;
    Json info;           // the HASH value as written, every field kept (null when it does not parse)
    QString infoError;   // why `info` does not parse
    std::optional<QDateTime> heartbeat; // from the heartbeat key; none once it expired
    qint64 heartbeatTtlMs = -2;          // PTTL of the heartbeat key
    QString statusKey;   // the status key's value (an enum name); empty when absent
    std::optional<Json> metadata; // the metadata key, parsed (a string when it is not JSON)

    // `Status` from the status key, else the number in the JSON.
    QString status() const;
    QString currentState() const;
    QString field(const char *name) const; // a string field of `info`
};

// A StateMachine custom resource (xstatenet.io/v1) and what the operator
// created for it.
struct KubeMachine {
    struct Owned {
        QString kind;   // Deployment, Service, ConfigMap, PersistentVolumeClaim
        QString name;   // sm-{name}, sm-{name}-svc, sm-{name}-config, sm-{name}-pvc
        bool present = false;
        QString detail; // "2/3 ready", "ClusterIP 10.0.0.1", "Bound 5Gi", ...
    };
    QString name;
    QString ns;
    Json object;        // the whole resource
    qint64 replicas = -1;      // spec.replicas
    qint64 readyReplicas = -1; // status.readyReplicas
    QString phase, currentState, lastTransition, transport;
    QList<Owned> owned;
    QByteArray definition;     // the -config ConfigMap's definition.json, else spec.definition
    QString definitionOrigin;  // where `definition` came from, for error messages
};

// One row of the registry: a machine found in Redis, in the cluster, or in
// both (matched by machine id = resource name).
struct Machine {
    QString id;
    std::optional<RedisMachine> redis;
    std::optional<KubeMachine> kube;

    Liveness liveness(const QDateTime &now, qint64 staleAfterMs) const;
    // Age of the last heartbeat in ms (from the key, or the JSON's
    // LastHeartbeat once the key expired); -1 when unknown.
    qint64 heartbeatAgeMs(const QDateTime &now) const;
    std::optional<QDateTime> lastHeartbeat() const;
    QString status() const;
    QString currentState() const; // Redis's (live) first, then the resource's status
    QString node() const;
    QString where() const; // "redis", "k8s", "redis+k8s"

    Json toJson(const QDateTime &now, qint64 staleAfterMs) const;
};

// "4s", "2m10s", "3h", "5d": a heartbeat age as every front end shows it.
QString ageText(qint64 ms);

} // namespace sd::registry
