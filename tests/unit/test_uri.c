/*
 * tests/unit/test_uri.c — e2u_uri_parse, e2u_tel_to_sip, e2u_scheme_name.
 *
 * Expected values come from the texts, never from the implementation's output:
 *   - RFC 4769 §4.1-4.5 (the records as shared/specs/README.md restores them), RFC 3953's
 *     pres:user@host.com, draft-peterson-enum-sip's two AORs, draft-mahy-enum-im-service's
 *     im:user@example.com, draft-brandner-enum-uri's enum:+4311234567890 (§3.2.2);
 *   - RFC 3966 §6's three examples; RFC 4694 §6 examples A-D; RFC 3261 §19.1.6's
 *     tel:+358-555-1234567;postd=pp22 -> sip:/sips:...@foo.com;user=phone, and the digest's
 *     phone-context=5;tsp=a.b variant; RFC 3860 Appendix B.2's
 * im:pepp=example.com/fred@relay-domain;
 *   - the ABNF of RFC 3966 §3, RFC 4694 §4, RFC 3261 §25.1, RFC 3859/3860 A.2 and RFC 3986
 *     Appendix A for everything else.
 * Normalised values are worked out by hand: "+1-215-555-0199" without its separators is
 * "+12155550199". Error positions are byte offsets counted by hand; the counts are in the
 * comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "e2u/e2u.h"

/* ---------------------------------------------------------------------------------------- */
/* helpers */

static e2u_uri_t parse_ok(const char *s)
{
    e2u_uri_t u;
    e2u_diag_t d;
    memset(&d, 0, sizeof(d));
    int rc = e2u_uri_parse(&u, s, strlen(s), &d);
    if (rc != 0)
        fail_msg("'%s' rejected: %s", s, d.msg);
    return u;
}

