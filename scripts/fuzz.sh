#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in their own folder
# and runs each for FUZZ_SECONDS. Inputs that crash, hang or allocate without
# bound are written into the target's corpus (tests/fuzz/corpus/<target>/),
# where `make test` replays them: commit them with their fix.
# New inputs that only add coverage go to build-fuzz/corpus/<target>/ (not
# committed). Usage: fuzz.sh [target...]   (default: every target)
# Environment: FUZZ_SECONDS (60), FUZZ_DIR (build-fuzz), FUZZ_JOBS (nproc),
# FUZZ_NO_BUILD.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${FUZZ_SECONDS:-60}"
dir="${FUZZ_DIR:-$root/build-fuzz}"
jobs="${FUZZ_JOBS:-$(nproc)}"
corpus="$root/tests/fuzz/corpus"

# FUZZ_NO_BUILD=1: use the targets as built (another build runs in $dir).
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  "$root/scripts/install-deps.sh" --fuzz
  export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
  if [ ! -f "$dir/build.ninja" ]; then
    CC=clang CXX=clang++ cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DSTATEDECK_FUZZ=ON -DBUILD_TESTING=ON
  fi
  nice -n 10 cmake --build "$dir" -j "$jobs" --target fuzz-targets
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in "$corpus"/*/; do targets+=("$(basename "$d")"); done
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$root/tests/sanitizers/ubsan.supp}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/tests/sanitizers/lsan.supp}"

failed=()
for t in "${targets[@]}"; do
  bin="$dir/tests/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz: no target $t" >&2; exit 2; }
  mkdir -p "$dir/corpus/$t"
  echo "== fuzz_$t for ${seconds}s"
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb and
  # -malloc_limit_mb: one that needs 1 GiB allocates without bound.
  if ! nice -n 10 "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$corpus/$t/" \
      "$dir/corpus/$t" "$corpus/$t" 2>&1 | tee "$dir/fuzz-$t.log" | grep -E "^(==|#[0-9]+ +DONE|stat::|SUMMARY|artifact_prefix|Test unit written)" ; then
    :
  fi
  if grep -qE "^(==[0-9]+==ERROR|SUMMARY: |Test unit written)" "$dir/fuzz-$t.log"; then
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}: the inputs are in tests/fuzz/corpus/<target>/ (logs in $dir/fuzz-<target>.log)" >&2
  exit 1
fi
echo "fuzz: no findings"
