/*
 * tests/unit/test_ddds.c — evaluating a NAPTR set (RFC 3402 §3.3, RFC 3403 §4.1, RFC 6116 §3,
 * §5.2), with the records of the seed specifications as data.
 *
 * Each expected URI is the one the specification text gives for its example: RFC 4769 §4.1-4.5
 * (as restored in shared/specs/README.md), RFC 3953 §5, draft-peterson-enum-sip §5,
 * draft-mahy-enum-im-service §1 (im:user@example.com for +12025332600), RFC 6116 §4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "e2u/e2u.h"

#define MAXREC 16

typedef struct set {
    uint8_t buf[MAXREC][E2U_NAPTR_RDATA_MAX];
    e2u_rdata_t rd[MAXREC];
    size_t n;
} set_t;

static void add(set_t *s, const char *text)
{
    size_t len;
    e2u_diag_t d;
    if (e2u_naptr_parse_text(s->buf[s->n], sizeof(s->buf[0]), &len, text, strlen(text), NULL,
                             &d) < 0)
        fail_msg("record '%s': %s", text, d.msg);
    s->rd[s->n].data = s->buf[s->n];
    s->rd[s->n].len = (uint16_t)len;
    s->n++;
}

static e2u_number_t num(const char *s)
{
    e2u_number_t n;
    assert_int_equal(e2u_number_parse(&n, s, strlen(s), NULL, NULL), 0);
    return n;
}

static void eval1(const char *number, const char *record, const char *want_uri)
{
    set_t s = {.n = 0};
    add(&s, record);
    e2u_eval_t *ev;
    e2u_eval_result_t r;
    assert_int_equal(e2u_eval_new(&ev, NULL), 0);
    e2u_number_t n = num(number);
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    if (r.nrules != 1)
        fail_msg("%s: %zu rules, %zu drops (%s)", record, r.nrules, r.ndrops,
                 r.ndrops ? r.drops[0].detail : "");
    assert_true(r.rules[0].terminal);
    assert_string_equal(r.rules[0].value, want_uri);
    assert_int_equal(r.rules[0].value_len, strlen(want_uri));
    e2u_eval_free(ev);
}

static void test_seed_examples(void **state)
{
    (void)state;
    /* RFC 4769 §4.1-§4.5, number +1-215-555-0123 */
    eval1("+1-215-555-0123",
          "10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+1-215-555-0123;npdi;rn=+1-215-555-0199!\" .",
          "tel:+1-215-555-0123;npdi;rn=+1-215-555-0199");
    eval1("+1-215-555-0123",
          "10 100 \"u\" \"E2U+pstn:sip\" "
          "\"!^.*$!sip:+1-215-555-0123;npdi;rn=+1-215-555-0199@gw.example.com;user=phone!\" .",
          "sip:+1-215-555-0123;npdi;rn=+1-215-555-0199@gw.example.com;user=phone");
    eval1("+1-215-555-0123",
          "10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+1-215-555-0123;npdi!\" .",
          "tel:+1-215-555-0123;npdi");
    eval1("+1-215-555-0123",
          "10 100 \"u\" \"E2U+pstn:sip\" "
          "\"!^.*$!sip:+1-215-555-0123;npdi@gw.example.com;user=phone!\" .",
          "sip:+1-215-555-0123;npdi@gw.example.com;user=phone");
    eval1("+1-215-555-0123", "10 100 \"u\" \"E2U+pstn:tel\" \"!(^.*$)!tel:\\\\1;npdi!\" .",
          "tel:+12155550123;npdi");
    /* RFC 3953 §5 */
    eval1("+12025332600", "100 10 \"u\" \"E2U+pres\" \"!^.*$!pres:user@host.com!\" .",
          "pres:user@host.com");
    /* draft-peterson-enum-sip §5 */
    eval1("+12025332600", "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:jon.peterson@neustar.biz!\" .",
          "sip:jon.peterson@neustar.biz");
    /* draft-mahy-enum-im-service §1 */
    eval1("+12025332600", "10 100 \"u\" \"E2U+im\" \"!^.*$!im:user@example.com!\" .",
          "im:user@example.com");
    /* draft-brandner-enum-uri §3.2.2 (flags field restored, '+' escaped per RFC 6116) */
    eval1("+432221234567890", "10 10 \"u\" \"E2U+esx\" \"!^\\\\+43222(.*)$!enum:+431\\\\1!\" .",
          "enum:+4311234567890");
}