static void expect_span(const char *p, size_t n, const char *want)
{
    if (!want) {
        assert_null(p);
        assert_int_equal(n, 0);
        return;
    }
    assert_non_null(p);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

/* The error code, the position and a piece of the message; and *out cleared. */
static void expect_err(const char *s, size_t len, size_t pos, const char *needle)
{
    static const e2u_uri_t zero;
    e2u_uri_t u;
    e2u_diag_t d;
    memset(&u, 0xa5, sizeof(u));
    memset(&d, 0, sizeof(d));
    int rc = e2u_uri_parse(&u, s, len, &d);
    if (rc != E2U_EURI)
        fail_msg("'%s' gave %d, expected E2U_EURI", s, rc);
    assert_int_equal(d.code, E2U_EURI);
    if (d.pos != pos)
        fail_msg("'%s': position %zu, expected %zu (%s)", s, d.pos, pos, d.msg);
    if (needle && !strstr(d.msg, needle))
        fail_msg("'%s': message '%s' lacks '%s'", s, d.msg, needle);
    /* the message names the position too */
    char at[40];
    snprintf(at, sizeof(at), "position %zu", pos);
    if (!strstr(d.msg, at))
        fail_msg("'%s': message '%s' does not say '%s'", s, d.msg, at);
    assert_memory_equal(&u, &zero, sizeof(u));
}

static void err(const char *s, size_t pos, const char *needle)
{
    expect_err(s, strlen(s), pos, needle);
}

static void tel_is(const e2u_uri_t *u, const char *number, bool npdi, const char *rn,
                   const char *cic)
{
    assert_true(u->tel.present);
    assert_true(u->tel.global);
    assert_string_equal(u->tel.number.aus, number);
    assert_int_equal(u->tel.number.ndigits, strlen(number) - 1);
    assert_int_equal(u->tel.npdi, npdi);
    assert_int_equal(u->tel.has_rn, rn != NULL);
    assert_string_equal(u->tel.rn, rn ? rn : "");
    assert_int_equal(u->tel.has_cic, cic != NULL);
    assert_string_equal(u->tel.cic, cic ? cic : "");
}

/* ---------------------------------------------------------------------------------------- */
/* the seed specifications */

static void test_rfc4769_records(void **state)
{
    (void)state;
    /* §4.1 ported, tel: */
    e2u_uri_t u = parse_ok("tel:+1-215-555-0123;npdi;rn=+1-215-555-0199");
    assert_int_equal(u.scheme, E2U_SCHEME_TEL);
    expect_span(u.scheme_str, u.scheme_len, "tel");
    tel_is(&u, "+12155550123", true, "+12155550199", NULL);
    assert_true(u.tel.rn_global);
    assert_null(u.tel.rn_context);
    assert_null(u.tel.context);
    assert_null(u.tel.ext);
    assert_null(u.user);
    assert_null(u.host);

    /* §4.2 ported, sip: the telephone-subscriber with its ';' parameters is the user part */
    u = parse_ok("sip:+1-215-555-0123;npdi;rn=+1-215-555-0199@gw.example.com;user=phone");
    assert_int_equal(u.scheme, E2U_SCHEME_SIP);
    expect_span(u.user, u.user_len, "+1-215-555-0123;npdi;rn=+1-215-555-0199");
    expect_span(u.host, u.host_len, "gw.example.com");
    assert_int_equal(u.port, 0);
    assert_true(u.user_phone);
    tel_is(&u, "+12155550123", true, "+12155550199", NULL);

    /* §4.3 not ported, tel: */
    u = parse_ok("tel:+1-215-555-0123;npdi");
    tel_is(&u, "+12155550123", true, NULL, NULL);

    /* §4.4 not ported, sip: */
    u = parse_ok("sip:+1-215-555-0123;npdi@gw.example.com;user=phone");
    expect_span(u.user, u.user_len, "+1-215-555-0123;npdi");
    expect_span(u.host, u.host_len, "gw.example.com");
    assert_true(u.user_phone);
    tel_is(&u, "+12155550123", true, NULL, NULL);

    /* §4.5: "!(^.*$)!tel:\1;npdi!" applied to the AUS +12155550123 */
    u = parse_ok("tel:+12155550123;npdi");
    tel_is(&u, "+12155550123", true, NULL, NULL);
}

static void test_seed_enumservices(void **state)
{
    (void)state;
    /* RFC 3953 */
    e2u_uri_t u = parse_ok("pres:user@host.com");
    assert_int_equal(u.scheme, E2U_SCHEME_PRES);
    expect_span(u.user, u.user_len, "user");
    expect_span(u.host, u.host_len, "host.com");
    assert_false(u.tel.present);

    /* draft-peterson-enum-sip */
    u = parse_ok("sip:jon.peterson@neustar.biz");
    assert_int_equal(u.scheme, E2U_SCHEME_SIP);
    expect_span(u.user, u.user_len, "jon.peterson");
    expect_span(u.host, u.host_len, "neustar.biz");
    assert_false(u.user_phone);
    assert_false(u.tel.present);
    u = parse_ok("sip:+12025332600@neustar.biz");
    expect_span(u.user, u.user_len, "+12025332600");
    assert_false(u.user_phone);
    tel_is(&u, "+12025332600", false, NULL, NULL);

    /* draft-mahy-enum-im-service */
    u = parse_ok("im:user@example.com");
    assert_int_equal(u.scheme, E2U_SCHEME_IM);
    expect_span(u.user, u.user_len, "user");
    expect_span(u.host, u.host_len, "example.com");

    /* draft-brandner-enum-uri §3.2.2: both numbers of the example */
    u = parse_ok("enum:+4311234567890");
    assert_int_equal(u.scheme, E2U_SCHEME_ENUM);
    tel_is(&u, "+4311234567890", false, NULL, NULL);
    u = parse_ok("enum:+432221234567890");
    tel_is(&u, "+432221234567890", false, NULL, NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* tel: — RFC 3966, RFC 4694 */

static void test_rfc3966_examples(void **state)
{
    (void)state;
    const char *s = "tel:+1-201-555-0123";
    e2u_uri_t u = parse_ok(s);
    tel_is(&u, "+12015550123", false, NULL, NULL);
    assert_null(u.tel.context);

    s = "tel:7042;phone-context=example.com";
    u = parse_ok(s);
    assert_true(u.tel.present);
    assert_false(u.tel.global);
    assert_string_equal(u.tel.local, "7042");
    assert_int_equal(u.tel.number.ndigits, 0);
    /* "tel:7042;phone-context=" is 23 octets */
    assert_ptr_equal(u.tel.context, s + 23);
    expect_span(u.tel.context, u.tel.context_len, "example.com");

    s = "tel:863-1234;phone-context=+1-914-555";
    u = parse_ok(s);
    assert_false(u.tel.global);
    assert_string_equal(u.tel.local, "8631234");
    /* "tel:863-1234;phone-context=" is 27 octets */
    assert_ptr_equal(u.tel.context, s + 27);
    expect_span(u.tel.context, u.tel.context_len, "+1-914-555");
}

static void test_rfc4694_examples(void **state)
{
    (void)state;
    /* §6 A */
    e2u_uri_t u = parse_ok("tel:+1-800-123-4567;cic=+1-6789");
    tel_is(&u, "+18001234567", false, NULL, "+16789");
    assert_true(u.tel.cic_global);
    /* §6 B */
    u = parse_ok("tel:+1-202-533-1234");
    tel_is(&u, "+12025331234", false, NULL, NULL);
    /* §6 C */
    u = parse_ok("tel:+1-202-533-1234;npdi;rn=+1-202-544-0000");
    tel_is(&u, "+12025331234", true, "+12025440000", NULL);
    /* §6 D: "+1-202-533-6789;npdi" */
    u = parse_ok("tel:+1-202-533-6789;npdi");
    tel_is(&u, "+12025336789", true, NULL, NULL);
    /* §6: an rn that is not a real routing number is still syntactically valid */
    u = parse_ok("tel:+1-202-533-1234;npdi;rn=+1-202-000-0000");
    tel_is(&u, "+12025331234", true, "+12020000000", NULL);
    /* §5.1's special CIC "+1-0110" */
    u = parse_ok("tel:+1-800-123-4567;cic=+1-0110");
    tel_is(&u, "+18001234567", false, NULL, "+10110");
}

static void test_tel_np_forms(void **state)
{
    (void)state;
    /* global-hex-digits allows hex after the country code (RFC 4694 §4); case is kept */
    e2u_uri_t u = parse_ok("tel:+12155550123;rn=+1-215-555-01aB");
    tel_is(&u, "+12155550123", false, "+121555501aB", NULL);

    /* local-rn = 1*hex-phonedigit rn-context */
    const char *s = "tel:+12155550123;rn=215-555-0199;rn-context=+1";
    u = parse_ok(s);
    assert_true(u.tel.has_rn);
    assert_false(u.tel.rn_global);
    assert_string_equal(u.tel.rn, "2155550199");
    /* "tel:+12155550123;rn=215-555-0199;rn-context=" is 4+12+4+12+12 = 44 octets */
    assert_ptr_equal(u.tel.rn_context, s + 44);
    expect_span(u.tel.rn_context, u.tel.rn_context_len, "+1");

    s = "tel:+18001234567;cic=6789;cic-context=carrier.example.net";
    u = parse_ok(s);
    assert_true(u.tel.has_cic);
    assert_false(u.tel.cic_global);
    assert_string_equal(u.tel.cic, "6789");
    /* 4 + 12 + ";cic=" 5 + 4 + ";cic-context=" 13 = 38 */
    assert_ptr_equal(u.tel.cic_context, s + 38);
    expect_span(u.tel.cic_context, u.tel.cic_context_len, "carrier.example.net");

    /* rn-descriptor may be global-hex-digits with hex digits */
    u = parse_ok("tel:+12155550123;rn=a1;rn-context=+49-1F");
    assert_string_equal(u.tel.rn, "a1");

    /* parameter names are case-insensitive: RN, NPDI, CIC */
    u = parse_ok("tel:+1-215-555-0123;NPDI;RN=+1-215-555-0199;Cic=+1-6789");
    tel_is(&u, "+12155550123", true, "+12155550199", "+16789");

    /* E2U_TEL_VALUE_MAX (64) is the room for a normalised value: '+' and 63 digits fit, a
     * 64th digit does not. "tel:+1;rn=+" is 11 octets, so the 64th digit is at 11 + 63 = 74 */
    char buf[200] = "tel:+1;rn=+"; /* the rest zero */
    memset(buf + 11, '4', 63);
    u = parse_ok(buf);
    assert_int_equal(strlen(u.tel.rn), 64);
    buf[74] = '4';
    err(buf, 74, "rn value longer than 64");
}

static void test_tel_params(void **state)
{
    (void)state;
    const char *s = "tel:+1-201-555-0123;ext=1234";
    e2u_uri_t u = parse_ok(s);
    tel_is(&u, "+12015550123", false, NULL, NULL);
    /* "tel:+1-201-555-0123;ext=" is 4 + 15 + 5 = 24 octets */
    assert_ptr_equal(u.tel.ext, s + 24);
    expect_span(u.tel.ext, u.tel.ext_len, "1234");

    /* isub = 1*uric: reserved characters allowed, including '@' ':' '?' '/' */
    u = parse_ok("tel:+1-201-555-0123;isub=a@b:c?d/e");
    tel_is(&u, "+12015550123", false, NULL, NULL);

    /* generic parameters, pct-encoded values, param-unreserved */
    u = parse_ok("tel:+1-201-555-0123;tgrp=TG-1;trunk-context=example.com;x=%3B[a]/b:&+$");
    tel_is(&u, "+12015550123", false, NULL, NULL);
    /* a parameter without value */
    u = parse_ok("tel:+1-201-555-0123;foo");
    assert_true(u.tel.present);
    /* RFC 3966 §5.4 "m-" parameters are reported, not refused */
    u = parse_ok("tel:+1-201-555-0123;m-foo=1");
    assert_true(u.tel.present);

    /* RFC 3261 §19.1.6's RFC 2806-era example: phone-context on a global number is an
     * ordinary parameter, its value still reported */
    s = "tel:+358-555-1234567;phone-context=5;tsp=a.b";
    u = parse_ok(s);
    tel_is(&u, "+3585551234567", false, NULL, NULL);
    expect_span(u.tel.context, u.tel.context_len, "5");
    u = parse_ok("tel:+358-555-1234567;postd=pp22");
    tel_is(&u, "+3585551234567", false, NULL, NULL);

    /* local numbers: hex digits, '*', and '#' (only as %23: a raw '#' starts a fragment) */
    u = parse_ok("tel:*67%23;phone-context=example.com");
    assert_false(u.tel.global);
    assert_string_equal(u.tel.local, "*67#");
    u = parse_ok("tel:(0A)-b.C;phone-context=example.com.");
    assert_string_equal(u.tel.local, "0AbC");
    /* the context may come after other parameters (local-number = digits *par context *par) */
    u = parse_ok("tel:911;ext=1;phone-context=+1");
    assert_string_equal(u.tel.local, "911");
    expect_span(u.tel.context, u.tel.context_len, "+1");
    /* the scheme is case-insensitive */
    u = parse_ok("TeL:+44-116-496-0348");
    assert_int_equal(u.scheme, E2U_SCHEME_TEL);
    expect_span(u.scheme_str, u.scheme_len, "TeL");
    tel_is(&u, "+441164960348", false, NULL, NULL);
}

static void test_tel_lengths(void **state)
{
    (void)state;
    char buf[200];
    /* more than E.164's 15 digits is still a valid tel: URI */
    e2u_uri_t u = parse_ok("tel:+1234567890123456");
    assert_int_equal(u.tel.number.ndigits, 16);

    /* 63 digits, separators in between, accepted */
    memcpy(buf, "tel:+", 5);
    size_t n = 5;
    for (int i = 0; i < 63; i++) {
        buf[n++] = (char)('1' + i % 9);
        if (i % 10 == 9)
            buf[n++] = '-';
    }
    buf[n] = '\0';
    u = parse_ok(buf);
    assert_int_equal(u.tel.number.ndigits, 63);

    /* 64 digits: the 64th digit is at 5 + 63 = 68 */
    memcpy(buf, "tel:+", 5);
    memset(buf + 5, '7', 64);
    buf[69] = '\0';
    err(buf, 68, "more than 63 digits");

    /* a local number of 64 characters fits, 65 do not: the 65th is at 4 + 64 = 68 */
    memset(buf, 0, sizeof(buf));
    memcpy(buf, "tel:", 4);
    memset(buf + 4, '5', 64);
    snprintf(buf + 68, sizeof(buf) - 68, ";phone-context=+1");
    u = parse_ok(buf);
    assert_int_equal(strlen(u.tel.local), 64);
    memset(buf + 4, '5', 65);
    snprintf(buf + 69, sizeof(buf) - 69, ";phone-context=+1");
    err(buf, 68, "local number longer than 64");
}

static void test_tel_errors(void **state)
{
    (void)state;
    /* t0 e1 l2 :3 +4 1(5) space(6) */
    err("tel:+1 215", 6, "invalid character space");
    err("tel:7042", 4, "local tel: number needs a phone-context parameter");
    err("tel:", 4, "no telephone number");
    err("tel:;phone-context=example.com", 4, "no telephone number");
    err("tel:+", 5, "no digits after '+'");
    /* "+-()" : no digit before the end at 8 */
    err("tel:+-()", 8, "no digits after '+'");
    /* hex digits are not allowed in a global number: +4 1(5) -6 2(7) a(8) */
    err("tel:+1-2a", 8, "'a'");
    err("tel:12x4;phone-context=example.com", 6, "'x'");
    /* a delimiter may not be escaped (RFC 3966 §3): %2B is data, so this is no global number */
    err("tel:%2B12155550123", 4, "'%2B'");
    err("tel:+1%3B2", 6, "'%3B'");

    /* RFC 4694 §4: rn, npdi, cic at most once. "tel:" 0-3, "+1-215-555-0123" 4-18, ';' 19,
     * "npdi" 20-23, ';' 24, "rn=" 25-27, "+1-215-555-0199" 28-42, ';' 43, second "rn" at 44 */
    err("tel:+1-215-555-0123;npdi;rn=+1-215-555-0199;rn=+1-215-555-0100", 44,
        "rn parameter given twice");
    err("tel:+1-215-555-0123;npdi;npdi", 25, "npdi parameter given twice");
    /* "+1-800-123-4567" 4-18, ';' 19, "cic=" 20-23, "+1-6789" 24-30, ';' 31, "cic" 32 */
    err("tel:+1-800-123-4567;cic=+1-6789;cic=+1-6789", 32, "cic parameter given twice");
    /* in any case: "+12155550123" 4-15, ';' 16, "RN=+1" 17-21, ';' 22, "rn" 23 */
    err("tel:+12155550123;RN=+1;rn=+2", 23, "parameter given twice");
    /* RFC 3966 §3 for every other name too */
    err("tel:+12155550123;foo=1;FOO=2", 23, "FOO parameter given twice");
    err("tel:7042;phone-context=a.com;phone-context=b.com", 29, "given twice");
    /* npdi = ";npdi", no value: "npdi" 7-10, '=' at 11 */
    err("tel:+1;npdi=yes", 11, "npdi parameter takes no value");
    /* a local rn needs its rn-context straight after: value 20-29, expected at 30 */
    err("tel:+12155550123;rn=2155550199", 30, "needs ';rn-context='");
    err("tel:+12155550123;rn=1234;npdi;rn-context=example.com", 24, "needs ';rn-context='");
    err("tel:+18001234567;cic=6789", 25, "needs ';cic-context='");
    err("tel:+12155550123;rn-context=example.com", 17, "does not follow a local rn");
    err("tel:+12155550123;rn=+1;rn-context=example.com", 23, "does not follow a local rn");
    /* local-rn: the first hex-phonedigit MUST be a hex digit; '-' at 20 */
    err("tel:+12155550123;rn=-215;rn-context=+1", 20, "must start with '+' or a hex digit");
    /* global-hex-digits = "+" 1*3(DIGIT) ...: '-' at 21 */
    err("tel:+12155550123;rn=+-1", 21, "country code");
    err("tel:+12155550123;rn=+", 21, "no digits after '+'");
    /* '+'20 '1'21 '-'22 "215"23-25 '-'26 "555"27-29 '-'30 "01"31-32 'x'33 */
    err("tel:+12155550123;rn=+1-215-555-01x9", 33, "'x' in the rn value");
    err("tel:+12155550123;rn", 19, "rn parameter needs a value");
    /* ';' 21, "rn-context" 22-31, '=' 32, "exa" 33-35, '_' 36 */
    err("tel:+12155550123;rn=1;rn-context=exa_mple.com", 36, "'_'");
    /* RFC 3966 §5.3: "ext=12" 17-22, ';' 23, "isub" 24 */
    err("tel:+12155550123;ext=12;isub=34", 24, "cannot both appear");
    err("tel:+12155550123;ext=1a", 22, "'a' in the ext value");
    /* isub = 1*uric: '[' is not uric (RFC 2396) */
    err("tel:+12155550123;isub=[x]", 22, "'['");
    err("tel:+12155550123;", 17, "empty parameter name");
    err("tel:+12155550123;;npdi", 17, "empty parameter name");
    err("tel:+12155550123;=x", 17, "empty parameter name");
    err("tel:+12155550123;foo=", 21, "empty value for parameter 'foo'");
    err("tel:+12155550123;f_o=1", 18, "'_'");
    /* pvalue = 1*paramchar: '=' and '?' are not paramchar */
    err("tel:+12155550123;a=b=c", 20, "'=' in the value of parameter 'a'");
    err("tel:+12155550123;a=b?c", 20, "'?'");
    /* the descriptor of a local number: "7042" 4-7, ';' 8, "phone-context" 9-21, '=' 22 */
    err("tel:7042;phone-context=exa_mple.com", 26, "'_' in the phone-context");
    err("tel:7042;phone-context=+", 23, "no digits in the phone-context");
    err("tel:7042;phone-context=example.123", 31, "must start with a letter");
    err("tel:7042;phone-context=-a.com", 23, "starts with '-'");
    err("tel:7042;phone-context=a..com", 25, "empty label");
    err("tel:7042;phone-context", 22, "needs a value");
    /* an escaped '.' is data, not a label separator: t0 e1 l2 :3 1(4) ;5, "phone-context"
     * 6-18, '=' 19, 'a' 20, '%' 21 */
    err("tel:1;phone-context=a%2Ecom", 21, "'%2E' in the phone-context");
    err("tel:1;phone-context=+1x", 22, "'x' in the phone-context");
    err("tel:--;phone-context=example.com", 4, "has no digits");
    err("tel:+12155550123;_x", 17, "'_' in a parameter name");
    /* rn-descriptor = domainname / global-hex-digits: ';' 6, "rn=1" 7-10, ';' 11,
     * "rn-context" 12-21, '=' 22, value at 23 */
    err("tel:+1;rn=1;rn-context=+", 23, "no digits in the rn-context");
    err("tel:+1;rn=1;rn-context=+a", 24, "'a' in the rn-context");
    err("tel:+1;rn=1;rn-context=+1x", 25, "'x' in the rn-context");
    err("tel:+1;cic=1;cic-context=a-", 26, "ends with '-'");
}

static void test_tel_param_limit(void **state)
{
    (void)state;
    char buf[1024];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "tel:+1");
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, ";p%d", i);
    e2u_uri_t u = parse_ok(buf);
    assert_true(u.tel.present);
    /* the 65th parameter starts where the 64 before it ended */
    size_t at = n;
    snprintf(buf + n, sizeof(buf) - n, ";p64");
    err(buf, at, "more than 64 parameters");
}

/* ---------------------------------------------------------------------------------------- */
/* sip:, sips: — RFC 3261 */

static void test_sip_forms(void **state)
{
    (void)state;
    e2u_uri_t u = parse_ok("sips:alice@example.com");
    assert_int_equal(u.scheme, E2U_SCHEME_SIPS);
    expect_span(u.scheme_str, u.scheme_len, "sips");

    /* no userinfo */
    u = parse_ok("sip:example.com");
    assert_null(u.user);
    expect_span(u.host, u.host_len, "example.com");

    /* password: allowed by the grammar, not part of user */
    u = parse_ok("sip:alice:secret@example.com");
    expect_span(u.user, u.user_len, "alice");
    u = parse_ok("sip:alice:@example.com");
    expect_span(u.user, u.user_len, "alice");

    /* ports */
    u = parse_ok("sip:alice@example.com:5060");
    assert_int_equal(u.port, 5060);
    expect_span(u.host, u.host_len, "example.com");
    u = parse_ok("sip:alice@example.com:1");
    assert_int_equal(u.port, 1);
    u = parse_ok("sip:alice@example.com:65535;transport=tcp");
    assert_int_equal(u.port, 65535);

    /* IPv4 and IPv6 hosts */
    u = parse_ok("sip:alice@192.0.2.1");
    expect_span(u.host, u.host_len, "192.0.2.1");
    u = parse_ok("sip:alice@[2001:db8::1]:5061;transport=tls");
    expect_span(u.host, u.host_len, "[2001:db8::1]");
    assert_int_equal(u.port, 5061);
    static const char *const v6[] = {"sip:[::1]",
                                     "sip:[::]",
                                     "sip:[1:2:3:4:5:6:7:8]",
                                     "sip:[::ffff:192.0.2.1]",
                                     "sip:[1:2:3:4:5:6:192.0.2.1]",
                                     "sip:[2001:DB8::a:B]:5060",
                                     "sip:[1::]",
                                     "sip:[1:2:3:4:5:6:7::]"};
    for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
        parse_ok(v6[i]);

    /* hostname forms: trailing dot, digits in labels, one label */
    parse_ok("sip:alice@a1-b.example.com.");
    parse_ok("sip:alice@localhost");
    parse_ok("sip:alice@3com.com");

    /* user part: unreserved, escaped and user-unreserved */
    u = parse_ok("sip:a.b_c!~*'()&=+$,;?/%41@example.com");
    expect_span(u.user, u.user_len, "a.b_c!~*'()&=+$,;?/%41");

    /* uri-parameters and headers */
    u = parse_ok("sip:alice@example.com;transport=udp;lr;maddr=192.0.2.1;x=[a]:/&+$"
                 "?subject=hi%20there&priority=urgent&to=a:b/c?[d]");
    expect_span(u.host, u.host_len, "example.com");
    assert_false(u.user_phone);
    /* an empty hvalue is allowed: hvalue = *( ... ) */
    parse_ok("sip:alice@example.com?subject=");
}

static void test_sip_user_phone(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "sip:+12155550123@gw.example.com;user=phone",
        "sip:+12155550123@gw.example.com;USER=PHONE",
        "sip:+12155550123@gw.example.com;User=Phone",
        "sip:+12155550123@gw.example.com;lr;user=phone;transport=udp",
        "SIPS:+12155550123@gw.example.com:5061;user=pHoNe",
        "sip:+12155550123@gw.example.com;user=%70hone", /* %70 is 'p', unreserved */
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        e2u_uri_t u = parse_ok(yes[i]);
        assert_true(u.user_phone);
        tel_is(&u, "+12155550123", false, NULL, NULL);
    }
    static const char *const no[] = {
        "sip:+12155550123@gw.example.com",
        "sip:+12155550123@gw.example.com;user=ip",
        "sip:+12155550123@gw.example.com;user=phones",
        "sip:+12155550123@gw.example.com;users=phone",
        "sip:+12155550123@gw.example.com;user",
        "sip:+12155550123@gw.example.com?user=phone", /* a header, not a uri-parameter */
    };
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        e2u_uri_t u = parse_ok(no[i]);
        assert_false(u.user_phone);
        /* a global number fills tel with or without user=phone */
        tel_is(&u, "+12155550123", false, NULL, NULL);
    }
}

