#include "console/ConnectionEditor.h"

#include "config/ConfigNode.h"
#include "config/ConnectionsFile.h"
#include "config/StoreUrl.h"
#include "model/Json.h"
#include "providers/Backends.h"
#include "providers/Provider.h"
#include "providers/yaml/YamlDocumentEditor.h"
#include "util/AtomicFile.h"
#include "util/Async.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPointer>
#include <QPromise>
#include <QRegularExpression>
#include <QTimer>

#include <memory>
#include <optional>
#include <utility>

namespace sd::console {
namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("sd::console::ConnectionEditor", text);
}

const QStringList kConnectionsPath = {QStringLiteral("connections")};

QStringList pathOf(const QString &name, const char *field = nullptr)
{
    QStringList p{QStringLiteral("connections"), name};
    if (field)
        p << QString::fromLatin1(field);
    return p;
}

bool isTrue(const ConfigNode *n)
{
    if (!n || !n->isScalar() || n->quoted)
        return false;
    const QString v = n->scalar.trimmed().toLower();
    return v == QLatin1String("true") || v == QLatin1String("yes") || v == QLatin1String("on");
}

// The connections map of a parsed file; nullptr when there is none.
const ConfigNode *connectionsOf(const ConfigNode &root)
{
    const ConfigNode *c = root.get(QStringLiteral("connections"));
    return c && c->isMap() ? c : nullptr;
}

Result<ConfigNode> parse(const QByteArray &text, const QString &path)
{
    if (text.trimmed().isEmpty())
        return ConfigNode{};
    return parseConfigYaml(text, path);
}

// The text with the key of connection `from` renamed to `to` where it is
// written, so the connection keeps its place and its comments.
Result<QByteArray> renamed(const QByteArray &text, const ConfigNode &connection, const QString &to)
{
    QList<QByteArray> lines = text.split('\n');
    const int line = connection.keyLine - 1;
    if (line < 0 || line >= lines.size())
        return Error(ErrorKind::Internal, tr("cannot find where connection \"%1\" is written").arg(connection.key));
    QByteArray &l = lines[line];
    const int start = connection.keyColumn - 1;
    if (start < 0 || start >= l.size())
        return Error(ErrorKind::Internal, tr("cannot find where connection \"%1\" is written").arg(connection.key));
    int end = start;
    const char quote = l.at(start);
    if (quote == '"' || quote == '\'') {
        end = l.indexOf(quote, start + 1);
        if (end < 0)
            return Error(ErrorKind::Internal, tr("cannot find where connection \"%1\" is written").arg(connection.key));
        ++end;
    } else {
        while (end < l.size() && l.at(end) != ':')
            ++end;
        while (end > start && (l.at(end - 1) == ' ' || l.at(end - 1) == '\t'))
            --end;
    }
    l = l.left(start) + to.toUtf8() + l.mid(end);
    return lines.join('\n');
}

// A set or a removal of one field, whichever the draft asks for.
Result<QByteArray> withField(const QByteArray &text, const QString &path, const QStringList &at, const Json *value)
{
    Result<YamlDocumentEditor> doc = YamlDocumentEditor::open(text, path);
    if (!doc.ok())
        return doc.error();
    if (value)
        return doc->set(at, *value);
    if (!doc->valueAt(at).ok())
        return text; // not there: nothing to remove
    return doc->remove(at);
}

} // namespace

Result<ConnectionEditor> ConnectionEditor::load(const QString &path)
{
    ConnectionEditor e;
    e.m_path = path.isEmpty() ? ConnectionsFile::defaultPath() : path;
    Result<QByteArray> bytes = readWholeFile(e.m_path);
    if (bytes.ok()) {
        e.m_text = bytes.value();
        e.m_existed = true;
    } else if (bytes.error().kind != ErrorKind::NotFound) {
        return bytes.error();
    }
    Result<ConnectionsFile> file = ConnectionsFile::parse(e.m_text, e.m_path);
    if (!file.ok())
        return Error(file.error().kind,
                     tr("%1; mend the file before editing connections here").arg(file.error().message),
                     file.error().where);
    return e;
}

