// Runs a migration and kills itself with SIGKILL part way, as a crash or
// `kill -9` would: KILL_AFTER checkpoints were saved, then a moment later
// (0-15 ms, while the next page is being written).
//   sd-migrate-crash CHECKPOINT KILL_AFTER POLICY BACKUP_DIR FROM_BACKEND [opt=val...] -- TO_BACKEND [opt=val...]
// KILL_AFTER 0: run to the end (exit 0 on success).
#include "providers/Backends.h"
#include "transfer/Migrator.h"

#include <QCoreApplication>
#include <QRandomGenerator>
#include <QTimer>

#include <csignal>
#include <cstdio>

using namespace sd;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    const qsizetype split = args.indexOf(QStringLiteral("--"));
    if (args.size() < 6 || split < 6 || split + 1 >= args.size()) {
        std::fprintf(stderr, "usage: sd-migrate-crash CHECKPOINT KILL_AFTER POLICY BACKUP_DIR FROM [opt=val...] -- TO [opt=val...]\n");
        return 2;
    }
    const QString checkpoint = args.at(1);
    const int killAfter = args.at(2).toInt();
    MigrationOptions o;
    parseConflictPolicy(args.at(3), &o.policy);
    o.backupDirectory = args.at(4);
    o.checkpointPath = checkpoint;
    o.verify = false;
    auto from = openProvider(StoreSpec::fromOptionWords(args.at(5), args.mid(6, split - 6)));
    auto to = openProvider(StoreSpec::fromOptionWords(args.at(split + 1), args.mid(split + 2)));
    if (!from.ok() || !to.ok()) {
        std::fprintf(stderr, "cannot open the stores\n");
        return 2;
    }
    Migrator migrator(from.value().get(), to.value().get(), o);
    int saved = 0;
    QObject::connect(&migrator, &Migrator::checkpointSaved, &migrator, [&](qint64) {
        if (killAfter > 0 && ++saved == killAfter)
            QTimer::singleShot(int(QRandomGenerator::global()->bounded(16)), [] { ::raise(SIGKILL); });
    });
    int code = 1;
    migrator.run().then(&app, [&](Result<MigrationReport> r) {
        if (!r.ok())
            std::fprintf(stderr, "%s\n", qPrintable(r.error().toString()));
        code = r.ok() ? 0 : 1;
        app.quit();
    });
    app.exec();
    return code;
}
