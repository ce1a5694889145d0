#!/usr/bin/env bash
# Runs every benchmark; results are pasted into docs/PERFORMANCE.md.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
bench/sqlite.sh "$build"
bench/redis.sh "$build"
bench/etcd.sh "$build"
bench/kube.sh "$build"
bench/firebase.sh "$build"
bench/transfer.sh "$build"
bench/json.sh "$build"
bench/yaml.sh "$build"
bench/console.sh "$build"
bench/tui.sh "$build"
bench/gui.sh "$build"
