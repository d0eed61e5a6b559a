/*
 * tests/unit/test_number.c — written numbers to the AUS, and AUS <-> ENUM domain.
 *
 * Expected values come from the RFC texts: RFC 6116 §3.1 ("+44-116-496-0348" gives
 * "+441164960348") and §3.2 (+442079460148 gives 8.4.1.0.6.4.9.7.0.2.4.4.e164.arpa.), RFC 4769 §4
 * (+1-215-555-0123 lives at 3.2.1.0.5.5.5.5.1.2.1.e164.arpa.), draft-brandner-enum-uri §3.2.2
 * (+432221234567890 lives at 0.9.8.7.6.5.4.3.2.1.2.2.2.3.4.e164.arpa.), and DESIGN.md §1 for the
 * accepted forms. Positions are byte offsets counted by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "e2u/e2u.h"

static int parse(e2u_number_t *n, const char *s, e2u_diag_t *d)
{
    return e2u_number_parse(n, s, strlen(s), NULL, d);
}

static void test_written_forms(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "+1 (215) 555-0123", "+1.215.555.0123", "tel:+1-215-555-0123;npdi",
        "enum:+12155550123", "+12155550123",    "  +12155550123\n",
        "TEL:+1-215-555-0123", "tel:+1-215-555-0123;npdi;rn=+1-215-555-0199",
        "enum:+1-215-555-0123;foo=bar",
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        e2u_number_t n;
        e2u_diag_t d;
        assert_int_equal(parse(&n, forms[i], &d), 0);
        assert_string_equal(n.aus, "+12155550123");
        assert_int_equal(n.ndigits, 11);
    }
}

static void test_rfc6116_aus(void **state)
{
    (void)state;
    e2u_number_t n;
    /* RFC 6116 §3.1 */
    assert_int_equal(parse(&n, "+44-116-496-0348", NULL), 0);
    assert_string_equal(n.aus, "+441164960348");
}

static void expect_error(const char *s, int code, size_t pos, const char *needle)
{
    e2u_number_t n;
    e2u_diag_t d;
    memset(&d, 0, sizeof(d));
    assert_int_equal(parse(&n, s, &d), code);
    assert_int_equal(d.code, code);
    assert_int_equal(d.pos, pos);
    if (needle && !strstr(d.msg, needle))
        fail_msg("message '%s' lacks '%s'", d.msg, needle);
    assert_int_equal(n.ndigits, 0);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("+1 215 x55 0123", E2U_ENUMBER, 7, "'x' at position 7");
    expect_error("2155550123", E2U_ENUMBER, 0, "missing '+'");
    expect_error("", E2U_ENUMBER, 0, "empty");
    expect_error("   ", E2U_ENUMBER, 3, "empty");
    expect_error("+", E2U_ENUMBER, 1, "no digits");
    expect_error("+--", E2U_ENUMBER, 3, "no digits");
    /* 16 digits: the 16th digit is at position 16 */
    expect_error("+1234567890123456", E2U_ENUMBER, 16, "more than 15");
    /* spaces are not part of a tel: URI (RFC 3966 §3) */
    expect_error("tel:+1 215", E2U_ENUMBER, 6, "space at position 6");
    expect_error("sip:+12155550123@example.com", E2U_ENUMBER, 0, "unsupported URI scheme 'sip:'");
    expect_error("+0123", E2U_ENUMBER, 1, "country code");
    expect_error("+1215;npdi", E2U_ENUMBER, 5, "';'");
    expect_error("tel:+1215;", E2U_ENUMBER, 9, "empty parameter");
    expect_error("tel:+1215;a=b c", E2U_ENUMBER, 13, "space");
    expect_error("tel:+1215;a=%zz", E2U_ENUMBER, 12, "%-escape");
    expect_error("tel:", E2U_ENUMBER, 4, "no number");
    expect_error("+1 215\x01", E2U_ENUMBER, 6, "0x01");
    expect_error("+12+3", E2U_ENUMBER, 3, "'+'");
}

