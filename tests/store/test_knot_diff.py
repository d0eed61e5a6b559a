#!/usr/bin/env python3
"""tests/store/test_knot_diff.py — the store classifies names as Knot DNS answers them.

DESIGN.md: what e2ud answers is exactly what an RFC 1034 server answers for the equivalent
zone file (number entries as names, block entries as the names they cover). This test builds a
zone with every kind of entry (numbers of several lengths, blocks with lengths, nested and
shadowed, ordinary names beside and below numbers, a delegation with glue, a wildcard, apex
records), imports it with e2uctl, writes the equivalent zone file with
`e2uctl export --expand-blocks`, serves that with knotd, and compares, for thousands of names
(every name, its ancestors, children and neighbours, random numbers, mixed case), what
`e2uctl show --json` says with Knot's answer to a NAPTR query: rcode, referral or not, and the
NAPTR records.

usage: test_knot_diff.py E2UCTL      (skips, exit 77, without knotd or dnspython)
Standard library and dnspython only; run with /usr/bin/python3.
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

try:
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
except ImportError:
    print("SKIP: dnspython missing")
    sys.exit(77)

E2UCTL = os.path.abspath(sys.argv[1])
ORIGIN = "1.e164.arpa."
NAPTR = dns.rdatatype.NAPTR


def free_port():
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            u.close()
            t.close()
        return port
    raise RuntimeError("no free port")


def rev(digits):
    return ".".join(reversed(digits))


def make_zone(rnd):
    """The zone as master-file text and the names worth asking about."""
    lines = [f"$ORIGIN {ORIGIN}", "$TTL 3600",
             "@ IN SOA ns1.example. hostmaster.example. 7 7200 3600 1209600 300",
             "@ IN NS ns1.example.",
             '@ IN NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:apex@example.com!" .']
    names = set()
    numbers = set()
    # numbers of ten digits in a narrow range (many shared prefixes), and other lengths
    while len(numbers) < 250:
        numbers.add("21555" + "".join(rnd.choice("0123456789") for _ in range(5)))
    for _ in range(20):
        numbers.add("2125" + "".join(rnd.choice("0123") for _ in range(rnd.choice([3, 4, 6, 7]))))
    for i, d in enumerate(sorted(numbers)):
        k = rnd.random()
        if k < 0.6:
            rn = "1" + "".join(rnd.choice("0123456789") for _ in range(6)) + "0000"
            lines.append(f'{rev(d)} IN NAPTR 10 100 "u" "E2U+pstn:tel" '
                         f'"!^.*$!tel:+1{d};npdi;rn=+{rn}!" .')
        elif k < 0.8:
            lines.append(f'{rev(d)} IN NAPTR 10 100 "u" "E2U+sip" '
                         f'"!^.*$!sip:+1{d}@sip.example;user=phone!" .')
            lines.append(f'{rev(d)} IN NAPTR 20 100 "u" "E2U+pstn:tel" "!^.*$!tel:+1{d};npdi!" .')
        else:
            u = rnd.randint(0, 10**6)
            lines.append(f'{rev(d)} 600 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:u{u}@Example.NET!" Foo.Example.')
        names.add(d)
    # ordinary names: a TXT beside a number, a name below a number, a TXT-only digit name
    some = sorted(numbers)[:5]
    lines.append(f'{rev(some[0])} IN TXT "beside"')
    lines.append(f'_sip._udp.{rev(some[1])} IN TXT "below"')
    lines.append(f'{rev("2155599")} IN TXT "digits only"')
    lines.append('www IN A 192.0.2.7')
    # a delegation with glue, and numbers below it in the file (occluded)
    lines.append(f'{rev("216")} IN NS ns.{rev("216")}.{ORIGIN}')
    lines.append(f'ns.{rev("216")} IN A 192.0.2.53')
    lines.append(f'{rev("2160000001")} IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:hidden@example.com!" .')
    # a wildcard
    lines.append(f'*.{rev("219")} IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:wild@example.com!" .')
    lines.append(f'{rev("21999")} IN TXT "a name below the wildcard"')
    # blocks with lengths: a plain one, one shadowing numbers, nested ones
    blocks = [("1217777", 11), ("121555", 11), ("1215551", 11), ("12155512", 11),
              ("121888", 10), ("12188", 9), ("12199", 11)]
    for p, L in blocks:
        x = "X" * (L - len(p))
        lines.append(f';@e2u-block +{p}{x} 900 IN NAPTR 10 100 "u" "E2U+pstn:tel" '
                     f'"!^(.*)$!tel:\\\\1;npdi;block={p}!" .')
        names.add(p[1:])
    return "\n".join(lines) + "\n", names


def probes(rnd, names):
    """Names to ask: each name, its ancestors, children, neighbours; random numbers."""
    out = set()
    for d in names:
        for i in range(len(d) + 1):
            out.add(d[:i])
        for c in "05":
            out.add(d + c)
            out.add(d + c + c)
        out.add(d[:-1] + str((int(d[-1]) + 1) % 10) if d else d)
    for _ in range(400):
        out.add("21555" + "".join(rnd.choice("0123456789") for _ in range(rnd.choice([3, 5, 6]))))
        out.add(rnd.choice(["2177", "2155", "2188", "2199", "216", "219", "2125"]) +
                "".join(rnd.choice("0123456789") for _ in range(rnd.randint(0, 7))))
    q = [rev(d) + "." + ORIGIN if d else ORIGIN for d in out]
    q += [f"_sip._udp.{rev(sorted(names)[1])}.{ORIGIN}", f"x.{rev('216')}.{ORIGIN}",
          f"ns.{rev('216')}.{ORIGIN}", f"www.{ORIGIN}", f"nope.{ORIGIN}",
          f"a.b.{rev('219')}.{ORIGIN}", f"{rev('2195')}.{ORIGIN}", f"x.{rev('21999')}.{ORIGIN}",
          f"*.{rev('219')}.{ORIGIN}"]
    # mixed case
    q = sorted(set(q))
    q += [n.upper() for n in q[:50] if "e164" in n]
    return sorted(set(q))


def knot_answer(port, name):
    m = dns.message.make_query(name, NAPTR)
    m.flags &= ~dns.flags.RD
    for _ in range(3):
        try:
            return dns.query.udp(m, "127.0.0.1", port=port, timeout=2)
        except Exception:
            time.sleep(0.2)
    return dns.query.tcp(m, "127.0.0.1", port=port, timeout=5)


def norm_knot(r, qname):
    rc = r.rcode()
    if rc == dns.rcode.NXDOMAIN:
        return ("nxdomain",)
    if rc != dns.rcode.NOERROR:
        return ("rcode", dns.rcode.to_text(rc))
    if not (r.flags & dns.flags.AA):
        ns = [rr for rr in r.authority if rr.rdtype == dns.rdatatype.NS]
        return ("referral", str(ns[0].name).lower() if ns else "?")
    recs = []
    for rr in r.answer:
        if rr.rdtype == NAPTR:
            recs = sorted((rr.ttl, d.to_wire()) for d in rr)
    return ("answer", tuple(recs)) if recs else ("nodata",)


def norm_ours(o):
    k = o["kind"]
    if k == "nxdomain":
        return ("nxdomain",)
    if k == "refused":
        return ("rcode", "REFUSED")
    if k == "delegation":
        return ("referral", o["owner"].lower())
    for rs in o.get("rrsets", []):
        if rs["type"] == "NAPTR":
            recs = sorted((rs["ttl"], dns.rdata.from_text(dns.rdataclass.IN, NAPTR, t).to_wire())
                          for t in rs["rdata"])
            return ("answer", tuple(recs))
    return ("nodata",)


def main():
    if not shutil.which("knotd"):
        print("SKIP: knotd missing")
        return 77
    rnd = random.Random(6116)
    work = tempfile.mkdtemp(prefix="e2u-diff-")
    knot = None
    try:
        text, names = make_zone(rnd)
        src = os.path.join(work, "src.zone")
        open(src, "w").write(text)
        db = os.path.join(work, "db")
        subprocess.run([E2UCTL, "-d", db, "--no-sync", "import", "-q", src], check=True)
        eq = os.path.join(work, "1.e164.arpa.zone")
        subprocess.run([E2UCTL, "-d", db, "export", "--expand-blocks", "-o", eq, ORIGIN],
                       check=True)
        port = free_port()
        conf = os.path.join(work, "knot.conf")
        open(conf, "w").write(f"""server:
    listen: 127.0.0.1@{port}
    rundir: {work}
