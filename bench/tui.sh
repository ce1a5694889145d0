#!/usr/bin/env bash
# statedeck-tui as an SRE meets it (DESIGN.md: first frame < 150 ms, RSS
# < 40 MB; a one-row change < 200 bytes to the terminal), in an 80x24 tmux
# pane recorded by script(1) with timings:
#   - time from start to the first screen, and peak RSS once it is up;
#   - bytes written to the terminal for one row changed by another process.
# Usage: bench/tui.sh [BUILD_DIR]   (N keys in the store, 100 by default)
set -euo pipefail
build=${1:-build}
tui="$(realpath "$build/tui/statedeck-tui")"
ctl="$build/app/statedeckctl"
N=${N:-100}
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"
trap 'tmux -S "$sock" kill-server 2> /dev/null || true; rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state" XDG_DATA_HOME="$tmp/data"
db="$tmp/tui.db"
"$build/bench/sd-bench-fill" sqlite "$N" "path=$db" --prefix row/ > /dev/null

tmux -S "$sock" new-session -d -x 80 -y 24 \
  "env TERM=xterm-256color XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_STATE_HOME=$XDG_STATE_HOME \
   script -q -f -T $tmp/timing -O $tmp/out -c '$tui --store sqlite://$db --prefix row/'"
screen() { tmux -S "$sock" capture-pane -p; }
for _ in $(seq 100); do screen | grep -q "listing complete" && break; sleep 0.1; done
screen | grep -q "listing complete"
pid=$(pgrep -n -x statedeck-tui)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
# script's timing file: "DELAY BYTES" a chunk; the first delay is the time
# from start to the first output (the first frame; script's own start is
# a few ms of it).
first=$(head -1 "$tmp/timing" | awk '{printf "%.0f", $1 * 1000}')
sleep 1
before=$(stat -c %s "$tmp/out")
printf '{"n":"changed"}' | "$ctl" --store "sqlite://$db" put row/00000001 - > /dev/null
sleep 1 # the change's frame; the highlight fades after 3 s
after=$(stat -c %s "$tmp/out")

echo
echo "| work | result | target |"
echo "| --- | --- | --- |"
echo "| first frame, $N keys, 80x24 | $first ms | < 150 ms |"
echo "| peak RSS with the first screen up | $((rss / 1024)) MiB | < 40 MB |"
echo "| bytes to the terminal for one row changed elsewhere | $((after - before)) | < 200 |"
