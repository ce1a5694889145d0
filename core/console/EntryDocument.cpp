#include "console/EntryDocument.h"

#include "console/LineDiff.h"
#include "console/Session.h"
#include "model/Codec.h"
#include "transfer/Checkpoint.h"
#include "util/YamlJson.h"

#include <QDir>
#include <QFile>

#include <QCoreApplication>
#include <QRegularExpression>

namespace sd::console {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("EntryDocument", text);
}

QString placeholder()
{
    return tr("•••••• (a secret value: reveal it to see or edit it)");
}

// "where:12:5" -> line 12, column 5.
void locate(const Error &e, EntryDocument::Validation *v)
{
    static const QRegularExpression tail(QStringLiteral(":(\\d+):(\\d+)$"));
    const auto m = tail.match(e.where);
    if (m.hasMatch()) {
        v->line = m.captured(1).toInt();
        v->column = m.captured(2).toInt();
    }
}

QStringList linesOf(const QString &text)
{
    QStringList lines = text.split(QLatin1Char('\n'));
    if (text.endsWith(QLatin1Char('\n')))
        lines.removeLast();
    return lines;
}

// The paths a JSON patch touches, as pointer segments.
QList<QStringList> touched(const Json &patch)
{
    QList<QStringList> out;
    for (const Json &op : patch) {
        const QString path = toQString(op.value("path", std::string()));
        out.append(path.split(QLatin1Char('/')).mid(1));
        if (op.contains("from"))
            out.append(toQString(op.value("from", std::string())).split(QLatin1Char('/')).mid(1));
    }
    return out;
}

bool isPrefixOf(const QStringList &a, const QStringList &b)
{
    if (a.size() > b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i)
        if (a[i] != b[i])
            return false;
    return true;
}

// Two edits of `base` overlap when one touches a member inside (or equal
// to) what the other touches, or both touch one array: array patches are
// positional, so an index on one side means another element on the other.
bool overlaps(const Json &base, const Json &mine, const Json &theirs)
{
    const QList<QStringList> a = touched(mine);
    const QList<QStringList> b = touched(theirs);
    for (const QStringList &x : a) {
        for (const QStringList &y : b) {
            if (isPrefixOf(x, y) || isPrefixOf(y, x))
                return true;
            const qsizetype common = std::min(x.size(), y.size());
            QStringList parent;
            for (qsizetype i = 0; i < common && x[i] == y[i]; ++i)
                parent << x[i];
            Json::json_pointer ptr;
            for (const QString &s : parent)
                ptr /= toStd(s);
            if (base.contains(ptr) && base.at(ptr).is_array())
                return true;
        }
    }
    return false;
}

} // namespace

EntryDocument::EntryDocument(Session *session, QObject *parent) : QObject(parent), m_session(session) {}

QString EntryDocument::render(const Json &value, Format format)
{
    switch (format) {
    case Format::Json:
        return toQString(value.dump(2, ' ', false, Json::error_handler_t::replace)) + QLatin1Char('\n');
    case Format::Yaml:
        return QString::fromUtf8(jsonToYaml(value));
    case Format::Text:
        if (value.is_string())
            return toQString(value.get<std::string>());
        return toQString(value.dump(2, ' ', false, Json::error_handler_t::replace)) + QLatin1Char('\n');
    }
    return {};
}

QString EntryDocument::fileExtension(Format format)
{
    switch (format) {
    case Format::Json: return QStringLiteral("json");
    case Format::Yaml: return QStringLiteral("yaml");
    case Format::Text: return QStringLiteral("txt");
    }
    return QStringLiteral("txt");
}

