// Snapshots on their own: export and import between SQLite stores, plain,
// gzip and encrypted; every way a snapshot file can be damaged, refused
// with the line where it went wrong and nothing imported; dry runs and the
// conflict policies; no file left behind by a failed or cancelled export.
#include "TestSupport.h"
#include "TransferTestSupport.h"
#include "transfer/Exporter.h"
#include "transfer/Importer.h"
#include "snapshot/SnapshotCipher.h"
#include "snapshot/SnapshotFormat.h"
#include "transfer/SnapshotReader.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace sd;
using namespace sd::test;

namespace {

constexpr int kTestIterations = 1000; // PBKDF2 rounds: fast tests; the default is checked once

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        f.write(bytes);
}

QStringList lines(const QByteArray &bytes)
{
    QStringList out;
    for (const QByteArray &l : bytes.split('\n'))
        out << QString::fromUtf8(l);
    if (!out.isEmpty() && out.last().isEmpty())
        out.removeLast();
    return out;
}

} // namespace

class TestTransferSnapshot : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    TransferStores m_stores;
    std::unique_ptr<Provider> m_source;
    QList<Entry> m_data;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    Result<SnapshotSummary> exportTo(Provider *p, const QString &file, const QByteArray &passphrase = {},
                                     const QString &prefix = {})
    {
        ExportOptions o;
        o.path = file;
        o.passphrase = passphrase;
        o.iterations = kTestIterations;
        o.prefix = prefix;
        Exporter exporter(p, o);
        return await(exporter.run(), 120000);
    }

    Result<ImportReport> importFrom(Provider *p, const QString &file, ImportOptions o = {})
    {
        o.path = file;
        o.backupDirectory = path(QStringLiteral("backups"));
        Importer importer(p, o);
        return await(importer.run(), 120000);
    }

    // A snapshot of m_source (300 entries and the special ones).
    QString goodSnapshot(const QString &name, const QByteArray &passphrase = {})
    {
        const QString file = path(name);
        QFile::remove(file);
        auto r = exportTo(m_source.get(), file, passphrase);
        if (!r.ok())
            qWarning("export: %s", qPrintable(r.error().toString()));
        return file;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_source = m_stores.open(m_stores.fresh(QStringLiteral("sqlite")));
        m_data = inStoreForm(transferDataset(300, true), m_source->capabilities());
        // A JSON value with its own formatting: it must come back byte for byte.
        Entry pretty = entryFromBytes(QStringLiteral("fmt/pretty"), QByteArray("{\n    \"b\": 1,\n    \"a\": [1, 2]\n}\n"));
        m_data << pretty;
        QVERIFY(fillStore(m_source.get(), m_data));
    }

    void testRoundTrip_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("passphrase");
        QTest::newRow("plain") << "rt.jsonl" << QByteArray();
        QTest::newRow("gzip") << "rt.jsonl.gz" << QByteArray();
        QTest::newRow("encrypted") << "rt-enc.jsonl" << QByteArray("correct horse battery staple");
        QTest::newRow("encrypted gzip") << "rt-enc.jsonl.gz" << QByteArray("p\xc3\xa4ssphrase");
    }
    void testRoundTrip()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, passphrase);
        auto exported = exportTo(m_source.get(), path(file), passphrase);
        QVERIFY2(exported.ok(), qPrintable(exported.error().toString()));
        QCOMPARE(exported->entries, qint64(m_data.size()));
        QCOMPARE(exported->encrypted, !passphrase.isEmpty());
        const QByteArray bytes = readFile(path(file));
        QCOMPARE(bytes.startsWith("\x1f\x8b"), file.endsWith(QLatin1String(".gz")));
        if (!passphrase.isEmpty() && !file.endsWith(QLatin1String(".gz")))
            QVERIFY(!bytes.contains("entry-42")); // values are sealed

        auto target = m_stores.open(m_stores.fresh(QStringLiteral("sqlite")));
        ImportOptions o;
        o.passphrase = passphrase;
        auto imported = importFrom(target.get(), path(file), o);
        QVERIFY2(imported.ok(), qPrintable(imported.error().toString()));
        QCOMPARE(imported->transfer.created, qint64(m_data.size()));
        QCOMPARE(imported->snapshot.sha256, exported->sha256);

        const QMap<QString, Entry> got = readStore(target.get());
        QCOMPARE(got.size(), m_data.size());
        for (const Entry &e : std::as_const(m_data)) {
            QVERIFY2(got.contains(e.key), qPrintable(e.key));
            const Entry &g = got[e.key];
            QCOMPARE(int(g.encoding), int(e.encoding));
            // The bytes an application reads are the bytes exported.
            QCOMPARE(encodeValue(g), encodeValue(e));
        }
    }

    void testGzipIsPlainGzip()
    {
        const QString file = goodSnapshot(QStringLiteral("plain-gzip.jsonl.gz"));
        QProcess gz;
        gz.start(QStringLiteral("gzip"), {QStringLiteral("-dc"), file});
        QVERIFY(gz.waitForFinished(30000));
        QCOMPARE(gz.exitCode(), 0);
        const QStringList text = lines(gz.readAllStandardOutput());
        QCOMPARE(text.size(), m_data.size() + 2);
        const Json manifest = Json::parse(text.first().toStdString());
        QCOMPARE(manifest["format"].get<std::string>(), std::string("statedeck-snapshot"));
        QCOMPARE(manifest["version"].get<int>(), 1);
        QCOMPARE(manifest["entries"].get<qint64>(), qint64(m_data.size()));
        QCOMPARE(manifest["keys"]["separator"].get<std::string>(), std::string("/"));
        QVERIFY(manifest["source"]["store"].get<std::string>().find("s1.db") != std::string::npos);
        const Json trailer = Json::parse(text.last().toStdString());
        QCOMPARE(trailer["entries"].get<qint64>(), qint64(m_data.size()));
        QCOMPARE(trailer["sha256"].get<std::string>().size(), size_t(64));
    }

    void testDefaultIterationsAndWrongPassphrase()
    {
        const QString file = path(QStringLiteral("default-kdf.jsonl"));
        ExportOptions o;
        o.path = file;
        o.passphrase = "right";
        Exporter exporter(m_source.get(), o);
        auto done = await(exporter.run(), 120000);
        QVERIFY2(done.ok(), qPrintable(done.error().toString()));
        QCOMPARE(done->manifest.encryption->iterations, SnapshotCipher::kDefaultIterations);
        auto target = m_stores.open(m_stores.fresh(QStringLiteral("sqlite")));
        ImportOptions io;
        io.passphrase = "wrong";
        auto imported = importFrom(target.get(), file, io);
        QVERIFY(!imported.ok());
        QCOMPARE(imported.error().kind, ErrorKind::Unauthorized);
        QCOMPARE(imported.error().where, file + QStringLiteral(":1"));
        QVERIFY(imported.error().message.contains(QStringLiteral("wrong passphrase")));
        QVERIFY(readStore(target.get()).isEmpty());
        // No passphrase at all for an encrypted snapshot.
        imported = importFrom(target.get(), file);
        QVERIFY(!imported.ok());
        QVERIFY(imported.error().message.contains(QStringLiteral("encrypted")));
    }

    // Every way a file can be damaged: refused, the line named, nothing
    // imported.
    void testLabelsAndAnnotationsTravel_data()
    {
        QTest::addColumn<QVariantMap>("labels");
        QTest::addColumn<QVariantMap>("annotations");
        QTest::newRow("none") << QVariantMap() << QVariantMap();
        QTest::newRow("labels") << QVariantMap{{"app", "remediation-loop"}, {"task-id", "7"}} << QVariantMap();
        QTest::newRow("annotations") << QVariantMap()
                                     << QVariantMap{{"remediation.5dlabs.com/version", "v1"}};
        QTest::newRow("both, unicode") << QVariantMap{{"team", "\u00e9quipe"}}
                                       << QVariantMap{{"note", "\u2713 ok"}, {"empty", ""}};
    }
    void testLabelsAndAnnotationsTravel()
    {
        QFETCH(QVariantMap, labels);
        QFETCH(QVariantMap, annotations);
        Entry e = entryFromBytes(QStringLiteral("task-7-state"), QByteArray("{\"a\":1}"));
        for (auto it = labels.cbegin(); it != labels.cend(); ++it)
            e.labels.insert(it.key(), it.value().toString());
        for (auto it = annotations.cbegin(); it != annotations.cend(); ++it)
            e.annotations.insert(it.key(), it.value().toString());
        auto line = entryLine(e, nullptr);
        QVERIFY2(line.ok(), qPrintable(line.error().toString()));
        QCOMPARE(line->contains("\"annotations\""), !annotations.isEmpty());
        auto back = parseRecord(line->trimmed(), nullptr, QStringLiteral("snap:2"));
        QVERIFY2(back.ok(), qPrintable(back.error().toString()));
        QVERIFY(back->entry.has_value());
        QCOMPARE(back->entry->labels, e.labels);
        QCOMPARE(back->entry->annotations, e.annotations);
    }
    void testBadAnnotationsNamed_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("message");
        QTest::newRow("not an object")
            << QByteArray(R"({"key":"k","encoding":"json","value":1,"annotations":[1]})") << "\"annotations\" of key \"k\"";
        QTest::newRow("not a string")
            << QByteArray(R"({"key":"k","encoding":"json","value":1,"annotations":{"a":2}})") << "\"a\" must be a string";
        QTest::newRow("label not a string")
            << QByteArray(R"({"key":"k","encoding":"json","value":1,"labels":{"b":null}})") << "\"b\" must be a string";
    }
    void testBadAnnotationsNamed()
    {
        QFETCH(QByteArray, line);
        QFETCH(QString, message);
        auto r = parseRecord(line, nullptr, QStringLiteral("snap.jsonl:3"));
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.contains(message), qPrintable(r.error().toString()));
        QCOMPARE(r.error().where, QStringLiteral("snap.jsonl:3"));
    }

    void testCorrupt_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<bool>("gzip");
        QTest::addColumn<bool>("encrypted");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("line");    // "last": the trailer's line; "last+1": one past it
        QTest::addColumn<QString>("message"); // part of the error message
        const int invalid = int(ErrorKind::Invalid);
        QTest::newRow("truncated mid-line") << "cut-mid-line-5" << false << false << invalid << "5" << "cut short";
        QTest::newRow("truncated before trailer") << "drop-trailer" << false << false << invalid << "last" << "truncated";
        QTest::newRow("truncated gzip") << "cut-bytes" << true << false << invalid << "any" << "ends early";
        QTest::newRow("flipped byte in a value") << "flip-value-7" << false << false << invalid << "last" << "checksum mismatch";
        QTest::newRow("flipped byte in JSON") << "flip-brace-9" << false << false << invalid << "9" << "not valid JSON";
        QTest::newRow("flipped byte in gzip data") << "flip-gzip" << true << false << invalid << "any" << "corrupt";
        QTest::newRow("wrong version") << "version-2" << false << false << int(ErrorKind::Unsupported) << "1" << "version 2 is not supported";
        QTest::newRow("tampered checksum") << "tamper-sha" << false << false << invalid << "last" << "checksum mismatch";
        QTest::newRow("tampered count") << "tamper-count" << false << false << invalid << "last" << "counts";
        QTest::newRow("bad JSON line inserted") << "insert-garbage-4" << false << false << invalid << "4" << "not valid JSON";
        QTest::newRow("line deleted") << "delete-line-6" << false << false << invalid << "last" << "counts";
        QTest::newRow("data after trailer") << "append-line" << false << false << invalid << "last+1" << "after the trailer";
        QTest::newRow("not a snapshot") << "replace-manifest" << false << false << invalid << "1" << "not a statedeck snapshot";
        QTest::newRow("empty file") << "empty" << false << false << invalid << "1" << "empty";
        QTest::newRow("sealed value tampered") << "flip-sealed-3" << false << true << invalid << "3" << "does not decrypt";
        QTest::newRow("sealed values swapped") << "swap-sealed-3-4" << false << true << invalid << "3" << "does not decrypt";
        QTest::newRow("wrong passphrase") << "wrong-passphrase" << false << true << int(ErrorKind::Unauthorized) << "1" << "wrong passphrase";
    }
    void testCorrupt()
    {
        QFETCH(QString, damage);
        QFETCH(bool, gzip);
        QFETCH(bool, encrypted);
        QFETCH(int, kind);
        QFETCH(QString, line);
        QFETCH(QString, message);
        const QString name = QStringLiteral("corrupt-%1.jsonl%2").arg(damage, gzip ? QStringLiteral(".gz") : QString());
        const QByteArray passphrase = encrypted ? QByteArray("secret") : QByteArray();
        const QString file = goodSnapshot(name, passphrase);
        QByteArray bytes = readFile(file);
        QVERIFY(!bytes.isEmpty());
        QList<QByteArray> ls = bytes.split('\n');
        ls.removeLast(); // after the final newline
        const int lastLine = int(ls.size());
        auto join = [](const QList<QByteArray> &l) -> QByteArray { return l.join('\n') + '\n'; };
        auto number = [&](int at) { return damage.section(QLatin1Char('-'), at, at).toInt(); };
        QByteArray passphraseUsed = passphrase;
        if (damage.startsWith(QLatin1String("cut-mid-line"))) {
            const int n = number(3);
            qsizetype off = 0;
            for (int i = 0; i < n - 1; ++i)
                off += ls[i].size() + 1;
            bytes = bytes.left(off + ls[n - 1].size() / 2);
        } else if (damage == QLatin1String("drop-trailer")) {
            ls.removeLast();
            bytes = join(ls);
        } else if (damage == QLatin1String("cut-bytes")) {
            bytes.chop(bytes.size() / 3);
        } else if (damage.startsWith(QLatin1String("flip-value"))) {
            QByteArray &l = ls[number(2) - 1];
            const qsizetype at = l.indexOf("entry-");
            QVERIFY(at > 0);
            l[at] = 'E';
            bytes = join(ls);
        } else if (damage.startsWith(QLatin1String("flip-brace"))) {
            ls[number(2) - 1][0] = '[';
            bytes = join(ls);
        } else if (damage == QLatin1String("flip-gzip")) {
            bytes[bytes.size() / 2] = char(bytes[bytes.size() / 2] ^ 0x40);
        } else if (damage == QLatin1String("version-2")) {
            ls[0].replace("\"version\":1", "\"version\":2");
            bytes = join(ls);
        } else if (damage == QLatin1String("tamper-sha")) {
            QByteArray &t = ls.last();
            const qsizetype at = t.indexOf("\"sha256\":\"") + 10;
            t[at] = t[at] == 'a' ? 'b' : 'a';
            bytes = join(ls);
        } else if (damage == QLatin1String("tamper-count")) {
            Json t = Json::parse(ls.last().toStdString());
            t["entries"] = t["entries"].get<qint64>() + 1;
            ls.last() = toBytes(t.dump());
            bytes = join(ls);
        } else if (damage.startsWith(QLatin1String("insert-garbage"))) {
            ls.insert(number(2) - 1, QByteArray("{\"key\": \"x\", oops"));
            bytes = join(ls);
        } else if (damage.startsWith(QLatin1String("delete-line"))) {
            ls.removeAt(number(2) - 1);
            bytes = join(ls);
        } else if (damage == QLatin1String("append-line")) {
            ls << QByteArray("{\"key\":\"late\",\"encoding\":\"json\",\"value\":1}");
            bytes = join(ls);
        } else if (damage == QLatin1String("replace-manifest")) {
            ls[0] = "{\"hello\": \"world\"}";
            bytes = join(ls);
        } else if (damage == QLatin1String("empty")) {
            bytes.clear();
        } else if (damage.startsWith(QLatin1String("flip-sealed"))) {
            QByteArray &l = ls[number(2) - 1];
            const qsizetype at = l.indexOf("\"sealed\":\"") + 20;
            l[at] = l[at] == 'A' ? 'B' : 'A';
            // Keep the checksum right, so only the tag can tell.
            Json t = Json::parse(ls.last().toStdString());
            QCryptographicHash h(QCryptographicHash::Sha256);
            for (int i = 1; i < ls.size() - 1; ++i)
                h.addData(QByteArray(ls[i] + '\n'));
            t["sha256"] = toStd(QString::fromLatin1(h.result().toHex()));
            ls.last() = toBytes(t.dump());
            bytes = join(ls);
        } else if (damage.startsWith(QLatin1String("swap-sealed"))) {
            // Line 3's sealed value moved to line 4's key and back: each
            // decrypts under its own key only.
            const Json a = Json::parse(ls[2].toStdString()), b = Json::parse(ls[3].toStdString());
            Json a2 = a, b2 = b;
            a2["sealed"] = b["sealed"];
            b2["sealed"] = a["sealed"];
            ls[2] = toBytes(a2.dump());
            ls[3] = toBytes(b2.dump());
            bytes = join(ls);
        } else if (damage == QLatin1String("wrong-passphrase")) {
            passphraseUsed = "not the secret";
        } else {
            QFAIL("unknown damage");
        }
        writeFile(file, bytes);

        auto target = m_stores.open(m_stores.fresh(QStringLiteral("sqlite")));
        ImportOptions o;
        o.passphrase = passphraseUsed;
        o.policy = ConflictPolicy::Overwrite;
        auto imported = importFrom(target.get(), file, o);
        QVERIFY(!imported.ok());
        QVERIFY2(imported.error().message.contains(message), qPrintable(imported.error().toString()));
        QCOMPARE(int(imported.error().kind), kind);
        if (line != QLatin1String("any")) {
            const int expected = line == QLatin1String("last")     ? lastLine + (damage == QLatin1String("drop-trailer") ? 0 : 0)
                                 : line == QLatin1String("last+1") ? lastLine + 1
                                                                   : line.toInt();
            // After a deletion or insertion the trailer moved with the lines.
            int want = expected;
            if (line == QLatin1String("last") && (damage.startsWith(QLatin1String("delete-line"))))
                want = lastLine - 1;
            QCOMPARE(imported.error().where, QStringLiteral("%1:%2").arg(file).arg(want));
        } else {
            QVERIFY2(imported.error().where.startsWith(file + QLatin1Char(':')), qPrintable(imported.error().where));
        }
        // Nothing at all was imported.
        QVERIFY(readStore(target.get()).isEmpty());
    }

    void testDryRunChangesNothing()
    {
        const QString file = goodSnapshot(QStringLiteral("dry.jsonl"));
        auto target = m_stores.open(m_stores.fresh(QStringLiteral("sqlite")));
        // Some keys already there: one equal, one different.
        Entry same = m_data[0];
        Entry other = m_data[1];
        other.value = Json{{"changed", true}};
        QVERIFY(fillStore(target.get(), {same, other}));
        const QMap<QString, Entry> before = readStore(target.get());

        ImportOptions o;
        o.dryRun = true;
        o.policy = ConflictPolicy::Overwrite;
        o.path = file;
        o.backupDirectory = path(QStringLiteral("dry-backups"));
        Importer importer(target.get(), o);
        QSignalSpy outcomes(&importer, &Importer::outcome);
        auto done = await(importer.run(), 60000);
        QVERIFY2(done.ok(), qPrintable(done.error().toString()));
        QCOMPARE(done->transfer.created, qint64(m_data.size() - 2));
        QCOMPARE(done->transfer.changed, qint64(1));
        QCOMPARE(done->transfer.unchanged, qint64(1));
        QCOMPARE(outcomes.size(), m_data.size());
        bool sawChange = false;
        for (const QList<QVariant> &args : std::as_const(outcomes)) {
            const KeyOutcome oc = args.at(0).value<KeyOutcome>();
            if (oc.kind == KeyOutcome::Kind::Change) {
                QCOMPARE(oc.key, other.key);
                const QStringList diff = describeChange(oc.before, oc.after, true);
                QVERIFY2(diff.join(QLatin1Char('\n')).contains(QStringLiteral("/changed")), qPrintable(diff.join('\n')));
                sawChange = true;
            }
        }
        QVERIFY(sawChange);
        // Nothing changed: same keys, same revisions, no backup written.
        const QMap<QString, Entry> after = readStore(target.get());
        QCOMPARE(after.keys(), before.keys());
        for (auto it = before.cbegin(); it != before.cend(); ++it)
            QCOMPARE(after[it.key()].revision, it.value().revision);
        QVERIFY(!QDir(path(QStringLiteral("dry-backups"))).exists());
    }

    void testConflictPolicies_data()
    {
        QTest::addColumn<QString>("policy");
        QTest::newRow("fail") << "fail";
        QTest::newRow("skip") << "skip";
        QTest::newRow("overwrite") << "overwrite";
    }
    void testConflictPolicies()
    {
        QFETCH(QString, policy);
        const QString file = goodSnapshot(QStringLiteral("policy.jsonl"));
        auto target = m_stores.open(m_stores.fresh(QStringLiteral("sqlite")));
        Entry other = m_data[1];
        other.value = Json{{"theirs", 1}};
        Entry same = m_data[2];
        QVERIFY(fillStore(target.get(), {other, same}));

        ImportOptions o;
        QVERIFY(parseConflictPolicy(policy, &o.policy));
        QDir(path(QStringLiteral("backups"))).removeRecursively();
        auto done = importFrom(target.get(), file, o);
        const QMap<QString, Entry> got = readStore(target.get());
        if (policy == QLatin1String("fail")) {
            QVERIFY(!done.ok());
            QCOMPARE(done.error().kind, ErrorKind::Conflict);
            QCOMPARE(got.size(), 2); // nothing written
            return;
        }
        QVERIFY2(done.ok(), qPrintable(done.error().toString()));
        QCOMPARE(got.size(), m_data.size());
        QCOMPARE(done->transfer.unchanged, qint64(1));
        if (policy == QLatin1String("skip")) {
            QCOMPARE(done->transfer.skipped, qint64(1));
            SD_COMPARE_JSON(got[other.key].value, other.value);
            QVERIFY(done->transfer.backupPath.isEmpty());
            return;
        }
        QCOMPARE(done->transfer.changed, qint64(1));
        SD_COMPARE_JSON(got[other.key].value, m_data[1].value);
        // The overwritten value is in a complete backup snapshot.
        QVERIFY(!done->transfer.backupPath.isEmpty());
        QCOMPARE(done->transfer.backedUp, qint64(1));
        auto reader = SnapshotReader::open(done->transfer.backupPath);
        QVERIFY2(reader.ok(), qPrintable(reader.error().toString()));
        auto first = reader.value()->next();
        QVERIFY(first.ok() && first.value());
        QCOMPARE(first.value()->key, other.key);
        SD_COMPARE_JSON(first.value()->value, other.value);
        auto end = reader.value()->next();
        QVERIFY2(end.ok() && !end.value(), qPrintable(end.error().toString()));
    }

    void testFailedExportLeavesNoFile()
    {
        // A store that cannot be read: the yaml directory is a file.
        const QString blocker = path(QStringLiteral("not-a-dir"));
        writeFile(blocker, "x");
        StoreSpec spec;
        spec.backend = QStringLiteral("yaml");
        spec.options.insert(QStringLiteral("path"), blocker);
        auto broken = m_stores.open(spec);
        const QString out = path(QStringLiteral("failed-out/snap.jsonl.gz"));
        QDir().mkpath(path(QStringLiteral("failed-out")));
        auto r = exportTo(broken.get(), out);
        QVERIFY(!r.ok());
        QCOMPARE(QDir(path(QStringLiteral("failed-out"))).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList());
    }

    void testCancelledExportLeavesNoFile()
    {
        const QString outDir = path(QStringLiteral("cancel-out"));
        QDir().mkpath(outDir);
        ExportOptions o;
        o.path = outDir + QStringLiteral("/snap.jsonl");
        Exporter exporter(m_source.get(), o);
        // Cancel at the first page written (the store holds several pages).
        int pages = 0;
        connect(&exporter, &Exporter::progress, &exporter, [&] {
            ++pages;
            exporter.cancel();
        });
        auto r = await(exporter.run(), 30000);
        QVERIFY(!r.ok());
        QCOMPARE(pages, 1);
        QCOMPARE(r.error().kind, ErrorKind::Cancelled);
        QCOMPARE(QDir(outDir).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
    }
};

QTEST_GUILESS_MAIN(TestTransferSnapshot)
#include "tst_transfer_snapshot.moc"
