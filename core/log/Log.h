#pragma once

#include <QJsonObject>
#include <QString>

#include <functional>

namespace sd::log {

enum class Level { Debug, Info, Warn, Error, Off };

// Structured logs: one JSON object a line, on stderr by default. Callers pass
// keys, operations, durations and outcomes; never values, never tokens. The
// threshold comes from STATEDECK_LOG (debug, info, warn, error, off; default
// warn) the first time anything logs.
void write(Level level, const QString &event, QJsonObject fields = {});

inline void debug(const QString &event, QJsonObject fields = {}) { write(Level::Debug, event, std::move(fields)); }
inline void info(const QString &event, QJsonObject fields = {}) { write(Level::Info, event, std::move(fields)); }
inline void warn(const QString &event, QJsonObject fields = {}) { write(Level::Warn, event, std::move(fields)); }

void setThreshold(Level level);

// Redirects log lines (tests use this to prove what is and is not logged).
// An empty function restores stderr.
void setSink(std::function<void(const QByteArray &line)> sink);

} // namespace sd::log
