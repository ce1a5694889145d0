#include "TransferCommands.h"

#include "StoreOpen.h"
#include "providers/Backends.h"
#include "providers/fallback/FallbackProvider.h"
#include "providers/readonly/ReadOnlyProvider.h"
#include "providers/form/EntryForm.h"
#include "transfer/Exporter.h"
#include "transfer/Importer.h"
#include "transfer/Migrator.h"
#include "transfer/SnapshotReader.h"
#include "transfer/Verifier.h"
#include "util/Interrupts.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace sd::ctl {
namespace {


// ---- Ctrl-C ------------------------------------------------------------------

// SIGINT and SIGTERM cancel the transfer instead of killing the process, so
// an export removes its temporary file and a migration stops at a page
// boundary with its checkpoint saved. A second signal kills at once.
template <typename Engine>
std::shared_ptr<Interrupts> cancelOnInterrupt(Engine *engine)
{
    return std::make_shared<Interrupts>([engine] {
        printErr(QStringLiteral("statedeckctl: interrupted; stopping cleanly (press Ctrl-C again to kill)"));
        engine->cancel();
    });
}

// ---- passphrases -----------------------------------------------------------

void addPassphraseOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("passphrase-file"),
                 QStringLiteral("Read the passphrase from FILE (its first line)."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("passphrase-env"),
                 QStringLiteral("Read the passphrase from the environment variable VAR."), QStringLiteral("VAR")});
}

// Asks on the terminal with echo off. Empty when there is no terminal.
QByteArray prompt(const char *question)
{
    const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0)
        return {};
    struct termios old {};
    const bool isTty = ::tcgetattr(tty, &old) == 0;
    if (isTty) {
        struct termios quiet = old;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        ::tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    [[maybe_unused]] auto w = ::write(tty, question, std::strlen(question));
    QByteArray line;
    char c;
    while (::read(tty, &c, 1) == 1 && c != '\n')
        line.append(c);
    if (isTty)
        ::tcsetattr(tty, TCSAFLUSH, &old);
    w = ::write(tty, "\n", 1);
    ::close(tty);
    return line;
}

// The passphrase from --passphrase-file, --passphrase-env or a prompt.
// `ask`: prompting is allowed (an encrypted snapshot, or --encrypt);
// `confirm`: ask twice (a new snapshot). Empty: none given and none needed.
Result<QByteArray> passphrase(const QCommandLineParser &p, bool ask, bool confirm)
{
    if (p.isSet(QStringLiteral("passphrase-file"))) {
        const QString path = p.value(QStringLiteral("passphrase-file"));
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return Error(ErrorKind::Invalid, QStringLiteral("cannot read the passphrase file: %1").arg(f.errorString()),
                         path);
        QByteArray secret = f.readLine();
        while (secret.endsWith('\n') || secret.endsWith('\r'))
            secret.chop(1);
        if (secret.isEmpty())
            return Error(ErrorKind::Invalid, QStringLiteral("the passphrase file's first line is empty"), path);
        return secret;
    }
    if (p.isSet(QStringLiteral("passphrase-env"))) {
        const QString name = p.value(QStringLiteral("passphrase-env"));
        const QByteArray secret = qgetenv(name.toLocal8Bit().constData());
        if (secret.isEmpty())
            return Error(ErrorKind::Invalid, QStringLiteral("the environment variable is not set or empty"),
                         QStringLiteral("--passphrase-env %1").arg(name));
        return secret;
    }
    if (!ask)
        return QByteArray();
    const Error noTerminal(ErrorKind::Invalid, QStringLiteral("a passphrase is needed and there is no terminal to ask "
                                                              "on; give --passphrase-file FILE or --passphrase-env VAR"));
    // Scripts and pipes never block on a prompt.
    if (!isTerminal(stdin) && !isTerminal(stderr))
        return noTerminal;
    const QByteArray first = prompt("Passphrase: ");
    if (first.isEmpty())
        return Error(ErrorKind::Invalid, QStringLiteral("no passphrase given (or no terminal to ask on); give one, or "
                                                        "--passphrase-file FILE or --passphrase-env VAR"));
    if (confirm && prompt("Passphrase again: ") != first)
        return Error(ErrorKind::Invalid, QStringLiteral("the two passphrases differ"));
    return first;
}

// ---- shared options and output ---------------------------------------------------

void addConflictOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("on-conflict"),
                 QStringLiteral("What to do with a key the target holds with another value: fail (default; "
                                "nothing is written if any exists), skip (keep the target's), overwrite (save the "
                                "target's to a backup snapshot first)."),
                 QStringLiteral("POLICY"), QStringLiteral("fail")});
    p.addOption({QStringLiteral("dry-run"),
                 QStringLiteral("Show what would be created, changed and left alone (with a diff), and write "
                                "nothing.")});
    p.addOption({QStringLiteral("keys"),
                 QStringLiteral("auto (default): seed 004's dotted keys take the target's form "
                                "(deployment.phase -> deployment/phase in etcd); verbatim: keys as they are."),
                 QStringLiteral("MODE"), QStringLiteral("auto")});
    p.addOption({QStringLiteral("backup-dir"),
                 QStringLiteral("Where the backup of overwritten values goes (default "
                                "$XDG_STATE_HOME/statedeck/backups)."),
                 QStringLiteral("DIR")});
    p.addOption({QStringLiteral("reveal"), QStringLiteral("Show values in diffs even for a Secret store.")});
}

struct Common {
    ConflictPolicy policy = ConflictPolicy::Fail;
    KeyTranslation keys = KeyTranslation::Auto;
};

Result<Common> commonOptions(const QCommandLineParser &p, bool withPolicy = true)
{
    Common c;
    if (withPolicy && p.isSet(QStringLiteral("on-conflict"))
        && !parseConflictPolicy(p.value(QStringLiteral("on-conflict")), &c.policy))
        return Error(ErrorKind::Invalid, QStringLiteral("expected fail, skip or overwrite"),
                     QStringLiteral("--on-conflict %1").arg(p.value(QStringLiteral("on-conflict"))));
    if (p.isSet(QStringLiteral("keys")) && !parseKeyTranslation(p.value(QStringLiteral("keys")), &c.keys))
        return Error(ErrorKind::Invalid, QStringLiteral("expected auto or verbatim"),
                     QStringLiteral("--keys %1").arg(p.value(QStringLiteral("keys"))));
    return c;
}

// printError's hint for a Conflict is about --if-revision, which these
// commands do not take.
void printTransferError(const Error &e)
{
    printErr(QStringLiteral("statedeckctl: error: ") + e.toString());
}

int usage(const Error &e)
{
    printError(e);
    return ExitUsage;
}

QString seconds(double s)
{
    if (s < 0)
        return QStringLiteral("?");
    const qint64 n = qint64(s + 0.5);
    return n >= 3600 ? QStringLiteral("%1:%2:%3").arg(n / 3600).arg(n / 60 % 60, 2, 10, QLatin1Char('0')).arg(n % 60, 2, 10, QLatin1Char('0'))
                     : QStringLiteral("%1:%2").arg(n / 60).arg(n % 60, 2, 10, QLatin1Char('0'));
}

// "write 12000/100000 entries (12%)  8200/s  ETA 0:11"
QString progressText(const TransferProgress &p)
{
    const bool bytes = p.phase == QLatin1String("verify-file");
    auto amount = [bytes](qint64 n) {
        return bytes ? QString::number(double(n) / (1024.0 * 1024.0), 'f', 1) : QString::number(n);
    };
    const QString unit = bytes ? QStringLiteral("MiB") : QStringLiteral("entries");
    QString s = QStringLiteral("%1 %2").arg(p.phase, amount(p.done));
    if (p.total >= 0)
        s += QStringLiteral("/%1 %2 (%3%)").arg(amount(p.total), unit).arg(p.total > 0 ? p.done * 100 / p.total : 100);
    else
        s += QLatin1Char(' ') + unit;
    if (p.rate > 0)
        s += QStringLiteral("  %1%2/s").arg(bytes ? QString::number(p.rate / (1024.0 * 1024.0), 'f', 1) : QString::number(qint64(p.rate)),
                                            bytes ? QStringLiteral(" MiB") : QString());
    if (p.eta >= 0)
        s += QStringLiteral("  ETA %1").arg(seconds(p.eta));
    return s;
}

QString kindWord(KeyOutcome::Kind k, bool dryRun)
{
    switch (k) {
    case KeyOutcome::Kind::Change: return dryRun ? QStringLiteral("change") : QStringLiteral("overwrote");
    case KeyOutcome::Kind::Create: return QStringLiteral("create");
    default: return outcomeKindName(k);
    }
}

