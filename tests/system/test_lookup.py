#!/usr/bin/python3
"""tests/system/test_lookup.py — `e2u lookup` against a real Knot DNS on loopback.

Knot serves zones that exercise every rule of DESIGN.md §"Semantics" and the example record of
each seed specification; e2u resolves numbers against it with --server and the assertions check
what the specification text says the result is. Expected URIs and tel fields are taken from
the RFC texts (shared/specs/README.md restores the RFC 4769 and RFC 3953 records), not from
e2u's output.

Usage: test_lookup.py PATH-TO-e2u
"""
import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemons  # noqa: E402

E2U = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/tools/e2u"
E2UCTL = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/tools/e2uctl/e2uctl"

SOA = "@ 3600 IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 300\n@ 3600 IN NS ns.test.\n"


def zone(origin, body):
    return f"$ORIGIN {origin}\n$TTL 3600\n" + SOA + body


def owner(number):
    """The ENUM owner name of +digits relative to its suffix."""
    return ".".join(reversed(re.sub(r"\D", "", number)))


RFC4769 = {
    "4-1": 'NAPTR 10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+1-215-555-0123;npdi;rn=+1-215-555-0199!" .',
    "4-2": 'NAPTR 10 100 "u" "E2U+pstn:sip" "!^.*$!sip:+1-215-555-0123;npdi;rn=+1-215-555-0199@gw.example.com;user=phone!" .',
    "4-3": 'NAPTR 10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+1-215-555-0123;npdi!" .',
    "4-4": 'NAPTR 10 100 "u" "E2U+pstn:sip" "!^.*$!sip:+1-215-555-0123;npdi@gw.example.com;user=phone!" .',
    "4-5": 'NAPTR 10 100 "u" "E2U+pstn:tel" "!(^.*$)!tel:\\\\1;npdi!" .',
}

