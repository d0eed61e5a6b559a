#!/usr/bin/env python3
"""fuzz/make_corpus.py -- regenerate the seed corpora of the fuzz targets.

    python3 fuzz/make_corpus.py            # rewrites fuzz/corpus/{number,naptr_wire,...}/

The seeds are the real ENUM records of the specifications e2u implements (RFC 4769 §4.1-4.5,
RFC 3953, draft-peterson-enum-sip, draft-brandner-enum-uri, RFC 6116 §4; see
shared/specs/README.md for the exact records) and hostile cases for every parser: regexps that
backtrack or nest, Perl extensions, wrong delimiter counts, lengths that run past the end,
compressed names, labels over 63 octets, names over 255, the RFC 3597 generic form.

Wire seeds are binary, so they are generated here rather than written by hand. Only files this
script knows are rewritten; reproducers saved by hand (crash-*.bin) are left alone.

Input formats (see the design comment of each fuzz_*.c):
  number      text: a number, an ENUM domain or any domain name
  naptr_wire  one NAPTR RDATA
  naptr_text  the master-file RDATA text of one NAPTR
  subst       one octet choosing the subject (0..8: a fixed AUS, see fuzz_subst.c; >= 0x80: a
              generated digit string, one more octet for its digits), then the expression
  eval        up to 32 records, each a 2-octet big-endian length and that many RDATA octets
  update      one octet (bit 0 TCP, bit 1 signed by the harness with upd-key, bits 2-3 the
              client, see fuzz_update.c), then an RFC 2136 UPDATE message (made with dnspython)
  conf        the text of an e2ud configuration file

    python3 fuzz/make_corpus.py update conf   # rewrites only these corpora
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def name_wire(name):
    """Presentation name without escapes ("a.b." or ".") to wire form."""
    if isinstance(name, bytes):
        return name  # already wire
    if name in (".", ""):
        return b"\0"
    out = b""
    for label in name.rstrip(".").split("."):
        lb = label.encode()
        out += bytes([len(lb)]) + lb
    return out + b"\0"


def cstr(b):
    if isinstance(b, str):
        b = b.encode()
    assert len(b) <= 255
    return bytes([len(b)]) + b


def rdata(order, pref, flags, services, regexp, replacement="."):
    """regexp as it is on the wire (single backslashes)."""
    return (struct.pack(">HH", order, pref) + cstr(flags) + cstr(services) + cstr(regexp)
            + name_wire(replacement))


def text_cstr(b):
    """A quoted master-file character-string: '"' and '\\' escaped, unprintables as \\DDD."""
    if isinstance(b, str):
        b = b.encode()
    out = '"'
    for c in b:
        if c < 0x20 or c > 0x7E:
            out += "\\%03d" % c
        elif chr(c) in '"\\':
            out += "\\" + chr(c)
        else:
            out += chr(c)
    return out + '"'


def text(order, pref, flags, services, regexp, replacement="."):
    return "%d %d %s %s %s %s" % (order, pref, text_cstr(flags), text_cstr(services),
                                  text_cstr(regexp), replacement)


# --- the specification records (regexp fields as on the wire) ---------------------------------

SPEC = {
    # RFC 4769 §4, all at 3.2.1.0.5.5.5.5.1.2.1.e164.arpa. (+1-215-555-0123)
    "rfc4769-4.1-ported-tel": (10, 100, "u", "E2U+pstn:tel",
                               "!^.*$!tel:+1-215-555-0123;npdi;rn=+1-215-555-0199!"),
    "rfc4769-4.2-ported-sip": (10, 100, "u", "E2U+pstn:sip",
                               "!^.*$!sip:+1-215-555-0123;npdi;rn=+1-215-555-0199"
                               "@gw.example.com;user=phone!"),
    "rfc4769-4.3-not-ported-tel": (10, 100, "u", "E2U+pstn:tel",
                                   "!^.*$!tel:+1-215-555-0123;npdi!"),
    "rfc4769-4.4-not-ported-sip": (10, 100, "u", "E2U+pstn:sip",
                                   "!^.*$!sip:+1-215-555-0123;npdi@gw.example.com;user=phone!"),
    "rfc4769-4.5-regexp": (10, 100, "u", "E2U+pstn:tel", "!(^.*$)!tel:\\1;npdi!"),
    # RFC 3953 §5 (presence)
    "rfc3953-pres": (100, 10, "u", "E2U+pres", "!^.*$!pres:user@host.com!"),
    # draft-peterson-enum-sip
    "peterson-enum-sip": (10, 100, "u", "E2U+sip", "!^.*$!sip:jon.peterson@neustar.biz!"),
    # draft-mahy-enum-im-service (no record in the draft; the shape it registers)
    "mahy-enum-im": (10, 100, "u", "E2U+im", "!^.*$!im:user@example.com!"),
    # draft-brandner-enum-uri §3.2.2, flags field added (the draft omits it) ...
    "brandner-enum-uri-as-written": (10, 10, "u", "E2U+esx", "!^43222(.*)$!enum:+431\\1!"),
    # ... and with the '+' RFC 6116's AUS carries
    "brandner-enum-uri-6116": (10, 10, "u", "E2U+esx", "!^\\+43222(.*)$!enum:+431\\1!"),
    # RFC 6116 §4
    "rfc6116-4-sip": (100, 50, "u", "E2U+sip", "!^(\\+441632960083)$!sip:\\1@example.com!"),
    "rfc6116-4-h323": (100, 51, "u", "E2U+h323", "!^\\+441632960083$!h323:operator@example.com!"),
    "rfc6116-4-mailto": (100, 52, "u", "E2U+email:mailto", "!^.*$!mailto:info@example.com!"),
    # RFC 3761 §4.1 / RFC 2916 legacy service order (RFC 5483 §3)
    "rfc3761-4.1-sip": (10, 100, "u", "E2U+sip", "!^.*$!sip:info@example.com!"),
    "rfc2916-legacy-sip-e2u": (10, 100, "u", "sip+E2U", "!^.*$!sip:info@example.com!"),
    # RFC 5483 §2.4: the unescaped '+' mistake
    "rfc5483-2.4-unescaped-plus": (10, 100, "u", "E2U+sip", "!^+1215(.*)$!sip:\\1@example.net!"),
    "case-insensitive-flag": (10, 100, "U", "e2u+SIP", "!^.*$!sip:information@foo.se!i"),
}

NONTERMINAL = (100, 10, "", "E2U+sip", "", "1.2.1.e164.arpa.")

# Hostile or odd regexp fields, on the wire.
HOSTILE_REGEXPS = {
    "regexp-nested-star": "!(a*)*b!x!",
    "regexp-nested-plus": "!(x+x+)+y!z!",
    "regexp-stacked-intervals": "!x{10,}{10,}{10,}!y!",
    "regexp-100-nested-parens": "!" + "(" * 100 + "a" + ")" * 100 + "!\\1!",
    "regexp-backref-in-pattern": "!(a)\\1!x!",
    "regexp-perl-lookahead": "!(?=x)!y!",
    "regexp-perl-digit-class": "!\\d!x!",
    "regexp-two-delimiters": "!^.*$!sip:x@example.com",
    "regexp-four-delimiters": "!^.*$!sip:x@example.com!!",
    "regexp-unknown-flag": "!^.*$!sip:x@example.com!g",
    "regexp-backref-without-group": "!^.*$!sip:\\1@example.com!",
    "regexp-backslash-zero": "!^(.*)$!sip:\\0@example.com!",
    "regexp-digit-delimiter": "1^.*$1sip:x@example.com1",
    "regexp-backslash-delimiter": "\\^.*$\\sip:x@example.com\\",
    "regexp-i-delimiter": "i^.*$itel:+1i",
    "regexp-i-delimiter-with-i-flag": "i^.*$itel:+1ii",
    "regexp-exponential-alternation": "!(a|a)*(b|c)!x!",
    "regexp-exponential-plus": "!(x+x+)+(y|z)!x!",
    "regexp-limit-on-aus": "!^\\+(.|.|.)*(a|b)$!x!",
    "regexp-32-nested-parens": "!" + "(" * 32 + "1" + ")" * 32 + "!\\9!",
    "regexp-escaped-delimiter": "#^\\+1(.*)$#sip:\\1\\#x@example.com#",
    "regexp-pcre-verb": "!^(*ACCEPT)$!y!",
    "regexp-pcre-limit-verb": "!(*LIMIT_MATCH=1)^.*$!y!",
    "regexp-interval-256": "!x{256}!y!",
    "regexp-collating-element": "![[.a.]]!y!",
    "regexp-lazy": "!^.*?$!y!",
    "regexp-possessive": "!^.*+$!y!",
    "regexp-bracket-classes": "!^\\+[[:digit:]][^[:alpha:]]*[]x-]?$!sip:ok@example.com!",
    "regexp-long-expansion": "!^(.*)$!" + "\\1" * 120 + "!",
    "regexp-alternation": "!^\\+1(215|267)(555)(.*)$!sip:\\3@\\2.\\1.example.com!",
    "regexp-empty-ere": "!!sip:x@example.com!",
}


def write(kind, name, data):
    d = os.path.join(CORPUS, kind)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("latin-1")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- number -------------------------------------------------------------------------------------

def number():
    label64 = "a" * 64
    long_name = ".".join(["a" * 63] * 4) + "."  # 4*64+1 = 257 octets
    cases = {
        "rfc6116-aus.txt": "+12155550123",
        "rfc3966-visual-separators.txt": "+1 (215) 555-0123",
        "dotted.txt": "+1.215.555.0123",
        "tel-uri-npdi.txt": "tel:+1-215-555-0123;npdi",
        "tel-uri-rfc4694-rn.txt": "tel:+1-215-555-0123;npdi;rn=+1-215-555-0199",
        "tel-uri-pct-escape.txt": "TEL:+1-215-555-0123;x=%2B1",
        "tel-uri-bad-pct-escape.txt": "tel:+1-215-555-0123;x=%2",
        "tel-uri-empty-param.txt": "tel:+12155550123;;npdi",
        "tel-uri-space-inside.txt": "tel:+1 215 555 0123",
        "enum-uri.txt": "enum:+432221234567890;x=y",
        "sip-uri-refused.txt": "sip:+12155550123@example.com",
        "no-plus.txt": "215 555 0123",
        "country-code-zero.txt": "+0123456",
        "sixteen-digits.txt": "+1234567890123456",
        "sixty-three-digits.txt": "+" + "9" * 63,
        "sixty-four-digits.txt": "+" + "9" * 64,
        "white-space-around.txt": " \t+44 1632 960083\r\n",
        "params-in-bare-form.txt": "+12155550123;npdi",
        "plus-only.txt": "+",
        "high-octets.txt": "+1\xff\x80215",
        "domain-rfc4769.txt": "3.2.1.0.5.5.5.5.1.2.1.e164.arpa.",
        "domain-no-trailing-dot.txt": "3.2.1.0.5.5.5.5.1.2.1.e164.arpa",
        "domain-upper-case.txt": "3.2.1.0.5.5.5.5.1.2.1.E164.ARPA.",
        "domain-brandner-enum-uri.txt": "0.9.8.7.6.5.4.3.2.1.2.2.2.3.4.e164.arpa.",
        "domain-brandner-typo-ea64.txt": "9.0.1.2.3.4.5.6.7.8.2.2.2.3.4.ea64.arpa.",
        "domain-letter-label.txt": "3.2.x.1.e164.arpa.",
        "domain-two-digit-label.txt": "3.21.0.5.5.5.5.1.2.1.e164.arpa.",
        "domain-other-suffix.txt": "3.2.1.0.5.5.5.5.1.2.1.e164.example.com.",
        "domain-digits-only.txt": "3.2.1.",
        "domain-63-labels.txt": ".".join(["7"] * 63) + ".e164.arpa.",
        "domain-64-labels.txt": ".".join(["7"] * 64) + ".e164.arpa.",
        "domain-leading-zero-cc.txt": "1.2.3.0.e164.arpa.",
        "dname-escapes.txt": "a\\.b.\\065\\066\\255.c\\\\d.",
        "dname-escape-over-255.txt": "\\256.example.",
        "dname-escape-short.txt": "\\25.example.",
        "dname-backslash-at-end.txt": "example\\",
        "dname-at.txt": "@",
        "dname-root.txt": ".",
        "dname-empty-label.txt": "a..b.",
        "dname-leading-dot.txt": ".a.",
        "dname-label-64.txt": label64 + ".example.",
        "dname-label-63.txt": "a" * 63 + ".example.",
        "dname-over-255.txt": long_name,
        "dname-255.txt": ".".join(["a" * 63] * 3) + "." + "a" * 61 + ".",
        "dname-specials-escaped.txt": "\\@\\$\\(\\)\\;\\\"\\ .x.",
        "dname-space-unescaped.txt": "a b.",
        "dname-relative.txt": "www.example",
    }
    for n, c in cases.items():
        write("number", n, c)


# --- naptr_wire ---------------------------------------------------------------------------------

def naptr_wire():
    for n, r in SPEC.items():
        write("naptr_wire", n + ".bin", rdata(*r))
    write("naptr_wire", "nonterminal-rfc6116.bin", rdata(*NONTERMINAL))
    write("naptr_wire", "both-regexp-and-replacement.bin",
          rdata(10, 100, "u", "E2U+sip", "!^.*$!sip:a@example.com!", "example.com."))
    write("naptr_wire", "sip-d2u-not-enum.bin", rdata(10, 100, "s", "SIP+D2U", "", "_sip._udp.example.com."))
    good = rdata(*SPEC["rfc4769-4.1-ported-tel"])
    write("naptr_wire", "empty.bin", b"")
    write("naptr_wire", "order-only.bin", b"\x00\x0a")
    write("naptr_wire", "no-replacement.bin", good[:-1])
    write("naptr_wire", "truncated-in-regexp.bin", good[:30])
    write("naptr_wire", "flags-length-past-end.bin", b"\x00\x0a\x00\x64\xff" + b"u" * 10)
    write("naptr_wire", "regexp-length-past-end.bin",
          b"\x00\x0a\x00\x64\x01u\x07E2U+sip\xc8!^.*$!x!\x00")
    write("naptr_wire", "trailing-octets.bin", good + b"\x00\x00")
    write("naptr_wire", "compressed-replacement.bin",
          rdata(10, 100, "", "E2U+sip", "", b"\xc0\x0c"))
    write("naptr_wire", "compressed-after-label.bin",
          rdata(10, 100, "", "E2U+sip", "", b"\x03www\xc0\x0c"))
    write("naptr_wire", "extended-label-type.bin", rdata(10, 100, "", "E2U+sip", "", b"\x41" + b"a" * 1 + b"\x00"))
    write("naptr_wire", "label-64.bin", rdata(10, 100, "", "E2U+sip", "", b"\x40" + b"a" * 64 + b"\x00"))
    write("naptr_wire", "name-over-255.bin",
          rdata(10, 100, "", "E2U+sip", "", (b"\x3f" + b"a" * 63) * 4 + b"\x00"))
    write("naptr_wire", "name-255.bin",
          rdata(10, 100, "", "E2U+sip", "", (b"\x3f" + b"a" * 63) * 3 + b"\x3d" + b"b" * 61 + b"\x00"))
    # Every field at its maximum, full of octets that need \DDD or '\' in text.
    allbytes = bytes(range(256))
    binname = b"".join(bytes([63]) + allbytes[i:i + 63] for i in (0, 63, 126)) + b"\x3d" + allbytes[189:250] + b"\x00"
    write("naptr_wire", "max-size-binary.bin",
          struct.pack(">HH", 65535, 65535) + cstr(allbytes[:255]) + cstr(allbytes[1:256])
          + cstr(b'"\\' * 127 + b"!") + binname)
    write("naptr_wire", "quotes-and-backslashes.bin",
          rdata(0, 0, '"', '\\', '!\\"!\\\\!', b"\x03a.b\x02\\\"\x00"))
    write("naptr_wire", "all-empty.bin", b"\x00\x00\x00\x00\x00\x00\x00\x00")
    for n in ("regexp-nested-star", "regexp-100-nested-parens", "regexp-backref-in-pattern"):
        write("naptr_wire", n + ".bin", rdata(10, 100, "u", "E2U+sip", HOSTILE_REGEXPS[n]))


# --- naptr_text ---------------------------------------------------------------------------------

def naptr_text():
    for n, r in SPEC.items():
        write("naptr_text", n + ".txt", text(*r))
    write("naptr_text", "brandner-enum-uri-no-flags-as-in-draft.txt",
          '10 10 "E2U+esx"  "!^43222(.*)$!enum:+431\\\\1!" .')
    write("naptr_text", "nonterminal-rfc6116.txt", text(*NONTERMINAL))
    write("naptr_text", "relative-replacement.txt", '100 10 "" "E2U+sip" "" next')
    write("naptr_text", "at-replacement.txt", '100 10 "" "E2U+sip" "" @')
    write("naptr_text", "unquoted-strings.txt", "10 100 u E2U+sip !^.*$!sip:x@example.com! .")
    write("naptr_text", "parens-and-comments.txt",
          '( 10 100 ; order, preference\n  "u" "E2U+sip" ; services\n'
          '  "!^.*$!sip:info@example.com!" . ) ; end\n')
    write("naptr_text", "unbalanced-open-paren.txt", '( 10 100 "u" "E2U+sip" "!^.*$!sip:x@y!" .')
    write("naptr_text", "unbalanced-close-paren.txt", '10 100 "u" "E2U+sip" "!^.*$!sip:x@y!" . )')
    write("naptr_text", "generic-rfc3597.txt",
          "\\# " + str(len(rdata(*SPEC["rfc3953-pres"]))) + " "
          + rdata(*SPEC["rfc3953-pres"]).hex())
    write("naptr_text", "generic-split-hex.txt", "\\# 8 ( 000a 0064\n 00 00 00 00 )")
    write("naptr_text", "generic-length-too-big.txt", "\\# 2000 00")
    write("naptr_text", "generic-length-mismatch.txt", "\\# 9 000a006400000000")
    write("naptr_text", "generic-odd-hex.txt", "\\# 8 000a00640000000")
    write("naptr_text", "generic-not-hex.txt", "\\# 8 000a0064000000zz")
    write("naptr_text", "generic-not-naptr.txt", "\\# 4 000a0064")
    write("naptr_text", "generic-zero.txt", "\\# 0")
    write("naptr_text", "escapes-ddd.txt", '10 100 "\\117" "E2U\\043sip" "!^.*$!sip:\\255\\000@x!" .')
    write("naptr_text", "escape-over-255.txt", '10 100 "\\256" "E2U+sip" "!^.*$!x!" .')
    write("naptr_text", "escape-short.txt", '10 100 "\\25" "E2U+sip" "!^.*$!x!" .')
    write("naptr_text", "backslash-at-end.txt", '10 100 "u" "E2U+sip" "!^.*$!x!" .\\')
    write("naptr_text", "order-over-65535.txt", '65536 100 "u" "E2U+sip" "!^.*$!x!" .')
    write("naptr_text", "order-negative.txt", '-1 100 "u" "E2U+sip" "!^.*$!x!" .')
    write("naptr_text", "string-over-255.txt", '10 100 "u" "E2U+sip" "' + "a" * 256 + '" .')
    write("naptr_text", "unterminated-quote.txt", '10 100 "u" "E2U+sip" "!^.*$!x! .')
    write("naptr_text", "trailing-garbage.txt", '10 100 "u" "E2U+sip" "!^.*$!x!" . extra')
    write("naptr_text", "missing-replacement.txt", '10 100 "u" "E2U+sip" "!^.*$!x!"')
    write("naptr_text", "replacement-label-64.txt", '10 100 "" "E2U+sip" "" ' + "a" * 64 + ".")
    write("naptr_text", "replacement-relative-over-255.txt",
          '10 100 "" "E2U+sip" "" ' + ".".join(["a" * 63] * 3) + "." + "a" * 40)
    write("naptr_text", "replacement-escaped.txt", '10 100 "" "E2U+sip" "" a\\.b.\\(c\\).\\032.')
    write("naptr_text", "replacement-compression-like.txt", '10 100 "" "E2U+sip" "" \\192\\012')
    for n in ("regexp-nested-star", "regexp-nested-plus", "regexp-stacked-intervals",
              "regexp-100-nested-parens", "regexp-backref-in-pattern", "regexp-perl-lookahead",
              "regexp-perl-digit-class", "regexp-two-delimiters"):
        write("naptr_text", n + ".txt", text(10, 100, "u", "E2U+sip", HOSTILE_REGEXPS[n]))


# --- subst --------------------------------------------------------------------------------------

# Subject selectors of fuzz_subst.c
S_1215, S_44, S_43, S_49, S_1, S_15, S_43_NOPLUS, S_AAA, S_XXX = range(9)


def subst():
    def w(name, subject, expr):
        if isinstance(expr, str):
            expr = expr.encode("latin-1")
        if isinstance(subject, int):
            subject = bytes([subject])
        write("subst", name, subject + expr)

    for n, r in SPEC.items():
        subj = S_1215
        if "6116" in n or "rfc3761" in n:
            subj = S_44
        if "brandner" in n:
            subj = S_43_NOPLUS if "as-written" in n else S_43
        w(n + ".bin", subj, r[4])
    w("brandner-as-written-on-aus.bin", S_43, SPEC["brandner-enum-uri-as-written"][4])
    for n, e in HOSTILE_REGEXPS.items():
        subj = S_1215
        if "star" in n or "exponential-alternation" in n:
            subj = S_AAA
        if "plus" in n or "interval" in n:
            subj = S_XXX
        w(n + ".bin", subj, e)
    # generated subjects: 63 digits with '+', 40 digits without
    w("generated-63-digits-long-expansion.bin", b"\xbe\x03", HOSTILE_REGEXPS["regexp-long-expansion"])
    w("generated-40-digits-no-plus.bin", b"\xa7\x04", "!^([0-9]{10})([0-9]*)$!tel:+\\1;ext=\\2!")
    w("generated-1-digit.bin", b"\xbf\x05", "/^\\+?(.)$/sip:\\1@example.com/i")
    w("nul-in-ere.bin", S_1215, b"!^\\+1\x00*$!x!")
    w("high-octet-delimiter.bin", S_1215, b"\xff^.*$\xffsip:x@example.com\xff")
    w("unknown-replacement-escape.bin", S_1215, "!^.*$!sip:\\n@example.com!")
    w("bracket-backslash.bin", S_1215, "!^[\\]+1.*$!x!")
    w("dollar-star.bin", S_1215, "!^.*$*!x!")
    w("unmatched-close-paren.bin", S_1215, "!^a)$!paren!")
    w("optional-group-unset.bin", S_1215, "!^(x)?(\\+1)(.*)$![\\1][\\2][\\3]!")


# --- eval ---------------------------------------------------------------------------------------

def rrset(*records):
    out = b""
    for r in records:
        out += struct.pack(">H", len(r)) + r
    return out


def eval_corpus():
    R = {n: rdata(*r) for n, r in SPEC.items()}
    for n in ("rfc4769-4.1-ported-tel", "rfc4769-4.2-ported-sip", "rfc4769-4.3-not-ported-tel",
              "rfc4769-4.4-not-ported-sip", "rfc4769-4.5-regexp", "rfc3953-pres",
              "peterson-enum-sip", "brandner-enum-uri-6116"):
        write("eval", n + ".bin", rrset(R[n]))
    write("eval", "rfc6116-4-three-records.bin",
          rrset(R["rfc6116-4-mailto"], R["rfc6116-4-sip"], R["rfc6116-4-h323"]))
    write("eval", "rfc4769-all-five.bin",
          rrset(*(R[n] for n in R if n.startswith("rfc4769"))))
    write("eval", "every-spec-record.bin", rrset(*R.values()))
    write("eval", "strict-order-mixed.bin",
          rrset(rdata(20, 10, "u", "E2U+pstn:tel", "!^.*$!tel:+12155550123;npdi!"),
                rdata(10, 100, "u", "E2U+sip", "!^.*$!sip:b@example.com!"),
                rdata(10, 100, "u", "E2U+sip", "!^.*$!sip:a@example.com!"),
                rdata(10, 50, "u", "E2U+sip", "!^\\+44.*$!sip:uk@example.com!")))
    write("eval", "nonterminal-and-terminal.bin",
          rrset(rdata(*NONTERMINAL), R["peterson-enum-sip"],
                rdata(5, 5, "", "E2U+sip", "", ".")))
    write("eval", "private-enumservices.bin",
          rrset(rdata(10, 10, "u", "E2U+P-foo", "!^.*$!sip:p@example.com!"),
                rdata(10, 20, "u", "E2U+P-foo+sip", "!^.*$!sip:q@example.com!")))
    write("eval", "unsupported-flags.bin",
          rrset(rdata(10, 10, "s", "E2U+sip", "!^.*$!sip:s@example.com!"),
                rdata(10, 10, "uu", "E2U+sip", "!^.*$!sip:s@example.com!"),
                rdata(10, 10, "a", "E2U+sip", "", "x.example.")))
    write("eval", "not-e2u-and-both-fields.bin",
          rrset(rdata(10, 100, "u", "SIP+D2U", "!^.*$!sip:x@example.com!"),
                rdata(10, 100, "u", "E2U+sip", "!^.*$!sip:a@example.com!", "example.com."),
                rdata(10, 100, "u", "E2U+sip", "", ".")))
    write("eval", "malformed-records.bin",
          rrset(b"", b"\x00\x0a", rdata(10, 100, "", "E2U+sip", "", b"\xc0\x0c"),
                R["peterson-enum-sip"] + b"\x00"))
    write("eval", "bad-uris.bin",
          rrset(rdata(10, 10, "u", "E2U+sip", "!^.*$!not a uri!"),
                rdata(10, 11, "u", "E2U+sip", "!^.*$!sip:!"),
                rdata(10, 12, "u", "E2U+pstn:tel", "!^.*$!tel:12a;rn=!"),
                rdata(10, 13, "u", "E2U+sip", "!^.*$!sip:%zz@example.com!")))
    write("eval", "hostile-regexps.bin",
          rrset(*(rdata(10, i, "u", "E2U+sip", e) for i, e in enumerate(HOSTILE_REGEXPS.values())
                  if len(e) <= 255)))
    write("eval", "thirty-two-records.bin",
          rrset(*(rdata(i % 3, 31 - i, "u" if i % 2 else "", "E2U+sip",
                        "!^.*$!sip:%d@example.com!" % i if i % 2 else "",
                        "." if i % 2 else "n%d.example." % i) for i in range(32))))
    write("eval", "length-past-end.bin", struct.pack(">H", 500) + R["peterson-enum-sip"])
    write("eval", "many-services.bin",
          rrset(rdata(10, 10, "u", "E2U" + "+sip" * 17, "!^.*$!sip:x@example.com!"),
                rdata(10, 11, "u", "E2U+sip:a:b:c+pres+im", "!^.*$!sip:y@example.com!"),
                rdata(10, 12, "u", "E2U+" + "s" * 33, "!^.*$!sip:z@example.com!")))
    write("eval", "enum-uri-and-schemes.bin",
          rrset(rdata(10, 10, "u", "E2U+sip", "!^.*$!enum:+4311234567890!"),
                rdata(10, 11, "u", "E2U+pres", "!^.*$!sip:x@example.com!"),
                rdata(10, 12, "u", "E2U+unknown", "!^.*$!http://example.com/!")))
    uris = ["tel:+1-215-555-0123;npdi;rn=+1-215-555-0199;cic=+1-5551234",
            "tel:5550123;phone-context=+1-215;rn=5550199;rn-context=+1",
            "tel:%2B12155550123", "tel:+1-215-555-0123;ext=42;isub=x%20y",
            "sips:+12155550123;user=phone@[2001:db8::1]:5061;transport=tls",
            "sip:alice:secret@example.com:5060;lr?subject=hi&priority=urgent",
            "pres:alice@example.com?x=y", "im:alice@example.com", "enum:+4311234567890;x=y",
            "http://user@[v7.abc]:80/a/b?c#d", "mailto:a%40b@example.com", "h323:operator@example.com"]
    write("eval", "uri-shapes.bin",
          rrset(*(rdata(10, i, "u", "E2U+sip", "!^.*$!" + u + "!") for i, u in enumerate(uris))))
    # 32 results of ~980 octets: more than one 16 KiB arena chunk of the evaluator
    big = "!^(.*)$!sip:" + "\\1" * 80 + "@example.com!"
    binname = b"".join(bytes([63]) + bytes(range(i, i + 63)) for i in (0, 63, 126)) + b"\x3d" + bytes(range(189, 250)) + b"\x00"
    write("eval", "arena-several-chunks.bin",
          rrset(*(rdata(10, i, "u", "E2U+sip", big) if i % 4 else rdata(5, i, "", "E2U+sip", "", binname)
                  for i in range(32))))
    write("eval", "empty-set.bin", b"")


# --- update -------------------------------------------------------------------------------------
#
# The zones of fuzz_update.c: 1.e164.arpa. (numbers +12155550123 with two NAPTRs, +12155550124
# with a NAPTR and a TXT, +12155550125 a CNAME, www with A and AAAA, a delegation 9.9.9, an
# ordinary wildcard name *.8.8.8 with a NAPTR, blocks +1777555XXXX, +1555444* and +1555444XXXX,
# +1333* with two NAPTRs), 6.1.e164.arpa. (a more specific zone), 2.e164.arpa. (a secondary).

UPD_UDP, UPD_TCP, UPD_SIGNED = 0, 1, 2
UPD_OUTSIDER, UPD_V6 = 2 << 2, 3 << 2


def update_corpus():
    import dns.edns
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.update

    origin = "1.e164.arpa."
    ids = iter(range(0x1000, 0x2000))

    def num(digits):  # digits after the country code 1
        return ".".join(reversed(digits)) + "." + origin

    N123, N124, N125, NEW = num("2155550123"), num("2155550124"), num("2155550125"), num("2155550126")
    BLK_FIXED = "*.5.5.5.7.7.7." + origin     # +1777555XXXX
    BLK_TWO = "*.4.4.4.5.5.5." + origin       # +1555444* and +1555444XXXX
    BLK_ANY = "*.3.3.3." + origin             # +1333*, two records
    BLK_NEW = "*.2.2.2." + origin             # no block there yet
    WILD = "*.8.8.8." + origin                # an ordinary name holding a NAPTR
    SOA = "ns1.example. hostmaster.example. %d 7200 3600 1209600 300"

    def naptr(uri, order=10, pref=100, service="E2U+sip"):
        return '%d %d "u" "%s" "!^.*$!%s!" .' % (order, pref, service, uri)

    N123_A = naptr("tel:+12155550123;npdi;rn=+12155550199", service="E2U+pstn:tel")
    N123_B = naptr("sip:a@example.com", order=20)
    BLK_ANY_1 = naptr("sip:b1@example.com")
    BLK_ANY_2 = naptr("sip:b2@example.com", order=20)
    BLK_FIXED_1 = naptr("tel:+17775550000;npdi", service="E2U+pstn:tel")

    def rd(rdtype, text):
        return dns.rdata.from_text(dns.rdataclass.IN, rdtype, text)

    def generic(rdtype, data, rdclass=dns.rdataclass.IN):
        return dns.rdata.GenericRdata(rdclass, dns.rdatatype.from_text(rdtype)
                                      if isinstance(rdtype, str) else rdtype, data)

    def raw(u, section, name, rdclass, rdtype, ttl=0, rdata=None):
        """An RR as given, for what dnspython's helpers will not write (bad TTLs, classes)."""
        rdtype = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) else rdtype
        rs = u.find_rrset(section, dns.name.from_text(name), rdclass, rdtype, create=True,
                          force_unique=True)
        if rdata is None:
            rdata = generic(rdtype, b"", rdclass)
        rs.add(rdata, ttl)

    def msg(zone=origin):
        u = dns.update.UpdateMessage(zone)
        u.id = next(ids)
        return u

    def w(name, u, flags=UPD_UDP):
        write("update", name + ".bin", bytes([flags]) + u.to_wire())

    # --- additions (RFC 2136 §2.5.1)
    u = msg(); u.add(NEW, 3600, "NAPTR", naptr("sip:new@example.com")); w("add-naptr-new-number", u)
    for fl, n in ((UPD_TCP, "tcp"), (UPD_SIGNED, "signed"), (UPD_OUTSIDER, "outsider"),
                  (UPD_OUTSIDER | UPD_SIGNED, "outsider-signed"), (UPD_V6, "v6-no-rule"),
                  (UPD_TCP | UPD_SIGNED | UPD_V6, "v6-tcp-signed")):
        w("add-naptr-new-number-" + n, u, fl)
    u = msg(); u.add(N123, 3600, "NAPTR", naptr("sip:c@example.com", order=30)); w("add-naptr-third", u)
    u = msg(); u.add(N123, 3600, "NAPTR", N123_B); w("add-existing-record-no-change", u)
    u = msg(); u.add(N123, 600, "NAPTR", N123_B); w("add-existing-record-new-ttl", u)
    u = msg(); u.add(NEW, 3600, "TXT", '"a note"'); w("add-txt-new-number", u)
    u = msg()
    u.add(NEW, 3600, "NAPTR", naptr("sip:n1@example.com"), naptr("sip:n2@example.com", order=20))
    u.add(NEW, 3600, "TXT", '"and text"')
    w("add-naptr-and-txt-same-name", u)
    u = msg(); u.add(N123, 3600, "CNAME", "www." + origin); w("add-cname-beside-naptr-ignored", u)
    u = msg(); u.add(N125, 3600, "NAPTR", naptr("sip:x@example.com")); w("add-naptr-at-cname-ignored", u)
    u = msg(); u.add(N125, 3600, "CNAME", N124); w("add-cname-replaces-cname", u)
    u = msg(); u.add("alias." + origin, 3600, "CNAME", N123); w("add-cname-new-name", u)
    u = msg()
    u.add("two." + origin, 3600, "CNAME", N123)
    u.add("two." + origin, 3600, "TXT", '"after the cname"')
    w("add-cname-then-txt-same-request", u)
    u = msg(); u.add("www." + origin, 300, "A", "192.0.2.11"); w("add-a-www", u)
    u = msg(); u.add("www." + origin, 300, "AAAA", "2001:db8::11"); w("add-aaaa-www", u)
    u = msg(); u.add(origin, 3600, "SOA", SOA % 100); w("add-soa-newer-serial", u)
    u = msg(); u.add(origin, 3600, "SOA", SOA % 0); w("add-soa-older-serial-ignored", u)
    u = msg(); u.add(origin, 3600, "SOA", SOA % 0x80000000); w("add-soa-serial-half-way", u)
    u = msg(); u.add(N123, 3600, "SOA", SOA % 200); w("add-soa-not-apex-ignored", u)
    u = msg(); u.add(origin, 3600, "NS", "ns3.example."); w("add-ns-apex", u)
    u = msg(); u.add("sub." + origin, 3600, "NS", "ns.sub." + origin)
    u.add("ns.sub." + origin, 3600, "A", "192.0.2.53"); w("add-delegation-and-glue", u)
    u = msg(); u.add("ns.9.9.9." + origin, 3600, "A", "192.0.2.2"); w("add-glue-existing-cut", u)
    u = msg(); u.add("x.9.9.9." + origin, 3600, "TXT", '"below a cut"'); w("add-below-cut", u)
    u = msg(); u.add(BLK_FIXED, 3600, "NAPTR", naptr("sip:blk@example.com")); w("add-naptr-block-fixed", u)
    u = msg(); u.add(BLK_TWO, 3600, "NAPTR", naptr("sip:two@example.com")); w("add-naptr-block-two-lengths", u)
    u = msg(); u.add(BLK_ANY, 3600, "NAPTR", BLK_ANY_1); w("add-naptr-block-existing-record", u)
    u = msg(); u.add(BLK_NEW, 3600, "NAPTR", naptr("sip:newblk@example.com")); w("add-naptr-new-block", u)
    u = msg(); u.add("*.2.2." + origin, 3600, "NAPTR", naptr("sip:short@example.com"))
    u.add("*." + origin, 3600, "NAPTR", naptr("sip:all@example.com")); w("add-naptr-block-whole-zone", u)
    u = msg(); u.add(BLK_NEW, 3600, "TXT", '"a wildcard name, not a block"'); w("add-txt-at-block-name", u)
    u = msg(); u.add(WILD, 3600, "NAPTR", naptr("sip:w2@example.com")); w("add-naptr-ordinary-wildcard", u)
    u = msg(); u.add(BLK_FIXED, 3600, "CNAME", N123); w("add-cname-at-block-name", u)
    u = msg(); u.add("dn." + origin, 3600, "DNAME", "example.com."); w("add-dname-refused", u)
    u = msg(); u.add(NEW, 3600, generic("NAPTR", b"\x00\x0a\x00\x64\x01u")); w("add-naptr-malformed", u)
    u = msg(); u.add(NEW, 3600, generic("NAPTR", b"\x00\x0a\x00\x64\x01u\x07E2U+sip\x05!a!b!\x00"))
    w("add-naptr-bad-regexp", u)
    u = msg(); u.add(NEW, 0, "NAPTR", naptr("sip:ttl0@example.com")); w("add-ttl-zero", u)
    u = msg(); u.add(NEW, 3600, generic(65280, b"\x01\x02\x03")); w("add-unknown-type", u)
    u = msg(); u.add(NEW, 3600, generic("TXT", b"")); w("add-empty-rdata", u)
    u = msg(); raw(u, u.update, NEW, dns.rdataclass.IN, "ANY", 3600); w("add-meta-type-formerr", u)
    u = msg(); raw(u, u.update, NEW, dns.rdataclass.IN, "OPT", 3600); w("add-opt-type-formerr", u)
    u = msg(); raw(u, u.update, NEW, dns.rdataclass.CH, "TXT", 3600,
                   generic("TXT", b"\x02ch", dns.rdataclass.CH)); w("add-class-ch-formerr", u)
    u = msg(); u.add("3.2.1.0.5.5.5.5.1.2.2.e164.arpa.", 3600, "NAPTR", naptr("sip:o@example.com"))
    w("add-outside-zone-notzone", u)
    u = msg(); u.add("1.6.1.e164.arpa.", 3600, "NAPTR", naptr("sip:o@example.com"))
    w("add-in-child-zone-notzone", u)
    u = msg(); u.add("3.2.1.0.5.5.5.5.1.2." + origin.upper(), 3600, "NAPTR", naptr("sip:u@example.com"))
    w("add-upper-case-owner", u)

    # --- deletions (§2.5.2 - §2.5.4)
    u = msg(); u.delete(N123, "NAPTR"); w("delete-rrset-naptr", u)
    u = msg(); u.delete(N124, "TXT"); w("delete-rrset-txt-beside-naptr", u)
    u = msg(); u.delete(N124); w("delete-name-number", u)
    u = msg(); u.delete("x." + N124); w("delete-name-below-number", u)
    u = msg(); u.delete(N123, rd("NAPTR", N123_A)); w("delete-rr-naptr", u)
    u = msg(); u.delete(N123, rd("NAPTR", N123_A), rd("NAPTR", N123_B)); w("delete-rr-both-naptrs", u)
    u = msg(); u.delete(N123, rd("NAPTR", naptr("sip:absent@example.com"))); w("delete-rr-absent", u)
    u = msg(); u.delete(N125); w("delete-name-cname", u)
    u = msg(); u.delete(NEW); w("delete-name-absent", u)
    u = msg(); u.delete("www." + origin, rd("A", "192.0.2.10")); w("delete-rr-a", u)
    u = msg(); u.delete(origin, "SOA"); w("delete-apex-soa-rrset-ignored", u)
    u = msg(); u.delete(origin, "NS"); w("delete-apex-ns-rrset-ignored", u)
    u = msg(); u.delete(origin); w("delete-apex-name-keeps-soa-ns", u)
    u = msg(); u.delete(origin, rd("SOA", SOA % 1)); w("delete-apex-soa-rr-ignored", u)
    u = msg(); u.delete(origin, rd("NS", "ns1.example.")); w("delete-apex-ns-rr-one-of-two", u)
    u = msg(); u.delete(origin, rd("NS", "ns1.example."), rd("NS", "ns2.example."))
    w("delete-apex-ns-rr-last-kept", u)
    u = msg(); u.delete("9.9.9." + origin); u.delete("ns.9.9.9." + origin); w("delete-delegation", u)
    u = msg(); u.delete(BLK_FIXED, "NAPTR"); w("delete-rrset-block-fixed", u)
    u = msg(); u.delete(BLK_TWO); w("delete-name-block-two-lengths", u)
    u = msg(); u.delete(BLK_ANY, rd("NAPTR", BLK_ANY_1)); w("delete-rr-block", u)
    u = msg(); u.delete(BLK_ANY, rd("NAPTR", BLK_ANY_1), rd("NAPTR", BLK_ANY_2)); w("delete-rr-block-last", u)
    u = msg(); u.delete(BLK_NEW, "NAPTR"); w("delete-rrset-block-absent", u)
    u = msg(); u.delete(WILD); w("delete-name-ordinary-wildcard", u)
    u = msg(); u.delete(WILD, "NAPTR"); u.add(WILD, 60, "NAPTR", naptr("sip:w3@example.com"))
    w("delete-and-add-ordinary-wildcard", u)
    u = msg()
    u.delete(BLK_FIXED, rd("NAPTR", BLK_FIXED_1))
    u.add(BLK_FIXED, 3600, "NAPTR", naptr("sip:rebound@example.com"))
    w("delete-last-and-add-block-bound", u)
    u = msg(); u.delete(BLK_TWO, "NAPTR"); u.add(BLK_TWO, 60, "NAPTR", naptr("sip:t@example.com"))
    w("delete-and-add-block-two-lengths", u)
    u = msg(); raw(u, u.update, N123, dns.rdataclass.ANY, "NAPTR", ttl=5); w("delete-ttl-nonzero-formerr", u)
    u = msg(); raw(u, u.update, N123, dns.rdataclass.ANY, "NAPTR", rdata=generic("NAPTR", b"\x00", dns.rdataclass.ANY))
    w("delete-rrset-with-rdata-formerr", u)
    u = msg(); raw(u, u.update, N123, dns.rdataclass.NONE, "ANY"); w("delete-rr-type-any-formerr", u)
    u = msg(); raw(u, u.update, N123, dns.rdataclass.ANY, "AXFR"); w("delete-meta-type-formerr", u)

    # --- everything at once
    u = msg()
    u.add(NEW, 3600, "NAPTR", naptr("sip:m1@example.com"))
    u.delete(N123, rd("NAPTR", N123_A))
    u.add(N123, 3600, "NAPTR", naptr("sip:m2@example.com"))
    u.delete(N124, "TXT")
    u.add(BLK_ANY, 600, "NAPTR", naptr("sip:b3@example.com", order=30))
    u.delete(BLK_FIXED)
    u.add(origin, 3600, "SOA", SOA % 50)
    u.add(origin, 3600, "TXT", '"changed"')
    u.delete(NEW, rd("NAPTR", naptr("sip:m1@example.com")))
    w("mixed-many", u, UPD_TCP | UPD_SIGNED)
    u = msg()
    for i in range(70):  # more distinct blocks than one request may change (UPD_BLOCKS_MAX)
        u.add("*.%d.%d.4.4." % (i % 10, i // 10) + origin, 60, "NAPTR", naptr("sip:%d@example.com" % i))
    w("many-blocks", u, UPD_TCP)

    # fuzz_update found: a NAPTR added at a new "*.P" before a record of another type there went
    # to a block the new name then hid; the same request sent again changed the zone again
    u = msg()
    u.add("*.8.1.4.4." + origin, 60, "NAPTR", naptr("sip:18@example.com"))
    u.add("*.8.1.4.4." + origin, 60, "TXT", '"makes it a name"')
    w("regress-wildcard-naptr-then-other-type", u, UPD_TCP)
    u = msg()
    u.add(BLK_ANY, 60, "NAPTR", naptr("sip:b9@example.com"))
    u.add(BLK_ANY, 60, "TXT", '"over an existing block"')
    u.delete(BLK_ANY, "TXT")
    w("wildcard-naptr-other-type-over-block", u)

    # --- prerequisites (§2.4)
    def pre(name, setup, flags=UPD_UDP):
        u = msg()
        setup(u)
        u.add(num("2155554444"), 300, "NAPTR", naptr("sip:marker@example.com"))
        w("prereq-" + name, u, flags)

    pre("yxdomain-number", lambda u: u.present(N123))
    pre("yxdomain-absent", lambda u: u.present(NEW))
    pre("yxdomain-empty-non-terminal", lambda u: u.present("5.5.5.1.2." + origin))
    pre("nxdomain-number", lambda u: u.absent(N123))
    pre("nxdomain-absent", lambda u: u.absent(NEW))
    pre("yxrrset-naptr", lambda u: u.present(N123, "NAPTR"))
    pre("yxrrset-absent-type", lambda u: u.present(N123, "TXT"))
    pre("nxrrset-txt-present", lambda u: u.absent(N124, "TXT"))
    pre("nxrrset-absent", lambda u: u.absent(N124, "AAAA"))
    pre("value-rrset-exact", lambda u: u.present(N123, rd("NAPTR", N123_A), rd("NAPTR", N123_B)))
    pre("value-rrset-reversed", lambda u: u.present(N123, rd("NAPTR", N123_B), rd("NAPTR", N123_A)))
    pre("value-rrset-subset", lambda u: u.present(N123, rd("NAPTR", N123_A)))
    pre("value-rrset-duplicate", lambda u: u.present(N123, rd("NAPTR", N123_A), rd("NAPTR", N123_A),
                                                     rd("NAPTR", N123_B)))
    pre("value-rrset-apex-soa", lambda u: u.present(origin, rd("SOA", SOA % 1)))
    pre("value-rrset-apex-ns", lambda u: u.present(origin, rd("NS", "ns1.example."), rd("NS", "ns2.example.")))
    pre("yxrrset-block-fixed", lambda u: u.present(BLK_FIXED, "NAPTR"))
    pre("yxdomain-block-any", lambda u: u.present(BLK_ANY))
    pre("nxdomain-block-new", lambda u: u.absent(BLK_NEW))
    pre("nxrrset-block-two", lambda u: u.absent(BLK_TWO, "NAPTR"))
    pre("value-rrset-block", lambda u: u.present(BLK_ANY, rd("NAPTR", BLK_ANY_1), rd("NAPTR", BLK_ANY_2)))
    pre("value-rrset-ordinary-wildcard", lambda u: u.present(WILD, rd("NAPTR", naptr("sip:w@example.com"))))
    pre("yxrrset-cname", lambda u: u.present(N125, "CNAME"))
    pre("yxdomain-below-cut", lambda u: u.present("ns.9.9.9." + origin))
    pre("all-kinds", lambda u: (u.present(N123), u.absent(NEW), u.present(N124, "TXT"),
                                u.absent(N124, "AAAA"), u.present(N123, rd("NAPTR", N123_A), rd("NAPTR", N123_B))),
        UPD_SIGNED)
    pre("notzone", lambda u: u.present("1.6.1.e164.arpa."))
    pre("notzone-outside", lambda u: u.present("example.com."))
    pre("ttl-nonzero-formerr", lambda u: raw(u, u.prerequisite, N123, dns.rdataclass.ANY, "NAPTR", ttl=1))
    pre("class-ch-formerr", lambda u: raw(u, u.prerequisite, N123, dns.rdataclass.CH, "NAPTR"))
    pre("any-with-rdata-formerr", lambda u: raw(u, u.prerequisite, N123, dns.rdataclass.ANY, "NAPTR",
                                                rdata=generic("NAPTR", b"\x00\x01", dns.rdataclass.ANY)))

    # --- the zone section (§3.1) and the envelope
    u = msg("6.1.e164.arpa."); u.add("1.6.1.e164.arpa.", 60, "TXT", '"child"'); w("zone-child-refused", u)
    u = msg("6.1.e164.arpa."); u.add("1.6.1.e164.arpa.", 60, "TXT", '"child"')
    w("zone-child-signed", u, UPD_SIGNED)
    u = msg("2.e164.arpa."); u.add("1.2.e164.arpa.", 60, "TXT", '"sec"'); w("zone-secondary-notauth", u)
    u = msg("example.com."); u.add("www.example.com.", 60, "A", "192.0.2.1"); w("zone-unknown-notauth", u)
    u = msg("3.2.1.0.5.5.5.5.1.2." + origin); u.add(N123, 60, "TXT", '"x"'); w("zone-not-apex-notauth", u)
    u = msg(); u.add(NEW, 60, "TXT", '"x"')
    wire = bytearray(u.to_wire())
    qend = 12 + len(dns.name.from_text(origin).to_wire())
    wire[qend:qend + 2] = b"\x00\x23"  # zone type NAPTR
    write("update", "zone-type-not-soa-formerr.bin", bytes([UPD_UDP]) + bytes(wire))
    wire[qend:qend + 4] = b"\x00\x06\x00\x03"  # SOA, class CH
    write("update", "zone-class-ch-formerr.bin", bytes([UPD_UDP]) + bytes(wire))
    u = msg(); u.add(NEW, 60, "TXT", '"edns"'); u.use_edns(0, payload=4096); w("edns0", u)
    u = msg(); u.add(NEW, 60, "TXT", '"edns"'); u.use_edns(0, payload=4096); w("edns0-signed-tcp", u, UPD_SIGNED | UPD_TCP)
    u = msg(); u.add(NEW, 60, "TXT", '"edns1"'); u.use_edns(1); w("edns1-badvers", u)
    u = msg(); u.add(NEW, 60, "TXT", '"x"')
    wire = bytearray(u.to_wire())
    write("update", "no-zone-section.bin", bytes([UPD_UDP]) + bytes(wire[:4]) + b"\x00\x00" + bytes(wire[6:12]))
    write("update", "trailing-octets-formerr.bin", bytes([UPD_UDP]) + bytes(wire) + b"\x00\x01")
    write("update", "counts-lie-formerr.bin", bytes([UPD_UDP]) + bytes(wire[:9]) + b"\x05" + bytes(wire[10:]))
    big = msg()
    for i in range(200):
        big.add(num("21555%05d" % i), 3600, "NAPTR", naptr("sip:user%d@example.com" % i))
    w("two-hundred-numbers-tcp", big, UPD_TCP)


# --- conf ---------------------------------------------------------------------------------------
#
# The configuration examples of README.md and tests/system/*.py (their $SECRET and ports made
# fixed), then broken variants of each kind of item.

def conf_corpus():
    secret = "Zm9vYmFyLWZ1enotY29uZi1zZWNyZXQtMDEyMzQ1Njc="
    other = "b3RoZXItc2VjcmV0LWZvci1oYW1jLXNoYTUxMi0wMTIzNDU2Nzg5YWJjZGVm"

    def w(name, text):
        write("conf", name + ".conf", text)

    readme_primary = f"""key:
  - id: xfr
    algorithm: hmac-sha256
    secret: {secret}
remote:
  - id: knot-secondary
    address: 127.0.0.1@5301
    key: xfr
  - id: e2ud-secondary
    address: 127.0.0.1@5302
    key: xfr
acl:
  - id: replicas
    address: 127.0.0.0/8
    key: xfr
    action: [transfer]
zone:
  - domain: 1.e164.arpa
    acl: [replicas]
    notify: [knot-secondary, e2ud-secondary]
"""
    readme_secondary = f"""key:
  - id: xfr
    algorithm: hmac-sha256
    secret: {secret}
remote:
  - id: primary
    address: 127.0.0.1@5300
    key: xfr
acl:
  - id: notify-from-primary
    address: 127.0.0.1
    key: xfr
    action: notify
zone:
  - domain: 1.e164.arpa
    master: primary
    acl: [notify-from-primary]
"""
    readme_knot = f"""server:
    listen: 127.0.0.1@5301
    rundir: /tmp/knot-secondary
database:
    storage: /tmp/knot-secondary
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: {secret}
remote:
  - id: primary
    address: 127.0.0.1@5300
    key: xfr
acl:
  - id: notify-from-primary
    address: 127.0.0.1
    key: xfr
    action: notify
zone:
  - domain: 1.e164.arpa
    master: primary
    acl: notify-from-primary
    storage: /tmp/knot-secondary
"""
    conf_c_doc = f"""server:
    listen: 127.0.0.1@53            # repeatable, or a [list]
    udp-workers: 2                  # default: one per CPU
    tcp-workers: 1
    tcp-max-clients: 1000
    tcp-idle-timeout: 10            # seconds
    tcp-io-timeout: 2000            # milliseconds for a started message
    udp-max-payload: 1232
    stats-listen: 127.0.0.1@9100    # Prometheus endpoint
    xfr-max-size: 300000
    xfr-timeout: 3
database:
    storage: /var/lib/e2u           # the store (e2ud -d overrides)
log:
  - target: stderr                  # or syslog
    any: info                       # critical, error, warning, notice, info, debug
key:
  - id: xfr-key                     # the key's DNS name
    algorithm: hmac-sha256          # hmac-md5 ... hmac-sha512 (RFC 8945)
    secret: {secret}
remote:
  - id: knot2
    address: 192.0.2.2@53           # repeatable
    key: xfr-key
  - id: primary
    address: [192.0.2.1, 2001:db8::1@5300]
acl:
  - id: replicas
    address: [192.0.2.0/24, 2001:db8::/32]   # none: any address
    key: xfr-key                    # none: no key required
    action: [transfer, notify, update, query]
    deny: off
zone:
  - domain: 1.e164.arpa
    acl: [replicas]                 # rules in order; the first that matches decides
    notify: [knot2]                 # secondaries told about each change
  - domain: 2.e164.arpa
    master: [primary]               # this zone is a secondary of these
"""

    def update_conf(acls, zone_acl, child_acl=None, extra=""):  # tests/system/test_update.py
        text = ("log:\n  - target: stderr\n    any: info\n"
                "key:\n"
                f"  - id: upd-key\n    algorithm: hmac-sha256\n    secret: {secret}\n"
                f"  - id: other-key\n    algorithm: hmac-sha512\n    secret: {other}\n"
                "acl:\n" + acls + extra +
                f"zone:\n  - domain: 1.e164.arpa.\n    acl: [{', '.join(zone_acl)}]\n")
        if child_acl:
            text += f"  - domain: 9.1.e164.arpa.\n    acl: [{', '.join(child_acl)}]\n"
        return text

    default_acls = ("  - id: upd\n    address: 127.0.0.0/8\n    key: [upd-key, other-key]\n"
                    "    action: update\n")

    def secondary_conf(key=None, extra_server="", acl_key=None):  # test_secondary.py
        c = "server:\n    tcp-workers: 1\n" + extra_server
        c += "log:\n  - target: stderr\n    any: debug\n"
        if key or acl_key:
            c += "key:\n"
            for k in sorted({key, acl_key} - {None}):
                c += f"  - id: {k[0]}\n    algorithm: hmac-sha256\n    secret: {k[1]}\n"
        c += "remote:\n  - id: primary\n    address: 127.0.0.1@53001\n"
        if key:
            c += f"    key: {key[0]}\n"
        c += "acl:\n  - id: notify-in\n    address: 127.0.0.1\n    action: notify\n"
        if acl_key:
            c += f"    key: {acl_key[0]}\n"
        c += "zone:\n  - domain: 1.e164.arpa.\n    master: primary\n    acl: notify-in\n"
        return c

    xfr_out = (f"server:\n    tcp-workers: 1\n    tcp-idle-timeout: 3\n"
               f"key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: {secret}\n"
               f"remote:\n  - id: knot\n    address: 127.0.0.1@53002\n    key: xfr-key\n"
               f"  - id: fake\n    address: 127.0.0.1@53003\n    key: xfr-key\n"
               f"acl:\n  - id: replicas\n    address: 127.0.0.0/8\n    key: xfr-key\n"
               "    action: [transfer, notify]\n"
               f"zone:\n  - domain: 1.e164.arpa.\n    acl: [replicas]\n    notify: [knot, fake]\n"
               f"  - domain: 5.5.5.1.e164.arpa.\n    acl: [replicas]\n")
    knot_xfr = (f"server:\n    listen: 127.0.0.1@53004\n    rundir: /tmp/k\n"
                "    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n"
                f"database:\n    storage: /tmp/k/db\n"
                "log:\n  - target: stderr\n    any: info\n"
                f"key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: {secret}\n"
                f"remote:\n  - id: e2ud\n    address: 127.0.0.1@53005\n    key: xfr-key\n"
                "acl:\n  - id: notify-from-e2ud\n    address: 127.0.0.0/8\n"
                "    key: xfr-key\n    action: notify\n"
                "  - id: local-transfer\n    address: 127.0.0.0/8\n    action: transfer\n"
                "template:\n  - id: default\n    storage: /tmp/k\n    zonefile-sync: -1\n"
                "    zonefile-load: none\n"
                "zone:\n  - domain: 1.e164.arpa.\n    master: e2ud\n"
                "    acl: [notify-from-e2ud, local-transfer]\n")

    good = {
        "readme-primary": readme_primary,
        "readme-secondary": readme_secondary,
        "conf-c-every-item": conf_c_doc,
        "update-default": update_conf(default_acls, ("upd",), ("upd",)),
        "update-prerequisites": update_conf(default_acls + "  - id: unsigned\n    address: 127.0.0.5/32\n"
                                            "    action: update\n", ("upd", "unsigned")),
        "update-refusals": update_conf(
            "  - id: nobody-from-3\n    address: 127.0.0.3/32\n    action: update\n    deny: on\n"
            "  - id: upd\n    address: [127.0.0.1/32, 127.0.0.3/32]\n"
            "    key: [upd-key, other-key]\n    action: update\n"
            "  - id: upd-2\n    address: 127.0.0.2/32\n    key: upd-key\n    action: update\n",
            ("nobody-from-3", "upd"), ("upd-2",)),
        "update-unsigned": update_conf("  - id: unsigned\n    address: 127.0.0.5/32\n    action: update\n",
                                       ("unsigned",), ("unsigned",)),
        "secondary-plain": secondary_conf(),
        "secondary-keys": secondary_conf(key=("xfr-key", secret), acl_key=("notify-key", other)),
        "secondary-limits": secondary_conf(extra_server="    xfr-max-size: 300000\n    xfr-timeout: 3\n"),
        "xfr-out": xfr_out,
        "server-check": "server:\n    listen: 127.0.0.1@5353\n    tcp-idle-timeout: 5\n"
                        "log:\n  - target: stderr\n    any: debug\n",
        "server-log-info": "log:\n  - target: stderr\n    any: info\n",
        "server-stats": "server:\n    stats-listen: 127.0.0.1@9100\n",
        "server-slow-clients": "server:\n    tcp-max-clients: 40\n    tcp-io-timeout: 500\n"
                               "    tcp-idle-timeout: 1\n",
        "listen-list": "server:\n    listen: [127.0.0.1@5300, ::1@5300, 0.0.0.0]\n",
        "log-syslog": "log:\n  - target: syslog\n    any: warning\n",
        "private-zone": "acl:\n  - id: carriers\n    address: [10.0.0.0/8, fd00::/8]\n"
                        "    action: query\n  - id: all\n    deny: on\n    action: query\n"
                        "zone:\n  - domain: e164.arpa\n    acl: [carriers, all]\n",
        "every-algorithm": "key:\n" + "".join(
            f"  - id: k-{a}\n    algorithm: {a}\n    secret: {secret}\n"
            for a in ("hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384",
                      "hmac-sha512")),
        "comments-and-quotes": '# a comment\nserver:   # trailing\n    listen: "127.0.0.1@53"\n'
                               "database:\n    storage: \"/var/lib/e2u with space\"\n",
        "empty": "",
        "only-comments": "# nothing\n# at all\n",
        "crlf": "server:\r\n    listen: 127.0.0.1@53\r\n",
        "root-zone-and-dot": "zone:\n  - domain: .\n  - domain: 1.e164.arpa.\n",
        "identity-version-nsid": "server:\n    identity: ns1.example\n    version: \"\"\n"
                                 "    nsid: 0x6e73312d3031\n",
        "nsid-text-255": "server:\n    nsid: " + "n" * 255 + "\n    identity: \"a b\"\n",
        "mod-cookies": "mod-cookies:\n  - id: c\n    secret: 0x000102030405060708090a0b0c0d0e0f\n"
                       "    secret-lifetime: 2h\n    badcookie-slip: 3\nmod-rrl:\n  - id: r\n"
                       "    rate-limit: 5\ntemplate:\n  - id: default\n"
                       "    global-module: [mod-rrl/r, mod-cookies/c]\n",
        "mod-cookies-defaults": "template:\n  - id: default\n    global-module: mod-cookies\n",
    }
    for n, t in good.items():
        w("good-" + n, t)

    bad = {
        "nsid-odd-hex": "server:\n    nsid: 0x123\n",
        "cookies-short-secret": "mod-cookies:\n  - id: c\n    secret: 0x0011\n",
        "cookies-lifetime-37d": "mod-cookies:\n  - id: c\n    secret-lifetime: 37d\n",
        "cookies-two": "mod-cookies:\n  - id: a\n  - id: b\ntemplate:\n  - id: default\n"
                       "    global-module: [mod-cookies/a, mod-cookies/b]\n",
        "nsid-bad-hex": "server:\n    nsid: 0x12zz\n",
        "identity-256": "server:\n    identity: " + "i" * 256 + "\n",
        "knot-readme-secondary": readme_knot,
        "knot-xfr-secondary": knot_xfr,
        "unknown-section": "template:\n  - id: default\n",
        "misspelt-item": "server:\n    listen: 127.0.0.1@5353\n    tcp-idle-timeot: 5\n",
        "listen-port-99999": "server:\n    listen: 127.0.0.1@99999\n",
        "listen-port-0": "server:\n    listen: 127.0.0.1@0\n",
        "listen-host-name": "server:\n    listen: localhost@53\n",
        "listen-too-many": "server:\n    listen: [" + ", ".join("127.0.0.%d" % i for i in range(1, 18)) + "]\n",
        "listen-long-address": "server:\n    listen: " + "1" * 100 + "@53\n",
        "udp-workers-0": "server:\n    udp-workers: 0\n",
        "udp-workers-65": "server:\n    udp-workers: 65\n",
        "udp-workers-negative": "server:\n    udp-workers: -1\n",
        "udp-workers-huge": "server:\n    udp-workers: 99999999999999999999999\n",
        "udp-max-payload-511": "server:\n    udp-max-payload: 511\n",
        "xfr-max-size-small": "server:\n    xfr-max-size: 10\n",
        "tcp-idle-timeout-text": "server:\n    tcp-idle-timeout: ten\n",
        "log-target-nowhere": "log:\n  - target: nowhere\n",
        "log-level-loud": "log:\n  - target: stderr\n    any: loud\n",
        "log-any-before-target": "log:\n    any: info\n",
        "key-before-id": "key:\n    algorithm: hmac-sha256\n",
        "key-bad-algorithm": f"key:\n  - id: k\n    algorithm: hmac-sha3\n    secret: {secret}\n",
        "key-bad-base64": "key:\n  - id: k\n    algorithm: hmac-sha256\n    secret: not*base64!\n",
        "key-no-secret": "key:\n  - id: k\n    algorithm: hmac-sha256\n",
        "key-empty-secret": 'key:\n  - id: k\n    secret: ""\n',
        "key-secret-before-algorithm": f"key:\n  - id: k\n    secret: {secret}\n    algorithm: hmac-md5\n",
        "key-long-secret": "key:\n  - id: k\n    secret: " + "QUFB" * 80 + "\n",
        "key-twice": f"key:\n  - id: k\n    secret: {secret}\n  - id: k\n    secret: {secret}\n",
        "key-id-empty-no-secret": 'key:\n  - id: ""\n',  # fuzz_conf: loaded, then e2ud failed to start
        "key-no-secret-in-acl": "key:\n  - id: k\nacl:\n  - id: a\n    key: k\n    action: update\n",
        "key-id-not-a-name": f"key:\n  - id: a..b\n    secret: {secret}\n",
        "key-id-long": "key:\n  - id: " + "k" * 70 + f"\n    secret: {secret}\n",
        "key-id-label-64": "key:\n  - id: " + "k" * 64 + f".example\n    secret: {secret}\n",
        "keys-too-many": "key:\n" + "".join(f"  - id: k{i}\n    secret: {secret}\n" for i in range(33)),
        "remote-undefined-key": "remote:\n  - id: r\n    address: 192.0.2.1\n    key: nokey\n",
        "remote-bad-address": "remote:\n  - id: r\n    address: primary.example\n",
        "remote-too-many-addresses": "remote:\n  - id: r\n    address: [" +
                                     ", ".join("192.0.2.%d" % i for i in range(1, 10)) + "]\n",
        "remote-twice": "remote:\n  - id: r\n  - id: r\n",
        "remote-no-address": "remote:\n  - id: r\nzone:\n  - domain: x.\n    master: r\n",
        "acl-prefix-33": "acl:\n  - id: a\n    address: 192.0.2.0/33\n    action: update\n",
        "acl-prefix-129": "acl:\n  - id: a\n    address: 2001:db8::/129\n    action: update\n",
        "acl-prefix-empty": "acl:\n  - id: a\n    address: 192.0.2.0/\n",
        "acl-range": "acl:\n  - id: a\n    address: 192.0.2.1-192.0.2.9\n",
        "acl-bad-action": "acl:\n  - id: a\n    action: [query, axfr]\n",
        "acl-deny-maybe": "acl:\n  - id: a\n    deny: maybe\n",
        "acl-undefined-key": "acl:\n  - id: a\n    key: nokey\n",
        "acl-too-many-keys": "key:\n" + "".join(f"  - id: k{i}\n    secret: {secret}\n" for i in range(9)) +
                             "acl:\n  - id: a\n    key: [" + ", ".join(f"k{i}" for i in range(9)) + "]\n",
        "acls-too-many": "acl:\n" + "".join(f"  - id: a{i}\n    action: query\n" for i in range(65)),
        "zone-bad-name": "zone:\n  - domain: a..b\n",
        "zone-label-64": "zone:\n  - domain: " + "a" * 64 + ".example.\n",
        "zone-twice": "zone:\n  - domain: 1.e164.arpa\n  - domain: 1.E164.ARPA.\n",
        "zone-undefined-acl": "zone:\n  - domain: 1.e164.arpa\n    acl: [nobody]\n",
        "zone-undefined-remote": "zone:\n  - domain: 1.e164.arpa\n    notify: nobody\n",
        "zone-acl-before-domain": "acl:\n  - id: a\nzone:\n    acl: a\n",
        "zone-too-many-acls": "acl:\n  - id: a\nzone:\n  - domain: x.\n    acl: [" + ", ".join(["a"] * 9) + "]\n",
        "zones-too-many": "zone:\n" + "".join(f"  - domain: z{i}.example.\n" for i in range(65)),
        "zone-file-item": "zone:\n  - domain: 1.e164.arpa\n    file: 1.e164.arpa.zone\n",
        "database-other-item": "database:\n    journal-db: /tmp/j\n",
        "database-twice": "database:\n    storage: /a\n    storage: /b\n",
        "item-outside-section": "    listen: 127.0.0.1\n",
        "id-in-server": "server:\n  - id: x\n",
        "tab-indent": "server:\n\tlisten: 127.0.0.1@53\n",
        "bad-indent": "server:\n  listen: 127.0.0.1@53\n   udp-workers: 2\n",
        "unterminated-quote": 'server:\n    listen: "127.0.0.1@53\n',
        "unterminated-list": "server:\n    listen: [127.0.0.1@53, \n",
        "nested-list": "server:\n    listen: [[127.0.0.1]]\n",
        "no-colon": "server\n    listen 127.0.0.1\n",
        "nul-byte": "server:\n    listen: 127.0.0.1\x00@53\n",
        "high-octets": "server:\n    listen: \xff\xfe\n",
        "long-line": "server:\n    listen: " + "9" * 5000 + "\n",
        "long-key": "server:\n    " + "x" * 300 + ": 1\n",
        "no-final-newline": "server:\n    listen: 127.0.0.1@53",
    }
    for n, t in bad.items():
        w("bad-" + n, t)


def main():
    kinds = {"number": number, "naptr_wire": naptr_wire, "naptr_text": naptr_text,
             "subst": subst, "eval": eval_corpus, "update": update_corpus, "conf": conf_corpus}
    for k in sys.argv[1:] or kinds:
        if k not in kinds:
            print("make_corpus.py: unknown corpus %s (%s)" % (k, ", ".join(kinds)),
                  file=sys.stderr)
            return 2
        kinds[k]()
    for kind in sorted(os.listdir(CORPUS)):
        print("%-10s %d files" % (kind, len(os.listdir(os.path.join(CORPUS, kind)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
