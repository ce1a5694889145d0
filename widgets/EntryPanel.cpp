#include "EntryPanel.h"

#include "CodeEditor.h"
#include "Dialogs.h"
#include "Theme.h"
#include "console/Actions.h"
#include "console/Session.h"
#include "model/Codec.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTextBlock>
#include <QToolButton>
#include <QVBoxLayout>

namespace sd::widgets {

using console::EntryDocument;
using console::Tone;
using State = EntryDocument::State;
using Format = EntryDocument::Format;

namespace {

// Edits of texts past this size reach the document after a pause in typing:
// validating a megabyte on every keystroke would make typing lag.
constexpr int kImmediateLimit = 64 * 1024;

SyntaxHighlighter::Mode modeOf(Format f)
{
    switch (f) {
    case Format::Json: return SyntaxHighlighter::Mode::Json;
    case Format::Yaml: return SyntaxHighlighter::Mode::Yaml;
    case Format::Text: return SyntaxHighlighter::Mode::Plain;
    }
    return SyntaxHighlighter::Mode::Plain;
}

QString formatName(Format f)
{
    switch (f) {
    case Format::Json: return EntryPanel::tr("JSON");
    case Format::Yaml: return EntryPanel::tr("YAML");
    case Format::Text: return EntryPanel::tr("text");
    }
    return {};
}

QString ttlText(const QMap<QString, QString> &labels)
{
    bool ok = false;
    const qint64 ms = labels.value(QStringLiteral("ttl")).toLongLong(&ok);
    if (!ok || ms < 0)
        return EntryPanel::tr("none");
    const qint64 s = (ms + 999) / 1000;
    const QString at = QDateTime::currentDateTime().addMSecs(ms).toString(QStringLiteral("HH:mm:ss"));
    if (s < 120)
        return EntryPanel::tr("%1 s (at %2)").arg(s).arg(at);
    if (s < 7200)
        return EntryPanel::tr("%1 min (at %2)").arg(s / 60).arg(at);
    return EntryPanel::tr("%1 h").arg(s / 3600);
}

QString sizeText(qint64 bytes)
{
    if (bytes < 10 * 1024)
        return EntryPanel::tr("%1 bytes").arg(bytes);
    if (bytes < 10 * 1024 * 1024)
        return EntryPanel::tr("%1 KiB").arg(bytes / 1024);
    return EntryPanel::tr("%1 MiB").arg(bytes / (1024 * 1024));
}

// Fills a name/value table; an empty one gives way to its "none" label.
void fillTable(QTableWidget *table, const QMap<QString, QString> &map, const QStringList &skip = {})
{
    table->setRowCount(0);
    for (auto it = map.cbegin(); it != map.cend(); ++it) {
        if (skip.contains(it.key()))
            continue;
        const int row = table->rowCount();
        table->insertRow(row);
        auto *k = new QTableWidgetItem(it.key());
        auto *v = new QTableWidgetItem(it.value());
        k->setToolTip(it.key());
        v->setToolTip(it.value());
        table->setItem(row, 0, k);
        table->setItem(row, 1, v);
    }
    table->setVisible(table->rowCount() > 0);
    if (auto *none = table->parentWidget()->findChild<QLabel *>(table->objectName() + QStringLiteral("None")))
        none->setVisible(table->rowCount() == 0);
}

QToolButton *toolButton(const QString &text, const QString &tip, QWidget *parent)
{
    auto *b = new QToolButton(parent);
    b->setText(text);
    b->setToolTip(tip);
    b->setToolButtonStyle(Qt::ToolButtonTextOnly);
    b->setAutoRaise(true);
    return b;
}

} // namespace

EntryPanel::EntryPanel(console::Session *session, Theme *theme, QWidget *parent)
    : QWidget(parent), m_session(session), m_theme(theme), m_doc(new EntryDocument(session, this))
{
    setObjectName(QStringLiteral("entryPanel"));
    buildUi();
    m_push.setSingleShot(true);
    m_push.setInterval(300);
    connect(&m_push, &QTimer::timeout, this, &EntryPanel::flushEdits);
    connect(m_doc, &EntryDocument::textChanged, this, &EntryPanel::onDocumentText);
    connect(m_doc, &EntryDocument::stateChanged, this, &EntryPanel::onDocumentState);
    connect(m_doc, &EntryDocument::saved, this, [this](const Entry &e) {
        m_changedInStore.clear();
        Q_EMIT notify(Tone::Good, tr("Saved %1 (revision %2)").arg(e.key, e.revision));
        updateChrome();
    });
    connect(m_doc, &EntryDocument::removed, this, [this](const QString &key) {
        m_showingDoc = false;
        m_changedInStore.clear();
        m_keyLabel->clear();
        m_placeholder->setText(tr("%1 was deleted.").arg(key));
        Q_EMIT notify(Tone::Good, tr("Deleted %1").arg(key));
        updateChrome();
    });
    connect(m_doc, &EntryDocument::failed, this, [this](const Error &e) {
        if (m_doc->state() == State::Failed)
            m_placeholder->setText(tr("Could not open %1:\n%2").arg(m_doc->key(), e.message));
        Q_EMIT notify(Tone::Error, e.message, e.toString());
        updateChrome();
    });
    connect(m_editor, &QPlainTextEdit::textChanged, this, &EntryPanel::onEditorText);
    if (m_theme)
        connect(m_theme, &Theme::changed, this, &EntryPanel::updateChrome);
    updateChrome();
}

void EntryPanel::buildUi()
{
    auto *root = new QVBoxLayout(this);
    root->setContentsMargins(6, 6, 6, 6);
    root->setSpacing(4);

    auto *header = new QHBoxLayout;
    m_keyLabel = new QLabel(this);
    m_keyLabel->setObjectName(QStringLiteral("entryKey"));
    m_keyLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = m_keyLabel->font();
    bold.setBold(true);
    bold.setPointSizeF(bold.pointSizeF() * 1.1);
    m_keyLabel->setFont(bold);
    m_stateLabel = new QLabel(this);
    m_stateLabel->setObjectName(QStringLiteral("entryState"));
    m_stateLabel->setContentsMargins(6, 1, 6, 1);
    header->addWidget(m_keyLabel, 1);
    header->addWidget(m_stateLabel);
    root->addLayout(header);

    m_notice = new QFrame(this);
    m_notice->setObjectName(QStringLiteral("entryNotice"));
    auto *noticeLayout = new QHBoxLayout(m_notice);
    noticeLayout->setContentsMargins(8, 4, 8, 4);
    m_noticeText = new QLabel(m_notice);
    m_noticeText->setWordWrap(true);
    m_revealButton = new QPushButton(tr("Reveal"), m_notice);
    m_revealButton->setObjectName(QStringLiteral("reveal"));
    m_conflictButton = new QPushButton(tr("Compare and resolve…"), m_notice);
    m_restoreButton = new QPushButton(tr("Restore my edit"), m_notice);
    noticeLayout->addWidget(m_noticeText, 1);
    noticeLayout->addWidget(m_revealButton);
    noticeLayout->addWidget(m_conflictButton);
    noticeLayout->addWidget(m_restoreButton);
    connect(m_revealButton, &QPushButton::clicked, this, &EntryPanel::toggleReveal);
    connect(m_conflictButton, &QPushButton::clicked, this, &EntryPanel::showConflict);
    connect(m_restoreButton, &QPushButton::clicked, this, &EntryPanel::restoreDiscarded);
    root->addWidget(m_notice);

    m_pages = new QStackedWidget(this);
    m_placeholder = new QLabel(tr("Select a key to see its value."), m_pages);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setObjectName(QStringLiteral("entryPlaceholder"));
    m_pages->addWidget(m_placeholder);

    auto *page = new QWidget(m_pages);
    auto *pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    pageLayout->setSpacing(2);
    auto *tools = new QHBoxLayout;
    m_format = new QComboBox(page);
    m_format->setObjectName(QStringLiteral("format"));
    m_format->addItem(tr("JSON"), int(Format::Json));
    m_format->addItem(tr("YAML"), int(Format::Yaml));
    m_format->addItem(tr("Text"), int(Format::Text));
    m_format->setToolTip(tr("Edit the value as JSON, YAML or plain text (the store keeps its own form)."));
    m_prettyButton = toolButton(tr("Pretty"), tr("Indent the value, one member a line."), page);
    m_compactButton = toolButton(tr("Compact"), tr("The value on one line (JSON)."), page);
    m_findButton = toolButton(tr("Find"), tr("Find in the value (Ctrl+F, F3 for the next)."), page);
    m_revertButton = toolButton(tr("Revert"), tr("Drop the edit: back to the value as read."), page);
    m_saveButton = toolButton(tr("Save…"), QString(), page);
    m_saveButton->setObjectName(QStringLiteral("save"));
    tools->addWidget(m_format);
    tools->addWidget(m_prettyButton);
    tools->addWidget(m_compactButton);
    tools->addWidget(m_findButton);
    tools->addStretch(1);
    tools->addWidget(m_revertButton);
    tools->addWidget(m_saveButton);
    pageLayout->addLayout(tools);
    connect(m_format, &QComboBox::activated, this, [this](int index) {
        flushEdits();
        const auto f = Format(m_format->itemData(index).toInt());
        if (!m_doc->setFormat(f)) {
            Q_EMIT notify(Tone::Error, tr("Cannot show %1 as %2 until it parses: %3")
                                           .arg(m_doc->key(), formatName(f), m_doc->validation().message));
            updateChrome();
        }
    });
    connect(m_prettyButton, &QToolButton::clicked, this, &EntryPanel::pretty);
    connect(m_compactButton, &QToolButton::clicked, this, &EntryPanel::compact);
    connect(m_findButton, &QToolButton::clicked, this, &EntryPanel::showFind);
    connect(m_revertButton, &QToolButton::clicked, this, [this] {
        if (!m_doc->masked())
            m_doc->setText(m_doc->baseText());
    });
    connect(m_saveButton, &QToolButton::clicked, this, &EntryPanel::requestSave);

    auto *splitter = new QSplitter(Qt::Horizontal, page);
    splitter->setObjectName(QStringLiteral("entrySplitter"));
    auto *left = new QWidget(splitter);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->setSpacing(2);
    m_editor = new CodeEditor(m_theme, left);
    m_editor->setObjectName(QStringLiteral("valueEditor"));
    leftLayout->addWidget(m_editor, 1);

    m_findBar = new QWidget(left);
    auto *findLayout = new QHBoxLayout(m_findBar);
    findLayout->setContentsMargins(0, 0, 0, 0);
    m_findEdit = new QLineEdit(m_findBar);
    m_findEdit->setObjectName(QStringLiteral("findText"));
    m_findEdit->setPlaceholderText(tr("Find in the value"));
    m_findEdit->setClearButtonEnabled(true);
    auto *next = toolButton(tr("Next"), tr("F3"), m_findBar);
    auto *previous = toolButton(tr("Previous"), tr("Shift+F3"), m_findBar);
    auto *close = toolButton(tr("Close"), tr("Esc"), m_findBar);
    m_findStatus = new QLabel(m_findBar);
    findLayout->addWidget(m_findEdit, 1);
    findLayout->addWidget(previous);
    findLayout->addWidget(next);
    findLayout->addWidget(m_findStatus);
    findLayout->addWidget(close);
    m_findBar->hide();
    auto find = [this](bool backward) {
        const bool found = m_editor->findText(m_findEdit->text(), backward);
        m_findStatus->setText(found || m_findEdit->text().isEmpty() ? QString() : tr("not found"));
        if (m_theme)
            m_findStatus->setStyleSheet(m_theme->styleSheetFor(Tone::Error));
    };
    connect(m_findEdit, &QLineEdit::returnPressed, this, [find] { find(false); });
    connect(m_findEdit, &QLineEdit::textEdited, this, [this, find] {
        // Incremental: search again from where the last match began.
        QTextCursor c = m_editor->textCursor();
        c.setPosition(c.selectionStart());
        m_editor->setTextCursor(c);
        find(false);
    });
    connect(next, &QToolButton::clicked, this, [find] { find(false); });
    connect(previous, &QToolButton::clicked, this, [find] { find(true); });
    connect(close, &QToolButton::clicked, this, [this] {
        m_findBar->hide();
        m_editor->setFocus();
    });
    auto *findKey = new QShortcut(QKeySequence::Find, this, this, &EntryPanel::showFind);
    findKey->setContext(Qt::WidgetWithChildrenShortcut);
    auto *nextKey = new QShortcut(QKeySequence::FindNext, this, [find] { find(false); });
    nextKey->setContext(Qt::WidgetWithChildrenShortcut);
    auto *previousKey = new QShortcut(QKeySequence::FindPrevious, this, [find] { find(true); });
    previousKey->setContext(Qt::WidgetWithChildrenShortcut);
    auto *closeKey = new QShortcut(QKeySequence(Qt::Key_Escape), m_findBar, [this] {
        m_findBar->hide();
        m_editor->setFocus();
    });
    closeKey->setContext(Qt::WidgetWithChildrenShortcut);
    leftLayout->addWidget(m_findBar);

    m_validation = new QLabel(left);
    m_validation->setObjectName(QStringLiteral("validation"));
    m_validation->setWordWrap(true);
    m_validation->setContentsMargins(4, 2, 4, 2);
    m_validation->setCursor(Qt::PointingHandCursor);
    m_validation->setToolTip(tr("Click to go to the error."));
    m_validation->installEventFilter(this);
    leftLayout->addWidget(m_validation);
    splitter->addWidget(left);

    auto *meta = new QWidget(splitter);
    meta->setObjectName(QStringLiteral("entryMeta"));
    auto *metaLayout = new QVBoxLayout(meta);
    metaLayout->setContentsMargins(6, 0, 0, 0);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto field = [&](const QString &name, const QString &objectName) {
        auto *l = new QLabel(meta);
        l->setObjectName(objectName);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        l->setWordWrap(true);
        form->addRow(name, l);
        return l;
    };
    m_revision = field(tr("Revision"), QStringLiteral("metaRevision"));
    m_updated = field(tr("Updated"), QStringLiteral("metaUpdated"));
    m_ttl = field(tr("TTL"), QStringLiteral("metaTtl"));
    m_encoding = field(tr("Stored as"), QStringLiteral("metaEncoding"));
    m_size = field(tr("Size"), QStringLiteral("metaSize"));
    metaLayout->addLayout(form);
    auto table = [&](const QString &title, const QString &objectName) {
        metaLayout->addWidget(new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()), meta));
        auto *none = new QLabel(tr("none"), meta);
        none->setObjectName(objectName + QStringLiteral("None"));
        metaLayout->addWidget(none);
        auto *t = new QTableWidget(0, 2, meta);
        t->setObjectName(objectName);
        t->setHorizontalHeaderLabels({tr("Name"), tr("Value")});
        t->horizontalHeader()->setStretchLastSection(true);
        t->verticalHeader()->hide();
        t->setEditTriggers(QAbstractItemView::NoEditTriggers);
        t->setSelectionBehavior(QAbstractItemView::SelectRows);
        t->setWordWrap(false);
        t->horizontalHeader()->setDefaultSectionSize(90);
        t->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
        t->setTextElideMode(Qt::ElideMiddle);
        t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 6);
        metaLayout->addWidget(t, 1);
        return t;
    };
    m_labels = table(tr("Labels"), QStringLiteral("metaLabels"));
    m_annotations = table(tr("Annotations"), QStringLiteral("metaAnnotations"));
    metaLayout->addStretch(0);
    splitter->addWidget(meta);
    meta->setMinimumWidth(200);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({560, 240});
    pageLayout->addWidget(splitter, 1);
    m_pages->addWidget(page);
    root->addWidget(m_pages, 1);
}