MAIN = "".join([
    # draft-peterson-enum-sip §5, RFC 3953 §5 (+1 202 533 2600, the drafts' own number)
    f'{owner("+12025332600")} NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:jon.peterson@neustar.biz!" .\n',
    f'{owner("+12025332600")} NAPTR 100 10 "u" "E2U+pres" "!^.*$!pres:user@host.com!" .\n',
    # draft-mahy-enum-im-service §1 (its example URI)
    f'{owner("+12025332601")} NAPTR 10 100 "u" "E2U+im" "!^.*$!im:user@example.com!" .\n',
    # draft-brandner-enum-uri §3.2.2 (i) and (ii), flags restored, '+' escaped (RFC 6116 AUS)
    f'{owner("+432221234567890")} NAPTR 10 10 "u" "E2U+esx" "!^\\\\+43222(.*)$!enum:+431\\\\1!" .\n',
    f'{owner("+432228765432109")} NAPTR 10 10 "u" "E2U+esx" "!^\\\\+43222(.*)$!enum:+431\\\\1!" .\n',
    f'{owner("+4311234567890")} NAPTR 10 10 "u" "E2U+esx" "!^.*$!sip:office-a@example.at!" .\n',
    f'{owner("+4318765432109")} NAPTR 10 10 "u" "E2U+esx" "!^.*$!sip:office-b@example.at!" .\n',
    # RFC 6116 §4
    f'{owner("+441632960083")} NAPTR 100 50 "u" "E2U+sip" "!^(\\\\+441632960083)$!sip:\\\\1@example.com!" .\n',
    f'{owner("+441632960083")} NAPTR 100 51 "u" "E2U+h323" "!^\\\\+441632960083$!h323:operator@example.com!" .\n',
    f'{owner("+441632960083")} NAPTR 100 52 "u" "E2U+email:mailto" "!^.*$!mailto:info@example.com!" .\n',
    # ordering: given scrambled; sorted by order, then preference
    f'{owner("+15550001")} NAPTR 20 10 "u" "E2U+pstn:tel" "!^.*$!tel:+15550001;npdi!" .\n',
    f'{owner("+15550001")} NAPTR 10 200 "u" "E2U+sip" "!^.*$!sip:second@example.com!" .\n',
    f'{owner("+15550001")} NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:first@example.com!" .\n',
    f'{owner("+15550001")} NAPTR 15 1 "u" "E2U+pres" "!^.*$!pres:p@example.com!" .\n',
    # a bad record among good ones: dropped with a reason, the rest used
    f'{owner("+15550002")} NAPTR 10 100 "u" "E2U+sip" "!(a)\\\\1!x!" .\n',
    f'{owner("+15550002")} NAPTR 10 101 "Z" "E2U+sip" "!^.*$!sip:z@example.com!" .\n',
    f'{owner("+15550002")} NAPTR 10 102 "u" "E2U+sip" "!^.*$!not a uri!" .\n',
    # nested stars with no literal PCRE2 could reject early: only the match limit stops it
    f'{owner("+15550002")} NAPTR 10 103 "u" "E2U+sip" "!(.*.*.*.*.*.*.*)*[^0-9]!sip:slow@example.com!" .\n',
    f'{owner("+15550002")} NAPTR 10 104 "u" "E2U+sip" "!^.*$!sip:good@example.com!" .\n',
    # no usable record: the name exists
    f'{owner("+15550003")} NAPTR 10 100 "u" "E2U+sip" "!^\\\\+44.*$!sip:uk@example.com!" .\n',
    # a non-terminal chain: number -> nt1.chains.example. -> nt2.chains.example. (terminal)
    f'{owner("+15550004")} NAPTR 10 100 "" "" "" nt1.chains.example.\n',
    f'{owner("+15550004")} NAPTR 20 100 "u" "E2U+sip" "!^.*$!sip:after@example.com!" .\n',
    # loops: non-terminal A -> B -> A; a replacement pointing at itself; enum: A -> B -> A
    f'{owner("+15550005")} NAPTR 10 100 "" "" "" loop1.chains.example.\n',
    f'{owner("+15550006")} NAPTR 10 100 "" "" "" {owner("+15550006")}.e164.arpa.\n',
    f'{owner("+15550007")} NAPTR 10 100 "u" "E2U+sip" "!^.*$!enum:+15550008!" .\n',
    f'{owner("+15550008")} NAPTR 10 100 "u" "E2U+sip" "!^.*$!enum:+1-555-0007!" .\n',
    # an enum: chain A -> B -> C: via ["+B", "+C"]
    f'{owner("+15550010")} NAPTR 10 100 "u" "E2U+sip" "!^.*$!enum:+15550011!" .\n',
    f'{owner("+15550011")} NAPTR 10 100 "u" "E2U+sip" "!^.*$!enum:+15550012!" .\n',
    f'{owner("+15550012")} NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:c@example.com!" .\n',
    # strict order: order 10 yields nothing usable, order 20 is used; order 30 only without
    f'{owner("+15550013")} NAPTR 10 100 "u" "E2U+sip" "!^\\\\+44.*$!sip:no@example.com!" .\n',
    f'{owner("+15550013")} NAPTR 20 100 "u" "E2U+sip" "!^.*$!sip:twenty@example.com!" .\n',
    f'{owner("+15550013")} NAPTR 30 100 "u" "E2U+sip" "!^.*$!sip:thirty@example.com!" .\n',
    # a long non-terminal chain: 7 hops
    f'{owner("+15550014")} NAPTR 10 100 "" "" "" h1.chains.example.\n',
    # the legacy services form and an uppercase flag (RFC 3403 §6.2, RFC 5483 §6.1)
    f'{owner("+15550015")} NAPTR 100 10 "U" "sip+E2U" "!^.*$!sip:information@foo.se!i" .\n',
])
BIG = "".join(f'{owner("+15559999")} NAPTR 10 {i} "u" "E2U+sip" "!^.*$!sip:user{i:03d}@big.example.com!" .\n'
              for i in range(100))
HUGE = "".join(f'{owner("+15559998")} NAPTR 10 {i} "u" "E2U+sip" "!^.*$!sip:a-rather-long-user-name-{i:04d}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx@huge.example.com!" .\n'
               for i in range(540))
CHAINS = "".join([
    'nt1 NAPTR 10 100 "" "" "" nt2\n',
    'nt2 NAPTR 10 100 "u" "E2U+sip" "!^\\\\+1(.*)$!sip:\\\\1@chained.example.com!" .\n',
    'loop1 NAPTR 10 100 "" "" "" loop2\n',
    'loop2 NAPTR 10 100 "" "" "" loop1\n',
    *[f'h{i} NAPTR 10 100 "" "" "" h{i + 1}\n' for i in range(1, 7)],
    'h7 NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:end@example.com!" .\n',
])
SECOND = f'{owner("+15550020")} NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:second-suffix@example.net!" .\n'
SIGNED = f'{owner("+15550030")} NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:secure@example.com!" .\n'


