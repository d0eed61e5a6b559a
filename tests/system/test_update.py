#!/usr/bin/python3
"""tests/system/test_update.py — RFC 2136 UPDATE to e2ud, signed with TSIG (RFC 8945).

e2ud runs on a loopback port over a store made by e2uctl, with keys and ACLs in its
configuration file. Updates come from `nsupdate` (bind9-dnsutils) and from dnspython; each
change must be answered by the next query, be visible in `e2uctl show`, bump the SOA serial by
one and leave one entry in `e2uctl journal`. Requests that must not change anything (an unmet
prerequisite, a wrong or unknown key, an address outside the ACL, a name outside the zone, a
request that fails at its third record, thousands of unauthorized requests) must leave the
serial, the journal and the data as they were.

Usage: test_update.py E2UD E2UCTL   (runs with /usr/bin/python3: it needs dnspython)
"""
import base64
import ctypes
import ctypes.util
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import dns.exception
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemons  # noqa: E402

E2UD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/server/e2ud"
E2UCTL = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/tools/e2uctl/e2uctl"

ORIGIN = "1.e164.arpa."
CHILD = "9.1.e164.arpa."  # a more specific zone in the same store: NOTZONE for ORIGIN

SECRET = base64.b64encode(os.urandom(32)).decode()
OTHER_SECRET = base64.b64encode(os.urandom(32)).decode()
WRONG_SECRET = base64.b64encode(os.urandom(32)).decode()

ZONE = f"""$ORIGIN {ORIGIN}
$TTL 3600
@ SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300
@ NS ns1.example.
@ NS ns2.example.
@ TXT "apex text"
3.2.1.0.5.5.5.5.1.2 NAPTR 10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+12155550123;npdi!" .
4.2.1.0.5.5.5.5.1.2 NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:a@example.com!" .
4.2.1.0.5.5.5.5.1.2 NAPTR 20 100 "u" "E2U+sip" "!^.*$!sip:b@example.com!" .
alias CNAME 3.2.1.0.5.5.5.5.1.2
"""
CHILD_ZONE = f"""$ORIGIN {CHILD}
$TTL 3600
@ SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300
@ NS ns1.example.
"""
BLOCK_CSV = ("+1888555*,10,100,u,E2U+sip,!^.*$!sip:pool@example.com!,.\n"
             "+1666555XXXX,10,100,u,E2U+sip,!^.*$!sip:thousand@example.com!,.\n"
             "+1555444*,10,100,u,E2U+sip,!^.*$!sip:any-length@example.com!,.\n"
             "+1555444XXXX,10,100,u,E2U+sip,!^.*$!sip:eleven@example.com!,.\n")

# Owner names (absolute) of the numbers +1215555012x, and of blocks
N123 = "3.2.1.0.5.5.5.5.1.2." + ORIGIN
N124 = "4.2.1.0.5.5.5.5.1.2." + ORIGIN


def num(digits):
    """Owner name of +1<digits>."""
    return ".".join(reversed(digits)) + "." + ORIGIN


def naptr(uri, order=10, pref=100, service="E2U+sip"):
    return f'{order} {pref} "u" "{service}" "!^.*$!{uri}!" .'


def keyring(name="upd-key.", secret=SECRET, alg="hmac-sha256"):
    return dns.tsigkeyring.from_text({name: (alg, secret)})


def upd(zone=ORIGIN, name="upd-key.", secret=SECRET, alg="hmac-sha256", signed=True):
    if not signed:
        return dns.update.UpdateMessage(zone)
    return dns.update.UpdateMessage(zone, keyring=keyring(name, secret, alg), keyname=name,
                                    keyalgorithm=alg)


def ctl(db, *args):
    p = subprocess.run([E2UCTL, "-d", db, "--no-sync", *args], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"e2uctl {' '.join(args)}: {p.stderr}")
    return p.stdout


def conf_text(acls, zone_acl, child_acl=None, extra=""):
    """A configuration with three keys, the given acl items and the zones' acl lists."""
    text = ("log:\n  - target: stderr\n    any: info\n"
            "key:\n"
            f"  - id: upd-key\n    algorithm: hmac-sha256\n    secret: {SECRET}\n"
            f"  - id: other-key\n    algorithm: hmac-sha512\n    secret: {OTHER_SECRET}\n"
            "acl:\n" + acls + extra +
            f"zone:\n  - domain: {ORIGIN}\n    acl: [{', '.join(zone_acl)}]\n")
    if child_acl:
        text += f"  - domain: {CHILD}\n    acl: [{', '.join(child_acl)}]\n"
    return text


DEFAULT_ACLS = ("  - id: upd\n    address: 127.0.0.0/8\n    key: [upd-key, other-key]\n"
                "    action: update\n")


class E2ud:
    def __init__(self, db, conf, env=None):
        self.port = daemons.free_port()
        self.dir = tempfile.mkdtemp(prefix="e2ud-upd-")
        self.log = open(os.path.join(self.dir, "e2ud.log"), "w")
        cmd = [E2UD, "-d", db, "-l", f"127.0.0.1@{self.port}", "-n", "2", "-c", conf]
        self.proc = daemons.spawn(cmd, self.log, env=env)
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

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self):
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        else:
            rc = self.proc.returncode
        if not self.log.closed:
            self.log.close()
        return rc


class WriterLock:
    """The store's one LMDB write transaction, held by this process (liblmdb via ctypes):
    whoever asks for a write transaction meanwhile waits."""

    MDB_NOTLS = 0x200000
    MDB_NORDAHEAD = 0x800000

    def __init__(self, path):
        lib = ctypes.CDLL(ctypes.util.find_library("lmdb") or "liblmdb.so.0")
        lib.mdb_env_create.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        lib.mdb_env_set_maxdbs.argtypes = [ctypes.c_void_p, ctypes.c_uint]
        lib.mdb_env_set_maxreaders.argtypes = [ctypes.c_void_p, ctypes.c_uint]
        lib.mdb_env_set_mapsize.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        lib.mdb_env_open.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint,
                                     ctypes.c_uint]
        lib.mdb_txn_begin.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint,
                                      ctypes.POINTER(ctypes.c_void_p)]
        lib.mdb_txn_abort.argtypes = [ctypes.c_void_p]
        lib.mdb_env_close.argtypes = [ctypes.c_void_p]
        self.lib = lib
        self.env = ctypes.c_void_p()
        self.txn = ctypes.c_void_p()
        if lib.mdb_env_create(ctypes.byref(self.env)) != 0:
            raise OSError("mdb_env_create")
        lib.mdb_env_set_maxdbs(self.env, 16)
        lib.mdb_env_set_maxreaders(self.env, 510)
        lib.mdb_env_set_mapsize(self.env, 1 << 40)
        rc = lib.mdb_env_open(self.env, path.encode(), self.MDB_NOTLS | self.MDB_NORDAHEAD,
                              0o644)
        if rc == 0:
            rc = lib.mdb_txn_begin(self.env, None, 0, ctypes.byref(self.txn))
        if rc != 0:
            lib.mdb_env_close(self.env)
            raise OSError(f"cannot hold the store's writer lock: {rc}")

    def release(self):
        if self.txn:
            self.lib.mdb_txn_abort(self.txn)
            self.txn = ctypes.c_void_p()
            self.lib.mdb_env_close(self.env)


