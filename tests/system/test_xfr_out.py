#!/usr/bin/python3
"""tests/system/test_xfr_out.py — e2ud as a primary: AXFR, IXFR and NOTIFY out, with Knot DNS
as a real secondary.

A zone is generated (numbers with one to three NAPTRs, other types at numbers, names below
numbers, a CNAME, a delegation with glue, apex records) and imported with e2uctl, then block
entries are merged from CSV: a block without a length, a block with one, and a prefix holding
both. e2ud serves it with a configuration in which transfers need a TSIG key from 127.0.0.0/8
and changes are NOTIFYed to Knot and to a scripted UDP secondary. Knot is configured as a
secondary of e2ud with the same key.

What the tests prove:
  - after Knot's first AXFR its zone (kdig AXFR from Knot) equals e2ud's, record for record,
    blocks included as wildcards, and e2ud's stream is TSIG-signed message by message;
  - Knot follows `e2uctl set` / `e2uctl del` by IXFR after a NOTIFY (Knot's log says IXFR, its
    answer changes within seconds), also for a block (as the wildcard), and its zone still equals
    e2ud's afterwards;
  - a block change IXFR cannot express (a prefix with blocks of two lengths) falls back to a
    full transfer inside the IXFR answer, and Knot still ends up equal;
  - refusals: an unsigned AXFR -> REFUSED, an unknown key -> NOTAUTH/BADKEY, a wrong secret ->
    NOTAUTH/BADSIG, a name that is not a zone -> NOTAUTH, AXFR over UDP -> NOTIMP;
  - IXFR from a serial older than the journal -> the whole zone; at the current serial -> the SOA
    alone; from a recent serial -> the condensed format of RFC 1995 §4;
  - NOTIFY: the message (opcode, AA, question, SOA in answer, TSIG), retries every 2 s until
    answered, and each outcome in e2ud's log;
  - a query pipelined behind an AXFR on one connection is answered after the transfer ends;
  - a zone of 50 000 numbers is transferred completely, and e2ud does not buffer it while the
    client does not read (its anonymous memory stays flat); a client that stops reading midway
    is disconnected after tcp-idle-timeout;
  - SIGTERM stops e2ud promptly with NOTIFY retries still pending.

Usage: test_xfr_out.py E2UD E2UCTL   (runs with /usr/bin/python3: it needs dnspython)
"""
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.tsigkeyring

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemons  # noqa: E402

E2UD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/server/e2ud"
E2UCTL = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/tools/e2uctl/e2uctl"

ORIGIN = "1.e164.arpa."
BIG = "4.4.e164.arpa."
BIG_NUMBERS = 50000
KEY = "xfr-key"
SECRET = "bm90LWEtcmVhbC1zZWNyZXQtYnV0LWxvbmctZW5vdWdo"
KEYRING = dns.tsigkeyring.from_text({KEY: ("hmac-sha256", SECRET)})
ALG = dns.tsig.HMAC_SHA256


def owner(digits):
    """Owner name, relative to 1.e164.arpa., of the number +1<digits>."""
    return ".".join(reversed(digits))


def make_zone(rnd):
    lines = [f"$ORIGIN {ORIGIN}", "$TTL 3600",
             "@ IN SOA ns1.example. hostmaster.example. 7 7200 3600 1209600 300",
             "@ IN NS ns1.example.", "@ IN NS ns2.example.", '@ IN TXT "an ENUM zone"']
    numbers = set()
    while len(numbers) < 1500:
        numbers.add(f"{rnd.randint(200, 999)}{rnd.randint(200, 999)}{rnd.randint(0, 9999):04d}")
    numbers = sorted(numbers)
    for i, n in enumerate(numbers):
        o = owner(n)
        for k in range(1 + i % 3):
            lines.append(f'{o} IN NAPTR 10 {100 + k} "u" "E2U+sip" '
                         f'"!^.*$!sip:+1{n}-{k}@sip{i % 7}.example;user=phone!" .')
    lines.append(f'{owner(numbers[0])} IN TXT "a number with a TXT too"')
    lines.append(f'{owner(numbers[1])} 600 IN A 192.0.2.1')
    lines.append(f'x.{owner(numbers[2])} IN TXT "below a number"')
    lines.append(f'{owner("5550100123")} IN CNAME {owner(numbers[4])}')
    lines.append(f'{owner("999")} IN NS ns.{owner("999")}')
    lines.append(f'ns.{owner("999")} IN A 192.0.2.53')
    return "\n".join(lines) + "\n", numbers