QStringList ConnectionEditor::names() const
{
    Result<ConnectionsFile> file = ConnectionsFile::parse(m_text, m_path);
    return file.ok() ? file->names() : QStringList();
}

Result<ConnectionDraft> ConnectionEditor::draft(const QString &name) const
{
    Result<ConfigNode> root = parse(m_text, m_path);
    if (!root.ok())
        return root.error();
    const ConfigNode *all = connectionsOf(root.value());
    const ConfigNode *c = all ? all->get(name) : nullptr;
    if (!c)
        return Error(ErrorKind::NotFound, tr("no connection named \"%1\"").arg(name), m_path);
    ConnectionDraft d;
    d.name = name;
    auto scalar = [c](const char *field) {
        const ConfigNode *n = c->get(QString::fromLatin1(field));
        return n && n->isScalar() ? n->scalar : QString();
    };
    d.url = scalar("url");
    d.description = scalar("description");
    d.color = scalar("color").trimmed();
    d.readOnly = isTrue(c->get(QStringLiteral("readOnly")));
    d.production = isTrue(c->get(QStringLiteral("production")));
    d.sensitive = isTrue(c->get(QStringLiteral("sensitive")));
    if (c->get(QStringLiteral("workerConfig")))
        d.otherStore = QStringLiteral("workerConfig: %1").arg(scalar("workerConfig"));
    else if (c->get(QStringLiteral("state_management")))
        d.otherStore = QStringLiteral("state_management: %1")
                           .arg(c->get(QStringLiteral("state_management"))->isScalar() ? scalar("state_management")
                                                                                       : tr("(a block)"));
    else if (c->get(QStringLiteral("backend")))
        d.otherStore = QStringLiteral("backend: %1").arg(scalar("backend"));
    return d;
}

QList<FieldProblem> ConnectionEditor::check(const ConnectionDraft &d, const QString &editing) const
{
    QList<FieldProblem> out;
    static const QRegularExpression nameRe(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]*$"));
    if (d.name.isEmpty())
        out << FieldProblem{QStringLiteral("name"), tr("a connection needs a name")};
    else if (!nameRe.match(d.name).hasMatch())
        out << FieldProblem{QStringLiteral("name"),
                            tr("use letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit")};
    else if (d.name != editing && names().contains(d.name))
        out << FieldProblem{QStringLiteral("name"), tr("a connection named \"%1\" exists already").arg(d.name)};

    if (d.otherStore.isEmpty()) {
        if (d.url.trimmed().isEmpty())
            out << FieldProblem{QStringLiteral("url"), tr("give the store's URL or path, e.g. redis://localhost:6379")};
        else if (!d.url.contains(QLatin1String("${"))) {
            // ${VAR} is expanded when the connection is used, so a URL that
            // holds one is checked then (and by Test), not while typing.
            Result<StoreSpec> spec = parseStoreUrl(d.url.trimmed(), QFileInfo(m_path).absolutePath());
            if (!spec.ok())
                out << FieldProblem{QStringLiteral("url"), spec.error().message};
        }
    }

    static const QRegularExpression colourRe(QStringLiteral("^#[0-9A-Fa-f]{6}$"));
    if (!d.color.isEmpty() && !colourRe.match(d.color).hasMatch())
        out << FieldProblem{QStringLiteral("color"), tr("a colour is written #rrggbb, e.g. #c0392b")};
    return out;
}