class Lookup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        zones = {"e164.arpa.": zone("e164.arpa.", MAIN + BIG + HUGE),
                 "chains.example.": zone("chains.example.", CHAINS),
                 "e164.example.net.": zone("e164.example.net.", SECOND),
                 "sec.e164.example.": zone("sec.e164.example.", SIGNED)}
        for k, rec in RFC4769.items():
            zones[f"{k}.rfc4769.example."] = zone(f"{k}.rfc4769.example.", f"3.2.1.0.5.5.5.5.1.2.1 {rec}\n")
        cls.knot = daemons.Knot(zones, signed={"sec.e164.example."})
        cls.server = cls.knot.server()
        # the same zones in an e2u store, for --db
        import tempfile
        cls.db = tempfile.mkdtemp(prefix="e2u-db-")
        for origin, text in zones.items():
            path = os.path.join(cls.db, origin + "zone")
            with open(path, "w") as f:
                f.write(text)
            subprocess.run([E2UCTL, "-d", cls.db + "/store", "--no-sync", "import", path],
                           check=True, capture_output=True, timeout=60)

    @classmethod
    def tearDownClass(cls):
        cls.knot.stop()

    def lookup(self, *args, server=None, stdin=None):
        cmd = [E2U, "lookup", "--json", "--server", server or self.server, *args]
        p = subprocess.run(cmd, capture_output=True, text=True, input=stdin, timeout=120)
        objs = [json.loads(line) for line in p.stdout.splitlines()]
        return p.returncode, objs, p.stderr

    def one(self, *args, **kw):
        rc, objs, err = self.lookup(*args, **kw)
        self.assertEqual(len(objs), 1, err)
        return rc, objs[0]

    def uris(self, o):
        return [r["uri"] for r in o["results"]]

    # --- the seed specifications ---------------------------------------------------------

    def test_rfc4769_examples(self):
        want = {
            "4-1": ("tel:+1-215-555-0123;npdi;rn=+1-215-555-0199", "+12155550199"),
            "4-2": ("sip:+1-215-555-0123;npdi;rn=+1-215-555-0199@gw.example.com;user=phone", "+12155550199"),
            "4-3": ("tel:+1-215-555-0123;npdi", None),
            "4-4": ("sip:+1-215-555-0123;npdi@gw.example.com;user=phone", None),
            "4-5": ("tel:+12155550123;npdi", None),
        }
        for k, (uri, rn) in want.items():
            rc, o = self.one("--suffix", f"{k}.rfc4769.example", "+1-215-555-0123")
            self.assertEqual(rc, 0, o)
            self.assertEqual(self.uris(o), [uri])
            r = o["results"][0]
            self.assertEqual(r["domain"], f"3.2.1.0.5.5.5.5.1.2.1.{k}.rfc4769.example.")
            self.assertEqual(r["tel"], {"number": "+12155550123", "rn": rn, "npdi": True, "cic": None})
            self.assertEqual(r["enumservices"], ["pstn:sip" if "sip:" in uri else "pstn:tel"])

    def test_sip_and_presence_drafts(self):
        rc, o = self.one("+1 202 533 2600")
        self.assertEqual(rc, 0)
        # sip (order 10) before pres (order 100)
        self.assertEqual(self.uris(o), ["sip:jon.peterson@neustar.biz", "pres:user@host.com"])
        self.assertEqual([r["enumservices"] for r in o["results"]], [["sip"], ["pres"]])
        self.assertNotIn("tel", o["results"][0])
        rc, o = self.one("--service", "pres", "+12025332600")
        self.assertEqual(self.uris(o), ["pres:user@host.com"])
        rc, o = self.one("+12025332601")
        self.assertEqual(self.uris(o), ["im:user@example.com"])

    def test_enum_uri_draft(self):
        rc, o = self.one("+432221234567890")
        self.assertEqual(self.uris(o), ["sip:office-a@example.at"])
        self.assertEqual(o["results"][0]["via"], ["+4311234567890"])
        self.assertEqual(o["results"][0]["domain"], "0.9.8.7.6.5.4.3.2.1.1.3.4.e164.arpa.")
        rc, o = self.one("+432228765432109")
        self.assertEqual(self.uris(o), ["sip:office-b@example.at"])
        self.assertEqual(o["results"][0]["via"], ["+4318765432109"])

    def test_rfc6116_example(self):
        rc, o = self.one("+441632960083")
        self.assertEqual(self.uris(o), ["sip:+441632960083@example.com", "h323:operator@example.com",
                                        "mailto:info@example.com"])
        self.assertEqual([r["enumservices"] for r in o["results"]],
                         [["sip"], ["h323"], ["email:mailto"]])

    # --- the rules of DESIGN.md ----------------------------------------------------------

    def test_order_and_preference(self):
        rc, o = self.one("+15550001")
        self.assertEqual(self.uris(o), ["sip:first@example.com", "sip:second@example.com",
                                        "pres:p@example.com", "tel:+15550001;npdi"])

    def test_filters(self):
        rc, o = self.one("--service", "sip", "--service", "pstn:tel", "+15550001")
        self.assertEqual(self.uris(o), ["sip:first@example.com", "sip:second@example.com",
                                        "tel:+15550001;npdi"])
        rc, o = self.one("--service", "pstn:sip", "+15550001")
        self.assertEqual((rc, o["status"]), (1, "no-records"))

    def test_strict_order(self):
        rc, o = self.one("--strict-order", "+15550013")
        self.assertEqual(self.uris(o), ["sip:twenty@example.com"])
        rc, o = self.one("+15550013")
        self.assertEqual(self.uris(o), ["sip:twenty@example.com", "sip:thirty@example.com"])

    def test_bad_records_are_dropped_not_fatal(self):
        rc, o = self.one("+15550002")
        self.assertEqual((rc, o["status"]), (0, "ok"))
        self.assertEqual(self.uris(o), ["sip:good@example.com"])
        reasons = sorted(d["reason"] for d in o["dropped"])
        self.assertEqual(reasons, ["bad-regexp", "bad-uri", "regexp-limit", "unsupported-flags"])

    def test_nxdomain_versus_no_records(self):
        rc, o = self.one("+15550003")
        self.assertEqual((rc, o["status"]), (1, "no-records"))
        self.assertEqual(o["dropped"][0]["reason"], "no-match")
        rc, o = self.one("+19999999999")
        self.assertEqual((rc, o["status"]), (1, "not-found"))

    def test_non_terminal_chain(self):
        rc, o = self.one("+15550004")
        # ^\+1(.*)$ on +15550004 captures 5550004
        self.assertEqual(self.uris(o), ["sip:5550004@chained.example.com", "sip:after@example.com"])
        self.assertEqual(o["results"][0]["domain"], "nt2.chains.example.")

    def test_non_terminal_loops(self):
        rc, o = self.one("+15550005")
        self.assertEqual((rc, o["status"]), (1, "loop"))
        self.assertIn("loop", [d["reason"] for d in o["dropped"]])
        rc, o = self.one("+15550006")  # the replacement points at itself
        self.assertEqual(o["status"], "loop")
        rc, o = self.one("+15550014")  # 7 hops: over the default 5
        self.assertEqual(o["status"], "loop")
        self.assertIn("hop-limit", [d["reason"] for d in o["dropped"]])
        rc, o = self.one("--max-hops", "7", "+15550014")
        self.assertEqual(self.uris(o), ["sip:end@example.com"])

    def test_enum_chain_and_loop(self):
        rc, o = self.one("+15550010")
        self.assertEqual(self.uris(o), ["sip:c@example.com"])
        self.assertEqual(o["results"][0]["via"], ["+15550011", "+15550012"])
        rc, o = self.one("+15550007")
        self.assertEqual((rc, o["status"]), (1, "loop"))

    def test_legacy_services_and_flag_case(self):
        rc, o = self.one("+15550015")
        self.assertEqual(self.uris(o), ["sip:information@foo.se"])

    def test_several_suffixes(self):
        rc, o = self.one("--suffix", "e164.arpa", "--suffix", "e164.example.net", "+15550020")
        self.assertEqual(self.uris(o), ["sip:second-suffix@example.net"])
        self.assertEqual(o["results"][0]["domain"], "0.2.0.0.5.5.5.1.e164.example.net.")
        # the first suffix answers: the second is never used
        rc, o = self.one("--suffix", "e164.arpa", "--suffix", "e164.example.net", "+15550001")
        self.assertTrue(all(r["domain"].endswith(".e164.arpa.") for r in o["results"]))

    def test_truncation_then_tcp(self):
        rc, o = self.one("+15559999")  # 100 NAPTRs, about 7 KiB
        self.assertEqual(len(o["results"]), 100)
        self.assertEqual(o["results"][0]["uri"], "sip:user000@big.example.com")
        self.assertEqual(o["results"][99]["uri"], "sip:user099@big.example.com")
        rc, o = self.one("+15559998")  # 540 NAPTRs, about 62 KiB
        self.assertEqual(len(o["results"]), 540)

    def test_batch_from_stdin(self):
        nums = ["+15550001", "+19999999999", "not a number", "+15550013"] * 50
        rc, objs, err = self.lookup(stdin="\n".join(nums) + "\n")
        self.assertEqual(len(objs), len(nums))
        self.assertEqual([o["input"] for o in objs], nums)  # input order is kept
        self.assertEqual(rc, 2)  # an invalid number
        self.assertEqual(objs[2]["status"], "invalid-number")
        self.assertEqual(objs[1]["status"], "not-found")

    def test_exit_status(self):
        self.assertEqual(self.lookup("+15550001")[0], 0)
        self.assertEqual(self.lookup("+15550001", "+19999999999")[0], 1)

    # --- the local store ----------------------------------------------------------------

    def test_db_answers_like_the_dns(self):
        """e2u lookup --db resolves in-process from the store exactly as over DNS (issue 4)."""
        nums = ["+1-215-555-0123", "+12025332600", "+432221234567890", "+441632960083",
                "+15550001", "+15550002", "+15550003", "+15550004", "+15550005", "+15550006",
                "+15550007", "+15550010", "+15550013", "+15550014", "+15550015", "+15559999",
                "+19999999999"]
        for extra in ([], ["--strict-order"], ["--service", "sip"]):
            p1 = subprocess.run([E2U, "lookup", "--json", "--server", self.server, *extra, *nums],
                                capture_output=True, text=True, timeout=120)
            p2 = subprocess.run([E2U, "lookup", "--json", "--db", self.db + "/store", *extra,
                                 *nums], capture_output=True, text=True, timeout=120)
            self.assertEqual(p1.returncode, p2.returncode, p2.stderr)
            a = [json.loads(x) for x in p1.stdout.splitlines()]
            b = [json.loads(x) for x in p2.stdout.splitlines()]
            self.assertEqual(len(a), len(nums))
            for x, y in zip(a, b):
                # a store keeps RRsets in canonical order, as Knot serves them: equal results
                self.assertEqual(x, y)

    # --- failures -------------------------------------------------------------------------

    def test_servfail(self):
        fake = daemons.FakeDNS(daemons.servfail)
        try:
            rc, o = self.one("+15550001", server=fake.server())
            self.assertEqual((rc, o["status"]), (3, "dns-error"))
            self.assertIn("SERVFAIL", o["error"])
            # a second server that answers
            p = subprocess.run([E2U, "lookup", "--json", "--server", fake.server(), "--server",
                                self.server, "+15550001"], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
        finally:
            fake.stop()

    def test_timeout(self):
        fake = daemons.FakeDNS(lambda q: None)
        try:
            t0 = time.time()
            rc, o = self.one("--timeout", "700", "+15550001", server=fake.server())
            self.assertEqual((rc, o["status"]), (3, "dns-error"))
            self.assertLess(time.time() - t0, 30)
        finally:
            fake.stop()

    # --- DNSSEC ---------------------------------------------------------------------------

    def ksk(self, zone_name):
        deadline = time.time() + 30
        while time.time() < deadline:
            out = daemons.kdig(self.knot.port, "+short", "DNSKEY", zone_name)
            keys = [ln for ln in out.splitlines() if ln.startswith("257 ")]
            if keys:
                return f"{zone_name} DNSKEY {keys[0]}"
            time.sleep(0.3)
        self.fail("no KSK for " + zone_name)

    def test_dnssec_secure(self):
        ta = self.ksk("sec.e164.example.")
        rc, o = self.one("--dnssec", "--trust-anchor", ta, "--suffix", "sec.e164.example", "+15550030")
        self.assertEqual((rc, o["status"]), (0, "ok"), o)
        self.assertEqual(o["dnssec"], "secure")
        self.assertEqual(self.uris(o), ["sip:secure@example.com"])

    def test_dnssec_bogus(self):
        ta = self.ksk("sec.e164.example.")
        # the signed zone as transferred, with the NAPTR changed under its signature
        axfr = daemons.kdig(self.knot.port, "+nocomments", "+noclass", "AXFR", "sec.e164.example.",
                            timeout=30)
        self.assertIn("RRSIG", axfr)
        forged = axfr.replace("sip:secure@example.com", "sip:forged@example.com")
        self.assertNotEqual(forged, axfr)
        body = "\n".join(ln for ln in forged.splitlines() if ln and not ln.startswith(";"))
        bad = daemons.Knot({"sec.e164.example.": body + "\n"})
        try:
            rc, o = self.one("--dnssec", "--trust-anchor", ta, "--suffix", "sec.e164.example",
                             "+15550030", server=bad.server())
            self.assertEqual((rc, o["status"]), (3, "bogus"), o)
            self.assertEqual(o["results"], [])
        finally:
            bad.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
