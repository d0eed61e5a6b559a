#!/bin/sh
# bench/soak.sh BUILD — e2ud under sustained load while its data changes (`make soak`).
#
# dnsperf drives e2ud at the highest rate it sustains for SOAK_SECONDS (default 600) on the
# 1 M-number data set, while e2uctl changes 1000 numbers every second (one merge import of
# 1000 CSV rows a second: new routing numbers for random existing numbers). Printed: queries
# sent, answered and lost; the number of changes applied; e2ud's memory (PSS) at the start, in
# the middle and at the end, which must stay flat.
set -eu
B=${1:-build}
ROOT=$(pwd)
SECS=${SOAK_SECONDS:-600}
DATA=${DATA:-$ROOT/bench/data/np1000000}
[ -f "$DATA/1.e164.arpa.zone" ] || python3 ../shared/bench/gen_np.py 1000000 "$DATA" 1000000
W=$(mktemp -d /tmp/e2u-soak.XXXXXX)
trap 'kill $EPID $CPID 2>/dev/null; rm -rf "$W"' EXIT INT TERM
CTL="$ROOT/$B/tools/e2uctl/e2uctl"
"$CTL" -d "$W/db" --no-sync import "$DATA/1.e164.arpa.zone" > /dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$ROOT/$B/server/e2ud" -d "$W/db" -l "127.0.0.1@$PORT" 2> "$W/e2ud.log" &
EPID=$!
sleep 1
pss() { awk '/^Pss:/ { print int($2 / 1024) }' "/proc/$EPID/smaps_rollup"; }
# warm up so the start figure includes the pages a full query set touches
dnsperf -s 127.0.0.1 -p "$PORT" -d "$DATA/queries.txt" -l 10 > /dev/null 2>&1
PSS0=$(pss)
# the changer: 1000 numbers a second, each second one transaction
cut -d, -f1 "$DATA/numbers.csv" | sort -u > "$W/all"
(
    n=0
    while :; do
        shuf -n 1000 "$W/all" | awk -v s=$n '{ printf "%s,+1%010d\n", $1, (s * 1000 + NR) % 9999999999 }' > "$W/batch.csv"
        t0=$(date +%s%N)
        "$CTL" -d "$W/db" import --merge -q "$W/batch.csv" > /dev/null 2>&1 && echo 1000 >> "$W/changes"
        n=$((n + 1))
        t1=$(date +%s%N)
        left=$(( (1000000000 - (t1 - t0)) / 1000000 ))
        [ $left -gt 0 ] && sleep "0.$(printf '%03d' $left)"
    done
) &
CPID=$!
dnsperf -s 127.0.0.1 -p "$PORT" -d "$DATA/queries.txt" -l "$((SECS / 2))" -c 16 -T 2 -q 1000 > "$W/p1" 2>&1
PSS1=$(pss)
dnsperf -s 127.0.0.1 -p "$PORT" -d "$DATA/queries.txt" -l "$((SECS - SECS / 2))" -c 16 -T 2 -q 1000 > "$W/p2" 2>&1
PSS2=$(pss)
kill $CPID 2>/dev/null || true
wait $CPID 2>/dev/null || true
sent=$(awk '/Queries sent/ { s += $3 } END { print s }' "$W/p1" "$W/p2")
done_=$(awk '/Queries completed/ { s += $3 } END { print s }' "$W/p1" "$W/p2")
lost=$(awk '/Queries lost/ { s += $3 } END { print s }' "$W/p1" "$W/p2")
qps=$(awk '/Queries per second/ { s += $4; n++ } END { printf "%.0f", s / n }' "$W/p1" "$W/p2")
changes=$(awk '{ s += $1 } END { print s + 0 }' "$W/changes" 2>/dev/null || echo 0)
echo "soak: ${SECS}s of dnsperf against e2ud with 1 M numbers, e2uctl changing 1000 numbers a second"
echo "queries sent $sent, answered $done_, lost $lost ($qps per second on average)"
echo "numbers changed $changes ($(awk -v c="$changes" -v s="$SECS" 'BEGIN { printf "%.0f", c / s }') per second)"
echo "e2ud PSS: start $PSS0 MiB, middle $PSS1 MiB, end $PSS2 MiB"
