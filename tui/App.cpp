#include "App.h"

#include "EditSession.h"
#include "TaskScreens.h"
#include "Views.h"
#include "MachinesView.h"
#include "console/ConnectionCatalog.h"
#include "console/EntryDocument.h"
#include "console/EventLog.h"
#include "console/FilterModel.h"
#include "console/KeyModel.h"
#include "console/LineDiff.h"
#include "console/ExportJob.h"
#include "console/ImportJob.h"
#include "console/JobReportModel.h"
#include "console/MigrateJob.h"
#include "console/VerifyJob.h"
#include "console/Session.h"

#include <QCoreApplication>

namespace sd::tui {

using console::Action;
using console::Actions;
using console::Tone;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("TUI", text);
}

// At most ~30 frames a second.
constexpr int kFrameMs = 33;

QString transferUsage(const QString &kind)
{
    if (kind == QLatin1String("export"))
        return tr(":export FILE [PREFIX]");
    if (kind == QLatin1String("import"))
        return tr(":import FILE [dry-run] [skip|overwrite]");
    if (kind == QLatin1String("migrate"))
        return tr(":migrate TARGET [PREFIX] [dry-run] [skip|overwrite] [restart]  (TARGET: a connection, URL or path)");
    return tr(":verify TARGET [PREFIX]  (TARGET: a connection, URL or path)");
}

// Whether a view's own action can run now. One that shadows global.back
// (Actions::mayShadow: jobs.cancel on Esc) gives the key back while it
// cannot: Esc cancels a running job and goes back once it is over.
bool ownActionLive(View *v, const Action &a)
{
    if (a.id == QLatin1String("jobs.cancel")) {
        auto *jv = dynamic_cast<JobView *>(v);
        return jv && jv->job() && !jv->job()->isFinished();
    }
    return true;
}

// Whether the hint bar and `?` leave `a` out in view `v`: a global action
// shadowed there, or a view's own action that gave its key back.
bool shadowedIn(View *v, const Action &a, const console::KeyBindings &keys)
{
    const QString key = keys.tuiKey(a);
    for (const Action *x : Actions::forView(v->actionView())) {
        if (x == &a || keys.tuiKey(*x) != key)
            continue;
        if (a.view == QLatin1String("global") && Actions::mayShadow(*x, a) && ownActionLive(v, *x))
            return true;
        if (a.view != QLatin1String("global") && Actions::mayShadow(a, *x) && !ownActionLive(v, a))
            return true;
    }
    return false;
}

} // namespace

App::App(Terminal &terminal, AppOptions options) : m_terminal(terminal), m_options(std::move(options))
{
    m_repaint.setSingleShot(true);
    connect(&m_repaint, &QTimer::timeout, this, &App::paintNow);
    m_clock.setInterval(1000);
    connect(&m_clock, &QTimer::timeout, this, [this] {
        // The countdown of a reconnection and messages that expire.
        if (m_session && m_session->freshness().state != console::Freshness::Live)
            scheduleRepaint();
        if (!m_message.isEmpty() && m_messageUntil.isValid() && QDateTime::currentDateTimeUtc() > m_messageUntil) {
            m_message.clear();
            scheduleRepaint();
        }
    });
    m_clock.start();
    connect(&m_terminal, &Terminal::keyPressed, this, &App::onKey);
    connect(&m_terminal, &Terminal::resized, this, &App::paintNow);
    connect(&m_terminal, &Terminal::interrupted, this, &App::quit);
}

App::~App()
{
    m_edit.reset();
    m_views.clear();
}

Result<bool> App::open(const QString &storeOrConnection)
{
    console::SessionOptions o;
    o.readOnly = m_options.readOnly;
    auto session = console::Session::open(storeOrConnection, o);
    if (!session.ok())
        return session.error();
    replaceSession(std::move(session).value(), storeOrConnection);
    return true;
}

void App::show(std::unique_ptr<console::Session> session, const QString &name)
{
    replaceSession(std::move(session), name);
}

void App::replaceSession(std::unique_ptr<console::Session> session, const QString &name)
{
    m_edit.reset();
    m_views.clear();
    m_jobs.clear();
    m_tasks.reset();
    m_eventFilter.reset();
    m_events.reset();
    m_filter.reset();
    m_keys.reset();
    m_session = std::move(session);
    m_connection = name;
    m_keys = std::make_unique<console::KeyModel>(m_session.get());
    m_keys->setMode(console::KeyModel::Tree);
    m_keys->setPrefix(m_options.prefix);
    m_filter = std::make_unique<console::FilterModel>();
    m_filter->setSourceModel(m_keys.get());
    m_filter->sort(console::KeyModel::KeyColumn);
    m_events = std::make_unique<console::EventLog>(m_session.get());
    m_eventFilter = std::make_unique<console::FilterModel>();
    m_eventFilter->setSourceModel(m_events.get());
    for (QAbstractItemModel *m : std::initializer_list<QAbstractItemModel *>{m_filter.get(), m_eventFilter.get()}) {
        connect(m, &QAbstractItemModel::rowsInserted, this, &App::scheduleRepaint);
        connect(m, &QAbstractItemModel::rowsRemoved, this, &App::scheduleRepaint);
        connect(m, &QAbstractItemModel::dataChanged, this, &App::scheduleRepaint);
        connect(m, &QAbstractItemModel::modelReset, this, &App::scheduleRepaint);
        connect(m, &QAbstractItemModel::layoutChanged, this, &App::scheduleRepaint);
    }
    connect(m_keys.get(), &console::KeyModel::listingChanged, this, &App::scheduleRepaint);
    connect(m_keys.get(), &console::KeyModel::listingFailed, this,
            [this](const Error &e) { message(tr("listing failed: %1").arg(e.toString()), Tone::Error); });
    connect(m_session.get(), &console::Session::freshnessChanged, this, &App::scheduleRepaint);
    m_views.push_back(std::make_unique<KeysView>(this, m_session.get(), m_keys.get(), m_filter.get(), QModelIndex(),
                                                 m_options.prefix));
    m_session->start();
    m_keys->fetchMore({});
    scheduleRepaint();
}

