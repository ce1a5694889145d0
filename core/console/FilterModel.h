#pragma once

#include "console/Roles.h"

#include <QRegularExpression>
#include <QSortFilterProxyModel>

namespace sd::console {

// What the user typed into `/` (TUI) or the filter box (GUI), parsed:
//   text        rows whose key matches, as a case-insensitive regular
//               expression (plain words are one), or as literal text when
//               it is not a valid expression ("a[1" finds "a[1")
//   !text       rows whose key does not match
//   -l SELECTOR rows whose labels match a Kubernetes-style selector:
//               `app=x,tier!=y,owner,!temp` (equal, not equal, exists,
//               does not exist; all must hold)
struct FilterSpec {
    struct Requirement {
        enum class Op { Equals, NotEquals, Exists, NotExists };
        QString label;
        Op op = Op::Exists;
        QString value;
    };

    QString text;               // as typed
    bool inverse = false;
    bool literal = false;       // the pattern was not a valid expression
    QRegularExpression pattern; // empty pattern: every key
    QList<Requirement> labels;  // a label selector (then the key is not matched)
    QString error;              // a selector that does not parse; nothing is filtered then

    static FilterSpec parse(const QString &text);
    bool isEmpty() const { return pattern.pattern().isEmpty() && labels.isEmpty(); }
    bool matchesKey(const QString &key) const;
    bool matchesLabels(const QVariantMap &labels) const;
};

// A sorting, filtering proxy over any console model that answers KeyRole
// (and LabelsRole for `-l`). In a tree, the prefixes of matching keys stay
// so the matches can be reached. Sorts on SortRole.
class FilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit FilterModel(QObject *parent = nullptr);

    // Applies at once; an invalid selector filters nothing and says why.
    void setFilterText(const QString &text);
    QString filterText() const { return m_spec.text; }
    const FilterSpec &spec() const { return m_spec; }
    QString filterError() const { return m_spec.error; }

Q_SIGNALS:
    void filterChanged();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    FilterSpec m_spec;
};

} // namespace sd::console
