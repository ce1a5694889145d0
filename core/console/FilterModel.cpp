#include "console/FilterModel.h"

#include <QCoreApplication>

namespace sd::console {

namespace {

// A label name or value as Kubernetes allows them, loosely: no spaces and
// none of the selector's own characters.
bool plainWord(const QString &s)
{
    if (s.isEmpty())
        return false;
    for (const QChar c : s)
        if (c.isSpace() || c == QLatin1Char('=') || c == QLatin1Char('!') || c == QLatin1Char(','))
            return false;
    return true;
}

} // namespace

FilterSpec FilterSpec::parse(const QString &typed)
{
    FilterSpec f;
    f.text = typed;
    QString t = typed.trimmed();
    if (t.startsWith(QLatin1String("-l")) && (t.size() == 2 || t.at(2).isSpace())) {
        const QString selector = t.mid(2).trimmed();
        if (selector.isEmpty()) {
            f.error = QCoreApplication::translate("FilterModel", "-l needs a label selector, as in -l app=web,tier!=db");
            return f;
        }
        for (const QString &partRaw : selector.split(QLatin1Char(','))) {
            const QString part = partRaw.trimmed();
            Requirement r;
            qsizetype at = -1;
            if ((at = part.indexOf(QLatin1String("!="))) > 0) {
                r.op = Requirement::Op::NotEquals;
                r.label = part.left(at).trimmed();
                r.value = part.mid(at + 2).trimmed();
            } else if ((at = part.indexOf(QLatin1String("=="))) > 0) {
                r.op = Requirement::Op::Equals;
                r.label = part.left(at).trimmed();
                r.value = part.mid(at + 2).trimmed();
            } else if ((at = part.indexOf(QLatin1Char('='))) > 0) {
                r.op = Requirement::Op::Equals;
                r.label = part.left(at).trimmed();
                r.value = part.mid(at + 1).trimmed();
            } else if (part.startsWith(QLatin1Char('!'))) {
                r.op = Requirement::Op::NotExists;
                r.label = part.mid(1).trimmed();
            } else {
                r.op = Requirement::Op::Exists;
                r.label = part;
            }
            const bool hasValue = r.op == Requirement::Op::Equals || r.op == Requirement::Op::NotEquals;
            if (!plainWord(r.label) || (hasValue && !r.value.isEmpty() && !plainWord(r.value))) {
                f.labels.clear();
                f.error = QCoreApplication::translate("FilterModel",
                                                      "\"%1\" is not a label requirement; expected NAME=VALUE, "
                                                      "NAME!=VALUE, NAME or !NAME")
                              .arg(part);
                return f;
            }
            f.labels.append(r);
        }
        return f;
    }
    if (t.startsWith(QLatin1Char('!'))) {
        f.inverse = true;
        t = t.mid(1);
    }
    f.pattern = QRegularExpression(t, QRegularExpression::CaseInsensitiveOption);
    if (!f.pattern.isValid()) {
        f.literal = true;
        f.pattern = QRegularExpression(QRegularExpression::escape(t), QRegularExpression::CaseInsensitiveOption);
    }
    f.pattern.optimize();
    return f;
}

bool FilterSpec::matchesKey(const QString &key) const
{
    if (pattern.pattern().isEmpty())
        return true;
    return pattern.match(key).hasMatch() != inverse;
}

bool FilterSpec::matchesLabels(const QVariantMap &have) const
{
    for (const Requirement &r : labels) {
        const auto it = have.constFind(r.label);
        const bool present = it != have.cend();
        switch (r.op) {
        case Requirement::Op::Exists:
            if (!present)
                return false;
            break;
        case Requirement::Op::NotExists:
            if (present)
                return false;
            break;
        case Requirement::Op::Equals:
            if (!present || it->toString() != r.value)
                return false;
            break;
        case Requirement::Op::NotEquals:
            // As in Kubernetes: a missing label is "not equal".
            if (present && it->toString() == r.value)
                return false;
            break;
        }
    }
    return true;
}

FilterModel::FilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
    setRecursiveFilteringEnabled(true);
    setDynamicSortFilter(true);
}

void FilterModel::setFilterText(const QString &text)
{
    if (text == m_spec.text)
        return;
    m_spec = FilterSpec::parse(text);
    invalidateFilter();
    Q_EMIT filterChanged();
}

bool FilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_spec.isEmpty() || !m_spec.error.isEmpty())
        return true;
    const QModelIndex i = sourceModel()->index(sourceRow, 0, sourceParent);
    // Inner rows of a tree are shown through their matching keys
    // (recursive filtering), never on their own name.
    if (sourceModel()->rowCount(i) > 0)
        return false;
    if (!m_spec.labels.isEmpty())
        return m_spec.matchesLabels(sourceModel()->data(i, LabelsRole).toMap());
    return m_spec.matchesKey(sourceModel()->data(i, KeyRole).toString());
}

} // namespace sd::console