void App::push(std::unique_ptr<View> view)
{
    m_views.push_back(std::move(view));
    paintNow();
}

void App::pop()
{
    if (m_views.size() > 1)
        m_views.pop_back();
    paintNow();
}

View *App::top() const
{
    return m_views.empty() ? nullptr : m_views.back().get();
}

void App::message(const QString &text, Tone tone)
{
    m_message = text;
    m_messageTone = tone;
    m_messageUntil = QDateTime::currentDateTimeUtc().addSecs(tone == Tone::Error ? 15 : 6);
    scheduleRepaint();
}

void App::scheduleRepaint()
{
    if (m_repaint.isActive())
        return;
    const qint64 since = m_sinceFrame.isValid() ? m_sinceFrame.elapsed() : kFrameMs;
    m_repaint.start(int(std::max<qint64>(0, kFrameMs - since)));
}

void App::paintNow()
{
    m_repaint.stop();
    paint();
}

void App::paint()
{
    if (m_terminal.suspended())
        return;
    m_sinceFrame.start();
    m_terminal.clearScreen();
    const int h = m_terminal.rows();
    const int w = m_terminal.columns();
    drawHeader(w);
    if (View *v = top())
        v->draw(m_terminal, 2, std::max(1, h - 4), w);
    drawFooter(w);
    m_terminal.flush();
}

void App::drawHeader(int width)
{
    if (!m_session)
        return;
    const console::FreshnessState &f = m_session->freshness();
    QString left = QStringLiteral(" statedeck  %1").arg(m_session->name().isEmpty() ? m_session->describe()
                                                                                   : m_session->name());
    if (m_session->name() != m_session->describe() && !m_session->name().isEmpty())
        left += QStringLiteral(" (%1)").arg(m_session->describe());
    m_terminal.fill(0, 0, width, Tone::Normal, true);
    m_terminal.print(0, 0, left, width, Tone::Normal, true, true);
    int x = std::min(width, int(left.size()) + 2);
    if (m_session->readOnly()) {
        m_terminal.print(0, x, tr(" READ-ONLY "), width - x, Tone::Warning, false, true);
        x += 12;
    }
    const QString fresh = f.text(QDateTime::currentDateTimeUtc());
    m_terminal.print(0, x, QStringLiteral(" ") + fresh + QStringLiteral(" "), width - x, f.tone(), false, true);
    if (View *v = top()) {
        QString line = QStringLiteral(" ") + v->title();
        const QString st = v->status();
        if (!st.isEmpty())
            line += QStringLiteral("  |  ") + st;
        if (!v->filter().isEmpty())
            line += QStringLiteral("  |  /") + v->filter();
        m_terminal.print(1, 0, line, width, Tone::Muted);
    }
}

void App::drawFooter(int width)
{
    const int h = m_terminal.rows();
    // Hints: the view's own actions first, then a few global ones.
    QString hints;
    if (View *v = top()) {
        for (const Action *a : Actions::forView(v->actionView())) {
            if (a->view == QLatin1String("global") && a->id != QLatin1String("global.help")
                && a->id != QLatin1String("global.command") && a->id != QLatin1String("global.back"))
                continue;
            // A read-only connection does not advertise what it refuses.
            if (a->writes && m_session && m_session->readOnly())
                continue;
            if (shadowedIn(v, *a, m_options.keys))
                continue;
            hints += QStringLiteral("<%1> %2  ").arg(m_options.keys.tuiKey(*a), a->label);
        }
    }
    // While a line is typed or a question asked, the message line is the
    // prompt's, so a message (an error about the answer, the choices Tab
    // found, what a question is about) takes the hint line.
    if (m_mode != Mode::Normal && !m_message.isEmpty())
        m_terminal.print(h - 2, 0, m_message, width, m_messageTone);
    else
        m_terminal.print(h - 2, 0, hints, width, Tone::Muted);
    switch (m_mode) {
    case Mode::Normal:
        m_terminal.print(h - 1, 0, m_message, width, m_messageTone);
        m_terminal.placeCursor(0, 0, false);
        break;
    case Mode::Command:
    case Mode::Filter:
    case Mode::Question:
    case Mode::Text:
    case Mode::Secret: {
        const QString line = m_prompt + (m_mode == Mode::Secret ? QString(m_input.size(), QLatin1Char('*')) : m_input);
        m_terminal.print(h - 1, 0, line, width, Tone::Normal, false, true);
        m_terminal.placeCursor(h - 1, std::min(width - 1, int(m_prompt.size()) + m_inputCursor), true);
        break;
    }
    }
}

