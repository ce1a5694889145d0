#include "providers/sqlite/SqliteProvider.h"

#include "model/Codec.h"
#include "util/Async.h"

#include <sqlite3.h>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHash>
#include <QPointer>
#include <QPromise>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QSysInfo>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>

#include <unistd.h>

namespace sd {
namespace sqlite {
namespace {

constexpr qint64 kSchemaVersion = 1;
// Long enough to wait out another process's write transaction, short enough
// that a stuck writer surfaces as an error a person sees.
constexpr int kBusyTimeoutMs = 5000;
constexpr int kDefaultPageSize = 500;
constexpr int kMaxPageSize = 10000;
constexpr int kPollIntervalMs = 200;
constexpr int kMaxPollIntervalMs = 5000;
// Changes read per poll; a watch far behind catches up in several polls
// instead of one huge read.
constexpr int kPollBatch = 1000;
// The change log also holds values; without a byte budget 10,000 changes of
// 1 MiB values would be 10 GB of history.
constexpr qint64 kLogByteBudget = 64 * 1024 * 1024;
constexpr qsizetype kBigValue = 256 * 1024;

enum ChangeType : int { ChangeAdded = 1, ChangeModified = 2, ChangeDeleted = 3 };

// Columns are ordered with `value` last: SQLite reads a row's columns in
// order, and a large value spills onto overflow pages, so a keys-only list
// never touches the value's pages.
const char kSchemaSql[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(
    name TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta(name, value) VALUES
    ('schema', 1), ('revision', 0), ('compacted', 0), ('fencing', 0);
CREATE TABLE IF NOT EXISTS entries(
    key TEXT PRIMARY KEY NOT NULL,
    encoding TEXT NOT NULL,
    revision INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    labels TEXT,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS changes(
    revision INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    type INTEGER NOT NULL,
    encoding TEXT,
    updated INTEGER NOT NULL,
    labels TEXT,
    size INTEGER NOT NULL,
    value BLOB
);
CREATE TABLE IF NOT EXISTS locks(
    name TEXT PRIMARY KEY NOT NULL,
    owner TEXT NOT NULL,
    token INTEGER NOT NULL,
    expires INTEGER NOT NULL
);
)sql";

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QString keyWhere(const QString &key)
{
    return QStringLiteral("key \"%1\"").arg(key);
}

QString lockWhere(const QString &name)
{
    return QStringLiteral("lock \"%1\"").arg(name);
}

// The smallest string greater than every string starting with `prefix`, in
// UTF-8 byte order; empty when there is none. 0xff never occurs in UTF-8, so
// bumping the last byte is enough.
QByteArray prefixEnd(QByteArray prefix)
{
    while (!prefix.isEmpty()) {
        const auto last = uchar(prefix.back());
        if (last < 0xff) {
            prefix.back() = char(last + 1);
            return prefix;
        }
        prefix.chop(1);
    }
    return {};
}

QString encodeCursor(const QByteArray &key)
{
    return QString::fromLatin1(key.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

std::optional<QByteArray> decodeCursor(const QString &cursor)
{
    const auto decoded = QByteArray::fromBase64Encoding(
        cursor.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals
                               | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty())
        return std::nullopt;
    return decoded.decoded;
}

QByteArray labelsToJson(const QMap<QString, QString> &labels)
{
    if (labels.isEmpty())
        return {};
    Json object = Json::object();
    for (auto it = labels.cbegin(); it != labels.cend(); ++it)
        object[toStd(it.key())] = toStd(it.value());
    return toBytes(object.dump());
}

QMap<QString, QString> labelsFromJson(const QByteArray &text)
{
    QMap<QString, QString> labels;
    if (text.isEmpty())
        return labels;
    const Json object = parseJsonOrDiscarded(text.constBegin(), text.constEnd());
    if (!object.is_object())
        return labels;
    for (const auto &[k, v] : object.items()) {
        if (v.is_string())
            labels.insert(toQString(k), toQString(v.get<std::string>()));
    }
    return labels;
}

// Inside the worker a failed step throws Failure, so a transaction body reads
// straight through; Connection::transact rolls back and turns it into an
// Error value before anything leaves the worker.
struct Failure {
    Error error;
};

Encoding encodingOf(const QString &name, const QString &key)
{
    Encoding e = Encoding::Json;
    if (!parseEncoding(name, &e))
        throw Failure{Error(ErrorKind::Unavailable,
                            QStringLiteral("the stored value has an unknown encoding \"%1\"").arg(name),
                            keyWhere(key))};
    return e;
}

Json decodeOrThrow(const QByteArray &bytes, Encoding encoding, const QString &key)
{
    Result<Json> value = decodeValue(bytes, encoding, keyWhere(key));
    if (!value)
        throw Failure{value.error()};
    return std::move(value).value();
}

// A cached prepared statement, reset when the Query goes out of scope so the
// next user starts clean and no read snapshot stays open.
class Query {
public:
    explicit Query(sqlite3_stmt *stmt) : m_stmt(stmt) {}
    ~Query()
    {
        if (m_stmt) {
            sqlite3_reset(m_stmt);
            sqlite3_clear_bindings(m_stmt);
        }
    }
    Query(const Query &) = delete;
    Query &operator=(const Query &) = delete;

    void bind(int i, qint64 v) { sqlite3_bind_int64(m_stmt, i, v); }
    // Text is bound as TEXT so comparisons with the key column use memcmp
    // (BINARY collation); a BLOB would sort after every text.
    void bindText(int i, const QByteArray &utf8)
    {
        sqlite3_bind_text64(m_stmt, i, utf8.isEmpty() ? "" : utf8.constData(), sqlite3_uint64(utf8.size()),
                            SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    void bindTextOrNull(int i, const QByteArray &utf8)
    {
        if (utf8.isEmpty())
            sqlite3_bind_null(m_stmt, i);
        else
            bindText(i, utf8);
    }
    // A zero-length blob needs a non-null pointer, or SQLite stores NULL.
    void bindBlob(int i, const QByteArray &bytes)
    {
        sqlite3_bind_blob64(m_stmt, i, bytes.isEmpty() ? "" : bytes.constData(), sqlite3_uint64(bytes.size()),
                            SQLITE_TRANSIENT);
    }
    void bindNull(int i) { sqlite3_bind_null(m_stmt, i); }

    int step() { return sqlite3_step(m_stmt); }

    bool isNull(int c) const { return sqlite3_column_type(m_stmt, c) == SQLITE_NULL; }
    qint64 integer(int c) const { return sqlite3_column_int64(m_stmt, c); }
    QByteArray bytes(int c) const
    {
        const void *data = sqlite3_column_blob(m_stmt, c);
        const int size = sqlite3_column_bytes(m_stmt, c);
        return QByteArray(data ? static_cast<const char *>(data) : "", size);
    }
    QString text(int c) const
    {
        const auto *data = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, c));
        return QString::fromUtf8(data, sqlite3_column_bytes(m_stmt, c));
    }

private:
    sqlite3_stmt *m_stmt;
};

struct PollResult {
    QList<Event> events;
    qint64 last = 0;
    // The batch was full: poll again at once.
    bool more = false;
};

// One SQLite connection. Used only from the provider's worker thread.
class Connection {
public:
    explicit Connection(QString path) : m_path(std::move(path)) {}
    ~Connection() { close(); }
    // Open the file read-only (a read-only connection): never create it,
    // its directory or its schema, never switch it to WAL.
    void setOpenReadOnly(bool readOnly) { m_openReadOnly = readOnly; }
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    Result<Entry> get(const QString &key);
    Result<ListPage> list(const ListOptions &options);
    Result<Entry> put(const Entry &entry, const Precondition &pre, int historyLimit);
    // One transaction; an item whose precondition fails gets its error and
    // the others are written.
    Result<QList<Result<Entry>>> putBatch(const QList<BatchItem> &items, int historyLimit);
    Status remove(const QString &key, const Precondition &pre, int historyLimit);
    Result<PollResult> poll(const QString &prefix, std::optional<qint64> from);
    Result<QList<Entry>> history(const QString &key, int limit);
    Result<Lock> lock(const QString &name, const QString &owner, qint64 ttlMs);
    Status unlock(const Lock &lock);
    Result<Lock> renew(const Lock &lock, qint64 ttlMs);

private:
    enum class Mode { Read, Write };

    template <typename F>
    auto transact(Mode mode, F &&body) -> Result<std::invoke_result_t<F>>;

    void open();
    void openOnce();
    // Whether the statedeck schema is there; throws for a database that
    // belongs to someone else.
    bool inspectSchema();
    void createSchema();
    void checkSchemaVersion();
    std::optional<Error> permissionProblem() const;
    void close();
    void rollback();

    Error error(int rc) const;
    [[noreturn]] void fail(int rc) const { throw Failure{error(rc)}; }
    void exec(const char *sql);
    Query prepare(const QByteArray &sql);
    bool next(Query &q);
    void run(Query &q)
    {
        while (next(q)) {
        }
    }

    qint64 meta(const char *name);
    void setMeta(const char *name, qint64 value);
    std::optional<qint64> entryRevision(const QByteArray &key);
    void checkPrecondition(const QString &key, std::optional<qint64> current, const Precondition &pre);
    void logChange(qint64 revision, const QByteArray &key, ChangeType type, const QString &encoding,
                   qint64 updated, const QByteArray &labels, const QByteArray *value);
    void compact(qint64 revision, qsizetype written, int historyLimit);
    // The entry as it will be stored (value bytes encoded), before a revision.
    static Entry prepareWrite(const Entry &in);
    // Writes `out` at `revision` inside the caller's write transaction;
    // `current` is the key's revision before (none: it is new).
    Entry writeEntry(Entry out, std::optional<qint64> current, qint64 revision);
    // Reads encoding, revision, updated, labels[, value] from column `first`.
    // `listing`: a value that does not decode (written by another program,
    // or nested too deep) does not end the listing: the entry is listed
    // with an "error" label, as every store lists what it cannot read.
    Entry entryFromRow(const Query &q, int first, const QString &key, bool withValue, bool listing = false);

    const QString m_path;
    sqlite3 *m_db = nullptr;
    bool m_readOnly = false;
    bool m_openReadOnly = false;
    bool m_lastOpenBusy = false; // the last openOnce() failed on a lock
    QHash<QByteArray, sqlite3_stmt *> m_statements;
};

template <typename F>
auto Connection::transact(Mode mode, F &&body) -> Result<std::invoke_result_t<F>>
{
    using T = std::invoke_result_t<F>;
    try {
        open();
        if (mode == Mode::Write && m_readOnly)
            throw Failure{Error(ErrorKind::Forbidden,
                                QStringLiteral("the database file is read-only for this user; it can be read "
                                               "but not changed"),
                                m_path)};
        // IMMEDIATE takes the write lock up front, so writers in other
        // processes queue on the busy timeout instead of failing when a read
        // would have to upgrade to a write.
        exec(mode == Mode::Write ? "BEGIN IMMEDIATE" : "BEGIN");
        try {
            if constexpr (std::is_void_v<T>) {
                body();
                exec("COMMIT");
                return Result<void>();
            } else {
                T value = body();
                exec("COMMIT");
                return Result<T>(std::move(value));
            }
        } catch (...) {
            rollback();
            throw;
        }
    } catch (const Failure &f) {
        return f.error;
    } catch (const std::exception &e) {
        return Error(ErrorKind::Internal, QStringLiteral("unexpected failure: %1").arg(QString::fromUtf8(e.what())),
                     m_path);
    }
}

void Connection::open()
{
    if (m_db)
        return;
    const QFileInfo info(m_path);
    if (info.isDir())
        throw Failure{Error(ErrorKind::Invalid,
                            QStringLiteral("this is a directory; give the path of a database file"), m_path)};

    if (m_openReadOnly && !info.exists())
        throw Failure{Error(ErrorKind::NotFound,
                            QStringLiteral("there is no database here, and a read-only connection does not create "
                                           "one"),
                            m_path)};
    std::error_code ec;
    const QString dir = info.absolutePath();
    if (!m_openReadOnly)
        std::filesystem::create_directories(std::filesystem::path(QFile::encodeName(dir).toStdString()), ec);
    if (ec) {
        const bool denied = ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted
            || ec == std::errc::read_only_file_system;
        throw Failure{Error(denied ? ErrorKind::Forbidden : ErrorKind::Io,
                            QStringLiteral("cannot create the directory %1: %2")
                                .arg(dir, QString::fromLocal8Bit(ec.message())),
                            m_path)};
    }

    // Two processes opening a new file at once race on switching it to WAL
    // mode; SQLite answers the loser with SQLITE_BUSY at once rather than
    // through the busy handler (waiting could deadlock). Retry the whole
    // open for as long as the busy timeout allows.
    QElapsedTimer waited;
    waited.start();
    for (int delayMs = 2;; delayMs = std::min(delayMs * 2, 100)) {
        try {
            openOnce();
            return;
        } catch (const Failure &f) {
            if (!m_lastOpenBusy || waited.elapsed() > kBusyTimeoutMs)
                throw;
            QThread::msleep(ulong(delayMs + QRandomGenerator::global()->bounded(delayMs)));
        }
    }
}

void Connection::openOnce()
{
    m_lastOpenBusy = false;
    const int rc = sqlite3_open_v2(QFile::encodeName(m_path).constData(), &m_db,
                                   (m_openReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
                                       | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    if (rc != SQLITE_OK) {
        const Error e = error(rc);
        close();
        throw Failure{e};
    }
    sqlite3_busy_timeout(m_db, kBusyTimeoutMs);
    try {
        // Reading the schema reads the file header: a file of another kind
        // fails here, before anything has been written to it.
        exec("SELECT count(*) FROM sqlite_master");
        // SQLite silently falls back to read-only when the file is not
        // writable; remember it so writes fail with a clear message.
        m_readOnly = sqlite3_db_readonly(m_db, "main") == 1;
        // Before WAL mode is switched on: that rewrites the header, and a
        // database that belongs to another program must stay untouched.
        const bool hasSchema = inspectSchema();
        if (!m_readOnly)
            exec("PRAGMA journal_mode=WAL");
        // In WAL mode NORMAL never corrupts the file; a power cut may lose
        // the last commits, which buys one fsync per checkpoint instead of
        // one per write.
        exec("PRAGMA synchronous=NORMAL");
        if (!hasSchema)
            createSchema();
        checkSchemaVersion();
    } catch (...) {
        const int code = sqlite3_errcode(m_db) & 0xff;
        m_lastOpenBusy = code == SQLITE_BUSY || code == SQLITE_LOCKED;
        close();
        throw;
    }
}

bool Connection::inspectSchema()
{
    bool hasMeta = false;
    qint64 otherTables = 0;
    {
        Query q = prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
        while (next(q)) {
            if (q.text(0) == QLatin1String("meta"))
                hasMeta = true;
            else
                ++otherTables;
        }
    }
    const QString name = QFileInfo(m_path).fileName();
    if (hasMeta)
        return true;
    if (otherTables > 0)
        throw Failure{Error(ErrorKind::Unavailable,
                            QStringLiteral("%1 is a SQLite database but not a statedeck store (it holds other "
                                           "tables); statedeck left it untouched")
                                .arg(name),
                            m_path)};
    if (m_openReadOnly)
        throw Failure{Error(ErrorKind::NotFound,
                            QStringLiteral("%1 has no statedeck schema yet, and a read-only connection does not "
                                           "create one")
                                .arg(name),
                            m_path)};
    if (m_readOnly)
        throw Failure{Error(ErrorKind::Forbidden,
                            QStringLiteral("%1 has no statedeck schema yet and is read-only for this user, so "
                                           "it cannot be created")
                                .arg(name),
                            m_path)};
    return false;
}

void Connection::createSchema()
{
    // IF NOT EXISTS / OR IGNORE: another process may be creating the same
    // schema at the same moment.
    exec("BEGIN IMMEDIATE");
    try {
        exec(kSchemaSql);
        exec("COMMIT");
    } catch (...) {
        rollback();
        throw;
    }
}

void Connection::checkSchemaVersion()
{
    const QString name = QFileInfo(m_path).fileName();
    const qint64 version = meta("schema");
    if (version > kSchemaVersion)
        throw Failure{Error(ErrorKind::Unsupported,
                            QStringLiteral("%1 was written by a newer statedeck (schema %2; this build knows "
                                           "schema %3); upgrade statedeck to use it")
                                .arg(name)
                                .arg(version)
                                .arg(kSchemaVersion),
                            m_path)};
}

void Connection::close()
{
    for (sqlite3_stmt *stmt : std::as_const(m_statements))
        sqlite3_finalize(stmt);
    m_statements.clear();
    if (m_db) {
        sqlite3_close_v2(m_db);
        m_db = nullptr;
    }
}

void Connection::rollback()
{
    if (m_db && !sqlite3_get_autocommit(m_db))
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
}

Error Connection::error(int rc) const
{
    const QString name = QFileInfo(m_path).fileName();
    const QString detail =
        QString::fromUtf8(m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc));
    const int sysErrno = m_db ? sqlite3_system_errno(m_db) : 0;
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
        return Error(ErrorKind::Unavailable,
                     QStringLiteral("%1 is not a SQLite database (file is corrupt or of another kind); statedeck "
                                    "left it untouched")
                         .arg(name),
                     m_path);
    case SQLITE_CORRUPT:
        return Error(ErrorKind::Unavailable,
                     QStringLiteral("%1 is corrupt (%2); restore it from a backup").arg(name, detail), m_path);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return Error(ErrorKind::Timeout,
                     QStringLiteral("the database stayed locked by another writer for more than %1 s; try again")
                         .arg(kBusyTimeoutMs / 1000),
                     m_path);
    case SQLITE_READONLY:
        if (auto problem = permissionProblem())
            return *problem;
        return Error(ErrorKind::Forbidden,
                     QStringLiteral("cannot write to %1: the file or its directory is read-only for this user (%2)")
                         .arg(name, detail),
                     m_path);
    case SQLITE_CANTOPEN:
        if (auto problem = permissionProblem())
            return *problem;
        if (sysErrno == EACCES || sysErrno == EPERM || sysErrno == EROFS)
            return Error(ErrorKind::Forbidden,
                         QStringLiteral("cannot open %1: %2; check the permissions of the file and of its "
                                        "directory (SQLite also creates %1-wal and %1-shm beside it)")
                             .arg(name, QString::fromLocal8Bit(std::strerror(sysErrno))),
                         m_path);
        return Error(ErrorKind::Io,
                     QStringLiteral("cannot open %1: %2").arg(name,
                         sysErrno ? QString::fromLocal8Bit(std::strerror(sysErrno)) : detail),
                     m_path);
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return Error(ErrorKind::Forbidden, QStringLiteral("access to %1 was denied (%2)").arg(name, detail), m_path);
    case SQLITE_FULL:
        return Error(ErrorKind::Io, QStringLiteral("cannot write to %1: the disk is full").arg(name), m_path);
    case SQLITE_IOERR:
        return Error(ErrorKind::Io,
                     QStringLiteral("I/O error on %1: %2%3")
                         .arg(name, detail,
                              sysErrno ? QStringLiteral(" (%1)").arg(QString::fromLocal8Bit(std::strerror(sysErrno)))
                                       : QString()),
                     m_path);
    case SQLITE_TOOBIG:
        return Error(ErrorKind::TooLarge, QStringLiteral("the value is too large for SQLite"), m_path);
    default:
        return Error(ErrorKind::Internal, QStringLiteral("SQLite failed: %1").arg(detail), m_path);
    }
}

// SQLite's own errno is often that of its last fallback (a read-only open
// that found no file), so look at the file system directly.
std::optional<Error> Connection::permissionProblem() const
{
    const QFileInfo file(m_path);
    const QFileInfo dir(file.absolutePath());
    const QString name = file.fileName();
    if (!file.exists()) {
        if (!dir.isWritable())
            return Error(ErrorKind::Forbidden,
                         QStringLiteral("cannot create %1: the directory %2 is not writable for this user")
                             .arg(name, dir.filePath()),
                         m_path);
        return std::nullopt;
    }
    if (!file.isReadable())
        return Error(ErrorKind::Forbidden,
                     QStringLiteral("cannot read %1: permission denied for this user").arg(name), m_path);
    if (!dir.isWritable() && !QFileInfo::exists(m_path + QStringLiteral("-shm")))
        return Error(ErrorKind::Forbidden,
                     QStringLiteral("cannot open %1: its directory %2 is not writable for this user, and SQLite "
                                    "must create %1-shm there to read a database in WAL mode")
                         .arg(name, dir.filePath()),
                     m_path);
    if (!file.isWritable())
        return Error(ErrorKind::Forbidden,
                     QStringLiteral("%1 is read-only for this user; it can be read but not changed").arg(name),
                     m_path);
    return std::nullopt;
}

void Connection::exec(const char *sql)
{
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
        fail(rc);
}

Query Connection::prepare(const QByteArray &sql)
{
    sqlite3_stmt *&stmt = m_statements[sql];
    if (!stmt) {
        const int rc = sqlite3_prepare_v3(m_db, sql.constData(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                          nullptr);
        if (rc != SQLITE_OK) {
            m_statements.remove(sql);
            fail(rc);
        }
    }
    return Query(stmt);
}

bool Connection::next(Query &q)
{
    const int rc = q.step();
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    fail(rc);
}

qint64 Connection::meta(const char *name)
{
    Query q = prepare("SELECT value FROM meta WHERE name = ?1");
    q.bindText(1, QByteArray(name));
    if (!next(q))
        throw Failure{Error(ErrorKind::Unavailable,
                            QStringLiteral("the statedeck schema in %1 is damaged (no \"%2\" in its meta table)")
                                .arg(QFileInfo(m_path).fileName(), QLatin1String(name)),
                            m_path)};
    return q.integer(0);
}

void Connection::setMeta(const char *name, qint64 value)
{
    Query q = prepare("UPDATE meta SET value = ?2 WHERE name = ?1");
    q.bindText(1, QByteArray(name));
    q.bind(2, value);
    run(q);
}

std::optional<qint64> Connection::entryRevision(const QByteArray &key)
{
    Query q = prepare("SELECT revision FROM entries WHERE key = ?1");
    q.bindText(1, key);
    if (!next(q))
        return std::nullopt;
    return q.integer(0);
}

void Connection::checkPrecondition(const QString &key, std::optional<qint64> current, const Precondition &pre)
{
    switch (pre.kind) {
    case Precondition::Kind::None:
        return;
    case Precondition::Kind::MustNotExist:
        if (current)
            throw Failure{Error(ErrorKind::AlreadyExists,
                                QStringLiteral("the key already exists (revision %1) and the write required that "
                                               "it did not; nothing was changed")
                                    .arg(*current),
                                keyWhere(key))};
        return;
    case Precondition::Kind::Revision:
        if (!current)
            throw Failure{Error(ErrorKind::Conflict,
                                QStringLiteral("expected revision %1, but the key does not exist (it was deleted or "
                                               "never created); nothing was changed")
                                    .arg(pre.revision),
                                keyWhere(key))};
        if (QString::number(*current) != pre.revision)
            throw Failure{Error(ErrorKind::Conflict,
                                QStringLiteral("expected revision %1, but the key is at revision %2: someone else "
                                               "changed it first; read it again and retry")
                                    .arg(pre.revision)
                                    .arg(*current),
                                keyWhere(key))};
        return;
    }
}

void Connection::logChange(qint64 revision, const QByteArray &key, ChangeType type, const QString &encoding,
                           qint64 updated, const QByteArray &labels, const QByteArray *value)
{
    Query q = prepare("INSERT INTO changes(revision, key, type, encoding, updated, labels, size, value) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    q.bind(1, revision);
    q.bindText(2, key);
    q.bind(3, type);
    q.bindTextOrNull(4, encoding.toUtf8());
    q.bind(5, updated);
    q.bindTextOrNull(6, labels);
    q.bind(7, value ? value->size() : 0);
    if (value)
        q.bindBlob(8, *value);
    else
        q.bindNull(8);
    run(q);
}

void Connection::compact(qint64 revision, qsizetype written, int historyLimit)
{
    const qint64 compacted = meta("compacted");
    // A little slack so the DELETE runs once every limit/64 writes, not on
    // every write.
    const qint64 slack = historyLimit / 64;
    if (revision - compacted <= historyLimit + slack && written < kBigValue)
        return;
    qint64 cutoff = std::max<qint64>(revision - historyLimit, 0);
    {
        Query q = prepare("SELECT revision, size FROM changes WHERE revision > ?1 ORDER BY revision DESC");
        q.bind(1, std::max(cutoff, compacted));
        qint64 total = 0;
        while (next(q)) {
            total += q.integer(1);
            // The newest change always stays, however large.
            if (total > kLogByteBudget && q.integer(0) < revision) {
                cutoff = std::max(cutoff, q.integer(0));
                break;
            }
        }
    }
    if (cutoff <= compacted)
        return;
    Query del = prepare("DELETE FROM changes WHERE revision <= ?1");
    del.bind(1, cutoff);
    run(del);
    setMeta("compacted", cutoff);
}

Entry Connection::entryFromRow(const Query &q, int first, const QString &key, bool withValue, bool listing)
{
    Entry e;
    e.key = key;
    e.encoding = encodingOf(q.text(first), key);
    e.revision = QString::number(q.integer(first + 1));
    e.updated = QDateTime::fromMSecsSinceEpoch(q.integer(first + 2), Qt::UTC);
    e.labels = labelsFromJson(q.bytes(first + 3));
    if (withValue) {
        e.raw = q.bytes(first + 4);
        if (!listing) {
            e.value = decodeOrThrow(e.raw, e.encoding, key);
        } else if (Result<Json> value = decodeValue(e.raw, e.encoding, keyWhere(key))) {
            e.value = std::move(value).value();
        } else {
            // Listed as the text it is, and said loudly.
            const Entry asBytes = entryFromBytes(key, e.raw);
            e.value = asBytes.value;
            e.encoding = asBytes.encoding;
            e.labels.insert(QStringLiteral("error"), value.error().toString());
        }
    }
    return e;
}

Result<Entry> Connection::get(const QString &key)
{
    return transact(Mode::Read, [&] {
        Query q = prepare("SELECT encoding, revision, updated, labels, value FROM entries WHERE key = ?1");
        q.bindText(1, key.toUtf8());
        if (!next(q))
            throw Failure{Error(ErrorKind::NotFound, QStringLiteral("the key does not exist"), keyWhere(key))};
        return entryFromRow(q, 0, key, true);
    });
}

Result<ListPage> Connection::list(const ListOptions &options)
{
    const int limit = options.limit <= 0 ? kDefaultPageSize : std::min(options.limit, kMaxPageSize);
    const QByteArray prefix = options.prefix.toUtf8();
    const QByteArray end = prefixEnd(prefix);
    std::optional<QByteArray> after;
    if (!options.cursor.isEmpty()) {
        after = decodeCursor(options.cursor);
        if (!after)
            return Error(ErrorKind::Invalid,
                         QStringLiteral("this cursor was not handed out by this store; start the listing again "
                                        "without a cursor"),
                         QStringLiteral("cursor"));
    }
    // One bound per side so SQLite walks the key index as a range; a cursor
    // behind the prefix is simply the prefix's start.
    const bool exclusive = after && *after >= prefix;
    QByteArray sql = options.keysOnly ? "SELECT key, encoding, revision, updated, labels FROM entries"
                                      : "SELECT key, encoding, revision, updated, labels, value FROM entries";
    sql += exclusive ? " WHERE key > ?1" : " WHERE key >= ?1";
    if (!end.isEmpty())
        sql += " AND key < ?2";
    sql += " ORDER BY key LIMIT ?3";

    return transact(Mode::Read, [&] {
        ListPage page;
        page.revision = QString::number(meta("revision"));
        Query q = prepare(sql);
        q.bindText(1, exclusive ? *after : prefix);
        if (!end.isEmpty())
            q.bindText(2, end);
        // One more than asked tells whether another page follows.
        q.bind(3, limit + 1);
        page.entries.reserve(limit);
        QByteArray lastKey;
        while (next(q)) {
            if (page.entries.size() == limit) {
                page.nextCursor = encodeCursor(lastKey);
                break;
            }
            lastKey = q.bytes(0);
            page.entries.append(entryFromRow(q, 1, QString::fromUtf8(lastKey), !options.keysOnly, true));
        }
        return page;
    });
}

Entry Connection::prepareWrite(const Entry &in)
{
    Entry out;
    out.key = in.key;
    out.encoding = in.encoding;
    out.labels = in.labels;
    out.raw = encodeValue(in);
    // Hand back what a later get will see, which for text and base64
    // encodings of non-string values differs from what came in.
    if (Result<Json> stored = decodeValue(out.raw, out.encoding, keyWhere(in.key)))
        out.value = std::move(stored).value();
    else
        out.value = in.value;
    return out;
}

Entry Connection::writeEntry(Entry out, std::optional<qint64> current, qint64 revision)
{
    const QByteArray key = out.key.toUtf8();
    const QString encoding = encodingName(out.encoding);
    const QByteArray labels = labelsToJson(out.labels);
    const qint64 updated = nowMs();
    Query q = prepare("INSERT INTO entries(key, encoding, revision, updated, labels, value) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                      "ON CONFLICT(key) DO UPDATE SET encoding = excluded.encoding, "
                      "revision = excluded.revision, updated = excluded.updated, labels = excluded.labels, "
                      "value = excluded.value");
    q.bindText(1, key);
    q.bindText(2, encoding.toUtf8());
    q.bind(3, revision);
    q.bind(4, updated);
    q.bindTextOrNull(5, labels);
    q.bindBlob(6, out.raw);
    run(q);
    logChange(revision, key, current ? ChangeModified : ChangeAdded, encoding, updated, labels, &out.raw);
    out.revision = QString::number(revision);
    out.updated = QDateTime::fromMSecsSinceEpoch(updated, Qt::UTC);
    return out;
}

Result<Entry> Connection::put(const Entry &in, const Precondition &pre, int historyLimit)
{
    const Entry out = prepareWrite(in);
    return transact(Mode::Write, [&] {
        const std::optional<qint64> current = entryRevision(out.key.toUtf8());
        checkPrecondition(out.key, current, pre);
        const qint64 revision = meta("revision") + 1;
        Entry result = writeEntry(out, current, revision);
        setMeta("revision", revision);
        compact(revision, out.raw.size(), historyLimit);
        return result;
    });
}

Result<QList<Result<Entry>>> Connection::putBatch(const QList<BatchItem> &items, int historyLimit)
{
    QList<Entry> prepared;
    prepared.reserve(items.size());
    for (const BatchItem &item : items)
        prepared << prepareWrite(item.entry);
    return transact(Mode::Write, [&] {
        QList<Result<Entry>> results;
        results.reserve(items.size());
        qint64 revision = meta("revision");
        qsizetype written = 0;
        for (qsizetype i = 0; i < items.size(); ++i) {
            // Only a precondition failure is the item's own; anything else
            // (disk full, corruption) propagates and rolls the batch back.
            const std::optional<qint64> current = entryRevision(prepared[i].key.toUtf8());
            try {
                checkPrecondition(prepared[i].key, current, items[i].precondition);
            } catch (const Failure &f) {
                results << f.error;
                continue;
            }
            // Each item takes its own revision and change-log row, exactly
            // as a put of its own would, so watches see every entry.
            results << writeEntry(prepared[i], current, ++revision);
            written += prepared[i].raw.size();
        }
        setMeta("revision", revision);
        compact(revision, written, historyLimit);
        return results;
    });
}

Status Connection::remove(const QString &key, const Precondition &pre, int historyLimit)
{
    const QByteArray k = key.toUtf8();
    return transact(Mode::Write, [&] {
        const std::optional<qint64> current = entryRevision(k);
        checkPrecondition(key, current, pre);
        if (!current)
            throw Failure{Error(ErrorKind::NotFound, QStringLiteral("the key does not exist"), keyWhere(key))};
        const qint64 revision = meta("revision") + 1;
        Query q = prepare("DELETE FROM entries WHERE key = ?1");
        q.bindText(1, k);
        run(q);
        logChange(revision, k, ChangeDeleted, QString(), nowMs(), QByteArray(), nullptr);
        setMeta("revision", revision);
        compact(revision, 0, historyLimit);
    });
}

Result<PollResult> Connection::poll(const QString &prefix, std::optional<qint64> from)
{
    const QByteArray lo = prefix.toUtf8();
    const QByteArray hi = prefixEnd(lo);
    return transact(Mode::Read, [&] {
        PollResult r;
        const qint64 current = meta("revision");
        if (!from) {
            r.last = current;
            return r;
        }
        const qint64 compacted = meta("compacted");
        // A revision ahead of the store means the file was replaced.
        if (*from < compacted || *from > current) {
            // Resync and Added events carry no revision: a consumer that
            // stops half-way through must not resume from this snapshot.
            Event resync;
            resync.type = Event::Type::Resync;
            r.events.append(resync);
            QByteArray sql = "SELECT key, encoding, revision, updated, labels, value FROM entries WHERE key >= ?1";
            if (!hi.isEmpty())
                sql += " AND key < ?2";
            sql += " ORDER BY key";
            Query q = prepare(sql);
            q.bindText(1, lo);
            if (!hi.isEmpty())
                q.bindText(2, hi);
            while (next(q)) {
                Event added;
                added.type = Event::Type::Added;
                added.entry = entryFromRow(q, 1, q.text(0), true);
                r.events.append(std::move(added));
            }
            Event done;
            done.type = Event::Type::ResyncDone;
            done.revision = QString::number(current);
            r.events.append(done);
            r.last = current;
            return r;
        }
        QByteArray sql = "SELECT revision, key, type, encoding, updated, labels, value FROM changes "
                         "WHERE revision > ?1 AND revision <= ?2 AND key >= ?3";
        if (!hi.isEmpty())
            sql += " AND key < ?4";
        sql += " ORDER BY revision LIMIT ?5";
        Query q = prepare(sql);
        q.bind(1, *from);
        q.bind(2, current);
        q.bindText(3, lo);
        if (!hi.isEmpty())
            q.bindText(4, hi);
        q.bind(5, kPollBatch);
        qint64 lastSeen = *from;
        while (next(q)) {
            Event e;
            lastSeen = q.integer(0);
            e.revision = QString::number(lastSeen);
            const auto type = int(q.integer(2));
            e.type = type == ChangeAdded      ? Event::Type::Added
                     : type == ChangeModified ? Event::Type::Modified
                                              : Event::Type::Deleted;
            if (e.type == Event::Type::Deleted) {
                e.entry.key = q.text(1);
                e.entry.revision = e.revision;
                e.entry.updated = QDateTime::fromMSecsSinceEpoch(q.integer(4), Qt::UTC);
            } else {
                e.entry.key = q.text(1);
                e.entry.encoding = encodingOf(q.text(3), e.entry.key);
                e.entry.revision = e.revision;
                e.entry.updated = QDateTime::fromMSecsSinceEpoch(q.integer(4), Qt::UTC);
                e.entry.labels = labelsFromJson(q.bytes(5));
                e.entry.raw = q.bytes(6);
                e.entry.value = decodeOrThrow(e.entry.raw, e.entry.encoding, e.entry.key);
            }
            r.events.append(std::move(e));
        }
        r.more = r.events.size() == kPollBatch;
        r.last = r.more ? lastSeen : current;
        return r;
    });
}

// The current entry, then the change log's earlier rows for the key, newest
// first, until a deletion or the end of the log. One read transaction, so
// a write in between cannot splice two histories together.
Result<QList<Entry>> Connection::history(const QString &key, int limit)
{
    const QByteArray k = key.toUtf8();
    return transact(Mode::Read, [&] {
        QList<Entry> out;
        qint64 current = 0;
        {
            Query q = prepare("SELECT encoding, revision, updated, labels, value FROM entries WHERE key = ?1");
            q.bindText(1, k);
            if (!next(q))
                throw Failure{Error(ErrorKind::NotFound, QStringLiteral("the key does not exist"), keyWhere(key))};
            out << entryFromRow(q, 0, key, true);
            current = q.integer(1);
        }
        // The log has no index on key: at most 10,000 rows are walked,
        // newest first, and the walk stops at the limit.
        Query q = prepare("SELECT revision, type, encoding, updated, labels, value FROM changes "
                          "WHERE key = ?1 AND revision < ?2 ORDER BY revision DESC LIMIT ?3");
        q.bindText(1, k);
        q.bind(2, current);
        q.bind(3, limit - 1);
        while (out.size() < limit && next(q)) {
            if (q.integer(1) == ChangeDeleted)
                break;
            Entry e;
            e.key = key;
            e.revision = QString::number(q.integer(0));
            e.encoding = encodingOf(q.text(2), key);
            e.updated = QDateTime::fromMSecsSinceEpoch(q.integer(3), Qt::UTC);
            e.labels = labelsFromJson(q.bytes(4));
            e.raw = q.bytes(5);
            e.value = decodeOrThrow(e.raw, e.encoding, key);
            out << std::move(e);
        }
        return out;
    });
}

Result<Lock> Connection::lock(const QString &name, const QString &owner, qint64 ttlMs)
{
    const QByteArray n = name.toUtf8();
    return transact(Mode::Write, [&] {
        const qint64 now = nowMs();
        {
            Query q = prepare("SELECT owner, token, expires FROM locks WHERE name = ?1");
            q.bindText(1, n);
            if (next(q) && q.integer(2) > now) {
                // Not re-entrant: two jobs sharing one provider must still
                // exclude each other.
                const QDateTime until = QDateTime::fromMSecsSinceEpoch(q.integer(2), Qt::UTC);
                throw Failure{Error(ErrorKind::Busy,
                                    QStringLiteral("the lock is held by %1 (fencing token %2) until %3; try again "
                                                   "after it is released or expires")
                                        .arg(q.text(0))
                                        .arg(q.integer(1))
                                        .arg(until.toString(Qt::ISODateWithMs)),
                                    lockWhere(name))};
            }
        }
        // One counter for all names, bumped inside the write transaction, so
        // a token is never handed out twice, even across processes.
        const qint64 token = meta("fencing") + 1;
        setMeta("fencing", token);
        const qint64 expires = now + ttlMs;
        Query q = prepare("INSERT OR REPLACE INTO locks(name, owner, token, expires) VALUES (?1, ?2, ?3, ?4)");
        q.bindText(1, n);
        q.bindText(2, owner.toUtf8());
        q.bind(3, token);
        q.bind(4, expires);
        run(q);
        Lock l;
        l.name = name;
        l.owner = owner;
        l.fencingToken = quint64(token);
        l.expires = QDateTime::fromMSecsSinceEpoch(expires, Qt::UTC);
        return l;
    });
}

Status Connection::unlock(const Lock &lock)
{
    const QByteArray n = lock.name.toUtf8();
    return transact(Mode::Write, [&] {
        Query q = prepare("SELECT owner, token FROM locks WHERE name = ?1");
        q.bindText(1, n);
        if (!next(q))
            throw Failure{Error(ErrorKind::Conflict,
                                QStringLiteral("you no longer hold this lock (fencing token %1): nobody holds it "
                                               "now")
                                    .arg(lock.fencingToken),
                                lockWhere(lock.name))};
        const QString owner = q.text(0);
        const auto token = quint64(q.integer(1));
        // An expired lock nobody has taken since is still ours to release.
        if (owner != lock.owner || token != lock.fencingToken)
            throw Failure{Error(ErrorKind::Conflict,
                                QStringLiteral("you no longer hold this lock: expected fencing token %1 held by %2, "
                                               "but it is held by %3 with fencing token %4")
                                    .arg(lock.fencingToken)
                                    .arg(lock.owner, owner)
                                    .arg(token),
                                lockWhere(lock.name))};
        Query del = prepare("DELETE FROM locks WHERE name = ?1");
        del.bindText(1, n);
        run(del);
    });
}

Result<Lock> Connection::renew(const Lock &lock, qint64 ttlMs)
{
    const QByteArray n = lock.name.toUtf8();
    return transact(Mode::Write, [&] {
        Query q = prepare("SELECT owner, token FROM locks WHERE name = ?1");
        q.bindText(1, n);
        const bool held = next(q);
        // An expired lock nobody has taken since is still ours to renew.
        if (!held || q.text(0) != lock.owner || quint64(q.integer(1)) != lock.fencingToken)
            throw Failure{Error(ErrorKind::Conflict,
                                held ? QStringLiteral("the lock was lost: it is held by %1 with fencing token %2 now")
                                           .arg(q.text(0))
                                           .arg(q.integer(1))
                                     : QStringLiteral("the lock was lost: nobody holds it now"),
                                lockWhere(lock.name))};
        Lock l = lock;
        const qint64 expires = nowMs() + ttlMs;
        Query up = prepare("UPDATE locks SET expires = ?2 WHERE name = ?1");
        up.bindText(1, n);
        up.bind(2, expires);
        run(up);
        l.expires = QDateTime::fromMSecsSinceEpoch(expires, Qt::UTC);
        return l;
    });
}

// Shown to whoever finds the lock busy, so it says who and where to look:
// "alice@host pid 4242 #1". The number tells providers of one process apart.
QString newOwnerId()
{
    static std::atomic<int> counter{0};
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty())
        user = qEnvironmentVariable("LOGNAME");
    if (user.isEmpty())
        user = QStringLiteral("uid%1").arg(getuid());
    return QStringLiteral("%1@%2 pid %3 #%4")
        .arg(user, QSysInfo::machineHostName())
        .arg(QCoreApplication::applicationPid())
        .arg(++counter);
}

} // namespace

// Tells watches on other providers in this process that a file changed, so
// they poll at once instead of on their next tick.
class ChangeHub : public QObject {
    Q_OBJECT
public:
    void notify(const QString &path) { Q_EMIT changed(path); }

Q_SIGNALS:
    void changed(const QString &path);
};

namespace {
Q_GLOBAL_STATIC(ChangeHub, changeHub)
} // namespace

struct Shared {
    explicit Shared(QString p) : path(std::move(p)), owner(newOwnerId()), conn(path) {}

    const QString path; // absolute; also how watches recognise the same file
    const QString owner;
    std::atomic<int> historyLimit{SqliteProvider::kDefaultHistoryLimit};
    int pollIntervalMs = kPollIntervalMs; // read on the caller's thread only
    Connection conn;
    // Declared last so it is destroyed first: its destructor waits for the
    // jobs that still use `conn`.
    SerialWorker worker;
};

namespace {

// Runs `job` on the provider's worker (SerialWorker::run explains why its
// future is promise-backed rather than QtConcurrent's).
template <typename F>
auto submit(Shared *s, F job) -> QFuture<std::invoke_result_t<F>>
{
    return s->worker.run(std::move(job));
}

class SqliteWatch : public Watch {
public:
    SqliteWatch(std::shared_ptr<Shared> shared, QString prefix, std::optional<qint64> from,
                std::optional<Error> invalid)
        : m_shared(std::move(shared)), m_prefix(std::move(prefix)), m_last(from),
          m_baseInterval(m_shared->pollIntervalMs), m_interval(m_baseInterval)
    {
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, [this] { poll(); });
        connect(m_pending, &QFutureWatcher<Result<PollResult>>::finished, this, [this] { finished(); });
        connect(changeHub(), &ChangeHub::changed, this, [this](const QString &path) {
            if (path == m_shared->path)
                poll();
        });
        if (invalid) {
            m_stopped = true;
            QTimer::singleShot(0, this, [this, e = *invalid] { Q_EMIT failed(e); });
            return;
        }
        // Queued now, ahead of any write this provider is asked for later,
        // so "from now" cannot miss one.
        poll();
    }

    ~SqliteWatch() override
    {
        // A consumer may destroy the watch from a slot connected to event(),
        // that is, while m_pending is still emitting finished().
        m_pending->deleteLater();
    }

private:
    void poll()
    {
        if (m_stopped)
            return;
        if (m_inFlight) {
            m_again = true;
            return;
        }
        m_timer.stop();
        m_inFlight = true;
        m_again = false;
        Shared *s = m_shared.get();
        m_pending->setFuture(submit(s, [s, prefix = m_prefix, from = m_last] { return s->conn.poll(prefix, from); }));
    }

    void finished()
    {
        m_inFlight = false;
        const Result<PollResult> r = m_pending->result();
        if (!r) {
            const ErrorKind kind = r.error().kind;
            if (kind == ErrorKind::Timeout || kind == ErrorKind::Io) {
                m_interval = std::max(m_baseInterval, std::min(m_interval * 2, kMaxPollIntervalMs));
                m_timer.start(m_interval);
                return;
            }
            m_stopped = true;
            Q_EMIT failed(r.error());
            return;
        }
        m_interval = m_baseInterval;
        m_last = r->last;
        // A slot may delete this watch while we emit.
        const QPointer<SqliteWatch> self(this);
        for (const Event &e : r->events) {
            Q_EMIT event(e);
            if (!self)
                return;
        }
        if (!m_readySent) {
            m_readySent = true;
            Q_EMIT ready();
            if (!self)
                return;
        }
        if (r->more || m_again)
            poll();
        else
            m_timer.start(m_interval);
    }

    // First member: destroyed last, after the timer.
    std::shared_ptr<Shared> m_shared;
    const QString m_prefix;
    std::optional<qint64> m_last; // empty until the first poll learns "now"
    QTimer m_timer;
    QFutureWatcher<Result<PollResult>> *m_pending = new QFutureWatcher<Result<PollResult>>;
    const int m_baseInterval;
    int m_interval;
    bool m_inFlight = false;
    bool m_again = false;
    bool m_stopped = false;
    bool m_readySent = false;
};

Status validateLockName(const QString &name)
{
    if (name.isEmpty())
        return Error(ErrorKind::Invalid, QStringLiteral("a lock name may not be empty"), QStringLiteral("lock"));
    for (QChar c : name) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return Error(ErrorKind::Invalid, QStringLiteral("a lock name may not contain control characters"),
                         lockWhere(QString(name).replace(QChar(0), QStringLiteral("\\0"))));
    }
    if (name.toUtf8().size() > 1024)
        return Error(ErrorKind::Invalid, QStringLiteral("a lock name may be at most 1024 bytes long"),
                     QStringLiteral("lock"));
    return {};
}

} // namespace
} // namespace sqlite

SqliteProvider::SqliteProvider(QString path, QObject *parent)
    : Provider(parent),
      m_shared(std::make_shared<sqlite::Shared>(QDir::cleanPath(QFileInfo(path).absoluteFilePath())))
{
    // Created here, on the caller's thread, rather than lazily by a worker.
    (void)sqlite::changeHub();
}

SqliteProvider::~SqliteProvider() = default;

QString SqliteProvider::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/statedeck/state.db");
}

QString SqliteProvider::path() const
{
    return m_shared->path;
}

void SqliteProvider::openReadOnly()
{
    m_shared->conn.setOpenReadOnly(true);
}

void SqliteProvider::setHistoryLimit(int changes)
{
    m_shared->historyLimit = std::max(1, changes);
}

void SqliteProvider::setPollInterval(std::chrono::milliseconds interval)
{
    m_shared->pollIntervalMs = int(std::clamp<qint64>(interval.count(), 10, 3600 * 1000));
}

QString SqliteProvider::scheme() const
{
    return QStringLiteral("sqlite");
}

QString SqliteProvider::describe() const
{
    return QStringLiteral("sqlite://") + m_shared->path;
}

Capabilities SqliteProvider::capabilities() const
{
    Capabilities caps;
    caps.watch = WatchKind::Poll;
    caps.compareAndSwap = true;
    caps.numericRevisions = true;
    caps.ttl = false;
    caps.locks = true;
    caps.transactions = true;
    caps.watchHistory = true;
    caps.keyHistory = true;
    return caps;
}

QFuture<Result<QList<Entry>>> SqliteProvider::history(const QString &key, int limit)
{
    if (Status valid = validateKey(key, capabilities()); !valid)
        return readyFuture(Result<QList<Entry>>(valid.error()));
    sqlite::Shared *s = m_shared.get();
    return sqlite::submit(s, [s, key, limit = std::max(1, limit)] { return s->conn.history(key, limit); });
}

QFuture<Result<ListPage>> SqliteProvider::list(const ListOptions &options)
{
    sqlite::Shared *s = m_shared.get();
    return sqlite::submit(s, [s, options] { return s->conn.list(options); });
}

QFuture<Result<Entry>> SqliteProvider::get(const QString &key)
{
    if (Status valid = validateKey(key, capabilities()); !valid)
        return readyFuture(Result<Entry>(valid.error()));
    sqlite::Shared *s = m_shared.get();
    return sqlite::submit(s, [s, key] { return s->conn.get(key); });
}

QFuture<Result<Entry>> SqliteProvider::put(const Entry &entry, const Precondition &pre)
{
    if (Status valid = validateKey(entry.key, capabilities()); !valid)
        return readyFuture(Result<Entry>(valid.error()));
    sqlite::Shared *s = m_shared.get();
    return sqlite::submit(s, [s, entry, pre] {
        Result<Entry> r = s->conn.put(entry, pre, s->historyLimit);
        if (r)
            sqlite::changeHub()->notify(s->path);
        return r;
    });
}

QFuture<BatchResult> SqliteProvider::putBatch(const QList<BatchItem> &items)
{
    // Refused items are answered here and never reach the transaction.
    BatchResult answer;
    answer.results.resize(items.size());
    QList<BatchItem> valid;
    QList<qsizetype> slots;
    const Capabilities caps = capabilities();
    for (qsizetype i = 0; i < items.size(); ++i) {
        if (Status ok = validateBatchItem(items[i].entry, caps); !ok) {
            answer.results[i] = ok.error();
        } else {
            valid << items[i];
            slots << i;
        }
    }
    if (valid.isEmpty())
        return readyFuture(std::move(answer));
    sqlite::Shared *s = m_shared.get();
    return sqlite::submit(s, [s, valid = std::move(valid), slots = std::move(slots), answer = std::move(answer)]() mutable {
        Result<QList<Result<Entry>>> r = s->conn.putBatch(valid, s->historyLimit);
        for (qsizetype j = 0; j < slots.size(); ++j)
            answer.results[slots[j]] = r.ok() ? r.value()[j] : Result<Entry>(r.error());
        if (r.ok() && answer.failed() < answer.results.size())
            sqlite::changeHub()->notify(s->path);
        return answer;
    });
}

QFuture<Status> SqliteProvider::remove(const QString &key, const Precondition &pre)
{
    if (Status valid = validateKey(key, capabilities()); !valid)
        return readyFuture(Status(valid.error()));
    sqlite::Shared *s = m_shared.get();
    return sqlite::submit(s, [s, key, pre] {
        Status r = s->conn.remove(key, pre, s->historyLimit);
        if (r)
            sqlite::changeHub()->notify(s->path);
        return r;
    });
}

std::unique_ptr<Watch> SqliteProvider::watch(const QString &prefix, const QString &fromRevision)
{
    std::optional<qint64> from;
    std::optional<Error> invalid;
    if (!fromRevision.isEmpty()) {
        bool ok = false;
        const qint64 r = fromRevision.toLongLong(&ok);
        if (ok && r >= 0)
            from = r;
        else
            invalid = Error(ErrorKind::Invalid,
                            QStringLiteral("\"%1\" is not a revision of this store (a revision here is a "
                                           "non-negative decimal number)")
                                .arg(fromRevision),
                            QStringLiteral("revision"));
    }
    return std::make_unique<sqlite::SqliteWatch>(m_shared, prefix, from, invalid);
}

QFuture<Result<Lock>> SqliteProvider::lock(const QString &name, std::chrono::milliseconds ttl)
{
    if (Status valid = sqlite::validateLockName(name); !valid)
        return readyFuture(Result<Lock>(valid.error()));
    if (ttl.count() <= 0)
        return readyFuture(Result<Lock>(Error(ErrorKind::Invalid,
                                              QStringLiteral("a lock needs a time to live above zero"),
                                              sqlite::lockWhere(name))));
    sqlite::Shared *s = m_shared.get();
    return sqlite::submit(s, [s, name, ttl = qint64(ttl.count())] { return s->conn.lock(name, s->owner, ttl); });
}

QFuture<Status> SqliteProvider::unlock(const Lock &lock)
{
    if (Status valid = sqlite::validateLockName(lock.name); !valid)
        return readyFuture(Status(valid.error()));
    sqlite::Shared *s = m_shared.get();
    return sqlite::submit(s, [s, lock] { return s->conn.unlock(lock); });
}

QFuture<Result<Lock>> SqliteProvider::renew(const Lock &lock, std::chrono::milliseconds ttl)
{
    if (ttl.count() <= 0)
        return readyFuture(Result<Lock>(Error(ErrorKind::Invalid, QStringLiteral("a lock needs a time to live above zero"),
                                              sqlite::lockWhere(lock.name))));
    sqlite::Shared *s = m_shared.get();
    return sqlite::submit(s, [s, lock, ttl = qint64(ttl.count())] { return s->conn.renew(lock, ttl); });
}

} // namespace sd

#include "SqliteProvider.moc"