bool EntryPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_validation && event->type() == QEvent::MouseButtonRelease) {
        const auto v = m_doc->validation();
        if (!v.ok && v.line > 0)
            m_editor->goToLine(v.line, v.column);
        m_editor->setFocus();
    }
    return QWidget::eventFilter(watched, event);
}

DiffDialog *EntryPanel::saveDialog() const
{
    return m_saveDialog;
}

ConflictDialog *EntryPanel::conflictDialog() const
{
    return m_conflictDialog;
}

QString EntryPanel::key() const
{
    return m_showingDoc ? m_doc->key() : QString();
}

bool EntryPanel::hasEntry() const
{
    if (!m_showingDoc)
        return false;
    const State s = m_doc->state();
    return s == State::Clean || s == State::Modified || s == State::Saving || s == State::Conflict;
}

bool EntryPanel::hasUnsavedEdit() const
{
    return hasEntry() && (m_doc->dirty() || m_doc->state() == State::Conflict || m_push.isActive());
}

void EntryPanel::open(const QString &key)
{
    m_push.stop();
    m_showingDoc = true;
    m_changedInStore.clear();
    m_placeholder->setText(tr("Reading %1…").arg(key));
    m_doc->open(key);
    updateChrome();
}

void EntryPanel::openNew(const QString &key)
{
    m_push.stop();
    m_showingDoc = true;
    m_changedInStore.clear();
    m_doc->openNew(key);
    updateChrome();
    focusEditor();
}

