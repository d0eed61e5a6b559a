/*
 * tests/unit/test_subst.c — substitution expressions (RFC 3402 §3.2) and their bounds.
 *
 * Expected outputs are those the specifications state: RFC 6116 §4 (sip:\1@example.com on
 * +441632960083), RFC 4769 §4.5 (tel:\1;npdi), draft-brandner-enum-uri §3.2.2 (enum:+431\1,
 * whose ERE the specs README notes must escape the '+' to match an RFC 6116 AUS), RFC 3402
 * §3.2's back-reference example, RFC 5483 §2.4 and §4.1.1. Written in C strings, so each
 * backslash of the wire form appears doubled here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "e2u/e2u.h"

static e2u_regex_t *rx;

static int setup(void **state)
{
    (void)state;
    return e2u_regex_new(&rx, NULL);
}

static int teardown(void **state)
{
    (void)state;
    e2u_regex_free(rx);
    return 0;
}

/* Apply expr to subject; return the code, output in out. */
static int apply(const char *expr, const char *subject, char *out, size_t cap, e2u_diag_t *d)
{
    e2u_subst_t s;
    int rc = e2u_subst_parse(&s, expr, strlen(expr), d);
    if (rc < 0)
        return rc;
    return e2u_subst_apply(rx, &s, subject, strlen(subject), out, cap, NULL, d);
}

static void expect(const char *expr, const char *subject, const char *want)
{
    char out[E2U_SUBST_OUT_MAX + 1];
    e2u_diag_t d;
    int rc = apply(expr, subject, out, sizeof(out), &d);
    if (rc != 0)
        fail_msg("%s on %s: %d %s", expr, subject, rc, d.msg);
    assert_string_equal(out, want);
}

static void expect_rc(const char *expr, const char *subject, int code)
{
    char out[E2U_SUBST_OUT_MAX + 1];
    e2u_diag_t d;
    memset(&d, 0, sizeof(d));
    int rc = apply(expr, subject, out, sizeof(out), &d);
    if (rc != code)
        fail_msg("%s on %s: got %d (%s), want %d", expr, subject, rc, d.msg, code);
}

static void test_parse(void **state)
{
    (void)state;
    e2u_subst_t s;
    const char *e1 = "!^.*$!sip:info@example.com!";
    assert_int_equal(e2u_subst_parse(&s, e1, strlen(e1), NULL), 0);
    assert_int_equal(s.delim, '!');
    assert_int_equal(s.ere_len, 4);
    assert_memory_equal(s.ere, "^.*$", 4);
    assert_ptr_equal(s.ere, e1 + 1);
    assert_int_equal(s.repl_len, 20);
    assert_false(s.icase);
    assert_int_equal(s.max_backref, 0);
    const char *e2 = "/^\\+1(.*)$/tel:+1\\1/i";
    assert_int_equal(e2u_subst_parse(&s, e2, strlen(e2), NULL), 0);
    assert_int_equal(s.delim, '/');
    assert_true(s.icase);
    assert_int_equal(s.max_backref, 1);
    /* an escaped delimiter does not end a part (RFC 3402 §3.2, RFC 5483 §2.3) */
    const char *e3 = "!^.*$!http://example.com/\\!x!";
    assert_int_equal(e2u_subst_parse(&s, e3, strlen(e3), NULL), 0);
    assert_int_equal(s.repl_len, 22);
    /* 'i' is a legal delimiter when no flag follows */
    const char *e4 = "i^.*$ixi";
    assert_int_equal(e2u_subst_parse(&s, e4, strlen(e4), NULL), 0);
    assert_int_equal(s.delim, 'i');
    assert_false(s.icase);
}

static void parse_error(const char *expr, size_t pos, const char *needle)
{
    e2u_subst_t s;
    e2u_diag_t d;
    memset(&d, 0, sizeof(d));
    int rc = e2u_subst_parse(&s, expr, strlen(expr), &d);
    if (rc != E2U_EREGEXP || d.pos != pos || !strstr(d.msg, needle))
        fail_msg("%s: rc %d pos %zu '%s'", expr, rc, d.pos, d.msg);
}

static void test_parse_errors(void **state)
{
    (void)state;
    parse_error("", 0, "empty");
    parse_error("1^.*$1x1", 0, "delimiter");   /* digits cannot delimit (RFC 3402 §3.2) */
    parse_error("\\^.*$\\x\\", 0, "delimiter");
    parse_error("!^.*$!x", 7, "found 2");      /* two delimiters only */
    parse_error("!^.*$", 5, "found 1");
    parse_error("!^.*$!x!y", 8, "unknown flag");
    parse_error("!^.*$!x!!", 8, "more than three");
    parse_error("i^.*$ixii", 0, "'i' cannot be the delimiter");
    parse_error("!!x!", 1, "empty regular expression");
    parse_error("!^(.*)$!\\0!", 8, "\\0");
    parse_error("!^(.*)$!a\\nb!", 9, "unknown escape");
    parse_error("!^.*$!x\\!", 9, "found 2");   /* the last '!' is escaped */
}

