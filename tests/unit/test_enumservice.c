/*
 * tests/unit/test_enumservice.c — services fields (RFC 6116 §3.4.3), the RFC 2916 legacy form
 * (RFC 5483 §6.1), filter specs and the registry.
 *
 * Fields are those of the specifications: "E2U+sip" (draft-peterson-enum-sip §5), "E2U+pres"
 * (RFC 3953), "E2U+pstn:tel"/"E2U+pstn:sip" (RFC 4769 §4), "E2U+voice:tel+sms:tel" (RFC 6116
 * §3.4.3), "e2u+sip" (RFC 5483 §4.1.1), "sip+E2U" (RFC 3403 §6.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "e2u/e2u.h"

static void names(const char *field, const char *const *want, size_t n, bool legacy)
{
    e2u_services_t s;
    e2u_diag_t d;
    if (e2u_services_parse(&s, field, strlen(field), &d) != 0)
        fail_msg("'%s': %s", field, d.msg);
    assert_int_equal(s.count, n);
    assert_int_equal(s.legacy, legacy);
    for (size_t i = 0; i < n; i++) {
        char buf[E2U_SERVICE_NAME_MAX];
        assert_int_equal(e2u_enumservice_name(&s.svc[i], buf, sizeof(buf)), strlen(want[i]));
        assert_string_equal(buf, want[i]);
    }
}

static void test_fields(void **state)
{
    (void)state;
    names("E2U+sip", (const char *const[]){"sip"}, 1, false);
    names("E2U+pres", (const char *const[]){"pres"}, 1, false);
    names("E2U+pstn:tel", (const char *const[]){"pstn:tel"}, 1, false);
    names("E2U+pstn:sip", (const char *const[]){"pstn:sip"}, 1, false);
    names("E2U+voice:tel+sms:tel", (const char *const[]){"voice:tel", "sms:tel"}, 2, false);
    names("E2U+sip+pres+im", (const char *const[]){"sip", "pres", "im"}, 3, false);
    names("e2u+SIP", (const char *const[]){"sip"}, 1, false);
    names("E2U+email:mailto", (const char *const[]){"email:mailto"}, 1, false);
    /* a type with two subtypes: one enumservice each, left to right */
    names("E2U+msg:sms:mms", (const char *const[]){"msg:sms", "msg:mms"}, 2, false);
    names("E2U+x-foo:a-b", (const char *const[]){"x-foo:a-b"}, 1, false);
    names("sip+E2U", (const char *const[]){"sip"}, 1, true);
    names("SIP+e2u", (const char *const[]){"sip"}, 1, true);
}

static void bad(const char *field, size_t pos, const char *needle)
{
    e2u_services_t s;
    e2u_diag_t d;
    memset(&d, 0, sizeof(d));
    int rc = e2u_services_parse(&s, field, strlen(field), &d);
    if (rc != E2U_ESERVICES || d.pos != pos || (needle && !strstr(d.msg, needle)))
        fail_msg("'%s': rc %d pos %zu msg '%s'", field, rc, d.pos, d.msg);
}

static void test_bad_fields(void **state)
{
    (void)state;
    bad("", 0, "empty");
    bad("SIP+D2U", 0, "not an E2U");
    bad("E2UX+sip", 0, "not an E2U");
    bad("E2U", 3, "no enumservice");
    bad("E2U+", 3, "no enumservice");
    bad("E2U++sip", 4, "empty enumservice");
    bad("E2U+sip+", 8, "empty enumservice");
    bad("E2U+s!p", 5, "'!'");
    bad("E2U+sip:", 8, "empty enumservice subtype");
    bad("E2U+:tel", 4, "empty enumservice type");
    bad("E2U+sip+E2U", 8, "more than once");
    bad("sip+pres+E2U", 0, "single enumservice");
    bad("+E2U", 0, "no enumservice");
    bad("E2U+abcdefghijklmnopqrstuvwxyz0123456", 4, "32");  /* 33 characters */
    bad("E2U+a:abcdefghijklmnopqrstuvwxyz0123456", 6, "32");
    /* 17 enumservices */
    bad("E2U+a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q", 36, "more than 16"); /* the 17th, q */
    names("E2U+abcdefghijklmnopqrstuvwxyz012345", /* exactly 32 */
          (const char *const[]){"abcdefghijklmnopqrstuvwxyz012345"}, 1, false);
}

static void test_private(void **state)
{
    (void)state;
    e2u_services_t s;
    assert_int_equal(e2u_services_parse(&s, "E2U+P-acme:sip+sip", 18, NULL), 0);
    assert_true(e2u_enumservice_is_private(&s.svc[0]));
    assert_false(e2u_enumservice_is_private(&s.svc[1]));
    assert_int_equal(e2u_services_parse(&s, "E2U+pres", 8, NULL), 0);
    assert_false(e2u_enumservice_is_private(&s.svc[0])); /* "pr", not "p-" */
}

