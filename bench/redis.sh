#!/usr/bin/env bash
# statedeck against a real redis-server on loopback, side by side with
# Redis's own tools on the same server:
#   - listing 100k keys: `statedeckctl ls` against `redis-cli --scan`
#   - writing 100k keys: the provider's put (sd-bench-fill, 256 in flight),
#     its putBatch, and `statedeckctl import` of a snapshot, against
#     `redis-benchmark -t set` (plain and with -P 64 pipelining)
# Usage: bench/redis.sh [BUILD_DIR]   (N and RUNS override the counts)
set -euo pipefail
build=${1:-build}
ctl="$build/app/statedeckctl"
fill="$build/bench/sd-bench-fill"
N=${N:-100000}
RUNS=${RUNS:-3}
tmp=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
port=$(free_port)
start_redis "$port" "$tmp/server.log"
server=$!
trap 'rc=$?; kill "$server" 2> /dev/null; wait "$server" 2> /dev/null || true; rm -rf "$tmp"; exit $rc' EXIT
wait_port "$port"
url="redis://127.0.0.1:$port/0"

echo "writing $N keys through the provider (sd-bench-fill)..."
fill_out=$("$fill" redis "$N" host=127.0.0.1 "port=$port" --prefix bench/)
echo "$fill_out"
fill_rate=$(echo "$fill_out" | rate_of)
[ "$(redis-cli -p "$port" --scan --pattern 'bench/*' | wc -l)" -eq "$N" ]
redis-cli -p "$port" config resetstat > /dev/null
batch_out=$("$fill" redis "$N" host=127.0.0.1 "port=$port" --prefix batch/ --batch 256)
echo "$batch_out"
batch_rate=$(echo "$batch_out" | rate_of)
# Redis's own time in the batch scripts (INFO commandstats: EVAL's usec,
# the sweep steps included), per key written.
eval_usec=$(redis-cli -p "$port" info commandstats | tr -d '\r' | grep '^cmdstat_eval:' | sed -E 's/.*usec=([0-9]+),.*/\1/')
batch_server_us=$(awk "BEGIN{printf \"%.2f\", $eval_usec / $N}")

# A snapshot of the N keys, imported into an empty database (one run: an
# import is not repeatable on the same target).
"$ctl" --store "$url" export bench/ -o "$tmp/snap.jsonl" > /dev/null
t0=$(date +%s%N)
/usr/bin/time -f "%M" -o "$tmp/import.rss" "$ctl" --store "redis://127.0.0.1:$port/1" import "$tmp/snap.jsonl" > /dev/null
t1=$(date +%s%N)
import_s=$(awk "BEGIN{printf \"%.3f\", ($t1 - $t0) / 1e9}")
import_rate=$(awk "BEGIN{printf \"%d\", $N / $import_s}")
[ "$(redis-cli -p "$port" -n 1 dbsize)" -ge "$N" ]

read -r ref ref_rss < <(measure redis-cli -p "$port" --scan --pattern 'bench/*')
read -r keys keys_rss < <(measure "$ctl" --store "$url" ls bench/ -o value --page-size 5000)
read -r meta meta_rss < <(measure "$ctl" --store "$url" ls bench/ -o json --page-size 5000)
read -r vals vals_rss < <(measure "$ctl" --store "$url" ls bench/ -o json --values --page-size 5000)
[ "$("$ctl" --store "$url" ls bench/ -o value --page-size 5000 | wc -l)" -eq "$N" ]

# redis-benchmark prints "SET: 123456.79 requests per second..."
bench_rate() { redis-benchmark -h 127.0.0.1 -p "$port" -t set -n "$N" -r "$N" -q "$@" | tr '\r' '\n' \
  | grep -E '^SET: [0-9.]+ requests per second' | tail -1 | sed -E 's/SET: ([0-9.]+).*/\1/'; }
plain=$(bench_rate)
pipelined=$(bench_rate -P 64)

echo
echo "| work | seconds | peak RSS | vs redis-cli --scan |"
echo "| --- | --- | --- | --- |"
echo "| redis-cli --scan, $N keys (reference; COUNT 10) | $ref | $((ref_rss / 1024)) MiB | 1.00x |"
echo "| statedeckctl ls, $N keys, -o value (names only: SCAN alone) | $keys | $((keys_rss / 1024)) MiB | $(ratio "$keys" "$ref")x |"
echo "| statedeckctl ls, $N keys, -o json (keys with type, revision, TTL) | $meta | $((meta_rss / 1024)) MiB | $(ratio "$meta" "$ref")x |"
echo "| statedeckctl ls, $N keys, -o json --values | $vals | $((vals_rss / 1024)) MiB | $(ratio "$vals" "$ref")x |"
echo
echo "| work | writes/s | share of redis-benchmark -P 64 |"
echo "| --- | --- | --- |"
echo "| redis-benchmark -t set -n $N -P 64 (reference) | ${pipelined%.*} | 1.00 |"
echo "| redis-benchmark -t set -n $N (50 clients, no pipelining) | ${plain%.*} | $(ratio "$plain" "$pipelined") |"
echo "| statedeck provider put, $N keys, 256 in flight (CAS script per write) | $fill_rate | $(ratio "$fill_rate" "$pipelined") |"
echo "| statedeck putBatch, $N keys, batches of 256, 8 in flight ($batch_server_us µs of Redis time a key) | $batch_rate | $(ratio "$batch_rate" "$pipelined") |"
echo "| statedeckctl import, $N-entry snapshot into an empty database ($import_s s, $(($(cat "$tmp/import.rss") / 1024)) MiB) | $import_rate | $(ratio "$import_rate" "$pipelined") |"
