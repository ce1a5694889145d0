#include "log/Log.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QMutex>

#include <cstdio>
#include <optional>

namespace sd::log {
namespace {

struct State {
    QMutex mutex;
    std::optional<Level> threshold;
    std::function<void(const QByteArray &)> sink;
};

State &state()
{
    static State s;
    return s;
}

Level thresholdFromEnv()
{
    const QByteArray v = qgetenv("STATEDECK_LOG").toLower();
    if (v == "debug") return Level::Debug;
    if (v == "info") return Level::Info;
    if (v == "error") return Level::Error;
    if (v == "off" || v == "none") return Level::Off;
    return Level::Warn;
}

const char *levelName(Level l)
{
    switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
    case Level::Off: return "off";
    }
    return "info";
}

} // namespace

void write(Level level, const QString &event, QJsonObject fields)
{
    State &s = state();
    QMutexLocker lock(&s.mutex);
    if (!s.threshold)
        s.threshold = thresholdFromEnv();
    if (level < *s.threshold || level == Level::Off)
        return;
    fields.insert(QStringLiteral("ts"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    fields.insert(QStringLiteral("level"), QLatin1String(levelName(level)));
    fields.insert(QStringLiteral("event"), event);
    const QByteArray line = QJsonDocument(fields).toJson(QJsonDocument::Compact);
    if (s.sink) {
        s.sink(line);
        return;
    }
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fputc('\n', stderr);
}

void setThreshold(Level level)
{
    QMutexLocker lock(&state().mutex);
    state().threshold = level;
}

void setSink(std::function<void(const QByteArray &)> sink)
{
    QMutexLocker lock(&state().mutex);
    state().sink = std::move(sink);
}

} // namespace sd::log
