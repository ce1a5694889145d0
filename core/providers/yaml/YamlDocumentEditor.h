#pragma once

#include "model/Json.h"
#include "model/Result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

namespace sd {

// Edits one value of a YAML document in place: only the text of the values
// that change is rewritten; comments, blank lines, key order, indentation and
// the quoting of every other scalar stay byte-identical. Pure text logic, no
// I/O.
//
// A path is a list of map keys; where the value is a sequence, a segment may
// be a decimal index (and, for set(), the index one past the end appends).
//
// set() computes the new document as JSON, then walks the old text and the new
// JSON together: unchanged subtrees are left alone, a changed scalar is
// replaced in its own quoting style when the new value allows it, new map
// keys are appended after the map's last child, new sequence items after the
// last item, and a value whose type changes (a scalar or `{}` becoming a map)
// is replaced by a block at the document's indentation. New strings are
// double-quoted (the k0rdent convention: every non-boolean scalar quoted,
// booleans bare) unless a sibling sequence item shows another style for the
// same key.
//
// Every result is re-parsed and compared with the expected document; if any
// path differs, the edit is refused with an error instead of returning text
// that cannot be proven right.
class YamlDocumentEditor {
public:
    // Parses `document`. Malformed YAML is Invalid with "where:line:column".
    // An empty or comment-only document is an empty map.
    static Result<YamlDocumentEditor> open(const QByteArray &document, const QString &where = {});

    // The whole document as JSON (YamlJson typing: quoted scalars are strings).
    const Json &root() const;

    // The value at `path` (empty path: the whole document); NotFound naming
    // the path when it does not exist.
    Result<Json> valueAt(const QStringList &path) const;

    // The new document text with `value` at `path`. Missing maps along the
    // path are created; a null along the path becomes a map. `reread`, when
    // given, receives the new document as read back from the new text (the
    // proof the edit is right), in the file's key order.
    Result<QByteArray> set(const QStringList &path, const Json &value, Json *reread = nullptr) const;

    // The new document text without `path` (NotFound if it is not there).
    Result<QByteArray> remove(const QStringList &path, Json *reread = nullptr) const;

    // One value for setMany() to set.
    struct Edit {
        QStringList path;
        Json value;
    };

    // Sets many values with the answers set() after set() would give, in as
    // few passes over the text as the paths allow: each edit applies to the
    // document as the edits before it left it, but the text is rewritten and
    // proven once per run of edits whose paths do not overlap (one path a
    // prefix of the other, e.g. the same key twice), not once per edit. A
    // batch of distinct keys costs one parse to open and one to prove,
    // however many keys it holds. (A run may take an edit that set() alone
    // refuses as beyond the layout it left; every result is proven all the
    // same.)
    //
    // `check(i, current)`, when given, is asked before edit i applies, with
    // the value at its path then (nullptr when there is none); an error it
    // returns refuses that edit alone. It may be asked again for the same
    // edit (when a run is split to find the edit the text cannot take).
    // `answers` gets one result per edit: the value stored at its path as
    // read back from the new text, or why that edit was refused; the others
    // still apply. Returns the new text (the old one when nothing applied).
    Result<QByteArray> setMany(const QList<Edit> &edits, QList<Result<Json>> *answers,
                               const std::function<Status(qsizetype, const Json *)> &check = {}) const;

    // How many times editors in this process have parsed YAML text (opening a
    // document, proving a rewrite): lets tests see that a batch stays linear.
    static quint64 parseCount();

    // One-shot forms of the above.
    static Result<QByteArray> set(const QByteArray &document, const QStringList &path, const Json &value,
                                  const QString &where = {});
    static Result<QByteArray> remove(const QByteArray &document, const QStringList &path,
                                     const QString &where = {});

    // Order-insensitive deep equality of two JSON values (maps compare by
    // keys, sequences by position).
    static bool sameJson(const Json &a, const Json &b);

    struct Impl;

private:
    explicit YamlDocumentEditor(std::shared_ptr<const Impl> impl);
    Result<QByteArray> rewrite(const Json &newRoot, const QString &what, Json *reread) const;

    std::shared_ptr<const Impl> d;
};

} // namespace sd