// One line (and a diff) per outcome: on stdout for dry runs and verify
// (that is their output), on stderr for the problems of a real run.
void printOutcome(const Context &ctx, const KeyOutcome &o, bool showValues, bool dryRun, Progress &progress)
{
    const bool toStdout = dryRun || o.kind == KeyOutcome::Kind::Missing || o.kind == KeyOutcome::Kind::Differs
                          || o.kind == KeyOutcome::Kind::Extra;
    QStringList diff;
    if ((o.kind == KeyOutcome::Kind::Change || o.kind == KeyOutcome::Kind::Differs) && (dryRun || toStdout))
        diff = describeChange(o.before, o.after, showValues);
    progress.done(); // the progress line is redrawn after
    if (ctx.format == Format::Json && toStdout) {
        Json j{{"action", toStd(kindWord(o.kind, dryRun))}, {"key", toStd(o.key)}};
        if (!o.sourceKey.isEmpty() && o.sourceKey != o.key)
            j["sourceKey"] = toStd(o.sourceKey);
        if (!diff.isEmpty()) {
            Json d = Json::array();
            for (const QString &l : diff)
                d.push_back(toStd(l));
            j["diff"] = d;
        }
        if (!o.error.message.isEmpty())
            j["error"] = toStd(o.error.message);
        printOut(toBytes(j.dump(-1, ' ', false, Json::error_handler_t::replace)) + '\n');
        return;
    }
    QString line = QStringLiteral("%1 %2").arg(kindWord(o.kind, dryRun).leftJustified(9), o.key);
    if (!o.sourceKey.isEmpty() && o.sourceKey != o.key)
        line += QStringLiteral("  (from %1)").arg(o.sourceKey);
    if (!o.error.message.isEmpty() && o.kind != KeyOutcome::Kind::Conflict)
        line += QStringLiteral(": ") + o.error.message;
    else if (o.kind == KeyOutcome::Kind::Conflict)
        line += QStringLiteral(": ") + (o.error.message.isEmpty() ? QStringLiteral("the target holds another value")
                                                                   : o.error.message);
    QByteArray text = line.toUtf8() + '\n';
    for (const QString &d : std::as_const(diff))
        text += "    " + d.toUtf8() + '\n';
    if (toStdout)
        printOut(text);
    else
        std::fwrite(text.constData(), 1, size_t(text.size()), stderr);
}

Json reportJson(const TransferReport &r)
{
    Json j{{"dryRun", r.dryRun},     {"read", r.read},         {"created", r.created},
           {"changed", r.changed},   {"unchanged", r.unchanged}, {"skipped", r.skipped},
           {"conflicts", r.conflicts}, {"failed", r.failed}};
    if (!r.backupPath.isEmpty())
        j["backup"] = Json{{"path", toStd(r.backupPath)}, {"entries", r.backedUp}};
    return j;
}

int exitFor(const TransferReport &r)
{
    if (r.failed > 0)
        return ExitError;
    if (r.conflicts > 0)
        return ExitConflict;
    return ExitOk;
}

Json verifyJson(const VerifyReport &v)
{
    return Json{{"compared", v.compared}, {"same", v.same},   {"missing", v.missing},
                {"differs", v.differs},   {"extra", v.extra}, {"extrasChecked", v.extrasChecked}};
}

QString verifyText(const VerifyReport &v)
{
    return QStringLiteral("verify: %1 compared, %2 the same, %3 missing, %4 differ, %5 extra%6")
        .arg(v.compared)
        .arg(v.same)
        .arg(v.missing)
        .arg(v.differs)
        .arg(v.extra)
        .arg(v.extrasChecked ? QString() : QStringLiteral(" (extra keys not checked)"));
}

Result<std::unique_ptr<Provider>> openNamed(const QString &urlOrName, const QString &option, bool readOnly)
{
    if (urlOrName.isEmpty())
        return Error(ErrorKind::Invalid, QStringLiteral("is required: a store URL or a connection name"), option);
    auto spec = storeSpecFor(urlOrName, QString());
    if (!spec.ok())
        return Error(spec.error().kind, spec.error().message,
                     spec.error().where.isEmpty() ? option : spec.error().where);
    spec->readOnly = spec->readOnly || readOnly;
    auto opened = openProvider(spec.value());
    if (opened.ok())
        announceFallback(opened.value().get());
    return opened;
}