// ---- keys -------------------------------------------------------------------

bool App::editLine(const Key &k)
{
    if (k.name == QLatin1String("Backspace")) {
        if (m_inputCursor > 0) {
            m_input.remove(m_inputCursor - 1, 1);
            --m_inputCursor;
        }
    } else if (k.name == QLatin1String("Delete")) {
        m_input.remove(m_inputCursor, 1);
    } else if (k.name == QLatin1String("Left")) {
        m_inputCursor = std::max(0, m_inputCursor - 1);
    } else if (k.name == QLatin1String("Right")) {
        m_inputCursor = std::min(int(m_input.size()), m_inputCursor + 1);
    } else if (k.name == QLatin1String("Home") || k.name == QLatin1String("Ctrl-A")) {
        m_inputCursor = 0;
    } else if (k.name == QLatin1String("End") || k.name == QLatin1String("Ctrl-E")) {
        m_inputCursor = int(m_input.size());
    } else if (k.name == QLatin1String("Ctrl-U")) {
        m_input.clear();
        m_inputCursor = 0;
    } else if (!k.text.isEmpty()) {
        m_input.insert(m_inputCursor, k.text);
        m_inputCursor += int(k.text.size());
    } else {
        return false;
    }
    return true;
}

void App::onKey(const Key &k)
{
    switch (m_mode) {
    case Mode::Question: {
        const bool yes = k.name == QLatin1String("y") || k.name == QLatin1String("Y");
        m_mode = Mode::Normal;
        auto done = std::move(m_onAnswer);
        m_onAnswer = nullptr;
        if (done)
            done(yes);
        paintNow();
        return;
    }
    case Mode::Command:
    case Mode::Filter:
    case Mode::Text:
    case Mode::Secret: {
        if (k.name == QLatin1String("Esc")) {
            if (m_mode == Mode::Filter && top())
                top()->setFilter(QString());
            if (m_mode == Mode::Secret)
                m_input.fill(QLatin1Char(' ')), m_input.clear();
            m_onText = nullptr;
            m_mode = Mode::Normal;
        } else if (k.name == QLatin1String("Enter")) {
            const Mode was = m_mode;
            m_mode = Mode::Normal;
            const QString line = m_input.trimmed();
            if (was == Mode::Command) {
                if (!line.isEmpty()) {
                    m_history.removeAll(line);
                    m_history.append(line);
                }
                runCommand(line);
            } else if (was == Mode::Text || was == Mode::Secret) {
                auto done = std::move(m_onText);
                m_onText = nullptr;
                const QString typed = m_input;
                if (was == Mode::Secret)
                    m_input.clear();
                m_message.clear(); // what it said about the last answer
                if (done)
                    done(typed);
            }
        } else if (m_mode == Mode::Command && k.name == QLatin1String("Tab")) {
            completeCommand();
        } else if (m_mode == Mode::Command && (k.name == QLatin1String("Up") || k.name == QLatin1String("Down"))) {
            if (!m_history.isEmpty()) {
                if (m_historyAt < 0)
                    m_historyAt = int(m_history.size());
                m_historyAt = std::clamp(m_historyAt + (k.name == QLatin1String("Up") ? -1 : 1), 0,
                                         int(m_history.size()) - 1);
                m_input = m_history.value(m_historyAt);
                m_inputCursor = int(m_input.size());
            }
        } else if (editLine(k)) {
            // A filter applies as it is typed.
            if (m_mode == Mode::Filter && top())
                top()->setFilter(m_input);
        }
        paintNow();
        return;
    }
    case Mode::Normal:
        break;
    }

    View *v = top();
    if (!v)
        return;
    // Modes first, then the view's own keys, then the action table.
    if (k.name == QLatin1String(":")) {
        m_mode = Mode::Command;
        m_prompt = QStringLiteral(":");
        m_input.clear();
        m_inputCursor = 0;
        m_historyAt = -1;
    } else if (k.name == QLatin1String("Esc") && !v->filter().isEmpty()) {
        v->setFilter(QString());
    } else if (!v->handleKey(k)) {
        const Action *a = m_options.keys.byTuiKey(v->actionView(), k.name);
        if (a && a->view != QLatin1String("global") && !ownActionLive(v, *a))
            if (const Action *g = m_options.keys.byTuiKey(QStringLiteral("global"), k.name); g && Actions::mayShadow(*a, *g))
                a = g;
        if (a)
            runAction(*a);
    }
    paintNow();
}

