#include "GraphLayout.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <QLineF>

#include <cmath>

namespace sd::widgets {
namespace {

// One context for the process: it loads the plugins once. Graphviz is not
// thread-safe; layouts run on the GUI thread only.
GVC_t *context()
{
    static GVC_t *gvc = gvContext();
    return gvc;
}

QString attr(void *obj, const char *name)
{
    char *v = agget(obj, const_cast<char *>(name));
    return v ? QString::fromUtf8(v) : QString();
}

struct Flip {
    double top;
    QPointF operator()(pointf p) const { return QPointF(p.x, top - p.y); }
    QRectF operator()(boxf b) const { return QRectF(QPointF(b.LL.x, top - b.UR.y), QPointF(b.UR.x, top - b.LL.y)); }
};

QPolygonF arrowHead(QPointF from, QPointF tip)
{
    const QLineF line(from, tip);
    if (line.length() < 0.01)
        return {};
    const QLineF unit = line.unitVector();
    const QPointF d = unit.p2() - unit.p1();
    const QPointF n(-d.y(), d.x());
    const double len = line.length();
    const double half = len * 0.35;
    return QPolygonF({tip, from + n * half, from - n * half});
}

void clustersOf(Agraph_t *g, const Flip &flip, int depth, QList<GraphLayout::Cluster> &out)
{
    for (int i = 1; i <= GD_n_cluster(g); ++i) {
        Agraph_t *sub = GD_clust(g)[i];
        GraphLayout::Cluster c;
        c.name = QString::fromUtf8(agnameof(sub));
        c.rect = flip(GD_bb(sub));
        c.depth = depth;
        if (textlabel_t *l = GD_label(sub)) {
            c.label = QString::fromUtf8(l->text);
            c.labelPos = flip(l->pos);
        }
        c.dashed = attr(sub, "style").contains(QLatin1String("dashed"));
        out << c;
        clustersOf(sub, flip, depth + 1, out);
    }
}

} // namespace

GraphLayout layoutDot(const QByteArray &dot)
{
    GraphLayout out;
    Agraph_t *g = agmemread(dot.constData());
    if (!g) {
        out.error = QStringLiteral("Graphviz could not read the graph");
        return out;
    }
    GVC_t *gvc = context();
    if (gvLayout(gvc, g, "dot") != 0) {
        agclose(g);
        out.error = QStringLiteral("Graphviz could not lay out the graph (is its dot layout plugin installed?)");
        return out;
    }
    const boxf bb = GD_bb(g);
    const Flip flip{bb.UR.y};
    out.bounds = flip(bb);
    clustersOf(g, flip, 0, out.clusters);
    for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n)) {
        GraphLayout::Node node;
        node.name = QString::fromUtf8(agnameof(n));
        node.label = ND_label(n) ? QString::fromUtf8(ND_label(n)->text) : node.name;
        const QPointF c = flip(ND_coord(n));
        const double w = ND_width(n) * 72.0, h = ND_height(n) * 72.0;
        node.rect = QRectF(c.x() - w / 2, c.y() - h / 2, w, h);
        node.point = attr(n, "shape") == QLatin1String("point");
        node.hidden = attr(n, "style").contains(QLatin1String("invis"));
        node.doubled = attr(n, "peripheries") == QLatin1String("2");
        out.nodes << node;
        for (Agedge_t *e = agfstout(g, n); e; e = agnxtout(g, e)) {
            GraphLayout::Edge edge;
            edge.tail = QString::fromUtf8(agnameof(agtail(e)));
            edge.head = QString::fromUtf8(agnameof(aghead(e)));
            edge.dashed = attr(e, "style").contains(QLatin1String("dashed"));
            if (textlabel_t *l = ED_label(e)) {
                edge.label = QString::fromUtf8(l->text);
                edge.labelPos = flip(l->pos);
            }
            if (splines *spl = ED_spl(e)) {
                for (int b = 0; b < spl->size; ++b) {
                    const bezier &bz = spl->list[b];
                    if (bz.size < 1)
                        continue;
                    edge.path.moveTo(flip(bz.list[0]));
                    for (int i = 1; i + 2 < bz.size; i += 3)
                        edge.path.cubicTo(flip(bz.list[i]), flip(bz.list[i + 1]), flip(bz.list[i + 2]));
                    if (bz.eflag)
                        edge.arrow = arrowHead(flip(bz.list[bz.size - 1]), flip(bz.ep));
                    else if (bz.size >= 2)
                        edge.arrow = arrowHead(flip(bz.list[bz.size - 2]), flip(bz.list[bz.size - 1]));
                }
            }
            out.edges << edge;
        }
    }
    gvFreeLayout(gvc, g);
    agclose(g);
    return out;
}

} // namespace sd::widgets
