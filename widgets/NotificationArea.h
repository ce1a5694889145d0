#pragma once

#include "console/Roles.h"

#include <QDateTime>
#include <QPointer>
#include <QTimer>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QToolButton;

namespace sd::widgets {

class Theme;

// Errors and news, without a stack of modal boxes: the latest message in
// the status bar in its tone (errors stay until the next message, the rest
// fade after a while), and every message of the session, with its details,
// one click away in a window that does not block.
class NotificationArea : public QWidget {
    Q_OBJECT
public:
    struct Message {
        QDateTime time;
        console::Tone tone;
        QString text;
        QString details;
    };

    explicit NotificationArea(Theme *theme, QWidget *parent = nullptr);

    void post(console::Tone tone, const QString &text, const QString &details = QString());
    QString currentText() const;
    const QList<Message> &messages() const { return m_messages; }
    void showHistory();

private:
    void render();

    QPointer<Theme> m_theme;
    QList<Message> m_messages; // bounded: the oldest go past kKeep
    QLabel *m_label;
    QToolButton *m_more;
    QTimer m_fade;
    QPointer<QWidget> m_history;
    QPlainTextEdit *m_historyText = nullptr;
};

} // namespace sd::widgets
