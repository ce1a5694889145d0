// YAML state documents and the one-value editor: read a document, set one
// value, read it back. The edited value is there, every other value is
// unchanged, and an edit that sets a value to what it already is leaves the
// file byte-identical. Then a batch (setMany, what YamlProvider's putBatch
// uses) of three edits takes every edit set() after set() takes, with the
// same values, and gives the document with exactly the edits it took.
#include "FuzzTarget.h"

#include "providers/yaml/YamlDocumentEditor.h"
#include "util/YamlJson.h"

#include <QStringList>

using namespace sd;

namespace {

// A path to some value of `root`, steered by `steer`.
QStringList pickPath(const Json &root, uint8_t steer)
{
    QStringList path;
    const Json *at = &root;
    for (int depth = 0; depth < 8; ++depth) {
        if (at->is_object() && !at->empty()) {
            auto it = at->begin();
            std::advance(it, steer % at->size());
            const QString key = toQString(it.key());
            // A key that is not UTF-8 cannot be named by a QString path
            // (the CLI cannot address it either): edit its parent instead.
            if (toStd(key) != it.key())
                break;
            path << key;
            at = &it.value();
        } else if (at->is_array() && !at->empty()) {
            const size_t i = steer % at->size();
            path << QString::number(i);
            at = &(*at)[i];
        } else {
            break;
        }
        steer = uint8_t(steer / 3 + 7 * depth);
        if (steer % 5 == 0)
            break; // sometimes stop at a map or a sequence
    }
    return path;
}

Json newValue(uint8_t which)
{
    switch (which % 7) {
    case 0: return "fuzzed value";
    case 1: return 42;
    case 2: return true;
    case 3: return nullptr;
    case 4: return Json::object({{"a", 1}, {"b", "two"}});
    case 5: return Json::array({1, "x"});
    default: return "multi\nline: # not a comment";
    }
}

// The document as it should be after the edit, computed without the editor.
Json expectedAfter(Json root, const QStringList &path, const Json &value)
{
    Json *at = &root;
    for (const QString &seg : path) {
        if (at->is_array())
            at = &(*at)[seg.toULong()];
        else
            at = &(*at)[toStd(seg)];
    }
    *at = value;
    return root;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t steer = fuzz::takeByte(data, size);
    const uint8_t which = fuzz::takeByte(data, size);
    const QByteArray doc = fuzz::bytes(data, size);

    auto json = yamlToJson(doc, QStringLiteral("fuzz.yaml"));
    auto editor = YamlDocumentEditor::open(doc, QStringLiteral("fuzz.yaml"));
    if (!editor.ok())
        return 0;
    if (!editor->root().is_object())
        return 0;
    const QStringList path = pickPath(editor->root(), steer);
    if (path.isEmpty())
        return 0;
    auto current = editor->valueAt(path);
    FUZZ_CHECK(current.ok());

    // The same value again: nothing to change, so nothing changes.
    auto same = editor->set(path, current.value());
    if (same.ok())
        FUZZ_CHECK(same.value() == doc);

    Json reread;
    const Json value = newValue(which);
    auto edited = editor->set(path, value, &reread);
    if (!edited.ok())
        return 0; // refused with an error: allowed, never a wrong document
    auto again = YamlDocumentEditor::open(edited.value(), QStringLiteral("fuzz.yaml"));
    FUZZ_CHECK(again.ok());
    auto got = again->valueAt(path);
    FUZZ_CHECK(got.ok());
    FUZZ_CHECK(YamlDocumentEditor::sameJson(got.value(), value));
    FUZZ_CHECK(YamlDocumentEditor::sameJson(again->root(), reread));
    FUZZ_CHECK(YamlDocumentEditor::sameJson(again->root(), expectedAfter(editor->root(), path, value)));

    auto removed = editor->remove(path);
    if (removed.ok()) {
        auto after = YamlDocumentEditor::open(removed.value(), QStringLiteral("fuzz.yaml"));
        FUZZ_CHECK(after.ok());
    }

    // A batch: the value above, another picked path, a new key beside the
    // first (or the first path again, when the steering says so).
    QList<YamlDocumentEditor::Edit> edits{{path, value}, {pickPath(editor->root(), uint8_t(steer * 31 + which)),
                                                          newValue(uint8_t(which + 1))}};
    if (which % 3 == 0)
        edits << YamlDocumentEditor::Edit{path, newValue(uint8_t(which + 2))};
    else
        edits << YamlDocumentEditor::Edit{path.mid(0, path.size() - 1) + QStringList{QStringLiteral("fuzz_new")}, 7};
    QByteArray text = doc;
    QList<Result<Json>> expected;
    for (const auto &e : std::as_const(edits)) {
        auto one = YamlDocumentEditor::open(text, QStringLiteral("fuzz.yaml"));
        FUZZ_CHECK(one.ok());
        Json stored;
        auto r = one->set(e.path, e.value, &stored);
        if (!r.ok()) {
            expected << Result<Json>(r.error());
            continue;
        }
        text = r.value();
        auto back = YamlDocumentEditor::open(text, QStringLiteral("fuzz.yaml"));
        FUZZ_CHECK(back.ok());
        auto v = back->valueAt(e.path);
        FUZZ_CHECK(v.ok());
        expected << v.value();
    }
    QList<Result<Json>> answers;
    auto batch = editor->setMany(edits, &answers);
    FUZZ_CHECK(batch.ok());
    FUZZ_CHECK(answers.size() == expected.size());
    Json model = editor->root(); // the document with the edits the batch took
    for (qsizetype i = 0; i < answers.size(); ++i) {
        if (expected[i].ok() && !answers[i].ok()) // which edit, and why, before the abort
            std::fprintf(stderr, "edit %d (%s): one by one ok, batch %s\n", int(i),
                         qPrintable(edits[i].path.join(QLatin1Char('.'))),
                         qPrintable(answers[i].error().toString()));
        // What set() takes, the batch takes; the batch may take more only
        // where set() alone refused the layout (e.g. a text it left that
        // the next edit could not extend), never a wrong path.
        FUZZ_CHECK(answers[i].ok() || !expected[i].ok());
        if (answers[i].ok() && !expected[i].ok())
            FUZZ_CHECK(expected[i].error().kind == ErrorKind::Unsupported);
        if (answers[i].ok() && expected[i].ok())
            FUZZ_CHECK(YamlDocumentEditor::sameJson(answers[i].value(), expected[i].value()));
        if (answers[i].ok())
            model = expectedAfter(model, edits[i].path, edits[i].value);
    }
    auto batched = YamlDocumentEditor::open(batch.value(), QStringLiteral("fuzz.yaml"));
    FUZZ_CHECK(batched.ok());
    FUZZ_CHECK(YamlDocumentEditor::sameJson(batched->root(), model));
    return 0;
}