void EntryPanel::showPrefix(const QString &prefix, int keys)
{
    m_push.stop();
    m_showingDoc = false;
    m_changedInStore.clear();
    if (m_doc->sensitive())
        m_doc->mask(); // what was revealed is hidden again when the user moves on
    m_placeholder->setText(keys == 1 ? tr("%1\n1 key loaded under this prefix.").arg(prefix)
                                     : tr("%1\n%2 keys loaded under this prefix.").arg(prefix).arg(keys));
    m_keyLabel->setText(prefix);
    updateChrome();
}

QString EntryPanel::editorText() const
{
    // toPlainText() would turn non-breaking spaces into spaces: a value
    // must come back as it was typed.
    QString text = m_editor->document()->toRawText();
    text.replace(QChar::ParagraphSeparator, QLatin1Char('\n'));
    return text;
}

void EntryPanel::onEditorText()
{
    if (m_applying)
        return;
    if (m_editor->document()->characterCount() > kImmediateLimit)
        m_push.start();
    else
        flushEdits();
}

void EntryPanel::flushEdits()
{
    m_push.stop();
    if (!m_showingDoc || m_doc->masked() || m_editor->isReadOnly())
        return;
    const QString text = editorText();
    if (text != m_doc->text())
        m_doc->setText(text);
}

