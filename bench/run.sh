#!/bin/sh
# bench/run.sh BUILD — the project's benchmarks, printed side by side. `make bench` runs it.
set -eu
B=${1:-build}
echo "== NAPTR set evaluation (core: parse + evaluate, one thread; target < 1000 ns)"
"$B/bench/bench_eval"
echo
echo "== e2u lookup batch against a local Knot, beside dnsperf (target: >= half of dnsperf)"
bench/lookup.sh "$B"
echo
echo "== the store: import (beside Knot's load), bytes per number, in-process lookups"
bench/store.sh "$B"
