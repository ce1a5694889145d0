#include "Views.h"

#include "App.h"
#include "console/EntryDocument.h"
#include "console/EventLog.h"
#include "console/FilterModel.h"
#include "console/Job.h"
#include "console/JobReportModel.h"
#include "console/KeyModel.h"
#include "console/LineDiff.h"
#include "console/Session.h"

#include <QCoreApplication>

namespace sd::tui {

using console::Tone;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("TUI", text);
}

bool isDown(const Key &k)
{
    return k.name == QLatin1String("Down") || k.name == QLatin1String("j");
}

bool isUp(const Key &k)
{
    return k.name == QLatin1String("Up") || k.name == QLatin1String("k");
}

} // namespace

// ---- TableView ---------------------------------------------------------------

TableView::TableView(App *app, QAbstractItemModel *model) : View(app), m_model(model) {}

int TableView::rowCount() const
{
    return m_model->rowCount(m_root);
}

QModelIndex TableView::current() const
{
    if (m_cursor.isValid() && m_cursor.parent() == m_root)
        return m_cursor;
    const int n = rowCount();
    return n == 0 ? QModelIndex() : m_model->index(std::clamp(m_row, 0, n - 1), 0, m_root);
}

void TableView::setCurrent(int row)
{
    const int n = rowCount();
    m_row = n == 0 ? 0 : std::clamp(row, 0, n - 1);
    m_cursor = n == 0 ? QPersistentModelIndex() : QPersistentModelIndex(m_model->index(m_row, 0, m_root));
    // Near the end of what is loaded: ask for the next page, as a view
    // scrolling there would.
    if (m_row >= n - m_pageRows && m_model->canFetchMore(m_root))
        m_model->fetchMore(m_root);
}

// The cursor follows its row when rows come and go above it.
void TableView::keepCursor()
{
    if (m_cursor.isValid() && m_cursor.parent() == m_root)
        m_row = m_cursor.row();
    else
        setCurrent(m_row);
}

void TableView::draw(Terminal &t, int top, int height, int width)
{
    keepCursor();
    m_pageRows = std::max(1, height - 1);
    const QList<int> cols = columns();
    const QList<int> widths = columnWidths(width);
    // Header.
    int x = 0;
    for (int c = 0; c < cols.size(); ++c) {
        if (widths[c] == 0)
            continue;
        const int w = widths[c] < 0 ? width - x : widths[c];
        t.print(top, x, m_model->headerData(cols[c], Qt::Horizontal).toString(), w, Tone::Muted, false, true);
        x += w + 1;
    }
    const int n = rowCount();
    if (m_row < m_top)
        m_top = m_row;
    if (m_row >= m_top + m_pageRows)
        m_top = m_row - m_pageRows + 1;
    m_top = std::clamp(m_top, 0, std::max(0, n - m_pageRows));
    for (int r = 0; r < m_pageRows && m_top + r < n; ++r) {
        const int row = m_top + r;
        const bool selected = row == m_row;
        x = 0;
        for (int c = 0; c < cols.size(); ++c) {
            if (widths[c] == 0)
                continue;
            const int w = widths[c] < 0 ? width - x : widths[c];
            const QModelIndex i = m_model->index(row, cols[c], m_root);
            const Tone tone = Tone(m_model->data(i, console::ToneRole).toInt());
            const QString text = m_model->data(i).toString();
            t.print(top + 1 + r, x, text, w, tone, selected);
            if (selected && c + 1 < cols.size())
                t.print(top + 1 + r, x + w, QStringLiteral(" "), 1, tone, true);
            x += w + 1;
        }
    }
    if (n == 0)
        t.print(top + 1, 1, tr("(nothing here)"), width - 1, Tone::Muted);
}