void EntryPanel::onDocumentText()
{
    const QString text = m_doc->text();
    m_editor->setMode(modeOf(m_doc->format()));
    if (text != editorText()) {
        m_applying = true;
        m_editor->setContent(text);
        m_applying = false;
    }
    updateValidation();
    updateMeta();
    updateChrome();
}

void EntryPanel::onDocumentState(State state)
{
    updateChrome();
    if (state == State::Conflict)
        showConflict();
}

void EntryPanel::updateValidation()
{
    const EntryDocument::Validation v = m_doc->validation();
    if (m_doc->masked()) {
        m_validation->setText(tr("Secret value hidden."));
        m_editor->setErrorLine(0);
    } else if (v.ok) {
        m_validation->setText(tr("Valid %1").arg(formatName(m_doc->format())));
        m_editor->setErrorLine(0);
    } else {
        QString where;
        if (v.line > 0 && v.column > 0)
            where = tr("Line %1, column %2: ").arg(v.line).arg(v.column);
        else if (v.line > 0)
            where = tr("Line %1: ").arg(v.line);
        m_validation->setText(where + v.message);
        m_editor->setErrorLine(v.line);
    }
    if (m_theme)
        m_validation->setStyleSheet(m_theme->styleSheetFor(v.ok || m_doc->masked() ? Tone::Muted : Tone::Error));
}

