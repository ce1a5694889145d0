#include "TestSupport.h"
#include "model/Codec.h"
#include "providers/Backends.h"
#include "providers/YamlTestFixture.h"
#include "providers/yaml/YamlDocumentEditor.h"
#include "providers/yaml/YamlProvider.h"
#include "util/AtomicFile.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace sd;
using test::await;

namespace {

std::unique_ptr<YamlProvider> open(const test::YamlStateCopy &copy, int maxBackups = 10)
{
    YamlOptions o;
    o.directory = copy.dir;
    o.maxBackups = maxBackups;
    return std::make_unique<YamlProvider>(o);
}

Entry entry(const QString &key, const Json &value)
{
    Entry e;
    e.key = key;
    e.value = value;
    e.encoding = Encoding::Yaml;
    return e;
}

QStringList keysOf(const QList<Entry> &entries)
{
    QStringList keys;
    for (const Entry &e : entries)
        keys << e.key;
    return keys;
}

QStringList backupsOf(const QString &backupDir, const QString &stem)
{
    QStringList out;
    for (const QString &f : QDir(backupDir).entryList(QDir::Files, QDir::Name))
        if (f.startsWith(stem + QLatin1Char('_')))
            out << f;
    return out;
}

// Collects a watch's events on the test's thread.
struct EventLog {
    QList<Event> events;
    void attach(Watch *w)
    {
        QObject::connect(w, &Watch::event, w, [this](const Event &e) { events << e; });
    }
    bool has(Event::Type type, const QString &key) const
    {
        for (const Event &e : events)
            if (e.type == type && e.entry.key == key)
                return true;
        return false;
    }
    const Event *find(Event::Type type, const QString &key) const
    {
        for (const Event &e : events)
            if (e.type == type && e.entry.key == key)
                return &e;
        return nullptr;
    }
};

const char *kState = "deployment-state.yaml";

} // namespace

