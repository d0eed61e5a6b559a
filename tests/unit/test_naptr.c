/*
 * tests/unit/test_naptr.c — NAPTR RDATA in wire form and master-file text.
 *
 * The wire layout is RFC 3403 §4.1: ORDER and PREFERENCE as 16-bit big-endian integers, then
 * FLAGS, SERVICES and REGEXP as <character-string>s (a length octet, then the octets), then an
 * uncompressed REPLACEMENT name. Expected bytes are assembled here from that layout and the
 * record text of RFC 4769 §4.1 and RFC 6116 §4, whose master-file form doubles each backslash
 * that the wire form carries once (RFC 6116 §4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "e2u/e2u.h"

/* Build RFC 3403 §4.1 wire RDATA by hand. Returns its length. */
static size_t wire(uint8_t *b, unsigned order, unsigned pref, const char *flags,
                   const char *services, const char *regexp, const uint8_t *repl, size_t repl_len)
{
    size_t o = 0;
    b[o++] = (uint8_t)(order >> 8);
    b[o++] = (uint8_t)order;
    b[o++] = (uint8_t)(pref >> 8);
    b[o++] = (uint8_t)pref;
    const char *f[3] = {flags, services, regexp};
    for (int i = 0; i < 3; i++) {
        b[o++] = (uint8_t)strlen(f[i]);
        memcpy(b + o, f[i], strlen(f[i]));
        o += strlen(f[i]);
    }
    memcpy(b + o, repl, repl_len);
    return o + repl_len;
}

static const uint8_t ROOT[] = {0};

static void test_rfc4769_text_to_wire(void **state)
{
    (void)state;
    const char *text =
        "10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+1-215-555-0123;npdi;rn=+1-215-555-0199!\" .";
    uint8_t want[E2U_NAPTR_RDATA_MAX], got[E2U_NAPTR_RDATA_MAX];
    size_t wl = wire(want, 10, 100, "u", "E2U+pstn:tel",
                     "!^.*$!tel:+1-215-555-0123;npdi;rn=+1-215-555-0199!", ROOT, 1);
    size_t gl;
    assert_int_equal(e2u_naptr_parse_text(got, sizeof(got), &gl, text, strlen(text), NULL, NULL),
                     0);
    assert_int_equal(gl, wl);
    assert_memory_equal(got, want, wl);

    e2u_naptr_t n;
    assert_int_equal(e2u_naptr_parse_wire(&n, got, gl, NULL), 0);
    assert_int_equal(n.order, 10);
    assert_int_equal(n.preference, 100);
    assert_int_equal(n.flags_len, 1);
    assert_memory_equal(n.flags, "u", 1);
    assert_int_equal(n.services_len, 12);
    assert_memory_equal(n.services, "E2U+pstn:tel", 12);
    assert_int_equal(n.regexp_len, 50);
    assert_int_equal(n.replacement_len, 1);
    /* views borrow the RDATA */
    assert_ptr_equal(n.flags, (const char *)got + 5);

    char t[E2U_NAPTR_TEXT_MAX];
    size_t tl;
    assert_int_equal(e2u_naptr_format_text(&n, t, sizeof(t), &tl), 0);
    assert_string_equal(t, text);
    assert_int_equal(tl, strlen(text));
}

static void test_rfc6116_backslashes(void **state)
{
    (void)state;
    /* RFC 6116 §4: master file "!^(\\+441632960083)$!sip:\\1@example.com!" */
    const char *text = "100 50 \"u\" \"E2U+sip\" \"!^(\\\\+441632960083)$!sip:\\\\1@example.com!\" .";
    uint8_t got[E2U_NAPTR_RDATA_MAX];
    size_t gl;
    assert_int_equal(e2u_naptr_parse_text(got, sizeof(got), &gl, text, strlen(text), NULL, NULL),
                     0);
    e2u_naptr_t n;
    assert_int_equal(e2u_naptr_parse_wire(&n, got, gl, NULL), 0);
    const char *onwire = "!^(\\+441632960083)$!sip:\\1@example.com!"; /* single backslashes */
    assert_int_equal(n.regexp_len, strlen(onwire));
    assert_memory_equal(n.regexp, onwire, strlen(onwire));
    char t[E2U_NAPTR_TEXT_MAX];
    assert_int_equal(e2u_naptr_format_text(&n, t, sizeof(t), NULL), 0);
    assert_string_equal(t, text);
}

