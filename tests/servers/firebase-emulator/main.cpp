// sd-firebase-emulator: a Firebase Realtime Database emulator for
// statedeck's tests, held to the public REST and streaming documentation.
// See docs/firebase-emulator.md.

#include "Http.h"
#include "Service.h"
#include "TokenAuth.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace {
int signalPipe[2];

int fail(const QString &message, int code = 2)
{
    std::fprintf(stderr, "sd-firebase-emulator: %s\n", qPrintable(message));
    return code;
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("sd-firebase-emulator"));
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Firebase Realtime Database emulator for tests (loopback only)."));
    parser.addHelpOption();
    const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("Plain HTTP port on 127.0.0.1 (0: none)."),
                                  QStringLiteral("port"), QStringLiteral("0"));
    const QCommandLineOption tlsPort(QStringLiteral("tls-port"), QStringLiteral("HTTPS port on 127.0.0.1 (0: none)."),
                                     QStringLiteral("port"), QStringLiteral("0"));
    const QCommandLineOption cert(QStringLiteral("cert"), QStringLiteral("PEM server certificate for --tls-port."),
                                  QStringLiteral("file"));
    const QCommandLineOption key(QStringLiteral("key"), QStringLiteral("PEM private key (RSA or EC) for --cert."),
                                 QStringLiteral("file"));
    const QCommandLineOption load(QStringLiteral("load"),
                                  QStringLiteral("Start from this database JSON dump (into --namespace)."),
                                  QStringLiteral("file"));
    const QCommandLineOption dump(QStringLiteral("dump"),
                                  QStringLiteral("Write --namespace's database here at exit and on POST "
                                                 "/.emulator/dump."),
                                  QStringLiteral("file"));
    const QCommandLineOption ns(QStringLiteral("namespace"),
                                QStringLiteral("The database of requests without ?ns= (and of --load, --dump)."),
                                QStringLiteral("name"), QStringLiteral("statedeck"));
    const QCommandLineOption adminToken(QStringLiteral("admin-token"),
                                        QStringLiteral("A credential (?auth= or Bearer) that may read and write "
                                                       "everything, like a database secret."),
                                        QStringLiteral("token"));
    const QCommandLineOption readonlyToken(QStringLiteral("readonly-token"),
                                           QStringLiteral("A credential that may only read."),
                                           QStringLiteral("token"));
    const QCommandLineOption serviceAccount(QStringLiteral("service-account"),
                                            QStringLiteral("Service-account JSON whose key the token endpoint "
                                                           "trusts (client_email and private_key or public_key)."),
                                            QStringLiteral("file"));
    const QCommandLineOption lifetime(QStringLiteral("token-lifetime"),
                                      QStringLiteral("Seconds an access token lives."), QStringLiteral("s"),
                                      QStringLiteral("3600"));
    const QCommandLineOption keepAlive(QStringLiteral("keep-alive-ms"),
                                       QStringLiteral("How often open streams get a keep-alive event."),
                                       QStringLiteral("ms"), QStringLiteral("30000"));
    const QCommandLineOption etagSalt(QStringLiteral("etag-salt"),
                                      QStringLiteral("Hash this text before each node for its ETag, so ETags are "
                                                     "not the content hash a client computes."),
                                      QStringLiteral("text"));
    parser.addOptions({port, tlsPort, cert, key, load, dump, ns, adminToken, readonlyToken, serviceAccount, lifetime,
                       keepAlive, etagSalt});
    parser.process(app);

    femu::TokenAuth auth;
    auth.adminToken = parser.value(adminToken);
    auth.readonlyToken = parser.value(readonlyToken);
    QString error;
    if (parser.isSet(serviceAccount)) {
        femu::ServiceAccount account;
        if (!femu::loadServiceAccount(parser.value(serviceAccount), account, &error))
            return fail(error);
        auth.account = account;
    }
    bool ok = false;
    auth.accessTokenLifetimeSec = parser.value(lifetime).toInt(&ok);
    if (!ok || auth.accessTokenLifetimeSec <= 0)
        return fail(QStringLiteral("--token-lifetime must be a positive number of seconds"));
    if (auth.adminToken.isEmpty() && auth.readonlyToken.isEmpty() && !auth.account)
        return fail(QStringLiteral("no credentials: give --admin-token, --readonly-token or --service-account"));

    femu::Database::setEtagSalt(parser.value(etagSalt).toStdString());
    femu::Options options;
    options.defaultNamespace = parser.value(ns);
    options.dumpFile = parser.value(dump);
    options.keepAliveMs = std::max(100, parser.value(keepAlive).toInt());
    femu::Service service(auth, options);
    if (parser.isSet(load) && !service.load(parser.value(load), &error))
        return fail(error);

    emu::HttpServer plain([&service](const emu::HttpRequest &r, emu::HttpExchange *ex) { service.handle(r, ex, false); });
    emu::HttpServer secure([&service](const emu::HttpRequest &r, emu::HttpExchange *ex) { service.handle(r, ex, true); });
    const quint16 plainPort = parser.value(port).toUShort();
    const quint16 securePort = parser.value(tlsPort).toUShort();
    if (plainPort == 0 && securePort == 0)
        return fail(QStringLiteral("give --port and/or --tls-port"));
    if (plainPort && !plain.listen(QHostAddress::LocalHost, plainPort, nullptr, &error))
        return fail(QStringLiteral("cannot listen on 127.0.0.1:%1: %2").arg(plainPort).arg(error), 1);
    if (securePort) {
        QSslConfiguration tls;
        if (!emu::loadTlsConfiguration(parser.value(cert), parser.value(key), &tls, &error))
            return fail(error);
        if (!secure.listen(QHostAddress::LocalHost, securePort, &tls, &error))
            return fail(QStringLiteral("cannot listen on 127.0.0.1:%1: %2").arg(securePort).arg(error), 1);
    }
    std::fprintf(stderr, "sd-firebase-emulator: listening (http %u, https %u)\n", plainPort, securePort);

    if (::pipe(signalPipe) == 0) {
        auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, &app);
        QObject::connect(notifier, &QSocketNotifier::activated, &app, &QCoreApplication::quit);
        std::signal(SIGTERM, [](int) { (void)!::write(signalPipe[1], "x", 1); });
        std::signal(SIGINT, [](int) { (void)!::write(signalPipe[1], "x", 1); });
    }
    std::signal(SIGPIPE, SIG_IGN);
    const int code = app.exec();
    if (!options.dumpFile.isEmpty() && !service.dump(&error))
        return fail(error, 1);
    return code;
}
