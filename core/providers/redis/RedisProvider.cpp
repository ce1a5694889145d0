#include "providers/redis/RedisProvider.h"

#include "model/Codec.h"
#include "util/Async.h"
#include "providers/redis/RedisWatch.h"

#include <QPointer>
#include <QPromise>
#include <QSet>
#include <QTimer>
#include <QUuid>

#include <algorithm>
#include <map>
#include <memory>

namespace sd {
namespace redis {
namespace {

const QByteArray kSeqKey = QByteArrayLiteral("__statedeck:seq");
const QByteArray kRevKey = QByteArrayLiteral("__statedeck:rev");
// SCAN's COUNT: fixed, because a page cursor re-reads the batch it stopped
// in and must get the same batch again.
constexpr int kScanCount = 1000;

// Reads many keys in one call: KEYS[1] is the revision hash, KEYS[2..] the
// keys. For each: {type, revision, pttl, value-or-fields} or {"none"}. One
// script per chunk instead of one per key: listing 100k keys is then a few
// hundred round trips and script runs, not 100k.
const QByteArray kGetManyScript = QByteArrayLiteral(R"lua(
local out = {}
for i = 2, #KEYS do
  local k = KEYS[i]
  local t = redis.call('TYPE', k).ok
  if t == 'none' then
    out[i - 1] = {'none'}
  else
    local rev = redis.call('HGET', KEYS[1], k) or '0'
    local ttl = redis.call('PTTL', k)
    local v = false
    if ARGV[1] == '1' then
      if t == 'string' then v = redis.call('GET', k)
      elseif t == 'hash' then v = redis.call('HGETALL', k) end
    end
    out[i - 1] = {t, rev, ttl, v}
  end
end
return out
)lua");

// Keys per get script: small enough that one script never holds the server
// for long or builds a giant reply when values are asked for.
constexpr qsizetype kGetChunk = 256;

// Checks the precondition and writes, atomically.
// ARGV: mode (none|absent|rev), expected revision, value, ttl: ms, '' to
// keep the key's TTL, '0' to remove it (a SET without options, like PERSIST).
const QByteArray kPutScript = QByteArrayLiteral(R"lua(
local t = redis.call('TYPE', KEYS[1]).ok
local cur = '0'
if t ~= 'none' then cur = redis.call('HGET', KEYS[2], KEYS[1]) or '0' end
if ARGV[1] == 'absent' and t ~= 'none' then return {'exists', cur} end
if ARGV[1] == 'rev' then
  if t == 'none' then return {'missing', ''} end
  if cur ~= ARGV[2] then return {'conflict', cur} end
end
if t ~= 'none' and t ~= 'string' then return {'type', t} end
local n = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], KEYS[1], n)
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
elseif ARGV[4] == '0' then
  redis.call('SET', KEYS[1], ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
end
return {'ok', tostring(n), redis.call('PTTL', KEYS[1])}
)lua");

// The put script over many keys in one call: each item is checked as
// kPutScript checks it and answered as kPutScript answers. Checks come
// first, then the writes with few calls (one INCRBY for the revisions, one
// HSET for all of them, one MSET for new keys without a TTL), because every
// redis.call costs about as much as the work it does. So do the checks: one
// EXISTS over every key says whether any is there at all (none is, when a
// snapshot is loaded into an empty prefix), and only then is each key's
// TYPE asked, with every revision read by one HMGET. Keys of one call are
// distinct (the caller starts a new call at a repeated key), so checking all
// before writing any sees what item-by-item writing would see. Revisions
// are handed out in item order, as INCR per item would. The answer is one
// flat array, three values per item (status, revision, TTL left), not an
// array per item: building and sending a table per item cost Redis more
// than the checks and the writes together.
// KEYS: revisions hash, counter, then the items' keys. ARGV: four per item,
// as for kPutScript.
const QByteArray kPutBatchScript = QByteArrayLiteral(R"lua(
local n = #KEYS - 2
local status, cur = {}, {}
local writes = 0
local types, revs = {}, {}
if redis.call('EXISTS', unpack(KEYS, 3)) > 0 then
  for i = 1, n do types[i] = redis.call('TYPE', KEYS[i + 2]).ok end
  revs = redis.call('HMGET', KEYS[1], unpack(KEYS, 3))
end
for i = 1, n do
  local a = (i - 1) * 4
  local mode, expected = ARGV[a + 1], ARGV[a + 2]
  local t = types[i] or 'none'
  local c = '0'
  if t ~= 'none' then c = revs[i] or '0' end
  if mode == 'absent' and t ~= 'none' then status[i] = 'exists'
  elseif mode == 'rev' and t == 'none' then status[i] = 'missing'; c = ''
  elseif mode == 'rev' and c ~= expected then status[i] = 'conflict'
  elseif t ~= 'none' and t ~= 'string' then status[i] = 'type'; c = t
  else status[i] = t; writes = writes + 1 end
  cur[i] = c
end
local out = {}
local rev = 0
if writes > 0 then rev = redis.call('INCRBY', KEYS[2], writes) - writes end
local newRevs, plain = {}, {}
for i = 1, n do
  local s = status[i]
  if s == 'none' or s == 'string' then
    rev = rev + 1
    local k, a = KEYS[i + 2], (i - 1) * 4
    local ttl = ARGV[a + 4]
    newRevs[#newRevs + 1] = k
    newRevs[#newRevs + 1] = rev
    local left = -1
    if ttl ~= '' and ttl ~= '0' then
      redis.call('SET', k, ARGV[a + 3], 'PX', ttl)
      left = tonumber(ttl)
    elseif s == 'string' and ttl == '' then
      redis.call('SET', k, ARGV[a + 3], 'KEEPTTL')
      left = redis.call('PTTL', k)
    else
      -- new keys, and ttl '0': MSET, like SET, leaves no TTL
      plain[#plain + 1] = k
      plain[#plain + 1] = ARGV[a + 3]
    end
    out[3 * i - 2] = 'ok'; out[3 * i - 1] = rev; out[3 * i] = left
  else
    out[3 * i - 2] = s; out[3 * i - 1] = cur[i]; out[3 * i] = -1
  end
end
if #newRevs > 0 then redis.call('HSET', KEYS[1], unpack(newRevs)) end
if #plain > 0 then redis.call('MSET', unpack(plain)) end
return out
)lua");

// Items per batch script call: enough to amortise the call, few enough that
// one call does not hold Redis (single-threaded) for long.
constexpr qsizetype kBatchChunkItems = 256;
constexpr qsizetype kBatchChunkBytes = 4 * 1024 * 1024;

// ARGV: mode (none|rev), expected revision.
const QByteArray kRemoveScript = QByteArrayLiteral(R"lua(
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'none' then return {'missing'} end
local cur = redis.call('HGET', KEYS[2], KEYS[1]) or '0'
if ARGV[1] == 'rev' and cur ~= ARGV[2] then return {'conflict', cur} end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], KEYS[1])
redis.call('INCR', KEYS[3])
return {'ok'}
)lua");

// One bounded step of the sweep that drops fields of __statedeck:rev whose
// key is gone: expired, evicted or deleted by another client, none of which
// runs the remove script. It runs after writes (put, remove, putBatch),
// never on a read: a listing, a get or a watch writes nothing. KEYS: the revision hash, the sweep's HSCAN cursor
// (kept in Redis so short-lived processes such as statedeckctl carry it on).
// ARGV: HSCAN COUNT. Atomic like every script, so a put cannot slip between
// the EXISTS and the HDEL. Returns how many fields it dropped.
const QByteArray kSweepScript = QByteArrayLiteral(R"lua(
local cursor = redis.call('GET', KEYS[2]) or '0'
local r = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', ARGV[1])
local fields, dead = r[2], {}
for i = 1, #fields, 2 do
  if redis.call('EXISTS', fields[i]) == 0 then dead[#dead + 1] = fields[i] end
end
for i = 1, #dead, 500 do
  redis.call('HDEL', KEYS[1], unpack(dead, i, math.min(i + 499, #dead)))
end
if r[1] == '0' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], r[1]) end
return #dead
)lua");
const QByteArray kSweepKey = QByteArrayLiteral("__statedeck:sweep");
// Fields checked after one put or remove (about 0.1 ms of server time), and
// after a batch one per item, between those bounds: each write can leave at
// most one stale field behind, so checking at least one per write keeps the
// hash close to the live keys. More than that per batch item was most of
// Redis's time in a bulk load (an EXISTS per field checked).
constexpr int kSweepCountPerWrite = 100;
constexpr int kSweepCountPerBatch = 1000;

// KEYS: lock, fence counter. ARGV: token, ttl ms.
const QByteArray kLockScript = QByteArrayLiteral(R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
)lua");

const QByteArray kUnlockScript = QByteArrayLiteral(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua");

const QByteArray kExtendScript = QByteArrayLiteral(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
)lua");

QList<QByteArray> eval(const QByteArray &script, const QList<QByteArray> &keys, const QList<QByteArray> &args,
                       const QByteArray &command = QByteArrayLiteral("EVAL"))
{
    QList<QByteArray> argv{command, script, QByteArray::number(keys.size())};
    argv << keys << args;
    return argv;
}

// A script that only reads, sent as EVAL_RO (Redis 7): the server refuses
// any write in it, it runs on read-only replicas, and it is counted apart
// from writing scripts (cmdstat_eval_ro). Servers before 7.0 answer
// "unknown command"; the connection remembers and uses EVAL from then on.
void evalReadOnly(Connection *conn, const QByteArray &script, const QList<QByteArray> &keys,
                  const QList<QByteArray> &args, Connection::Callback cb)
{
    if (conn->lacksEvalRo()) {
        conn->command(eval(script, keys, args), std::move(cb));
        return;
    }
    QPointer<Connection> guard(conn);
    conn->command(eval(script, keys, args, QByteArrayLiteral("EVAL_RO")),
                  [guard, script, keys, args, cb](const Result<Reply> &r) {
                      if (guard && r.ok() && r->type == Reply::Type::Error
                          && r->str.toLower().startsWith("err unknown command")) {
                          guard->setLacksEvalRo();
                          guard->command(eval(script, keys, args), cb);
                          return;
                      }
                      cb(r);
                  });
}

// One step of the sweep, after a write; its answer is not waited for.
void sweepStep(Connection *conn, int count)
{
    conn->command(eval(kSweepScript, {kRevKey, kSweepKey}, {QByteArray::number(count)}), [](const Result<Reply> &) {});
}

template <typename T>
std::shared_ptr<QPromise<T>> newPromise()
{
    auto p = std::make_shared<QPromise<T>>();
    p->start();
    return p;
}

template <typename T>
void finish(const std::shared_ptr<QPromise<T>> &p, T value)
{
    p->addResult(std::move(value));
    p->finish();
}

Error unexpected(const Reply &r, const QString &where)
{
    if (r.type == Reply::Type::Error)
        return Error(ErrorKind::Internal, QStringLiteral("Redis answered with an error: %1").arg(QString::fromUtf8(r.str)),
                     where);
    return Error(ErrorKind::Internal, QStringLiteral("unexpected answer from Redis"), where);
}

QByteArray lockKey(const QString &name) { return "__statedeck:lock:" + name.toUtf8(); }
QByteArray fenceKey(const QString &name) { return "__statedeck:fence:" + name.toUtf8(); }

// An entry from the get script's answer; false for "none".
bool entryFromReply(const QByteArray &key, const Reply &r, Entry *out)
{
    if (r.type != Reply::Type::Array || r.elements.isEmpty() || r.elements[0].str == "none")
        return false;
    const QByteArray type = r.elements[0].str;
    Entry e;
    e.key = QString::fromUtf8(key);
    e.revision = QString::fromUtf8(r.elements.value(1).str);
    const long long ttl = r.elements.value(2).integer;
    if (ttl >= 0)
        e.labels.insert(QStringLiteral("ttl"), QString::number(ttl));
    const Reply v = r.elements.value(3);
    if (type == "string") {
        if (v.type == Reply::Type::String) {
            // JSON if it parses, text if UTF-8, else base64; raw keeps the
            // bytes so an unedited value is written back byte-identical.
            Entry decoded = entryFromBytes(e.key, v.str);
            e.value = std::move(decoded.value);
            e.encoding = decoded.encoding;
            e.raw = v.str;
        }
    } else {
        e.labels.insert(QStringLiteral("type"), QString::fromUtf8(type));
        if (type == "hash" && v.type == Reply::Type::Array) {
            Json obj = Json::object();
            for (qsizetype i = 0; i + 1 < v.elements.size(); i += 2)
                obj[v.elements[i].str.toStdString()] = v.elements[i + 1].str.toStdString();
            e.value = std::move(obj);
        }
    }
    *out = std::move(e);
    return true;
}

} // namespace

bool isReservedKey(const QByteArray &key)
{
    return key.startsWith(RedisProvider::kReservedPrefix);
}

QByteArray globEscape(const QByteArray &s)
{
    QByteArray out;
    for (char c : s) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

void fetchEntries(Connection *conn, const QList<QByteArray> &keys, bool withValue,
                  std::function<void(Result<QList<Entry>>)> done)
{
    if (keys.isEmpty()) {
        done(QList<Entry>());
        return;
    }
    struct State {
        QList<std::optional<Entry>> slots;
        int left = 0;
        std::optional<Error> error;
    };
    auto st = std::make_shared<State>();
    st->slots.resize(keys.size());
    st->left = int((keys.size() + kGetChunk - 1) / kGetChunk);
    // All chunks go out at once: hiredis pipelines them on the socket.
    for (qsizetype first = 0; first < keys.size(); first += kGetChunk) {
        const QList<QByteArray> chunk = keys.mid(first, kGetChunk);
        evalReadOnly(conn, kGetManyScript, QList<QByteArray>{kRevKey} + chunk, {withValue ? "1" : "0"},
                     [st, first, chunk, done](const Result<Reply> &r) {
                          if (!r.ok())
                              st->error = r.error();
                          else if (r->type != Reply::Type::Array || r->elements.size() != chunk.size())
                              st->error = unexpected(r.value(), QString::fromUtf8(chunk.first()));
                          else {
                              for (qsizetype i = 0; i < chunk.size(); ++i) {
                                  Entry e;
                                  if (entryFromReply(chunk[i], r->elements[i], &e))
                                      st->slots[first + i] = std::move(e);
                              }
                          }
                          if (--st->left > 0)
                              return;
                          if (st->error) {
                              done(*st->error);
                              return;
                          }
                          QList<Entry> out;
                          out.reserve(st->slots.size());
                          for (auto &slot : st->slots)
                              if (slot)
                                  out << std::move(*slot);
                          done(out);
                      });
    }
}

namespace {

// One SCAN batch: its next cursor and its keys under the prefix, sorted,
// without duplicates or reserved keys.
using ScanBatch = std::pair<QByteArray, QList<QByteArray>>;

void scanBatch(Connection *conn, const QByteArray &cursor, const QByteArray &prefix,
               std::function<void(Result<ScanBatch>)> done)
{
    conn->command({"SCAN", cursor, "MATCH", globEscape(prefix) + '*', "COUNT", QByteArray::number(kScanCount)},
                  [done, prefix](const Result<Reply> &r) {
                      if (!r.ok()) {
                          done(r.error());
                          return;
                      }
                      if (r->type != Reply::Type::Array || r->elements.size() != 2) {
                          done(unexpected(r.value(), QStringLiteral("SCAN")));
                          return;
                      }
                      QList<QByteArray> keys;
                      for (const Reply &k : r->elements[1].elements)
                          if (k.str.startsWith(prefix) && !isReservedKey(k.str))
                              keys << k.str;
                      std::sort(keys.begin(), keys.end());
                      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
                      done(std::make_pair(r->elements[0].str, keys));
                  });
}

} // namespace

void scanAll(Connection *conn, const QByteArray &prefix, std::function<void(Result<QList<QByteArray>>)> done)
{
    auto acc = std::make_shared<QSet<QByteArray>>();
    auto step = std::make_shared<std::function<void(QByteArray)>>();
    *step = [conn, prefix, done, acc, step](QByteArray cursor) {
        scanBatch(conn, cursor, prefix, [done, acc, step](auto r) {
            if (!r.ok()) {
                done(r.error());
                *step = nullptr; // break the cycle
                return;
            }
            for (const QByteArray &k : r->second)
                acc->insert(k);
            if (r->first == "0") {
                QList<QByteArray> keys(acc->begin(), acc->end());
                std::sort(keys.begin(), keys.end());
                done(keys);
                *step = nullptr;
                return;
            }
            (*step)(r->first);
        });
    };
    (*step)(QByteArrayLiteral("0"));
}

} // namespace redis

using namespace redis;

// A listing reads page after page, each call waiting for the one before. The
// batch a page stopped before is asked for as the page is handed out, so the
// round trip overlaps the caller's work on the page; a page that stopped
// inside a batch keeps that batch, so the next page does not SCAN it again.
// The next list() with that cursor and prefix takes it, anything else drops
// it. A SCAN answered early is as valid as one sent later: SCAN promises
// nothing about keys changed during the iteration either way.
struct RedisProvider::ScanAhead {
    QByteArray prefix;
    QByteArray cursor;
    int skip = 0; // keys of the batch a page already handed out
    std::optional<Result<ScanBatch>> answer;
    std::function<void(Result<ScanBatch>)> waiter;
};

RedisProvider::RedisProvider(redis::ConnectionOptions options, QObject *parent)
    : Provider(parent), m_options(std::move(options)), m_conn(new Connection(m_options, this))
{
}

RedisProvider::~RedisProvider() = default;

QString RedisProvider::scheme() const
{
    return QStringLiteral("redis");
}

QString RedisProvider::describe() const
{
    QString s = QStringLiteral("redis://");
    if (!m_options.user.isEmpty())
        s += m_options.user + QLatin1Char('@');
    return s + m_options.host + QLatin1Char(':') + QString::number(m_options.port) + QLatin1Char('/') +
           QString::number(m_options.database);
}

Capabilities RedisProvider::capabilities() const
{
    Capabilities c;
    c.watch = WatchKind::Native;
    c.compareAndSwap = true;
    c.numericRevisions = true;
    c.ttl = true;
    c.locks = true;
    c.keySeparator = m_options.separator;
    return c;
}

QFuture<Result<ListPage>> RedisProvider::list(const ListOptions &options)
{
    auto promise = newPromise<Result<ListPage>>();
    const int limit = options.limit > 0 ? options.limit : 500;
    QByteArray cursor = "0";
    int skip = 0;
    if (!options.cursor.isEmpty()) {
        const QStringList parts = options.cursor.split(QLatin1Char('/'));
        bool ok1 = false, ok2 = false;
        if (parts.size() == 2) {
            parts[0].toULongLong(&ok1);
            skip = parts[1].toInt(&ok2);
        }
        if (!ok1 || !ok2 || skip < 0) {
            finish(promise, Result<ListPage>(Error(ErrorKind::Invalid,
                                                   QStringLiteral("not a cursor from a previous Redis listing"),
                                                   options.cursor)));
            return promise->future();
        }
        cursor = parts[0].toUtf8();
    }
    struct State {
        QList<QByteArray> keys;
        QSet<QByteArray> seen;
        QString next;
    };
    auto st = std::make_shared<State>();
    const QByteArray prefix = options.prefix.toUtf8();
    const bool withValue = !options.keysOnly;
    const bool namesOnly = options.keysOnly && options.namesOnly;
    Connection *conn = m_conn;
    // The batch sent ahead by the last page, if this call goes on from there.
    std::shared_ptr<ScanAhead> ahead = std::exchange(m_ahead, nullptr);
    if (ahead && (ahead->skip != skip || ahead->cursor != cursor || ahead->prefix != prefix))
        ahead.reset();
    // For the next call, once this page is whole: the batch it stopped in,
    // or the one after it, sent now.
    auto keepBatch = [this, prefix](const QByteArray &cur, int stoppedAt, Result<ScanBatch> batch) {
        auto next = std::make_shared<ScanAhead>();
        next->prefix = prefix;
        next->cursor = cur;
        next->skip = stoppedAt;
        next->answer = std::move(batch);
        m_ahead = next;
    };
    auto sendAhead = [this, conn, prefix](const QByteArray &cur) {
        auto next = std::make_shared<ScanAhead>();
        next->prefix = prefix;
        next->cursor = cur;
        m_ahead = next;
        scanBatch(conn, cur, prefix, [next](Result<ScanBatch> r) {
            if (auto waiter = std::exchange(next->waiter, nullptr))
                waiter(std::move(r));
            else
                next->answer = std::move(r);
        });
    };
    auto step = std::make_shared<std::function<void(QByteArray, int)>>();
    *step = [=](QByteArray cur, int skipHere) mutable {
        std::function<void(Result<ScanBatch>)> handle = [=](Result<ScanBatch> r) {
            if (!r.ok()) {
                finish(promise, Result<ListPage>(r.error()));
                *step = nullptr;
                return;
            }
            const QList<QByteArray> &batch = r->second;
            int i = skipHere;
            for (; i < batch.size() && st->keys.size() < limit; ++i) {
                if (!st->seen.contains(batch[i])) {
                    st->seen.insert(batch[i]);
                    st->keys << batch[i];
                }
            }
            bool last = false;
            if (i < batch.size())
                st->next = QString::fromLatin1(cur) + QLatin1Char('/') + QString::number(i);
            else if (r->first == "0")
                last = true;
            else if (st->keys.size() >= limit)
                st->next = QString::fromLatin1(r->first) + QStringLiteral("/0");
            else {
                (*step)(r->first, 0);
                return;
            }
            Q_UNUSED(last);
            *step = nullptr;
            if (i < batch.size())
                keepBatch(cur, i, r);
            else if (!st->next.isEmpty())
                sendAhead(r->first);
            if (namesOnly) {
                ListPage page;
                page.entries.reserve(st->keys.size());
                for (const QByteArray &k : std::as_const(st->keys)) {
                    Entry e;
                    e.key = QString::fromUtf8(k);
                    page.entries << std::move(e);
                }
                page.nextCursor = st->next;
                finish(promise, Result<ListPage>(std::move(page)));
                return;
            }
            fetchEntries(conn, st->keys, withValue, [promise, st](Result<QList<Entry>> entries) {
                if (!entries.ok()) {
                    finish(promise, Result<ListPage>(entries.error()));
                    return;
                }
                ListPage page;
                page.entries = std::move(entries).value();
                page.nextCursor = st->next;
                finish(promise, Result<ListPage>(std::move(page)));
            });
        };
        if (ahead) {
            // Only the first batch of this call can have been sent ahead.
            std::shared_ptr<ScanAhead> taken = std::exchange(ahead, nullptr);
            if (taken->answer)
                handle(std::move(*taken->answer));
            else
                taken->waiter = std::move(handle);
            return;
        }
        scanBatch(conn, cur, prefix, std::move(handle));
    };
    (*step)(cursor, skip);
    return promise->future();
}

QFuture<Result<Entry>> RedisProvider::get(const QString &key)
{
    if (Status s = validateKey(key, capabilities()); !s.ok())
        return readyFuture(Result<Entry>(s.error()));
    auto promise = newPromise<Result<Entry>>();
    fetchEntries(m_conn, {key.toUtf8()}, true, [promise, key](Result<QList<Entry>> r) {
        if (!r.ok())
            finish(promise, Result<Entry>(r.error()));
        else if (r->isEmpty())
            finish(promise, Result<Entry>(Error(ErrorKind::NotFound, QStringLiteral("no such key"), key)));
        else
            finish(promise, Result<Entry>(r->first()));
    });
    return promise->future();
}

namespace redis {
namespace {

// One write as the put scripts take it.
struct PutArgs {
    QByteArray key;
    QByteArray mode; // none | absent | rev
    QByteArray expected;
    QByteArray bytes;
    QByteArray ttl; // ms, or empty to keep the key's TTL
    Entry stored;   // the entry to answer with once written
};

Result<PutArgs> preparePut(const Entry &entry, const Precondition &pre, const Capabilities &caps)
{
    if (Status s = validateKey(entry.key, caps); !s.ok())
        return s.error();
    PutArgs a;
    a.key = entry.key.toUtf8();
    if (isReservedKey(a.key))
        return Error(ErrorKind::Invalid,
                     QStringLiteral("keys starting with \"%1\" are reserved for statedeck's revisions and locks")
                         .arg(QLatin1String(RedisProvider::kReservedPrefix)),
                     entry.key);
    if (entry.labels.contains(QStringLiteral("ttl"))) {
        bool ok = false;
        const qint64 ms = entry.labels.value(QStringLiteral("ttl")).toLongLong(&ok);
        if (!ok || ms < 0)
            return Error(ErrorKind::Invalid,
                         QStringLiteral("label \"ttl\" must be a number of milliseconds: the time to live, or 0 to "
                                        "remove it; not \"%1\"")
                             .arg(entry.labels.value(QStringLiteral("ttl"))),
                         entry.key);
        a.ttl = QByteArray::number(ms);
    }
    a.bytes = encodeValue(entry);
    a.mode = "none";
    if (pre.kind == Precondition::Kind::MustNotExist)
        a.mode = "absent";
    else if (pre.kind == Precondition::Kind::Revision)
        a.mode = "rev";
    a.expected = pre.revision.toUtf8();
    a.stored = entry;
    a.stored.raw = a.bytes;
    return a;
}

// The answer of the put script (or of one item of the batch script).
Result<Entry> putAnswer(const Reply &r, Entry stored, const QString &expected)
{
    if (r.type != Reply::Type::Array || r.elements.isEmpty())
        return unexpected(r, stored.key);
    const QByteArray status = r.elements[0].str;
    // A string, or the batch script's revision as a number.
    const Reply &second = r.elements.value(1);
    const QString other = second.type == Reply::Type::Integer ? QString::number(second.integer)
                                                              : QString::fromUtf8(second.str);
    if (status == "exists")
        return Error(ErrorKind::AlreadyExists, QStringLiteral("the key already exists (revision %1)").arg(other),
                     stored.key);
    if (status == "missing")
        return Error(ErrorKind::Conflict,
                     QStringLiteral("expected revision %1, but the key no longer exists; read it again").arg(expected),
                     stored.key);
    if (status == "conflict")
        return Error(ErrorKind::Conflict,
                     QStringLiteral("expected revision %1 but the key is at revision %2: someone else changed it; "
                                    "read it again")
                         .arg(expected, other),
                     stored.key);
    if (status == "type")
        return Error(ErrorKind::Unsupported,
                     QStringLiteral("the key holds a Redis %1, which statedeck shows read-only; only string keys can "
                                    "be written")
                         .arg(other),
                     stored.key);
    if (status != "ok")
        return unexpected(r, stored.key);
    stored.revision = other;
    stored.updated = QDateTime::currentDateTimeUtc();
    stored.labels.remove(QStringLiteral("ttl"));
    const long long ttlLeft = r.elements.value(2).integer;
    if (ttlLeft >= 0)
        stored.labels.insert(QStringLiteral("ttl"), QString::number(ttlLeft));
    return stored;
}

} // namespace
} // namespace redis

QFuture<Result<Entry>> RedisProvider::put(const Entry &entry, const Precondition &pre)
{
    Result<PutArgs> args = preparePut(entry, pre, capabilities());
    if (!args.ok())
        return readyFuture(Result<Entry>(args.error()));
    const PutArgs &a = args.value();
    auto promise = newPromise<Result<Entry>>();
    m_conn->command(eval(kPutScript, {a.key, kRevKey, kSeqKey}, {a.mode, a.expected, a.bytes, a.ttl}),
                    [promise, stored = a.stored, expected = pre.revision](const Result<Reply> &r) {
                        finish(promise, r.ok() ? putAnswer(r.value(), stored, expected) : Result<Entry>(r.error()));
                    });
    sweepStep(m_conn, kSweepCountPerWrite);
    return promise->future();
}

QFuture<BatchResult> RedisProvider::putBatch(const QList<BatchItem> &items)
{
    struct State {
        BatchResult answer;
        qsizetype left = 0; // chunks not answered yet
        std::shared_ptr<QPromise<BatchResult>> promise;
    };
    auto st = std::make_shared<State>();
    st->answer.results.resize(items.size());
    st->promise = newPromise<BatchResult>();
    QFuture<BatchResult> future = st->promise->future();

    struct Chunk {
        QList<QByteArray> keys{kRevKey, kSeqKey};
        QList<QByteArray> args;
        QList<qsizetype> slots;
        QList<Entry> stored;
        QList<QString> expected;
        qsizetype bytes = 0;
    };
    QList<Chunk> chunks;
    QSet<QByteArray> inChunk;
    const Capabilities caps = capabilities();
    for (qsizetype i = 0; i < items.size(); ++i) {
        Result<PutArgs> args = preparePut(items[i].entry, items[i].precondition, caps);
        Status size = args.ok() ? validateBatchItem(items[i].entry, caps) : Status(args.error());
        if (!size.ok()) {
            st->answer.results[i] = size.error();
            continue;
        }
        PutArgs &a = args.value();
        if (chunks.isEmpty() || chunks.last().slots.size() >= kBatchChunkItems
            || chunks.last().bytes + a.bytes.size() > kBatchChunkBytes || inChunk.contains(a.key)) {
            chunks.append(Chunk());
            inChunk.clear();
        }
        inChunk.insert(a.key);
        Chunk &c = chunks.last();
        c.keys << a.key;
        c.args << a.mode << a.expected << a.bytes << a.ttl;
        c.slots << i;
        c.stored << std::move(a.stored);
        c.expected << items[i].precondition.revision;
        c.bytes += a.bytes.size();
    }
    if (chunks.isEmpty()) {
        finish(st->promise, std::move(st->answer));
        return future;
    }
    st->left = chunks.size();
    // Every chunk goes out at once: hiredis pipelines them, and Redis runs
    // them in order, so a key given twice ends with its later value.
    for (Chunk &c : chunks) {
        m_conn->command(eval(kPutBatchScript, c.keys, c.args),
                        [st, slots = c.slots, stored = c.stored, expected = c.expected](const Result<Reply> &r) {
                            const bool shaped = r.ok() && r->type == Reply::Type::Array
                                && r->elements.size() == 3 * slots.size();
                            for (qsizetype j = 0; j < slots.size(); ++j) {
                                Result<Entry> &out = st->answer.results[slots[j]];
                                if (!r.ok())
                                    out = r.error();
                                else if (!shaped)
                                    // The script failed part way (out of memory): items before
                                    // the failure may have been written, so none is reported ok.
                                    out = unexpected(r.value(), stored[j].key);
                                else {
                                    Reply item;
                                    item.type = Reply::Type::Array;
                                    item.elements = r->elements.mid(3 * j, 3);
                                    out = putAnswer(item, stored[j], expected[j]);
                                }
                            }
                            if (--st->left == 0)
                                finish(st->promise, std::move(st->answer));
                        });
    }
    sweepStep(m_conn, int(std::clamp<qsizetype>(items.size(), kSweepCountPerWrite, kSweepCountPerBatch)));
    return future;
}

QFuture<Status> RedisProvider::remove(const QString &key, const Precondition &pre)
{
    if (Status s = validateKey(key, capabilities()); !s.ok())
        return readyFuture(s);
    const QByteArray k = key.toUtf8();
    if (isReservedKey(k))
        return readyFuture(Status(Error(ErrorKind::Invalid, QStringLiteral("reserved key"), key)));
    auto promise = newPromise<Status>();
    const QByteArray mode = pre.kind == Precondition::Kind::Revision ? "rev" : "none";
    const QString expected = pre.revision;
    if (pre.kind == Precondition::Kind::MustNotExist)
        return readyFuture(Status(Error(ErrorKind::Invalid,
                                        QStringLiteral("removing a key on condition it does not exist makes no sense"),
                                        key)));
    m_conn->command(eval(kRemoveScript, {k, kRevKey, kSeqKey}, {mode, expected.toUtf8()}),
                    [promise, key, expected](const Result<Reply> &r) {
                        if (!r.ok()) {
                            finish(promise, Status(r.error()));
                            return;
                        }
                        const QByteArray status = r->elements.value(0).str;
                        if (status == "ok")
                            finish(promise, Status());
                        else if (status == "missing")
                            finish(promise, Status(Error(ErrorKind::NotFound, QStringLiteral("no such key"), key)));
                        else if (status == "conflict")
                            finish(promise,
                                   Status(Error(ErrorKind::Conflict,
                                                QStringLiteral("expected revision %1 but the key is at revision %2: "
                                                               "someone else changed it; read it again")
                                                    .arg(expected, QString::fromUtf8(r->elements.value(1).str)),
                                                key)));
                        else
                            finish(promise, Status(unexpected(r.value(), key)));
                    });
    sweepStep(m_conn, kSweepCountPerWrite);
    return promise->future();
}

std::unique_ptr<Watch> RedisProvider::watch(const QString &prefix, const QString &fromRevision)
{
    // No history in Redis: any resume point means Resync.
    return std::make_unique<RedisWatch>(m_options, prefix, !fromRevision.isEmpty());
}

QFuture<Result<Lock>> RedisProvider::lock(const QString &name, std::chrono::milliseconds ttl)
{
    if (name.isEmpty() || ttl.count() <= 0)
        return readyFuture(Result<Lock>(
            Error(ErrorKind::Invalid, QStringLiteral("a lock needs a name and a positive TTL"), name)));
    auto promise = newPromise<Result<Lock>>();
    const QString token = QUuid::createUuid().toString(QUuid::WithoutBraces);
    m_conn->command(eval(kLockScript, {lockKey(name), fenceKey(name)},
                         {token.toUtf8(), QByteArray::number(qint64(ttl.count()))}),
                    [promise, name, token, ttl](const Result<Reply> &r) {
                        if (!r.ok()) {
                            finish(promise, Result<Lock>(r.error()));
                            return;
                        }
                        if (r->type != Reply::Type::Array || r->elements.size() != 2) {
                            finish(promise, Result<Lock>(unexpected(r.value(), name)));
                            return;
                        }
                        if (r->elements[0].integer != 1) {
                            finish(promise,
                                   Result<Lock>(Error(ErrorKind::Busy,
                                                      QStringLiteral("the lock is held by someone else; it expires in "
                                                                     "%1 ms unless they extend it")
                                                          .arg(r->elements[1].integer),
                                                      name)));
                            return;
                        }
                        Lock l;
                        l.name = name;
                        l.owner = token;
                        l.fencingToken = quint64(r->elements[1].integer);
                        l.expires = QDateTime::currentDateTimeUtc().addMSecs(ttl.count());
                        finish(promise, Result<Lock>(l));
                    });
    return promise->future();
}

QFuture<Status> RedisProvider::unlock(const Lock &lock)
{
    auto promise = newPromise<Status>();
    const QString name = lock.name;
    m_conn->command(eval(kUnlockScript, {lockKey(lock.name)}, {lock.owner.toUtf8()}),
                    [promise, name](const Result<Reply> &r) {
                        if (!r.ok())
                            finish(promise, Status(r.error()));
                        else if (r->type == Reply::Type::Integer && r->integer == 1)
                            finish(promise, Status());
                        else if (r->type == Reply::Type::Integer)
                            finish(promise, Status(Error(ErrorKind::Conflict,
                                                         QStringLiteral("this lock is no longer held by us (it expired "
                                                                        "or another holder took it)"),
                                                         name)));
                        else
                            finish(promise, Status(unexpected(r.value(), name)));
                    });
    return promise->future();
}

QFuture<Result<Lock>> RedisProvider::renew(const Lock &lock, std::chrono::milliseconds ttl)
{
    auto promise = newPromise<Result<Lock>>();
    m_conn->command(eval(kExtendScript, {lockKey(lock.name)}, {lock.owner.toUtf8(), QByteArray::number(qint64(ttl.count()))}),
                    [promise, lock, ttl](const Result<Reply> &r) {
                        if (!r.ok())
                            finish(promise, Result<Lock>(r.error()));
                        else if (r->type == Reply::Type::Integer && r->integer == 1) {
                            Lock l = lock;
                            l.expires = QDateTime::currentDateTimeUtc().addMSecs(ttl.count());
                            finish(promise, Result<Lock>(l));
                        } else
                            finish(promise, Result<Lock>(Error(ErrorKind::Conflict,
                                                               QStringLiteral("the lock was lost: it expired or another holder took it"),
                                                               lock.name)));
                    });
    return promise->future();
}

} // namespace sd
