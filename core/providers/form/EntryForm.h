#pragma once

#include "model/Entry.h"
#include "model/Result.h"
#include "providers/form/KeyForm.h"

#include <QStringList>

namespace sd {

struct Capabilities;

// What a target store is told about the source, to shape entries for it.
struct TargetForm {
    QString sourceSeparator;   // the source's key form (Capabilities::keySeparator or a manifest's)
    KeyTranslation keys = KeyTranslation::Auto;
    QString targetScheme;      // "yaml" keeps YAML-encoded values as they are
    QString targetSeparator;
    bool structuredValues = false; // Capabilities::structuredValues of the target

    static TargetForm between(const QString &sourceSeparator, const QString &targetScheme,
                              const Capabilities &target, KeyTranslation keys);
};

// An entry of the source as the target should receive it:
//   - the key through translateKey (Invalid, naming the key, when it cannot
//     be spelled there);
//   - a YAML-encoded value becomes compact JSON for any store but yaml (a
//     bytes store would otherwise keep YAML text that reads back as text);
//   - for a store of structured values, text and binary values become JSON
//     strings (binary: its base64 text), which is what it will hold;
//   - labels the source derives itself and no other store understands are
//     dropped: yaml's "file" and "kind", etcd's "lease", Redis's "type",
//     local's "error" and "shadows". Others ("ttl", user labels) travel.
// The revision and update time are the source's; writers ignore them.
// An entry the source lists as unreadable (an "error" label) is Invalid,
// naming the key and the source's problem.
Result<Entry> entryForTarget(const Entry &source, const TargetForm &form);

// The reverse of the key part, to name a target key in the source's form.
Result<QString> sourceKeyFor(const QString &targetKey, const TargetForm &form);

// Whether two entries hold the same value, as an application reading the
// store would see it: JSON and YAML values compare as values (member order
// aside); text and binary values, or a mix, compare as bytes (Redis and etcd
// read the text "42" back as the JSON number 42: the same bytes).
bool sameContent(const Entry &a, const Entry &b);

// A readable diff from `before` to `after`, one line a change, built on
// RFC 6902 (nlohmann::json::diff): "~ /a/b: 1 -> 2", "+ /c: true",
// "- /d (was \"x\")". At most `maxLines` lines (the rest counted). With
// `showValues` false the paths are shown and the values hidden.
QStringList describeChange(const Entry &before, const Entry &after, bool showValues, int maxLines = 20);

} // namespace sd
