#!/bin/sh
# scripts/deps.sh — make sure the Debian packages e2u builds and tests with are installed.
#
# Run by `make` before building. As root it installs what is missing (one `apt-get update`,
# then `apt-get install`); as another user it prints the command to run and fails.
# E2U_SKIP_DEPS=1 skips the check (for machines set up by other means).
set -eu

[ "${E2U_SKIP_DEPS:-0}" = 1 ] && exit 0

# build: compiler, meson, libraries; test: cmocka, sanitizer runtimes (clang's), real DNS peers,
# static analysis (clang-tidy, cppcheck) and valgrind for the daemons.
PKGS="gcc make pkg-config meson ninja-build python3 libknot-dev libunbound-dev libevent-dev dns-root-data
liblmdb-dev
knot knot-dnsutils dnsperf python3-dnspython bind9-dnsutils
libpcre2-dev libcmocka-dev clang libclang-rt-14-dev
clang-tidy cppcheck valgrind"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "e2u: missing packages:$missing (and no apt-get here to install them)" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "e2u: missing packages:$missing" >&2
    echo "e2u: install them with: sudo apt-get install$missing" >&2
    exit 1
fi
echo "e2u: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
