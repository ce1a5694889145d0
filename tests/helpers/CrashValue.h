#pragma once

// The value yaml_crash_writer writes for one generation, shared with
// tst_yaml_crash so the test can tell a complete generation from a torn one.

#include <string>

namespace sd::test {

// "gen-<g>:" + filler + ":end-<g>", exactly `size` bytes long.
inline std::string crashValue(long long generation, size_t size)
{
    const std::string head = "gen-" + std::to_string(generation) + ":";
    const std::string tail = ":end-" + std::to_string(generation);
    static const std::string filler = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string v = head;
    v.reserve(size);
    while (v.size() + tail.size() < size)
        v += filler[(v.size() - head.size()) % filler.size()];
    return v + tail;
}

} // namespace sd::test
