#!/usr/bin/python3
"""tests/system/test_server.py — e2ud answers exactly as Knot DNS does, and behaves as a
server operators can run.

Differential part: one zone is generated (numbers with one to three NAPTRs, other types at
numbers, names below numbers, empty non-terminals, a delegation, a CNAME, a wildcard, apex
records, and a block entry of a fixed length). e2uctl imports it into a store; `e2uctl export
--expand-blocks` writes the equivalent master file, which Knot serves. Thousands of questions go
to both over UDP and TCP; rcode, AA, TC, the answer and the authority section must be equal.

Then: live changes while e2ud runs, bad input of many kinds, --check, SIGHUP, SIGTERM, and the
statistics endpoint.

Usage: test_server.py E2UD E2UCTL   (runs with /usr/bin/python3: it needs dnspython)
"""
import os
import random
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemons  # noqa: E402

E2UD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/server/e2ud"
E2UCTL = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/tools/e2uctl/e2uctl"

ORIGIN = "1.e164.arpa."


def owner(digits):
    """Owner name, relative to 1.e164.arpa., of the number +1<digits>."""
    return ".".join(reversed(digits))


def make_zone(rnd):
    lines = [f"$ORIGIN {ORIGIN}", "$TTL 3600",
             "@ IN SOA ns1.example. hostmaster.example. 7 7200 3600 1209600 300",
             "@ IN NS ns1.example.", "@ IN NS ns2.example.",
             '@ IN TXT "an ENUM zone"',
             '@ IN NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:apex@example.com!" .']
    numbers = set()
    while len(numbers) < 1500:
        numbers.add(f"{rnd.randint(200, 999)}{rnd.randint(200, 999)}{rnd.randint(0, 9999):04d}")
    numbers = sorted(numbers)
    for i, n in enumerate(numbers):
        o = owner(n)
        k = i % 10
        if k < 6:
            lines.append(f'{o} IN NAPTR 10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+1{n};npdi;rn=+1{n[:6]}0000!" .')
        elif k < 8:
            lines.append(f'{o} IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:+1{n}@sip{i % 7}.example;user=phone!" .')
            lines.append(f'{o} IN NAPTR 20 100 "u" "E2U+pstn:tel" "!^.*$!tel:+1{n};npdi!" .')
        else:
            lines.append(f'{o} IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:u{i}@example.net!" .')
            lines.append(f'{o} IN NAPTR 10 101 "u" "E2U+pres" "!^.*$!pres:u{i}@example.net!" .')
            lines.append(f'{o} IN NAPTR 10 102 "u" "E2U+im" "!^.*$!im:u{i}@example.net!" .')
    special = numbers[:20]
    # other types at numbers, names below numbers
    lines.append(f'{owner(special[0])} IN TXT "a number with a TXT too"')
    lines.append(f'{owner(special[1])} 600 IN A 192.0.2.1')
    lines.append(f'x.{owner(special[2])} IN TXT "below a number"')
    lines.append(f'_sip._udp.{owner(special[3])} IN SRV 10 10 5060 sip.example.')
    # a CNAME from one number to another, and to a name out of the zone
    lines.append(f'{owner("5550100123")} IN CNAME {owner(special[4])}')
    lines.append(f'{owner("5550100124")} IN CNAME enum.example.')
    # a delegation with glue, and a wildcard
    lines.append(f'{owner("999")} IN NS ns.{owner("999")}')
    lines.append(f'ns.{owner("999")} IN A 192.0.2.53')
    lines.append(f'*.{owner("888")} IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:wild@example.com!" .')
    lines.append(f'{owner("8881234567")} IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:not-wild@example.com!" .')
    # an RRset that fits neither 512 octets nor 1232: TC over UDP
    for i in range(40):
        lines.append(f'{owner("5557770000")} IN NAPTR 10 {i} "u" "E2U+sip" "!^.*$!sip:user-number-{i:03d}@a-long-host-name.example.com!" .')
    return "\n".join(lines) + "\n", numbers


BLOCK_CSV = "+1777555XXXX,10,100,u,E2U+pstn:tel,!^.*$!tel:\\0;npdi;rn=+17775550000!,.\n"


def rrs_text(section):
    out = []
    for rrset in section:
        for rd in rrset:
            out.append(f"{rrset.name} {rrset.ttl} {dns.rdatatype.to_text(rrset.rdtype)} {rd.to_text()}")
    return sorted(out)


def summary(m):
    return {"rcode": dns.rcode.to_text(m.rcode()), "aa": bool(m.flags & dns.flags.AA),
            "tc": bool(m.flags & dns.flags.TC), "answer": rrs_text(m.answer),
            "authority": rrs_text(m.authority)}


def ask(port, name, rdtype, tcp=False, edns=0, case=None):
    q = dns.message.make_query(name, rdtype, use_edns=edns, want_dnssec=False)
    q.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(q, "127.0.0.1", port=port, timeout=5)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=5, ignore_unexpected=True)


NSID_ASK = [dns.edns.GenericOption(dns.edns.NSID, b"")]  # RFC 5001 §2.1: empty in a query


def make(name, rdtype, rdclass="IN", edns=0, options=NSID_ASK, opcode=None):
    """A query's wire form, RD clear; edns -1 for none."""
    q = dns.message.make_query(name, rdtype, rdclass=rdclass, use_edns=edns,
                               options=options if edns >= 0 else None)
    q.flags &= ~dns.flags.RD
    if opcode is not None:
        q.set_opcode(opcode)
    return q.to_wire()


def view(wire):
    """Everything of an answer but its ID: flags, rcode with its extended bits, the sections as
    text (owner names in the case they were sent), and the OPT: version, payload, options."""
    if wire is None:
        return None
    m = dns.message.from_wire(wire)
    return {"flags": dns.flags.to_text(m.flags), "rcode": dns.rcode.to_text(m.rcode()),
            "question": [r.to_text() for r in m.question],
            "answer": [r.to_text() for r in m.answer],
            "authority": [r.to_text() for r in m.authority],
            "additional": [r.to_text() for r in m.additional],
            "edns": m.edns, "payload": m.payload if m.edns >= 0 else None,
            "options": [(int(o.otype), o.to_wire()) for o in m.options]}


def exchange(port, wire, tcp=False):
    """Send raw octets; return the answer's octets or None (no answer within 1 s)."""
    if tcp:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as c:
            c.sendall(struct.pack("!H", len(wire)) + wire)
            try:
                ln = c.recv(2)
                if len(ln) < 2:
                    return None
                n = struct.unpack("!H", ln)[0]
                data = b""
                while len(data) < n:
                    chunk = c.recv(n - len(data))
                    if not chunk:
                        break
                    data += chunk
                return data
            except socket.timeout:
                return None
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    try:
        s.sendto(wire, ("127.0.0.1", port))
        return s.recvfrom(65535)[0]
    except socket.timeout:
        return None
    finally:
        s.close()


def siphash24(key, msg):
    """SipHash-2-4 of msg under the 16-octet key, its 8 octets as RFC 9018 §4.4 puts them in a
    server cookie (the 64-bit result little-endian), written from the SipHash paper."""
    mask = (1 << 64) - 1

    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & mask
    k0, k1 = struct.unpack("<QQ", key)
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d, k0 ^ 0x6c7967656e657261,
         k1 ^ 0x7465646279746573]

    def rounds(n):
        for _ in range(n):
            v[0] = (v[0] + v[1]) & mask
            v[1] = rotl(v[1], 13) ^ v[0]
            v[0] = rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & mask
            v[3] = rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & mask
            v[3] = rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & mask
            v[1] = rotl(v[1], 17) ^ v[2]
            v[2] = rotl(v[2], 32)
    whole = len(msg) - len(msg) % 8
    words = [struct.unpack("<Q", msg[i:i + 8])[0] for i in range(0, whole, 8)]
    words.append(struct.unpack("<Q", msg[whole:] + bytes(7 - len(msg) % 8) +
                               bytes([len(msg) & 0xff]))[0])
    for m in words:
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    v[2] ^= 0xff
    rounds(4)
    return struct.pack("<Q", v[0] ^ v[1] ^ v[2] ^ v[3])


def server_cookie(secret, client_cookie, timestamp, address):
    """The server cookie of RFC 9018 §4: version 1, three reserved zero octets, the timestamp,
    and SipHash-2-4 over the client cookie, those eight octets and the client's address."""
    head = bytes([1, 0, 0, 0]) + struct.pack("!I", timestamp & 0xffffffff)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return head + siphash24(secret, client_cookie + head + socket.inet_pton(family, address))


def cookie_opt(data):
    return dns.edns.GenericOption(10, data)  # COOKIE, RFC 7873 §4


def parse_metrics(body):
    """Prometheus text exposition: {'name{labels}': value} of its samples."""
    return {ln.split()[0]: float(ln.split()[1]) for ln in body.splitlines()
            if ln and not ln.startswith("#")}


