#include "config/EnvExpander.h"

#include "config/ConfigNode.h"

namespace sd {
namespace {

const QString kForms = QStringLiteral("${NAME} or ${NAME:-default}");

bool isNameStart(QChar c)
{
    return (c >= QLatin1Char('A') && c <= QLatin1Char('Z')) || (c >= QLatin1Char('a') && c <= QLatin1Char('z'))
           || c == QLatin1Char('_');
}

bool isNameChar(QChar c)
{
    return isNameStart(c) || (c >= QLatin1Char('0') && c <= QLatin1Char('9'));
}

// A recursive-descent reader over one value. `eval` is false while skipping a
// default that is not used, so an unset variable inside it is no error.
class Expansion {
public:
    Expansion(const QString &text, const QProcessEnvironment &env, const QString &where)
        : m_text(text), m_env(env), m_where(where)
    {
    }

    Result<QString> run() { return parse(false, true); }

private:
    Error invalid(const QString &message) const { return Error(ErrorKind::Invalid, message, m_where); }

    // Reads up to the end of the text, or (nested) up to an unmatched "}".
    Result<QString> parse(bool nested, bool eval)
    {
        QString out;
        const qsizetype n = m_text.size();
        while (m_pos < n) {
            const QChar c = m_text.at(m_pos);
            if (nested && c == QLatin1Char('}'))
                return out;
            if (c != QLatin1Char('$') || m_pos + 1 >= n) {
                out += c;
                ++m_pos;
                continue;
            }
            const QChar next = m_text.at(m_pos + 1);
            if (next == QLatin1Char('$')) {
                out += QLatin1Char('$');
                m_pos += 2;
                continue;
            }
            if (next != QLatin1Char('{')) {
                out += c;
                ++m_pos;
                continue;
            }
            Result<QString> ref = reference(eval);
            if (!ref.ok())
                return ref;
            out += ref.value();
        }
        return out;
    }

    // At "${": reads one reference through its closing "}".
    Result<QString> reference(bool eval)
    {
        const qsizetype start = m_pos;
        const qsizetype column = start + 1; // 1-based position inside the value
        // Defaults nest by recursion: "${A:-${A:-...}}" thousands deep would
        // overflow the stack.
        if (m_depth >= kMaxNesting)
            return invalid(QStringLiteral("variable references nested more than %1 deep at character %2")
                               .arg(kMaxNesting)
                               .arg(column));
        ++m_depth;
        Result<QString> r = referenceBody(eval, start, column);
        --m_depth;
        return r;
    }

    Result<QString> referenceBody(bool eval, qsizetype start, qsizetype column)
    {
        m_pos += 2;
        const qsizetype n = m_text.size();
        const qsizetype nameStart = m_pos;
        while (m_pos < n && isNameChar(m_text.at(m_pos)))
            ++m_pos;
        const QString name = m_text.mid(nameStart, m_pos - nameStart);
        if (m_pos >= n)
            return invalid(QStringLiteral("unterminated variable reference at character %1: a \"}\" is missing; "
                                          "expected %2")
                               .arg(column)
                               .arg(kForms));
        if (name.isEmpty() || !isNameStart(name.at(0)))
            return invalid(QStringLiteral("invalid variable name at character %1: names are letters, digits and _, "
                                          "not starting with a digit; expected %2")
                               .arg(column)
                               .arg(kForms));

        QChar op = m_text.at(m_pos);
        if (op == QLatin1Char('}')) {
            ++m_pos;
            if (!eval)
                return QString();
            if (!m_env.contains(name))
                return invalid(QStringLiteral("environment variable %1 is not set; set it, or write ${%1:-default} "
                                              "to give a default")
                                   .arg(name));
            return m_env.value(name);
        }

        bool colon = false;
        if (op == QLatin1Char(':')) {
            colon = true;
            ++m_pos;
            op = m_pos < n ? m_text.at(m_pos) : QChar();
        }
        if (op != QLatin1Char('-') && op != QLatin1Char('?'))
            return invalid(QStringLiteral("unsupported variable reference ${%1%2...} at character %3; expected %4")
                               .arg(name, colon ? QStringLiteral(":") : QString())
                               .arg(column)
                               .arg(kForms));
        ++m_pos;

        const bool set = m_env.contains(name);
        const QString current = m_env.value(name);
        // POSIX: with ":" an empty value counts as unset.
        const bool missing = !set || (colon && current.isEmpty());
        Result<QString> word = parse(true, eval && missing);
        if (!word.ok())
            return word;
        if (m_pos >= n)
            return invalid(QStringLiteral("unterminated variable reference at character %1: a \"}\" is missing; "
                                          "expected %2")
                               .arg(column)
                               .arg(kForms));
        ++m_pos; // the closing "}"
        if (!eval)
            return QString();
        if (!missing)
            return current;
        if (op == QLatin1Char('-'))
            return word.value();
        const QString why = word.value().isEmpty() ? QStringLiteral("it must be set") : word.value();
        return invalid(QStringLiteral("environment variable %1 is %2: %3")
                           .arg(name, set ? QStringLiteral("empty") : QStringLiteral("not set"), why));
    }

    const QString &m_text;
    const QProcessEnvironment &m_env;
    const QString &m_where;
    qsizetype m_pos = 0;
    int m_depth = 0;
    static constexpr int kMaxNesting = 32;
};

} // namespace

EnvExpander::EnvExpander() : m_env(QProcessEnvironment::systemEnvironment()) {}

EnvExpander::EnvExpander(QProcessEnvironment env) : m_env(std::move(env)) {}

Result<QString> EnvExpander::expand(const QString &text, const QString &where) const
{
    // Most values hold no reference: skip the parser for them.
    if (!text.contains(QLatin1Char('$')))
        return text;
    return Expansion(text, m_env, where).run();
}

Result<QString> EnvExpander::expand(const ConfigNode &node) const
{
    if (node.isNull())
        return QString();
    if (!node.isScalar())
        return Error(ErrorKind::Invalid,
                     QStringLiteral("%1 must be a single value, found %2")
                         .arg(node.key.isEmpty() ? QStringLiteral("this entry") : QStringLiteral("\"%1\"").arg(node.key),
                              node.kindName()),
                     node.where());
    return expand(node.scalar, node.where());
}

} // namespace sd
