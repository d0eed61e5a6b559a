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
# the peers: a missing one is installed when run as root (as scripts/deps.sh does for the
# test peers; NSD and PowerDNS are needed only here), else left out with the command to run
PEERS=
for s in ${SERVERS:-knot nsd}; do
    case $s in
        knot) bin=knotd pkgs=knot ;;
        nsd) bin=nsd pkgs=nsd ;;
        pdns) bin=pdns_server pkgs="pdns-server pdns-backend-lmdb" ;;
        *) echo "bench-server: unknown server '$s' (knot, nsd, pdns)" >&2; exit 2 ;;
    esac
    if ! command -v "$bin" >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "bench-server: installing $pkgs"
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs > /dev/null ||
            true
    fi
    if command -v "$bin" >/dev/null 2>&1; then
        PEERS="$PEERS $s"
    else
        echo "bench-server: $s left out: not installed (apt-get install $pkgs)" >&2
    fi
done
W=$(mktemp -d /tmp/e2u-bench-server.XXXXXX)
EPID=
trap '[ -z "$EPID" ] || kill $EPID 2>/dev/null; rm -rf "$W"' EXIT INT TERM
# shellcheck disable=SC2086
python3 ../shared/bench/peers.py "$DATA" $PEERS ours | tee "$W/peers"

# peers.py reads memory before the load; an mmap'ed store grows as queries touch its pages, so
# also read e2ud's PSS after dnsperf has asked the whole query set. Beside it, the floor in the
# same run: bench/udp_echo (recvmmsg/sendmmsg, no DNS work) under the same dnsperf load, its
# CPU per query being what the kernel alone costs on this machine today; and e2ud again without
# its number index (store-index: off), to show what the index saves, and with rate limiting on.
. "$ROOT/bench/lib.sh"
"$ROOT/$B/tools/e2uctl/e2uctl" -d "$W/db" --no-sync import "$DATA/1.e164.arpa.zone" > /dev/null
load() { # PID PORT -> "qps cpu_us_per_query wait% idle%" (dnsperf as peers.py runs it; how
          # long the server waited for a core while runnable, and how idle the machine was)
    _m0=$(sched_mark "$1")
    _r=$(dnsperf_cpu "$1" "$2" "$DATA/queries.txt" "${DUR:-10}" "$W/perf")
    echo "$_r $(sched_share "$_m0" "$(sched_mark "$1")")"
}
PORT=$(free_port)
"$ROOT/$B/bench/udp_echo" 127.0.0.1 "$PORT" &
EPID=$!
sleep 0.5
set -- $(load $EPID "$PORT")
kill $EPID
wait $EPID 2>/dev/null || true
ECHO_QPS=$1 ECHO_CPU=$2 ECHO_SCHED="waited for a core $3 % of its runnable time, machine $4 % idle"
# e2ud as peers.py ran it, then with its number index off (store-index: off), same load
printf 'server:\n    store-index: off\n' > "$W/noindex.conf"
# and with response rate limiting on, at a rate this load never reaches (dnsperf asks from one
# address): what counting every answer against its bucket costs
cat > "$W/rrl.conf" <<EOF
mod-rrl:
  - id: bench
    rate-limit: 4000000
template:
  - id: default
    global-module: mod-rrl/bench
EOF
E2UD_CPU=
for conf in "" "$W/noindex.conf" "$W/rrl.conf"; do
    PORT=$(free_port)
    "$ROOT/$B/server/e2ud" -d "$W/db" -l "127.0.0.1@$PORT" -n "${E2UD_WORKERS:-1}" \
        ${conf:+-c "$conf"} 2> "$W/log" &
    EPID=$!
    sleep 1
    set -- $(load $EPID "$PORT")
    pss=$(awk '/^Pss:/ { print int($2 / 1024) }' "/proc/$EPID/smaps_rollup")
    kill $EPID
    wait $EPID 2>/dev/null || true
    EPID=
    store=$(du -sm "$W/db" | cut -f1)
    case $conf in
        "") what= ;;
        *noindex*) what=" without number index" ;;
        *) what=" with rate limiting (mod-rrl, limit not reached)" ;;
    esac
    printf 'e2ud%s after %ss of dnsperf: PSS %s MiB (store %s MiB on disk), %s qps, %s us/query\n' \
        "$what" "${DUR:-10}" "$pss" "$store" "$1" "$2"
    printf '    (e2ud waited for a core %s %% of its runnable time, machine %s %% idle)\n' "$3" "$4"
    [ -n "$conf" ] || E2UD_CPU=$2
done
printf 'floor (bench/udp_echo, same load): %s qps, %s us/query; e2ud above it: %s us/query\n' \
    "$ECHO_QPS" "$ECHO_CPU" \
    "$(awk -v a="$E2UD_CPU" -v b="$ECHO_CPU" 'BEGIN { printf "%.2f", a - b }')"
printf '    (the echo %s)\n' "$ECHO_SCHED"
echo '    dnsperf runs on the same cores: a server that waits for a core while runnable is held'
echo '    back by the load generator, not by its own work'
# the user-space part of e2ud's CPU per query alone: the query path in process, no socket
for flag in "" --no-index --rrl; do
    ns=$("$ROOT/$B/bench/bench_answer" "$W/db" "$DATA/queries.txt" 1 $flag |
        awk '/^ns per query/ { print $4 }')
    case $flag in
        "") what= ;;
        --no-index) what=" without number index" ;;
        *) what=" with rate limiting" ;;
    esac
    printf 'e2ud query path in process%s (bench/bench_answer, median of five 1 s rounds): %s' \
        "$what" "$ns"
    echo ' ns/query'
done
# the query-rate target is a ratio to Knot's figure of the same run; the floor's ratio beside it
# says how much of that any server on this machine could reach under this load today, and
# e2ud / floor how close e2ud came to that
awk -v echo="$ECHO_QPS" '$1 == "knot" { k = $4 } $1 == "ours" { o = $4 }
    END { if (k) printf "ratios to Knot (qps): e2ud %.2f, floor %.2f", o / k, echo / k
          if (echo) printf "%se2ud / floor %.2f", k ? "; " : "", o / echo
          print "" }' "$W/peers"
