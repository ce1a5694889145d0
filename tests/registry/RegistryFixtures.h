#pragma once

// The seed 003 Redis registry dump (fixtures/xstatenet/redis-registry-dump.json)
// loaded into a real redis-server with the commands XStateNet itself uses
// (HSET, SET ... EX), under any prefix.

#include "RedisTestServer.h"
#include "TestSupport.h"
#include "model/Json.h"
#include "registry/Machine.h"

#include <QFile>

#include <cstring>

namespace sd::test {

inline bool loadRegistryDump(const RedisTestServer &server, const QString &prefix = QStringLiteral("xstatenet"))
{
    QFile f(fixturePath(QStringLiteral("xstatenet/redis-registry-dump.json")));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const Json dump = parseJson(f.readAll());
    for (auto it = dump.begin(); it != dump.end(); ++it) {
        if (it.key().rfind('_', 0) == 0)
            continue;
        QByteArray key = toBytes(it.key());
        key.replace(0, int(std::strlen("xstatenet")), prefix.toUtf8());
        const Json &v = it.value();
        if (v["type"] == Json("hash")) {
            for (auto f = v["fields"].begin(); f != v["fields"].end(); ++f)
                if (server.command({"HSET", key, toBytes(f.key()), toBytes(f.value().get<std::string>())}) != ":1")
                    return false;
        } else {
            QList<QByteArray> argv{"SET", key, toBytes(v["value"].get<std::string>())};
            if (v.contains("ttl_seconds"))
                argv << "EX" << QByteArray::number(v["ttl_seconds"].get<int>());
            if (server.command(argv) != "+OK")
                return false;
        }
    }
    return true;
}

// A machine registered the way RedisStateMachineRegistry.RegisterAsync does
// it: the hash entry, a heartbeat of now (ticks) with `ttlMs`, the status name.
inline bool registerMachine(const RedisTestServer &server, const QString &id, int status, qint64 ttlMs,
                            const QString &prefix = QStringLiteral("xstatenet"), const QByteArray &extraJson = {})
{
    const QByteArray p = prefix.toUtf8();
    const QByteArray idb = id.toUtf8();
    const QByteArray now = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8();
    QByteArray json = "{\"MachineId\":\"" + idb + "\",\"NodeId\":\"node-t\",\"Endpoint\":\"tcp://127.0.0.1:1\","
                      "\"Version\":\"1.0.0\",\"Metadata\":{},\"RegisteredAt\":\"" + now + "\",\"LastHeartbeat\":\"" +
                      now + "\",\"Status\":" + QByteArray::number(status) + ",\"CurrentState\":\"idle\","
                      "\"ParentMachineId\":null,\"ChildMachineIds\":[],\"Tags\":{},\"Resources\":null" + extraJson + "}";
    const QByteArray ticks = QByteArray::number(registry::utcToTicks(QDateTime::currentDateTimeUtc()));
    return server.command({"HSET", p + ":machines", idb, json}).startsWith(':')
           && server.command({"SET", p + ":heartbeat:" + idb, ticks, "PX", QByteArray::number(ttlMs)}) == "+OK"
           && server.command({"SET", p + ":status:" + idb, registry::statusName(status).toUtf8()}) == "+OK";
}

} // namespace sd::test
