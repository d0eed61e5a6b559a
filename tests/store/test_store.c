/*
 * tests/store/test_store.c — lib/store: encodings, templates, the name classification, blocks
 * versus numbers, ordinary names, the journal, readers and snapshots, the number index, import
 * (master file and CSV, bad lines, refusal, skip-bad, unsorted input), export round trips, a full
 * map.
 *
 * Each test makes its own store in a fresh temporary directory (removed afterwards). Names
 * are written in presentation form and converted here; expected answers come from the RFCs'
 * examples (RFC 4769 §4 for number portability) and from RFC 1034 §4.3.2's rules for empty
 * non-terminals and NXDOMAIN.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2u/e2u.h"
#include "e2u/store.h"
#include "store/csv.h"
#include "store/internal.h"

/* --- helpers ---------------------------------------------------------------------------------- */

typedef struct fx {
    char dir[256];
    e2u_store_t *s;
} fx_t;

static void rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/e2u-store-test-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    e2u_store_opts_t o = {.no_sync = true};
    e2u_diag_t d;
    char db[300];
    snprintf(db, sizeof(db), "%s/db", f->dir);
    if (e2u_store_open(&f->s, db, &o, &d) < 0) {
        fprintf(stderr, "%s\n", d.msg);
        rmdir(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    char db[300];
    snprintf(db, sizeof(db), "%s/db", f->dir);
    e2u_store_close(f->s);
    rmtree(db);
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        char p[600];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
            rmtree(p);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static size_t W(uint8_t *w, const char *text)
{
    size_t n;
    assert_int_equal(e2u_dname_from_text(w, 256, &n, text, strlen(text), NULL, NULL), 0);
    return n;
}

static size_t R(uint8_t *rd, const char *text)
{
    size_t n;
    e2u_diag_t d;
    int rc = e2u_naptr_parse_text(rd, E2U_NAPTR_RDATA_MAX, &n, text, strlen(text), NULL, &d);
    if (rc < 0)
        fail_msg("%s: %s", text, d.msg);
    return n;
}

static const char *SOA = "ns1.example. hostmaster.example. 1 7200 3600 1209600 300";

/* Create zone origin with serial 1. */
static void mkzone(e2u_store_t *s, const char *origin)
{
    uint8_t o[256], soa[600], ns[256];
    W(o, origin);
    /* SOA RDATA by hand: two names and five numbers */
    size_t a = W(soa, "ns1.example."), b = W(soa + a, "hostmaster.example.");
    uint32_t v[5] = {1, 7200, 3600, 1209600, 300};
    for (int i = 0; i < 5; i++)
        e2u__put32(soa + a + b + 4 * i, v[i]);
    W(ns, "ns1.example.");
    const uint8_t *nsp[1] = {ns};
    e2u_store_txn_t *w;
    assert_int_equal(e2u_store_write_begin(s, &w), 0);
    assert_int_equal(e2u_store_zone_create(w, o, soa, a + b + 20, 3600, nsp, 1, 3600), 0);
    assert_int_equal(e2u_store_write_commit(w, NULL), 0);
    (void)SOA;
}

/* Set the NAPTR RRset of name (text) to the records given (NULL-terminated). */
/* The end of put_naptr's records: a null pointer of the type va_arg reads (a bare NULL may be
 * an int 0 in a variadic call). */
#define END ((const char *)NULL)

static int put_naptr(e2u_store_t *s, const char *name, uint32_t ttl, ...)
{
    uint8_t o[256], rd[8][E2U_NAPTR_RDATA_MAX];
    e2u_rdata_t rr[8];
    size_t n = 0;
    va_list ap;
    va_start(ap, ttl);
    const char *t;
    while ((t = va_arg(ap, const char *)) && n < 8) {
        rr[n].len = (uint16_t)R(rd[n], t);
        rr[n].data = rd[n];
        n++;
    }
    va_end(ap);
    W(o, name);
    e2u_store_txn_t *w;
    assert_int_equal(e2u_store_write_begin(s, &w), 0);
    e2u_diag_t d = {0};
    int rc = e2u_store_put_rrset(w, o, E2U_STORE_TYPE_NAPTR, ttl, rr, n, &d);
    if (rc < 0) {
        e2u_store_write_abort(w);
        return rc;
    }
    return e2u_store_write_commit(w, NULL);
}

static int put_type(e2u_store_t *s, const char *name, uint16_t type, const uint8_t *rd, size_t len)
{
    uint8_t o[256];
    W(o, name);
    e2u_rdata_t rr = {rd, (uint16_t)len};
    e2u_store_txn_t *w;
    assert_int_equal(e2u_store_write_begin(s, &w), 0);
    int rc = e2u_store_put_rrset(w, o, type, 3600, &rr, len || rd ? 1 : 0, NULL);
    if (rc < 0) {
        e2u_store_write_abort(w);
        return rc;
    }
    return e2u_store_write_commit(w, NULL);
}

static int put_block(e2u_store_t *s, const char *origin, const char *prefix, unsigned len,
                     const char *rdata)
{
    uint8_t o[256], rd[E2U_NAPTR_RDATA_MAX];
    W(o, origin);
    e2u_rdata_t rr = {rd, 0};
    size_t n = 0;
    if (rdata) {
        rr.len = (uint16_t)R(rd, rdata);
        n = 1;
    }
    e2u_store_txn_t *w;
    assert_int_equal(e2u_store_write_begin(s, &w), 0);
    int rc = e2u_store_put_block(w, o, prefix, len, 600, &rr, n, NULL);
    if (rc < 0) {
        e2u_store_write_abort(w);
        return rc;
    }
    return e2u_store_write_commit(w, NULL);
}

/* Whether the last ask_rd's answer came through the number index. */
static bool asked_indexed;

/* What reader rd says about name: its kind, and the NAPTR texts joined by '|' into out (if not
 * NULL). */
static e2u_store_kind_t ask_rd(e2u_store_rd_t *rd, const char *name, char *out, size_t cap)
{
    static uint8_t buf[E2U_STORE_BUF_MIN];
    uint8_t q[256];
    size_t ql = W(q, name);
    e2u_store_answer_t a;
    assert_int_equal(e2u_store_find(rd, q, ql, buf, sizeof(buf), &a), 0);
    asked_indexed = a.indexed;
    e2u_store_rrset_t rs;
    if (out)
        out[0] = '\0';
    if (out && e2u_store_answer_rrset(&a, E2U_STORE_TYPE_NAPTR, &rs) == 0) {
        size_t pos = 0, o = 0;
        const uint8_t *d;
        uint16_t l;
        while (e2u_store_rdata_next(&rs, &pos, &d, &l)) {
            char t[E2U_NAPTR_TEXT_MAX];
            e2u_store_rdata_text(E2U_STORE_TYPE_NAPTR, d, l, t, sizeof(t));
            o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "|" : "", t);
            assert_true(o < cap); /* the caller's buffer holds them all */
        }
    }
    return a.kind;
}

/* The same through a new reader of the latest commit. */
static e2u_store_kind_t ask(e2u_store_t *s, const char *name, char *out, size_t cap)
{
    e2u_store_rd_t *rd;
    assert_int_equal(e2u_store_read_begin(s, &rd), 0);
    e2u_store_kind_t k = ask_rd(rd, name, out, cap);
    e2u_store_read_end(rd);
    return k;
}

static uint32_t serial(e2u_store_t *s, const char *origin)
{
    uint8_t o[256];
    W(o, origin);
    e2u_store_rd_t *rd;
    assert_int_equal(e2u_store_read_begin(s, &rd), 0);
    const e2u_store_zone_t *z;
    assert_int_equal(e2u_store_zone_get(rd, o, &z), 0);
    uint32_t v = z->serial;
    e2u_store_read_end(rd);
    return v;
}

static e2u_store_stats_t stats(e2u_store_t *s)
{
    e2u_store_rd_t *rd;
    e2u_store_stats_t st;
    assert_int_equal(e2u_store_read_begin(s, &rd), 0);
    assert_int_equal(e2u_store_stats(rd, &st), 0);
    e2u_store_read_end(rd);
    return st;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#define Z             "1.e164.arpa."
#define PORTED(n, rn) "10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+" n ";npdi;rn=+" rn "!\" ."

/* --- encodings -------------------------------------------------------------------------------- */

static void test_ovarint_order(void **state)
{
    (void)state;
    uint32_t vals[] = {0,     1,     127,   128,   129,     255,     256,
                       16511, 16512, 16513, 70000, 2113663, 2113664, 50000000};
    uint8_t prev[4];
    size_t plen = 0;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        uint8_t b[4];
        size_t n = e2u__ov_put(b, vals[i]);
        uint32_t back;
        assert_int_equal(e2u__ov_get(b, n, &back), n);
        assert_int_equal(back, vals[i]);
        assert_int_equal(e2u__ov_get(b, n - 1, &back), 0); /* truncated */
        if (i) {                                           /* order preserving, prefix-free */
            size_t m = n < plen ? n : plen;
            int c = memcmp(prev, b, m);
            assert_true(c < 0);
        }
        memcpy(prev, b, n);
        plen = n;
    }
}

static void test_bcd_keys(void **state)
{
    (void)state;
    /* a prefix sorts before its extensions, and "21" < "215" < "2150" < "216" */
    const char *order[] = {"2", "20", "21", "215", "2150", "2159", "216", "3"};
    uint8_t prev[17];
    size_t pl = 0;
    for (size_t i = 0; i < 8; i++) {
        uint8_t k[17];
        size_t n = e2u__bcd_key(k, order[i], strlen(order[i]));
        char back[40];
        assert_int_equal(e2u__bcd_digits(back, k, n), (int)strlen(order[i]));
        assert_string_equal(back, order[i]);
        if (i) {
            size_t m = n < pl ? n : pl;
            int c = memcmp(prev, k, m);
            assert_true(c < 0 || (c == 0 && pl < n));
        }
        memcpy(prev, k, n);
        pl = n;
    }
    uint8_t bad[2] = {0xb1, 0x00};
    char out[8];
    assert_int_equal(e2u__bcd_digits(out, bad, 2), -1);
}

/* --- templates -------------------------------------------------------------------------------- */

static void roundtrip_tmpl(const char *const *texts, size_t n, const char *owner, unsigned np)
{
    uint8_t rd[8][E2U_NAPTR_RDATA_MAX];
    e2u__rec_t r[8];
    for (size_t i = 0; i < n; i++) {
        r[i].len = (uint16_t)R(rd[i], texts[i]);
        r[i].rdata = rd[i];
    }
    n = e2u__recs_canon(r, n);
    e2u__tbuild_t tb;
    e2u__tbuild_init(&tb);
    assert_int_equal(e2u__tmpl_make(&tb, 300, r, n, owner, owner ? strlen(owner) : 0), 0);
    assert_int_equal(tb.nparams, np);
    static uint8_t out[E2U_STORE_BUF_MIN];
    int len = e2u__tmpl_expand(tb.tmpl.p, tb.tmpl.len, owner, owner ? strlen(owner) : 0,
                               tb.params.p, tb.params.len, out, sizeof(out));
    assert_true(len > 0);
    e2u_store_rrset_t rs;
    size_t pos = 0;
    assert_true(e2u_store_rrset_next(out, (size_t)len, &pos, &rs));
    assert_int_equal(rs.type, E2U_STORE_TYPE_NAPTR);
    assert_int_equal(rs.ttl, 300);
    assert_int_equal(rs.count, n);
    size_t rp = 0;
    const uint8_t *d;
    uint16_t l;
    for (size_t i = 0; i < n; i++) {
        assert_true(e2u_store_rdata_next(&rs, &rp, &d, &l));
        assert_int_equal(l, r[i].len);
        assert_memory_equal(d, r[i].rdata, l);
    }
    /* a buffer one octet short fails cleanly */
    assert_int_equal(e2u__tmpl_expand(tb.tmpl.p, tb.tmpl.len, owner, owner ? strlen(owner) : 0,
                                      tb.params.p, tb.params.len, out, (size_t)len - 1),
                     E2U_ENOSPC);
    e2u__tbuild_free(&tb);
}

static void test_template_holes(void **state)
{
    (void)state;
    /* RFC 4769 §4.1: the owner costs nothing, the routing number is one parameter */
    const char *ported[] = {PORTED("12155550123", "12155550199")};
    roundtrip_tmpl(ported, 1, "12155550123", 1);
    /* a tail of the owner (the national number) is a hole too; short runs stay literal */
    const char *nat[] = {"10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:2155550123@gw8.example:506!\" ."};
    roundtrip_tmpl(nat, 1, "12155550123", 0);
    /* four digits or more that are not the owner's are a parameter (a port here) */
    const char *port[] = {
        "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:+12155550123@gw8.example:5060!\" ."};
    roundtrip_tmpl(port, 1, "12155550123", 1);
    /* equal parameters are stored once across the records of a set */
    const char *pres[] = {"10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:u123456@example.net!\" .",
                          "10 101 \"u\" \"E2U+pres\" \"!^.*$!pres:u123456@example.net!\" .",
                          "10 102 \"u\" \"E2U+im\" \"!^.*$!im:u123456@example.net!\" ."};
    roundtrip_tmpl(pres, 3, "12155550123", 1);
    /* the escape octet itself, back-references, a block without an owner */
    const char *odd[] = {"10 100 \"u\" \"E2U+sip\" \"!^\\\\+1(.*)$!sip:\\255\\\\1@x\\255y!\" .",
                         "20 10 \"\" \"\" \"\" next.Example."};
    roundtrip_tmpl(odd, 2, NULL, 0);
}

static void test_template_limits(void **state)
{
    (void)state;
    /* 64 distinct parameters do not fit: E2U_ELIMIT, the caller keeps an ordinary name */
    uint8_t rd[8][E2U_NAPTR_RDATA_MAX];
    e2u__rec_t r[8];
    for (int i = 0; i < 8; i++) {
        char rx[256], t[400];
        int o = snprintf(rx, sizeof(rx), "!x!");
        for (int k = 0; k < 9; k++)
            o += snprintf(rx + o, sizeof(rx) - (size_t)o, "%d%03d-", 1000 + i, k);
        snprintf(t, sizeof(t), "10 %d \"u\" \"E2U+sip\" \"%s!\" .", i, rx);
        r[i].len = (uint16_t)R(rd[i], t);
        r[i].rdata = rd[i];
    }
    e2u__tbuild_t tb;
    e2u__tbuild_init(&tb);
    assert_int_equal(e2u__tmpl_make(&tb, 1, r, 8, NULL, 0), E2U_ELIMIT);
    assert_int_equal(e2u__tmpl_make(&tb, 1, r, 7, NULL, 0), 0);
    assert_int_equal(tb.nparams, 63);
    e2u__tbuild_free(&tb);
}

/* --- numbers, ENTs, NXDOMAIN --------------------------------------------------------------------
 */

static void test_numbers(void **state)
{
    fx_t *f = *state;
    char t[4096];
    mkzone(f->s, Z);
    assert_int_equal(
        put_naptr(f->s, "3.2.1.0.5.5.5.5.1.2." Z, 3600, PORTED("12155550123", "12155550199"), END),
        0);
    /* records in canonical order, duplicates dropped, REPLACEMENT lower-cased (as Knot) */
    assert_int_equal(put_naptr(f->s, "4.2.1.0.5.5.5.5.1.2." Z, 3600,
                               "20 10 \"\" \"\" \"\" Next.Example.",
                               "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:A@B!\" .",
                               "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:A@B!\" .", END),
                     0);
    assert_int_equal(ask(f->s, "3.2.1.0.5.5.5.5.1.2." Z, t, sizeof(t)), E2U_STORE_NUMBER);
    assert_string_equal(t, PORTED("12155550123", "12155550199"));
    assert_int_equal(ask(f->s, "4.2.1.0.5.5.5.5.1.2.1.E164.ARPA.", t, sizeof(t)), E2U_STORE_NUMBER);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:A@B!\" .|"
                           "20 10 \"\" \"\" \"\" next.example.");
    /* RFC 1034 §4.3.2: ancestors of a name exist (NODATA), other names do not */
    assert_int_equal(ask(f->s, "2.1.0.5.5.5.5.1.2." Z, NULL, 0), E2U_STORE_ENT);
    assert_int_equal(ask(f->s, "2." Z, NULL, 0), E2U_STORE_ENT);
    assert_int_equal(ask(f->s, "5.2.1.0.5.5.5.5.1.2." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    assert_int_equal(ask(f->s, "0.3.2.1.0.5.5.5.5.1.2." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    assert_int_equal(ask(f->s, "x.3.2.1.0.5.5.5.5.1.2." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    assert_int_equal(ask(f->s, "3." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    assert_int_equal(ask(f->s, Z, NULL, 0), E2U_STORE_APEX);
    /* outside every zone */
    static uint8_t buf[E2U_STORE_BUF_MIN];
    uint8_t q[256];
    size_t ql = W(q, "3.2.1.4.4.e164.arpa.");
    e2u_store_rd_t *rd;
    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    e2u_store_answer_t a;
    assert_int_equal(e2u_store_find(rd, q, ql, buf, sizeof(buf), &a), E2U_ENOZONE);
    /* e2u lookup --db: the NAPTRs as views */
    e2u_rdata_t rr[4];
    size_t n;
    e2u_store_kind_t k;
    ql = W(q, "4.2.1.0.5.5.5.5.1.2." Z);
    assert_int_equal(e2u_store_naptr(rd, q, ql, buf, sizeof(buf), rr, 4, &n, &k), 0);
    assert_int_equal(n, 2);
    assert_int_equal(k, E2U_STORE_NUMBER);
    assert_int_equal(e2u_store_naptr(rd, q, ql, buf, sizeof(buf), rr, 1, &n, &k), E2U_ENOSPC);
    uint8_t sfx[256];
    W(sfx, "e164.arpa.");
    assert_int_equal(
        e2u_store_naptr_number(rd, "+12155550124", sfx, buf, sizeof(buf), rr, 4, &n, &k), 0);
    assert_int_equal(n, 2);
    assert_int_equal(k, E2U_STORE_NUMBER);
    assert_int_equal(e2u_store_naptr_number(rd, "+1215555", sfx, buf, sizeof(buf), rr, 4, &n, &k),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(k, E2U_STORE_ENT);
    assert_int_equal(e2u_store_naptr_number(rd, "+1215x", sfx, buf, sizeof(buf), rr, 4, &n, &k),
                     E2U_ENUMBER);
    /* a malformed query name */
    uint8_t badq[3] = {5, 'a', 0};
    assert_int_equal(e2u_store_find(rd, badq, 3, buf, sizeof(buf), &a), E2U_EDNAME);
    e2u_store_read_end(rd);
    e2u_store_stats_t st = stats(f->s);
    assert_int_equal(st.numbers, 2);
    assert_int_equal(st.templates, 2);
    /* delete: templates go when no number uses them */
    assert_int_equal(put_naptr(f->s, "3.2.1.0.5.5.5.5.1.2." Z, 0, END), 0);
    assert_int_equal(put_naptr(f->s, "4.2.1.0.5.5.5.5.1.2." Z, 0, END), 0);
    st = stats(f->s);
    assert_int_equal(st.numbers, 0);
    assert_int_equal(st.templates, 0);
    assert_int_equal(ask(f->s, "2." Z, NULL, 0), E2U_STORE_NXDOMAIN);
}

static void test_shared_templates(void **state)
{
    fx_t *f = *state;
    mkzone(f->s, Z);
    /* 50 ported numbers: one template, each number costs its key and routing number */
    for (int i = 0; i < 50; i++) {
        char name[64], num[16], rn[16], rec[256];
        snprintf(num, sizeof(num), "121555501%02d", i);
        snprintf(rn, sizeof(rn), "12155559%03d", i * 7);
        snprintf(rec, sizeof(rec), "10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+%s;npdi;rn=+%s!\" .",
                 num, rn);
        size_t o = 0;
        for (int k = 10; k >= 1; k--)
            o += (size_t)snprintf(name + o, sizeof(name) - o, "%c.", num[k]);
        snprintf(name + o, sizeof(name) - o, "%s", Z);
        assert_int_equal(put_naptr(f->s, name, 3600, rec, END), 0);
        char t[1024];
        assert_int_equal(ask(f->s, name, t, sizeof(t)), E2U_STORE_NUMBER);
        assert_string_equal(t, rec);
    }
    e2u_store_stats_t st = stats(f->s);
    assert_int_equal(st.numbers, 50);
    assert_int_equal(st.templates, 1);
    assert_int_equal(serial(f->s, Z), 51);
}

/* --- numbers and ordinary names ----------------------------------------------------------------
 */

static void test_number_and_name(void **state)
{
    fx_t *f = *state;
    char t[1024];
    mkzone(f->s, Z);
    const char *n = "3.2.1.0.5.5.5.5.1.2." Z;
    assert_int_equal(put_naptr(f->s, n, 3600, PORTED("12155550123", "12155550199"), END), 0);
    uint8_t txt[6] = {5, 'h', 'e', 'l', 'l', 'o'};
    /* a TXT beside the NAPTR makes it an ordinary name; removing it a number again */
    assert_int_equal(put_type(f->s, n, 16, txt, 6), 0);
    assert_int_equal(ask(f->s, n, t, sizeof(t)), E2U_STORE_NAME);
    assert_string_equal(t, PORTED("12155550123", "12155550199"));
    e2u_store_stats_t st = stats(f->s);
    assert_int_equal(st.numbers, 0);
    assert_int_equal(st.names, 1);
    assert_int_equal(put_type(f->s, n, 16, NULL, 0), 0);
    assert_int_equal(ask(f->s, n, t, sizeof(t)), E2U_STORE_NUMBER);
    st = stats(f->s);
    assert_int_equal(st.numbers, 1);
    assert_int_equal(st.names, 0);
    /* a name below a number makes the number's ancestors and the number exist */
    assert_int_equal(put_type(f->s, "_sip._udp.4.4.4.4." Z, 16, txt, 6), 0);
    assert_int_equal(ask(f->s, "_udp.4.4.4.4." Z, NULL, 0), E2U_STORE_ENT);
    assert_int_equal(ask(f->s, "4.4.4.4." Z, NULL, 0), E2U_STORE_ENT);
    assert_int_equal(ask(f->s, "4.4." Z, NULL, 0), E2U_STORE_ENT);
    assert_int_equal(ask(f->s, "5.4.4.4." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    /* CNAME beside other data and DNAME are refused */
    uint8_t cn[256];
    size_t cl = W(cn, "x.example.");
    assert_int_equal(put_type(f->s, n, E2U_STORE_TYPE_CNAME, cn, cl), E2U_EINVAL);
    assert_int_equal(put_type(f->s, "www." Z, E2U_STORE_TYPE_DNAME, cn, cl), E2U_EINVAL);
    assert_int_equal(put_type(f->s, "www." Z, E2U_STORE_TYPE_CNAME, cn, cl), 0);
    /* the apex SOA cannot go, nor sit anywhere else */
    assert_int_equal(put_type(f->s, "www." Z, E2U_STORE_TYPE_SOA, cn, cl), E2U_EINVAL);
    assert_int_equal(put_type(f->s, "nowhere.example.", 16, txt, 6), E2U_ENOZONE);
}

static void test_delegation_wildcard(void **state)
{
    fx_t *f = *state;
    char t[1024];
    mkzone(f->s, Z);
    uint8_t ns[256], a[4] = {192, 0, 2, 1};
    size_t nl = W(ns, "ns.other.example.");
    assert_int_equal(put_type(f->s, "8.8." Z, E2U_STORE_TYPE_NS, ns, nl), 0);
    assert_int_equal(put_type(f->s, "ns.8.8." Z, 1, a, 4), 0);
    assert_int_equal(
        put_naptr(f->s, "1.0.0.8.8." Z, 60, "1 1 \"u\" \"E2U+sip\" \"!x!sip:h@x!\" .", END), 0);
    assert_int_equal(ask(f->s, "8.8." Z, NULL, 0), E2U_STORE_DELEGATION);
    assert_int_equal(ask(f->s, "1.0.0.8.8." Z, NULL, 0), E2U_STORE_DELEGATION);
    assert_int_equal(ask(f->s, "a.b.8.8." Z, NULL, 0), E2U_STORE_DELEGATION);
    assert_int_equal(ask(f->s, "8." Z, NULL, 0), E2U_STORE_ENT);
    /* glue is reachable without the cut */
    static uint8_t buf[E2U_STORE_BUF_MIN];
    uint8_t q[256];
    size_t ql = W(q, "ns.8.8." Z);
    e2u_store_rd_t *rd;
    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    e2u_store_answer_t an;
    assert_int_equal(e2u_store_find(rd, q, ql, buf, sizeof(buf), &an), 0);
    assert_int_equal(an.kind, E2U_STORE_DELEGATION);
    uint8_t cut[256];
    size_t cutl = W(cut, "8.8." Z);
    assert_int_equal(an.owner_len, cutl);
    assert_memory_equal(an.owner, cut, cutl);
    assert_int_equal(e2u_store_find_glue(rd, q, ql, buf, sizeof(buf), &an), 0);
    assert_int_equal(an.kind, E2U_STORE_NAME);
    e2u_store_read_end(rd);
    /* a wildcard answers below its encloser unless a name exists (RFC 4592) */
    assert_int_equal(
        put_naptr(f->s, "*.9.9." Z, 60, "1 1 \"u\" \"E2U+sip\" \"!x!sip:w@x!\" .", END), 0);
    assert_int_equal(
        put_naptr(f->s, "1.9.9." Z, 60, "1 1 \"u\" \"E2U+sip\" \"!x!sip:n@x!\" .", END), 0);
    assert_int_equal(ask(f->s, "5.9.9." Z, t, sizeof(t)), E2U_STORE_WILDCARD);
    assert_string_equal(t, "1 1 \"u\" \"E2U+sip\" \"!x!sip:w@x!\" .");
    assert_int_equal(ask(f->s, "a.b.9.9." Z, NULL, 0), E2U_STORE_WILDCARD);
    assert_int_equal(ask(f->s, "1.9.9." Z, t, sizeof(t)), E2U_STORE_NUMBER);
    /* below an existing name the wildcard's encloser is that name: no match */
    assert_int_equal(ask(f->s, "2.1.9.9." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    assert_int_equal(ask(f->s, "9." Z, NULL, 0), E2U_STORE_ENT);
}

/* --- blocks ----------------------------------------------------------------------------------- */

static void test_blocks(void **state)
{
    fx_t *f = *state;
    char t[1024];
    mkzone(f->s, Z);
    /* a thousand-block of 11-digit numbers, a nested one, and a number of its own inside */
    assert_int_equal(
        put_block(f->s, Z, "1215555", 11, "10 100 \"u\" \"E2U+sip\" \"!x!sip:a@x!\" ."), 0);
    assert_int_equal(
        put_block(f->s, Z, "12155551", 11, "10 100 \"u\" \"E2U+sip\" \"!x!sip:b@x!\" ."), 0);
    assert_int_equal(put_naptr(f->s, "3.2.1.0.5.5.5.5.1.2." Z, 60,
                               "10 100 \"u\" \"E2U+sip\" \"!x!sip:own@x!\" .", END),
                     0);
    assert_int_equal(ask(f->s, "4.3.2.1.5.5.5.5.1.2." Z, t, sizeof(t)), E2U_STORE_BLOCK);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!x!sip:b@x!\" .");
    assert_int_equal(ask(f->s, "4.3.2.2.5.5.5.5.1.2." Z, t, sizeof(t)), E2U_STORE_BLOCK);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!x!sip:a@x!\" .");
    assert_int_equal(ask(f->s, "3.2.1.0.5.5.5.5.1.2." Z, t, sizeof(t)), E2U_STORE_NUMBER);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!x!sip:own@x!\" .");
    /* with a length, shorter names below the prefix are empty non-terminals, longer none */
    assert_int_equal(ask(f->s, "3.2.1.5.5.5.5.1.2." Z, NULL, 0), E2U_STORE_ENT);
    assert_int_equal(ask(f->s, "5.5.5.5.1.2." Z, NULL, 0), E2U_STORE_ENT);
    assert_int_equal(ask(f->s, "5.5.5.1.2." Z, NULL, 0), E2U_STORE_ENT);
    assert_int_equal(ask(f->s, "5.4.3.2.1.5.5.5.5.1.2." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    assert_int_equal(ask(f->s, "4.3.2.1.6.5.5.5.1.2." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    /* without a length: the prefix itself and everything below */
    assert_int_equal(put_block(f->s, Z, "1216", 0, "10 100 \"u\" \"E2U+sip\" \"!x!sip:any@x!\" ."),
                     0);
    assert_int_equal(ask(f->s, "6.1.2." Z, NULL, 0), E2U_STORE_BLOCK);
    assert_int_equal(ask(f->s, "1.2.3.4.5.6.7.8.9.0.1.2.3.6.1.2." Z, NULL, 0), E2U_STORE_BLOCK);
    assert_int_equal(ask(f->s, "x.6.1.2." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    assert_int_equal(ask(f->s, "1.2." Z, NULL, 0), E2U_STORE_ENT);
    /* an exact length wins over "any" at the same prefix */
    assert_int_equal(put_block(f->s, Z, "1216", 6, "10 100 \"u\" \"E2U+sip\" \"!x!sip:six@x!\" ."),
                     0);
    assert_int_equal(ask(f->s, "9.9.6.1.2." Z, t, sizeof(t)), E2U_STORE_BLOCK);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!x!sip:six@x!\" .");
    assert_int_equal(ask(f->s, "9.9.9.6.1.2." Z, t, sizeof(t)), E2U_STORE_BLOCK);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!x!sip:any@x!\" .");
    e2u_store_stats_t st = stats(f->s);
    assert_int_equal(st.blocks, 4);
    /* deleting, and deleting what is not there */
    assert_int_equal(put_block(f->s, Z, "1216", 0, NULL), 0);
    assert_int_equal(put_block(f->s, Z, "1216", 0, NULL), E2U_ENOENT);
    assert_int_equal(ask(f->s, "9.9.9.6.1.2." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    assert_int_equal(ask(f->s, "9.9.6.1.2." Z, NULL, 0), E2U_STORE_BLOCK);
    /* blocks outside the zone or with impossible lengths */
    assert_int_equal(put_block(f->s, Z, "44", 0, "1 1 \"u\" \"E2U+sip\" \"!x!sip:a@x!\" ."),
                     E2U_EINVAL);
    assert_int_equal(put_block(f->s, Z, "12155", 4, "1 1 \"u\" \"E2U+sip\" \"!x!sip:a@x!\" ."),
                     E2U_EINVAL);
}

/* --- journal ---------------------------------------------------------------------------------- */

typedef struct jseen {
    uint32_t from, to;
    bool reset;
    char rrs[16][300];
    size_t n;
    uint32_t nrem;
} jseen_t;

static size_t journal(e2u_store_t *s, const char *origin, bool all, uint32_t from, jseen_t *out,
                      size_t max)
{
    memset(out, 0, max * sizeof(*out)); /* entries not filled, even on failure, read as empty */
    uint8_t o[256];
    W(o, origin);
    e2u_store_rd_t *rd;
    assert_int_equal(e2u_store_read_begin(s, &rd), 0);
    e2u_store_jiter_t *it;
    int rc = e2u_store_journal_begin(rd, o, from, all, &it);
    if (rc < 0) {
        e2u_store_read_end(rd);
        return 0;
    }
    size_t k = 0;
    e2u_store_change_t c;
    while (k < max && e2u_store_journal_next(it, &c) > 0) {
        jseen_t *j = &out[k++];
        j->from = c.serial_from;
        j->to = c.serial_to;
        j->reset = c.reset;
        j->nrem = c.nremoved;
        j->n = 0;
        size_t pos = 0;
        e2u_store_rr_t rr;
        while (j->n < 16 && e2u_store_change_rr_next(&c, &pos, &rr)) {
            char ot[300], tt[16], rt[600];
            if (rr.owner)
                e2u_dname_to_text(ot, sizeof(ot), NULL, rr.owner, rr.owner_len);
            else
                snprintf(ot, sizeof(ot), "%s", rr.block);
            e2u_store_type_text(rr.type, tt, sizeof(tt));
            e2u_store_rdata_text(rr.type, rr.rdata, rr.rdlen, rt, sizeof(rt));
            char line[1300];
            snprintf(line, sizeof(line), "%c%s %u %s %s", j->n < c.nremoved ? '-' : '+', ot, rr.ttl,
                     tt, rt);
            memcpy(j->rrs[j->n], line, 299);
            j->rrs[j->n][299] = '\0';
            j->n++;
        }
    }
    e2u_store_journal_end(it);
    e2u_store_read_end(rd);
    return k;
}

static void test_journal(void **state)
{
    fx_t *f = *state;
    mkzone(f->s, Z);
    const char *n = "3.2.1.0.5.5.5.5.1.2." Z;
    const char *r1 = PORTED("12155550123", "12155550199");
    const char *r2 = PORTED("12155550123", "12155550200");
    assert_int_equal(put_naptr(f->s, n, 3600, r1, END), 0);
    assert_int_equal(put_naptr(f->s, n, 3600, r2, END), 0);
    assert_int_equal(put_naptr(f->s, n, 60, r2, END), 0); /* a new TTL */
    assert_int_equal(put_naptr(f->s, n, 60, r2, END), 0); /* no change, still a step */
    assert_int_equal(put_block(f->s, Z, "1216", 7, "1 1 \"u\" \"E2U+sip\" \"!x!sip:a@x!\" ."), 0);
    jseen_t j[8];
    size_t k = journal(f->s, Z, true, 0, j, 8);
    assert_int_equal(k, 6);
    /* the zone's creation: a reset */
    assert_true(j[0].reset);
    assert_int_equal(j[0].to, 1);
    /* 1 -> 2: the number added */
    assert_int_equal(j[1].from, 1);
    assert_int_equal(j[1].to, 2);
    assert_false(j[1].reset);
    assert_int_equal(j[1].n, 3);
    assert_string_equal(j[1].rrs[0],
                        "-1.e164.arpa. 3600 SOA ns1.example. hostmaster.example. 1 7200 3600 "
                        "1209600 300");
    assert_string_equal(j[1].rrs[1],
                        "+1.e164.arpa. 3600 SOA ns1.example. hostmaster.example. 2 7200 3600 "
                        "1209600 300");
    char want[400];
    snprintf(want, sizeof(want), "+%s 3600 NAPTR %s", n, r1);
    assert_string_equal(j[1].rrs[2], want);
    /* 2 -> 3: one record replaced */
    assert_int_equal(j[2].n, 4);
    snprintf(want, sizeof(want), "-%s 3600 NAPTR %s", n, r1);
    assert_string_equal(j[2].rrs[1], want);
    snprintf(want, sizeof(want), "+%s 3600 NAPTR %s", n, r2);
    assert_string_equal(j[2].rrs[3], want);
    /* 3 -> 4: the TTL: removed and added again */
    assert_int_equal(j[3].n, 4);
    snprintf(want, sizeof(want), "+%s 60 NAPTR %s", n, r2);
    assert_string_equal(j[3].rrs[3], want);
    /* 4 -> 5: nothing but the SOA */
    assert_int_equal(j[4].n, 2);
    /* 5 -> 6: a block's record carries the block */
    assert_int_equal(j[5].n, 3);
    assert_string_equal(j[5].rrs[2], "++1216XXX 600 NAPTR 1 1 \"u\" \"E2U+sip\" \"!x!sip:a@x!\" .");
    /* IXFR from serial 3 starts at 3 -> 4 */
    k = journal(f->s, Z, false, 3, j, 8);
    assert_int_equal(k, 3);
    assert_int_equal(j[0].from, 3);
    assert_int_equal(journal(f->s, Z, false, 77, j, 8), 0);
    assert_int_equal(serial(f->s, Z), 6);
}

/* A store of its own in the fixture's folder, its journal capped at cap octets per zone. */
static e2u_store_t *open_capped(fx_t *f, const char *name, uint64_t cap)
{
    char db[400];
    snprintf(db, sizeof(db), "%s/%s", f->dir, name);
    e2u_store_opts_t so = {.no_sync = true, .journal_max_bytes = cap};
    e2u_store_t *s;
    assert_int_equal(e2u_store_open(&s, db, &so, NULL), 0);
    return s;
}

/*
 * journal_max_bytes: the newest entries whose octets add up to the cap are kept, the newest
 * always, and a change whose entry alone exceeds the cap is journaled as a reset. The sizes are
 * worked out here from the entry format in lib/store/journal.c's header; caps of exactly three
 * entries and of one octet less pin them down.
 */
static void test_journal_max_bytes(void **state)
{
    fx_t *f = *state;
    const char *n = "3.2.1.0.5.5.5.5.1.2." Z;
    const char *r[2] = {PORTED("12155550123", "12155550199"), PORTED("12155550123", "12155550200")};
    uint8_t rd[E2U_NAPTR_RDATA_MAX];
    size_t l = R(rd, r[0]);
    assert_int_equal(R(rd, r[1]), l);
    /* an RR by name: kind, owner length, owner, type, TTL, RDATA length, RDATA; 1.e164.arpa.
     * is 13 octets, the number's name 20 more; the SOA's RDATA two names (13 and 20 octets)
     * and five numbers */
    size_t soa_rr = 1 + 1 + 13 + 2 + 4 + 2 + (13 + 20 + 5 * 4);
    size_t naptr_rr = 1 + 1 + 33 + 2 + 4 + 2 + l;
    /* the header, the old SOA, the NAPTR removed, the new SOA, the NAPTR added */
    size_t entry = 25 + soa_rr + naptr_rr + soa_rr + naptr_rr;

    e2u_store_t *s = open_capped(f, "capped", 3 * entry);
    mkzone(s, Z);                                        /* serial 1: a reset, SOA only */
    assert_int_equal(put_naptr(s, n, 3600, r[0], END), 0); /* 1 -> 2: an addition only */
    for (int i = 1; i <= 5; i++)                          /* 2 -> 3 ... 6 -> 7: one replaced */
        assert_int_equal(put_naptr(s, n, 3600, r[i % 2], END), 0);
    jseen_t j[8];
    size_t k = journal(s, Z, true, 0, j, 8);
    assert_int_equal(k, 3);
    assert_int_equal(j[0].from, 4);
    assert_int_equal(j[2].to, 7);
    for (size_t i = 0; i < k; i++) {
        assert_false(j[i].reset);
        assert_int_equal(j[i].n, 4);
    }
    /* IXFR from 3 is no longer possible; from 4 it is */
    assert_int_equal(journal(s, Z, false, 3, j, 8), 0);
    assert_int_equal(journal(s, Z, false, 4, j, 8), 3);
    e2u_store_close(s);

    /* one octet less: two entries fit */
    s = open_capped(f, "capped", 3 * entry - 1);
    assert_int_equal(put_naptr(s, n, 3600, r[0], END), 0); /* 7 -> 8 */
    k = journal(s, Z, true, 0, j, 8);
    assert_int_equal(k, 2);
    assert_int_equal(j[0].from, 6);
    assert_int_equal(j[1].to, 8);
    e2u_store_close(s);

    /* a change larger than the cap: a reset (the two SOAs), and what fits beside it stays */
    s = open_capped(f, "capped", 3 * entry);
    e2u_store_txn_t *w;
    uint8_t o[256];
    assert_int_equal(e2u_store_write_begin(s, &w), 0);
    for (int i = 0; i < 20; i++) { /* 10 numbers, each with both NAPTRs */
        char name[64];
        snprintf(name, sizeof(name), "%d.9.9.9.5.5.5.1.2." Z, i / 2);
        W(o, name);
        R(rd, r[i % 2]);
        assert_int_equal(e2u_store_add_rr(w, o, E2U_STORE_TYPE_NAPTR, 60, rd, (uint16_t)l, NULL),
                         0);
    }
    assert_int_equal(e2u_store_write_commit(w, NULL), 0);
    k = journal(s, Z, true, 0, j, 8);
    assert_true(k >= 2);
    assert_true(j[k - 1].reset);
    assert_int_equal(j[k - 1].from, 8);
    assert_int_equal(j[k - 1].to, 9);
    assert_int_equal(j[k - 1].n, 2);
    /* the reset (25 + 2 SOAs) and two whole entries fit in three entries' octets */
    assert_int_equal(k, 3);
    assert_int_equal(j[0].from, 6);
    e2u_store_close(s);

    /* a cap smaller than any entry: the newest is kept all the same, as a reset */
    s = open_capped(f, "capped", 10);
    assert_int_equal(put_naptr(s, n, 3600, r[1], END), 0); /* 9 -> 10 */
    k = journal(s, Z, true, 0, j, 8);
    assert_int_equal(k, 1);
    assert_true(j[0].reset);
    assert_int_equal(j[0].from, 9);
    assert_int_equal(j[0].to, 10);
    e2u_store_close(s);
}

static void test_journal_net_change(void **state)
{
    fx_t *f = *state;
    mkzone(f->s, Z);
    uint8_t o[256], rd[E2U_NAPTR_RDATA_MAX], rd2[E2U_NAPTR_RDATA_MAX];
    W(o, "1.1." Z);
    size_t l = R(rd, "1 1 \"u\" \"E2U+sip\" \"!x!sip:a@x!\" .");
    size_t l2 = R(rd2, "1 2 \"u\" \"E2U+sip\" \"!x!sip:b@x!\" .");
    /* within one transaction: add, add, delete the first: the net change is one addition */
    e2u_store_txn_t *w;
    assert_int_equal(e2u_store_write_begin(f->s, &w), 0);
    assert_int_equal(e2u_store_add_rr(w, o, E2U_STORE_TYPE_NAPTR, 60, rd, (uint16_t)l, NULL), 0);
    assert_int_equal(e2u_store_add_rr(w, o, E2U_STORE_TYPE_NAPTR, 60, rd2, (uint16_t)l2, NULL), 0);
    assert_int_equal(e2u_store_add_rr(w, o, E2U_STORE_TYPE_NAPTR, 60, rd2, (uint16_t)l2, NULL), 0);
    assert_int_equal(e2u_store_del_rr(w, o, E2U_STORE_TYPE_NAPTR, rd, (uint16_t)l, NULL), 0);
    uint8_t buf[4096];
    e2u_store_rrset_t rs;
    assert_int_equal(e2u_store_txn_get(w, o, E2U_STORE_TYPE_NAPTR, buf, sizeof(buf), &rs), 0);
    assert_int_equal(rs.count, 1);
    assert_int_equal(e2u_store_write_commit(w, NULL), 0);
    jseen_t j[4];
    size_t k = journal(f->s, Z, false, 1, j, 4);
    assert_int_equal(k, 1);
    assert_int_equal(j[0].n, 3);
    assert_string_equal(j[0].rrs[2],
                        "+1.1.1.e164.arpa. 60 NAPTR 1 2 \"u\" \"E2U+sip\" \"!x!sip:b@x!\" .");
    /* an explicit SOA with a newer serial is taken as given */
    uint8_t soa[600];
    size_t a = W(soa, "ns1.example."), b = W(soa + a, "hostmaster.example.");
    uint32_t v[5] = {2026112200, 7200, 3600, 1209600, 300};
    for (int i = 0; i < 5; i++)
        e2u__put32(soa + a + b + 4 * i, v[i]);
    assert_int_equal(put_type(f->s, Z, E2U_STORE_TYPE_SOA, soa, a + b + 20), 0);
    assert_int_equal(serial(f->s, Z), 2026112200);
    /* an older one is not: the serial still moves forward */
    v[0] = 5;
    e2u__put32(soa + a + b, v[0]);
    assert_int_equal(put_type(f->s, Z, E2U_STORE_TYPE_SOA, soa, a + b + 20), 0);
    assert_int_equal(serial(f->s, Z), 2026112201);
}

/* --- readers ---------------------------------------------------------------------------------- */

static void test_snapshots(void **state)
{
    fx_t *f = *state;
    mkzone(f->s, Z);
    static uint8_t buf[E2U_STORE_BUF_MIN];
    uint8_t q[256];
    size_t ql = W(q, "1.1." Z);
    e2u_store_rd_t *rd;
    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    e2u_store_answer_t a;
    assert_int_equal(e2u_store_find(rd, q, ql, buf, sizeof(buf), &a), 0);
    assert_int_equal(a.kind, E2U_STORE_NXDOMAIN);
    assert_int_equal(put_naptr(f->s, "1.1." Z, 60, "1 1 \"u\" \"E2U+sip\" \"!x!sip:a@x!\" .", END),
                     0);
    /* the old snapshot until renewed, then the new data; zone serial with it */
    assert_int_equal(e2u_store_find(rd, q, ql, buf, sizeof(buf), &a), 0);
    assert_int_equal(a.kind, E2U_STORE_NXDOMAIN);
    assert_int_equal(a.zone->serial, 1);
    assert_int_equal(e2u_store_read_renew(rd), 0);
    assert_int_equal(e2u_store_find(rd, q, ql, buf, sizeof(buf), &a), 0);
    assert_int_equal(a.kind, E2U_STORE_NUMBER);
    assert_int_equal(a.zone->serial, 2);
    e2u_store_read_reset(rd);
    assert_int_equal(e2u_store_find(rd, q, ql, buf, sizeof(buf), &a), E2U_EINVAL);
    assert_int_equal(e2u_store_read_renew(rd), 0);
    assert_int_equal(e2u_store_find(rd, q, ql, buf, sizeof(buf), &a), 0);
    assert_int_equal(a.kind, E2U_STORE_NUMBER);
    /* a buffer too small for the expansion */
    assert_int_equal(e2u_store_find(rd, q, ql, buf, 20, &a), E2U_ENOSPC);
    e2u_store_read_end(rd);
}

/* --- the number index (index.c) --------------------------------------------------------------- */

/* The name of digits d (most significant first) under origin, in text. */
static void digits_name(char *out, size_t cap, const char *d, const char *origin)
{
    size_t o = 0, n = strlen(d);
    for (size_t i = n; i-- > 0;)
        o += (size_t)snprintf(out + o, cap - o, "%c.", d[i]);
    snprintf(out + o, cap - o, "%s", origin);
}

/* Put the numbers nums[n] (digits below origin, whose prefix is pfx) in one transaction, each
 * with the ported-number NAPTR of its full number and a routing number derived from it. */
static void put_numbers(e2u_store_t *s, const char *origin, const char *pfx, char (*nums)[24],
                        size_t n)
{
    e2u_store_txn_t *w;
    assert_int_equal(e2u_store_write_begin(s, &w), 0);
    for (size_t i = 0; i < n; i++) {
        char name[300], naptr[300], rn[40];
        digits_name(name, sizeof(name), nums[i], origin);
        snprintf(rn, sizeof(rn), "%s%zu", pfx, 9000 + i % 700);
        snprintf(naptr, sizeof(naptr),
                 "10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+%.8s%.23s;npdi;rn=+%.39s!\" .", pfx,
                 nums[i], rn);
        uint8_t o[256], rd[E2U_NAPTR_RDATA_MAX];
        W(o, name);
        e2u_rdata_t rr = {rd, (uint16_t)R(rd, naptr)};
        assert_int_equal(e2u_store_put_rrset(w, o, E2U_STORE_TYPE_NAPTR, 3600, &rr, 1, NULL), 0);
    }
    assert_int_equal(e2u_store_write_commit(w, NULL), 0);
}

static bool stop_now(void *arg)
{
    ++*(int *)arg;
    return true;
}

#define NIX_NUMS 3000
#define NIX_Q    (2 * NIX_NUMS + 400)

/*
 * The index changes no answer: numbers of random lengths (many prefixes of others, the case
 * where a key's first octets equal a shorter key), in two zones, asked before and after the
 * index with every kind of name; then a commit (the index is of the old snapshot: readers of
 * the new one do not use it), a reader that keeps the old snapshot (and the index, even after it
 * is dropped), and a table over its limit.
 */
static void test_number_index(void **state)
{
    fx_t *f = *state;
    mkzone(f->s, Z);
    mkzone(f->s, "4.4.e164.arpa.");
    static char nums[NIX_NUMS][24];
    int stops = 0;
    srand(20261206);
    for (size_t i = 0; i < NIX_NUMS; i++) {
        size_t len = 4 + (size_t)rand() % 9; /* 4 to 12 digits below the origin */
        for (size_t j = 0; j < len; j++)
            nums[i][j] = (char)('0' + (j < 2 ? 2 : rand() % 10)); /* a shared start */
        nums[i][len] = '\0';
        for (size_t k = 0; k < i; k++)
            if (strcmp(nums[k], nums[i]) == 0) {
                i--; /* a duplicate: draw again */
                break;
            }
    }
    put_numbers(f->s, Z, "1", nums, NIX_NUMS - 500);
    put_numbers(f->s, "4.4.e164.arpa.", "44", nums + NIX_NUMS - 500, 500);
    /* a number with another RRset beside it, and a block */
    static const uint8_t txt[] = {3, 'a', 'b', 'c'};
    char name[300];
    digits_name(name, sizeof(name), nums[0], Z);
    assert_int_equal(put_type(f->s, name, 16, txt, sizeof(txt)), 0);
    assert_int_equal(put_block(f->s, Z, "123", 0, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:b@x!\" ."),
                     0);

    /* the questions: each number, each with a digit more or less, random digit names, names
     * below numbers, the apexes */
    static char qs[NIX_Q][300];
    size_t nq = 0;
    for (size_t i = 0; i < NIX_NUMS; i++) {
        const char *origin = i < NIX_NUMS - 500 ? Z : "4.4.e164.arpa.";
        digits_name(qs[nq++], 300, nums[i], origin);
        char d[26];
        if (i % 2)
            snprintf(d, sizeof(d), "%s%d", nums[i], (int)(i % 10));
        else
            snprintf(d, sizeof(d), "%.*s", (int)strlen(nums[i]) - 1, nums[i]);
        digits_name(qs[nq++], 300, d, origin);
    }
    for (size_t i = 0; i < 300; i++) {
        char d[16];
        size_t len = 1 + (size_t)rand() % 12;
        for (size_t j = 0; j < len; j++)
            d[j] = (char)('0' + rand() % 10);
        d[len] = '\0';
        digits_name(qs[nq++], 300, d, i % 2 ? Z : "4.4.e164.arpa.");
    }
    for (size_t i = 0; i < 98; i++)
        snprintf(qs[nq++], 300, "x.%.290s", qs[2 * i]);
    snprintf(qs[nq++], 300, "%s", Z);
    snprintf(qs[nq++], 300, "%s", "4.4.e164.arpa.");
    assert_true(nq <= NIX_Q);

    /* answers from the B-tree */
    static char before[NIX_Q][400], after[400];
    static e2u_store_kind_t kinds[NIX_Q];
    e2u_store_rd_t *rd;
    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    assert_false(e2u__rd_indexed(rd));
    for (size_t i = 0; i < nq; i++) {
        kinds[i] = ask_rd(rd, qs[i], before[i], sizeof(before[i]));
        assert_false(asked_indexed); /* there is no index yet */
    }
    e2u_store_read_end(rd);
    /* checked by hand for the numbers themselves: their own NAPTR, from what was put */
    for (size_t i = 0; i < NIX_NUMS; i++) {
        char want[300];
        bool z1 = i < NIX_NUMS - 500;
        snprintf(want, sizeof(want),
                 "10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+%s%.23s;npdi;rn=+%s%zu!\" .",
                 z1 ? "1" : "44", nums[i], z1 ? "1" : "44",
                 9000 + (z1 ? i : i - (NIX_NUMS - 500)) % 700);
        /* nums[0], with a TXT beside its NAPTR, is kept as an ordinary name */
        assert_int_equal(kinds[2 * i], i == 0 ? E2U_STORE_NAME : E2U_STORE_NUMBER);
        assert_string_equal(before[2 * i], want);
    }

    e2u_store_index_info_t ii;
    assert_int_equal(e2u_store_index_refresh(f->s, NULL, &ii), 0);
    assert_true(ii.built);
    assert_int_equal(ii.entries, NIX_NUMS - 1); /* not nums[0] */
    assert_int_equal(ii.commit, e2u_store_commit_id(f->s));
    assert_true(ii.bytes >= NIX_NUMS * 8 && ii.bytes <= (size_t)4 << 20);
    assert_int_equal(e2u_store_index_refresh(f->s, NULL, &ii), 0);
    assert_false(ii.built); /* current already */

    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    assert_true(e2u__rd_indexed(rd));
    e2u_store_read_reset(rd); /* idle: lets go of it; the renew takes it again */
    assert_false(e2u__rd_indexed(rd));
    assert_int_equal(e2u_store_read_renew(rd), 0);
    assert_true(e2u__rd_indexed(rd));
    size_t hits = 0;
    for (size_t i = 0; i < nq; i++) {
        assert_int_equal(ask_rd(rd, qs[i], after, sizeof(after)), kinds[i]);
        assert_string_equal(after, before[i]);
        /* every number is found through the index, nothing else is */
        assert_int_equal(asked_indexed, kinds[i] == E2U_STORE_NUMBER);
        hits += asked_indexed;
    }
    assert_true(hits >= NIX_NUMS - 1); /* each number was asked at least once */

    /* a commit: nums[1] gets another NAPTR, nums[3] goes; rd keeps the old snapshot */
    char n1[300], n3[300], t[400];
    digits_name(n1, sizeof(n1), nums[1], Z);
    digits_name(n3, sizeof(n3), nums[3], Z);
    assert_int_equal(
        put_naptr(f->s, n1, 60, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:new@x!\" .", END), 0);
    assert_int_equal(put_naptr(f->s, n3, 0, END), 0);
    e2u_store_rd_t *fresh;
    assert_int_equal(e2u_store_read_begin(f->s, &fresh), 0);
    assert_false(e2u__rd_indexed(fresh)); /* the index is of an older snapshot */
    assert_int_equal(ask_rd(fresh, n1, t, sizeof(t)), E2U_STORE_NUMBER);
    assert_false(asked_indexed);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:new@x!\" .");
    assert_int_not_equal(ask_rd(fresh, n3, t, sizeof(t)), E2U_STORE_NUMBER);
    /* the old reader: the old data, through the index, also once the store has dropped it */
    e2u_store_index_drop(f->s);
    assert_true(e2u__rd_indexed(rd));
    assert_int_equal(ask_rd(rd, n1, t, sizeof(t)), E2U_STORE_NUMBER);
    assert_true(asked_indexed);
    assert_string_equal(t, before[2]);
    assert_int_equal(ask_rd(rd, n3, t, sizeof(t)), E2U_STORE_NUMBER);
    assert_string_equal(t, before[6]);
    e2u_store_read_end(rd);

    /* a new index of the new snapshot: the reader picks it up when it renews */
    assert_int_equal(e2u_store_index_refresh(f->s, NULL, &ii), 0);
    assert_true(ii.built);
    assert_int_equal(ii.entries, NIX_NUMS - 2);
    assert_int_equal(e2u_store_read_renew(fresh), 0);
    assert_true(e2u__rd_indexed(fresh));
    assert_int_equal(ask_rd(fresh, n1, t, sizeof(t)), E2U_STORE_NUMBER);
    assert_true(asked_indexed);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:new@x!\" .");
    for (size_t i = 0; i < nq; i++) {
        if (i / 2 == 1 || i / 2 == 3)
            continue; /* the two changed numbers and their neighbours */
        assert_int_equal(ask_rd(fresh, qs[i], after, sizeof(after)), kinds[i]);
        assert_string_equal(after, before[i]);
    }
    e2u_store_read_end(fresh);

    /* stopped by its caller, then over the limit: none built, the B-tree answers */
    e2u_store_index_drop(f->s);
    e2u_store_index_opts_t stop = {.stop = stop_now, .stop_arg = &stops};
    assert_int_equal(e2u_store_index_refresh(f->s, &stop, &ii), E2U_ECANCELED);
    assert_int_equal(stops, 1);
    e2u_store_index_opts_t small = {.max_bytes = 4096};
    assert_int_equal(e2u_store_index_refresh(f->s, &small, &ii), E2U_ENOSPC);
    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    assert_false(e2u__rd_indexed(rd));
    assert_int_equal(ask_rd(rd, qs[4], t, sizeof(t)), E2U_STORE_NUMBER);
    assert_string_equal(t, before[4]);
    e2u_store_read_end(rd);
}

/*
 * Absent numbers the index rules out without the B-tree (e2u__nidx_complete_to): numbers of ten
 * digits below 1.e164.arpa., and names of that length or longer that are no number. Each answer
 * is checked by hand (DESIGN.md's lookup rules) and against a reader without the index. The
 * other trees still answer: a block, a number kept as a name, a name below a number. Then a
 * longer number, and an RRset too big for a number entry (an ordinary name): the names above
 * them are empty non-terminals, not NXDOMAIN. (A number entry left out of the index, which the
 * index's `complete` guards against, cannot be made through the store's API: write.c keeps a
 * number's value under 1 KiB, which LMDB always stores beside its key.)
 */
static void test_number_index_absent(void **state)
{
    fx_t *f = *state;
    mkzone(f->s, Z);
    char d[32], name[300], t[400];
    for (int i = 100; i < 200; i++) {
        snprintf(d, sizeof(d), "2155550%d", i);
        digits_name(name, sizeof(name), d, Z);
        assert_int_equal(
            put_naptr(f->s, name, 60, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:n@x!\" .", END), 0);
    }
    assert_int_equal(
        put_block(f->s, Z, "121555502", 11, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:block@x!\" ."),
        0);
    static const uint8_t txt[] = {5, 'h', 'e', 'l', 'l', 'o'};
    digits_name(name, sizeof(name), "2155550400", Z);
    assert_int_equal(
        put_naptr(f->s, name, 60, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:m@x!\" .", END), 0);
    assert_int_equal(put_type(f->s, name, 16, txt, sizeof(txt)), 0); /* now an ordinary name */
    digits_name(name, sizeof(name), "2155550500", Z);
    char below[310];
    snprintf(below, sizeof(below), "x.%s", name);
    assert_int_equal(put_type(f->s, below, 16, txt, sizeof(txt)), 0);

    static const struct {
        const char *digits;
        e2u_store_kind_t kind;
        bool indexed;
    } want[] = {
        {"2155550150", E2U_STORE_NUMBER, true},
        {"2155550099", E2U_STORE_NXDOMAIN, false},  /* absent, as long as the numbers */
        {"21555501500", E2U_STORE_NXDOMAIN, false}, /* below a number */
        {"21555501", E2U_STORE_ENT, false},         /* above numbers: the B-tree's case */
        {"2155550250", E2U_STORE_BLOCK, false},
        {"21555502500", E2U_STORE_NXDOMAIN, false}, /* the block's numbers have 11 digits */
        {"2155550400", E2U_STORE_NAME, false},
        {"2155550500", E2U_STORE_ENT, false}, /* a name below it */
    };
    enum { NWANT = sizeof(want) / sizeof(want[0]) };
    e2u_store_kind_t plain[NWANT];
    char plain_text[NWANT][400];
    e2u_store_rd_t *rd;
    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    for (size_t i = 0; i < NWANT; i++) {
        digits_name(name, sizeof(name), want[i].digits, Z);
        plain[i] = ask_rd(rd, name, plain_text[i], sizeof(plain_text[i]));
        assert_int_equal(plain[i], want[i].kind);
    }
    e2u_store_read_end(rd);
    e2u_store_index_info_t ii;
    assert_int_equal(e2u_store_index_refresh(f->s, NULL, &ii), 0);
    assert_int_equal(ii.entries, 100);
    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    for (size_t i = 0; i < NWANT; i++) {
        digits_name(name, sizeof(name), want[i].digits, Z);
        assert_int_equal(ask_rd(rd, name, t, sizeof(t)), want[i].kind);
        assert_int_equal(asked_indexed, want[i].indexed);
        assert_string_equal(t, plain_text[i]);
    }
    e2u_store_read_end(rd);

    /* an RRset too big for a number entry (60 records with their own 120-digit runs: 60
     * parameters of 61 octets, over the 1 KiB of parameters write.c puts in one) is an ordinary
     * name; and an eleven-digit number: the longest number now has eleven digits */
    enum { BIG = 60 };
    static uint8_t rdb[BIG][E2U_NAPTR_RDATA_MAX];
    e2u_rdata_t rr[BIG];
    char first[140] = "";
    uint32_t rnd = 20261206;
    for (int i = 0; i < BIG; i++) {
        char run[121], rec[400];
        for (int j = 0; j < 120; j++) {
            rnd = rnd * 1103515245u + 12345u;
            run[j] = (char)('0' + (rnd >> 16) % 10);
        }
        run[120] = '\0';
        if (i == 0)
            snprintf(first, sizeof(first), "sip:%s@x", run);
        snprintf(rec, sizeof(rec), "%d 100 \"u\" \"E2U+sip\" \"!^.*$!sip:%s@x!\" .", 10 + i, run);
        rr[i].len = (uint16_t)R(rdb[i], rec);
        rr[i].data = rdb[i];
    }
    uint8_t o[256];
    digits_name(name, sizeof(name), "21555506666", Z);
    W(o, name);
    e2u_store_txn_t *w;
    assert_int_equal(e2u_store_write_begin(f->s, &w), 0);
    assert_int_equal(e2u_store_put_rrset(w, o, E2U_STORE_TYPE_NAPTR, 60, rr, BIG, NULL), 0);
    assert_int_equal(e2u_store_write_commit(w, NULL), 0);
    digits_name(name, sizeof(name), "21555507770", Z);
    assert_int_equal(
        put_naptr(f->s, name, 60, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:o@x!\" .", END), 0);
    assert_int_equal(e2u_store_index_refresh(f->s, NULL, &ii), 0);
    assert_true(ii.built);
    assert_int_equal(ii.entries, 101);
    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    assert_true(e2u__rd_indexed(rd));
    static char all[BIG * 200];
    digits_name(name, sizeof(name), "21555506666", Z);
    assert_int_equal(ask_rd(rd, name, all, sizeof(all)), E2U_STORE_NAME);
    assert_non_null(strstr(all, first));
    static const struct {
        const char *digits;
        e2u_store_kind_t kind;
        bool indexed;
    } then[] = {
        {"2155550666", E2U_STORE_ENT, false},      /* above the name: its tree says so */
        {"2155550777", E2U_STORE_ENT, false},      /* above the eleven-digit number */
        {"2155550099", E2U_STORE_NXDOMAIN, false}, /* shorter than the longest: the B-tree */
        {"21555507770", E2U_STORE_NUMBER, true},
        {"21555507771", E2U_STORE_NXDOMAIN, false}, /* as long as the longest again */
        {"21555501500", E2U_STORE_NXDOMAIN, false},
    };
    for (size_t i = 0; i < sizeof(then) / sizeof(then[0]); i++) {
        digits_name(name, sizeof(name), then[i].digits, Z);
        assert_int_equal(ask_rd(rd, name, NULL, 0), then[i].kind);
        assert_int_equal(asked_indexed, then[i].indexed);
    }
    e2u_store_read_end(rd);

    /* an import keeps up to 4000 octets of parameters in a number entry: the same 60 records at
     * a twelve-digit number of another zone make a value LMDB puts on overflow pages, which the
     * index leaves out. It then no longer knows every number: the name of the number's first
     * eleven digits, as long as the longest number it holds, is an empty non-terminal */
    char path[400];
    snprintf(path, sizeof(path), "%s/big.zone", f->dir);
    FILE *zf = fopen(path, "w");
    assert_non_null(zf);
    fprintf(zf, "$ORIGIN 4.4.e164.arpa.\n$TTL 60\n"
                "@ SOA ns.example. h.example. 1 7200 3600 1209600 300\n@ NS ns.example.\n");
    digits_name(name, sizeof(name), "215555066667", "4.4.e164.arpa.");
    for (int i = 0; i < BIG; i++) {
        char rec[E2U_NAPTR_TEXT_MAX];
        assert_true(
            e2u_store_rdata_text(E2U_STORE_TYPE_NAPTR, rdb[i], rr[i].len, rec, sizeof(rec)) == 0);
        fprintf(zf, "%s NAPTR %s\n", name, rec);
    }
    fclose(zf);
    e2u_store_import_opts_t io = {0};
    e2u_store_import_stats_t st;
    e2u_diag_t dg = {0};
    assert_int_equal(e2u_store_import(f->s, path, &io, &st, &dg), 0);
    assert_int_equal(st.numbers, 1);
    assert_int_equal(e2u_store_index_refresh(f->s, NULL, &ii), 0);
    assert_true(ii.built);
    assert_int_equal(ii.entries, 101); /* not the new one */
    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    assert_true(e2u__rd_indexed(rd));
    assert_int_equal(ask_rd(rd, name, all, sizeof(all)), E2U_STORE_NUMBER);
    assert_false(asked_indexed);
    assert_non_null(strstr(all, first));
    digits_name(name, sizeof(name), "21555506666", "4.4.e164.arpa.");
    assert_int_equal(ask_rd(rd, name, NULL, 0), E2U_STORE_ENT);
    digits_name(name, sizeof(name), "21555506660", "4.4.e164.arpa.");
    assert_int_equal(ask_rd(rd, name, NULL, 0), E2U_STORE_NXDOMAIN);
    e2u_store_read_end(rd);
}

/* --- import ----------------------------------------------------------------------------------- */

typedef struct bads {
    int n;
    uint64_t lines[16];
    char reasons[16][200];
} bads_t;

static void on_bad(void *arg, const char *file, uint64_t line, const char *reason)
{
    (void)file;
    bads_t *b = arg;
    if (b->n < 16) {
        b->lines[b->n] = line;
        snprintf(b->reasons[b->n], 200, "%s", reason);
    }
    b->n++;
}

static const char ZONE_TEXT[] =
    "$ORIGIN 1.e164.arpa.\n"
    "$TTL 3600\n"
    "@ IN SOA ns1.example. hostmaster.example. 9 7200 3600 1209600 300\n"
    "@ IN NS ns1.example.\n"
    "; numbers out of order, and one number's records apart\n"
    "4.2.1.0.5.5.5.5.1.2 IN NAPTR 10 100 \"u\" \"E2U+pstn:tel\" "
    "\"!^.*$!tel:+12155550124;npdi;rn=+12155550199!\" .\n"
    "3.2.1.0.5.5.5.5.1.2 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:+12155550123@x!\" .\n"
    "5.2.1.0.5.5.5.5.1.2 IN NAPTR 10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+12155550125;npdi!\" "
    ".\n"
    "3.2.1.0.5.5.5.5.1.2 IN NAPTR 20 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+12155550123;npdi!\" "
    ".\n"
    "3.2.1.0.5.5.5.5.1.2 300 IN TXT \"and a text\"\n"
    "8.8 IN NS ns.8.8\n"
    "ns.8.8 IN A 192.0.2.8\n"
    ";@e2u-block +1216XXXXXXX 600 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:pool@x!\" .\n";

static void test_import_export_roundtrip(void **state)
{
    fx_t *f = *state;
    char p1[400], p2[400], p3[400], db2[400];
    snprintf(p1, sizeof(p1), "%s/a.zone", f->dir);
    snprintf(p2, sizeof(p2), "%s/b.zone", f->dir);
    snprintf(p3, sizeof(p3), "%s/c.zone", f->dir);
    snprintf(db2, sizeof(db2), "%s/db2", f->dir);
    write_file(p1, ZONE_TEXT);
    e2u_store_import_stats_t st;
    e2u_diag_t d = {0};
    e2u_store_import_opts_t o = {0};
    assert_int_equal(e2u_store_import(f->s, p1, &o, &st, &d), 0);
    assert_true(st.created);
    assert_int_equal(st.numbers, 2); /* ...0124 and ...0125; ...0123 has a TXT: a name */
    assert_int_equal(st.blocks, 1);
    assert_int_equal(st.names, 3);
    assert_int_equal(st.serial, 9);
    char t[1024];
    assert_int_equal(ask(f->s, "3.2.1.0.5.5.5.5.1.2." Z, t, sizeof(t)), E2U_STORE_NAME);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:+12155550123@x!\" .|"
                           "20 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+12155550123;npdi!\" .");
    assert_int_equal(ask(f->s, "0.0.0.0.0.0.0.6.1.2." Z, NULL, 0), E2U_STORE_BLOCK);
    /* export, import into a second store, export again: identical */
    e2u_store_rd_t *rd;
    uint8_t z[256];
    W(z, Z);
    FILE *fp = fopen(p2, "w");
    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    assert_int_equal(e2u_store_export(rd, z, fp, 0, NULL), 0);
    e2u_store_read_end(rd);
    fclose(fp);
    e2u_store_t *s2;
    e2u_store_opts_t so = {.no_sync = true};
    assert_int_equal(e2u_store_open(&s2, db2, &so, NULL), 0);
    assert_int_equal(e2u_store_import(s2, p2, &o, &st, &d), 0);
    fp = fopen(p3, "w");
    assert_int_equal(e2u_store_read_begin(s2, &rd), 0);
    assert_int_equal(e2u_store_export(rd, z, fp, 0, NULL), 0);
    e2u_store_read_end(rd);
    fclose(fp);
    e2u_store_close(s2);
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "cmp -s %s %s", p2, p3);
    assert_int_equal(system(cmd), 0);
    /* re-import of the same file: nothing changes but the serial moves on (9 is not newer) */
    assert_int_equal(e2u_store_import(f->s, p1, &o, &st, &d), 0);
    assert_false(st.created);
    assert_int_equal(st.serial, 10);
    jseen_t j[4];
    size_t k = journal(f->s, Z, false, 9, j, 4);
    assert_int_equal(k, 1);
    assert_int_equal(j[0].n, 2); /* only the SOAs: no records changed */
}

static void test_import_bad_lines(void **state)
{
    fx_t *f = *state;
    char p[400], p2[400];
    snprintf(p, sizeof(p), "%s/bad.zone", f->dir);
    snprintf(p2, sizeof(p2), "%s/good.csv", f->dir);
    write_file(p2, "+12155550123,10,100,u,E2U+sip,!^.*$!sip:a@x!,.\n");
    e2u_store_import_opts_t o = {0};
    o.zone = "1.e164.arpa.";
    e2u_store_import_stats_t st;
    e2u_diag_t d;
    assert_int_equal(e2u_store_import(f->s, p2, &o, &st, &d), 0);
    write_file(p, "$ORIGIN 1.e164.arpa.\n"
                  "@ 3600 IN SOA ns1.example. hostmaster.example. 9 7200 3600 1209600 300\n"
                  "1.1 3600 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!x!sip:a@x!\" .\n"
                  "1.2 3600 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"missing replacement\"\n"
                  "1.3 3600 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!x!sip:c@x!\" .\n"
                  "2.1.4.4.e164.arpa. 3600 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!x!sip:d@x!\" .\n"
                  "1.4 3600 CH TXT \"chaos\"\n");
    bads_t b = {0};
    o.on_bad = on_bad;
    o.arg = &b;
    o.zone = NULL;
    /* refused: every bad line reported with its line, nothing applied */
    assert_int_equal(e2u_store_import(f->s, p, &o, &st, &d), E2U_ESYNTAX);
    assert_int_equal(b.n, 3);
    assert_int_equal(b.lines[0], 4);
    assert_int_equal(b.lines[1], 6);
    assert_non_null(strstr(b.reasons[1], "outside the zone"));
    assert_int_equal(b.lines[2], 7); /* class CH: libzscanner refuses it */
    assert_int_equal(ask(f->s, "3.2.1.0.5.5.5.5.1.2." Z, NULL, 0), E2U_STORE_NUMBER);
    assert_int_equal(ask(f->s, "1.1." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    assert_int_equal(serial(f->s, Z), 1);
    /* --skip-bad: the good lines replace the zone */
    b.n = 0;
    o.skip_bad = true;
    assert_int_equal(e2u_store_import(f->s, p, &o, &st, &d), 0);
    assert_int_equal(b.n, 3);
    assert_int_equal(st.bad, 3);
    assert_int_equal(ask(f->s, "1.1." Z, NULL, 0), E2U_STORE_NUMBER);
    assert_int_equal(ask(f->s, "1.3." Z, NULL, 0), E2U_STORE_NUMBER);
    assert_int_equal(ask(f->s, "3.2.1.0.5.5.5.5.1.2." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    assert_int_equal(serial(f->s, Z), 9);
}

static void test_import_csv(void **state)
{
    fx_t *f = *state;
    char p[400];
    snprintf(p, sizeof(p), "%s/n.csv", f->dir);
    write_file(p, "KEY,ORDER,PREFERENCE,FLAGS,SERVICES,REGEXP,REPLACEMENT\n"
                  "+12155550123,+1-215-555-0199\n"
                  "+12155550124,\n"
                  "+1 215 555 0125,10,100,u,E2U+sip,\"!^.*$!sip:\"\"q\"\",x@y!\",.\n"
                  "+1215556XXXX,10,100,u,E2U+pstn:tel,!^(.*)$!tel:\\1;npdi!,.\n"
                  "+1215557*,10,100,u,E2U+sip,!^.*$!sip:pool@x!,Next.Example\n"
                  "# a comment\n"
                  "\n"
                  "+12155550126,10,100,u,E2U+sip,\"multi\nline\",.\n"
                  "+4412345,10,100,u,E2U+sip,!x!sip:a@x!,.\n"
                  "+12155550127,10,100000,u,E2U+sip,!x!sip:a@x!,.\n"
                  "+12155550128,10,100,u\n");
    e2u_store_import_opts_t o = {0};
    o.zone = Z;
    bads_t b = {0};
    o.on_bad = on_bad;
    o.arg = &b;
    e2u_store_import_stats_t st;
    e2u_diag_t d;
    assert_int_equal(e2u_store_import(f->s, p, &o, &st, &d), E2U_ESYNTAX);
    assert_int_equal(b.n, 3);
    assert_int_equal(b.lines[0], 11);
    assert_int_equal(b.lines[1], 12);
    assert_non_null(strstr(b.reasons[1], "PREFERENCE"));
    assert_int_equal(b.lines[2], 13);
    e2u_store_stats_t ss = stats(f->s);
    assert_int_equal(ss.zones, 0);
    o.skip_bad = true;
    b.n = 0;
    assert_int_equal(e2u_store_import(f->s, p, &o, &st, &d), 0);
    assert_int_equal(st.numbers, 4);
    assert_int_equal(st.blocks, 2);
    char t[1024];
    /* RFC 4769 §4.1 from NUMBER,RN; the RN normalised */
    assert_int_equal(ask(f->s, "3.2.1.0.5.5.5.5.1.2." Z, t, sizeof(t)), E2U_STORE_NUMBER);
    assert_string_equal(t, PORTED("12155550123", "12155550199"));
    assert_int_equal(ask(f->s, "4.2.1.0.5.5.5.5.1.2." Z, t, sizeof(t)), E2U_STORE_NUMBER);
    assert_string_equal(t, "10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+12155550124;npdi!\" .");
    assert_int_equal(ask(f->s, "5.2.1.0.5.5.5.5.1.2." Z, t, sizeof(t)), E2U_STORE_NUMBER);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:\\\"q\\\",x@y!\" .");
    assert_int_equal(ask(f->s, "6.2.1.0.5.5.5.5.1.2." Z, t, sizeof(t)), E2U_STORE_NUMBER);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"multi\\010line\" .");
    assert_int_equal(ask(f->s, "9.9.9.9.6.5.5.5.1.2." Z, t, sizeof(t)), E2U_STORE_BLOCK);
    assert_int_equal(ask(f->s, "1.7.5.5.5.1.2." Z, t, sizeof(t)), E2U_STORE_BLOCK);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:pool@x!\" next.example.");
    /* a CSV import replaces the numbers and keeps the apex */
    write_file(p, "+12155550199,\n");
    o.zone = NULL; /* the only zone */
    assert_int_equal(e2u_store_import(f->s, p, &o, &st, &d), 0);
    assert_int_equal(st.numbers, 1);
    assert_int_equal(st.blocks, 0);
    assert_int_equal(ask(f->s, "3.2.1.0.5.5.5.5.1.2." Z, NULL, 0), E2U_STORE_NXDOMAIN);
    assert_int_equal(ask(f->s, Z, NULL, 0), E2U_STORE_APEX);
    /* --merge keeps the rest */
    write_file(p, "+12155550198,\n");
    o.merge = true;
    assert_int_equal(e2u_store_import(f->s, p, &o, &st, &d), 0);
    assert_int_equal(st.numbers, 2);
}

static void test_import_many_unsorted(void **state)
{
    fx_t *f = *state;
    char p[400];
    snprintf(p, sizeof(p), "%s/many.csv", f->dir);
    FILE *fp = fopen(p, "w");
    /* 5000 numbers in a scrambled order, each with two records far apart */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < 5000; i++) {
            unsigned v = (unsigned)(i * 7919) % 5000;
            fprintf(fp, "+1215%07u,%d,100,u,E2U+sip,!^.*$!sip:+1215%07u@p%d!,.\n", v, 10 + pass, v,
                    pass);
        }
    fclose(fp);
    e2u_store_import_opts_t o = {0};
    o.zone = Z;
    e2u_store_import_stats_t st;
    e2u_diag_t d;
    assert_int_equal(e2u_store_import(f->s, p, &o, &st, &d), 0);
    assert_int_equal(st.numbers, 5000);
    assert_int_equal(st.templates, 1);
    char t[1024];
    assert_int_equal(ask(f->s, "7.7.7.4.0.0.0.5.1.2." Z, t, sizeof(t)), E2U_STORE_NUMBER);
    assert_string_equal(t, "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:+12150004777@p0!\" .|"
                           "11 100 \"u\" \"E2U+sip\" \"!^.*$!sip:+12150004777@p1!\" .");
    /* iteration: every number once, in order */
    e2u_store_rd_t *rd;
    uint8_t z[256];
    W(z, Z);
    assert_int_equal(e2u_store_read_begin(f->s, &rd), 0);
    e2u_store_iter_t *it;
    assert_int_equal(e2u_store_iter_begin(rd, z, &it), 0);
    e2u_store_entry_t e;
    int nums = 0, r;
    char prev[64] = "";
    while ((r = e2u_store_iter_next(it, &e)) > 0) {
        if (e.kind != E2U_STORE_NUMBER)
            continue;
        assert_true(strcmp(prev, e.digits) < 0);
        snprintf(prev, sizeof(prev), "%s", e.digits);
        nums++;
    }
    assert_int_equal(r, 0);
    assert_int_equal(nums, 5000);
    e2u_store_iter_end(it);
    e2u_store_read_end(rd);
    /* re-import with 10 changes: the journal holds exactly those */
    fp = fopen(p, "w");
    for (int i = 0; i < 5000; i++)
        fprintf(fp, "+1215%07d,10,100,u,E2U+sip,!^.*$!sip:+1215%07d@p%d!,.\n", i, i,
                i < 10 ? 7 : 0);
    fclose(fp);
    assert_int_equal(e2u_store_import(f->s, p, &o, &st, &d), 0);
    jseen_t j[2];
    assert_int_equal(journal(f->s, Z, false, st.serial - 1, j, 2), 1);
    assert_false(j[0].reset);
    /* removed: the old SOA, one record of every number, the second of the ten changed */
    assert_int_equal(j[0].nrem, 1 + 5000 + 10);
}

static int full_hook(void *arg)
{
    (void)arg;
    return 0;
}

static void test_map_full(void **state)
{
    fx_t *f = *state;
    char db[400], p[400];
    snprintf(db, sizeof(db), "%s/small", f->dir);
    snprintf(p, sizeof(p), "%s/big.csv", f->dir);
    e2u_store_opts_t so = {.no_sync = true, .map_size = 1 << 20};
    e2u_store_t *s;
    assert_int_equal(e2u_store_open(&s, db, &so, NULL), 0);
    FILE *fp = fopen(p, "w");
    fprintf(fp, "+12155550123,10,100,u,E2U+sip,!^.*$!sip:a@x!,.\n");
    fclose(fp);
    e2u_store_import_opts_t o = {.zone = Z, .on_written = full_hook};
    e2u_store_import_stats_t st;
    e2u_diag_t d;
    assert_int_equal(e2u_store_import(s, p, &o, &st, &d), 0);
    fp = fopen(p, "w");
    for (int i = 0; i < 200000; i++)
        fprintf(fp, "+1%010d,10,100,u,E2U+sip,!^.*$!sip:%d@host%d!,.\n", i, i * 13, i);
    fclose(fp);
    memset(&d, 0, sizeof(d));
    assert_int_equal(e2u_store_import(s, p, &o, &st, &d), E2U_EFULL);
    assert_non_null(strstr(d.msg, "map size"));
    /* the old data, intact */
    assert_int_equal(ask(s, "3.2.1.0.5.5.5.5.1.2." Z, NULL, 0), E2U_STORE_NUMBER);
    e2u_store_stats_t ss = stats(s);
    assert_int_equal(ss.numbers, 1);
    assert_int_equal(serial(s, Z), 1);
    e2u_store_close(s);
    rmtree(db);
}

static void test_zone_delete(void **state)
{
    fx_t *f = *state;
    mkzone(f->s, Z);
    mkzone(f->s, "4.4.e164.arpa.");
    assert_int_equal(put_naptr(f->s, "1.1." Z, 60, "1 1 \"u\" \"E2U+sip\" \"!x!sip:a@x!\" .", END),
                     0);
    assert_int_equal(
        put_naptr(f->s, "1.1.4.4.e164.arpa.", 60, "1 1 \"u\" \"E2U+sip\" \"!x!sip:a@x!\" .", END),
        0);
    assert_int_equal(ask(f->s, "1.1.4.4.e164.arpa.", NULL, 0), E2U_STORE_NUMBER);
    uint8_t o[256];
    W(o, Z);
    e2u_store_txn_t *w;
    assert_int_equal(e2u_store_write_begin(f->s, &w), 0);
    assert_int_equal(e2u_store_zone_delete(w, o), 0);
    assert_int_equal(e2u_store_zone_delete(w, o), E2U_ENOZONE);
    assert_int_equal(e2u_store_write_commit(w, NULL), 0);
    e2u_store_stats_t st = stats(f->s);
    assert_int_equal(st.zones, 1);
    assert_int_equal(st.numbers, 1);
    assert_int_equal(st.templates, 1);
    assert_int_equal(ask(f->s, "1.1.4.4.e164.arpa.", NULL, 0), E2U_STORE_NUMBER);
}

static void test_read_only_missing(void **state)
{
    fx_t *f = *state;
    char db[400];
    snprintf(db, sizeof(db), "%s/none", f->dir);
    e2u_store_opts_t so = {.read_only = true};
    e2u_store_t *s;
    e2u_diag_t d;
    assert_int_equal(e2u_store_open(&s, db, &so, &d), E2U_ENOENT);
    e2u_store_txn_t *w;
    /* a read-only store refuses writers */
    char db0[400];
    snprintf(db0, sizeof(db0), "%s/db", f->dir);
    assert_int_equal(e2u_store_open(&s, db0, &so, &d), 0);
    assert_int_equal(e2u_store_write_begin(s, &w), E2U_EINVAL);
    e2u_store_close(s);
}

/* --- CSV reader ------------------------------------------------------------------------------- */

static void test_csv_fields(void **state)
{
    (void)state;
    const char in[] = "a,\"b,\"\"c\"\"\",\r\n\"x\ny\",z\n\"open\n";
    e2u__csv_t c;
    e2u__csv_row_t r;
    char scratch[64];
    e2u_diag_t d;
    e2u__csv_init(&c, in, sizeof(in) - 1);
    assert_int_equal(e2u__csv_next(&c, &r, scratch, sizeof(scratch), &d), 1);
    assert_int_equal(r.line, 1);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.len[1], 5);
    assert_memory_equal(r.f[1], "b,\"c\"", 5);
    assert_int_equal(r.len[2], 0);
    assert_int_equal(e2u__csv_next(&c, &r, scratch, sizeof(scratch), &d), 1);
    assert_int_equal(r.line, 2);
    assert_int_equal(r.n, 2);
    assert_memory_equal(r.f[0], "x\ny", 3);
    assert_int_equal(e2u__csv_next(&c, &r, scratch, sizeof(scratch), &d), E2U_ESYNTAX);
    assert_int_equal(r.line, 4);
    assert_int_equal(e2u__csv_next(&c, &r, scratch, sizeof(scratch), &d), 0);
    const char in2[] = "a\"b,c\n\"q\"x,y\n1,2,3,4,5,6,7,8,9\nok,1\n";
    e2u__csv_init(&c, in2, sizeof(in2) - 1);
    assert_int_equal(e2u__csv_next(&c, &r, scratch, sizeof(scratch), &d), E2U_ESYNTAX);
    assert_int_equal(e2u__csv_next(&c, &r, scratch, sizeof(scratch), &d), E2U_ESYNTAX);
    assert_int_equal(e2u__csv_next(&c, &r, scratch, sizeof(scratch), &d), E2U_ESYNTAX);
    assert_int_equal(e2u__csv_next(&c, &r, scratch, sizeof(scratch), &d), 1);
    assert_int_equal(r.line, 4);
}

static void test_csv_records(void **state)
{
    (void)state;
    e2u__csv_row_t r = {.line = 1, .n = 2};
    e2u__csv_rec_t rec;
    e2u_diag_t d;
    r.f[0] = "tel:+1-215-555-0123";
    r.len[0] = strlen(r.f[0]);
    r.f[1] = "";
    r.len[1] = 0;
    assert_int_equal(e2u__csv_record(&r, &rec, &d), 0);
    assert_string_equal(rec.digits, "12155550123");
    e2u_naptr_t n;
    assert_int_equal(e2u_naptr_parse_wire(&n, rec.rdata, rec.rdlen, NULL), 0);
    assert_memory_equal(n.regexp, "!^.*$!tel:+12155550123;npdi!", n.regexp_len);
    /* keys */
    const char *keys[] = {"+1215*", "+1215XXXX", "+12x", "+1*2", "+", "12"};
    int want[] = {0, 0, 0, E2U_ESYNTAX, E2U_ESYNTAX, E2U_ESYNTAX}; /* '+' is required */
    unsigned len[] = {0, 8, 3, 0, 0, 0};
    bool block[] = {true, true, true, false, false, false};
    for (int i = 0; i < 6; i++) {
        const char *f7[7] = {keys[i], "1", "2", "u", "E2U+sip", "!x!y!", "."};
        e2u__csv_row_t row = {.line = 2, .n = 7};
        for (int k = 0; k < 7; k++) {
            row.f[k] = f7[k];
            row.len[k] = strlen(f7[k]);
        }
        assert_int_equal(e2u__csv_record(&row, &rec, &d), want[i]);
        if (want[i] == 0) {
            assert_int_equal(rec.block, block[i]);
            assert_int_equal(rec.length, len[i]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ovarint_order),
        cmocka_unit_test(test_bcd_keys),
        cmocka_unit_test(test_template_holes),
        cmocka_unit_test(test_template_limits),
        cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_templates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_number_and_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delegation_wildcard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_net_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_max_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_number_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_number_index_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_export_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_bad_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_many_unsorted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_missing, setup, teardown),
        cmocka_unit_test(test_csv_fields),
        cmocka_unit_test(test_csv_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