# +1666*: a block without a length; +1777555XXXX: with one; +1555123: both (the wildcard
# carries the one with the length)
BLOCKS_CSV = ("+1666*,10,100,u,E2U+sip,!^.*$!sip:block666@example.com!,.\n"
              "+1777555XXXX,10,100,u,E2U+pstn:tel,!^.*$!tel:+17775550000;npdi!,.\n"
              "+1555123*,10,100,u,E2U+sip,!^.*$!sip:any-length@example.com!,.\n"
              "+1555123XXXX,10,100,u,E2U+sip,!^.*$!sip:eleven@example.com!,.\n")


def ctl(db, *args):
    p = subprocess.run([E2UCTL, "-d", db, "--no-sync", *args], capture_output=True, text=True,
                       timeout=300)
    if p.returncode != 0:
        raise AssertionError(f"e2uctl {' '.join(args)}: {p.stderr}")
    return p.stdout


def logtext(f):
    if not f.closed:
        f.flush()
    with open(f.name) as r:
        return r.read()


class E2ud:
    def __init__(self, db, conf):
        self.port = daemons.free_port()
        self.dir = tempfile.mkdtemp(prefix="e2ud-")
        self.log = open(os.path.join(self.dir, "e2ud.log"), "w")
        self.proc = daemons.spawn([E2UD, "-d", db, "-l", f"127.0.0.1@{self.port}", "-c", conf,
                                   "-n", "2"], self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("e2ud exited: " + logtext(self.log))
            if "status: NOERROR" in daemons.kdig(self.port, "SOA", ORIGIN):
                return
            time.sleep(0.1)
        raise RuntimeError("e2ud did not answer: " + logtext(self.log))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode


class KnotSecondary:
    """knotd as a secondary of e2ud for ORIGIN: NOTIFY and transfers with the TSIG key; anyone
    on loopback may AXFR from it (for the comparison)."""

    def __init__(self, port, primary_port):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="e2u-knot2-")
        os.makedirs(os.path.join(self.dir, "db"))
        conf = (f"server:\n    listen: 127.0.0.1@{port}\n    rundir: {self.dir}\n"
                "    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n"
                f"database:\n    storage: {self.dir}/db\n"
                "log:\n  - target: stderr\n    any: info\n"
                f"key:\n  - id: {KEY}\n    algorithm: hmac-sha256\n    secret: {SECRET}\n"
                f"remote:\n  - id: e2ud\n    address: 127.0.0.1@{primary_port}\n    key: {KEY}\n"
                "acl:\n  - id: notify-from-e2ud\n    address: 127.0.0.0/8\n"
                f"    key: {KEY}\n    action: notify\n"
                "  - id: local-transfer\n    address: 127.0.0.0/8\n    action: transfer\n"
                f"template:\n  - id: default\n    storage: {self.dir}\n    zonefile-sync: -1\n"
                "    zonefile-load: none\n"
                f"zone:\n  - domain: {ORIGIN}\n    master: e2ud\n"
                "    acl: [notify-from-e2ud, local-transfer]\n")
        with open(os.path.join(self.dir, "knot.conf"), "w") as f:
            f.write(conf)
        self.log = open(os.path.join(self.dir, "knot.log"), "w")
        self.proc = daemons.spawn(["knotd", "-c", os.path.join(self.dir, "knot.conf")], self.log)

    def serial(self):
        out = daemons.kdig(self.port, "SOA", ORIGIN, "+short")
        m = re.search(r"\S+ \S+ (\d+) ", out)
        return int(m.group(1)) if m else None

    def wait_serial(self, serial, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("knotd exited: " + logtext(self.log)[-3000:])
            if self.serial() == serial:
                return time.time()
            time.sleep(0.1)
        raise AssertionError(f"Knot did not reach serial {serial}: " + logtext(self.log)[-3000:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def read_exact(sock, n):
    b = b""
    while len(b) < n:
        d = sock.recv(n - len(b))
        if not d:
            raise EOFError("connection closed")
        b += d
    return b


def read_msg(sock):
    """One DNS message from a TCP stream (RFC 1035 §4.2.2 framing)."""
    return read_exact(sock, struct.unpack("!H", read_exact(sock, 2))[0])


class SlowAxfr:
    """A TSIG-signed AXFR on a connection with a 4 KiB receive buffer, sent and not read: e2ud
    can put out only what that buffer and its own few queued messages hold until read_one() or
    read_all() takes messages, each verified in turn (RFC 8945 §5.3.1)."""

    def __init__(self, port, zone):
        self.query = dns.message.make_query(zone, "AXFR")
        self.query.use_tsig(KEYRING, keyname=KEY, algorithm=ALG)
        w = self.query.to_wire()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(struct.pack("!H", len(w)) + w)
        self.sock.settimeout(30)
        self.records = self.soas = self.msgs = self.octets = 0
        self.tsig_ctx = None

    def read_one(self):
        wire = read_msg(self.sock)
        m = dns.message.from_wire(wire, keyring=KEYRING, request_mac=self.query.mac, xfr=True,
                                  tsig_ctx=self.tsig_ctx, multi=True, one_rr_per_rrset=True)
        self.tsig_ctx = m.tsig_ctx
        self.msgs += 1
        self.octets += len(wire)
        for rrset in m.answer:
            self.records += len(rrset)
            self.soas += rrset.rdtype == dns.rdatatype.SOA

    def read_all(self):
        """Up to the closing SOA."""
        while self.soas < 2:
            self.read_one()
        self.sock.close()


class Transfer:
    """One zone transfer read by hand, so that every message can be looked at."""

    def __init__(self, port, zone, rdtype="AXFR", serial=None, keyring=KEYRING, keyname=KEY,
                 algorithm=ALG, timeout=30, sock=None, extra_wire=b""):
        q = dns.message.make_query(zone, rdtype)
        q.flags &= ~dns.flags.RD
        if serial is not None:
            soa = dns.rrset.from_text(zone, 0, "IN", "SOA", f". . {serial} 0 0 0 0")
            q.authority.append(soa)
        if keyring:
            q.use_tsig(keyring, keyname=keyname, algorithm=algorithm)
        wire = q.to_wire()
        self.query = q
        self.messages = []
        self.rrs = []  # (name, ttl, type, rdata text), in order
        self.rcode = None
        self.sizes = []
        s = sock or socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.settimeout(timeout)
        s.sendall(struct.pack("!H", len(wire)) + wire + extra_wire)
        self.sock = s
        tsig_ctx = None
        is_ixfr = rdtype == "IXFR"
        deadline = time.time() + timeout
        while time.time() < deadline:
            m_wire = self.read_msg()
            self.sizes.append(len(m_wire))
            m = dns.message.from_wire(m_wire, keyring=q.keyring, request_mac=q.mac, xfr=True,
                                      origin=None, tsig_ctx=tsig_ctx, multi=True,
                                      one_rr_per_rrset=True)
            tsig_ctx = m.tsig_ctx
            self.messages.append(m)
            if self.rcode is None:
                self.rcode = m.rcode()
            if m.rcode() != dns.rcode.NOERROR:
                break
            for rrset in m.answer:
                for rd in rrset:
                    self.rrs.append((rrset.name.to_text(), rrset.ttl,
                                     dns.rdatatype.to_text(rrset.rdtype), rd.to_text()))
            if self.complete(is_ixfr):
                break
        if sock is None:
            s.close()

    def read_msg(self):
        return read_msg(self.sock)

    def complete(self, is_ixfr):
        """Whether the RRs so far end the transfer (RFC 5936 §2.2, RFC 1995 §4)."""
        rrs = self.rrs
        soas = [i for i, r in enumerate(rrs) if r[2] == "SOA"]
        if not soas:
            return False
        if not is_ixfr or (len(rrs) > 1 and rrs[1][2] != "SOA"):
            return len(soas) >= 2  # AXFR, or an AXFR-style IXFR: up to the second SOA
        if len(rrs) == 1:
            return True  # our SOA alone: the client is current
        # condensed: SOA(new), then per change SOA(old) ... SOA(next) ..., then SOA(new): the
        # SOAs after the first alternate old/next, and an SOA(new) in an "old" place ends it
        tail = [self.serial_of(rrs[i]) for i in soas[1:]]
        return len(tail) % 2 == 1 and tail[-1] == self.serial_of(rrs[0])

    @staticmethod
    def serial_of(rr):
        return int(rr[3].split()[2])

    def zone(self):
        """The records of an AXFR(-style) answer without the closing SOA, sorted."""
        return sorted(self.rrs[:-1])


def zone_equal_msg(a, b):
    sa, sb = set(a), set(b)
    return (f"only in e2ud: {sorted(sa - sb)[:10]}; only in Knot: {sorted(sb - sa)[:10]}; "
            f"{len(a)} vs {len(b)} records")


class XfrOut(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="e2u-xfrout-")
        text, cls.numbers = make_zone(random.Random(1995))
        zf = os.path.join(cls.tmp, "zone")
        with open(zf, "w") as f:
            f.write(text)
        cls.db = os.path.join(cls.tmp, "store")
        ctl(cls.db, "import", zf)
        bf = os.path.join(cls.tmp, "blocks.csv")
        with open(bf, "w") as f:
            f.write(BLOCKS_CSV)
        ctl(cls.db, "import", "--merge", bf)
        big = os.path.join(cls.tmp, "big.csv")
        with open(big, "w") as f:
            for i in range(BIG_NUMBERS):
                n = f"+44{2000000000 + i * 7}"
                f.write(f"{n},+44{1000000000 + i % 97}\n")
        ctl(cls.db, "import", "--zone", BIG, big)

        # the scripted secondary: ignores the first two NOTIFYs of each serial, answers the rest
        cls.notifies = []
        cls.notify_lock = threading.Lock()

        def fake(wire):
            t = time.time()
            try:
                m = dns.message.from_wire(wire, keyring=KEYRING)
                serial = m.answer[0][0].serial
            except Exception as e:  # noqa: BLE001 — the test looks at it
                with cls.notify_lock:
                    cls.notifies.append((t, None, repr(e)))
                return None
            with cls.notify_lock:
                cls.notifies.append((t, m, None))
                n = sum(1 for _, x, _ in cls.notifies if x and x.answer[0][0].serial == serial)
            if n <= 2:
                return None
            return dns.message.make_response(m).to_wire()
        cls.fake = daemons.FakeDNS(fake)

        knot_port = daemons.free_port()
        cls.conf = os.path.join(cls.tmp, "e2ud.conf")
        with open(cls.conf, "w") as f:
            f.write(f"server:\n    tcp-workers: 1\n    tcp-idle-timeout: 3\n"
                    f"key:\n  - id: {KEY}\n    algorithm: hmac-sha256\n    secret: {SECRET}\n"
                    f"remote:\n  - id: knot\n    address: 127.0.0.1@{knot_port}\n    key: {KEY}\n"
                    f"  - id: fake\n    address: 127.0.0.1@{cls.fake.port}\n    key: {KEY}\n"
                    f"acl:\n  - id: replicas\n    address: 127.0.0.0/8\n    key: {KEY}\n"
                    "    action: [transfer, notify]\n"
                    f"zone:\n  - domain: {ORIGIN}\n    acl: [replicas]\n    notify: [knot, fake]\n"
                    f"  - domain: {BIG}\n    acl: [replicas]\n")
        cls.e2ud = E2ud(cls.db, cls.conf)
        cls.knot = KnotSecondary(knot_port, cls.e2ud.port)
        cls.knot.wait_serial(cls.e2ud_serial())

    @classmethod
    def tearDownClass(cls):
        cls.e2ud.stop()
        cls.knot.stop()
        cls.fake.stop()
        cls.e2ud.log.close()
        cls.knot.log.close()

    @classmethod
    def e2ud_serial(cls, zone=ORIGIN):
        out = daemons.kdig(cls.e2ud.port, "SOA", zone, "+short")
        return int(out.split()[2])

    def knot_zone(self):
        return Transfer(self.knot.port, ORIGIN, keyring=None).zone()

    def e2ud_zone(self):
        return Transfer(self.e2ud.port, ORIGIN).zone()

    def assert_knot_equal(self):
        a, b = self.e2ud_zone(), self.knot_zone()
        self.assertEqual(a, b, zone_equal_msg(a, b))

    def knot_log_since(self, mark):
        return logtext(self.knot.log)[mark:]

    def set_and_follow(self, *ctl_args, check_name=None, expect=None):
        """Apply a change with e2uctl; wait until Knot has the new serial; returns Knot's log
        written meanwhile."""
        mark = len(logtext(self.knot.log))
        before = self.e2ud_serial()
        t0 = time.time()
        ctl(self.db, *ctl_args)
        after = self.e2ud_serial()
        self.assertEqual(after, before + 1)
        t1 = self.knot.wait_serial(after, timeout=15)
        self.assertLess(t1 - t0, 10, "Knot followed too slowly")
        if check_name:
            ans = daemons.kdig(self.knot.port, "NAPTR", check_name, "+short")
            self.assertIn(expect, ans)
        time.sleep(0.3)  # let Knot finish logging
        return self.knot_log_since(mark), after

    # --- Knot as a secondary ---------------------------------------------------------------

    def test_01_first_axfr_equal(self):
        """Knot's zone after its first AXFR equals e2ud's, blocks as wildcards."""
        self.assertIn("AXFR, incoming", logtext(self.knot.log))
        t = Transfer(self.e2ud.port, ORIGIN)
        self.assertEqual(t.rcode, dns.rcode.NOERROR)
        self.assertGreater(len(t.messages), 3, "a zone this size takes several messages")
        for m in t.messages:
            self.assertTrue(m.flags & dns.flags.AA)
            self.assertTrue(m.had_tsig, "every message is signed (RFC 8945 §5.3.1)")
            self.assertEqual(m.id, t.query.id)
        self.assertTrue(all(s <= 65535 for s in t.sizes))
        zone = t.zone()
        names = {r[0] for r in zone}
        self.assertIn("*.6.6.6.1.e164.arpa.", names)
        self.assertIn("*.5.5.5.7.7.7.1.e164.arpa.", names)
        wild = [r for r in zone if r[0] == "*.3.2.1.5.5.5.1.e164.arpa."]
        self.assertEqual(len(wild), 1, wild)
        self.assertIn("eleven@", wild[0][3], "the block with a length wins at its prefix")
        self.assertEqual(t.rrs[0][2], "SOA")
        self.assertEqual(t.rrs[-1], t.rrs[0])
        knot = self.knot_zone()
        self.assertEqual(zone, knot, zone_equal_msg(zone, knot))
        # Knot answers a number under a block from the wildcard
        ans = daemons.kdig(self.knot.port, "NAPTR", owner("6661234567") + "." + ORIGIN, "+short")
        self.assertIn("block666@", ans)

    def test_02_set_follows_by_ixfr(self):
        """e2uctl set: NOTIFY, then Knot transfers by IXFR and answers the new record."""
        n = self.numbers[10]
        name = owner(n) + "." + ORIGIN
        log, serial = self.set_and_follow(
            "set", "+1" + n, '10 100 "u" "E2U+sip" "!^.*$!sip:changed@example.org!" .',
            check_name=name, expect="changed@example.org")
        self.assertRegex(log, r"IXFR, incoming, remote \S+, finished")
        self.assertNotIn("AXFR-style", log)
        self.assertNotIn("fallback to AXFR", log)
        e2ud_log = logtext(self.e2ud.log)
        self.assertRegex(e2ud_log, rf"NOTIFY, outgoing, remote knot \S+, serial {serial}: NOERROR")
        self.assertRegex(e2ud_log, rf"IXFR, outgoing, remote \S+, started, serial {serial - 1} -> "
                                   rf"{serial}")
        self.assert_knot_equal()

    def test_03_block_change_as_wildcard(self):
        """A changed block reaches Knot by IXFR as the wildcard's new record."""
        log, serial = self.set_and_follow(
            "set", "+1666*", '10 100 "u" "E2U+sip" "!^.*$!sip:block666-v2@example.com!" .',
            check_name=owner("6669876543") + "." + ORIGIN, expect="block666-v2@")
        self.assertRegex(log, r"IXFR, incoming, remote \S+, finished")
        self.assertNotIn("AXFR-style", log)
        t = Transfer(self.e2ud.port, ORIGIN, "IXFR", serial=serial - 1)
        self.assertEqual(t.rrs[1][2], "SOA", "condensed IXFR")
        changed = [r for r in t.rrs if r[2] == "NAPTR"]
        self.assertEqual([r[0] for r in changed], ["*.6.6.6.1.e164.arpa."] * 2)
        self.assertIn("block666@", changed[0][3])      # removed
        self.assertIn("block666-v2@", changed[1][3])   # added
        self.assert_knot_equal()

    def test_04_delete_follows(self):
        """e2uctl del: Knot's name disappears (by IXFR)."""
        n = self.numbers[20]
        log, _ = self.set_and_follow("del", "+1" + n)
        self.assertRegex(log, r"IXFR, incoming, remote \S+, finished")
        self.assertNotIn("AXFR-style", log)
        out = daemons.kdig(self.knot.port, "NAPTR", owner(n) + "." + ORIGIN)
        self.assertIn("NXDOMAIN", out)
        self.assert_knot_equal()

    def test_05_two_length_block_falls_back(self):
        """A change at a prefix with blocks of two lengths cannot be an IXFR: the answer is the
        whole zone (RFC 1995 §4) and Knot still ends up equal."""
        log, serial = self.set_and_follow(
            "set", "+1555123XXXX", '10 100 "u" "E2U+sip" "!^.*$!sip:eleven-v2@example.com!" .',
            check_name=owner("5551230000") + "." + ORIGIN, expect="eleven-v2@")
        self.assertIn("receiving AXFR-style IXFR", log)
        t = Transfer(self.e2ud.port, ORIGIN, "IXFR", serial=serial - 1)
        self.assertEqual(t.rrs[0][2], "SOA")
        self.assertNotEqual(t.rrs[1][2], "SOA", "AXFR-style answer")
        self.assertEqual(t.zone(), self.e2ud_zone())
        self.assertIn("full transfer (a changed block shares its prefix with a block of another "
                      "length)", logtext(self.e2ud.log))
        self.assert_knot_equal()

    # --- refusals ----------------------------------------------------------------------------

    def raw_answer(self, q, tcp=True):
        if tcp:
            return dns.query.tcp(q, "127.0.0.1", port=self.e2ud.port, timeout=5)
        return dns.query.udp(q, "127.0.0.1", port=self.e2ud.port, timeout=5)

    def test_06_refusals(self):
        # allowed address, no key: the ACL rule needs the key
        t = Transfer(self.e2ud.port, ORIGIN, keyring=None)
        self.assertEqual(t.rcode, dns.rcode.REFUSED)
        self.assertEqual(t.rrs, [])
        # a key the server does not know: NOTAUTH, TSIG error BADKEY (RFC 8945 §5.2.1), and the
        # right key name with a wrong secret: NOTAUTH, BADSIG (§5.2.2); the error is the TSIG
        # RDATA's last field but one (no other data)
        other = dns.tsigkeyring.from_text({"other-key": ("hmac-sha256", SECRET)})
        wrong = dns.tsigkeyring.from_text(
            {KEY: ("hmac-sha256", "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==")})
        for ring, name, error in ((other, "other-key", 17), (wrong, KEY, 16)):
            q = dns.message.make_query(ORIGIN, "AXFR")
            q.use_tsig(ring, keyname=name, algorithm=ALG)
            w = q.to_wire()
            s = socket.create_connection(("127.0.0.1", self.e2ud.port), timeout=5)
            s.sendall(struct.pack("!H", len(w)) + w)
            a = read_msg(s)
            s.close()
            self.assertEqual(a[3] & 0x0f, dns.rcode.NOTAUTH)
            self.assertEqual(struct.unpack("!H", a[-4:-2])[0], error)
        # a name that is not a zone: not authoritative (RFC 5936 §2.2.1)
        t = Transfer(self.e2ud.port, "2.e164.arpa.")
        self.assertEqual(t.rcode, dns.rcode.NOTAUTH)
        t = Transfer(self.e2ud.port, owner("2125550123") + "." + ORIGIN)
        self.assertEqual(t.rcode, dns.rcode.NOTAUTH)
        # AXFR over UDP
        q = dns.message.make_query(ORIGIN, "AXFR")
        q.use_tsig(KEYRING, keyname=KEY, algorithm=ALG)
        self.assertEqual(self.raw_answer(q, tcp=False).rcode(), dns.rcode.NOTIMP)
        # IXFR without the client's SOA
        q = dns.message.make_query(ORIGIN, "IXFR")
        q.use_tsig(KEYRING, keyname=KEY, algorithm=ALG)
        self.assertEqual(self.raw_answer(q).rcode(), dns.rcode.FORMERR)

    # --- IXFR answers ------------------------------------------------------------------------

    def test_07_ixfr_older_than_journal(self):
        t = Transfer(self.e2ud.port, ORIGIN, "IXFR", serial=1)
        self.assertEqual(t.rcode, dns.rcode.NOERROR)
        self.assertNotEqual(t.rrs[1][2], "SOA", "AXFR-style")
        self.assertEqual(t.zone(), self.e2ud_zone())
        self.assertIn("full transfer (no journal from the client's serial)",
                      logtext(self.e2ud.log))

    def test_08_ixfr_current_serial(self):
        serial = self.e2ud_serial()
        for s in (serial, serial + 5):
            t = Transfer(self.e2ud.port, ORIGIN, "IXFR", serial=s)
            self.assertEqual(len(t.messages), 1)
            self.assertEqual(len(t.rrs), 1)
            self.assertEqual(t.rrs[0][2], "SOA")
            self.assertEqual(Transfer.serial_of(t.rrs[0]), serial)

    def test_09_ixfr_condensed(self):
        """Two changes in a row: SOA(new), [SOA(old) removed SOA(next) added] x 2, SOA(new)."""
        start = self.e2ud_serial()
        a, b = self.numbers[30], self.numbers[31]
        ctl(self.db, "set", "+1" + a, '10 100 "u" "E2U+sip" "!^.*$!sip:first@example.org!" .')
        ctl(self.db, "set", "+1" + b, '10 100 "u" "E2U+sip" "!^.*$!sip:second@example.org!" .')
        t = Transfer(self.e2ud.port, ORIGIN, "IXFR", serial=start)
        soas = [(i, Transfer.serial_of(r)) for i, r in enumerate(t.rrs) if r[2] == "SOA"]
        self.assertEqual([s for _, s in soas],
                         [start + 2, start, start + 1, start + 1, start + 2, start + 2], t.rrs)
        first = t.rrs[soas[1][0] + 1:soas[2][0]]      # removed in the first change
        added = t.rrs[soas[2][0] + 1:soas[3][0]]      # added in the first change
        self.assertTrue(all(r[0] == owner(a) + "." + ORIGIN for r in first + added))
        self.assertIn("first@example.org", " ".join(r[3] for r in added))
        self.assertTrue(first, "the old records are removed")
        self.knot.wait_serial(start + 2)
        self.assert_knot_equal()

    def test_10_ixfr_over_udp(self):
        q = dns.message.make_query(ORIGIN, "IXFR")
        q.authority.append(dns.rrset.from_text(ORIGIN, 0, "IN", "SOA", ". . 1 0 0 0 0"))
        q.use_tsig(KEYRING, keyname=KEY, algorithm=ALG)
        r = self.raw_answer(q, tcp=False)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(len(r.answer), 1)
        self.assertEqual(r.answer[0].rdtype, dns.rdatatype.SOA)
        self.assertEqual(r.answer[0][0].serial, self.e2ud_serial())

    # --- NOTIFY --------------------------------------------------------------------------------

    def test_11_notify_retries_and_format(self):
        """The fake secondary ignores two sends of each serial: e2ud sends again every 2 s and
        logs NOERROR once answered; every NOTIFY has the form Knot sends, signed."""
        deadline = time.time() + 20
        serial = self.e2ud_serial()
        pattern = rf"NOTIFY, outgoing, remote fake \S+, serial {serial}: NOERROR"
        while time.time() < deadline and not re.search(pattern, logtext(self.e2ud.log)):
            time.sleep(0.2)
        self.assertRegex(logtext(self.e2ud.log), pattern)
        with self.notify_lock:
            got = list(self.notifies)
        for t, m, err in got:
            self.assertIsNone(err, "every NOTIFY parses and its TSIG verifies")
            self.assertEqual(m.opcode(), dns.opcode.NOTIFY)
            self.assertTrue(m.flags & dns.flags.AA)
            self.assertTrue(m.had_tsig)
            self.assertEqual(m.question[0].name.to_text(), ORIGIN)
            self.assertEqual(m.question[0].rdtype, dns.rdatatype.SOA)
            self.assertEqual(m.answer[0].rdtype, dns.rdatatype.SOA)
        times = [t for t, m, _ in got if m.answer[0][0].serial == serial]
        self.assertEqual(len(times), 3, "two ignored, the third answered, no more")
        gaps = [times[i + 1] - times[i] for i in range(2)]
        self.assertTrue(all(1.5 < g < 3.5 for g in gaps), gaps)

    # --- transport --------------------------------------------------------------------------

    def test_12_pipelined_query_after_axfr(self):
        """A query sent right behind an AXFR on one connection is answered after the transfer
        (RFC 7766 §6.2.1.1), not inside it."""
        soa = dns.message.make_query(ORIGIN, "SOA")
        soa.id = 4242
        w = soa.to_wire()
        s = socket.create_connection(("127.0.0.1", self.e2ud.port), timeout=10)
        t = Transfer(self.e2ud.port, ORIGIN, sock=s, extra_wire=struct.pack("!H", len(w)) + w)
        self.assertEqual(t.rcode, dns.rcode.NOERROR)
        self.assertTrue(all(m.id == t.query.id for m in t.messages))
        a = dns.message.from_wire(t.read_msg())
        s.close()
        self.assertEqual(a.id, 4242)
        self.assertEqual(a.answer[0].rdtype, dns.rdatatype.SOA)

    def test_13_large_zone_streams(self):
        """50 000 numbers arrive complete; while the client does not read, e2ud holds only a
        few messages (its anonymous memory does not grow with the zone)."""
        def rss_anon():
            with open(f"/proc/{self.e2ud.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        return int(line.split()[1]) * 1024
            return 0
        before = rss_anon()
        x = SlowAxfr(self.e2ud.port, BIG)
        time.sleep(1.5)  # e2ud fills the socket and its few queued messages, then waits
        stalled = rss_anon()
        x.read_all()
        records, total, msgs = x.records, x.octets, x.msgs
        self.assertEqual(records, BIG_NUMBERS + 3)  # SOA, NS, the numbers, SOA
        self.assertGreater(total, 4_000_000)
        self.assertGreater(msgs, 200)
        if not daemons.sanitized(E2UD):
            self.assertLess(stalled - before, 2_000_000,
                            f"e2ud buffered {stalled - before} octets of a {total}-octet transfer")
        self.assertRegex(logtext(self.e2ud.log),
                         rf"\[{re.escape(BIG)}\] AXFR, outgoing, remote \S+, finished, [\d.]+ "
                         rf"seconds, {msgs} messages")

    def test_14_stalled_transfer_is_cut(self):
        """A client that stops reading in the middle of a transfer is disconnected after
        tcp-idle-timeout (3 s here) instead of holding a snapshot and a worker slot forever."""
        s = SlowAxfr(self.e2ud.port, BIG).sock
        deadline = time.time() + 15
        pattern = rf"\[{re.escape(BIG)}\] AXFR, outgoing, remote 127.0.0.1@{s.getsockname()[1]}, " \
                  r"interrupted"
        while time.time() < deadline and not re.search(pattern, logtext(self.e2ud.log)):
            time.sleep(0.2)
        self.assertRegex(logtext(self.e2ud.log), pattern)
        s.settimeout(5)
        got = 0
        try:
            while True:
                d = s.recv(1 << 16)
                if not d:
                    break
                got += len(d)
        except ConnectionResetError:
            pass
        s.close()
        self.assertLess(got, 3_000_000, "the rest of the zone was never sent")

    def test_15_reload_mid_transfer_and_notify(self):
        """SIGHUP while a transfer streams: the transfer ends under the configuration it started
        with (its TSIG key is an index into that configuration's keys, and the reload puts
        another key first). A zone the reload gives a notify: list is announced to that
        secondary; the zone already announced is not announced again; a reload that changes
        nothing the NOTIFY thread uses leaves it alone."""
        with open(self.conf) as f:
            conf0 = f.read()
        conf1 = conf0.replace("key:\n", "key:\n  - id: k0\n    algorithm: hmac-sha256\n"
                              "    secret: b3RoZXItc2VjcmV0LWZvci1hLWtleS1saXN0ZWQtZmlyc3Q=\n")
        conf1 = conf1.replace(f"  - domain: {BIG}\n    acl: [replicas]\n",
                              f"  - domain: {BIG}\n    acl: [replicas]\n    notify: [fake]\n")
        self.assertNotEqual(conf0.count("notify"), conf1.count("notify"))

        def reload(text, generation):
            mark = len(logtext(self.e2ud.log))
            with open(self.conf, "w") as f:
                f.write(text)
            self.e2ud.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 10
            pattern = rf"reloaded \(generation {generation}\)"
            while time.time() < deadline and not re.search(pattern, logtext(self.e2ud.log)[mark:]):
                time.sleep(0.05)
            self.assertRegex(logtext(self.e2ud.log)[mark:], pattern)

        # the announcement of ORIGIN's serial is over (the fake answers its third send), so a
        # NOTIFY for ORIGIN after the reload could only be a new announcement
        pattern = rf"NOTIFY, outgoing, remote fake \S+, serial {self.e2ud_serial()}: NOERROR"
        deadline = time.time() + 20
        while time.time() < deadline and not re.search(pattern, logtext(self.e2ud.log)):
            time.sleep(0.1)
        self.assertRegex(logtext(self.e2ud.log), pattern)
        x = SlowAxfr(self.e2ud.port, BIG)
        for _ in range(3):
            x.read_one()
        with self.notify_lock:
            before = len(self.notifies)
        reload(conf1, 2)
        x.read_all()  # every later message verifies with xfr-key, as the first ones did
        self.assertEqual(x.records, BIG_NUMBERS + 3)
        self.assertGreater(x.msgs, 200, "the reload came in the middle of the transfer")

        def zones_notified():
            with self.notify_lock:
                return [m.question[0].name.to_text() for _, m, _ in self.notifies[before:] if m]
        deadline = time.time() + 10
        while time.time() < deadline and BIG not in zones_notified():
            time.sleep(0.1)
        self.assertIn(BIG, zones_notified())
        time.sleep(1.5)  # a second poll of the serials has passed
        self.assertNotIn(ORIGIN, zones_notified())
        reload(conf0, 3)
        pattern = (r"NOTIFY: watching 2 zones for 3 secondary addresses[^\n]*\n(.*\n)*"
                   r".*NOTIFY: watching 1 zones for 2 secondary addresses")
        deadline = time.time() + 10
        while time.time() < deadline and not re.search(pattern, logtext(self.e2ud.log)):
            time.sleep(0.05)
        self.assertRegex(logtext(self.e2ud.log), pattern)
        # the same file again: nothing the NOTIFY thread uses changed, so it is left alone
        mark = len(logtext(self.e2ud.log))
        reload(conf0, 4)
        time.sleep(0.5)
        self.assertNotIn("NOTIFY: watching", logtext(self.e2ud.log)[mark:])

    def test_99_stop_promptly(self):
        """SIGTERM with NOTIFYs still being retried: e2ud leaves within a second or two."""
        ctl(self.db, "set", "+1" + self.numbers[40],
            '10 100 "u" "E2U+sip" "!^.*$!sip:last@example.org!" .')
        time.sleep(1.5)  # the change is seen and NOTIFYs go out (the fake may ignore them)
        t0 = time.time()
        rc = self.e2ud.stop()
        self.assertLess(time.time() - t0, 3)
        log = logtext(self.e2ud.log)
        self.assertNotRegex(log, r"ERROR: \w+Sanitizer|runtime error:")
        self.assertEqual(rc, 0, log[-3000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
