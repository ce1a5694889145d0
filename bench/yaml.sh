#!/usr/bin/env bash
# One batch of 1000 and of 10000 new keys into one YAML state file (issue 18).
# YamlProvider's batch once opened, re-read and proved the whole document once
# per key (quadratic); it now applies all of a file's keys in one pass.
#  - sd-bench-yaml-batch: the editor alone, both ways in one binary: one by
#    one (the old batch: two parses a key) and in one pass (setMany);
#  - sd-bench-fill yaml: the whole putBatch through the provider (lock, read,
#    backup, atomic write), one call of all the keys.
# Usage: bench/yaml.sh [BUILD_DIR]   (COUNTS="1000 10000", RUNS=3; the one-by-one
# row is skipped above ONE_BY_ONE_MAX keys, default 10000)
set -euo pipefail
build=${1:-build}
COUNTS=${COUNTS:-"1000 10000"}
RUNS=${RUNS:-3}
ONE_BY_ONE_MAX=${ONE_BY_ONE_MAX:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/lib.sh"

echo "| work | keys | seconds | peak RSS | parses | vs one pass |"
echo "| --- | --- | --- | --- | --- | --- |"
for n in $COUNTS; do
  read -r pass pass_rss < <(measure "$build/bench/sd-bench-yaml-batch" "$n")
  pass_parses=$("$build/bench/sd-bench-yaml-batch" "$n" | sed -E 's/.*, ([0-9]+) parses.*/\1/')
  echo "| editor, in one pass (setMany) | $n | $pass | $((pass_rss / 1024)) MiB | $pass_parses | 1.00x |"
  if [ "$n" -le "$ONE_BY_ONE_MAX" ]; then
    # Once: at 10000 keys it takes minutes.
    read -r one one_rss < <(RUNS=1 measure "$build/bench/sd-bench-yaml-batch" "$n" --one-by-one)
    echo "| editor, one by one (the batch before) | $n | $one | $((one_rss / 1024)) MiB | $((2 * n)) | $(ratio "$one" "$pass")x |"
  fi
  # A fresh directory each run: the batch creates bench.yaml.
  read -r prov prov_rss < <(measure bash -c 'rm -rf "$1" && mkdir -p "$1" && exec "$2" yaml "$3" "path=$1" --prefix bench.k --batch "$3"' \
    fill "$tmp/state" "$build/bench/sd-bench-fill" "$n")
  echo "| provider putBatch, one call, new file | $n | $prov | $((prov_rss / 1024)) MiB | 2 | $(ratio "$prov" "$pass")x |"
done