void App::completeCommand()
{
    const QStringList all = Actions::commands();
    QStringList matches;
    for (const QString &c : all)
        if (c.startsWith(m_input))
            matches << c;
    if (matches.size() == 1) {
        m_input = matches.first() + QLatin1Char(' ');
    } else if (!matches.isEmpty()) {
        // The longest common beginning, and the choices on the message line.
        QString common = matches.first();
        for (const QString &m : std::as_const(matches))
            while (!m.startsWith(common))
                common.chop(1);
        m_input = common;
        m_message = matches.join(QStringLiteral("  "));
        m_messageTone = Tone::Muted;
    }
    m_inputCursor = int(m_input.size());
}

void App::runCommand(const QString &line)
{
    if (line.isEmpty())
        return;
    QString name = line.section(QLatin1Char(' '), 0, 0);
    if (name == QLatin1String("watch"))
        name = QStringLiteral("events"); // DESIGN.md's name for the live view
    const QString arg = line.section(QLatin1Char(' '), 1).trimmed();
    if (name == QLatin1String("q") || name == QLatin1String("quit") || name == QLatin1String("q!")) {
        Q_EMIT quit();
        return;
    }
    const Action *a = Actions::byCommand(name);
    if (!a) {
        message(tr("unknown command :%1; Tab completes, ? lists every key").arg(name), Tone::Error);
        return;
    }
    if (a->id == QLatin1String("global.contexts")) {
        if (arg.isEmpty()) {
            QStringList lines{tr("Connections (:ctx NAME opens one; a URL or a path works too):"), QString()};
            const console::ConnectionCatalog catalog = console::ConnectionCatalog::load();
            for (const console::ConnectionItem &c : catalog.items()) {
                if (c.kind == console::ConnectionItem::Kind::KubeContext)
                    continue; // opened by URL: k8s://CONTEXT/NAMESPACE/configmaps
                lines << QStringLiteral("%1 %2  %3%4")
                             .arg(c.current ? QStringLiteral("*") : QStringLiteral(" "), c.name, c.description,
                                  c.error.isEmpty() ? QString() : QStringLiteral("  (%1)").arg(c.error));
            }
            push(std::make_unique<TextView>(this, QStringLiteral("help"), tr("connections"), lines));
            return;
        }
        const QString previous = m_connection;
        auto opened = open(arg);
        if (!opened.ok())
            message(opened.error().toString(), Tone::Error);
        else
            message(tr("switched to %1").arg(arg), Tone::Good);
        Q_UNUSED(previous);
        return;
    }
    if (a->id == QLatin1String("global.machines")) {
        showMachines(this, arg);
        return;
    }
    if (a->id == QLatin1String("global.export") || a->id == QLatin1String("global.import")
        || a->id == QLatin1String("global.migrate") || a->id == QLatin1String("global.verify")) {
        if (const auto why = Actions::whyNot(*a, m_session.get(), top() ? top()->selection() : console::Selection{}))
            return message(QStringLiteral("%1: %2").arg(a->label, *why), Tone::Warning);
        runTransfer(a->command, arg.split(QLatin1Char(' '), Qt::SkipEmptyParts));
        return;
    }
    if (a->id == QLatin1String("global.namespace")) {
        switchKube(QStringLiteral("namespace"), arg);
        return;
    }
    if (a->id == QLatin1String("global.configmaps")) {
        switchKube(QStringLiteral("resource"), QStringLiteral("configmaps"));
        return;
    }
    if (a->id == QLatin1String("global.secrets")) {
        switchKube(QStringLiteral("resource"), QStringLiteral("secrets"));
        return;
    }
    if (a->id.startsWith(QLatin1String("tasks.")) && !arg.isEmpty()) {
        // `:inc task-42-state`: the task named, whatever is selected.
        console::Selection named;
        named.key = arg.section(QLatin1Char(' '), 0, 0);
        named.hasValue = true;
        named.count = 1;
        if (a->id == QLatin1String("tasks.cleanup"))
            named = top() ? top()->selection() : console::Selection{};
        if (const auto why = Actions::whyNot(*a, m_session.get(), named))
            return message(QStringLiteral("%1: %2").arg(a->label, *why), Tone::Warning);
        if (!m_tasks)
            m_tasks = std::make_unique<TaskScreens>(this, m_session->provider());
        m_tasks->run(*a, named, arg);
        return;
    }
    if (a->id == QLatin1String("keys.history") || a->id == QLatin1String("keys.diff")) {
        const QString key = arg.isEmpty() && top() ? top()->selection().key : arg;
        if (key.isEmpty()) {
            message(tr("name a key: :%1 KEY").arg(name), Tone::Error);
            return;
        }
        showHistory(key, a->id == QLatin1String("keys.diff"));
        return;
    }
    runAction(*a);
}

void App::switchKube(const QString &option, const QString &value)
{
    auto session = m_session->reopenedWith(option, value);
    if (!session.ok()) {
        message(session.error().toString(), Tone::Error);
        return;
    }
    replaceSession(std::move(session).value(), m_connection);
    message(tr("%1: %2").arg(option, value), Tone::Good);
}

