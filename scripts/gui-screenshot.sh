#!/usr/bin/env bash
# Makes docs/images/gui-main.png from the real statedeck binary under a
# virtual X server (xvfb-run), over a demo SQLite store in a temporary
# folder, while another process writes to it so live events and flashing
# rows show. The picture cannot drift from the code: run this again after
# changing the window.
#   scripts/gui-screenshot.sh [BUILD_DIR] [OUT.png] [THEME] [ACTION]
# ACTION: an action of the table to run first (global.tasks: the
# remediation view; global.migrate: the migrate wizard's dry run into a
# second store, the picture is of the wizard).
set -euo pipefail
build=${1:-build}
out=${2:-docs/images/gui-main.png}
theme=${3:-light}
action=${4:-}
gui="$build/app/statedeck"
ctl="$build/app/statedeckctl"
for p in "$gui" "$ctl"; do
  [ -x "$p" ] || { echo "gui-screenshot: $p is missing; run 'make build' first" >&2; exit 1; }
done
command -v xvfb-run >/dev/null || { echo "gui-screenshot: xvfb-run is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Nothing of the user's: settings, connections and data under the temp folder.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
store="sqlite://$work/demo.db"
# Opened as a named connection, as a user's would be.
mkdir -p "$XDG_CONFIG_HOME/statedeck"
cat > "$XDG_CONFIG_HOME/statedeck/connections.yaml" <<EOF
connections:
  demo:
    description: demo data for the screenshot
    url: $store
EOF
put() { "$ctl" --store "$store" -q -o json put "$@" >/dev/null; }

put app/web/config - --label app=web --label tier=frontend <<'EOF'
{"replicas": 3, "image": "registry.example.com/web:1.4.2",
 "resources": {"cpu": "500m", "memory": "512Mi"},
 "env": {"LOG_LEVEL": "info", "FEATURE_CHECKOUT_V2": true},
 "probes": {"path": "/healthz", "periodSeconds": 10}}
EOF
put app/web/flags - --label app=web <<< '{"beta": false, "rollout": 25}'
put app/worker/config - --label app=worker <<< '{"concurrency": 8, "queue": "jobs", "retry": {"max": 5, "backoff": "2s"}}'
put db/primary - --label tier=db <<< '{"host": "db-1.internal", "port": 5432, "pool": 20}'
put db/replica - --label tier=db <<< '{"host": "db-2.internal", "port": 5432}'
put deployment/phase - <<< '"deploying"'
put deployment/vm_states - <<< '{"k0s-worker-1": {"state": "ready"}, "k0s-worker-2": {"state": "provisioning"}}'
put greeting - <<< 'hello'
for i in $(seq 1 30); do
  put "sessions/user-$(printf %03d "$i")" - <<< "{\"user\": \"u$i\", \"expires\": \"2026-01-01T00:00:00Z\"}"
done

# Remediation tasks (seed 002's and the controller's ConfigMap shapes).
task() { "$ctl" --store "$store" -q task "$@" >/dev/null; }
task create 1042
task inc 1042
task inc 1042
task feedback add 1042 --severity Critical --type Bug --description "readiness probe fails after the rollout"
task feedback add 1042 --severity Low --type Documentation --description "runbook link is stale"
task feedback resolve 1042 2
task create 988 --pr 311
task status 988 Completed --pr 311
task create 1050

# Another writer, while the window is up.
(
  sleep 2.2
  put app/web/flags - --label app=web <<< '{"beta": true, "rollout": 50}'
  put sessions/user-031 - <<< '{"user": "u31"}'
  put deployment/phase - <<< '"ready"'
) &
writer=$!

# The migrate wizard: a target store that already holds part of the state
# (one key the same, one changed), so the dry run shows each kind of row.
extra=()
if [ "$action" = global.migrate ] || [ "$action" = global.verify ]; then
  target="sqlite://$work/staging.db"
  "$ctl" --store "$target" -q put db/primary - <<< '{"host": "db-1.internal", "port": 5432, "pool": 20}' >/dev/null
  "$ctl" --store "$target" -q put app/web/flags - <<< '{"beta": false, "rollout": 10}' >/dev/null
  extra=(--transfer-target "$target")
fi

mkdir -p "$(dirname "$out")"
xvfb-run -a -s "-screen 0 1400x900x24" \
  "$gui" --no-settings --theme "$theme" --size 1400x860 --select app/web/config --wait 3200 \
  ${action:+--run "$action"} "${extra[@]}" --screenshot "$out" demo
wait "$writer"
echo "gui-screenshot: $out"
