#pragma once

// One Realtime Database: a JSON tree with the service's rules for what a
// tree may hold (key characters, no empty nodes, arrays kept as objects with
// integer keys), its ETags, server values and "$key" queries.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace femu {

using Json = nlohmann::json; // children kept sorted by their UTF-8 bytes

// A path as segments; "/" and "" are the root.
using Path = std::vector<std::string>;

// Splits "/a/b/" into {"a", "b"}; empty segments are dropped.
Path splitPath(const std::string &path);
std::string joinPath(const Path &path);
bool isPrefixOf(const Path &ancestor, const Path &path);

// Why a key or a value is refused, in the words the service uses; empty when
// it is fine.
std::string checkKey(const std::string &key);

// Firebase's child order: keys that are 32-bit integers first, by value; then
// the rest by their bytes.
bool keyLess(const std::string &a, const std::string &b);

// A "$key" query, as GET takes it: orderBy="$key", startAt, endAt,
// limitToFirst, limitToLast (all optional but orderBy).
struct KeyQuery {
    std::optional<std::string> startAt, endAt;
    std::optional<size_t> limitToFirst, limitToLast;
};

class Database {
public:
    // The node at `path`, as the service shows it (arrays where the keys
    // allow); null when absent.
    Json get(const Path &path) const;
    // The children of `path` with only their names: primitives as they are,
    // everything else as true.
    Json shallow(const Path &path) const;
    Json query(const Path &path, const KeyQuery &query) const;

    // Replaces the node at `path`. `value` must have gone through
    // prepare(). Returns whether anything changed.
    bool set(const Path &path, const Json &value);

    // Normalizes a written value: server values resolved ({".sv":
    // "timestamp"}), arrays turned into objects with index keys, nulls and
    // empty objects dropped (null when nothing is left). Returns an error
    // text for a forbidden key or a non-finite number.
    static std::optional<std::string> prepare(const Json &in, Json &out, long long nowMs);

    // base64(SHA-1) of the node as get() shows it, dumped compactly with
    // sorted keys; "null_etag" for an absent node. With a salt (--etag-salt)
    // the salt's bytes come first, so the ETags are no content hash a client
    // could compute: as with the real service, whose algorithm is unpublished.
    std::string etag(const Path &path) const;
    static std::string etagOf(const Json &shown);
    static void setEtagSalt(std::string salt);

    // How the service shows a stored node: objects whose keys are all
    // integers and more than half populated up to the largest become arrays.
    static Json present(const Json &stored);

    const Json &root() const { return m_root; }
    void replaceRoot(Json root) { m_root = std::move(root); }

private:
    const Json *find(const Path &path) const;
    Json m_root; // null: empty database
};

// A push ID: 8 characters of milliseconds, 12 random ones, in Firebase's
// sortable alphabet; IDs made in the same millisecond still sort in order.
std::string newPushId(long long nowMs);

} // namespace femu
