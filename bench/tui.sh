#!/usr/bin/env bash
# statedeck-tui as an SRE meets it (DESIGN.md: first frame < 150 ms, RSS
# < 40 MB; a one-row change < 200 bytes to the terminal), in an 80x24 tmux
# pane recorded by script(1) with timings:
#   - time from start to the first screen that shows keys, and peak RSS
#     once it is up;
#   - bytes written to the terminal for one row changed by another process;
#   - on a real redis-server of BIG keys (100k): first frame and RSS;
#   - a storm of RATE writes a second (10k) from another process to the 20
#     keys on screen, for SECS seconds, each write giving its key another
#     TTL (a cell the table shows): bytes written to the terminal a second,
#     and the slowest of a keypress answered during it (':' sent by tmux
#     until the prompt shows, tmux's own round trip included).
# Usage: bench/tui.sh [BUILD_DIR]   (N keys in the SQLite store, 100 by default)
set -euo pipefail
build=${1:-build}
tui="$(realpath "$build/tui/statedeck-tui")"
ctl="$build/app/statedeckctl"
N=${N:-100}
BIG=${BIG:-100000}
RATE=${RATE:-10000}
SECS=${SECS:-10}
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"
server=""
pid=""
# The TUI is ended first: script(1) and the TUI outlive tmux's kill-server.
trap '[ -n "$pid" ] && kill "$pid" 2> /dev/null; tmux -S "$sock" kill-server 2> /dev/null || true; [ -n "$server" ] && kill "$server" 2> /dev/null; rm -rf "$tmp"' EXIT
source "$(dirname "$0")/lib.sh"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# The time from start to the first frame that shows a key (an 8-digit name
# of sd-bench-fill's): script's timing file gives each chunk's delay and
# size; the chunk that completes the first key name ends the count.
first_keys_ms() {
  perl -e '
    open my $o, "<", $ARGV[1] or die "$ARGV[1]: $!"; local $/; my $data = <$o>; close $o;
    $data =~ s/^Script started[^\n]*\n//;
    $data =~ /\d{8}/ or do { print "?"; exit };
    my $need = $+[0];
    open my $t, "<", $ARGV[0] or die; $/ = "\n";
    my ($at, $bytes) = (0, 0);
    while (<$t>) {
      my ($delay, $n) = split;
      $at += $delay; $bytes += $n;
      if ($bytes >= $need) { printf "%.0f", $at * 1000; exit }
    }
    print "?";
  ' "$1" "$2"
}
export XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state" XDG_DATA_HOME="$tmp/data"
db="$tmp/tui.db"
"$build/bench/sd-bench-fill" sqlite "$N" "path=$db" --prefix row/ > /dev/null

tmux -S "$sock" new-session -d -x 80 -y 24 \
  "env TERM=xterm-256color XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_STATE_HOME=$XDG_STATE_HOME \
   script -q -f -T $tmp/timing -O $tmp/out -c '$tui --store sqlite://$db --prefix row/'"
screen() { tmux -S "$sock" capture-pane -p; }
# This run's TUI, by its store (never another statedeck-tui of the
# machine; script(1)'s own command line holds the same words after -c).
tui_pid() { pgrep -f "^$tui --store $1"; }
for _ in $(seq 100); do screen | grep -q "listing complete" && break; sleep 0.1; done
screen | grep -q "listing complete"
pid=$(tui_pid "sqlite://$db")
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
# From start (script's own start is a few ms of it) to the first frame
# with keys, not the first output (an empty table while the store opens).
first=$(first_keys_ms "$tmp/timing" "$tmp/out")
sleep 1
before=$(stat -c %s "$tmp/out")
printf '{"n":"changed"}' | "$ctl" --store "sqlite://$db" put row/00000001 - > /dev/null
sleep 1 # the change's frame; the highlight fades after 3 s
after=$(stat -c %s "$tmp/out")

kill "$pid"
tmux -S "$sock" kill-server 2> /dev/null || true

