#include "NotificationArea.h"

#include "Theme.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QToolButton>
#include <QVBoxLayout>

namespace sd::widgets {

using console::Tone;

namespace {
constexpr int kKeep = 200;
}

NotificationArea::NotificationArea(Theme *theme, QWidget *parent)
    : QWidget(parent), m_theme(theme), m_label(new QLabel(this)), m_more(new QToolButton(this))
{
    setObjectName(QStringLiteral("notifications"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_label->setObjectName(QStringLiteral("notificationText"));
    m_label->setContentsMargins(6, 1, 6, 1);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_more->setText(tr("Messages"));
    m_more->setAutoRaise(true);
    m_more->setToolTip(tr("Every message of this session, with details."));
    layout->addWidget(m_label, 1);
    layout->addWidget(m_more);
    connect(m_more, &QToolButton::clicked, this, &NotificationArea::showHistory);
    m_fade.setSingleShot(true);
    m_fade.setInterval(8000);
    connect(&m_fade, &QTimer::timeout, this, [this] {
        m_label->clear();
        m_label->setStyleSheet(QString());
    });
    if (m_theme)
        connect(m_theme, &Theme::changed, this, &NotificationArea::render);
}

void NotificationArea::post(Tone tone, const QString &text, const QString &details)
{
    m_messages.append({QDateTime::currentDateTime(), tone, text, details});
    while (m_messages.size() > kKeep)
        m_messages.removeFirst();
    render();
    // Errors and warnings stay until something else is said.
    if (tone == Tone::Error || tone == Tone::Warning)
        m_fade.stop();
    else
        m_fade.start();
}

QString NotificationArea::currentText() const
{
    return m_label->text();
}

void NotificationArea::render()
{
    m_more->setText(tr("Messages (%1)").arg(m_messages.size()));
    if (m_messages.isEmpty())
        return;
    const Message &m = m_messages.last();
    m_label->setText(m.text);
    m_label->setToolTip(m.details.isEmpty() ? m.text : m.details);
    if (m_theme)
        m_label->setStyleSheet(m.tone == Tone::Normal ? QString()
                                                      : m_theme->styleSheetFor(m.tone)
                                                            + QStringLiteral("border-radius: 3px;"));
    if (m_historyText) {
        QString all;
        for (const Message &x : std::as_const(m_messages)) {
            all += x.time.toString(QStringLiteral("HH:mm:ss  ")) + x.text + QLatin1Char('\n');
            if (!x.details.isEmpty() && x.details != x.text)
                all += QStringLiteral("          ") + x.details + QLatin1Char('\n');
        }
        m_historyText->setPlainText(all);
        m_historyText->moveCursor(QTextCursor::End);
    }
}

void NotificationArea::showHistory()
{
    if (!m_history) {
        auto *dialog = new QDialog(window());
        dialog->setWindowTitle(tr("Messages"));
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        auto *layout = new QVBoxLayout(dialog);
        m_historyText = new QPlainTextEdit(dialog);
        m_historyText->setReadOnly(true);
        layout->addWidget(m_historyText);
        auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
        connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
        layout->addWidget(buttons);
        connect(dialog, &QObject::destroyed, this, [this] { m_historyText = nullptr; });
        dialog->resize(720, 360);
        m_history = dialog;
        render();
    }
    m_history->show();
    m_history->raise();
}

} // namespace sd::widgets
