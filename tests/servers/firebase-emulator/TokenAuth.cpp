#include "TokenAuth.h"

#include <QDateTime>
#include <QFile>
#include <QRandomGenerator>
#include <QUrlQuery>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace femu {

namespace {

using Json = nlohmann::json;

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

std::pair<int, QByteArray> grantError(const char *description)
{
    // Google's token endpoint answers a bad assertion with 400 invalid_grant.
    const Json body{{"error", "invalid_grant"}, {"error_description", description}};
    return {400, QByteArray::fromStdString(body.dump())};
}

QByteArray unbase64url(const QByteArray &text, bool *ok)
{
    const auto r = QByteArray::fromBase64Encoding(text, QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals
                                                            | QByteArray::AbortOnBase64DecodingErrors);
    *ok = bool(r);
    return r.decoded;
}

bool verifyRs256(EVP_PKEY *key, const QByteArray &signedPart, const QByteArray &signature)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return false;
    bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1
              && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(signature.constData()),
                                  size_t(signature.size()),
                                  reinterpret_cast<const unsigned char *>(signedPart.constData()),
                                  size_t(signedPart.size()))
                     == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

} // namespace

bool loadServiceAccount(const QString &path, ServiceAccount &out, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read service account %1: %2").arg(path, file.errorString());
        return false;
    }
    const Json doc = Json::parse(file.readAll().toStdString(), nullptr, false);
    if (!doc.is_object() || !doc.contains("client_email") || !doc["client_email"].is_string()) {
        *error = QStringLiteral("%1: expected a service-account JSON object with client_email").arg(path);
        return false;
    }
    out.clientEmail = QString::fromStdString(doc["client_email"].get<std::string>());
    if (doc.contains("token_uri") && doc["token_uri"].is_string())
        out.tokenUri = QString::fromStdString(doc["token_uri"].get<std::string>());
    EVP_PKEY *key = nullptr;
    if (doc.contains("public_key") && doc["public_key"].is_string()) {
        const std::string pem = doc["public_key"].get<std::string>();
        BIO *bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
        key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
    } else if (doc.contains("private_key") && doc["private_key"].is_string()) {
        const std::string pem = doc["private_key"].get<std::string>();
        BIO *bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
        key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
    }
    if (!key) {
        *error = QStringLiteral("%1: no readable RSA public_key or private_key (PEM)").arg(path);
        return false;
    }
    out.publicKey = std::shared_ptr<void>(key, [](void *k) { EVP_PKEY_free(static_cast<EVP_PKEY *>(k)); });
    return true;
}

Role TokenAuth::roleOf(const QString &credential, bool *expired) const
{
    if (expired)
        *expired = false;
    if (credential.isEmpty())
        return Role::None;
    if (!adminToken.isEmpty() && credential == adminToken)
        return Role::Admin;
    if (!readonlyToken.isEmpty() && credential == readonlyToken)
        return Role::ReadOnly;
    const auto it = m_accessTokens.constFind(credential);
    if (it == m_accessTokens.constEnd())
        return Role::None;
    if (*it <= nowMs()) {
        if (expired)
            *expired = true;
        return Role::None;
    }
    // A service account is an administrator: it bypasses security rules.
    return Role::Admin;
}

qint64 TokenAuth::remainingMs(const QString &credential) const
{
    const auto it = m_accessTokens.constFind(credential);
    return it == m_accessTokens.constEnd() ? -1 : std::max<qint64>(0, *it - nowMs());
}

void TokenAuth::revokeAll()
{
    const qint64 now = nowMs();
    for (auto it = m_accessTokens.begin(); it != m_accessTokens.end(); ++it)
        it.value() = std::min(it.value(), now);
}

std::pair<int, QByteArray> TokenAuth::exchange(const QByteArray &form, const QString &audience)
{
    const QUrlQuery q(QString::fromUtf8(form));
    if (q.queryItemValue(QStringLiteral("grant_type"), QUrl::FullyDecoded)
        != QLatin1String("urn:ietf:params:oauth:grant-type:jwt-bearer")) {
        const Json body{{"error", "unsupported_grant_type"}, {"error_description", "Invalid grant_type: "}};
        return {400, QByteArray::fromStdString(body.dump())};
    }
    if (!account)
        return grantError("Invalid JWT Signature.");
    const QByteArray jwt = q.queryItemValue(QStringLiteral("assertion"), QUrl::FullyDecoded).toLatin1();
    const QList<QByteArray> parts = jwt.split('.');
    if (parts.size() != 3)
        return grantError("Invalid JWT: a JWT has three parts");
    bool ok1 = false, ok2 = false, ok3 = false;
    const QByteArray headerText = unbase64url(parts[0], &ok1);
    const QByteArray claimsText = unbase64url(parts[1], &ok2);
    const QByteArray signature = unbase64url(parts[2], &ok3);
    if (!ok1 || !ok2 || !ok3)
        return grantError("Invalid JWT: the parts are not base64url");
    const Json header = Json::parse(headerText.toStdString(), nullptr, false);
    const Json claims = Json::parse(claimsText.toStdString(), nullptr, false);
    if (!header.is_object() || !claims.is_object())
        return grantError("Invalid JWT: the header and claims must be JSON objects");
    if (header.value("alg", std::string()) != "RS256")
        return grantError("Invalid JWT: the algorithm must be RS256");
    if (!verifyRs256(static_cast<EVP_PKEY *>(account->publicKey.get()), parts[0] + '.' + parts[1], signature))
        return grantError("Invalid JWT Signature.");
    if (claims.value("iss", std::string()) != account->clientEmail.toStdString())
        return grantError("Invalid JWT: the issuer (iss) is not this service account");
    const QString aud = QString::fromStdString(claims.value("aud", std::string()));
    if (aud != (account->tokenUri.isEmpty() ? audience : account->tokenUri))
        return grantError("Invalid JWT: the audience (aud) is not this token endpoint");
    const qint64 now = nowMs() / 1000;
    const qint64 iat = claims.value("iat", qint64(0));
    const qint64 exp = claims.value("exp", qint64(0));
    if (iat > now + 60 || exp <= now || exp - iat > 3600)
        return grantError("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                          "timeframe. Check your iat and exp values in the JWT claim.");
    const std::string scope = claims.value("scope", std::string());
    if (scope.find("https://www.googleapis.com/auth/firebase.database") == std::string::npos
        && scope.find("https://www.googleapis.com/auth/cloud-platform") == std::string::npos)
        return {400, QByteArrayLiteral(R"({"error":"invalid_scope","error_description":"Invalid OAuth scope or ID token audience provided."})")};

    QByteArray random(24, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(random.data()), random.size() / 4);
    const QString token = QStringLiteral("ya29.emu-")
                          + QString::fromLatin1(random.toBase64(QByteArray::Base64UrlEncoding
                                                                | QByteArray::OmitTrailingEquals));
    m_accessTokens.insert(token, nowMs() + qint64(accessTokenLifetimeSec) * 1000);
    ++m_issued;
    const Json body{{"access_token", token.toStdString()},
                    {"expires_in", accessTokenLifetimeSec},
                    {"token_type", "Bearer"}};
    return {200, QByteArray::fromStdString(body.dump())};
}

} // namespace femu
