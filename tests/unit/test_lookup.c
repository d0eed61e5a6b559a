/*
 * tests/unit/test_lookup.c — the lookup loop over static answers: suffixes, non-terminal rules,
 * enum: re-submission, loops, hop limits, strict order after expansion, status classes.
 *
 * The expected behaviour is DESIGN.md §2 and §5-§7 and the RFC text each case names; the
 * records are small made-up zones whose answers can be followed by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "e2u/e2u.h"
#include "e2u/resolve.h"

/* Resolve number against records; the caller frees. */
static e2u_lookup_t *resolve(const char *records, const char *number,
                             const e2u_resolver_opts_t *extra)
{
    e2u_resolver_opts_t o = {0};
    if (extra)
        o = *extra;
    o.static_records = records;
    e2u_resolver_t *r;
    e2u_diag_t d;
    if (e2u_resolver_new(&r, &o, &d) < 0)
        fail_msg("resolver: %s", d.msg);
    e2u_lookup_t *lk = NULL;
    assert_int_equal(e2u_resolve(r, number, strlen(number), &lk), 0);
    assert_non_null(lk);
    e2u_resolver_free(r); /* a lookup outlives its resolver */
    return lk;
}

static void uris(const e2u_lookup_t *lk, const char *const *want, size_t n)
{
    if (lk->nresults != n) {
        for (size_t i = 0; i < lk->nresults; i++)
            print_message("got %s\n", lk->results[i].uri);
        for (size_t i = 0; i < lk->ndrops; i++)
            print_message("drop %s: %s\n", e2u_drop_reason_name(lk->drops[i].reason),
                          lk->drops[i].detail ? lk->drops[i].detail : "");
        fail_msg("%zu results, want %zu (status %s)", lk->nresults, n,
                 e2u_status_name(lk->status));
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal(lk->results[i].uri, want[i]);
}

static bool has_drop(const e2u_lookup_t *lk, e2u_drop_reason_t reason)
{
    for (size_t i = 0; i < lk->ndrops; i++) {
        if (lk->drops[i].reason == reason)
            return true;
    }
    return false;
}

#define D1 "3.2.1.0.5.5.5.5.1.2.1.e164.arpa."

static void test_simple(void **state)
{
    (void)state;
    e2u_lookup_t *lk = resolve(D1 " NAPTR 10 100 \"u\" \"E2U+pstn:tel\" "
                                  "\"!^.*$!tel:+1-215-555-0123;npdi;rn=+1-215-555-0199!\" .\n",
                               "+1 (215) 555-0123", NULL);
    assert_int_equal(lk->status, E2U_STATUS_OK);
    assert_string_equal(lk->input, "+1 (215) 555-0123");
    assert_string_equal(lk->number.aus, "+12155550123");
    uris(lk, (const char *const[]){"tel:+1-215-555-0123;npdi;rn=+1-215-555-0199"}, 1);
    const e2u_result_t *x = &lk->results[0];
    assert_string_equal(x->domain, D1);
    assert_int_equal(x->nvia, 0);
    assert_string_equal(x->parsed.tel.rn, "+12155550199");
    assert_int_equal(x->services.count, 1);
    assert_int_equal(lk->queries, 1);
    e2u_lookup_free(lk);
}

static void test_status_classes(void **state)
{
    (void)state;
    e2u_lookup_t *lk = resolve("", "+12155550123", NULL); /* nothing listed: NXDOMAIN */
    assert_int_equal(lk->status, E2U_STATUS_NOT_FOUND);
    e2u_lookup_free(lk);
    lk = resolve(D1 " NODATA\n", "+12155550123", NULL);
    assert_int_equal(lk->status, E2U_STATUS_NO_RECORDS);
    e2u_lookup_free(lk);
    lk = resolve(D1 " NAPTR 10 100 \"u\" \"E2U+sip\" \"!^\\\\+44.*$!sip:a@b.example!\" .\n",
                 "+12155550123", NULL);
    assert_int_equal(lk->status, E2U_STATUS_NO_RECORDS);
    assert_true(has_drop(lk, E2U_DROP_NO_MATCH));
    assert_string_equal(lk->drops[0].domain, D1);
    assert_string_equal(lk->drops[0].record,
                        "10 100 \"u\" \"E2U+sip\" \"!^\\\\+44.*$!sip:a@b.example!\" .");
    e2u_lookup_free(lk);
    lk = resolve(D1 " SERVFAIL\n", "+12155550123", NULL);
    assert_int_equal(lk->status, E2U_STATUS_DNS_ERROR);
    assert_non_null(strstr(lk->error, "SERVFAIL"));
    e2u_lookup_free(lk);
    lk = resolve(D1 " TIMEOUT\n", "+12155550123", NULL);
    assert_int_equal(lk->status, E2U_STATUS_DNS_ERROR);
    e2u_lookup_free(lk);
    lk = resolve(D1 " BOGUS\n", "+12155550123", NULL);
    assert_int_equal(lk->status, E2U_STATUS_BOGUS);
    e2u_lookup_free(lk);
    lk = resolve("", "+1 215 x55", NULL);
    assert_int_equal(lk->status, E2U_STATUS_INVALID_NUMBER);
    assert_non_null(strstr(lk->error, "'x' at position 7"));
    assert_int_equal(lk->queries, 0);
    e2u_lookup_free(lk);
}

/* DESIGN.md §2: a later suffix only when the earlier gave nothing usable. */
static void test_suffixes(void **state)
{
    (void)state;
    e2u_resolver_opts_t o = {0};
    const char *sfx[] = {"e164.example.net", "e164.arpa"};
    o.suffixes = sfx;
    o.nsuffixes = 2;
    const char *second = D1 " NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:second@example.com!\" .\n";
    /* NXDOMAIN under the first */
    e2u_lookup_t *lk = resolve(second, "+12155550123", &o);
    uris(lk, (const char *const[]){"sip:second@example.com"}, 1);
    assert_string_equal(lk->results[0].domain, D1);
    assert_int_equal(lk->queries, 2);
    e2u_lookup_free(lk);
    /* no NAPTR under the first */
    char buf[1024];
    snprintf(buf, sizeof(buf), "3.2.1.0.5.5.5.5.1.2.1.e164.example.net. NODATA\n%s", second);
    lk = resolve(buf, "+12155550123", &o);
    uris(lk, (const char *const[]){"sip:second@example.com"}, 1);
    e2u_lookup_free(lk);
    /* nothing matching the filter under the first */
    snprintf(buf, sizeof(buf),
             "3.2.1.0.5.5.5.5.1.2.1.e164.example.net. NAPTR 10 1 \"u\" \"E2U+pres\" "
             "\"!^.*$!pres:first@example.com!\" .\n%s",
             second);
    e2u_service_spec_t f;
    e2u_service_spec_parse(&f, "sip", 3, NULL);
    o.filter = &f;
    o.nfilter = 1;
    lk = resolve(buf, "+12155550123", &o);
    uris(lk, (const char *const[]){"sip:second@example.com"}, 1);
    e2u_lookup_free(lk);
    /* a usable answer under the first: the second is not asked */
    o.nfilter = 0;
    lk = resolve(buf, "+12155550123", &o);
    uris(lk, (const char *const[]){"pres:first@example.com"}, 1);
    assert_int_equal(lk->queries, 1);
    e2u_lookup_free(lk);
    /* a failure under the first stops the walk: SERVFAIL is not "nothing here" */
    snprintf(buf, sizeof(buf), "3.2.1.0.5.5.5.5.1.2.1.e164.example.net. SERVFAIL\n%s", second);
    lk = resolve(buf, "+12155550123", &o);
    assert_int_equal(lk->status, E2U_STATUS_DNS_ERROR);
    assert_int_equal(lk->queries, 1);
    e2u_lookup_free(lk);
    /* NXDOMAIN under both */
    lk = resolve("", "+12155550123", &o);
    assert_int_equal(lk->status, E2U_STATUS_NOT_FOUND);
    assert_int_equal(lk->queries, 2);
    e2u_lookup_free(lk);
}

/* RFC 6116 §5.2.1: the non-terminal's target is the next key; its results take the rule's
 * place; a failing target is skipped and the referring set goes on. */
static void test_non_terminal(void **state)
{
    (void)state;
    const char *z = D1 " NAPTR 10 1 \"u\" \"E2U+sip\" \"!^.*$!sip:first@example.com!\" .\n"
                    D1 " NAPTR 20 1 \"\" \"\" \"\" b.example.\n"
                    D1 " NAPTR 30 1 \"u\" \"E2U+sip\" \"!^.*$!sip:last@example.com!\" .\n"
                    D1 " NAPTR 25 1 \"\" \"\" \"\" missing.example.\n"
                    "b.example. NAPTR 100 20 \"u\" \"E2U+sip\" \"!^\\\\+1(.*)$!sip:\\\\1@b2.example!\" .\n"
                    "b.example. NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:b1@example.com!\" .\n";
    e2u_lookup_t *lk = resolve(z, "+12155550123", NULL);
    uris(lk,
         (const char *const[]){"sip:first@example.com", "sip:b1@example.com",
                               "sip:2155550123@b2.example", "sip:last@example.com"},
         4);
    assert_string_equal(lk->results[1].domain, "b.example.");
    assert_int_equal(lk->results[1].order, 100); /* the target's own order (RFC 5483 §4.5) */
    assert_true(has_drop(lk, E2U_DROP_TARGET_FAILED)); /* missing.example. is NXDOMAIN */
    assert_int_equal(lk->queries, 3);
    e2u_lookup_free(lk);
}

static void test_non_terminal_loop_and_hops(void **state)
{
    (void)state;
    /* A -> b -> A: the loop is not followed */
    e2u_lookup_t *lk = resolve(D1 " NAPTR 10 1 \"\" \"\" \"\" b.example.\n"
                                  "b.example. NAPTR 10 1 \"\" \"\" \"\" " D1 "\n",
                               "+12155550123", NULL);
    assert_int_equal(lk->status, E2U_STATUS_LOOP);
    assert_true(has_drop(lk, E2U_DROP_LOOP));
    assert_int_equal(lk->queries, 2);
    e2u_lookup_free(lk);
    /* a self-reference */
    lk = resolve(D1 " NAPTR 10 1 \"\" \"\" \"\" " D1 "\n", "+12155550123", NULL);
    assert_int_equal(lk->status, E2U_STATUS_LOOP);
    assert_int_equal(lk->queries, 1);
    e2u_lookup_free(lk);
    /* a chain of 7 distinct names: hop 6 is over the default limit of 5 */
    const char *chain = D1 " NAPTR 1 1 \"\" \"\" \"\" n1.example.\n"
                           "n1.example. NAPTR 1 1 \"\" \"\" \"\" n2.example.\n"
                           "n2.example. NAPTR 1 1 \"\" \"\" \"\" n3.example.\n"
                           "n3.example. NAPTR 1 1 \"\" \"\" \"\" n4.example.\n"
                           "n4.example. NAPTR 1 1 \"\" \"\" \"\" n5.example.\n"
                           "n5.example. NAPTR 1 1 \"\" \"\" \"\" n6.example.\n"
                           "n6.example. NAPTR 1 1 \"u\" \"E2U+sip\" \"!^.*$!sip:end@example.com!\" .\n";
    lk = resolve(chain, "+12155550123", NULL);
    assert_int_equal(lk->status, E2U_STATUS_LOOP);
    assert_true(has_drop(lk, E2U_DROP_HOPS));
    assert_int_equal(lk->queries, 6); /* the number's domain and n1..n5 */
    e2u_lookup_free(lk);
    e2u_resolver_opts_t o = {.max_hops = 6};
    lk = resolve(chain, "+12155550123", &o);
    uris(lk, (const char *const[]){"sip:end@example.com"}, 1);
    assert_string_equal(lk->results[0].domain, "n6.example.");
    e2u_lookup_free(lk);
}

/* draft-brandner-enum-uri §3.2: an enum: result MUST be re-submitted; DESIGN.md: via lists the
 * numbers queried after the first (A -> enum:B -> enum:C gives ["+B", "+C"]). */
static void test_enum_chain(void **state)
{
    (void)state;
    const char *z =
        /* +432221234567890 redirects to +4311234567890 (the draft's example (i), '+' escaped) */
        "0.9.8.7.6.5.4.3.2.1.2.2.2.3.4.e164.arpa. NAPTR 10 10 \"u\" \"E2U+sip\" "
        "\"!^\\\\+43222(.*)$!enum:+431\\\\1!\" .\n"
        /* which redirects once more, to +4319999 */
        "0.9.8.7.6.5.4.3.2.1.1.3.4.e164.arpa. NAPTR 10 10 \"u\" \"E2U+sip\" "
        "\"!^.*$!enum:+43-1-9999;foo=bar!\" .\n"
        "9.9.9.9.1.3.4.e164.arpa. NAPTR 10 10 \"u\" \"E2U+sip\" \"!^.*$!sip:office@example.at!\" .\n"
        "9.9.9.9.1.3.4.e164.arpa. NAPTR 10 20 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+4319999;npdi!\" .\n";
    e2u_lookup_t *lk = resolve(z, "+432221234567890", NULL);
    uris(lk, (const char *const[]){"sip:office@example.at", "tel:+4319999;npdi"}, 2);
    assert_int_equal(lk->results[0].nvia, 2);
    assert_string_equal(lk->results[0].via[0], "+4311234567890");
    assert_string_equal(lk->results[0].via[1], "+4319999");
    assert_string_equal(lk->results[0].domain, "9.9.9.9.1.3.4.e164.arpa.");
    assert_int_equal(lk->queries, 3);
    e2u_lookup_free(lk);

    /* the filter of the first lookup applies to the re-submitted one */
    e2u_service_spec_t f;
    e2u_service_spec_parse(&f, "sip", 3, NULL);
    e2u_resolver_opts_t o = {.filter = &f, .nfilter = 1};
    lk = resolve(z, "+432221234567890", &o);
    uris(lk, (const char *const[]){"sip:office@example.at"}, 1);
    e2u_lookup_free(lk);
}

static void test_enum_loop_and_failure(void **state)
{
    (void)state;
    /* A -> enum:B -> enum:A */
    const char *z = D1 " NAPTR 10 10 \"u\" \"E2U+sip\" \"!^.*$!enum:+1999!\" .\n"
                    "9.9.9.1.e164.arpa. NAPTR 10 10 \"u\" \"E2U+sip\" \"!^.*$!enum:+12155550123!\" .\n";
    e2u_lookup_t *lk = resolve(z, "+12155550123", NULL);
    assert_int_equal(lk->status, E2U_STATUS_LOOP);
    assert_true(has_drop(lk, E2U_DROP_LOOP));
    assert_int_equal(lk->queries, 2);
    e2u_lookup_free(lk);
    /* an enum: target that does not exist is dropped; the other result stays */
    lk = resolve(D1 " NAPTR 10 10 \"u\" \"E2U+sip\" \"!^.*$!enum:+1888!\" .\n"
                 D1 " NAPTR 10 20 \"u\" \"E2U+sip\" \"!^.*$!sip:fallback@example.com!\" .\n",
                 "+12155550123", NULL);
    uris(lk, (const char *const[]){"sip:fallback@example.com"}, 1);
    assert_true(has_drop(lk, E2U_DROP_TARGET_FAILED));
    e2u_lookup_free(lk);
    /* a tel: result is never re-submitted */
    lk = resolve(D1 " NAPTR 10 10 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+1999!\" .\n"
                 "9.9.9.1.e164.arpa. NAPTR 10 10 \"u\" \"E2U+sip\" \"!^.*$!sip:x@example.com!\" .\n",
                 "+12155550123", NULL);
    uris(lk, (const char *const[]){"tel:+1999"}, 1);
    assert_int_equal(lk->queries, 1);
    e2u_lookup_free(lk);
    /* a nested failure with nothing else: dns-error */
    lk = resolve(D1 " NAPTR 10 10 \"u\" \"E2U+sip\" \"!^.*$!enum:+1999!\" .\n"
                 "9.9.9.1.e164.arpa. SERVFAIL\n",
                 "+12155550123", NULL);
    assert_int_equal(lk->status, E2U_STATUS_DNS_ERROR);
    assert_true(has_drop(lk, E2U_DROP_TARGET_FAILED));
    e2u_lookup_free(lk);
}

/* RFC 3403 §4.1 order processing after expansion: an order whose redirections yield nothing
 * does not count as a match. */
static void test_strict_order(void **state)
{
    (void)state;
    e2u_resolver_opts_t o = {.strict_order = true};
    const char *z = D1 " NAPTR 10 1 \"\" \"\" \"\" empty.example.\n"
                    D1 " NAPTR 20 1 \"u\" \"E2U+sip\" \"!^.*$!sip:twenty@example.com!\" .\n"
                    D1 " NAPTR 30 1 \"u\" \"E2U+sip\" \"!^.*$!sip:thirty@example.com!\" .\n"
                    "empty.example. NODATA\n";
    e2u_lookup_t *lk = resolve(z, "+12155550123", &o);
    uris(lk, (const char *const[]){"sip:twenty@example.com"}, 1);
    e2u_lookup_free(lk);
    lk = resolve(z, "+12155550123", NULL);
    uris(lk, (const char *const[]){"sip:twenty@example.com", "sip:thirty@example.com"}, 2);
    e2u_lookup_free(lk);
    const char *z2 = D1 " NAPTR 10 1 \"\" \"\" \"\" full.example.\n"
                     D1 " NAPTR 20 1 \"u\" \"E2U+sip\" \"!^.*$!sip:twenty@example.com!\" .\n"
                     "full.example. NAPTR 99 1 \"u\" \"E2U+sip\" \"!^.*$!sip:full@example.com!\" .\n";
    lk = resolve(z2, "+12155550123", &o);
    uris(lk, (const char *const[]){"sip:full@example.com"}, 1);
    e2u_lookup_free(lk);
}

static void count_cb(void *arg, e2u_lookup_t *lk)
{
    size_t *n = arg;
    if (lk->status == E2U_STATUS_OK)
        (*n)++;
    e2u_lookup_free(lk);
}

static void test_async_many(void **state)
{
    (void)state;
    e2u_resolver_opts_t o = {.static_records = D1 " NAPTR 10 100 \"u\" \"E2U+sip\" "
                                                  "\"!^.*$!sip:a@example.com!\" .\n"};
    e2u_resolver_t *r;
    assert_int_equal(e2u_resolver_new(&r, &o, NULL), 0);
    size_t ok = 0;
    for (int i = 0; i < 500; i++)
        assert_int_equal(e2u_resolve_async(r, "+12155550123", 12, count_cb, &ok), 0);
    assert_int_equal(e2u_resolve_async(r, "bad", 3, count_cb, &ok), 0);
    assert_int_equal(e2u_resolver_pending(r), 501);
    assert_true(e2u_resolver_fd(r) >= 0);
    assert_int_equal(e2u_resolver_wait(r), 0);
    assert_int_equal(ok, 500);
    assert_int_equal(e2u_resolver_pending(r), 0);
    /* freeing with lookups in flight cancels them */
    for (int i = 0; i < 10; i++)
        assert_int_equal(e2u_resolve_async(r, "+12155550123", 12, count_cb, &ok), 0);
    e2u_resolver_free(r);
    assert_int_equal(ok, 500);
}

static void test_bad_options(void **state)
{
    (void)state;
    e2u_resolver_t *r;
    e2u_diag_t d;
    const char *bad[] = {"e164..arpa"};
    e2u_resolver_opts_t o = {.suffixes = bad, .nsuffixes = 1, .static_records = ""};
    assert_int_equal(e2u_resolver_new(&r, &o, &d), E2U_EINVAL);
    assert_non_null(strstr(d.msg, "suffix"));
    e2u_resolver_opts_t o2 = {.static_records = "x. FOO\n"};
    assert_int_equal(e2u_resolver_new(&r, &o2, &d), E2U_ESYNTAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_status_classes),
        cmocka_unit_test(test_suffixes),
        cmocka_unit_test(test_non_terminal),
        cmocka_unit_test(test_non_terminal_loop_and_hops),
        cmocka_unit_test(test_enum_chain),
        cmocka_unit_test(test_enum_loop_and_failure),
        cmocka_unit_test(test_strict_order),
        cmocka_unit_test(test_async_many),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
