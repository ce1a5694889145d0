#include "snapshot/SnapshotCipher.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace sd {
namespace {

constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;
const QByteArray kCheckText = QByteArrayLiteral("statedeck-snapshot passphrase check v1");

struct CtxFree {
    void operator()(EVP_CIPHER_CTX *c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

Error cryptoError(const QString &what)
{
    return Error(ErrorKind::Internal, QStringLiteral("OpenSSL: %1 failed").arg(what));
}

const unsigned char *bytes(const QByteArray &b)
{
    return reinterpret_cast<const unsigned char *>(b.constData());
}

} // namespace

Result<std::shared_ptr<const SnapshotCipher>> SnapshotCipher::derive(const QByteArray &passphrase,
                                                                    const QByteArray &salt, int iterations)
{
    if (passphrase.isEmpty())
        return Error(ErrorKind::Invalid, QStringLiteral("the passphrase is empty"));
    if (iterations < kMinIterations || iterations > kMaxIterations)
        return Error(ErrorKind::Invalid, QStringLiteral("PBKDF2 iterations must be between %1 and %2, not %3")
                                             .arg(kMinIterations)
                                             .arg(kMaxIterations)
                                             .arg(iterations));
    std::shared_ptr<SnapshotCipher> c(new SnapshotCipher);
    if (PKCS5_PBKDF2_HMAC(passphrase.constData(), int(passphrase.size()), bytes(salt), int(salt.size()), iterations,
                          EVP_sha256(), int(sizeof c->m_key), c->m_key)
        != 1)
        return cryptoError(QStringLiteral("PBKDF2"));
    return std::shared_ptr<const SnapshotCipher>(std::move(c));
}

QByteArray SnapshotCipher::randomSalt()
{
    QByteArray salt(kSaltBytes, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(salt.data()), int(salt.size())) != 1)
        qFatal("OpenSSL RAND_bytes failed: no randomness for a salt");
    return salt;
}

SnapshotCipher::~SnapshotCipher()
{
    OPENSSL_cleanse(m_key, sizeof m_key);
}

Result<QByteArray> SnapshotCipher::seal(const QByteArray &plain, const QByteArray &aad) const
{
    QByteArray out(kNonceBytes + plain.size() + kTagBytes, Qt::Uninitialized);
    auto *o = reinterpret_cast<unsigned char *>(out.data());
    // A random 96-bit nonce per value: with far fewer than 2^32 values under
    // one key (a fresh salt, so a fresh key, per snapshot) a repeat is not a
    // practical concern.
    if (RAND_bytes(o, kNonceBytes) != 1)
        return cryptoError(QStringLiteral("RAND_bytes"));
    Ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, m_key, o) != 1
        || (!aad.isEmpty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad), int(aad.size())) != 1)
        || EVP_EncryptUpdate(ctx.get(), o + kNonceBytes, &len, bytes(plain), int(plain.size())) != 1
        || EVP_EncryptFinal_ex(ctx.get(), o + kNonceBytes + len, &len) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, o + kNonceBytes + plain.size()) != 1)
        return cryptoError(QStringLiteral("AES-256-GCM encryption"));
    return out;
}

Result<QByteArray> SnapshotCipher::open(const QByteArray &sealed, const QByteArray &aad) const
{
    if (sealed.size() < kNonceBytes + kTagBytes)
        return Error(ErrorKind::Invalid, QStringLiteral("the sealed value is too short to be AES-256-GCM output"));
    const qsizetype n = sealed.size() - kNonceBytes - kTagBytes;
    const auto *in = bytes(sealed);
    QByteArray plain(n, Qt::Uninitialized);
    auto *p = reinterpret_cast<unsigned char *>(plain.data());
    Ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    QByteArray tag = sealed.right(kTagBytes);
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, m_key, in) != 1
        || (!aad.isEmpty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad), int(aad.size())) != 1)
        || EVP_DecryptUpdate(ctx.get(), p, &len, in + kNonceBytes, int(n)) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1)
        return cryptoError(QStringLiteral("AES-256-GCM decryption"));
    if (EVP_DecryptFinal_ex(ctx.get(), p + len, &len) != 1) {
        OPENSSL_cleanse(plain.data(), size_t(plain.size()));
        return Error(ErrorKind::Invalid, QStringLiteral("the encrypted value fails its authentication tag"));
    }
    return plain;
}

Result<QByteArray> SnapshotCipher::makeCheck(const QByteArray &salt) const
{
    return seal(kCheckText, salt);
}

bool SnapshotCipher::passesCheck(const QByteArray &check, const QByteArray &salt) const
{
    Result<QByteArray> plain = open(check, salt);
    return plain.ok() && plain.value() == kCheckText;
}

} // namespace sd
