"""tests/system/fakeprimary.py — a scripted primary that misbehaves on request.

FakePrimary answers, on one loopback port over UDP and TCP, the SOA query, AXFR (RFC 5936) and
IXFR (RFC 1995) for one zone, from versions the test gives it (serial -> records) and the
differences between them. Its attributes choose how it misbehaves, so that a test can check
that a secondary never serves partial data and never runs out of memory:

  soa_mode   "normal" | "silent" (no answer) | "garbage" (random octets with our ID) |
             "wrong-id" | "tc" (truncated over UDP: the secondary must ask over TCP)
  xfr_mode   "normal" | "refuse" (REFUSED) | "refuse-ixfr" (REFUSED to IXFR only) |
             "axfr-style" (IXFR answered with the whole zone) |
             "ixfr-bad-soa" (the IXFR's old SOA is not the secondary's serial) |
             "oversize-rr" (a record whose RDLENGTH runs past the end of its message) |
             "endless" (records for ever, never the final SOA) |
             "endless-ixfr" (one IXFR difference sequence that never ends) |
             "drip" (one octet every 0.3 s, for ever) |
             "truncate" (the connection closes in the middle of a message) |
             "garbage" (a framed message of random octets after the first one) |
             "wrong-id" (messages with another ID) |
             "bad-final-soa" (the final SOA's serial is not the first's);
             axfr_refused   REFUSED to every AXFR (to see an IXFR failure alone)
  tsig       None, or (name, base64 secret): every answer is signed (RFC 8945), every
             sign_every-th message of a transfer (the others unsigned, §5.3.1);
             tamper_unsigned alters an unsigned message after it is covered by the HMAC.

TSIG signing is written out here (not dnspython's) so that unsigned intermediate messages and
tampering can be scripted. Standard library and dnspython only; runs with /usr/bin/python3.
"""
import base64
import hashlib
import hmac
import os
import random
import socket
import struct
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsigkeyring

_ALGS = {"hmac-sha256": hashlib.sha256, "hmac-sha1": hashlib.sha1, "hmac-sha512": hashlib.sha512,
         "hmac-md5": hashlib.md5}


def rr(owner, ttl, rtype, text):
    """One record as a dnspython RRset of one."""
    return dns.rrset.from_text(owner, ttl, "IN", rtype, text)


def soa_text(serial, refresh=3600, retry=600, expire=1209600, minimum=300):
    return f"ns1.example. hostmaster.example. {serial} {refresh} {retry} {expire} {minimum}"


class Tsig:
    """RFC 8945 signing of answers, one message at a time."""

    def __init__(self, name, secret, alg="hmac-sha256"):
        self.name = dns.name.from_text(name)
        self.secret = base64.b64decode(secret)
        self.alg = alg
        self.alg_name = dns.name.from_text(alg)
        self.keyring = dns.tsigkeyring.from_text({name: (alg, secret)}) if alg != "hmac-sha256" \
            else dns.tsigkeyring.from_text({name: secret})

    def _mac(self, data):
        return hmac.new(self.secret, data, _ALGS[self.alg]).digest()

    def _rr(self, orig_id, now, mac, error=0):
        rdata = (self.alg_name.canonicalize().to_wire() + struct.pack("!HIH", now >> 32, now & 0xffffffff, 300)
                 + struct.pack("!H", len(mac)) + mac + struct.pack("!HHH", orig_id, error, 0))
        return (self.name.canonicalize().to_wire() + struct.pack("!HHIH", 250, 255, 0, len(rdata))
                + rdata)

    @staticmethod
    def _add(wire, tsig_rr):
        arcount = struct.unpack("!H", wire[10:12])[0] + 1
        return wire[:10] + struct.pack("!H", arcount) + wire[12:] + tsig_rr

    def sign_first(self, wire, request_mac):
        """The first (or only) message of an answer: §4.3.1 with the request's MAC."""
        now = int(time.time())
        orig_id = struct.unpack("!H", wire[:2])[0]
        variables = (self.name.canonicalize().to_wire() + struct.pack("!HI", 255, 0)
                     + self.alg_name.canonicalize().to_wire()
                     + struct.pack("!HIHHH", now >> 32, now & 0xffffffff, 300, 0, 0))
        data = (struct.pack("!H", len(request_mac)) + request_mac if request_mac else b"") + wire + variables
        mac = self._mac(data)
        return self._add(wire, self._rr(orig_id, now, mac)), mac

    def sign_next(self, wires, prev_mac):
        """A later message: §4.3.1 over the previous MAC, the unsigned messages since and this
        one (wires, this one last), and the timers."""
        now = int(time.time())
        data = struct.pack("!H", len(prev_mac)) + prev_mac + b"".join(wires) \
            + struct.pack("!HIH", now >> 32, now & 0xffffffff, 300)
        mac = self._mac(data)
        orig_id = struct.unpack("!H", wires[-1][:2])[0]
        return self._add(wires[-1], self._rr(orig_id, now, mac)), mac


