#pragma once
// Shared by every fuzz target (tests/fuzz/fuzz_*.cpp). Each target defines
// LLVMFuzzerTestOneInput; libFuzzer drives it under `make fuzz`, and
// ReplayMain.cpp feeds it the saved corpus under `make test`.

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace sd::fuzz {

// An invariant that failed is a finding: abort, so libFuzzer saves the input
// and the replay test fails, also in builds with NDEBUG.
[[noreturn]] inline void fail(const char *what, const char *file, int line)
{
    std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", what, file, line);
    std::abort();
}

inline QByteArray bytes(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

// Splits off the first byte as a selector (which encoding, chunk size...).
inline uint8_t takeByte(const uint8_t *&data, size_t &size)
{
    if (size == 0)
        return 0;
    const uint8_t b = *data;
    ++data;
    --size;
    return b;
}

} // namespace sd::fuzz

#define FUZZ_CHECK(cond)                                                                                            \
    do {                                                                                                             \
        if (!(cond))                                                                                                 \
            ::sd::fuzz::fail(#cond, __FILE__, __LINE__);                                                             \
    } while (0)