static void test_sip_telephone_subscriber(void **state)
{
    (void)state;
    /* RFC 4769 §4.2 with every NP parameter, cic included */
    e2u_uri_t u = parse_ok("sip:+1-800-123-4567;cic=+1-6789@gw.example.com;user=phone");
    tel_is(&u, "+18001234567", false, NULL, "+16789");

    /* escapes in the user part are decoded for the number: %30 is '0' */
    u = parse_ok("sip:+1-215-555-%30123@gw.example.com;user=phone");
    tel_is(&u, "+12155550123", false, NULL, NULL);
    /* '[', ']', '@' and ':' must be escaped in a SIP user part (RFC 3261 §19.1.2) */
    u = parse_ok("sip:+1-215-555-0123;isub=%5Bx%5D%40y%3Az@gw.example.com;user=phone");
    tel_is(&u, "+12155550123", false, NULL, NULL);

    /* a local number only with user=phone; '#' escaped as %23 */
    const char *s = "sip:*67%23;phone-context=example.com@gw.example.com;user=phone";
    u = parse_ok(s);
    assert_true(u.tel.present);
    assert_false(u.tel.global);
    assert_string_equal(u.tel.local, "*67#");
    /* the context span borrows the user part: "sip:*67%23;phone-context=" is 25 octets */
    assert_ptr_equal(u.tel.context, s + 25);
    expect_span(u.tel.context, u.tel.context_len, "example.com");
    u = parse_ok("sip:7042;phone-context=example.com@gw.example.com");
    assert_false(u.tel.present);
    u = parse_ok("sip:bead;phone-context=example.com@gw.example.com");
    assert_false(u.tel.present);

    /* not a telephone-subscriber: a valid SIP URI all the same, tel.present false */
    static const char *const plain[] = {
        "sip:+foo@example.com",
        "sip:+@example.com;user=phone",
        "sip:+1-215-555-0123;rn=+1;rn=+2@gw.example.com;user=phone",   /* rn twice */
        "sip:+1-215-555-0123;rn=2155550199@gw.example.com;user=phone", /* no rn-context */
        "sip:%2B12155550123@gw.example.com;user=phone",                /* an escaped '+' is data */
        "sip:alice@example.com;user=phone",
        "sip:+1215;a=b=c@example.com",
    };
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        u = parse_ok(plain[i]);
        assert_false(u.tel.present);
        assert_non_null(u.user);
    }
}

