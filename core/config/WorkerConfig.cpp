#include "config/WorkerConfig.h"

#include "config/ConfigNode.h"
#include "config/StoreOptions.h"

#include <QFileInfo>

namespace sd {
namespace {

// The gate's own defaults (lib/utility.js and its providers).
const QString kDefaultProvider = QStringLiteral("kubernetes");
const QString kDefaultSecretName = QStringLiteral("k8-container-gate-keys");
const QString kDefaultStatePath = QStringLiteral("/var/lib/k8gate/state.json");
const QString kDefaultKeysPath = QStringLiteral("/etc/ssh/authorized_keys.d");

QStringList providerOptions(const QString &provider)
{
    if (provider == QLatin1String("kubernetes"))
        return {QStringLiteral("secretName"), QStringLiteral("namespace"), QStringLiteral("context"),
                QStringLiteral("endpoint"), QStringLiteral("token"), QStringLiteral("certificateAuthority"),
                QStringLiteral("insecureSkipTlsVerify")};
    if (provider == QLatin1String("firebase"))
        return {QStringLiteral("projectId"), QStringLiteral("databaseUrl")};
    return {QStringLiteral("statePath"), QStringLiteral("keysPath")};
}

struct Setting {
    bool found = false;
    QString value;
    QString where;
};

class Reader {
public:
    Reader(const QString &file, const EnvExpander &env, WorkerConfig &out)
        : m_file(file), m_baseDir(QFileInfo(file).absolutePath()), m_env(env), m_out(out)
    {
    }

    Result<WorkerConfig> run(const ConfigNode &root)
    {
        if (root.isNull())
            return invalid(QStringLiteral("the file is empty; expected a worker.yml (kind: workerConfig)"),
                           root.where());
        if (Status s = expectMap(root, QStringLiteral("a worker.yml")); !s.ok())
            return s.error();

        const ConfigNode *kind = root.get(QStringLiteral("kind"));
        const ConfigNode *state = root.get(QStringLiteral("state"));
        const ConfigNode *config = root.get(QStringLiteral("config"));
        if (kind) {
            if (Status s = expectScalar(*kind, QStringLiteral("\"kind\"")); !s.ok())
                return s.error();
            m_out.kind = kind->scalar;
            if (kind->scalar != QLatin1String("workerConfig"))
                return invalid(QStringLiteral("this is a \"%1\" document, not a worker.yml; expected kind: "
                                              "workerConfig")
                                   .arg(kind->scalar),
                               kind->where());
        } else if (!state && !config) {
            return invalid(QStringLiteral("this is not a worker.yml: it has neither \"kind: workerConfig\" nor a "
                                          "\"state:\" block"),
                           root.where());
        }
        if (const ConfigNode *version = root.get(QStringLiteral("version")); version && version->isScalar())
            m_out.version = version->scalar;

        if (config && !config->isNull()) {
            if (Status s = expectMap(*config, QStringLiteral("\"config\"")); !s.ok())
                return s.error();
            m_configEnv = config->get(QStringLiteral("env"));
            if (m_configEnv && m_configEnv->isNull())
                m_configEnv = nullptr;
            if (m_configEnv) {
                if (Status s = expectMap(*m_configEnv, QStringLiteral("\"config.env\"")); !s.ok())
                    return s.error();
            }
        }

        Status s = state && !state->isNull() ? fromStateBlock(*state) : fromEnvironment();
        if (!s.ok())
            return s.error();
        if (Status f = finishStoreSpec(m_out.store, m_out.store.origin); !f.ok())
            return f.error();
        return m_out;
    }

private:
    static Error invalid(const QString &message, const QString &where)
    {
        return Error(ErrorKind::Invalid, message, where);
    }

    // A gate setting: `config.env` first (expanded), then the process environment.
    Result<Setting> strict(const QString &name) const
    {
        if (m_configEnv) {
            if (const ConfigNode *node = m_configEnv->get(name)) {
                Result<QString> v = m_env.expand(*node);
                if (!v.ok())
                    return v.error();
                return Setting{true, v.value().trimmed(), node->where()};
            }
        }
        if (m_env.contains(name))
            return Setting{true, m_env.value(name).trimmed(), QStringLiteral("environment variable %1").arg(name)};
        return Setting{};
    }

