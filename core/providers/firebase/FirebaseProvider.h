#pragma once

#include "providers/Provider.h"

#include <memory>

namespace sd {

namespace firebase {
class Client;
}

struct FirebaseOptions {
    // https://PROJECT.firebaseio.com, https://NAME.REGION.firebasedatabase.app,
    // or http://127.0.0.1:PORT for an emulator.
    QString databaseUrl;
    // ?ns= on every request (an emulator serving many databases); empty: none.
    QString ns;
    // The node whose children are this store's keys ("" or "/": the whole
    // database).
    QString root;
    // A database secret or ID token sent as ?auth= when no service account
    // is given. A secret: never logged, never in describe().
    QString auth;
    // A service account: its JSON file (GOOGLE_APPLICATION_CREDENTIALS), or
    // its email and PEM private key (FIREBASE_CLIENT_EMAIL,
    // FIREBASE_PRIVATE_KEY, whose "\n" escapes are turned into newlines).
    QString serviceAccountFile;
    QString clientEmail;
    QString privateKey; // a secret
    // Where the signed assertion is exchanged for an access token: the JSON
    // file's token_uri, else this, else Google's.
    QString tokenUri;
    // Lock nodes live at <lockPath>/<name>, outside the keys' root unless
    // the root is the whole database (then listings leave that child out).
    QString lockPath = QStringLiteral("statedeck-locks");
    int requestTimeoutMs = 30000;
    // A stream silent this long (Firebase sends a keep-alive every 30 s) is
    // taken for a dead connection that TCP has not noticed: reconnected,
    // with a Resync.
    int streamSilenceMs = 75000;
};

// Firebase Realtime Database through its REST API and event streams, over
// QtNetwork (docs/firebase-provider.md).
//
// Keys are the children of `root`; a key with "/" reaches deeper
// ("container/-Nx..." is the node container/-Nx...), and a listing whose
// prefix ends in "/" lists the children of that node. Firebase refuses the
// characters . $ # [ ] and control characters in keys; so does this store,
// naming the character.
//
// Values are JSON as Firebase keeps it: object members come back sorted,
// nulls and empty objects or arrays are not stored, and arrays are kept as
// objects with index keys (shown as arrays again when most indices are
// there). A value that would store nothing (null, {} or []) is refused.
//
// Revisions are content hashes: base64(SHA-1) of the value as Firebase shows
// it, dumped compactly with sorted members, computed by statedeck, so a
// listing carries them without a request per key. Conditional writes use
// Firebase's ETags: PUT and DELETE with if-match; a 412 answer carries the
// current value and ETag, and if that value is still the one the caller
// read (a server whose ETags are computed differently), the write goes again
// with the server's ETag; otherwise it is a Conflict naming the key and both
// revisions. Must-not-exist is if-match: null_etag.
//
// list: one GET per page with orderBy="$key", startAt, endAt and
// limitToFirst; never the whole database.
//
// watch: the text/event-stream of the parent node (filtered by "$key" on
// the prefix), put and patch events turned into Added, Modified and Deleted
// per key. The stream keeps no history: a reconnect, an auth_revoked (after
// a new access token) or a resume from a revision is a Resync with the
// current entries. A cancel stops the watch with Forbidden.
//
// lock: a node {owner, expires, fencing} written with if-match; the fencing
// counter stays in the node after unlock so it only grows. Expiry is judged
// by the clients' clocks: TTL is not native to Firebase
// (capabilities().ttl is false).
//
// Auth: a service account's RS256 JWT (signed with OpenSSL) is exchanged for
// an OAuth2 access token, sent as a Bearer header and refreshed five
// minutes before it expires, or at once when the server answers 401 (the
// request then goes again once). Without one, `auth` goes as ?auth=.
class FirebaseProvider : public Provider {
    Q_OBJECT
public:
    explicit FirebaseProvider(FirebaseOptions options, QObject *parent = nullptr);
    ~FirebaseProvider() override;

    QString scheme() const override;
    QString describe() const override;
    Capabilities capabilities() const override;

    QFuture<Result<ListPage>> list(const ListOptions &options) override;
    QFuture<Result<Entry>> get(const QString &key) override;
    QFuture<Result<Entry>> put(const Entry &entry, const Precondition &pre) override;
    QFuture<Status> remove(const QString &key, const Precondition &pre) override;
    std::unique_ptr<Watch> watch(const QString &prefix, const QString &fromRevision) override;
    QFuture<Result<Lock>> lock(const QString &name, std::chrono::milliseconds ttl) override;
    QFuture<Status> unlock(const Lock &lock) override;
    QFuture<Result<Lock>> renew(const Lock &lock, std::chrono::milliseconds ttl) override;
    // Items without preconditions go as multi-path PATCHes (one request per
    // 500 items, each request all or nothing); a batch with preconditions
    // is written item by item.
    QFuture<BatchResult> putBatch(const QList<BatchItem> &items) override;

    // Firebase's content hash of a value, as this store's revisions are.
    static QString revisionOf(const Json &value);

private:
    std::shared_ptr<firebase::Client> m_client;
};

} // namespace sd
