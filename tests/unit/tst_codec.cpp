#include "config/ConfigNode.h"
#include "model/Codec.h"
#include "providers/yaml/YamlDocumentEditor.h"
#include "providers/Provider.h"

#include <QTest>

using namespace sd;

class TestCodec : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void testDecodeJsonError_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("where");
        QTest::newRow("unterminated object") << QByteArray("{\n  \"a\": 1,\n  \"b\": \n") << "f.json:4:1";
        QTest::newRow("bad token on line 2") << QByteArray("{\n  \"a\": tru }") << "f.json:2:11";
        QTest::newRow("trailing garbage") << QByteArray("{} x") << "f.json:1:4";
        // Found by fuzzing: nlohmann throws out_of_range, not parse_error, for
        // a number past a double's range, and it escaped every reader.
        QTest::newRow("number too large") << QByteArray("{\n  \"n\": 1e999}") << "f.json:2:8";
        QTest::newRow("negative number too large") << QByteArray("[-3e1239]") << "f.json:1:2";
    }
    void testDecodeJsonError()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, where);
        auto r = decodeValue(bytes, Encoding::Json, QStringLiteral("f.json"));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QCOMPARE(r.error().where, where);
        QVERIFY(r.error().message.startsWith(QStringLiteral("invalid JSON")));
    }

    void testRawKeptWhileUnedited_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::newRow("odd spacing") << QByteArray("{ \"b\":1,   \"a\" : [1,2] }");
        QTest::newRow("unicode escapes") << QByteArray("{\"k\":\"\\u00e9\"}");
    }
    void testRawKeptWhileUnedited()
    {
        QFETCH(QByteArray, raw);
        Entry e = entryFromBytes(QStringLiteral("k"), raw);
        QCOMPARE(e.encoding, Encoding::Json);
        QCOMPARE(encodeValue(e), raw);
        e.value["added"] = 1;
        QVERIFY(encodeValue(e) != raw);
        QVERIFY(Json::parse(encodeValue(e).toStdString())["added"] == Json(1));
    }

    void testEntryFromBytes_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("encoding");
        QTest::newRow("json") << QByteArray("[1]") << int(Encoding::Json);
        QTest::newRow("text") << QByteArray("hello world") << int(Encoding::Text);
        QTest::newRow("binary") << QByteArray("\xff\xfe\x00\x01", 4) << int(Encoding::Base64);
    }
    void testEntryFromBytes()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, encoding);
        Entry e = entryFromBytes(QStringLiteral("k"), bytes);
        QCOMPARE(int(e.encoding), encoding);
        const Json before = e.value;
        e.raw.clear(); // force re-encoding from the value
        const QByteArray again = encodeValue(e);
        if (e.encoding == Encoding::Json)
            QVERIFY(Json::parse(again.toStdString()) == before);
        else
            QCOMPARE(again, bytes);
    }

    void testValidateKey_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("fileBacked");
        QTest::addColumn<bool>("valid");
        QTest::newRow("plain") << "user:123" << false << true;
        QTest::newRow("unicode") << QString::fromUtf8("clé/日本") << false << true;
        QTest::newRow("empty") << "" << false << false;
        QTest::newRow("nul") << QString(QStringLiteral("a") + QChar(0) + QStringLiteral("b")) << false << false;
        QTest::newRow("newline") << "a\nb" << false << false;
        QTest::newRow("slash in sqlite") << "a/b" << false << true;
        QTest::newRow("slash in files") << "a/b" << true << false;
        QTest::newRow("dotdot in files") << ".." << true << false;
        QTest::newRow("dot in files") << "." << true << false;
        QTest::newRow("dots inside name") << "a..b" << true << true;
        QTest::newRow("too long") << QString(1025, QLatin1Char('x')) << false << false;
    }
    void testValidateKey()
    {
        QFETCH(QString, key);
        QFETCH(bool, fileBacked);
        QFETCH(bool, valid);
        Capabilities caps;
        caps.fileBacked = fileBacked;
        if (fileBacked)
            caps.forbiddenKeyChars = QStringLiteral("/\\");
        const Status s = validateKey(key, caps);
        QCOMPARE(s.ok(), valid);
        if (!valid)
            QCOMPARE(s.error().kind, ErrorKind::Invalid);
    }

    // Deeper nesting than kMaxJsonDepth is refused where it is parsed,
    // naming the source and the position of the first bracket too deep;
    // strings that look deep are only strings.
    void testNestingLimit_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("where");
        auto deep = [](int n, char open, char close) -> QByteArray { return QByteArray(n, open) + QByteArray(n, close); };
        QTest::newRow("512 arrays") << deep(512, '[', ']') << true << QString();
        QTest::newRow("513 arrays") << deep(513, '[', ']') << false << "k:1:513";
        QTest::newRow("100,000 arrays") << deep(100000, '[', ']') << false << "k:1:513";
        QByteArray objects;
        for (int i = 0; i < 600; ++i)
            objects += "{\"a\":";
        objects += "1" + QByteArray(600, '}');
        QTest::newRow("600 objects") << objects << false << "k:1:2561";
        QTest::newRow("brackets in a string") << QByteArray("[\"" + QByteArray(5000, '[') + "\\\"\"]") << true << QString();
    }
    void testNestingLimit()
    {
        QFETCH(QByteArray, text);
        QFETCH(bool, ok);
        QFETCH(QString, where);
        const auto r = sd::decodeValue(text, sd::Encoding::Json, QStringLiteral("k"));
        QCOMPARE(r.ok(), ok);
        QCOMPARE(sd::parseJsonOrDiscarded(text).is_discarded(), !ok);
        if (!ok) {
            QCOMPARE(r.error().where, where);
            QVERIFY2(r.error().message.contains(QLatin1String("nested more than 512 levels")),
                     qPrintable(r.error().message));
        } else {
            QCOMPARE(sd::compactJson(r.value()), text); // prints without trouble
        }
    }

    void testYamlNestingAndMergeKeys_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QByteArray>("json"); // empty: refused
        QTest::newRow("merge one map")
            << QByteArray("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n")
            << QByteArray(R"({"base":{"x":1,"y":2},"derived":{"x":1,"y":3}})");
        QTest::newRow("merge a list of maps, the first wins")
            << QByteArray("a: &a {x: 1}\nb: &b {x: 2, z: 3}\nc:\n  <<: [*a, *b]\n")
            << QByteArray(R"({"a":{"x":1},"b":{"x":2,"z":3},"c":{"x":1,"z":3}})");
        QTest::newRow("a quoted << is a key") << QByteArray("m:\n  \"<<\": 1\n") << QByteArray(R"({"m":{"<<":1}})");
        QTest::newRow("merge of a scalar") << QByteArray("m:\n  <<: 1\n") << QByteArray();
        QByteArray flow(600, '[');
        flow += QByteArray(600, ']');
        QTest::newRow("600 levels") << flow << QByteArray();
        // Found by fuzzing: bytes that are not UTF-8 were read, then written
        // back as other characters.
        QTest::newRow("a value not UTF-8") << QByteArray("k: \"a\x9b\x8c\"\n") << QByteArray();
        QTest::newRow("a key not UTF-8") << QByteArray("k\xff: 1\n") << QByteArray();
        // yaml-cpp took these for UTF-16 and made other text of them.
        QTest::newRow("UTF-16 byte-order mark") << QByteArray("\xff\xfe" "k\0:\0 \0" "1\0", 10) << QByteArray();
        QTest::newRow("a NUL byte") << QByteArray("k: a\0b\n", 8) << QByteArray();
        QTest::newRow("UTF-8 kept") << QByteArray("k: \"\xc3\xa9t\xc3\xa9\"\n") << QByteArray("{\"k\":\"\xc3\xa9t\xc3\xa9\"}");
    }
    void testYamlNestingAndMergeKeys()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QByteArray, json);
        const auto r = sd::decodeValue(yaml, sd::Encoding::Yaml, QStringLiteral("f.yaml"));
        QCOMPARE(r.ok(), !json.isEmpty());
        if (r.ok())
            QCOMPARE(sd::compactJson(r.value()), json);
        else
            QVERIFY2(r.error().where.startsWith(QLatin1String("f.yaml:")), qPrintable(r.error().where));
    }

    // A value written as YAML reads back as itself, keys YAML gives a
    // meaning included. Found by fuzzing (entry_value/crash-f079...): a
    // quoted "<<" key was read as a key, then written plain, and the value
    // no longer read (a merge key takes a map).
    void testYamlRoundTripKeys_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::newRow("a << key") << QByteArray(R"({"<<":"test","path":"/a"})");
        QTest::newRow("a << key inside a list") << QByteArray(R"({"r":[{"<<":1}]})");
        QTest::newRow("a << key holding a map") << QByteArray(R"({"<<":{"x":1},"y":2})");
        QTest::newRow("keys that look like other types") << QByteArray(R"({"true":1,"null":2,"1":3,"<<x":4,"~":5})");
    }
    void testYamlRoundTripKeys()
    {
        QFETCH(QByteArray, json);
        sd::Entry e;
        e.key = QStringLiteral("k");
        e.encoding = sd::Encoding::Yaml;
        e.value = sd::Json::parse(json.toStdString());
        const QByteArray yaml = sd::encodeValue(e);
        const auto back = sd::decodeValue(yaml, sd::Encoding::Yaml, QStringLiteral("k"));
        QVERIFY2(back.ok(), qPrintable(back.ok() ? QString() : back.error().toString() + QStringLiteral("\n") + yaml));
        QCOMPARE(sd::compactJson(back.value()), sd::compactJson(e.value));
    }

    // Anchors and aliases are shared in the YAML tree but copied into the
    // value: six lines of ten aliases each stood for over a million values
    // (nine lines for a billion: a few hundred bytes that exhausted memory).
    // Every reader of YAML (values, documents, configuration) refuses them.
    void testYamlAliasExpansion_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<bool>("ok");
        QByteArray laughs = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (int i = 1; i <= 5; ++i) {
            laughs += "l" + QByteArray::number(i) + ": &l" + QByteArray::number(i) + " [";
            for (int j = 0; j < 10; ++j)
                laughs += (j ? ", *l" : "*l") + QByteArray::number(i - 1);
            laughs += "]\n";
        }
        QTest::newRow("a million values from six lines") << laughs << false;
        QTest::newRow("a few aliases") << QByteArray("a: &a [1, 2, 3]\nb: [*a, *a]\nc: {<<: {k: *a}}\n") << true;
        QTest::newRow("an alias inside itself") << QByteArray("a: &a [1, *a]\n") << false;
    }
    void testYamlAliasExpansion()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(bool, ok);
        const auto value = decodeValue(yaml, Encoding::Yaml, QStringLiteral("f.yaml"));
        QCOMPARE(value.ok(), ok);
        const auto doc = YamlDocumentEditor::open(yaml, QStringLiteral("f.yaml"));
        QCOMPARE(doc.ok(), ok);
        const auto config = parseConfigYaml(yaml, QStringLiteral("f.yaml"));
        QCOMPARE(config.ok(), ok);
        if (!ok) {
            for (const Error &e : {value.error(), doc.error(), config.error()})
                QVERIFY2(e.where.startsWith(QLatin1String("f.yaml:")), qPrintable(e.toString()));
        }
    }

    // Objects keep insertion order while members are found through an index
    // (large objects parse in linear time, issue 18): every operation must
    // agree with a plain ordered scan, across the size where the index starts.
    void testIndexedObjects_data()
    {
        QTest::addColumn<int>("members");
        for (int n : {0, 1, 15, 16, 17, 100, 5000})
            QTest::newRow(qPrintable(QString::number(n))) << n;
    }
    void testIndexedObjects()
    {
        QFETCH(int, members);
        auto name = [](int i) { return "m" + std::to_string((i * 7919) % 100003); };
        QByteArray text = "{";
        for (int i = 0; i < members; ++i)
            text += (i ? ",\"" : "\"") + QByteArray::fromStdString(name(i)) + "\":" + QByteArray::number(i);
        text += "}";
        sd::Json j = sd::parseJson(text);
        QCOMPARE(int(j.size()), members);
        QCOMPARE(sd::compactJson(j), text); // order kept
        for (int i = 0; i < members; ++i)
            QCOMPARE(j.at(name(i)).get<int>(), i);
        QVERIFY(!j.contains("absent"));
        // Erase every third member, add new ones, copy: look-ups stay right.
        for (int i = 0; i < members; i += 3)
            QCOMPARE(j.erase(name(i)), size_t(1));
        j["added"] = true;
        j["m1"] = "replaced";
        sd::Json copy = j;
        for (int i = 0; i < members; ++i) {
            const std::string k = name(i);
            QCOMPARE(copy.contains(k), i % 3 != 0 || k == "m1");
        }
        QCOMPARE(copy.value("added", false), true);
        QCOMPARE(copy["m1"].get<std::string>(), std::string("replaced"));
        QCOMPARE(copy, j);
        // merge_patch and diff go through the same map.
        sd::Json patched = j;
        patched.merge_patch(sd::Json{{"added", nullptr}, {"new", 1}});
        QVERIFY(!patched.contains("added"));
        QCOMPARE(patched["new"].get<int>(), 1);
        QCOMPARE(sd::Json::diff(j, patched).size(), size_t(2));
    }
};

QTEST_GUILESS_MAIN(TestCodec)
#include "tst_codec.moc"
