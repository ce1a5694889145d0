#include "FreshnessBanner.h"

#include "Theme.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

namespace sd::widgets {

using console::Freshness;

FreshnessBanner::FreshnessBanner(console::Session *session, Theme *theme, QWidget *parent)
    : QFrame(parent), m_session(session), m_theme(theme), m_label(new QLabel(this)),
      m_reconnect(new QPushButton(tr("Reconnect now"), this))
{
    setObjectName(QStringLiteral("freshnessBanner"));
    setFrameShape(QFrame::StyledPanel);
    m_label->setObjectName(QStringLiteral("freshnessText"));
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = m_label->font();
    bold.setBold(true);
    m_label->setFont(bold);
    m_reconnect->setToolTip(tr("Drop the watch and connect again now, resuming from the last revision seen."));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_reconnect);
    connect(m_reconnect, &QPushButton::clicked, this, [this] {
        if (m_session)
            m_session->reconnect();
    });
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &FreshnessBanner::render);
    if (m_theme)
        connect(m_theme, &Theme::changed, this, &FreshnessBanner::render);
    connect(session, &console::Session::freshnessChanged, this, &FreshnessBanner::onFreshness);
    onFreshness(session->freshness());
}

QString FreshnessBanner::text() const
{
    return m_label->text();
}

void FreshnessBanner::onFreshness(const console::FreshnessState &state)
{
    m_state = state;
    // The countdown and "since" need a tick only while something is wrong.
    if (state.state == Freshness::Reconnecting)
        m_tick.start();
    else
        m_tick.stop();
    render();
}

void FreshnessBanner::render()
{
    const bool live = m_state.state == Freshness::Live;
    setVisible(!live);
    m_label->setText(m_state.text(QDateTime::currentDateTimeUtc()));
    m_reconnect->setVisible(m_state.state == Freshness::Reconnecting || m_state.state == Freshness::Stale
                            || m_state.state == Freshness::Unwatched);
    m_reconnect->setText(m_state.state == Freshness::Unwatched ? tr("Read again") : tr("Reconnect now"));
    if (m_theme)
        setStyleSheet(QStringLiteral("QFrame#freshnessBanner { %1 border-radius: 3px; } QLabel { %1 }")
                          .arg(m_theme->styleSheetFor(m_state.tone())));
}

} // namespace sd::widgets