// ---- actions ----------------------------------------------------------------

void App::runAction(const Action &a)
{
    View *v = top();
    const console::Selection sel = v ? v->selection() : console::Selection{};
    if (const auto why = Actions::whyNot(a, m_session.get(), sel)) {
        message(QStringLiteral("%1: %2").arg(a.label, *why), Tone::Warning);
        return;
    }
    // The entry view's key actions are the key browser's, on the open key.
    QString id = a.id;
    if (id.startsWith(QLatin1String("entry.")) && Actions::find(QStringLiteral("keys.") + id.mid(6))
        && id != QLatin1String("entry.reveal"))
        id = QStringLiteral("keys.") + id.mid(6);
    if (id == QLatin1String("global.help")) {
        QStringList lines{tr("Keys of this view (%1), then those of every view:").arg(v ? v->actionView() : QString()),
                          QString()};
        for (const Action *x : Actions::forView(v ? v->actionView() : QStringLiteral("keys"))) {
            if (v && shadowedIn(v, *x, m_options.keys))
                continue;
            QString cmd = x->command.isEmpty() ? QString() : QStringLiteral(" (:%1)").arg(x->command);
            lines << QStringLiteral("  %1  %2%3 - %4").arg(m_options.keys.tuiKey(*x), -8).arg(x->label, cmd, x->help);
        }
        lines << QString() << tr("Everywhere: j/k or arrows move, PgUp/PgDn page, g/G first/last, Esc goes back,")
              << tr(":q quits. In `/` filters: text or a regular expression, !text inverts, -l app=x selects labels.");
        push(std::make_unique<TextView>(this, QStringLiteral("help"), tr("help"), lines));
    } else if (id == QLatin1String("global.command")) {
        m_mode = Mode::Command;
        m_prompt = QStringLiteral(":");
        m_input.clear();
        m_inputCursor = 0;
    } else if (id == QLatin1String("global.back")) {
        pop();
    } else if (id == QLatin1String("global.quit")) {
        Q_EMIT quit();
    } else if (id == QLatin1String("global.refresh")) {
        m_session->reconnect();
        m_keys->reload();
        message(tr("reading the store again"), Tone::Muted);
    } else if (id == QLatin1String("global.keys")) {
        while (m_views.size() > 1)
            m_views.pop_back();
    } else if (id == QLatin1String("global.events")) {
        push(std::make_unique<EventsView>(this, m_events.get(), m_eventFilter.get()));
    } else if (id == QLatin1String("keys.filter") || id == QLatin1String("events.filter")
               || id == QLatin1String("tasks.filter")) {
        m_mode = Mode::Filter;
        m_prompt = QStringLiteral("/");
        m_input = v ? v->filter() : QString();
        m_inputCursor = int(m_input.size());
    } else if (id == QLatin1String("keys.open")) {
        if (v)
            v->handleKey(Key{QStringLiteral("Enter"), QString()});
    } else if (id == QLatin1String("keys.edit")) {
        if (auto *entry = dynamic_cast<EntryView *>(v))
            edit(entry->document());
        else
            openEntry(sel.key), edit(static_cast<EntryView *>(top())->document());
    } else if (id == QLatin1String("keys.new")) {
        askText(tr("New key: "), [this](const QString &key) {
            if (key.trimmed().isEmpty())
                return;
            auto view = std::make_unique<EntryView>(this, m_session.get(), QString(), false);
            EntryView *raw = view.get();
            raw->document()->openNew(key.trimmed());
            push(std::move(view));
            edit(raw->document());
        }, m_options.prefix);
    } else if (id == QLatin1String("keys.delete")) {
        deleteSelected();
    } else if (id == QLatin1String("keys.diff") || id == QLatin1String("keys.history")) {
        showHistory(sel.key, id == QLatin1String("keys.diff"));
    } else if (id == QLatin1String("keys.copy")) {
        const QString key = sel.key;
        m_session->valueBytes(key).then(this, [this, key](Result<QByteArray> r) {
            if (!r.ok())
                return message(r.error().toString(), Tone::Error);
            copyToClipboard(tr("the value of %1").arg(key), r.value());
        });
    } else if (id == QLatin1String("keys.copyKey")) {
        copyToClipboard(tr("the key name"), sel.key.toUtf8());
    } else if (id == QLatin1String("keys.reveal") || id == QLatin1String("entry.reveal")) {
        if (auto *entry = dynamic_cast<EntryView *>(v))
            entry->document()->reveal();
        else
            openEntry(sel.key, true);
    } else if (id == QLatin1String("keys.tree")) {
        const bool tree = m_keys->mode() == console::KeyModel::Tree;
        while (m_views.size() > 1)
            m_views.pop_back();
        m_keys->setMode(tree ? console::KeyModel::Flat : console::KeyModel::Tree);
        m_keys->fetchMore({});
        message(tree ? tr("one list of keys") : tr("keys as a tree of prefixes"), Tone::Muted);
    } else if (id == QLatin1String("keys.stop")) {
        m_keys->stop();
        message(tr("listing stopped: %1").arg(m_keys->statusText()), Tone::Muted);
    } else if (id == QLatin1String("keys.more")) {
        m_keys->fetchAll();
    } else if (id == QLatin1String("entry.format")) {
        if (auto *entry = dynamic_cast<EntryView *>(v)) {
            auto *doc = entry->document();
            const auto next = doc->format() == console::EntryDocument::Format::Yaml ? console::EntryDocument::Format::Json
                                                                                    : console::EntryDocument::Format::Yaml;
            if (!doc->setFormat(next))
                message(tr("the value does not parse: %1").arg(doc->validation().message), Tone::Error);
        }
    } else if (id == QLatin1String("entry.theirs") || id == QLatin1String("entry.mine")
               || id == QLatin1String("entry.merge")) {
        auto *entry = dynamic_cast<EntryView *>(v);
        auto *doc = entry ? entry->document() : nullptr;
        if (!doc || doc->state() != console::EntryDocument::State::Conflict) {
            message(tr("there is no conflict to resolve"), Tone::Muted);
            return;
        }
        if (id == QLatin1String("entry.theirs")) {
            doc->takeTheirs();
            message(tr("took theirs; your text is kept in %1").arg(m_edit ? m_edit->keptPath() : tr("memory")),
                    Tone::Muted);
        } else if (id == QLatin1String("entry.mine")) {
            doc->keepMine();
            ask(tr("Write your value over theirs? [y/N] "), [doc, this](bool yes) {
                if (yes)
                    doc->save();
                else
                    message(tr("not written; e edits again"), Tone::Muted);
            });
        } else {
            const bool clean = doc->merge();
            if (clean)
                ask(tr("Merged without conflicts. Save? [y/N] "), [doc](bool yes) {
                    if (yes)
                        doc->save();
                });
            else {
                message(tr("conflicts marked: resolve them in the editor"), Tone::Warning);
                edit(doc);
            }
        }
    } else if (id == QLatin1String("global.tasks")) {
        showTasks();
    } else if (id == QLatin1String("global.machines")) {
        showMachines(this, QString());
    } else if (id.startsWith(QLatin1String("tasks."))) {
        if (!m_tasks)
            m_tasks = std::make_unique<TaskScreens>(this, m_session->provider());
        m_tasks->run(a, sel, QString());
    } else if (id == QLatin1String("global.export") || id == QLatin1String("global.import")
               || id == QLatin1String("global.migrate") || id == QLatin1String("global.verify")) {
        // The command line, ready for its arguments.
        m_mode = Mode::Command;
        m_prompt = QStringLiteral(":");
        m_input = a.command + QLatin1Char(' ');
        m_inputCursor = int(m_input.size());
        m_historyAt = -1;
        message(transferUsage(a.command), Tone::Muted);
    } else if (id == QLatin1String("jobs.cancel")) {
        // The job on screen; with none on screen, every running one.
        QStringList cancelled;
        if (auto *jv = dynamic_cast<JobView *>(v); jv && jv->job()) {
            if (!jv->job()->isFinished())
                cancelled << jv->job()->kind();
            jv->job()->cancel();
        } else {
            for (const RunningJob &r : m_jobs)
                if (!r.job->isFinished()) {
                    cancelled << r.job->kind();
                    r.job->cancel();
                }
        }
        if (cancelled.isEmpty())
            message(tr("no job is running"), Tone::Muted);
        else
            message(tr("cancelling %1: it stops after the page in flight").arg(cancelled.join(QStringLiteral(", "))),
                    Tone::Warning);
    } else if (id == QLatin1String("events.pause")) {
        if (m_events->paused())
            m_events->resume();
        else
            m_events->pause();
    } else if (id == QLatin1String("events.clear")) {
        m_events->clear();
    } else {
        message(tr("%1 is not in the terminal UI yet; statedeckctl has it").arg(a.label), Tone::Warning);
    }
}

