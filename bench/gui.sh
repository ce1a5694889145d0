#!/usr/bin/env bash
# The desktop console `statedeck` against DESIGN.md's GUI targets, on a
# virtual X server (xvfb-run), from the figures `statedeck --bench-report`
# writes:
#   - start to the first painted window, best of RUNS, over a SQLite store
#     of N keys (< 500 ms);
#   - RSS with BIG (100k) SQLite keys listed (List all) and the view
#     scrolled to the last row (< 150 MB);
#   - the longest stall of the event loop (how late a 10 ms timer fired)
#     while another process writes RATE (10k) times a second for SECS
#     seconds to 20 keys of a real redis-server the window watches (< 100 ms),
#     and how many of those events the window received.
# Usage: bench/gui.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
gui="$(realpath "$build/app/statedeck")"
N=${N:-100}
BIG=${BIG:-100000}
RATE=${RATE:-10000}
SECS=${SECS:-10}
RUNS=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/lib.sh"
export tmp build gui N BIG RATE SECS RUNS
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state" XDG_DATA_HOME="$tmp/data"
mkdir -p "$HOME"
"$build/bench/sd-bench-fill" sqlite "$N" "path=$tmp/small.db" --prefix row/ > /dev/null
"$build/bench/sd-bench-fill" sqlite "$BIG" "path=$tmp/big.db" --prefix row/ > /dev/null

# Everything that needs the display runs inside one xvfb-run.
cat > "$tmp/inside.sh" <<'INSIDE'
set -euo pipefail
now_ms() { echo $(($(date +%s%N) / 1000000)); }
value() { awk -v k="$1" '$1 == k {print $2}' "$2" | tail -1; }
# Starts the window, waits for NAME in the report (at most 60 s).
start() {
  local report=$1; shift
  : > "$report"
  launched=$(now_ms)
  "$gui" --no-settings --size 1280x800 --bench-report "$report" "$@" > "$tmp/gui.log" 2>&1 &
  pid=$!
}
wait_for() {
  for _ in $(seq 600); do
    grep -q "^$1 " "$2" && return 0
    kill -0 "$pid" 2>/dev/null || { echo "statedeck ended early:" >&2; cat "$tmp/gui.log" >&2; return 1; }
    sleep 0.1
  done
  echo "no $1 after 60 s" >&2; return 1
}
stop() {
  kill -TERM "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  wait "$pid" || true
}

# 1. Start-up, best of RUNS.
best=""
for _ in $(seq "$RUNS"); do
  start "$tmp/r1" "sqlite://$tmp/small.db"
  wait_for first_paint_epoch_ms "$tmp/r1"
  ms=$(( $(value first_paint_epoch_ms "$tmp/r1") - launched ))
  stop
  if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
done
echo "start_ms $best"

# 2. BIG keys listed and scrolled to the end.
start "$tmp/r2" --run keys.more "sqlite://$tmp/big.db"
wait_for listed_all_ms "$tmp/r2"
sleep 1
echo "listed_all_ms $(value listed_all_ms "$tmp/r2")"
echo "big_rss_kib $(awk '/^VmRSS/ {print $2}' /proc/$pid/status)"
echo "big_hwm_kib $(awk '/^VmHWM/ {print $2}' /proc/$pid/status)"
stop

# 3. A storm on a real redis-server.
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" > "$tmp/redis.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
wait_port "$port"
for i in $(seq 0 19); do redis-cli -p "$port" set "storm:$i" "{\"n\":0}" > /dev/null; done
start "$tmp/r3" "redis://127.0.0.1:$port/0"
wait_for first_paint_epoch_ms "$tmp/r3"
sleep 2 # listed, watching, and past the first second the stall is not measured in
read -r sent rate < <(redis_storm "$port")
echo "storm_writes_per_s $rate"
echo "storm_sent $sent"
sleep 2 # the last events arrive
stop
echo "storm_max_stall_ms $(value max_stall_ms "$tmp/r3")"
echo "storm_events $(value events "$tmp/r3")"
kill "$server" 2>/dev/null || true
INSIDE
# lib.sh (free_port, wait_port) first, then the script.
cat "$(dirname "$0")/lib.sh" "$tmp/inside.sh" > "$tmp/run.sh"
xvfb-run -a -s "-screen 0 1400x900x24" bash "$tmp/run.sh" > "$tmp/results"
cat "$tmp/results" >&2
r() { awk -v k="$1" '$1 == k {print $2}' "$tmp/results"; }
echo "| start to the first painted window, $N keys (SQLite), best of $RUNS | $(r start_ms) ms | < 500 ms |"
echo "| $BIG keys (SQLite) listed to the end and scrolled to the last row | $(r listed_all_ms) ms; RSS $(( $(r big_rss_kib) / 1024 )) MiB (peak $(( $(r big_hwm_kib) / 1024 )) MiB) | < 150 MB |"
echo "| longest event-loop stall during $(r storm_writes_per_s) writes/s to 20 watched Redis keys for $SECS s | $(r storm_max_stall_ms) ms | < 100 ms |"
echo "| watch events received by the window during the storm | $(r storm_events) of $(r storm_sent) written | all |"