static void test_private_length(void **state)
{
    (void)state;
    e2u_number_t n;
    e2u_number_opts_t o = {.max_digits = 20};
    const char *s = "+1234567890123456"; /* 16 digits */
    assert_int_equal(e2u_number_parse(&n, s, strlen(s), &o, NULL), 0);
    assert_string_equal(n.aus, s);
    o.max_digits = 63;
    char big[80] = "+";
    for (int i = 0; i < 63; i++)
        big[1 + i] = (char)('1' + i % 9);
    big[64] = '\0';
    assert_int_equal(e2u_number_parse(&n, big, strlen(big), &o, NULL), 0);
    assert_int_equal(n.ndigits, 63);
    big[64] = '1';
    big[65] = '\0';
    assert_int_equal(e2u_number_parse(&n, big, strlen(big), &o, NULL), E2U_ENUMBER);
    /* values above the cap are clamped to it */
    o.max_digits = 1000;
    assert_int_equal(e2u_number_parse(&n, big, strlen(big), &o, NULL), E2U_ENUMBER);
}

static void test_from_digits(void **state)
{
    (void)state;
    e2u_number_t n;
    assert_int_equal(e2u_number_from_digits(&n, "+12155550123", 12, 0), 0);
    assert_string_equal(n.aus, "+12155550123");
    assert_int_equal(e2u_number_from_digits(&n, "12155550123", 11, 0), 0);
    assert_string_equal(n.aus, "+12155550123");
    assert_int_equal(e2u_number_from_digits(&n, "1-215", 5, 0), E2U_ENUMBER);
    assert_int_equal(e2u_number_from_digits(&n, "", 0, 0), E2U_ENUMBER);
    assert_int_equal(e2u_number_from_digits(&n, "1234567890123456", 16, 0), E2U_ENUMBER);
    assert_int_equal(e2u_number_from_digits(&n, "1234567890123456", 16, 16), 0);
}

static void to_domain(const char *num, const char *suffix, const char *want)
{
    e2u_number_t n;
    char buf[E2U_DOMAIN_TEXT_MAX];
    size_t len;
    assert_int_equal(parse(&n, num, NULL), 0);
    assert_int_equal(e2u_number_to_domain(&n, suffix, buf, sizeof(buf), &len), 0);
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
}

static void test_to_domain(void **state)
{
    (void)state;
    to_domain("+442079460148", NULL, "8.4.1.0.6.4.9.7.0.2.4.4.e164.arpa."); /* RFC 6116 §3.2 */
    to_domain("+1-215-555-0123", "e164.arpa", "3.2.1.0.5.5.5.5.1.2.1.e164.arpa."); /* 4769 §4 */
    to_domain("+432221234567890", "e164.arpa.",
              "0.9.8.7.6.5.4.3.2.1.2.2.2.3.4.e164.arpa."); /* enum: draft §3.2.2 */
    to_domain("+12155550123", "e164.example.net", "3.2.1.0.5.5.5.5.1.2.1.e164.example.net.");
    to_domain("+1", ".", "1.");

    e2u_number_t n;
    char small[10];
    assert_int_equal(parse(&n, "+12155550123", NULL), 0);
    assert_int_equal(e2u_number_to_domain(&n, NULL, small, sizeof(small), NULL), E2U_ENOSPC);
    char buf[E2U_DOMAIN_TEXT_MAX];
    assert_int_equal(e2u_number_to_domain(&n, "bad..suffix", buf, sizeof(buf), NULL), E2U_EDNAME);
    /* 63 digits = 126 octets; a 130-octet suffix makes the name too long for 255 */
    e2u_number_opts_t o = {.max_digits = 63};
    char big[70] = "+";
    memset(big + 1, '7', 63);
    big[64] = '\0';
    assert_int_equal(e2u_number_parse(&n, big, 64, &o, NULL), 0);
    char suf[200];
    memset(suf, 'a', 60);
    suf[60] = '.';
    memset(suf + 61, 'b', 60);
    suf[121] = '.';
    memset(suf + 122, 'c', 6);
    suf[128] = '\0'; /* wire length 61 + 61 + 7 + 1 = 130 */
    assert_int_equal(e2u_number_to_domain(&n, suf, buf, sizeof(buf), NULL), E2U_EDNAME);
}