void App::showTasks()
{
    if (!m_tasks)
        m_tasks = std::make_unique<TaskScreens>(this, m_session->provider());
    m_tasks->show();
}

void App::runTransfer(const QString &kind, const QStringList &args)
{
    if (args.isEmpty())
        return message(tr("usage: %1").arg(transferUsage(kind)), Tone::Error);
    if (kind == QLatin1String("import"))
        return runImport(args);
    if (kind == QLatin1String("migrate") || kind == QLatin1String("verify"))
        return runBetweenStores(kind, args);
    if (args.size() > 2)
        return message(tr("unexpected \"%1\"; usage: %2").arg(args.at(2), transferUsage(kind)), Tone::Error);
    ExportOptions o;
    o.path = args.at(0);
    o.prefix = args.value(1);
    startJob(std::make_unique<console::ExportJob>(m_session->provider(), o));
}

void App::runImport(const QStringList &args)
{
    auto o = std::make_shared<ImportOptions>();
    o->path = args.at(0);
    for (const QString &word : args.mid(1)) {
        if (word == QLatin1String("dry-run"))
            o->dryRun = true;
        else if (word == QLatin1String("skip"))
            o->policy = ConflictPolicy::Skip;
        else if (word == QLatin1String("overwrite"))
            o->policy = ConflictPolicy::Overwrite;
        else
            return message(tr("unknown word \"%1\"; expected dry-run, skip or overwrite").arg(word), Tone::Error);
    }
    const Result<SnapshotManifest> manifest = console::ImportJob::readManifest(o->path);
    if (!manifest.ok())
        return message(manifest.error().toString(), Tone::Error);
    auto go = [this, o] { startJob(std::make_unique<console::ImportJob>(m_session->provider(), *o)); };
    switch (console::ImportJob::passphraseNeed(manifest.value(), m_session->provider(), *o)) {
    case console::ImportJob::PassphraseNeed::None:
        return go();
    case console::ImportJob::PassphraseNeed::ToOpen:
        return askSecret(tr("Passphrase of %1: ").arg(o->path), [this, o, go](const QString &typed) {
            if (typed.isEmpty())
                return message(tr("no passphrase given; nothing imported"), Tone::Muted);
            o->passphrase = typed.toUtf8();
            go();
        });
    case console::ImportJob::PassphraseNeed::ToSealBackup:
        // Asked twice: a mistyped one would seal the backup for good.
        return askSecret(tr("The values it overwrites are secret; their backup is sealed. New passphrase: "),
                         [this, o, go](const QString &first) {
                             if (first.isEmpty())
                                 return message(tr("no passphrase given; nothing imported"), Tone::Muted);
                             askSecret(tr("The same passphrase again: "), [this, o, go, first](const QString &second) {
                                 if (second != first)
                                     return message(tr("the two passphrases differ; nothing imported"), Tone::Error);
                                 o->passphrase = first.toUtf8();
                                 go();
                             });
                         });
    }
}

