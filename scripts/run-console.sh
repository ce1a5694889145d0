#!/usr/bin/env bash
# `make run`: start the console on the embedded SQLite default store (or
# the current connection of connections.yaml): the terminal UI on a
# terminal; without one, the CLI shows what the store holds.
set -euo pipefail
build=${1:-build}
tui="$build/tui/statedeck-tui"
ctl="$build/app/statedeckctl"
[ -x "$ctl" ] || { echo "run-console: $ctl is missing; run 'make build' first" >&2; exit 1; }

if [ -t 0 ] && [ -t 1 ] && [ -x "$tui" ]; then
  exec "$tui" "$@"
fi

echo "No terminal to run statedeck-tui in; here is what the store holds (statedeckctl help lists commands):"
"$ctl" ls --max 20 -o table || true
