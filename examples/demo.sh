#!/bin/sh
# examples/demo.sh BUILD — what `make demo` shows: e2u resolving the example records of every
# enumservice it implements (examples/seed-records.txt), then the RFC 4769 §5 on-net/off-net
# choice, then one result as JSON.
set -eu
B=${1:-build}
E2U="$B/tools/e2u"
HERE=$(dirname "$0")

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "Number to ENUM domain (RFC 6116 §3.2):"
echo "\$ e2u domain '+1 (215) 555-0123'"
"$E2U" domain '+1 (215) 555-0123'
echo "\$ e2u number 3.2.1.0.5.5.5.5.1.2.1.e164.arpa."
"$E2U" number 3.2.1.0.5.5.5.5.1.2.1.e164.arpa.

say "The example record of each specification, evaluated with 'e2u eval NUMBER RDATA':"
grep -v '^#' "$HERE/seed-records.txt" | while IFS='|' read -r label number record; do
    label=$(printf "%s" "$label" | sed 's/ *$//')
    number=$(printf "%s" "$number" | sed 's/^ *//; s/ *$//')
    record=$(printf "%s" "$record" | sed 's/^ *//')
    printf '\n-- %s\n' "$label"
    "$E2U" eval "$number" "$record" || true
done

say "RFC 4769 §5: on-net and off-net records for one number, with route selection:"
"$E2U" eval --route +12155550123 \
    '10 100 "u" "E2U+sip" "!^.*$!sip:+12155550123@sip.carrier.example;user=phone!" .' \
    '10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+12155550123;npdi;rn=+12155550199!" .' \
    '10 101 "u" "E2U+pres" "!^.*$!pres:alice@carrier.example!" .'

say "A bad record does not spoil the answer (RFC 6116 §5.2):"
"$E2U" eval +12155550123 \
    '10 100 "u" "E2U+sip" "!^.*$!sip:alice@example.com!" .' \
    '10 101 "u" "E2U+sip" "!(a)\\1!x!" .' \
    '10 102 "zz" "E2U+sip" "!^.*$!sip:bob@example.com!" .' || true

say "The same as JSON (e2u eval --json):"
"$E2U" eval --json '+1 215 555 0123' \
    '10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+1-215-555-0123;npdi;rn=+1-215-555-0199!" .'

say "Over the DNS: e2uctl loads examples/e164.arpa.zone into a store, e2ud serves it, e2u lookup asks"
E2UCTL="$B/tools/e2uctl/e2uctl"
E2UD="$B/server/e2ud"
W=$(mktemp -d /tmp/e2u-demo.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "\$ e2uctl -d DB import examples/e164.arpa.zone"
"$E2UCTL" -d "$W/db" --no-sync import "$HERE/e164.arpa.zone"
echo "\$ e2ud -d DB -l 127.0.0.1@$PORT &"
"$E2UD" -d "$W/db" -l "127.0.0.1@$PORT" 2> "$W/e2ud.log" &
EPID=$!
trap 'kill $EPID 2>/dev/null; rm -rf "$W"' EXIT INT TERM
i=0
until "$E2U" lookup --server "127.0.0.1@$PORT" --timeout 200 +12155550123 > /dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 50 ] || { cat "$W/e2ud.log"; exit 1; }; sleep 0.1
done
for n in +1-215-555-0123 +1-215-555-0124 '+1 202 533 2600' +12025332601 +432221234567890 \
         +441632960083; do
    echo "\$ e2u lookup --server 127.0.0.1@$PORT '$n'"
    "$E2U" lookup --server "127.0.0.1@$PORT" "$n" || true
done
echo "\$ e2u lookup --server 127.0.0.1@$PORT --route +15550100     # through a non-terminal rule"
"$E2U" lookup --server "127.0.0.1@$PORT" --route +15550100 || true
echo "\$ e2uctl -d DB set +15550100 '10 100 \"u\" \"E2U+sip\" \"!^.*\$!sip:moved@example.com!\" .'"
"$E2UCTL" -d "$W/db" --no-sync set +15550100 '10 100 "u" "E2U+sip" "!^.*$!sip:moved@example.com!" .'
echo "\$ e2u lookup --server 127.0.0.1@$PORT --json +15550100     # the next query sees it"
"$E2U" lookup --server "127.0.0.1@$PORT" --json +15550100 || true