QString EntryPanel::validationText() const
{
    return m_validation->text();
}

void EntryPanel::updateMeta()
{
    const Entry &b = m_doc->base();
    m_revision->setText(m_doc->isNew() ? tr("new key (not written yet)") : b.revision);
    m_updated->setText(b.updated.isValid()
                           ? b.updated.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                           : tr("unknown"));
    m_ttl->setText(ttlText(b.labels));
    m_encoding->setText(encodingName(b.encoding));
    const qint64 bytes = !b.raw.isEmpty() ? b.raw.size() : qint64(compactJson(b.value).size());
    // A secret's length is a hint about it: shown once revealed.
    m_size->setText(m_doc->masked() ? tr("hidden") : sizeText(bytes));
    fillTable(m_labels, b.labels, {QStringLiteral("ttl")});
    fillTable(m_annotations, b.annotations);
}

void EntryPanel::setNotice(Tone tone, const QString &text, const QList<QWidget *> &buttons)
{
    m_notice->setVisible(!text.isEmpty());
    m_noticeText->setText(text);
    for (QWidget *b : {static_cast<QWidget *>(m_revealButton), static_cast<QWidget *>(m_conflictButton),
                       static_cast<QWidget *>(m_restoreButton)})
        b->setVisible(buttons.contains(b));
    if (m_theme)
        m_notice->setStyleSheet(QStringLiteral("QFrame#entryNotice { %1 border-radius: 3px; } QLabel { %1 }")
                                    .arg(m_theme->styleSheetFor(tone)));
}

QString EntryPanel::noticeText() const
{
    return m_notice->isVisible() ? m_noticeText->text() : QString();
}