static void test_text_forms(void **state)
{
    (void)state;
    uint8_t a[E2U_NAPTR_RDATA_MAX], b[E2U_NAPTR_RDATA_MAX];
    size_t al, bl;
    uint8_t origin[E2U_DNAME_MAX];
    size_t ol;
    e2u_dname_from_text(origin, sizeof(origin), &ol, "3.2.1.0.5.5.5.5.1.2.1.e164.arpa.", 32,
                        NULL, NULL);
    /* bare character-strings, parentheses, a comment, a relative replacement */
    const char *t1 = "( 100 10 \"\" \"\" \"\" ; non-terminal\n  next )";
    assert_int_equal(e2u_naptr_parse_text(a, sizeof(a), &al, t1, strlen(t1), origin, NULL), 0);
    static const uint8_t next[] = {4, 'n', 'e', 'x', 't', 1, '3', 1, '2', 1, '1', 1, '0', 1,
                                   '5', 1,   '5', 1,   '5', 1,   '5', 1,   '1', 1,   '2', 1,
                                   '1', 4,   'e', '1', '6', '4', 4,   'a', 'r', 'p', 'a', 0};
    bl = wire(b, 100, 10, "", "", "", next, sizeof(next));
    assert_int_equal(al, bl);
    assert_memory_equal(a, b, bl);
    /* unquoted strings and \DDD escapes */
    const char *t2 = "10 100 u E2U+sip \\033^.*$!sip:a@b\\033 .";
    assert_int_equal(e2u_naptr_parse_text(a, sizeof(a), &al, t2, strlen(t2), NULL, NULL), 0);
    bl = wire(b, 10, 100, "u", "E2U+sip", "!^.*$!sip:a@b!", ROOT, 1);
    assert_int_equal(al, bl);
    assert_memory_equal(a, b, bl);
    /* RFC 3597 generic form of the same record */
    char gen[200];
    size_t g = (size_t)snprintf(gen, sizeof(gen), "\\# %zu ", bl);
    for (size_t i = 0; i < bl; i++)
        g += (size_t)snprintf(gen + g, sizeof(gen) - g, "%02x%s", b[i], i == 5 ? " " : "");
    assert_int_equal(e2u_naptr_parse_text(a, sizeof(a), &al, gen, g, NULL, NULL), 0);
    assert_int_equal(al, bl);
    assert_memory_equal(a, b, bl);
    /* unprintable octets and quotes are escaped on output */
    const char *t3 = "1 2 \"u\" \"E2U+x\" \"a\\\"b\\009c\" .";
    assert_int_equal(e2u_naptr_parse_text(a, sizeof(a), &al, t3, strlen(t3), NULL, NULL), 0);
    e2u_naptr_t n;
    assert_int_equal(e2u_naptr_parse_wire(&n, a, al, NULL), 0);
    assert_int_equal(n.regexp_len, 5);
    assert_memory_equal(n.regexp, "a\"b\tc", 5);
    char out[E2U_NAPTR_TEXT_MAX];
    assert_int_equal(e2u_naptr_format_text(&n, out, sizeof(out), NULL), 0);
    assert_string_equal(out, "1 2 \"u\" \"E2U+x\" \"a\\\"b\\009c\" .");
}

static void text_error(const char *t, int code, size_t pos)
{
    uint8_t a[E2U_NAPTR_RDATA_MAX];
    size_t al;
    e2u_diag_t d;
    memset(&d, 0, sizeof(d));
    int rc = e2u_naptr_parse_text(a, sizeof(a), &al, t, strlen(t), NULL, &d);
    if (rc != code || d.pos != pos)
        fail_msg("'%s': got %d at %zu (%s), want %d at %zu", t, rc, d.pos, d.msg, code, pos);
}

