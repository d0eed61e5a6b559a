# bench/lib.sh — shell functions the benchmark scripts share (sourced, not run).

# A UDP port on 127.0.0.1 that is free now.
free_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# CPU clock ticks (user + system) process PID has used so far.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }

# dnsperf_cpu PID PORT QUERIES SECONDS OUT: dnsperf against 127.0.0.1@PORT with the settings of
# ../shared/bench/peers.py (16 clients, 2 threads, 500 outstanding), its report in OUT; prints
# "queries-per-second cpu-microseconds-per-query" of server process PID.
dnsperf_cpu() {
    _c0=$(cpu_ticks "$1")
    dnsperf -s 127.0.0.1 -p "$2" -d "$3" -l "$4" -c 16 -T 2 -q 500 > "$5" 2>&1
    _c1=$(cpu_ticks "$1")
    awk -v c="$((_c1 - _c0))" -v hz="$(getconf CLK_TCK)" '
        /Queries completed/ { done = $3 } /Queries per second/ { qps = $4 }
        END { printf "%.0f %.2f\n", qps, done ? c / hz * 1e6 / done : 0 }' "$5"
}

# sched_mark PID: how the cores were shared so far, for sched_share: the nanoseconds the
# threads of PID have run and have waited runnable for a core (/proc/PID/task/*/schedstat),
# then the machine's idle and total clock ticks (/proc/stat).
sched_mark() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null |
        awk '{ r += $1; w += $2 } END { printf "%d %d ", r, w }'
    awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5, t }' /proc/stat
}

# sched_share "MARK0" "MARK1": between two marks, the share of its runnable time the server
# waited for a core, and the machine's idle share, in per cent: "wait idle".
sched_share() {
    echo "$1 $2" | awk '{ run = $5 - $1; wait = $6 - $2; idle = $7 - $3; tot = $8 - $4
        printf "%.0f %.0f\n", run + wait ? 100 * wait / (run + wait) : 0, tot ? 100 * idle / tot : 0 }'
}
