#pragma once

#include <nlohmann/ordered_map.hpp>

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace sd {

// nlohmann::ordered_map keeps members in insertion order (so an edit yields
// a minimal diff) but finds them by a linear scan, which makes parsing an
// object of n members O(n^2): 80 s for a 1 MiB value of 110k members. This
// map keeps the same order and storage and adds an open-addressing index of
// positions, built once an object is large enough for the scan to matter.
// Positions, not pointers, so copies and moves of the map stay valid.
template <class Key, class T, class IgnoredLess = std::less<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
struct IndexedOrderedMap : nlohmann::ordered_map<Key, T, IgnoredLess, Allocator>
{
    using Base = nlohmann::ordered_map<Key, T, IgnoredLess, Allocator>;
    using Container = typename Base::Container;
    using key_type = Key;
    using mapped_type = T;
    using iterator = typename Base::iterator;
    using const_iterator = typename Base::const_iterator;
    using size_type = typename Base::size_type;
    using value_type = typename Base::value_type;
    using key_compare = typename Base::key_compare;

    using Base::Base;

    template <class K>
    std::pair<iterator, bool> emplace(K &&key, T &&t)
    {
        const size_type at = position(key);
        if (at != npos)
            return {this->begin() + std::ptrdiff_t(at), false};
        Container::emplace_back(std::forward<K>(key), std::forward<T>(t));
        noteAppended();
        return {std::prev(this->end()), true};
    }

    template <class K>
    T &operator[](K &&key)
    {
        return emplace(std::forward<K>(key), T{}).first->second;
    }
    template <class K>
    const T &operator[](K &&key) const
    {
        return at(std::forward<K>(key));
    }

    template <class K>
    T &at(K &&key)
    {
        const size_type i = position(key);
        if (i == npos)
            throw std::out_of_range("key not found");
        return Container::operator[](i).second;
    }
    template <class K>
    const T &at(K &&key) const
    {
        const size_type i = position(key);
        if (i == npos)
            throw std::out_of_range("key not found");
        return Container::operator[](i).second;
    }

    template <class K>
    size_type count(K &&key) const
    {
        return position(key) == npos ? 0 : 1;
    }

    template <class K>
    iterator find(K &&key)
    {
        const size_type i = position(key);
        return i == npos ? this->end() : this->begin() + std::ptrdiff_t(i);
    }
    template <class K>
    const_iterator find(K &&key) const
    {
        const size_type i = position(key);
        return i == npos ? this->end() : this->begin() + std::ptrdiff_t(i);
    }

    template <class K, std::enable_if_t<!std::is_same_v<std::decay_t<K>, iterator>
                                            && !std::is_same_v<std::decay_t<K>, const_iterator>, int> = 0>
    size_type erase(K &&key)
    {
        const size_type i = position(key);
        if (i == npos)
            return 0;
        erase(this->begin() + std::ptrdiff_t(i));
        return 1;
    }
    iterator erase(iterator pos) { return erase(pos, std::next(pos)); }
    iterator erase(iterator first, iterator last)
    {
        m_index.clear(); // positions after `first` move; rebuilt on the next look-up
        return Base::erase(first, last);
    }

    std::pair<iterator, bool> insert(value_type &&value)
    {
        return emplace(value.first, std::move(value.second));
    }
    std::pair<iterator, bool> insert(const value_type &value)
    {
        const size_type at = position(value.first);
        if (at != npos)
            return {this->begin() + std::ptrdiff_t(at), false};
        Container::push_back(value);
        noteAppended();
        return {std::prev(this->end()), true};
    }
    template <typename InputIt>
    void insert(InputIt first, InputIt last)
    {
        for (auto it = first; it != last; ++it)
            insert(*it);
    }

    void clear() noexcept
    {
        Container::clear();
        m_index.clear();
    }

private:
    static constexpr size_type npos = size_type(-1);
    static constexpr uint32_t kEmpty = UINT32_MAX;
    // Below this many members a scan is as quick as hashing, and small
    // objects (nearly all of them) carry no index at all.
    static constexpr size_type kIndexFrom = 16;

    template <class K>
    static std::string_view view(const K &key)
    {
        return std::string_view(key);
    }
    static size_t hashOf(std::string_view key) { return std::hash<std::string_view>{}(key); }

    template <class K>
    size_type position(const K &key) const
    {
        const size_type n = this->size();
        if (n < kIndexFrom) {
            for (size_type i = 0; i < n; ++i) {
                if (view(Container::operator[](i).first) == view(key))
                    return i;
            }
            return npos;
        }
        if (m_indexed != n || m_index.empty())
            rebuild();
        const std::string_view k = view(key);
        const size_t mask = m_index.size() - 1;
        for (size_t slot = hashOf(k) & mask;; slot = (slot + 1) & mask) {
            const uint32_t i = m_index[slot];
            if (i == kEmpty)
                return npos;
            if (view(Container::operator[](i).first) == k)
                return i;
        }
    }

    // Called after one member was appended: index it if an index is kept.
    void noteAppended()
    {
        const size_type n = this->size();
        if (n < kIndexFrom || m_index.empty() || m_indexed != n - 1) {
            m_index.clear();
            return;
        }
        if (n * 2 > m_index.size()) {
            rebuild();
            return;
        }
        place(n - 1);
        m_indexed = n;
    }

    void place(size_type i) const
    {
        const size_t mask = m_index.size() - 1;
        size_t slot = hashOf(view(Container::operator[](i).first)) & mask;
        while (m_index[slot] != kEmpty)
            slot = (slot + 1) & mask;
        m_index[slot] = uint32_t(i);
    }

    void rebuild() const
    {
        const size_type n = this->size();
        size_t slots = 64;
        while (slots < n * 4)
            slots *= 2;
        m_index.assign(slots, kEmpty);
        for (size_type i = 0; i < n; ++i)
            place(i);
        m_indexed = n;
    }

    // A look-up cache, not part of the value: rebuilt from the members.
    mutable std::vector<uint32_t> m_index;
    mutable size_type m_indexed = 0;
};

} // namespace sd
