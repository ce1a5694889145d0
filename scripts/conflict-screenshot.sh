#!/usr/bin/env bash
# Makes docs/images/gui-conflict.png: the three-pane conflict dialog, as the
# window shows it on a real (virtual) X server. A conflict needs an edit made
# in the window while another process writes the key, so the picture comes
# from the suite that does exactly that (tst_gui_mainwindow testConflict,
# "merge apart": the real statedeckctl writes theirs), run under xvfb-run on
# the xcb platform rather than offscreen.
#   scripts/conflict-screenshot.sh [BUILD_DIR] [OUT.png]
set -euo pipefail
build=${1:-build}
out=${2:-docs/images/gui-conflict.png}
suite="$build/tests/tst_gui_mainwindow"
[ -x "$suite" ] || { echo "conflict-screenshot: $suite is missing; run 'make build' first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
xvfb-run -a -s "-screen 0 1400x900x24" env QT_QPA_PLATFORM=xcb STATEDECK_SCREENSHOTS="$work/shots" \
  "$suite" "testConflict:merge apart" > "$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
cp "$work/shots/conflict-merge.png" "$out"
echo "conflict-screenshot: $out"
