"""tests/system/valgrind.py E2UD E2UCTL E2U — system tests with e2ud under valgrind's memcheck.

Runs test_server.py (the query path over UDP and TCP, protocol edge cases, SIGHUP, SIGTERM,
statistics) and test_update.py (UPDATE, TSIG, ACLs: the paths that write) with every e2ud they
start wrapped in memcheck (daemons.spawn, E2U_VALGRIND). The tests' own assertions must hold,
and then every memcheck report must show no error: no invalid read or write, no use of an
uninitialised value, no definite leak at exit. The plain (gcc) build only: a sanitizer build
cannot run under valgrind, so there it is skipped (exit 77).
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemons  # noqa: E402

SKIP = 77
TESTS = [("test_server.py", ["E2UD", "E2UCTL"]), ("test_update.py", ["E2UD", "E2UCTL"])]


def main():
    paths = dict(zip(["E2UD", "E2UCTL", "E2U"], sys.argv[1:4]))
    if daemons.sanitized(paths["E2UD"]):
        print("valgrind: e2ud is built with AddressSanitizer; skipped (make test runs this "
              "in the plain build)")
        return SKIP
    if subprocess.run(["valgrind", "--version"], capture_output=True).returncode != 0:
        print("valgrind: not installed (scripts/deps.sh installs it)", file=sys.stderr)
        return 1
    here = os.path.dirname(os.path.abspath(__file__))
    logs = tempfile.mkdtemp(prefix="e2u-valgrind-")
    env = dict(os.environ, E2U_VALGRIND=logs)
    failed = []
    for script, args in TESTS:
        print(f"== {script} with e2ud under memcheck", flush=True)
        r = subprocess.run([sys.executable, "-W", "ignore", os.path.join(here, script),
                            *[paths[a] for a in args]], env=env)
        if r.returncode != 0:
            failed.append(f"{script} failed under valgrind (exit {r.returncode})")
    reports = sorted(glob.glob(os.path.join(logs, "e2ud.*.log")))
    if not reports:
        failed.append("no memcheck report: e2ud never ran under valgrind")
    clean = dirty = 0
    for path in reports:
        text = open(path).read()
        m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
        if m is None:
            continue  # killed on purpose (SIGKILL tests): memcheck wrote no summary
        if int(m.group(1)) != 0:
            dirty += 1
            failed.append(f"{path}: {m.group(1)} errors\n" + text[-6000:])
        else:
            clean += 1
    print(f"valgrind: {len(reports)} e2ud runs under memcheck: {clean} clean, {dirty} with "
          f"errors, {len(reports) - clean - dirty} killed before their report")
    if reports and clean == 0:
        failed.append("no e2ud run ended with a memcheck report")
    for f in failed:
        print("FAIL: " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
