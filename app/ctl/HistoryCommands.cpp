// `statedeckctl history KEY`: the values a key has held, newest first, where
// the store keeps them (etcd's revisions, SQLite's change log).
#include "Cli.h"

#include "model/Codec.h"
#include "util/YamlJson.h"

namespace sd::ctl {
namespace {

constexpr int kDefaultLimit = 10;
// A table shows each value on one line, cut to this many characters; json
// and yaml show values whole.
constexpr int kCellChars = 60;

// The value on one line: text as it is, JSON compact.
QString oneLine(const Entry &e)
{
    if ((e.encoding == Encoding::Text || e.encoding == Encoding::Base64) && e.value.is_string())
        return toQString(e.value.get<std::string>()).replace(QLatin1Char('\n'), QStringLiteral("\\n"));
    return toQString(e.value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

QString cell(const Entry &e)
{
    QString text = oneLine(e);
    if (text.size() > kCellChars)
        text = text.left(kCellChars - 1) + QChar(0x2026); // …
    return text;
}

QString shortTime(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODate) : QStringLiteral("-");
}

void runHistory(Context &ctx, const QCommandLineParser &p, const QStringList &args, Done done)
{
    int limit = kDefaultLimit;
    if (p.isSet(QStringLiteral("limit"))) {
        bool ok = false;
        limit = p.value(QStringLiteral("limit")).toInt(&ok);
        if (!ok || limit < 1) {
            printError(Error(ErrorKind::Invalid, QStringLiteral("expected a whole number of values, 1 or more"),
                             QStringLiteral("--limit %1").arg(p.value(QStringLiteral("limit")))));
            return done(ExitUsage);
        }
    }
    ctx.reveal = p.isSet(QStringLiteral("reveal"));
    ctx.store->provider()->history(args.at(0), limit).then(ctx.loop, [&ctx, done](Result<QList<Entry>> r) {
        if (!r.ok()) {
            printError(r.error());
            if (r.error().kind == ErrorKind::Unsupported)
                printErr(QStringLiteral("hint: etcd and sqlite stores keep earlier values; this one keeps only "
                                        "the current value (statedeckctl get)"));
            done(exitCodeFor(r.error()));
            return;
        }
        QList<Entry> entries;
        const QList<Entry> &found = r.value();
        for (const Entry &e : found)
            entries << shown(ctx, e);
        if (ctx.valueOnly) {
            for (const Entry &e : std::as_const(entries))
                printOut(oneLine(e).toUtf8() + '\n');
            done(ExitOk);
            return;
        }
        Json list = Json::array();
        switch (ctx.format) {
        case Format::Json:
        case Format::Yaml:
            for (const Entry &e : std::as_const(entries))
                list.push_back(entryToJson(e, true));
            printOut(ctx.format == Format::Json
                         ? toBytes(list.dump(2, ' ', false, Json::error_handler_t::replace)) + '\n'
                         : jsonToYaml(list));
            break;
        case Format::Table: {
            Table t({QStringLiteral("REVISION"), QStringLiteral("UPDATED"), QStringLiteral("VALUE")});
            for (const Entry &e : std::as_const(entries))
                t.addRow({e.revision, shortTime(e.updated), cell(e)});
            t.flush();
            break;
        }
        }
        done(ExitOk);
    });
}

void addHistoryOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("limit"),
                 QStringLiteral("Show at most N values, the current one included (default %1).").arg(kDefaultLimit),
                 QStringLiteral("N")});
    addRevealOption(p);
}

} // namespace

QList<Command> historyCommands()
{
    return {{QStringLiteral("history"), QStringLiteral("history KEY"),
             QStringLiteral("Show the values KEY has held, newest first, the current one first, with the revision "
                            "each was written at. etcd keeps them until it compacts; sqlite keeps the last 10,000 "
                            "changes of the store. The history stops at the key's last deletion. Other stores keep "
                            "no history (exit 1). A Secret store's values are masked unless --reveal is given."),
             true, addHistoryOptions, runHistory, 1, 1}};
}

} // namespace sd::ctl