bool TableView::handleKey(const Key &k)
{
    const int n = rowCount();
    if (isDown(k))
        setCurrent(m_row + 1);
    else if (isUp(k))
        setCurrent(m_row - 1);
    else if (k.name == QLatin1String("PgDn") || k.name == QLatin1String("Ctrl-F"))
        setCurrent(m_row + m_pageRows);
    else if (k.name == QLatin1String("PgUp") || k.name == QLatin1String("Ctrl-B"))
        setCurrent(m_row - m_pageRows);
    else if (k.name == QLatin1String("Home") || k.name == QLatin1String("g"))
        setCurrent(0);
    else if (k.name == QLatin1String("End") || k.name == QLatin1String("G"))
        setCurrent(n - 1);
    else
        return false;
    return true;
}

// ---- KeysView ----------------------------------------------------------------

KeysView::KeysView(App *app, console::Session *session, console::KeyModel *keys, console::FilterModel *filter,
                   const QModelIndex &root, QString prefix)
    : TableView(app, filter), m_session(session), m_keys(keys), m_filter(filter), m_prefix(std::move(prefix))
{
    m_root = root;
}

QString KeysView::title() const
{
    return m_prefix.isEmpty() ? tr("keys") : tr("keys %1").arg(m_prefix);
}

QString KeysView::status() const
{
    return m_keys->statusText();
}

QList<int> KeysView::columns() const
{
    return {console::KeyModel::KeyColumn, console::KeyModel::TypeColumn, console::KeyModel::RevisionColumn,
            console::KeyModel::TtlColumn, console::KeyModel::UpdatedColumn};
}

QList<int> KeysView::columnWidths(int width) const
{
    // KEY takes what is left; the others go as the screen narrows.
    const int updated = width >= 100 ? 19 : 0;
    const int ttl = width >= 60 ? 6 : 0;
    const int type = width >= 50 ? 9 : 0;
    const int revision = width >= 40 ? 10 : 0;
    const int used = (updated ? updated + 1 : 0) + (ttl ? ttl + 1 : 0) + (type ? type + 1 : 0)
                     + (revision ? revision + 1 : 0);
    return {std::max(10, width - used), type, revision, ttl, updated};
}

console::Selection KeysView::selection() const
{
    console::Selection s;
    const QModelIndex i = current();
    if (!i.isValid())
        return s;
    s.key = m_model->data(i, console::KeyRole).toString();
    s.isPrefix = m_model->data(i, console::KeyModel::IsPrefixRole).toBool();
    s.hasValue = m_model->data(i, console::KeyModel::HasValueRole).toBool();
    s.count = 1;
    return s;
}

QString KeysView::selectedKey() const
{
    return selection().key;
}

QString KeysView::selectedRevision() const
{
    const QModelIndex i = current();
    return i.isValid() ? m_model->data(i, console::KeyModel::RevisionRole).toString() : QString();
}

void KeysView::setFilter(const QString &text)
{
    m_filter->setFilterText(text);
    setCurrent(0);
}

QString KeysView::filter() const
{
    return m_filter->filterText();
}

bool KeysView::handleKey(const Key &k)
{
    if (k.name == QLatin1String("Enter") || k.name == QLatin1String("Right") || k.name == QLatin1String("l")) {
        const QModelIndex i = current();
        if (!i.isValid())
            return true;
        if (m_model->rowCount(i) > 0) {
            // Into the prefix: a new view over the same models.
            const QString prefix = m_model->data(i, console::KeyRole).toString();
            m_app->push(std::make_unique<KeysView>(m_app, m_session, m_keys, m_filter, i, prefix));
        } else if (m_model->data(i, console::KeyModel::HasValueRole).toBool()) {
            m_app->openEntry(m_model->data(i, console::KeyRole).toString());
        }
        return true;
    }
    return TableView::handleKey(k);
}

// ---- EventsView --------------------------------------------------------------

EventsView::EventsView(App *app, console::EventLog *log, console::FilterModel *filter)
    : TableView(app, filter), m_log(log), m_filter(filter)
{
}

QString EventsView::title() const
{
    return tr("events");
}

QString EventsView::status() const
{
    QString s = tr("%1 shown, %2 received").arg(m_log->rowCount()).arg(m_log->received());
    if (m_log->paused())
        s += tr(", PAUSED");
    return s;
}

QList<int> EventsView::columns() const
{
    return {console::EventLog::TimeColumn, console::EventLog::TypeColumn, console::EventLog::KeyColumn,
            console::EventLog::RevisionColumn};
}

