#!/usr/bin/env bash
# statedeckctl over the embedded SQLite store, side by side with the sqlite3
# shell on the same file:
#   - `statedeckctl ls` over 100k keys (keys only, and with values)
#   - `statedeckctl put` of 10k keys, one process each, as a script would
# Usage: bench/sqlite.sh [BUILD_DIR]   (N_LS and N_PUT override the counts)
set -euo pipefail
build=${1:-build}
ctl="$build/app/statedeckctl"
fill="$build/bench/sd-bench-fill"
N_LS=${N_LS:-100000}
N_PUT=${N_PUT:-10000}
RUNS=${RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/bench.db"

. "$(dirname "$0")/lib.sh"

echo "filling $N_LS keys through the provider API..."
"$fill" sqlite "$N_LS" "path=$db"

read -r ref ref_rss < <(measure sqlite3 "$db" "select key from entries where key >= 'bench/' and key < 'bench0' order by key")
read -r keys keys_rss < <(measure "$ctl" --store "sqlite://$db" ls bench/ -o value --page-size 5000)
read -r json json_rss < <(measure "$ctl" --store "sqlite://$db" ls bench/ -o json --page-size 5000)
read -r vals vals_rss < <(measure "$ctl" --store "sqlite://$db" ls bench/ -o json --values --page-size 5000)
[ "$(sqlite3 "$db" 'select count(*) from entries')" -eq "$N_LS" ]

put_db="$tmp/put.db"
start=$(date +%s.%N)
for i in $(seq 1 "$N_PUT"); do
  printf '{"id":%d,"enabled":true}' "$i" | "$ctl" --store "sqlite://$put_db" put "put/$i" - > /dev/null
done
end=$(date +%s.%N)
[ "$(sqlite3 "$put_db" 'select count(*) from entries')" -eq "$N_PUT" ]
put_s=$(awk "BEGIN{printf \"%.2f\", $end - $start}")

# Reference: the sqlite3 shell, also one process per write.
ref_db="$tmp/ref.db"
sqlite3 "$ref_db" "PRAGMA journal_mode=WAL; CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)" > /dev/null
start=$(date +%s.%N)
for i in $(seq 1 "$N_PUT"); do
  sqlite3 "$ref_db" "INSERT OR REPLACE INTO kv VALUES ('put/$i', '{\"id\":$i,\"enabled\":true}')"
done
end=$(date +%s.%N)
ref_put_s=$(awk "BEGIN{printf \"%.2f\", $end - $start}")

echo
echo "| work | seconds | peak RSS | vs sqlite3 |"
echo "| --- | --- | --- | --- |"
echo "| sqlite3: select $N_LS keys (reference) | $ref | $((ref_rss / 1024)) MiB | 1.0x |"
echo "| statedeckctl ls, $N_LS keys, -o value | $keys | $((keys_rss / 1024)) MiB | $(ratio "$keys" "$ref")x |"
echo "| statedeckctl ls, $N_LS keys, -o json | $json | $((json_rss / 1024)) MiB | $(ratio "$json" "$ref")x |"
echo "| statedeckctl ls, $N_LS keys, -o json --values | $vals | $((vals_rss / 1024)) MiB | $(ratio "$vals" "$ref")x |"
echo
echo "| work | seconds | per write | vs sqlite3 |"
echo "| --- | --- | --- | --- |"
echo "| sqlite3 shell: $N_PUT inserts, one process each (reference) | $ref_put_s | $(awk "BEGIN{printf \"%.1f ms\", 1000 * $ref_put_s / $N_PUT}") | 1.0x |"
echo "| statedeckctl put: $N_PUT keys, one process each | $put_s | $(awk "BEGIN{printf \"%.1f ms\", 1000 * $put_s / $N_PUT}") | $(ratio "$put_s" "$ref_put_s")x |"
