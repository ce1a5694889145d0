#!/usr/bin/env bash
# `make run`: start the console on the embedded SQLite default store (or the
# last connection used, or connections.yaml's current one).
#   - with a display (DISPLAY or WAYLAND_DISPLAY set): the desktop console,
#     build/app/statedeck;
#   - without one: the terminal UI, statedeck-tui, once it is built;
#   - until then: the CLI's interactive mode (help, the default store's
#     contents, then a prompt that runs statedeckctl commands until `quit`).
# STATEDECK_UI=gui|tui|cli forces one.
set -euo pipefail
build=${1:-build}
ui=${STATEDECK_UI:-}

gui="$build/app/statedeck"
tui=$(find "$build" -maxdepth 3 -type f -name statedeck-tui -perm -u+x 2>/dev/null | head -n 1)

if [ -z "$ui" ]; then
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$gui" ]; then
    ui=gui
  elif [ -n "$tui" ]; then
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
    [ -n "$tui" ] || { echo "run-console: statedeck-tui is not built in $build" >&2; exit 1; }
    exec "$tui"
    ;;
  cli) ;;
  *) echo "run-console: STATEDECK_UI must be gui, tui or cli, not '$ui'" >&2; exit 2 ;;
esac

ctl="$build/app/statedeckctl"
[ -x "$ctl" ] || { echo "run-console: $ctl is missing; run 'make build' first" >&2; exit 1; }

"$ctl" help
echo
echo "Store: the embedded SQLite default (\${XDG_DATA_HOME:-~/.local/share}/statedeck/state.db)"
echo "       unless connections.yaml names a current connection."
"$ctl" ls --max 20 -o table || true

if [ ! -t 0 ]; then
  exit 0
fi
echo
echo "Type a statedeckctl command without the program name, e.g."
echo "  put greeting -        (then type JSON or text, end with Ctrl-D)"
echo "  get greeting          patch greeting -        ls        watch --timeout 30"
echo "'help' lists commands, 'quit' leaves."
while IFS= read -r -e -p "statedeck> " line; do
  history -s -- "$line"
  case "$line" in
    quit|exit) break ;;
    "") continue ;;
  esac
  # Shell-style quoting of the user's own words ("a b", 'c').
  eval "args=($line)"
  "$ctl" "${args[@]}" || echo "(exit code $?)"
done
