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


def main():
    number()
    naptr_wire()
    naptr_text()
    subst()
    eval_corpus()
    for kind in sorted(os.listdir(CORPUS)):
        print("%-10s %d files" % (kind, len(os.listdir(os.path.join(CORPUS, kind)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
