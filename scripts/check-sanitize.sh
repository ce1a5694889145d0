#!/usr/bin/env bash
# Builds statedeck with ASan + UBSan in its own folder and runs the whole
# ctest suite there. The sanitizer options are exported here, so every process
# a test starts (statedeckctl, helpers, emulators) reports with the same
# settings and suppressions. Usage: check-sanitize.sh [build-dir] [jobs]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-build-asan}"
jobs="${2:-$(nproc)}"
case "$dir" in /*) ;; *) dir="$root/$dir" ;; esac

# ccache refuses precompiled-header users without this sloppiness.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"

# clang, not g++: on this code g++ with -fsanitize=address compiles several
# times slower (a file a minute on a busy two-core machine), and clang's
# UBSan also checks float-to-int casts and calls through function pointers.
# It is the compiler `make fuzz` needs anyway (install-deps.sh --fuzz).
# SANITIZE_NO_BUILD=1: run the suite on what is built (a build runs there).
if [ -z "${SANITIZE_NO_BUILD:-}" ]; then
  "$root/scripts/install-deps.sh" --fuzz
  if [ ! -f "$dir/build.ninja" ]; then
    CC=clang CXX=clang++ cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTATEDECK_SANITIZE=ON
  fi
  nice -n 10 cmake --build "$dir" -j "$jobs"
fi

supp="$root/tests/sanitizers"
# detect_leaks: leaks in our code fail the run; Qt's and the libraries'
# process-lifetime allocations are listed in lsan.supp.
# halt_on_error / abort_on_error: a finding ends the process with a non-zero
# exit, so the test that started it fails instead of printing and passing.
# fast_unwind_on_malloc=0: libcrypto and Qt's plugins have no frame pointers,
# so only the slow unwinder sees the frames lsan.supp matches (slower runs).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=0:strict_string_checks=0:check_initialization_order=1:detect_odr_violation=1:fast_unwind_on_malloc=0:exitcode=86}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$supp/lsan.supp:print_suppressions=0:exitcode=87}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-suppressions=$supp/ubsan.supp:halt_on_error=1:print_stacktrace=1:exitcode=88}"

# Qt Test's own watchdog stops one test function after 5 minutes; under the
# sanitizers with the slow unwinder a heavy one (100k Redis keys through
# QAbstractItemModelTester in tst_console_keymodel) takes longer. Let ctest's
# per-suite timeout below be the limit instead.
export QTEST_FUNCTION_TIMEOUT="${QTEST_FUNCTION_TIMEOUT:-1750000}"
# Suites that wait for a screen or a process read this to wait longer.
export STATEDECK_TEST_TIME_SCALE="${STATEDECK_TEST_TIME_SCALE:-4}"

cd "$dir"
# Longer per-test timeout than `make test`: everything runs about 3x slower.
# CTEST_ARGS adds options, e.g. CTEST_ARGS="-R tst_codec".
# shellcheck disable=SC2086
nice -n 10 ctest --output-on-failure -j "$jobs" --timeout 1800 ${CTEST_ARGS:-}