static void test_rfc4769_tel_fields(void **state)
{
    (void)state;
    set_t s = {.n = 0};
    add(&s, "10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+1-215-555-0123;npdi;rn=+1-215-555-0199!\" .");
    e2u_eval_t *ev;
    e2u_eval_result_t r;
    assert_int_equal(e2u_eval_new(&ev, NULL), 0);
    e2u_number_t n = num("+12155550123");
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    assert_int_equal(r.nrules, 1);
    const e2u_telinfo_t *t = &r.rules[0].uri.tel;
    assert_true(t->present);
    assert_string_equal(t->number.aus, "+12155550123");
    assert_true(t->has_rn);
    assert_string_equal(t->rn, "+12155550199"); /* DESIGN.md §8 */
    assert_true(t->npdi);
    assert_false(t->has_cic);
    assert_int_equal(r.rules[0].fit, E2U_SCHEME_FITS);
    e2u_eval_free(ev);
}

/* RFC 6116 §4's three records, given in scrambled answer order. */
static void test_order_and_preference(void **state)
{
    (void)state;
    set_t s = {.n = 0};
    add(&s, "100 52 \"u\" \"E2U+email:mailto\" \"!^.*$!mailto:info@example.com!\" .");
    add(&s, "100 50 \"u\" \"E2U+sip\" \"!^(\\\\+441632960083)$!sip:\\\\1@example.com!\" .");
    add(&s, "100 51 \"u\" \"E2U+h323\" \"!^\\\\+441632960083$!h323:operator@example.com!\" .");
    e2u_eval_t *ev;
    e2u_eval_result_t r;
    assert_int_equal(e2u_eval_new(&ev, NULL), 0);
    e2u_number_t n = num("+441632960083");
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    assert_int_equal(r.nrules, 3);
    assert_string_equal(r.rules[0].value, "sip:+441632960083@example.com");
    assert_string_equal(r.rules[1].value, "h323:operator@example.com");
    assert_string_equal(r.rules[2].value, "mailto:info@example.com");
    assert_int_equal(r.rules[0].index, 1);
    /* another number: only the ^.*$ record matches; the others are dropped as no-match */
    n = num("+441632960084");
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    assert_int_equal(r.nrules, 1);
    assert_string_equal(r.rules[0].value, "mailto:info@example.com");
    assert_int_equal(r.ndrops, 2);
    assert_int_equal(r.drops[0].reason, E2U_DROP_NO_MATCH);
    assert_int_equal(r.drops[0].index, 1);
    e2u_eval_free(ev);
}

static void test_ties_and_strict_order(void **state)
{
    (void)state;
    set_t s = {.n = 0};
    add(&s, "20 10 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+12155550123;npdi!\" .");
    add(&s, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:b@example.com!\" .");
    add(&s, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@example.com!\" .");
    add(&s, "10 50 \"u\" \"E2U+sip\" \"!^\\\\+44.*$!sip:uk@example.com!\" .");
    e2u_eval_t *ev;
    e2u_eval_result_t r;
    e2u_number_t n = num("+12155550123");
    assert_int_equal(e2u_eval_new(&ev, NULL), 0);
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    /* all usable results by default (DESIGN.md §5); ties keep answer order (RFC 6116 §5.2) */
    assert_int_equal(r.nrules, 3);
    assert_string_equal(r.rules[0].value, "sip:b@example.com");
    assert_string_equal(r.rules[1].value, "sip:a@example.com");
    assert_string_equal(r.rules[2].value, "tel:+12155550123;npdi");
    e2u_eval_free(ev);

    /* strict order: the lowest order with a usable rule is 10; order 20 is not considered.
     * The non-matching order-10 rule does not count as a match. */
    e2u_eval_opts_t o = {.strict_order = true};
    assert_int_equal(e2u_eval_new(&ev, &o), 0);
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    assert_int_equal(r.nrules, 2);
    assert_int_equal(r.rules[0].order, 10);
    assert_int_equal(r.rules[1].order, 10);
    /* when no order-10 rule matches, order 20 is used */
    set_t s2 = {.n = 0};
    add(&s2, "10 50 \"u\" \"E2U+sip\" \"!^\\\\+44.*$!sip:uk@example.com!\" .");
    add(&s2, "20 10 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+12155550123;npdi!\" .");
    assert_int_equal(e2u_eval_rrset(ev, &n, s2.rd, s2.n, &r), 0);
    assert_int_equal(r.nrules, 1);
    assert_int_equal(r.rules[0].order, 20);
    e2u_eval_free(ev);
}

