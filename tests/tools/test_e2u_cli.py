#!/usr/bin/python3
"""tests/tools/test_e2u_cli.py — the e2u command line: output, JSON shape, exit status.

Run by meson with the path of the e2u binary. The JSON field names and the exit codes are
DESIGN.md's ("e2u lookup output", "Exit status"); the expected URIs and fields are RFC 4769
§4.1's record taken apart by hand (number +12155550123, rn +12155550199, npdi).
"""
import json
import subprocess
import sys
import unittest

E2U = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tools/e2u"

RFC4769_41 = '10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+1-215-555-0123;npdi;rn=+1-215-555-0199!" .'


def run(*args, stdin=None):
    p = subprocess.run([E2U, *args], capture_output=True, text=True, input=stdin, timeout=60)
    return p.returncode, p.stdout, p.stderr


class Convert(unittest.TestCase):
    def test_domain(self):
        rc, out, _ = run("domain", "+1 (215) 555-0123", "+44-116-496-0348")
        self.assertEqual(rc, 0)
        self.assertEqual(out.split(), ["3.2.1.0.5.5.5.5.1.2.1.e164.arpa.",
                                       "8.4.3.0.6.9.4.6.1.1.4.4.e164.arpa."])

    def test_domain_suffixes_in_order(self):
        rc, out, _ = run("domain", "--suffix", "e164.example.net", "--suffix", "e164.arpa", "+12")
        self.assertEqual(rc, 0)
        self.assertEqual(out.split(), ["2.1.e164.example.net.", "2.1.e164.arpa."])

    def test_domain_bad_number_names_the_character(self):
        rc, out, err = run("domain", "+1 215 x55", "+12")
        self.assertEqual(rc, 2)
        self.assertIn("'x' at position 7", err)
        self.assertEqual(out.split(), ["2.1.e164.arpa."])  # the good one is still printed

    def test_number(self):
        rc, out, _ = run("number", "3.2.1.0.5.5.5.5.1.2.1.e164.arpa.")
        self.assertEqual((rc, out), (0, "+12155550123\n"))
        rc, _, err = run("number", "--suffix", "e164.arpa", "3.2.1.e164.org")
        self.assertEqual(rc, 2)
        self.assertIn("suffix", err)

    def test_usage(self):
        self.assertEqual(run()[0], 2)
        self.assertEqual(run("frobnicate")[0], 2)
        for cmd in ("domain", "number", "eval"):
            rc, out, _ = run(cmd, "--help")
            self.assertEqual(rc, 0)
            self.assertIn("Usage: e2u " + cmd, out)
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        self.assertIn("Exit status", out)


