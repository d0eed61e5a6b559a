#!/usr/bin/env python3
"""tests/store/test_e2uctl.py — the e2uctl command line (DESIGN.md "Command lines").

Covers: --help of every command and the exit codes (0 done, 1 failed, 2 usage); import of a
master file and of both CSV forms, which must give the same store; export -> import -> export
round trips; bad lines reported as FILE:LINE: reason, the whole import refused by default and
the good lines applied with --skip-bad; set, del, show, zones, stats, journal; and the
guarantees a carrier relies on: `e2uctl import` killed with SIGKILL at any moment leaves the
store with exactly the previous data (or, if it got to commit, exactly the new), and a full map
(or a full disk, when a small tmpfs can be mounted) is a clear error with the old data intact.

usage: test_e2uctl.py E2UCTL          Standard library only; run with /usr/bin/python3.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

E2UCTL = os.path.abspath(sys.argv[1])
ORIGIN = "1.e164.arpa."
FAILS = []
WORK = tempfile.mkdtemp(prefix="e2uctl-test-")


def run(*args, stdin=None, env=None, check=None):
    e = dict(os.environ)
    e.pop("E2U_DB", None)
    if env:
        e.update(env)
    r = subprocess.run([E2UCTL, *args], input=stdin, capture_output=True, text=True, env=e,
                       timeout=600)
    if check is not None and r.returncode != check:
        raise AssertionError(f"e2uctl {' '.join(args)}: exit {r.returncode}, want {check}\n"
                             f"stdout: {r.stdout[-2000:]}\nstderr: {r.stderr[-2000:]}")
    return r


def case(fn):
    try:
        fn()
        print(f"ok   {fn.__name__}")
    except Exception as ex:  # report and go on with the other cases
        FAILS.append(fn.__name__)
        print(f"FAIL {fn.__name__}: {ex}")
    return fn


def path(name):
    return os.path.join(WORK, name)


def gen(n, seed=3761, rn_pool=50):
    """Number-portability data like gen_np.py: (zone text, 7-field CSV, NUMBER,RN CSV of the
    ported numbers only, numbers)."""
    rnd = random.Random(seed)
    nums = set()
    while len(nums) < n:
        nums.add(f"1{rnd.randint(201, 999)}{rnd.randint(200, 999)}{rnd.randint(0, 9999):04d}")
    rns = [f"1{rnd.randint(201, 999)}{rnd.randint(200, 999)}0000" for _ in range(rn_pool)]
    z = [f"$ORIGIN {ORIGIN}", "$TTL 3600",
         "@ IN SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300",
         "@ IN NS ns1.example."]
    c7, c2 = [], []
    for num in sorted(nums):
        owner = ".".join(reversed(num[1:]))
        r = rnd.random()
        if r < 0.7:
            rn = rnd.choice(rns)
            z.append(f'{owner} IN NAPTR 10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+{num};npdi;rn=+{rn}!" .')
            c7.append(f"+{num},10,100,u,E2U+pstn:tel,!^.*$!tel:+{num};npdi;rn=+{rn}!,.")
            c2.append(f"+{num},+{rn}")
        elif r < 0.9:
            z.append(f'{owner} IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:+{num}@sip.example;user=phone!" .')
            z.append(f'{owner} IN NAPTR 20 100 "u" "E2U+pstn:tel" "!^.*$!tel:+{num};npdi!" .')
            c7.append(f"+{num},10,100,u,E2U+sip,!^.*$!sip:+{num}@sip.example;user=phone!,.")
            c7.append(f"+{num},20,100,u,E2U+pstn:tel,!^.*$!tel:+{num};npdi!,.")
        else:
            u = f"u{rnd.randint(0, 10**6)}"
            for pref, svc in ((100, "sip"), (101, "pres"), (102, "im")):
                z.append(f'{owner} IN NAPTR 10 {pref} "u" "E2U+{svc}" "!^.*$!{svc}:{u}@example.net!" .')
                c7.append(f"+{num},10,{pref},u,E2U+{svc},!^.*$!{svc}:{u}@example.net!,.")
    return "\n".join(z) + "\n", "\n".join(c7) + "\n", "\n".join(c2) + "\n", sorted(nums)


def write(name, text):
    with open(path(name), "w") as f:
        f.write(text)
    return path(name)


def export(db, *extra):
    r = run("-d", db, "export", *extra, ORIGIN, check=0)
    return r.stdout


def records(text):
    """The records of a master file as a set of (owner, type, rdata), SOA aside."""
    out = set()
    for line in text.splitlines():
        if not line or line[0] in "$;":
            continue
        f = line.split("\t") if "\t" in line else line.split(None, 4)
        if "\t" in line:
            owner, _ttl, _c, typ, rd = f
        else:
            owner, _c, typ, rd = f[0], f[1], f[2], " ".join(f[3:])
        if typ != "SOA":
            out.add((owner, typ, " ".join(rd.split())))
    return out


ZONE, CSV7, CSV2, NUMS = gen(3000)


@case
def help_and_usage():
    assert "Usage" in run("--help", check=0).stdout
    for cmd in ("import", "export", "set", "del", "show", "zones", "stats", "journal", "rmzone"):
        out = run(cmd, "--help", check=0).stdout
        assert out.startswith("Usage: e2uctl"), cmd
    run(check=2)
    run("frobnicate", check=2)
    run("-d", path("x"), "import", check=2)
    run("-d", path("x"), "import", "--format", "xml", "f", check=2)
    run("-d", path("x"), "set", "+12155550123", check=2)
    run("--map-size", "lots", "zones", check=2)
    r = run("zones", check=1)  # no -d
    assert "no store given" in r.stderr
    r = run("-d", path("nonexistent"), "zones", check=1)
    assert "nonexistent" in r.stderr


@case
def import_master_file():
    db = path("db_zone")
    r = run("-d", db, "--no-sync", "import", write("np.zone", ZONE), check=0)
    assert "3000 numbers" in r.stdout, r.stdout
    st = json.loads(run("-d", db, "stats", "--json", check=0).stdout)
    assert st["numbers"] == 3000 and st["zones"] == 1, st
    assert st["bytes_per_number"] < 48, st
    z = run("-d", db, "zones", check=0).stdout
    assert z.startswith(f"{ORIGIN} serial 1 numbers 3000"), z
    # every record of the file comes back
    assert records(export(db)) == records(ZONE)
    # show: a number, an empty non-terminal, an absent name (exit 1)
    n = NUMS[10]
    out = run("-d", db, "show", "+" + n, check=0).stdout
    assert " number\n" in out and ".".join(reversed(n[1:])) + ".1.e164.arpa." in out, out
    out = run("-d", db, "show", "+" + n[:5], check=0).stdout
    assert " ent\n" in out, out
    run("-d", db, "show", "+1" + "0" * 10, check=1)


@case
def roundtrip():
    db, db2 = path("db_rt"), path("db_rt2")
    run("-d", db, "--no-sync", "import", write("rt.zone", ZONE), check=0)
    e1 = export(db)
    run("-d", db2, "--no-sync", "import", write("rt1.zone", e1), check=0)
    e2 = export(db2)
    assert e1 == e2
    # export -o is atomic and the same text
    run("-d", db2, "export", "-o", path("rt2.zone"), ORIGIN, check=0)
    assert open(path("rt2.zone")).read() == e1


@case
def csv_forms_equal_master_file():
    db_z, db_7, db_2 = path("db_cz"), path("db_c7"), path("db_c2")
    run("-d", db_z, "--no-sync", "import", write("c.zone", ZONE), check=0)
    # a zone made from CSV gets the SOA and NS given (here the master file's)
    soa = ["--soa", "ns1.example. hostmaster.example. 1 7200 3600 1209600 300",
           "--ns", "ns1.example."]
    run("-d", db_7, "--no-sync", "import", *soa, "--zone", ORIGIN, write("c7.csv", CSV7),
        check=0)
    assert records(export(db_7)) == records(export(db_z))
    # the NUMBER,RN form gives RFC 4769's record: the same as the 7-field rows of ported numbers
    run("-d", db_2, "--no-sync", "import", *soa, "--zone", ORIGIN, write("c2.csv", CSV2),
        check=0)
    ported = {r for r in records(ZONE) if "rn=" in r[2] or r[1] == "NS"}
    assert records(export(db_2)) == ported
    # a CSV with a header, from standard input, --format csv
    r = subprocess.run([E2UCTL, "-d", path("db_stdin"), "--no-sync", "import", *soa, "--zone",
                        ORIGIN, "--format", "csv", "-"], input="NUMBER,RN\n" + CSV2, text=True,
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    assert records(export(path("db_stdin"))) == ported


@case
def bad_lines_refused_then_skipped():
    db = path("db_bad")
    run("-d", db, "--no-sync", "import", write("ok.zone", ZONE), check=0)
    before = export(db)
    lines = ZONE.splitlines()
    lines.insert(10, "9.9 IN NAPTR 10 100 \"u\" \"E2U+sip\"")        # line 11: too short
    lines.insert(20, "1.2.3.4.4.e164.arpa. IN NAPTR 1 1 \"u\" \"E2U+sip\" \"!x!y!\" .")  # 21
    bad = write("bad.zone", "\n".join(lines) + "\n")
    r = run("-d", db, "import", bad, check=1)
    errs = [l for l in r.stderr.splitlines() if l.startswith(bad + ":")]
    assert len(errs) == 2, r.stderr
    assert errs[0].startswith(f"{bad}:11: ") and errs[1].startswith(f"{bad}:21: "), errs
    assert "outside the zone" in errs[1], errs
    assert "nothing was imported" in r.stderr
    assert export(db) == before
    r = run("-d", db, "import", "--skip-bad", bad, check=0)
    assert len([l for l in r.stderr.splitlines() if l.startswith(bad + ":")]) == 2
    assert "2 bad lines skipped" in r.stdout, r.stdout
    assert records(export(db)) == records(ZONE)
    # CSV rows: the row's line, including rows after a multi-line quoted field
    csv = write("bad.csv", '+12155550123,10,100,u,E2U+sip,"a\nb",.\n'
                           '+12155550124,10,x,u,E2U+sip,!x!y!,.\n'
                           '+12155550125,,\n'
                           '+12155550126,"unterminated\n')
    r = run("-d", db, "import", "--zone", ORIGIN, csv, check=1)
    errs = [l for l in r.stderr.splitlines() if l.startswith(csv + ":")]
    assert [e.split(":")[1] for e in errs] == ["3", "4", "5"], r.stderr
    assert "PREFERENCE" in errs[0]


@case
def set_del_show_journal():
    db = path("db_edit")
    run("-d", db, "--no-sync", "import", write("e.zone", ZONE), check=0)
    rec = '10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+12155550123;npdi;rn=+12155550199!" .'
    r = run("-d", db, "set", "+1 215 555 0123", rec, check=0)
    assert r.stdout.strip() == f"set +12155550123: {ORIGIN} serial 2", r.stdout
    out = run("-d", db, "show", "+12155550123", check=0).stdout
    assert rec in out and "\t3600\tIN\tNAPTR\t" in out, out
    run("-d", db, "set", "--ttl", "60", "+12155550123", rec, rec.replace("10 100", "20 100"),
        check=0)
    out = run("-d", db, "show", "--json", "+12155550123", check=0).stdout
    o = json.loads(out)
    assert o["kind"] == "number" and o["rrsets"][0]["ttl"] == 60
    assert len(o["rrsets"][0]["rdata"]) == 2
    run("-d", db, "set", "+12155550123", "10 100 \"u\"", check=2)       # malformed RDATA
    run("-d", db, "set", "+4412345678", rec, check=1)                   # no zone for it
    # a block, and a number under it
    run("-d", db, "set", "+1215556XXXX", '10 100 "u" "E2U+sip" "!^.*$!sip:pool@example.com!" .',
        check=0)
    out = run("-d", db, "show", "+12155561234", check=0).stdout
    assert " block +1215556XXXX" in out, out
    run("-d", db, "del", "+1215556XXXX", check=0)
    run("-d", db, "show", "+12155561234", check=1)
    run("-d", db, "del", "+1215556XXXX", check=1)
    run("-d", db, "del", "+12155550123", check=0)
    r = run("-d", db, "del", "+12155550123", check=1)
    assert "no such number" in r.stderr
    z = run("-d", db, "zones", check=0).stdout
    assert f"{ORIGIN} serial 6 " in z, z
    # the journal: one entry per change, the SOAs first
    j = run("-d", db, "journal", ORIGIN, check=0).stdout
    heads = [l for l in j.splitlines() if l.startswith("serial ")]
    assert heads[0].startswith("serial 0 -> 1 reset"), heads
    assert [h.split()[1:4] for h in heads[1:]] == [["1", "->", "2"], ["2", "->", "3"],
                                                   ["3", "->", "4"], ["4", "->", "5"],
                                                   ["5", "->", "6"]], heads
    j2 = run("-d", db, "journal", "--from", "5", ORIGIN, check=0).stdout.splitlines()
    assert j2[0].startswith("serial 5 -> 6 (3 removed, 1 added)"), j2
    assert j2[1].startswith("- 1.e164.arpa.\t3600\tIN\tSOA") and " 5 7200" in j2[1], j2
    assert j2[2].startswith("- 3.2.1.0.5.5.5.5.1.2.1.e164.arpa.\t60\tIN\tNAPTR"), j2
    assert j2[4].startswith("+ 1.e164.arpa.\t3600\tIN\tSOA") and " 6 7200" in j2[4], j2
    run("-d", db, "journal", "--from", "77", ORIGIN, check=1)


def kill_import(db, src, delay, pause_ms=None):
    env = {"E2U_IMPORT_PAUSE_MS": str(pause_ms)} if pause_ms else None
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.Popen([E2UCTL, "-d", db, "import", "-q", src], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=e)
    if pause_ms:
        line = p.stderr.readline()
        assert "written, not committed" in line, line
    else:
        time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait()
    return p.returncode


@case
def sigkill_leaves_previous_data():
    db = path("db_kill")
    za, _, _, _ = gen(60000, seed=1)
    zb, _, _, _ = gen(60000, seed=2)
    a = write("a.zone", za)
    b = write("b.zone", zb)
    run("-d", db, "import", "-q", a, check=0)
    before = export(db)
    # killed after writing everything, just before the commit: exactly the old data
    assert kill_import(db, b, 0, pause_ms=30000) == -signal.SIGKILL
    assert export(db) == before
    st = json.loads(run("-d", db, "stats", "--json", check=0).stdout)
    assert st["numbers"] == 60000 and st["templates"] > 0
    # killed at random moments: the old data or (if it committed) the new, never a mix
    after_b = None
    rnd = random.Random(9)
    outcomes = {"old": 0, "new": 0}
    for i in range(8):
        t = rnd.uniform(0.0, 0.3)
        kill_import(db, b, t)
        now = export(db)
        outcomes["old" if now == before else "new"] += 1
        if now != before:
            if after_b is None:
                run("-d", path("db_kill_b"), "--no-sync", "import", "-q", b, check=0)
                after_b = export(path("db_kill_b"))
            # same records as b (the serial moved on, so compare records only)
            assert records(now) in (records(before), records(after_b)), f"mixed state at {t}"
            # back to the old data for the next round
            run("-d", db, "import", "-q", a, check=0)
            before = export(db)
    print(f"     (random kills: {outcomes['old']} left the old data, {outcomes['new']} came "
          f"after the commit)")
    # the store still works: a complete import after all that
    run("-d", db, "import", "-q", a, check=0)
    assert records(export(db)) == records(za)


@case
def map_full_keeps_old_data():
    db = path("db_small")
    run("-d", db, "--map-size", "2M", "import", write("s.zone", gen(100)[0]), check=0)
    before = export(db)
    big = write("big.zone", gen(40000, seed=5)[0])
    r = run("-d", db, "--map-size", "2M", "import", big, check=1)
    assert "map size" in r.stderr and "nothing was changed" in r.stderr, r.stderr
    assert export(db) == before
    run("-d", db, "--map-size", "2M", "set", "+12015550123",
        '10 100 "u" "E2U+sip" "!^.*$!sip:a@b!" .', check=0)


@case
def disk_full_keeps_old_data():
    mnt = path("tiny")
    os.makedirs(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt],
                       capture_output=True)
    if r.returncode != 0:
        print("     (skipped: cannot mount a small tmpfs here)")
        return
    try:
        db = os.path.join(mnt, "db")
        run("-d", db, "import", write("s2.zone", gen(100)[0]), check=0)
        before = export(db)
        r = run("-d", db, "import", path("big.zone") if os.path.exists(path("big.zone"))
                else write("big2.zone", gen(40000, seed=5)[0]), check=1)
        assert "no space left" in r.stderr and "nothing was changed" in r.stderr, r.stderr
        assert export(db) == before
    finally:
        subprocess.run(["umount", mnt])


@case
def rmzone():
    db = path("db_rm")
    run("-d", db, "--no-sync", "import", write("rm.zone", gen(50)[0]), check=0)
    run("-d", db, "rmzone", ORIGIN, check=0)
    run("-d", db, "rmzone", ORIGIN, check=1)
    st = json.loads(run("-d", db, "stats", "--json", check=0).stdout)
    assert st["zones"] == 0 and st["numbers"] == 0 and st["templates"] == 0, st


try:
    pass
finally:
    shutil.rmtree(WORK, ignore_errors=True)
if FAILS:
    print(f"{len(FAILS)} failed: {', '.join(FAILS)}")
    sys.exit(1)
print("all passed")
