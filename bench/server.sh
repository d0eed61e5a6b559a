#!/bin/sh
# bench/server.sh BUILD [N] — e2ud beside Knot DNS and NSD with the shared yardstick
# (../shared/bench/peers.py), on the number-portability data set of gen_np.py (default
# 1 000 000 numbers), in one run. `make bench-server` runs it.
#
# e2ud's load time includes the import of the same master file into a fresh store (OURS_PREP);
# it then serves with one UDP worker, as peers.py configures Knot and NSD (udp-workers: 1,
# server-count: 1). SERVERS overrides the peers ("knot nsd" by default; add pdns when
# pdns-server and pdns-backend-lmdb are installed). DUR sets dnsperf's seconds.
set -eu
B=${1:-build}
N=${2:-1000000}
ROOT=$(pwd)
DATA=${DATA:-$ROOT/bench/data/np$N}
[ -f "$DATA/1.e164.arpa.zone" ] || python3 ../shared/bench/gen_np.py "$N" "$DATA" 1000000
export OURS_PREP="$ROOT/$B/tools/e2uctl/e2uctl -d {dir}/db --no-sync import {data}/1.e164.arpa.zone"
export OURS_CMD="$ROOT/$B/server/e2ud -d {dir}/db -l 127.0.0.1@{port} -n ${E2UD_WORKERS:-1}"
python3 ../shared/bench/peers.py "$DATA" ${SERVERS:-knot nsd} ours

# peers.py reads memory before the load; an mmap'ed store grows as queries touch its pages, so
# also read e2ud's PSS after dnsperf has asked the whole query set.
W=$(mktemp -d /tmp/e2u-bench-server.XXXXXX)
trap 'kill $EPID 2>/dev/null; rm -rf "$W"' EXIT INT TERM
"$ROOT/$B/tools/e2uctl/e2uctl" -d "$W/db" --no-sync import "$DATA/1.e164.arpa.zone" > /dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$ROOT/$B/server/e2ud" -d "$W/db" -l "127.0.0.1@$PORT" -n "${E2UD_WORKERS:-1}" 2> "$W/log" &
EPID=$!
sleep 1
dnsperf -s 127.0.0.1 -p "$PORT" -d "$DATA/queries.txt" -l "${DUR:-10}" -c 16 -T 2 -q 500 > "$W/perf" 2>&1
pss=$(awk '/^Pss:/ { print int($2 / 1024) }' "/proc/$EPID/smaps_rollup")
store=$(du -sm "$W/db" | cut -f1)
printf 'e2ud after %ss of dnsperf: PSS %s MiB (store %s MiB on disk), %s qps\n' "${DUR:-10}" "$pss" "$store" \
    "$(awk '/Queries per second/ { print int($4) }' "$W/perf")"