Result<QByteArray> ConnectionEditor::textWith(const ConnectionDraft &d, const QString &editing) const
{
    const QList<FieldProblem> problems = check(d, editing);
    if (!problems.isEmpty())
        return Error(ErrorKind::Invalid,
                     problems.first().field.isEmpty()
                         ? problems.first().message
                         : QStringLiteral("%1: %2").arg(problems.first().field, problems.first().message),
                     d.name);

    QByteArray text = m_text;
    if (editing.isEmpty()) {
        // A new connection: one block, its fields in the order the file
        // documents them.
        Json block = Json::object();
        if (!d.description.isEmpty())
            block["description"] = toStd(d.description);
        block["url"] = toStd(d.url.trimmed());
        if (d.readOnly)
            block["readOnly"] = true;
        if (d.production)
            block["production"] = true;
        if (d.sensitive)
            block["sensitive"] = true;
        if (!d.color.isEmpty())
            block["color"] = toStd(d.color.toLower());
        Result<YamlDocumentEditor> doc = YamlDocumentEditor::open(text, m_path);
        if (!doc.ok())
            return doc.error();
        Result<QByteArray> added = doc->set(pathOf(d.name), block);
        if (!added.ok())
            return added.error();
        text = added.value();
    } else {
        Result<ConfigNode> root = parse(text, m_path);
        if (!root.ok())
            return root.error();
        const ConfigNode *all = connectionsOf(root.value());
        const ConfigNode *c = all ? all->get(editing) : nullptr;
        if (!c)
            return Error(ErrorKind::NotFound,
                         tr("connection \"%1\" is no longer in the file; reload it").arg(editing), m_path);
        QString name = editing;
        if (d.name != editing) {
            Result<QByteArray> r = renamed(text, *c, d.name);
            if (!r.ok())
                return r.error();
            text = r.value();
            name = d.name;
            const ConfigNode *current = root->get(QStringLiteral("current"));
            if (current && current->isScalar() && current->scalar == editing) {
                const Json to = toStd(d.name);
                Result<QByteArray> cur = withField(text, m_path, {QStringLiteral("current")}, &to);
                if (!cur.ok())
                    return cur.error();
                text = cur.value();
            }
        }
        auto field = [&](const char *key, std::optional<Json> value) -> Status {
            Result<QByteArray> r = withField(text, m_path, pathOf(name, key), value ? &*value : nullptr);
            if (!r.ok())
                return r.error();
            text = r.value();
            return {};
        };
        auto text_ = [](const QString &s) { return s.isEmpty() ? std::optional<Json>() : std::optional<Json>(toStd(s)); };
        auto flag = [](bool on) { return on ? std::optional<Json>(true) : std::optional<Json>(); };
        const QList<std::pair<const char *, std::optional<Json>>> fields{
            {"description", text_(d.description)},
            {"url", d.otherStore.isEmpty() ? text_(d.url.trimmed()) : std::optional<Json>()},
            {"readOnly", flag(d.readOnly)},
            {"production", flag(d.production)},
            {"sensitive", flag(d.sensitive)},
            {"color", text_(d.color.toLower())},
        };
        for (const auto &[key, value] : fields) {
            if (!d.otherStore.isEmpty() && qstrcmp(key, "url") == 0)
                continue; // the store stays as written
            if (Status s = field(key, value); !s.ok())
                return s.error();
        }
    }
    // The proof: the new text reads back as a connections file holding the
    // draft.
    Result<ConnectionsFile> file = ConnectionsFile::parse(text, m_path);
    if (!file.ok())
        return Error(file.error().kind, tr("the change would break the file: %1").arg(file.error().message),
                     file.error().where);
    if (!file->contains(d.name))
        return Error(ErrorKind::Internal, tr("connection \"%1\" did not read back").arg(d.name), m_path);
    return text;
}

Result<QByteArray> ConnectionEditor::textWithout(const QString &name) const
{
    if (!names().contains(name))
        return Error(ErrorKind::NotFound, tr("no connection named \"%1\"").arg(name), m_path);
    Result<QByteArray> text = withField(m_text, m_path, pathOf(name), nullptr);
    if (!text.ok())
        return text.error();
    Result<ConfigNode> root = parse(text.value(), m_path);
    if (root.ok()) {
        const ConfigNode *current = root->get(QStringLiteral("current"));
        if (current && current->isScalar() && current->scalar == name)
            text = withField(text.value(), m_path, {QStringLiteral("current")}, nullptr);
    }
    if (!text.ok())
        return text.error();
    Result<ConnectionsFile> file = ConnectionsFile::parse(text.value(), m_path);
    if (!file.ok())
        return Error(file.error().kind, tr("the change would break the file: %1").arg(file.error().message),
                     file.error().where);
    return text;
}

Status ConnectionEditor::save(const ConnectionDraft &draft, const QString &editing)
{
    Result<QByteArray> text = textWith(draft, editing);
    if (!text.ok())
        return text.error();
    return write(text.value());
}

