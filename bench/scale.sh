#!/bin/sh
# bench/scale.sh BUILD — e2ud's query rate on a 100 M-number store beside a 1 M-number store,
# in one run (issue 5: within 10 %). `make bench-scale` runs it.
#
# Data: ../shared/bench/gen_np.py for 1 M and for 100 M numbers (SMALL and BIG name the data
# folders; a missing one is generated, which for 100 M takes about 11 minutes, several GiB of
# memory and 24 GB of disk). Each is imported once into a store kept beside its data (store/,
# reused by later runs). Then ROUNDS rounds (default 3), each starting e2ud on the small store
# and then on the big one, one UDP worker as in bench/server.sh, waiting until e2ud has loaded
# the store's pages and built its number index, and driving it with dnsperf for DUR seconds
# (default 10) with the dnsperf settings of ../shared/bench/peers.py. Printed: each run's
# queries per second and e2ud's CPU microseconds per query, the medians, and big / small.
# Alternating the two in every round keeps the machine's noise out of the ratio as far as it
# can be.
#
# HUGE=off runs e2ud with store-huge-pages: off, after dropping the store file from the page
# cache before each start, so that its pages come back as 4 KiB pages (what e2ud gets on a
# kernel or filesystem without large folios): the figure huge pages are measured against.
set -eu
B=${1:-build}
ROOT=$(pwd)
SMALL=${SMALL:-$ROOT/bench/data/np1000000}
BIG=${BIG:-$ROOT/bench/data/np100000000}
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-10}
CTL="$ROOT/$B/tools/e2uctl/e2uctl"
E2UD="$ROOT/$B/server/e2ud"
. "$ROOT/bench/lib.sh"
W=$(mktemp -d /tmp/e2u-bench-scale.XXXXXX)
EPID=
trap '[ -n "$EPID" ] && kill $EPID 2>/dev/null; rm -rf "$W"' EXIT INT TERM

prepare() { # DIR N
    [ -f "$1/1.e164.arpa.zone" ] || python3 ../shared/bench/gen_np.py "$2" "$1" 1000000
    if [ ! -f "$1/store/data.mdb" ] || [ "$1/1.e164.arpa.zone" -nt "$1/store/data.mdb" ]; then
        rm -rf "$1/store"
        echo "importing $1/1.e164.arpa.zone"
        "$CTL" -d "$1/store" import "$1/1.e164.arpa.zone"
    fi
}
prepare "$SMALL" 1000000
prepare "$BIG" 100000000

HUGE=${HUGE:-on}
printf 'server:\n    store-huge-pages: %s\n' "$HUGE" > "$W/e2ud.conf"
drop() { # FILE: out of the page cache (its clean pages)
    python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$1"
}

run() { # DIR -> "qps cpu_us_per_query"
    p=$(free_port)
    [ "$HUGE" = on ] || drop "$1/store/data.mdb"
    "$E2UD" -d "$1/store" -l "127.0.0.1@$p" -n 1 -c "$W/e2ud.conf" 2> "$W/log" &
    EPID=$!
    # e2ud logs when its background threads have mapped every page of the store and built
    # the number index (or found it over its size limit)
    i=0
    until grep -q "store loaded" "$W/log" && grep -q "number index:" "$W/log"; do
        i=$((i + 1))
        [ $i -lt 1800 ] || { echo "e2ud did not load $1/store" >&2; cat "$W/log" >&2; exit 1; }
        sleep 0.2
    done
    dnsperf_cpu $EPID "$p" "$1/queries.txt" "$DUR" "$W/perf" > "$W/result"
    kill $EPID
    wait $EPID 2>/dev/null || true
    EPID=
    grep -E "store loaded|number index:" "$W/log" | sed 's/^.*Z [a-z]*: /    e2ud: /' >&2
    cat "$W/result"
}

: > "$W/small"
: > "$W/big"
r=1
while [ $r -le "$ROUNDS" ]; do
    s=$(run "$SMALL")
    b=$(run "$BIG")
    echo "$s" >> "$W/small"
    echo "$b" >> "$W/big"
    printf 'round %d: 1 M store %s qps %s us/q;  100 M store %s qps %s us/q\n' "$r" \
        ${s% *} ${s#* } ${b% *} ${b#* }
    r=$((r + 1))
done
med() { sort -n -k"$2" "$1" | awk -v k="$2" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'; }
sq=$(med "$W/small" 1) bq=$(med "$W/big" 1) sc=$(med "$W/small" 2) bc=$(med "$W/big" 2)
echo "store-huge-pages: $HUGE"
printf 'median: 1 M store %s qps, %s us/q; 100 M store %s qps, %s us/q\n' "$sq" "$sc" "$bq" "$bc"
awk -v b="$bq" -v s="$sq" 'BEGIN { printf "100 M / 1 M queries per second: %.3f (target >= 0.90)\n", b / s }'
