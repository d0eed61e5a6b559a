/*
 * tests/unit/test_dname.c — names between presentation and wire form (RFC 1035 §2.3.4, §3.1,
 * §5.1). Wire bytes below are written out by hand from RFC 1035 §3.1: each label is a length
 * octet and that many octets, ending with the zero-length root label.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "e2u/e2u.h"

static void test_from_text(void **state)
{
    (void)state;
    uint8_t w[E2U_DNAME_MAX];
    size_t wl;
    static const uint8_t want[] = {4, 'e', '1', '6', '4', 4, 'a', 'r', 'p', 'a', 0};
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, "e164.arpa.", 10, NULL, NULL), 0);
    assert_int_equal(wl, sizeof(want));
    assert_memory_equal(w, want, sizeof(want));
    /* relative without origin: the root is appended */
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, "e164.arpa", 9, NULL, NULL), 0);
    assert_memory_equal(w, want, sizeof(want));
    /* relative with origin */
    static const uint8_t want2[] = {1, '3', 4, 'e', '1', '6', '4', 4, 'a', 'r', 'p', 'a', 0};
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, "3", 1, want, NULL), 0);
    assert_int_equal(wl, sizeof(want2));
    assert_memory_equal(w, want2, sizeof(want2));
    /* "@" is the origin, "." the root */
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, "@", 1, want, NULL), 0);
    assert_memory_equal(w, want, sizeof(want));
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, ".", 1, want, NULL), 0);
    assert_int_equal(wl, 1);
    assert_int_equal(w[0], 0);
    /* escapes: "a\.b" is one label of three octets, "\065" is 'A' */
    static const uint8_t want3[] = {3, 'a', '.', 'b', 1, 'A', 0};
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, "a\\.b.\\065.", 10, NULL, NULL), 0);
    assert_int_equal(wl, sizeof(want3));
    assert_memory_equal(w, want3, sizeof(want3));
}

static void test_from_text_errors(void **state)
{
    (void)state;
    uint8_t w[E2U_DNAME_MAX];
    size_t wl;
    e2u_diag_t d;
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, "a..b", 4, NULL, &d), E2U_EDNAME);
    assert_int_equal(d.pos, 2);
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, ".a", 2, NULL, &d), E2U_EDNAME);
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, "", 0, NULL, &d), E2U_EDNAME);
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, "a\\", 2, NULL, &d), E2U_EDNAME);
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, "a\\25", 4, NULL, &d), E2U_EDNAME);
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, "a\\256", 5, NULL, &d), E2U_EDNAME);
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, "a b", 3, NULL, &d), E2U_EDNAME);
    assert_int_equal(d.pos, 1);
    char label[70];
    memset(label, 'x', 64);
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, label, 63, NULL, &d), 0);
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, label, 64, NULL, &d), E2U_EDNAME);
    assert_non_null(strstr(d.msg, "63"));
    /* 4 labels of 63 = 4 * 64 + 1 = 257 octets: too long; 3 labels of 63 and one of 61 = 255 */
    char name[300];
    size_t o = 0;
    for (int l = 0; l < 4; l++) {
        memset(name + o, 'y', 63);
        o += 63;
        name[o++] = '.';
    }
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, name, o, NULL, &d), E2U_EDNAME);
    assert_non_null(strstr(d.msg, "255"));
    o = 3 * 64 + 61;
    name[o] = '.';
    assert_int_equal(e2u_dname_from_text(w, sizeof(w), &wl, name, o + 1, NULL, &d), 0);
    assert_int_equal(wl, 255);
    /* a buffer too small is ENOSPC, not a name error */
    uint8_t tiny[4];
    assert_int_equal(e2u_dname_from_text(tiny, sizeof(tiny), &wl, "abcdef.", 7, NULL, &d),
                     E2U_ENOSPC);
}

static void test_to_text(void **state)
{
    (void)state;
    char t[E2U_DNAME_TEXT_MAX];
    size_t tl;
    static const uint8_t n1[] = {3, 'a', '.', 'b', 1, 'A', 2, 0x01, ' ', 0};
    assert_int_equal(e2u_dname_to_text(t, sizeof(t), &tl, n1, sizeof(n1)), 0);
    assert_string_equal(t, "a\\.b.A.\\001\\032.");
    assert_int_equal(tl, strlen(t));
    static const uint8_t root[] = {0};
    assert_int_equal(e2u_dname_to_text(t, sizeof(t), &tl, root, 1), 0);
    assert_string_equal(t, ".");
    char small[4];
    assert_int_equal(e2u_dname_to_text(small, sizeof(small), &tl, n1, sizeof(n1)), E2U_ENOSPC);
}

static void test_wire_len(void **state)
{
    (void)state;
    static const uint8_t ok[] = {1, 'a', 0, 0xff};
    assert_int_equal(e2u_dname_wire_len(ok, sizeof(ok)), 3);
    static const uint8_t ptr[] = {1, 'a', 0xc0, 0x0c};
    assert_int_equal(e2u_dname_wire_len(ptr, sizeof(ptr)), E2U_EDNAME);
    static const uint8_t cut[] = {5, 'a', 'b'};
    assert_int_equal(e2u_dname_wire_len(cut, sizeof(cut)), E2U_EDNAME);
    static const uint8_t noend[] = {1, 'a'};
    assert_int_equal(e2u_dname_wire_len(noend, sizeof(noend)), E2U_EDNAME);
    assert_int_equal(e2u_dname_wire_len(ok, 0), E2U_EDNAME);
}

static void test_compare(void **state)
{
    (void)state;
    uint8_t a[E2U_DNAME_MAX], b[E2U_DNAME_MAX], c[E2U_DNAME_MAX];
    size_t l;
    e2u_dname_from_text(a, sizeof(a), &l, "3.2.1.E164.Arpa.", 16, NULL, NULL);
    e2u_dname_from_text(b, sizeof(b), &l, "3.2.1.e164.arpa.", 16, NULL, NULL);
    e2u_dname_from_text(c, sizeof(c), &l, "e164.arpa.", 10, NULL, NULL);
    assert_true(e2u_dname_equal(a, b));
    assert_false(e2u_dname_equal(a, c));
    assert_int_equal(e2u_dname_labels(a), 5);
    assert_true(e2u_dname_is_subdomain(a, c));
    assert_true(e2u_dname_is_subdomain(c, c));
    assert_false(e2u_dname_is_subdomain(c, a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_text), cmocka_unit_test(test_from_text_errors),
        cmocka_unit_test(test_to_text),   cmocka_unit_test(test_wire_len),
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
