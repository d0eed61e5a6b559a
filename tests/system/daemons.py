"""tests/system/daemons.py — starting real DNS daemons on loopback for the system tests.

Every daemon listens on 127.0.0.1 with a port chosen free at run time, in a scratch
directory, and dies with the test process (PR_SET_PDEATHSIG), so a crashed test never leaves
a server behind. Standard library only: the tests run with /usr/bin/python3.
"""
import ctypes
import os
import signal
import socket
import subprocess
import tempfile
import time

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def sanitized(path):
    """Whether the program at path is built with AddressSanitizer. Its allocator keeps freed
    memory in quarantine and adds shadow memory, so a test's bound on resident memory holds
    only for the plain build (make test runs both)."""
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def free_port(kind=socket.SOCK_DGRAM):
    """A port free for both UDP and TCP on 127.0.0.1 at this moment."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
        except OSError:
            u.close()
            t.close()
            continue
        u.close()
        t.close()
        return port
    raise RuntimeError("no free port")


def under_valgrind():
    """The directory for valgrind's reports when the tests run e2ud under memcheck
    (tests/system/valgrind.py sets E2U_VALGRIND), else None."""
    return os.environ.get("E2U_VALGRIND") or None


def spawn(cmd, log, **kw):
    vg = under_valgrind()
    if vg and os.path.basename(cmd[0]) == "e2ud":
        # memcheck in the same process (same pid, same signals); its report goes to a file
        # of its own, which valgrind.py reads when the tests are over
        cmd = ["valgrind", "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
               "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
               "--track-origins=yes", f"--log-file={vg}/e2ud.%p.log", "--", *cmd]
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=_die_with_parent, **kw)


def kdig(port, *args, timeout=5):
    r = subprocess.run(["kdig", "@127.0.0.1", "-p", str(port), "+timeout=2", "+retry=0", *args],
                       capture_output=True, text=True, timeout=timeout)
    return r.stdout


class Knot:
    """knotd serving the given zones: {origin: zone text}; signed is a set of origins that
    Knot signs automatically (DNSSEC). extra_conf is added before the default template (server
    items, module sections), template_conf inside it (its global-module)."""

    def __init__(self, zones, signed=(), extra_conf="", template_conf=""):
        self.dir = tempfile.mkdtemp(prefix="e2u-knot-")
        self.port = free_port()
        os.makedirs(os.path.join(self.dir, "db"))
        for origin, text in zones.items():
            with open(os.path.join(self.dir, origin.rstrip(".") + ".zone"), "w") as f:
                f.write(text)
        conf = [f"server:\n    listen: 127.0.0.1@{self.port}\n    rundir: {self.dir}\n"
                f"    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n",
                f"database:\n    storage: {self.dir}/db\n",
                "log:\n  - target: stderr\n    any: info\n",
                "acl:\n  - id: local\n    address: 127.0.0.0/8\n    action: [transfer, notify]\n",
                "policy:\n  - id: fast\n    algorithm: ecdsap256sha256\n    ksk-lifetime: 0\n"
                "    zsk-lifetime: 0\n",
                extra_conf,  # before the template, which may name its modules
                f"template:\n  - id: default\n    storage: {self.dir}\n    zonefile-sync: -1\n"
                "    journal-content: none\n" + template_conf,
                "zone:\n"]
        for origin in zones:
            conf.append(f"  - domain: {origin}\n    file: {origin.rstrip('.')}.zone\n"
                        "    acl: local\n")
            if origin in signed:
                conf.append("    dnssec-signing: on\n    dnssec-policy: fast\n")
        with open(os.path.join(self.dir, "knot.conf"), "w") as f:
            f.write("".join(conf))
        self.log = open(os.path.join(self.dir, "knot.log"), "w")
        self.proc = spawn(["knotd", "-c", os.path.join(self.dir, "knot.conf")], self.log)
        self.zones = list(zones)
        self._wait()

    def _wait(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("knotd exited: " + open(self.log.name).read()[-2000:])
            ok = all("status: NOERROR" in kdig(self.port, "SOA", z) for z in self.zones)
            if ok:
                return
            time.sleep(0.2)
        raise RuntimeError("knotd did not answer: " + open(self.log.name).read()[-2000:])

    def server(self):
        return f"127.0.0.1@{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


class FakeDNS:
    """A scripted UDP responder: handler(query_bytes) -> response bytes or None (silence)."""

    def __init__(self, handler, port=0):
        import threading
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind(("127.0.0.1", port))
        except OSError:
            self.sock.close()
            raise
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.stopped:
            try:
                q, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            r = self.handler(q)
            if r:
                self.sock.sendto(r, addr)

    def server(self):
        return f"127.0.0.1@{self.port}"

    def stop(self):
        self.stopped = True
        self.thread.join()
        self.sock.close()


def servfail(q):
    """A SERVFAIL response to query q: same ID and question, QR=1, RD copied, RCODE 2."""
    flags = 0x8000 | (q[2] << 8 & 0x0100) | 0x0002
    return q[:2] + flags.to_bytes(2, "big") + q[4:6] + b"\0\0\0\0\0\0" + _question(q)


def _question(q):
    i = 12
    while q[i] != 0:
        i += 1 + q[i]
    return q[12:i + 5]
