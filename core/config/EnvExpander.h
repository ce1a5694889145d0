#pragma once

#include "model/Result.h"

#include <QProcessEnvironment>
#include <QString>

namespace sd {

struct ConfigNode;

// Expands environment references in configuration values:
//
//   ${NAME}             the value of NAME; an error if NAME is not set
//   ${NAME:-default}    the default when NAME is unset or empty
//   ${NAME-default}     the default when NAME is unset (set but empty stays empty)
//   ${NAME:?message}    an error carrying `message` when NAME is unset or empty
//   ${NAME?message}     an error carrying `message` when NAME is unset
//   $$                  a literal "$"
//
// Defaults and messages may themselves contain references; they are only
// evaluated when used. A "$" not followed by "{" or "$" is kept as it is, so
// bare "$NAME" is never expanded (passwords and patterns such as "ssh:*" or
// "a$b" survive). Names are letters, digits and "_", not starting with a digit.
//
// The environment is injected so tests (and callers that overlay variables)
// do not depend on the process environment.
class EnvExpander {
public:
    // The process environment at the time of the call.
    EnvExpander();
    explicit EnvExpander(QProcessEnvironment env);

    // Expands `text`. `where` ("file:line:column" of the scalar, or a URL)
    // is named in errors, which are Invalid. Error messages never repeat the
    // text being expanded: it may hold a password.
    Result<QString> expand(const QString &text, const QString &where) const;

    // Expands a scalar node; errors name the node's file:line:column. A
    // missing node or a null value expands to an empty string.
    Result<QString> expand(const ConfigNode &node) const;

    bool contains(const QString &name) const { return m_env.contains(name); }
    QString value(const QString &name) const { return m_env.value(name); }
    const QProcessEnvironment &environment() const { return m_env; }

private:
    QProcessEnvironment m_env;
};

} // namespace sd
