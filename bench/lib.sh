# Shared by the bench/*.sh scripts: source it after setting $tmp and $RUNS.

# best of RUNS: "seconds peak_kib" (wall time from the clock in ns; RSS from
# time(1)). The command's stdout is discarded.
measure() {
  local best="" rss=""
  for _ in $(seq "$RUNS"); do
    local t0 t1 s
    t0=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$tmp/t" "$@" > /dev/null
    t1=$(date +%s%N)
    s=$(awk "BEGIN{printf \"%.3f\", ($t1 - $t0) / 1e9}")
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; rss=$(cat "$tmp/t"); fi
  done
  echo "$best $rss"
}

ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }

# A loopback TCP port nobody listens on now.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null; then echo "$p"; return 0; fi
  done
  echo "no free port found" >&2
  return 1
}

# Waits (at most 20 s) until 127.0.0.1:$1 accepts connections.
wait_port() {
  for _ in $(seq 200); do
    if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1 after 20 s" >&2
  return 1
}

# The rate sd-bench-fill printed ("... : 12345 puts/s ..." or "entries/s").
rate_of() { sed -E 's/.*: ([0-9]+) (puts|entries)\/s.*/\1/'; }

# Starts redis-server on 127.0.0.1:$1 without persistence, its files in
# $tmp, logging to $2. Its pid is in $! afterwards.
start_redis() {
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" > "$2" 2>&1 &
}

# Starts a one-member etcd serving clients on 127.0.0.1:$1, its data in
# $tmp/etcd, a backend quota of $2 bytes, logging to $3. Its pid is in $!
# afterwards.
start_etcd() {
  local peer
  peer=$(free_port)
  etcd --name bench --data-dir "$tmp/etcd" \
    --listen-client-urls "http://127.0.0.1:$1" --advertise-client-urls "http://127.0.0.1:$1" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "bench=http://127.0.0.1:$peer" --quota-backend-bytes "$2" > "$3" 2>&1 &
}

# A write storm on a redis-server at 127.0.0.1:$1: RATE/10 SETs every 100 ms
# on the clock (redis-cli --pipe), cycling over the keys storm:0..19, for
# SECS seconds. With $2 = ttl each SET also gives its key a time to live of
# 10 to 99 s (PX), a different one each write, so a table that shows TTLs
# has a visible cell to redraw for every write. Prints "SENT WRITES_PER_S".
redis_storm() {
  local port=$1 ttl=${2:-} start tick sent=0 wait_ms
  start=$(($(date +%s%N) / 1000000))
  for tick in $(seq 0 $((SECS * 10 - 1))); do
    awk -v n=$((RATE / 10)) -v base="$sent" -v ttl="$ttl" 'BEGIN {
      for (i = 0; i < n; i++) {
        k = "storm:" ((base + i) % 20); v = "{\"n\":" (base + i) "}"
        if (ttl == "") {
          printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
        } else {
          ms = 10000 + ((base + i) * 7919) % 90000
          printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nPX\r\n$%d\r\n%d\r\n", length(k), k, length(v), v, length(ms ""), ms
        }
      }
    }' | redis-cli -p "$port" --pipe > /dev/null
    sent=$((sent + RATE / 10))
    wait_ms=$((start + (tick + 1) * 100 - $(date +%s%N) / 1000000))
    [ "$wait_ms" -gt 0 ] && sleep "$(awk -v m="$wait_ms" 'BEGIN{printf "%.3f", m / 1000}')"
  done
  echo "$sent $((sent * 1000 / ($(date +%s%N) / 1000000 - start)))"
}
