#!/bin/sh
# bench/lookup.sh BUILD — e2u lookup batch throughput beside dnsperf, against one local Knot.
#
# Data: shared/bench/gen_np.py (N numbers, default 100000), served by Knot DNS on a free
# loopback port. In the same run: dnsperf's queries per second on the data set's query file,
# then `e2u lookup --server` resolving 100 000 numbers from standard input (the same names,
# as numbers), with and without its answer cache. Printed: both rates and the ratio.
set -eu
B=${1:-build}
E2U="$(pwd)/$B/tools/e2u"
N=${N:-100000}
DUR=${DUR:-10}
DATA=${DATA:-bench/data/np$N}
GEN=../shared/bench/gen_np.py
[ -f "$DATA/1.e164.arpa.zone" ] || python3 "$GEN" "$N" "$DATA" 200000
DATA=$(cd "$DATA" && pwd)
W=$(mktemp -d /tmp/e2u-bench-lookup.XXXXXX)
. "$(dirname "$0")/lib.sh"
PORT=$(free_port)
mkdir -p "$W/db"
cat > "$W/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$PORT
    rundir: $W
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: $W/db
template:
  - id: default
    storage: $DATA
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: 1.e164.arpa
    file: 1.e164.arpa.zone
CONF
knotd -c "$W/knot.conf" > "$W/knot.log" 2>&1 &
KPID=$!
trap 'kill $KPID 2>/dev/null; rm -rf "$W"' EXIT INT TERM
PROBE=$(head -1 "$DATA/queries.txt" | cut -d' ' -f1)
i=0
until kdig @127.0.0.1 -p "$PORT" +short +timeout=1 +retry=0 NAPTR "$PROBE" | grep -q E2U; do
    i=$((i + 1)); [ $i -lt 300 ] || { echo "knot did not start"; cat "$W/knot.log"; exit 1; }
    sleep 0.2
done
# the query names as numbers: reverse the digit labels
head -100000 "$DATA/queries.txt" | cut -d' ' -f1 | sed 's/\.e164\.arpa$//' |
    awk -F. '{ s = "+"; for (i = NF; i >= 1; i--) s = s $i; print s }' > "$W/numbers.txt"

dnsperf -s 127.0.0.1 -p "$PORT" -d "$DATA/queries.txt" -l "$DUR" -c 16 -T 2 -q 500 > "$W/dnsperf.out" 2>&1
DQPS=$(awk '/Queries per second/ { print int($4) }' "$W/dnsperf.out")

run() {
    t0=$(date +%s.%N)
    "$E2U" lookup --server "127.0.0.1@$PORT" --json --no-progress "$@" < "$W/numbers.txt" > "$W/out.json" || true
    t1=$(date +%s.%N)
    n=$(wc -l < "$W/out.json")
    ok=$(grep -c '"status":"ok"' "$W/out.json" || true)
    echo "$t0 $t1 $n $ok" | awk '{ printf "%d %d %.0f\n", $3, $4, $3 / ($2 - $1) }'
}
set -- $(run --no-cache)
NC_N=$1 NC_OK=$2 NC_RATE=$3
set -- $(run)
C_N=$1 C_OK=$2 C_RATE=$3
printf '%-34s %10s\n' "" "per second"
printf '%-34s %10d\n' "dnsperf queries (16 clients, 2 thr)" "$DQPS"
printf '%-34s %10d   (%d numbers, %d ok)\n' "e2u lookup --no-cache" "$NC_RATE" "$NC_N" "$NC_OK"
printf '%-34s %10d   (%d numbers, %d ok)\n' "e2u lookup (answer cache)" "$C_RATE" "$C_N" "$C_OK"
awk -v a="$NC_RATE" -v b="$DQPS" 'BEGIN { printf "ratio e2u lookup --no-cache / dnsperf: %.2f (target >= 0.50)\n", a / b }'
