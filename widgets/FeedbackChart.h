#pragma once

#include "console/TaskText.h"

#include <QPointer>
#include <QWidget>

class QChart;
class QChartView;

namespace sd::widgets {

class Theme;

// A task's feedback per iteration, stacked by severity (Critical on top, in
// the theme's error colour, then High, Medium, Low): where a remediation
// loop got better or worse at a glance. The counting is the console
// layer's (feedbackByIteration), so the GUI and the TUI count alike.
class FeedbackChart : public QWidget {
    Q_OBJECT
public:
    explicit FeedbackChart(Theme *theme, QWidget *parent = nullptr);

    void setFeedback(const QList<remediation::FeedbackView> &feedback);
    void clear();

    // What is drawn, for tests: the bars' categories ("#1", "not recorded")
    // and, per severity, the count in each.
    QStringList categories() const { return m_categories; }
    QMap<QString, QList<int>> bars() const;
    QChart *chart() const { return m_chart; }

private:
    void rebuild();
    QColor colourFor(const QString &severity) const;

    QPointer<Theme> m_theme;
    QChartView *m_view;
    QChart *m_chart;
    QList<console::IterationFeedback> m_counts;
    QStringList m_categories;
};

} // namespace sd::widgets
