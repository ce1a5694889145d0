#include "FeedbackChart.h"

#include "Theme.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QLegend>
#include <QStackedBarSeries>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>

namespace sd::widgets {

using console::Tone;

FeedbackChart::FeedbackChart(Theme *theme, QWidget *parent)
    : QWidget(parent), m_theme(theme), m_view(new QChartView(this)), m_chart(m_view->chart())
{
    setObjectName(QStringLiteral("feedbackChart"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    // The view made a chart of its own and owns it. setChart() with a new
    // one would hand that first chart back to us, leaked unless deleted
    // (LeakSanitizer found it in tst_gui_tasks).
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setMinimumHeight(140);
    layout->addWidget(m_view);
    m_chart->legend()->setAlignment(Qt::AlignRight);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    if (theme)
        connect(theme, &Theme::changed, this, &FeedbackChart::rebuild);
    rebuild();
}

void FeedbackChart::clear()
{
    setFeedback({});
}

void FeedbackChart::setFeedback(const QList<remediation::FeedbackView> &feedback)
{
    QList<console::IterationFeedback> counts = console::feedbackByIteration(feedback);
    const bool same = std::equal(counts.cbegin(), counts.cend(), m_counts.cbegin(), m_counts.cend(),
                                 [](const auto &a, const auto &b) {
                                     return a.iteration == b.iteration && a.bySeverity == b.bySeverity;
                                 });
    if (same && !m_categories.isEmpty() == !counts.isEmpty())
        return; // a watch event that changed no count: no redraw
    m_counts = std::move(counts);
    rebuild();
}

QColor FeedbackChart::colourFor(const QString &severity) const
{
    const Tone tone = [&] {
        switch (console::severityRank(severity)) {
        case 3: return Tone::Error;
        case 2: return Tone::Warning;
        case 1: return Tone::Modified;
        case 0: return Tone::Muted;
        default: return Tone::Secret;
        }
    }();
    QColor c = m_theme ? m_theme->style(tone).foreground : QColor();
    return c.isValid() ? c : palette().color(QPalette::Highlight);
}

void FeedbackChart::rebuild()
{
    m_chart->removeAllSeries();
    for (QAbstractAxis *axis : m_chart->axes())
        m_chart->removeAxis(axis), delete axis;
    const bool dark = m_theme && m_theme->isDark();
    m_chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    const QPalette pal = m_theme ? m_theme->palette() : palette();
    m_chart->setBackgroundBrush(pal.color(QPalette::Base));
    m_chart->setTitleBrush(pal.color(QPalette::Text));
    m_chart->legend()->setLabelColor(pal.color(QPalette::Text));
    m_categories.clear();
    if (m_counts.isEmpty()) {
        m_chart->setTitle(tr("No feedback yet"));
        return;
    }
    m_chart->setTitle(tr("Feedback per iteration, by severity"));
    auto *series = new QStackedBarSeries;
    int highest = 0;
    for (const console::IterationFeedback &c : std::as_const(m_counts)) {
        m_categories << (c.iteration < 0 ? tr("not recorded") : tr("#%1").arg(c.iteration));
        highest = std::max(highest, c.total());
    }
    for (const QString &severity : console::severitiesOf(m_counts)) {
        auto *set = new QBarSet(severity);
        for (const console::IterationFeedback &c : std::as_const(m_counts))
            *set << c.bySeverity.value(severity);
        set->setColor(colourFor(severity));
        set->setBorderColor(pal.color(QPalette::Base));
        series->append(set);
    }
    m_chart->addSeries(series);
    auto *x = new QBarCategoryAxis;
    x->append(m_categories);
    x->setLabelsBrush(pal.color(QPalette::Text));
    m_chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    auto *y = new QValueAxis;
    // Whole entries: ticks on integers, at most about five of them.
    const int step = std::max(1, (highest + 4) / 5);
    y->setRange(0, ((highest + step - 1) / step) * step);
    y->setTickType(QValueAxis::TicksDynamic);
    y->setTickAnchor(0);
    y->setTickInterval(step);
    y->setLabelFormat(QStringLiteral("%d"));
    y->setLabelsBrush(pal.color(QPalette::Text));
    m_chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
}

QMap<QString, QList<int>> FeedbackChart::bars() const
{
    QMap<QString, QList<int>> out;
    for (QAbstractSeries *s : m_chart->series())
        if (auto *bars = qobject_cast<QStackedBarSeries *>(s))
            for (QBarSet *set : bars->barSets()) {
                QList<int> values;
                for (int i = 0; i < set->count(); ++i)
                    values << int(set->at(i));
                out.insert(set->label(), values);
            }
    return out;
}

} // namespace sd::widgets
