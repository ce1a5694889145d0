// One batch of COUNT new keys written into one YAML state document, the way
// YamlProvider's putBatch writes a file, timed (issue 18: it was quadratic).
//   sd-bench-yaml-batch COUNT [--one-by-one]
// Default: YamlDocumentEditor::setMany, one parse to open the document and
// one to prove the result. --one-by-one: what the batch did before, per key
// open the document's current text, read the value there for the
// precondition, set it and prove the result (two parses per key). Prints
// the seconds and the parses made; bench/yaml.sh runs it.
#include "model/Codec.h"
#include "providers/yaml/YamlDocumentEditor.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>

using namespace sd;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int count = args.value(1).toInt();
    const bool oneByOne = args.contains(QStringLiteral("--one-by-one"));
    if (count <= 0) {
        std::fprintf(stderr, "usage: sd-bench-yaml-batch COUNT [--one-by-one]\n");
        return 2;
    }
    // A state file as k0rdent writes them: a comment, a few scalars, a map.
    const QByteArray document("# bench state\n"
                              "deployment_id: \"bench\"\n"
                              "phase: \"running\"\n"
                              "flags:\n"
                              "  kof: false\n");
    QList<YamlDocumentEditor::Edit> edits;
    for (int i = 0; i < count; ++i)
        edits << YamlDocumentEditor::Edit{{QStringLiteral("many"), QStringLiteral("k%1").arg(i, 8, 10, QLatin1Char('0'))},
                                          Json{{"i", i}, {"name", "entry " + std::to_string(i)}}};

    const quint64 parsesBefore = YamlDocumentEditor::parseCount();
    QElapsedTimer timer;
    timer.start();
    QByteArray text = document;
    int failed = 0;
    if (oneByOne) {
        for (const auto &e : std::as_const(edits)) {
            auto editor = YamlDocumentEditor::open(text);
            if (!editor.ok()) {
                ++failed;
                continue;
            }
            if (auto v = editor->valueAt(e.path); v.ok())
                (void)contentRevision(compactJson(v.value()));
            Json after;
            auto edited = editor->set(e.path, e.value, &after);
            if (!edited.ok()) {
                ++failed;
                continue;
            }
            text = edited.value();
        }
    } else {
        auto editor = YamlDocumentEditor::open(text);
        QList<Result<Json>> answers;
        auto edited = editor.ok() ? editor->setMany(edits, &answers, [](qsizetype, const Json *current) -> Status {
            if (current)
                (void)contentRevision(compactJson(*current));
            return {};
        })
                                  : Result<QByteArray>(editor.error());
        if (edited.ok())
            text = edited.value();
        for (const auto &a : std::as_const(answers))
            failed += a.ok() ? 0 : 1;
        if (!edited.ok())
            failed = count;
    }
    const double secs = double(timer.nsecsElapsed()) / 1e9;
    std::printf("%d keys %s in %.3f s, %llu parses, %lld bytes (%d failed)\n", count,
                oneByOne ? "one by one" : "in one pass", secs,
                static_cast<unsigned long long>(YamlDocumentEditor::parseCount() - parsesBefore),
                static_cast<long long>(text.size()), failed);
    return failed ? 1 : 0;
}