class FakePrimary:
    def __init__(self, origin, versions, serial, diffs=None, tsig=None, port=None):
        """versions: {serial: [RRset of one record, ...]} (without the SOA); serial: the current
        one; diffs: {(from, to): (removed, added)} for IXFR. SOA timers come from
        self.soa_timers (refresh, retry, expire, minimum)."""
        import daemons
        self.origin = dns.name.from_text(origin)
        self.versions = versions
        self.serial = serial
        self.diffs = diffs or {}
        self.soa_timers = (3600, 600, 1209600, 300)
        self.soa_mode = "normal"
        self.xfr_mode = "normal"
        self.per_msg = 40
        self.tsig = Tsig(*tsig) if tsig else None
        self.sign_every = 1
        self.tamper_unsigned = False
        self.axfr_refused = False  # REFUSED to AXFR whatever xfr_mode says
        self.queries = []          # (transport, qtype name, serial asked for IXFR)
        self.port = port or daemons.free_port()
        self.stopped = False
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(16)
        self.conns = []
        self.threads = [threading.Thread(target=self._udp_loop, daemon=True),
                        threading.Thread(target=self._tcp_loop, daemon=True)]
        for t in self.threads:
            t.start()

    def server(self):
        return f"127.0.0.1@{self.port}"

    def stop(self):
        """Close every socket: the primary is gone (connections are refused)."""
        self.stopped = True
        for s in [self.udp, self.tcp] + self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        for t in self.threads:
            t.join(5)

    # --- records ---

    def soa(self, serial=None):
        return rr(self.origin, 3600, "SOA", soa_text(self.serial if serial is None else serial,
                                                     *self.soa_timers))

    def zone(self, serial=None):
        s = self.serial if serial is None else serial
        return [self.soa(s)] + list(self.versions[s]) + [self.soa(s)]

    # --- transports ---

    def _parse(self, wire):
        kr = self.tsig.keyring if self.tsig else None
        try:
            return dns.message.from_wire(wire, keyring=kr)
        except Exception:
            return None

    def _udp_loop(self):
        while not self.stopped:
            try:
                wire, addr = self.udp.recvfrom(65535)
            except OSError:
                return
            q = self._parse(wire)
            if q is None or not q.question:
                continue
            qtype = q.question[0].rdtype
            self.queries.append(("udp", dns.rdatatype.to_text(qtype), None))
            if self.soa_mode == "silent":
                continue
            if self.soa_mode == "garbage":
                # an answer header (QR and AA, no TC: a truncated answer would send e2ud to
                # TCP, which answers well) and random octets where the counts and records go
                self.udp.sendto(wire[:2] + b"\x84\x00" +
                                bytes(random.getrandbits(8) for _ in range(78)), addr)
                continue
            r = self._answer_soa(q)
            if self.soa_mode == "wrong-id":
                r = struct.pack("!H", (q.id + 1) & 0xffff) + r[2:]
            if self.soa_mode == "tc":
                r = self._response(q)
                r.flags |= dns.flags.TC | dns.flags.AA
                r = self._sign_one(q, r.to_wire())
            self.udp.sendto(r, addr)

    @staticmethod
    def _response(q):
        """A response to q without dnspython's own TSIG (this class signs by itself)."""
        r = dns.message.make_response(q)
        r.tsig = None
        r.keyring = None
        return r

    def _answer_soa(self, q):
        r = self._response(q)
        r.flags |= dns.flags.AA
        r.flags &= ~dns.flags.RD
        if q.question[0].name != self.origin:
            r.set_rcode(dns.rcode.NOTAUTH)
        elif q.question[0].rdtype == dns.rdatatype.SOA:
            r.answer.append(self.soa())
        return self._sign_one(q, r.to_wire())

    def _sign_one(self, q, wire):
        if not self.tsig:
            return wire
        return self.tsig.sign_first(wire, q.mac)[0]

    def _tcp_loop(self):
        while not self.stopped:
            try:
                c, _ = self.tcp.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._tcp_conn, args=(c,), daemon=True).start()

    @staticmethod
    def _recv_exact(c, n):
        data = b""
        while len(data) < n:
            chunk = c.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _tcp_conn(self, c):
        try:
            while not self.stopped:
                ln = self._recv_exact(c, 2)
                if ln is None:
                    return
                wire = self._recv_exact(c, struct.unpack("!H", ln)[0])
                if wire is None:
                    return
                q = self._parse(wire)
                if q is None or not q.question:
                    return
                qtype = q.question[0].rdtype
                asked = None
                if qtype == dns.rdatatype.IXFR and q.authority:
                    asked = q.authority[0][0].serial
                self.queries.append(("tcp", dns.rdatatype.to_text(qtype), asked))
                if qtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR):
                    self._xfr(c, q, qtype, asked)
                    return
                c.sendall(self._frame(self._answer_soa(q)))
        except OSError:
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    @staticmethod
    def _frame(wire):
        return struct.pack("!H", len(wire)) + wire

    # --- transfers ---

    def _messages(self, q, records, per_msg=None):
        """Unsigned messages of at most per_msg records each, the question in the first."""
        per_msg = per_msg or self.per_msg
        out = []
        for i in range(0, max(len(records), 1), per_msg):
            m = dns.message.Message(id=q.id)
            m.flags = dns.flags.QR | dns.flags.AA
            if i == 0:
                m.question = list(q.question)
            m.answer = list(records[i:i + per_msg])
            out.append(m.to_wire(max_size=65535))
        return out

    def _send_signed(self, c, q, wires):
        """Send the messages of one answer, signed as configured; the last is always signed."""
        if not self.tsig:
            for w in wires:
                c.sendall(self._frame(w))
            return
        prev = None
        pending = []
        for i, w in enumerate(wires):
            if i == 0:
                out, prev = self.tsig.sign_first(w, q.mac)
                c.sendall(self._frame(out))
                continue
            pending.append(w)
            if i % self.sign_every == 0 or i == len(wires) - 1:
                out, prev = self.tsig.sign_next(pending, prev)
                c.sendall(self._frame(out))
                pending = []
            else:
                if self.tamper_unsigned:
                    # covered by the HMAC as sent here, delivered with the AA bit flipped
                    w = w[:2] + bytes([w[2] ^ 0x04]) + w[3:]
                c.sendall(self._frame(w))

    def _refuse(self, c, q, rcode=dns.rcode.REFUSED):
        r = self._response(q)
        r.set_rcode(rcode)
        c.sendall(self._frame(self._sign_one(q, r.to_wire())))

    def _ixfr_records(self, asked):
        """The IXFR answer (RFC 1995 §4) from serial asked, or None when no chain of
        differences leads from there to the current serial."""
        if asked == self.serial:
            return [self.soa()]
        out = [self.soa()]
        at = asked
        steps = 0
        while at != self.serial and steps < 100:
            step = [k for k in self.diffs if k[0] == at]
            if not step:
                return None
            frm, to = step[0]
            removed, added = self.diffs[step[0]]
            out += [self.soa(frm)] + list(removed) + [self.soa(to)] + list(added)
            at = to
            steps += 1
        return out + [self.soa()]

    def _xfr(self, c, q, qtype, asked):
        mode = self.xfr_mode
        if mode == "refuse" or (mode == "refuse-ixfr" and qtype == dns.rdatatype.IXFR) or \
                (self.axfr_refused and qtype == dns.rdatatype.AXFR):
            return self._refuse(c, q)
        records = None
        if qtype == dns.rdatatype.IXFR and mode not in ("axfr-style",):
            if mode == "ixfr-bad-soa":
                records = [self.soa(), self.soa(asked + 7), self.soa(self.serial)] + [self.soa()]
            else:
                records = self._ixfr_records(asked)
        if records is None:
            records = self.zone()
        if mode == "bad-final-soa":
            records = records[:-1] + [self.soa(self.serial + 1)]
        # modes that break a transfer in its middle need more than one message
        wires = self._messages(q, records, 3 if mode in ("garbage", "truncate") else None)
        if mode == "wrong-id":
            wires = [struct.pack("!H", (q.id + 1) & 0xffff) + w[2:] for w in wires]
        if mode == "oversize-rr":
            # one more record in the first message: a TXT whose RDLENGTH claims 60000 octets
            # where 10 follow
            w = wires[0]
            ancount = struct.unpack("!H", w[6:8])[0] + 1
            bad = b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, 60000) + b"\x09overflow!"
            wires[0] = w[:6] + struct.pack("!H", ancount) + w[8:] + bad
        if mode == "endless":
            return self._endless(c, q)
        if mode == "endless-ixfr" and qtype == dns.rdatatype.IXFR:
            return self._endless(c, q, asked)
        if mode == "drip":
            data = self._frame(wires[0])
            for b in data:
                if self.stopped:
                    return
                c.sendall(bytes([b]))
                time.sleep(0.3)
            while not self.stopped:
                c.sendall(b"\0")
                time.sleep(0.3)
            return
        if mode == "truncate":
            half = wires[:max(1, len(wires) // 2)]
            for w in half:
                c.sendall(self._frame(w))
            nxt = self._frame(wires[len(half)] if len(wires) > len(half) else wires[0])
            c.sendall(nxt[:len(nxt) // 2])
            return
        if mode == "garbage":
            c.sendall(self._frame(wires[0]))
            junk = struct.pack("!H", q.id) + bytes(random.getrandbits(8) for _ in range(700))
            c.sendall(self._frame(junk))
            return
        self._send_signed(c, q, wires)

    def _endless(self, c, q, old_serial=None):
        """The SOA (and, for IXFR, the old SOA: a difference sequence), then records for ever,
        as fast as the socket takes them: the transfer never ends."""
        head = [self.soa()] + ([self.soa(old_serial)] if old_serial is not None else [])
        c.sendall(self._frame(self._messages(q, head)[0]))
        recs = []
        for n in range(600):
            digits = ".".join(reversed(f"{n:010d}"))
            recs.append(rr(f"{digits}.{self.origin}", 60, "NAPTR",
                           f'10 100 "u" "E2U+sip" "!^.*$!sip:endless{n}@example.com!" .'))
        m = dns.message.Message(id=q.id)
        m.flags = dns.flags.QR | dns.flags.AA
        m.answer = recs
        frame = self._frame(m.to_wire())
        while not self.stopped:
            c.sendall(frame)

if __name__ == "__main__":
    # A manual run: serve a small zone on a port until interrupted.
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    origin = sys.argv[1] if len(sys.argv) > 1 else "1.e164.arpa."
    recs = [rr(origin, 3600, "NS", "ns1.example."),
            rr("3.2.1.0.5.5.5.5.1.2." + origin, 3600, "NAPTR",
               '10 100 "u" "E2U+sip" "!^.*$!sip:a@example.com!" .')]
    fp = FakePrimary(origin, {1: recs}, 1)
    fp.xfr_mode = sys.argv[2] if len(sys.argv) > 2 else "normal"
    print(f"fake primary of {origin} on {fp.server()} ({fp.xfr_mode})", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        fp.stop()