class E2ud:
    def __init__(self, db, extra=(), conf=None):
        self.port = daemons.free_port()
        self.dir = tempfile.mkdtemp(prefix="e2ud-")
        self.log = open(os.path.join(self.dir, "e2ud.log"), "w")
        cmd = [E2UD, "-d", db, "-l", f"127.0.0.1@{self.port}", *extra]
        if conf:
            cmd += ["-c", conf]
        self.proc = daemons.spawn(cmd, self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("e2ud exited: " + self.logtext())
            if "status: NOERROR" in daemons.kdig(self.port, "SOA", ORIGIN):
                return
            time.sleep(0.1)
        raise RuntimeError("e2ud did not answer: " + self.logtext())

    def logtext(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        rc = self.proc.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                rc = self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = None
        if not self.log.closed:
            self.log.close()
        return rc


def ctl(db, *args, stdin=None):
    p = subprocess.run([E2UCTL, "-d", db, "--no-sync", *args], capture_output=True, text=True,
                       input=stdin, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"e2uctl {' '.join(args)}: {p.stderr}")
    return p.stdout


class Differential(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rnd = random.Random(6116)
        cls.tmp = tempfile.mkdtemp(prefix="e2u-diff-")
        text, cls.numbers = make_zone(rnd)
        zf = os.path.join(cls.tmp, "zone")
        with open(zf, "w") as f:
            f.write(text)
        cls.db = os.path.join(cls.tmp, "store")
        ctl(cls.db, "import", zf)
        bf = os.path.join(cls.tmp, "blocks.csv")
        with open(bf, "w") as f:
            f.write(BLOCK_CSV.replace("\\0", "+17775550000"))
        ctl(cls.db, "import", "--merge", bf)
        equivalent = ctl(cls.db, "export", "--expand-blocks", ORIGIN)
        cls.knot = daemons.Knot({ORIGIN: equivalent})
        cls.e2ud = E2ud(cls.db)

    @classmethod
    def tearDownClass(cls):
        cls.e2ud.stop()
        cls.knot.stop()

    def questions(self):
        rnd = random.Random(3403)
        qs = []
        for n in self.numbers[:600]:
            qs.append((owner(n) + "." + ORIGIN, "NAPTR"))
        for n in self.numbers[600:700]:
            qs.append((owner(n) + "." + ORIGIN, rnd.choice(["A", "AAAA", "TXT", "SOA", "NS", "CNAME", "ANY", "SRV"])))
        for _ in range(300):  # absent numbers
            qs.append((owner(f"{rnd.randint(200, 999)}{rnd.randint(200, 999)}{rnd.randint(0, 9999):04d}") + "." + ORIGIN, "NAPTR"))
        for n in self.numbers[700:900:2]:  # empty non-terminals: prefixes of numbers
            qs.append((owner(n[:rnd.randint(1, 9)]) + "." + ORIGIN, rnd.choice(["NAPTR", "A"])))
        for n in self.numbers[900:1000]:  # names below numbers
            qs.append(("z." + owner(n) + "." + ORIGIN, "NAPTR"))
        for n in self.numbers[1000:1100]:  # mixed case
            name = owner(n) + ".1.E164.ArPa."
            qs.append((name, "NAPTR"))
        s = self.numbers[:20]
        qs += [(owner(s[0]) + "." + ORIGIN, t) for t in ("NAPTR", "TXT", "A", "ANY")]
        qs += [(owner(s[1]) + "." + ORIGIN, t) for t in ("NAPTR", "A", "AAAA")]
        qs += [("x." + owner(s[2]) + "." + ORIGIN, t) for t in ("TXT", "NAPTR")]
        qs += [(owner(s[2]) + "." + ORIGIN, "TXT")]
        qs += [("_sip._udp." + owner(s[3]) + "." + ORIGIN, "SRV"), ("_udp." + owner(s[3]) + "." + ORIGIN, "SRV")]
        qs += [(owner("5550100123") + "." + ORIGIN, t) for t in ("NAPTR", "CNAME", "A")]
        qs += [(owner("5550100124") + "." + ORIGIN, "NAPTR")]
        qs += [(owner(x) + "." + ORIGIN, "NAPTR") for x in ("999", "9991", "99912345")]
        qs += [("ns." + owner("999") + "." + ORIGIN, "A")]
        qs += [(owner(x) + "." + ORIGIN, "NAPTR") for x in ("8881234567", "8881234568", "888", "8885")]
        qs += [(owner(x) + "." + ORIGIN, "NAPTR") for x in ("7775551234", "7775550000", "7775559999", "777555123", "77755512345", "777555")]
        qs += [(ORIGIN, t) for t in ("SOA", "NS", "TXT", "NAPTR", "A", "ANY", "MX")]
        qs += [(owner("5557770000") + "." + ORIGIN, "NAPTR")]
        qs += [("1.e164.arpa.", "NAPTR"), ("e164.arpa.", "NAPTR"), ("example.com.", "A"),
               ("2.e164.arpa.", "NAPTR")]
        return qs

    def test_same_answers(self):
        diffs = []
        n = 0
        for tcp in (False, True):
            for name, t in self.questions():
                for edns in ((0,) if tcp else (0, -1)):
                    a = summary(ask(self.knot.port, name, t, tcp=tcp, edns=edns))
                    b = summary(ask(self.e2ud.port, name, t, tcp=tcp, edns=edns))
                    n += 1
                    if a != b:
                        diffs.append((name, t, "tcp" if tcp else f"udp edns={edns}", a, b))
        msg = "\n".join(f"{x[0]} {x[1]} {x[2]}:\n  knot {x[3]}\n  e2ud {x[4]}" for x in diffs[:15])
        self.assertEqual(diffs, [], f"{len(diffs)} of {n} answers differ:\n{msg}")
        self.assertGreater(n, 3000)

    def test_protocol_edges(self):
        """Malformed and unusual messages get Knot's rcode, flags and section counts."""
        qname = dns.name.from_text(owner(self.numbers[0]) + "." + ORIGIN).to_wire()
        q = qname + struct.pack("!HH", 35, 1)
        def hdr(flags=0, qd=1, an=0, ns=0, ar=0, qid=0x1234):
            return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)
        opt0 = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
        opt_v1 = b"\0" + struct.pack("!HHIH", 41, 1232, 0x00010000, 0)
        cases = {
            "plain": hdr() + q,
            "edns": hdr(ar=1) + q + opt0,
            "edns-version-1": hdr(ar=1) + q + opt_v1,
            "two-opts": hdr(ar=2) + q + opt0 + opt0,
            "opcode-status": hdr(flags=2 << 11) + q,
            "opcode-5-update": hdr(flags=5 << 11) + q,
            "qdcount-2": hdr(qd=2) + q + q,
            "qdcount-0": hdr(qd=0),
            "class-ch": hdr() + qname + struct.pack("!HH", 16, 3),
            "class-any": hdr() + qname + struct.pack("!HH", 35, 255),
            "axfr-over-udp": hdr() + dns.name.from_text(ORIGIN).to_wire() + struct.pack("!HH", 252, 1),
            "truncated-question": hdr() + q[:-3],
            "trailing-garbage": hdr() + q + b"garbage",
            "ancount-1-missing": hdr(an=1) + q,
            "rd-set": hdr(flags=0x0100) + q,
            "cd-ad-set": hdr(flags=0x0030) + q,
            "pointer-loop": hdr() + b"\xc0\x0c" + struct.pack("!HH", 35, 1),
            "label-too-long": hdr() + b"\x40" + b"a" * 64 + b"\0" + struct.pack("!HH", 35, 1),
            "big-answer-no-edns": hdr() + dns.name.from_text(owner("5557770000") + "." + ORIGIN).to_wire() + struct.pack("!HH", 35, 1),
        }
        diffs = []
        for tcp in (False, True):
            for label, wire in cases.items():
                if tcp and label == "axfr-over-udp":
                    continue  # a real transfer over TCP: tests/system/test_xfr_out.py
                a = exchange(self.knot.port, wire, tcp)
                b = exchange(self.e2ud.port, wire, tcp)
                def key(m):
                    if m is None:
                        return None
                    if len(m) < 12:
                        return ("short", m)
                    fl = struct.unpack("!H", m[2:4])[0]
                    counts = struct.unpack("!HHHH", m[4:12])
                    rcode = fl & 0xf
                    try:
                        pm = dns.message.from_wire(m)
                        rcode = pm.rcode()
                    except Exception:
                        pass
                    return (m[:2], fl & ~0x0080, rcode, counts)
                if key(a) != key(b):
                    diffs.append(f"{label} ({'tcp' if tcp else 'udp'}): knot {key(a)} e2ud {key(b)}")
        self.assertEqual(diffs, [], "\n".join(diffs))

    def test_chaos_nsid_and_extended_errors(self):
        """The CHAOS names of RFC 4892, the NSID of RFC 5001 and the Extended DNS Errors of RFC
        8914: Knot's answers in every part, each server at its defaults (identity and NSID the
        host's name), but for the version each gives of itself."""
        version = subprocess.run([E2UD, "-V"], capture_output=True, text=True).stdout.strip()
        self.assertRegex(version, r"^e2ud \d")
        num = owner(self.numbers[0]) + "." + ORIGIN
        absent = owner("2025550000") + "." + ORIGIN
        bases = {
            "ch id.server": ("id.server.", "TXT", "CH"),
            "ch hostname.bind": ("hostname.bind.", "TXT", "CH"),
            "ch ID.Server (case)": ("ID.Server.", "TXT", "CH"),
            "ch version.server": ("version.server.", "TXT", "CH"),
            "ch VERSION.bind": ("VERSION.bind.", "TXT", "CH"),
            "ch other name": ("foo.bind.", "TXT", "CH"),
            "ch a number": (num, "TXT", "CH"),
            "ch type A": ("id.server.", "A", "CH"),
            "ch type ANY": ("version.bind.", "ANY", "CH"),
            "in version.bind (out of zone)": ("version.bind.", "TXT", "IN"),
            "class any id.server": ("id.server.", "TXT", "ANY"),
            "class hs": (num, "TXT", "HS"),
            "number": (num, "NAPTR", "IN"),
            "absent number": (absent, "NAPTR", "IN"),
            "apex SOA": (ORIGIN, "SOA", "IN"),
            "out of zone": ("example.com.", "A", "IN"),
        }
        cases = {}
        for label, (name, t, c) in bases.items():
            cases[label + ", nsid"] = make(name, t, c)
            cases[label + ", edns"] = make(name, t, c, options=[])
            cases[label + ", no edns"] = make(name, t, c, edns=-1)
        cases["badvers, nsid"] = make(num, "NAPTR", edns=1)
        cases["opcode status, nsid"] = make(num, "NAPTR", opcode=dns.opcode.STATUS)
        cases["axfr over udp, nsid"] = make(ORIGIN, "AXFR")
        cases["two nsid options"] = make(num, "NAPTR", options=NSID_ASK * 2)
        cases["nsid with data"] = make(num, "NAPTR",
                                       options=[dns.edns.GenericOption(dns.edns.NSID, b"ab")])
        cases["unknown option only"] = make(num, "NAPTR",
                                            options=[dns.edns.GenericOption(65001, b"x")])
        diffs, versions = [], 0
        for tcp in (False, True):
            for label, wire in cases.items():
                if tcp and label.startswith("axfr"):
                    continue
                a = view(exchange(self.knot.port, wire, tcp))
                b = view(exchange(self.e2ud.port, wire, tcp))
                self.assertIsNotNone(b, label)
                if a and b:
                    a["answer"] = [re.sub(r'"Knot DNS [^"]*"$', '"<version>"', x)
                                   for x in a["answer"]]
                    n = len(b["answer"])
                    b["answer"] = [x.replace(f'"{version}"', '"<version>"') for x in b["answer"]]
                    versions += sum('"<version>"' in x for x in b["answer"][:n])
                if a != b:
                    diffs.append(f"{label} ({'tcp' if tcp else 'udp'}):\n  knot {a}\n  e2ud {b}")
        self.assertEqual(diffs, [], "\n".join(diffs))
        # 2 version names x 3 EDNS variants x 2 transports, all answered with e2ud's version
        self.assertEqual(versions, 12)
        # what Knot and e2ud agreed on is what the RFCs say: checked here by hand on one case
        b = view(exchange(self.e2ud.port, cases["ch ID.Server (case), nsid"]))
        host = self.e2ud_hostname()
        self.assertEqual(b["answer"], [f'ID.Server. 0 CH TXT "{host}"'])
        self.assertNotIn("AA", b["flags"].split())
        self.assertEqual(b["options"], [(dns.edns.NSID, host.encode())])
        b = view(exchange(self.e2ud.port, cases["out of zone, edns"]))
        self.assertEqual((b["rcode"], b["options"]), ("REFUSED", [(15, b"\x00\x14")]))

    def e2ud_hostname(self):
        """The host's name as Knot and e2ud take it: gethostname(), then getaddrinfo()'s
        canonical name for it when there is one."""
        host = socket.gethostname()
        try:
            return socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM,
                                      flags=socket.AI_CANONNAME)[0][3] or host
        except socket.gaierror:
            return host


SMALL_ZONE = f"""$ORIGIN {ORIGIN}
$TTL 3600
@ SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300
@ NS ns1.example.
3.2.1.0.5.5.5.5.1.2 NAPTR 10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+12155550123;npdi!" .
"""


def small_store(prefix):
    """A new directory with a store of SMALL_ZONE in it: (the directory, the store)."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    zf = os.path.join(tmp, "zone")
    with open(zf, "w") as f:
        f.write(SMALL_ZONE)
    db = os.path.join(tmp, "store")
    ctl(db, "import", zf)
    return tmp, db


COOKIE_SECRET = bytes(range(16))
COOKIES_CONF = ("mod-cookies:\n  - id: shared\n    secret: 0x" + COOKIE_SECRET.hex() + "\n"
                "template:\n  - id: default\n    global-module: mod-cookies/shared\n")


class Cookies(unittest.TestCase):
    """DNS Cookies (RFC 7873) with the server cookies of RFC 9018, as Knot's mod-cookies gives
    them: Knot and e2ud share one secret, as the servers of an anycast address would. Every
    answer equals Knot's; each new server cookie is checked by hand against RFC 9018; a cookie
    made by either server is taken by the other."""

    @classmethod
    def setUpClass(cls):
        cls.tmp, cls.db = small_store("e2u-cookies-")
        cf = os.path.join(cls.tmp, "e2ud.conf")
        with open(cf, "w") as f:
            f.write(COOKIES_CONF)
        cls.knot = daemons.Knot({ORIGIN: SMALL_ZONE}, extra_conf=COOKIES_CONF.split("template:")[0],
                                template_conf="    global-module: mod-cookies/shared\n")
        cls.e2ud = E2ud(cls.db, conf=cf)

    @classmethod
    def tearDownClass(cls):
        cls.e2ud.stop()
        cls.knot.stop()

    def test_siphash_and_rfc9018_vectors(self):
        """The test's own SipHash and server cookie, against published values."""
        # the SipHash paper, Appendix A: key 00..0f, message 00..0e
        self.assertEqual(siphash24(bytes(range(16)), bytes(range(15)))[::-1].hex(),
                         "a129ca6149be45e5")
        # RFC 9018 Appendix A.1: the server cookie a new client learns
        self.assertEqual(server_cookie(bytes.fromhex("e5e973e5a6b2a43f48e7dc849e37bfcf"),
                                       bytes.fromhex("2464c4abcf10c957"), 1559731985,
                                       "198.51.100.100").hex(),
                         "010000005cf79f111f8130c3eee29480")

    def fresh(self, data, client, sent):
        """A COOKIE option's data with a server cookie that was not the one sent: checked
        against RFC 9018 §4 (version 1, reserved zero, made within the last seconds, its hash)
        and replaced by a mark, so that answers made in different seconds compare equal."""
        if data[8:] == sent:
            return data
        self.assertEqual(len(data), 24)
        self.assertEqual(data[:8], client)
        ts = struct.unpack("!I", data[12:16])[0]
        self.assertEqual(data[8:12], b"\x01\0\0\0")
        self.assertLessEqual(abs(ts - time.time()), 5)
        self.assertEqual(data[8:], server_cookie(COOKIE_SECRET, client, ts, "127.0.0.1"))
        return "fresh server cookie"

    def test_same_answers_as_knot(self):
        cc = bytes.fromhex("2464c4abcf10c957")
        now = int(time.time())
        good = server_cookie(COOKIE_SECRET, cc, now, "127.0.0.1")
        number = "3.2.1.0.5.5.5.5.1.2." + ORIGIN
        servers = {
            "valid": good,
            "valid, made 40 min ago": server_cookie(COOKIE_SECRET, cc, now - 2400, "127.0.0.1"),
            "made 61 min ago": server_cookie(COOKIE_SECRET, cc, now - 3660, "127.0.0.1"),
            "made 4 min ahead": server_cookie(COOKIE_SECRET, cc, now + 240, "127.0.0.1"),
            "made 6 min ahead": server_cookie(COOKIE_SECRET, cc, now + 360, "127.0.0.1"),
            "for another address": server_cookie(COOKIE_SECRET, cc, now, "127.0.0.2"),
            "wrong hash": good[:-1] + bytes([good[-1] ^ 1]),
            "version 2": b"\x02" + good[1:],
            "reserved octet set": good[:1] + b"\x01" + good[2:],
            "8 octets": good[:8],
            "32 octets": good + bytes(16),
        }
        cases = {"client cookie only": [cookie_opt(cc)]}
        for label, sc in servers.items():
            cases[label] = [cookie_opt(cc + sc)]
        for n in (7, 9, 15, 41):  # lengths RFC 7873 §4 does not allow
            cases[f"option of {n} octets"] = [cookie_opt((cc + good + bytes(32))[:n])]
        cases["two options"] = [cookie_opt(cc), cookie_opt(cc + good)]
        cases["with nsid"] = NSID_ASK + [cookie_opt(cc + good)]
        questions = {"": (number, "NAPTR", "IN"), ", out of zone": ("example.com.", "A", "IN"),
                     ", ch id.server": ("id.server.", "TXT", "CH")}
        diffs, n = [], 0
        for tcp in (False, True):
            for label, opts in cases.items():
                for qlabel, (name, t, c) in questions.items():
                    if qlabel and label not in ("valid", "client cookie only"):
                        continue
                    wire = make(name, t, c, options=opts)
                    sent = opts[-1].data[8:]
                    a, b = (view(exchange(p, wire, tcp)) for p in (self.knot.port, self.e2ud.port))
                    for v in (a, b):
                        if v:
                            v["options"] = [(o, self.fresh(d, cc, sent) if o == 10 else d)
                                            for o, d in v["options"]]
                    n += 1
                    if a != b:
                        diffs.append(f"{label}{qlabel} ({'tcp' if tcp else 'udp'}):\n"
                                     f"  knot {a}\n  e2ud {b}")
        self.assertEqual(diffs, [], "\n".join(diffs))
        self.assertGreater(n, 40)
        # and what they agreed on is RFC 7873's: a valid cookie echoed with the answer; a bad
        # one over UDP BADCOOKIE with a new cookie, over TCP the answer with a new cookie
        b = view(exchange(self.e2ud.port, make(number, "NAPTR", options=[cookie_opt(cc + good)])))
        self.assertEqual((b["rcode"], len(b["answer"]), b["options"]),
                         ("NOERROR", 1, [(10, cc + good)]))
        for tcp, rcode in ((False, "BADCOOKIE"), (True, "NOERROR")):
            b = view(exchange(self.e2ud.port, make(number, "NAPTR", options=[cookie_opt(cc)]),
                              tcp))
            self.assertEqual(b["rcode"], rcode)
            self.assertEqual(self.fresh(b["options"][0][1], cc, b""), "fresh server cookie")

    def test_each_takes_the_others_cookie(self):
        for maker, taker in ((self.knot, self.e2ud), (self.e2ud, self.knot)):
            cc = os.urandom(8)
            a = view(exchange(maker.port, make(ORIGIN, "SOA", options=[cookie_opt(cc)])))
            self.assertEqual(a["rcode"], "BADCOOKIE")
            full = a["options"][0][1]
            b = view(exchange(taker.port, make(ORIGIN, "SOA", options=[cookie_opt(full)])))
            self.assertEqual((b["rcode"], b["options"]), ("NOERROR", [(10, full)]))


class Operations(unittest.TestCase):
    def setUp(self):
        self.tmp, self.db = small_store("e2ud-ops-")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()

    def start(self, **kw):
        s = E2ud(self.db, **kw)
        self.servers.append(s)
        return s

    def conf(self, text):
        path = os.path.join(self.tmp, "e2ud.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_check_mode(self):
        good = self.conf("server:\n    listen: 127.0.0.1@5353\n    tcp-idle-timeout: 5\n"
                         "log:\n  - target: stderr\n    any: debug\n")
        p = subprocess.run([E2UD, "--check", "-c", good], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("OK", p.stdout)
        bad = self.conf("server:\n    listen: 127.0.0.1@5353\n    tcp-idle-timeot: 5\n")
        p = subprocess.run([E2UD, "--check", "-c", bad], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("e2ud.conf:3: unknown item 'tcp-idle-timeot'", p.stderr)
        bad = self.conf("server:\n    listen: 127.0.0.1@99999\n")
        p = subprocess.run([E2UD, "--check", "-c", bad], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("listen '127.0.0.1@99999'", p.stderr)
        bad = self.conf("server:\n    store-index-max-size: 12X\n")
        p = subprocess.run([E2UD, "--check", "-c", bad], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("store-index-max-size '12X': expected octets", p.stderr)
        good = self.conf("server:\n    store-index: off\n    store-index-max-size: 64M\n"
                         "    xfr-max-size: 2G\n")
        p = subprocess.run([E2UD, "--check", "-c", good], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        bad = self.conf("server:\n    store-huge-pages: maybe\n")
        p = subprocess.run([E2UD, "--check", "-c", bad], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("store-huge-pages 'maybe': expected on or off", p.stderr)
        # a TSIG key needs a secret (libknot would take an empty one, which anyone can sign
        # with) and an id that can be the key's name in a TSIG record (RFC 8945 §4.2)
        secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ="
        for text, why in (("key:\n  - id: k1\n    algorithm: hmac-sha256\n",
                           "key 'k1' has no secret"),
                          ("key:\n  - id: k1\n    secret: \"\"\n", "key 'k1': empty secret"),
                          (f"key:\n  - id: a..b\n    secret: {secret}\n",
                           "key id 'a..b' is not a valid domain name")):
            p = subprocess.run([E2UD, "--check", "-c", self.conf(text)], capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 1, text)
            self.assertIn(why, p.stderr)
        # mod-rrl and the template that turns it on, as Knot writes them
        rrl = "mod-rrl:\n  - id: r1\n    rate-limit: 20\n"
        on = "template:\n  - id: default\n    global-module: mod-rrl/r1\n"
        for text, why in (("mod-rrl:\n  - id: r1\n    slip: 2\n",
                           "mod-rrl 'r1' has no rate-limit"),
                          (rrl + "    slip: 101\n", "mod-rrl slip '101': expected 0"),
                          (rrl + "    rate-limit: 0\n", "mod-rrl rate-limit '0'"),
                          (rrl + "    whitelist: 10.0.0.0/33\n",
                           "mod-rrl whitelist '10.0.0.0/33'"),
                          (rrl + "    instant-limit: 5\n", "unknown item 'instant-limit' in "
                           "section 'mod-rrl'"),
                          (on + rrl, "global-module: no mod-rrl 'r1' defined before"),
                          (rrl + on.replace("mod-rrl/r1", "mod-stats"),
                           "global-module 'mod-stats': e2ud has two modules, mod-rrl (as "
                           "mod-rrl/ID) and mod-cookies"),
                          (rrl + on.replace("default", "slaves"),
                           "template 'slaves': e2ud has only the default template"),
                          (rrl + "zone:\n  - domain: 1.e164.arpa\n    module: mod-rrl/r1\n",
                           "zone '1.e164.arpa': e2ud has no per-zone modules")):
            p = subprocess.run([E2UD, "--check", "-c", self.conf(text)], capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 1, text)
            self.assertIn(why, p.stderr)
        # what the server says of itself: one TXT string; an NSID as text or 0x and hex octets
        for text, why in (("server:\n    identity: " + "n" * 256 + "\n",
                           "identity: longer than 255 octets"),
                          ("server:\n    nsid: 0xabc\n", "nsid '0xabc': expected text, or 0x"),
                          ("server:\n    nsid: 0x12zz\n", "nsid '0x12zz'"),
                          ("server:\n    nsid: 0x\n", "nsid '0x'"),
                          ("server:\n    nsid: " + "n" * 256 + "\n", "at most 255 octets")):
            p = subprocess.run([E2UD, "--check", "-c", self.conf(text)], capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 1, text)
            self.assertIn(why, p.stderr)
        # mod-cookies as Knot writes it: a secret of 16 octets, a lifetime of at most 36 days
        ck = "mod-cookies:\n  - id: c\n"
        for text, why in ((ck + "    secret: 0x0011\n", "mod-cookies secret: expected 16 octets"),
                          (ck + "    secret-lifetime: 37d\n",
                           "mod-cookies secret-lifetime '37d': expected a time"),
                          (ck + "    secret-lifetime: 5x\n", "secret-lifetime '5x'"),
                          (ck + "    badcookie-slip: 0\n", "badcookie-slip '0'"),
                          (ck + "    slip: 2\n", "unknown item 'slip' in section 'mod-cookies'"),
                          (on.replace("mod-rrl/r1", "mod-cookies/c"),
                           "global-module: no mod-cookies 'c' defined before")):
            p = subprocess.run([E2UD, "--check", "-c", self.conf(text)], capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 1, text)
            self.assertIn(why, p.stderr)
        for text in (ck + "    secret: 0x000102030405060708090a0b0c0d0e0f\n    secret-lifetime: "
                     "2h\n" + on.replace("mod-rrl/r1", "mod-cookies/c"),
                     on.replace("mod-rrl/r1", "mod-cookies")):  # at its defaults, as Knot allows
            p = subprocess.run([E2UD, "--check", "-c", self.conf(text)], capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 0, text + p.stderr)
        both = self.conf(rrl + "    whitelist: [::1, 10.0.0.0/8]\n" + on)
        p = subprocess.run([E2UD, "--check", "-c", both], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        good_key = self.conf(f"key:\n  - id: k1\n    secret: {secret}\n")
        p = subprocess.run([E2UD, "--check", "-c", good_key], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run([E2UD, "--check", "-d", os.path.join(self.tmp, "nothing")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        p = subprocess.run([E2UD, "--check", "-d", self.db], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run([E2UD, "--listen", "nonsense", "-d", self.db], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 2)

    def test_identity_version_nsid(self):
        """server: identity, version and nsid as an operator sets them: the answers equal Knot's
        with the same lines, "" turns each off, and SIGHUP changes them for the next query."""
        number = "3.2.1.0.5.5.5.5.1.2." + ORIGIN
        questions = [("id.server.", "TXT", "CH"), ("hostname.bind.", "TXT", "CH"),
                     ("version.server.", "TXT", "CH"), ("version.bind.", "TXT", "CH"),
                     (number, "NAPTR", "IN"), ("example.com.", "A", "IN")]
        first = ("server:\n    identity: ns1.e2u.test\n    version: \"\"\n"
                 "    nsid: 0x6e73312d3031\n")
        second = "server:\n    identity: \"\"\n    version: \"edge 7\"\n    nsid: \"\"\n"
        cf = self.conf(first)
        s = self.start(conf=cf)
        for text in (first, second):
            if text is second:
                with open(cf, "w") as f:
                    f.write(text)
                s.proc.send_signal(signal.SIGHUP)
                deadline = time.time() + 10
                while "generation 2" not in s.logtext() and time.time() < deadline:
                    time.sleep(0.1)
                self.assertIn("generation 2", s.logtext())
            knot = daemons.Knot({ORIGIN: SMALL_ZONE}, extra_conf=text)
            try:
                for tcp in (False, True):
                    for name, t, c in questions:
                        wire = make(name, t, c)
                        self.assertEqual(view(exchange(s.port, wire, tcp)),
                                         view(exchange(knot.port, wire, tcp)),
                                         f"{name} {c} {t} {'tcp' if tcp else 'udp'}")
            finally:
                knot.stop()
            ident = view(exchange(s.port, make("id.server.", "TXT", "CH")))
            vers = view(exchange(s.port, make("version.bind.", "TXT", "CH")))
            plain = view(exchange(s.port, make(number, "NAPTR", options=[])))
            self.assertEqual(plain["options"], [])  # an NSID only to a client that asks
            if text is first:
                self.assertEqual(ident["answer"], ['id.server. 0 CH TXT "ns1.e2u.test"'])
                self.assertEqual(ident["options"], [(dns.edns.NSID, b"ns1-01")])
                self.assertEqual(vers["rcode"], "REFUSED")
            else:
                self.assertEqual((ident["rcode"], ident["options"]), ("REFUSED", []))
                self.assertEqual(vers["answer"], ['version.bind. 0 CH TXT "edge 7"'])

    def test_cookies_with_rate_limiting(self):
        """mod-cookies beside mod-rrl: answers to a client that shows our server cookie are never
        limited (as in Knot); badcookie-slip answers one bad cookie in N over UDP; without a
        configured secret a random one, which a reload replaces, so an old cookie is bad."""
        number = "3.2.1.0.5.5.5.5.1.2." + ORIGIN
        sport = daemons.free_port()
        text = (f"server:\n    stats-listen: 127.0.0.1@{sport}\n"
                "mod-rrl:\n  - id: strict\n    rate-limit: 10\n    slip: 2\n"
                "mod-cookies:\n  - id: c\n    badcookie-slip: 3\n"
                "template:\n  - id: default\n    global-module: [mod-rrl/strict, mod-cookies/c]\n")
        cf = self.conf(text)
        s = self.start(conf=cf, extra=("-n", "1"))
        said = ("DNS cookies (mod-cookies 'c'): a random secret, a new one every 93600 s; one in 3 "
                "bad cookies over UDP answered BADCOOKIE\n")
        deadline = time.time() + 5
        while said not in s.logtext() and time.time() < deadline:
            time.sleep(0.1)
        self.assertIn(said, s.logtext())
        cc = bytes.fromhex("1111111111111111")
        first = view(exchange(s.port, make(number, "NAPTR", options=[cookie_opt(cc)])))
        self.assertEqual(first["rcode"], "BADCOOKIE")
        full = first["options"][0][1]
        self.assertEqual((len(full), full[:8], full[8:12]), (24, cc, b"\x01\0\0\0"))
        # 100 questions in one second with the cookie: all answered in full, while the same
        # without it get the limit: 10 full, 45 truncated, 45 nothing (rate 10, slip 2)
        answered, tc, none = self.burst(s.port, [number] * 100, options=[cookie_opt(full)])
        self.assertEqual((len(answered), len(tc), none), (100, 0, 0))
        self.assertTrue(all(m.rcode() == dns.rcode.NOERROR and m.answer for m in answered))
        answered, tc, none = self.burst(s.port, [number] * 100)
        self.assertEqual((len(answered), len(tc), none), (10, 45, 45))
        # 30 with a server cookie we did not make: one in 3 gets BADCOOKIE, the rest nothing
        answered, tc, none = self.burst(s.port, [number] * 30,
                                        options=[cookie_opt(cc + bytes(16))])
        self.assertEqual((len(answered), len(tc), none), (10, 0, 20))
        self.assertTrue(all(m.rcode() == dns.rcode.BADCOOKIE for m in answered))
        def cookie_metrics():
            body = urllib.request.urlopen(f"http://127.0.0.1:{sport}/metrics", timeout=5).read()
            v = parse_metrics(body.decode())
            return [v[f'e2ud_cookie_queries_total{{result="{r}"}}'] for r in
                    ("valid", "badcookie", "dropped", "renewed", "malformed")]
        # a burst is sent again when its answers straddle a second: n times 100 valid; the
        # first BADCOOKIE, then n times 10 answered and 20 dropped of the 30
        valid, bad, dropped, renewed, malformed = before = cookie_metrics()
        self.assertTrue(valid >= 100 and valid % 100 == 0, valid)
        self.assertTrue(bad >= 11 and (bad - 1) * 2 == dropped, (bad, dropped))
        self.assertEqual((renewed, malformed), (0, 0))
        # a reload draws a new secret: the cookie learnt before is bad now
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "generation 2" not in s.logtext() and time.time() < deadline:
            time.sleep(0.1)
        self.assertIn("generation 2", s.logtext())
        again = [view(exchange(s.port, make(number, "NAPTR", options=[cookie_opt(full)])))
                 for _ in range(3)]  # one in 3 answered
        self.assertEqual([a["rcode"] for a in again if a], ["BADCOOKIE"])
        # over TCP the answer, with a new cookie; a COOKIE of 9 octets is FORMERR
        m = view(exchange(s.port, make(number, "NAPTR", options=[cookie_opt(full)]), tcp=True))
        self.assertEqual((m["rcode"], len(m["answer"])), ("NOERROR", 1))
        self.assertNotEqual(m["options"][0][1], full)
        m = view(exchange(s.port, make(number, "NAPTR", options=[cookie_opt(cc + b"x")])))
        self.assertEqual(m["rcode"], "FORMERR")
        # since the reload: 1 of the 3 answered BADCOOKIE, 2 dropped; 1 renewed; 1 malformed
        self.assertEqual([b - a for a, b in zip(before, cookie_metrics())], [0, 1, 2, 1, 1])

    def test_cookie_secret_lifetime(self):
        """A random secret changes every secret-lifetime: a cookie verifies in the period it
        was made in and in the next one (so a change does not turn every client away at once),
        and not after. The periods are whole seconds counted from the start; the cookie's own
        timestamp tells the second it was made in."""
        text = ("mod-cookies:\n  - id: c\n    secret-lifetime: 2s\n"
                "template:\n  - id: default\n    global-module: mod-cookies/c\n")
        s = self.start(conf=self.conf(text))
        cc = os.urandom(8)
        first = view(exchange(s.port, make(ORIGIN, "SOA", options=[cookie_opt(cc)])))
        full = first["options"][0][1]
        made = struct.unpack("!I", full[12:16])[0]

        def at(second):
            while time.time() < second + 0.05:
                time.sleep(0.02)
            if int(time.time()) != second:
                self.skipTest("the machine was too slow to ask within the second")
            a = view(exchange(s.port, make(ORIGIN, "SOA", options=[cookie_opt(full)])))
            return a["rcode"], a["options"][0][1] == full
        self.assertEqual(at(made + 1), ("NOERROR", True))
        self.assertEqual(at(made + 2), ("NOERROR", True))   # the next period, always
        self.assertEqual(at(made + 4), ("BADCOOKIE", False))  # two periods on

    def test_sigterm_and_sighup(self):
        cf = self.conf("log:\n  - target: stderr\n    any: info\n")
        s = self.start(conf=cf)
        self.conf("log:\n  - target: stderr\n    any: debug\n")
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "reloaded" not in s.logtext() and time.time() < deadline:
            time.sleep(0.1)
        self.assertIn("reloaded", s.logtext())
        self.conf("log:\n  - target: nowhere\n")
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "reload failed" not in s.logtext() and time.time() < deadline:
            time.sleep(0.1)
        self.assertIn("reload failed", s.logtext())
        self.assertIn("NOERROR", daemons.kdig(s.port, "SOA", ORIGIN))  # still serving
        self.assertEqual(s.stop(signal.SIGTERM), 0)
        self.assertIn("stopped", s.logtext())

    def test_reload(self):
        """SIGHUP applies keys, ACLs, zone settings and TCP timeouts to the next query, with
        queries going on (none lost); a broken file, or one that would make e2ud write the store
        it opened read-only, changes nothing; a changed setting only a restart applies is named;
        /metrics tells the generation and the outcome of the last reload."""
        s1, s2, s3 = ("c2VjcmV0LW9uZS1zZWNyZXQtb25lLXNlY3JldC0x",
                      "c2VjcmV0LXR3by1zZWNyZXQtdHdvLXNlY3JldC10d28=",
                      "c2VjcmV0LXRocmVlLXNlY3JldC10aHJlZS0zMw==")
        name = "3.2.1.0.5.5.5.5.1.2." + ORIGIN
        sport = daemons.free_port()
        stats = f"    stats-listen: 127.0.0.1@{sport}\n"
        log = "log:\n  - target: stderr\n    any: info\n"
        open_text = log + "server:\n" + stats + f"key:\n  - id: k1\n    secret: {s1}\n"
        # a private zone (RFC 4769 §7): queries need key k2; k1's secret has changed
        private = (log + "server:\n" + stats + "    tcp-idle-timeout: 1\n    udp-max-payload: 1400\n"
                   f"key:\n  - id: k1\n    secret: {s2}\n  - id: k2\n    secret: {s3}\n"
                   "acl:\n  - id: by-key\n    key: k2\n    action: query\n%s"
                   f"zone:\n  - domain: {ORIGIN}\n    acl: [by-key%s]\n")
        s = self.start(conf=self.conf(open_text))

        def config_metrics():
            body = urllib.request.urlopen(f"http://127.0.0.1:{sport}/metrics", timeout=5).read()
            v = parse_metrics(body.decode())
            return (v["e2ud_config_generation"], v["e2ud_config_last_reload_successful"],
                    v['e2ud_config_reloads_total{result="ok"}'],
                    v['e2ud_config_reloads_total{result="failed"}'])
        self.assertEqual(config_metrics(), (1, 1, 0, 0))

        def reload(pattern):
            mark = len(s.logtext())
            s.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 15
            while time.time() < deadline:
                text = s.logtext()[mark:]
                if re.search(pattern, text):
                    return text
                time.sleep(0.05)
            self.fail(f"no /{pattern}/ after SIGHUP:\n{s.logtext()[mark:]}")

        def rcode(tcp=False, key=None, secret=None):
            q = dns.message.make_query(name, "NAPTR")
            if key:
                q.use_tsig(dns.tsigkeyring.from_text({key: secret}), keyname=key)
            send = dns.query.tcp if tcp else dns.query.udp
            return dns.rcode.to_text(send(q, "127.0.0.1", port=s.port, timeout=5).rcode())

        # queries all along, one at a time over UDP: each must be answered
        seen, stop = [], threading.Event()

        def load():
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.settimeout(3)
            i = 0
            while not stop.is_set():
                i = (i + 1) & 0xffff
                q = dns.message.make_query(name, "NAPTR", id=i)
                sock.sendto(q.to_wire(), ("127.0.0.1", s.port))
                try:
                    while True:
                        m = dns.message.from_wire(sock.recvfrom(65535)[0])
                        if m.id == i:
                            break
                    seen.append(dns.rcode.to_text(m.rcode()))
                except socket.timeout:
                    seen.append("no answer")
            sock.close()
        t = threading.Thread(target=load)
        t.start()
        try:
            self.assertEqual(rcode(), "NOERROR")
            self.assertEqual(rcode(key="k1", secret=s1), "NOERROR")
            idle = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            self.conf(private % ("", ""))
            text = reload(r"reloaded \(generation 2\): 1 zones, 1 ACLs, 2 keys")
            self.assertRegex(text, r"take effect at restart: udp-max-payload\n")
            self.assertEqual(config_metrics(), (2, 1, 1, 0))
            for tcp in (False, True):
                self.assertEqual(rcode(tcp=tcp), "REFUSED")
                self.assertEqual(rcode(tcp=tcp, key="k2", secret=s3), "NOERROR")
                # with EDNS, why: Extended DNS Error 18, Prohibited (RFC 8914 §4.19)
                m = view(exchange(s.port, make(name, "NAPTR", options=[]), tcp))
                self.assertEqual((m["rcode"], m["options"]), ("REFUSED", [(15, b"\x00\x12")]))
            with self.assertRaises(dns.tsig.PeerBadSignature):  # k1 with its old secret
                rcode(key="k1", secret=s1)
            self.assertEqual(rcode(key="k1", secret=s2), "REFUSED")  # verified, not allowed
            # tcp-idle-timeout 1 s (was 10) closes the connection opened before the reload
            t0 = time.time()
            idle.settimeout(6)
            self.assertEqual(idle.recv(1), b"")
            self.assertLess(time.time() - t0, 4)
            idle.close()
            # a file with an error: nothing changes
            self.conf(private % ("", "") + "bogus: 1\n")
            reload(r"reload failed, keeping the running configuration: .*bogus")
            self.assertEqual(rcode(), "REFUSED")
            self.assertEqual(config_metrics(), (2, 0, 1, 1))
            # UPDATE allowed: the store was opened read-only, so the whole file is refused
            self.conf(private % ("  - id: upd\n    action: update\n", ", upd"))
            text = reload(r"refused, keeping the running configuration: acl upd allows update")
            self.assertIn("restart e2ud", text)
            self.assertEqual(rcode(), "REFUSED")
            self.assertEqual(rcode(key="k2", secret=s3), "NOERROR")
            self.assertEqual(config_metrics(), (2, 0, 1, 2))
            # and back: open to anyone again, k1 with its first secret
            self.conf(open_text)
            t_back = int(time.time())
            text = reload(r"reloaded \(generation 3\)")
            self.assertEqual(config_metrics(), (3, 1, 2, 2))
            body = urllib.request.urlopen(f"http://127.0.0.1:{sport}/metrics", timeout=5).read()
            loaded = parse_metrics(body.decode())[
                "e2ud_config_last_reload_success_timestamp_seconds"]
            self.assertTrue(t_back <= loaded <= time.time() + 1, (t_back, loaded))
            self.assertNotIn("take effect at restart", text)  # udp-max-payload as running
            self.assertEqual(rcode(), "NOERROR")
            self.assertEqual(rcode(tcp=True, key="k1", secret=s1), "NOERROR")
        finally:
            stop.set()
            t.join()
        self.assertNotIn("no answer", seen)
        self.assertIn("NOERROR", seen)
        self.assertIn("REFUSED", seen)
        self.assertEqual(set(seen), {"NOERROR", "REFUSED"})

    def burst(self, port, names, rdtype="NAPTR", sources=("127.0.0.1",), server="127.0.0.1",
              tries=5, options=()):
        """Send one UDP question per name (or (name, type)), from the source addresses in turn,
        within one second of CLOCK_MONOTONIC (the clock e2ud's rate limiter counts seconds by),
        and collect the answers: (full, the truncated ones, how many got none). A burst whose
        answers did not all come back in the second it started in is sent again, at the start
        of a later second."""
        for _ in range(tries):
            while time.monotonic() % 1 > 0.05:
                time.sleep(0.01)
            start = int(time.monotonic())
            socks = []
            for a in sources:
                sock = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET,
                                     socket.SOCK_DGRAM)
                sock.bind((a, 0))
                sock.setblocking(False)
                socks.append(sock)
            for i, name in enumerate(names):
                name, qtype = name if isinstance(name, tuple) else (name, rdtype)
                q = dns.message.make_query(name, qtype, use_edns=0, options=list(options))
                q.id = i
                q.flags &= ~dns.flags.RD
                socks[i % len(socks)].sendto(q.to_wire(), (server, port))
            full, tc, last = [], [], start
            while True:
                ready, _, _ = select.select(socks, [], [], 0.3)
                if not ready:
                    break
                for sock in ready:
                    m = dns.message.from_wire(sock.recv(65535))
                    last = time.monotonic()
                    (tc if m.flags & dns.flags.TC else full).append(m)
            for sock in socks:
                sock.close()
            # an answer sent in the next second would have been counted against full buckets
            if int(last) == start:
                return full, tc, len(names) - len(full) - len(tc)
        self.fail(f"no burst of {len(names)} questions was answered within one second")

    def test_rate_limiting(self):
        """mod-rrl as Knot DNS configures it: rate-limit answers a second per network, kind and
        name; every slip-th limited answer truncated, the rest dropped; never over TCP, never to
        a whitelisted network."""
        sport = daemons.free_port()
        text = (f"server:\n    stats-listen: 127.0.0.1@{sport}\n"
                "mod-rrl:\n  - id: strict\n    rate-limit: 10\n    slip: 2\n"
                "  - id: open\n    rate-limit: 10\n    whitelist: [192.0.2.0/24, 127.0.1.0/24]\n"
                "  - id: dry\n    rate-limit: 10\n    slip: 2\n    dry-run: on\n"
                "template:\n  - id: default\n    global-module: mod-rrl/%s\n")
        cf = self.conf(text % "strict")
        port6 = daemons.free_port()
        try:
            socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", port6))
            v6 = ("-l", f"::1@{port6}")
        except OSError:
            v6 = ()  # no IPv6 loopback here
        s = self.start(conf=cf, extra=("-n", "1", *v6))

        def metrics():
            body = urllib.request.urlopen(f"http://127.0.0.1:{sport}/metrics",
                                          timeout=5).read().decode()
            v = parse_metrics(body)
            return (v['e2ud_rrl_answers_total{action="dropped"}'],
                    v['e2ud_rrl_answers_total{action="slipped"}'])

        def reload(rrl_id, generation):
            with open(cf, "w") as f:
                f.write(text % rrl_id)
            s.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 10
            while f"generation {generation}" not in s.logtext() and time.time() < deadline:
                time.sleep(0.1)
            self.assertIn(f"generation {generation}", s.logtext())

        said = ("response rate limiting (mod-rrl 'strict'): 10 answers a second per network, "
                "kind and name; one in 2 limited answers sent truncated, the others dropped; 0 "
                "whitelisted networks; 393241 buckets\n")
        deadline = time.time() + 5  # logged just after the first answers can be given
        while said not in s.logtext() and time.time() < deadline:
            time.sleep(0.1)
        self.assertIn(said, s.logtext())
        number = "3.2.1.0.5.5.5.5.1.2." + ORIGIN
        # 100 questions for one number, in mixed case (one name all the same): 10 answered,
        # 90 over the limit, of which every 2nd goes out truncated and the others not at all
        rnd = random.Random(7)
        mixed = ["".join(c.upper() if rnd.random() < 0.5 else c for c in number)
                 for _ in range(100)]
        full, tc, none = self.burst(s.port, mixed)
        self.assertEqual((len(full), len(tc), none), (10, 45, 45))
        for m in full:
            self.assertEqual(len(m.answer), 1)
        for m in tc:
            # the header and the question, TC, no records but the OPT (RFC 6891 §6.1.1)
            self.assertEqual(m.rcode(), dns.rcode.NOERROR)
            self.assertEqual((m.answer, m.authority, m.additional), ([], [], []))
            self.assertEqual(m.edns, 0)
            self.assertEqual(m.question[0].name, dns.name.from_text(number))
        # the network counts, not the address: 127.0.0.1 and 127.0.0.2 share a /24 (the worker
        # has limited 90 answers: its 91st to 180th, every 2nd a slip), 127.0.1.1 has its own
        full, tc, none = self.burst(s.port, [number] * 100, sources=("127.0.0.1", "127.0.0.2"))
        self.assertEqual((len(full), len(tc), none), (10, 45, 45))
        full, tc, none = self.burst(s.port, [number] * 100, sources=("127.0.0.1", "127.0.1.1"))
        self.assertEqual((len(full), len(tc), none), (20, 40, 40))
        if v6:
            # IPv6 clients by /56 (::1 alone here)
            full, tc, none = self.burst(port6, [number] * 100, sources=("::1",), server="::1")
            self.assertEqual((len(full), len(tc), none), (10, 45, 45))
            self.assertIn("rate limiting normal answers for 3.2.1.0.5.5.5.5.1.2.1.e164.arpa. "
                          "to ::/56", s.logtext())
        # NXDOMAIN is counted by zone, not by name: 100 different absent names share a bucket
        absent = [f"{i}.9.9.9.1.2.3.4.5.6.{ORIGIN}" for i in range(100)]
        full, tc, none = self.burst(s.port, absent)
        self.assertEqual((len(full), len(tc), none), (10, 45, 45))
        self.assertTrue(all(m.rcode() == dns.rcode.NXDOMAIN for m in full + tc))
        # each kind and name has a bucket of its own: 10 questions each for the number's NAPTR
        # (normal), its TXT (empty), the apex SOA (normal, another name), ANY at the apex (any)
        # and a name outside the zones (error, REFUSED) are all answered
        five = [(number, "NAPTR"), (number, "TXT"), (ORIGIN, "SOA"), (ORIGIN, "ANY"),
                ("example.com.", "A")]
        full, tc, none = self.burst(s.port, five * 10)
        self.assertEqual((len(full), len(tc), none), (50, 0, 0))
        # the eleventh of each is over the limit: 5 limited; the worker has limited an even
        # number so far (slips are counted per worker), so the 2nd and the 4th slip
        full, tc, none = self.burst(s.port, five * 11)
        self.assertEqual((len(full), len(tc), none), (50, 2, 3))
        # over TCP nothing is limited, in the same second as a burst that was
        full, tc, none = self.burst(s.port, [number] * 11)
        self.assertEqual((len(full), len(tc), none), (10, 1, 0))  # the next limited: a slip
        m = ask(s.port, number, "NAPTR", tcp=True)
        self.assertEqual((m.rcode(), len(m.answer)), (dns.rcode.NOERROR, 1))
        dropped, slipped = metrics()
        x = 45 if v6 else 0
        self.assertEqual((dropped, slipped), (178 + x, 178 + x))  # 45 + 45 + 40 + 45, 3 | 2 + 1
        self.assertIn("rate limiting normal answers for 3.2.1.0.5.5.5.5.1.2.1.e164.arpa. to "
                      "127.0.0.0/24: more than 10 a second", s.logtext())
        self.assertIn("rate limiting nxdomain answers for 1.e164.arpa. to 127.0.0.0/24",
                      s.logtext())
        # by reload, a whitelist and the default slip (1, Knot's): from the whitelisted
        # 127.0.1.1 all 100 answered; from 127.0.0.1 every limited answer truncated
        reload("open", 2)
        self.assertIn("(mod-rrl 'open'): 10 answers a second per network, kind and name; "
                      "limited answers sent truncated; 2 whitelisted networks", s.logtext())
        full, tc, none = self.burst(s.port, [number] * 100, sources=("127.0.1.1",))
        self.assertEqual((len(full), len(tc), none), (100, 0, 0))
        full, tc, none = self.burst(s.port, [number] * 100)
        self.assertEqual((len(full), len(tc), none), (10, 90, 0))
        self.assertEqual(metrics(), (178 + x, 268 + x))
        # dry-run: counted (90 limited, every 2nd a slip) and logged, but all answered in full
        reload("dry", 3)
        self.assertIn("393241 buckets; dry run: nothing held back", s.logtext())
        full, tc, none = self.burst(s.port, [number] * 100)
        self.assertEqual((len(full), len(tc), none), (100, 0, 0))
        self.assertEqual(metrics(), (223 + x, 313 + x))
        self.assertIn("more than 10 a second (dry run: all answered as they are)", s.logtext())

    def test_rate_limiting_under_other_traffic(self):
        """A limited kind keeps its count while other answers pass through the same table: with
        8 buckets (one set), 100 NXDOMAIN questions from one network, each followed by a
        question for another number that exists, still get 10 answers (and, slip 2, 45
        truncated); the 100 others, each asked once, are all answered."""
        zf = os.path.join(self.tmp, "many")
        with open(zf, "w") as f:
            f.write(SMALL_ZONE)
            for i in range(100):
                f.write(f'{owner(f"21555501{i:02d}")} NAPTR 10 100 "u" "E2U+sip" '
                        f'"!^.*$!sip:u{i}@example.com!" .\n')
        db = os.path.join(self.tmp, "many-store")
        ctl(db, "import", zf)
        cf = self.conf("mod-rrl:\n  - id: r\n    rate-limit: 10\n    slip: 2\n"
                       "    table-size: 8\ntemplate:\n  - id: default\n"
                       "    global-module: mod-rrl/r\n")
        s = E2ud(db, conf=cf, extra=("-n", "1"))
        self.servers.append(s)
        names = []
        for i in range(100):
            names.append(f"{i}.9.9.9.1.2.3.4.5.6.{ORIGIN}")
            names.append(owner(f"21555501{i:02d}") + "." + ORIGIN)
        full, tc, none = self.burst(s.port, names)
        nx = [m for m in full if m.rcode() == dns.rcode.NXDOMAIN]
        self.assertEqual(len(full) - len(nx), 100)
        self.assertEqual((len(nx), len(tc), none), (10, 45, 45))

    def test_statistics_endpoint(self):
        sport = daemons.free_port()
        cf = self.conf(f"server:\n    stats-listen: 127.0.0.1@{sport}\n")
        s = self.start(conf=cf)
        for _ in range(5):
            ask(s.port, "3.2.1.0.5.5.5.5.1.2." + ORIGIN, "NAPTR")
        ask(s.port, "9.2.1.0.5.5.5.5.1.2." + ORIGIN, "NAPTR")
        ask(s.port, "example.com.", "A", tcp=True)
        body = urllib.request.urlopen(f"http://127.0.0.1:{sport}/metrics", timeout=5).read().decode()
        self.assertIn('e2ud_queries_total{rcode="NOERROR"} ', body)
        vals = parse_metrics(body)
        self.assertGreaterEqual(vals['e2ud_queries_total{rcode="NOERROR"}'], 5)
        self.assertGreaterEqual(vals['e2ud_queries_total{rcode="NXDOMAIN"}'], 1)
        self.assertGreaterEqual(vals['e2ud_queries_total{rcode="REFUSED"}'], 1)
        self.assertGreaterEqual(vals['e2ud_queries_by_type_total{qtype="NAPTR"}'], 6)
        self.assertGreaterEqual(vals['e2ud_transport_queries_total{transport="tcp"}'], 1)
        self.assertEqual(vals['e2ud_query_duration_seconds_bucket{le="+Inf"}'],
                         vals["e2ud_query_duration_seconds_count"])
        # timed by the transports: six UDP questions (each its own batch here) and one over TCP
        self.assertGreaterEqual(vals["e2ud_query_duration_seconds_count"], 7)
        self.assertGreater(vals["e2ud_query_duration_seconds_sum"], 0)
        self.assertGreaterEqual(vals['e2ud_zone_queries_total{zone="1.e164.arpa."}'], 6)

    def test_number_index(self):
        """The number index (lib/store/index.c, server/indexer.c) is built at start and after
        changes once the store is quiet; a change is answered by the next query even though the
        index is then of the old data; with store-index: off there is none and the answers are
        the same."""
        sport = daemons.free_port()
        s = self.start(conf=self.conf(f"server:\n    stats-listen: 127.0.0.1@{sport}\n"))
        nums = int(re.search(r"numbers\s+(\d+)", ctl(self.db, "stats")).group(1))
        self.assertGreater(nums, 0)

        def metrics():
            return parse_metrics(urllib.request.urlopen(f"http://127.0.0.1:{sport}/metrics",
                                                        timeout=5).read().decode())

        def wait_current(builds):
            deadline = time.time() + 20
            while time.time() < deadline:
                v = metrics()
                if v["e2ud_store_index_current"] == 1 and \
                        v["e2ud_store_index_builds_total"] >= builds:
                    return v
                time.sleep(0.1)
            self.fail("no current number index: " + s.logtext())

        v = wait_current(1)
        self.assertEqual(v["e2ud_store_index_numbers"], nums)
        self.assertGreater(v["e2ud_store_index_bytes"], 0)
        self.assertIn(f"number index: {nums} numbers", s.logtext())
        name = "3.2.1.0.5.5.5.5.1.2." + ORIGIN

        def hits_after(*questions):
            """e2ud_store_index_hits_total's growth over asking these questions."""
            h = metrics()["e2ud_store_index_hits_total"]
            for qname, qtype in questions:
                ask(s.port, qname, qtype)
            return metrics()["e2ud_store_index_hits_total"] - h

        # a number is found through the index; an absent number, a name below a number and
        # the apex are not numbers of the index
        self.assertEqual(hits_after((name, "NAPTR")), 1)
        self.assertEqual(hits_after((name, "TXT"), (name.upper(), "NAPTR")), 2)
        self.assertEqual(hits_after(("9.9.9.9.5.5.5.5.1.2." + ORIGIN, "NAPTR"),
                                    ("x." + name, "NAPTR"), (ORIGIN, "SOA")), 0)
        before = ask(s.port, name, "NAPTR").answer[0].to_text()
        # a change: answered at once, while the index is still of the old data
        ctl(self.db, "set", "+12155550123", '10 100 "u" "E2U+sip" "!^.*$!sip:changed@x!" .')
        self.assertEqual(metrics()["e2ud_store_index_current"], 0)
        self.assertIn("sip:changed@x", ask(s.port, name, "NAPTR").answer[0].to_text())
        # the B-tree's answer, when the index was not rebuilt meanwhile (0.5 s after the commit
        # it may be: slow under valgrind)
        m0 = metrics()
        ask(s.port, name, "NAPTR")
        m1 = metrics()
        if m0["e2ud_store_index_current"] == 0 and \
                m1["e2ud_store_index_builds_total"] == m0["e2ud_store_index_builds_total"]:
            self.assertEqual(m1["e2ud_store_index_hits_total"], m0["e2ud_store_index_hits_total"])
        # ... and once the index is rebuilt
        wait_current(2)
        self.assertIn("sip:changed@x", ask(s.port, name, "NAPTR").answer[0].to_text())
        self.assertEqual(hits_after((name, "NAPTR")), 1)
        ctl(self.db, "del", "+12155550123")
        self.assertEqual(ask(s.port, name, "NAPTR").rcode(), dns.rcode.NXDOMAIN)
        v = wait_current(3)
        self.assertEqual(v["e2ud_store_index_numbers"], nums - 1)
        self.assertEqual(ask(s.port, name, "NAPTR").rcode(), dns.rcode.NXDOMAIN)
        self.assertEqual(s.stop(), 0)
        # off: no index, the same answers
        ctl(self.db, "set", "+12155550123", before.split(" NAPTR ", 1)[1])
        sport = daemons.free_port()
        s = self.start(conf=self.conf(f"server:\n    stats-listen: 127.0.0.1@{sport}\n"
                                      "    store-index: off\n"))
        self.assertNotIn("e2ud_store_index_numbers", metrics())
        self.assertEqual(ask(s.port, name, "NAPTR").answer[0].to_text(), before)
        self.assertNotIn("number index", s.logtext())

    def test_live_changes_under_load(self):
        """e2uctl set/del/import while e2ud answers a steady load: the next query sees each
        change, and no query goes unanswered."""
        s = self.start()
        name = "4.3.2.1.5.5.5.5.1.2." + ORIGIN  # +12155551234, absent at first
        stop = threading.Event()
        stats = {"sent": 0, "lost": 0}

        def load():
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.settimeout(2)
            q = dns.message.make_query("3.2.1.0.5.5.5.5.1.2." + ORIGIN, "NAPTR")
            while not stop.is_set():
                stats["sent"] += 1
                sock.sendto(q.to_wire(), ("127.0.0.1", s.port))
                try:
                    sock.recvfrom(65535)
                except socket.timeout:
                    stats["lost"] += 1
            sock.close()

        t = threading.Thread(target=load)
        t.start()
        try:
            self.assertEqual(ask(s.port, name, "NAPTR").rcode(), dns.rcode.NXDOMAIN)
            ctl(self.db, "set", "+1 215 555 1234",
                '10 100 "u" "E2U+sip" "!^.*$!sip:new@example.com!" .')
            m = ask(s.port, name, "NAPTR")
            self.assertEqual(m.rcode(), dns.rcode.NOERROR)
            self.assertIn("sip:new@example.com", m.answer[0].to_text())
            soa = ask(s.port, ORIGIN, "SOA").answer[0][0]
            self.assertEqual(soa.serial, 2)  # the file's serial 1, then one change
            ctl(self.db, "del", "+12155551234")
            self.assertEqual(ask(s.port, name, "NAPTR").rcode(), dns.rcode.NXDOMAIN)
            csv = os.path.join(self.tmp, "more.csv")
            with open(csv, "w") as f:
                f.write("".join(f"+1215555{i:04d},+12155550000\n" for i in range(2000, 3000)))
            ctl(self.db, "import", "--merge", csv)
            m = ask(s.port, "5.9.4.2.5.5.5.5.1.2." + ORIGIN, "NAPTR")
            self.assertIn("rn=+12155550000", m.answer[0].to_text())
            time.sleep(0.5)
        finally:
            stop.set()
            t.join()
        self.assertGreater(stats["sent"], 100)
        self.assertEqual(stats["lost"], 0)

    def test_store_preload(self):
        """The background preload (server/preload.c) maps every page of a store of more than
        64 MiB, with huge pages off and then on (the page cache dropped and read again), and
        the answers stay the data: sampled numbers, an absent one, and a change made after it.
        (Whether the pages come back as 2 MiB pages depends on the kernel and filesystem: it is
        printed, not asserted.)"""
        csv = os.path.join(self.tmp, "many.csv")
        # 1 600 000 numbers, about 74 MiB of store: above the 64 MiB from which huge pages are
        # used
        with open(csv, "w") as f:
            for b in range(0, 1600000, 100000):
                f.write("".join(f"+1215{i:07d},+1267{i % 1000:07d}\n"
                                for i in range(b, b + 100000)))
        ctl(self.db, "import", "--merge", csv)
        os.unlink(csv)
        for onoff in ("off", "on"):
            s = self.start(conf=self.conf(f"server:\n    store-huge-pages: {onoff}\n"))
            deadline = time.time() + 30
            while "store loaded" not in s.logtext() and time.time() < deadline:
                time.sleep(0.1)
            m = re.search(r"store loaded: (\d+) MiB in memory, (\d+) MiB of it in 2 MiB pages",
                          s.logtext())
            self.assertIsNotNone(m, s.logtext())
            self.assertGreaterEqual(int(m.group(1)), 64)
            self.assertLessEqual(int(m.group(2)), int(m.group(1)))
            sys.stderr.write(f"[huge pages {onoff}: {m.group(0)}] ")
            for i in (0, 1, 123456, 1599999):
                digits = f"215{i:07d}"
                a = ask(s.port, owner(digits) + "." + ORIGIN, "NAPTR")
                self.assertEqual(a.rcode(), dns.rcode.NOERROR, digits)
                self.assertIn(f"tel:+1{digits};npdi;rn=+1267{i % 1000:07d}",
                              a.answer[0].to_text())
            self.assertEqual(ask(s.port, owner("2159999999") + "." + ORIGIN, "NAPTR").rcode(),
                             dns.rcode.NXDOMAIN)
            ctl(self.db, "set", "+12150000007", f'10 100 "u" "E2U+sip" "!^.*$!sip:{onoff}@x!" .')
            self.assertIn(f"sip:{onoff}@x", ask(s.port, owner("2150000007") + "." + ORIGIN,
                                         "NAPTR")
                          .answer[0].to_text())
            self.assertEqual(s.stop(), 0)

    def test_hostile_input(self):
        s = self.start()
        good = dns.message.make_query("3.2.1.0.5.5.5.5.1.2." + ORIGIN, "NAPTR")
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(0.2)
        rnd = random.Random(7)
        junk = [b"", b"\x00", b"\x12\x34" * 5, bytes(12), b"\xff" * 12,
                bytes(12)[:4] + b"\x00\x01" + bytes(6) + b"\xc0\x0c\x00\x23\x00\x01",
                b"\x12\x34\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"]
        junk += [bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 600))) for _ in range(300)]
        for j in junk:
            sock.sendto(j, ("127.0.0.1", s.port))
        sock.close()
        self.assertEqual(ask(s.port, good.question[0].name, "NAPTR").rcode(), dns.rcode.NOERROR)
        # 64 KiB of garbage over TCP: framed garbage gets FORMERR or silence, never a crash
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
            try:
                c.sendall(b"\xff\xff" + bytes(rnd.getrandbits(8) for _ in range(65535)))
                c.recv(65535)
            except OSError:
                pass
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
            try:
                c.sendall(b"\x00\x05hello" + bytes(1000))  # shorter than a header: closed
                self.assertEqual(c.recv(100), b"")
            except OSError:
                pass
        # pipelined queries on one connection, answered in order
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
            wires = []
            for i in range(20):
                q = dns.message.make_query("3.2.1.0.5.5.5.5.1.2." + ORIGIN, "NAPTR")
                q.id = 1000 + i
                w = q.to_wire()
                wires.append(struct.pack("!H", len(w)) + w)
            c.sendall(b"".join(wires))
            f = c.makefile("rb")
            ids = []
            for _ in range(20):
                n = struct.unpack("!H", f.read(2))[0]
                ids.append(dns.message.from_wire(f.read(n)).id)
            self.assertEqual(ids, list(range(1000, 1020)))
        self.assertEqual(ask(s.port, good.question[0].name, "NAPTR", tcp=True).rcode(),
                         dns.rcode.NOERROR)

    def test_slow_clients(self):
        cf = self.conf("server:\n    tcp-max-clients: 40\n    tcp-io-timeout: 500\n"
                       "    tcp-idle-timeout: 1\n")
        s = self.start(conf=cf)
        slow = []
        for _ in range(30):  # each sends one octet of a length and stalls
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.sendall(b"\x00")
            slow.append(c)
        idle = [socket.create_connection(("127.0.0.1", s.port), timeout=5) for _ in range(9)]
        # the others are still answered, at once, over UDP and TCP
        t0 = time.time()
        self.assertEqual(ask(s.port, "3.2.1.0.5.5.5.5.1.2." + ORIGIN, "NAPTR").rcode(), 0)
        self.assertEqual(ask(s.port, "3.2.1.0.5.5.5.5.1.2." + ORIGIN, "NAPTR", tcp=True).rcode(), 0)
        self.assertLess(time.time() - t0, 2)
        # 41 connections: over the limit of 40, one is closed at once
        extra = [socket.create_connection(("127.0.0.1", s.port), timeout=5) for _ in range(3)]
        closed = 0
        for c in extra:
            c.settimeout(1)
            try:
                if c.recv(1) == b"":
                    closed += 1
            except socket.timeout:
                pass
        self.assertGreaterEqual(closed, 1)
        # after the timeouts, the stalled and the idle connections are gone
        time.sleep(2.5)
        for c in slow + idle:
            c.settimeout(1)
            try:
                self.assertEqual(c.recv(1), b"")
            except (ConnectionResetError, socket.timeout) as e:
                self.fail(f"connection not closed: {e}")
        for c in slow + idle + extra:
            c.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
