#pragma once

// Stores of every backend for the transfer tests (sqlite, local, yaml in
// temporary directories; redis, etcd, the Kubernetes and the Firebase
// emulators started once per test process on free loopback ports and
// stopped with it), and the data set the round trips move.

#include "FirebaseTestServer.h"
#include "RedisTestServer.h"
#include "TestSupport.h"
#include "model/Codec.h"
#include "providers/Backends.h"
#include "providers/EtcdTestFixture.h"
#include "providers/KubeTestHelpers.h"
#include "providers/form/EntryForm.h"
#include "providers/form/KeyForm.h"

#include <QDir>
#include <QTemporaryDir>

#include <memory>

namespace sd::test {

class TransferStores {
public:
    static QStringList backends()
    {
        return {QStringLiteral("sqlite"), QStringLiteral("local"), QStringLiteral("yaml"), QStringLiteral("redis"),
                QStringLiteral("etcd"), QStringLiteral("kubernetes")};
    }
    // Every backend fresh() makes: backends() and Firebase (its emulator),
    // which the round trips leave out (tst_firebase_provider moves its data).
    static QStringList allBackends() { return backends() << QStringLiteral("firebase"); }

    // An empty store of `backend`; each call gives a new one.
    StoreSpec fresh(const QString &backend)
    {
        const int n = ++m_count;
        StoreSpec spec;
        spec.backend = backend;
        spec.origin = backend;
        if (backend == QLatin1String("sqlite")) {
            spec.options.insert(QStringLiteral("path"), m_dir.filePath(QStringLiteral("s%1.db").arg(n)));
        } else if (backend == QLatin1String("local")) {
            const QString d = m_dir.filePath(QStringLiteral("local%1").arg(n));
            QDir().mkpath(d + QStringLiteral("/state"));
            QDir().mkpath(d + QStringLiteral("/keys"));
            spec.options.insert(QStringLiteral("statePath"), QString(d + QStringLiteral("/state/state.json")));
            spec.options.insert(QStringLiteral("keysPath"), QString(d + QStringLiteral("/keys")));
        } else if (backend == QLatin1String("yaml")) {
            const QString d = m_dir.filePath(QStringLiteral("yaml%1/state").arg(n));
            QDir().mkpath(d);
            spec.options.insert(QStringLiteral("path"), d);
            spec.options.insert(QStringLiteral("backups"), 0);
        } else if (backend == QLatin1String("redis")) {
            if (!m_redis) {
                m_redis = std::make_unique<RedisTestServer>();
                if (!m_redis->start())
                    qFatal("cannot start redis-server: %s", qPrintable(m_redis->log()));
            }
            // 16 databases, used round robin and emptied first.
            const int db = n % 16;
            m_redis->command({"SELECT", QByteArray::number(db)});
            spec = m_redis->spec(db);
            flushRedis(db);
        } else if (backend == QLatin1String("etcd")) {
            if (!m_etcd) {
                m_etcd = std::make_unique<EtcdMember>();
                if (!m_etcd->start())
                    qFatal("cannot start etcd");
            }
            spec.options.insert(QStringLiteral("endpoints"), m_etcd->endpoint());
            spec.options.insert(QStringLiteral("root"), QStringLiteral("/transfer/t%1").arg(n));
        } else if (backend == QLatin1String("kubernetes")) {
            if (!m_kube) {
                m_kube = std::make_unique<KubeTestServer>();
                if (!m_kube->start())
                    qFatal("the Kubernetes emulator did not start: %s", qPrintable(m_kube->log()));
            }
            const QString ns = QStringLiteral("transfer-%1").arg(n);
            if (!createNamespace(*m_kube, ns))
                qFatal("cannot create namespace %s", qPrintable(ns));
            spec.options.insert(QStringLiteral("kubeconfig"), m_kube->kubeconfigPath());
            spec.options.insert(QStringLiteral("namespace"), ns);
            spec.options.insert(QStringLiteral("resource"), QStringLiteral("configmaps"));
        } else if (backend == QLatin1String("firebase")) {
            if (!m_firebase) {
                m_firebase = std::make_unique<FirebaseTestServer>();
                if (!m_firebase->start())
                    qFatal("the Firebase emulator did not start: %s", qPrintable(m_firebase->log()));
            }
            // One database, a root a store.
            spec = m_firebase->spec(QStringLiteral("transfer"), QStringLiteral("t%1").arg(n));
        }
        return spec;
    }

