#pragma once

#include <nlohmann/json.hpp>

#include <QByteArray>
#include <QString>

namespace sd {

// Key order is kept so an edit yields a minimal diff and files round-trip.
using Json = nlohmann::ordered_json;

inline QString toQString(const std::string &s) { return QString::fromStdString(s); }
inline std::string toStd(const QString &s) { return s.toStdString(); }
inline QByteArray toBytes(const std::string &s) { return QByteArray(s.data(), qsizetype(s.size())); }
inline std::string toStd(const QByteArray &b) { return std::string(b.constData(), size_t(b.size())); }

} // namespace sd