static void test_sip_errors(void **state)
{
    (void)state;
    err("sip:", 4, "sip: URI without host");
    err("sips:", 5, "sips: URI without host");
    /* s0 i1 p2 :3 a4 l5 i6 c7 e8 @9 -> host at 10 */
    err("sip:alice@", 10, "sip: URI without host");
    err("sip:alice@;user=phone", 10, "sip: URI without host");
    err("sip:@example.com", 4, "empty user part");
    err("sip::secret@example.com", 4, "empty user part");
    err("sip:al[ice@example.com", 6, "'[' in the user part");
    err("sip:alice:se:cret@example.com", 12, "':' in the password");
    err("sip:alice@exa_mple.com", 13, "'_' in the host");
    err("sip:alice@example_com", 17, "'_'");
    /* "sip:alice@example.com" is 21 octets; ':' at 21, the port at 22 */
    err("sip:alice@example.com:", 22, "empty port");
    err("sip:alice@example.com:0", 22, "not in 1-65535");
    err("sip:alice@example.com:65536", 22, "not in 1-65535");
    err("sip:alice@example.com:99999999999999999999", 22, "not in 1-65535");
    err("sip:alice@example.com:5x", 23, "'x' in the port");
    err("sip:alice@[2001:db8::1", 10, "unterminated IPv6 reference");
    err("sip:alice@[2001:db8::g]", 10, "invalid IPv6 reference");
    err("sip:alice@[1:2:3:4:5:6:7:8:9]", 10, "invalid IPv6 reference");
    err("sip:alice@[1:2:3:4:5:6:7::8]", 10, "invalid IPv6 reference");
    err("sip:alice@[1::2::3]", 10, "invalid IPv6 reference");
    err("sip:alice@[:1]", 10, "invalid IPv6 reference");
    err("sip:alice@[1:]", 10, "invalid IPv6 reference");
    err("sip:alice@[12345::]", 10, "invalid IPv6 reference");
    err("sip:alice@[]", 10, "invalid IPv6 reference");
    err("sip:alice@[::1.2.3]", 10, "invalid IPv6 reference");
    /* s0 i1 p2 :3 [4 :5 :6 1(7) ]8 x9 */
    err("sip:[::1]x", 9, "'x' after the host");
    err("sip:alice@256.1.1.1", 10, "invalid IPv4 address");
    err("sip:alice@1.2.3", 10, "invalid IPv4 address");
    err("sip:alice@1.2.3.4.5", 10, "invalid IPv4 address");
    err("sip:alice@-a.com", 10, "starts with '-'");
    /* a0... "sip:alice@a" 0-10, '-' 11 */
    err("sip:alice@a-.com", 11, "ends with '-'");
    /* e10 x11 a12 m13 p14 l15 e16 -17 */
    err("sip:alice@example-", 17, "ends with '-'");
    err("sip:alice@[1g::1]", 10, "invalid IPv6 reference");
    err("sip:alice@[1:2:3:4:5:6:7:8:9:10]", 10, "invalid IPv6 reference");
    /* s0 i1 p2 :3 a4 @5 b6 ;7 @8 */
    err("sip:a@b;@", 8, "'@' in a uri-parameter");
    /* ?7 x8 @9 */
    err("sip:a@b?x@=1", 9, "'@' in a header name");
    err("sip:alice@a..com", 12, "empty label");
    err("sip:alice@.com", 10, "empty label");
    err("sip:alice@a.1", 12, "must start with a letter");
    err("sip:alice@example.com;", 22, "empty uri-parameter name");
    /* ';' 21, "transport" 22-30, '=' 31, value at 32 */
    err("sip:alice@example.com;transport=", 32, "empty value for uri-parameter");
    err("sip:alice@example.com;=udp", 22, "empty uri-parameter name");
    err("sip:alice@example.com;a=b=c", 25, "'='");
    /* ';' 21 'l' 22 'r' 23 '@' 24 */
    err("sip:alice@example.com;lr@x", 24, "'@'");
    err("sip:alice@example.com?", 22, "empty header name");
    /* '?' 21, "subject" 22-28 */
    err("sip:alice@example.com?subject", 29, "without '='");
    err("sip:alice@example.com?a=1&b", 27, "without '='");
    err("sip:alice@example.com?a=1&", 26, "empty header name");
    /* '?' 21 'a' 22 '=' 23 'b' 24 '=' 25 */
    err("sip:alice@example.com?a=b=c", 25, "'=' in a header value");
    err("sip:alice@example.com?a=b@c", 25, "'@'");
}

