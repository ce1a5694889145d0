#pragma once

#include <QPointer>
#include <QStyledItemDelegate>

class QAbstractItemModel;
class QTableView;

namespace sd::widgets {

class Theme;

// Paints any console model's rows in their tone (ToneRole): changed rows
// flash Added or Modified while KeyModel keeps the tone, stale rows turn
// grey and italic, deleted ones are struck out. Selected rows keep the
// selection colours, with the tone's text colour where it has one.
class ToneDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    ToneDelegate(Theme *theme, QObject *parent = nullptr);

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;

private:
    QPointer<Theme> m_theme;
};

// A table of rows in their tones: whole rows selected one at a time,
// sortable by a click on a header, the last column stretched.
QTableView *makeToneTable(QAbstractItemModel *model, Theme *theme, QWidget *parent, const QString &objectName);

} // namespace sd::widgets
