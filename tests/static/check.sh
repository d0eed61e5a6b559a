#!/bin/sh
# tests/static/check.sh SOURCE_ROOT BUILD_DIR — the static checks of make test.
#
# cppcheck (warnings, portability, performance) and clang-tidy (the checks of .clang-tidy: the
# clang static analyzer, bug-prone patterns) over every file the build compiles, as listed in
# BUILD_DIR/compile_commands.json. Any finding fails the test; each is printed as
# file:line: message [check]. A finding that is a false positive is silenced where it is, with
# a comment giving the reason (// NOLINT(check): why, or // cppcheck-suppress id).
set -u
src=$1
build=$2
cd "$src" || exit 1
status=0

for tool in cppcheck clang-tidy run-clang-tidy; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "static: $tool is not installed (scripts/deps.sh installs it)" >&2
        exit 1
    fi
done

echo "== cppcheck"
out=$(cppcheck --project="$build/compile_commands.json" --enable=warning,portability,performance \
      --inline-suppr --suppress=missingIncludeSystem -q -j2 \
      --template='{file}:{line}: {severity}: {message} [{id}]' 2>&1)
found=$(printf '%s\n' "$out" | grep -E '^[^ ]+:[0-9]+: ' | sed 's|^\.\./||' | sort -u)
if [ -n "$found" ]; then
    printf '%s\n' "$found"
    status=1
else
    echo "no findings"
fi

echo "== clang-tidy"
# run-clang-tidy prints each finding once per translation unit that includes it
out=$(run-clang-tidy -p "$build" -j 2 -quiet 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g')
found=$(printf '%s\n' "$out" | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' |
        sed -e "s|^$src/||" -e "s|^[^:]*/\.\./||" | sort -u)
if [ -n "$found" ]; then
    printf '%s\n' "$found"
    status=1
else
    echo "no findings"
fi
exit $status