class UpdateTest(unittest.TestCase):
    acls = DEFAULT_ACLS
    zone_acl = ("upd",)
    child_acl = ("upd",)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="e2u-upd-")
        self.db = os.path.join(self.tmp, "store")
        for name, text in (("zone", ZONE), ("child", CHILD_ZONE)):
            path = os.path.join(self.tmp, name)
            with open(path, "w") as f:
                f.write(text)
            ctl(self.db, "import", path)
        bf = os.path.join(self.tmp, "blocks.csv")
        with open(bf, "w") as f:
            f.write(BLOCK_CSV)
        ctl(self.db, "import", "--merge", "--zone", ORIGIN, bf)
        self.cf = os.path.join(self.tmp, "e2ud.conf")
        with open(self.cf, "w") as f:
            f.write(conf_text(self.acls, self.zone_acl, self.child_acl))
        self.server = E2ud(self.db, self.cf, env=self.env())
        self.port = self.server.port

    def env(self):
        return None

    def tearDown(self):
        rc = self.server.stop()
        self.assertEqual(rc, 0, "e2ud did not stop cleanly:\n" + self.server.logtext()[-3000:])

    # --- helpers ---

    def send(self, msg, source="127.0.0.1", tcp=False):
        """Send an UPDATE through dnspython (which checks the answer's TSIG); the answer."""
        if tcp:
            return dns.query.tcp(msg, "127.0.0.1", port=self.port, timeout=5, source=source)
        return dns.query.udp(msg, "127.0.0.1", port=self.port, timeout=5, source=source)

    def rcode(self, msg, **kw):
        return self.send(msg, **kw).rcode()

    def raw(self, wire, source="127.0.0.1", tcp=False):
        """Send octets; return the answer's octets."""
        if tcp:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5,
                                          source_address=(source, 0)) as c:
                c.sendall(struct.pack("!H", len(wire)) + wire)
                f = c.makefile("rb")
                n = struct.unpack("!H", f.read(2))[0]
                return f.read(n)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((source, 0))
        s.settimeout(5)
        try:
            s.sendto(wire, ("127.0.0.1", self.port))
            return s.recvfrom(65535)[0]
        finally:
            s.close()

    def query(self, name, rdtype="NAPTR", tcp=False):
        q = dns.message.make_query(name, rdtype)
        try:
            if tcp:
                return dns.query.tcp(q, "127.0.0.1", port=self.port, timeout=5)
            return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=5)
        except dns.exception.Timeout as e:  # say what e2ud was doing
            raise AssertionError(f"no answer to {name} {rdtype} in 5 s; e2ud's log:\n"
                                 + self.server.logtext()[-3000:]) from e

    def records(self, name, rdtype="NAPTR"):
        m = self.query(name, rdtype)
        out = set()
        for rrset in m.answer:
            if rrset.rdtype == dns.rdatatype.from_text(rdtype):
                out |= {rd.to_text() for rd in rrset}
        return out

    def serial(self, zone=ORIGIN):
        return self.query(zone, "SOA").answer[0][0].serial

    def journal(self, zone=ORIGIN):
        return ctl(self.db, "journal", zone)

    def journal_entries(self, zone=ORIGIN):
        return [ln for ln in self.journal(zone).splitlines() if ln.startswith("serial ")]

    def state(self):
        """Everything an update could change: serial, journal, the zone's contents."""
        return (self.serial(), self.journal(), self.serial(CHILD), self.journal(CHILD),
                ctl(self.db, "export", ORIGIN))

    def nsupdate(self, script, key=None, tcp=False):
        key = key or f"hmac-sha256:upd-key:{SECRET}"
        cmd = ["nsupdate", "-y", key] + (["-v"] if tcp else [])
        text = f"server 127.0.0.1 {self.port}\nzone {ORIGIN}\n{script}\nsend\n"
        return subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=30)


