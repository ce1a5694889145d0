#pragma once

#include "console/EventLog.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;

namespace sd::console {
class FilterModel;
} // namespace sd::console

namespace sd::widgets {

class Theme;

// The live watch events of the current connection (an EventLog): a table
// in the events' tones, newest last and followed while the view is at the
// bottom, with Pause (events keep being collected), Clear and a key filter.
// The window hands it the log of whichever connection is shown.
class EventsPanel : public QWidget {
    Q_OBJECT
public:
    explicit EventsPanel(Theme *theme, QWidget *parent = nullptr);

    void setLog(console::EventLog *log);
    console::EventLog *log() const { return m_log; }
    QTableView *view() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filterEdit; }
    int shownRows() const;
    QString countsText() const;

    void togglePause();
    void clear();
    void focusFilter();

Q_SIGNALS:
    void changed();

private:
    void updateCounts();

    QPointer<console::EventLog> m_log;
    console::FilterModel *m_filter;
    QTableView *m_view;
    QLineEdit *m_filterEdit;
    QPushButton *m_pause;
    QPushButton *m_clear;
    QLabel *m_counts;
    bool m_follow = true;
};

} // namespace sd::widgets
