#!/usr/bin/env bash
# Makes docs/images/gui-registry.png: the real statedeck binary's registry
# view (seed 003) under a virtual X server, over a temporary redis-server
# holding the fixture registry (loaded with redis-cli, as XStateNet writes
# it) and the Kubernetes emulator holding the fixture CRD and StateMachine
# resources (applied with kubectl). order-processing is selected, so its
# state graph (parallel regions as clusters) shows with its current state.
#   scripts/registry-screenshot.sh [BUILD_DIR] [OUT.png] [THEME]
set -euo pipefail
build=${1:-build}
out=${2:-docs/images/gui-registry.png}
theme=${3:-light}
gui="$build/app/statedeck"
emulator="$build/tests/servers/kube-emulator/sd-kube-emulator"
fixtures="$(cd "$(dirname "$0")/.." && pwd)/../shared/fixtures/xstatenet"
for p in "$gui" "$emulator"; do
  [ -x "$p" ] || { echo "registry-screenshot: $p is missing; run 'make build' first" >&2; exit 1; }
done
for t in xvfb-run redis-server redis-cli kubectl jq; do
  command -v "$t" >/dev/null || { echo "registry-screenshot: $t is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
  || echo $((20000 + RANDOM % 20000)); }

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
  --notify-keyspace-events Ex >"$work/redis.log" 2>&1 &
pids+=($!)
kport=$(free_port)
token=screenshot-admin
# HTTPS with a throwaway certificate: kubectl sends no token over plain HTTP.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
"$emulator" --tls-port "$kport" --cert "$work/cert.pem" --key "$work/key.pem" --admin-token "$token" >"$work/kube.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  redis-cli -p "$rport" ping >/dev/null 2>&1 && curl -fsk -H "Authorization: Bearer $token" "https://127.0.0.1:$kport/version" >/dev/null && break
  sleep 0.1
done

# The registry dump, by the commands XStateNet uses.
dump="$fixtures/redis-registry-dump.json"
jq -r '.["xstatenet:machines"].fields | keys[]' "$dump" | while read -r id; do
  jq -r --arg id "$id" '.["xstatenet:machines"].fields[$id]' "$dump" | redis-cli -p "$rport" -x HSET xstatenet:machines "$id" >/dev/null
done
redis-cli -p "$rport" SET xstatenet:status:ping-pong-machine Running >/dev/null
redis-cli -p "$rport" SET xstatenet:status:order-processing Unhealthy >/dev/null
redis-cli -p "$rport" SET xstatenet:metadata:order-processing '{"owner":"team-x"}' >/dev/null
# Beating now (ticks of the current time), as a live machine's would.
ticks=$(( ($(date +%s%N) / 100) + 621355968000000000 ))
redis-cli -p "$rport" SET xstatenet:heartbeat:ping-pong-machine "$ticks" EX 3600 >/dev/null
# order-processing, running its parallel regions, beat 90 s ago: stale.
old=$(( ticks - 900000000 ))
redis-cli -p "$rport" SET xstatenet:heartbeat:order-processing "$old" EX 3600 >/dev/null
info=$(redis-cli -p "$rport" HGET xstatenet:machines order-processing | jq -c '.CurrentState = "processing.payment.charging"')
redis-cli -p "$rport" HSET xstatenet:machines order-processing "$info" >/dev/null
# A third machine that stopped beating long ago: dead.
redis-cli -p "$rport" HSET xstatenet:machines worker-7 \
  '{"MachineId":"worker-7","NodeId":"node-c","Endpoint":"tcp://10.0.0.31:5555","Version":"1.0.0","Metadata":{},"RegisteredAt":"2025-10-01T06:00:00Z","LastHeartbeat":"2025-10-01T07:12:00Z","Status":5,"CurrentState":"idle","ParentMachineId":null,"ChildMachineIds":[],"Tags":{},"Resources":null}' >/dev/null
redis-cli -p "$rport" SET xstatenet:status:worker-7 Error >/dev/null

cat >"$work/kubeconfig" <<EOK
apiVersion: v1
kind: Config
current-context: shot
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$kport", certificate-authority: "$work/cert.pem"}}]
users: [{name: u, user: {token: $token}}]
contexts: [{name: shot, context: {cluster: c, user: u, namespace: default}}]
EOK
export KUBECONFIG="$work/kubeconfig"
grep -v '^#' "$fixtures/crd-statemachines.xstatenet.io.yaml" >"$work/crd.yaml"
kubectl apply --validate=false -f "$work/crd.yaml" >/dev/null
for _ in $(seq 1 50); do kubectl get statemachines >/dev/null 2>&1 && break; sleep 0.1; done
awk '/^---/{n++} n<2' "$fixtures/example-statemachine.yaml.real" >"$work/machines.yaml"
kubectl apply --validate=false -f "$work/machines.yaml" >/dev/null
kubectl patch statemachine ping-pong-machine --subresource=status --type=merge \
  -p '{"status":{"phase":"Ready","readyReplicas":3,"currentState":"ping"}}' >/dev/null 2>&1 || true
kubectl patch statemachine order-processing --subresource=status --type=merge \
  -p '{"status":{"phase":"Ready","readyReplicas":4,"currentState":"processing"}}' >/dev/null 2>&1 || true

mkdir -p "$(dirname "$out")"
xvfb-run -a -s "-screen 0 1400x900x24" \
  "$gui" --theme "$theme" --size 1300x860 --select order-processing \
  --machines "redis://127.0.0.1:$rport/0 kube ns=default" --screenshot "$out"
echo "registry-screenshot: $out"