void EntryPanel::updateChrome()
{
    const State s = m_doc->state();
    const bool loaded = m_showingDoc && (s == State::Clean || s == State::Modified || s == State::Saving
                                         || s == State::Conflict);
    m_pages->setCurrentIndex(loaded ? 1 : 0);
    if (m_showingDoc)
        m_keyLabel->setText(m_doc->key());

    // The badge beside the key.
    QString badge;
    Tone badgeTone = Tone::Muted;
    if (loaded) {
        switch (s) {
        case State::Clean: badge = m_doc->isNew() ? tr("new") : tr("unchanged"); break;
        case State::Modified:
            badge = tr("edited");
            badgeTone = Tone::Modified;
            break;
        case State::Saving:
            badge = tr("writing…");
            badgeTone = Tone::Warning;
            break;
        case State::Conflict:
            badge = tr("conflict");
            badgeTone = Tone::Error;
            break;
        default: break;
        }
    } else if (m_showingDoc && s == State::Loading) {
        badge = tr("reading…");
    } else if (m_showingDoc && s == State::Failed) {
        badge = tr("failed");
        badgeTone = Tone::Error;
    }
    m_stateLabel->setText(badge);
    m_stateLabel->setVisible(!badge.isEmpty());
    if (m_theme)
        m_stateLabel->setStyleSheet(m_theme->styleSheetFor(badgeTone) + QStringLiteral("border-radius: 3px;"));

    const bool masked = m_doc->masked();
    m_editor->setReadOnly(!loaded || masked || s == State::Saving);
    // The placeholder of a masked value is a sentence: let it wrap.
    m_editor->setLineWrapMode(masked ? QPlainTextEdit::WidgetWidth : QPlainTextEdit::NoWrap);
    m_findButton->setEnabled(loaded && !masked);
    const int formatIndex = m_format->findData(int(m_doc->format()));
    if (formatIndex != m_format->currentIndex())
        m_format->setCurrentIndex(formatIndex);
    m_format->setEnabled(loaded && !masked);
    m_prettyButton->setEnabled(loaded && !masked && m_doc->format() != Format::Text);
    m_compactButton->setEnabled(loaded && !masked && m_doc->format() == Format::Json);
    m_revertButton->setEnabled(loaded && !masked && m_doc->dirty() && s != State::Saving);
    const auto whySave = whyNot(QStringLiteral("entry.save"));
    m_saveButton->setEnabled(!whySave);
    m_saveButton->setToolTip(whySave ? tr("Save: %1").arg(*whySave)
                                     : tr("Show what will change, then write it (Ctrl+S)."));
    m_revealButton->setText(masked ? tr("Reveal") : tr("Hide"));

    // The notice: the most pressing thing first.
    if (loaded && s == State::Conflict) {
        setNotice(Tone::Error,
                  tr("Someone else changed %1 before your save. Your edit is kept; compare the versions and choose.")
                      .arg(m_doc->key()),
                  {m_conflictButton});
    } else if (loaded && !m_changedInStore.isEmpty()) {
        setNotice(Tone::Warning,
                  m_changedInStore == QLatin1String("-")
                      ? tr("%1 was deleted in the store after you opened it. Saving creates it again.")
                            .arg(m_doc->key())
                      : tr("%1 changed in the store (revision %2) after you opened it. Saving will show both "
                           "versions to choose from.")
                            .arg(m_doc->key(), m_changedInStore));
    } else if (loaded && !m_doc->discardedText().isEmpty() && s == State::Clean) {
        setNotice(Tone::Muted, tr("You took their value; your edit is kept aside."), {m_restoreButton});
    } else if (loaded && m_doc->sensitive()) {
        setNotice(Tone::Secret,
                  masked ? tr("A secret value: hidden until you reveal it, and hidden again when you move on.")
                         : tr("A secret value, shown: it is hidden again when you move on."),
                  {m_revealButton});
    } else {
        setNotice(Tone::Normal, QString());
    }
    Q_EMIT changed();
}

