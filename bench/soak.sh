#!/bin/sh
# bench/soak.sh BUILD — e2ud under sustained load while its data changes (`make soak`).
#
# dnsperf drives e2ud at the highest rate it sustains for SOAK_SECONDS (default 600) on the
# 1 M-number data set, while e2uctl changes 1000 numbers every second (one merge import of
# 1000 CSV rows a second, on a fixed schedule that catches up when a batch ran late: new
# routing numbers for random existing numbers; each commit synced to disk, as e2uctl does by
# default). Printed: queries sent, answered and lost; the numbers changed; e2ud's memory at the
# start, in the middle and at the end, as PSS split into its own (heap, stacks: must stay flat)
# and the store's file pages it has mapped, beside the store's size on disk. The store grows
# while it runs: every change copies the B-tree pages it touches (LMDB is copy-on-write) and
# adds a journal entry, up to the 1000 the journal keeps, so the pages e2ud maps grow with it
# and level off where freed pages start to be reused.
set -eu
B=${1:-build}
ROOT=$(pwd)
SECS=${SOAK_SECONDS:-600}
DATA=${DATA:-$ROOT/bench/data/np1000000}
[ -f "$DATA/1.e164.arpa.zone" ] || python3 ../shared/bench/gen_np.py 1000000 "$DATA" 1000000
W=$(mktemp -d /tmp/e2u-soak.XXXXXX)
EPID= CPID=
trap 'kill $EPID $CPID 2>/dev/null || true; rm -rf "$W"' EXIT INT TERM
CTL="$ROOT/$B/tools/e2uctl/e2uctl"
"$CTL" -d "$W/db" --no-sync import "$DATA/1.e164.arpa.zone" > /dev/null
. "$(dirname "$0")/lib.sh"
PORT=$(free_port)
"$ROOT/$B/server/e2ud" -d "$W/db" -l "127.0.0.1@$PORT" 2> "$W/e2ud.log" &
EPID=$!
sleep 1
# "own file store": e2ud's anonymous PSS, its file-backed PSS, and the store's size, in MiB
mem() {
    awk '/^Pss_Anon:/ { a = $2 } /^Pss_File:/ { f = $2 }
         END { printf "%d %d ", a / 1024, f / 1024 }' "/proc/$EPID/smaps_rollup"
    du -m "$W/db/data.mdb" | cut -f1
}
# warm up so the start figure includes the pages a full query set touches
dnsperf -s 127.0.0.1 -p "$PORT" -d "$DATA/queries.txt" -l 10 > /dev/null 2>&1
MEM0=$(mem)
# the changer: 1000 numbers a second, each second one transaction
cut -d, -f1 "$DATA/numbers.csv" | sort -u > "$W/all"
(
    n=0
    t_start=$(date +%s%N)
    while :; do
        shuf -n 1000 "$W/all" | awk -v s=$n '{ printf "%s,+1%010d\n", $1, (s * 1000 + NR) % 9999999999 }' > "$W/batch.csv"
        "$CTL" -d "$W/db" import --merge -q "$W/batch.csv" > /dev/null 2>&1 && echo 1000 >> "$W/changes"
        n=$((n + 1))
        # batch n is due at start + n seconds; one that ran late is followed at once
        left=$(( (t_start + n * 1000000000 - $(date +%s%N)) / 1000000 ))
        [ $left -gt 0 ] && sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
    done
) &
CPID=$!
dnsperf -s 127.0.0.1 -p "$PORT" -d "$DATA/queries.txt" -l "$((SECS / 2))" -c 16 -T 2 -q 1000 > "$W/p1" 2>&1
MEM1=$(mem)
dnsperf -s 127.0.0.1 -p "$PORT" -d "$DATA/queries.txt" -l "$((SECS - SECS / 2))" -c 16 -T 2 -q 1000 > "$W/p2" 2>&1
MEM2=$(mem)
kill $CPID 2>/dev/null || true
wait $CPID 2>/dev/null || true
kill -TERM $EPID
erc=0
wait $EPID || erc=$?
EPID=
sent=$(awk '/Queries sent/ { s += $3 } END { print s }' "$W/p1" "$W/p2")
done_=$(awk '/Queries completed/ { s += $3 } END { print s }' "$W/p1" "$W/p2")
lost=$(awk '/Queries lost/ { s += $3 } END { print s }' "$W/p1" "$W/p2")
qps=$(awk '/Queries per second/ { s += $4; n++ } END { printf "%.0f", s / n }' "$W/p1" "$W/p2")
changes=$(awk '{ s += $1 } END { print s + 0 }' "$W/changes" 2>/dev/null || echo 0)
echo "soak: ${SECS}s of dnsperf against e2ud with 1 M numbers, e2uctl changing 1000 numbers a second"
echo "queries sent $sent, answered $done_, lost $lost ($qps per second on average)"
echo "numbers changed $changes ($(awk -v c="$changes" -v s="$SECS" 'BEGIN { printf "%.0f", c / s }') per second)"
show() { printf '%s: e2ud own %s MiB, store pages mapped %s MiB (store file %s MiB)\n' "$1" $2 $3 $4; }
show "e2ud memory (PSS) at start " $MEM0
show "e2ud memory (PSS) in middle" $MEM1
show "e2ud memory (PSS) at end   " $MEM2
echo "e2ud stopped by SIGTERM with status $erc; its log: $(grep -c -E 'error|critical' "$W/e2ud.log") errors"
