// Writes one big value into one key of a YAML state directory, over and over,
// through YamlProvider, until it is killed. tst_yaml_crash kills it with
// SIGKILL at varied moments and checks the file after each kill.
//
// usage: yaml_crash_writer <state dir> <key> <value bytes> <backups>
//
// Generation g's value is "gen-<g>:" + filler + ":end-<g>", exactly <value
// bytes> long, so a reader can tell one complete generation from a torn one.
// Numbering continues from the generation already in the file. Prints
// "start <g>" before each write and "done <g>" after it.

#include "CrashValue.h"
#include "providers/yaml/YamlProvider.h"

#include <QCoreApplication>
#include <QRegularExpression>

#include <cstdio>

using namespace sd;


int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 5) {
        std::fprintf(stderr, "usage: yaml_crash_writer <state dir> <key> <value bytes> <backups>\n");
        return 2;
    }
    YamlOptions options;
    options.directory = args[1];
    options.maxBackups = args[4].toInt();
    YamlProvider provider(options);
    const QString key = args[2];
    const size_t size = size_t(args[3].toLongLong());

    long long generation = 0;
    auto current = provider.get(key).result();
    if (current.ok() && current->value.is_string()) {
        static const QRegularExpression re(QStringLiteral("^gen-(\\d+):"));
        const auto m = re.match(toQString(current->value.get<std::string>().substr(0, 32)));
        if (m.hasMatch())
            generation = m.captured(1).toLongLong();
    }
    // Bounded: the test kills it long before this.
    for (int i = 0; i < 1000; ++i) {
        ++generation;
        Entry e;
        e.key = key;
        e.encoding = Encoding::Yaml;
        e.value = test::crashValue(generation, size);
        std::printf("start %lld\n", generation);
        std::fflush(stdout);
        auto r = provider.put(e, Precondition::none()).result();
        if (!r.ok()) {
            std::fprintf(stderr, "error: %s\n", qPrintable(r.error().toString()));
            return 1;
        }
        std::printf("done %lld\n", generation);
        std::fflush(stdout);
    }
    return 0;
}