static void test_spec_examples(void **state)
{
    (void)state;
    /* RFC 6116 §4 */
    expect("!^(\\+441632960083)$!sip:\\1@example.com!", "+441632960083",
           "sip:+441632960083@example.com");
    expect("!^\\+441632960083$!h323:operator@example.com!", "+441632960083",
           "h323:operator@example.com");
    expect("!^.*$!mailto:info@example.com!", "+441632960083", "mailto:info@example.com");
    expect_rc("!^(\\+441632960083)$!sip:\\1@example.com!", "+441632960084", E2U_ENOMATCH);
    /* RFC 4769 §4.5 */
    expect("!(^.*$)!tel:\\1;npdi!", "+12155550123", "tel:+12155550123;npdi");
    /* RFC 4769 §4.1 */
    expect("!^.*$!tel:+1-215-555-0123;npdi;rn=+1-215-555-0199!", "+12155550123",
           "tel:+1-215-555-0123;npdi;rn=+1-215-555-0199");
    /* draft-brandner-enum-uri §3.2.2 (i) and (ii), with the '+' of the AUS escaped */
    expect("!^\\+43222(.*)$!enum:+431\\1!", "+432221234567890", "enum:+4311234567890");
    expect("!^\\+43222(.*)$!enum:+431\\1!", "+432228765432109", "enum:+4318765432109");
    /* as printed in the draft, the ERE does not match an AUS (specs README) */
    expect_rc("!^43222(.*)$!enum:+431\\1!", "+432221234567890", E2U_ENOMATCH);
    /* RFC 5483 §4.1.1 */
    expect("!^(\\+441632960.*)$!sips:\\1@atlanta.example.com!", "+441632960123",
           "sips:+441632960123@atlanta.example.com");
    expect("!^(.*)$!sip:\\1@biloxi.example.com!", "+441632960123",
           "sip:+441632960123@biloxi.example.com");
    /* RFC 3403 §6.2, legacy record with the 'i' flag */
    expect("!^.*$!sip:information@foo.se!i", "+4689761234", "sip:information@foo.se");
}

static void test_rfc3402_backrefs(void **state)
{
    (void)state;
    /* RFC 3402 §3.2: (A(B(C)DE)(F)G) gives \1 = ABCDEFG, \2 = BCDE, \3 = C, \4 = F,
     * and \5..\9 are errors. */
    expect("!(A(B(C)DE)(F)G)!\\1,\\2,\\3,\\4!", "ABCDEFG", "ABCDEFG,BCDE,C,F");
    expect_rc("!(A(B(C)DE)(F)G)!\\5!", "ABCDEFG", E2U_EREGEXP);
    /* a group that exists but did not take part expands to nothing */
    expect("!^(x)?(\\+1)(.*)$![\\1][\\2][\\3]!", "+1215", "[][+1][215]");
    /* the unmatched rest of the subject is not kept: the replacement is the output */
    expect("!1!one!", "+12155550123", "one");
    /* \\ is a literal backslash, \<delim> the delimiter */
    expect("!^.*$!a\\\\b\\!c!", "+1", "a\\b!c");
    expect("#^.*$#a\\#b!c#", "+1", "a#b!c");
}

static void test_ere_dialect(void **state)
{
    (void)state;
    char buf[1100];
    unsigned ng;
    e2u_diag_t d;
    /* RFC 5483 §2.4's common mistake: an unescaped '+' after '^' is taken literally */
    assert_int_equal(e2u_ere_translate("^+4655(.*)$", 11, '!', buf, sizeof(buf), &ng, &d), 0);
    assert_string_equal(buf, "^\\+4655(.*)$");
    assert_int_equal(ng, 1);
    expect("!^+4655(.*)$!sip:\\1@example.net!", "+46551234", "sip:1234@example.net");
    expect("!^\\+4655(.*)$!sip:\\1@example.net!", "+46551234", "sip:1234@example.net");
    /* an escaped delimiter inside the ERE is the delimiter itself */
    expect("!^\\+1(\\!)?.*$!ok!", "+1", "ok");
    /* POSIX brackets: '\' is literal inside; ']' first is literal; classes work */
    expect("!^[\\]$!backslash!", "\\", "backslash");
    expect("!^[]x]$!bracket!", "]", "bracket");
    expect("!^\\+[[:digit:]]+$!digits!", "+12155550123", "digits");
    expect_rc("!^\\+[[:alpha:]]+$!x!", "+12155550123", E2U_ENOMATCH);
    /* intervals */
    expect("!^\\+1[0-9]{10}$!nanp!", "+12155550123", "nanp");
    expect_rc("!^\\+1[0-9]{11,}$!x!", "+12155550123", E2U_ENOMATCH);
    /* '.' matches any octet and '$' only the end (POSIX) */
    expect("!^a.b$!ok!", "a\nb", "ok");
    expect_rc("!^ab$!x!", "ab\n", E2U_ENOMATCH);
    /* the i flag */
    expect("!^ABC$!ok!i", "abc", "ok");
    expect_rc("!^ABC$!ok!", "abc", E2U_ENOMATCH);
    /* ')' without '(' is an ordinary character in POSIX ERE */
    expect("!^a)$!paren!", "a)", "paren");
}

