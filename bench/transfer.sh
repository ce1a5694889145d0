#!/usr/bin/env bash
# Snapshots and migration (issue 6) against real servers on loopback, beside
# the servers' own write benchmarks in the same run:
#   - export N entries from SQLite to a snapshot (plain and gzip); import it
#     into SQLite, Redis and etcd; migrate between SQLite, Redis and etcd;
#     verify
#   - references: redis-benchmark -t set -P 64, and etcd fed the same
#     number of puts as prebuilt 128-operation txns by curl, 8 in parallel
#   - peak memory of exporting a 1 GiB snapshot beside a 1 MiB one
# Usage: bench/transfer.sh [BUILD_DIR]   (N, BIG_MIB override the sizes)
set -euo pipefail
build=${1:-build}
ctl="$build/app/statedeckctl"
fill="$build/bench/sd-bench-fill"
N=${N:-100000}
BIG_MIB=${BIG_MIB:-1024}
tmp=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
export XDG_STATE_HOME="$tmp/state" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"

rport=$(free_port)
start_redis "$rport" "$tmp/redis.log"
redis=$!
eport=$(free_port)
start_etcd "$eport" 8589934592 "$tmp/etcd.log"
etcd=$!
trap 'rc=$?; kill "$redis" "$etcd" 2> /dev/null; wait "$redis" "$etcd" 2> /dev/null || true; rm -rf "$tmp"; exit $rc' EXIT
wait_port "$rport"
wait_port "$eport"
ep="127.0.0.1:$eport"

# One run: "seconds peak_kib" (a transfer is not repeatable on the same
# target, so no best-of).
timed() {
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$tmp/t" "$@" > "$tmp/out" 2> "$tmp/err" || { cat "$tmp/err" >&2; return 1; }
  t1=$(date +%s%N)
  echo "$(awk "BEGIN{printf \"%.2f\", ($t1 - $t0) / 1e9}") $(cat "$tmp/t")"
}
rate() { awk "BEGIN{printf \"%d\", $1 / $2}"; }
mib() { echo $(($1 / 1024)); }

redis_url() { echo "redis://127.0.0.1:$rport/$1"; }
etcd_url() { echo "etcd://$ep?root=$1"; }

