#!/usr/bin/env bash
# The console layer as a front end uses it (issue 12), on a real redis-server:
#   - KeyModel over 100k and 1M keys: time to the first page, to the whole
#     listing, and peak RSS, beside `redis-cli --scan` listing the same keys
#   - FilterModel over 100k loaded rows: the event loop's longest stall per
#     keystroke while a filter is typed
#   - a storm of 10k watch events a second into a 100k-row model: events
#     applied per second, none lost, the longest stall
# Usage: bench/console.sh [BUILD_DIR]   (N_BIG overrides the 1M count)
set -euo pipefail
build=${1:-build}
bench="$build/bench/sd-bench-console"
N=${N:-100000}
N_BIG=${N_BIG:-1000000}
RUNS=${RUNS:-1}
tmp=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
port=$(free_port)
start_redis "$port" "$tmp/server.log"
server=$!
trap 'rc=$?; kill "$server" 2> /dev/null; wait "$server" 2> /dev/null || true; rm -rf "$tmp"; exit $rc' EXIT
wait_port "$port"

fill_db() { # fill DB N: N JSON values at "key:i" in database DB, in RESP through redis-cli's pipe mode
  awk -v n="$2" 'BEGIN {
    for (i = 0; i < n; i++) {
      k = "key:" i; v = "{\"n\":" i "}"
      printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
    }
  }' | redis-cli -p "$port" -n "$1" --pipe > /dev/null
}
fill_db 0 "$N"
fill_db 1 "$N_BIG"
[ "$(redis-cli -p "$port" -n 0 dbsize)" -eq "$N" ]
[ "$(redis-cli -p "$port" -n 1 dbsize)" -eq "$N_BIG" ]

row() { # label, then sd-bench-console's line
  echo "| $1 | $2 |"
}
echo
echo "| work | result |"
echo "| --- | --- |"
read -r scan_s scan_rss < <(measure redis-cli -p "$port" -n 0 --scan)
row "redis-cli --scan, $N keys (reference)" "complete_s=$scan_s peak_rss_kib=$scan_rss"
row "KeyModel, $N keys, pages of 500" "$("$bench" keys "redis://127.0.0.1:$port/0" 500)"
row "KeyModel, $N keys, pages of 5000" "$("$bench" keys "redis://127.0.0.1:$port/0" 5000)"
read -r scan_big scan_big_rss < <(measure redis-cli -p "$port" -n 1 --scan)
row "redis-cli --scan, $N_BIG keys (reference)" "complete_s=$scan_big peak_rss_kib=$scan_big_rss"
row "KeyModel, $N_BIG keys, pages of 5000" "$("$bench" keys "redis://127.0.0.1:$port/1" 5000)"
row "FilterModel over $N rows, typing key:9999" "$("$bench" filter "redis://127.0.0.1:$port/0")"
row "10k events/s for 5 s into $N rows" "$("$bench" storm "redis://127.0.0.1:$port/0" 10000 5)"
