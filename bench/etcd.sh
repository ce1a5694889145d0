#!/usr/bin/env bash
# statedeck against a real single-member etcd on loopback, side by side with
# etcdctl on the same server:
#   - listing 100k keys: `statedeckctl ls` against `etcdctl get --prefix --keys-only`
#   - writing 100k keys: the provider's put (sd-bench-fill, 256 in flight)
#     against `etcdctl check perf --load=s` (etcd's own write check)
# Usage: bench/etcd.sh [BUILD_DIR]   (N and RUNS override the counts)
set -euo pipefail
build=${1:-build}
ctl="$build/app/statedeckctl"
fill="$build/bench/sd-bench-fill"
N=${N:-100000}
RUNS=${RUNS:-3}
tmp=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
port=$(free_port)
start_etcd "$port" 4294967296 "$tmp/server.log"
server=$!
trap 'rc=$?; kill "$server" 2> /dev/null; wait "$server" 2> /dev/null || true; rm -rf "$tmp"; exit $rc' EXIT
wait_port "$port"
ep="127.0.0.1:$port"
etcdctl() { command etcdctl --endpoints "$ep" "$@"; }
url="etcd://$ep?root=/sd"

echo "writing $N keys through the provider (sd-bench-fill)..."
fill_out=$("$fill" etcd "$N" "endpoints=http://$ep" root=/sd --prefix bench/)
echo "$fill_out"
fill_rate=$(echo "$fill_out" | rate_of)
[ "$(etcdctl get --prefix /sd/bench/ --keys-only | grep -c .)" -eq "$N" ]
batch_out=$("$fill" etcd "$N" "endpoints=http://$ep" root=/sd --prefix batch/ --batch 128)
echo "$batch_out"
batch_rate=$(echo "$batch_out" | rate_of)

read -r ref ref_rss < <(measure etcdctl --endpoints "$ep" get --prefix /sd/bench/ --keys-only)
read -r keys keys_rss < <(measure "$ctl" --store "$url" ls bench/ -o value --page-size 5000)
read -r keys10 keys10_rss < <(measure "$ctl" --store "$url" ls bench/ -o value --page-size 10000)
read -r vals vals_rss < <(measure "$ctl" --store "$url" ls bench/ -o json --values --page-size 5000)
[ "$("$ctl" --store "$url" ls bench/ -o value --page-size 5000 | wc -l)" -eq "$N" ]

echo "etcdctl check perf --load=s (60 s)..."
perf=$(etcdctl check perf --load=s 2>&1 | tr '\r' '\n' | grep -E 'Throughput is' | sed -E 's/.*Throughput is ([0-9]+) writes.*/\1/' || true)
[ -n "$perf" ] || { echo "etcdctl check perf printed no throughput" >&2; exit 1; }

echo
echo "| work | seconds | peak RSS | vs etcdctl |"
echo "| --- | --- | --- | --- |"
echo "| etcdctl get --prefix --keys-only, $N keys (reference) | $ref | $((ref_rss / 1024)) MiB | 1.00x |"
echo "| statedeckctl ls, $N keys, -o value (pages of 5000) | $keys | $((keys_rss / 1024)) MiB | $(ratio "$keys" "$ref")x |"
echo "| statedeckctl ls, $N keys, -o value (pages of 10000, the provider's largest) | $keys10 | $((keys10_rss / 1024)) MiB | $(ratio "$keys10" "$ref")x |"
echo "| statedeckctl ls, $N keys, -o json --values | $vals | $((vals_rss / 1024)) MiB | $(ratio "$vals" "$ref")x |"
echo
echo "| work | writes/s | share of etcdctl check perf |"
echo "| --- | --- | --- |"
echo "| etcdctl check perf --load=s (reference) | $perf | 1.00 |"
echo "| statedeck provider put, $N keys, 256 in flight (one txn per write) | $fill_rate | $(ratio "$fill_rate" "$perf") |"
echo "| statedeck putBatch, $N keys, txns of 128, 8 in flight | $batch_rate | $(ratio "$batch_rate" "$perf") |"
