#include "StateGraphView.h"

#include "GraphLayout.h"
#include "Theme.h"

#include <QGraphicsPathItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QScrollBar>
#include <QWheelEvent>

#include <cmath>
#include <cstring>

namespace sd::widgets {

using console::Tone;
using registry::Definition;

namespace {

constexpr qreal kMinZoom = 0.1;
constexpr qreal kMaxZoom = 8.0;

QColor toneColor(Theme *theme, Tone tone, bool background, const QColor &fallback)
{
    if (!theme)
        return fallback;
    const ToneStyle s = theme->style(tone);
    const QColor c = background ? s.background : s.foreground;
    return c.isValid() ? c : fallback;
}

} // namespace

StateGraphView::StateGraphView(Theme *theme, QWidget *parent)
    : QGraphicsView(parent), m_theme(theme), m_scene(new QGraphicsScene(this))
{
    setObjectName(QStringLiteral("stateGraph"));
    setScene(m_scene);
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setFocusPolicy(Qt::StrongFocus);
    if (m_theme)
        connect(m_theme, &Theme::changed, this, &StateGraphView::rebuild);
    clear();
}

StateGraphView::~StateGraphView() = default;

void StateGraphView::clear(const QString &message)
{
    m_def.reset();
    m_json.clear();
    m_error = message;
    rebuild();
}

void StateGraphView::setDefinitionJson(const QByteArray &json, const QString &origin)
{
    if (json == m_json && (m_def || !m_error.isEmpty()))
        return; // the same definition: keep the layout, zoom and scroll
    auto d = console::DefinitionModel::parse(json, origin);
    if (!d.ok()) {
        clear(d.error().toString());
        m_json = json;
        return;
    }
    setDefinition(d.value());
    m_json = json;
}

void StateGraphView::setDefinition(const Definition &definition)
{
    m_def = definition;
    m_error.clear();
    m_active = m_def->activeNodes(m_current);
    rebuild();
    fitToView();
}

void StateGraphView::setCurrentState(const QString &currentState)
{
    m_current = currentState;
    if (!m_def)
        return;
    const QSet<int> next = m_def->activeNodes(currentState);
    if (next == m_active)
        return;
    m_active = next;
    paintStates();
}

QStringList StateGraphView::highlightedStates() const
{
    QStringList out;
    if (!m_def)
        return out;
    for (int n : m_active)
        if (m_stateItems.contains(n))
            out << m_def->nodes[n].path;
    out.sort();
    return out;
}

void StateGraphView::rebuild()
{
    m_scene->clear();
    m_stateItems.clear();
    m_clusters = 0;
    m_edges = 0;
    const QColor text = m_theme ? m_theme->palette().color(QPalette::Text) : QColor(Qt::black);
    const QColor base = m_theme ? m_theme->palette().color(QPalette::Base) : QColor(Qt::white);
    setBackgroundBrush(base);
    if (!m_def) {
        auto *t = m_scene->addSimpleText(m_error.isEmpty() ? tr("No definition to show.") : m_error);
        t->setBrush(m_error.isEmpty() ? text : toneColor(m_theme, Tone::Error, false, Qt::red));
        m_graphRect = t->boundingRect().adjusted(-20, -20, 20, 20);
        m_scene->setSceneRect(m_graphRect);
        updatePanArea();
        return;
    }
    const GraphLayout layout = layoutDot(console::DefinitionModel::dot(*m_def));
    if (!layout.error.isEmpty()) {
        auto *t = m_scene->addSimpleText(layout.error);
        t->setBrush(toneColor(m_theme, Tone::Error, false, Qt::red));
        m_graphRect = t->boundingRect().adjusted(-20, -20, 20, 20);
        m_scene->setSceneRect(m_graphRect);
        updatePanArea();
        return;
    }
    // DOT names back to states: "s:PATH" is a state, "cluster_PATH" a
    // compound or parallel state.
    QHash<QString, int> byPath;
    for (int i = 0; i < int(m_def->nodes.size()); ++i)
        byPath.insert(m_def->nodes[i].path, i);
    const QColor line = text;
    const QColor muted = toneColor(m_theme, Tone::Muted, false, QColor(0x80, 0x80, 0x80));

    for (const GraphLayout::Cluster &c : layout.clusters) {
        QPainterPath p;
        p.addRoundedRect(c.rect, 8, 8);
        auto *item = m_scene->addPath(p, QPen(muted, 1, c.dashed ? Qt::DashLine : Qt::SolidLine), Qt::NoBrush);
        item->setZValue(-10 + c.depth);
        const int node = byPath.value(c.name.mid(int(std::strlen("cluster_"))), -1);
        if (node >= 0)
            m_stateItems.insert(node, item);
        auto *label = m_scene->addSimpleText(c.label);
        label->setBrush(text);
        const QRectF b = label->boundingRect();
        label->setPos(c.labelPos - QPointF(b.width() / 2, b.height() / 2));
        label->setZValue(1);
        ++m_clusters;
    }
    for (const GraphLayout::Edge &e : layout.edges) {
        auto *path = m_scene->addPath(e.path, QPen(muted.darker(120), 1.2, e.dashed ? Qt::DashLine : Qt::SolidLine));
        path->setZValue(2);
        if (!e.arrow.isEmpty()) {
            auto *head = m_scene->addPolygon(e.arrow, QPen(muted.darker(120)), muted.darker(120));
            head->setZValue(2);
        }
        if (!e.label.isEmpty()) {
            auto *label = m_scene->addSimpleText(e.label);
            QFont f = label->font();
            f.setPointSizeF(f.pointSizeF() * 0.85);
            label->setFont(f);
            label->setBrush(text);
            const QRectF b = label->boundingRect();
            label->setPos(e.labelPos - QPointF(b.width() / 2, b.height() / 2));
            label->setZValue(3);
        }
        ++m_edges;
    }
    for (const GraphLayout::Node &n : layout.nodes) {
        if (n.hidden)
            continue;
        if (n.point) {
            m_scene->addEllipse(n.rect.adjusted(1, 1, -1, -1), QPen(line), line)->setZValue(4);
            continue;
        }
        QPainterPath p;
        p.addRoundedRect(n.rect, 8, 8);
        if (n.doubled)
            p.addRoundedRect(n.rect.adjusted(3, 3, -3, -3), 6, 6);
        auto *item = m_scene->addPath(p, QPen(line, 1.2), base);
        item->setZValue(4);
        const int node = byPath.value(n.name.mid(2), -1);
        if (node >= 0 && n.name.startsWith(QLatin1String("s:")))
            m_stateItems.insert(node, item);
        auto *label = m_scene->addSimpleText(n.label);
        label->setBrush(text);
        const QRectF b = label->boundingRect();
        label->setPos(n.rect.center() - QPointF(b.width() / 2, b.height() / 2));
        label->setZValue(5);
    }
    m_graphRect = layout.bounds.adjusted(-20, -20, 20, 20);
    m_scene->setSceneRect(m_graphRect);
    updatePanArea();
    paintStates();
}

// Highlights the active states (the current one and its ancestors) with
// the theme's Good tone; clusters get a Good border.
void StateGraphView::paintStates()
{
    const QColor text = m_theme ? m_theme->palette().color(QPalette::Text) : QColor(Qt::black);
    const QColor base = m_theme ? m_theme->palette().color(QPalette::Base) : QColor(Qt::white);
    const QColor muted = toneColor(m_theme, Tone::Muted, false, QColor(0x80, 0x80, 0x80));
    const QColor good = toneColor(m_theme, Tone::Good, false, QColor(0x1a, 0x7f, 0x37));
    QColor fill = toneColor(m_theme, Tone::Good, true, QColor());
    if (!fill.isValid()) {
        fill = good;
        fill.setAlpha(60);
    }
    for (auto it = m_stateItems.begin(); it != m_stateItems.end(); ++it) {
        const bool on = m_active.contains(it.key());
        const bool cluster = !m_def->nodes[it.key()].children.isEmpty();
        QPen pen = it.value()->pen();
        if (cluster) {
            pen.setColor(on ? good : muted);
            pen.setWidthF(on ? 2.5 : 1);
            it.value()->setPen(pen);
            it.value()->setBrush(Qt::NoBrush);
        } else {
            pen.setColor(on ? good : text);
            pen.setWidthF(on ? 3 : 1.2);
            it.value()->setPen(pen);
            it.value()->setBrush(on ? fill : base);
        }
    }
}

qreal StateGraphView::zoom() const
{
    return transform().m11();
}

void StateGraphView::scaleBy(qreal factor)
{
    const qreal next = std::clamp(zoom() * factor, kMinZoom, kMaxZoom);
    if (zoom() > 0)
        scale(next / zoom(), next / zoom());
    updatePanArea();
}

// The view's scroll area. While the graph fits it is the graph itself (no
// scroll bars, nothing to pan). Zoomed past the viewport in a direction, it
// gets half a viewport of margin there, so the graph's edges and corners can
// be panned to the middle rather than stuck at the viewport's border.
void StateGraphView::updatePanArea()
{
    if (m_graphRect.isEmpty())
        return;
    const qreal z = zoom();
    if (z <= 0)
        return;
    const QPointF centre = mapToScene(viewport()->rect().center());
    const qreal w = viewport()->width() / z;
    const qreal h = viewport()->height() / z;
    const qreal mx = m_graphRect.width() > w ? w / 2 : 0;
    const qreal my = m_graphRect.height() > h ? h / 2 : 0;
    const QRectF area = m_graphRect.adjusted(-mx, -my, mx, my);
    if (area == sceneRect())
        return;
    setSceneRect(area);
    centerOn(centre);
}

void StateGraphView::zoomIn()
{
    scaleBy(1.25);
}

void StateGraphView::zoomOut()
{
    scaleBy(0.8);
}

void StateGraphView::fitToView()
{
    resetTransform();
    const QRectF r = m_scene->sceneRect();
    if (r.isEmpty() || viewport()->width() < 10)
        return;
    // Without the pan margins first: their scroll bars would take room.
    setSceneRect(r);
    fitInView(r, Qt::KeepAspectRatio);
    // Small graphs are not blown up past their natural size.
    if (zoom() > 1.0)
        resetTransform();
    updatePanArea();
}

void StateGraphView::resizeEvent(QResizeEvent *event)
{
    QGraphicsView::resizeEvent(event);
    updatePanArea();
}

// The left button pans through ScrollHandDrag; the middle button pans too,
// as in most graph and map viewers.
void StateGraphView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::MiddleButton) {
        m_midPan = true;
        m_panFrom = event->position();
        viewport()->setCursor(Qt::ClosedHandCursor);
        event->accept();
        return;
    }
    QGraphicsView::mousePressEvent(event);
}

void StateGraphView::mouseMoveEvent(QMouseEvent *event)
{
    if (m_midPan) {
        const QPointF delta = event->position() - m_panFrom;
        m_panFrom = event->position();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - qRound(delta.x()));
        verticalScrollBar()->setValue(verticalScrollBar()->value() - qRound(delta.y()));
        event->accept();
        return;
    }
    QGraphicsView::mouseMoveEvent(event);
}

void StateGraphView::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_midPan && event->button() == Qt::MiddleButton) {
        m_midPan = false;
        viewport()->unsetCursor();
        event->accept();
        return;
    }
    QGraphicsView::mouseReleaseEvent(event);
}

void StateGraphView::wheelEvent(QWheelEvent *event)
{
    const int dy = event->angleDelta().y();
    if (dy == 0) {
        QGraphicsView::wheelEvent(event);
        return;
    }
    scaleBy(std::pow(1.0015, dy));
    event->accept();
}

void StateGraphView::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomIn(); return;
    case Qt::Key_Minus: zoomOut(); return;
    case Qt::Key_0: fitToView(); return;
    default: QGraphicsView::keyPressEvent(event);
    }
}

} // namespace sd::widgets