database:
    storage: {work}/kdb
template:
  - id: default
    storage: {work}
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
  - domain: {ORIGIN}
    file: 1.e164.arpa.zone
""")
        log = open(os.path.join(work, "knot.log"), "w")
        knot = subprocess.Popen(["knotd", "-c", conf], stdout=log, stderr=subprocess.STDOUT)
        t0 = time.time()
        while True:
            try:
                r = knot_answer(port, ORIGIN)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    break
            except Exception:
                pass
            if time.time() - t0 > 30 or knot.poll() is not None:
                print("knotd did not start:\n" + open(os.path.join(work, "knot.log")).read())
                return 1
            time.sleep(0.2)
        qs = probes(rnd, names)
        out = subprocess.run([E2UCTL, "-d", db, "show", "--json", "-"], input="\n".join(qs),
                             capture_output=True, text=True).stdout.splitlines()
        ours = [json.loads(l) for l in out]
        assert len(ours) == len(qs), (len(ours), len(qs))
        bad = 0
        kinds = {}
        for q, o in zip(qs, ours):
            kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
            a = norm_ours(o)
            b = norm_knot(knot_answer(port, q), q)
            if a != b:
                bad += 1
                if bad <= 20:
                    print(f"DIFF {q}: e2u {o['kind']} {a}\n      knot {b}")
        print(f"{len(qs)} names compared, {bad} differences; kinds: {kinds}")
        return 1 if bad else 0
    finally:
        if knot:
            knot.send_signal(signal.SIGTERM)
            try:
                knot.wait(10)
            except subprocess.TimeoutExpired:
                knot.kill()
        shutil.rmtree(work, ignore_errors=True)


sys.exit(main())