static void test_filter(void **state)
{
    (void)state;
    set_t s = {.n = 0};
    add(&s, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:u@example.net!\" .");
    add(&s, "10 101 \"u\" \"E2U+pres\" \"!^.*$!pres:u@example.net!\" .");
    add(&s, "10 102 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+12155550123;npdi!\" .");
    add(&s, "10 103 \"u\" \"E2U+pstn:sip\" \"!^.*$!sip:+12155550123;npdi@gw.example.com;user=phone!\" .");
    add(&s, "10 104 \"u\" \"E2U+sip+pres\" \"!^.*$!sip:both@example.net!\" .");
    e2u_service_spec_t f[2];
    e2u_service_spec_parse(&f[0], "pstn:tel", 8, NULL);
    e2u_service_spec_parse(&f[1], "pres", 4, NULL);
    e2u_eval_opts_t o = {.filter = f, .nfilter = 1};
    e2u_eval_t *ev;
    e2u_eval_result_t r;
    e2u_number_t n = num("+12155550123");
    assert_int_equal(e2u_eval_new(&ev, &o), 0);
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    assert_int_equal(r.nrules, 1);
    assert_string_equal(r.rules[0].value, "tel:+12155550123;npdi");
    assert_int_equal(r.nskipped, 4);
    assert_int_equal(r.ndrops, 0);
    e2u_eval_free(ev);
    /* "pres" matches the plain pres record and the compound sip+pres one */
    o.filter = &f[1];
    assert_int_equal(e2u_eval_new(&ev, &o), 0);
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    assert_int_equal(r.nrules, 2);
    assert_string_equal(r.rules[1].value, "sip:both@example.net");
    assert_int_equal(r.rules[1].services.count, 2);
    e2u_eval_free(ev);
    /* pstn (type only) matches both subtypes */
    e2u_service_spec_parse(&f[0], "pstn", 4, NULL);
    o.filter = f;
    assert_int_equal(e2u_eval_new(&ev, &o), 0);
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    assert_int_equal(r.nrules, 2);
    e2u_eval_free(ev);
}

typedef struct dropcase {
    const char *record;
    e2u_drop_reason_t reason;
    const char *needle;
} dropcase_t;

