#include "MachinesView.h"

#include "App.h"
#include "console/DefinitionModel.h"
#include "console/MachinesModel.h"
#include "console/Session.h"
#include "console/RegistrySession.h"

#include <QCoreApplication>

#include <functional>

namespace sd::tui {

using console::Tone;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("sd::tui::MachinesView", text);
}

} // namespace

void showMachines(App *app, const QString &args)
{
    auto registry = console::RegistrySession::open(args, app->session());
    if (!registry.ok()) {
        app->message(registry.error().toString(), Tone::Error);
        return;
    }
    app->push(std::make_unique<MachinesView>(app, std::move(registry).value()));
}

MachinesView::MachinesView(App *app, std::unique_ptr<console::RegistrySession> registry)
    : TableView(app, registry->machines()), m_registry(std::move(registry))
{
    console::MachinesModel *model = m_registry->machines();
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        QObject::connect(model, signal, app, &App::scheduleRepaint);
    QObject::connect(model, &QAbstractItemModel::dataChanged, app, &App::scheduleRepaint);
    QObject::connect(model, &QAbstractItemModel::rowsMoved, app, &App::scheduleRepaint);
    console::RegistrySession *reg = m_registry.get();
    QObject::connect(reg, &console::RegistrySession::updatesChanged, app, [this, app, reg] {
        // Polling instead of live updates is said once, loudly.
        const QString note = reg->freshnessText();
        if (note == m_lastNote)
            return;
        m_lastNote = note;
        if (!reg->pollingReason().isEmpty())
            app->message(reg->pollingReason(), Tone::Warning);
        app->scheduleRepaint();
    });
    QObject::connect(reg, &console::RegistrySession::failed, app,
                     [app](const Error &e) { app->message(e.toString(), Tone::Error); });
    reg->start();
}

MachinesView::~MachinesView() = default;

QString MachinesView::title() const
{
    return tr("machines");
}

QString MachinesView::status() const
{
    QString s = m_registry->machines()->summary();
    switch (m_registry->updates()) {
    case console::RegistrySession::Updates::Live: s += tr(" · live"); break;
    case console::RegistrySession::Updates::Polling: s += tr(" · POLLING (no keyspace notifications)"); break;
    case console::RegistrySession::Updates::Starting: s += tr(" · connecting"); break;
    case console::RegistrySession::Updates::Off: break;
    }
    return s;
}

QList<int> MachinesView::columns() const
{
    using C = console::MachinesModel;
    return {C::IdColumn, C::LivenessColumn, C::HeartbeatColumn, C::StatusColumn, C::StateColumn, C::ReplicasColumn};
}

QList<int> MachinesView::columnWidths(int width) const
{
    // id takes what is left; the rest fit 80 columns with it at 24.
    const QList<int> fixed{0, 7, 9, 10, 14, 8};
    int used = 0;
    for (int w : fixed)
        used += w + 1;
    QList<int> out = fixed;
    out[0] = std::max(10, width - used);
    return out;
}

bool MachinesView::handleKey(const Key &key)
{
    if (key.name == QLatin1String("Enter")) {
        const QModelIndex i = current();
        if (i.isValid())
            m_app->push(std::make_unique<DefinitionView>(m_app, m_registry.get(),
                                                         m_model->data(i, console::KeyRole).toString()));
        return true;
    }
    if (key.name == QLatin1String("Ctrl-R")) {
        m_registry->refresh();
        return true;
    }
    return TableView::handleKey(key);
}

console::Selection MachinesView::selection() const
{
    console::Selection s;
    const QModelIndex i = current();
    if (i.isValid())
        s.key = m_model->data(i, console::KeyRole).toString();
    return s;
}

// ---- definition ---------------------------------------------------------------

DefinitionView::DefinitionView(App *app, console::RegistrySession *registry, QString machineId)
    : View(app), m_registry(registry), m_id(std::move(machineId)), m_model(std::make_unique<console::DefinitionModel>())
{
    m_changed = QObject::connect(m_registry, &console::RegistrySession::changed, app, [this] {
        reload();
        m_app->scheduleRepaint();
    });
    reload();
}

