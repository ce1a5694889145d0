#pragma once

#include "ServerProcess.h"
#include "config/StoreSpec.h"

#include <QJsonObject>
#include <QString>

#include <memory>
#include <utility>

namespace sd::test {

// A Firebase Realtime Database for one test: sd-firebase-emulator (see
// docs/firebase-emulator.md) on a free loopback port, plain HTTP, in its own
// temporary directory, stopped when this object goes away.
//
//   FirebaseTestServer fb;
//   QVERIFY(fb.start());
//   fb.spec("gate", "state")   a firebase StoreSpec for database "gate" (?ns=),
//                              root "state", signed in with the service account
//   fb.rest("PUT", "gate", "/state/keys", body)   a plain REST call as admin
//
// The service account is an RSA key pair made with the openssl command for
// this instance; its JSON file names the emulator's /token as token_uri.
// Tokens are random per instance and never logged.
class FirebaseTestServer {
public:
    struct Options {
        int tokenLifetimeSec = 3600;
        int keepAliveMs = 30000;
        QString loadFile;  // --load into namespace "statedeck"
        QString etagSalt;  // --etag-salt: ETags that differ from statedeck's content hash
    };

    FirebaseTestServer();
    explicit FirebaseTestServer(Options options);
    ~FirebaseTestServer();
    FirebaseTestServer(const FirebaseTestServer &) = delete;
    FirebaseTestServer &operator=(const FirebaseTestServer &) = delete;

    bool start();
    void stop();

    quint16 port() const { return m_port; }
    QString baseUrl() const; // http://127.0.0.1:PORT
    QString tokenUri() const { return baseUrl() + QStringLiteral("/token"); }
    QString adminToken() const { return m_adminToken; }
    QString readonlyToken() const { return m_readonlyToken; }
    QString serviceAccountFile() const;
    QString clientEmail() const { return QStringLiteral("statedeck-test@emulator.iam.gserviceaccount.com"); }
    QString privateKeyPem() const { return m_privateKeyPem; }

    // The store of database `ns` under `root`, signed in with the service
    // account file.
    StoreSpec spec(const QString &ns, const QString &root = {}) const;
    // The same as a firebase:// URL (credentials then come from the
    // environment: GOOGLE_APPLICATION_CREDENTIALS=serviceAccountFile()).
    QString url(const QString &ns, const QString &root = {}) const;

    // A REST call as admin (?auth=): the status and the body. `path` is as
    // in the REST API, without ".json" ("/" for the top).
    std::pair<int, QByteArray> rest(const QByteArray &method, const QString &ns, const QString &path,
                                    const QByteArray &body = {}, const QString &query = {}) const;
    // POST /.emulator/ACTION (revoke-tokens, drop-streams, cancel-streams,
    // clear-recent, dump); true on 200.
    // stats(): {tokensIssued, streams, keepAlivesSent, authRevokedSent,
    // credentials: {auth|access_token|bearer|none: requests since the last
    // clear-recent}, requests: [the last 200, credentials removed]}.
    bool emulatorAction(const QString &action) const;
    QJsonObject stats() const;

    QString directory() const;
    QString log() const;

    // An RSA key pair made with the openssl command: the PEM private key.
    static QString makePrivateKey(const QString &dir, const QString &name);

private:
    Options m_options;
    std::unique_ptr<ServerProcess> m_process;
    quint16 m_port = 0;
    QString m_adminToken;
    QString m_readonlyToken;
    QString m_privateKeyPem;
};

} // namespace sd::test
