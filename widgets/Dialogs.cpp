#include "Dialogs.h"

#include "CodeEditor.h"
#include "Theme.h"
#include "console/EntryDocument.h"
#include "console/LineDiff.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

namespace sd::widgets {

using console::EntryDocument;
using console::Tone;

namespace {

SyntaxHighlighter::Mode modeOf(EntryDocument::Format f)
{
    switch (f) {
    case EntryDocument::Format::Json: return SyntaxHighlighter::Mode::Json;
    case EntryDocument::Format::Yaml: return SyntaxHighlighter::Mode::Yaml;
    case EntryDocument::Format::Text: return SyntaxHighlighter::Mode::Plain;
    }
    return SyntaxHighlighter::Mode::Plain;
}

QStringList linesOf(const QString &text)
{
    QStringList lines = text.split(QLatin1Char('\n'));
    if (text.endsWith(QLatin1Char('\n')))
        lines.removeLast();
    return lines;
}

// The lines of `text` that are not in `base` (0-based), to mark.
QList<int> changedLines(const QString &base, const QString &text)
{
    QList<int> out;
    for (const console::DiffLine &d : console::diffLines(linesOf(base), linesOf(text)))
        if (d.op == console::DiffLine::Op::Added)
            out << d.newLine;
    return out;
}

QString actionLabel(const char *id)
{
    const console::Action *a = console::Actions::find(QLatin1String(id));
    return a ? a->label : QString::fromLatin1(id);
}

QString actionHelp(const char *id)
{
    const console::Action *a = console::Actions::find(QLatin1String(id));
    return a ? a->help : QString();
}

} // namespace

ConfirmDialog::ConfirmDialog(const console::Action &action, console::Confirmation confirmation, const QString &key,
                             const QString &detail, QWidget *parent)
    : QDialog(parent), m_key(key)
{
    setObjectName(QStringLiteral("confirmDialog"));
    setMinimumWidth(460);
    setWindowTitle(tr("%1 %2?").arg(action.label, key));
    auto *layout = new QVBoxLayout(this);
    auto *question = new QLabel(tr("<b>%1</b> <code>%2</code>?").arg(action.label.toHtmlEscaped(), key.toHtmlEscaped()),
                                this);
    question->setTextFormat(Qt::RichText);
    layout->addWidget(question);
    if (!detail.isEmpty()) {
        auto *d = new QLabel(detail, this);
        d->setWordWrap(true);
        layout->addWidget(d);
    }
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_confirm = buttons->addButton(action.label, QDialogButtonBox::AcceptRole);
    m_confirm->setObjectName(QStringLiteral("confirm"));
    if (confirmation == console::Confirmation::TypeKeyName) {
        auto *hint = new QLabel(tr("This is a production connection. Type <code>%1</code> to confirm:").arg(key.toHtmlEscaped()),
                                this);
        hint->setWordWrap(true);
        layout->addWidget(hint);
        m_typed = new QLineEdit(this);
        m_typed->setPlaceholderText(key);
        layout->addWidget(m_typed);
        m_confirm->setEnabled(false);
        connect(m_typed, &QLineEdit::textChanged, this,
                [this](const QString &t) { m_confirm->setEnabled(t == m_key); });
        m_typed->setFocus();
    } else {
        // A destructive default would turn a stray Enter into a deletion.
        buttons->button(QDialogButtonBox::Cancel)->setDefault(true);
        buttons->button(QDialogButtonBox::Cancel)->setFocus();
    }
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

DiffDialog::DiffDialog(const QString &title, const QString &summary, const QString &diff, Theme *theme,
                       QWidget *parent)
    : QDialog(parent), m_view(new CodeEditor(theme, this))
{
    setObjectName(QStringLiteral("diffDialog"));
    setWindowTitle(title);
    auto *layout = new QVBoxLayout(this);
    auto *label = new QLabel(summary, this);
    label->setWordWrap(true);
    layout->addWidget(label);
    m_view->setReadOnly(true);
    m_view->setMode(SyntaxHighlighter::Mode::Diff);
    m_view->setContent(diff);
    layout->addWidget(m_view, 1);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_write = buttons->addButton(tr("Write"), QDialogButtonBox::AcceptRole);
    m_write->setObjectName(QStringLiteral("write"));
    m_write->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(760, 480);
}

QString DiffDialog::diffText() const
{
    return m_view->toPlainText();
}

ConflictDialog::ConflictDialog(EntryDocument *document, Theme *theme, QWidget *parent)
    : QDialog(parent), m_base(new CodeEditor(theme, this)), m_theirs(new CodeEditor(theme, this)),
      m_mine(new CodeEditor(theme, this))
{
    setObjectName(QStringLiteral("conflictDialog"));
    setWindowTitle(tr("Conflict on %1").arg(document->key()));
    auto *layout = new QVBoxLayout(this);
    const std::optional<Entry> &theirs = document->theirs();
    const bool deleted = theirs && theirs->revision.isEmpty() && theirs->value.is_null();
    auto *summary = new QLabel(
        deleted ? tr("Someone deleted <code>%1</code> after you opened it. Your edit is safe; choose what to keep.")
                      .arg(document->key().toHtmlEscaped())
                : tr("Someone changed <code>%1</code> after you opened it (revision %2, now %3). Your edit is safe; "
                     "choose what to keep.")
                      .arg(document->key().toHtmlEscaped(), document->base().revision.toHtmlEscaped(),
                           theirs ? theirs->revision.toHtmlEscaped() : QString()),
        this);
    summary->setWordWrap(true);
    layout->addWidget(summary);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    auto pane = [&](CodeEditor *editor, const QString &title, const QString &text, const QString &name) {
        auto *box = new QWidget(splitter);
        auto *v = new QVBoxLayout(box);
        v->setContentsMargins(0, 0, 0, 0);
        auto *label = new QLabel(title, box);
        label->setObjectName(name + QStringLiteral("Title"));
        v->addWidget(label);
        editor->setObjectName(name);
        editor->setReadOnly(true);
        editor->setMode(modeOf(document->format()));
        editor->setContent(text);
        v->addWidget(editor, 1);
        splitter->addWidget(box);
    };
    const QString baseText = document->baseText();
    const QString theirsText = document->theirsText();
    const QString mineText = document->text();
    pane(m_base, tr("<b>Base</b>: as you read it (revision %1)").arg(document->base().revision.toHtmlEscaped()),
         baseText, QStringLiteral("base"));
    pane(m_theirs,
         deleted ? tr("<b>Theirs</b>: deleted from the store")
                 : tr("<b>Theirs</b>: in the store now (revision %1)")
                       .arg(theirs ? theirs->revision.toHtmlEscaped() : QString()),
         theirsText, QStringLiteral("theirs"));
    pane(m_mine, tr("<b>Mine</b>: your edit"), mineText, QStringLiteral("mine"));
    if (!document->masked()) {
        m_theirs->setMarkedLines(changedLines(baseText, theirsText), Tone::Modified);
        m_mine->setMarkedLines(changedLines(baseText, mineText), Tone::Added);
    }
    layout->addWidget(splitter, 1);

    auto *buttons = new QDialogButtonBox(this);
    m_takeTheirs = buttons->addButton(actionLabel("entry.theirs"), QDialogButtonBox::ActionRole);
    m_takeTheirs->setToolTip(actionHelp("entry.theirs") + tr(" Your edit is kept aside and can be restored."));
    m_keepMine = buttons->addButton(actionLabel("entry.mine"), QDialogButtonBox::ActionRole);
    m_keepMine->setToolTip(actionHelp("entry.mine"));
    m_merge = buttons->addButton(actionLabel("entry.merge"), QDialogButtonBox::ActionRole);
    m_merge->setToolTip(actionHelp("entry.merge"));
    buttons->addButton(tr("Decide later"), QDialogButtonBox::RejectRole);
    m_takeTheirs->setObjectName(QStringLiteral("takeTheirs"));
    m_keepMine->setObjectName(QStringLiteral("keepMine"));
    m_merge->setObjectName(QStringLiteral("merge"));
    connect(m_takeTheirs, &QPushButton::clicked, this, [this] {
        accept();
        Q_EMIT chosen(Choice::TakeTheirs);
    });
    connect(m_keepMine, &QPushButton::clicked, this, [this] {
        accept();
        Q_EMIT chosen(Choice::KeepMine);
    });
    connect(m_merge, &QPushButton::clicked, this, [this] {
        accept();
        Q_EMIT chosen(Choice::Merge);
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(1100, 560);
}

QPushButton *ConflictDialog::button(Choice choice) const
{
    switch (choice) {
    case Choice::TakeTheirs: return m_takeTheirs;
    case Choice::KeepMine: return m_keepMine;
    case Choice::Merge: return m_merge;
    }
    return nullptr;
}

} // namespace sd::widgets