static void test_drops_keep_the_rest(void **state)
{
    (void)state;
    static const dropcase_t cases[] = {
        {"10 10 \"s\" \"E2U+sip\" \"!^.*$!sip:a@b.example!\" .", E2U_DROP_FLAGS, "'s'"},
        {"10 10 \"ua\" \"E2U+sip\" \"!^.*$!sip:a@b.example!\" .", E2U_DROP_FLAGS, "'a'"},
        {"10 10 \"u\" \"SIP+D2U\" \"!^.*$!sip:a@b.example!\" .", E2U_DROP_NOT_E2U, "E2U"},
        {"10 10 \"u\" \"E2U+P-acme\" \"!^.*$!sip:a@b.example!\" .", E2U_DROP_PRIVATE, "P-"},
        {"10 10 \"u\" \"E2U+sip\" \"\" .", E2U_DROP_NO_REGEXP, "without a regexp"},
        {"10 10 \"u\" \"E2U+sip\" \"\" next.example.", E2U_DROP_NO_REGEXP, "replacement"},
        {"10 10 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b.example!\" next.example.",
         E2U_DROP_BOTH_FIELDS, "mutually exclusive"},
        {"10 10 \"\" \"\" \"\" .", E2U_DROP_NO_TARGET, "empty replacement"},
        {"10 10 \"u\" \"E2U+sip\" \"!^.*$!sip:a@b.example\" .", E2U_DROP_BAD_REGEXP,
         "delimiters"},
        {"10 10 \"u\" \"E2U+sip\" \"!(a)\\\\1!x!\" .", E2U_DROP_BAD_REGEXP, "back-reference"},
        {"10 10 \"u\" \"E2U+sip\" \"!^\\\\+44.*$!sip:a@b.example!\" .", E2U_DROP_NO_MATCH,
         "does not match"},
        {"10 10 \"u\" \"E2U+sip\" \"!^.*$!not a uri!\" .", E2U_DROP_BAD_URI, "not a valid URI"},
        {"\\# 3 000a00", E2U_DROP_MALFORMED, "PREFERENCE"},
    };
    const char *good = "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:good@example.com!\" .";
    e2u_eval_t *ev;
    assert_int_equal(e2u_eval_new(&ev, NULL), 0);
    e2u_number_t n = num("+12155550123");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        set_t s = {.n = 0};
        add(&s, good);
        if (strncmp(cases[i].record, "\\#", 2) == 0) {
            /* malformed RDATA cannot come from the text parser: build it */
            static const uint8_t bad[] = {0, 10, 0};
            s.rd[s.n].data = bad;
            s.rd[s.n].len = sizeof(bad);
            s.n++;
        } else {
            add(&s, cases[i].record);
        }
        add(&s, good);
        e2u_eval_result_t r;
        assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
        if (r.ndrops != 1 || r.drops[0].reason != cases[i].reason ||
            !strstr(r.drops[0].detail, cases[i].needle))
            fail_msg("case %zu (%s): %zu drops, reason %s, detail '%s'", i, cases[i].record,
                     r.ndrops, r.ndrops ? e2u_drop_reason_name(r.drops[0].reason) : "-",
                     r.ndrops ? r.drops[0].detail : "");
        assert_int_equal(r.drops[0].index, 1);
        /* the good records on both sides survive */
        assert_int_equal(r.nrules, 2);
        assert_string_equal(r.rules[0].value, "sip:good@example.com");
        assert_int_equal(r.rules[0].index, 0);
        assert_int_equal(r.rules[1].index, 2);
    }
    e2u_eval_free(ev);
}