/* ---------------------------------------------------------------------------------------- */
/* pres:, im: — RFC 3859, RFC 3860 */

static void test_pres_im(void **state)
{
    (void)state;
    const char *s = "pres:fred@example.com";
    e2u_uri_t u = parse_ok(s); /* RFC 3859 §3.2 */
    assert_ptr_equal(u.user, s + 5);
    assert_ptr_equal(u.host, s + 10);
    expect_span(u.user, u.user_len, "fred");
    expect_span(u.host, u.host_len, "example.com");

    /* RFC 3860 Appendix B.2 */
    u = parse_ok("im:pepp=example.com/fred@relay-domain");
    assert_int_equal(u.scheme, E2U_SCHEME_IM);
    expect_span(u.user, u.user_len, "pepp=example.com/fred");
    expect_span(u.host, u.host_len, "relay-domain");

    /* [ to ] is optional: the scheme alone, or headers alone */
    u = parse_ok("pres:");
    assert_int_equal(u.scheme, E2U_SCHEME_PRES);
    assert_null(u.user);
    assert_null(u.host);
    u = parse_ok("im:");
    assert_int_equal(u.scheme, E2U_SCHEME_IM);
    u = parse_ok("pres:?subject=hi");
    assert_null(u.user);

    /* headers: hname and hvalue are *uric, so '=', '&', '?' may appear in them */
    u = parse_ok("pres:fred@example.com?subject=hello%20there&priority=urgent");
    expect_span(u.host, u.host_len, "example.com");
    parse_ok("im:fred@example.com?=");
    parse_ok("im:fred@example.com?a&b=c");
    parse_ok("im:fred@example.com?a=b=c?d");

    /* local parts: dot-atom, atext, %-escaped specials (a quoted local part) */
    u = parse_ok("im:first.last+tag@example.com");
    expect_span(u.user, u.user_len, "first.last+tag");
    parse_ok("im:%22fred%20x%22@example.com");
    parse_ok("pres:fred@[2001:db8::1]");
    parse_ok("pres:fred@192.0.2.1");
    parse_ok("PRES:fred@example.com");
}

static void test_pres_im_errors(void **state)
{
    (void)state;
    err("pres:fred", 5, "has no '@'");
    err("pres:@example.com", 5, "empty local part");
    err("pres:fred@", 10, "without a domain");
    err("pres:fred@?subject=x", 10, "without a domain");
    /* p0 r1 e2 s3 :4 f5 r6 (7 */
    err("pres:fr(ed@example.com", 7, "'(' in the mailbox local part");
    err("pres:fred,joe@example.com", 9, "','");
    err("pres:.fred@example.com", 5, "misplaced '.'");
    err("pres:fred.@example.com", 9, "misplaced '.'");
    /* f5 r6 e7 d8 .9 .10 */
    err("pres:fred..x@example.com", 10, "misplaced '.'");
    err("pres:fred@exa_mple.com", 13, "'_'");
    err("pres:fred@a@b", 11, "'@'");
    /* "pres:fred@example.com" is 21 octets; '?' at 21 */
    err("pres:fred@example.com?subject", 21, "without any name=value");
    err("pres:fred@example.com?", 21, "without any name=value");
    /* uric is RFC 2396's: no '[' */
    err("pres:fred@example.com?a=[b]", 24, "'['");
    /* i0 m1 :2 f3 r4 e5 d6 @7 e8 x9 a10 space11 */
    err("im:fred@exa mple.com", 11, "space");
    err("im:fred@-x.com", 8, "starts with '-'");
    err("im:fred", 3, "has no '@'");
}

