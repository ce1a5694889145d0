// kubeconfig files: load and resolve every context. A broken file or
// context is an error naming it; nothing crashes, and no file a kubeconfig
// names is read without bound.
#include "FuzzTarget.h"

#include "kube/KubeConfig.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

using namespace sd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/sd-fuzz-kubeconfig-XXXXXX"));
    const QString path = dir.filePath(QStringLiteral("config"));
    {
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            fuzz::fail("cannot write the scratch file", __FILE__, __LINE__);
        f.write(reinterpret_cast<const char *>(data), qint64(size));
    }
    auto cfg = kube::KubeConfig::load({path});
    if (!cfg.ok()) {
        FUZZ_CHECK(!cfg.error().message.isEmpty());
        return 0;
    }
    (void)cfg->access();
    const QStringList contexts = cfg->contextNames();
    for (const QString &name : contexts) {
        auto access = cfg->access(name);
        if (access.ok())
            (void)access->describe();
    }
    return 0;
}