QList<int> EventsView::columnWidths(int width) const
{
    return {12, 11, std::max(10, width - 12 - 11 - 12 - 3), 10};
}

void EventsView::setFilter(const QString &text)
{
    m_filter->setFilterText(text);
}

QString EventsView::filter() const
{
    return m_filter->filterText();
}

bool EventsView::handleKey(const Key &k)
{
    return TableView::handleKey(k);
}

// ---- TextView ----------------------------------------------------------------

TextView::TextView(App *app, QString view, QString title, QStringList lines)
    : View(app), m_view(std::move(view)), m_title(std::move(title)), m_lines(std::move(lines))
{
}

void TextView::setLines(QStringList lines)
{
    m_lines = std::move(lines);
    m_top = std::clamp(m_top, 0, std::max(0, int(m_lines.size()) - 1));
}

Tone TextView::toneOf(const QString &) const
{
    return Tone::Normal;
}

namespace {

// `line` in pieces of at most `width` characters, broken after a space
// when the piece has one.
QStringList wrapped(const QString &line, int width)
{
    if (width <= 0 || line.size() <= width)
        return {line};
    QStringList out;
    QString rest = line;
    while (rest.size() > width) {
        qsizetype cut = rest.lastIndexOf(QLatin1Char(' '), width);
        if (cut <= 0)
            cut = width;
        else
            ++cut; // the space stays at the end of the piece
        out << rest.left(cut);
        rest = rest.mid(cut);
    }
    out << rest;
    return out;
}

} // namespace

void TextView::draw(Terminal &t, int top, int height, int width)
{
    QStringList lines;
    if (m_wrap) {
        for (const QString &l : std::as_const(m_lines))
            lines += wrapped(l, width);
    } else {
        lines = m_lines;
    }
    m_shown = int(lines.size());
    m_page = std::max(1, height);
    m_top = std::clamp(m_top, 0, std::max(0, int(lines.size()) - m_page));
    for (int r = 0; r < height && m_top + r < lines.size(); ++r) {
        const QString &line = lines[m_top + r];
        t.print(top + r, 0, line, width, toneOf(line));
    }
}

bool TextView::handleKey(const Key &k)
{
    if (isDown(k))
        ++m_top;
    else if (isUp(k))
        --m_top;
    else if (k.name == QLatin1String("PgDn") || k.name == QLatin1String("Ctrl-F") || k.name == QLatin1String(" "))
        m_top += m_page;
    else if (k.name == QLatin1String("PgUp") || k.name == QLatin1String("Ctrl-B"))
        m_top -= m_page;
    else if (k.name == QLatin1String("Home") || k.name == QLatin1String("g"))
        m_top = 0;
    else if (k.name == QLatin1String("End") || k.name == QLatin1String("G"))
        m_top = std::max(int(m_lines.size()), m_shown);
    else
        return false;
    m_top = std::clamp(m_top, 0, std::max(0, std::max(int(m_lines.size()), m_shown) - m_page));
    return true;
}

Tone DiffView::toneOf(const QString &line) const
{
    if (line.startsWith(QLatin1String("+++")) || line.startsWith(QLatin1String("---")))
        return Tone::Muted;
    if (line.startsWith(QLatin1Char('+')))
        return Tone::Added;
    if (line.startsWith(QLatin1Char('-')))
        return Tone::Deleted;
    if (line.startsWith(QLatin1String("@@")))
        return Tone::Muted;
    return Tone::Normal;
}

// ---- EntryView ---------------------------------------------------------------