static void test_text_errors(void **state)
{
    (void)state;
    text_error("65536 1 \"u\" \"E2U+sip\" \"!a!b!\" .", E2U_ENAPTR, 0);
    text_error("10 x1 \"u\" \"E2U+sip\" \"!a!b!\" .", E2U_ENAPTR, 3);
    text_error("10 10 \"u\" \"E2U+sip\" \"!a!b!", E2U_ESYNTAX, 20);
    text_error("10 10 \"u\" \"E2U+sip\"", E2U_ENAPTR, 19);
    text_error("10 10 \"u\" \"E2U+sip\" \"!a!b!\" . extra", E2U_ESYNTAX, 30);
    text_error("10 10 \"u\" \"E2U+sip\" \"!a!b!\" a..b", E2U_ENAPTR, 30);
    text_error("( 10 10 \"u\" \"E2U+sip\" \"!a!b!\" .", E2U_ESYNTAX, 31);
    text_error("10 10 \"u\" \"E2U+sip\" \"!a!b!\" . )", E2U_ESYNTAX, 30);
    text_error("10 10 \"\\25x\" \"\" \"\" .", E2U_ESYNTAX, 7);
    text_error("\\# 3 0001", E2U_ENAPTR, 9);
    text_error("\\# 2 0001", E2U_ENAPTR, 9); /* decodes, but is not a NAPTR */
    text_error("\\# 2000 00", E2U_ENAPTR, 7); /* longer than any NAPTR */
    char big[600];
    size_t o = (size_t)snprintf(big, sizeof(big), "1 1 \"u\" \"E2U+sip\" \"");
    memset(big + o, 'a', 256);
    o += 256;
    snprintf(big + o, sizeof(big) - o, "\" .");
    text_error(big, E2U_ENAPTR, 18);
}

static void test_wire_errors(void **state)
{
    (void)state;
    uint8_t b[E2U_NAPTR_RDATA_MAX];
    size_t bl = wire(b, 10, 100, "u", "E2U+sip", "!^.*$!sip:a@b!", ROOT, 1);
    e2u_naptr_t n;
    e2u_diag_t d;
    assert_int_equal(e2u_naptr_parse_wire(&n, b, bl, &d), 0);
    /* every truncation fails */
    for (size_t cut = 0; cut < bl; cut++)
        assert_int_equal(e2u_naptr_parse_wire(&n, b, cut, &d), E2U_ENAPTR);
    /* trailing octets */
    b[bl] = 0;
    assert_int_equal(e2u_naptr_parse_wire(&n, b, bl + 1, &d), E2U_ENAPTR);
    assert_int_equal(d.pos, bl);
    /* a compressed replacement */
    static const uint8_t ptr[] = {0xc0, 0x0c};
    bl = wire(b, 10, 100, "", "", "", ptr, sizeof(ptr));
    assert_int_equal(e2u_naptr_parse_wire(&n, b, bl, &d), E2U_ENAPTR);
    assert_non_null(strstr(d.msg, "compressed"));
    /* a character-string length that runs past the end */
    bl = wire(b, 10, 100, "u", "E2U+sip", "!a!b!", ROOT, 1);
    b[4] = 200;
    assert_int_equal(e2u_naptr_parse_wire(&n, b, bl, &d), E2U_ENAPTR);
    assert_non_null(strstr(d.msg, "FLAGS"));
}

static void test_write_wire(void **state)
{
    (void)state;
    uint8_t b[E2U_NAPTR_RDATA_MAX], c[E2U_NAPTR_RDATA_MAX];
    size_t bl = wire(b, 65535, 0, "U", "E2U+sip+pres", "/x/y/i", ROOT, 1), cl;
    e2u_naptr_t n;
    assert_int_equal(e2u_naptr_parse_wire(&n, b, bl, NULL), 0);
    assert_int_equal(n.order, 65535);
    assert_int_equal(e2u_naptr_write_wire(&n, c, sizeof(c), &cl), 0);
    assert_int_equal(cl, bl);
    assert_memory_equal(b, c, bl);
    assert_int_equal(e2u_naptr_write_wire(&n, c, bl - 1, &cl), E2U_ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4769_text_to_wire), cmocka_unit_test(test_rfc6116_backslashes),
        cmocka_unit_test(test_text_forms),           cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_wire_errors),          cmocka_unit_test(test_write_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
