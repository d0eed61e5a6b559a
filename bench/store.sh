#!/bin/sh
# bench/store.sh BUILD [DATA] — the store's benchmarks (issue 4), part of `make bench`.
#
#   1. Knot DNS's load time for DATA's master file, measured here, in this run: knotd started
#      on loopback, timed until it answers a NAPTR query for a number of the zone.
#   2. `e2uctl import` of the same master file, then of the same data as CSV (fresh stores),
#      wall time; target at most 1/5 of Knot's load time.
#   3. Bytes per number of the store: LMDB pages holding data x page size / numbers (e2uctl
#      stats); target at most 48.
#   4. In-process lookups per second on one thread (bench_store: e2u_store_find with the NAPTR
#      RRset expanded, on DATA's queries.txt); target at least 1 000 000. Best and median of
#      five runs, the machines being noisy.
#
# DATA is a directory made by ../shared/bench/gen_np.py (default bench/data/np1000000, as the
# other benchmarks use, generated with 1 000 000 numbers when missing). Stores go to a scratch directory removed afterwards.
set -eu
B=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-$HERE/data/np1000000}
GEN="$HERE/../../shared/bench/gen_np.py"
E2UCTL="$B/tools/e2uctl/e2uctl"
BENCH="$B/bench/bench_store"

if [ ! -f "$DATA/1.e164.arpa.zone" ]; then
    echo "generating $DATA (gen_np.py 1000000) ..."
    python3 "$GEN" 1000000 "$DATA"
fi
ZONE="$DATA/1.e164.arpa.zone"
CSV="$DATA/numbers.csv"
TMP=$(mktemp -d /tmp/e2u-bench-store.XXXXXX)
KNOT_PID=
cleanup() {
    [ -n "$KNOT_PID" ] && kill "$KNOT_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# --- 1. Knot ----------------------------------------------------------------------------------
KNOT_S=
PROBE=$(head -n 1 "$DATA/queries.txt" | cut -d' ' -f1)
if command -v knotd >/dev/null && command -v kdig >/dev/null; then
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir -p "$TMP/knot"
    cat > "$TMP/knot/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$PORT
    rundir: $TMP/knot
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: $TMP/knot/db
template:
  - id: default
    storage: $DATA
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: 1.e164.arpa
    file: 1.e164.arpa.zone
EOF
    T0=$(now)
    knotd -c "$TMP/knot/knot.conf" > "$TMP/knot/log" 2>&1 &
    KNOT_PID=$!
    while ! kdig @127.0.0.1 -p "$PORT" +short +timeout=1 +retry=0 NAPTR "$PROBE" 2>/dev/null \
            | grep -q E2U; do
        kill -0 "$KNOT_PID" 2>/dev/null || { echo "knotd died"; cat "$TMP/knot/log"; break; }
        sleep 0.1
    done
    T1=$(now)
    KNOT_S=$(secs "$T0" "$T1")
    kill "$KNOT_PID" 2>/dev/null || true
    wait "$KNOT_PID" 2>/dev/null || true
    KNOT_PID=
fi

# --- 2. imports -------------------------------------------------------------------------------
T0=$(now)
"$E2UCTL" -d "$TMP/zone" import -q "$ZONE"
T1=$(now)
ZONE_S=$(secs "$T0" "$T1")
T0=$(now)
"$E2UCTL" -d "$TMP/csv" import -q --zone 1.e164.arpa "$CSV"
T1=$(now)
CSV_S=$(secs "$T0" "$T1")

# --- 3. size ------------------------------------------------------------------------------------
BPN=$("$E2UCTL" -d "$TMP/zone" stats | awk '/bytes per number/ { print $4 }')
USED=$("$E2UCTL" -d "$TMP/zone" stats | awk '/bytes in use/ { print $4 }')
NUMS=$("$E2UCTL" -d "$TMP/zone" stats | awk '/^numbers/ { print $2 }')

echo "== store (issue 4): $NUMS numbers from $DATA"
if [ -n "$KNOT_S" ]; then
    echo "Knot DNS load (until it answers)   $KNOT_S s"
    echo "e2uctl import, master file         $ZONE_S s  (target <= $(awk -v k="$KNOT_S" 'BEGIN { printf "%.2f", k / 5 }') s, 1/5 of Knot)"
else
    echo "Knot DNS load                      (knotd or kdig missing)"
    echo "e2uctl import, master file         $ZONE_S s"
fi
echo "e2uctl import, CSV                 $CSV_S s"
echo "store bytes per number             $BPN  ($USED bytes in use; target <= 48)"

# --- 4. lookups ---------------------------------------------------------------------------------
if [ -x "$BENCH" ]; then
    RUNS=""
    for i in 1 2 3 4 5; do
        R=$("$BENCH" "$TMP/zone" "$DATA/queries.txt" 2 | awk '/^lookups\/s/ { print $2 }')
        RUNS="$RUNS $R"
    done
    echo "$RUNS" | tr ' ' '\n' | grep . | sort -n | awk '
        { v[NR] = $1 } END { printf "in-process lookups/s, one thread   best %d, median %d  (target >= 1000000; runs:", v[NR], v[int((NR + 1) / 2)];
                             for (i = 1; i <= NR; i++) printf " %d", v[i]; print ")" }'
else
    echo "in-process lookups/s               ($BENCH not built)"
fi