static void test_from_domain(void **state)
{
    (void)state;
    e2u_number_t n;
    e2u_diag_t d;
    size_t off = 0;
    const char *dom = "3.2.1.0.5.5.5.5.1.2.1.e164.arpa.";
    assert_int_equal(e2u_number_from_domain(&n, dom, strlen(dom), NULL, NULL, &off, &d), 0);
    assert_string_equal(n.aus, "+12155550123");
    assert_int_equal(off, 22); /* "e164.arpa." starts after 11 "d." pairs */
    assert_int_equal(e2u_number_from_domain(&n, dom, strlen(dom), "e164.arpa", NULL, NULL, &d),
                     0);
    const char *upper = "8.4.1.0.6.4.9.7.0.2.4.4.E164.ARPA";
    assert_int_equal(
        e2u_number_from_domain(&n, upper, strlen(upper), "e164.arpa.", NULL, NULL, &d), 0);
    assert_string_equal(n.aus, "+442079460148");

    assert_int_equal(e2u_number_from_domain(&n, dom, strlen(dom), "e164.org", NULL, NULL, &d),
                     E2U_EDOMAIN);
    assert_non_null(strstr(d.msg, "does not end in the suffix"));
    const char *mid = "3.2.x.1.e164.arpa";
    assert_int_equal(e2u_number_from_domain(&n, mid, strlen(mid), "e164.arpa", NULL, NULL, &d),
                     E2U_EDOMAIN);
    assert_int_equal(d.pos, 4);
    assert_non_null(strstr(d.msg, "not a single digit"));
    assert_int_equal(e2u_number_from_domain(&n, "3.2.1", 5, NULL, NULL, NULL, &d), E2U_EDOMAIN);
    assert_non_null(strstr(d.msg, "no suffix"));
    assert_int_equal(e2u_number_from_domain(&n, "e164.arpa", 9, NULL, NULL, NULL, &d),
                     E2U_EDOMAIN);
    assert_int_equal(e2u_number_from_domain(&n, "12.e164.arpa", 12, NULL, NULL, NULL, &d),
                     E2U_EDOMAIN);
    /* a suffix that itself begins with digit labels (found by fuzzing): the labels before
     * the suffix are the number, no more */
    const char *dig = "6.5.4.3.2.1.0.3.9.4.9.4.e164.arpa.";
    assert_int_equal(
        e2u_number_from_domain(&n, dig, strlen(dig), "9.4.e164.arpa", NULL, &off, &d), 0);
    assert_string_equal(n.aus, "+4930123456");
    assert_int_equal(off, 20);
    assert_int_equal(e2u_number_from_domain(&n, "1.2.e164.arpa", 13, "2.e164.arpa", NULL, NULL,
                                            &d),
                     0);
    assert_string_equal(n.aus, "+1");
    assert_int_equal(e2u_number_from_domain(&n, "2.e164.arpa", 11, "2.e164.arpa", NULL, NULL, &d),
                     E2U_EDOMAIN);
    assert_non_null(strstr(d.msg, "no digit labels"));
    /* 16 digit labels under E.164 limits */
    const char *long16 = "1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.e164.arpa";
    assert_int_equal(
        e2u_number_from_domain(&n, long16, strlen(long16), NULL, NULL, NULL, &d), E2U_ENUMBER);
    e2u_number_opts_t o = {.max_digits = 16};
    assert_int_equal(e2u_number_from_domain(&n, long16, strlen(long16), NULL, &o, NULL, &d), 0);
    assert_string_equal(n.aus, "+6543210987654321");
}

static void test_round_trip(void **state)
{
    (void)state;
    static const char *const nums[] = {"+1", "+12155550123", "+441164960348",
                                       "+432221234567890", "+999999999999999"};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        e2u_number_t n, m;
        char buf[E2U_DOMAIN_TEXT_MAX];
        size_t len;
        assert_int_equal(parse(&n, nums[i], NULL), 0);
        assert_int_equal(e2u_number_to_domain(&n, "e164.arpa", buf, sizeof(buf), &len), 0);
        assert_int_equal(
            e2u_number_from_domain(&m, buf, len, "e164.arpa", NULL, NULL, NULL), 0);
        assert_string_equal(m.aus, n.aus);
        assert_int_equal(e2u_number_to_domain(&n, "9.4.e164.arpa", buf, sizeof(buf), &len), 0);
        assert_int_equal(
            e2u_number_from_domain(&m, buf, len, "9.4.e164.arpa", NULL, NULL, NULL), 0);
        assert_string_equal(m.aus, n.aus);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written_forms), cmocka_unit_test(test_rfc6116_aus),
        cmocka_unit_test(test_errors),        cmocka_unit_test(test_private_length),
        cmocka_unit_test(test_from_digits),   cmocka_unit_test(test_to_domain),
        cmocka_unit_test(test_from_domain),   cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