    // For optional settings: one that cannot be resolved is left out (the
    // kubeconfig decides instead), with a warning.
    Setting lenient(const QString &name)
    {
        Result<Setting> s = strict(name);
        if (s.ok())
            return s.value();
        m_out.warnings << QStringLiteral("%1: %2 (so %3 is ignored and the kubeconfig decides)")
                              .arg(s.error().where, s.error().message, name);
        return Setting{};
    }

    Status setOption(const QString &name, const Setting &s)
    {
        if (!s.found || s.value.isEmpty())
            return {};
        Result<QVariant> v = storeOptionValue(m_out.store.backend, name, s.value, m_baseDir, s.where);
        if (!v.ok())
            return v.error();
        m_out.store.options.insert(name, v.value());
        return {};
    }

    Status checkProvider(const QString &provider, const QString &where)
    {
        if (!workerProviders().contains(provider))
            return invalid(QStringLiteral("state provider \"%1\" is not supported; expected one of: %2")
                               .arg(provider, workerProviders().join(QStringLiteral(", "))),
                           where);
        m_out.provider = provider;
        m_out.store.backend = provider;
        return {};
    }

    Status fromStateBlock(const ConfigNode &state)
    {
        m_out.hasStateBlock = true;
        m_out.store.origin = state.keyWhere();
        if (Status s = expectMap(state, QStringLiteral("\"state\"")); !s.ok())
            return s;
        for (const ConfigNode &child : state.children)
            if (child.key != QLatin1String("provider") && child.key != QLatin1String("options"))
                m_out.warnings << QStringLiteral("%1: key \"state.%2\" is not used; the gate reads provider and "
                                                 "options")
                                      .arg(child.keyWhere(), child.key);

        // Without state.provider the gate falls back to STATE_PROVIDER, then kubernetes.
        QString provider;
        QString providerWhere;
        if (const ConfigNode *p = state.get(QStringLiteral("provider")); p && !p->isNull()) {
            Result<QString> v = m_env.expand(*p);
            if (!v.ok())
                return v.error();
            provider = v->trimmed();
            providerWhere = p->where();
        } else {
            Result<Setting> s = strict(QStringLiteral("STATE_PROVIDER"));
            if (!s.ok())
                return s.error();
            provider = s->value.isEmpty() ? kDefaultProvider : s->value;
            providerWhere = s->found ? s->where : state.keyWhere();
        }
        if (provider.isEmpty())
            provider = kDefaultProvider;
        if (Status s = checkProvider(provider, providerWhere); !s.ok())
            return s;

        // Only the chosen provider's options are read, so the seed's
        // ${FIREBASE_PROJECT_ID} need not be set to use kubernetes.
        const ConfigNode *options = state.get(QStringLiteral("options"));
        const ConfigNode *mine = nullptr;
        if (options && !options->isNull()) {
            if (Status s = expectMap(*options, QStringLiteral("\"state.options\"")); !s.ok())
                return s;
            mine = options->get(provider);
            if (mine && mine->isNull())
                mine = nullptr;
        }
        if (mine) {
            if (Status s = expectMap(*mine, QStringLiteral("\"state.options.%1\"").arg(provider)); !s.ok())
                return s;
            const QStringList accepted = providerOptions(provider);
            for (const ConfigNode &child : mine->children) {
                if (!accepted.contains(child.key)) {
                    m_out.warnings << QStringLiteral("%1: option \"%2\" is not used by statedeck; it reads %3")
                                          .arg(child.keyWhere(), child.key, accepted.join(QStringLiteral(", ")));
                    continue;
                }
                Result<QVariant> v = storeOptionValue(provider, child, m_env, m_baseDir);
                if (!v.ok())
                    return v.error();
                m_out.store.options.insert(child.key, v.value());
            }
        }
        return applyDefaults();
    }

