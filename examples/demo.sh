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