void App::runBetweenStores(const QString &kind, const QStringList &args)
{
    const bool migrate = kind == QLatin1String("migrate");
    MigrationOptions m;
    VerifyOptions v;
    bool prefixSeen = false;
    for (const QString &word : args.mid(1)) {
        if (migrate && word == QLatin1String("dry-run"))
            m.dryRun = true;
        else if (migrate && word == QLatin1String("skip"))
            m.policy = ConflictPolicy::Skip;
        else if (migrate && word == QLatin1String("overwrite"))
            m.policy = ConflictPolicy::Overwrite;
        else if (migrate && word == QLatin1String("restart"))
            m.restart = true;
        else if (!prefixSeen)
            prefixSeen = true, m.prefix = v.prefix = word;
        else
            return message(tr("unexpected \"%1\" after the prefix %2; usage: %3").arg(word, m.prefix, transferUsage(kind)),
                           Tone::Error);
    }
    console::SessionOptions so;
    so.readOnly = m_options.readOnly;
    auto other = console::Session::open(args.at(0), so);
    if (!other.ok())
        return message(tr("cannot open %1: %2").arg(args.at(0), other.error().toString()), Tone::Error);
    std::unique_ptr<console::Session> target = std::move(other).value();
    Provider *from = m_session->provider();
    if (!migrate) {
        auto job = std::make_unique<console::VerifyJob>(from, target->provider(), v);
        return startJob(std::move(job), std::move(target));
    }
    if (m.dryRun) {
        auto job = std::make_unique<console::MigrateJob>(from, target->provider(), m);
        return startJob(std::move(job), std::move(target));
    }
    // It writes into another store: asked first (a dry run shows what).
    // What matters first: the line is cut at the terminal's width.
    message(tr("%1, from %2").arg(console::Job::policyText(m.policy), m_session->describe()), Tone::Warning);
    const QString question = tr("Migrate %1 into %2? [y/N] ")
                                 .arg(m.prefix.isEmpty() ? tr("every key") : m.prefix + QLatin1Char('*'),
                                      target->describe());
    auto held = std::make_shared<std::unique_ptr<console::Session>>(std::move(target));
    ask(question, [this, held, m](bool yes) {
        if (!yes)
            return message(tr("nothing migrated; :migrate ... dry-run shows what it would do"), Tone::Muted);
        console::Session *to = held->get();
        startJob(std::make_unique<console::MigrateJob>(m_session->provider(), to->provider(), m), std::move(*held));
    });
}

void App::startJob(std::unique_ptr<console::Job> job, std::unique_ptr<console::Session> other)
{
    console::Job *j = job.get();
    m_jobs.push_back(RunningJob{std::move(other), std::move(job)});
    connect(j, &console::Job::progressChanged, this, &App::scheduleRepaint);
    connect(j, &console::Job::notice, this, [this](const QString &text) { message(text, Tone::Warning); });
    connect(j, &console::Job::stateChanged, this, [this, j](console::Job::State) {
        if (!j->isFinished())
            return scheduleRepaint();
        if (j->state() != console::Job::State::Succeeded)
            return message(j->outcomeText(), Tone(int(j->tone())));
        const QString summary = j->outcomeText();
        message(summary.startsWith(j->kind()) ? summary : tr("%1: %2").arg(j->kind(), summary), Tone(int(j->tone())));
    });
    connect(j->report(), &QAbstractItemModel::rowsInserted, this, &App::scheduleRepaint);
    message(j->description(), Tone::Muted);
    push(std::make_unique<JobView>(this, j));
    j->start();
}