Result<QString> EntryDocument::keepMineAside() const
{
    if (sensitive())
        return Error(ErrorKind::Forbidden, tr("a secret value is never written to a file in clear"), m_key);
    const QString dir = stateDirectory() + QStringLiteral("/edits");
    if (!QDir().mkpath(dir))
        return Error(ErrorKind::Io, tr("cannot create the folder for kept edits"), dir);
    QString safe = m_key;
    safe.replace(QLatin1Char('/'), QLatin1Char('_'));
    const QString stamp = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    for (int n = 1; n < 100; ++n) {
        const QString path = QStringLiteral("%1/%2-%3%4.%5")
                                 .arg(dir, safe, stamp, n == 1 ? QString() : QStringLiteral("-%1").arg(n),
                                      fileExtension(m_format));
        QFile f(path);
        // Created 0600 from the start, never a moment readable by others.
        if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly, QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
            if (f.exists())
                continue;
            return Error(ErrorKind::Io, tr("cannot save the edit: %1").arg(f.errorString()), path);
        }
        if (f.write(m_mineText.toUtf8()) < 0 || !f.flush())
            return Error(ErrorKind::Io, tr("cannot save the edit: %1").arg(f.errorString()), path);
        return path;
    }
    return Error(ErrorKind::Io, tr("too many kept edits of this key this second"), dir);
}

EntryDocument::Format EntryDocument::naturalFormat(const Entry &e)
{
    if (e.encoding == Encoding::Yaml)
        return Format::Yaml;
    // A string is edited as the text it is, whatever holds it: a token or a
    // key in quotes with escapes would be a trap.
    if (e.value.is_string())
        return Format::Text;
    return Format::Json;
}

bool EntryDocument::sensitive() const
{
    return m_session && m_session->capabilities().sensitive;
}