echo "filling $N entries into SQLite (sd-bench-fill, batches of 1000)..."
src="$tmp/src.db"
"$fill" sqlite "$N" "path=$src" --prefix bench/ --batch 1000
[ "$("$ctl" --store "sqlite://$src" ls bench/ -o value --page-size 5000 | wc -l)" -eq "$N" ]

# ---- references ----------------------------------------------------------------
echo "redis-benchmark -t set -n $N -P 64..."
redis_ref=$(redis-benchmark -h 127.0.0.1 -p "$rport" -t set -n "$N" -r "$N" -d 50 -q -P 64 | tr '\r' '\n' \
  | grep -E '^SET: [0-9.]+ requests per second' | tail -1 | sed -E 's/SET: ([0-9.]+).*/\1/')
redis_ref=${redis_ref%.*}
redis-cli -p "$rport" flushall > /dev/null

echo "etcd: $N puts as 128-operation txns, curl, 8 in parallel..."
mkdir -p "$tmp/txns"
perl -MMIME::Base64 -e '
  my ($n, $dir) = @ARGV;
  for (my $start = 0, my $f = 0; $start < $n; $start += 128, ++$f) {
    open(my $fh, ">", "$dir/t$f.json") or die;
    my @ops;
    for (my $i = $start; $i < $start + 128 && $i < $n; ++$i) {
      my $key = sprintf("/ref/bench/%08d", $i);
      my $val = sprintf("{\"id\":%d,\"name\":\"entry-%d\",\"enabled\":%s}", $i, $i, $i % 2 ? "false" : "true");
      push @ops, sprintf("{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}", encode_base64($key, ""), encode_base64($val, ""));
    }
    print $fh "{\"success\":[" . join(",", @ops) . "]}";
    close($fh);
  }' "$N" "$tmp/txns"
t0=$(date +%s%N)
ls "$tmp"/txns/*.json | xargs -P 8 -I{} curl -sf -o /dev/null -X POST "http://$ep/v3/kv/txn" --data-binary @{}
t1=$(date +%s%N)
etcd_ref=$(awk "BEGIN{printf \"%d\", $N / (($t1 - $t0) / 1e9)}")
[ "$(ETCDCTL_API=3 etcdctl --endpoints "$ep" get --prefix /ref/bench/ --keys-only | grep -c .)" -eq "$N" ]

# ---- export and import -----------------------------------------------------------
rows=()
row() { rows+=("| $1 | $2 | $3 | $4 MiB | $5 |"); }

read -r s rss < <(timed "$ctl" --store "sqlite://$src" export bench/ -o "$tmp/snap.jsonl")
row "export SQLite -> snapshot (plain, $(($(stat -c %s "$tmp/snap.jsonl") / 1048576)) MiB)" "$(rate "$N" "$s")" "$s" "$(mib "$rss")" "-"
read -r s rss < <(timed "$ctl" --store "sqlite://$src" export bench/ -o "$tmp/snap.jsonl.gz")
row "export SQLite -> snapshot (gzip, $(($(stat -c %s "$tmp/snap.jsonl.gz") / 1048576)) MiB)" "$(rate "$N" "$s")" "$s" "$(mib "$rss")" "-"

read -r s rss < <(timed "$ctl" --store "sqlite://$tmp/imp.db" import "$tmp/snap.jsonl.gz")
row "import snapshot -> SQLite" "$(rate "$N" "$s")" "$s" "$(mib "$rss")" "-"
read -r s rss < <(timed "$ctl" --store "$(redis_url 1)" import "$tmp/snap.jsonl.gz")
r=$(rate "$N" "$s")
row "import snapshot -> Redis" "$r" "$s" "$(mib "$rss")" "$(ratio "$r" "$redis_ref") of redis-benchmark -P 64"
read -r s rss < <(timed "$ctl" --store "$(etcd_url /imp)" import "$tmp/snap.jsonl.gz")
r=$(rate "$N" "$s")
row "import snapshot -> etcd" "$r" "$s" "$(mib "$rss")" "$(ratio "$r" "$etcd_ref") of curl 128-op txns"

# ---- migrate -------------------------------------------------------------------------
migrate() { # label from to reference-rate reference-name
  read -r s rss < <(timed "$ctl" migrate --from "$2" --to "$3" bench/ --no-verify -q)
  local r
  r=$(rate "$N" "$s")
  row "migrate $1" "$r" "$s" "$(mib "$rss")" "${4:+$(ratio "$r" "$4") of $5}"
}
migrate "SQLite -> Redis" "sqlite://$src" "$(redis_url 2)" "$redis_ref" "redis-benchmark -P 64"
migrate "SQLite -> etcd" "sqlite://$src" "$(etcd_url /m1)" "$etcd_ref" "curl 128-op txns"
migrate "Redis -> etcd" "$(redis_url 2)" "$(etcd_url /m2)" "$etcd_ref" "curl 128-op txns"
migrate "etcd -> Redis" "$(etcd_url /m1)" "$(redis_url 3)" "$redis_ref" "redis-benchmark -P 64"
migrate "Redis -> SQLite" "$(redis_url 2)" "sqlite://$tmp/m1.db" "" ""
migrate "etcd -> SQLite" "$(etcd_url /m1)" "sqlite://$tmp/m2.db" "" ""
read -r s rss < <(timed "$ctl" verify --from "sqlite://$src" --to "$(etcd_url /m1)" bench/ -q)
row "verify SQLite against etcd" "$(rate "$N" "$s")" "$s" "$(mib "$rss")" "-"

# ---- peak memory: a 1 GiB snapshot against a 1 MiB one ---------------------------
echo "filling $BIG_MIB values of 1 MiB..."
big="$tmp/big.db"
head -c 786432 /dev/urandom | base64 -w0 > "$tmp/value.txt" # 1 MiB of text
for i in $(seq "$BIG_MIB"); do
  "$ctl" --store "sqlite://$big" put "big/$(printf %05d "$i")" "$tmp/value.txt" --encoding text > /dev/null
done
read -r s1 rss1 < <(timed "$ctl" --store "sqlite://$big" export big/00001 -o "$tmp/one.jsonl")
read -r sb rssb < <(timed "$ctl" --store "sqlite://$big" export big/ -o "$tmp/big.jsonl")
size1=$(stat -c %s "$tmp/one.jsonl")
sizeb=$(stat -c %s "$tmp/big.jsonl")
rm -f "$tmp/big.jsonl"

echo
echo "| work ($N entries) | entries/s | seconds | peak RSS | share of the target's own write rate |"
echo "| --- | --- | --- | --- | --- |"
echo "| redis-benchmark -t set -n $N -P 64 (reference) | $redis_ref | - | - | 1.00 |"
echo "| etcd: $N puts as 128-op txns, curl, 8 in parallel (reference) | $etcd_ref | - | - | 1.00 |"
printf '%s\n' "${rows[@]}"
echo
echo "| export | snapshot size | seconds | peak RSS |"
echo "| --- | --- | --- | --- |"
echo "| one 1 MiB value | $((size1 / 1048576)) MiB | $s1 | $(mib "$rss1") MiB |"
echo "| $BIG_MIB values of 1 MiB | $((sizeb / 1048576)) MiB | $sb | $(mib "$rssb") MiB |"