/* ---------------------------------------------------------------------------------------- */
/* enum: — draft-brandner-enum-uri */

static void test_enum(void **state)
{
    (void)state;
    /* visual separators allowed (global-number-part); parameters ignored (§3.1) */
    e2u_uri_t u = parse_ok("enum:+43-1-123-456-7890");
    tel_is(&u, "+4311234567890", false, NULL, NULL);
    u = parse_ok("enum:+4311234567890;foo=bar;npdi;rn=junk;ext=1");
    tel_is(&u, "+4311234567890", false, NULL, NULL);
    assert_null(u.tel.ext);
    assert_null(u.tel.context);
    u = parse_ok("ENUM:+4311234567890");
    assert_int_equal(u.scheme, E2U_SCHEME_ENUM);
    /* parameters are ignored, so not even duplicates matter */
    parse_ok("enum:+4311234567890;a;a");

    err("enum:", 5, "no telephone number");
    /* local numbers are excluded (§2) */
    err("enum:4311234567890", 5, "global number");
    err("enum:7042;phone-context=example.com", 5, "global number");
    /* the ISDN subaddress is excluded (§2): e0 n1 u2 m3 :4 +5 4(6) 3(7) -8 1(9) ;10 isub 11 */
    err("enum:+43-1;isub=5", 11, "excludes the ISDN subaddress");
    err("enum:+43 1", 8, "space");
    err("enum:+", 6, "no digits");
    err("enum:+43;a=b=c", 12, "'='");
    err("enum:+43;", 9, "empty parameter name");
}

/* ---------------------------------------------------------------------------------------- */
/* the generic layer, and other schemes — RFC 3986 */

static void test_other_schemes(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "mailto:info@example.com", /* RFC 6116 §4 */
        "h323:operator@example.com",
        "http://www.example.com/path/to?q=1&r=a/b?c",
        "http://[::1]:8080/",
        "http://[v1.fe:x]/",
        "http://user:pw@host:/",
        "http://host:99999/", /* RFC 3986 port = *DIGIT, no range */
        "file:///etc/hosts",
        "urn:isbn:0451450523",
        "foo:",
        "data:,",
        "x-y.z+w:a:b@c/d;e=f,g!$&'()*",
        "news:comp.lang.c",
        "ldap://[2001:db8::7]/c=GB?objectClass?one",
        "fax:+358.555.1234567",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        e2u_uri_t u = parse_ok(ok[i]);
        assert_int_equal(u.scheme, E2U_SCHEME_OTHER);
        assert_ptr_equal(u.scheme_str, ok[i]);
        assert_ptr_equal(u.scheme_str + u.scheme_len, strchr(ok[i], ':'));
        assert_null(u.user);
        assert_null(u.host);
        assert_false(u.tel.present);
    }
    /* "sipx" and "tele" are other schemes, not sip / tel */
    assert_int_equal(parse_ok("sipx:a").scheme, E2U_SCHEME_OTHER);
    assert_int_equal(parse_ok("tele:a").scheme, E2U_SCHEME_OTHER);

    /* '[' and ']' only in an IP literal: f0 o1 o2 :3 a4 [5 */
    err("foo:a[1]", 5, "'[' in the path");
    err("mailto:a@b?x=[1]", 13, "'[' in the query");
    err("http://[::1", 7, "unterminated IP literal");
    err("http://[::g]/", 7, "invalid IP literal");
    err("http://[v.x]/", 7, "invalid IP literal");
    err("http://[v1.]/", 7, "invalid IP literal");
    err("http://[v1.a%41]/", 7, "invalid IP literal");     /* IPvFuture has no pct-encoded */
    err("http://[v1.a/b]/", 7, "unterminated IP literal"); /* the authority ends at "/" */
    err("http://[v1x]/", 7, "invalid IP literal");
    /* h0 t1 t2 p3 :4 /5 /6 h7 o8 s9 t10 :11 8(12) a13 */
    err("http://host:8a/", 13, "'a' in the port");
    err("http://us[er@host/", 9, "'[' in the userinfo");
    err("http://a@b@c/", 10, "'@' in the host");
    err("http://[::1]x/", 12, "'x' in the host");
}

static void test_generic_errors(void **state)
{
    (void)state;
    err("", 0, "empty URI");
    err("+12155550123", 0, "must start with a scheme");
    err("1tel:+1", 0, "must start with a scheme");
    err(":foo", 0, "must start with a scheme");
    /* no ':' at all: reported at the end, 11 */
    err("example.com", 11, "no ':'");
    err("sip user@example.com", 3, "space in the scheme");
    err("s_p:x", 1, "'_' in the scheme");
    /* a fragment: "tel:+12155550123" is 16 octets */
    err("tel:+12155550123#frag", 16, "fragment");
    err("http://example.com/#", 19, "fragment");
    /* %-escapes: "sip:alice@example.com" 21, ';' 21, 'x' 22, '=' 23, '%' 24 */
    err("sip:alice@example.com;x=%4", 24, "malformed %-escape");
    err("sip:alice@exa%zzmple.com", 13, "malformed %-escape");
    err("foo:%", 4, "malformed %-escape");
    err("foo:%a", 4, "malformed %-escape");
    err("foo:%g0", 4, "malformed %-escape");
    /* controls and octets >= 0x80 */
    err("sip:alice@example.com\n", 21, "0x0a");
    err("sip:al\xc3\xa9@example.com", 6, "0xc3");
    err("foo:a\x7f", 5, "0x7f");
    err("foo:a\tb", 5, "0x09");
    /* the octets RFC 3986 never allows */
    static const char bad[] = "\"<>\\^`{|} ";
    for (size_t i = 0; i < sizeof(bad) - 1; i++) {
        char s[8] = "foo:a?b";
        s[5] = bad[i];
        err(s, 5, "invalid character");
    }
    /* a NUL inside the given length is an octet like any other */
    expect_err("sip:alice@example.com\0;user=phone", 33, 21, "0x00");
    /* the scheme itself may not be escaped */
    err("%74el:+1", 0, "must start with a scheme");
}

/* ---------------------------------------------------------------------------------------- */
/* the contract: borrowing, bounds, clearing */

