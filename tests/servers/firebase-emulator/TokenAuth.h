#pragma once

// Who a request is: the OAuth2 token endpoint that trades a service
// account's signed JWT for an access token, as Google's does, and the
// tokens the emulator was started with.

#include <QByteArray>
#include <QHash>
#include <QString>

#include <memory>
#include <optional>

namespace femu {

enum class Role { None, ReadOnly, Admin };

struct ServiceAccount {
    QString clientEmail;
    QString tokenUri; // the audience a JWT must name; empty: http(s)://<Host>/token
    std::shared_ptr<void> publicKey; // EVP_PKEY
};

// Reads a service-account JSON file (client_email with private_key, as
// Google issues it, or with public_key PEM). False with `error` set.
bool loadServiceAccount(const QString &path, ServiceAccount &out, QString *error);

class TokenAuth {
public:
    QString adminToken;
    QString readonlyToken;
    std::optional<ServiceAccount> account;
    int accessTokenLifetimeSec = 3600;

    // The role of a credential sent as ?auth=, ?access_token= or a Bearer
    // header. `expired` tells an access token that has run out (or was
    // revoked) from one never issued.
    Role roleOf(const QString &credential, bool *expired = nullptr) const;

    // The token endpoint. `form` is the urlencoded body; `audience` the URL
    // this request was made to. Answers the status and JSON body.
    std::pair<int, QByteArray> exchange(const QByteArray &form, const QString &audience);

    // Ends every access token at once (admin endpoint, for tests of
    // refreshing in flight).
    void revokeAll();
    int issued() const { return m_issued; }
    // Milliseconds until `credential` runs out; -1 if it does not.
    qint64 remainingMs(const QString &credential) const;

private:
    QHash<QString, qint64> m_accessTokens; // token -> expiry (ms since epoch)
    int m_issued = 0;
};

} // namespace femu
