#!/usr/bin/python3
"""tests/system/test_faults.py — e2ud and e2u lookup under faults and hostile DNS data.

Faults (issue 7): SIGKILL of e2ud under load, then a restart on the same store gives the same
answers; a store directory that is read-only, full, or corrupt (a truncated data file) gives a
clear error at start, never a crash.

Hostile DNS data for the client: a scripted fake authoritative server on loopback answers
e2u lookup with compression loops, lengths past the end, tens of thousands of records, a NAPTR
whose regexp explodes, replacements that loop, answers to another question, wrong IDs. e2u must
report each in its status and exit code, within its timeout, and never crash (a negative
return code would be a signal).

Usage: test_faults.py E2UD E2UCTL E2U   (with /usr/bin/python3: dnspython)
"""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import dns.message
import dns.query
import dns.rcode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemons  # noqa: E402

E2UD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/server/e2ud"
E2UCTL = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/tools/e2uctl/e2uctl"
E2U = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/tools/e2u"

ORIGIN = "1.e164.arpa."


def zone_text(n):
    lines = [f"$ORIGIN {ORIGIN}", "$TTL 3600",
             "@ SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300", "@ NS ns1.example."]
    for i in range(n):
        num = f"215555{i:04d}"
        lines.append(".".join(reversed(num)) +
                     f' NAPTR 10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+1{num};npdi;rn=+12155550000!" .')
    return "\n".join(lines) + "\n"


def start_e2ud(db, port=None):
    port = port or daemons.free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="e2ud-", suffix=".log", delete=False)
    p = daemons.spawn([E2UD, "-d", db, "-l", f"127.0.0.1@{port}"], log)
    return p, port, log


