#pragma once

#include "Views.h"

#include <memory>

namespace sd::console {
class DefinitionModel;
class RegistrySession;
}

namespace sd::tui {

// `:machines [redis://HOST:PORT/DB] [kube] [ns=NS] [prefix=P] [stale=1m]`:
// the state-machine registry (seed 003). Without arguments it reads the
// Redis registry of the open connection (or $REDIS_URL) and, on a
// Kubernetes connection, the StateMachine resources of its namespace.
// Pushes the view, or says on the message line why it cannot.
void showMachines(App *app, const QString &args);

// The machines, live: liveness coloured, the heartbeat age ticking; Enter
// shows the definition of the machine under the cursor.
class MachinesView : public TableView {
public:
    MachinesView(App *app, std::unique_ptr<console::RegistrySession> registry);
    ~MachinesView() override;
    QString actionView() const override { return QStringLiteral("machines"); }
    QString title() const override;
    QString status() const override;
    bool handleKey(const Key &key) override;
    console::Selection selection() const override;

protected:
    QList<int> columnWidths(int width) const override;
    QList<int> columns() const override;

private:
    std::unique_ptr<console::RegistrySession> m_registry;
    QString m_lastNote;
};

// One machine's definition as an indented tree of states, each followed by
// its transitions ("PONG -> pong"); the current state and its ancestors
// marked with "*" and coloured, following the machine as it moves.
class DefinitionView : public View {
public:
    DefinitionView(App *app, console::RegistrySession *registry, QString machineId);
    ~DefinitionView() override;
    QString actionView() const override { return QStringLiteral("definition"); }
    QString title() const override;
    QString status() const override;
    void draw(Terminal &t, int top, int height, int width) override;
    bool handleKey(const Key &key) override;

private:
    void reload();
    void rebuild();

    console::RegistrySession *m_registry;
    QString m_id;
    std::unique_ptr<console::DefinitionModel> m_model;
    QByteArray m_json;
    QStringList m_lines;
    QList<console::Tone> m_tones;
    int m_top = 0;
    int m_page = 10;
    QMetaObject::Connection m_changed;
};

} // namespace sd::tui
