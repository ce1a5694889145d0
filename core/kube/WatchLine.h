#pragma once

#include "kube/KubeStatus.h"
#include "model/Json.h"

namespace sd::kube {

// The largest watch event line read; a longer one ends the stream. An
// object is at most 1.5 MiB in etcd and JSON escaping can grow it up to six
// times, so this leaves room for every real event while bounding memory.
constexpr qsizetype kMaxWatchLineBytes = 64 * 1024 * 1024;

// One line of a Kubernetes watch stream ({"type": ..., "object": ...}).
struct WatchLine {
    enum class Kind { Bad, Ignored, Error, Bookmark, Added, Modified, Deleted };
    Kind kind = Kind::Bad;
    QString resourceVersion; // the object's metadata.resourceVersion, if any
    Json object;             // for Added, Modified, Deleted
    ApiError error;          // for Error: the Status object, mapped
};

// Bad: not a JSON object. Ignored: no object, or a type this client does not
// know (kept for forward compatibility, as client-go does).
WatchLine parseWatchLine(const QByteArray &line, const RequestInfo &request);

} // namespace sd::kube
