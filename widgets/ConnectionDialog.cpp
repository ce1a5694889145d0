#include "ConnectionDialog.h"

#include "Theme.h"

#include <QCheckBox>
#include <QColorDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

namespace sd::widgets {

using console::Tone;

ConnectionDialog::ConnectionDialog(console::ConnectionEditor editor, const QString &editing, Theme *theme,
                                   QWidget *parent)
    : QDialog(parent), m_editor(std::move(editor)), m_editing(editing), m_theme(theme)
{
    setObjectName(QStringLiteral("connectionDialog"));
    setWindowTitle(editing.isEmpty() ? tr("Add connection") : tr("Edit connection %1").arg(editing));
    setMinimumWidth(520);

    console::ConnectionDraft start;
    if (!editing.isEmpty()) {
        if (auto d = m_editor.draft(editing); d.ok())
            start = d.value();
    }
    m_otherStore = start.otherStore;

    auto *layout = new QVBoxLayout(this);
    auto *where = new QLabel(tr("Saved in <code>%1</code>; its comments and other connections stay as they are.")
                                 .arg(m_editor.path().toHtmlEscaped()),
                             this);
    where->setWordWrap(true);
    where->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(where);

    auto *form = new QFormLayout;
    auto lineField = [&](const QString &name, const QString &label, const QString &value, const QString &placeholder) {
        auto *edit = new QLineEdit(value, this);
        edit->setObjectName(name);
        edit->setPlaceholderText(placeholder);
        auto *problem = new QLabel(this);
        problem->setObjectName(name + QStringLiteral("Problem"));
        problem->setWordWrap(true);
        if (m_theme)
            problem->setStyleSheet(
                QStringLiteral("color: %1;").arg(m_theme->style(Tone::Error).foreground.name()));
        problem->hide();
        auto *box = new QVBoxLayout;
        box->setSpacing(2);
        box->addWidget(edit);
        box->addWidget(problem);
        auto *caption = new QLabel(label, this);
        caption->setBuddy(edit); // Alt+the underlined letter goes to the field
        form->addRow(caption, box);
        m_fields.insert(name, edit);
        m_problems.insert(name, problem);
        connect(edit, &QLineEdit::textChanged, this, &ConnectionDialog::recheck);
        return edit;
    };
    lineField(QStringLiteral("name"), tr("&Name"), start.name, tr("e.g. staging-redis"));
    if (m_otherStore.isEmpty()) {
        lineField(QStringLiteral("url"), tr("&Store"), start.url,
                  tr("redis://host:6379/0, etcd://host:2379, k8s://context/namespace/configmaps, a path…"));
    } else {
        // Written as a worker.yml, a state_management block or a backend with
        // options: shown, kept as written.
        auto *store = new QLabel(QStringLiteral("<code>%1</code>").arg(m_otherStore.toHtmlEscaped()), this);
        store->setObjectName(QStringLiteral("otherStore"));
        store->setToolTip(tr("This connection names its store another way; edit connections.yaml to change it."));
        form->addRow(tr("Store"), store);
    }
    lineField(QStringLiteral("description"), tr("&Description"), start.description, tr("optional"));

    auto flagField = [&](const QString &name, const QString &label, bool value, const QString &tip) {
        auto *box = new QCheckBox(label, this);
        box->setObjectName(name);
        box->setChecked(value);
        box->setToolTip(tip);
        m_flags.insert(name, box);
        connect(box, &QCheckBox::toggled, this, &ConnectionDialog::recheck);
        return box;
    };
    auto *flags = new QVBoxLayout;
    flags->addWidget(flagField(QStringLiteral("readOnly"), tr("&Read-only: refuse every write"), start.readOnly,
                               tr("Every write action is refused with the connection's name; nothing reaches the store.")));
    flags->addWidget(flagField(QStringLiteral("production"), tr("&Production: deletes and restores want the name typed"),
                               start.production, tr("Marked in the sidebar and the title.")));
    flags->addWidget(flagField(QStringLiteral("sensitive"), tr("S&ensitive: values are secrets, masked until revealed"),
                               start.sensitive, tr("As with Kubernetes Secrets.")));
    form->addRow(tr("Markers"), flags);

    QLineEdit *colour = lineField(QStringLiteral("color"), tr("&Colour"), start.color, tr("#rrggbb, optional"));
    auto *pick = new QToolButton(this);
    pick->setObjectName(QStringLiteral("pickColour"));
    pick->setText(tr("Pick…"));
    connect(pick, &QToolButton::clicked, this, [this, colour] {
        auto *d = new QColorDialog(QColor(colour->text()), this);
        d->setAttribute(Qt::WA_DeleteOnClose);
        connect(d, &QColorDialog::colorSelected, colour, [colour](const QColor &c) { colour->setText(c.name()); });
        d->open();
    });
    // The picker sits beside the colour's line edit.
    if (auto *row = qobject_cast<QVBoxLayout *>(form->itemAt(form->rowCount() - 1, QFormLayout::FieldRole)->layout())) {
        auto *line = new QHBoxLayout;
        row->removeWidget(colour);
        line->addWidget(colour, 1);
        line->addWidget(pick);
        row->insertLayout(0, line);
    }
    layout->addLayout(form);

    m_result = new QLabel(this);
    m_result->setObjectName(QStringLiteral("result"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_result);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_test = buttons->addButton(tr("&Test"), QDialogButtonBox::ActionRole);
    m_test->setObjectName(QStringLiteral("test"));
    m_test->setToolTip(tr("Open the store and read a page of keys, without saving."));
    m_save = buttons->addButton(tr("Save"), QDialogButtonBox::AcceptRole);
    m_save->setObjectName(QStringLiteral("save"));
    m_save->setDefault(true);
    connect(m_test, &QPushButton::clicked, this, &ConnectionDialog::runTest);
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::trySave);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    m_fields.value(QStringLiteral("name"))->setFocus();
    recheck();
}

QLineEdit *ConnectionDialog::field(const QString &name) const
{
    return m_fields.value(name);
}

QCheckBox *ConnectionDialog::flag(const QString &name) const
{
    return m_flags.value(name);
}

QLabel *ConnectionDialog::problemLabel(const QString &field) const
{
    return m_problems.value(field);
}

console::ConnectionDraft ConnectionDialog::draft() const
{
    console::ConnectionDraft d;
    auto text = [this](const char *name) {
        QLineEdit *e = m_fields.value(QString::fromLatin1(name));
        return e ? e->text().trimmed() : QString();
    };
    d.name = text("name");
    d.url = text("url");
    d.otherStore = m_otherStore;
    d.description = text("description");
    d.color = text("color");
    d.readOnly = m_flags.value(QStringLiteral("readOnly"))->isChecked();
    d.production = m_flags.value(QStringLiteral("production"))->isChecked();
    d.sensitive = m_flags.value(QStringLiteral("sensitive"))->isChecked();
    return d;
}

void ConnectionDialog::recheck()
{
    const QList<console::FieldProblem> problems = m_editor.check(draft(), m_editing);
    for (auto it = m_problems.cbegin(); it != m_problems.cend(); ++it) {
        QString text;
        for (const console::FieldProblem &p : problems)
            if (p.field == it.key())
                text = p.message;
        // An empty name or store on a fresh dialog is not an error yet:
        // Save says it by being disabled.
        const QLineEdit *edit = m_fields.value(it.key());
        if (edit && edit->text().isEmpty() && !edit->isModified())
            text.clear();
        it.value()->setText(text);
        it.value()->setVisible(!text.isEmpty());
    }
    m_save->setEnabled(problems.isEmpty());
    m_test->setEnabled(problems.isEmpty());
}

void ConnectionDialog::say(Tone tone, const QString &text)
{
    m_result->setText(text);
    if (m_theme && tone != Tone::Normal)
        m_result->setStyleSheet(QStringLiteral("color: %1;").arg(m_theme->style(tone).foreground.name()));
    else
        m_result->setStyleSheet(QString());
}

void ConnectionDialog::runTest()
{
    const int run = ++m_testRun;
    say(Tone::Muted, tr("Testing…"));
    m_test->setEnabled(false);
    QPointer<ConnectionDialog> self(this);
    m_editor.test(draft(), m_editing).then(this, [self, run](Result<QString> r) {
        if (!self || run != self->m_testRun)
            return;
        self->m_test->setEnabled(self->m_save->isEnabled());
        if (r.ok())
            self->say(Tone::Good, tr("✓ %1").arg(r.value()));
        else
            self->say(Tone::Error, tr("✗ %1").arg(r.error().toString()));
    });
}

void ConnectionDialog::trySave()
{
    const console::ConnectionDraft d = draft();
    const Status s = m_editor.save(d, m_editing);
    if (!s.ok()) {
        say(Tone::Error, s.error().toString()); // the dialog stays open with the input
        return;
    }
    m_savedName = d.name;
    Q_EMIT saved(d.name);
    accept();
}

} // namespace sd::widgets