void App::openEntry(const QString &key, bool reveal)
{
    push(std::make_unique<EntryView>(this, m_session.get(), key, reveal));
}

void App::deleteSelected()
{
    View *v = top();
    if (!v)
        return;
    const QString key = v->selection().key;
    QString revision;
    if (auto *keys = dynamic_cast<KeysView *>(v))
        revision = keys->selectedRevision();
    else if (auto *entry = dynamic_cast<EntryView *>(v))
        revision = entry->document()->base().revision;
    // Typing the name is the confirmation: a stray key never deletes.
    askText(tr("Delete %1? Type its name to confirm: ").arg(key), [this, key, revision](const QString &typed) {
        if (typed != key) {
            message(tr("not deleted: the name typed was not %1").arg(key), Tone::Muted);
            return;
        }
        const Precondition pre = revision.isEmpty() ? Precondition::none() : Precondition::atRevision(revision);
        m_session->provider()->remove(key, pre).then(this, [this, key](Status s) {
            if (!s.ok())
                return message(s.error().toString(), Tone::Error);
            if (dynamic_cast<EntryView *>(top()))
                pop();
            message(tr("%1 deleted").arg(key), Tone::Good);
        });
    });
}

void App::showHistory(const QString &key, bool diffOnly)
{
    m_session->provider()->history(key, diffOnly ? 2 : 20).then(this, [this, key, diffOnly](Result<QList<Entry>> r) {
        if (!r.ok())
            return message(r.error().toString(), Tone::Error);
        const QList<Entry> &versions = r.value();
        const bool secret = m_session->capabilities().sensitive;
        if (diffOnly) {
            if (versions.size() < 2)
                return message(tr("%1 has no earlier revision").arg(key), Tone::Muted);
            if (secret)
                return message(tr("the values are secret: open the key and reveal it to compare"), Tone::Warning);
            const QString d = console::unifiedDiff(console::EntryDocument::render(versions[1].value, console::EntryDocument::Format::Json),
                                                   console::EntryDocument::render(versions[0].value, console::EntryDocument::Format::Json),
                                                   tr("%1 (revision %2)").arg(key, versions[1].revision),
                                                   tr("%1 (revision %2)").arg(key, versions[0].revision));
            push(std::make_unique<DiffView>(this, QStringLiteral("help"), tr("diff %1").arg(key),
                                            d.isEmpty() ? QStringList{tr("(no difference)")} : d.split(QLatin1Char('\n'))));
            return;
        }
        QStringList lines;
        for (int i = 0; i < versions.size(); ++i) {
            const Entry &e = versions[i];
            lines << tr("revision %1%2%3")
                         .arg(e.revision,
                              e.updated.isValid() ? QStringLiteral("  ") + e.updated.toLocalTime().toString(Qt::ISODate) : QString(),
                              i == 0 ? tr("  (current)") : QString());
            if (i + 1 < versions.size() && !secret) {
                const QString d = console::unifiedDiff(
                    console::EntryDocument::render(versions[i + 1].value, console::EntryDocument::Format::Json),
                    console::EntryDocument::render(e.value, console::EntryDocument::Format::Json), tr("before"),
                    tr("after"), 1);
                for (const QString &l : d.split(QLatin1Char('\n')))
                    if (!l.startsWith(QLatin1String("---")) && !l.startsWith(QLatin1String("+++")) && !l.isEmpty())
                        lines << QStringLiteral("    ") + l;
            }
        }
        push(std::make_unique<DiffView>(this, QStringLiteral("history"), tr("history %1").arg(key), lines));
    });
}

void App::edit(console::EntryDocument *doc)
{
    m_edit = std::make_unique<EditSession>(this, doc);
    m_edit->start();
}

void App::ask(const QString &question, std::function<void(bool)> done)
{
    m_mode = Mode::Question;
    m_prompt = question;
    m_input.clear();
    m_inputCursor = 0;
    m_onAnswer = std::move(done);
    paintNow();
}

void App::askText(const QString &question, std::function<void(const QString &)> done, const QString &initial)
{
    m_mode = Mode::Text;
    m_prompt = question;
    m_input = initial;
    m_inputCursor = int(initial.size());
    m_onText = std::move(done);
    paintNow();
}

void App::askSecret(const QString &question, std::function<void(const QString &)> done)
{
    askText(question, std::move(done));
    m_mode = Mode::Secret;
    paintNow();
}

void App::copyToClipboard(const QString &what, const QByteArray &bytes)
{
    // OSC 52 reaches the terminal the user sits at, through SSH; tmux
    // passes it on with set-clipboard on.
    m_terminal.writeRaw("\033]52;c;" + bytes.toBase64() + "\a");
    message(tr("copied %1 (%2 bytes) to the clipboard").arg(what).arg(bytes.size()), Tone::Good);
}

} // namespace sd::tui
