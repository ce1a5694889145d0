#include "TestSupport.h"
#include "providers/yaml/YamlDocumentEditor.h"
#include "util/AtomicFile.h"
#include "util/YamlJson.h"

#include <QRandomGenerator>
#include <QTest>

using namespace sd;

namespace {

const QString kState = QStringLiteral("k0rdent-azure-setup/state/deployment-state.initial.generated.yaml");
const QString kEvents = QStringLiteral("k0rdent-azure-setup/state/deployment-events.initial.generated.yaml");
const QString kAzureEvents = QStringLiteral("k0rdent-azure-setup/state/azure-events.yaml");
const QString kAzure = QStringLiteral("k0rdent-azure-setup/state/azure-state.yaml");
const QString kCluster =
    QStringLiteral("k0rdent-azure-setup/state/cluster-kof-regional-ab12cd34-southeastasia-events.yaml");
const QString kRemove = QStringLiteral("<remove>");

QByteArray fixture(const QString &relative)
{
    auto bytes = readWholeFile(test::fixturePath(relative));
    if (!bytes.ok())
        qFatal("missing fixture %s", qPrintable(relative));
    return bytes.value();
}

QStringList splitPath(const QString &path)
{
    return path.isEmpty() ? QStringList() : path.split(QLatin1Char('.'));
}

// Every path to a scalar in `v`, for the sweep over whole fixtures.
void leaves(const Json &v, const QStringList &prefix, QList<QStringList> *out)
{
    if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it)
            leaves(it.value(), prefix + QStringList{toQString(it.key())}, out);
    } else if (v.is_array()) {
        for (size_t i = 0; i < v.size(); ++i)
            leaves(v[i], prefix + QStringList{QString::number(i)}, out);
    } else {
        out->append(prefix);
    }
}

// Values that stress quoting, typing and layout.
Json randomValue(QRandomGenerator &rng, int depth)
{
    static const char *strings[] = {"", " lead", "trail ", "a: b", "#x", "x #y", "- x", "yes", "No", "null", "~",
                                    "123", "1.5", "0x1F", "multi\nline\n", "two\nlines", "tab\there",
                                    "quote\"s", "it's", "back\\slash", "\xc3\xbc" "n\xc3\xaf" "c\xc3\xb6" "de",
                                    "emoji \xf0\x9f\x98\x80", "[x]", "{y}", "*star", "&amp", "!bang", "%pct",
                                    "@at", "`tick", "plain words", "2026-11-22T13:08:43Z", "./config/k0rdent.yaml",
                                    "ctrl\x01char", ":", "-", "?", "a,b"};
    static const char *keys[] = {"a", "a.b", "x y", "\xc3\xbc", "1", "true", "-dash", "k0s-worker-1", "state",
                                 "with: colon", "#hash", "\"q\"", "status"};
    const int kind = int(rng.bounded(depth > 1 ? 6 : 8));
    switch (kind) {
    case 0: return Json(strings[rng.bounded(int(std::size(strings)))]);
    case 1: return Json(qint64(rng.bounded(2000)) - 1000);
    case 2: return Json(rng.bounded(2) == 0);
    case 3: return Json();
    case 4: return Json(double(rng.bounded(1000)) / 8.0);
    case 5: return Json(strings[rng.bounded(int(std::size(strings)))]);
    case 6: {
        Json obj = Json::object();
        for (int i = int(rng.bounded(4)); i > 0; --i)
            obj[keys[rng.bounded(int(std::size(keys)))]] = randomValue(rng, depth + 1);
        return obj;
    }
    default: {
        Json arr = Json::array();
        for (int i = int(rng.bounded(4)); i > 0; --i)
            arr.push_back(randomValue(rng, depth + 1));
        return arr;
    }
    }
}