static void test_specs(void **state)
{
    (void)state;
    e2u_service_spec_t sip, pstn_tel, pstn;
    e2u_diag_t d;
    assert_int_equal(e2u_service_spec_parse(&sip, "sip", 3, &d), 0);
    assert_int_equal(e2u_service_spec_parse(&pstn_tel, "E2U+PSTN:TEL", 12, &d), 0);
    assert_string_equal(pstn_tel.type, "pstn");
    assert_string_equal(pstn_tel.subtype, "tel");
    assert_int_equal(e2u_service_spec_parse(&pstn, "pstn", 4, &d), 0);
    assert_int_equal(e2u_service_spec_parse(&pstn, "pstn:", 5, &d), E2U_EINVAL);
    assert_int_equal(e2u_service_spec_parse(&pstn, ":tel", 4, &d), E2U_EINVAL);
    assert_int_equal(e2u_service_spec_parse(&pstn, "pstn:tel:x", 10, &d), E2U_EINVAL);
    assert_int_equal(e2u_service_spec_parse(&pstn, "", 0, &d), E2U_EINVAL);
    assert_int_equal(e2u_service_spec_parse(&pstn, "pstn", 4, &d), 0);

    e2u_services_t s;
    assert_int_equal(e2u_services_parse(&s, "E2U+pstn:tel", 12, NULL), 0);
    assert_true(e2u_service_spec_match(&pstn, &s.svc[0]));     /* type matches any subtype */
    assert_true(e2u_service_spec_match(&pstn_tel, &s.svc[0])); /* exact */
    assert_false(e2u_service_spec_match(&sip, &s.svc[0]));
    assert_int_equal(e2u_services_parse(&s, "E2U+pstn:sip", 12, NULL), 0);
    assert_false(e2u_service_spec_match(&pstn_tel, &s.svc[0]));
    assert_int_equal(e2u_services_parse(&s, "E2U+pstn", 8, NULL), 0);
    assert_false(e2u_service_spec_match(&pstn_tel, &s.svc[0])); /* subtype required */
    assert_true(e2u_service_spec_match(&pstn, &s.svc[0]));
    assert_int_equal(e2u_services_parse(&s, "E2U+SIP+pres", 12, NULL), 0);
    assert_true(e2u_service_spec_match(&sip, &s.svc[0]));
    e2u_service_spec_t both[2] = {pstn_tel, sip};
    assert_true(e2u_services_match(&s, both, 2));
    assert_false(e2u_services_match(&s, both, 1));
    assert_true(e2u_services_match(&s, NULL, 0));
}

static e2u_scheme_fit_t fit(const char *field, const char *scheme)
{
    e2u_services_t s;
    assert_int_equal(e2u_services_parse(&s, field, strlen(field), NULL), 0);
    return e2u_enumservice_scheme_fit(&s.svc[0], scheme, strlen(scheme));
}

static void test_registry(void **state)
{
    (void)state;
    /* draft-peterson-enum-sip §2: sip and sips */
    assert_int_equal(fit("E2U+sip", "sip"), E2U_SCHEME_FITS);
    assert_int_equal(fit("E2U+sip", "SIPS"), E2U_SCHEME_FITS);
    assert_int_equal(fit("E2U+sip", "http"), E2U_SCHEME_MISMATCH);
    /* RFC 3953 §4: pres SHOULD, others MAY */
    assert_int_equal(fit("E2U+pres", "pres"), E2U_SCHEME_FITS);
    assert_int_equal(fit("E2U+pres", "sip"), E2U_SCHEME_TOLERATED);
    /* draft-mahy-enum-im-service §2: im */
    assert_int_equal(fit("E2U+im", "im"), E2U_SCHEME_FITS);
    assert_int_equal(fit("E2U+im", "xmpp"), E2U_SCHEME_MISMATCH);
    /* RFC 4769 §3.1, §3.2 */
    assert_int_equal(fit("E2U+pstn:tel", "tel"), E2U_SCHEME_FITS);
    assert_int_equal(fit("E2U+pstn:tel", "sip"), E2U_SCHEME_MISMATCH);
    assert_int_equal(fit("E2U+pstn:sip", "sip"), E2U_SCHEME_FITS);
    assert_int_equal(fit("E2U+pstn:sip", "tel"), E2U_SCHEME_MISMATCH);
    assert_int_equal(fit("E2U+pstn", "tel"), E2U_SCHEME_UNKNOWN_SVC);
    assert_int_equal(fit("E2U+esx", "enum"), E2U_SCHEME_UNKNOWN_SVC);
    assert_int_equal(fit("E2U+web:https", "https"), E2U_SCHEME_FITS);
    size_t n;
    const e2u_enumservice_info_t *r = e2u_enumservice_registry(&n);
    assert_true(n >= 5);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(r[i].schemes[0]);
        assert_non_null(r[i].reference);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),   cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_private),  cmocka_unit_test(test_specs),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
