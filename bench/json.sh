#!/usr/bin/env bash
# Large JSON objects (issue 18): a 1 MiB value of ~110k members through
# statedeckctl put / get / patch on SQLite, and one key read from a 50 MB
# local state.json of 100k members, beside jq reading the same files.
# Objects keep their key order with an index per large object; before it,
# each member was found by a linear scan (O(n^2) to parse).
# Usage: bench/json.sh [BUILD_DIR]   (MEMBERS and FILE_MEMBERS override the counts)
set -euo pipefail
build=${1:-build}
ctl="$build/app/statedeckctl"
MEMBERS=${MEMBERS:-110000}
FILE_MEMBERS=${FILE_MEMBERS:-100000}
RUNS=${RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/lib.sh"

# {"k0":1,"k1":1,...} with keys in base 36: about 9 bytes a member, so
# 110k members are just under 1 MiB, the largest value a store accepts.
perl -e 'sub b36 { my $n = shift; my $s = ""; do { $s = substr("0123456789abcdefghijklmnopqrstuvwxyz", $n % 36, 1) . $s; $n = int($n / 36) } while $n; $s }
  my $n = shift; print "{", join(",", map { "\"" . b36($_) . "\":1" } 0 .. $n - 1), "}\n"' "$MEMBERS" > "$tmp/big.json"
# {"m0":{"id":0,"name":"...","tags":[...]},...}: ~500 bytes a member.
mkdir -p "$tmp/state"
perl -e 'my $n = shift; my $pad = "x" x 420;
  print "{", join(",", map { "\"m$_\":{\"id\":$_,\"name\":\"$pad\",\"tags\":[\"a\",\"b\"]}" } 0 .. $n - 1), "}\n"' \
  "$FILE_MEMBERS" > "$tmp/state/state.json"
printf '{"zz":"patched"}' > "$tmp/patch.json"
db="sqlite://$tmp/bench.db"
big_bytes=$(stat -c %s "$tmp/big.json")
file_bytes=$(stat -c %s "$tmp/state/state.json")

read -r jq_big jq_big_rss < <(measure jq -c . "$tmp/big.json")
read -r put put_rss < <(measure "$ctl" --store "$db" put big "$tmp/big.json")
read -r get get_rss < <(measure "$ctl" --store "$db" get big -o value)
read -r patch patch_rss < <(measure "$ctl" --store "$db" patch big "$tmp/patch.json")
[ "$("$ctl" --store "$db" get big -o json | jq -r '.value.zz')" = patched ]
half=$((FILE_MEMBERS / 2))
read -r jq_file jq_file_rss < <(measure jq -c ".m$half" "$tmp/state/state.json")
read -r local_get local_rss < <(measure "$ctl" --store "local://$tmp/state/state.json" get "m$half" -o value)

echo
echo "1 MiB value: $MEMBERS members, $big_bytes bytes; state.json: $FILE_MEMBERS members, $file_bytes bytes"
echo
echo "| work | seconds | peak RSS | vs jq |"
echo "| --- | --- | --- | --- |"
echo "| jq -c . of the 1 MiB value (reference) | $jq_big | $((jq_big_rss / 1024)) MiB | 1.00x |"
echo "| statedeckctl put, 1 MiB value | $put | $((put_rss / 1024)) MiB | $(ratio "$put" "$jq_big")x |"
echo "| statedeckctl get, 1 MiB value | $get | $((get_rss / 1024)) MiB | $(ratio "$get" "$jq_big")x |"
echo "| statedeckctl patch, one member of the 1 MiB value | $patch | $((patch_rss / 1024)) MiB | $(ratio "$patch" "$jq_big")x |"
echo "| jq of one member of the state.json (reference) | $jq_file | $((jq_file_rss / 1024)) MiB | 1.00x |"
echo "| statedeckctl get of one key of the local state.json | $local_get | $((local_rss / 1024)) MiB | $(ratio "$local_get" "$jq_file")x |"