DefinitionView::~DefinitionView()
{
    QObject::disconnect(m_changed);
}

QString DefinitionView::title() const
{
    return tr("definition %1").arg(m_id);
}

QString DefinitionView::status() const
{
    const QString current = m_model->currentState();
    return current.isEmpty() ? tr("current state unknown") : tr("current state %1").arg(current);
}

void DefinitionView::reload()
{
    const console::RegistrySession::MachineDefinition m = m_registry->definitionOf(m_id);
    if (m.json != m_json || !m_model->definition()) {
        m_json = m.json;
        if (!m.json.isEmpty())
            m_model->setDefinitionJson(m.json, m.origin);
        else
            m_model->clear();
    }
    m_model->setCurrentState(m.currentState);
    rebuild();
}

void DefinitionView::rebuild()
{
    m_lines.clear();
    m_tones.clear();
    if (m_model->error()) {
        m_lines << tr("The definition does not parse:") << QString() << m_model->error()->toString();
        m_tones << Tone::Error << Tone::Normal << Tone::Error;
        return;
    }
    if (!m_model->definition()) {
        m_lines << tr("No definition is known for %1: the Redis registry holds none; it comes from the machine's "
                      "StateMachine resource (:machines kube ns=NAMESPACE).")
                       .arg(m_id);
        m_tones << Tone::Muted;
        return;
    }
    std::function<void(const QModelIndex &, int)> walk = [&](const QModelIndex &parent, int depth) {
        for (int r = 0; r < m_model->rowCount(parent); ++r) {
            const QModelIndex i = m_model->index(r, 0, parent);
            const QString detail = m_model->index(r, 1, parent).data().toString();
            const QString pad(depth * 2, QLatin1Char(' '));
            if (i.data(console::DefinitionModel::KindRole).toString() == QLatin1String("transition")) {
                m_lines << pad + QStringLiteral("  ") + i.data().toString() + QLatin1Char(' ') +
                               QString(detail).replace(QStringLiteral("→"), QStringLiteral("->"));
                m_tones << Tone::Muted;
                continue;
            }
            const bool current = i.data(console::DefinitionModel::CurrentRole).toBool();
            m_lines << pad + (current ? QStringLiteral("* ") : QStringLiteral("  ")) + i.data().toString() +
                           (detail.isEmpty() ? QString() : QStringLiteral("  (") + detail + QLatin1Char(')'));
            m_tones << (current ? Tone::Good : Tone::Normal);
            walk(i, depth + 1);
        }
    };
    walk(QModelIndex(), 0);
}

void DefinitionView::draw(Terminal &t, int top, int height, int width)
{
    m_page = std::max(1, height);
    m_top = std::clamp(m_top, 0, std::max(0, int(m_lines.size()) - m_page));
    for (int r = 0; r < height && m_top + r < m_lines.size(); ++r)
        t.print(top + r, 0, m_lines[m_top + r], width, m_tones.value(m_top + r), false,
                m_tones.value(m_top + r) == Tone::Good);
}

bool DefinitionView::handleKey(const Key &k)
{
    if (k.name == QLatin1String("Down") || k.name == QLatin1String("j"))
        ++m_top;
    else if (k.name == QLatin1String("Up") || k.name == QLatin1String("k"))
        --m_top;
    else if (k.name == QLatin1String("PgDn") || k.name == QLatin1String(" "))
        m_top += m_page;
    else if (k.name == QLatin1String("PgUp"))
        m_top -= m_page;
    else if (k.name == QLatin1String("g") || k.name == QLatin1String("Home"))
        m_top = 0;
    else if (k.name == QLatin1String("G") || k.name == QLatin1String("End"))
        m_top = int(m_lines.size());
    else
        return false;
    m_top = std::clamp(m_top, 0, std::max(0, int(m_lines.size()) - m_page));
    return true;
}

} // namespace sd::tui