EntryView::EntryView(App *app, console::Session *session, const QString &key, bool reveal)
    : TextView(app, QStringLiteral("entry"), key, {}), m_doc(std::make_unique<console::EntryDocument>(session)),
      m_revealOnLoad(reveal)
{
    QObject::connect(m_doc.get(), &console::EntryDocument::textChanged, m_app, [this] {
        refreshLines();
        m_app->scheduleRepaint();
    });
    QObject::connect(m_doc.get(), &console::EntryDocument::stateChanged, m_app,
                     [this](console::EntryDocument::State s) {
                         if (s == console::EntryDocument::State::Clean && m_revealOnLoad) {
                             m_revealOnLoad = false;
                             m_doc->reveal();
                         }
                         if (s == console::EntryDocument::State::Conflict)
                             m_app->message(tr("Someone else changed %1: T take theirs, M keep mine (write over "
                                               "theirs), G merge")
                                                .arg(m_doc->key()),
                                            Tone::Warning);
                         refreshLines();
                         m_app->scheduleRepaint();
                     });
    QObject::connect(m_doc.get(), &console::EntryDocument::failed, m_app, [this](const Error &e) {
        m_app->message(e.toString(), Tone::Error);
    });
    if (!key.isEmpty())
        m_doc->open(key);
}

EntryView::~EntryView() = default;

QString EntryView::title() const
{
    return tr("entry %1").arg(m_doc->key());
}

QString EntryView::status() const
{
    using S = console::EntryDocument::State;
    const Entry &b = m_doc->base();
    switch (m_doc->state()) {
    case S::Loading: return tr("loading...");
    case S::Failed: return m_doc->error() ? m_doc->error()->message : tr("failed");
    case S::Saving: return tr("saving...");
    case S::Conflict: return tr("CONFLICT with revision %1").arg(m_doc->theirs() ? m_doc->theirs()->revision : QString());
    default: break;
    }
    QString s = tr("revision %1").arg(b.revision);
    if (b.updated.isValid())
        s += tr(", updated %1").arg(b.updated.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    if (m_doc->dirty())
        s += tr(", edited (not saved)");
    if (m_doc->masked())
        s += tr(", SECRET: x reveals");
    return s;
}

console::Selection EntryView::selection() const
{
    console::Selection s;
    s.key = m_doc->key();
    s.hasValue = m_doc->state() != console::EntryDocument::State::Failed;
    s.count = 1;
    return s;
}

void EntryView::setKeptPath(const QString &path)
{
    m_keptPath = path;
    refreshLines();
    m_app->scheduleRepaint();
}

void EntryView::refreshLines()
{
    QStringList lines;
    const Entry &b = m_doc->base();
    for (auto it = b.labels.cbegin(); it != b.labels.cend(); ++it)
        lines << QStringLiteral("# label %1=%2").arg(it.key(), it.value());
    for (auto it = b.annotations.cbegin(); it != b.annotations.cend(); ++it)
        lines << QStringLiteral("# annotation %1=%2").arg(it.key(), it.value());
    if (!lines.isEmpty())
        lines << QString();
    if (!m_keptPath.isEmpty())
        lines << tr("# Your text from the edit that met a conflict is kept in:") << QStringLiteral("# ") + m_keptPath
              << QString();
    if (m_doc->state() == console::EntryDocument::State::Conflict) {
        lines << tr("# Mine against theirs (revision %1):").arg(m_doc->theirs()->revision);
        const QString d = console::unifiedDiff(m_doc->theirsText(), m_doc->text(), tr("theirs"), tr("mine"));
        lines += d.isEmpty() ? QStringList{tr("(the same)")} : d.split(QLatin1Char('\n'));
    } else {
        lines += m_doc->text().split(QLatin1Char('\n'));
    }
    setLines(lines);
}

Tone EntryView::toneOf(const QString &line) const
{
    if (m_doc->masked())
        return Tone::Secret;
    if (line.startsWith(QLatin1String("# ")))
        return Tone::Muted;
    if (m_doc->state() == console::EntryDocument::State::Conflict) {
        if (line.startsWith(QLatin1Char('+')))
            return Tone::Added;
        if (line.startsWith(QLatin1Char('-')))
            return Tone::Deleted;
    }
    return Tone::Normal;
}

void EntryView::draw(Terminal &t, int top, int height, int width)
{
    TextView::draw(t, top, height, width);
}

bool EntryView::handleKey(const Key &k)
{
    // During a conflict the entry's keys (T, M, G) come before scrolling:
    // G would otherwise go to the last line instead of merging.
    if (m_doc->state() == console::EntryDocument::State::Conflict) {
        const console::Action *a = m_app->keyBindings().byTuiKey(actionView(), k.name);
        if (a && a->view == actionView())
            return false;
    }
    return TextView::handleKey(k);
}

} // namespace sd::tui