    Status fromEnvironment()
    {
        m_out.store.origin = m_file;
        Result<Setting> p = strict(QStringLiteral("STATE_PROVIDER"));
        if (!p.ok())
            return p.error();
        const QString provider = p->value.isEmpty() ? kDefaultProvider : p->value;
        if (Status s = checkProvider(provider, p->found ? p->where : m_file); !s.ok())
            return s;

        if (provider == QLatin1String("kubernetes")) {
            Result<Setting> ns = strict(QStringLiteral("KUBERNETES_CLUSTER_NAMESPACE"));
            if (!ns.ok())
                return ns.error();
            if (Status s = setOption(QStringLiteral("namespace"), ns.value()); !s.ok())
                return s;
            const std::pair<const char *, const char *> optional[] = {
                {"context", "KUBERNETES_CLUSTER_CONTEXT"},
                {"endpoint", "KUBERNETES_CLUSTER_ENDPOINT"},
                {"token", "KUBERNETES_CLUSTER_USER_TOKEN"},
            };
            for (const auto &[option, variable] : optional)
                if (Status s = setOption(QString::fromLatin1(option), lenient(QString::fromLatin1(variable))); !s.ok())
                    return s;
            // The cluster's CA goes with the endpoint; a kubeconfig context has its own.
            if (m_out.store.options.contains(QStringLiteral("endpoint")))
                if (Status s = setOption(QStringLiteral("certificateAuthority"),
                                         lenient(QStringLiteral("KUBERNETES_CLUSTER_CERTIFICATE")));
                    !s.ok())
                    return s;
        } else if (provider == QLatin1String("firebase")) {
            for (const auto &[option, variable] : {std::pair{"projectId", "FIREBASE_PROJECT_ID"},
                                                   std::pair{"databaseUrl", "FIREBASE_DATABASE_URL"}}) {
                Result<Setting> s = strict(QString::fromLatin1(variable));
                if (!s.ok())
                    return s.error();
                if (Status o = setOption(QString::fromLatin1(option), s.value()); !o.ok())
                    return o;
            }
        } else {
            for (const auto &[option, variable] : {std::pair{"statePath", "CONTROLLER_KEYS_PATH"},
                                                   std::pair{"keysPath", "DIRECTORY_KEYS_BASE"}}) {
                Result<Setting> s = strict(QString::fromLatin1(variable));
                if (!s.ok())
                    return s.error();
                if (Status o = setOption(QString::fromLatin1(option), s.value()); !o.ok())
                    return o;
            }
        }
        return applyDefaults();
    }

    Status applyDefaults()
    {
        QVariantMap &o = m_out.store.options;
        if (m_out.provider == QLatin1String("kubernetes")) {
            if (o.value(QStringLiteral("secretName")).toString().isEmpty())
                o.insert(QStringLiteral("secretName"), kDefaultSecretName);
            o.insert(QStringLiteral("resource"), QStringLiteral("secrets"));
            // A state block without a namespace: the gate's variable, if set.
            if (m_out.hasStateBlock && !o.contains(QStringLiteral("namespace")))
                if (Status s = setOption(QStringLiteral("namespace"), lenient(QStringLiteral("KUBERNETES_CLUSTER_NAMESPACE")));
                    !s.ok())
                    return s;
        } else if (m_out.provider == QLatin1String("local")) {
            if (o.value(QStringLiteral("statePath")).toString().isEmpty())
                o.insert(QStringLiteral("statePath"), kDefaultStatePath);
            if (o.value(QStringLiteral("keysPath")).toString().isEmpty())
                o.insert(QStringLiteral("keysPath"), kDefaultKeysPath);
        }
        return {};
    }

    QString m_file;
    QString m_baseDir;
    const EnvExpander &m_env;
    WorkerConfig &m_out;
    const ConfigNode *m_configEnv = nullptr;
};

} // namespace

QStringList workerProviders()
{
    return {QStringLiteral("kubernetes"), QStringLiteral("firebase"), QStringLiteral("local")};
}

Result<WorkerConfig> parseWorkerConfig(const QByteArray &yaml, const QString &fileName, const EnvExpander &env)
{
    Result<ConfigNode> root = parseConfigYaml(yaml, fileName);
    if (!root.ok())
        return root.error();
    WorkerConfig out;
    out.path = fileName;
    return Reader(fileName, env, out).run(root.value());
}

Result<WorkerConfig> loadWorkerConfig(const QString &path, const EnvExpander &env)
{
    Result<ConfigNode> root = loadConfigYaml(path);
    if (!root.ok())
        return root.error();
    WorkerConfig out;
    out.path = path;
    return Reader(path, env, out).run(root.value());
}

} // namespace sd