void EntryDocument::setState(State s)
{
    if (s == m_state)
        return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void EntryDocument::open(const QString &key)
{
    m_key = key;
    m_new = false;
    m_revealed = false; // masked again on navigation
    m_theirs.reset();
    m_error.reset();
    m_discarded.clear();
    setState(State::Loading);
    const quint64 generation = ++m_generation;
    m_session->provider()->get(key).then(this, [this, generation](Result<Entry> r) {
        if (generation != m_generation)
            return;
        if (!r.ok()) {
            m_error = r.error();
            setState(State::Failed);
            Q_EMIT failed(r.error());
            return;
        }
        m_format = naturalFormat(r.value());
        loaded(r.value());
    });
}

void EntryDocument::openNew(const QString &key, Format format)
{
    ++m_generation;
    m_key = key;
    m_new = true;
    m_revealed = true; // nothing secret yet: the user types it
    m_theirs.reset();
    m_error.reset();
    m_discarded.clear();
    m_format = format;
    Entry e;
    e.key = key;
    e.value = format == Format::Text ? Json(std::string()) : Json::object();
    e.encoding = format == Format::Yaml ? Encoding::Yaml : format == Format::Text ? Encoding::Text : Encoding::Json;
    loaded(e);
}

void EntryDocument::loaded(const Entry &e)
{
    m_base = e;
    m_baseText = render(e.value, m_format);
    m_mineText = m_baseText;
    validate();
    setState(State::Clean);
    Q_EMIT textChanged();
}

bool EntryDocument::setFormat(Format format)
{
    if (format == m_format)
        return true;
    const Result<Json> mine = parseText(m_mineText);
    if (!mine.ok())
        return false;
    m_format = format;
    m_baseText = render(m_base.value, format);
    m_mineText = render(mine.value(), format);
    // Rendering both the same way keeps an unedited value unchanged.
    if (mine.value() == m_base.value)
        m_mineText = m_baseText;
    validate();
    Q_EMIT textChanged();
    return true;
}

void EntryDocument::reveal()
{
    m_revealed = true;
    Q_EMIT textChanged();
}

void EntryDocument::mask()
{
    m_revealed = false;
    Q_EMIT textChanged();
}

QString EntryDocument::text() const
{
    return masked() ? placeholder() : m_mineText;
}

QString EntryDocument::baseText() const
{
    return masked() ? placeholder() : m_baseText;
}

QString EntryDocument::theirsText() const
{
    if (!m_theirs)
        return {};
    if (masked())
        return placeholder();
    return m_theirs->revision.isEmpty() && m_theirs->value.is_null() ? QString() : render(m_theirs->value, m_format);
}

bool EntryDocument::setText(const QString &text)
{
    if (masked() || m_state == State::Loading || m_state == State::Saving || m_state == State::Empty)
        return false;
    m_mineText = text;
    validate();
    if (m_state == State::Clean || m_state == State::Modified)
        setState(dirty() ? State::Modified : State::Clean);
    Q_EMIT textChanged();
    return true;
}

Result<Json> EntryDocument::parseText(const QString &text) const
{
    if (::sd::console::hasConflictMarkers(text) && m_format != Format::Text)
        return Error(ErrorKind::Invalid, tr("resolve the conflict markers (<<<<<<<, =======, >>>>>>>) first"), m_key);
    const QByteArray bytes = text.toUtf8();
    switch (m_format) {
    case Format::Json: return decodeValue(bytes, Encoding::Json, m_key);
    case Format::Yaml: return decodeValue(bytes, Encoding::Yaml, m_key);
    case Format::Text: return Json(toStd(bytes));
    }
    return Error(ErrorKind::Internal, QStringLiteral("unknown format"));
}

Result<Json> EntryDocument::parsedMine() const
{
    return parseText(m_mineText);
}

void EntryDocument::validate()
{
    m_validation = Validation{};
    const Result<Json> r = parseText(m_mineText);
    if (r.ok()) {
        if (compactJson(r.value()).size() > kMaxValueBytes) {
            m_validation.ok = false;
            m_validation.message = tr("the value is larger than 1 MiB, the most a store accepts");
        }
        return;
    }
    m_validation.ok = false;
    m_validation.message = r.error().message;
    locate(r.error(), &m_validation);
}

bool EntryDocument::hasConflictMarkers() const
{
    return ::sd::console::hasConflictMarkers(m_mineText);
}

QString EntryDocument::diff() const
{
    if (masked())
        return dirty() ? tr("(a secret value changed: reveal it to see the difference)") : QString();
    return unifiedDiff(m_baseText, m_mineText, m_key + QStringLiteral(" (revision %1)").arg(m_base.revision),
                       m_key + tr(" (edited)"));
}

void EntryDocument::save()
{
    if (m_state != State::Clean && m_state != State::Modified)
        return;
    const Result<Json> value = parseText(m_mineText);
    if (!value.ok() || !m_validation.ok) {
        const Error e = value.ok() ? Error(ErrorKind::TooLarge, m_validation.message, m_key) : value.error();
        m_error = e;
        Q_EMIT failed(e);
        return;
    }
    Entry out = m_base;
    out.value = value.value();
    out.raw.clear();
    if (m_format == Format::Text && !value.value().is_string())
        out.encoding = Encoding::Json;
    const Precondition pre = m_new ? Precondition::mustNotExist() : Precondition::atRevision(m_base.revision);
    m_error.reset();
    setState(State::Saving);
    const quint64 generation = ++m_generation;
    m_session->provider()->put(out, pre).then(this, [this, generation](Result<Entry> r) {
        if (generation != m_generation)
            return;
        if (r.ok()) {
            m_new = false;
            m_theirs.reset();
            Entry written = r.value();
            if (written.value.is_null() && !m_base.value.is_null())
                written.value = parsedMine().ok() ? parsedMine().value() : written.value;
            loaded(written);
            Q_EMIT saved(written);
            return;
        }
        const Error e = r.error();
        if (e.kind != ErrorKind::Conflict && e.kind != ErrorKind::AlreadyExists) {
            m_error = e;
            setState(dirty() ? State::Modified : State::Clean);
            Q_EMIT failed(e);
            return;
        }
        // Someone else wrote first: read what they wrote, keep mine.
        m_session->provider()->get(m_key).then(this, [this, generation](Result<Entry> now) {
            if (generation != m_generation)
                return;
            if (now.ok()) {
                m_theirs = now.value();
            } else if (now.error().kind == ErrorKind::NotFound) {
                Entry gone; // they deleted it
                gone.key = m_key;
                m_theirs = gone;
            } else {
                m_error = now.error();
                setState(State::Modified);
                Q_EMIT failed(now.error());
                return;
            }
            setState(State::Conflict);
            Q_EMIT textChanged();
        });
    });
}

void EntryDocument::remove()
{
    if ((m_state != State::Clean && m_state != State::Modified) || m_new)
        return;
    m_error.reset();
    setState(State::Saving);
    const quint64 generation = ++m_generation;
    const Precondition pre = Precondition::atRevision(m_base.revision);
    m_session->provider()->remove(m_key, pre).then(this, [this, generation](Status s) {
        if (generation != m_generation)
            return;
        if (!s.ok()) {
            m_error = s.error();
            setState(dirty() ? State::Modified : State::Clean);
            Q_EMIT failed(s.error());
            return;
        }
        const QString key = m_key;
        m_key.clear();
        m_base = Entry();
        m_baseText.clear();
        m_mineText.clear();
        m_validation = Validation{};
        setState(State::Empty);
        Q_EMIT textChanged();
        Q_EMIT removed(key);
    });
}

void EntryDocument::takeTheirs()
{
    if (m_state != State::Conflict || !m_theirs)
        return;
    m_discarded = m_mineText;
    const Entry theirs = *m_theirs;
    m_theirs.reset();
    if (theirs.revision.isEmpty() && theirs.value.is_null()) {
        // Theirs is "deleted": nothing left to edit but a new value.
        m_new = true;
        Entry e = m_base;
        e.revision.clear();
        loaded(e);
        return;
    }
    m_new = false;
    loaded(theirs);
}

void EntryDocument::keepMine()
{
    if (m_state != State::Conflict || !m_theirs)
        return;
    const Entry theirs = *m_theirs;
    m_theirs.reset();
    m_new = theirs.revision.isEmpty() && theirs.value.is_null();
    if (!m_new) {
        m_base = theirs;
        m_baseText = render(theirs.value, m_format);
    }
    validate();
    setState(dirty() ? State::Modified : State::Clean);
    Q_EMIT textChanged();
}

bool EntryDocument::merge()
{
    if (m_state != State::Conflict || !m_theirs)
        return false;
    const Entry theirs = *m_theirs;
    const bool deleted = theirs.revision.isEmpty() && theirs.value.is_null();
    if (deleted) {
        // Nothing to merge with: keeping mine re-creates the key.
        keepMine();
        return true;
    }
    const QString theirsText = render(theirs.value, m_format);
    const Result<Json> mine = parseText(m_mineText);
    bool clean = false;
    QString merged;
    if (mine.ok() && m_format != Format::Text) {
        try {
            const Json minePatch = Json::diff(m_base.value, mine.value());
            const Json theirsPatch = Json::diff(m_base.value, theirs.value);
            if (!overlaps(m_base.value, minePatch, theirsPatch)) {
                merged = render(theirs.value.patch(minePatch), m_format);
                clean = true;
            }
        } catch (const Json::exception &) {
            clean = false; // fall back to merging the text
        }
    }
    if (!clean) {
        const MergeResult r = merge3(linesOf(m_baseText), linesOf(m_mineText), linesOf(theirsText), tr("mine"),
                                     tr("theirs (revision %1)").arg(theirs.revision));
        merged = r.lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
        clean = r.conflicts == 0;
    }
    m_theirs.reset();
    m_base = theirs;
    m_baseText = theirsText;
    m_mineText = merged;
    validate();
    setState(dirty() ? State::Modified : State::Clean);
    Q_EMIT textChanged();
    return clean;
}

} // namespace sd::console
