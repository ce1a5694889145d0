#!/usr/bin/env bash
# Smoke test of the real `statedeck` binary on a real (virtual) X server:
# it starts under xvfb-run on an empty SQLite store, a top-level window
# titled "statedeck" appears (xwininfo), and SIGTERM closes it cleanly:
# exit status 0, settings written, within a bounded time.
#   tests/gui/smoke-xvfb.sh STATEDECK_BINARY
set -euo pipefail
gui=${1:?usage: smoke-xvfb.sh STATEDECK_BINARY}
for tool in xvfb-run xwininfo; do
  command -v "$tool" >/dev/null || { echo "smoke: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
unset QT_QPA_PLATFORM WAYLAND_DISPLAY

# What runs inside the X session: start, find the window, stop, report.
cat > "$work/inside.sh" <<'INSIDE'
set -u
gui=$1; work=$2
"$gui" "sqlite://$work/smoke.db" >"$work/gui.log" 2>&1 &
pid=$!
found=0
for _ in $(seq 1 200); do            # up to 20 s
  if xwininfo -root -tree 2>/dev/null | grep -q '"statedeck"'; then found=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$found" -ne 1 ]; then
  echo "smoke: no window titled statedeck appeared" >&2
  kill -9 "$pid" 2>/dev/null; cat "$work/gui.log" >&2; exit 3
fi
xwininfo -root -tree | grep '"statedeck"' | head -1 >"$work/window.txt"
kill -TERM "$pid"
for _ in $(seq 1 100); do            # up to 10 s to close
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  echo "smoke: statedeck did not quit within 10 s of SIGTERM" >&2
  kill -9 "$pid"; cat "$work/gui.log" >&2; exit 4
fi
wait "$pid"; status=$?
if [ "$status" -ne 0 ]; then
  echo "smoke: statedeck exited with status $status after SIGTERM" >&2; cat "$work/gui.log" >&2; exit 5
fi
exit 0
INSIDE
xvfb-run -a -s "-screen 0 1280x800x24" bash "$work/inside.sh" "$gui" "$work"
echo "smoke: window seen: $(sed 's/^ *//' "$work/window.txt")"
# A clean close saves the window's settings, as Ctrl+Q does.
conf="$XDG_CONFIG_HOME/statedeck/statedeck.conf"
[ -s "$conf" ] || { echo "smoke: $conf was not written: the window did not close cleanly" >&2; exit 6; }
grep -q '^geometry=\|window' "$conf" || { echo "smoke: no window state in $conf" >&2; exit 6; }
echo "smoke: ok"