namespace sd::tui {

ModelView::ModelView(App *app, QAbstractItemModel *model, QString actionView, QString title, QList<int> columns,
                     QList<int> widths, std::function<QString()> status,
                     std::function<void(const QModelIndex &)> onEnter)
    : TableView(app, model), m_view(std::move(actionView)), m_title(std::move(title)), m_columns(std::move(columns)),
      m_widths(std::move(widths)), m_status(std::move(status)), m_onEnter(std::move(onEnter))
{
}

QList<int> ModelView::columnWidths(int width) const
{
    QList<int> out = m_widths;
    int fixed = 0;
    for (int w : std::as_const(m_widths))
        fixed += w > 0 ? w + 1 : 0;
    for (int &w : out)
        if (w < 0)
            w = std::max(8, width - fixed);
    return out;
}

bool ModelView::handleKey(const Key &k)
{
    if (k.name == QLatin1String("Enter") && m_onEnter) {
        const QModelIndex i = current();
        if (i.isValid())
            m_onEnter(i);
        return true;
    }
    return TableView::handleKey(k);
}

console::Selection ModelView::selection() const
{
    console::Selection s;
    const QModelIndex i = current();
    if (!i.isValid())
        return s;
    s.key = m_model->data(i, console::KeyRole).toString();
    if (s.key.isEmpty())
        s.key = m_model->data(i).toString();
    s.hasValue = true;
    s.count = 1;
    return s;
}

void ModelView::setFilter(const QString &text)
{
    if (auto *f = qobject_cast<console::FilterModel *>(m_model))
        f->setFilterText(text);
}

QString ModelView::filter() const
{
    if (auto *f = qobject_cast<console::FilterModel *>(m_model))
        return f->filterText();
    return QString();
}

} // namespace sd::tui

namespace sd::tui {

JobView::JobView(App *app, console::Job *job)
    : ModelView(app, job->report(), QStringLiteral("jobs"), job->kind(),
                QList<int>{console::JobReportModel::KeyColumn, console::JobReportModel::ActionColumn,
                           console::JobReportModel::MessageColumn},
                QList<int>{30, 10, -1}),
      m_job(job)
{
}

QString JobView::status() const
{
    if (!m_job)
        return QString();
    QString s = console::Job::stateName(m_job->state());
    if (!m_job->isFinished())
        if (const console::Action *cancel = console::Actions::find(QStringLiteral("jobs.cancel")))
            s += tr("  (%1 cancels)").arg(m_app->keyBindings().tuiKey(*cancel));
    return s;
}

void JobView::draw(Terminal &t, int top, int height, int width)
{
    if (!m_job || height < 4)
        return ModelView::draw(t, top, height, width);
    // The bar: the done part in reverse video, so it reads without colour
    // too, with the figures (phase, done/total, rate, ETA) on it.
    const TransferProgress &p = m_job->progress();
    const QString figures = QStringLiteral(" ") + m_job->progressLine();
    int filled = 0;
    if (m_job->state() == console::Job::State::Succeeded)
        filled = width;
    else if (p.total > 0)
        filled = int(std::clamp<qint64>(p.done * width / p.total, 0, width));
    const Tone tone = m_job->error() ? Tone::Error : Tone::Good;
    t.fill(top, 0, width, Tone::Muted, false);
    t.print(top, 0, figures, width, Tone::Normal);
    if (filled > 0)
        t.print(top, 0, figures.leftJustified(filled, QLatin1Char(' '), true), filled, tone, true);
    ModelView::draw(t, top + 2, height - 2, width);
}

// Cancelling is the action table's jobs.cancel (Esc unless keys.yaml says
// otherwise), run by App like every other action.
bool JobView::handleKey(const Key &key)
{
    return ModelView::handleKey(key);
}

} // namespace sd::tui