// ---- export ------------------------------------------------------------------

void runExport(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    const QString file = p.value(QStringLiteral("output"));
    if (file.isEmpty())
        return done(usage(Error(ErrorKind::Invalid, QStringLiteral("give the snapshot file with -o FILE"), QStringLiteral("export"))));
    auto secret = passphrase(p, p.isSet(QStringLiteral("encrypt")), true);
    if (!secret.ok()) {
        printError(secret.error());
        return done(ExitUsage);
    }
    Provider *source = ctx.store->provider();
    if (secret->isEmpty() && source->capabilities().sensitive)
        printErr(QStringLiteral("statedeckctl: warning: %1 holds secrets and the snapshot is not encrypted "
                                "(--encrypt, --passphrase-file or --passphrase-env seal its values)")
                     .arg(source->describe()));
    ExportOptions o;
    o.path = file;
    o.prefix = args.value(0);
    o.passphrase = secret.value();
    auto *exporter = new Exporter(source, o, ctx.loop);
    auto progress = std::make_shared<Progress>(ctx.progress);
    QObject::connect(exporter, &Exporter::progress, exporter,
                     [progress](const TransferProgress &pr) { progress->update(progressText(pr)); });
    auto interrupts = cancelOnInterrupt(exporter);
    exporter->run().then(ctx.loop, [&ctx, exporter, progress, interrupts, done](Result<SnapshotSummary> r) {
        progress->done();
        exporter->deleteLater();
        if (!r.ok()) {
            printTransferError(r.error());
            return done(interrupts->interrupted() ? ExitInterrupted : exitCodeFor(r.error()));
        }
        if (ctx.format == Format::Json) {
            printOut(toBytes(Json{{"file", toStd(r->path)},
                                  {"entries", r->entries},
                                  {"bytes", r->bytes},
                                  {"sha256", toStd(r->sha256)},
                                  {"encrypted", r->encrypted},
                                  {"source", toStd(r->manifest.source)}}
                                 .dump(2))
                     + '\n');
        } else {
            printOut(QStringLiteral("exported %1 entries from %2 to %3 (%4 bytes%5, sha256 %6)\n")
                         .arg(r->entries)
                         .arg(r->manifest.source, r->path)
                         .arg(r->bytes)
                         .arg(r->encrypted ? QStringLiteral(", values encrypted") : QString(), r->sha256)
                         .toUtf8());
        }
        done(ExitOk);
    });
}

// ---- import ------------------------------------------------------------------

void runImport(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    auto common = commonOptions(p);
    if (!common.ok())
        return done(usage(common.error()));
    const QString file = args.at(0);
    // One line is read here to learn whether a passphrase is needed, before
    // anything starts (a prompt cannot wait for the event loop).
    auto peek = SnapshotReader::open(file);
    if (!peek.ok()) {
        printError(peek.error());
        return done(ExitError);
    }
    const bool encrypted = peek.value()->encrypted();
    const bool sensitiveSource = peek.value()->manifest().sensitive;
    peek.value().reset();
    Provider *target = ctx.store->provider();
    // A plain snapshot whose import overwrites secret values needs a
    // passphrase too: the backup of those values is sealed with it.
    const bool sealsBackup = !encrypted && common->policy == ConflictPolicy::Overwrite
                             && !p.isSet(QStringLiteral("dry-run"))
                             && (sensitiveSource || target->capabilities().sensitive);
    auto secret = passphrase(p, encrypted || (sealsBackup && isTerminal(stdin)), sealsBackup);
    if (!secret.ok()) {
        printError(secret.error());
        return done(ExitUsage);
    }
    ImportOptions o;
    o.path = file;
    o.passphrase = secret.value();
    o.policy = common->policy;
    o.keys = common->keys;
    o.dryRun = p.isSet(QStringLiteral("dry-run"));
    o.backupDirectory = p.value(QStringLiteral("backup-dir"));
    // Values are masked when they are secret on either side: a Secret store
    // as target, a snapshot exported from one, or sealed values.
    const bool showValues = p.isSet(QStringLiteral("reveal"))
                            || (!target->capabilities().sensitive && !encrypted && !sensitiveSource);
    auto *importer = new Importer(target, o, ctx.loop);
    auto progress = std::make_shared<Progress>(ctx.progress);
    QObject::connect(importer, &Importer::progress, importer,
                     [progress](const TransferProgress &pr) { progress->update(progressText(pr)); });
    QObject::connect(importer, &Importer::outcome, importer, [&ctx, progress, showValues, o](const KeyOutcome &oc) {
        printOutcome(ctx, oc, showValues, o.dryRun, *progress);
    });
    auto interrupts = cancelOnInterrupt(importer);
    importer->run().then(ctx.loop, [&ctx, importer, progress, interrupts, done, target](Result<ImportReport> r) {
        progress->done();
        importer->deleteLater();
        if (!r.ok()) {
            printTransferError(r.error());
            return done(interrupts->interrupted() ? ExitInterrupted : exitCodeFor(r.error()));
        }
        const TransferReport &t = r->transfer;
        if (ctx.format == Format::Json) {
            Json j = reportJson(t);
            j["file"] = toStd(r->snapshot.path);
            j["target"] = toStd(target->describe());
            printOut(toBytes(j.dump(2)) + '\n');
        } else {
            const QString head = t.dryRun ? QString()
                                          : QStringLiteral("imported %1 into %2: ").arg(r->snapshot.path, target->describe());
            printOut((head + t.text() + QLatin1Char('\n')).toUtf8());
        }
        done(exitFor(t));
    });
}

