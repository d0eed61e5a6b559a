/*
 * tests/unit/test_route.c — primary route and fallbacks (RFC 4769 §5).
 *
 * RFC 4769 §5's scenario: a number with both an E2U+sip (on-net) and an E2U+pstn (off-net)
 * record; "The calling application prioritizes the on net record first" and may fall back to
 * the pstn record when the IP route fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "e2u/e2u.h"

static e2u_services_t svc[8];

static e2u_route_cand_t cand(int i, const char *field, uint16_t order, uint16_t pref)
{
    assert_int_equal(e2u_services_parse(&svc[i], field, strlen(field), NULL), 0);
    return (e2u_route_cand_t){&svc[i], order, pref};
}

static void test_default_policy(void **state)
{
    (void)state;
    e2u_route_policy_t p;
    e2u_route_policy_default(&p);
    /* off-net listed first with a better order, then on-net, then presence */
    e2u_route_cand_t c[4] = {
        cand(0, "E2U+pstn:tel", 10, 100),
        cand(1, "E2U+sip", 20, 100),
        cand(2, "E2U+pres", 5, 100),
        cand(3, "E2U+pstn:sip", 20, 50),
    };
    e2u_route_pick_t out[4];
    size_t n = e2u_route_select(&p, c, 4, out, 4);
    assert_int_equal(n, 3); /* presence is not a call route */
    /* on-net first: pstn:sip (order 20, pref 50) before sip (order 20, pref 100) */
    assert_int_equal(out[0].cand, 3);
    assert_int_equal(out[1].cand, 1);
    assert_int_equal(out[2].cand, 0);
    assert_string_equal(p.classes[out[0].cls].label, "on-net");
    assert_string_equal(p.classes[out[2].cls].label, "off-net");
    /* a smaller output keeps the best ones */
    n = e2u_route_select(&p, c, 4, out, 1);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].cand, 3);
}

static void test_ties_keep_order(void **state)
{
    (void)state;
    e2u_route_policy_t p;
    e2u_route_policy_default(&p);
    e2u_route_cand_t c[3] = {
        cand(0, "E2U+sip", 10, 10),
        cand(1, "E2U+sip", 10, 10),
        cand(2, "E2U+sip", 10, 10),
    };
    e2u_route_pick_t out[3];
    assert_int_equal(e2u_route_select(&p, c, 3, out, 3), 3);
    assert_int_equal(out[0].cand, 0);
    assert_int_equal(out[1].cand, 1);
    assert_int_equal(out[2].cand, 2);
}

static void test_custom_policy(void **state)
{
    (void)state;
    e2u_route_policy_t p;
    e2u_diag_t d;
    memset(&p, 0, sizeof(p));
    /* an operator that prefers the PSTN */
    assert_int_equal(e2u_route_policy_add(&p, "pstn=pstn:tel", &d), 0);
    assert_int_equal(e2u_route_policy_add(&p, "sip,pstn:sip", &d), 0);
    assert_string_equal(p.classes[0].label, "pstn");
    assert_string_equal(p.classes[1].label, "class 2");
    e2u_route_cand_t c[2] = {cand(0, "E2U+sip", 10, 100), cand(1, "E2U+pstn:tel", 20, 100)};
    e2u_route_pick_t out[2];
    assert_int_equal(e2u_route_select(&p, c, 2, out, 2), 2);
    assert_int_equal(out[0].cand, 1);
    assert_int_equal(out[1].cand, 0);
    /* a compound record falls in the best class any of its enumservices matches */
    e2u_route_cand_t c2[1] = {cand(2, "E2U+pres+sip", 10, 100)};
    assert_int_equal(e2u_route_select(&p, c2, 1, out, 2), 1);
    assert_int_equal(out[0].cls, 1);

    assert_int_equal(e2u_route_policy_add(&p, "bad spec", &d), E2U_EINVAL);
    assert_int_equal(e2u_route_policy_add(&p, "=sip", &d), E2U_EINVAL);
    assert_int_equal(e2u_route_policy_add(&p, "sip,", &d), E2U_EINVAL);
    assert_int_equal(p.nclasses, 2); /* nothing half-added */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_policy),
        cmocka_unit_test(test_ties_keep_order),
        cmocka_unit_test(test_custom_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