static void test_refused_patterns(void **state)
{
    (void)state;
    expect_rc("!(a)\\1!x!", "aa", E2U_EREGEXP);      /* back-reference in the pattern */
    expect_rc("!\\d+!x!", "+1", E2U_EREGEXP);         /* Perl class */
    expect_rc("!(?=1)!x!", "+1", E2U_EREGEXP);        /* Perl group */
    expect_rc("!a*?!x!", "a", E2U_EREGEXP);           /* lazy quantifier */
    expect_rc("!a++!x!", "a", E2U_EREGEXP);           /* possessive quantifier */
    expect_rc("!x{10,}{10,}{10,}!y!", "x", E2U_EREGEXP);
    expect_rc("!x{3,2}!y!", "x", E2U_EREGEXP);
    expect_rc("!^1$*!y!", "1", E2U_EREGEXP);            /* quantified anchor: undefined */
    expect_rc("!^1${2}!y!", "1", E2U_EREGEXP);
    expect_rc("!x{256}!y!", "x", E2U_EREGEXP);
    expect_rc("!x{!y!", "x", E2U_EREGEXP);
    expect_rc("!{2}!y!", "x", E2U_EREGEXP);
    expect_rc("![a!y!", "a", E2U_EREGEXP);
    expect_rc("![[.a.]]!y!", "a", E2U_EREGEXP);
    expect_rc("![[:nope:]]!y!", "a", E2U_EREGEXP);
    expect_rc("!(a!y!", "a", E2U_EREGEXP);
    expect_rc("!^.*$!\\1!", "+1", E2U_EREGEXP);       /* \1 without a group */
    /* PCRE2 verbs cannot be reached: "(*ACCEPT)" is a group starting with a literal '*' */
    expect_rc("!^(*ACCEPT)x!y!", "+1", E2U_ENOMATCH);
    expect("!^(*ACCEPT)$!y!", "*ACCEPT", "y");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Catastrophic patterns must end with a result or a limit error. This asserts the outcome, not
 * a time: the limits make the engine stop, whatever the machine. */
static void test_hostile_patterns(void **state)
{
    (void)state;
    char subj[64];
    memset(subj, 'a', 40);
    subj[40] = '\0';
    char out[64];
    e2u_diag_t d;
    double t0 = now();
    int rc = apply("!(a*)*b!x!", subj, out, sizeof(out), &d);
    assert_true(rc == E2U_ELIMIT || rc == E2U_ENOMATCH);
    /* PCRE2 fails at once when the required 'y' is absent, so give it one after a 'z' */
    memset(subj, 'x', 40);
    subj[38] = 'z';
    subj[39] = 'y';
    rc = apply("!(x+x+)+y!z!", subj, out, sizeof(out), &d);
    assert_int_equal(rc, E2U_ELIMIT);
    assert_non_null(strstr(d.msg, "limit"));
    rc = apply("!^(([a-z])+.)+[A-Z]([a-z])+$!z!", subj, out, sizeof(out), &d);
    assert_true(rc == E2U_ELIMIT || rc == E2U_ENOMATCH);
    double elapsed = now() - t0;
    printf("# hostile patterns evaluated in %.6f s\n", elapsed);

    /* nesting: 32 levels are allowed, 33 refused; 120 levels fill the 255-octet field */
    char expr[300];
    for (int depth = 32; depth <= 33; depth++) {
        size_t o = 0;
        expr[o++] = '!';
        for (int i = 0; i < depth; i++)
            expr[o++] = '(';
        expr[o++] = 'a';
        for (int i = 0; i < depth; i++)
            expr[o++] = ')';
        memcpy(expr + o, "!x!", 4);
        rc = apply(expr, "a", out, sizeof(out), &d);
        assert_int_equal(rc, depth == 32 ? 0 : E2U_EREGEXP);
    }
    size_t o = 0;
    expr[o++] = '!';
    for (int i = 0; i < 120; i++)
        expr[o++] = '(';
    expr[o++] = 'a';
    for (int i = 0; i < 120; i++)
        expr[o++] = ')';
    memcpy(expr + o, "!x!", 4);
    assert_true(strlen(expr) <= 255);
    expect_rc(expr, "a", E2U_EREGEXP);
    /* nested stars within the nesting limit: bounded by the match limit */
    o = 0;
    expr[o++] = '!';
    for (int i = 0; i < 30; i++)
        expr[o++] = '(';
    expr[o++] = 'a';
    for (int i = 0; i < 30; i++) {
        expr[o++] = '*';
        expr[o++] = ')';
    }
    memcpy(expr + o, "b!x!", 5);
    memset(subj, 'a', 30);
    subj[30] = '\0';
    rc = apply(expr, subj, out, sizeof(out), &d);
    assert_true(rc == E2U_ELIMIT || rc == E2U_ENOMATCH);
}

static void test_output_bounds(void **state)
{
    (void)state;
    /* 120 back-references to a 63-digit subject: 7560 octets, over E2U_SUBST_OUT_MAX */
    char expr[300] = "!^(.*)$!";
    size_t o = strlen(expr);
    for (int i = 0; i < 120; i++) {
        expr[o++] = '\\';
        expr[o++] = '1';
    }
    expr[o++] = '!';
    expr[o] = '\0';
    char subj[70] = "+";
    memset(subj + 1, '5', 63);
    subj[64] = '\0';
    char out[E2U_SUBST_OUT_MAX + 1];
    e2u_diag_t d;
    assert_int_equal(apply(expr, subj, out, sizeof(out), &d), E2U_ETOOLONG);
    assert_string_equal(out, ""); /* nothing half-written */
    /* the caller's buffer bounds it too */
    char small[8];
    assert_int_equal(apply("!^.*$!12345678!", "+1", small, sizeof(small), &d), E2U_ETOOLONG);
    assert_int_equal(apply("!^.*$!1234567!", "+1", small, sizeof(small), &d), 0);
    assert_string_equal(small, "1234567");
}

static void test_cache(void **state)
{
    (void)state;
    /* the same ERE with different replacements, and a failing ERE, repeatedly */
    for (int i = 0; i < 1000; i++) {
        char expr[64], want[32];
        snprintf(expr, sizeof(expr), "!^.*$!sip:%d@example.com!", i);
        snprintf(want, sizeof(want), "sip:%d@example.com", i);
        expect(expr, "+12155550123", want);
        expect_rc("!(a)\\1!x!", "aa", E2U_EREGEXP);
    }
    /* a tiny cache still gives correct answers when entries collide */
    e2u_regex_t *small;
    e2u_regex_limits_t lim = {.cache_entries = 1};
    assert_int_equal(e2u_regex_new(&small, &lim), 0);
    for (int i = 0; i < 50; i++) {
        char expr[64], want[32], subj[32];
        snprintf(expr, sizeof(expr), "!^\\+%d(.*)$!\\1!", i % 7);
        snprintf(subj, sizeof(subj), "+%dabc", i % 7);
        snprintf(want, sizeof(want), "abc");
        e2u_subst_t s;
        char out[64];
        assert_int_equal(e2u_subst_parse(&s, expr, strlen(expr), NULL), 0);
        assert_int_equal(e2u_subst_apply(small, &s, subj, strlen(subj), out, sizeof(out), NULL,
                                         NULL),
                         0);
        assert_string_equal(out, want);
    }
    e2u_regex_free(small);
}

/* (NULL, 0) is the empty subject, also when a group captures the empty string and is copied
 * into the result (that copy once read from a NULL source). */
static void test_null_subject(void **state)
{
    (void)state;
    const char *expr = "!^(.*)$!<\\1>!";
    e2u_subst_t s;
    char out[16];
    size_t olen = 99;
    assert_int_equal(e2u_subst_parse(&s, expr, strlen(expr), NULL), 0);
    assert_int_equal(e2u_subst_apply(rx, &s, NULL, 0, out, sizeof(out), &olen, NULL), 0);
    assert_string_equal(out, "<>");
    assert_int_equal(olen, 2);
    assert_int_equal(e2u_subst_apply(rx, &s, NULL, 1, out, sizeof(out), NULL, NULL), E2U_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),          cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_spec_examples),  cmocka_unit_test(test_rfc3402_backrefs),
        cmocka_unit_test(test_ere_dialect),    cmocka_unit_test(test_refused_patterns),
        cmocka_unit_test(test_hostile_patterns), cmocka_unit_test(test_output_bounds),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_null_subject),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
