// sd-kube-emulator: a Kubernetes API server emulator for statedeck's tests.
// See docs/kube-emulator.md for what it serves and where it departs from a
// real kube-apiserver.

#include "Api.h"
#include "Http.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QSslCertificate>
#include <QSocketNotifier>

#include <csignal>
#include <unistd.h>
#include <cstdio>

namespace {

// Reads kube-apiserver's --token-auth-file format: token,user,uid,"group1,group2".
// Group system:masters gives every verb, statedeck:readonly gives get, list
// and watch; any other user is authenticated but has no permissions.
bool readTokenFile(const QString &path, std::map<std::string, kemu::User> &tokens, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read token file %1: %2").arg(path, file.errorString());
        return false;
    }
    int lineNumber = 0;
    while (!file.atEnd()) {
        ++lineNumber;
        const QByteArray line = file.readLine().trimmed();
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const QList<QByteArray> fields = line.split(',');
        if (fields.size() < 3) {
            *error = QStringLiteral("%1:%2: expected token,user,uid[,\"groups\"]").arg(path).arg(lineNumber);
            return false;
        }
        QByteArray groups = line.mid(fields[0].size() + fields[1].size() + fields[2].size() + 3).trimmed();
        if (groups.startsWith('"') && groups.endsWith('"'))
            groups = groups.mid(1, groups.size() - 2);
        QStringList groupList;
        for (const QByteArray &g : groups.split(','))
            if (!g.trimmed().isEmpty())
                groupList << QString::fromUtf8(g.trimmed());
        tokens[fields[0].trimmed().toStdString()] = {fields[1].trimmed().toStdString(), kemu::roleFor(groupList)};
    }
    return true;
}

