#!/usr/bin/env bash
# Writing and listing 10k keys in the Firebase emulator, statedeck beside
# curl making the same REST requests, against the same server in one run:
#   write, one PUT per key:   sd-bench-fill (64 in flight)    vs curl --parallel (64)
#   write, batched:           sd-bench-fill --batch 500        vs curl: the same 20 multi-path PATCHes
#   list, pages of 500:       statedeckctl ls -o json --values vs curl: the same 20 "$key" page GETs
#   list, one GET:            curl of the whole node (the floor no pager can beat)
# statedeck signs in with a service account (a key made here with openssl);
# curl sends the admin credential, so it makes no token request.
# Usage: bench/firebase.sh [BUILD_DIR]   (N and RUNS override the counts)
set -euo pipefail
build=${1:-build}
ctl="$build/app/statedeckctl"
fill="$build/bench/sd-bench-fill"
emulator="$build/tests/servers/firebase-emulator/sd-firebase-emulator"
N=${N:-10000}
RUNS=${RUNS:-3}
PAGE=500
tmp=$(mktemp -d)
. "$(dirname "$0")/lib.sh"

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
port=$(free_port)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/sa.pem" 2> /dev/null
pem=$(awk '{printf "%s\\n", $0}' "$tmp/sa.pem")
printf '{"type": "service_account", "client_email": "bench@emulator.iam.gserviceaccount.com", "private_key": "%s", "token_uri": "http://127.0.0.1:%s/token"}\n' \
  "$pem" "$port" > "$tmp/sa.json"
"$emulator" --port "$port" --admin-token "$token" --service-account "$tmp/sa.json" > "$tmp/server.log" 2>&1 &
server=$!
trap 'rc=$?; kill "$server" 2> /dev/null; wait "$server" 2> /dev/null || true; rm -rf "$tmp"; exit $rc' EXIT
wait_port "$port"
export GOOGLE_APPLICATION_CREDENTIALS="$tmp/sa.json"
base="http://127.0.0.1:$port"
opts=("databaseUrl=$base" "projectId=bench" "serviceAccount=$tmp/sa.json")

# curl's side, as config files (values as sd-bench-fill writes them): one
# PUT per key; 20 multi-path PATCHes of 500.
awk -v base="$base" -v token="$token" -v n="$N" 'BEGIN {
  for (i = 0; i < n; i++)
    printf "url = \"%s/curl/k%08d.json?ns=bench&auth=%s\"\nrequest = \"PUT\"\ndata = \"{\\\"id\\\":%d,\\\"name\\\":\\\"entry-%d\\\",\\\"enabled\\\":%s}\"\noutput = \"/dev/null\"\nsilent\nnext\n",
      base, i, token, i, i, (i % 2 == 0 ? "true" : "false")
}' > "$tmp/puts.curl"
: > "$tmp/patches.curl"
for ((from = 0; from < N; from += PAGE)); do
  awk -v from="$from" -v to=$((from + PAGE < N ? from + PAGE : N)) 'BEGIN {
    printf "{"
    for (i = from; i < to; i++)
      printf "%s\"k%08d\":{\"id\":%d,\"name\":\"entry-%d\",\"enabled\":%s}", (i > from ? "," : ""), i, i, i, (i % 2 == 0 ? "true" : "false")
    printf "}"
  }' > "$tmp/patch-$from.json"
  printf 'url = "%s/curlb.json?ns=bench&auth=%s"\nrequest = "PATCH"\ndata-binary = "@%s"\noutput = "/dev/null"\nsilent\nnext\n' \
    "$base" "$token" "$tmp/patch-$from.json" >> "$tmp/patches.curl"
done

# A config may not end with "next" (curl would want one more URL).
for f in "$tmp/puts.curl" "$tmp/patches.curl"; do sed -i '$ d' "$f"; done
echo "writing $N keys, each way..."
read -r put_sd put_sd_rss < <(measure "$fill" firebase "$N" "${opts[@]}" root=sd --prefix k --window 64)
read -r put_curl put_curl_rss < <(measure curl -s --no-progress-meter --parallel --parallel-max 64 -K "$tmp/puts.curl")
read -r batch_sd batch_sd_rss < <(measure "$fill" firebase "$N" "${opts[@]}" root=sdb --prefix k --batch "$PAGE")
read -r batch_curl batch_curl_rss < <(measure curl -s -K "$tmp/patches.curl")
for node in sd curl sdb curlb; do
  count=$(curl -s "$base/$node.json?ns=bench&auth=$token&shallow=true" | grep -o '"k[0-9]*"' | wc -l)
  [ "$count" -eq "$N" ] || { echo "node $node holds $count keys, not $N" >&2; exit 1; }
done

# The listing's own requests: $key pages of 500 from each page's last key.
: > "$tmp/pages.curl"
q='orderBy=%22%24key%22'
printf 'url = "%s/sd.json?ns=bench&auth=%s&%s&limitToFirst=%d"\noutput = "/dev/null"\nsilent\nnext\n' "$base" "$token" "$q" $((PAGE + 1)) >> "$tmp/pages.curl"
for ((last = PAGE - 1; last < N - 1; last += PAGE)); do
  printf 'url = "%s/sd.json?ns=bench&auth=%s&%s&startAt=%%22k%08d%%22&limitToFirst=%d"\noutput = "/dev/null"\nsilent\nnext\n' \
    "$base" "$token" "$q" "$last" $((PAGE + 2)) >> "$tmp/pages.curl"
done
sed -i '$ d' "$tmp/pages.curl"
bytes=$(curl -s "$base/sd.json?ns=bench&auth=$token" | wc -c)
store="firebase://127.0.0.1:$port/sd?ns=bench&tls=false"
echo "listing $N keys, each way..."
read -r ls_sd ls_sd_rss < <(measure "$ctl" --store "$store" ls -o json --values --page-size "$PAGE")
read -r ls_curl ls_curl_rss < <(measure curl -s -K "$tmp/pages.curl")
read -r one_curl one_curl_rss < <(measure curl -s "$base/sd.json?ns=bench&auth=$token")
[ "$("$ctl" --store "$store" ls -o value --page-size "$PAGE" | grep -c '^k')" -eq "$N" ]

echo
echo "| work ($N keys, $((bytes / 1024)) KiB as one node) | seconds | peak RSS | vs curl |"
echo "| --- | --- | --- | --- |"
echo "| write, one PUT per key: curl --parallel 64 (reference) | $put_curl | $((put_curl_rss / 1024)) MiB | 1.00x |"
echo "| write, one PUT per key: sd-bench-fill, 64 in flight | $put_sd | $((put_sd_rss / 1024)) MiB | $(ratio "$put_sd" "$put_curl")x |"
echo "| write, 20 multi-path PATCHes of $PAGE: curl (reference) | $batch_curl | $((batch_curl_rss / 1024)) MiB | 1.00x |"
echo "| write, putBatch of $PAGE: sd-bench-fill --batch $PAGE | $batch_sd | $((batch_sd_rss / 1024)) MiB | $(ratio "$batch_sd" "$batch_curl")x |"
echo "| list, 20 \$key pages of $PAGE: curl (reference) | $ls_curl | $((ls_curl_rss / 1024)) MiB | 1.00x |"
echo "| list: statedeckctl ls -o json --values --page-size $PAGE | $ls_sd | $((ls_sd_rss / 1024)) MiB | $(ratio "$ls_sd" "$ls_curl")x |"
echo "| list: curl, one GET of the whole node (floor) | $one_curl | $((one_curl_rss / 1024)) MiB | $(ratio "$one_curl" "$ls_curl")x |"