    void flushRedis(int db)
    {
        // FLUSHDB on one connection that selected the database first.
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), m_redis->port());
        if (!s.waitForConnected(5000))
            return;
        const QByteArray n = QByteArray::number(db);
        s.write("*2\r\n$6\r\nSELECT\r\n$" + QByteArray::number(n.size()) + "\r\n" + n + "\r\n*1\r\n$7\r\nFLUSHDB\r\n");
        QByteArray got;
        while (got.count('\n') < 2 && s.waitForReadyRead(5000))
            got += s.readAll();
    }

    std::unique_ptr<Provider> open(const StoreSpec &spec)
    {
        auto p = openProvider(spec);
        if (!p.ok())
            qFatal("cannot open %s: %s", qPrintable(spec.backend), qPrintable(p.error().toString()));
        return std::move(p).value();
    }

    RedisTestServer *redis() { return m_redis.get(); }
    EtcdMember *etcd() { return m_etcd.get(); }
    QString dir() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
    int m_count = 0;
    std::unique_ptr<RedisTestServer> m_redis;
    std::unique_ptr<EtcdMember> m_etcd;
    std::unique_ptr<KubeTestServer> m_kube;
    std::unique_ptr<FirebaseTestServer> m_firebase;
};

// The data set, in seed 004's dotted key form: `bulk` small JSON entries,
// a value of (almost exactly) 1 MiB, binary bytes, text, unicode keys and
// values. Kubernetes object names are lowercase DNS names, so a store of
// ConfigMaps gets no unicode keys.
inline QList<Entry> transferDataset(int bulk, bool unicodeKeys)
{
    QList<Entry> out;
    for (int i = 0; i < bulk; ++i) {
        Entry e;
        e.key = QStringLiteral("bulk.k%1").arg(i, 5, 10, QLatin1Char('0'));
        e.value = Json{{"i", i}, {"name", "entry-" + std::to_string(i)}, {"on", i % 2 == 0}};
        e.encoding = Encoding::Json;
        out << e;
    }
    Entry big;
    big.key = QStringLiteral("big.mib");
    // 1 MiB of compact JSON is the limit; a string that fills it less the
    // quotes and a little room.
    big.value = Json(std::string(kMaxValueBytes - 64, 'x'));
    out << big;
    Entry bin;
    bin.key = QStringLiteral("bin.blob");
    QByteArray bytes;
    for (int i = 0; i < 1024; ++i)
        bytes.append(char(i % 256));
    bin.encoding = Encoding::Base64;
    bin.value = toStd(bytes.toBase64());
    out << bin;
    Entry text;
    text.key = QStringLiteral("text.note");
    text.encoding = Encoding::Text;
    text.value = "plain words\nsecond line";
    out << text;
    Entry uniValue;
    uniValue.key = QStringLiteral("uni.value");
    uniValue.value = Json{{"msg", "h\xc3\xa9llo \xe2\x9c\x93 \xe9\x8d\xb5"}};
    out << uniValue;
    if (unicodeKeys) {
        for (const char *k : {"uni.\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", "uni.\xe9\x8d\xb5", "uni.emoji\xf0\x9f\x98\x80"}) {
            Entry e;
            e.key = QString::fromUtf8(k);
            e.value = Json{{"key", k}};
            out << e;
        }
    }
    return out;
}

// The data set in a store's own key form.
inline QList<Entry> inStoreForm(const QList<Entry> &dotted, const Capabilities &caps)
{
    QList<Entry> out;
    for (Entry e : dotted) {
        e.key = translateKey(e.key, QStringLiteral("."), caps.keySeparator).value();
        out << e;
    }
    return out;
}

inline bool fillStore(Provider *p, const QList<Entry> &entries)
{
    const int max = p->maxBatchSize() > 0 ? p->maxBatchSize() : 1000;
    for (qsizetype i = 0; i < entries.size(); i += max) {
        QList<BatchItem> items;
        for (const Entry &e : entries.mid(i, max))
            items << BatchItem{e, Precondition::none()};
        const BatchResult r = await(p->putBatch(items), 120000);
        if (r.results.size() != items.size() || r.failed() > 0) {
            for (const auto &x : r.results)
                if (!x.ok()) {
                    qWarning("fill %s: %s", qPrintable(p->scheme()), qPrintable(x.error().toString()));
                    break;
                }
            return false;
        }
    }
    return true;
}

// Every entry of a store under a prefix, by key.
inline QMap<QString, Entry> readStore(Provider *p, const QString &prefix = QString())
{
    QMap<QString, Entry> out;
    ListOptions o;
    o.prefix = prefix;
    o.limit = 1000;
    for (int pages = 0; pages < 10000; ++pages) {
        const Result<ListPage> page = await(p->list(o), 60000);
        if (!page.ok()) {
            qWarning("list %s: %s", qPrintable(p->scheme()), qPrintable(page.error().toString()));
            return {};
        }
        for (const Entry &e : page->entries)
            out.insert(e.key, e);
        if (page->nextCursor.isEmpty())
            break;
        o.cursor = page->nextCursor;
    }
    return out;
}

} // namespace sd::test
