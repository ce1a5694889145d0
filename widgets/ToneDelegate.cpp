#include "ToneDelegate.h"

#include <QHeaderView>
#include <QTableView>

#include "Theme.h"

namespace sd::widgets {

ToneDelegate::ToneDelegate(Theme *theme, QObject *parent) : QStyledItemDelegate(parent), m_theme(theme) {}

void ToneDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    const QVariant tone = index.data(console::ToneRole);
    if (!m_theme || !tone.isValid())
        return;
    const ToneStyle s = m_theme->style(console::Tone(tone.toInt()));
    const bool selected = option->state & QStyle::State_Selected;
    if (s.foreground.isValid() && !selected)
        option->palette.setColor(QPalette::Text, s.foreground);
    if (s.background.isValid() && !selected)
        option->backgroundBrush = s.background;
    if (s.bold)
        option->font.setBold(true);
    if (s.italic)
        option->font.setItalic(true);
    if (s.strikeOut)
        option->font.setStrikeOut(true);
}

QTableView *makeToneTable(QAbstractItemModel *model, Theme *theme, QWidget *parent, const QString &objectName)
{
    auto *t = new QTableView(parent);
    t->setObjectName(objectName);
    t->setModel(model);
    t->setItemDelegate(new ToneDelegate(theme, t));
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setSelectionMode(QAbstractItemView::SingleSelection);
    t->setSortingEnabled(true);
    t->verticalHeader()->hide();
    t->horizontalHeader()->setStretchLastSection(true);
    t->setWordWrap(false);
    return t;
}

} // namespace sd::widgets
