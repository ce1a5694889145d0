#include "Database.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QRandomGenerator>

#include <algorithm>
#include <cmath>

namespace femu {

Path splitPath(const std::string &path)
{
    Path out;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos)
            end = path.size();
        if (end > start)
            out.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::string joinPath(const Path &path)
{
    std::string out;
    for (const std::string &s : path)
        out += '/' + s;
    return out.empty() ? "/" : out;
}

bool isPrefixOf(const Path &ancestor, const Path &path)
{
    return ancestor.size() <= path.size() && std::equal(ancestor.begin(), ancestor.end(), path.begin());
}

std::string checkKey(const std::string &key)
{
    if (key.empty())
        return "Invalid data; keys may not be empty";
    if (key.size() > 768)
        return "Invalid data; key longer than 768 bytes";
    for (unsigned char c : key) {
        if (c < 0x20 || c == 0x7f || c == '.' || c == '$' || c == '#' || c == '[' || c == ']' || c == '/')
            return "Invalid data; couldn't parse key beginning at \"" + std::string(key.substr(0, 20))
                   + "\": keys may not contain '.', '#', '$', '/', '[', ']' or control characters";
    }
    return {};
}

namespace {

std::optional<long long> asInt32(const std::string &s)
{
    if (s.empty() || s.size() > 11)
        return std::nullopt;
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size())
        return std::nullopt;
    if (s[i] == '0' && s.size() > i + 1)
        return std::nullopt; // "01" is a string key
    if (s == "-0")
        return std::nullopt;
    for (size_t j = i; j < s.size(); ++j)
        if (s[j] < '0' || s[j] > '9')
            return std::nullopt;
    const long long v = std::stoll(s);
    if (v < -2147483648LL || v > 2147483647LL)
        return std::nullopt;
    return v;
}

} // namespace

bool keyLess(const std::string &a, const std::string &b)
{
    const auto ia = asInt32(a), ib = asInt32(b);
    if (ia && ib)
        return *ia < *ib;
    if (ia != ib && (ia || ib))
        return bool(ia);
    return a < b;
}

const Json *Database::find(const Path &path) const
{
    const Json *node = &m_root;
    for (const std::string &s : path) {
        if (!node->is_object())
            return nullptr;
        auto it = node->find(s);
        if (it == node->end())
            return nullptr;
        node = &*it;
    }
    return node->is_null() ? nullptr : node;
}

Json Database::present(const Json &stored)
{
    if (!stored.is_object())
        return stored;
    long long maxIndex = -1;
    bool allIndices = !stored.empty();
    for (auto it = stored.begin(); it != stored.end() && allIndices; ++it) {
        const auto i = asInt32(it.key());
        if (!i || *i < 0)
            allIndices = false;
        else
            maxIndex = std::max(maxIndex, *i);
    }
    if (allIndices && (long long)stored.size() * 2 > maxIndex + 1) {
        Json array = Json::array();
        for (long long i = 0; i <= maxIndex; ++i) {
            auto it = stored.find(std::to_string(i));
            array.push_back(it == stored.end() ? Json() : present(*it));
        }
        return array;
    }
    Json out = Json::object();
    for (auto it = stored.begin(); it != stored.end(); ++it)
        out[it.key()] = present(it.value());
    return out;
}

Json Database::get(const Path &path) const
{
    const Json *node = find(path);
    return node ? present(*node) : Json();
}

Json Database::shallow(const Path &path) const
{
    const Json *node = find(path);
    if (!node)
        return Json();
    if (!node->is_object())
        return *node;
    Json out = Json::object();
    for (auto it = node->begin(); it != node->end(); ++it)
        out[it.key()] = it->is_object() ? Json(true) : it.value();
    return out;
}

Json Database::query(const Path &path, const KeyQuery &q) const
{
    const Json *node = find(path);
    if (!node)
        return Json();
    if (!node->is_object())
        return *node;
    std::vector<std::string> keys;
    for (auto it = node->begin(); it != node->end(); ++it) {
        if (q.startAt && keyLess(it.key(), *q.startAt))
            continue;
        if (q.endAt && keyLess(*q.endAt, it.key()))
            continue;
        keys.push_back(it.key());
    }
    std::sort(keys.begin(), keys.end(), keyLess);
    if (q.limitToFirst && keys.size() > *q.limitToFirst)
        keys.resize(*q.limitToFirst);
    if (q.limitToLast && keys.size() > *q.limitToLast)
        keys.erase(keys.begin(), keys.end() - long(*q.limitToLast));
    Json out = Json::object();
    for (const std::string &k : keys)
        out[k] = present((*node)[k]);
    return out;
}