class Provisioning(UpdateTest):
    def test_nsupdate_add_replace_delete(self):
        """nsupdate adds, replaces and deletes NAPTRs at a number: each change is answered by
        the next query, shown by e2uctl, one serial step and one journal entry."""
        name = num("2155551000")
        s0, j0 = self.serial(), len(self.journal_entries())
        self.assertEqual(self.query(name).rcode(), dns.rcode.NXDOMAIN)
        p = self.nsupdate(f"update add {name} 300 NAPTR {naptr('sip:one@example.com')}\n"
                          f"update add {name} 300 NAPTR {naptr('sip:two@example.com', 20)}")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.records(name), {naptr("sip:one@example.com"),
                                              naptr("sip:two@example.com", 20)})
        self.assertEqual(self.serial(), s0 + 1)
        self.assertEqual(len(self.journal_entries()), j0 + 1)
        shown = ctl(self.db, "show", "+12155551000")
        self.assertIn("number", shown.splitlines()[0])
        self.assertIn("sip:one@example.com", shown)
        j = self.journal()
        self.assertIn(f"serial {s0} -> {s0 + 1}", j)
        self.assertIn(f"+ {name}\t300\tIN\tNAPTR\t" + naptr("sip:two@example.com", 20), j)

        # replace: delete the RRset and add the new one in one request (over TCP)
        p = self.nsupdate(f"update delete {name} NAPTR\n"
                          f"update add {name} 600 NAPTR {naptr('tel:+12155551000;npdi', service='E2U+pstn:tel')}",
                          tcp=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.records(name),
                         {naptr("tel:+12155551000;npdi", service="E2U+pstn:tel")})
        self.assertEqual(self.serial(), s0 + 2)
        last = self.journal().split("serial ")[-1]
        self.assertIn("- " + name, last)
        self.assertIn("+ " + name + "\t600", last)

        # delete the record: the number is gone
        p = self.nsupdate(f"update delete {name} NAPTR "
                          f"{naptr('tel:+12155551000;npdi', service='E2U+pstn:tel')}")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.query(name).rcode(), dns.rcode.NXDOMAIN)
        self.assertEqual(self.serial(), s0 + 3)
        self.assertEqual(len(self.journal_entries()), j0 + 3)
        self.assertIn("update of 1.e164.arpa. from 127.0.0.1 (upd-key)", self.server.logtext())

    def test_dnspython_updates(self):
        """dnspython with hmac-sha256 and hmac-sha512 keys: add to an existing number, delete
        one RR (class NONE), delete the RRset (class ANY), delete the name (ANY ANY)."""
        s0 = self.serial()
        u = upd()
        u.add(N124, 3600, "NAPTR", naptr("sip:c@example.com", 30))
        r = self.send(u)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertTrue(r.had_tsig)  # the answer is signed, and dnspython verified it
        self.assertEqual(len(self.records(N124)), 3)
        u = upd(name="other-key.", secret=OTHER_SECRET, alg="hmac-sha512")
        u.delete(N124, "NAPTR", naptr("sip:a@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.records(N124), {naptr("sip:b@example.com", 20),
                                              naptr("sip:c@example.com", 30)})
        u = upd()
        u.delete(N124, "NAPTR")
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.query(N124).rcode(), dns.rcode.NXDOMAIN)
        # a name with two types, deleted whole
        u = upd()
        u.add(N123, 600, "TXT", '"a note"')
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.records(N123, "TXT"), {'"a note"'})
        self.assertIn("name", ctl(self.db, "show", "+12155550123").splitlines()[0])
        u = upd()
        u.delete(N123)
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.query(N123).rcode(), dns.rcode.NXDOMAIN)
        self.assertEqual(self.serial(), s0 + 5)
        # the journal lists what went, with the SOA steps
        tail = self.journal().split("serial ")[-1]
        self.assertIn(f"{s0 + 4} -> {s0 + 5}", tail)
        self.assertIn(f"- {N123}\t600\tIN\tTXT", tail)

    def test_number_and_name_forms(self):
        """The store decides: NAPTRs alone are a number entry, NAPTR and TXT a name; deleting
        the TXT makes it a number again."""
        name = num("2155552000")
        u = upd()
        u.add(name, 300, "NAPTR", naptr("sip:n@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertIn("number", ctl(self.db, "show", "+12155552000").splitlines()[0])
        u = upd()
        u.add(name, 300, "TXT", '"x"')
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertIn("name", ctl(self.db, "show", "+12155552000").splitlines()[0])
        u = upd()
        u.delete(name, "TXT")
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertIn("number", ctl(self.db, "show", "+12155552000").splitlines()[0])
        self.assertEqual(self.records(name), {naptr("sip:n@example.com")})

    def test_nothing_changed_no_serial(self):
        """Adding a record that is there, deleting one that is not: NOERROR, no serial step,
        no journal entry (RFC 2136 §3.6)."""
        before = self.state()
        u = upd()
        u.add(N123, 3600, "NAPTR", naptr("tel:+12155550123;npdi", service="E2U+pstn:tel"))
        u.delete(N124, "NAPTR", naptr("sip:nothere@example.com"))
        u.delete(num("2155559999"))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.state(), before)

    def test_answer_format(self):
        """§3.8: the header, the zone section, and the TSIG; nothing else."""
        u = upd()
        u.add(num("2155553000"), 300, "NAPTR", naptr("sip:f@example.com"))
        u.id = 4242
        r = self.send(u)
        self.assertEqual(r.id, 4242)
        self.assertEqual(r.opcode(), dns.opcode.UPDATE)
        self.assertEqual(len(r.zone), 1)
        self.assertEqual(r.zone[0].name, dns.name.from_text(ORIGIN))
        self.assertEqual(r.zone[0].rdtype, dns.rdatatype.SOA)
        self.assertEqual((len(r.prerequisite), len(r.update)), (0, 0))
        self.assertTrue(r.had_tsig)
        wire = self.raw(u.to_wire())
        self.assertEqual(struct.unpack("!HHHH", wire[4:12]), (1, 0, 0, 1))  # TSIG only
        # with EDNS, our OPT comes back
        u = upd()
        u.use_edns(0, payload=1232)
        u.add(num("2155553001"), 300, "NAPTR", naptr("sip:g@example.com"))
        r = self.send(u)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(r.edns, 0)

    def test_large_update_over_tcp(self):
        """500 numbers in one signed request over TCP: one serial step, one journal entry."""
        s0, j0 = self.serial(), len(self.journal_entries())
        u = upd()
        for i in range(500):
            u.add(num(f"215556{i:04d}"), 3600, "NAPTR",
                  naptr(f"tel:+1215556{i:04d};npdi;rn=+12155560000", service="E2U+pstn:tel"))
        self.assertGreater(len(u.to_wire()), 20000)
        self.assertEqual(self.rcode(u, tcp=True), dns.rcode.NOERROR)
        self.assertEqual(self.serial(), s0 + 1)
        self.assertEqual(len(self.journal_entries()), j0 + 1)
        self.assertEqual(self.records(num("2155560499")),
                         {naptr("tel:+12155560499;npdi;rn=+12155560000",
                                service="E2U+pstn:tel")})
        self.assertIn("500 of 500 records applied", self.server.logtext())


class Blocks(UpdateTest):
    """Blocks are addressed as the wildcard at the block's name, as AXFR shows them:
    *.5.5.5.7.7.7.1.e164.arpa. is the block +1777555*."""

    BLOCK = "*.5.5.5.7.7.7." + ORIGIN
    POOL = "*.5.5.5.8.8.8." + ORIGIN  # +1888555*, imported from CSV

    def test_add_and_delete_a_block(self):
        s0 = self.serial()
        u = upd()
        u.add(self.BLOCK, 600, "NAPTR", naptr("sip:blk@example.com"))
        u.add(self.BLOCK, 600, "NAPTR", naptr("sip:blk2@example.com", 20))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        shown = ctl(self.db, "show", "+17775551234")
        self.assertIn("block +1777555*", shown)
        self.assertEqual(self.records(num("7775551234")),
                         {naptr("sip:blk@example.com"), naptr("sip:blk2@example.com", 20)})
        self.assertIn("+ block +1777555*\t600\tIN\tNAPTR", self.journal())
        # a number of its own still wins over the block
        u = upd()
        u.add(num("7775550001"), 300, "NAPTR", naptr("sip:own@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.records(num("7775550001")), {naptr("sip:own@example.com")})
        # delete one RR of the block, then the RRset
        u = upd()
        u.delete(self.BLOCK, "NAPTR", naptr("sip:blk@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.records(num("7775559999")), {naptr("sip:blk2@example.com", 20)})
        u = upd()
        u.delete(self.BLOCK, "NAPTR")
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.query(num("7775559999")).rcode(), dns.rcode.NXDOMAIN)
        self.assertEqual(self.records(num("7775550001")), {naptr("sip:own@example.com")})
        self.assertEqual(self.serial(), s0 + 4)

    def test_imported_block(self):
        """The CSV block +1888555* is readable (prerequisites) and changeable by UPDATE, even
        when its prefix name is a number of its own."""
        u = upd()
        u.add(num("888555"), 300, "NAPTR", naptr("sip:prefix-owner@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        u = upd()
        u.present(self.POOL, "NAPTR", naptr("sip:pool@example.com"))
        u.add(self.POOL, 3600, "NAPTR", naptr("sip:pool2@example.com", 20))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.records(num("8885551234")),
                         {naptr("sip:pool@example.com"), naptr("sip:pool2@example.com", 20)})
        u = upd()
        u.present(self.POOL, "NAPTR", naptr("sip:pool@example.com"))  # no longer the set
        u.delete(self.POOL)
        self.assertEqual(self.rcode(u), dns.rcode.NXRRSET)
        u = upd()
        u.present(self.POOL)
        u.delete(self.POOL)  # ANY ANY at the block's name: the block goes
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.query(num("8885551234")).rcode(), dns.rcode.NXDOMAIN)
        p = subprocess.run([E2UCTL, "-d", self.db, "show", "+18885551234"], capture_output=True,
                           text=True)
        self.assertNotIn("block", p.stdout)
        u = upd()
        u.absent(self.POOL)
        u.absent(self.POOL, "NAPTR")
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)

    def test_blocks_with_a_length(self):
        """A prefix's wildcard stands for its block of the greatest length, as AXFR sends it:
        +1666555XXXX at *.5.5.5.6.6.6; of +1555444* and +1555444XXXX, the second. Deleting
        the RRset deletes every length at the prefix."""
        thousand = "*.5.5.5.6.6.6." + ORIGIN
        u = upd()
        u.present(thousand, "NAPTR", naptr("sip:thousand@example.com"))
        u.add(thousand, 3600, "NAPTR", naptr("sip:thousand2@example.com", 20))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        shown = ctl(self.db, "show", "+16665551234")
        self.assertIn("block +1666555XXXX", shown)
        self.assertIn("sip:thousand2@example.com", shown)
        self.assertEqual(self.query(num("666555123")).rcode(), dns.rcode.NOERROR)  # ENT
        self.assertEqual(self.records(num("666555123")), set())
        both = "*.4.4.4.5.5.5." + ORIGIN
        u = upd()
        u.present(both, "NAPTR", naptr("sip:eleven@example.com"))
        u.delete(both, "NAPTR", naptr("sip:eleven@example.com"))
        u.add(both, 3600, "NAPTR", naptr("sip:eleven-b@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.records(num("5554441234")), {naptr("sip:eleven-b@example.com")})
        self.assertEqual(self.records(num("55544412345")), {naptr("sip:any-length@example.com")})
        u = upd()
        u.delete(both, "NAPTR")
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.query(num("5554441234")).rcode(), dns.rcode.NXDOMAIN)
        self.assertEqual(self.query(num("55544412345")).rcode(), dns.rcode.NXDOMAIN)
        last = self.journal().split("serial ")[-1]
        self.assertIn("- block +1555444*", last)
        self.assertIn("- block +1555444XXXX", last)

    def test_wildcard_name_is_the_data(self):
        """When *.P is an ordinary name (a real wildcard from a master file), it is the zone's
        data there, as AXFR sends it: UPDATE works on the name, not on the block."""
        wild = "*.5.5.5.8.8.8." + ORIGIN
        u = upd()
        u.add(wild, 300, "TXT", '"a real wildcard"')
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        u = upd()
        u.absent(wild, "NAPTR")  # the name has no NAPTR: the block is not what is seen here
        u.add(wild, 300, "NAPTR", naptr("sip:wild@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertIn("sip:pool@example.com", ctl(self.db, "show", "+18885551234"))
        export = ctl(self.db, "export", ORIGIN)
        self.assertIn("sip:wild@example.com", export)
        u = upd()
        u.delete(wild)
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertNotIn("sip:wild@example.com", ctl(self.db, "export", ORIGIN))
        u = upd()
        u.present(wild, "NAPTR", naptr("sip:pool@example.com"))  # the block again
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)

    def test_covered_number_is_not_in_use(self):
        """Names are literal (RFC 2136): a number only a block covers is not in use."""
        name = num("8885550042")
        self.assertEqual(len(self.records(name)), 1)  # answered from the block
        u = upd()
        u.absent(name)
        u.absent(name, "NAPTR")
        u.add(name, 300, "NAPTR", naptr("sip:ported@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.records(name), {naptr("sip:ported@example.com")})


class Prerequisites(UpdateTest):
    """Every kind of §2.4, met and unmet; unmet ones change nothing."""

    acls = DEFAULT_ACLS + ("  - id: unsigned\n    address: 127.0.0.5/32\n"
                           "    action: update\n")
    zone_acl = ("upd", "unsigned")

    def check(self, prereq, expect):
        marker = num("2155554444")
        u = upd()
        prereq(u)
        u.add(marker, 300, "NAPTR", naptr("sip:marker@example.com"))
        before = self.state()
        self.assertEqual(self.rcode(u), expect, prereq.__doc__)
        if expect == dns.rcode.NOERROR:
            self.assertEqual(self.records(marker), {naptr("sip:marker@example.com")})
            u = upd()
            u.delete(marker)
            self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        else:
            self.assertEqual(self.state(), before)
            self.assertEqual(self.query(marker).rcode(), dns.rcode.NXDOMAIN)

    def test_name_in_use(self):
        self.check(lambda u: u.present(N123), dns.rcode.NOERROR)
        self.check(lambda u: u.present(ORIGIN), dns.rcode.NOERROR)
        self.check(lambda u: u.present("alias." + ORIGIN), dns.rcode.NOERROR)
        self.check(lambda u: u.present(num("2155550999")), dns.rcode.NXDOMAIN)
        # an empty non-terminal is not in use (§2.4.4)
        self.check(lambda u: u.present(num("215555012")), dns.rcode.NXDOMAIN)

    def test_name_not_in_use(self):
        self.check(lambda u: u.absent(num("2155550999")), dns.rcode.NOERROR)
        self.check(lambda u: u.absent(num("215555012")), dns.rcode.NOERROR)
        self.check(lambda u: u.absent(N124), dns.rcode.YXDOMAIN)
        self.check(lambda u: u.absent(ORIGIN), dns.rcode.YXDOMAIN)

    def test_rrset_exists(self):
        self.check(lambda u: u.present(N124, "NAPTR"), dns.rcode.NOERROR)
        self.check(lambda u: u.present(ORIGIN, "TXT"), dns.rcode.NOERROR)
        self.check(lambda u: u.present(N124, "TXT"), dns.rcode.NXRRSET)
        self.check(lambda u: u.present(num("2155550999"), "NAPTR"), dns.rcode.NXRRSET)

    def test_rrset_does_not_exist(self):
        self.check(lambda u: u.absent(N124, "TXT"), dns.rcode.NOERROR)
        self.check(lambda u: u.absent(num("2155550999"), "NAPTR"), dns.rcode.NOERROR)
        self.check(lambda u: u.absent(N124, "NAPTR"), dns.rcode.YXRRSET)
        self.check(lambda u: u.absent(ORIGIN, "SOA"), dns.rcode.YXRRSET)

    def test_rrset_exists_value_dependent(self):
        a, b = naptr("sip:a@example.com"), naptr("sip:b@example.com", 20)

        def both(u):
            u.present(N124, "NAPTR", a)
            u.present(N124, "NAPTR", b)

        def both_uppercase_ttl(u):  # TTL in prerequisites must be 0, but case is canonical
            u.present(N124.upper(), "NAPTR", b)
            u.present(N124, "NAPTR", a)
            u.present(N124, "NAPTR", a)  # a duplicate counts once

        def subset(u):
            u.present(N124, "NAPTR", a)

        def other(u):
            u.present(N124, "NAPTR", a)
            u.present(N124, "NAPTR", naptr("sip:zzz@example.com", 20))

        def absent_name(u):
            u.present(num("2155550999"), "NAPTR", a)

        self.check(both, dns.rcode.NOERROR)
        self.check(both_uppercase_ttl, dns.rcode.NOERROR)
        self.check(subset, dns.rcode.NXRRSET)
        self.check(other, dns.rcode.NXRRSET)
        self.check(absent_name, dns.rcode.NXRRSET)

    def test_first_unmet_decides(self):
        """Prerequisites are checked in order; the value-dependent ones after the others."""
        def order(u):
            u.absent(N124)                       # YXDOMAIN
            u.present(num("2155550999"))          # NXDOMAIN
        self.check(order, dns.rcode.YXDOMAIN)

        def later(u):
            u.present(N124, "NAPTR", naptr("sip:zzz@example.com"))  # NXRRSET, checked last
            u.present(num("2155550999"))                             # NXDOMAIN
        self.check(later, dns.rcode.NXDOMAIN)

    def test_malformed_prerequisites(self):
        """A prerequisite with a TTL, with RDATA in class ANY, or of another class: FORMERR.
        (Unsigned, from 127.0.0.5, which the ACL lets update without a key.)"""
        marker = num("2155554444")

        def wire(prereq, old, new):
            u = upd(signed=False)
            prereq(u)
            u.add(marker, 300, "NAPTR", naptr("sip:marker@example.com"))
            w = u.to_wire()
            self.assertEqual(w.count(old), 1)
            return w.replace(old, new)

        any_any = struct.pack("!HHIH", 255, 255, 0, 0)
        naptr_in = struct.pack("!HHI", 35, 1, 0)
        cases = {
            "ttl": wire(lambda u: u.present(N124), any_any, struct.pack("!HHIH", 255, 255, 5, 0)),
            "class CH": wire(lambda u: u.present(N124), any_any, struct.pack("!HHIH", 255, 3, 0, 0)),
            "RDATA in class ANY": wire(lambda u: u.present(N124, "NAPTR", naptr("sip:a@example.com")),
                                       naptr_in, struct.pack("!HHI", 35, 255, 0)),
            "RDATA in class NONE": wire(lambda u: u.present(N124, "NAPTR", naptr("sip:a@example.com")),
                                        naptr_in, struct.pack("!HHI", 35, 254, 0)),
        }
        before = self.state()
        for label, w in cases.items():
            got = self.raw(w, source="127.0.0.5")
            self.assertEqual(got[3] & 0xf, dns.rcode.FORMERR, label)
            self.assertEqual(self.state(), before, label)
        # the same request without the damage is accepted
        u = upd(signed=False)
        u.present(N124)
        u.add(marker, 300, "NAPTR", naptr("sip:marker@example.com"))
        self.assertEqual(self.rcode(u, source="127.0.0.5"), dns.rcode.NOERROR)


class Refusals(UpdateTest):
    acls = ("  - id: nobody-from-3\n    address: 127.0.0.3/32\n    action: update\n"
            "    deny: on\n"
            "  - id: upd\n    address: [127.0.0.1/32, 127.0.0.3/32]\n"
            "    key: [upd-key, other-key]\n    action: update\n"
            "  - id: upd-2\n    address: 127.0.0.2/32\n    key: upd-key\n    action: update\n")
    zone_acl = ("nobody-from-3", "upd")
    child_acl = ("upd-2",)

    def one(self):
        u = upd()
        u.add(num("2155555555"), 300, "NAPTR", naptr("sip:nope@example.com"))
        return u

    def test_wrong_key(self):
        before = self.state()
        u = upd(secret=WRONG_SECRET)
        u.add(num("2155555555"), 300, "NAPTR", naptr("sip:nope@example.com"))
        with self.assertRaises(dns.tsig.PeerBadSignature):
            self.send(u)
        wire = self.raw(u.to_wire())
        self.assertEqual(wire[3] & 0xf, dns.rcode.NOTAUTH)
        p = self.nsupdate(f"update add {num('2155555555')} 300 NAPTR {naptr('sip:x@x.com')}",
                          key=f"hmac-sha256:upd-key:{WRONG_SECRET}")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("NOTAUTH(BADSIG)", p.stdout + p.stderr)
        self.assertEqual(self.state(), before)

    def test_unknown_key(self):
        before = self.state()
        u = upd(name="nobody-knows-me.")
        u.add(num("2155555555"), 300, "NAPTR", naptr("sip:nope@example.com"))
        with self.assertRaises(dns.tsig.PeerBadKey):
            self.send(u)
        wire = self.raw(u.to_wire(), tcp=True)
        self.assertEqual(wire[3] & 0xf, dns.rcode.NOTAUTH)
        p = self.nsupdate(f"update add {num('2155555555')} 300 NAPTR {naptr('sip:x@x.com')}",
                          key=f"hmac-sha256:nobody-knows-me:{SECRET}")
        self.assertIn("NOTAUTH(BADKEY)", p.stdout + p.stderr)
        # the right name with another algorithm is another key: BADKEY too
        u = upd(alg="hmac-sha512")
        u.add(num("2155555555"), 300, "NAPTR", naptr("sip:nope@example.com"))
        with self.assertRaises(dns.tsig.PeerBadKey):
            self.send(u)
        self.assertEqual(self.state(), before)

    def test_acl(self):
        before = self.state()
        # unsigned: the rule wants a key
        self.assertEqual(self.rcode(dns.update.UpdateMessage(ORIGIN)), dns.rcode.REFUSED)
        u = upd(signed=False)
        u.add(num("2155555555"), 300, "NAPTR", naptr("sip:nope@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.REFUSED)
        # a valid key from an address outside the rule
        self.assertEqual(self.rcode(self.one(), source="127.0.0.2"), dns.rcode.REFUSED)
        # a deny rule before the allowing one
        self.assertEqual(self.rcode(self.one(), source="127.0.0.3"), dns.rcode.REFUSED)
        p = self.nsupdate(f"update add {num('2155555555')} 300 NAPTR {naptr('sip:x@x.com')}")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)  # 127.0.0.1 with the key
        self.assertNotEqual(self.state(), before)
        # the child zone allows 127.0.0.2 only
        before = self.state()
        u = upd(zone=CHILD)
        u.add("1.2." + CHILD, 300, "NAPTR", naptr("sip:child@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.REFUSED)
        self.assertEqual(self.state(), before)
        self.assertEqual(self.rcode(u, source="127.0.0.2"), dns.rcode.NOERROR)
        self.assertEqual(self.serial(CHILD), before[2] + 1)

    def test_zone_section(self):
        before = self.state()
        # a zone the store does not have: NOTAUTH
        u = upd(zone="2.e164.arpa.")
        u.add("1.2.e164.arpa.", 300, "NAPTR", naptr("sip:x@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOTAUTH)
        # a name of the store below the zone's origin is not a zone
        u = upd(zone=num("215"))
        self.assertEqual(self.rcode(u), dns.rcode.NOTAUTH)
        # the zone section must be of type SOA and class IN
        u = upd(signed=False)
        u.add(num("2155555555"), 300, "NAPTR", naptr("sip:nope@example.com"))
        w = u.to_wire()
        soa_in = struct.pack("!HH", 6, 1)
        self.assertEqual(w[12:].index(soa_in), len(dns.name.from_text(ORIGIN).to_wire()))
        zone_end = 12 + len(dns.name.from_text(ORIGIN).to_wire())
        for qtype, qclass in ((35, 1), (6, 3), (6, 255)):
            bad = w[:zone_end] + struct.pack("!HH", qtype, qclass) + w[zone_end + 4:]
            got = self.raw(bad)
            self.assertEqual(got[3] & 0xf, dns.rcode.FORMERR, (qtype, qclass))
            self.assertEqual(struct.unpack("!H", got[4:6])[0], 1)
        self.assertEqual(self.state(), before)

    def test_notzone(self):
        before = self.state()
        u = upd()
        u.add(num("2155556666"), 300, "NAPTR", naptr("sip:in@example.com"))
        u.add("3.2.1.2.e164.arpa.", 300, "NAPTR", naptr("sip:out@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOTZONE)
        u = upd()
        u.add(num("2155556666"), 300, "NAPTR", naptr("sip:in@example.com"))
        u.add("1.2." + CHILD, 300, "NAPTR", naptr("sip:child@example.com"))  # another zone
        self.assertEqual(self.rcode(u), dns.rcode.NOTZONE)
        u = upd()
        u.present("example.com.")
        self.assertEqual(self.rcode(u), dns.rcode.NOTZONE)
        self.assertEqual(self.state(), before)

    def test_failure_midway_applies_nothing(self):
        """Three records; the third fails: nothing of the first two is applied."""
        before = self.state()
        first, second = num("2155557001"), num("2155557002")
        # the third NAPTR's RDATA runs past its end: the message does not parse (FORMERR)
        u = upd()
        u.add(first, 300, "NAPTR", naptr("sip:1@example.com"))
        u.add(second, 300, "NAPTR", naptr("sip:2@example.com"))
        bad = dns.rdata.GenericRdata(dns.rdataclass.IN, dns.rdatatype.NAPTR,
                                     b"\x00\x0a\x00\x64\xc8u")
        u.find_rrset(u.update, dns.name.from_text(num("2155557003")), dns.rdataclass.IN,
                     dns.rdatatype.NAPTR, create=True).add(bad, 300)
        wire = self.raw(u.to_wire())
        self.assertEqual(wire[3] & 0xf, dns.rcode.FORMERR)
        self.assertEqual(self.state(), before)
        # the third is a DNAME, which the store does not hold: REFUSED after two changes
        u = upd()
        u.add(first, 300, "NAPTR", naptr("sip:1@example.com"))
        u.add(second, 300, "NAPTR", naptr("sip:2@example.com"))
        u.add(num("2155557003"), 300, "DNAME", "elsewhere.example.")
        self.assertEqual(self.rcode(u), dns.rcode.REFUSED)
        self.assertEqual(self.state(), before)
        self.assertEqual(self.query(first).rcode(), dns.rcode.NXDOMAIN)
        self.assertIn("nothing applied", self.server.logtext())
        # the third is a meta type in class IN: FORMERR in the prescan
        u = upd()
        u.add(first, 300, "NAPTR", naptr("sip:1@example.com"))
        u.add(second, 300, "NAPTR", naptr("sip:2@example.com"))
        u.find_rrset(u.update, dns.name.from_text(num("2155557003")), dns.rdataclass.IN,
                     dns.rdatatype.ANY, create=True).add(
            dns.rdata.GenericRdata(dns.rdataclass.IN, dns.rdatatype.ANY, b""), 0)
        self.assertEqual(self.rcode(u), dns.rcode.FORMERR)
        self.assertEqual(self.state(), before)


class ApexAndCname(UpdateTest):
    def test_apex_special_cases(self):
        s0 = self.serial()
        ns = lambda: self.records(ORIGIN, "NS")  # noqa: E731
        # §3.4.2.3: the apex NS RRset and SOA cannot be deleted as RRsets
        u = upd()
        u.delete(ORIGIN, "NS")
        u.delete(ORIGIN, "SOA")
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(ns(), {"ns1.example.", "ns2.example."})
        self.assertEqual(self.serial(), s0)
        # ANY ANY at the apex: everything but SOA and NS
        u = upd()
        u.delete(ORIGIN)
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.query(ORIGIN, "TXT").answer, [])
        self.assertEqual(ns(), {"ns1.example.", "ns2.example."})
        self.assertEqual(self.serial(), s0 + 1)
        # §3.4.2.4: NS RRs one by one, but never the last
        u = upd()
        u.delete(ORIGIN, "NS", "ns1.example.")
        u.delete(ORIGIN, "NS", "ns2.example.")
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(ns(), {"ns2.example."})
        # an SOA with an older serial is ignored; a newer one is taken
        cur = self.serial()
        u = upd()
        u.add(ORIGIN, 3600, "SOA", f"ns1.example. hostmaster.example. {cur - 1} 1 1 1 1")
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.serial(), cur)
        u = upd()
        u.add(ORIGIN, 3600, "SOA", f"ns9.example. hostmaster.example. {cur + 100} 7200 3600 "
              "1209600 300")
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        soa = self.query(ORIGIN, "SOA").answer[0][0]
        self.assertEqual((soa.serial, soa.mname.to_text()), (cur + 100, "ns9.example."))
        # an SOA below the apex is ignored
        u = upd()
        u.add(N123, 3600, "SOA", f"ns1.example. hostmaster.example. {cur + 200} 1 1 1 1")
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.serial(), cur + 100)

    def test_cname_rules(self):
        """§3.4.2.2: a CNAME is not added beside other data, other data not beside a CNAME;
        a CNAME replaces a CNAME."""
        before = self.state()
        u = upd()
        u.add(N124, 300, "CNAME", "elsewhere.example.")
        u.add("alias." + ORIGIN, 300, "NAPTR", naptr("sip:beside@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.state(), before)
        u = upd()
        u.add("alias." + ORIGIN, 300, "CNAME", N124)
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        m = self.query("alias." + ORIGIN, "CNAME")
        self.assertEqual(m.answer[0][0].target.to_text(), N124)
        # a new name: the CNAME added first wins over the NAPTR after it
        name = "new-alias." + ORIGIN
        u = upd()
        u.add(name, 300, "CNAME", N123)
        u.add(name, 300, "NAPTR", naptr("sip:beside@example.com"))
        self.assertEqual(self.rcode(u), dns.rcode.NOERROR)
        self.assertEqual(self.query(name, "CNAME").answer[0][0].target.to_text(), N123)
        self.assertEqual(self.records(name, "NAPTR"), self.records(N123, "NAPTR"))


class Hostile(UpdateTest):
    """Damaged UPDATEs from an address the ACL lets update without a key: every one gets an
    answer or silence, e2ud stays up, and the store stays consistent."""

    acls = ("  - id: unsigned\n    address: 127.0.0.5/32\n    action: update\n")
    zone_acl = ("unsigned",)
    child_acl = ("unsigned",)

    def templates(self):
        out = []
        u = dns.update.UpdateMessage(ORIGIN)
        u.present(N124, "NAPTR", naptr("sip:a@example.com"))
        u.present(N124, "NAPTR", naptr("sip:b@example.com", 20))
        u.absent(num("2155550999"))
        u.add(num("2155558000"), 300, "NAPTR", naptr("sip:m@example.com"))
        out.append(u)
        u = dns.update.UpdateMessage(ORIGIN)
        u.add("*.5.5.5.7.7.7." + ORIGIN, 300, "NAPTR", naptr("sip:blk@example.com"))
        u.delete("*.5.5.5.8.8.8." + ORIGIN, "NAPTR", naptr("sip:pool@example.com"))
        u.delete(ORIGIN)
        u.add("alias." + ORIGIN, 300, "CNAME", N124)
        out.append(u)
        u = dns.update.UpdateMessage(ORIGIN)
        u.delete(N123)
        u.delete(ORIGIN, "NS", "ns1.example.")
        u.add(ORIGIN, 300, "SOA", "ns1.example. hostmaster.example. 4000000000 1 1 1 1")
        u.present("*.5.5.5.8.8.8." + ORIGIN)
        out.append(u)
        return [m.to_wire() for m in out]

    def test_mutations(self):
        import random
        rnd = random.Random(2136)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.5", 0))
        sock.settimeout(0.1)
        templates = self.templates()
        answered = silent = 0
        body = 12 + len(dns.name.from_text(ORIGIN).to_wire()) + 4  # after the zone section
        for n in range(2500):
            w = bytearray(rnd.choice(templates))
            for _ in range(rnd.randint(1, 4)):
                if len(w) <= body + 1:
                    break
                # mostly the sections e2ud's update code reads; sometimes the header and zone
                start = 4 if rnd.random() < 0.1 else body
                kind = rnd.random()
                if kind < 0.6:
                    w[rnd.randrange(start, len(w))] = rnd.getrandbits(8)
                elif kind < 0.75:
                    del w[rnd.randrange(start, len(w)):]
                else:
                    i = rnd.randrange(start, len(w))
                    w[i:i] = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 8)))
            w[2] = (w[2] & 0x87) | (5 << 3)  # keep opcode UPDATE, QR clear
            w[0:2] = struct.pack("!H", n)
            sock.sendto(bytes(w), ("127.0.0.1", self.port))
            try:
                while True:  # a late answer to an earlier message is passed over
                    r = sock.recvfrom(65535)[0]
                    if r[:2] == bytes(w[:2]):
                        break
                answered += 1
            except socket.timeout:
                silent += 1
        sock.close()
        self.assertGreater(answered, 2000, f"{silent} not answered")
        self.assertIsNone(self.server.proc.poll(), self.server.logtext()[-2000:])
        self.assertEqual(self.query(ORIGIN, "SOA").rcode(), dns.rcode.NOERROR)
        # the store is whole: every zone exports, and its journal reads
        for zone in (ORIGIN, CHILD):
            ctl(self.db, "export", zone)
            self.journal(zone)


class Flood(UpdateTest):
    """'An UPDATE flood is refused before any memory is spent on it when the ACL or key does
    not allow it': thousands of unauthorized requests, large ones among them, leave the store
    untouched and e2ud's memory where it was."""

    acls = ("  - id: upd\n    address: 127.0.0.1/32\n    key: upd-key\n    action: update\n")
    zone_acl = ("upd",)
    child_acl = ("upd",)

    def env(self):
        """Under AddressSanitizer, freed memory sits in quarantine (RSS grows by design): turn
        the quarantine off for this test, so that RSS measures what e2ud keeps."""
        if not daemons.sanitized(E2UD):
            return None
        env = dict(os.environ)
        opts = env.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + \
            "quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
        return env

    def requests(self):
        def big(u):
            for i in range(30):
                u.add(num(f"21555{i:05d}"), 300, "NAPTR",
                      naptr(f"sip:flood-{i:03d}-with-a-long-user-part@flood.example.com"))
            return u

        kinds = [
            ("unsigned", big(upd(signed=False)).to_wire(), "127.0.0.1", dns.rcode.REFUSED),
            ("valid key, outside address", big(upd()).to_wire(), "127.0.0.4",
             dns.rcode.REFUSED),
            ("other key", big(upd(name="other-key.", secret=OTHER_SECRET,
                                  alg="hmac-sha512")).to_wire(), "127.0.0.1",
             dns.rcode.REFUSED),
            ("wrong secret", big(upd(secret=WRONG_SECRET)).to_wire(), "127.0.0.1",
             dns.rcode.NOTAUTH),
            ("unknown key", big(upd(name="who.")).to_wire(), "127.0.0.1", dns.rcode.NOTAUTH),
        ]
        for _, wire, _, _ in kinds:
            self.assertGreater(len(wire), 2500)
            self.assertLess(len(wire), 4000)  # e2ud takes UDP messages up to 4 KiB
        return kinds

    def flood(self, kinds, rounds):
        socks = {}
        for _, _, src, _ in kinds:
            if src not in socks:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind((src, 0))
                s.settimeout(5)
                socks[src] = s
        bad = []
        for n in range(rounds):
            label, wire, src, expect = kinds[n % len(kinds)]
            s = socks[src]
            s.sendto(wire, ("127.0.0.1", self.port))
            got = s.recvfrom(65535)[0]
            if got[3] & 0xf != expect:
                bad.append((label, got[3] & 0xf))
        for s in socks.values():
            s.close()
        return bad

    def tcp_flood(self, rounds):
        """Large unauthorized updates (~60 KB) pipelined over TCP."""
        u = upd(signed=False)
        for i in range(700):
            u.add(num(f"21557{i:05d}"), 300, "NAPTR",
                  naptr(f"sip:tcp-flood-{i:04d}@flood.example.com"))
        wire = u.to_wire()
        self.assertGreater(len(wire), 50000)
        framed = struct.pack("!H", len(wire)) + wire
        bad = 0
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as c:
            f = c.makefile("rb")
            for _ in range(rounds // 10):
                c.sendall(framed * 10)
                for _ in range(10):
                    n = struct.unpack("!H", f.read(2))[0]
                    r = f.read(n)
                    bad += (r[3] & 0xf) != dns.rcode.REFUSED
        return bad

    def test_flood_is_refused_cheaply(self):
        kinds = self.requests()
        before = self.state()
        self.assertEqual(self.flood(kinds, 1000), [])  # warm up every worker and path
        self.assertEqual(self.tcp_flood(50), 0)
        rss0 = self.server.rss_kib()
        # Another process holds the store's writer lock all along: a request that opened a
        # write transaction would wait for it, and the flood would time out.
        lock = WriterLock(self.db)
        waiting = None
        try:
            t0 = time.time()
            self.assertEqual(self.flood(kinds, 6000), [])
            self.assertEqual(self.tcp_flood(300), 0)
            elapsed = time.time() - t0
            rss1 = self.server.rss_kib()
            # an authorized update does wait for the writer lock ...
            u = upd()
            u.add(num("2155800000"), 300, "NAPTR", naptr("sip:authorized@example.com"))
            result = {}
            waiting = threading.Thread(target=lambda: result.update(rcode=self.rcode(u)))
            waiting.start()
            time.sleep(1)
            self.assertTrue(waiting.is_alive())
        finally:
            lock.release()
        # ... and goes through once it is free
        waiting.join(10)
        self.assertEqual(result.get("rcode"), dns.rcode.NOERROR)
        self.assertEqual(self.serial(), before[0] + 1)
        self.assertEqual(len(self.journal_entries()),
                         len([ln for ln in before[1].splitlines() if ln.startswith("serial ")])
                         + 1)
        self.assertIn("sip:authorized@", self.journal().split("serial ")[-1])
        self.assertNotIn("flood.example.com", self.journal() + ctl(self.db, "export", ORIGIN))
        self.assertEqual(self.query(num("2155500001")).rcode(), dns.rcode.NXDOMAIN)
        limit = 4096 if daemons.sanitized(E2UD) else 1024
        if not daemons.under_valgrind():  # memcheck's own bookkeeping is in e2ud's RSS
            self.assertLess(rss1 - rss0, limit,
                            f"e2ud grew from {rss0} to {rss1} KiB over the flood "
                            f"({elapsed:.1f} s)")
        sys.stderr.write(f"[flood: 6000 UDP + 300 TCP unauthorized updates in {elapsed:.1f} s, "
                         f"RSS {rss0} -> {rss1} KiB] ")

if __name__ == "__main__":
    unittest.main(verbosity=2)