def wait_answering(p, port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if p.poll() is not None:
            return False
        if "NOERROR" in daemons.kdig(port, "SOA", ORIGIN):
            return True
        time.sleep(0.1)
    return False


class ServerFaults(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="e2u-faults-")
        zf = os.path.join(self.tmp, "zone")
        with open(zf, "w") as f:
            f.write(zone_text(2000))
        self.db = os.path.join(self.tmp, "db")
        subprocess.run([E2UCTL, "-d", self.db, "import", zf], check=True, capture_output=True)

    def tearDown(self):
        subprocess.run(["chattr", "-R", "-i", self.tmp], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def answers(self, port, names):
        out = []
        for n in names:
            q = dns.message.make_query(n, "NAPTR")
            r = dns.query.udp(q, "127.0.0.1", port=port, timeout=3)
            out.append((r.rcode(), sorted(rr.to_text() for rr in r.answer)))
        return out

    def test_sigkill_under_load_then_restart(self):
        p, port, log = start_e2ud(self.db)
        self.assertTrue(wait_answering(p, port))
        names = [".".join(reversed(f"215555{i:04d}")) + "." + ORIGIN for i in range(0, 2000, 37)]
        names.append("9.9.9.9.5.5.5.5.1.2." + ORIGIN)
        before = self.answers(port, names)
        # load from another process while the server is killed
        load = subprocess.Popen(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-l", "3",
                                 "-Q", "20000", "-d", "/dev/stdin"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        load.stdin.write(("\n".join(f"{n} NAPTR" for n in names) + "\n").encode())
        load.stdin.close()
        time.sleep(1)
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        self.assertEqual(p.returncode, -signal.SIGKILL)
        load.wait(30)
        p2, port2, log2 = start_e2ud(self.db, port)
        try:
            self.assertTrue(wait_answering(p2, port2), open(log2.name).read())
            self.assertEqual(self.answers(port2, names), before)
        finally:
            p2.terminate()
            p2.wait(10)

    def start_fails(self, expect):
        p = subprocess.run([E2UD, "-d", self.db, "-l", f"127.0.0.1@{daemons.free_port()}"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)  # an error, not a signal
        self.assertIn(expect, p.stderr)
        return p.stderr

    def test_corrupt_store(self):
        data = os.path.join(self.db, "data.mdb")
        size = os.path.getsize(data)
        with open(data, "r+b") as f:
            f.truncate(size // 3)
        err = self.start_fails("data file is truncated")
        self.assertNotIn("Segmentation", err)
        # garbage instead of a store
        with open(data, "wb") as f:
            f.write(b"this is not an LMDB file" * 100)
        self.start_fails("store")
        # no store at all
        shutil.rmtree(self.db)
        self.start_fails("store")

    def test_read_only_store(self):
        r = subprocess.run(["chattr", "-R", "+i", self.db], capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest("chattr +i is not permitted here: " + r.stderr.strip())
        # e2ud cannot take LMDB's lock in an immutable directory: a clear error at start
        p = subprocess.run([E2UD, "-d", self.db, "-l", f"127.0.0.1@{daemons.free_port()}"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("not permitted", p.stderr)
        # a writer gets a clear error and the data stays
        w = subprocess.run([E2UCTL, "-d", self.db, "set", "+12155550001",
                            '10 100 "u" "E2U+sip" "!^.*$!sip:x@example.com!" .'],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(w.returncode, 0)
        self.assertGreater(w.returncode, 0)
        self.assertTrue(w.stderr.strip())

    def test_full_disk(self):
        mnt = os.path.join(self.tmp, "small")
        os.makedirs(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", mnt],
                           capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest("mounting a small tmpfs is not permitted here: " + r.stderr.strip())
        try:
            zf = os.path.join(self.tmp, "big")
            with open(zf, "w") as f:
                f.write(zone_text(100000))
            db = os.path.join(mnt, "db")
            p = subprocess.run([E2UCTL, "-d", db, "import", zf], capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertRegex(p.stderr, "full|space")
        finally:
            subprocess.run(["umount", mnt], capture_output=True)


# --- hostile data for the client ----------------------------------------------------------

def question(q):
    i = 12
    while q[i] != 0:
        i += 1 + q[i]
    return q[12:i + 5], q[12:i + 1]


def header(q, ancount, flags=0x8400):
    return q[:2] + struct.pack("!HHHHH", flags | (q[2] << 8 & 0x0100), 1, ancount, 0, 0)


def naptr_rdata(regexp, replacement=b"\0", flags=b"u", services=b"E2U+sip"):
    return (struct.pack("!HH", 10, 100) + bytes([len(flags)]) + flags + bytes([len(services)]) +
            services + bytes([len(regexp)]) + regexp + replacement)


def rr(rdata, owner=b"\xc0\x0c", rtype=35):
    return owner + struct.pack("!HHIH", rtype, 1, 300, len(rdata)) + rdata


class TcpFake:
    """A fake server answering over UDP (with TC) and TCP with the same handler."""

    def __init__(self, handler, truncate_udp=False):
        self.handler = handler
        self.truncate_udp = truncate_udp
        # The TCP port is taken first, then UDP on the same number; a port
        # whose UDP side is busy is given back and another one tried.
        for _ in range(50):
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.tcp.bind(("127.0.0.1", 0))
            self.port = self.tcp.getsockname()[1]
            try:
                self.udp = daemons.FakeDNS(lambda q: self._udp(q), self.port)
                break
            except OSError:
                self.tcp.close()
        else:
            raise OSError("no port free for both UDP and TCP")
        self.tcp.listen(8)
        self.tcp.settimeout(0.2)
        self.stopped = False
        self.t = threading.Thread(target=self._tcp_loop, daemon=True)
        self.t.start()

    def _udp(self, q):
        if self.truncate_udp:
            qd, _ = question(q)
            return q[:2] + struct.pack("!HHHHH", 0x8600, 1, 0, 0, 0) + qd
        return self.handler(q)

    def _tcp_loop(self):
        while not self.stopped:
            try:
                c, _ = self.tcp.accept()
            except (socket.timeout, OSError):
                continue
            c.settimeout(2)
            try:
                n = struct.unpack("!H", c.recv(2))[0]
                q = b""
                while len(q) < n:
                    q += c.recv(n - len(q))
                r = self.handler(q)
                if r:
                    c.sendall(struct.pack("!H", len(r)) + r)
            except (OSError, struct.error):
                pass
            finally:
                c.close()

    def server(self):
        return f"127.0.0.1@{self.port}"

    def stop(self):
        self.stopped = True
        self.t.join()
        self.tcp.close()
        self.udp.stop()


class HostileAnswers(unittest.TestCase):
    def lookup(self, fake, *extra, number="+12155550123"):
        t0 = time.time()
        p = subprocess.run([E2U, "lookup", "--json", "--server", fake.server(), "--timeout",
                            "1500", *extra, number], capture_output=True, text=True, timeout=60)
        self.assertGreaterEqual(p.returncode, 0, f"killed by signal {-p.returncode}: {p.stderr}")
        self.assertLess(time.time() - t0, 20)
        return p.returncode, json.loads(p.stdout)

    def run_fake(self, handler, truncate_udp=False, **kw):
        f = TcpFake(handler, truncate_udp)
        try:
            return self.lookup(f, **kw)
        finally:
            f.stop()

    def test_compression_loop(self):
        def h(q):
            qd, _ = question(q)
            return header(q, 1) + qd + b"\xc0\x23" * 2 + struct.pack("!HHIH", 35, 1, 300, 0)
        rc, o = self.run_fake(h)
        self.assertEqual((rc, o["status"]), (3, "dns-error"))

    def test_length_past_the_end(self):
        def h(q):
            qd, _ = question(q)
            return header(q, 1) + qd + b"\xc0\x0c" + struct.pack("!HHIH", 35, 1, 300, 5000) + b"x"
        rc, o = self.run_fake(h)
        self.assertEqual((rc, o["status"]), (3, "dns-error"))

    def test_count_lies(self):
        def h(q):
            qd, _ = question(q)
            return header(q, 65535) + qd + rr(naptr_rdata(b"!^.*$!sip:a@example.com!"))
        rc, o = self.run_fake(h)
        self.assertEqual((rc, o["status"]), (3, "dns-error"))

    def test_thousands_of_records(self):
        # as many minimal NAPTRs as 64 KiB holds, over TCP after TC
        rd = naptr_rdata(b"!^.*$!sip:a@e.x!")
        one = rr(rd)

        sent = []

        def h(q):
            qd, _ = question(q)
            n = (65535 - 12 - len(qd)) // len(one)
            sent.append(n)
            return header(q, n) + qd + one * n
        rc, o = self.run_fake(h, truncate_udp=True)
        self.assertEqual((rc, o["status"]), (0, "ok"))
        self.assertGreater(sent[-1], 1400)
        self.assertEqual(len(o["results"]), sent[-1])

    def test_exploding_regexp(self):
        def h(q):
            qd, _ = question(q)
            bad = rr(naptr_rdata(b"!(.*.*.*.*.*.*.*.*)*[^0-9]!sip:slow@example.com!"))
            good = rr(naptr_rdata(b"!^.*$!sip:good@example.com!"))
            return header(q, 2) + qd + bad + good
        rc, o = self.run_fake(h)
        self.assertEqual((rc, o["status"]), (0, "ok"))
        self.assertEqual([r["uri"] for r in o["results"]], ["sip:good@example.com"])
        self.assertEqual(o["dropped"][0]["reason"], "regexp-limit")

    def test_replacement_that_loops(self):
        def h(q):
            qd, qname = question(q)
            # a non-terminal rule pointing at the very name that was asked
            return header(q, 1) + qd + rr(naptr_rdata(b"", replacement=qname, flags=b"", services=b""))
        rc, o = self.run_fake(h)
        self.assertEqual((rc, o["status"]), (1, "loop"))

    def test_answer_to_another_question(self):
        def h(q):
            other = bytearray(q)
            other[13] = ord("9") if q[13] != ord("9") else ord("8")  # another first digit
            return q[:2] + struct.pack("!HHHHH", 0x8400, 1, 0, 0, 0) + question(bytes(other))[0]
        rc, o = self.run_fake(h)
        self.assertEqual((rc, o["status"]), (3, "dns-error"))

    def test_wrong_id(self):
        def h(q):
            qd, _ = question(q)
            wrong = bytes([q[0] ^ 0xff, q[1]])
            return wrong + header(q, 1)[2:] + qd + rr(naptr_rdata(b"!^.*$!sip:a@example.com!"))
        rc, o = self.run_fake(h)
        self.assertEqual((rc, o["status"]), (3, "dns-error"))

    def test_garbage(self):
        rc, o = self.run_fake(lambda q: b"\xff" * 40)
        self.assertEqual((rc, o["status"]), (3, "dns-error"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