std::optional<QString> EntryPanel::whyNot(const QString &actionId) const
{
    const bool entry = hasEntry();
    const State s = m_doc->state();
    if (actionId == QLatin1String("entry.save")) {
        if (!entry)
            return tr("open a key first");
        if (s == State::Saving)
            return tr("a write is in progress");
        if (s == State::Conflict)
            return std::nullopt; // Save opens the conflict dialog again
        if (!m_doc->dirty() && !m_doc->isNew() && !m_push.isActive())
            return tr("nothing changed");
        const auto v = m_doc->validation();
        if (!v.ok)
            return v.line > 0 ? tr("fix line %1 first: %2").arg(v.line).arg(v.message) : v.message;
        return std::nullopt;
    }
    if (actionId == QLatin1String("entry.format") || actionId == QLatin1String("keys.edit")) {
        if (!entry)
            return tr("open a key first");
        if (m_doc->masked())
            return tr("reveal the value first");
        return std::nullopt;
    }
    if (actionId == QLatin1String("entry.reveal") || actionId == QLatin1String("keys.reveal"))
        return entry ? std::nullopt : std::optional<QString>(tr("open a key first"));
    if (actionId == QLatin1String("entry.theirs") || actionId == QLatin1String("entry.mine")
        || actionId == QLatin1String("entry.merge"))
        return s == State::Conflict && entry ? std::nullopt : std::optional<QString>(tr("no conflict to resolve"));
    if (actionId == QLatin1String("keys.delete")) {
        if (!entry)
            return tr("open a key first");
        if (m_doc->isNew())
            return tr("the key is not written yet");
        if (s == State::Saving || s == State::Conflict)
            return tr("finish the write first");
        return std::nullopt;
    }
    if (actionId == QLatin1String("keys.copy")) {
        if (!entry)
            return tr("open a key first");
        if (m_doc->masked())
            return tr("reveal the value first");
        return std::nullopt;
    }
    return std::nullopt;
}

void EntryPanel::focusEditor()
{
    if (hasEntry())
        m_editor->setFocus();
}

void EntryPanel::requestSave()
{
    flushEdits();
    if (const auto why = whyNot(QStringLiteral("entry.save"))) {
        const auto v = m_doc->validation();
        if (!v.ok && v.line > 0)
            m_editor->goToLine(v.line, v.column);
        Q_EMIT notify(hasEntry() && !v.ok ? Tone::Error : Tone::Muted,
                      tr("Not saved: %1").arg(*why));
        return;
    }
    if (m_doc->state() == State::Conflict) {
        showConflict();
        return;
    }
    if (m_saveDialog && m_saveDialog->isVisible()) {
        m_saveDialog->raise();
        return;
    }
    const QString key = m_doc->key();
    const QString summary =
        m_doc->isNew()
            ? tr("%1 does not exist yet. It is created only if nobody creates it first.").arg(key)
            : tr("Written only if %1 is still at revision %2 (compare-and-swap). If someone changed it meanwhile, "
                 "you choose what to keep.")
                  .arg(key, m_doc->base().revision);
    m_saveDialog = new DiffDialog(tr("Save %1?").arg(key), summary,
                                  m_doc->isNew() ? m_doc->text() : m_doc->diff(), m_theme, this);
    m_saveDialog->setAttribute(Qt::WA_DeleteOnClose);
    m_saveDialog->setWindowModality(Qt::WindowModal);
    connect(m_saveDialog, &QDialog::accepted, this, [this] {
        const State s = m_doc->state();
        if (s == State::Clean || s == State::Modified)
            m_doc->save();
    });
    m_saveDialog->open();
}

