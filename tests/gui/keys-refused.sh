#!/usr/bin/env bash
# `statedeck --keys FILE` with a FILE that does not load: the window never
# opens, the exit status is 2, and stderr names FILE:LINE and the bad id.
set -euo pipefail
gui=${1:?usage: keys-refused.sh STATEDECK_BINARY}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export QT_QPA_PLATFORM=offscreen HOME="$work" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
printf 'gui:\n  keys.edt: Ctrl+E\n' > "$work/keys.yaml"
status=0
timeout 30 "$gui" --no-settings --keys "$work/keys.yaml" 2> "$work/err" || status=$?
[ "$status" -eq 2 ] || { echo "expected exit 2, got $status" >&2; cat "$work/err" >&2; exit 1; }
grep -q "$work/keys.yaml:2: unknown action \"keys.edt\"" "$work/err" \
  || { echo "stderr does not name FILE:LINE and the id:" >&2; cat "$work/err" >&2; exit 1; }
echo "keys-refused: ok"
