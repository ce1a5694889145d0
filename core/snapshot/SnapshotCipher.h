#pragma once

#include "model/Result.h"

#include <QByteArray>

#include <memory>

namespace sd {

// AES-256-GCM under a key derived from a passphrase with
// PBKDF2-HMAC-SHA256 and a random salt (OpenSSL EVP). A sealed value is
// nonce (12 bytes) | ciphertext | tag (16 bytes); `aad` binds it to where it
// belongs (the entry's key), so values cannot be swapped between keys.
class SnapshotCipher {
public:
    static constexpr int kDefaultIterations = 600000; // OWASP's figure for PBKDF2-SHA256
    static constexpr int kMinIterations = 1000;
    static constexpr int kMaxIterations = 100000000;
    static constexpr int kSaltBytes = 16;

    // Slow on purpose (the iterations): call it off the event loop's thread.
    static Result<std::shared_ptr<const SnapshotCipher>> derive(const QByteArray &passphrase, const QByteArray &salt,
                                                               int iterations);
    static QByteArray randomSalt();

    ~SnapshotCipher();
    SnapshotCipher(const SnapshotCipher &) = delete;
    SnapshotCipher &operator=(const SnapshotCipher &) = delete;

    Result<QByteArray> seal(const QByteArray &plain, const QByteArray &aad) const;
    // A wrong key, a wrong aad or any changed byte fails the tag check:
    // Invalid, with no detail (GCM cannot tell which).
    Result<QByteArray> open(const QByteArray &sealed, const QByteArray &aad) const;

    // The manifest's check value: a known text sealed under the key, so a
    // wrong passphrase is told apart at once from a corrupted entry.
    Result<QByteArray> makeCheck(const QByteArray &salt) const;
    bool passesCheck(const QByteArray &check, const QByteArray &salt) const;

private:
    SnapshotCipher() = default;
    unsigned char m_key[32] = {};
};

} // namespace sd
