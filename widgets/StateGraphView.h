#pragma once

#include "console/DefinitionModel.h"

#include <QGraphicsView>
#include <QHash>
#include <QPointer>

#include <optional>

class QGraphicsPathItem;

namespace sd::widgets {

class Theme;

// A machine's state graph: laid out by Graphviz (GraphLayout, libgvc), drawn
// with Qt. Compound and parallel states are clusters (parallel ones
// dashed), initial states have a start point, final states a double border.
// The current state and the states that contain it are highlighted and
// follow setCurrentState() without a new layout. Wheel or +/- zoom (0 fits).
// Once zoomed past the viewport, dragging (left or middle button) and the
// arrow keys pan; the pannable area has a margin of half a viewport so every
// corner of the graph can be brought to the middle.
class StateGraphView : public QGraphicsView {
    Q_OBJECT
public:
    explicit StateGraphView(Theme *theme, QWidget *parent = nullptr);
    ~StateGraphView() override;

    // Parses and lays out; a malformed definition shows its error (with the
    // JSON path) instead of a graph.
    void setDefinitionJson(const QByteArray &json, const QString &origin = {});
    void setDefinition(const registry::Definition &definition);
    void clear(const QString &message = {});
    void setCurrentState(const QString &currentState);

    const std::optional<registry::Definition> &definition() const { return m_def; }
    QString errorText() const { return m_error; }
    // Dotted paths of the highlighted states ("" is the root); for tests.
    QStringList highlightedStates() const;
    int stateCount() const { return int(m_stateItems.size()); }
    int clusterCount() const { return m_clusters; }
    int transitionCount() const { return m_edges; }
    qreal zoom() const;

public Q_SLOTS:
    void zoomIn();
    void zoomOut();
    void fitToView();

protected:
    void wheelEvent(QWheelEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void rebuild();
    void paintStates();
    void scaleBy(qreal factor);
    void updatePanArea();

    QPointer<Theme> m_theme;
    QGraphicsScene *m_scene;
    std::optional<registry::Definition> m_def;
    QByteArray m_json;
    QString m_error;
    QString m_current;
    QSet<int> m_active;
    QHash<int, QGraphicsPathItem *> m_stateItems; // node index -> its box (state or cluster)
    int m_clusters = 0;
    int m_edges = 0;
    QRectF m_graphRect;     // the drawn graph with a small border, in scene units
    bool m_midPan = false;  // a middle-button drag in progress
    QPointF m_panFrom;
};

} // namespace sd::widgets