# ---- a real redis-server: BIG keys, then a storm on the keys on screen.
port=$(free_port)
start_redis "$port" "$tmp/redis.log"
server=$!
wait_port "$port"
url="redis://127.0.0.1:$port/0"
"$build/bench/sd-bench-fill" redis "$BIG" host=127.0.0.1 "port=$port" --prefix key/ --batch 256 > /dev/null
for i in $(seq 0 19); do redis-cli -p "$port" set "storm:$i" "{\"n\":0}" > /dev/null; done
rm -f "$tmp/timing" "$tmp/out"
tmux -S "$sock" new-session -d -x 80 -y 24 \
  "env TERM=xterm-256color XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_STATE_HOME=$XDG_STATE_HOME \
   script -q -f -T $tmp/timing -O $tmp/out -c '$tui --store $url'"
for _ in $(seq 200); do screen | grep -qE "[1-9][0-9,]* keys loaded" && break; sleep 0.1; done
pid=$(tui_pid "$url")
big_first=$(first_keys_ms "$tmp/timing" "$tmp/out")
big_rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
# Only the storm's keys: the 20 rows it rewrites are the screen.
tmux -S "$sock" send-keys "/"
tmux -S "$sock" send-keys -l "^storm:"
tmux -S "$sock" send-keys Enter
for _ in $(seq 100); do screen | grep -q "20 keys" && break; sleep 0.1; done
tmux -S "$sock" send-keys Enter # into the prefix storm: (keys are a tree on ':')
for _ in $(seq 100); do screen | grep -q "keys storm:" && break; sleep 0.1; done
sleep 1
# The slowest of 10 keypresses: ':' sent through tmux until the prompt
# shows on the last line (tmux's own round trip and capture included).
slowest_keypress() {
  local worst=0 s e
  for _ in $(seq 10); do
    s=$(now_ms)
    tmux -S "$sock" send-keys ":"
    until screen | tail -1 | grep -q '^:'; do :; done
    e=$(now_ms)
    [ $((e - s)) -gt "$worst" ] && worst=$((e - s))
    tmux -S "$sock" send-keys Escape
    sleep 0.4
  done
  echo "$worst"
}
quiet=$(slowest_keypress) # the same, without a storm: the reference
# The writer (lib.sh): RATE writes a second to the 20 keys on screen, each
# with another TTL, so every write changes a cell of the table.
storm() {
  redis_storm "$port" ttl | awk '{print "writes_per_s=" $2}' > "$tmp/writes"
}
storm &
writer=$!
sleep 1 # the storm is under way
bytes0=$(stat -c %s "$tmp/out"); t0=$(now_ms)
worst=$(slowest_keypress)
bytes1=$(stat -c %s "$tmp/out"); t1=$(now_ms)
screen > "$tmp/storm-screen"
wait "$writer"
[ -n "${SHOW:-}" ] && cat "$tmp/storm-screen" >&2
grep -q "storm:" "$tmp/storm-screen" || { echo "the storm keys were not on screen:" >&2; cat "$tmp/storm-screen" >&2; }
storm_rate=$(awk -v b=$((bytes1 - bytes0)) -v ms=$((t1 - t0)) 'BEGIN{printf "%.1f", b / 1024 / (ms / 1000)}')
written=$(sed -n 's/.*writes_per_s=\([0-9]*\).*/\1/p' "$tmp/writes")
# Every write is a watch event: the event log counts what arrived.
tmux -S "$sock" send-keys ":"
tmux -S "$sock" send-keys -l "events"
tmux -S "$sock" send-keys Enter
sleep 2
received=$(screen | sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' | head -1)

echo
echo "| work | result | target |"
echo "| --- | --- | --- |"
echo "| first frame with keys, $N keys (SQLite), 80x24 | $first ms | < 150 ms |"
echo "| peak RSS with the first screen up | $((rss / 1024)) MiB | < 40 MB |"
echo "| bytes to the terminal for one row changed elsewhere | $((after - before)) | < 200 |"
echo "| first frame with keys, $BIG Redis keys | $big_first ms | < 150 ms |"
echo "| peak RSS, $BIG Redis keys, first screen up | $((big_rss / 1024)) MiB | < 40 MB |"
echo "| terminal output during a storm of $written writes/s to the 20 rows shown, each a new TTL | $storm_rate KiB/s | < 20 KB/s |"
echo "| watch events received by the TUI during the storm | ${received:-?} of $((RATE * SECS)) written | all |"
echo "| slowest of 10 keypresses answered during the storm (tmux round trip included) | $worst ms (without the storm: $quiet ms) | < 100 ms |"