static void test_borrowing(void **state)
{
    (void)state;
    /* "sip:" 0-3, user 4-42 ("+1-215-555-0123;npdi;rn=+1-215-555-0199" is 15+5+4+15 = 39),
     * '@' 43, host 44-57, ";user=phone" 58-68 */
    const char *s = "sip:+1-215-555-0123;npdi;rn=+1-215-555-0199@gw.example.com;user=phone";
    e2u_uri_t u = parse_ok(s);
    assert_ptr_equal(u.scheme_str, s);
    assert_int_equal(u.scheme_len, 3);
    assert_ptr_equal(u.user, s + 4);
    assert_int_equal(u.user_len, 39);
    assert_ptr_equal(u.host, s + 44);
    assert_int_equal(u.host_len, 14);

    /* only len octets are read: the same text cut short is judged on its own */
    char buf[64] = "tel:+12155550123;npdi";
    memset(buf + 21, ' ', sizeof(buf) - 21); /* spaces over the NUL: not NUL-terminated */
    e2u_diag_t d;
    assert_int_equal(e2u_uri_parse(&u, buf, 21, &d), 0);
    tel_is(&u, "+12155550123", true, NULL, NULL);
    assert_int_equal(e2u_uri_parse(&u, buf, 16, &d), 0);
    tel_is(&u, "+12155550123", false, NULL, NULL);
    assert_int_equal(e2u_uri_parse(&u, buf, 22, &d), E2U_EURI);

    /* spans of a local rn / cic and an ext all borrow the input */
    s = "tel:+12155550123;rn=2155550199;rn-context=+1-215";
    u = parse_ok(s);
    /* ';' 16, "rn=" 17-19, value 20-29, ';' 30, "rn-context=" 31-41, value at 42 */
    assert_ptr_equal(u.tel.rn_context, s + 42);
    assert_int_equal(u.tel.rn_context_len, 6);
}

static void test_error_clears_out(void **state)
{
    (void)state;
    static const e2u_uri_t zero;
    e2u_uri_t u;
    e2u_diag_t d;
    /* failures late in the parse, after fields could have been filled */
    static const char *const late[] = {
        "sip:+12155550123@gw.example.com;user=phone?x",
        "tel:+1-215-555-0123;npdi;rn=+1-215-555-0199;rn=+1",
        "pres:fred@example.com?x",
        "enum:+4311234567890;isub=1",
        "tel:7042;ext=1",
    };
    for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++) {
        memset(&u, 0x5a, sizeof(u));
        assert_int_equal(e2u_uri_parse(&u, late[i], strlen(late[i]), &d), E2U_EURI);
        assert_memory_equal(&u, &zero, sizeof(u));
        assert_int_equal(u.scheme, E2U_SCHEME_OTHER);
        assert_null(u.scheme_str);
        assert_false(u.tel.present);
    }
    /* diag may be NULL */
    assert_int_equal(e2u_uri_parse(&u, "tel:x", 5, NULL), E2U_EURI);
    /* bad arguments */
    assert_int_equal(e2u_uri_parse(NULL, "tel:+1", 6, &d), E2U_EINVAL);
    assert_int_equal(e2u_uri_parse(&u, NULL, 3, &d), E2U_EINVAL);
    assert_memory_equal(&u, &zero, sizeof(u));
    assert_int_equal(e2u_uri_parse(&u, NULL, 0, &d), E2U_EURI);
}

static void test_long_input(void **state)
{
    (void)state;
    /* inputs beyond E2U_SUBST_OUT_MAX are parsed within their bounds */
    static char big[4096 + 64];
    size_t n = (size_t)snprintf(big, sizeof(big), "sip:alice@example.com;x=");
    memset(big + n, 'a', 4096);
    n += 4096;
    big[n] = '\0';
    e2u_uri_t u = parse_ok(big);
    expect_span(u.host, u.host_len, "example.com");
    big[n - 1] = ' ';
    err(big, n - 1, "space");

    /* a long hostname label: the grammar sets no length */
    n = (size_t)snprintf(big, sizeof(big), "sip:alice@");
    memset(big + n, 'b', 2000);
    n += 2000;
    big[n] = '\0';
    parse_ok(big);

    /* many '@' and ':' cannot make the parser quadratic or wander: just one error */
    memset(big, '@', 3000);
    memcpy(big, "sip:", 4);
    big[3000] = '\0';
    err(big, 4, "empty user part");
}

static void test_scheme_name(void **state)
{
    (void)state;
    assert_string_equal(e2u_scheme_name(E2U_SCHEME_SIP), "sip");
    assert_string_equal(e2u_scheme_name(E2U_SCHEME_SIPS), "sips");
    assert_string_equal(e2u_scheme_name(E2U_SCHEME_TEL), "tel");
    assert_string_equal(e2u_scheme_name(E2U_SCHEME_PRES), "pres");
    assert_string_equal(e2u_scheme_name(E2U_SCHEME_IM), "im");
    assert_string_equal(e2u_scheme_name(E2U_SCHEME_ENUM), "enum");
    assert_null(e2u_scheme_name(E2U_SCHEME_OTHER));
    assert_null(e2u_scheme_name((e2u_scheme_t)99));
}

/* ---------------------------------------------------------------------------------------- */
/* e2u_tel_to_sip — RFC 3261 §19.1.6 */