// A document in every style the editor has to keep: plain, single- and
// double-quoted, literal and folded scalars, flow collections, empty values,
// comments and blank lines inside maps, indentless and over-indented lists.
QByteArray stylesDocument(bool crlf)
{
    QByteArray doc("# header\n"
                   "plain: value here   # trailing\n"
                   "single: 'it''s'\n"
                   "double: \"x\\ty\"\n"
                   "literal: |\n"
                   "  line one\n"
                   "  line two\n"
                   "folded: >\n"
                   "  folded\n"
                   "  text\n"
                   "flow_map: {a: 1, b: \"two\"}\n"
                   "flow_seq: [1, \"two\", three]\n"
                   "empty_map: {}\n"
                   "empty_seq: []\n"
                   "nothing:\n"
                   "nested:\n"
                   "  # inner comment\n"
                   "  deep:\n"
                   "    key: \"v\"\n"
                   "\n"
                   "  after_blank: true\n"
                   "indentless:\n"
                   "- a\n"
                   "- b: 1\n"
                   "  c: 2\n"
                   "indented:\n"
                   "    - x\n"
                   "    - y\n"
                   "# footer\n");
    if (crlf)
        doc.replace("\n", "\r\n");
    return doc;
}

// Every path in `v`, containers included.
void allPaths(const Json &v, const QStringList &prefix, QList<QStringList> *out)
{
    if (!prefix.isEmpty())
        out->append(prefix);
    if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it)
            allPaths(it.value(), prefix + QStringList{toQString(it.key())}, out);
    } else if (v.is_array()) {
        for (size_t i = 0; i < v.size(); ++i)
            allPaths(v[i], prefix + QStringList{QString::number(i)}, out);
    }
}

} // namespace

