#pragma once

#include <QList>
#include <QPainterPath>
#include <QPolygonF>
#include <QRectF>
#include <QString>

namespace sd::widgets {

// A graph laid out by Graphviz's dot (libgvc), in points (1/72 inch) with
// y growing downwards, ready to draw with Qt. Only this file's .cpp
// includes Graphviz: libgvc pulls in cairo and X11, which the core, the
// CLI and the TUI must never link.
struct GraphLayout {
    struct Node {
        QString name;  // the DOT node name
        QString label;
        QRectF rect;
        bool point = false; // shape=point (a start marker)
        bool doubled = false; // peripheries=2 (a final state)
        bool hidden = false;  // style=invis (a parallel state's edge anchor)
    };
    struct Edge {
        QString tail, head;
        QPainterPath path;
        QPolygonF arrow;
        QString label;
        QPointF labelPos; // centre of the label
        bool dashed = false;
    };
    struct Cluster {
        QString name; // "cluster_..."
        QString label;
        QRectF rect;
        QPointF labelPos;
        bool dashed = false;
        int depth = 0;
    };
    QRectF bounds;
    QList<Cluster> clusters; // outer ones first
    QList<Node> nodes;
    QList<Edge> edges;
    QString error; // empty when the layout worked
};

// Lays out DOT text with the dot engine.
GraphLayout layoutDot(const QByteArray &dot);

} // namespace sd::widgets