static void to_sip(const char *tel, const char *host, bool sips, const char *want)
{
    char buf[512];
    size_t n = 0;
    e2u_diag_t d;
    memset(buf, 'z', sizeof(buf));
    int rc = e2u_tel_to_sip(tel, strlen(tel), host, strlen(host), sips, buf, sizeof(buf), &n, &d);
    if (rc != 0)
        fail_msg("%s with %s: %s", tel, host, d.msg);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_tel_to_sip(void **state)
{
    (void)state;
    /* RFC 4769 §4.1 -> §4.2 and §4.3 -> §4.4 */
    to_sip("tel:+1-215-555-0123;npdi;rn=+1-215-555-0199", "gw.example.com", false,
           "sip:+1-215-555-0123;npdi;rn=+1-215-555-0199@gw.example.com;user=phone");
    to_sip("tel:+1-215-555-0123;npdi", "gw.example.com", false,
           "sip:+1-215-555-0123;npdi@gw.example.com;user=phone");
    /* RFC 3261 §19.1.6, both schemes */
    to_sip("tel:+358-555-1234567;postd=pp22", "foo.com", false,
           "sip:+358-555-1234567;postd=pp22@foo.com;user=phone");
    to_sip("tel:+358-555-1234567;postd=pp22", "foo.com", true,
           "sips:+358-555-1234567;postd=pp22@foo.com;user=phone");
    to_sip("tel:+358-555-1234567;phone-context=5;tsp=a.b", "foo.com", false,
           "sip:+358-555-1234567;phone-context=5;tsp=a.b@foo.com;user=phone");
    /* RFC 4694 §6 A, cic kept as written */
    to_sip("tel:+1-800-123-4567;cic=+1-6789", "gw.example.com", false,
           "sip:+1-800-123-4567;cic=+1-6789@gw.example.com;user=phone");
    /* the scheme is lower-cased, the subscriber kept as written (case and order) */
    to_sip("TEL:+1-215-555-0123;RN=+1-215-555-0199;NPDI", "gw.example.com", false,
           "sip:+1-215-555-0123;RN=+1-215-555-0199;NPDI@gw.example.com;user=phone");
    /* what `user` does not allow is escaped: '@' %40, ':' %3A, '[' %5B, ']' %5D; '?' and '/'
     * are user-unreserved and stay */
    to_sip("tel:+1-215-555-0123;isub=a@b:c?d/e", "gw.example.com", false,
           "sip:+1-215-555-0123;isub=a%40b%3Ac?d/e@gw.example.com;user=phone");
    to_sip("tel:+1;foo=[x]", "h.example", false, "sip:+1;foo=%5Bx%5D@h.example;user=phone");
    /* existing escapes are never encoded twice (RFC 3986 §2.4) */
    to_sip("tel:*67%23;phone-context=example.com", "gw.example.com", false,
           "sip:*67%23;phone-context=example.com@gw.example.com;user=phone");
    /* hosts: port, IPv4, IPv6, trailing dot */
    to_sip("tel:+12155550123", "gw.example.com:5061", true,
           "sips:+12155550123@gw.example.com:5061;user=phone");
    to_sip("tel:+12155550123", "192.0.2.10", false, "sip:+12155550123@192.0.2.10;user=phone");
    to_sip("tel:+12155550123", "[2001:db8::1]:5060", false,
           "sip:+12155550123@[2001:db8::1]:5060;user=phone");
    to_sip("tel:+12155550123", "gw.example.com.", false,
           "sip:+12155550123@gw.example.com.;user=phone");
}

static void test_tel_to_sip_round_trip(void **state)
{
    (void)state;
    static const char *const tels[] = {
        "tel:+1-215-555-0123;npdi;rn=+1-215-555-0199",
        "tel:+1-215-555-0123;isub=a@b:c?d/e",
        "tel:7042;phone-context=example.com",
        "tel:*67%23;phone-context=+1-914-555",
        "tel:+12155550123;rn=2155550199;rn-context=+1;cic=6789;cic-context=example.net",
    };
    for (size_t i = 0; i < sizeof(tels) / sizeof(tels[0]); i++) {
        char buf[256];
        size_t n;
        e2u_uri_t t = parse_ok(tels[i]);
        assert_int_equal(e2u_tel_to_sip(tels[i], strlen(tels[i]), "gw.example.com", 14, false, buf,
                                        sizeof(buf), &n, NULL),
                         0);
        e2u_uri_t s = parse_ok(buf);
        assert_int_equal(s.scheme, E2U_SCHEME_SIP);
        assert_true(s.user_phone);
        expect_span(s.host, s.host_len, "gw.example.com");
        assert_true(s.tel.present);
        assert_int_equal(s.tel.global, t.tel.global);
        assert_string_equal(s.tel.number.aus, t.tel.number.aus);
        assert_string_equal(s.tel.local, t.tel.local);
        assert_string_equal(s.tel.rn, t.tel.rn);
        assert_string_equal(s.tel.cic, t.tel.cic);
        assert_int_equal(s.tel.npdi, t.tel.npdi);
    }
}

static void test_tel_to_sip_errors(void **state)
{
    (void)state;
    char buf[128];
    size_t n = 12345;
    e2u_diag_t d;
    const char *tel = "tel:+1-215-555-0123;npdi";
    size_t tl = strlen(tel);

    /* not a tel: URI */
    memset(buf, 'z', sizeof(buf));
    assert_int_equal(e2u_tel_to_sip("sip:+1@x", 8, "h", 1, false, buf, sizeof(buf), &n, &d),
                     E2U_EURI);
    assert_int_equal(d.pos, 0);
    assert_non_null(strstr(d.msg, "not a tel: URI"));
    assert_string_equal(buf, "");
    assert_int_equal(n, 12345);
    assert_int_equal(e2u_tel_to_sip("enum:+1", 7, "h", 1, false, buf, sizeof(buf), &n, &d),
                     E2U_EURI);
    /* an invalid tel: URI: the position is in tel */
    assert_int_equal(e2u_tel_to_sip("tel:+1 2", 8, "h", 1, false, buf, sizeof(buf), &n, &d),
                     E2U_EURI);
    assert_int_equal(d.pos, 6);

    /* bad hosts: the position is in host */
    static const struct {
        const char *host;
        size_t pos;
        const char *needle;
    } hosts[] = {
        {"", 0, "no host"},
        {"gw example", 2, "space"},
        {"gw.example.com:", 15, "empty port"},
        {"gw.example.com:0", 15, "not in 1-65535"},
        {"gw.example.com:5060x", 19, "'x'"},
        {"gw.example.com;user=ip", 14, "';'"},
        {"a@b", 1, "'@'"},
        {"[::1", 0, "invalid IPv6"},
        {"[::1]x", 5, "'x' after the host"},
        {"-gw.example.com", 0, "starts with '-'"},
        {"300.1.1.1", 0, "invalid IPv4"},
        {"gw.example.com/x", 14, "'/'"},
    };
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        int rc = e2u_tel_to_sip(tel, tl, hosts[i].host, strlen(hosts[i].host), false, buf,
                                sizeof(buf), &n, &d);
        if (rc != E2U_EURI || d.pos != hosts[i].pos || !strstr(d.msg, hosts[i].needle))
            fail_msg("host '%s': rc %d pos %zu '%s'", hosts[i].host, rc, d.pos, d.msg);
        assert_string_equal(buf, "");
    }

    /* the buffer: "sip:+1-215-555-0123;npdi@h;user=phone" is 4 + 20 + 1 + 1 + 11 = 37 octets */
    const char *want = "sip:+1-215-555-0123;npdi@h;user=phone";
    assert_int_equal(strlen(want), 37);
    assert_int_equal(e2u_tel_to_sip(tel, tl, "h", 1, false, buf, 38, &n, &d), 0);
    assert_string_equal(buf, want);
    assert_int_equal(n, 37);
    n = 999;
    memset(buf, 'z', sizeof(buf));
    assert_int_equal(e2u_tel_to_sip(tel, tl, "h", 1, false, buf, 37, &n, &d), E2U_ENOSPC);
    assert_string_equal(buf, "");
    assert_int_equal(n, 999);
    assert_non_null(strstr(d.msg, "38 bytes"));
    assert_int_equal(buf[37], 'z'); /* nothing written past cap */
    assert_int_equal(e2u_tel_to_sip(tel, tl, "h", 1, false, NULL, 0, NULL, &d), E2U_ENOSPC);
    assert_int_equal(e2u_tel_to_sip(tel, tl, "h", 1, false, buf, 1, NULL, NULL), E2U_ENOSPC);
    assert_string_equal(buf, "");
    /* outlen and diag may be NULL */
    assert_int_equal(e2u_tel_to_sip(tel, tl, "h", 1, true, buf, sizeof(buf), NULL, NULL), 0);
    assert_string_equal(buf, "sips:+1-215-555-0123;npdi@h;user=phone");
    /* bad arguments */
    assert_int_equal(e2u_tel_to_sip(NULL, 5, "h", 1, false, buf, sizeof(buf), NULL, &d),
                     E2U_EINVAL);
    assert_int_equal(e2u_tel_to_sip(tel, tl, NULL, 1, false, buf, sizeof(buf), NULL, &d),
                     E2U_EINVAL);
    assert_int_equal(e2u_tel_to_sip(tel, tl, "h", 1, false, NULL, 10, NULL, &d), E2U_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4769_records),   cmocka_unit_test(test_seed_enumservices),
        cmocka_unit_test(test_rfc3966_examples),  cmocka_unit_test(test_rfc4694_examples),
        cmocka_unit_test(test_tel_np_forms),      cmocka_unit_test(test_tel_params),
        cmocka_unit_test(test_tel_lengths),       cmocka_unit_test(test_tel_errors),
        cmocka_unit_test(test_tel_param_limit),   cmocka_unit_test(test_sip_forms),
        cmocka_unit_test(test_sip_user_phone),    cmocka_unit_test(test_sip_telephone_subscriber),
        cmocka_unit_test(test_sip_errors),        cmocka_unit_test(test_pres_im),
        cmocka_unit_test(test_pres_im_errors),    cmocka_unit_test(test_enum),
        cmocka_unit_test(test_other_schemes),     cmocka_unit_test(test_generic_errors),
        cmocka_unit_test(test_borrowing),         cmocka_unit_test(test_error_clears_out),
        cmocka_unit_test(test_long_input),        cmocka_unit_test(test_scheme_name),
        cmocka_unit_test(test_tel_to_sip),        cmocka_unit_test(test_tel_to_sip_round_trip),
        cmocka_unit_test(test_tel_to_sip_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
