#pragma once

// The Realtime Database REST API over the shared emulator HTTP server:
// /<path>.json with GET (shallow, "$key" queries, print), PUT, PATCH, POST
// and DELETE, ETags with if-match, databases chosen by ?ns=, the
// text/event-stream stream, the OAuth2 token endpoint, and /.emulator/
// endpoints tests use to force what a real service does now and then.

#include "Database.h"
#include "Http.h"
#include "TokenAuth.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <list>
#include <map>

namespace femu {

struct Options {
    QString defaultNamespace = QStringLiteral("statedeck");
    int keepAliveMs = 30000;
    QString dumpFile; // written by POST /.emulator/dump and at exit
};

class Service : public QObject {
    Q_OBJECT
public:
    Service(TokenAuth &auth, Options options, QObject *parent = nullptr);
    ~Service() override;

    // Loads a database JSON dump into the default namespace.
    bool load(const QString &file, QString *error);
    // Writes the default namespace's database as one JSON file (atomically).
    bool dump(QString *error) const;

    // `tls`: the request came in over --tls-port (token audiences are https).
    void handle(const emu::HttpRequest &request, emu::HttpExchange *exchange, bool tls);

private:
    struct Stream {
        QPointer<emu::HttpExchange> exchange;
        std::string ns;
        Path path;
        KeyQuery filter;
        bool filtered = false;
        QString credential;
    };
    using Streams = std::list<Stream>;

    void serveData(const emu::HttpRequest &request, emu::HttpExchange *exchange, QByteArray method);
    void serveAdmin(const emu::HttpRequest &request, emu::HttpExchange *exchange);
    void openStream(const emu::HttpRequest &request, emu::HttpExchange *exchange, const std::string &ns,
                    const Path &path, const QString &credential);
    void sendEvent(Stream &stream, const char *event, const Json &data);
    void closeStream(Streams::iterator it, const char *event, const Json &data);
    Json filtered(const Stream &stream, const Json &value) const;
    bool inFilter(const Stream &stream, const std::string &child) const;

    // Tells the streams of `ns` about writes at `written` (PUT, DELETE,
    // POST: one path; PATCH: one per child), given the ETags the streams
    // below the written paths saw before.
    void notify(const std::string &ns, const Path &at, const std::vector<Path> &written, const Json *patch,
                const std::map<const Stream *, std::string> &before);
    std::map<const Stream *, std::string> snapshotBelow(const std::string &ns, const std::vector<Path> &written);
    void checkRevokedStreams();

    TokenAuth &m_auth;
    Options m_options;
    std::map<std::string, Database> m_databases;
    Streams m_streams;
    QTimer m_keepAlive;
    QTimer m_expiry;
    std::deque<std::string> m_recent; // the last requests, for /.emulator/stats
    // For /.emulator/stats: events sent, and how requests since the last
    // clear-recent carried their credential.
    qint64 m_keepAlivesSent = 0;
    qint64 m_authRevokedSent = 0;
    std::map<std::string, qint64> m_credentialKinds;
};

} // namespace femu