bool Database::set(const Path &path, const Json &value)
{
    if (value.is_null() && !find(path))
        return false;
    // Walk down, creating objects; remember the chain to prune empties after.
    std::vector<Json *> chain{&m_root};
    Json *node = &m_root;
    for (size_t i = 0; i < path.size(); ++i) {
        if (!node->is_object()) {
            if (value.is_null())
                return false; // nothing there to delete
            *node = Json::object();
        }
        node = &(*node)[path[i]];
        chain.push_back(node);
    }
    if (*node == value)
        return false;
    *node = value;
    if (value.is_null()) {
        // Deleting the last child of a node deletes the node.
        for (size_t i = path.size(); i > 0; --i) {
            Json &parent = *chain[i - 1];
            if (!chain[i]->is_null() && !(chain[i]->is_object() && chain[i]->empty()))
                break;
            parent.erase(path[i - 1]);
            if (parent.empty())
                parent = Json();
        }
    }
    return true;
}

std::optional<std::string> Database::prepare(const Json &in, Json &out, long long nowMs)
{
    if (in.is_object()) {
        if (in.size() == 1 && in.contains(".sv")) {
            const Json &sv = in[".sv"];
            if (sv == "timestamp") {
                out = nowMs;
                return std::nullopt;
            }
            return std::string("Invalid data; unknown server value ") + sv.dump();
        }
        Json obj = Json::object();
        for (auto it = in.begin(); it != in.end(); ++it) {
            if (std::string why = checkKey(it.key()); !why.empty())
                return why;
            Json child;
            if (auto why = prepare(it.value(), child, nowMs))
                return why;
            if (!child.is_null())
                obj[it.key()] = std::move(child);
        }
        out = obj.empty() ? Json() : std::move(obj);
        return std::nullopt;
    }
    if (in.is_array()) {
        Json obj = Json::object();
        for (size_t i = 0; i < in.size(); ++i) {
            Json child;
            if (auto why = prepare(in[i], child, nowMs))
                return why;
            if (!child.is_null())
                obj[std::to_string(i)] = std::move(child);
        }
        out = obj.empty() ? Json() : std::move(obj);
        return std::nullopt;
    }
    if (in.is_number_float() && !std::isfinite(in.get<double>()))
        return "Invalid data; numbers must be finite";
    out = in;
    return std::nullopt;
}

namespace {
std::string &etagSalt()
{
    static std::string salt;
    return salt;
}
} // namespace

void Database::setEtagSalt(std::string salt)
{
    etagSalt() = std::move(salt);
}

std::string Database::etagOf(const Json &shown)
{
    if (shown.is_null())
        return "null_etag";
    const std::string text = etagSalt() + shown.dump();
    return QCryptographicHash::hash(QByteArray::fromRawData(text.data(), qsizetype(text.size())),
                                    QCryptographicHash::Sha1)
        .toBase64()
        .toStdString();
}

std::string Database::etag(const Path &path) const
{
    return etagOf(get(path));
}

std::string newPushId(long long nowMs)
{
    static const char alphabet[] = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    static long long lastMs = -1;
    static int last[12];
    std::string id(20, ' ');
    long long t = nowMs;
    for (int i = 7; i >= 0; --i) {
        id[size_t(i)] = alphabet[t % 64];
        t /= 64;
    }
    if (nowMs == lastMs) {
        // Same millisecond: the random part counts up, so the order holds.
        int i = 11;
        while (i >= 0 && last[i] == 63)
            last[i--] = 0;
        if (i >= 0)
            ++last[i];
    } else {
        for (int &r : last)
            r = int(QRandomGenerator::global()->bounded(64));
    }
    lastMs = nowMs;
    for (int i = 0; i < 12; ++i)
        id[size_t(8 + i)] = alphabet[last[i]];
    return id;
}

} // namespace femu