// ---- migrate -----------------------------------------------------------------

struct TwoStores {
    std::unique_ptr<Provider> from;
    std::unique_ptr<Provider> to;
};

// --read-only opens both read-only: verify then works as ever, and migrate
// is refused before it starts (its target is read-only).
Result<std::shared_ptr<TwoStores>> openBoth(const Context &ctx, const QCommandLineParser &p)
{
    auto stores = std::make_shared<TwoStores>();
    auto from = openNamed(p.value(QStringLiteral("from")), QStringLiteral("--from"), ctx.readOnly);
    if (!from.ok())
        return from.error();
    auto to = openNamed(p.value(QStringLiteral("to")), QStringLiteral("--to"), ctx.readOnly);
    if (!to.ok())
        return to.error();
    stores->from = std::move(from).value();
    stores->to = std::move(to).value();
    if (stores->from->describe() == stores->to->describe())
        return Error(ErrorKind::Invalid, QStringLiteral("--from and --to name the same store"), stores->from->describe());
    return stores;
}

void addFromTo(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("from"), QStringLiteral("The source: a store URL or a connection name."),
                 QStringLiteral("URL")});
    p.addOption({QStringLiteral("to"), QStringLiteral("The target: a store URL or a connection name."),
                 QStringLiteral("URL")});
}

// Says why --from or --to could not be opened; a store named wrongly is a
// usage error, one that cannot be reached is not.
int cannotOpen(const Error &e)
{
    printError(e);
    return e.kind == ErrorKind::Invalid ? ExitUsage : ExitError;
}

