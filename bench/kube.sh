#!/usr/bin/env bash
# Listing 10k ConfigMaps from the Kubernetes API emulator over HTTPS, three
# ways against the same server in one run:
#   - a raw HTTPS GET of the whole list with curl (the floor)
#   - `statedeckctl ls -o json --values` (pages of 500, like kubectl)
#   - `statedeckctl ls` keys only (metadata-only pages: PartialObjectMetadataList)
#   - `kubectl get cm -o json` (chunks of 500 by default)
# Usage: bench/kube.sh [BUILD_DIR]   (N and RUNS override the counts)
set -euo pipefail
build=${1:-build}
ctl="$build/app/statedeckctl"
fill="$build/bench/sd-bench-fill"
emulator="$build/tests/servers/kube-emulator/sd-kube-emulator"
[ -x "$emulator" ] || emulator=$(find "$build" -name sd-kube-emulator -type f -perm -u+x | head -1)
N=${N:-10000}
RUNS=${RUNS:-3}
tmp=$(mktemp -d)
. "$(dirname "$0")/lib.sh"

# A CA and a server certificate for 127.0.0.1, as the tests make them.
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" -days 1 -subj /CN=bench-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2> /dev/null
openssl req "${ec[@]}" -keyout "$tmp/server.key" -out "$tmp/server.csr" -subj /CN=127.0.0.1 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$tmp/server.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
  -out "$tmp/server.crt" -days 1 -extfile "$tmp/server.ext" 2> /dev/null
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s,bench-admin,uid-bench,"system:masters"\n' "$token" > "$tmp/tokens.csv"

port=$(free_port)
plain=$(free_port)
"$emulator" --port "$plain" --tls-port "$port" --cert "$tmp/server.crt" --key "$tmp/server.key" \
  --token-auth-file "$tmp/tokens.csv" > "$tmp/server.log" 2>&1 &
server=$!
trap 'rc=$?; kill "$server" 2> /dev/null; wait "$server" 2> /dev/null || true; rm -rf "$tmp"; exit $rc' EXIT
wait_port "$port"
cat > "$tmp/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: bench
  cluster: {server: "https://127.0.0.1:$port", certificate-authority: "$tmp/ca.crt"}
users:
- name: bench
  user: {token: "$token"}
contexts:
- name: bench
  context: {cluster: bench, user: bench, namespace: default}
current-context: bench
KC
export KUBECONFIG="$tmp/kubeconfig"

echo "creating $N ConfigMaps through the provider (sd-bench-fill)..."
"$fill" kubernetes "$N" "kubeconfig=$tmp/kubeconfig" namespace=default --prefix bench- --window 32
[ "$(kubectl get cm -o name | grep -c '^configmap/bench-')" -eq "$N" ]
bytes=$(curl -s --cacert "$tmp/ca.crt" -H "Authorization: Bearer $token" \
  "https://127.0.0.1:$port/api/v1/namespaces/default/configmaps" | wc -c)

read -r ref ref_rss < <(measure curl -s --cacert "$tmp/ca.crt" -H "Authorization: Bearer $token" \
  "https://127.0.0.1:$port/api/v1/namespaces/default/configmaps")
# The metadata view itself, as curl reads it: what the server spends on it.
read -r refmeta refmeta_rss < <(measure curl -s --cacert "$tmp/ca.crt" -H "Authorization: Bearer $token" \
  -H 'Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' \
  "https://127.0.0.1:$port/api/v1/namespaces/default/configmaps")
read -r sd sd_rss < <(measure "$ctl" --store k8s://bench/default/configmaps ls -o json --values --page-size 500)
read -r sd5 sd5_rss < <(measure "$ctl" --store k8s://bench/default/configmaps ls -o json --values --page-size 5000)
read -r keys keys_rss < <(measure "$ctl" --store k8s://bench/default/configmaps ls -o json --page-size 500)
read -r names names_rss < <(measure "$ctl" --store k8s://bench/default/configmaps ls -o value --page-size 500)
read -r kc kc_rss < <(measure kubectl get cm -o json)
[ "$("$ctl" --store k8s://bench/default/configmaps ls -o value --page-size 500 | grep -c '^bench-')" -eq "$N" ]

echo
echo "| work ($N ConfigMaps, $((bytes / 1024)) KiB as one list) | seconds | peak RSS | vs curl |"
echo "| --- | --- | --- | --- |"
echo "| curl: one HTTPS GET of the list (reference) | $ref | $((ref_rss / 1024)) MiB | 1.00x |"
echo "| curl: one HTTPS GET of the list as PartialObjectMetadataList | $refmeta | $((refmeta_rss / 1024)) MiB | $(ratio "$refmeta" "$ref")x |"
echo "| statedeckctl ls -o json --values (pages of 500) | $sd | $((sd_rss / 1024)) MiB | $(ratio "$sd" "$ref")x |"
echo "| statedeckctl ls -o json --values (pages of 5000) | $sd5 | $((sd5_rss / 1024)) MiB | $(ratio "$sd5" "$ref")x |"
echo "| statedeckctl ls -o json, keys only (metadata pages of 500) | $keys | $((keys_rss / 1024)) MiB | $(ratio "$keys" "$ref")x |"
echo "| statedeckctl ls -o value, keys only (metadata pages of 500) | $names | $((names_rss / 1024)) MiB | $(ratio "$names" "$ref")x |"
echo "| kubectl get cm -o json (chunks of 500) | $kc | $((kc_rss / 1024)) MiB | $(ratio "$kc" "$ref")x |"
