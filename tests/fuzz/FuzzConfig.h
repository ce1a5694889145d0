#pragma once
// The environment the configuration targets expand ${VAR} against: fixed,
// so a run does not depend on the machine's, with set, empty and (by their
// absence) unset variables, and one that refers to another.
#include "config/EnvExpander.h"

#include <QProcessEnvironment>

namespace sd::fuzz {

inline const EnvExpander &fuzzEnv()
{
    static const EnvExpander env([] {
        QProcessEnvironment e;
        e.insert(QStringLiteral("HOME"), QStringLiteral("/home/fuzz"));
        e.insert(QStringLiteral("REDIS_HOST"), QStringLiteral("127.0.0.1"));
        e.insert(QStringLiteral("REDIS_PORT"), QStringLiteral("6379"));
        e.insert(QStringLiteral("REDIS_PASSWORD"), QStringLiteral("p@ss:w/rd"));
        e.insert(QStringLiteral("EMPTY"), QString());
        e.insert(QStringLiteral("NESTED"), QStringLiteral("${REDIS_HOST}"));
        e.insert(QStringLiteral("STATE_PROVIDER"), QStringLiteral("local"));
        e.insert(QStringLiteral("KUBECONFIG"), QStringLiteral("/nonexistent/kubeconfig"));
        return e;
    }());
    return env;
}

} // namespace sd::fuzz