void runMigrate(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    auto common = commonOptions(p);
    if (!common.ok())
        return done(usage(common.error()));
    auto stores = openBoth(ctx, p);
    if (!stores.ok())
        return done(cannotOpen(stores.error()));
    MigrationOptions o;
    o.prefix = args.value(0);
    o.policy = common->policy;
    o.keys = common->keys;
    o.dryRun = p.isSet(QStringLiteral("dry-run"));
    o.verify = !p.isSet(QStringLiteral("no-verify"));
    o.restart = p.isSet(QStringLiteral("restart"));
    o.checkpointPath = p.value(QStringLiteral("checkpoint"));
    o.backupDirectory = p.value(QStringLiteral("backup-dir"));
    Provider *from = stores.value()->from.get();
    Provider *to = stores.value()->to.get();
    const bool showValues = p.isSet(QStringLiteral("reveal"))
                            || (!from->capabilities().sensitive && !to->capabilities().sensitive);
    auto *migrator = new Migrator(from, to, o, ctx.loop);
    auto progress = std::make_shared<Progress>(ctx.progress);
    QObject::connect(migrator, &Migrator::progress, migrator,
                     [progress](const TransferProgress &pr) { progress->update(progressText(pr)); });
    QObject::connect(migrator, &Migrator::outcome, migrator, [&ctx, progress, showValues, o](const KeyOutcome &oc) {
        printOutcome(ctx, oc, showValues, o.dryRun, *progress);
    });
    QObject::connect(migrator, &Migrator::resuming, migrator, [migrator, progress](qint64 n, const QString &last) {
        progress->done();
        printErr(QStringLiteral("statedeckctl: resuming the interrupted migration (checkpoint %1): %2 entries were "
                                "copied, up to \"%3\"")
                     .arg(migrator->checkpointPath())
                     .arg(n)
                     .arg(last));
    });
    QObject::connect(migrator, &Migrator::verifying, migrator, [progress] {
        progress->done();
        printErr(QStringLiteral("statedeckctl: copy complete; verifying the target entry by entry"));
    });
    auto interrupts = cancelOnInterrupt(migrator);
    auto keep = stores.value();
    migrator->run().then(ctx.loop, [&ctx, migrator, progress, interrupts, done, keep](Result<MigrationReport> r) {
        progress->done();
        migrator->deleteLater();
        if (!r.ok()) {
            printTransferError(r.error());
            return done(interrupts->interrupted() ? ExitInterrupted : exitCodeFor(r.error()));
        }
        const TransferReport &t = r->transfer;
        int code = exitFor(t);
        if (r->verify && !r->verify->clean() && code == ExitOk)
            code = ExitDiffers;
        if (ctx.format == Format::Json) {
            Json j = reportJson(t);
            j["from"] = toStd(keep->from->describe());
            j["to"] = toStd(keep->to->describe());
            j["resumed"] = r->resumed;
            if (r->resumed)
                j["resumedAfter"] = r->resumedAfter;
            if (r->verify)
                j["verify"] = verifyJson(*r->verify);
            printOut(toBytes(j.dump(2)) + '\n');
        } else {
            QString text = t.dryRun ? t.text()
                                    : QStringLiteral("migrated %1 -> %2: %3")
                                          .arg(keep->from->describe(), keep->to->describe(), t.text());
            if (r->restartedListing)
                text += QStringLiteral("\n(the saved listing position had expired; the listing started over and "
                                       "found what was copied unchanged)");
            if (r->verify)
                text += QLatin1Char('\n') + verifyText(*r->verify);
            printOut(text.toUtf8() + '\n');
        }
        done(code);
    });
}

// ---- verify ------------------------------------------------------------------

void runVerify(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    auto common = commonOptions(p, false);
    if (!common.ok())
        return done(usage(common.error()));
    auto stores = openBoth(ctx, p);
    if (!stores.ok())
        return done(cannotOpen(stores.error()));
    VerifyOptions o;
    o.prefix = args.value(0);
    o.keys = common->keys;
    o.extras = !p.isSet(QStringLiteral("no-extras"));
    Provider *from = stores.value()->from.get();
    Provider *to = stores.value()->to.get();
    const bool showValues = p.isSet(QStringLiteral("reveal"))
                            || (!from->capabilities().sensitive && !to->capabilities().sensitive);
    auto *verifier = new Verifier(from, to, o, ctx.loop);
    auto progress = std::make_shared<Progress>(ctx.progress);
    QObject::connect(verifier, &Verifier::progress, verifier,
                     [progress](const TransferProgress &pr) { progress->update(progressText(pr)); });
    QObject::connect(verifier, &Verifier::outcome, verifier, [&ctx, progress, showValues](const KeyOutcome &oc) {
        printOutcome(ctx, oc, showValues, false, *progress);
    });
    auto interrupts = cancelOnInterrupt(verifier);
    auto keep = stores.value();
    verifier->run().then(ctx.loop, [&ctx, verifier, progress, interrupts, done, keep](Result<VerifyReport> r) {
        progress->done();
        verifier->deleteLater();
        if (!r.ok()) {
            printTransferError(r.error());
            return done(interrupts->interrupted() ? ExitInterrupted : exitCodeFor(r.error()));
        }
        if (ctx.format == Format::Json)
            printOut(toBytes(verifyJson(r.value()).dump(2)) + '\n');
        else
            printOut(verifyText(r.value()).toUtf8() + '\n');
        done(r->clean() ? ExitOk : ExitDiffers);
    });
}

} // namespace

