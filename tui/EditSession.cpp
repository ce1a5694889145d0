#include "EditSession.h"

#include "App.h"
#include "Views.h"
#include "console/EntryDocument.h"
#include "console/Session.h"

#include <QCoreApplication>
#include <QDir>
#include <QProcess>
#include <QTemporaryFile>

namespace sd::tui {

using console::EntryDocument;
using console::Tone;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("TUI", text);
}

} // namespace

EditSession::EditSession(App *app, EntryDocument *doc) : QObject(app), m_app(app), m_doc(doc) {}

EditSession::~EditSession()
{
    if (m_editor) {
        m_editor->disconnect(this);
        m_editor->kill();
        m_editor->waitForFinished(2000);
        delete m_editor;
        m_app->terminal().resume();
    }
    dropFile();
}

void EditSession::dropFile()
{
    m_file.reset(); // QTemporaryFile removes its file
    Terminal::setScratchFile(QString());
}

QString EditSession::marker()
{
    return QStringLiteral("# ---- edit below this line; the lines above are ignored ----");
}

QString EditSession::stripHeader(const QString &text)
{
    const QString m = marker() + QLatin1Char('\n');
    const qsizetype at = text.indexOf(m);
    return at < 0 ? text : text.mid(at + m.size());
}

void EditSession::start()
{
    if (!m_doc)
        return;
    switch (m_doc->state()) {
    case EntryDocument::State::Loading:
        // Begin once the value is there.
        connect(m_doc, &EntryDocument::stateChanged, this, [this](EntryDocument::State s) {
            if (m_started || s == EntryDocument::State::Loading)
                return;
            if (s == EntryDocument::State::Failed)
                return;
            begin();
        });
        return;
    case EntryDocument::State::Failed:
        m_app->message(tr("cannot edit: %1").arg(m_doc->error() ? m_doc->error()->toString() : QString()),
                       Tone::Error);
        return;
    case EntryDocument::State::Saving:
        return;
    default:
        begin();
    }
}

void EditSession::begin()
{
    m_started = true;
    if (m_doc->masked()) {
        m_app->ask(tr("%1 is secret. Edit it decoded in a temporary file (mode 0600, removed afterwards)? [y/N] ")
                       .arg(m_doc->key()),
                   [this](bool yes) {
                       if (!yes || !m_doc) {
                           m_app->message(tr("not edited"), Tone::Muted);
                           return;
                       }
                       m_doc->reveal();
                       launch(QString());
                   });
        return;
    }
    launch(QString());
}

void EditSession::launch(const QString &problem)
{
    if (!m_doc)
        return;
    m_file = std::make_unique<QTemporaryFile>(QDir::tempPath() + QStringLiteral("/statedeck-edit-XXXXXX.")
                                              + EntryDocument::fileExtension(m_doc->format()));
    if (!m_file->open()) {
        m_app->message(tr("cannot create a temporary file: %1").arg(m_file->errorString()), Tone::Error);
        dropFile();
        return;
    }
    // Known to the crash handler before it holds anything.
    Terminal::setScratchFile(m_file->fileName());
    m_file->setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QString header = tr("# Editing %1").arg(m_doc->key());
    if (!m_doc->isNew())
        header += tr(" at revision %1").arg(m_doc->base().revision);
    header += tr(". Save and quit to apply; an empty or unchanged file cancels.\n");
    if (!problem.isEmpty()) {
        for (const QString &line : problem.split(QLatin1Char('\n')))
            header += QStringLiteral("# error: ") + line + QLatin1Char('\n');
    }
    header += marker() + QLatin1Char('\n');
    if (m_original.isNull())
        m_original = m_doc->text();
    m_written = m_doc->text();
    m_file->write((header + m_written).toUtf8());
    m_file->flush();
    m_file->close();

    QString command = qEnvironmentVariable("VISUAL");
    if (command.isEmpty())
        command = qEnvironmentVariable("EDITOR");
    if (command.isEmpty())
        command = QStringLiteral("vi");
    QStringList args = QProcess::splitCommand(command);
    const QString program = args.takeFirst();
    args << m_file->fileName();

    m_app->terminal().suspend();
    m_editor = new QProcess;
    m_editor->setProcessChannelMode(QProcess::ForwardedChannels);
    m_editor->setInputChannelMode(QProcess::ForwardedInputChannel);
    connect(m_editor, &QProcess::errorOccurred, this, [this, program](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart)
            return;
        m_editor->deleteLater();
        m_editor = nullptr;
        dropFile();
        m_app->terminal().resume();
        m_app->message(tr("cannot start the editor \"%1\"; set EDITOR").arg(program), Tone::Error);
    });
    connect(m_editor, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        m_editor->deleteLater();
        m_editor = nullptr;
        finished(status == QProcess::NormalExit ? code : -1);
    });
    m_editor->start(program, args);
}