int signalPipe[2];

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("sd-kube-emulator"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Kubernetes API server emulator for tests (loopback only)."));
    parser.addHelpOption();
    const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("Plain HTTP port on 127.0.0.1 (0: none)."),
                                  QStringLiteral("port"), QStringLiteral("0"));
    const QCommandLineOption tlsPort(QStringLiteral("tls-port"), QStringLiteral("HTTPS port on 127.0.0.1 (0: none)."),
                                     QStringLiteral("port"), QStringLiteral("0"));
    const QCommandLineOption cert(QStringLiteral("cert"), QStringLiteral("PEM server certificate for --tls-port."),
                                  QStringLiteral("file"));
    const QCommandLineOption key(QStringLiteral("key"), QStringLiteral("PEM private key (RSA or EC) for --cert."),
                                 QStringLiteral("file"));
    const QCommandLineOption tokenFile(QStringLiteral("token-auth-file"),
                                       QStringLiteral("Tokens as token,user,uid,\"groups\" lines; system:masters is "
                                                      "admin, statedeck:readonly is read-only."),
                                       QStringLiteral("file"));
    const QCommandLineOption adminToken(QStringLiteral("admin-token"),
                                        QStringLiteral("A token for user \"admin\" with every permission."),
                                        QStringLiteral("token"));
    const QCommandLineOption readonlyToken(QStringLiteral("readonly-token"),
                                           QStringLiteral("A token for user \"readonly\" (get, list, watch)."),
                                           QStringLiteral("token"));
    const QCommandLineOption history(QStringLiteral("watch-history"),
                                     QStringLiteral("Events kept for watch resume and old lists; older resourceVersions "
                                                    "get 410 Expired."),
                                     QStringLiteral("events"), QStringLiteral("10000"));
    const QCommandLineOption firstRv(QStringLiteral("first-resource-version"),
                                     QStringLiteral("The resourceVersion counter's starting value."),
                                     QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption bookmark(QStringLiteral("bookmark-interval-ms"),
                                      QStringLiteral("How often watches with allowWatchBookmarks get a BOOKMARK."),
                                      QStringLiteral("ms"), QStringLiteral("5000"));
    const QCommandLineOption clientCa(QStringLiteral("client-ca"),
                                      QStringLiteral("PEM CA(s) for TLS client certificates: a certificate they "
                                                     "signed authenticates as its CN, with its O values as groups."),
                                      QStringLiteral("file"));
    parser.addOptions({port, tlsPort, cert, key, tokenFile, adminToken, readonlyToken, history, firstRv, bookmark,
                       clientCa});
    parser.process(app);

    kemu::Options options;
    QString error;
    if (parser.isSet(tokenFile) && !readTokenFile(parser.value(tokenFile), options.tokens, &error)) {
        std::fprintf(stderr, "sd-kube-emulator: %s\n", qPrintable(error));
        return 2;
    }
    if (parser.isSet(adminToken))
        options.tokens[parser.value(adminToken).toStdString()] = {"admin", kemu::Role::Admin};
    if (parser.isSet(readonlyToken))
        options.tokens[parser.value(readonlyToken).toStdString()] = {"readonly", kemu::Role::ReadOnly};
    if (options.tokens.empty() && !parser.isSet(clientCa)) {
        std::fprintf(stderr, "sd-kube-emulator: no users: give --token-auth-file, --admin-token or --client-ca\n");
        return 2;
    }
    bool ok = false;
    options.historySize = parser.value(history).toULongLong(&ok);
    if (!ok || options.historySize == 0) {
        std::fprintf(stderr, "sd-kube-emulator: --watch-history must be a positive number\n");
        return 2;
    }
    options.firstResourceVersion = parser.value(firstRv).toULongLong(&ok);
    if (!ok) {
        std::fprintf(stderr, "sd-kube-emulator: --first-resource-version must be a number\n");
        return 2;
    }
    options.bookmarkIntervalMs = std::max(100, parser.value(bookmark).toInt());

    kemu::Api api(options);
    auto handler = [&api](const kemu::HttpRequest &request, kemu::HttpExchange *exchange) {
        api.handle(request, exchange);
    };
    kemu::HttpServer plain(handler);
    kemu::HttpServer secure(handler);
    const quint16 plainPort = parser.value(port).toUShort();
    const quint16 securePort = parser.value(tlsPort).toUShort();
    if (plainPort == 0 && securePort == 0) {
        std::fprintf(stderr, "sd-kube-emulator: give --port and/or --tls-port\n");
        return 2;
    }
    if (plainPort && !plain.listen(QHostAddress::LocalHost, plainPort, nullptr, &error)) {
        std::fprintf(stderr, "sd-kube-emulator: cannot listen on 127.0.0.1:%u: %s\n", plainPort, qPrintable(error));
        return 1;
    }
    if (securePort) {
        QSslConfiguration tls;
        if (!emu::loadTlsConfiguration(parser.value(cert), parser.value(key), &tls, &error)) {
            std::fprintf(stderr, "sd-kube-emulator: %s\n", qPrintable(error));
            return 2;
        }
        if (parser.isSet(clientCa)) {
            const QList<QSslCertificate> cas = QSslCertificate::fromPath(parser.value(clientCa), QSsl::Pem);
            if (cas.isEmpty()) {
                std::fprintf(stderr, "sd-kube-emulator: --client-ca %s holds no PEM certificate\n",
                             qPrintable(parser.value(clientCa)));
                return 2;
            }
            // Ask for a certificate, require none (kube-apiserver's
            // tls.RequestClientCert); HttpConnection passes on only those
            // that verify against these CAs.
            tls.setCaCertificates(cas);
            tls.setPeerVerifyMode(QSslSocket::QueryPeer);
        }
        if (!secure.listen(QHostAddress::LocalHost, securePort, &tls, &error)) {
            std::fprintf(stderr, "sd-kube-emulator: cannot listen on 127.0.0.1:%u: %s\n", securePort, qPrintable(error));
            return 1;
        }
    }
    std::fprintf(stderr, "sd-kube-emulator: listening (http %u, https %u)\n", plainPort, securePort);

    // SIGTERM ends the event loop so open streams are closed cleanly.
    if (::pipe(signalPipe) == 0) {
        auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, &app);
        QObject::connect(notifier, &QSocketNotifier::activated, &app, &QCoreApplication::quit);
        std::signal(SIGTERM, [](int) { (void)!::write(signalPipe[1], "x", 1); });
        std::signal(SIGINT, [](int) { (void)!::write(signalPipe[1], "x", 1); });
    }
    std::signal(SIGPIPE, SIG_IGN);
    return app.exec();
}