class Eval(unittest.TestCase):
    def test_json_shape_rfc4769(self):
        rc, out, _ = run("eval", "--json", "+1 215 555 0123", RFC4769_41)
        self.assertEqual(rc, 0)
        self.assertEqual(out.count("\n"), 1)  # one object, one line
        o = json.loads(out)
        self.assertEqual(o["input"], "+1 215 555 0123")
        self.assertEqual(o["aus"], "+12155550123")
        self.assertEqual(o["status"], "ok")
        self.assertEqual(o["dropped"], [])
        r, = o["results"]
        self.assertEqual(r["uri"], "tel:+1-215-555-0123;npdi;rn=+1-215-555-0199")
        self.assertEqual(r["enumservices"], ["pstn:tel"])
        self.assertEqual((r["order"], r["preference"]), (10, 100))
        self.assertEqual(r["domain"], "3.2.1.0.5.5.5.5.1.2.1.e164.arpa.")
        self.assertEqual(r["via"], [])
        self.assertEqual(r["tel"], {"number": "+12155550123", "rn": "+12155550199",
                                    "npdi": True, "cic": None})

    def test_no_tel_object_without_a_number(self):
        rc, out, _ = run("eval", "--json", "+12025332600",
                         '10 100 "u" "E2U+sip" "!^.*$!sip:jon.peterson@neustar.biz!" .')
        self.assertEqual(rc, 0)
        r, = json.loads(out)["results"]
        self.assertNotIn("tel", r)

    def test_no_records_exit_1(self):
        rc, out, _ = run("eval", "--json", "+12155550123",
                         '10 100 "u" "E2U+sip" "!^\\\\+44.*$!sip:a@example.com!" .')
        self.assertEqual(rc, 1)
        o = json.loads(out)
        self.assertEqual(o["status"], "no-records")
        self.assertEqual(o["dropped"][0]["reason"], "no-match")
        self.assertEqual(o["dropped"][0]["record"],
                         '10 100 "u" "E2U+sip" "!^\\\\+44.*$!sip:a@example.com!" .')

    def test_invalid_number_exit_2(self):
        rc, out, err = run("eval", "--json", "2155550123", RFC4769_41)
        self.assertEqual(rc, 2)
        self.assertEqual(json.loads(out)["status"], "invalid-number")
        self.assertIn("missing '+'", err)

    def test_bad_record_text_exit_2(self):
        rc, _, err = run("eval", "+12155550123", '10 100 "u" "E2U+sip" "!a!b!')
        self.assertEqual(rc, 2)
        self.assertIn("record 1", err)
        self.assertIn("unterminated", err)

    def test_filter_and_strict_order(self):
        recs = ['10 100 "u" "E2U+sip" "!^.*$!sip:a@example.com!" .',
                '20 100 "u" "E2U+pstn:tel" "!^.*$!tel:+12155550123;npdi!" .']
        rc, out, _ = run("eval", "--json", "--service", "pstn:tel", "+12155550123", *recs)
        self.assertEqual([r["uri"] for r in json.loads(out)["results"]],
                         ["tel:+12155550123;npdi"])
        rc, out, _ = run("eval", "--json", "--strict-order", "+12155550123", *recs)
        self.assertEqual([r["uri"] for r in json.loads(out)["results"]], ["sip:a@example.com"])
        rc, out, _ = run("eval", "--json", "+12155550123", *recs)
        self.assertEqual(len(json.loads(out)["results"]), 2)
        self.assertEqual(run("eval", "--service", "bad spec", "+1", recs[0])[0], 2)

    def test_route(self):
        recs = ['10 100 "u" "E2U+pstn:tel" "!^.*$!tel:+12155550123;npdi!" .',
                '20 100 "u" "E2U+sip" "!^.*$!sip:a@example.com!" .']
        rc, out, _ = run("eval", "--json", "--route", "+12155550123", *recs)
        o = json.loads(out)
        self.assertEqual([(x["uri"], x["class"]) for x in o["route"]],
                         [("sip:a@example.com", "on-net"), ("tel:+12155550123;npdi", "off-net")])
        rc, out, _ = run("eval", "--json", "--route-class", "pstn=pstn:tel", "+12155550123", *recs)
        self.assertEqual([x["class"] for x in json.loads(out)["route"]], ["pstn"])

    def test_non_terminal_not_followed(self):
        rc, out, _ = run("eval", "--json", "+12155550123", '10 100 "" "" "" next.example.')
        self.assertEqual(rc, 1)
        o = json.loads(out)
        self.assertEqual(o["dropped"][0]["reason"], "not-followed")

    def test_scheme_warning(self):
        rc, out, _ = run("eval", "--json", "+12155550123",
                         '10 100 "u" "E2U+sip" "!^.*$!http://example.com/!" .')
        r, = json.loads(out)["results"]
        self.assertIn("not defined for E2U+sip", r["warning"])

    def test_hostile_bytes_stay_valid_json(self):
        rc, out, _ = run("eval", "--json", "+1\u00e9\u00ff", RFC4769_41)
        self.assertEqual(rc, 2)
        self.assertEqual(json.loads(out)["input"], "+1\u00e9\u00ff")


if __name__ == "__main__":
    unittest.main(verbosity=1)
