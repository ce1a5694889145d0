#pragma once

#include "console/Session.h"

#include <QFrame>
#include <QPointer>
#include <QTimer>

class QLabel;
class QPushButton;

namespace sd::widgets {

class Theme;

// The line above a connection's views that says how fresh they are, from
// Session::freshness(): hidden while Live, shown the moment the watch drops
// ("Reconnecting since 12:01:03 (next retry in 4 s): connection refused",
// counting down), Resyncing, Stale since T, or Not watched. "Reconnect now"
// is the user's way out of Stale and the impatient one's out of a backoff.
class FreshnessBanner : public QFrame {
    Q_OBJECT
public:
    FreshnessBanner(console::Session *session, Theme *theme, QWidget *parent = nullptr);

    QString text() const;
    console::Tone tone() const { return m_state.tone(); }

private:
    void onFreshness(const console::FreshnessState &state);
    void render();

    QPointer<console::Session> m_session;
    QPointer<Theme> m_theme;
    console::FreshnessState m_state;
    QLabel *m_label;
    QPushButton *m_reconnect;
    QTimer m_tick; // the countdown
};

} // namespace sd::widgets