class TestYamlEditor : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // (document, path, new value, expected bytes): the expected bytes are the
    // original with exactly one stretch of text replaced, `from` -> `to`,
    // so every other byte of the file is proven identical.
    void testEdit_data()
    {
        QTest::addColumn<QString>("file");    // a fixture, or empty for `inline`
        QTest::addColumn<QByteArray>("doc");  // inline document
        QTest::addColumn<QString>("path");    // dot-separated
        QTest::addColumn<QString>("value");   // JSON, or <remove>
        QTest::addColumn<QByteArray>("from"); // unique in the document
        QTest::addColumn<QByteArray>("to");
        const QByteArray none;

        QTest::newRow("phase preparation->network")
            << kState << none << "phase" << "\"network\"" << QByteArray("phase: \"preparation\"")
            << QByteArray("phase: \"network\"");
        QTest::newRow("boolean stays bare")
            << kState << none << "wg_keys_generated" << "true" << QByteArray("wg_keys_generated: false")
            << QByteArray("wg_keys_generated: true");
        QTest::newRow("number-looking string stays quoted")
            << kAzure << none << "azure_client_id" << "\"12345\""
            << QByteArray("azure_client_id: \"00000000-0000-0000-0000-000000000001\"")
            << QByteArray("azure_client_id: \"12345\"");
        QTest::newRow("plain string that would read as a number gets quotes")
            << kCluster << none << "events.0.message" << "\"42\""
            << QByteArray("message: Local event tracking initialized for kof-regional-ab12cd34-southeastasia")
            << QByteArray("message: \"42\"");
        QTest::newRow("plain string stays plain")
            << kCluster << none << "events.1.message" << "\"ClusterDeployment ready\""
            << QByteArray("message: ClusterDeployment created for azure cluster")
            << QByteArray("message: ClusterDeployment ready");
        QTest::newRow("nested phases.install_k0s.status")
            << kState << none << "phases.install_k0s.status" << "\"completed\""
            << QByteArray("install_k0s:\n    status: \"pending\"") << QByteArray("install_k0s:\n    status: \"completed\"");
        QTest::newRow("null -> quoted string")
            << kState << none << "config.wireguard_port" << "\"51820\"" << QByteArray("wireguard_port: null")
            << QByteArray("wireguard_port: \"51820\"");
        QTest::newRow("bare number -> number")
            << kState << none << "config.controller_count" << "5" << QByteArray("controller_count: 3")
            << QByteArray("controller_count: 5");
        QTest::newRow("bare number -> string is quoted")
            << kState << none << "config.worker_count" << "\"4\"" << QByteArray("worker_count: 2")
            << QByteArray("worker_count: \"4\"");
        QTest::newRow("{} gains a nested key")
            << kState << none << "vm_states.k0s-worker-1.state" << "\"running\"" << QByteArray("vm_states: {}")
            << QByteArray("vm_states:\n  k0s-worker-1:\n    state: \"running\"");
        QTest::newRow("{} replaced by a populated map")
            << kState << none << "vm_states" << R"({"k0s-worker-1": {"state": "running", "ready": true}})"
            << QByteArray("vm_states: {}")
            << QByteArray("vm_states:\n  k0s-worker-1:\n    state: \"running\"\n    ready: true");
        QTest::newRow("new top-level key")
            << kState << none << "kof_mothership_installed" << "true" << QByteArray("artifacts: {}\n")
            << QByteArray("artifacts: {}\nkof_mothership_installed: true\n");
        QTest::newRow("new top-level string key is double-quoted")
            << kAzure << none << "azure_region" << "\"westeurope\""
            << QByteArray("azure_subscription_id: \"00000000-0000-0000-0000-000000000003\"\n")
            << QByteArray("azure_subscription_id: \"00000000-0000-0000-0000-000000000003\"\nazure_region: \"westeurope\"\n");
        QTest::newRow("new key in a nested map goes after its last child")
            << kState << none << "config.kof_enabled" << "false" << QByteArray("  wireguard_port: null\n")
            << QByteArray("  wireguard_port: null\n  kof_enabled: false\n");
        QTest::newRow("remove a top-level key")
            << kState << none << "azure_ssh_key_status" << kRemove
            << QByteArray("azure_network_status: \"not_created\"\nazure_ssh_key_status: \"not_created\"\n")
            << QByteArray("azure_network_status: \"not_created\"\n");
        QTest::newRow("remove a nested key")
            << kState << none << "config.worker_count" << kRemove
            << QByteArray("  controller_count: 3\n  worker_count: 2\n") << QByteArray("  controller_count: 3\n");
        QTest::newRow("remove a nested map")
            << kState << none << "phases.setup_vpn" << kRemove
            << QByteArray("  setup_vpn:\n    status: \"pending\"\n    updated_at: \"2026-11-22T13:08:43Z\"\n")
            << QByteArray();
        QTest::newRow("remove the last key of a map leaves {}")
            << QString() << QByteArray("a:\n  b: \"x\" # note\nc: true\n") << "a.b" << kRemove
            << QByteArray("a:\n  b: \"x\" # note\n") << QByteArray("a: {}\n");
        QTest::newRow("events list append (whole list)")
            << kEvents << none << "events"
            << R"([{"timestamp": "2026-11-22T13:08:43Z", "action": "deployment_initialized", "message": "Deployment state tracking initialized"},
                  {"timestamp": "2026-11-22T13:10:00Z", "action": "network_created", "message": "Azure network created"}])"
            << QByteArray("    message: Deployment state tracking initialized\n")
            << QByteArray("    message: Deployment state tracking initialized\n"
                          "  - timestamp: \"2026-11-22T13:10:00Z\"\n"
                          "    action: network_created\n"
                          "    message: Azure network created\n");
        QTest::newRow("events list append (by index), indentless list")
            << kAzureEvents << none << "events.1"
            << R"({"timestamp": "2026-11-22T13:22:00Z", "action": "azure_rg_created", "message": "Resource group: created", "phase": "setup_network"})"
            << QByteArray("  message: Azure credentials configured\n")
            << QByteArray("  message: Azure credentials configured\n"
                          "- timestamp: \"2026-11-22T13:22:00Z\"\n"
                          "  action: azure_rg_created\n"
                          "  message: \"Resource group: created\"\n"
                          "  phase: \"setup_network\"\n");
        QTest::newRow("whole top-level map with one change rewrites one line")
            << kState << none << "config"
            << R"({"azure_location": "westeurope", "resource_group": "k0rdent-ab12cd34-resgrp", "controller_count": 3,
                  "worker_count": 2, "wireguard_network": "172.24.24.0/24", "wireguard_port": null})"
            << QByteArray("azure_location: \"southeastasia\"") << QByteArray("azure_location: \"westeurope\"");
        QTest::newRow("map replaced by a scalar")
            << kState << none << "deployment_flags" << "\"none\""
            << QByteArray("deployment_flags:\n  azure_children: false\n  kof: false\n")
            << QByteArray("deployment_flags: \"none\"\n");
        QTest::newRow("scalar replaced by a list")
            << kState << none << "deployer" << R"(["a", "b"])" << QByteArray("deployer: \"unknown\"")
            << QByteArray("deployer:\n  - \"a\"\n  - \"b\"");
        QTest::newRow("unicode value")
            << kState << none << "deployer" << "\"J\\u00fcrgen \\u2713 \\u65e5\\u672c\"" << QByteArray("deployer: \"unknown\"")
            << QByteArray("deployer: \"J\xc3\xbcrgen \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac\"");
        QTest::newRow("quotes, backslash and newline are escaped")
            << kState << none << "deployer" << "\"say \\\"hi\\\"\\\\\\nbye\"" << QByteArray("deployer: \"unknown\"")
            << QByteArray("deployer: \"say \\\"hi\\\"\\\\\\nbye\"");
        QTest::newRow("new unicode key")
            << kAzure << none << "r\u00e9gion" << "\"\u00e9t\u00e9\""
            << QByteArray("000000000003\"\n") << QByteArray("000000000003\"\nr\xc3\xa9gion: \"\xc3\xa9t\xc3\xa9\"\n");
        QTest::newRow("single-quoted stays single-quoted")
            << QString() << QByteArray("a: 'it''s'  # c\nb: 1\n") << "a" << "\"don't\"" << QByteArray("'it''s'")
            << QByteArray("'don''t'");
        QTest::newRow("trailing comment kept")
            << QString() << QByteArray("a: \"x\"   # why\nb: 1\n") << "a" << "\"y\"" << QByteArray("\"x\"")
            << QByteArray("\"y\"");
        QTest::newRow("comment after a scalar becoming a map stays on the key line")
            << QString() << QByteArray("a: \"x\" # why\nb: 1\n") << "a" << R"({"c": true})" << QByteArray("a: \"x\" # why\n")
            << QByteArray("a: # why\n  c: true\n");
        QTest::newRow("empty value gets one")
            << QString() << QByteArray("a:\nb: 1\n") << "a" << "\"v\"" << QByteArray("a:\n") << QByteArray("a: \"v\"\n");
        QTest::newRow("literal block stays literal")
            << QString() << QByteArray("a: |\n  one\n  two\nb: 1\n") << "a" << "\"uno\\ndos\\n\""
            << QByteArray("|\n  one\n  two") << QByteArray("|\n  uno\n  dos");
        QTest::newRow("CRLF line breaks are kept")
            << QString() << QByteArray("a: \"x\"\r\nb:\r\n  c: 1\r\n") << "b.d" << "\"n\""
            << QByteArray("  c: 1\r\n") << QByteArray("  c: 1\r\n  d: \"n\"\r\n");
        QTest::newRow("byte-order mark is kept")
            << QString() << QByteArray("\xEF\xBB\xBF" "a: \"x\"\nb: 2\n") << "b" << "3" << QByteArray("b: 2")
            << QByteArray("b: 3");
        QTest::newRow("first key of a list item removed")
            << QString() << QByteArray("l:\n- a: 1\n  b: 2\n  c: 3\n") << "l.0.a" << kRemove
            << QByteArray("- a: 1\n  b: 2") << QByteArray("- b: 2");
        QTest::newRow("last list item removed")
            << QString() << QByteArray("l:\n  - \"a\"\n  - \"b\"\nz: 1\n") << "l.1" << kRemove
            << QByteArray("\n  - \"b\"") << QByteArray();
        QTest::newRow("key into an empty document")
            << QString() << QByteArray("# nothing yet\n") << "phase" << "\"network\"" << QByteArray("# nothing yet\n")
            << QByteArray("# nothing yet\nphase: \"network\"\n");
        QTest::newRow("populated flow map stays flow")
            << QString() << QByteArray("a: {b: 1, c: \"x\"}\n") << "a.c" << "\"y\"" << QByteArray("{b: 1, c: \"x\"}")
            << QByteArray("{b: 1, c: \"y\"}");
        QTest::newRow("multi-line plain scalar replaced whole")
            << QString() << QByteArray("a: one\n  two\nb: 1\n") << "a" << "\"three\""
            << QByteArray("one\n  two") << QByteArray("three");
        // A null written below its key is that value's text: it is edited
        // in place, and a new key goes after it (it was taken for an empty
        // value at the key's line end, so the new key landed between the
        // two lines and the edit was refused). Found by fuzzing
        // (yaml_document/crash-41dc...).
        QTest::newRow("null below its key, new key after it")
            << QString() << QByteArray("a:\n  null\n") << "c" << "1" << QByteArray("  null\n")
            << QByteArray("  null\nc: 1\n");
        QTest::newRow("~ below its key, set")
            << QString() << QByteArray("a: # none yet\n  ~\nb: 1\n") << "a" << "5" << QByteArray("~")
            << QByteArray("5");
        QTest::newRow("key that needs quotes")
            << QString() << QByteArray("a: 1\n") << "x: y" << "1" << QByteArray("a: 1\n") << QByteArray("a: 1\n\"x: y\": 1\n");
    }

    void testEdit()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, doc);
        QFETCH(QString, path);
        QFETCH(QString, value);
        QFETCH(QByteArray, from);
        QFETCH(QByteArray, to);
        const QByteArray original = file.isEmpty() ? doc : fixture(file);
        QCOMPARE(original.count(from), 1); // the expected edit is unambiguous
        QByteArray expected = original;
        expected.replace(original.indexOf(from), from.size(), to);

        QStringList segments = splitPath(path);
        if (path == QLatin1String("x: y"))
            segments = {path};
        Result<QByteArray> edited = value == kRemove
                                        ? YamlDocumentEditor::remove(original, segments, QStringLiteral("doc"))
                                        : YamlDocumentEditor::set(original, segments,
                                                                  Json::parse(value.toStdString()),
                                                                  QStringLiteral("doc"));
        QVERIFY2(edited.ok(), qPrintable(edited.ok() ? QString() : edited.error().toString()));
        QCOMPARE(edited.value(), expected);

        // And the edit reads back as asked.
        auto reread = YamlDocumentEditor::open(edited.value());
        QVERIFY(reread.ok());
        auto got = reread->valueAt(segments);
        if (value == kRemove) {
            QVERIFY(!got.ok());
            QCOMPARE(got.error().kind, ErrorKind::NotFound);
        } else {
            QVERIFY(got.ok());
            QVERIFY(YamlDocumentEditor::sameJson(got.value(), Json::parse(value.toStdString())));
        }
    }

    // Every scalar of every fixture, set to a new string: exactly that
    // value's text changes, nothing else.
    void testEveryLeaf_data()
    {
        QTest::addColumn<QString>("file");
        for (const QString &f : {kState, kEvents, kAzure, kAzureEvents, kCluster})
            QTest::newRow(qPrintable(f.section(QLatin1Char('/'), -1))) << f;
    }
    void testEveryLeaf()
    {
        QFETCH(QString, file);
        const QByteArray original = fixture(file);
        auto editor = YamlDocumentEditor::open(original, file);
        QVERIFY(editor.ok());
        QList<QStringList> paths;
        leaves(editor->root(), {}, &paths);
        QVERIFY(paths.size() > 3);
        const QList<QByteArray> before = original.split('\n');
        for (const QStringList &path : std::as_const(paths)) {
            auto edited = editor->set(path, Json("changed value"));
            QVERIFY2(edited.ok(), qPrintable(path.join('.')));
            const QList<QByteArray> after = edited.value().split('\n');
            QCOMPARE(after.size(), before.size());
            int changed = 0;
            for (qsizetype i = 0; i < before.size(); ++i) {
                if (before[i] != after[i]) {
                    ++changed;
                    QVERIFY2(after[i].contains("changed value"), after[i].constData());
                }
            }
            QCOMPARE(changed, 1);
            // Setting the same value again changes nothing at all.
            auto same = editor->set(path, editor->valueAt(path).value());
            QVERIFY(same.ok());
            QCOMPARE(same.value(), original);
        }
    }


    // Chains of random edits (fixed seeds, bounded) over the fixtures: each
    // one must succeed, read back as asked, and leave every value it did not
    // touch as it was (the editor proves that itself before returning).
    void testRandomEdits_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<quint32>("seed");
        for (const QString &f : {kState, kEvents, kAzureEvents, kCluster, QStringLiteral("styles"),
                                 QStringLiteral("styles-crlf")})
            for (quint32 seed = 1; seed <= quint32(qEnvironmentVariableIntValue("SD_RANDOM_SEEDS") > 0 ? qEnvironmentVariableIntValue("SD_RANDOM_SEEDS") : 3); ++seed)
                QTest::addRow("%s/%u", qPrintable(f.section(QLatin1Char('/'), -1)), seed) << f << seed;
    }
    void testRandomEdits()
    {
        QFETCH(QString, file);
        QFETCH(quint32, seed);
        QRandomGenerator rng(seed);
        QByteArray doc = file.startsWith(QLatin1String("styles")) ? stylesDocument(file.endsWith(QLatin1String("crlf")))
                                                                  : fixture(file);
        for (int step = 0; step < 60; ++step) {
            auto editor = YamlDocumentEditor::open(doc, file);
            QVERIFY(editor.ok());
            QList<QStringList> paths;
            allPaths(editor->root(), {}, &paths);
            const int op = int(rng.bounded(10));
            QStringList path = paths.isEmpty() ? QStringList{QStringLiteral("fresh")}
                                               : paths[int(rng.bounded(int(paths.size())))];
            Json expectedValue;
            Result<QByteArray> edited;
            if (op < 2 && !paths.isEmpty()) {
                edited = editor->remove(path);
            } else {
                if (op < 4) {
                    // A new key beside an existing one (or at the top).
                    const QStringList parentPath = path.mid(0, path.size() - 1);
                    const Json parent = editor->valueAt(parentPath).value();
                    if (parent.is_object())
                        path = parentPath + QStringList{QStringLiteral("new_%1").arg(step)};
                }
                expectedValue = randomValue(rng, 0);
                edited = editor->set(path, expectedValue);
            }
            const QString what = QStringLiteral("step %1: %2 %3 = %4")
                                     .arg(step)
                                     .arg(op < 2 ? "remove" : "set", path.join('.'),
                                          QString::fromStdString(expectedValue.dump()));
            if (!edited.ok())
                QFAIL(qPrintable(what + QStringLiteral(": ") + edited.error().toString() + "\n" + doc));
            auto reread = YamlDocumentEditor::open(edited.value());
            QVERIFY2(reread.ok(), qPrintable(what));
            if (op >= 2 || paths.isEmpty()) {
                auto got = reread->valueAt(path);
                QVERIFY2(got.ok(), qPrintable(what));
                QVERIFY2(YamlDocumentEditor::sameJson(got.value(), expectedValue), qPrintable(what));
            }
            // The file's comments survive every edit that does not remove their line's key.
            if (doc.startsWith("# k0rdent"))
                QVERIFY2(edited.value().startsWith("# k0rdent"), qPrintable(what));
            doc = edited.value();
        }
    }

    // setMany() gives what set() one after another gives: the same text,
    // byte for byte, and the same answer per edit, for random chains of sets
    // (existing paths, new keys beside them, the same path again, a path
    // inside one set before, one past a list's end), some refused by the
    // check. And it parses a fixed number of times per run, not per edit.
    void testSetManyMatchesSetAfterSet_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<quint32>("seed");
        for (const QString &f : {kState, kEvents, kAzureEvents, kCluster, QStringLiteral("styles"),
                                 QStringLiteral("styles-crlf")})
            for (quint32 seed = 1; seed <= 4; ++seed)
                QTest::addRow("%s/%u", qPrintable(f.section(QLatin1Char('/'), -1)), seed) << f << seed;
    }
    void testSetManyMatchesSetAfterSet()
    {
        QFETCH(QString, file);
        QFETCH(quint32, seed);
        QRandomGenerator rng(seed);
        const QByteArray original = file.startsWith(QLatin1String("styles"))
                                        ? stylesDocument(file.endsWith(QLatin1String("crlf")))
                                        : fixture(file);
        auto editor = YamlDocumentEditor::open(original, file);
        QVERIFY(editor.ok());
        QList<QStringList> paths;
        allPaths(editor->root(), {}, &paths);
        QVERIFY(!paths.isEmpty());

        QList<YamlDocumentEditor::Edit> edits;
        for (int i = 0; i < 40; ++i) {
            QStringList path = paths[int(rng.bounded(int(paths.size())))];
            const int op = int(rng.bounded(10));
            if (op < 3) {
                path = path.mid(0, path.size() - 1) + QStringList{QStringLiteral("new_%1").arg(i)};
            } else if (op == 3 && !edits.isEmpty()) {
                path = edits[int(rng.bounded(int(edits.size())))].path; // again
            } else if (op == 4 && !edits.isEmpty()) {
                path = edits[int(rng.bounded(int(edits.size())))].path + QStringList{QStringLiteral("inner")};
            } else if (op == 5) {
                const Json parent = editor->valueAt(path.mid(0, path.size() - 1)).value();
                if (parent.is_array())
                    path = path.mid(0, path.size() - 1) + QStringList{QString::number(parent.size())};
            }
            edits << YamlDocumentEditor::Edit{path, randomValue(rng, 0)};
        }
        // Refuses every fifth edit, and any edit whose path holds a list now.
        auto check = [](qsizetype i, const Json *current) -> Status {
            if (i % 5 == 4 || (current && current->is_array()))
                return Error(ErrorKind::Conflict, QStringLiteral("refused %1").arg(i));
            return {};
        };

        // The reference: set() after set(), the document opened each time.
        QByteArray doc = original;
        QList<Result<Json>> expected;
        for (qsizetype i = 0; i < edits.size(); ++i) {
            auto one = YamlDocumentEditor::open(doc, file);
            QVERIFY(one.ok());
            auto current = one->valueAt(edits[i].path);
            if (Status s = check(i, current.ok() ? &current.value() : nullptr); !s.ok()) {
                expected << Result<Json>(s.error());
                continue;
            }
            Json reread;
            auto edited = one->set(edits[i].path, edits[i].value, &reread);
            if (!edited.ok()) {
                expected << Result<Json>(edited.error());
                continue;
            }
            doc = edited.value();
            const Json *stored = &reread;
            for (const QString &seg : edits[i].path)
                stored = stored->is_array() ? &(*stored)[seg.toULongLong()] : &stored->at(seg.toStdString());
            expected << Result<Json>(*stored);
        }

        QList<Result<Json>> answers;
        auto all = editor->setMany(edits, &answers, check);
        QVERIFY2(all.ok(), qPrintable(all.ok() ? QString() : all.error().toString()));
        QCOMPARE(answers.size(), edits.size());
        for (qsizetype i = 0; i < edits.size(); ++i) {
            const QString what = QStringLiteral("edit %1: %2 = %3")
                                     .arg(i)
                                     .arg(edits[i].path.join('.'), QString::fromStdString(edits[i].value.dump()));
            QVERIFY2(answers[i].ok() == expected[i].ok(), qPrintable(what));
            if (expected[i].ok()) // in the same key order: revisions hash it
                QCOMPARE(QString::fromStdString(answers[i]->dump()), QString::fromStdString(expected[i]->dump()));
            else
                QCOMPARE(answers[i].error().message, expected[i].error().message);
        }
        QCOMPARE(all.value(), doc);
    }

    // A batch of distinct keys is one parse to open and one to prove,
    // whatever its size; each key set again starts a run (a reopen and a
    // proof more).
    void testSetManyParsesPerRun_data()
    {
        QTest::addColumn<int>("keys");
        QTest::addColumn<int>("repeats");
        QTest::addColumn<int>("parses");
        QTest::newRow("1 key") << 1 << 0 << 2;
        QTest::newRow("100 keys") << 100 << 0 << 2;
        QTest::newRow("5000 keys") << 5000 << 0 << 2;
        QTest::newRow("100 keys, then 2 again") << 100 << 2 << 4;
    }
    void testSetManyParsesPerRun()
    {
        QFETCH(int, keys);
        QFETCH(int, repeats);
        QFETCH(int, parses);
        const quint64 before = YamlDocumentEditor::parseCount();
        auto editor = YamlDocumentEditor::open(fixture(kState), kState);
        QVERIFY(editor.ok());
        QList<YamlDocumentEditor::Edit> edits;
        for (int i = 0; i < keys; ++i)
            edits << YamlDocumentEditor::Edit{{QStringLiteral("batch"), QStringLiteral("k%1").arg(i)}, Json(i)};
        for (int i = 0; i < repeats; ++i)
            edits << YamlDocumentEditor::Edit{{QStringLiteral("batch"), QStringLiteral("k%1").arg(i)}, Json(-i)};
        QList<Result<Json>> answers;
        auto text = editor->setMany(edits, &answers);
        QVERIFY(text.ok());
        QCOMPARE(int(YamlDocumentEditor::parseCount() - before), parses);
        auto reread = YamlDocumentEditor::open(text.value());
        QVERIFY(reread.ok());
        for (int i = 0; i < keys; ++i)
            QCOMPARE(reread->valueAt({QStringLiteral("batch"), QStringLiteral("k%1").arg(i)}).value(),
                     Json(i < repeats ? -i : i));
        // The rest of the file is as it was: only lines were added.
        QVERIFY(text.value().startsWith(fixture(kState)));
    }

    // Edits that cannot be proven right, or make no sense, are refused with
    // an error that says why and where.
    void testRefused_data()
    {
        QTest::addColumn<QByteArray>("doc");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("value");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("where");
        QTest::newRow("malformed") << QByteArray("a: 1\nb: [1, 2\nc: 3\n") << "a" << "2" << int(ErrorKind::Invalid)
                                   << "doc:3:2";
        QTest::newRow("bad indentation") << QByteArray("a:\n  b: 1\n c: 2\n") << "a.b" << "2"
                                         << int(ErrorKind::Invalid) << "doc:3:2";
        QTest::newRow("anchor shared with an alias")
            << QByteArray("a: &x {b: 1}\nc: *x\n") << "a.b" << "2" << int(ErrorKind::Unsupported) << "doc";
        QTest::newRow("through a string") << QByteArray("a: \"x\"\n") << "a.b" << "1" << int(ErrorKind::Invalid)
                                          << "doc";
        QTest::newRow("remove missing") << QByteArray("a: 1\n") << "b" << kRemove << int(ErrorKind::NotFound)
                                        << "doc";
        // Named where the key appears the second time, not where the map starts.
        QTest::newRow("duplicate keys") << QByteArray("a:\n  b: 1\n  b: 2\n") << "a.c" << "1"
                                        << int(ErrorKind::Unsupported) << "doc:3:3";
        QTest::newRow("duplicate top-level keys") << QByteArray("x: 1\ny: 2\nx: 3\n") << "y" << "5"
                                                  << int(ErrorKind::Unsupported) << "doc:3:1";
        QTest::newRow("top level is a list") << QByteArray("- a\n- b\n") << "a" << "1"
                                             << int(ErrorKind::Unsupported) << "doc";
    }
    void testRefused()
    {
        QFETCH(QByteArray, doc);
        QFETCH(QString, path);
        QFETCH(QString, value);
        QFETCH(int, kind);
        QFETCH(QString, where);
        Result<QByteArray> r = value == kRemove
                                   ? YamlDocumentEditor::remove(doc, splitPath(path), QStringLiteral("doc"))
                                   : YamlDocumentEditor::set(doc, splitPath(path), Json::parse(value.toStdString()),
                                                             QStringLiteral("doc"));
        QVERIFY(!r.ok());
        QCOMPARE(int(r.error().kind), kind);
        QCOMPARE(r.error().where, where);
        QVERIFY(!r.error().message.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestYamlEditor)
#include "tst_yaml_editor.moc"