static void test_nonterminal(void **state)
{
    (void)state;
    set_t s = {.n = 0};
    /* RFC 6116 §5.2.1: the replacement is the next domain; regexp and services are ignored */
    add(&s, "100 10 \"\" \"E2U+sip\" \"!garbage\" Next.Example.");
    add(&s, "100 20 \"u\" \"E2U+sip\" \"!^.*$!sip:x@example.com!\" .");
    e2u_service_spec_t f;
    e2u_service_spec_parse(&f, "pstn:tel", 8, NULL);
    e2u_eval_opts_t o = {.filter = &f, .nfilter = 1}; /* the filter does not apply to it */
    e2u_eval_t *ev;
    e2u_eval_result_t r;
    e2u_number_t n = num("+12155550123");
    assert_int_equal(e2u_eval_new(&ev, &o), 0);
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    assert_int_equal(r.nrules, 1);
    assert_false(r.rules[0].terminal);
    assert_string_equal(r.rules[0].value, "Next.Example.");
    static const uint8_t next[] = {4, 'N', 'e', 'x', 't', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    assert_int_equal(r.rules[0].next_len, sizeof(next));
    assert_memory_equal(r.rules[0].next, next, sizeof(next));
    assert_int_equal(r.nskipped, 1);
    e2u_eval_free(ev);
}

static void test_private_allowed(void **state)
{
    (void)state;
    set_t s = {.n = 0};
    add(&s, "10 10 \"u\" \"E2U+P-acme:sip+sip\" \"!^.*$!sip:a@b.example!\" .");
    e2u_eval_t *ev;
    e2u_eval_result_t r;
    e2u_number_t n = num("+12155550123");
    assert_int_equal(e2u_eval_new(&ev, NULL), 0);
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    assert_int_equal(r.nrules, 1);
    assert_int_equal(r.rules[0].services.count, 1); /* the P- one is removed */
    e2u_eval_free(ev);
    e2u_eval_opts_t o = {.allow_private = true};
    assert_int_equal(e2u_eval_new(&ev, &o), 0);
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    assert_int_equal(r.rules[0].services.count, 2);
    e2u_eval_free(ev);
}

static void test_flags_case_and_legacy(void **state)
{
    (void)state;
    /* RFC 3403 §4.1: flag case is not significant; RFC 3403 §6.2's legacy record */
    eval1("+4689761234", "100 10 \"U\" \"sip+E2U\" \"!^.*$!sip:information@foo.se!i\" .",
          "sip:information@foo.se");
}

static void test_scheme_fit(void **state)
{
    (void)state;
    set_t s = {.n = 0};
    add(&s, "10 10 \"u\" \"E2U+pres\" \"!^.*$!sip:u@example.com!\" .");
    add(&s, "10 11 \"u\" \"E2U+sip\" \"!^.*$!http://example.com/!\" .");
    add(&s, "10 12 \"u\" \"E2U+esx\" \"!^.*$!enum:+4311234567890!\" .");
    e2u_eval_t *ev;
    e2u_eval_result_t r;
    e2u_number_t n = num("+12155550123");
    assert_int_equal(e2u_eval_new(&ev, NULL), 0);
    assert_int_equal(e2u_eval_rrset(ev, &n, s.rd, s.n, &r), 0);
    assert_int_equal(r.nrules, 3);
    assert_int_equal(r.rules[0].fit, E2U_SCHEME_TOLERATED);
    assert_int_equal(r.rules[1].fit, E2U_SCHEME_MISMATCH);
    assert_int_equal(r.rules[2].fit, E2U_SCHEME_UNKNOWN_SVC);
    assert_int_equal(r.rules[2].uri.scheme, E2U_SCHEME_ENUM);
    e2u_eval_free(ev);
}

static void test_many_records_and_reuse(void **state)
{
    (void)state;
    /* 100 records: more than one arena chunk of results, reused across evaluations */
    static uint8_t buf[100][E2U_NAPTR_RDATA_MAX];
    e2u_rdata_t rd[100];
    for (int i = 0; i < 100; i++) {
        char t[300];
        size_t len;
        snprintf(t, sizeof(t),
                 "%d %d \"u\" \"E2U+sip\" \"!^(.*)$!sip:\\\\1\\\\1\\\\1\\\\1\\\\1\\\\1\\\\1\\\\1"
                 "\\\\1\\\\1\\\\1\\\\1\\\\1\\\\1\\\\1\\\\1-%d@example.com!\" .",
                 100 - i, i, i);
        assert_int_equal(e2u_naptr_parse_text(buf[i], sizeof(buf[i]), &len, t, strlen(t), NULL,
                                              NULL),
                         0);
        rd[i].data = buf[i];
        rd[i].len = (uint16_t)len;
    }
    e2u_eval_t *ev;
    e2u_eval_result_t r;
    e2u_number_t n = num("+123456789012345");
    assert_int_equal(e2u_eval_new(&ev, NULL), 0);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(e2u_eval_rrset(ev, &n, rd, 100, &r), 0);
        assert_int_equal(r.nrules, 100);
        for (size_t i = 0; i < 100; i++) {
            char want[400];
            int k = snprintf(want, sizeof(want), "sip:");
            for (int j = 0; j < 16; j++)
                k += snprintf(want + k, sizeof(want) - (size_t)k, "+123456789012345");
            snprintf(want + k, sizeof(want) - (size_t)k, "-%zu@example.com", 99 - i);
            assert_string_equal(r.rules[i].value, want);
            assert_int_equal(r.rules[i].order, i + 1);
        }
    }
    assert_int_equal(e2u_eval_rrset(ev, &n, rd, 0, &r), 0);
    assert_int_equal(r.nrules, 0);
    e2u_eval_free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_examples),
        cmocka_unit_test(test_rfc4769_tel_fields),
        cmocka_unit_test(test_order_and_preference),
        cmocka_unit_test(test_ties_and_strict_order),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_drops_keep_the_rest),
        cmocka_unit_test(test_nonterminal),
        cmocka_unit_test(test_private_allowed),
        cmocka_unit_test(test_flags_case_and_legacy),
        cmocka_unit_test(test_scheme_fit),
        cmocka_unit_test(test_many_records_and_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
