#!/usr/bin/env bash
# `make run`: start the console on the embedded SQLite default store.
# The GUI and the TUI are not built yet (see README.md), so this is the CLI's
# interactive mode: help, the default store's contents, then a prompt that
# runs statedeckctl commands until `quit` (or end of input).
set -euo pipefail
build=${1:-build}
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
