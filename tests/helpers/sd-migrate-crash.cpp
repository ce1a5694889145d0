// Runs a migration and kills itself with SIGKILL at a chosen step of the
// write of a page, as a crash or `kill -9` at that moment would:
//   sd-migrate-crash CHECKPOINT KILL_AT POLICY BACKUP_DIR FROM_BACKEND [opt=val...] -- TO_BACKEND [opt=val...]
// KILL_AT is STEP:N, the Nth time the run reaches STEP (a TransferStep name:
// backup-appended, backup-synced, page-written, checkpoint-saved), or 0 to
// run to the end (exit 0 on success). The kill is at that exact point, on
// the thread that reached it: no timing is involved.
#include "providers/Backends.h"
#include "transfer/Migrator.h"

#include <QCoreApplication>

#include <atomic>
#include <csignal>
#include <cstdio>

using namespace sd;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    const qsizetype split = args.indexOf(QStringLiteral("--"));
    if (args.size() < 6 || split < 6 || split + 1 >= args.size()) {
        std::fprintf(stderr, "usage: sd-migrate-crash CHECKPOINT STEP:N|0 POLICY BACKUP_DIR FROM [opt=val...] -- TO [opt=val...]\n");
        return 2;
    }
    const QString checkpoint = args.at(1);
    const QString killAt = args.at(2);
    TransferStep step = TransferStep::CheckpointSaved;
    int killAfter = 0;
    if (killAt != QLatin1String("0")) {
        bool ok = false;
        killAfter = killAt.section(QLatin1Char(':'), 1).toInt(&ok);
        if (!parseTransferStep(killAt.section(QLatin1Char(':'), 0, 0), &step) || !ok || killAfter < 1) {
            std::fprintf(stderr, "sd-migrate-crash: KILL_AT must be STEP:N or 0, not %s\n", qPrintable(killAt));
            return 2;
        }
    }
    MigrationOptions o;
    parseConflictPolicy(args.at(3), &o.policy);
    o.backupDirectory = args.at(4);
    o.checkpointPath = checkpoint;
    o.verify = false;
    auto reached = std::make_shared<std::atomic<int>>(0);
    if (killAfter > 0)
        o.stepHook = [step, killAfter, reached](TransferStep s) {
            if (s == step && ++*reached == killAfter)
                ::raise(SIGKILL);
        };
    auto from = openProvider(StoreSpec::fromOptionWords(args.at(5), args.mid(6, split - 6)));
    auto to = openProvider(StoreSpec::fromOptionWords(args.at(split + 1), args.mid(split + 2)));
    if (!from.ok() || !to.ok()) {
        std::fprintf(stderr, "cannot open the stores\n");
        return 2;
    }
    Migrator migrator(from.value().get(), to.value().get(), o);
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
