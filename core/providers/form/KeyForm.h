#pragma once

#include "model/Result.h"

#include <QStringList>

namespace sd {

struct Capabilities;

// How keys are spelled when state moves between stores.
enum class KeyTranslation {
    // Seed 004's dotted keys ("deployment.vm_states.w1.state", the yaml
    // store's form) take the other store's separator; nothing else changes.
    Auto,
    // Keys are copied as they are.
    Verbatim,
};

// The one place where a key of one store becomes the key of another
// (migrate, import, verify, and the fallback of a connection all call it).
//
// A store's key form is its Capabilities::keySeparator: "." for yaml (and
// for the stores whose keys are file or object names: local, kubernetes),
// "/" for etcd and SQLite, ":" (configurable) for Redis. With Auto, and
// when exactly one of the two forms is the dotted one, the key is cut into
// segments by the source's rules and joined by the target's:
//
//   yaml  deployment.vm_states.w1.state  ->  etcd/sqlite  deployment/vm_states/w1/state
//                                        ->  redis        deployment:vm_states:w1:state
//   yaml  deployment.config."a.b"        ->  etcd         deployment/config/a.b
//   etcd  deployment/phase               ->  yaml         deployment.phase
//
// Dotted segments follow the yaml store's quoting (a segment holding '.' is
// written in double quotes, see YamlProvider::splitKey). Keys of two stores
// that are both dotted, or both not (redis to etcd), are kept as they are:
// "app:session:1" stays "app:session:1" in etcd. A segment that holds the
// target's separator cannot be spelled there without changing its meaning:
// that key is Invalid (naming the segment), never silently merged.
Result<QString> translateKey(const QString &key, const Capabilities &from, const Capabilities &to,
                             KeyTranslation mode = KeyTranslation::Auto);

// The same between two separators, for callers that know only those (a
// snapshot records its source's separator in its manifest).
Result<QString> translateKey(const QString &key, const QString &fromSeparator, const QString &toSeparator,
                             KeyTranslation mode = KeyTranslation::Auto);

// A key prefix given in the source's form, in the target's: "deployment."
// (yaml) is "deployment/" in etcd. A prefix that ends inside a segment keeps
// that partial segment.
QString translatePrefix(const QString &prefix, const QString &fromSeparator, const QString &toSeparator,
                        KeyTranslation mode = KeyTranslation::Auto);

bool parseKeyTranslation(const QString &name, KeyTranslation *out);

} // namespace sd