void announceFallback(Provider *provider)
{
    auto *fb = qobject_cast<FallbackProvider *>(unwrapReadOnly(provider));
    if (!fb)
        return;
    QObject::connect(fb, &FallbackProvider::fallbackChanged, fb, [fb](bool active, const Error &reason) {
        if (active)
            printErr(QStringLiteral("statedeckctl: WARNING: %1 cannot be reached (%2); using the fallback %3. Writes "
                                    "are journaled in %4 and replayed when it is back.")
                         .arg(fb->primary()->describe(), reason.toString(), fb->fallback()->describe(),
                              fb->journalPath()));
        else
            printErr(QStringLiteral("statedeckctl: %1 is reachable again; back from the fallback")
                         .arg(fb->primary()->describe()));
    });
    QObject::connect(fb, &FallbackProvider::replayed, fb, [fb](const ReplayReport &r) {
        printErr(QStringLiteral("statedeckctl: replayed the fallback's journal to %1: %2 applied, %3 already there, "
                                "%4 conflicts")
                     .arg(fb->primary()->describe())
                     .arg(r.applied)
                     .arg(r.alreadyThere)
                     .arg(r.conflicts.size()));
        for (const auto &[key, why] : r.conflicts)
            printErr(QStringLiteral("statedeckctl: WARNING: conflict: %1: %2 (kept in %3)")
                         .arg(key, why, fb->journalPath().chopped(6) + QStringLiteral(".conflicts.jsonl")));
    });
}

QList<Command> transferCommands()
{
    Command exportCmd{
        QStringLiteral("export"), QStringLiteral("export [PREFIX] -o FILE"),
        QStringLiteral("Write every entry under PREFIX to a snapshot FILE (JSON lines with a SHA-256 trailer; gzip "
                       "when FILE ends in .gz), in constant memory. Here -o/--output names the file. With --encrypt, "
                       "--passphrase-file or --passphrase-env the values are sealed with AES-256-GCM. FILE appears "
                       "only when the export is complete."),
        true,
        [](QCommandLineParser &p) {
            p.addOption({QStringLiteral("encrypt"), QStringLiteral("Encrypt the values; ask for the passphrase.")});
            addPassphraseOptions(p);
        },
        runExport, 0, 1, true};
    Command importCmd{
        QStringLiteral("import"), QStringLiteral("import FILE"),
        QStringLiteral("Import a snapshot into the store. The whole file is checked first (format, every line, "
                       "checksum, passphrase); a damaged file is refused, naming the line, and nothing is imported. "
                       "Writes are conditional and batched; --on-conflict decides about keys that hold other "
                       "values; --dry-run shows what would change."),
        true,
        [](QCommandLineParser &p) {
            addConflictOptions(p);
            addPassphraseOptions(p);
        },
        runImport, 1, 1};
    Command migrateCmd{
        QStringLiteral("migrate"), QStringLiteral("migrate --from URL --to URL [PREFIX]"),
        QStringLiteral("Copy every entry under PREFIX from one store to another (seed 004's migration), in "
                       "batches, resumable: a checkpoint after every page lets the same command continue after a "
                       "crash or an unreachable target. Overwritten values are saved to a backup snapshot first. "
                       "A verify pass compares both stores at the end."),
        false,
        [](QCommandLineParser &p) {
            addFromTo(p);
            addConflictOptions(p);
            p.addOption({QStringLiteral("no-verify"), QStringLiteral("Skip the verify pass at the end.")});
            p.addOption({QStringLiteral("restart"),
                         QStringLiteral("Ignore the checkpoint of an interrupted run and start over.")});
            p.addOption({QStringLiteral("checkpoint"),
                         QStringLiteral("Keep the checkpoint in FILE (default "
                                        "$XDG_STATE_HOME/statedeck/migrations/<hash>.json)."),
                         QStringLiteral("FILE")});
        },
        runMigrate, 0, 1};
    Command verifyCmd{
        QStringLiteral("verify"), QStringLiteral("verify --from URL --to URL [PREFIX]"),
        QStringLiteral("Compare two stores entry by entry (keys translated as migrate translates them) and list "
                       "what is missing, different or extra in the target. Exit code 8 when they differ."),
        false,
        [](QCommandLineParser &p) {
            addFromTo(p);
            p.addOption({QStringLiteral("keys"), QStringLiteral("auto (default) or verbatim, as for migrate."),
                         QStringLiteral("MODE"), QStringLiteral("auto")});
            p.addOption({QStringLiteral("no-extras"),
                         QStringLiteral("Do not look for keys only the target holds.")});
            p.addOption({QStringLiteral("reveal"), QStringLiteral("Show values in diffs even for a Secret store.")});
        },
        runVerify, 0, 1};
    return {exportCmd, importCmd, migrateCmd, verifyCmd};
}

} // namespace sd::ctl
