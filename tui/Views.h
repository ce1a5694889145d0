#pragma once

#include "Terminal.h"
#include "console/Actions.h"

#include <QPersistentModelIndex>
#include <QPointer>
#include <QStringList>

#include <functional>
#include <memory>

class QAbstractItemModel;

namespace sd::console {
class EntryDocument;
class Job;
class EventLog;
class FilterModel;
class KeyModel;
class Session;
}

namespace sd::tui {

class App;

// One screen of the view stack. A view draws the rows between the header
// and the hint bar, and handles the keys it understands (navigation and its
// own actions); everything else goes to the App.
class View {
public:
    explicit View(App *app) : m_app(app) {}
    virtual ~View() = default;
    // The action table's view name ("keys", "entry", "events", "help").
    virtual QString actionView() const = 0;
    // The breadcrumb: "keys app/", "entry app/config".
    virtual QString title() const = 0;
    // The status beside the title ("1,200 keys loaded, still listing").
    virtual QString status() const { return QString(); }
    virtual void draw(Terminal &t, int top, int height, int width) = 0;
    virtual bool handleKey(const Key &key) = 0;
    virtual console::Selection selection() const { return {}; }
    // A `/` filter typed in this view.
    virtual void setFilter(const QString &) {}
    virtual QString filter() const { return QString(); }

protected:
    App *m_app;
};

// A scrolling list over a model: cursor, paging, lazy fetch near the end.
class TableView : public View {
public:
    TableView(App *app, QAbstractItemModel *model);
    void draw(Terminal &t, int top, int height, int width) override;
    bool handleKey(const Key &key) override;

protected:
    // Column widths for a width; 0 hides a column, -1 takes what is left.
    virtual QList<int> columnWidths(int width) const = 0;
    virtual QList<int> columns() const = 0;
    QModelIndex current() const;
    void setCurrent(int row);
    int rowCount() const;
    QModelIndex m_root; // the parent whose children are listed
    QAbstractItemModel *m_model;

private:
    void keepCursor();
    QPersistentModelIndex m_cursor;
    int m_row = 0;
    int m_top = 0;
    int m_pageRows = 10;
};

class KeysView : public TableView {
public:
    KeysView(App *app, console::Session *session, console::KeyModel *keys, console::FilterModel *filter,
             const QModelIndex &root, QString prefix);
    QString actionView() const override { return QStringLiteral("keys"); }
    QString title() const override;
    QString status() const override;
    bool handleKey(const Key &key) override;
    console::Selection selection() const override;
    void setFilter(const QString &text) override;
    QString filter() const override;
    QString selectedKey() const;
    QString selectedRevision() const;

protected:
    QList<int> columnWidths(int width) const override;
    QList<int> columns() const override;

private:
    console::Session *m_session;
    console::KeyModel *m_keys;
    console::FilterModel *m_filter;
    QString m_prefix;
};

class EventsView : public TableView {
public:
    EventsView(App *app, console::EventLog *log, console::FilterModel *filter);
    QString actionView() const override { return QStringLiteral("events"); }
    QString title() const override;
    QString status() const override;
    bool handleKey(const Key &key) override;
    void setFilter(const QString &text) override;
    QString filter() const override;

protected:
    QList<int> columnWidths(int width) const override;
    QList<int> columns() const override;

private:
    console::EventLog *m_log;
    console::FilterModel *m_filter;
};

// Lines of text that scroll: a value, a diff, help, a history.
class TextView : public View {
public:
    TextView(App *app, QString view, QString title, QStringList lines);
    QString actionView() const override { return m_view; }
    QString title() const override { return m_title; }
    void draw(Terminal &t, int top, int height, int width) override;
    bool handleKey(const Key &key) override;
    void setLines(QStringList lines);
    // Long lines go on over the next rows (at spaces where there are some)
    // instead of being cut at the terminal's width.
    void setWrap(bool wrap) { m_wrap = wrap; }

protected:
    // The tone of one line (diffs colour + and - lines).
    virtual console::Tone toneOf(const QString &line) const;
    QString m_view;
    QString m_title;
    QStringList m_lines;
    int m_top = 0;
    int m_page = 10;
    bool m_wrap = false;
    int m_shown = 0; // lines as drawn (wrapped), for scrolling
};

class DiffView : public TextView {
public:
    using TextView::TextView;

protected:
    console::Tone toneOf(const QString &line) const override;
};

// One opened value: its text (masked until revealed), metadata, and on a
// conflict the three sides to choose from.
class EntryView : public TextView {
public:
    EntryView(App *app, console::Session *session, const QString &key, bool reveal);
    ~EntryView() override;
    QString title() const override;
    QString status() const override;
    void draw(Terminal &t, int top, int height, int width) override;
    bool handleKey(const Key &key) override;
    console::Selection selection() const override;
    console::EntryDocument *document() const { return m_doc.get(); }
    // Where the user's text was kept after a conflict, shown above the diff.
    void setKeptPath(const QString &path);

protected:
    console::Tone toneOf(const QString &line) const override;

private:
    void refreshLines();
    std::unique_ptr<console::EntryDocument> m_doc;
    QString m_keptPath;
    bool m_revealOnLoad;
};

} // namespace sd::tui

namespace sd::tui {

// A table over any console model: given columns, the first one taking what
// is left. Enter calls `onEnter` with the current row's index.
class ModelView : public TableView {
public:
    ModelView(App *app, QAbstractItemModel *model, QString actionView, QString title, QList<int> columns,
              QList<int> widths, std::function<QString()> status = {},
              std::function<void(const QModelIndex &)> onEnter = {});
    QString actionView() const override { return m_view; }
    QString title() const override { return m_title; }
    QString status() const override { return m_status ? m_status() : QString(); }
    bool handleKey(const Key &key) override;
    console::Selection selection() const override;
    void setFilter(const QString &text) override;
    QString filter() const override;
    QAbstractItemModel *model() const { return m_model; }
    QModelIndex currentIndex() const { return current(); }

protected:
    QList<int> columnWidths(int width) const override;
    QList<int> columns() const override { return m_columns; }

private:
    QString m_view;
    QString m_title;
    QList<int> m_columns;
    QList<int> m_widths; // -1: the rest
    std::function<QString()> m_status;
    std::function<void(const QModelIndex &)> m_onEnter;
};

// A running or finished job (export, import, migrate, verify): a progress
// bar with rate and ETA above the report's rows. jobs.cancel (Esc) cancels
// while it runs (nothing is left half-written); once it is over Esc goes
// back (Actions::mayShadow: the view's own action shadows global.back only
// while it can run).
class JobView : public ModelView {
public:
    JobView(App *app, console::Job *job);
    QString status() const override;
    void draw(Terminal &t, int top, int height, int width) override;
    bool handleKey(const Key &key) override;
    console::Job *job() const { return m_job; }

private:
    console::Job *m_job; // App keeps its jobs longer than any view of them
};

} // namespace sd::tui