class TestYamlProvider : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void testList_data()
    {
        QTest::addColumn<QString>("prefix");
        QTest::addColumn<int>("count");
        QTest::addColumn<QStringList>("some"); // keys that must be there
        QTest::newRow("everything") << "" << 36
                                    << QStringList{"deployment.phase", "deployment.config", "azure.azure_client_id",
                                                   "deployment-events.events", "azure-events.events",
                                                   "cluster-kof-regional-ab12cd34-southeastasia-events.events"};
        QTest::newRow("one file") << "deployment." << 21
                                  << QStringList{"deployment.phase", "deployment.vm_states", "deployment.phases"};
        QTest::newRow("state and events of a name") << "deployment" << 25
                                                    << QStringList{"deployment.phase", "deployment-events.events"};
        QTest::newRow("azure") << "azure" << 7 << QStringList{"azure.last_updated", "azure-events.last_updated"};
        QTest::newRow("one key") << "deployment.config" << 1 << QStringList{"deployment.config"};
        QTest::newRow("nothing") << "kof." << 0 << QStringList{};
    }
    void testList()
    {
        QFETCH(QString, prefix);
        QFETCH(int, count);
        QFETCH(QStringList, some);
        test::YamlStateCopy copy;
        auto p = open(copy);
        ListOptions o;
        o.prefix = prefix;
        o.limit = 1000;
        auto page = await(p->list(o));
        QVERIFY2(page.ok(), page.ok() ? "" : qPrintable(page.error().toString()));
        const QStringList keys = keysOf(page->entries);
        QCOMPARE(keys.size(), count);
        QVERIFY(std::is_sorted(keys.begin(), keys.end()));
        for (const QString &k : some)
            QVERIFY2(keys.contains(k), qPrintable(k));
        QVERIFY(page->nextCursor.isEmpty());
        for (const Entry &e : page->entries) {
            QVERIFY(e.key.startsWith(prefix));
            QCOMPARE(e.encoding, Encoding::Yaml);
            QCOMPARE(e.revision, contentRevision(compactJson(e.value)));
            QVERIFY(e.updated.isValid());
            const QString kind = e.labels.value(QStringLiteral("file")).endsWith(QLatin1String("-events.yaml"))
                                     ? QStringLiteral("events")
                                     : QStringLiteral("state");
            QCOMPARE(e.labels.value(QStringLiteral("kind")), kind);
        }
    }

    void testListValuesAndLabels()
    {
        test::YamlStateCopy copy;
        auto p = open(copy);
        ListOptions o;
        o.prefix = QStringLiteral("deployment");
        auto page = await(p->list(o));
        QVERIFY(page.ok());
        QHash<QString, Entry> byKey;
        for (const Entry &e : page->entries)
            byKey.insert(e.key, e);
        SD_COMPARE_JSON(byKey[QStringLiteral("deployment.phase")].value, Json("preparation"));
        SD_COMPARE_JSON(byKey[QStringLiteral("deployment.config")].value,
                        Json::parse(R"({"azure_location":"southeastasia","resource_group":"k0rdent-ab12cd34-resgrp",
                                       "controller_count":3,"worker_count":2,"wireguard_network":"172.24.24.0/24",
                                       "wireguard_port":null})"));
        SD_COMPARE_JSON(byKey[QStringLiteral("deployment.vm_states")].value, Json::object());
        QCOMPARE(byKey[QStringLiteral("deployment.phase")].labels.value(QStringLiteral("file")), QString(kState));
        const Entry &events = byKey[QStringLiteral("deployment-events.events")];
        QCOMPARE(events.labels.value(QStringLiteral("kind")), QStringLiteral("events"));
        QCOMPARE(events.labels.value(QStringLiteral("file")), QStringLiteral("deployment-events.yaml"));
        QVERIFY(events.value.is_array());
        QCOMPARE(events.value.size(), size_t(1));
        QVERIFY(byKey[QStringLiteral("deployment.phase")].labels.value(QStringLiteral("kind")) == "state");

        o.keysOnly = true;
        auto keysOnly = await(p->list(o));
        QVERIFY(keysOnly.ok());
        QCOMPARE(keysOnly->entries.size(), page->entries.size());
        QVERIFY(keysOnly->entries.first().value.is_null());
        QCOMPARE(keysOnly->entries.first().revision, page->entries.first().revision);
    }

    void testPaging()
    {
        test::YamlStateCopy copy;
        auto p = open(copy);
        ListOptions all;
        all.limit = 1000;
        const QStringList expected = keysOf(await(p->list(all))->entries);
        QStringList seen;
        ListOptions o;
        o.limit = 5;
        for (int i = 0; i < 20; ++i) {
            auto page = await(p->list(o));
            QVERIFY(page.ok());
            QVERIFY(page->entries.size() <= 5);
            seen << keysOf(page->entries);
            if (i == 1) // a key added between pages, before the cursor: no duplicate, nothing skipped
                QVERIFY(await(p->put(entry(QStringLiteral("azure-events.aaa"), Json(true)), {})).ok());
            if (page->nextCursor.isEmpty())
                break;
            o.cursor = page->nextCursor;
        }
        QCOMPARE(seen, expected);
    }

    void testGet_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("file");
        QTest::newRow("top level") << "deployment.phase" << "\"preparation\"" << kState;
        QTest::newRow("empty map") << "deployment.vm_states" << "{}" << kState;
        QTest::newRow("nested") << "deployment.phases.install_k0s.status" << "\"pending\"" << kState;
        QTest::newRow("bare number") << "deployment.config.controller_count" << "3" << kState;
        QTest::newRow("null") << "deployment.config.wireguard_port" << "null" << kState;
        QTest::newRow("boolean") << "azure.azure_credentials_configured" << "true" << "azure-state.yaml";
        QTest::newRow("list item") << "deployment-events.events.0.action" << "\"deployment_initialized\""
                                   << "deployment-events.yaml";
        QTest::newRow("<name>.yaml spelling of a -state file") << "deployment-state.phase" << "\"preparation\""
                                                               << kState;
        QTest::newRow("whole file") << "azure-events"
                                    << R"({"events":[{"timestamp":"2026-11-22T13:21:00Z","action":"azure_credentials_configured","message":"Azure credentials configured"}],"last_updated":"2026-11-22T13:21:00Z"})"
                                    << "azure-events.yaml";
    }
    void testGet()
    {
        QFETCH(QString, key);
        QFETCH(QString, json);
        QFETCH(QString, file);
        test::YamlStateCopy copy;
        auto p = open(copy);
        auto e = await(p->get(key));
        QVERIFY2(e.ok(), e.ok() ? "" : qPrintable(e.error().toString()));
        QCOMPARE(e->key, key);
        SD_COMPARE_JSON(e->value, Json::parse(json.toStdString()));
        QCOMPARE(e->labels.value(QStringLiteral("file")), file);
        QCOMPARE(e->revision, contentRevision(compactJson(e->value)));
    }

    void testGetErrors_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("where");
        QTest::newRow("missing key") << "deployment.nope" << int(ErrorKind::NotFound) << "deployment.nope";
        QTest::newRow("missing nested") << "deployment.phases.nope.status" << int(ErrorKind::NotFound)
                                        << "deployment.phases.nope.status";
        QTest::newRow("missing file") << "kof.mothership_installed" << int(ErrorKind::NotFound)
                                      << "kof.mothership_installed";
        QTest::newRow("slash") << "deployment/phase" << int(ErrorKind::Invalid) << "key \"deployment/phase\"";
        QTest::newRow("empty part") << "deployment..phase" << int(ErrorKind::Invalid) << "key \"deployment..phase\"";
        QTest::newRow("trailing dot") << "deployment." << int(ErrorKind::Invalid) << "key \"deployment.\"";
        QTest::newRow("open quote") << "deployment.\"a.b" << int(ErrorKind::Invalid) << "key \"deployment.\"a.b\"";
        QTest::newRow("hidden file") << "\".statedeck\".x" << int(ErrorKind::Invalid) << "key \"\".statedeck\".x\"";
        QTest::newRow("empty") << "" << int(ErrorKind::Invalid) << "key";
    }
    void testGetErrors()
    {
        QFETCH(QString, key);
        QFETCH(int, kind);
        QFETCH(QString, where);
        test::YamlStateCopy copy;
        auto p = open(copy);
        auto e = await(p->get(key));
        QVERIFY(!e.ok());
        QCOMPARE(int(e.error().kind), kind);
        QCOMPARE(e.error().where, where);
        // A malformed key is refused the same way by writes, and nothing changes.
        if (kind != int(ErrorKind::Invalid))
            return;
        const QByteArray before = copy.read(QStringLiteral("deployment-state.yaml"));
        Entry w;
        w.key = key;
        w.value = "x";
        auto put = await(p->put(w, {}));
        QVERIFY(!put.ok());
        QCOMPARE(int(put.error().kind), kind);
        QCOMPARE(put.error().where, where);
        auto rm = await(p->remove(key, {}));
        QVERIFY(!rm.ok());
        QCOMPARE(int(rm.error().kind), kind);
        QCOMPARE(copy.read(QStringLiteral("deployment-state.yaml")), before);
    }

    void testKeySyntax_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QStringList>("segments");
        QTest::newRow("plain") << "deployment.vm_states.k0s-worker-1.state"
                               << QStringList{"deployment", "vm_states", "k0s-worker-1", "state"};
        QTest::newRow("dotted map key") << "deployment.config.\"a.b\"" << QStringList{"deployment", "config", "a.b"};
        QTest::newRow("dotted file name") << "\"my.app\".x" << QStringList{"my.app", "x"};
        QTest::newRow("quote inside") << "d.\"say \"\"hi\"\".\"" << QStringList{"d", "say \"hi\"."};
        QTest::newRow("empty map key") << "d.\"\"" << QStringList{"d", ""};
        QTest::newRow("unicode") << "d\u00e9.cl\u00e9" << QStringList{"d\u00e9", "cl\u00e9"};
    }
    void testKeySyntax()
    {
        QFETCH(QString, key);
        QFETCH(QStringList, segments);
        auto split = YamlProvider::splitKey(key);
        QVERIFY(split.ok());
        QCOMPARE(split.value(), segments);
        QCOMPARE(YamlProvider::joinKey(segments), key);
    }

    // put, then the file is the original with exactly that edit, and get
    // returns what was put.
    void testPutRoundTrip_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("from");
        QTest::addColumn<QByteArray>("to");
        QTest::newRow("phase") << "deployment.phase" << "\"network\"" << kState << QByteArray("phase: \"preparation\"")
                               << QByteArray("phase: \"network\"");
        QTest::newRow("vm state into {}")
            << "deployment.vm_states.k0s-worker-1.state" << "\"running\"" << kState << QByteArray("vm_states: {}")
            << QByteArray("vm_states:\n  k0s-worker-1:\n    state: \"running\"");
        QTest::newRow("phase status") << "deployment.phases.install_k0s.status" << "\"completed\"" << kState
                                      << QByteArray("install_k0s:\n    status: \"pending\"")
                                      << QByteArray("install_k0s:\n    status: \"completed\"");
        QTest::newRow("boolean") << "azure.azure_credentials_configured" << "false" << "azure-state.yaml"
                                 << QByteArray("configured: true") << QByteArray("configured: false");
        QTest::newRow("new top-level key") << "deployment.kof_mothership_installed" << "true" << kState
                                           << QByteArray("artifacts: {}\n")
                                           << QByteArray("artifacts: {}\nkof_mothership_installed: true\n");
        QTest::newRow("dotted map key") << "deployment.config.\"a.b\"" << "\"x\"" << kState
                                        << QByteArray("  wireguard_port: null\n")
                                        << QByteArray("  wireguard_port: null\n  a.b: \"x\"\n");
        QTest::newRow("unicode value") << "deployment.deployer" << "\"J\\u00fcrgen \\u2713 \\u65e5\\u672c\""
                                       << kState << QByteArray("deployer: \"unknown\"")
                                       << QByteArray("deployer: \"J\xc3\xbcrgen \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac\"");
        QTest::newRow("unicode key") << "azure.r\u00e9gion" << "\"\u00e9t\u00e9\"" << "azure-state.yaml"
                                     << QByteArray("000000000003\"\n")
                                     << QByteArray("000000000003\"\nr\xc3\xa9gion: \"\xc3\xa9t\xc3\xa9\"\n");
        QTest::newRow("whole file, one value changed")
            << "azure-events"
            << R"({"events":[{"timestamp":"2026-11-22T13:21:00Z","action":"azure_credentials_configured","message":"Azure credentials configured"}],"last_updated":"2026-11-22T13:30:00Z"})"
            << "azure-events.yaml" << QByteArray("last_updated: \"2026-11-22T13:21:00Z\"")
            << QByteArray("last_updated: \"2026-11-22T13:30:00Z\"");
        QTest::newRow("events append")
            << "cluster-kof-regional-ab12cd34-southeastasia-events.events.2"
            << R"({"timestamp": "2026-11-22T13:45:00Z", "action": "cluster_ready", "message": "Cluster is ready"})"
            << "cluster-kof-regional-ab12cd34-southeastasia-events.yaml"
            << QByteArray("    message: ClusterDeployment created for azure cluster\n")
            << QByteArray("    message: ClusterDeployment created for azure cluster\n"
                          "  - timestamp: \"2026-11-22T13:45:00Z\"\n"
                          "    action: cluster_ready\n"
                          "    message: Cluster is ready\n");
    }
    void testPutRoundTrip()
    {
        QFETCH(QString, key);
        QFETCH(QString, json);
        QFETCH(QString, file);
        QFETCH(QByteArray, from);
        QFETCH(QByteArray, to);
        test::YamlStateCopy copy;
        auto p = open(copy);
        const QByteArray original = copy.read(file);
        QCOMPARE(original.count(from), 1);
        QByteArray expected = original;
        expected.replace(original.indexOf(from), from.size(), to);
        const QByteArray otherBefore = copy.read(QStringLiteral("azure-events.yaml"));

        const Json value = Json::parse(json.toStdString());
        auto put = await(p->put(entry(key, value), {}));
        QVERIFY2(put.ok(), put.ok() ? "" : qPrintable(put.error().toString()));
        QCOMPARE(copy.read(file), expected);
        SD_COMPARE_JSON(put->value, value);
        QCOMPARE(put->revision, contentRevision(compactJson(value)));

        auto got = await(p->get(key));
        QVERIFY(got.ok());
        SD_COMPARE_JSON(got->value, value);
        QCOMPARE(got->revision, put->revision);
        if (file != QLatin1String("azure-events.yaml"))
            QCOMPARE(copy.read(QStringLiteral("azure-events.yaml")), otherBefore);

        // Putting the same value again changes nothing, not even the file.
        auto again = await(p->put(entry(key, value), Precondition::atRevision(put->revision)));
        QVERIFY(again.ok());
        QCOMPARE(copy.read(file), expected);
    }

    void testPutCreatesFile_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("state") << "kof.mothership_installed" << "kof-state.yaml"
                               << QByteArray("mothership_installed: true\n");
        QTest::newRow("nested") << "kof.regional.status" << "kof-state.yaml"
                                << QByteArray("regional:\n  status: true\n");
        QTest::newRow("events history") << "kof-events.last_updated" << "kof-events.yaml"
                                        << QByteArray("last_updated: true\n");
    }
    void testPutCreatesFile()
    {
        QFETCH(QString, key);
        QFETCH(QString, file);
        QFETCH(QByteArray, bytes);
        test::YamlStateCopy copy;
        auto p = open(copy);
        auto put = await(p->put(entry(key, Json(true)), Precondition::mustNotExist()));
        QVERIFY2(put.ok(), put.ok() ? "" : qPrintable(put.error().toString()));
        QCOMPARE(copy.read(file), bytes);
        QCOMPARE(put->labels.value(QStringLiteral("file")), file);
        // No backup for a file that did not exist.
        QVERIFY(backupsOf(copy.backupDir(), file.chopped(5)).isEmpty());
    }

    void testRemove_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QByteArray>("from");
        QTest::addColumn<QByteArray>("to");
        QTest::newRow("top-level key") << "deployment.azure_ssh_key_status"
                                       << QByteArray("azure_ssh_key_status: \"not_created\"\n") << QByteArray();
        QTest::newRow("nested key") << "deployment.phases.setup_vpn.updated_at"
                                    << QByteArray("  setup_vpn:\n    status: \"pending\"\n    updated_at: \"2026-11-22T13:08:43Z\"\n")
                                    << QByteArray("  setup_vpn:\n    status: \"pending\"\n");
        QTest::newRow("whole section") << "deployment.deployment_flags"
                                       << QByteArray("deployment_flags:\n  azure_children: false\n  kof: false\n")
                                       << QByteArray();
    }
    void testRemove()
    {
        QFETCH(QString, key);
        QFETCH(QByteArray, from);
        QFETCH(QByteArray, to);
        test::YamlStateCopy copy;
        auto p = open(copy);
        const QByteArray original = copy.read(kState);
        QByteArray expected = original;
        expected.replace(original.indexOf(from), from.size(), to);
        auto rev = await(p->get(key));
        QVERIFY(rev.ok());
        QVERIFY(await(p->remove(key, Precondition::atRevision(rev->revision))).ok());
        QCOMPARE(copy.read(kState), expected);
        QCOMPARE(await(p->get(key)).error().kind, ErrorKind::NotFound);
        QCOMPARE(await(p->remove(key, {})).error().kind, ErrorKind::NotFound);
        QCOMPARE(await(p->remove(QStringLiteral("deployment"), {})).error().kind, ErrorKind::Unsupported);
    }

    void testCompareAndSwap()
    {
        test::YamlStateCopy copy;
        auto p = open(copy);
        const QString phase = QStringLiteral("deployment.phase");
        const QString status = QStringLiteral("deployment.status");
        auto first = await(p->get(phase));
        auto statusRev = await(p->get(status))->revision;
        QVERIFY(first.ok());

        auto ok = await(p->put(entry(phase, Json("network")), Precondition::atRevision(first->revision)));
        QVERIFY(ok.ok());
        QVERIFY(ok->revision != first->revision);

        // A writer still holding the old revision loses, and is told both.
        const QByteArray before = copy.read(kState);
        auto stale = await(p->put(entry(phase, Json("vms")), Precondition::atRevision(first->revision)));
        QVERIFY(!stale.ok());
        QCOMPARE(stale.error().kind, ErrorKind::Conflict);
        QVERIFY(stale.error().message.contains(first->revision));
        QVERIFY(stale.error().message.contains(ok->revision));
        QCOMPARE(stale.error().where, phase);
        QCOMPARE(copy.read(kState), before);

        // Another key of the same file did not change: its revision still holds.
        QVERIFY(await(p->put(entry(status, Json("done")), Precondition::atRevision(statusRev))).ok());

        auto exists = await(p->put(entry(phase, Json("x")), Precondition::mustNotExist()));
        QCOMPARE(exists.error().kind, ErrorKind::AlreadyExists);
        QVERIFY(await(p->put(entry(QStringLiteral("deployment.brand_new"), Json("x")), Precondition::mustNotExist()))
                    .ok());
        auto gone = await(p->put(entry(QStringLiteral("deployment.never"), Json("x")), Precondition::atRevision("abc")));
        QCOMPARE(gone.error().kind, ErrorKind::Conflict);

        QCOMPARE(await(p->remove(phase, Precondition::atRevision(first->revision))).error().kind,
                 ErrorKind::Conflict);
        QVERIFY(await(p->remove(phase, Precondition::atRevision(ok->revision))).ok());
    }

    // Two providers (two writers) changing different keys of one file at
    // once: every write lands, because each one re-reads under the lock.
    void testConcurrentWritersLoseNothing()
    {
        test::YamlStateCopy copy;
        auto a = open(copy, 0);
        auto b = open(copy, 0);
        QList<QFuture<Result<Entry>>> futures;
        for (int i = 0; i < 15; ++i) {
            futures << a->put(entry(QStringLiteral("deployment.a_%1").arg(i), Json(i)), {});
            futures << b->put(entry(QStringLiteral("deployment.b_%1").arg(i), Json(i)), {});
        }
        for (auto &f : futures)
            QVERIFY(await(f).ok());
        ListOptions o;
        o.prefix = QStringLiteral("deployment.");
        auto page = await(a->list(o));
        QVERIFY(page.ok());
        QCOMPARE(page->entries.size(), 21 + 30);
    }

    void testBackups()
    {
        test::YamlStateCopy copy;
        auto p = open(copy, 3);
        QByteArray previous;
        for (int i = 0; i < 6; ++i) {
            previous = copy.read(kState);
            QVERIFY(await(p->put(entry(QStringLiteral("deployment.phase"), Json(QStringLiteral("p%1").arg(i).toStdString())), {}))
                        .ok());
        }
        QVERIFY(await(p->put(entry(QStringLiteral("azure.last_updated"), Json("now")), {})).ok());
        const QStringList mine = backupsOf(copy.backupDir(), QStringLiteral("deployment-state"));
        QCOMPARE(mine.size(), 3);
        const QRegularExpression name(
            QStringLiteral("^deployment-state_\\d{4}-\\d{2}-\\d{2}_\\d{2}-\\d{2}-\\d{2}_put-phase(-\\d+)?\\.yaml$"));
        for (const QString &f : mine)
            QVERIFY2(name.match(f).hasMatch(), qPrintable(f));
        // The newest backup is the file as it was before the last write.
        bool found = false;
        for (const QString &f : mine)
            found = found || readWholeFile(copy.backupDir() + QLatin1Char('/') + f).value() == previous;
        QVERIFY(found);
        QCOMPARE(backupsOf(copy.backupDir(), QStringLiteral("azure-state")).size(), 1);
        QVERIFY(backupsOf(copy.backupDir(), QStringLiteral("azure-state")).first().endsWith("_put-last_updated.yaml"));

        // A removal is backed up too.
        QVERIFY(await(p->remove(QStringLiteral("azure.last_updated"), {})).ok());
        QCOMPARE(backupsOf(copy.backupDir(), QStringLiteral("azure-state")).size(), 2);

        // Off.
        test::YamlStateCopy quiet;
        auto none = open(quiet, 0);
        QVERIFY(await(none->put(entry(QStringLiteral("deployment.phase"), Json("x")), {})).ok());
        QVERIFY(!QFileInfo::exists(quiet.backupDir()));
    }

    // A batch rewrites each file once: one backup per file, comments and
    // quoting kept, items answered as puts made one after another.
    void testBatchRewritesEachFileOnce()
    {
        test::YamlStateCopy copy;
        auto p = open(copy);
        const QByteArray azureBefore = copy.read(QStringLiteral("azure-state.yaml"));
        auto id = await(p->get(QStringLiteral("azure.azure_client_id")));
        QVERIFY(id.ok());
        const QList<BatchItem> items{
            {entry(QStringLiteral("azure.last_updated"), Json("2026-11-23T00:00:00Z")), {}},
            {entry(QStringLiteral("azure.azure_client_id"), Json("changed")), Precondition::atRevision(id->revision)},
            // Stale now: the item before changed it.
            {entry(QStringLiteral("azure.azure_client_id"), Json("lost")), Precondition::atRevision(id->revision)},
            {entry(QStringLiteral("azure.region"), Json("westeurope")), Precondition::mustNotExist()},
            {entry(QStringLiteral("deployment.phase"), Json("batched")), {}},
        };
        const BatchResult batch = await(p->putBatch(items));
        QCOMPARE(batch.results.size(), items.size());
        QCOMPARE(batch.failed(), 1);
        QCOMPARE(batch.results[2].error().kind, ErrorKind::Conflict);
        QCOMPARE(batch.results[2].error().where, QStringLiteral("azure.azure_client_id"));
        for (int i : {0, 1, 3, 4})
            QVERIFY2(batch.results[i].ok(), qPrintable(batch.results[i].error().toString()));

        QCOMPARE(backupsOf(copy.backupDir(), QStringLiteral("azure-state")).size(), 1);
        QVERIFY(backupsOf(copy.backupDir(), QStringLiteral("azure-state")).first().endsWith("_batch-3-keys.yaml"));
        QCOMPARE(backupsOf(copy.backupDir(), QStringLiteral("deployment-state")).size(), 1);
        const QByteArray azure = copy.read(QStringLiteral("azure-state.yaml"));
        QVERIFY(azure.startsWith(azureBefore.left(azureBefore.indexOf('\n') + 1))); // the comment line
        QVERIFY(azure.contains("last_updated: \"2026-11-23T00:00:00Z\""));
        QVERIFY(azure.contains("azure_client_id: \"changed\""));
        QVERIFY(azure.contains("azure_credentials_configured: true"));
        for (int i : {0, 1, 3, 4}) {
            auto got = await(p->get(items[i].entry.key));
            QVERIFY(got.ok());
            QCOMPARE(got->revision, batch.results[i]->revision);
            SD_COMPARE_JSON(got->value, items[i].entry.value);
        }
    }

    // A batch parses each file a fixed number of times however many keys
    // it holds (it was twice per key: 1000 keys into one file took minutes
    // under the sanitizers), and answers and writes exactly what the same
    // puts made one after another do. (200 keys, not more: the puts one by
    // one that the batch is compared with are quadratic, which is the point.) Columns: the batch's keys, values
    // (JSON) and preconditions ("" or "absent"), a file to add first
    // (odd-state.yaml), and how many YAML parses the batch may make.
    void testBatchParsesEachFileOnce_data()
    {
        QTest::addColumn<QStringList>("keys");
        QTest::addColumn<QStringList>("values");
        QTest::addColumn<QStringList>("preconditions");
        QTest::addColumn<QByteArray>("oddFile");
        QTest::addColumn<int>("parses");

        auto many = [](const QString &prefix, int n, QStringList *keys, QStringList *values) {
            for (int i = 0; i < n; ++i) {
                *keys << prefix + QStringLiteral("%1").arg(i, 4, 10, QLatin1Char('0'));
                *values << QStringLiteral(R"({"i": %1, "name": "entry %1"})").arg(i);
            }
        };
        QStringList keys, values;
        // One open and one proof, whatever the count.
        QTest::newRow("one key") << QStringList{QStringLiteral("deployment.phase")}
                                 << QStringList{QStringLiteral(R"("batched")")} << QStringList{QString()}
                                 << QByteArray() << 2;
        many(QStringLiteral("deployment.batch.k"), 200, &keys, &values);
        QTest::newRow("200 new keys in a new map") << keys << values << QStringList(keys.size(), QString())
                                                    << QByteArray() << 2;
        keys.clear();
        values.clear();
        many(QStringLiteral("deployment.vm_states.w"), 200, &keys, &values);
        QTest::newRow("200 keys into a flow {}") << keys << values << QStringList(keys.size(), QString())
                                                  << QByteArray() << 2;
        keys.clear();
        values.clear();
        for (int i = 0; i < 100; ++i) {
            keys << QStringLiteral("deployment.config.worker_count") + QString::number(i)
                 << QStringLiteral("azure.added%1").arg(i);
            values << QString::number(i) << QStringLiteral(R"("v%1")").arg(i);
        }
        QTest::newRow("200 keys in two files") << keys << values << QStringList(keys.size(), QString())
                                               << QByteArray() << 4;
        // The same key again, or a key inside a map set before: the text of
        // the first run is opened again for the second.
        QTest::newRow("a key written twice")
            << QStringList{QStringLiteral("deployment.phase"), QStringLiteral("deployment.status"),
                           QStringLiteral("deployment.phase")}
            << QStringList{QStringLiteral(R"("one")"), QStringLiteral(R"("two")"), QStringLiteral(R"("three")")}
            << QStringList(3, QString()) << QByteArray() << 4;
        QTest::newRow("a map, then a key in it")
            << QStringList{QStringLiteral("deployment.deployment_flags"),
                           QStringLiteral("deployment.deployment_flags.kof"), QStringLiteral("deployment.phase")}
            << QStringList{QStringLiteral(R"({"kof": true, "extra": "x"})"), QStringLiteral("false"),
                           QStringLiteral(R"("p")")}
            << QStringList(3, QString()) << QByteArray() << 4;
        // Items refused before the text is touched cost nothing more.
        QTest::newRow("refused items fail alone")
            << QStringList{QStringLiteral("deployment.phase"), QStringLiteral("deployment.status.inner"),
                           QStringLiteral("deployment.fresh"), QStringLiteral("deployment.deployer")}
            << QStringList{QStringLiteral(R"("x")"), QStringLiteral("1"), QStringLiteral("2"),
                           QStringLiteral(R"("done")")}
            << QStringList{QStringLiteral("absent"), QString(), QStringLiteral("absent"), QString()}
            << QByteArray() << 2;
        // An anchored flow map the editor cannot change (its alias would
        // change too): the run is halved until that item fails alone.
        // open, proof of all three (fails), [other] proof, reopen,
        // [base.y, new] proof (fails), [base.y] proof (fails), [new] proof.
        QTest::newRow("an item the layout cannot take")
            << QStringList{QStringLiteral("odd.other"), QStringLiteral("odd.base.y"), QStringLiteral("odd.new")}
            << QStringList{QStringLiteral("2"), QStringLiteral("2"), QStringLiteral("3")}
            << QStringList(3, QString()) << QByteArray("# odd\nbase: &b {x: 1}\ncopy: *b\nother: 1\n") << 7;
    }

    void testBatchParsesEachFileOnce()
    {
        QFETCH(QStringList, keys);
        QFETCH(QStringList, values);
        QFETCH(QStringList, preconditions);
        QFETCH(QByteArray, oddFile);
        QFETCH(int, parses);
        QList<BatchItem> items;
        for (qsizetype i = 0; i < keys.size(); ++i)
            items << BatchItem{entry(keys[i], Json::parse(values[i].toStdString())),
                               preconditions[i] == QLatin1String("absent") ? Precondition::mustNotExist()
                                                                           : Precondition{}};

        test::YamlStateCopy batched;
        test::YamlStateCopy oneByOne;
        if (!oddFile.isEmpty()) {
            QVERIFY(writeFileAtomically(batched.path(QStringLiteral("odd-state.yaml")), oddFile).ok());
            QVERIFY(writeFileAtomically(oneByOne.path(QStringLiteral("odd-state.yaml")), oddFile).ok());
        }
        auto p = open(batched);
        const quint64 parsesBefore = YamlDocumentEditor::parseCount();
        const BatchResult batch = await(p->putBatch(items), 120000);
        QCOMPARE(int(YamlDocumentEditor::parseCount() - parsesBefore), parses);
        QCOMPARE(batch.results.size(), items.size());

        auto q = open(oneByOne);
        for (qsizetype i = 0; i < items.size(); ++i) {
            auto put = await(q->put(items[i].entry, items[i].precondition));
            const Result<Entry> &got = batch.results[i];
            QVERIFY2(put.ok() == got.ok(), qPrintable(keys[i] + QStringLiteral(": ") +
                                                      (put.ok() ? got.error().toString() : put.error().toString())));
            if (put.ok()) {
                QCOMPARE(got->revision, put->revision);
                SD_COMPARE_JSON(got->value, put->value);
            } else {
                QCOMPARE(got.error().kind, put.error().kind);
                QCOMPARE(got.error().message, put.error().message);
            }
        }
        for (const QString &f : QDir(oneByOne.dir).entryList(QDir::Files, QDir::Name))
            QCOMPARE(batched.read(f), oneByOne.read(f));
    }

    void testMalformedFile()
    {
        test::YamlStateCopy copy;
        const QByteArray broken("# half-written by hand\nphase: \"network\"\nconfig: [1, 2\nstatus: \"x\"\n");
        QVERIFY(writeFileAtomically(copy.path(QStringLiteral("broken-state.yaml")), broken).ok());
        auto p = open(copy);
        const QString where = copy.path(QStringLiteral("broken-state.yaml")) + QStringLiteral(":4:7");

        auto got = await(p->get(QStringLiteral("broken.phase")));
        QCOMPARE(got.error().kind, ErrorKind::Invalid);
        QCOMPARE(got.error().where, where);

        auto put = await(p->put(entry(QStringLiteral("broken.phase"), Json("vms")), {}));
        QCOMPARE(put.error().kind, ErrorKind::Invalid);
        QCOMPARE(put.error().where, where);
        QCOMPARE(await(p->remove(QStringLiteral("broken.phase"), {})).error().kind, ErrorKind::Invalid);
        QCOMPARE(copy.read(QStringLiteral("broken-state.yaml")), broken);
        QVERIFY(backupsOf(copy.backupDir(), QStringLiteral("broken-state")).isEmpty());

        ListOptions all;
        auto list = await(p->list(all));
        QCOMPARE(list.error().kind, ErrorKind::Invalid);
        QCOMPARE(list.error().where, where);
        ListOptions azure;
        azure.prefix = QStringLiteral("azure");
        QVERIFY(await(p->list(azure)).ok());
    }

    void testWatch_data()
    {
        QTest::addColumn<QString>("change");
        QTest::newRow("plain write") << "plain";
        QTest::newRow("atomic rename") << "atomic";
        QTest::newRow("key deleted") << "delete-key";
        QTest::newRow("file deleted") << "delete-file";
        QTest::newRow("file created") << "create-file";
        QTest::newRow("through the provider") << "provider";
    }
    void testWatch()
    {
        QFETCH(QString, change);
        test::YamlStateCopy copy;
        auto p = open(copy);
        auto w = p->watch(QStringLiteral("deployment"), QString());
        EventLog log;
        log.attach(w.get());
        // Any call made after watch() runs after its first scan.
        QVERIFY(await(p->get(QStringLiteral("deployment.phase"))).ok());

        const QString file = copy.path(kState);
        QByteArray bytes = copy.read(kState);
        if (change == QLatin1String("plain")) {
            bytes.replace("phase: \"preparation\"", "phase: \"network\"");
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            QCOMPARE(f.write(bytes), bytes.size());
            f.close();
        } else if (change == QLatin1String("atomic") || change == QLatin1String("provider")) {
            bytes.replace("phase: \"preparation\"", "phase: \"network\"");
            if (change == QLatin1String("atomic"))
                QVERIFY(writeFileAtomically(file, bytes).ok());
            else
                QVERIFY(await(p->put(entry(QStringLiteral("deployment.phase"), Json("network")), {})).ok());
        } else if (change == QLatin1String("delete-key")) {
            bytes.replace("phase: \"preparation\"\n", "");
            QVERIFY(writeFileAtomically(file, bytes).ok());
        } else if (change == QLatin1String("delete-file")) {
            QVERIFY(QFile::remove(copy.path(QStringLiteral("deployment-events.yaml"))));
        } else if (change == QLatin1String("create-file")) {
            QVERIFY(writeFileAtomically(copy.path(QStringLiteral("deployment-extra.yaml")), "note: \"hi\"\n").ok());
        }

        if (change == QLatin1String("delete-key")) {
            QTRY_VERIFY_WITH_TIMEOUT(log.has(Event::Type::Deleted, QStringLiteral("deployment.phase")), 10000);
            QCOMPARE(log.events.size(), 1);
        } else if (change == QLatin1String("delete-file")) {
            QTRY_VERIFY_WITH_TIMEOUT(log.events.size() == 4, 10000);
            QVERIFY(log.has(Event::Type::Deleted, QStringLiteral("deployment-events.events")));
            QCOMPARE(log.find(Event::Type::Deleted, QStringLiteral("deployment-events.events"))
                         ->entry.labels.value(QStringLiteral("kind")),
                     QStringLiteral("events"));
        } else if (change == QLatin1String("create-file")) {
            QTRY_VERIFY_WITH_TIMEOUT(log.has(Event::Type::Added, QStringLiteral("deployment-extra.note")), 10000);
            SD_COMPARE_JSON(log.find(Event::Type::Added, QStringLiteral("deployment-extra.note"))->entry.value,
                            Json("hi"));
        } else {
            QTRY_VERIFY_WITH_TIMEOUT(log.has(Event::Type::Modified, QStringLiteral("deployment.phase")), 10000);
            const Event *e = log.find(Event::Type::Modified, QStringLiteral("deployment.phase"));
            SD_COMPARE_JSON(e->entry.value, Json("network"));
            QCOMPARE(e->entry.revision, contentRevision(compactJson(Json("network"))));
            // Only the changed key is reported: other keys of the file did not change.
            QCOMPARE(log.events.size(), 1);
        }
    }

    void testWatchResync()
    {
        test::YamlStateCopy copy;
        auto p = open(copy);
        auto w = p->watch(QStringLiteral("azure."), QStringLiteral("some-old-revision"));
        EventLog log;
        log.attach(w.get());
        QTRY_VERIFY_WITH_TIMEOUT(!log.events.isEmpty() && log.events.last().type == Event::Type::ResyncDone, 10000);
        QCOMPARE(log.events.size(), 1 + 5 + 1);
        QCOMPARE(log.events.first().type, Event::Type::Resync);
        for (int i = 1; i <= 5; ++i) {
            QCOMPARE(log.events[i].type, Event::Type::Added);
            QVERIFY(log.events[i].entry.key.startsWith(QLatin1String("azure.")));
            QVERIFY(!log.events[i].entry.value.is_null());
        }
        // Then live events.
        log.events.clear();
        QVERIFY(await(p->put(entry(QStringLiteral("azure.last_updated"), Json("2026-11-22T14:00:00Z")), {})).ok());
        QTRY_VERIFY_WITH_TIMEOUT(log.has(Event::Type::Modified, QStringLiteral("azure.last_updated")), 10000);
        QCOMPARE(log.events.size(), 1);
    }

    // The watch may be destroyed from its own event handler, and the
    // provider may go before its watch.
    void testWatchLifetimes()
    {
        test::YamlStateCopy copy;
        auto p = open(copy);
        std::unique_ptr<Watch> w = p->watch(QString(), QStringLiteral("x"));
        bool got = false;
        QObject::connect(w.get(), &Watch::event, w.get(), [&](const Event &) {
            got = true;
            w.reset();
        });
        QTRY_VERIFY_WITH_TIMEOUT(got, 10000);
        QVERIFY(!w);

        auto w2 = p->watch(QString(), QString());
        QVERIFY(await(p->get(QStringLiteral("deployment.phase"))).ok());
        p.reset();
        QVERIFY(writeFileAtomically(copy.path(kState), "phase: \"gone\"\n").ok());
        QSignalSpy spy(w2.get(), &Watch::event);
        QVERIFY(spy.wait(10000));
    }

    void testLocks()
    {
        test::YamlStateCopy copy;
        auto a = open(copy);
        auto b = open(copy);
        auto l1 = await(a->lock(QStringLiteral("deploy"), std::chrono::seconds(30)));
        QVERIFY(l1.ok());
        QCOMPARE(l1->fencingToken, quint64(1));
        QVERIFY(QFileInfo::exists(copy.dir + QStringLiteral("/.statedeck-locks/deploy.json")));
        auto busy = await(b->lock(QStringLiteral("deploy"), std::chrono::seconds(30)));
        QCOMPARE(busy.error().kind, ErrorKind::Busy);
        QVERIFY(busy.error().message.contains(l1->owner));
        QVERIFY(await(a->unlock(l1.value())).ok());
        auto l2 = await(b->lock(QStringLiteral("deploy"), std::chrono::seconds(30)));
        QVERIFY(l2.ok());
        QCOMPARE(l2->fencingToken, quint64(2));
        // The first holder's lock is gone: unlocking with it is a Conflict.
        QCOMPARE(await(a->unlock(l1.value())).error().kind, ErrorKind::Conflict);
        QVERIFY(await(b->unlock(l2.value())).ok());
        // The lock directory is hidden: it holds no keys.
        ListOptions o;
        QCOMPARE(await(a->list(o))->entries.size(), 36);
        QCOMPARE(await(a->lock(QStringLiteral("a/b"), std::chrono::seconds(1))).error().kind, ErrorKind::Invalid);
    }

    void testBackend_data()
    {
        QTest::addColumn<QVariantMap>("options");
        QTest::addColumn<int>("kind"); // -1: opens
        QTest::newRow("path") << QVariantMap{{"path", "/tmp/x"}} << -1;
        QTest::newRow("path and backups") << QVariantMap{{"path", "/tmp/x"}, {"backups", 3}} << -1;
        QTest::newRow("no path") << QVariantMap{{"backups", 3}} << int(ErrorKind::Invalid);
        QTest::newRow("bad backups") << QVariantMap{{"path", "/tmp/x"}, {"backups", "many"}} << int(ErrorKind::Invalid);
    }
    void testBackend()
    {
        QFETCH(QVariantMap, options);
        QFETCH(int, kind);
        StoreSpec spec;
        spec.backend = QStringLiteral("yaml");
        spec.options = options;
        spec.origin = QStringLiteral("connections.yaml:3");
        auto p = openProvider(spec);
        if (kind < 0) {
            QVERIFY(p.ok());
            QCOMPARE(p.value()->scheme(), QStringLiteral("yaml"));
            QVERIFY(p.value()->describe().contains(QLatin1String("/tmp/x")));
            const Capabilities caps = p.value()->capabilities();
            QVERIFY(caps.fileBacked && caps.compareAndSwap && caps.locks && !caps.watchHistory);
            QCOMPARE(caps.watch, WatchKind::File);
        } else {
            QVERIFY(!p.ok());
            QCOMPARE(int(p.error().kind), kind);
            QCOMPARE(p.error().where, spec.origin);
        }
        QVERIFY(builtBackends().contains(QStringLiteral("yaml")));
    }

    void testMissingDirectory()
    {
        YamlOptions o;
        o.directory = QStringLiteral("/nonexistent/statedeck/state");
        YamlProvider p(o);
        auto list = await(p.list(ListOptions{}));
        QCOMPARE(list.error().kind, ErrorKind::Unavailable);
        QCOMPARE(list.error().where, o.directory);
        QCOMPARE(await(p.get(QStringLiteral("deployment.phase"))).error().kind, ErrorKind::Unavailable);
    }
};

QTEST_GUILESS_MAIN(TestYamlProvider)
#include "tst_yaml_provider.moc"
