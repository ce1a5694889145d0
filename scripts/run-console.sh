#!/usr/bin/env bash
# `make run`: start the console on the embedded SQLite default store (or the
# last connection used, or connections.yaml's current one).
#   - with a display (DISPLAY or WAYLAND_DISPLAY set): the desktop console,
#     build/app/statedeck;
#   - else on a terminal: the terminal console, statedeck-tui;
#   - else (no terminal): the CLI lists what the store holds.
# STATEDECK_UI=gui|tui|cli forces one.
set -euo pipefail
build=${1:-build}
ui=${STATEDECK_UI:-}
gui="$build/app/statedeck"
tui="$build/tui/statedeck-tui"
ctl="$build/app/statedeckctl"

if [ -z "$ui" ]; then
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$gui" ]; then
    ui=gui
  elif [ -t 0 ] && [ -t 1 ] && [ -x "$tui" ]; then
    ui=tui
  else
    ui=cli
  fi
fi

case "$ui" in
  gui)
    [ -x "$gui" ] || { echo "run-console: $gui is missing; run 'make build' first" >&2; exit 1; }
    exec "$gui"
    ;;
  tui)
    [ -x "$tui" ] || { echo "run-console: $tui is missing; run 'make build' first" >&2; exit 1; }
    exec "$tui"
    ;;
  cli) ;;
  *) echo "run-console: STATEDECK_UI must be gui, tui or cli, not '$ui'" >&2; exit 2 ;;
esac

[ -x "$ctl" ] || { echo "run-console: $ctl is missing; run 'make build' first" >&2; exit 1; }
echo "No display and no terminal for the consoles; here is what the store holds (statedeckctl help lists commands):"
"$ctl" ls --max 20 -o table || true