void EntryPanel::requestDelete(bool production)
{
    flushEdits();
    if (const auto why = whyNot(QStringLiteral("keys.delete"))) {
        Q_EMIT notify(Tone::Muted, tr("Not deleted: %1").arg(*why));
        return;
    }
    const console::Action *action = console::Actions::find(QStringLiteral("keys.delete"));
    if (!action)
        return;
    const QString key = m_doc->key();
    QString detail = tr("It is deleted only if it is still at revision %1.").arg(m_doc->base().revision);
    if (m_doc->dirty())
        detail += QLatin1Char(' ') + tr("Your unsaved edit goes with it.");
    auto *dialog =
        new ConfirmDialog(*action, console::Actions::confirmationFor(*action, production), key, detail, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    connect(dialog, &QDialog::accepted, this, [this, key] {
        if (m_doc->key() == key)
            m_doc->remove();
    });
    dialog->open();
}

void EntryPanel::toggleReveal()
{
    if (!hasEntry() || !m_doc->sensitive())
        return;
    flushEdits();
    if (m_doc->masked())
        m_doc->reveal();
    else
        m_doc->mask();
    updateMeta();
    updateChrome();
}

void EntryPanel::toggleFormat()
{
    if (whyNot(QStringLiteral("entry.format")))
        return;
    flushEdits();
    const Format target = m_doc->format() == Format::Yaml ? Format::Json : Format::Yaml;
    if (!m_doc->setFormat(target))
        Q_EMIT notify(Tone::Error, tr("Cannot show %1 as %2 until it parses: %3")
                                       .arg(m_doc->key(), formatName(target), m_doc->validation().message));
}

void EntryPanel::pretty()
{
    flushEdits();
    const Result<Json> value = m_doc->parsedMine();
    if (!value.ok()) {
        Q_EMIT notify(Tone::Error, tr("Cannot reformat: %1").arg(value.error().message));
        return;
    }
    m_doc->setText(EntryDocument::render(value.value(), m_doc->format()));
}

void EntryPanel::compact()
{
    flushEdits();
    const Result<Json> value = m_doc->parsedMine();
    if (!value.ok()) {
        Q_EMIT notify(Tone::Error, tr("Cannot reformat: %1").arg(value.error().message));
        return;
    }
    if (m_doc->format() == Format::Json)
        m_doc->setText(QString::fromUtf8(compactJson(value.value())) + QLatin1Char('\n'));
}

void EntryPanel::showFind()
{
    if (!hasEntry())
        return;
    m_findBar->show();
    const QString selected = m_editor->textCursor().selectedText();
    if (!selected.isEmpty() && !selected.contains(QChar::ParagraphSeparator))
        m_findEdit->setText(selected);
    m_findEdit->setFocus();
    m_findEdit->selectAll();
}

void EntryPanel::showConflict()
{
    if (m_doc->state() != State::Conflict)
        return;
    if (m_conflictDialog && m_conflictDialog->isVisible()) {
        m_conflictDialog->raise();
        return;
    }
    m_conflictDialog = new ConflictDialog(m_doc, m_theme, this);
    m_conflictDialog->setAttribute(Qt::WA_DeleteOnClose);
    m_conflictDialog->setWindowModality(Qt::WindowModal);
    connect(m_conflictDialog, &ConflictDialog::chosen, this, [this](ConflictDialog::Choice c) { resolve(int(c)); });
    m_conflictDialog->open();
}

void EntryPanel::resolve(int choice)
{
    if (m_doc->state() != State::Conflict)
        return;
    flushEdits();
    if (m_conflictDialog)
        m_conflictDialog->close();
    m_changedInStore.clear();
    const QString key = m_doc->key();
    switch (ConflictDialog::Choice(choice)) {
    case ConflictDialog::Choice::TakeTheirs:
        m_doc->takeTheirs();
        Q_EMIT notify(Tone::Muted, tr("Took the store's value of %1; your edit is kept aside.").arg(key));
        break;
    case ConflictDialog::Choice::KeepMine:
        // "Keep mine" is the decision to write it, against their revision.
        m_doc->keepMine();
        if (m_doc->state() == State::Modified || m_doc->isNew())
            m_doc->save();
        break;
    case ConflictDialog::Choice::Merge: {
        const bool clean = m_doc->merge();
        if (clean) {
            Q_EMIT notify(Tone::Good, tr("Merged your edit of %1 with theirs: review it, then save.").arg(key));
        } else {
            Q_EMIT notify(Tone::Warning, tr("Both edits changed the same lines of %1: resolve the marked lines "
                                            "(<<<<<<< mine … >>>>>>> theirs), then save.")
                                             .arg(key));
            const QTextBlock marker = m_editor->document()->find(QStringLiteral("<<<<<<< ")).block();
            if (marker.isValid())
                m_editor->goToLine(marker.blockNumber() + 1);
        }
        focusEditor();
        break;
    }
    }
    updateChrome();
}

void EntryPanel::restoreDiscarded()
{
    const QString mine = m_doc->discardedText();
    if (mine.isEmpty() || m_doc->masked())
        return;
    m_doc->setText(mine);
    focusEditor();
}

void EntryPanel::keyChangedInStore(const QString &revision, bool deleted)
{
    if (!hasEntry() || m_doc->state() == State::Saving || m_doc->isNew())
        return;
    if (!deleted && revision == m_doc->base().revision)
        return; // what is shown (our own write, or an event for what was read)
    if (m_doc->state() == State::Clean && !deleted && m_doc->discardedText().isEmpty()) {
        Q_EMIT notify(Tone::Muted, tr("%1 changed in the store; showing revision %2.").arg(m_doc->key(), revision));
        open(m_doc->key());
        return;
    }
    m_changedInStore = deleted ? QStringLiteral("-") : revision;
    updateChrome();
}

} // namespace sd::widgets