Status ConnectionEditor::remove(const QString &name)
{
    Result<QByteArray> text = textWithout(name);
    if (!text.ok())
        return text.error();
    return write(text.value());
}

Status ConnectionEditor::write(const QByteArray &text)
{
    Result<QByteArray> onDisk = readWholeFile(m_path);
    const bool exists = onDisk.ok();
    if (!exists && onDisk.error().kind != ErrorKind::NotFound)
        return onDisk.error();
    if (exists != m_existed || (exists && onDisk.value() != m_text))
        return Error(ErrorKind::Conflict,
                     tr("connections.yaml changed on disk since it was read; nothing was written. Reload the "
                        "connections and make the change again"),
                     m_path);
    if (!exists) {
        // A new file may come to hold passwords: readable by its owner only.
        if (!QDir().mkpath(QFileInfo(m_path).absolutePath()))
            return Error(ErrorKind::Io, tr("cannot create the folder of %1").arg(m_path), m_path);
        QFile f(m_path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly))
            return Error(ErrorKind::Io, tr("cannot create %1: %2").arg(m_path, f.errorString()), m_path);
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    }
    if (Status s = writeFileAtomically(m_path, text); !s.ok())
        return s;
    m_text = text;
    m_existed = true;
    return {};
}

namespace {

// Keeps the provider of a connection test alive until its page (or the
// timeout) answers, then goes.
class ConnectionProbe : public QObject {
public:
    ConnectionProbe(std::unique_ptr<Provider> provider, std::chrono::milliseconds timeout)
        : m_provider(std::move(provider))
    {
        m_promise.start();
        QTimer::singleShot(timeout, this, [this, timeout] {
            finish(Error(ErrorKind::Timeout,
                         tr("no answer within %1 s").arg(std::chrono::duration<double>(timeout).count()),
                         m_provider->describe()));
        });
    }
    QFuture<Result<QString>> future() { return m_promise.future(); }

    void run()
    {
        ListOptions o;
        o.limit = 50;
        o.keysOnly = true;
        QPointer<ConnectionProbe> self(this);
        m_provider->list(o).then(this, [self](Result<ListPage> page) {
            if (!self)
                return;
            if (!page.ok())
                return self->finish(page.error());
            const qsizetype n = page->entries.size();
            const QString what = self->m_provider->describe();
            if (n == 0)
                return self->finish(tr("%1 answered; it holds no keys yet").arg(what));
            if (!page->nextCursor.isEmpty())
                return self->finish(tr("%1 answered; the first %2 keys read").arg(what).arg(n));
            self->finish(n == 1 ? tr("%1 answered with 1 key").arg(what) : tr("%1 answered with %2 keys").arg(what).arg(n));
        });
    }

private:
    static QString tr(const char *text) { return QCoreApplication::translate("sd::console::ConnectionEditor", text); }
    void finish(Result<QString> r)
    {
        if (m_done)
            return;
        m_done = true;
        m_promise.addResult(std::move(r));
        m_promise.finish();
        deleteLater();
    }

    std::unique_ptr<Provider> m_provider;
    QPromise<Result<QString>> m_promise;
    bool m_done = false;
};

} // namespace

QFuture<Result<QString>> ConnectionEditor::test(const ConnectionDraft &draft, const QString &editing,
                                                std::chrono::milliseconds timeout) const
{
    auto failed = [](Error e) { return readyFuture(Result<QString>(std::move(e))); };
    Result<QByteArray> text = textWith(draft, editing);
    if (!text.ok())
        return failed(text.error());
    Result<ConnectionsFile> file = ConnectionsFile::parse(text.value(), m_path);
    if (!file.ok())
        return failed(file.error());
    Result<StoreSpec> spec = file->spec(draft.name);
    if (!spec.ok())
        return failed(spec.error());
    Result<std::unique_ptr<Provider>> provider = openProvider(spec.value());
    if (!provider.ok())
        return failed(provider.error());
    auto *probe = new ConnectionProbe(std::move(provider).value(), timeout);
    QFuture<Result<QString>> f = probe->future();
    probe->run();
    return f;
}

} // namespace sd::console