void EditSession::finished(int exitCode)
{
    m_app->terminal().resume();
    QString text;
    if (m_file) {
        // By name: editors often write a new file and rename it over ours.
        QFile edited(m_file->fileName());
        if (edited.open(QIODevice::ReadOnly))
            text = QString::fromUtf8(edited.readAll());
    }
    dropFile(); // the temporary file goes now, whatever follows
    if (!m_doc)
        return;
    if (exitCode != 0) {
        m_app->message(tr("the editor exited with code %1; nothing was saved").arg(exitCode), Tone::Error);
        return;
    }
    text = stripHeader(text);
    if (text.trimmed().isEmpty() || text == m_original || text == m_written) {
        // Unchanged, also a reopened invalid text left as it was (kubectl
        // edit does the same): nothing is saved, and the value is as read.
        const bool reopened = text != m_original && text == m_written;
        if (reopened)
            m_doc->setText(m_original);
        m_app->message(reopened ? tr("Edit cancelled, no valid changes were saved.")
                                : tr("Edit cancelled, no changes made."),
                       Tone::Muted);
        if (m_doc->sensitive())
            m_doc->mask();
        return;
    }
    m_doc->setText(text);
    const EntryDocument::Validation v = m_doc->validation();
    if (!v.ok) {
        QString where;
        if (v.line > 0)
            where = tr(" (line %1, column %2 below the marker)").arg(v.line).arg(v.column);
        launch(v.message + where);
        return;
    }
    confirmAndSave();
}

void EditSession::confirmAndSave()
{
    const QString diff = m_doc->diff();
    m_app->push(std::make_unique<DiffView>(m_app, QStringLiteral("help"), tr("changes to %1").arg(m_doc->key()),
                                           diff.split(QLatin1Char('\n'))));
    const QString question = m_doc->isNew()
                                 ? tr("Create %1? [y/N] ").arg(m_doc->key())
                                 : tr("Save these changes to %1 (revision %2)? [y/N] ").arg(m_doc->key(),
                                                                                          m_doc->base().revision);
    m_app->ask(question, [this](bool yes) {
        m_app->pop(); // the diff
        if (!m_doc)
            return;
        if (!yes) {
            m_app->message(tr("not saved; your edit stays here (e edits it again)"), Tone::Muted);
            return;
        }
        auto *doc = m_doc.data();
        connect(doc, &EntryDocument::saved, this, [this](const Entry &e) {
            m_app->message(tr("saved %1, revision %2").arg(e.key, e.revision), Tone::Good);
            if (m_doc && m_doc->sensitive())
                m_doc->mask();
        }, Qt::SingleShotConnection);
        connect(doc, &EntryDocument::stateChanged, this, [this](EntryDocument::State s) {
            if (s == EntryDocument::State::Conflict)
                keepText();
        });
        doc->save();
    });
}

// A conflict: the user's text must survive whatever they choose next.
void EditSession::keepText()
{
    if (!m_doc || !m_kept.isEmpty())
        return;
    if (m_doc->sensitive()) {
        // A secret never goes to a file: it stays in memory.
        m_app->message(tr("Someone else changed %1. Your text is kept in memory. T takes theirs, M keeps mine, "
                          "G merges")
                           .arg(m_doc->key()),
                       Tone::Warning);
        return;
    }
    const Result<QString> kept = m_doc->keepMineAside();
    if (!kept.ok()) {
        m_app->message(tr("Someone else changed %1, and your text could not be saved aside (%2); it is kept in "
                          "memory. T takes theirs, M keeps mine, G merges")
                           .arg(m_doc->key(), kept.error().toString()),
                       Tone::Error);
        return;
    }
    m_kept = kept.value();
    // The path has a line of its own in the entry view: the message line
    // is cut at the terminal's width.
    if (auto *entry = dynamic_cast<EntryView *>(m_app->top()); entry && entry->document() == m_doc)
        entry->setKeptPath(m_kept);
    m_app->message(tr("Someone else changed %1. Your text is kept in %2. T takes theirs, M keeps mine, G merges")
                       .arg(m_doc->key(), m_kept),
                   Tone::Warning);
}

} // namespace sd::tui
