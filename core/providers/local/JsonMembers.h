#pragma once

#include "model/Json.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace sd::local {

// Where one top-level member of a JSON object sits in the text, so a write
// to one member can replace just its bytes and leave every other member of
// a hand-kept document byte-identical.
struct MemberSpan {
    QString key;
    qsizetype keyStart = 0;   // the opening quote of the name
    qsizetype valueStart = 0; // first byte of the value
    qsizetype valueEnd = 0;   // one past the value's last byte
};

struct ObjectText {
    qsizetype open = -1;  // '{'
    qsizetype close = -1; // '}'
    QList<MemberSpan> members;
    // A document written on one line gets compact values; a pretty one gets
    // values pretty-printed at the member's indentation.
    bool multiline = false;

    // The span JSON.parse (and nlohmann) take the value from: the last one
    // when a name repeats.
    const MemberSpan *find(const QString &key) const;
};

// Locates the top-level members of `text`, which must already have parsed
// as a JSON object (the scanner trusts the grammar). nullopt if it does not
// look like one after all; callers then fall back to re-serialising.
std::optional<ObjectText> scanObjectText(const QByteArray &text);

// The bytes to put at `span` for `value`: compact in a one-line document,
// otherwise 2-space pretty printing (as JSON.stringify(v, null, 2)) shifted
// to the member's indentation.
QByteArray memberValueText(const QByteArray &text, const ObjectText &object, const MemberSpan &span,
                           const Json &value);

// `text` with the value at `span` replaced by `valueText`.
QByteArray replaceMemberText(const QByteArray &text, const MemberSpan &span, const QByteArray &valueText);

// `text` without the member at `span`, its separating comma and the
// whitespace that introduced it.
QByteArray removeMemberText(const QByteArray &text, const ObjectText &object, const MemberSpan &span);

} // namespace sd::local
